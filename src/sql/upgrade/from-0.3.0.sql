-- Changes to objects of 0.3.0 that src/sql/55_refresh.sql and
-- src/sql/58_keys.sql (run after this file in the upgrade script from 0.3.0,
-- see the Makefile) cannot make.

-- 0.4.0 keys customers by any type and pins the time zone of configure.  A
-- configuration of 0.3.0 keyed them by integers and read timestamps in the
-- time zone of whoever refreshed: it keeps working as bigint keys in the time
-- zone of the role that updates.
ALTER TABLE scrm.config ADD COLUMN key_type regtype;
ALTER TABLE scrm.config ADD COLUMN time_zone text;
ALTER TABLE scrm.config DISABLE TRIGGER config_guard;
UPDATE scrm.config SET key_type = 'bigint'::regtype, time_zone = pg_catalog.current_setting('TimeZone');
ALTER TABLE scrm.config ENABLE TRIGGER config_guard;
ALTER TABLE scrm.config ALTER COLUMN key_type SET NOT NULL;
ALTER TABLE scrm.config ALTER COLUMN time_zone SET NOT NULL;
COMMENT ON COLUMN scrm.config.key_type IS
  'the type of the customer keys (the customers query''s customer column); every input keys customers the same way';
COMMENT ON COLUMN scrm.config.time_zone IS
  'the TimeZone of scrm.configure: refresh reads the queries and counts purchase days in it, so a timestamp '
  'without time zone means the same instant whoever refreshes';

-- results keyed by the CRM's key as text; customer only for integer keys
ALTER TABLE scrm.customer_score DROP CONSTRAINT customer_score_pkey;
ALTER TABLE scrm.customer_score ALTER COLUMN customer DROP NOT NULL;
ALTER TABLE scrm.customer_score ADD COLUMN customer_key text;
UPDATE scrm.customer_score SET customer_key = customer::text;
ALTER TABLE scrm.customer_score ADD PRIMARY KEY (customer_key);
CREATE UNIQUE INDEX customer_score_customer ON scrm.customer_score (customer);
-- refresh updates the results in place (MERGE, HOT updates): room on each
-- page for them
ALTER TABLE scrm.customer_score SET (fillfactor = 45);

ALTER TABLE scrm.config ADD COLUMN segments text;
COMMENT ON COLUMN scrm.config.segments IS 'SQL returning customer, segment: refresh runs scrm.tier_audit over it and logs the result';
ALTER TABLE scrm.refresh_log ADD COLUMN data_check jsonb;
ALTER TABLE scrm.refresh_log ADD COLUMN tier_audit jsonb;
COMMENT ON TABLE scrm.refresh_log IS
  'One row per scrm.refresh: when it ran, as_of, the settings in force (defaults included), the model '
  'fits, row counts of each input, the time of each step in milliseconds, the role the input queries ran as '
  'the data check (see scrm.check): per input the rows read, used and skipped by reason, and the tier audit '
  'over the configured segments (scrm.tier_audit), when configured.';

CREATE OR REPLACE VIEW scrm.customer_value AS
SELECT customer, monetary_value, p_alive, expected_purchases, referral_value, influence_value,
       advocacy_points, advocate_score, advocate_label, nps_class, social_adjustment, total_value,
       tier, monetary_tier, needs_review, social_consent, pagerank, community,
       churn_value_at_risk, loss_if_churned, computed_at, customer_key
FROM scrm.customer_score;
COMMENT ON COLUMN scrm.customer_value.customer IS 'customer id, as in the customers query, when the keys are integers (NULL otherwise)';
COMMENT ON COLUMN scrm.customer_value.customer_key IS
  'the customer key as text, as in the customers query (uuid in canonical form, char(n) without padding): '
  'join with e.g. ON c.id = v.customer_key::uuid';

CREATE OR REPLACE VIEW scrm.top_advocates AS
SELECT customer, advocate_score, advocacy_points, referral_value, influence_value, total_value, tier, community,
       customer_key
FROM scrm.customer_score
WHERE advocate_label = 'advocate'
ORDER BY advocate_score DESC, advocacy_points DESC, customer, customer_key;
COMMENT ON COLUMN scrm.top_advocates.customer IS 'customer id when the keys are integers (NULL otherwise)';
COMMENT ON COLUMN scrm.top_advocates.customer_key IS 'the customer key as text';

-- configure records the key type now, and takes a segments query
DROP FUNCTION scrm._configure(text[], jsonb, jsonb);
DROP FUNCTION scrm.configure(text, text, text, text, text, text, jsonb);

-- internal functions of refresh whose results gained the columns scrm.explain reads
DROP FUNCTION scrm._refresh_advocacy(text, timestamptz, interval, bigint[], bigint[]);
DROP FUNCTION scrm._refresh_influence_value(text, float8, float8);
