#!/usr/bin/env bash
# pg_dump / pg_restore keep the extension's configuration: run inside a
# cluster (make test runs it in its throwaway cluster).  Non-zero exit when
# the restored database differs.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"; dropdb --if-exists scrm_dump_a 2>/dev/null; dropdb --if-exists scrm_dump_b 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists scrm_dump_a 2>/dev/null
dropdb --if-exists scrm_dump_b 2>/dev/null
createdb scrm_dump_a
psql -d scrm_dump_a <<'SQL'
CREATE EXTENSION social_crm;
UPDATE scrm.advocacy_kind SET weight = 7, description = 'edited' WHERE kind = 'answer_accepted';
INSERT INTO scrm.advocacy_kind VALUES ('webinar_hosted', 2.5, 'added');
SQL
pg_dump -Fc -f "$dir/a.dump" scrm_dump_a
createdb scrm_dump_b
pg_restore --exit-on-error -d scrm_dump_b "$dir/a.dump"

query='SELECT kind, weight, description FROM scrm.advocacy_kind ORDER BY kind'
psql -At -d scrm_dump_a -c "$query" >"$dir/a.txt"
psql -At -d scrm_dump_b -c "$query" >"$dir/b.txt"
if ! diff -u "$dir/a.txt" "$dir/b.txt"; then
  echo "dump-test: scrm.advocacy_kind differs after pg_restore" >&2
  exit 1
fi
grep -q '^answer_accepted|7|edited$' "$dir/b.txt"
grep -q '^webinar_hosted|2.5|added$' "$dir/b.txt"
echo "dump-test: ok (scrm.advocacy_kind: $(wc -l <"$dir/b.txt") kinds restored, edits kept)"
