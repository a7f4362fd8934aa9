-- scrm.pagerank: hand-computed tiny graphs, references, errors.
\set VERBOSITY terse
-- two-node cycle: 1/2 each
SELECT node, round(score::numeric, 12)
FROM scrm.pagerank('SELECT * FROM (VALUES (1, 2), (2, 1)) v(source, target)') ORDER BY node;
-- 1 -> 2 with 2 dangling: x1 = 20/57, x2 = 37/57 at damping 0.85 (by hand:
-- x1 = .85 * x2/2 + .075, x2 = .85 * (x1 + x2/2) + .075)
SELECT node, round(score::numeric, 10) AS score,
       round((CASE node WHEN 1 THEN 20 ELSE 37 END) / 57.0, 10) AS by_hand
FROM scrm.pagerank('SELECT 1 AS source, 2 AS target', tolerance => 1e-15) ORDER BY node;
-- a zero-weight edge leaves its source dangling: same as a lone node 1
-- with the weight-0 edge: x1 = x2 = 1/2 (both dangling)
SELECT node, round(score::numeric, 12)
FROM scrm.pagerank('SELECT 1 AS source, 2 AS target, 0 AS weight') ORDER BY node;
-- duplicates are summed: two rows of weight 1 = one row of weight 2
SELECT a.node, abs(a.score - b.score) < 1e-15 AS same
FROM scrm.pagerank($$SELECT * FROM (VALUES (1, 2, 1.0), (1, 2, 1.0), (1, 3, 1.0), (3, 1, 1.0))
                       v(source, target, weight)$$) a
JOIN scrm.pagerank($$SELECT * FROM (VALUES (1, 2, 2.0), (1, 3, 1.0), (3, 1, 1.0))
                       v(source, target, weight)$$) b USING (node)
ORDER BY node;
-- without a weight column too, and in rows longer than 16 neighbours:
-- every k -> 0 five times (k = 0..39, one a self-loop) equals weight 5
SELECT count(*) AS nodes, max(abs(a.score - b.score)) < 1e-15 AS same
FROM scrm.pagerank($$SELECT g % 40 AS source, 0 AS target FROM generate_series(1, 200) g
                     UNION ALL SELECT 0, g FROM generate_series(1, 39) g$$) a
JOIN scrm.pagerank($$SELECT g AS source, 0 AS target, 5 AS weight FROM generate_series(0, 39) g
                     UNION ALL SELECT 0, g, 1 FROM generate_series(1, 39) g$$) b USING (node);
-- undirected: u -> v and v -> u are the same edge, their weights add up
SELECT a.node, abs(a.score - b.score) < 1e-15 AS same
FROM scrm.pagerank('SELECT * FROM (VALUES (1, 2), (2, 1), (2, 3)) v(source, target)',
                   directed => false) a
JOIN scrm.pagerank('SELECT * FROM (VALUES (1, 2, 2), (2, 3, 1)) v(source, target, weight)',
                   directed => false) b USING (node)
ORDER BY node;
-- a self-loop is an edge (networkx keeps it): star with a loop on 1
SELECT node, round(score::numeric, 6)
FROM scrm.pagerank($$SELECT * FROM (VALUES (1, 1), (1, 2), (2, 1), (3, 1)) v(source, target)$$)
ORDER BY node;
-- damping 0 gives the personalization vector; damping 1 on a cycle stays uniform
SELECT node, round(score::numeric, 12)
FROM scrm.pagerank('SELECT * FROM (VALUES (1, 2), (2, 3)) v(source, target)', damping => 0,
                   personalization => 'SELECT 3 AS node, 1 AS weight UNION ALL SELECT 1, 3')
