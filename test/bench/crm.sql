-- The generated bench CRM, at any size: bench.make_crm(schema, n) builds n
-- customers, about 21n purchases, 10n relationships, 2.5n interactions,
-- n/10 referrals and n/4 survey answers in schema (dropped first), with a
-- fixed seed; bench.crm_scan(schema) is one serial scan of all six inputs,
-- reading every column the pipeline uses (the refresh's baseline).
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.make_crm(crm text, n bigint) RETURNS bigint
LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM setseed(0.17);
  EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', crm);
  EXECUTE format('CREATE SCHEMA %I', crm);
  EXECUTE format($q$CREATE TABLE %I.customers AS
    SELECT c AS customer, random() < 0.85 AS social_consent FROM generate_series(1, %s::bigint) c$q$, crm, n);
  -- purchases as the BG/NBD story has them: each customer buys at a rate of
  -- their own (exponential gaps, mean 2-41 days) from a start day of their
  -- own and drops out after a geometric number of purchases (mean 2-41)
  EXECUTE format($q$CREATE TABLE %I.purchases AS
    SELECT c AS customer, start + sum(gap) OVER (PARTITION BY c ORDER BY i) AS purchased_at, amount
    FROM (SELECT cc.c, i, timestamptz '2022-01-01' + (abs(hashint8(cc.c)) %% 365) * interval '1 day' AS start,
                 -ln(1 - random()) * (2 + abs(hashint8(cc.c * 7)) %% 40) * interval '1 day' AS gap,
                 round((5 + 95 * power(random(), 2))::numeric, 2) AS amount
          FROM (SELECT c, 1 + floor(-ln(1 - (abs(hashint8(c * 13)) %% 100000) / 100000.0)
                                    * (1 + abs(hashint8(c * 17)) %% 40))::int AS k
                FROM generate_series(1, %s::bigint) c) cc, generate_series(1, cc.k) i) x$q$, crm, n);
  -- ties between customers at most 200 ids apart
  EXECUTE format($q$CREATE TABLE %I.relationships AS
    SELECT s AS source, greatest(1, least(%2$s, s + (random() * 400 - 200)::bigint)) AS target,
           (ARRAY['household', 'family', 'friend', 'colleague', 'community', 'follows', 'helped', 'referral'])[1 + floor(random() * 8)::int] AS kind,
           random() AS strength, timestamptz '2023-12-31' - random() * interval '700 days' AS last_interaction_at
    FROM (SELECT 1 + floor(random() * %2$s)::bigint AS s FROM generate_series(1, 10 * %2$s::bigint)) g$q$, crm, n);
  EXECUTE format($q$CREATE TABLE %I.interactions AS
    SELECT 1 + floor(random() * %2$s)::bigint AS customer,
           (ARRAY['answer_accepted', 'helped_customer', 'defended_brand', 'referral_sent', 'co_created',
                  'positive_mention', 'negative_mention', 'complaint'])[1 + floor(random() * 8)::int] AS kind,
           timestamptz '2022-01-01' + random() * interval '730 days' AS occurred_at,
           CASE WHEN random() < 0.6 THEN 1 + floor(random() * %2$s)::bigint END AS counterparty,
           floor(random() * 1000)::bigint AS audience, random() < 0.5 AS resolved
    FROM generate_series(1, %2$s::bigint * 5 / 2)$q$, crm, n);
  EXECUTE format($q$CREATE TABLE %I.referrals AS
    SELECT 1 + floor(random() * %2$s)::bigint AS referrer, 1 + floor(random() * %2$s)::bigint AS referred,
           10::numeric AS reward_cost
    FROM generate_series(1, %2$s::bigint / 10)$q$, crm, n);
  EXECUTE format($q$CREATE TABLE %I.surveys AS
    SELECT 1 + floor(random() * %2$s)::bigint AS customer, floor(random() * 11)::int AS score,
           timestamptz '2023-01-01' + random() * interval '364 days' AS answered_at
    FROM generate_series(1, %2$s::bigint / 4)$q$, crm, n);
  RETURN n;
END
$f$;

-- one serial scan of the six inputs of schema crm, every column the pipeline reads
CREATE OR REPLACE FUNCTION bench.crm_scan(crm text) RETURNS numeric
LANGUAGE plpgsql AS $f$
DECLARE
  total numeric;
BEGIN
  EXECUTE format($q$SELECT
      (SELECT count(*) + sum(customer) FROM %1$I.customers WHERE social_consent IS NOT NULL)
    + (SELECT sum(customer) + sum(amount) + sum(date_part('epoch', purchased_at)) FROM %1$I.purchases)
    + (SELECT sum(source) + sum(target) + sum(strength) + sum(length(kind)) FROM %1$I.relationships)
    + (SELECT sum(customer) + sum(length(kind)) + sum(coalesce(counterparty, 0)) + sum(audience) FROM %1$I.interactions)
    + (SELECT sum(referrer) + sum(referred) FROM %1$I.referrals)
    + (SELECT sum(customer) + sum(score) FROM %1$I.surveys)$q$, crm) INTO total;
  RETURN total;
END
$f$;

-- configure the bench CRM of schema crm
CREATE OR REPLACE FUNCTION bench.configure_crm(crm text) RETURNS jsonb LANGUAGE sql AS $f$
SELECT scrm.configure(
  customers => format('SELECT customer, social_consent FROM %I.customers', crm),
  purchases => format('SELECT customer, purchased_at, amount FROM %I.purchases', crm),
  relationships => format('SELECT source, target, kind, strength, last_interaction_at FROM %I.relationships', crm),
  interactions => format('SELECT customer, kind, occurred_at, counterparty, audience, resolved FROM %I.interactions', crm),
  referrals => format('SELECT referrer, referred, reward_cost FROM %I.referrals', crm),
  surveys => format('SELECT customer, score, answered_at FROM %I.surveys', crm),
  settings => '{"as_of": "2024-01-01"}')
$f$;
