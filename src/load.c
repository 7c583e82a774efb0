/*-------------------------------------------------------------------------
 * load.c
 *		Materialize a feed into its staging schema, atomically.
 *
 * gtfs_fdw.materialize(feed) reads every file of the feed's zip (the bytes
 * this transaction pinned) straight into new tables of the staging schema,
 * with the multi-insert path COPY uses: no executor, no per-row overhead, no
 * indexes during the load.  Then it adds keys and indexes, analyzes, and
 * swaps the new tables in for the old ones by rename, all in the caller's
 * transaction: readers see the old load or the new one, never a mix, and
 * the old tables are locked only for the renames at the end.
 *
 * Staging tables have two lineage columns, so every row can be traced to
 * its feed and load: feed_id first, and load_id last.  load_id is added
 * after the rows, with the load's number as its default: PostgreSQL keeps
 * such a default once, in the catalog, instead of in every row.  Every file
 * of the GTFS reference gets a table, empty when the feed lacks the file, so
 * queries and models can rely on them.  Views on staging tables follow the
 * swap, and privileges granted on a table are granted again on its new load.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/backend_progress.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "feed.h"
#include "feedfiles.h"
#include "load.h"
#include "reader.h"

PG_FUNCTION_INFO_V1(gtfs_materialize);

#define LOAD_BATCH_ROWS		1000
#define LOAD_BATCH_BYTES	(4 * 1024 * 1024)
#define NEW_PREFIX			"_new_"
#define OLD_PREFIX			"_old_"
#define TABLE_COMMENT_TAG	"gtfs_fdw: "	/* marks the tables loads own */

static int	gtfs_swap_lock_timeout_ms = 10000;
static char *gtfs_load_log_retention = NULL;	/* read by prune_history() */
static bool gtfs_refresh_models = true; /* read by gtfs_refresh() */

/* One table of the load. */
typedef struct LoadTable
{
	GtfsFeedTable *ft;
	List	   *columns;		/* GtfsFeedColumn */
	List	   *key;			/* names of the primary key's columns */
	bool		key_required;	/* all of them required: a PRIMARY KEY */
	List	   *present;		/* names of the columns the file has */
	char	   *new_name;		/* "_new_stops" */
	Oid			new_relid;
	int64		rows;
} LoadTable;

/* A row left out, waiting to be written to gtfs_fdw.rejected_rows. */
typedef struct RejectedRow
{
	char	   *file;
	int64		line;
	char	   *column;
	char	   *value;
	char	   *reason;
	int			sqlstate;
} RejectedRow;

/* The whole load. */
typedef struct LoadState
{
	GtfsFeed   *feed;
	int64		load_id;
	Oid			nspid;
	GtfsSourceOptions *sopts;
	GtfsSource *source;
	List	   *tables;			/* LoadTable */
	List	   *vanished;		/* tables of earlier loads' files now absent */
	List	   *rejected;		/* RejectedRow */
	const char *phase;			/* for the error context */
	const char *file;
	ErrorContextCallback errcb;
} LoadState;

