/*-------------------------------------------------------------------------
 *
 * clv_optim.c
 *	  Unconstrained minimisation for the model fits: BFGS (Nocedal & Wright
 *	  2006, algorithm 6.1) with a backtracking Armijo line search.
 *
 * The fits minimise the mean negative log-likelihood over log-parameters,
 * so every parameter stays positive.  The objective supplies an analytic
 * gradient where one is available; otherwise central differences are used.
 * A step whose objective is not finite (a parameter region where the
 * likelihood cannot be evaluated) is simply rejected by the line search.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "clv.h"

#define OPT_MAX_DIM 4
#define OPT_GTOL 1e-9			/* converged: max |gradient| below this */
#define OPT_GTOL_STALLED 1e-6	/* ... or stalled with a gradient below this */
#define OPT_MAX_STEP 4.0		/* largest move of one log-parameter per step */
#define OPT_FLAT_STEPS 3		/* stalled: f unchanged this many steps... */
#define OPT_FLAT_RTOL 1e-14		/* ... to this relative precision */
#define OPT_MAX_THETA 35.0		/* a parameter beyond e^+-35 runs off: stop */
#define OPT_FINITE_THETA 15.0	/* beyond e^+-15 (data rescaled to ~1) the
								 * optimum is at the boundary, not converged */

/* Objective and gradient; central differences when f gives no gradient */
static double
eval(ClvObjective f, void *arg, int dim, const double *theta, double *grad)
{
	double		fx = f(theta, grad, arg);
	double		probe[OPT_MAX_DIM];
	int			i;

	if (!isfinite(fx) || grad == NULL || !isnan(grad[0]))
		return fx;
	/* f left grad[0] as NaN: no analytic gradient */
	memcpy(probe, theta, dim * sizeof(double));
	for (i = 0; i < dim; i++)
	{
		double		h = 1e-5 * Max(1.0, fabs(theta[i]));
		double		fp,
					fm;

		probe[i] = theta[i] + h;
		fp = f(probe, NULL, arg);
		probe[i] = theta[i] - h;
		fm = f(probe, NULL, arg);
		probe[i] = theta[i];
		grad[i] = (fp - fm) / (2.0 * h);
		if (!isfinite(grad[i]))
			return NAN;
	}
	return fx;
}

/* max |v_i| */
static double
max_abs(const double *v, int dim)
{
	double		m = 0.0;
	int			i;

	for (i = 0; i < dim; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

/*
 * Minimise f from theta (updated in place).  Returns true when converged;
 * *iterations and *fmin report the run.  f returns NaN or infinity where
 * it cannot be evaluated; at the starting point that is an error.
 */
bool
ClvMinimize(ClvObjective f, void *arg, int dim, double *theta,
			int max_iterations, int *iterations, double *fmin)
{
	double		H[OPT_MAX_DIM][OPT_MAX_DIM];
	double		g[OPT_MAX_DIM],
				gn[OPT_MAX_DIM],
				d[OPT_MAX_DIM],
				xn[OPT_MAX_DIM],
				s[OPT_MAX_DIM],
				y[OPT_MAX_DIM];
	double		fx,
				fn = 0.0;
	bool		converged = false;
	int			flat = 0;
	int			it,
				i,
				j;

	Assert(dim <= OPT_MAX_DIM);
	for (i = 0; i < dim; i++)
		for (j = 0; j < dim; j++)
			H[i][j] = (i == j) ? 1.0 : 0.0;
	g[0] = NAN;
	fx = eval(f, arg, dim, theta, g);
	if (!isfinite(fx))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the likelihood cannot be evaluated at the starting point")));

	for (it = 0; it < max_iterations; it++)
	{
		double		slope = 0.0,
					step = 1.0,
					biggest,
					sy = 0.0;
		bool		accepted = false;

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, dim) < OPT_GTOL)
		{
			converged = true;
			break;
		}

		/* search direction d = -H g; fall back to steepest descent */
		for (i = 0; i < dim; i++)
		{
			d[i] = 0.0;
			for (j = 0; j < dim; j++)
				d[i] -= H[i][j] * g[j];
			slope += d[i] * g[i];
		}
		if (!(slope < 0.0))
		{
			for (i = 0; i < dim; i++)
			{
				for (j = 0; j < dim; j++)
					H[i][j] = (i == j) ? 1.0 : 0.0;
				d[i] = -g[i];
			}
			slope = 0.0;
			for (i = 0; i < dim; i++)
				slope -= g[i] * g[i];
		}
		biggest = max_abs(d, dim);
		if (biggest > OPT_MAX_STEP)
			step = OPT_MAX_STEP / biggest;

		/* backtracking line search (Armijo condition) */
		for (j = 0; j < 60; j++)
		{
			for (i = 0; i < dim; i++)
				xn[i] = theta[i] + step * d[i];
			gn[0] = NAN;
			fn = eval(f, arg, dim, xn, gn);
			if (isfinite(fn) && fn <= fx + 1e-4 * step * slope)
			{
				accepted = true;
				break;
			}
			step *= 0.5;
		}
		if (!accepted)
		{
			/* no decrease possible at machine precision: a stationary point? */
			converged = max_abs(g, dim) < OPT_GTOL_STALLED;
			break;
		}

		/* BFGS update of the inverse Hessian approximation */
		for (i = 0; i < dim; i++)
		{
			s[i] = xn[i] - theta[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
		}
		if (sy > 1e-300)
		{
			double		Hy[OPT_MAX_DIM];
			double		yHy = 0.0;

			for (i = 0; i < dim; i++)
			{
				Hy[i] = 0.0;
				for (j = 0; j < dim; j++)
					Hy[i] += H[i][j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (i = 0; i < dim; i++)
				for (j = 0; j < dim; j++)
					H[i][j] += (sy + yHy) * s[i] * s[j] / (sy * sy) -
						(Hy[i] * s[j] + s[i] * Hy[j]) / sy;
		}
		/*
		 * At the optimum the gradient can stay above OPT_GTOL by rounding
		 * alone (a sum over many customers); steps that no longer change f
		 * with a small gradient mean we are there.
		 */
		flat = (fabs(fx - fn) <= OPT_FLAT_RTOL * Max(1.0, fabs(fx))) ? flat + 1 : 0;
		memcpy(theta, xn, dim * sizeof(double));
		memcpy(g, gn, dim * sizeof(double));
		fx = fn;
		if (flat >= OPT_FLAT_STEPS && max_abs(g, dim) < OPT_GTOL_STALLED)
		{
			converged = true;
			it++;
			break;
		}
		/* a parameter running off to 0 or infinity: no finite optimum */
		if (max_abs(theta, dim) > OPT_MAX_THETA)
		{
			it++;
			break;
		}
	}
	*iterations = it;
	*fmin = fx;
	/* a flat likelihood far out is a supremum at the boundary, not an optimum */
	return converged && max_abs(theta, dim) <= OPT_FINITE_THETA;
}
