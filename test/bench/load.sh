#!/usr/bin/env bash
# make bench, after bench.sql in the same cluster: 8 pgbench clients look up
# scrm.customer_value by customer on the 200k-customer bench CRM, idle and
# while refreshes run, interleaved (idle, refresh, idle, refresh, ...);
# prints the median lookups per second of each, their ratio (target >= 0.6)
# and the failed transactions (target 0).
set -euo pipefail
rounds=${LOAD_ROUNDS:-3}
secs=${LOAD_SECONDS:-8}
dir=$(mktemp -d)
trap 'rm -rf "$dir"; kill $(jobs -p) 2>/dev/null || true' EXIT
printf '\\set id random(1, 200000)\nSELECT total_value, tier FROM scrm.customer_value WHERE customer = :id;\n' >"$dir/lookup.sql"
run() {  # one pgbench run: prints "tps failed"
  pgbench -n -c 8 -j 2 -T "$secs" -f "$dir/lookup.sql" postgres 2>&1 |
    awk '/^tps = / {tps = $3} /number of failed transactions/ {failed = $5} END {print tps, (failed == "" ? 0 : failed)}'
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
idle=(); busy=(); failed=0; refreshes=0
for _ in $(seq 1 "$rounds"); do
  read -r tps f <<<"$(run)"; idle+=("$tps"); failed=$((failed + ${f%%.*}))
  # refreshes back to back for the whole run
  ( end=$((SECONDS + secs + 1)); while [ $SECONDS -lt $end ]; do
      psql -X -q -c 'SET client_min_messages = warning' -c 'SELECT scrm.refresh()' postgres >/dev/null; done ) &
  refresher=$!
  sleep 1   # let the first refresh get going
  read -r tps f <<<"$(run)"; busy+=("$tps"); failed=$((failed + ${f%%.*}))
  wait "$refresher"
  refreshes=$((refreshes + 1))
done
mi=$(printf '%s\n' "${idle[@]}" | median)
mb=$(printf '%s\n' "${busy[@]}" | median)
echo
echo "lookups under refresh: 8 pgbench clients, scrm.customer_value by customer, $rounds x ${secs} s each, interleaved"
printf '  idle lookups/s (median of %s): %.0f   [%s]\n' "$rounds" "$mi" "${idle[*]}"
printf '  during refresh lookups/s (median): %.0f   [%s]\n' "$mb" "${busy[*]}"
printf '  ratio during / idle: %.2f (target >= 0.6); failed transactions: %d (target 0)\n' \
  "$(awk -v a="$mb" -v b="$mi" 'BEGIN {print a / b}')" "$failed"
