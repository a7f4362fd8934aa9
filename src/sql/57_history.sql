-- History for BI (issue 16): a snapshot of every customer per refresh, the
-- last history_keep refreshes (a setting, default 12), and the tier
-- migrations between the last two.

CREATE TABLE scrm.customer_history (
    refresh_id bigint NOT NULL,
    customer_key text NOT NULL,
    customer bigint,
    monetary_value float8 NOT NULL,
    referral_value float8,
    influence_value float8,
    advocacy_points float8,
    social_adjustment float8,
    total_value float8 NOT NULL,
    tier text NOT NULL,
    monetary_tier text NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (refresh_id, customer_key)
);

COMMENT ON TABLE scrm.customer_history IS
  'A snapshot of every customer per scrm.refresh (its id in scrm.refresh_log), the last history_keep '
  'refreshes (setting, default 12; 0 keeps none). Kept by pg_dump.';
COMMENT ON COLUMN scrm.customer_history.refresh_id IS 'the refresh, scrm.refresh_log.id';
COMMENT ON COLUMN scrm.customer_history.customer_key IS 'the customer key as text, as in scrm.customer_value';
COMMENT ON COLUMN scrm.customer_history.customer IS 'customer id when the keys are integers (NULL otherwise)';
COMMENT ON COLUMN scrm.customer_history.monetary_value IS 'monetary value (CLV) then';
COMMENT ON COLUMN scrm.customer_history.referral_value IS 'referral value then (NULL without social consent)';
COMMENT ON COLUMN scrm.customer_history.influence_value IS 'influence value then (NULL without social consent)';
COMMENT ON COLUMN scrm.customer_history.advocacy_points IS 'advocacy points then (NULL without social consent)';
COMMENT ON COLUMN scrm.customer_history.social_adjustment IS 'social adjustment then (NULL without social consent)';
COMMENT ON COLUMN scrm.customer_history.total_value IS 'total value then';
COMMENT ON COLUMN scrm.customer_history.tier IS 'service tier then';
COMMENT ON COLUMN scrm.customer_history.monetary_tier IS 'the tier monetary value alone gave then';
COMMENT ON COLUMN scrm.customer_history.computed_at IS 'start of that refresh';

SELECT pg_catalog.pg_extension_config_dump('scrm.customer_history', '');

CREATE VIEW scrm.tier_migration AS
WITH last2 AS (
  SELECT refresh_id FROM scrm.customer_history GROUP BY refresh_id ORDER BY refresh_id DESC LIMIT 2),
pair AS (SELECT max(refresh_id) AS cur, min(refresh_id) AS prev FROM last2 HAVING count(*) = 2)
SELECT c.customer_key, c.customer, p.tier AS previous_tier, c.tier,
       CASE WHEN array_position(ARRAY['good', 'excellent', 'exceptional'], c.tier)
                 > array_position(ARRAY['good', 'excellent', 'exceptional'], p.tier) THEN 'up' ELSE 'down' END AS direction,
       array_position(ARRAY['good', 'excellent', 'exceptional'], c.tier)
         - array_position(ARRAY['good', 'excellent', 'exceptional'], p.tier) AS tiers_moved,
       p.total_value AS previous_total_value, c.total_value, c.total_value - p.total_value AS total_value_change,
       coalesce(m.part, 'tier thresholds') AS main_part, m.change AS main_part_change,
       pair.prev AS previous_refresh_id, pair.cur AS refresh_id
FROM pair
JOIN scrm.customer_history c ON c.refresh_id = pair.cur
JOIN scrm.customer_history p ON p.refresh_id = pair.prev AND p.customer_key = c.customer_key
LEFT JOIN LATERAL (
  SELECT v.part, v.change
  FROM (VALUES (1, 'monetary_value', c.monetary_value - p.monetary_value),
               (2, 'referral_value', coalesce(c.referral_value, 0) - coalesce(p.referral_value, 0)),
               (3, 'influence_value', coalesce(c.influence_value, 0) - coalesce(p.influence_value, 0)),
               (4, 'social_adjustment', coalesce(c.social_adjustment, 0) - coalesce(p.social_adjustment, 0))) v(o, part, change)
  WHERE abs(v.change) > 1e-9 * greatest(1, abs(p.total_value))
  ORDER BY abs(v.change) DESC, v.o LIMIT 1) m ON true
WHERE c.tier <> p.tier;

COMMENT ON VIEW scrm.tier_migration IS
  'Customers whose tier changed between the last two refreshes kept in scrm.customer_history: the tiers, '
  'the direction and number of tiers moved, the total value before and after, and the part of it that '
  'changed most (monetary_value, referral_value, influence_value or social_adjustment; tier thresholds when '
  'none changed: the other customers moved).';
COMMENT ON COLUMN scrm.tier_migration.customer_key IS 'the customer key as text';
COMMENT ON COLUMN scrm.tier_migration.customer IS 'customer id when the keys are integers (NULL otherwise)';
COMMENT ON COLUMN scrm.tier_migration.previous_tier IS 'the tier of the earlier refresh';
COMMENT ON COLUMN scrm.tier_migration.tier IS 'the tier of the later refresh';
COMMENT ON COLUMN scrm.tier_migration.direction IS 'up or down';
COMMENT ON COLUMN scrm.tier_migration.tiers_moved IS 'tiers moved: 1 or 2 up, -1 or -2 down';
COMMENT ON COLUMN scrm.tier_migration.previous_total_value IS 'total value of the earlier refresh';
COMMENT ON COLUMN scrm.tier_migration.total_value IS 'total value of the later refresh';
COMMENT ON COLUMN scrm.tier_migration.total_value_change IS 'total_value - previous_total_value';
COMMENT ON COLUMN scrm.tier_migration.main_part IS 'the part of the value that changed most, or tier thresholds';
COMMENT ON COLUMN scrm.tier_migration.main_part_change IS 'how much that part changed (NULL for tier thresholds)';
COMMENT ON COLUMN scrm.tier_migration.previous_refresh_id IS 'the earlier refresh, scrm.refresh_log.id';
COMMENT ON COLUMN scrm.tier_migration.refresh_id IS 'the later refresh, scrm.refresh_log.id';
