/*-------------------------------------------------------------------------
 * options.c
 *		Validate and read the options of gtfs_fdw objects.
 *
 * One static table says which option belongs where; the validator checks
 * names and values without ever opening a connection or a file.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "options.h"

PG_FUNCTION_INFO_V1(gtfs_fdw_validator);

/* What a value must look like. */
typedef enum GtfsOptionType
{
	OPT_TEXT,
	OPT_URL,
	OPT_KIND,
	OPT_INT,					/* non-negative integer */
	OPT_POSITIVE_INT,
	OPT_BIGINT,					/* positive 64-bit integer */
	OPT_BOOL,
	OPT_HEADERS,				/* JSON object of header names to values */
	OPT_HEADER_NAME,
	OPT_FILE_NAME,
	OPT_ON_ERROR,
	OPT_ROWS,
	OPT_SERVER_PATH				/* a path on the server: privileged */
} GtfsOptionType;

typedef struct GtfsOption
{
	const char *name;
	Oid			catalog;
	GtfsOptionType type;
} GtfsOption;

static const GtfsOption gtfs_options[] = {
	/* server */
	{"kind", ForeignServerRelationId, OPT_KIND},
	{"url", ForeignServerRelationId, OPT_URL},
	{"timeout_ms", ForeignServerRelationId, OPT_POSITIVE_INT},
	{"connect_timeout_ms", ForeignServerRelationId, OPT_POSITIVE_INT},
	{"max_bytes", ForeignServerRelationId, OPT_BIGINT},
	{"max_redirects", ForeignServerRelationId, OPT_INT},
	{"cache_ttl", ForeignServerRelationId, OPT_INT},
	{"stale_if_error", ForeignServerRelationId, OPT_BOOL},
	{"headers", ForeignServerRelationId, OPT_HEADERS},
	{"api_key_header", ForeignServerRelationId, OPT_HEADER_NAME},
	{"api_key_param", ForeignServerRelationId, OPT_TEXT},
	{"ca_file", ForeignServerRelationId, OPT_SERVER_PATH},
	/* user mapping: the only home of secrets */
	{"api_key", UserMappingRelationId, OPT_TEXT},
	{"headers", UserMappingRelationId, OPT_HEADERS},
	{"username", UserMappingRelationId, OPT_TEXT},
	{"password", UserMappingRelationId, OPT_TEXT},
	/* foreign table */
	{"file", ForeignTableRelationId, OPT_FILE_NAME},
	{"rows", ForeignTableRelationId, OPT_ROWS},
	{"on_error", ForeignTableRelationId, OPT_ON_ERROR},
	{"missing_ok", ForeignTableRelationId, OPT_BOOL},
	/* column */
	{"column_name", AttributeRelationId, OPT_TEXT},
};

/* Source kinds this build can read. */
static const char *const gtfs_kinds[] = {"gtfs"};

/* Query parameters that carry credentials; never allowed in a server URL. */
static const char *const secret_param_names[] = {
	"key", "apikey", "api_key", "api-key", "token", "access_token",
	"auth", "secret", "client_secret", "password", "passwd", "sig",
	"signature", "subscription-key", "x-api-key",
};

static const char *
CatalogObjectName(Oid catalog)
{
	switch (catalog)
	{
		case ForeignServerRelationId:
			return "server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
		case ForeignDataWrapperRelationId:
			return "foreign-data wrapper";
	}
	return "object";
}

/* The valid option of this catalog closest to a misspelled name, if any
 * is close enough to be what the user meant. */
static const char *
ClosestOptionName(const char *name, Oid catalog)
{
	const char *best = NULL;
	int			best_distance = Max(2, (int) strlen(name) / 3) + 1;

	for (int i = 0; i < lengthof(gtfs_options); i++)
	{
		int			d;

		if (gtfs_options[i].catalog != catalog)
			continue;
		d = varstr_levenshtein(name, strlen(name),
							   gtfs_options[i].name,
							   strlen(gtfs_options[i].name), 1, 1, 1, true);
		if (d < best_distance)
		{
			best_distance = d;
			best = gtfs_options[i].name;
		}
	}
	return best;
}

