#!/usr/bin/env bash
# Two sessions: while one runs scrm.refresh (and holds its transaction open
# for a while after writing), the other keeps reading scrm.customer_value
# and must always see one complete refresh, the old one or the new one,
# never a mix or a half-written table.  Then two refreshes at once: the
# second waits for the first and neither fails.  Runs inside a cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
db=scrm_concurrency
dir=$(mktemp -d)
trap 'rm -rf "$dir"; dropdb --if-exists $db 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists $db 2>/dev/null
createdb $db
psql -d $db -f test/demo/crm.sql >/dev/null
psql -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION social_crm;
SELECT scrm.configure(
  customers => 'SELECT customer, social_consent FROM crm.customers',
  purchases => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength FROM crm.relationships',
  interactions => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  settings => '{"as_of": "1998-07-01"}');
SELECT scrm.refresh();
SQL
n=$(psql -At -d $db -c 'SELECT count(*) FROM crm.customers')
old=$(psql -At -d $db -c 'SELECT min(computed_at) FROM scrm.customer_value')

# session 1: refresh, then keep the transaction open for 3 seconds
psql -d $db -c 'SET client_min_messages = warning' \
     -c 'BEGIN' -c 'SELECT scrm.refresh()' -c 'SELECT pg_sleep(3)' -c 'COMMIT' >/dev/null &
writer=$!
# session 2: read until the writer is done (and once more)
reads=0
while :; do
  done_before=0
  kill -0 $writer 2>/dev/null || done_before=1
  psql -At -F' ' -d $db -c 'SELECT count(*), count(DISTINCT computed_at), min(computed_at) FROM scrm.customer_value' >>"$dir/reads"
  reads=$((reads + 1))
  [ $done_before = 1 ] && break
  sleep 0.1
done
wait $writer
new=$(psql -At -d $db -c 'SELECT min(computed_at) FROM scrm.customer_value')

bad=$(awk -v n="$n" -v old="$old" -v new="$new" \
  '!($1 == n && $2 == 1 && (($3 " " $4) == old || ($3 " " $4) == new))' "$dir/reads" | wc -l)
saw_old=$(grep -cF "$old" "$dir/reads" || true)
saw_new=$(grep -cF "$new" "$dir/reads" || true)
if [ "$bad" -ne 0 ] || [ "$saw_old" -lt 5 ] || [ "$saw_new" -lt 1 ] || [ "$old" = "$new" ]; then
  echo "concurrency-test: FAILED ($reads reads: $bad inconsistent, $saw_old of the old refresh, $saw_new of the new)" >&2
  head -5 "$dir/reads" >&2
  exit 1
fi

# two refreshes at once: the first holds its transaction open; the second
# says it waits, then replaces the first's results (without the lock its
# rows collided with the first's: unique violation)
psql -d $db -c 'SET client_min_messages = warning' \
     -c 'BEGIN' -c 'SELECT scrm.refresh()' -c 'SELECT pg_sleep(2)' -c 'COMMIT' >/dev/null &
first=$!
# start the second once the first has written its results and sleeps
for _ in $(seq 200); do
  held=$(psql -At -d $db -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                              AND query = 'SELECT pg_sleep(2)' AND state = 'active'")
  [ "$held" = 1 ] && break
  sleep 0.05
done
second_out=$(psql -d $db -c 'SELECT 1 FROM scrm.refresh()' 2>&1) || {
  echo "concurrency-test: FAILED (a second refresh during the first failed)" >&2
  echo "$second_out" | grep -v 'done in' >&2
  exit 1
}
wait $first
# the second refresh's results, complete, and both refreshes logged
last=$(psql -At -F' ' -d $db -c "SELECT count(*), count(DISTINCT computed_at),
                                        min(computed_at) = (SELECT max(started_at) FROM scrm.refresh_log),
                                        (SELECT count(*) FROM scrm.refresh_log WHERE started_at > '$new')
                                 FROM scrm.customer_value")
if [ "$held" != 1 ] || ! grep -q 'waiting for the refresh of another session' <<<"$second_out" || [ "$last" != "$n 1 t 2" ]; then
  echo "concurrency-test: FAILED (two refreshes at once: first seen sleeping $held, last results '$last')" >&2
  exit 1
fi
echo "concurrency-test: ok ($reads reads during a refresh: $saw_old saw the complete old results, $saw_new the complete new ones, none a mix; $n customers each; a second refresh waited for the first, then replaced its results)"
