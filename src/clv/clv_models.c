/*-------------------------------------------------------------------------
 *
 * clv_models.c
 *	  Likelihoods and predictions of the value models.
 *
 * BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy
 * way", Marketing Science 24(2).  MBG/NBD: Batislam, Denizel & Filiztekin
 * (2007).  BG/BB: Fader, Hardie & Shang (2010).  sBG: Fader & Hardie (2007,
 * 2010).  Pareto/NBD: Schmittlein, Morrison &
 * Colombo (1987), with Fader & Hardie's notes for the likelihood.
 * Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4).
 * Formulas in our notation: ../shared/CLV.md section 2.
 *
 * Numerics (CLV.md 2.7): log-sum-exp for the BG/NBD likelihood, P(alive)
 * through the log-odds, the Pareto/NBD A0 difference in log space with
 * 2F1 in its Euler-transformed form (all terms positive, argument in
 * [0, 1)), and the BG/NBD expectation rewritten so that the removable
 * singularity at a = 1 and the pole at a + b + x = 1 disappear.
 *
 * Parameter vectors: BG/NBD and MBG/NBD (r, alpha, a, b); Pareto/NBD (r,
 * alpha, s, beta); Gamma-Gamma (p, q, gamma); BG/BB (alpha, beta, gamma,
 * delta); sBG (alpha, beta).  Likelihood functions return NaN when
 * they cannot be evaluated (the optimiser then rejects the step).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "clv.h"

/* Terms of the BG/NBD log-likelihood that depend only on x */
typedef struct BgnbdXTerms
{
	double		x;
	double		c;				/* lnΓ(r+x) - lnΓ(r) + r ln α + lnB(a,b+x) - lnB(a,b) */
	double		dr,
				da,
				db;				/* their derivatives */
} BgnbdXTerms;

/* Compute the per-x terms for x */
static void
bgnbd_x_terms(const double *p, double x, BgnbdXTerms *xt, bool with_grad)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];

	xt->x = x;
	xt->c = lgamma(r + x) - lgamma(r) + r * log(alpha) +
		ClvLogBeta(a, b + x) - ClvLogBeta(a, b);
	if (with_grad)
	{
		double		psi_abx = ClvDigamma(a + b + x);
		double		psi_ab = ClvDigamma(a + b);

		xt->dr = ClvDigamma(r + x) - ClvDigamma(r) + log(alpha);
		xt->da = psi_ab - psi_abx;
		xt->db = ClvDigamma(b + x) - psi_abx - ClvDigamma(b) + psi_ab;
	}
}

/*
 * BG/NBD log-likelihood summed over the rows (weighted); with grad, its
 * gradient with respect to (r, alpha, a, b).  Rows sorted by x make the
 * per-x terms computed once per distinct x.
 */
double
ClvBgnbdLogLik(const double *p, const ClvData *d, double *grad)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		ll = 0.0;
	BgnbdXTerms xt = {0};
	int64		i;

	xt.x = -1.0;				/* no x yet: computed on the first row */
	if (grad)
		memset(grad, 0, 4 * sizeof(double));
	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					w = d->w[i];
		double		lT = log(alpha + d->T[i]);
		double		A3 = -(r + x) * lT;
		double		L = A3,
					w4 = 0.0,
					ltx = 0.0;

		/* each likelihood over millions of histories can be cancelled */
		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();

		if (x != xt.x)
			bgnbd_x_terms(p, x, &xt, grad != NULL);
		if (x > 0)
		{
			double		A4;

			ltx = log(alpha + d->tx[i]);
			A4 = log(a) - log(b + x - 1) - (r + x) * ltx;
			L = ClvLogAddExp(A3, A4);
			w4 = exp(A4 - L);
		}
		ll += w * (xt.c + L);
		if (grad)
		{
			double		w3 = 1.0 - w4;

			grad[0] += w * (xt.dr - w3 * lT - w4 * ltx);
			grad[1] += w * (r / alpha - (r + x) * (w3 / (alpha + d->T[i]) +
												   w4 / (alpha + d->tx[i])));
			grad[2] += w * (xt.da + w4 / a);
			grad[3] += w * (xt.db - (x > 0 ? w4 / (b + x - 1) : 0.0));
		}
	}
	return ll;
}

/*
 * ln of F(t) = 2F1(r+s+x, k; r+s+x+1; d/(m+t)) / (m+t)^(r+s+x), the two
 * pieces of the Pareto/NBD A0.  Euler's transformation gives
 * 2F1(aa, k; aa+1; z) = (1-z)^(1-k) 2F1(1, aa+1-k; aa+1; z) with positive
 * terms, and 1 - z = (min(alpha, beta) + t) / (m + t).
 */