/* An option this object does not take: say where it belongs, or what the
 * user probably meant. */
static void
ReportUnknownOption(const char *name, Oid catalog)
{
	const char *closest = ClosestOptionName(name, catalog);
	Oid			home = InvalidOid;

	for (int i = 0; i < lengthof(gtfs_options); i++)
	{
		if (strcmp(gtfs_options[i].name, name) == 0)
			home = gtfs_options[i].catalog;
	}
	if (OidIsValid(home) && home == UserMappingRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\" for a gtfs_fdw %s",
						name, CatalogObjectName(catalog)),
				 errdetail("Secrets and credentials are kept only in user mappings."),
				 errhint("Use CREATE USER MAPPING FOR ... SERVER ... OPTIONS (%s '...').", name)));
	if (OidIsValid(home))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\" for a gtfs_fdw %s",
						name, CatalogObjectName(catalog)),
				 errhint("The option \"%s\" belongs to a %s.", name,
						 CatalogObjectName(home))));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\" for a gtfs_fdw %s",
					name, CatalogObjectName(catalog)),
			 closest ? errhint("Perhaps you meant the option \"%s\".", closest) :
			 errhint("See the options table in the README.")));
}

/* Whether the current role may read files on the server, as file_fdw asks. */
bool
GtfsRoleMayReadServerFiles(void)
{
	return superuser() ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
}

/* A URL is local when it is a file:// URL or an absolute path. */
bool
GtfsUrlIsLocal(const char *url)
{
	return url[0] == '/' || pg_strncasecmp(url, "file://", 7) == 0;
}

static int
HexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = pg_ascii_tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The filesystem path of a local URL: file:///a%20b -> /a b. */
char *
GtfsLocalPathFromUrl(const char *url)
{
	const char *p;
	StringInfoData buf;

	if (url[0] == '/')
		return pstrdup(url);

	p = url + 7;				/* after file:// */
	if (pg_strncasecmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("file URL \"%s\" must name an absolute path on this server", url),
				 errhint("Write file:///path/to/feed.zip, with three slashes.")));

	initStringInfo(&buf);
	for (; *p; p++)
	{
		if (*p == '%' && HexDigit(p[1]) >= 0 && HexDigit(p[2]) >= 0)
		{
			appendStringInfoChar(&buf, (char) (HexDigit(p[1]) * 16 + HexDigit(p[2])));
			p += 2;
		}
		else
			appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/* Refuse URLs that embed credentials: they belong in a user mapping. */
static void
CheckUrlHasNoSecret(const char *url)
{
	const char *scheme_end = strstr(url, "://");
	const char *query;

	if (scheme_end)
	{
		const char *host = scheme_end + 3;
		size_t		authority_len = strcspn(host, "/?#");
		const char *at = memchr(host, '@', authority_len);

		if (at != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"url\" must not contain a user name or password"),
					 errhint("Put credentials in a user mapping: CREATE USER MAPPING ... OPTIONS (username '...', password '...').")));
	}

	query = strchr(url, '?');
	while (query != NULL)
	{
		const char *name = query + 1;
		size_t		len = strcspn(name, "=&#");

		for (int i = 0; i < lengthof(secret_param_names); i++)
		{
			if (strlen(secret_param_names[i]) == len &&
				pg_strncasecmp(name, secret_param_names[i], len) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"url\" must not carry the credential parameter \"%.*s\"",
								(int) len, name),
						 errdetail("Server options are visible to every user of the server."),
						 errhint("Remove the parameter, set the server option api_key_param '%.*s', and put the key in a user mapping: CREATE USER MAPPING ... OPTIONS (api_key '...').",
								 (int) len, name)));
		}
		query = strchr(name, '&');
	}
}

