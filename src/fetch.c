/*-------------------------------------------------------------------------
 * fetch.c
 *		One conditional HTTP GET with libcurl, into a file.
 *
 * Bounded (timeout_ms, max_bytes, max_redirects), cancellable (the progress
 * callback stops the transfer when a cancel or statement_timeout is pending)
 * and careful with secrets: they go only to the origin the server option
 * names, never to a host a redirect points at, and never into a message.
 * No ereport happens inside a libcurl callback: callbacks set a flag and
 * return, and the error is raised once libcurl has unwound.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include <curl/curl.h>

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "source.h"

#define GTFS_USER_AGENT "gtfs_fdw/0.1.0 (PostgreSQL foreign data wrapper)"

/* An error response is kept only this far: enough for the excerpt. */
#define ERROR_BODY_KEEP 8192

/* What the write callback saw; read after curl_easy_perform returns. */
typedef struct TransferState
{
	CURL	   *curl;
	int			fd;
	int64		max_bytes;
	TimestampTz deadline;		/* timeout_ms from the first request on */
	int64		bytes;
	bool		too_big;
	int			body_status;	/* 0 until the first body bytes, then 1 for
								 * a 200, -1 for anything else */
	int			write_errno;	/* errno of a failed write(), or 0 */
	pg_cryptohash_ctx *sha;
} TransferState;

static bool curl_initialized = false;

/* GtfsHttpInit: set libcurl up once per backend. */
void
GtfsHttpInit(void)
{
	if (curl_initialized)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialize libcurl")));
	curl_initialized = true;
}

