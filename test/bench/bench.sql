-- make bench: each case is timed against a baseline measured in the same run,
-- the two interleaved (a b a b ..., medians).  Expects the psql variables
-- igraph and scipy (true when python3-igraph / python3-scipy are there), set
-- by run.sh; sizes are fixed below.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS social_crm;
CREATE SCHEMA IF NOT EXISTS bench;

-- the median of a set of times
CREATE OR REPLACE FUNCTION bench.median(times float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE
  AS $$ SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x $$;

-- median wall time (ms) of running sql `reps` times
CREATE OR REPLACE FUNCTION bench.time_ms(sql text, reps integer DEFAULT 5)
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  times float8[] := '{}';
BEGIN
  FOR i IN 1..reps LOOP
    t := clock_timestamp();
    EXECUTE sql;
    times := times || extract(epoch FROM clock_timestamp() - t) * 1000;
  END LOOP;
  RETURN bench.median(times);
END $$;

-- medians (ms) of a and b run interleaved, a b a b ..., reps times each;
-- setup_a / setup_b run untimed before each run of a / b
CREATE OR REPLACE FUNCTION bench.time_ab(a text, b text, reps integer DEFAULT 5,
                                         setup_a text DEFAULT NULL, setup_b text DEFAULT NULL)
RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  ta float8[] := '{}';
  tb float8[] := '{}';
BEGIN
  FOR i IN 1..reps LOOP
    IF setup_a IS NOT NULL THEN EXECUTE setup_a; END IF;
    t := clock_timestamp();
    EXECUTE a;
    ta := ta || extract(epoch FROM clock_timestamp() - t) * 1000;
    IF setup_b IS NOT NULL THEN EXECUTE setup_b; END IF;
    t := clock_timestamp();
    EXECUTE b;
    tb := tb || extract(epoch FROM clock_timestamp() - t) * 1000;
  END LOOP;
  RETURN ARRAY[bench.median(ta), bench.median(tb)];
END $$;

-- the same, each run (and each setup) in a transaction of its own, as a
-- scheduled refresh runs: a procedure committing after every run; the two
-- medians go into bench.ab_last.  (In one transaction a refresh finds the
-- row versions of the runs before it still live, which no real refresh does.)
CREATE TABLE IF NOT EXISTS bench.ab_last (a_ms float8, b_ms float8);
CREATE OR REPLACE PROCEDURE bench.time_ab_tx(a text, b text, reps integer DEFAULT 3,
                                             setup_a text DEFAULT NULL, setup_b text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  ta float8[] := '{}';
  tb float8[] := '{}';
BEGIN
  FOR i IN 1..reps LOOP
    IF setup_a IS NOT NULL THEN EXECUTE setup_a; COMMIT; END IF;
    t := clock_timestamp();
    EXECUTE a;
    COMMIT;
    ta := ta || extract(epoch FROM clock_timestamp() - t) * 1000;
    IF setup_b IS NOT NULL THEN EXECUTE setup_b; COMMIT; END IF;
    t := clock_timestamp();
    EXECUTE b;
    COMMIT;
    tb := tb || extract(epoch FROM clock_timestamp() - t) * 1000;
  END LOOP;
  DELETE FROM bench.ab_last;
  INSERT INTO bench.ab_last VALUES (bench.median(ta), bench.median(tb));
END $$;

CREATE TABLE IF NOT EXISTS bench.result (
  case_name text, size text, ours_ms float8, baseline_ms float8, baseline text, target text);
TRUNCATE bench.result;

-- generated graphs: n = m / 10 nodes, sources uniform, targets skewed
-- (a few popular nodes), random weights; fixed seed
SELECT setseed(0.42) \gset
DROP TABLE IF EXISTS bench.g1m, bench.g3m;
CREATE TABLE bench.g1m AS
  SELECT (random() * 100000)::bigint AS source, (power(random(), 3) * 100000)::bigint AS target,
         random() AS weight
  FROM generate_series(1, 1000000);
CREATE TABLE bench.g3m AS
  SELECT (random() * 300000)::bigint AS source, (power(random(), 3) * 300000)::bigint AS target,
         random() AS weight
  FROM generate_series(1, 3000000);
-- 3M edges over 1M node ids (0..1M), sources skewed (a few very active
-- nodes), targets uniform
DROP TABLE IF EXISTS bench.g3m1m;
CREATE TABLE bench.g3m1m AS
  SELECT (power(random(), 3) * 1000000)::bigint AS source, (random() * 1000000)::bigint AS target,
         random() AS weight
  FROM generate_series(1, 3000000);
VACUUM ANALYZE bench.g1m;
VACUUM ANALYZE bench.g3m;
VACUUM ANALYZE bench.g3m1m;

SET max_parallel_workers_per_gather = 0;
SELECT sum(source) + sum(target) + sum(weight) AS warm FROM bench.g3m \gset
SELECT sum(source) + sum(target) + sum(weight) AS warm FROM bench.g3m1m \gset
INSERT INTO bench.result
SELECT 'pagerank', size, r[2], r[1], 'serial scan sum(source)+sum(target)+sum(weight), interleaved', target
FROM (VALUES ('g1m', '1000000 edges, 100001 node ids', NULL),
             ('g3m', '3000000 edges, 300001 node ids', '<= 1.6'),
             ('g3m1m', '3000000 edges, 1000001 node ids, skewed sources', '<= 2.0')) v(t, size, target),
     LATERAL (SELECT bench.time_ab(
       format('SELECT sum(source) + sum(target) + sum(weight) FROM bench.%I', t),
       format($q$SELECT count(*) FROM scrm.pagerank('SELECT source, target, weight FROM bench.%I')$q$, t)) AS r) x;

-- the same 3M-edge graph keyed by uuid and by text (each id spelled
-- another way): PageRank against the bigint keys, interleaved
DROP TABLE IF EXISTS bench.g3m_uuid, bench.g3m_text;
CREATE TABLE bench.g3m_uuid AS
  SELECT uuid_in(md5('n' || source)::cstring) AS source, uuid_in(md5('n' || target)::cstring) AS target, weight
  FROM bench.g3m;
CREATE TABLE bench.g3m_text AS
  SELECT 'cust-' || source AS source, 'cust-' || target AS target, weight FROM bench.g3m;
VACUUM ANALYZE bench.g3m_uuid;
VACUUM ANALYZE bench.g3m_text;
SELECT count(*) AS warm FROM bench.g3m_uuid WHERE weight < 0 \gset
SELECT count(*) AS warm FROM bench.g3m_text WHERE weight < 0 \gset
INSERT INTO bench.result
SELECT 'pagerank ' || k || ' keys', '3000000 edges', r[2], r[1], 'the same graph with bigint keys, interleaved', '<= 1.5'
FROM (VALUES ('uuid', 'g3m_uuid'), ('text', 'g3m_text')) v(k, t),
     LATERAL (SELECT bench.time_ab(
       $q$SELECT count(*) FROM scrm.pagerank('SELECT source, target, weight FROM bench.g3m')$q$,
       format($q$SELECT count(*) FROM scrm.pagerank(NULL::%s[], 'SELECT source, target, weight FROM bench.%I')$q$, k, t)) AS r) x;

-- influence value and churn impact on the 3M-edge graph (weights in [0, 1)
-- are the strengths), customer values and churn probabilities for all nodes
DROP TABLE IF EXISTS bench.values300k;
CREATE TABLE bench.values300k AS
  SELECT n AS node, (abs(hashint4(n)) % 100000) / 100.0 AS value, (abs(hashint4(n + 7)) % 1000) / 1000.0 AS p_churn
  FROM generate_series(0, 300000) n;
VACUUM ANALYZE bench.values300k;
SELECT sum(node) + sum(value) + sum(p_churn) AS warm FROM bench.values300k \gset
INSERT INTO bench.result
SELECT f, '3000000 edges, 300001 customers', r[2], r[1], 'serial scan of both inputs, interleaved', '<= 4'
FROM (VALUES ('influence_value', 'SELECT node, value FROM bench.values300k'),
             ('churn_impact', 'SELECT node, value, p_churn FROM bench.values300k')) t(f, v),
     LATERAL (SELECT bench.time_ab(
       'SELECT (SELECT sum(source) + sum(target) + sum(weight) FROM bench.g3m) + (SELECT sum(node) + sum(value) + sum(p_churn) FROM bench.values300k)',
       format($q$SELECT count(*) FROM scrm.%s('SELECT source, target, weight FROM bench.g3m', %L)$q$, f, v), 3) AS r) x;

-- soc-Epinions1 (508,837 edges) from a table: PageRank at tolerance 1e-10,
-- against igraph PRPACK with the graph already in memory
CREATE TEMP TABLE _lines (line text);
\copy _lines FROM PROGRAM 'zcat test/bench/data/soc-Epinions1.txt.gz' WITH (FORMAT text, DELIMITER E'\x01')
DROP TABLE IF EXISTS bench.epinions;
CREATE TABLE bench.epinions AS
  SELECT split_part(line, E'\t', 1)::bigint AS source, split_part(line, E'\t', 2)::bigint AS target
  FROM _lines WHERE line !~ '^#';
VACUUM ANALYZE bench.epinions;
SELECT count(*) AS warm FROM scrm.pagerank($$SELECT source, target FROM bench.epinions$$, tolerance => 1e-10) \gset

-- and Louvain and Leiden on it as an undirected graph, reading the table
-- included, against igraph's community_multilevel and community_leiden
-- (objective modularity, n_iterations 2, its default) with the graph already
-- in memory; the modularity each reached is shown with the case.  Seven
-- rounds (igraph_round.sql), each igraph in a process of its own (one
-- untimed PageRank first) and then ours, once each; medians
\if :igraph
CREATE TEMP TABLE ab (case_name text, who text, ms float8, q float8);
SELECT 0 AS round \gset
\ir igraph_round.sql
\ir igraph_round.sql
\ir igraph_round.sql
\ir igraph_round.sql
\ir igraph_round.sql
\ir igraph_round.sql
\ir igraph_round.sql
CREATE FUNCTION pg_temp.q(method text) RETURNS numeric LANGUAGE sql AS $$
  SELECT round(scrm.modularity('SELECT source, target FROM bench.epinions',
         format('SELECT * FROM scrm.communities(%L, %L)', 'SELECT source, target FROM bench.epinions', method))::numeric, 4) $$;
CREATE TEMP VIEW ab_median AS
  SELECT case_name, who, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY q) AS q
  FROM ab GROUP BY case_name, who;
INSERT INTO bench.result
SELECT c.name, c.size || CASE WHEN c.method IS NULL THEN '' ELSE ', Q = ' || pg_temp.q(c.method) END, o.ms, i.ms,
       c.fn || ', graph in memory, interleaved' || coalesce(', Q = ' || round(i.q::numeric, 4), ''), c.target
FROM (VALUES ('pagerank tol 1e-10', '508837 edges (soc-Epinions1)', NULL, 'igraph PRPACK', '<= 1.0'),
             ('communities louvain', '508837 edges (soc-Epinions1)', 'louvain', 'igraph community_multilevel', '<= 1'),
             ('communities leiden', '508837 edges (soc-Epinions1)', 'leiden', 'igraph community_leiden', '<= 0.5'))
       c(name, size, method, fn, target)
JOIN ab_median o ON o.case_name = c.name AND o.who = 'ours'
JOIN ab_median i ON i.case_name = c.name AND i.who = 'igraph';
\endif

-- CELF, k = 10, 1,000 simulations, weighted cascade, on wiki-Vote (103,689
-- arcs), reported against one serial scan of the table
CREATE TEMP TABLE _wiki (line text);
\copy _wiki FROM PROGRAM 'zcat test/bench/data/wiki-Vote.txt.gz' WITH (FORMAT text, DELIMITER E'\x01')
DROP TABLE IF EXISTS bench.wiki_vote;
CREATE TABLE bench.wiki_vote AS
  SELECT split_part(line, E'\t', 1)::bigint AS source, split_part(line, E'\t', 2)::bigint AS target
  FROM _wiki WHERE line !~ '^#';
VACUUM ANALYZE bench.wiki_vote;
INSERT INTO bench.result
SELECT 'influence_maximization', '103689 edges (wiki-Vote), k = 10, 1000 simulations', r[2], r[1],
       'serial scan sum(source)+sum(target), interleaved', '(time reported)'
FROM (SELECT bench.time_ab('SELECT sum(source) + sum(target) FROM bench.wiki_vote',
        $$SELECT count(*) FROM scrm.influence_maximization('SELECT source, target FROM bench.wiki_vote', 10)$$, 3) AS r) x;

-- BG/NBD fit on CDNOW x100 (235,700 rows) against scipy's L-BFGS-B on the
-- same rows (analytic gradient, arrays already in memory), same run
CREATE TABLE IF NOT EXISTS bench.cdnow (id integer, x integer, tx float8, t float8);
TRUNCATE bench.cdnow;
\copy bench.cdnow FROM 'sql/data/cdnow_customers_summary.csv' WITH (FORMAT csv, HEADER)
DROP TABLE IF EXISTS bench.cdnow100;
CREATE TABLE bench.cdnow100 AS SELECT c.* FROM bench.cdnow c, generate_series(1, 100);
VACUUM ANALYZE bench.cdnow100;
SELECT count(*) AS warm FROM bench.cdnow100 \gset
\if :scipy
-- five rounds: scipy in a process of its own (the fit alone timed), then ours
CREATE TEMP TABLE ab_fit (who text, ms float8);
\ir scipy_round.sql
\ir scipy_round.sql
\ir scipy_round.sql
\ir scipy_round.sql
\ir scipy_round.sql
INSERT INTO bench.result
SELECT 'bgnbd_fit', '235700 rows (CDNOW x100)',
       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) FROM ab_fit WHERE who = 'ours'),
       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) FROM ab_fit WHERE who = 'scipy'),
       'scipy L-BFGS-B, analytic gradient, rows in memory, interleaved', '<= 0.1';
