/*-------------------------------------------------------------------------
 *
 * trust.c
 *	  Who an inner query runs as, and what it may do (README "Security").
 *
 * The trust rules are PostgreSQL's own for stored code (REFRESH
 * MATERIALIZED VIEW, and maintenance commands since the CVE-2022-1552
 * fix): a query stored by scrm.configure runs as the role that configured
 * it, under a security-restricted operation, with a pinned search_path and
 * pinned parse settings, whoever calls scrm.refresh.  Every inner query,
 * stored or passed by the caller, runs inside a read-only subtransaction
 * that is rolled back when its rows have been read:
 *
 *	- transaction_read_only refuses writes to tables and permanent
 *	  sequences (also inside functions the query calls);
 *	- the rollback undoes whatever still got written (temporary tables),
 *	  the settings it changed (set_config), the notifications it sent and
 *	  the transaction-level locks it took;
 *	- what a rollback cannot undo is refused: read-only mode refuses
 *	  nextval and setval on permanent sequences (sequences are not
 *	  transactional), and a session-level advisory lock the query took is
 *	  released and the query fails (the locks held are compared before and
 *	  after: built-in functions bypass fmgr's hooks).
 *
 * Stored queries are kept in a canonical form: scrm.configure parses the
 * text as the caller wrote it (their search_path, their
 * standard_conforming_strings) and stores PostgreSQL's own deparsed form
 * of the parse tree, every name outside pg_catalog schema-qualified, as a
 * view's definition is kept.  refresh parses that text again under the
 * same pinned settings, so names resolve exactly as at configure time and
 * no setting of the refreshing session changes what runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "storage/lock.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "input.h"
#include "social_crm.h"

/*
 * The advisory locks this backend holds (granted), copied into cxt; *n is
 * set to their number.  Built-in functions bypass fmgr's hooks, so the
 * sandbox compares these before and after an inner query instead.
 */
static LockInstanceData *
advisory_locks(MemoryContext cxt, int *n)
{
	LockData   *all = GetLockStatusData();
	LockInstanceData *mine = MemoryContextAlloc(cxt, sizeof(LockInstanceData) * Max(all->nelements, 1));
	int			i;

	*n = 0;
	for (i = 0; i < all->nelements; i++)
		if (all->locks[i].pid == MyProcPid && all->locks[i].holdMask != 0 &&
			all->locks[i].locktag.locktag_type == LOCKTAG_ADVISORY)
			mine[(*n)++] = all->locks[i];
	pfree(all->locks);
	pfree(all);
	return mine;
}

/*
 * Release the session-level advisory locks an inner query took (those held
 * now and not at the start; its transaction-level ones went with its
 * subtransaction) and say whether there were any.
 */
static bool
release_new_advisory_locks(ScrmSandbox *sb)
{
	int			n,
				i,
				j;
	LockInstanceData *now = advisory_locks(sb->cxt, &n);
	bool		found = false;

	for (i = 0; i < n; i++)
	{
		LOCKMODE	mode;

		for (j = 0; j < sb->nlocks; j++)
			if (memcmp(&now[i].locktag, &sb->locks[j].locktag, sizeof(LOCKTAG)) == 0)
				break;
		if (j < sb->nlocks)
			continue;
		found = true;
		for (mode = 1; mode <= MaxLockMode; mode++)
			if (now[i].holdMask & LOCKBIT_ON(mode))
			{
				while (LockHeldByMe(&now[i].locktag, mode) &&
					   LockRelease(&now[i].locktag, mode, true))
					;
				/* without a subtransaction (parallel mode): also its own */
				while (sb->parallel && LockHeldByMe(&now[i].locktag, mode) &&
					   LockRelease(&now[i].locktag, mode, false))
					;
			}
	}
	pfree(now);
	return found;
}

