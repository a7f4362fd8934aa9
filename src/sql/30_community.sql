-- Communities and influence (SPEC section 2, second half).
--
-- Communities and modularity work on the undirected weighted graph (each
-- edge counts in both directions, duplicates add up).  Influence works on
-- the directed graph: edge u -> v means u influences v.  Randomised
-- functions take a seed and give the same result for the same input and
-- seed on every run.

CREATE FUNCTION scrm.communities(
    edges text,
    method text DEFAULT 'louvain',
    resolution float8 DEFAULT 1.0,
    seed integer DEFAULT 0)
RETURNS TABLE (node bigint, community bigint)
AS 'MODULE_PATHNAME', 'scrm_communities'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.communities(text, text, float8, integer) IS
  'Communities of the undirected weighted graph. edges: SQL returning source, target [, weight]. '
  'method: louvain (Blondel et al. 2008), leiden (Traag et al. 2019, refinement included; every '
  'community is connected) or label_propagation (Raghavan et al. 2007, stops after 1000 sweeps at '
  'most). resolution > 0 is the modularity resolution (larger: smaller communities). '
  'community = the smallest node id in the community.';

CREATE FUNCTION scrm.modularity(
    edges text,
    membership text,
    resolution float8 DEFAULT 1.0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_modularity'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000;

COMMENT ON FUNCTION scrm.modularity(text, text, float8) IS
  'Newman modularity of a partition of the undirected weighted graph (networkx and igraph '
  'semantics, a self-loop counting twice in the degree). edges: SQL returning source, target '
  '[, weight]; membership: SQL returning node, community (every node of the graph exactly once; '
  'extra nodes are ignored). NULL when the graph has no edge weight.';

CREATE FUNCTION scrm.influence_spread(
    edges text,
    seeds bigint[],
    model text DEFAULT 'independent_cascade',
    probability float8 DEFAULT NULL,
    simulations integer DEFAULT 1000,
    seed integer DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'scrm_influence_spread'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000;

COMMENT ON FUNCTION scrm.influence_spread(text, bigint[], text, float8, integer, integer) IS
  'Expected number of nodes activated by the seeds (seeds included) under the Independent Cascade '
  'model, by Monte Carlo over simulations live-edge worlds. edges: SQL returning source, target '
  '[, weight]; edge u -> v means u influences v. probability NULL: weighted cascade (weight / '
  'weighted in-degree of the target); a number in [0, 1]: that probability for every edge; -1: '
  'the edge weight (must be <= 1). Seeds outside the graph count once each.';

CREATE FUNCTION scrm.influence_maximization(
    edges text,
    k integer,
    model text DEFAULT 'independent_cascade',
    probability float8 DEFAULT NULL,
    simulations integer DEFAULT 1000,
    seed integer DEFAULT 0)
RETURNS TABLE (rank integer, node bigint, marginal_gain float8, spread float8)
AS 'MODULE_PATHNAME', 'scrm_influence_maximization'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 100000 ROWS 10;

COMMENT ON FUNCTION scrm.influence_maximization(text, integer, text, float8, integer, integer) IS
  'k seeds that maximise the Independent Cascade spread, by CELF lazy greedy (Leskovec et al. 2007) '
  'over simulations live-edge worlds shared by every candidate (ties to the smallest node id). '
  'Arguments as scrm.influence_spread. Returns each seed in order with its marginal gain and the '
  'spread of the seeds so far.';
