/*-------------------------------------------------------------------------
 * csvsrc.c
 *		CSV records, one at a time, from a byte stream, with libcsv.
 *
 * libcsv pushes fields and row ends into callbacks as it parses a buffer.
 * This reader turns that into a pull interface: it feeds libcsv one input
 * chunk at a time, keeps the records the chunk completed in a batch, and
 * hands them out one by one.  Memory is bounded by the chunk size plus the
 * longest record, whatever the size of the file.
 *
 * What it accepts: a UTF-8 byte order mark, CRLF, LF or CR line ends (mixed,
 * even), quoted fields holding commas, quotes ("") and line breaks, blank
 * lines anywhere, and a last line without a line end.  Spaces around an
 * unquoted field are removed, as the GTFS reference asks.  A quote inside
 * an unquoted field (5" Ave) is taken literally.  Text after the closing
 * quote of a quoted field ("Main St" Station) is an error: libcsv's lenient
 * mode would reopen the field there and swallow the lines that follow.
 *
 * Line numbers count physical lines of the file (1 is the header), so an
 * error can point at the line an editor shows.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <csv.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "csvsrc.h"

#define CSV_CHUNK_SIZE		(64 * 1024)
#define CSV_MAX_FIELD_SIZE	((size_t) 256 * 1024 * 1024)

/* libcsv's parser state inside a field (see libcsv.c) */
#define LIBCSV_FIELD_BEGUN	2

#define CSV_OPTIONS			(CSV_REPALL_NL | CSV_STRICT)

typedef struct PendingRecord
{
	int			first_field;	/* index into field_offsets */
	int			nfields;
	int64		line;
} PendingRecord;

struct GtfsCsvReader
{
	struct csv_parser parser;
	bool		parser_ready;
	GtfsReadFn	read;
	void	   *read_arg;
	char	   *label;
	bool		at_start;		/* nothing read yet: a BOM may come */
	bool		eof;
	int64		bytes_read;
	char	   *chunk;

	/* the batch: field text of completed records, NUL-separated */
	char	   *text;
	size_t		text_len;
	size_t		text_cap;
	size_t	   *field_offsets;
	size_t	   *field_lens;
	int			nfields_total;
	int			fields_cap;
	PendingRecord *records;
	int			nrecords;
	int			records_cap;
	int			next_record;	/* next record of the batch to hand out */

	/* the record being parsed */
	int			cur_first_field;
	int64		cur_line;		/* line where it started */
	int64		cur_newlines;	/* line breaks inside its quoted fields */
	int			last_term;		/* what ended the previous row */

	GtfsCsvRecord current;		/* what GtfsCsvNext returned */
	int			current_cap;
	MemoryContextCallback cleanup;
};

static void
CsvCleanup(void *arg)
{
	GtfsCsvClose((GtfsCsvReader *) arg);
}

/* Line breaks in text: LF, CRLF or a lone CR each count once. */
static int64
CountLineBreaks(const char *p, size_t len)
{
	int64		n = 0;

	for (size_t i = 0; i < len; i++)
	{
		if (p[i] == '\n')
			n++;
		else if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n'))
			n++;
	}
	return n;
}

/* len bytes of text fit for a message: control and non-ASCII bytes as '?' */
static char *
Printable(const char *text, size_t len)
{
	char	   *out = pnstrdup(text, len);

	for (char *c = out; *c; c++)
	{
		if ((unsigned char) *c < 0x20 || (unsigned char) *c >= 0x7f)
			*c = '?';
	}
	return out;
}

/*
 * libcsv callback: a field ended.  The only error possible here is running
 * out of memory; unwinding through libcsv then is safe, as it holds nothing
 * but its buffer, which the reader's cleanup callback frees.
 */
static void
OnField(void *s, size_t len, void *data)
{
	GtfsCsvReader *r = (GtfsCsvReader *) data;

	if (r->text_len + len + 1 > r->text_cap)
	{
		while (r->text_len + len + 1 > r->text_cap)
			r->text_cap *= 2;
		r->text = repalloc_huge(r->text, r->text_cap);
	}
	if (r->nfields_total == r->fields_cap)
	{
		r->fields_cap *= 2;
		r->field_offsets = repalloc(r->field_offsets, r->fields_cap * sizeof(size_t));
		r->field_lens = repalloc(r->field_lens, r->fields_cap * sizeof(size_t));
	}
	if (len > 0)
	{
		memcpy(r->text + r->text_len, s, len);
		/* line breaks inside a quoted field: keep line numbers true */
		r->cur_newlines += CountLineBreaks(s, len);
	}
	r->text[r->text_len + len] = '\0';
	r->field_offsets[r->nfields_total] = r->text_len;
	r->field_lens[r->nfields_total] = len;
	r->nfields_total++;
	r->text_len += len + 1;
}

