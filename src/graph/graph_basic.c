/*-------------------------------------------------------------------------
 *
 * graph_basic.c
 *	  scrm.degree (weighted in/out degree) and scrm.components (weakly
 *	  connected components).
 *
 * Both work on the raw edge list; no CSR is needed.  Components use a
 * union-find forest (Tarjan 1975) whose root is always the smallest index
 * of its tree, so the component label is the smallest node id in it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

#include "graph.h"

PG_FUNCTION_INFO_V1(scrm_degree);
PG_FUNCTION_INFO_V1(scrm_components);

/*
 * scrm.degree(edges, directed) RETURNS TABLE (node, in_degree, out_degree)
 * Weighted.  Undirected: both columns hold the degree, a self-loop
 * counting twice (networkx's convention).
 */
Datum
scrm_degree(PG_FUNCTION_ARGS)
{
	int			off = 0;
	ScrmKeys   *keys = ScrmKeyArg(fcinfo, 2, &off);
	const char *edges = ScrmTextArg(fcinfo, off, "edges");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		directed;
	Graph	   *g;
	GraphEdges *e;
	double	   *in,
			   *out;
	int64		i;
	int32		v;

	ScrmArgNotNull(fcinfo, 1 + off, "directed");
	directed = PG_GETARG_BOOL(1 + off);
	InitMaterializedSRF(fcinfo, 0);
	g = GraphLoad(edges, keys, true, GRAPH_WEIGHTED | GRAPH_KEEP_EDGES);
	e = &g->edges;
	in = ScrmAlloc0(&g->budget, g->n, sizeof(double));
	out = ScrmAlloc0(&g->budget, g->n, sizeof(double));
	for (i = 0; i < e->m; i++)
	{
		double		w = e->w ? e->w[i] : 1.0;

		out[e->src[i]] += w;
		in[e->dst[i]] += w;
		if (!directed)
		{
			out[e->dst[i]] += w;
			in[e->src[i]] += w;
		}
	}
	for (v = 0; v < g->n; v++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = GraphNodeDatum(g, v);
		values[1] = ScrmFiniteDatum("in_degree", in[v]);
		values[2] = ScrmFiniteDatum("out_degree", out[v]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(g);
	PG_RETURN_NULL();
}

/* Root of v's tree, halving the path on the way */
static inline int32
uf_find(int32 *parent, int32 v)
{
	while (parent[v] != v)
	{
		parent[v] = parent[parent[v]];
		v = parent[v];
	}
	return v;
}

/* scrm.components(edges) RETURNS TABLE (node bigint, component bigint) */
Datum
scrm_components(PG_FUNCTION_ARGS)
{
	int			off = 0;
	ScrmKeys   *keys = ScrmKeyArg(fcinfo, 1, &off);
	const char *edges = ScrmTextArg(fcinfo, off, "edges");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Graph	   *g;
	GraphEdges *e;
	int32	   *parent;
	int64		i;
	int32		v;

	InitMaterializedSRF(fcinfo, 0);
	g = GraphLoad(edges, keys, true, GRAPH_KEEP_EDGES);
	e = &g->edges;
	parent = ScrmAlloc(&g->budget, g->n, sizeof(int32));
	for (v = 0; v < g->n; v++)
		parent[v] = v;
	for (i = 0; i < e->m; i++)
	{
		int32		a,
					b;

		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		a = uf_find(parent, e->src[i]);
		b = uf_find(parent, e->dst[i]);
		/* link the larger root under the smaller: roots stay minimal */
		if (a < b)
			parent[b] = a;
		else if (b < a)
			parent[a] = b;
	}
	for (v = 0; v < g->n; v++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = GraphNodeDatum(g, v);
		values[1] = GraphNodeDatum(g, uf_find(parent, v));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(g);
	PG_RETURN_NULL();
}
