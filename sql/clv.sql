-- Value models (SPEC section 1): RFM, fits against published estimates,
-- predictions against independent references, types, aggregates, errors.
\set VERBOSITY terse

-- 1. scrm.rfm over the raw CDNOW sample log reproduces the published
-- calibration summary for every customer (x exactly; t_x, T, zbar to 2
-- decimals), whatever the session time zone; later purchases are ignored.
SET TimeZone = 'Pacific/Auckland';
CREATE TEMP TABLE rfm_cdnow AS
SELECT customer, scrm.rfm((day + time '12:00')::timestamptz, amount,
                          '1997-09-30'::timestamptz) AS s
FROM fixture.cdnow_log GROUP BY customer;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (r.s).frequency <> c.x) AS x_wrong,
       count(*) FILTER (WHERE round((r.s).recency::numeric, 2) <> round(c.tx::numeric, 2)) AS tx_wrong,
       count(*) FILTER (WHERE round((r.s).age::numeric, 2) <> round(c.t::numeric, 2)) AS t_wrong,
       count(*) FILTER (WHERE round((r.s).monetary::numeric, 2) <> round(c.zbar::numeric, 2)) AS zbar_wrong
FROM rfm_cdnow r JOIN fixture.cdnow c ON c.id = r.customer;
RESET TimeZone;

-- same-day purchases are one occasion; monetary is the mean of the repeat
-- occasions; NULL rows are skipped; purchases after as_of are ignored
SELECT scrm.rfm(t, a, '2024-01-29') AS weekly,
       scrm.rfm(t, a, '2024-01-29', '1 day') AS daily
FROM (VALUES ('2024-01-01 09:00'::timestamptz, 10.0), ('2024-01-01 18:00', 5.0),
             ('2024-01-08 10:00', 20.0), ('2024-01-15 10:00', 40.0), ('2024-01-15 11:00', NULL),
             ('2024-02-01 10:00', 1000.0)) v(t, a);
SELECT scrm.rfm(t, 10, '2024-03-01') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
SELECT scrm.rfm(t, 10, '2024-01-01') IS NULL AS no_purchase_until_as_of
FROM (VALUES ('2024-02-01'::timestamptz)) v(t);
SELECT scrm.rfm(t, 10, '2024-03-01', i) FROM (VALUES ('2024-01-01'::timestamptz, '0 days'::interval)) v(t, i);
SELECT scrm.rfm(t, 10, a) FROM (VALUES ('2024-01-01'::timestamptz, '2024-03-01'::timestamptz),
                                       ('2024-01-02', '2024-03-02')) v(t, a);
SELECT scrm.rfm(t, 'NaN', '2024-03-01') FROM (VALUES ('2024-01-01'::timestamptz)) v(t);
SELECT scrm.rfm(t, 1, NULL) FROM (VALUES ('2024-01-01'::timestamptz)) v(t);

-- 2. Fits on the CDNOW summary against the published estimates (relative
-- 1e-3; Pareto beta 2e-2; log-likelihoods +/- 0.01) and against the
-- independent scipy fits (relative 1e-6)
CREATE TEMP TABLE fits AS
SELECT scrm.bgnbd_fit(x, tx, t) AS bg, scrm.paretonbd_fit(x, tx, t) AS pn,
       scrm.gammagamma_fit(x, zbar) AS gg
FROM fixture.cdnow;
SELECT m.key, round(m.value::numeric, 4) AS ours, p.published,
       abs(m.value / p.published - 1) < p.tol AS ok
FROM fits,
     LATERAL (SELECT 'bgnbd.' || key AS key, value FROM jsonb_each(scrm.params(bg))
              UNION ALL SELECT 'paretonbd.' || key, value FROM jsonb_each(scrm.params(pn))
              UNION ALL SELECT 'gammagamma.' || key, value FROM jsonb_each(scrm.params(gg))) j,
     LATERAL (SELECT j.key, j.value::float8 AS value WHERE jsonb_typeof(j.value) = 'number') m
