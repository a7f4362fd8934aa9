-- social_crm install script, assembled from src/sql/*.sql by the Makefile.
\echo Use "CREATE EXTENSION social_crm" to load this file. \quit

COMMENT ON SCHEMA scrm IS
  'social_crm: Social CRM analytics (customer lifetime value, social value, community influence)';
-- Graph engine (SPEC section 2): functions over an edges inner query.
--
-- Every function reads its edges from SQL text run as the caller, with
-- columns found by name: source and target (smallint, integer or bigint)
-- and, where weights apply, an optional weight (any numeric type, finite,
-- >= 0, default 1).  Duplicate (source, target) rows are merged by adding
-- their weights.  They are VOLATILE (they run a query) and PARALLEL
-- RESTRICTED (the inner query may read temporary tables).

CREATE FUNCTION scrm.pagerank(
    edges text,
    damping float8 DEFAULT 0.85,
    max_iterations integer DEFAULT 100,
    tolerance float8 DEFAULT 1e-6,
    directed boolean DEFAULT true,
    personalization text DEFAULT NULL)
RETURNS TABLE (node bigint, score float8)
AS 'MODULE_PATHNAME', 'scrm_pagerank'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.pagerank(text, float8, integer, float8, boolean, text) IS
  'PageRank with networkx semantics. edges: SQL returning source, target [, weight]. '
  'Weighted transitions; dangling mass spread like the personalization vector; teleport to it '
  '(uniform when personalization is NULL). personalization: SQL returning node, weight '
  '(nodes not in the graph are ignored). Stops when the L1 change < n * tolerance; '
  'not converging is a WARNING and the last iterate is returned. Scores sum to 1.';

CREATE FUNCTION scrm.degree(
    edges text,
    directed boolean DEFAULT true)
RETURNS TABLE (node bigint, in_degree float8, out_degree float8)
AS 'MODULE_PATHNAME', 'scrm_degree'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.degree(text, boolean) IS
  'Weighted in- and out-degree of every node. edges: SQL returning source, target [, weight]. '
  'Undirected: both columns hold the weighted degree, a self-loop counting twice.';

CREATE FUNCTION scrm.components(edges text)
RETURNS TABLE (node bigint, component bigint)
AS 'MODULE_PATHNAME', 'scrm_components'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.components(text) IS
  'Weakly connected components. edges: SQL returning source, target (a weight column is ignored). '
  'component = the smallest node id in the component.';
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

CREATE AGGREGATE scrm.rfm(purchased_at timestamptz, amount float8, as_of timestamptz) (
    SFUNC = scrm._rfm_trans, STYPE = internal, FINALFUNC = scrm._rfm_final,
    COMBINEFUNC = scrm._rfm_combine, SERIALFUNC = scrm._rfm_serialize,
    DESERIALFUNC = scrm._rfm_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE scrm.rfm(purchased_at timestamptz, amount float8, as_of timestamptz, period interval) (
    SFUNC = scrm._rfm_trans, STYPE = internal, FINALFUNC = scrm._rfm_final,
    COMBINEFUNC = scrm._rfm_combine, SERIALFUNC = scrm._rfm_serialize,
    DESERIALFUNC = scrm._rfm_deserialize, PARALLEL = SAFE);
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
-- Communities and influence (SPEC section 2, second half).
--
-- Communities and modularity work on the undirected weighted graph (each
-- edge counts in both directions, duplicates add up).  Influence works on
-- the directed graph: edge u -> v means u influences v.  Randomised
-- functions take a seed and give the same result for the same input and
-- seed on every run.

CREATE FUNCTION scrm.communities(
    edges text,
    method text DEFAULT 'louvain',
    resolution float8 DEFAULT 1.0,
    seed integer DEFAULT 0)
RETURNS TABLE (node bigint, community bigint)
AS 'MODULE_PATHNAME', 'scrm_communities'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.communities(text, text, float8, integer) IS
  'Communities of the undirected weighted graph. edges: SQL returning source, target [, weight]. '
  'method: louvain (Blondel et al. 2008), leiden (Traag et al. 2019, refinement included; every '
  'community is connected) or label_propagation (Raghavan et al. 2007, stops after 1000 sweeps at '
  'most). resolution > 0 is the modularity resolution (larger: smaller communities). '
  'community = the smallest node id in the community.';

CREATE FUNCTION scrm.modularity(
    edges text,
    membership text,
    resolution float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_modularity'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000;

COMMENT ON FUNCTION scrm.modularity(text, text, float8) IS
  'Newman modularity of a partition of the undirected weighted graph (networkx and igraph '
  'semantics, a self-loop counting twice in the degree). edges: SQL returning source, target '
  '[, weight]; membership: SQL returning node, community (every node of the graph exactly once; '
  'extra nodes are ignored). NULL when the graph has no edge weight.';

CREATE FUNCTION scrm.influence_spread(
    edges text,
    seeds bigint[],
    model text DEFAULT 'independent_cascade',
    probability float8 DEFAULT NULL,
    simulations integer DEFAULT 1000,
    seed integer DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_influence_spread'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000;

COMMENT ON FUNCTION scrm.influence_spread(text, bigint[], text, float8, integer, integer) IS
  'Expected number of nodes activated by the seeds (seeds included) under the Independent Cascade '
  'model, by Monte Carlo over simulations live-edge worlds. edges: SQL returning source, target '
  '[, weight]; edge u -> v means u influences v. probability NULL: weighted cascade (weight / '
  'weighted in-degree of the target); a number in [0, 1]: that probability for every edge; -1: '
  'the edge weight (must be <= 1). Seeds outside the graph count once each.';

CREATE FUNCTION scrm.influence_maximization(
    edges text,
    k integer,
    model text DEFAULT 'independent_cascade',
    probability float8 DEFAULT NULL,
    simulations integer DEFAULT 1000,
    seed integer DEFAULT 0)
RETURNS TABLE (rank integer, node bigint, marginal_gain float8, spread float8)
AS 'MODULE_PATHNAME', 'scrm_influence_maximization'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 100000 ROWS 10;

COMMENT ON FUNCTION scrm.influence_maximization(text, integer, text, float8, integer, integer) IS
  'k seeds that maximise the Independent Cascade spread, by CELF lazy greedy (Leskovec et al. 2007) '
  'over simulations live-edge worlds shared by every candidate (ties to the smallest node id). '
  'Arguments as scrm.influence_spread. Returns each seed in order with its marginal gain and the '
  'spread of the seeds so far.';
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
