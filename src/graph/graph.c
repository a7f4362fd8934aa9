/*-------------------------------------------------------------------------
 *
 * graph.c
 *	  Loading a graph from an edges inner query and building its CSR.
 *
 * Steps: (1) stream the edge rows, mapping each bigint id to a provisional
 * index with an open-addressing hash map; (2) sort the distinct ids and
 * renumber so dense index order equals id order; (3) build each requested
 * CSR with every row sorted by neighbour, so that duplicate arcs are
 * adjacent and are merged by summing their weights: the last CSR (the raw
 * edges go with it) by two counting-sort passes, by neighbour and then by
 * row; a CSR the raw edges outlive by one pass by row and a sort of each
 * row.  All big arrays are accounted against scrm.max_memory before they
 * are allocated.
 *
 * Arcs may also come one at a time (GraphBegin, GraphAddArc, GraphEnd), and
 * scrm.refresh shares one graph between its steps (GraphShare): a NULL
 * edges query loads that graph instead of reading rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "graph.h"

#define EMPTY_SLOT (-1)
#define INTERRUPT_MASK 0xFFFFF	/* check for cancel every ~1M items */

/* One slot of the id hash map: key and value side by side (one cache miss) */
typedef struct IdSlot
{
	int64		key;
	int32		val;			/* EMPTY_SLOT or the node's index */
} IdSlot;

/* Open-addressing (linear probing) map from node id to index */
typedef struct IdMap
{
	uint64		mask;			/* slots - 1, slots a power of two */
	IdSlot	   *slots;
	int64		count;
} IdMap;

/* Allocate a map with room for at least n keys at load factor <= 1/2 */
static void
idmap_init(IdMap *map, ScrmBudget *budget, int64 n)
{
	uint64		slots = 1024;
	uint64		i;

	while (slots < (uint64) n * 2)
		slots *= 2;
	map->mask = slots - 1;
	map->slots = ScrmAlloc(budget, slots, sizeof(IdSlot));
	for (i = 0; i < slots; i++)
		map->slots[i].val = EMPTY_SLOT;
	map->count = 0;
}

/* The slot holding id, or the empty slot where it belongs */
static inline IdSlot *
idmap_slot(IdMap *map, int64 id)
{
	uint64		h = ScrmMix64((uint64) id) & map->mask;

	while (map->slots[h].val != EMPTY_SLOT && map->slots[h].key != id)
		h = (h + 1) & map->mask;
	return &map->slots[h];
}

/*
 * Bytes of scrm.max_memory a graph needs at its peak, per edge row read and
 * per node (measured with the DEBUG1 message of a budget's end: PageRank
 * of 3,000,000 weighted rows over 300,001 nodes peaks at 105,468 kB, 31.6
 * bytes a row besides 44.4 a node; the README's sizing rule): the int64 ids
 * and weights of the rows while they come, then the int32 arcs with their
 * copy by run (csr_build_radix), the CSRs and the per-node vectors.  Until
 * the nodes are counted, as many nodes as rows are assumed.
 */
#define GRAPH_BYTES_PER_ROW 32
#define GRAPH_BYTES_PER_NODE 48

/* Make room for one more edge row */
static void
rows_reserve(GraphBuilder *st)
{
	ScrmBudget *b = &st->g->budget;
	int64		newcap;

	if (st->m < st->cap)
		return;
	newcap = Max(st->cap * 2, 16384);
	if (st->cap == 0)
	{
		/*
		 * Start at the planner's estimate (if it is plausible within the
		 * budget) so that a large scan is not copied at every doubling.
		 */
		double		room = (double) ScrmBudgetRoom(b) / (4 * 3 * sizeof(int64));

		newcap = Max(newcap, (int64) Min(st->rows_estimate * 1.1, room));
		/* what the whole graph will need, for the hint if it does not fit */
		b->expected = (Size) (st->rows_estimate * (GRAPH_BYTES_PER_ROW + GRAPH_BYTES_PER_NODE));
	}
	st->sid = ScrmRealloc(b, st->sid, st->cap, newcap, sizeof(int64));
	st->tid = ScrmRealloc(b, st->tid, st->cap, newcap, sizeof(int64));
	if (st->w)
		st->w = ScrmRealloc(b, st->w, st->cap, newcap, sizeof(double));
	st->cap = newcap;
}

/* Check one edge weight: finite and >= 0 */
static double
check_weight(const ScrmKeys *keys, bool isnull, Datum value, int64 s, int64 t)
{
	double		w;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("edges query returned a null weight"),
				 errdetail("Edge (%s, %s) has a null weight.",
						   ScrmKeysOut(keys, s), ScrmKeysOut(keys, t)),
				 errhint("Use coalesce(weight, 1) AS weight for a default.")));
	w = DatumGetFloat8(value);
	if (isnan(w) || isinf(w) || w < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("edge weight must be a finite number >= 0"),
				 errdetail("Edge (%s, %s) has weight %g.",
						   ScrmKeysOut(keys, s), ScrmKeysOut(keys, t), w)));
	return w;
}

