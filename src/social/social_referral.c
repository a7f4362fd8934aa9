/*-------------------------------------------------------------------------
 *
 * social_referral.c
 *	  scrm.referral_value: customer referral value (CRV) after Kumar,
 *	  Petersen & Leone (2007, 2010), SOCIAL.md §1.
 *
 * For each referral i -> j (i != j) of a referred customer j:
 *
 *	  kappa_j = incrementality of j if given, else the parameter
 *	  attributed_j = kappa_j * value_j + (1 - kappa_j) * acquisition_saving
 *	  CRV_i = sum_j attributed_j / (number of referrers of j) - rewards_i
 *
 * Credit is split among j's referrers and never double counted, so
 * sum_i CRV_i = sum_j attributed_j - all rewards.  SOCIAL.md writes the
 * reward inside the split term; a referrer is charged the rewards they were
 * paid in full instead, which is what keeps that invariant exact when a
 * customer has several referrers.  Duplicate (referrer, referred) rows are
 * one referral whose rewards add up; incrementality is a property of the
 * referred customer, so rows of one customer must agree on it.  Single
 * level: j's own referrals credit j, not i.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

#include "input.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_referral_value);
PG_FUNCTION_INFO_V1(scrm_referral_credits);

typedef struct Referral
{
	int64		referrer;
	int64		referred;
	double		reward;
	double		kappa;			/* NaN when not given */
} Referral;

typedef struct CustomerValue
{
	int64		id;
	double		value;
} CustomerValue;

typedef struct ReferralLoad
{
	ScrmBudget *budget;
	ScrmColumn *cols;
	Referral   *ref;
	int64		nref;
	int64		refcap;
	CustomerValue *val;
	int64		nval;
	int64		valcap;
	ScrmKeys   *keys;
} ReferralLoad;

static void
load_referral(void *arg, Datum *values, bool *isnull)
{
	ReferralLoad *st = (ReferralLoad *) arg;
	Referral	r;

	r.referrer = ScrmRowId(values, isnull, st->cols, 0, "referrals");
	r.referred = ScrmRowId(values, isnull, st->cols, 1, "referrals");
	r.reward = isnull[2] ? 0.0 : DatumGetFloat8(values[2]);
	r.kappa = isnull[3] ? NAN : DatumGetFloat8(values[3]);
	if (!(r.reward >= 0.0 && r.reward < INFINITY))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reward_cost must be a finite number, zero or more"),
				 errdetail("The referral %s -> %s has reward_cost %g.",
						   ScrmKeysOut(st->keys, r.referrer),
						   ScrmKeysOut(st->keys, r.referred), r.reward)));
	if (!isnull[3] && !(r.kappa >= 0.0 && r.kappa <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("incrementality must be between 0 and 1"),
				 errdetail("The referral %s -> %s has incrementality %g.",
						   ScrmKeysOut(st->keys, r.referrer),
						   ScrmKeysOut(st->keys, r.referred), r.kappa)));
	if (r.referrer == r.referred)
		return;					/* self-referrals are dropped */
	st->ref = ScrmGrow(st->budget, st->ref, &st->refcap, st->nref, sizeof(Referral), 0.0);
	st->ref[st->nref++] = r;
}

static void
load_customer_value(void *arg, Datum *values, bool *isnull)
{
	ReferralLoad *st = (ReferralLoad *) arg;
	CustomerValue v;

	v.id = ScrmRowId(values, isnull, st->cols, 0, "customer_value");
	v.value = ScrmCustomerValue(st->keys, v.id, values[1], isnull[1]);
	st->val = ScrmGrow(st->budget, st->val, &st->valcap, st->nval, sizeof(CustomerValue), 0.0);
	st->val[st->nval++] = v;
}

static void
conflicting_kappa(const ScrmKeys *keys, int64 referred, double a, double b)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("conflicting incrementality for referred customer %s",
					ScrmKeysOut(keys, referred)),
			 errdetail("Rows give %g and %g.", a, b),
			 errhint("Incrementality belongs to the referred customer: give it once, or the same on every row.")));
}

