-- What social_crm makes of the sample CRM (test/demo/crm.sql must be loaded).
\pset footer off
CREATE EXTENSION IF NOT EXISTS social_crm;

\echo
\echo '== The sample CRM =='
SELECT (SELECT count(*) FROM crm.customers) AS customers,
       (SELECT count(*) FROM crm.purchases) AS purchases,
       (SELECT count(*) FROM crm.relationships) AS relationships,
       (SELECT count(*) FROM crm.interactions) AS interactions,
       (SELECT count(*) FROM crm.referrals) AS referrals,
       (SELECT count(*) FROM crm.surveys) AS surveys;

\echo
\echo '== Value models fitted on the purchase log (as of 1998-06-30, weekly periods) =='
CREATE TEMP TABLE demo_rfm AS
  SELECT customer, scrm.rfm(purchased_at, amount, '1998-06-30') AS s
  FROM crm.purchases GROUP BY customer;
CREATE TEMP TABLE demo_models AS
  SELECT scrm.bgnbd_fit(s) AS bgnbd, scrm.paretonbd_fit(s) AS paretonbd,
         scrm.gammagamma_fit(s) AS gammagamma
  FROM demo_rfm;
SELECT 'BG/NBD' AS model, round((p->>'r')::numeric, 4) AS r, round((p->>'alpha')::numeric, 4) AS alpha,
       round((p->>'a')::numeric, 4) AS "a / s", round((p->>'b')::numeric, 4) AS "b / beta",
       round((p->>'log_likelihood')::numeric, 2) AS log_likelihood, p->'customers' AS customers,
       p->'converged' AS converged
FROM (SELECT scrm.params(bgnbd) AS p FROM demo_models) m
UNION ALL
SELECT 'Pareto/NBD', round((p->>'r')::numeric, 4), round((p->>'alpha')::numeric, 4),
       round((p->>'s')::numeric, 4), round((p->>'beta')::numeric, 4),
       round((p->>'log_likelihood')::numeric, 2), p->'customers', p->'converged'
FROM (SELECT scrm.params(paretonbd) AS p FROM demo_models) m;
SELECT 'Gamma-Gamma' AS model, round((p->>'p')::numeric, 4) AS p, round((p->>'q')::numeric, 4) AS q,
       round((p->>'gamma')::numeric, 4) AS gamma, round((p->>'log_likelihood')::numeric, 2) AS log_likelihood,
       p->'customers' AS repeat_buyers, p->'converged' AS converged
FROM (SELECT scrm.params(gammagamma) AS p FROM demo_models) m;

\echo
\echo '== Top customers by 12-month CLV (BG/NBD + Gamma-Gamma, 1% a month) =='
SELECT r.customer, c.name, (r.s).frequency AS repeat_purchases,
       round((r.s).recency::numeric, 1) AS recency_weeks, round((r.s).age::numeric, 1) AS age_weeks,
       round(scrm.p_alive(m.bgnbd, (r.s).frequency, (r.s).recency, (r.s).age)::numeric, 3) AS p_alive,
       round(scrm.expected_purchases(m.bgnbd, 52, (r.s).frequency, (r.s).recency, (r.s).age)::numeric, 2)
         AS purchases_next_year,
       round(scrm.expected_spend(m.gammagamma, (r.s).frequency, (r.s).monetary)::numeric, 2) AS spend_per_purchase,
       round(scrm.clv(m.bgnbd, m.gammagamma, (r.s).frequency, (r.s).recency, (r.s).age,
                      (r.s).monetary)::numeric, 2) AS clv
FROM demo_rfm r JOIN crm.customers c USING (customer), demo_models m
ORDER BY clv DESC, r.customer
LIMIT 10;

