/* report.c - lays out `chimtrace report`'s page from a finished stats engine.
 *
 * Sections, in the order an engineer reads them: what the trace is (header) and how much to
 * trust it (loss, truncation, unmatched instances), the percentile table, a histogram per
 * operation and edge pair, the in-flight depth timeline, throughput, and per-block status
 * breakdowns. Everything is derived from ct_stats queries; nothing is computed twice.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ct_outfile.h"
#include "ct_print.h"
#include "report.h"
#include "report_int.h"

void report_opts_init(report_opts *o)
{
    o->by = STATS_BY_OP;
    o->title = NULL;
}

static const char page_css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;"
    "color:#1b1b1b;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
    "border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}"
    "table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px;text-align:right;"
    "border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}"
    "th{background:#f4f4f4}td.l,th.l{text-align:left}"
    ".facts th{text-align:left;background:none;font-weight:600;color:#444}"
    ".facts td{text-align:left}"
    ".warn{background:#fff4e5;border:1px solid #e69f00;padding:8px 12px;margin:10px 0}"
    ".ok{background:#eaf7f0;border:1px solid #009e73;padding:8px 12px;margin:10px 0}"
    ".grid{display:flex;flex-wrap:wrap;gap:12px}.grid svg{border:1px solid #eee;"
    "width:calc(50% - 8px);min-width:420px;height:auto}svg.depth{width:100%;max-width:1100px;"
    "height:auto}"
    ".muted{color:#666}code{font-size:13px}";

static void html_head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"chimtrace report\">\n<title>", f);
    rp_html_escape(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", page_css);
    rp_html_escape(f, title);
    fputs("</h1>\n", f);
}

/* The header as ct_print_header_text prints it ("  name: value" lines), as a table. */
static void section_header(FILE *f, const stats_engine *s, const char *path)
{
    const Chimtrace__V1__TraceHeader *hdr = stats_header(s);
    char *text = NULL;
    size_t len = 0;
    FILE *mem;

    fputs("<h2>Trace</h2>\n<table class=\"facts\">\n", f);
    if (path) {
        fputs("<tr><th>file</th><td><code>", f);
        rp_html_escape(f, path);
        fputs("</code></td></tr>\n", f);
    }
    if (!hdr) {
        fputs("<tr><th>header</th><td>none (the file has no header record)</td></tr>\n"
              "</table>\n", f);
        return;
    }
    mem = open_memstream(&text, &len);
    if (mem) {
        ct_print_header_text(mem, hdr, 0);
        fclose(mem);
    }
    for (char *line = text, *next; line && *line; line = next) {
        char *colon;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        while (*line == ' ')
            line++;
        colon = strstr(line, ": ");
        if (!colon)
            continue;
        *colon = '\0';
        fputs("<tr><th>", f);
        rp_html_escape(f, line);
        fputs("</th><td>", f);
        rp_html_escape(f, colon + 2);
        fputs("</td></tr>\n", f);
    }
    free(text);
    fputs("</table>\n", f);
}

static void fact_row(FILE *f, const char *name, const char *value)
{
    fputs("<tr><th>", f);
    rp_html_escape(f, name);
    fputs("</th><td>", f);
    rp_html_escape(f, value);
    fputs("</td></tr>\n", f);
}

static void fact_count(FILE *f, const char *name, uint64_t n)
{
    char b[32];

    fact_row(f, name, rp_fmt_count(b, n));
}

/* What was recorded, what was lost, and whether the percentiles can be trusted. */
static void section_losses(FILE *f, const stats_summary *m)
{
    char b[64], d[32];

    fputs("<h2>Coverage and losses</h2>\n", f);
    if (m->uncertain) {
        fputs("<div class=\"warn\" id=\"uncertain\"><b>Percentiles are uncertain:</b> ", f);
        for (unsigned i = 0, first = 1; stats_uncertain_name(i); i++)
            if (m->uncertain & (1u << i)) {
                fprintf(f, "%s%s", first ? "" : ", ", stats_uncertain_name(i));
                first = 0;
            }
        fputs(". Operations that were lost or cut off are missing from the latency figures, "
              "and they are likely the slow ones.</div>\n", f);
    } else {
        fputs("<div class=\"ok\" id=\"certain\">Complete trace: no losses, no truncation, "
              "every operation instance matched.</div>\n", f);
    }
    fputs("<table class=\"facts\">\n", f);
    fact_count(f, "records", m->records);
    fact_count(f, "events", m->events);
    fact_row(f, "duration", rp_fmt_ns(d, (double)m->duration_ns));
    fact_count(f, "operation instances", m->instances);
    fact_count(f, "completed", m->completed);
    fact_count(f, "completed with all four edges", m->complete_four_edges);
    fact_count(f, "in flight at the end", m->in_flight_at_end);
    fact_count(f, "pending across a loss", m->lost_pending);
    fact_count(f, "orphan completions", m->orphans);
    fact_count(f, "peak in flight", m->max_depth);
    fact_count(f, "loss records", m->loss_records);
    fact_count(f, "events lost", m->lost_events);
    fact_count(f, "truncated trees", m->truncated_trees);
    if (m->truncated) {
        snprintf(b, sizeof b, "yes, at byte %llu (complete chunks end at byte %llu)",
                 (unsigned long long)m->truncated_at, (unsigned long long)m->complete_end);
        fact_row(f, "file truncated", b);
    } else {
        fact_row(f, "file truncated", "no");
    }
    fact_count(f, "damaged chunks skipped", m->damaged_chunks);
    fputs("</table>\n", f);
}

