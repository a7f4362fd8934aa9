-- Integration (SPEC section 4, SOCIAL.md sections 5 and 7-10): configure a
-- CRM's own tables once, refresh every score in one call, read the views.

CREATE TABLE scrm.relationship_kind (
    kind text PRIMARY KEY CHECK (kind <> ''),
    weight float8 NOT NULL CHECK (weight >= 0 AND weight <= 1),
    bidirectional boolean NOT NULL,
    description text
);

COMMENT ON TABLE scrm.relationship_kind IS
  'Relationship kinds and their weights (SOCIAL.md section 10), read by scrm.refresh. A relationship '
  'of a kind gives the edge strength weight * strength * 2^(-age / 365 days); a bidirectional kind also '
  'gives the reverse edge. Editable, kept by pg_dump.';
COMMENT ON COLUMN scrm.relationship_kind.kind IS 'relationship kind, as in the relationships query';
COMMENT ON COLUMN scrm.relationship_kind.weight IS 'strength of the tie, 0..1';
COMMENT ON COLUMN scrm.relationship_kind.bidirectional IS 'true when influence runs both ways';
COMMENT ON COLUMN scrm.relationship_kind.description IS 'what the kind means';

INSERT INTO scrm.relationship_kind (kind, weight, bidirectional, description) VALUES
  ('household', 1.0, true, 'same household'),
  ('family', 0.8, true, 'family member'),
  ('referral', 0.8, false, 'the source referred the target'),
  ('friend', 0.6, true, 'friend'),
  ('colleague', 0.5, true, 'colleague'),
  ('helped', 0.4, false, 'the source helped the target'),
  ('community', 0.2, true, 'member of the same online community'),
  ('follows', 0.1, false, 'the target follows the source');

CREATE TRIGGER relationship_kind_replace
BEFORE INSERT ON scrm.relationship_kind
FOR EACH ROW EXECUTE FUNCTION scrm._replace_on_insert('kind');

SELECT pg_catalog.pg_extension_config_dump('scrm.relationship_kind', '');

-- the configuration: one row, written by scrm.configure
CREATE TABLE scrm.config (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    customers text NOT NULL,
    purchases text NOT NULL,
    relationships text,
    interactions text,
    referrals text,
    surveys text,
    settings jsonb NOT NULL DEFAULT '{}',
    columns jsonb NOT NULL DEFAULT '{}',
    configured_at timestamptz NOT NULL DEFAULT now(),
    configured_by regrole NOT NULL,
    key_type regtype NOT NULL,
    time_zone text NOT NULL,
    segments text
);

COMMENT ON TABLE scrm.config IS
  'The pipeline configuration written by scrm.configure: the inner queries over the CRM''s tables in '
  'canonical form (every name schema-qualified), the settings given (defaults apply to the others), the '
  'columns each query returns and the role the queries run as. Kept by pg_dump.';
COMMENT ON COLUMN scrm.config.id IS 'always true: one configuration';
COMMENT ON COLUMN scrm.config.customers IS 'SQL returning customer [, social_consent]';
COMMENT ON COLUMN scrm.config.purchases IS 'SQL returning customer, purchased_at, amount';
COMMENT ON COLUMN scrm.config.relationships IS 'SQL returning source, target [, kind, strength, last_interaction_at]';
COMMENT ON COLUMN scrm.config.interactions IS 'SQL returning customer, kind, occurred_at [, counterparty, audience, resolved]';
COMMENT ON COLUMN scrm.config.referrals IS 'SQL returning referrer, referred [, reward_cost, incrementality]';
COMMENT ON COLUMN scrm.config.surveys IS 'SQL returning customer, score, answered_at';
COMMENT ON COLUMN scrm.config.settings IS 'settings given to scrm.configure (SOCIAL.md section 9)';
COMMENT ON COLUMN scrm.config.columns IS 'columns found in each query at configure time';
COMMENT ON COLUMN scrm.config.configured_at IS 'when scrm.configure ran';
COMMENT ON COLUMN scrm.config.key_type IS
  'the type of the customer keys (the customers query''s customer column); every input keys customers the same way';
