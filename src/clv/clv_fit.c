/*-------------------------------------------------------------------------
 *
 * clv_fit.c
 *	  The fitting aggregates scrm.bgnbd_fit, scrm.mbgnbd_fit,
 *	  scrm.paretonbd_fit, scrm.gammagamma_fit, scrm.bgbb_fit and
 *	  scrm.sbg_fit.
 *
 * Steps: (1) the transition function validates each customer's history
 * and merges identical rows into one with the summed weight (CLV.md 2.7:
 * CDNOW's 2,357 customers are 1,016 distinct rows), so the state is small
 * and the fit's cost does not grow with duplicate histories; (2) combine,
 * serialize and deserialize let parallel query and distributed engines
 * split the input; (3) the final function sorts the rows (so the result
 * does not depend on input order), rescales time (or money) for
 * conditioning, maximises the likelihood in log-parameter space with BFGS,
 * and reports the log-likelihood on the original scale.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "clv.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_fit_trans);
PG_FUNCTION_INFO_V1(scrm_fit_rfm_trans);
PG_FUNCTION_INFO_V1(scrm_spend_fit_trans);
PG_FUNCTION_INFO_V1(scrm_spend_fit_rfm_trans);
PG_FUNCTION_INFO_V1(scrm_fit_combine);
PG_FUNCTION_INFO_V1(scrm_fit_serialize);
PG_FUNCTION_INFO_V1(scrm_fit_deserialize);
PG_FUNCTION_INFO_V1(scrm_bgnbd_fit_final);
PG_FUNCTION_INFO_V1(scrm_paretonbd_fit_final);
PG_FUNCTION_INFO_V1(scrm_gammagamma_fit_final);
PG_FUNCTION_INFO_V1(scrm_sbg_fit_trans);
PG_FUNCTION_INFO_V1(scrm_sbg_fit_final);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_fit_final);
PG_FUNCTION_INFO_V1(scrm_bgbb_fit_trans);
PG_FUNCTION_INFO_V1(scrm_bgbb_fit_final);

/* One distinct history and its weight (w = 0: empty hash slot) */
typedef struct FitRow
{
	double		x;
	double		tx;				/* recency, or mean spend for Gamma-Gamma */
	double		T;				/* age (0 for Gamma-Gamma) */
	double		w;
} FitRow;

/* Aggregate state: an open-addressing hash set of FitRow */
typedef struct FitState
{
	int64		nrows;			/* distinct rows */
	int64		nslots;			/* a power of two */
	FitRow	   *slots;
} FitState;

#define FIT_INITIAL_SLOTS 256

