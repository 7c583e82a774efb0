/*-------------------------------------------------------------------------
 * load.h
 *		Materializing feeds into staging schemas.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_LOAD_H
#define GTFS_LOAD_H

extern void GtfsLoadInit(void);

#endif							/* GTFS_LOAD_H */