static double
pareto_log_f(double aa, double k, double m, double lo, double t, bool raise)
{
	double		lmt = log(m + t);
	double		z = (m - lo) / (m + t);
	double		f = ClvHyp2f1(1.0, aa + 1.0 - k, aa + 1.0, z, raise);

	return (1.0 - k) * (log(lo + t) - lmt) + log(f) - aa * lmt;
}

/* ln A0 of the Pareto/NBD likelihood (-inf when A0 = 0) */
static double
pareto_log_a0(const double *p, double x, double tx, double T, bool raise)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];
	double		m = Max(alpha, beta),
				lo = Min(alpha, beta);
	double		k = (alpha >= beta) ? s + 1.0 : r + x;
	double		aa = r + s + x;
	double		u,
				v;

	if (tx >= T)
		return -INFINITY;
	u = pareto_log_f(aa, k, m, lo, tx, raise);
	v = pareto_log_f(aa, k, m, lo, T, raise);
	if (!(v < u))
		return -INFINITY;
	return u + log1p(-exp(v - u));
}

/* Pareto/NBD log-likelihood summed over the rows (weighted) */
double
ClvParetoLogLik(const double *p, const ClvData *d)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];
	double		base = -lgamma(r) + r * log(alpha) + s * log(beta);
	double		ll = 0.0;
	int64		i;

	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					T = d->T[i];
		double		la0,
					alive;

		/* each likelihood over millions of histories can be cancelled */
		if ((i & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		la0 = pareto_log_a0(p, x, d->tx[i], T, false);
		alive = -(r + x) * log(alpha + T) - s * log(beta + T);

		if (isnan(la0))
			return NAN;
		ll += d->w[i] * (lgamma(r + x) + base +
						 ClvLogAddExp(alive, log(s / (r + s + x)) + la0));
	}
	return ll;
}

/*
 * Gamma-Gamma log-likelihood of the mean spends (d->tx holds m) summed over
 * the rows (weighted); with grad, its gradient in (p, q, gamma).  Rows sorted
 * by x make the terms that depend only on x (three lnΓ and two ψ) computed
 * once per distinct x, as in ClvBgnbdLogLik.
 */
double
ClvGammaGammaLogLik(const double *par, const ClvData *d, double *grad)
{
	double		p = par[0],
				q = par[1],
				g = par[2];
	double		ll = 0.0;
	double		base = q * log(g) - lgamma(q);
	double		psi_q = grad ? ClvDigamma(q) : 0.0;
	double		lg = log(g);
	double		cur_x = -1.0,	/* no x yet */
				cx = 0.0,		/* lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln γ + px ln x */
				psi_pxq = 0.0,
				dpx = 0.0;		/* ψ(px+q) - ψ(px) + ln x */
	int64		i;

	if (grad)
		memset(grad, 0, 3 * sizeof(double));
	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					m = d->tx[i],
					w = d->w[i];
		double		px = p * x;
		double		lm = log(m);
		double		lgm = log(g + x * m);

		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
		if (x != cur_x)
		{
			double		lx = log(x);

			cur_x = x;
			cx = lgamma(px + q) - lgamma(px) + base + px * lx;
			if (grad)
			{
				psi_pxq = ClvDigamma(px + q);
				dpx = psi_pxq - ClvDigamma(px) + lx;
			}
		}
		ll += w * (cx + (px - 1.0) * lm - (px + q) * lgm);
		if (grad)
		{
			grad[0] += w * x * (dpx + lm - lgm);
			grad[1] += w * (psi_pxq - psi_q + lg - lgm);
			grad[2] += w * (q / g - (px + q) / (g + x * m));
		}
	}
	return ll;
}

/* Log-likelihood of model kind with parameters p on data d (no gradient) */
double
ClvLogLik(ClvKind kind, const double *p, const ClvData *d)
{
	switch (kind)
	{
		case CLV_BGNBD:
			return ClvBgnbdLogLik(p, d, NULL);
		case CLV_PARETONBD:
			return ClvParetoLogLik(p, d);
		case CLV_GAMMAGAMMA:
			return ClvGammaGammaLogLik(p, d, NULL);
		case CLV_SBG:
			return ClvSbgLogLik(p, d, NULL);
		case CLV_MBGNBD:
			return ClvMbgnbdLogLik(p, d);
		case CLV_BGBB:
			return ClvBgbbLogLik(p, d);
	}
	return NAN;
}

