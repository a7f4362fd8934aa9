/*-------------------------------------------------------------------------
 *
 * input.c
 *	  The inner-query reader shared by every function that takes SQL text.
 *
 * The caller names the columns it wants and their type families; columns
 * are found by name, extra columns are ignored, and a missing or mistyped
 * column is an error naming it.  The query is planned with SPI as the
 * calling user (so grants and row-level security apply), refused unless it
 * is a single read-only SELECT, and executed into a private DestReceiver
 * that converts each row and hands it to a callback: rows stream straight
 * into the caller's arrays, never materialised in a tuple table first.
 *
 * The convention follows pgRouting's inner queries (columns by name, type
 * families); the implementation is ours.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "input.h"

/* How often the reader checks for cancel and resets its row context */
#define READER_BATCH 8192

/* How the reader takes the keys of a column */
typedef enum KeyRead
{
	KEYREAD_NONE,				/* not a batched key column */
	KEYREAD_UUID,				/* 16 bytes */
	KEYREAD_TEXT,				/* text or varchar: the varlena's bytes */
	KEYREAD_BPCHAR				/* char(n): without the padding (key_as_text) */
} KeyRead;

/* The DestReceiver that feeds rows to the caller's callback */
typedef struct ReaderState
{
	DestReceiver pub;
	const char *what;
	ScrmColumn *cols;
	int			ncols;
	ScrmRowCallback callback;
	void	   *arg;
	MemoryContext caller_cxt;	/* where the callback runs */
	MemoryContext row_cxt;		/* scratch for conversions, reset per batch */
	Datum	   *values;
	bool	   *isnull;
	int			maxatt;
	uint64		rows;
	double	   *rows_estimate;	/* the planner's, once planned (or NULL) */
	/* rows waiting for their keys' lookups (uuid and text keys) */
	bool		batched;
	KeyRead    *keyread;		/* per column: how its keys are read */
	int			npending;
	Datum	   *pvalues;		/* READER_KEY_BATCH rows of ncols */
	bool	   *pisnull;
	int64	   *poff;			/* where a by-reference value was copied, or -1 */
	ScrmKeyProbe *probes;		/* per key column, READER_KEY_BATCH of them */
	int		   *nprobes;		/* per key column */
	int16	   *prow;			/* the pending row of each probe */
	char	   *kbuf;			/* their keys, READER_KEY_INLINE bytes each */
	StringInfoData copies;		/* their other by-reference values, by offset */
} ReaderState;

/* Room for the bytes of a long key of a pending row (longer ones go to row_cxt) */
#define READER_KEY_INLINE 64

/*
 * Rows prepared before their keys are looked up: the slots of a batch load
 * at once instead of one cache miss after the other
 */
#define READER_KEY_BATCH 64

/* Error context: which inner query was running */
typedef struct ReaderErrorArg
{
	const char *what;
	const char *query;
} ReaderErrorArg;

/* Add the inner query to the CONTEXT of any error raised while it runs */
static void
reader_error_context(void *arg)
{
	ReaderErrorArg *e = (ReaderErrorArg *) arg;

	errcontext("%s query: %s", e->what, e->query);
}

/* Human-readable list of the types a family accepts */
static const char *
family_types(ScrmColType type)
{
	switch (type)
	{
		case SCRM_COL_ID:
		case SCRM_COL_KEY:
			return "smallint, integer or bigint";
		case SCRM_COL_FLOAT:
			return "a numeric type (smallint, integer, bigint, real, double precision or numeric)";
		case SCRM_COL_TEXT:
			return "text, varchar or char";
		case SCRM_COL_TIMESTAMPTZ:
			return "timestamp with time zone, timestamp or date";
		case SCRM_COL_BOOL:
			return "boolean";
		case SCRM_COL_ARRAY:
			return "an array";
	}
	return "?";
}

