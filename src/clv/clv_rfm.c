/*-------------------------------------------------------------------------
 *
 * clv_rfm.c
 *	  scrm.rfm(purchased_at, amount, as_of [, period]): a customer's
 *	  purchase log summarised as (frequency, recency, age, monetary).
 *
 * Definitions of the BTYD literature (Fader, Hardie & Lee 2005) and the
 * lifetimes library: purchases on the same calendar day (in the session
 * time zone) are one purchase occasion whose amount is the day's total;
 * frequency = occasions - 1; recency = first to last occasion; age = first
 * occasion to as_of (both in periods, an occasion's time being the start
 * of its day); monetary = mean amount of the repeat occasions (0 when
 * frequency = 0).  Occasions after as_of are ignored (a purchase on the
 * as_of day counts, as in the literature's calibration periods).  A
 * negative amount is a refund, netted into the occasion of its day, or of
 * the latest day before it with a purchase: a refund is not an occasion.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "input.h"

#include "clv.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_rfm_trans);
PG_FUNCTION_INFO_V1(scrm_rfm_combine);
PG_FUNCTION_INFO_V1(scrm_rfm_serialize);
PG_FUNCTION_INFO_V1(scrm_rfm_deserialize);
PG_FUNCTION_INFO_V1(scrm_rfm_final);
PG_FUNCTION_INFO_V1(scrm_refresh_rfm);

/* One purchase: its local calendar day and amount */
typedef struct RfmPurchase
{
	int32		day;			/* days since 2000-01-01, session time zone */
	double		amount;
} RfmPurchase;

/* State: the purchases of one customer up to as_of */
typedef struct RfmState
{
	bool		have_params;
	TimestampTz as_of;
	Timestamp	as_of_local;	/* local_time(as_of), once per group */
	double		period;			/* seconds */
	int64		n;
	int64		cap;
	RfmPurchase *p;
} RfmState;

/* Microseconds since 2000-01-01 00:00 of ts in the session time zone */
static Timestamp
local_time(TimestampTz ts)
{
	return DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp,
												 TimestampTzGetDatum(ts)));
}

/* Record as_of and period, or check they equal the group's */
static void
set_params(RfmState *st, TimestampTz as_of, double period)
{
	if (!st->have_params)
	{
		st->have_params = true;
		st->as_of = as_of;
		st->as_of_local = local_time(as_of);
		st->period = period;
	}
	else if (st->as_of != as_of || st->period != period)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of and period must be the same for every row of a group")));
}

