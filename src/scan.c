/*-------------------------------------------------------------------------
 * scan.c
 *		Planning, scanning, EXPLAIN and ANALYZE of gtfs_fdw foreign tables.
 *
 * Planning never touches the network: estimates come from ANALYZE, else the
 * table's rows option, else the size of the file in a feed already cached
 * (or local), else a constant.  The scan fetches at most once per
 * transaction and converts only the columns the query uses.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "commands/explain.h"
#include "commands/vacuum.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "gtfs_fdw.h"
#include "reader.h"

#define DEFAULT_ROWS		1000.0
#define SAMPLE_BYTES		8192	/* read to learn the average line length */

/* What planning learned about a table, kept in baserel->fdw_private. */
typedef struct GtfsPlanInfo
{
	Bitmapset  *attrs_used;
	double		member_bytes;	/* uncompressed size, or -1 */
} GtfsPlanInfo;

/* Per-scan state. */
typedef struct GtfsScanState
{
	GtfsReader *reader;
	MemoryContext row_cxt;		/* reset for every row */
} GtfsScanState;

/* The attributes a scan must produce: target list and quals. */
static Bitmapset *
AttrsUsed(RelOptInfo *baserel)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = (RestrictInfo *) lfirst(lc);

		pull_varattnos((Node *) rinfo->clause, baserel->relid, &attrs);
	}
	return attrs;
}

/*
 * Bytes per line of the file, from its first few kilobytes: cheap, since
 * only a little of the member is inflated.  A damaged file just gives no
 * estimate (the scan reports it); interrupts wait, so that the catch below
 * never swallows a cancel.
 */
static double
AverageLineBytes(GtfsSource *src, const GtfsZipMember *member)
{
	volatile double result = -1;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "gtfs_fdw estimate",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);

	HOLD_INTERRUPTS();
	PG_TRY();
	{
		GtfsZip    *zip = GtfsZipOpen(src->data, src->len, src->label);
		GtfsZipStream *stream = GtfsZipOpenStream(zip, member);
		char	   *buf = palloc(SAMPLE_BYTES);
		ssize_t		n = 0;
		ssize_t		got;
		int			lines = 0;

		while (n < SAMPLE_BYTES &&
			   (got = GtfsZipRead(stream, buf + n, SAMPLE_BYTES - n)) > 0)
			n += got;
		for (ssize_t i = 0; i < n; i++)
			lines += (buf[i] == '\n');
		if (lines > 1)
			result = (double) n / lines;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		result = -1;
	}
	PG_END_TRY();
	RESUME_INTERRUPTS();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return result;
}

/* gtfsGetForeignRelSize: estimate the rows a scan returns. */
void
gtfsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					  Oid foreigntableid)
{
	GtfsPlanInfo *info = palloc0(sizeof(GtfsPlanInfo));
	GtfsTableOptions *topts = GtfsGetTableOptions(foreigntableid);
	double		tuples = -1;

	info->attrs_used = AttrsUsed(baserel);
	info->member_bytes = -1;
	baserel->fdw_private = info;

	/* the file's size is useful to costing even when ANALYZE ran */
	{
		Relation	rel = table_open(foreigntableid, NoLock);
		GtfsReader *reader = GtfsReaderCreate(rel, info->attrs_used, false, GetUserId());
		GtfsSource *src;
		GtfsZipMember member;

		table_close(rel, NoLock);
		if (GtfsReaderPeek(reader, &src, &member))
		{
			info->member_bytes = member.size;
			if (baserel->tuples < 0 && topts->rows < 0 && member.size > 0)
			{
				double		per_line = AverageLineBytes(src, &member);

				if (per_line > 0)
					tuples = Max(member.size / per_line - 1, 0);
			}
		}
		MemoryContextDelete(reader->cxt);
	}

	if (baserel->tuples >= 0)
		tuples = baserel->tuples;	/* from ANALYZE */
	else if (topts->rows >= 0)
		tuples = topts->rows;
	else if (tuples < 0)
		tuples = DEFAULT_ROWS;

	baserel->tuples = tuples;
	baserel->rows = clamp_row_est(tuples *
								  clauselist_selectivity(root,
														 baserel->baserestrictinfo,
														 0, JOIN_INNER, NULL));
}

