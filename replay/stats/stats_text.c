/* stats_text.c - chimtrace stats for people: facts, latency tables, throughput, statuses
 * and the depth timeline.
 *
 * Durations carry their unit (ns, us, ms, s). The uncertainty line comes first, next to
 * the facts that cause it, so nobody reads a p99 without knowing it may be incomplete.
 */
#include <string.h>

#include "ct_print.h"
#include "stats_int.h"

#define TL_TEXT_ROWS 16

const char *stats_fmt_ns(char *buf, size_t size, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, size, "%lluns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, size, "%.2fus", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, size, "%.3fms", (double)ns / 1e6);
    else
        snprintf(buf, size, "%.3fs", (double)ns / 1e9);
    return buf;
}

const char *stats_fmt_pct(char *buf, size_t size, double pct)
{
    snprintf(buf, size, "p%g", pct);
    return buf;
}

const char *stats_clock_name(const Chimtrace__V1__TraceHeader *h)
{
    const ProtobufCEnumValue *v = NULL;
    if (h && h->has_clock_source)
        v = protobuf_c_enum_descriptor_get_value(&chimtrace__v1__clock_source__descriptor,
                                                 (int)h->clock_source);
    return v ? v->name : "unknown";
}

static const char *rate(char *buf, size_t size, double v)
{
    if (v >= 1e6)
        snprintf(buf, size, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, size, "%.2fk", v / 1e3);
    else
        snprintf(buf, size, "%.2f", v);
    return buf;
}

static void text_facts(FILE *out, const stats_engine *s, const stats_summary *m, const char *path)
{
    const Chimtrace__V1__TraceHeader *h = s->header;
    char a[32], b[32];

    fprintf(out, "file:        %s\n", path ? path : "-");
    if (h)
        fprintf(out, "trace:       workload %s, seed %llu, producer %s %s, clock %s\n",
                h->workload ? h->workload : "?", (unsigned long long)h->seed,
                h->producer_name ? h->producer_name : "?",
                h->producer_version ? h->producer_version : "",
                stats_clock_name(h));
    fprintf(out, "events:      %llu in %llu records over %s (%s events/s)\n",
            (unsigned long long)m->events, (unsigned long long)m->records,
            stats_fmt_ns(a, sizeof a, m->duration_ns), rate(b, sizeof b, m->events_per_s));
    fprintf(out,
            "instances:   %llu seen, %llu completed (%llu with all four edges), %s ops/s, "
            "peak in flight %llu\n",
            (unsigned long long)m->instances, (unsigned long long)m->completed,
            (unsigned long long)m->complete_four_edges, rate(a, sizeof a, m->ops_per_s),
            (unsigned long long)m->max_depth);
    fprintf(out,
            "unmatched:   %llu in flight at the end, %llu lost (pending across a loss), "
            "%llu without req-in-above, %llu untracked (pending cap); %llu odd events\n",
            (unsigned long long)m->in_flight_at_end, (unsigned long long)m->lost_pending,
            (unsigned long long)m->orphans, (unsigned long long)m->untracked,
            (unsigned long long)m->odd_events);
    fprintf(out, "losses:      %llu loss records, %llu events lost; ",
            (unsigned long long)m->loss_records, (unsigned long long)m->lost_events);
    if (m->truncated)
        fprintf(out, "truncated at byte %llu (last complete chunk ends at byte %llu); ",
                (unsigned long long)m->truncated_at, (unsigned long long)m->complete_end);
    else
        fprintf(out, "not truncated; ");
    fprintf(out, "%llu damaged chunks; %llu truncated trees\n",
            (unsigned long long)m->damaged_chunks, (unsigned long long)m->truncated_trees);
    fprintf(out, "percentiles: histogram error <= %.2f%%; ",
            100.0 / (double)(1u << (STATS_HIST_SUB_BITS + 1)));
    if (!m->uncertain) {
        fprintf(out, "certain (every instance paired, nothing lost)\n");
        return;
    }
    fprintf(out, "UNCERTAIN:");
    for (unsigned i = 0; i < STATS_UNC_COUNT; i++)
        if (m->uncertain & (1u << i))
            fprintf(out, " %s", stats_uncertain_name(i));
    fprintf(out, "\n");
}

