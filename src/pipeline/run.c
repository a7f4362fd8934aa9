/*-------------------------------------------------------------------------
 *
 * run.c
 *	  The data of one refresh: the customers' keys and the data check.
 *
 * A refresh (or scrm.check) starts a run.  The run reads the customers
 * input first: its keys, of whatever type the CRM uses, go into a
 * dictionary (keys.c) numbered in key order, which every other input of the
 * run encodes its keys with.  Integer keys stay themselves.  Then each
 * stored input is read through one place, ScrmReadStored, which applies the
 * rules for messy rows before a step sees them and counts what it read,
 * used and skipped, by reason:
 *
 *	 every input	a NULL key (null_key); a key the customers query does not
 *					list (unknown_customer) in the customer columns: customer,
 *					source and target, referrer and referred (a counterparty
 *					may be anyone)
 *	 relationships,	source = target or referrer = referred (self_tie)
 *	 referrals
 *	 purchases,		a NULL time (null_time), an infinite one (infinite_time),
 *	 interactions,	one after as_of (after_as_of; for purchases, after the
 *	 surveys		as_of day, as the RFM summary counts occasions by day)
 *	 purchases		a NULL amount (null_amount), NaN or infinite
 *					(non_finite_amount); negative amounts are refunds and are
 *					used (clv_rfm.c nets them)
 *	 surveys		a NULL score (null_score)
 *	 segments		(scrm.tier_audit at refresh) the customer rules only
 *	 contracts		started_at as a time (null_time, infinite_time,
 *					after_as_of); an ended_at before started_at
 *					(ends_before_start); a NaN or infinite amount
 *					(non_finite_amount; NULL is no amount)
 *
 * The customers query itself must give each customer once with a key: a
 * NULL key (22004) or a key twice (22023, naming it) is an error, since
 * either would make every other input ambiguous.  The counts go to
 * scrm.refresh_log and to scrm.check().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "input.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_refresh_customers);
PG_FUNCTION_INFO_V1(scrm_refresh_check);
PG_FUNCTION_INFO_V1(scrm_check);

/* Why a row was skipped */
typedef enum SkipReason
{
	SKIP_NULL_KEY,
	SKIP_UNKNOWN_CUSTOMER,
	SKIP_SELF_TIE,
	SKIP_NULL_TIME,
	SKIP_INFINITE_TIME,
	SKIP_AFTER_AS_OF,
	SKIP_NULL_AMOUNT,
	SKIP_NON_FINITE_AMOUNT,
	SKIP_NULL_SCORE,
	SKIP_ENDS_BEFORE_START,
	N_SKIP
} SkipReason;

static const char *const skip_names[N_SKIP] = {
	"null_key", "unknown_customer", "self_tie", "null_time", "infinite_time",
	"after_as_of", "null_amount", "non_finite_amount", "null_score",
	"ends_before_start"
};

/* The rules of one input: column positions as in pipeline.c (-1: none) */
typedef struct InputRules
{
	const char *name;
	int			customer[2];	/* columns that must name known customers */
	bool		self_tie;		/* customer[0] = customer[1] is skipped */
	int			time;			/* required time column */
	bool		by_day;			/* after_as_of by local day */
	int			amount;
	bool		amount_nullable;	/* a NULL amount is used (no amount) */
	int			score;
	int			end_time;		/* optional end, not before time (-1: none) */
} InputRules;

static const InputRules rules[] = {
	{"customers", {0, -1}, false, -1, false, -1, false, -1, -1},
	{"purchases", {0, -1}, false, 1, true, 2, false, -1, -1},
	{"relationships", {0, 1}, true, -1, false, -1, false, -1, -1},
	{"interactions", {0, -1}, false, 2, false, -1, false, -1, -1},
	{"referrals", {0, 1}, true, -1, false, -1, false, -1, -1},
	{"surveys", {0, -1}, false, 2, false, -1, false, 1, -1},
	{"segments", {0, -1}, false, -1, false, -1, false, -1, -1},
	{"contracts", {0, -1}, false, 1, false, 3, true, -1, 2},
};

#define N_INPUTS lengthof(rules)

