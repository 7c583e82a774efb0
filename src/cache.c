/*-------------------------------------------------------------------------
 * cache.c
 *		The download cache, and sources pinned for the transaction.
 *
 * A remote source lives in the cache directory as three files named by its
 * key (a hash of the URL and the credentials used):
 *
 *   <key>.meta               validators and facts, "name=value" lines
 *   <key>-<sha256>.data      the bytes the meta file points at
 *   <key>.lock               flock()ed while one backend refreshes the entry
 *
 * A refresh downloads into a temporary file, checks it (a GTFS zip must open),
 * renames it into place and then renames a new meta file over the old one:
 * that last rename is the commit.  A failed, truncated or oversized download
 * never touches the cached copy.
 *
 * Readers map the data file: it is only ever replaced by a rename, so a
 * mapping stays valid.  A local file (url '/path') is copied into memory
 * instead, since whoever owns it may rewrite it in place, and a mapping of a
 * file that shrinks kills the backend with SIGBUS when read past its new end.
 * The first scan of a server in a transaction
 * pins what it read; later scans in the same transaction reuse the pin, so
 * a transaction sees one version of a feed however many tables it reads.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "durable.h"
#include "source.h"
#include "subxact.h"

PG_FUNCTION_INFO_V1(gtfs_cache_entries);
PG_FUNCTION_INFO_V1(gtfs_cache_clear);

static char *gtfs_cache_dir = NULL;

/* Pins of the current transaction; the context is reset when it ends. */
static MemoryContext pin_cxt = NULL;
static List *pins = NIL;

typedef struct CacheMeta
{
	char	   *label;
	char	   *etag;
	char	   *last_modified;
	char	   *data_file;		/* name inside the cache directory */
	int64		size;
	char	   *sha256;
	pg_time_t	fetched_at;
	pg_time_t	validated_at;
} CacheMeta;

static void ReleasePins(XactEvent event, void *arg);

/* GtfsSourceInit: the cache directory setting and the end-of-xact hook. */
void
GtfsSourceInit(void)
{
	DefineCustomStringVariable("gtfs_fdw.cache_dir",
							   "Directory where downloaded feeds are cached.",
							   "A relative path is taken from the data directory.",
							   &gtfs_cache_dir,
							   "gtfs_fdw_cache",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
	RegisterXactCallback(ReleasePins, NULL);
}

const char *
GtfsFetchOutcomeName(GtfsFetchOutcome outcome)
{
	switch (outcome)
	{
		case GTFS_FETCH_LOCAL:
			return "local file";
		case GTFS_FETCH_DOWNLOADED:
			return "downloaded";
		case GTFS_FETCH_NOT_MODIFIED:
			return "not modified";
		case GTFS_FETCH_CACHE_FRESH:
			return "cached, within cache_ttl";
		case GTFS_FETCH_STALE:
			return "stale copy after a failed fetch";
		case GTFS_FETCH_PEEK:
			return "cached";
	}
	return "unknown";
}

/* Unmap everything pinned when the transaction ends, however it ends. */
static void
ReleasePins(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT &&
		event != XACT_EVENT_PARALLEL_ABORT && event != XACT_EVENT_PREPARE)
		return;

	foreach(lc, pins)
	{
		GtfsSource *src = (GtfsSource *) lfirst(lc);

		if (src->mapped)
			munmap((void *) src->data, src->len);
	}
	pins = NIL;
	if (pin_cxt)
		MemoryContextReset(pin_cxt);
}

static GtfsSource *
FindPin(const char *key, bool peek)
{
	ListCell   *lc;

	foreach(lc, pins)
	{
		GtfsSource *src = (GtfsSource *) lfirst(lc);

		if (strcmp(src->key, key) == 0 &&
			(src->outcome == GTFS_FETCH_PEEK) == peek)
			return src;
	}
	return NULL;
}

