-- social_crm install script, assembled from src/sql/*.sql by the Makefile.
\echo Use "CREATE EXTENSION social_crm" to load this file. \quit

-- Never adopt a schema scrm that another role prepared (CREATE EXTENSION
-- uses an existing schema of that name): its owner, or anyone who may create
-- objects in it, could replace or shadow the extension's objects.
DO $$
DECLARE
  me oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) pg_catalog.current_user());
  ns pg_catalog.pg_namespace;
  other oid;
BEGIN
  SELECT * INTO ns FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'scrm';
  IF ns.nspowner OPERATOR(pg_catalog.<>) me THEN
    RAISE EXCEPTION 'schema scrm already exists and is owned by role %', ns.nspowner::pg_catalog.regrole
      USING ERRCODE = '42501',
            DETAIL = 'social_crm installs only into a schema scrm that it creates or that the installing role owns.',
            HINT = 'Drop or rename that schema, or have its owner hand it over with ALTER SCHEMA scrm OWNER TO '
                   || pg_catalog.quote_ident(pg_catalog.current_user()) || ' after checking what it holds.';
  END IF;
  SELECT a.grantee INTO other FROM pg_catalog.aclexplode(ns.nspacl) a
  WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE' AND a.grantee OPERATOR(pg_catalog.<>) me LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'schema scrm lets role % create objects in it',
                    CASE WHEN other OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE other::pg_catalog.regrole::pg_catalog.text END
      USING ERRCODE = '42501', HINT = 'REVOKE CREATE ON SCHEMA scrm FROM that role first.';
  END IF;
  SELECT x.owner INTO other FROM (
    SELECT c.relowner AS owner FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) ns.oid
    UNION ALL SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) ns.oid
    UNION ALL SELECT t.typowner FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) ns.oid
    UNION ALL SELECT o.oprowner FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) ns.oid) x
  WHERE x.owner OPERATOR(pg_catalog.<>) me LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'schema scrm already holds objects of role %', other::pg_catalog.regrole
      USING ERRCODE = '42501', HINT = 'Install social_crm into a schema scrm that holds no objects of other roles.';
  END IF;
END
$$;

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
-- Advocacy (SPEC section 3, SOCIAL.md section 3) and referral value (SOCIAL.md section 1).

CREATE TABLE scrm.advocacy_kind (
    kind text PRIMARY KEY CHECK (kind <> ''),
    weight float8 NOT NULL CHECK (weight > '-infinity' AND weight < 'infinity'),
    description text
);

COMMENT ON TABLE scrm.advocacy_kind IS
  'Advocacy event kinds and their weights (SOCIAL.md section 3), read by scrm.advocacy. Editable: '
  'change a weight, add a kind, or set a weight to 0 to retire a kind. Kept by pg_dump. Kinds '
  'ending in _mention are multiplied by reach min(4, 1 + log10(1 + audience)); survey is '
  'multiplied by +1 (score 9-10), 0 (7-8) or -1 (0-6); answer_accepted, helped_customer, '
  'referral_converted and referral_sent count as helping a counterparty for the advocate label.';
COMMENT ON COLUMN scrm.advocacy_kind.kind IS 'event kind, as passed to scrm.advocacy';
COMMENT ON COLUMN scrm.advocacy_kind.weight IS 'points of one fresh, undamped event (negative for detraction)';
COMMENT ON COLUMN scrm.advocacy_kind.description IS 'what the kind means';

INSERT INTO scrm.advocacy_kind (kind, weight, description) VALUES
  ('answer_accepted', 5, 'their answer solved another customer''s problem'),
  ('helped_customer', 3, 'helped another customer (needs a counterparty)'),
  ('defended_brand', 4, 'defended the brand in public; count only verified or moderated events'),
  ('referral_converted', 6, 'a referral that became a customer: the strongest proof, intent is not action'),
  ('referral_sent', 0.5, 'a referral not (yet) converted'),
  ('co_created', 4, 'an idea or feedback the company adopted (co-creation)'),
  ('positive_mention', 1, 'a favourable review or post, times reach'),
  ('negative_mention', -2, 'an unfavourable review or post, times reach (rarer than positive, so more telling)'),
  ('complaint', -1, 'an open complaint'),
  ('complaint_resolved', 0, 'a resolved complaint: service recovery is not detraction'),
  ('survey', 1, 'survey answer: +1 for 9-10, 0 for 7-8, -1 for 0-6; only the latest within 365 days counts');

-- pg_dump keeps every row.  On restore CREATE EXTENSION inserts the shipped
-- rows first; this trigger replaces a row whose key is inserted again, so the
-- dumped (possibly edited) rows come back instead of failing on the key.
CREATE FUNCTION scrm._replace_on_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('DELETE FROM %I.%I WHERE %I = $1.%I',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0]) USING NEW;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION scrm._replace_on_insert() IS
  'Internal: inserting a row whose key (the trigger argument) exists replaces it, so pg_dump output '
  'restores over the shipped defaults of a configuration table.';

CREATE TRIGGER advocacy_kind_replace
BEFORE INSERT ON scrm.advocacy_kind
FOR EACH ROW EXECUTE FUNCTION scrm._replace_on_insert('kind');

SELECT pg_catalog.pg_extension_config_dump('scrm.advocacy_kind', '');

CREATE TYPE scrm.advocacy_summary AS (
    positive float8,
    negative float8,
    net float8,
    advocate_score integer,
    detractor_index integer,
    valence float8,
    distinct_counterparties integer,
    label text
);

COMMENT ON TYPE scrm.advocacy_summary IS 'Result of scrm.advocacy: a customer''s advocacy, part by part (SOCIAL.md section 3).';
COMMENT ON COLUMN scrm.advocacy_summary.positive IS 'sum of positive contributions (weight * reach * damping * decay)';
COMMENT ON COLUMN scrm.advocacy_summary.negative IS 'sum of the absolute negative contributions';
COMMENT ON COLUMN scrm.advocacy_summary.net IS 'positive - negative';
COMMENT ON COLUMN scrm.advocacy_summary.advocate_score IS 'round(100 * (1 - exp(-max(net, 0) / 10))), 0..100';
COMMENT ON COLUMN scrm.advocacy_summary.detractor_index IS 'round(100 * (1 - exp(-max(-net, 0) / 10))), 0..100';
COMMENT ON COLUMN scrm.advocacy_summary.valence IS '1 - 2 * negative / (positive + negative + 2): 1 without evidence, towards -1 for a pure detractor';
COMMENT ON COLUMN scrm.advocacy_summary.distinct_counterparties IS 'distinct customers helped, answered for or referred';
COMMENT ON COLUMN scrm.advocacy_summary.label IS 'advocate, promoter_only, detractor or neutral';

CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval, bigint, integer)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_trans' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'scrm_advocacy_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'scrm_advocacy_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scrm._advocacy_final(internal)
RETURNS scrm.advocacy_summary AS 'MODULE_PATHNAME', 'scrm_advocacy_final' LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_trans(internal, text, timestamptz, timestamptz, bigint, bigint, interval, bigint, integer) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_combine(internal, internal) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_serialize(internal) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_deserialize(bytea, internal) IS 'support function of scrm.advocacy';
COMMENT ON FUNCTION scrm._advocacy_final(internal) IS 'support function of scrm.advocacy';

-- SSPACE: the average state (a customer's events, 32 bytes each, in an array
-- of at least 16), so GROUP BY customer is planned in memory (see scrm.rfm).
CREATE FUNCTION scrm._advocate_label(score integer, detractor integer, distinct_counterparties integer,
                                     converted boolean, survey_score integer)
RETURNS text AS 'MODULE_PATHNAME', 'scrm_advocate_label' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION scrm._advocate_label(integer, integer, integer, boolean, integer) IS
  'Internal: the advocate label (SOCIAL.md section 3) from an advocate score, a detractor index, the distinct '
  'counterparties helped, whether a referral converted and the survey score that counts (NULL: none), as '
  'scrm.advocacy labels; scrm.refresh labels its scores with network reach with it.';

CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);
CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz,
                               counterparty bigint, audience bigint) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);
CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz,
                               counterparty bigint, audience bigint, half_life interval) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);
CREATE AGGREGATE scrm.advocacy(kind text, occurred_at timestamptz, as_of timestamptz,
                               counterparty bigint, audience bigint, half_life interval,
                               customer bigint, score integer) (
    SFUNC = scrm._advocacy_trans, STYPE = internal,
    COMBINEFUNC = scrm._advocacy_combine,
    SERIALFUNC = scrm._advocacy_serialize, DESERIALFUNC = scrm._advocacy_deserialize,
    FINALFUNC = scrm._advocacy_final,
    SSPACE = 640, PARALLEL = SAFE
);

COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz) IS
  'A customer''s advocacy (SOCIAL.md section 3), GROUP BY customer: each event contributes its '
  'scrm.advocacy_kind weight, decayed by half every 180 days before as_of; events after as_of or '
  'older than 3 years are ignored. Returns scrm.advocacy_summary. An unknown kind is an error.';
COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz, bigint, bigint) IS
  'scrm.advocacy with the counterparty (the k-th event of one kind with the same counterparty in 30 '
  'days counts 1/k, and helped counterparties decide the advocate label) and the audience of '
  'mentions (reach = min(4, 1 + log10(1 + audience))).';
COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz, bigint, bigint, interval) IS
  'scrm.advocacy with counterparty, audience and the decay half_life (default 180 days).';
COMMENT ON AGGREGATE scrm.advocacy(text, timestamptz, timestamptz, bigint, bigint, interval, bigint, integer) IS
  'scrm.advocacy, full form: also the customer (events whose counterparty is the customer are '
  'dropped) and the 0..10 score of survey events (+1 for 9-10, 0 for 7-8, -1 for 0-6; only the '
  'latest survey within 365 days counts; promoter_only labels a 9-10 survey without advocacy).';

CREATE FUNCTION scrm.referral_value(
    referrals text,
    customer_value text,
    incrementality float8 DEFAULT 0.5,
    acquisition_saving float8 DEFAULT 0)
RETURNS TABLE (node bigint, referral_value float8, referred integer)
AS 'MODULE_PATHNAME', 'scrm_referral_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.referral_value(text, text, float8, float8) IS
  'Customer referral value (Kumar, Petersen & Leone 2007; SOCIAL.md section 1). referrals: SQL '
  'returning referrer, referred [, reward_cost, incrementality]; customer_value: SQL returning node, '
  'value (customers without a row are worth 0). A referred customer j is attributed kappa_j * value_j '
  '+ (1 - kappa_j) * acquisition_saving (kappa_j = their incrementality, else the parameter), split '
  'equally among j''s referrers; each referrer is charged the rewards they were paid. Self-referrals '
  'are ignored, duplicate rows are one referral (rewards add up). The values sum to the attributed '
  'value of all referred customers minus all rewards. referred = customers this one referred. Every '
  'referrer, referred and valued customer is returned.';
-- Integration (SPEC section 4, SOCIAL.md sections 5 and 7-10): configure a
-- CRM's own tables once, refresh every score in one call, read the views.

CREATE TABLE scrm.relationship_kind (
    kind text PRIMARY KEY CHECK (kind <> ''),
    weight float8 NOT NULL CHECK (weight >= 0 AND weight <= 1),
    bidirectional boolean NOT NULL,
    description text
);

COMMENT ON TABLE scrm.relationship_kind IS
  'Relationship kinds and their weights (SOCIAL.md section 10), read by scrm.refresh. A relationship '
  'of a kind gives the edge strength weight * strength * 2^(-age / 365 days); a bidirectional kind also '
  'gives the reverse edge. Editable, kept by pg_dump.';
COMMENT ON COLUMN scrm.relationship_kind.kind IS 'relationship kind, as in the relationships query';
COMMENT ON COLUMN scrm.relationship_kind.weight IS 'strength of the tie, 0..1';
COMMENT ON COLUMN scrm.relationship_kind.bidirectional IS 'true when influence runs both ways';
COMMENT ON COLUMN scrm.relationship_kind.description IS 'what the kind means';

INSERT INTO scrm.relationship_kind (kind, weight, bidirectional, description) VALUES
  ('household', 1.0, true, 'same household'),
  ('family', 0.8, true, 'family member'),
  ('referral', 0.8, false, 'the source referred the target'),
  ('friend', 0.6, true, 'friend'),
  ('colleague', 0.5, true, 'colleague'),
  ('helped', 0.4, false, 'the source helped the target'),
  ('community', 0.2, true, 'member of the same online community'),
  ('follows', 0.1, false, 'the target follows the source');

CREATE TRIGGER relationship_kind_replace
BEFORE INSERT ON scrm.relationship_kind
FOR EACH ROW EXECUTE FUNCTION scrm._replace_on_insert('kind');

SELECT pg_catalog.pg_extension_config_dump('scrm.relationship_kind', '');

-- the configuration: one row, written by scrm.configure
CREATE TABLE scrm.config (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    customers text NOT NULL,
    purchases text NOT NULL,
    relationships text,
    interactions text,
    referrals text,
    surveys text,
    settings jsonb NOT NULL DEFAULT '{}',
    columns jsonb NOT NULL DEFAULT '{}',
    configured_at timestamptz NOT NULL DEFAULT now(),
    configured_by regrole NOT NULL
);

COMMENT ON TABLE scrm.config IS
  'The pipeline configuration written by scrm.configure: the inner queries over the CRM''s tables in '
  'canonical form (every name schema-qualified), the settings given (defaults apply to the others), the '
  'columns each query returns and the role the queries run as. Kept by pg_dump.';
COMMENT ON COLUMN scrm.config.id IS 'always true: one configuration';
COMMENT ON COLUMN scrm.config.customers IS 'SQL returning customer [, social_consent]';
COMMENT ON COLUMN scrm.config.purchases IS 'SQL returning customer, purchased_at, amount';
COMMENT ON COLUMN scrm.config.relationships IS 'SQL returning source, target [, kind, strength, last_interaction_at]';
COMMENT ON COLUMN scrm.config.interactions IS 'SQL returning customer, kind, occurred_at [, counterparty, audience, resolved]';
COMMENT ON COLUMN scrm.config.referrals IS 'SQL returning referrer, referred [, reward_cost, incrementality]';
COMMENT ON COLUMN scrm.config.surveys IS 'SQL returning customer, score, answered_at';
COMMENT ON COLUMN scrm.config.settings IS 'settings given to scrm.configure (SOCIAL.md section 9)';
COMMENT ON COLUMN scrm.config.columns IS 'columns found in each query at configure time';
COMMENT ON COLUMN scrm.config.configured_at IS 'when scrm.configure ran';
COMMENT ON COLUMN scrm.config.configured_by IS
  'the role that configured: scrm.refresh runs every query as this role, whoever refreshes; a row may name '
  'only a role its writer is a member of';

SELECT pg_catalog.pg_extension_config_dump('scrm.config', '');

-- results of the last refresh
CREATE TABLE scrm.customer_score (
    customer bigint PRIMARY KEY,
    social_consent boolean NOT NULL,
    monetary_value float8 NOT NULL,
    p_alive float8,
    expected_purchases float8,
    referral_value float8,
    influence_value float8,
    advocacy_points float8,
    advocate_score integer,
    advocate_label text,
    nps_class text,
    social_adjustment float8,
    total_value float8 NOT NULL,
    tier text NOT NULL,
    monetary_tier text NOT NULL,
    needs_review boolean NOT NULL,
    pagerank float8,
    community bigint,
    churn_value_at_risk float8,
    loss_if_churned float8,
    computed_at timestamptz NOT NULL
);

COMMENT ON TABLE scrm.customer_score IS 'Internal: per-customer results of the last scrm.refresh; read scrm.customer_value.';

CREATE TABLE scrm.community_score (
    community bigint PRIMARY KEY,
    members integer NOT NULL,
    monetary_value float8 NOT NULL,
    total_value float8 NOT NULL,
    referral_value float8 NOT NULL,
    influence_value float8 NOT NULL,
    advocates integer NOT NULL,
    detractors integer NOT NULL,
    net_advocacy float8 NOT NULL,
    clout float8 NOT NULL,
    clout_index float8 NOT NULL,
    internal_edge_share float8,
    computed_at timestamptz NOT NULL
);

COMMENT ON TABLE scrm.community_score IS 'Internal: per-community results of the last scrm.refresh; read scrm.community_clout.';

CREATE TABLE scrm.refresh_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    as_of timestamptz NOT NULL,
    customers bigint NOT NULL,
    settings jsonb NOT NULL,
    purchase_model scrm.bgnbd,
    spend_model scrm.gammagamma,
    row_counts jsonb NOT NULL,
    step_ms jsonb NOT NULL,
    configured_by regrole
);

COMMENT ON TABLE scrm.refresh_log IS
  'One row per scrm.refresh: when it ran, as_of, the settings in force (defaults included), the model '
  'fits, row counts of each input, the time of each step in milliseconds and the role the input queries ran as.';

SELECT pg_catalog.pg_extension_config_dump('scrm.customer_score', '');
SELECT pg_catalog.pg_extension_config_dump('scrm.community_score', '');
SELECT pg_catalog.pg_extension_config_dump('scrm.refresh_log', '');
SELECT pg_catalog.pg_extension_config_dump('scrm.refresh_log_id_seq', '');

-- views for applications and BI tools
CREATE VIEW scrm.customer_value AS
SELECT customer, monetary_value, p_alive, expected_purchases, referral_value, influence_value,
       advocacy_points, advocate_score, advocate_label, nps_class, social_adjustment, total_value,
       tier, monetary_tier, needs_review, social_consent, pagerank, community,
       churn_value_at_risk, loss_if_churned, computed_at
FROM scrm.customer_score;

COMMENT ON VIEW scrm.customer_value IS
  'One row per customer from the last scrm.refresh: monetary value (CLV), social value part by part, '
  'total value and service tier. Social columns are NULL for customers without social consent.';
COMMENT ON COLUMN scrm.customer_value.customer IS 'customer id, as in the customers query';
COMMENT ON COLUMN scrm.customer_value.monetary_value IS 'customer lifetime value: BG/NBD x Gamma-Gamma, discounted (0 without purchases)';
COMMENT ON COLUMN scrm.customer_value.p_alive IS 'probability the customer is still active (BG/NBD); NULL without purchases';
COMMENT ON COLUMN scrm.customer_value.expected_purchases IS 'purchases expected over the CLV horizon (BG/NBD)';
COMMENT ON COLUMN scrm.customer_value.referral_value IS 'value of the customers they referred, credit split (SOCIAL.md section 1)';
COMMENT ON COLUMN scrm.customer_value.influence_value IS 'value of other customers credited to them through relationships (SOCIAL.md section 2)';
COMMENT ON COLUMN scrm.customer_value.advocacy_points IS 'net advocacy evidence, positive part multiplied by network reach (SOCIAL.md section 3)';
COMMENT ON COLUMN scrm.customer_value.advocate_score IS 'advocate score 0..100 from advocacy_points';
COMMENT ON COLUMN scrm.customer_value.advocate_label IS 'advocate, promoter_only, detractor or neutral';
COMMENT ON COLUMN scrm.customer_value.nps_class IS 'promoter, passive or detractor from the latest survey within 365 days';
COMMENT ON COLUMN scrm.customer_value.social_adjustment IS 'total_value - monetary_value: referral + valence * influence, capped at cap * monetary (SOCIAL.md section 4)';
COMMENT ON COLUMN scrm.customer_value.total_value IS 'monetary value plus the social adjustment';
COMMENT ON COLUMN scrm.customer_value.tier IS 'service tier: good, excellent or exceptional (SOCIAL.md section 5)';
COMMENT ON COLUMN scrm.customer_value.monetary_tier IS 'the tier monetary value alone would give';
COMMENT ON COLUMN scrm.customer_value.needs_review IS 'tier_policy symmetric: social evidence lowered the tier below the monetary tier';
COMMENT ON COLUMN scrm.customer_value.social_consent IS 'whether the customer entered social processing (consent_mode)';
COMMENT ON COLUMN scrm.customer_value.pagerank IS 'PageRank in the relationship graph';
COMMENT ON COLUMN scrm.customer_value.community IS 'detected community';
COMMENT ON COLUMN scrm.customer_value.churn_value_at_risk IS 'p_churn * loss_if_churned, p_churn = 1 - p_alive (SOCIAL.md section 6)';
COMMENT ON COLUMN scrm.customer_value.loss_if_churned IS 'own value plus the value expected to follow through churn contagion; summed over customers it double counts';
COMMENT ON COLUMN scrm.customer_value.computed_at IS 'start of the refresh that computed the row';

CREATE VIEW scrm.community_clout AS
SELECT community, members, monetary_value, total_value, referral_value, influence_value,
       advocates, detractors, net_advocacy, clout, clout_index, internal_edge_share, computed_at
FROM scrm.community_score;

COMMENT ON VIEW scrm.community_clout IS 'One row per community from the last scrm.refresh (SOCIAL.md section 7), consenting members only.';
COMMENT ON COLUMN scrm.community_clout.community IS 'community id, as in scrm.customer_value';
COMMENT ON COLUMN scrm.community_clout.members IS 'members';
COMMENT ON COLUMN scrm.community_clout.monetary_value IS 'sum of the members'' monetary value';
COMMENT ON COLUMN scrm.community_clout.total_value IS 'sum of the members'' total value';
COMMENT ON COLUMN scrm.community_clout.referral_value IS 'sum of the members'' referral value';
COMMENT ON COLUMN scrm.community_clout.influence_value IS 'sum of the members'' influence value';
COMMENT ON COLUMN scrm.community_clout.advocates IS 'members labelled advocate';
COMMENT ON COLUMN scrm.community_clout.detractors IS 'members labelled detractor';
COMMENT ON COLUMN scrm.community_clout.net_advocacy IS '(advocates - detractors) / members * 100';
COMMENT ON COLUMN scrm.community_clout.clout IS 'sum of the members'' total value';
COMMENT ON COLUMN scrm.community_clout.clout_index IS 'percentile rank of clout among communities, 0..100';
COMMENT ON COLUMN scrm.community_clout.internal_edge_share IS 'share of the members'' tie strength that stays inside the community, ties inside counting at both ends (cohesion)';
COMMENT ON COLUMN scrm.community_clout.computed_at IS 'start of the refresh that computed the row';

CREATE VIEW scrm.top_advocates AS
SELECT customer, advocate_score, advocacy_points, referral_value, influence_value, total_value, tier, community
FROM scrm.customer_score
WHERE advocate_label = 'advocate'
ORDER BY advocate_score DESC, advocacy_points DESC, customer;

COMMENT ON VIEW scrm.top_advocates IS 'Customers labelled advocate by the last scrm.refresh, best first.';
COMMENT ON COLUMN scrm.top_advocates.customer IS 'customer id';
COMMENT ON COLUMN scrm.top_advocates.advocate_score IS 'advocate score 0..100';
COMMENT ON COLUMN scrm.top_advocates.advocacy_points IS 'net advocacy evidence with network reach';
COMMENT ON COLUMN scrm.top_advocates.referral_value IS 'referral value';
COMMENT ON COLUMN scrm.top_advocates.influence_value IS 'influence value';
COMMENT ON COLUMN scrm.top_advocates.total_value IS 'total value';
COMMENT ON COLUMN scrm.top_advocates.tier IS 'service tier';
COMMENT ON COLUMN scrm.top_advocates.community IS 'community';

CREATE VIEW scrm.model_fit AS
SELECT 'bgnbd'::text AS model, scrm.params(l.purchase_model) AS params, l.finished_at AS fitted_at, l.as_of
FROM (SELECT purchase_model, finished_at, as_of FROM scrm.refresh_log ORDER BY id DESC LIMIT 1) l
UNION ALL
SELECT 'gammagamma', scrm.params(l.spend_model), l.finished_at, l.as_of
FROM (SELECT spend_model, finished_at, as_of FROM scrm.refresh_log ORDER BY id DESC LIMIT 1) l;

COMMENT ON VIEW scrm.model_fit IS 'The model fits of the last scrm.refresh, one row per model.';
COMMENT ON COLUMN scrm.model_fit.model IS 'bgnbd (purchases) or gammagamma (spend)';
COMMENT ON COLUMN scrm.model_fit.params IS 'parameters, log-likelihood, customers and convergence, as scrm.params returns them';
COMMENT ON COLUMN scrm.model_fit.fitted_at IS 'when the refresh finished';
COMMENT ON COLUMN scrm.model_fit.as_of IS 'observation end of the fit';
-- The pipeline's functions (SPEC section 4): configure, the steps of refresh
-- and the C functions they call.  Every function here is CREATE OR REPLACE so
-- that an upgrade script can run this file again.

-- SOCIAL.md section 9: the settings and their defaults
CREATE OR REPLACE FUNCTION scrm.default_settings()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT pg_catalog.jsonb_build_object(
  'as_of', NULL, 'period', '7 days',
  'clv_steps', 12, 'clv_step', 4.345, 'discount_rate', 0.01,
  'incrementality', 0.5, 'acquisition_saving', 0,
  'autonomy', 1.0, 'hop_continuation', 0.5,
  'advocacy_half_life', '180 days', 'advocacy_scale', 10,
  'cap', 0.5, 'floor', 0,
  'excellent_percentile', 80, 'exceptional_percentile', 95, 'tier_policy', 'no_harm',
  'contagion', 0.8, 'contagion_half_life_months', 3, 'churn_horizon_months', 12,
  'community_method', 'leiden', 'seed', 0,
  'consent_mode', 'opt_in')
$$;

COMMENT ON FUNCTION scrm.default_settings() IS
  'The settings of scrm.configure and their defaults (SOCIAL.md section 9); as_of NULL means the time of the refresh.';

-- settings given merged over the defaults, each checked
-- PARALLEL UNSAFE: its exception block is a subtransaction, which parallel
-- mode does not allow
CREATE OR REPLACE FUNCTION scrm._settings(given jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s jsonb;
  k text;
  bad text;
  n float8;
BEGIN
  IF given IS NULL OR jsonb_typeof(given) <> 'object' THEN
    RAISE EXCEPTION 'settings must be a JSON object'
      USING ERRCODE = '22023', HINT = 'For example ''{"cap": 0.4, "consent_mode": "objection"}''.';
  END IF;
  SELECT string_agg(key, ', ' ORDER BY key) INTO bad
  FROM jsonb_object_keys(given) key WHERE NOT scrm.default_settings() ? key;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown setting: %', bad
      USING ERRCODE = '22023',
            HINT = 'Settings are: ' || (SELECT string_agg(key, ', ' ORDER BY key) FROM jsonb_object_keys(scrm.default_settings()) key) || '.';
  END IF;
  s := scrm.default_settings() || given;
  BEGIN
    k := 'as_of';
    IF s->>'as_of' IS NOT NULL AND NOT isfinite((s->>'as_of')::timestamptz) THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    -- durations: a string with a unit ({"period": 7} would mean 7 seconds),
    -- positive, and no part negative (refresh counts a month as 365.25 / 12
    -- days, the interval type as 30: only then do both see the same sign)
    FOREACH k IN ARRAY ARRAY['period', 'advocacy_half_life'] LOOP
      IF jsonb_typeof(s->k) IS DISTINCT FROM 'string' OR s->>k ~ '^\s*[-+]?[0-9.]+\s*$'
         OR extract(epoch FROM (s->>k)::interval) <= 0 OR (s->>k)::interval::text ~ '-' THEN
        RAISE EXCEPTION USING ERRCODE = '22023';
      END IF;
    END LOOP;
    FOREACH k IN ARRAY ARRAY['clv_steps', 'seed'] LOOP
      PERFORM (s->>k)::integer;
      IF (s->>k) IS NULL THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    END LOOP;
    -- clv_steps sizes a loop per customer: at most scrm.clv's limit
    k := 'clv_steps';
    IF (s->>k)::integer NOT BETWEEN 1 AND 10000 THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    FOREACH k IN ARRAY ARRAY['clv_step', 'discount_rate', 'incrementality', 'acquisition_saving', 'autonomy',
                             'hop_continuation', 'advocacy_scale', 'cap', 'floor', 'excellent_percentile',
                             'exceptional_percentile', 'contagion', 'contagion_half_life_months', 'churn_horizon_months'] LOOP
      n := (s->>k)::float8;
      IF n IS NULL OR n <> n OR n IN ('infinity', '-infinity')
         OR (k IN ('clv_step', 'autonomy', 'advocacy_scale', 'contagion_half_life_months', 'churn_horizon_months') AND n <= 0)
         OR (k IN ('discount_rate', 'floor', 'contagion') AND n < 0)
         OR (k = 'incrementality' AND (n < 0 OR n > 1))
         OR (k = 'hop_continuation' AND (n <= 0 OR n >= 1))
         OR (k = 'cap' AND (n < 0 OR n >= 1))
         OR (k IN ('excellent_percentile', 'exceptional_percentile') AND (n <= 0 OR n >= 100)) THEN
        RAISE EXCEPTION USING ERRCODE = '22023';
      END IF;
    END LOOP;
    k := 'exceptional_percentile';
    IF (s->>k)::float8 < (s->>'excellent_percentile')::float8 THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'tier_policy';
    IF s->>k IS NULL OR s->>k NOT IN ('no_harm', 'symmetric') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'community_method';
    IF s->>k IS NULL OR s->>k NOT IN ('louvain', 'leiden', 'label_propagation') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
    k := 'consent_mode';
    IF s->>k IS NULL OR s->>k NOT IN ('opt_in', 'objection') THEN RAISE EXCEPTION USING ERRCODE = '22023'; END IF;
  EXCEPTION WHEN data_exception THEN
    RAISE EXCEPTION 'invalid value for setting %: %', k, coalesce(s->>k, 'null')
      USING ERRCODE = '22023',
            DETAIL = 'Default: ' || coalesce(scrm.default_settings()->>k, 'null') || '.',
            HINT = 'Durations are strings with a unit (e.g. "7 days"); clv_steps is at most 10000. '
                   'See SOCIAL.md section 9 for the meaning and range of each setting.';
  END;
  RETURN s;
END
$$;

COMMENT ON FUNCTION scrm._settings(jsonb) IS 'Internal: the settings given merged over scrm.default_settings(), each value checked.';

CREATE OR REPLACE FUNCTION scrm._refresh_input(input text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'scrm_refresh_input'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_input(text) IS
  'Internal: the rows of the configured query of a pipeline input, run as the role that configured it (see '
  'the README, Security), its columns in the order of SOCIAL.md section 10 as bigint, float8, text, '
  'timestamptz or boolean (absent optional columns NULL); no rows when the input is not configured. Needs '
  'INSERT on scrm.customer_score (the right to refresh).';

CREATE OR REPLACE FUNCTION scrm._refresh_rfm(purchases text, as_of timestamptz, period interval)
RETURNS TABLE (customer bigint, rfm scrm.rfm_summary)
AS 'MODULE_PATHNAME', 'scrm_refresh_rfm'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_rfm(text, timestamptz, interval) IS
  'Internal: scrm.rfm(purchased_at, amount, as_of, period) of every customer of purchases (customer, '
  'purchased_at, amount; rows with a NULL skipped; NULL: the configured purchases query, run as the role that '
  'configured it), computed by sorting the purchases in memory instead of a '
  'hash aggregate. Needs 48 bytes per purchase within scrm.max_memory, else fails with 54000 (scrm.refresh '
  'then uses the aggregate).';

CREATE OR REPLACE FUNCTION scrm._refresh_advocacy(events text, as_of timestamptz, half_life interval,
                                       customers bigint[], excluded bigint[])
RETURNS TABLE (customer bigint, events bigint, net float8, valence float8, distinct_counterparties integer,
               converted boolean, survey_score integer)
AS 'MODULE_PATHNAME', 'scrm_refresh_advocacy'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 10000;

COMMENT ON FUNCTION scrm._refresh_advocacy(text, timestamptz, interval, bigint[], bigint[]) IS
  'Internal: scrm.advocacy(kind, occurred_at, as_of, counterparty, audience, half_life, customer, score) of '
  'every customer listed in customers (NULL: all) over events (customer, kind, occurred_at, counterparty, '
  'audience, score; NULL: the configured interactions and surveys, run as the role that configured them), leaving out events whose counterparty is listed in excluded: the rows kept, net, valence, '
  'distinct counterparties, whether a referral converted and the survey score that counts. Sorts the events '
  'in memory instead of a hash aggregate; needs 48 bytes per event within scrm.max_memory, else fails with '
  '54000 (scrm.refresh then uses the aggregate).';

-- The relationship graph of a refresh is built once, kept in memory for the
-- rest of the transaction (the "shared graph"), and every graph step reads it
-- from there: no work table of millions of arcs, written once and read six
-- times.  The functions below are scrm.refresh's; they run in the session
-- that built the graph (PARALLEL RESTRICTED) and depend on it (VOLATILE).
CREATE OR REPLACE FUNCTION scrm._refresh_graph(relationships text, keep bigint[], as_of timestamptz,
                                    OUT relationships bigint, OUT arcs bigint)
AS 'MODULE_PATHNAME', 'scrm_refresh_graph'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000;

COMMENT ON FUNCTION scrm._refresh_graph(text, bigint[], timestamptz) IS
  'Internal: builds the relationship graph of SOCIAL.md section 10 from relationships (source, target and '
  'optionally kind, strength, last_interaction_at; NULL: the configured relationships query, run as the role '
  'that configured it) and shares it with the graph steps that follow in this '
  'transaction: arcs of weight kind weight (scrm.relationship_kind) * strength * 2^(-days before as_of / 365), '
  'both ways for bidirectional kinds, duplicates merged by noisy-OR, self-loops dropped, only arcs between the '
  'customers in keep (all when keep is NULL). A kind the table does not list or a strength outside [0, 1] is '
  'an error (22023). Returns the number of relationship rows read and of arcs kept.';

CREATE OR REPLACE FUNCTION scrm._refresh_graph_arcs()
RETURNS TABLE (source bigint, target bigint, weight float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_graph_arcs'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 100000;

COMMENT ON FUNCTION scrm._refresh_graph_arcs() IS
  'Internal: the arcs of the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_pagerank(
    damping float8 DEFAULT 0.85, max_iterations integer DEFAULT 100, tolerance float8 DEFAULT 1e-6,
    directed boolean DEFAULT true, personalization text DEFAULT NULL)
RETURNS TABLE (node bigint, score float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_pagerank'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_pagerank(float8, integer, float8, boolean, text) IS
  'Internal: scrm.pagerank of the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_communities(
    method text DEFAULT 'louvain', resolution float8 DEFAULT 1.0, seed integer DEFAULT 0)
RETURNS TABLE (node bigint, community bigint)
AS 'MODULE_PATHNAME', 'scrm_refresh_communities'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_communities(text, float8, integer) IS
  'Internal: scrm.communities of the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_influence_value(
    customer_value text, autonomy float8 DEFAULT 1.0, hop_continuation float8 DEFAULT 0.5)
RETURNS TABLE (node bigint, influence_value float8, retained_share float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_influence_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_influence_value(text, float8, float8) IS
  'Internal: scrm.influence_value over the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._refresh_churn_impact(
    customer_value text, contagion float8 DEFAULT 0.8, half_life_months float8 DEFAULT 3,
    horizon_months float8 DEFAULT 12)
RETURNS TABLE (node bigint, own_value float8, contagion_loss float8,
               loss_if_churned float8, value_at_risk float8)
AS 'MODULE_PATHNAME', 'scrm_refresh_churn_impact'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._refresh_churn_impact(text, float8, float8, float8) IS
  'Internal: scrm.churn_impact over the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._community_cohesion(edges text, membership text)
RETURNS TABLE (community bigint, internal_weight float8, total_weight float8)
AS 'MODULE_PATHNAME', 'scrm_community_cohesion'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 100;

COMMENT ON FUNCTION scrm._community_cohesion(text, text) IS
  'Internal: per community of membership (node, community), the weight of its members'' ties counted at '
  'both ends (the graph as undirected), inside the community and in all; the sums behind scrm.modularity. '
  'edges NULL: the graph scrm._refresh_graph built in this transaction.';

CREATE OR REPLACE FUNCTION scrm._network_reach(edges text, autonomy float8)
RETURNS TABLE (node bigint, reach float8)
AS 'MODULE_PATHNAME', 'scrm_network_reach'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm._network_reach(text, float8) IS
  'Internal: per node with an outgoing tie, sum_v s_uv / (autonomy + S_v), the shares of other customers'' '
  'decisions it holds (SOCIAL.md section 2); scrm.refresh turns it into the advocacy network reach. '
  'edges NULL: the graph scrm._refresh_graph built in this transaction.';

-- Who may store queries that run as a role: scrm.configure records the role
-- that calls it, and a row written straight into scrm.config may name only a
-- role its writer is a member of (the rule of ALTER ... OWNER TO), so no one
-- stores a query that runs with rights they do not have.
CREATE OR REPLACE FUNCTION scrm._config_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.configured_by IS NULL THEN
    NEW.configured_by := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)::regrole;
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, NEW.configured_by::oid, 'MEMBER') THEN
    RAISE EXCEPTION 'permission denied to store queries that run as role %', NEW.configured_by
      USING ERRCODE = '42501',
            DETAIL = 'The queries of scrm.config run as configured_by, so only its members may write that row.',
            HINT = 'Call scrm.configure as the role the queries should run as.';
  END IF;
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION scrm._config_guard() IS
  'Internal: trigger of scrm.config; a row may name in configured_by only a role its writer is a member of '
  '(NULL: the writer).';

CREATE OR REPLACE TRIGGER config_guard
BEFORE INSERT OR UPDATE ON scrm.config
FOR EACH ROW EXECUTE FUNCTION scrm._config_guard();

-- configure is C (src/pipeline.c): it parses the queries with the caller's
-- search_path, as written, and stores them through _configure, which runs
-- under the pinned one
CREATE OR REPLACE FUNCTION scrm._configure(stored text[], columns jsonb, settings jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s jsonb := scrm._settings(settings);
BEGIN
  IF s->>'consent_mode' = 'opt_in' AND NOT (columns->'customers') ? 'social_consent' THEN
    RAISE EXCEPTION 'the customers query has no social_consent column, which consent_mode opt_in needs'
      USING ERRCODE = '42703',
            DETAIL = 'With opt_in (the default) only customers whose social_consent is true enter social processing.',
            HINT = 'Return the consent as social_consent (e.g. SELECT id AS customer, marketing_ok AS social_consent ...), '
                   'or set consent_mode to objection to include everyone except customers whose social_consent is false.';
  END IF;
  DELETE FROM scrm.config;
  INSERT INTO scrm.config (customers, purchases, relationships, interactions, referrals, surveys, settings, columns,
                           configured_by)
  VALUES (stored[1], stored[2], stored[3], stored[4], stored[5], stored[6], _configure.settings, _configure.columns,
          (SELECT r.oid FROM pg_roles r WHERE r.rolname = current_user)::regrole);
  RETURN jsonb_build_object('inputs', _configure.columns, 'settings', s);
END
$$;

COMMENT ON FUNCTION scrm._configure(text[], jsonb, jsonb) IS
  'Internal: stores the configuration scrm.configure checked: the canonical queries (customers, purchases, '
  'relationships, interactions, referrals, surveys), the columns each has and the settings, run as the caller.';

CREATE OR REPLACE FUNCTION scrm.configure(
    customers text,
    purchases text,
    relationships text DEFAULT NULL,
    interactions text DEFAULT NULL,
    referrals text DEFAULT NULL,
    surveys text DEFAULT NULL,
    settings jsonb DEFAULT '{}')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'scrm_configure'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION scrm.configure(text, text, text, text, text, text, jsonb) IS
  'Point social_crm at a CRM''s own tables: inner queries returning the columns of SOCIAL.md section 10 '
  '(customers and purchases required; relationships, interactions, referrals, surveys optional) and '
  'settings overriding the defaults of scrm.default_settings(). Each query must be one read-only SELECT; it '
  'is parsed with the caller''s search_path, stored with every name schema-qualified, and planned and its '
  'columns checked now, so a typo fails here (42703/42804); unknown settings fail with 22023. scrm.refresh '
  'runs the queries as the role that called configure. Replaces the previous configuration; returns the '
  'columns found and the settings in force.';

-- The steps of scrm.refresh.  Each takes the state of the run (jsonb: the
-- settings in force, as_of, row counts, step timings, the model fits and tier
-- thresholds once known), does one thing, leaves its result in a work table
-- pg_temp._scrm_refresh_<name> and returns the state.  Stored queries reach
-- them only through the C reader (scrm._refresh_input, _refresh_rfm,
-- _refresh_graph, _refresh_advocacy), which runs them as the configurer.

-- Note a step's time, report it and return the state
CREATE OR REPLACE FUNCTION scrm._step_done(r jsonb, step text, started timestamptz)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ms float8 := round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1)::float8;
BEGIN
  RAISE NOTICE 'scrm.refresh: % done in % ms', step, ms;
  RETURN jsonb_set(r, '{step_ms}', (r->'step_ms') || jsonb_build_object(step, ms));
END
$$;

COMMENT ON FUNCTION scrm._step_done(jsonb, text, timestamptz) IS
  'Internal: records the time of a step of scrm.refresh in its state and reports it.';

-- Start: one refresh at a time, the configuration, settings and as_of
CREATE OR REPLACE FUNCTION scrm._step_start()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cfg scrm.config;
  s jsonb;
  caller_work_mem text := current_setting('work_mem');
BEGIN
  -- each step reads the inputs as committed when it starts (READ COMMITTED);
  -- a snapshot taken before the wait for another refresh could not replace
  -- that refresh's results (40001 after all the work): refuse at once
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'scrm.refresh must run in a READ COMMITTED transaction'
      USING ERRCODE = '25001',
            DETAIL = pg_catalog.format('The transaction is %s.', upper(current_setting('transaction_isolation'))),
            HINT = 'Call scrm.refresh() outside an explicit transaction, or after BEGIN ISOLATION LEVEL READ COMMITTED.';
  END IF;
  -- a second refresh waits for the first to end (its rows would collide with
  -- the first's); readers are never blocked
  BEGIN
    LOCK TABLE scrm.customer_score, scrm.community_score IN SHARE ROW EXCLUSIVE MODE NOWAIT;
  EXCEPTION WHEN lock_not_available THEN
    RAISE NOTICE 'scrm.refresh: waiting for the refresh of another session to end';
    LOCK TABLE scrm.customer_score, scrm.community_score IN SHARE ROW EXCLUSIVE MODE;
  END;
  SELECT * INTO cfg FROM scrm.config;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'social_crm is not configured'
      USING ERRCODE = '55000', HINT = 'Call scrm.configure(customers, purchases, ...) first.';
  END IF;
  s := scrm._settings(cfg.settings);
  -- hash joins and aggregates over every customer: give them room while
  -- refresh runs (restored at the end; an error ends the transaction anyway)
  IF pg_size_bytes(caller_work_mem) < 256 * 1024 * 1024 THEN
    PERFORM set_config('work_mem', '256MB', true);
  END IF;
  RETURN jsonb_build_object(
    'started', clock_timestamp(), 'settings', s, 'columns', cfg.columns,
    'as_of', coalesce((s->>'as_of')::timestamptz, now()), 'configured_by', cfg.configured_by::text,
    'caller_work_mem', caller_work_mem, 'row_counts', '{}'::jsonb, 'step_ms', '{}'::jsonb);
END
$$;

COMMENT ON FUNCTION scrm._step_start() IS
  'Internal: first step of scrm.refresh: waits for any other refresh, reads the configuration and returns the '
  'state of the run.';

-- Add row counts to the state
CREATE OR REPLACE FUNCTION scrm._step_count(r jsonb, counts jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT jsonb_set(r, '{row_counts}', (r->'row_counts') || counts) $$;

COMMENT ON FUNCTION scrm._step_count(jsonb, jsonb) IS 'Internal: adds row counts to the state of scrm.refresh.';

-- Customers and consent (SOCIAL.md section 8)
CREATE OR REPLACE FUNCTION scrm._step_customers(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  has_consent boolean := (r->'columns'->'customers') ? 'social_consent';
  opt_in boolean := r->'settings'->>'consent_mode' = 'opt_in';
  dup bigint;
BEGIN
  CREATE TEMP TABLE _scrm_refresh_customer ON COMMIT DROP AS
  SELECT q.customer,
         bool_and(CASE WHEN NOT has_consent THEN true
                       WHEN opt_in THEN coalesce(q.social_consent, false)
                       ELSE coalesce(q.social_consent, true) END) AS consent,
         count(*) AS rows
  FROM scrm._refresh_input('customers'::text) AS q(customer bigint, social_consent boolean)
  GROUP BY 1;
  IF EXISTS (SELECT 1 FROM pg_temp._scrm_refresh_customer WHERE customer IS NULL) THEN
    RAISE EXCEPTION 'customers query returned a null customer'
      USING ERRCODE = '22004', HINT = 'Filter the nulls out, e.g. WHERE customer IS NOT NULL.';
  END IF;
  SELECT customer INTO dup FROM pg_temp._scrm_refresh_customer WHERE rows > 1 ORDER BY customer LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'customer % appears more than once in the customers query', dup
      USING ERRCODE = '22023', HINT = 'Give each customer exactly one row.';
  END IF;
  ANALYZE pg_temp._scrm_refresh_customer;
  RETURN scrm._step_count(r, (SELECT jsonb_build_object('customers', count(*), 'consenting', count(*) FILTER (WHERE consent))
                              FROM pg_temp._scrm_refresh_customer));
END
$$;

COMMENT ON FUNCTION scrm._step_customers(jsonb) IS
  'Internal: step of scrm.refresh: the customers and whether each enters social processing (consent_mode).';

-- RFM of every buyer
CREATE OR REPLACE FUNCTION scrm._step_rfm(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  as_of timestamptz := (r->>'as_of')::timestamptz;
  period interval := (r->'settings'->>'period')::interval;
BEGIN
  BEGIN
    -- in memory: sorting the purchases beats a hash aggregate several times
    CREATE TEMP TABLE _scrm_refresh_rfm ON COMMIT DROP AS
      SELECT * FROM scrm._refresh_rfm(NULL::text, as_of, period);
  EXCEPTION WHEN program_limit_exceeded THEN
    -- more purchases than scrm.max_memory holds: the aggregate over the
    -- purchases as a tuplestore, both of which spill to disk
    CREATE TEMP TABLE _scrm_refresh_rfm ON COMMIT DROP AS
      SELECT q.customer, scrm.rfm(q.purchased_at, q.amount, as_of, period) AS rfm
      FROM scrm._refresh_input('purchases'::text) AS q(customer bigint, purchased_at timestamptz, amount float8)
      WHERE q.customer IS NOT NULL AND q.purchased_at IS NOT NULL AND q.amount IS NOT NULL
      GROUP BY 1;
  END;
  -- purchases of customers the customers query does not list drop out
  DELETE FROM pg_temp._scrm_refresh_rfm x
  WHERE NOT EXISTS (SELECT 1 FROM pg_temp._scrm_refresh_customer c WHERE c.customer = x.customer);
  RETURN scrm._step_count(r, jsonb_build_object('buyers', (SELECT count(rfm) FROM pg_temp._scrm_refresh_rfm)));
END
$$;

COMMENT ON FUNCTION scrm._step_rfm(jsonb) IS 'Internal: step of scrm.refresh: the RFM summary of every buyer.';

-- BG/NBD and Gamma-Gamma fits
CREATE OR REPLACE FUNCTION scrm._step_fits(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  bg scrm.bgnbd;
  gg scrm.gammagamma;
  err_message text;
  err_detail text;
BEGIN
  -- Gamma-Gamma models positive spend: repeat buyers whose repeat purchases
  -- average 0 or less (free orders, refunds) stay out of the spend fit
  BEGIN
    SELECT scrm.bgnbd_fit(x.rfm),
           scrm.gammagamma_fit(x.rfm) FILTER (WHERE (x.rfm).frequency = 0 OR (x.rfm).monetary > 0)
      INTO bg, gg
    FROM pg_temp._scrm_refresh_rfm x WHERE x.rfm IS NOT NULL;
  EXCEPTION WHEN invalid_parameter_value THEN
    -- too little history to fit (a new CRM, as_of too early): say so
    GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT, err_detail = PG_EXCEPTION_DETAIL;
    RAISE EXCEPTION 'scrm.refresh cannot fit the purchase and spend models: %', err_message
      USING ERRCODE = '22023', DETAIL = err_detail,
            HINT = 'The models need purchases before as_of from at least 2 customers, some of them repeat purchases '
                   'on a later day. Check the purchases query and the as_of setting.';
  END;
  RETURN r || jsonb_build_object('purchase_model', bg::text, 'spend_model', gg::text);
END
$$;

COMMENT ON FUNCTION scrm._step_fits(jsonb) IS 'Internal: step of scrm.refresh: the BG/NBD and Gamma-Gamma fits.';

-- The relationship graph of consenting customers (SOCIAL.md section 10),
-- built once in C and kept in memory for the graph steps
CREATE OR REPLACE FUNCTION scrm._step_graph(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  g record;
BEGIN
  SELECT * INTO g FROM scrm._refresh_graph(NULL::text,
    ARRAY(SELECT c.customer FROM pg_temp._scrm_refresh_customer c WHERE c.consent), (r->>'as_of')::timestamptz);
  IF r->'columns' ? 'relationships' THEN
    r := scrm._step_count(r, jsonb_build_object('relationships', g.relationships));
  END IF;
  RETURN scrm._step_count(r, jsonb_build_object('edges', g.arcs));
END
$$;

COMMENT ON FUNCTION scrm._step_graph(jsonb) IS
  'Internal: step of scrm.refresh: the relationship graph of consenting customers, kept in memory.';

-- PageRank and communities of the graph
CREATE OR REPLACE FUNCTION scrm._step_centrality(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  CREATE TEMP TABLE _scrm_refresh_pagerank ON COMMIT DROP AS
    SELECT node AS customer, score FROM scrm._refresh_pagerank(0.85::float8, 100, 1e-6::float8, true, NULL::text);
  CREATE TEMP TABLE _scrm_refresh_community ON COMMIT DROP AS
    SELECT node AS customer, community
    FROM scrm._refresh_communities(r->'settings'->>'community_method', 1.0::float8, (r->'settings'->>'seed')::integer);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_centrality(jsonb) IS 'Internal: step of scrm.refresh: PageRank and communities.';

-- Advocacy of consenting customers, leaving out events whose counterparty
-- declined (interactions and survey answers are one stream of events)
CREATE OR REPLACE FUNCTION scrm._step_advocacy(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  as_of timestamptz := (r->>'as_of')::timestamptz;
  half_life interval := (r->'settings'->>'advocacy_half_life')::interval;
  autonomy float8 := (r->'settings'->>'autonomy')::float8;
  scale float8 := (r->'settings'->>'advocacy_scale')::float8;
BEGIN
  BEGIN
    -- in memory: sorting the events beats a hash aggregate several times
    CREATE TEMP TABLE _scrm_refresh_event_summary ON COMMIT DROP AS
      SELECT * FROM scrm._refresh_advocacy(NULL::text, as_of, half_life,
                                           ARRAY(SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent),
                                           ARRAY(SELECT customer FROM pg_temp._scrm_refresh_customer WHERE NOT consent));
  EXCEPTION WHEN program_limit_exceeded THEN
    -- more events than scrm.max_memory holds: the aggregate, sorting by
    -- customer (the survey score is an ordered aggregate), which can spill
    CREATE TEMP TABLE _scrm_refresh_event_summary ON COMMIT DROP AS
    SELECT customer, events, (a).net, (a).valence, (a).distinct_counterparties, converted, survey_score
    FROM (SELECT e.customer, count(*) AS events,
                 scrm.advocacy(e.kind, e.occurred_at, as_of, e.counterparty, e.audience, half_life, e.customer, e.score) AS a,
                 bool_or(e.kind = 'referral_converted' AND e.occurred_at <= as_of AND e.occurred_at >= as_of - interval '3 years'
                         AND e.counterparty IS DISTINCT FROM e.customer) AS converted,
                 (array_agg(e.score ORDER BY e.occurred_at DESC, e.score)
                    FILTER (WHERE e.kind = 'survey' AND e.score IS NOT NULL AND e.occurred_at <= as_of
                                  AND e.occurred_at >= as_of - interval '365 days'))[1] AS survey_score
          FROM (SELECT i.customer,
                       CASE WHEN i.kind = 'complaint' AND i.resolved THEN 'complaint_resolved' ELSE i.kind END AS kind,
                       i.occurred_at, i.counterparty, i.audience, NULL::integer AS score
                FROM scrm._refresh_input('interactions'::text)
                     AS i(customer bigint, kind text, occurred_at timestamptz, counterparty bigint, audience bigint,
                          resolved boolean)
                UNION ALL
                SELECT v.customer, 'survey', v.answered_at, NULL, NULL, v.score::integer
                FROM scrm._refresh_input('surveys'::text) AS v(customer bigint, score bigint, answered_at timestamptz)) e
          WHERE e.customer IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent)
            AND (e.counterparty IS NULL
                 OR e.counterparty NOT IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE NOT consent))
          GROUP BY e.customer) x;
  END;
  r := scrm._step_count(r, jsonb_build_object('events', (SELECT coalesce(sum(events), 0) FROM pg_temp._scrm_refresh_event_summary)));
  CREATE TEMP TABLE _scrm_refresh_advocacy ON COMMIT DROP AS
  WITH
  -- network reach: Net+ times min(2, 1 + 0.25 ln(1 + sum_v P_iv)), P_iv = s_iv / (autonomy + S_v)
  reach AS (SELECT node AS customer, reach AS p FROM scrm._network_reach(NULL::text, autonomy)),
  pts AS (
    SELECT a.customer, a.valence, a.distinct_counterparties, a.converted, a.survey_score,
           a.net * CASE WHEN a.net > 0 THEN least(2, 1 + 0.25 * ln(1 + coalesce(x.p, 0))) ELSE 1 END AS points
    FROM pg_temp._scrm_refresh_event_summary a LEFT JOIN reach x USING (customer))
  SELECT customer, valence, distinct_counterparties, converted, survey_score, points,
         round(100 * (1 - exp(-greatest(points, 0) / scale)))::int AS score,
         round(100 * (1 - exp(-greatest(-points, 0) / scale)))::int AS detractor
  FROM pts;
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_advocacy(jsonb) IS
  'Internal: step of scrm.refresh: advocacy of consenting customers with network reach.';

-- Monetary value (CLV) and advocacy of every customer
CREATE OR REPLACE FUNCTION scrm._step_clv(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  bg scrm.bgnbd := (r->>'purchase_model')::scrm.bgnbd;
  gg scrm.gammagamma := (r->>'spend_model')::scrm.gammagamma;
  steps integer := (r->'settings'->>'clv_steps')::integer;
  step float8 := (r->'settings'->>'clv_step')::float8;
  rate float8 := (r->'settings'->>'discount_rate')::float8;
BEGIN
  CREATE TEMP TABLE _scrm_refresh_value ON COMMIT DROP AS
  SELECT c.customer, c.consent,
         scrm.p_alive(bg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age) AS p_alive,
         scrm.expected_purchases(bg, steps * step, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age) AS expected_purchases,
         -- a repeat buyer whose repeat purchases average 0 or less is worth 0
         CASE WHEN (x.rfm).frequency > 0 AND (x.rfm).monetary <= 0 THEN 0 ELSE
         coalesce(scrm.clv(bg, gg, (x.rfm).frequency, (x.rfm).recency, (x.rfm).age, (x.rfm).monetary, steps, step, rate), 0)
         END AS monetary_value,
         CASE WHEN c.consent THEN coalesce(a.points, 0) END AS advocacy_points,
         CASE WHEN c.consent THEN coalesce(a.score, 0) END AS advocate_score,
         CASE WHEN c.consent THEN scrm._advocate_label(coalesce(a.score, 0), coalesce(a.detractor, 0),
                                                       coalesce(a.distinct_counterparties, 0), coalesce(a.converted, false),
                                                       a.survey_score) END AS advocate_label,
         CASE WHEN c.consent THEN scrm.nps_class(a.survey_score) END AS nps_class,
         coalesce(a.valence, 1) AS valence
  FROM pg_temp._scrm_refresh_customer c
  LEFT JOIN pg_temp._scrm_refresh_rfm x USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_advocacy a USING (customer);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_clv(jsonb) IS
  'Internal: step of scrm.refresh: CLV, P(alive) and expected purchases of every customer, with their advocacy.';

-- Referral and influence value (SOCIAL.md sections 1 and 2)
CREATE OR REPLACE FUNCTION scrm._step_social(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  CREATE TEMP TABLE _scrm_refresh_referral ON COMMIT DROP AS
  SELECT node AS customer, referral_value FROM scrm.referral_value(
    'SELECT q.* FROM scrm._refresh_input(''referrals''::text)
                     AS q(referrer bigint, referred bigint, reward_cost float8, incrementality float8)
     WHERE q.referrer IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent)
       AND q.referred IN (SELECT customer FROM pg_temp._scrm_refresh_customer WHERE consent)'::text,
    'SELECT customer AS node, monetary_value AS value FROM pg_temp._scrm_refresh_value WHERE consent'::text,
    (r->'settings'->>'incrementality')::float8, (r->'settings'->>'acquisition_saving')::float8);
  CREATE TEMP TABLE _scrm_refresh_influence ON COMMIT DROP AS
  SELECT node AS customer, influence_value FROM scrm._refresh_influence_value(
    'SELECT customer AS node, monetary_value AS value FROM pg_temp._scrm_refresh_value WHERE consent'::text,
    (r->'settings'->>'autonomy')::float8, (r->'settings'->>'hop_continuation')::float8);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_social(jsonb) IS 'Internal: step of scrm.refresh: referral and influence value.';

-- Social adjustment (SOCIAL.md section 4) and tier thresholds (section 5)
CREATE OR REPLACE FUNCTION scrm._step_adjustment(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cap float8 := (r->'settings'->>'cap')::float8;
  floor_value float8 := (r->'settings'->>'floor')::float8;
  excellent float8 := (r->'settings'->>'excellent_percentile')::float8 / 100;
  exceptional float8 := (r->'settings'->>'exceptional_percentile')::float8 / 100;
  excellent_from float8;
  exceptional_from float8;
BEGIN
  CREATE TEMP TABLE _scrm_refresh_total ON COMMIT DROP AS
  SELECT v.*, CASE WHEN v.consent THEN coalesce(f.referral_value, 0) END AS referral_value,
         CASE WHEN v.consent THEN coalesce(i.influence_value, 0) END AS influence_value,
         CASE WHEN v.consent
              THEN scrm.social_value(v.monetary_value, coalesce(f.referral_value, 0), coalesce(i.influence_value, 0),
                                     v.valence, cap, floor_value)
              ELSE v.monetary_value END AS total_value,
         p.score AS pagerank, m.community
  FROM pg_temp._scrm_refresh_value v
  LEFT JOIN pg_temp._scrm_refresh_referral f USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_influence i USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_pagerank p USING (customer)
  LEFT JOIN pg_temp._scrm_refresh_community m USING (customer);
  SELECT percentile_cont(excellent) WITHIN GROUP (ORDER BY total_value),
         percentile_cont(exceptional) WITHIN GROUP (ORDER BY total_value)
    INTO excellent_from, exceptional_from
  FROM pg_temp._scrm_refresh_total WHERE p_alive >= 0.5;
  IF excellent_from IS NULL THEN
    -- nobody alive: thresholds over everyone
    SELECT percentile_cont(excellent) WITHIN GROUP (ORDER BY total_value),
           percentile_cont(exceptional) WITHIN GROUP (ORDER BY total_value)
      INTO excellent_from, exceptional_from
    FROM pg_temp._scrm_refresh_total;
  END IF;
  RETURN r || jsonb_build_object('excellent_from', excellent_from, 'exceptional_from', exceptional_from);
END
$$;

COMMENT ON FUNCTION scrm._step_adjustment(jsonb) IS
  'Internal: step of scrm.refresh: total value (monetary plus the capped social adjustment) and the tier thresholds.';

-- Churn impact (SOCIAL.md section 6)
CREATE OR REPLACE FUNCTION scrm._step_churn(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  CREATE TEMP TABLE _scrm_refresh_churn ON COMMIT DROP AS
  SELECT node AS customer, loss_if_churned, value_at_risk FROM scrm._refresh_churn_impact(
    'SELECT customer AS node, monetary_value AS value, coalesce(1 - p_alive, 0) AS p_churn
     FROM pg_temp._scrm_refresh_value WHERE consent'::text,
    (r->'settings'->>'contagion')::float8, (r->'settings'->>'contagion_half_life_months')::float8,
    (r->'settings'->>'churn_horizon_months')::float8);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_churn(jsonb) IS 'Internal: step of scrm.refresh: churn impact.';

-- Replace the results: one transaction, so readers see the old or the new
CREATE OR REPLACE FUNCTION scrm._step_write(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := (r->>'started')::timestamptz;
  policy text := r->'settings'->>'tier_policy';
  excellent_from float8 := (r->>'excellent_from')::float8;
  exceptional_from float8 := (r->>'exceptional_from')::float8;
  tiers text[] := ARRAY['good', 'excellent', 'exceptional'];
BEGIN
  DELETE FROM scrm.customer_score;
  INSERT INTO scrm.customer_score
  SELECT t.customer, t.consent, t.monetary_value, t.p_alive, t.expected_purchases,
         t.referral_value, t.influence_value, t.advocacy_points, t.advocate_score, t.advocate_label, t.nps_class,
         CASE WHEN t.consent THEN t.total_value - t.monetary_value END,
         t.total_value,
         CASE WHEN policy = 'no_harm' AND array_position(tiers, t.tm) > array_position(tiers, t.tt)
              THEN t.tm ELSE t.tt END,
         t.tm,
         policy = 'symmetric' AND array_position(tiers, t.tt) < array_position(tiers, t.tm),
         CASE WHEN t.consent THEN t.pagerank END, CASE WHEN t.consent THEN t.community END,
         CASE WHEN t.consent THEN t.value_at_risk END, CASE WHEN t.consent THEN t.loss_if_churned END,
         started
  FROM (SELECT x.*, ch.value_at_risk, ch.loss_if_churned,
               scrm.service_tier(x.total_value, excellent_from, exceptional_from) AS tt,
               scrm.service_tier(x.monetary_value, excellent_from, exceptional_from) AS tm
        FROM pg_temp._scrm_refresh_total x LEFT JOIN pg_temp._scrm_refresh_churn ch USING (customer)) t;
  -- community clout (SOCIAL.md section 7)
  DELETE FROM scrm.community_score;
  INSERT INTO scrm.community_score
  WITH m AS (
    SELECT community, count(*) AS members, sum(monetary_value) AS monetary_value, sum(total_value) AS total_value,
           sum(referral_value) AS referral_value, sum(influence_value) AS influence_value,
           count(*) FILTER (WHERE advocate_label = 'advocate') AS advocates,
           count(*) FILTER (WHERE advocate_label = 'detractor') AS detractors
    FROM pg_temp._scrm_refresh_total WHERE consent AND community IS NOT NULL GROUP BY community),
  e AS (
    SELECT community, internal_weight AS internal, total_weight AS touching
    FROM scrm._community_cohesion(NULL::text, 'SELECT customer AS node, community FROM pg_temp._scrm_refresh_community'::text))
  SELECT m.community, m.members, m.monetary_value, m.total_value, m.referral_value, m.influence_value,
         m.advocates, m.detractors, 100.0 * (m.advocates - m.detractors) / m.members,
         m.total_value, 100 * percent_rank() OVER (ORDER BY m.total_value),
         coalesce(e.internal, 0) / nullif(e.touching, 0), started
  FROM m LEFT JOIN e USING (community);
  RETURN r;
END
$$;

COMMENT ON FUNCTION scrm._step_write(jsonb) IS
  'Internal: step of scrm.refresh: tiers, then the results replace those of the last refresh.';

-- Log the run, drop the work tables, return the summary
CREATE OR REPLACE FUNCTION scrm._step_finish(r jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := (r->>'started')::timestamptz;
  n bigint := (SELECT count(*) FROM pg_temp._scrm_refresh_total);
BEGIN
  INSERT INTO scrm.refresh_log (started_at, finished_at, as_of, customers, settings, purchase_model, spend_model,
                                row_counts, step_ms, configured_by)
  VALUES (started, clock_timestamp(), (r->>'as_of')::timestamptz, n, r->'settings',
          (r->>'purchase_model')::scrm.bgnbd, (r->>'spend_model')::scrm.gammagamma,
          r->'row_counts', r->'step_ms', (r->>'configured_by')::regrole);
  -- drop the work tables now, so a second refresh in this transaction can
  -- create them again (a failed refresh takes them with its rollback)
  DROP TABLE pg_temp._scrm_refresh_customer, pg_temp._scrm_refresh_rfm, pg_temp._scrm_refresh_pagerank,
             pg_temp._scrm_refresh_community, pg_temp._scrm_refresh_event_summary, pg_temp._scrm_refresh_advocacy,
             pg_temp._scrm_refresh_value, pg_temp._scrm_refresh_referral, pg_temp._scrm_refresh_influence,
             pg_temp._scrm_refresh_total, pg_temp._scrm_refresh_churn;
  PERFORM set_config('work_mem', r->>'caller_work_mem', true);
  RETURN jsonb_build_object('customers', n, 'as_of', r->'as_of', 'row_counts', r->'row_counts', 'step_ms', r->'step_ms',
                            'total_ms', round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1));
END
$$;

COMMENT ON FUNCTION scrm._step_finish(jsonb) IS
  'Internal: last step of scrm.refresh: logs the run in scrm.refresh_log and returns its summary.';

-- jit off while refresh runs: its statements run once each over work tables
-- without statistics, whose wild row estimates made PostgreSQL spend up to a
-- quarter of a second compiling a plan that runs for less
CREATE OR REPLACE FUNCTION scrm.refresh()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
  r jsonb := scrm._step_start();
  t timestamptz;
BEGIN
  t := clock_timestamp(); r := scrm._step_done(scrm._step_customers(r), 'customers'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_rfm(r), 'rfm'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_fits(r), 'model fits'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_graph(r), 'graph'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_centrality(r), 'pagerank and communities'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_advocacy(r), 'advocacy'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_clv(r), 'clv'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_social(r), 'referral and influence value'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_adjustment(r), 'social adjustment and tiers'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_churn(r), 'churn impact'::text, t);
  t := clock_timestamp(); r := scrm._step_done(scrm._step_write(r), 'write results'::text, t);
  RETURN scrm._step_finish(r);
END
$$;

COMMENT ON FUNCTION scrm.refresh() IS
  'Runs the whole pipeline over the configured inputs in one transaction: RFM, BG/NBD and Gamma-Gamma '
  'fits, CLV, the relationship graph of consenting customers, PageRank, communities, advocacy with '
  'network reach, NPS class, referral and influence value, social adjustment, tiers, churn impact and '
  'community clout. The configured queries run as the role that configured them, read-only, whoever '
  'refreshes. Replaces the results read by scrm.customer_value and scrm.community_clout atomically '
  '(one refresh at a time: a second one waits for the first to end; readers are never blocked), '
  'logs the run in scrm.refresh_log and returns a summary (row counts, per-step milliseconds). NOTICE '
  'messages report each step.';