/* libcsv callback: a row ended (c is the line end, or -1 at the end). */
static void
OnRowEnd(int c, void *data)
{
	GtfsCsvReader *r = (GtfsCsvReader *) data;
	int			nfields = r->nfields_total - r->cur_first_field;

	if (nfields == 0)
	{
		/* an empty row: the LF of a CRLF, or a blank line */
		if (!(c == '\n' && r->last_term == '\r'))
			r->cur_line++;
		r->last_term = c;
		return;
	}

	if (r->nrecords == r->records_cap)
	{
		r->records_cap *= 2;
		r->records = repalloc(r->records, r->records_cap * sizeof(PendingRecord));
	}
	r->records[r->nrecords].first_field = r->cur_first_field;
	r->records[r->nrecords].nfields = nfields;
	r->records[r->nrecords].line = r->cur_line;
	r->nrecords++;

	r->cur_line += 1 + r->cur_newlines;
	r->cur_newlines = 0;
	r->cur_first_field = r->nfields_total;
	r->last_term = c;
}

/*
 * GtfsCsvOpen: a reader over the stream; file_label names the file in
 * messages.  It is released when the current memory context goes away.
 */
GtfsCsvReader *
GtfsCsvOpen(GtfsReadFn read, void *read_arg, const char *file_label)
{
	GtfsCsvReader *r = palloc0(sizeof(GtfsCsvReader));

	r->read = read;
	r->read_arg = read_arg;
	r->label = pstrdup(file_label);
	r->at_start = true;
	r->chunk = palloc(CSV_CHUNK_SIZE);
	r->text_cap = 2 * CSV_CHUNK_SIZE;
	r->text = palloc(r->text_cap);
	r->fields_cap = 4096;
	r->field_offsets = palloc(r->fields_cap * sizeof(size_t));
	r->field_lens = palloc(r->fields_cap * sizeof(size_t));
	r->records_cap = 1024;
	r->records = palloc(r->records_cap * sizeof(PendingRecord));
	r->current_cap = 64;
	r->current.fields = palloc(r->current_cap * sizeof(GtfsCsvField));
	r->cur_line = 1;
	r->last_term = -1;

	/*
	 * CSV_REPALL_NL reports every line end, so blank lines can be counted;
	 * CSV_STRICT reports malformed quoting (see ParseBytes)
	 */
	if (csv_init(&r->parser, CSV_OPTIONS) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialize CSV parser")));
	r->parser_ready = true;
	r->cleanup.func = CsvCleanup;
	r->cleanup.arg = r;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &r->cleanup);
	return r;
}

/* GtfsCsvClose: free libcsv's buffer; safe to call twice. */
void
GtfsCsvClose(GtfsCsvReader *r)
{
	if (r->parser_ready)
	{
		csv_free(&r->parser);
		r->parser_ready = false;
	}
}

int64
GtfsCsvBytesRead(GtfsCsvReader *r)
{
	return r->bytes_read;
}

/*
 * GtfsCsvHeaderName: a field of the header as a column name in the server
 * encoding; GTFS files are UTF-8, and a name that is not is an error.
 */
char *
GtfsCsvHeaderName(GtfsCsvReader *r, const GtfsCsvField *field)
{
	if (!pg_verify_mbstr(PG_UTF8, field->data, field->len, true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("invalid byte sequence for encoding \"UTF8\" in the header of \"%s\": \"%s\"",
						r->label, Printable(field->data, field->len)),
				 errhint("GTFS files must be encoded in UTF-8.")));
	return pg_any_to_server(pnstrdup(field->data, field->len), field->len, PG_UTF8);
}

/*
 * Start a new batch: forget handed-out records, but keep the fields of the
 * record still being parsed, moving them to the front.
 */
static void
StartBatch(GtfsCsvReader *r)
{
	int			keep = r->nfields_total - r->cur_first_field;
	size_t		base;

	if (keep > 0)
	{
		base = r->field_offsets[r->cur_first_field];
		memmove(r->text, r->text + base, r->text_len - base);
		r->text_len -= base;
		for (int i = 0; i < keep; i++)
		{
			r->field_offsets[i] = r->field_offsets[r->cur_first_field + i] - base;
			r->field_lens[i] = r->field_lens[r->cur_first_field + i];
		}
	}
	else
		r->text_len = 0;
	r->nfields_total = keep;
	r->cur_first_field = 0;
	r->nrecords = 0;
	r->next_record = 0;
}


