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

#include "feedfiles.h"
#include "gtfs_fdw.h"
#include "reader.h"

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

static char *
TableStatement(const GtfsFeedTable *t, List *columns, const char *server,
			   const ImportOptions *io)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (", quote_identifier(t->table_name));
	foreach(lc, columns)
	{
		GtfsFeedColumn *col = lfirst(lc);

		appendStringInfo(&buf, "%s\n  %s %s", foreach_current_index(lc) ? "," : "",
						 quote_identifier(col->name), col->type_name);
		/* names longer than an identifier keep their full header name */
		if (strlen(col->name) >= NAMEDATALEN)
			appendStringInfo(&buf, " OPTIONS (column_name %s)",
							 quote_literal_cstr(col->name));
	}
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
	List	   *tables;
	List	   *commands = NIL;
	ListCell   *lc;

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

	tables = GtfsFeedTables(zip, io.all_files);

	/* LIMIT TO a file the feed lacks is a mistake worth saying */
	if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO)
	{
		foreach(lc, stmt->table_list)
		{
			RangeVar   *rv = (RangeVar *) lfirst(lc);

			if (GtfsFindFeedTable(tables, rv->relname) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
						 errmsg("file \"%s.txt\" not found in the feed of server \"%s\"",
								rv->relname, server->servername),
						 errhint("Use IMPORT FOREIGN SCHEMA ... OPTIONS (all_files 'true') to create tables for GTFS files the feed does not have.")));
		}
	}

	foreach(lc, tables)
	{
		GtfsFeedTable *t = lfirst(lc);

		if (!TableWanted(stmt, t->table_name))
			continue;
		commands = lappend(commands,
						   TableStatement(t, GtfsFeedTableColumns(zip, t),
										  server->servername, &io));
	}
	GtfsZipClose(zip);
	return commands;
}
