/* diff_report.c - a diff_result as text for people and as one JSON document for programs.
 *
 * Both say the same things: equal or not, the counts, the first divergence with its context
 * and field changes, results per operation kind and per object, header and timing results,
 * and what each input was (truncated, damaged, lost events). The JSON keys are specified in
 * DIFF_JSON.md; strings go through ct_print's JSON escaping, names through ct_print.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ct_print.h"
#include "diff_int.h"

static const char *kind_word(obj_kind k)
{
    switch (k) {
    case OBJ_NEIGHBOR: return "neighbor";
    case OBJ_PATH: return "path";
    case OBJ_TCP: return "tcp";
    default: return "none";
    }
}

static const char *op_text(int op)
{
    return op < 0 ? "OTHER" : ct_print_op_name(op);
}

static ct_err stream_status(FILE *out)
{
    return ferror(out) ? CT_ERR_IO : CT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Text                                                                                  */

static void text_event(FILE *out, const char *lead, const diff_event_ref *e)
{
    char ms[32], obj[160];
    const char *st;
    obj_format(&e->object, obj, sizeof obj);
    fprintf(out, "%s#%" PRIu64 " t=%s %s %s op=%" PRIu64 " blocks=%" PRIu32, lead, e->seq,
            ct_print_format_ms(ms, e->ts_ns), ct_print_op_name(e->op),
            ct_print_edge_name(e->edge), e->op_id, e->blocks);
    if (e->has_root_status) {
        st = ct_print_status_name(e->root_status);
        if (st)
            fprintf(out, " status=%s", st);
        else
            fprintf(out, " status=0x%08" PRIx32, e->root_status);
    }
    fprintf(out, " %s\n", obj);
}

static void text_context(FILE *out, const char *name, const diff_event_ref *ctx, size_t n,
                         const diff_event_ref *mark)
{
    if (n == 0)
        return;
    fprintf(out, "  context in %s:\n", name);
    for (size_t i = 0; i < n; i++)
        text_event(out, mark->present && ctx[i].index == mark->index ? "    > " : "      ",
                   &ctx[i]);
}

static void text_first(FILE *out, const diff_result *r)
{
    const diff_divergence *d = &r->first;
    if (!r->has_first)
        return;
    fprintf(out, "\nfirst divergence: %s event (", diff_kind_name(d->kind));
    if (d->expected.present)
        fprintf(out, "event %" PRIu64 " of A%s", d->expected.index, d->got.present ? ", " : "");
    if (d->got.present)
        fprintf(out, "event %" PRIu64 " of B", d->got.index);
    fputs(")\n", out);
    if (d->expected.present)
        text_event(out, "  expected: ", &d->expected);
    else
        fputs("  expected: (no such event in A)\n", out);
    if (d->got.present)
        text_event(out, "  got:      ", &d->got);
    else
        fputs("  got:      (no such event in B)\n", out);
    if (d->changes_total) {
        fprintf(out, "  field changes (%" PRIu64 "%s):\n", d->changes_total,
                d->changes_total > d->n_changes ? ", first ones shown" : "");
        for (size_t i = 0; i < d->n_changes; i++)
            fprintf(out, "    %s: %s -> %s\n", d->change[i].field, d->change[i].expected,
                    d->change[i].got);
    }
    text_context(out, "A", d->ctx_expected, d->n_ctx_expected, &d->expected);
    text_context(out, "B", d->ctx_got, d->n_ctx_got, &d->got);
}

static void text_counts_row(FILE *out, const char *name, const diff_counts *c)
{
    fprintf(out, "  %-26s %7" PRIu64 " %7" PRIu64 " %8" PRIu64 " %9" PRIu64 " %8" PRIu64
                 " %8" PRIu64 " %6" PRIu64 "\n",
            name, c->ops_a, c->ops_b, c->ops_matched, c->compared, c->changed, c->removed,
            c->added);
}

