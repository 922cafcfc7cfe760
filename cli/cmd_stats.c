/* cmd_stats.c - `chimtrace stats FILE [--baseline OLD]`: latency, depth, throughput and
 * status tables of a trace, and the CI regression gate against a baseline.
 *
 * Option parsing, the read loop (so that damage and truncation are reported the house way)
 * and the exit status only: every figure comes from ct_stats (replay/stats/ct_stats.h).
 * Exit 0 ok, 1 a judged percentile regressed beyond the threshold, 2 error.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "ct_duration.h"
#include "ct_stats.h"

static void stats_usage(FILE *out)
{
    fputs("Usage: chimtrace stats FILE [--format text|json] [--by GROUPING] [--top N]\n"
          "       chimtrace stats NEW --baseline OLD [--threshold PCT] [--percentile LIST]\n"
          "                           [--min-delta DURATION] [--min-count N] [--format F]\n"
          "\n"
          "Timing analysis of a trace, in one streaming pass and bounded memory. The four\n"
          "edges of each operation instance are paired by op_id, giving four latencies:\n"
          "  im      req-in-above -> req-out-below   (the IM driver's own cost)\n"
          "  nic     req-out-below -> cmpl-in-below  (the NIC's cost)\n"
          "  return  cmpl-in-below -> cmpl-out-above (the return cost)\n"
          "  e2e     req-in-above -> cmpl-out-above  (end to end)\n"
          "each with count, min, p50, p90, p99, p99.9, max and mean from a log-linear\n"
          "histogram (percentiles within 0.39% of the exact sample). Also: instances in\n"
          "flight over time (max and mean depth per time bucket), throughput overall and per\n"
          "operation, the per-block status distribution at the completion edges, and the\n"
          "losses, truncation and damage that make percentiles uncertain (said in every\n"
          "format). Requests whose completion never arrives are counted separately (in\n"
          "flight at the end, lost, without a request), never dropped silently.\n"
          "\n"
          "With --baseline, prints per group and edge pair the change of each judged\n"
          "percentile from OLD to NEW (absolute and %) and exits 1 when any regresses: NEW is\n"
          "slower by more than PCT% AND by at least the --min-delta floor, with at least\n"
          "--min-count samples on both sides. The floor keeps tiny values (0 -> 1 ns is an\n"
          "infinite percentage) from failing a build. Groups on one side only are listed,\n"
          "not judged.\n"
          "\n"
          "Options:\n"
          "  --format text|json     text for people (default) or one JSON object\n"
          "                         (replay/stats/STATS_JSON.md)\n"
          "  --by GROUPING          rows of the latency tables: op (default), edge (all\n"
          "                         operations together), state-type (the kinds of state in\n"
          "                         the request's tree), cpu (ring of the request), or\n"
          "                         workload-object (the root block's neighbor/path/TCP\n"
          "                         4-tuple); cpu and workload-object keep the top N rows\n"
          "                         by instances and fold the rest into 'other'\n"
          "  --histograms           text: also draw each group's latency histogram (bins of\n"
          "                         a power of two; --format json has every bucket)\n"
          "  --top N                rows kept for cpu / workload-object (default 16, max 64)\n"
          "  --baseline OLD         compare FILE against the trace OLD\n"
          "  --threshold PCT        allowed slowdown in percent (default 10)\n"
          "  --percentile LIST      percentiles judged, e.g. p50,p99,p99.9 (default p99)\n"
          "  --min-delta DURATION   smallest slowdown that can regress: 0, 500ns, 1us (the\n"
          "                         default), 2ms, 1s\n"
          "  --min-count N          groups with fewer samples on either side are not judged\n"
          "                         (default 1)\n"
          "  -h, --help             show this help\n"
          "\n"
          "Exit status:\n"
          "  0  the trace was analysed; with --baseline, no judged percentile regressed.\n"
          "     A truncated trace or one that lost events is analysed as far as it goes and\n"
          "     flagged uncertain.\n"
          "  1  with --baseline: at least one judged percentile regressed beyond the threshold.\n"
          "  2  bad arguments; a file cannot be opened or is not a trace; a chunk was corrupt\n"
          "     (reported by byte offset and skipped; the figures are still printed).\n",
          out);
}

typedef struct stats_args {
    const char *path, *baseline;
    cli_format format;
    stats_opts opts;
    stats_cmp_opts cmp;
    const char *cmp_option;     /* a --baseline-only option given, for the usage check */
    int histograms;             /* text: also draw each group's histogram */
} stats_args;

