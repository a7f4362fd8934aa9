-- scrm.degree and scrm.components: hand-computed cases and references.
\set VERBOSITY terse
-- duplicates are summed, a self-loop counts once each way (directed) and
-- twice (undirected); zero weights are edges of weight 0; node 9 has only
-- a self-loop, node 7 only a zero-weight edge
CREATE TABLE g1 (source bigint, target bigint, weight float8);
INSERT INTO g1 VALUES (1, 2, 1), (1, 2, 2.5), (2, 3, 1), (3, 3, 4), (9, 9, 1), (7, 1, 0);
SELECT * FROM scrm.degree('SELECT * FROM g1') ORDER BY node;
SELECT * FROM scrm.degree('SELECT * FROM g1', directed => false) ORDER BY node;
-- without a weight column every edge weighs 1
SELECT * FROM scrm.degree('SELECT source, target FROM g1') ORDER BY node;
SELECT * FROM scrm.components('SELECT * FROM g1') ORDER BY node;
-- weak connectivity: direction does not matter; labels are the smallest id
SELECT * FROM scrm.components($$SELECT column1 AS source, column2 AS target
                                FROM (VALUES (10, 5), (6, 5), (100, 200), (-3, 200)) v$$) ORDER BY node;
-- empty edge set: no rows
SELECT count(*) FROM scrm.degree('SELECT * FROM g1 WHERE false');
SELECT count(*) FROM scrm.components('SELECT * FROM g1 WHERE false');
-- a long path and a large id range
SELECT count(DISTINCT component), min(component), max(node)
FROM scrm.components($$SELECT g * 1000000000000 AS source, (g + 1) * 1000000000000 AS target
                       FROM generate_series(1, 5000) g$$);
DROP TABLE g1;

-- against networkx (stored references, see sql/data/README.md)
WITH ours AS (
  SELECT 'karate_degree' AS name, * FROM scrm.degree('SELECT * FROM fixture.karate', false)
  UNION ALL
  SELECT 'karate_degree_directed', * FROM scrm.degree('SELECT * FROM fixture.karate')
  UNION ALL
  SELECT 'email_degree', * FROM scrm.degree('SELECT * FROM fixture.email'))
SELECT r.name, count(*) AS nodes, count(*) FILTER (WHERE o.node IS NULL) AS missing,
       max(abs(o.in_degree - r.in_degree) + abs(o.out_degree - r.out_degree)) AS max_error,
       (SELECT count(*) FROM ours WHERE ours.name = r.name) AS our_nodes
FROM fixture.ref_degree r LEFT JOIN ours o USING (name, node)
GROUP BY r.name ORDER BY r.name;

WITH ours AS (
  SELECT 'karate_components' AS name, * FROM scrm.components('SELECT * FROM fixture.karate')
  UNION ALL
  SELECT 'email_components', * FROM scrm.components('SELECT * FROM fixture.email')
  UNION ALL
  SELECT 'split_components', * FROM scrm.components('SELECT * FROM fixture.split_edges'))
SELECT r.name, count(*) AS nodes,
       count(*) FILTER (WHERE o.component IS DISTINCT FROM r.component) AS wrong,
       count(DISTINCT r.component) AS components,
       (SELECT count(*) FROM ours WHERE ours.name = r.name) AS our_nodes
FROM fixture.ref_component r LEFT JOIN ours o USING (name, node)
GROUP BY r.name ORDER BY r.name;
