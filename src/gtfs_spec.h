/*-------------------------------------------------------------------------
 * gtfs_spec.h
 *		The built-in catalog of the GTFS Schedule reference.
 *
 * Every file of the spec with every field, its spec type, how it maps to a
 * PostgreSQL type, whether it is required, and its place in the primary key.
 * IMPORT FOREIGN SCHEMA, the scan (required columns, range checks) and the
 * gtfs_fdw.spec_fields view read it.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_SPEC_H
#define GTFS_SPEC_H

/* How a field's text becomes a value. */
typedef enum GtfsFieldKind
{
	GTFS_KIND_TEXT,				/* IDs, text, URLs, colors, codes -> text */
	GTFS_KIND_DATE,				/* YYYYMMDD -> date */
	GTFS_KIND_TIME,				/* H:MM:SS, may pass 24:00:00 -> interval */
	GTFS_KIND_LOCAL_TIME,		/* wall-clock HH:MM:SS -> time */
	GTFS_KIND_INTEGER,			/* integers and integer enums -> integer */
	GTFS_KIND_FLOAT,			/* floats -> double precision */
	GTFS_KIND_LATITUDE,			/* double precision in [-90, 90] */
	GTFS_KIND_LONGITUDE,		/* double precision in [-180, 180] */
	GTFS_KIND_CURRENCY			/* currency amounts -> numeric */
} GtfsFieldKind;

typedef enum GtfsPresence
{
	GTFS_PRESENCE_REQUIRED,
	GTFS_PRESENCE_CONDITIONALLY_REQUIRED,
	GTFS_PRESENCE_CONDITIONALLY_FORBIDDEN,
	GTFS_PRESENCE_RECOMMENDED,
	GTFS_PRESENCE_OPTIONAL
} GtfsPresence;

typedef struct GtfsSpecField
{
	const char *name;
	const char *spec_type;		/* as the reference writes it */
	GtfsFieldKind kind;
	GtfsPresence presence;
	int			pk_position;	/* 1-based place in the primary key, or 0 */
	const char *foreign_key;	/* "stops.stop_id", or NULL */
	const char *enum_values;	/* "0=...; 1=...", or NULL */
} GtfsSpecField;

typedef struct GtfsSpecFile
{
	const char *name;			/* "stops.txt" */
	const char *presence;		/* "Required", "Optional", ... */
	const char *primary_key;	/* as the reference writes it */
	const GtfsSpecField *fields;
	int			nfields;
} GtfsSpecFile;

extern const GtfsSpecFile GtfsSpecFiles[];
extern const int GtfsSpecFileCount;

extern const GtfsSpecFile *GtfsSpecFindFile(const char *file_name);
extern const GtfsSpecField *GtfsSpecFindField(const GtfsSpecFile *file,
											  const char *field_name);
extern Oid	GtfsSpecKindType(GtfsFieldKind kind);
extern const char *GtfsSpecKindTypeName(GtfsFieldKind kind);
extern const char *GtfsSpecPresenceName(GtfsPresence presence);

#endif							/* GTFS_SPEC_H */
