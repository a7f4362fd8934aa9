#!/usr/bin/python3
"""Baseline for make bench: igraph's Louvain (community_multilevel) and Leiden
(community_leiden, objective modularity, its default n_iterations = 2) on the
undirected graph of an edge list already in memory.

Prints four numbers: the median wall time in milliseconds of Louvain and of
Leiden, then the median modularity each reached (seeds first..first +
repeats - 1).  bench.sql runs it with repeats = 1 and seeds 0, 1, ..., once
per round, interleaved with our runs.

usage: igraph_community.py EDGEFILE.gz [repeats [first_seed]]
"""
import random
import statistics
import sys
import time

import igraph as ig

from edgelist import read_edges


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    edges = read_edges(path)
    g = ig.Graph(edges=edges, directed=False)
    out = []
    for method in ("louvain", "leiden"):
        times, qs = [], []
        for s in range(first, first + repeats):
            random.seed(s)
            t0 = time.perf_counter()
            if method == "louvain":
                part = g.community_multilevel()
            else:
                part = g.community_leiden(objective_function="modularity")
            times.append((time.perf_counter() - t0) * 1000.0)
            qs.append(g.modularity(part.membership))
        out.append((statistics.median(times), statistics.median(qs)))
    print("%.3f %.3f %.6f %.6f" % (out[0][0], out[1][0], out[0][1], out[1][1]))


if __name__ == "__main__":
    main()
