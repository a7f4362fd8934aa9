-- Changes to objects of 0.2.0 that src/sql/55_refresh.sql (run after this
-- file in the upgrade script from 0.2.0, see the Makefile) cannot make.

-- 0.3.0 runs the configured queries as the role that configured them, which
-- 0.2.0 did not record, and keeps them in canonical form.  A configuration of
-- 0.2.0 cannot be carried over safely (running it as the role that updates
-- the extension could give its author that role's rights), so it is set
-- aside with a WARNING that shows how to configure again.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM scrm.config LOOP
    RAISE WARNING 'social_crm 0.3.0 needs scrm.configure to be called again'
      USING DETAIL = pg_catalog.format('The configuration of %s (search_path %s) was removed: customers %L, '
                                       'purchases %L, relationships %L, interactions %L, referrals %L, surveys %L, '
                                       'settings %L.', c.configured_at, c.search_path, c.customers, c.purchases,
                                       c.relationships, c.interactions, c.referrals, c.surveys, c.settings),
            HINT = 'Call scrm.configure as the role the queries should run as (see the README, Security).';
  END LOOP;
END
$$;
DELETE FROM scrm.config;
ALTER TABLE scrm.config DROP COLUMN search_path;
ALTER TABLE scrm.config ADD COLUMN configured_by regrole NOT NULL;
ALTER TABLE scrm.refresh_log ADD COLUMN configured_by regrole;
-- the view named refresh_log's columns with *: name the ones it reads
CREATE OR REPLACE VIEW scrm.model_fit AS
SELECT 'bgnbd'::text AS model, scrm.params(l.purchase_model) AS params, l.finished_at AS fitted_at, l.as_of
FROM (SELECT purchase_model, finished_at, as_of FROM scrm.refresh_log ORDER BY id DESC LIMIT 1) l
UNION ALL
SELECT 'gammagamma', scrm.params(l.spend_model), l.finished_at, l.as_of
FROM (SELECT spend_model, finished_at, as_of FROM scrm.refresh_log ORDER BY id DESC LIMIT 1) l;

COMMENT ON TABLE scrm.config IS
  'The pipeline configuration written by scrm.configure: the inner queries over the CRM''s tables in '
  'canonical form (every name schema-qualified), the settings given (defaults apply to the others), the '
  'columns each query returns and the role the queries run as. Kept by pg_dump.';
COMMENT ON COLUMN scrm.config.configured_by IS
  'the role that configured: scrm.refresh runs every query as this role, whoever refreshes; a row may name '
  'only a role its writer is a member of';
COMMENT ON TABLE scrm.refresh_log IS
  'One row per scrm.refresh: when it ran, as_of, the settings in force (defaults included), the model '
  'fits, row counts of each input, the time of each step in milliseconds and the role the input queries ran as.';

-- configure is C now and no longer needs _check_input; refresh's steps
-- replace _step
DROP FUNCTION scrm._check_input(text, text);
DROP FUNCTION scrm._step(jsonb, text, timestamptz);
