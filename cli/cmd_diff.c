/* cmd_diff.c - `chimtrace diff A B`: are two traces the same run, semantically?
 *
 * Option parsing and output selection only: the comparison is ct_diff's diff_traces, the
 * reports are diff_report_text/json/junit. Exit 0 equal, 1 different, 2 error (bad
 * arguments, unreadable input, or a damaged chunk in either trace).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "ct_print.h"
#include "diff.h"

#define MAX_IGNORE 64

static void diff_usage(FILE *out)
{
    fputs("Usage: chimtrace diff A B [--format text|json|junit] [--ignore FIELD]...\n"
          "                      [--timing-tolerance PCT] [--compare-header] [--window N]\n"
          "                      [-o FILE]\n"
          "\n"
          "Compare trace B (got) against trace A (expected), semantically. Events are\n"
          "matched by the objects they are about (neighbor MAC and VLAN, path addresses,\n"
          "TCP 4-tuple) and by operation order per object, never by raw ids or sequence\n"
          "numbers; the events of one operation are compared edge by edge and field by\n"
          "field, ids by the role they play (\"the handle passed at request-in\"), not by\n"
          "their numbers. Both files are read once, together, in bounded memory.\n"
          "\n"
          "Not compared: seq, ts_ns, ring, op_id, pcap frames (FrameRef, Event.frame); the\n"
          "trace header unless --compare-header (and never its run-specific fields:\n"
          "start_unix_ns, trace_uuid, hostname, source_trace_uuid, producer_version).\n"
          "\n"
          "Options:\n"
          "  --format F              text (default), json (one document, see\n"
          "                          replay/diff/DIFF_JSON.md) or junit (XML)\n"
          "  --ignore FIELD          do not compare FIELD: a name or dotted path, matched\n"
          "                          against whole components anywhere in a field's path,\n"
          "                          e.g. snd_nxt, tcp_delegated.snd_nxt, block[0].status,\n"
          "                          header.seed; repeatable\n"
          "  --timing-tolerance PCT  also compare latency: p50/p90/p99 per operation and\n"
          "                          edge pair (IM request cost, NIC, IM return, end to\n"
          "                          end); a percentile of B more than PCT% above A's is a\n"
          "                          difference\n"
          "  --compare-header        compare the trace headers' non-run-specific fields\n"
          "  --window N              read steps an unmatched event waits for its\n"
          "                          counterpart before it counts as removed/added\n"
          "                          (default 4096; memory grows with it)\n"
          "  -o FILE                 write the report to FILE instead of standard output\n"
          "  -h, --help              show this help\n"
          "\n"
          "Exit status: 0 equal, 1 different, 2 error (bad arguments, unreadable input,\n"
          "a damaged chunk in either trace). A truncated trace or one that lost events is\n"
          "compared as far as it goes and said so in every format.\n",
          out);
}

typedef enum diff_format { FMT_TEXT, FMT_JSON, FMT_JUNIT } diff_format;

typedef struct diff_args {
    const char *path[2];
    const char *out;
    diff_format format;
    const char *ignore[MAX_IGNORE];
    diff_opts opts;
    diff_trace_opts topts;
} diff_args;

static int parse_format(const char *v, diff_format *f)
{
    if (strcmp(v, "text") == 0)
        *f = FMT_TEXT;
    else if (strcmp(v, "json") == 0)
        *f = FMT_JSON;
    else if (strcmp(v, "junit") == 0)
        *f = FMT_JUNIT;
    else
        return cli_usage_error("diff", "--format: expected text, json or junit, got '%s'", v),
               -1;
    return 0;
}

static int parse_pct(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < 0 || d > 1e6)
        return cli_usage_error("diff", "--timing-tolerance: expected a percentage from 0 to "
                               "1000000, got '%s'", v), -1;
    *out = d;
    return 0;
}

/* One option at argv[*i]; 1 consumed, 0 not an option of ours, -1 error (reported). */
static int parse_option(void *ctx, int argc, char **argv, int *i)
{
    diff_args *a = ctx;
    const char *v;
    uint64_t n;
    int m;
    if ((m = cli_opt_value("diff", argc, argv, i, "--format", &v)))
        return m < 0 || parse_format(v, &a->format) < 0 ? -1 : 1;
    if ((m = cli_opt_value("diff", argc, argv, i, "--ignore", &v))) {
        if (m < 0)
            return -1;
        if (a->opts.n_ignore == MAX_IGNORE)
            return cli_usage_error("diff", "--ignore: at most %d fields", MAX_IGNORE), -1;
        a->ignore[a->opts.n_ignore++] = v;
        return 1;
    }
    if ((m = cli_opt_value("diff", argc, argv, i, "--timing-tolerance", &v))) {
        a->opts.has_timing_tolerance = 1;
        return m < 0 || parse_pct(v, &a->opts.timing_tolerance_pct) < 0 ? -1 : 1;
    }
    if ((m = cli_opt_value("diff", argc, argv, i, "--window", &v))) {
        if (m < 0 || cli_parse_u64("diff", "--window", v, 1, 1u << 24, &n) < 0)
            return -1;
        a->topts.window = (size_t)n;
        return 1;
    }
    if ((m = cli_opt_value("diff", argc, argv, i, "-o", &v))) {
        a->out = v;
        return m < 0 ? -1 : 1;
    }
    if (strcmp(argv[*i], "--compare-header") == 0) {
        a->topts.compare_header = 1;
        return 1;
    }
    return 0;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int diff_parse(int argc, char **argv, diff_args *a)
{
    memset(a, 0, sizeof *a);
    diff_opts_init(&a->opts);
    diff_trace_opts_init(&a->topts);
    a->opts.ignore = a->ignore;
    return cli_scan_args("diff", argc, argv, parse_option, a, a->path, 2, 2,
                         "two traces (A and B)");
}

/* With --format json, an error is a JSON document too (DIFF_JSON.md). */
static void json_error(FILE *out, ct_err code, const char *msg)
{
    fprintf(out, "{\"format\":\"chimtrace-diff\",\"version\":1,\"equal\":null,"
                 "\"exit_code\":2,\"error\":{\"code\":\"%s\",\"message\":", ct_errname(code));
    ct_print_json_string(out, msg);
    fputs("}}\n", out);
}

static int diff_run_verb(int argc, char **argv)
{
    diff_args a;
    diff_result *res = NULL;
    ct_errinfo ei;
    FILE *out = stdout;
    ct_err err, werr;
    int rc = diff_parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? (diff_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    if (a.out && !(out = fopen(a.out, "w"))) {
        fprintf(stderr, "chimtrace diff: %s: cannot write: %s\n", a.out, strerror(errno));
        return CLI_EXIT_ERROR;
    }
    memset(&ei, 0, sizeof ei);
    err = diff_traces(a.path[0], a.path[1], &a.opts, &a.topts, &res, &ei);
    if (err != CT_OK) {
        const char *file = strstr(ei.msg, a.path[1]) == ei.msg ? a.path[1] : a.path[0];
        cli_report("diff", file, NULL, err, &ei);
        if (a.format == FMT_JSON)
            json_error(out, err, ei.msg[0] ? ei.msg : ct_strerror(err));
        rc = CLI_EXIT_ERROR;
    } else {
        for (int s = 0; s < 2; s++)
            if (res->in[s].corrupt_chunks)
                fprintf(stderr, "chimtrace diff: %s: %llu damaged chunk(s) skipped; first: %s\n",
                        res->in[s].path, (unsigned long long)res->in[s].corrupt_chunks,
                        res->in[s].problem);
        werr = a.format == FMT_JSON    ? diff_report_json(out, res)
               : a.format == FMT_JUNIT ? diff_report_junit(out, res)
                                       : diff_report_text(out, res);
        rc = werr == CT_OK ? diff_exit_code(res) : CLI_EXIT_ERROR;
        diff_result_free(res);
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "chimtrace diff: %s: write failed: %s\n", a.out, strerror(errno));
        rc = CLI_EXIT_ERROR;
    }
    return rc;
}

const cli_verb cli_verb_diff = {
    "diff",
    "compare two traces semantically (exit 0 equal, 1 different, 2 error)",
    diff_run_verb,
    diff_usage,
};
