/* export_chrome.c - the streaming Trace Event Format writer (export.h): gathers the four
 * edges of each operation instance, gives the instance a track slot when it starts and
 * writes it when its last edge arrives: end to end on the slot's first track, and each
 * stage (IM in->down, NIC, return) on the slot's track for that edge pair.
 *
 * Why slots are taken at the first edge and kept until the last: a slot is free for a new
 * instance only when nothing on it is pending and its last event ended at or before the new
 * one's start, so the events of one (pid, tid) never overlap. Later edges
 * are clamped to the instance's start, so odd clocks cannot break that either.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export_int.h"

void export_opts_init(export_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_pending = EX_DEFAULT_PENDING;
    o->max_slots = EX_DEFAULT_SLOTS;
}

/* ---- JSON pieces ------------------------------------------------------------------------- */

void ex_sep(export_chrome *x)
{
    fputs(x->first ? "\n" : ",\n", x->out);
    x->first = 0;
    x->res.json_events++;
}

/* A nanosecond count as microseconds with three decimals: exact, no float rounding. */
void ex_us(FILE *f, uint64_t ns)
{
    fprintf(f, "%" PRIu64 ".%03u", ns / 1000u, (unsigned)(ns % 1000u));
}

/* "M" metadata event: name_key is process_name/thread_name (string arg "name") or
 * process_sort_index/thread_sort_index (number arg "sort_index"). */
void ex_meta_name(export_chrome *x, const char *key, uint32_t pid, uint32_t tid,
                  const char *name)
{
    ex_sep(x);
    fprintf(x->out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
            ",\"args\":{\"name\":", key, pid, tid);
    ct_print_json_string(x->out, name);
    fputs("}}", x->out);
}

void ex_meta_sort(export_chrome *x, const char *key, uint32_t pid, uint32_t tid,
                  uint32_t index)
{
    ex_sep(x);
    fprintf(x->out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
            ",\"args\":{\"sort_index\":%" PRIu32 "}}", key, pid, tid, index);
}

/* A global instant event on process 0; the caller writes the args and "}}". */
void ex_instant_head(export_chrome *x, const char *name, uint64_t ts)
{
    ex_sep(x);
    fputs("{\"name\":", x->out);
    ct_print_json_string(x->out, name);
    fputs(",\"cat\":\"trace\",\"ph\":\"i\",\"s\":\"g\",\"ts\":", x->out);
    ex_us(x->out, ts);
    fputs(",\"pid\":0,\"tid\":0,\"args\":{", x->out);
}

/* ---- lanes and slots --------------------------------------------------------------------- */

static ct_err lane_for(export_chrome *x, uint32_t ring, uint32_t *lane)
{
    uint64_t key = ring < EX_MAX_LANES ? ring : EX_MAX_LANES; /* one lane for the rest */
    uint64_t *v = obj_map_get(&x->lane_of, key);
    if (v != NULL) {
        *lane = (uint32_t)*v;
        return CT_OK;
    }
    if (x->nlanes == x->lanes_cap) {
        size_t cap = x->lanes_cap ? x->lanes_cap * 2 : 8;
        ex_lane *l = realloc(x->lanes, cap * sizeof *l);
        if (l == NULL)
            return CT_ERR_NOMEM;
        x->lanes = l;
        x->lanes_cap = cap;
    }
    ex_lane *l = &x->lanes[x->nlanes];
    memset(l, 0, sizeof *l);
    l->ring = (uint32_t)key;
    if (obj_map_put(&x->lane_of, key, x->nlanes) != CT_OK)
        return CT_ERR_NOMEM;
    *lane = (uint32_t)x->nlanes++;
    x->res.lanes++;
    char name[64];
    if (key < EX_MAX_LANES)
        snprintf(name, sizeof name, "ring %" PRIu32, (uint32_t)key);
    else
        snprintf(name, sizeof name, "rings %u and above", EX_MAX_LANES);
    ex_meta_name(x, "process_name", ex_lane_pid(l), 0, name);
    ex_meta_sort(x, "process_sort_index", ex_lane_pid(l), 0, ex_lane_pid(l));
    return CT_OK;
}

