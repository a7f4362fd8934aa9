-- Communities, modularity and influence: readable results and the messages
-- users see (test/community.pg holds the reference and property tests).
\set VERBOSITY default
-- karate club (weighted): Louvain, Leiden and label propagation with their
-- modularity; community = smallest member id
SELECT method, count(DISTINCT community) AS communities,
       round(scrm.modularity('SELECT * FROM fixture.karate',
             format('SELECT * FROM scrm.communities(%L, %L)', 'SELECT * FROM fixture.karate', method))::numeric, 4) AS modularity
FROM (VALUES ('louvain'), ('leiden'), ('label_propagation')) m(method),
     LATERAL scrm.communities('SELECT * FROM fixture.karate', method)
GROUP BY method ORDER BY method;
SELECT community, array_agg(node ORDER BY node) AS members
FROM scrm.communities('SELECT * FROM fixture.karate', 'leiden')
GROUP BY community ORDER BY community;
-- the planted partition: 12 blocks recovered
SELECT count(DISTINCT community) AS communities
FROM scrm.communities('SELECT * FROM fixture.planted', 'leiden');
-- influence on the karate club (edges both ways), weighted cascade
SELECT round(scrm.influence_spread('SELECT source, target FROM fixture.karate UNION ALL SELECT target, source FROM fixture.karate',
                                   ARRAY[0, 33])::numeric, 3) AS spread;
SELECT rank, node, round(marginal_gain::numeric, 3) AS marginal_gain, round(spread::numeric, 3) AS spread
FROM scrm.influence_maximization('SELECT source, target FROM fixture.karate UNION ALL SELECT target, source FROM fixture.karate', 3);

-- messages
SELECT * FROM scrm.communities('SELECT * FROM fixture.karate', 'walktrap');
SELECT * FROM scrm.communities('SELECT * FROM fixture.karate', 'louvain', 0);
SELECT scrm.modularity('SELECT * FROM fixture.karate', 'SELECT 0 AS node, 1 AS community');
SELECT scrm.modularity('SELECT * FROM fixture.karate', 'SELECT node, community FROM fixture.karate_club UNION ALL SELECT 0, 5');
SELECT scrm.influence_spread('SELECT * FROM fixture.karate', ARRAY[0], probability => 2);
SELECT scrm.influence_spread('SELECT * FROM fixture.karate', ARRAY[0], probability => -1);
SELECT scrm.influence_spread('SELECT * FROM fixture.karate', ARRAY[0], 'linear_threshold');
SELECT * FROM scrm.influence_maximization('SELECT * FROM fixture.karate', 35);
SELECT * FROM scrm.influence_maximization('SELECT * FROM fixture.karate', 2, simulations => 0);

-- cancellation: statement_timeout stops long simulations
SET statement_timeout = '1s';
SELECT scrm.influence_spread('SELECT source, target FROM fixture.email',
                             ARRAY(SELECT source FROM fixture.email GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),
                             probability => 0.5, simulations => 1000000);
SELECT * FROM scrm.influence_maximization('SELECT source, target FROM fixture.email', 5, probability => 0.5,
                                          simulations => 100000);
RESET statement_timeout;
