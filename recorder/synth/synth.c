/* synth.c - the synth generator object and its record stream (ct_synth_next).
 *
 * Owns the seeded RNG, the virtual clock, the sequence counter and the small set of
 * in-flight operation instances whose four edges are interleaved into one stream; Loss
 * and FrameRef records are slotted in between events. Everything returned points into
 * storage inside the object, so a billion records cost no more memory than one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_rng.h"
#include "synth_int.h"

/* A splitmix64 stream: tiny, fast, and every seed (0 included) gives a good stream. */
uint64_t syn_rand(ct_synth *s)
{
    return ct_splitmix64(&s->rng);
}

uint32_t syn_below(ct_synth *s, uint32_t n)
{
    return (uint32_t)(syn_rand(s) % n);
}

static void kv_set(Chimtrace__V1__KeyValue *kv, const char *key, const char *value)
{
    chimtrace__v1__key_value__init(kv);
    kv->key = (char *)key;
    kv->value = (char *)value;
}

static void header_build(ct_synth *s)
{
    syn_header_out *h = &s->header;
    Chimtrace__V1__TraceHeader *t = &h->hdr;
    Chimtrace__V1__CaptureConfig *c = &h->capture;

    chimtrace__v1__trace_header__init(t);
    chimtrace__v1__capture_config__init(c);
    snprintf(h->seed_text, sizeof h->seed_text, "%llu", (unsigned long long)s->seed);
    for (int i = 0; i < 16; i++)
        h->uuid[i] = (uint8_t)(syn_rand(s) >> 24);
    h->uuid[6] = (uint8_t)((h->uuid[6] & 0x0F) | 0x40);    /* looks like a v4 UUID */
    h->uuid[8] = (uint8_t)((h->uuid[8] & 0x3F) | 0x80);

    c->has_ring_count = 1, c->ring_count = SYN_RINGS;
    c->has_ring_bytes = 1, c->ring_bytes = 1u << 20;
    c->has_max_blocks_per_event = 1, c->max_blocks_per_event = 64;
    c->has_chunk_target_bytes = 1, c->chunk_target_bytes = 128u * 1024u;
    c->has_zstd_level = 1, c->zstd_level = 1;
    c->has_deterministic = 1, c->deterministic = 1;
    c->has_host_threads = 1, c->host_threads = 1;
    c->nic_mode = "model";
    c->has_nic_synchronous = 1, c->nic_synchronous = 0;
    kv_set(&h->option[0], "synth.neighbors", "6");
    kv_set(&h->option[1], "synth.max_inflight", "4");
    h->option_ptr[0] = &h->option[0], h->option_ptr[1] = &h->option[1];
    c->n_option = 2, c->option = h->option_ptr;

    t->has_schema_major = 1, t->schema_major = 1;
    t->has_schema_minor = 1, t->schema_minor = 0;
    t->producer_name = "chimtrace";
    t->producer_version = "synth-1";
    t->has_abi = 1, t->abi = CHIMTRACE__V1__ABI__ABI_X64;
    t->has_ndis_version = 1, t->ndis_version = 0x00060001u;
    t->has_timestamp_unit_ns = 1, t->timestamp_unit_ns = 1;
    t->has_clock_source = 1, t->clock_source = CHIMTRACE__V1__CLOCK_SOURCE__CLOCK_VIRTUAL;
    t->has_start_unix_ns = 1;
    t->start_unix_ns = 1700000000000000000ull + (s->seed % 1000000007ull);
    t->capture = c;
    t->workload = "synth";
    t->has_seed = 1, t->seed = s->seed;
    kv_set(&h->param[0], "seed", h->seed_text);
    kv_set(&h->param[1], "generator", "ct_synth");
    h->param_ptr[0] = &h->param[0], h->param_ptr[1] = &h->param[1];
    t->n_workload_param = 2, t->workload_param = h->param_ptr;
    t->driver_build_id = "synth";
    t->has_trace_uuid = 1, t->trace_uuid.len = 16, t->trace_uuid.data = h->uuid;
    t->hostname = "synth-host";
}

ct_err ct_synth_new(uint64_t seed, ct_synth **out)
{
    if (!out)
        return CT_ERR_ARG;
    *out = NULL;
    ct_synth *s = calloc(1, sizeof *s);
    if (!s)
        return CT_ERR_NOMEM;
    s->seed = seed;
    s->rng = seed ^ 0x6368696D74726163ull;  /* "chimtrac": keeps seed 0 off the zero state */
    s->next_seq = 1;
    s->ts_ns = 1000 + syn_below(s, 100000);
    s->next_op_id = 1;
    s->next_frame = 1;
    s->events_until_loss = 500 + syn_below(s, 1000);
    s->events_until_frame = 20 + syn_below(s, 60);
    header_build(s);
    syn_world_init(s);
    *out = s;
    return CT_OK;
}