/*
 * BG/BB (Fader, Hardie & Shang 2010; CLV.md 2.5): n discrete opportunities
 * after the first transaction; while alive a customer transacts at each with
 * probability p ~ Beta(alpha, beta) and becomes inactive for good at the
 * start of each with probability theta ~ Beta(gamma, delta).  With x
 * transactions, the last at opportunity tx:
 *	 L = B(a+x, b+n-x)/B(a,b) B(g, d+n)/B(g,d)
 *	   + sum_{i=0}^{n-tx-1} B(a+x, b+tx-x+i)/B(a,b) B(g+1, d+tx+i)/B(g,d)
 * summed in log space.
 */

/*
 * Error unless (x, tx, n) is a possible history: 0 <= x <= tx <= n, tx = 0
 * when x = 0, and n at most CLV_BGBB_MAX_OPPORTUNITIES (the likelihood sums
 * n - tx terms)
 */
void
ClvBgbbCheckHistory(int32 frequency, int32 recency, int32 opportunities)
{
	if (opportunities > CLV_BGBB_MAX_OPPORTUNITIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("opportunities must be at most %d", CLV_BGBB_MAX_OPPORTUNITIES),
				 errdetail("The value given is %d.", opportunities),
				 errhint("BG/BB counts discrete opportunities (years, events); for continuous time use BG/NBD.")));
	if (frequency < 0 || recency < frequency || opportunities < recency ||
		(frequency == 0 && recency != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("impossible BG/BB history"),
				 errdetail("frequency %d, recency %d, opportunities %d: need 0 <= frequency <= recency <= "
						   "opportunities, and recency 0 without transactions.",
						   frequency, recency, opportunities)));
}

/*
 * ln L of one history (the log of the sum above).  The terms of the sum
 * over i shrink by (b+tx-x+i)/(a+b+tx+i) (d+tx+i)/(g+d+tx+i+1) from one to
 * the next: summed relative to the first (i = 0), which fixes the scale.
 */
static double
bgbb_log_l(const double *p, double x, double tx, double n)
{
	double		a = p[0],
				b = p[1],
				g = p[2],
				d = p[3];
	double		lab = ClvLogBeta(a, b),
				lgd = ClvLogBeta(g, d);
	double		l = ClvLogBeta(a + x, b + n - x) - lab + ClvLogBeta(g, d + n) - lgd;
	double		l0,
				term = 1.0,
				sum = 0.0;
	int64		i,
				m = (int64) (n - tx);

	if (m <= 0)
		return l;
	l0 = ClvLogBeta(a + x, b + tx - x) - lab + ClvLogBeta(g + 1.0, d + tx) - lgd;
	for (i = 0; i < m; i++)
	{
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		sum += term;
		term *= (b + tx - x + i) / (a + b + tx + i) * ((d + tx + i) / (g + d + tx + i + 1.0));
	}
	return ClvLogAddExp(l, l0 + log(sum));
}

double
ClvBgbbLogLik(const double *p, const ClvData *d)
{
	double		ll = 0.0;
	int64		i;

	for (i = 0; i < d->n; i++)
	{
		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
		ll += d->w[i] * bgbb_log_l(p, d->x[i], d->tx[i], d->T[i]);
	}
	return ll;
}

/* P(alive at opportunity n + m) = B(a+x, b+n-x)/B(a,b) B(g, d+n+m)/B(g,d) / L */
double
ClvBgbbPAlive(const double *p, double x, double tx, double n, double m)
{
	return exp(ClvLogBeta(p[0] + x, p[1] + n - x) - ClvLogBeta(p[0], p[1]) +
			   ClvLogBeta(p[2], p[3] + n + m) - ClvLogBeta(p[2], p[3]) - bgbb_log_l(p, x, tx, n));
}

/*
 * E[transactions in opportunities n+1 .. n+future] =
 *	 B(a+x+1, b+n-x)/B(a,b) / L  d/(g-1) G(g+d)/G(1+d)
 *	 [G(1+d+n)/G(g+d+n) - G(1+d+n+future)/G(g+d+n+future)]
 * g = 1 is a removable singularity (0/0): there the mean of g = 1 +- 1e-7.
 */