/* A free slot of `l` for an instance starting at `start`, or a new one; -1 when all of the
 * max_slots are busy. */
static int32_t slot_take(export_chrome *x, ex_lane *l, uint64_t start, uint32_t holder)
{
    for (uint32_t s = 0; s < l->nslot; s++)
        if (l->slot[s].holder == EX_NONE && l->slot[s].busy_until <= start) {
            l->slot[s].holder = holder;
            return (int32_t)s;
        }
    if (l->nslot >= x->o.max_slots)
        return -1;
    if (l->nslot == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        ex_slot *v = realloc(l->slot, cap * sizeof *v);
        if (v == NULL)
            return -1;
        l->slot = v;
        l->cap = cap;
    }
    uint32_t s = l->nslot++;
    l->slot[s].holder = holder;
    l->slot[s].busy_until = 0;
    x->res.tracks += EX_TRACKS_PER_SLOT;
    for (unsigned st = 0; st < EX_TRACKS_PER_SLOT; st++) {
        char name[64];
        uint32_t tid = ex_slot_tid(s, st);
        if (st == 0)
            snprintf(name, sizeof name, "operations %" PRIu32, s + 1);
        else
            snprintf(name, sizeof name, "operations %" PRIu32 ": %s", s + 1, ex_stage_name[st]);
        ex_meta_name(x, "thread_name", ex_lane_pid(l), tid, name);
        ex_meta_sort(x, "thread_sort_index", ex_lane_pid(l), tid, tid);
    }
    return (int32_t)s;
}

/* ---- pending instances ------------------------------------------------------------------- */

static ct_err inst_alloc(export_chrome *x, uint32_t *idx)
{
    if (x->nfree > 0) {
        *idx = x->free_idx[--x->nfree];
        return CT_OK;
    }
    if (x->npool == x->pool_cap) {
        if (x->pool_cap >= x->o.max_pending)
            return CT_ERR_LIMIT;
        uint32_t cap = x->pool_cap ? x->pool_cap * 2 : 64;
        if (cap > x->o.max_pending)
            cap = x->o.max_pending;
        ex_inst *p = realloc(x->pool, (size_t)cap * sizeof *p);
        if (p == NULL)
            return CT_ERR_NOMEM;
        x->pool = p;
        uint32_t *f = realloc(x->free_idx, (size_t)cap * sizeof *f);
        if (f == NULL)
            return CT_ERR_NOMEM;
        x->free_idx = f;
        x->pool_cap = cap;
    }
    *idx = x->npool++;
    return CT_OK;
}

/* The pending instance that started first (smallest first seq). */
static ex_inst *oldest_pending(export_chrome *x)
{
    ex_inst *best = NULL;
    for (uint32_t i = 0; i < x->npool; i++)
        if (x->pool[i].in_use && (best == NULL || x->pool[i].first_seq < best->first_seq))
            best = &x->pool[i];
    return best;
}

static ct_err inst_new(export_chrome *x, const Chimtrace__V1__Event *ev, ex_inst **out)
{
    uint32_t idx;
    ct_err e = inst_alloc(x, &idx);
    if (e == CT_ERR_LIMIT) { /* full: the oldest goes out as incomplete */
        ex_inst *old = oldest_pending(x);
        x->res.evicted++;
        ex_inst_write(x, old);
        e = inst_alloc(x, &idx);
    }
    if (e != CT_OK)
        return e;
    ex_inst *in = &x->pool[idx];
    memset(in, 0, sizeof *in);
    in->in_use = 1;
    in->op_id = ev->op_id;
    in->op = (uint32_t)ev->op;
    in->ring = ev->ring;
    in->first_seq = ev->seq;
    in->start = ev->ts_ns;
    if ((e = lane_for(x, ev->ring, &in->lane)) != CT_OK)
        return e;
    in->slot = slot_take(x, &x->lanes[in->lane], in->start, idx);
    if (obj_map_put(&x->pending, in->op_id, idx) != CT_OK)
        return CT_ERR_NOMEM;
    *out = in;
    return CT_OK;
}

