/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  The input queries of the pipeline and the columns each must return
 *	  (SOCIAL.md §10): checked and stored in canonical form by
 *	  scrm.configure, read back as the configurer by scrm.refresh.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "input.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_configure);
PG_FUNCTION_INFO_V1(scrm_refresh_input);

static const ScrmInputSpec inputs[] = {
	{"customers", 2, {
			{"customer", SCRM_COL_KEY, true},
			{"social_consent", SCRM_COL_BOOL, false}}},
	{"purchases", 3, {
			{"customer", SCRM_COL_KEY, true},
			{"purchased_at", SCRM_COL_TIMESTAMPTZ, true},
			{"amount", SCRM_COL_FLOAT, true}}},
	{"relationships", 5, {
			{"source", SCRM_COL_KEY, true},
			{"target", SCRM_COL_KEY, true},
			{"kind", SCRM_COL_TEXT, false},
			{"strength", SCRM_COL_FLOAT, false},
			{"last_interaction_at", SCRM_COL_TIMESTAMPTZ, false}}},
	{"interactions", 6, {
			{"customer", SCRM_COL_KEY, true},
			{"kind", SCRM_COL_TEXT, true},
			{"occurred_at", SCRM_COL_TIMESTAMPTZ, true},
			{"counterparty", SCRM_COL_KEY, false},
			{"audience", SCRM_COL_ID, false},
			{"resolved", SCRM_COL_BOOL, false}}},
	{"referrals", 4, {
			{"referrer", SCRM_COL_KEY, true},
			{"referred", SCRM_COL_KEY, true},
			{"reward_cost", SCRM_COL_FLOAT, false},
			{"incrementality", SCRM_COL_FLOAT, false}}},
	{"surveys", 3, {
			{"customer", SCRM_COL_KEY, true},
			{"score", SCRM_COL_ID, true},
			{"answered_at", SCRM_COL_TIMESTAMPTZ, true}}},
	{"segments", 2, {
			{"customer", SCRM_COL_KEY, true},
			{"segment", SCRM_COL_TEXT, true}}},
	{"contracts", 4, {
			{"customer", SCRM_COL_KEY, true},
			{"started_at", SCRM_COL_TIMESTAMPTZ, true},
			{"ended_at", SCRM_COL_TIMESTAMPTZ, false},
			{"amount", SCRM_COL_FLOAT, false}}},
};

/* The argument of scrm.configure that holds input i (settings come before segments and contracts) */
#define INPUT_ARG(i) ((i) < 6 ? (i) : (i) + 1)

/* The pipeline input of that name; an unknown name is an error */
const ScrmInputSpec *
ScrmFindInput(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(inputs); i++)
		if (strcmp(inputs[i].name, name) == 0)
			return &inputs[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown pipeline input \"%s\"", name),
			 errhint("Inputs are customers, purchases, relationships, interactions, referrals, surveys, segments and contracts.")));
	return NULL;				/* keep the compiler quiet */
}

/*
 * The canonical form of query for the pipeline input in (trust.c: parsed
 * as the caller wrote it, deparsed with every name qualified), planned as
 * the caller under the settings refresh runs it with and its columns
 * checked.  The names of the columns it has are appended to json as a JSON
 * array.
 */
static char *
check_input(const ScrmInputSpec *in, const char *query, StringInfo json,
			ScrmColumn *key)
{
	char	   *canonical = ScrmCanonicalQuery(query, in->name);
	ScrmColumn	cols[SCRM_INPUT_MAX_COLS];
	int			i,
				n = 0;

	memcpy(cols, in->cols, sizeof(cols));
	/* keys of any type with the operator classes a dictionary needs */
	for (i = 0; i < in->ncols; i++)
		if (cols[i].type == SCRM_COL_KEY)
			cols[i].keys = ScrmKeysCreate(InvalidOid, InvalidOid);
	ScrmCheckQuery(canonical, in->name, GetUserId(), cols, in->ncols);
	/* one key type for every input: the customers' */
	if (!OidIsValid(key->typid))
		*key = cols[0];
	for (i = 0; i < in->ncols; i++)
		if (cols[i].type == SCRM_COL_KEY && cols[i].attnum != 0 &&
			!ScrmKeyTypesMatch(cols[i].typid, key->typid))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of the %s query has type %s, but column \"customer\" of the customers query has type %s",
							cols[i].name, in->name, format_type_be(cols[i].typid),
							format_type_be(key->typid)),
					 errdetail("Every input must key customers the same way (integer types mix, and so do text, varchar and char)."),
					 errhint("Cast the column in the %s query, e.g. SELECT x::%s AS %s.",
							 in->name, format_type_be(key->typid), cols[i].name)));
	appendStringInfo(json, "%s\"%s\": [", json->len > 1 ? ", " : "", in->name);
	for (i = 0; i < in->ncols; i++)
		if (cols[i].attnum != 0)
			appendStringInfo(json, "%s\"%s\"", n++ > 0 ? ", " : "", cols[i].name);
	appendStringInfoChar(json, ']');
	return canonical;
}

