#!/usr/bin/env bash
# Messy data, what a DBA sees: a refresh that skips rows says how many, by
# input and reason, in a NOTICE, and scrm.check() shows the same counts
# before any refresh.  Runs inside a cluster; non-zero exit on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
db=scrm_messy
trap 'dropdb --if-exists "$db" 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
dropdb --if-exists "$db" 2>/dev/null
createdb "$db"
psql >/dev/null <<'SQL'
CREATE EXTENSION social_crm;
CREATE TABLE customer (id uuid PRIMARY KEY);
INSERT INTO customer SELECT md5(i::text)::uuid FROM generate_series(1, 30) i;
CREATE TABLE purchase (customer uuid, at timestamptz, amount numeric);
INSERT INTO purchase SELECT md5((1 + i % 30)::text)::uuid, '2024-01-01'::timestamptz + i * interval '13 hours', 10 + i % 7
FROM generate_series(1, 300) i;
INSERT INTO purchase VALUES (md5('99')::uuid, '2024-02-01', 5), (md5('98')::uuid, '2024-02-01', 5),
                            (md5('1')::uuid, '2024-09-01', 5);
SELECT scrm.configure('SELECT id AS customer FROM customer', 'SELECT customer, at AS purchased_at, amount FROM purchase',
                      settings => '{"consent_mode": "objection", "as_of": "2024-07-01"}') IS NOT NULL;
SQL
checked=$(psql -At -c "SELECT input, rows_read, rows_used, rows_skipped, skipped FROM scrm.check() ORDER BY input")
want=$'customers|30|30|0|{}\npurchases|303|300|3|{"after_as_of": 1, "unknown_customer": 2}'
if [ "$checked" != "$want" ]; then
  echo "messy-test: scrm.check() gave"$'\n'"$checked"$'\n'"wanted"$'\n'"$want" >&2
  exit 1
fi
notices=$(psql -c 'SELECT scrm.refresh()' 2>&1 >/dev/null)
line=$(grep 'skipped rows' <<<"$notices" || true)
if [ "$line" != "NOTICE:  scrm.refresh: skipped rows: 3 purchases (after_as_of 1, unknown_customer 2)" ]; then
  echo "messy-test: the refresh NOTICE about skipped rows is missing or wrong: $notices" >&2
  exit 1
fi
logged=$(psql -At -c "SELECT data_check->'purchases'->'skipped' FROM scrm.refresh_log ORDER BY id DESC LIMIT 1")
if [ "$logged" != '{"after_as_of": 1, "unknown_customer": 2}' ]; then
  echo "messy-test: scrm.refresh_log.data_check has $logged" >&2
  exit 1
fi
echo "messy-test: ok (scrm.check, the refresh NOTICE and scrm.refresh_log agree: $line)"
