/*-------------------------------------------------------------------------
 *
 * graph_pagerank.c
 *	  scrm.pagerank: PageRank by power iteration with networkx semantics.
 *
 * Page, Brin, Motwani & Winograd (1999).  The iteration is exactly the one
 * of networkx.pagerank, so results agree with it to rounding:
 *
 *	 x' = d * (x P + (sum of x over dangling nodes) * p) + (1 - d) * p
 *
 * where P is the weighted transition matrix (each node's out-weights scaled
 * to sum to 1), a dangling node is one whose out-weights sum to 0, and p is
 * the personalization vector (uniform when none is given).  Iteration stops
 * when the L1 change is below n * tolerance; not converging within
 * max_iterations is a WARNING and the last iterate is returned.
 *
 * The product x P is computed "pull" style over the in-CSR: each node sums
 * x[u] / outweight[u] * w(u, v) over its in-neighbours u.  From the third
 * step on, the rows are visited in order of length (sort_rows).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "graph.h"
#include "input.h"

PG_FUNCTION_INFO_V1(scrm_pagerank);
PG_FUNCTION_INFO_V1(scrm_refresh_pagerank);

/* State of the personalization-reading callback */
typedef struct PersState
{
	Graph	   *g;
	double	   *p;
	ScrmColumn *cols;
} PersState;

/* Row callback: add one personalization weight */
static void
load_personalization(void *arg, Datum *values, bool *isnull)
{
	PersState  *st = (PersState *) arg;
	int64		id = ScrmRowId(values, isnull, st->cols, 0, "personalization");
	double		w;
	int32		v;

	if (isnull[1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("personalization query returned a null weight"),
				 errdetail("Node %s has a null weight.", ScrmKeysOut(st->g->keys, id))));
	w = DatumGetFloat8(values[1]);
	if (isnan(w) || isinf(w) || w < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("personalization weight must be a finite number >= 0"),
				 errdetail("Node %s has weight %g.", ScrmKeysOut(st->g->keys, id), w)));
	v = GraphFindNode(st->g, id);
	if (v >= 0)					/* ids outside the graph are ignored */
		st->p[v] += w;
}

/* Fill p with the personalization vector (normalised to sum 1) */
static void
personalization_vector(Graph *g, const char *query, double *p)
{
	ScrmColumn	cols[2] = {
		{"node", SCRM_COL_KEY, true},
		{"weight", SCRM_COL_FLOAT, true},
	};
	PersState	st = {g, p, cols};
	double		sum = 0.0;
	int32		v;

	ScrmColumnsSetKeys(cols, 2, g->keys);
	if (query == NULL)
	{
		for (v = 0; v < g->n; v++)
			p[v] = 1.0 / g->n;
		return;
	}
	memset(p, 0, sizeof(double) * g->n);
	ScrmReadQuery(query, "personalization", cols, 2, load_personalization, &st,
				  NULL);
	for (v = 0; v < g->n; v++)
		sum += p[v];
	if (isinf(sum))
	{
		/* weights whose sum overflows: the same shares of weights scaled */
		double		maxp = 0.0;
		int			shift;

		for (v = 0; v < g->n; v++)
			maxp = Max(maxp, p[v]);
		(void) frexp(maxp, &shift);
		for (v = 0, sum = 0.0; v < g->n; v++)
			sum += (p[v] = ldexp(p[v], -shift));
	}
	if (!(sum > 0.0) || isinf(sum))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("personalization weights must have a positive, finite sum over the graph's nodes"),
				 errdetail("Personalization nodes that are not in the graph are ignored.")));
	for (v = 0; v < g->n; v++)
		p[v] /= sum;
}

/* Is every out-weight finite, with a finite inverse when it is not 0? */
static bool
invertible(const double *out, int32 n)
{
	int32		u;

	for (u = 0; u < n; u++)
		if (isinf(out[u]) || (out[u] > 0.0 && isinf(1.0 / out[u])))
			return false;
	return true;
}

/*
 * What an iteration step reads: the in-CSR, each node's inverse out-weight
 * (0 when dangling) and weight shift, the personalization and the dangling
 * nodes.  After a few steps the rows may be renumbered by length
 * (sort_rows); perm then maps a row back to its node.
 */