static void text_groups(FILE *out, const stats_engine *s, const stats_summary *m)
{
    char v[8][32];
    fprintf(out, "\nlatency by %s (spans: im = %s, nic = %s,\n  return = %s, e2e = %s)\n",
            stats_by_name(m->by), stats_span_label(STATS_SPAN_IM),
            stats_span_label(STATS_SPAN_NIC), stats_span_label(STATS_SPAN_RETURN),
            stats_span_label(STATS_SPAN_E2E));
    if (m->by == STATS_BY_CPU || m->by == STATS_BY_OBJECT)
        fprintf(out, "  %llu distinct rows; the top %u by instances are shown, the rest are "
                     "folded into 'other'\n",
                (unsigned long long)m->keys_total, m->top);
    int w = 10;
    for (size_t i = 0; i < stats_group_count(s); i++) {
        stats_group g;
        stats_group_get(s, i, &g);
        w = (int)strlen(g.label) > w ? (int)strlen(g.label) : w;
    }
    w = w > 60 ? 60 : w;
    fprintf(out, "  %-*s %-6s %9s %10s %10s %10s %10s %10s %10s %10s\n", w, "group", "span",
            "count", "min", "p50", "p90", "p99", "p99.9", "max", "mean");
    for (size_t i = 0; i < stats_group_count(s); i++) {
        stats_group g;
        stats_group_get(s, i, &g);
        fprintf(out, "  %-*.*s %-6s %9llu %10s %10s %10s %10s %10s %10s %10s\n", w, w, g.label,
                stats_span_name(g.span), (unsigned long long)g.count,
                stats_fmt_ns(v[0], 32, g.min_ns), stats_fmt_ns(v[1], 32, g.p50_ns),
                stats_fmt_ns(v[2], 32, g.p90_ns), stats_fmt_ns(v[3], 32, g.p99_ns),
                stats_fmt_ns(v[4], 32, g.p999_ns), stats_fmt_ns(v[5], 32, g.max_ns),
                stats_fmt_ns(v[6], 32, (uint64_t)(g.mean_ns + 0.5)));
    }
    if (stats_group_count(s) == 0)
        fprintf(out, "  (no paired edges)\n");
}

static void text_ops(FILE *out, const stats_engine *s)
{
    char a[32];
    fprintf(out, "\nthroughput by operation\n  %-24s %10s %10s %10s %12s\n", "op", "instances",
            "completed", "unmatched", "ops/s");
    for (size_t i = 0; i < stats_op_count(s); i++) {
        stats_op_facts f;
        stats_op_get(s, i, &f);
        fprintf(out, "  %-24s %10llu %10llu %10llu %12s\n", f.name,
                (unsigned long long)f.instances, (unsigned long long)f.completed,
                (unsigned long long)f.unmatched, rate(a, sizeof a, f.ops_per_s));
    }
}

static void text_status(FILE *out, const stats_engine *s)
{
    char hex[16];
    fprintf(out, "\nper-block status at completion (up: cmpl-out-above, nic: cmpl-in-below)\n"
                 "  %-24s %-32s %10s %10s\n", "op", "status", "up", "nic");
    for (size_t i = 0; i < stats_status_count(s); i++) {
        stats_status_row r;
        stats_status_get(s, i, &r);
        snprintf(hex, sizeof hex, "0x%08x", r.status);
        fprintf(out, "  %-24s %-32s %10llu %10llu\n", ct_print_op_name(r.op),
                r.name ? r.name : hex, (unsigned long long)r.count,
                (unsigned long long)r.nic_count);
    }
    if (s->status_overflow)
        fprintf(out, "  (%llu blocks not counted: more distinct statuses than the table holds)\n",
                (unsigned long long)s->status_overflow);
}

