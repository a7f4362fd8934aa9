/*-------------------------------------------------------------------------
 *
 * social_advocacy.c
 *	  The scrm.advocacy aggregate: a customer's advocacy events (answers
 *	  accepted, customers helped, referrals, mentions, complaints, surveys)
 *	  scored as in SOCIAL.md §3.
 *
 * Kind weights come from the table scrm.advocacy_kind, read once per query
 * (and per parallel worker, which sees the same snapshot).  An event
 * contributes
 *
 *	  weight * reach * damp * 2^(-(as_of - occurred_at) / half_life)
 *
 * where reach = min(4, 1 + log10(1 + audience)) for kinds whose name ends
 * in "_mention" (1 otherwise), and damp = 1/k for the k-th event of the
 * same (kind, counterparty) within 30 days: farming one counterparty
 * yields a harmonic, not a linear, sum.  A survey contributes weight * (+1
 * for 9-10, 0 for 7-8, -1 for 0-6) and only the latest one within 365 days
 * counts.  Events after as_of or older than 3 years are ignored, and so
 * are events whose counterparty is the customer (in the form that is told
 * the customer).
 *
 * The state keeps the events (damping needs them in time order); the final
 * function sorts a copy, so the aggregate also works as a window function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "input.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_advocacy_trans);
PG_FUNCTION_INFO_V1(scrm_advocacy_combine);
PG_FUNCTION_INFO_V1(scrm_advocacy_serialize);
PG_FUNCTION_INFO_V1(scrm_advocacy_deserialize);
PG_FUNCTION_INFO_V1(scrm_advocacy_final);
PG_FUNCTION_INFO_V1(scrm_refresh_advocacy);
PG_FUNCTION_INFO_V1(scrm_advocate_label);
PG_FUNCTION_INFO_V1(scrm_advocacy_events_trans);
PG_FUNCTION_INFO_V1(scrm_advocacy_events_final);

/* Kinds the scoring treats specially, by name (SOCIAL.md §3) */
#define KIND_SURVEY			"survey"
#define KIND_CONVERTED		"referral_converted"
#define MENTION_SUFFIX		"_mention"
static const char *const helping_kinds[] = {
	"answer_accepted", "helped_customer", "referral_converted", "referral_sent"
};

/* Event flags */
#define EV_HAS_COUNTERPARTY	0x01
#define EV_SURVEY			0x02
#define EV_HELPING			0x04	/* helped, answered for or referred */
#define EV_CONVERTED		0x08	/* a converted referral */
#define EV_ALL_FLAGS		0x0F
#define KIND_REACH			0x100	/* kind flag: a mention, reach applies */

/* One event inside the window [as_of - 3 years, as_of] */
typedef struct AdvEvent
{
	TimestampTz t;
	int64		counterparty;	/* valid with EV_HAS_COUNTERPARTY */
	double		base;			/* weight * reach, or weight * survey class */
	int32		kind;			/* index in the sorted kind list */
	int16		flags;
	int16		score;			/* survey score, -1 otherwise */
} AdvEvent;

typedef struct AdvState
{
	bool		have_params;
	TimestampTz as_of;
	double		half_life;		/* seconds */
	TimestampTz oldest;			/* as_of - 3 years */
	TimestampTz survey_from;	/* as_of - 365 days */
	int64		n;
	int64		cap;
	AdvEvent   *ev;
} AdvState;

/* scrm.advocacy_kind as read for one query, with each kind's flags */
typedef struct AdvKinds
{
	ScrmKinds	t;
	int16	   *flags;
} AdvKinds;

/* Advocacy scale: the Net at which the score reaches 1 - 1/e (SOCIAL.md §9) */
#define ADVOCACY_SCALE		10.0
/* Windows, as intervals in calendar arithmetic (months, days, microseconds) */
#define DAMPING_WINDOW_DAYS	30		/* '30 days' */
#define EVENT_HORIZON_MONTHS 36		/* '3 years' */
#define SURVEY_WINDOW_DAYS	365		/* '365 days' */

/* t - interval, as timestamptz - interval computes it (session time zone) */
static TimestampTz
minus_interval(TimestampTz t, int32 months, int32 days)
{
	Interval	iv;

	iv.time = 0;
	iv.day = days;
	iv.month = months;
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												   TimestampTzGetDatum(t),
												   IntervalPGetDatum(&iv)));
}

/* Each kind's flags, by its name */
static void
set_kind_flags(AdvKinds *k, MemoryContext cxt)
{
	int			i,
				j;

	k->flags = MemoryContextAllocZero(cxt, sizeof(int16) * Max(k->t.n, 1));
	for (i = 0; i < k->t.n; i++)
	{
		const char *name = k->t.name[i];
		size_t		len = strlen(name);

		if (strcmp(name, KIND_SURVEY) == 0)
			k->flags[i] |= EV_SURVEY;
		if (strcmp(name, KIND_CONVERTED) == 0)
			k->flags[i] |= EV_CONVERTED;
		for (j = 0; j < lengthof(helping_kinds); j++)
			if (strcmp(name, helping_kinds[j]) == 0)
				k->flags[i] |= EV_HELPING;
		if (len >= strlen(MENTION_SUFFIX) &&
			strcmp(name + len - strlen(MENTION_SUFFIX), MENTION_SUFFIX) == 0)
			k->flags[i] |= KIND_REACH;
	}
}

/* Read scrm.advocacy_kind into the function's long-lived context */
static AdvKinds *
load_kinds(FunctionCallInfo fcinfo)
{
	AdvKinds   *k = (AdvKinds *) fcinfo->flinfo->fn_extra;

	if (k != NULL)
		return k;
	k = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AdvKinds));
	ScrmLoadKinds("scrm.advocacy_kind", NULL, fcinfo->flinfo->fn_mcxt, &k->t);
	set_kind_flags(k, fcinfo->flinfo->fn_mcxt);
	fcinfo->flinfo->fn_extra = k;
	return k;
}

static void
invalid_kinds(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid advocacy kinds: %s", why),
			 errhint("Pass the kinds and weights of scrm.advocacy_kind, ordered by kind COLLATE \"C\".")));
}

/*
 * The kinds given as arguments names_arg (text[], ascending in strcmp
 * order, as scrm.advocacy_kind is read) and weights_arg (float8[]), read
 * once into the function's long-lived context: a query run elsewhere (a
 * Citus worker) scores with the kinds of the node that built it.
 */
static AdvKinds *
arg_kinds(FunctionCallInfo fcinfo, int names_arg, int weights_arg)
{
	AdvKinds   *k = (AdvKinds *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	ArrayType  *names,
			   *weights;
	Datum	   *nv,
			   *wv;
	bool	   *nn,
			   *wn;
	int			n,
				nw,
				i;

	if (k != NULL)
		return k;
	if (PG_ARGISNULL(names_arg) || PG_ARGISNULL(weights_arg))
		invalid_kinds("kinds and weights must not be null");
	names = PG_GETARG_ARRAYTYPE_P(names_arg);
	weights = PG_GETARG_ARRAYTYPE_P(weights_arg);
	if (ARR_NDIM(names) > 1 || ARR_NDIM(weights) > 1)
		invalid_kinds("kinds and weights must be one-dimensional");
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &nv, &nn, &n);
	deconstruct_array(weights, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &wv, &wn, &nw);
	if (n != nw)
		invalid_kinds("as many weights as kinds are needed");
	k = MemoryContextAllocZero(cxt, sizeof(AdvKinds));
	k->t.n = n;
	k->t.name = MemoryContextAllocZero(cxt, sizeof(char *) * Max(n, 1));
	k->t.weight = MemoryContextAllocZero(cxt, sizeof(double) * Max(n, 1));
	k->t.flag = MemoryContextAllocZero(cxt, sizeof(bool) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (nn[i] || wn[i] || !isfinite(DatumGetFloat8(wv[i])))
			invalid_kinds("a kind or a weight is null, or a weight is not finite");
		k->t.name[i] = MemoryContextStrdup(cxt, TextDatumGetCString(nv[i]));
		k->t.weight[i] = DatumGetFloat8(wv[i]);
		if (i > 0 && strcmp(k->t.name[i - 1], k->t.name[i]) >= 0)
			invalid_kinds("the kinds must be distinct and ascending");
	}
	set_kind_flags(k, cxt);
	fcinfo->flinfo->fn_extra = k;
	return k;
}