static int object_failed(const diff_object_result *o)
{
    return o->c.changed || o->c.removed || o->c.added;
}

static void text_objects(FILE *out, const diff_result *r)
{
    size_t failing = 0;
    char obj[160], ms[8];
    for (size_t i = 0; i < r->n_objects; i++)
        failing += object_failed(&r->objects[i]) != 0;
    fprintf(out, "\nobjects: %zu%s, %zu with differences\n", r->n_objects,
            r->objects_overflow ? " (more summed as 'other objects')" : "", failing);
    for (size_t i = 0; i < r->n_objects; i++) {
        const diff_object_result *o = &r->objects[i];
        if (!object_failed(o))
            continue;
        obj_format(&o->object, obj, sizeof obj);
        fprintf(out, "  %s: %" PRIu64 " changed, %" PRIu64 " removed, %" PRIu64 " added",
                o->object.kind ? obj : "(no identified object)", o->c.changed, o->c.removed,
                o->c.added);
        if (o->has_first) {
            fprintf(out, "; first %s at seq %" PRIu64 " %s %s", diff_kind_name(o->first_kind),
                    o->first_seq, ct_print_op_name(o->first_op),
                    ct_print_edge_name(o->first_edge));
            if (o->first_change.field[0])
                fprintf(out, ": %s %s -> %s", o->first_change.field, o->first_change.expected,
                        o->first_change.got);
        }
        fputc('\n', out);
    }
    (void)ms;
}

static void text_timing(FILE *out, const diff_result *r)
{
    char a[32], b[32];
    if (!r->timing)
        return;
    fprintf(out, "\ntiming (a percentile of B more than %.4g%% above A's is a regression): "
                 "%" PRIu64 " regression(s)\n",
            r->timing_tolerance_pct, r->timing_regressions);
    for (size_t i = 0; i < r->n_timing; i++) {
        const diff_timing_row *t = &r->timing_rows[i];
        fprintf(out, "  %-10s %-10s n=%" PRIu64 "/%" PRIu64, op_text(t->op),
                diff_span_name(t->span), t->n_a, t->n_b);
        for (int p = 0; p < 3; p++)
            fprintf(out, "  p%d %s -> %s%s", diff_percentiles[p], ct_print_format_ms(a, t->a_ns[p]),
                    ct_print_format_ms(b, t->b_ns[p]), (t->regressed >> p) & 1 ? " REGRESSED" : "");
        fputc('\n', out);
    }
}

static void text_input(FILE *out, const char *name, const diff_input *in)
{
    fprintf(out, "  %s: %" PRIu64 " events, %" PRIu64 " records", name, in->events, in->records);
    fprintf(out, in->clean_end ? ", clean end" : ", no run summary");
    if (in->truncated)
        fprintf(out, "; TRUNCATED: %s", in->truncation);
    if (in->loss_records || in->lost_events)
        fprintf(out, "; LOST %" PRIu64 " events (%" PRIu64 " loss records)", in->lost_events,
                in->loss_records);
    if (in->corrupt_chunks)
        fprintf(out, "; DAMAGED: %" PRIu64 " corrupt chunk(s) skipped, first: %s",
                in->corrupt_chunks, in->problem);
    fputc('\n', out);
}

