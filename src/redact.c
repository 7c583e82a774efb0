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

#include <curl/curl.h>

#include "common/base64.h"
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

/* text with secret, and its forms in URLs and headers, replaced by "***" */
static char *
RedactForms(char *text, const char *secret)
{
	char	   *escaped;

	text = ReplaceAll(text, secret);
	/* as a query parameter: percent-escaped */
	escaped = curl_easy_escape(NULL, secret, 0);
	if (escaped != NULL)
	{
		if (strcmp(escaped, secret) != 0)
			text = ReplaceAll(text, escaped);
		curl_free(escaped);
	}
	return text;
}

/* text with every secret of the user mapping replaced by "***" */
char *
GtfsRedact(const GtfsSourceOptions *opts, const char *text)
{
	char	   *result = pstrdup(text ? text : "");
	ListCell   *lc;

	if (opts->api_key)
		result = RedactForms(result, opts->api_key);
	if (opts->password)
	{
		/* basic auth sends base64("user:password") */
		char	   *credentials = psprintf("%s:%s", opts->username ? opts->username : "",
										   opts->password);
		int			len = strlen(credentials);
		char	   *encoded = palloc(pg_b64_enc_len(len) + 1);
		int			n = pg_b64_encode(credentials, len, encoded, pg_b64_enc_len(len));

		if (n > 0)
		{
			encoded[n] = '\0';
			result = ReplaceAll(result, encoded);
		}
		result = RedactForms(result, opts->password);
	}
	foreach(lc, opts->secret_headers)
	{
		const char *header = lfirst(lc);
		const char *value = strchr(header, ':');
		char	   *tokens;
		char	   *token;
		char	   *save;

		if (value == NULL)
			continue;
		value += strspn(value, ": ");
		result = RedactForms(result, value);
		/* "Bearer <token>": a server may echo the token alone */
		tokens = pstrdup(value);
		for (token = strtok_r(tokens, " \t", &save); token; token = strtok_r(NULL, " \t", &save))
		{
			if (strlen(token) >= 8)
				result = RedactForms(result, token);
		}
	}
	return result;
}
