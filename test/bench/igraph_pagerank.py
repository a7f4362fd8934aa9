#!/usr/bin/python3
"""Baseline for make bench: igraph's PageRank (PRPACK) on an edge list already
in memory.  One untimed call first, then prints the median wall time of
`repeats` calls in milliseconds.  bench.sql runs it with repeats = 1 once per
round, interleaved with our runs.

usage: igraph_pagerank.py EDGEFILE.gz [repeats]
"""
import statistics
import sys
import time

import igraph as ig

from edgelist import read_edges


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    edges = read_edges(path)
    g = ig.Graph(edges=edges, directed=True)
    g.pagerank(damping=0.85, directed=True, implementation="prpack")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        g.pagerank(damping=0.85, directed=True, implementation="prpack")
        times.append((time.perf_counter() - t0) * 1000.0)
    print("%.3f" % statistics.median(times))


if __name__ == "__main__":
    main()