void ct_synth_free(ct_synth *s)
{
    if (!s)
        return;
    syn_arena_free(s);
    free(s);
}

void ct_synth_header(ct_synth *s, Chimtrace__V1__TraceHeader **hdr)
{
    *hdr = &s->header.hdr;
}

void ct_synth_get_stats(const ct_synth *s, ct_synth_stats *st)
{
    *st = s->stats;
}

static const Chimtrace__V1__Record *emit_pending(ct_synth *s)
{
    syn_pending *p = &s->pending[s->pending_head];
    s->pending_head = (s->pending_head + 1) % SYN_MAX_PENDING;
    s->n_pending--;
    chimtrace__v1__record__init(&s->rec);
    if (p->kind == CHIMTRACE__V1__RECORD__KIND_FRAME) {
        s->frame_out = p->frame;
        s->rec.kind_case = CHIMTRACE__V1__RECORD__KIND_FRAME;
        s->rec.frame = &s->frame_out;
        s->stats.frames++;
    } else {
        s->loss_out = p->loss;
        s->rec.kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS;
        s->rec.loss = &s->loss_out;
        s->stats.losses++;
        s->stats.lost_events += p->loss.count;
    }
    s->stats.records++;
    return &s->rec;
}

static syn_pending *pending_push(ct_synth *s, int kind)
{
    if (s->n_pending == SYN_MAX_PENDING)
        return NULL;
    syn_pending *p = &s->pending[(s->pending_head + s->n_pending) % SYN_MAX_PENDING];
    s->n_pending++;
    p->kind = kind;
    return p;
}

/* A NIC frame for `tcp` (a data-path frame when op_id is 0). Returns its number or 0.
 * FrameRef.kind is reserved in format 1.0, so it stays absent. */
static uint64_t queue_frame(ct_synth *s, int tcp, uint64_t op_id)
{
    syn_pending *p = pending_push(s, CHIMTRACE__V1__RECORD__KIND_FRAME);
    if (!p)
        return 0;
    Chimtrace__V1__FrameRef *f = &p->frame;
    chimtrace__v1__frame_ref__init(f);
    f->has_frame = 1, f->frame = s->next_frame++;
    f->has_ts_ns = 1, f->ts_ns = s->ts_ns + 200 + syn_below(s, 2000);
    f->has_offload_handle_id = 1;
    f->offload_handle_id = syn_id(s, SYN_NS_HOST_HANDLE, SYN_LAYER_TCP, (unsigned)tcp);
    f->has_length = 1, f->length = 60 + syn_below(s, 1455);
    if (op_id)
        f->has_op_id = 1, f->op_id = op_id;
    return f->frame;
}

/* Drop a burst of events on one ring, as a full ring would: the seq numbers are skipped. */
static void queue_loss(ct_synth *s)
{
    syn_pending *p = pending_push(s, CHIMTRACE__V1__RECORD__KIND_LOSS);
    if (!p)
        return;
    Chimtrace__V1__Loss *l = &p->loss;
    int too_large = syn_below(s, 8) == 0;
    uint64_t count = too_large ? 1 : 1 + syn_below(s, 64);
    chimtrace__v1__loss__init(l);
    l->has_ring = 1, l->ring = syn_below(s, SYN_RINGS);
    l->has_count = 1, l->count = count;
    l->has_first_seq = 1, l->first_seq = s->next_seq;
    l->has_last_seq = 1, l->last_seq = s->next_seq + count - 1;
    l->has_first_ts_ns = 1, l->first_ts_ns = s->ts_ns + 1;
    s->ts_ns += count * (100 + syn_below(s, 400));
    l->has_last_ts_ns = 1, l->last_ts_ns = s->ts_ns;
    l->has_cause = 1;
    l->cause = too_large ? CHIMTRACE__V1__LOSS_CAUSE__LOSS_RECORD_TOO_LARGE
                         : CHIMTRACE__V1__LOSS_CAUSE__LOSS_RING_FULL;
    s->next_seq += count;
}

