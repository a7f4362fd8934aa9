-- Every object of the extension with its markings: volatility, strictness,
-- parallel safety, security and whether it carries a comment.
SELECT p.oid::regprocedure AS function,
       p.provolatile AS volatility, p.proisstrict AS strict,
       p.proparallel AS parallel, p.prosecdef AS security_definer,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'social_crm'
ORDER BY p.oid::regprocedure::text;
-- nothing of the extension lives outside schema scrm
SELECT count(*) AS objects_outside_scrm
FROM pg_depend d
JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'social_crm'
JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE d.deptype = 'e' AND p.pronamespace <> 'scrm'::regnamespace;