/* Check as_of and period: as_of finite, period positive */
static void
check_params(TimestampTz as_of, double period)
{
	if (!(period > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be a positive interval")));
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
}

/*
 * Check one purchase and find its local day; false when the day is after
 * as_of's.  An occasion is timed at the start of its day, so a purchase on
 * the as_of day itself counts; later ones are ignored.
 */
static bool
purchase_day(TimestampTz ts, double amount, Timestamp as_of_local, int32 *day)
{
	Timestamp	local;

	if (!isfinite(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be a finite number"),
				 errdetail("The value given is %g.", amount)));
	if (TIMESTAMP_IS_NOBEGIN(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchased_at must be a finite timestamp")));
	local = local_time(ts);
	*day = (int32) floor((double) local / USECS_PER_DAY);
	return (double) *day * USECS_PER_DAY <= (double) as_of_local;
}

/* Append a purchase */
static void
add_purchase(RfmState *st, MemoryContext cxt, int32 day, double amount)
{
	if (st->n == st->cap)
	{
		int64		newcap = Max(st->cap * 2, 16);

		if ((Size) newcap * sizeof(RfmPurchase) > (Size) scrm_max_memory_kb * 1024)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("rfm needs more memory than scrm.max_memory allows"),
					 errhint("Use rfm with GROUP BY customer, or raise scrm.max_memory.")));
		st->p = st->p ? repalloc_huge(st->p, newcap * sizeof(RfmPurchase)) :
			MemoryContextAllocHuge(cxt, newcap * sizeof(RfmPurchase));
		st->cap = newcap;
	}
	st->p[st->n].day = day;
	st->p[st->n].amount = amount;
	st->n++;
}

/* transition: (state, purchased_at, amount, as_of [, period]) */
Datum
scrm_rfm_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmState   *st;
	TimestampTz ts,
				as_of;
	double		period = 7.0 * SECS_PER_DAY;
	double		amount;
	int32		day;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rfm transition function called in non-aggregate context");
	st = PG_ARGISNULL(0) ? MemoryContextAllocZero(aggcxt, sizeof(RfmState)) :
		(RfmState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(3) || (PG_NARGS() > 4 && PG_ARGISNULL(4)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of and period of rfm must not be null")));
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	if (PG_NARGS() > 4)
		period = ScrmIntervalSeconds(PG_GETARG_INTERVAL_P(4));
	check_params(as_of, period);
	set_params(st, as_of, period);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	ts = PG_GETARG_TIMESTAMPTZ(1);
	amount = PG_GETARG_FLOAT8(2);
	if (!purchase_day(ts, amount, st->as_of_local, &day))
		PG_RETURN_POINTER(st);
	add_purchase(st, aggcxt, day, amount);
	PG_RETURN_POINTER(st);
}

/* combine: append the second state's purchases to the first */
Datum
scrm_rfm_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	RfmState   *a,
			   *b;
	int64		i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rfm combine function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (RfmState *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? MemoryContextAllocZero(aggcxt, sizeof(RfmState)) :
		(RfmState *) PG_GETARG_POINTER(0);
	if (b->have_params)
		set_params(a, b->as_of, b->period);
	for (i = 0; i < b->n; i++)
		add_purchase(a, aggcxt, b->p[i].day, b->p[i].amount);
	PG_RETURN_POINTER(a);
}

/* serialize: as_of, period, count, then (day, amount) pairs */
Datum
scrm_rfm_serialize(PG_FUNCTION_ARGS)
{
	RfmState   *st = (RfmState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, st->have_params ? 1 : 0);
	pq_sendint64(&buf, st->as_of);
	pq_sendfloat8(&buf, st->period);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->p[i].day);
		pq_sendfloat8(&buf, st->p[i].amount);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* deserialize, validating the bytes */
Datum
scrm_rfm_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	RfmState   *st;
	int64		n,
				i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "rfm deserialize function called in non-aggregate context");
	ScrmBytesReader(&buf, bytes);
	st = MemoryContextAllocZero(aggcxt, sizeof(RfmState));
	st->have_params = pq_getmsgbyte(&buf) != 0;
	st->as_of = pq_getmsgint64(&buf);
	st->period = pq_getmsgfloat8(&buf);
	if (st->have_params && !TIMESTAMP_NOT_FINITE(st->as_of))
		st->as_of_local = local_time(st->as_of);
	n = pq_getmsgint64(&buf);
	if (n < 0 || (uint64) n > (uint64) (buf.len - buf.cursor) / 12 ||
		(st->have_params && !(st->period > 0.0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid serialized rfm state")));
	for (i = 0; i < n; i++)
	{
		int32		day = pq_getmsgint(&buf, 4);
		double		amount = pq_getmsgfloat8(&buf);

		if (!isfinite(amount))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid serialized rfm state")));
		add_purchase(st, aggcxt, day, amount);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/*
 * qsort comparator: purchases by day, then amount, so that the sums of a
 * summary never depend on the order the rows arrived in (parallel and
 * serial aggregation give the same double)
 */
static int
purchase_cmp(const void *a, const void *b)
{
	const RfmPurchase *x = (const RfmPurchase *) a;
	const RfmPurchase *y = (const RfmPurchase *) b;

	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	return (x->amount > y->amount) - (x->amount < y->amount);
}

/*
 * The summary of n > 0 purchases sorted by day: (frequency, recency, age,
 * monetary) in values[0..3].  Refunds (negative amounts) are netted: into
 * the occasion of their day, and a day with refunds only (no purchase, so
 * no occasion) into the occasion before it, whose purchase they return;
 * refunds before the first occasion are dropped.  Returns false when no
 * day has a purchase (amount >= 0): no summary.
 */
static bool
summarise(const RfmPurchase *p, int64 n, Timestamp as_of_local, double period,
		  Datum *values)
{
	int64		i,
				j,
				occasions = 0;
	int32		first = 0,
				last = 0;
	double		first_amount = 0.0,
				total = 0.0,
				age;

	for (i = 0; i < n; i = j)
	{
		double		day_total = 0.0;
		bool		purchase = false;

		for (j = i; j < n && p[j].day == p[i].day; j++)
		{
			day_total += p[j].amount;
			purchase |= p[j].amount >= 0.0;
		}
		if (purchase)
		{
			if (occasions++ == 0)
				first = p[i].day;
			last = p[i].day;
		}
		else if (occasions == 0)
			continue;			/* a refund before any purchase */
		if (occasions == 1)
			first_amount += day_total;
		total += day_total;
	}
	if (occasions == 0)
		return false;
	if (!isfinite(total) || !isfinite(first_amount))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("purchase amounts add up beyond double precision"),
				 errdetail("A customer's purchases total %g.", total)));
	age = ((double) as_of_local / USECS_PER_DAY - first) * SECS_PER_DAY;
	values[0] = Int32GetDatum((int32) (occasions - 1));
	values[1] = Float8GetDatum((double) (last - first) * SECS_PER_DAY / period);
	values[2] = Float8GetDatum(Max(age, 0.0) / period);
	values[3] = Float8GetDatum(occasions > 1 ? (total - first_amount) / (occasions - 1) : 0.0);
	return true;
}

/* final: the scrm.rfm_summary, or NULL without purchases up to as_of */
Datum
scrm_rfm_final(PG_FUNCTION_ARGS)
{
	RfmState   *st = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	RfmPurchase *p;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm must return a composite type");

	/* sort a copy (the state may be finalised again, e.g. in a window) */
	p = palloc(st->n * sizeof(RfmPurchase));
	memcpy(p, st->p, st->n * sizeof(RfmPurchase));
	qsort(p, st->n, sizeof(RfmPurchase), purchase_cmp);
	if (!summarise(p, st->n, st->as_of_local, st->period, values))
		PG_RETURN_NULL();
	pfree(p);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/* One purchase of scrm._refresh_rfm: customer, local day, amount */
typedef struct RfmRow
{
	int64		customer;
	RfmPurchase p;
} RfmRow;

/* Rows of the purchases query as scrm._refresh_rfm reads them */
typedef struct RfmRead
{
	ScrmBudget	budget;
	Timestamp	as_of_local;
	int64		n;
	int64		cap;
	RfmRow	   *rows;
	int64		min_customer;
	int64		max_customer;
	double		rows_estimate;
} RfmRead;

static void
read_purchase(void *arg, Datum *values, bool *isnull)
{
	RfmRead    *rd = (RfmRead *) arg;
	int64		customer;
	int32		day;

	/* rows with a NULL are skipped, as scrm.rfm skips them */
	if (isnull[0] || isnull[1] || isnull[2])
		return;
	customer = DatumGetInt64(values[0]);
	if (!purchase_day(DatumGetTimestampTz(values[1]), DatumGetFloat8(values[2]),
					  rd->as_of_local, &day))
		return;
	rd->rows = ScrmGrow(&rd->budget, rd->rows, &rd->cap, rd->n, sizeof(RfmRow),
						rd->rows_estimate);
	if (rd->n == 0 || customer < rd->min_customer)
		rd->min_customer = customer;
	if (rd->n == 0 || customer > rd->max_customer)
		rd->max_customer = customer;
	rd->rows[rd->n].customer = customer;
	rd->rows[rd->n].p.day = day;
	rd->rows[rd->n].p.amount = DatumGetFloat8(values[2]);
	rd->n++;
}

/*
 * Sort rows[0..n) by customer: LSD radix sort on customer - min, 11 bits a
 * pass, as many passes as the customer range needs (two for a million
 * serial ids).  Returns the sorted array (rows or tmp).
 */
static RfmRow *
sort_by_customer(RfmRow *rows, RfmRow *tmp, int64 n, int64 min, int64 max)
{
	uint64		range = (uint64) max - (uint64) min;
	int			shift;

	for (shift = 0; shift < 64 && (range >> shift) != 0; shift += 11)
	{
		int64		count[2048] = {0};
		int64		i,
					sum = 0;
		RfmRow	   *swap;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
			count[(((uint64) rows[i].customer - (uint64) min) >> shift) & 2047]++;
		for (i = 0; i < 2048; i++)
		{
			int64		c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(((uint64) rows[i].customer - (uint64) min) >> shift) & 2047]++] = rows[i];
		swap = rows;
		rows = tmp;
		tmp = swap;
	}
	return rows;
}

/*
 * The purchases of the customer of rows[i..j) (rows sorted by customer),
 * compacted in place to the start of rows[i] and sorted by day: the rows'
 * customer fields are overwritten, so find the next group's start first
 */
static RfmPurchase *
customer_purchases(RfmRow *rows, int64 i, int64 j)
{
	RfmPurchase *p = (RfmPurchase *) &rows[i];
	int64		k;

	for (k = i; k < j; k++)
	{
		RfmPurchase one = rows[k].p;	/* k = i: source and target overlap */

		p[k - i] = one;
	}
	qsort(p, j - i, sizeof(RfmPurchase), purchase_cmp);
	return p;
}

/*
 * Read the purchases (customer, purchased_at, amount) of query (NULL: the
 * configured purchases, as the role that configured them) up to the day of
 * as_of_local into rd, and return them sorted by customer
 */
static RfmRow *
read_purchases(const char *query, Timestamp as_of_local, const char *what, RfmRead *rd)
{
	ScrmColumn	cols[3] = {
		{"customer", SCRM_COL_KEY, true},
		{"purchased_at", SCRM_COL_TIMESTAMPTZ, true},
		{"amount", SCRM_COL_FLOAT, true},
	};

	memset(rd, 0, sizeof(*rd));
	ScrmBudgetInit(&rd->budget, what);
	rd->as_of_local = as_of_local;
	if (query)
		ScrmReadQuery(query, "purchases", cols, 3, read_purchase, rd, &rd->rows_estimate);
	else
		(void) ScrmReadStored("purchases", cols, 3, read_purchase, rd, &rd->rows_estimate);
	return sort_by_customer(rd->rows, ScrmAlloc(&rd->budget, Max(rd->n, 1), sizeof(RfmRow)),
							rd->n, rd->min_customer, rd->max_customer);
}

/* The grouped read of the configured purchases (pushdown.c) */
typedef struct GroupedRfm
{
	ReturnSetInfo *rsinfo;
	TupleDesc	rfm_desc;
	MemoryContext row_cxt;
} GroupedRfm;

/* the configured purchases wrapped in scrm.rfm by customer (pushdown.c) */
static char *
wrap_purchases(const char *canonical, TimestampTz as_of, Interval *period)
{
	Timestamp	local = local_time(as_of);
	char	   *day = DatumGetCString(DirectFunctionCall1(date_out,
														 DateADTGetDatum((DateADT) (local / USECS_PER_DAY))));

	return ScrmPushdownPurchases(canonical,
								 DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(as_of))),
								 day,
								 DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(period))));
}