COMMENT ON COLUMN scrm.config.time_zone IS
  'the TimeZone of scrm.configure: refresh reads the queries and counts purchase days in it, so a timestamp '
  'without time zone means the same instant whoever refreshes';
COMMENT ON COLUMN scrm.config.segments IS 'SQL returning customer, segment: refresh runs scrm.tier_audit over it and logs the result';
COMMENT ON COLUMN scrm.config.configured_by IS
  'the role that configured: scrm.refresh runs every query as this role, whoever refreshes; a row may name '
  'only a role its writer is a member of';

SELECT pg_catalog.pg_extension_config_dump('scrm.config', '');

-- results of the last refresh
CREATE TABLE scrm.customer_score (
    customer bigint,
    social_consent boolean NOT NULL,
    monetary_value float8 NOT NULL,
    p_alive float8,
    expected_purchases float8,
    referral_value float8,
    influence_value float8,
    advocacy_points float8,
    advocate_score integer,
    advocate_label text,
    nps_class text,
    social_adjustment float8,
    total_value float8 NOT NULL,
    tier text NOT NULL,
    monetary_tier text NOT NULL,
    needs_review boolean NOT NULL,
    pagerank float8,
    community bigint,
    churn_value_at_risk float8,
    loss_if_churned float8,
    computed_at timestamptz NOT NULL,
    customer_key text PRIMARY KEY
) WITH (fillfactor = 45);	-- room on each page for a refresh's HOT updates (scrm._step_write)

-- lookups by an integer key (NULL, so not indexed, for other key types)
CREATE UNIQUE INDEX customer_score_customer ON scrm.customer_score (customer);

COMMENT ON TABLE scrm.customer_score IS 'Internal: per-customer results of the last scrm.refresh; read scrm.customer_value.';

CREATE TABLE scrm.community_score (
    community bigint PRIMARY KEY,
    members integer NOT NULL,
    monetary_value float8 NOT NULL,
    total_value float8 NOT NULL,
    referral_value float8 NOT NULL,
    influence_value float8 NOT NULL,
    advocates integer NOT NULL,
    detractors integer NOT NULL,
    net_advocacy float8 NOT NULL,
    clout float8 NOT NULL,
    clout_index float8 NOT NULL,
    internal_edge_share float8,
    computed_at timestamptz NOT NULL
);

COMMENT ON TABLE scrm.community_score IS 'Internal: per-community results of the last scrm.refresh; read scrm.community_clout.';

CREATE TABLE scrm.refresh_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    as_of timestamptz NOT NULL,
    customers bigint NOT NULL,
    settings jsonb NOT NULL,
    purchase_model scrm.bgnbd,
    spend_model scrm.gammagamma,
    row_counts jsonb NOT NULL,
    step_ms jsonb NOT NULL,
    configured_by regrole,
    data_check jsonb,
    tier_audit jsonb
);

COMMENT ON TABLE scrm.refresh_log IS
  'One row per scrm.refresh: when it ran, as_of, the settings in force (defaults included), the model '
  'fits, row counts of each input, the time of each step in milliseconds, the role the input queries ran as '
  'the data check (see scrm.check): per input the rows read, used and skipped by reason, and the tier audit '
  'over the configured segments (scrm.tier_audit), when configured.';

SELECT pg_catalog.pg_extension_config_dump('scrm.customer_score', '');
SELECT pg_catalog.pg_extension_config_dump('scrm.community_score', '');
SELECT pg_catalog.pg_extension_config_dump('scrm.refresh_log', '');
SELECT pg_catalog.pg_extension_config_dump('scrm.refresh_log_id_seq', '');

