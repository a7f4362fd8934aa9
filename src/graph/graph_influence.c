/*-------------------------------------------------------------------------
 *
 * graph_influence.c
 *	  scrm.influence_spread and scrm.influence_maximization: the Independent
 *	  Cascade model (Kempe, Kleinberg & Tardos 2003) estimated by Monte
 *	  Carlo, and CELF lazy greedy seed selection (Leskovec et al. 2007).
 *
 * Edge u -> v means u influences v; it is live with probability
 *	 - w_uv / sum_x w_xv when probability is NULL (the weighted cascade:
 *	   1/in-degree on an unweighted graph, and the probabilities into a
 *	   node sum to 1),
 *	 - the given constant otherwise,
 *	 - w_uv itself when probability is -1 (weights must then be <= 1).
 * Self-loops never matter: a node cannot activate itself.
 *
 * Simulation r is a "live-edge world" (Kempe et al.'s equivalent
 * formulation): edge u -> v is live in world r when a counter-based hash
 * of (seed, r, id of u, id of v) falls below p_uv * 2^64.  Whether an edge
 * is live never depends on the other edges, so adding unrelated edges or
 * nodes leaves the others' worlds as they were.  Every candidate seed set is
 * therefore measured on the same R worlds, without storing them, so the
 * Monte Carlo objective is exactly monotone and submodular, CELF's lazy
 * evaluation selects exactly what plain greedy would on it, and the
 * estimates are reproducible for a seed on every platform.  Gains are
 * summed as integer counts, so ties are exact; they go to the smallest
 * node id.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/array.h"
#include "utils/tuplestore.h"

#include "graph.h"

PG_FUNCTION_INFO_V1(scrm_influence_spread);
PG_FUNCTION_INFO_V1(scrm_influence_maximization);

#define ALWAYS_LIVE PG_UINT64_MAX

/* A cascade graph: out-CSR plus each arc's live threshold */
typedef struct Cascade
{
	Graph	   *g;
	uint64	   *thr;			/* arc live iff hash < thr (or thr = ALWAYS) */
	uint64	   *arckey;			/* hash of the arc's (source id, target id) */
	uint64		key;			/* from the seed */
	int32	   *queue;
	uint32	   *mark;			/* BFS stamp per node */
	uint32		stamp;
	int32		sims;
} Cascade;

/* The arguments both SQL functions share, in positions 2..5 */
typedef struct CascadeArgs
{
	bool		have_prob;		/* false: weighted cascade */
	double		prob;			/* constant, or -1 for the weights */
	int32		sims;
	int32		seed;
} CascadeArgs;

/* The key of world r: arcs of the world hash (world key + arc index) */
static inline uint64
world_key(const Cascade *cc, int32 r)
{
	return ScrmMix64(cc->key + UINT64CONST(0x9e3779b97f4a7c15) * (uint64) (r + 1));
}

static inline bool
arc_live(const Cascade *cc, uint64 wkey, int64 e)
{
	uint64		t = cc->thr[e];

	if (t == ALWAYS_LIVE)
		return true;
	return ScrmMix64(wkey ^ cc->arckey[e]) < t;
}

/* The most simulations a call may ask for (each is a cascade over the graph) */
#define MAX_SIMULATIONS 1000000

/*
 * Check model, probability, simulations and seed (arguments 2..5).
 * probability may be NULL (the weighted cascade), a constant in [0, 1], or
 * -1 (use the edge weights).
 */
static void
cascade_args(FunctionCallInfo fcinfo, int off, CascadeArgs *a)
{
	const char *model = ScrmTextArg(fcinfo, 2 + off, "model");

	if (strcmp(model, "independent_cascade") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown influence model \"%s\"", model),
				 errhint("The supported model is 'independent_cascade'.")));
	a->have_prob = !PG_ARGISNULL(3 + off);
	a->prob = a->have_prob ? PG_GETARG_FLOAT8(3 + off) : 0.0;
	if (a->have_prob && a->prob != -1.0 && !(a->prob >= 0.0 && a->prob <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probability must be between 0 and 1, or -1 to use the edge weights"),
				 errdetail("probability is %g.", a->prob),
				 errhint("Pass NULL for the weighted cascade (1 / in-degree).")));
	ScrmArgNotNull(fcinfo, 4 + off, "simulations");
	a->sims = PG_GETARG_INT32(4 + off);
	if (a->sims < 1 || a->sims > MAX_SIMULATIONS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("simulations must be between 1 and %d", MAX_SIMULATIONS),
				 errdetail("simulations is %d.", a->sims)));
	ScrmArgNotNull(fcinfo, 5 + off, "seed");
	a->seed = PG_GETARG_INT32(5 + off);
}

