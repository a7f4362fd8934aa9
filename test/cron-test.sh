#!/usr/bin/env bash
# A scheduled refresh (README "Security"): a superuser's pg_cron job refreshes
# the configuration a non-superuser stored, and the stored queries run as that
# configurer.  Needs a cluster started with shared_preload_libraries = pg_cron
# and cron.database_name = postgres (test/run-tests.sh starts one); pg_cron
# schedules by the minute, so the test waits up to 130 s for the job.
set -euo pipefail
cd "$(dirname "$0")/.."
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
cleanup() {
  psql >/dev/null 2>&1 <<'SQL' || true
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'scrm_cron_test';
DROP EXTENSION IF EXISTS social_crm CASCADE;
DROP SCHEMA IF EXISTS scrm;
DROP OWNED BY scrm_cron_admin;
DROP ROLE IF EXISTS scrm_cron_admin;
SQL
}
trap cleanup EXIT

psql >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION social_crm;
-- a CRM administrator who may configure, and nothing more
CREATE ROLE scrm_cron_admin;
GRANT USAGE ON SCHEMA scrm, crm TO scrm_cron_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON scrm.config TO scrm_cron_admin;
GRANT SELECT ON scrm.relationship_kind, scrm.advocacy_kind TO scrm_cron_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA crm TO scrm_cron_admin;
SET ROLE scrm_cron_admin;
-- the customers query keeps only rows read as the configurer: run as anyone
-- else it returns nothing and the refresh cannot fit its models
SELECT scrm.configure(
  customers => $$SELECT customer, social_consent FROM crm.customers WHERE current_user = 'scrm_cron_admin'$$,
  purchases => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships',
  interactions => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  referrals => 'SELECT referrer, referred, reward_cost, incrementality FROM crm.referrals',
  surveys => 'SELECT customer, score, answered_at FROM crm.surveys',
  settings => '{"as_of": "1998-07-01"}');
RESET ROLE;
-- the job, scheduled by the superuser running this script
SELECT cron.schedule('scrm_cron_test', '* * * * *', 'SELECT scrm.refresh()');
SQL

status=
for _ in $(seq 1 65); do
  status=$(psql -At -c "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                        WHERE j.jobname = 'scrm_cron_test' AND d.status IN ('succeeded', 'failed')
                        ORDER BY d.start_time LIMIT 1")
  [ -n "$status" ] && break
  sleep 2
done
read -r runner super customers configurer expected <<<"$(psql -At -F ' ' -c "
  SELECT j.username, r.rolsuper, (SELECT count(*) FROM scrm.customer_value),
         (SELECT configured_by FROM scrm.refresh_log ORDER BY id DESC LIMIT 1),
         (SELECT count(*) FROM crm.customers)
  FROM cron.job j JOIN pg_roles r ON r.rolname = j.username WHERE j.jobname = 'scrm_cron_test'")"
if [ "$status" != succeeded ] || [ "$super" != t ] || [ "$customers" != "$expected" ] ||
   [ "$configurer" != scrm_cron_admin ]; then
  psql -c "SELECT status, return_message FROM cron.job_run_details ORDER BY start_time DESC LIMIT 3" >&2 || true
  echo "cron-test: FAILED (job $status, run by $runner superuser=$super, $customers of $expected customers scored, queries ran as ${configurer:-?})" >&2
  exit 1
fi
echo "cron-test: ok (a pg_cron job of superuser $runner refreshed; all $customers customers scored by queries that ran as $configurer, the non-superuser who configured)"
