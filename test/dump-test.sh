#!/usr/bin/env bash
# pg_dump / pg_restore of a configured and refreshed database restores the
# configuration, the kind tables and the results identically, and refresh
# works after the restore.  Runs inside a cluster (make test runs it in its
# throwaway cluster); non-zero exit when anything differs.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
dropdbs() { dropdb --if-exists scrm_dump_a 2>/dev/null; dropdb --if-exists scrm_dump_b 2>/dev/null; }
trap 'rm -rf "$dir"; dropdbs' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

dropdbs
createdb scrm_dump_a
psql -d scrm_dump_a -f test/demo/crm.sql >/dev/null
psql -d scrm_dump_a >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION social_crm;
UPDATE scrm.advocacy_kind SET weight = 7, description = 'edited' WHERE kind = 'answer_accepted';
INSERT INTO scrm.advocacy_kind VALUES ('webinar_hosted', 2.5, 'added');
UPDATE scrm.relationship_kind SET weight = 0.7 WHERE kind = 'friend';
SELECT scrm.configure(
  customers => 'SELECT customer, social_consent FROM crm.customers',
  purchases => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships',
  interactions => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  referrals => 'SELECT referrer, referred, reward_cost, incrementality FROM crm.referrals',
  surveys => 'SELECT customer, score, answered_at FROM crm.surveys',
  settings => '{"as_of": "1998-07-01", "cap": 0.4}');
SELECT scrm.refresh();
SELECT scrm.refresh();   -- two snapshots in scrm.customer_history
SQL
pg_dump -Fc -f "$dir/a.dump" scrm_dump_a
createdb scrm_dump_b
pg_restore --exit-on-error -d scrm_dump_b "$dir/a.dump"

snapshot() {
  psql -At -d "$1" <<'SQL'
SELECT 'advocacy_kind', kind, weight, description FROM scrm.advocacy_kind ORDER BY kind;
SELECT 'relationship_kind', kind, weight, bidirectional FROM scrm.relationship_kind ORDER BY kind;
SELECT 'config', customers, purchases, relationships, interactions, referrals, surveys, settings, columns, configured_at, key_type, time_zone FROM scrm.config;
SELECT 'customer_score', s.* FROM scrm.customer_score s ORDER BY customer;
SELECT 'community_score', s.* FROM scrm.community_score s ORDER BY community;
SELECT 'refresh_log', l.* FROM scrm.refresh_log l ORDER BY id;
SELECT 'customer_history', h.* FROM scrm.customer_history h ORDER BY refresh_id, customer_key;
SELECT 'referral_credit', c.* FROM scrm.referral_credit c ORDER BY referrer_key, referred_key;
SELECT 'explain', scrm.explain(customer_key) FROM scrm.customer_score WHERE customer % 97 = 0 ORDER BY customer;
SELECT 'model_fit', f.* FROM scrm.model_fit f ORDER BY model;
SQL
}
snapshot scrm_dump_a >"$dir/a.txt"
snapshot scrm_dump_b >"$dir/b.txt"
if ! diff -q "$dir/a.txt" "$dir/b.txt" >/dev/null; then
  diff -u "$dir/a.txt" "$dir/b.txt" | head -40
  echo "dump-test: the restored database differs" >&2
  exit 1
fi
grep -q '^advocacy_kind|answer_accepted|7|edited$' "$dir/b.txt"
grep -q '^advocacy_kind|webinar_hosted|2.5|added$' "$dir/b.txt"
grep -q '^relationship_kind|friend|0.7|t$' "$dir/b.txt"
customers=$(grep -c '^customer_score|' "$dir/b.txt")
[ "$customers" -gt 2000 ]
[ "$(grep -c '^referral_credit|' "$dir/b.txt")" -gt 50 ]
[ "$(grep -c '^explain|' "$dir/b.txt")" -gt 20 ]

# refresh works after the restore and gives the same scores
scores='SELECT customer, monetary_value, referral_value, influence_value, advocate_score, total_value, tier, community FROM scrm.customer_value ORDER BY customer'
psql -d scrm_dump_b -c 'SET client_min_messages = warning' -c 'SELECT scrm.refresh()' >/dev/null
psql -At -d scrm_dump_a -c "$scores" >"$dir/a2.txt"
psql -At -d scrm_dump_b -c "$scores" >"$dir/b2.txt"
if ! diff -q "$dir/a2.txt" "$dir/b2.txt" >/dev/null; then
  diff -u "$dir/a2.txt" "$dir/b2.txt" | head -20
  echo "dump-test: refresh after restore gives other scores" >&2
  exit 1
fi
echo "dump-test: ok ($(wc -l <"$dir/b.txt") rows of configuration, results, referral credits and explanations restored identically, edits kept; refresh after restore gives the same $customers scores)"
