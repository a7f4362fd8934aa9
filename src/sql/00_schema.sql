-- social_crm install script, assembled from src/sql/*.sql by the Makefile.
\echo Use "CREATE EXTENSION social_crm" to load this file. \quit

COMMENT ON SCHEMA scrm IS
  'social_crm: Social CRM analytics (customer lifetime value, social value, community influence)';
