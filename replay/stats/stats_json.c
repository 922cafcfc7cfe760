/* stats_json.c - chimtrace stats as one JSON object (fields in STATS_JSON.md).
 *
 * Keys are fixed and always present, so scripts never test for existence; numbers are
 * integers in ns except the rates and means. The uncertainty facts sit at the top level
 * ("uncertain" and "uncertain_reasons") because every percentile depends on them.
 */
#include <string.h>

#include "ct_print.h"
#include "stats_int.h"

#define U(x) ((unsigned long long)(x))

static void json_num(FILE *out, double v)
{
    fprintf(out, "%.6g", v == v ? v : 0.0);
}

void stats_json_reasons(FILE *out, unsigned mask)
{
    int first = 1;
    fputc('[', out);
    for (unsigned i = 0; i < STATS_UNC_COUNT; i++) {
        if (!(mask & (1u << i)))
            continue;
        fprintf(out, "%s\"%s\"", first ? "" : ",", stats_uncertain_name(i));
        first = 0;
    }
    fputc(']', out);
}

static void json_header(FILE *out, const stats_engine *s)
{
    const Chimtrace__V1__TraceHeader *h = s->header;
    fputs("\"header\":{\"workload\":", out);
    ct_print_json_string(out, h && h->workload ? h->workload : "");
    fputs(",\"seed\":", out);
    fprintf(out, "%llu", U(h && h->has_seed ? h->seed : 0));
    fputs(",\"producer_name\":", out);
    ct_print_json_string(out, h && h->producer_name ? h->producer_name : "");
    fputs(",\"producer_version\":", out);
    ct_print_json_string(out, h && h->producer_version ? h->producer_version : "");
    fputs(",\"clock_source\":", out);
    ct_print_json_string(out, stats_clock_name(h));
    fprintf(out, ",\"present\":%s}", h ? "true" : "false");
}

static void json_summary(FILE *out, const stats_summary *m)
{
    fprintf(out,
            "\"summary\":{\"records\":%llu,\"events\":%llu,\"first_ts_ns\":%llu,"
            "\"last_ts_ns\":%llu,\"duration_ns\":%llu,\"events_per_s\":",
            U(m->records), U(m->events), U(m->first_ts_ns), U(m->last_ts_ns),
            U(m->duration_ns));
    json_num(out, m->events_per_s);
    fputs(",\"ops_per_s\":", out);
    json_num(out, m->ops_per_s);
    fprintf(out,
            ",\"instances\":%llu,\"completed\":%llu,\"complete_four_edges\":%llu,"
            "\"in_flight_at_end\":%llu,\"lost_pending\":%llu,\"orphans\":%llu,"
            "\"untracked\":%llu,\"odd_events\":%llu,\"max_depth\":%llu}",
            U(m->instances), U(m->completed), U(m->complete_four_edges),
            U(m->in_flight_at_end), U(m->lost_pending), U(m->orphans), U(m->untracked),
            U(m->odd_events), U(m->max_depth));
    fprintf(out,
            ",\"loss\":{\"loss_records\":%llu,\"lost_events\":%llu,\"truncated\":%s,"
            "\"truncated_at\":%llu,\"complete_end\":%llu,\"damaged_chunks\":%llu,"
            "\"truncated_trees\":%llu}",
            U(m->loss_records), U(m->lost_events), m->truncated ? "true" : "false",
            U(m->truncated_at), U(m->complete_end), U(m->damaged_chunks),
            U(m->truncated_trees));
    fprintf(out, ",\"uncertain\":%s,\"uncertain_reasons\":", m->uncertain ? "true" : "false");
    stats_json_reasons(out, m->uncertain);
}

