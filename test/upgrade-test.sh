#!/usr/bin/env bash
# Upgrade scaffolding: install every released version, ALTER EXTENSION
# social_crm UPDATE to the current one, and compare the catalog with a fresh
# install of the current version.  Runs inside a cluster; non-zero exit on
# any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"; dropdb --if-exists scrm_upgrade_old 2>/dev/null; dropdb --if-exists scrm_upgrade_new 2>/dev/null' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
current=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" social_crm.control)

# every object of the extension: functions with their markings, C symbol and
# comment, relations with columns and comments, views, types, triggers,
# configuration tables and the rows of the kind tables
catalog() {
  psql -At -d "$1" <<'SQL'
SELECT 'function', p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.prokind,
       p.prorettype::regtype, md5(p.prosrc), coalesce(p.probin, ''), p.proconfig, obj_description(p.oid, 'pg_proc')
FROM pg_proc p WHERE p.pronamespace = 'scrm'::regnamespace ORDER BY p.oid::regprocedure::text;
SELECT 'aggregate', a.aggfnoid::regprocedure, a.aggtransfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
       a.aggfinalfn, a.aggtranstype::regtype, a.agginitval, a.aggtransspace
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'scrm'::regnamespace ORDER BY a.aggfnoid::regprocedure::text;
SELECT 'relation', c.relname, c.relkind, obj_description(c.oid, 'pg_class'),
       CASE WHEN c.relkind = 'v' THEN md5(pg_get_viewdef(c.oid)) END
FROM pg_class c WHERE c.relnamespace = 'scrm'::regnamespace ORDER BY 2;
SELECT 'column', c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = 'scrm'::regnamespace ORDER BY 2, 3;
SELECT 'constraint', conrelid::regclass, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'scrm'::regnamespace ORDER BY conrelid::regclass::text, conname;
SELECT 'type', t.typname, t.typtype, obj_description(t.oid, 'pg_type')
FROM pg_type t WHERE t.typnamespace = 'scrm'::regnamespace ORDER BY 2;
SELECT 'trigger', tgrelid::regclass, tgname, pg_get_triggerdef(oid)
FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'scrm'::regnamespace) ORDER BY tgrelid::regclass::text, tgname;
SELECT 'config_dump', c::regclass FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'social_crm' ORDER BY c::regclass::text;
SELECT 'member', count(*) FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'social_crm')
                                           AND deptype = 'e';
SELECT 'advocacy_kind', k.* FROM scrm.advocacy_kind k ORDER BY kind;
SELECT 'relationship_kind', k.* FROM scrm.relationship_kind k ORDER BY kind;
SQL
}

createdb scrm_upgrade_new
psql -d scrm_upgrade_new -c 'CREATE EXTENSION social_crm'
catalog scrm_upgrade_new >"$dir/new.txt"
for f in src/sql/updates/social_crm--*.sql; do
  v=$(basename "$f" .sql | sed -n 's/^social_crm--\([0-9.]*\)$/\1/p')
  [ -n "$v" ] || continue
  dropdb --if-exists scrm_upgrade_old 2>/dev/null
  createdb scrm_upgrade_old
  psql -d scrm_upgrade_old -c "CREATE EXTENSION social_crm VERSION '$v'"
  if [ "$v" = 0.2.0 ]; then
    # a configuration of 0.2.0 (no record of who configured) is removed, with a WARNING
    psql -d scrm_upgrade_old -c "INSERT INTO scrm.config (customers, purchases, search_path)
                                 VALUES ('SELECT 1 AS customer', 'SELECT 1 AS customer, now() AS purchased_at, 1 AS amount', 'public')"
    warned=$(psql -d scrm_upgrade_old -c 'ALTER EXTENSION social_crm UPDATE' 2>&1)
    left=$(psql -At -d scrm_upgrade_old -c 'SELECT count(*) FROM scrm.config')
    if [ "$left" != 0 ] || ! grep -q 'needs scrm.configure to be called again' <<<"$warned"; then
      echo "upgrade-test: updating a configured 0.2.0 kept its configuration ($left rows) or did not warn: $warned" >&2
      exit 1
    fi
  else
    psql -d scrm_upgrade_old -c 'ALTER EXTENSION social_crm UPDATE'
  fi
  got=$(psql -At -d scrm_upgrade_old -c "SELECT extversion FROM pg_extension WHERE extname = 'social_crm'")
  catalog scrm_upgrade_old >"$dir/old.txt"
  if [ "$got" != "$current" ] || ! diff -u "$dir/new.txt" "$dir/old.txt" >"$dir/diff"; then
    head -40 "$dir/diff"
    echo "upgrade-test: $v -> $current differs from a fresh install (now at $got)" >&2
    exit 1
  fi
  echo "upgrade-test: ok ($v -> $current: $(wc -l <"$dir/new.txt") catalog lines equal a fresh install)"
done