/* Remember what the instance's args will say about edge `edge` of it. */
static void inst_note(ex_inst *in, const Chimtrace__V1__Event *ev, uint32_t edge,
                      const obj_identity *ids)
{
    in->have |= (uint8_t)(1u << edge);
    in->ts[edge] = ev->ts_ns;
    in->seq[edge] = ev->seq;
    in->nblocks = (uint32_t)ev->n_block;
    in->tree_truncated |= ev->has_tree_truncated && ev->tree_truncated;
    if (edge == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_IN_BELOW)
        in->reentrant = ev->has_flags && (ev->flags & CT_EVENT_FLAG_REENTRANT);
    size_t n = ev->n_block < EX_BLOCKS ? ev->n_block : EX_BLOCKS;
    for (size_t i = 0; i < n; i++)
        if (ids != NULL && ids[i].kind != OBJ_NONE)
            in->id[i] = ids[i];
    if (n > in->nid)
        in->nid = (uint32_t)n;
    if (edge >= CHIMTRACE__V1__EDGE__EDGE_COMPLETION_IN_BELOW) {
        in->nstatus = (uint32_t)n;
        for (size_t i = 0; i < n; i++)
            in->status[i] = ev->block[i]->has_status ? ev->block[i]->status : 0;
        in->has_status = n > 0;
    }
}

static void other_event(export_chrome *x, const Chimtrace__V1__Event *ev)
{
    uint32_t lane;
    x->res.other_events++;
    if (lane_for(x, ev->ring, &lane) != CT_OK) {
        x->err = CT_ERR_NOMEM;
        return;
    }
    ex_lane *l = &x->lanes[lane];
    if (!l->has_other) {
        l->has_other = 1;
        ex_meta_name(x, "thread_name", ex_lane_pid(l), 0, "indications and other operations");
        ex_meta_sort(x, "thread_sort_index", ex_lane_pid(l), 0, 0);
    }
    ex_sep(x);
    fputs("{\"name\":", x->out);
    ct_print_json_string(x->out, ct_print_op_name(ev->has_op ? (int)ev->op : 0));
    fputs(",\"cat\":\"other\",\"ph\":\"i\",\"s\":\"t\",\"ts\":", x->out);
    ex_us(x->out, ev->ts_ns);
    fprintf(x->out, ",\"pid\":%" PRIu32 ",\"tid\":0,\"args\":{\"op_id\":%" PRIu64
            ",\"edge\":\"%s\",\"seq\":%" PRIu64 "}}", ex_lane_pid(l), ev->op_id,
            ct_print_edge_name(ev->has_edge ? (int)ev->edge : 0), ev->seq);
}

static int state_op(const Chimtrace__V1__Event *ev)
{
    return ev->has_op && ev->op >= CHIMTRACE__V1__OPERATION__OP_INITIATE &&
           ev->op <= CHIMTRACE__V1__OPERATION__OP_INVALIDATE;
}

static void add_event(export_chrome *x, const Chimtrace__V1__Event *ev)
{
    const obj_identity *ids = NULL;
    if (obj_tracker_feed(x->objs, ev, &ids) != CT_OK) {
        x->err = CT_ERR_NOMEM;
        return;
    }
    if (ev->has_ts_ns && ev->ts_ns > x->max_ts)
        x->max_ts = ev->ts_ns;
    uint32_t edge = ev->has_edge ? (uint32_t)ev->edge : 0;
    if (!state_op(ev) || !ev->has_op_id || edge < 1 || edge > 4) {
        other_event(x, ev);
        return;
    }
    x->res.events++;
    uint64_t *v = obj_map_get(&x->pending, ev->op_id);
    ex_inst *in = v != NULL ? &x->pool[*v] : NULL;
    if (in != NULL && ((in->have & (1u << edge)) || in->op != (uint32_t)ev->op)) {
        x->res.odd_events++; /* a duplicate edge or a changed operation: keep the first */
        return;
    }
    ct_err e = in != NULL ? CT_OK : inst_new(x, ev, &in);
    if (e != CT_OK) {
        x->err = e;
        return;
    }
    inst_note(in, ev, edge, ids);
    if (edge == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE)
        ex_inst_write(x, in);
}

