/* ct_print_summary.c - the facts `chimtrace info` reports: counts gathered over a record
 * stream, and their text and JSON forms.
 *
 * The counts are plain data filled one record at a time, so info stays memory-bounded on
 * traces of any size. The reader's view of the file (chunks, index, truncation) comes in
 * as ct_print_file_facts, which keeps this library independent of the reader.
 */
#include <inttypes.h>
#include <string.h>

#include "ct_print_int.h"

static const char *const kind_names[6] = { "unset", "header", "event", "loss", "frame",
                                           "summary" };

void ct_print_summary_init(ct_print_summary *s)
{
    memset(s, 0, sizeof *s);
}

static void add_event(ct_print_summary *s, const Chimtrace__V1__Event *ev)
{
    int op = ev->has_op ? ev->op : 0;
    int edge = ev->has_edge ? ev->edge : 0;

    s->events++;
    if (op < 0 || op >= CT_PRINT_OPS)
        op = CT_PRINT_OPS;
    if (edge < 0 || edge >= CT_PRINT_EDGES)
        edge = CT_PRINT_EDGES;
    s->op_edge[op][edge]++;
    if (ev->has_seq) {
        if (!s->have_seq || ev->seq < s->first_seq)
            s->first_seq = ev->seq;
        if (!s->have_seq || ev->seq > s->last_seq)
            s->last_seq = ev->seq;
        s->have_seq = 1;
    }
    if (ev->has_ts_ns) {
        if (!s->have_ts || ev->ts_ns < s->min_ts_ns)
            s->min_ts_ns = ev->ts_ns;
        if (!s->have_ts || ev->ts_ns > s->max_ts_ns)
            s->max_ts_ns = ev->ts_ns;
        s->have_ts = 1;
    }
    s->blocks += ev->n_block;
    if (ev->has_tree_truncated && ev->tree_truncated)
        s->truncated_trees++;
}

void ct_print_summary_add(ct_print_summary *s, const Chimtrace__V1__Record *rec)
{
    unsigned kind = rec->event ? (unsigned)rec->kind_case : 0;

    s->records++;
    s->by_kind[kind < 6 ? kind : 0]++;
    if (kind == CHIMTRACE__V1__RECORD__KIND_EVENT) {
        add_event(s, rec->event);
    } else if (kind == CHIMTRACE__V1__RECORD__KIND_LOSS) {
        s->loss_records++;
        if (rec->loss->has_count)
            s->lost_events += rec->loss->count;
    } else if (kind == CHIMTRACE__V1__RECORD__KIND_SUMMARY) {
        s->summary_records++;
    }
}

void ct_print_summary_problem(ct_print_summary *s, const ct_errinfo *ei)
{
    s->corrupt_chunks++;
    if (s->problems < CT_PRINT_MAX_PROBLEMS) {
        s->problem[s->problems].offset = ei->offset;
        s->problem[s->problems].code = ei->code;
        snprintf(s->problem[s->problems].reason, sizeof s->problem[0].reason, "%s", ei->msg);
        s->problems++;
    }
}

static uint64_t op_total(const ct_print_summary *s, int op)
{
    uint64_t t = 0;

    for (int e = 0; e <= CT_PRINT_EDGES; e++)
        t += s->op_edge[op][e];
    return t;
}

static uint64_t edge_total(const ct_print_summary *s, int edge)
{
    uint64_t t = 0;

    for (int op = 0; op <= CT_PRINT_OPS; op++)
        t += s->op_edge[op][edge];
    return t;
}

/* ------------------------------------------------------------------------------------ */
/* Text                                                                                  */

/* Operations down, edges across. The four real edges are always shown; the
 * "unspecified" and "other" columns and rows only when something landed in them. */
static void text_op_table(FILE *out, const ct_print_summary *s)
{
    int show[CT_PRINT_EDGES + 1];

    for (int e = 0; e <= CT_PRINT_EDGES; e++)
        show[e] = (e >= 1 && e <= 4) || edge_total(s, e) > 0;
    fprintf(out, "  %-24s", "operation");
    for (int e = 0; e <= CT_PRINT_EDGES; e++)
        if (show[e])
            fprintf(out, " %15s", e == CT_PRINT_EDGES ? "other" : ct_print_edge_name(e));
    fprintf(out, " %15s\n", "total");
    for (int op = 0; op <= CT_PRINT_OPS; op++) {
        uint64_t total = op_total(s, op);
        if (total == 0)
            continue;
        fprintf(out, "  %-24s", op == CT_PRINT_OPS ? "other" : ct_print_op_name(op));
        for (int e = 0; e <= CT_PRINT_EDGES; e++)
            if (show[e])
                fprintf(out, " %15" PRIu64, s->op_edge[op][e]);
        fprintf(out, " %15" PRIu64 "\n", total);
    }
}