JOIN (VALUES ('bgnbd.r', 0.2426, 1e-3), ('bgnbd.alpha', 4.4135, 1e-3), ('bgnbd.a', 0.7929, 1e-3),
             ('bgnbd.b', 2.4258, 1e-3), ('paretonbd.r', 0.5533, 1e-3), ('paretonbd.alpha', 10.5776, 1e-3),
             ('paretonbd.s', 0.6062, 1e-3), ('paretonbd.beta', 11.6679, 2e-2),
             ('gammagamma.p', 6.2488, 1e-3), ('gammagamma.q', 3.7446, 1e-3),
             ('gammagamma.gamma', 15.4477, 1e-3)) p(key, published, tol) USING (key)
ORDER BY m.key;
SELECT round((scrm.params(bg)->>'log_likelihood')::numeric, 2) AS bgnbd_ll,
       abs((scrm.params(bg)->>'log_likelihood')::float8 - (-9582.43)) <= 0.01 AS bgnbd_ll_ok,
       round((scrm.params(pn)->>'log_likelihood')::numeric, 2) AS paretonbd_ll,
       abs((scrm.params(pn)->>'log_likelihood')::float8 - (-9594.97)) <= 0.01 AS paretonbd_ll_ok,
       scrm.params(bg)->'customers' AS customers, scrm.params(gg)->'customers' AS repeat_buyers,
       scrm.params(bg)->'converged' AS bg_conv, scrm.params(pn)->'converged' AS pn_conv,
       scrm.params(gg)->'converged' AS gg_conv
FROM fits;
SELECT r.model, r.param, abs(o.value / r.value - 1) < 1e-6 AS within_1e6
FROM fixture.clv_fit_ref r
JOIN (SELECT 'bgnbd' AS model, key, value::float8 FROM fits, jsonb_each(scrm.params(bg))
      WHERE jsonb_typeof(value) = 'number'
      UNION ALL SELECT 'paretonbd', key, value::float8 FROM fits, jsonb_each(scrm.params(pn))
      WHERE jsonb_typeof(value) = 'number'
      UNION ALL SELECT 'gammagamma', replace(key, 'gamma', 'v'), value::float8
      FROM fits, jsonb_each(scrm.params(gg)) WHERE jsonb_typeof(value) = 'number') o
  ON o.model = r.model AND o.key = r.param
ORDER BY 1, 2;

-- 3. Every stored prediction (1,046 values: P(alive), E[Y(t)|...], E[X(t)],
-- P(X(t)=n), expected spend, CLV) at the reference and published parameters,
-- against scipy/mpmath: relative error < 1e-9 (absolute 1e-15 for tiny values)
CREATE TEMP VIEW ref_models AS SELECT
  (SELECT scrm.bgnbd(max(value) FILTER (WHERE param = 'r'), max(value) FILTER (WHERE param = 'alpha'),
                     max(value) FILTER (WHERE param = 'a'), max(value) FILTER (WHERE param = 'b'))
   FROM fixture.clv_fit_ref WHERE model = 'bgnbd') AS bf,
  scrm.bgnbd(0.243, 4.414, 0.793, 2.426) AS bp,
  scrm.bgnbd(0.11, 2.24, 0.31, 0.50) AS b302,
  (SELECT scrm.paretonbd(max(value) FILTER (WHERE param = 'r'), max(value) FILTER (WHERE param = 'alpha'),
                         max(value) FILTER (WHERE param = 's'), max(value) FILTER (WHERE param = 'beta'))
   FROM fixture.clv_fit_ref WHERE model = 'paretonbd') AS pf,
  scrm.paretonbd(0.5534, 10.5802, 0.6061, 11.6562) AS pp,
  (SELECT scrm.gammagamma(max(value) FILTER (WHERE param = 'p'), max(value) FILTER (WHERE param = 'q'),
                          max(value) FILTER (WHERE param = 'v'))
   FROM fixture.clv_fit_ref WHERE model = 'gammagamma') AS gf,
  scrm.gammagamma(6.25, 3.74, 15.44) AS gp;
