/*-------------------------------------------------------------------------
 * feed.h
 *		A registered feed, as the loaders see it.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_FEED_H
#define GTFS_FEED_H

#include "options.h"

typedef struct GtfsFeed
{
	int32		feed_id;
	char	   *name;
	char	   *server_name;
	Oid			server_oid;
	char	   *staging_schema;
	GtfsOnError on_error;
	int32		max_rejected;
	int32		keep_versions;
	char	   *last_sha256;	/* of the last successful load, or NULL */
} GtfsFeed;

extern GtfsFeed *GtfsFeedLookup(const char *name);
extern void GtfsFeedLock(const GtfsFeed *feed);
extern GtfsSourceOptions *GtfsFeedSourceOptions(const GtfsFeed *feed);

#endif							/* GTFS_FEED_H */