static double
bgbb_expected_at(const double *p, double g, double future, double x, double tx, double n)
{
	double		a = p[0],
				b = p[1],
				d = p[3];
	double		q[4] = {a, b, g, d};
	double		lead = ClvLogBeta(a + x + 1.0, b + n - x) - ClvLogBeta(a, b) - bgbb_log_l(q, x, tx, n);
	double		u = lgamma(g + d) - lgamma(1.0 + d) + lgamma(1.0 + d + n) - lgamma(g + d + n);
	double		v = lgamma(g + d) - lgamma(1.0 + d) + lgamma(1.0 + d + n + future) - lgamma(g + d + n + future);

	/* exp(u) - exp(v) = exp(u) (1 - exp(v - u)) without cancellation */
	return exp(lead) * d / (g - 1.0) * exp(u) * -expm1(v - u);
}

double
ClvBgbbExpected(const double *p, double future, double x, double tx, double n)
{
	if (future <= 0.0)
		return 0.0;
	if (fabs(p[2] - 1.0) < 1e-7)
		return 0.5 * (bgbb_expected_at(p, 1.0 - 1e-7, future, x, tx, n) +
					  bgbb_expected_at(p, 1.0 + 1e-7, future, x, tx, n));
	return bgbb_expected_at(p, p[2], future, x, tx, n);
}

/*
 * Shifted beta-geometric (Fader & Hardie 2007, "How to project customer
 * retention"): each customer renews each period with a probability 1 - theta
 * of their own, theta ~ Beta(alpha, beta).  A customer lost at renewal t
 * (t >= 1) contributes
 *	 ln P(T = t) = ln B(alpha + 1, beta + t - 1) - ln B(alpha, beta),
 * one still active after n periods
 *	 ln S(n) = ln B(alpha, beta + n) - ln B(alpha, beta).
 * d->x holds t or n, d->tx 1 for lost and 0 for active; grad (optional)
 * gets d/d(alpha, beta) of the weighted sum, from the digamma function.
 */
double
ClvSbgLogLik(const double *p, const ClvData *d, double *grad)
{
	double		a = p[0],
				b = p[1];
	double		lb = ClvLogBeta(a, b);
	double		psi_ab = grad ? ClvDigamma(a + b) : 0.0;
	double		psi_a = grad ? ClvDigamma(a) : 0.0;
	double		psi_b = grad ? ClvDigamma(b) : 0.0;
	double		ll = 0.0,
				ga = 0.0,
				gb = 0.0;
	int64		i;

	for (i = 0; i < d->n; i++)
	{
		double		t = d->x[i],
					w = d->w[i];

		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();

		if (d->tx[i] != 0.0)
		{
			ll += w * (ClvLogBeta(a + 1.0, b + t - 1.0) - lb);
			if (grad)
			{
				double		psi = ClvDigamma(a + b + t);

				ga += w * (ClvDigamma(a + 1.0) - psi - psi_a + psi_ab);
				gb += w * (ClvDigamma(b + t - 1.0) - psi - psi_b + psi_ab);
			}
		}
		else
		{
			ll += w * (ClvLogBeta(a, b + t) - lb);
			if (grad)
			{
				double		psi = ClvDigamma(a + b + t);

				ga += w * (psi_a - psi - psi_a + psi_ab);
				gb += w * (ClvDigamma(b + t) - psi - psi_b + psi_ab);
			}
		}
	}
	if (grad)
	{
		grad[0] = ga;
		grad[1] = gb;
	}
	return ll;
}

/* S(t) = B(alpha, beta + t) / B(alpha, beta): active after t periods */
double
ClvSbgSurvival(const double *p, double t)
{
	return exp(ClvLogBeta(p[0], p[1] + t) - ClvLogBeta(p[0], p[1]));
}

/*
 * Discounted expected residual lifetime (Fader & Hardie 2010, "Customer-
 * base valuation in a contractual setting"): for a customer who has made
 * n - 1 = renewals renewals,
 *	 DERL = sum_{t >= n} S(t) / S(n - 1) / (1 + d)^(t - n)
 *		  = B(alpha, beta + n) / B(alpha, beta + n - 1)
 *			2F1(1, beta + n; alpha + beta + n; 1 / (1 + d)),
 * the renewals still to come, the next one undiscounted.  d > 0.
 */
double
ClvSbgDerl(const double *p, double d, double renewals)
{
	double		a = p[0],
				b = p[1],
				n = renewals + 1.0;

	return exp(ClvLogBeta(a, b + n) - ClvLogBeta(a, b + n - 1.0)) *
		ClvHyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + d), true);
}

/* 1 / (1 + e^lo) without overflow (exactly 0 for very large lo) */
static double
logistic_of_neg(double lo)
{
	return exp(-ClvLogAddExp(0.0, lo));
}

