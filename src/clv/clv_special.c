/*-------------------------------------------------------------------------
 *
 * clv_special.c
 *	  Special functions for the value models, with convergence and range
 *	  checks: log-beta, digamma, log-add-exp and the Gauss hypergeometric
 *	  function 2F1 on [0, 1).
 *
 * Only libm is used (lgamma, log1p, exp); GPL libraries such as GSL are not
 * linked.  Callers transform their 2F1 arguments so that the series below
 * converges quickly (see clv_models.c); the series itself refuses
 * arguments outside [0, 1), poles, overflow and ruinous cancellation with
 * an error rather than returning a wrong number.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "clv.h"

#define HYP2F1_MAX_TERMS 10000000
#define HYP2F1_MAX_CANCELLATION 1e8

/* ln B(a, b) = lnΓ(a) + lnΓ(b) - lnΓ(a + b), for a, b > 0 */
double
ClvLogBeta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/*
 * Digamma ψ(x) for x > 0: recurrence ψ(x) = ψ(x + 1) - 1/x up to x >= 10,
 * then the asymptotic (Stirling) series; accurate to ~1e-15.
 */
double
ClvDigamma(double x)
{
	double		result = 0.0;
	double		inv,
				inv2;

	while (x < 10.0)
	{
		result -= 1.0 / x;
		x += 1.0;
	}
	inv = 1.0 / x;
	inv2 = inv * inv;
	result += log(x) - 0.5 * inv -
		inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 -
													  inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
	return result;
}

/* ln(e^u + e^v) without overflow; -inf terms are allowed */
double
ClvLogAddExp(double u, double v)
{
	double		hi = Max(u, v);

	if (isinf(hi) && hi < 0)
		return hi;
	return hi + log1p(exp(Min(u, v) - hi));
}

/* Raise the error for a 2F1 that cannot be evaluated reliably */
static double
hyp_fail(bool raise, const char *why, double a, double b, double c, double z)
{
	if (raise)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("hypergeometric function 2F1 cannot be evaluated: %s", why),
				 errdetail("2F1(%g, %g; %g; %g).", a, b, c, z),
				 errhint("The model parameters or the customer history are extreme; "
						 "check them.")));
	return NAN;
}

/*
 * Tail of the hypergeometric series: sum over n >= n0 of t_n, where t_n0 =
 * t0 and t_{n+1} = t_n (a + n)(b + n) / ((c + n)(n + 1)) z, for 0 <= z < 1.
 * With n0 = 0 and t0 = 1 this is 2F1(a, b; c; z); callers use other starts
 * to sum a series with a factor divided out.  The sum stops when the terms
 * shrink for good and their geometric tail bound is below the precision of
 * the sum.  On failure (pole, overflow, no convergence, ruinous
 * cancellation) it raises an error, or returns NaN when raise is false.
 */
