-- The pipeline's functions (SPEC section 4): configure, the steps of refresh
-- and the C functions they call.  Every function here is CREATE OR REPLACE so
-- that an upgrade script can run this file again.

-- SOCIAL.md section 9: the settings and their defaults
CREATE OR REPLACE FUNCTION scrm.default_settings()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT pg_catalog.jsonb_build_object(
  'as_of', NULL, 'period', '7 days',
  'clv_steps', 12, 'clv_step', 4.345, 'discount_rate', 0.01,
  'incrementality', 0.5, 'acquisition_saving', 0,
  'autonomy', 1.0, 'hop_continuation', 0.5,
  'advocacy_half_life', '180 days', 'advocacy_scale', 10,
  'cap', 0.5, 'floor', 0,
  'excellent_percentile', 80, 'exceptional_percentile', 95, 'tier_policy', 'no_harm',
  'contagion', 0.8, 'contagion_half_life_months', 3, 'churn_horizon_months', 12,
  'community_method', 'leiden', 'seed', 0,
  'consent_mode', 'opt_in', 'history_keep', 12,
  'purchase_model', 'bgnbd', 'holdout_window', '26 weeks', 'contract_period', '1 mon')
$$;

COMMENT ON FUNCTION scrm.default_settings() IS
  'The settings of scrm.configure and their defaults (SOCIAL.md section 9); as_of NULL means the time of the refresh.';