SELECT model, quantity, count(*) AS values,
       count(*) FILTER (WHERE NOT (abs(mine - value) <= greatest(1e-9 * abs(value), 1e-15))) AS off
FROM (SELECT r.*, CASE
  WHEN model = 'bgnbd' AND quantity = 'p_alive' THEN
    scrm.p_alive(CASE params WHEN 'fitted' THEN bf WHEN 'published' THEN bp ELSE b302 END, x, t_x, "T")
  WHEN model = 'bgnbd' AND quantity = 'expected' THEN
    scrm.expected_purchases(CASE params WHEN 'fitted' THEN bf WHEN 'published' THEN bp ELSE b302 END, t, x, t_x, "T")
  WHEN model = 'bgnbd' AND quantity = 'expected_new' THEN
    scrm.expected_purchases(CASE params WHEN 'fitted' THEN bf ELSE bp END, t)
  WHEN model = 'bgnbd' AND quantity = 'pmf' THEN
    scrm.purchase_probability(CASE params WHEN 'fitted' THEN bf ELSE bp END, t, n)
  WHEN model = 'paretonbd' AND quantity = 'p_alive' THEN
    scrm.p_alive(CASE params WHEN 'fitted' THEN pf ELSE pp END, x, t_x, "T")
  WHEN model = 'paretonbd' AND quantity = 'expected' THEN
    scrm.expected_purchases(CASE params WHEN 'fitted' THEN pf ELSE pp END, t, x, t_x, "T")
  WHEN model = 'paretonbd' AND quantity = 'expected_new' THEN
    scrm.expected_purchases(CASE params WHEN 'fitted' THEN pf ELSE pp END, t)
  WHEN model = 'gammagamma' THEN
    scrm.expected_spend(CASE params WHEN 'fitted' THEN gf ELSE gp END, x, monetary)
  WHEN quantity = 'clv' THEN
    scrm.clv(CASE params WHEN 'fitted' THEN bf ELSE bp END, CASE params WHEN 'fitted' THEN gf ELSE gp END,
             x, t_x, "T", monetary, n, t, 0.01)
  END AS mine
  FROM fixture.clv_pred_ref r, ref_models) s
GROUP BY 1, 2 ORDER BY 1, 2;

-- 4. Public test-suite anchors (CLV.md 3.2) at their stated tolerances
SELECT 'B2 E[Y(39)|2,30.43,38.86] = 1.226' AS anchor,
       abs(scrm.expected_purchases(bg, 39, 2, 30.43, 38.86) - 1.226) < 0.001 AS ok FROM fits
UNION ALL SELECT 'B3 E[X(t)] t=0.1429..78',
       bool_and(abs(scrm.expected_purchases(bg, t) - e) < 1.5e-3) FROM fits,
       (VALUES (0.1429, 0.0078), (1, 0.0532), (3, 0.1506), (31.8571, 1.0405), (32, 1.0437), (78, 1.8576)) v(t, e)
UNION ALL SELECT 'B4 P(X(2)=10) = 1.07869e-07',
       abs(scrm.purchase_probability(scrm.bgnbd(0.243, 4.414, 0.793, 2.426), 2, 10) - 1.07869e-07) < 1e-4
UNION ALL SELECT 'B5 P(X(39)=0) = 0.5737864',
       abs(scrm.purchase_probability(scrm.bgnbd(0.243, 4.414, 0.793, 2.426), 39, 0) - 0.5737864) < 1e-4
UNION ALL SELECT 'B6 P(X(30)=n), n=11..20',
       bool_and(abs(scrm.purchase_probability(scrm.bgnbd(0.243, 4.414, 0.793, 2.426), 30, n) - p) < 1.5e-5)