static void
unknown_kind(const ScrmKinds *k, const char *name, int len)
{
	StringInfoData known;
	int			i;

	initStringInfo(&known);
	for (i = 0; i < k->n; i++)
		appendStringInfo(&known, "%s%s", i > 0 ? ", " : "", k->name[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown advocacy kind \"%s\"", pnstrdup(name, len)),
			 k->n > 0 ?
			 errhint("Known kinds are: %s. Add new kinds to scrm.advocacy_kind.", known.data) :
			 errhint("scrm.advocacy_kind is empty; add the kinds you use to it.")));
}

/* Record as_of and half_life, or check they equal the group's */
static void
set_params(AdvState *st, TimestampTz as_of, double half_life,
		   TimestampTz oldest, TimestampTz survey_from)
{
	if (!st->have_params)
	{
		st->have_params = true;
		st->as_of = as_of;
		st->half_life = half_life;
		st->oldest = oldest;
		st->survey_from = survey_from;
	}
	else if (st->as_of != as_of || st->half_life != half_life)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of and half_life must be the same for every row of a group")));
}

/* set_params with the windows of as_of, computed for a group's first row */
static void
group_params(AdvState *st, TimestampTz as_of, double half_life)
{
	if (st->have_params)
		set_params(st, as_of, half_life, st->oldest, st->survey_from);
	else
		set_params(st, as_of, half_life, minus_interval(as_of, EVENT_HORIZON_MONTHS, 0),
				   minus_interval(as_of, 0, SURVEY_WINDOW_DAYS));
}

static void
add_event(AdvState *st, MemoryContext cxt, const AdvEvent *ev)
{
	if (st->n == st->cap)
	{
		int64		newcap = Max(st->cap * 2, 16);

		if ((Size) newcap * sizeof(AdvEvent) > (Size) scrm_max_memory_kb * 1024)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("advocacy needs more memory than scrm.max_memory allows"),
					 errdetail("A group has more than %lld events.", (long long) st->n),
					 errhint("Use advocacy with GROUP BY customer, or raise scrm.max_memory.")));
		st->ev = st->ev ? repalloc_huge(st->ev, newcap * sizeof(AdvEvent)) :
			MemoryContextAllocHuge(cxt, newcap * sizeof(AdvEvent));
		st->cap = newcap;
	}
	st->ev[st->n++] = *ev;
}

/* One input row, as the transition function or scrm._refresh_advocacy reads it */
typedef struct AdvInput
{
	const char *kind;			/* not null; kind_len bytes, unterminated */
	int			kind_len;
	TimestampTz t;
	bool		has_counterparty;
	int64		counterparty;
	bool		has_audience;
	int64		audience;
	bool		full_form;		/* the form told customer and score */
	bool		has_customer;
	int64		customer;
	bool		has_score;
	int64		score;
} AdvInput;

/*
 * Check one row and turn it into an event.  Returns false for rows that
 * carry no event: an unanswered survey, a self-event, an event after as_of
 * or before the 3-year horizon.
 */
static bool
make_event(const AdvKinds *kinds, const AdvState *st, const AdvInput *in,
		   AdvEvent *ev)
{
	int			kind = ScrmFindName(kinds->t.name, kinds->t.n, in->kind, in->kind_len);
	int16		kflags;

	if (kind < 0)
		unknown_kind(&kinds->t, in->kind, in->kind_len);
	kflags = kinds->flags[kind];
	memset(ev, 0, sizeof(*ev));
	ev->t = in->t;
	ev->kind = kind;
	ev->flags = kflags & EV_ALL_FLAGS;
	ev->score = -1;
	ev->base = kinds->t.weight[kind];
	if (in->has_counterparty)
	{
		ev->counterparty = in->counterparty;
		ev->flags |= EV_HAS_COUNTERPARTY;
	}
	if (in->has_audience)
	{
		if (in->audience < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("audience must not be negative"),
					 errdetail("audience is %lld.", (long long) in->audience)));
		if (kflags & KIND_REACH)
			ev->base *= Min(4.0, 1.0 + log10(1.0 + (double) in->audience));
	}
	if (kflags & EV_SURVEY)
	{
		if (!in->full_form)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a survey event needs its score"),
					 errhint("Use scrm.advocacy(kind, occurred_at, as_of, counterparty, audience, half_life, customer, score).")));
		if (!in->has_score)
			return false;		/* an unanswered survey */
		ScrmCheckSurveyScore(in->score);
		ev->score = (int16) in->score;
		ev->base *= in->score >= 9 ? 1.0 : (in->score >= 7 ? 0.0 : -1.0);
	}
	/* self-events: the customer as their own counterparty */
	if (in->has_customer && in->has_counterparty && in->counterparty == in->customer)
		return false;
	return !(ev->t > st->as_of || ev->t < st->oldest);
}

/* Check as_of and half_life (isnull: either is NULL) */
static void
check_params(bool isnull, TimestampTz as_of, double half_life)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of and half_life of advocacy must not be null")));
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
	if (!(half_life > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life must be a positive interval")));
}

/*
 * transition: (state, kind, occurred_at, as_of [, counterparty, audience
 * [, half_life [, customer, score]]])
 */
/*
 * A transition's group state, with its as_of (argument a) and half_life
 * (argument h; -1: none, 180 days) checked and recorded
 */
static AdvState *
trans_state(FunctionCallInfo fcinfo, MemoryContext *aggcxt, int a, int h)
{
	AdvState   *st;
	TimestampTz as_of;
	double		half_life = 180.0 * SECS_PER_DAY;

	if (!AggCheckCallContext(fcinfo, aggcxt))
		elog(ERROR, "advocacy transition function called in non-aggregate context");
	st = PG_ARGISNULL(0) ? MemoryContextAllocZero(*aggcxt, sizeof(AdvState)) :
		(AdvState *) PG_GETARG_POINTER(0);
	as_of = PG_ARGISNULL(a) ? 0 : PG_GETARG_TIMESTAMPTZ(a);
	if (h >= 0 && !PG_ARGISNULL(h))
		half_life = ScrmIntervalSeconds(PG_GETARG_INTERVAL_P(h));
	check_params(PG_ARGISNULL(a) || (h >= 0 && PG_ARGISNULL(h)), as_of, half_life);
	group_params(st, as_of, half_life);
	return st;
}

/*
 * A transition row's kind (argument 1), time (2), counterparty (argument
 * c) and audience (argument u; -1: none) into in, the rest unset; false
 * for a row without a kind or a time, which carries no event (as
 * aggregates skip NULLs)
 */
static bool
trans_input(FunctionCallInfo fcinfo, int c, int u, AdvInput *in)
{
	text	   *kind;

	memset(in, 0, sizeof(*in));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return false;
	kind = PG_GETARG_TEXT_PP(1);
	in->kind = VARDATA_ANY(kind);
	in->kind_len = VARSIZE_ANY_EXHDR(kind);
	in->t = PG_GETARG_TIMESTAMPTZ(2);
	in->has_counterparty = c >= 0 && !PG_ARGISNULL(c);
	in->counterparty = in->has_counterparty ? PG_GETARG_INT64(c) : 0;
	in->has_audience = u >= 0 && !PG_ARGISNULL(u);
	in->audience = in->has_audience ? PG_GETARG_INT64(u) : 0;
	return true;
}

/*
 * transition: (state, kind, occurred_at, as_of [, counterparty, audience
 * [, half_life [, customer, score]]])
 */
Datum
scrm_advocacy_trans(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	MemoryContext aggcxt;
	AdvState   *st = trans_state(fcinfo, &aggcxt, 3, nargs > 6 ? 6 : -1);
	AdvInput	in;
	AdvEvent	ev;

	if (!trans_input(fcinfo, nargs > 4 ? 4 : -1, nargs > 5 ? 5 : -1, &in))
		PG_RETURN_POINTER(st);
	in.full_form = nargs > 8;
	in.has_customer = nargs > 7 && !PG_ARGISNULL(7);
	in.customer = in.has_customer ? PG_GETARG_INT64(7) : 0;
	in.has_score = nargs > 8 && !PG_ARGISNULL(8);
	in.score = in.has_score ? PG_GETARG_INT32(8) : 0;
	if (make_event(load_kinds(fcinfo), st, &in, &ev))
		add_event(st, aggcxt, &ev);
	PG_RETURN_POINTER(st);
}

/* combine: append the second state's events to the first */
Datum
scrm_advocacy_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AdvState   *a,
			   *b;
	int64		i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "advocacy combine function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (AdvState *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? MemoryContextAllocZero(aggcxt, sizeof(AdvState)) :
		(AdvState *) PG_GETARG_POINTER(0);
	if (b->have_params)
		set_params(a, b->as_of, b->half_life, b->oldest, b->survey_from);
	for (i = 0; i < b->n; i++)
		add_event(a, aggcxt, &b->ev[i]);
	PG_RETURN_POINTER(a);
}

