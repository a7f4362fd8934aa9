#!/usr/bin/python3
"""Reference results for scrm.communities and scrm.modularity.

Run from the repository root with the Debian python (igraph, networkx):

    /usr/bin/python3 test/refs/make_community_refs.py

Writes
 * sql/data/ref/planted_edges.csv, planted_membership.csv: a weighted planted
   partition graph (12 blocks of 50-150 nodes, p_in 0.12, p_out 0.003,
   integer weights 1..4 drawn uniformly, node ids 1000 + 7 * i so they are
   not contiguous), generated with random.Random(20261123);
 * sql/data/ref/community_quality.csv: per graph (karate weighted, email-Eu-core
   undirected, facebook_combined, planted) the modularity of igraph 0.10's
   community_multilevel (Louvain) and community_leiden(objective_function=
   'modularity') with its default n_iterations = 2 (as scrm.leiden_iterations),
   seeds 0..9 (random.seed(s) before each
   call): median, min and max;
 * sql/data/ref/modularity.csv: networkx modularity of given partitions
   (karate factions, email departments, planted blocks) at resolutions 0.5,
   1 and 2, cross-checked against igraph (max difference printed).

Semantics (as the SQL functions): undirected, an edge's weight is the sum of
all its u-v and v-u lines (weight 1 per line when the file has none), a
self-loop counts twice in the degree.
"""

import csv
import gzip
import random
import statistics
from collections import defaultdict

import igraph as ig
import networkx as nx

REF = "sql/data/ref/"


def read_pairs(path, weighted=False):
    opener = gzip.open if path.endswith(".gz") else open
    rows = []
    with opener(path, "rt") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split()
            w = float(parts[2]) if weighted else 1.0
            rows.append((int(parts[0]), int(parts[1]), w))
    return rows


def undirected(rows):
    """Merge u-v and v-u lines by summing weights; key (min, max)."""
    acc = defaultdict(float)
    for u, v, w in rows:
        acc[(min(u, v), max(u, v))] += w
    return acc


def planted():
    rnd = random.Random(20261123)
    sizes = [rnd.randint(50, 150) for _ in range(12)]
    block = []
    for b, s in enumerate(sizes):
        block += [b] * s
    n = len(block)
    ids = [1000 + 7 * i for i in range(n)]
    rows = []
    for i in range(n):
        for j in range(i + 1, n):
            p = 0.12 if block[i] == block[j] else 0.003
            if rnd.random() < p:
                rows.append((ids[i], ids[j], float(rnd.randint(1, 4))))
    with open(REF + "planted_edges.csv", "w") as f:
        f.write("source,target,weight\n")
        for u, v, w in rows:
            f.write("%d,%d,%d\n" % (u, v, int(w)))
    with open(REF + "planted_membership.csv", "w") as f:
        f.write("node,community\n")
        for i in range(n):
            f.write("%d,%d\n" % (ids[i], block[i]))
    return rows, {ids[i]: block[i] for i in range(n)}


def to_igraph(und):
    nodes = sorted({u for e in und for u in e})
    index = {u: i for i, u in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=[(index[u], index[v]) for u, v in und],
                 directed=False)
    g.es["weight"] = list(und.values())
    return g, nodes, index


def to_networkx(und):
    g = nx.Graph()
    g.add_nodes_from(sorted({u for e in und for u in e}))
    for (u, v), w in und.items():
        g.add_edge(u, v, weight=w)
    return g


def labels(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            u, c = line.split()
            out[int(u)] = int(c)
    return out


def main():
    planted_rows, planted_blocks = planted()
    graphs = {
        "karate": undirected(read_pairs("sql/data/karate.txt", weighted=True)),
        "email": undirected(read_pairs("sql/data/email-Eu-core.txt")),
        "facebook": undirected(read_pairs("sql/data/facebook_combined.txt.gz")),
        "planted": undirected(planted_rows),
    }
    with open(REF + "community_quality.csv", "w") as f:
        f.write("graph,method,median,min,max\n")
        for name, und in graphs.items():
            g, _, _ = to_igraph(und)
            for method in ("louvain", "leiden"):
                qs = []
                for s in range(10):
                    random.seed(s)
                    if method == "louvain":
                        part = g.community_multilevel(weights="weight")
                    else:
                        part = g.community_leiden(objective_function="modularity",
                                                  weights="weight")
                    qs.append(g.modularity(part.membership, weights="weight"))
                f.write("%s,%s,%r,%r,%r\n" % (name, method, statistics.median(qs),
                                              min(qs), max(qs)))
                print(name, method, "median %.6f" % statistics.median(qs))

    partitions = {
        "karate": labels("sql/data/karate-club-labels.txt"),
        "email": labels("sql/data/email-Eu-core-department-labels.txt"),
        "planted": planted_blocks,
    }
    worst = 0.0
    with open(REF + "modularity.csv", "w") as f:
        f.write("graph,resolution,modularity\n")
        for name, memb in partitions.items():
            und = graphs[name]
            gx = to_networkx(und)
            comms = defaultdict(set)
            for u in gx.nodes:
                comms[memb[u]].add(u)
            gi, nodes, _ = to_igraph(und)
            for res in (0.5, 1.0, 2.0):
                qx = nx.algorithms.community.modularity(gx, comms.values(),
                                                        weight="weight",
                                                        resolution=res)
                # python-igraph 0.10.2's Graph.modularity drops resolution;
                # the C binding underneath takes it
                qi = ig.GraphBase.modularity(gi, [memb[u] for u in nodes],
                                             gi.es["weight"], res)
                worst = max(worst, abs(qx - qi))
                f.write("%s,%r,%r\n" % (name, res, qx))
    print("max |networkx - igraph| modularity: %.3g" % worst)


if __name__ == "__main__":
    main()