/* Does base type typid belong to the family? */
static bool
family_accepts(ScrmColType type, Oid typid)
{
	switch (type)
	{
		case SCRM_COL_ID:
		case SCRM_COL_KEY:
			return typid == INT2OID || typid == INT4OID || typid == INT8OID;
		case SCRM_COL_FLOAT:
			return typid == INT2OID || typid == INT4OID || typid == INT8OID ||
				typid == FLOAT4OID || typid == FLOAT8OID || typid == NUMERICOID;
		case SCRM_COL_TEXT:
			return typid == TEXTOID || typid == VARCHAROID || typid == BPCHAROID;
		case SCRM_COL_TIMESTAMPTZ:
			return typid == TIMESTAMPTZOID || typid == TIMESTAMPOID ||
				typid == DATEOID;
		case SCRM_COL_BOOL:
			return typid == BOOLOID;
		case SCRM_COL_ARRAY:
			return OidIsValid(get_element_type(typid));
	}
	return false;
}

/* Comma-separated list of the required column names, for messages */
static char *
column_list(ScrmColumn *cols, int ncols)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < ncols; i++)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "%s%s", cols[i].name,
						 cols[i].required ? "" : " (optional)");
	}
	return buf.data;
}

/*
 * A key column: of the dictionary's key type (integers mix, and so do text,
 * varchar and char), or an integer when there is no dictionary.
 */
static void
check_key_column(ScrmColumn *col, const char *what, Oid atttypid,
				 Oid collation)
{
	if (col->keys && OidIsValid(ScrmKeysExpected(col->keys)) &&
		!ScrmKeyTypesMatch(atttypid, ScrmKeysExpected(col->keys)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of the %s query now has type %s, but social_crm was configured for keys of type %s",
						col->name, what, format_type_be(atttypid),
						format_type_be(ScrmKeysExpected(col->keys))),
				 errhint("Call scrm.configure again.")));
	if (col->keys && !OidIsValid(ScrmKeysType(col->keys)))
		ScrmKeysSetType(col->keys, atttypid, collation);
	if (col->keys == NULL)
	{
		if (!family_accepts(SCRM_COL_KEY, col->typid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the %s query has type %s",
							col->name, what, format_type_be(atttypid)),
					 errdetail("This form takes smallint, integer or bigint keys."),
					 errhint("For keys of another type pass it as a first argument more, a NULL array "
							 "of the key type, e.g. NULL::uuid[] or NULL::text[]; the results then carry the keys in that type.")));
		return;
	}
	if (!ScrmKeysAccept(col->keys, col->typid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of the %s query has type %s, but the keys are %s",
						col->name, what, format_type_be(atttypid),
						format_type_be(ScrmKeysType(col->keys))),
				 errdetail("Every key column must have the key type (integer types mix, and so do text, varchar and char)."),
				 errhint("Cast it in the query, e.g. SELECT x::%s AS %s.",
						 format_type_be(ScrmKeysType(col->keys)), col->name)));
}

/* Find each wanted column in tupdesc by name and check its type family */
static void
resolve_columns(TupleDesc tupdesc, const char *what, ScrmColumn *cols,
				int ncols)
{
	int			i,
				j;

	for (i = 0; i < ncols; i++)
	{
		cols[i].attnum = 0;
		cols[i].typid = InvalidOid;
		for (j = 0; j < tupdesc->natts; j++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, j);

			if (att->attisdropped || strcmp(NameStr(att->attname), cols[i].name) != 0)
				continue;
			if (cols[i].attnum != 0)
				ereport(ERROR,
						(errcode(ERRCODE_AMBIGUOUS_COLUMN),
						 errmsg("%s query returns more than one column named \"%s\"",
								what, cols[i].name)));
			cols[i].attnum = j + 1;
			cols[i].typid = getBaseType(att->atttypid);
			if (cols[i].type == SCRM_COL_KEY)
			{
				check_key_column(&cols[i], what, att->atttypid, att->attcollation);
				continue;
			}
			if (!family_accepts(cols[i].type, cols[i].typid))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of the %s query has type %s",
								cols[i].name, what, format_type_be(att->atttypid)),
						 errdetail("Column \"%s\" must be %s.", cols[i].name,
								   family_types(cols[i].type)),
						 errhint("Cast it in the query, e.g. SELECT x::%s AS %s.",
								 cols[i].type == SCRM_COL_ID ? "bigint" :
								 cols[i].type == SCRM_COL_FLOAT ? "float8" :
								 cols[i].type == SCRM_COL_TEXT ? "text" :
								 cols[i].type == SCRM_COL_BOOL ? "boolean" :
								 "timestamptz", cols[i].name)));
		}
		if (cols[i].attnum == 0 && cols[i].required)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("%s query has no column \"%s\"", what, cols[i].name),
					 errdetail("The %s query must return the columns %s; "
							   "other columns are ignored.",
							   what, column_list(cols, ncols)),
					 errhint("Name the columns with AS, e.g. SELECT a AS %s.",
							 cols[i].name)));
	}
}