-- views for applications and BI tools
CREATE VIEW scrm.customer_value AS
SELECT customer, monetary_value, p_alive, expected_purchases, referral_value, influence_value,
       advocacy_points, advocate_score, advocate_label, nps_class, social_adjustment, total_value,
       tier, monetary_tier, needs_review, social_consent, pagerank, community,
       churn_value_at_risk, loss_if_churned, computed_at, customer_key
FROM scrm.customer_score;

COMMENT ON VIEW scrm.customer_value IS
  'One row per customer from the last scrm.refresh: monetary value (CLV), social value part by part, '
  'total value and service tier. Social columns are NULL for customers without social consent.';
COMMENT ON COLUMN scrm.customer_value.customer IS 'customer id, as in the customers query, when the keys are integers (NULL otherwise)';
COMMENT ON COLUMN scrm.customer_value.customer_key IS
  'the customer key as text, as in the customers query (uuid in canonical form, char(n) without padding): '
  'join with e.g. ON c.id = v.customer_key::uuid';
COMMENT ON COLUMN scrm.customer_value.monetary_value IS 'customer lifetime value: BG/NBD x Gamma-Gamma, discounted (0 without purchases)';
COMMENT ON COLUMN scrm.customer_value.p_alive IS 'probability the customer is still active (BG/NBD); NULL without purchases';
COMMENT ON COLUMN scrm.customer_value.expected_purchases IS 'purchases expected over the CLV horizon (BG/NBD)';
COMMENT ON COLUMN scrm.customer_value.referral_value IS 'value of the customers they referred, credit split (SOCIAL.md section 1)';
COMMENT ON COLUMN scrm.customer_value.influence_value IS 'value of other customers credited to them through relationships (SOCIAL.md section 2)';
COMMENT ON COLUMN scrm.customer_value.advocacy_points IS 'net advocacy evidence, positive part multiplied by network reach (SOCIAL.md section 3)';
COMMENT ON COLUMN scrm.customer_value.advocate_score IS 'advocate score 0..100 from advocacy_points';
COMMENT ON COLUMN scrm.customer_value.advocate_label IS 'advocate, promoter_only, detractor or neutral';
COMMENT ON COLUMN scrm.customer_value.nps_class IS 'promoter, passive or detractor from the latest survey within 365 days';
COMMENT ON COLUMN scrm.customer_value.social_adjustment IS 'total_value - monetary_value: referral + valence * influence, capped at cap * monetary (SOCIAL.md section 4)';
COMMENT ON COLUMN scrm.customer_value.total_value IS 'monetary value plus the social adjustment';
COMMENT ON COLUMN scrm.customer_value.tier IS 'service tier: good, excellent or exceptional (SOCIAL.md section 5)';
COMMENT ON COLUMN scrm.customer_value.monetary_tier IS 'the tier monetary value alone would give';
COMMENT ON COLUMN scrm.customer_value.needs_review IS 'tier_policy symmetric: social evidence lowered the tier below the monetary tier';
COMMENT ON COLUMN scrm.customer_value.social_consent IS 'whether the customer entered social processing (consent_mode)';
COMMENT ON COLUMN scrm.customer_value.pagerank IS 'PageRank in the relationship graph';
COMMENT ON COLUMN scrm.customer_value.community IS 'detected community';
COMMENT ON COLUMN scrm.customer_value.churn_value_at_risk IS 'p_churn * loss_if_churned, p_churn = 1 - p_alive (SOCIAL.md section 6)';
COMMENT ON COLUMN scrm.customer_value.loss_if_churned IS 'own value plus the value expected to follow through churn contagion; summed over customers it double counts';
COMMENT ON COLUMN scrm.customer_value.computed_at IS 'start of the refresh that computed the row';

CREATE VIEW scrm.community_clout AS
SELECT community, members, monetary_value, total_value, referral_value, influence_value,
       advocates, detractors, net_advocacy, clout, clout_index, internal_edge_share, computed_at
FROM scrm.community_score;

