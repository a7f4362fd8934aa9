-- BG/BB (issue 17): discrete opportunities (Fader, Hardie & Shang 2010,
-- "Customer-base analysis in a discrete-time noncontractual setting"):
-- events, annual donations, seasonal catalogues.  A model type like the
-- others, its weighted parallel fit, P(alive), expected transactions, CLV.

CREATE TYPE scrm.bgbb;

CREATE OR REPLACE FUNCTION scrm._bgbb_in(cstring) RETURNS scrm.bgbb
AS 'MODULE_PATHNAME', 'scrm_bgbb_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._bgbb_out(scrm.bgbb) RETURNS cstring
AS 'MODULE_PATHNAME', 'scrm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._bgbb_recv(internal) RETURNS scrm.bgbb
AS 'MODULE_PATHNAME', 'scrm_bgbb_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._bgbb_send(scrm.bgbb) RETURNS bytea
AS 'MODULE_PATHNAME', 'scrm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE scrm.bgbb (INPUT = scrm._bgbb_in, OUTPUT = scrm._bgbb_out,
    RECEIVE = scrm._bgbb_recv, SEND = scrm._bgbb_send,
    INTERNALLENGTH = 64, ALIGNMENT = double, STORAGE = plain);
COMMENT ON TYPE scrm.bgbb IS
  'A BG/BB model of discrete opportunities (Fader, Hardie & Shang 2010): alpha, beta (the transaction '
  'probability p ~ Beta(alpha, beta)), gamma, delta (the dropout probability theta ~ Beta(gamma, delta)) and, '
  'when fitted, log_likelihood, customers, iterations, converged. Text form (alpha=...,beta=...,gamma=...,delta=...).';
COMMENT ON FUNCTION scrm._bgbb_in(cstring) IS 'input function of scrm.bgbb';
COMMENT ON FUNCTION scrm._bgbb_out(scrm.bgbb) IS 'output function of scrm.bgbb';
COMMENT ON FUNCTION scrm._bgbb_recv(internal) IS 'binary input function of scrm.bgbb';
COMMENT ON FUNCTION scrm._bgbb_send(scrm.bgbb) IS 'binary output function of scrm.bgbb';

CREATE OR REPLACE FUNCTION scrm._bgbb_eq(scrm.bgbb, scrm.bgbb) RETURNS boolean
AS 'MODULE_PATHNAME', 'scrm_model_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._bgbb_ne(scrm.bgbb, scrm.bgbb) RETURNS boolean
AS 'MODULE_PATHNAME', 'scrm_model_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm._bgbb_eq(scrm.bgbb, scrm.bgbb) IS 'equality of scrm.bgbb (parameters and fit statistics)';
COMMENT ON FUNCTION scrm._bgbb_ne(scrm.bgbb, scrm.bgbb) IS 'inequality of scrm.bgbb';
CREATE OPERATOR scrm.= (LEFTARG = scrm.bgbb, RIGHTARG = scrm.bgbb, FUNCTION = scrm._bgbb_eq,
    COMMUTATOR = OPERATOR(scrm.=), NEGATOR = OPERATOR(scrm.<>), RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE OPERATOR scrm.<> (LEFTARG = scrm.bgbb, RIGHTARG = scrm.bgbb, FUNCTION = scrm._bgbb_ne,
    COMMUTATOR = OPERATOR(scrm.<>), NEGATOR = OPERATOR(scrm.=), RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR scrm.= (scrm.bgbb, scrm.bgbb) IS 'equal: same parameters and fit statistics';
COMMENT ON OPERATOR scrm.<> (scrm.bgbb, scrm.bgbb) IS 'not equal';

CREATE OR REPLACE FUNCTION scrm.bgbb(alpha float8, beta float8, gamma float8, delta float8) RETURNS scrm.bgbb
AS 'MODULE_PATHNAME', 'scrm_bgbb_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.bgbb(float8, float8, float8, float8) IS 'A BG/BB model with chosen parameters (all > 0).';
CREATE OR REPLACE FUNCTION scrm.params(m scrm.bgbb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.params(scrm.bgbb) IS
  'The parameters (alpha, beta, gamma, delta) and, when fitted, log_likelihood, customers, iterations, converged.';

-- the fit: the columns of lifetimes' donations data
CREATE OR REPLACE FUNCTION scrm._bgbb_fit_trans(internal, integer, integer, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_bgbb_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._bgbb_fit_trans(internal, integer, integer, integer, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_bgbb_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._bgbb_fit_final(internal) RETURNS scrm.bgbb
AS 'MODULE_PATHNAME', 'scrm_bgbb_fit_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION scrm._bgbb_fit_trans(internal, integer, integer, integer) IS 'support function of the model-fitting aggregates';
COMMENT ON FUNCTION scrm._bgbb_fit_trans(internal, integer, integer, integer, float8) IS 'support function of the model-fitting aggregates';
COMMENT ON FUNCTION scrm._bgbb_fit_final(internal) IS 'support function of the model-fitting aggregates';

CREATE AGGREGATE scrm.bgbb_fit(frequency integer, recency integer, opportunities integer) (
    SFUNC = scrm._bgbb_fit_trans, STYPE = internal, FINALFUNC = scrm._bgbb_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.bgbb_fit(frequency integer, recency integer, opportunities integer, weight float8) (
    SFUNC = scrm._bgbb_fit_trans, STYPE = internal, FINALFUNC = scrm._bgbb_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE scrm.bgbb_fit(integer, integer, integer) IS
  'Maximum-likelihood BG/BB fit: per customer the transactions (frequency) in opportunities after the first, '
  'the opportunity of the last (recency, 0 without) and the opportunities observed; identical rows merged.';
COMMENT ON AGGREGATE scrm.bgbb_fit(integer, integer, integer, float8) IS 'BG/BB fit with a weight per row (e.g. a count of customers).';

-- predictions
CREATE OR REPLACE FUNCTION scrm.p_alive(m scrm.bgbb, frequency integer, recency integer, opportunities integer,
    future integer DEFAULT 1) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgbb_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.p_alive(scrm.bgbb, integer, integer, integer, integer) IS
  'BG/BB probability the customer is still active at opportunity opportunities + future (default: the next).';
CREATE OR REPLACE FUNCTION scrm.expected_purchases(m scrm.bgbb, future integer, frequency integer, recency integer,
    opportunities integer) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgbb_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.expected_purchases(scrm.bgbb, integer, integer, integer, integer) IS
  'BG/BB expected transactions in the next future opportunities of a customer with this history.';
CREATE OR REPLACE FUNCTION scrm.clv(purchases scrm.bgbb, spend scrm.gammagamma, frequency integer, recency integer,
    opportunities integer, monetary float8, steps integer DEFAULT 10, discount_rate float8 DEFAULT 0.1) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgbb_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.clv(scrm.bgbb, scrm.gammagamma, integer, integer, integer, float8, integer, float8) IS
  'Customer lifetime value with BG/BB transactions: over the next steps opportunities, expected spend x the '
  'transactions expected at each / (1 + discount_rate)^k.';
CREATE OR REPLACE FUNCTION scrm.log_likelihood(m scrm.bgbb, frequency integer, recency integer, opportunities integer)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_bgbb_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.log_likelihood(scrm.bgbb, integer, integer, integer) IS
  'One customer''s BG/BB log-likelihood (holdout diagnostics).';
