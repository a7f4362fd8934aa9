"""Read a gzipped SNAP edge list ('#' comment lines, then 'u v' per line)."""
import gzip


def read_edges(path):
    edges = []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("#"):
                continue
            u, v = line.split()
            edges.append((int(u), int(v)))
    return edges