/* What one input of the run read */
typedef struct InputCheck
{
	bool		read;
	Oid			key_type;
	int64		rows_read;
	int64		rows_used;
	int64		skipped[N_SKIP];
	bool		have_time;
	TimestampTz time_from;
	TimestampTz time_to;
	bool		pushed_down;	/* summarised where the rows are (pushdown.c) */
	int64		rows_received;	/* rows that reached this node, then */
} InputCheck;

/* The run of the current transaction */
typedef struct ScrmRun
{
	MemoryContext cxt;
	TimestampTz as_of;
	int32		as_of_day;		/* local day of as_of */
	bool		bounded;		/* day_after is set (as_of finite, far from the range ends) */
	TimestampTz day_after;		/* about when the local day after as_of's begins */
	ScrmKeys   *keys;			/* customer keys (codes for non-integers) */
	int64	   *ids;			/* integer keys: the customers, ascending */
	int64		nids;
	uint64	   *bits;			/* and as a bitmap over ids[0]..ids[nids - 1] */
	uint64		range;
	InputCheck	check[N_INPUTS];
	MemoryContextCallback gone;
} ScrmRun;

static ScrmRun *run = NULL;

static void
run_gone(void *arg)
{
	if (run == arg)
		run = NULL;
}

/* The local calendar day of ts (session time zone) */
static int32
local_day(TimestampTz ts)
{
	Timestamp	local = DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp,
															  TimestampTzGetDatum(ts)));

	return (int32) floor((double) local / USECS_PER_DAY);
}

/*
 * Is t's local day after as_of's?  Far from the day's end (two days: UTC
 * offsets span 26 hours) a comparison of instants tells; near it, the
 * local day itself, as the RFM summary counts it.
 */
static inline bool
after_as_of_day(TimestampTz t)
{
	if (!run->bounded)
		return local_day(t) > run->as_of_day;
	if (t < run->day_after - 2 * USECS_PER_DAY)
		return false;
	if (t >= run->day_after + 2 * USECS_PER_DAY)
		return true;
	return local_day(t) > run->as_of_day;
}

/* Start a run as of as_of, replacing any run of this transaction */
static void
run_start(TimestampTz as_of)
{
	MemoryContext cxt;
	int32		as_of_day = 0;
	bool		bounded = false;
	TimestampTz day_after = 0;

	/* what can fail first, while the run of before still stands */
	if (!TIMESTAMP_NOT_FINITE(as_of))
	{
		Timestamp	next = (Timestamp) (local_day(as_of) + 1) * USECS_PER_DAY;

		as_of_day = local_day(as_of);
		if (IS_VALID_TIMESTAMP(next - 2 * USECS_PER_DAY) &&
			IS_VALID_TIMESTAMP(next + 2 * USECS_PER_DAY))
		{
			day_after = DatumGetTimestampTz(DirectFunctionCall1(timestamp_timestamptz,
																TimestampGetDatum(next)));
			bounded = IS_VALID_TIMESTAMP(day_after - 2 * USECS_PER_DAY) &&
				IS_VALID_TIMESTAMP(day_after + 2 * USECS_PER_DAY);
		}
	}
	if (run)
		MemoryContextDelete(run->cxt);	/* its callback clears run */
	cxt = AllocSetContextCreate(CurTransactionContext, "social_crm refresh run",
								ALLOCSET_DEFAULT_SIZES);
	run = MemoryContextAllocZero(cxt, sizeof(ScrmRun));
	run->cxt = cxt;
	run->gone.func = run_gone;
	run->gone.arg = run;
	MemoryContextRegisterResetCallback(cxt, &run->gone);
	run->as_of = as_of;
	run->as_of_day = as_of_day;
	run->bounded = bounded;
	run->day_after = day_after;
}

static int
rules_index(const char *input)
{
	int			i;

	for (i = 0; i < (int) N_INPUTS; i++)
		if (strcmp(rules[i].name, input) == 0)
			return i;
	elog(ERROR, "unknown pipeline input \"%s\"", input);
	return -1;
}

/* One customer row as the customers input reads it */
typedef struct CustomerRow
{
	int64		id;
	bool		consent_null;
	bool		consent;
} CustomerRow;

