/*-------------------------------------------------------------------------
 *
 * clv_predict.c
 *	  SQL predictions from the value models: expected purchases, P(alive),
 *	  the purchase-count distribution, expected spend, CLV and the simple
 *	  retention CLV.
 *
 * scrm.clv discounts monthly (or per step) as lifetimes does it right
 * (CLV.md 2.6a): sum over i = 1..steps of expected_spend times the
 * expected purchases in step i, divided by (1 + discount_rate)^i.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "clv.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_bgnbd_expected);
PG_FUNCTION_INFO_V1(scrm_paretonbd_expected);
PG_FUNCTION_INFO_V1(scrm_bgnbd_expected_new);
PG_FUNCTION_INFO_V1(scrm_paretonbd_expected_new);
PG_FUNCTION_INFO_V1(scrm_bgnbd_p_alive);
PG_FUNCTION_INFO_V1(scrm_paretonbd_p_alive);
PG_FUNCTION_INFO_V1(scrm_bgnbd_purchase_probability);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_expected);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_expected_new);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_p_alive);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_clv);
PG_FUNCTION_INFO_V1(scrm_expected_spend);
PG_FUNCTION_INFO_V1(scrm_bgnbd_clv);
PG_FUNCTION_INFO_V1(scrm_paretonbd_clv);
PG_FUNCTION_INFO_V1(scrm_clv_simple);
PG_FUNCTION_INFO_V1(scrm_purchase_loglik);
PG_FUNCTION_INFO_V1(scrm_spend_loglik);

/*
 * A prediction: finite, or an error (never a silent NaN or Infinity): NaN
 * means the model cannot be evaluated with these parameters (22023), an
 * infinity that the result overflows (22003).
 */
static double
finite_result(const char *what, double v)
{
	if (unlikely(isnan(v)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot be evaluated with these model parameters", what),
				 errhint("Parameters this extreme are outside the range the model can be evaluated in.")));
	if (unlikely(isinf(v)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what),
				 errdetail("The result overflows double precision.")));
	return v;
}

/* The most steps scrm.clv sums (and the setting clv_steps allows) */
#define CLV_MAX_STEPS 10000

/* Error unless a horizon is finite and >= 0 */
static void
check_horizon(double t)
{
	if (!(t >= 0.0) || isinf(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a finite number >= 0"),
				 errdetail("The value given is %g.", t)));
}

/* Error unless monetary fits frequency: > 0 with repeat purchases, >= 0 without */
static void
check_monetary(int32 frequency, double m)
{
	if (!isfinite(m) || m < 0.0 || (frequency > 0 && m == 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monetary must be a finite number > 0 for customers with repeat purchases"),
				 errdetail("frequency %d, monetary %g.", frequency, m)));
}

/* E[Y(t) | history] of a purchase model */
static double
expected(ClvModel *m, double t, double x, double tx, double T)
{
	return m->kind == CLV_BGNBD ? ClvBgnbdExpected(m->params, t, x, tx, T) :
		m->kind == CLV_MBGNBD ? ClvMbgnbdExpected(m->params, t, x, tx, T) :
		ClvParetoExpected(m->params, t, x, tx, T);
}

/* expected_purchases(model, horizon, frequency, recency, age) */
static Datum
expected_conditional(FunctionCallInfo fcinfo, ClvKind kind)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), kind);
	double		t = PG_GETARG_FLOAT8(1);
	int32		x = PG_GETARG_INT32(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);

	check_horizon(t);
	ClvCheckHistory(x, tx, T);
	PG_RETURN_FLOAT8(finite_result("expected_purchases", expected(m, t, x, tx, T)));
}

Datum
scrm_bgnbd_expected(PG_FUNCTION_ARGS)
{
	return expected_conditional(fcinfo, CLV_BGNBD);
}

Datum
scrm_paretonbd_expected(PG_FUNCTION_ARGS)
{
	return expected_conditional(fcinfo, CLV_PARETONBD);
}

Datum
scrm_mbgnbd_expected(PG_FUNCTION_ARGS)
{
	return expected_conditional(fcinfo, CLV_MBGNBD);
}