static inline uint64
threshold(double p)
{
	if (p >= 1.0)
		return ALWAYS_LIVE;
	if (p <= 0.0)
		return 0;
	return (uint64) ldexp(p, 64);
}

/* Load the directed graph and give every arc its live threshold */
static void
cascade_load(Cascade *cc, const char *edges, ScrmKeys *keys,
			 const CascadeArgs *a)
{
	Graph	   *g = GraphLoad(edges, keys, true, GRAPH_WEIGHTED | GRAPH_BUILD_OUT);
	ScrmBudget *b = &g->budget;
	GraphCSR   *o = &g->out;
	double	   *instr = NULL;
	int32		v;
	int64		e;

	cc->g = g;
	cc->sims = a->sims;
	cc->key = ScrmMix64((uint64) (int64) a->seed ^ UINT64CONST(0x5343524d));	/* "SCRM" */
	cc->thr = ScrmAlloc(b, Max(g->m, 1), sizeof(uint64));
	cc->arckey = ScrmAlloc(b, Max(g->m, 1), sizeof(uint64));
	cc->queue = ScrmAlloc(b, Max(g->n, 1), sizeof(int32));
	cc->mark = ScrmAlloc0(b, Max(g->n, 1), sizeof(uint32));
	cc->stamp = 0;
	if (!a->have_prob)
	{
		/* weighted in-degree, self-loops left out */
		instr = ScrmAlloc0(b, Max(g->n, 1), sizeof(double));
		for (v = 0; v < g->n; v++)
			for (e = o->off[v]; e < o->off[v + 1]; e++)
				if (o->adj[e] != v)
					instr[o->adj[e]] += o->w ? o->w[e] : 1.0;
	}
	for (v = 0; v < g->n; v++)
		for (e = o->off[v]; e < o->off[v + 1]; e++)
		{
			int32		u = o->adj[e];
			double		w = o->w ? o->w[e] : 1.0;
			double		p;

			if (u == v)
				p = 0.0;
			else if (!a->have_prob)
				p = instr[u] > 0.0 ? w / instr[u] : 0.0;
			else if (a->prob == -1.0)
			{
				if (w > 1.0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("edge weight must be <= 1 when used as a probability"),
							 errdetail("Edge %s -> %s has weight %g.",
									   ScrmKeysOut(g->keys, g->ids[v]),
									   ScrmKeysOut(g->keys, g->ids[u]), w),
							 errhint("Duplicate edges are merged by adding their weights.")));
				p = w;
			}
			else
				p = a->prob;
			cc->thr[e] = threshold(p);
			cc->arckey[e] = ScrmMix64(ScrmMix64((uint64) g->ids[v]) +
								  UINT64CONST(0xd1b54a32d192ed03) * (uint64) g->ids[u]);
		}
	if (instr)
		ScrmFree(b, instr, Max(g->n, 1), sizeof(double));
}

/* Is bit v set in a bitset? */
static inline bool
bit_is_set(const uint64 *bits, int32 v)
{
	return (bits[v >> 6] >> (v & 63)) & 1;
}

/*
 * Breadth-first search in world wkey from the nodes already queued
 * (queue[0..n), marked with the current stamp), skipping nodes set in
 * covered (a bitset, or NULL).  Returns the number of nodes reached
 * including the start nodes.  With set_covered, reached nodes are added
 * to covered.
 */
static int32
bfs(Cascade *cc, uint64 wkey, int32 n, uint64 *covered, bool set_covered)
{
	const GraphCSR *o = &cc->g->out;
	int32		head = 0;

	while (head < n)
	{
		int32		u = cc->queue[head++];
		int64		e;

		if (set_covered)
			covered[u >> 6] |= UINT64CONST(1) << (u & 63);
		for (e = o->off[u]; e < o->off[u + 1]; e++)
		{
			int32		x = o->adj[e];

			if (cc->mark[x] == cc->stamp)
				continue;
			if (covered && bit_is_set(covered, x))
				continue;
			if (!arc_live(cc, wkey, e))
				continue;
			cc->mark[x] = cc->stamp;
			cc->queue[n++] = x;
		}
	}
	return n;
}