typedef struct CustomerLoad
{
	ScrmColumn *cols;
	CustomerRow *rows;
	int64		n;
	int64		cap;
	ScrmBudget *budget;
} CustomerLoad;

static void
customer_duplicate(const char *key)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("customer %s appears more than once in the customers query", key),
			 errhint("Give each customer exactly one row.")));
}

static void
load_customer(void *arg, Datum *values, bool *isnull)
{
	CustomerLoad *cl = (CustomerLoad *) arg;
	CustomerRow r;

	if (isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customers query returned a null customer"),
				 errhint("Filter the nulls out, e.g. WHERE customer IS NOT NULL.")));
	r.id = DatumGetInt64(values[0]);
	r.consent_null = isnull[1];
	r.consent = isnull[1] ? false : DatumGetBool(values[1]);
	cl->rows = ScrmGrow(cl->budget, cl->rows, &cl->cap, cl->n, sizeof(CustomerRow), 0.0);
	cl->rows[cl->n++] = r;
}

static int
cmp_customer_row(const void *a, const void *b)
{
	return ScrmCmpInt64(&((const CustomerRow *) a)->id, &((const CustomerRow *) b)->id);
}

/*
 * Start a run and read the customers input: the key dictionary of the run,
 * frozen in key order.  Returns the customers, ascending by id, in *rows.
 */
static int64
run_load_customers(TimestampTz as_of, ScrmBudget *budget, CustomerRow **rows)
{
	ScrmColumn	cols[2] = {
		{"customer", SCRM_COL_KEY, true},
		{"social_consent", SCRM_COL_BOOL, false},
	};
	CustomerLoad cl;
	InputCheck *c;
	int64		i;
	MemoryContext old;

	run_start(as_of);
	old = MemoryContextSwitchTo(run->cxt);
	run->keys = ScrmKeysCreate(InvalidOid, InvalidOid);	/* typed by the query */
	MemoryContextSwitchTo(old);
	memset(&cl, 0, sizeof(cl));
	cl.budget = budget;
	cols[0].keys = run->keys;
	cl.cols = cols;
	if (!ScrmReadStoredRaw("customers", cols, 2, load_customer, &cl, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("social_crm is not configured"),
				 errhint("Call scrm.configure(customers, purchases, ...) first.")));
	/* a key twice is an error: two rows with one id (or code) */
	if (cl.n > 1)
		ScrmSort(cl.rows, cl.n, sizeof(CustomerRow), cmp_customer_row);
	CHECK_FOR_INTERRUPTS();
	for (i = 1; i < cl.n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (cl.rows[i].id == cl.rows[i - 1].id)
			customer_duplicate(ScrmKeysOut(run->keys, cl.rows[i].id));
	}
	if (!ScrmKeysInteger(run->keys))
	{
		/* number the keys in key order */
		int32	   *map;

		old = MemoryContextSwitchTo(run->cxt);
		map = ScrmKeysFreeze(run->keys);
		MemoryContextSwitchTo(old);
		for (i = 0; i < cl.n; i++)
			cl.rows[i].id = map[cl.rows[i].id];
		pfree(map);
		if (cl.n > 1)
			ScrmSort(cl.rows, cl.n, sizeof(CustomerRow), cmp_customer_row);
	}
	else
	{
		run->ids = MemoryContextAllocHuge(run->cxt, sizeof(int64) * Max(cl.n, 1));
		for (i = 0; i < cl.n; i++)
			run->ids[i] = cl.rows[i].id;
		run->nids = cl.n;
		/* a compact range (serial ids): a bitmap, one probe per row */
		if (cl.n > 0)
		{
			uint64		range = (uint64) run->ids[cl.n - 1] - (uint64) run->ids[0];

			if (range < (uint64) Max(cl.n, 1024) * 64)
			{
				run->range = range;
				run->bits = MemoryContextAllocZero(run->cxt, sizeof(uint64) * (range / 64 + 1));
				for (i = 0; i < cl.n; i++)
				{
					uint64		b = (uint64) run->ids[i] - (uint64) run->ids[0];

					if ((i & 0xFFFF) == 0)
						CHECK_FOR_INTERRUPTS();

					run->bits[b / 64] |= UINT64CONST(1) << (b % 64);
				}
			}
		}
	}
	c = &run->check[rules_index("customers")];
	c->read = true;
	c->key_type = cols[0].typid;
	c->rows_read = c->rows_used = cl.n;
	*rows = cl.rows;
	return cl.n;
}

