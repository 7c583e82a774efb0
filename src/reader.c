/*-------------------------------------------------------------------------
 * reader.c
 *		Read a foreign table's file from its feed as typed rows.
 *
 * Columns are matched to the file's header by name, in any order; a column
 * option column_name maps a differently named one.  A column the file lacks
 * reads as NULL when the GTFS reference calls it optional, and is an error
 * when the reference requires it or does not know it (most likely a typo).
 * Only the columns a caller asks for are converted.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "reader.h"

#define FILE_LIST_LIMIT 40		/* files named in a "not found" detail */

static void ReaderErrorContext(void *arg);

/* The check a downloaded GTFS feed must pass before it enters the cache. */
void
GtfsCheckFeed(const char *data, size_t len, const char *label)
{
	GtfsZipCheck(data, len, label);
}

/*
 * The reader of topts->file in the source sopts, producing rows of tupdesc.
 * source_names[i] is the header name attribute i + 1 reads, or NULL for an
 * attribute the reader leaves alone (NULL).  Only the attributes in attrs
 * (offset by FirstLowInvalidHeapAttributeNumber, as pull_varattnos makes
 * them), or all, are converted.  Nothing is fetched yet.
 */
static GtfsReader *
ReaderCreate(GtfsSourceOptions *sopts, GtfsTableOptions *topts,
			 TupleDesc tupdesc, const char *relname, const char *owner,
			 char **source_names,
			 Bitmapset *attrs, bool all_columns)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "gtfs_fdw reader",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	GtfsReader *r = palloc0(sizeof(GtfsReader));
	const char *slash = strrchr(topts->file, '/');
	bool		whole_row;

	r->cxt = cxt;
	r->member_cxt = AllocSetContextCreate(cxt, "gtfs_fdw member",
										  ALLOCSET_DEFAULT_SIZES);
	r->attempt_cxt = AllocSetContextCreate(cxt, "gtfs_fdw row attempt",
										   ALLOCSET_DEFAULT_SIZES);
	r->relname = pstrdup(relname);
	r->owner = pstrdup(owner);
	r->tupdesc = CreateTupleDescCopy(tupdesc);
	r->topts = topts;
	r->sopts = sopts;
	/* a feed may keep its files in a folder: "feed/stops.txt" is stops.txt */
	r->spec = GtfsSpecFindFile(slash ? slash + 1 : topts->file);

	whole_row = all_columns ||
		bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	r->columns = palloc0(sizeof(GtfsColumn) * tupdesc->natts);
	r->needed = palloc0(sizeof(GtfsColumn *) * tupdesc->natts);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		GtfsColumn *col = &r->columns[i];

		col->attnum = att->attnum;
		col->csv_index = -1;
		if (att->attisdropped || source_names[i] == NULL)
			continue;
		col->attname = pstrdup(NameStr(att->attname));
		col->source_name = pstrdup(source_names[i]);
		col->spec = GtfsSpecFindField(r->spec, col->source_name);
		GtfsColumnInit(col, att->atttypid, att->atttypmod);
		if (whole_row ||
			bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			r->needed[r->nneeded++] = col;
	}
	MemoryContextSwitchTo(oldcxt);
	return r;
}

/*
 * GtfsReaderCreate: a reader for the foreign table rel, converting the
 * attributes in attrs, or all of them.
 */
GtfsReader *
GtfsReaderCreate(Relation rel, Bitmapset *attrs, bool all_columns, Oid userid)
{
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	char	  **names = palloc0(sizeof(char *) * tupdesc->natts);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			names[i] = GtfsColumnSourceName(relid, att->attnum,
											NameStr(att->attname));
	}
	return ReaderCreate(GtfsGetSourceOptions(GetForeignTable(relid)->serverid, userid),
						GtfsGetTableOptions(relid), tupdesc,
						RelationGetRelationName(rel),
						psprintf("foreign table \"%s\"", RelationGetRelationName(rel)),
						names, attrs, all_columns);
}

/*
 * GtfsReaderCreateFor: a reader of one file of a source into rows of
 * tupdesc, for the loaders; attributes whose source name is NULL are left
 * for the caller to fill.
 */