-- settings given merged over the defaults, each checked
-- PARALLEL UNSAFE: its exception block is a subtransaction, which parallel
-- mode does not allow
CREATE OR REPLACE FUNCTION scrm._settings(given jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s jsonb;
  k text;
  bad text;
  n float8;
BEGIN
  IF given IS NULL OR jsonb_typeof(given) <> 'object' THEN
    RAISE EXCEPTION 'settings must be a JSON object'
      USING ERRCODE = '22023', HINT = 'For example ''{"cap": 0.4, "consent_mode": "objection"}''.';
  END IF;
  SELECT string_agg(key, ', ' ORDER BY key) INTO bad
  FROM jsonb_object_keys(given) key WHERE NOT scrm.default_settings() ? key;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown setting: %', bad
      USING ERRCODE = '22023',
            HINT = 'Settings are: ' || (SELECT string_agg(key, ', ' ORDER BY key) FROM jsonb_object_keys(scrm.default_settings()) key) || '.';
  END IF;
  s := scrm.default_settings() || given;
  BEGIN
    k := 'as_of';
    IF s->>'as_of' IS NOT NULL AND NOT isfinite((s->>'as_of')::timestamptz) THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    -- durations: a string with a unit ({"period": 7} would mean 7 seconds),
    -- positive, and no part negative (refresh counts a month as 365.25 / 12
    -- days, the interval type as 30: only then do both see the same sign)
    FOREACH k IN ARRAY ARRAY['period', 'advocacy_half_life', 'holdout_window', 'contract_period'] LOOP
      IF jsonb_typeof(s->k) IS DISTINCT FROM 'string' OR s->>k ~ '^\s*[-+]?[0-9.]+\s*$'
         OR extract(epoch FROM (s->>k)::interval) <= 0 OR (s->>k)::interval::text ~ '-' THEN
        RAISE EXCEPTION USING ERRCODE = '22023';
      END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['clv_steps', 'seed', 'history_keep'] LOOP
      PERFORM (s->>k)::integer;
      IF (s->>k) IS NULL THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    END LOOP;
    k := 'history_keep';
    IF (s->>k)::integer NOT BETWEEN 0 AND 10000 THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    -- clv_steps sizes a loop per customer: at most scrm.clv's limit
    k := 'clv_steps';
    IF (s->>k)::integer NOT BETWEEN 1 AND 10000 THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    FOREACH k IN ARRAY ARRAY['clv_step', 'discount_rate', 'incrementality', 'acquisition_saving', 'autonomy',
                             'hop_continuation', 'advocacy_scale', 'cap', 'floor', 'excellent_percentile',
                             'exceptional_percentile', 'contagion', 'contagion_half_life_months', 'churn_horizon_months'] LOOP
      n := (s->>k)::float8;
      IF n IS NULL OR n <> n OR n IN ('infinity', '-infinity')
         OR (k IN ('clv_step', 'autonomy', 'advocacy_scale', 'contagion_half_life_months', 'churn_horizon_months') AND n <= 0)
         OR (k IN ('discount_rate', 'floor', 'contagion') AND n < 0)
         OR (k = 'incrementality' AND (n < 0 OR n > 1))
         OR (k = 'hop_continuation' AND (n <= 0 OR n >= 1))
         OR (k = 'cap' AND (n < 0 OR n >= 1))
         OR (k IN ('excellent_percentile', 'exceptional_percentile') AND (n <= 0 OR n >= 100)) THEN
        RAISE EXCEPTION USING ERRCODE = '22023';
      END IF;
    END LOOP;
    -- the renewals within the CLV horizon size a loop per subscriber
    k := 'contract_period';
    IF (scrm._contract_horizon(s)->>'renewals')::integer > 10000 THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'exceptional_percentile';
    IF (s->>k)::float8 < (s->>'excellent_percentile')::float8 THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'tier_policy';
    IF s->>k IS NULL OR s->>k NOT IN ('no_harm', 'symmetric') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'community_method';
    IF s->>k IS NULL OR s->>k NOT IN ('louvain', 'leiden', 'label_propagation') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'consent_mode';
    IF s->>k IS NULL OR s->>k NOT IN ('opt_in', 'objection') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'purchase_model';
    IF s->>k IS NULL OR s->>k NOT IN ('bgnbd', 'mbgnbd', 'paretonbd', 'auto') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
  EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION 'invalid value for setting %: %', k, coalesce(s->>k, 'null')
      USING ERRCODE = '22023',
            DETAIL = 'Default: ' || coalesce(scrm.default_settings()->>k, 'null') || '.',
            HINT = 'Durations are strings with a unit (e.g. "7 days"); clv_steps is at most 10000, and so are the '
                   'contract periods within the CLV horizon. '
                   'See SOCIAL.md section 9 for the meaning and range of each setting.';
  END;
  RETURN s;
END
$$;

COMMENT ON FUNCTION scrm._settings(jsonb) IS 'Internal: the settings given merged over scrm.default_settings(), each value checked.';

CREATE OR REPLACE FUNCTION scrm._refresh_input(input text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'scrm_refresh_input'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_input(text) IS
  'Internal: the rows of the configured query of a pipeline input, run as the role that configured it (see '
  'the README, Security), its columns in the order of SOCIAL.md section 10 as bigint, float8, text, '
  'timestamptz or boolean (absent optional columns NULL); no rows when the input is not configured. Needs '
  'INSERT on scrm.customer_score (the right to refresh).';

CREATE OR REPLACE FUNCTION scrm._refresh_customers(as_of timestamptz)
RETURNS TABLE (customer bigint, customer_key text, social_consent boolean)
AS 'MODULE_PATHNAME', 'scrm_refresh_customers'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_customers(timestamptz) IS
  'Internal: starts the run of a refresh as of as_of and reads the configured customers query (as the role that '
  'configured it): each customer''s number (the key itself for integer keys, else its rank in key order, which '
  'the other inputs of the run encode their keys with), the key as text and social_consent (NULL when absent). '
  'A NULL key (22004) or a key twice (22023) is an error. Needs INSERT on scrm.customer_score.';

CREATE OR REPLACE FUNCTION scrm._refresh_check()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_refresh_check'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION scrm._refresh_check() IS
  'Internal: the data check of the run of this transaction (NULL without one): per input read, key type, rows '
  'read, used and skipped, skipped rows by reason and the time range of the rows used.';

CREATE OR REPLACE FUNCTION scrm._check(as_of timestamptz)
RETURNS TABLE (input text, key_type regtype, rows_read bigint, rows_used bigint, rows_skipped bigint,
               skipped jsonb, time_from timestamptz, time_to timestamptz)
AS 'MODULE_PATHNAME', 'scrm_check'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 6;

COMMENT ON FUNCTION scrm._check(timestamptz) IS 'Internal: scrm.check as of as_of.';

CREATE OR REPLACE FUNCTION scrm.check(as_of timestamptz DEFAULT NULL)
RETURNS TABLE (input text, key_type regtype, rows_read bigint, rows_used bigint, rows_skipped bigint,
               skipped jsonb, time_from timestamptz, time_to timestamptz)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cfg scrm.config;
  caller_time_zone text := current_setting('TimeZone');
BEGIN
  SELECT * INTO cfg FROM scrm.config;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'social_crm is not configured'
      USING ERRCODE = '55000', HINT = 'Call scrm.configure(customers, purchases, ...) first.';
  END IF;
  -- the days and as_of of the refresh: in the time zone configured
  PERFORM set_config('TimeZone', cfg.time_zone, true);
  RETURN QUERY SELECT * FROM scrm._check(coalesce($1, (scrm._settings(cfg.settings)->>'as_of')::timestamptz, now()));
  PERFORM set_config('TimeZone', caller_time_zone, true);
END
$$;

COMMENT ON FUNCTION scrm.check(timestamptz) IS
  'The data check, to run before the first scrm.refresh: reads every configured input as refresh would (as the '
  'role that configured it, through the same rules for messy rows) and returns per input its key type, the '
  'rows read, used and skipped, skipped rows by reason (skipped: null_key, unknown_customer, self_tie, '
  'null_time, infinite_time, after_as_of, null_amount, non_finite_amount, null_score, ends_before_start) and the time range of '
  'the rows used. as_of NULL: the as_of setting, else now. Computes nothing and writes nothing; every refresh '
  'records the same check in scrm.refresh_log.data_check. Needs INSERT on scrm.customer_score.';

CREATE OR REPLACE FUNCTION scrm._refresh_rfm(purchases text, as_of timestamptz, period interval)
RETURNS TABLE (customer bigint, rfm scrm.rfm_summary)
AS 'MODULE_PATHNAME', 'scrm_refresh_rfm'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_rfm(text, timestamptz, interval) IS
  'Internal: scrm.rfm(purchased_at, amount, as_of, period) of every customer of purchases (customer, '
  'purchased_at, amount; rows with a NULL skipped; NULL: the configured purchases query, run as the role that '
  'configured it), computed by sorting the purchases in memory instead of a '
  'hash aggregate. Needs 48 bytes per purchase within scrm.max_memory, else fails with 54000 (scrm.refresh '
  'then uses the aggregate).';

CREATE OR REPLACE FUNCTION scrm._refresh_advocacy(events text, as_of timestamptz, half_life interval,
                                       customers bigint[], excluded bigint[])
RETURNS TABLE (customer bigint, events bigint, net float8, valence float8, distinct_counterparties integer,
               converted boolean, survey_score integer, positive float8, negative float8,
               event_kind text[], event_at timestamptz[], event_counterparty text[], event_damping integer[],
               event_points float8[])
AS 'MODULE_PATHNAME', 'scrm_refresh_advocacy'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_advocacy(text, timestamptz, interval, bigint[], bigint[]) IS
  'Internal: scrm.advocacy(kind, occurred_at, as_of, counterparty, audience, half_life, customer, score) of '
  'every customer listed in customers (NULL: all) over events (customer, kind, occurred_at, counterparty, '
  'audience, score; NULL: the configured interactions and surveys, run as the role that configured them), leaving out events whose counterparty is listed in excluded: the rows kept, net, valence, '
  'distinct counterparties, whether a referral converted, the survey score that counts, the positive and '
  'negative sums, and for scrm.explain the events that counted (kind, time, counterparty key, place in its '
  'damping series, points; NULL: none). Sorts the events '
  'in memory instead of a hash aggregate; needs 48 bytes per event within scrm.max_memory, else fails with '
  '54000 (scrm.refresh then uses the aggregate).';

-- What a Citus worker sends of one customer's interactions when refresh
-- pushes advocacy down (src/pipeline/pushdown.c): the sums and the events
-- that counted, kinds by their index in the kinds given, counterparties by
-- their number among the customer's
CREATE TYPE scrm._advocacy_events_summary AS (
  positive float8, negative float8, distinct_counterparties integer, converted boolean,
  event_kind integer[], event_at timestamptz[], event_counterparty bigint[], event_damping integer[],
  event_points float8[]);
COMMENT ON TYPE scrm._advocacy_events_summary IS 'Internal: the result of scrm._advocacy_events.';
CREATE OR REPLACE FUNCTION scrm._advocacy_events_trans(internal, text, timestamptz, bigint, bigint, timestamptz,
                                                       interval, text[], float8[])
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_events_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._advocacy_events_final(internal)
RETURNS scrm._advocacy_events_summary AS 'MODULE_PATHNAME', 'scrm_advocacy_events_final'
LANGUAGE C STABLE PARALLEL SAFE;   -- (windows in the session's time zone)
COMMENT ON FUNCTION scrm._advocacy_events_trans(internal, text, timestamptz, bigint, bigint, timestamptz, interval,
                                                text[], float8[]) IS 'support function of scrm._advocacy_events';
COMMENT ON FUNCTION scrm._advocacy_events_final(internal) IS 'support function of scrm._advocacy_events';
CREATE AGGREGATE scrm._advocacy_events(kind text, occurred_at timestamptz, counterparty bigint, audience bigint,
                                       as_of timestamptz, half_life interval, kinds text[], weights float8[]) (
    SFUNC = scrm._advocacy_events_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_events_final,
    SSPACE = 640, PARALLEL = SAFE
);
COMMENT ON AGGREGATE scrm._advocacy_events(text, timestamptz, bigint, bigint, timestamptz, interval, text[], float8[]) IS
  'Internal: one customer''s interactions as scrm._refresh_advocacy scores them (kind, occurred_at, counterparty '
  'numbered among the customer''s, 0 for the customer, audience), with the kinds and weights given (those of '
  'scrm.advocacy_kind where refresh runs, ordered by kind COLLATE "C"): the positive and negative sums, the '
  'distinct counterparties helped, whether a referral converted and the events that counted. Refresh wraps the '
  'configured interactions in it grouped by customer, so that a Citus cluster''s workers summarise their shards.';

-- The relationship graph of a refresh is built once, kept in memory for the
-- rest of the transaction (the "shared graph"), and every graph step reads it
-- from there: no work table of millions of arcs, written once and read six
-- times.  The functions below are scrm.refresh's; they run in the session
-- that built the graph (PARALLEL RESTRICTED) and depend on it (VOLATILE).
CREATE OR REPLACE FUNCTION scrm._refresh_graph(relationships text, keep bigint[], as_of timestamptz,
                                    OUT relationships bigint, OUT arcs bigint)
AS 'MODULE_PATHNAME', 'scrm_refresh_graph'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000;

COMMENT ON FUNCTION scrm._refresh_graph(text, bigint[], timestamptz) IS
  'Internal: builds the relationship graph of SOCIAL.md section 10 from relationships (source, target and '
  'optionally kind, strength, last_interaction_at; NULL: the configured relationships query, run as the role '
  'that configured it) and shares it with the graph steps that follow in this '
  'transaction: arcs of weight kind weight (scrm.relationship_kind) * strength * 2^(-days before as_of / 365), '
  'both ways for bidirectional kinds, duplicates merged by noisy-OR, self-loops dropped, only arcs between the '
  'customers in keep (all when keep is NULL). A kind the table does not list or a strength outside [0, 1] is '
  'an error (22023). Returns the number of relationship rows read and of arcs kept.';

CREATE OR REPLACE FUNCTION scrm._refresh_graph_arcs()
RETURNS TABLE (source bigint, target bigint, weight float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_graph_arcs'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 100000;

COMMENT ON FUNCTION scrm._refresh_graph_arcs() IS
  'Internal: the arcs of the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_pagerank(
    damping float8 DEFAULT 0.85, max_iterations integer DEFAULT 100, tolerance float8 DEFAULT 1e-6,
    directed boolean DEFAULT true, personalization text DEFAULT NULL)
RETURNS TABLE (node bigint, score float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_pagerank'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_pagerank(float8, integer, float8, boolean, text) IS
  'Internal: scrm.pagerank of the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_communities(
    method text DEFAULT 'louvain', resolution float8 DEFAULT 1.0, seed integer DEFAULT 0)
RETURNS TABLE (node bigint, community bigint)
AS 'MODULE_PATHNAME', 'scrm_refresh_communities'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_communities(text, float8, integer) IS
  'Internal: scrm.communities of the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_influence_value(
    customer_value text, autonomy float8 DEFAULT 1.0, hop_continuation float8 DEFAULT 0.5)
RETURNS TABLE (node bigint, influence_value float8, retained_share float8, network_value float8,
               returned float8, top_keys text[], top_shares float8[], rest_amount float8, rest_customers integer)
AS 'MODULE_PATHNAME', 'scrm_refresh_influence_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_influence_value(text, float8, float8) IS
  'Internal: scrm.influence_value over the graph scrm._refresh_graph built in this transaction, with what '
  'scrm.explain shows: the network value z, the own value returned over 2-cycles (removed), the directly '
  'influenced customers of the 5 largest credits (key, walk share; NULL: none) and the other credits summed '
  'with their count.';

CREATE OR REPLACE FUNCTION scrm._refresh_churn_impact(
    customer_value text, contagion float8 DEFAULT 0.8, half_life_months float8 DEFAULT 3,
    horizon_months float8 DEFAULT 12)
RETURNS TABLE (node bigint, own_value float8, contagion_loss float8,
               loss_if_churned float8, value_at_risk float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_churn_impact'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_churn_impact(text, float8, float8, float8) IS
  'Internal: scrm.churn_impact over the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._community_cohesion(edges text, membership text)
RETURNS TABLE (community bigint, internal_weight float8, total_weight float8)
AS 'MODULE_PATHNAME', 'scrm_community_cohesion'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 100;

COMMENT ON FUNCTION scrm._community_cohesion(text, text) IS
  'Internal: per community of membership (node, community), the weight of its members'' ties counted at '
  'both ends (the graph as undirected), inside the community and in all; the sums behind scrm.modularity. '
  'edges NULL: the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_community_cohesion()
RETURNS TABLE (community bigint, internal_weight float8, total_weight float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_community_cohesion'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 100 ROWS 100;

COMMENT ON FUNCTION scrm._refresh_community_cohesion() IS
  'Internal: scrm._community_cohesion of the communities scrm._refresh_communities found in this transaction, '
  'kept when it found them (the graph is not built again).';

CREATE OR REPLACE FUNCTION scrm._network_reach(edges text, autonomy float8)
RETURNS TABLE (node bigint, reach float8)
AS 'MODULE_PATHNAME', 'scrm_network_reach'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._network_reach(text, float8) IS
  'Internal: per node with an outgoing tie, sum_v s_uv / (autonomy + S_v), the shares of other customers'' '
  'decisions it holds (SOCIAL.md section 2); scrm.refresh turns it into the advocacy network reach. '
  'edges NULL: the graph scrm._refresh_graph built in this transaction.';

-- Who may store queries that run as a role: scrm.configure records the role
-- that calls it, and a row written straight into scrm.config may name only a
-- role its writer is a member of (the rule of ALTER ... OWNER TO), so no one
-- stores a query that runs with rights they do not have.
CREATE OR REPLACE FUNCTION scrm._config_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.configured_by IS NULL THEN
    NEW.configured_by := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)::regrole;
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, NEW.configured_by::oid, 'MEMBER') THEN
    RAISE EXCEPTION 'permission denied to store queries that run as role %', NEW.configured_by
      USING ERRCODE = '42501',
            DETAIL = 'The queries of scrm.config run as configured_by, so only its members may write that row.',
            HINT = 'Call scrm.configure as the role the queries should run as.';
  END IF;
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION scrm._config_guard() IS
  'Internal: trigger of scrm.config; a row may name in configured_by only a role its writer is a member of '
  '(NULL: the writer).';

CREATE OR REPLACE TRIGGER config_guard
BEFORE INSERT OR UPDATE ON scrm.config
FOR EACH ROW EXECUTE FUNCTION scrm._config_guard();

-- configure is C (src/pipeline.c): it parses the queries with the caller's
-- search_path, as written, and stores them through _configure, which runs
-- under the pinned one
CREATE OR REPLACE FUNCTION scrm._configure(stored text[], columns jsonb, settings jsonb, key_type regtype)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s jsonb := scrm._settings(settings);
BEGIN
  IF s->>'consent_mode' = 'opt_in' AND NOT (columns->'customers') ? 'social_consent' THEN
    RAISE EXCEPTION 'the customers query has no social_consent column, which consent_mode opt_in needs'
      USING ERRCODE = '42703',
            DETAIL = 'With opt_in (the default) only customers whose social_consent is true enter social processing.',
            HINT = 'Return the consent as social_consent (e.g. SELECT id AS customer, marketing_ok AS social_consent ...), '
                   'or set consent_mode to objection to include everyone except customers whose social_consent is false.';
  END IF;
  DELETE FROM scrm.config;
  INSERT INTO scrm.config (customers, purchases, relationships, interactions, referrals, surveys, settings, columns,
                           configured_by, key_type, time_zone, segments, contracts)
  VALUES (stored[1], stored[2], stored[3], stored[4], stored[5], stored[6], _configure.settings, _configure.columns,
          (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user)::regrole, _configure.key_type,
          current_setting('TimeZone'), stored[7], stored[8]);
  RETURN jsonb_build_object('inputs', _configure.columns, 'settings', s, 'key_type', _configure.key_type::text,
                            'time_zone', current_setting('TimeZone'));
END
$$;

COMMENT ON FUNCTION scrm._configure(text[], jsonb, jsonb, regtype) IS
  'Internal: stores the configuration scrm.configure checked: the canonical queries (customers, purchases, '
  'relationships, interactions, referrals, surveys, segments, contracts), the columns each has, the settings and the key type, run '
  'as the caller, with the caller''s TimeZone.';

CREATE OR REPLACE FUNCTION scrm.configure(
    customers text,
    purchases text,
    relationships text DEFAULT NULL,
    interactions text DEFAULT NULL,
    referrals text DEFAULT NULL,
    surveys text DEFAULT NULL,
    settings jsonb DEFAULT '{}',
    segments text DEFAULT NULL,
    contracts text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_configure'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION scrm.configure(text, text, text, text, text, text, jsonb, text, text) IS
  'Point social_crm at a CRM''s own tables: inner queries returning the columns of SOCIAL.md section 10 '
  '(customers and purchases required; relationships, interactions, referrals, surveys optional), '
  'settings overriding the defaults of scrm.default_settings(), segments (customer, segment) for the tier '
  'audit each refresh logs, and contracts (customer, started_at [, ended_at, amount]) of subscription '
  'customers, valued with sBG instead of the purchase model. Each query must be one read-only SELECT; it '
  'is parsed with the caller''s search_path, stored with every name schema-qualified, and planned and its '
  'columns checked now, so a typo fails here (42703/42804); unknown settings fail with 22023. scrm.refresh '
  'runs the queries as the role that called configure. Replaces the previous configuration; returns the '
  'columns found and the settings in force.';

-- The steps of scrm.refresh.  Each takes the state of the run (jsonb: the
-- settings in force, as_of, row counts, step timings, the model fits and tier
-- thresholds once known), does one thing, leaves its result in a work table
-- pg_temp._scrm_refresh_<name> and returns the state.  Stored queries reach
-- them only through the C reader (scrm._refresh_input, _refresh_rfm,
-- _refresh_graph, _refresh_advocacy), which runs them as the configurer.

CREATE OR REPLACE FUNCTION scrm._step_begin(step text)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'scrm_step_begin'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION scrm._step_begin(text) IS
  'Internal: shows the step scrm.refresh is in to other sessions, as the query of this backend in '
  'pg_stat_activity (scrm.refresh: step <step>, started <time> -- <the query sent>), and returns the time '
  'it starts; NULL: the refresh is over, the query shows as sent.';

-- Note a step's time, report it and return the state
CREATE OR REPLACE FUNCTION scrm._step_done(r jsonb, step text, started timestamptz)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ms float8 := round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1)::float8;
BEGIN
  RAISE NOTICE 'scrm.refresh: % done in % ms', step, ms;
  RETURN jsonb_set(r, '{step_ms}', (r->'step_ms') || jsonb_build_object(step, ms));
END
$$;

COMMENT ON FUNCTION scrm._step_done(jsonb, text, timestamptz) IS
  'Internal: records the time of a step of scrm.refresh in its state and reports it.';

-- Start: one refresh at a time, the configuration, settings and as_of
CREATE OR REPLACE FUNCTION scrm._step_start()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cfg scrm.config;
  s jsonb;
  caller_work_mem text := current_setting('work_mem');
  caller_time_zone text := current_setting('TimeZone');
BEGIN
  -- each step reads the inputs as committed when it starts (READ COMMITTED);
  -- a snapshot taken before the wait for another refresh could not replace
  -- that refresh's results (40001 after all the work): refuse at once
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'scrm.refresh must run in a READ COMMITTED transaction'
      USING ERRCODE = '25001',
            DETAIL = pg_catalog.format('The transaction is %s.', upper(current_setting('transaction_isolation'))),
            HINT = 'Call scrm.refresh() outside an explicit transaction, or after BEGIN ISOLATION LEVEL READ COMMITTED.';
  END IF;
  -- a second refresh waits for the first to end (its rows would collide with
  -- the first's); readers are never blocked
  BEGIN
    LOCK TABLE scrm.customer_score, scrm.community_score IN SHARE ROW EXCLUSIVE MODE NOWAIT;
  EXCEPTION WHEN lock_not_available THEN
    RAISE NOTICE 'scrm.refresh: waiting for the refresh of another session to end';
    LOCK TABLE scrm.customer_score, scrm.community_score IN SHARE ROW EXCLUSIVE MODE;
  END;
  -- the results are updated in place (scrm._step_write): say so now, not
  -- after the work
  IF NOT pg_catalog.has_table_privilege('scrm.customer_score', 'UPDATE') THEN
    RAISE EXCEPTION 'permission denied for table customer_score'
      USING ERRCODE = '42501',
            DETAIL = 'scrm.refresh updates the results of the last refresh in place.',
            HINT = 'Grant UPDATE on scrm.customer_score to the role that refreshes, with SELECT, INSERT and DELETE.';
  END IF;
  SELECT * INTO cfg FROM scrm.config;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'social_crm is not configured'
      USING ERRCODE = '55000', HINT = 'Call scrm.configure(customers, purchases, ...) first.';
  END IF;
  s := scrm._settings(cfg.settings);
  -- hash joins and aggregates over every customer: give them room while
  -- refresh runs (restored at the end; an error ends the transaction
  -- anyway), up to 256MB and a quarter of scrm.max_memory, so that a small
  -- scrm.max_memory keeps PostgreSQL's own sorts and hashes small too
  IF pg_size_bytes(caller_work_mem) < least(256 * 1024 * 1024, pg_size_bytes(coalesce(current_setting('scrm.max_memory', true), '1GB')) / 4) THEN
    PERFORM set_config('work_mem', (least(256 * 1024, pg_size_bytes(coalesce(current_setting('scrm.max_memory', true), '1GB')) / 4096))::text || 'kB', true);
  END IF;
  -- purchase days, as_of and timestamps without time zone: in the time zone
  -- of configure, whoever refreshes (restored at the end)
  PERFORM set_config('TimeZone', cfg.time_zone, true);
  RETURN jsonb_build_object(
    'started', clock_timestamp(), 'settings', s, 'columns', cfg.columns,
    'as_of', coalesce((s->>'as_of')::timestamptz, now()), 'configured_by', cfg.configured_by::text,
    'key_type', cfg.key_type::text, 'integer_keys', cfg.key_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype),
    'caller_work_mem', caller_work_mem, 'caller_time_zone', caller_time_zone,
    'row_counts', '{}'::jsonb, 'step_ms', '{}'::jsonb);
END
$$;

COMMENT ON FUNCTION scrm._step_start() IS
  'Internal: first step of scrm.refresh: waits for any other refresh, reads the configuration and returns the '
  'state of the run.';

-- Add row counts to the state
CREATE OR REPLACE FUNCTION scrm._step_count(r jsonb, counts jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT jsonb_set(r, '{row_counts}', (r->'row_counts') || counts) $$;

COMMENT ON FUNCTION scrm._step_count(jsonb, jsonb) IS 'Internal: adds row counts to the state of scrm.refresh.';

-- Customers and consent (SOCIAL.md section 8); the run's key numbering
CREATE OR REPLACE FUNCTION scrm._step_customers(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  has_consent boolean := (r->'columns'->'customers') ? 'social_consent';
  opt_in boolean := r->'settings'->>'consent_mode' = 'opt_in';
BEGIN
  -- a null or repeated key is an error in scrm._refresh_customers
  CREATE TEMP TABLE _scrm_refresh_customer ON COMMIT DROP AS
  SELECT q.customer, q.customer_key,
         CASE WHEN NOT has_consent THEN true
              WHEN opt_in THEN coalesce(q.social_consent, false)
              ELSE coalesce(q.social_consent, true) END AS consent
  FROM scrm._refresh_customers((r->>'as_of')::timestamptz) AS q;
  ANALYZE pg_temp._scrm_refresh_customer;
  RETURN scrm._step_count(r, (SELECT jsonb_build_object('customers', count(*), 'consenting', count(*) FILTER (WHERE consent))
                              FROM pg_temp._scrm_refresh_customer));
END
$$;

COMMENT ON FUNCTION scrm._step_customers(jsonb) IS
  'Internal: step of scrm.refresh: the customers and whether each enters social processing (consent_mode).';

-- RFM of every buyer
CREATE OR REPLACE FUNCTION scrm._step_rfm(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  as_of timestamptz := (r->>'as_of')::timestamptz;
  period interval := (r->'settings'->>'period')::interval;
BEGIN
  BEGIN
    -- in memory: sorting the purchases beats a hash aggregate several times
    CREATE TEMP TABLE _scrm_refresh_rfm ON COMMIT DROP AS
      SELECT * FROM scrm._refresh_rfm(NULL::text, as_of, period);
  EXCEPTION WHEN program_limit_exceeded THEN
    -- more purchases than scrm.max_memory holds: the aggregate over the
    -- purchases as a tuplestore, both of which spill to disk
    CREATE TEMP TABLE _scrm_refresh_rfm ON COMMIT DROP AS
      SELECT q.customer, scrm.rfm(q.purchased_at, q.amount, as_of, period) AS rfm
      FROM scrm._refresh_input('purchases'::text) AS q(customer bigint, purchased_at timestamptz, amount float8)
      WHERE q.customer IS NOT NULL AND q.purchased_at IS NOT NULL AND q.amount IS NOT NULL
      GROUP BY 1;
  END;
  -- purchases of customers the customers query does not list drop out
  DELETE FROM pg_temp._scrm_refresh_rfm x
  WHERE NOT EXISTS (SELECT 1 FROM pg_temp._scrm_refresh_customer c WHERE c.customer = x.customer);
  RETURN scrm._step_count(r, jsonb_build_object('buyers', (SELECT count(rfm) FROM pg_temp._scrm_refresh_rfm)));
END
$$;

COMMENT ON FUNCTION scrm._step_rfm(jsonb) IS 'Internal: step of scrm.refresh: the RFM summary of every buyer.';

-- Subscription customers (the contracts input): per customer the renewals
-- made and whether still a customer, and the sBG fit over them.  A customer
-- with a contract is valued by sBG, not by the purchase model: the loss of
-- a subscriber is observed, not inferred from silence.
CREATE OR REPLACE FUNCTION scrm._step_contracts(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  as_of timestamptz := (r->>'as_of')::timestamptz;
  cp interval := (r->'settings'->>'contract_period')::interval;
  -- the period in seconds, a month counted as 365.25 / 12 days as refresh
  -- counts periods (a first guess that calendar arithmetic then corrects by
  -- one at most)
  secs float8 := extract(epoch FROM cp) + extract(month FROM cp) * 37800;
  m scrm.sbg;
  err_message text;
  err_detail text;
BEGIN
  -- several contracts of one customer: from the first start, a customer as
  -- long as one is open (ended_at NULL or after as_of); the amounts of the
  -- open ones add up.  Whole periods by calendar: k with
  -- started + k * contract_period <= the end (as_of while open).
  CREATE TEMP TABLE _scrm_refresh_contract ON COMMIT DROP AS
  SELECT c.customer, c.active, c.amount, x.rfm,
         CASE WHEN c.active THEN w.k ELSE greatest(1, w.k + (c.started + w.k * cp < c.stop)::integer) END AS periods
  FROM (SELECT q.customer, min(q.started_at) AS started, bool_or(q.ended_at IS NULL OR q.ended_at > as_of) AS active,
               CASE WHEN bool_or(q.ended_at IS NULL OR q.ended_at > as_of) THEN as_of ELSE max(q.ended_at) END AS stop,
               sum(q.amount) FILTER (WHERE q.ended_at IS NULL OR q.ended_at > as_of) AS amount
        FROM scrm._refresh_input('contracts'::text)
             AS q(customer bigint, started_at timestamptz, ended_at timestamptz, amount float8)
        GROUP BY q.customer) c
  LEFT JOIN pg_temp._scrm_refresh_rfm x USING (customer)
  CROSS JOIN LATERAL (SELECT floor(extract(epoch FROM c.stop - c.started) / secs)::integer AS k0) g
  CROSS JOIN LATERAL (SELECT g.k0 - (c.started + g.k0 * cp > c.stop)::integer
                             + (c.started + (g.k0 + 1) * cp <= c.stop)::integer AS k) w;
  IF EXISTS (SELECT FROM pg_temp._scrm_refresh_contract) THEN
    BEGIN
      SELECT scrm.sbg_fit(x.periods, NOT x.active, x.n) INTO m
      FROM (SELECT periods, active, count(*)::float8 AS n FROM pg_temp._scrm_refresh_contract GROUP BY 1, 2) x;
    EXCEPTION WHEN invalid_parameter_value THEN
      GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL;
      RAISE EXCEPTION 'scrm.refresh cannot fit the contract model (sBG): %', err_message
        USING ERRCODE = '22023', DETAIL = err_detail,
              HINT = 'sBG needs subscribers who renewed and subscribers who left before as_of. Check the contracts '
                     'query, the contract_period and the as_of setting.';
    END;
    r := r || jsonb_build_object('contract_model', m::text);
    -- their purchases (the subscription's payments, often) stay out of the
    -- purchase and spend models; their RFM goes with the contract
    DELETE FROM pg_temp._scrm_refresh_rfm x USING pg_temp._scrm_refresh_contract k WHERE k.customer = x.customer;
  END IF;
  IF r->'columns' ? 'contracts' THEN
    r := scrm._step_count(r, jsonb_build_object('subscribers', (SELECT count(*) FROM pg_temp._scrm_refresh_contract)));
  END IF;
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_contracts(jsonb) IS
  'Internal: step of scrm.refresh: renewals and loss of each subscription customer (contracts input), and the sBG fit.';

-- The purchase model (setting purchase_model; "auto": the one with the least
-- holdout error) and Gamma-Gamma, fitted on the buyers without a contract
-- (_step_contracts took those out)
CREATE OR REPLACE FUNCTION scrm._step_fits(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  kind text := r->'settings'->>'purchase_model';
  pm text;
  gg scrm.gammagamma;
  err_message text;
  err_detail text;
BEGIN
  -- a subscription business: every buyer a subscriber, nothing left to fit
  IF (r->'row_counts'->>'subscribers')::bigint > 0 AND NOT EXISTS (SELECT FROM pg_temp._scrm_refresh_rfm) THEN
    RETURN r;
  END IF;
  IF kind = 'auto' THEN
    r := scrm._choose_purchase_model(r);
    kind := r->'model_selection'->>'chosen';
  END IF;
  -- Gamma-Gamma models positive spend: repeat buyers whose repeat purchases
  -- average 0 or less (free orders, refunds) stay out of the spend fit
  BEGIN
    -- one branch per model: an aggregate in a CASE would run for every model
    IF kind = 'bgnbd' THEN
      SELECT scrm.bgnbd_fit(x.rfm)::text INTO pm FROM pg_temp._scrm_refresh_rfm x WHERE x.rfm IS NOT NULL;
    ELSIF kind = 'mbgnbd' THEN
      SELECT scrm.mbgnbd_fit(x.rfm)::text INTO pm FROM pg_temp._scrm_refresh_rfm x WHERE x.rfm IS NOT NULL;
    ELSE
      SELECT scrm.paretonbd_fit(x.rfm)::text INTO pm FROM pg_temp._scrm_refresh_rfm x WHERE x.rfm IS NOT NULL;
    END IF;
    SELECT scrm.gammagamma_fit(x.rfm) FILTER (WHERE (x.rfm).frequency = 0 OR (x.rfm).monetary > 0) INTO gg
    FROM pg_temp._scrm_refresh_rfm x WHERE x.rfm IS NOT NULL;
  EXCEPTION WHEN invalid_parameter_value THEN
    -- too little history to fit (a new CRM, as_of too early): say so
    GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL;
    RAISE EXCEPTION 'scrm.refresh cannot fit the purchase and spend models: %', err_message
      USING ERRCODE = '22023', DETAIL = err_detail,
            HINT = 'The models need purchases before as_of from at least 2 customers, some of them repeat purchases '
                   'on a later day. Check the purchases query and the as_of setting.';
  END;
  RETURN r || jsonb_build_object('purchase_model_kind', kind, 'purchase_model', pm, 'spend_model', gg::text);
END
$$;

COMMENT ON FUNCTION scrm._step_fits(jsonb) IS
  'Internal: step of scrm.refresh: the purchase model (BG/NBD, MBG/NBD or Pareto/NBD, or the one of them with the '
  'least holdout error) and Gamma-Gamma, over the buyers without a contract.';

-- The relationship graph of consenting customers (SOCIAL.md section 10),
-- built once in C and kept in memory for the graph steps
CREATE OR REPLACE FUNCTION scrm._step_graph(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  g record;
BEGIN
  SELECT * INTO g FROM scrm._refresh_graph(NULL::text,
    ARRAY(SELECT c.customer FROM pg_temp._scrm_refresh_customer c WHERE c.consent), (r->>'as_of')::timestamptz);
  IF r->'columns' ? 'relationships' THEN
    r := scrm._step_count(r, jsonb_build_object('relationships', g.relationships));
  END IF;
  RETURN scrm._step_count(r, jsonb_build_object('edges', g.arcs));
END
$$;

COMMENT ON FUNCTION scrm._step_graph(jsonb) IS
  'Internal: step of scrm.refresh: the relationship graph of consenting customers, kept in memory.';

-- PageRank and communities of the graph
CREATE OR REPLACE FUNCTION scrm._step_centrality(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  CREATE TEMP TABLE _scrm_refresh_pagerank ON COMMIT DROP AS
    SELECT node AS customer, score FROM scrm._refresh_pagerank(0.85::float8, 100, 1e-6::float8, true, NULL::text);
  CREATE TEMP TABLE _scrm_refresh_community ON COMMIT DROP AS
    SELECT node AS customer, community
    FROM scrm._refresh_communities(r->'settings'->>'community_method', 1.0::float8, (r->'settings'->>'seed')::integer);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_centrality(jsonb) IS 'Internal: step of scrm.refresh: PageRank and communities.';

-- Advocacy of consenting customers, leaving out events whose counterparty
-- declined (interactions and survey answers are one stream of events)
CREATE OR REPLACE FUNCTION scrm._step_advocacy(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  as_of timestamptz := (r->>'as_of')::timestamptz;
  half_life interval := (r->'settings'->>'advocacy_half_life')::interval;
  autonomy float8 := (r->'settings'->>'autonomy')::float8;
  scale float8 := (r->'settings'->>'advocacy_scale')::float8;
BEGIN
  BEGIN
    -- in memory: sorting the events beats a hash aggregate several times
    CREATE TEMP TABLE _scrm_refresh_event_summary ON COMMIT DROP AS
      SELECT * FROM scrm._refresh_advocacy(NULL::text, as_of, half_life,
                                           ARRAY(SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent),
                                           ARRAY(SELECT customer FROM pg_temp._scrm_refresh_customer WHERE NOT consent));
  EXCEPTION WHEN program_limit_exceeded THEN
    -- more events than scrm.max_memory holds: the aggregate, sorting by
    -- customer (the survey score is an ordered aggregate), which can spill
    CREATE TEMP TABLE _scrm_refresh_event_summary ON COMMIT DROP AS
    -- (scrm.explain then shows the advocacy sums without the events)
    SELECT customer, events, (a).net, (a).valence, (a).distinct_counterparties, converted, survey_score,
           (a).positive, (a).negative, NULL::text[] AS event_kind, NULL::timestamptz[] AS event_at,
           NULL::text[] AS event_counterparty, NULL::integer[] AS event_damping, NULL::float8[] AS event_points
    FROM (SELECT e.customer, count(*) AS events,
                 scrm.advocacy(e.kind, e.occurred_at, as_of, e.counterparty, e.audience, half_life, e.customer, e.score) AS a,
                 bool_or(e.kind = 'referral_converted' AND e.occurred_at <= as_of AND e.occurred_at >= as_of - interval '3 years'
                         AND e.counterparty IS DISTINCT FROM e.customer) AS converted,
                 (array_agg(e.score ORDER BY e.occurred_at DESC, e.score)
                    FILTER (WHERE e.kind = 'survey' AND e.score IS NOT NULL AND e.occurred_at <= as_of
                                  AND e.occurred_at >= as_of - interval '365 days'))[1] AS survey_score
          FROM (SELECT i.customer,
                       CASE WHEN i.kind = 'complaint' AND i.resolved THEN 'complaint_resolved' ELSE i.kind END AS kind,
                       i.occurred_at, i.counterparty, i.audience, NULL::integer AS score
                FROM scrm._refresh_input('interactions'::text)
                     AS i(customer bigint, kind text, occurred_at timestamptz, counterparty bigint, audience bigint,
                          resolved boolean)
                UNION ALL
                SELECT v.customer, 'survey', v.answered_at, NULL, NULL, v.score::integer
                FROM scrm._refresh_input('surveys'::text) AS v(customer bigint, score bigint, answered_at timestamptz)) e
          WHERE e.customer IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent)
            AND (e.counterparty IS NULL
                 OR e.counterparty NOT IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE NOT consent))
          GROUP BY e.customer) x;
  END;
  r := scrm._step_count(r, jsonb_build_object('events', (SELECT coalesce(sum(events), 0) FROM pg_temp._scrm_refresh_event_summary)));
  CREATE TEMP TABLE _scrm_refresh_advocacy ON COMMIT DROP AS
  WITH
  -- network reach: Net+ times min(2, 1 + 0.25 ln(1 + sum_v P_iv)), P_iv = s_iv / (autonomy + S_v)
  reach AS (SELECT node AS customer, reach AS p FROM scrm._network_reach(NULL::text, autonomy)),
  pts AS (
    SELECT a.customer, a.valence, a.distinct_counterparties, a.converted, a.survey_score, a.positive, a.negative,
           a.net * CASE WHEN a.net > 0 THEN least(2, 1 + 0.25 * ln(1 + coalesce(x.p, 0))) ELSE 1 END AS points,
           CASE WHEN a.net > 0 THEN least(2, 1 + 0.25 * ln(1 + coalesce(x.p, 0))) ELSE 1 END AS reach
    FROM pg_temp._scrm_refresh_event_summary a LEFT JOIN reach x USING (customer))
  SELECT customer, valence, distinct_counterparties, converted, survey_score, positive, negative, points, reach,
         round(100 * (1 - exp(-greatest(points, 0) / scale)))::int AS score,
         round(100 * (1 - exp(-greatest(-points, 0) / scale)))::int AS detractor
  FROM pts;
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_advocacy(jsonb) IS
  'Internal: step of scrm.refresh: advocacy of consenting customers with network reach.';

-- Monetary value (CLV) and advocacy of every customer: buyers by the
-- purchase model and Gamma-Gamma, subscribers by sBG over the same horizon
CREATE OR REPLACE FUNCTION scrm._step_clv(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  kind text := r->>'purchase_model_kind';
  -- the model chosen; the others NULL (and skipped by the CASEs below)
  bg scrm.bgnbd := CASE WHEN kind = 'bgnbd' THEN (r->>'purchase_model')::scrm.bgnbd END;
  mbg scrm.mbgnbd := CASE WHEN kind = 'mbgnbd' THEN (r->>'purchase_model')::scrm.mbgnbd END;
  pn scrm.paretonbd := CASE WHEN kind = 'paretonbd' THEN (r->>'purchase_model')::scrm.paretonbd END;
  gg scrm.gammagamma := (r->>'spend_model')::scrm.gammagamma;
  sbg scrm.sbg := (r->>'contract_model')::scrm.sbg;
  steps integer := (r->'settings'->>'clv_steps')::integer;
  step float8 := (r->'settings'->>'clv_step')::float8;
  rate float8 := (r->'settings'->>'discount_rate')::float8;
  c jsonb := scrm._contract_horizon(r->'settings');
  renewals integer := (c->>'renewals')::integer;
  contract_rate float8 := (c->>'discount_rate')::float8;
BEGIN
  CREATE TEMP TABLE _scrm_refresh_value ON COMMIT DROP AS
  SELECT c.customer, c.consent,
         CASE WHEN k.customer IS NOT NULL THEN
                CASE WHEN k.active THEN scrm.retention_rate(sbg, k.periods + 1) ELSE 0 END
              WHEN kind = 'bgnbd' THEN scrm.p_alive(bg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age)
              WHEN kind = 'mbgnbd' THEN scrm.p_alive(mbg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age)
              ELSE scrm.p_alive(pn, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age) END AS p_alive,
         CASE WHEN k.customer IS NOT NULL THEN
                CASE WHEN k.active THEN scrm.clv(sbg, 1::float8, 0::float8, k.periods, renewals) ELSE 0 END
              WHEN kind = 'bgnbd' THEN scrm.expected_purchases(bg, steps * step, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age)
              WHEN kind = 'mbgnbd' THEN scrm.expected_purchases(mbg, steps * step, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age)
              ELSE scrm.expected_purchases(pn, steps * step, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age) END
           AS expected_purchases,
         CASE WHEN k.customer IS NOT NULL THEN
                CASE WHEN k.active AND k.value > 0 THEN scrm.clv(sbg, k.value, contract_rate, k.periods, renewals) ELSE 0 END
              -- a repeat buyer whose repeat purchases average 0 or less is worth 0
              WHEN (x.rfm).frequency > 0 AND (x.rfm).monetary <= 0 THEN 0
              ELSE coalesce(CASE WHEN kind = 'bgnbd' THEN scrm.clv(bg, gg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age, (x.rfm).monetary, steps, step, rate)
                                 WHEN kind = 'mbgnbd' THEN scrm.clv(mbg, gg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age, (x.rfm).monetary, steps, step, rate)
                                 ELSE scrm.clv(pn, gg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age, (x.rfm).monetary, steps, step, rate) END, 0)
         END AS monetary_value,
         CASE WHEN c.consent THEN coalesce(a.points, 0) END AS advocacy_points,
         CASE WHEN c.consent THEN coalesce(a.score, 0) END AS advocate_score,
         CASE WHEN c.consent THEN scrm._advocate_label(coalesce(a.score, 0), coalesce(a.detractor, 0),
                                                       coalesce(a.distinct_counterparties, 0), coalesce(a.converted, false),
                                                       a.survey_score) END AS advocate_label,
         CASE WHEN c.consent THEN scrm.nps_class(a.survey_score) END AS nps_class,
         coalesce(a.valence, 1) AS valence,
         coalesce(a.reach, 1) AS advocacy_reach, coalesce(a.positive, 0) AS advocacy_positive,
         coalesce(a.negative, 0) AS advocacy_negative, coalesce(x.rfm, k.rfm) AS rfm,
         CASE WHEN k.customer IS NOT NULL THEN 'sbg' WHEN x.rfm IS NOT NULL THEN kind END AS value_model,
         k.periods AS contract_renewals, k.active AS contract_active, k.value AS contract_amount
  FROM pg_temp._scrm_refresh_customer c
  LEFT JOIN pg_temp._scrm_refresh_rfm x USING (customer)
  LEFT JOIN (SELECT k.*,
                    -- the amount a period: the contracts', else the average repeat purchase
                    coalesce(k.amount, CASE WHEN (k.rfm).frequency > 0 THEN (k.rfm).monetary END) AS value
             FROM pg_temp._scrm_refresh_contract k) k USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_advocacy a USING (customer);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_clv(jsonb) IS
  'Internal: step of scrm.refresh: CLV, P(alive) and expected purchases of every customer (subscribers by sBG), '
  'with their advocacy.';

-- Referral and influence value (SOCIAL.md sections 1 and 2)
CREATE OR REPLACE FUNCTION scrm._step_social(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- each referral's credit (kept for scrm.explain); a referrer's add up to their referral value
  CREATE TEMP TABLE _scrm_refresh_referral_credit ON COMMIT DROP AS
  SELECT * FROM scrm.referral_credits(
    'SELECT q.* FROM scrm._refresh_input(''referrals''::text)
                     AS q(referrer bigint, referred bigint, reward_cost float8, incrementality float8)
     WHERE q.referrer IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent)
       AND q.referred IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent)'::text,
    'SELECT customer AS node, monetary_value AS value FROM pg_temp._scrm_refresh_value WHERE consent'::text,
    (r->'settings'->>'incrementality')::float8, (r->'settings'->>'acquisition_saving')::float8);
  CREATE TEMP TABLE _scrm_refresh_referral ON COMMIT DROP AS
  SELECT referrer AS customer, sum(credit) AS referral_value
  FROM pg_temp._scrm_refresh_referral_credit GROUP BY referrer;
  CREATE TEMP TABLE _scrm_refresh_influence ON COMMIT DROP AS
  SELECT node AS customer, influence_value, retained_share, network_value, returned, top_keys, top_shares,
         rest_amount, rest_customers
  FROM scrm._refresh_influence_value(
    'SELECT customer AS node, monetary_value AS value FROM pg_temp._scrm_refresh_value WHERE consent'::text,
    (r->'settings'->>'autonomy')::float8, (r->'settings'->>'hop_continuation')::float8);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_social(jsonb) IS 'Internal: step of scrm.refresh: referral and influence value.';

-- Social adjustment (SOCIAL.md section 4) and tier thresholds (section 5)
CREATE OR REPLACE FUNCTION scrm._step_adjustment(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cap float8 := (r->'settings'->>'cap')::float8;
  floor_value float8 := (r->'settings'->>'floor')::float8;
  excellent float8 := (r->'settings'->>'excellent_percentile')::float8 / 100;
  exceptional float8 := (r->'settings'->>'exceptional_percentile')::float8 / 100;
  excellent_from float8;
  exceptional_from float8;
BEGIN
  CREATE TEMP TABLE _scrm_refresh_total ON COMMIT DROP AS
  SELECT v.*, CASE WHEN v.consent THEN coalesce(f.referral_value, 0) END AS referral_value,
         CASE WHEN v.consent THEN coalesce(i.influence_value, 0) END AS influence_value,
         i.retained_share, i.network_value, i.returned, i.top_keys, i.top_shares, i.rest_amount, i.rest_customers,
         CASE WHEN v.consent
              THEN scrm.social_value(v.monetary_value, coalesce(f.referral_value, 0), coalesce(i.influence_value, 0),
                                     v.valence, cap, floor_value)
              ELSE v.monetary_value END AS total_value,
         p.score AS pagerank, m.community
  FROM pg_temp._scrm_refresh_value v
  LEFT JOIN pg_temp._scrm_refresh_referral f USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_influence i USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_pagerank p USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_community m USING (customer);
  SELECT percentile_cont(excellent) WITHIN GROUP (ORDER BY total_value),
         percentile_cont(exceptional) WITHIN GROUP (ORDER BY total_value)
    INTO excellent_from, exceptional_from
  FROM pg_temp._scrm_refresh_total WHERE p_alive >= 0.5;
  IF excellent_from IS NULL THEN
    -- nobody alive: thresholds over everyone
    SELECT percentile_cont(excellent) WITHIN GROUP (ORDER BY total_value),
           percentile_cont(exceptional) WITHIN GROUP (ORDER BY total_value)
      INTO excellent_from, exceptional_from
    FROM pg_temp._scrm_refresh_total;
    r := r || jsonb_build_object('thresholds_over', 'every customer (none alive)');
  ELSE
    r := r || jsonb_build_object('thresholds_over', 'customers alive (p_alive >= 0.5)');
  END IF;
  RETURN r || jsonb_build_object('excellent_from', excellent_from, 'exceptional_from', exceptional_from);
END
$$;

COMMENT ON FUNCTION scrm._step_adjustment(jsonb) IS
  'Internal: step of scrm.refresh: total value (monetary plus the capped social adjustment) and the tier thresholds.';

-- Churn impact (SOCIAL.md section 6)
CREATE OR REPLACE FUNCTION scrm._step_churn(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  CREATE TEMP TABLE _scrm_refresh_churn ON COMMIT DROP AS
  SELECT node AS customer, contagion_loss, loss_if_churned, value_at_risk FROM scrm._refresh_churn_impact(
    'SELECT customer AS node, monetary_value AS value, coalesce(1 - p_alive, 0) AS p_churn
     FROM pg_temp._scrm_refresh_value WHERE consent'::text,
    (r->'settings'->>'contagion')::float8, (r->'settings'->>'contagion_half_life_months')::float8,
    (r->'settings'->>'churn_horizon_months')::float8);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_churn(jsonb) IS 'Internal: step of scrm.refresh: churn impact.';

-- Replace the results: one transaction, so readers see the old or the new
CREATE OR REPLACE FUNCTION scrm._step_write(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := (r->>'started')::timestamptz;
  policy text := r->'settings'->>'tier_policy';
  excellent_from float8 := (r->>'excellent_from')::float8;
  exceptional_from float8 := (r->>'exceptional_from')::float8;
  tiers text[] := ARRAY['good', 'excellent', 'exceptional'];
BEGIN
  -- one row per customer in each work table: statistics of that column
  -- tell the planner so (unanalysed, it takes the joins for many-to-many
  -- and sorts them all), at a tenth of the cost of every column's
  ANALYZE pg_temp._scrm_refresh_total (customer), pg_temp._scrm_refresh_customer (customer),
          pg_temp._scrm_refresh_churn (customer), pg_temp._scrm_refresh_event_summary (customer);
  -- the results replace those of the last refresh in place: a customer's
  -- row is updated, a new customer's inserted, a customer gone deleted.  The
  -- updates are HOT (no indexed column changes, and customer_score leaves
  -- room on its pages, fillfactor 45): no index entry is added, and the last
  -- refresh's versions are pruned as the pages fill, so the table keeps its
  -- size.  (DELETE and INSERT left every old version and its index entries
  -- behind until a vacuum, and made each insert check its key's dead ones.)
  MERGE INTO scrm.customer_score s
  USING (
    SELECT
      CASE WHEN (r->>'integer_keys')::boolean THEN t.customer END AS customer,
      t.consent AS social_consent,
      t.monetary_value AS monetary_value,
      t.p_alive AS p_alive,
      t.expected_purchases AS expected_purchases,
      t.referral_value AS referral_value,
      t.influence_value AS influence_value,
      t.advocacy_points AS advocacy_points,
      t.advocate_score AS advocate_score,
      t.advocate_label AS advocate_label,
      t.nps_class AS nps_class,
      CASE WHEN t.consent THEN t.total_value - t.monetary_value END AS social_adjustment,
      t.total_value AS total_value,
      CASE WHEN policy = 'no_harm' AND array_position(tiers, t.tm) > array_position(tiers, t.tt)
         THEN t.tm ELSE t.tt END AS tier,
      t.tm AS monetary_tier,
      policy = 'symmetric' AND array_position(tiers, t.tt) < array_position(tiers, t.tm) AS needs_review,
      CASE WHEN t.consent THEN t.pagerank END AS pagerank,
      CASE WHEN t.consent THEN t.community END AS community,
      CASE WHEN t.consent THEN t.value_at_risk END AS churn_value_at_risk,
      CASE WHEN t.consent THEN t.loss_if_churned END AS loss_if_churned,
      started AS computed_at,
      t.customer_key AS customer_key,
      (t.rfm).frequency AS frequency,
      (t.rfm).recency AS recency,
      (t.rfm).age AS age,
      (t.rfm).monetary AS average_spend,
      CASE WHEN t.consent THEN t.valence END AS valence,
      CASE WHEN t.consent THEN coalesce(t.network_value, greatest(t.monetary_value, 0)) END AS network_value,
      CASE WHEN t.consent THEN coalesce(t.retained_share, 1) END AS retained_share,
      CASE WHEN t.consent THEN coalesce(t.returned, 0) END AS influence_returned,
      CASE WHEN t.consent THEN t.top_keys END AS influence_to,
      CASE WHEN t.consent THEN t.top_shares END AS influence_share,
      CASE WHEN t.consent THEN coalesce(t.rest_amount, 0) END AS influence_rest,
      CASE WHEN t.consent THEN coalesce(t.rest_customers, 0) END AS influence_rest_customers,
      CASE WHEN t.consent THEN t.advocacy_positive END AS advocacy_positive,
      CASE WHEN t.consent THEN t.advocacy_negative END AS advocacy_negative,
      CASE WHEN t.consent THEN t.advocacy_reach END AS advocacy_reach,
      CASE WHEN t.consent THEN e.event_kind END AS advocacy_event_kind,
      CASE WHEN t.consent THEN e.event_at END AS advocacy_event_at,
      CASE WHEN t.consent THEN e.event_counterparty END AS advocacy_event_counterparty,
      CASE WHEN t.consent THEN e.event_damping END AS advocacy_event_damping,
      CASE WHEN t.consent THEN e.event_points END AS advocacy_event_points,
      CASE WHEN t.consent THEN t.contagion_loss END AS contagion_loss,
      t.value_model AS value_model,
      t.contract_renewals AS contract_renewals,
      t.contract_active AS contract_active,
      t.contract_amount AS contract_amount
    FROM (SELECT x.*, c.customer_key, ch.value_at_risk, ch.loss_if_churned, ch.contagion_loss,
                 scrm.service_tier(x.total_value, excellent_from, exceptional_from) AS tt,
                 scrm.service_tier(x.monetary_value, excellent_from, exceptional_from) AS tm
          FROM pg_temp._scrm_refresh_total x JOIN pg_temp._scrm_refresh_customer c USING (customer)
          LEFT JOIN pg_temp._scrm_refresh_churn ch USING (customer)) t
    LEFT JOIN pg_temp._scrm_refresh_event_summary e USING (customer)) n
  ON s.customer_key = n.customer_key
  WHEN MATCHED THEN UPDATE SET
    customer = n.customer, social_consent = n.social_consent, monetary_value = n.monetary_value,
    p_alive = n.p_alive, expected_purchases = n.expected_purchases,
    referral_value = n.referral_value, influence_value = n.influence_value,
    advocacy_points = n.advocacy_points, advocate_score = n.advocate_score,
    advocate_label = n.advocate_label, nps_class = n.nps_class,
    social_adjustment = n.social_adjustment, total_value = n.total_value, tier = n.tier,
    monetary_tier = n.monetary_tier, needs_review = n.needs_review, pagerank = n.pagerank,
    community = n.community, churn_value_at_risk = n.churn_value_at_risk,
    loss_if_churned = n.loss_if_churned, computed_at = n.computed_at, frequency = n.frequency,
    recency = n.recency, age = n.age, average_spend = n.average_spend, valence = n.valence,
    network_value = n.network_value, retained_share = n.retained_share,
    influence_returned = n.influence_returned, influence_to = n.influence_to,
    influence_share = n.influence_share, influence_rest = n.influence_rest,
    influence_rest_customers = n.influence_rest_customers, advocacy_positive = n.advocacy_positive,
    advocacy_negative = n.advocacy_negative, advocacy_reach = n.advocacy_reach,
    advocacy_event_kind = n.advocacy_event_kind, advocacy_event_at = n.advocacy_event_at,
    advocacy_event_counterparty = n.advocacy_event_counterparty,
    advocacy_event_damping = n.advocacy_event_damping,
    advocacy_event_points = n.advocacy_event_points, contagion_loss = n.contagion_loss,
    value_model = n.value_model, contract_renewals = n.contract_renewals,
    contract_active = n.contract_active, contract_amount = n.contract_amount
  WHEN NOT MATCHED THEN INSERT (
    customer, social_consent, monetary_value, p_alive, expected_purchases, referral_value,
    influence_value, advocacy_points, advocate_score, advocate_label, nps_class, social_adjustment,
    total_value, tier, monetary_tier, needs_review, pagerank, community, churn_value_at_risk,
    loss_if_churned, computed_at, customer_key, frequency, recency, age, average_spend, valence,
    network_value, retained_share, influence_returned, influence_to, influence_share,
    influence_rest, influence_rest_customers, advocacy_positive, advocacy_negative, advocacy_reach,
    advocacy_event_kind, advocacy_event_at, advocacy_event_counterparty, advocacy_event_damping,
    advocacy_event_points, contagion_loss, value_model, contract_renewals, contract_active,
    contract_amount)
  VALUES (
    n.customer, n.social_consent, n.monetary_value, n.p_alive, n.expected_purchases,
    n.referral_value, n.influence_value, n.advocacy_points, n.advocate_score, n.advocate_label,
    n.nps_class, n.social_adjustment, n.total_value, n.tier, n.monetary_tier, n.needs_review,
    n.pagerank, n.community, n.churn_value_at_risk, n.loss_if_churned, n.computed_at,
    n.customer_key, n.frequency, n.recency, n.age, n.average_spend, n.valence, n.network_value,
    n.retained_share, n.influence_returned, n.influence_to, n.influence_share, n.influence_rest,
    n.influence_rest_customers, n.advocacy_positive, n.advocacy_negative, n.advocacy_reach,
    n.advocacy_event_kind, n.advocacy_event_at, n.advocacy_event_counterparty,
    n.advocacy_event_damping, n.advocacy_event_points, n.contagion_loss, n.value_model,
    n.contract_renewals, n.contract_active, n.contract_amount);
  -- every row of this refresh has computed_at = started (a clock_timestamp
  -- of its start, so no earlier refresh's row has it)
  DELETE FROM scrm.customer_score WHERE computed_at <> started;
  -- each referral's credit, by key
  DELETE FROM scrm.referral_credit;
  INSERT INTO scrm.referral_credit
    (referrer_key, referred_key, referred_value, incrementality, acquisition_saving, referrers, reward_cost,
     credit, computed_at)
  SELECT a.customer_key, b.customer_key, f.referred_value, f.incrementality, f.acquisition_saving, f.referrers,
         f.reward_cost, f.credit, started
  FROM pg_temp._scrm_refresh_referral_credit f
  JOIN pg_temp._scrm_refresh_customer a ON a.customer = f.referrer
  JOIN pg_temp._scrm_refresh_customer b ON b.customer = f.referred;
  -- community clout (SOCIAL.md section 7)
  DELETE FROM scrm.community_score;
  INSERT INTO scrm.community_score
  WITH m AS (
    SELECT community, count(*) AS members, sum(monetary_value) AS monetary_value, sum(total_value) AS total_value,
           sum(referral_value) AS referral_value, sum(influence_value) AS influence_value,
           count(*) FILTER (WHERE advocate_label = 'advocate') AS advocates,
           count(*) FILTER (WHERE advocate_label = 'detractor') AS detractors
    FROM pg_temp._scrm_refresh_total WHERE consent AND community IS NOT NULL GROUP BY community),
  e AS (
    SELECT community, internal_weight AS internal, total_weight AS touching
    FROM scrm._refresh_community_cohesion())
  SELECT m.community, m.members, m.monetary_value, m.total_value, m.referral_value, m.influence_value,
         m.advocates, m.detractors, 100.0 * (m.advocates - m.detractors) / m.members,
         m.total_value, 100 * percent_rank() OVER (ORDER BY m.total_value),
         coalesce(e.internal, 0) / nullif(e.touching, 0), started
  FROM m LEFT JOIN e USING (community);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_write(jsonb) IS
  'Internal: step of scrm.refresh: tiers, then the results replace those of the last refresh.';

-- The tier audit over the configured segments (scrm.tier_audit), for the log
CREATE OR REPLACE FUNCTION scrm._step_audit(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  audit jsonb;
BEGIN
  IF r->'columns' ? 'segments' THEN
    SELECT jsonb_agg(to_jsonb(a) ORDER BY a.segment) INTO audit
    FROM (SELECT array_agg(c.customer_key) AS k, array_agg(q.segment) AS s
          FROM scrm._refresh_input('segments'::text) AS q(customer bigint, segment text)
          JOIN pg_temp._scrm_refresh_customer c USING (customer)) x,
         scrm._tier_audit(x.k, x.s) a;
    r := r || jsonb_build_object('tier_audit', coalesce(audit, '[]'::jsonb));
  END IF;
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_audit(jsonb) IS
  'Internal: step of scrm.refresh: scrm.tier_audit over the configured segments query, for scrm.refresh_log.';

-- Log the run in scrm.refresh_log, with its data check
CREATE OR REPLACE FUNCTION scrm._step_log(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := (r->>'started')::timestamptz;
  n bigint := (SELECT count(*) FROM pg_temp._scrm_refresh_total);
  data_check jsonb := scrm._refresh_check();
  skipped text;
  id bigint;
BEGIN
  -- rows the inputs held but the refresh did not use, by reason
  SELECT string_agg(pg_catalog.format('%s %s (%s)', (c.value->>'rows_skipped'), c.key,
                                      (SELECT string_agg(k.key || ' ' || k.value, ', ' ORDER BY k.key)
                                       FROM jsonb_each_text(c.value->'skipped') k)), '; ' ORDER BY c.key)
    INTO skipped
  FROM jsonb_each(data_check) c WHERE (c.value->>'rows_skipped')::bigint > 0;
  IF skipped IS NOT NULL THEN
    RAISE NOTICE 'scrm.refresh: skipped rows: %', skipped
      USING HINT = 'SELECT * FROM scrm.check() shows the same counts; see the README, Messy data, for the rules.';
  END IF;
  INSERT INTO scrm.refresh_log (started_at, finished_at, as_of, customers, settings, purchase_model, spend_model,
                                row_counts, step_ms, configured_by, data_check, tier_audit, tier_thresholds,
                                purchase_model_kind, mbgnbd_model, paretonbd_model, contract_model, model_selection)
  VALUES (started, clock_timestamp(), (r->>'as_of')::timestamptz, n, r->'settings',
          CASE WHEN r->>'purchase_model_kind' = 'bgnbd' THEN (r->>'purchase_model')::scrm.bgnbd END,
          (r->>'spend_model')::scrm.gammagamma,
          r->'row_counts', r->'step_ms', (r->>'configured_by')::regrole, data_check, r->'tier_audit',
          jsonb_build_object('excellent_from', r->'excellent_from', 'exceptional_from', r->'exceptional_from',
                             'over', r->'thresholds_over'),
          r->>'purchase_model_kind',
          CASE WHEN r->>'purchase_model_kind' = 'mbgnbd' THEN (r->>'purchase_model')::scrm.mbgnbd END,
          CASE WHEN r->>'purchase_model_kind' = 'paretonbd' THEN (r->>'purchase_model')::scrm.paretonbd END,
          (r->>'contract_model')::scrm.sbg, r->'model_selection')
  RETURNING refresh_log.id INTO id;
  RETURN r || jsonb_build_object('refresh_id', id, 'customers', n, 'data_check', data_check);
END
$$;

COMMENT ON FUNCTION scrm._step_log(jsonb) IS
  'Internal: step of scrm.refresh: logs the run in scrm.refresh_log with its data check, and reports skipped rows.';

-- Keep a snapshot of every customer for BI, the last history_keep refreshes
CREATE OR REPLACE FUNCTION scrm._step_history(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  keep integer := (r->'settings'->>'history_keep')::integer;
  id bigint := (r->>'refresh_id')::bigint;
BEGIN
  IF keep > 0 THEN
    INSERT INTO scrm.customer_history
    SELECT id, s.customer_key, s.customer, s.monetary_value, s.referral_value, s.influence_value, s.advocacy_points,
           s.social_adjustment, s.total_value, s.tier, s.monetary_tier, s.computed_at
    FROM scrm.customer_score s;
  END IF;
  -- older than the last keep refreshes (this one logged already): a range
  -- of the primary key, not a pass over every snapshot
  IF keep = 0 THEN
    DELETE FROM scrm.customer_history;
  ELSE
    DELETE FROM scrm.customer_history h
    WHERE h.refresh_id < (SELECT min(l.id) FROM (SELECT x.id FROM scrm.refresh_log x ORDER BY x.id DESC LIMIT keep) l);
  END IF;
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_history(jsonb) IS
  'Internal: step of scrm.refresh: a snapshot of every customer in scrm.customer_history; snapshots beyond '
  'the last history_keep refreshes are dropped.';

-- Drop the work tables, give the session its settings back, return the summary
CREATE OR REPLACE FUNCTION scrm._step_finish(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := (r->>'started')::timestamptz;
BEGIN
  -- drop the work tables now, so a second refresh in this transaction can
  -- create them again (a failed refresh takes them with its rollback)
  DROP TABLE pg_temp._scrm_refresh_customer, pg_temp._scrm_refresh_rfm, pg_temp._scrm_refresh_contract,
             pg_temp._scrm_refresh_pagerank,
             pg_temp._scrm_refresh_community, pg_temp._scrm_refresh_event_summary, pg_temp._scrm_refresh_advocacy,
             pg_temp._scrm_refresh_value, pg_temp._scrm_refresh_referral_credit, pg_temp._scrm_refresh_referral,
             pg_temp._scrm_refresh_influence,
             pg_temp._scrm_refresh_total, pg_temp._scrm_refresh_churn;
  PERFORM set_config('work_mem', r->>'caller_work_mem', true);
  PERFORM set_config('TimeZone', r->>'caller_time_zone', true);
  PERFORM scrm._step_begin(NULL::text);
  RETURN jsonb_build_object('customers', r->'customers', 'as_of', r->'as_of', 'row_counts', r->'row_counts',
                            'step_ms', r->'step_ms', 'data_check', r->'data_check', 'refresh_id', r->'refresh_id',
                            'total_ms', round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1));
END
$$;

COMMENT ON FUNCTION scrm._step_finish(jsonb) IS
  'Internal: last step of scrm.refresh: drops the work tables, restores the session''s settings and returns the summary.';

-- jit off while refresh runs: its statements run once each over work tables
-- without statistics, whose wild row estimates made PostgreSQL spend up to a
-- quarter of a second compiling a plan that runs for less
CREATE OR REPLACE FUNCTION scrm.refresh()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
  r jsonb := scrm._step_start();
  t timestamptz;
BEGIN
  t := scrm._step_begin('customers'::text); r := scrm._step_done(scrm._step_customers(r), 'customers'::text, t);
  t := scrm._step_begin('rfm'::text); r := scrm._step_done(scrm._step_rfm(r), 'rfm'::text, t);
  t := scrm._step_begin('contracts'::text); r := scrm._step_done(scrm._step_contracts(r), 'contracts'::text, t);
  t := scrm._step_begin('model fits'::text); r := scrm._step_done(scrm._step_fits(r), 'model fits'::text, t);
  t := scrm._step_begin('graph'::text); r := scrm._step_done(scrm._step_graph(r), 'graph'::text, t);
  t := scrm._step_begin('pagerank and communities'::text); r := scrm._step_done(scrm._step_centrality(r), 'pagerank and communities'::text, t);
  t := scrm._step_begin('advocacy'::text); r := scrm._step_done(scrm._step_advocacy(r), 'advocacy'::text, t);
  t := scrm._step_begin('clv'::text); r := scrm._step_done(scrm._step_clv(r), 'clv'::text, t);
  t := scrm._step_begin('referral and influence value'::text); r := scrm._step_done(scrm._step_social(r), 'referral and influence value'::text, t);
  t := scrm._step_begin('social adjustment and tiers'::text); r := scrm._step_done(scrm._step_adjustment(r), 'social adjustment and tiers'::text, t);
  t := scrm._step_begin('churn impact'::text); r := scrm._step_done(scrm._step_churn(r), 'churn impact'::text, t);
  t := scrm._step_begin('write results'::text); r := scrm._step_done(scrm._step_write(r), 'write results'::text, t);
  t := scrm._step_begin('tier audit'::text); r := scrm._step_done(scrm._step_audit(r), 'tier audit'::text, t);
  t := scrm._step_begin('log'::text); r := scrm._step_done(scrm._step_log(r), 'log'::text, t);
  t := scrm._step_begin('history'::text); r := scrm._step_done(scrm._step_history(r), 'history'::text, t);
  RETURN scrm._step_finish(r);
END
$$;

COMMENT ON FUNCTION scrm.refresh() IS
  'Runs the whole pipeline over the configured inputs in one transaction: RFM, the purchase model (setting '
  'purchase_model) and Gamma-Gamma fits, sBG for the subscribers of the contracts input, CLV, the relationship graph of consenting customers, PageRank, communities, advocacy with '
  'network reach, NPS class, referral and influence value, social adjustment, tiers, churn impact and '
  'community clout. The configured queries run as the role that configured them, read-only, whoever '
  'refreshes. Replaces the results read by scrm.customer_value and scrm.community_clout atomically '
  '(one refresh at a time: a second one waits for the first to end; readers are never blocked), '
  'logs the run in scrm.refresh_log and returns a summary (row counts, per-step milliseconds). NOTICE '
  'messages report each step.';