static void add_loss(export_chrome *x, const Chimtrace__V1__Loss *l)
{
    x->res.loss_records++;
    x->res.lost_events += l->count;
    char name[64];
    snprintf(name, sizeof name, "lost %" PRIu64 " event%s", l->count, l->count == 1 ? "" : "s");
    ex_instant_head(x, name, l->has_first_ts_ns ? l->first_ts_ns : x->max_ts);
    fprintf(x->out, "\"kind\":\"loss\",\"ring\":%" PRIu32 ",\"count\":%" PRIu64
            ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"first_ts_ns\":%" PRIu64
            ",\"last_ts_ns\":%" PRIu64 ",\"cause\":\"%s\"}}", l->ring, l->count, l->first_seq,
            l->last_seq, l->first_ts_ns, l->last_ts_ns,
            l->cause == CHIMTRACE__V1__LOSS_CAUSE__LOSS_RING_FULL ? "ring_full"
            : l->cause == CHIMTRACE__V1__LOSS_CAUSE__LOSS_RECORD_TOO_LARGE ? "record_too_large"
                                                                            : "unspecified");
}

ct_err export_chrome_add(export_chrome *x, const Chimtrace__V1__Record *rec)
{
    if (x == NULL || rec == NULL)
        return CT_ERR_ARG;
    x->res.records++;
    switch (rec->kind_case) {
    case CHIMTRACE__V1__RECORD__KIND_EVENT:
        add_event(x, rec->event);
        break;
    case CHIMTRACE__V1__RECORD__KIND_LOSS:
        add_loss(x, rec->loss);
        break;
    case CHIMTRACE__V1__RECORD__KIND_SUMMARY:
        ex_instant_head(x, "run summary", x->max_ts);
        fputs("\"kind\":\"summary\",\"summary\":", x->out);
        ct_print_message_json(x->out, &rec->summary->base);
        fputs("}}", x->out);
        break;
    default: /* the header (already in metadata), pcap frame references */
        break;
    }
    if (x->err == CT_OK && ferror(x->out))
        x->err = CT_ERR_IO;
    return x->err;
}

ct_err export_chrome_truncated(export_chrome *x, uint64_t at, uint64_t complete_end,
                               const char *msg)
{
    x->res.truncated = 1;
    x->res.truncated_at = at;
    x->res.complete_end = complete_end;
    snprintf(x->res.truncation_msg, sizeof x->res.truncation_msg, "%s", msg ? msg : "");
    ex_instant_head(x, "trace truncated", x->max_ts);
    fprintf(x->out, "\"kind\":\"truncation\",\"truncated_at_byte\":%" PRIu64
            ",\"last_complete_chunk_ends_at_byte\":%" PRIu64 ",\"message\":", at,
            complete_end);
    ct_print_json_string(x->out, msg ? msg : "");
    fputs("}}", x->out);
    return ferror(x->out) ? (x->err = CT_ERR_IO) : x->err;
}

ct_err export_chrome_damaged(export_chrome *x, uint64_t offset, const char *msg)
{
    if (x->res.damaged_chunks++ == 0)
        snprintf(x->res.damage_msg, sizeof x->res.damage_msg, "%s", msg ? msg : "");
    ex_instant_head(x, "damaged chunk skipped", x->max_ts);
    fprintf(x->out, "\"kind\":\"damage\",\"offset\":%" PRIu64 ",\"message\":", offset);
    ct_print_json_string(x->out, msg ? msg : "");
    fputs("}}", x->out);
    return ferror(x->out) ? (x->err = CT_ERR_IO) : x->err;
}

/* ---- life cycle -------------------------------------------------------------------------- */

