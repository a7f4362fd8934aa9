/*-------------------------------------------------------------------------
 *
 * social_graph.c
 *	  Social value over the relationship graph: scrm.influence_value (the
 *	  credit walk of SOCIAL.md §2) and scrm.churn_impact (SOCIAL.md §6).
 *
 * Both read edges u -> v (u influences v) whose weight is a strength in
 * [0, 1] (default 1); duplicates combine by noisy-OR and self-loops are
 * dropped.  Customer values come from a second inner query (node, value
 * [, p_churn]); graph nodes without a row there have value 0 (and churn
 * probability 0), and valued customers without edges are returned too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "graph.h"
#include "input.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_influence_value);
PG_FUNCTION_INFO_V1(scrm_refresh_influence_value);
PG_FUNCTION_INFO_V1(scrm_churn_impact);
PG_FUNCTION_INFO_V1(scrm_refresh_churn_impact);
PG_FUNCTION_INFO_V1(scrm_refresh_graph);
PG_FUNCTION_INFO_V1(scrm_refresh_graph_arcs);
PG_FUNCTION_INFO_V1(scrm_network_reach);

/*
 * SOCIAL.md asks for ||dz||_1 <= 1e-9 ||V+||_1 within 100 iterations; we
 * iterate on to 1e-14 (up to 1000 iterations, needed when hop_continuation
 * is near 1) so results match an exact solve, and warn only when even the
 * 1e-9 bound is not reached.  An iteration is one Gauss-Seidel sweep
 * (credit_walk): 18 instead of the plain iteration's 30 on the benchmark
 * graph.
 */
#define CIV_MAX_ITERATIONS	1000
#define CIV_TOLERANCE		1e-14
#define CIV_REQUIRED		1e-9

/* Customer values read for a loaded graph */
typedef struct ValueState
{
	Graph	   *g;
	ScrmColumn *cols;
	bool		with_churn;
	double	   *value;			/* per graph node */
	double	   *p_churn;		/* per graph node (with_churn) */
	bool	   *seen;
	/* valued customers that are not in the graph */
	int64	   *out_id;
	double	   *out_value;
	double	   *out_p;
	int64		nout;
	int64		outcap;
} ValueState;

static void
load_value(void *arg, Datum *values, bool *isnull)
{
	ValueState *st = (ValueState *) arg;
	int64		id = ScrmRowId(values, isnull, st->cols, 0, "customer_value");
	double		value = ScrmCustomerValue(st->g->keys, id, values[1], isnull[1]),
				p = 0.0;
	int32		v;

	if (st->with_churn)
	{
		if (isnull[2])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("customer_value query returned a null p_churn"),
					 errdetail("Customer %s has a null p_churn.", ScrmKeysOut(st->g->keys, id))));
		p = DatumGetFloat8(values[2]);
		if (!(p >= 0.0 && p <= 1.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("p_churn must be between 0 and 1"),
					 errdetail("Customer %s has p_churn %g.", ScrmKeysOut(st->g->keys, id), p)));
	}
	v = GraphFindNode(st->g, id);
	if (v >= 0)
	{
		if (st->seen[v])
			ScrmDuplicateCustomer(st->g->keys, id);
		st->seen[v] = true;
		st->value[v] = value;
		if (st->with_churn)
			st->p_churn[v] = p;
		return;
	}
	if (st->nout == st->outcap)
	{
		int64		newcap = Max(1024, st->outcap * 2);

		st->out_id = ScrmRealloc(&st->g->budget, st->out_id, st->outcap, newcap, sizeof(int64));
		st->out_value = ScrmRealloc(&st->g->budget, st->out_value, st->outcap, newcap, sizeof(double));
		st->out_p = ScrmRealloc(&st->g->budget, st->out_p, st->outcap, newcap, sizeof(double));
		st->outcap = newcap;
	}
	st->out_id[st->nout] = id;
	st->out_value[st->nout] = value;
	st->out_p[st->nout] = p;
	st->nout++;
}

/*
 * Load the strength graph (self-loops dropped later) and read the customer
 * values.  Valued customers outside the graph are checked for duplicates
 * too.
 */