/* columns of the grouped purchases: customer, counts, time range, summary */
static void
put_grouped_rfm(void *arg, Datum *values, bool *isnull)
{
	GroupedRfm *g = (GroupedRfm *) arg;
	Datum		out[2];
	bool		out_null[2] = {false, false};
	Datum		rfm[4];
	bool		rfm_nulls[4] = {false, false, false, false};
	MemoryContext old;

	if (isnull[9])
		return;					/* refunds only */
	old = MemoryContextSwitchTo(g->row_cxt);
	rfm[0] = Int32GetDatum((int32) DatumGetInt64(values[9]));
	rfm[1] = values[10];
	rfm[2] = values[11];
	rfm[3] = values[12];
	out[0] = values[0];
	out[1] = HeapTupleGetDatum(heap_form_tuple(g->rfm_desc, rfm, rfm_nulls));
	tuplestore_putvalues(g->rsinfo->setResult, g->rsinfo->setDesc, out, out_null);
	MemoryContextSwitchTo(old);
	MemoryContextReset(g->row_cxt);
}

/*
 * The configured purchases summarised per customer where they are (a Citus
 * cluster's workers): scrm.rfm grouped by customer around the stored
 * query, one row per customer read here
 */
static void
refresh_rfm_grouped(const ScrmStoredInput *in, TimestampTz as_of, Interval *period, ReturnSetInfo *rsinfo,
					TupleDesc rfm_desc)
{
	ScrmColumn	cols[13] = {
		{"customer", SCRM_COL_KEY, true},
		{"rows", SCRM_COL_ID, true},
		{"null_time", SCRM_COL_ID, true},
		{"infinite_time", SCRM_COL_ID, true},
		{"after_as_of", SCRM_COL_ID, true},
		{"null_amount", SCRM_COL_ID, true},
		{"non_finite_amount", SCRM_COL_ID, true},
		{"time_from", SCRM_COL_TIMESTAMPTZ, true},
		{"time_to", SCRM_COL_TIMESTAMPTZ, true},
		{"frequency", SCRM_COL_ID, true},
		{"recency", SCRM_COL_FLOAT, true},
		{"age", SCRM_COL_FLOAT, true},
		{"monetary", SCRM_COL_FLOAT, true},
	};
	GroupedRfm	g;

	g.rsinfo = rsinfo;
	g.rfm_desc = rfm_desc;
	g.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm rfm row", ALLOCSET_SMALL_SIZES);
	ScrmReadStoredGrouped(in, wrap_purchases(in->canonical, as_of, period), cols, lengthof(cols), put_grouped_rfm, &g);
	MemoryContextDelete(g.row_cxt);
}