/*
 * numeric's stored form (numeric.c, the on-disk format every release
 * since 9.1 reads): a 16-bit header, a 16-bit weight unless the header is
 * short, then base-10000 digits.  Special values (NaN, infinities) have
 * both top bits set.
 */
#define NUM_FLAG_MASK			0xC000
#define NUM_NEG					0x4000
#define NUM_SHORT				0x8000
#define NUM_SPECIAL				0xC000
#define NUM_SHORT_NEG			0x2000
#define NUM_SHORT_WEIGHT_NEG	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F

/*
 * numeric to float8, the same double as numeric_float8 gives.  That one
 * prints the numeric and parses the text with strtod, the bulk of reading
 * a money column.  A numeric is N * 10000^e for an integer N of its
 * digits; when N < 2^53 and 10^(4|e|) <= 10^20, both are doubles exactly,
 * and one IEEE multiplication or division rounds the exact value to
 * nearest, as strtod does.  Other values take numeric_float8.
 */
static double
numeric_to_double(Datum value)
{
	static const double pow10000[] = {1.0, 1e4, 1e8, 1e12, 1e16, 1e20};
	struct varlena *v = PG_DETOAST_DATUM_PACKED(value);
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	int			weight,
				ndigits,
				e,
				i;
	bool		neg;
	uint64		n = 0;

	if (len < (int) sizeof(uint16))
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
	memcpy(&header, p, sizeof(uint16));
	if ((header & NUM_FLAG_MASK) == NUM_SPECIAL)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
	if (header & NUM_SHORT)
	{
		neg = (header & NUM_SHORT_NEG) != 0;
		weight = ((header & NUM_SHORT_WEIGHT_NEG) ? ~NUM_SHORT_WEIGHT_MASK : 0) |
			(header & NUM_SHORT_WEIGHT_MASK);
		p += sizeof(uint16);
		len -= sizeof(uint16);
	}
	else
	{
		int16		w;

		if (len < (int) (2 * sizeof(uint16)))
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
		neg = (header & NUM_FLAG_MASK) == NUM_NEG;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		p += 2 * sizeof(uint16);
		len -= 2 * sizeof(uint16);
	}
	ndigits = len / (int) sizeof(int16);
	if (ndigits == 0)
		return 0.0;
	if (ndigits > 4)			/* 10000^4 > 2^53: maybe not exact */
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
	for (i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, p + i * sizeof(int16), sizeof(int16));
		n = n * 10000 + (uint64) d;
	}
	e = weight - ndigits + 1;
	if (n >= (UINT64CONST(1) << 53) || e > 5 || e < -5)
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
	return (neg ? -1.0 : 1.0) *
		(e >= 0 ? (double) n * pow10000[e] : (double) n / pow10000[-e]);
}