FROM (VALUES (11, 0.0019995214), (12, 0.0015170236), (13, 0.0011633150), (14, 0.0009003148),
             (15, 0.0007023638), (16, 0.0005517902), (17, 0.0004361913), (18, 0.0003467171),
             (19, 0.0002769613), (20, 0.0002222260)) v(n, p)
UNION ALL SELECT 'B7 P(alive|0,0,1) is exactly 1 (lifetimes'' (0,1,1) is an impossible history here)',
       scrm.p_alive(bg, 0, 0, 1) = 1.0 FROM fits
UNION ALL SELECT 'B8 P(alive|1000,10,100) is exactly 0', scrm.p_alive(bg, 1000, 10, 100) = 0.0 FROM fits
UNION ALL SELECT 'B9 P(alive) in [0,1] over a grid', bool_and(p BETWEEN 0 AND 1)
FROM fits, LATERAL (SELECT scrm.p_alive(bg, x, tx, t) AS p
                    FROM generate_series(0, 90, 10) x, generate_series(0, 90, 10) tx,
                         generate_series(0, 90, 10) t WHERE tx <= t AND (x > 0 OR tx = 0)) g
UNION ALL SELECT 'B13 E[Y(1)|.] for ids 509, 841, 1981, 157, 1516',
       bool_and(abs(scrm.expected_purchases(bg, 1, x, tx, t) - e) < 1.5e-6)
FROM fits, (VALUES (18, 35.14, 35.86, 0.424877), (19, 34.00, 34.14, 0.474738), (17, 28.43, 28.86, 0.486526),
                   (29, 37.71, 38.00, 0.662396), (26, 30.86, 31.00, 0.710623)) v(x, tx, t, e)
UNION ALL SELECT 'B14 ln L(x=0) = -0.59947382 and ln L(x=200, t_x=38) = 100.7957 (T=40)',
       abs(scrm.log_likelihood(scrm.bgnbd(0.25, 4, 0.8, 2.5), 0, 0, 40) - (-0.59947382)) < 1.5e-5
       AND abs(scrm.log_likelihood(scrm.bgnbd(0.25, 4, 0.8, 2.5), 200, 38, 40) - 100.7957) < 1.5e-5
UNION ALL SELECT 'sum of per-customer ln L = the fit''s log_likelihood',
       abs(s1 - l1) < 1e-8 AND abs(s2 - l2) < 1e-8 AND abs(s3 - l3) < 1e-8
FROM (SELECT sum(scrm.log_likelihood(f.bg, c.x, c.tx, c.t)) AS s1,
             sum(scrm.log_likelihood(f.pn, c.x, c.tx, c.t)) AS s2,
             sum(scrm.log_likelihood(f.gg, c.x, c.zbar)) FILTER (WHERE c.x > 0) AS s3,
             max((scrm.params(f.bg)->>'log_likelihood')::float8) AS l1,
             max((scrm.params(f.pn)->>'log_likelihood')::float8) AS l2,
             max((scrm.params(f.gg)->>'log_likelihood')::float8) AS l3
      FROM fits f, fixture.cdnow c) q
UNION ALL SELECT 'P2 Pareto P(alive|26,30.86,31) = 0.9979',
       abs(scrm.p_alive(scrm.paretonbd(0.5534, 10.5802, 0.6061, 11.6562), 26, 30.86, 31) - 0.9979) < 0.001
UNION ALL SELECT 'P3 Pareto E[Y(52)|26,30.86,31] = 25.46',
       abs(scrm.expected_purchases(pn, 52, 26, 30.86, 31) - 25.46) < 0.01 FROM fits
UNION ALL SELECT 'P5 Pareto E[Y(10)] at x=132 vs 133 close',
       abs(scrm.expected_purchases(scrm.paretonbd(0.55, 10.58, 0.61, 11.67), 10, 132, 200, 200)
         - scrm.expected_purchases(scrm.paretonbd(0.55, 10.58, 0.61, 11.67), 10, 133, 200, 200)) < 0.05