static size_t
WriteBody(char *ptr, size_t size, size_t nmemb, void *arg)
{
	TransferState *ts = (TransferState *) arg;
	size_t		n = size * nmemb;
	size_t		done = 0;

	if (ts->body_status == 0)
	{
		long		status = 0;

		curl_easy_getinfo(ts->curl, CURLINFO_RESPONSE_CODE, &status);
		ts->body_status = (status == 200) ? 1 : -1;
	}
	if (ts->body_status < 0)
	{
		/* an error page or a redirect's body: keep only its beginning */
		if (ts->bytes >= ERROR_BODY_KEEP)
			return n;
		n = Min(n, (size_t) (ERROR_BODY_KEEP - ts->bytes));
	}
	if (ts->bytes + (int64) n > ts->max_bytes)
	{
		ts->too_big = true;
		return 0;				/* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	while (done < n)
	{
		ssize_t		w = write(ts->fd, ptr + done, n - done);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			ts->write_errno = errno;
			return 0;
		}
		done += w;
	}
	if (pg_cryptohash_update(ts->sha, (const uint8 *) ptr, n) < 0)
	{
		ts->write_errno = ENOMEM;
		return 0;
	}
	ts->bytes += n;
	return size * nmemb;
}

/* Stop the transfer when the backend was asked to cancel or die. */
static int
TransferProgress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
				 curl_off_t ultotal, curl_off_t ulnow)
{
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}

/* scheme://host:port of a URL, lower-cased, to compare origins */
static char *
UrlOrigin(const char *url)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL,
			   *host = NULL,
			   *port = NULL;
	char	   *result = NULL;

	if (u != NULL &&
		curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
	{
		result = psprintf("%s://%s:%s", scheme, host, port);
		for (char *p = result; *p; p++)
			*p = pg_ascii_tolower(*p);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	if (u)
		curl_url_cleanup(u);
	return result;
}

/* The configured URL with the api_key appended as a query parameter. */
static char *
RequestUrl(const GtfsSourceOptions *opts)
{
	char	   *escaped;
	char	   *url;

	if (opts->api_key == NULL || opts->api_key_param == NULL)
		return pstrdup(opts->url);
	escaped = curl_easy_escape(NULL, opts->api_key, 0);
	url = psprintf("%s%c%s=%s", opts->url,
				   strchr(opts->url, '?') ? '&' : '?',
				   opts->api_key_param, escaped);
	curl_free(escaped);
	return url;
}

static struct curl_slist *
AppendHeader(struct curl_slist *list, const char *header)
{
	struct curl_slist *n = curl_slist_append(list, header);

	if (n == NULL)
	{
		curl_slist_free_all(list);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	return n;
}

/* Request headers; secrets only when talking to the configured origin. */
static pg_noinline struct curl_slist *
BuildHeaders(const GtfsSourceOptions *opts, bool with_secrets,
			 const char *etag, const char *last_modified)
{
	struct curl_slist *list = NULL;
	ListCell   *lc;

	foreach(lc, opts->headers)
		list = AppendHeader(list, lfirst(lc));
	if (with_secrets)
	{
		foreach(lc, opts->secret_headers)
			list = AppendHeader(list, lfirst(lc));
		if (opts->api_key && opts->api_key_header)
			list = AppendHeader(list, psprintf("%s: %s", opts->api_key_header,
											   opts->api_key));
	}
	if (etag)
		list = AppendHeader(list, psprintf("If-None-Match: %s", etag));
	if (last_modified)
		list = AppendHeader(list, psprintf("If-Modified-Since: %s", last_modified));
	return list;
}

/* The value of a response header of the last response, or NULL. */
static char *
ResponseHeader(CURL *curl, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	if (h->value == NULL || h->value[0] == '\0' || strpbrk(h->value, "\r\n"))
		return NULL;
	return pstrdup(h->value);
}

/*
 * A short, printable excerpt of an error response body, for errdetail.
 * Secrets are blanked before shortening, so none is left half-cut.
 */
static char *
BodyExcerpt(const GtfsSourceOptions *opts, int fd, int64 bytes)
{
	char		buf[4097];
	ssize_t		n;
	char	   *text;

	if (bytes <= 0 || lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* redact the bytes as received: a secret must match before cleanup */
	text = GtfsRedact(opts, buf);
	for (char *c = text; *c; c++)
	{
		if ((unsigned char) *c < 0x20 || *c == 0x7f)
			*c = ' ';
		else if ((unsigned char) *c >= 0x80)
			*c = '?';			/* keep the excerpt valid in any encoding */
	}
	if (strlen(text) > 320)
		text = psprintf("%.320s...", text);
	return text;
}

static void ReportTimeout(const GtfsSourceOptions *opts, const char *label) pg_attribute_noreturn();

static void
ReportTimeout(const GtfsSourceOptions *opts, const char *label)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not download \"%s\" for server \"%s\"",
					label, opts->server_name),
			 errdetail("The download, redirects included, took longer than %d ms.",
					   opts->timeout_ms),
			 errhint("Raise the \"timeout_ms\" option of the server.")));
}

/* What is left of timeout_ms, in ms; a timeout error when nothing is. */
static long
RemainingMs(const GtfsSourceOptions *opts, const char *label, TransferState *ts)
{
	long		secs;
	int			usecs;

	TimestampDifference(GetCurrentTimestamp(), ts->deadline, &secs, &usecs);
	if (secs == 0 && usecs < 1000)
		ReportTimeout(opts, label);
	return secs * 1000 + usecs / 1000;
}

static void
ReportCurlFailure(const GtfsSourceOptions *opts, const char *label,
				  CURLcode rc, const char *errbuf, TransferState *ts,
				  curl_off_t content_length)
{
	const char *detail = GtfsRedact(opts, errbuf[0] ? errbuf : curl_easy_strerror(rc));

	if (rc == CURLE_ABORTED_BY_CALLBACK)
	{
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("download of \"%s\" for server \"%s\" was canceled",
						label, opts->server_name)));
	}
	if (ts->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("download of \"%s\" for server \"%s\" exceeds the limit of " INT64_FORMAT " bytes",
						label, opts->server_name, opts->max_bytes),
				 errhint("Raise the \"max_bytes\" option of the server.")));
	if (ts->write_errno != 0)
	{
		errno = ts->write_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write download of \"%s\" for server \"%s\" to the cache: %m",
						label, opts->server_name)));
	}
	if (rc == CURLE_OPERATION_TIMEDOUT)
		ReportTimeout(opts, label);
	if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("download of \"%s\" for server \"%s\" was cut short",
						label, opts->server_name),
				 content_length > 0 ?
				 errdetail("Received " INT64_FORMAT " of " INT64_FORMAT " bytes (%s).",
						   ts->bytes, (int64) content_length, detail) :
				 errdetail("Received " INT64_FORMAT " bytes (%s).", ts->bytes, detail),
				 errhint("The cached copy, if any, was kept. Try again later.")));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not download \"%s\" for server \"%s\"",
					label, opts->server_name),
			 errdetail("%s", detail)));
}