/* expected_purchases(mbgnbd, horizon): E[X(t)] for a new customer */
Datum
scrm_mbgnbd_expected_new(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_MBGNBD);
	double		t = PG_GETARG_FLOAT8(1);

	check_horizon(t);
	PG_RETURN_FLOAT8(finite_result("expected_purchases", ClvMbgnbdExpected(m->params, t, 0, 0, 0)));
}

/* p_alive(mbgnbd, frequency, recency, age) */
Datum
scrm_mbgnbd_p_alive(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_MBGNBD);

	ClvCheckHistory(PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));
	PG_RETURN_FLOAT8(finite_result("p_alive", ClvMbgnbdPAlive(m->params, PG_GETARG_INT32(1),
																 PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3))));
}

/* expected_purchases(model, horizon): E[X(t)] for a new customer */
Datum
scrm_bgnbd_expected_new(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGNBD);
	double		t = PG_GETARG_FLOAT8(1);

	check_horizon(t);
	PG_RETURN_FLOAT8(finite_result("expected_purchases", ClvBgnbdExpected(m->params, t, 0, 0, 0)));
}

Datum
scrm_paretonbd_expected_new(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_PARETONBD);
	double		t = PG_GETARG_FLOAT8(1);

	check_horizon(t);
	PG_RETURN_FLOAT8(finite_result("expected_purchases", ClvParetoExpectedNew(m->params, t)));
}

/* p_alive(model, frequency, recency, age) */
Datum
scrm_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGNBD);

	ClvCheckHistory(PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));
	PG_RETURN_FLOAT8(finite_result("p_alive", ClvBgnbdPAlive(m->params, PG_GETARG_INT32(1),
																PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3))));
}

Datum
scrm_paretonbd_p_alive(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_PARETONBD);

	ClvCheckHistory(PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));
	PG_RETURN_FLOAT8(finite_result("p_alive", ClvParetoPAlive(m->params, PG_GETARG_INT32(1),
																 PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3))));
}

/* purchase_probability(model, horizon, n): P(X(t) = n), a new customer */
Datum
scrm_bgnbd_purchase_probability(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGNBD);
	double		t = PG_GETARG_FLOAT8(1);
	int32		n = PG_GETARG_INT32(2);

	check_horizon(t);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of purchases must be >= 0")));
	if (t == 0.0)
		PG_RETURN_FLOAT8(n == 0 ? 1.0 : 0.0);
	PG_RETURN_FLOAT8(finite_result("purchase_probability", ClvBgnbdPmf(m->params, t, n)));
}

/* expected_spend(gammagamma, frequency, monetary) */
Datum
scrm_expected_spend(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_GAMMAGAMMA);
	int32		x = PG_GETARG_INT32(1);
	double		mon = PG_GETARG_FLOAT8(2);

	ClvCheckHistory(x, 0, 0);
	check_monetary(x, mon);
	PG_RETURN_FLOAT8(finite_result("expected_spend", ClvGammaGammaSpend(m->params, x, mon)));
}

/*
 * clv(purchases, spend, frequency, recency, age, monetary, steps, step,
 * discount_rate)
 */
static Datum
clv(FunctionCallInfo fcinfo, ClvKind kind)
{
	ClvModel   *pm = ClvModelCheck(PG_GETARG_DATUM(0), kind);
	ClvModel   *sm = ClvModelCheck(PG_GETARG_DATUM(1), CLV_GAMMAGAMMA);
	int32		x = PG_GETARG_INT32(2);
	double		tx = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	double		mon = PG_GETARG_FLOAT8(5);
	int32		steps = PG_GETARG_INT32(6);
	double		step = PG_GETARG_FLOAT8(7);
	double		rate = PG_GETARG_FLOAT8(8);
	double		spend,
				prev = 0.0,
				total = 0.0;
	int32		i;

	ClvCheckHistory(x, tx, T);
	check_monetary(x, mon);
	if (steps < 0 || steps > CLV_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps must be between 0 and %d", CLV_MAX_STEPS),
				 errdetail("The value given is %d.", steps)));
	if (!(step > 0.0) || isinf(step))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be a positive finite number of periods")));
	if (!(rate > -1.0) || isinf(rate))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number > -1")));
	spend = ClvGammaGammaSpend(sm->params, x, mon);
	for (i = 1; i <= steps; i++)
	{
		double		cur;

		CHECK_FOR_INTERRUPTS();
		cur = expected(pm, i * step, x, tx, T);

		total += spend * (cur - prev) / pow(1.0 + rate, i);
		prev = cur;
	}
	PG_RETURN_FLOAT8(finite_result("clv", total));
}