/* serialize: parameters, count, then the events */
Datum
scrm_advocacy_serialize(PG_FUNCTION_ARGS)
{
	AdvState   *st = (AdvState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->have_params ? 1 : 0);
	pq_sendint64(&buf, st->as_of);
	pq_sendfloat8(&buf, st->half_life);
	pq_sendint64(&buf, st->oldest);
	pq_sendint64(&buf, st->survey_from);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, st->ev[i].t);
		pq_sendint64(&buf, st->ev[i].counterparty);
		pq_sendfloat8(&buf, st->ev[i].base);
		pq_sendint32(&buf, st->ev[i].kind);
		pq_sendint16(&buf, st->ev[i].flags);
		pq_sendint16(&buf, st->ev[i].score);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
invalid_state(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized advocacy state")));
}

/* deserialize, validating the bytes */
Datum
scrm_advocacy_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	AdvState   *st;
	int64		n,
				i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "advocacy deserialize function called in non-aggregate context");
	ScrmBytesReader(&buf, bytes);
	st = MemoryContextAllocZero(aggcxt, sizeof(AdvState));
	st->have_params = pq_getmsgbyte(&buf) != 0;
	st->as_of = pq_getmsgint64(&buf);
	st->half_life = pq_getmsgfloat8(&buf);
	st->oldest = pq_getmsgint64(&buf);
	st->survey_from = pq_getmsgint64(&buf);
	n = pq_getmsgint64(&buf);
	if (n < 0 || (uint64) n > (uint64) (buf.len - buf.cursor) / 32 ||
		(st->have_params && !(st->half_life > 0.0)))
		invalid_state();
	for (i = 0; i < n; i++)
	{
		AdvEvent	ev;

		ev.t = pq_getmsgint64(&buf);
		ev.counterparty = pq_getmsgint64(&buf);
		ev.base = pq_getmsgfloat8(&buf);
		ev.kind = pq_getmsgint(&buf, 4);
		ev.flags = (int16) pq_getmsgint(&buf, 2);
		ev.score = (int16) pq_getmsgint(&buf, 2);
		if (!isfinite(ev.base) || ev.kind < 0 || (ev.flags & ~EV_ALL_FLAGS) ||
			ev.score < -1 || ev.score > 10)
			invalid_state();
		add_event(st, aggcxt, &ev);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Order: kind, counterparty (none first), time, larger contribution first */
static int
event_cmp(const void *pa, const void *pb)
{
	const AdvEvent *a = (const AdvEvent *) pa;
	const AdvEvent *b = (const AdvEvent *) pb;
	int			ca = (a->flags & EV_HAS_COUNTERPARTY) != 0;
	int			cb = (b->flags & EV_HAS_COUNTERPARTY) != 0;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (ca != cb)
		return ca - cb;
	if (ca && a->counterparty != b->counterparty)
		return a->counterparty < b->counterparty ? -1 : 1;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->base != b->base)
		return a->base > b->base ? -1 : 1;
	return 0;
}

static bool
same_series(const AdvEvent *a, const AdvEvent *b)
{
	return a->kind == b->kind &&
		(a->flags & EV_HAS_COUNTERPARTY) == (b->flags & EV_HAS_COUNTERPARTY) &&
		(!(a->flags & EV_HAS_COUNTERPARTY) || a->counterparty == b->counterparty);
}

/* What the events of one customer add up to */
typedef struct AdvResult
{
	double		pos;
	double		neg;
	int64		distinct;		/* distinct counterparties helped */
	bool		converted;		/* a converted referral */
	int			survey_score;	/* of the survey that counts, -1 if none */
} AdvResult;

/*
 * Score n events sorted by event_cmp with the parameters of st; helped is
 * scratch space for n counterparties.  With points (and damping) given,
 * also each event's contribution (NaN for a survey that does not count)
 * and its place k in its damping series (the contribution is divided by k).
 */
static void
score_events(const AdvState *st, const AdvEvent *ev, int64 n, int64 *helped,
			 AdvResult *r, double *points, int32 *damping)
{
	int64		nhelped = 0,
				i,
				first = 0;
	int64		survey = -1;	/* index of the survey that counts */

	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++)
	{
		double		contrib;

		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (ev[i].flags & EV_SURVEY)
		{
			/* the latest within 365 days; on a tie the lower score */
			if (ev[i].t >= st->survey_from &&
				(survey < 0 || ev[i].t > ev[survey].t ||
				 (ev[i].t == ev[survey].t && ev[i].score < ev[survey].score)))
				survey = i;
			if (points)
			{
				points[i] = NAN;
				damping[i] = 1;
			}
			continue;
		}
		if (i == 0 || !same_series(&ev[i], &ev[i - 1]))
			first = i;
		else
		{
			TimestampTz from = minus_interval(ev[i].t, 0, DAMPING_WINDOW_DAYS);

			while (ev[first].t < from)
				first++;
		}
		/* the k-th event of its (kind, counterparty) series in 30 days */
		contrib = ev[i].base / (double) (i - first + 1) *
			exp2(-((double) (st->as_of - ev[i].t) / USECS_PER_SEC) / st->half_life);
		if (points)
		{
			points[i] = contrib;
			damping[i] = (int32) (i - first + 1);
		}
		if (contrib > 0.0)
			r->pos += contrib;
		else
			r->neg -= contrib;
		if ((ev[i].flags & EV_HELPING) && (ev[i].flags & EV_HAS_COUNTERPARTY))
			helped[nhelped++] = ev[i].counterparty;
		if (ev[i].flags & EV_CONVERTED)
			r->converted = true;
	}
	r->survey_score = -1;
	if (survey >= 0)
	{
		double		contrib = ev[survey].base *
			exp2(-((double) (st->as_of - ev[survey].t) / USECS_PER_SEC) / st->half_life);

		if (contrib > 0.0)
			r->pos += contrib;
		else
			r->neg -= contrib;
		r->survey_score = ev[survey].score;
		if (points)
			points[survey] = contrib;
	}
	r->distinct = ScrmSortUnique(helped, nhelped);
}