\endif

-- BG/NBD fit on 5M generated customers: CDNOW histories drawn at random,
-- each observed 0-13 days longer (ages in whole days, as a CRM's RFM summary
-- has them), against one serial scan of the table
SELECT setseed(0.7) \gset
DROP TABLE IF EXISTS bench.cust5m;
CREATE TABLE bench.cust5m AS
  SELECT c.x, c.tx, c.t + g.extra / 7.0 AS t
  FROM (SELECT 1 + floor(random() * 2357)::integer AS id, floor(random() * 14) AS extra
        FROM generate_series(1, 5000000)) g
  JOIN bench.cdnow c USING (id);
VACUUM ANALYZE bench.cust5m;
SELECT sum(x) + sum(tx) + sum(t) AS warm FROM bench.cust5m \gset
INSERT INTO bench.result
SELECT 'bgnbd_fit', '5000000 customers', r[2], r[1], 'serial scan sum(x)+sum(tx)+sum(t), interleaved', '(reported)'
FROM (SELECT bench.time_ab('SELECT sum(x) + sum(tx) + sum(t) FROM bench.cust5m',
                           'SELECT scrm.bgnbd_fit(x, tx, t) FROM bench.cust5m', 3) AS r) x;

-- scrm.refresh on a generated CRM: 200k customers, 4M purchases, 2M
-- relationships, 500k interactions (plus 20k referrals, 50k survey answers),
-- against one serial scan of all inputs; per-step timings printed below
-- (the generator, the scan and configure_crm are in crm.sql, which the
-- scale run of scale.sh shares)
\i test/bench/crm.sql
SELECT bench.make_crm('bcrm', 200000) IS NOT NULL AS generated \gset
VACUUM ANALYZE bcrm.customers, bcrm.purchases, bcrm.relationships, bcrm.interactions, bcrm.referrals, bcrm.surveys;
SELECT bench.configure_crm('bcrm') IS NOT NULL AS configured \gset
CREATE TEMP VIEW bcrm_scan AS SELECT bench.crm_scan('bcrm') AS total;
SELECT total AS warm FROM bcrm_scan \gset
CREATE TEMP TABLE bcrm_steps (step_ms jsonb);
CALL bench.time_ab_tx('SELECT total FROM bcrm_scan', $q$INSERT INTO bcrm_steps SELECT scrm.refresh()->'step_ms'$q$, 3);
INSERT INTO bench.result
SELECT 'refresh', '200000 customers, 4M purchases, 2M relationships, 500k interactions', b_ms, a_ms,
       'one serial scan of all inputs, interleaved, each run committed', '<= 6'
