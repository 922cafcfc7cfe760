/* export_inst.c - one operation instance as Trace Event Format events: the end-to-end
 * complete event with its args (operation, object identity, per-block and overall status,
 * seq numbers, stage latencies) and each stage on its slot's track for that edge pair, or,
 * when the instance got no slot, the same as async b/e events keyed by its op_id.
 *
 * Overall status: the root block's (block 0) status at the last completion edge seen, which
 * is what NdisMXxxComplete hands up; "pending" when no completion edge was recorded.
 */
#include <inttypes.h>
#include <string.h>

#include "export_int.h"

const char *const ex_stage_name[5] = {
    NULL, "IM in->down", "NIC down->completion-in", "IM return completion-in->up", NULL};
static const char *const stage_key[5] = {NULL, "im_request", "nic", "im_return", NULL};
static const char *const edge_key[5] = {NULL, "req_in", "req_out", "cmpl_in", "cmpl_out"};

static void status_json(FILE *f, uint32_t status)
{
    const char *n = ct_print_status_name(status);
    if (n != NULL)
        fprintf(f, "\"%s\"", n);
    else
        fprintf(f, "\"0x%08" PRIx32 "\"", status);
}

/* Opening of an event up to and including `"args":{`; the caller writes args and "}}".
 * dur: X events only; id: async events only. */