/*
 * scrm._refresh_rfm(purchases, as_of, period)
 *	 RETURNS TABLE (customer bigint, rfm scrm.rfm_summary)
 * scrm.rfm of every customer of a purchases query (customer, purchased_at,
 * amount; NULL: the configured purchases query, run as the role that
 * configured it): the same summary as
 *	 SELECT customer, scrm.rfm(purchased_at, amount, as_of, period) ...
 *	 WHERE customer, purchased_at and amount are not null GROUP BY customer
 * (customers whose purchases are all after as_of left out), computed by
 * sorting the purchases in memory rather than through a hash aggregate:
 * several times faster on millions of purchases.  Needs 24 bytes per
 * purchase, twice, within scrm.max_memory; beyond that it fails with 54000
 * and scrm.refresh uses the aggregate, which can spill to disk.
 */
Datum
scrm_refresh_rfm(PG_FUNCTION_ARGS)
{
	const char *query = PG_ARGISNULL(0) ? NULL : ScrmTextArg(fcinfo, 0, "purchases");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz as_of;
	double		period;
	ScrmStoredInput stored;
	RfmRead		rd;
	RfmRow	   *rows;
	TupleDesc	rfm_desc;
	MemoryContext row_cxt,
				old;
	int64		i,
				j;

	ScrmArgNotNull(fcinfo, 1, "as_of");
	ScrmArgNotNull(fcinfo, 2, "period");
	as_of = PG_GETARG_TIMESTAMPTZ(1);
	period = ScrmIntervalSeconds(PG_GETARG_INTERVAL_P(2));
	check_params(as_of, period);
	InitMaterializedSRF(fcinfo, 0);
	rfm_desc = lookup_rowtype_tupdesc_copy(TupleDescAttr(rsinfo->setDesc, 1)->atttypid, -1);
	rfm_desc = BlessTupleDesc(rfm_desc);

	if (query == NULL && ScrmPushdownInput("purchases", &stored))
	{
		refresh_rfm_grouped(&stored, as_of, PG_GETARG_INTERVAL_P(2), rsinfo, rfm_desc);
		PG_RETURN_NULL();
	}
	rows = read_purchases(query, local_time(as_of), "the purchase summary", &rd);

	row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm rfm row",
									ALLOCSET_SMALL_SIZES);
	for (i = 0; i < rd.n; i = j)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		Datum		rfm[4];
		bool		rfm_nulls[4] = {false, false, false, false};
		RfmPurchase *p;
		int64		customer = rows[i].customer;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();

		for (j = i + 1; j < rd.n && rows[j].customer == customer; j++)
			;
		p = customer_purchases(rows, i, j);
		if (!summarise(p, j - i, rd.as_of_local, period, rfm))
			continue;			/* refunds only */
		/* the summary tuple lives only until the tuplestore has copied it */
		old = MemoryContextSwitchTo(row_cxt);
		values[0] = Int64GetDatum(customer);
		values[1] = HeapTupleGetDatum(heap_form_tuple(rfm_desc, rfm, rfm_nulls));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
	}
	MemoryContextDelete(row_cxt);
	ScrmBudgetRelease(&rd.budget);
	PG_RETURN_NULL();
}