/* valence: 1 without evidence, towards -1 for a pure detractor */
static double
valence(const AdvResult *r)
{
	return 1.0 - 2.0 * r->neg / (r->pos + r->neg + 2.0);
}

/*
 * The label (SOCIAL.md §3): an advocate scores 60 or more and has helped
 * two customers or converted a referral; a promoter only answered a
 * survey 9 or 10 but scores under 30; a detractor's index is 40 or more.
 * survey_score is -1 without a survey that counts.
 */
static const char *
advocate_label(int score, int detractor, int64 distinct, bool converted,
			   int survey_score)
{
	if (score >= 60 && (distinct >= 2 || converted))
		return "advocate";
	if (survey_score >= 9 && score < 30)
		return "promoter_only";
	if (detractor >= 40)
		return "detractor";
	return "neutral";
}

/*
 * scrm._advocate_label(score, detractor, distinct_counterparties,
 * converted, survey_score): the label, for scrm.refresh, whose scores
 * include network reach.  NULL survey_score: no survey counts; any other
 * NULL gives NULL.
 */
Datum
scrm_advocate_label(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(advocate_label(PG_GETARG_INT32(0), PG_GETARG_INT32(1),
													PG_GETARG_INT32(2), PG_GETARG_BOOL(3),
													PG_ARGISNULL(4) ? -1 : PG_GETARG_INT32(4))));
}

/* final: the scrm.advocacy_summary */
Datum
scrm_advocacy_final(PG_FUNCTION_ARGS)
{
	AdvState   *st = PG_ARGISNULL(0) ? NULL : (AdvState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	AdvResult	r;
	double		net;
	int			score,
				detractor;
	const char *label;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "advocacy must return a composite type");
	if (st != NULL && st->n > 0)
	{
		/* sort a copy (the state may be finalised again, e.g. in a window) */
		AdvEvent   *ev = palloc(st->n * sizeof(AdvEvent));

		memcpy(ev, st->ev, st->n * sizeof(AdvEvent));
		qsort(ev, st->n, sizeof(AdvEvent), event_cmp);
		score_events(st, ev, st->n, palloc(st->n * sizeof(int64)), &r, NULL, NULL);
	}
	else
	{
		memset(&r, 0, sizeof(r));
		r.survey_score = -1;
	}
	net = r.pos - r.neg;
	score = (int) rint(100.0 * (1.0 - exp(-Max(net, 0.0) / ADVOCACY_SCALE)));
	detractor = (int) rint(100.0 * (1.0 - exp(-Max(-net, 0.0) / ADVOCACY_SCALE)));
	label = advocate_label(score, detractor, r.distinct, r.converted, r.survey_score);

	values[0] = Float8GetDatum(r.pos);
	values[1] = Float8GetDatum(r.neg);
	values[2] = Float8GetDatum(net);
	values[3] = Int32GetDatum(score);
	values[4] = Int32GetDatum(detractor);
	values[5] = Float8GetDatum(valence(&r));
	values[6] = Int32GetDatum((int32) r.distinct);
	values[7] = CStringGetTextDatum(label);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/* One event that counted, as scrm.explain's arrays show it */
typedef struct ExplainEvent
{
	int32		kind;			/* index in the kinds */
	TimestampTz at;
	bool		has_who;
	int64		who_id;			/* the counterparty's id (or number) */
	Datum		who;			/* and its key as text, when named */
	int32		damping;
	double		points;
} ExplainEvent;

/*
 * The events that counted of n scored events (surveys that do not count
 * left out) into out; returns how many
 */
static int
explain_events(const AdvEvent *ev, int64 n, const double *points, const int32 *damping,
			   ExplainEvent *out)
{
	int64		i;
	int			m = 0;

	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (isnan(points[i]))
			continue;
		out[m].kind = ev[i].kind;
		out[m].at = ev[i].t;
		out[m].has_who = (ev[i].flags & EV_HAS_COUNTERPARTY) != 0;
		out[m].who_id = ev[i].counterparty;
		out[m].who = (Datum) 0;
		out[m].damping = damping[i];
		out[m].points = points[i];
		m++;
	}
	return m;
}

/* A one-dimensional array of n elements of a type of the summaries */
static Datum
array1(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	if (elemtype == TEXTOID)
		return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	if (elemtype == INT4OID)
		return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, INT4OID, 4, true, TYPALIGN_INT));
	/* timestamptz, bigint, float8 */
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, elemtype, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * m events for scrm.explain as five arrays into values[0..4] (NULL without
 * any): kind (names when kinds is given, else indexes), time, counterparty
 * (its key when named, else its id), damping place k, points = weight x
 * reach or survey class / k x decay
 */
static void
explain_arrays(const AdvKinds *kinds, const ExplainEvent *e, int m, Datum *values, bool *nulls)
{
	Datum	   *kind = palloc(sizeof(Datum) * Max(m, 1));
	Datum	   *at = palloc(sizeof(Datum) * Max(m, 1));
	Datum	   *who = palloc(sizeof(Datum) * Max(m, 1));
	bool	   *who_null = palloc(sizeof(bool) * Max(m, 1));
	Datum	   *damp = palloc(sizeof(Datum) * Max(m, 1));
	Datum	   *pts = palloc(sizeof(Datum) * Max(m, 1));
	bool		named = kinds != NULL;
	int			i;

	for (i = 0; i < 5; i++)
		nulls[i] = m == 0;
	if (m == 0)
		return;
	for (i = 0; i < m; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		kind[i] = named ? CStringGetTextDatum(kinds->t.name[e[i].kind]) : Int32GetDatum(e[i].kind);
		at[i] = TimestampTzGetDatum(e[i].at);
		who[i] = named ? e[i].who : Int64GetDatum(e[i].who_id);
		who_null[i] = !e[i].has_who;
		damp[i] = Int32GetDatum(e[i].damping);
		pts[i] = Float8GetDatum(e[i].points);
	}
	values[0] = array1(kind, NULL, m, named ? TEXTOID : INT4OID);
	values[1] = array1(at, NULL, m, TIMESTAMPTZOID);
	values[2] = array1(who, who_null, m, named ? TEXTOID : INT8OID);
	values[3] = array1(damp, NULL, m, INT4OID);
	values[4] = array1(pts, NULL, m, FLOAT8OID);
}

/*
 * scrm._advocacy_events(kind, occurred_at, counterparty, audience, as_of,
 * half_life, kinds, weights): what scrm._refresh_advocacy needs of one
 * customer's interactions, computed where they are (a Citus worker, see
 * pushdown.c).  counterparty is a number for each distinct counterparty of
 * the customer, 0 for the customer themself; the kinds and their weights
 * are given (arg_kinds), so every node scores with those of the node that
 * refreshes.  A survey kind carries no event (an interaction has no score).
 *
 * transition: (state, kind, occurred_at, counterparty, audience, as_of,
 * half_life, kinds, weights); combine, serialize and deserialize are
 * scrm.advocacy's
 */
Datum
scrm_advocacy_events_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AdvState   *st = trans_state(fcinfo, &aggcxt, 5, 6);
	const AdvKinds *kinds = arg_kinds(fcinfo, 7, 8);
	AdvInput	in;
	AdvEvent	ev;

	if (!trans_input(fcinfo, 3, 4, &in))
		PG_RETURN_POINTER(st);
	in.full_form = true;
	in.has_customer = true;
	in.customer = 0;
	if (make_event(kinds, st, &in, &ev))
		add_event(st, aggcxt, &ev);
	PG_RETURN_POINTER(st);
}

/*
 * final: (positive, negative, distinct_counterparties, converted, and the
 * events that counted in scoring order: kind index, time, counterparty
 * number, place in its damping series, points; NULL arrays: none)
 */
