/*-------------------------------------------------------------------------
 * options.h
 *		Options of gtfs_fdw servers, user mappings, tables and columns.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_OPTIONS_H
#define GTFS_OPTIONS_H

#include "access/attnum.h"
#include "nodes/pg_list.h"

#define GTFS_DEFAULT_TIMEOUT_MS			60000
#define GTFS_DEFAULT_CONNECT_TIMEOUT_MS	10000
#define GTFS_DEFAULT_MAX_BYTES			(INT64CONST(1024) * 1024 * 1024)
#define GTFS_DEFAULT_MAX_REDIRECTS		5

/* Where a source lives and how to fetch it: server plus user mapping. */
typedef struct GtfsSourceOptions
{
	char	   *server_name;
	char	   *kind;			/* "gtfs" */
	char	   *url;			/* as configured; never holds a secret */
	char	   *local_path;		/* set when url is a path or file:// URL */
	int			timeout_ms;
	int			connect_timeout_ms;
	int64		max_bytes;
	int			max_redirects;
	int			cache_ttl_s;	/* trust the cache this long without asking */
	bool		stale_if_error; /* serve the cached copy when a fetch fails */
	List	   *headers;		/* "Name: value" strings, not secret */
	char	   *api_key_header; /* send the api_key in this header... */
	char	   *api_key_param;	/* ...or in this query parameter */
	char	   *ca_file;
	/* from the user mapping: secrets, never printed */
	char	   *api_key;
	List	   *secret_headers; /* "Name: value" strings */
	char	   *username;
	char	   *password;
} GtfsSourceOptions;

typedef enum GtfsOnError
{
	GTFS_ON_ERROR_STOP,
	GTFS_ON_ERROR_SKIP
} GtfsOnError;

/* Options of one foreign table. */
typedef struct GtfsTableOptions
{
	char	   *file;			/* member of the zip, "stops.txt" */
	double		rows;			/* planner hint, or -1 */
	GtfsOnError on_error;
	bool		missing_ok;		/* a file absent from the zip reads as empty */
} GtfsTableOptions;

extern GtfsSourceOptions *GtfsGetSourceOptions(Oid serverid, Oid userid);
extern GtfsTableOptions *GtfsGetTableOptions(Oid relid);
extern char *GtfsColumnSourceName(Oid relid, AttrNumber attnum,
								  const char *attname);
extern bool GtfsRoleMayReadServerFiles(void);
extern bool GtfsUrlIsLocal(const char *url);
extern char *GtfsLocalPathFromUrl(const char *url);

#endif							/* GTFS_OPTIONS_H */