/* GtfsLoadInit: the settings of loads and of gtfs_refresh(). */
void
GtfsLoadInit(void)
{
	DefineCustomIntVariable("gtfs_fdw.swap_lock_timeout",
							"How long a load waits for readers of the old tables before swapping.",
							"A load that cannot lock the old tables in time fails; the old tables stay.",
							&gtfs_swap_lock_timeout_ms,
							10000, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("gtfs_fdw.refresh_models",
							 "Whether gtfs_refresh() rebuilds the models of a feed it loaded.",
							 NULL,
							 &gtfs_refresh_models,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("gtfs_fdw.load_log_retention",
							   "How long gtfs_refresh() keeps load history.",
							   "An interval; each feed keeps its last ten runs whatever their age.",
							   &gtfs_load_log_retention,
							   "30 days",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
}

static void
LoadErrorContext(void *arg)
{
	LoadState  *ls = (LoadState *) arg;

	if (ls->file)
		errcontext("%s \"%s\" of feed \"%s\"", ls->phase, ls->file, ls->feed->name);
	else
		errcontext("%s of feed \"%s\"", ls->phase, ls->feed->name);
}

static void
SetPhase(LoadState *ls, const char *phase, const char *file)
{
	ls->phase = phase;
	ls->file = file;
}

/* Run a statement built from quoted identifiers (never from values). */
static void
Exec(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
}

static const char *
Qualified(LoadState *ls, const char *table)
{
	return quote_qualified_identifier(ls->feed->staging_schema, table);
}

/* "<prefix><table>_<suffix>", short enough to be an identifier */
static char *
IndexName(const char *prefix, const char *table, const char *suffix)
{
	char	   *name = psprintf("%s%s_%s", prefix, table, suffix);

	if (strlen(name) >= NAMEDATALEN)
		name[pg_mbcliplen(name, strlen(name), NAMEDATALEN - 1)] = '\0';
	return name;
}

/* Tell other sessions what this backend is loading. */
static void
ReportActivity(LoadState *ls, const char *what)
{
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("gtfs_fdw: feed %s: %s", ls->feed->name, what));
}

static LoadTable *
FindLoadTable(LoadState *ls, const char *table_name)
{
	ListCell   *lc;

	foreach(lc, ls->tables)
	{
		LoadTable  *lt = lfirst(lc);

		if (strcmp(lt->ft->table_name, table_name) == 0)
			return lt;
	}
	return NULL;
}

static bool
InFeed(LoadState *ls, const char *table_name)
{
	LoadTable  *lt = FindLoadTable(ls, table_name);

	return lt != NULL && lt->ft->in_feed;
}

/* The feed must have the files the reference requires of every feed. */
static void
CheckRequiredFiles(LoadState *ls)
{
	static const char *const required[] = {"agency", "routes", "trips", "stop_times"};

	for (int i = 0; i < lengthof(required); i++)
	{
		if (!InFeed(ls, required[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("feed \"%s\" lacks the required file \"%s.txt\"",
							ls->feed->name, required[i]),
					 errhint("The previous load of the feed, if any, stays in place.")));
	}
	if (!InFeed(ls, "calendar") && !InFeed(ls, "calendar_dates"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
				 errmsg("feed \"%s\" has neither \"calendar.txt\" nor \"calendar_dates.txt\"",
						ls->feed->name),
				 errdetail("The GTFS reference requires at least one of them."),
				 errhint("The previous load of the feed, if any, stays in place.")));
}

/*
 * The reference's primary key of a file, in key order, and whether all its
 * fields are required (then it is a PRIMARY KEY, its columns NOT NULL).
 */
static void
PlanKey(LoadTable *lt)
{
	const GtfsSpecFile *spec = lt->ft->spec;

	lt->key = NIL;
	lt->key_required = true;
	for (int pos = 1; spec && pos <= spec->nfields; pos++)
	{
		for (int i = 0; i < spec->nfields; i++)
		{
			if (spec->fields[i].pk_position != pos)
				continue;
			lt->key = lappend(lt->key, (char *) spec->fields[i].name);
			lt->key_required &= (spec->fields[i].presence == GTFS_PRESENCE_REQUIRED);
		}
	}
}

static bool
IsNotNullKey(LoadTable *lt, const char *column)
{
	ListCell   *lc;

	if (!lt->key_required)
		return false;
	foreach(lc, lt->key)
	{
		if (strcmp(lfirst(lc), column) == 0)
			return true;
	}
	return false;
}

static bool
IsPresent(LoadTable *lt, const char *column)
{
	ListCell   *lc;

	foreach(lc, lt->present)
	{
		if (strcmp(lfirst(lc), column) == 0)
			return true;
	}
	return false;
}

/* Which tables to build, with which columns. */
static void
PlanTables(LoadState *ls, GtfsZip *zip)
{
	ListCell   *lc;

	foreach(lc, GtfsFeedTables(zip, true))
	{
		GtfsFeedTable *ft = lfirst(lc);
		LoadTable  *lt = palloc0(sizeof(LoadTable));
		ListCell   *cc;

		lt->ft = ft;
		lt->columns = GtfsFeedTableColumns(zip, ft);
		/* the lineage columns come first; a file's own namesakes give way */
		foreach(cc, lt->columns)
		{
			GtfsFeedColumn *col = lfirst(cc);

			if (strcmp(col->name, "feed_id") == 0 || strcmp(col->name, "load_id") == 0)
			{
				ereport(WARNING,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" of \"%s\" in feed \"%s\" is not loaded",
								col->name, ft->file, ls->feed->name),
						 errdetail("Staging tables use that name for their own lineage column.")));
				lt->columns = foreach_delete_current(lt->columns, cc);
			}
		}
		PlanKey(lt);
		lt->new_name = IndexName(NEW_PREFIX, ft->table_name, "");
		lt->new_name[strlen(lt->new_name) - 1] = '\0';	/* no trailing "_" */
		ls->tables = lappend(ls->tables, lt);
	}
}

static void
CreateNewTable(LoadState *ls, LoadTable *lt)
{
	StringInfoData sql;
	ListCell   *lc;

	initStringInfo(&sql);
	/* the check lets a filter on feed_id skip other feeds' tables in views
	 * that put every feed's staging tables together (gtfs_source) */
	appendStringInfo(&sql, "CREATE TABLE %s (feed_id integer NOT NULL CHECK (feed_id = %d)",
					 Qualified(ls, lt->new_name), ls->feed->feed_id);
	foreach(lc, lt->columns)
	{
		GtfsFeedColumn *col = lfirst(lc);

		/* the loader checks required key values itself (see LoadRows) */
		appendStringInfo(&sql, ", %s %s%s", quote_identifier(col->name), col->type_name,
						 IsNotNullKey(lt, col->name) ? " NOT NULL" : "");
	}
	appendStringInfoChar(&sql, ')');
	Exec(sql.data);
	lt->new_relid = get_relname_relid(lt->new_name, ls->nspid);
	if (!OidIsValid(lt->new_relid))
		elog(ERROR, "table \"%s\" vanished after its creation", lt->new_name);
}

/* Reader callback: keep a rejected row, and stop when there are too many. */
static void
CollectReject(void *arg, GtfsReader *reader, const GtfsReject *rej)
{
	LoadState  *ls = (LoadState *) arg;
	MemoryContext oldcxt = MemoryContextSwitchTo(GetMemoryChunkContext(ls));
	RejectedRow *row = palloc(sizeof(RejectedRow));

	row->file = pstrdup(reader->member.name);
	row->line = rej->line;
	row->column = rej->column ? pstrdup(rej->column) : NULL;
	row->value = rej->value ? pstrdup(rej->value) : NULL;
	row->reason = pstrdup(rej->message);
	row->sqlstate = rej->sqlstate;
	ls->rejected = lappend(ls->rejected, row);
	MemoryContextSwitchTo(oldcxt);

	if (list_length(ls->rejected) > ls->feed->max_rejected)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feed \"%s\" has more than %d rejected rows",
						ls->feed->name, ls->feed->max_rejected),
				 errdetail("The last: line " INT64_FORMAT " of \"%s\", column \"%s\": %s",
						   rej->line, reader->member.name,
						   rej->column ? rej->column : "?", rej->message),
				 errhint("Fix the feed, or raise the feed's max_rejected with gtfs_fdw.alter_feed().")));
}