/* BG/NBD P(alive at T | x, tx, T); 1 when x = 0 */
double
ClvBgnbdPAlive(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];

	if (x <= 0)
		return 1.0;
	return logistic_of_neg(log(a) - log(b + x - 1) +
						   (r + x) * (log(alpha + T) - log(alpha + tx)));
}

/*
 * BG/NBD E[Y(t) | x, tx, T], expected purchases in (T, T + t] (FHL eq. 10;
 * x = tx = T = 0 gives the unconditional E[X(t)], eq. 9).
 *
 * With z = t / (alpha + T + t), C = a + b + x - 1 and A = a + b - 1 - r,
 * Euler's transformation turns the bracket of eq. 10 into
 *	 C/(a-1) [1 - (1-z)^(a-1) 2F1(A, a-1; C; z)]
 *	   = C h - (1-z)^(a-1) S,
 *	 h = (1 - (1-z)^(a-1)) / (a-1)	(-ln(1-z) at a = 1),
 *	 S = sum_{n>=1} (A)_n (a)_{n-1} / ((C+1)_{n-1} n!) z^n,
 * i.e. the factors (a-1) and 1/C cancelled analytically: no singularity at
 * a = 1 and none at C = 0; the series has small parameters and never
 * overflows, even for very frequent buyers.
 */
static double
bgnbd_bracket(const double *p, double t, double x, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		C = a + b + x - 1.0,
				A = a + b - 1.0 - r;
	double		l1 = log(alpha + T) - log(alpha + T + t);	/* ln(1 - z) */
	double		z = t / (alpha + T + t);
	double		h,
				S,
				e;

	if (t <= 0.0)
		return 0.0;
	h = (a == 1.0) ? -l1 : -expm1((a - 1.0) * l1) / (a - 1.0);
	if (z > 0.9 && fabs(a - 1.0) > 1e-4 && C != 0.0)
	{
		/*
		 * Near z = 1 the series converges slowly; 2F1 itself has a fast
		 * form there, and away from a = 1 and C = 0 the division is safe.
		 */
		S = C * (ClvHyp2f1(A, a - 1.0, C, z, false) - 1.0) / (a - 1.0);
	}
	else
	{
		/* t_1 = A z and the ratio of the 2F1(A, a-1; C; z) series from n = 1 */
		S = ClvHypSeries(A, a - 1.0, C, z, 1, A * z, false);
	}
	e = C * h - exp((a - 1.0) * l1) * S;
	if (!isfinite(e))
	{
		/*
		 * Dropout that hardly varies between customers makes a fit with a
		 * and b huge (a/(a+b) = p, the dropout probability).  Then S
		 * overflows although (1-z)^(a-1) S does not.  Eq. 10 as it stands
		 * is safe there: the terms of its 2F1(r+x, b+x; C; z) shrink like
		 * those of sum ((r+x)_n / n!) ((1-p) z)^n, fast even near z = 1.
		 */
		e = C / (a - 1.0) *
			(1.0 - exp((r + x) * l1) * ClvHypSeries(r + x, b + x, C, z, 0, 1.0, true));
	}
	return e;
}

double
ClvBgnbdExpected(const double *p, double t, double x, double tx, double T)
{
	if (t <= 0.0)
		return 0.0;
	return bgnbd_bracket(p, t, x, T) * ClvBgnbdPAlive(p, x, tx, T);
}

/*
 * MBG/NBD (Batislam, Denizel & Filiztekin 2007; CLV.md 2.2): BG/NBD with a
 * dropout possible at time 0 too, so that a customer without repeat
 * purchases is no longer certainly alive.  Per customer
 *	 ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b)
 *		  + ln[(alpha+T)^-(r+x) + a/(b+x) (alpha+tx)^-(r+x)]
 * (the last term by log-sum-exp, as for BG/NBD).
 */
double
ClvMbgnbdLogLik(const double *p, const ClvData *d)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		base = -lgamma(r) + r * log(alpha) - ClvLogBeta(a, b);
	double		ll = 0.0;
	int64		i;

	for (i = 0; i < d->n; i++)
	{
		double		x = d->x[i];
		double		A3 = -(r + x) * log(alpha + d->T[i]);
		double		A4 = log(a) - log(b + x) - (r + x) * log(alpha + d->tx[i]);

		if ((i & 4095) == 4095)
			CHECK_FOR_INTERRUPTS();
		ll += d->w[i] * (lgamma(r + x) + base + ClvLogBeta(a, b + x + 1.0) +
						 ClvLogAddExp(A3, A4));
	}
	return ll;
}