/* A hash of a row's key (x, tx, T) */
static inline uint64
row_hash(double x, double tx, double T)
{
	uint64		h = 0;
	double		k[3] = {x, tx + 0.0, T + 0.0};	/* + 0.0: -0 hashes as 0 */
	int			i;

	for (i = 0; i < 3; i++)
	{
		uint64		bits;

		memcpy(&bits, &k[i], sizeof(bits));
		h ^= bits + UINT64CONST(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
	}
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

/* A new empty state in the aggregate's memory context */
static FitState *
state_new(MemoryContext cxt, int64 nslots)
{
	FitState   *st = MemoryContextAlloc(cxt, sizeof(FitState));

	st->nrows = 0;
	st->nslots = nslots;
	st->slots = MemoryContextAllocHuge(cxt, nslots * sizeof(FitRow));
	memset(st->slots, 0, nslots * sizeof(FitRow));
	return st;
}

static void state_add(FitState *st, double x, double tx, double T, double w);

/* Double the slot count, checking the memory budget */
static void
state_grow(FitState *st)
{
	FitRow	   *old = st->slots;
	int64		oldn = st->nslots,
				i;
	Size		bytes = 2 * oldn * sizeof(FitRow);

	if (bytes > (Size) scrm_max_memory_kb * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model fit needs more memory than scrm.max_memory allows"),
				 errdetail("%lld distinct customer histories need %zu kB.",
						   (long long) st->nrows, bytes / 1024),
				 errhint("Raise scrm.max_memory to more than %zu MB (SET scrm.max_memory = '%zuMB'), "
						 "or round recency and age (e.g. to days) so that more histories coincide.",
						 (bytes >> 20) + 1, 2 * ((bytes >> 20) + 1))));
	st->slots = MemoryContextAllocHuge(GetMemoryChunkContext(old), bytes);
	memset(st->slots, 0, bytes);
	st->nslots = 2 * oldn;
	st->nrows = 0;
	for (i = 0; i < oldn; i++)
		if (old[i].w > 0)
			state_add(st, old[i].x, old[i].tx, old[i].T, old[i].w);
	pfree(old);
}

/* Add weight w to the row (x, tx, T) */
static void
state_add(FitState *st, double x, double tx, double T, double w)
{
	uint64		mask = st->nslots - 1;
	uint64		h = row_hash(x, tx, T) & mask;

	while (st->slots[h].w > 0)
	{
		FitRow	   *r = &st->slots[h];

		if (r->x == x && r->tx == tx && r->T == T)
		{
			r->w += w;
			return;
		}
		h = (h + 1) & mask;
	}
	st->slots[h].x = x;
	st->slots[h].tx = tx;
	st->slots[h].T = T;
	st->slots[h].w = w;
	if (++st->nrows * 2 > st->nslots)
		state_grow(st);
}

/* The transition state, created on the first row */
static FitState *
get_state(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "fit transition function called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (FitState *) PG_GETARG_POINTER(0);
	return state_new(aggcxt, FIT_INITIAL_SLOTS);
}

/* Check a weight: NULL or 0 skips the row; negative or not finite errors */
static bool
weight_ok(FunctionCallInfo fcinfo, int argno, double *w)
{
	*w = 1.0;
	if (PG_NARGS() <= argno)
		return true;
	if (PG_ARGISNULL(argno))
		return false;
	*w = PG_GETARG_FLOAT8(argno);
	if (!(*w >= 0.0) || isinf(*w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight must be a finite number >= 0"),
				 errdetail("The value given is %g.", *w)));
	return *w > 0.0;
}

/* Add one history (BG/NBD and Pareto/NBD) to the state */
static Datum
add_history(FunctionCallInfo fcinfo, int32 x, double tx, double T, int wargno)
{
	FitState   *st = get_state(fcinfo);
	double		w;

	if (weight_ok(fcinfo, wargno, &w))
	{
		ClvCheckHistory(x, tx, T);
		state_add(st, x, tx, T, w);
	}
	PG_RETURN_POINTER(st);
}

/* transition: (state, frequency, recency, age [, weight]) */
Datum
scrm_fit_trans(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(get_state(fcinfo));
	return add_history(fcinfo, PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2),
					   PG_GETARG_FLOAT8(3), 4);
}

/* Read field attno of an scrm.rfm_summary; false if it is NULL */
static bool
rfm_field(HeapTupleHeader rec, int attno, Datum *value)
{
	bool		isnull;

	*value = GetAttributeByNum(rec, attno, &isnull);
	return !isnull;
}

/* transition: (state, rfm_summary [, weight]) */
Datum
scrm_fit_rfm_trans(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec;
	Datum		x,
				tx,
				T;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(get_state(fcinfo));
	rec = PG_GETARG_HEAPTUPLEHEADER(1);
	if (!rfm_field(rec, 1, &x) || !rfm_field(rec, 2, &tx) || !rfm_field(rec, 3, &T))
		PG_RETURN_POINTER(get_state(fcinfo));
	return add_history(fcinfo, DatumGetInt32(x), DatumGetFloat8(tx),
					   DatumGetFloat8(T), 2);
}

/* Add one (frequency, mean spend) to a Gamma-Gamma state */
static Datum
add_spend(FunctionCallInfo fcinfo, int32 x, double m, int wargno)
{
	FitState   *st = get_state(fcinfo);
	double		w;

	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be >= 0"),
				 errdetail("The value given is %d.", x)));
	if (weight_ok(fcinfo, wargno, &w) && x > 0)
	{
		if (!(m > 0.0) || isinf(m))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("monetary must be a positive finite number for customers with repeat purchases"),
					 errdetail("frequency %d, monetary %g.", x, m),
					 errhint("Gamma-Gamma models positive spend; filter out "
							 "customers whose repeat purchases sum to 0 or less.")));
		state_add(st, x, m, 0.0, w);
	}
	PG_RETURN_POINTER(st);
}

/* transition: (state, frequency, monetary [, weight]) */
Datum
scrm_spend_fit_trans(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(get_state(fcinfo));
	return add_spend(fcinfo, PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2), 3);
}

/* transition: (state, rfm_summary [, weight]) for Gamma-Gamma */
Datum
scrm_spend_fit_rfm_trans(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec;
	Datum		x,
				m;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(get_state(fcinfo));
	rec = PG_GETARG_HEAPTUPLEHEADER(1);
	if (!rfm_field(rec, 1, &x) || !rfm_field(rec, 4, &m))
		PG_RETURN_POINTER(get_state(fcinfo));
	return add_spend(fcinfo, DatumGetInt32(x), DatumGetFloat8(m), 2);
}

