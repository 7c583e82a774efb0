/*-------------------------------------------------------------------------
 * source.h
 *		A server's source (URL or path) as bytes this transaction can read.
 *
 * Remote sources are downloaded once into an on-disk cache and revalidated
 * with ETag / Last-Modified; local files are read in place.  Within one
 * transaction every scan of a server reads the same bytes (the source is
 * "pinned"), so the tables of a feed never mix two versions.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_SOURCE_H
#define GTFS_SOURCE_H

#include "pgtime.h"
#include "options.h"

typedef enum GtfsFetchOutcome
{
	GTFS_FETCH_LOCAL,			/* a file on this server, read in place */
	GTFS_FETCH_DOWNLOADED,		/* new bytes were downloaded */
	GTFS_FETCH_NOT_MODIFIED,	/* the server said 304, or sent the same bytes */
	GTFS_FETCH_CACHE_FRESH,		/* younger than cache_ttl: not asked */
	GTFS_FETCH_STALE,			/* the fetch failed; the cached copy serves */
	GTFS_FETCH_PEEK				/* what the cache holds; nothing was fetched */
} GtfsFetchOutcome;

typedef struct GtfsSource
{
	char	   *key;			/* cache key: hash of URL and credentials */
	char	   *label;			/* URL or path safe to print */
	const char *data;			/* the bytes: mapped read-only, or copied */
	size_t		len;
	char	   *etag;			/* validators, or NULL */
	char	   *last_modified;
	char	   *sha256;			/* hex digest, computed on first use */
	pg_time_t	fetched_at;		/* when these bytes were downloaded */
	pg_time_t	validated_at;	/* when the server last vouched for them */
	GtfsFetchOutcome outcome;
	bool		mapped;			/* data is a mapping to unmap at the end */
} GtfsSource;

/* Checks downloaded bytes before they replace a cached copy. */
typedef void (*GtfsSourceCheckFn) (const char *data, size_t len,
								   const char *label);

extern void GtfsSourceInit(void);
extern GtfsSource *GtfsSourceAcquire(const GtfsSourceOptions *opts,
									 GtfsSourceCheckFn check);
extern GtfsSource *GtfsSourcePeek(const GtfsSourceOptions *opts);
extern const char *GtfsSourceSha256(GtfsSource *source);
extern const char *GtfsFetchOutcomeName(GtfsFetchOutcome outcome);

/* fetch.c: one conditional HTTP GET into a file */
typedef struct GtfsHttpResult
{
	long		status;			/* 200, or 304 for not modified */
	char	   *etag;
	char	   *last_modified;
	int64		bytes;
	char		sha256[65];		/* hex digest of the body */
} GtfsHttpResult;

extern void GtfsHttpInit(void);
extern void GtfsHttpGet(const GtfsSourceOptions *opts, const char *label,
						const char *etag, const char *last_modified,
						int fd, GtfsHttpResult *result);

/* redact.c */
extern char *GtfsRedact(const GtfsSourceOptions *opts, const char *text);

#endif							/* GTFS_SOURCE_H */