/* Pick the instance that produces the next event, starting a new one now and then. */
static syn_inst *pick_instance(ct_synth *s)
{
    int active[SYN_MAX_INFLIGHT], n_active = 0, free_slot = -1;
    for (int i = 0; i < SYN_MAX_INFLIGHT; i++) {
        if (s->inst[i].active)
            active[n_active++] = i;
        else if (free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0 && (n_active == 0 || syn_below(s, 3) == 0) &&
        syn_inst_start(s, &s->inst[free_slot]))
        return &s->inst[free_slot];
    return &s->inst[active[syn_below(s, (uint32_t)n_active)]];
}

/* Virtual time between two events: short hops inside the IM, longer waits for the NIC,
 * and now and then an idle period. */
static uint64_t time_gap(ct_synth *s, int edge)
{
    if (syn_below(s, 100) == 0)
        return 1000000 + syn_below(s, 20000000);
    switch (edge) {
    case 1: return 1000 + (syn_rand(s) % (1u << syn_below(s, 18)));
    case 3: return 5000 + syn_below(s, 500000);
    default: return 300 + syn_below(s, 2700);
    }
}

static const Chimtrace__V1__Record *emit_event(ct_synth *s)
{
    syn_inst *in = pick_instance(s);
    int edge = in->next_edge;
    Chimtrace__V1__Event *ev = &s->ev;

    s->ts_ns += time_gap(s, edge);
    syn_inst_event(s, in, ev);      /* fills op, edge, op_id, ring, binding, blocks */
    ev->has_seq = 1, ev->seq = s->next_seq++;
    ev->has_ts_ns = 1, ev->ts_ns = s->ts_ns;
    if (edge == 4 && in->op == CHIMTRACE__V1__OPERATION__OP_INITIATE && in->n_nodes > 0 &&
        in->node[in->n_nodes - 1].layer == SYN_LAYER_TCP &&
        in->node[in->n_nodes - 1].status == SYN_STATUS_SUCCESS) {
        uint64_t f = queue_frame(s, in->node[in->n_nodes - 1].obj, in->op_id);
        if (f)
            s->ev_frame[0] = f, ev->n_frame = 1, ev->frame = s->ev_frame;
    }
    if (edge == 4) {
        syn_inst_finish(s, in);
    } else {
        in->next_edge++;
    }
    if (--s->events_until_frame == 0) {
        int t = (int)syn_below(s, SYN_TCPS);
        if (s->tcp[t].offloaded)
            queue_frame(s, t, 0);
        s->events_until_frame = 20 + syn_below(s, 60);
    }
    if (--s->events_until_loss == 0) {
        queue_loss(s);
        s->events_until_loss = 500 + syn_below(s, 1000);
    }
    s->op_edge_count[in->op - 1][edge - 1]++;
    if (!s->stats.events)
        s->first_ts_ns = ev->ts_ns;
    s->stats.events++;
    s->stats.records++;
    s->stats.last_seq = ev->seq;
    s->stats.last_ts_ns = ev->ts_ns;
    chimtrace__v1__record__init(&s->rec);
    s->rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT;
    s->rec.event = ev;
    return &s->rec;
}

const Chimtrace__V1__Record *ct_synth_next(ct_synth *s)
{
    if (s->n_pending)
        return emit_pending(s);
    return emit_event(s);
}

const Chimtrace__V1__Record *ct_synth_summary(ct_synth *s)
{
    syn_summary_out *o = &s->summary;
    Chimtrace__V1__RunSummary *r = &o->sum;
    size_t n = 0;

    chimtrace__v1__run_summary__init(r);
    r->has_events = 1, r->events = s->stats.events;
    r->has_lost_events = 1, r->lost_events = s->stats.lost_events;
    r->has_loss_records = 1, r->loss_records = s->stats.losses;
    r->has_frames = 1, r->frames = s->stats.frames;
    r->has_duration_ns = 1;
    r->duration_ns = s->stats.events ? s->stats.last_ts_ns - s->first_ts_ns : 0;
    r->has_wall_ns = 1, r->wall_ns = r->duration_ns;
    r->has_truncated_trees = 1, r->truncated_trees = 0;
    for (int op = 0; op < SYN_OPS; op++) {
        for (int e = 0; e < SYN_EDGES; e++) {
            if (!s->op_edge_count[op][e])
                continue;
            Chimtrace__V1__OpCount *c = &o->count[n];
            chimtrace__v1__op_count__init(c);
            c->has_op = 1, c->op = (Chimtrace__V1__Operation)(op + 1);
            c->has_edge = 1, c->edge = (Chimtrace__V1__Edge)(e + 1);
            c->has_count = 1, c->count = s->op_edge_count[op][e];
            o->count_ptr[n++] = c;
        }
    }
    r->n_op_count = n, r->op_count = o->count_ptr;
    kv_set(&o->note, "generator", "ct_synth");
    o->note_ptr[0] = &o->note;
    r->n_note = 1, r->note = o->note_ptr;
    chimtrace__v1__record__init(&o->rec);
    o->rec.kind_case = CHIMTRACE__V1__RECORD__KIND_SUMMARY;
    o->rec.summary = r;
    return &o->rec;
}