/* Start a run as of as_of: its customers, their rows not needed */
static void
run_begin(TimestampTz as_of)
{
	ScrmBudget	budget;
	CustomerRow *rows;

	ScrmBudgetInit(&budget, "customers");
	(void) run_load_customers(as_of, &budget, &rows);
	ScrmBudgetRelease(&budget);
}

/* Is id a customer of the run? */
static bool
run_knows(int64 id)
{
	if (ScrmKeysInteger(run->keys))
	{
		uint64		b;

		if (run->bits == NULL)
			return ScrmFindInt64(run->ids, run->nids, id) >= 0;
		b = (uint64) id - (uint64) run->ids[0];
		return b <= run->range && (run->bits[b / 64] & (UINT64CONST(1) << (b % 64))) != 0;
	}
	return ScrmKeysKnown(run->keys, id);
}

/*
 * The key of customer id of the run as text (as scrm.customer_score's
 * customer_key), palloc'd
 */
char *
ScrmRunKeyOut(int64 id)
{
	/* outside a refresh (a graph built for a test), the ids are the keys */
	return ScrmKeysOut(run ? run->keys : NULL, id);
}

/* The reason to skip a row of input r, or -1 to use it */
static int
classify(const InputRules *r, Datum *values, bool *isnull)
{
	int			i;

	for (i = 0; i < 2; i++)
	{
		int			c = r->customer[i];

		if (c < 0)
			continue;
		if (isnull[c])
			return SKIP_NULL_KEY;
		if (!run_knows(DatumGetInt64(values[c])))
			return SKIP_UNKNOWN_CUSTOMER;
	}
	if (r->self_tie && DatumGetInt64(values[r->customer[0]]) ==
		DatumGetInt64(values[r->customer[1]]))
		return SKIP_SELF_TIE;
	if (r->time >= 0)
	{
		TimestampTz t;

		if (isnull[r->time])
			return SKIP_NULL_TIME;
		t = DatumGetTimestampTz(values[r->time]);
		if (TIMESTAMP_NOT_FINITE(t))
			return SKIP_INFINITE_TIME;
		if (r->by_day ? after_as_of_day(t) : t > run->as_of)
			return SKIP_AFTER_AS_OF;
	}
	if (r->amount >= 0)
	{
		if (isnull[r->amount])
		{
			if (!r->amount_nullable)
				return SKIP_NULL_AMOUNT;
		}
		else if (!isfinite(DatumGetFloat8(values[r->amount])))
			return SKIP_NON_FINITE_AMOUNT;
	}
	if (r->score >= 0 && isnull[r->score])
		return SKIP_NULL_SCORE;
	if (r->end_time >= 0 && !isnull[r->end_time] &&
		DatumGetTimestampTz(values[r->end_time]) < DatumGetTimestampTz(values[r->time]))
		return SKIP_ENDS_BEFORE_START;
	return -1;
}

/* A stored input read through the rules */
typedef struct StoredRead
{
	const InputRules *rules;
	InputCheck *check;
	ScrmRowCallback callback;
	void	   *arg;
} StoredRead;

static void
read_checked(void *arg, Datum *values, bool *isnull)
{
	StoredRead *sr = (StoredRead *) arg;
	InputCheck *c = sr->check;
	int			reason = classify(sr->rules, values, isnull);

	c->rows_read++;
	if (reason >= 0)
	{
		c->skipped[reason]++;
		return;
	}
	c->rows_used++;
	if (sr->rules->time >= 0)
	{
		TimestampTz t = DatumGetTimestampTz(values[sr->rules->time]);

		if (!c->have_time || t < c->time_from)
			c->time_from = t;
		if (!c->have_time || t > c->time_to)
			c->time_to = t;
		c->have_time = true;
	}
	if (sr->callback)
		sr->callback(sr->arg, values, isnull);
}

