-- Explain every decision (issue 16): what refresh keeps of each customer's
-- derivation, and scrm.explain / scrm.explain_parts, which read it back.
-- Refresh computes everything; explain only reads the result tables (as
-- the caller, with the caller's privileges), so an explanation never runs
-- a stored query and shows nothing the refresh did not store.

-- the derivation of each customer, kept by refresh beside the results
ALTER TABLE scrm.customer_score
  ADD COLUMN frequency integer,
  ADD COLUMN recency float8,
  ADD COLUMN age float8,
  ADD COLUMN average_spend float8,
  ADD COLUMN valence float8,
  ADD COLUMN network_value float8,
  ADD COLUMN retained_share float8,
  ADD COLUMN influence_returned float8,
  ADD COLUMN influence_to text[],
  ADD COLUMN influence_share float8[],
  ADD COLUMN influence_rest float8,
  ADD COLUMN influence_rest_customers integer,
  ADD COLUMN advocacy_positive float8,
  ADD COLUMN advocacy_negative float8,
  ADD COLUMN advocacy_reach float8,
  ADD COLUMN advocacy_event_kind text[],
  ADD COLUMN advocacy_event_at timestamptz[],
  ADD COLUMN advocacy_event_counterparty text[],
  ADD COLUMN advocacy_event_damping integer[],
  ADD COLUMN advocacy_event_points float8[],
  ADD COLUMN contagion_loss float8;

COMMENT ON COLUMN scrm.customer_score.frequency IS 'repeat purchase occasions before as_of (the models'' x); NULL without purchases';
COMMENT ON COLUMN scrm.customer_score.recency IS 'periods from the first to the last purchase occasion (t_x)';
COMMENT ON COLUMN scrm.customer_score.age IS 'periods from the first purchase to as_of (T)';
COMMENT ON COLUMN scrm.customer_score.average_spend IS 'average amount of the repeat occasions (Gamma-Gamma''s m)';
COMMENT ON COLUMN scrm.customer_score.valence IS 'advocacy valence (SOCIAL.md section 3): the weight of influence in the adjustment';
COMMENT ON COLUMN scrm.customer_score.network_value IS 'z of the credit walk (SOCIAL.md section 2): own value plus what passes on';
COMMENT ON COLUMN scrm.customer_score.retained_share IS 'rho of the credit walk: the share of credited value that stays';
COMMENT ON COLUMN scrm.customer_score.influence_returned IS 'R: own value returning over 2-cycles, removed from influence value';
COMMENT ON COLUMN scrm.customer_score.influence_to IS 'the (at most 5) directly influenced customers crediting most, by key (NULL: none)';
COMMENT ON COLUMN scrm.customer_score.influence_share IS 'their walk shares M (beta * strength / (autonomy + incoming strength)); each credits retained_share * M * their network_value';
COMMENT ON COLUMN scrm.customer_score.influence_rest IS 'the credits of the other directly influenced customers, summed';
COMMENT ON COLUMN scrm.customer_score.influence_rest_customers IS 'how many those are';
COMMENT ON COLUMN scrm.customer_score.advocacy_positive IS 'sum of the positive event points';
COMMENT ON COLUMN scrm.customer_score.advocacy_negative IS 'sum of the negative event points, as a positive number';
COMMENT ON COLUMN scrm.customer_score.advocacy_reach IS 'network reach multiplier of a positive net (1 otherwise)';
COMMENT ON COLUMN scrm.customer_score.advocacy_event_kind IS 'the events that counted: kind (NULL: none, or refresh used the spilling aggregate)';
COMMENT ON COLUMN scrm.customer_score.advocacy_event_at IS 'the events that counted: when';
COMMENT ON COLUMN scrm.customer_score.advocacy_event_counterparty IS 'the events that counted: counterparty key';
COMMENT ON COLUMN scrm.customer_score.advocacy_event_damping IS 'the events that counted: k, the k-th of its kind and counterparty within 30 days';
COMMENT ON COLUMN scrm.customer_score.advocacy_event_points IS 'the events that counted: weight * reach (a survey: its class) / k * 2^(-age / half_life)';
COMMENT ON COLUMN scrm.customer_score.contagion_loss IS 'value expected to follow through churn contagion (SOCIAL.md section 6)';

-- each referral's credit in the last refresh
CREATE TABLE scrm.referral_credit (
    referrer_key text NOT NULL,
    referred_key text NOT NULL,
    referred_value float8 NOT NULL,
    incrementality float8 NOT NULL,
    acquisition_saving float8 NOT NULL,
    referrers integer NOT NULL,
    reward_cost float8 NOT NULL,
    credit float8 NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (referrer_key, referred_key)
);

COMMENT ON TABLE scrm.referral_credit IS
  'One row per referral of the last scrm.refresh between consenting customers (SOCIAL.md section 1): '
  'credit = (incrementality * referred_value + (1 - incrementality) * acquisition_saving) / referrers - '
  'reward_cost; a referrer''s credits add up to their referral_value.';
COMMENT ON COLUMN scrm.referral_credit.referrer_key IS 'the referrer''s key, as scrm.customer_value.customer_key';
COMMENT ON COLUMN scrm.referral_credit.referred_key IS 'the referred customer''s key';
COMMENT ON COLUMN scrm.referral_credit.referred_value IS 'the referred customer''s monetary value';
COMMENT ON COLUMN scrm.referral_credit.incrementality IS 'P(the referred would not have joined without the referral)';
COMMENT ON COLUMN scrm.referral_credit.acquisition_saving IS 'the saving on acquiring a customer who would have joined anyway';
COMMENT ON COLUMN scrm.referral_credit.referrers IS 'how many referrers share the credit';
COMMENT ON COLUMN scrm.referral_credit.reward_cost IS 'rewards paid to this referrer for this referral';
COMMENT ON COLUMN scrm.referral_credit.credit IS 'the referrer''s credit for this referral';
COMMENT ON COLUMN scrm.referral_credit.computed_at IS 'start of the refresh that computed the row';

SELECT pg_catalog.pg_extension_config_dump('scrm.referral_credit', '');

ALTER TABLE scrm.refresh_log ADD COLUMN tier_thresholds jsonb;
COMMENT ON COLUMN scrm.refresh_log.tier_thresholds IS
  'the total values from which a customer is excellent and exceptional in this refresh, and over whom they were taken';

-- referral credits, one row per referral
CREATE OR REPLACE FUNCTION scrm.referral_credits(
    referrals text,
    customer_value text,
    incrementality float8 DEFAULT 0.5,
    acquisition_saving float8 DEFAULT 0)
RETURNS TABLE (referrer bigint, referred bigint, referred_value float8, incrementality float8,
               acquisition_saving float8, referrers integer, reward_cost float8, credit float8)
AS 'MODULE_PATHNAME', 'scrm_referral_credits'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.referral_credits(text, text, float8, float8) IS
  'The terms of scrm.referral_value (same arguments), one row per referral (duplicate rows merged, '
  'self-referrals dropped): credit = (incrementality * referred_value + (1 - incrementality) * '
  'acquisition_saving) / referrers - reward_cost. A referrer''s credits add up to their referral value.';

CREATE OR REPLACE FUNCTION scrm.referral_credits(
    key_type anyarray,
    referrals text,
    customer_value text,
    incrementality float8 DEFAULT 0.5,
    acquisition_saving float8 DEFAULT 0)
RETURNS TABLE (referrer anyelement, referred anyelement, referred_value float8, incrementality float8,
               acquisition_saving float8, referrers integer, reward_cost float8, credit float8)
AS 'MODULE_PATHNAME', 'scrm_referral_credits'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.referral_credits(anyarray, text, text, float8, float8) IS
  'scrm.referral_credits over keys of the element type of key_type (e.g. NULL::uuid[]).';

-- One line of an explanation
CREATE OR REPLACE FUNCTION scrm._part(section text, part text, detail text, amount float8,
                                      adds_to text, data jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.jsonb_build_object('section', section, 'part', part, 'detail', detail, 'amount', amount,
                                     'adds_to', adds_to) || COALESCE(data, '{}'::jsonb);

COMMENT ON FUNCTION scrm._part(text, text, text, float8, text, jsonb) IS 'Internal: one part of scrm.explain.';

-- A number as explanations print it
CREATE OR REPLACE FUNCTION scrm._num(x float8)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN x IS NULL THEN 'NULL'
            WHEN abs(x) >= 1e15 OR (x <> 0 AND abs(x) < 1e-4) THEN pg_catalog.ltrim(pg_catalog.to_char(x, '9.999EEEE'))
            ELSE pg_catalog.rtrim(pg_catalog.rtrim(pg_catalog.to_char(x::numeric, 'FM999999999999990.0000'), '0'), '.') END;

COMMENT ON FUNCTION scrm._num(float8) IS 'Internal: a number of scrm.explain''s details, 4 decimals at most.';

CREATE OR REPLACE FUNCTION scrm.explain(customer text)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v record;
  c scrm.customer_score;
  l scrm.refresh_log;
  s jsonb;
  parts jsonb := '[]'::jsonb;
  steps integer;
  step float8;
  rate float8;
  spend float8;
  cur float8;
  prev float8 := 0;
  amount float8;
  i integer;
  raw float8;
  cap float8;
  floor_value float8;
  base float8;
  adjustment float8;
  net float8;
  tiers text[] := ARRAY['good', 'excellent', 'exceptional'];
  decision text;
  x record;
  ckey text := explain.customer;
  kind text;
  label text;
BEGIN
  SELECT * INTO c FROM scrm.customer_score cs WHERE cs.customer_key = ckey;
  IF NOT FOUND THEN
    IF NOT EXISTS (SELECT FROM scrm.customer_score) THEN
      RAISE EXCEPTION 'scrm.explain: there are no results to explain'
        USING ERRCODE = '55000', HINT = 'Run scrm.refresh() first.';
    END IF;
    RAISE EXCEPTION 'scrm.explain: customer "%" is not among the results of the last refresh', ckey
      USING ERRCODE = 'P0002',
            HINT = 'Keys are compared as text, as scrm.customer_value.customer_key shows them.';
  END IF;
  SELECT * INTO v FROM scrm.customer_value cv WHERE cv.customer_key = ckey;
  SELECT * INTO l FROM scrm.refresh_log g WHERE g.started_at = c.computed_at ORDER BY g.id DESC LIMIT 1;
  IF l.id IS NULL OR l.tier_thresholds IS NULL THEN
    RAISE EXCEPTION 'scrm.explain: the results of the refresh of % were not kept for explanation', c.computed_at
      USING ERRCODE = '55000',
            HINT = 'Their row of scrm.refresh_log is gone, or they come from a version before 0.4.0: run scrm.refresh().';
  END IF;
  s := l.settings;
  steps := (s->>'clv_steps')::integer;
  step := (s->>'clv_step')::float8;
  rate := (s->>'discount_rate')::float8;
  kind := coalesce(l.purchase_model_kind, 'bgnbd');
  label := CASE kind WHEN 'bgnbd' THEN 'BG/NBD' WHEN 'mbgnbd' THEN 'MBG/NBD' ELSE 'Pareto/NBD' END;

  -- monetary value: the purchase model x Gamma-Gamma, discounted per step
  -- (CLV.md 2.6a); a subscriber's by sBG
  IF c.value_model = 'sbg' THEN
    parts := parts || scrm._explain_contract(c, l);
  ELSIF c.frequency IS NULL THEN
    parts := parts || scrm._part('monetary'::text, 'no purchases'::text, 'no purchase before as_of: worth 0'::text, 0::float8, 'monetary_value'::text, NULL::jsonb);
  ELSE
    parts := parts
      || scrm._part('monetary'::text, 'frequency'::text, 'repeat purchase occasions before as_of'::text, c.frequency::float8, NULL::text, NULL::jsonb)
      || scrm._part('monetary'::text, 'recency'::text, pg_catalog.format('periods of %s from the first purchase to the last', s->>'period'), c.recency, NULL::text, NULL::jsonb)
      || scrm._part('monetary'::text, 'age'::text, pg_catalog.format('periods of %s from the first purchase to as_of', s->>'period'), c.age, NULL::text, NULL::jsonb)
      || scrm._part('monetary'::text, 'p_alive'::text, label || ' probability the customer is still active', c.p_alive, NULL::text, NULL::jsonb)
      || scrm._part('monetary'::text, 'average spend'::text, 'average amount of the repeat purchases'::text, c.average_spend, NULL::text, NULL::jsonb);
    IF c.frequency > 0 AND c.average_spend <= 0 THEN
      parts := parts || scrm._part('monetary'::text, 'no positive spend'::text, 'repeat purchases average 0 or less: worth 0'::text, 0::float8, 'monetary_value'::text, NULL::jsonb);
    ELSE
      spend := scrm.expected_spend(l.spend_model, c.frequency, c.average_spend);
      parts := parts || scrm._part('monetary'::text, 'expected spend'::text, 'Gamma-Gamma expected amount of a future purchase'::text, spend, NULL::text, NULL::jsonb);
      FOR i IN 1 .. steps LOOP
        cur := CASE kind WHEN 'bgnbd' THEN scrm.expected_purchases(l.purchase_model, i * step, c.frequency, c.recency, c.age)
                         WHEN 'mbgnbd' THEN scrm.expected_purchases(l.mbgnbd_model, i * step, c.frequency, c.recency, c.age)
                         ELSE scrm.expected_purchases(l.paretonbd_model, i * step, c.frequency, c.recency, c.age) END;
        amount := spend * (cur - prev) / power(1 + rate, i);
        parts := parts || scrm._part('monetary'::text, 'step ' || i,
          pg_catalog.format('%s expected purchases (%s) x %s spend / (1 + %s)^%s', scrm._num(cur - prev), label, scrm._num(spend),
                            scrm._num(rate), i),
          amount, 'monetary_value'::text,
          jsonb_build_object('expected_purchases', cur - prev, 'discount_factor', 1 / power(1 + rate, i)));
        prev := cur;
      END LOOP;
    END IF;
  END IF;
  parts := parts || scrm._part('monetary'::text, 'monetary value'::text, pg_catalog.format('customer lifetime value over %s steps of %s periods', steps, scrm._num(step)),
                               c.monetary_value, NULL::text, NULL::jsonb);

  IF NOT c.social_consent THEN
    parts := parts
      || scrm._part('social'::text, 'declined'::text,
           CASE WHEN s->>'consent_mode' = 'objection'
                THEN 'the customer objected to social processing (social_consent is false, consent_mode objection)'
                ELSE 'no social consent (consent_mode opt_in: only customers whose social_consent is true enter social processing)' END,
           NULL::float8, NULL::text, NULL::jsonb)
      || scrm._part('total'::text, 'monetary value'::text, 'the total is the monetary value'::text, c.monetary_value, 'total_value'::text, NULL::jsonb);
  ELSE
    -- referral value (SOCIAL.md section 1)
    FOR x IN SELECT * FROM scrm.referral_credit f WHERE f.referrer_key = ckey ORDER BY f.credit DESC, f.referred_key LOOP
      parts := parts || scrm._part('referral'::text, 'referred ' || x.referred_key,
        pg_catalog.format('(%s x value %s + (1 - %s) x saving %s) / %s referrer(s) - reward %s',
                          scrm._num(x.incrementality), scrm._num(x.referred_value), scrm._num(x.incrementality),
                          scrm._num(x.acquisition_saving), x.referrers, scrm._num(x.reward_cost)),
        x.credit, 'referral_value'::text,
        jsonb_build_object('customer', x.referred_key, 'referred_value', x.referred_value, 'incrementality', x.incrementality,
                           'acquisition_saving', x.acquisition_saving, 'referrers', x.referrers, 'reward_cost', x.reward_cost));
    END LOOP;
    IF NOT FOUND THEN
      parts := parts || scrm._part('referral'::text, 'none'::text, 'no referral of a consenting customer'::text, 0::float8, 'referral_value'::text, NULL::jsonb);
    END IF;

    -- influence value (SOCIAL.md section 2), by directly influenced customer
    parts := parts || scrm._part('influence'::text, 'retained share'::text,
      'share of the value credited here that stays here: 1 - hop_continuation x the socially shaped share'::text, c.retained_share, NULL::text, NULL::jsonb);
    -- each credit as refresh computed it: rho x (share x their network value)
    FOR x IN SELECT t.k, t.share, c.retained_share * (t.share * o.network_value) AS credit, o.network_value
             FROM unnest(c.influence_to, c.influence_share) WITH ORDINALITY AS t(k, share, n)
             JOIN scrm.customer_score o ON o.customer_key = t.k
             ORDER BY t.n LOOP
      parts := parts || scrm._part('influence'::text, 'via ' || x.k,
        pg_catalog.format('walk share %s x their network value %s (their own value and what they pass on) x retained share %s',
                          scrm._num(x.share), scrm._num(x.network_value), scrm._num(c.retained_share)),
        x.credit, 'influence_value'::text,
        jsonb_build_object('customer', x.k, 'share', x.share, 'network_value', x.network_value));
    END LOOP;
    IF c.influence_rest_customers > 0 THEN
      parts := parts || scrm._part('influence'::text, pg_catalog.format('via %s other customers', c.influence_rest_customers),
        'the smaller credits, summed'::text, c.influence_rest, 'influence_value'::text, NULL::jsonb);
    END IF;
    parts := parts || scrm._part('influence'::text, 'own value returned'::text,
      'own value coming back over 2-cycles, removed'::text, -c.influence_returned, 'influence_value'::text, NULL::jsonb);

    -- advocacy (SOCIAL.md section 3)
    IF c.advocacy_event_kind IS NULL AND c.advocacy_positive + c.advocacy_negative > 0 THEN
      parts := parts || scrm._part('advocacy'::text, 'events'::text,
        'positive minus negative points (refresh used the spilling aggregate: the events were not kept)'::text,
        c.advocacy_positive - c.advocacy_negative, 'advocacy_points'::text, NULL::jsonb);
    ELSIF c.advocacy_event_kind IS NULL THEN
      parts := parts || scrm._part('advocacy'::text, 'none'::text, 'no advocacy event in the last 3 years'::text,
        0::float8, 'advocacy_points'::text, NULL::jsonb);
    ELSE
      FOR x IN SELECT e.*, power(2::float8, -extract(epoch FROM l.as_of - e.at)::float8
                                             / extract(epoch FROM (s->>'advocacy_half_life')::interval)::float8) AS decay
               FROM unnest(c.advocacy_event_kind, c.advocacy_event_at, c.advocacy_event_counterparty,
                           c.advocacy_event_damping, c.advocacy_event_points) WITH ORDINALITY
                    AS e(kind, at, counterparty, damping, points, n)
               ORDER BY e.n LOOP
        -- points = weight x reach (a survey: its class) / damping x decay
        parts := parts || scrm._part('advocacy'::text, x.kind,
          pg_catalog.format('%s%s: %s / %s (damping) x %s (decay: half-life %s)', x.at,
                            CASE WHEN x.counterparty IS NOT NULL THEN ' with ' || x.counterparty ELSE '' END,
                            scrm._num(x.points * x.damping / x.decay), x.damping, scrm._num(x.decay),
                            s->>'advocacy_half_life'),
          x.points, 'advocacy_points'::text,
          jsonb_build_object('occurred_at', x.at, 'counterparty', x.counterparty, 'base', x.points * x.damping / x.decay,
                             'damping', x.damping, 'decay', x.decay));
      END LOOP;
    END IF;
    net := c.advocacy_positive - c.advocacy_negative;
    parts := parts
      || scrm._part('advocacy'::text, 'network reach'::text,
           pg_catalog.format('net %s x (reach multiplier %s - 1)', scrm._num(net), scrm._num(c.advocacy_reach)),
           CASE WHEN net > 0 THEN net * (c.advocacy_reach - 1) ELSE 0 END, 'advocacy_points'::text, NULL::jsonb)
      || scrm._part('advocacy'::text, 'advocate score'::text, pg_catalog.format('100 x (1 - exp(-points / %s)): %s',
                    s->>'advocacy_scale', c.advocate_label), c.advocate_score::float8, NULL::text, NULL::jsonb)
      || scrm._part('advocacy'::text, 'valence'::text, pg_catalog.format('1 - 2 x negative %s / (positive %s + negative + 2)',
                    scrm._num(c.advocacy_negative), scrm._num(c.advocacy_positive)), c.valence, NULL::text, NULL::jsonb);

    -- the social adjustment (SOCIAL.md section 4)
    cap := (s->>'cap')::float8;
    floor_value := (s->>'floor')::float8;
    base := greatest(c.monetary_value, floor_value);
    raw := c.referral_value + c.valence * c.influence_value;
    adjustment := least(greatest(raw, -cap * base), cap * base);
    parts := parts
      || scrm._part('adjustment'::text, 'referral value'::text, 'the referral parts above'::text, c.referral_value, 'social_adjustment'::text, NULL::jsonb)
      || scrm._part('adjustment'::text, 'influence x valence'::text,
           pg_catalog.format('influence %s x valence %s', scrm._num(c.influence_value), scrm._num(c.valence)),
           c.valence * c.influence_value, 'social_adjustment'::text, NULL::jsonb)
      || scrm._part('adjustment'::text, 'cap'::text,
           pg_catalog.format('raw social value %s, bounded by %s x max(monetary %s, floor %s) = %s: %s', scrm._num(raw),
                             scrm._num(cap), scrm._num(c.monetary_value), scrm._num(floor_value), scrm._num(cap * base),
                             CASE WHEN adjustment <> raw THEN 'the cap binds' ELSE 'the cap does not bind' END),
           adjustment - raw, 'social_adjustment'::text, jsonb_build_object('binds', adjustment <> raw, 'bound', cap * base))
      || scrm._part('total'::text, 'monetary value'::text, ''::text, c.monetary_value, 'total_value'::text, NULL::jsonb)
      || scrm._part('total'::text, 'social adjustment'::text, 'social value adjusts the monetary value, never overrides it'::text,
                    adjustment, 'total_value'::text, NULL::jsonb);
  END IF;

  -- the tier (SOCIAL.md section 5)
  parts := parts || scrm._part('tier'::text, 'thresholds'::text,
    pg_catalog.format('excellent from %s (P%s), exceptional from %s (P%s) of total value over %s',
                      scrm._num((l.tier_thresholds->>'excellent_from')::float8), s->>'excellent_percentile',
                      scrm._num((l.tier_thresholds->>'exceptional_from')::float8), s->>'exceptional_percentile',
                      l.tier_thresholds->>'over'),
    NULL::float8, NULL::text, jsonb_build_object('excellent_from', l.tier_thresholds->'excellent_from',
                                   'exceptional_from', l.tier_thresholds->'exceptional_from'));
  decision := CASE
    WHEN NOT c.social_consent THEN 'no social processing: the monetary tier'
    WHEN array_position(tiers, c.tier) > array_position(tiers, c.monetary_tier) THEN 'social value lifted the tier'
    WHEN s->>'tier_policy' = 'no_harm' AND c.tier = c.monetary_tier
         AND array_position(tiers, scrm.service_tier(c.total_value, (l.tier_thresholds->>'excellent_from')::float8,
                                                     (l.tier_thresholds->>'exceptional_from')::float8))
             < array_position(tiers, c.monetary_tier)
      THEN 'no_harm lifted it: the total value alone would give a lower tier, social evidence never lowers one'
    WHEN c.needs_review THEN 'symmetric: the total value lowered the tier below the monetary tier, flagged needs_review'
    ELSE 'the tier of the total value, the same as the monetary tier' END;
  parts := parts || scrm._part('tier'::text, 'decision'::text,
    pg_catalog.format('monetary tier %s, tier %s (tier_policy %s): %s', c.monetary_tier, c.tier, s->>'tier_policy', decision),
    NULL::float8, NULL::text, jsonb_build_object('monetary_tier', c.monetary_tier, 'tier', c.tier, 'tier_policy', s->>'tier_policy'));

  -- churn impact (SOCIAL.md section 6)
  IF c.social_consent THEN
    parts := parts
      || scrm._part('churn'::text, 'own value'::text, 'the monetary value lost with the customer'::text, c.monetary_value, 'loss_if_churned'::text, NULL::jsonb)
      || scrm._part('churn'::text, 'contagion loss'::text, 'value expected to follow through churn contagion to those they influence'::text,
                    c.contagion_loss, 'loss_if_churned'::text, NULL::jsonb)
      || scrm._part('churn'::text, 'value at risk'::text, pg_catalog.format('p_churn %s x loss if churned %s',
                    scrm._num(coalesce(1 - c.p_alive, 0)), scrm._num(c.loss_if_churned)), c.churn_value_at_risk, NULL::text, NULL::jsonb);
  END IF;

  RETURN to_jsonb(v) || jsonb_build_object(
    'refresh_id', l.id, 'as_of', l.as_of, 'parts', parts,
    'declined', CASE WHEN NOT c.social_consent THEN true ELSE false END);
END
$$;

COMMENT ON FUNCTION scrm.explain(text) IS
  'The derivation of one customer''s value from the last scrm.refresh (customer: the key as text, as '
  'scrm.customer_value.customer_key): every column of scrm.customer_value, the refresh, and parts, each '
  '{section, part, detail, amount, adds_to, ...}: the parts with the same adds_to add up to that column '
  '(monetary_value, referral_value, influence_value, advocacy_points, social_adjustment, total_value, '
  'loss_if_churned). A customer without social consent gets the monetary parts and why. Reads '
  'scrm.customer_score, scrm.referral_credit and scrm.refresh_log as the caller.';

CREATE OR REPLACE FUNCTION scrm.explain(customer anyelement)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT scrm.explain($1::text) $$;

COMMENT ON FUNCTION scrm.explain(anyelement) IS 'scrm.explain of a key of any type (compared as its text, as customer_key).';

CREATE OR REPLACE FUNCTION scrm.explain_parts(customer text)
RETURNS TABLE (section text, part text, detail text, amount float8, adds_to text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT e.p->>'section', e.p->>'part', e.p->>'detail', (e.p->>'amount')::float8, e.p->>'adds_to'
  FROM pg_catalog.jsonb_array_elements(scrm.explain($1)->'parts') WITH ORDINALITY AS e(p, n)
  ORDER BY e.n
$$;

COMMENT ON FUNCTION scrm.explain_parts(text) IS
  'scrm.explain(customer) as rows, in order: section, part, detail, amount and the column the amount adds up to.';

CREATE OR REPLACE FUNCTION scrm.explain_parts(customer anyelement)
RETURNS TABLE (section text, part text, detail text, amount float8, adds_to text)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM scrm.explain_parts($1::text) $$;

COMMENT ON FUNCTION scrm.explain_parts(anyelement) IS 'scrm.explain_parts of a key of any type.';
