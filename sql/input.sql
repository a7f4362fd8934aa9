-- The inner-query reader: columns by name, type families, clear errors,
-- read-only, caller's privileges, memory budget, cancellation.
\set VERBOSITY terse
CREATE TABLE e (source integer, target integer, weight float8, note text);
INSERT INTO e VALUES (1, 2, 1, 'a'), (2, 3, 2, 'b'), (3, 1, 1, 'c');

-- columns are found by name, in any order; extra columns are ignored
SELECT * FROM scrm.degree($$SELECT note, weight, target, source FROM e$$) ORDER BY node;
-- smallint ids and numeric / integer / real weights are accepted
SELECT * FROM scrm.degree($$SELECT source::smallint AS source, target::bigint AS target,
                                    weight::numeric(6,2) AS weight FROM e$$) ORDER BY node;
SELECT * FROM scrm.degree($$SELECT source, target, weight::real AS weight FROM e$$) ORDER BY node;
SELECT * FROM scrm.degree($$SELECT source, target, 2 AS weight FROM e$$) ORDER BY node;
-- a domain over an integer type is fine
CREATE DOMAIN customer_id AS bigint CHECK (VALUE > 0);
SELECT * FROM scrm.components($$SELECT source::customer_id AS source, target::customer_id AS target FROM e$$)
ORDER BY node;

-- missing column (42703), wrong type (42804), ambiguous name (42702)
SELECT * FROM scrm.degree($$SELECT source AS src, target FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target::text FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, note AS weight FROM e$$);
SELECT * FROM scrm.degree($$SELECT source::float8 AS source, target FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, target AS source FROM e$$);

-- NULL ids (22004), NULL / negative / NaN / infinite weights
SELECT * FROM scrm.degree($$SELECT NULL::int AS source, target FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, NULL::bigint AS target FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, NULL::float8 AS weight FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, -weight AS weight FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, 'NaN'::float8 AS weight FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, 'Infinity'::float8 AS weight FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target, 'NaN'::numeric AS weight FROM e$$);

-- NULL arguments
SELECT * FROM scrm.degree(NULL);
-- an untyped NULL fits both the bigint form and the keyed form (key type
-- first): PostgreSQL cannot choose; a typed NULL reaches the bigint form
SELECT * FROM scrm.degree($$SELECT source, target FROM e$$, NULL);
SELECT * FROM scrm.degree($$SELECT source, target FROM e$$, NULL::boolean);

-- not a query, or not a read-only one: refused, and nothing is modified
SELECT * FROM scrm.degree($$SELEC source, target FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target FROM no_such_table$$);
SELECT * FROM scrm.degree($$DELETE FROM e RETURNING source, target$$);
SELECT * FROM scrm.degree($$WITH d AS (DELETE FROM e RETURNING *) SELECT source, target FROM d$$);
SELECT * FROM scrm.degree($$SELECT source, target FROM e FOR UPDATE$$);
SELECT * FROM scrm.degree($$SELECT source, target FROM e; DELETE FROM e$$);
SELECT * FROM scrm.degree($$SELECT source, target INTO e2 FROM e$$);
SELECT count(*) AS rows_still_there FROM e;

-- the inner query runs as the caller: grants and row-level security apply
CREATE ROLE scrm_reader;
GRANT USAGE ON SCHEMA scrm TO scrm_reader;
SET ROLE scrm_reader;
SELECT * FROM scrm.degree($$SELECT source, target FROM e$$);
RESET ROLE;
GRANT SELECT ON e TO scrm_reader;
ALTER TABLE e ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_small ON e FOR SELECT TO scrm_reader USING (source < 3);
SET ROLE scrm_reader;
SELECT * FROM scrm.degree($$SELECT source, target FROM e$$) ORDER BY node;
RESET ROLE;
DROP POLICY only_small ON e;
ALTER TABLE e DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON e FROM scrm_reader;
REVOKE ALL ON SCHEMA scrm FROM scrm_reader;
DROP ROLE scrm_reader;

-- the memory budget: too small is 54000 with a hint naming the GUC
SET scrm.max_memory = '64kB';
SELECT count(*) FROM scrm.pagerank($$SELECT g AS source, g + 1 AS target FROM generate_series(1, 100000) g$$);
SET scrm.max_memory = '32kB';
RESET scrm.max_memory;
SELECT count(*) FROM scrm.pagerank($$SELECT g AS source, g + 1 AS target FROM generate_series(1, 100000) g$$);

-- cancellation: statement_timeout stops a long computation
SET statement_timeout = '1s';
SELECT count(*) FROM scrm.pagerank($$SELECT g AS source, (g * 7919) % 200000 AS target
                                      FROM generate_series(1, 200000) g$$,
                                   max_iterations => 1000000000, tolerance => 0);
RESET statement_timeout;
DROP TABLE e;
DROP DOMAIN customer_id;
