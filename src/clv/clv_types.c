/*-------------------------------------------------------------------------
 *
 * clv_types.c
 *	  The model types scrm.bgnbd, scrm.paretonbd and scrm.gammagamma: text
 *	  and binary I/O, equality, constructors and scrm.params().
 *
 * Text form: (name=value,...) with the model's parameters and, for fitted
 * models, log_likelihood, customers, iterations and converged.  Numbers
 * are printed in the shortest form that reads back to the same double, so
 * text output round-trips exactly whatever extra_float_digits is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"

#include "clv.h"

PG_FUNCTION_INFO_V1(scrm_bgnbd_in);
PG_FUNCTION_INFO_V1(scrm_paretonbd_in);
PG_FUNCTION_INFO_V1(scrm_gammagamma_in);
PG_FUNCTION_INFO_V1(scrm_sbg_in);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_in);
PG_FUNCTION_INFO_V1(scrm_bgbb_in);
PG_FUNCTION_INFO_V1(scrm_bgnbd_recv);
PG_FUNCTION_INFO_V1(scrm_paretonbd_recv);
PG_FUNCTION_INFO_V1(scrm_gammagamma_recv);
PG_FUNCTION_INFO_V1(scrm_sbg_recv);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_recv);
PG_FUNCTION_INFO_V1(scrm_bgbb_recv);
PG_FUNCTION_INFO_V1(scrm_model_out);
PG_FUNCTION_INFO_V1(scrm_model_send);
PG_FUNCTION_INFO_V1(scrm_model_eq);
PG_FUNCTION_INFO_V1(scrm_model_ne);
PG_FUNCTION_INFO_V1(scrm_bgnbd_make);
PG_FUNCTION_INFO_V1(scrm_paretonbd_make);
PG_FUNCTION_INFO_V1(scrm_gammagamma_make);
PG_FUNCTION_INFO_V1(scrm_sbg_make);
PG_FUNCTION_INFO_V1(scrm_mbgnbd_make);
PG_FUNCTION_INFO_V1(scrm_bgbb_make);
PG_FUNCTION_INFO_V1(scrm_model_params);

static const char *const bgnbd_names[] = {"r", "alpha", "a", "b"};
static const char *const pareto_names[] = {"r", "alpha", "s", "beta"};
static const char *const gg_names[] = {"p", "q", "gamma"};
static const char *const sbg_names[] = {"alpha", "beta"};
static const char *const bgbb_names[] = {"alpha", "beta", "gamma", "delta"};

/* SQL type name of a kind, for messages */
const char *
ClvKindName(ClvKind kind)
{
	switch (kind)
	{
		case CLV_BGNBD:
			return "scrm.bgnbd";
		case CLV_PARETONBD:
			return "scrm.paretonbd";
		case CLV_GAMMAGAMMA:
			return "scrm.gammagamma";
		case CLV_SBG:
			return "scrm.sbg";
		case CLV_MBGNBD:
			return "scrm.mbgnbd";
		case CLV_BGBB:
			return "scrm.bgbb";
	}
	return "?";
}

/* Parameter names of a kind */
const char *const *
ClvParamNames(ClvKind kind)
{
	return (kind == CLV_BGNBD || kind == CLV_MBGNBD) ? bgnbd_names :
		kind == CLV_PARETONBD ? pareto_names :
		kind == CLV_SBG ? sbg_names :
		kind == CLV_BGBB ? bgbb_names : gg_names;
}

/* Number of parameters of a kind */
int
ClvParamCount(ClvKind kind)
{
	return kind == CLV_GAMMAGAMMA ? 3 : kind == CLV_SBG ? 2 : 4;
}