UNION ALL SELECT 'P6/P7 extreme Pareto P(alive) finite in [0,1]',
       bool_and(scrm.p_alive(scrm.paretonbd(10.465, 7.98565181e-03, 3.0516, 2.820), x, tx, t) BETWEEN 0 AND 1)
FROM (VALUES (400, 5, 6), (500, 1, 37), (500, 4, 37), (40, 5, 6), (50, 1, 37), (50, 4, 37)) v(x, tx, t)
UNION ALL SELECT 'P8 CLVTools #100 rows: P(alive) finite',
       bool_and(scrm.p_alive(scrm.paretonbd(0.5143, 2.8845, 0.2856, 14.1087), x, tx, t) BETWEEN 0 AND 1)
FROM (VALUES (221, 103.42857, 103.57143), (254, 97.14286, 97.28571), (161, 94.71429, 98.00000),
             (204, 98.57143, 99.42857)) v(x, tx, t)
UNION ALL SELECT 'G2 spend of the first 10 customers (atol 0.1)',
       bool_and(abs(scrm.expected_spend(scrm.gammagamma(6.25, 3.74, 15.44), x, m) - e) < 0.1)
FROM (VALUES (2, 22.35, 24.65), (1, 11.77, 18.91), (0, 0, 35.17), (7, 73.74, 71.46), (2, 25.55, 27.28)) v(x, m, e)
UNION ALL SELECT 'G3 mean spend over all 2,357 = 35.2529588',
       abs(avg(scrm.expected_spend(gg, c.x, c.zbar)) - 35.2529588256) < 1e-5 FROM fits, fixture.cdnow c
UNION ALL SELECT 'CLV customer 1, weekly periods, monthly steps = 36.2785',
       abs(scrm.clv(bg, gg, 2, 30.43, 38.86, 22.35) - 36.278498) < 1e-4 FROM fits
UNION ALL SELECT 'CLV customer 1, lifetimes'' 30-day trap = 140.0962',
       abs(scrm.clv(bg, gg, 2, 30.43, 38.86, 22.35, step => 30) - 140.096211) < 1e-4 FROM fits
UNION ALL SELECT '#302 E[Y(30)|0,0,1] = 0.564589 (negative 2F1)',
       abs(scrm.expected_purchases(scrm.bgnbd(0.11, 2.24, 0.31, 0.50), 30, 0, 0, 1) - 0.564589) < 1e-6
ORDER BY 1;

-- B10 scale invariance: times x10 give the same P(alive) at scaled inputs
SELECT abs(scrm.p_alive(b10, 1, 10, 20) - scrm.p_alive(b1, 1, 1, 2)) < 1e-4 AS p1,
       abs(scrm.p_alive(b10, 1, 20, 100) - scrm.p_alive(b1, 1, 2, 10)) < 1e-4 AS p2
FROM (SELECT scrm.bgnbd_fit(x, tx * 10, t * 10) AS b10, scrm.bgnbd_fit(x, tx, t) AS b1
      FROM fixture.cdnow) f;

-- E1: lifetimes' daily example log, RFM in days to 2014-12-31, BG/NBD fit,
-- E[Y(30)] of the first five customers (decimal=5)
CREATE TEMP TABLE ex AS
SELECT id, scrm.rfm(purchased_at::timestamptz, 0, '2014-12-31', '1 day') AS s
FROM fixture.example_tx GROUP BY id;
SELECT round((scrm.params(m)->>'r')::numeric, 2) AS r, round((scrm.params(m)->>'alpha')::numeric, 2) AS alpha,
       round((scrm.params(m)->>'a')::numeric, 2) AS a, round((scrm.params(m)->>'b')::numeric, 2) AS b
