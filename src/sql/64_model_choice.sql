-- The pipeline chooses its models (issue 17): the purchase model a setting
-- names (bgnbd, mbgnbd, paretonbd, or auto: the one with the least holdout
-- error, each candidate's figures logged), and a contracts input whose
-- subscribers are valued with sBG.  Both the install and the update script
-- run this file.

ALTER TABLE scrm.config ADD COLUMN contracts text;
COMMENT ON COLUMN scrm.config.contracts IS
  'SQL returning customer, started_at [, ended_at, amount]: subscription customers, valued with sBG';

ALTER TABLE scrm.refresh_log
  ADD COLUMN purchase_model_kind text,
  ADD COLUMN mbgnbd_model scrm.mbgnbd,
  ADD COLUMN paretonbd_model scrm.paretonbd,
  ADD COLUMN contract_model scrm.sbg,
  ADD COLUMN model_selection jsonb;
COMMENT ON COLUMN scrm.refresh_log.purchase_model IS 'the BG/NBD fit, when BG/NBD valued the purchases';
COMMENT ON COLUMN scrm.refresh_log.purchase_model_kind IS
  'the purchase model that valued the buyers without a contract: bgnbd, mbgnbd or paretonbd (setting purchase_model; '
  'NULL when every buyer is a subscriber)';
COMMENT ON COLUMN scrm.refresh_log.mbgnbd_model IS 'the MBG/NBD fit, when MBG/NBD valued the purchases';
COMMENT ON COLUMN scrm.refresh_log.paretonbd_model IS 'the Pareto/NBD fit, when Pareto/NBD valued the purchases';
COMMENT ON COLUMN scrm.refresh_log.contract_model IS 'the sBG fit over the subscribers of the contracts input';
COMMENT ON COLUMN scrm.refresh_log.model_selection IS
  'purchase_model auto: the holdout window, and per candidate its calibration fit and holdout figures (actual and '
  'predicted repeat purchases, mean absolute and root mean square error per customer); chosen: the least mean '
  'absolute error';

ALTER TABLE scrm.customer_score
  ADD COLUMN value_model text,
  ADD COLUMN contract_renewals integer,
  ADD COLUMN contract_active boolean,
  ADD COLUMN contract_amount float8;
COMMENT ON COLUMN scrm.customer_score.value_model IS
  'the model of monetary_value: sbg for a subscriber, else the purchase model (NULL: no purchase)';
COMMENT ON COLUMN scrm.customer_score.contract_renewals IS
  'subscribers: renewals made (periods of contract_period completed), or for one who left the renewal lost at';
COMMENT ON COLUMN scrm.customer_score.contract_active IS 'subscribers: a contract open at as_of';
COMMENT ON COLUMN scrm.customer_score.contract_amount IS
  'subscribers: the amount a period (the open contracts'', else the average repeat purchase)';

CREATE OR REPLACE VIEW scrm.model_fit AS
WITH l AS (SELECT * FROM scrm.refresh_log ORDER BY id DESC LIMIT 1)
SELECT coalesce(l.purchase_model_kind, 'bgnbd') AS model,
       coalesce(scrm.params(l.purchase_model), scrm.params(l.mbgnbd_model), scrm.params(l.paretonbd_model)) AS params,
       l.finished_at AS fitted_at, l.as_of, true AS used,
       (SELECT c FROM jsonb_array_elements(l.model_selection->'candidates') c
        WHERE c->>'model' = coalesce(l.purchase_model_kind, 'bgnbd')) AS holdout
FROM l WHERE num_nonnulls(l.purchase_model, l.mbgnbd_model, l.paretonbd_model) > 0
UNION ALL
SELECT 'gammagamma', scrm.params(l.spend_model), l.finished_at, l.as_of, true, NULL
FROM l WHERE l.spend_model IS NOT NULL
UNION ALL
SELECT 'sbg', scrm.params(l.contract_model), l.finished_at, l.as_of, true, NULL
FROM l WHERE l.contract_model IS NOT NULL
UNION ALL
-- purchase_model auto: the candidates not chosen, fitted on the calibration window
SELECT c->>'model', c->'calibration_params', l.finished_at, l.as_of, false, c
FROM l, jsonb_array_elements(l.model_selection->'candidates') c
WHERE c->>'model' IS DISTINCT FROM l.purchase_model_kind;

COMMENT ON VIEW scrm.model_fit IS
  'The model fits of the last scrm.refresh, one row per model: the purchase model used, Gamma-Gamma, sBG when '
  'contracts are configured, and with purchase_model auto the other candidates.';
COMMENT ON COLUMN scrm.model_fit.model IS 'bgnbd, mbgnbd or paretonbd (purchases), gammagamma (spend), sbg (contracts)';
COMMENT ON COLUMN scrm.model_fit.params IS
  'parameters, log-likelihood, customers and convergence, as scrm.params returns them (for a candidate not used: '
  'its fit on the calibration window)';
COMMENT ON COLUMN scrm.model_fit.used IS 'whether the refresh valued customers with this fit';
COMMENT ON COLUMN scrm.model_fit.holdout IS
  'purchase_model auto: the candidate''s holdout figures (calibration fit, customers, actual and predicted repeat '
  'purchases, mae, rmse, chosen)';

-- the calibration and holdout summary of the configured purchases
CREATE OR REPLACE FUNCTION scrm._refresh_holdout(purchases text, calibration_end timestamptz,
    observation_end timestamptz, period interval)
RETURNS TABLE (customer bigint, frequency integer, recency float8, age float8, monetary float8,
               holdout_purchases integer, holdout_periods float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_holdout'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_holdout(text, timestamptz, timestamptz, interval) IS
  'Internal: scrm.holdout_summary of a purchases query, or (purchases NULL) of the configured one, run as the role '
  'that configured it, keys numbered as the refresh numbers them. Needs INSERT on scrm.customer_score.';

-- contractual CLV over a finite horizon (the purchase models'' horizon)
CREATE OR REPLACE FUNCTION scrm.clv(m scrm.sbg, value float8, discount_rate float8, renewals integer, horizon integer)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_sbg_clv_horizon' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.clv(scrm.sbg, float8, float8, integer, integer) IS
  'Contractual CLV over the next horizon renewal opportunities of a customer who has made renewals renewals: '
  'value x sum over k = 1..horizon of S(renewals + k) / S(renewals) / (1 + discount_rate)^(k - 1), the next renewal '
  'undiscounted; discount_rate per period, >= 0; horizon at most 1000000. With discount_rate 0 and value 1: the '
  'expected renewals.';

-- The contract periods within the purchase models' horizon (clv_steps x
-- clv_step periods; at least the next renewal) and the discount rate a
-- contract period, from the one a clv step; months count 365.25 / 12 days,
-- as refresh counts periods
CREATE OR REPLACE FUNCTION scrm._contract_horizon(settings jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT jsonb_build_object(
  'renewals', greatest(1, round(h.horizon / h.contract))::integer,
  'discount_rate', power(1 + (settings->>'discount_rate')::float8, h.contract / h.step) - 1)
FROM (SELECT (settings->>'clv_steps')::integer * (settings->>'clv_step')::float8 * p.period AS horizon,
             (settings->>'clv_step')::float8 * p.period AS step, p.contract
      FROM (SELECT extract(epoch FROM (settings->>'period')::interval)
                     + extract(month FROM (settings->>'period')::interval) * 37800 AS period,
                   extract(epoch FROM (settings->>'contract_period')::interval)
                     + extract(month FROM (settings->>'contract_period')::interval) * 37800 AS contract) p) h
$$;

COMMENT ON FUNCTION scrm._contract_horizon(jsonb) IS
  'Internal: the renewals within the CLV horizon of the settings (clv_steps x clv_step periods) and the discount rate '
  'a contract_period.';

-- purchase_model auto: each candidate fitted on the purchases up to
-- as_of - holdout_window and checked on the holdout window up to as_of; the
-- least mean absolute error per customer wins (ties: the simpler model,
-- in the order bgnbd, mbgnbd, paretonbd)
CREATE OR REPLACE FUNCTION scrm._choose_purchase_model(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  as_of timestamptz := (r->>'as_of')::timestamptz;
  holdout interval := (r->'settings'->>'holdout_window')::interval;
  calibration_end timestamptz := (r->>'as_of')::timestamptz - (r->'settings'->>'holdout_window')::interval;
  kind text;
  bg scrm.bgnbd;
  mbg scrm.mbgnbd;
  pn scrm.paretonbd;
  params jsonb;
  fig record;
  candidates jsonb := '[]';
  chosen text;
  best float8;
  err_message text;
BEGIN
  -- the customers of this run without a contract, as of calibration_end;
  -- one row per distinct history (all share the holdout's length)
  CREATE TEMP TABLE _scrm_refresh_holdout ON COMMIT DROP AS
  SELECT h.frequency, h.recency, h.age, h.holdout_purchases, h.holdout_periods, count(*)::float8 AS n
  FROM scrm._refresh_holdout(NULL::text, calibration_end, as_of, (r->'settings'->>'period')::interval) h
  WHERE EXISTS (SELECT FROM pg_temp._scrm_refresh_customer c WHERE c.customer = h.customer)
    AND NOT EXISTS (SELECT FROM pg_temp._scrm_refresh_contract k WHERE k.customer = h.customer)
  GROUP BY 1, 2, 3, 4, 5;
  FOREACH kind IN ARRAY ARRAY['bgnbd', 'mbgnbd', 'paretonbd'] LOOP
    bg := NULL; mbg := NULL; pn := NULL;
    BEGIN
      -- one branch per model: an aggregate in a CASE would run for every model
      IF kind = 'bgnbd' THEN
        SELECT scrm.bgnbd_fit(h.frequency, h.recency, h.age, h.n) INTO bg FROM pg_temp._scrm_refresh_holdout h;
        params := scrm.params(bg);
      ELSIF kind = 'mbgnbd' THEN
        SELECT scrm.mbgnbd_fit(h.frequency, h.recency, h.age, h.n) INTO mbg FROM pg_temp._scrm_refresh_holdout h;
        params := scrm.params(mbg);
      ELSE
        SELECT scrm.paretonbd_fit(h.frequency, h.recency, h.age, h.n) INTO pn FROM pg_temp._scrm_refresh_holdout h;
        params := scrm.params(pn);
      END IF;
      SELECT sum(p.n) AS customers, sum(p.n * p.holdout_purchases) AS actual, sum(p.n * p.predicted) AS predicted,
             sum(p.n * abs(p.predicted - p.holdout_purchases)) / sum(p.n) AS mae,
             sqrt(sum(p.n * (p.predicted - p.holdout_purchases) ^ 2) / sum(p.n)) AS rmse
        INTO fig
      FROM (SELECT h.*,
                   CASE kind WHEN 'bgnbd' THEN scrm.expected_purchases(bg, h.holdout_periods, h.frequency, h.recency, h.age)
                             WHEN 'mbgnbd' THEN scrm.expected_purchases(mbg, h.holdout_periods, h.frequency, h.recency, h.age)
                             ELSE scrm.expected_purchases(pn, h.holdout_periods, h.frequency, h.recency, h.age) END
                     AS predicted
            FROM pg_temp._scrm_refresh_holdout h) p;
      candidates := candidates || jsonb_build_array(jsonb_build_object(
        'model', kind, 'calibration_params', params, 'customers', fig.customers, 'actual', fig.actual,
        'predicted', fig.predicted, 'mae', fig.mae, 'rmse', fig.rmse));
      IF best IS NULL OR fig.mae < best THEN
        best := fig.mae;
        chosen := kind;
      END IF;
    EXCEPTION WHEN invalid_parameter_value OR numeric_value_out_of_range THEN
      -- a model that cannot be fitted on the calibration window drops out
      GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT;
      candidates := candidates || jsonb_build_array(jsonb_build_object('model', kind, 'error', err_message));
    END;
  END LOOP;
  DROP TABLE pg_temp._scrm_refresh_holdout;
  IF chosen IS NULL THEN
    RAISE EXCEPTION 'scrm.refresh cannot choose a purchase model: no candidate could be fitted on the calibration window'
      USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('Calibration up to %s (as_of %s less holdout_window %s): %s.', calibration_end,
                                       as_of, holdout, (SELECT string_agg(c->>'model' || ': ' || (c->>'error'), '; ')
                                                        FROM jsonb_array_elements(candidates) c)),
            HINT = 'Shorten the holdout_window setting, or set purchase_model to bgnbd, mbgnbd or paretonbd.';
  END IF;
  SELECT jsonb_agg(c || jsonb_build_object('chosen', c->>'model' = chosen)) INTO candidates
  FROM jsonb_array_elements(candidates) c;
  RETURN r || jsonb_build_object('model_selection', jsonb_build_object(
    'calibration_end', calibration_end, 'observation_end', as_of, 'holdout_window', holdout::text,
    'criterion', 'mae', 'chosen', chosen, 'candidates', candidates));
END
$$;

COMMENT ON FUNCTION scrm._choose_purchase_model(jsonb) IS
  'Internal: purchase_model auto: BG/NBD, MBG/NBD and Pareto/NBD fitted on the purchases up to as_of - holdout_window '
  'and compared on the holdout window (mean absolute error of the repeat purchases per customer); the state gains '
  'model_selection.';

-- scrm.explain's monetary parts of a subscriber: the contract, then one
-- part per renewal within the horizon, adding up to monetary_value
CREATE OR REPLACE FUNCTION scrm._explain_contract(c scrm.customer_score, l scrm.refresh_log)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s jsonb := l.settings;
  h jsonb := scrm._contract_horizon(l.settings);
  renewals integer := (h->>'renewals')::integer;
  d float8 := (h->>'discount_rate')::float8;
  ratio float8 := 1;
  parts jsonb;
  k integer;
BEGIN
  parts := jsonb_build_array(
    scrm._part('monetary'::text, 'contract'::text,
      CASE WHEN c.contract_active
           THEN pg_catalog.format('a subscriber (contracts input) for %s whole periods of %s: valued by sBG, not by the purchase model',
                                  c.contract_renewals, s->>'contract_period')
           ELSE pg_catalog.format('a former subscriber, lost at renewal %s (periods of %s)', c.contract_renewals, s->>'contract_period') END,
      c.contract_renewals::float8, NULL::text, jsonb_build_object('active', c.contract_active)));
  IF NOT c.contract_active THEN
    RETURN parts || scrm._part('monetary'::text, 'contract ended'::text,
      'every contract ended by as_of: the loss is observed, worth 0'::text, 0::float8, 'monetary_value'::text, NULL::jsonb);
  END IF;
  parts := parts || scrm._part('monetary'::text, 'amount'::text,
    CASE WHEN c.contract_amount IS NULL THEN 'no amount a period (none in the contracts, no repeat purchase)'
         ELSE 'amount a period: the open contracts'' amounts, else the average repeat purchase' END,
    c.contract_amount, NULL::text, NULL::jsonb);
  IF c.contract_amount IS NULL OR c.contract_amount <= 0 THEN
    RETURN parts || scrm._part('monetary'::text, 'no positive amount'::text, 'no positive amount a period: worth 0'::text,
                               0::float8, 'monetary_value'::text, NULL::jsonb);
  END IF;
  FOR k IN 1 .. renewals LOOP
    -- S(n + k) / S(n): one retention rate more each renewal
    ratio := ratio * scrm.retention_rate(l.contract_model, c.contract_renewals + k);
    parts := parts || scrm._part('monetary'::text, 'renewal ' || k,
      pg_catalog.format('%s probability still a subscriber x %s amount / (1 + %s)^%s', scrm._num(ratio),
                        scrm._num(c.contract_amount), scrm._num(d), k - 1),
      c.contract_amount * ratio / power(1 + d, k - 1), 'monetary_value'::text,
      jsonb_build_object('survival', ratio, 'discount_factor', 1 / power(1 + d, k - 1)));
  END LOOP;
  RETURN parts;
END
$$;

COMMENT ON FUNCTION scrm._explain_contract(scrm.customer_score, scrm.refresh_log) IS
  'Internal: the monetary parts scrm.explain gives a subscriber: the contract and each renewal within the horizon.';