static const char *
CacheDir(void)
{
	const char *dir = gtfs_cache_dir;

	if (dir == NULL || dir[0] == '\0')
		dir = "gtfs_fdw_cache";
	if (MakePGDirectory(dir) < 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create cache directory \"%s\": %m", dir),
				 errhint("Check the setting \"gtfs_fdw.cache_dir\".")));
	return dir;
}

static char *
HexSha256(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	size_t		done = 0;

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialize SHA-256 context")));
	/* in slices, so a cancel is honoured while hashing a large file */
	while (done < len)
	{
		size_t		n = Min(len - done, (size_t) 8 * 1024 * 1024);

		if (pg_cryptohash_update(ctx, (const uint8 *) data + done, n) < 0)
			elog(ERROR, "could not update SHA-256 digest");
		done += n;
		CHECK_FOR_INTERRUPTS();
	}
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finish SHA-256 digest");
	pg_cryptohash_free(ctx);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

/* The cache key: who asks for what.  Credentials are part of it, so a
 * role never reads bytes that another role's key fetched. */
static char *
CacheKey(const GtfsSourceOptions *opts)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s\n%s\n%s\n%s\n%s\n", opts->url,
					 opts->api_key ? opts->api_key : "",
					 opts->api_key_param ? opts->api_key_param : "",
					 opts->username ? opts->username : "",
					 opts->password ? opts->password : "");
	foreach(lc, opts->headers)
		appendStringInfo(&buf, "%s\n", (char *) lfirst(lc));
	foreach(lc, opts->secret_headers)
		appendStringInfo(&buf, "%s\n", (char *) lfirst(lc));
	return pnstrdup(HexSha256(buf.data, buf.len), 32);
}

static char *
CachePath(const char *key, const char *suffix)
{
	return psprintf("%s/%s%s", CacheDir(), key, suffix);
}

/* Read <key>.meta; false when there is no usable entry. */
static bool
ReadMeta(const char *key, CacheMeta *meta)
{
	char	   *path = CachePath(key, ".meta");
	FILE	   *f = AllocateFile(path, "r");
	char		line[4096];
	struct stat st;

	memset(meta, 0, sizeof(*meta));
	meta->size = -1;
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *eq = strchr(line, '=');
		char	   *value;

		if (eq == NULL)
			continue;
		*eq = '\0';
		value = eq + 1;
		value[strcspn(value, "\r\n")] = '\0';
		if (strcmp(line, "label") == 0)
			meta->label = pstrdup(value);
		else if (strcmp(line, "etag") == 0 && value[0])
			meta->etag = pstrdup(value);
		else if (strcmp(line, "last_modified") == 0 && value[0])
			meta->last_modified = pstrdup(value);
		else if (strcmp(line, "data_file") == 0)
			meta->data_file = pstrdup(value);
		else if (strcmp(line, "size") == 0)
			meta->size = strtoll(value, NULL, 10);
		else if (strcmp(line, "sha256") == 0)
			meta->sha256 = pstrdup(value);
		else if (strcmp(line, "fetched_at") == 0)
			meta->fetched_at = (pg_time_t) strtoll(value, NULL, 10);
		else if (strcmp(line, "validated_at") == 0)
			meta->validated_at = (pg_time_t) strtoll(value, NULL, 10);
	}
	FreeFile(f);

	/* an entry whose data file is missing or of the wrong size is no entry */
	if (meta->data_file == NULL || meta->size < 0 ||
		strchr(meta->data_file, '/') != NULL)
		return false;
	path = psprintf("%s/%s", CacheDir(), meta->data_file);
	if (stat(path, &st) < 0 || st.st_size != meta->size)
		return false;
	return true;
}

/* Write <key>.meta through a temporary file and a rename: the commit. */
static void
WriteMeta(const char *key, const CacheMeta *meta)
{
	char	   *text = psprintf("label=%s\netag=%s\nlast_modified=%s\ndata_file=%s\n"
								"size=" INT64_FORMAT "\nsha256=%s\nfetched_at=" INT64_FORMAT
								"\nvalidated_at=" INT64_FORMAT "\n",
								meta->label, meta->etag ? meta->etag : "",
								meta->last_modified ? meta->last_modified : "",
								meta->data_file, meta->size, meta->sha256,
								(int64) meta->fetched_at, (int64) meta->validated_at);

	GtfsWriteFileDurably(CachePath(key, ".meta"), text, strlen(text));
}