/* gtfsGetForeignPaths: one path, a full read of the file. */
void
gtfsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
					Oid foreigntableid)
{
	GtfsPlanInfo *info = (GtfsPlanInfo *) baserel->fdw_private;
	double		bytes = info->member_bytes > 0 ? info->member_bytes :
		baserel->tuples * 64;
	Cost		startup_cost = 10;
	Cost		run_cost;
	int			ncols = bms_num_members(info->attrs_used);

	/* inflating and parsing costs about a page read per 8 kB */
	run_cost = seq_page_cost * (bytes / BLCKSZ) +
		cpu_tuple_cost * baserel->tuples +
		cpu_operator_cost * ncols * baserel->tuples;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL,
									 baserel->rows,
									 startup_cost,
									 startup_cost + run_cost,
									 NIL, NULL, NULL, NIL));
}

/* gtfsGetForeignPlan: a plain scan; every qual is checked locally. */
ForeignScan *
gtfsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
				   Oid foreigntableid, ForeignPath *best_path,
				   List *tlist, List *scan_clauses, Plan *outer_plan)
{
	GtfsPlanInfo *info = (GtfsPlanInfo *) baserel->fdw_private;
	List	   *attnums = NIL;
	int			x = -1;

	/* Bitmapsets are not nodes in PostgreSQL 15: pass a list of numbers */
	while ((x = bms_next_member(info->attrs_used, x)) >= 0)
		attnums = lappend_int(attnums, x);

	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid,
							NIL, list_make1(attnums), NIL, NIL, outer_plan);
}

static Bitmapset *
PlanAttrs(ForeignScan *plan)
{
	Bitmapset  *attrs = NULL;
	ListCell   *lc;

	foreach(lc, (List *) linitial(plan->fdw_private))
		attrs = bms_add_member(attrs, lfirst_int(lc));
	return attrs;
}

static Oid
ScanUserId(ForeignScanState *node)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	RangeTblEntry *rte = exec_rt_fetch(plan->scan.scanrelid, estate);

	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

/* gtfsBeginForeignScan: fetch the feed and open the table's file. */
void
gtfsBeginForeignScan(ForeignScanState *node, int eflags)
{
	GtfsScanState *state;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	state = palloc0(sizeof(GtfsScanState));
	state->reader = GtfsReaderCreate(node->ss.ss_currentRelation,
									 PlanAttrs((ForeignScan *) node->ss.ps.plan),
									 false, ScanUserId(node));
	state->row_cxt = AllocSetContextCreate(node->ss.ps.state->es_query_cxt,
										   "gtfs_fdw row",
										   ALLOCSET_DEFAULT_SIZES);
	node->fdw_state = state;
	GtfsReaderOpen(state->reader);
}

