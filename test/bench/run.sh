#!/usr/bin/env bash
# make bench: benchmarks on generated and public data, one row per case with
# our time, a baseline measured in the same run, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh bench
make -s
make -s install >/dev/null

igraph_ms=""
igraph_comm=""
if /usr/bin/python3 -c 'import igraph' 2>/dev/null; then
  igraph_ms=$(/usr/bin/python3 test/bench/igraph_pagerank.py test/bench/data/soc-Epinions1.txt.gz)
  # louvain_ms leiden_ms louvain_modularity leiden_modularity
  igraph_comm=$(/usr/bin/python3 test/bench/igraph_community.py test/bench/data/soc-Epinions1.txt.gz)
fi
scipy_ms=""
if /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
  scipy_ms=$(/usr/bin/python3 test/bench/scipy_bgnbd.py sql/data/cdnow_customers_summary.csv 100 3 | cut -d' ' -f1)
fi
export igraph_ms igraph_comm scipy_ms
# SCALE="1000000 2000000" (make bench SCALE=...) adds the refresh at those
# sizes to the one at 200k customers (scale.sh); SCALE_ONLY=1 runs only that
export SCALE="${SCALE:-}" SCALE_ONLY="${SCALE_ONLY:-}"
pg_virtualenv -t -v 15 -o shared_buffers=1GB -o work_mem=256MB -o fsync=off -- \
  bash -c 'if [ -z "$SCALE_ONLY" ]; then
             psql -X -q -v ON_ERROR_STOP=1 -v igraph_ms="$igraph_ms" -v igraph_comm="$igraph_comm" -v scipy_ms="$scipy_ms" -f test/bench/bench.sql &&
             bash test/bench/fits.sh && bash test/bench/load.sh
           fi &&
           if [ -n "$SCALE$SCALE_ONLY" ]; then bash test/bench/scale.sh; fi'