typedef struct PrSystem
{
	int32		n;
	const int64 *off;
	const int32 *adj;
	const double *w;
	const int  *shift;			/* per node, when weights need scaling (or NULL) */
	const double *inv_out;
	const double *p;
	const int32 *dangling;
	int32		ndangling;
	const int32 *perm;			/* row i is node perm[i] (NULL: node i) */
} PrSystem;

/*
 * One step x -> xn of the iteration (y is scratch); returns the L1 change
 */
static double
power_step(const PrSystem *sy, double damping, const double *x, double *xn,
		   double *y)
{
	const int64 *off = sy->off;
	const int32 *adj = sy->adj;
	const double *w = sy->w;
	const double *p = sy->p;
	double		dsum = 0.0;
	double		err = 0.0;
	int32		i,
				v;
	int64		k;

	for (i = 0; i < sy->ndangling; i++)
		dsum += x[sy->dangling[i]];
	for (v = 0; v < sy->n; v++)
		y[v] = x[v] * sy->inv_out[v];
	for (v = 0; v < sy->n; v++)
	{
		double		s = 0.0;

		if ((v & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (w && sy->shift)
			for (k = off[v]; k < off[v + 1]; k++)
				s += y[adj[k]] * ldexp(w[k], sy->shift[adj[k]]);
		else
		{
			/* two sums over every other arc: not one chain of dependent adds */
			double		s1 = 0.0;
			int64		end = off[v + 1];

			if (w)
			{
				for (k = off[v]; k + 1 < end; k += 2)
				{
					s += y[adj[k]] * w[k];
					s1 += y[adj[k + 1]] * w[k + 1];
				}
				if (k < end)
					s += y[adj[k]] * w[k];
			}
			else
			{
				for (k = off[v]; k + 1 < end; k += 2)
				{
					s += y[adj[k]];
					s1 += y[adj[k + 1]];
				}
				if (k < end)
					s += y[adj[k]];
			}
			s += s1;
		}
		xn[v] = damping * (s + dsum * p[v]) + (1.0 - damping) * p[v];
		err += fabs(xn[v] - x[v]);
	}
	return err;
}

/* Longest row length sort_rows tells apart; longer rows share one group */
#define SORT_ROWS_MAX 64

/*
 * Renumber the rows of sy by length, shortest first (a counting sort,
 * stable), and permute x to match.  Each row keeps its arcs in their order,
 * so a node's sum is the same.  What changes is that rows of one
 * length come one after another: the branch that ends a row, mispredicted
 * about once a row where short rows of mixed lengths alternate (most
 * graphs), becomes predictable.  Epinions at tolerance 1e-10 (41 steps)
 * ran in 77-78 ms against 89-90 before.  Skipped (false) when
 * scrm.max_memory has no room for the copy.
 */
static bool
sort_rows(ScrmBudget *b, PrSystem *sy, double *x, double *scratch)
{
	int32		n = sy->n;
	int64		m = sy->off[n];
	Size		need = sizeof(int64) * (n + 1) + sizeof(int32) * m +
		(sy->w ? sizeof(double) * m : 0) + (sy->shift ? sizeof(int) * n : 0) +
		sizeof(double) * 2 * n + sizeof(int32) * (3 * (Size) n);
	int64		count[SORT_ROWS_MAX + 2] = {0};
	int32	   *perm,
			   *pos,
			   *dangling;
	int64	   *off;
	int32	   *adj;
	double	   *w = NULL,
			   *inv_out,
			   *p;
	int		   *shift = NULL;
	int32		i,
				v;
	int64		k;

	if (ScrmBudgetRoom(b) < need)
		return false;
	for (v = 0; v < n; v++)
		count[Min(sy->off[v + 1] - sy->off[v], SORT_ROWS_MAX) + 1]++;
	for (i = 1; i <= SORT_ROWS_MAX + 1; i++)
		count[i] += count[i - 1];
	perm = ScrmAlloc(b, n, sizeof(int32));
	pos = ScrmAlloc(b, n, sizeof(int32));
	for (v = 0; v < n; v++)
	{
		int32		r = (int32) count[Min(sy->off[v + 1] - sy->off[v], SORT_ROWS_MAX)]++;

		perm[r] = v;
		pos[v] = r;
	}

	off = ScrmAlloc(b, (Size) n + 1, sizeof(int64));
	adj = ScrmAlloc(b, Max(m, 1), sizeof(int32));
	if (sy->w)
		w = ScrmAlloc(b, Max(m, 1), sizeof(double));
	off[0] = 0;
	for (i = 0; i < n; i++)
	{
		int64		lo = sy->off[perm[i]],
					hi = sy->off[perm[i] + 1],
					o = off[i];

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		for (k = lo; k < hi; k++)
			adj[o + k - lo] = pos[sy->adj[k]];
		if (w)
			memcpy(w + o, sy->w + lo, sizeof(double) * (hi - lo));
		off[i + 1] = o + hi - lo;
	}

	inv_out = ScrmAlloc(b, n, sizeof(double));
	p = ScrmAlloc(b, n, sizeof(double));
	dangling = ScrmAlloc(b, Max(sy->ndangling, 1), sizeof(int32));
	if (sy->shift)
		shift = ScrmAlloc(b, n, sizeof(int));
	sy->ndangling = 0;
	for (i = 0; i < n; i++)
	{
		inv_out[i] = sy->inv_out[perm[i]];
		p[i] = sy->p[perm[i]];
		if (shift)
			shift[i] = sy->shift[perm[i]];
		if (!(inv_out[i] > 0.0))
			dangling[sy->ndangling++] = i;
		scratch[i] = x[perm[i]];
	}
	memcpy(x, scratch, sizeof(double) * n);
	ScrmFree(b, pos, n, sizeof(int32));

	sy->off = off;
	sy->adj = adj;
	sy->w = w;
	sy->shift = shift;
	sy->inv_out = inv_out;
	sy->p = p;
	sy->dangling = dangling;
	sy->perm = perm;
	return true;
}

/*
 * Power iteration into result.  Returns the number of iterations run, or
 * -1 when the tolerance was not reached (*err_out holds the last change).
 */
static int
power_iterate(Graph *g, const double *p, double damping, int max_iterations,
			  double tolerance, double *result, double *err_out)
{
	ScrmBudget *b = &g->budget;
	int32		n = g->n;
	const int64 *off = g->in.off;
	const int32 *adj = g->in.adj;
	const double *w = g->in.w;
	double	   *x = result;
	double	   *xn = ScrmAlloc(b, n, sizeof(double));
	double	   *y = ScrmAlloc(b, n, sizeof(double));
	double	   *inv_out = ScrmAlloc0(b, n, sizeof(double));
	int32	   *dangling = ScrmAlloc(b, n, sizeof(int32));
	int32		ndangling = 0;
	PrSystem	sy;
	double		err = 0.0;
	bool		converged = false;
	int			it,
			   *shift = NULL;	/* per node, when weights need scaling */
	int32		u;
	int64		k;

	/* out-weight of every node, then its inverse (0 when dangling) */
	for (k = 0; k < off[n]; k++)
		inv_out[adj[k]] += w ? w[k] : 1.0;
	if (w && !invertible(inv_out, n))
	{
		/*
		 * weights so large that an out-weight overflows, or so small that
		 * its inverse does: the same transition probabilities from each
		 * node's weights scaled by a power of two (exact, in ldexp) to at
		 * most 1 at that node
		 */
		shift = ScrmAlloc(b, n, sizeof(int));
		for (u = 0; u < n; u++)
			shift[u] = INT_MAX;
		for (k = 0; k < off[n]; k++)
		{
			int			e;

			if (isinf(w[k]))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("edge weight is out of range"),
						 errdetail("The weights of duplicate edges add up to more than double precision holds.")));
			(void) frexp(w[k], &e);
			if (w[k] > 0.0)
				shift[adj[k]] = Min(shift[adj[k]], -e);
		}
		for (u = 0; u < n; u++)
			if (shift[u] == INT_MAX)
				shift[u] = 0;	/* no positive weight: dangling */
		memset(inv_out, 0, sizeof(double) * n);
		for (k = 0; k < off[n]; k++)
			inv_out[adj[k]] += ldexp(w[k], shift[adj[k]]);
	}
	for (u = 0; u < n; u++)
	{
		if (inv_out[u] > 0.0)
			inv_out[u] = 1.0 / inv_out[u];
		else
			dangling[ndangling++] = u;
		x[u] = 1.0 / n;
	}
	sy = (PrSystem) {n, off, adj, w, shift, inv_out, p, dangling, ndangling, NULL};

	for (it = 1; it <= max_iterations && !converged; it++)
	{
		double	   *swap;

		CHECK_FOR_INTERRUPTS();
		/* two steps did not do: there will be many, sort the rows for them */
		if (it == 3 && sy.perm == NULL)
			sort_rows(b, &sy, x, xn);
		err = power_step(&sy, damping, x, xn, y);
		swap = x;
		x = xn;
		xn = swap;
		converged = err < n * tolerance;
	}
	if (sy.perm)
	{
		/* back to node order */
		if (x == result)
		{
			memcpy(xn, x, sizeof(double) * n);
			x = xn;
		}
		for (u = 0; u < n; u++)
			result[sy.perm[u]] = x[u];
	}
	else if (x != result)
		memcpy(result, x, sizeof(double) * n);
	*err_out = err;
	return converged ? it - 1 : -1;
}

