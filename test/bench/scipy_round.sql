-- One round of the BG/NBD fit against scipy (bench.sql includes it once per
-- round): scipy in a process of its own, then ours, once each
\set sp `/usr/bin/python3 test/bench/scipy_bgnbd.py sql/data/cdnow_customers_summary.csv 100 1 | cut -d' ' -f1`
INSERT INTO ab_fit VALUES ('scipy', :'sp');
INSERT INTO ab_fit SELECT 'ours', bench.time_ms('SELECT scrm.bgnbd_fit(x, tx, t) FROM bench.cdnow100', 1);