Datum
scrm_advocacy_events_final(PG_FUNCTION_ARGS)
{
	AdvState   *st = PG_ARGISNULL(0) ? NULL : (AdvState *) PG_GETARG_POINTER(0);
	int64		n = st ? st->n : 0;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {false};
	AdvResult	r;
	AdvEvent   *ev = palloc(sizeof(AdvEvent) * Max(n, 1));
	double	   *points = palloc(sizeof(double) * Max(n, 1));
	int32	   *damping = palloc(sizeof(int32) * Max(n, 1));
	ExplainEvent *e = palloc(sizeof(ExplainEvent) * Max(n, 1));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "advocacy must return a composite type");
	/* sort a copy (the state may be finalised again) */
	if (n > 0)
		memcpy(ev, st->ev, n * sizeof(AdvEvent));
	qsort(ev, n, sizeof(AdvEvent), event_cmp);
	score_events(st, ev, n, palloc(sizeof(int64) * Max(n, 1)), &r, points, damping);
	values[0] = Float8GetDatum(r.pos);
	values[1] = Float8GetDatum(r.neg);
	values[2] = Int32GetDatum((int32) r.distinct);
	values[3] = BoolGetDatum(r.converted);
	explain_arrays(NULL, e, explain_events(ev, n, points, damping, e), values + 4, nulls + 4);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* One kept row of scrm._refresh_advocacy's events query */
typedef struct AdvRow
{
	int64		customer;
	AdvEvent	ev;				/* flags ROW_NO_EVENT: a row without an event */
} AdvRow;

#define ROW_NO_EVENT		0x4000

/* A sorted array of customer ids, for membership tests */
typedef struct IdSet
{
	bool		all;			/* no array given: every id is a member */
	int			n;
	int64	   *ids;
} IdSet;

static void
id_set(FunctionCallInfo fcinfo, int argno, IdSet *set)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	memset(set, 0, sizeof(*set));
	if (PG_ARGISNULL(argno))
	{
		set->all = true;
		return;
	}
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_ELEMTYPE(arr) != INT8OID)
		elog(ERROR, "customer lists must be bigint arrays");
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	set->ids = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
		if (!nulls[i])
			set->ids[set->n++] = DatumGetInt64(elems[i]);
	set->n = (int) ScrmSortUnique(set->ids, set->n);
}

static bool
id_member(const IdSet *set, int64 id)
{
	return set->all || ScrmFindInt64(set->ids, set->n, id) >= 0;
}

/* The events query as scrm._refresh_advocacy reads it */
typedef struct AdvRead
{
	ScrmBudget	budget;
	const AdvKinds *kinds;
	AdvState	params;
	IdSet		customers;		/* whose events count */
	IdSet		excluded;		/* counterparties whose events do not */
	int64		n;
	int64		cap;
	AdvRow	   *rows;
	double		rows_estimate;
	Datum		complaint_resolved; /* kind texts of the configured inputs */
	Datum		survey;
} AdvRead;

