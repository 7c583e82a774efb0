/*-------------------------------------------------------------------------
 * archive.h
 *		Archived feed versions (gtfs_fdw.feed_versions and their files).
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_ARCHIVE_H
#define GTFS_ARCHIVE_H

extern void GtfsArchiveInit(void);

#endif							/* GTFS_ARCHIVE_H */