/* Append the arc s -> t of weight w (checked by the caller) */
static pg_attribute_always_inline void
add_arc(GraphBuilder *st, int64 s, int64 t, double w)
{
	rows_reserve(st);
	if ((st->m & 7) == 0 && st->m + 32 < st->cap)
	{
		/*
		 * a new cache line of each array: start fetching the lines four
		 * ahead for writing, so that a burst of appends does not wait on
		 * them
		 */
		__builtin_prefetch(&st->sid[st->m + 32], 1);
		__builtin_prefetch(&st->tid[st->m + 32], 1);
		if (st->w)
			__builtin_prefetch(&st->w[st->m + 32], 1);
	}
	st->sid[st->m] = s;
	st->tid[st->m] = t;
	if (w != 1.0 && st->w == NULL)
	{
		int64		i;

		/* first non-unit weight: materialise the weights seen so far */
		st->w = ScrmAlloc(&st->g->budget, st->cap, sizeof(double));
		for (i = 0; i < st->m; i++)
			st->w[i] = 1.0;
	}
	if (st->w)
		st->w[st->m] = w;
	if (st->m == 0)
		st->min_id = st->max_id = s;
	st->min_id = Min(st->min_id, Min(s, t));
	st->max_id = Max(st->max_id, Max(s, t));
	st->m++;
}

void
GraphAddArc(GraphBuilder *st, int64 s, int64 t, double w)
{
	add_arc(st, s, t, w);
}

/* Row callback of GraphLoad: check one edge row and append it */
static void
load_edge(void *arg, Datum *values, bool *isnull)
{
	GraphBuilder *st = (GraphBuilder *) arg;
	int64		s = ScrmRowId(values, isnull, st->cols, 0, "edges");
	int64		t = ScrmRowId(values, isnull, st->cols, 1, "edges");
	double		w = 1.0;

	if (st->weighted && st->cols[2].attnum != 0)
		w = check_weight(st->g->keys, isnull[2], values[2], s, t);
	if (st->strength)
	{
		if (w > 1.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("edge strength must be between 0 and 1"),
					 errdetail("Edge (%s, %s) has weight %g.",
							   ScrmKeysOut(st->g->keys, s),
							   ScrmKeysOut(st->g->keys, t), w)));
	}
	add_arc(st, s, t, w);
}

/*
 * Replace the int64 ids of raw[0..m) by int32 indices in place (element i
 * of the int32 view is written after element i of the int64 view is read,
 * and never overlaps a later one), then shrink the array.
 */
static int32 *
narrow_ids(ScrmBudget *b, int64 *raw, int64 m, int64 cap, const int32 *direct,
		   int64 base, IdMap *map)
{
	int32	   *out = (int32 *) raw;
	int64		i;

	for (i = 0; i < m; i++)
	{
		int64		id = raw[i];

		if ((i & INTERRUPT_MASK) == 0)
			CHECK_FOR_INTERRUPTS();
		out[i] = direct ? direct[id - base] : idmap_slot(map, id)->val;
	}
	return ScrmRealloc(b, out, cap * 2, Max(cap, 1), sizeof(int32));
}

/* Dense indices are int32: at most PG_INT32_MAX - 1 nodes */
static void
check_node_count(int64 n)
{
	if (n >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("graph has too many nodes"),
				 errdetail("At most %d distinct node ids are supported.",
						   PG_INT32_MAX - 1)));
}

/*
 * Number the distinct ids 0..n-1 in ascending order and turn the raw rows
 * into g->edges.  A compact id range (the usual serial customer ids) uses a
 * direct table indexed by id - min; anything else a hash map and a sort.
 */