/* Error unless every parameter is a positive finite number */
void
ClvCheckParams(ClvKind kind, const double *params)
{
	int			i;

	for (i = 0; i < ClvParamCount(kind); i++)
		if (!(params[i] > 0.0) || isinf(params[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("parameter %s of %s must be a positive finite number",
							ClvParamNames(kind)[i], ClvKindName(kind)),
					 errdetail("The value given is %g.", params[i])));
}

/*
 * Error unless (frequency, recency, age) is a possible history: all >= 0
 * and finite, recency <= age, recency = 0 when frequency = 0 (frequency > 0
 * with recency 0 is possible: repeat purchases on the first day's period).
 */
void
ClvCheckHistory(int32 frequency, double recency, double age)
{
	if (frequency < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be >= 0"),
				 errdetail("The value given is %d.", frequency)));
	if (!(recency >= 0.0) || isinf(recency) || !(age >= 0.0) || isinf(age))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency and age must be finite numbers >= 0"),
				 errdetail("recency %g, age %g.", recency, age)));
	if (recency > age)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not exceed age"),
				 errdetail("recency %g, age %g: the last purchase cannot come after "
						   "the end of the observation.", recency, age)));
	if (frequency == 0 && recency != 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be 0 when frequency is 0"),
				 errdetail("recency %g with no repeat purchase.", recency)));
}

/* A model argument, checked to be of the expected kind */
ClvModel *
ClvModelCheck(Datum d, ClvKind kind)
{
	ClvModel   *m = (ClvModel *) DatumGetPointer(d);

	if (m->kind != kind)
		elog(ERROR, "model of kind %d where %s was expected", m->kind,
			 ClvKindName(kind));
	return m;
}

/* Raise the syntax error of the text input */
static void
bad_syntax(ClvKind kind, const char *str, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"",
					ClvKindName(kind), str),
			 errdetail("%s", why)));
}

/* Parse "(name=value, ...)" into a model of the given kind */
static ClvModel *
model_parse(ClvKind kind, char *str)
{
	ClvModel   *m = palloc0(sizeof(ClvModel));
	int			nparams = ClvParamCount(kind);
	int			seen = 0;		/* bit i: parameter i; bits 8..11: stats */
	char	   *p = str;
	bool		paren;
	int			i;

	m->kind = kind;
	m->nparams = nparams;
	while (isspace((unsigned char) *p))
		p++;
	paren = (*p == '(');
	if (paren)
		p++;
	for (;;)
	{
		char	   *key;
		size_t		len;
		int			bit = -1;

		while (isspace((unsigned char) *p))
			p++;
		key = p;
		while (isalpha((unsigned char) *p) || *p == '_')
			p++;
		len = p - key;
		while (isspace((unsigned char) *p))
			p++;
		if (len == 0 || *p != '=')
			bad_syntax(kind, str, "Expected name=value.");
		p++;
		for (i = 0; i < nparams; i++)
			if (strlen(ClvParamNames(kind)[i]) == len &&
				strncmp(key, ClvParamNames(kind)[i], len) == 0)
				bit = i;
		if (bit >= 0)
			m->params[bit] = float8in_internal(p, &p, ClvKindName(kind), str);
		else if (len == 14 && strncmp(key, "log_likelihood", len) == 0)
		{
			bit = 8;
			m->loglik = float8in_internal(p, &p, ClvKindName(kind), str);
		}
		else if (len == 9 && strncmp(key, "customers", len) == 0)
		{
			bit = 9;
			m->customers = float8in_internal(p, &p, ClvKindName(kind), str);
		}
		else if (len == 10 && strncmp(key, "iterations", len) == 0)
		{
			double		it = float8in_internal(p, &p, ClvKindName(kind), str);

			bit = 10;
			if (!(it >= 0 && it <= PG_INT32_MAX && it == floor(it)))
				bad_syntax(kind, str, "iterations must be a whole number >= 0.");
			m->iterations = (int32) it;
		}
		else if (len == 9 && strncmp(key, "converged", len) == 0)
		{
			bit = 11;
			while (isspace((unsigned char) *p))
				p++;
			if (strncmp(p, "true", 4) == 0)
			{
				m->flags |= CLV_CONVERGED;
				p += 4;
			}
			else if (strncmp(p, "false", 5) == 0)
				p += 5;
			else
				bad_syntax(kind, str, "converged must be true or false.");
		}
		else
			bad_syntax(kind, str, "Unknown name.");
		if (seen & (1 << bit))
			bad_syntax(kind, str, "A name is given twice.");
		seen |= 1 << bit;
		while (isspace((unsigned char) *p))
			p++;
		if (*p != ',')
			break;
		p++;
	}
	if (paren)
	{
		if (*p != ')')
			bad_syntax(kind, str, "Expected \")\".");
		p++;
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		bad_syntax(kind, str, "Unexpected characters at the end.");
	if ((seen & ((1 << nparams) - 1)) != (1 << nparams) - 1)
		bad_syntax(kind, str, "Every parameter of the model must be given.");
	if ((seen & 0xF00) != 0 && (seen & 0xF00) != 0xF00)
		bad_syntax(kind, str, "Fit statistics come all four together: "
				   "log_likelihood, customers, iterations, converged.");
	if (seen & 0xF00)
	{
		m->flags |= CLV_FITTED;
		if (!isfinite(m->loglik) || !(m->customers >= 0) || isinf(m->customers))
			bad_syntax(kind, str, "log_likelihood and customers must be finite.");
	}
	ClvCheckParams(kind, m->params);
	return m;
}

Datum
scrm_bgnbd_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_parse(CLV_BGNBD, PG_GETARG_CSTRING(0)));
}

