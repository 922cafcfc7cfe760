/* report.h - the public face of `chimtrace report`: one self-contained HTML page (inline SVG
 * and CSS, no script, no network) with the timing picture of a trace.
 *
 * The numbers come from the stats engine (ct_stats.h), so the page and `chimtrace stats`
 * always agree; this module only lays them out: trace header and loss facts, the percentile
 * table, a latency histogram per operation and edge pair, the in-flight depth timeline,
 * throughput and per-block status breakdowns.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "ct_err.h"
#include "ct_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct report_opts {
    stats_by by;           /* grouping of the latency table and histograms (default op) */
    const char *title;     /* page title; NULL = "chimtrace report: <trace file name>" */
} report_opts;

void report_opts_init(report_opts *o);

/* Write the page for a finished engine `s` to `out`. `trace_path` names the input on the
 * page (may be NULL). CT_ERR_IO when writing fails. */
ct_err report_write_html(FILE *out, const stats_engine *s, const char *trace_path,
                         const report_opts *o);

/* Read `trace_path` (one streaming pass, bounded memory), and write the page to
 * `out_path` through "<out_path>.tmp" renamed into place when complete, so a failure
 * never leaves a half page behind. Truncated or damaged input still gives a page (the
 * page says so); a fatal read error returns its code with ei filled. */
ct_err report_write_file(const char *trace_path, const char *out_path, const report_opts *o,
                         ct_errinfo *ei);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_H */