double
ClvHypSeries(double a, double b, double c, double z, int64 n0, double t0,
			 bool raise)
{
	double		sum = t0,
				term = t0,
				biggest = fabs(t0);
	int64		n;

	if (!(z >= 0.0 && z < 1.0) || !isfinite(a) || !isfinite(b) ||
		!isfinite(c) || !isfinite(t0))
		return hyp_fail(raise, "argument out of range", a, b, c, z);
	if (term == 0.0 || z == 0.0)
		return sum;

	for (n = n0; n < n0 + HYP2F1_MAX_TERMS; n++)
	{
		double		next;
		double		r;

		if ((n & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (c + n == 0.0)
			return hyp_fail(raise, "c is a pole (a non-positive integer)", a, b, c, z);
		term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
		sum += term;
		biggest = Max(biggest, fabs(term));
		if (!isfinite(sum))
			return hyp_fail(raise, "the series overflows", a, b, c, z);
		if (term != 0.0)
		{
			/*
			 * Not yet converged while a negative c + n lies ahead (a term
			 * can jump there), while the terms still grow, or while the
			 * geometric bound on the tail (the ratios tend to z) matters.
			 */
			next = fabs((a + n + 1) * (b + n + 1) / ((c + n + 1) * (n + 2.0)) * z);
			r = Max(next, z);
			if (next >= 1.0 || c + n + 1 < 0.0 ||
				fabs(term) * r / (1.0 - r) > 1e-16 * fabs(sum))
				continue;
		}
		if (biggest > HYP2F1_MAX_CANCELLATION * fabs(sum))
			return hyp_fail(raise, "the series cancels catastrophically", a, b, c, z);
		return sum;
	}
	return hyp_fail(raise, "the series did not converge", a, b, c, z);
}

/* 1/Γ(x) as (sign, ln|.|); sign 0 at the poles x = 0, -1, -2, ... */
static double
log_inv_gamma(double x, int *sign)
{
	int			sg;
	double		lg;

	if (x <= 0.0 && x == floor(x))
	{
		*sign = 0;
		return 0.0;
	}
	lg = lgamma_r(x, &sg);
	*sign = sg;
	return -lg;
}

/*
 * 2F1 near z = 1 by the connection formula (Abramowitz & Stegun 15.3.6),
 * with d = c - a - b not an integer and w = 1 - z:
 *	 Γ(c)Γ(d)/(Γ(c-a)Γ(c-b)) 2F1(a, b; 1-d; w)
 *	 + w^d Γ(c)Γ(-d)/(Γ(a)Γ(b)) 2F1(c-a, c-b; 1+d; w)
 * Both series converge fast for small w.
 */
static double
hyp2f1_near_one(double a, double b, double c, double z, bool raise)
{
	double		d = c - a - b,
				w = 1.0 - z;
	int			sc,
				sd,
				smd,
				sca,
				scb,
				sa,
				sb;
	double		lc = -log_inv_gamma(c, &sc);
	double		ld = -log_inv_gamma(d, &sd);
	double		lmd = -log_inv_gamma(-d, &smd);
	double		lica = log_inv_gamma(c - a, &sca);
	double		licb = log_inv_gamma(c - b, &scb);
	double		lia = log_inv_gamma(a, &sa);
	double		lib = log_inv_gamma(b, &sb);
	double		t1 = 0.0,
				t2 = 0.0;

	if (sca != 0 && scb != 0)
		t1 = sc * sd * sca * scb * exp(lc + ld + lica + licb) *
			ClvHyp2f1(a, b, 1.0 - d, w, raise);
	if (sa != 0 && sb != 0)
		t2 = sc * smd * sa * sb * exp(d * log(w) + lc + lmd + lia + lib) *
			ClvHyp2f1(c - a, c - b, 1.0 + d, w, raise);
	if (!isfinite(t1 + t2) && raise)
		return hyp_fail(raise, "the series overflows", a, b, c, z);
	return t1 + t2;
}

/*
 * Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1: the power
 * series, or for z > 0.9 (where the series converges slowly, only
 * algebraically at z = 1) the connection formula around z = 1.  That
 * formula has poles where c - a - b is an integer, and loses about
 * 1/|distance| in cancellation near one; within 1e-4 of an integer, 2F1
 * (analytic in c) is extrapolated from c +- 2e-4 and c +- 4e-4
 * (Richardson; the error is O((2e-4 ln(1 - z))^4), below 1e-11 relative
 * down to 1 - z = 1e-12).
 */
double
ClvHyp2f1(double a, double b, double c, double z, bool raise)
{
	double		d = c - a - b;
	const double delta = 2e-4;

	/* the series: for z <= 0.9, and with c within 2 delta of a pole */
	if (!(z > 0.9 && z < 1.0) || !isfinite(d) ||
		(rint(c) <= 0.0 && fabs(c - rint(c)) <= 2 * delta))
		return ClvHypSeries(a, b, c, z, 0, 1.0, raise);
	if (fabs(d - rint(d)) >= 1e-4)
		return hyp2f1_near_one(a, b, c, z, raise);
	{
		double		f1 = (hyp2f1_near_one(a, b, c + delta, z, raise) +
						  hyp2f1_near_one(a, b, c - delta, z, raise)) / 2.0;
		double		f2 = (hyp2f1_near_one(a, b, c + 2 * delta, z, raise) +
						  hyp2f1_near_one(a, b, c - 2 * delta, z, raise)) / 2.0;

		return (4.0 * f1 - f2) / 3.0;
	}
}

/*
 * Continued fraction of the regularized incomplete beta function I_x(a, b)
 * (modified Lentz; converges fast for x < (a + 1) / (a + b + 2), in about
 * sqrt(max(a, b)) terms at worst).  NaN if it does not converge.
 */
static double
incbeta_fraction(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		c = 1.0,
				d = 1.0 - (a + b) * x / (a + 1.0),
				h;
	int			m;

	d = 1.0 / (fabs(d) < tiny ? tiny : d);
	h = d;
	for (m = 1; m <= 10000000; m++)
	{
		double		m2 = 2.0 * m,
					num,
					del;

		if ((m & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		/* even step */
		num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		d = 1.0 / (fabs(d) < tiny ? tiny : d);
		c = 1.0 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		h *= d * c;
		/* odd step */
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		d = 1.0 / (fabs(d) < tiny ? tiny : d);
		c = 1.0 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-15)
			return h;
	}
	return NAN;
}

/*
 * The regularized incomplete beta function I_x(a, b), a, b > 0, given x
 * and y = 1 - x (each accurate, so neither is a difference near 0 or 1).
 * It is the upper tail of the negative binomial: P(N >= n) = I_q(n, r) for
 * the failures N before the r-th success of probability 1 - q.
 */
double
ClvIncBeta(double a, double b, double x, double y)
{
	double		front,
				v;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	front = a * log(x) + b * log(y) - ClvLogBeta(a, b);
	if (x < (a + 1.0) / (a + b + 2.0))
		v = exp(front) * incbeta_fraction(a, b, x) / a;
	else
		v = 1.0 - exp(front) * incbeta_fraction(b, a, y) / b;
	if (isnan(v))
		return v;				/* the fraction did not converge */
	/* rounding must not take a probability outside [0, 1] */
	return Min(Max(v, 0.0), 1.0);
}
