-- Contractual customers (issue 17): the shifted beta-geometric model (sBG;
-- Fader & Hardie 2007, "How to project customer retention"; 2010,
-- "Customer-base valuation in a contractual setting"), a model type like
-- the others, its weighted parallel fit, survival and retention curves,
-- the discounted expected residual lifetime and contractual CLV.

CREATE TYPE scrm.sbg;

CREATE OR REPLACE FUNCTION scrm._sbg_in(cstring) RETURNS scrm.sbg
AS 'MODULE_PATHNAME', 'scrm_sbg_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._sbg_out(scrm.sbg) RETURNS cstring
AS 'MODULE_PATHNAME', 'scrm_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._sbg_recv(internal) RETURNS scrm.sbg
AS 'MODULE_PATHNAME', 'scrm_sbg_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._sbg_send(scrm.sbg) RETURNS bytea
AS 'MODULE_PATHNAME', 'scrm_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE scrm.sbg (INPUT = scrm._sbg_in, OUTPUT = scrm._sbg_out,
    RECEIVE = scrm._sbg_recv, SEND = scrm._sbg_send,
    INTERNALLENGTH = 64, ALIGNMENT = double, STORAGE = plain);
COMMENT ON TYPE scrm.sbg IS
  'A shifted beta-geometric retention model (Fader & Hardie 2007) of contractual customers: alpha, beta '
  '(each customer''s churn probability per period is Beta(alpha, beta)) and, when fitted, log_likelihood, '
  'customers, iterations, converged. Text form (alpha=...,beta=...[,...]).';
COMMENT ON FUNCTION scrm._sbg_in(cstring) IS 'input function of scrm.sbg';
COMMENT ON FUNCTION scrm._sbg_out(scrm.sbg) IS 'output function of scrm.sbg';
COMMENT ON FUNCTION scrm._sbg_recv(internal) IS 'binary input function of scrm.sbg';
COMMENT ON FUNCTION scrm._sbg_send(scrm.sbg) IS 'binary output function of scrm.sbg';

CREATE OR REPLACE FUNCTION scrm._sbg_eq(scrm.sbg, scrm.sbg) RETURNS boolean
AS 'MODULE_PATHNAME', 'scrm_model_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._sbg_ne(scrm.sbg, scrm.sbg) RETURNS boolean
AS 'MODULE_PATHNAME', 'scrm_model_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm._sbg_eq(scrm.sbg, scrm.sbg) IS 'equality of scrm.sbg (parameters and fit statistics)';
COMMENT ON FUNCTION scrm._sbg_ne(scrm.sbg, scrm.sbg) IS 'inequality of scrm.sbg';
CREATE OPERATOR scrm.= (LEFTARG = scrm.sbg, RIGHTARG = scrm.sbg, FUNCTION = scrm._sbg_eq,
    COMMUTATOR = OPERATOR(scrm.=), NEGATOR = OPERATOR(scrm.<>), RESTRICT = eqsel, JOIN = eqjoinsel);
CREATE OPERATOR scrm.<> (LEFTARG = scrm.sbg, RIGHTARG = scrm.sbg, FUNCTION = scrm._sbg_ne,
    COMMUTATOR = OPERATOR(scrm.<>), NEGATOR = OPERATOR(scrm.=), RESTRICT = neqsel, JOIN = neqjoinsel);
COMMENT ON OPERATOR scrm.= (scrm.sbg, scrm.sbg) IS 'equal: same parameters and fit statistics';
COMMENT ON OPERATOR scrm.<> (scrm.sbg, scrm.sbg) IS 'not equal';

CREATE OR REPLACE FUNCTION scrm.sbg(alpha float8, beta float8) RETURNS scrm.sbg
AS 'MODULE_PATHNAME', 'scrm_sbg_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.sbg(float8, float8) IS 'An sBG model with chosen parameters (alpha, beta > 0).';
CREATE OR REPLACE FUNCTION scrm.params(m scrm.sbg) RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_model_params' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.params(scrm.sbg) IS
  'The parameters (alpha, beta) and, when fitted, log_likelihood, customers, iterations, converged.';

-- the fit: one row per customer (or per group, with a weight)
CREATE OR REPLACE FUNCTION scrm._sbg_fit_trans(internal, integer, boolean)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_sbg_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._sbg_fit_trans(internal, integer, boolean, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_sbg_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION scrm._sbg_fit_final(internal) RETURNS scrm.sbg
AS 'MODULE_PATHNAME', 'scrm_sbg_fit_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION scrm._sbg_fit_trans(internal, integer, boolean) IS 'support function of the model-fitting aggregates';
COMMENT ON FUNCTION scrm._sbg_fit_trans(internal, integer, boolean, float8) IS 'support function of the model-fitting aggregates';
COMMENT ON FUNCTION scrm._sbg_fit_final(internal) IS 'support function of the model-fitting aggregates';

CREATE AGGREGATE scrm.sbg_fit(periods integer, churned boolean) (
    SFUNC = scrm._sbg_fit_trans, STYPE = internal, FINALFUNC = scrm._sbg_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.sbg_fit(periods integer, churned boolean, weight float8) (
    SFUNC = scrm._sbg_fit_trans, STYPE = internal, FINALFUNC = scrm._sbg_fit_final,
    COMBINEFUNC = scrm._fit_combine, SERIALFUNC = scrm._fit_serialize,
    DESERIALFUNC = scrm._fit_deserialize, PARALLEL = SAFE);
COMMENT ON AGGREGATE scrm.sbg_fit(integer, boolean) IS
  'Maximum-likelihood sBG fit (Fader & Hardie 2007). One row per customer: lost at renewal t: periods = t '
  '(>= 1), churned = true; still active after n periods: periods = n, churned = false. Rows with a NULL are '
  'skipped; identical rows are merged before optimising.';
COMMENT ON AGGREGATE scrm.sbg_fit(integer, boolean, float8) IS 'sBG fit with a weight per row (e.g. a count of customers).';

-- predictions
CREATE OR REPLACE FUNCTION scrm.survival(m scrm.sbg, periods integer) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_sbg_survival' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.survival(scrm.sbg, integer) IS
  'S(t) = B(alpha, beta + t) / B(alpha, beta): the share of a cohort still a customer after periods renewal '
  'opportunities.';
CREATE OR REPLACE FUNCTION scrm.retention_rate(m scrm.sbg, period integer) RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_sbg_retention' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.retention_rate(scrm.sbg, integer) IS
  'r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1): the share of the customers of period '
  't - 1 who renew at period t (>= 1); it rises with t as the customers likely to churn leave.';
CREATE OR REPLACE FUNCTION scrm.expected_residual_lifetime(m scrm.sbg, discount_rate float8, renewals integer)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_sbg_derl' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.expected_residual_lifetime(scrm.sbg, float8, integer) IS
  'Discounted expected residual lifetime (Fader & Hardie 2010) of a customer who has made renewals renewals: '
  'sum over t >= renewals + 1 of S(t) / S(renewals) / (1 + discount_rate)^(t - renewals - 1), the next '
  'renewal undiscounted; in closed form B(alpha, beta + n) / B(alpha, beta + n - 1) 2F1(1, beta + n; '
  'alpha + beta + n; 1 / (1 + d)), n = renewals + 1. discount_rate per period, > 0.';
CREATE OR REPLACE FUNCTION scrm.clv(m scrm.sbg, value float8, discount_rate float8, renewals integer)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_sbg_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scrm.clv(scrm.sbg, float8, float8, integer) IS
  'Contractual residual lifetime value: value (paid at each renewal) x scrm.expected_residual_lifetime.';
