/*-------------------------------------------------------------------------
 * feed.c
 *		Look up a feed of gtfs_fdw.feeds, serialize work on it, fetch it.
 *
 * Callers are connected to SPI.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "feed.h"
#include "reader.h"

static char *
GetText(HeapTuple tuple, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* GtfsFeedLookup: the feed of that name; an error if there is none. */
GtfsFeed *
GtfsFeedLookup(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	GtfsFeed   *feed;
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		isnull;

	if (SPI_execute_with_args("SELECT feed_id, name, server_name, staging_schema, "
							  "on_error, max_rejected, keep_versions, last_sha256 "
							  "FROM gtfs_fdw.feeds WHERE name = $1",
							  1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read gtfs_fdw.feeds");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("feed \"%s\" does not exist", name),
				 errhint("Register it with gtfs_fdw.add_feed(); SELECT name FROM gtfs_fdw.feeds lists the feeds.")));

	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	feed = palloc0(sizeof(GtfsFeed));
	feed->feed_id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
	feed->name = GetText(tuple, desc, 2);
	feed->server_name = GetText(tuple, desc, 3);
	feed->staging_schema = GetText(tuple, desc, 4);
	feed->on_error = strcmp(GetText(tuple, desc, 5), "skip") == 0 ?
		GTFS_ON_ERROR_SKIP : GTFS_ON_ERROR_STOP;
	feed->max_rejected = DatumGetInt32(SPI_getbinval(tuple, desc, 6, &isnull));
	feed->keep_versions = DatumGetInt32(SPI_getbinval(tuple, desc, 7, &isnull));
	feed->last_sha256 = GetText(tuple, desc, 8);
	feed->server_oid = get_foreign_server_oid(feed->server_name, true);
	if (!OidIsValid(feed->server_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("server \"%s\" of feed \"%s\" does not exist",
						feed->server_name, feed->name),
				 errhint("Recreate the server, or drop the feed and add it again.")));
	return feed;
}

/*
 * GtfsFeedLock: wait for other work on the feed to finish; held until the
 * transaction ends.  gtfs_refresh() takes the same lock, so a load and a
 * refresh of one feed never overlap.
 */
void
GtfsFeedLock(const GtfsFeed *feed)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(feed->feed_id)};

	if (SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock("
							  "pg_catalog.hashtext('gtfs_fdw.refresh'), $1)",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock feed \"%s\"", feed->name);
}

/* GtfsFeedSourceOptions: how to fetch the feed, for the current user. */
GtfsSourceOptions *
GtfsFeedSourceOptions(const GtfsFeed *feed)
{
	return GtfsGetSourceOptions(feed->server_oid, GetUserId());
}

PG_FUNCTION_INFO_V1(gtfs_fetch_feed);

/*
 * gtfs_fetch_feed(feed): revalidate (or download) the feed's source, pin it
 * for the transaction, and say whether it differs from the last load.
 */
Datum
gtfs_fetch_feed(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	GtfsFeed   *feed;
	GtfsSource *src;
	const char *sha;
	Datum		values[6];
	bool		nulls[6] = {0};
	MemoryContext caller_cxt = CurrentMemoryContext;
	HeapTuple	result;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	SPI_connect();
	feed = GtfsFeedLookup(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	GtfsFeedLock(feed);
	src = GtfsSourceAcquire(GtfsFeedSourceOptions(feed), GtfsCheckFeed);
	sha = GtfsSourceSha256(src);

	values[0] = CStringGetTextDatum(GtfsFetchOutcomeName(src->outcome));
	values[1] = CStringGetTextDatum(sha);
	values[2] = Int64GetDatum((int64) src->len);
	if (src->etag)
		values[3] = CStringGetTextDatum(src->etag);
	else
		nulls[3] = true;
	if (src->last_modified)
		values[4] = CStringGetTextDatum(src->last_modified);
	else
		nulls[4] = true;
	values[5] = BoolGetDatum(feed->last_sha256 == NULL ||
							 strcmp(feed->last_sha256, sha) != 0);
	/* the result must outlive SPI_finish */
	MemoryContextSwitchTo(caller_cxt);
	result = heap_form_tuple(tupdesc, values, nulls);
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(result));
}
