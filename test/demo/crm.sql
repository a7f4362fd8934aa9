-- test/demo/crm.sql -- the sample CRM of social_crm (`make demo`, tests).
--
-- Run from the repository root:   psql -v ON_ERROR_STOP=1 -f test/demo/crm.sql
--
-- (Re)creates schema `crm`:
--   * crm.customers, crm.purchases: the real CDNOW sample purchase log (Fader & Hardie;
--     sql/data/CDNOW_sample.txt, 2,357 customers, 6,919 purchases, 1997-01-01..1998-06-30);
--   * crm.relationships, crm.interactions, crm.referrals, crm.surveys and
--     crm.planted_communities: a SYNTHETIC social layer, generated with a fixed seed.
--
-- Determinism: no random()/setseed().  Every random number is a hash of
-- (fixed seed, row key, purpose) -- see crm._u -- and every row is produced by
-- generate_series / joins whose row numbering uses a complete ORDER BY, so the data are
-- byte-identical on every run, platform, plan and session time zone.  Floating-point
-- values are derived from uniforms with exact IEEE operations (+, -, *, /) and rounded;
-- no libm call (exp, ln, pow) decides anything.  All timestamps lie in
-- [1997-01-01 11:00 UTC, 1998-06-30 12:00 UTC] (purchases at noon UTC), so calendar
-- dates stay inside the CDNOW window in any session time zone from UTC-11 to UTC+11.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

BEGIN;
SET LOCAL search_path = pg_catalog, pg_temp;

DROP SCHEMA IF EXISTS crm CASCADE;
CREATE SCHEMA crm;
COMMENT ON SCHEMA crm IS
  'Sample CRM of social_crm: the CDNOW sample purchase log (real data, Fader & Hardie; '
  '2,357 customers, 6,919 purchases, 1997-01-01..1998-06-30) plus a generated social layer '
  '(relationships, interactions, referrals, surveys, planted communities: synthetic, fixed seed). '
  'Created by test/demo/crm.sql.';

------------------------------------------------------------------------------------------
-- Deterministic randomness
------------------------------------------------------------------------------------------