static void
read_event(void *arg, Datum *values, bool *isnull)
{
	AdvRead    *rd = (AdvRead *) arg;
	AdvRow	   *row;
	AdvInput	in;

	/*
	 * leave out customers outside the list and events with an excluded
	 * counterparty (no customer list: everyone; no excluded list: nobody)
	 */
	if (isnull[0] || !id_member(&rd->customers, DatumGetInt64(values[0])) ||
		(!isnull[3] && !rd->excluded.all && id_member(&rd->excluded, DatumGetInt64(values[3]))))
		return;
	rd->rows = ScrmGrow(&rd->budget, rd->rows, &rd->cap, rd->n, sizeof(AdvRow),
						rd->rows_estimate);
	row = &rd->rows[rd->n++];
	row->customer = DatumGetInt64(values[0]);
	row->ev.flags = ROW_NO_EVENT;
	if ((rd->n & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	/* rows without a kind or a time carry no event, as in the aggregate */
	if (isnull[1] || isnull[2])
		return;
	in.kind = VARDATA_ANY(DatumGetPointer(values[1]));
	in.kind_len = VARSIZE_ANY_EXHDR(DatumGetPointer(values[1]));
	in.t = DatumGetTimestampTz(values[2]);
	in.has_counterparty = !isnull[3];
	in.counterparty = DatumGetInt64(values[3]);
	in.has_audience = !isnull[4];
	in.audience = DatumGetInt64(values[4]);
	in.full_form = true;
	in.has_customer = true;
	in.customer = row->customer;
	in.has_score = !isnull[5];
	in.score = DatumGetInt64(values[5]);
	if (!make_event(rd->kinds, &rd->params, &in, &row->ev))
		row->ev.flags = ROW_NO_EVENT;
}

/*
 * The configured interactions as events: a complaint marked resolved is
 * the kind complaint_resolved; no survey score
 */
static void
read_interaction(void *arg, Datum *values, bool *isnull)
{
	static const char complaint[] = "complaint";
	AdvRead    *rd = (AdvRead *) arg;
	Datum		ev[6];
	bool		evnull[6];

	memcpy(ev, values, sizeof(Datum) * 5);
	memcpy(evnull, isnull, sizeof(bool) * 5);
	if (!isnull[1] && !isnull[5] && DatumGetBool(values[5]) &&
		VARSIZE_ANY_EXHDR(DatumGetPointer(values[1])) == sizeof(complaint) - 1 &&
		memcmp(VARDATA_ANY(DatumGetPointer(values[1])), complaint, sizeof(complaint) - 1) == 0)
		ev[1] = rd->complaint_resolved;
	evnull[5] = true;
	read_event(arg, ev, evnull);
}

/* The configured survey answers (customer, score, answered_at) as events */
static void
read_survey(void *arg, Datum *values, bool *isnull)
{
	AdvRead    *rd = (AdvRead *) arg;
	Datum		ev[6] = {values[0], rd->survey, values[2], 0, 0, values[1]};
	bool		evnull[6] = {isnull[0], false, isnull[2], true, true, isnull[1]};

	read_event(arg, ev, evnull);
}

static int
row_customer_cmp(const void *a, const void *b)
{
	return ScrmCmpInt64(&((const AdvRow *) a)->customer, &((const AdvRow *) b)->customer);
}

static bool read_surveys_summarised(AdvRead *rd, ScrmRowCallback callback, void *arg);
static void read_summarised_survey(void *arg, Datum *values, bool *isnull);

/* The configured survey answers, as the role that configured them */
static void
read_configured_surveys(AdvRead *rd)
{
	ScrmColumn	scols[3] = {
		{"customer", SCRM_COL_KEY, true},
		{"score", SCRM_COL_ID, true},
		{"answered_at", SCRM_COL_TIMESTAMPTZ, true},
	};

	rd->survey = CStringGetTextDatum("survey");
	(void) ScrmReadStored("surveys", scols, 3, read_survey, rd, NULL);
}

/*
 * The events of the configured inputs, as the role that configured them:
 * the interactions and the survey answers (either may be absent)
 */
static void
read_configured_events(AdvRead *rd)
{
	ScrmColumn	icols[6] = {
		{"customer", SCRM_COL_KEY, true},
		{"kind", SCRM_COL_TEXT, true},
		{"occurred_at", SCRM_COL_TIMESTAMPTZ, true},
		{"counterparty", SCRM_COL_KEY, false},
		{"audience", SCRM_COL_ID, false},
		{"resolved", SCRM_COL_BOOL, false},
	};

	rd->complaint_resolved = CStringGetTextDatum("complaint_resolved");
	(void) ScrmReadStored("interactions", icols, 6, read_interaction, rd, &rd->rows_estimate);
	if (!read_surveys_summarised(rd, read_summarised_survey, rd))
		read_configured_surveys(rd);
}

/* One customer's interactions as summarised where they are (pushdown.c) */
typedef struct AdvPushed
{
	int64		events;			/* rows kept */
	double		pos;
	double		neg;
	int32		distinct;
	bool		converted;
	int			m;
	ExplainEvent *e;			/* the events that counted, in scoring order */
} AdvPushed;

/* Scratch space for scoring one customer's events */
typedef struct AdvScratch
{
	int64		cap;
	AdvEvent   *ev;
	int64	   *helped;
	double	   *points;
	int32	   *damping;
	ExplainEvent *explain;
} AdvScratch;

static void
scratch_init(AdvRead *rd, AdvScratch *sc, int64 n)
{
	sc->cap = Max(n, 1);
	sc->ev = ScrmAlloc(&rd->budget, sc->cap, sizeof(AdvEvent));
	sc->helped = ScrmAlloc(&rd->budget, sc->cap, sizeof(int64));
	sc->points = ScrmAlloc(&rd->budget, sc->cap, sizeof(double));
	sc->damping = ScrmAlloc(&rd->budget, sc->cap, sizeof(int32));
	sc->explain = ScrmAlloc(&rd->budget, sc->cap, sizeof(ExplainEvent));
}

/*
 * One customer's row of scrm._refresh_advocacy: the rows kept of the
 * events read here, the n events among them (in sc->ev, scored here) and
 * with p what the customer's interactions came to where they are
 */
static void
emit_customer(const AdvRead *rd, ReturnSetInfo *rsinfo, AdvScratch *sc, int64 customer,
			  int64 rows, int64 n, bool by_run, const AdvPushed *p)
{
	Datum		values[14];
	bool		nulls[14] = {false};
	AdvResult	r;
	ExplainEvent *e = sc->explain;
	int			m,
				i,
				k = 0;

	qsort(sc->ev, n, sizeof(AdvEvent), event_cmp);
	score_events(&rd->params, sc->ev, n, sc->helped, &r, sc->points, sc->damping);
	m = explain_events(sc->ev, n, sc->points, sc->damping, sc->explain);
	/* the counterparties by their keys (the run's) or ids */
	for (i = 0; i < m; i++)
		if (e[i].has_who)
			e[i].who = CStringGetTextDatum(by_run ? ScrmRunKeyOut(e[i].who_id)
										   : psprintf(INT64_FORMAT, e[i].who_id));
	if (p)
	{
		ExplainEvent *merged = palloc(sizeof(ExplainEvent) * Max(m + p->m, 1));
		int			a = 0,
					b = 0,
					c = 0;

		/* the sums are those of one scoring: interactions, then the survey */
		r.pos += p->pos;
		r.neg += p->neg;
		r.distinct += p->distinct;
		r.converted = r.converted || p->converted;
		rows += p->events;
		/* both in scoring order, which is by kind first */
		while (a < p->m || b < m)
			merged[c++] = b >= m || (a < p->m && p->e[a].kind <= e[b].kind) ? p->e[a++] : e[b++];
		e = merged;
		m = c;
	}
	values[k++] = Int64GetDatum(customer);
	values[k++] = Int64GetDatum(rows);
	values[k++] = Float8GetDatum(r.pos - r.neg);
	values[k++] = Float8GetDatum(valence(&r));
	values[k++] = Int32GetDatum((int32) r.distinct);
	values[k++] = BoolGetDatum(r.converted);
	values[k] = Int32GetDatum(r.survey_score);
	nulls[k++] = r.survey_score < 0;
	values[k++] = Float8GetDatum(r.pos);
	values[k++] = Float8GetDatum(r.neg);
	explain_arrays(rd->kinds, e, m, values + k, nulls + k);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Sort the rows read by customer and size the scratch for the largest */
static void
sort_rows(AdvRead *rd, AdvScratch *sc)
{
	int64		i,
				j,
				n = 1;

	ScrmSort(rd->rows, rd->n, sizeof(AdvRow), row_customer_cmp);
	for (i = 0; i < rd->n; i = j)
	{
		for (j = i + 1; j < rd->n && rd->rows[j].customer == rd->rows[i].customer; j++)
			;
		n = Max(n, j - i);
	}
	scratch_init(rd, sc, n);
}

/* The events of rows[i..j) into the scratch; returns how many */
static int64
customer_events(const AdvRead *rd, AdvScratch *sc, int64 i, int64 j)
{
	int64		n = 0;

	for (; i < j; i++)
		if (!(rd->rows[i].ev.flags & ROW_NO_EVENT))
			sc->ev[n++] = rd->rows[i].ev;
	return n;
}

/* One customer's surveys, as refresh_pushed merges them in */
typedef struct SurveyBlock
{
	int64		customer;
	int64		rows;			/* rows kept */
	int64		first;			/* its events: sev[first .. first + n) */
	int64		n;
	bool		taken;			/* merged into a row of the interactions */
} SurveyBlock;

/* The configured interactions summarised where they are, merged with the surveys */
typedef struct PushedRead
{
	AdvRead    *rd;
	ReturnSetInfo *rsinfo;
	AdvScratch	sc;
	SurveyBlock *blocks;		/* ascending by customer */
	int64		nblocks;
	int64		blocks_cap;
	AdvEvent   *sev;			/* the surveys' events */
	int64		nsev;
	int64		sev_cap;
	MemoryContext row_cxt;
} PushedRead;

static void
add_block(PushedRead *pr, int64 customer, int64 rows)
{
	SurveyBlock *b;

	pr->blocks = ScrmGrow(&pr->rd->budget, pr->blocks, &pr->blocks_cap, pr->nblocks,
						  sizeof(SurveyBlock), 0);
	b = &pr->blocks[pr->nblocks++];
	b->customer = customer;
	b->rows = rows;
	b->first = pr->nsev;
	b->n = 0;
	b->taken = false;
}

static void
add_survey_event(PushedRead *pr, const AdvEvent *ev)
{
	pr->sev = ScrmGrow(&pr->rd->budget, pr->sev, &pr->sev_cap, pr->nsev, sizeof(AdvEvent), 0);
	pr->sev[pr->nsev++] = *ev;
	pr->blocks[pr->nblocks - 1].n++;
}

static int
block_cmp(const void *a, const void *b)
{
	return ScrmCmpInt64(&((const SurveyBlock *) a)->customer, &((const SurveyBlock *) b)->customer);
}

/* The surveys read here row by row, as blocks */
static void
surveys_from_rows(PushedRead *pr)
{
	AdvRead    *rd = pr->rd;
	int64		i,
				j;

	ScrmSort(rd->rows, rd->n, sizeof(AdvRow), row_customer_cmp);
	for (i = 0; i < rd->n; i = j)
	{
		CHECK_FOR_INTERRUPTS();
		add_block(pr, rd->rows[i].customer, 0);
		for (j = i; j < rd->n && rd->rows[j].customer == rd->rows[i].customer; j++)
		{
			pr->blocks[pr->nblocks - 1].rows++;
			if (!(rd->rows[j].ev.flags & ROW_NO_EVENT))
				add_survey_event(pr, &rd->rows[j].ev);
		}
	}
}

/* The columns of the wrapped surveys (ScrmPushdownSurveys) */
#define SURVEY_SUMMARY_COLS 12
static const ScrmColumn survey_summary_cols[SURVEY_SUMMARY_COLS] = {
	{"customer", SCRM_COL_KEY, true},
	{"rows", SCRM_COL_ID, true},
	{"null_time", SCRM_COL_ID, true},
	{"infinite_time", SCRM_COL_ID, true},
	{"after_as_of", SCRM_COL_ID, true},
	{"null_score", SCRM_COL_ID, true},
	{"time_from", SCRM_COL_TIMESTAMPTZ, true},
	{"time_to", SCRM_COL_TIMESTAMPTZ, true},
	{"events", SCRM_COL_ID, true},
	{"bad_score", SCRM_COL_ID, true},
	{"survey_at", SCRM_COL_TIMESTAMPTZ, true},
	{"survey_score", SCRM_COL_ID, true},
};

/*
 * One row of the wrapped surveys: the customer, the counts read_grouped
 * checks, the rows kept, a score out of range among them, and the survey
 * that counts (its time and score; NULL: none).  Returns the rows kept (-1:
 * a customer whose events do not count) and in *ev, *has_event the survey
 * that counts as an event.
 */
static int64
survey_summary(const AdvRead *rd, Datum *values, bool *isnull, AdvEvent *ev, bool *has_event)
{
	int64		rows = DatumGetInt64(values[8]);

	memset(ev, 0, sizeof(*ev));
	*has_event = false;
	if (!id_member(&rd->customers, DatumGetInt64(values[0])))
		return -1;
	if (!isnull[9])
		ScrmCheckSurveyScore(DatumGetInt64(values[9]));
	if (rows > 0 && ScrmFindName(rd->kinds->t.name, rd->kinds->t.n, KIND_SURVEY, strlen(KIND_SURVEY)) < 0)
		unknown_kind(&rd->kinds->t, KIND_SURVEY, strlen(KIND_SURVEY));
	if (!isnull[10] && !isnull[11])
	{
		AdvInput	in;

		memset(&in, 0, sizeof(in));
		in.kind = KIND_SURVEY;
		in.kind_len = strlen(KIND_SURVEY);
		in.t = DatumGetTimestampTz(values[10]);
		in.full_form = true;
		in.has_score = true;
		in.score = DatumGetInt64(values[11]);
		*has_event = make_event(rd->kinds, &rd->params, &in, ev);
	}
	return rows;
}

/* A row of the wrapped surveys as a block of refresh_pushed */
static void
read_pushed_survey(void *arg, Datum *values, bool *isnull)
{
	PushedRead *pr = (PushedRead *) arg;
	AdvEvent	ev;
	bool		has_event;
	int64		rows = survey_summary(pr->rd, values, isnull, &ev, &has_event);

	if (rows < 0)
		return;
	add_block(pr, DatumGetInt64(values[0]), rows);
	if (has_event)
		add_survey_event(pr, &ev);
}

/*
 * A row of the wrapped surveys as rows of the events read here: the survey
 * that counts, and the other rows kept as rows without an event
 */
static void
read_summarised_survey(void *arg, Datum *values, bool *isnull)
{
	AdvRead    *rd = (AdvRead *) arg;
	AdvEvent	ev;
	bool		has_event;
	int64		rows = survey_summary(rd, values, isnull, &ev, &has_event);
	int64		i;

	for (i = 0; i < rows; i++)
	{
		AdvRow	   *row;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		rd->rows = ScrmGrow(&rd->budget, rd->rows, &rd->cap, rd->n, sizeof(AdvRow), 0);
		row = &rd->rows[rd->n++];
		row->customer = DatumGetInt64(values[0]);
		row->ev = ev;
		if (i > 0 || !has_event)
			row->ev.flags = ROW_NO_EVENT;
	}
}

/*
 * The configured surveys summarised per customer where they are, when
 * refresh pushes down and their query reads a distributed table (false:
 * not read)
 */
static bool
read_surveys_summarised(AdvRead *rd, ScrmRowCallback callback, void *arg)
{
	ScrmColumn	cols[SURVEY_SUMMARY_COLS];
	ScrmStoredInput sin;

	if (!ScrmPushdownInput("surveys", &sin))
		return false;
	memcpy(cols, survey_summary_cols, sizeof(cols));
	ScrmReadStoredGrouped(&sin, ScrmPushdownSurveys(&sin,
													DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(rd->params.as_of))),
													DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(rd->params.survey_from)))),
						  cols, SURVEY_SUMMARY_COLS, callback, arg);
	return true;
}

