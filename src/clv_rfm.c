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
 * as_of day counts, as in the literature's calibration periods).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "clv.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_rfm_trans);
PG_FUNCTION_INFO_V1(scrm_rfm_combine);
PG_FUNCTION_INFO_V1(scrm_rfm_serialize);
PG_FUNCTION_INFO_V1(scrm_rfm_deserialize);
PG_FUNCTION_INFO_V1(scrm_rfm_final);

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
		st->period = period;
	}
	else if (st->as_of != as_of || st->period != period)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of and period must be the same for every row of a group")));
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
	Timestamp	local;
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
	if (!(period > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be a positive interval")));
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
	set_params(st, as_of, period);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	ts = PG_GETARG_TIMESTAMPTZ(1);
	amount = PG_GETARG_FLOAT8(2);
	if (!isfinite(amount))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("amount must be a finite number"),
				 errdetail("The value given is %g.", amount)));
	if (TIMESTAMP_IS_NOBEGIN(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchased_at must be a finite timestamp")));
	/*
	 * An occasion is timed at the start of its day, so a purchase on the
	 * as_of day itself counts; later ones are ignored.
	 */
	local = local_time(ts);
	day = (int32) floor((double) local / USECS_PER_DAY);
	if ((double) day * USECS_PER_DAY > (double) local_time(st->as_of))
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

/* qsort comparator: purchases by day */
static int
purchase_cmp(const void *a, const void *b)
{
	int32		x = ((const RfmPurchase *) a)->day;
	int32		y = ((const RfmPurchase *) b)->day;

	return (x > y) - (x < y);
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
	int64		i,
				days = 0;
	int32		first,
				last;
	double		first_amount = 0.0,
				total = 0.0,
				age;

	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "rfm must return a composite type");

	/* sort a copy (the state may be finalised again, e.g. in a window) */
	p = palloc(st->n * sizeof(RfmPurchase));
	memcpy(p, st->p, st->n * sizeof(RfmPurchase));
	qsort(p, st->n, sizeof(RfmPurchase), purchase_cmp);
	first = p[0].day;
	last = p[st->n - 1].day;
	for (i = 0; i < st->n; i++)
	{
		if (i == 0 || p[i].day != p[i - 1].day)
			days++;
		if (p[i].day == first)
			first_amount += p[i].amount;
		total += p[i].amount;
	}
	age = ((double) local_time(st->as_of) / USECS_PER_DAY - first) * SECS_PER_DAY;

	values[0] = Int32GetDatum((int32) (days - 1));
	values[1] = Float8GetDatum((double) (last - first) * SECS_PER_DAY / st->period);
	values[2] = Float8GetDatum(Max(age, 0.0) / st->period);
	values[3] = Float8GetDatum(days > 1 ? (total - first_amount) / (days - 1) : 0.0);
	pfree(p);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