-- Uniform in [0, 1) from (key, salt) under the fixed seed 42: the low 53 bits of a 64-bit
-- hash.  hashint8extended works on integer values (not bytes), so it is platform
-- independent.  The key is hashed twice: the upper half of a single hashint8extended value
-- is weakly mixed for sequential keys (means over 2,357 consecutive keys vary ~1.7 times
-- more than they should); the second round removes that.
CREATE FUNCTION crm._u(key bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT (hashint8extended(hashint8extended(key, hashint8extended(salt, 42)), 42)
              & 9007199254740991)::float8 / 9007199254740992 $$;
COMMENT ON FUNCTION crm._u(bigint, bigint) IS
  'Generator helper: deterministic uniform in [0,1) from a row key and a purpose (salt), '
  'fixed seed 42; a hash, so independent of plan order and parallelism';

-- Index 1..n drawn from integer weights w[1..n] with the uniform u (exact integer arithmetic).
CREATE FUNCTION crm._pick(u float8, w integer[]) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
  total integer := 0;
  acc   integer := 0;
  r     integer;
  i     integer;
BEGIN
  FOR i IN 1 .. array_length(w, 1) LOOP total := total + w[i]; END LOOP;
  r := floor(u * total)::integer;
  FOR i IN 1 .. array_length(w, 1) LOOP
    acc := acc + w[i];
    IF r < acc THEN RETURN i; END IF;
  END LOOP;
  RETURN array_length(w, 1);
END
$$;
COMMENT ON FUNCTION crm._pick(float8, integer[]) IS
  'Generator helper: index 1..n drawn with integer weights w using the uniform u';

-- A timestamp in [lo, hi) from the uniform u, whole seconds (adds seconds only, so the
-- result does not depend on the session time zone).
CREATE FUNCTION crm._ts(u float8, lo timestamptz, hi timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT lo + floor(u * extract(epoch FROM hi - lo)::float8) * interval '1 second' $$;
COMMENT ON FUNCTION crm._ts(float8, timestamptz, timestamptz) IS
  'Generator helper: timestamp in [lo, hi) at whole seconds from the uniform u';

------------------------------------------------------------------------------------------
-- CDNOW sample purchase log (real data)
------------------------------------------------------------------------------------------

CREATE TEMP TABLE _raw (ln bigserial, line text) ON COMMIT DROP;
-- One line per row (the file has no '|'); COPY text format accepts the CRLF line endings,
-- and the btrim below removes any stray \r as well.
\copy _raw (line) FROM 'sql/data/CDNOW_sample.txt' WITH (FORMAT text, DELIMITER '|')

CREATE TEMP TABLE _p ON COMMIT DROP AS
SELECT ln AS purchase_id,
       f[1] AS master_id,
       f[2]::bigint AS customer,
       (to_date(f[3], 'YYYYMMDD') + time '12:00') AT TIME ZONE 'UTC' AS purchased_at,
       f[4]::integer AS cds,
       f[5]::numeric(10,2) AS amount
FROM (SELECT ln, regexp_split_to_array(btrim(line, E' \t\r\n'), '[[:space:]]+') AS f
      FROM _raw WHERE btrim(line, E' \t\r\n') <> '') s;

DO $$
DECLARE n bigint; nc bigint; total numeric; lo timestamptz; hi timestamptz;
BEGIN
  SELECT count(*), count(DISTINCT customer), sum(amount), min(purchased_at), max(purchased_at)
    INTO n, nc, total, lo, hi FROM _p;
  IF n <> 6919 OR nc <> 2357 OR total <> 244091.94
     OR lo <> '1997-01-01 12:00:00+00' OR hi <> '1998-06-30 12:00:00+00' THEN
    RAISE EXCEPTION 'sql/data/CDNOW_sample.txt is not the CDNOW sample: % rows, % customers, total %, % .. %',
      n, nc, total, lo, hi;
  END IF;
END
$$;

------------------------------------------------------------------------------------------
-- Planted communities and per-customer generator state
------------------------------------------------------------------------------------------

-- 40 communities of decreasing size (sum 2,357): a few big ones, many small ones.
CREATE TEMP TABLE _comm ON COMMIT DROP AS
SELECT community::integer AS community, size,
       (sum(size) OVER (ORDER BY community) - size)::integer AS first_rank
FROM unnest('{380,270,200,160,130,108,92,80,74,67,60,55,50,46,43,39,35,33,31,29,
              27,26,25,24,23,22,21,20,19,18,18,17,16,16,15,15,14,14,13,12}'::integer[])
     WITH ORDINALITY AS t(size, community);

-- Customers are shuffled by a hash (rank rk 0..2356) and cut into the communities in
-- order, so community c holds the ranks [first_rank, first_rank + size); pos is the
-- position inside the community (pos 0 .. are its most followed members).
-- Roles drive the interactions and surveys: advocates are more frequent among repeat
-- buyers, detractors among one-time buyers.
CREATE TEMP TABLE _c ON COMMIT DROP AS
WITH f AS (
  SELECT customer, min(purchased_at) AS first_at, count(*) AS n
  FROM _p GROUP BY customer
), r AS (
  SELECT f.*, (row_number() OVER (ORDER BY crm._u(customer, 1), customer) - 1)::integer AS rk
  FROM f
)
SELECT r.customer, r.first_at, r.n, r.rk, c.community, c.size, c.first_rank,
       r.rk - c.first_rank AS pos,
       CASE WHEN crm._u(r.customer, 20) < 0.04 + 0.015 * least(r.n - 1, 8) THEN 'advocate'
            WHEN crm._u(r.customer, 20) >= 1 - CASE WHEN r.n = 1 THEN 0.05 ELSE 0.02 END
              THEN 'detractor'
            ELSE 'neutral' END AS role,
       -- signed up 1 to 59 minutes before the first order (11:00-11:59 UTC)
       r.first_at - (60 + floor(crm._u(r.customer, 8) * 3480)) * interval '1 second'
         AS signed_up_at
FROM r JOIN _comm c ON r.rk >= c.first_rank AND r.rk < c.first_rank + c.size;
CREATE INDEX ON _c (rk);
CREATE INDEX ON _c (customer);
ANALYZE _c;

------------------------------------------------------------------------------------------
-- crm.customers
------------------------------------------------------------------------------------------

CREATE TABLE crm.customers (
  customer       bigint PRIMARY KEY,
  name           text,
  email          text,
  city           text,
  signed_up_at   timestamptz,
  social_consent boolean
);

INSERT INTO crm.customers
SELECT c.customer,
       fn || ' ' || ln,
       lower(fn) || '.' || lower(replace(ln, '''', '')) || c.customer
         || '@example.' || (ARRAY['com', 'net', 'org'])[1 + floor(crm._u(c.customer, 4) * 3)::integer],
       CASE WHEN crm._u(c.customer, 5) < 0.75   -- most members live in their community's city
            THEN cities[1 + floor(crm._u(c.community, 6) * 24)::integer]
            ELSE cities[1 + floor(crm._u(c.customer, 7) * 24)::integer] END,
       c.signed_up_at,
       CASE WHEN crm._u(c.customer, 9) < 0.85 THEN true
            WHEN crm._u(c.customer, 9) < 0.95 THEN false END   -- else NULL: never answered
FROM _c c,
     LATERAL (SELECT
       (ARRAY['James','Mary','John','Patricia','Robert','Jennifer','Michael','Linda','William',
              'Elizabeth','David','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah',
              'Charles','Karen','Christopher','Nancy','Daniel','Lisa','Matthew','Betty','Anthony',
              'Margaret','Mark','Sandra','Donald','Ashley','Steven','Kimberly','Paul','Emily',
              'Andrew','Donna','Joshua','Michelle','Kenneth','Dorothy','Kevin','Carol','Brian',
              'Amanda','George','Melissa','Edward','Deborah','Ronald','Stephanie','Timothy',
              'Rebecca','Jason','Sharon','Jeffrey','Laura','Ryan','Cynthia','Jacob','Kathleen',
              'Gary','Amy'])[1 + floor(crm._u(c.customer, 2) * 64)::integer] AS fn,
       (ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez',
              'Martinez','Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor',
              'Moore','Jackson','Martin','Lee','Perez','Thompson','White','Harris','Sanchez',
              'Clark','Ramirez','Lewis','Robinson','Walker','Young','Allen','King','Wright',
              'Scott','Torres','Nguyen','Hill','Flores','Green','Adams','Nelson','Baker','Hall',
              'Rivera','Campbell','Mitchell','Carter','Roberts','Gomez','Phillips','Evans',
              'Turner','Diaz','Parker','Cruz','Edwards','Collins','Reyes','Stewart','Morris',
              'Morales','O''Brien'])[1 + floor(crm._u(c.customer, 3) * 64)::integer] AS ln,
       ARRAY['New York','Los Angeles','Chicago','Houston','Phoenix','Philadelphia',
             'San Antonio','San Diego','Dallas','San Jose','Austin','Jacksonville','Columbus',
             'Indianapolis','San Francisco','Seattle','Denver','Boston','Nashville','Portland',
             'Atlanta','Minneapolis','Pittsburgh','Salt Lake City'] AS cities) names;

COMMENT ON TABLE crm.customers IS
  'Sample CRM customers: the 2,357 customers of the CDNOW sample (real purchase data, Fader & Hardie). '
  'Name, email, city and consent are synthetic (generated, fixed seed); signed_up_at is shortly '
  'before the real first purchase.';
COMMENT ON COLUMN crm.customers.customer IS 'Customer id: the CDNOW sample id 1..2357';
COMMENT ON COLUMN crm.customers.name IS 'Synthetic name';
COMMENT ON COLUMN crm.customers.email IS 'Synthetic email address (example.com/.net/.org domains)';
COMMENT ON COLUMN crm.customers.city IS 'Synthetic city; members of a planted community mostly share one';
COMMENT ON COLUMN crm.customers.signed_up_at IS 'Sign-up time: 1 to 59 minutes before the first CDNOW purchase';
COMMENT ON COLUMN crm.customers.social_consent IS
  'Consent to social processing: true (~85%), false (~10%), NULL = never answered (~5%); synthetic';

------------------------------------------------------------------------------------------
-- crm.purchases (real)
------------------------------------------------------------------------------------------

CREATE TABLE crm.purchases (
  purchase_id  bigserial PRIMARY KEY,
  customer     bigint REFERENCES crm.customers,
  purchased_at timestamptz,
  amount       numeric(10,2),
  cds          integer
);

INSERT INTO crm.purchases (purchase_id, customer, purchased_at, amount, cds)
SELECT purchase_id, customer, purchased_at, amount, cds FROM _p ORDER BY purchase_id;
SELECT setval(pg_get_serial_sequence('crm.purchases', 'purchase_id'), max(purchase_id))
FROM crm.purchases \gset

COMMENT ON TABLE crm.purchases IS
  'CDNOW sample purchase log (real data: Fader & Hardie; Fader, Hardie & Lee 2005, Marketing Science 24(2)), '
  'loaded from sql/data/CDNOW_sample.txt in file order: 6,919 purchases of 2,357 customers, '
  '1997-01-01..1998-06-30.';
COMMENT ON COLUMN crm.purchases.purchase_id IS 'Line number in sql/data/CDNOW_sample.txt';
COMMENT ON COLUMN crm.purchases.customer IS 'CDNOW sample customer id (1..2357)';
COMMENT ON COLUMN crm.purchases.purchased_at IS 'Purchase date at 12:00 UTC (CDNOW records dates only)';
COMMENT ON COLUMN crm.purchases.amount IS 'Dollar value of the purchase (8 rows are 0.00)';
COMMENT ON COLUMN crm.purchases.cds IS 'Number of CDs bought';

------------------------------------------------------------------------------------------
-- crm.referrals (synthetic)
------------------------------------------------------------------------------------------
-- ~12% of the customers whose first purchase is after 1997-01-07 were referred.  The
-- referrer is an earlier customer (strictly earlier first purchase), in the same
-- community 85% of the time, ten times likelier an advocate.  ~5% of the referred have
-- a second referrer.

CREATE TEMP TABLE _ref ON COMMIT DROP AS
WITH j AS (
  SELECT c.customer, c.community, c.first_at, crm._u(c.customer, 32) < 0.85 AS want_same
  FROM _c c
  WHERE c.first_at >= '1997-01-08 12:00:00+00' AND crm._u(c.customer, 30) < 0.12
), cand AS (
  SELECT j.customer AS referred, r.customer AS referrer, j.first_at,
         row_number() OVER (PARTITION BY j.customer
                            ORDER BY ((r.community = j.community) = j.want_same) DESC,
                                     crm._u(r.customer, hashint8extended(j.customer, 31))
                                       / CASE WHEN r.role = 'advocate' THEN 10 ELSE 1 END,
                                     r.customer) AS choice
  FROM j JOIN _c r ON r.first_at < j.first_at
)
SELECT referrer, referred, first_at AS referred_at, referred * 10000 + referrer AS k
FROM cand
WHERE choice = 1 OR (choice = 2 AND crm._u(referred, 33) < 0.05);

CREATE TABLE crm.referrals (
  referrer       bigint,
  referred       bigint,
  referred_at    timestamptz,
  reward_cost    numeric(8,2),
  incrementality float8
);

INSERT INTO crm.referrals
SELECT referrer, referred, referred_at,
       (ARRAY[10.00, 10.00, 10.00, 10.00, 15.00, 15.00, 5.00, 20.00, 0.00, 25.00])
         [1 + floor(crm._u(k, 34) * 10)::integer],
       CASE WHEN crm._u(k, 35) < 0.25 THEN round(crm._u(k, 36)::numeric, 2)::float8 END
FROM _ref ORDER BY referred, referrer;

COMMENT ON TABLE crm.referrals IS
  'Synthetic (generated, fixed seed): converted referrals among the CDNOW sample customers. '
  'The referred customer''s first purchase is after the referrer''s; a few referred customers have two '
  'referrers; no self-referrals.';
COMMENT ON COLUMN crm.referrals.referrer IS 'Customer who referred';
COMMENT ON COLUMN crm.referrals.referred IS 'Customer who was referred and converted';
COMMENT ON COLUMN crm.referrals.referred_at IS 'Conversion time: the referred customer''s first purchase';
COMMENT ON COLUMN crm.referrals.reward_cost IS 'Reward paid for the referral, dollars';
COMMENT ON COLUMN crm.referrals.incrementality IS
  'Probability that the referred customer would not have joined without the referral, when known (mostly NULL)';

------------------------------------------------------------------------------------------
-- crm.interactions (synthetic)
------------------------------------------------------------------------------------------
-- Number of events per customer by role: advocates 25..89, detractors 5..20, neutral
-- customers 0..11 (~30% have none).  Kinds by role (weights, in the order of `kinds`).
-- Counterparties (answer_accepted, helped_customer) are other customers: 30% one of the
-- customer's 5 regulars, else 85% in the same community.  Plus one referral_converted
-- per crm.referrals row.

CREATE TEMP TABLE _ev ON COMMIT DROP AS
WITH e AS (
  SELECT c.customer, c.role, c.rk, c.size, c.first_rank, c.signed_up_at,
         c.customer * 1000 + g.i AS k
  FROM _c c
  CROSS JOIN LATERAL generate_series(1,
      CASE c.role
        WHEN 'advocate'  THEN 25 + floor(65 * crm._u(c.customer, 40))::integer
        WHEN 'detractor' THEN 5 + floor(16 * crm._u(c.customer, 40))::integer
        ELSE floor(12 * crm._u(c.customer, 40) * crm._u(c.customer, 40))::integer
      END) AS g(i)
), e2 AS MATERIALIZED (   -- materialized: evaluate the draws once per row
  SELECT e.*,
         crm._pick(crm._u(k, 41), CASE role
           --           ans help def rsent co  pos neg compl
           WHEN 'advocate'  THEN '{18, 27, 10, 6,   4,  30,  2,  3}'::integer[]
           WHEN 'detractor' THEN '{ 1,  3,  0, 0,   0,  10, 50, 36}'::integer[]
           ELSE                  '{ 6, 10,  2, 6,   1,  40, 12, 16}'::integer[] END) AS kk,
         crm._u(k, 47) < 0.3 AS regular
  FROM e
), e2b AS (
  -- 30% of the counterparties are one of the customer's 5 "regulars" (same community),
  -- the rest are drawn afresh: 85% in the same community.
  SELECT e2.*,
         regular OR crm._u(k, 42) < 0.85 AS within,
         CASE WHEN regular THEN crm._u(customer * 10 + floor(crm._u(k, 48) * 5)::integer, 49)
              ELSE crm._u(k, 43) END AS ut
  FROM e2
), e3 AS MATERIALIZED (
  SELECT e2b.*,
         CASE WHEN within THEN first_rank + floor(ut * size)::integer
              ELSE floor(ut * 2357)::integer END AS t0
  FROM e2b
)
SELECT e3.customer, e3.k,
       (ARRAY['answer_accepted', 'helped_customer', 'defended_brand', 'referral_sent',
              'co_created', 'positive_mention', 'negative_mention', 'complaint'])[e3.kk] AS kind,
       crm._ts(crm._u(e3.k, 44), e3.signed_up_at, '1998-06-30 12:00:00+00') AS occurred_at,
       cp.customer AS counterparty,
       CASE WHEN e3.kk IN (6, 7) THEN   -- reach: 1 .. 10,000, median ~6, ~10% above 1,000
         floor(power(10::numeric,
                     round((0.3 + 3.7 * crm._u(e3.k, 45) * crm._u(e3.k, 45) * crm._u(e3.k, 45))::numeric, 6)))::integer
       END AS audience,
       CASE WHEN e3.kk = 8 THEN crm._u(e3.k, 46) < CASE e3.role WHEN 'advocate' THEN 0.9
                                                        WHEN 'detractor' THEN 0.3 ELSE 0.75 END
       END AS resolved
FROM e3
LEFT JOIN _c cp
  ON e3.kk IN (1, 2)
 AND cp.rk = CASE WHEN e3.t0 <> e3.rk THEN e3.t0             -- never the customer themself
                  WHEN e3.within THEN e3.first_rank + (e3.t0 - e3.first_rank + 1) % e3.size
                  ELSE (e3.t0 + 1) % 2357 END;

INSERT INTO _ev (customer, k, kind, occurred_at, counterparty, audience, resolved)
SELECT referrer, -k, 'referral_converted', referred_at, referred, NULL, NULL FROM _ref;

CREATE TABLE crm.interactions (
  interaction_id bigserial PRIMARY KEY,
  customer       bigint,
  kind           text,
  occurred_at    timestamptz,
  counterparty   bigint,
  audience       integer,
  resolved       boolean
);

INSERT INTO crm.interactions
SELECT row_number() OVER (ORDER BY occurred_at, customer, k),
       customer, kind, occurred_at, counterparty, audience, resolved
FROM _ev;
SELECT setval(pg_get_serial_sequence('crm.interactions', 'interaction_id'), max(interaction_id))
FROM crm.interactions \gset

COMMENT ON TABLE crm.interactions IS
  'Synthetic (generated, fixed seed): advocacy-relevant events of the CDNOW sample customers, '
  '1997-01-01..1998-06-30 (kinds of SOCIAL.md section 3 except survey). A minority of advocates '
  '(many events, several distinct counterparties), many neutral customers with few events, a small set '
  'of detractors (negative mentions, unresolved complaints). One referral_converted per crm.referrals row.';
COMMENT ON COLUMN crm.interactions.interaction_id IS 'Event id, in time order';
COMMENT ON COLUMN crm.interactions.customer IS 'Customer the event is about';
COMMENT ON COLUMN crm.interactions.kind IS
  'answer_accepted, helped_customer, defended_brand, referral_converted, referral_sent, co_created, '
  'positive_mention, negative_mention or complaint';
COMMENT ON COLUMN crm.interactions.occurred_at IS 'When the event happened (after sign-up)';
COMMENT ON COLUMN crm.interactions.counterparty IS
  'The other customer (answer_accepted, helped_customer: who was helped; referral_converted: who was referred); else NULL';
COMMENT ON COLUMN crm.interactions.audience IS 'Reach of a positive_mention or negative_mention; else NULL';
COMMENT ON COLUMN crm.interactions.resolved IS 'Whether a complaint was resolved; NULL for other kinds';

------------------------------------------------------------------------------------------
-- crm.surveys (synthetic)
------------------------------------------------------------------------------------------
-- Response rate by role (advocates 60%, detractors 50%, others 32%); 15% of respondents
-- answer twice.  Class (9-10 / 7-8 / 0-6) by role: advocates 85/12/3, detractors
-- 5/15/80, others 41/34/25 -- about 45/30/25 overall.

CREATE TEMP TABLE _sv ON COMMIT DROP AS
WITH resp AS (
  SELECT c.*, CASE WHEN crm._u(c.customer, 61) < 0.15 THEN 2 ELSE 1 END AS answers
  FROM _c c
  WHERE crm._u(c.customer, 60) < CASE c.role WHEN 'advocate' THEN 0.6
                                             WHEN 'detractor' THEN 0.5 ELSE 0.32 END
), a AS (
  SELECT r.customer, r.role, g.i, r.customer * 10 + g.i AS k, r.answers,
         crm._ts(crm._u(r.customer * 10 + 1, 62), r.signed_up_at, '1998-06-30 12:00:00+00') AS t1,
         crm._ts(crm._u(r.customer * 10 + 2, 62), r.signed_up_at, '1998-06-30 12:00:00+00') AS t2
  FROM resp r CROSS JOIN LATERAL generate_series(1, r.answers) AS g(i)
), b AS (
  SELECT a.*,
         crm._pick(crm._u(k, 63), CASE role WHEN 'advocate'  THEN '{85, 12,  3}'::integer[]
                                            WHEN 'detractor' THEN '{ 5, 15, 80}'::integer[]
                                            ELSE                  '{41, 34, 25}'::integer[] END) AS cls
  FROM a
)
SELECT customer,
       CASE cls
         WHEN 1 THEN 8 + crm._pick(crm._u(k, 64), '{55, 45}')                      -- 9, 10
         WHEN 2 THEN 6 + crm._pick(crm._u(k, 64), '{45, 55}')                      -- 7, 8
         ELSE crm._pick(crm._u(k, 64), '{4, 2, 4, 6, 10, 24, 50}') - 1 END AS score, -- 0..6
       CASE WHEN answers = 1 THEN t1
            WHEN i = 1 THEN least(t1, t2) ELSE greatest(t1, t2) END AS answered_at
FROM b;

CREATE TABLE crm.surveys (
  customer    bigint,
  score       integer,
  answered_at timestamptz
);
INSERT INTO crm.surveys SELECT * FROM _sv ORDER BY customer, answered_at, score;

COMMENT ON TABLE crm.surveys IS
  'Synthetic (generated, fixed seed): Net Promoter survey answers (0..10) of CDNOW sample customers; '
  'about 45% promoters (9-10), 30% passives (7-8), 25% detractors (0-6), correlated with the advocacy '
  'and detraction in crm.interactions; some customers answered twice.';
COMMENT ON COLUMN crm.surveys.customer IS 'Respondent';
COMMENT ON COLUMN crm.surveys.score IS 'Likelihood to recommend, 0..10';
COMMENT ON COLUMN crm.surveys.answered_at IS 'When the survey was answered';

------------------------------------------------------------------------------------------
-- crm.relationships (synthetic, planted community structure)
------------------------------------------------------------------------------------------
-- Each customer owns 1..12 relationship slots (3% are hubs with 15 more).  Slot kind:
-- household 3, family 6, friend 24, colleague 20, community 20, follows 27 (weights).
-- The target is in the same community 85% of the time (household always), uniform
-- there, except follows: 80% of them go to the community's few popular members
-- (positions 0 .. size/40) or, across communities, to 8 celebrities.  Symmetric kinds
-- are stored once (one direction); slots that hit an already tied pair collapse into
-- the first.  Added: one `helped` edge per (helper, helped) pair with 2+ helped_customer
-- interactions and one `referral` edge per crm.referrals row; where such a pair already
-- has a tie, the pair carries two kinds (a few dozen pairs).

CREATE TEMP TABLE _rel ON COMMIT DROP AS
WITH celebs AS (
  SELECT array_agg(first_rank ORDER BY community) AS a FROM _comm WHERE community <= 8
), s AS (
  SELECT c.customer, c.rk, c.size, c.first_rank, c.customer * 1000 + g.i AS k
  FROM _c c
  CROSS JOIN LATERAL generate_series(1,
      1 + floor(12 * crm._u(c.customer, 50) * crm._u(c.customer, 50))::integer
        + CASE WHEN crm._u(c.customer, 51) < 0.03 THEN 15 ELSE 0 END) AS g(i)
), s2 AS MATERIALIZED (   -- materialized: evaluate the draws once per row
  SELECT s.*, crm._pick(crm._u(k, 52), '{3, 6, 24, 20, 20, 27}') AS kk,
         crm._u(k, 54) AS ut, crm._u(k, 55) < 0.8 AS popular
  FROM s
), s3 AS (
  SELECT s2.*, kk = 1 OR crm._u(k, 53) < 0.85 AS within FROM s2
), s4 AS MATERIALIZED (
  SELECT s3.*,
         CASE WHEN within AND kk = 6 AND popular
                THEN first_rank + floor(ut * greatest(1, size / 40))::integer
              WHEN within
                THEN first_rank + floor(ut * size)::integer
              WHEN kk = 6 AND popular
                THEN (SELECT a FROM celebs)[1 + floor(ut * 8)::integer]
              ELSE floor(ut * 2357)::integer END AS t0
  FROM s3
), edges AS (
  SELECT s4.customer AS source, t.customer AS target,
         (ARRAY['household', 'family', 'friend', 'colleague', 'community', 'follows'])[s4.kk] AS kind,
         s4.k, s4.kk
  FROM s4
  JOIN _c t ON t.rk = CASE WHEN s4.t0 <> s4.rk THEN s4.t0         -- no self-loops
                           WHEN s4.within THEN s4.first_rank + (s4.t0 - s4.first_rank + 1) % s4.size
                           ELSE (s4.t0 + 1) % 2357 END
), dedup AS (
  -- one generated tie per pair of customers (the first slot wins)
  SELECT DISTINCT ON (least(source, target), greatest(source, target)) source, target, kind, k
  FROM edges
  ORDER BY least(source, target), greatest(source, target), k
)
SELECT source, target, kind,
       round((lo + (hi - lo) * crm._u(k, 56))::numeric, 3)::float8 AS strength,
       -- skewed towards recent: 1 - u^2
       crm._ts(1 - crm._u(k, 57) * crm._u(k, 57),
               '1997-01-01 12:00:00+00', '1998-06-30 12:00:00+00') AS last_interaction_at
FROM dedup
JOIN (VALUES ('household', 0.8, 1.0), ('family', 0.5, 1.0), ('friend', 0.3, 0.9),
             ('colleague', 0.2, 0.8), ('community', 0.05, 0.5), ('follows', 0.05, 0.4))
     AS range(kind, lo, hi) USING (kind)
UNION ALL
-- helped: a pair with repeated help (2+ helped_customer events); strength grows with the
-- number of times, last interaction = last help
SELECT customer, counterparty, 'helped',
       least(0.9, 0.1 + 0.1 * count(*))::float8, max(occurred_at)
FROM _ev WHERE kind = 'helped_customer'
GROUP BY customer, counterparty HAVING count(*) >= 2
UNION ALL
SELECT referrer, referred, 'referral',
       round((0.5 + 0.5 * crm._u(k, 58))::numeric, 3)::float8, referred_at
FROM _ref;

CREATE TABLE crm.relationships (
  source              bigint,
  target              bigint,
  kind                text,
  strength            float8,
  last_interaction_at timestamptz
);
INSERT INTO crm.relationships
SELECT * FROM _rel ORDER BY source, target, kind;

COMMENT ON TABLE crm.relationships IS
  'Synthetic (generated, fixed seed): relationships among the CDNOW sample customers with planted '
  'community structure (40 communities, see crm.planted_communities; ~85% of edges inside a community). '
  'Kinds: household, family, friend, colleague, community (symmetric, stored once), follows (mostly '
  'towards a few popular members), helped (from helped_customer interactions), referral (from crm.referrals). '
  'No self-loops; a pair can carry several kinds.';
COMMENT ON COLUMN crm.relationships.source IS 'Customer the tie starts from (u in: u influences v)';
COMMENT ON COLUMN crm.relationships.target IS 'Customer the tie points to';
COMMENT ON COLUMN crm.relationships.kind IS
  'household, family, friend, colleague, community, follows, helped or referral';
COMMENT ON COLUMN crm.relationships.strength IS 'Tie strength in (0, 1]';
COMMENT ON COLUMN crm.relationships.last_interaction_at IS 'Last interaction between the two, 1997-01-01..1998-06-30';

------------------------------------------------------------------------------------------
-- crm.planted_communities (synthetic ground truth)
------------------------------------------------------------------------------------------

CREATE TABLE crm.planted_communities (
  customer  bigint PRIMARY KEY REFERENCES crm.customers,
  community integer NOT NULL
);
INSERT INTO crm.planted_communities SELECT customer, community FROM _c ORDER BY customer;
COMMENT ON TABLE crm.planted_communities IS
  'Synthetic (generated, fixed seed): the community each customer was planted in when '
  'crm.relationships was generated (40 communities, 12..380 members) -- ground truth for tests of '
  'community detection, or a "given" community assignment.';
COMMENT ON COLUMN crm.planted_communities.customer IS 'Customer';
COMMENT ON COLUMN crm.planted_communities.community IS 'Planted community 1..40 (1 is the largest)';

------------------------------------------------------------------------------------------
-- Indexes
------------------------------------------------------------------------------------------

CREATE INDEX purchases_customer_idx ON crm.purchases (customer);
CREATE INDEX relationships_source_idx ON crm.relationships (source);
CREATE INDEX relationships_target_idx ON crm.relationships (target);
CREATE INDEX interactions_customer_idx ON crm.interactions (customer);
CREATE INDEX interactions_counterparty_idx ON crm.interactions (counterparty);
CREATE INDEX referrals_referrer_idx ON crm.referrals (referrer);
CREATE INDEX referrals_referred_idx ON crm.referrals (referred);
CREATE INDEX surveys_customer_idx ON crm.surveys (customer);
CREATE INDEX planted_communities_community_idx ON crm.planted_communities (community);

COMMIT;

ANALYZE crm.customers, crm.purchases, crm.relationships, crm.interactions, crm.referrals,
        crm.surveys, crm.planted_communities;