/* Bulk-insert the file's rows into the new table; returns the row count. */
static int64
LoadRows(LoadState *ls, LoadTable *lt)
{
	Relation	rel;
	TupleDesc	tupdesc;
	GtfsTableOptions topts = {0};
	char	  **source_names;
	GtfsReader *reader;
	TupleTableSlot *slots[LOAD_BATCH_ROWS];
	BulkInsertState bistate;
	CommandId	mycid = GetCurrentCommandId(true);
	MemoryContext batch_cxt;
	MemoryContext oldcxt;
	int			nslots = 0;
	int64		rows = 0;
	ListCell   *lc;

	if (!lt->ft->in_feed)
		return 0;

	rel = table_open(lt->new_relid, RowExclusiveLock);
	tupdesc = RelationGetDescr(rel);
	source_names = palloc0(sizeof(char *) * tupdesc->natts);
	foreach(lc, lt->columns)
		source_names[foreach_current_index(lc) + 1] =
			((GtfsFeedColumn *) lfirst(lc))->name;

	topts.file = lt->ft->file;
	topts.rows = -1;
	topts.on_error = ls->feed->on_error;
	reader = GtfsReaderCreateFor(ls->sopts, &topts, tupdesc, lt->ft->table_name,
								 psprintf("feed \"%s\"", ls->feed->name),
								 source_names);
	reader->on_reject = CollectReject;
	reader->reject_arg = ls;
	/* bulk inserts check no constraint: the reader checks the NOT NULLs */
	for (int i = 0; i < tupdesc->natts; i++)
		reader->columns[i].not_null = TupleDescAttr(tupdesc, i)->attnotnull && i >= 1;
	GtfsReaderOpen(reader);
	for (int i = 1; i < tupdesc->natts; i++)
	{
		if (reader->columns[i].csv_index >= 0)
			lt->present = lappend(lt->present, pstrdup(reader->columns[i].source_name));
	}

	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, lt->new_relid);
	pgstat_progress_update_param(PROGRESS_COPY_COMMAND, PROGRESS_COPY_COMMAND_FROM);
	pgstat_progress_update_param(PROGRESS_COPY_TYPE, PROGRESS_COPY_TYPE_FILE);
	pgstat_progress_update_param(PROGRESS_COPY_BYTES_TOTAL, reader->member.size);

	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "gtfs_fdw load batch",
									  ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < LOAD_BATCH_ROWS; i++)
		slots[i] = MakeSingleTupleTableSlot(tupdesc, table_slot_callbacks(rel));
	bistate = GetBulkInsertState();

	for (;;)
	{
		TupleTableSlot *slot = slots[nslots];
		bool		found;

		ExecClearTuple(slot);
		oldcxt = MemoryContextSwitchTo(batch_cxt);
		found = GtfsReaderNext(reader, slot->tts_values, slot->tts_isnull);
		MemoryContextSwitchTo(oldcxt);
		if (found)
		{
			slot->tts_values[0] = Int32GetDatum(ls->feed->feed_id);
			slot->tts_isnull[0] = false;
			ExecStoreVirtualTuple(slot);
			nslots++;
			rows++;
		}
		if (nslots > 0 &&
			(!found || nslots == LOAD_BATCH_ROWS ||
			 MemoryContextMemAllocated(batch_cxt, false) > LOAD_BATCH_BYTES))
		{
			/* in the batch's context: it allocates per batch, as COPY's does */
			oldcxt = MemoryContextSwitchTo(batch_cxt);
			table_multi_insert(rel, slots, nslots, mycid, TABLE_INSERT_SKIP_FSM, bistate);
			MemoryContextSwitchTo(oldcxt);
			for (int i = 0; i < nslots; i++)
				ExecClearTuple(slots[i]);
			nslots = 0;
			MemoryContextReset(batch_cxt);
			pgstat_progress_update_param(PROGRESS_COPY_TUPLES_PROCESSED, rows);
			pgstat_progress_update_param(PROGRESS_COPY_BYTES_PROCESSED,
										 GtfsCsvBytesRead(reader->csv));
		}
		if (!found)
			break;
	}

	FreeBulkInsertState(bistate);
	table_finish_bulk_insert(rel, TABLE_INSERT_SKIP_FSM);
	for (int i = 0; i < LOAD_BATCH_ROWS; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	MemoryContextDelete(batch_cxt);
	pgstat_progress_end_command();
	GtfsReaderEnd(reader);
	table_close(rel, NoLock);
	return rows;
}

