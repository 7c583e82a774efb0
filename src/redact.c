/*-------------------------------------------------------------------------
 * redact.c
 *		Keep secrets out of messages.
 *
 * Secrets live only in user mappings, but a library or a remote server may
 * echo them back (a URL with the key appended, an error body).  Every text
 * that reaches an error message passes through GtfsRedact first.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "source.h"

static char *
ReplaceAll(const char *text, const char *secret)
{
	StringInfoData buf;
	size_t		slen = strlen(secret);
	const char *p = text;
	const char *hit;

	/* Very short secrets would blank out innocent text; they are not keys. */
	if (slen < 4)
		return pstrdup(text);

	initStringInfo(&buf);
	while ((hit = strstr(p, secret)) != NULL)
	{
		appendBinaryStringInfo(&buf, p, hit - p);
		appendStringInfoString(&buf, "***");
		p = hit + slen;
	}
	appendStringInfoString(&buf, p);
	return buf.data;
}

/* text with every secret of the user mapping replaced by "***" */
char *
GtfsRedact(const GtfsSourceOptions *opts, const char *text)
{
	char	   *result = pstrdup(text ? text : "");
	ListCell   *lc;

	if (opts->api_key)
		result = ReplaceAll(result, opts->api_key);
	if (opts->password)
		result = ReplaceAll(result, opts->password);
	foreach(lc, opts->secret_headers)
	{
		const char *header = lfirst(lc);
		const char *value = strchr(header, ':');

		if (value)
			result = ReplaceAll(result, value + 2);
	}
	return result;
}
