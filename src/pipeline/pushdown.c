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
#include "utils/array.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "nodes/value.h"

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
		ListCell   *lc;

		in->canonical = ScrmCanonicalParse(stored, input, &tree);
		(void) collect_relations((Node *) tree, &relids);
		foreach(lc, tree->targetList)
		{
			TargetEntry *te = lfirst_node(TargetEntry, lc);

			if (!te->resjunk && te->resname)
				in->columns = lappend(in->columns, makeString(pstrdup(te->resname)));
		}
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

/* Whether the stored query has a column of that name */
static bool
has_column(const ScrmStoredInput *in, const char *name)
{
	ListCell   *lc;

	foreach(lc, in->columns)
		if (strcmp(strVal(lfirst(lc)), name) == 0)
			return true;
	return false;
}

/* A constant array of SQL type type[] from n element texts */
static char *
array_literal(const char *const *elems, int n, const char *type)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;
	ArrayType  *a;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(elems[i]);
	a = construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT);
	return psprintf("%s::pg_catalog.text[]::%s[]",
					quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, PointerGetDatum(a))),
					type);
}

/*
 * The interactions wrapped: per customer the rows, the rows the rules of
 * run.c skip by reason (a NULL, infinite or after-as_of time), the time
 * range, the rows kept (those whose counterparty is not among the
 * excluded keys) and scrm._advocacy_events over them, scored with the
 * given kinds.  Each counterparty of a customer is numbered by its rank
 * among the customer's (0: the customer themself) and
 * counterparty_keys[rank] is its key as text.  as_of and half_life are
 * the texts of a timestamptz and an interval; excluded are ids of the run.
 */
char *
ScrmPushdownInteractions(const ScrmStoredInput *in, const struct ScrmKinds *kinds,
						 const char *as_of, const char *half_life,
						 const int64 *excluded, int nexcluded)
{
	StringInfoData sql;
	const char *key_type = format_type_be_qualified(in->key_type);
	bool		cp = has_column(in, "counterparty");
	char	  **names = palloc(sizeof(char *) * Max(kinds->n, 1));
	char	  **weights = palloc(sizeof(char *) * Max(kinds->n, 1));
	char	   *at = quote_literal_cstr(as_of);
	char	   *used,
			   *kept,
			   *kind;
	int			i;

	for (i = 0; i < kinds->n; i++)
	{
		names[i] = kinds->name[i];
		weights[i] = float8out_internal(kinds->weight[i]);
	}
	used = psprintf("(v.t IS NOT NULL AND pg_catalog.isfinite(v.t) AND v.t <= %s::pg_catalog.timestamptz)", at);
	if (cp && nexcluded > 0)
	{
		char	  **keys = palloc(sizeof(char *) * nexcluded);

		for (i = 0; i < nexcluded; i++)
		{
			CHECK_FOR_INTERRUPTS();
			keys[i] = ScrmRunKeyOut(excluded[i]);
		}
		kept = psprintf("(v.counterparty IS NULL OR NOT (v.counterparty OPERATOR(pg_catalog.=) ANY (%s)))",
						array_literal((const char *const *) keys, nexcluded, key_type));
	}
	else
		kept = "true";
	kind = has_column(in, "resolved") ?
		"CASE WHEN q.kind::pg_catalog.text OPERATOR(pg_catalog.=) 'complaint' AND q.resolved "
		"THEN 'complaint_resolved' ELSE q.kind::pg_catalog.text END" : "q.kind::pg_catalog.text";

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT g.customer, g.rows, g.null_time, g.infinite_time, g.after_as_of, g.time_from, "
					 "g.time_to, g.events, (g.a).positive, (g.a).negative, (g.a).distinct_counterparties, "
					 "(g.a).converted, (g.a).event_kind, (g.a).event_at, (g.a).event_counterparty, "
					 "(g.a).event_damping, (g.a).event_points, g.counterparty_keys "
					 "FROM (SELECT w.customer, pg_catalog.count(*) AS rows, "
					 "pg_catalog.count(*) FILTER (WHERE w.t IS NULL) AS null_time, "
					 "pg_catalog.count(*) FILTER (WHERE NOT pg_catalog.isfinite(w.t)) AS infinite_time, "
					 "pg_catalog.count(*) FILTER (WHERE pg_catalog.isfinite(w.t) AND w.t > %s::pg_catalog.timestamptz) AS after_as_of, "
					 "pg_catalog.min(w.t) FILTER (WHERE w.used) AS time_from, "
					 "pg_catalog.max(w.t) FILTER (WHERE w.used) AS time_to, "
					 "pg_catalog.count(*) FILTER (WHERE w.used AND w.kept) AS events, "
					 "scrm._advocacy_events(w.kind, w.t, w.cp, w.audience, %s::pg_catalog.timestamptz, "
					 "%s::pg_catalog.interval, %s, %s) FILTER (WHERE w.used AND w.kept) AS a, "
					 "pg_catalog.array_agg(w.who ORDER BY w.r) FILTER (WHERE w.first AND w.who IS NOT NULL) "
					 "AS counterparty_keys FROM (SELECT v.*, %s AS used, %s AS kept FROM ("
					 "SELECT q.customer, %s AS kind, q.occurred_at::pg_catalog.timestamptz AS t, %s AS audience, ",
					 at, at, quote_literal_cstr(half_life),
					 array_literal((const char *const *) names, kinds->n, "pg_catalog.text"),
					 array_literal((const char *const *) weights, kinds->n, "pg_catalog.float8"),
					 used, kept, kind,
					 has_column(in, "audience") ? "q.audience::pg_catalog.int8" : "NULL::pg_catalog.int8");
	if (cp)
		appendStringInfoString(&sql,
							   "q.counterparty, q.counterparty::pg_catalog.text AS who, "
							   "CASE WHEN q.counterparty IS NULL THEN NULL "
							   "WHEN q.counterparty OPERATOR(pg_catalog.=) q.customer THEN 0 "
							   "ELSE pg_catalog.dense_rank() OVER (PARTITION BY q.customer ORDER BY q.counterparty) END AS cp, "
							   "pg_catalog.dense_rank() OVER (PARTITION BY q.customer ORDER BY q.counterparty) AS r, "
							   "pg_catalog.row_number() OVER (PARTITION BY q.customer, q.counterparty) "
							   "OPERATOR(pg_catalog.=) 1 AS first ");
	else
		appendStringInfoString(&sql,
							   "NULL::pg_catalog.text AS counterparty, NULL::pg_catalog.text AS who, "
							   "NULL::pg_catalog.int8 AS cp, NULL::pg_catalog.int8 AS r, false AS first ");
	appendStringInfo(&sql, "FROM (%s) q) v) w GROUP BY w.customer) g", in->canonical);
	return sql.data;
}