/* referrals by referred, then referrer */
static int
referral_cmp(const void *pa, const void *pb)
{
	const Referral *a = (const Referral *) pa;
	const Referral *b = (const Referral *) pb;

	if (a->referred != b->referred)
		return a->referred < b->referred ? -1 : 1;
	if (a->referrer != b->referrer)
		return a->referrer < b->referrer ? -1 : 1;
	return 0;
}

static int
value_cmp(const void *pa, const void *pb)
{
	return ScrmCmpInt64(&((const CustomerValue *) pa)->id, &((const CustomerValue *) pb)->id);
}

/* value of customer id (0 without a row) */
static double
value_of(const CustomerValue *val, int64 n, int64 id)
{
	int64		lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (val[mid].id == id)
			return val[mid].value;
		if (val[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0.0;
}

/*
 * scrm.referral_value(referrals, customer_value, incrementality,
 *					   acquisition_saving)
 *	 RETURNS TABLE (node, referral_value, referred)
 */
static Datum
referral_run(FunctionCallInfo fcinfo, bool pairs)
{
	int			off = 0;
	ScrmKeys   *keys = ScrmKeyArg(fcinfo, 4, &off);
	const char *referrals = ScrmTextArg(fcinfo, off, "referrals");
	const char *values_query = ScrmTextArg(fcinfo, 1 + off, "customer_value");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScrmColumn	refcols[4] = {
		{"referrer", SCRM_COL_KEY, true},
		{"referred", SCRM_COL_KEY, true},
		{"reward_cost", SCRM_COL_FLOAT, false},
		{"incrementality", SCRM_COL_FLOAT, false},
	};
	ScrmColumn	valcols[2] = {
		{"node", SCRM_COL_KEY, true},
		{"value", SCRM_COL_FLOAT, true},
	};
	ScrmBudget	budget;
	ReferralLoad st;
	double		kappa0,
				saving;
	Referral   *ref;
	int64	   *ids;
	double	   *crv;
	int32	   *count;
	int64		nref,
				nids = 0,
				i,
				j,
				start;

	ScrmArgNotNull(fcinfo, 2 + off, "incrementality");
	ScrmArgNotNull(fcinfo, 3 + off, "acquisition_saving");
	kappa0 = PG_GETARG_FLOAT8(2 + off);
	saving = PG_GETARG_FLOAT8(3 + off);
	ScrmCheckProbability("incrementality", kappa0);
	ScrmCheckFinite("acquisition_saving", saving);
	InitMaterializedSRF(fcinfo, 0);

	ScrmBudgetInit(&budget, "referral");
	memset(&st, 0, sizeof(st));
	st.budget = &budget;
	st.keys = keys;
	ScrmColumnsSetKeys(refcols, 4, keys);
	ScrmColumnsSetKeys(valcols, 2, keys);
	st.cols = refcols;
	ScrmReadQuery(referrals, "referrals", refcols, 4, load_referral, &st, NULL);
	st.cols = valcols;
	ScrmReadQuery(values_query, "customer_value", valcols, 2,
				  load_customer_value, &st, NULL);
	st.cols = NULL;

	/* each sort of millions of rows is a second at most: check between */
	CHECK_FOR_INTERRUPTS();
	if (st.nval > 1)
		ScrmSort(st.val, st.nval, sizeof(CustomerValue), value_cmp);
	CHECK_FOR_INTERRUPTS();
	for (i = 1; i < st.nval; i++)
		if (st.val[i].id == st.val[i - 1].id)
			ScrmDuplicateCustomer(keys, st.val[i].id);

	/* merge duplicate referrals: one referral, rewards added */
	ref = st.ref;
	if (st.nref > 1)
		ScrmSort(ref, st.nref, sizeof(Referral), referral_cmp);
	CHECK_FOR_INTERRUPTS();
	nref = 0;
	for (i = 0; i < st.nref; i++)
	{
		if (nref > 0 && ref[nref - 1].referred == ref[i].referred &&
			ref[nref - 1].referrer == ref[i].referrer)
		{
			ref[nref - 1].reward += ref[i].reward;
			if (isnan(ref[nref - 1].kappa))
				ref[nref - 1].kappa = ref[i].kappa;
			else if (!isnan(ref[i].kappa) && ref[i].kappa != ref[nref - 1].kappa)
				conflicting_kappa(st.keys, ref[i].referred, ref[nref - 1].kappa, ref[i].kappa);
			continue;
		}
		ref[nref++] = ref[i];
	}

	/* every customer seen: referrers, referred, valued */
	ids = ScrmAlloc(&budget, Max(2 * nref + st.nval, 1), sizeof(int64));
	for (i = 0; i < nref; i++)
	{
		ids[nids++] = ref[i].referrer;
		ids[nids++] = ref[i].referred;
	}
	for (i = 0; i < st.nval; i++)
		ids[nids++] = st.val[i].id;
	CHECK_FOR_INTERRUPTS();
	nids = ScrmSortUnique(ids, nids);
	CHECK_FOR_INTERRUPTS();
	crv = ScrmAlloc0(&budget, Max(nids, 1), sizeof(double));
	count = ScrmAlloc0(&budget, Max(nids, 1), sizeof(int32));

	/* per referred customer j: kappa_j, attributed value, split credit */
	for (start = 0; start < nref; start = j)
	{
		double		kappa = NAN,
					attributed;
		int64		referrers;

		CHECK_FOR_INTERRUPTS();
		for (j = start; j < nref && ref[j].referred == ref[start].referred; j++)
		{
			if (isnan(kappa))
				kappa = ref[j].kappa;
			else if (!isnan(ref[j].kappa) && ref[j].kappa != kappa)
				conflicting_kappa(st.keys, ref[j].referred, kappa, ref[j].kappa);
		}
		if (isnan(kappa))
			kappa = kappa0;
		referrers = j - start;
		attributed = kappa * value_of(st.val, st.nval, ref[start].referred) +
			(1.0 - kappa) * saving;
		for (i = start; i < j; i++)
		{
			int64		k = ScrmFindInt64(ids, nids, ref[i].referrer);
			double		credit = attributed / (double) referrers - ref[i].reward;

			crv[k] += credit;
			count[k]++;
			if (pairs)
			{
				Datum		values[8];
				bool		nulls[8] = {false};

				values[0] = ScrmKeyDatum(keys, ref[i].referrer);
				values[1] = ScrmKeyDatum(keys, ref[i].referred);
				values[2] = Float8GetDatum(value_of(st.val, st.nval, ref[i].referred));
				values[3] = Float8GetDatum(kappa);
				values[4] = Float8GetDatum(saving);
				values[5] = Int32GetDatum((int32) referrers);
				values[6] = Float8GetDatum(ref[i].reward);
				values[7] = ScrmFiniteDatum("credit", credit);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
	if (pairs)
	{
		ScrmBudgetRelease(&budget);
		PG_RETURN_NULL();
	}

	for (i = 0; i < nids; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = ScrmKeyDatum(keys, ids[i]);
		values[1] = ScrmFiniteDatum("referral_value", crv[i]);
		values[2] = Int32GetDatum(count[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ScrmBudgetRelease(&budget);
	PG_RETURN_NULL();
}

Datum
scrm_referral_value(PG_FUNCTION_ARGS)
{
	return referral_run(fcinfo, false);
}

/*
 * scrm.referral_credits(referrals, customer_value, incrementality,
 *						 acquisition_saving)
 *	 RETURNS TABLE (referrer, referred, referred_value, incrementality,
 *					acquisition_saving, referrers, reward_cost, credit)
 *
 * The terms of scrm.referral_value, one row per referral (duplicates
 * merged): credit = (incrementality * referred_value + (1 - incrementality)
 * * acquisition_saving) / referrers - reward_cost.  A referrer's credits add
 * up to their referral value.
 */
Datum
scrm_referral_credits(PG_FUNCTION_ARGS)
{
	return referral_run(fcinfo, true);
}
