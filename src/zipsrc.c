/*-------------------------------------------------------------------------
 * zipsrc.c
 *		Zip archives in memory, read member by member with libzip.
 *
 * Members are streamed: zip_fread inflates into the caller's buffer, so a
 * member of any size is read in constant memory.  libzip checks each
 * member's CRC when its end is reached, which catches corrupt data.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <zip.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "zipsrc.h"

struct GtfsZip
{
	zip_t	   *za;
	char	   *label;			/* source name for messages */
	MemoryContextCallback cleanup;
};

struct GtfsZipStream
{
	zip_file_t *zf;
	GtfsZip    *zip;
	char	   *name;
	MemoryContextCallback cleanup;
};

static void
ZipCleanup(void *arg)
{
	GtfsZipClose((GtfsZip *) arg);
}

static void
StreamCleanup(void *arg)
{
	GtfsZipCloseStream((GtfsZipStream *) arg);
}

static zip_t *
OpenArchive(const char *data, size_t len, int flags, const char *label)
{
	zip_error_t err;
	zip_source_t *zs;
	zip_t	   *za;

	zip_error_init(&err);
	zs = zip_source_buffer_create(data, len, 0, &err);
	if (zs == NULL)
	{
		zip_error_fini(&err);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not read zip archive \"%s\"", label)));
	}
	za = zip_open_from_source(zs, flags | ZIP_RDONLY, &err);
	if (za == NULL)
	{
		char	   *detail = pstrdup(zip_error_strerror(&err));

		zip_source_free(zs);
		zip_error_fini(&err);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("\"%s\" is not a readable zip archive", label),
				 errdetail("libzip: %s.", detail),
				 errhint("A GTFS feed is a zip file; check that the URL serves the feed itself, not a web page.")));
	}
	zip_error_fini(&err);
	return za;
}

/* GtfsZipOpen: open an archive over bytes that outlive the result. */
GtfsZip *
GtfsZipOpen(const char *data, size_t len, const char *label)
{
	GtfsZip    *zip = palloc0(sizeof(GtfsZip));

	zip->label = pstrdup(label);
	zip->za = OpenArchive(data, len, 0, label);
	zip->cleanup.func = ZipCleanup;
	zip->cleanup.arg = zip;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &zip->cleanup);
	return zip;
}

/* GtfsZipClose: release the archive; safe to call twice. */
void
GtfsZipClose(GtfsZip *zip)
{
	if (zip->za)
	{
		zip_discard(zip->za);
		zip->za = NULL;
	}
}

/* GtfsZipCheck: raise an error unless the bytes are a consistent archive. */
void
GtfsZipCheck(const char *data, size_t len, const char *label)
{
	zip_t	   *za = OpenArchive(data, len, ZIP_CHECKCONS, label);

	zip_discard(za);
}

int
GtfsZipMemberCount(GtfsZip *zip)
{
	zip_int64_t n = zip_get_num_entries(zip->za, 0);

	return n < 0 ? 0 : (int) Min(n, (zip_int64_t) PG_INT32_MAX);
}

/* Describe member number index (0-based). */
void
GtfsZipGetMember(GtfsZip *zip, int index, GtfsZipMember *member)
{
	zip_stat_t	st;
	const char *slash;

	zip_stat_init(&st);
	if (zip_stat_index(zip->za, index, 0, &st) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not read entry %d of zip archive \"%s\"",
						index, zip->label),
				 errdetail("libzip: %s.", zip_strerror(zip->za))));
	member->index = index;
	member->name = pstrdup((st.valid & ZIP_STAT_NAME) ? st.name : "");
	slash = strrchr(member->name, '/');
	member->base_name = slash ? slash + 1 : member->name;
	member->is_dir = member->base_name[0] == '\0';
	member->size = (st.valid & ZIP_STAT_SIZE) ? (int64) st.size : -1;
	member->compressed_size = (st.valid & ZIP_STAT_COMP_SIZE) ? (int64) st.comp_size : -1;
}

/*
 * GtfsZipFindMember: a member by name.  GTFS files belong at the root of the
 * archive, but feeds that put them in one folder are common, so a file found
 * only below a folder counts too.
 */
bool
GtfsZipFindMember(GtfsZip *zip, const char *name, GtfsZipMember *member)
{
	zip_int64_t idx = zip_name_locate(zip->za, name, 0);

	if (idx < 0)
		idx = zip_name_locate(zip->za, name, ZIP_FL_NODIR);
	if (idx < 0)
		return false;
	GtfsZipGetMember(zip, (int) idx, member);
	return true;
}

/* GtfsZipOpenStream: start inflating a member. */
GtfsZipStream *
GtfsZipOpenStream(GtfsZip *zip, const GtfsZipMember *member)
{
	GtfsZipStream *stream = palloc0(sizeof(GtfsZipStream));

	stream->zip = zip;
	stream->name = pstrdup(member->name);
	stream->zf = zip_fopen_index(zip->za, member->index, 0);
	if (stream->zf == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not open \"%s\" in zip archive \"%s\"",
						member->name, zip->label),
				 errdetail("libzip: %s.", zip_strerror(zip->za))));
	stream->cleanup.func = StreamCleanup;
	stream->cleanup.arg = stream;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &stream->cleanup);
	return stream;
}

/* GtfsZipRead: up to len inflated bytes; 0 at the end of the member. */
ssize_t
GtfsZipRead(void *arg, char *buf, size_t len)
{
	GtfsZipStream *stream = (GtfsZipStream *) arg;
	zip_int64_t n;

	CHECK_FOR_INTERRUPTS();
	n = zip_fread(stream->zf, buf, len);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not read \"%s\" in zip archive \"%s\"",
						stream->name, stream->zip->label),
				 errdetail("libzip: %s.", zip_file_strerror(stream->zf))));
	return (ssize_t) n;
}

/* GtfsZipCloseStream: safe to call twice. */
void
GtfsZipCloseStream(GtfsZipStream *stream)
{
	if (stream->zf)
	{
		zip_fclose(stream->zf);
		stream->zf = NULL;
	}
}