/*
 * The reference's primary key as a primary key when all its fields are
 * required, else as a unique index that treats NULLs as equal; an index on
 * every foreign-key column the file has (one it lacks is all NULL), unless
 * it leads the key.
 */
static void
BuildIndexes(LoadState *ls, LoadTable *lt)
{
	const GtfsSpecFile *spec = lt->ft->spec;
	StringInfoData keycols;
	ListCell   *lc;

	if (spec == NULL)
		return;

	initStringInfo(&keycols);
	foreach(lc, lt->key)
		appendStringInfo(&keycols, "%s%s", keycols.len ? ", " : "",
						 quote_identifier(lfirst(lc)));
	if (lt->key != NIL)
	{
		SetPhase(ls, "building the primary key of", lt->ft->file);
		if (lt->key_required)
			Exec(psprintf("ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY (%s)",
						  Qualified(ls, lt->new_name),
						  quote_identifier(IndexName(NEW_PREFIX, lt->ft->table_name, "pkey")),
						  keycols.data));
		else
			Exec(psprintf("CREATE UNIQUE INDEX %s ON %s (%s) NULLS NOT DISTINCT",
						  quote_identifier(IndexName(NEW_PREFIX, lt->ft->table_name, "key")),
						  Qualified(ls, lt->new_name), keycols.data));
	}

	SetPhase(ls, "indexing", lt->ft->file);
	for (int i = 0; i < spec->nfields; i++)
	{
		const GtfsSpecField *f = &spec->fields[i];

		if (f->foreign_key == NULL || !IsPresent(lt, f->name) ||
			(lt->key != NIL && strcmp(f->name, linitial(lt->key)) == 0))
			continue;
		Exec(psprintf("CREATE INDEX %s ON %s (%s)",
					  quote_identifier(IndexName(NEW_PREFIX, lt->ft->table_name,
												 psprintf("%s_idx", f->name))),
					  Qualified(ls, lt->new_name), quote_identifier(f->name)));
	}
}