/* Convert one attribute value to its family's C representation */
static Datum
convert_value(ScrmColumn *col, Datum value)
{
	if (col->type == SCRM_COL_KEY && col->keys != NULL)
		return Int64GetDatum(ScrmKeyEncodeValue(col->keys, value, col->typid));
	if (col->type == SCRM_COL_ARRAY)
		return PointerGetDatum(PG_DETOAST_DATUM_PACKED(value));
	switch (col->typid)
	{
		case INT2OID:
			return col->type == SCRM_COL_ID || col->type == SCRM_COL_KEY ?
				Int64GetDatum((int64) DatumGetInt16(value)) :
				Float8GetDatum((double) DatumGetInt16(value));
		case INT4OID:
			return col->type == SCRM_COL_ID || col->type == SCRM_COL_KEY ?
				Int64GetDatum((int64) DatumGetInt32(value)) :
				Float8GetDatum((double) DatumGetInt32(value));
		case INT8OID:
			return col->type == SCRM_COL_ID || col->type == SCRM_COL_KEY ? value :
				Float8GetDatum((double) DatumGetInt64(value));
		case FLOAT4OID:
			return Float8GetDatum((double) DatumGetFloat4(value));
		case NUMERICOID:
			return Float8GetDatum(numeric_to_double(value));
		case TIMESTAMPOID:
			return DirectFunctionCall1(timestamp_timestamptz, value);
		case DATEOID:
			return DirectFunctionCall1(date_timestamptz, value);
		case TEXTOID:
		case VARCHAROID:
			/* a long value may be compressed or out of line */
			return PointerGetDatum(PG_DETOAST_DATUM_PACKED(value));
		case BPCHAROID:
			{
				/* as char(n)::text: without the padding */
				struct varlena *v = PG_DETOAST_DATUM_PACKED(value);
				const char *p = VARDATA_ANY(v);
				int			len = VARSIZE_ANY_EXHDR(v);

				while (len > 0 && p[len - 1] == ' ')
					len--;
				return PointerGetDatum(cstring_to_text_with_len(p, len));
			}
		default:
			return value;		/* float8, timestamptz, bool */
	}
}

/* DestReceiver startup: resolve the columns against the result shape */
static void
reader_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	ReaderState *st = (ReaderState *) self;
	int			i;

	resolve_columns(typeinfo, st->what, st->cols, st->ncols);
	st->maxatt = 0;
	st->batched = false;
	if (st->keyread == NULL)
		st->keyread = MemoryContextAllocZero(st->caller_cxt, sizeof(KeyRead) * st->ncols);
	for (i = 0; i < st->ncols; i++)
	{
		ScrmColumn *col = &st->cols[i];

		st->maxatt = Max(st->maxatt, col->attnum);
		st->keyread[i] = KEYREAD_NONE;
		if (col->type == SCRM_COL_KEY && col->attnum != 0 &&
			col->keys && ScrmKeysBatched(col->keys))
		{
			st->batched = true;
			st->keyread[i] = col->typid == UUIDOID ? KEYREAD_UUID :
				col->typid == BPCHAROID ? KEYREAD_BPCHAR : KEYREAD_TEXT;
			/* a graph has about a tenth as many nodes as edges */
			if (st->rows_estimate && *st->rows_estimate > 0)
				ScrmKeysReserve(col->keys, (int64) (*st->rows_estimate / 8));
		}
	}
	if (st->batched && st->pvalues == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->caller_cxt);
		int			slots = READER_KEY_BATCH * st->ncols;

		st->pvalues = palloc(sizeof(Datum) * slots);
		st->pisnull = palloc(sizeof(bool) * slots);
		st->poff = palloc(sizeof(int64) * slots);
		st->probes = palloc(sizeof(ScrmKeyProbe) * slots);
		st->nprobes = palloc0(sizeof(int) * st->ncols);
		st->prow = palloc(sizeof(int16) * slots);
		st->kbuf = palloc(READER_KEY_INLINE * slots);
		initStringInfo(&st->copies);
		MemoryContextSwitchTo(old);
	}
	st->npending = 0;
}

/* A text-family key as text (char(n) without its padding, as char(n)::text); others as they are */
static Datum
key_as_text(Oid typid, Datum value)
{
	if (typid == TEXTOID || typid == VARCHAROID || typid == BPCHAROID)
	{
		ScrmColumn	as_text = {NULL, SCRM_COL_TEXT, false, 0, typid, NULL};

		return convert_value(&as_text, value);
	}
	return value;
}

/* Copy a varlena into st->copies; its offset there */
static int64
copy_varlena(ReaderState *st, Datum value)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	int			len = VARSIZE_ANY_EXHDR(v);
	int64		off;

	/* a 4-byte header, aligned: a valid text Datum wherever it lands */
	appendStringInfoSpaces(&st->copies, (int) (MAXALIGN(st->copies.len) - st->copies.len));
	off = st->copies.len;
	enlargeStringInfo(&st->copies, VARHDRSZ + len);
	SET_VARSIZE(st->copies.data + off, VARHDRSZ + len);
	memcpy(st->copies.data + off + VARHDRSZ, VARDATA_ANY(v), len);
	st->copies.len += VARHDRSZ + len;
	return off;
}

