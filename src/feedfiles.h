/*-------------------------------------------------------------------------
 * feedfiles.h
 *		Which tables a feed's zip makes, and their columns.
 *
 * Shared by IMPORT FOREIGN SCHEMA (foreign tables) and the loader (staging
 * tables), so both give a feed the same shape.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_FEEDFILES_H
#define GTFS_FEEDFILES_H

#include "nodes/pg_list.h"

#include "gtfs_spec.h"
#include "zipsrc.h"

typedef struct GtfsFeedColumn
{
	char	   *name;			/* header name, and column name */
	const char *type_name;		/* SQL type */
	const GtfsSpecField *spec;	/* the reference's field, or NULL */
} GtfsFeedColumn;

typedef struct GtfsFeedTable
{
	char	   *table_name;		/* "stops" */
	char	   *file;			/* "stops.txt", or "feed/stops.txt" */
	const GtfsSpecFile *spec;	/* the reference's file, or NULL */
	bool		in_feed;		/* false: a reference file the zip lacks */
} GtfsFeedTable;

extern List *GtfsFeedTables(GtfsZip *zip, bool all_spec_files);
extern GtfsFeedTable *GtfsFindFeedTable(List *tables, const char *table_name);
extern List *GtfsFeedTableColumns(GtfsZip *zip, const GtfsFeedTable *table);

#endif							/* GTFS_FEEDFILES_H */
