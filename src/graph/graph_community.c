/*-------------------------------------------------------------------------
 *
 * graph_community.c
 *	  scrm.communities (Louvain, Leiden, label propagation) and
 *	  scrm.modularity, on the undirected weighted graph.
 *
 * Quality is Newman's modularity with a resolution gamma:
 *
 *	 Q = 1/(2m) * sum_c [ sum_{i,j in c} A_ij - gamma * K_c^2 / (2m) ]
 *
 * where A_ii is twice the weight of i's self-loop (so k_i = sum_j A_ij is
 * networkx's degree) and K_c the sum of the degrees in c.  The local moves
 * below compare, for a node i taken out of its community, the gains
 *
 *	 E(i, c) - gamma * k_i * K_c / (2m)
 *
 * of joining each neighbouring community c (E = edge weight between them),
 * which are differences of Q in units of 1/(2m).
 *
 *	Louvain: Blondel, Guillaume, Lambiotte & Lefebvre (2008): sweeps of
 *	  local moves in a random order until no node moves, then aggregate the
 *	  communities into nodes and repeat until nothing moves.
 *	Leiden: Traag, Waltman & van Eck (2019): fast local moving with a
 *	  queue, a refinement that merges well-connected singletons within each
 *	  community at random (probability ~ exp(gain / theta), theta = 0.01),
 *	  aggregation on the refined partition with the unrefined one as the
 *	  starting point.  Each iteration starts again from the last partition;
 *	  there are scrm.leiden_iterations of them (default 2, as in igraph and
 *	  leidenalg; -1 = until one changes nothing), fewer when one changes
 *	  nothing.  Each community is connected.
 *	  Both visit the nodes in a random order of random blocks (shuffle),
 *	  which keeps a sweep's memory reads local.
 *	Label propagation: Raghavan, Albert & Kumara (2007), asynchronous, in a
 *	  new random order each sweep; a node keeps its label when it is among
 *	  the heaviest of its neighbours' labels, otherwise takes one of them at
 *	  random; it stops when a sweep changes nothing (Raghavan's criterion)
 *	  or, as a hard stop, after LPA_MAX_SWEEPS sweeps with a WARNING.
 *
 * Randomness comes from a private pg_prng state seeded from the caller's
 * seed, so the same input and seed give the same communities everywhere.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "graph.h"
#include "input.h"

PG_FUNCTION_INFO_V1(scrm_communities);
PG_FUNCTION_INFO_V1(scrm_refresh_communities);
PG_FUNCTION_INFO_V1(scrm_modularity);
PG_FUNCTION_INFO_V1(scrm_community_cohesion);
PG_FUNCTION_INFO_V1(scrm_refresh_community_cohesion);

#define LPA_MAX_SWEEPS		1000
#define LEIDEN_THETA		0.01
#define LOUVAIN_MAX_SWEEPS	10000
#define LOCAL_BLOCK			1024	/* see shuffle */

/* The undirected graph of one aggregation level */
typedef struct CGraph
{
	int32		n;
	int64	   *off;			/* n + 1 */
	int32	   *adj;			/* neighbours, no self-loops */
	double	   *w;				/* arc weights */
	double	   *self;			/* A_ii */
	double	   *k;				/* degree: sum_j A_ij */
	int64		narcs;
} CGraph;

/* Scratch space shared by the passes over one level */
typedef struct Work
{
	ScrmBudget *b;
	pg_prng_state rng;
	double		total;			/* 2m, the same at every level */
	double		gamma;
	double		wscale;			/* mean arc weight of the input graph */
	double	   *nbw;			/* weight to each neighbouring community */
	int32	   *touched;		/* communities with nbw set */
	int32		ntouched;
	int32	   *order;
	int32	   *blocks;			/* shuffle's block order: cap */
	int32		cap;			/* length of the arrays above */
	int32	   *agg_start;		/* aggregation scratch: cap + 1 */
	int32	   *agg_members;	/* cap */
	CGraph		level[2];		/* aggregated levels, used in turn */
	int			next;			/* which of them the next level goes to */
} Work;

/* ---------- building and aggregating levels ---------- */

/* Level 0 from the loaded graph's undirected CSR */
static void
cgraph_from_graph(Graph *g, CGraph *cg)
{
	ScrmBudget *b = &g->budget;
	int32		n = g->n;
	int32		v;
	int64		p,
				q = 0;

	cg->n = n;
	cg->off = ScrmAlloc(b, (Size) n + 1, sizeof(int64));
	cg->adj = ScrmAlloc(b, Max(g->m, 1), sizeof(int32));
	cg->w = ScrmAlloc(b, Max(g->m, 1), sizeof(double));
	cg->self = ScrmAlloc0(b, Max(n, 1), sizeof(double));
	cg->k = ScrmAlloc0(b, Max(n, 1), sizeof(double));
	for (v = 0; v < n; v++)
	{
		cg->off[v] = q;
		for (p = g->out.off[v]; p < g->out.off[v + 1]; p++)
		{
			double		w = g->out.w ? g->out.w[p] : 1.0;

			if (g->out.adj[p] == v)
				cg->self[v] += 2.0 * w;
			else if (w > 0.0)
			{
				cg->adj[q] = g->out.adj[p];
				cg->w[q] = w;
				q++;
				cg->k[v] += w;
			}
		}
		cg->k[v] += cg->self[v];
	}
	cg->off[n] = q;
	cg->narcs = q;
}

