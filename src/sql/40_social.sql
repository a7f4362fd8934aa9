-- Social value (SPEC section 3, SOCIAL.md): the scalar pieces.

CREATE FUNCTION scrm.social_value(
    monetary float8,
    referral float8,
    influence float8,
    valence float8 DEFAULT 1,
    cap float8 DEFAULT 0.5,
    floor float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_social_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION scrm.social_value(float8, float8, float8, float8, float8, float8) IS
  'Total value = monetary + clamp(referral + valence * influence, -cap * B, +cap * B) with '
  'B = max(monetary, floor) (SOCIAL.md section 4). Social value adjusts monetary value and never '
  'overrides it: |total - monetary| <= cap * B, total is non-decreasing in monetary, and a monetary '
  'ratio of (1 + cap) / (1 - cap) or more is never reversed. cap in [0, 1), valence in [-1, 1], floor >= 0.';

CREATE FUNCTION scrm.service_tier(total_value float8, excellent_from float8, exceptional_from float8)
RETURNS text
AS 'MODULE_PATHNAME', 'scrm_service_tier'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION scrm.service_tier(float8, float8, float8) IS
  'Service tier of a value: exceptional from exceptional_from, excellent from excellent_from, '
  'else good (SOCIAL.md section 5). excellent_from must not exceed exceptional_from.';

CREATE FUNCTION scrm.nps_class(score integer)
RETURNS text
AS 'MODULE_PATHNAME', 'scrm_nps_class'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION scrm.nps_class(integer) IS
  'Net Promoter class of a 0..10 survey score (Reichheld 2003): promoter (9-10), passive (7-8), '
  'detractor (0-6). A score outside 0..10 is an error.';

CREATE FUNCTION scrm._nps_trans(bigint[], integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'scrm_nps_trans'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION scrm._nps_trans(bigint[], integer) IS
  'Internal: transition function of scrm.nps (counts promoters, passives, detractors).';

CREATE FUNCTION scrm._nps_combine(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'scrm_nps_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION scrm._nps_combine(bigint[], bigint[]) IS
  'Internal: combine function of scrm.nps (adds the counts of two partial states).';

CREATE FUNCTION scrm._nps_final(bigint[])
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_nps_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION scrm._nps_final(bigint[]) IS
  'Internal: final function of scrm.nps: 100 * (promoters - detractors) / answers, NULL without answers.';

CREATE AGGREGATE scrm.nps(score integer) (
    SFUNC = scrm._nps_trans,
    STYPE = bigint[],
    INITCOND = '{0,0,0}',
    COMBINEFUNC = scrm._nps_combine,
    FINALFUNC = scrm._nps_final,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE scrm.nps(integer) IS
  'Net Promoter Score of 0..10 survey answers: % promoters (9-10) minus % detractors (0-6), '
  'from -100 to 100 (Reichheld 2003). NULL answers are skipped; NULL without answers. A score '
  'outside 0..10 is an error.';

CREATE FUNCTION scrm.influence_value(
    edges text,
    customer_value text,
    autonomy float8 DEFAULT 1.0,
    hop_continuation float8 DEFAULT 0.5)
RETURNS TABLE (node bigint, influence_value float8, retained_share float8)
AS 'MODULE_PATHNAME', 'scrm_influence_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.influence_value(text, text, float8, float8) IS
  'Customer influence value by the credit walk of SOCIAL.md section 2: the value of OTHER customers '
  'credited to each customer through relationships. edges: SQL returning source, target [, weight]; '
  'source influences target, weight = strength in [0, 1] (default 1; duplicates combine by noisy-OR, '
  'self-loops are dropped). customer_value: SQL returning node, value (graph nodes without a row are '
  'worth 0; valued customers without edges are returned with 0). autonomy > 0 is the weight of a '
  'customer''s own judgement, hop_continuation in (0, 1) the share of credit passed on per hop. '
  'retained_share is the share of a customer''s own value that stays theirs; sum of retained_share * '
  'z equals the total positive value, so zero-value accounts add no credit to anyone.';

CREATE FUNCTION scrm.churn_impact(
    edges text,
    customer_value text,
    contagion float8 DEFAULT 0.8,
    half_life_months float8 DEFAULT 3,
    horizon_months float8 DEFAULT 12)
RETURNS TABLE (node bigint, own_value float8, contagion_loss float8,
               loss_if_churned float8, value_at_risk float8)
AS 'MODULE_PATHNAME', 'scrm_churn_impact'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.churn_impact(text, text, float8, float8, float8) IS
  'What losing each customer costs (SOCIAL.md section 6, Nitzan & Libai 2011): own value plus the '
  'value expected to follow through churn contagion to the customers they influence. edges as in '
  'scrm.influence_value; customer_value: SQL returning node, value, p_churn (p_churn in [0, 1]). '
  'contagion is the hazard increase of a defecting neighbour (0.8 = +80%), decaying with '
  'half_life_months over horizon_months. value_at_risk = p_churn * loss_if_churned. contagion_loss '
  'is per customer: summed over customers it double counts and is not a firm-level total.';