/* --min-delta: "0", or a duration as every chimtrace option spells it (ct_duration.h). */
static int parse_duration(const char *text, uint64_t *out)
{
    if (strcmp(text, "0") == 0)
        return *out = 0, 0;
    return ct_duration_parse(text, strlen(text), 1, UINT64_MAX / 2, out) == CT_DURATION_OK ? 0
                                                                                      : -1;
}

static int parse_pct_list(const char *text, stats_cmp_opts *c)
{
    const char *p = text;
    c->n_pcts = 0;
    while (*p) {
        char *end;
        if (*p == 'p' || *p == 'P')
            p++;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !(v > 0) || v > 100 || c->n_pcts == STATS_MAX_PCTS)
            return -1;
        c->pcts[c->n_pcts++] = v;
        if (*end == ',' && end[1])
            end++;
        else if (*end)
            return -1;
        p = end;
    }
    return c->n_pcts ? 0 : -1;
}

/* One option of the verb; 1 consumed, 0 not ours, -1 usage error (reported). */
static int stats_option(void *ctx, int argc, char **argv, int *i)
{
    stats_args *a = ctx;
    const char *v;
    uint64_t n;
    int m;

    if ((m = cli_opt_value("stats", argc, argv, i, "--format", &v)))
        return m < 0 || cli_parse_format("stats", v, CLI_FORMAT_TEXT | CLI_FORMAT_JSON,
                                         &a->format) < 0 ? -1 : 1;
    if ((m = cli_opt_value("stats", argc, argv, i, "--by", &v))) {
        if (m > 0 && stats_by_parse(v, &a->opts.by) < 0)
            return cli_usage_error("stats", "--by: expected op, edge, state-type, cpu or "
                                            "workload-object, got '%s'", v), -1;
        return m;
    }
    if (strcmp(argv[*i], "--histograms") == 0)
        return a->histograms = 1, 1;
    if ((m = cli_opt_value("stats", argc, argv, i, "--top", &v))) {
        if (m < 0 || cli_parse_u64("stats", "--top", v, 1, 64, &n) < 0)
            return -1;
        a->opts.top = (uint32_t)n;
        return 1;
    }
    if ((m = cli_opt_value("stats", argc, argv, i, "--baseline", &v))) {
        a->baseline = v;
        return m;
    }
    if ((m = cli_opt_value("stats", argc, argv, i, "--threshold", &v))) {
        a->cmp_option = "--threshold";
        char *end;
        if (m < 0)
            return -1;
        errno = 0;
        a->cmp.threshold_pct = strtod(v, &end);
        if (end == v || *end || errno || !(a->cmp.threshold_pct >= 0) ||
            a->cmp.threshold_pct > 1e6)
            return cli_usage_error("stats", "--threshold: expected a percentage >= 0, got "
                                            "'%s'", v), -1;
        return 1;
    }
    if ((m = cli_opt_value("stats", argc, argv, i, "--percentile", &v))) {
        a->cmp_option = "--percentile";
        if (m > 0 && parse_pct_list(v, &a->cmp) < 0)
            return cli_usage_error("stats", "--percentile: expected a list like p50,p99,p99.9 "
                                            "(at most %d, each in (0, 100]), got '%s'",
                                   STATS_MAX_PCTS, v), -1;
        return m;
    }
    if ((m = cli_opt_value("stats", argc, argv, i, "--min-delta", &v))) {
        a->cmp_option = "--min-delta";
        if (m > 0 && parse_duration(v, &a->cmp.min_delta_ns) < 0)
            return cli_usage_error("stats", "--min-delta: expected a duration like 0, 500ns, "
                                            "1us, 2ms, got '%s'", v), -1;
        return m;
    }
    if ((m = cli_opt_value("stats", argc, argv, i, "--min-count", &v))) {
        a->cmp_option = "--min-count";
        if (m < 0 || cli_parse_u64("stats", "--min-count", v, 0, UINT64_MAX, &n) < 0)
            return -1;
        a->cmp.min_count = n;
        return 1;
    }
    return 0;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int stats_parse(int argc, char **argv, stats_args *a)
{
    int rc;

    memset(a, 0, sizeof *a);
    a->format = CLI_FORMAT_TEXT;
    stats_opts_init(&a->opts);
    stats_cmp_opts_init(&a->cmp);
    if ((rc = cli_scan_args("stats", argc, argv, stats_option, a, &a->path, 1, 1, "FILE")))
        return rc;
    if (a->cmp_option && !a->baseline)
        return cli_usage_error("stats", "%s applies to a comparison: add --baseline OLD",
                               a->cmp_option), -1;
    return 0;
}

typedef struct stats_problems {
    const char *path;
    int damaged;
} stats_problems;

/* The reader's problems as they come: truncation is a warning, damage an error. */
static void stats_problem(void *ctx, ct_err code, const ct_errinfo *pei)
{
    stats_problems *p = ctx;

    cli_report("stats", p->path, code == CT_ERR_TRUNCATED ? "warning: " : NULL, code, pei);
    p->damaged |= code != CT_ERR_TRUNCATED;
}

/* Read `path` into a finished engine. Returns 0, 1 when a chunk was damaged (figures still
 * valid), -1 on a fatal error (reported). */
static int stats_read(const char *path, const stats_opts *opts, stats_engine **out)
{
    stats_problems p = {path, 0};
    ct_errinfo ei;
    ct_err err;

    memset(&ei, 0, sizeof ei);
    err = stats_process_file_cb(path, opts, stats_problem, &p, out, &ei);
    if (err != CT_OK) {
        cli_report("stats", path, NULL, err, &ei);
        return -1;
    }
    return p.damaged;
}

static int stats_run(int argc, char **argv)
{
    stats_engine *cur = NULL, *base = NULL;
    stats_args a;
    uint64_t regressions = 0;
    int rc = stats_parse(argc, argv, &a), dc, db = 0;
    ct_err err;

    if (rc)
        return rc > 0 ? (stats_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    if ((dc = stats_read(a.path, &a.opts, &cur)) < 0)
        return CLI_EXIT_ERROR;
    if (a.baseline && (db = stats_read(a.baseline, &a.opts, &base)) < 0) {
        stats_free(cur);
        return CLI_EXIT_ERROR;
    }
    if (a.baseline)
        err = stats_compare_write(stdout, a.format == CLI_FORMAT_JSON, cur, a.path, base,
                                  a.baseline, &a.cmp, &regressions);
    else if (a.format == CLI_FORMAT_JSON)
        err = stats_write_json(stdout, cur, a.path);
    else
        err = stats_write_text(stdout, cur, a.path);
    if (err == CT_OK && a.histograms && !a.baseline && a.format == CLI_FORMAT_TEXT)
        err = stats_write_text_histograms(stdout, cur);
    stats_free(cur);
    stats_free(base);
    if (err != CT_OK || fflush(stdout) != 0) {
        fprintf(stderr, "chimtrace stats: writing the report: %s\n",
                ct_strerror(err != CT_OK ? err : CT_ERR_IO));
        return CLI_EXIT_ERROR;
    }
    if (dc || db)
        return CLI_EXIT_ERROR;
    return regressions ? CLI_EXIT_DIFFERS : CLI_EXIT_OK;
}

const cli_verb cli_verb_stats = {
    "stats", "latency per operation and edge pair, depth, throughput; --baseline gate",
    stats_run, stats_usage,
};
