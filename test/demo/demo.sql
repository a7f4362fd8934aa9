-- What social_crm makes of the sample CRM (test/demo/crm.sql must be loaded):
-- configure the CRM's own tables once, refresh, read the views.
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS social_crm;

\echo
\echo '== The sample CRM: real CDNOW purchases, a generated social layer =='
SELECT (SELECT count(*) FROM crm.customers) AS customers,
       (SELECT count(*) FROM crm.customers WHERE social_consent) AS social_consent,
       (SELECT count(*) FROM crm.purchases) AS purchases,
       (SELECT count(*) FROM crm.relationships) AS relationships,
       (SELECT count(*) FROM crm.interactions) AS interactions,
       (SELECT count(*) FROM crm.referrals) AS referrals,
       (SELECT count(*) FROM crm.surveys) AS surveys;

\echo
\echo '== scrm.configure: the CRM''s own tables, as of the end of the log =='
SELECT key AS input, value AS columns_found FROM jsonb_each(scrm.configure(
  customers     => 'SELECT customer, social_consent FROM crm.customers',
  purchases     => 'SELECT customer, purchased_at, amount FROM crm.purchases',
  relationships => 'SELECT source, target, kind, strength, last_interaction_at FROM crm.relationships',
  interactions  => 'SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM crm.interactions',
  referrals     => 'SELECT referrer, referred, reward_cost, incrementality FROM crm.referrals',
  surveys       => 'SELECT customer, score, answered_at FROM crm.surveys',
  settings      => '{"as_of": "1998-07-01"}')->'inputs')
ORDER BY array_position(ARRAY['customers', 'purchases', 'relationships', 'interactions', 'referrals', 'surveys'], key);

\echo
\echo '== scrm.refresh: the whole pipeline in one transaction (milliseconds per step) =='
SELECT key AS step, value AS ms
FROM jsonb_each((SELECT scrm.refresh()->'step_ms'))
ORDER BY (SELECT array_position(ARRAY['customers', 'rfm', 'model fits', 'clv', 'graph', 'pagerank and communities',
                                      'advocacy', 'referral and influence value', 'social adjustment and tiers',
                                      'churn impact', 'write results', 'tier audit', 'log', 'history'], key));

\echo
\echo '== Model fits (scrm.model_fit) =='
SELECT model, fitted_params, round((params->>'log_likelihood')::numeric, 2) AS log_likelihood,
       params->'customers' AS customers, params->'converged' AS converged
FROM (SELECT model, params,
             (SELECT string_agg(key || ' ' || round(value::text::numeric, 4), ', ' ORDER BY key)
              FROM jsonb_each(params) WHERE key IN ('r', 'alpha', 'a', 'b', 'p', 'q', 'gamma')) AS fitted_params
      FROM scrm.model_fit) f
ORDER BY model;

\echo
\echo '== Top customers by total value, broken down (scrm.customer_value) =='
SELECT v.customer, c.name, round(v.monetary_value::numeric, 2) AS monetary,
       round(v.referral_value::numeric, 2) AS referral, round(v.influence_value::numeric, 2) AS influence,
       v.advocate_label AS advocacy, round(v.social_adjustment::numeric, 2) AS adjustment,
       round(v.total_value::numeric, 2) AS total, v.tier
FROM scrm.customer_value v JOIN crm.customers c USING (customer)
ORDER BY v.total_value DESC, v.customer
LIMIT 10;
\echo '   where social value moved a customer up a tier (it never moves one down under no_harm):'
SELECT v.customer, c.name, round(v.monetary_value::numeric, 2) AS monetary,
       round(v.social_adjustment::numeric, 2) AS adjustment, v.monetary_tier, v.tier
FROM scrm.customer_value v JOIN crm.customers c USING (customer)
WHERE v.tier <> v.monetary_tier
ORDER BY v.social_adjustment DESC, v.customer
LIMIT 5;

