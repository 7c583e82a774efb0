/*-------------------------------------------------------------------------
 * archive.c
 *		Keep each distinct download of a feed as a file, transactionally.
 *
 * gtfs_fdw.feed_versions has a row per archived version; the bytes are in
 * <gtfs_fdw.archive_dir>/<feed_id>/<sha256>.zip.  Files follow the
 * transaction that wrote the rows: a file written by a transaction (or
 * subtransaction) that aborts is removed, and a file whose row was deleted
 * is removed only when the deletion commits.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "archive.h"
#include "durable.h"
#include "feed.h"
#include "reader.h"

PG_FUNCTION_INFO_V1(gtfs_archive_feed_version);
PG_FUNCTION_INFO_V1(gtfs_remove_feed_files);

static char *gtfs_archive_dir = NULL;

/* A file to remove when the (sub)transaction that named it ends. */
typedef struct PendingFile
{
	char	   *path;
	bool		at_commit;		/* else: at abort */
	SubTransactionId subid;
} PendingFile;

static List *pending_files = NIL;

static void ArchiveXactCallback(XactEvent event, void *arg);
static void ArchiveSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								   SubTransactionId parentSubid, void *arg);

/* GtfsArchiveInit: the archive directory setting and the xact hooks. */
void
GtfsArchiveInit(void)
{
	DefineCustomStringVariable("gtfs_fdw.archive_dir",
							   "Directory where downloaded feed versions are archived.",
							   "A relative path is taken from the data directory.",
							   &gtfs_archive_dir,
							   "gtfs_fdw_archive",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
	RegisterXactCallback(ArchiveXactCallback, NULL);
	RegisterSubXactCallback(ArchiveSubXactCallback, NULL);
}

static void
RemoveFile(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("could not remove archived feed \"%s\": %m", path)));
}

static void
ArchiveXactCallback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event == XACT_EVENT_PRE_PREPARE && pending_files != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot prepare a transaction that archived or removed GTFS feed versions")));
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;

	foreach(lc, pending_files)
	{
		PendingFile *pf = lfirst(lc);
		bool		committed = (event == XACT_EVENT_COMMIT ||
								 event == XACT_EVENT_PARALLEL_COMMIT);

		if (pf->at_commit == committed)
			RemoveFile(pf->path);
	}
	list_free_deep(pending_files);
	pending_files = NIL;
}

static void
ArchiveSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	foreach(lc, pending_files)
	{
		PendingFile *pf = lfirst(lc);

		if (pf->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			pf->subid = parentSubid;
		else if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			/* written in vain, or its deletion undone */
			if (!pf->at_commit)
				RemoveFile(pf->path);
			pending_files = foreach_delete_current(pending_files, lc);
		}
	}
}

/* Remove path when the current (sub)transaction commits, or aborts. */
static void
RemoveFileAtEnd(const char *path, bool at_commit)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	PendingFile *pf = palloc(sizeof(PendingFile));

	pf->path = pstrdup(path);
	pf->at_commit = at_commit;
	pf->subid = GetCurrentSubTransactionId();
	pending_files = lappend(pending_files, pf);
	MemoryContextSwitchTo(oldcxt);
}

static char *
FeedArchiveDir(int32 feed_id, bool create)
{
	const char *root = gtfs_archive_dir && gtfs_archive_dir[0] ?
		gtfs_archive_dir : "gtfs_fdw_archive";
	char	   *dir = psprintf("%s/%d", root, feed_id);

	if (create &&
		((MakePGDirectory(root) < 0 && errno != EEXIST) ||
		 (MakePGDirectory(dir) < 0 && errno != EEXIST)))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create archive directory \"%s\": %m", dir),
				 errhint("Check the setting \"gtfs_fdw.archive_dir\".")));
	return dir;
}

/*
 * Remove the files of the feed's archive that no row names: left behind by
 * a crash between writing a file and committing its row.  The caller holds
 * the feed's lock, so no other transaction is archiving it now.
 */
