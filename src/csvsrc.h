/*-------------------------------------------------------------------------
 * csvsrc.h
 *		A pull-style CSV record reader over any byte stream (wraps libcsv).
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_CSVSRC_H
#define GTFS_CSVSRC_H

/* Reads up to len bytes into buf; 0 at the end; errors are ereported. */
typedef ssize_t (*GtfsReadFn) (void *arg, char *buf, size_t len);

typedef struct GtfsCsvField
{
	char	   *data;			/* NUL-terminated, valid until the next record */
	size_t		len;
} GtfsCsvField;

typedef struct GtfsCsvReader GtfsCsvReader;

/* The current record; fields beyond nfields do not exist in this row. */
typedef struct GtfsCsvRecord
{
	int			nfields;
	GtfsCsvField *fields;
	int64		line;			/* line of the file where the record starts */
} GtfsCsvRecord;

extern GtfsCsvReader *GtfsCsvOpen(GtfsReadFn read, void *read_arg,
								  const char *file_label);
extern GtfsCsvRecord *GtfsCsvNext(GtfsCsvReader *reader);
extern int64 GtfsCsvBytesRead(GtfsCsvReader *reader);
extern char *GtfsCsvHeaderName(GtfsCsvReader *reader, const GtfsCsvField *field);
extern void GtfsCsvClose(GtfsCsvReader *reader);

#endif							/* GTFS_CSVSRC_H */
