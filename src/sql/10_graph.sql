-- Graph engine (SPEC section 2): functions over an edges inner query.
--
-- Every function reads its edges from SQL text run as the caller, with
-- columns found by name: source and target (smallint, integer or bigint)
-- and, where weights apply, an optional weight (any numeric type, finite,
-- >= 0, default 1).  Duplicate (source, target) rows are merged by adding
-- their weights.  They are VOLATILE (they run a query) and PARALLEL
-- RESTRICTED (the inner query may read temporary tables).

CREATE FUNCTION scrm.pagerank(
    edges text,
    damping float8 DEFAULT 0.85,
    max_iterations integer DEFAULT 100,
    tolerance float8 DEFAULT 1e-6,
    directed boolean DEFAULT true,
    personalization text DEFAULT NULL)
RETURNS TABLE (node bigint, score float8)
AS 'MODULE_PATHNAME', 'scrm_pagerank'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 10000 ROWS 1000;

COMMENT ON FUNCTION scrm.pagerank(text, float8, integer, float8, boolean, text) IS
  'PageRank with networkx semantics. edges: SQL returning source, target [, weight]. '
  'Weighted transitions; dangling mass spread like the personalization vector; teleport to it '
  '(uniform when personalization is NULL). personalization: SQL returning node, weight '
  '(nodes not in the graph are ignored). Stops when the L1 change < n * tolerance; '
  'not converging is a WARNING and the last iterate is returned. Scores sum to 1.';

CREATE FUNCTION scrm.degree(
    edges text,
    directed boolean DEFAULT true)
RETURNS TABLE (node bigint, in_degree float8, out_degree float8)
AS 'MODULE_PATHNAME', 'scrm_degree'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.degree(text, boolean) IS
  'Weighted in- and out-degree of every node. edges: SQL returning source, target [, weight]. '
  'Undirected: both columns hold the weighted degree, a self-loop counting twice.';

CREATE FUNCTION scrm.components(edges text)
RETURNS TABLE (node bigint, component bigint)
AS 'MODULE_PATHNAME', 'scrm_components'
LANGUAGE C VOLATILE PARALLEL RESTRICTED COST 1000 ROWS 1000;

COMMENT ON FUNCTION scrm.components(text) IS
  'Weakly connected components. edges: SQL returning source, target (a weight column is ignored). '
  'component = the smallest node id in the component.';