/* gtfsIterateForeignScan: the next row, or an empty slot at the end. */
TupleTableSlot *
gtfsIterateForeignScan(ForeignScanState *node)
{
	GtfsScanState *state = (GtfsScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext oldcxt;
	bool		found;

	ExecClearTuple(slot);
	MemoryContextReset(state->row_cxt);
	oldcxt = MemoryContextSwitchTo(state->row_cxt);
	found = GtfsReaderNext(state->reader, slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(oldcxt);
	if (found)
		ExecStoreVirtualTuple(slot);
	return slot;
}

/* gtfsReScanForeignScan: start over on the bytes already fetched. */
void
gtfsReScanForeignScan(ForeignScanState *node)
{
	GtfsScanState *state = (GtfsScanState *) node->fdw_state;

	GtfsReaderRestart(state->reader);
}

/* gtfsEndForeignScan: report skipped rows and release the file. */
void
gtfsEndForeignScan(ForeignScanState *node)
{
	GtfsScanState *state = (GtfsScanState *) node->fdw_state;

	if (state == NULL)
		return;
	GtfsReaderEnd(state->reader);
	MemoryContextDelete(state->row_cxt);
	node->fdw_state = NULL;
}

/* gtfsExplainForeignScan: the source, the file, and what was fetched. */
void
gtfsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	GtfsScanState *state = (GtfsScanState *) node->fdw_state;
	Relation	rel = node->ss.ss_currentRelation;
	GtfsReader *reader;
	GtfsSource *src = NULL;
	GtfsZipMember member;
	bool		have_member;

	reader = state ? state->reader :
		GtfsReaderCreate(rel, PlanAttrs((ForeignScan *) node->ss.ps.plan),
						 false, GetUserId());

	ExplainPropertyText("GTFS Server", reader->sopts->server_name, es);
	ExplainPropertyText("GTFS Source", reader->sopts->url, es);
	ExplainPropertyText("GTFS File", reader->topts->file, es);

	if (state && state->reader->source)
	{
		src = state->reader->source;
		have_member = state->reader->have_member;
		member = state->reader->member;
	}
	else
		have_member = GtfsReaderPeek(reader, &src, &member);

	if (es->costs && have_member)
		ExplainPropertyText("GTFS File Size",
							psprintf(INT64_FORMAT " bytes (" INT64_FORMAT " compressed)",
									 member.size, member.compressed_size), es);

	if (es->verbose)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (int i = 0; i < reader->nneeded; i++)
			appendStringInfo(&cols, "%s%s", i ? ", " : "",
							 reader->needed[i]->attname);
		ExplainPropertyText("GTFS Columns Converted",
							reader->nneeded ? cols.data : "none", es);
		if (src == NULL)
			ExplainPropertyText("GTFS Cache", "not cached", es);
		else if (src->outcome == GTFS_FETCH_LOCAL)
			ExplainPropertyText("GTFS Cache", "local file, read in place", es);
		else
			ExplainPropertyText("GTFS Cache",
								psprintf("%s, %s%s%s",
										 GtfsFetchOutcomeName(src->outcome),
										 src->etag ? "ETag " : "no ETag",
										 src->etag ? src->etag : "",
										 src->last_modified ? ", Last-Modified set" : ""),
								es);
	}
	if (es->analyze && state && state->reader->source)
	{
		ExplainPropertyText("GTFS Fetch",
							GtfsFetchOutcomeName(state->reader->source->outcome), es);
		if (state->reader->rejected > 0)
			ExplainPropertyInteger("GTFS Rows Skipped", NULL,
								   state->reader->rejected, es);
	}
	if (state == NULL)
		MemoryContextDelete(reader->cxt);
}

/* Reservoir-sample the whole file, as file_fdw does. */
static int
GtfsAcquireSampleRows(Relation rel, int elevel, HeapTuple *rows, int targrows,
					  double *totalrows, double *totaldeadrows)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values = palloc(tupdesc->natts * sizeof(Datum));
	bool	   *nulls = palloc(tupdesc->natts * sizeof(bool));
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "gtfs_fdw analyze row",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = CurrentMemoryContext;
	GtfsReader *reader = GtfsReaderCreate(rel, NULL, true, GetUserId());
	ReservoirStateData rstate;
	double		rowstoskip = -1;
	int			numrows = 0;

	*totalrows = 0;
	*totaldeadrows = 0;
	reservoir_init_selection_state(&rstate, targrows);
	GtfsReaderOpen(reader);

	for (;;)
	{
		bool		found;

		vacuum_delay_point();
		MemoryContextReset(row_cxt);
		MemoryContextSwitchTo(row_cxt);
		found = GtfsReaderNext(reader, values, nulls);
		MemoryContextSwitchTo(oldcxt);
		if (!found)
			break;

		if (numrows < targrows)
			rows[numrows++] = heap_form_tuple(tupdesc, values, nulls);
		else
		{
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, *totalrows, targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows * sampler_random_fract(&rstate.randstate));

				heap_freetuple(rows[k]);
				rows[k] = heap_form_tuple(tupdesc, values, nulls);
			}
			rowstoskip -= 1;
		}
		*totalrows += 1;
	}
	GtfsReaderEnd(reader);
	MemoryContextDelete(row_cxt);

	ereport(elevel,
			(errmsg("\"%s\": file contains %.0f rows; %d rows in sample",
					RelationGetRelationName(rel), *totalrows, numrows)));
	return numrows;
}

/* gtfsAnalyzeForeignTable: sample rows by reading the whole file. */
bool
gtfsAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
						BlockNumber *totalpages)
{
	GtfsReader *reader = GtfsReaderCreate(relation, NULL, true, GetUserId());
	GtfsSource *src;
	GtfsZipMember member;

	*func = GtfsAcquireSampleRows;
	*totalpages = 1;
	if (GtfsReaderPeek(reader, &src, &member) && member.size > 0)
		*totalpages = (BlockNumber) Max(1, member.size / BLCKSZ);
	MemoryContextDelete(reader->cxt);
	return true;
}
