-- MBG/NBD (issue 17): BG/NBD with a dropout possible at time 0 as well
-- (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008), so that a
-- customer without repeat purchases is no longer certainly alive.  The same
-- surface as scrm.bgnbd: the type, weighted parallel fits, predictions, CLV.

CREATE TYPE scrm.mbgnbd;

CREATE OR REPLACE FUNCTION scrm._mbgnbd_in(cstring) RETURNS scrm.mbgnbd
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._mbgnbd_out(scrm.mbgnbd) RETURNS cstring
AS 'MODULE_PATHNAME', 'scrm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._mbgnbd_recv(internal) RETURNS scrm.mbgnbd
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._mbgnbd_send(scrm.mbgnbd) RETURNS bytea
AS 'MODULE_PATHNAME', 'scrm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE scrm.mbgnbd (INPUT = scrm._mbgnbd_in, OUTPUT = scrm._mbgnbd_out,
    RECEIVE = scrm._mbgnbd_recv, SEND = scrm._mbgnbd_send,
    INTERNALLENGTH = 64, ALIGNMENT = double, STORAGE = plain);
COMMENT ON TYPE scrm.mbgnbd IS
  'An MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007): r, alpha, a, b and, when fitted, '
  'log_likelihood, customers, iterations, converged. Text form (r=...,alpha=...,a=...,b=...[,...]).';
COMMENT ON FUNCTION scrm._mbgnbd_in(cstring) IS 'input function of scrm.mbgnbd';
COMMENT ON FUNCTION scrm._mbgnbd_out(scrm.mbgnbd) IS 'output function of scrm.mbgnbd';
COMMENT ON FUNCTION scrm._mbgnbd_recv(internal) IS 'binary input function of scrm.mbgnbd';
COMMENT ON FUNCTION scrm._mbgnbd_send(scrm.mbgnbd) IS 'binary output function of scrm.mbgnbd';

CREATE OR REPLACE FUNCTION scrm._mbgnbd_eq(scrm.mbgnbd, scrm.mbgnbd) RETURNS boolean
AS 'MODULE_PATHNAME', 'scrm_model_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._mbgnbd_ne(scrm.mbgnbd, scrm.mbgnbd) RETURNS boolean
AS 'MODULE_PATHNAME', 'scrm_model_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm._mbgnbd_eq(scrm.mbgnbd, scrm.mbgnbd) IS 'equality of scrm.mbgnbd (parameters and fit statistics)';
COMMENT ON FUNCTION scrm._mbgnbd_ne(scrm.mbgnbd, scrm.mbgnbd) IS 'inequality of scrm.mbgnbd';
CREATE OPERATOR scrm.= (LEFTARG = scrm.mbgnbd, RIGHTARG = scrm.mbgnbd, FUNCTION = scrm._mbgnbd_eq,
    COMMUTATOR = OPERATOR(scrm.=), NEGATOR = OPERATOR(scrm.<>), RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE OPERATOR scrm.<> (LEFTARG = scrm.mbgnbd, RIGHTARG = scrm.mbgnbd, FUNCTION = scrm._mbgnbd_ne,
    COMMUTATOR = OPERATOR(scrm.<>), NEGATOR = OPERATOR(scrm.=), RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR scrm.= (scrm.mbgnbd, scrm.mbgnbd) IS 'equal: same parameters and fit statistics';
COMMENT ON OPERATOR scrm.<> (scrm.mbgnbd, scrm.mbgnbd) IS 'not equal';

CREATE OR REPLACE FUNCTION scrm.mbgnbd(r float8, alpha float8, a float8, b float8) RETURNS scrm.mbgnbd
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.mbgnbd(float8, float8, float8, float8) IS 'An MBG/NBD model with chosen parameters (all > 0).';
CREATE OR REPLACE FUNCTION scrm.params(m scrm.mbgnbd) RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.params(scrm.mbgnbd) IS
  'The parameters (r, alpha, a, b) and, when fitted, log_likelihood, customers, iterations, converged.';

-- the fits: the transition functions of scrm.bgnbd_fit, an MBG/NBD final function
CREATE OR REPLACE FUNCTION scrm._mbgnbd_fit_final(internal) RETURNS scrm.mbgnbd
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_fit_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION scrm._mbgnbd_fit_final(internal) IS 'support function of the model-fitting aggregates';

CREATE AGGREGATE scrm.mbgnbd_fit(frequency integer, recency float8, age float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._mbgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.mbgnbd_fit(frequency integer, recency float8, age float8, weight float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._mbgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.mbgnbd_fit(history scrm.rfm_summary) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._mbgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.mbgnbd_fit(history scrm.rfm_summary, weight float8) (
    SFUNC = scrm._fit_trans, STYPE = internal, FINALFUNC = scrm._mbgnbd_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE scrm.mbgnbd_fit(integer, float8, float8) IS
  'Maximum-likelihood MBG/NBD fit over (frequency, recency, age) rows, as scrm.bgnbd_fit.';
COMMENT ON AGGREGATE scrm.mbgnbd_fit(integer, float8, float8, float8) IS 'MBG/NBD fit with a weight per row.';
COMMENT ON AGGREGATE scrm.mbgnbd_fit(scrm.rfm_summary) IS 'MBG/NBD fit over scrm.rfm summaries.';
COMMENT ON AGGREGATE scrm.mbgnbd_fit(scrm.rfm_summary, float8) IS 'MBG/NBD fit over weighted scrm.rfm summaries.';

-- predictions
CREATE OR REPLACE FUNCTION scrm.expected_purchases(m scrm.mbgnbd, horizon float8, frequency integer,
    recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.expected_purchases(scrm.mbgnbd, float8, integer, float8, float8) IS
  'MBG/NBD expected purchases in (age, age + horizon] of a customer with this history.';
CREATE OR REPLACE FUNCTION scrm.expected_purchases(m scrm.mbgnbd, horizon float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.expected_purchases(scrm.mbgnbd, float8) IS
  'MBG/NBD E[X(horizon)] for a new customer: b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))].';
CREATE OR REPLACE FUNCTION scrm.p_alive(m scrm.mbgnbd, frequency integer, recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.p_alive(scrm.mbgnbd, integer, float8, float8) IS
  'MBG/NBD probability the customer is still active: 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), below 1 '
  'also without repeat purchases.';
CREATE OR REPLACE FUNCTION scrm.clv(purchases scrm.mbgnbd, spend scrm.gammagamma, frequency integer,
    recency float8, age float8, monetary float8, steps integer DEFAULT 12,
    step float8 DEFAULT 4.345, discount_rate float8 DEFAULT 0.01) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_mbgnbd_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.clv(scrm.mbgnbd, scrm.gammagamma, integer, float8, float8, float8, integer, float8, float8) IS
  'Customer lifetime value with MBG/NBD purchases, as scrm.clv with BG/NBD.';
CREATE OR REPLACE FUNCTION scrm.log_likelihood(m scrm.mbgnbd, frequency integer, recency float8, age float8) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_purchase_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.log_likelihood(scrm.mbgnbd, integer, float8, float8) IS
  'One customer''s MBG/NBD log-likelihood (holdout diagnostics).';