Datum
scrm_bgnbd_clv(PG_FUNCTION_ARGS)
{
	return clv(fcinfo, CLV_BGNBD);
}

Datum
scrm_paretonbd_clv(PG_FUNCTION_ARGS)
{
	return clv(fcinfo, CLV_PARETONBD);
}

Datum
scrm_mbgnbd_clv(PG_FUNCTION_ARGS)
{
	return clv(fcinfo, CLV_MBGNBD);
}

/*
 * clv_simple(margin, retention, discount_rate, horizon): the retention
 * model, sum over t = 1..horizon of margin (retention / (1 + d))^t; a NULL
 * horizon is the infinite sum margin r / (1 + d - r).
 */
Datum
scrm_clv_simple(PG_FUNCTION_ARGS)
{
	double		margin,
				r,
				d,
				k;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	margin = PG_GETARG_FLOAT8(0);
	r = PG_GETARG_FLOAT8(1);
	d = PG_GETARG_FLOAT8(2);
	if (!isfinite(margin))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("margin must be a finite number")));
	ScrmCheckProbability("retention", r);
	if (!(d > -1.0) || isinf(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number > -1")));
	k = r / (1.0 + d);
	if (PG_ARGISNULL(3))
	{
		if (!(k < 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("infinite-horizon CLV diverges"),
					 errdetail("retention %g >= 1 + discount_rate %g.", r, 1.0 + d),
					 errhint("Give a finite horizon, or a discount rate above "
							 "retention - 1.")));
		PG_RETURN_FLOAT8(finite_result("clv_simple", margin * r / (1.0 + d - r)));
	}
	if (PG_GETARG_INT32(3) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be >= 0")));
	/* geometric sum k + k^2 + ... + k^n in closed form */
	{
		int32		n = PG_GETARG_INT32(3);

		if (n == 0 || k == 0.0)
			PG_RETURN_FLOAT8(0.0);
		if (k == 1.0)
			PG_RETURN_FLOAT8(finite_result("clv_simple", margin * n));
		PG_RETURN_FLOAT8(finite_result("clv_simple", margin * k * -expm1(n * log(k)) / (1.0 - k)));
	}
}

/* One customer's history as one-row fitting data */
static double
one_row_loglik(ClvModel *m, double x, double tx, double T)
{
	ClvData		d;
	double		w = 1.0;

	d.n = 1;
	d.x = &x;
	d.tx = &tx;
	d.T = &T;
	d.w = &w;
	return ClvLogLik(m->kind, m->params, &d);
}

/* log_likelihood(model, frequency, recency, age): one customer's ln L */
Datum
scrm_purchase_loglik(PG_FUNCTION_ARGS)
{
	ClvModel   *m = (ClvModel *) PG_GETARG_POINTER(0);
	int32		x = PG_GETARG_INT32(1);
	double		tx = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(3);
	double		ll;

	ClvCheckHistory(x, tx, T);
	ll = one_row_loglik(m, x, tx, T);
	if (isnan(ll))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the likelihood cannot be evaluated for this history")));
	PG_RETURN_FLOAT8(finite_result("log_likelihood", ll));
}

/* log_likelihood(gammagamma, frequency, monetary): ln density of the mean spend */
Datum
scrm_spend_loglik(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_GAMMAGAMMA);
	int32		x = PG_GETARG_INT32(1);
	double		mon = PG_GETARG_FLOAT8(2);

	if (x <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the spend likelihood needs frequency > 0")));
	check_monetary(x, mon);
	PG_RETURN_FLOAT8(finite_result("log_likelihood", one_row_loglik(m, x, mon, 0.0)));
}

/*
 * The shifted beta-geometric (contractual customers, Fader & Hardie 2007,
 * 2010): survival S(t), the retention rate r_t = S(t) / S(t - 1) =
 * (beta + t - 1) / (alpha + beta + t - 1), the discounted expected
 * residual lifetime of a customer who has renewed renewals times, and the
 * contractual CLV: value per period times that DERL.
 */
PG_FUNCTION_INFO_V1(scrm_sbg_survival);
PG_FUNCTION_INFO_V1(scrm_sbg_retention);
PG_FUNCTION_INFO_V1(scrm_sbg_derl);
PG_FUNCTION_INFO_V1(scrm_sbg_clv);

/* A period count argument: an integer >= lo */
static int32
sbg_periods(FunctionCallInfo fcinfo, int argno, const char *name, int32 lo)
{
	int32		t = PG_GETARG_INT32(argno);

	if (t < lo)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be >= %d", name, lo),
				 errdetail("The value given is %d.", t)));
	return t;
}

