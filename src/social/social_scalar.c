/*-------------------------------------------------------------------------
 *
 * social_scalar.c
 *	  The scalar pieces of social value (SOCIAL.md §4, §5 and the NPS of §3):
 *	  scrm.social_value, scrm.service_tier, scrm.nps_class and the scrm.nps
 *	  aggregate's support functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_social_value);
PG_FUNCTION_INFO_V1(scrm_service_tier);
PG_FUNCTION_INFO_V1(scrm_nps_class);
PG_FUNCTION_INFO_V1(scrm_nps_trans);
PG_FUNCTION_INFO_V1(scrm_nps_combine);
PG_FUNCTION_INFO_V1(scrm_nps_final);

/*
 * scrm.social_value(monetary, referral, influence, valence, cap, floor)
 *
 *	 social     = referral + valence * influence
 *	 B          = max(monetary, floor)
 *	 adjustment = clamp(social, -cap * B, cap * B)
 *	 total      = monetary + adjustment
 *
 * With B >= 0 and cap < 1, total is non-decreasing in monetary, stays
 * within cap * B of it, and a monetary ratio of (1 + cap) / (1 - cap) can
 * never be reversed by social evidence.
 */
Datum
scrm_social_value(PG_FUNCTION_ARGS)
{
	double		monetary = PG_GETARG_FLOAT8(0);
	double		referral = PG_GETARG_FLOAT8(1);
	double		influence = PG_GETARG_FLOAT8(2);
	double		valence = PG_GETARG_FLOAT8(3);
	double		cap = PG_GETARG_FLOAT8(4);
	double		floor_value = PG_GETARG_FLOAT8(5);
	double		social,
				base,
				bound;

	ScrmCheckFinite("monetary", monetary);
	ScrmCheckFinite("referral", referral);
	ScrmCheckFinite("influence", influence);
	if (!(valence >= -1.0 && valence <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("valence must be between -1 and 1"),
				 errdetail("valence is %g.", valence)));
	if (!(cap >= 0.0 && cap < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cap must be >= 0 and < 1"),
				 errdetail("cap is %g.", cap),
				 errhint("Social value may move monetary value by at most this share of it.")));
	if (!(floor_value >= 0.0) || isinf(floor_value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("floor must be a finite number >= 0"),
				 errdetail("floor is %g.", floor_value)));
	social = referral + valence * influence;
	base = Max(monetary, floor_value);
	bound = cap * base;
	social = Min(Max(social, -bound), bound);
	PG_RETURN_DATUM(ScrmFiniteDatum("total value", monetary + social));
}

/* scrm.service_tier(total_value, excellent_from, exceptional_from) */
Datum
scrm_service_tier(PG_FUNCTION_ARGS)
{
	double		total = PG_GETARG_FLOAT8(0);
	double		excellent = PG_GETARG_FLOAT8(1);
	double		exceptional = PG_GETARG_FLOAT8(2);

	if (isnan(total))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("total_value must not be NaN")));
	if (isnan(excellent) || isnan(exceptional) || excellent > exceptional)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("excellent_from must not exceed exceptional_from"),
				 errdetail("excellent_from is %g and exceptional_from is %g.",
						   excellent, exceptional)));
	if (total >= exceptional)
		PG_RETURN_TEXT_P(cstring_to_text("exceptional"));
	if (total >= excellent)
		PG_RETURN_TEXT_P(cstring_to_text("excellent"));
	PG_RETURN_TEXT_P(cstring_to_text("good"));
}

/* scrm.nps_class(score) -> promoter (9-10), passive (7-8), detractor (0-6) */
Datum
scrm_nps_class(PG_FUNCTION_ARGS)
{
	int32		score = PG_GETARG_INT32(0);

	ScrmCheckSurveyScore(score);
	PG_RETURN_TEXT_P(cstring_to_text(score >= 9 ? "promoter" :
									 score >= 7 ? "passive" : "detractor"));
}

/*
 * NPS state: bigint[3] = {promoters, passives, detractors}.  The transition
 * function may update its state in place when called as an aggregate.
 */
static int64 *
nps_counts(ArrayType *a)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != 3 || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid nps state"),
				 errdetail("Expected a bigint[3] without nulls.")));
	return (int64 *) ARR_DATA_PTR(a);
}

Datum
scrm_nps_trans(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	int64	   *c;
	int32		score = PG_GETARG_INT32(1);

	ScrmCheckSurveyScore(score);
	state = AggCheckCallContext(fcinfo, NULL) ? PG_GETARG_ARRAYTYPE_P(0)
		: PG_GETARG_ARRAYTYPE_P_COPY(0);
	c = nps_counts(state);
	c[score >= 9 ? 0 : score >= 7 ? 1 : 2]++;
	PG_RETURN_ARRAYTYPE_P(state);
}

Datum
scrm_nps_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P_COPY(0);
	int64	   *ca = nps_counts(a);
	int64	   *cb = nps_counts(PG_GETARG_ARRAYTYPE_P(1));
	int			i;

	for (i = 0; i < 3; i++)
		ca[i] += cb[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* 100 * (promoters - detractors) / answers; NULL without answers */
Datum
scrm_nps_final(PG_FUNCTION_ARGS)
{
	int64	   *c = nps_counts(PG_GETARG_ARRAYTYPE_P(0));
	int64		n = c[0] + c[1] + c[2];

	if (n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(100.0 * (double) (c[0] - c[2]) / (double) n);
}