FROM bench.ab_last;
-- the same CRM keyed by uuid: refresh against the bigint CRM, interleaved
-- (each configured before its run, untimed)
DROP SCHEMA IF EXISTS bcrmu CASCADE;
CREATE SCHEMA bcrmu;
CREATE FUNCTION bcrmu.k(bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$ SELECT uuid_in(md5('c' || $1)::cstring) $$;
CREATE TABLE bcrmu.customers AS SELECT bcrmu.k(customer) AS customer, social_consent FROM bcrm.customers;
CREATE TABLE bcrmu.purchases AS SELECT bcrmu.k(customer) AS customer, purchased_at, amount FROM bcrm.purchases;
CREATE TABLE bcrmu.relationships AS
  SELECT bcrmu.k(source) AS source, bcrmu.k(target) AS target, kind, strength, last_interaction_at FROM bcrm.relationships;
CREATE TABLE bcrmu.interactions AS
  SELECT bcrmu.k(customer) AS customer, kind, occurred_at, bcrmu.k(counterparty) AS counterparty, audience, resolved
  FROM bcrm.interactions;
CREATE TABLE bcrmu.referrals AS SELECT bcrmu.k(referrer) AS referrer, bcrmu.k(referred) AS referred, reward_cost FROM bcrm.referrals;
CREATE TABLE bcrmu.surveys AS SELECT bcrmu.k(customer) AS customer, score, answered_at FROM bcrm.surveys;
VACUUM ANALYZE bcrmu.customers, bcrmu.purchases, bcrmu.relationships, bcrmu.interactions, bcrmu.referrals, bcrmu.surveys;
CALL bench.time_ab_tx('SELECT scrm.refresh()', 'SELECT scrm.refresh()', 3,
                      $$SELECT bench.configure_crm('bcrm')$$, $$SELECT bench.configure_crm('bcrmu')$$);
INSERT INTO bench.result
SELECT 'refresh uuid keys', '200000 customers (the CRM above keyed by uuid)', b_ms, a_ms,
       'the same CRM with bigint keys, interleaved, each run committed', '<= 1.3'
FROM bench.ab_last;
-- leave the bigint CRM configured (test/bench/load.sh reads it)
SELECT bench.configure_crm('bcrm') IS NOT NULL AS configured \gset
SELECT scrm.refresh() IS NOT NULL AS refreshed \gset
-- explain one customer (a CRM screen calls it per customer): the 10 with
-- the longest explanations and 10 others, per call, against reading the
-- same customers' rows of scrm.customer_value, interleaved
CREATE TEMP TABLE explain_sample AS
(SELECT customer_key FROM scrm.customer_score WHERE social_consent
 ORDER BY coalesce(cardinality(advocacy_event_kind), 0) + coalesce(cardinality(influence_to), 0) + influence_rest_customers DESC,
          customer_key LIMIT 10)
UNION ALL
(SELECT customer_key FROM scrm.customer_score ORDER BY hashtext(customer_key), customer_key LIMIT 10);
INSERT INTO bench.result
SELECT 'explain', '200000-customer CRM, per customer (20 customers)', r[2] / 20, r[1] / 20,
       'SELECT * FROM scrm.customer_value of the same customer, interleaved', 'ours <= 50 ms'
FROM (SELECT bench.time_ab(
        $q$SELECT count(*) FROM explain_sample x, LATERAL (SELECT * FROM scrm.customer_value v WHERE v.customer_key = x.customer_key) v$q$,
        $q$SELECT count(*) FROM explain_sample x, LATERAL scrm.explain(x.customer_key) e$q$, 5) AS r) x;
\echo 'refresh: milliseconds per step (medians of its runs)'
SELECT key AS step, percentile_disc(0.5) WITHIN GROUP (ORDER BY value::text::float8) AS ms
FROM bcrm_steps, jsonb_each(step_ms) GROUP BY key ORDER BY ms DESC;

SELECT case_name AS "case", size, round(ours_ms::numeric, 1) AS ours_ms,
       round(baseline_ms::numeric, 1) AS baseline_ms,
       round((ours_ms / baseline_ms)::numeric, 2) AS ratio, target, baseline
FROM bench.result ORDER BY case_name, ours_ms;
