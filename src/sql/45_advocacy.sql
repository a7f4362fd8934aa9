-- Advocacy (SPEC section 3, SOCIAL.md section 3) and referral value (SOCIAL.md section 1).

CREATE TABLE scrm.advocacy_kind (
    kind text PRIMARY KEY CHECK (kind <> ''),
    weight float8 NOT NULL CHECK (weight > '-infinity' AND weight < 'infinity'),
    description text
);

COMMENT ON TABLE scrm.advocacy_kind IS
  'Advocacy event kinds and their weights (SOCIAL.md section 3), read by scrm.advocacy. Editable: '
  'change a weight, add a kind, or set a weight to 0 to retire a kind. Kept by pg_dump. Kinds '
  'ending in _mention are multiplied by reach min(4, 1 + log10(1 + audience)); survey is '
  'multiplied by +1 (score 9-10), 0 (7-8) or -1 (0-6); answer_accepted, helped_customer, '
  'referral_converted and referral_sent count as helping a counterparty for the advocate label.';
COMMENT ON COLUMN scrm.advocacy_kind.kind IS 'event kind, as passed to scrm.advocacy';
COMMENT ON COLUMN scrm.advocacy_kind.weight IS 'points of one fresh, undamped event (negative for detraction)';
COMMENT ON COLUMN scrm.advocacy_kind.description IS 'what the kind means';

INSERT INTO scrm.advocacy_kind (kind, weight, description) VALUES
  ('answer_accepted', 5, 'their answer solved another customer''s problem'),
  ('helped_customer', 3, 'helped another customer (needs a counterparty)'),
  ('defended_brand', 4, 'defended the brand in public; count only verified or moderated events'),
  ('referral_converted', 6, 'a referral that became a customer: the strongest proof, intent is not action'),
  ('referral_sent', 0.5, 'a referral not (yet) converted'),
  ('co_created', 4, 'an idea or feedback the company adopted (co-creation)'),
  ('positive_mention', 1, 'a favourable review or post, times reach'),
  ('negative_mention', -2, 'an unfavourable review or post, times reach (rarer than positive, so more telling)'),
  ('complaint', -1, 'an open complaint'),
  ('complaint_resolved', 0, 'a resolved complaint: service recovery is not detraction'),
  ('survey', 1, 'survey answer: +1 for 9-10, 0 for 7-8, -1 for 0-6; only the latest within 365 days counts');

-- pg_dump keeps every row.  On restore CREATE EXTENSION inserts the shipped
-- rows first; this trigger replaces a row whose key is inserted again, so the
-- dumped (possibly edited) rows come back instead of failing on the key.
CREATE FUNCTION scrm._replace_on_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('DELETE FROM %I.%I WHERE %I = $1.%I',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0]) USING NEW;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION scrm._replace_on_insert() IS
  'Internal: inserting a row whose key (the trigger argument) exists replaces it, so pg_dump output '
  'restores over the shipped defaults of a configuration table.';

CREATE TRIGGER advocacy_kind_replace
BEFORE INSERT ON scrm.advocacy_kind
FOR EACH ROW EXECUTE FUNCTION scrm._replace_on_insert('kind');

SELECT pg_catalog.pg_extension_config_dump('scrm.advocacy_kind', '');

CREATE TYPE scrm.advocacy_summary AS (
    positive float8,
    negative float8,
    net float8,
    advocate_score integer,
    detractor_index integer,
    valence float8,
    distinct_counterparties integer,
    label text
);

COMMENT ON TYPE scrm.advocacy_summary IS 'Result of scrm.advocacy: a customer''s advocacy, part by part (SOCIAL.md section 3).';
COMMENT ON COLUMN scrm.advocacy_summary.positive IS 'sum of positive contributions (weight * reach * damping * decay)';
COMMENT ON COLUMN scrm.advocacy_summary.negative IS 'sum of the absolute negative contributions';
COMMENT ON COLUMN scrm.advocacy_summary.net IS 'positive - negative';
COMMENT ON COLUMN scrm.advocacy_summary.advocate_score IS 'round(100 * (1 - exp(-max(net, 0) / 10))), 0..100';
COMMENT ON COLUMN scrm.advocacy_summary.detractor_index IS 'round(100 * (1 - exp(-max(-net, 0) / 10))), 0..100';
COMMENT ON COLUMN scrm.advocacy_summary.valence IS '1 - 2 * negative / (positive + negative + 2): 1 without evidence, towards -1 for a pure detractor';
COMMENT ON COLUMN scrm.advocacy_summary.distinct_counterparties IS 'distinct customers helped, answered for or referred';
COMMENT ON COLUMN scrm.advocacy_summary.label IS 'advocate, promoter_only, detractor or neutral';

CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval, bigint, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'scrm_advocacy_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_final(internal)
RETURNS scrm.advocacy_summary AS 'MODULE_PATHNAME', 'scrm_advocacy_final' LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval, bigint, integer) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_combine(internal, internal) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_serialize(internal) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_deserialize(bytea, internal) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_final(internal) IS 'support function of scrm.advocacy';

-- SSPACE: the average state (a customer's events, 32 bytes each, in an array
-- of at least 16), so GROUP BY customer is planned in memory (see scrm.rfm).
CREATE FUNCTION scrm._advocate_label(score integer, detractor integer, distinct_counterparties integer,
                                     converted boolean, survey_score integer)
RETURNS text AS 'MODULE_PATHNAME', 'scrm_advocate_label' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION scrm._advocate_label(integer, integer, integer, boolean, integer) IS
  'Internal: the advocate label (SOCIAL.md section 3) from an advocate score, a detractor index, the distinct '
  'counterparties helped, whether a referral converted and the survey score that counts (NULL: none), as '
  'scrm.advocacy labels; scrm.refresh labels its scores with network reach with it.';

CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);
CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz,
                               counterparty bigint, audience bigint) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);
CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz,
                               counterparty bigint, audience bigint, half_life interval) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);
CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz,
                               counterparty bigint, audience bigint, half_life interval,
                               customer bigint, score integer) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);

COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz) IS
  'A customer''s advocacy (SOCIAL.md section 3), GROUP BY customer: each event contributes its '
  'scrm.advocacy_kind weight, decayed by half every 180 days before as_of; events after as_of or '
  'older than 3 years are ignored. Returns scrm.advocacy_summary. An unknown kind is an error.';
COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz, bigint, bigint) IS
  'scrm.advocacy with the counterparty (the k-th event of one kind with the same counterparty in 30 '
  'days counts 1/k, and helped counterparties decide the advocate label) and the audience of '
  'mentions (reach = min(4, 1 + log10(1 + audience))).';
COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz, bigint, bigint, interval) IS
  'scrm.advocacy with counterparty, audience and the decay half_life (default 180 days).';
COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz, bigint, bigint, interval, bigint, integer) IS
  'scrm.advocacy, full form: also the customer (events whose counterparty is the customer are '
  'dropped) and the 0..10 score of survey events (+1 for 9-10, 0 for 7-8, -1 for 0-6; only the '
  'latest survey within 365 days counts; promoter_only labels a 9-10 survey without advocacy).';

CREATE FUNCTION scrm.referral_value(
    referrals text,
    customer_value text,
    incrementality float8 DEFAULT 0.5,
    acquisition_saving float8 DEFAULT 0)
RETURNS TABLE (node bigint, referral_value float8, referred integer)
AS 'MODULE_PATHNAME', 'scrm_referral_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.referral_value(text, text, float8, float8) IS
  'Customer referral value (Kumar, Petersen & Leone 2007; SOCIAL.md section 1). referrals: SQL '
  'returning referrer, referred [, reward_cost, incrementality]; customer_value: SQL returning node, '
  'value (customers without a row are worth 0). A referred customer j is attributed kappa_j * value_j '
  '+ (1 - kappa_j) * acquisition_saving (kappa_j = their incrementality, else the parameter), split '
  'equally among j''s referrers; each referrer is charged the rewards they were paid. Self-referrals '
  'are ignored, duplicate rows are one referral (rewards add up). The values sum to the attributed '
  'value of all referred customers minus all rewards. referred = customers this one referred. Every '
  'referrer, referred and valued customer is returned.';