/*
 * transition: (state, periods, churned [, weight]) for the sBG: a customer
 * lost at renewal t has periods = t >= 1, churned; one still active after n
 * periods has periods = n >= 0, not churned
 */
Datum
scrm_sbg_fit_trans(PG_FUNCTION_ARGS)
{
	FitState   *st = get_state(fcinfo);
	int32		t;
	bool		churned;
	double		w;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || !weight_ok(fcinfo, 3, &w))
		PG_RETURN_POINTER(st);
	t = PG_GETARG_INT32(1);
	churned = PG_GETARG_BOOL(2);
	if (t < (churned ? 1 : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be >= 1 for a churned customer and >= 0 for an active one"),
				 errdetail("periods %d, churned %s.", t, churned ? "true" : "false"),
				 errhint("A customer lost at the first renewal has periods = 1.")));
	state_add(st, t, churned ? 1.0 : 0.0, 0.0, w);
	PG_RETURN_POINTER(st);
}

/*
 * transition: (state, frequency, recency, opportunities [, weight]) for
 * BG/BB: x transactions in n opportunities, the last at opportunity tx
 */
Datum
scrm_bgbb_fit_trans(PG_FUNCTION_ARGS)
{
	FitState   *st = get_state(fcinfo);
	double		w;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || !weight_ok(fcinfo, 4, &w))
		PG_RETURN_POINTER(st);
	ClvBgbbCheckHistory(PG_GETARG_INT32(1), PG_GETARG_INT32(2), PG_GETARG_INT32(3));
	state_add(st, PG_GETARG_INT32(1), PG_GETARG_INT32(2), PG_GETARG_INT32(3), w);
	PG_RETURN_POINTER(st);
}

/* combine: merge the second state into the first */
Datum
scrm_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	FitState   *a,
			   *b;
	int64		i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "fit combine function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (FitState *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? state_new(aggcxt, FIT_INITIAL_SLOTS) :
		(FitState *) PG_GETARG_POINTER(0);
	for (i = 0; i < b->nslots; i++)
		if (b->slots[i].w > 0)
			state_add(a, b->slots[i].x, b->slots[i].tx, b->slots[i].T,
					  b->slots[i].w);
	PG_RETURN_POINTER(a);
}