/*
 * scrm.configure(customers, purchases, relationships, interactions,
 *				  referrals, surveys, settings, segments, contracts) RETURNS jsonb
 *	 Checks each input query and stores it in canonical form, with the
 *	 settings, through scrm._configure.  In C so that the queries are
 *	 parsed with the caller's search_path while everything the function
 *	 itself runs resolves under the pinned one (trust.c).
 */
Datum
scrm_configure(PG_FUNCTION_ARGS)
{
	Datum		stored[lengthof(inputs)];
	bool		stored_null[lengthof(inputs)];
	StringInfoData json;
	Datum		args[4];
	Oid			argtypes[4] = {TEXTARRAYOID, JSONBOID, JSONBOID, REGTYPEOID};
	char		argnulls[4] = {' ', ' ', ' ', ' '};
	ScrmColumn	key = {0};
	int			dims[1] = {lengthof(inputs)};
	int			lbs[1] = {1};
	int			i,
				nest;
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customers and purchases queries must not be null"),
				 errhint("The other inputs are optional.")));
	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (i = 0; i < lengthof(inputs); i++)
	{
		stored_null[i] = PG_ARGISNULL(INPUT_ARG(i));
		stored[i] = stored_null[i] ? (Datum) 0 :
			CStringGetTextDatum(check_input(&inputs[i], TextDatumGetCString(PG_GETARG_DATUM(INPUT_ARG(i))), &json,
											&key));
	}
	appendStringInfoChar(&json, '}');
	args[0] = PointerGetDatum(construct_md_array(stored, stored_null, 1, dims, lbs, TEXTOID, -1, false,
												 TYPALIGN_INT));
	args[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
	args[2] = PG_GETARG_DATUM(6);
	argnulls[2] = PG_ARGISNULL(6) ? 'n' : ' ';
	args[3] = ObjectIdGetDatum(key.typid);

	nest = ScrmPinSettings();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT scrm._configure($1, $2, $3, $4)", 4, argtypes, args, argnulls,
							  false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "scrm._configure failed");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	ScrmUnpinSettings(nest);
	PG_RETURN_DATUM(result);
}

/* The SQL type each column family is returned as by scrm._refresh_input */
static Oid
family_sql_type(ScrmColType type)
{
	switch (type)
	{
		case SCRM_COL_ID:
		case SCRM_COL_KEY:
			return INT8OID;
		case SCRM_COL_FLOAT:
			return FLOAT8OID;
		case SCRM_COL_TEXT:
			return TEXTOID;
		case SCRM_COL_TIMESTAMPTZ:
			return TIMESTAMPTZOID;
		case SCRM_COL_BOOL:
			return BOOLOID;
		case SCRM_COL_ARRAY:
			return InvalidOid;	/* not a column of an input */
	}
	return InvalidOid;
}

typedef struct InputOut
{
	ReturnSetInfo *rsinfo;
} InputOut;

/* One row of a stored query into the result */
static void
put_input_row(void *arg, Datum *values, bool *isnull)
{
	InputOut   *out = (InputOut *) arg;

	tuplestore_putvalues(out->rsinfo->setResult, out->rsinfo->setDesc, values, isnull);
}