/*
 * The (calibration_end, observation_end, period) arguments 1..3 of the
 * holdout functions, checked; returns the period in seconds
 */
static double
holdout_args(FunctionCallInfo fcinfo, TimestampTz *cal_end, TimestampTz *obs_end)
{
	double		period;

	ScrmArgNotNull(fcinfo, 1, "calibration_end");
	ScrmArgNotNull(fcinfo, 2, "observation_end");
	ScrmArgNotNull(fcinfo, 3, "period");
	*cal_end = PG_GETARG_TIMESTAMPTZ(1);
	*obs_end = PG_GETARG_TIMESTAMPTZ(2);
	period = ScrmIntervalSeconds(PG_GETARG_INTERVAL_P(3));
	check_params(*cal_end, period);
	check_params(*obs_end, period);
	if (*obs_end <= *cal_end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("observation_end must come after calibration_end")));
	return period;
}

/*
 * scrm.holdout_summary(purchases, calibration_end, observation_end, period)
 *	 RETURNS TABLE (customer, frequency, recency, age, monetary,
 *					holdout_purchases, holdout_periods)
 * Per customer of a purchases query (customer, purchased_at, amount) with a
 * purchase up to calibration_end: the scrm.rfm summary as of
 * calibration_end, and the purchase occasions (days with a purchase, as
 * scrm.rfm counts them) after the calibration_end day up to the
 * observation_end day, as lifetimes' calibration_and_holdout_data builds
 * them; holdout_periods is observation_end - calibration_end in periods
 * (local times, as age counts them).
 * The query is read once, in memory (24 bytes a purchase, twice, within
 * scrm.max_memory).
 */