static void
renumber(GraphBuilder *st)
{
	Graph	   *g = st->g;
	ScrmBudget *b = &g->budget;
	uint64		range = (uint64) st->max_id - (uint64) st->min_id;
	int32	   *direct = NULL;
	IdMap		map = {0};
	int64		i,
				n = 0;

	if (st->m == 0)
	{
		g->ids = ScrmAlloc(b, 1, sizeof(int64));
		if (g->keys && !ScrmKeysInteger(g->keys))
			pfree(ScrmKeysFreeze(g->keys));	/* no node: later keys are unknown */
		return;
	}
	if (g->keys && !ScrmKeysInteger(g->keys))
	{
		/*
		 * Codes of a dictionary: the freeze renumbers the keys in key order,
		 * and every key seen is a node, so its map from code to new code is
		 * the direct table from code to dense index.
		 */
		int32	   *kmap = ScrmKeysFreeze(g->keys);

		n = ScrmKeysCount(g->keys);
		check_node_count(n);
		g->ids = ScrmAlloc(b, Max(n, 1), sizeof(int64));
		for (i = 0; i < n; i++)
			g->ids[i] = i;
		g->n = (int32) n;
		g->edges.m = st->m;
		g->edges.cap = st->cap;
		g->edges.src = narrow_ids(b, st->sid, st->m, st->cap, kmap, 0, NULL);
		g->edges.dst = narrow_ids(b, st->tid, st->m, st->cap, kmap, 0, NULL);
		g->edges.w = st->w;
		pfree(kmap);
		return;
	}
	if (range < (uint64) Max(st->m * 4, 1 << 20) &&
		(range + 1) * sizeof(int32) < ScrmBudgetRoom(b) / 2)
	{
		/* direct table: mark present ids, then rank them in one sweep */
		direct = ScrmAlloc0(b, range + 1, sizeof(int32));
		for (i = 0; i < st->m; i++)
		{
			direct[st->sid[i] - st->min_id] = 1;
			direct[st->tid[i] - st->min_id] = 1;
		}
		for (i = 0; i <= (int64) range; i++)
			n += direct[i];
		g->ids = ScrmAlloc(b, Max(n, 1), sizeof(int64));
		n = 0;
		for (i = 0; i <= (int64) range; i++)
			if (direct[i])
			{
				g->ids[n] = st->min_id + i;
				direct[i] = (int32) n++;
			}
	}
	else
	{
		/* hash map: collect distinct ids, sort, store each one's rank */
		int64		cap = 1024;

		idmap_init(&map, b, Min(st->m * 2, 1 << 20));
		g->ids = ScrmAlloc(b, cap, sizeof(int64));
		for (i = 0; i < st->m * 2; i++)
		{
			int64		id = (i < st->m) ? st->sid[i] : st->tid[i - st->m];
			IdSlot	   *slot = idmap_slot(&map, id);

			if ((i & INTERRUPT_MASK) == 0)
				CHECK_FOR_INTERRUPTS();
			if (slot->val != EMPTY_SLOT)
				continue;
			slot->key = id;
			slot->val = 0;
			if (n == cap)
			{
				g->ids = ScrmRealloc(b, g->ids, cap, cap * 2, sizeof(int64));
				cap *= 2;
			}
			g->ids[n++] = id;
			if ((uint64) (++map.count) * 2 > map.mask)
			{
				IdMap		old = map;
				uint64		k;

				idmap_init(&map, b, old.count * 2);
				for (k = 0; k <= old.mask; k++)
					if (old.slots[k].val != EMPTY_SLOT)
						*idmap_slot(&map, old.slots[k].key) = old.slots[k];
				map.count = old.count;
				ScrmFree(b, old.slots, old.mask + 1, sizeof(IdSlot));
			}
		}
		qsort(g->ids, n, sizeof(int64), ScrmCmpInt64);
		for (i = 0; i < n; i++)
			idmap_slot(&map, g->ids[i])->val = (int32) i;
	}
	check_node_count(n);
	g->n = (int32) n;
	g->edges.m = st->m;
	g->edges.cap = st->cap;
	g->edges.src = narrow_ids(b, st->sid, st->m, st->cap, direct, st->min_id, &map);
	g->edges.dst = narrow_ids(b, st->tid, st->m, st->cap, direct, st->min_id, &map);
	g->edges.w = st->w;
	if (direct)
		ScrmFree(b, direct, range + 1, sizeof(int32));
	else
		ScrmFree(b, map.slots, map.mask + 1, sizeof(IdSlot));
}

/* An empty graph and a builder for its arcs */
Graph *
GraphBegin(GraphBuilder *st, bool directed, int flags)
{
	Graph	   *g = palloc0(sizeof(Graph));

	ScrmBudgetInit(&g->budget, "graph");
	g->directed = directed;
	memset(st, 0, sizeof(GraphBuilder));
	st->g = g;
	st->weighted = (flags & GRAPH_WEIGHTED) != 0;
	st->strength = (flags & GRAPH_STRENGTH) != 0;
	return g;
}

/* Number the nodes of the arcs added and build the CSRs named in flags */
void
GraphEnd(GraphBuilder *st, int flags)
{
	renumber(st);
	st->g->budget.expected = (Size) st->m * GRAPH_BYTES_PER_ROW + (Size) st->g->n * GRAPH_BYTES_PER_NODE;
	GraphBuildCSR(st->g, flags);
}

/*
 * Read a graph from edges_query (columns source, target and, with
 * GRAPH_WEIGHTED, an optional weight) and build the CSRs named in flags.
 * A NULL edges_query means the graph shared by scrm._refresh_graph.
 */
