-- The tier audit (issue 16): do the tiers treat segments of customers
-- alike?  Every function here is CREATE OR REPLACE so that an upgrade script
-- can run this file again.

CREATE OR REPLACE FUNCTION scrm._segments(segments text)
RETURNS TABLE (customer_key text, segment text)
AS 'MODULE_PATHNAME', 'scrm_segments'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm._segments(text) IS
  'Internal: the rows of a segments query (customer of the configured key type, segment text), run as the '
  'caller, with the key as text as in scrm.customer_value.customer_key.';

-- the audit of (customer_key, segment) pairs given as two arrays
CREATE OR REPLACE FUNCTION scrm._tier_audit(keys text[], segments text[])
RETURNS TABLE (segment text, customers bigint, monetary_rate float8, final_rate float8,
               monetary_impact_ratio float8, final_impact_ratio float8,
               below_four_fifths boolean, lowered_by_social boolean, flagged boolean)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH s AS (
    SELECT DISTINCT q.customer_key, q.segment FROM unnest(keys, segments) q(customer_key, segment)
    WHERE q.segment IS NOT NULL),
  rates AS (
    SELECT s.segment, count(*) AS customers,
           avg(CASE WHEN v.monetary_tier IN ('excellent', 'exceptional') THEN 1.0 ELSE 0.0 END)::float8 AS monetary_rate,
           avg(CASE WHEN v.tier IN ('excellent', 'exceptional') THEN 1.0 ELSE 0.0 END)::float8 AS final_rate
    FROM s JOIN scrm.customer_value v ON v.customer_key = s.customer_key
    GROUP BY s.segment),
  ratios AS (
    SELECT r.*, r.monetary_rate / nullif(max(r.monetary_rate) OVER (), 0) AS mir,
           r.final_rate / nullif(max(r.final_rate) OVER (), 0) AS fir
    FROM rates r)
  SELECT x.segment, x.customers, x.monetary_rate, x.final_rate, x.mir, x.fir,
         coalesce(x.fir < 0.8, false), coalesce(x.fir < x.mir - 1e-12, false),
         coalesce(x.fir < 0.8, false) OR coalesce(x.fir < x.mir - 1e-12, false)
  FROM ratios x
  ORDER BY x.segment
$$;

COMMENT ON FUNCTION scrm._tier_audit(text[], text[]) IS
  'Internal: scrm.tier_audit of the (customer key, segment) pairs of two arrays.';

CREATE OR REPLACE FUNCTION scrm.tier_audit(segments text)
RETURNS TABLE (segment text, customers bigint, monetary_rate float8, final_rate float8,
               monetary_impact_ratio float8, final_impact_ratio float8,
               below_four_fifths boolean, lowered_by_social boolean, flagged boolean)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.* FROM (SELECT array_agg(q.customer_key) AS k, array_agg(q.segment) AS s FROM scrm._segments(segments) q) x,
                  scrm._tier_audit(x.k, x.s) a
$$;

COMMENT ON FUNCTION scrm.tier_audit(text) IS
  'Adverse-impact audit of the tiers of the last scrm.refresh. segments: SQL returning customer, segment '
  '(text; e.g. region, age band), run as the caller. Per segment: the scored customers, the share reaching '
  'excellent or better with monetary-only tiers (monetary_rate) and with the final tiers (final_rate), each '
  'divided by the highest segment''s share (the impact ratios; the four-fifths rule of the US Uniform '
  'Guidelines on Employee Selection Procedures, 1978), below_four_fifths when the final ratio is under 0.8, '
  'lowered_by_social when the social adjustment lowered the ratio, and flagged when either holds. '
  'scrm.configure(segments => ...) has every refresh log it in scrm.refresh_log.tier_audit.';
