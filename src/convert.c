/*-------------------------------------------------------------------------
 * convert.c
 *		Turn CSV field text into column values, fast and with clear errors.
 *
 * The common column types have hand-written parsers that never throw: they
 * report a bad value through GtfsConvertError, so a caller can either raise
 * it or skip the row (on_error 'skip') without a subtransaction.  The GTFS
 * formats that PostgreSQL's input functions do not read are handled here:
 * YYYYMMDD dates and H:MM:SS times past midnight (as intervals).  Other types
 * use their input function; with err set, inside a subtransaction.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "convert.h"
#include "subxact.h"

/* Values longer than this are shortened in messages. */
#define MAX_VALUE_IN_MESSAGE 80

/* Choose the conversion path for a column of this type. */
void
GtfsColumnInit(GtfsColumn *col, Oid typid, int32 typmod)
{
	Oid			infunc;

	col->typid = typid;
	col->typmod = typmod;
	getTypeInputInfo(typid, &infunc, &col->ioparam);
	fmgr_info(infunc, &col->infunc);

	switch (typid)
	{
		case TEXTOID:
			col->path = CONVERT_TEXT;
			break;
		case VARCHAROID:
			col->path = typmod < 0 ? CONVERT_TEXT : CONVERT_GENERIC;
			break;
		case INT2OID:
			col->path = CONVERT_INT2;
			break;
		case INT4OID:
			col->path = CONVERT_INT4;
			break;
		case INT8OID:
			col->path = CONVERT_INT8;
			break;
		case FLOAT4OID:
			col->path = CONVERT_FLOAT4;
			break;
		case FLOAT8OID:
			col->path = CONVERT_FLOAT8;
			break;
		case NUMERICOID:
			col->path = CONVERT_NUMERIC;
			break;
		case BOOLOID:
			col->path = CONVERT_BOOL;
			break;
		case DATEOID:
			col->path = CONVERT_DATE;
			break;
		case INTERVALOID:
			col->path = typmod < 0 ? CONVERT_INTERVAL : CONVERT_GENERIC;
			break;
		default:
			col->path = CONVERT_GENERIC;
			break;
	}
}

static char *
Shorten(const char *str, size_t len)
{
	if (len <= MAX_VALUE_IN_MESSAGE)
		return pnstrdup(str, len);
	return psprintf("%.*s...", MAX_VALUE_IN_MESSAGE, str);
}

static bool
Fail(GtfsConvertError *err, int sqlstate, char *message, char *detail)
{
	if (err == NULL)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg_internal("%s", message),
				 detail ? errdetail_internal("%s", detail) : 0));
	err->sqlstate = sqlstate;
	err->message = message;
	err->detail = detail;
	return false;
}

static bool
BadSyntax(GtfsConvertError *err, const char *type, const char *str, size_t len)
{
	return Fail(err, ERRCODE_INVALID_TEXT_REPRESENTATION,
				psprintf("invalid input syntax for type %s: \"%s\"",
						 type, Shorten(str, len)), NULL);
}

/* Skip the spaces around a number; false if nothing is left. */
static bool
TrimSpaces(char **str, size_t *len)
{
	char	   *s = *str;
	size_t		n = *len;

	while (n > 0 && isspace((unsigned char) *s))
		s++, n--;
	while (n > 0 && isspace((unsigned char) s[n - 1]))
		n--;
	*str = s;
	*len = n;
	return n > 0;
}

/* A decimal integer within [min, max]. */
static bool
ParseInteger(char *str, size_t len, int64 min, int64 max, const char *type,
			 int64 *result, GtfsConvertError *err)
{
	char	   *s = str;
	size_t		n = len;
	bool		neg = false;
	uint64		v = 0;
	uint64		limit;

	if (!TrimSpaces(&s, &n))
		return BadSyntax(err, type, str, len);
	if (*s == '-' || *s == '+')
	{
		neg = (*s == '-');
		s++, n--;
	}
	if (n == 0)
		return BadSyntax(err, type, str, len);
	limit = neg ? (uint64) (-(min + 1)) + 1 : (uint64) max;
	for (size_t i = 0; i < n; i++)
	{
		unsigned	d = (unsigned char) s[i] - '0';

		if (d > 9)
			return BadSyntax(err, type, str, len);
		if (v > (limit - d) / 10)
			return Fail(err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
						psprintf("value \"%s\" is out of range for type %s",
								 Shorten(str, len), type), NULL);
		v = v * 10 + d;
	}
	*result = neg ? -(int64) (v - 1) - 1 : (int64) v;
	return true;
}