/* Look up the keys of the pending rows and hand the rows to the callback */
static void
reader_flush(ReaderState *st)
{
	int			r,
				i,
				j;
	MemoryContext old = MemoryContextSwitchTo(st->caller_cxt);

	/* the keys of each column in one batch: their cache misses overlap */
	for (i = 0; i < st->ncols; i++)
	{
		ScrmKeyProbe *probes = st->probes + i * READER_KEY_BATCH;
		int16	   *prow = st->prow + i * READER_KEY_BATCH;

		if (st->nprobes[i] == 0)
			continue;
		ScrmKeysLookupMany(st->cols[i].keys, probes, st->nprobes[i]);
		for (j = 0; j < st->nprobes[i]; j++)
			st->pvalues[prow[j] * st->ncols + i] = Int64GetDatum(probes[j].code);
		st->nprobes[i] = 0;
	}
	for (r = 0; r < st->npending; r++)
	{
		Datum	   *values = st->pvalues + r * st->ncols;
		bool	   *isnull = st->pisnull + r * st->ncols;
		int64	   *poff = st->poff + r * st->ncols;

		/* the copies no longer move: point into them */
		for (i = 0; i < st->ncols; i++)
			if (poff[i] >= 0)
				values[i] = PointerGetDatum(st->copies.data + poff[i]);
		st->callback(st->arg, values, isnull);
	}
	MemoryContextSwitchTo(old);
	st->npending = 0;
	resetStringInfo(&st->copies);
}

/*
 * Take the key v of column i of a pending row: its length and first 16
 * bytes into a probe, the rest of a longer one copied (the tuple goes
 * away before the key is looked up)
 */
static void
reader_pend_key(ReaderState *st, int i, Datum v)
{
	int			j = st->nprobes[i]++;
	ScrmKeyProbe *p = &st->probes[i * READER_KEY_BATCH + j];
	const char *bytes;
	int			len;

	st->prow[i * READER_KEY_BATCH + j] = (int16) st->npending;
	if (st->keyread[i] == KEYREAD_UUID)
	{
		bytes = (const char *) DatumGetPointer(v);
		len = UUID_LEN;
	}
	else
	{
		struct varlena *t = (struct varlena *) DatumGetPointer(v);

		if (st->keyread[i] == KEYREAD_BPCHAR)
			t = (struct varlena *) DatumGetPointer(key_as_text(BPCHAROID, v));
		else if (VARATT_IS_COMPRESSED(t) || VARATT_IS_EXTERNAL(t))
			t = detoast_attr(t);
		bytes = VARDATA_ANY(t);
		len = VARSIZE_ANY_EXHDR(t);
	}
	ScrmKeyProbeSet(p, bytes, len);
	p->key = (Datum) 0;
	p->bytes = NULL;
	if (len > 16)
	{
		char	   *dst = st->kbuf + (i * READER_KEY_BATCH + j) * READER_KEY_INLINE;

		if (len > READER_KEY_INLINE)
			dst = MemoryContextAlloc(st->row_cxt, len);
		memcpy(dst, bytes, len);
		p->bytes = dst;
	}
}

/* Convert a row into the batch: keys taken, by-reference values copied */
static void
reader_pend(ReaderState *st, TupleTableSlot *slot)
{
	Datum	   *values = st->pvalues + st->npending * st->ncols;
	bool	   *isnull = st->pisnull + st->npending * st->ncols;
	int64	   *poff = st->poff + st->npending * st->ncols;
	int			i;

	for (i = 0; i < st->ncols; i++)
	{
		ScrmColumn *col = &st->cols[i];
		int			a = col->attnum;

		poff[i] = -1;
		isnull[i] = (a == 0) || slot->tts_isnull[a - 1];
		if (isnull[i])
			continue;
		if (st->keyread[i] != KEYREAD_NONE)
		{
			reader_pend_key(st, i, slot->tts_values[a - 1]);
			continue;
		}
		values[i] = convert_value(col, slot->tts_values[a - 1]);
		if (col->type == SCRM_COL_TEXT || col->type == SCRM_COL_ARRAY)
			poff[i] = copy_varlena(st, values[i]);	/* the tuple goes away */
	}
	if (++st->npending == READER_KEY_BATCH)
		reader_flush(st);
}