static void
CheckUrl(const char *url)
{
	if (pg_strncasecmp(url, "http://", 7) == 0 ||
		pg_strncasecmp(url, "https://", 8) == 0)
	{
		CheckUrlHasNoSecret(url);
		return;
	}
	if (GtfsUrlIsLocal(url))
	{
		if (!GtfsRoleMayReadServerFiles())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to read a GTFS feed from a server file"),
					 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may use a local path or file:// URL."),
					 errhint("Serve the feed over http or https, or ask a superuser to create the server.")));
		(void) GtfsLocalPathFromUrl(url);
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unsupported URL \"%s\" in option \"url\"", url),
			 errhint("Use an http:// or https:// URL, a file:// URL, or an absolute path.")));
}

static int64
ParseInteger(const char *name, const char *value, int64 min, int64 max)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("Use an integer between " INT64_FORMAT " and " INT64_FORMAT ".",
						 min, max)));
	return (int64) v;
}

static bool
IsHttpToken(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (!isalnum((unsigned char) *s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	}
	return true;
}

/*
 * Parse a JSON object of HTTP headers into "Name: value" strings.  Names are
 * checked; values must not hold line breaks, which would smuggle headers.
 */
/* jsonb_in, with any error replaced by one that does not echo the text */
static Jsonb *
ParseJsonQuietly(const char *json)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Jsonb	   *volatile jb = NULL;

	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		jb = NULL;
	}
	PG_END_TRY();
	return jb;
}

/*
 * Parse a JSON object of HTTP headers into "Name: value" strings.  Names are
 * checked; values must not hold line breaks, which would smuggle headers.
 * Values may be secrets, so no message repeats one.
 */
static List *
ParseHeaders(const char *option, const char *json)
{
	Jsonb	   *jb = ParseJsonQuietly(json);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *result = NIL;
	char	   *key = NULL;

	if (jb == NULL || !JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a JSON object of header names and values", option),
				 errhint("Write headers as '{\"Accept\": \"application/zip\"}'.")));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			if (!IsHttpToken(key))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid HTTP header name \"%s\" in option \"%s\"",
								key, option)));
		}
		else if (tok == WJB_VALUE)
		{
			char	   *val;

			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("value of HTTP header \"%s\" in option \"%s\" must be a string",
								key, option)));
			val = pnstrdup(v.val.string.val, v.val.string.len);
			if (strpbrk(val, "\r\n") != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("value of HTTP header \"%s\" in option \"%s\" must not contain a line break",
								key, option)));
			result = lappend(result, psprintf("%s: %s", key, val));
		}
	}
	return result;
}

static void
CheckOptionValue(const GtfsOption *opt, DefElem *def)
{
	const char *value = defGetString(def);

	switch (opt->type)
	{
		case OPT_TEXT:
			break;
		case OPT_URL:
			CheckUrl(value);
			break;
		case OPT_KIND:
			{
				bool		found = false;

				for (int i = 0; i < lengthof(gtfs_kinds); i++)
					found |= (strcmp(value, gtfs_kinds[i]) == 0);
				if (!found)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("unsupported server kind \"%s\"", value),
							 errhint("Valid kinds are: gtfs.")));
				break;
			}
		case OPT_INT:
			(void) ParseInteger(opt->name, value, 0, PG_INT32_MAX);
			break;
		case OPT_POSITIVE_INT:
			(void) ParseInteger(opt->name, value, 1, PG_INT32_MAX);
			break;
		case OPT_BIGINT:
			(void) ParseInteger(opt->name, value, 1, PG_INT64_MAX);
			break;
		case OPT_BOOL:
			(void) defGetBoolean(def);
			break;
		case OPT_HEADERS:
			(void) ParseHeaders(opt->name, value);
			break;
		case OPT_HEADER_NAME:
			if (!IsHttpToken(value))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid HTTP header name \"%s\" in option \"%s\"",
								value, opt->name)));
			break;
		case OPT_FILE_NAME:
			if (value[0] == '\0' || value[0] == '/' || strstr(value, "..") != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"file\": \"%s\"", value),
						 errhint("Name a file inside the feed, such as 'stops.txt'.")));
			break;
		case OPT_ON_ERROR:
			if (strcmp(value, "stop") != 0 && strcmp(value, "error") != 0 &&
				strcmp(value, "skip") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"on_error\": \"%s\"", value),
						 errhint("Valid values are \"stop\" (the default) and \"skip\".")));
			break;
		case OPT_ROWS:
			{
				char	   *end;
				double		rows = strtod(value, &end);

				if (end == value || *end != '\0' || !(rows >= 0) || isinf(rows))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"rows\": \"%s\"", value),
							 errhint("Use a non-negative number of rows.")));
				break;
			}
		case OPT_SERVER_PATH:
			if (!GtfsRoleMayReadServerFiles())
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"%s\"", opt->name),
						 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may name files on the server.")));
			if (!is_absolute_path(value))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must be an absolute path", opt->name)));
			break;
	}
}

