/*-------------------------------------------------------------------------
 * reader.h
 *		Typed rows of a gtfs_fdw foreign table, straight from its source.
 *
 * The scan, ANALYZE and the loaders all read through this: it fetches the
 * source, finds the table's file in the zip, maps the header to the table's
 * columns and converts the fields a caller asked for.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_READER_H
#define GTFS_READER_H

#include "access/tupdesc.h"
#include "nodes/bitmapset.h"
#include "utils/rel.h"

#include "convert.h"
#include "csvsrc.h"
#include "options.h"
#include "source.h"
#include "zipsrc.h"

typedef struct GtfsReader GtfsReader;

/* A row left out under on_error 'skip', and why. */
typedef struct GtfsReject
{
	int64		line;
	const char *column;			/* table column, or NULL */
	const char *value;			/* the field's text, or NULL */
	int			sqlstate;
	const char *message;
} GtfsReject;

typedef void (*GtfsRejectFn) (void *arg, GtfsReader *reader,
							  const GtfsReject *reject);

struct GtfsReader
{
	char	   *relname;		/* the table, for messages */
	char	   *owner;			/* "foreign table \"stops\"", "feed \"uta\"" */
	TupleDesc	tupdesc;
	GtfsSourceOptions *sopts;
	GtfsTableOptions *topts;
	const GtfsSpecFile *spec;	/* the file in the GTFS reference, or NULL */
	GtfsColumn *columns;		/* per attribute; attnum 0 unused if dropped */
	GtfsColumn **needed;		/* the columns to convert */
	int			nneeded;
	MemoryContext cxt;			/* lives as long as the reader */
	MemoryContext member_cxt;	/* the open member; reset by a restart */
	MemoryContext attempt_cxt;	/* with on_error 'skip': one row's try */

	GtfsSource *source;
	GtfsZip    *zip;
	GtfsZipMember member;
	bool		have_member;	/* false: the file is absent (missing_ok) */
	GtfsCsvReader *csv;
	char	  **header;
	int			nheader;

	/* where the reader is, for the error context (line -1: between rows) */
	int64		line;
	GtfsColumn *current;
	const char *current_value;
	ErrorContextCallback errcb;

	int64		rows;			/* rows returned */
	int64		rejected;		/* rows skipped for bad values */
	char	   *first_reject;	/* description of the first, for the warning */
	GtfsRejectFn on_reject;
	void	   *reject_arg;
};

extern GtfsReader *GtfsReaderCreate(Relation rel, Bitmapset *attrs,
									 bool all_columns, Oid userid);
extern GtfsReader *GtfsReaderCreateFor(GtfsSourceOptions *sopts,
										GtfsTableOptions *topts,
										TupleDesc tupdesc, const char *relname,
										const char *owner, char **source_names);
extern void GtfsReaderOpen(GtfsReader *reader);
extern bool GtfsReaderNext(GtfsReader *reader, Datum *values, bool *nulls);
extern void GtfsReaderRestart(GtfsReader *reader);
extern void GtfsReaderEnd(GtfsReader *reader);
extern bool GtfsReaderPeek(GtfsReader *reader, GtfsSource **source,
						   GtfsZipMember *member);
extern void GtfsCheckFeed(const char *data, size_t len, const char *label);

#endif							/* GTFS_READER_H */
