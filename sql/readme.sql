-- Every example of README.md, as written there.
CREATE TABLE follows (source bigint, target bigint, weight float8);
INSERT INTO follows VALUES (1, 2, 1), (2, 3, 1), (3, 1, 1), (3, 4, 2), (3, 4, 1), (5, 5, 1);
SELECT node, round(score::numeric, 4) AS score
FROM scrm.pagerank('SELECT * FROM follows') ORDER BY node;
SELECT * FROM scrm.components('SELECT source, target FROM follows') ORDER BY node;
SELECT * FROM scrm.degree('SELECT * FROM follows') ORDER BY node;
DROP TABLE follows;
