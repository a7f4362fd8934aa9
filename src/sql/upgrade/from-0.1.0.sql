-- Changes to objects of 0.1.0 that no CREATE OR REPLACE or ALTER can make.
-- Runs first in the upgrade script from 0.1.0 (see the Makefile).

-- scrm.rfm states its average state size (SSPACE) since 0.2.0, so the planner
-- keeps GROUP BY customer in memory.  There is no ALTER AGGREGATE for it, and
-- dropping the aggregate would break the user's views that call it.
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 400
WHERE aggfnoid IN ('scrm.rfm(timestamptz, float8, timestamptz)'::pg_catalog.regprocedure,
                   'scrm.rfm(timestamptz, float8, timestamptz, interval)'::pg_catalog.regprocedure);