/* Room for one aggregated level of up to n nodes and narcs arcs */
static void
cgraph_alloc(ScrmBudget *b, CGraph *cg, int32 n, int64 narcs)
{
	cg->n = 0;
	cg->narcs = 0;
	cg->off = ScrmAlloc(b, (Size) n + 1, sizeof(int64));
	cg->adj = ScrmAlloc(b, Max(narcs, 1), sizeof(int32));
	cg->w = ScrmAlloc(b, Max(narcs, 1), sizeof(double));
	cg->self = ScrmAlloc(b, Max(n, 1), sizeof(double));
	cg->k = ScrmAlloc(b, Max(n, 1), sizeof(double));
}

/*
 * Renumber comm[0..n-1] to 0..nc-1 in order of first appearance (so the
 * numbering is deterministic) and return nc.  map must hold n entries.
 */
static int32
renumber(int32 *comm, int32 n, int32 *map)
{
	int32		nc = 0;
	int32		i;

	for (i = 0; i < n; i++)
		map[i] = -1;
	for (i = 0; i < n; i++)
	{
		if (map[comm[i]] < 0)
			map[comm[i]] = nc++;
		comm[i] = map[comm[i]];
	}
	return nc;
}

/* Add weight w towards community c in the scratch accumulator */
static inline void
nb_add(Work *wk, int32 c, double w)
{
	if (wk->nbw[c] == 0.0)
	{
		/* first contribution; a zero weight never reaches here */
		wk->touched[wk->ntouched++] = c;
	}
	wk->nbw[c] += w;
}

static inline void
nb_clear(Work *wk)
{
	int32		t;

	for (t = 0; t < wk->ntouched; t++)
		wk->nbw[wk->touched[t]] = 0.0;
	wk->ntouched = 0;
}

/*
 * Collapse each community of comm (numbered 0..nc-1) into one node and
 * return the new level, written into the level buffer not in use (levels
 * only shrink, so both buffers, sized for the input graph, always fit).
 */
