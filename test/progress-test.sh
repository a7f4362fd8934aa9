#!/usr/bin/env bash
# Progress a DBA can see: while scrm.refresh runs in one session, another
# sees in pg_stat_activity which step it is in, and the step changes.  The
# purchases and relationships queries of the demo CRM sleep a second each
# (once per query), so the rfm and graph steps last long enough to be seen.
# Runs inside a cluster with the demo CRM in database postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
db=scrm_progress
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql -d "$db" -f test/demo/crm.sql >/dev/null
psql -d "$db" >/dev/null <<'SQL'
CREATE EXTENSION social_crm;
SELECT scrm.configure(
  customers     => 'SELECT customer, social_consent FROM crm.customers',
  purchases     => 'SELECT customer, purchased_at, amount FROM crm.purchases, (SELECT pg_sleep(1)) s',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships, (SELECT pg_sleep(1)) s',
  settings      => '{"as_of": "1998-07-01"}');
SQL
psql -d "$db" -c 'SET client_min_messages = warning' -c 'SELECT scrm.refresh()' >/dev/null &
refresher=$!
seen=""
for _ in $(seq 1 60); do
  step=$(psql -At -d "$db" -c "SELECT substring(query FROM '^scrm.refresh: step ([a-z ]+),')
                               FROM pg_stat_activity WHERE query LIKE 'scrm.refresh: step %' AND pid <> pg_backend_pid()")
  if [ -n "$step" ] && ! grep -qxF "$step" <<<"$seen"; then
    seen+="$step"$'\n'
  fi
  kill -0 "$refresher" 2>/dev/null || break
  sleep 0.1
done
wait "$refresher"
after=$(psql -At -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'scrm.refresh: step %'")
steps=$(grep -c . <<<"$seen" || true)
if ! grep -qx rfm <<<"$seen" || ! grep -qx graph <<<"$seen" || [ "$after" != 0 ]; then
  echo "progress-test: another session saw the steps [$(tr '\n' ',' <<<"$seen")], $after after the end" >&2
  exit 1
fi
echo "progress-test: ok (another session saw $steps steps in pg_stat_activity, rfm and graph among them: $(tr '\n' ' ' <<<"$seen"))"