/* Read a whole file into memory allocated in cxt; its length goes to *len. */
static char *
ReadWholeFile(int fd, size_t len, const char *label, MemoryContext cxt)
{
	char	   *buf = MemoryContextAllocHuge(cxt, len + 1);
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = read(fd, buf + done, Min(len - done, (size_t) 1 << 20));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", label)));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("file \"%s\" shrank while it was read", label),
					 errhint("Replace a feed file by renaming a new one over it, not by rewriting it in place.")));
		done += n;
		CHECK_FOR_INTERRUPTS();
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Open a file into a new pin of the transaction: mapped read-only, or with
 * copy, read into memory.  NULL with errno set if it cannot be opened.
 */
static GtfsSource *
PinFile(const char *path, const char *key, const char *label, bool copy)
{
	MemoryContext oldcxt;
	GtfsSource *src;
	struct stat st;
	int			fd;

	if (pin_cxt == NULL)
		pin_cxt = AllocSetContextCreate(TopMemoryContext,
										"gtfs_fdw pinned sources",
										ALLOCSET_SMALL_SIZES);

	fd = open(path, O_RDONLY | PG_BINARY, 0);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
	{
		int			save_errno = errno;

		close(fd);
		errno = save_errno;
		return NULL;
	}
	if (S_ISDIR(st.st_mode))
	{
		close(fd);
		errno = EISDIR;
		return NULL;
	}

	oldcxt = MemoryContextSwitchTo(pin_cxt);
	src = palloc0(sizeof(GtfsSource));
	src->key = pstrdup(key);
	src->label = pstrdup(label);
	src->len = (size_t) st.st_size;
	src->fetched_at = (pg_time_t) st.st_mtime;
	src->validated_at = src->fetched_at;
	src->data = "";
	MemoryContextSwitchTo(oldcxt);

	PG_TRY();
	{
		if (src->len > 0 && copy)
			src->data = ReadWholeFile(fd, src->len, label, pin_cxt);
		else if (src->len > 0)
		{
			void	   *p = mmap(NULL, src->len, PROT_READ, MAP_PRIVATE, fd, 0);

			if (p == MAP_FAILED)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not map file \"%s\": %m", label)));
			src->data = p;
			src->mapped = true;
		}
	}
	PG_FINALLY();
	{
		close(fd);				/* a mapping outlives its descriptor */
	}
	PG_END_TRY();

	oldcxt = MemoryContextSwitchTo(pin_cxt);
	pins = lappend(pins, src);
	MemoryContextSwitchTo(oldcxt);
	return src;
}

static void
CopyMetaIntoPin(GtfsSource *src, const CacheMeta *meta)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(pin_cxt);

	src->etag = meta->etag ? pstrdup(meta->etag) : NULL;
	src->last_modified = meta->last_modified ? pstrdup(meta->last_modified) : NULL;
	src->sha256 = meta->sha256 ? pstrdup(meta->sha256) : NULL;
	src->fetched_at = meta->fetched_at;
	src->validated_at = meta->validated_at;
	MemoryContextSwitchTo(oldcxt);
}

/* Map the cached data of an entry; another backend may replace the file
 * between reading the meta file and opening it, so try again once. */
static GtfsSource *
PinCachedEntry(const char *key, const char *label, CacheMeta *meta)
{
	for (int attempt = 0; attempt < 3; attempt++)
	{
		GtfsSource *src;

		if (attempt > 0 && !ReadMeta(key, meta))
			return NULL;
		src = PinFile(psprintf("%s/%s", CacheDir(), meta->data_file),
					  key, label, false);
		if (src != NULL)
		{
			CopyMetaIntoPin(src, meta);
			return src;
		}
	}
	return NULL;
}

