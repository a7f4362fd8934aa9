#!/usr/bin/env bash
# Reliability checks that need more than one transaction, a binary file or
# the backend's memory: binary input of the model types is exactly as strict
# as text input (a value recv accepts prints and reads back equal), refresh
# under REPEATABLE READ or SERIALIZABLE fails at once with a hint, and the
# in-memory RFM summary keeps within its budget.  Runs inside a
# cluster (make test runs it in its throwaway cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"; dropdb --if-exists scrm_rel 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d scrm_rel "$@"; }
dropdb --if-exists scrm_rel 2>/dev/null
createdb scrm_rel
psql -c 'CREATE EXTENSION social_crm' -c 'CREATE TABLE m (m scrm.bgnbd)'
fail=0

# one COPY BINARY file holding a bgnbd value: flags, iterations, r, alpha, a, b,
# log_likelihood, customers
copyfile() {
  python3 - "$dir/$1.bin" "$2" "$3" "$4" "$5" <<'PY'
import struct, sys
path, flags, iters, ll, cust = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
val = struct.pack('>ii', flags, iters) + struct.pack('>dddd', 0.25, 4.4, 0.8, 2.4) + struct.pack('>dd', ll, cust)
with open(path, 'wb') as f:
    f.write(b'PGCOPY\n\xff\r\n\x00' + struct.pack('>ii', 0, 0))
    f.write(struct.pack('>hi', 1, len(val)) + val + struct.pack('>h', -1))
PY
}
# name flags iterations log_likelihood customers expected
while read -r name flags iters ll cust want; do
  copyfile "$name" "$flags" "$iters" "$ll" "$cust"
  psql -c 'TRUNCATE m'
  if out=$(psql -c "\\copy m FROM '$dir/$name.bin' (FORMAT binary)" 2>&1); then got=accepted; else got=refused; fi
  if [ "$got" = accepted ]; then
    same=$(psql -At -c 'SELECT bool_and(m OPERATOR(scrm.=) m::text::scrm.bgnbd) FROM m')
    [ "$same" = t ] || { echo "reliability-test: $name: accepted but does not read back from text" >&2; fail=1; }
  fi
  if [ "$got" != "$want" ]; then
    echo "reliability-test: binary $name: $got, want $want ($out)" >&2; fail=1
  elif [ "$got" = refused ] && ! grep -q 'invalid external scrm.bgnbd value' <<<"$out"; then
    echo "reliability-test: binary $name refused with another error: $out" >&2; fail=1
  fi
  echo "reliability-test: binary $name: $got"
done <<'CASES'
unfitted 0 0 0 0 accepted
fitted 3 12 -9582.4 2357 accepted
negative_customers 3 12 -9582.4 -1 refused
converged_unfitted 2 0 0 0 refused
unfitted_with_stats 0 12 -9582.4 2357 refused
negative_iterations 1 -1 -9582.4 2357 refused
nan_loglik 1 3 nan 2357 refused
CASES

# refresh refuses snapshot isolation at once
psql -f test/demo/crm.sql >/dev/null
psql >/dev/null <<'SQL'
SELECT scrm.configure('SELECT customer, social_consent FROM crm.customers',
                      'SELECT customer, purchased_at, amount FROM crm.purchases', settings => '{"as_of": "1998-07-01"}');
SQL
for level in 'REPEATABLE READ' SERIALIZABLE; do
  out=$(command psql -X -q -d scrm_rel -v VERBOSITY=verbose -c "BEGIN ISOLATION LEVEL $level" -c 'SELECT scrm.refresh()' -c 'COMMIT' 2>&1 || true)
  if grep -q '25001' <<<"$out" && grep -q 'READ COMMITTED' <<<"$out"; then
    echo "reliability-test: refresh under $level: refused at once (25001)"
  else
    echo "reliability-test: refresh under $level did not fail with 25001: $out" >&2; fail=1
  fi
done
# the in-memory RFM summary keeps within scrm.max_memory: 48 bytes a purchase
# there (96 MB at most while its array grows) and no tuple per customer
# outside it (about 190 bytes a customer before, 190 MB here); the backend's
# peak RSS (VmHWM) may grow by 120 MB at most for a million customers
grew=$(command psql -X -q -At -d scrm_rel <<'SQL'
SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+)'))[1]::bigint AS before \gset
SELECT count(*) FROM scrm._refresh_rfm('SELECT g AS customer, timestamptz ''2020-01-01'' + (g % 100) * interval ''1 day'' AS purchased_at,
                                               1 AS amount FROM generate_series(1, 1000000) g', '2021-01-01', '7 days') \gset
SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+)'))[1]::bigint - :before;
SQL
)
if [ -n "$grew" ] && [ "$grew" -le 122880 ]; then
  echo "reliability-test: RFM of 1,000,000 customers in memory: peak RSS grew by $((grew / 1024)) MB (at most 120)"
else
  echo "reliability-test: RFM of 1,000,000 customers: peak RSS grew by ${grew:-?} kB, over 120 MB" >&2; fail=1
fi

[ $fail = 0 ] && echo "reliability-test: ok"
exit $fail
