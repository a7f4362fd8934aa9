-- Keyed forms (SPEC section 2): the graph and social functions over keys of
-- any type.  Each takes the key type as a first argument more, given as a NULL
-- array of it (NULL::uuid[], NULL::text[], NULL::varchar[], NULL::integer[],
-- ...), and returns the keys in that type, so results join the CRM's tables
-- directly:
--
--   SELECT c.name, p.score
--   FROM scrm.pagerank(NULL::uuid[], 'SELECT from_id AS source, to_id AS target FROM crm.ties') p
--   JOIN crm.contact c ON c.id = p.node;
--
-- An array type, not the key type itself: NULL::text would also fit the
-- edges text argument of the bigint forms, and PostgreSQL would pick those.
--
-- Every key column of the inner queries must have that type (integer types
-- mix, and so do text, varchar and char(n), whose padding is dropped as
-- char(n)::text drops it); any type with default btree and hash operator
-- classes works.  Keys are dictionary-encoded once as they are read and
-- numbered in key order (bytes for uuid and text, i.e. COLLATE "C" order;
-- the btree order for other types), so "smallest" in the descriptions below
-- means first in that order and results do not depend on row order.  The
-- bigint forms are unchanged.  Every function here is CREATE OR REPLACE so
-- that an upgrade script can run this file again.

CREATE OR REPLACE FUNCTION scrm.pagerank(
    key_type anyarray,
    edges text,
    damping float8 DEFAULT 0.85,
    max_iterations integer DEFAULT 100,
    tolerance float8 DEFAULT 1e-6,
    directed boolean DEFAULT true,
    personalization text DEFAULT NULL)
RETURNS TABLE (node anyelement, score float8)
AS 'MODULE_PATHNAME', 'scrm_pagerank'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.pagerank(anyarray, text, float8, integer, float8, boolean, text) IS
  'scrm.pagerank over keys of the element type of key_type (e.g. NULL::uuid[]): source, target and personalization '
  'node of that type, node returned in it.';

CREATE OR REPLACE FUNCTION scrm.degree(
    key_type anyarray,
    edges text,
    directed boolean DEFAULT true)
RETURNS TABLE (node anyelement, in_degree float8, out_degree float8)
AS 'MODULE_PATHNAME', 'scrm_degree'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.degree(anyarray, text, boolean) IS
  'scrm.degree over keys of the element type of key_type (e.g. NULL::uuid[]).';

CREATE OR REPLACE FUNCTION scrm.components(key_type anyarray, edges text)
RETURNS TABLE (node anyelement, component anyelement)
AS 'MODULE_PATHNAME', 'scrm_components'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.components(anyarray, text) IS
  'scrm.components over keys of the element type of key_type (e.g. NULL::uuid[]); component = the smallest key in the '
  'component (bytes order for uuid and text).';

CREATE OR REPLACE FUNCTION scrm.communities(
    key_type anyarray,
    edges text,
    method text DEFAULT 'louvain',
    resolution float8 DEFAULT 1.0,
    seed integer DEFAULT 0)
RETURNS TABLE (node anyelement, community anyelement)
AS 'MODULE_PATHNAME', 'scrm_communities'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.communities(anyarray, text, text, float8, integer) IS
  'scrm.communities over keys of the element type of key_type (e.g. NULL::uuid[]); community = the smallest key in the '
  'community (bytes order for uuid and text), nodes visited in that order.';

CREATE OR REPLACE FUNCTION scrm.modularity(
    key_type anyarray,
    edges text,
    membership text,
    resolution float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_modularity'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000;

COMMENT ON FUNCTION scrm.modularity(anyarray, text, text, float8) IS
  'scrm.modularity over keys of the element type of key_type (e.g. NULL::uuid[]); the community labels of membership '
  'may have any type with default btree and hash operator classes.';

CREATE OR REPLACE FUNCTION scrm.influence_spread(
    key_type anyarray,
    edges text,
    seeds anyarray,
    model text DEFAULT 'independent_cascade',
    probability float8 DEFAULT NULL,
    simulations integer DEFAULT 1000,
    seed integer DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_influence_spread'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000;

COMMENT ON FUNCTION scrm.influence_spread(anyarray, text, anyarray, text, float8, integer, integer) IS
  'scrm.influence_spread over keys of the element type of key_type (e.g. NULL::uuid[]), seeds an array of that type too. '
  'The live-edge worlds are drawn from the node numbers, so a graph keyed another way draws other '
  'worlds (the same expectation).';

CREATE OR REPLACE FUNCTION scrm.influence_maximization(
    key_type anyarray,
    edges text,
    k integer,
    model text DEFAULT 'independent_cascade',
    probability float8 DEFAULT NULL,
    simulations integer DEFAULT 1000,
    seed integer DEFAULT 0)
RETURNS TABLE (rank integer, node anyelement, marginal_gain float8, spread float8)
AS 'MODULE_PATHNAME', 'scrm_influence_maximization'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 100000 ROWS 10;

COMMENT ON FUNCTION scrm.influence_maximization(anyarray, text, integer, text, float8, integer, integer) IS
  'scrm.influence_maximization over keys of the element type of key_type (e.g. NULL::uuid[]); ties go to the smallest '
  'key (bytes order for uuid and text).';

CREATE OR REPLACE FUNCTION scrm.influence_value(
    key_type anyarray,
    edges text,
    customer_value text,
    autonomy float8 DEFAULT 1.0,
    hop_continuation float8 DEFAULT 0.5)
RETURNS TABLE (node anyelement, influence_value float8, retained_share float8)
AS 'MODULE_PATHNAME', 'scrm_influence_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.influence_value(anyarray, text, text, float8, float8) IS
  'scrm.influence_value over keys of the element type of key_type (e.g. NULL::uuid[]).';

CREATE OR REPLACE FUNCTION scrm.churn_impact(
    key_type anyarray,
    edges text,
    customer_value text,
    contagion float8 DEFAULT 0.8,
    half_life_months float8 DEFAULT 3,
    horizon_months float8 DEFAULT 12)
RETURNS TABLE (node anyelement, own_value float8, contagion_loss float8,
               loss_if_churned float8, value_at_risk float8)
AS 'MODULE_PATHNAME', 'scrm_churn_impact'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.churn_impact(anyarray, text, text, float8, float8, float8) IS
  'scrm.churn_impact over keys of the element type of key_type (e.g. NULL::uuid[]).';

CREATE OR REPLACE FUNCTION scrm.referral_value(
    key_type anyarray,
    referrals text,
    customer_value text,
    incrementality float8 DEFAULT 0.5,
    acquisition_saving float8 DEFAULT 0)
RETURNS TABLE (node anyelement, referral_value float8, referred integer)
AS 'MODULE_PATHNAME', 'scrm_referral_value'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.referral_value(anyarray, text, text, float8, float8) IS
  'scrm.referral_value over keys of the element type of key_type (e.g. NULL::uuid[]).';
