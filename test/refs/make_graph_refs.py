#!/usr/bin/python3
"""Reference results for the social_crm graph functions.

Run from the repository root with the Debian python (networkx, igraph, numpy):

    /usr/bin/python3 test/refs/make_graph_refs.py

Reads  sql/data/karate.txt and sql/data/email-Eu-core.txt,
writes sql/data/ref/*.csv (see sql/data/README.md) and prints
 * statistics of the input graphs,
 * a cross-check table: max |networkx - igraph| per file, and for PageRank also
   max |networkx - exact| where "exact" is a dense linear solve of the same
   fixed-point equation (numpy.linalg.solve).

Semantics (must match the SQL functions):
 * duplicate (source, target) lines are merged by summing their weights;
   weight 1 when the file has no weight column;
 * self-loops are kept;
 * directed: u->v as listed; undirected: nx.Graph where w({u,v}) is the sum of
   all u->v and v->u lines (self-loop u-u: the sum of its lines);
 * PageRank = networkx.pagerank (weighted; dangling mass spread like the
   personalization vector; teleport to personalization, uniform when none);
 * degree: weighted; directed in/out strength (a self-loop counts once in
   each); undirected in = out = G.degree(weight='weight') (a self-loop counts
   twice);
 * components: weakly connected, label = smallest node id in the component.

Output: CSV, header line, one row per node sorted by node id, floats printed
with repr(float(x)) (17 significant digits, round-trip exact).
Deterministic: nodes are inserted in sorted order, so networkx iterates in the
same order on every run.
"""

import os
import sys
from collections import OrderedDict

import igraph as ig
import networkx as nx
import numpy as np
import scipy

ALPHA = 0.85
TOL = 1e-13
MAX_ITER = 10000

DATA = os.path.join("sql", "data")
REF = os.path.join(DATA, "ref")


# ---------------------------------------------------------------- reading ---

def read_edges(path, weighted):
    """Return the list of (u, v, w) lines, in file order (no merging)."""
    lines = []
    with open(path) as f:
        for raw in f:
            s = raw.strip()
            if not s or s.startswith("#"):
                continue
            parts = s.split()
            u, v = int(parts[0]), int(parts[1])
            w = float(parts[2]) if weighted else 1.0
            lines.append((u, v, w))
    return lines


def merged_directed(lines):
    d = OrderedDict()
    for u, v, w in lines:
        d[(u, v)] = d.get((u, v), 0.0) + w
    return d


def merged_undirected(lines):
    d = OrderedDict()
    for u, v, w in lines:
        k = (min(u, v), max(u, v))
        d[k] = d.get(k, 0.0) + w
    return d


def node_set(lines):
    return sorted({x for u, v, _ in lines for x in (u, v)})


def nx_graph(lines, directed):
    nodes = node_set(lines)
    if directed:
        G = nx.DiGraph()
        G.add_nodes_from(nodes)
        for (u, v), w in sorted(merged_directed(lines).items()):
            G.add_edge(u, v, weight=w)
    else:
        G = nx.Graph()
        G.add_nodes_from(nodes)
        for (u, v), w in sorted(merged_undirected(lines).items()):
            G.add_edge(u, v, weight=w)
    return G


def ig_graph(lines, directed):
    """igraph graph built straight from the raw lines (independent of the
    networkx construction): parallel edges are kept as multi-edges, igraph sums
    them itself.  Vertex index i <-> i-th smallest node id."""
    nodes = node_set(lines)
    idx = {n: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), directed=directed)
    g.add_edges([(idx[u], idx[v]) for u, v, _ in lines])
    g.es["weight"] = [w for _, _, w in lines]
    g.vs["name_id"] = nodes
    return g, nodes


# ----------------------------------------------------------- computations ---

def nx_pagerank(G, pers=None):
    return nx.pagerank(G, alpha=ALPHA, personalization=pers, tol=TOL,
                       max_iter=MAX_ITER, weight="weight")


def ig_pagerank(g, nodes, directed, pers=None):
    if pers is None:
        pr = g.pagerank(directed=directed, damping=ALPHA, weights="weight",
                        implementation="prpack")
    else:
        reset = [float(pers.get(n, 0)) for n in nodes]
        pr = g.personalized_pagerank(directed=directed, damping=ALPHA,
                                     reset=reset, weights="weight",
                                     implementation="prpack")
    return dict(zip(nodes, pr))