/*
 * scrm._refresh_input(input text) RETURNS SETOF record
 *	 The rows of the stored query of a pipeline input, run as the role that
 *	 configured it (trust.c), with the input's columns in their order of
 *	 SOCIAL.md section 10 as bigint, float8, text, timestamptz or boolean
 *	 (an absent optional column is NULL).  No rows when the input is not
 *	 configured.  The rows go to a tuplestore, which spills to disk past
 *	 work_mem: the steps of scrm.refresh that run as SQL read their inputs
 *	 through it, so no stored text ever reaches dynamic SQL.
 */
Datum
scrm_refresh_input(PG_FUNCTION_ARGS)
{
	const ScrmInputSpec *in = ScrmFindInput(ScrmTextArg(fcinfo, 0, "input"));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ScrmColumn	cols[SCRM_INPUT_MAX_COLS];
	InputOut	out;
	int			i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (rsinfo->setDesc->natts != in->ncols)
		elog(ERROR, "the %s input has %d columns", in->name, in->ncols);
	for (i = 0; i < in->ncols; i++)
		if (TupleDescAttr(rsinfo->setDesc, i)->atttypid != family_sql_type(in->cols[i].type))
			elog(ERROR, "column %d of the %s input must be of type %s", i + 1, in->name,
				 format_type_be(family_sql_type(in->cols[i].type)));
	memcpy(cols, in->cols, sizeof(cols));
	out.rsinfo = rsinfo;
	(void) ScrmReadStored(in->name, cols, in->ncols, put_input_row, &out, NULL);
	PG_RETURN_NULL();
}

/*
 * scrm_check_input: the C symbol of scrm._check_input of 0.2.0, which the
 * install script of 0.2.0 still declares (an update to 0.3.0 drops it).
 * Only a session that has not run ALTER EXTENSION social_crm UPDATE calls
 * it; it refuses, since the 0.2.0 pipeline had no trust model.
 */
PG_FUNCTION_INFO_V1(scrm_check_input);

Datum
scrm_check_input(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("social_crm 0.2.0 cannot configure with the library of a later version"),
			 errhint("Run ALTER EXTENSION social_crm UPDATE.")));
	PG_RETURN_NULL();
}

typedef struct SegmentOut
{
	ReturnSetInfo *rsinfo;
	ScrmKeys   *keys;
	MemoryContext row_cxt;
} SegmentOut;

static void
put_segment_row(void *arg, Datum *values, bool *isnull)
{
	SegmentOut *out = (SegmentOut *) arg;
	MemoryContext old = MemoryContextSwitchTo(out->row_cxt);
	Datum		result[2];
	bool		nulls[2] = {false, isnull[1]};

	if (isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("segments query returned a null customer"),
				 errhint("Filter the nulls out, e.g. WHERE customer IS NOT NULL.")));
	result[0] = CStringGetTextDatum(ScrmKeysOut(out->keys, DatumGetInt64(values[0])));
	result[1] = values[1];
	tuplestore_putvalues(out->rsinfo->setResult, out->rsinfo->setDesc, result, nulls);
	MemoryContextSwitchTo(old);
	MemoryContextReset(out->row_cxt);
}

/*
 * scrm._segments(segments text) RETURNS TABLE (customer_key text, segment text)
 *	 The rows of a segments query (customer of any key type, segment text),
 *	 run as the caller, with the customer's key as text as in
 *	 scrm.customer_value.customer_key.
 */
PG_FUNCTION_INFO_V1(scrm_segments);

Datum
scrm_segments(PG_FUNCTION_ARGS)
{
	const char *query = ScrmTextArg(fcinfo, 0, "segments");
	ScrmColumn	cols[2] = {
		{"customer", SCRM_COL_KEY, true},
		{"segment", SCRM_COL_TEXT, true},
	};
	SegmentOut	out;

	InitMaterializedSRF(fcinfo, 0);
	out.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	out.keys = ScrmKeysCreate(InvalidOid, InvalidOid);	/* typed by the query */
	out.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "social_crm segment row",
										ALLOCSET_SMALL_SIZES);
	cols[0].keys = out.keys;
	ScrmReadQuery(query, "segments", cols, 2, put_segment_row, &out, NULL);
	MemoryContextDelete(out.row_cxt);
	PG_RETURN_NULL();
}