/* Take the entry's lock, waiting as long as it takes but honouring cancel. */
static int
LockEntry(const char *key)
{
	char	   *path = CachePath(key, ".lock");
	int			fd = open(path, O_RDWR | O_CREAT | PG_BINARY, S_IRUSR | S_IWUSR);

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open lock file \"%s\": %m", path)));
	while (flock(fd, LOCK_EX | LOCK_NB) < 0)
	{
		if (errno != EWOULDBLOCK && errno != EINTR)
		{
			int			save_errno = errno;

			close(fd);
			errno = save_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not lock file \"%s\": %m", path)));
		}
		PG_TRY();
		{
			pg_usleep(20 * 1000L);
			CHECK_FOR_INTERRUPTS();
		}
		PG_CATCH();
		{
			close(fd);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return fd;
}

/* Run the kind's check over a downloaded file, mapped for the purpose. */
static void
CheckDownload(int fd, int64 bytes, GtfsSourceCheckFn check, const char *label)
{
	void	   *volatile p = (void *) "";

	if (bytes > 0)
	{
		p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not map the download of \"%s\": %m", label)));
	}
	PG_TRY();
	{
		check(p, bytes, label);
	}
	PG_FINALLY();
	{
		if (bytes > 0)
			munmap(p, bytes);
	}
	PG_END_TRY();
}

/*
 * Remove the downloads of this entry that a backend left behind when it
 * crashed.  Only the holder of the entry's lock downloads, so with the lock
 * held none of them is in progress.
 */
static void
RemoveStaleDownloads(const char *key)
{
	const char *dir = CacheDir();
	char	   *prefix = psprintf("%s.download.", key);
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;

	while ((de = ReadDir(d, dir)) != NULL)
	{
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			unlink(psprintf("%s/%s", dir, de->d_name));
	}
	FreeDir(d);
}

/* Download (conditionally) and commit a new cache entry; lock is held. */
static GtfsFetchOutcome
RefreshEntry(const GtfsSourceOptions *opts, const char *key, const char *label,
			 CacheMeta *meta, bool have_meta, GtfsSourceCheckFn check)
{
	char	   *tmp = CachePath(key, psprintf(".download.%d", MyProcPid));
	char	   *old_data = have_meta ? meta->data_file : NULL;
	volatile int fd;
	char	   *volatile new_data_path = NULL;	/* renamed into place, not yet committed */
	GtfsHttpResult res;
	GtfsFetchOutcome outcome;
	pg_time_t	now = (pg_time_t) time(NULL);

	RemoveStaleDownloads(key);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | PG_BINARY, S_IRUSR | S_IWUSR);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));

	PG_TRY();
	{
		GtfsHttpGet(opts, label,
					have_meta ? meta->etag : NULL,
					have_meta ? meta->last_modified : NULL,
					fd, &res);

		if (res.status == 304 && have_meta)
			outcome = GTFS_FETCH_NOT_MODIFIED;
		else if (res.status == 304)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("server for \"%s\" answered \"not modified\" to an unconditional request",
							label)));
		else if (have_meta && meta->sha256 && strcmp(meta->sha256, res.sha256) == 0)
			outcome = GTFS_FETCH_NOT_MODIFIED;	/* same bytes again */
		else
		{
			/* check the new bytes before they replace anything */
			if (check != NULL)
				CheckDownload(fd, res.bytes, check, label);
			outcome = GTFS_FETCH_DOWNLOADED;
		}
		close(fd);
		fd = -1;

		if (outcome == GTFS_FETCH_DOWNLOADED)
		{
			char	   *data_file = psprintf("%s-%.16s.data", key, res.sha256);
			char	   *data_path = psprintf("%s/%s", CacheDir(), data_file);

			/* durable_rename fsyncs the file and the directory */
			durable_rename(tmp, data_path, ERROR);
			if (old_data == NULL || strcmp(old_data, data_file) != 0)
				new_data_path = data_path;
			meta->label = pstrdup(label);
			meta->data_file = data_file;
			meta->size = res.bytes;
			meta->sha256 = pstrdup(res.sha256);
			meta->etag = res.etag;
			meta->last_modified = res.last_modified;
			meta->fetched_at = now;
			meta->validated_at = now;
			WriteMeta(key, meta);	/* the commit */
			new_data_path = NULL;
			if (old_data && strcmp(old_data, data_file) != 0)
				unlink(psprintf("%s/%s", CacheDir(), old_data));
		}
		else
		{
			unlink(tmp);
			/* keep the validators the server sent now, if it sent any */
			if (res.etag)
				meta->etag = res.etag;
			if (res.last_modified)
				meta->last_modified = res.last_modified;
			meta->validated_at = now;
			WriteMeta(key, meta);
		}
	}
	PG_CATCH();
	{
		/* nothing of a failed refresh stays: the old entry is untouched */
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		if (new_data_path != NULL)
			unlink(new_data_path);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return outcome;
}

