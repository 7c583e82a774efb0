/*-------------------------------------------------------------------------
 * subxact.h
 *		Run a function and catch its error, inside a subtransaction.
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_SUBXACT_H
#define GTFS_SUBXACT_H

typedef void (*GtfsTryFn) (void *arg);

extern ErrorData *GtfsTryInSubtransaction(GtfsTryFn fn, void *arg);

#endif							/* GTFS_SUBXACT_H */