static Graph *
load_social_graph(const char *edges, ScrmKeys *keys, const char *values_query,
				  bool with_churn, ValueState *st)
{
	ScrmColumn	cols[3] = {
		{"node", SCRM_COL_KEY, true},
		{"value", SCRM_COL_FLOAT, true},
		{"p_churn", SCRM_COL_FLOAT, true},
	};
	Graph	   *g = GraphLoad(edges, keys, true, GRAPH_WEIGHTED | GRAPH_STRENGTH |
							  GRAPH_BUILD_OUT);
	int64	   *sorted;
	int64		i;

	ScrmColumnsSetKeys(cols, 3, keys);
	memset(st, 0, sizeof(ValueState));
	st->g = g;
	st->cols = cols;
	st->with_churn = with_churn;
	st->value = ScrmAlloc0(&g->budget, Max(g->n, 1), sizeof(double));
	st->p_churn = ScrmAlloc0(&g->budget, Max(g->n, 1), sizeof(double));
	st->seen = ScrmAlloc0(&g->budget, Max(g->n, 1), sizeof(bool));
	ScrmReadQuery(values_query, "customer_value", cols, with_churn ? 3 : 2,
				  load_value, st, NULL);
	st->cols = NULL;			/* points into this frame */

	if (st->nout > 1)
	{
		sorted = ScrmAlloc(&g->budget, st->nout, sizeof(int64));
		memcpy(sorted, st->out_id, sizeof(int64) * st->nout);
		qsort(sorted, st->nout, sizeof(int64), ScrmCmpInt64);
		for (i = 1; i < st->nout; i++)
			if (sorted[i] == sorted[i - 1])
				ScrmDuplicateCustomer(g->keys, sorted[i]);
		ScrmFree(&g->budget, sorted, st->nout, sizeof(int64));
	}
	return g;
}

/* Strength of arc e of the out-CSR, 0 for a self-loop */
static inline double
arc_strength(const Graph *g, int32 u, int64 e)
{
	if (g->out.adj[e] == u)
		return 0.0;
	return g->out.w ? g->out.w[e] : 1.0;
}

/* Total incoming strength S_v of every node (self-loops excluded) */
static double *
incoming_strength(Graph *g)
{
	double	   *S = ScrmAlloc0(&g->budget, Max(g->n, 1), sizeof(double));
	int32		u;
	int64		e;

	for (u = 0; u < g->n; u++)
		for (e = g->out.off[u]; e < g->out.off[u + 1]; e++)
			S[g->out.adj[e]] += arc_strength(g, u, e);
	return S;
}

/*
 * The walk's coefficients M_uv = s_uv q_v per arc u -> v (0 for a
 * self-loop), with q_v = beta / (s0 + S_v).  They are written over the arc
 * strengths (g->out.w is cleared: arc_strength no longer applies).
 */
static double *
walk_coefficients(Graph *g, const double *q)
{
	double	   *coef = g->out.w;
	int32		u;
	int64		e;

	if (coef == NULL)
		coef = ScrmAlloc(&g->budget, Max(g->m, 1), sizeof(double));
	for (u = 0; u < g->n; u++)
		for (e = g->out.off[u]; e < g->out.off[u + 1]; e++)
			coef[e] = arc_strength(g, u, e) * q[g->out.adj[e]];
	g->out.w = NULL;			/* no longer strengths */
	return coef;
}

/*
 * Solve z = V+ + M z by Gauss-Seidel sweeps: row u uses the entries of z
 * already updated in this sweep.  M >= 0 with column sums < beta, so this
 * converges to the same fixed point as the plain (Jacobi) iteration, and
 * faster (Stein-Rosenberg).  Returns the 1-norm of the last sweep's change.
 */
static double
credit_walk(const Graph *g, const double *coef, const double *vplus,
			double vnorm, double *z, int *iterations)
{
	double		diff = 0.0;
	int			iter;

	for (iter = 0; iter < CIV_MAX_ITERATIONS && vnorm > 0.0; iter++)
	{
		int64		e = 0;
		int32		u;

		CHECK_FOR_INTERRUPTS();
		diff = 0.0;
		for (u = 0; u < g->n; u++)
		{
			int64		end = g->out.off[u + 1];
			double		acc = 0.0,
						zn;

			for (; e < end; e++)
				acc += coef[e] * z[g->out.adj[e]];
			zn = vplus[u] + acc;
			diff += fabs(zn - z[u]);
			z[u] = zn;
		}
		if (diff <= CIV_TOLERANCE * vnorm)
			break;
	}
	*iterations = iter;
	return diff;
}

