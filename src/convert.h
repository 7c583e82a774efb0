/*-------------------------------------------------------------------------
 * convert.h
 *		From a CSV field's text to a column's value.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_CONVERT_H
#define GTFS_CONVERT_H

#include "fmgr.h"
#include "gtfs_spec.h"

/* The fast paths; everything else goes through the type's input function. */
typedef enum GtfsConvertPath
{
	CONVERT_TEXT,
	CONVERT_INT2,
	CONVERT_INT4,
	CONVERT_INT8,
	CONVERT_FLOAT4,
	CONVERT_FLOAT8,
	CONVERT_NUMERIC,
	CONVERT_BOOL,
	CONVERT_DATE,				/* YYYYMMDD, else date_in unless a GTFS Date */
	CONVERT_INTERVAL,			/* H:MM:SS, else interval_in unless a GTFS Time */
	CONVERT_GENERIC
} GtfsConvertPath;

/* How one column of a table is read. */
typedef struct GtfsColumn
{
	AttrNumber	attnum;
	char	   *attname;		/* column of the foreign table */
	char	   *source_name;	/* header name in the file */
	int			csv_index;		/* position in the header, -1 if absent */
	Oid			typid;
	int32		typmod;
	GtfsConvertPath path;
	const GtfsSpecField *spec;	/* the GTFS field it reads, or NULL */
	bool		not_null;		/* an empty field is an error (key columns) */
	FmgrInfo	infunc;
	Oid			ioparam;
} GtfsColumn;

/* A value that could not be converted (soft errors, for on_error skip). */
typedef struct GtfsConvertError
{
	int			sqlstate;
	char	   *message;
	char	   *detail;
} GtfsConvertError;

extern void GtfsColumnInit(GtfsColumn *col, Oid typid, int32 typmod);
extern bool GtfsConvert(GtfsColumn *col, char *str, size_t len, Datum *value,
						GtfsConvertError *err);

#endif							/* GTFS_CONVERT_H */
