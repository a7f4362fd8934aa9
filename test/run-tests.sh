#!/usr/bin/env bash
# make test: install what is missing, build, install, then run pg_regress and
# the pgTAP suites on a throwaway cluster.  Non-zero exit on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/deps.sh
make -s
make -s install >/dev/null

pg_virtualenv -t -v 15 -o fsync=off -o max_parallel_workers_per_gather=2 \
  -o shared_preload_libraries=pg_cron -o cron.database_name=postgres -o cron.use_background_workers=on \
  -o max_worker_processes=16 -- bash -c '
  set -uo pipefail
  status=0
  if ! make -s installcheck; then
    status=1
    [ -f regression.diffs ] && cat regression.diffs
  fi
  psql -q -X -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS pgtap" postgres >/dev/null || status=1
  # the demo CRM (schema crm) for test/pipeline.pg
  psql -q -X -v ON_ERROR_STOP=1 -f test/demo/crm.sql postgres >/dev/null || status=1
  pg_prove -d postgres test/*.pg || status=1
  # every attack class again through the wrapped queries of a Citus refresh
  # (pushdown.c), which scrm.pushdown = on builds on one node too
  echo "security.pg with scrm.pushdown = on:"
  PGOPTIONS="-c scrm.pushdown=on" pg_prove -d postgres test/security.pg || status=1
  bash test/dump-test.sh || status=1
  bash test/concurrency-test.sh || status=1
  bash test/upgrade-test.sh || status=1
  bash test/reliability-test.sh || status=1
  bash test/cancel-test.sh || status=1
  bash test/messy-test.sh || status=1
  bash test/progress-test.sh || status=1
  bash test/cron-test.sh || status=1
  exit $status
'