/* DestReceiver per row: convert the wanted columns and call back */
static bool
reader_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ReaderState *st = (ReaderState *) self;
	MemoryContext old;
	int			i;

	if (st->rows % READER_BATCH == 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (st->npending > 0)
			reader_flush(st);
		MemoryContextReset(st->row_cxt);
	}
	st->rows++;

	if (st->maxatt > 0)
		slot_getsomeattrs(slot, st->maxatt);
	old = MemoryContextSwitchTo(st->row_cxt);
	if (st->batched)
	{
		reader_pend(st, slot);
		MemoryContextSwitchTo(old);
		return true;
	}
	for (i = 0; i < st->ncols; i++)
	{
		int			a = st->cols[i].attnum;

		st->isnull[i] = (a == 0) || slot->tts_isnull[a - 1];
		st->values[i] = st->isnull[i] ? (Datum) 0 :
			convert_value(&st->cols[i], slot->tts_values[a - 1]);
	}
	MemoryContextSwitchTo(st->caller_cxt);
	st->callback(st->arg, st->values, st->isnull);
	MemoryContextSwitchTo(old);
	return true;
}

/* DestReceiver shutdown: the rows still waiting for their keys */
static void
reader_shutdown(DestReceiver *self)
{
	ReaderState *st = (ReaderState *) self;

	if (st->npending > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(st->row_cxt);

		reader_flush(st);
		MemoryContextSwitchTo(old);
	}
}

static void
reader_destroy(DestReceiver *self)
{
}

/* Plan query with SPI and refuse anything but one read-only SELECT */
static SPIPlanPtr
prepare_read_only(const char *query, const char *what)
{
	SPIPlanPtr	plan;
	List	   *sources;
	ListCell   *lc;

	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for the %s query: %s",
			 what, SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	if (list_length(sources) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s query must be a single SELECT statement", what),
				 errdetail("The query text holds %d statements.",
						   list_length(sources))));
	foreach(lc, sources)
	{
		CachedPlanSource *ps = (CachedPlanSource *) lfirst(lc);
		ListCell   *lq;

		foreach(lq, ps->query_list)
			ScrmCheckReadOnly(lfirst_node(Query, lq), what,
							  GetCommandTagName(ps->commandTag));
	}
	return plan;
}

/*
 * Push the error context naming the inner query, connect to SPI and plan
 * the query (one read-only SELECT).  The caller pops errcb after
 * SPI_finish.
 */
static SPIPlanPtr
connect_and_prepare(const char *query, const char *what,
					ReaderErrorArg *earg, ErrorContextCallback *errcb)
{
	earg->what = what;
	earg->query = query;
	errcb->callback = reader_error_context;
	errcb->arg = earg;
	errcb->previous = error_context_stack;
	error_context_stack = errcb;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ScrmSandboxWorkersReadOnly();
	return prepare_read_only(query, what);
}

/* The planner's row estimate for a prepared single-SELECT plan */
static double
plan_rows_estimate(SPIPlanPtr plan)
{
	CachedPlan *cplan = SPI_plan_get_cached_plan(plan);
	double		rows = 0.0;

	if (cplan != NULL)
	{
		PlannedStmt *stmt = linitial_node(PlannedStmt, cplan->stmt_list);

		if (stmt->planTree != NULL)
			rows = stmt->planTree->plan_rows;
		/* an unsaved SPI plan is fetched without a resource owner */
		ReleaseCachedPlan(cplan, NULL);
	}
	return rows;
}

/*
 * Plan query (one read-only SELECT) and either check its columns (st NULL)
 * or run it into st.  Inside the sandbox of trust.c: a read-only
 * subtransaction, rolled back when the rows are read, run as role under
 * pinned settings when role is valid (a stored query), else as the caller.
 */