\echo
\echo '== Why: the explanation of the first of them (scrm.explain_parts; scrm.explain gives it as jsonb) =='
\echo '   parts with the same adds_to add up to that column of scrm.customer_value'
SELECT customer AS lifted FROM scrm.customer_value WHERE tier <> monetary_tier
ORDER BY social_adjustment DESC, customer LIMIT 1 \gset
SELECT section, part, detail, round(amount::numeric, 4) AS amount, adds_to
FROM scrm.explain_parts(:lifted::bigint);

\echo
\echo '== Tier counts (percentiles of total value over alive customers: exceptional P95, excellent P80) =='
SELECT tier, count(*) AS customers, count(*) FILTER (WHERE p_alive >= 0.5) AS alive,
       count(*) FILTER (WHERE tier <> monetary_tier) AS raised_by_social_value,
       round(sum(total_value)::numeric, 2) AS total_value
FROM scrm.customer_value
GROUP BY tier ORDER BY min(total_value) DESC;

\echo
\echo '== Communities by clout (scrm.community_clout) =='
SELECT community, members, round(monetary_value::numeric, 2) AS monetary, round(total_value::numeric, 2) AS clout,
       round(clout_index::numeric, 1) AS clout_index, advocates, detractors,
       round(net_advocacy::numeric, 1) AS net_advocacy, round(internal_edge_share::numeric, 3) AS cohesion
FROM scrm.community_clout
ORDER BY clout DESC, community
LIMIT 8;

\echo
\echo '== Top advocates (scrm.top_advocates) =='
SELECT a.customer, c.name, a.advocate_score, round(a.advocacy_points::numeric, 2) AS points,
       round(a.referral_value::numeric, 2) AS referral_value, round(a.influence_value::numeric, 2) AS influence_value,
       a.tier, a.community
FROM scrm.top_advocates a JOIN crm.customers c USING (customer)
LIMIT 10;

\echo
\echo '== Five seed customers for an advocacy campaign =='
\echo '   (CELF over the Independent Cascade on the consenting customers'' ties, a tie u -> v'
\echo '    activating v with probability strength / total strength into v; 1,000 simulations)'
CREATE TEMP TABLE demo_ties AS
  SELECT r.source, r.target, r.strength AS weight
  FROM crm.relationships r
  JOIN scrm.customer_value a ON a.customer = r.source AND a.social_consent
  JOIN scrm.customer_value b ON b.customer = r.target AND b.social_consent;
SELECT s.rank, s.node AS customer, c.name, v.advocate_label, round(s.marginal_gain::numeric, 2) AS extra_reach,
       round(s.spread::numeric, 2) AS expected_reach
FROM scrm.influence_maximization('SELECT source, target, weight FROM demo_ties', 5) s
JOIN crm.customers c ON c.customer = s.node
JOIN scrm.customer_value v ON v.customer = s.node
ORDER BY s.rank;
\echo '   for comparison, the expected reach of the five customers with the highest PageRank:'
SELECT round(scrm.influence_spread('SELECT source, target, weight FROM demo_ties',
         (SELECT array_agg(customer) FROM (SELECT customer FROM scrm.customer_value WHERE pagerank IS NOT NULL
                                           ORDER BY pagerank DESC, customer LIMIT 5) t))::numeric, 2)
       AS expected_reach_top5_pagerank;

\echo
\echo '== Customers whose loss would cost the most (own value + churn contagion, SOCIAL.md section 6) =='
SELECT v.customer, c.name, round(v.monetary_value::numeric, 2) AS own_value,
       round((v.loss_if_churned - v.monetary_value)::numeric, 2) AS contagion_loss,
       round(v.loss_if_churned::numeric, 2) AS loss_if_churned, round(v.p_alive::numeric, 3) AS p_alive,
       round(v.churn_value_at_risk::numeric, 2) AS value_at_risk, v.tier
FROM scrm.customer_value v JOIN crm.customers c USING (customer)
WHERE v.loss_if_churned IS NOT NULL
ORDER BY v.loss_if_churned DESC, v.customer
LIMIT 10;

\echo
\echo '== Tier audit over the cities (four-fifths rule: flagged under 0.8 or lowered by social value) =='
SELECT segment AS city, customers, round(monetary_rate::numeric, 3) AS monetary_rate, round(final_rate::numeric, 3) AS final_rate,
       round(monetary_impact_ratio::numeric, 2) AS monetary_ratio, round(final_impact_ratio::numeric, 2) AS final_ratio,
       below_four_fifths, lowered_by_social
