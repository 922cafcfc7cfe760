/* cmd_info.c - `chimtrace info FILE`: what a trace file holds and what state it is in.
 *
 * Option parsing and the read loop only: the counting and the printing are ct_print's
 * summary, the file facts come from the reader. One pass with ct_reader_next, so memory
 * stays bounded whatever the trace size.
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "ct_print.h"

static void info_usage(FILE *out)
{
    fputs("Usage: chimtrace info FILE [--format text|json]\n"
          "\n"
          "Describe a trace file: its header, format version, size, chunks and how the chunk\n"
          "index was found (footer, or rebuilt by scanning), records by kind, events by\n"
          "operation and edge, losses, truncation and damaged chunks. Reads the file once,\n"
          "in bounded memory.\n"
          "\n"
          "Options:\n"
          "  --format text|json  text for people (default) or one JSON object\n"
          "  -h, --help          show this help\n"
          "\n"
          "Exit status:\n"
          "  0  the file was read. A truncated file (a recording that crashed) is reported,\n"
          "     not an error: everything up to the last complete chunk is counted.\n"
          "  2  bad arguments; the file cannot be opened or is not a trace; or a chunk was\n"
          "     corrupt (each is reported by byte offset and reason, and skipped).\n",
          out);
}

typedef struct info_args {
    const char *path;
    cli_format format;
} info_args;

static int info_option(void *ctx, int argc, char **argv, int *i)
{
    info_args *a = ctx;
    const char *val;
    int m = cli_opt_value("info", argc, argv, i, "--format", &val);

    if (m <= 0)
        return m;
    return cli_parse_format("info", val, CLI_FORMAT_TEXT | CLI_FORMAT_JSON, &a->format) < 0
               ? -1 : 1;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int info_parse(int argc, char **argv, info_args *a)
{
    a->path = NULL;
    a->format = CLI_FORMAT_TEXT;
    return cli_scan_args("info", argc, argv, info_option, a, &a->path, 1, 1, "FILE");
}

/* Count every record; remember the truncation message. -1 on a fatal read error. */
static int info_scan(ct_reader *r, const char *path, ct_print_summary *s, char *trunc_msg)
{
    const Chimtrace__V1__Record *rec;
    ct_errinfo ei;

    for (;;) {
        memset(&ei, 0, sizeof ei);
        switch (cli_read_next(r, &rec, &ei)) {
        case CLI_NEXT_RECORD:
            ct_print_summary_add(s, rec);
            break;
        case CLI_NEXT_END:
            return 0;
        case CLI_NEXT_TRUNCATED:
            snprintf(trunc_msg, CT_ERRINFO_MSG, "%s", cli_msg_without_file(ei.msg, path));
            break;
        case CLI_NEXT_DAMAGED:
            cli_report("info", path, NULL, ei.code, &ei);
            snprintf(ei.msg, sizeof ei.msg, "%s", cli_msg_without_file(ei.msg, path));
            ct_print_summary_problem(s, &ei);
            break;
        case CLI_NEXT_FATAL:
            cli_report("info", path, NULL, ei.code, &ei);
            return -1;
        }
    }
}

static int count_none(void *ctx, const ct_chunk_info *chunk)
{
    (void)ctx;
    (void)chunk;
    return 0;
}

/* The reader's file facts. ct_reader_chunks settles the chunk count and the index
 * source, which a plain iteration may leave open. -1 when that walk fails (reported). */
static int info_status(ct_reader *r, const char *path, ct_file_status *st)
{
    ct_errinfo ei;
    ct_err err;

    memset(&ei, 0, sizeof ei);
    err = ct_reader_chunks(r, count_none, NULL, &ei);
    ct_reader_status(r, st);
    if (err == CT_OK || err == CT_ERR_TRUNCATED)
        return 0;
    cli_report("info", path, "chunk index: ", err, &ei);
    return -1;
}

static int info_run(int argc, char **argv)
{
    static ct_print_summary sum;  /* ~9 KB; static keeps it off the stack */
    char trunc_msg[CT_ERRINFO_MSG] = "";
    ct_print_file_facts facts;
    ct_file_status st;
    info_args a;
    ct_errinfo ei;
    ct_reader *r = NULL;
    ct_err err;
    int rc = info_parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? (info_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    memset(&ei, 0, sizeof ei);
    err = ct_reader_open(a.path, &r, &ei);
    if (err != CT_OK) {
        cli_report("info", a.path, NULL, err, &ei);
        return CLI_EXIT_ERROR;
    }
    ct_print_summary_init(&sum);
    if (info_scan(r, a.path, &sum, trunc_msg) < 0) {
        ct_reader_close(r);
        return CLI_EXIT_ERROR;
    }
    if (info_status(r, a.path, &st) < 0)
        sum.corrupt_chunks += sum.corrupt_chunks == 0;  /* damage the scan did not see */
    memset(&facts, 0, sizeof facts);
    facts.path = a.path;
    facts.format_major = st.format_major;
    facts.format_minor = st.format_minor;
    facts.file_bytes = st.file_bytes;
    facts.chunks = st.chunks;
    facts.index_source = ct_index_source_name(st.index_source);
    facts.index_key = st.index_source == CT_INDEX_FOOTER    ? "footer"
                      : st.index_source == CT_INDEX_REBUILT ? "rebuilt"
                                                            : "unknown";
    facts.has_footer = st.has_footer;
    facts.truncated = st.truncated || trunc_msg[0];
    facts.truncated_at = st.truncated_at;
    facts.complete_end = st.complete_end;
    facts.truncation_msg = trunc_msg[0] ? trunc_msg : NULL;
    facts.header = ct_reader_header(r);
    if (a.format == CLI_FORMAT_JSON)
        ct_print_summary_json(stdout, &facts, &sum);
    else
        ct_print_summary_text(stdout, &facts, &sum);
    ct_reader_close(r);
    if (sum.corrupt_chunks) {
        fprintf(stderr, "chimtrace info: %s: %llu corrupt chunk(s) skipped\n", a.path,
                (unsigned long long)sum.corrupt_chunks);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

const cli_verb cli_verb_info = {
    "info", "describe a trace: header, chunks, record and event counts, damage",
    info_run, info_usage,
};