static void text_events(FILE *out, const ct_print_summary *s)
{
    char a[32], b[32];

    fprintf(out, "events:     %" PRIu64, s->events);
    if (s->have_seq)
        fprintf(out, ", seq %" PRIu64 "..%" PRIu64, s->first_seq, s->last_seq);
    if (s->have_ts)
        fprintf(out, ", time %s..%s", ct_print_format_ms(a, s->min_ts_ns),
                ct_print_format_ms(b, s->max_ts_ns));
    fprintf(out, ", blocks %" PRIu64, s->blocks);
    if (s->truncated_trees)
        fprintf(out, ", truncated trees %" PRIu64, s->truncated_trees);
    putc('\n', out);
    if (s->events)
        text_op_table(out, s);
}

ct_err ct_print_summary_text(FILE *out, const ct_print_file_facts *f,
                             const ct_print_summary *s)
{
    if (!out || !f || !s)
        return CT_ERR_ARG;
    fputs("file:       ", out);
    ct_print_text_str(out, f->path);
    fprintf(out, "\nformat:     %" PRIu32 ".%" PRIu32 "\n", f->format_major, f->format_minor);
    fprintf(out, "size:       %" PRIu64 " bytes\n", f->file_bytes);
    fprintf(out, "chunks:     %" PRIu64 " complete (index: %s)\n", f->chunks,
            f->index_source ? f->index_source : "unknown");
    if (f->header) {
        fputs("header:\n", out);
        ct_print_header_text(out, f->header, 2);
    }
    fprintf(out, "records:    %" PRIu64 " (", s->records);
    for (int k = 1; k <= 6; k++) {
        int i = k % 6;  /* "unset" last, and only when there are any */
        if (i != 0 || s->by_kind[0])
            fprintf(out, "%s%s %" PRIu64, k > 1 ? ", " : "", kind_names[i], s->by_kind[i]);
    }
    fputs(")\n", out);
    text_events(out, s);
    fprintf(out, "losses:     %" PRIu64 " loss records, %" PRIu64 " events lost\n",
            s->loss_records, s->lost_events);
    fprintf(out, "run end:    %s\n",
            s->summary_records ? "clean (run summary present)" : "no run summary");
    if (f->truncated && f->truncation_msg)
        fprintf(out, "truncated:  %s\n", f->truncation_msg);
    else if (f->truncated)
        fprintf(out, "truncated:  truncated at byte %" PRIu64 "; last complete chunk ends at "
                "byte %" PRIu64 "\n", f->truncated_at, f->complete_end);
    else
        fputs("truncated:  no\n", out);
    fprintf(out, "corrupt:    %" PRIu64 " chunk(s) skipped\n", s->corrupt_chunks);
    for (uint32_t i = 0; i < s->problems; i++) {
        /* The reader's messages usually start with "byte N: " already. */
        if (strncmp(s->problem[i].reason, "byte ", 5) != 0)
            fprintf(out, "  at byte %" PRIu64 ": ", s->problem[i].offset);
        else
            fputs("  ", out);
        ct_print_text_str(out, s->problem[i].reason);
        putc('\n', out);
    }
    if (s->corrupt_chunks > s->problems)
        fprintf(out, "  (%" PRIu64 " more not listed)\n", s->corrupt_chunks - s->problems);
    return ct_print_check(out);
}

/* ------------------------------------------------------------------------------------ */
/* JSON                                                                                  */

static const char *edge_key(int e)
{
    const char *name = e < CT_PRINT_EDGES
        ? ct_print_enum_value_name(&chimtrace__v1__edge__descriptor, e) : NULL;
    return name ? name : "other";
}

