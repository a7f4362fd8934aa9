-- Every example of README.md, as written there.
CREATE TABLE follows (source bigint, target bigint, weight float8);
INSERT INTO follows VALUES (1, 2, 1), (2, 3, 1), (3, 1, 1), (3, 4, 2), (3, 4, 1), (5, 5, 1);
SELECT node, round(score::numeric, 4) AS score
FROM scrm.pagerank('SELECT * FROM follows') ORDER BY node;
SELECT * FROM scrm.components('SELECT source, target FROM follows') ORDER BY node;
SELECT * FROM scrm.degree('SELECT * FROM follows') ORDER BY node;
DROP TABLE follows;

CREATE TABLE contact (id uuid PRIMARY KEY, name text);
CREATE TABLE follows (follower uuid, followee uuid);
INSERT INTO contact VALUES ('7c9e6679-7425-40de-944b-e07fc1f90ae7', 'Ann'),
                           ('1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'Bob'),
                           ('6fa459ea-ee8a-3ca4-894e-db77e160355e', 'Cid');
INSERT INTO follows VALUES ('7c9e6679-7425-40de-944b-e07fc1f90ae7', '1b4e28ba-2fa1-11d2-883f-0016d3cca427'),
                           ('6fa459ea-ee8a-3ca4-894e-db77e160355e', '1b4e28ba-2fa1-11d2-883f-0016d3cca427');
SELECT c.name, round(p.score::numeric, 4) AS score
FROM scrm.pagerank(NULL::uuid[], 'SELECT follower AS source, followee AS target FROM follows') p
JOIN contact c ON c.id = p.node
ORDER BY p.score DESC, c.name;
DROP TABLE contact, follows;

CREATE TABLE ties (source bigint, target bigint, weight float8);
INSERT INTO ties VALUES (1, 2, 1), (2, 3, 1), (1, 3, 1), (3, 4, 0.2), (4, 5, 1), (5, 6, 1), (4, 6, 1);
SELECT community, array_agg(node ORDER BY node) AS members
FROM scrm.communities('SELECT * FROM ties', 'leiden') GROUP BY community ORDER BY community;
SELECT round(scrm.modularity('SELECT * FROM ties',
                             'SELECT * FROM scrm.communities(''SELECT * FROM ties'')')::numeric, 4) AS modularity;
SELECT rank, node, round(marginal_gain::numeric, 3) AS marginal_gain, round(spread::numeric, 3) AS spread
FROM scrm.influence_maximization('SELECT source, target, weight FROM ties', 2, probability => -1);
DROP TABLE ties;

CREATE TABLE orders (customer bigint, ordered_at timestamptz, amount numeric);
INSERT INTO orders VALUES (1, '2024-01-01 10:00', 20), (1, '2024-01-01 15:00', 5),
  (1, '2024-01-15 09:00', 40), (1, '2024-02-12 12:00', 30), (2, '2024-01-20 11:00', 15);
SELECT customer, scrm.rfm(ordered_at, amount, '2024-03-01')
FROM orders GROUP BY customer ORDER BY customer;
SELECT round(scrm.p_alive(m, 2, 6, 8.57)::numeric, 4) AS p_alive,
       round(scrm.expected_purchases(m, 52, 2, 6, 8.57)::numeric, 3) AS next_year,
       round(scrm.clv(m, scrm.gammagamma(6.25, 3.74, 15.44), 2, 6, 8.57, 35)::numeric, 2) AS clv
FROM (SELECT scrm.bgnbd(0.243, 4.414, 0.793, 2.426) AS m) s;
-- customer c buys about every gap days and leaves after a purchase with probability p;
-- both, and the spend level, vary by customer (as the models assume)
INSERT INTO orders
  SELECT c, timestamptz '2024-01-01' + (k * gap + u * gap) * interval '1 day', round(base * (0.5 + v), 2)
  FROM (SELECT c, 3 + 60 * ((abs(hashint4(c)) % 1000) / 1000.0) ^ 2 AS gap,
               0.6 * ((abs(hashint4(c + 7777)) % 1000) / 1000.0) ^ 2 AS p,
               10 + abs(hashint4(c + 5555)) % 50 AS base
        FROM generate_series(3, 1000) c) cust,
       LATERAL (SELECT k, (abs(hashint4(c * 97 + k)) % 1000) / 1000.0 AS u,
                       (abs(hashint4(c * 89 + k)) % 1000) / 1000.0 AS v
                FROM generate_series(0, 60) k) draw
  WHERE k * gap + u * gap <= 180
    AND NOT EXISTS (SELECT 1 FROM generate_series(0, k - 1) j
                    WHERE (abs(hashint4(c * 83 + j)) % 1000) / 1000.0 < p);
CREATE TABLE summary AS
  SELECT customer, scrm.rfm(ordered_at, amount, '2024-06-30') AS s
  FROM orders GROUP BY customer;
CREATE TABLE models AS
  SELECT scrm.bgnbd_fit(s) AS purchases, scrm.gammagamma_fit(s) AS spend FROM summary;
SELECT scrm.params(purchases)->'converged' AS converged, scrm.params(spend)->'customers' AS repeat_buyers
FROM models;
SELECT customer, round(scrm.clv(purchases, spend, (s).frequency, (s).recency, (s).age,
                                (s).monetary)::numeric, 2) AS clv
FROM summary, models ORDER BY clv DESC, customer LIMIT 3;
DROP TABLE orders, summary, models;
WITH cohort(year, alive) AS (VALUES (0, 1000), (1, 631), (2, 468), (3, 382), (4, 326), (5, 289), (6, 262), (7, 241)),
     customers AS (SELECT year AS periods, true AS churned, lag(alive) OVER (ORDER BY year) - alive AS n FROM cohort
                   UNION ALL SELECT 7, false, 241)
SELECT round((scrm.params(m)->>'alpha')::numeric, 3) AS alpha, round((scrm.params(m)->>'beta')::numeric, 3) AS beta,
       round(scrm.survival(m, 12)::numeric, 3) AS alive_year_12,
       round(scrm.clv(m, 100, 0.1, 4)::numeric, 2) AS value_after_4_renewals
FROM (SELECT scrm.sbg_fit(periods, churned, n) AS m FROM customers WHERE n IS NOT NULL) f;

SELECT node, round(influence_value::numeric, 2) AS influence_value, retained_share
FROM scrm.influence_value('SELECT * FROM (VALUES (1, 2), (2, 1)) e(source, target)',
                          'SELECT * FROM (VALUES (1, 100), (2, 300)) v(node, value)')
ORDER BY node;
SELECT scrm.social_value(100, 30, 40, valence => 0.5) AS total,   -- 150: 30 + 0.5 * 40
       scrm.social_value(100, 900, 0) AS capped,                   -- 150: at most +50%
       scrm.service_tier(150, 120, 200) AS tier;                   -- excellent

SET timezone = 'UTC';
CREATE TEMP TABLE interactions (customer bigint, kind text, occurred_at timestamptz,
                                counterparty bigint, audience bigint);
INSERT INTO interactions VALUES
  (1, 'answer_accepted',    '2024-06-20', 11, NULL),
  (1, 'helped_customer',    '2024-06-25', 12, NULL),
  (1, 'referral_converted', '2024-06-28', 13, NULL),
  (2, 'negative_mention',   '2024-06-01', NULL, 5000),
  (2, 'complaint',          '2024-05-15', NULL, NULL),
  (3, 'helped_customer',    '2024-06-29', 3, NULL);    -- helped themself: dropped
SELECT customer, (a).advocate_score, (a).detractor_index, round((a).valence::numeric, 2) AS valence,
       (a).label
FROM (SELECT customer, scrm.advocacy(kind, occurred_at, '2024-06-30', counterparty, audience,
                                     '180 days', customer, NULL) AS a
      FROM interactions GROUP BY customer) s
ORDER BY customer;

SELECT node, referral_value, referred
FROM scrm.referral_value(
  'SELECT * FROM (VALUES (1, 2, 10.0), (3, 2, 10.0), (1, 4, 0)) r(referrer, referred, reward_cost)',
  'SELECT * FROM (VALUES (2, 400), (4, 100)) v(node, value)')
ORDER BY node;

-- the pipeline example runs on the demo CRM
\set ECHO none
\o /dev/null
\i test/demo/crm.sql
\o
\set ECHO all
SELECT scrm.configure(
  customers     => 'SELECT customer, social_consent FROM crm.customers',
  purchases     => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships',
  interactions  => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  referrals     => 'SELECT referrer, referred, reward_cost, incrementality FROM crm.referrals',
  surveys       => 'SELECT customer, score, answered_at FROM crm.surveys',
  settings      => '{"as_of": "1998-07-01"}') IS NOT NULL AS configured;
SET client_min_messages = warning;   -- silence the NOTICE of each step
SELECT scrm.refresh()->'row_counts' AS row_counts;
SELECT customer, round(monetary_value::numeric, 2) AS monetary, round(referral_value::numeric, 2) AS referral,
       round(influence_value::numeric, 2) AS influence, advocate_label, round(total_value::numeric, 2) AS total, tier
FROM scrm.customer_value
ORDER BY total_value DESC, customer
LIMIT 3;
SELECT tier, count(*) AS customers FROM scrm.customer_value GROUP BY tier ORDER BY min(total_value) DESC;
SELECT community, members, round(clout::numeric, 2) AS clout, advocates, detractors
FROM scrm.community_clout ORDER BY clout DESC LIMIT 3;
DROP SCHEMA crm CASCADE;
RESET client_min_messages;
