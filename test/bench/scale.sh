#!/usr/bin/env bash
# make bench SCALE="1000000 2000000": refresh of the generated bench CRM
# (crm.sql) at 200,000 customers and at each size of SCALE, in one run, on
# the cluster of the caller (PGHOST/PGPORT...).  Per size: refresh and one
# serial scan of its inputs interleaved (refresh, scan, refresh, scan, ...,
# REPS times each, medians), each in a backend of its own, so that the
# backend's peak RSS (VmHWM of /proc) is that run's, and its peak private
# memory (RssAnon, sampled every 50 ms) too; per-step timings of the median
# refresh.  Prints one table; the last column is each ratio over the
# ratio at the smallest size (issue target: <= 1.2 at 2M).  scrm.max_memory
# is SCALE_MAX_MEMORY (default 8GB) at every size.
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${SCALE_BASE:-200000}
sizes="$base ${SCALE:-}"
reps=${SCALE_REPS:-3}
# one budget for every size, large enough for the in-memory paths at 2M;
# no parallel workers, as in bench.sql: the baseline is one serial scan
# (with workers its speed-up changes with the table sizes, and so would
# every ratio), and the refresh runs as bench.sql's does
export PGOPTIONS="${PGOPTIONS:-} -c scrm.max_memory=${SCALE_MAX_MEMORY:-8GB} -c max_parallel_workers_per_gather=0"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -At "$@" postgres; }
psql -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS social_crm' -f test/bench/crm.sql >/dev/null
psql -c 'SET client_min_messages = warning' -c 'DROP TABLE IF EXISTS bench.scale, bench.scale_small' -c 'CREATE TABLE bench.scale (customers bigint, rep int, what text, ms float8, steps jsonb,
          hwm_kb bigint, shmem_kb bigint, budget_kb bigint, anon_kb bigint)' \
     -c 'CREATE TABLE bench.scale_small (customers bigint, sqlstate text, message text, hint text,
          ms float8, hwm_kb bigint, shmem_kb bigint, anon_kb bigint)' >/dev/null
# the backend's peak resident set and the shared memory it has touched, in kB
mem="SELECT (regexp_match(s, 'VmHWM:\\s+(\\d+)'))[1]::bigint AS hwm, (regexp_match(s, 'RssShmem:\\s+(\\d+)'))[1]::bigint AS shmem
     FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# the most private memory (RssAnon) of the backend whose pid comes in