static void text_timeline(FILE *out, const stats_engine *s)
{
    size_t n = stats_timeline_count(s), per = (n + TL_TEXT_ROWS - 1) / TL_TEXT_ROWS;
    char a[32], b[32];
    if (n == 0)
        return;
    fprintf(out, "\nin flight over time (%zu buckets of ", n);
    stats_time_bucket t0;
    stats_timeline_get(s, 0, &t0);
    fprintf(out, "%s, shown %zu per row)\n  %-12s %-12s %9s %9s %10s %10s\n",
            stats_fmt_ns(a, sizeof a, t0.width_ns), per, "from", "to", "max", "mean",
            "events", "completed");
    for (size_t i = 0; i < n; i += per) {
        uint64_t maxd = 0, ev = 0, cp = 0, from = 0, to = 0;
        double area = 0, width = 0;
        for (size_t j = i; j < i + per && j < n; j++) {
            stats_time_bucket t;
            stats_timeline_get(s, j, &t);
            uint64_t cov = j + 1 == n ? s->tl.last_ts - t.start_ns : t.width_ns;
            if (j == i)
                from = t.start_ns;
            to = t.start_ns + cov;
            maxd = t.max_depth > maxd ? t.max_depth : maxd;
            area += t.mean_depth * (double)cov;
            width += (double)cov;
            ev += t.events;
            cp += t.completions;
        }
        fprintf(out, "  %-12s %-12s %9llu %9.2f %10llu %10llu\n",
                stats_fmt_ns(a, sizeof a, from - t0.start_ns),
                stats_fmt_ns(b, sizeof b, to - t0.start_ns), (unsigned long long)maxd,
                width > 0 ? area / width : 0.0, (unsigned long long)ev, (unsigned long long)cp);
    }
}

ct_err stats_write_text(FILE *out, const stats_engine *s, const char *path)
{
    stats_summary m;
    if (!s || !s->finished)
        return CT_ERR_STATE;
    stats_get_summary(s, &m);
    text_facts(out, s, &m, path);
    text_groups(out, s, &m);
    text_ops(out, s);
    text_status(out, s);
    text_timeline(out, s);
    return ferror(out) ? CT_ERR_IO : CT_OK;
}

/* Bin of a value: 0 for [0, 128), then one per power of two from 2^7 up. */
static unsigned pow2_bin(uint64_t v)
{
    unsigned e = 0;

    while (e < 63 && (v >> (e + 1)) != 0)
        e++;
    return v < 128 ? 0 : e - 6;
}

ct_err stats_write_text_histograms(FILE *out, const stats_engine *s)
{
    enum { BINS = 58, BAR = 40 };
    stats_group g;

    fputs("\nlatency histograms (bins of a power of two; # = share of the group's samples)\n",
          out);
    for (size_t i = 0; stats_group_get(s, i, &g) == 0; i++) {
        uint64_t bins[BINS] = {0}, top = 0, lo, hi, count;
        unsigned pos = 0, first = BINS, last = 0;

        while (stats_hist_next(g.hist, &pos, &lo, &hi, &count)) {
            unsigned b = pow2_bin(lo);

            bins[b] += count;
            first = b < first ? b : first;
            last = b > last ? b : last;
        }
        fprintf(out, "  %s %s (n=%llu)\n", g.label, stats_span_name(g.span),
                (unsigned long long)g.count);
        for (unsigned b = first; b <= last && first < BINS; b++) {
            top = bins[b] > top ? bins[b] : top;
        }
        for (unsigned b = first; b <= last && first < BINS; b++) {
            char a[32], z[32];
            int n = top ? (int)((bins[b] * BAR + top - 1) / top) : 0;

            stats_fmt_ns(a, sizeof a, b == 0 ? 0 : 1ull << (b + 6));
            stats_fmt_ns(z, sizeof z, b == 0 ? 128 : b + 7 >= 64 ? UINT64_MAX : 1ull << (b + 7));
            fprintf(out, "    [%9s, %9s) %10llu %.*s\n", a, z, (unsigned long long)bins[b], n,
                    "########################################");
        }
    }
    return ferror(out) ? CT_ERR_IO : CT_OK;
}