/* The surveys of customer into the scratch; returns the rows kept, *n the events */
static int64
take_surveys(PushedRead *pr, SurveyBlock *b, int64 *n)
{
	if (b->taken)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the wrapped interactions query gave customer %s twice", ScrmRunKeyOut(b->customer))));
	b->taken = true;
	memcpy(pr->sc.ev, pr->sev + b->first, sizeof(AdvEvent) * b->n);
	*n = b->n;
	return b->rows;
}

static void
invalid_summary(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid advocacy summary from the interactions query")));
}

/* One customer's array column of a summary, deconstructed; n: its length */
static Datum *
summary_array(Datum value, Oid elemtype, int len, bool byval, char align, bool **nulls, int *n)
{
	ArrayType  *a = DatumGetArrayTypeP(value);
	Datum	   *elems;

	if (ARR_ELEMTYPE(a) != elemtype || ARR_NDIM(a) > 1)
		invalid_summary();
	deconstruct_array(a, elemtype, len, byval, align, &elems, nulls, n);
	return elems;
}

/*
 * One row of the wrapped interactions (ScrmPushdownInteractions): the
 * customer, the counts read_grouped checks, then events kept, positive,
 * negative, distinct counterparties, converted, the five arrays of
 * scrm._advocacy_events and the counterparties' keys by number
 */
