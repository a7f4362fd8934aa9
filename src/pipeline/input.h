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

#include "utils/resowner.h"

/* Type families an inner-query column may belong to */
typedef enum ScrmColType
{
	SCRM_COL_ID,				/* smallint/integer/bigint -> int64 */
	SCRM_COL_FLOAT,				/* any numeric type -> float8 */
	SCRM_COL_TEXT,				/* text/varchar/char -> text Datum */
	SCRM_COL_TIMESTAMPTZ,		/* timestamptz/timestamp/date -> TimestampTz */
	SCRM_COL_BOOL				/* boolean */
} ScrmColType;

/* One wanted column; attnum and typid are filled in by the reader */
typedef struct ScrmColumn
{
	const char *name;
	ScrmColType type;
	bool		required;
	int			attnum;			/* 0 if absent (optional column) */
	Oid			typid;
} ScrmColumn;

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
extern bool ScrmReadStored(const char *input, ScrmColumn *cols, int ncols,
						   ScrmRowCallback callback, void *arg,
						   double *rows_estimate);
extern void ScrmCheckQuery(const char *query, const char *what, Oid role,
						   ScrmColumn *cols, int ncols);
extern int64 ScrmRowId(Datum *values, bool *isnull, ScrmColumn *cols,
					   int col, const char *what);

/* trust.c */
extern int	ScrmPinSettings(void);
extern void ScrmUnpinSettings(int nest);
extern void ScrmSandboxEnter(ScrmSandbox *sb, Oid role);
extern void ScrmSandboxLeave(ScrmSandbox *sb, bool failed);
extern char *ScrmCanonicalQuery(const char *query, const char *what);
extern void ScrmCheckReadOnly(struct Query *q, const char *what,
							  const char *tag);
extern char *ScrmStoredQuery(const char *input, Oid *role);

#endif							/* SCRM_INPUT_H */
