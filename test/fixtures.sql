-- Shared test fixtures: public graphs and their independently computed
-- references (see sql/data/README.md for origin and how they were made).
-- Run from the repository root: \i test/fixtures.sql
CREATE SCHEMA IF NOT EXISTS fixture;

CREATE TEMP TABLE _lines (line text);

-- Zachary's karate club: '#' comment lines, then u<TAB>v<TAB>weight
\copy _lines FROM 'sql/data/karate.txt' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE fixture.karate AS
  SELECT split_part(line, E'\t', 1)::bigint AS source,
         split_part(line, E'\t', 2)::bigint AS target,
         split_part(line, E'\t', 3)::float8 AS weight
  FROM _lines WHERE line !~ '^#';
TRUNCATE _lines;

-- SNAP email-Eu-core: 'src dst', directed, unweighted, self-loops included
\copy _lines FROM 'sql/data/email-Eu-core.txt' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE fixture.email AS
  SELECT split_part(line, ' ', 1)::bigint AS source,
         split_part(line, ' ', 2)::bigint AS target
  FROM _lines WHERE line !~ '^#';
DROP TABLE _lines;

CREATE TABLE fixture.split_edges (source bigint, target bigint);
\copy fixture.split_edges FROM 'sql/data/ref/split_edges.csv' WITH (FORMAT csv, HEADER)

-- reference results (networkx 2.8.8, cross-checked with igraph 0.10)
CREATE TABLE fixture.ref_score (name text, node bigint, score float8);
CREATE TEMP TABLE _score (node bigint, score float8);
\copy _score FROM 'sql/data/ref/karate_pagerank.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_score SELECT 'karate_pagerank', * FROM _score; TRUNCATE _score;
\copy _score FROM 'sql/data/ref/karate_pagerank_directed.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_score SELECT 'karate_pagerank_directed', * FROM _score; TRUNCATE _score;
\copy _score FROM 'sql/data/ref/karate_ppr.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_score SELECT 'karate_ppr', * FROM _score; TRUNCATE _score;
\copy _score FROM 'sql/data/ref/email_pagerank.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_score SELECT 'email_pagerank', * FROM _score; TRUNCATE _score;
\copy _score FROM 'sql/data/ref/email_ppr.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_score SELECT 'email_ppr', * FROM _score; TRUNCATE _score;
\copy _score FROM 'sql/data/ref/email_pagerank_undirected.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_score SELECT 'email_pagerank_undirected', * FROM _score;
DROP TABLE _score;

CREATE TABLE fixture.ref_degree (name text, node bigint, in_degree float8, out_degree float8);
CREATE TEMP TABLE _deg (node bigint, in_degree float8, out_degree float8);
\copy _deg FROM 'sql/data/ref/karate_degree.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_degree SELECT 'karate_degree', * FROM _deg; TRUNCATE _deg;
\copy _deg FROM 'sql/data/ref/karate_degree_directed.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_degree SELECT 'karate_degree_directed', * FROM _deg; TRUNCATE _deg;
\copy _deg FROM 'sql/data/ref/email_degree.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_degree SELECT 'email_degree', * FROM _deg;
DROP TABLE _deg;

CREATE TABLE fixture.ref_component (name text, node bigint, component bigint);
CREATE TEMP TABLE _comp (node bigint, component bigint);
\copy _comp FROM 'sql/data/ref/karate_components.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_component SELECT 'karate_components', * FROM _comp; TRUNCATE _comp;
\copy _comp FROM 'sql/data/ref/email_components.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_component SELECT 'email_components', * FROM _comp; TRUNCATE _comp;
\copy _comp FROM 'sql/data/ref/split_components.csv' WITH (FORMAT csv, HEADER)
INSERT INTO fixture.ref_component SELECT 'split_components', * FROM _comp;
DROP TABLE _comp;

-- personalization vectors used by the *_ppr references
CREATE VIEW fixture.karate_personalization AS
  SELECT node, (node % 5 + 1)::float8 AS weight
  FROM (SELECT source AS node FROM fixture.karate UNION SELECT target FROM fixture.karate) n
  WHERE node % 3 = 0;
CREATE VIEW fixture.email_personalization AS
  SELECT node, (node % 7 + 1)::float8 AS weight
  FROM (SELECT source AS node FROM fixture.email UNION SELECT target FROM fixture.email) n
  WHERE node % 10 = 0;

-- CDNOW sample purchase log (Fader & Hardie): master id, sample id, date,
-- number of CDs, dollar value; whitespace separated, CRLF line ends
CREATE TEMP TABLE _lines (line text);
\copy _lines FROM 'sql/data/CDNOW_sample.txt' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE fixture.cdnow_log AS
  SELECT f[2]::integer AS customer, to_date(f[3], 'YYYYMMDD') AS day,
         f[4]::integer AS cds, f[5]::numeric(10, 2) AS amount
  FROM (SELECT regexp_split_to_array(btrim(line, E' \r\t'), '\s+') AS f FROM _lines) s;