/*
 * Run the stored query of a pipeline input (scrm.config) as the role that
 * configured it, its keys encoded with the run's customer dictionary and
 * its rows through the rules above; the callback sees only the rows used.
 * Without a run (a step called on its own) one starts as of the start of
 * the transaction.  The customers input starts a run.  Returns false,
 * reading nothing, when the input is not configured.
 */
bool
ScrmReadStored(const char *input, ScrmColumn *cols, int ncols,
			   ScrmRowCallback callback, void *arg, double *rows_estimate)
{
	int			idx = rules_index(input);
	StoredRead	sr;
	InputCheck *c;
	int			i;

	if (idx == 0)
	{
		/* the customers: (customer, social_consent) of a new run */
		ScrmBudget	budget;
		CustomerRow *rows;
		int64		n,
					k;

		ScrmBudgetInit(&budget, "customers");
		n = run_load_customers(run ? run->as_of : GetCurrentTransactionStartTimestamp(),
							   &budget, &rows);
		for (k = 0; k < n; k++)
		{
			Datum		values[2];
			bool		isnull[2];

			values[0] = Int64GetDatum(rows[k].id);
			values[1] = BoolGetDatum(rows[k].consent);
			isnull[0] = false;
			isnull[1] = rows[k].consent_null;
			callback(arg, values, isnull);
		}
		ScrmBudgetRelease(&budget);
		return true;
	}
	if (run == NULL)
		run_begin(GetCurrentTransactionStartTimestamp());
	c = &run->check[idx];
	memset(c, 0, sizeof(InputCheck));
	for (i = 0; i < ncols; i++)
		if (cols[i].type == SCRM_COL_KEY)
			cols[i].keys = run->keys;
	sr.rules = &rules[idx];
	sr.check = c;
	sr.callback = callback;
	sr.arg = arg;
	if (!ScrmReadStoredRaw(input, cols, ncols, read_checked, &sr, rows_estimate))
		return false;
	c->read = true;
	c->key_type = cols[0].typid;
	return true;
}

/*
 * A stored input read grouped by customer (pushdown.c): each row is one
 * customer's summary with its rows counted ("rows") and the rows skipped by
 * reason (columns named as the reasons); the customer rules apply to the
 * group as a whole.
 */
typedef struct GroupedRead
{
	InputCheck *check;
	int			rows_col;
	int			reason_col[N_SKIP];
	int			from_col;
	int			to_col;
	ScrmRowCallback callback;
	void	   *arg;
} GroupedRead;

static void
read_grouped(void *arg, Datum *values, bool *isnull)
{
	GroupedRead *gr = (GroupedRead *) arg;
	InputCheck *c = gr->check;
	int64		rows = DatumGetInt64(values[gr->rows_col]);
	int64		used = rows;
	int			k;

	c->rows_read += rows;
	c->rows_received++;
	if (isnull[0])
	{
		c->skipped[SKIP_NULL_KEY] += rows;
		return;
	}
	if (!run_knows(DatumGetInt64(values[0])))
	{
		c->skipped[SKIP_UNKNOWN_CUSTOMER] += rows;
		return;
	}
	for (k = 0; k < N_SKIP; k++)
		if (gr->reason_col[k] >= 0)
		{
			int64		n = DatumGetInt64(values[gr->reason_col[k]]);

			c->skipped[k] += n;
			used -= n;
		}
	c->rows_used += used;
	if (used == 0)
		return;
	if (!isnull[gr->from_col])
	{
		TimestampTz from = DatumGetTimestampTz(values[gr->from_col]);
		TimestampTz to = DatumGetTimestampTz(values[gr->to_col]);

		if (!c->have_time || from < c->time_from)
			c->time_from = from;
		if (!c->have_time || to > c->time_to)
			c->time_to = to;
		c->have_time = true;
	}
	gr->callback(gr->arg, values, isnull);
}

/*
 * ScrmReadStored for query, the stored input in wrapped into one row per
 * customer (see read_grouped): cols[0] the customer, then "rows", the
 * reason counts, "time_from" and "time_to", then what the callback reads.
 */