/* A fresh BFS stamp (clearing the marks when the counter wraps) */
static inline void
next_stamp(Cascade *cc)
{
	if (++cc->stamp == 0)
	{
		memset(cc->mark, 0, sizeof(uint32) * Max(cc->g->n, 1));
		cc->stamp = 1;
	}
}

/* bfs() in world r from the single node v */
static int32
bfs_from(Cascade *cc, int32 v, int32 r, uint64 *covered, bool set_covered)
{
	next_stamp(cc);
	cc->queue[0] = v;
	cc->mark[v] = cc->stamp;
	return bfs(cc, world_key(cc, r), 1, covered, set_covered);
}

/*
 * scrm.influence_spread(edges, seeds, model, probability, simulations, seed)
 *	 RETURNS float8: the expected number of active nodes, seeds included.
 * Seed ids that are not in the graph count as active nodes that reach no
 * one; repeated seeds count once.
 */
Datum
scrm_influence_spread(PG_FUNCTION_ARGS)
{
	int			off = 0;
	ScrmKeys   *keys = ScrmKeyArg(fcinfo, 6, &off);
	const char *edges = ScrmTextArg(fcinfo, off, "edges");
	ArrayType  *arr;
	Oid			elemtype;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	Datum	   *elems;
	bool	   *enulls;
	int			nelems,
				i;
	CascadeArgs args;
	int32		r,
				nstart = 0;
	int32	   *start;
	int64	   *others;
	int64		nothers = 0,
				outside;
	int64		total = 0;
	Cascade		cc;

	ScrmArgNotNull(fcinfo, 1 + off, "seeds");
	arr = PG_GETARG_ARRAYTYPE_P(1 + off);
	cascade_args(fcinfo, off, &args);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seeds must be a one-dimensional array")));
	elemtype = ARR_ELEMTYPE(arr);
	get_typlenbyvalalign(elemtype, &elemlen, &elembyval, &elemalign);
	deconstruct_array(arr, elemtype, elemlen, elembyval, elemalign,
					  &elems, &enulls, &nelems);
	for (i = 0; i < nelems; i++)
		if (enulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("seeds must not contain nulls")));

	cascade_load(&cc, edges, keys, &args);
	start = ScrmAlloc(&cc.g->budget, Max(nelems, 1), sizeof(int32));
	others = ScrmAlloc(&cc.g->budget, Max(nelems, 1), sizeof(int64));
	next_stamp(&cc);
	for (i = 0; i < nelems; i++)
	{
		int64		id = keys ? ScrmKeyEncodeValue(keys, elems[i], elemtype) :
			DatumGetInt64(elems[i]);
		int32		v = GraphFindNode(cc.g, id);

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (v < 0)
			others[nothers++] = id;
		else if (cc.mark[v] != cc.stamp)
		{
			cc.mark[v] = cc.stamp;
			start[nstart++] = v;
		}
	}
	/* ids outside the graph count once each */
	outside = ScrmSortUnique(others, nothers);
	for (r = 0; r < args.sims; r++)
	{
		int32		s;

		CHECK_FOR_INTERRUPTS();
		next_stamp(&cc);
		for (s = 0; s < nstart; s++)
		{
			cc.queue[s] = start[s];
			cc.mark[start[s]] = cc.stamp;
		}
		total += bfs(&cc, world_key(&cc, r), nstart, NULL, false);
	}
	GraphFree(cc.g);
	PG_RETURN_FLOAT8((double) total / args.sims + outside);
}

/* A CELF queue entry: an upper bound on a node's gain */
typedef struct CelfEntry
{
	int64		gain;			/* summed over the worlds */
	int32		node;
	int32		round;			/* selection round the gain was computed in */
} CelfEntry;

/* Heap order: larger gain first, then smaller node */
static inline bool
celf_before(const CelfEntry *a, const CelfEntry *b)
{
	return a->gain > b->gain || (a->gain == b->gain && a->node < b->node);
}