static void
read_pushed(void *arg, Datum *values, bool *isnull)
{
	PushedRead *pr = (PushedRead *) arg;
	AdvRead    *rd = pr->rd;
	int64		customer = DatumGetInt64(values[0]);
	AdvPushed	p;
	int64		rows = 0,
				n = 0;
	SurveyBlock key;
	SurveyBlock *b;
	MemoryContext old;

	if (!id_member(&rd->customers, customer))
		return;
	old = MemoryContextSwitchTo(pr->row_cxt);
	memset(&p, 0, sizeof(p));
	p.events = DatumGetInt64(values[7]);
	if (!isnull[8])
	{
		p.pos = DatumGetFloat8(values[8]);
		p.neg = DatumGetFloat8(values[9]);
		p.distinct = (int32) DatumGetInt64(values[10]);
		p.converted = DatumGetBool(values[11]);
	}
	if (!isnull[8] && !isnull[12])
	{
		bool	   *kn,
				   *an,
				   *wn,
				   *dn,
				   *pn,
				   *nn = NULL;
		int			nk,
					na,
					nw,
					nd,
					np,
					nnames = 0,
					e;
		Datum	   *kind = summary_array(values[12], INT4OID, 4, true, TYPALIGN_INT, &kn, &nk);
		Datum	   *at = summary_array(values[13], TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &an, &na);
		Datum	   *who = summary_array(values[14], INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &wn, &nw);
		Datum	   *damp = summary_array(values[15], INT4OID, 4, true, TYPALIGN_INT, &dn, &nd);
		Datum	   *pts = summary_array(values[16], FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &pn, &np);
		Datum	   *names = isnull[17] ? NULL :
			summary_array(values[17], TEXTOID, -1, false, TYPALIGN_INT, &nn, &nnames);

		if (na != nk || nw != nk || nd != nk || np != nk)
			invalid_summary();
		p.m = nk;
		p.e = palloc(sizeof(ExplainEvent) * Max(nk, 1));
		for (e = 0; e < nk; e++)
		{
			int64		w = wn[e] ? 0 : DatumGetInt64(who[e]);

			if ((e & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			if (kn[e] || an[e] || dn[e] || pn[e] ||
				DatumGetInt32(kind[e]) < 0 || DatumGetInt32(kind[e]) >= rd->kinds->t.n ||
				(!wn[e] && (w < 1 || w > nnames || nn[w - 1])))
				invalid_summary();
			p.e[e].kind = DatumGetInt32(kind[e]);
			p.e[e].at = DatumGetTimestampTz(at[e]);
			p.e[e].has_who = !wn[e];
			p.e[e].who_id = w;
			p.e[e].who = wn[e] ? (Datum) 0 : names[w - 1];
			p.e[e].damping = DatumGetInt32(damp[e]);
			p.e[e].points = DatumGetFloat8(pts[e]);
		}
	}
	/* the customer's surveys */
	key.customer = customer;
	b = pr->nblocks > 0 ? bsearch(&key, pr->blocks, pr->nblocks, sizeof(SurveyBlock), block_cmp) : NULL;
	if (b)
		rows = take_surveys(pr, b, &n);
	emit_customer(rd, pr->rsinfo, &pr->sc, customer, rows, n, true, &p);
	MemoryContextSwitchTo(old);
	MemoryContextReset(pr->row_cxt);
}

/*
 * The configured events with the interactions summarised where they are
 * (a Citus cluster's workers): the surveys summarised there too when their
 * query reads a distributed table (one row per customer: the survey that
 * counts), else read here; each interactions row merged with its
 * customer's surveys as it arrives, then the customers with surveys only
 */
static void
refresh_pushed(AdvRead *rd, const ScrmStoredInput *in, Interval *half_life, ReturnSetInfo *rsinfo)
{
	ScrmColumn	cols[18] = {
		{"customer", SCRM_COL_KEY, true},
		{"rows", SCRM_COL_ID, true},
		{"null_time", SCRM_COL_ID, true},
		{"infinite_time", SCRM_COL_ID, true},
		{"after_as_of", SCRM_COL_ID, true},
		{"time_from", SCRM_COL_TIMESTAMPTZ, true},
		{"time_to", SCRM_COL_TIMESTAMPTZ, true},
		{"events", SCRM_COL_ID, true},
		{"positive", SCRM_COL_FLOAT, true},
		{"negative", SCRM_COL_FLOAT, true},
		{"distinct_counterparties", SCRM_COL_ID, true},
		{"converted", SCRM_COL_BOOL, true},
		{"event_kind", SCRM_COL_ARRAY, true},
		{"event_at", SCRM_COL_ARRAY, true},
		{"event_counterparty", SCRM_COL_ARRAY, true},
		{"event_damping", SCRM_COL_ARRAY, true},
		{"event_points", SCRM_COL_ARRAY, true},
		{"counterparty_keys", SCRM_COL_ARRAY, true},
	};
	const char *as_of = DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(rd->params.as_of)));
	PushedRead	pr;
	MemoryContext old;
	int64		i,
				n = 1;

	memset(&pr, 0, sizeof(pr));
	pr.rd = rd;
	pr.rsinfo = rsinfo;
	if (!read_surveys_summarised(rd, read_pushed_survey, &pr))
	{
		read_configured_surveys(rd);
		surveys_from_rows(&pr);
	}
	if (pr.nblocks > 1)
		qsort(pr.blocks, pr.nblocks, sizeof(SurveyBlock), block_cmp);
	for (i = 0; i < pr.nblocks; i++)
		n = Max(n, pr.blocks[i].n);
	scratch_init(rd, &pr.sc, n);
	pr.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm advocacy row",
									   ALLOCSET_DEFAULT_SIZES);
	ScrmReadStoredGrouped(in, ScrmPushdownInteractions(in, &rd->kinds->t, as_of,
														DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(half_life))),
														rd->excluded.all ? NULL : rd->excluded.ids,
														rd->excluded.all ? 0 : rd->excluded.n),
						  cols, lengthof(cols), read_pushed, &pr);
	for (i = 0; i < pr.nblocks; i++)
	{
		int64		rows;

		if (pr.blocks[i].taken)
			continue;
		CHECK_FOR_INTERRUPTS();
		rows = take_surveys(&pr, &pr.blocks[i], &n);
		old = MemoryContextSwitchTo(pr.row_cxt);
		emit_customer(rd, rsinfo, &pr.sc, pr.blocks[i].customer, rows, n, true, NULL);
		MemoryContextSwitchTo(old);
		MemoryContextReset(pr.row_cxt);
	}
	MemoryContextDelete(pr.row_cxt);
}

/*
 * scrm._refresh_advocacy(events, as_of, half_life, customers, excluded)
 *	 RETURNS TABLE (customer, events, net, valence, distinct_counterparties,
 *					converted, survey_score, positive, negative, event_kind,
 *					event_at, event_counterparty, event_damping, event_points)
 * scrm.advocacy of every customer of an events query (customer, kind,
 * occurred_at, counterparty, audience, score; NULL: the configured
 * interactions and surveys, run as the role that configured them), as
 *	 SELECT customer, count(*), scrm.advocacy(kind, occurred_at, as_of,
 *		 counterparty, audience, half_life, customer, score) ...
 *	 WHERE customer = ANY (customers)
 *	   AND (counterparty IS NULL OR counterparty <> ALL (excluded))
 *	 GROUP BY customer
 * computes it (NULL lists: no filter), with the survey score that counts
 * (NULL if none), the positive and negative sums and the events that
 * counted (explain_arrays), computed by sorting the events in memory rather
 * than through a hash aggregate.  Needs 48 bytes per event, and 100 more
 * for each event of the customer with the most, within scrm.max_memory; beyond that it fails with 54000 and scrm.refresh uses
 * the aggregate.  When refresh pushes its per-customer work down
 * (pushdown.c), the configured interactions are summarised per customer
 * where they are, and so are the surveys when their query reads a Citus
 * distributed table (refresh_pushed).
 */
Datum
scrm_refresh_advocacy(PG_FUNCTION_ARGS)
{
	const char *query = PG_ARGISNULL(0) ? NULL : ScrmTextArg(fcinfo, 0, "events");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScrmColumn	cols[6] = {
		{"customer", SCRM_COL_KEY, true},
		{"kind", SCRM_COL_TEXT, true},
		{"occurred_at", SCRM_COL_TIMESTAMPTZ, true},
		{"counterparty", SCRM_COL_KEY, false},
		{"audience", SCRM_COL_ID, false},
		{"score", SCRM_COL_ID, false},
	};
	AdvRead		rd;
	AdvScratch	sc;
	ScrmStoredInput stored;
	MemoryContext row_cxt;
	TimestampTz as_of;
	double		half_life;
	int64		i,
				j;

	as_of = PG_ARGISNULL(1) ? 0 : PG_GETARG_TIMESTAMPTZ(1);
	half_life = PG_ARGISNULL(2) ? 0.0 : ScrmIntervalSeconds(PG_GETARG_INTERVAL_P(2));
	check_params(PG_ARGISNULL(1) || PG_ARGISNULL(2), as_of, half_life);
	InitMaterializedSRF(fcinfo, 0);

	memset(&rd, 0, sizeof(rd));
	rd.kinds = load_kinds(fcinfo);
	set_params(&rd.params, as_of, half_life, minus_interval(as_of, EVENT_HORIZON_MONTHS, 0),
			   minus_interval(as_of, 0, SURVEY_WINDOW_DAYS));
	id_set(fcinfo, 3, &rd.customers);
	id_set(fcinfo, 4, &rd.excluded);
	ScrmBudgetInit(&rd.budget, "the advocacy events");
	if (query == NULL && ScrmPushdownInput("interactions", &stored))
	{
		refresh_pushed(&rd, &stored, PG_GETARG_INTERVAL_P(2), rsinfo);
		ScrmBudgetRelease(&rd.budget);
		PG_RETURN_NULL();
	}
	if (query)
		ScrmReadQuery(query, "events", cols, 6, read_event, &rd, &rd.rows_estimate);
	else
		read_configured_events(&rd);
	sort_rows(&rd, &sc);
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm advocacy row",
									ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < rd.n; i = j)
	{
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		for (j = i + 1; j < rd.n && rd.rows[j].customer == rd.rows[i].customer; j++)
			;
		old = MemoryContextSwitchTo(row_cxt);
		emit_customer(&rd, rsinfo, &sc, rd.rows[i].customer, j - i,
					  customer_events(&rd, &sc, i, j), query == NULL, NULL);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
	}
	MemoryContextDelete(row_cxt);
	ScrmBudgetRelease(&rd.budget);
	PG_RETURN_NULL();
}