Datum
scrm_paretonbd_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_parse(CLV_PARETONBD, PG_GETARG_CSTRING(0)));
}

Datum
scrm_gammagamma_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_parse(CLV_GAMMAGAMMA, PG_GETARG_CSTRING(0)));
}

Datum
scrm_sbg_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_parse(CLV_SBG, PG_GETARG_CSTRING(0)));
}

Datum
scrm_mbgnbd_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_parse(CLV_MBGNBD, PG_GETARG_CSTRING(0)));
}

Datum
scrm_bgbb_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_parse(CLV_BGBB, PG_GETARG_CSTRING(0)));
}

/*
 * Append name and value in format (separator, name, number), the number in
 * the shortest form that reads back to the same double; the separator is
 * left out before the first item (buf holds only the opening bracket).
 */
static void
append_number(StringInfo buf, const char *format, const char *sep,
			  const char *name, double value)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(value, num);
	appendStringInfo(buf, format, buf->len > 1 ? sep : "", name, num);
}

#define TEXT_ITEM "%s%s=%s"
#define JSON_ITEM "%s\"%s\": %s"

/* Text output of any model */
Datum
scrm_model_out(PG_FUNCTION_ARGS)
{
	ClvModel   *m = (ClvModel *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	for (i = 0; i < m->nparams; i++)
		append_number(&buf, TEXT_ITEM, ",", ClvParamNames(m->kind)[i], m->params[i]);
	if (m->flags & CLV_FITTED)
	{
		append_number(&buf, TEXT_ITEM, ",", "log_likelihood", m->loglik);
		append_number(&buf, TEXT_ITEM, ",", "customers", m->customers);
		appendStringInfo(&buf, ",iterations=%d,converged=%s", m->iterations,
						 (m->flags & CLV_CONVERGED) ? "true" : "false");
	}
	appendStringInfoChar(&buf, ')');
	PG_RETURN_CSTRING(buf.data);
}

/* Binary input: flags, iterations, parameters, log-likelihood, customers */
static ClvModel *
model_recv(ClvKind kind, StringInfo buf)
{
	ClvModel   *m = palloc0(sizeof(ClvModel));
	int			i;

	m->kind = kind;
	m->nparams = ClvParamCount(kind);
	m->flags = pq_getmsgint(buf, 4);
	m->iterations = pq_getmsgint(buf, 4);
	for (i = 0; i < m->nparams; i++)
		m->params[i] = pq_getmsgfloat8(buf);
	m->loglik = pq_getmsgfloat8(buf);
	m->customers = pq_getmsgfloat8(buf);
	/*
	 * exactly what text input accepts: a fitted model with finite
	 * statistics (customers >= 0), or one without any (all 0, not
	 * converged); nothing left over
	 */
	if ((m->flags & ~(CLV_FITTED | CLV_CONVERGED)) != 0 ||
		((m->flags & CLV_FITTED) ?
		 (m->iterations < 0 || !isfinite(m->loglik) || !(m->customers >= 0) || isinf(m->customers)) :
		 (m->flags != 0 || m->iterations != 0 || m->loglik != 0.0 || m->customers != 0.0)) ||
		buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external %s value", ClvKindName(kind))));
	ClvCheckParams(kind, m->params);
	return m;
}

Datum
scrm_bgnbd_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_recv(CLV_BGNBD, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
scrm_paretonbd_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_recv(CLV_PARETONBD, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
scrm_gammagamma_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_recv(CLV_GAMMAGAMMA, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
scrm_sbg_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_recv(CLV_SBG, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
scrm_mbgnbd_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_recv(CLV_MBGNBD, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
scrm_bgbb_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_recv(CLV_BGBB, (StringInfo) PG_GETARG_POINTER(0)));
}

/* Binary output of any model */
Datum
scrm_model_send(PG_FUNCTION_ARGS)
{
	ClvModel   *m = (ClvModel *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, m->flags);
	pq_sendint32(&buf, m->iterations);
	for (i = 0; i < m->nparams; i++)
		pq_sendfloat8(&buf, m->params[i]);
	pq_sendfloat8(&buf, m->loglik);
	pq_sendfloat8(&buf, m->customers);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Are two models identical (parameters and fit statistics)? */
static bool
model_equal(const ClvModel *a, const ClvModel *b)
{
	int			i;

	if (a->kind != b->kind || a->flags != b->flags ||
		a->iterations != b->iterations || a->nparams != b->nparams)
		return false;
	for (i = 0; i < a->nparams; i++)
		if (a->params[i] != b->params[i])
			return false;
	return a->loglik == b->loglik && a->customers == b->customers;
}

Datum
scrm_model_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(model_equal((ClvModel *) PG_GETARG_POINTER(0),
							   (ClvModel *) PG_GETARG_POINTER(1)));
}

Datum
scrm_model_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!model_equal((ClvModel *) PG_GETARG_POINTER(0),
								(ClvModel *) PG_GETARG_POINTER(1)));
}

/* A model from chosen parameters (no fit statistics) */
static ClvModel *
model_make(ClvKind kind, FunctionCallInfo fcinfo)
{
	ClvModel   *m = palloc0(sizeof(ClvModel));
	int			i;

	m->kind = kind;
	m->nparams = ClvParamCount(kind);
	for (i = 0; i < m->nparams; i++)
		m->params[i] = PG_GETARG_FLOAT8(i);
	ClvCheckParams(kind, m->params);
	return m;
}

Datum
scrm_bgnbd_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_make(CLV_BGNBD, fcinfo));
}

Datum
scrm_paretonbd_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_make(CLV_PARETONBD, fcinfo));
}

