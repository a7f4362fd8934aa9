#!/usr/bin/env bash
# make bench: benchmarks on generated and public data, one row per case with
# our time, a baseline measured in the same run, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh bench
make -s
make -s install >/dev/null

# the igraph and scipy baselines run interleaved with ours from bench.sql
igraph=false
scipy=false
/usr/bin/python3 -c 'import igraph' 2>/dev/null && igraph=true
/usr/bin/python3 -c 'import scipy' 2>/dev/null && scipy=true
export igraph scipy
# SCALE="1000000 2000000" (make bench SCALE=...) adds the refresh at those
# sizes to the one at 200k customers (scale.sh); SCALE_ONLY=1 runs only that
export SCALE="${SCALE:-}" SCALE_ONLY="${SCALE_ONLY:-}"
pg_virtualenv -t -v 15 -o shared_buffers=1GB -o work_mem=256MB -o fsync=off -- \
  bash -c 'if [ -z "$SCALE_ONLY" ]; then
             psql -X -q -v ON_ERROR_STOP=1 -v igraph="$igraph" -v scipy="$scipy" -f test/bench/bench.sql &&
             bash test/bench/fits.sh && bash test/bench/load.sh
           fi &&
           if [ -n "$SCALE$SCALE_ONLY" ]; then bash test/bench/scale.sh; fi'