typedef struct RefreshArgs
{
	const GtfsSourceOptions *opts;
	const char *key;
	CacheMeta  *meta;
	GtfsSourceCheckFn check;
	GtfsFetchOutcome outcome;
} RefreshArgs;

static void
RunRefresh(void *arg)
{
	RefreshArgs *a = (RefreshArgs *) arg;

	a->outcome = RefreshEntry(a->opts, a->key, a->opts->url, a->meta, true,
							  a->check);
}

/*
 * GtfsSourceAcquire: the bytes of a server's source for this transaction,
 * fetched or revalidated on the first call and pinned for the rest.
 */
GtfsSource *
GtfsSourceAcquire(const GtfsSourceOptions *opts, GtfsSourceCheckFn check)
{
	GtfsSource *src;
	CacheMeta	meta;
	bool		have_meta;
	GtfsFetchOutcome outcome;
	char	   *key;
	int			lockfd;

	if (opts->local_path)
	{
		key = psprintf("local:%s", opts->local_path);
		src = FindPin(key, false);
		if (src)
			return src;
		src = PinFile(opts->local_path, key, opts->local_path, true);
		if (src == NULL)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open GTFS feed \"%s\" of server \"%s\": %m",
							opts->local_path, opts->server_name)));
		src->outcome = GTFS_FETCH_LOCAL;
		return src;
	}

	key = CacheKey(opts);
	src = FindPin(key, false);
	if (src)
		return src;

	lockfd = LockEntry(key);
	PG_TRY();
	{
		have_meta = ReadMeta(key, &meta);
		if (have_meta && opts->cache_ttl_s > 0 &&
			(pg_time_t) time(NULL) - meta.validated_at < opts->cache_ttl_s)
			outcome = GTFS_FETCH_CACHE_FRESH;
		else if (!have_meta || !opts->stale_if_error)
			outcome = RefreshEntry(opts, key, opts->url, &meta, have_meta, check);
		else
		{
			/* stale_if_error: a failed fetch falls back to the cached copy */
			RefreshArgs args = {opts, key, &meta, check, GTFS_FETCH_STALE};
			ErrorData  *edata = GtfsTryInSubtransaction(RunRefresh, &args);

			outcome = args.outcome;
			if (edata != NULL)
			{
				ereport(WARNING,
						(errcode(edata->sqlerrcode),
						 errmsg("using the cached copy of \"%s\" for server \"%s\"",
								opts->url, opts->server_name),
						 errdetail("The fetch failed: %s.", edata->message)));
				outcome = GTFS_FETCH_STALE;
				(void) ReadMeta(key, &meta);
			}
		}
		src = PinCachedEntry(key, opts->url, &meta);
		if (src == NULL)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open the cached copy of \"%s\" for server \"%s\"",
							opts->url, opts->server_name)));
		src->outcome = outcome;
	}
	PG_FINALLY();
	{
		close(lockfd);
	}
	PG_END_TRY();
	return src;
}