ct_err diff_report_text(FILE *out, const diff_result *r)
{
    const diff_counts *c = &r->total;
    if (!out || !r)
        return CT_ERR_ARG;
    for (int s = 0; s < 2; s++) {
        const diff_input *in = &r->in[s];
        fprintf(out, "%s: %s (%s)", s ? "B" : "A", in->path, s ? "got" : "expected");
        if (in->workload[0])
            fprintf(out, " workload %s", in->workload);
        if (in->has_seed)
            fprintf(out, " seed %" PRIu64, in->seed);
        fputc('\n', out);
    }
    fprintf(out, "result: %s%s\n", r->equal ? "EQUAL" : "DIFFERENT",
            r->incomplete ? " (an input is incomplete: see inputs)" : "");
    fprintf(out, "events: A %" PRIu64 ", B %" PRIu64 "; compared %" PRIu64 " pairs: %" PRIu64
                 " equal, %" PRIu64 " changed (%" PRIu64 " field changes); %" PRIu64
                 " removed (only in A), %" PRIu64 " added (only in B)\n",
            r->in[0].events, r->in[1].events, c->compared, r->events_equal, c->changed,
            c->fields, c->removed, c->added);
    fprintf(out, "operations: A %" PRIu64 ", B %" PRIu64 ", matched %" PRIu64 "\n", c->ops_a,
            c->ops_b, c->ops_matched);
    text_first(out, r);
    fprintf(out, "\nby operation:\n  %-26s %7s %7s %8s %9s %8s %8s %6s\n", "operation", "ops A",
            "ops B", "matched", "compared", "changed", "removed", "added");
    for (size_t i = 0; i < r->n_ops; i++)
        text_counts_row(out, op_text(r->ops[i].op), &r->ops[i].c);
    text_objects(out, r);
    if (r->header_compared) {
        fprintf(out, "\nheader: %" PRIu64 " change(s) (run-specific fields not compared)\n",
                r->header_changes);
        for (size_t i = 0; i < r->n_header_change; i++)
            fprintf(out, "  %s: %s -> %s\n", r->header_change[i].field,
                    r->header_change[i].expected, r->header_change[i].got);
    }
    text_timing(out, r);
    fputs("\ninputs:\n", out);
    text_input(out, "A", &r->in[0]);
    text_input(out, "B", &r->in[1]);
    fprintf(out, "\nnotes: ids compared by role, not number; seq, ts_ns, ring and op_id not "
                 "compared; frames ignored; header %s; window %zu steps",
            r->header_compared ? "compared (run-specific fields excepted)" : "not compared",
            r->window);
    for (size_t i = 0; i < r->n_ignore; i++)
        fprintf(out, "%s%s", i ? ", " : "; ignored: ", r->ignore[i]);
    fputc('\n', out);
    return stream_status(out);
}

/* ------------------------------------------------------------------------------------ */
/* JSON (DIFF_JSON.md)                                                                   */

static void json_str_or_null(FILE *out, const char *s)
{
    if (s && *s)
        ct_print_json_string(out, s);
    else
        fputs("null", out);
}

static void json_event(FILE *out, const diff_event_ref *e)
{
    char obj[160];
    const char *st = e->has_root_status ? ct_print_status_name(e->root_status) : NULL;
    char hex[16];
    if (!e->present) {
        fputs("null", out);
        return;
    }
    obj_format(&e->object, obj, sizeof obj);
    fprintf(out, "{\"index\":%" PRIu64 ",\"seq\":%" PRIu64 ",\"ts_ns\":%" PRIu64
                 ",\"op\":\"%s\",\"edge\":\"%s\",\"op_id\":%" PRIu64 ",\"blocks\":%" PRIu32
                 ",\"root_status\":",
            e->index, e->seq, e->ts_ns, ct_print_op_name(e->op), ct_print_edge_name(e->edge),
            e->op_id, e->blocks);
    if (e->has_root_status && !st) {
        snprintf(hex, sizeof hex, "0x%08" PRIx32, e->root_status);
        st = hex;
    }
    json_str_or_null(out, st);
    fputs(",\"object\":", out);
    ct_print_json_string(out, obj);
    fprintf(out, ",\"object_kind\":\"%s\"}", kind_word(e->object.kind));
}

static void json_change(FILE *out, const diff_change *c)
{
    fputs("{\"field\":", out);
    ct_print_json_string(out, c->field);
    fputs(",\"expected\":", out);
    ct_print_json_string(out, c->expected);
    fputs(",\"got\":", out);
    ct_print_json_string(out, c->got);
    fputc('}', out);
}