Graph *
GraphLoad(const char *edges_query, ScrmKeys *keys, bool directed, int flags)
{
	ScrmColumn	cols[3] = {
		{"source", SCRM_COL_KEY, true},
		{"target", SCRM_COL_KEY, true},
		{"weight", SCRM_COL_FLOAT, false},
	};
	GraphBuilder st;
	Graph	   *g;

	if (edges_query == NULL)
		return GraphLoadShared(directed, flags);
	g = GraphBegin(&st, directed, flags);
	g->keys = keys;
	ScrmColumnsSetKeys(cols, 3, keys);
	st.cols = cols;
	ScrmReadQuery(edges_query, "edges", cols, st.weighted ? 3 : 2,
				  load_edge, &st, &st.rows_estimate);
	GraphEnd(&st, flags);
	return g;
}

/*
 * The shared graph: scrm.refresh builds its relationship graph once
 * (scrm._refresh_graph) and its graph steps load it from here instead of
 * reading an edges query.  The arcs live in a memory context of the current
 * transaction, so they go with it (or with the subtransaction that built
 * them, if that aborts); a reset callback forgets them then.
 */
typedef struct SharedGraph
{
	ScrmBudget	budget;
	int64		m;
	int64	   *src;
	int64	   *dst;
	double	   *w;
	/* the cohesion of the communities found on it (GraphShareCohesion) */
	int32		nc;				/* -1: none yet */
	int64	   *cid;
	double	   *inner;
	double	   *tot;
	MemoryContextCallback gone;
} SharedGraph;

static SharedGraph *shared_graph = NULL;

static void
shared_graph_gone(void *arg)
{
	if (shared_graph == arg)
		shared_graph = NULL;
}

/*
 * Share the arcs u -> v of g's out-CSR with keep[u] and keep[v] (every
 * node when keep is NULL), self-loops left out, replacing any graph shared
 * before.  Returns the number of arcs shared.
 */