COMMENT ON VIEW scrm.community_clout IS 'One row per community from the last scrm.refresh (SOCIAL.md section 7), consenting members only.';
COMMENT ON COLUMN scrm.community_clout.community IS 'community id, as in scrm.customer_value';
COMMENT ON COLUMN scrm.community_clout.members IS 'members';
COMMENT ON COLUMN scrm.community_clout.monetary_value IS 'sum of the members'' monetary value';
COMMENT ON COLUMN scrm.community_clout.total_value IS 'sum of the members'' total value';
COMMENT ON COLUMN scrm.community_clout.referral_value IS 'sum of the members'' referral value';
COMMENT ON COLUMN scrm.community_clout.influence_value IS 'sum of the members'' influence value';
COMMENT ON COLUMN scrm.community_clout.advocates IS 'members labelled advocate';
COMMENT ON COLUMN scrm.community_clout.detractors IS 'members labelled detractor';
COMMENT ON COLUMN scrm.community_clout.net_advocacy IS '(advocates - detractors) / members * 100';
COMMENT ON COLUMN scrm.community_clout.clout IS 'sum of the members'' total value';
COMMENT ON COLUMN scrm.community_clout.clout_index IS 'percentile rank of clout among communities, 0..100';
COMMENT ON COLUMN scrm.community_clout.internal_edge_share IS 'share of the members'' tie strength that stays inside the community, ties inside counting at both ends (cohesion)';
COMMENT ON COLUMN scrm.community_clout.computed_at IS 'start of the refresh that computed the row';

CREATE VIEW scrm.top_advocates AS
SELECT customer, advocate_score, advocacy_points, referral_value, influence_value, total_value, tier, community,
       customer_key
FROM scrm.customer_score
WHERE advocate_label = 'advocate'
ORDER BY advocate_score DESC, advocacy_points DESC, customer, customer_key;

COMMENT ON VIEW scrm.top_advocates IS 'Customers labelled advocate by the last scrm.refresh, best first.';
COMMENT ON COLUMN scrm.top_advocates.customer IS 'customer id when the keys are integers (NULL otherwise)';
COMMENT ON COLUMN scrm.top_advocates.customer_key IS 'the customer key as text';
COMMENT ON COLUMN scrm.top_advocates.advocate_score IS 'advocate score 0..100';
COMMENT ON COLUMN scrm.top_advocates.advocacy_points IS 'net advocacy evidence with network reach';
COMMENT ON COLUMN scrm.top_advocates.referral_value IS 'referral value';
COMMENT ON COLUMN scrm.top_advocates.influence_value IS 'influence value';
COMMENT ON COLUMN scrm.top_advocates.total_value IS 'total value';
COMMENT ON COLUMN scrm.top_advocates.tier IS 'service tier';
COMMENT ON COLUMN scrm.top_advocates.community IS 'community';

CREATE VIEW scrm.model_fit AS
SELECT 'bgnbd'::text AS model, scrm.params(l.purchase_model) AS params, l.finished_at AS fitted_at, l.as_of
FROM (SELECT purchase_model, finished_at, as_of FROM scrm.refresh_log ORDER BY id DESC LIMIT 1) l
UNION ALL
SELECT 'gammagamma', scrm.params(l.spend_model), l.finished_at, l.as_of
FROM (SELECT spend_model, finished_at, as_of FROM scrm.refresh_log ORDER BY id DESC LIMIT 1) l;

COMMENT ON VIEW scrm.model_fit IS 'The model fits of the last scrm.refresh, one row per model.';
COMMENT ON COLUMN scrm.model_fit.model IS 'bgnbd (purchases) or gammagamma (spend)';
COMMENT ON COLUMN scrm.model_fit.params IS 'parameters, log-likelihood, customers and convergence, as scrm.params returns them';
COMMENT ON COLUMN scrm.model_fit.fitted_at IS 'when the refresh finished';
COMMENT ON COLUMN scrm.model_fit.as_of IS 'observation end of the fit';