static void json_changes(FILE *out, const diff_change *c, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        json_change(out, &c[i]);
    }
    fputc(']', out);
}

static void json_events(FILE *out, const diff_event_ref *e, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        json_event(out, &e[i]);
    }
    fputc(']', out);
}

static void json_input(FILE *out, const char *role, const diff_input *in)
{
    fputs("{\"path\":", out);
    ct_print_json_string(out, in->path);
    fprintf(out, ",\"role\":\"%s\",\"workload\":", role);
    json_str_or_null(out, in->workload);
    fputs(",\"seed\":", out);
    if (in->has_seed)
        fprintf(out, "%" PRIu64, in->seed);
    else
        fputs("null", out);
    fprintf(out, ",\"records\":%" PRIu64 ",\"events\":%" PRIu64 ",\"loss_records\":%" PRIu64
                 ",\"lost_events\":%" PRIu64 ",\"frames\":%" PRIu64 ",\"clean_end\":%s"
                 ",\"truncated\":%s,\"truncation\":",
            in->records, in->events, in->loss_records, in->lost_events, in->frames,
            in->clean_end ? "true" : "false", in->truncated ? "true" : "false");
    json_str_or_null(out, in->truncated ? in->truncation : NULL);
    fprintf(out, ",\"corrupt_chunks\":%" PRIu64 ",\"problem\":", in->corrupt_chunks);
    json_str_or_null(out, in->corrupt_chunks ? in->problem : NULL);
    fputc('}', out);
}

static void json_counts(FILE *out, const diff_counts *c)
{
    fprintf(out, "\"operations_a\":%" PRIu64 ",\"operations_b\":%" PRIu64
                 ",\"operations_matched\":%" PRIu64 ",\"compared\":%" PRIu64
                 ",\"changed\":%" PRIu64 ",\"removed\":%" PRIu64 ",\"added\":%" PRIu64
                 ",\"field_changes\":%" PRIu64,
            c->ops_a, c->ops_b, c->ops_matched, c->compared, c->changed, c->removed, c->added,
            c->fields);
}

static void json_first(FILE *out, const diff_result *r)
{
    const diff_divergence *d = &r->first;
    if (!r->has_first) {
        fputs("null", out);
        return;
    }
    fprintf(out, "{\"kind\":\"%s\",\"expected\":", diff_kind_name(d->kind));
    json_event(out, &d->expected);
    fputs(",\"got\":", out);
    json_event(out, &d->got);
    fputs(",\"changes\":", out);
    json_changes(out, d->change, d->n_changes);
    fprintf(out, ",\"changes_total\":%" PRIu64 ",\"context\":{\"expected\":", d->changes_total);
    json_events(out, d->ctx_expected, d->n_ctx_expected);
    fputs(",\"got\":", out);
    json_events(out, d->ctx_got, d->n_ctx_got);
    fputs("}}", out);
}

static void json_object(FILE *out, const diff_object_result *o, int other)
{
    char obj[160];
    obj_format(&o->object, obj, sizeof obj);
    fputs("{\"object\":", out);
    ct_print_json_string(out, other ? "(other objects)" : obj);
    fprintf(out, ",\"kind\":\"%s\",", other ? "other" : kind_word(o->object.kind));
    json_counts(out, &o->c);
    fputs(",\"first\":", out);
    if (!o->has_first) {
        fputs("null}", out);
        return;
    }
    fprintf(out, "{\"kind\":\"%s\",\"seq\":%" PRIu64 ",\"op\":\"%s\",\"edge\":\"%s\",\"change\":",
            diff_kind_name(o->first_kind), o->first_seq, ct_print_op_name(o->first_op),
            ct_print_edge_name(o->first_edge));
    if (o->first_change.field[0])
        json_change(out, &o->first_change);
    else
        fputs("null", out);
    fputs("}}", out);
}