static void td_ns(FILE *f, double ns)
{
    char b[32];

    fprintf(f, "<td>%s</td>", rp_fmt_ns(b, ns));
}

static void section_percentiles(FILE *f, const stats_engine *s, const stats_summary *m)
{
    stats_group g;
    char c[32];

    fprintf(f, "<h2>Latency percentiles (by %s)</h2>\n"
               "<p class=\"muted\">Spans: <b>im</b> = request in from above to request out "
               "below (the IM driver's own cost); <b>nic</b> = request out to completion in "
               "(the NIC); <b>return</b> = completion in to completion out; <b>e2e</b> = end "
               "to end. Percentiles are within 0.4%% of the exact values.</p>\n"
               "<table id=\"percentiles\">\n<tr><th class=\"l\">group</th><th class=\"l\">span"
               "</th><th>count</th><th>min</th><th>p50</th><th>p90</th><th>p99</th>"
               "<th>p99.9</th><th>max</th><th>mean</th></tr>\n",
            stats_by_name(m->by));
    for (size_t i = 0; stats_group_get(s, i, &g) == 0; i++) {
        fputs("<tr><td class=\"l\">", f);
        rp_html_escape(f, g.label);
        fprintf(f, "</td><td class=\"l\">%s</td><td>%s</td>", stats_span_name(g.span),
                rp_fmt_count(c, g.count));
        td_ns(f, (double)g.min_ns);
        td_ns(f, (double)g.p50_ns);
        td_ns(f, (double)g.p90_ns);
        td_ns(f, (double)g.p99_ns);
        td_ns(f, (double)g.p999_ns);
        td_ns(f, (double)g.max_ns);
        td_ns(f, g.mean_ns);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* One histogram chart per group; a sub-heading whenever the group label changes. */
static int section_histograms(FILE *f, const stats_engine *s)
{
    rp_bucket *b = malloc(STATS_HIST_BUCKETS * sizeof *b);
    const char *open_label = NULL;
    stats_group g;

    if (!b)
        return -1;
    fputs("<h2>Latency histograms</h2>\n", f);
    for (size_t i = 0; stats_group_get(s, i, &g) == 0; i++) {
        rp_marker mk[3] = {{"p50", (double)g.p50_ns}, {"p99", (double)g.p99_ns},
                           {"p99.9", (double)g.p999_ns}};
        uint64_t lo, hi, count;
        unsigned pos = 0;
        size_t n = 0;
        char title[160];

        if (!open_label || strcmp(open_label, g.label) != 0) {
            if (open_label)
                fputs("</div>\n", f);
            fputs("<h3>", f);
            rp_html_escape(f, g.label);
            fputs("</h3>\n<div class=\"grid\">\n", f);
            open_label = g.label;
        }
        while (n < STATS_HIST_BUCKETS && stats_hist_next(g.hist, &pos, &lo, &hi, &count)) {
            b[n].lo = (double)lo;
            b[n].hi = (double)hi + 1;
            b[n].count = count;
            n++;
        }
        snprintf(title, sizeof title, "%s: %s (%s), n=%llu", g.label, stats_span_name(g.span),
                 stats_span_label(g.span), (unsigned long long)g.count);
        rp_svg_histogram(f, title, b, n, mk, 3);
    }
    if (open_label)
        fputs("</div>\n", f);
    else
        fputs("<p class=\"muted\">No completed operation instances.</p>\n", f);
    free(b);
    return 0;
}

static int section_timeline(FILE *f, const stats_engine *s, const stats_summary *m)
{
    size_t n = stats_timeline_count(s);
    rp_depth_point *p = calloc(n ? n : 1, sizeof *p);
    stats_time_bucket tb;
    char w[32];

    if (!p)
        return -1;
    for (size_t i = 0; i < n && stats_timeline_get(s, i, &tb) == 0; i++) {
        p[i].start_ns = (double)(tb.start_ns - m->first_ts_ns);
        p[i].width_ns = (double)tb.width_ns;
        p[i].max_depth = (double)tb.max_depth;
        p[i].mean_depth = tb.mean_depth;
    }
    fprintf(f, "<h2>In-flight depth</h2>\n<p class=\"muted\">%zu steps of %s; peak %llu "
               "instances in flight.</p>\n", n,
            n && stats_timeline_get(s, 0, &tb) == 0 ? rp_fmt_ns(w, (double)tb.width_ns) : "-",
            (unsigned long long)m->max_depth);
    rp_svg_depth_timeline(f, p, n);
    free(p);
    return 0;
}

static void section_throughput(FILE *f, const stats_engine *s, const stats_summary *m)
{
    stats_op_facts o;
    char a[32], b[32], c[32];

    fprintf(f, "<h2>Throughput</h2>\n<p>%.1f events/s and %.1f completed operations/s over "
               "%s of trace time.</p>\n<table id=\"throughput\">\n<tr><th class=\"l\">operation"
               "</th><th>instances</th><th>completed</th><th>unmatched</th><th>ops/s</th>"
               "</tr>\n",
            m->events_per_s, m->ops_per_s, rp_fmt_ns(a, (double)m->duration_ns));
    for (size_t i = 0; stats_op_get(s, i, &o) == 0; i++) {
        fputs("<tr><td class=\"l\">", f);
        rp_html_escape(f, o.name);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%.1f</td></tr>\n",
                rp_fmt_count(a, o.instances), rp_fmt_count(b, o.completed),
                rp_fmt_count(c, o.unmatched), o.ops_per_s);
    }
    fputs("</table>\n", f);
}

/* Status breakdown of one op, as reported up (cmpl-out-above) and by the NIC. */
static void status_bars(FILE *f, const stats_engine *s, size_t first, size_t end)
{
    size_t n = end - first;
    const char **labels = calloc(n, sizeof *labels);
    uint64_t *up = calloc(n, sizeof *up), *nic = calloc(n, sizeof *nic);
    char (*hex)[32] = calloc(n, sizeof *hex);
    stats_status_row r;

    if (labels && up && nic && hex) {
        for (size_t i = 0; i < n && stats_status_get(s, first + i, &r) == 0; i++) {
            snprintf(hex[i], sizeof hex[i], "0x%08X", (unsigned)r.status);
            labels[i] = r.name ? r.name : hex[i];
            up[i] = r.count;
            nic[i] = r.nic_count;
        }
        fputs("<p class=\"muted\">reported up by the IM (completion out above)</p>\n", f);
        rp_svg_proportion(f, labels, up, n, 600);
        fputs("<p class=\"muted\">reported by the NIC (completion in below)</p>\n", f);
        rp_svg_proportion(f, labels, nic, n, 600);
    }
    free(labels);
    free(up);
    free(nic);
    free(hex);
}

static void section_status(FILE *f, const stats_engine *s)
{
    size_t n = stats_status_count(s), first = 0;
    stats_status_row r, q;

    fputs("<h2>Per-block status</h2>\n", f);
    if (n == 0) {
        fputs("<p class=\"muted\">No completions.</p>\n", f);
        return;
    }
    while (first < n && stats_status_get(s, first, &r) == 0) {
        size_t end = first + 1;

        while (end < n && stats_status_get(s, end, &q) == 0 && q.op == r.op)
            end++;
        fputs("<h3>", f);
        rp_html_escape(f, ct_print_op_name(r.op));
        fputs("</h3>\n", f);
        status_bars(f, s, first, end);
        first = end;
    }
}

ct_err report_write_html(FILE *f, const stats_engine *s, const char *trace_path,
                         const report_opts *o)
{
    report_opts def;
    stats_summary m;
    char title[512];

    if (!o) {
        report_opts_init(&def);
        o = &def;
    }
    stats_get_summary(s, &m);
    if (o->title) {
        snprintf(title, sizeof title, "%s", o->title);
    } else {
        const char *base = trace_path ? strrchr(trace_path, '/') : NULL;

        snprintf(title, sizeof title, "chimtrace report: %s",
                 base ? base + 1 : trace_path ? trace_path : "trace");
    }
    html_head(f, title);
    section_header(f, s, trace_path);
    section_losses(f, &m);
    if (section_timeline(f, s, &m) < 0)
        return CT_ERR_NOMEM;
    section_percentiles(f, s, &m);
    if (section_histograms(f, s) < 0)
        return CT_ERR_NOMEM;
    section_throughput(f, s, &m);
    section_status(f, s);
    fputs("<p class=\"muted\">Generated by chimtrace report from the trace alone: the same "
          "trace gives the same page.</p>\n</body>\n</html>\n", f);
    return ferror(f) ? CT_ERR_IO : CT_OK;
}

ct_err report_write_file(const char *trace_path, const char *out_path, const report_opts *o,
                         ct_errinfo *ei)
{
    stats_opts so;
    stats_engine *s = NULL;
    ct_outfile of;
    ct_err e;

    stats_opts_init(&so);
    if (o)
        so.by = o->by;
    e = stats_process_file(trace_path, &so, &s, ei);
    if (e != CT_OK)
        return e;
    if ((e = ct_outfile_open(&of, out_path, ei)) == CT_OK) {
        e = report_write_html(of.f, s, trace_path, o);
        if (e != CT_OK)
            ct_seterr(ei, e, CT_NO_OFFSET, "%s: %s", of.tmp,
                      e == CT_ERR_IO ? "write failed" : ct_strerror(e));
        e = ct_outfile_close(&of, e, ei);
    }
    stats_free(s);
    return e;
}