void
ScrmReadStoredGrouped(const ScrmStoredInput *in, const char *query,
					  ScrmColumn *cols, int ncols, ScrmRowCallback callback, void *arg)
{
	int			idx = rules_index(in->input);
	GroupedRead gr;
	InputCheck *c;
	int			i,
				k;

	if (run == NULL)
		run_begin(GetCurrentTransactionStartTimestamp());
	c = &run->check[idx];
	memset(c, 0, sizeof(InputCheck));
	memset(&gr, 0, sizeof(gr));
	gr.rows_col = gr.from_col = gr.to_col = -1;
	for (k = 0; k < N_SKIP; k++)
		gr.reason_col[k] = -1;
	for (i = 0; i < ncols; i++)
	{
		if (cols[i].type == SCRM_COL_KEY)
			cols[i].keys = run->keys;
		if (strcmp(cols[i].name, "rows") == 0)
			gr.rows_col = i;
		else if (strcmp(cols[i].name, "time_from") == 0)
			gr.from_col = i;
		else if (strcmp(cols[i].name, "time_to") == 0)
			gr.to_col = i;
		for (k = 0; k < N_SKIP; k++)
			if (strcmp(cols[i].name, skip_names[k]) == 0)
				gr.reason_col[k] = i;
	}
	Assert(gr.rows_col > 0 && gr.from_col > 0 && gr.to_col > 0);
	gr.check = c;
	gr.callback = callback;
	gr.arg = arg;
	ScrmReadStoredWrapped(in, query, cols, ncols, read_grouped, &gr);
	c->read = true;
	c->pushed_down = true;
	c->key_type = cols[0].typid;
}

/* Append {"reason": n, ...} of the rows c skipped; returns their total */
static int64
append_skipped(StringInfo buf, const InputCheck *c)
{
	int64		total = 0;
	int			k;

	appendStringInfoChar(buf, '{');
	for (k = 0; k < N_SKIP; k++)
		if (c->skipped[k] > 0)
		{
			appendStringInfo(buf, "%s\"%s\": " INT64_FORMAT, total > 0 ? ", " : "",
							 skip_names[k], c->skipped[k]);
			total += c->skipped[k];
		}
	appendStringInfoChar(buf, '}');
	return total;
}

/* The data check of the run as JSON text (NULL without a run) */
static char *
check_json(void)
{
	StringInfoData buf;
	int			i;

	if (run == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < (int) N_INPUTS; i++)
	{
		InputCheck *c = &run->check[i];
		int64		skipped;

		if (!c->read)
			continue;
		appendStringInfo(&buf, "%s\"%s\": {\"key_type\": \"%s\", \"rows_read\": " INT64_FORMAT
						 ", \"rows_used\": " INT64_FORMAT ", \"skipped\": ",
						 buf.len > 1 ? ", " : "", rules[i].name, format_type_be(c->key_type),
						 c->rows_read, c->rows_used);
		skipped = append_skipped(&buf, c);
		appendStringInfo(&buf, ", \"rows_skipped\": " INT64_FORMAT, skipped);
		if (c->pushed_down)
			appendStringInfo(&buf, ", \"pushed_down\": true, \"rows_received\": " INT64_FORMAT, c->rows_received);
		if (c->have_time)
		{
			char		ts[MAXDATELEN + 1];

			/* as to_json writes timestamps: ISO 8601 */
			appendStringInfo(&buf, ", \"time_from\": \"%s\"",
							 JsonEncodeDateTime(ts, TimestampTzGetDatum(c->time_from), TIMESTAMPTZOID, NULL));
			appendStringInfo(&buf, ", \"time_to\": \"%s\"",
							 JsonEncodeDateTime(ts, TimestampTzGetDatum(c->time_to), TIMESTAMPTZOID, NULL));
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * scrm._refresh_customers(as_of) RETURNS TABLE (customer bigint,
 *	 customer_key text, social_consent boolean)
 * Starts the run of a refresh as of as_of and reads the customers input:
 * each customer's id (the key itself for integer keys, else its number in
 * key order), the key as text and the social_consent column (NULL when
 * absent).
 */
Datum
scrm_refresh_customers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScrmBudget	budget;
	CustomerRow *rows;
	int64		n,
				i;
	MemoryContext row_cxt,
				old;

	ScrmArgNotNull(fcinfo, 0, "as_of");
	InitMaterializedSRF(fcinfo, 0);
	ScrmBudgetInit(&budget, "customers");
	n = run_load_customers(PG_GETARG_TIMESTAMPTZ(0), &budget, &rows);
	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm customer row",
									ALLOCSET_SMALL_SIZES);
	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(row_cxt);
		values[0] = Int64GetDatum(rows[i].id);
		values[1] = CStringGetTextDatum(ScrmKeysOut(run->keys, rows[i].id));
		values[2] = BoolGetDatum(rows[i].consent);
		nulls[2] = rows[i].consent_null;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
	}
	MemoryContextDelete(row_cxt);
	ScrmBudgetRelease(&budget);
	PG_RETURN_NULL();
}