GtfsReader *
GtfsReaderCreateFor(GtfsSourceOptions *sopts, GtfsTableOptions *topts,
					TupleDesc tupdesc, const char *relname, const char *owner,
					char **source_names)
{
	return ReaderCreate(sopts, topts, tupdesc, relname, owner, source_names,
						NULL, true);
}

/* "a.txt, b.txt, ..." for a detail message */
static char *
ListFiles(GtfsZip *zip)
{
	StringInfoData buf;
	int			n = GtfsZipMemberCount(zip);
	int			shown = 0;

	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
	{
		GtfsZipMember m;

		GtfsZipGetMember(zip, i, &m);
		if (m.is_dir)
			continue;
		if (shown == FILE_LIST_LIMIT)
		{
			appendStringInfoString(&buf, ", ...");
			break;
		}
		appendStringInfo(&buf, "%s%s", shown ? ", " : "", m.name);
		shown++;
	}
	return shown ? buf.data : pstrdup("no files at all");
}

static char *
HeaderList(GtfsReader *r)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < r->nheader; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", r->header[i]);
	return buf.data;
}

/* Read the header and find each column in it. */
static void
MapHeader(GtfsReader *r)
{
	GtfsCsvRecord *rec;
	MemoryContext oldcxt;

	r->line = -1;
	rec = GtfsCsvNext(r->csv);
	r->line = 1;
	oldcxt = MemoryContextSwitchTo(r->member_cxt);
	r->nheader = rec ? rec->nfields : 0;
	r->header = palloc0(sizeof(char *) * Max(r->nheader, 1));
	for (int i = 0; i < r->nheader; i++)
		r->header[i] = GtfsCsvHeaderName(r->csv, &rec->fields[i]);
	MemoryContextSwitchTo(oldcxt);

	for (int i = 0; i < r->tupdesc->natts; i++)
	{
		GtfsColumn *col = &r->columns[i];

		if (col->attname == NULL)
			continue;
		col->csv_index = -1;
		for (int j = 0; j < r->nheader; j++)
		{
			if (strcmp(r->header[j], col->source_name) == 0)
			{
				col->csv_index = j;
				break;
			}
		}
		if (col->csv_index >= 0 || r->nheader == 0)
			continue;

		if (col->spec && col->spec->presence == GTFS_PRESENCE_REQUIRED)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
					 errmsg("required column \"%s\" is missing from \"%s\"",
							col->source_name, r->member.name),
					 errdetail("The header of \"%s\" in the feed of server \"%s\" has: %s.",
							   r->member.name, r->sopts->server_name, HeaderList(r)),
					 errhint("The GTFS reference requires this column in every feed; the feed is invalid.")));
		if (col->spec == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
					 errmsg("column \"%s\" of foreign table \"%s\" is not in the header of \"%s\"",
							col->source_name, r->relname, r->member.name),
					 errdetail("The header of \"%s\" in the feed of server \"%s\" has: %s.",
							   r->member.name, r->sopts->server_name, HeaderList(r)),
					 errhint("Check the column name and its column_name option, or drop the column.")));
		/* an optional GTFS column the feed leaves out reads as NULL */
	}
}

/* Open the member and its CSV reader in the member context. */
static void
OpenMember(GtfsReader *r)
{
	MemoryContext oldcxt;
	GtfsZipStream *stream;

	if (!r->have_member)
		return;
	oldcxt = MemoryContextSwitchTo(r->member_cxt);
	stream = GtfsZipOpenStream(r->zip, &r->member);
	r->csv = GtfsCsvOpen(GtfsZipRead, stream, r->member.name);
	MemoryContextSwitchTo(oldcxt);
	MapHeader(r);
}

/*
 * GtfsReaderOpen: fetch (or revalidate) the source, find the file and read
 * its header.  Errors name the file and the server.
 */
void
GtfsReaderOpen(GtfsReader *r)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(r->cxt);

	r->source = GtfsSourceAcquire(r->sopts, GtfsCheckFeed);
	r->zip = GtfsZipOpen(r->source->data, r->source->len, r->source->label);
	r->have_member = GtfsZipFindMember(r->zip, r->topts->file, &r->member);
	if (!r->have_member && !r->topts->missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
				 errmsg("file \"%s\" not found in the feed of server \"%s\"",
						r->topts->file, r->sopts->server_name),
				 errdetail("The feed has: %s.", ListFiles(r->zip)),
				 errhint("Check the \"file\" option of foreign table \"%s\", or set missing_ok 'true' to read an absent file as empty.",
						 r->relname)));
	MemoryContextSwitchTo(oldcxt);

	r->errcb.callback = ReaderErrorContext;
	r->errcb.arg = r;
	r->errcb.previous = error_context_stack;
	error_context_stack = &r->errcb;
	OpenMember(r);
	error_context_stack = r->errcb.previous;
}

