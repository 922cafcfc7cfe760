/* stats_compare.c - chimtrace stats --baseline: latency deltas and the regression verdict.
 *
 * Groups are matched by (key, span) between two finished engines of the same grouping.
 * A cell (group, percentile) regresses when the current value exceeds the baseline's by
 * more than the threshold percentage AND by at least min_delta_ns, with at least min_count
 * samples on both sides; the absolute floor is what keeps a 0 -> 1 ns change (an infinite
 * percentage) from failing a build. Groups on one side only are listed, never judged.
 */
#include <math.h>
#include <string.h>

#include "ct_print.h"
#include "stats_int.h"

#define U(x) ((unsigned long long)(x))

void stats_cmp_opts_init(stats_cmp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold_pct = 10.0;
    o->min_delta_ns = 1000;
    o->min_count = 1;
    o->n_pcts = 1;
    o->pcts[0] = 99.0;
}

typedef struct cmp_cell {
    double pct;
    uint64_t base, cur;
    int64_t delta;
    double delta_pct;          /* NAN when the baseline is 0 and the current is not */
    int regression;
} cmp_cell;

static int find_group(const stats_engine *s, const stats_group *g, stats_group *out)
{
    for (size_t i = 0; i < stats_group_count(s); i++) {
        stats_group_get(s, i, out);
        if (out->key == g->key && out->span == g->span)
            return 1;
    }
    return 0;
}

static void judge(const stats_group *b, const stats_group *c, const stats_cmp_opts *o,
                  double pct, cmp_cell *cell)
{
    cell->pct = pct;
    cell->base = stats_hist_percentile(b->hist, pct);
    cell->cur = stats_hist_percentile(c->hist, pct);
    cell->delta = (int64_t)(cell->cur - cell->base);
    cell->delta_pct = cell->base      ? (double)cell->delta * 100.0 / (double)cell->base
                      : cell->cur == 0 ? 0.0
                                       : NAN;
    cell->regression = b->count >= o->min_count && c->count >= o->min_count &&
                       cell->cur > cell->base && cell->cur - cell->base >= o->min_delta_ns &&
                       (cell->base == 0 ||
                        (double)(cell->cur - cell->base) * 100.0 >
                            o->threshold_pct * (double)cell->base);
}

static void text_row(FILE *out, const stats_group *g, const cmp_cell *cell)
{
    char a[32], b[32], d[32], p[16], pc[24];
    stats_fmt_ns(a, sizeof a, cell->base);
    stats_fmt_ns(b, sizeof b, cell->cur);
    stats_fmt_ns(d + 1, sizeof d - 1, (uint64_t)(cell->delta < 0 ? -cell->delta : cell->delta));
    d[0] = cell->delta < 0 ? '-' : '+';
    if (isnan(cell->delta_pct))
        snprintf(pc, sizeof pc, "from 0");
    else
        snprintf(pc, sizeof pc, "%+.1f%%", cell->delta_pct);
    fprintf(out, "  %-28.28s %-6s %-6s %10s %10s %11s %9s  %s\n", g->label,
            stats_span_name(g->span), stats_fmt_pct(p, sizeof p, cell->pct), a, b, d, pc,
            cell->regression ? "REGRESSION" : "");
}

static void json_row(FILE *out, int *first, const stats_group *g, const char *only,
                     const stats_group *b, const stats_group *c, const cmp_cell *cells,
                     size_t n)
{
    char p[16];
    fprintf(out, "%s{\"key\":", *first ? "" : ",");
    *first = 0;
    if (g->key == STATS_KEY_OTHER)
        fputs("null", out);
    else
        fprintf(out, "%llu", U(g->key));
    fputs(",\"label\":", out);
    ct_print_json_string(out, g->label);
    fprintf(out, ",\"span\":\"%s\",\"only_in\":", stats_span_name(g->span));
    if (only)
        fprintf(out, "\"%s\"", only);
    else
        fputs("null", out);
    fprintf(out, ",\"count_baseline\":%llu,\"count_current\":%llu,\"cells\":[",
            U(b ? b->count : 0), U(c ? c->count : 0));
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{\"percentile\":\"%s\",\"baseline_ns\":%llu,\"current_ns\":%llu,"
                     "\"delta_ns\":%lld,\"delta_pct\":",
                i ? "," : "", stats_fmt_pct(p, sizeof p, cells[i].pct), U(cells[i].base),
                U(cells[i].cur), (long long)cells[i].delta);
        if (isnan(cells[i].delta_pct))
            fputs("null", out);
        else
            fprintf(out, "%.6g", cells[i].delta_pct);
        fprintf(out, ",\"regression\":%s}", cells[i].regression ? "true" : "false");
    }
    fputs("]}", out);
}

