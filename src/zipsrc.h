/*-------------------------------------------------------------------------
 * zipsrc.h
 *		Reading members of a zip archive held in memory (wraps libzip).
 *-------------------------------------------------------------------------
 */
#ifndef GTFS_ZIPSRC_H
#define GTFS_ZIPSRC_H

typedef struct GtfsZip GtfsZip;
typedef struct GtfsZipStream GtfsZipStream;

typedef struct GtfsZipMember
{
	int64		index;
	const char *name;			/* full name inside the archive */
	const char *base_name;		/* without any directory part */
	int64		size;			/* uncompressed */
	int64		compressed_size;
	bool		is_dir;
} GtfsZipMember;

/*
 * Archives and streams close themselves when the memory context they were
 * opened in is reset or deleted, so an error anywhere releases them.
 */
extern GtfsZip *GtfsZipOpen(const char *data, size_t len, const char *label);
extern void GtfsZipClose(GtfsZip *zip);
extern int	GtfsZipMemberCount(GtfsZip *zip);
extern void GtfsZipGetMember(GtfsZip *zip, int index, GtfsZipMember *member);
extern bool GtfsZipFindMember(GtfsZip *zip, const char *name,
							  GtfsZipMember *member);
extern GtfsZipStream *GtfsZipOpenStream(GtfsZip *zip,
										const GtfsZipMember *member);
extern ssize_t GtfsZipRead(void *stream, char *buf, size_t len);
extern void GtfsZipCloseStream(GtfsZipStream *stream);
extern void GtfsZipCheck(const char *data, size_t len, const char *label);

#endif							/* GTFS_ZIPSRC_H */
