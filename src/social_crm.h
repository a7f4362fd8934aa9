/*-------------------------------------------------------------------------
 *
 * social_crm.h
 *	  Shared declarations of the social_crm extension: the memory budget
 *	  (GUC scrm.max_memory) and small helpers used by every domain.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SOCIAL_CRM_H
#define SOCIAL_CRM_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

/* GUC scrm.max_memory, in kilobytes */
extern int	scrm_max_memory_kb;

/* GUC scrm.fit_max_iterations: optimiser iterations of one model fit */
extern int	scrm_fit_max_iterations;
extern int	scrm_leiden_iterations;

/*
 * A memory budget: working memory of one graph or model computation,
 * checked before each large allocation against scrm.max_memory, which
 * bounds what all budgets of the session hold together.  Memory is taken
 * from a private context so that an error or the end of the call frees
 * everything at once.
 */
typedef struct ScrmBudget
{
	MemoryContext context;		/* where the big arrays live */
	Size		limit;			/* bytes allowed (scrm.max_memory) */
	Size		used;			/* bytes accounted so far */
	struct ScrmBudgetState *state;	/* in context: what it holds, its peak */
	Size		expected;		/* the input's estimated need, 0: unknown */
	const char *what;			/* "graph", "model", ... for messages */
} ScrmBudget;

/*
 * A kind table (scrm.advocacy_kind, scrm.relationship_kind) as read for
 * one query: names sorted by strcmp (C collation), their weights and, if
 * asked for, a boolean column.
 */
typedef struct ScrmKinds
{
	int			n;
	char	  **name;
	double	   *weight;
	bool	   *flag;
} ScrmKinds;

/* social_crm.c */
/* splitmix64's finalizer: a bijective, well-mixed 64-bit hash */
static inline uint64
ScrmMix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

extern void ScrmBudgetInit(ScrmBudget *budget, const char *what);
extern void ScrmBudgetRelease(ScrmBudget *budget);
extern Size ScrmBudgetRoom(const ScrmBudget *budget);
extern void *ScrmAlloc(ScrmBudget *budget, Size nmemb, Size size);
extern void *ScrmAlloc0(ScrmBudget *budget, Size nmemb, Size size);
extern void *ScrmRealloc(ScrmBudget *budget, void *ptr, Size old_nmemb,
						 Size new_nmemb, Size size);
extern void *ScrmGrow(ScrmBudget *budget, void *ptr, int64 *cap, int64 n,
					  Size size, double rows_estimate);
extern void ScrmFree(ScrmBudget *budget, void *ptr, Size nmemb, Size size);
extern void ScrmCheckProbability(const char *name, double value);
extern void ScrmCheckFinite(const char *name, double value);
extern Datum ScrmFiniteDatum(const char *what, double v);
extern const char *ScrmTextArg(FunctionCallInfo fcinfo, int argno,
							   const char *name);
extern void ScrmBytesReader(StringInfo buf, bytea *bytes);
extern double ScrmIntervalSeconds(const Interval *iv);
extern int	ScrmCmpInt64(const void *a, const void *b);
extern void ScrmSort(void *base, size_t n, size_t size,
					 int (*cmp) (const void *, const void *));
extern int64 ScrmSortUnique(int64 *ids, int64 n);
extern int64 ScrmFindInt64(const int64 *ids, int64 n, int64 id);
extern int	ScrmFindName(char *const *names, int n, const char *name, int len);
extern void ScrmLoadKinds(const char *table, const char *flag_column,
						  MemoryContext cxt, ScrmKinds *kinds);
extern void ScrmCheckSurveyScore(int64 score);
struct ScrmKeys;
extern void ScrmDuplicateCustomer(const struct ScrmKeys *keys, int64 id);
extern double ScrmCustomerValue(const struct ScrmKeys *keys, int64 id,
								Datum value, bool isnull);
extern void ScrmArgNotNull(FunctionCallInfo fcinfo, int argno,
						   const char *name);

#endif							/* SOCIAL_CRM_H */
