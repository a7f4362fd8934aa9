/*-------------------------------------------------------------------------
 *
 * input.h
 *	  The inner-query reader: runs SQL text given by the caller (as in
 *	  pgRouting) and streams its rows, columns found by name.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCRM_INPUT_H
#define SCRM_INPUT_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/resowner.h"

/* Type families an inner-query column may belong to */
typedef enum ScrmColType
{
	SCRM_COL_ID,				/* smallint/integer/bigint -> int64 */
	SCRM_COL_KEY,				/* a customer or node key -> int64 id (keys.c) */
	SCRM_COL_FLOAT,				/* any numeric type -> float8 */
	SCRM_COL_TEXT,				/* text/varchar/char -> text Datum */
	SCRM_COL_TIMESTAMPTZ,		/* timestamptz/timestamp/date -> TimestampTz */
	SCRM_COL_BOOL,				/* boolean */
	SCRM_COL_ARRAY				/* any array -> its varlena (summaries we build, pushdown.c) */
} ScrmColType;

/* One wanted column; attnum and typid are filled in by the reader */
typedef struct ScrmColumn
{
	const char *name;
	ScrmColType type;
	bool		required;
	int			attnum;			/* 0 if absent (optional column) */
	Oid			typid;
	struct ScrmKeys *keys;		/* SCRM_COL_KEY: the dictionary; NULL: integers only */
} ScrmColumn;

/* A dictionary of keys (keys.c) */
typedef struct ScrmKeys ScrmKeys;

/* A key being looked up in a dictionary (ScrmKeysLookupMany) */
typedef struct ScrmKeyProbe
{
	Datum		key;
	const char *bytes;			/* uuid and text keys: the key's bytes */
	int			len;
	uint64		w[2];			/* the first 16 bytes, zero-padded */
	uint32		hash;
	int64		code;			/* the answer */
} ScrmKeyProbe;

/*
 * n <= 8 bytes as memcpy into a zeroed word would give them, built in a
 * register from loads that stay within the n bytes: for 4 <= n < 8 the
 * first and the last 4 (they overlap), below that three single bytes.
 * (A byte-wise copy into memory read back as a word would stall the
 * store-to-load forwarding; a byte loop costs a branch a byte.)
 */
static inline uint64
ScrmLoadWord(const char *b, int n)
{
	uint64		x = 0;
#ifdef WORDS_BIGENDIAN
	int			i;

	for (i = 0; i < n; i++)
		x |= (uint64) (unsigned char) b[i] << (56 - 8 * i);
#else
	uint32		lo,
				hi;

	if (n == 8)
		memcpy(&x, b, 8);
	else if (n >= 4)
	{
		memcpy(&lo, b, 4);
		memcpy(&hi, b + n - 4, 4);
		x = (uint64) lo | ((uint64) hi << (8 * (n - 4)));
	}
	else if (n > 0)
		x = (uint64) (unsigned char) b[0] |
			((uint64) (unsigned char) b[n >> 1] << (8 * (n >> 1))) |
			((uint64) (unsigned char) b[n - 1] << (8 * (n - 1)));
#endif
	return x;
}

/* Set the length and first 16 bytes (zero-padded) of a uuid or text key in p */
static inline void
ScrmKeyProbeSet(ScrmKeyProbe *p, const char *b, int len)
{
	p->len = len;
#ifndef WORDS_BIGENDIAN
	if (len > 8 && len < 16)
	{
		/* the last 8 bytes, overlapping the first 8, shifted down to those past them */
		uint64		w0,
					w1;

		memcpy(&w0, b, 8);
		memcpy(&w1, b + len - 8, 8);
		p->w[0] = w0;
		p->w[1] = w1 >> (8 * (16 - len));
		return;
	}
#endif
	p->w[0] = ScrmLoadWord(b, Min(len, 8));
	p->w[1] = len > 8 ? ScrmLoadWord(b + 8, Min(len - 8, 8)) : 0;
}

/*
 * Called once per row with values converted to the family's C type
 * (Int64GetDatum, Float8GetDatum, ...).  Absent optional columns and SQL
 * NULLs both come as isnull = true; ScrmColumn.attnum tells them apart.
 * It runs in the memory context that was current when ScrmReadQuery was
 * called; text Datums are only valid during the call.
 */
typedef void (*ScrmRowCallback) (void *arg, Datum *values, bool *isnull);

struct Query;
struct LockInstanceData;

/* The state saved when an inner query's sandbox is entered (trust.c) */
typedef struct ScrmSandbox
{
	MemoryContext cxt;
	ResourceOwner owner;
	struct LockInstanceData *locks; /* advisory locks held before */
	int			nlocks;
	bool		parallel;		/* in parallel mode: no subtransaction */
} ScrmSandbox;

/* input.c */
extern void ScrmReadQuery(const char *query, const char *what,
						  ScrmColumn *cols, int ncols,
						  ScrmRowCallback callback, void *arg,
						  double *rows_estimate);
extern void ScrmReadQueryAs(const char *query, const char *what, Oid role,
							ScrmColumn *cols, int ncols,
							ScrmRowCallback callback, void *arg,
							double *rows_estimate);
extern bool ScrmReadStoredRaw(const char *input, ScrmColumn *cols, int ncols,
							  ScrmRowCallback callback, void *arg,
							  double *rows_estimate);