DROP TABLE _lines;

-- its published 39-week calibration summary (x, t_x, T in weeks; zbar)
CREATE TABLE fixture.cdnow (id integer, x integer, tx float8, t float8, zbar float8);
\copy fixture.cdnow FROM 'sql/data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)

-- lifetimes' synthetic daily transaction log
CREATE TABLE fixture.example_tx (purchased_at timestamp, id integer);
\copy fixture.example_tx FROM 'sql/data/example_transactions.csv' WITH (FORMAT csv, HEADER)

-- CLV references (scipy/mpmath, test/refs/make_clv_refs.py)
CREATE TABLE fixture.clv_fit_ref (model text, param text, value float8);
\copy fixture.clv_fit_ref FROM 'sql/data/ref/clv_fits.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE fixture.clv_pred_ref (model text, params text, quantity text, x integer,
  t_x float8, "T" float8, t float8, n integer, monetary float8, value float8);
\copy fixture.clv_pred_ref FROM 'sql/data/ref/clv_predictions.csv' WITH (FORMAT csv, HEADER)

-- Communities (test/refs/make_community_refs.py, igraph 0.10 / networkx 2.8.8)
CREATE TEMP TABLE _lines (line text);
-- SNAP ego-Facebook: 'u v', each friendship once
\copy _lines FROM PROGRAM 'gzip -dc sql/data/facebook_combined.txt.gz' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE fixture.facebook AS
  SELECT split_part(line, ' ', 1)::bigint AS source,
         split_part(line, ' ', 2)::bigint AS target
  FROM _lines WHERE line !~ '^#';
TRUNCATE _lines;
-- ground truth: karate factions and email-Eu-core departments, 'node label'
\copy _lines FROM 'sql/data/karate-club-labels.txt' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE fixture.karate_club AS
  SELECT split_part(line, ' ', 1)::bigint AS node,
         split_part(line, ' ', 2)::bigint AS community
  FROM _lines WHERE line !~ '^#';
TRUNCATE _lines;
\copy _lines FROM 'sql/data/email-Eu-core-department-labels.txt' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE fixture.email_dept AS
  SELECT split_part(line, ' ', 1)::bigint AS node,
         split_part(line, ' ', 2)::bigint AS community
  FROM _lines WHERE line !~ '^#';
DROP TABLE _lines;

-- a weighted planted-partition graph and its blocks
CREATE TABLE fixture.planted (source bigint, target bigint, weight float8);
\copy fixture.planted FROM 'sql/data/ref/planted_edges.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE fixture.planted_blocks (node bigint, community bigint);
\copy fixture.planted_blocks FROM 'sql/data/ref/planted_membership.csv' WITH (FORMAT csv, HEADER)

-- igraph's modularity over seeds 0..9, and networkx modularity of the partitions above
CREATE TABLE fixture.ref_community_quality (graph text, method text, median float8, min float8, max float8);
\copy fixture.ref_community_quality FROM 'sql/data/ref/community_quality.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE fixture.ref_modularity (graph text, resolution float8, modularity float8);
\copy fixture.ref_modularity FROM 'sql/data/ref/modularity.csv' WITH (FORMAT csv, HEADER)

-- the edge queries the community tests use, by graph name
CREATE TABLE fixture.community_graph (graph text PRIMARY KEY, edges text, truth text);
INSERT INTO fixture.community_graph VALUES
  ('karate', 'SELECT source, target, weight FROM fixture.karate', 'SELECT node, community FROM fixture.karate_club'),
  ('email', 'SELECT source, target FROM fixture.email', 'SELECT node, community FROM fixture.email_dept'),
  ('facebook', 'SELECT source, target FROM fixture.facebook', NULL),
  ('planted', 'SELECT source, target, weight FROM fixture.planted', 'SELECT node, community FROM fixture.planted_blocks');

-- Social value (test/refs/make_social_refs.py, numpy): a strength graph with
-- duplicates and self-loops, customer values, and the exact credit walk and
-- churn impact at two parameter sets each
CREATE TABLE fixture.social_edges (source bigint, target bigint, weight float8);
\copy fixture.social_edges FROM 'sql/data/ref/social_edges.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE fixture.social_values (node bigint, value float8, p_churn float8);
\copy fixture.social_values FROM 'sql/data/ref/social_values.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE fixture.ref_influence (autonomy float8, hop_continuation float8, node bigint,
                                    influence_value float8, retained_share float8);
\copy fixture.ref_influence FROM 'sql/data/ref/social_influence.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE fixture.ref_churn (contagion float8, half_life float8, horizon float8, node bigint,
                                own_value float8, contagion_loss float8, loss_if_churned float8,
                                value_at_risk float8);
\copy fixture.ref_churn FROM 'sql/data/ref/social_churn.csv' WITH (FORMAT csv, HEADER)
