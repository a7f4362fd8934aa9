#!/usr/bin/env bash
# make test-citus: refresh on a Citus cluster (a coordinator and two workers
# on localhost) with the demo CRM distributed by customer, compared customer
# by customer with a single-node refresh of the same CRM.  Builds Citus from
# CITUS_SRC (default ../shared/vendor/citus) when it is not installed.
# Prints the rows of purchases, interactions and surveys that reached the coordinator
# against the rows their queries hold.  The workers run in another time zone
# and with the extension's default advocacy kinds, while the coordinator's
# are changed: refresh must give the single node's results regardless.
# Then the trust rules on the cluster: a configurer and a refresher with the
# README's grants, configured queries that write, and all of test/security.pg
# run against the distributed CRM.  Non-zero exit on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
CITUS_SRC=${CITUS_SRC:-../shared/vendor/citus}
PORT=${CITUS_PORT:-5461}

bash test/deps.sh
make -s
make -s install >/dev/null
if [ ! -f "$(pg_config --pkglibdir)/citus.so" ]; then
  [ -f "$CITUS_SRC/build.sh" ] || { echo "citus-test: no Citus installed and no $CITUS_SRC/build.sh" >&2; exit 1; }
  bash "$CITUS_SRC/build.sh"
fi

bin=$(pg_config --bindir)
base=$(mktemp -d /tmp/scrm-citus.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$base"
ports=("$PORT" "$((PORT + 1))" "$((PORT + 2))")
cleanup() {
  for p in "${ports[@]}"; do
    [ -d "$base/n$p" ] && as_pg "$bin/pg_ctl" -D "$base/n$p" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$base"
}
trap cleanup EXIT
for p in "${ports[@]}"; do
  # the workers' own time zone, far from the coordinator's (UTC here)
  zone=$([ "$p" = "$PORT" ] && echo UTC || echo Pacific/Kiritimati)
  as_pg "$bin/initdb" -D "$base/n$p" -A trust -U postgres >/dev/null
  as_pg "$bin/pg_ctl" -D "$base/n$p" -l "$base/n$p.log" -w \
    -o "-p $p -k $base -c listen_addresses=localhost -c shared_preload_libraries=citus -c fsync=off -c max_connections=100 -c timezone=$zone" \
    start >/dev/null
done
q() { local port=$1 db=$2; shift 2; psql -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d "$db" "$@"; }

# database $1 on every node with Citus, the demo CRM loaded and every table
# distributed by its customer column, co-located
crm_cluster_db() {
  local db=$1 p
  for p in "${ports[@]}"; do
    q "$p" postgres -c "CREATE DATABASE $db"
    q "$p" "$db" -c "CREATE EXTENSION citus"
  done
  q "$PORT" "$db" -c "SELECT citus_set_coordinator_host('localhost', $PORT)" \
    -c "SELECT citus_add_node('localhost', ${ports[1]})" -c "SELECT citus_add_node('localhost', ${ports[2]})" >/dev/null
  q "$PORT" "$db" -f test/demo/crm.sql >/dev/null
  q "$PORT" "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
-- a key of a distributed table includes the distribution column
ALTER TABLE crm.purchases DROP CONSTRAINT purchases_pkey, ADD PRIMARY KEY (customer, purchase_id);
ALTER TABLE crm.interactions DROP CONSTRAINT interactions_pkey, ADD PRIMARY KEY (customer, interaction_id);
SELECT create_distributed_table('crm.customers', 'customer');
SELECT create_distributed_table('crm.planted_communities', 'customer', colocate_with => 'crm.customers');
SELECT create_distributed_table('crm.purchases', 'customer', colocate_with => 'crm.customers');
SELECT create_distributed_table('crm.interactions', 'customer', colocate_with => 'crm.customers');
SELECT create_distributed_table('crm.surveys', 'customer', colocate_with => 'crm.customers');
SELECT create_distributed_table('crm.referrals', 'referrer', colocate_with => 'crm.customers');
SELECT create_distributed_table('crm.relationships', 'source', colocate_with => 'crm.customers');
SQL
}
crm_cluster_db scrm_citus
q "$PORT" postgres -c "CREATE DATABASE scrm_single"

configure="SET client_min_messages = warning;
SELECT scrm.configure(
  customers     => 'SELECT customer, social_consent FROM crm.customers',
  purchases     => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships',
  interactions  => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  referrals     => 'SELECT referrer, referred, reward_cost, incrementality FROM crm.referrals',
  surveys       => 'SELECT customer, score, answered_at FROM crm.surveys',
  settings      => '{\"as_of\": \"1998-07-01\"}') IS NOT NULL;
SELECT scrm.refresh() IS NOT NULL;"
results="SELECT customer_key, monetary_value, p_alive, expected_purchases, referral_value, influence_value,
  advocacy_points, advocate_score, advocate_label, social_adjustment, total_value, tier, pagerank, community,
  loss_if_churned, advocacy_event_kind, advocacy_event_at, advocacy_event_counterparty, advocacy_event_damping,
  advocacy_event_points FROM scrm.customer_score"

# one node: the demo CRM as plain tables
q "$PORT" scrm_single -f test/demo/crm.sql >/dev/null
# a weight of the refreshing node's own (the workers keep the default)
kinds="UPDATE scrm.advocacy_kind SET weight = 2.5 WHERE kind = 'co_created'"
q "$PORT" scrm_single -c "CREATE EXTENSION social_crm" -c "$kinds" -c "$configure" >/dev/null
q "$PORT" scrm_single -c "\\copy ($results) TO '$base/single.csv' WITH (FORMAT csv)"

# the cluster (crm_cluster_db above)
q "$PORT" scrm_citus -c "CREATE EXTENSION social_crm" >/dev/null
shards=$(q "$PORT" scrm_citus -Atc "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'crm.purchases'::regclass")
q "$PORT" scrm_citus -c "$kinds" -c "$configure" >/dev/null
q "$PORT" scrm_citus -c "\\copy ($results) TO '$base/citus.csv' WITH (FORMAT csv)"

# every customer equal (1e-9 relative: sums over customers may add in another order)
cmp=$(q "$PORT" scrm_citus -At <<SQL
CREATE TEMP TABLE single_r AS $results LIMIT 0;
\\copy single_r FROM '$base/single.csv' WITH (FORMAT csv)
CREATE TEMP TABLE citus_r AS $results LIMIT 0;
\\copy citus_r FROM '$base/citus.csv' WITH (FORMAT csv)
SET client_min_messages = error;
CREATE FUNCTION pg_temp.near(a float8, b float8) RETURNS boolean LANGUAGE sql AS
  'SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-9 * greatest(1, abs(a), abs(b))';
SELECT (SELECT count(*) FROM single_r) || ' ' || (SELECT count(*) FROM citus_r) || ' ' ||
  (SELECT count(*) FROM single_r s JOIN citus_r c USING (customer_key)
   WHERE pg_temp.near(s.monetary_value, c.monetary_value) AND pg_temp.near(s.p_alive, c.p_alive)
     AND pg_temp.near(s.expected_purchases, c.expected_purchases) AND pg_temp.near(s.referral_value, c.referral_value)
     AND pg_temp.near(s.influence_value, c.influence_value) AND pg_temp.near(s.advocacy_points, c.advocacy_points)
     AND s.advocate_score IS NOT DISTINCT FROM c.advocate_score AND s.advocate_label IS NOT DISTINCT FROM c.advocate_label
     AND pg_temp.near(s.social_adjustment, c.social_adjustment) AND pg_temp.near(s.total_value, c.total_value)
     AND s.tier = c.tier AND pg_temp.near(s.pagerank, c.pagerank) AND s.community IS NOT DISTINCT FROM c.community
     AND pg_temp.near(s.loss_if_churned, c.loss_if_churned)
     AND s.advocacy_event_kind IS NOT DISTINCT FROM c.advocacy_event_kind
     AND s.advocacy_event_at IS NOT DISTINCT FROM c.advocacy_event_at
     AND s.advocacy_event_counterparty IS NOT DISTINCT FROM c.advocacy_event_counterparty
     AND s.advocacy_event_damping IS NOT DISTINCT FROM c.advocacy_event_damping
     AND coalesce(array_length(s.advocacy_event_points, 1), 0) = coalesce(array_length(c.advocacy_event_points, 1), 0)
     AND NOT EXISTS (SELECT FROM unnest(s.advocacy_event_points, c.advocacy_event_points) p(a, b) WHERE NOT pg_temp.near(a, b)));
SQL
)
read -r n_single n_citus n_equal <<<"$cmp"
moved=$(q "$PORT" scrm_citus -At -c "SELECT (data_check->'purchases'->>'rows_read') || ' ' ||
  coalesce(data_check->'purchases'->>'rows_received', data_check->'purchases'->>'rows_read') || ' ' ||
  coalesce(data_check->'purchases'->>'pushed_down', 'false') FROM scrm.refresh_log ORDER BY id DESC LIMIT 1")
read -r rows_read rows_received pushed <<<"$moved"
# the plan of a per-customer aggregate over the distributed purchases: the
# aggregate runs in each worker's task, as refresh's wrapped query does
explain=$(q "$PORT" scrm_citus -At -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT q.customer, scrm.rfm(q.purchased_at, q.amount, '1998-07-01', '7 days')
  FROM (SELECT customer, purchased_at, amount FROM crm.purchases) q GROUP BY q.customer")
plan=$(grep -cE 'Task Count|scrm.rfm' <<<"$explain" || true)
events=$(q "$PORT" scrm_citus -At -c "SELECT (data_check->'interactions'->>'rows_read') || ' ' ||
  coalesce(data_check->'interactions'->>'rows_received', data_check->'interactions'->>'rows_read') || ' ' ||
  coalesce(data_check->'interactions'->>'pushed_down', 'false') FROM scrm.refresh_log ORDER BY id DESC LIMIT 1")
read -r events_read events_received events_pushed <<<"$events"
surveys=$(q "$PORT" scrm_citus -At -c "SELECT (data_check->'surveys'->>'rows_read') || ' ' ||
  coalesce(data_check->'surveys'->>'rows_received', data_check->'surveys'->>'rows_read') || ' ' ||
  coalesce(data_check->'surveys'->>'pushed_down', 'false') FROM scrm.refresh_log ORDER BY id DESC LIMIT 1")
read -r surveys_read surveys_received surveys_pushed <<<"$surveys"
survey_customers=$(q "$PORT" scrm_citus -Atc "SELECT count(DISTINCT customer) FROM crm.surveys")
event_customers=$(q "$PORT" scrm_citus -Atc "SELECT count(DISTINCT customer) FROM crm.interactions")

# the trust rules on the cluster: a configurer and a refresher with the
# README's grants (the refresher has no right on the CRM's tables), and a
# configurer's query calling its own function that writes, which the
# workers run when the query is pushed down to them
q "$PORT" scrm_citus >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE ROLE scrm_cfg LOGIN;
CREATE ROLE scrm_ref LOGIN;
GRANT USAGE ON SCHEMA scrm, crm TO scrm_cfg;
GRANT SELECT, INSERT, UPDATE, DELETE ON scrm.config TO scrm_cfg;
GRANT SELECT ON scrm.relationship_kind, scrm.advocacy_kind TO scrm_cfg;
GRANT SELECT ON ALL TABLES IN SCHEMA crm TO scrm_cfg;
GRANT USAGE ON SCHEMA scrm TO scrm_ref;
GRANT SELECT ON scrm.config, scrm.relationship_kind, scrm.advocacy_kind TO scrm_ref;
GRANT SELECT, INSERT, DELETE ON scrm.customer_score, scrm.community_score, scrm.customer_history,
  scrm.referral_credit TO scrm_ref;
GRANT UPDATE ON scrm.customer_score TO scrm_ref;
GRANT SELECT, INSERT ON scrm.refresh_log TO scrm_ref;
GRANT USAGE ON SEQUENCE scrm.refresh_log_id_seq TO scrm_ref;
CREATE TABLE crm.leak (x int);
SELECT create_reference_table('crm.leak');
GRANT SELECT, INSERT ON crm.leak TO scrm_cfg;
CREATE FUNCTION crm.leak(c bigint) RETURNS numeric LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO crm.leak VALUES (1); RETURN 0; END $f$;
ALTER FUNCTION crm.leak(bigint) OWNER TO scrm_cfg;
-- a write a worker can make on its own: a table in its session
CREATE FUNCTION crm.scratch(c bigint) RETURNS numeric LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN CREATE TEMP TABLE IF NOT EXISTS scrm_scratch (x int); RETURN 0; END $f$;
ALTER FUNCTION crm.scratch(bigint) OWNER TO scrm_cfg;
-- who a configured query runs as, and where: a NOTICE from every node that
-- evaluates it (for one customer in a hundred), an error if not the configurer
CREATE FUNCTION crm.whoami(c bigint) RETURNS numeric LANGUAGE plpgsql STABLE
  AS $f$ BEGIN
    IF current_user <> 'scrm_cfg' THEN RAISE EXCEPTION 'the purchases query ran as %', current_user; END IF;
    IF c % 100 = 0 THEN RAISE NOTICE 'whoami: % on port %', current_user, inet_server_port(); END IF;
    RETURN 0;
  END $f$;
ALTER FUNCTION crm.whoami(bigint) OWNER TO scrm_cfg;
SQL
attempt="DO \$\$ BEGIN PERFORM scrm.refresh(); RAISE NOTICE 'refresh ok';
  EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'refresh % %', SQLSTATE, SQLERRM; END \$\$"
# the configure of $configure as scrm_cfg without its refresh, the
# purchases' amount plus $1 (an expression over customer, or nothing)
configure_as_cfg() {
  echo "SET ROLE scrm_cfg;"
  sed "s/'SELECT customer, purchased_at, amount FROM crm.purchases'/'SELECT customer, purchased_at, amount$1 AS amount FROM crm.purchases'/; s/^SELECT scrm.refresh() IS NOT NULL;//" <<<"$configure"
  echo "RESET ROLE;"
}
# configured with the purchases' amount plus crm.$1(customer), refreshed by a superuser
attack() {
  q "$PORT" scrm_citus -At 2>&1 <<SQL
$(configure_as_cfg " + crm.$1(customer)")
SET client_min_messages = notice;
$attempt;
SELECT 'rows written: ' || count(*) FROM crm.leak;
SQL
}
as_refresher=$(q "$PORT" scrm_citus -At 2>&1 <<SQL
$(configure_as_cfg "")
SET ROLE scrm_ref;
SET client_min_messages = notice;
$attempt;
RESET ROLE;
SELECT count(*) FILTER (WHERE tier IS NOT NULL) FROM scrm.customer_score;
SQL
) || true
writer=$(attack leak) || true
scratch=$(attack scratch) || true
whoami=$(attack whoami) || true
whoami_ports=$(grep -o 'whoami: [a-z_]* on port [0-9]*' <<<"$whoami" | sort | uniq -c |
  awk '{print $3 " on port " $6 " (" $1 " rows)"}' | paste -sd, - | sed 's/,/, /g') || true
echo "citus-test: purchases on $shards workers; single node $n_single customers, cluster $n_citus, $n_equal equal"
echo "citus-test: purchases: $rows_read rows in the purchases query, $rows_received reached the coordinator (pushed down: $pushed)"
echo "citus-test: interactions: $events_read rows of $event_customers customers in the interactions query, $events_received reached the coordinator (pushed down: $events_pushed)"
echo "citus-test: surveys: $surveys_read rows of $survey_customers customers in the surveys query, $surveys_received reached the coordinator (pushed down: $surveys_pushed)"
echo "citus-test: the plan of the per-customer aggregate over the distributed purchases:"
grep -E 'Custom Scan|Task Count|Node:|Aggregate|scrm.rfm' <<<"$explain" | sed 's/^/citus-test:   /' | head -8
status=0
[ "$shards" = 2 ] || { echo "citus-test: FAIL: purchases are not spread over both workers" >&2; status=1; }
[ "$n_single" -gt 0 ] && [ "$n_single" = "$n_citus" ] && [ "$n_equal" = "$n_single" ] || {
  echo "citus-test: FAIL: the cluster's results differ from the single node's" >&2; status=1; }
[ "$pushed" = true ] && [ "$rows_received" -le "$n_single" ] && [ "$rows_received" -lt "$rows_read" ] || {
  echo "citus-test: FAIL: purchases were not summarised on the workers" >&2; status=1; }
[ "$events_pushed" = true ] && [ "$events_received" -le "$event_customers" ] && [ "$events_received" -lt "$events_read" ] || {
  echo "citus-test: FAIL: interactions were not summarised on the workers" >&2; status=1; }
[ "$surveys_pushed" = true ] && [ "$surveys_received" -le "$survey_customers" ] || {
  echo "citus-test: FAIL: surveys were not summarised on the workers" >&2; status=1; }
[ "$plan" -ge 2 ] || { echo "citus-test: FAIL: the per-customer aggregate is not in the workers' tasks" >&2; status=1; }
echo "citus-test: configured by scrm_cfg, refreshed by scrm_ref (no right on the CRM's tables): $(grep -o 'refresh .*' <<<"$as_refresher" | head -1), $(tail -1 <<<"$as_refresher") customers scored"
echo "citus-test: a configured query calling a function that writes a reference table, refreshed by a superuser: $(grep -o 'refresh .*' <<<"$writer" | head -1); $(grep -o 'rows written: .*' <<<"$writer")"
grep -q 'refresh ok' <<<"$as_refresher" && [ "$(tail -1 <<<"$as_refresher")" = "$n_single" ] || {
  echo "citus-test: FAIL: the README's refresher cannot refresh the distributed CRM" >&2; echo "$as_refresher" >&2; status=1; }
echo "citus-test: a configured query calling a function that creates a table (on the workers, in their sessions): $(grep -o 'refresh .*' <<<"$scratch" | head -1)"
grep -q 'refresh [0-9A-Z]\{5\} ' <<<"$writer" && grep -q 'rows written: 0' <<<"$writer" || {
  echo "citus-test: FAIL: a configured query wrote on the cluster" >&2; echo "$writer" >&2; status=1; }
grep -q 'refresh 25006' <<<"$scratch" || {
  echo "citus-test: FAIL: a configured query's function did not run read-only on the workers" >&2; echo "$scratch" >&2; status=1; }
echo "citus-test: a configured query asking who runs it, refreshed by a superuser: $(grep -o 'refresh .*' <<<"$whoami" | head -1); it ran as $whoami_ports"
grep -q 'refresh ok' <<<"$whoami" && ! grep -q "port $PORT" <<<"$whoami_ports" &&
  [ "$(grep -o 'port [0-9]*' <<<"$whoami_ports" | sort -u | wc -l)" = 2 ] || {
  echo "citus-test: FAIL: a configured query did not run as its configurer on both workers" >&2; echo "$whoami" | tail -5 >&2; status=1; }

# security.pg on the cluster: every attack class with real roles, the demo
# CRM distributed, so that refresh pushes each stored query down to the
# workers.  security.pg runs in one transaction that it rolls back; Citus
# carries neither that transaction's roles nor the objects one role made in
# it to the connections it opens as another, so here every statement
# commits, in a database of its own.  Its roles may log in, since Citus
# connects to the workers as the role a query runs as, and the table the
# attacker's writer function inserts into is a reference table, so that the
# write a worker refuses is the one the test means (not a missing table)
crm_cluster_db scrm_sec
q "$PORT" scrm_sec -c "SET client_min_messages = warning" -c "CREATE EXTENSION pgtap" >/dev/null
sed -e '/^BEGIN;$/d' -e '/^ROLLBACK;$/d' -e 's/^SET LOCAL /SET /' \
    -e 's/^CREATE ROLE \(scrm_[a-z]*\);$/CREATE ROLE \1 LOGIN;/' \
    -e "s/^CREATE TABLE mal.log (x int);$/&\nSELECT create_reference_table('mal.log') \\\\gset/" \
    test/security.pg >"$base/security-cluster.pg"
[ "$(grep -c -e '^CREATE ROLE scrm_[a-z]* LOGIN;$' -e "^SELECT create_reference_table('mal.log')" "$base/security-cluster.pg")" = 5 ] &&
  ! grep -q -e '^BEGIN;$' -e '^ROLLBACK;$' "$base/security-cluster.pg" || {
  echo "citus-test: FAIL: test/security.pg no longer has the lines its cluster variant changes" >&2; exit 1; }
security=$(PGHOST=$base PGPORT=$PORT PGUSER=postgres pg_prove -d scrm_sec "$base/security-cluster.pg" 2>&1) || true
sec_pushed=$(q "$PORT" scrm_sec -At -c "SELECT count(*) FILTER (WHERE (data_check->'purchases'->>'pushed_down')::boolean) || ' of ' || count(*)
  FROM scrm.refresh_log") || true
# what the attacker may do on each worker (security.pg checks the coordinator)
sec_workers=$(q "$PORT" scrm_sec -At -c "SELECT string_agg(nodeport || ': ' || result, ', ' ORDER BY nodeport) FROM run_command_on_workers(
  \$\$SELECT format('super=%s createrole=%s member_of=%s', rolsuper, rolcreaterole,
     (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid)) FROM pg_roles r WHERE rolname = 'scrm_attacker'\$\$)") || true
echo "citus-test: security.pg on the cluster: $(grep -E '^(Files|Result)' <<<"$security" | paste -sd' ' -); refreshes with the purchases pushed down: $sec_pushed; the attacker on the workers: $sec_workers"
grep -q '^Result: PASS' <<<"$security" || {
  echo "citus-test: FAIL: security.pg on the cluster" >&2; echo "$security" | grep -v '^ok' | head -40 >&2; status=1; }
[ -n "$sec_pushed" ] && [ "${sec_pushed%% *}" -gt 0 ] || {
  echo "citus-test: FAIL: no refresh of security.pg pushed its purchases down" >&2; status=1; }
[ -n "$sec_workers" ] && ! grep -qE 'super=t|createrole=t|member_of=[1-9]' <<<"$sec_workers" || {
  echo "citus-test: FAIL: the attacker gained a right on a worker: $sec_workers" >&2; status=1; }
[ $status = 0 ] && echo "citus-test: ok"
exit $status