/* serialize: row count, then (x, tx, T, w) per distinct row */
Datum
scrm_fit_serialize(PG_FUNCTION_ARGS)
{
	FitState   *st = (FitState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int64		i;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->nrows);
	for (i = 0; i < st->nslots; i++)
		if (st->slots[i].w > 0)
		{
			pq_sendfloat8(&buf, st->slots[i].x);
			pq_sendfloat8(&buf, st->slots[i].tx);
			pq_sendfloat8(&buf, st->slots[i].T);
			pq_sendfloat8(&buf, st->slots[i].w);
		}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* deserialize, validating every value */
Datum
scrm_fit_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcxt;
	StringInfoData buf;
	FitState   *st;
	int64		n,
				i,
				nslots = FIT_INITIAL_SLOTS;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "fit deserialize function called in non-aggregate context");
	ScrmBytesReader(&buf, bytes);
	n = pq_getmsgint64(&buf);
	if (n < 0 || (uint64) n > (uint64) (buf.len - buf.cursor) / (4 * sizeof(double)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid serialized model-fit state")));
	while (nslots < 2 * n + 2)
		nslots *= 2;
	st = state_new(aggcxt, nslots);
	for (i = 0; i < n; i++)
	{
		double		x = pq_getmsgfloat8(&buf);
		double		tx = pq_getmsgfloat8(&buf);
		double		T = pq_getmsgfloat8(&buf);
		double		w = pq_getmsgfloat8(&buf);

		if (!(x >= 0 && x == floor(x) && x <= PG_INT32_MAX) || !isfinite(tx) ||
			!isfinite(T) || !(w > 0) || isinf(w))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid serialized model-fit state")));
		state_add(st, x, tx, T, w);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* qsort comparator: rows by (x, tx, T) */
static int
fitrow_cmp(const void *a, const void *b)
{
	const FitRow *p = (const FitRow *) a;
	const FitRow *q = (const FitRow *) b;

	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	if (p->tx != q->tx)
		return p->tx < q->tx ? -1 : 1;
	if (p->T != q->T)
		return p->T < q->T ? -1 : 1;
	return 0;
}

/* Objective data: the rows (possibly rescaled) and the total weight */
typedef struct FitProblem
{
	ClvKind		kind;
	ClvData		data;
	double		weight;
} FitProblem;

/* The fit objective: mean negative log-likelihood over log-parameters */
static double
fit_objective(const double *theta, double *grad, void *arg)
{
	FitProblem *fp = (FitProblem *) arg;
	double		p[CLV_MAX_PARAMS];
	double		g[CLV_MAX_PARAMS];
	int			dim = ClvParamCount(fp->kind);
	double		ll;
	int			i;

	for (i = 0; i < dim; i++)
	{
		p[i] = exp(theta[i]);
		if (!(p[i] > 0.0) || isinf(p[i]))
			return NAN;
	}
	switch (fp->kind)
	{
		case CLV_BGNBD:
			ll = ClvBgnbdLogLik(p, &fp->data, grad ? g : NULL);
			break;
		case CLV_PARETONBD:
			ll = ClvParetoLogLik(p, &fp->data);
			return -ll / fp->weight;	/* no analytic gradient: grad stays NaN */
		case CLV_MBGNBD:
			ll = ClvMbgnbdLogLik(p, &fp->data);
			return -ll / fp->weight;	/* no analytic gradient either */
		case CLV_BGBB:
			ll = ClvBgbbLogLik(p, &fp->data);
			return -ll / fp->weight;
		case CLV_SBG:
			ll = ClvSbgLogLik(p, &fp->data, grad ? g : NULL);
			break;
		default:
			ll = ClvGammaGammaLogLik(p, &fp->data, grad ? g : NULL);
			break;
	}
	if (grad)
		for (i = 0; i < dim; i++)
			grad[i] = -g[i] * p[i] / fp->weight;
	return -ll / fp->weight;
}

/* Fit a model of kind to the state's rows */
static ClvModel *
fit(ClvKind kind, FitState *st)
{
	const char *name = kind == CLV_BGNBD ? "bgnbd_fit" :
		kind == CLV_PARETONBD ? "paretonbd_fit" :
		kind == CLV_SBG ? "sbg_fit" :
		kind == CLV_MBGNBD ? "mbgnbd_fit" :
		kind == CLV_BGBB ? "bgbb_fit" : "gammagamma_fit";
	ScrmBudget	budget;
	FitRow	   *rows;
	FitProblem	fp;
	ClvData		orig;
	ClvModel   *m = palloc0(sizeof(ClvModel));
	double		theta[CLV_MAX_PARAMS] = {0, 0, 0, 0};
	double		scale = 0.0,
				repeat = 0.0,
				fmin;
	int			dim = ClvParamCount(kind);
	int64		i,
				n = 0;
	bool		converged;

	ScrmBudgetInit(&budget, "model fit");
	rows = ScrmAlloc(&budget, Max(st ? st->nrows : 0, 1), sizeof(FitRow));
	if (st)
		for (i = 0; i < st->nslots; i++)
			if (st->slots[i].w > 0)
				rows[n++] = st->slots[i];
	ScrmSort(rows, n, sizeof(FitRow), fitrow_cmp);

	fp.kind = kind;
	fp.weight = 0.0;
	orig.n = fp.data.n = n;
	orig.x = ScrmAlloc(&budget, Max(n, 1), sizeof(double));
	orig.tx = ScrmAlloc(&budget, Max(n, 1), sizeof(double));
	orig.T = ScrmAlloc(&budget, Max(n, 1), sizeof(double));
	orig.w = ScrmAlloc(&budget, Max(n, 1), sizeof(double));
	for (i = 0; i < n; i++)
	{
		orig.x[i] = rows[i].x;
		orig.tx[i] = rows[i].tx;
		orig.T[i] = rows[i].T;
		orig.w[i] = rows[i].w;
		fp.weight += rows[i].w;
		repeat += rows[i].w * (kind == CLV_SBG ? rows[i].tx : rows[i].x);
		/* time scale: the longest age; money scale: the mean spend */
		scale = (kind == CLV_GAMMAGAMMA) ? scale + rows[i].w * rows[i].tx :
			Max(scale, rows[i].T);
	}
	if (kind == CLV_GAMMAGAMMA && fp.weight > 0)
		scale /= fp.weight;
	if (kind == CLV_BGBB)
	{
		/* opportunities are counted: no time scale; a state from bytes is checked */
		scale = 1.0;
		for (i = 0; i < n; i++)
			if (orig.tx[i] != floor(orig.tx[i]) || orig.T[i] != floor(orig.T[i]) ||
				orig.T[i] > CLV_BGBB_MAX_OPPORTUNITIES ||
				orig.x[i] > orig.tx[i] || orig.tx[i] > orig.T[i] || (orig.x[i] == 0 && orig.tx[i] != 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid BG/BB fit state")));
	}
	if (kind == CLV_SBG)
	{
		/* periods count renewals: no time scale; a state from bytes is checked */
		scale = 1.0;
		for (i = 0; i < n; i++)
			if ((orig.tx[i] != 0.0 && orig.tx[i] != 1.0) || orig.x[i] < orig.tx[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						 errmsg("invalid sBG fit state")));
	}
	if (fp.weight < 2.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least 2 customers", name),
				 errdetail("The input has %g%s.", fp.weight,
						   kind == CLV_GAMMAGAMMA ?
						   " customers with repeat purchases" : " customers")));
	if (kind == CLV_SBG && repeat <= 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sbg_fit cannot fit data without churned customers"),
				 errdetail("No customer of the input was lost.")));
	if (repeat <= 0.0 || !(scale > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot fit data without repeat purchases", name),
				 errdetail("%s", kind == CLV_GAMMAGAMMA ?
						   "No customer has a positive frequency." :
						   "Every customer has frequency 0 or age 0.")));

	/* rescaled copy for the optimiser (CLV.md 2.7, trick 2) */
	fp.data.x = orig.x;
	fp.data.w = orig.w;
	fp.data.T = ScrmAlloc(&budget, Max(n, 1), sizeof(double));
	fp.data.tx = ScrmAlloc(&budget, Max(n, 1), sizeof(double));
	for (i = 0; i < n; i++)
	{
		fp.data.tx[i] = orig.tx[i] / scale;
		fp.data.T[i] = orig.T[i] / scale;
	}

	converged = ClvMinimize(fit_objective, &fp, dim, theta,
							scrm_fit_max_iterations, &m->iterations, &fmin);

	m->kind = kind;
	m->nparams = dim;
	for (i = 0; i < dim; i++)
		m->params[i] = exp(theta[i]);
	/* back to the original units: alpha (and beta) scale with time, gamma with money */
	if (kind == CLV_GAMMAGAMMA)
		m->params[2] *= scale;
	else if (kind != CLV_SBG && kind != CLV_BGBB)
	{
		m->params[1] *= scale;
		if (kind == CLV_PARETONBD)
			m->params[3] *= scale;
	}
	ClvCheckParams(kind, m->params);
	m->loglik = ClvLogLik(kind, m->params, &orig);
	m->customers = fp.weight;
	if (!isfinite(m->loglik) || !isfinite(m->customers))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the log-likelihood of the fit is out of range", name),
				 errdetail("The weights add up to %g customers.", m->customers),
				 errhint("Weights count customers: give each history its number of customers.")));
	m->flags = CLV_FITTED | (converged ? CLV_CONVERGED : 0);
	if (!converged)
		ereport(WARNING,
				(errmsg("%s did not converge", name),
				 errdetail("The optimiser stopped after %d iterations; the model is "
						   "marked converged = false.", m->iterations),
				 errhint("A parameter near 0 or very large means the data do not identify "
						 "it (e.g. no heterogeneity, or no sign of dropout); otherwise raise "
						 "scrm.fit_max_iterations.")));
	ScrmBudgetRelease(&budget);
	return m;
}

Datum
scrm_bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit(CLV_BGNBD, PG_ARGISNULL(0) ? NULL :
						  (FitState *) PG_GETARG_POINTER(0)));
}

Datum
scrm_paretonbd_fit_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit(CLV_PARETONBD, PG_ARGISNULL(0) ? NULL :
						  (FitState *) PG_GETARG_POINTER(0)));
}

Datum
scrm_gammagamma_fit_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit(CLV_GAMMAGAMMA, PG_ARGISNULL(0) ? NULL :
						  (FitState *) PG_GETARG_POINTER(0)));
}

Datum
scrm_sbg_fit_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit(CLV_SBG, PG_ARGISNULL(0) ? NULL :
						  (FitState *) PG_GETARG_POINTER(0)));
}

Datum
scrm_mbgnbd_fit_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit(CLV_MBGNBD, PG_ARGISNULL(0) ? NULL :
						  (FitState *) PG_GETARG_POINTER(0)));
}

Datum
scrm_bgbb_fit_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit(CLV_BGBB, PG_ARGISNULL(0) ? NULL :
						  (FitState *) PG_GETARG_POINTER(0)));
}