def exact_pagerank(G, pers=None):
    """Dense solve of x = alpha*(x P + (x.d) p) + (1-alpha) p, sum(x) = 1,
    with the networkx matrix (self-loop once, dangling = zero out-weight,
    dangling mass spread like p)."""
    nodes = sorted(G)
    n = len(nodes)
    A = nx.to_numpy_array(G, nodelist=nodes, weight="weight", dtype=float)
    s = A.sum(axis=1)
    dang = s == 0
    P = np.zeros_like(A)
    P[~dang] = A[~dang] / s[~dang, None]
    if pers is None:
        p = np.full(n, 1.0 / n)
    else:
        p = np.array([float(pers.get(v, 0)) for v in nodes])
        p /= p.sum()
    M = P + np.outer(dang.astype(float), p)
    x = np.linalg.solve(np.eye(n) - ALPHA * M.T, (1 - ALPHA) * p)
    x /= x.sum()
    return dict(zip(nodes, x))


def nx_degree(G):
    if G.is_directed():
        ind = dict(G.in_degree(weight="weight"))
        outd = dict(G.out_degree(weight="weight"))
    else:
        ind = dict(G.degree(weight="weight"))
        outd = ind
    return {n: (float(ind[n]), float(outd[n])) for n in sorted(G)}


def ig_degree(g, nodes):
    if g.is_directed():
        ind = g.strength(mode="in", loops=True, weights="weight")
        outd = g.strength(mode="out", loops=True, weights="weight")
    else:
        ind = outd = g.strength(mode="all", loops=True, weights="weight")
    return {n: (float(a), float(b)) for n, a, b in zip(nodes, ind, outd)}


def nx_components(G):
    comps = (nx.weakly_connected_components(G) if G.is_directed()
             else nx.connected_components(G))
    lab = {}
    for c in comps:
        m = min(c)
        for n in c:
            lab[n] = m
    return lab


def ig_components(g, nodes):
    memb = g.connected_components(mode="weak").membership
    low = {}
    for n, c in zip(nodes, memb):
        low[c] = min(low.get(c, n), n)
    return {n: low[c] for n, c in zip(nodes, memb)}


# ---------------------------------------------------------------- writing ---

def write_csv(name, header, rows):
    path = os.path.join(REF, name)
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    return path


def fmt(x):
    return repr(float(x))


def write_scores(name, scores):
    write_csv(name, ["node", "score"],
              [(str(n), fmt(scores[n])) for n in sorted(scores)])


def write_degree(name, deg):
    write_csv(name, ["node", "in_degree", "out_degree"],
              [(str(n), fmt(a), fmt(b)) for n, (a, b) in sorted(deg.items())])


def write_components(name, lab):
    write_csv(name, ["node", "component"],
              [(str(n), str(lab[n])) for n in sorted(lab)])


def maxdiff(a, b):
    assert sorted(a) == sorted(b)
    return max(abs(a[n] - b[n]) for n in a)


def maxdiff_deg(a, b):
    assert sorted(a) == sorted(b)
    return max(max(abs(a[n][0] - b[n][0]), abs(a[n][1] - b[n][1])) for n in a)


# ------------------------------------------------------------------- main ---

def stats(name, lines):
    dmerged = merged_directed(lines)
    umerged = merged_undirected(lines)
    nodes = node_set(lines)
    distinct_lines = len(dmerged)
    dup = len(lines) - distinct_lines
    loops = sum(1 for (u, v) in dmerged if u == v)
    has_out = {u for (u, v) in dmerged}
    dangling = [n for n in nodes if n not in has_out]
    has_in = {v for (u, v) in dmerged}
    sources = [n for n in nodes if n not in has_in]
    recip = sum(1 for (u, v) in dmerged if u != v and (v, u) in dmerged) // 2
    wsum = sum(w for _, _, w in lines)
    print(f"{name}: lines={len(lines)} duplicate_lines={dup} nodes={len(nodes)} "
          f"(ids {nodes[0]}..{nodes[-1]}) directed_edges={distinct_lines} "
          f"undirected_edges={len(umerged)} self_loops={loops} "
          f"reciprocal_pairs={recip} dangling(directed)={len(dangling)} "
          f"no_in_edges={len(sources)} total_weight={wsum:g} "
          f"min_weight={min(w for _, _, w in lines):g}")
    if len(dangling) <= 10:
        print(f"  dangling nodes: {dangling}")