static void
run_sandboxed(const char *query, const char *what, Oid role,
			  ScrmColumn *cols, int ncols, ReaderState *st,
			  double *rows_estimate)
{
	ScrmSandbox sb;

	ScrmSandboxEnter(&sb, role);
	PG_TRY();
	{
		ReaderErrorArg earg;
		ErrorContextCallback errcb;
		SPIPlanPtr	plan = connect_and_prepare(query, what, &earg, &errcb);

		if (st == NULL)
		{
			CachedPlanSource *ps = linitial(SPI_plan_get_plan_sources(plan));

			if (ps->resultDesc == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s query must return rows", what)));
			resolve_columns(ps->resultDesc, what, cols, ncols);
		}
		else
		{
			SPIExecuteOptions options;
			int			rc;

			if (rows_estimate)
				*rows_estimate = plan_rows_estimate(plan);
			memset(&options, 0, sizeof(options));
			options.read_only = true;
			options.dest = (DestReceiver *) st;
			rc = SPI_execute_plan_extended(plan, &options);
			/* a SELECT into a non-SPI receiver reports SPI_OK_UTILITY */
			if (rc < 0)
				elog(ERROR, "%s query failed: %s", what, SPI_result_code_string(rc));
		}
		SPI_finish();
		error_context_stack = errcb.previous;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(sb.cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ScrmSandboxLeave(&sb, true);
		ReThrowError(edata);
	}
	PG_END_TRY();
	ScrmSandboxLeave(&sb, false);
}

/*
 * Run query (SQL text) and call callback for every row: as the calling
 * user when role is InvalidOid, else as role (a stored query, trust.c).
 * what names the argument in messages ("edges", "personalization", ...).
 * If rows_estimate is given, the planner's estimate of the row count is
 * stored there before the first row arrives (a hint for presizing).
 */
void
ScrmReadQueryAs(const char *query, const char *what, Oid role,
				ScrmColumn *cols, int ncols, ScrmRowCallback callback,
				void *arg, double *rows_estimate)
{
	ReaderState st;

	memset(&st, 0, sizeof(st));
	st.pub.receiveSlot = reader_receive;
	st.pub.rStartup = reader_startup;
	st.pub.rShutdown = reader_shutdown;
	st.pub.rDestroy = reader_destroy;
	st.pub.mydest = DestNone;
	st.what = what;
	st.cols = cols;
	st.ncols = ncols;
	st.callback = callback;
	st.arg = arg;
	st.rows_estimate = rows_estimate;
	st.caller_cxt = CurrentMemoryContext;
	st.row_cxt = AllocSetContextCreate(CurrentMemoryContext,
									   "social_crm inner query row",
									   ALLOCSET_SMALL_SIZES);
	st.values = palloc0(sizeof(Datum) * Max(ncols, 1));
	st.isnull = palloc0(sizeof(bool) * Max(ncols, 1));

	run_sandboxed(query, what, role, cols, ncols, &st, rows_estimate);

	MemoryContextDelete(st.row_cxt);
	pfree(st.values);
	pfree(st.isnull);
}

/* Run query as the calling user; see ScrmReadQueryAs */
void
ScrmReadQuery(const char *query, const char *what, ScrmColumn *cols,
			  int ncols, ScrmRowCallback callback, void *arg,
			  double *rows_estimate)
{
	ScrmReadQueryAs(query, what, InvalidOid, cols, ncols, callback, arg,
					rows_estimate);
}

/*
 * Run the stored query of a pipeline input (scrm.config) as the role that
 * configured it, in the time zone it was configured in (a timestamp
 * without time zone means the same instant whoever refreshes), its keys
 * checked against the key type configured.  Returns false, reading
 * nothing, when the input is not configured.  run.c's ScrmReadStored adds
 * the rules for messy rows.
 */
bool
ScrmReadStoredRaw(const char *input, ScrmColumn *cols, int ncols,
				  ScrmRowCallback callback, void *arg, double *rows_estimate)
{
	Oid			role;
	Oid			key_type;
	char	   *time_zone;
	char	   *query = ScrmStoredQuery(input, &role, &time_zone, &key_type);
	int			nest,
				i;

	if (query == NULL)
		return false;
	nest = NewGUCNestLevel();
	(void) set_config_option("TimeZone", time_zone, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* a dictionary that takes its type from the query: the configured one */
	for (i = 0; i < ncols; i++)
		if (cols[i].type == SCRM_COL_KEY && cols[i].keys &&
			!OidIsValid(ScrmKeysType(cols[i].keys)))
			ScrmKeysExpect(cols[i].keys, key_type);
	ScrmReadQueryAs(query, input, role, cols, ncols, callback, arg,
					rows_estimate);
	AtEOXact_GUC(true, nest);
	return true;
}

/*
 * Run query, built around the stored input in (pushdown.c), as
 * ScrmReadStoredRaw runs the stored query itself: as the configurer, in
 * the configured time zone, keys checked against the configured type
 */
void
ScrmReadStoredWrapped(const ScrmStoredInput *in, const char *query,
					  ScrmColumn *cols, int ncols, ScrmRowCallback callback,
					  void *arg)
{
	int			nest,
				i;

	nest = NewGUCNestLevel();
	(void) set_config_option("TimeZone", in->time_zone, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	for (i = 0; i < ncols; i++)
		if (cols[i].type == SCRM_COL_KEY && cols[i].keys &&
			!OidIsValid(ScrmKeysType(cols[i].keys)))
			ScrmKeysExpect(cols[i].keys, in->key_type);
	ScrmReadQueryAs(query, in->input, in->role, cols, ncols, callback, arg, NULL);
	AtEOXact_GUC(true, nest);
}

/*
 * Plan query and check its columns without running it, as the calling
 * user (role InvalidOid) or as role under the pinned settings of a stored
 * query: a missing or mistyped column fails here (42703/42804) as it
 * would when read.  On return cols[i].attnum tells which optional columns
 * exist.
 */
void
ScrmCheckQuery(const char *query, const char *what, Oid role,
			   ScrmColumn *cols, int ncols)
{
	run_sandboxed(query, what, role, cols, ncols, NULL, NULL);
}

/* The error of ScrmRowId: column col of a row is NULL (22004) */
void
ScrmRowIdNull(const ScrmColumn *cols, int col, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s query returned a null %s", what, cols[col].name),
			 errhint("Filter the nulls out, e.g. WHERE %s IS NOT NULL.",
					 cols[col].name)));
}

/*
 * The id of a key value of type typid: text keys as text (char(n) without
 * its padding, as char(n)::text), then the dictionary's code
 */
int64
ScrmKeyEncodeValue(ScrmKeys *keys, Datum value, Oid typid)
{
	typid = getBaseType(typid);
	return ScrmKeysEncode(keys, key_as_text(typid, value), typid);
}

/* Give every key column of cols the dictionary keys */
void
ScrmColumnsSetKeys(ScrmColumn *cols, int ncols, ScrmKeys *keys)
{
	int			i;

	for (i = 0; i < ncols; i++)
		if (cols[i].type == SCRM_COL_KEY)
			cols[i].keys = keys;
}

/*
 * The key type argument of a function's keyed form: a function taking
 * legacy_nargs arguments also comes with a first argument more, an array
 * of the key type (e.g. NULL::uuid[]), that sets the type of its keys.  Returns the
 * dictionary for that type and adds 1 to *off, or NULL (bigint keys) for
 * the legacy form.
 */
ScrmKeys *
ScrmKeyArg(FunctionCallInfo fcinfo, int legacy_nargs, int *off)
{
	Oid			typid;

	if (PG_NARGS() <= legacy_nargs)
		return NULL;
	typid = get_element_type(getBaseType(get_fn_expr_argtype(fcinfo->flinfo, 0)));
	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INDETERMINATE_DATATYPE),
				 errmsg("could not determine the key type"),
				 errhint("Pass it as a NULL array of the key type, e.g. NULL::uuid[].")));
	(*off)++;
	return ScrmKeysCreate(typid, PG_GET_COLLATION());
}

/* The key of id as a result Datum: the key in its type, or the bigint id */
Datum
ScrmKeyDatum(const ScrmKeys *keys, int64 id)
{
	return keys ? ScrmKeysDecode(keys, id) : Int64GetDatum(id);
}