/*
 * gtfs_fdw_validator: check the options of a server, user mapping, foreign
 * table or column of gtfs_fdw.
 */
Datum
gtfs_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;
	bool		has_url = false;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const GtfsOption *opt = NULL;

		for (int i = 0; i < lengthof(gtfs_options); i++)
		{
			if (gtfs_options[i].catalog == catalog &&
				strcmp(gtfs_options[i].name, def->defname) == 0)
			{
				opt = &gtfs_options[i];
				break;
			}
		}

		if (opt == NULL)
			ReportUnknownOption(def->defname, catalog);

		CheckOptionValue(opt, def);
		if (strcmp(def->defname, "url") == 0)
			has_url = true;
	}

	/*
	 * A server needs a url; the validator also runs for ALTER SERVER, which
	 * passes the complete new option list, so this holds then too.
	 */
	if (catalog == ForeignServerRelationId && !has_url)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
				 errmsg("a gtfs_fdw server needs the option \"url\""),
				 errhint("Add OPTIONS (url 'https://example.org/gtfs.zip').")));

	PG_RETURN_VOID();
}

/* Look up a user mapping for the user or PUBLIC; NULL when there is none. */
static UserMapping *
FindUserMapping(Oid userid, Oid serverid)
{
	HeapTuple	tp;
	UserMapping *um;
	Datum		datum;
	bool		isnull;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER,
						 ObjectIdGetDatum(userid), ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER,
							 ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		return NULL;

	um = (UserMapping *) palloc0(sizeof(UserMapping));
	um->umid = ((Form_pg_user_mapping) GETSTRUCT(tp))->oid;
	um->userid = userid;
	um->serverid = serverid;
	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tp,
							Anum_pg_user_mapping_umoptions, &isnull);
	um->options = isnull ? NIL : untransformRelOptions(datum);
	ReleaseSysCache(tp);
	return um;
}