int64
GraphShare(const Graph *g, const bool *keep)
{
	MemoryContext old;
	SharedGraph *sg;
	int64		e;
	int32		u;

	if (shared_graph)
		ScrmBudgetRelease(&shared_graph->budget);	/* its callback clears it */
	Assert(shared_graph == NULL);

	old = MemoryContextSwitchTo(CurTransactionContext);
	sg = palloc0(sizeof(SharedGraph));
	ScrmBudgetInit(&sg->budget, "shared graph");
	MemoryContextSwitchTo(old);
	MemoryContextSetIdentifier(sg->budget.context, "social_crm shared graph");
	/* room for every arc of g; the kept ones fill a prefix */
	sg->src = ScrmAlloc(&sg->budget, Max(g->m, 1), sizeof(int64));
	sg->dst = ScrmAlloc(&sg->budget, Max(g->m, 1), sizeof(int64));
	sg->w = ScrmAlloc(&sg->budget, Max(g->m, 1), sizeof(double));
	for (u = 0; u < g->n; u++)
	{
		if ((u & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (keep && !keep[u])
			continue;
		for (e = g->out.off[u]; e < g->out.off[u + 1]; e++)
		{
			int32		v = g->out.adj[e];

			if (v == u || (keep && !keep[v]))
				continue;
			sg->src[sg->m] = g->ids[u];
			sg->dst[sg->m] = g->ids[v];
			sg->w[sg->m] = g->out.w ? g->out.w[e] : 1.0;
			sg->m++;
		}
	}
	sg->nc = -1;
	/* the callback lives in the context it watches */
	sg->gone.func = shared_graph_gone;
	sg->gone.arg = sg;
	MemoryContextRegisterResetCallback(sg->budget.context, &sg->gone);
	shared_graph = sg;
	return sg->m;
}

/*
 * Keep the cohesion of the communities the refresh found on the shared
 * graph (per community: its id, the weight inside and in all), so that
 * writing the community clout does not build the graph again
 */
void
GraphShareCohesion(int32 nc, const int64 *cid, const double *inner, const double *tot)
{
	if (shared_graph == NULL)
		return;
	shared_graph->cid = ScrmAlloc(&shared_graph->budget, Max(nc, 1), sizeof(int64));
	shared_graph->inner = ScrmAlloc(&shared_graph->budget, Max(nc, 1), sizeof(double));
	shared_graph->tot = ScrmAlloc(&shared_graph->budget, Max(nc, 1), sizeof(double));
	memcpy(shared_graph->cid, cid, sizeof(int64) * nc);
	memcpy(shared_graph->inner, inner, sizeof(double) * nc);
	memcpy(shared_graph->tot, tot, sizeof(double) * nc);
	shared_graph->nc = nc;
}

/* The cohesion kept by GraphShareCohesion: its number of communities, or -1 */
int32
GraphSharedCohesion(const int64 **cid, const double **inner, const double **tot)
{
	if (shared_graph == NULL || shared_graph->nc < 0)
		return -1;
	*cid = shared_graph->cid;
	*inner = shared_graph->inner;
	*tot = shared_graph->tot;
	return shared_graph->nc;
}

/* Call fn on every shared arc (an error when nothing is shared) */
void
GraphSharedArcs(void (*fn) (void *arg, int64 s, int64 t, double w), void *arg)
{
	int64		i;

	if (shared_graph == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no relationship graph has been built in this transaction"),
				 errhint("scrm.refresh builds it with scrm._refresh_graph before its graph steps.")));
	for (i = 0; i < shared_graph->m; i++)
	{
		if ((i & INTERRUPT_MASK) == 0)
			CHECK_FOR_INTERRUPTS();
		fn(arg, shared_graph->src[i], shared_graph->dst[i], shared_graph->w[i]);
	}
}

static void
add_shared_arc(void *arg, int64 s, int64 t, double w)
{
	GraphBuilder *st = (GraphBuilder *) arg;

	GraphAddArc(st, s, t, st->weighted ? w : 1.0);
}

/* The shared graph, loaded as GraphLoad would load it from a query */
Graph *
GraphLoadShared(bool directed, int flags)
{
	GraphBuilder st;
	Graph	   *g = GraphBegin(&st, directed, flags);

	st.rows_estimate = shared_graph ? shared_graph->m : 0;
	GraphSharedArcs(add_shared_arc, &st);
	GraphEnd(&st, flags);
	return g;
}

/* Release every array of the graph */
void
GraphFree(Graph *g)
{
	ScrmBudgetRelease(&g->budget);
	pfree(g);
}

/* Dense index of node id, or -1 when the graph does not contain it */
int32
GraphFindNode(const Graph *g, int64 id)
{
	return (int32) ScrmFindInt64(g->ids, g->n, id);
}

/* A neighbour and its weight, for sorting one row */
typedef struct NbWeight
{
	int32		nb;
	double		w;
} NbWeight;

/* sort_nbweight(): an inlined quicksort of NbWeight by neighbour */
#define ST_SORT sort_nbweight
#define ST_ELEMENT_TYPE NbWeight
#define ST_COMPARE(a, b) (((a)->nb > (b)->nb) - ((a)->nb < (b)->nb))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Weight of two merged duplicate arcs: the sum, or for strengths the
 * noisy-OR 1 - (1 - a)(1 - b) = a + b (1 - a)
 */
static inline double
merge_weights(double a, double b, bool noisy_or)
{
	return noisy_or ? a + b * (1.0 - a) : a + b;
}

/*
 * Sort row [lo, hi) of adj (and w) by neighbour, merge duplicate
 * neighbours (merge_weights), and write the result at dst <= lo.  Returns
 * the number of distinct neighbours; tmp holds the merged row.
 */
static int64
sort_merge_row(int32 *adj, double *w, int64 lo, int64 hi, int64 dst,
			   NbWeight *tmp, bool noisy_or)
{
	int64		len = hi - lo;
	int64		i,
				out = 0;

	if (len <= 1)
	{
		if (len == 1 && dst != lo)
		{
			adj[dst] = adj[lo];
			if (w)
				w[dst] = w[lo];
		}
		return len;
	}
	for (i = 0; i < len; i++)
	{
		tmp[i].nb = adj[lo + i];
		tmp[i].w = w ? w[lo + i] : 1.0;
	}
	if (len <= 16)
	{
		/* insertion sort: stable, quick for the short rows that dominate */
		for (i = 1; i < len; i++)
		{
			NbWeight	x = tmp[i];
			int64		j = i - 1;

			while (j >= 0 && tmp[j].nb > x.nb)
			{
				tmp[j + 1] = tmp[j];
				j--;
			}
			tmp[j + 1] = x;
		}
	}
	else
		sort_nbweight(tmp, len);
	for (i = 0; i < len; i++)
	{
		if (out > 0 && tmp[i].nb == tmp[out - 1].nb)
			tmp[out - 1].w = merge_weights(tmp[out - 1].w, tmp[i].w, noisy_or);
		else
			tmp[out++] = tmp[i];
	}
	for (i = 0; i < out; i++)
	{
		adj[dst + i] = tmp[i].nb;
		if (w)
			w[dst + i] = tmp[i].w;
	}
	return out;
}

/*
 * Arc i of pass pass (0, and 1 for the reversed copies of an undirected
 * graph) of the arcs a CSR is built from: its row and neighbour.  False for
 * the reversed copy of a self-loop, which an undirected graph has once.
 */
static inline bool
stream_arc(const GraphEdges *e, int64 i, int pass, bool rows_are_targets,
		   int32 *row, int32 *nb)
{
	bool		fwd = (rows_are_targets != (pass == 1));

	if (pass == 1 && e->src[i] == e->dst[i])
		return false;
	*row = fwd ? e->dst[i] : e->src[i];
	*nb = fwd ? e->src[i] : e->dst[i];
	return true;
}

/* Weights of 1 for m2 arcs: an unweighted graph's first duplicate needs them */
static double *
unit_weights(ScrmBudget *b, int64 m2)
{
	double	   *w = ScrmAlloc(b, Max(m2, 1), sizeof(double));
	int64		k;

	for (k = 0; k < m2; k++)
		w[k] = 1.0;
	return w;
}

/* Give back the room of the arcs merged away (m2 arcs allocated, out kept) */
static void
shrink_csr(ScrmBudget *b, GraphCSR *csr, int64 m2, int64 out)
{
	csr->adj = ScrmRealloc(b, csr->adj, Max(m2, 1), Max(out, 1), sizeof(int32));
	if (csr->w)
		csr->w = ScrmRealloc(b, csr->w, Max(m2, 1), Max(out, 1), sizeof(double));
}

/*
 * Build one CSR from the raw edges.  Arcs go from row to neighbour:
 * out-CSR rows are sources, in-CSR rows are targets; undirected adds each
 * non-loop edge in both directions (a self-loop once, as networkx's
 * adjacency does).  One counting-sort scatter places the arcs in their
 * rows; each row is then sorted by neighbour (so results do not depend on
 * input order) and duplicate arcs merged by adding weights (noisy_or: by
 * noisy-OR, for GRAPH_STRENGTH).
 */
static void
csr_build(Graph *g, GraphCSR *csr, bool rows_are_targets, bool undirected,
		  bool noisy_or)
{
	GraphEdges *e = &g->edges;
	ScrmBudget *b = &g->budget;
	int32		n = g->n;
	int64		m2 = 0,
				maxdeg = 0,
				out = 0,
				start = 0,
				i,
				pass;
	int64	   *cursor;
	NbWeight   *tmp;
	bool		merged = false;
	int32		v;

	/* count arcs per row */
	csr->off = ScrmAlloc0(b, (Size) n + 1, sizeof(int64));
	for (pass = 0; pass < (undirected ? 2 : 1); pass++)
		for (i = 0; i < e->m; i++)
		{
			int32		row,
						nb;

			if ((i & INTERRUPT_MASK) == 0)
				CHECK_FOR_INTERRUPTS();
			if (stream_arc(e, i, pass, rows_are_targets, &row, &nb))
				csr->off[row + 1]++;
		}
	for (v = 0; v < n; v++)
	{
		maxdeg = Max(maxdeg, csr->off[v + 1]);
		csr->off[v + 1] += csr->off[v];
	}
	m2 = csr->off[n];

	/* scatter the arcs into their rows */
	csr->adj = ScrmAlloc(b, Max(m2, 1), sizeof(int32));
	csr->w = e->w ? ScrmAlloc(b, Max(m2, 1), sizeof(double)) : NULL;
	cursor = ScrmAlloc(b, (Size) n + 1, sizeof(int64));
	memcpy(cursor, csr->off, sizeof(int64) * ((Size) n + 1));
	for (pass = 0; pass < (undirected ? 2 : 1); pass++)
		for (i = 0; i < e->m; i++)
		{
			int32		row,
						nb;
			int64		p;

			if ((i & INTERRUPT_MASK) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!stream_arc(e, i, pass, rows_are_targets, &row, &nb))
				continue;
			p = cursor[row]++;
			csr->adj[p] = nb;
			if (csr->w)
				csr->w[p] = e->w[i];
		}
	ScrmFree(b, cursor, (Size) n + 1, sizeof(int64));

	/* sort each row by neighbour and merge duplicates (compacting) */
	tmp = ScrmAlloc(b, Max(maxdeg, 1), sizeof(NbWeight));
	for (v = 0; v < n; v++)
	{
		int64		end = csr->off[v + 1];
		int64		len;

		if ((v & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		len = sort_merge_row(csr->adj, csr->w, start, end, out, tmp, noisy_or);
		if (len < end - start && csr->w == NULL && !noisy_or)
		{
			/*
			 * First duplicate in an unweighted graph: from here on weights
			 * are needed.  The row was written at out from tmp, which still
			 * holds it merged, with its summed weights.  (Strengths of 1
			 * merge to 1 and need none.)
			 */
			int64		k;

			csr->w = unit_weights(b, m2);
			for (k = 0; k < len; k++)
				csr->w[out + k] = tmp[k].w;
		}
		merged |= (len < end - start);
		csr->off[v] = out;
		out += len;
		start = end;
	}
	csr->off[n] = out;
	ScrmFree(b, tmp, Max(maxdeg, 1), sizeof(NbWeight));
	if (merged)
		shrink_csr(b, csr, m2, out);
	g->m = out;
}

/* Drop the raw edges */
static void
free_raw_edges(Graph *g)
{
	GraphEdges *e = &g->edges;

	ScrmFree(&g->budget, e->src, e->cap, sizeof(int32));
	ScrmFree(&g->budget, e->dst, e->cap, sizeof(int32));
	ScrmFree(&g->budget, e->w, e->w ? e->cap : 0, sizeof(double));
	e->src = e->dst = NULL;
	e->w = NULL;
	e->cap = 0;
}

/*
 * The runs of csr_build_radix's scatters: node v is in run v >> shift, and
 * there are at most RADIX_RUNS runs, few enough that writing to all of
 * them at once stays within the caches
 */
#define RADIX_RUNS 512

static int
radix_shift(int32 n)
{
	int			shift = 0;

	while (((int64) Max(n, 1) - 1) >> shift >= RADIX_RUNS)
		shift++;
	return shift;
}

/* Where each run's arcs start, from the starts of the nodes' arcs */
static void
run_starts(int64 *start, const int64 *node_start, int32 n, int shift)
{
	int64		k;

	for (k = 0; k <= ((int64) Max(n, 1) - 1) >> shift; k++)
		start[k] = node_start[k << shift];
}

/* Arcs by run: row, neighbour and weight (NULL when unweighted) */
typedef struct ArcRuns
{
	int32	   *row;
	int32	   *nb;
	double	   *w;
} ArcRuns;

static void
arc_runs_alloc(ScrmBudget *b, ArcRuns *ar, int64 m2, bool weighted)
{
	ar->row = ScrmAlloc(b, Max(m2, 1), sizeof(int32));
	ar->nb = ScrmAlloc(b, Max(m2, 1), sizeof(int32));
	ar->w = weighted ? ScrmAlloc(b, Max(m2, 1), sizeof(double)) : NULL;
}

static void
arc_runs_free(ScrmBudget *b, ArcRuns *ar, int64 m2)
{
	ScrmFree(b, ar->row, Max(m2, 1), sizeof(int32));
	ScrmFree(b, ar->nb, Max(m2, 1), sizeof(int32));
	if (ar->w)
		ScrmFree(b, ar->w, Max(m2, 1), sizeof(double));
}

/* Put the arc row -> nb (weight w) next in the run of key */
static pg_attribute_always_inline void
arc_runs_put(ArcRuns *ar, int64 *run, int shift, int32 key, int32 row, int32 nb,
			 double w)
{
	int64		q = run[key >> shift]++;

	ar->row[q] = row;
	ar->nb[q] = nb;
	if (ar->w)
		ar->w[q] = w;
}

/*
 * The same CSR as csr_build, built by counting sorts and no comparison
 * sort, for the last CSR of a graph whose raw edges go.  The arcs are put
 * in neighbour order (into srow and sw), the raw edges freed, and the arcs
 * then put in row order in that order, so each row comes out sorted by
 * neighbour with the arcs of one neighbour in input order (the order
 * csr_build's stable merge keeps).  A duplicate arc is merged as it lands on
 * the one before it.
 *
 * Each of the two sorts is two scatters: first by run (the high bits of the
 * key) into ArcRuns, then from there to the final places.  A scatter
 * straight to the final places writes to as many places at once as the
 * graph has nodes, a cache and TLB miss for nearly every arc once the graph
 * outgrows the caches; the run scatter writes to at most RADIX_RUNS places,
 * and the second writes within one run's stretch of the output at a time.
 * Each step is stable, so the result is that of a direct scatter.  At its
 * peak, the run scatter of the first sort, it holds the raw edges and a
 * copy of the arcs with their neighbours (32 bytes an arc when weighted).
 */
static void
csr_build_radix(Graph *g, GraphCSR *csr, bool rows_are_targets, bool undirected,
				bool noisy_or)
{
	GraphEdges *e = &g->edges;
	ScrmBudget *b = &g->budget;
	int32		n = g->n;
	bool		weighted = e->w != NULL;
	int			shift = radix_shift(n);
	int64		run[RADIX_RUNS];
	int64	   *bucket,
			   *cursor,
			   *off;
	int32	   *srow,
			   *adj;
	double	   *sw = NULL,
			   *cw;
	ArcRuns		ar;
	int64		m2,
				i,
				p,
				q,
				pass,
				out = 0;
	bool		merged = false;
	int32		v;

	/* count arcs per row and per neighbour */
	off = csr->off = ScrmAlloc0(b, (Size) n + 1, sizeof(int64));
	bucket = ScrmAlloc0(b, (Size) n + 1, sizeof(int64));
	for (pass = 0; pass < (undirected ? 2 : 1); pass++)
		for (i = 0; i < e->m; i++)
		{
			int32		row,
						nb;

			if ((i & INTERRUPT_MASK) == 0)
				CHECK_FOR_INTERRUPTS();
			if (!stream_arc(e, i, pass, rows_are_targets, &row, &nb))
				continue;
			off[row + 1]++;
			bucket[nb + 1]++;
		}
	for (v = 0; v < n; v++)
	{
		off[v + 1] += off[v];
		bucket[v + 1] += bucket[v];
	}
	m2 = off[n];

	/* by neighbour: scatter the arcs by run, then to their places */
	arc_runs_alloc(b, &ar, m2, weighted);
	run_starts(run, bucket, n, shift);
	for (pass = 0; pass < (undirected ? 2 : 1); pass++)
		for (i = 0; i < e->m; i++)
		{
			int32		row,
						nb;

			if ((i & INTERRUPT_MASK) == 0)
				CHECK_FOR_INTERRUPTS();
			if (stream_arc(e, i, pass, rows_are_targets, &row, &nb))
				arc_runs_put(&ar, run, shift, nb, row, nb, weighted ? e->w[i] : 1.0);
		}
	free_raw_edges(g);
	srow = ScrmAlloc(b, Max(m2, 1), sizeof(int32));
	if (weighted)
		sw = ScrmAlloc(b, Max(m2, 1), sizeof(double));
	for (q = 0; q < m2; q++)
	{
		if ((q & INTERRUPT_MASK) == 0)
			CHECK_FOR_INTERRUPTS();
		p = bucket[ar.nb[q]]++;
		srow[p] = ar.row[q];
		if (weighted)
			sw[p] = ar.w[q];
	}

	/* by row, neighbour by neighbour: by run, then into the rows */
	run_starts(run, off, n, shift);
	for (v = 0, p = 0; v < n; v++)
		for (; p < bucket[v]; p++)
		{
			if ((p & INTERRUPT_MASK) == 0)
				CHECK_FOR_INTERRUPTS();
			arc_runs_put(&ar, run, shift, srow[p], srow[p], v, weighted ? sw[p] : 1.0);
		}
	ScrmFree(b, srow, Max(m2, 1), sizeof(int32));
	if (sw)
		ScrmFree(b, sw, Max(m2, 1), sizeof(double));
	ScrmFree(b, bucket, (Size) n + 1, sizeof(int64));
	adj = csr->adj = ScrmAlloc(b, Max(m2, 1), sizeof(int32));
	cw = csr->w = weighted ? ScrmAlloc(b, Max(m2, 1), sizeof(double)) : NULL;
	cursor = ScrmAlloc(b, (Size) n + 1, sizeof(int64));
	memcpy(cursor, off, sizeof(int64) * ((Size) n + 1));
	for (q = 0; q < m2; q++)
	{
		int32		row = ar.row[q];
		int64		c = cursor[row];
		double		w;

		if ((q & INTERRUPT_MASK) == 0)
			CHECK_FOR_INTERRUPTS();
		v = ar.nb[q];
		w = weighted ? ar.w[q] : 1.0;
		if (c > off[row] && adj[c - 1] == v)
		{
			/* a duplicate arc: merge its weight into the one before */
			merged = true;
			if (cw == NULL && !noisy_or)
				cw = csr->w = unit_weights(b, m2);	/* an unweighted graph's first */
			if (cw)
				cw[c - 1] = merge_weights(cw[c - 1], w, noisy_or);
			continue;
		}
		adj[c] = v;
		if (weighted)
			cw[c] = w;
		cursor[row] = c + 1;
	}
	arc_runs_free(b, &ar, m2);

	if (merged)
	{
		/* close the gaps merged arcs left at the ends of their rows */
		for (v = 0; v < n; v++)
		{
			int64		start = off[v],
						len = cursor[v] - start;

			if (out != start)
			{
				memmove(csr->adj + out, csr->adj + start, sizeof(int32) * len);
				if (csr->w)
					memmove(csr->w + out, csr->w + start, sizeof(double) * len);
			}
			off[v] = out;
			out += len;
		}
		off[n] = out;
		shrink_csr(b, csr, m2, out);
	}
	else
		out = m2;
	ScrmFree(b, cursor, (Size) n + 1, sizeof(int64));
	g->m = out;
}

/*
 * Build the CSRs named in flags and drop the raw edges unless kept (the
 * last CSR is built by csr_build_radix then, which drops them on its way)
 */
void
GraphBuildCSR(Graph *g, int flags)
{
	bool		noisy_or = (flags & GRAPH_STRENGTH) != 0;
	bool		keep = (flags & GRAPH_KEEP_EDGES) != 0;

	if (!g->directed && (flags & (GRAPH_BUILD_OUT | GRAPH_BUILD_IN)))
	{
		if (keep)
			csr_build(g, &g->out, false, true, noisy_or);
		else
			csr_build_radix(g, &g->out, false, true, noisy_or);
		g->in = g->out;
	}
	else
	{
		if (flags & GRAPH_BUILD_OUT)
		{
			if (keep || (flags & GRAPH_BUILD_IN))
				csr_build(g, &g->out, false, false, noisy_or);
			else
				csr_build_radix(g, &g->out, false, false, noisy_or);
		}
		if (flags & GRAPH_BUILD_IN)
		{
			if (keep)
				csr_build(g, &g->in, true, false, noisy_or);
			else
				csr_build_radix(g, &g->in, true, false, noisy_or);
		}
	}
	if (!keep && g->edges.src)
		free_raw_edges(g);
}

/* Node v as a result Datum: its key in the key type, or its bigint id */
Datum
GraphNodeDatum(const Graph *g, int32 v)
{
	return ScrmKeyDatum(g->keys, g->ids[v]);
}