static void
RemoveOrphanFiles(int32 feed_id)
{
	char	   *dir = FeedArchiveDir(feed_id, false);
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;
	Oid			argtypes[2] = {INT4OID, TEXTOID};

	if (d == NULL && errno == ENOENT)
		return;
	while ((de = ReadDir(d, dir)) != NULL)
	{
		char	   *path;
		Datum		args[2];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = psprintf("%s/%s", dir, de->d_name);
		args[0] = Int32GetDatum(feed_id);
		args[1] = CStringGetTextDatum(path);
		if (SPI_execute_with_args("SELECT FROM gtfs_fdw.feed_versions "
								  "WHERE feed_id = $1 AND path = $2",
								  2, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read gtfs_fdw.feed_versions");
		if (SPI_processed == 0)
			RemoveFile(path);
	}
	FreeDir(d);
}

/*
 * gtfs_archive_feed_version(feed, run_id): archive the bytes this
 * transaction read for the feed, unless that version is archived already,
 * and prune versions beyond the feed's keep_versions.  Returns the
 * version_id, or NULL when keep_versions is 0.
 */
Datum
gtfs_archive_feed_version(PG_FUNCTION_ARGS)
{
	char	   *name;
	GtfsFeed   *feed;
	GtfsSource *src;
	const char *sha;
	Oid			argtypes[8] = {INT4OID, INT8OID, TIMESTAMPTZOID, TEXTOID,
	INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		args[8];
	char		nulls[8] = "        ";
	int64		version_id = 0;
	bool		have_version = false;
	bool		isnull;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feed must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	SPI_connect();
	feed = GtfsFeedLookup(name);
	GtfsFeedLock(feed);
	RemoveOrphanFiles(feed->feed_id);
	src = GtfsSourceAcquire(GtfsFeedSourceOptions(feed), GtfsCheckFeed);
	sha = GtfsSourceSha256(src);

	args[0] = Int32GetDatum(feed->feed_id);
	args[3] = CStringGetTextDatum(sha);
	{
		Oid			qtypes[2] = {INT4OID, TEXTOID};
		Datum		qargs[2] = {args[0], args[3]};

		if (SPI_execute_with_args("SELECT version_id FROM gtfs_fdw.feed_versions "
								  "WHERE feed_id = $1 AND sha256 = $2",
								  2, qtypes, qargs, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read gtfs_fdw.feed_versions");
	}
	if (SPI_processed > 0)
	{
		version_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
		have_version = true;
	}
	else if (feed->keep_versions > 0)
	{
		char	   *path = psprintf("%s/%s.zip",
									FeedArchiveDir(feed->feed_id, true), sha);

		GtfsWriteFileDurably(path, src->data, src->len);
		RemoveFileAtEnd(path, false);

		if (PG_ARGISNULL(1))
			nulls[1] = 'n';
		else
			args[1] = PG_GETARG_DATUM(1);
		args[2] = TimestampTzGetDatum(time_t_to_timestamptz(src->fetched_at));
		args[4] = Int64GetDatum((int64) src->len);
		args[5] = src->etag ? CStringGetTextDatum(src->etag) : (Datum) 0;
		nulls[5] = src->etag ? ' ' : 'n';
		args[6] = src->last_modified ? CStringGetTextDatum(src->last_modified) : (Datum) 0;
		nulls[6] = src->last_modified ? ' ' : 'n';
		args[7] = CStringGetTextDatum(path);
		if (SPI_execute_with_args("INSERT INTO gtfs_fdw.feed_versions "
								  "(feed_id, run_id, fetched_at, sha256, bytes, etag, last_modified, path) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING version_id",
								  8, argtypes, args, nulls, false, 1) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not insert into gtfs_fdw.feed_versions");
		version_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
		have_version = true;
	}

	/* keep the newest keep_versions; their files go when this commits */
	{
		Oid			pargtypes[2] = {INT4OID, INT4OID};
		Datum		pargs[2] = {Int32GetDatum(feed->feed_id),
		Int32GetDatum(feed->keep_versions)};

		if (SPI_execute_with_args("DELETE FROM gtfs_fdw.feed_versions v "
								  "WHERE v.feed_id = $1 AND v.version_id NOT IN ("
								  "  SELECT version_id FROM gtfs_fdw.feed_versions "
								  "  WHERE feed_id = $1 ORDER BY archived_at DESC, version_id DESC "
								  "  LIMIT $2) RETURNING v.path",
								  2, pargtypes, pargs, NULL, false, 0) != SPI_OK_DELETE_RETURNING)
			elog(ERROR, "could not prune gtfs_fdw.feed_versions");
		for (uint64 i = 0; i < SPI_processed; i++)
			RemoveFileAtEnd(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
							true);
	}
	SPI_finish();

	if (!have_version)
		PG_RETURN_NULL();
	PG_RETURN_INT64(version_id);
}

/* gtfs_remove_feed_files(feed_id): remove a feed's archive at commit. */
Datum
gtfs_remove_feed_files(PG_FUNCTION_ARGS)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {PG_GETARG_DATUM(0)};

	SPI_connect();
	if (SPI_execute_with_args("SELECT path FROM gtfs_fdw.feed_versions WHERE feed_id = $1",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read gtfs_fdw.feed_versions");
	for (uint64 i = 0; i < SPI_processed; i++)
		RemoveFileAtEnd(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
						true);
	SPI_finish();
	PG_RETURN_VOID();
}