ORDER BY node;
-- undirected: a path 1 - 2 - 3; the middle node gets the most
SELECT node, round(score::numeric, 6)
FROM scrm.pagerank('SELECT 1 AS source, 2 AS target UNION ALL SELECT 3, 2', directed => false)
ORDER BY node;
-- scores sum to 1; empty edge set returns no rows
SELECT round(sum(score)::numeric, 12) FROM scrm.pagerank('SELECT * FROM fixture.email');
SELECT count(*) FROM scrm.pagerank('SELECT 1 AS source, 2 AS target WHERE false');

-- against networkx (tol 1e-13 on both sides); max |error| must be < 1e-9
WITH ours AS (
  SELECT 'karate_pagerank' AS name, * FROM scrm.pagerank('SELECT * FROM fixture.karate',
      tolerance => 1e-13, max_iterations => 10000, directed => false)
  UNION ALL
  SELECT 'karate_pagerank_directed', * FROM scrm.pagerank('SELECT * FROM fixture.karate',
      tolerance => 1e-13, max_iterations => 10000)
  UNION ALL
  SELECT 'karate_ppr', * FROM scrm.pagerank('SELECT * FROM fixture.karate',
      tolerance => 1e-13, max_iterations => 10000, directed => false,
      personalization => 'SELECT * FROM fixture.karate_personalization')
  UNION ALL
  SELECT 'email_pagerank', * FROM scrm.pagerank('SELECT * FROM fixture.email',
      tolerance => 1e-13, max_iterations => 10000)
  UNION ALL
  SELECT 'email_ppr', * FROM scrm.pagerank('SELECT * FROM fixture.email',
      tolerance => 1e-13, max_iterations => 10000,
      personalization => 'SELECT * FROM fixture.email_personalization')
  UNION ALL
  SELECT 'email_pagerank_undirected', * FROM scrm.pagerank('SELECT * FROM fixture.email',
      tolerance => 1e-13, max_iterations => 10000, directed => false))
SELECT r.name, count(*) AS nodes, count(o.node) AS matched,
       max(abs(o.score - r.score)) < 1e-9 AS within_1e9,
       (SELECT count(*) FROM ours WHERE ours.name = r.name) AS our_nodes
FROM fixture.ref_score r LEFT JOIN ours o USING (name, node)
GROUP BY r.name ORDER BY r.name;

-- personalization: ids outside the graph are ignored, duplicates add up
SELECT a.node, abs(a.score - b.score) < 1e-15 AS same
FROM scrm.pagerank('SELECT * FROM (VALUES (1, 2), (2, 3), (3, 1)) v(source, target)',
       personalization => $$SELECT * FROM (VALUES (1, 1.0), (1, 1.0), (99, 5.0), (2, 1.0))
                             v(node, weight)$$) a
JOIN scrm.pagerank('SELECT * FROM (VALUES (1, 2), (2, 3), (3, 1)) v(source, target)',
       personalization => 'SELECT * FROM (VALUES (1, 2.0), (2, 1.0)) v(node, weight)') b
USING (node)
ORDER BY node;

-- not converging: a WARNING and the last iterate
SELECT count(*), round(sum(score)::numeric, 9)
FROM scrm.pagerank('SELECT * FROM fixture.email', max_iterations => 3);

-- bad arguments: 22023 / 22004
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', damping => 1.5);
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', damping => -0.1);
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', damping => 'NaN');
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', max_iterations => 0);
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', tolerance => -1);
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', tolerance => 'Infinity');
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', damping => NULL);
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate', directed => NULL);
SELECT * FROM scrm.pagerank(NULL);
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate',
                            personalization => 'SELECT 1000 AS node, 1 AS weight');
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate',
                            personalization => 'SELECT 1 AS node, -1 AS weight');
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate',
                            personalization => 'SELECT 1 AS node, NULL::float8 AS weight');
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate',
                            personalization => 'SELECT NULL::int AS node, 1 AS weight');
SELECT * FROM scrm.pagerank('SELECT * FROM fixture.karate',
                            personalization => 'SELECT 1 AS id, 1 AS weight');