/* MBG/NBD P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+tx))^(r+x)), all x */
double
ClvMbgnbdPAlive(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];

	return logistic_of_neg(log(a) - log(b + x) +
						   (r + x) * (log(alpha + T) - log(alpha + tx)));
}

/*
 * MBG/NBD E[Y(t) | x, tx, T] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 * 2F1(r+x, b+x+1; a+b+x; z)] P(alive): BG/NBD's bracket with b + 1 in place of b
 * (so its numerics carry over), times the MBG/NBD P(alive).  x = tx = T = 0
 * gives E[X(t)] for a new customer, b/(a-1) [...] (P(alive | 0, 0, 0) = b/(a+b)).
 */
double
ClvMbgnbdExpected(const double *p, double t, double x, double tx, double T)
{
	double		q[4] = {p[0], p[1], p[2], p[3] + 1.0};

	if (t <= 0.0)
		return 0.0;
	return bgnbd_bracket(q, t, x, T) * ClvMbgnbdPAlive(p, x, tx, T);
}

/* BG/NBD P(X(t) = n) for a new customer (FHL eq. 8) */
double
ClvBgnbdPmf(const double *p, double t, int n)
{
	double		r = p[0],
				alpha = p[1],
				a = p[2],
				b = p[3];
	double		lp0 = log(alpha) - log(alpha + t),
				lq0 = log(t) - log(alpha + t);
	double		lbab = ClvLogBeta(a, b);
	double		first,
				second = 0.0;

	first = exp(ClvLogBeta(a, b + n) - lbab + lgamma(r + n) - lgamma(r) -
				lgamma(n + 1.0) + r * lp0 + (n > 0 ? n * lq0 : 0.0));
	if (n > 0)
	{
		/*
		 * 1 - p0^r sum_{j<n} Γ(r+j)/(Γ(r) j!) q0^j is the NBD's upper tail
		 * P(N >= n) = I_q0(n, r): in closed form, no sum over n terms
		 * (which overflowed for large r and t, and ran n steps)
		 */
		second = exp(ClvLogBeta(a + 1.0, b + n - 1.0) - lbab) *
			ClvIncBeta(n, r, t / (alpha + t), alpha / (alpha + t));
	}
	return first + second;
}

/* ln(1 - q^(s-1)) / (s - 1) as a finite expression, q in (0, 1] */
static double
one_minus_power_over(double s, double lq)
{
	return (s == 1.0) ? -lq : -expm1((s - 1.0) * lq) / (s - 1.0);
}

/* Pareto/NBD P(alive at T | x, tx, T) */
double
ClvParetoPAlive(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];
	double		la0 = pareto_log_a0(p, x, tx, T, true);

	if (isinf(la0))
		return 1.0;
	return logistic_of_neg(log(s / (r + s + x)) + (r + x) * log(alpha + T) +
						   s * log(beta + T) + la0);
}

/* Pareto/NBD E[Y(t) | x, tx, T] */
double
ClvParetoExpected(const double *p, double t, double x, double tx, double T)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];

	if (t <= 0.0)
		return 0.0;
	return ClvParetoPAlive(p, x, tx, T) * (r + x) * (beta + T) / (alpha + T) *
		one_minus_power_over(s, log(beta + T) - log(beta + T + t));
}

/* Pareto/NBD E[X(t)] for a new customer */
double
ClvParetoExpectedNew(const double *p, double t)
{
	double		r = p[0],
				alpha = p[1],
				s = p[2],
				beta = p[3];

	if (t <= 0.0)
		return 0.0;
	return r * beta / alpha *
		one_minus_power_over(s, log(beta) - log(beta + t));
}

/*
 * Gamma-Gamma E[Z | x, m]: the posterior mean spend per transaction,
 * p (gamma + x m) / (p x + q - 1); for x = 0 the population mean
 * p gamma / (q - 1).  Infinite (an error) when p x + q <= 1.
 */
double
ClvGammaGammaSpend(const double *par, double x, double m)
{
	double		p = par[0],
				q = par[1],
				g = par[2];
	double		denom = p * x + q - 1.0;

	if (!(denom > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("expected spend is infinite for this model"),
				 errdetail("p * frequency + q - 1 = %g is not positive (q = %g).",
						   denom, q),
				 errhint("A Gamma-Gamma model with q <= 1 has no finite mean spend "
						 "for customers without repeat purchases.")));
	return p * (g + x * m) / denom;
}