/* A discount rate per period: finite and > 0 (the residual lifetime is infinite at 0) */
static double
sbg_discount(FunctionCallInfo fcinfo, int argno)
{
	double		d = PG_GETARG_FLOAT8(argno);

	if (!(d > 0.0) || isinf(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number > 0"),
				 errdetail("The value given is %g.", d)));
	return d;
}

/* survival(sbg, periods): P(still a customer after periods renewals) */
Datum
scrm_sbg_survival(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_SBG);
	int32		t = sbg_periods(fcinfo, 1, "periods", 0);

	PG_RETURN_FLOAT8(finite_result("survival", ClvSbgSurvival(m->params, t)));
}

/* retention_rate(sbg, period): P(renew at period | renewed until period - 1) */
Datum
scrm_sbg_retention(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_SBG);
	int32		t = sbg_periods(fcinfo, 1, "period", 1);

	PG_RETURN_FLOAT8(finite_result("retention_rate",
								   (m->params[1] + t - 1.0) / (m->params[0] + m->params[1] + t - 1.0)));
}

/* expected_residual_lifetime(sbg, discount_rate, renewals) */
Datum
scrm_sbg_derl(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_SBG);
	double		d = sbg_discount(fcinfo, 1);
	int32		n = sbg_periods(fcinfo, 2, "renewals", 0);

	PG_RETURN_FLOAT8(finite_result("expected_residual_lifetime", ClvSbgDerl(m->params, d, n)));
}

/* clv(sbg, value, discount_rate, renewals): value per period x DERL */
Datum
scrm_sbg_clv(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_SBG);
	double		value = PG_GETARG_FLOAT8(1);
	double		d = sbg_discount(fcinfo, 2);
	int32		n = sbg_periods(fcinfo, 3, "renewals", 0);

	ScrmCheckFinite("value", value);
	PG_RETURN_FLOAT8(finite_result("clv", value * ClvSbgDerl(m->params, d, n)));
}

/*
 * clv(sbg, value, discount_rate, renewals, horizon): value x the discounted
 * expected renewals among the next horizon renewal opportunities,
 * sum_{k=1..horizon} S(n + k) / S(n) / (1 + d)^(k - 1), n = renewals; the
 * survival ratio grows by one retention rate a step.  A finite horizon, so
 * d may be 0 (the expected renewals themselves).
 */
PG_FUNCTION_INFO_V1(scrm_sbg_clv_horizon);

Datum
scrm_sbg_clv_horizon(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_SBG);
	double		value = PG_GETARG_FLOAT8(1);
	double		d = PG_GETARG_FLOAT8(2);
	int32		n = sbg_periods(fcinfo, 3, "renewals", 0);
	int32		horizon = sbg_periods(fcinfo, 4, "horizon", 0);
	double		alpha = m->params[0],
				beta = m->params[1],
				ratio = 1.0,
				discount = 1.0,
				sum = 0.0;
	int32		k;

	ScrmCheckFinite("value", value);
	if (!(d >= 0.0) || isinf(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number >= 0"),
				 errdetail("The value given is %g.", d)));
	if (horizon > 1000000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("horizon must be at most 1000000 renewals"),
				 errdetail("The value given is %d.", horizon)));
	for (k = 1; k <= horizon; k++)
	{
		double		t = (double) n + k;

		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		ratio *= (beta + t - 1.0) / (alpha + beta + t - 1.0);
		sum += ratio / discount;
		discount *= 1.0 + d;
	}
	PG_RETURN_FLOAT8(finite_result("clv", value * sum));
}

