-- Calibration and holdout (issue 17): the purchase models checked on the
-- purchases they did not see, inside the database.

CREATE OR REPLACE FUNCTION scrm.holdout_summary(purchases text, calibration_end timestamptz,
    observation_end timestamptz, period interval DEFAULT '7 days')
RETURNS TABLE (customer bigint, frequency integer, recency float8, age float8, monetary float8,
               holdout_purchases integer, holdout_periods float8)
AS 'MODULE_PATHNAME', 'scrm_holdout_summary'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.holdout_summary(text, timestamptz, timestamptz, interval) IS
  'Calibration and holdout of a purchase log (SQL returning customer, purchased_at, amount; run with your '
  'rights), as lifetimes'' calibration_and_holdout_data: per customer with a purchase up to calibration_end, '
  'the scrm.rfm summary as of calibration_end, the purchase occasions (days) after it up to observation_end '
  '(holdout_purchases), and the holdout''s length in periods.';

CREATE OR REPLACE FUNCTION scrm.holdout_evaluation(purchases text, calibration_end timestamptz,
    observation_end timestamptz, model text DEFAULT 'bgnbd', period interval DEFAULT '7 days')
RETURNS TABLE (customer bigint, frequency integer, recency float8, age float8, monetary float8,
               holdout_purchases integer, predicted_purchases float8)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF model IS NULL OR model NOT IN ('bgnbd', 'mbgnbd', 'paretonbd') THEN
    RAISE EXCEPTION 'scrm.holdout_evaluation: unknown purchase model "%"', model
      USING ERRCODE = '22023', HINT = 'Use ''bgnbd'', ''mbgnbd'' or ''paretonbd''.';
  END IF;
  -- the summary is read once (a CTE used twice is materialised), the model fitted on its calibration part
  IF model = 'bgnbd' THEN
    RETURN QUERY
    WITH h AS (SELECT * FROM scrm.holdout_summary(purchases, calibration_end, observation_end, period)),
         f AS (SELECT scrm.bgnbd_fit(h.frequency, h.recency, h.age) AS m FROM h)
    SELECT h.customer, h.frequency, h.recency, h.age, h.monetary, h.holdout_purchases,
           scrm.expected_purchases(f.m, h.holdout_periods, h.frequency, h.recency, h.age)
    FROM h, f;
  ELSIF model = 'mbgnbd' THEN
    RETURN QUERY
    WITH h AS (SELECT * FROM scrm.holdout_summary(purchases, calibration_end, observation_end, period)),
         f AS (SELECT scrm.mbgnbd_fit(h.frequency, h.recency, h.age) AS m FROM h)
    SELECT h.customer, h.frequency, h.recency, h.age, h.monetary, h.holdout_purchases,
           scrm.expected_purchases(f.m, h.holdout_periods, h.frequency, h.recency, h.age)
    FROM h, f;
  ELSE
    RETURN QUERY
    WITH h AS (SELECT * FROM scrm.holdout_summary(purchases, calibration_end, observation_end, period)),
         f AS (SELECT scrm.paretonbd_fit(h.frequency, h.recency, h.age) AS m FROM h)
    SELECT h.customer, h.frequency, h.recency, h.age, h.monetary, h.holdout_purchases,
           scrm.expected_purchases(f.m, h.holdout_periods, h.frequency, h.recency, h.age)
    FROM h, f;
  END IF;
END
$$;

COMMENT ON FUNCTION scrm.holdout_evaluation(text, timestamptz, timestamptz, text, interval) IS
  'A purchase model (bgnbd, mbgnbd or paretonbd) fitted on the calibration window of a purchase log and '
  'checked on the holdout: per customer the calibration RFM, the actual holdout purchases and the model''s '
  'prediction for the holdout. Compare models in SQL, e.g. sum or mean absolute error of the difference, '
  'grouped by calibration frequency.';

-- The data of the standard diagnostics a BI tool can chart
CREATE OR REPLACE FUNCTION scrm.calibration_vs_holdout(purchases text, calibration_end timestamptz,
    observation_end timestamptz, model text DEFAULT 'bgnbd', period interval DEFAULT '7 days',
    max_frequency integer DEFAULT 7)
RETURNS TABLE (frequency integer, customers bigint, actual_mean float8, predicted_mean float8)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT least(e.frequency, max_frequency), count(*), avg(e.holdout_purchases)::float8, avg(e.predicted_purchases)
  FROM scrm.holdout_evaluation(purchases, calibration_end, observation_end, model, period) e
  GROUP BY 1 ORDER BY 1;
END;

COMMENT ON FUNCTION scrm.calibration_vs_holdout(text, timestamptz, timestamptz, text, interval, integer) IS
  'lifetimes'' plot_calibration_purchases_vs_holdout_purchases as data: per calibration frequency (the last '
  'group max_frequency and more) the customers, their mean actual and mean predicted holdout purchases.';