PG_FUNCTION_INFO_V1(scrm_holdout_summary);
PG_FUNCTION_INFO_V1(scrm_refresh_holdout);

static Datum holdout_summary(FunctionCallInfo fcinfo, const char *query);

Datum
scrm_holdout_summary(PG_FUNCTION_ARGS)
{
	return holdout_summary(fcinfo, ScrmTextArg(fcinfo, 0, "purchases"));
}

/*
 * scrm._refresh_holdout(purchases, calibration_end, observation_end, period)
 *	 scrm.holdout_summary of the configured purchases (purchases NULL), run
 *	 as the role that configured them, keys numbered as the run numbers
 *	 them: what the pipeline's purchase_model "auto" compares the models on
 */
Datum
scrm_refresh_holdout(PG_FUNCTION_ARGS)
{
	return holdout_summary(fcinfo, PG_ARGISNULL(0) ? NULL : ScrmTextArg(fcinfo, 0, "purchases"));
}

static Datum
holdout_summary(FunctionCallInfo fcinfo, const char *query)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz cal_end,
				obs_end;
	Timestamp	cal_local;
	int32		cal_day;
	double		period;
	RfmRead		rd;
	RfmRow	   *rows;
	int64		i,
				j,
				k;

	period = holdout_args(fcinfo, &cal_end, &obs_end);
	InitMaterializedSRF(fcinfo, 0);
	cal_local = local_time(cal_end);
	cal_day = (int32) floor((double) cal_local / USECS_PER_DAY);

	/* the purchases up to the observation_end day */
	rows = read_purchases(query, local_time(obs_end), "the calibration and holdout summary", &rd);

	for (i = 0; i < rd.n; i = j)
	{
		Datum		values[7];
		bool		nulls[7] = {false};
		RfmPurchase *p;
		int64		customer = rows[i].customer,
					ncal,
					d;
		int32		holdout = 0;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (j = i + 1; j < rd.n && rows[j].customer == customer; j++)
			;
		p = customer_purchases(rows, i, j);
		for (ncal = 0; ncal < j - i && p[ncal].day <= cal_day; ncal++)
			;
		if (ncal == 0 || !summarise(p, ncal, cal_local, period, values))
			continue;			/* first seen in the holdout, or refunds only */
		/* holdout occasions: the later days with a purchase */
		for (k = ncal; k < j - i; k = d)
		{
			bool		purchase = false;

			for (d = k; d < j - i && p[d].day == p[k].day; d++)
				purchase |= p[d].amount >= 0.0;
			holdout += purchase;
		}
		/* values[0..3] hold the summary: shift it behind the customer */
		memmove(&values[1], &values[0], 4 * sizeof(Datum));
		values[0] = Int64GetDatum(customer);
		values[4] = ScrmFiniteDatum("monetary", DatumGetFloat8(values[4]));	/* amounts that overflow: 22003 */
		values[5] = Int32GetDatum(holdout);
		values[6] = Float8GetDatum((double) (rd.as_of_local - cal_local) / USECS_PER_SEC / period);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ScrmBudgetRelease(&rd.budget);
	PG_RETURN_NULL();
}