/*
 * BG/BB (discrete opportunities): P(alive at opportunity n + future), the
 * expected transactions in the next future opportunities, CLV (an
 * opportunity a step) and one history's log-likelihood
 */
PG_FUNCTION_INFO_V1(scrm_bgbb_p_alive);
PG_FUNCTION_INFO_V1(scrm_bgbb_expected);
PG_FUNCTION_INFO_V1(scrm_bgbb_clv);
PG_FUNCTION_INFO_V1(scrm_bgbb_loglik);

/* A count of future opportunities: an integer >= 0 */
static int32
future_arg(FunctionCallInfo fcinfo, int argno)
{
	int32		f = PG_GETARG_INT32(argno);

	if (f < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("future opportunities must be >= 0"),
				 errdetail("The value given is %d.", f)));
	return f;
}

/* p_alive(bgbb, frequency, recency, opportunities, future) */
Datum
scrm_bgbb_p_alive(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGBB);
	int32		x = PG_GETARG_INT32(1),
				tx = PG_GETARG_INT32(2),
				n = PG_GETARG_INT32(3);
	int32		f = future_arg(fcinfo, 4);

	ClvBgbbCheckHistory(x, tx, n);
	PG_RETURN_FLOAT8(finite_result("p_alive", ClvBgbbPAlive(m->params, x, tx, n, f)));
}

/* expected_purchases(bgbb, future, frequency, recency, opportunities) */
Datum
scrm_bgbb_expected(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGBB);
	int32		f = future_arg(fcinfo, 1);
	int32		x = PG_GETARG_INT32(2),
				tx = PG_GETARG_INT32(3),
				n = PG_GETARG_INT32(4);

	ClvBgbbCheckHistory(x, tx, n);
	PG_RETURN_FLOAT8(finite_result("expected_purchases", ClvBgbbExpected(m->params, f, x, tx, n)));
}

/*
 * clv(bgbb, gammagamma, frequency, recency, opportunities, monetary, steps,
 * discount_rate): sum over the next steps opportunities k of expected spend
 * x the transactions expected at k, divided by (1 + discount_rate)^k
 */
Datum
scrm_bgbb_clv(PG_FUNCTION_ARGS)
{
	ClvModel   *pm = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGBB);
	ClvModel   *sm = ClvModelCheck(PG_GETARG_DATUM(1), CLV_GAMMAGAMMA);
	int32		x = PG_GETARG_INT32(2),
				tx = PG_GETARG_INT32(3),
				n = PG_GETARG_INT32(4);
	double		mon = PG_GETARG_FLOAT8(5);
	int32		steps = PG_GETARG_INT32(6);
	double		rate = PG_GETARG_FLOAT8(7);
	double		spend,
				prev = 0.0,
				total = 0.0;
	int32		k;

	ClvBgbbCheckHistory(x, tx, n);
	check_monetary(x, mon);
	if (steps < 0 || steps > CLV_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("steps must be between 0 and %d", CLV_MAX_STEPS),
				 errdetail("The value given is %d.", steps)));
	if (!(rate > -1.0) || isinf(rate))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be a finite number > -1")));
	spend = ClvGammaGammaSpend(sm->params, x, mon);
	for (k = 1; k <= steps; k++)
	{
		double		cur;

		CHECK_FOR_INTERRUPTS();
		cur = ClvBgbbExpected(pm->params, k, x, tx, n);
		total += spend * (cur - prev) / pow(1.0 + rate, k);
		prev = cur;
	}
	PG_RETURN_FLOAT8(finite_result("clv", total));
}

/* log_likelihood(bgbb, frequency, recency, opportunities): one history's ln L */
Datum
scrm_bgbb_loglik(PG_FUNCTION_ARGS)
{
	ClvModel   *m = ClvModelCheck(PG_GETARG_DATUM(0), CLV_BGBB);
	int32		x = PG_GETARG_INT32(1),
				tx = PG_GETARG_INT32(2),
				n = PG_GETARG_INT32(3);
	double		dx = x,
				dtx = tx,
				dn = n,
				w = 1.0;
	ClvData		d = {1, &dx, &dtx, &dn, &w};

	ClvBgbbCheckHistory(x, tx, n);
	PG_RETURN_FLOAT8(finite_result("log_likelihood", ClvBgbbLogLik(m->params, &d)));
}