\echo
\echo '== Most central customers: PageRank over the relationship graph =='
\echo '   (undirected, weighted by relationship strength)'
SELECT p.node AS customer, c.name, c.city,
       round((p.score * 1000)::numeric, 3) AS pagerank_permille,
       round(d.in_degree::numeric, 2) AS weighted_degree,
       (SELECT round(sum(amount), 2) FROM crm.purchases pu WHERE pu.customer = p.node) AS spent
FROM scrm.pagerank('SELECT source, target, strength AS weight FROM crm.relationships',
                   directed => false) p
JOIN scrm.degree('SELECT source, target, strength AS weight FROM crm.relationships',
                 directed => false) d USING (node)
JOIN crm.customers c ON c.customer = p.node
ORDER BY p.score DESC, p.node
LIMIT 10;

\echo
\echo '== Connected components of the relationship graph, by size =='
SELECT size AS customers_in_component, count(*) AS components
FROM (SELECT component, count(*) AS size
      FROM scrm.components('SELECT source, target FROM crm.relationships')
      GROUP BY component) s
GROUP BY size ORDER BY size DESC;

\echo
\echo '== Customers with no relationship at all (not in the graph) =='
SELECT count(*) AS isolated_customers
FROM crm.customers c
WHERE NOT EXISTS (SELECT 1 FROM crm.relationships r WHERE c.customer IN (r.source, r.target));

\echo
\echo '== Communities: Leiden over the relationship graph (weighted by strength) =='
CREATE TEMP TABLE demo_communities AS
  SELECT * FROM scrm.communities('SELECT source, target, strength AS weight FROM crm.relationships', 'leiden');
SELECT count(DISTINCT community) AS communities,
       round(scrm.modularity('SELECT source, target, strength AS weight FROM crm.relationships',
                             'SELECT node, community FROM demo_communities')::numeric, 4) AS modularity,
       round(scrm.modularity('SELECT source, target, strength AS weight FROM crm.relationships',
                             'SELECT customer AS node, community FROM crm.planted_communities')::numeric, 4)
         AS modularity_of_planted_communities
FROM demo_communities;
\echo '   the largest communities, with what their members spent and their 12-month CLV'
SELECT d.community, count(*) AS members,
       round(sum(coalesce(p.spent, 0)), 2) AS spent_so_far,
       round(sum(scrm.clv(m.bgnbd, m.gammagamma, (r.s).frequency, (r.s).recency, (r.s).age,
                          (r.s).monetary))::numeric, 2) AS clv_12_months,
       mode() WITHIN GROUP (ORDER BY c.city) AS main_city
FROM demo_communities d
JOIN crm.customers c ON c.customer = d.node
JOIN demo_rfm r ON r.customer = d.node
LEFT JOIN (SELECT customer, sum(amount) AS spent FROM crm.purchases GROUP BY customer) p ON p.customer = d.node,
     demo_models m
GROUP BY d.community
ORDER BY members DESC, clv_12_months DESC
LIMIT 8;

\echo
\echo '== Campaign seeds: five customers whose word reaches furthest =='
\echo '   (CELF over the Independent Cascade, a tie u -> v activating v with'
\echo '    probability strength / total strength into v; 1,000 simulations)'
SELECT s.rank, s.node AS customer, c.name, c.city, round(s.marginal_gain::numeric, 2) AS extra_reach,
       round(s.spread::numeric, 2) AS expected_reach
FROM scrm.influence_maximization('SELECT source, target, strength AS weight FROM crm.relationships', 5) s
JOIN crm.customers c ON c.customer = s.node
ORDER BY s.rank;
\echo '   for comparison, the expected reach of the five most central customers above (PageRank):'
SELECT round(scrm.influence_spread('SELECT source, target, strength AS weight FROM crm.relationships',
         (SELECT array_agg(node) FROM (SELECT node FROM scrm.pagerank('SELECT source, target, strength AS weight FROM crm.relationships',
                                                                      directed => false)
                                       ORDER BY score DESC, node LIMIT 5) t))::numeric, 2) AS expected_reach_top5_pagerank;