static bool SoftCall(Datum (*fn) (GtfsColumn *, char *, size_t),
					 GtfsColumn *col, char *str, size_t len,
					 Datum *value, GtfsConvertError *err);

/* A printable copy of a value that is not valid UTF-8. */
static char *
CleanCopy(const char *str, size_t len)
{
	char	   *copy = Shorten(str, len);

	for (char *p = copy; *p; p++)
		if ((unsigned char) *p >= 0x80 || (unsigned char) *p < 0x20)
			*p = '?';
	return copy;
}

static Datum
ConvertFromUtf8(GtfsColumn *col, char *str, size_t len)
{
	char	   *conv = pg_any_to_server(str, len, PG_UTF8);

	return PointerGetDatum(cstring_to_text(conv));
}

/* Whether the database stores text as the file has it (UTF-8). */
static bool
DatabaseIsUtf8(void)
{
	int			dbenc = GetDatabaseEncoding();

	return dbenc == PG_UTF8 || dbenc == PG_SQL_ASCII;
}

/* A value that is not valid UTF-8: an error, or with err, a rejection. */
static bool
CheckUtf8(char *str, size_t len, GtfsConvertError *err)
{
	if (pg_verify_mbstr(PG_UTF8, str, len, true))
		return true;
	return Fail(err, ERRCODE_CHARACTER_NOT_IN_REPERTOIRE,
				psprintf("invalid byte sequence for encoding \"UTF8\" in value \"%s\"",
						 CleanCopy(str, len)),
				pstrdup("GTFS files must be encoded in UTF-8."));
}

static bool
ConvertText(GtfsColumn *col, char *str, size_t len, Datum *value,
			GtfsConvertError *err)
{
	if (!DatabaseIsUtf8())
	{
		/* another database encoding: convert, which may throw */
		if (err == NULL)
		{
			*value = ConvertFromUtf8(col, str, len);
			return true;
		}
		return SoftCall(ConvertFromUtf8, col, str, len, value, err);
	}
	if (!CheckUtf8(str, len, err))
		return false;
	*value = PointerGetDatum(cstring_to_text_with_len(str, len));
	return true;
}