FROM (SELECT scrm.bgnbd_fit(s) AS m FROM ex) f;
SELECT id, (s).frequency, (s).recency, (s).age,
       abs(scrm.expected_purchases(m, 30, (s).frequency, (s).recency, (s).age) - e) < 1.5e-5 AS e1_ok
FROM ex, (SELECT scrm.bgnbd_fit(s) AS m FROM ex) f,
     (VALUES (0, 0.016053), (1, 0.021171), (2, 0.030461), (3, 0.031686), (4, 0.001607)) v(vid, e)
WHERE id = vid ORDER BY id;

-- 5. Types: exact text round trip, equality, binary round trip, params
-- (the operators live in schema scrm, like everything of the extension)
SET search_path = public, scrm;
SELECT bg::text::scrm.bgnbd = bg AS bg_text, pn::text::scrm.paretonbd = pn AS pn_text,
       gg::text::scrm.gammagamma = gg AS gg_text, bg <> scrm.bgnbd(0.2, 4, 0.8, 2.4) AS differs
FROM fits;
SET extra_float_digits = -3;
SELECT bg::text::scrm.bgnbd = bg AS round_trip_whatever_extra_float_digits FROM fits;
RESET extra_float_digits;
CREATE TEMP TABLE models AS SELECT * FROM fits;
\copy models TO 'results/models.bin' WITH (FORMAT binary)
CREATE TEMP TABLE models2 (LIKE models);
\copy models2 FROM 'results/models.bin' WITH (FORMAT binary)
SELECT m.bg = n.bg AND m.pn = n.pn AND m.gg = n.gg AS binary_round_trip FROM models m, models2 n;
SELECT scrm.bgnbd(0.243, 4.414, 0.793, 2.426);
SELECT '( r = 1 , alpha=2,a=3, b = 4e0 )'::scrm.bgnbd;
SELECT '(p=1,q=2,gamma=3,log_likelihood=-1.5,customers=10,iterations=7,converged=false)'::scrm.gammagamma;
SELECT scrm.params(scrm.paretonbd(1, 2, 3, 4));
SELECT '(r=1,alpha=2,a=3)'::scrm.bgnbd;
SELECT '(r=1,alpha=2,a=3,b=4,x=5)'::scrm.bgnbd;
SELECT '(r=1,alpha=2,a=3,b=4,r=5)'::scrm.bgnbd;
SELECT '(r=1,alpha=2,a=3,b=-4)'::scrm.bgnbd;
SELECT '(r=1,alpha=2,a=3,b=NaN)'::scrm.bgnbd;
SELECT '(r=1,alpha=2,a=3,b=4,customers=5)'::scrm.bgnbd;
SELECT '(r=1,alpha=2,a=3,b=4'::scrm.bgnbd;
SELECT scrm.bgnbd(0, 1, 1, 1);
SELECT scrm.gammagamma(1, 'Infinity', 1);

-- 6. Aggregates: compressed (GROUP BY + weight) equals raw, rfm_summary
-- overloads equal the column ones, NULL and zero-weight rows are skipped
SELECT (SELECT scrm.bgnbd_fit(x, tx, t, n) FROM (SELECT x, tx, t, count(*)::float8 AS n
                                                  FROM fixture.cdnow GROUP BY 1, 2, 3) g) = bg AS grouped_equals_raw,
       (SELECT scrm.gammagamma_fit(x, zbar, n) FROM (SELECT x, zbar, count(*)::float8 AS n
                                                      FROM fixture.cdnow GROUP BY 1, 2) g) = gg AS gg_grouped,
       (SELECT scrm.bgnbd_fit(ROW(x, tx, t, zbar)::scrm.rfm_summary) FROM fixture.cdnow) = bg AS rfm_overload,
       (SELECT scrm.paretonbd_fit(ROW(x, tx, t, zbar)::scrm.rfm_summary, 1) FROM fixture.cdnow) = pn AS rfm_weighted,
       (SELECT scrm.gammagamma_fit(ROW(x, tx, t, zbar)::scrm.rfm_summary) FROM fixture.cdnow) = gg AS gg_rfm,
       (SELECT scrm.bgnbd_fit(x, tx, t, w) FROM (SELECT x, tx, t, 1.0 AS w FROM fixture.cdnow
                                                 UNION ALL SELECT NULL, 1, 2, 1 UNION ALL SELECT 5, 1, 2, 0
                                                 UNION ALL SELECT 5, 1, 2, NULL) u) = bg AS nulls_skipped
