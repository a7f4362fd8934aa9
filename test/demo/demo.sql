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
