#!/usr/bin/env bash
# make demo: install what is missing, build and install the extension, start
# a throwaway cluster, load the sample CRM and print what social_crm makes of
# it.  KEEP=1 keeps the cluster and prints how to connect.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/deps.sh
make -s
make -s install >/dev/null
mkdir -p demo-output   # the charts the demo draws (SVG, made in SQL)

demo() {
  psql -X -q -v ON_ERROR_STOP=1 -f test/demo/crm.sql >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -P pager=off -f test/demo/demo.sql
}

if [ "${KEEP:-0}" = 1 ]; then
  cluster=scrm_demo
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$cluster"; then
    pg_createcluster 15 "$cluster" --start -- --auth-local=trust --auth-host=trust >/dev/null
  fi
  pg_ctlcluster 15 "$cluster" start 2>/dev/null || true
  port=$(pg_lsclusters -h | awk -v c="$cluster" '$2 == c {print $3}')
  export PGHOST=/var/run/postgresql PGPORT=$port PGUSER=postgres PGDATABASE=postgres
  demo
  cat <<MSG

The demo cluster is still running. Connect with:
  psql -h /var/run/postgresql -p $port -U postgres postgres
Remove it with:
  pg_dropcluster --stop 15 $cluster
MSG
else
  export -f demo
  pg_virtualenv -t -v 15 -- bash -c demo
fi