static void
BuildTable(LoadState *ls, LoadTable *lt)
{
	TimestampTz start = GetCurrentTimestamp();
	long		secs;
	int			usecs;
	double		elapsed;

	SetPhase(ls, "creating the table for", lt->ft->file);
	CreateNewTable(ls, lt);

	SetPhase(ls, "loading", lt->ft->file);
	ReportActivity(ls, psprintf("loading %s", lt->ft->file));
	lt->rows = LoadRows(ls, lt);

	/* the load's number, kept once in the catalog rather than in every row */
	Exec(psprintf("ALTER TABLE %s ADD COLUMN load_id bigint NOT NULL DEFAULT " INT64_FORMAT,
				  Qualified(ls, lt->new_name), ls->load_id));

	ReportActivity(ls, psprintf("indexing %s", lt->ft->file));
	BuildIndexes(ls, lt);

	/* an empty table for a file the feed lacks needs no statistics */
	SetPhase(ls, "analyzing", lt->ft->file);
	if (lt->ft->in_feed)
		Exec(psprintf("ANALYZE %s", Qualified(ls, lt->new_name)));
	Exec(psprintf("COMMENT ON TABLE %s IS %s", Qualified(ls, lt->new_name),
				  quote_literal_cstr(psprintf(TABLE_COMMENT_TAG "%s of feed %s, load " INT64_FORMAT "%s",
											  lt->ft->file, ls->feed->name, ls->load_id,
											  lt->ft->in_feed ? "" : " (not in the feed: empty)"))));

	if (lt->ft->in_feed)
	{
		TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
		elapsed = secs + usecs / 1e6;
		ereport(NOTICE,
				(errmsg_plural("feed \"%s\": %s: " INT64_FORMAT " row in %.2f s (%.0f rows/s)",
							   "feed \"%s\": %s: " INT64_FORMAT " rows in %.2f s (%.0f rows/s)",
							   lt->rows,
							   ls->feed->name, lt->ft->file, lt->rows, elapsed,
							   elapsed > 0 ? lt->rows / elapsed : 0)));
	}
}

/* The SQL text of a query's first column, one string per row. */
static List *
QueryStrings(const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	List	   *result = NIL;

	if (SPI_execute_with_args(sql, nargs, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI query failed: %s", sql);
	for (uint64 i = 0; i < SPI_processed; i++)
		result = lappend(result, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	return result;
}

static void
ExecAll(List *statements)
{
	ListCell   *lc;

	foreach(lc, statements)
		Exec(lfirst(lc));
}

/* Run fn(ls) with a setting changed, and change it back however fn ends. */
static void
WithSetting(const char *name, const char *value, void (*fn) (LoadState *),
			LoadState *ls)
{
	char	   *saved = pstrdup(GetConfigOption(name, false, false));

	SetConfigOption(name, value, PGC_USERSET, PGC_S_SESSION);
	PG_TRY();
	{
		fn(ls);
	}
	PG_FINALLY();
	{
		SetConfigOption(name, saved, PGC_USERSET, PGC_S_SESSION);
	}
	PG_END_TRY();
}

/*
 * Lock every old table, and those about to be dropped, in one statement,
 * within gtfs_fdw.swap_lock_timeout.
 */
static void
LockOldTables(LoadState *ls)
{
	StringInfoData locklist;
	ListCell   *lc;

	initStringInfo(&locklist);
	foreach(lc, ls->tables)
	{
		LoadTable  *lt = lfirst(lc);

		if (OidIsValid(get_relname_relid(lt->ft->table_name, ls->nspid)))
			appendStringInfo(&locklist, "%s%s", locklist.len ? ", " : "",
							 Qualified(ls, lt->ft->table_name));
	}
	foreach(lc, ls->vanished)
		appendStringInfo(&locklist, "%s%s", locklist.len ? ", " : "",
						 Qualified(ls, lfirst(lc)));
	if (locklist.len > 0)
		Exec(psprintf("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", locklist.data));
}

/* "{1,2,3}": an array literal of the relations' oids, old or new */
static Datum
OidArray(LoadState *ls, bool old)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, ls->tables)
	{
		LoadTable  *lt = lfirst(lc);

		appendStringInfo(&buf, "%s%u", foreach_current_index(lc) ? "," : "",
						 old ? get_relname_relid(lt->ft->table_name, ls->nspid) :
						 lt->new_relid);
	}
	appendStringInfoChar(&buf, '}');
	return CStringGetTextDatum(buf.data);
}

/*
 * Rename each new table into place, dropping the old.  Views on an old table
 * are re-created on the new one (their text is taken with an empty
 * search_path, so every name in it is qualified); grants on an old table and
 * its columns are repeated on the new.  A few catalog queries serve every
 * table at once.
 */
static void
RenameTables(LoadState *ls)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2] = {OidArray(ls, true), OidArray(ls, false)};
	List	   *grants;
	List	   *views;
	StringInfoData drops;
	ListCell   *lc;

	grants = QueryStrings("SELECT format('GRANT %s%s ON %s TO %s%s', a.privilege_type, "
						  "  CASE WHEN att.attname IS NOT NULL THEN format(' (%I)', att.attname) ELSE '' END, "
						  "  m.new::regclass, "
						  "  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, "
						  "  CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) "
						  "FROM unnest($1::oid[], $2::oid[]) AS m(old, new) "
						  "JOIN pg_catalog.pg_class c ON c.oid = m.old "
						  "CROSS JOIN LATERAL ("
						  "  SELECT NULL::name AS attname, c.relacl AS acl "
						  "  UNION ALL "
						  "  SELECT x.attname, x.attacl FROM pg_catalog.pg_attribute x "
						  "  WHERE x.attrelid = c.oid AND x.attnum > 0 AND NOT x.attisdropped "
						  "    AND x.attacl IS NOT NULL) att "
						  "CROSS JOIN LATERAL pg_catalog.aclexplode(att.acl) a "
						  "LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee "
						  "WHERE a.grantee <> c.relowner",
						  2, argtypes, args);
	views = QueryStrings("SELECT DISTINCT format('CREATE OR REPLACE VIEW %s%s AS %s', "
						 "  v.oid::regclass, "
						 "  CASE WHEN v.reloptions IS NOT NULL "
						 "       THEN ' WITH (' || array_to_string(v.reloptions, ', ') || ')' "
						 "       ELSE '' END, "
						 "  pg_catalog.pg_get_viewdef(v.oid)) "
						 "FROM pg_catalog.pg_depend d "
						 "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
						 "JOIN pg_catalog.pg_class v ON v.oid = r.ev_class "
						 "WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
						 "  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
						 "  AND d.refobjid = ANY ($1::oid[]) AND v.relkind = 'v'",
						 1, argtypes, args);
	ExecAll(grants);			/* a privilege goes along through the renames */

	initStringInfo(&drops);
	foreach(lc, ls->tables)
	{
		LoadTable  *lt = lfirst(lc);
		char	   *old_name = IndexName(OLD_PREFIX, lt->ft->table_name, "x");

		CHECK_FOR_INTERRUPTS();
		if (OidIsValid(get_relname_relid(lt->ft->table_name, ls->nspid)))
		{
			Exec(psprintf("ALTER TABLE %s RENAME TO %s", Qualified(ls, lt->ft->table_name),
						  quote_identifier(old_name)));
			appendStringInfo(&drops, "%s%s", drops.len ? ", " : "", Qualified(ls, old_name));
		}
		Exec(psprintf("ALTER TABLE %s RENAME TO %s", Qualified(ls, lt->new_name),
					  quote_identifier(lt->ft->table_name)));
	}
	ExecAll(views);
	if (drops.len > 0)
		Exec(psprintf("DROP TABLE %s", drops.data));

	/* the new tables' indexes take the names the old ones had */
	ExecAll(QueryStrings("SELECT format('ALTER INDEX %s RENAME TO %I', c.oid::regclass, "
						 "  substr(c.relname, 6)) "
						 "FROM pg_catalog.pg_index i "
						 "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
						 "WHERE i.indrelid = ANY ($2::oid[]) AND c.relname LIKE '\\_new\\_%'",
						 2, argtypes, args));
}

