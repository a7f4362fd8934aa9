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
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_advocacy_trans);
PG_FUNCTION_INFO_V1(scrm_advocacy_combine);
PG_FUNCTION_INFO_V1(scrm_advocacy_serialize);
PG_FUNCTION_INFO_V1(scrm_advocacy_deserialize);
PG_FUNCTION_INFO_V1(scrm_advocacy_final);

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

/* The kind table as read for one query, sorted by name (C collation) */
typedef struct AdvKinds
{
	int			n;
	char	  **name;
	double	   *weight;
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

/* Read scrm.advocacy_kind into the function's long-lived context */
static AdvKinds *
load_kinds(FunctionCallInfo fcinfo)
{
	AdvKinds   *k = (AdvKinds *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	uint64		i;
	int			j;

	if (k != NULL)
		return k;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT kind, weight::float8 FROM scrm.advocacy_kind "
					"ORDER BY kind COLLATE \"C\"", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read scrm.advocacy_kind");
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	k = palloc0(sizeof(AdvKinds));
	k->n = (int) SPI_processed;
	k->name = palloc0(sizeof(char *) * Max(k->n, 1));
	k->weight = palloc0(sizeof(double) * Max(k->n, 1));
	k->flags = palloc0(sizeof(int16) * Max(k->n, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		w;
		char	   *name = SPI_getvalue(tup, desc, 1);
		size_t		len;

		w = SPI_getbinval(tup, desc, 2, &isnull);
		if (name == NULL || isnull || !isfinite(DatumGetFloat8(w)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scrm.advocacy_kind has a row without a kind or a finite weight")));
		k->name[i] = pstrdup(name);
		k->weight[i] = DatumGetFloat8(w);
		len = strlen(name);
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
	MemoryContextSwitchTo(old);
	SPI_finish();
	fcinfo->flinfo->fn_extra = k;
	return k;
}

static int
find_kind(const AdvKinds *k, const char *name)
{
	int			lo = 0,
				hi = k->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(name, k->name[mid]);

		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

static void
unknown_kind(const AdvKinds *k, const char *name)
{
	StringInfoData known;
	int			i;

	initStringInfo(&known);
	for (i = 0; i < k->n; i++)
		appendStringInfo(&known, "%s%s", i > 0 ? ", " : "", k->name[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown advocacy kind \"%s\"", name),
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

/*
 * transition: (state, kind, occurred_at, as_of [, counterparty, audience
 * [, half_life [, customer, score]]])
 */
Datum
scrm_advocacy_trans(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	MemoryContext aggcxt;
	AdvState   *st;
	AdvKinds   *kinds;
	AdvEvent	ev;
	TimestampTz as_of;
	double		half_life = 180.0 * SECS_PER_DAY;
	char	   *kind_name;
	int			kind;
	int16		kflags;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "advocacy transition function called in non-aggregate context");
	st = PG_ARGISNULL(0) ? MemoryContextAllocZero(aggcxt, sizeof(AdvState)) :
		(AdvState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(3) || (nargs > 6 && PG_ARGISNULL(6)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of and half_life of advocacy must not be null")));
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
	if (nargs > 6)
		half_life = ScrmIntervalSeconds(PG_GETARG_INTERVAL_P(6));
	if (!(half_life > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("half_life must be a positive interval")));
	if (st->have_params)
		set_params(st, as_of, half_life, st->oldest, st->survey_from);
	else
		set_params(st, as_of, half_life, minus_interval(as_of, EVENT_HORIZON_MONTHS, 0),
				   minus_interval(as_of, 0, SURVEY_WINDOW_DAYS));

	/* rows without a kind or a time carry no event, as aggregates skip NULLs */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);

	kinds = load_kinds(fcinfo);
	kind_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	kind = find_kind(kinds, kind_name);
	if (kind < 0)
		unknown_kind(kinds, kind_name);
	kflags = kinds->flags[kind];

	memset(&ev, 0, sizeof(ev));
	ev.t = PG_GETARG_TIMESTAMPTZ(2);
	ev.kind = kind;
	ev.flags = kflags & EV_ALL_FLAGS;
	ev.score = -1;
	ev.base = kinds->weight[kind];
	if (nargs > 4 && !PG_ARGISNULL(4))
	{
		ev.counterparty = PG_GETARG_INT64(4);
		ev.flags |= EV_HAS_COUNTERPARTY;
	}
	if (nargs > 5 && !PG_ARGISNULL(5))
	{
		int64		audience = PG_GETARG_INT64(5);

		if (audience < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("audience must not be negative"),
					 errdetail("audience is %lld.", (long long) audience)));
		if (kflags & KIND_REACH)
			ev.base *= Min(4.0, 1.0 + log10(1.0 + (double) audience));
	}
	if (kflags & EV_SURVEY)
	{
		int32		score;

		if (nargs < 9)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a survey event needs its score"),
					 errhint("Use scrm.advocacy(kind, occurred_at, as_of, counterparty, audience, half_life, customer, score).")));
		if (PG_ARGISNULL(8))
			PG_RETURN_POINTER(st);	/* an unanswered survey */
		score = PG_GETARG_INT32(8);
		ScrmCheckSurveyScore(score);
		ev.score = (int16) score;
		ev.base *= score >= 9 ? 1.0 : (score >= 7 ? 0.0 : -1.0);
	}
	/* self-events: the customer as their own counterparty */
	if (nargs > 7 && !PG_ARGISNULL(7) && (ev.flags & EV_HAS_COUNTERPARTY) &&
		ev.counterparty == PG_GETARG_INT64(7))
		PG_RETURN_POINTER(st);
	if (ev.t > st->as_of || ev.t < st->oldest)
		PG_RETURN_POINTER(st);
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

/* final: the scrm.advocacy_summary */
Datum
scrm_advocacy_final(PG_FUNCTION_ARGS)
{
	AdvState   *st = PG_ARGISNULL(0) ? NULL : (AdvState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	AdvEvent   *ev = NULL;
	int64	   *helped = NULL;
	int64		n = st ? st->n : 0,
				nhelped = 0,
				distinct = 0,
				i,
				first = 0;
	int			survey = -1;	/* index of the survey that counts */
	bool		converted = false;
	double		pos = 0.0,
				neg = 0.0,
				net;
	int			score,
				detractor;
	const char *label;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "advocacy must return a composite type");
	if (n > 0)
	{
		/* sort a copy (the state may be finalised again, e.g. in a window) */
		ev = palloc(n * sizeof(AdvEvent));
		memcpy(ev, st->ev, n * sizeof(AdvEvent));
		qsort(ev, n, sizeof(AdvEvent), event_cmp);
		helped = palloc(n * sizeof(int64));
	}
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
				survey = (int) i;
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
		if (contrib > 0.0)
			pos += contrib;
		else
			neg -= contrib;
		if ((ev[i].flags & EV_HELPING) && (ev[i].flags & EV_HAS_COUNTERPARTY))
			helped[nhelped++] = ev[i].counterparty;
		if (ev[i].flags & EV_CONVERTED)
			converted = true;
	}
	if (survey >= 0)
	{
		double		contrib = ev[survey].base *
			exp2(-((double) (st->as_of - ev[survey].t) / USECS_PER_SEC) / st->half_life);

		if (contrib > 0.0)
			pos += contrib;
		else
			neg -= contrib;
	}
	if (nhelped > 0)
	{
		qsort(helped, nhelped, sizeof(int64), ScrmCmpInt64);
		for (i = 0; i < nhelped; i++)
			if (i == 0 || helped[i] != helped[i - 1])
				distinct++;
	}
	net = pos - neg;
	score = (int) rint(100.0 * (1.0 - exp(-Max(net, 0.0) / ADVOCACY_SCALE)));
	detractor = (int) rint(100.0 * (1.0 - exp(-Max(-net, 0.0) / ADVOCACY_SCALE)));
	if (score >= 60 && (distinct >= 2 || converted))
		label = "advocate";
	else if (survey >= 0 && ev[survey].score >= 9 && score < 30)
		label = "promoter_only";
	else if (detractor >= 40)
		label = "detractor";
	else
		label = "neutral";

	values[0] = Float8GetDatum(pos);
	values[1] = Float8GetDatum(neg);
	values[2] = Float8GetDatum(net);
	values[3] = Int32GetDatum(score);
	values[4] = Int32GetDatum(detractor);
	values[5] = Float8GetDatum(1.0 - 2.0 * neg / (pos + neg + 2.0));
	values[6] = Int32GetDatum((int32) distinct);
	values[7] = CStringGetTextDatum(label);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
