-- Install the extension and load the shared fixtures used by later tests.
\set VERBOSITY terse
CREATE EXTENSION social_crm;
SELECT extname, extversion, extnamespace::regnamespace, extrelocatable
FROM pg_extension WHERE extname = 'social_crm';
SHOW scrm.max_memory;
\set ECHO none
\i test/fixtures.sql
\set ECHO all
SELECT 'karate' AS graph, count(*) AS edge_rows FROM fixture.karate
UNION ALL SELECT 'email', count(*) FROM fixture.email
UNION ALL SELECT 'split', count(*) FROM fixture.split_edges;