static void json_op_table(FILE *out, const ct_print_summary *s)
{
    int first = 1;

    fputs("{", out);
    for (int op = 0; op <= CT_PRINT_OPS; op++) {
        const char *name = op < CT_PRINT_OPS
            ? ct_print_enum_value_name(&chimtrace__v1__operation__descriptor, op) : NULL;
        char num[24];
        int efirst = 1;

        if (op_total(s, op) == 0)
            continue;
        if (!name && op < CT_PRINT_OPS) {
            snprintf(num, sizeof num, "%d", op);  /* a value this schema does not name */
            name = num;
        }
        fprintf(out, "%s", first ? "" : ",");
        ct_print_json_string(out, name ? name : "other");
        fputs(":{", out);
        for (int e = 0; e <= CT_PRINT_EDGES; e++) {
            if (!s->op_edge[op][e])
                continue;
            fprintf(out, "%s\"%s\":%" PRIu64, efirst ? "" : ",", edge_key(e), s->op_edge[op][e]);
            efirst = 0;
        }
        fprintf(out, "%s\"total\":%" PRIu64 "}", efirst ? "" : ",", op_total(s, op));
        first = 0;
    }
    fputs("}", out);
}

static void json_events(FILE *out, const ct_print_summary *s)
{
    fprintf(out, "\"events\":{\"total\":%" PRIu64, s->events);
    if (s->have_seq)
        fprintf(out, ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64, s->first_seq,
                s->last_seq);
    if (s->have_ts)
        fprintf(out, ",\"min_ts_ns\":%" PRIu64 ",\"max_ts_ns\":%" PRIu64, s->min_ts_ns,
                s->max_ts_ns);
    fprintf(out, ",\"blocks\":%" PRIu64 ",\"truncated_trees\":%" PRIu64 ",\"by_op\":",
            s->blocks, s->truncated_trees);
    json_op_table(out, s);
    putc('}', out);
}

static void json_damage(FILE *out, const ct_print_file_facts *f, const ct_print_summary *s)
{
    if (f->truncated) {
        fprintf(out, ",\"truncated\":{\"at\":%" PRIu64 ",\"complete_end\":%" PRIu64,
                f->truncated_at, f->complete_end);
        if (f->truncation_msg) {
            fputs(",\"message\":", out);
            ct_print_json_string(out, f->truncation_msg);
        }
        putc('}', out);
    } else {
        fputs(",\"truncated\":false", out);
    }
    fprintf(out, ",\"corrupt_chunks\":%" PRIu64 ",\"corrupt\":[", s->corrupt_chunks);
    for (uint32_t i = 0; i < s->problems; i++) {
        fprintf(out, "%s{\"offset\":%" PRIu64 ",\"error\":\"%s\",\"reason\":", i ? "," : "",
                s->problem[i].offset, ct_errname(s->problem[i].code));
        ct_print_json_string(out, s->problem[i].reason);
        putc('}', out);
    }
    putc(']', out);
}

ct_err ct_print_summary_json(FILE *out, const ct_print_file_facts *f,
                             const ct_print_summary *s)
{
    ct_err err = CT_OK;

    if (!out || !f || !s)
        return CT_ERR_ARG;
    fputs("{\"file\":", out);
    ct_print_json_string(out, f->path);
    fprintf(out, ",\"format\":{\"major\":%" PRIu32 ",\"minor\":%" PRIu32 "}", f->format_major,
            f->format_minor);
    fprintf(out, ",\"file_bytes\":%" PRIu64 ",\"chunks\":%" PRIu64 ",\"index\":",
            f->file_bytes, f->chunks);
    ct_print_json_string(out, f->index_key ? f->index_key : "unknown");
    fputs(",\"index_source\":", out);
    ct_print_json_string(out, f->index_source ? f->index_source : "unknown");
    fprintf(out, ",\"has_footer\":%s", f->has_footer ? "true" : "false");
    if (f->header) {
        fputs(",\"header\":", out);
        err = ct_print_message_json(out, &f->header->base);
    }
    fprintf(out, ",\"records\":{\"total\":%" PRIu64, s->records);
    for (int i = 0; i < 6; i++)
        if (i != 0 || s->by_kind[0])
            fprintf(out, ",\"%s\":%" PRIu64, kind_names[i], s->by_kind[i]);
    fputs("},", out);
    json_events(out, s);
    fprintf(out, ",\"losses\":{\"records\":%" PRIu64 ",\"lost_events\":%" PRIu64 "}",
            s->loss_records, s->lost_events);
    fprintf(out, ",\"run_summary\":%s", s->summary_records ? "true" : "false");
    json_damage(out, f, s);
    fputs("}\n", out);
    return err != CT_OK ? err : ct_print_check(out);
}