FROM fits;
-- a parallel plan (Partial Aggregate) gives exactly the serial fit
CREATE TEMP TABLE cdnow100 AS SELECT c.* FROM fixture.cdnow c, generate_series(1, 100);
CREATE TABLE cdnow100p AS SELECT * FROM cdnow100;
ANALYZE cdnow100p;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT scrm.bgnbd_fit(x, tx, t) FROM cdnow100p;
CREATE TEMP TABLE par AS SELECT scrm.bgnbd_fit(x, tx, t) AS bg, scrm.paretonbd_fit(x, tx, t) AS pn,
                                scrm.gammagamma_fit(x, zbar) AS gg FROM cdnow100p;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT p.bg = s.bg AS bg_same, p.pn = s.pn AS pn_same, p.gg = s.gg AS gg_same,
       scrm.params(p.bg)->'customers' AS customers
FROM par p, (SELECT scrm.bgnbd_fit(x, tx, t) AS bg, scrm.paretonbd_fit(x, tx, t) AS pn,
                    scrm.gammagamma_fit(x, zbar) AS gg FROM cdnow100p) s;
RESET max_parallel_workers_per_gather;
RESET search_path;
-- rfm also works in a hash aggregate (the plan is forced: with or without
-- statistics, which autovacuum may or may not have gathered yet, the
-- planner would choose differently)
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT customer, scrm.rfm(day::timestamptz, amount, '1998-07-01')
FROM fixture.cdnow_log GROUP BY customer;
SELECT count(*) AS customers, sum((s).frequency) AS repeat_purchases
FROM (SELECT customer, scrm.rfm(day::timestamptz, amount, '1998-07-01') AS s
      FROM fixture.cdnow_log GROUP BY customer) h;
RESET enable_sort;
DROP TABLE cdnow100p;

-- 7. Errors: impossible histories, too little data, bad spend, bad arguments
SELECT scrm.bgnbd_fit(x, tx, t) FROM (VALUES (1, 5.0, 3.0), (0, 0, 4)) v(x, tx, t);
SELECT scrm.bgnbd_fit(x, tx, t) FROM (VALUES (-1, 0.0, 3.0), (0, 0, 4)) v(x, tx, t);
SELECT scrm.bgnbd_fit(x, tx, t) FROM (VALUES (1, -1.0, 3.0), (0, 0, 4)) v(x, tx, t);
SELECT scrm.bgnbd_fit(x, tx, t) FROM (VALUES (0, 1.0, 3.0), (0, 0, 4)) v(x, tx, t);
SELECT scrm.bgnbd_fit(x, tx, t) FROM (VALUES (1, 1.0, 'NaN'::float8), (0, 0, 4)) v(x, tx, t);
SELECT scrm.bgnbd_fit(x, tx, t) FROM (VALUES (0, 0.0, 3.0), (0, 0, 4)) v(x, tx, t);
SELECT scrm.paretonbd_fit(x, tx, t) FROM (VALUES (2, 1.0, 3.0)) v(x, tx, t);
SELECT scrm.bgnbd_fit(x, tx, t) FROM fixture.cdnow WHERE false;
SELECT scrm.bgnbd_fit(x, tx, t, -1) FROM fixture.cdnow;
SELECT scrm.gammagamma_fit(x, m) FROM (VALUES (2, 0.0), (1, 5.0)) v(x, m);
SELECT scrm.gammagamma_fit(x, m) FROM (VALUES (2, -3.0), (1, 5.0)) v(x, m);
SELECT scrm.gammagamma_fit(x, m) FROM (VALUES (0, 3.0), (0, 5.0)) v(x, m);
SELECT scrm.expected_purchases(scrm.bgnbd(1, 1, 1, 1), 1, 2, 5, 3);
SELECT scrm.expected_purchases(scrm.bgnbd(1, 1, 1, 1), -1, 2, 2, 3);
SELECT scrm.p_alive(scrm.paretonbd(1, 1, 1, 1), -2, 0, 3);
SELECT scrm.expected_spend(scrm.gammagamma(1, 1, 1), 0, 0);
SELECT scrm.expected_spend(scrm.gammagamma(1, 2, 1), 2, 0);
SELECT scrm.clv(scrm.bgnbd(1, 1, 2, 1), scrm.gammagamma(1, 2, 1), 1, 1, 2, 5, steps => -1);
SELECT scrm.clv(scrm.bgnbd(1, 1, 2, 1), scrm.gammagamma(1, 2, 1), 1, 1, 2, 5, discount_rate => -1);
SELECT scrm.purchase_probability(scrm.bgnbd(1, 1, 1, 1), 1, -1);
SELECT scrm.expected_purchases(scrm.bgnbd(1, 1, 2, 3), 1, NULL, 1, 2) IS NULL AS strict_null;