static void
SetOpt(CURL *curl, CURLoption option, CURLcode rc)
{
	if (rc != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set libcurl option %d", (int) option),
				 errdetail("%s", curl_easy_strerror(rc))));
}

#define SET(curl, opt, val) SetOpt((curl), (opt), curl_easy_setopt((curl), (opt), (val)))

/*
 * Perform one request (no redirect following) for url into ts->fd.  Returns
 * the HTTP status; libcurl failures are reported here.
 */
static long
PerformOnce(CURL *curl, const GtfsSourceOptions *opts, const char *label,
			const char *url, bool same_origin, const char *etag,
			const char *last_modified, TransferState *ts)
{
	char		errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers;
	CURLcode	rc;
	long		status = 0;
	curl_off_t	content_length = -1;
	long		remaining_ms = RemainingMs(opts, label, ts);

	/* a redirect's body was written already: start the file over */
	if (ftruncate(ts->fd, 0) < 0 || lseek(ts->fd, 0, SEEK_SET) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not reset cache file for \"%s\": %m", label)));
	ts->bytes = 0;
	ts->too_big = false;
	ts->body_status = 0;
	ts->write_errno = 0;
	if (ts->sha)
		pg_cryptohash_free(ts->sha);
	ts->sha = pg_cryptohash_create(PG_SHA256);
	if (ts->sha == NULL || pg_cryptohash_init(ts->sha) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialize SHA-256 context")));

	headers = BuildHeaders(opts, same_origin, etag, last_modified);

	curl_easy_reset(curl);
	PG_TRY();
	{
		SET(curl, CURLOPT_URL, url);
		SET(curl, CURLOPT_ERRORBUFFER, errbuf);
		SET(curl, CURLOPT_NOSIGNAL, 1L);
		SET(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		SET(curl, CURLOPT_FOLLOWLOCATION, 0L);
		SET(curl, CURLOPT_TIMEOUT_MS, remaining_ms);
		SET(curl, CURLOPT_CONNECTTIMEOUT_MS, Min(remaining_ms, (long) opts->connect_timeout_ms));
		SET(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) opts->max_bytes);
		SET(curl, CURLOPT_USERAGENT, GTFS_USER_AGENT);
		SET(curl, CURLOPT_ACCEPT_ENCODING, "");
		SET(curl, CURLOPT_HTTPHEADER, headers);
		SET(curl, CURLOPT_WRITEFUNCTION, WriteBody);
		SET(curl, CURLOPT_WRITEDATA, ts);
		SET(curl, CURLOPT_NOPROGRESS, 0L);
		SET(curl, CURLOPT_XFERINFOFUNCTION, TransferProgress);
		SET(curl, CURLOPT_XFERINFODATA, ts);
		SET(curl, CURLOPT_SSL_VERIFYPEER, 1L);
		SET(curl, CURLOPT_SSL_VERIFYHOST, 2L);
		if (opts->ca_file)
			SET(curl, CURLOPT_CAINFO, opts->ca_file);
		if (same_origin && opts->username)
		{
			SET(curl, CURLOPT_USERNAME, opts->username);
			SET(curl, CURLOPT_PASSWORD, opts->password ? opts->password : "");
		}

		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
		if (rc != CURLE_OK)
			ReportCurlFailure(opts, label, rc, errbuf, ts, content_length);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	}
	PG_FINALLY();
	{
		curl_slist_free_all(headers);
	}
	PG_END_TRY();
	return status;
}