/* a value short enough for a message, and printable in any encoding */
static char *
ShortValue(const char *value)
{
	char	   *s = pnstrdup(value, 80);
	bool		valid = pg_verify_mbstr(PG_UTF8, s, strlen(s), true);

	for (char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || (!valid && (unsigned char) *p >= 0x80))
			*p = (unsigned char) *p < 0x20 ? ' ' : '?';
	return strlen(value) > 80 ? psprintf("%s...", s) : s;
}

static void
ReaderErrorContext(void *arg)
{
	GtfsReader *r = (GtfsReader *) arg;

	/* input functions of other types may not quote the value: add it */
	if (r->current && r->current->path == CONVERT_GENERIC)
		errcontext("line " INT64_FORMAT " of \"%s\", column \"%s\" of %s, value \"%s\"",
				   r->line, r->member.name, r->current->attname, r->owner,
				   ShortValue(r->current_value));
	else if (r->current)
		errcontext("line " INT64_FORMAT " of \"%s\", column \"%s\" of %s",
				   r->line, r->member.name, r->current->attname, r->owner);
	else if (r->line >= 0)
		errcontext("line " INT64_FORMAT " of \"%s\" of %s",
				   r->line, r->member.name, r->owner);
	else
		errcontext("reading \"%s\" of %s", r->member.name, r->owner);
}

static void
Reject(GtfsReader *r, GtfsColumn *col, const GtfsCsvField *field,
	   const GtfsConvertError *err)
{
	GtfsReject rej;

	r->rejected++;
	rej.line = r->line;
	rej.column = col->attname;
	rej.value = field->data;
	rej.sqlstate = err->sqlstate;
	rej.message = err->message;
	if (r->first_reject == NULL)
		r->first_reject = MemoryContextStrdup(r->cxt,
											  col->path == CONVERT_GENERIC ?
											  psprintf("line " INT64_FORMAT ", column \"%s\", value \"%s\": %s",
													   r->line, col->attname,
													   ShortValue(field->data), err->message) :
											  psprintf("line " INT64_FORMAT ", column \"%s\": %s",
													   r->line, col->attname, err->message));
	if (r->on_reject)
		r->on_reject(r->reject_arg, r, &rej);
}

/* A key column without a value: an error, or a rejected row (false). */
static bool
MissingKeyValue(GtfsReader *r, GtfsColumn *col, bool skip)
{
	GtfsConvertError err = {0};
	GtfsCsvField empty = {(char *) "", 0};

	r->current = col;
	r->current_value = "";
	err.sqlstate = ERRCODE_NOT_NULL_VIOLATION;
	err.message = psprintf("missing value in column \"%s\", part of the primary key",
						   col->source_name);
	if (!skip)
		ereport(ERROR,
				(errcode(err.sqlstate),
				 errmsg_internal("%s", err.message),
				 errdetail("The GTFS reference requires a value in every row of this column.")));
	Reject(r, col, &empty, &err);
	return false;
}

/* Copy a row's by-reference values out of the attempt context. */
static void
CopyNeededValues(GtfsReader *r, Datum *values, bool *nulls)
{
	for (int i = 0; i < r->nneeded; i++)
	{
		int			att = r->needed[i]->attnum - 1;
		Form_pg_attribute attr = TupleDescAttr(r->tupdesc, att);

		if (!nulls[att] && !attr->attbyval)
			values[att] = datumCopy(values[att], false, attr->attlen);
	}
}

/*
 * GtfsReaderNext: the next row's values (allocated in the current memory
 * context), or false at the end.  Columns not asked for come back NULL.
 * With on_error 'skip', each row is tried in a context of its own, so that
 * what the rejected rows before it allocated is freed, however many there
 * are before the next good one.
 */