def main():
    os.makedirs(REF, exist_ok=True)
    print(f"python {sys.version.split()[0]}  networkx {nx.__version__}  "
          f"igraph {ig.__version__}  numpy {np.__version__}  "
          f"scipy {scipy.__version__}")
    print(f"alpha={ALPHA} tol={TOL} max_iter={MAX_ITER}\n")

    karate = read_edges(os.path.join(DATA, "karate.txt"), weighted=True)
    email = read_edges(os.path.join(DATA, "email-Eu-core.txt"), weighted=False)

    split = [(u, v, w) for u, v, w in email
             if u < 300 and v < 300 and u % 3 == v % 3]
    write_csv("split_edges.csv", ["source", "target"],
              [(str(u), str(v)) for u, v, _ in split])

    stats("karate", karate)
    stats("email-Eu-core", email)
    stats("split", split)
    print()

    table = []  # (file, max|nx-igraph|, max|nx-exact| or None, note)

    def pr_job(fname, lines, directed, pers=None, note=""):
        G = nx_graph(lines, directed)
        g, nodes = ig_graph(lines, directed)
        a = nx_pagerank(G, pers)
        b = ig_pagerank(g, nodes, directed, pers)
        c = exact_pagerank(G, pers)
        write_scores(fname, a)
        table.append((fname, maxdiff(a, b), maxdiff(a, c), note))
        return G, a, b

    # karate
    kpers = {n: (n % 5) + 1 for n in node_set(karate) if n % 3 == 0}
    pr_job("karate_pagerank.csv", karate, False)
    pr_job("karate_pagerank_directed.csv", karate, True)
    pr_job("karate_ppr.csv", karate, False, kpers)

    # email
    epers = {n: (n % 7) + 1 for n in node_set(email) if n % 10 == 0}
    pr_job("email_pagerank.csv", email, True)
    G, a, b = pr_job("email_ppr.csv", email, True, epers,
                     "igraph 0.10.2 also spreads dangling mass like reset")
    # igraph variant with the other dangling convention, for the record:
    # networkx with dangling mass spread uniformly.
    a_unif = nx.pagerank(G, alpha=ALPHA, personalization=epers, tol=TOL,
                         max_iter=MAX_ITER, weight="weight",
                         dangling={n: 1 for n in G})
    table.append(("(email_ppr, nx dangling=uniform)", maxdiff(a_unif, b),
                  maxdiff(a_unif, a), "2nd col: vs nx default, not exact"))

    Gu, a, b = pr_job("email_pagerank_undirected.csv", email, False, None,
                      "igraph undirected self-loop convention")
    # igraph on the symmetric directed graph (u->v and v->u for every
    # undirected edge, self-loop once): the matrix networkx actually uses.
    Gd = Gu.to_directed()
    nodes = sorted(Gd)
    idx = {n: i for i, n in enumerate(nodes)}
    gd = ig.Graph(n=len(nodes), directed=True)
    es = sorted(Gd.edges(data="weight"))
    gd.add_edges([(idx[u], idx[v]) for u, v, _ in es])
    gd.es["weight"] = [w for _, _, w in es]
    b2 = ig_pagerank(gd, nodes, True)
    table.append(("(email_pagerank_undirected, igraph on to_directed())",
                  maxdiff(a, b2), None, ""))
    # and the explanation of the difference: igraph counts an undirected
    # self-loop twice in the transition matrix (as in the degree), networkx once.
    Gl = Gu.to_directed()
    for u, v, dat in Gl.edges(data=True):
        if u == v:
            dat["weight"] *= 2
    table.append(("(nx, undirected self-loops doubled, vs igraph undirected)",
                  maxdiff(nx_pagerank(Gl), b), None, "explains the 1e-4"))

    # degrees
    for fname, lines, directed in [
            ("karate_degree.csv", karate, False),
            ("karate_degree_directed.csv", karate, True),
            ("email_degree.csv", email, True)]:
        G = nx_graph(lines, directed)
        g, nodes = ig_graph(lines, directed)
        da, db = nx_degree(G), ig_degree(g, nodes)
        write_degree(fname, da)
        table.append((fname, maxdiff_deg(da, db), None, ""))

    # components (weak, on the directed graph)
    for fname, lines in [("karate_components.csv", karate),
                         ("email_components.csv", email),
                         ("split_components.csv", split)]:
        G = nx_graph(lines, True)
        g, nodes = ig_graph(lines, True)
        ca, cb = nx_components(G), ig_components(g, nodes)
        write_components(fname, ca)
        ncomp = len(set(ca.values()))
        sizes = sorted((list(ca.values()).count(c) for c in set(ca.values())),
                       reverse=True)
        table.append((fname, float(sum(ca[n] != cb[n] for n in ca)), None,
                      f"{ncomp} components, sizes {sizes[:8]}"
                      f"{'...' if len(sizes) > 8 else ''}"))

    print(f"{'file':<55} {'max|nx-igraph|':>15} {'max|nx-exact|':>14}  note")
    for fname, d1, d2, note in table:
        s2 = "" if d2 is None else f"{d2:.3e}"
        print(f"{fname:<55} {d1:>15.3e} {s2:>14}  {note}")
    print("(components: column 2 = number of nodes whose labels differ)")


if __name__ == "__main__":
    main()
