/*-------------------------------------------------------------------------
 * feedfiles.c
 *		Which tables a feed's zip makes, and their columns.
 *
 * One table per .txt file of the zip (found at its root or in a folder),
 * named after the file.  Files of the GTFS reference get every field the
 * reference defines, typed from the catalog, so a table's shape does not
 * depend on which optional columns one feed carries; columns the file adds
 * beyond the reference follow as text.  Files the reference does not know
 * get text columns from their header.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "csvsrc.h"
#include "feedfiles.h"

/* "stops.txt" -> "stops"; NULL for members that are not GTFS text files. */
static char *
TableNameForMember(const GtfsZipMember *m)
{
	size_t		len = strlen(m->base_name);

	if (m->is_dir || m->base_name[0] == '.' ||
		strncmp(m->name, "__MACOSX/", 9) == 0 ||
		len <= 4 || pg_strcasecmp(m->base_name + len - 4, ".txt") != 0)
		return NULL;
	return pnstrdup(m->base_name, len - 4);
}

GtfsFeedTable *
GtfsFindFeedTable(List *tables, const char *table_name)
{
	ListCell   *lc;

	foreach(lc, tables)
	{
		GtfsFeedTable *t = lfirst(lc);

		if (strcmp(t->table_name, table_name) == 0)
			return t;
	}
	return NULL;
}

/*
 * GtfsFeedTables: the feed's tables, in archive order; with all_spec_files,
 * then the reference's other files too (in_feed false).
 */
List *
GtfsFeedTables(GtfsZip *zip, bool all_spec_files)
{
	List	   *tables = NIL;
	int			n = GtfsZipMemberCount(zip);

	for (int i = 0; i < n; i++)
	{
		GtfsZipMember m;
		char	   *name;
		GtfsFeedTable *t;

		GtfsZipGetMember(zip, i, &m);
		name = TableNameForMember(&m);
		if (name == NULL || GtfsFindFeedTable(tables, name) != NULL)
			continue;
		t = palloc0(sizeof(GtfsFeedTable));
		t->table_name = name;
		t->file = pstrdup(m.name);
		t->spec = GtfsSpecFindFile(m.base_name);
		t->in_feed = true;
		tables = lappend(tables, t);
	}

	for (int i = 0; all_spec_files && i < GtfsSpecFileCount; i++)
	{
		const GtfsSpecFile *spec = &GtfsSpecFiles[i];
		char	   *name = pnstrdup(spec->name, strlen(spec->name) - 4);
		GtfsFeedTable *t;

		if (GtfsFindFeedTable(tables, name) != NULL)
			continue;
		t = palloc0(sizeof(GtfsFeedTable));
		t->table_name = name;
		t->file = pstrdup(spec->name);
		t->spec = spec;
		t->in_feed = false;
		tables = lappend(tables, t);
	}
	return tables;
}

/* The header of a member: its first record, as strings. */
static List *
ReadHeader(GtfsZip *zip, const char *file)
{
	GtfsZipMember m;
	GtfsZipStream *stream;
	GtfsCsvReader *csv;
	GtfsCsvRecord *rec;
	List	   *names = NIL;

	if (!GtfsZipFindMember(zip, file, &m))
		return NIL;
	stream = GtfsZipOpenStream(zip, &m);
	csv = GtfsCsvOpen(GtfsZipRead, stream, m.name);
	rec = GtfsCsvNext(csv);
	for (int i = 0; rec && i < rec->nfields; i++)
		names = lappend(names, GtfsCsvHeaderName(csv, &rec->fields[i]));
	GtfsCsvClose(csv);
	GtfsZipCloseStream(stream);
	return names;
}

static List *
AddColumn(List *columns, const char *name, const char *type_name,
		  const GtfsSpecField *spec)
{
	ListCell   *lc;
	GtfsFeedColumn *col;

	if (name[0] == '\0')
		return columns;			/* a header with an empty name: nothing to read */
	foreach(lc, columns)
	{
		if (strcmp(((GtfsFeedColumn *) lfirst(lc))->name, name) == 0)
			return columns;		/* a repeated header name: the first wins */
	}
	col = palloc(sizeof(GtfsFeedColumn));
	col->name = pstrdup(name);
	col->type_name = type_name;
	col->spec = spec;
	return lappend(columns, col);
}

/* GtfsFeedTableColumns: the columns of a table, from the reference and
 * the file's header. */
List *
GtfsFeedTableColumns(GtfsZip *zip, const GtfsFeedTable *table)
{
	List	   *columns = NIL;
	List	   *header;
	ListCell   *lc;

	CHECK_FOR_INTERRUPTS();
	if (table->spec)
	{
		for (int i = 0; i < table->spec->nfields; i++)
		{
			const GtfsSpecField *f = &table->spec->fields[i];

			columns = AddColumn(columns, f->name, GtfsSpecKindTypeName(f->kind), f);
		}
	}
	header = table->in_feed ? ReadHeader(zip, table->file) : NIL;
	foreach(lc, header)
		columns = AddColumn(columns, lfirst(lc), "text", NULL);
	return columns;
}