bool
GtfsReaderNext(GtfsReader *r, Datum *values, bool *nulls)
{
	bool		skip = (r->topts->on_error == GTFS_ON_ERROR_SKIP);
	bool		found = false;
	MemoryContext caller_cxt = CurrentMemoryContext;

	if (r->csv == NULL)
		return false;

	r->errcb.previous = error_context_stack;
	error_context_stack = &r->errcb;

	for (;;)
	{
		GtfsCsvRecord *rec;
		bool		ok = true;

		CHECK_FOR_INTERRUPTS();
		r->current = NULL;
		r->line = -1;
		if (skip)
		{
			MemoryContextSwitchTo(caller_cxt);
			MemoryContextReset(r->attempt_cxt);
			MemoryContextSwitchTo(r->attempt_cxt);
		}
		rec = GtfsCsvNext(r->csv);
		if (rec == NULL)
			break;
		r->line = rec->line;

		memset(nulls, true, sizeof(bool) * r->tupdesc->natts);
		for (int i = 0; i < r->nneeded; i++)
		{
			GtfsColumn *col = r->needed[i];
			int			idx = col->csv_index;
			GtfsCsvField *f;
			GtfsConvertError err = {0};

			if (idx < 0 || idx >= rec->nfields || rec->fields[idx].len == 0)
			{
				/* empty means absent in GTFS, which a key column cannot be */
				if (col->not_null && !MissingKeyValue(r, col, skip))
				{
					ok = false;
					break;
				}
				continue;
			}
			f = &rec->fields[idx];
			r->current = col;
			r->current_value = f->data;
			if (GtfsConvert(col, f->data, f->len, &values[col->attnum - 1],
							skip ? &err : NULL))
				nulls[col->attnum - 1] = false;
			else
			{
				Reject(r, col, f, &err);
				ok = false;
				break;
			}
		}
		if (ok)
		{
			if (skip)
			{
				MemoryContextSwitchTo(caller_cxt);
				CopyNeededValues(r, values, nulls);
			}
			found = true;
			r->rows++;
			break;
		}
	}
	MemoryContextSwitchTo(caller_cxt);
	r->current = NULL;
	error_context_stack = r->errcb.previous;
	return found;
}

/* GtfsReaderRestart: read the file again from the top (same bytes). */
void
GtfsReaderRestart(GtfsReader *r)
{
	r->csv = NULL;
	MemoryContextReset(r->member_cxt);
	r->rows = 0;
	r->rejected = 0;
	r->first_reject = NULL;
	r->errcb.previous = error_context_stack;
	error_context_stack = &r->errcb;
	OpenMember(r);
	error_context_stack = r->errcb.previous;
}

/* GtfsReaderEnd: say how many rows were skipped, and release everything. */
void
GtfsReaderEnd(GtfsReader *r)
{
	/* a caller that takes the rejects reports them itself */
	if (r->rejected > 0 && r->on_reject == NULL)
		ereport(WARNING,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg_plural("skipped " INT64_FORMAT " row of \"%s\" with bad values in %s",
							   "skipped " INT64_FORMAT " rows of \"%s\" with bad values in %s",
							   r->rejected,
							   r->rejected, r->member.name, r->owner),
				 errdetail("The first: %s.", r->first_reject)));
	r->rejected = 0;
	MemoryContextDelete(r->cxt);
}

/*
 * GtfsReaderPeek: what is known about the table's file without network
 * traffic: the cached source and the member's sizes.  False if unknown.
 */
bool
GtfsReaderPeek(GtfsReader *r, GtfsSource **source, GtfsZipMember *member)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(r->cxt);
	GtfsSource *src = GtfsSourcePeek(r->sopts);
	bool		found = false;

	*source = src;
	if (src != NULL)
	{
		/*
		 * a cached file that is not a zip just gives no estimate; interrupts
		 * wait, so that the catch never swallows a cancel
		 */
		HOLD_INTERRUPTS();
		PG_TRY();
		{
			GtfsZip    *zip = GtfsZipOpen(src->data, src->len, src->label);

			found = GtfsZipFindMember(zip, r->topts->file, member);
			GtfsZipClose(zip);
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(r->cxt);
			FlushErrorState();
			found = false;
		}
		PG_END_TRY();
		RESUME_INTERRUPTS();
	}
	MemoryContextSwitchTo(oldcxt);
	return found;
}