/* Set a GUC for the current GUC nest level only */
static void
pin_setting(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * Open a GUC nest level with the settings under which stored queries are
 * parsed and deparsed: a search_path of pg_catalog and pg_temp only, and
 * the parse and print settings pg_dump uses.  ScrmUnpinSettings undoes it.
 */
int
ScrmPinSettings(void)
{
	int			nest = NewGUCNestLevel();

	pin_setting("search_path", "pg_catalog, pg_temp");
	pin_setting("standard_conforming_strings", "on");
	pin_setting("datestyle", "ISO, MDY");
	pin_setting("intervalstyle", "postgres");
	pin_setting("extra_float_digits", "3");
	return nest;
}

void
ScrmUnpinSettings(int nest)
{
	AtEOXact_GUC(true, nest);
}

/*
 * Enter the sandbox of an inner query: a subtransaction in read-only mode,
 * run as role under a security-restricted operation with pinned settings
 * when role is valid (a stored query), else as the caller with theirs.
 */
void
ScrmSandboxEnter(ScrmSandbox *sb, Oid role)
{
	sb->cxt = CurrentMemoryContext;
	sb->owner = CurrentResourceOwner;
	sb->locks = advisory_locks(sb->cxt, &sb->nlocks);
	sb->parallel = IsInParallelMode();
	if (sb->parallel)
	{
		/*
		 * A query that runs a parallel plan (this function above a Gather)
		 * can start no subtransaction, but parallel mode itself refuses
		 * every write, sequence step and change of a setting.  Stored
		 * queries need their settings pinned: refresh never runs them so.
		 */
		if (OidIsValid(role))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
					 errmsg("the configured queries of social_crm cannot run during a parallel operation")));
		return;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(sb->cxt);
	if (OidIsValid(role))
	{
		int			sec_context;
		Oid			userid;

		GetUserIdAndSecContext(&userid, &sec_context);
		SetUserIdAndSecContext(role, sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		(void) ScrmPinSettings();
	}
	pin_setting("transaction_read_only", "on");
}

/*
 * On a Citus coordinator, make the workers' part of an inner query
 * read-only too: the functions a query calls run on the workers when its
 * rows are there, in remote transactions that the sandbox's
 * transaction_read_only does not reach.  SET TRANSACTION READ ONLY, with
 * Citus's propagation of transaction settings pinned on, goes to every
 * worker transaction of the subtransaction, open or opened later, and is
 * rolled back with it; so does SET LOCAL TimeZone.  Call inside the
 * sandbox, connected to SPI.
 */
void
ScrmSandboxWorkersReadOnly(void)
{
	/* (parallel mode refuses every write, and any change of a setting) */
	if (IsInParallelMode() ||
		GetConfigOption("citus.propagate_set_commands", true, false) == NULL)
		return;
	pin_setting("citus.propagate_set_commands", "local");
	if (SPI_execute("SET TRANSACTION READ ONLY", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not make the inner query read-only on the workers");
	/*
	 * and in the time zone of the configuration, in force here: the workers
	 * would read local times and days in their own
	 */
	if (SPI_execute(psprintf("SET LOCAL TimeZone TO %s",
							 quote_literal_cstr(GetConfigOption("TimeZone", false, false))),
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not set the inner query's time zone on the workers");
}

/*
 * Leave the sandbox: roll the subtransaction back (user, settings and
 * anything written go with it) and release the session-level advisory
 * locks the query took, an error unless failed (the error path, before
 * the error is thrown on).
 */
void
ScrmSandboxLeave(ScrmSandbox *sb, bool failed)
{
	bool		locked;

	if (!sb->parallel)
	{
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(sb->cxt);
		CurrentResourceOwner = sb->owner;
	}
	locked = release_new_advisory_locks(sb);
	pfree(sb->locks);
	if (locked && !failed)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("inner queries cannot take advisory locks"),
				 errdetail("Inner queries only read; a session-level advisory lock would outlive them. "
						   "It was released.")));
}

/*
 * Check that query is one statement that only reads, and return its
 * canonical text: the parse tree as PostgreSQL deparses it under the
 * pinned settings (every name outside pg_catalog schema-qualified,
 * comments and trailing semicolons gone).  Parsed as the caller, with
 * the caller's search_path and standard_conforming_strings.
 */
char *
ScrmCanonicalQuery(const char *query, const char *what)
{
	return ScrmCanonicalParse(query, what, NULL);
}

/* ScrmCanonicalQuery, and the parse tree it deparsed in *tree when given */
char *
ScrmCanonicalParse(const char *query, const char *what, Query **tree)
{
	List	   *raw = raw_parser(query, RAW_PARSE_DEFAULT);
	RawStmt    *stmt;
	Query	   *q;
	char	   *text;
	int			nest;

	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s query must be a single SELECT statement", what),
				 errdetail("The query text holds %d statements.", list_length(raw))));
	stmt = linitial_node(RawStmt, raw);
	if (!IsA(stmt->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s query must be a read-only SELECT", what),
				 errdetail("The query is a %s statement.",
						   GetCommandTagName(CreateCommandTag(stmt->stmt))),
				 errhint("Inner queries only read; they never modify data.")));
	q = parse_analyze_fixedparams(stmt, query, NULL, 0, NULL);
	ScrmCheckReadOnly(q, what, "SELECT");
	nest = ScrmPinSettings();
	text = pg_get_querydef(q, false);
	ScrmUnpinSettings(nest);
	if (tree)
		*tree = q;
	return text;
}

/* Refuse a parsed query that is not a plain read-only SELECT */
void
ScrmCheckReadOnly(Query *q, const char *what, const char *tag)
{
	if (q->commandType != CMD_SELECT || q->utilityStmt != NULL ||
		q->hasModifyingCTE || q->rowMarks != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s query must be a read-only SELECT", what),
				 errdetail("The query is a %s statement%s.", tag,
						   q->hasModifyingCTE ? " with a data-modifying WITH" :
						   q->rowMarks != NIL ? " that locks rows" : ""),
				 errhint("Inner queries only read; they never modify data.")));
}