static void json_groups(FILE *out, const stats_engine *s)
{
    fputs(",\"groups\":[", out);
    for (size_t i = 0; i < stats_group_count(s); i++) {
        stats_group g;
        unsigned pos = 0;
        uint64_t lo, hi, c;
        stats_group_get(s, i, &g);
        fprintf(out, "%s{\"key\":", i ? "," : "");
        if (g.key == STATS_KEY_OTHER)
            fputs("null", out);
        else
            fprintf(out, "%llu", U(g.key));
        fputs(",\"label\":", out);
        ct_print_json_string(out, g.label);
        fprintf(out,
                ",\"span\":\"%s\",\"count\":%llu,\"min_ns\":%llu,\"p50_ns\":%llu,"
                "\"p90_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu,\"mean_ns\":",
                stats_span_name(g.span), U(g.count), U(g.min_ns), U(g.p50_ns), U(g.p90_ns),
                U(g.p99_ns), U(g.p999_ns), U(g.max_ns));
        json_num(out, g.mean_ns);
        fprintf(out, ",\"sum_ns\":%llu,\"buckets\":[", U(stats_hist_sum(g.hist)));
        for (int first = 1; stats_hist_next(g.hist, &pos, &lo, &hi, &c); first = 0)
            fprintf(out, "%s[%llu,%llu,%llu]", first ? "" : ",", U(lo), U(hi), U(c));
        fputs("]}", out);
    }
    fputc(']', out);
}

static void json_ops_status(FILE *out, const stats_engine *s)
{
    fputs(",\"ops\":[", out);
    for (size_t i = 0; i < stats_op_count(s); i++) {
        stats_op_facts f;
        stats_op_get(s, i, &f);
        fprintf(out, "%s{\"op\":%d,\"name\":\"%s\",\"instances\":%llu,\"completed\":%llu,"
                     "\"unmatched\":%llu,\"ops_per_s\":",
                i ? "," : "", f.op, f.name, U(f.instances), U(f.completed), U(f.unmatched));
        json_num(out, f.ops_per_s);
        fputc('}', out);
    }
    fputs("],\"status\":[", out);
    for (size_t i = 0; i < stats_status_count(s); i++) {
        stats_status_row r;
        stats_status_get(s, i, &r);
        fprintf(out, "%s{\"op\":%d,\"op_name\":\"%s\",\"status\":%u,\"status_hex\":\"0x%08x\","
                     "\"name\":",
                i ? "," : "", r.op, ct_print_op_name(r.op), r.status, r.status);
        if (r.name)
            ct_print_json_string(out, r.name);
        else
            fputs("null", out);
        fprintf(out, ",\"count\":%llu,\"nic_count\":%llu}", U(r.count), U(r.nic_count));
    }
    fprintf(out, "],\"status_overflow\":%llu", U(s->status_overflow));
}

static void json_timeline(FILE *out, const stats_engine *s)
{
    size_t n = stats_timeline_count(s);
    stats_time_bucket t = {0, 0, 0, 0, 0, 0};
    if (n)
        stats_timeline_get(s, 0, &t);
    fprintf(out, ",\"timeline\":{\"start_ns\":%llu,\"bucket_width_ns\":%llu,\"buckets\":[",
            U(t.start_ns), U(t.width_ns));
    for (size_t i = 0; i < n; i++) {
        stats_timeline_get(s, i, &t);
        fprintf(out, "%s{\"start_ns\":%llu,\"max_depth\":%llu,\"mean_depth\":", i ? "," : "",
                U(t.start_ns), U(t.max_depth));
        json_num(out, t.mean_depth);
        fprintf(out, ",\"events\":%llu,\"completions\":%llu}", U(t.events), U(t.completions));
    }
    fputs("]}", out);
}

ct_err stats_write_json(FILE *out, const stats_engine *s, const char *path)
{
    stats_summary m;
    if (!s || !s->finished)
        return CT_ERR_STATE;
    stats_get_summary(s, &m);
    fprintf(out, "{\"stats_json_version\":%d,\"kind\":\"stats\",\"file\":", STATS_JSON_VERSION);
    ct_print_json_string(out, path ? path : "");
    fprintf(out, ",\"by\":\"%s\",\"top\":%u,\"keys_total\":%llu,", stats_by_name(m.by), m.top,
            U(m.keys_total));
    fprintf(out, "\"histogram\":{\"sub_bits\":%d,\"max_relative_error\":",
            STATS_HIST_SUB_BITS);
    json_num(out, 1.0 / (double)(1u << (STATS_HIST_SUB_BITS + 1)));
    fputs("},", out);
    json_header(out, s);
    fputc(',', out);
    json_summary(out, &m);
    json_groups(out, s);
    json_ops_status(out, s);
    json_timeline(out, s);
    fputs("}\n", out);
    return ferror(out) ? CT_ERR_IO : CT_OK;
}
