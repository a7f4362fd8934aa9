/*-------------------------------------------------------------------------
 *
 * graph.h
 *	  The graph engine: edges read from an inner query into a compressed
 *	  sparse row (CSR) structure with dense node indices.
 *
 * Node ids (bigint) are mapped to dense indices 0..n-1 in ascending id
 * order, so every algorithm sees the same graph whatever order the rows
 * came in, and "smallest id" is "smallest index".  Keys of other types come
 * as codes of a dictionary (keys.c) that the graph renumbers in key order
 * first.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCRM_GRAPH_H
#define SCRM_GRAPH_H

#include "postgres.h"

#include "social_crm.h"
#include "input.h"

/* One adjacency structure: row i holds the neighbours of node i */
typedef struct GraphCSR
{
	int64	   *off;			/* n + 1 offsets into adj/w */
	int32	   *adj;			/* neighbour indices, ascending within a row */
	double	   *w;				/* weights, or NULL when all are 1 */
} GraphCSR;

/* Edges as read, before CSR construction (indices already dense) */
typedef struct GraphEdges
{
	int64		m;				/* number of edge rows */
	int64		cap;
	int32	   *src;
	int32	   *dst;
	double	   *w;				/* NULL while every weight is 1 */
} GraphEdges;

/* A graph; CSR parts are built on request */
typedef struct Graph
{
	ScrmBudget	budget;
	int32		n;				/* nodes */
	int64	   *ids;			/* dense index -> node id, ascending */
	ScrmKeys   *keys;			/* the ids' dictionary (NULL: bigint keys) */
	GraphEdges	edges;			/* raw edges (freed once CSRs are built) */
	bool		directed;
	GraphCSR	out;			/* out-neighbours (undirected: neighbours) */
	GraphCSR	in;				/* in-neighbours (undirected: same as out) */
	int64		m;				/* distinct arcs in the CSR(s) */
} Graph;

/* What to read and build */
#define GRAPH_WEIGHTED		0x01	/* read an optional weight column */
#define GRAPH_BUILD_OUT		0x02
#define GRAPH_BUILD_IN		0x04
#define GRAPH_KEEP_EDGES	0x08	/* keep the raw edge list */
#define GRAPH_STRENGTH		0x10	/* weights are strengths in [0, 1] (default 1);
									 * duplicates merge by noisy-OR */

/* Arcs added one at a time, before renumbering (GraphBegin .. GraphEnd) */
typedef struct GraphBuilder
{
	Graph	   *g;
	struct ScrmColumn *cols;	/* GraphLoad's query columns */
	bool		weighted;
	bool		strength;		/* GRAPH_STRENGTH: weights in [0, 1] */
	int64		m;
	int64		cap;
	int64	   *sid;
	int64	   *tid;
	double	   *w;				/* NULL while every weight is 1 */
	int64		min_id;
	int64		max_id;
	double		rows_estimate;	/* expected arcs (0: unknown) */
} GraphBuilder;

/* graph.c */
extern Graph *GraphBegin(GraphBuilder *b, bool directed, int flags);
extern void GraphAddArc(GraphBuilder *b, int64 s, int64 t, double w);
extern void GraphEnd(GraphBuilder *b, int flags);
extern int64 GraphShare(const Graph *g, const bool *keep);
extern void GraphSharedArcs(void (*fn) (void *arg, int64 s, int64 t, double w),
							void *arg);
extern Graph *GraphLoadShared(bool directed, int flags);
extern void GraphShareCohesion(int32 nc, const int64 *cid, const double *inner,
							   const double *tot);
extern int32 GraphSharedCohesion(const int64 **cid, const double **inner,
								 const double **tot);
extern Graph *GraphLoad(const char *edges_query, ScrmKeys *keys, bool directed,
						int flags);
extern Datum GraphNodeDatum(const Graph *g, int32 v);
extern void GraphFree(Graph *g);
extern int32 GraphFindNode(const Graph *g, int64 id);
extern void GraphBuildCSR(Graph *g, int flags);

#endif							/* SCRM_GRAPH_H */
