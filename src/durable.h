/*-------------------------------------------------------------------------
 * durable.h
 *		Write a file whole or not at all.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_DURABLE_H
#define GTFS_DURABLE_H

extern void GtfsWriteFileDurably(const char *path, const char *data, size_t len);

#endif							/* GTFS_DURABLE_H */
