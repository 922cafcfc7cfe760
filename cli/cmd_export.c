/* cmd_export.c - `chimtrace export FILE --chrome OUT.json`: option parsing, warnings and
 * the closing summary only; the conversion is ct_export's export_chrome_file.
 *
 * Exit status follows `info`: a truncated input is exported as far as it goes with a
 * warning (0); a damaged chunk is skipped, exported around and reported (2).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "export.h"

static void export_usage(FILE *out)
{
    fputs("Usage: chimtrace export FILE --chrome OUT.json [--max-slots N] [--max-pending N]\n"
          "                        [--quiet]\n"
          "\n"
          "Write a trace as Trace Event Format JSON (object form, with displayTimeUnit and\n"
          "metadata), which the Perfetto UI (ui.perfetto.dev) and chrome://tracing load.\n"
          "\n"
          "Each operation instance is one complete event from request-in to completion-out\n"
          "(its name is the operation; args: op_id, object identity, ring, per-block and\n"
          "overall status, seq numbers, stage latencies), and each stage is a complete event\n"
          "on its own per-edge track: \"IM in->down\" (edges 1-2), \"NIC down->completion-in\"\n"
          "(2-3) and \"IM return completion-in->up\" (3-4). Each shim ring is a process; in it,\n"
          "each slot (\"operations N\" and its three stage tracks) holds one instance at a\n"
          "time, so instances in flight together sit on different slots. An instance with\n"
          "a missing edge (loss, truncation) spans the edges it has and says \"complete\":\n"
          "false.\n"
          "Losses, truncation, damaged chunks and the run summary are global instant events;\n"
          "the trace header is in \"metadata\". Timestamps are the trace's (ns since its\n"
          "clock origin) in microseconds with three decimals. Output depends on the input\n"
          "only. Reads the file once, in bounded memory.\n"
          "\n"
          "Options:\n"
          "  --chrome OUT.json  the JSON file to write (- for standard output); written to\n"
          "                     OUT.json.tmp and renamed when complete, replacing OUT.json\n"
          "  --max-slots N      slots per ring, four tracks each (default 256); an instance\n"
          "                     that finds all busy is written as an async b/e pair\n"
          "  --max-pending N    instances in flight kept (default 65536); beyond, the\n"
          "                     oldest is written as incomplete\n"
          "  -q, --quiet        no summary line on standard error\n"
          "  -h, --help         show this help\n"
          "\n"
          "Exit status:\n"
          "  0  exported. A truncated trace (a recording that crashed) is exported up to its\n"
          "     last complete chunk, with a warning and a \"trace truncated\" instant event.\n"
          "  2  bad arguments; FILE cannot be opened or is not a trace; OUT cannot be written\n"
          "     (no OUT is left behind); or a chunk was corrupt (reported and skipped; the\n"
          "     JSON is written around it).\n",
          out);
}

typedef struct export_args {
    const char *in;
    const char *out;
    int quiet;
    export_opts opts;
} export_args;

static int export_option(void *ctx, int argc, char **argv, int *i)
{
    export_args *a = ctx;
    const char *v;
    uint64_t n;
    int m;
    if ((m = cli_opt_value("export", argc, argv, i, "--chrome", &v)))
        return m < 0 ? -1 : (a->out = v, 1);
    if ((m = cli_opt_value("export", argc, argv, i, "--max-slots", &v))) {
        if (m < 0 || cli_parse_u64("export", "--max-slots", v, 1, 65536, &n) < 0)
            return -1;
        a->opts.max_slots = (uint32_t)n;
        return 1;
    }
    if ((m = cli_opt_value("export", argc, argv, i, "--max-pending", &v))) {
        if (m < 0 || cli_parse_u64("export", "--max-pending", v, 1, 1u << 24, &n) < 0)
            return -1;
        a->opts.max_pending = (uint32_t)n;
        return 1;
    }
    if (strcmp(argv[*i], "--quiet") == 0 || strcmp(argv[*i], "-q") == 0)
        return a->quiet = 1, 1;
    return 0;
}

/* 1: --help; 0: go on; -1: usage error (reported). */
static int export_parse(int argc, char **argv, export_args *a)
{
    memset(a, 0, sizeof *a);
    export_opts_init(&a->opts);
    int rc = cli_scan_args("export", argc, argv, export_option, a, &a->in, 1, 1, "FILE");
    if (rc)
        return rc;
    if (a->out == NULL)
        return cli_usage_error("export", "no output format given: --chrome OUT.json"), -1;
    return 0;
}

static void print_summary(const export_args *a, const export_result *r)
{
    fprintf(stderr, "chimtrace export: %s -> %s: %" PRIu64 " instances (%" PRIu64
            " incomplete, %" PRIu64 " async), %" PRIu64 " rings, %" PRIu64 " tracks, %" PRIu64
            " JSON events", a->in, strcmp(a->out, "-") == 0 ? "standard output" : a->out,
            r->instances, r->incomplete, r->async_instances, r->lanes, r->tracks,
            r->json_events);
    if (r->lost_events)
        fprintf(stderr, ", %" PRIu64 " events lost when recorded", r->lost_events);
    fputc('\n', stderr);
}

static int export_run(int argc, char **argv)
{
    export_args a;
    int rc = export_parse(argc, argv, &a);
    if (rc)
        return rc > 0 ? (export_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    export_result res;
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    ct_err e = export_chrome_file(a.in, a.out, &a.opts, &res, &ei);
    if (e != CT_OK) {
        /* Messages about OUT name it first; the reader's name IN. */
        size_t n = strlen(a.out);
        int about_out = strncmp(ei.msg, a.out, n) == 0 && ei.msg[n] == ':';
        cli_report("export", e == CT_ERR_ARG ? NULL : about_out ? a.out : a.in, NULL, e, &ei);
        return CLI_EXIT_ERROR;
    }
    if (res.truncated) {
        fprintf(stderr, "chimtrace export: %s: warning: %s (exported up to there)\n", a.in,
                cli_msg_without_file(res.truncation_msg, a.in));
    }
    if (!a.quiet)
        print_summary(&a, &res);
    if (res.damaged_chunks) {
        fprintf(stderr, "chimtrace export: %s: %" PRIu64 " corrupt chunk(s) skipped (first: %s)\n",
                a.in, res.damaged_chunks, res.damage_msg);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

const cli_verb cli_verb_export = {
    "export", "write a trace as Trace Event Format JSON for Perfetto / chrome://tracing",
    export_run, export_usage,
};