/* GTFS Date: exactly YYYYMMDD. */
static bool
ParseGtfsDate(char *str, size_t len, DateADT *result)
{
	int			y,
				m,
				d;

	if (len != 8)
		return false;
	for (int i = 0; i < 8; i++)
		if (str[i] < '0' || str[i] > '9')
			return false;
	y = (str[0] - '0') * 1000 + (str[1] - '0') * 100 + (str[2] - '0') * 10 + (str[3] - '0');
	m = (str[4] - '0') * 10 + (str[5] - '0');
	d = (str[6] - '0') * 10 + (str[7] - '0');
	if (m < 1 || m > 12 || d < 1 ||
		d > day_tab[isleap(y)][m - 1] || y < 1)
		return false;
	*result = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

/* GTFS Time: H:MM:SS or HH:MM:SS (hours may pass 24) as an interval. */
static bool
ParseGtfsTime(char *str, size_t len, Interval *result)
{
	int64		h = 0;
	size_t		i = 0;
	int			mm,
				ss;

	while (i < len && str[i] >= '0' && str[i] <= '9' && i < 6)
		h = h * 10 + (str[i++] - '0');
	if (i == 0 || i == 6 || len - i != 6 || str[i] != ':' || str[i + 3] != ':')
		return false;
	for (size_t k = i + 1; k < len; k++)
		if (k != i + 3 && (str[k] < '0' || str[k] > '9'))
			return false;
	mm = (str[i + 1] - '0') * 10 + (str[i + 2] - '0');
	ss = (str[i + 4] - '0') * 10 + (str[i + 5] - '0');
	if (mm > 59 || ss > 59)
		return false;
	result->month = 0;
	result->day = 0;
	result->time = ((h * 60 + mm) * 60 + ss) * USECS_PER_SEC;
	return true;
}

typedef struct SoftCallArgs
{
	Datum		(*fn) (GtfsColumn *, char *, size_t);
	GtfsColumn *col;
	char	   *str;
	size_t		len;
	Datum		result;
} SoftCallArgs;

static void
RunSoftCall(void *arg)
{
	SoftCallArgs *a = (SoftCallArgs *) arg;

	a->result = a->fn(a->col, a->str, a->len);
}

/*
 * Run fn, turning an error it raises into a GtfsConvertError.  This needs a
 * subtransaction, so it serves only the rare types without a fast path.
 */
static bool
SoftCall(Datum (*fn) (GtfsColumn *, char *, size_t),
		 GtfsColumn *col, char *str, size_t len, Datum *value,
		 GtfsConvertError *err)
{
	SoftCallArgs args = {fn, col, str, len, (Datum) 0};
	ErrorData  *edata;

	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("on_error 'skip' cannot check column \"%s\" of type %s in a parallel query",
						col->attname, format_type_be(col->typid)),
				 errdetail("Values of this type are checked in a subtransaction, which a parallel query cannot start."),
				 errhint("Run the query with max_parallel_workers_per_gather = 0, or give the column a type such as text, integer, date or interval.")));
	edata = GtfsTryInSubtransaction(RunSoftCall, &args);
	if (edata == NULL)
	{
		*value = args.result;
		return true;
	}
	err->sqlstate = edata->sqlerrcode;
	err->message = edata->message;
	err->detail = edata->detail;
	return false;
}

/* The type's input function, on the value in the server encoding. */
static Datum
CallInputFunction(GtfsColumn *col, char *str, size_t len)
{
	char	   *cstr = str[len] == '\0' ? str : pnstrdup(str, len);

	if (!DatabaseIsUtf8())
		cstr = pg_any_to_server(cstr, len, PG_UTF8);
	return InputFunctionCall(&col->infunc, cstr, col->ioparam, col->typmod);
}

static bool
ConvertGeneric(GtfsColumn *col, char *str, size_t len, Datum *value,
			   GtfsConvertError *err)
{
	if (DatabaseIsUtf8() && !CheckUtf8(str, len, err))
		return false;
	if (err == NULL)
	{
		*value = CallInputFunction(col, str, len);
		return true;
	}
	return SoftCall(CallInputFunction, col, str, len, value, err);
}

static bool
CheckCoordinate(GtfsColumn *col, double v, char *str, size_t len,
				GtfsConvertError *err)
{
	double		limit;
	const char *what;

	if (col->spec == NULL)
		return true;
	if (col->spec->kind == GTFS_KIND_LATITUDE)
		limit = 90.0, what = "latitude";
	else if (col->spec->kind == GTFS_KIND_LONGITUDE)
		limit = 180.0, what = "longitude";
	else
		return true;
	if (v >= -limit && v <= limit)
		return true;
	return Fail(err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
				psprintf("%s out of range: \"%s\"", what, Shorten(str, len)),
				psprintf("A %s lies between %g and %g.", what, -limit, limit));
}

/*
 * GtfsConvert: the value of a non-empty field.  With err NULL a bad value
 * raises an error; otherwise it returns false and describes the problem.
 * str must be NUL-terminated at len.
 */
