-- Every object of the extension with its markings: volatility, strictness,
-- parallel safety, security, the settings it runs with (every SQL and
-- PL/pgSQL function pins search_path; C functions resolve nothing through
-- it) and whether it carries a comment.
SELECT p.oid::regprocedure AS function,
       p.provolatile AS volatility, p.proisstrict AS strict,
       p.proparallel AS parallel, p.prosecdef AS security_definer,
       l.lanname AS language, p.proconfig AS config,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p
JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'social_crm'
ORDER BY p.oid::regprocedure::text;
-- no SQL or PL/pgSQL function of the extension runs with the caller's search_path
SELECT p.oid::regprocedure AS unpinned_function
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'scrm'::regnamespace AND l.lanname <> 'c' AND p.prokind <> 'a'
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
ORDER BY 1;
-- nothing of the extension lives outside schema scrm
SELECT count(*) AS objects_outside_scrm
FROM pg_depend d
JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'social_crm'
JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE d.deptype = 'e' AND p.pronamespace <> 'scrm'::regnamespace;
-- every aggregate is parallel safe with combine (and serial/deserial) functions
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggcombinefn <> 0 AS combine,
       a.aggserialfn <> 0 AS serial, a.aggdeserialfn <> 0 AS deserial, p.proparallel AS parallel
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'scrm'::regnamespace
ORDER BY a.aggfnoid::regprocedure::text;
-- types and operators
SELECT t.oid::regtype AS type, t.typlen, t.typalign, obj_description(t.oid, 'pg_type') IS NOT NULL AS commented
FROM pg_type t WHERE t.typnamespace = 'scrm'::regnamespace AND t.typtype IN ('b', 'c') AND t.typarray <> 0
ORDER BY t.oid::regtype::text;
SELECT o.oid::regoperator AS operator, o.oprcode::regproc AS function,
       obj_description(o.oid, 'pg_operator') IS NOT NULL AS commented
FROM pg_operator o WHERE o.oprnamespace = 'scrm'::regnamespace ORDER BY o.oid::regoperator::text;