static void
heap_sift_down(CelfEntry *h, int32 size, int32 i)
{
	for (;;)
	{
		int32		l = 2 * i + 1,
					best = i;
		CelfEntry	t;

		if (l < size && celf_before(&h[l], &h[best]))
			best = l;
		if (l + 1 < size && celf_before(&h[l + 1], &h[best]))
			best = l + 1;
		if (best == i)
			return;
		t = h[i];
		h[i] = h[best];
		h[best] = t;
		i = best;
	}
}

/* The summed gain of v over all worlds, given the covered sets */
static int64
celf_gain(Cascade *cc, int32 v, uint64 *covered, Size words)
{
	int64		gain = 0;
	int32		r;

	for (r = 0; r < cc->sims; r++)
	{
		uint64	   *cov = covered ? covered + words * r : NULL;

		CHECK_FOR_INTERRUPTS();
		if (cov && bit_is_set(cov, v))
			continue;
		gain += bfs_from(cc, v, r, cov, false);
	}
	return gain;
}

/*
 * scrm.influence_maximization(edges, k, model, probability, simulations,
 *							   seed)
 *	 RETURNS TABLE (rank integer, node bigint, marginal_gain float8,
 *					spread float8)
 */
Datum
scrm_influence_maximization(PG_FUNCTION_ARGS)
{
	int			off = 0;
	ScrmKeys   *keys = ScrmKeyArg(fcinfo, 6, &off);
	const char *edges = ScrmTextArg(fcinfo, off, "edges");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CascadeArgs args;
	int32		k,
				sims,
				n,
				v,
				round,
				size = 0;
	Cascade		cc;
	ScrmBudget *b;
	CelfEntry  *heap;
	uint64	   *covered;
	Size		words;
	int64		spread = 0;

	ScrmArgNotNull(fcinfo, 1 + off, "k");
	k = PG_GETARG_INT32(1 + off);
	cascade_args(fcinfo, off, &args);
	sims = args.sims;
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1"),
				 errdetail("k is %d.", k)));

	InitMaterializedSRF(fcinfo, 0);
	cascade_load(&cc, edges, keys, &args);
	n = cc.g->n;
	b = &cc.g->budget;
	if (n == 0)
	{
		GraphFree(cc.g);
		PG_RETURN_NULL();
	}
	if (k > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must not exceed the number of nodes"),
				 errdetail("k is %d and the graph has %d nodes.", k, n)));

	/* one covered-set bitset per world (allocated first: fail fast) */
	words = ((Size) n + 63) / 64;
	covered = ScrmAlloc0(b, words * sims, sizeof(uint64));

	/* round 0: every node's spread on its own (an upper bound later) */
	heap = ScrmAlloc(b, n, sizeof(CelfEntry));
	for (v = 0; v < n; v++)
	{
		bool		reaches = false;
		int64		e;

		for (e = cc.g->out.off[v]; e < cc.g->out.off[v + 1] && !reaches; e++)
			reaches = cc.thr[e] > 0;
		heap[size].node = v;
		heap[size].round = 0;
		/* a node with no live-able arc reaches only itself */
		heap[size].gain = reaches ? celf_gain(&cc, v, NULL, 0) : (int64) sims;
		size++;
	}
	for (v = size / 2 - 1; v >= 0; v--)
		heap_sift_down(heap, size, v);

	for (round = 0; round < k; round++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		CelfEntry	top;
		int32		r;

		/* lazy evaluation: refresh the top until its gain is current */
		while (heap[0].round != round)
		{
			heap[0].gain = celf_gain(&cc, heap[0].node, covered, words);
			heap[0].round = round;
			heap_sift_down(heap, size, 0);
		}
		top = heap[0];
		heap[0] = heap[--size];
		heap_sift_down(heap, size, 0);

		/* add the new seed's reach to every world's covered set */
		for (r = 0; r < sims; r++)
		{
			uint64	   *cov = covered + words * r;

			CHECK_FOR_INTERRUPTS();
			if (!bit_is_set(cov, top.node))
				bfs_from(&cc, top.node, r, cov, true);
		}
		spread += top.gain;
		values[0] = Int32GetDatum(round + 1);
		values[1] = GraphNodeDatum(cc.g, top.node);
		values[2] = Float8GetDatum((double) top.gain / sims);
		values[3] = Float8GetDatum((double) spread / sims);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(cc.g);
	PG_RETURN_NULL();
}