ct_err export_chrome_new(FILE *out, const Chimtrace__V1__TraceHeader *hdr,
                         const export_opts *o, export_chrome **xp)
{
    *xp = NULL;
    if (out == NULL)
        return CT_ERR_ARG;
    export_chrome *x = calloc(1, sizeof *x);
    if (x == NULL)
        return CT_ERR_NOMEM;
    export_opts_init(&x->o);
    if (o != NULL) {
        x->o.max_pending = o->max_pending ? o->max_pending : EX_DEFAULT_PENDING;
        x->o.max_slots = o->max_slots ? o->max_slots : EX_DEFAULT_SLOTS;
    }
    x->out = out;
    x->hdr = hdr;
    x->first = 1;
    obj_map_init(&x->pending);
    obj_map_init(&x->lane_of);
    if (obj_tracker_new(&x->objs) != CT_OK) {
        free(x);
        return CT_ERR_NOMEM;
    }
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    char name[256];
    snprintf(name, sizeof name, "chimtrace trace%s%s", hdr && hdr->workload ? ": " : "",
             hdr && hdr->workload ? hdr->workload : "");
    ex_meta_name(x, "process_name", 0, 0, name);
    ex_meta_sort(x, "process_sort_index", 0, 0, 0);
    ex_meta_name(x, "thread_name", 0, 0, "losses, truncation, summary");
    *xp = x;
    return ferror(out) ? CT_ERR_IO : CT_OK;
}

void export_chrome_free(export_chrome *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->nlanes; i++)
        free(x->lanes[i].slot);
    free(x->lanes);
    free(x->pool);
    free(x->free_idx);
    obj_map_fini(&x->pending);
    obj_map_fini(&x->lane_of);
    obj_tracker_free(x->objs);
    free(x);
}

/* Pending instances in the order they started. */
static int by_first_seq(const void *a, const void *b)
{
    const ex_inst *const *x = a, *const *y = b;
    return (*x)->first_seq < (*y)->first_seq ? -1 : (*x)->first_seq > (*y)->first_seq;
}

static ct_err flush_pending(export_chrome *x)
{
    size_t n = 0;
    ex_inst **v = malloc((x->npool ? x->npool : 1) * sizeof *v);
    if (v == NULL)
        return CT_ERR_NOMEM;
    for (uint32_t i = 0; i < x->npool; i++)
        if (x->pool[i].in_use)
            v[n++] = &x->pool[i];
    qsort(v, n, sizeof *v, by_first_seq);
    for (size_t i = 0; i < n; i++)
        ex_inst_write(x, v[i]);
    free(v);
    return CT_OK;
}

ct_err export_chrome_finish(export_chrome *x, export_result *res)
{
    if (x->err == CT_OK)
        x->err = flush_pending(x);
    fputs("\n],\n\"metadata\":{\"chimtrace_header\":", x->out);
    if (x->hdr != NULL)
        ct_print_message_json(x->out, &x->hdr->base);
    else
        fputs("null", x->out);
    export_result *r = &x->res;
    fprintf(x->out, ",\n\"chimtrace_export\":{\"time_unit\":\"ts_ns of the trace, in us\","
            "\"instances\":%" PRIu64 ",\"incomplete\":%" PRIu64 ",\"async_instances\":%" PRIu64
            ",\"evicted\":%" PRIu64 ",\"events\":%" PRIu64 ",\"other_events\":%" PRIu64
            ",\"odd_events\":%" PRIu64 ",\"loss_records\":%" PRIu64 ",\"lost_events\":%" PRIu64
            ",\"lanes\":%" PRIu64 ",\"tracks\":%" PRIu64 ",\"truncated\":%s"
            ",\"damaged_chunks\":%" PRIu64 "}}}\n", r->instances, r->incomplete,
            r->async_instances, r->evicted, r->events, r->other_events, r->odd_events,
            r->loss_records, r->lost_events, r->lanes, r->tracks,
            r->truncated ? "true" : "false", r->damaged_chunks);
    if (fflush(x->out) != 0 || ferror(x->out))
        x->err = x->err ? x->err : CT_ERR_IO;
    if (res != NULL)
        *res = x->res;
    return x->err;
}