/*
 * scrm.repeat_purchases_by_period(purchases, calibration_end,
 *								   observation_end, period)
 *	 RETURNS TABLE (period_index, repeat_purchases)
 * The repeat purchase occasions (days with a purchase after a customer's
 * first, as scrm.rfm counts them) up to the observation_end day of the
 * customers first seen by the calibration_end day, by period: index k
 * holds the occasions in [start + k period, start + (k + 1) period), start
 * the first customer's first day.  The actual side of the tracking plot.
 */
PG_FUNCTION_INFO_V1(scrm_repeat_by_period);

Datum
scrm_repeat_by_period(PG_FUNCTION_ARGS)
{
	const char *query = ScrmTextArg(fcinfo, 0, "purchases");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz cal_end,
				obs_end;
	int32		cal_day,
				start = PG_INT32_MAX;
	double		period,
				period_days;
	RfmRead		rd;
	RfmRow	   *rows;
	int64	   *counts;
	int64		nperiods,
				i,
				j,
				k;

	period = holdout_args(fcinfo, &cal_end, &obs_end);
	InitMaterializedSRF(fcinfo, 0);
	cal_day = (int32) floor((double) local_time(cal_end) / USECS_PER_DAY);
	period_days = period / SECS_PER_DAY;

	rows = read_purchases(query, local_time(obs_end), "the repeat purchases by period", &rd);
	/* the earliest first purchase day of a customer first seen by calibration_end */
	for (i = 0; i < rd.n; i = j)
	{
		int32		first = PG_INT32_MAX;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (j = i; j < rd.n && rows[j].customer == rows[i].customer; j++)
			if (rows[j].p.amount >= 0.0)
				first = Min(first, rows[j].p.day);
		if (first <= cal_day)
			start = Min(start, first);
	}
	if (start == PG_INT32_MAX)
	{
		ScrmBudgetRelease(&rd.budget);
		PG_RETURN_NULL();
	}
	nperiods = (int64) floor(((double) rd.as_of_local / USECS_PER_DAY - start) / period_days) + 1;
	if (nperiods > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than 10,000 periods from the first purchase to observation_end"),
				 errhint("Use a longer period.")));
	counts = ScrmAlloc0(&rd.budget, Max(nperiods, 1), sizeof(int64));
	for (i = 0; i < rd.n; i = j)
	{
		RfmPurchase *p;
		int64		n,
					d;
		bool		first_seen = false;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (j = i + 1; j < rd.n && rows[j].customer == rows[i].customer; j++)
			;
		n = j - i;
		p = customer_purchases(rows, i, j);
		for (k = 0; k < n; k = d)
		{
			bool		purchase = false;

			for (d = k; d < n && p[d].day == p[k].day; d++)
				purchase |= p[d].amount >= 0.0;
			if (!purchase)
				continue;
			if (!first_seen)
			{
				if (p[k].day > cal_day)
					break;		/* first seen in the holdout: not in the cohort */
				first_seen = true;
				continue;
			}
			counts[(int64) floor((p[k].day - start) / period_days)]++;
		}
	}
	for (k = 0; k < nperiods; k++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int32GetDatum((int32) k);
		values[1] = Int64GetDatum(counts[k]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ScrmBudgetRelease(&rd.budget);
	PG_RETURN_NULL();
}