FROM scrm.tier_audit('SELECT customer, city AS segment FROM crm.customers')
ORDER BY final_impact_ratio, segment
LIMIT 8;

\echo
\echo '== A second refresh with the cap lowered from 0.5 to 0.2: tier migrations (scrm.tier_migration) =='
UPDATE scrm.config SET settings = settings || '{"cap": 0.2}';
SELECT scrm.refresh() IS NOT NULL AS refreshed \gset
SELECT direction, main_part, count(*) AS customers, round(avg(total_value_change)::numeric, 2) AS avg_change
FROM scrm.tier_migration GROUP BY direction, main_part ORDER BY direction, main_part;
SELECT m.customer, c.name, m.previous_tier, m.tier, round(m.total_value_change::numeric, 2) AS change, m.main_part
FROM scrm.tier_migration m JOIN crm.customers c USING (customer)
ORDER BY m.total_value_change, m.customer
LIMIT 5;

\echo
\echo '== Model check: BG/NBD, MBG/NBD and Pareto/NBD fitted on 1997, checked on 1998H1 (scrm.holdout_evaluation) =='
SELECT m AS model, sum(holdout_purchases) AS actual, round(sum(predicted_purchases)::numeric, 1) AS predicted,
       round(avg(abs(predicted_purchases - holdout_purchases))::numeric, 4) AS mean_absolute_error
FROM unnest(ARRAY['bgnbd', 'mbgnbd', 'paretonbd']) m,
     scrm.holdout_evaluation('SELECT customer, purchased_at, amount FROM crm.purchases', '1997-12-31', '1998-06-30', m)
GROUP BY m ORDER BY mean_absolute_error;
\echo '   calibration vs holdout by 1997 repeat purchases (BG/NBD), drawn in demo-output/calibration_vs_holdout.svg:'
CREATE TEMP TABLE cvh AS
SELECT * FROM scrm.calibration_vs_holdout('SELECT customer, purchased_at, amount FROM crm.purchases',
                                          '1997-12-31', '1998-06-30', 'bgnbd', '7 days', 7);
SELECT frequency, customers, round(actual_mean::numeric, 3) AS actual_mean, round(predicted_mean::numeric, 3) AS predicted_mean
FROM cvh ORDER BY frequency;
-- an SVG line chart made in SQL: x = calibration frequency (7 = 7 or more), y = mean holdout purchases
\pset format unaligned
\pset tuples_only on
\o demo-output/calibration_vs_holdout.svg
WITH s AS (SELECT max(greatest(actual_mean, predicted_mean)) * 1.1 AS ymax, max(frequency) AS xmax FROM cvh),
pt AS (SELECT frequency, 60 + frequency * 460.0 / s.xmax AS x, 330 - actual_mean * 280 / s.ymax AS ya,
              330 - predicted_mean * 280 / s.ymax AS yp FROM cvh, s)
SELECT '<svg xmlns="http://www.w3.org/2000/svg" width="560" height="380" font-family="sans-serif" font-size="12">'
    || '<rect width="560" height="380" fill="white"/>'
    || '<text x="280" y="24" text-anchor="middle" font-size="14">Calibration (1997) vs holdout (1998H1), BG/NBD, CDNOW</text>'
    || '<line x1="60" y1="330" x2="520" y2="330" stroke="black"/><line x1="60" y1="330" x2="60" y2="50" stroke="black"/>'
    || (SELECT string_agg(format('<text x="%s" y="348" text-anchor="middle">%s</text>', round(x), frequency
                                 || CASE WHEN frequency = (SELECT xmax FROM s) THEN '+' ELSE '' END), '' ORDER BY frequency) FROM pt)
    || (SELECT format('<text x="50" y="55" text-anchor="end">%s</text><text x="50" y="334" text-anchor="end">0</text>',
                      round(ymax::numeric, 1)) FROM s)
    || '<text x="290" y="372" text-anchor="middle">repeat purchases in 1997</text>'
    || '<text x="16" y="190" text-anchor="middle" transform="rotate(-90 16 190)">mean purchases in 1998H1</text>'
    || (SELECT format('<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>',
                      string_agg(round(x) || ',' || round(ya), ' ' ORDER BY frequency)) FROM pt)
    || (SELECT format('<polyline fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4" points="%s"/>',
                      string_agg(round(x) || ',' || round(yp), ' ' ORDER BY frequency)) FROM pt)
    || '<line x1="80" y1="60" x2="110" y2="60" stroke="#1f77b4" stroke-width="2"/><text x="116" y="64">actual</text>'
    || '<line x1="80" y1="80" x2="110" y2="80" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/><text x="116" y="84">BG/NBD prediction</text>'
    || '</svg>';