/* Read a float8 argument that must not be NULL */
static double
float_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	ScrmArgNotNull(fcinfo, argno, name);
	return PG_GETARG_FLOAT8(argno);
}

/*
 * scrm.pagerank(edges, damping, max_iterations, tolerance, directed,
 * personalization) RETURNS TABLE (node bigint, score float8)
 */
static Datum
scrm_pagerank_run(FunctionCallInfo fcinfo, int off)
{
	ScrmKeys   *keys = off == 0 ? ScrmKeyArg(fcinfo, 6, &off) : NULL;
	const char *edges = off >= 0 ? ScrmTextArg(fcinfo, off, "edges") : NULL;
	double		damping = float_arg(fcinfo, 1 + off, "damping");
	int			max_iterations;
	double		tolerance = float_arg(fcinfo, 3 + off, "tolerance");
	bool		directed;
	const char *pers = PG_ARGISNULL(5 + off) ? NULL :
		text_to_cstring(PG_GETARG_TEXT_PP(5 + off));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Graph	   *g;
	double	   *p,
			   *x;
	double		err;
	int			iterations;
	int32		v;

	ScrmArgNotNull(fcinfo, 2 + off, "max_iterations");
	ScrmArgNotNull(fcinfo, 4 + off, "directed");
	max_iterations = PG_GETARG_INT32(2 + off);
	directed = PG_GETARG_BOOL(4 + off);
	ScrmCheckProbability("damping", damping);
	if (max_iterations < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iterations must be at least 1")));
	if (isnan(tolerance) || isinf(tolerance) || tolerance < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tolerance must be a finite number >= 0")));

	InitMaterializedSRF(fcinfo, 0);
	g = GraphLoad(edges, keys, directed, GRAPH_WEIGHTED | GRAPH_BUILD_IN);
	if (g->n == 0)
	{
		GraphFree(g);
		PG_RETURN_NULL();
	}
	p = ScrmAlloc(&g->budget, g->n, sizeof(double));
	x = ScrmAlloc(&g->budget, g->n, sizeof(double));
	personalization_vector(g, pers, p);
	iterations = power_iterate(g, p, damping, max_iterations, tolerance, x, &err);
	if (iterations < 0)
		ereport(WARNING,
				(errmsg("pagerank did not converge in %d iterations",
						max_iterations),
				 errdetail("The last L1 change was %g; convergence needs less than %g.",
						   err, g->n * tolerance),
				 errhint("Raise max_iterations or tolerance.  The last iterate is returned.")));

	for (v = 0; v < g->n; v++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = GraphNodeDatum(g, v);
		values[1] = ScrmFiniteDatum("PageRank score", x[v]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(g);
	PG_RETURN_NULL();
}

Datum
scrm_pagerank(PG_FUNCTION_ARGS)
{
	return scrm_pagerank_run(fcinfo, 0);
}

/* scrm._refresh_pagerank(damping, ...): scrm.pagerank of the shared graph */
Datum
scrm_refresh_pagerank(PG_FUNCTION_ARGS)
{
	return scrm_pagerank_run(fcinfo, -1);
}