static bool
IsRedirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
		status == 307 || status == 308;
}

/*
 * The request, and the redirects it leads to, up to max_redirects.  Secrets
 * go along only while the URL stays on the configured origin.
 */
static pg_noinline void
FetchFollowingRedirects(CURL *curl, const GtfsSourceOptions *opts,
						const char *label, const char *etag,
						const char *last_modified, TransferState *ts,
						GtfsHttpResult *result)
{
	char	   *url = RequestUrl(opts);
	char	   *origin = UrlOrigin(url);
	int			fd = ts->fd;
	int			redirects = 0;
	long		status;

	for (;;)
	{
		char	   *this_origin = UrlOrigin(url);
		bool		same_origin = (origin && this_origin &&
								   strcmp(origin, this_origin) == 0);
		char	   *location = NULL;

		status = PerformOnce(curl, opts, label, url, same_origin,
							 etag, last_modified, ts);
		if (!IsRedirect(status))
			break;

		if (redirects >= opts->max_redirects)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("too many redirects downloading \"%s\" for server \"%s\"",
							label, opts->server_name),
					 errdetail("The server option \"max_redirects\" allows %d.",
							   opts->max_redirects),
					 errhint("Check the URL for a redirect loop, or raise \"max_redirects\".")));
		if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) != CURLE_OK ||
			location == NULL ||
			(pg_strncasecmp(location, "http://", 7) != 0 &&
			 pg_strncasecmp(location, "https://", 8) != 0))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("download of \"%s\" for server \"%s\" was redirected to an unsupported location",
							label, opts->server_name),
					 errdetail("Only http and https redirects are followed.")));
		url = pstrdup(location);
		redirects++;
	}

	if (status != 200 && status != 304)
	{
		char	   *excerpt = BodyExcerpt(opts, fd, ts->bytes);

		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not download \"%s\" for server \"%s\": HTTP status %ld",
						label, opts->server_name, status),
				 excerpt ? errdetail("The response began with \"%s\".", excerpt) : 0,
				 (status == 401 || status == 403) ?
				 errhint("Check the credentials in the user mapping for this server.") : 0));
	}

	result->status = status;
	result->bytes = ts->bytes;
	if (status == 200)
	{
		uint8		digest[PG_SHA256_DIGEST_LENGTH];

		if (pg_cryptohash_final(ts->sha, digest, sizeof(digest)) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not finish SHA-256 digest")));
		hex_encode((const char *) digest, sizeof(digest), result->sha256);
		result->sha256[64] = '\0';
	}
	result->etag = ResponseHeader(curl, "ETag");
	result->last_modified = ResponseHeader(curl, "Last-Modified");
}

/*
 * GtfsHttpGet: GET the server's URL into fd, conditionally when validators
 * are given.  On return result->status is 200 (body in fd) or 304.  Any
 * other outcome raises an error; the caller's cached copy stays untouched.
 */
void
GtfsHttpGet(const GtfsSourceOptions *opts, const char *label,
			const char *etag, const char *last_modified,
			int fd, GtfsHttpResult *result)
{
	CURL	   *curl;
	TransferState ts = {0};

	GtfsHttpInit();
	memset(result, 0, sizeof(*result));
	ts.fd = fd;
	ts.max_bytes = opts->max_bytes;
	ts.deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), opts->timeout_ms);

	curl = curl_easy_init();
	if (curl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));
	ts.curl = curl;

	PG_TRY();
	{
		FetchFollowingRedirects(curl, opts, label, etag, last_modified,
								&ts, result);
	}
	PG_FINALLY();
	{
		if (ts.sha)
			pg_cryptohash_free(ts.sha);
		curl_easy_cleanup(curl);
	}
	PG_END_TRY();
}
