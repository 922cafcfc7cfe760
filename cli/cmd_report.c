/* cmd_report.c - `chimtrace report FILE -o report.html`: the timing picture of a trace as
 * one self-contained HTML page.
 *
 * Option parsing only; the numbers come from the stats engine (replay/stats) and the page
 * from replay/report, so `stats` and `report` always agree.
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "report.h"

static void report_usage(FILE *out)
{
    fputs("Usage: chimtrace report FILE -o OUT.html [--by GROUPING] [--title TEXT]\n"
          "\n"
          "Write one self-contained HTML page (inline SVG and CSS; no script, no fonts, no\n"
          "network access) describing the timing of a trace: its header and loss facts,\n"
          "a percentile table, a latency histogram per operation and edge pair, the\n"
          "in-flight depth over time, throughput, and per-block status breakdowns. The\n"
          "figures are those of 'chimtrace stats' on the same file. Reads the trace once,\n"
          "in bounded memory. The page goes to OUT.html.tmp first and is renamed into\n"
          "place when complete.\n"
          "\n"
          "Options:\n"
          "  -o, --output OUT.html  where to write the page (required)\n"
          "  --by GROUPING          rows of the table and histograms: op (default), edge,\n"
          "                         state-type, cpu or workload-object\n"
          "  --title TEXT           page title (default: \"chimtrace report: FILE\")\n"
          "  -h, --help             show this help\n"
          "\n"
          "Exit status:\n"
          "  0  the page was written (a truncated or lossy trace gives a page that says so)\n"
          "  2  bad arguments, an unreadable input, or the page could not be written\n",
          out);
}

typedef struct report_args {
    const char *path, *out;
    report_opts opts;
} report_args;

static int report_option(void *ctx, int argc, char **argv, int *i)
{
    report_args *a = ctx;
    const char *val;
    int m;

    if ((m = cli_opt_value("report", argc, argv, i, "-o", &val)) ||
        (m = cli_opt_value("report", argc, argv, i, "--output", &val)))
        return m < 0 ? -1 : (a->out = val, 1);
    if ((m = cli_opt_value("report", argc, argv, i, "--by", &val))) {
        if (m > 0 && stats_by_parse(val, &a->opts.by) < 0)
            return cli_usage_error("report", "--by: expected op, edge, state-type, cpu or "
                                   "workload-object, got '%s'", val), -1;
        return m;
    }
    if ((m = cli_opt_value("report", argc, argv, i, "--title", &val)))
        return m < 0 ? -1 : (a->opts.title = val, 1);
    return 0;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int report_parse(int argc, char **argv, report_args *a)
{
    int rc;

    memset(a, 0, sizeof *a);
    report_opts_init(&a->opts);
    if ((rc = cli_scan_args("report", argc, argv, report_option, a, &a->path, 1, 1, "FILE")))
        return rc;
    if (!a->out)
        return cli_usage_error("report", "missing -o OUT.html"), -1;
    return 0;
}

static int report_run(int argc, char **argv)
{
    report_args a;
    ct_errinfo ei;
    ct_err err;
    int rc = report_parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? (report_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    memset(&ei, 0, sizeof ei);
    err = report_write_file(a.path, a.out, &a.opts, &ei);
    if (err != CT_OK) {
        cli_report("report", a.path, NULL, err, &ei);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

const cli_verb cli_verb_report = {
    "report", "write a self-contained HTML page of a trace's timing (SVG charts)",
    report_run, report_usage,
};