/*
 * Feed bytes to libcsv in strict mode.  Its strict mode refuses a quote
 * inside an unquoted field too; that one is fed again leniently, so it is
 * kept as a literal quote.  Any other strict error is malformed quoting.
 */
static void
ParseBytes(GtfsCsvReader *r, const char *p, size_t n)
{
	while (n > 0)
	{
		size_t		done = csv_parse(&r->parser, p, n, OnField, OnRowEnd, r);
		struct csv_parser *cp = &r->parser;

		if (done == n)
			return;
		if (csv_error(cp) == CSV_EPARSE && cp->pstate == LIBCSV_FIELD_BEGUN && !cp->quoted)
		{
			csv_set_opts(cp, CSV_OPTIONS & ~CSV_STRICT);
			(void) csv_parse(cp, p + done, 1, OnField, OnRowEnd, r);
			csv_set_opts(cp, CSV_OPTIONS);
			cp->status = 0;
			p += done + 1;
			n -= done + 1;
			continue;
		}
		if (csv_error(cp) == CSV_EPARSE)
		{
			/* the field so far, its closing quote and any spaces dropped */
			size_t		flen = cp->entry_pos - cp->spaces - 1;
			int64		line = r->cur_line + r->cur_newlines +
				CountLineBreaks((const char *) cp->entry_buf, cp->entry_pos);

			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("malformed quoted field in \"%s\" on line " INT64_FORMAT ", field %d",
							r->label, line, r->nfields_total - r->cur_first_field + 1),
					 errdetail("The quoted field \"%s\" is followed by \"%s\" instead of a comma or a line end.",
							   Printable((const char *) cp->entry_buf, Min(flen, 60)),
							   Printable(p + done, 1)),
					 errhint("Inside a quoted field, a quote is written twice (\"\"); a field with quotes in the middle is quoted as a whole.")));
		}
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("could not parse \"%s\" near line " INT64_FORMAT,
						r->label, r->cur_line),
				 errdetail("libcsv: %s.", csv_strerror(csv_error(cp)))));
	}
}

/* Parse the next chunk of input; false when the input is exhausted. */
static bool
ParseChunk(GtfsCsvReader *r)
{
	ssize_t		n;
	const char *p;

	if (r->eof)
		return false;

	n = r->read(r->read_arg, r->chunk, CSV_CHUNK_SIZE);
	if (n <= 0)
	{
		r->eof = true;
		if (r->parser.pstate == LIBCSV_FIELD_BEGUN && r->parser.quoted)
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("unterminated quoted field in \"%s\"", r->label),
					 errdetail("The field begins on line " INT64_FORMAT " and its closing quote is missing.",
							   r->cur_line)));
		csv_fini(&r->parser, OnField, OnRowEnd, r);
		return true;
	}
	r->bytes_read += n;

	p = r->chunk;
	if (r->at_start)
	{
		r->at_start = false;
		if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		{
			p += 3;
			n -= 3;
		}
	}

	ParseBytes(r, p, n);

	if (csv_get_buffer_size(&r->parser) > CSV_MAX_FIELD_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("field longer than %zu bytes in \"%s\" starting on line " INT64_FORMAT,
						CSV_MAX_FIELD_SIZE, r->label, r->cur_line),
				 errhint("A quoted field whose closing quote is missing runs to the end of the file.")));
	return true;
}

/*
 * GtfsCsvNext: the next record, or NULL at the end of the input.  The
 * record and its fields stay valid until the next call.
 */
GtfsCsvRecord *
GtfsCsvNext(GtfsCsvReader *r)
{
	PendingRecord *rec;

	while (r->next_record >= r->nrecords)
	{
		StartBatch(r);
		if (!ParseChunk(r))
			return NULL;
	}

	rec = &r->records[r->next_record++];
	if (rec->nfields > r->current_cap)
	{
		while (rec->nfields > r->current_cap)
			r->current_cap *= 2;
		r->current.fields = repalloc(r->current.fields,
									 r->current_cap * sizeof(GtfsCsvField));
	}
	for (int i = 0; i < rec->nfields; i++)
	{
		r->current.fields[i].data = r->text + r->field_offsets[rec->first_field + i];
		r->current.fields[i].len = r->field_lens[rec->first_field + i];
	}
	r->current.nfields = rec->nfields;
	r->current.line = rec->line;
	return &r->current;
}
