/*-------------------------------------------------------------------------
 *
 * pushdown.c
 *	  Per-customer work where the rows are: a stored input wrapped in an
 *	  aggregate grouped by customer, so that on a Citus cluster whose
 *	  tables are distributed by customer the workers summarise their own
 *	  shards and only one row per customer reaches the coordinator.
 *
 * The wrapped query is built from the stored query only after the check
 * every stored query gets: it is parsed again under the pinned settings,
 * must be one read-only SELECT, and is deparsed by PostgreSQL
 * (ScrmCanonicalQuery); that text, not the stored one, goes inside the
 * wrapper, whose other parts are ours (names schema-qualified, constants
 * quoted by quote_literal).  The result runs like any stored query: as the
 * configurer, in the read-only sandbox of trust.c.
 *
 * Whether to push down is the setting scrm.pushdown: auto (default) when
 * the stored query reads a Citus distributed table, on, or off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "input.h"
#include "social_crm.h"

int			scrm_pushdown = SCRM_PUSHDOWN_AUTO;

/* Collect the relations a query reads, subqueries and CTEs included */
static bool
collect_relations(Node *node, List **relids)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_RELATION)
				*relids = lappend_oid(*relids, rte->relid);
		}
		return query_tree_walker(q, collect_relations, relids, 0);
	}
	return expression_tree_walker(node, collect_relations, relids);
}

/* Whether one of relids is a Citus distributed table (false without Citus) */
static bool
any_distributed(List *relids)
{
	bool		found = false;
	ListCell   *lc;
	int			nest;

	if (relids == NIL || !OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	nest = ScrmPinSettings();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	foreach(lc, relids)
	{
		Datum		arg = ObjectIdGetDatum(lfirst_oid(lc));
		Oid			argtype = OIDOID;

		if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1",
								  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading pg_dist_partition failed");
		if (SPI_processed > 0)
		{
			found = true;
			break;
		}
	}
	SPI_finish();
	ScrmUnpinSettings(nest);
	return found;
}

/*
 * Read the stored input once (in), its query checked and deparsed again as
 * the configurer under the pinned settings: names resolve with their
 * rights (a refresher need not see the CRM's schemas) and nothing runs.
 * Returns whether refresh should push its per-customer work down: the
 * setting scrm.pushdown, auto when the query reads a Citus distributed
 * table; false when the input is not configured.
 */
bool
ScrmPushdownInput(const char *input, ScrmStoredInput *in)
{
	char	   *stored;
	Query	   *tree = NULL;
	List	   *relids = NIL;
	Oid			save_userid;
	int			save_sec;
	int			nest;

	if (scrm_pushdown == SCRM_PUSHDOWN_OFF)
		return false;
	memset(in, 0, sizeof(*in));
	in->input = input;
	stored = ScrmStoredQuery(input, &in->role, &in->time_zone, &in->key_type);
	if (stored == NULL)
		return false;
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(in->role, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	nest = ScrmPinSettings();
	PG_TRY();
	{
		in->canonical = ScrmCanonicalParse(stored, input, &tree);
		(void) collect_relations((Node *) tree, &relids);
	}
	PG_FINALLY();
	{
		ScrmUnpinSettings(nest);
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	return scrm_pushdown == SCRM_PUSHDOWN_ON || any_distributed(relids);
}

/*
 * The purchases wrapped: per customer the rows, the rows the rules of
 * run.c skip by reason (a NULL, infinite or after-the-as_of-day time; a
 * NULL or non-finite amount), the time range and the scrm.rfm summary of
 * the rows used.  as_of_day is the local date of as_of (the configured
 * time zone is in force while stored queries run).
 */
char *
ScrmPushdownPurchases(const char *canonical, const char *as_of, const char *as_of_day,
					  const char *period)
{
	StringInfoData sql;
	const char *t = "q.purchased_at::pg_catalog.timestamptz";
	char	   *day = quote_literal_cstr(as_of_day);
	char	   *time_ok,
			   *used;

	time_ok = psprintf("pg_catalog.isfinite(%s) AND %s::pg_catalog.date <= %s::pg_catalog.date", t, t, day);
	used = psprintf("%s AND q.amount IS NOT NULL AND q.amount::pg_catalog.float8 "
					"NOT IN ('NaN'::pg_catalog.float8, 'Infinity'::pg_catalog.float8, '-Infinity'::pg_catalog.float8)",
					time_ok);
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT g.customer, g.rows, g.null_time, g.infinite_time, g.after_as_of, g.null_amount, "
					 "g.non_finite_amount, g.time_from, g.time_to, (g.s).frequency, (g.s).recency, (g.s).age, "
					 "(g.s).monetary FROM (SELECT q.customer, pg_catalog.count(*) AS rows, "
					 "pg_catalog.count(*) FILTER (WHERE q.purchased_at IS NULL) AS null_time, "
					 "pg_catalog.count(*) FILTER (WHERE NOT pg_catalog.isfinite(%s)) AS infinite_time, "
					 "pg_catalog.count(*) FILTER (WHERE pg_catalog.isfinite(%s) AND %s::pg_catalog.date > %s::pg_catalog.date) AS after_as_of, "
					 "pg_catalog.count(*) FILTER (WHERE %s AND q.amount IS NULL) AS null_amount, "
					 "pg_catalog.count(*) FILTER (WHERE %s AND q.amount IS NOT NULL AND NOT (%s)) AS non_finite_amount, "
					 "pg_catalog.min(%s) FILTER (WHERE %s) AS time_from, pg_catalog.max(%s) FILTER (WHERE %s) AS time_to, "
					 "scrm.rfm(%s, q.amount::pg_catalog.float8, %s::pg_catalog.timestamptz, %s::pg_catalog.interval) "
					 "FILTER (WHERE %s) AS s "
					 "FROM (%s) q GROUP BY q.customer) g",
					 t, t, t, day, time_ok, time_ok, used, t, used, t, used,
					 t, quote_literal_cstr(as_of), quote_literal_cstr(period), used, canonical);
	return sql.data;
}
