/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  Support of scrm.configure: the input queries of the pipeline and the
 *	  columns each must return (SOCIAL.md §10), checked at configure time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "input.h"
#include "social_crm.h"

PG_FUNCTION_INFO_V1(scrm_check_input);

typedef struct PipelineInput
{
	const char *name;
	int			ncols;
	ScrmColumn	cols[6];
} PipelineInput;

static const PipelineInput inputs[] = {
	{"customers", 2, {
			{"customer", SCRM_COL_ID, true},
			{"social_consent", SCRM_COL_BOOL, false}}},
	{"purchases", 3, {
			{"customer", SCRM_COL_ID, true},
			{"purchased_at", SCRM_COL_TIMESTAMPTZ, true},
			{"amount", SCRM_COL_FLOAT, true}}},
	{"relationships", 5, {
			{"source", SCRM_COL_ID, true},
			{"target", SCRM_COL_ID, true},
			{"kind", SCRM_COL_TEXT, false},
			{"strength", SCRM_COL_FLOAT, false},
			{"last_interaction_at", SCRM_COL_TIMESTAMPTZ, false}}},
	{"interactions", 6, {
			{"customer", SCRM_COL_ID, true},
			{"kind", SCRM_COL_TEXT, true},
			{"occurred_at", SCRM_COL_TIMESTAMPTZ, true},
			{"counterparty", SCRM_COL_ID, false},
			{"audience", SCRM_COL_ID, false},
			{"resolved", SCRM_COL_BOOL, false}}},
	{"referrals", 4, {
			{"referrer", SCRM_COL_ID, true},
			{"referred", SCRM_COL_ID, true},
			{"reward_cost", SCRM_COL_FLOAT, false},
			{"incrementality", SCRM_COL_FLOAT, false}}},
	{"surveys", 3, {
			{"customer", SCRM_COL_ID, true},
			{"score", SCRM_COL_ID, true},
			{"answered_at", SCRM_COL_TIMESTAMPTZ, true}}},
};

/*
 * scrm._check_input(input text, query text) RETURNS text[]
 *	 Plan query, check the columns of the named pipeline input, and return
 *	 the names of the columns it has (required and optional).
 */
Datum
scrm_check_input(PG_FUNCTION_ARGS)
{
	const char *name = ScrmTextArg(fcinfo, 0, "input");
	const char *query = ScrmTextArg(fcinfo, 1, "query");
	ScrmColumn	cols[6];
	Datum		present[6];
	int			i,
				n = 0;

	for (i = 0; i < lengthof(inputs); i++)
		if (strcmp(inputs[i].name, name) == 0)
			break;
	if (i == lengthof(inputs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown pipeline input \"%s\"", name),
				 errhint("Inputs are customers, purchases, relationships, interactions, referrals and surveys.")));
	memcpy(cols, inputs[i].cols, sizeof(cols));
	ScrmCheckQuery(query, name, cols, inputs[i].ncols);
	for (i = 0; i < lengthof(cols) && cols[i].name != NULL; i++)
		if (cols[i].attnum != 0)
			present[n++] = CStringGetTextDatum(cols[i].name);
	PG_RETURN_ARRAYTYPE_P(construct_array(present, n, TEXTOID, -1, false, TYPALIGN_INT));
}
