/*-------------------------------------------------------------------------
 * gtfs_fdw.h
 *		The foreign data wrapper's callbacks, shared between its files.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_FDW_H
#define GTFS_FDW_H

#include "commands/explain.h"
#include "commands/vacuum.h"
#include "foreign/fdwapi.h"
#include "nodes/pathnodes.h"

/* scan.c */
extern void gtfsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								  Oid foreigntableid);
extern void gtfsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
								Oid foreigntableid);
extern ForeignScan *gtfsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									   Oid foreigntableid, ForeignPath *best_path,
									   List *tlist, List *scan_clauses,
									   Plan *outer_plan);
extern void gtfsBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *gtfsIterateForeignScan(ForeignScanState *node);
extern void gtfsReScanForeignScan(ForeignScanState *node);
extern void gtfsEndForeignScan(ForeignScanState *node);
extern void gtfsExplainForeignScan(ForeignScanState *node, ExplainState *es);
extern bool gtfsAnalyzeForeignTable(Relation relation,
									AcquireSampleRowsFunc *func,
									BlockNumber *totalpages);

/* import.c */
extern List *gtfsImportForeignSchema(ImportForeignSchemaStmt *stmt,
									 Oid serverOid);

#endif							/* GTFS_FDW_H */