static void event_head(export_chrome *x, const char *name, const char *cat, char ph,
                       uint64_t ts, const uint64_t *dur, uint32_t pid, uint32_t tid,
                       const uint64_t *id)
{
    ex_sep(x);
    fputs("{\"name\":", x->out);
    ct_print_json_string(x->out, name);
    fprintf(x->out, ",\"cat\":\"%s\",\"ph\":\"%c\",\"ts\":", cat, ph);
    ex_us(x->out, ts);
    if (dur != NULL) {
        fputs(",\"dur\":", x->out);
        ex_us(x->out, *dur);
    }
    fprintf(x->out, ",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, pid, tid);
    if (id != NULL)
        fprintf(x->out, ",\"id\":\"0x%" PRIx64 "\"", *id);
    fputs(",\"args\":{", x->out);
}

static void object_json(FILE *f, const obj_identity *id)
{
    char buf[160];
    obj_format(id, buf, sizeof buf);
    ct_print_json_string(f, buf);
}

/* Args shared by every event of the instance. */
static void common_args(FILE *f, const ex_inst *in)
{
    fputs("\"op\":", f);
    ct_print_json_string(f, ct_print_op_name((int)in->op));
    fprintf(f, ",\"op_id\":%" PRIu64 ",\"object\":", in->op_id);
    object_json(f, &in->id[0]);
}

static void e2e_args(FILE *f, const ex_inst *in, const uint64_t *t)
{
    common_args(f, in);
    fprintf(f, ",\"ring\":%" PRIu32 ",\"blocks\":%" PRIu32 ",\"status\":", in->ring,
            in->nblocks);
    if (in->has_status)
        status_json(f, in->status[0]);
    else
        fputs("\"pending\"", f);
    uint32_t failed = 0;
    for (uint32_t i = 0; i < in->nstatus; i++)
        failed += (in->status[i] & 0xC0000000u) == 0xC0000000u;
    fprintf(f, ",\"failed_blocks\":%" PRIu32 ",\"block_status\":[", failed);
    for (uint32_t i = 0; i < in->nstatus; i++) {
        if (i)
            fputc(',', f);
        status_json(f, in->status[i]);
    }
    fputs("],\"objects\":[", f);
    for (uint32_t i = 0; i < in->nid; i++) {
        if (i)
            fputc(',', f);
        object_json(f, &in->id[i]);
    }
    fputs("],\"seq\":{", f);
    int n = 0;
    for (int e = 1; e <= 4; e++)
        if (in->have & (1u << e))
            fprintf(f, "%s\"%s\":%" PRIu64, n++ ? "," : "", edge_key[e], in->seq[e]);
    fputs("},\"latency_ns\":{", f);
    n = 0;
    for (int e = 1; e <= 3; e++)
        if ((in->have & (1u << e)) && (in->have & (1u << (e + 1))))
            fprintf(f, "%s\"%s\":%" PRIu64, n++ ? "," : "", stage_key[e], t[e + 1] - t[e]);
    if ((in->have & 0x1e) == 0x1e)
        fprintf(f, "%s\"end_to_end\":%" PRIu64, n ? "," : "", t[4] - t[1]);
    fprintf(f, "},\"complete\":%s,\"reentrant\":%s,\"tree_truncated\":%s",
            (in->have & 0x1e) == 0x1e ? "true" : "false", in->reentrant ? "true" : "false",
            in->tree_truncated ? "true" : "false");
    if (in->nblocks > EX_BLOCKS)
        fprintf(f, ",\"blocks_listed\":%u", EX_BLOCKS);
}

/* Edge times made monotone from the instance's start, so stages lie within the whole. */
static void clamp_times(const ex_inst *in, uint64_t *t, int *first, int *last)
{
    uint64_t prev = in->start;
    *first = *last = 0;
    for (int e = 1; e <= 4; e++) {
        if (!(in->have & (1u << e)))
            continue;
        t[e] = in->ts[e] > prev ? in->ts[e] : prev;
        prev = t[e];
        if (*first == 0)
            *first = e;
        *last = e;
    }
}

static void write_slot(export_chrome *x, const ex_inst *in, const uint64_t *t, int first,
                       int last, uint32_t pid, uint32_t slot)
{
    uint32_t tid = ex_slot_tid(slot, 0);
    const char *name = ct_print_op_name((int)in->op);
    uint64_t dur = t[last] - t[first];
    event_head(x, name, "operation", 'X', t[first], &dur, pid, tid, NULL);
    e2e_args(x->out, in, t);
    fputs("}}", x->out);
    for (int e = 1; e <= 3; e++) {
        if (!(in->have & (1u << e)) || !(in->have & (1u << (e + 1))))
            continue;
        uint64_t d = t[e + 1] - t[e];
        event_head(x, ex_stage_name[e], "stage", 'X', t[e], &d, pid, ex_slot_tid(slot, (unsigned)e),
                   NULL);
        common_args(x->out, in);
        fprintf(x->out, ",\"from_seq\":%" PRIu64 ",\"to_seq\":%" PRIu64 "}}", in->seq[e],
                in->seq[e + 1]);
    }
}

/* No slot was free: async events nest by id and need no track of their own. */
static void write_async(export_chrome *x, const ex_inst *in, const uint64_t *t, int first,
                        int last, uint32_t pid)
{
    const char *name = ct_print_op_name((int)in->op);
    event_head(x, name, "operation", 'b', t[first], NULL, pid, 0, &in->op_id);
    e2e_args(x->out, in, t);
    fputs("}}", x->out);
    for (int e = 1; e <= 3; e++) {
        if (!(in->have & (1u << e)) || !(in->have & (1u << (e + 1))))
            continue;
        event_head(x, ex_stage_name[e], "stage", 'b', t[e], NULL, pid, 0, &in->op_id);
        common_args(x->out, in);
        fputs("}}", x->out);
        event_head(x, ex_stage_name[e], "stage", 'e', t[e + 1], NULL, pid, 0, &in->op_id);
        fputs("}}", x->out);
    }
    event_head(x, name, "operation", 'e', t[last], NULL, pid, 0, &in->op_id);
    fputs("}}", x->out);
}

void ex_inst_write(export_chrome *x, ex_inst *in)
{
    uint64_t t[5] = {0};
    int first, last;
    clamp_times(in, t, &first, &last);
    ex_lane *l = &x->lanes[in->lane];
    x->res.instances++;
    x->res.incomplete += (in->have & 0x1e) != 0x1e;
    if (in->slot >= 0) {
        ex_slot *s = &l->slot[in->slot];
        write_slot(x, in, t, first, last, ex_lane_pid(l), (uint32_t)in->slot);
        s->busy_until = t[last];
        s->holder = EX_NONE;
    } else {
        x->res.async_instances++;
        write_async(x, in, t, first, last, ex_lane_pid(l));
    }
    uint32_t idx = (uint32_t)(in - x->pool);
    obj_map_del(&x->pending, in->op_id);
    in->in_use = 0;
    x->free_idx[x->nfree++] = idx;
}