bool
GtfsConvert(GtfsColumn *col, char *str, size_t len, Datum *value,
			GtfsConvertError *err)
{
	switch (col->path)
	{
		case CONVERT_TEXT:
			return ConvertText(col, str, len, value, err);

		case CONVERT_INT2:
		case CONVERT_INT4:
		case CONVERT_INT8:
			{
				int64		v;

				if (col->path == CONVERT_INT2)
				{
					if (!ParseInteger(str, len, PG_INT16_MIN, PG_INT16_MAX, "smallint", &v, err))
						return false;
					*value = Int16GetDatum((int16) v);
				}
				else if (col->path == CONVERT_INT4)
				{
					if (!ParseInteger(str, len, PG_INT32_MIN, PG_INT32_MAX, "integer", &v, err))
						return false;
					*value = Int32GetDatum((int32) v);
				}
				else
				{
					if (!ParseInteger(str, len, PG_INT64_MIN, PG_INT64_MAX, "bigint", &v, err))
						return false;
					*value = Int64GetDatum(v);
				}
				return true;
			}

		case CONVERT_FLOAT4:
		case CONVERT_FLOAT8:
			{
				bool		have_error = false;
				double		v;
				char	   *s = str;
				size_t		n = len;

				if (!TrimSpaces(&s, &n))
					return BadSyntax(err, "double precision", str, len);
				v = float8in_internal_opt_error(str, NULL, "double precision",
												str, &have_error);
				if (have_error)
					return BadSyntax(err, "double precision", str, len);
				if (!CheckCoordinate(col, v, str, len, err))
					return false;
				if (col->path == CONVERT_FLOAT4)
				{
					if (isinf((float4) v) && !isinf(v))
						return Fail(err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
									psprintf("value \"%s\" is out of range for type real",
											 Shorten(str, len)), NULL);
					*value = Float4GetDatum((float4) v);
				}
				else
					*value = Float8GetDatum(v);
				return true;
			}

		case CONVERT_NUMERIC:
			{
				/* check the syntax softly; numeric_in then cannot fail */
				char	   *s = str;
				size_t		n = len;
				size_t		i = 0;
				int			digits = 0;

				if (!TrimSpaces(&s, &n))
					return BadSyntax(err, "numeric", str, len);
				if (s[i] == '+' || s[i] == '-')
					i++;
				while (i < n && isdigit((unsigned char) s[i]))
					i++, digits++;
				if (i < n && s[i] == '.')
					for (i++; i < n && isdigit((unsigned char) s[i]); i++)
						digits++;
				if (digits == 0 || i != n)
					return BadSyntax(err, "numeric", str, len);
				if (col->typmod >= 0)
					return ConvertGeneric(col, str, len, value, err);
				*value = DirectFunctionCall3(numeric_in, CStringGetDatum(str),
											 ObjectIdGetDatum(InvalidOid),
											 Int32GetDatum(-1));
				return true;
			}

		case CONVERT_BOOL:
			{
				bool		b;

				if (parse_bool_with_len(str, len, &b))
				{
					*value = BoolGetDatum(b);
					return true;
				}
				return BadSyntax(err, "boolean", str, len);
			}

		case CONVERT_DATE:
			{
				DateADT		d;

				if (ParseGtfsDate(str, len, &d))
				{
					*value = DateADTGetDatum(d);
					return true;
				}
				if (col->spec && col->spec->kind == GTFS_KIND_DATE)
					return Fail(err, ERRCODE_INVALID_DATETIME_FORMAT,
								psprintf("invalid GTFS date: \"%s\"", Shorten(str, len)),
								pstrdup("GTFS dates are written YYYYMMDD, such as 20240131."));
				return ConvertGeneric(col, str, len, value, err);
			}

		case CONVERT_INTERVAL:
			{
				Interval   *iv = palloc(sizeof(Interval));

				if (ParseGtfsTime(str, len, iv))
				{
					*value = IntervalPGetDatum(iv);
					return true;
				}
				pfree(iv);
				if (col->spec && col->spec->kind == GTFS_KIND_TIME)
					return Fail(err, ERRCODE_INVALID_DATETIME_FORMAT,
								psprintf("invalid GTFS time: \"%s\"", Shorten(str, len)),
								pstrdup("GTFS times are written H:MM:SS or HH:MM:SS, such as 8:05:00 or 25:35:00."));
				return ConvertGeneric(col, str, len, value, err);
			}

		case CONVERT_GENERIC:
			return ConvertGeneric(col, str, len, value, err);
	}
	elog(ERROR, "unrecognized conversion path: %d", (int) col->path);
	return false;				/* keep compiler quiet */
}