/* The oid of scrm.<name>, a relation of the extension */
static Oid
scrm_relation(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("scrm", false));

	if (!OidIsValid(relid))
		elog(ERROR, "relation scrm.%s does not exist", name);
	return relid;
}

/*
 * The stored query of a pipeline input and the role that configured it,
 * or NULL when the input is not configured.  Running stored queries is
 * the right of who may refresh: INSERT on scrm.customer_score.
 */
char *
ScrmStoredQuery(const char *input, Oid *role, char **time_zone, Oid *key_type)
{
	static const char *const inputs[] = {"customers", "purchases", "relationships",
	"interactions", "referrals", "surveys", "segments", "contracts"};
	StringInfoData sql;
	MemoryContext cxt = CurrentMemoryContext;
	char	   *query = NULL;
	bool		isnull;
	int			i,
				nest;

	for (i = 0; i < lengthof(inputs); i++)
		if (strcmp(inputs[i], input) == 0)
			break;
	if (i == lengthof(inputs))
		elog(ERROR, "unknown pipeline input \"%s\"", input);
	if (pg_class_aclcheck(scrm_relation("customer_score"), GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to run the configured queries of social_crm"),
				 errdetail("Running them is part of scrm.refresh and needs INSERT on scrm.customer_score."),
				 errhint("See the section Security of the README for the grants of each role.")));
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s, configured_by, time_zone, key_type FROM scrm.config", inputs[i]);
	nest = ScrmPinSettings();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read scrm.config");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("social_crm is not configured"),
				 errhint("Call scrm.configure(customers, purchases, ...) first.")));
	*role = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull || !SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(*role)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the role that configured social_crm no longer exists"),
				 errhint("Call scrm.configure again as the role the queries should run as.")));
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			query = MemoryContextStrdup(cxt, TextDatumGetCString(d));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
		*time_zone = MemoryContextStrdup(cxt, TextDatumGetCString(d));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull);
		*key_type = DatumGetObjectId(d);
	}
	SPI_finish();
	ScrmUnpinSettings(nest);
	pfree(sql.data);
	return query;
}
