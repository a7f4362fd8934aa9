-- One round of the igraph cases of bench.sql (included once per round):
-- igraph in a process of its own with the graph in memory, then ours, once
-- each.  Expects :round (the round number, igraph's seed) and table ab.
\set ig_pr `/usr/bin/python3 test/bench/igraph_pagerank.py test/bench/data/soc-Epinions1.txt.gz 1`
INSERT INTO ab VALUES ('pagerank tol 1e-10', 'igraph', :'ig_pr');
INSERT INTO ab SELECT 'pagerank tol 1e-10', 'ours',
  bench.time_ms($$SELECT count(*) FROM scrm.pagerank('SELECT source, target FROM bench.epinions', tolerance => 1e-10)$$, 1);
\set ig_comm `/usr/bin/python3 test/bench/igraph_community.py test/bench/data/soc-Epinions1.txt.gz 1 :round`
INSERT INTO ab VALUES
  ('communities louvain', 'igraph', split_part(:'ig_comm', ' ', 1)::float8, split_part(:'ig_comm', ' ', 3)::float8),
  ('communities leiden', 'igraph', split_part(:'ig_comm', ' ', 2)::float8, split_part(:'ig_comm', ' ', 4)::float8);
INSERT INTO ab SELECT 'communities ' || m, 'ours',
  bench.time_ms(format($q$SELECT count(*) FROM scrm.communities('SELECT source, target FROM bench.epinions', %L)$q$, m), 1)
FROM unnest(ARRAY['louvain', 'leiden']) m;
SELECT :round + 1 AS round \gset
