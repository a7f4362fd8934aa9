/*-------------------------------------------------------------------------
 *
 * clv.h
 *	  Value models: BG/NBD, MBG/NBD, BG/BB, Pareto/NBD, Gamma-Gamma and the shifted
 *	  beta-geometric (types, fitting, predictions) and the special functions
 *	  and optimiser they need.
 *
 * Notation follows ../shared/CLV.md: x = repeat purchases, tx = time of the
 * last repeat purchase since the first, T = time since the first purchase
 * (the "age"), t = a horizon beyond T; all in model periods.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCRM_CLV_H
#define SCRM_CLV_H

#include "postgres.h"

#include "fmgr.h"

typedef enum ClvKind
{
	CLV_BGNBD = 1,				/* r, alpha, a, b */
	CLV_PARETONBD = 2,			/* r, alpha, s, beta */
	CLV_GAMMAGAMMA = 3,			/* p, q, gamma */
	CLV_SBG = 4,				/* alpha, beta */
	CLV_MBGNBD = 5,				/* r, alpha, a, b */
	CLV_BGBB = 6				/* alpha, beta, gamma, delta */
} ClvKind;

#define CLV_MAX_PARAMS 4

/* flags of ClvModel */
#define CLV_FITTED		0x01	/* carries fit statistics */
#define CLV_CONVERGED	0x02

/*
 * A model value: the on-disk and in-memory form of the SQL types
 * scrm.bgnbd, scrm.paretonbd and scrm.gammagamma (fixed length, 64 bytes).
 */
typedef struct ClvModel
{
	int32		kind;			/* ClvKind */
	int32		flags;
	int32		iterations;
	int32		nparams;
	double		params[CLV_MAX_PARAMS];
	double		loglik;			/* sum over customers (fitted only) */
	double		customers;		/* sum of weights (fitted only) */
} ClvModel;

/* Compressed fitting data: distinct rows with the summed weight of each */
typedef struct ClvData
{
	int64		n;
	double	   *x;				/* repeat purchases (an integer); sBG: periods */
								/* BG/BB: tx = last opportunity, T = opportunities */
	double	   *tx;				/* recency; Gamma-Gamma: mean spend; sBG: churned (0/1) */
	double	   *T;				/* age; unused by Gamma-Gamma */
	double	   *w;				/* weight */
} ClvData;

/* clv_special.c */
extern double ClvLogBeta(double a, double b);
extern double ClvDigamma(double x);
extern double ClvLogAddExp(double u, double v);
extern double ClvIncBeta(double a, double b, double x, double y);
extern double ClvHypSeries(double a, double b, double c, double z, int64 n0,
						   double t0, bool raise);
extern double ClvHyp2f1(double a, double b, double c, double z, bool raise);

/* clv_models.c: log-likelihoods (weighted sums) and gradients */
extern double ClvBgnbdLogLik(const double *p, const ClvData *d, double *grad);
extern double ClvParetoLogLik(const double *p, const ClvData *d);
extern double ClvGammaGammaLogLik(const double *p, const ClvData *d, double *grad);
extern double ClvLogLik(ClvKind kind, const double *p, const ClvData *d);

/* clv_models.c: predictions for one customer */
extern double ClvBgnbdPAlive(const double *p, double x, double tx, double T);
extern double ClvBgnbdExpected(const double *p, double t, double x,
							   double tx, double T);
extern double ClvBgnbdPmf(const double *p, double t, int n);
extern double ClvParetoPAlive(const double *p, double x, double tx, double T);
extern double ClvParetoExpected(const double *p, double t, double x,
								double tx, double T);
extern double ClvParetoExpectedNew(const double *p, double t);
extern double ClvGammaGammaSpend(const double *p, double x, double m);
extern double ClvMbgnbdLogLik(const double *p, const ClvData *d);
extern double ClvMbgnbdPAlive(const double *p, double x, double tx, double T);
extern double ClvMbgnbdExpected(const double *p, double t, double x,
								double tx, double T);
/* BG/BB: the most opportunities a history may count (its likelihood sums that many terms) */
#define CLV_BGBB_MAX_OPPORTUNITIES 1000000
extern void ClvBgbbCheckHistory(int32 frequency, int32 recency, int32 opportunities);
extern double ClvBgbbLogLik(const double *p, const ClvData *d);
extern double ClvBgbbPAlive(const double *p, double x, double tx, double n, double m);
extern double ClvBgbbExpected(const double *p, double future, double x, double tx, double n);
extern double ClvSbgLogLik(const double *p, const ClvData *d, double *grad);
extern double ClvSbgSurvival(const double *p, double t);
extern double ClvSbgDerl(const double *p, double d, double renewals);

/* clv_optim.c */
typedef double (*ClvObjective) (const double *theta, double *grad, void *arg);
extern bool ClvMinimize(ClvObjective f, void *arg, int dim, double *theta,
						int max_iterations, int *iterations, double *fmin);

/* clv_types.c */
extern const char *ClvKindName(ClvKind kind);
extern ClvModel *ClvModelCheck(Datum d, ClvKind kind);
extern void ClvCheckParams(ClvKind kind, const double *params);
extern void ClvCheckHistory(int32 frequency, double recency, double age);
extern const char *const *ClvParamNames(ClvKind kind);
extern int	ClvParamCount(ClvKind kind);

#endif							/* SCRM_CLV_H */
