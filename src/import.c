/*-------------------------------------------------------------------------
 * import.c
 *		IMPORT FOREIGN SCHEMA gtfs: one foreign table per file of the feed.
 *
 * Files of the GTFS reference get every field the reference defines, typed
 * from the catalog, so a table's shape does not depend on which optional
 * columns one feed happens to carry; columns the feed adds beyond the
 * reference come after them as text.  Files the reference does not know get
 * text columns taken from their header.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "gtfs_fdw.h"
#include "reader.h"

/* A table to create. */
typedef struct ImportTable
{
	char	   *table_name;		/* "stops" */
	char	   *file;			/* "stops.txt", or "feed/stops.txt" */
	const GtfsSpecFile *spec;
	bool		in_feed;
} ImportTable;

typedef struct ImportOptions
{
	bool		all_files;		/* also tables for spec files not in the feed */
	char	   *on_error;		/* passed on to every table, or NULL */
} ImportOptions;

static ImportOptions
ParseImportOptions(ImportForeignSchemaStmt *stmt)
{
	ImportOptions io = {0};
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "all_files") == 0)
			io.all_files = defGetBoolean(def);
		else if (strcmp(def->defname, "on_error") == 0)
		{
			io.on_error = defGetString(def);
			if (strcmp(io.on_error, "stop") != 0 && strcmp(io.on_error, "skip") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"on_error\": \"%s\"", io.on_error),
						 errhint("Valid values are \"stop\" and \"skip\".")));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\" for IMPORT FOREIGN SCHEMA", def->defname),
					 errhint("Valid options are \"all_files\" and \"on_error\".")));
	}
	return io;
}

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

static bool
TableWanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = (RangeVar *) lfirst(lc);

		if (strcmp(rv->relname, name) == 0)
			return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO;
	}
	return stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT;
}

static ImportTable *
FindTable(List *tables, const char *name)
{
	ListCell   *lc;

	foreach(lc, tables)
	{
		ImportTable *t = lfirst(lc);

		if (strcmp(t->table_name, name) == 0)
			return t;
	}
	return NULL;
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
		names = lappend(names, pnstrdup(rec->fields[i].data, rec->fields[i].len));
	GtfsCsvClose(csv);
	GtfsZipCloseStream(stream);
	return names;
}

static void
AppendColumn(StringInfo buf, List **seen, const char *name, const char *type)
{
	ListCell   *lc;

	if (name[0] == '\0')
		return;					/* a header with an empty name: nothing to read */
	foreach(lc, *seen)
		if (strcmp(lfirst(lc), name) == 0)
			return;				/* a repeated header name: the first wins */
	*seen = lappend(*seen, (char *) name);

	appendStringInfo(buf, "%s\n  %s %s", *seen && list_length(*seen) > 1 ? "," : "",
					 quote_identifier(name), type);
	/* names longer than an identifier keep their full header name */
	if (strlen(name) >= NAMEDATALEN)
		appendStringInfo(buf, " OPTIONS (column_name %s)", quote_literal_cstr(name));
}

static char *
TableStatement(const ImportTable *t, List *header, const char *server,
			   const ImportOptions *io)
{
	StringInfoData buf;
	List	   *seen = NIL;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (", quote_identifier(t->table_name));
	if (t->spec)
	{
		for (int i = 0; i < t->spec->nfields; i++)
			AppendColumn(&buf, &seen, t->spec->fields[i].name,
						 GtfsSpecKindTypeName(t->spec->fields[i].kind));
	}
	foreach(lc, header)
		AppendColumn(&buf, &seen, lfirst(lc), "text");

	appendStringInfo(&buf, "\n) SERVER %s OPTIONS (file %s",
					 quote_identifier(server), quote_literal_cstr(t->file));
	if (!t->in_feed)
		appendStringInfoString(&buf, ", missing_ok 'true'");
	if (io->on_error)
		appendStringInfo(&buf, ", on_error %s", quote_literal_cstr(io->on_error));
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/* gtfsImportForeignSchema: CREATE FOREIGN TABLE statements for the feed. */
List *
gtfsImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	ImportOptions io = ParseImportOptions(stmt);
	GtfsSourceOptions *sopts;
	GtfsSource *src;
	GtfsZip    *zip;
	List	   *tables = NIL;
	List	   *commands = NIL;
	ListCell   *lc;
	int			n;

	if (strcmp(stmt->remote_schema, "gtfs") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("remote schema \"%s\" does not exist on server \"%s\"",
						stmt->remote_schema, server->servername),
				 errhint("A GTFS feed has one schema: IMPORT FOREIGN SCHEMA gtfs FROM SERVER %s INTO ...",
						 quote_identifier(server->servername))));

	sopts = GtfsGetSourceOptions(serverOid, GetUserId());
	src = GtfsSourceAcquire(sopts, GtfsCheckFeed);
	zip = GtfsZipOpen(src->data, src->len, src->label);

	/* the feed's files, in archive order */
	n = GtfsZipMemberCount(zip);
	for (int i = 0; i < n; i++)
	{
		GtfsZipMember m;
		char	   *name;
		ImportTable *t;

		GtfsZipGetMember(zip, i, &m);
		name = TableNameForMember(&m);
		if (name == NULL || FindTable(tables, name) != NULL)
			continue;
		t = palloc0(sizeof(ImportTable));
		t->table_name = name;
		t->file = pstrdup(m.name);
		t->spec = GtfsSpecFindFile(m.base_name);
		t->in_feed = true;
		tables = lappend(tables, t);
	}

	/* with all_files, the reference's other files too, read as empty */
	if (io.all_files)
	{
		for (int i = 0; i < GtfsSpecFileCount; i++)
		{
			const GtfsSpecFile *spec = &GtfsSpecFiles[i];
			char	   *name = pnstrdup(spec->name, strlen(spec->name) - 4);
			ImportTable *t;

			if (FindTable(tables, name) != NULL)
				continue;
			t = palloc0(sizeof(ImportTable));
			t->table_name = name;
			t->file = pstrdup(spec->name);
			t->spec = spec;
			t->in_feed = false;
			tables = lappend(tables, t);
		}
	}

	/* LIMIT TO a file the feed lacks is a mistake worth saying */
	if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO)
	{
		foreach(lc, stmt->table_list)
		{
			RangeVar   *rv = (RangeVar *) lfirst(lc);

			if (FindTable(tables, rv->relname) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
						 errmsg("file \"%s.txt\" not found in the feed of server \"%s\"",
								rv->relname, server->servername),
						 errhint("Use IMPORT FOREIGN SCHEMA ... OPTIONS (all_files 'true') to create tables for GTFS files the feed does not have.")));
		}
	}

	foreach(lc, tables)
	{
		ImportTable *t = lfirst(lc);
		List	   *header;

		if (!TableWanted(stmt, t->table_name))
			continue;
		CHECK_FOR_INTERRUPTS();
		header = t->in_feed ? ReadHeader(zip, t->file) : NIL;
		commands = lappend(commands,
						   TableStatement(t, header, server->servername, &io));
	}
	GtfsZipClose(zip);
	return commands;
}