static void text_head(FILE *out, const stats_engine *cur, const char *cur_path,
                      const stats_engine *base, const char *base_path, const stats_cmp_opts *o)
{
    char d[32], p[16];
    stats_summary m;
    fprintf(out, "baseline:  %s\ncurrent:   %s\ngrouping:  by %s\n", base_path ? base_path : "-",
            cur_path ? cur_path : "-", stats_by_name(cur->opts.by));
    fprintf(out, "rule:      a cell regresses when current exceeds baseline by more than %g%% "
                 "and by at least %s, with >= %llu samples on both sides; judged:",
            o->threshold_pct, stats_fmt_ns(d, sizeof d, o->min_delta_ns), U(o->min_count));
    for (size_t i = 0; i < o->n_pcts; i++)
        fprintf(out, " %s", stats_fmt_pct(p, sizeof p, o->pcts[i]));
    fputc('\n', out);
    for (int side = 0; side < 2; side++) {
        stats_get_summary(side ? cur : base, &m);
        if (!m.uncertain)
            continue;
        fprintf(out, "UNCERTAIN: %s percentiles:", side ? "current" : "baseline");
        for (unsigned i = 0; i < STATS_UNC_COUNT; i++)
            if (m.uncertain & (1u << i))
                fprintf(out, " %s", stats_uncertain_name(i));
        fputc('\n', out);
    }
    fprintf(out, "\n  %-28s %-6s %-6s %10s %10s %11s %9s\n", "group", "span", "pct", "baseline",
            "current", "delta", "delta%");
}

ct_err stats_compare_write(FILE *out, int json, const stats_engine *cur, const char *cur_path,
                           const stats_engine *base, const char *base_path,
                           const stats_cmp_opts *o, uint64_t *regressions)
{
    cmp_cell cells[STATS_MAX_PCTS];
    stats_group g, other;
    stats_summary mc, mb;
    int first = 1;
    uint64_t nreg = 0;

    if (!cur || !base || !o || !cur->finished || !base->finished || o->n_pcts == 0 ||
        o->n_pcts > STATS_MAX_PCTS || cur->opts.by != base->opts.by)
        return CT_ERR_ARG;
    if (json) {
        stats_get_summary(cur, &mc);
        stats_get_summary(base, &mb);
        fprintf(out, "{\"stats_json_version\":%d,\"kind\":\"baseline\",\"current\":",
                STATS_JSON_VERSION);
        ct_print_json_string(out, cur_path ? cur_path : "");
        fputs(",\"baseline\":", out);
        ct_print_json_string(out, base_path ? base_path : "");
        fprintf(out, ",\"by\":\"%s\",\"threshold_pct\":%.6g,\"min_delta_ns\":%llu,"
                     "\"min_count\":%llu,\"percentiles\":[",
                stats_by_name(cur->opts.by), o->threshold_pct, U(o->min_delta_ns),
                U(o->min_count));
        for (size_t i = 0; i < o->n_pcts; i++) {
            char p[16];
            fprintf(out, "%s\"%s\"", i ? "," : "", stats_fmt_pct(p, sizeof p, o->pcts[i]));
        }
        fprintf(out, "],\"uncertain\":%s,\"uncertain_reasons\":{\"current\":",
                mc.uncertain || mb.uncertain ? "true" : "false");
        stats_json_reasons(out, mc.uncertain);
        fputs(",\"baseline\":", out);
        stats_json_reasons(out, mb.uncertain);
        fputs("},\"rows\":[", out);
    } else {
        text_head(out, cur, cur_path, base, base_path, o);
    }
    for (size_t i = 0; i < stats_group_count(cur); i++) {
        stats_group_get(cur, i, &g);
        int both = find_group(base, &g, &other);
        for (size_t k = 0; both && k < o->n_pcts; k++) {
            judge(&other, &g, o, o->pcts[k], &cells[k]);
            nreg += (uint64_t)cells[k].regression;
            if (!json)
                text_row(out, &g, &cells[k]);
        }
        if (json)
            json_row(out, &first, &g, both ? NULL : "current", both ? &other : NULL, &g, cells,
                     both ? o->n_pcts : 0);
        else if (!both)
            fprintf(out, "  %-28.28s %-6s only in current (%llu samples)\n", g.label,
                    stats_span_name(g.span), U(g.count));
    }
    for (size_t i = 0; i < stats_group_count(base); i++) {
        stats_group_get(base, i, &g);
        if (find_group(cur, &g, &other))
            continue;
        if (json)
            json_row(out, &first, &g, "baseline", &g, NULL, cells, 0);
        else
            fprintf(out, "  %-28.28s %-6s only in baseline (%llu samples)\n", g.label,
                    stats_span_name(g.span), U(g.count));
    }
    if (json)
        fprintf(out, "],\"regressions\":%llu,\"result\":\"%s\"}\n", U(nreg),
                nreg ? "regression" : "ok");
    else if (nreg)
        fprintf(out, "\nresult: %llu regression(s) beyond the threshold\n", U(nreg));
    else
        fprintf(out, "\nresult: within the threshold\n");
    if (regressions)
        *regressions = nreg;
    return ferror(out) ? CT_ERR_IO : CT_OK;
}
