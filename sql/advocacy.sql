-- advocacy and referral value: messages, the memory budget and a parallel plan
SET timezone = 'UTC';
\set VERBOSITY default
-- an unknown kind lists the known ones
SELECT scrm.advocacy('thanked', '2024-06-30', '2024-06-30');
-- a survey needs its score, which must be 0..10
SELECT scrm.advocacy('survey', '2024-06-30', '2024-06-30');
SELECT scrm.advocacy('survey', '2024-06-30', '2024-06-30', NULL, NULL, '180 days', 1, 12);
SELECT scrm.advocacy('complaint', '2024-06-30', a) FROM unnest(ARRAY['2024-06-30', '2024-07-01']::timestamptz[]) a;
-- one group larger than scrm.max_memory
SET scrm.max_memory = '64kB';
SELECT scrm.advocacy('complaint', '2024-06-30', '2024-06-30') FROM generate_series(1, 10000);
RESET scrm.max_memory;
SELECT * FROM scrm.referral_value('SELECT 1 AS referrer, 2 AS referred, 0.5 AS incrementality UNION ALL SELECT 3, 2, 0.7',
                                  'SELECT 2 AS node, 10 AS value');
SELECT * FROM scrm.referral_value('SELECT 1 AS referrer, 2 AS referred, -3 AS reward_cost', 'SELECT 2 AS node, 10 AS value');

-- a parallel plan (Partial Aggregate, states serialised between processes)
-- gives exactly the serial result
CREATE TABLE adv_events AS
SELECT i % 50 AS customer,
       (ARRAY['answer_accepted', 'helped_customer', 'complaint', 'positive_mention', 'negative_mention', 'referral_sent'])
         [1 + abs(hashint4(i)) % 6] AS kind,
       '2024-06-30'::timestamptz - make_interval(mins => abs(hashint4(i * 3)) % 500000) AS t,
       (abs(hashint4(i * 5)) % 20)::bigint AS cp, (abs(hashint4(i * 7)) % 1000)::bigint AS aud
FROM generate_series(1, 200000) i;
ANALYZE adv_events;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT scrm.advocacy(kind, t, '2024-06-30', cp, aud) FROM adv_events;
CREATE TEMP TABLE par AS SELECT scrm.advocacy(kind, t, '2024-06-30', cp, aud) AS a FROM adv_events;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;
SELECT p.a = s.a AS same, (p.a).advocate_score, (p.a).label
FROM par p, (SELECT scrm.advocacy(kind, t, '2024-06-30', cp, aud) AS a FROM adv_events) s;
-- and per customer, as a window function too
SELECT count(*) AS customers, count(DISTINCT a) AS distinct_summaries
FROM (SELECT customer, scrm.advocacy(kind, t, '2024-06-30', cp, aud) a FROM adv_events GROUP BY customer) g;
SELECT bool_and(w = g.a) AS window_equals_group
FROM (SELECT DISTINCT customer, scrm.advocacy(kind, t, '2024-06-30', cp, aud) OVER (PARTITION BY customer) w FROM adv_events) x
JOIN (SELECT customer, scrm.advocacy(kind, t, '2024-06-30', cp, aud) a FROM adv_events GROUP BY customer) g USING (customer);
RESET max_parallel_workers_per_gather;
DROP TABLE adv_events;
