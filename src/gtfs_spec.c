/*-------------------------------------------------------------------------
 * gtfs_spec.c
 *		Lookups in the GTFS Schedule catalog, and its SQL face.
 *
 * The data itself is generated into gtfs_spec_data.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

#include "gtfs_spec.h"

PG_FUNCTION_INFO_V1(gtfs_spec_fields);

/* Find a spec file by its name in the zip ("stops.txt"), or NULL. */
const GtfsSpecFile *
GtfsSpecFindFile(const char *file_name)
{
	for (int i = 0; i < GtfsSpecFileCount; i++)
	{
		if (strcmp(GtfsSpecFiles[i].name, file_name) == 0)
			return &GtfsSpecFiles[i];
	}
	return NULL;
}

/* Find a field of a spec file by its header name, or NULL. */
const GtfsSpecField *
GtfsSpecFindField(const GtfsSpecFile *file, const char *field_name)
{
	if (file == NULL)
		return NULL;
	for (int i = 0; i < file->nfields; i++)
	{
		if (strcmp(file->fields[i].name, field_name) == 0)
			return &file->fields[i];
	}
	return NULL;
}

/* The PostgreSQL type a field of this kind is read as. */
Oid
GtfsSpecKindType(GtfsFieldKind kind)
{
	switch (kind)
	{
		case GTFS_KIND_TEXT:
			return TEXTOID;
		case GTFS_KIND_DATE:
			return DATEOID;
		case GTFS_KIND_TIME:
			return INTERVALOID;
		case GTFS_KIND_LOCAL_TIME:
			return TIMEOID;
		case GTFS_KIND_INTEGER:
			return INT4OID;
		case GTFS_KIND_FLOAT:
		case GTFS_KIND_LATITUDE:
		case GTFS_KIND_LONGITUDE:
			return FLOAT8OID;
		case GTFS_KIND_CURRENCY:
			return NUMERICOID;
	}
	elog(ERROR, "unrecognized GTFS field kind: %d", (int) kind);
	return InvalidOid;			/* keep compiler quiet */
}

/* The SQL spelling of that type, for generated DDL. */
const char *
GtfsSpecKindTypeName(GtfsFieldKind kind)
{
	switch (kind)
	{
		case GTFS_KIND_TEXT:
			return "text";
		case GTFS_KIND_DATE:
			return "date";
		case GTFS_KIND_TIME:
			return "interval";
		case GTFS_KIND_LOCAL_TIME:
			return "time";
		case GTFS_KIND_INTEGER:
			return "integer";
		case GTFS_KIND_FLOAT:
		case GTFS_KIND_LATITUDE:
		case GTFS_KIND_LONGITUDE:
			return "double precision";
		case GTFS_KIND_CURRENCY:
			return "numeric";
	}
	elog(ERROR, "unrecognized GTFS field kind: %d", (int) kind);
	return NULL;				/* keep compiler quiet */
}

const char *
GtfsSpecPresenceName(GtfsPresence presence)
{
	switch (presence)
	{
		case GTFS_PRESENCE_REQUIRED:
			return "Required";
		case GTFS_PRESENCE_CONDITIONALLY_REQUIRED:
			return "Conditionally Required";
		case GTFS_PRESENCE_CONDITIONALLY_FORBIDDEN:
			return "Conditionally Forbidden";
		case GTFS_PRESENCE_RECOMMENDED:
			return "Recommended";
		case GTFS_PRESENCE_OPTIONAL:
			return "Optional";
	}
	elog(ERROR, "unrecognized GTFS presence: %d", (int) presence);
	return NULL;				/* keep compiler quiet */
}

/*
 * gtfs_spec_fields: one row per field of every spec file, in spec order.
 * The views gtfs_fdw.spec_fields and gtfs_fdw.spec_files sit on top of it.
 */
Datum
gtfs_spec_fields(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);

	for (int i = 0; i < GtfsSpecFileCount; i++)
	{
		const GtfsSpecFile *file = &GtfsSpecFiles[i];

		for (int j = 0; j < file->nfields; j++)
		{
			const GtfsSpecField *field = &file->fields[j];
			Datum		values[11];
			bool		nulls[11] = {0};

			values[0] = CStringGetTextDatum(file->name);
			values[1] = CStringGetTextDatum(file->presence);
			values[2] = Int32GetDatum(j + 1);
			values[3] = CStringGetTextDatum(field->name);
			values[4] = CStringGetTextDatum(field->spec_type);
			values[5] = CStringGetTextDatum(GtfsSpecKindTypeName(field->kind));
			values[6] = CStringGetTextDatum(GtfsSpecPresenceName(field->presence));
			values[7] = BoolGetDatum(field->presence == GTFS_PRESENCE_REQUIRED);
			if (field->pk_position > 0)
				values[8] = Int32GetDatum(field->pk_position);
			else
				nulls[8] = true;
			if (field->foreign_key)
				values[9] = CStringGetTextDatum(field->foreign_key);
			else
				nulls[9] = true;
			if (field->enum_values)
				values[10] = CStringGetTextDatum(field->enum_values);
			else
				nulls[10] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
								 values, nulls);
		}
	}
	return (Datum) 0;
}