static List *VanishedTables(LoadState *ls);

/*
 * Refuse, before any work, to load a feed whose staging tables carry what a
 * swap cannot carry over: materialized views, foreign keys from other
 * tables, SQL-body functions, row-level security.  (Plain views are
 * re-created on the new tables.)  Dropping them silently is not an option.
 */
static void
CheckDependents(LoadState *ls)
{
	Datum	   *names = palloc(sizeof(Datum) * list_length(ls->tables));
	ListCell   *lc;
	Oid			argtypes[2] = {OIDOID, TEXTARRAYOID};
	Datum		args[2];
	List	   *found;

	foreach(lc, ls->tables)
		names[foreach_current_index(lc)] =
			CStringGetTextDatum(((LoadTable *) lfirst(lc))->ft->table_name);
	args[0] = ObjectIdGetDatum(ls->nspid);
	args[1] = PointerGetDatum(construct_array(names, list_length(ls->tables),
											  TEXTOID, -1, false, TYPALIGN_INT));
	found = QueryStrings("SELECT format('%s depends on table %s', "
						 "  pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), t.oid::regclass) "
						 "FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
						 "WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
						 "  AND t.relnamespace = $1 AND t.relname = ANY ($2) AND d.deptype = 'n' "
						 "  AND (d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass "
						 "       OR EXISTS (SELECT FROM pg_catalog.pg_rewrite rw "
						 "                  JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class "
						 "                  WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
						 "                    AND rw.oid = d.objid AND v.relkind <> 'v') "
						 "       OR EXISTS (SELECT FROM pg_catalog.pg_constraint c "
						 "                  WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass "
						 "                    AND c.oid = d.objid AND c.conrelid <> t.oid)) "
						 "UNION ALL "
						 "SELECT format('row-level security is enabled on table %s', t.oid::regclass) "
						 "FROM pg_catalog.pg_class t "
						 "WHERE t.relnamespace = $1 AND t.relname = ANY ($2) AND t.relrowsecurity",
						 2, argtypes, args);
	if (found != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("feed \"%s\" cannot be loaded: %s",
						ls->feed->name, (char *) linitial(found)),
				 errdetail("A load replaces the feed's staging tables; it carries views on them over, and their grants, nothing else."),
				 errhint("Drop it, or build it as a plain view or as a model (gtfs_fdw.create_model).")));
}

