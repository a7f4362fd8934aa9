#!/usr/bin/env bash
# make bench, after bench.sql in the same cluster: scrm.sbg_fit and
# scrm.bgbb_fit against scipy (test/bench/scipy_sbg_bgbb.py) on the same
# rows, one per customer, interleaved (ours, scipy, ours, scipy, ...): prints
# the median of each, both absolute, and the ratio (target <= 0.1).
set -euo pipefail
rounds=${FIT_ROUNDS:-5}
q() { psql -X -q -At -v ON_ERROR_STOP=1 postgres "$@"; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
if ! /usr/bin/python3 -c 'import scipy' 2>/dev/null; then
  echo "fits: python3-scipy missing, sBG and BG/BB cases skipped"
  exit 0
fi

# the rows scipy_sbg_bgbb.py builds: F&H's Regular cohort x 100, the donations x 10
q >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.sbg_rows, bench.bgbb_rows;
CREATE TABLE bench.sbg_rows AS
SELECT c.periods, c.churned
FROM (VALUES (1, true, 369), (2, true, 163), (3, true, 86), (4, true, 56), (5, true, 37), (6, true, 27),
             (7, true, 21), (7, false, 241)) c(periods, churned, n),
     generate_series(1, c.n) i, generate_series(1, 100) k;
CREATE TABLE bench.bgbb_rows AS
SELECT d.x, d.tx, d.n
FROM (VALUES (0, 0, 6, 3464), (1, 1, 6, 1091), (1, 2, 6, 277), (1, 3, 6, 129), (1, 4, 6, 78), (1, 5, 6, 119),
             (1, 6, 6, 129), (2, 2, 6, 613), (2, 3, 6, 255), (2, 4, 6, 155), (2, 5, 6, 173), (2, 6, 6, 234),
             (3, 3, 6, 322), (3, 4, 6, 181), (3, 5, 6, 225), (3, 6, 6, 357), (4, 4, 6, 240), (4, 5, 6, 284),
             (4, 6, 6, 512), (5, 5, 6, 335), (5, 6, 6, 728), (6, 6, 6, 1203)) d(x, tx, n, w),
     generate_series(1, d.w) i, generate_series(1, 10) k;
VACUUM ANALYZE bench.sbg_rows, bench.bgbb_rows;
SQL

echo
echo "model fits against scipy on the same rows, interleaved, $rounds rounds (ms)"
for model in sbg bgbb; do
  if [ $model = sbg ]; then
    copies=100; fit='scrm.sbg_fit(periods, churned)'; table=bench.sbg_rows
  else
    copies=10; fit='scrm.bgbb_fit(x, tx, n)'; table=bench.bgbb_rows
  fi
  rows=$(q -c "SELECT count(*) FROM $table")
  ours=(); theirs=()
  for _ in $(seq 1 "$rounds"); do
    ours+=("$(q -c "SELECT round(bench.time_ms('SELECT $fit FROM $table', 1)::numeric, 3)")")
    theirs+=("$(/usr/bin/python3 test/bench/scipy_sbg_bgbb.py $model $copies | cut -d' ' -f1)")
  done
  mo=$(printf '%s\n' "${ours[@]}" | median)
  mt=$(printf '%s\n' "${theirs[@]}" | median)
  ll_ours=$(q -c "SELECT round((scrm.params($fit)->>'log_likelihood')::numeric, 2) FROM $table")
  ll_scipy=$(/usr/bin/python3 test/bench/scipy_sbg_bgbb.py $model $copies | awk '{printf "%.2f", $NF}')
  printf '  %s_fit, %s rows: ours %.1f, scipy L-BFGS-B %.1f, ratio %.3f (target <= 0.1); log-likelihood ours %s, scipy %s\n' \
    "$model" "$rows" "$mo" "$mt" "$(awk -v a="$mo" -v b="$mt" 'BEGIN {print a / b}')" "$ll_ours" "$ll_scipy"
  printf '    ours [%s]  scipy [%s]\n' "${ours[*]}" "${theirs[*]}"
done