# file $1, sampled every 50 ms until it exits, into file $2 (kB)
sample_anon() {
  local pid max=0 a
  while [ ! -s "$1" ]; do sleep 0.02; done
  pid=$(tr -dc 0-9 <"$1")
  while a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$a" ]; do
    [ "$a" -gt "$max" ] && max=$a
    sleep 0.05
  done
  echo "$max" >"$2"
}
for n in $sizes; do
  crm="bscale_$n"
  t0=$SECONDS
  psql -c 'SET client_min_messages = warning' -c "SELECT bench.make_crm('$crm', $n)" >/dev/null
  psql -c "VACUUM ANALYZE $crm.customers, $crm.purchases, $crm.relationships, $crm.interactions, $crm.referrals, $crm.surveys" >/dev/null
  rows=$(psql -c "SELECT (SELECT count(*) FROM $crm.purchases) || ' purchases, ' || (SELECT count(*) FROM $crm.relationships) || ' ties, '
                    || (SELECT count(*) FROM $crm.interactions) || ' interactions'")
  echo "scale: $n customers ($rows) generated in $((SECONDS - t0)) s" >&2
  psql -c 'SET client_min_messages = warning' -c "SELECT bench.configure_crm('$crm')" -c "SELECT bench.crm_scan('$crm')" >/dev/null
  for r in $(seq 1 "$reps"); do
    rm -f "$dir/pid"
    sample_anon "$dir/pid" "$dir/anon" &
    psql -c "\\o $dir/pid" -c 'SELECT pg_backend_pid()' -c '\o' \
         -c 'SET client_min_messages = warning' \
         -c 'CREATE TEMP TABLE t AS SELECT clock_timestamp() AS t0' \
         -c 'CREATE TEMP TABLE s AS SELECT scrm.refresh() AS r' \
         -c "INSERT INTO bench.scale SELECT $n, $r, 'refresh', extract(epoch FROM clock_timestamp() - t0) * 1000,
               (SELECT r->'step_ms' FROM s), m.hwm, m.shmem, pg_size_bytes(current_setting('scrm.max_memory')) / 1024
             FROM t, ($mem) m" >/dev/null
    wait
    psql -c "UPDATE bench.scale SET anon_kb = $(cat "$dir/anon") WHERE customers = $n AND rep = $r AND what = 'refresh'" >/dev/null
    psql -c 'CREATE TEMP TABLE t AS SELECT clock_timestamp() AS t0' \
         -c "CREATE TEMP TABLE s AS SELECT bench.crm_scan('$crm')" \
         -c "INSERT INTO bench.scale SELECT $n, $r, 'scan', extract(epoch FROM clock_timestamp() - t0) * 1000, NULL, m.hwm, m.shmem, NULL
             FROM t, ($mem) m" >/dev/null
  done
  if [ "$n" = "${SCALE_SMALL_MEMORY_AT:-1000000}" ]; then
    # beyond the budget: scrm.max_memory = 64MB, in a backend of its own;
    # completes (spill paths) or stops with 54000 and the size in its hint
    rm -f "$dir/pid"
    sample_anon "$dir/pid" "$dir/anon" &
    PGOPTIONS="$PGOPTIONS -c scrm.max_memory=64MB" command psql -X -q -At postgres >/dev/null 2>&1 <<SQL || true
\o $dir/pid
SELECT pg_backend_pid();
\o
SET client_min_messages = warning;
CREATE TEMP TABLE t AS SELECT clock_timestamp() AS t0;
CREATE FUNCTION pg_temp.attempt() RETURNS text[] LANGUAGE plpgsql AS \$f\$
DECLARE st text; m text; h text;
BEGIN
  PERFORM scrm.refresh();
  RETURN ARRAY['00000', 'completed', NULL];
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, h = PG_EXCEPTION_HINT;
  RETURN ARRAY[st, m, h];
END \$f\$;
CREATE TEMP TABLE a AS SELECT pg_temp.attempt() AS r;
INSERT INTO bench.scale_small SELECT $n, r[1], r[2], r[3], extract(epoch FROM clock_timestamp() - t0) * 1000, m.hwm, m.shmem
FROM a, t, ($mem) m;
SQL
    wait
    psql -c "UPDATE bench.scale_small SET anon_kb = $(cat "$dir/anon") WHERE customers = $n" >/dev/null
  fi
  [ "$n" = "$base" ] || psql -c 'SET client_min_messages = warning' -c "DROP SCHEMA $crm CASCADE" >/dev/null
done
psql -c 'SET client_min_messages = warning' -c "DROP SCHEMA IF EXISTS bscale_$base CASCADE" >/dev/null
command psql -X -q postgres <<'SQL'
\pset footer off
\echo 'refresh at scale: medians of the interleaved runs (refresh, scan, ...); peak RSS of the refresh backend'
WITH m AS (
  SELECT customers,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE what = 'refresh') AS refresh_ms,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE what = 'scan') AS scan_ms,
         max(hwm_kb) FILTER (WHERE what = 'refresh') AS hwm_kb,
         max(anon_kb) FILTER (WHERE what = 'refresh') AS anon_kb,
         max(budget_kb) FILTER (WHERE what = 'refresh') AS budget_kb,
         max(hwm_kb) FILTER (WHERE what = 'scan') AS scan_hwm_kb
  FROM bench.scale GROUP BY customers)
SELECT customers, round(refresh_ms) AS refresh_ms, round(scan_ms) AS scan_ms,
       round((refresh_ms / scan_ms)::numeric, 2) AS ratio,
       round((refresh_ms / scan_ms / first_value(refresh_ms / scan_ms) OVER (ORDER BY customers))::numeric, 2) AS ratio_vs_smallest,
       round(hwm_kb / 1024.0) AS peak_rss_mb, round(anon_kb / 1024.0) AS peak_private_mb,
       round(budget_kb / 1024.0) AS max_memory_mb, round(scan_hwm_kb / 1024.0) AS scan_peak_rss_mb
FROM m ORDER BY customers;
\echo 'refresh at scale: milliseconds per step (the median refresh of each size), and the growth over the smallest size'
WITH med AS (
  SELECT DISTINCT ON (customers) customers, steps
  FROM (SELECT *, row_number() OVER (PARTITION BY customers ORDER BY ms) AS k,
               count(*) OVER (PARTITION BY customers) AS c
        FROM bench.scale WHERE what = 'refresh') x
  WHERE k = (c + 1) / 2 ORDER BY customers),
s AS (SELECT customers, key AS step, value::text::float8 AS ms FROM med, jsonb_each(steps))
SELECT step, customers, round(ms::numeric) AS ms,
       round((ms / nullif(first_value(ms) OVER (PARTITION BY step ORDER BY customers), 0)
              / (customers / first_value(customers) OVER (PARTITION BY step ORDER BY customers)::float8))::numeric, 2) AS growth_per_customer
FROM s ORDER BY max(ms) OVER (PARTITION BY step) DESC, step, customers;
\echo 'refresh with scrm.max_memory = 64MB: completes, or stops with 54000 and what it needs in its hint; peak RSS of its backend'
SELECT customers, sqlstate, message, hint, round(ms) AS ms, round(hwm_kb / 1024.0) AS peak_rss_mb,
       round(anon_kb / 1024.0) AS peak_private_mb
FROM bench.scale_small ORDER BY customers;
SQL
