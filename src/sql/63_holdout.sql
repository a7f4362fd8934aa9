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