static void json_timing(FILE *out, const diff_result *r)
{
    if (!r->timing) {
        fputs("null", out);
        return;
    }
    fprintf(out, "{\"tolerance_pct\":%.6g,\"regressions\":%" PRIu64 ",\"rows\":[",
            r->timing_tolerance_pct, r->timing_regressions);
    for (size_t i = 0; i < r->n_timing; i++) {
        const diff_timing_row *t = &r->timing_rows[i];
        int first = 1;
        fprintf(out, "%s{\"op\":\"%s\",\"span\":\"%s\",\"samples_a\":%" PRIu64
                     ",\"samples_b\":%" PRIu64,
                i ? "," : "", op_text(t->op), diff_span_name(t->span), t->n_a, t->n_b);
        for (int side = 0; side < 2; side++) {
            const uint64_t *v = side ? t->b_ns : t->a_ns;
            fprintf(out, ",\"%s\":{\"p50\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 "}",
                    side ? "b_ns" : "a_ns", v[0], v[1], v[2]);
        }
        fputs(",\"regressed\":[", out);
        for (int p = 0; p < 3; p++)
            if ((t->regressed >> p) & 1) {
                fprintf(out, "%s\"p%d\"", first ? "" : ",", diff_percentiles[p]);
                first = 0;
            }
        fputs("]}", out);
    }
    fputs("]}", out);
}

ct_err diff_report_json(FILE *out, const diff_result *r)
{
    if (!out || !r)
        return CT_ERR_ARG;
    fprintf(out, "{\"format\":\"chimtrace-diff\",\"version\":1,\"equal\":%s,\"exit_code\":%d,"
                 "\"incomplete\":%s,\"inputs\":{\"a\":",
            r->equal ? "true" : "false", diff_exit_code(r), r->incomplete ? "true" : "false");
    json_input(out, "expected", &r->in[0]);
    fputs(",\"b\":", out);
    json_input(out, "got", &r->in[1]);
    fputs("},\"options\":{\"ignore\":[", out);
    for (size_t i = 0; i < r->n_ignore; i++) {
        if (i)
            fputc(',', out);
        ct_print_json_string(out, r->ignore[i]);
    }
    fprintf(out, "],\"window\":%zu,\"timing_tolerance_pct\":", r->window);
    if (r->timing)
        fprintf(out, "%.6g", r->timing_tolerance_pct);
    else
        fputs("null", out);
    fprintf(out, ",\"header_compared\":%s,\"frames\":\"ignored\"},\"counts\":{"
                 "\"events_a\":%" PRIu64 ",\"events_b\":%" PRIu64 ",\"equal\":%" PRIu64 ",",
            r->header_compared ? "true" : "false", r->in[0].events, r->in[1].events,
            r->events_equal);
    json_counts(out, &r->total);
    fputs("},\"first_divergence\":", out);
    json_first(out, r);
    fprintf(out, ",\"header\":{\"compared\":%s,\"changes_total\":%" PRIu64 ",\"changes\":",
            r->header_compared ? "true" : "false", r->header_changes);
    json_changes(out, r->header_change, r->n_header_change);
    fputs("},\"operations\":[", out);
    for (size_t i = 0; i < r->n_ops; i++) {
        fprintf(out, "%s{\"op\":\"%s\",", i ? "," : "", op_text(r->ops[i].op));
        json_counts(out, &r->ops[i].c);
        fputc('}', out);
    }
    fputs("],\"objects\":[", out);
    for (size_t i = 0; i < r->n_objects; i++) {
        if (i)
            fputc(',', out);
        json_object(out, &r->objects[i], 0);
    }
    fprintf(out, "],\"objects_overflow\":%s,\"other_objects\":",
            r->objects_overflow ? "true" : "false");
    if (r->objects_overflow)
        json_object(out, &r->other_objects, 1);
    else
        fputs("null", out);
    fputs(",\"timing\":", out);
    json_timing(out, r);
    fputs(",\"error\":null}\n", out);
    return stream_status(out);
}