/*
 * A stored input read once from scrm.config, its query checked and
 * deparsed again as the configurer (pushdown.c): what a query wrapped
 * around it is built from, and how it runs
 */
typedef struct ScrmStoredInput
{
	const char *input;
	char	   *canonical;
	Oid			role;
	char	   *time_zone;
	Oid			key_type;
	List	   *columns;		/* the names of its columns (String nodes) */
} ScrmStoredInput;

extern void ScrmReadStoredWrapped(const ScrmStoredInput *in, const char *query,
								  ScrmColumn *cols, int ncols,
								  ScrmRowCallback callback, void *arg);
extern void ScrmReadStoredGrouped(const ScrmStoredInput *in, const char *query,
								  ScrmColumn *cols, int ncols,
								  ScrmRowCallback callback, void *arg);

/* pushdown.c */
#define SCRM_PUSHDOWN_OFF 0
#define SCRM_PUSHDOWN_ON 1
#define SCRM_PUSHDOWN_AUTO 2
extern int	scrm_pushdown;
extern bool ScrmPushdownInput(const char *input, ScrmStoredInput *in);
extern char *ScrmPushdownPurchases(const char *canonical, const char *as_of,
								   const char *as_of_day, const char *period);
struct ScrmKinds;
extern char *ScrmPushdownInteractions(const ScrmStoredInput *in, const struct ScrmKinds *kinds,
									  const char *as_of, const char *half_life,
									  const int64 *excluded, int nexcluded);
extern char *ScrmPushdownSurveys(const ScrmStoredInput *in, const char *as_of,
								 const char *survey_from);

extern void ScrmCheckQuery(const char *query, const char *what, Oid role,
						   ScrmColumn *cols, int ncols);
extern pg_attribute_noreturn() void ScrmRowIdNull(const ScrmColumn *cols, int col,
												   const char *what);

/* The id in column col of a row; NULL is an error (22004) */
static inline int64
ScrmRowId(Datum *values, bool *isnull, ScrmColumn *cols, int col,
		  const char *what)
{
	if (unlikely(isnull[col]))
		ScrmRowIdNull(cols, col, what);
	return DatumGetInt64(values[col]);
}

extern void ScrmColumnsSetKeys(ScrmColumn *cols, int ncols, ScrmKeys *keys);
extern ScrmKeys *ScrmKeyArg(FunctionCallInfo fcinfo, int legacy_nargs, int *off);
extern Datum ScrmKeyDatum(const ScrmKeys *keys, int64 id);
extern int64 ScrmKeyEncodeValue(ScrmKeys *keys, Datum value, Oid typid);

/* pipeline.c: the inputs of the pipeline and their columns (SOCIAL.md §10) */
#define SCRM_INPUT_MAX_COLS 6
typedef struct ScrmInputSpec
{
	const char *name;
	int			ncols;
	ScrmColumn	cols[SCRM_INPUT_MAX_COLS];
} ScrmInputSpec;

extern const ScrmInputSpec *ScrmFindInput(const char *name);
extern char *ScrmRunKeyOut(int64 id);

/* run.c */
extern bool ScrmReadStored(const char *input, ScrmColumn *cols, int ncols,
						   ScrmRowCallback callback, void *arg,
						   double *rows_estimate);

/* keys.c */
extern ScrmKeys *ScrmKeysCreate(Oid typid, Oid collation);
extern void ScrmKeysSetType(ScrmKeys *k, Oid typid, Oid collation);
extern void ScrmKeysExpect(ScrmKeys *k, Oid typid);
extern Oid	ScrmKeysExpected(const ScrmKeys *k);
extern bool ScrmKeysAccept(const ScrmKeys *k, Oid typid);
extern bool ScrmKeyTypesMatch(Oid a, Oid b);
extern Oid	ScrmKeysType(const ScrmKeys *k);
extern bool ScrmKeysInteger(const ScrmKeys *k);
extern int64 ScrmKeysEncode(ScrmKeys *k, Datum key, Oid typid);
extern bool ScrmKeysBatched(const ScrmKeys *k);
extern void ScrmKeysReserve(ScrmKeys *k, int64 n);
extern void ScrmKeysLookupMany(ScrmKeys *k, ScrmKeyProbe *probes, int n);
extern bool ScrmKeysKnown(const ScrmKeys *k, int64 id);
extern int64 ScrmKeysCount(const ScrmKeys *k);
extern int32 *ScrmKeysFreeze(ScrmKeys *k);
extern Datum ScrmKeysDecode(const ScrmKeys *k, int64 id);
extern char *ScrmKeysOut(const ScrmKeys *k, int64 id);

/* trust.c */
extern int	ScrmPinSettings(void);
extern void ScrmUnpinSettings(int nest);
extern void ScrmSandboxEnter(ScrmSandbox *sb, Oid role);
extern void ScrmSandboxLeave(ScrmSandbox *sb, bool failed);
extern void ScrmSandboxWorkersReadOnly(void);
extern char *ScrmCanonicalQuery(const char *query, const char *what);
extern char *ScrmCanonicalParse(const char *query, const char *what,
								struct Query **tree);
extern void ScrmCheckReadOnly(struct Query *q, const char *what,
							  const char *tag);
extern char *ScrmStoredQuery(const char *input, Oid *role, char **time_zone,
							 Oid *key_type);

#endif							/* SCRM_INPUT_H */