/* Everything needed to fetch a server's source, for the given user. */
GtfsSourceOptions *
GtfsGetSourceOptions(Oid serverid, Oid userid)
{
	ForeignServer *server = GetForeignServer(serverid);
	UserMapping *um = FindUserMapping(userid, serverid);
	GtfsSourceOptions *opts = palloc0(sizeof(GtfsSourceOptions));
	ListCell   *lc;

	opts->server_name = pstrdup(server->servername);
	opts->kind = "gtfs";
	opts->timeout_ms = GTFS_DEFAULT_TIMEOUT_MS;
	opts->connect_timeout_ms = GTFS_DEFAULT_CONNECT_TIMEOUT_MS;
	opts->max_bytes = GTFS_DEFAULT_MAX_BYTES;
	opts->max_redirects = GTFS_DEFAULT_MAX_REDIRECTS;

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *name = def->defname;

		if (strcmp(name, "kind") == 0)
			opts->kind = defGetString(def);
		else if (strcmp(name, "url") == 0)
			opts->url = defGetString(def);
		else if (strcmp(name, "timeout_ms") == 0)
			opts->timeout_ms = (int) ParseInteger(name, defGetString(def), 1, PG_INT32_MAX);
		else if (strcmp(name, "connect_timeout_ms") == 0)
			opts->connect_timeout_ms = (int) ParseInteger(name, defGetString(def), 1, PG_INT32_MAX);
		else if (strcmp(name, "max_bytes") == 0)
			opts->max_bytes = ParseInteger(name, defGetString(def), 1, PG_INT64_MAX);
		else if (strcmp(name, "max_redirects") == 0)
			opts->max_redirects = (int) ParseInteger(name, defGetString(def), 0, PG_INT32_MAX);
		else if (strcmp(name, "cache_ttl") == 0)
			opts->cache_ttl_s = (int) ParseInteger(name, defGetString(def), 0, PG_INT32_MAX);
		else if (strcmp(name, "stale_if_error") == 0)
			opts->stale_if_error = defGetBoolean(def);
		else if (strcmp(name, "headers") == 0)
			opts->headers = ParseHeaders(name, defGetString(def));
		else if (strcmp(name, "api_key_header") == 0)
			opts->api_key_header = defGetString(def);
		else if (strcmp(name, "api_key_param") == 0)
			opts->api_key_param = defGetString(def);
		else if (strcmp(name, "ca_file") == 0)
			opts->ca_file = defGetString(def);
	}

	if (opts->url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
				 errmsg("server \"%s\" has no option \"url\"", server->servername)));
	if (GtfsUrlIsLocal(opts->url))
		opts->local_path = GtfsLocalPathFromUrl(opts->url);

	if (um != NULL)
	{
		foreach(lc, um->options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			if (strcmp(def->defname, "api_key") == 0)
				opts->api_key = defGetString(def);
			else if (strcmp(def->defname, "headers") == 0)
				opts->secret_headers = ParseHeaders("headers", defGetString(def));
			else if (strcmp(def->defname, "username") == 0)
				opts->username = defGetString(def);
			else if (strcmp(def->defname, "password") == 0)
				opts->password = defGetString(def);
		}
	}

	if (opts->api_key != NULL && opts->api_key_header == NULL &&
		opts->api_key_param == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
				 errmsg("server \"%s\" does not say how to send the api_key of its user mapping",
						server->servername),
				 errhint("Set the server option api_key_header (such as 'apikey') or api_key_param (such as 'key').")));
	return opts;
}

/* The options of a gtfs_fdw foreign table, with defaults filled in. */
GtfsTableOptions *
GtfsGetTableOptions(Oid relid)
{
	ForeignTable *table = GetForeignTable(relid);
	GtfsTableOptions *opts = palloc0(sizeof(GtfsTableOptions));
	ListCell   *lc;

	opts->rows = -1;
	opts->on_error = GTFS_ON_ERROR_STOP;

	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "file") == 0)
			opts->file = defGetString(def);
		else if (strcmp(def->defname, "rows") == 0)
			opts->rows = strtod(defGetString(def), NULL);
		else if (strcmp(def->defname, "on_error") == 0)
			opts->on_error = strcmp(defGetString(def), "skip") == 0 ?
				GTFS_ON_ERROR_SKIP : GTFS_ON_ERROR_STOP;
		else if (strcmp(def->defname, "missing_ok") == 0)
			opts->missing_ok = defGetBoolean(def);
	}

	/* By default a table reads the file named after it: stops -> stops.txt */
	if (opts->file == NULL)
		opts->file = psprintf("%s.txt", get_rel_name(relid));
	return opts;
}

/* The header name a column reads: its column_name option, else its name. */
char *
GtfsColumnSourceName(Oid relid, AttrNumber attnum, const char *attname)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "column_name") == 0)
			return defGetString(def);
	}
	return pstrdup(attname);
}