/*
 * GtfsSourcePeek: what the cache holds for a server, without any network
 * traffic (for planning and EXPLAIN).  NULL when nothing is cached.
 */
GtfsSource *
GtfsSourcePeek(const GtfsSourceOptions *opts)
{
	GtfsSource *src;
	CacheMeta	meta;
	char	   *key;

	if (opts->local_path)
	{
		/* reading a local file costs no traffic: peek is acquire */
		key = psprintf("local:%s", opts->local_path);
		src = FindPin(key, false);
		if (src == NULL)
		{
			src = PinFile(opts->local_path, key, opts->local_path, true);
			if (src)
				src->outcome = GTFS_FETCH_LOCAL;
		}
		return src;
	}

	key = CacheKey(opts);
	src = FindPin(key, false);
	if (src == NULL)
		src = FindPin(key, true);
	if (src == NULL && ReadMeta(key, &meta))
	{
		src = PinCachedEntry(key, opts->url, &meta);
		if (src)
			src->outcome = GTFS_FETCH_PEEK;
	}
	return src;
}

/* The SHA-256 of the source's bytes, as hex; computed once. */
const char *
GtfsSourceSha256(GtfsSource *source)
{
	if (source->sha256 == NULL)
	{
		char	   *hex = HexSha256(source->data, source->len);

		source->sha256 = MemoryContextStrdup(pin_cxt, hex);
	}
	return source->sha256;
}

/*
 * gtfs_cache_entries: one row per cached download, for the view
 * gtfs_fdw.cache_entries.  URLs never hold secrets (the validator refuses
 * them), so they are shown as they are.
 */
Datum
gtfs_cache_entries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *dir;
	DIR		   *d;
	struct dirent *de;

	InitMaterializedSRF(fcinfo, 0);
	dir = CacheDir();
	d = AllocateDir(dir);
	while ((de = ReadDir(d, dir)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		char	   *key;
		CacheMeta	meta;
		Datum		values[9];
		bool		nulls[9] = {0};

		if (n < 6 || strcmp(de->d_name + n - 5, ".meta") != 0)
			continue;
		key = pnstrdup(de->d_name, n - 5);
		if (!ReadMeta(key, &meta))
			continue;
		values[0] = CStringGetTextDatum(key);
		values[1] = CStringGetTextDatum(meta.label ? meta.label : "");
		values[2] = Int64GetDatum(meta.size);
		values[3] = CStringGetTextDatum(meta.sha256 ? meta.sha256 : "");
		if (meta.etag)
			values[4] = CStringGetTextDatum(meta.etag);
		else
			nulls[4] = true;
		if (meta.last_modified)
			values[5] = CStringGetTextDatum(meta.last_modified);
		else
			nulls[5] = true;
		values[6] = TimestampTzGetDatum(time_t_to_timestamptz(meta.fetched_at));
		values[7] = TimestampTzGetDatum(time_t_to_timestamptz(meta.validated_at));
		values[8] = CStringGetTextDatum(psprintf("%s/%s", dir, meta.data_file));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	FreeDir(d);
	return (Datum) 0;
}

/* gtfs_cache_clear: delete every cached download; returns how many. */
Datum
gtfs_cache_clear(PG_FUNCTION_ARGS)
{
	const char *dir = CacheDir();
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;
	int64		removed = 0;

	while ((de = ReadDir(d, dir)) != NULL)
	{
		size_t		n = strlen(de->d_name);
		char	   *path;

		/* lock files stay: a backend may hold one right now */
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			(n > 5 && strcmp(de->d_name + n - 5, ".lock") == 0) ||
			strstr(de->d_name, ".download.") != NULL)
			continue;
		path = psprintf("%s/%s", dir, de->d_name);
		if (n > 5 && strcmp(de->d_name + n - 5, ".meta") == 0)
			removed++;
		if (unlink(path) < 0 && errno != ENOENT)
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("could not remove file \"%s\": %m", path)));
	}
	FreeDir(d);
	PG_RETURN_INT64(removed);
}