\o
\pset tuples_only off
\pset format aligned
\echo '   written: demo-output/calibration_vs_holdout.svg'

\echo
\echo '== Tracking: cumulative repeat purchases, actual vs BG/NBD fitted on 1997 (scrm.tracking), drawn in demo-output/tracking.svg =='
CREATE TEMP TABLE trk AS
SELECT * FROM scrm.tracking('SELECT customer, purchased_at, amount FROM crm.purchases', '1997-12-31', '1998-06-30');
SELECT period_index AS week, actual_cumulative AS actual, round(expected_cumulative::numeric, 1) AS expected
FROM trk WHERE period_index % 13 = 12 OR period_index = (SELECT max(period_index) FROM trk) ORDER BY 1;
\pset format unaligned
\pset tuples_only on
\o demo-output/tracking.svg
WITH s AS (SELECT max(greatest(actual_cumulative, expected_cumulative)) * 1.05 AS ymax, max(period_index) AS xmax,
                  (SELECT floor(extract(epoch FROM timestamptz '1997-12-31' - min(purchased_at)) / 604800) FROM crm.purchases) AS cal
           FROM trk),
pt AS (SELECT period_index, 60 + period_index * 460.0 / s.xmax AS x, 330 - actual_cumulative * 280 / s.ymax AS ya,
              330 - expected_cumulative * 280 / s.ymax AS ye FROM trk, s)
SELECT '<svg xmlns="http://www.w3.org/2000/svg" width="560" height="380" font-family="sans-serif" font-size="12">'
    || '<rect width="560" height="380" fill="white"/>'
    || '<text x="280" y="24" text-anchor="middle" font-size="14">Tracking: cumulative repeat purchases, CDNOW</text>'
    || '<line x1="60" y1="330" x2="520" y2="330" stroke="black"/><line x1="60" y1="330" x2="60" y2="50" stroke="black"/>'
    || (SELECT format('<line x1="%1$s" y1="50" x2="%1$s" y2="330" stroke="gray" stroke-dasharray="3 3"/>'
                      '<text x="%1$s" y="46" text-anchor="middle" fill="gray">end of calibration</text>',
                      round(60 + cal * 460.0 / xmax)) FROM s)
    || (SELECT format('<text x="50" y="55" text-anchor="end">%s</text><text x="50" y="334" text-anchor="end">0</text>'
                      '<text x="520" y="348" text-anchor="middle">%s</text><text x="60" y="348" text-anchor="middle">0</text>',
                      round(ymax::numeric), xmax + 1) FROM s)
    || '<text x="290" y="372" text-anchor="middle">weeks since the first purchase</text>'
    || (SELECT format('<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>',
                      string_agg(round(x) || ',' || round(ya), ' ' ORDER BY period_index)) FROM pt)
    || (SELECT format('<polyline fill="none" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4" points="%s"/>',
                      string_agg(round(x) || ',' || round(ye), ' ' ORDER BY period_index)) FROM pt)
    || '<line x1="80" y1="70" x2="110" y2="70" stroke="#1f77b4" stroke-width="2"/><text x="116" y="74">actual</text>'
    || '<line x1="80" y1="90" x2="110" y2="90" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/><text x="116" y="94">BG/NBD expected</text>'
    || '</svg>';
\o
\pset tuples_only off
\pset format aligned
\echo '   written: demo-output/tracking.svg'

