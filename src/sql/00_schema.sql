-- social_crm install script, assembled from src/sql/*.sql by the Makefile.
\echo Use "CREATE EXTENSION social_crm" to load this file. \quit

-- Never adopt a schema scrm that another role prepared (CREATE EXTENSION
-- uses an existing schema of that name): its owner, or anyone who may create
-- objects in it, could replace or shadow the extension's objects.
DO $$
DECLARE
  me oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) pg_catalog.current_user());
  ns pg_catalog.pg_namespace;
  other oid;
BEGIN
  SELECT * INTO ns FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'scrm';
  IF ns.nspowner OPERATOR(pg_catalog.<>) me THEN
    RAISE EXCEPTION 'schema scrm already exists and is owned by role %', ns.nspowner::pg_catalog.regrole
      USING ERRCODE = '42501',
            DETAIL = 'social_crm installs only into a schema scrm that it creates or that the installing role owns.',
            HINT = 'Drop or rename that schema, or have its owner hand it over with ALTER SCHEMA scrm OWNER TO '
                   || pg_catalog.quote_ident(pg_catalog.current_user()) || ' after checking what it holds.';
  END IF;
  SELECT a.grantee INTO other FROM pg_catalog.aclexplode(ns.nspacl) a
  WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE' AND a.grantee OPERATOR(pg_catalog.<>) me LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'schema scrm lets role % create objects in it',
                    CASE WHEN other OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE other::pg_catalog.regrole::pg_catalog.text END
      USING ERRCODE = '42501', HINT = 'REVOKE CREATE ON SCHEMA scrm FROM that role first.';
  END IF;
  SELECT x.owner INTO other FROM (
    SELECT c.relowner AS owner FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) ns.oid
    UNION ALL SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) ns.oid
    UNION ALL SELECT t.typowner FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) ns.oid
    UNION ALL SELECT o.oprowner FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) ns.oid) x
  WHERE x.owner OPERATOR(pg_catalog.<>) me LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'schema scrm already holds objects of role %', other::pg_catalog.regrole
      USING ERRCODE = '42501', HINT = 'Install social_crm into a schema scrm that holds no objects of other roles.';
  END IF;
END
$$;

COMMENT ON SCHEMA scrm IS
  'social_crm: Social CRM analytics (customer lifetime value, social value, community influence)';
