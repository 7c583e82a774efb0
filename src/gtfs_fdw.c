/*-------------------------------------------------------------------------
 * gtfs_fdw.c
 *		The foreign data wrapper's handler and the module's start-up.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "archive.h"
#include "gtfs_fdw.h"
#include "load.h"
#include "source.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(gtfs_fdw_handler);

void		_PG_init(void);

/* _PG_init: settings and hooks of each part. */
void
_PG_init(void)
{
	GtfsSourceInit();
	GtfsArchiveInit();
	GtfsLoadInit();
	MarkGUCPrefixReserved("gtfs_fdw");
}

/* gtfs_fdw_handler: the FDW's callbacks. */
Datum
gtfs_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = gtfsGetForeignRelSize;
	routine->GetForeignPaths = gtfsGetForeignPaths;
	routine->GetForeignPlan = gtfsGetForeignPlan;
	routine->BeginForeignScan = gtfsBeginForeignScan;
	routine->IterateForeignScan = gtfsIterateForeignScan;
	routine->ReScanForeignScan = gtfsReScanForeignScan;
	routine->EndForeignScan = gtfsEndForeignScan;
	routine->ExplainForeignScan = gtfsExplainForeignScan;
	routine->AnalyzeForeignTable = gtfsAnalyzeForeignTable;
	routine->ImportForeignSchema = gtfsImportForeignSchema;
	PG_RETURN_POINTER(routine);
}