/*
 * Swap the new tables in for the old.  The swap re-creates the views of
 * gtfs_source, which union every feed's tables, so swaps of different feeds
 * (and model runs, which re-create those views too) take turns: each waits
 * for the one before to commit, instead of timing out on its locks.
 */
static void
SwapTables(LoadState *ls)
{
	SetPhase(ls, "waiting for other loads to commit", NULL);
	ReportActivity(ls, "waiting for other loads to commit");
	Exec("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('gtfs_fdw.sources'))");
	SetPhase(ls, "swapping in the new tables", NULL);
	ReportActivity(ls, "swapping in the new tables");
	ls->vanished = VanishedTables(ls);
	WithSetting("lock_timeout", psprintf("%d", gtfs_swap_lock_timeout_ms),
				LockOldTables, ls);
	WithSetting("search_path", "", RenameTables, ls);
}

/* Tables of earlier loads whose files the feed no longer has. */
static List *
VanishedTables(LoadState *ls)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(ls->nspid)};
	List	   *names = QueryStrings("SELECT c.relname FROM pg_catalog.pg_class c "
									 "JOIN pg_catalog.pg_description d ON d.objoid = c.oid "
									 "  AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass "
									 "  AND d.objsubid = 0 "
									 "WHERE c.relnamespace = $1 AND c.relkind = 'r' "
									 "  AND d.description LIKE '" TABLE_COMMENT_TAG "%'",
									 1, argtypes, args);
	List	   *vanished = NIL;
	ListCell   *lc;

	foreach(lc, names)
	{
		char	   *name = lfirst(lc);
		bool		ours = (FindLoadTable(ls, name) != NULL);
		ListCell   *lc2;

		/* this load's own new tables are not in place yet */
		foreach(lc2, ls->tables)
			ours |= (strcmp(((LoadTable *) lfirst(lc2))->new_name, name) == 0);
		if (!ours)
			vanished = lappend(vanished, name);
	}
	return vanished;
}

/* Drop the tables of files the feed no longer has (locked by the swap). */
static void
DropVanishedTables(LoadState *ls)
{
	ListCell   *lc;

	SetPhase(ls, "dropping tables of files the feed no longer has", NULL);
	foreach(lc, ls->vanished)
	{
		char	   *name = lfirst(lc);

		ereport(NOTICE,
				(errmsg("feed \"%s\": dropping table %s: its file is no longer in the feed",
						ls->feed->name, Qualified(ls, name))));
		Exec(psprintf("DROP TABLE %s", Qualified(ls, name)));
	}
}

static void
WriteRejectedRows(LoadState *ls)
{
	Oid			argtypes[9] = {INT4OID, TEXTOID, INT8OID, TEXTOID, INT8OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	SPIPlanPtr	plan;
	ListCell   *lc;

	if (ls->rejected == NIL)
		return;
	plan = SPI_prepare("INSERT INTO gtfs_fdw.rejected_rows (feed_id, feed, load_id, file, line, "
					   "column_name, value, reason, sqlstate) "
					   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", 9, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare insert into gtfs_fdw.rejected_rows");
	foreach(lc, ls->rejected)
	{
		RejectedRow *row = lfirst(lc);
		Datum		args[9];
		char		nulls[9] = "         ";

		args[0] = Int32GetDatum(ls->feed->feed_id);
		args[1] = CStringGetTextDatum(ls->feed->name);
		args[2] = Int64GetDatum(ls->load_id);
		args[3] = CStringGetTextDatum(row->file);
		args[4] = Int64GetDatum(row->line);
		args[5] = row->column ? CStringGetTextDatum(row->column) : (Datum) 0;
		nulls[5] = row->column ? ' ' : 'n';
		/* a value that is not valid UTF-8 is kept as its escape */
		args[6] = row->value ?
			CStringGetTextDatum(pg_verify_mbstr(GetDatabaseEncoding(), row->value,
												strlen(row->value), true) ?
								row->value : "(not valid in the database encoding)") : (Datum) 0;
		nulls[6] = row->value ? ' ' : 'n';
		args[7] = CStringGetTextDatum(row->reason);
		args[8] = CStringGetTextDatum(unpack_sql_state(row->sqlstate));
		if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert into gtfs_fdw.rejected_rows");
	}
	ereport(NOTICE,
			(errmsg("feed \"%s\": %d rows rejected; see gtfs_fdw.rejected_rows (load " INT64_FORMAT ")",
					ls->feed->name, list_length(ls->rejected), ls->load_id)));
}

/* {"agency": 1, "stops": 1488, ...}: rows per table of the feed's files */
static Datum
RowsJson(LoadState *ls)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, ls->tables)
	{
		LoadTable  *lt = lfirst(lc);

		if (!lt->ft->in_feed)
			continue;
		if (!first)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, lt->ft->table_name);
		appendStringInfo(&buf, ": " INT64_FORMAT, lt->rows);
		first = false;
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

