#!/usr/bin/env bash
# Every function of scrm that can run long stops promptly on a cancel: each
# runs on an input that keeps it busy well past 10 s, under a
# statement_timeout of 1 s (4 s for the fits and referral_value, so that the
# timeout falls past the reading of their input: in the optimiser, in the
# sorts of 10M referrals, 8.7 s uncancelled), and must end with 57014
# at most 1.5 s after the timeout (the target is 1 s; the margin keeps the
# test from flaking).  One line per function with its overshoot.  PageRank (tolerance 0), the influence
# functions, the fits (3M distinct histories), clv (10,000 steps per row) and
# refresh (CLV over 10,000 steps) are cancelled in their own loops; the graph
# functions whose loops finish in a second on this graph read a slow edges
# query (a 0.1 ms sleep per row, 30 s in all) and are cancelled while they
# read it, as they would be on a graph of hundreds of millions of edges.  Runs inside a cluster (make test runs
# it in its throwaway cluster); creates and drops database scrm_cancel.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'dropdb --if-exists scrm_cancel 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d scrm_cancel "$@"; }
dropdb --if-exists scrm_cancel 2>/dev/null
createdb scrm_cancel
psql -f test/demo/crm.sql >/dev/null
psql >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION social_crm;
SELECT setseed(0.5);
-- a graph of 300,000 arcs over 30,000 nodes
CREATE TABLE g AS SELECT (random() * 30000)::bigint AS source, (power(random(), 2) * 30000)::bigint AS target,
                         random() AS weight FROM generate_series(1, 300000);
-- 3,000,000 distinct purchase histories (frequency, recency, age) and spends
CREATE TABLE h AS
  SELECT x, (CASE WHEN x = 0 THEN 0 ELSE t * ((i * 7919) % 1000) / 1000.0 END)::float8 AS tx, t::float8 AS t, (1 + (i % 99991) / 7.0)::float8 AS m
  FROM (SELECT i, (i % 40)::int AS x, 10 + (i % 20011) / 100.0 AS t FROM generate_series(1::bigint, 3000000) i) s;
ANALYZE g, h;
-- the demo CRM, configured with CLV over 10,000 steps: the CLV step alone
-- runs for minutes
SELECT scrm.configure(
  customers => 'SELECT customer, social_consent FROM crm.customers',
  purchases => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships',
  interactions => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  settings => '{"as_of": "1998-07-01", "clv_steps": 10000, "clv_step": 0.1}');
SQL

fail=0
# case name, then the statement (each keeps going for well over 10 s unless cancelled)
while IFS='|' read -r name limit stmt; do
  [ -n "$name" ] || continue
  out=$(timeout 60 "$(command -v psql)" -X -q -At -d scrm_cancel 2>&1 <<SQL || true
SET client_min_messages = notice;
SET statement_timeout = '${limit}s';
SET scrm.fit_max_iterations = 100000;
DO \$\$
BEGIN
  EXECUTE \$q\$ $stmt \$q\$;
  RAISE NOTICE 'finished';
EXCEPTION WHEN query_canceled THEN
  RAISE NOTICE 'latency %', round(extract(epoch FROM clock_timestamp() - statement_timestamp())::numeric - $limit, 3);
END
\$\$;
SQL
)
  latency=$(sed -n 's/.*NOTICE:  latency \([0-9.]*\).*/\1/p' <<<"$out")
  if [ -z "$latency" ]; then
    echo "cancel-test: $name: not cancelled: $out" >&2; fail=1
  elif awk -v l="$latency" 'BEGIN {exit !(l > 1.5)}'; then
    echo "cancel-test: $name: stopped $latency s after its ${limit} s timeout (over 1.5 s)" >&2; fail=1
  else
    echo "cancel-test: $name: stopped $latency s after its ${limit} s timeout"
  fi
done <<'CASES'
pagerank|1|SELECT * FROM scrm.pagerank('SELECT * FROM g', tolerance => 0, max_iterations => 100000000)
pagerank personalized|1|SELECT * FROM scrm.pagerank('SELECT * FROM g', tolerance => 0, max_iterations => 100000000, personalization => 'SELECT source AS node, 1 AS weight FROM g')
communities louvain|1|SELECT * FROM scrm.communities('SELECT source, target FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s', 'louvain')
communities leiden|1|SELECT * FROM scrm.communities('SELECT source, target FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s', 'leiden')
modularity|1|SELECT scrm.modularity('SELECT source, target FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s', 'SELECT n AS node, n % 10 AS community FROM generate_series(0, 30000) n')
degree|1|SELECT * FROM scrm.degree('SELECT source, target FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s')
components|1|SELECT * FROM scrm.components('SELECT source, target FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s')
influence_spread|1|SELECT scrm.influence_spread('SELECT source, target FROM g', ARRAY[1, 2, 3]::bigint[], probability => 0.3, simulations => 1000000)
influence_maximization|1|SELECT * FROM scrm.influence_maximization('SELECT source, target FROM g', 50, probability => 0.3, simulations => 100000)
influence_value|1|SELECT * FROM scrm.influence_value('SELECT source, target, weight FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s', 'SELECT n AS node, n AS value FROM generate_series(0, 30000) n')
churn_impact|1|SELECT * FROM scrm.churn_impact('SELECT source, target, weight FROM g, LATERAL pg_sleep(0.0001 + 0 * g.source) s', 'SELECT n AS node, n AS value, 0.5 AS p_churn FROM generate_series(0, 30000) n')
referral_value|4|SELECT * FROM scrm.referral_value('SELECT i AS referrer, (i * 7919) % 10000000 + 1 AS referred FROM generate_series(1::bigint, 10000000) i', 'SELECT 1 AS node, 1 AS value')
bgnbd_fit|4|SELECT scrm.bgnbd_fit(x, tx, t) FROM h
paretonbd_fit|4|SELECT scrm.paretonbd_fit(x, tx, t) FROM h
gammagamma_fit|4|SELECT scrm.gammagamma_fit(x, m) FROM h WHERE x > 0
rfm|1|SELECT i % 1000, scrm.rfm(timestamptz '2020-01-01' + i * interval '1 second', 1, '2030-01-01') FROM generate_series(1, 100000000) i GROUP BY 1
advocacy|1|SELECT i % 1000, scrm.advocacy('helped_customer', timestamptz '2020-01-01' + i * interval '1 second', '2030-01-01') FROM generate_series(1, 100000000) i GROUP BY 1
clv|1|SELECT scrm.clv(scrm.bgnbd(0.243, 4.414, 0.793, 2.426), scrm.gammagamma(6.25, 3.74, 15.44), x, tx, t, m, steps => 10000, step => 0.1) FROM h WHERE x > 0
refresh|1|SELECT scrm.refresh()
CASES
[ $fail = 0 ] && echo "cancel-test: ok"
exit $fail