/* What scrm.explain shows of a customer's influence value */
#define INFLUENCE_TOP 5
#define INFLUENCE_DETAIL_COLUMNS 9

/*
 * The credit of u by directly influenced customer, as values[0..5]:
 * network value z_u, the own value returned over 2-cycles R_u (removed),
 * the keys and walk shares M_ux of the INFLUENCE_TOP largest credits
 * rho_u M_ux z_x (NULL arrays: none), and the other credits summed with
 * their count.  The credits, the rest and -R_u add up to
 * CIV_u = rho_u (M z)_u - R_u: each credit holds x's own value and what x
 * passes on (z_x = V+_x + (M z)_x).  scrm.explain recomputes a credit from
 * the share and x's stored network value, with the same operations.
 */
static void
influence_detail(const Graph *g, int32 u, const double *coef, const double *z,
				 double rho, double zu, double returned, Datum *values, bool *nulls)
{
	int64		top[INFLUENCE_TOP];
	double		amt[INFLUENCE_TOP];
	Datum		keys[INFLUENCE_TOP],
				shares[INFLUENCE_TOP];
	int			ntop = 0,
				i;
	double		rest = 0.0;
	int32		nrest = 0;
	int64		e;

	for (e = g->out.off[u]; e < g->out.off[u + 1]; e++)
	{
		double		a;
		int			pos;

		if (!(coef[e] > 0.0))
			continue;
		a = rho * (coef[e] * z[g->out.adj[e]]);
		if (ntop == INFLUENCE_TOP && !(a > amt[ntop - 1]))
		{
			rest += a;
			nrest++;
			continue;
		}
		if (ntop == INFLUENCE_TOP)
		{
			/* the smallest of the top goes to the rest */
			rest += amt[ntop - 1];
			nrest++;
			ntop--;
		}
		for (pos = ntop; pos > 0 && amt[pos - 1] < a; pos--)
		{
			amt[pos] = amt[pos - 1];
			top[pos] = top[pos - 1];
		}
		amt[pos] = a;
		top[pos] = e;
		ntop++;
	}
	for (i = 0; i < ntop; i++)
	{
		keys[i] = CStringGetTextDatum(ScrmRunKeyOut(g->ids[g->out.adj[top[i]]]));
		shares[i] = Float8GetDatum(coef[top[i]]);
	}
	values[0] = ScrmFiniteDatum("network_value", zu);
	values[1] = ScrmFiniteDatum("returned", returned);
	nulls[2] = nulls[3] = ntop == 0;
	if (ntop > 0)
	{
		values[2] = PointerGetDatum(construct_array(keys, ntop, TEXTOID, -1, false, TYPALIGN_INT));
		values[3] = PointerGetDatum(construct_array(shares, ntop, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	values[4] = ScrmFiniteDatum("rest", rest);
	values[5] = Int32GetDatum(nrest);
}

/*
 * Emit one row per graph node: CIV_u = rho_u (M z)_u - R_u with
 * R_u = rho_u V+_u c_u / (1 - c_u), c_u = sum_x M_ux M_xu.  c is gathered
 * pair by pair: rows are visited in ascending order and each row is sorted,
 * so the reverse arc x -> u of an arc u -> x with x > u is found by a cursor
 * that only moves forward in row x.  The pair's product counts for both
 * ends; c_u is complete once row u is done (its terms with x < u came while
 * visiting row x), and its terms are added in ascending x either way.
 * c must come zeroed.
 */
static void
emit_influence(Graph *g, ReturnSetInfo *rsinfo, const double *coef,
			   const double *z, const double *vplus, const double *S,
			   double s0, double beta, double *c, bool detail)
{
	const int64 *off = g->out.off;
	const int32 *adj = g->out.adj;
	int64	   *cursor = ScrmAlloc(&g->budget, Max(g->n, 1), sizeof(int64));
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm influence row",
												  ALLOCSET_SMALL_SIZES);
	int32		u;

	memcpy(cursor, off, sizeof(int64) * g->n);
	for (u = 0; u < g->n; u++)
	{
		Datum		values[INFLUENCE_DETAIL_COLUMNS];
		bool		nulls[INFLUENCE_DETAIL_COLUMNS] = {false};
		double		rho = 1.0 - beta * S[u] / (s0 + S[u]);
		double		mz = 0.0,
					civ;
		int64		e;

		if ((u & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (e = off[u]; e < off[u + 1]; e++)
		{
			int32		x = adj[e];

			mz += coef[e] * z[x];
			if (x > u && coef[e] > 0.0)
			{
				int64		r = cursor[x],
							end = off[x + 1];

				while (r < end && adj[r] < u)
					r++;
				cursor[x] = r;
				if (r < end && adj[r] == u)
				{
					double		p = coef[e] * coef[r];

					c[u] += p;
					c[x] += p;
				}
			}
		}
		civ = rho * mz - rho * vplus[u] * c[u] / (1.0 - c[u]);
		values[0] = GraphNodeDatum(g, u);
		values[1] = ScrmFiniteDatum("influence_value", civ);
		values[2] = ScrmFiniteDatum("retained_share", rho);
		if (detail)
		{
			MemoryContext old = MemoryContextSwitchTo(row_cxt);

			influence_detail(g, u, coef, z, rho, z[u], rho * vplus[u] * c[u] / (1.0 - c[u]),
							 values + 3, nulls + 3);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextSwitchTo(old);
			MemoryContextReset(row_cxt);
		}
		else
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(row_cxt);
	ScrmFree(&g->budget, cursor, Max(g->n, 1), sizeof(int64));
}

static double
positive_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		x;

	ScrmArgNotNull(fcinfo, argno, name);
	x = PG_GETARG_FLOAT8(argno);
	if (!(x > 0.0) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number > 0", name),
				 errdetail("%s is %g.", name, x)));
	return x;
}

/*
 * scrm.influence_value(edges, customer_value, autonomy, hop_continuation)
 *	 RETURNS TABLE (node bigint, influence_value float8, retained_share float8)
 *
 * SOCIAL.md §2: with S_v = sum_u s_uv, M_uv = beta s_uv / (s0 + S_v),
 * rho_x = 1 - beta S_x / (s0 + S_x) and V+ = max(value, 0), solve
 * z = V+ + M z by iteration; CIV_u = rho_u (M z)_u - R_u where
 * R_u = rho_u V+_u c_u / (1 - c_u), c_u = sum_x M_ux M_xu removes u's own
 * value coming back over 2-cycles.  sum_u rho_u z_u = sum_v V+_v.
 */
static Datum
scrm_influence_value_run(FunctionCallInfo fcinfo, int off)
{
	ScrmKeys   *keys = off == 0 ? ScrmKeyArg(fcinfo, 4, &off) : NULL;
	bool		detail = off < 0;	/* the refresh's: what scrm.explain shows */
	const char *edges = off >= 0 ? ScrmTextArg(fcinfo, off, "edges") : NULL;
	const char *values_query = ScrmTextArg(fcinfo, 1 + off, "customer_value");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		s0 = positive_arg(fcinfo, 2 + off, "autonomy");
	double		beta;
	ValueState	st;
	Graph	   *g;
	double	   *S,
			   *q,
			   *coef,
			   *vplus,
			   *z;
	double		vnorm = 0.0,
				diff;
	int32		n,
				u;
	int			iter;
	int64		i;

	ScrmArgNotNull(fcinfo, 3 + off, "hop_continuation");
	beta = PG_GETARG_FLOAT8(3 + off);
	if (!(beta > 0.0 && beta < 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hop_continuation must be between 0 and 1 (exclusive)"),
				 errdetail("hop_continuation is %g.", beta)));
	InitMaterializedSRF(fcinfo, 0);
	g = load_social_graph(edges, keys, values_query, false, &st);
	n = g->n;
	S = incoming_strength(g);
	q = ScrmAlloc(&g->budget, Max(n, 1), sizeof(double));
	vplus = ScrmAlloc(&g->budget, Max(n, 1), sizeof(double));
	z = ScrmAlloc(&g->budget, Max(n, 1), sizeof(double));
	for (u = 0; u < n; u++)
	{
		q[u] = beta / (s0 + S[u]);	/* M_xu = s_xu * q[u] */
		vplus[u] = Max(st.value[u], 0.0);
		z[u] = vplus[u];
		vnorm += vplus[u];
	}
	coef = walk_coefficients(g, q);

	/* z = V+ + M z: the column sums of M are < beta, so this contracts */
	diff = credit_walk(g, coef, vplus, vnorm, z, &iter);
	if (diff > CIV_REQUIRED * vnorm)
		ereport(WARNING,
				(errmsg("influence credit walk did not converge within %d iterations",
						CIV_MAX_ITERATIONS),
				 errdetail("The last change was %g of the total positive value.",
						   diff / vnorm),
				 errhint("A hop_continuation closer to 0 converges faster.")));

	/* q is done with: its room holds the 2-cycle sums c */
	memset(q, 0, sizeof(double) * Max(n, 1));
	emit_influence(g, rsinfo, coef, z, vplus, S, s0, beta, q, detail);
	for (i = 0; i < st.nout; i++)
	{
		Datum		values[INFLUENCE_DETAIL_COLUMNS];
		bool		nulls[INFLUENCE_DETAIL_COLUMNS] = {false};

		values[0] = ScrmKeyDatum(g->keys, st.out_id[i]);
		values[1] = Float8GetDatum(0.0);
		values[2] = Float8GetDatum(1.0);
		if (detail)
		{
			/* outside the graph: its own value is its network value */
			values[3] = Float8GetDatum(Max(st.out_value[i], 0.0));
			values[4] = Float8GetDatum(0.0);
			nulls[5] = nulls[6] = true;
			values[7] = Float8GetDatum(0.0);
			values[8] = Int32GetDatum(0);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(g);
	PG_RETURN_NULL();
}

Datum
scrm_influence_value(PG_FUNCTION_ARGS)
{
	return scrm_influence_value_run(fcinfo, 0);
}

/* scrm._refresh_influence_value(customer_value, ...): over the shared graph */
Datum
scrm_refresh_influence_value(PG_FUNCTION_ARGS)
{
	return scrm_influence_value_run(fcinfo, -1);
}

/*
 * scrm.churn_impact(edges, customer_value, contagion, half_life_months,
 *					 horizon_months)
 *	 RETURNS TABLE (node, own_value, contagion_loss, loss_if_churned,
 *					value_at_risk)
 *
 * SOCIAL.md §6 (Nitzan & Libai 2011): psi = h (1 - 2^(-H/h)) / (H ln 2),
 * HR_ij = 1 + theta s_ij psi, p'_j = 1 - (1 - p_j)^HR_ij,
 * contagion_loss_i = sum_{j in out(i)} (p'_j - p_j) max(value_j, 0).
 */
static Datum
scrm_churn_impact_run(FunctionCallInfo fcinfo, int off)
{
	ScrmKeys   *keys = off == 0 ? ScrmKeyArg(fcinfo, 5, &off) : NULL;
	const char *edges = off >= 0 ? ScrmTextArg(fcinfo, off, "edges") : NULL;
	const char *values_query = ScrmTextArg(fcinfo, 1 + off, "customer_value");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		theta,
				h = positive_arg(fcinfo, 3 + off, "half_life_months"),
				H = positive_arg(fcinfo, 4 + off, "horizon_months"),
				psi;
	ValueState	st;
	Graph	   *g;
	double	   *log_keep;
	int32		u;
	int64		e,
				i;

	ScrmArgNotNull(fcinfo, 2 + off, "contagion");
	theta = PG_GETARG_FLOAT8(2 + off);
	if (!(theta >= 0.0) || isinf(theta))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("contagion must be a finite number >= 0"),
				 errdetail("contagion is %g.", theta)));
	psi = h * -expm1(-(H / h) * M_LN2) / (H * M_LN2);
	InitMaterializedSRF(fcinfo, 0);
	g = load_social_graph(edges, keys, values_query, true, &st);
	/* ln(1 - p_j) once per node, not once per arc into j */
	log_keep = ScrmAlloc(&g->budget, Max(g->n, 1), sizeof(double));
	for (u = 0; u < g->n; u++)
		log_keep[u] = log1p(-st.p_churn[u]);
	for (u = 0; u < g->n; u++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		double		loss = 0.0;

		if ((u & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (e = g->out.off[u]; e < g->out.off[u + 1]; e++)
		{
			int32		j = g->out.adj[e];
			double		s = arc_strength(g, u, e);
			double		pj = st.p_churn[j];
			double		hr = 1.0 + theta * s * psi;
			double		pnew;

			if (s <= 0.0 || pj >= 1.0 || st.value[j] <= 0.0)
				continue;		/* already churned, or nothing to lose */
			/* 1 - (1 - p)^HR, accurate for small p */
			pnew = -expm1(hr * log_keep[j]);
			loss += (pnew - pj) * st.value[j];
		}
		values[0] = GraphNodeDatum(g, u);
		values[1] = Float8GetDatum(st.value[u]);
		values[2] = ScrmFiniteDatum("contagion_loss", loss);
		values[3] = ScrmFiniteDatum("loss_if_churned", st.value[u] + loss);
		values[4] = ScrmFiniteDatum("value_at_risk", st.p_churn[u] * (st.value[u] + loss));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	for (i = 0; i < st.nout; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = ScrmKeyDatum(g->keys, st.out_id[i]);
		values[1] = Float8GetDatum(st.out_value[i]);
		values[2] = Float8GetDatum(0.0);
		values[3] = Float8GetDatum(st.out_value[i]);
		values[4] = Float8GetDatum(st.out_p[i] * st.out_value[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(g);
	PG_RETURN_NULL();
}

Datum
scrm_churn_impact(PG_FUNCTION_ARGS)
{
	return scrm_churn_impact_run(fcinfo, 0);
}

/* scrm._refresh_churn_impact(customer_value, ...): over the shared graph */
Datum
scrm_refresh_churn_impact(PG_FUNCTION_ARGS)
{
	return scrm_churn_impact_run(fcinfo, -1);
}

/* Rows of the relationships query as scrm._refresh_graph reads them */
typedef struct RelationshipState
{
	GraphBuilder b;
	ScrmColumn *cols;
	ScrmKinds	kinds;			/* scrm.relationship_kind */
	TimestampTz as_of;
	int64		rows;
	int64		unknown;		/* rows of a kind the kind table lacks */
	char	   *some_kind;		/* the least unknown kind (NULL: only nulls) */
	int64		out_of_range;	/* rows with a strength outside [0, 1] */
	double		some_strength;	/* the least of those (NaN counts as largest) */
} RelationshipState;

/* Column positions of the relationships query */
#define REL_SOURCE			0
#define REL_TARGET			1
#define REL_KIND			2
#define REL_STRENGTH		3
#define REL_LAST			4

/* Seconds from t to as_of, as date_part('epoch', as_of - t) computes them */
static double
epoch_between(TimestampTz as_of, TimestampTz t)
{
	int64		diff = as_of - t;

	/* as_of - t is justified into whole days and the rest */
	return (double) (diff % USECS_PER_DAY) / 1000000.0 +
		(double) SECS_PER_DAY * (double) (diff / USECS_PER_DAY);
}

static void
load_relationship(void *arg, Datum *values, bool *isnull)
{
	RelationshipState *st = (RelationshipState *) arg;
	int64		s = ScrmRowId(values, isnull, st->cols, REL_SOURCE, "relationships");
	int64		t = ScrmRowId(values, isnull, st->cols, REL_TARGET, "relationships");
	double		weight = 1.0,
				strength = 1.0,
				w;
	bool		both = false;

	st->rows++;
	if ((st->rows & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	/* the kind's weight and direction (no kind column: weight 1, one way) */
	if (st->cols[REL_KIND].attnum > 0)
	{
		int			k = -1;

		if (!isnull[REL_KIND])
			k = ScrmFindName(st->kinds.name, st->kinds.n,
							 VARDATA_ANY(DatumGetPointer(values[REL_KIND])),
							 VARSIZE_ANY_EXHDR(DatumGetPointer(values[REL_KIND])));
		if (k < 0)
		{
			st->unknown++;
			if (!isnull[REL_KIND])
			{
				char	   *kind = TextDatumGetCString(values[REL_KIND]);

				if (st->some_kind == NULL || strcmp(kind, st->some_kind) < 0)
					st->some_kind = MemoryContextStrdup(st->b.g->budget.context, kind);
				pfree(kind);
			}
			return;
		}
		weight = st->kinds.weight[k];
		both = st->kinds.flag[k];
	}
	if (!isnull[REL_STRENGTH])
	{
		strength = DatumGetFloat8(values[REL_STRENGTH]);
		if (!(strength >= 0.0 && strength <= 1.0))
		{
			if (st->out_of_range++ == 0 || isnan(st->some_strength) || strength < st->some_strength)
				st->some_strength = strength;
			return;
		}
	}
	/*
	 * recency: half the strength for every 365 days before as_of (a tie last
	 * active at -infinity has none left; at +infinity, all of it)
	 */
	if (!isnull[REL_LAST])
	{
		TimestampTz last = DatumGetTimestampTz(values[REL_LAST]);

		if (TIMESTAMP_IS_NOBEGIN(last))
			strength = 0.0;
		else if (!TIMESTAMP_IS_NOEND(last))
			strength *= pow(2.0, -Max(epoch_between(st->as_of, last), 0.0) / 31536000.0);
	}
	w = weight * strength;
	if (!(w > 0.0) || st->unknown > 0 || st->out_of_range > 0)
		return;					/* no tie, or the read ends in an error */
	GraphAddArc(&st->b, s, t, w);
	if (both)
		GraphAddArc(&st->b, t, s, w);
}

/*
 * scrm._refresh_graph(relationships, keep, as_of, OUT relationships, OUT arcs)
 *	 Builds scrm.refresh's relationship graph (SOCIAL.md §10) and shares it
 *	 with the graph steps that follow in the transaction (GraphShare).  The
 *	 query (NULL: the configured relationships query, run as the role that
 *	 configured it) gives (source, target [, kind] [, strength] [,
 *	 last_interaction_at]), as configure checked it.  Each row is an arc of
 *	 weight kind weight (scrm.relationship_kind; 1 without a kind column) x
 *	 strength (1 when NULL) x 2^(-days before as_of / 365) (1 without a
 *	 time), both ways for bidirectional kinds; duplicates merge by noisy-OR,
 *	 self-loops drop, and only arcs between customers listed in keep stay
 *	 (all when keep is NULL).  A kind the table lacks and a strength outside
 *	 [0, 1] are errors.  Returns the numbers of relationship rows and of
 *	 arcs shared.  One pass in C: several times faster than a join to the
 *	 kind table and merging with GROUP BY.
 */
Datum
scrm_refresh_graph(PG_FUNCTION_ARGS)
{
	const char *query = PG_ARGISNULL(0) ? NULL : ScrmTextArg(fcinfo, 0, "relationships");
	ScrmColumn	cols[5] = {
		{"source", SCRM_COL_KEY, true},
		{"target", SCRM_COL_KEY, true},
		{"kind", SCRM_COL_TEXT, false},
		{"strength", SCRM_COL_FLOAT, false},
		{"last_interaction_at", SCRM_COL_TIMESTAMPTZ, false},
	};
	RelationshipState st;
	Graph	   *g;
	bool	   *kept = NULL;
	int64		rows;
	TupleDesc	tupdesc;
	Datum		result[2];
	bool		nulls[2] = {false, false};

	ScrmArgNotNull(fcinfo, 2, "as_of");
	memset(&st, 0, sizeof(st));
	st.as_of = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(st.as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
	ScrmLoadKinds("scrm.relationship_kind", "bidirectional", CurrentMemoryContext, &st.kinds);
	g = GraphBegin(&st.b, true, GRAPH_WEIGHTED | GRAPH_STRENGTH | GRAPH_BUILD_OUT);
	st.cols = cols;
	if (query)
		ScrmReadQuery(query, "relationships", cols, 5, load_relationship, &st,
					  &st.b.rows_estimate);
	else
		(void) ScrmReadStored("relationships", cols, 5, load_relationship, &st,
							  &st.b.rows_estimate);
	if (st.unknown > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown relationship kind \"%s\"",
						st.some_kind ? st.some_kind : "NULL"),
				 errdetail("%lld relationships have a kind that scrm.relationship_kind does not list.",
						   (long long) st.unknown),
				 errhint("Add the kind to scrm.relationship_kind (kind, weight, bidirectional), "
						 "or leave those relationships out of the relationships query.")));
	if (st.out_of_range > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relationship strength must be between 0 and 1"),
				 errdetail("%lld relationships have a strength outside [0, 1], e.g. %s.",
						   (long long) st.out_of_range,
						   DatumGetCString(DirectFunctionCall1(float8out,
															   Float8GetDatum(st.some_strength))))));
	rows = st.rows;
	GraphEnd(&st.b, GRAPH_WEIGHTED | GRAPH_STRENGTH | GRAPH_BUILD_OUT);
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *ids;
		bool	   *nulls;
		int			nkeep,
					i;

		if (ARR_ELEMTYPE(arr) != INT8OID)
			elog(ERROR, "keep must be a bigint array");
		kept = ScrmAlloc0(&g->budget, Max(g->n, 1), sizeof(bool));
		deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, &nulls, &nkeep);
		for (i = 0; i < nkeep; i++)
		{
			int32		v;

			if (nulls[i])
				continue;
			v = GraphFindNode(g, DatumGetInt64(ids[i]));
			if (v >= 0)
				kept[v] = true;
		}
	}
	result[0] = Int64GetDatum(rows);
	result[1] = Int64GetDatum(GraphShare(g, kept));
	GraphFree(g);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), result, nulls)));
}

/*
 * scrm._refresh_graph_arcs() RETURNS TABLE (source, target, weight)
 *	 The arcs of the graph scrm._refresh_graph shared, to inspect it.
 */
typedef struct ArcOut
{
	ReturnSetInfo *rsinfo;
} ArcOut;

static void
emit_arc(void *arg, int64 s, int64 t, double w)
{
	ReturnSetInfo *rsinfo = ((ArcOut *) arg)->rsinfo;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = Int64GetDatum(s);
	values[1] = Int64GetDatum(t);
	values[2] = Float8GetDatum(w);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
scrm_refresh_graph_arcs(PG_FUNCTION_ARGS)
{
	ArcOut		out;

	InitMaterializedSRF(fcinfo, 0);
	out.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	GraphSharedArcs(emit_arc, &out);
	PG_RETURN_NULL();
}

/*
 * scrm._network_reach(edges, autonomy) RETURNS TABLE (node, reach)
 *	 reach_u = sum_v P_uv = sum_v s_uv / (autonomy + S_v): the shares of
 *	 other customers' decisions u holds (SOCIAL.md §2), which §3 turns into
 *	 the advocacy network-reach factor min(2, 1 + 0.25 ln(1 + reach)).
 *	 One row per node with an outgoing arc.  edges NULL: the graph shared
 *	 by scrm._refresh_graph.
 */
Datum
scrm_network_reach(PG_FUNCTION_ARGS)
{
	const char *edges = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		s0 = positive_arg(fcinfo, 1, "autonomy");
	Graph	   *g;
	double	   *S;
	int32		u;
	int64		e;

	InitMaterializedSRF(fcinfo, 0);
	g = GraphLoad(edges, NULL, true, GRAPH_WEIGHTED | GRAPH_STRENGTH | GRAPH_BUILD_OUT);
	S = incoming_strength(g);
	for (u = 0; u < g->n; u++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		double		p = 0.0;

		if ((u & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (g->out.off[u] == g->out.off[u + 1])
			continue;
		for (e = g->out.off[u]; e < g->out.off[u + 1]; e++)
			p += arc_strength(g, u, e) / (s0 + S[g->out.adj[e]]);
		values[0] = Int64GetDatum(g->ids[u]);
		values[1] = ScrmFiniteDatum("reach", p);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(g);
	PG_RETURN_NULL();
}
