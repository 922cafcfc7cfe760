/* cmd_dump.c - `chimtrace dump FILE`: print a trace's records as text or JSON lines.
 *
 * Option parsing, the seek and the read loop only; records are printed by ct_print. A
 * damaged trace is dumped as far as it can be read: a truncated tail is a warning (a
 * crashed recording is expected), a corrupt chunk is an error but the chunks after it
 * are still printed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "ct_print.h"

static void dump_usage(FILE *out)
{
    fputs("Usage: chimtrace dump FILE [--format text|jsonl] [--from-seq N | --from-time NS]\n"
          "                      [--count K]\n"
          "\n"
          "Print the records of a trace file in file order, the header record first.\n"
          "\n"
          "Options:\n"
          "  --format text|jsonl  text for people (default), or one compact JSON object per\n"
          "                       line with every field present in the record\n"
          "  --from-seq N         start at the first event whose seq is >= N\n"
          "  --from-time NS       start at the first event whose ts_ns is >= NS\n"
          "  --count K            print at most K records\n"
          "  -h, --help           show this help\n"
          "\n"
          "Exit status:\n"
          "  0  the records were printed. A truncated file is dumped up to its last complete\n"
          "     chunk, followed by a warning on stderr.\n"
          "  2  bad arguments, unreadable file, or a corrupt chunk (reported on stderr with\n"
          "     its byte offset and reason; the chunks after it are still printed).\n",
          out);
}

typedef struct dump_args {
    const char *path;
    cli_format format;
    int has_seq, has_time, has_count;
    uint64_t seq, time_ns, count;
} dump_args;

/* One option at argv[*i]: 1 taken, 0 not an option of dump, -1 error (reported). */
static int dump_option(void *ctx, int argc, char **argv, int *i)
{
    dump_args *a = ctx;
    const char *v;
    int m;

    if ((m = cli_opt_value("dump", argc, argv, i, "--format", &v)))
        return m < 0 ? -1 : cli_parse_format("dump", v, CLI_FORMAT_TEXT | CLI_FORMAT_JSONL,
                                             &a->format) < 0 ? -1 : 1;
    if ((m = cli_opt_value("dump", argc, argv, i, "--from-seq", &v))) {
        a->has_seq = 1;
        return m < 0 ? -1 : cli_parse_u64("dump", "--from-seq", v, 0, UINT64_MAX,
                                          &a->seq) < 0 ? -1 : 1;
    }
    if ((m = cli_opt_value("dump", argc, argv, i, "--from-time", &v))) {
        a->has_time = 1;
        return m < 0 ? -1 : cli_parse_u64("dump", "--from-time", v, 0, UINT64_MAX,
                                          &a->time_ns) < 0 ? -1 : 1;
    }
    if ((m = cli_opt_value("dump", argc, argv, i, "--count", &v))) {
        a->has_count = 1;
        return m < 0 ? -1 : cli_parse_u64("dump", "--count", v, 1, UINT64_MAX,
                                          &a->count) < 0 ? -1 : 1;
    }
    return 0;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int dump_parse(int argc, char **argv, dump_args *a)
{
    int rc;

    memset(a, 0, sizeof *a);
    a->format = CLI_FORMAT_TEXT;
    if ((rc = cli_scan_args("dump", argc, argv, dump_option, a, &a->path, 1, 1, "FILE")))
        return rc;
    if (a->has_seq && a->has_time) {
        cli_usage_error("dump", "--from-seq and --from-time cannot be combined");
        return -1;
    }
    return 0;
}

/* Position the reader for --from-seq/--from-time. 1: positioned (or nothing to seek),
 * 0: no such event (nothing to print), -1: error (reported). */
static int dump_seek(ct_reader *r, const dump_args *a)
{
    ct_errinfo ei;
    ct_err err = CT_OK;

    memset(&ei, 0, sizeof ei);
    if (a->has_seq)
        err = ct_reader_seek_seq(r, a->seq, &ei);
    else if (a->has_time)
        err = ct_reader_seek_time(r, a->time_ns, &ei);
    if (err == CT_OK)
        return 1;
    if (err == CT_ERR_NOT_FOUND) {
        cli_report("dump", a->path, "note: ", err, &ei);
        return 0;
    }
    cli_report("dump", a->path, NULL, err, &ei);
    return -1;
}

/* Print records until the end, --count, or a fatal error. */
static int dump_records(ct_reader *r, const dump_args *a)
{
    const Chimtrace__V1__Record *rec;
    ct_errinfo trunc_ei;
    int truncated = 0;
    uint64_t printed = 0;
    int rc = CLI_EXIT_OK;
    ct_errinfo ei;

    while (!a->has_count || printed < a->count) {
        cli_next step;

        memset(&ei, 0, sizeof ei);
        step = cli_read_next(r, &rec, &ei);
        if (step == CLI_NEXT_END)
            break;
        if (step == CLI_NEXT_RECORD) {
            ct_err err = a->format == CLI_FORMAT_JSONL ? ct_print_record_json(stdout, rec)
                                                       : ct_print_record_text(stdout, rec);
            if (err == CT_ERR_IO)
                break;  /* main reports the failed write */
            printed++;
        } else if (step == CLI_NEXT_TRUNCATED) {
            trunc_ei = ei;
            truncated = 1;
        } else {
            fflush(stdout);  /* keep the report next to the records it interrupts */
            cli_report("dump", a->path, NULL, ei.code, &ei);
            rc = CLI_EXIT_ERROR;
            if (step == CLI_NEXT_FATAL)
                break;
        }
    }
    if (truncated) {
        fflush(stdout);
        cli_report("dump", a->path, "warning: ", CT_ERR_TRUNCATED, &trunc_ei);
    }
    return rc;
}

static int dump_run(int argc, char **argv)
{
    dump_args a;
    ct_errinfo ei;
    ct_reader *r = NULL;
    ct_err err;
    int rc = dump_parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? (dump_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    memset(&ei, 0, sizeof ei);
    err = ct_reader_open(a.path, &r, &ei);
    if (err != CT_OK) {
        cli_report("dump", a.path, NULL, err, &ei);
        return CLI_EXIT_ERROR;
    }
    rc = dump_seek(r, &a);
    if (rc > 0)
        rc = dump_records(r, &a);
    else
        rc = rc == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    ct_reader_close(r);
    return rc;
}

const cli_verb cli_verb_dump = {
    "dump", "print a trace's records as text or JSON lines",
    dump_run, dump_usage,
};