static int64
NextRunId(void)
{
	if (SPI_execute("SELECT pg_catalog.nextval('gtfs_fdw.run_id_seq')", false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not draw a load id");
	return DatumGetInt64(DirectFunctionCall1(int8in,
											 CStringGetDatum(SPI_getvalue(SPI_tuptable->vals[0],
																		  SPI_tuptable->tupdesc, 1))));
}

/* The load itself; returns rows per table as jsonb, in caller_cxt. */
static Datum
MaterializeFeed(LoadState *ls, MemoryContext caller_cxt)
{
	GtfsZip    *zip;
	ListCell   *lc;
	Datum		result;
	TimestampTz start = GetCurrentTimestamp();
	long		secs;
	int			usecs;
	int64		total = 0;

	GtfsFeedLock(ls->feed);

	SetPhase(ls, "fetching", NULL);
	ls->sopts = GtfsFeedSourceOptions(ls->feed);
	ls->source = GtfsSourceAcquire(ls->sopts, GtfsCheckFeed);
	zip = GtfsZipOpen(ls->source->data, ls->source->len, ls->source->label);

	SetPhase(ls, "reading the files", NULL);
	PlanTables(ls, zip);
	CheckRequiredFiles(ls);

	ls->nspid = get_namespace_oid(ls->feed->staging_schema, true);
	if (!OidIsValid(ls->nspid))
	{
		Exec(psprintf("CREATE SCHEMA %s", quote_identifier(ls->feed->staging_schema)));
		ls->nspid = get_namespace_oid(ls->feed->staging_schema, false);
	}
	CheckDependents(ls);

	foreach(lc, ls->tables)
	{
		BuildTable(ls, lfirst(lc));
		total += ((LoadTable *) lfirst(lc))->rows;
	}
	SwapTables(ls);
	DropVanishedTables(ls);
	SetPhase(ls, "recording rejected rows", NULL);
	WriteRejectedRows(ls);
	/* the result must outlive SPI_finish */
	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(caller_cxt);

		result = RowsJson(ls);
		MemoryContextSwitchTo(spi_cxt);
	}

	TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
	ereport(NOTICE,
			(errmsg("feed \"%s\": loaded " INT64_FORMAT " rows into schema \"%s\" in %.2f s (load " INT64_FORMAT ")",
					ls->feed->name, total, ls->feed->staging_schema,
					secs + usecs / 1e6, ls->load_id)));
	GtfsZipClose(zip);
	return result;
}

/* Show the statement again in pg_stat_activity, instead of the load. */
static void
RestoreActivity(void)
{
	if (debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
}

/*
 * gtfs_fdw.materialize(feed text, load_id bigint): load a feed's every file
 * into its staging schema; returns rows per table as jsonb.
 */
Datum
gtfs_materialize(PG_FUNCTION_ARGS)
{
	LoadState  *ls;
	Datum		result;
	MemoryContext caller_cxt = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feed must not be null")));

	SPI_connect();
	ls = palloc0(sizeof(LoadState));
	ls->feed = GtfsFeedLookup(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ls->load_id = PG_ARGISNULL(1) ? NextRunId() : PG_GETARG_INT64(1);

	ls->errcb.callback = LoadErrorContext;
	ls->errcb.arg = ls;
	ls->errcb.previous = error_context_stack;
	error_context_stack = &ls->errcb;
	PG_TRY();
	{
		result = MaterializeFeed(ls, caller_cxt);
	}
	PG_CATCH();
	{
		/* a failed load must not go on looking like one in progress */
		RestoreActivity();
		PG_RE_THROW();
	}
	PG_END_TRY();
	error_context_stack = ls->errcb.previous;
	RestoreActivity();
	SPI_finish();
	PG_RETURN_DATUM(result);
}
