/*-------------------------------------------------------------------------
 *
 * social_crm.c
 *	  Module magic, GUCs and the memory budget shared by all computations.
 *
 * Every large array (graph CSR, model working set) is allocated through
 * ScrmAlloc, which checks the running total against scrm.max_memory before
 * asking for memory, so an oversized input ends in a clean ERROR (54000)
 * rather than an out-of-memory kill.  Allocations use the "huge" API so a
 * budget above PostgreSQL's 1 GB single-allocation limit works.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>
#include <sys/mman.h>

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "input.h"
#include "social_crm.h"

PG_MODULE_MAGIC;

int			scrm_max_memory_kb = 1024 * 1024;	/* 1GB */
int			scrm_fit_max_iterations = 500;
int			scrm_leiden_iterations = 2;

void		_PG_init(void);

static const struct config_enum_entry pushdown_options[] = {
	{"off", SCRM_PUSHDOWN_OFF, false},
	{"on", SCRM_PUSHDOWN_ON, false},
	{"auto", SCRM_PUSHDOWN_AUTO, false},
	{NULL, 0, false}
};

/* Register the extension's GUCs */
void
_PG_init(void)
{
	DefineCustomIntVariable("scrm.max_memory",
							"Working memory social_crm may use in a session.",
							"The graphs, key dictionaries, model fits and summaries alive at "
							"once count together; beyond this they fail with an error "
							"instead of exhausting the server's memory.",
							&scrm_max_memory_kb,
							1024 * 1024,
							64,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("scrm.fit_max_iterations",
							"Optimiser iterations one model fit may take.",
							"A fit that does not converge within them gives a WARNING "
							"and a model marked not converged.",
							&scrm_fit_max_iterations,
							500,
							1,
							100000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("scrm.leiden_iterations",
							"Iterations of the Leiden algorithm in scrm.communities.",
							"Each iteration starts from the last partition and may "
							"improve it; the run stops early when an iteration changes "
							"nothing. -1 iterates until then (as igraph's n_iterations).",
							&scrm_leiden_iterations,
							2,
							-1,
							1000000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomEnumVariable("scrm.pushdown",
							 "Whether refresh summarises inputs per customer where they are stored.",
							 "auto: when an input reads a Citus distributed table, the per-customer "
							 "aggregates run on the workers and one row per customer reaches the "
							 "coordinator; on: always (one node too); off: never.",
							 &scrm_pushdown,
							 SCRM_PUSHDOWN_AUTO,
							 pushdown_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("scrm");
}

/*
 * scrm.max_memory bounds the working memory of the whole session, not of
 * one computation: a refresh keeps the shared graph while a graph step
 * builds its own, a function with text keys holds its key dictionary and
 * its graph.  Every budget adds what it holds to scrm_live_bytes; when its
 * context goes (ScrmBudgetRelease, or the end of the query or transaction,
 * an error's cleanup included) the callback below gives it back and
 * reports, at DEBUG1, the most it held at once: what the README's sizing
 * rule is measured with.
 */
static Size scrm_live_bytes = 0;

typedef struct ScrmBudgetState
{
	MemoryContextCallback callback;
	const char *what;
	Size		live;			/* bytes held now */
	Size		peak;			/* the most held at once */
} ScrmBudgetState;

static void
budget_gone(void *arg)
{
	ScrmBudgetState *state = (ScrmBudgetState *) arg;

	scrm_live_bytes -= Min(scrm_live_bytes, state->live);
	state->live = 0;
	elog(DEBUG1, "social_crm: %s used at most %zu kB of scrm.max_memory",
		 state->what, state->peak / 1024);
}

/* Start a budget whose memory lives in a new child of the current context */
void
ScrmBudgetInit(ScrmBudget *budget, const char *what)
{
	budget->context = AllocSetContextCreate(CurrentMemoryContext,
											"social_crm working memory",
											ALLOCSET_DEFAULT_SIZES);
	budget->limit = (Size) scrm_max_memory_kb * 1024;
	budget->used = 0;
	budget->expected = 0;
	budget->what = what;
	budget->state = MemoryContextAllocZero(budget->context, sizeof(ScrmBudgetState));
	budget->state->what = what;
	budget->state->callback.func = budget_gone;
	budget->state->callback.arg = budget->state;
	MemoryContextRegisterResetCallback(budget->context, &budget->state->callback);
}

/* Free everything the budget allocated */
void
ScrmBudgetRelease(ScrmBudget *budget)
{
	if (budget->context)
		MemoryContextDelete(budget->context);
	budget->context = NULL;
	budget->used = 0;
}

/* Account nmemb * size bytes, or raise 54000 naming the GUC */
static Size
budget_take(ScrmBudget *budget, Size nmemb, Size size)
{
	Size		bytes;
	Size		others = scrm_live_bytes - Min(scrm_live_bytes, budget->state->live);

	if (size != 0 && nmemb > (SIZE_MAX / 2) / size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s is too large", budget->what)));
	bytes = nmemb * size;
	if (bytes > budget->limit || budget->used + others > budget->limit - bytes)
	{
		/*
		 * What it needs: the input's estimate when known, else what it
		 * asks now (a lower bound), besides what the session holds
		 */
		Size		need = Max(budget->used + bytes, budget->expected);
		bool		estimated = need > budget->used + bytes;
		Size		total_mb = (need + others + (1 << 20) - 1) >> 20;

		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs more memory than scrm.max_memory allows",
						budget->what),
				 others > 0 ?
				 errdetail("It needs %s%zu kB, and other work of this session holds %zu kB; scrm.max_memory is %d kB.",
						   estimated ? "about " : "more than ",
						   need / 1024, others / 1024, scrm_max_memory_kb) :
				 errdetail("It needs %s%zu kB; scrm.max_memory is %d kB.",
						   estimated ? "about " : "more than ",
						   need / 1024, scrm_max_memory_kb),
				 errhint("Raise scrm.max_memory to %s%zu MB (SET scrm.max_memory = '%zuMB'), "
						 "or reduce the input.",
						 estimated ? "about " : "more than ",
						 total_mb, estimated ? total_mb : total_mb + total_mb / 2 + 1)));
	}
	budget->used += bytes;
	budget->state->live += bytes;
	budget->state->peak = Max(budget->state->peak, budget->state->live);
	scrm_live_bytes += bytes;
	return bytes;
}

/* Give bytes back (an array freed or shrunk) */
static void
budget_give(ScrmBudget *budget, Size bytes)
{
	bytes = Min(bytes, budget->used);
	budget->used -= bytes;
	budget->state->live -= Min(budget->state->live, bytes);
	scrm_live_bytes -= Min(scrm_live_bytes, bytes);
}

/* Bytes a budget may still take */
Size
ScrmBudgetRoom(const ScrmBudget *budget)
{
	Size		held = Max(budget->used, scrm_live_bytes);

	return budget->limit > held ? budget->limit - held : 0;
}

/*
 * Ask for transparent huge pages on the 2 MB-aligned interior of a big,
 * freshly allocated array: far fewer page faults when it is first touched.
 * Only a hint; harmless where unsupported.
 */
static void
advise_huge(void *ptr, Size bytes)
{
#if defined(MADV_HUGEPAGE)
	const uintptr_t huge = 2 * 1024 * 1024;
	uintptr_t	start = ((uintptr_t) ptr + huge - 1) & ~(huge - 1);
	uintptr_t	end = ((uintptr_t) ptr + bytes) & ~(huge - 1);

	if (bytes >= 2 * huge && end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/* Allocate an accounted array of nmemb elements of size bytes */
void *
ScrmAlloc(ScrmBudget *budget, Size nmemb, Size size)
{
	Size		bytes = budget_take(budget, nmemb, size);
	void	   *ptr = MemoryContextAllocHuge(budget->context, Max(bytes, 1));

	advise_huge(ptr, bytes);
	return ptr;
}

/* Same as ScrmAlloc, zero-filled */
void *
ScrmAlloc0(ScrmBudget *budget, Size nmemb, Size size)
{
	void	   *ptr = ScrmAlloc(budget, nmemb, size);

	memset(ptr, 0, Max(nmemb * size, 1));
	return ptr;
}

/* Grow (or shrink) an accounted array */
void *
ScrmRealloc(ScrmBudget *budget, void *ptr, Size old_nmemb, Size new_nmemb,
			Size size)
{
	if (ptr == NULL)
		return ScrmAlloc(budget, new_nmemb, size);
	if (new_nmemb > old_nmemb)
		budget_take(budget, new_nmemb - old_nmemb, size);
	else
		budget_give(budget, (old_nmemb - new_nmemb) * size);
	ptr = repalloc_huge(ptr, Max(new_nmemb * size, 1));
	if (new_nmemb > old_nmemb)
		advise_huge(ptr, new_nmemb * size);
	return ptr;
}

/*
 * Make room for element n of an accounted array of *cap elements, doubling
 * it when full.  The first allocation follows the planner's row estimate
 * (up to a third of the budget), so a well-estimated input is read without
 * copying.
 */
void *
ScrmGrow(ScrmBudget *budget, void *ptr, int64 *cap, int64 n, Size size,
		 double rows_estimate)
{
	int64		newcap;

	if (n < *cap)
		return ptr;
	newcap = Max(*cap * 2, 1024);
	if (*cap == 0)
		newcap = Max(newcap, (int64) Min(rows_estimate * 1.1,
										 (double) ScrmBudgetRoom(budget) / (3 * size)));
	ptr = ScrmRealloc(budget, ptr, *cap, newcap, size);
	*cap = newcap;
	return ptr;
}

/* Free an accounted array early, giving its bytes back to the budget */
void
ScrmFree(ScrmBudget *budget, void *ptr, Size nmemb, Size size)
{
	if (ptr == NULL)
		return;
	pfree(ptr);
	budget_give(budget, nmemb * size);
}

/* Error unless value is a finite number */
void
ScrmCheckFinite(const char *name, double value)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", name)));
}

/* Error unless 0 <= value <= 1 */
void
ScrmCheckProbability(const char *name, double value)
{
	if (isnan(value) || value < 0.0 || value > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1", name),
				 errdetail("The value given is %g.", value)));
}

/* Error (22004) when argument argno is NULL */
void
ScrmArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* Fetch a required text argument as a C string; NULL is an error */
const char *
ScrmTextArg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	ScrmArgNotNull(fcinfo, argno, name);
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* Seconds in an interval, as extract(epoch from interval) counts them */
double
ScrmIntervalSeconds(const Interval *iv)
{
	return iv->time / 1e6 + iv->day * (double) SECS_PER_DAY +
		iv->month * (DAYS_PER_YEAR * SECS_PER_DAY / MONTHS_PER_YEAR);
}

/* qsort comparator for int64 */
int
ScrmCmpInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Sort ids[0..n) and drop repeats; returns how many distinct ids remain */
int64
ScrmSortUnique(int64 *ids, int64 n)
{
	int64		i,
				m = 0;

	if (n > 1)
		ScrmSort(ids, n, sizeof(int64), ScrmCmpInt64);
	for (i = 0; i < n; i++)
		if (m == 0 || ids[i] != ids[m - 1])
			ids[m++] = ids[i];
	return m;
}

/* A plain two-argument comparator, for qsort_interruptible */
typedef struct PlainCmp
{
	int			(*cmp) (const void *, const void *);
} PlainCmp;

static int
call_plain_cmp(const void *a, const void *b, void *arg)
{
	return ((PlainCmp *) arg)->cmp(a, b);
}

/*
 * qsort that can be cancelled: PostgreSQL's qsort_interruptible checks for
 * interrupts as it partitions, so sorting millions of rows never holds up
 * a cancel for the whole sort
 */
void
ScrmSort(void *base, size_t n, size_t size, int (*cmp) (const void *, const void *))
{
	PlainCmp	c = {cmp};

	qsort_interruptible(base, n, size, call_plain_cmp, &c);
}

/*
 * Index of id in ids[0..n), ascending and distinct, or -1.  Serial ids
 * (ids[k] = ids[0] + k up to id) are found in one probe.
 */
int64
ScrmFindInt64(const int64 *ids, int64 n, int64 id)
{
	int64		lo = 0,
				hi = n - 1;

	if (n > 0 && id >= ids[0] && (uint64) id - (uint64) ids[0] < (uint64) n &&
		ids[id - ids[0]] == id)
		return id - ids[0];
	while (lo <= hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (ids[mid] == id)
			return mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * Index of a name (len bytes, unterminated) in names[0..n), sorted by
 * strcmp, or -1.
 */
int
ScrmFindName(char *const *names, int n, const char *name, int len)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = strncmp(name, names[mid], len);

		/* strcmp order: a proper prefix sorts first */
		if (c == 0)
			c = names[mid][len] == '\0' ? 0 : -1;
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

/*
 * Read a kind table (kind, weight [, flag_column]) into kinds, allocated in
 * cxt.  A row without a kind, a finite weight or its flag is an error (the
 * tables' constraints rule them out).
 */
void
ScrmLoadKinds(const char *table, const char *flag_column, MemoryContext cxt,
			  ScrmKinds *kinds)
{
	StringInfoData sql;
	MemoryContext old;
	uint64		i;
	int			nest;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT kind, weight::pg_catalog.float8%s%s FROM %s "
					 "ORDER BY kind COLLATE pg_catalog.\"C\"",
					 flag_column ? ", " : "", flag_column ? flag_column : "", table);
	nest = ScrmPinSettings();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read %s", table);
	old = MemoryContextSwitchTo(cxt);
	kinds->n = (int) SPI_processed;
	kinds->name = palloc0(sizeof(char *) * Max(kinds->n, 1));
	kinds->weight = palloc0(sizeof(double) * Max(kinds->n, 1));
	kinds->flag = palloc0(sizeof(bool) * Max(kinds->n, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		wnull,
					fnull = false;
		char	   *name = SPI_getvalue(tup, desc, 1);
		Datum		w = SPI_getbinval(tup, desc, 2, &wnull);

		if (flag_column)
			kinds->flag[i] = DatumGetBool(SPI_getbinval(tup, desc, 3, &fnull));
		if (name == NULL || wnull || fnull || !isfinite(DatumGetFloat8(w)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 flag_column ?
					 errmsg("%s has a row without a kind, a finite weight or %s",
							table, flag_column) :
					 errmsg("%s has a row without a kind or a finite weight", table)));
		kinds->name[i] = pstrdup(name);
		kinds->weight[i] = DatumGetFloat8(w);
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	ScrmUnpinSettings(nest);
	pfree(sql.data);
}

/* A survey answer must be on the 0..10 scale (NPS) */
void
ScrmCheckSurveyScore(int64 score)
{
	if (score < 0 || score > 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survey score must be between 0 and 10"),
				 errdetail("score is %lld.", (long long) score)));
}

/* Error: a customer_value query gave customer id twice */
void
ScrmDuplicateCustomer(const struct ScrmKeys *keys, int64 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("customer %s appears more than once in the customer_value query",
					ScrmKeysOut(keys, id)),
			 errhint("Give each customer exactly one row.")));
}

/* The value column of a customer_value row: not NULL (22004), finite (22023) */
double
ScrmCustomerValue(const struct ScrmKeys *keys, int64 id, Datum value,
				  bool isnull)
{
	double		v;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customer_value query returned a null value"),
				 errdetail("Customer %s has a null value.", ScrmKeysOut(keys, id)),
				 errhint("Use coalesce(value, 0) AS value to count it as worth nothing.")));
	v = DatumGetFloat8(value);
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer value must be a finite number"),
				 errdetail("Customer %s has value %g.", ScrmKeysOut(keys, id), v)));
	return v;
}

/* Point buf at the bytes of a bytea, for pq_getmsg* reads (no copy) */
void
ScrmBytesReader(StringInfo buf, bytea *bytes)
{
	buf->data = VARDATA_ANY(bytes);
	buf->len = buf->maxlen = VARSIZE_ANY_EXHDR(bytes);
	buf->cursor = 0;
}

/*
 * A float8 result as a Datum: finite, else 22003 (never a silent NaN or
 * Infinity).  what names the value in the message.
 */
Datum
ScrmFiniteDatum(const char *what, double v)
{
	if (unlikely(!isfinite(v)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what),
				 errdetail(isnan(v) ? "The computation overflows double precision and has no value." :
						   "The result overflows double precision.")));
	return Float8GetDatum(v);
}