Datum
scrm_gammagamma_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_make(CLV_GAMMAGAMMA, fcinfo));
}

Datum
scrm_sbg_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_make(CLV_SBG, fcinfo));
}

Datum
scrm_mbgnbd_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_make(CLV_MBGNBD, fcinfo));
}

Datum
scrm_bgbb_make(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(model_make(CLV_BGBB, fcinfo));
}

/* scrm.params(model) -> jsonb with the parameters and the fit statistics */
Datum
scrm_model_params(PG_FUNCTION_ARGS)
{
	ClvModel   *m = (ClvModel *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	bool		fitted = (m->flags & CLV_FITTED) != 0;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < m->nparams; i++)
		append_number(&buf, JSON_ITEM, ", ", ClvParamNames(m->kind)[i], m->params[i]);
	if (fitted)
	{
		append_number(&buf, JSON_ITEM, ", ", "log_likelihood", m->loglik);
		append_number(&buf, JSON_ITEM, ", ", "customers", m->customers);
		appendStringInfo(&buf, ", \"iterations\": %d, \"converged\": %s}",
						 m->iterations,
						 (m->flags & CLV_CONVERGED) ? "true" : "false");
	}
	else
		appendStringInfoString(&buf, ", \"log_likelihood\": null, \"customers\": null, "
							   "\"iterations\": null, \"converged\": null}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