static const CGraph *
aggregate(Work *wk, const CGraph *cg, const int32 *comm, int32 nc)
{
	CGraph	   *ng = &wk->level[wk->next];
	int32	   *start = wk->agg_start;
	int32	   *members = wk->agg_members;
	int32		i,
				c;
	int64		q = 0;

	Assert(ng != cg);
	wk->next = 1 - wk->next;

	/* members of each community, by counting sort */
	memset(start, 0, sizeof(int32) * ((Size) nc + 1));
	for (i = 0; i < cg->n; i++)
		start[comm[i] + 1]++;
	for (c = 0; c < nc; c++)
		start[c + 1] += start[c];
	for (i = 0; i < cg->n; i++)
		members[start[comm[i]]++] = i;
	for (c = nc; c > 0; c--)
		start[c] = start[c - 1];
	start[0] = 0;

	ng->n = nc;
	for (c = 0; c < nc; c++)
	{
		double		self = 0.0,
					k = 0.0;
		int32		mi,
					t;

		if ((c & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		ng->off[c] = q;
		for (mi = start[c]; mi < start[c + 1]; mi++)
		{
			int32		v = members[mi];
			int64		p;

			self += cg->self[v];
			k += cg->k[v];
			for (p = cg->off[v]; p < cg->off[v + 1]; p++)
			{
				int32		d = comm[cg->adj[p]];

				if (d == c)
					self += cg->w[p];
				else
					nb_add(wk, d, cg->w[p]);
			}
		}
		for (t = 0; t < wk->ntouched; t++)
		{
			ng->adj[q] = wk->touched[t];
			ng->w[q] = wk->nbw[wk->touched[t]];
			q++;
		}
		nb_clear(wk);
		ng->self[c] = self;
		ng->k[c] = k;
	}
	ng->off[nc] = q;
	ng->narcs = q;
	return ng;
}

/*
 * A random visiting order of 0..n-1 into wk->order: the blocks of "block"
 * consecutive nodes come in a random order (Fisher-Yates), the nodes of
 * each block in a random order within it; block 1 is a plain random
 * permutation.  Louvain and Leiden visit in blocks of LOCAL_BLOCK: every
 * node still comes once in an order set by the seed, but the per-node
 * arrays a sweep reads stay in cache for a block's worth of visits instead
 * of missing at every node of a large graph (twice as fast on a graph of
 * 1M nodes, the same modularity).  Label propagation keeps the plain one:
 * labels spread along the visiting order, and blocks bias them.
 */
static void
shuffle(Work *wk, int32 n, int32 block)
{
	int32		nblocks = (n + block - 1) / block;
	int32	   *blocks = wk->blocks;
	int32		i,
				bi,
				pos = 0;

	for (i = 0; i < nblocks; i++)
		blocks[i] = i;
	for (i = nblocks - 1; i > 0; i--)
	{
		int32		j = (int32) pg_prng_uint64_range(&wk->rng, 0, (uint64) i);
		int32		t = blocks[i];

		blocks[i] = blocks[j];
		blocks[j] = t;
	}
	for (bi = 0; bi < nblocks; bi++)
	{
		int32		lo = blocks[bi] * block;
		int32		len = Min(block, n - lo);
		int32	   *seg = wk->order + pos;

		for (i = 0; i < len; i++)
			seg[i] = lo + i;
		for (i = len - 1; i > 0; i--)
		{
			int32		j = (int32) pg_prng_uint64_range(&wk->rng, 0, (uint64) i);
			int32		t = seg[i];

			seg[i] = seg[j];
			seg[j] = t;
		}
		pos += len;
	}
}

/* Sum of degrees per community */
static void
community_totals(const CGraph *cg, const int32 *comm, double *tot)
{
	int32		i;

	memset(tot, 0, sizeof(double) * Max(cg->n, 1));
	for (i = 0; i < cg->n; i++)
		tot[comm[i]] += cg->k[i];
}

/*
 * The best community for node i (taken out of its own, whose total is
 * already reduced): the largest gain, its own community on ties, then the
 * first neighbouring community met.  Leaves nbw filled.
 */
static int32
best_community(Work *wk, const CGraph *cg, const int32 *comm,
			   const double *tot, int32 i, double *best_gain)
{
	double		ki = cg->k[i];
	double		scale = wk->gamma * ki / wk->total;
	int32		own = comm[i];
	int32		best = own;
	double		bg;
	int64		p;
	int32		t;

	for (p = cg->off[i]; p < cg->off[i + 1]; p++)
		nb_add(wk, comm[cg->adj[p]], cg->w[p]);
	bg = wk->nbw[own] - scale * tot[own];
	for (t = 0; t < wk->ntouched; t++)
	{
		int32		c = wk->touched[t];
		double		gain = wk->nbw[c] - scale * tot[c];

		/* a tiny margin keeps rounding noise from moving nodes forever */
		if (gain > bg + 1e-12 * (fabs(bg) + ki))
		{
			bg = gain;
			best = c;
		}
	}
	*best_gain = bg;
	return best;
}

/* ---------- Louvain ---------- */

/*
 * Local moving on one level, communities starting as singletons.  Returns
 * true when some node moved.
 */
static bool
louvain_move(Work *wk, const CGraph *cg, int32 *comm, double *tot)
{
	bool		any = false;
	int32		sweep,
				i;

	for (i = 0; i < cg->n; i++)
		comm[i] = i;
	community_totals(cg, comm, tot);
	shuffle(wk, cg->n, LOCAL_BLOCK);
	for (sweep = 0; sweep < LOUVAIN_MAX_SWEEPS; sweep++)
	{
		int64		moves = 0;
		int32		oi;

		CHECK_FOR_INTERRUPTS();
		for (oi = 0; oi < cg->n; oi++)
		{
			int32		v = wk->order[oi];
			int32		own = comm[v];
			int32		best;
			double		bg;

			if ((oi & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			tot[own] -= cg->k[v];
			best = best_community(wk, cg, comm, tot, v, &bg);
			nb_clear(wk);
			tot[best] += cg->k[v];
			if (best != own)
			{
				comm[v] = best;
				moves++;
			}
		}
		if (moves == 0)
			break;
		any = true;
	}
	return any;
}

static void
louvain(Work *wk, const CGraph *cg, int32 *membership)
{
	int32		n0 = cg->n;
	int32	   *comm = ScrmAlloc(wk->b, Max(n0, 1), sizeof(int32));
	int32	   *map = ScrmAlloc(wk->b, Max(n0, 1), sizeof(int32));
	double	   *tot = ScrmAlloc(wk->b, Max(n0, 1), sizeof(double));
	int32		v;

	cgraph_alloc(wk->b, &wk->level[0], n0, cg->narcs);
	cgraph_alloc(wk->b, &wk->level[1], n0, cg->narcs);

	for (v = 0; v < n0; v++)
		membership[v] = v;
	for (;;)
	{
		int32		nc;

		if (!louvain_move(wk, cg, comm, tot))
			break;
		nc = renumber(comm, cg->n, map);
		for (v = 0; v < n0; v++)
			membership[v] = comm[membership[v]];
		if (nc == cg->n)
			break;
		cg = aggregate(wk, cg, comm, nc);
	}
}

/* ---------- Leiden ---------- */

/*
 * Fast local moving (Traag et al., Algorithm A.2): a queue of nodes, in a
 * random order at first; a node that moves puts its neighbours outside its
 * new community back in the queue.  Nodes may move to an empty community.
 * Returns true when some node moved.
 */
static bool
leiden_move(Work *wk, const CGraph *cg, int32 *comm, double *tot,
			int32 *size, int32 *empty, bool *queued, int32 *queue)
{
	int32		n = cg->n;
	int32		nempty = 0,
				head = 0,
				count = n,
				i;
	int64		steps = 0;
	bool		any = false;

	community_totals(cg, comm, tot);
	memset(size, 0, sizeof(int32) * Max(n, 1));
	for (i = 0; i < n; i++)
		size[comm[i]]++;
	for (i = n - 1; i >= 0; i--)
		if (size[i] == 0)
			empty[nempty++] = i;
	shuffle(wk, n, LOCAL_BLOCK);
	for (i = 0; i < n; i++)
	{
		queue[i] = wk->order[i];
		queued[i] = true;
	}
	while (count > 0)
	{
		int32		v = queue[head];
		int32		own = comm[v];
		int32		best;
		double		bg;
		int64		p;

		if ((++steps & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		head = (head + 1) % n;
		count--;
		queued[v] = false;
		tot[own] -= cg->k[v];
		size[own]--;
		best = best_community(wk, cg, comm, tot, v, &bg);
		nb_clear(wk);
		/* an empty community has gain 0 */
		if (size[own] > 0 && 0.0 > bg + 1e-12 * (fabs(bg) + cg->k[v]))
			best = empty[--nempty];
		tot[best] += cg->k[v];
		size[best]++;
		if (best == own)
			continue;
		any = true;
		comm[v] = best;
		if (size[own] == 0)
			empty[nempty++] = own;
		for (p = cg->off[v]; p < cg->off[v + 1]; p++)
		{
			int32		u = cg->adj[p];

			if (!queued[u] && comm[u] != best)
			{
				queue[(head + count) % n] = u;
				count++;
				queued[u] = true;
			}
		}
	}
	return any;
}

/*
 * Refinement (Traag et al., Algorithm A.2, MergeNodesSubset): starting
 * from singletons, each well-connected node still alone joins, at random,
 * a well-connected refined community of its own community (or stays),
 * with probability proportional to exp(gain / theta) over the gains >= 0.
 * Gains are scaled by the mean arc weight so theta means the same for any
 * weight unit.  refined gets one id per refined community (0..n-1, not
 * dense).
 */
static void
leiden_refine(Work *wk, const CGraph *cg, const int32 *comm,
			  const double *tot, int32 *refined, double *rtot,
			  double *rext, int32 *rsize, double *prob)
{
	int32		n = cg->n;
	double		g2m = wk->gamma / wk->total;
	int32		i,
				oi;

	for (i = 0; i < n; i++)
	{
		int64		p;

		refined[i] = i;
		rtot[i] = cg->k[i];
		rsize[i] = 1;
		rext[i] = 0.0;
		for (p = cg->off[i]; p < cg->off[i + 1]; p++)
			if (comm[cg->adj[p]] == comm[i])
				rext[i] += cg->w[p];
	}
	shuffle(wk, n, LOCAL_BLOCK);
	for (oi = 0; oi < n; oi++)
	{
		int32		v = wk->order[oi];
		double		ktot = tot[comm[v]];
		double		kv = cg->k[v];
		double		maxgain = 0.0,
					sum = 0.0,
					pick;
		int32		ncand = 0,
					chosen,
					t;
		int64		p;

		if ((oi & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		/* only nodes still alone, and well connected to their community */
		if (refined[v] != v || rsize[v] != 1)
			continue;
		if (rext[v] < g2m * kv * (ktot - kv))
			continue;
		for (p = cg->off[v]; p < cg->off[v + 1]; p++)
		{
			int32		u = cg->adj[p];

			if (comm[u] == comm[v])
				nb_add(wk, refined[u], cg->w[p]);
		}
		/* candidates: touched[0..ncand) keeps those with gain >= 0 */
		for (t = 0; t < wk->ntouched; t++)
		{
			int32		c = wk->touched[t];
			double		gain;

			if (rext[c] < g2m * rtot[c] * (ktot - rtot[c]))
				continue;		/* not well connected */
			gain = wk->nbw[c] - g2m * kv * rtot[c];
			if (gain < 0.0)
				continue;
			prob[ncand] = gain;
			wk->touched[wk->ntouched + ncand] = c;
			ncand++;
			maxgain = Max(maxgain, gain);
		}
		if (ncand == 0)
		{
			nb_clear(wk);
			continue;
		}
		/* staying alone has gain 0 */
		sum = exp((0.0 - maxgain) / (LEIDEN_THETA * wk->wscale));
		for (t = 0; t < ncand; t++)
		{
			prob[t] = exp((prob[t] - maxgain) / (LEIDEN_THETA * wk->wscale));
			sum += prob[t];
		}
		pick = pg_prng_double(&wk->rng) * sum;
		chosen = -1;
		for (t = 0; t < ncand; t++)
		{
			pick -= prob[t];
			if (pick < 0.0)
			{
				chosen = wk->touched[wk->ntouched + t];
				break;
			}
		}
		if (chosen >= 0)
		{
			double		e = wk->nbw[chosen];

			refined[v] = chosen;
			rext[chosen] = rext[chosen] + rext[v] - 2.0 * e;
			rtot[chosen] += kv;
			rsize[chosen]++;
			rsize[v] = 0;
		}
		nb_clear(wk);
	}
}

static void
leiden(Work *wk, const CGraph *base, int32 *membership)
{
	ScrmBudget *b = wk->b;
	int32		n0 = base->n;
	Size		sz = Max(n0, 1);
	int32	   *comm = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *refined = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *map = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *node2agg = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *size = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *empty = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *queue = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *rsize = ScrmAlloc(b, sz, sizeof(int32));
	int32	   *aggcomm = ScrmAlloc(b, sz, sizeof(int32));
	bool	   *queued = ScrmAlloc(b, sz, sizeof(bool));
	double	   *tot = ScrmAlloc(b, sz, sizeof(double));
	double	   *rtot = ScrmAlloc(b, sz, sizeof(double));
	double	   *rext = ScrmAlloc(b, sz, sizeof(double));
	double	   *prob = ScrmAlloc(b, sz, sizeof(double));
	int32		iter,
				v;

	cgraph_alloc(b, &wk->level[0], n0, base->narcs);
	cgraph_alloc(b, &wk->level[1], n0, base->narcs);
	for (v = 0; v < n0; v++)
		membership[v] = v;
	for (iter = 0; scrm_leiden_iterations < 0 || iter < scrm_leiden_iterations; iter++)
	{
		const CGraph *cg = base;
		bool		changed = false;

		/* each iteration starts on the input graph from the last partition */
		for (v = 0; v < n0; v++)
		{
			node2agg[v] = v;
			comm[v] = membership[v];
		}
		for (;;)
		{
			int32		nc,
						nr;

			CHECK_FOR_INTERRUPTS();
			changed |= leiden_move(wk, cg, comm, tot, size, empty, queued, queue);
			nc = renumber(comm, cg->n, map);
			if (nc == cg->n)
				break;			/* every community is one node: done */
			community_totals(cg, comm, tot);
			leiden_refine(wk, cg, comm, tot, refined, rtot, rext, rsize, prob);
			nr = renumber(refined, cg->n, map);
			if (nr == cg->n)
			{
				/* refinement merged nothing: aggregate the communities */
				memcpy(refined, comm, sizeof(int32) * cg->n);
				nr = nc;
			}
			/* the aggregate nodes start in their unrefined community */
			for (v = 0; v < cg->n; v++)
				aggcomm[refined[v]] = comm[v];
			for (v = 0; v < n0; v++)
				node2agg[v] = refined[node2agg[v]];
			cg = aggregate(wk, cg, refined, nr);
			memcpy(comm, aggcomm, sizeof(int32) * nr);
		}
		for (v = 0; v < n0; v++)
			membership[v] = comm[node2agg[v]];
		if (!changed)
			break;
	}
}

/*
 * Split every community into its connected parts.  This never lowers
 * modularity (no edge joins the parts) and makes Leiden's connectivity
 * guarantee hold even where refinement had to fall back on aggregating
 * unrefined communities.
 */
static void
split_disconnected(Work *wk, const CGraph *cg, int32 *membership)
{
	int32		n = cg->n;
	int32	   *label = ScrmAlloc(wk->b, Max(n, 1), sizeof(int32));
	int32	   *stack = ScrmAlloc(wk->b, Max(n, 1), sizeof(int32));
	int32		v;

	for (v = 0; v < n; v++)
		label[v] = -1;
	for (v = 0; v < n; v++)
	{
		int32		top = 0;

		if (label[v] >= 0)
			continue;
		label[v] = v;
		stack[top++] = v;
		while (top > 0)
		{
			int32		u = stack[--top];
			int64		p;

			for (p = cg->off[u]; p < cg->off[u + 1]; p++)
			{
				int32		x = cg->adj[p];

				if (label[x] < 0 && membership[x] == membership[v])
				{
					label[x] = v;
					stack[top++] = x;
				}
			}
		}
	}
	memcpy(membership, label, sizeof(int32) * n);
	ScrmFree(wk->b, label, Max(n, 1), sizeof(int32));
	ScrmFree(wk->b, stack, Max(n, 1), sizeof(int32));
}

/* ---------- label propagation ---------- */

static void
label_propagation(Work *wk, const CGraph *cg, int32 *label)
{
	int32		n = cg->n;
	int32	   *ties = ScrmAlloc(wk->b, Max(n, 1), sizeof(int32));
	int32		sweep,
				v;

	for (v = 0; v < n; v++)
		label[v] = v;
	for (sweep = 0; sweep < LPA_MAX_SWEEPS; sweep++)
	{
		int64		changes = 0;
		int32		oi;

		CHECK_FOR_INTERRUPTS();
		shuffle(wk, n, 1);
		for (oi = 0; oi < n; oi++)
		{
			int32		u = wk->order[oi];
			double		maxw = 0.0;
			int32		nties = 0,
						t;
			bool		keep = false;
			int64		p;

			if ((oi & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
			for (p = cg->off[u]; p < cg->off[u + 1]; p++)
				nb_add(wk, label[cg->adj[p]], cg->w[p]);
			for (t = 0; t < wk->ntouched; t++)
				maxw = Max(maxw, wk->nbw[wk->touched[t]]);
			for (t = 0; t < wk->ntouched; t++)
			{
				int32		c = wk->touched[t];

				if (wk->nbw[c] >= maxw * (1.0 - 1e-12))
				{
					ties[nties++] = c;
					keep |= (c == label[u]);
				}
			}
			nb_clear(wk);
			if (nties == 0 || keep)
				continue;
			label[u] = ties[nties == 1 ? 0 :
							pg_prng_uint64_range(&wk->rng, 0, nties - 1)];
			changes++;
		}
		if (changes == 0)
			break;
	}
	if (sweep == LPA_MAX_SWEEPS)
		ereport(WARNING,
				(errmsg("label propagation did not settle within %d sweeps",
						LPA_MAX_SWEEPS),
				 errdetail("The labels of the last sweep are returned.")));
	ScrmFree(wk->b, ties, Max(n, 1), sizeof(int32));
}

/* ---------- SQL functions ---------- */

static double
resolution_arg(FunctionCallInfo fcinfo, int argno)
{
	double		gamma;

	ScrmArgNotNull(fcinfo, argno, "resolution");
	gamma = PG_GETARG_FLOAT8(argno);
	if (!(gamma > 0.0) || isinf(gamma))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("resolution must be a finite number > 0"),
				 errdetail("resolution is %g.", gamma)));
	return gamma;
}

static void
work_init(Work *wk, ScrmBudget *b, const CGraph *cg, double gamma)
{
	int32		v;

	memset(wk, 0, sizeof(Work));
	wk->b = b;
	wk->gamma = gamma;
	wk->cap = Max(cg->n, 1);
	wk->nbw = ScrmAlloc0(b, wk->cap, sizeof(double));
	/* touched doubles as candidate list in refinement: room for both */
	wk->touched = ScrmAlloc(b, (Size) wk->cap * 2, sizeof(int32));
	wk->order = ScrmAlloc(b, wk->cap, sizeof(int32));
	wk->blocks = ScrmAlloc(b, wk->cap, sizeof(int32));
	wk->agg_start = ScrmAlloc(b, (Size) wk->cap + 1, sizeof(int32));
	wk->agg_members = ScrmAlloc(b, wk->cap, sizeof(int32));
	for (v = 0; v < cg->n; v++)
		wk->total += cg->k[v];
	/* the mean arc weight: the unit in which refinement gains are scaled */
	wk->wscale = 1.0;
	if (cg->narcs > 0)
	{
		double		arcw = 0.0;
		int64		p;

		for (p = 0; p < cg->narcs; p++)
			arcw += cg->w[p];
		if (arcw > 0.0)
			wk->wscale = arcw / (double) cg->narcs;
	}
}

/*
 * Modularity, and the gains Louvain and Leiden compare, are ratios of
 * weight sums: when the sum of all weights could overflow, scale them by a
 * power of two (exactly) to at most 1 first.
 */
static void
scale_for_sums(Graph *g)
{
	double		maxw = 0.0;
	int64		k,
				arcs = g->out.off[g->n];
	int			shift;

	if (g->out.w == NULL)
		return;
	for (k = 0; k < arcs; k++)
		maxw = Max(maxw, g->out.w[k]);
	if (isinf(maxw))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("edge weight is out of range"),
				 errdetail("The weights of duplicate edges add up to more than double precision holds.")));
	if (!(maxw > DBL_MAX / (4.0 * ((double) arcs + 1.0))))
		return;
	(void) frexp(maxw, &shift);
	for (k = 0; k < arcs; k++)
		g->out.w[k] = ldexp(g->out.w[k], -shift);
}

/*
 * The cohesion of the communities found on the shared graph, kept for
 * scrm._refresh_community_cohesion: per community (id = its smallest
 * node's), its members' degrees and the weight inside, each tie at both
 * ends, summed in node order as partition_sums sums them.  cg is the graph
 * the communities were found on (the algorithms never change it).
 */
static void
share_cohesion(Graph *g, const CGraph *cg, const int32 *membership, const int32 *first)
{
	int32		n = g->n;
	double	   *tot = ScrmAlloc0(&g->budget, Max(n, 1), sizeof(double));
	double	   *inner = ScrmAlloc0(&g->budget, Max(n, 1), sizeof(double));
	int64	   *cid = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int64));
	int32		v,
				c,
				nc = 0;

	for (v = 0; v < n; v++)
	{
		int64		p;

		if ((v & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		c = membership[v];
		tot[c] += cg->k[v];
		inner[c] += cg->self[v];
		for (p = cg->off[v]; p < cg->off[v + 1]; p++)
			if (membership[cg->adj[p]] == c)
				inner[c] += cg->w[p];
	}
	/* compact: the communities in use, in place (nc <= c) */
	for (c = 0; c < n; c++)
		if (first[c] >= 0)
		{
			cid[nc] = g->ids[first[c]];
			tot[nc] = tot[c];
			inner[nc] = inner[c];
			nc++;
		}
	GraphShareCohesion(nc, cid, inner, tot);
}

/*
 * scrm.communities(edges, method, resolution, seed)
 *	 RETURNS TABLE (node bigint, community bigint)
 */
static Datum
scrm_communities_run(FunctionCallInfo fcinfo, int off)
{
	ScrmKeys   *keys = off == 0 ? ScrmKeyArg(fcinfo, 4, &off) : NULL;
	const char *edges = off >= 0 ? ScrmTextArg(fcinfo, off, "edges") : NULL;
	const char *method = ScrmTextArg(fcinfo, 1 + off, "method");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		gamma = resolution_arg(fcinfo, 2 + off);
	int32		seed;
	Graph	   *g;
	CGraph		cg;
	Work		wk;
	int32	   *membership,
			   *first;
	int32		n,
				v;

	ScrmArgNotNull(fcinfo, 3 + off, "seed");
	seed = PG_GETARG_INT32(3 + off);
	if (strcmp(method, "louvain") != 0 && strcmp(method, "leiden") != 0 &&
		strcmp(method, "label_propagation") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown community method \"%s\"", method),
				 errhint("Use 'louvain', 'leiden' or 'label_propagation'.")));
	InitMaterializedSRF(fcinfo, 0);
	g = GraphLoad(edges, keys, false, GRAPH_WEIGHTED | GRAPH_BUILD_OUT);
	scale_for_sums(g);
	n = g->n;
	/*
	 * What the method adds to the graph, for the hint if it does not fit:
	 * the undirected copy, the aggregate levels, membership and work arrays
	 * (measured, the DEBUG1 message of a budget's end: Leiden on the
	 * 200,000-customer bench CRM, 2.8M arcs over 170,000 nodes, and on
	 * 600,000 arcs over 300,000 nodes)
	 */
	if (strcmp(method, "leiden") == 0)
		g->budget.expected = g->budget.used + (Size) g->m * 40 + (Size) n * 180;
	else if (strcmp(method, "louvain") == 0)
		g->budget.expected = g->budget.used + (Size) g->m * 40 + (Size) n * 130;
	else
		g->budget.expected = g->budget.used + (Size) n * 90;
	cgraph_from_graph(g, &cg);
	work_init(&wk, &g->budget, &cg, gamma);
	pg_prng_seed(&wk.rng, (uint64) (int64) seed);
	membership = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int32));

	if (strcmp(method, "label_propagation") == 0)
		label_propagation(&wk, &cg, membership);
	else if (wk.total == 0.0)
	{
		/* no edge weight at all: every node is a community of its own */
		for (v = 0; v < n; v++)
			membership[v] = v;
	}
	else if (strcmp(method, "louvain") == 0)
		louvain(&wk, &cg, membership);
	else
	{
		leiden(&wk, &cg, membership);
		split_disconnected(&wk, &cg, membership);
	}

	/* community id = smallest node id in it; indices ascend with ids */
	first = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int32));
	for (v = 0; v < n; v++)
		first[v] = -1;
	for (v = 0; v < n; v++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		int32		c = membership[v];

		if (first[c] < 0)
			first[c] = v;
		values[0] = GraphNodeDatum(g, v);
		values[1] = GraphNodeDatum(g, first[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (edges == NULL)
		share_cohesion(g, &cg, membership, first);
	GraphFree(g);
	PG_RETURN_NULL();
}

Datum
scrm_communities(PG_FUNCTION_ARGS)
{
	return scrm_communities_run(fcinfo, 0);
}

/* scrm._refresh_communities(method, ...): scrm.communities of the shared graph */
Datum
scrm_refresh_communities(PG_FUNCTION_ARGS)
{
	return scrm_communities_run(fcinfo, -1);
}

/* State of the membership-reading callback */
typedef struct MemberState
{
	Graph	   *g;
	ScrmColumn *cols;
	int64	   *comm;
	bool	   *seen;
} MemberState;

static void
load_membership(void *arg, Datum *values, bool *isnull)
{
	MemberState *st = (MemberState *) arg;
	int64		id = ScrmRowId(values, isnull, st->cols, 0, "membership");
	int64		c = ScrmRowId(values, isnull, st->cols, 1, "membership");
	int32		v = GraphFindNode(st->g, id);

	if (v < 0)
		return;					/* nodes without edges do not matter */
	if (st->seen[v])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("node %s appears more than once in the membership query",
						ScrmKeysOut(st->g->keys, id)),
				 errhint("Give each node exactly one community.")));
	st->seen[v] = true;
	st->comm[v] = c;
}

static int
cmp_by_comm(const void *a, const void *b, void *arg)
{
	const int64 *comm = (const int64 *) arg;
	int64		ca = comm[*(const int32 *) a],
				cb = comm[*(const int32 *) b];

	return (ca > cb) - (ca < cb);
}

/* A partition's weight sums: per dense community c (0..nc-1) */
typedef struct PartitionSums
{
	Graph	   *g;
	int32		nc;
	int64	   *id;				/* community id of dense community c */
	double	   *tot;			/* sum of member degrees (undirected) */
	double	   *inner;			/* weight inside, each tie at both ends */
	double		total;			/* 2m */
} PartitionSums;


/*
 * Load the graph (undirected) and the membership query, and sum each
 * community's degree and internal weight.  Every node of the graph needs a
 * community; nodes without edges do not matter.
 */
static void
partition_sums(const char *edges, ScrmKeys *keys, const char *mquery,
			   PartitionSums *ps, bool scale)
{
	ScrmColumn	cols[2] = {
		{"node", SCRM_COL_KEY, true},
		{"community", keys ? SCRM_COL_KEY : SCRM_COL_ID, true},
	};
	MemberState st;
	Graph	   *g;
	CGraph		cg;
	int32	   *order,
			   *dense;
	int32		n,
				v,
				nc = 0;

	g = GraphLoad(edges, keys, false, GRAPH_WEIGHTED | GRAPH_BUILD_OUT);
	cols[0].keys = keys;
	/* keyed: community labels of any type, encoded by a dictionary of their own */
	if (keys)
		cols[1].keys = ScrmKeysCreate(InvalidOid, InvalidOid);
	n = g->n;
	st.g = g;
	st.cols = cols;
	st.comm = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int64));
	st.seen = ScrmAlloc0(&g->budget, Max(n, 1), sizeof(bool));
	ScrmReadQuery(mquery, "membership", cols, 2, load_membership, &st, NULL);
	if (scale)
		scale_for_sums(g);
	for (v = 0; v < n; v++)
		if (!st.seen[v])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("node %s has no community in the membership query",
							ScrmKeysOut(g->keys, g->ids[v])),
					 errhint("Every node of the edges query needs one row (node, community).")));
	cgraph_from_graph(g, &cg);

	/* dense community numbers, by sorting nodes on their community */
	order = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int32));
	dense = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int32));
	ps->id = ScrmAlloc(&g->budget, Max(n, 1), sizeof(int64));
	for (v = 0; v < n; v++)
		order[v] = v;
	qsort_arg(order, n, sizeof(int32), cmp_by_comm, st.comm);
	for (v = 0; v < n; v++)
	{
		if (v > 0 && st.comm[order[v]] != st.comm[order[v - 1]])
			nc++;
		dense[order[v]] = nc;
		ps->id[nc] = st.comm[order[v]];
	}
	ps->g = g;
	ps->nc = n > 0 ? nc + 1 : 0;
	ps->tot = ScrmAlloc0(&g->budget, Max(n, 1), sizeof(double));
	ps->inner = ScrmAlloc0(&g->budget, Max(n, 1), sizeof(double));
	ps->total = 0.0;
	for (v = 0; v < n; v++)
	{
		int64		p;

		if ((v & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		ps->tot[dense[v]] += cg.k[v];
		ps->inner[dense[v]] += cg.self[v];
		ps->total += cg.k[v];
		for (p = cg.off[v]; p < cg.off[v + 1]; p++)
			if (dense[cg.adj[p]] == dense[v])
				ps->inner[dense[v]] += cg.w[p];
	}
}

/*
 * scrm.modularity(edges, membership, resolution) RETURNS float8
 * NULL when the graph has no edge weight at all (modularity is undefined).
 */
Datum
scrm_modularity(PG_FUNCTION_ARGS)
{
	int			off = 0;
	ScrmKeys   *keys = ScrmKeyArg(fcinfo, 3, &off);
	const char *edges = ScrmTextArg(fcinfo, off, "edges");
	const char *mquery = ScrmTextArg(fcinfo, 1 + off, "membership");
	double		gamma = resolution_arg(fcinfo, 2 + off);
	PartitionSums ps;
	double		q = 0.0;
	int32		c;

	partition_sums(edges, keys, mquery, &ps, true);
	if (!(ps.total > 0.0))
	{
		GraphFree(ps.g);
		PG_RETURN_NULL();
	}
	for (c = 0; c < ps.nc; c++)
		q += ps.inner[c] / ps.total - gamma * (ps.tot[c] / ps.total) * (ps.tot[c] / ps.total);
	GraphFree(ps.g);
	PG_RETURN_DATUM(ScrmFiniteDatum("modularity", q));
}

/*
 * scrm._community_cohesion(edges, membership)
 *	 RETURNS TABLE (community, internal_weight, total_weight)
 * (edges NULL: the graph shared by scrm._refresh_graph)
 * Per community, the weight of its members' ties counted at both ends:
 * inside the community, and in all; their ratio is the internal-edge share
 * of scrm.community_clout.
 */
Datum
scrm_refresh_community_cohesion(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const int64 *cid;
	const double *inner,
			   *tot;
	int32		nc = GraphSharedCohesion(&cid, &inner, &tot);
	int32		c;

	if (nc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no communities were found on the shared graph in this transaction"),
				 errhint("Call scrm._refresh_communities first.")));
	InitMaterializedSRF(fcinfo, 0);
	for (c = 0; c < nc; c++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(cid[c]);
		values[1] = ScrmFiniteDatum("internal_weight", inner[c]);
		values[2] = ScrmFiniteDatum("total_weight", tot[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}

Datum
scrm_community_cohesion(PG_FUNCTION_ARGS)
{
	/* edges NULL: the graph shared by scrm._refresh_graph */
	const char *edges = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *mquery = ScrmTextArg(fcinfo, 1, "membership");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PartitionSums ps;
	int32		c;

	InitMaterializedSRF(fcinfo, 0);
	partition_sums(edges, NULL, mquery, &ps, false);
	for (c = 0; c < ps.nc; c++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(ps.id[c]);
		values[1] = ScrmFiniteDatum("internal_weight", ps.inner[c]);
		values[2] = ScrmFiniteDatum("total_weight", ps.tot[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	GraphFree(ps.g);
	PG_RETURN_NULL();
}