-- frequency > 0 with recency 0 is a valid history; a = 1 has no singularity
SELECT round(scrm.expected_purchases(scrm.bgnbd(0.5, 4, 1, 2.5), 10, 3, 0, 5)::numeric, 9) AS at_a_1,
       round(((scrm.expected_purchases(scrm.bgnbd(0.5, 4, 1 + 1e-7, 2.5), 10, 3, 0, 5)
             + scrm.expected_purchases(scrm.bgnbd(0.5, 4, 1 - 1e-7, 2.5), 10, 3, 0, 5)) / 2)::numeric, 9) AS around_a_1;

-- data without heterogeneity (every customer alike): the likelihood has no
-- finite maximum, parameters run off; WARNING and converged = false
SELECT scrm.params(m)->'converged' AS converged, (scrm.params(m)->>'r')::float8 > 1e6 AS r_runs_off
FROM (SELECT scrm.bgnbd_fit(s) AS m
      FROM (SELECT scrm.rfm(t, 10, '2024-06-30') AS s
            FROM (SELECT c, timestamptz '2024-01-01' + (abs(hashint4(c * 100 + k)) % 180) * interval '1 day' AS t
                  FROM generate_series(1, 500) c, generate_series(0, c % 6) k) o
            GROUP BY c) x) f;

-- a fit that does not converge: WARNING and converged = false
SET scrm.fit_max_iterations = 2;
SELECT scrm.params(scrm.bgnbd_fit(x, tx, t))->'converged' AS converged FROM fixture.cdnow;
RESET scrm.fit_max_iterations;

-- 8. clv_simple: finite horizon by hand, infinite closed form, divergence
SELECT round(scrm.clv_simple(100, 0.8, 0.1, 3)::numeric, 6) AS three_years,
       round((100 * (0.8/1.1 + (0.8/1.1)^2 + (0.8/1.1)^3))::numeric, 6) AS by_hand,
       round(scrm.clv_simple(100, 0.8, 0.1)::numeric, 6) AS infinite,
       round((100 * 0.8 / (1.1 - 0.8))::numeric, 6) AS closed_form,
       scrm.clv_simple(100, 0.8, 0.1, 0) AS zero_years,
       scrm.clv_simple(NULL, 0.8, 0.1) IS NULL AS null_margin;
SELECT scrm.clv_simple(100, 1, 0);
SELECT scrm.clv_simple(100, 1.5, 0.1, 3);
SELECT scrm.clv_simple(100, 0.5, -1, 3);
