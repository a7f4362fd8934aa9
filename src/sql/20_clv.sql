-- Value models (SPEC section 1): RFM, BG/NBD, Pareto/NBD, Gamma-Gamma, CLV.

CREATE TYPE scrm.rfm_summary AS (
    frequency integer,
    recency float8,
    age float8,
    monetary float8);
COMMENT ON TYPE scrm.rfm_summary IS
  'A customer''s purchase history in BTYD terms: repeat purchase occasions, time of the last one '
  'and time since the first (in periods), mean amount of the repeat occasions.';
COMMENT ON COLUMN scrm.rfm_summary.frequency IS 'number of repeat purchase occasions (occasions - 1; same-day purchases are one occasion)';
COMMENT ON COLUMN scrm.rfm_summary.recency IS 'periods from the first to the last occasion';
COMMENT ON COLUMN scrm.rfm_summary.age IS 'periods from the first occasion to as_of (the literature''s T)';
COMMENT ON COLUMN scrm.rfm_summary.monetary IS 'mean amount of the repeat occasions (0 when frequency = 0)';

-- RFM aggregate: transition with and without the period argument
CREATE FUNCTION scrm._rfm_trans(internal, timestamptz, float8, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_rfm_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._rfm_trans(internal, timestamptz, float8, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_rfm_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._rfm_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_rfm_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._rfm_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'scrm_rfm_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._rfm_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_rfm_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._rfm_final(internal)
RETURNS scrm.rfm_summary AS 'MODULE_PATHNAME', 'scrm_rfm_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION scrm._rfm_trans(internal, timestamptz, float8, timestamptz) IS 'support function of scrm.rfm';
COMMENT ON FUNCTION scrm._rfm_trans(internal, timestamptz, float8, timestamptz, interval) IS 'support function of scrm.rfm';
COMMENT ON FUNCTION scrm._rfm_combine(internal, internal) IS 'support function of scrm.rfm';
COMMENT ON FUNCTION scrm._rfm_serialize(internal) IS 'support function of scrm.rfm';
COMMENT ON FUNCTION scrm._rfm_deserialize(bytea, internal) IS 'support function of scrm.rfm';
COMMENT ON FUNCTION scrm._rfm_final(internal) IS 'support function of scrm.rfm';

-- SSPACE: the average state (a customer's purchases, 16 bytes each, in an
-- array of at least 16).  Without it the planner assumes 8 kB per group, and
-- a GROUP BY over many customers spills to disk long before work_mem is full.
CREATE AGGREGATE scrm.rfm(purchased_at timestamptz, amount float8, as_of timestamptz) (
    SFUNC = scrm._rfm_trans, STYPE = internal, FINALFUNC = scrm._rfm_final,
    COMBINEFUNC = scrm._rfm_combine, SERIALFUNC = scrm._rfm_serialize,
    DESERIALFUNC = scrm._rfm_deserialize, SSPACE = 400, PARALLEL = SAFE);
CREATE AGGREGATE scrm.rfm(purchased_at timestamptz, amount float8, as_of timestamptz, period interval) (
    SFUNC = scrm._rfm_trans, STYPE = internal, FINALFUNC = scrm._rfm_final,
    COMBINEFUNC = scrm._rfm_combine, SERIALFUNC = scrm._rfm_serialize,
    DESERIALFUNC = scrm._rfm_deserialize, SSPACE = 400, PARALLEL = SAFE);
COMMENT ON AGGREGATE scrm.rfm(timestamptz, float8, timestamptz) IS
  'RFM summary of one customer''s purchases (use with GROUP BY customer), weekly periods. '
  'Same-day purchases (session time zone) are one occasion; purchases after as_of are ignored; '
  'NULL purchased_at or amount rows are skipped; NULL when there is no purchase up to as_of.';
COMMENT ON AGGREGATE scrm.rfm(timestamptz, float8, timestamptz, interval) IS
  'RFM summary of one customer''s purchases (use with GROUP BY customer) in periods of the given length. '
  'Same-day purchases (session time zone) are one occasion; purchases after as_of are ignored.';

-- The model types: fixed-length C types with exact text round trip
CREATE TYPE scrm.bgnbd;
CREATE TYPE scrm.paretonbd;
CREATE TYPE scrm.gammagamma;

CREATE FUNCTION scrm._bgnbd_in(cstring) RETURNS scrm.bgnbd
AS 'MODULE_PATHNAME', 'scrm_bgnbd_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._bgnbd_out(scrm.bgnbd) RETURNS cstring
AS 'MODULE_PATHNAME', 'scrm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._bgnbd_recv(internal) RETURNS scrm.bgnbd
AS 'MODULE_PATHNAME', 'scrm_bgnbd_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._bgnbd_send(scrm.bgnbd) RETURNS bytea
AS 'MODULE_PATHNAME', 'scrm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._paretonbd_in(cstring) RETURNS scrm.paretonbd
AS 'MODULE_PATHNAME', 'scrm_paretonbd_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._paretonbd_out(scrm.paretonbd) RETURNS cstring
AS 'MODULE_PATHNAME', 'scrm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._paretonbd_recv(internal) RETURNS scrm.paretonbd
AS 'MODULE_PATHNAME', 'scrm_paretonbd_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._paretonbd_send(scrm.paretonbd) RETURNS bytea
AS 'MODULE_PATHNAME', 'scrm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._gammagamma_in(cstring) RETURNS scrm.gammagamma
AS 'MODULE_PATHNAME', 'scrm_gammagamma_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._gammagamma_out(scrm.gammagamma) RETURNS cstring
AS 'MODULE_PATHNAME', 'scrm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._gammagamma_recv(internal) RETURNS scrm.gammagamma
AS 'MODULE_PATHNAME', 'scrm_gammagamma_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._gammagamma_send(scrm.gammagamma) RETURNS bytea
AS 'MODULE_PATHNAME', 'scrm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE scrm.bgnbd (INPUT = scrm._bgnbd_in, OUTPUT = scrm._bgnbd_out,
    RECEIVE = scrm._bgnbd_recv, SEND = scrm._bgnbd_send,
    INTERNALLENGTH = 64, ALIGNMENT = double, STORAGE = plain);
CREATE TYPE scrm.paretonbd (INPUT = scrm._paretonbd_in, OUTPUT = scrm._paretonbd_out,
    RECEIVE = scrm._paretonbd_recv, SEND = scrm._paretonbd_send,
    INTERNALLENGTH = 64, ALIGNMENT = double, STORAGE = plain);
CREATE TYPE scrm.gammagamma (INPUT = scrm._gammagamma_in, OUTPUT = scrm._gammagamma_out,
    RECEIVE = scrm._gammagamma_recv, SEND = scrm._gammagamma_send,
    INTERNALLENGTH = 64, ALIGNMENT = double, STORAGE = plain);
COMMENT ON TYPE scrm.bgnbd IS
  'A BG/NBD purchase model (Fader, Hardie & Lee 2005): r, alpha, a, b and, when fitted, '
  'log_likelihood, customers, iterations, converged. Text form (r=...,alpha=...,a=...,b=...[,...]).';
COMMENT ON TYPE scrm.paretonbd IS
  'A Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987): r, alpha, s, beta and, '
  'when fitted, log_likelihood, customers, iterations, converged.';
COMMENT ON TYPE scrm.gammagamma IS
  'A Gamma-Gamma spend model (Fader, Hardie & Lee 2005): p, q, gamma and, when fitted, '
  'log_likelihood, customers, iterations, converged.';

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['bgnbd', 'paretonbd', 'gammagamma'] LOOP
    EXECUTE format('COMMENT ON FUNCTION scrm._%1$s_in(cstring) IS %2$L', t, 'input function of scrm.' || t);
    EXECUTE format('COMMENT ON FUNCTION scrm._%1$s_out(scrm.%1$s) IS %2$L', t, 'output function of scrm.' || t);
    EXECUTE format('COMMENT ON FUNCTION scrm._%1$s_recv(internal) IS %2$L', t, 'binary input function of scrm.' || t);
    EXECUTE format('COMMENT ON FUNCTION scrm._%1$s_send(scrm.%1$s) IS %2$L', t, 'binary output function of scrm.' || t);
    EXECUTE format($f$CREATE FUNCTION scrm._%1$s_eq(scrm.%1$s, scrm.%1$s) RETURNS boolean
                      AS 'MODULE_PATHNAME', 'scrm_model_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$f$, t);
    EXECUTE format($f$CREATE FUNCTION scrm._%1$s_ne(scrm.%1$s, scrm.%1$s) RETURNS boolean
                      AS 'MODULE_PATHNAME', 'scrm_model_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE$f$, t);
    EXECUTE format('COMMENT ON FUNCTION scrm._%1$s_eq(scrm.%1$s, scrm.%1$s) IS %2$L', t,
                   'equality of scrm.' || t || ' (parameters and fit statistics)');
    EXECUTE format('COMMENT ON FUNCTION scrm._%1$s_ne(scrm.%1$s, scrm.%1$s) IS %2$L', t,
                   'inequality of scrm.' || t);
    EXECUTE format($f$CREATE OPERATOR scrm.= (LEFTARG = scrm.%1$s, RIGHTARG = scrm.%1$s,
                      FUNCTION = scrm._%1$s_eq, COMMUTATOR = OPERATOR(scrm.=),
                      NEGATOR = OPERATOR(scrm.<>), RESTRICT = eqsel, JOIN = eqjoinsel)$f$, t);
    EXECUTE format($f$CREATE OPERATOR scrm.<> (LEFTARG = scrm.%1$s, RIGHTARG = scrm.%1$s,
                      FUNCTION = scrm._%1$s_ne, COMMUTATOR = OPERATOR(scrm.<>),
                      NEGATOR = OPERATOR(scrm.=), RESTRICT = neqsel, JOIN = neqjoinsel)$f$, t);
    EXECUTE format('COMMENT ON OPERATOR scrm.= (scrm.%1$s, scrm.%1$s) IS %2$L', t,
                   'equal: same parameters and fit statistics');
    EXECUTE format('COMMENT ON OPERATOR scrm.<> (scrm.%1$s, scrm.%1$s) IS %2$L', t, 'not equal');
  END LOOP;
END $$;

-- Constructors from chosen parameters
CREATE FUNCTION scrm.bgnbd(r float8, alpha float8, a float8, b float8) RETURNS scrm.bgnbd
AS 'MODULE_PATHNAME', 'scrm_bgnbd_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.paretonbd(r float8, alpha float8, s float8, beta float8) RETURNS scrm.paretonbd
AS 'MODULE_PATHNAME', 'scrm_paretonbd_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.gammagamma(p float8, q float8, gamma float8) RETURNS scrm.gammagamma
AS 'MODULE_PATHNAME', 'scrm_gammagamma_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.bgnbd(float8, float8, float8, float8) IS
  'A BG/NBD model from chosen parameters (all positive; alpha is a rate per period); no fit statistics.';
COMMENT ON FUNCTION scrm.paretonbd(float8, float8, float8, float8) IS
  'A Pareto/NBD model from chosen parameters (all positive; alpha and beta are rates per period).';
COMMENT ON FUNCTION scrm.gammagamma(float8, float8, float8) IS
  'A Gamma-Gamma spend model from chosen parameters (all positive).';

CREATE FUNCTION scrm.params(m scrm.bgnbd) RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.params(m scrm.paretonbd) RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.params(m scrm.gammagamma) RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.params(scrm.bgnbd) IS
  'Parameters r, alpha, a, b and fit statistics log_likelihood (sum over customers), customers '
  '(sum of weights), iterations, converged (null for a model built from chosen parameters).';
COMMENT ON FUNCTION scrm.params(scrm.paretonbd) IS
  'Parameters r, alpha, s, beta and fit statistics log_likelihood, customers, iterations, converged.';
COMMENT ON FUNCTION scrm.params(scrm.gammagamma) IS
  'Parameters p, q, gamma and fit statistics log_likelihood, customers, iterations, converged.';

-- Fitting aggregates (maximum likelihood; identical histories merged first)
CREATE FUNCTION scrm._fit_trans(internal, integer, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._fit_trans(internal, integer, float8, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._fit_trans(internal, scrm.rfm_summary)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_fit_rfm_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._fit_trans(internal, scrm.rfm_summary, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_fit_rfm_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._spend_fit_trans(internal, integer, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_spend_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._spend_fit_trans(internal, integer, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_spend_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._spend_fit_trans(internal, scrm.rfm_summary)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_spend_fit_rfm_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._spend_fit_trans(internal, scrm.rfm_summary, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_spend_fit_rfm_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'scrm_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._bgnbd_fit_final(internal) RETURNS scrm.bgnbd
AS 'MODULE_PATHNAME', 'scrm_bgnbd_fit_final' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._paretonbd_fit_final(internal) RETURNS scrm.paretonbd
AS 'MODULE_PATHNAME', 'scrm_paretonbd_fit_final' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._gammagamma_fit_final(internal) RETURNS scrm.gammagamma
AS 'MODULE_PATHNAME', 'scrm_gammagamma_fit_final' LANGUAGE C STABLE PARALLEL SAFE;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
      '_fit_trans(internal, integer, float8, float8)', '_fit_trans(internal, integer, float8, float8, float8)',
      '_fit_trans(internal, scrm.rfm_summary)', '_fit_trans(internal, scrm.rfm_summary, float8)',
      '_spend_fit_trans(internal, integer, float8)', '_spend_fit_trans(internal, integer, float8, float8)',
      '_spend_fit_trans(internal, scrm.rfm_summary)', '_spend_fit_trans(internal, scrm.rfm_summary, float8)',
      '_fit_combine(internal, internal)', '_fit_serialize(internal)', '_fit_deserialize(bytea, internal)',
      '_bgnbd_fit_final(internal)', '_paretonbd_fit_final(internal)', '_gammagamma_fit_final(internal)'] LOOP
    EXECUTE format('COMMENT ON FUNCTION scrm.%s IS %L', f, 'support function of the model-fitting aggregates');
  END LOOP;
END $$;

CREATE AGGREGATE scrm.bgnbd_fit(frequency integer, recency float8, age float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._bgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.bgnbd_fit(frequency integer, recency float8, age float8, weight float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._bgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.bgnbd_fit(history scrm.rfm_summary) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._bgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.bgnbd_fit(history scrm.rfm_summary, weight float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._bgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.paretonbd_fit(frequency integer, recency float8, age float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._paretonbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.paretonbd_fit(frequency integer, recency float8, age float8, weight float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._paretonbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.paretonbd_fit(history scrm.rfm_summary) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._paretonbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.paretonbd_fit(history scrm.rfm_summary, weight float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._paretonbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.gammagamma_fit(frequency integer, monetary float8) (
    SFUNC = scrm._spend_fit_trans, STYPE = internal, FINALFUNC = scrm._gammagamma_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.gammagamma_fit(frequency integer, monetary float8, weight float8) (
    SFUNC = scrm._spend_fit_trans, STYPE = internal, FINALFUNC = scrm._gammagamma_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.gammagamma_fit(history scrm.rfm_summary) (
    SFUNC = scrm._spend_fit_trans, STYPE = internal, FINALFUNC = scrm._gammagamma_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.gammagamma_fit(history scrm.rfm_summary, weight float8) (
    SFUNC = scrm._spend_fit_trans, STYPE = internal, FINALFUNC = scrm._gammagamma_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);

COMMENT ON AGGREGATE scrm.bgnbd_fit(integer, float8, float8) IS
  'Maximum-likelihood BG/NBD fit over customers'' (frequency, recency, age). Rows with NULLs are skipped; '
  'an impossible history is an error; fewer than 2 customers or no repeat purchase is an error; '
  'a fit that does not converge gives a WARNING and converged = false.';
COMMENT ON AGGREGATE scrm.bgnbd_fit(integer, float8, float8, float8) IS
  'BG/NBD fit with a weight per row (e.g. a count from GROUP BY frequency, recency, age). '
  'Weight 0 or NULL skips the row; negative is an error.';
COMMENT ON AGGREGATE scrm.bgnbd_fit(scrm.rfm_summary) IS 'BG/NBD fit over scrm.rfm summaries.';
COMMENT ON AGGREGATE scrm.bgnbd_fit(scrm.rfm_summary, float8) IS 'BG/NBD fit over weighted scrm.rfm summaries.';
COMMENT ON AGGREGATE scrm.paretonbd_fit(integer, float8, float8) IS
  'Maximum-likelihood Pareto/NBD fit over customers'' (frequency, recency, age); same rules as bgnbd_fit.';
COMMENT ON AGGREGATE scrm.paretonbd_fit(integer, float8, float8, float8) IS 'Pareto/NBD fit with a weight per row.';
COMMENT ON AGGREGATE scrm.paretonbd_fit(scrm.rfm_summary) IS 'Pareto/NBD fit over scrm.rfm summaries.';
COMMENT ON AGGREGATE scrm.paretonbd_fit(scrm.rfm_summary, float8) IS 'Pareto/NBD fit over weighted scrm.rfm summaries.';
COMMENT ON AGGREGATE scrm.gammagamma_fit(integer, float8) IS
  'Maximum-likelihood Gamma-Gamma fit over (frequency, monetary) of repeat buyers; rows with '
  'frequency 0 are skipped; monetary must be positive where frequency > 0.';
COMMENT ON AGGREGATE scrm.gammagamma_fit(integer, float8, float8) IS 'Gamma-Gamma fit with a weight per row.';
COMMENT ON AGGREGATE scrm.gammagamma_fit(scrm.rfm_summary) IS 'Gamma-Gamma fit over scrm.rfm summaries.';
COMMENT ON AGGREGATE scrm.gammagamma_fit(scrm.rfm_summary, float8) IS 'Gamma-Gamma fit over weighted scrm.rfm summaries.';

-- Predictions
CREATE FUNCTION scrm.expected_purchases(m scrm.bgnbd, horizon float8, frequency integer,
    recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.expected_purchases(m scrm.paretonbd, horizon float8, frequency integer,
    recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_paretonbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.expected_purchases(m scrm.bgnbd, horizon float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgnbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.expected_purchases(m scrm.paretonbd, horizon float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_paretonbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.p_alive(m scrm.bgnbd, frequency integer, recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.p_alive(m scrm.paretonbd, frequency integer, recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_paretonbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.purchase_probability(m scrm.bgnbd, horizon float8, purchases integer) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgnbd_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.expected_spend(m scrm.gammagamma, frequency integer, monetary float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.clv(purchases scrm.bgnbd, spend scrm.gammagamma, frequency integer,
    recency float8, age float8, monetary float8, steps integer DEFAULT 12,
    step float8 DEFAULT 4.345, discount_rate float8 DEFAULT 0.01) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.clv(purchases scrm.paretonbd, spend scrm.gammagamma, frequency integer,
    recency float8, age float8, monetary float8, steps integer DEFAULT 12,
    step float8 DEFAULT 4.345, discount_rate float8 DEFAULT 0.01) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_paretonbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.clv_simple(margin float8, retention float8, discount_rate float8,
    horizon integer DEFAULT NULL) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_clv_simple' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION scrm.expected_purchases(scrm.bgnbd, float8, integer, float8, float8) IS
  'E[purchases in (age, age + horizon] | frequency, recency, age] under BG/NBD (FHL 2005 eq. 10); periods.';
COMMENT ON FUNCTION scrm.expected_purchases(scrm.paretonbd, float8, integer, float8, float8) IS
  'E[purchases in (age, age + horizon] | frequency, recency, age] under Pareto/NBD; periods.';
COMMENT ON FUNCTION scrm.expected_purchases(scrm.bgnbd, float8) IS
  'E[X(horizon)]: expected repeat purchases of a new customer under BG/NBD (FHL 2005 eq. 9).';
COMMENT ON FUNCTION scrm.expected_purchases(scrm.paretonbd, float8) IS
  'E[X(horizon)]: expected repeat purchases of a new customer under Pareto/NBD.';
COMMENT ON FUNCTION scrm.p_alive(scrm.bgnbd, integer, float8, float8) IS
  'Probability the customer is still active at age under BG/NBD (1 when frequency = 0, a property of the model).';
COMMENT ON FUNCTION scrm.p_alive(scrm.paretonbd, integer, float8, float8) IS
  'Probability the customer is still active at age under Pareto/NBD.';
COMMENT ON FUNCTION scrm.purchase_probability(scrm.bgnbd, float8, integer) IS
  'P(X(horizon) = purchases): probability that a new customer makes exactly that many repeat '
  'purchases in horizon periods under BG/NBD (FHL 2005 eq. 8).';
COMMENT ON FUNCTION scrm.expected_spend(scrm.gammagamma, integer, float8) IS
  'Expected mean spend per purchase given frequency and monetary (the Gamma-Gamma posterior mean); '
  'the population mean p*gamma/(q-1) when frequency = 0.';
COMMENT ON FUNCTION scrm.clv(scrm.bgnbd, scrm.gammagamma, integer, float8, float8, float8, integer, float8, float8) IS
  'Customer lifetime value: sum over i = 1..steps of expected_spend * (E[N(i*step)] - E[N((i-1)*step)]) '
  '/ (1 + discount_rate)^i, E[N(t)] the conditional expected purchases. With weekly periods, '
  'step 4.345 (a month) and a monthly rate: 12 steps = one year.';
COMMENT ON FUNCTION scrm.clv(scrm.paretonbd, scrm.gammagamma, integer, float8, float8, float8, integer, float8, float8) IS
  'Customer lifetime value with a Pareto/NBD purchase model; as the BG/NBD form.';
COMMENT ON FUNCTION scrm.clv_simple(float8, float8, float8, integer) IS
  'Retention-model CLV: sum over t = 1..horizon of margin * retention^t / (1 + discount_rate)^t; '
  'NULL horizon = infinite: margin * retention / (1 + discount_rate - retention). NULL margin, '
  'retention or discount_rate give NULL.';

CREATE FUNCTION scrm.log_likelihood(m scrm.bgnbd, frequency integer, recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_purchase_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.log_likelihood(m scrm.paretonbd, frequency integer, recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_purchase_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm.log_likelihood(m scrm.gammagamma, frequency integer, monetary float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_spend_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.log_likelihood(scrm.bgnbd, integer, float8, float8) IS
  'ln L of one customer''s history under BG/NBD (sum it over a holdout set to compare models).';
COMMENT ON FUNCTION scrm.log_likelihood(scrm.paretonbd, integer, float8, float8) IS
  'ln L of one customer''s history under Pareto/NBD.';
COMMENT ON FUNCTION scrm.log_likelihood(scrm.gammagamma, integer, float8) IS
  'ln density of a repeat buyer''s mean spend under Gamma-Gamma (frequency > 0).';