/*
 * The surveys wrapped: per customer the rows, the rows the rules of run.c
 * skip by reason (a NULL, infinite or after-as_of time, then a NULL
 * score), the time range, the rows kept, a score out of the 0..10 range
 * among them, and the survey that counts: the latest answered since
 * survey_from, on a tie the lower score.  as_of and survey_from are texts
 * of timestamptz.
 */
char *
ScrmPushdownSurveys(const ScrmStoredInput *in, const char *as_of, const char *survey_from)
{
	StringInfoData sql;
	char	   *at = quote_literal_cstr(as_of);

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT g.customer, g.rows, g.null_time, g.infinite_time, g.after_as_of, g.null_score, "
					 "g.time_from, g.time_to, g.events, g.bad_score, g.at[1] AS survey_at, g.score[1] AS survey_score "
					 "FROM (SELECT w.customer, pg_catalog.count(*) AS rows, "
					 "pg_catalog.count(*) FILTER (WHERE w.t IS NULL) AS null_time, "
					 "pg_catalog.count(*) FILTER (WHERE NOT pg_catalog.isfinite(w.t)) AS infinite_time, "
					 "pg_catalog.count(*) FILTER (WHERE pg_catalog.isfinite(w.t) AND w.t > %s::pg_catalog.timestamptz) AS after_as_of, "
					 "pg_catalog.count(*) FILTER (WHERE w.time_ok AND w.score IS NULL) AS null_score, "
					 "pg_catalog.min(w.t) FILTER (WHERE w.used) AS time_from, "
					 "pg_catalog.max(w.t) FILTER (WHERE w.used) AS time_to, "
					 "pg_catalog.count(*) FILTER (WHERE w.used) AS events, "
					 "pg_catalog.min(w.score) FILTER (WHERE w.used AND (w.score < 0 OR w.score > 10)) AS bad_score, "
					 "pg_catalog.array_agg(w.t ORDER BY w.t DESC, w.score) FILTER (WHERE w.counts) AS at, "
					 "pg_catalog.array_agg(w.score ORDER BY w.t DESC, w.score) FILTER (WHERE w.counts) AS score "
					 "FROM (SELECT u.*, u.time_ok AND u.score IS NOT NULL AS used, "
					 "u.time_ok AND u.score IS NOT NULL AND u.t >= %s::pg_catalog.timestamptz AS counts "
					 "FROM (SELECT v.*, v.t IS NOT NULL AND pg_catalog.isfinite(v.t) AND v.t <= %s::pg_catalog.timestamptz AS time_ok "
					 "FROM (SELECT q.customer, q.score::pg_catalog.int8 AS score, "
					 "q.answered_at::pg_catalog.timestamptz AS t FROM (%s) q) v) u) w GROUP BY w.customer) g",
					 at, quote_literal_cstr(survey_from), at, in->canonical);
	return sql.data;
}