/*
 * scrm._refresh_check() RETURNS jsonb: the data check of the run of this
 * transaction (NULL without one): per input read, its key type, rows read,
 * used and skipped, skipped rows by reason and the time range of the rows
 * used.
 */
Datum
scrm_refresh_check(PG_FUNCTION_ARGS)
{
	char	   *json = check_json();

	if (json == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/* Count the rows of a stored input, using none */
static void
count_only(void *arg, Datum *values, bool *isnull)
{
}

/*
 * scrm.check(as_of) RETURNS TABLE (input, key_type, rows_read, rows_used,
 *	 rows_skipped, skipped, time_from, time_to)
 * Reads every configured input as scrm.refresh would (as the role that
 * configured it, through the same rules) and reports what refresh would
 * use and skip, without computing anything.
 */
Datum
scrm_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	ScrmArgNotNull(fcinfo, 0, "as_of");
	InitMaterializedSRF(fcinfo, 0);
	run_begin(PG_GETARG_TIMESTAMPTZ(0));
	for (i = 1; i < (int) N_INPUTS; i++)
	{
		const ScrmInputSpec *in = ScrmFindInput(rules[i].name);
		ScrmColumn	cols[SCRM_INPUT_MAX_COLS];

		memcpy(cols, in->cols, sizeof(cols));
		(void) ScrmReadStored(in->name, cols, in->ncols, count_only, NULL, NULL);
	}
	for (i = 0; i < (int) N_INPUTS; i++)
	{
		InputCheck *c = &run->check[i];
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};
		StringInfoData buf;
		int64		skipped;

		if (!c->read)
			continue;
		initStringInfo(&buf);
		skipped = append_skipped(&buf, c);
		values[0] = CStringGetTextDatum(rules[i].name);
		values[1] = ObjectIdGetDatum(c->key_type);
		values[2] = Int64GetDatum(c->rows_read);
		values[3] = Int64GetDatum(c->rows_used);
		values[4] = Int64GetDatum(skipped);
		values[5] = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
		values[6] = TimestampTzGetDatum(c->time_from);
		values[7] = TimestampTzGetDatum(c->time_to);
		nulls[6] = nulls[7] = !c->have_time;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}

/*
 * scrm._step_begin(step text) RETURNS timestamptz
 * Shows the step a refresh is in to other sessions, as the query of this
 * backend in pg_stat_activity ("scrm.refresh: step rfm, started 12:00:01
 * -- SELECT scrm.refresh()"), and returns the time it starts.  NULL: the
 * refresh is over, the query shows as it was sent.
 */
PG_FUNCTION_INFO_V1(scrm_step_begin);

Datum
scrm_step_begin(PG_FUNCTION_ARGS)
{
	TimestampTz now = GetCurrentTimestamp();
	const char *query = debug_query_string ? debug_query_string : "";

	if (PG_ARGISNULL(0))
		pgstat_report_activity(STATE_RUNNING, query);
	else
	{
		char	   *step = text_to_cstring(PG_GETARG_TEXT_PP(0));
		char	   *at = pstrdup(timestamptz_to_str(now));

		pgstat_report_activity(STATE_RUNNING,
							   psprintf("scrm.refresh: step %s, started %s -- %s", step, at, query));
	}
	PG_RETURN_TIMESTAMPTZ(now);
}