-- the bounds of a P(alive) grid (true, or an error)
CREATE OR REPLACE FUNCTION scrm._grid_ok(age float8, max_frequency integer)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT (age >= 0 AND age <= 100000) THEN
    RAISE EXCEPTION 'age must be between 0 and 100000 periods' USING ERRCODE = '22023', DETAIL = format('The value given is %s.', age);
  END IF;
  IF max_frequency < 0 OR max_frequency > 10000 THEN
    RAISE EXCEPTION 'max_frequency must be between 0 and 10000' USING ERRCODE = '22023',
      DETAIL = format('The value given is %s.', max_frequency);
  END IF;
  IF (max_frequency::float8 + 1) * (floor(age) + 1) > 10000000 THEN
    RAISE EXCEPTION 'the P(alive) grid would have more than 10,000,000 points' USING ERRCODE = '22023',
      HINT = 'Lower max_frequency, or use a coarser period.';
  END IF;
  RETURN true;
END
$$;

COMMENT ON FUNCTION scrm._grid_ok(float8, integer) IS 'Internal: checks the bounds of scrm.p_alive_grid.';

CREATE OR REPLACE FUNCTION scrm.p_alive_grid(m scrm.bgnbd, age float8, max_frequency integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT x, r::float8, scrm.p_alive(m, x, r::float8, age)
  FROM generate_series(0, least(max_frequency, 10000)) x, generate_series(0, least(floor(age), 100000)::integer) r
  WHERE (x > 0 OR r = 0) AND scrm._grid_ok(age, max_frequency)
  ORDER BY 1, 2;
END;

COMMENT ON FUNCTION scrm.p_alive_grid(scrm.bgnbd, float8, integer) IS
  'lifetimes'' plot_probability_alive_matrix as data: P(alive) of a customer of this age over the frequency '
  '(0..max_frequency) and recency (0..age, whole periods) grid.';

CREATE OR REPLACE FUNCTION scrm.p_alive_grid(m scrm.mbgnbd, age float8, max_frequency integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT x, r::float8, scrm.p_alive(m, x, r::float8, age)
  FROM generate_series(0, least(max_frequency, 10000)) x, generate_series(0, least(floor(age), 100000)::integer) r
  WHERE (x > 0 OR r = 0) AND scrm._grid_ok(age, max_frequency)
  ORDER BY 1, 2;
END;

COMMENT ON FUNCTION scrm.p_alive_grid(scrm.mbgnbd, float8, integer) IS
  'lifetimes'' plot_probability_alive_matrix as data: P(alive) of a customer of this age over the frequency '
  '(0..max_frequency) and recency (0..age, whole periods) grid.';

CREATE OR REPLACE FUNCTION scrm.p_alive_grid(m scrm.paretonbd, age float8, max_frequency integer DEFAULT 20)
RETURNS TABLE (frequency integer, recency float8, p_alive float8)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT x, r::float8, scrm.p_alive(m, x, r::float8, age)
  FROM generate_series(0, least(max_frequency, 10000)) x, generate_series(0, least(floor(age), 100000)::integer) r
  WHERE (x > 0 OR r = 0) AND scrm._grid_ok(age, max_frequency)
  ORDER BY 1, 2;
END;

COMMENT ON FUNCTION scrm.p_alive_grid(scrm.paretonbd, float8, integer) IS
  'lifetimes'' plot_probability_alive_matrix as data: P(alive) of a customer of this age over the frequency '
  '(0..max_frequency) and recency (0..age, whole periods) grid.';

CREATE OR REPLACE FUNCTION scrm.period_transactions(purchases text, as_of timestamptz,
    period interval DEFAULT '7 days', max_frequency integer DEFAULT 7)
RETURNS TABLE (frequency integer, actual_customers bigint, expected_customers float8)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF max_frequency IS NULL OR max_frequency < 1 OR max_frequency > 1000 THEN
    RAISE EXCEPTION 'max_frequency must be between 1 and 1000' USING ERRCODE = '22023',
      DETAIL = format('The value given is %s.', max_frequency);
  END IF;
  -- the calibration part of a summary as of as_of (its holdout, one period, is not used)
  RETURN QUERY
  WITH h AS (SELECT * FROM scrm.holdout_summary(purchases, as_of, as_of + period, period)),
       f AS (SELECT scrm.bgnbd_fit(h.frequency, h.recency, h.age) AS m FROM h),
       e AS (SELECT k, sum(scrm.purchase_probability(f.m, h.age, k)) AS expected
             FROM h, f, generate_series(0, max_frequency - 1) k GROUP BY k)
  SELECT x.n, (SELECT count(*) FROM h WHERE least(h.frequency, max_frequency) = x.n),
         CASE WHEN x.n < max_frequency THEN (SELECT e.expected FROM e WHERE e.k = x.n)
              ELSE (SELECT count(*) FROM h) - (SELECT sum(e.expected) FROM e) END
  FROM generate_series(0, max_frequency) x(n)
  ORDER BY 1;
END
$$;

COMMENT ON FUNCTION scrm.period_transactions(text, timestamptz, interval, integer) IS
  'lifetimes'' plot_period_transactions as data, exact rather than simulated: BG/NBD fitted on the purchase '
  'log (customer, purchased_at, amount) as of as_of, and per number of repeat purchases 0 .. max_frequency - 1 '
  '(and max_frequency or more) the customers who made them and the number the model expects, the sum over '
  'customers of P(X(age) = x).';

CREATE OR REPLACE FUNCTION scrm.repeat_purchases_by_period(purchases text, calibration_end timestamptz,
    observation_end timestamptz, period interval DEFAULT '7 days')
RETURNS TABLE (period_index integer, repeat_purchases bigint)
AS 'MODULE_PATHNAME', 'scrm_repeat_by_period'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 100;

COMMENT ON FUNCTION scrm.repeat_purchases_by_period(text, timestamptz, timestamptz, interval) IS
  'The repeat purchase occasions (days with a purchase after a customer''s first) of the customers first seen '
  'by calibration_end, by period from the first of their first days up to observation_end: the actual side '
  'of the tracking plot.';

CREATE OR REPLACE FUNCTION scrm.tracking(purchases text, calibration_end timestamptz, observation_end timestamptz,
    model text DEFAULT 'bgnbd', period interval DEFAULT '7 days')
RETURNS TABLE (period_index integer, actual_cumulative bigint, expected_cumulative float8)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  first_offset float8;
  fitted text;
BEGIN
  IF model IS NULL OR model NOT IN ('bgnbd', 'mbgnbd', 'paretonbd') THEN
    RAISE EXCEPTION 'scrm.tracking: unknown purchase model "%"', model
      USING ERRCODE = '22023', HINT = 'Use ''bgnbd'', ''mbgnbd'' or ''paretonbd''.';
  END IF;
  -- the cohort (first seen by calibration_end) and the model fitted on its calibration;
  -- customer i, first seen age_i periods before calibration_end, is expected to have made
  -- E[X(t - (A - age_i))] repeat purchases by the end of period k (t = k + 1 periods from the
  -- cohort's start, A the largest age)
  CREATE TEMP TABLE _scrm_tracking ON COMMIT DROP AS
  SELECT h.frequency, h.recency, h.age FROM scrm.holdout_summary(purchases, calibration_end, observation_end, period) h;
  SELECT max(t.age) INTO first_offset FROM pg_temp._scrm_tracking t;
  -- only the chosen model is fitted (aggregates under a CASE would all be computed)
  IF model = 'bgnbd' THEN
    SELECT scrm.bgnbd_fit(t.frequency, t.recency, t.age)::text INTO fitted FROM pg_temp._scrm_tracking t;
  ELSIF model = 'mbgnbd' THEN
    SELECT scrm.mbgnbd_fit(t.frequency, t.recency, t.age)::text INTO fitted FROM pg_temp._scrm_tracking t;
  ELSE
    SELECT scrm.paretonbd_fit(t.frequency, t.recency, t.age)::text INTO fitted FROM pg_temp._scrm_tracking t;
  END IF;
  RETURN QUERY
  WITH a AS (SELECT r.period_index, sum(r.repeat_purchases) OVER (ORDER BY r.period_index)::bigint AS cum
             FROM scrm.repeat_purchases_by_period(purchases, calibration_end, observation_end, period) r),
       f AS (SELECT fitted AS m)
  SELECT a.period_index, a.cum,
         (SELECT sum(g.n * CASE model
                       WHEN 'bgnbd' THEN scrm.expected_purchases(f.m::scrm.bgnbd, a.period_index + 1 - (first_offset - g.age))
                       WHEN 'mbgnbd' THEN scrm.expected_purchases(f.m::scrm.mbgnbd, a.period_index + 1 - (first_offset - g.age))
                       ELSE scrm.expected_purchases(f.m::scrm.paretonbd, a.period_index + 1 - (first_offset - g.age)) END)
          FROM (SELECT t.age, count(*) AS n FROM pg_temp._scrm_tracking t GROUP BY t.age) g, f
          WHERE a.period_index + 1 > first_offset - g.age)
  FROM a ORDER BY 1;
  DROP TABLE pg_temp._scrm_tracking;
END
$$;

COMMENT ON FUNCTION scrm.tracking(text, timestamptz, timestamptz, text, interval) IS
  'BTYD''s tracking plot as data: per period from the cohort''s first purchase to observation_end, the '
  'cumulative actual repeat purchases of the customers first seen by calibration_end and the cumulative number '
  'the model (fitted on the calibration) expects.';
