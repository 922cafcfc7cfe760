/* synth_test.c - the synthetic record generator keeps the promises its traces rely on.
 *
 * Every trace-file test draws its fixtures from ct_synth, so its invariants are pinned
 * here: determinism per seed, seq/ts order with gaps only where a Loss says so, four edges
 * per operation in order, well-formed pre-order trees with the right state per operation,
 * stable ids allocated as FORMAT.md §6.4 says, and no memory growth per record.
 */
#include <criterion/criterion.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "tf_helpers.h"

#define N_RECORDS 60000

extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_in_use(void)
{
    if (__sanitizer_get_current_allocated_bytes)
        return __sanitizer_get_current_allocated_bytes();
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

Test(synth, same_seed_gives_the_same_records_and_another_seed_does_not)
{
    ct_synth *a, *b, *c;
    cr_assert_eq(ct_synth_new(99, &a), CT_OK);
    cr_assert_eq(ct_synth_new(99, &b), CT_OK);
    cr_assert_eq(ct_synth_new(100, &c), CT_OK);
    int differs = 0;
    for (int i = 0; i < 5000; i++) {
        size_t la, lb, lc;
        uint8_t *pa = tf_pack(ct_synth_next(a), &la);
        uint8_t *pb = tf_pack(ct_synth_next(b), &lb);
        uint8_t *pc = tf_pack(ct_synth_next(c), &lc);
        cr_assert(la == lb && memcmp(pa, pb, la) == 0, "record %d differs for one seed", i);
        differs |= la != lc || memcmp(pa, pc, la) != 0;
        free(pa), free(pb), free(pc);
    }
    cr_assert(differs, "seeds 99 and 100 gave identical streams");
    Chimtrace__V1__Record *ra, *rb;
    cr_assert_eq(ct_synth_fill_all(a, CHIMTRACE__V1__RECORD__KIND_EVENT, &ra), CT_OK);
    cr_assert_eq(ct_synth_fill_all(b, CHIMTRACE__V1__RECORD__KIND_EVENT, &rb), CT_OK);
    size_t la, lb;
    uint8_t *pa = tf_pack(ra, &la), *pb = tf_pack(rb, &lb);
    cr_assert(la == lb && memcmp(pa, pb, la) == 0, "fill_all is not deterministic");
    free(pa), free(pb);
    ct_synth_free(a), ct_synth_free(b), ct_synth_free(c);
}

Test(synth, next_allocates_nothing_however_many_records)
{
    ct_synth *s;
    cr_assert_eq(ct_synth_new(5, &s), CT_OK);
    (void)ct_synth_next(s);
    size_t before = heap_in_use();
    for (int i = 0; i < 200000; i++)
        (void)ct_synth_next(s);
    (void)ct_synth_summary(s);
    cr_assert_eq(heap_in_use(), before, "heap moved from %zu to %zu bytes", before,
                 heap_in_use());
    ct_synth_free(s);
}

/* Stable ids (FORMAT.md §6.4): every *_id field but op_id, in serialization order, is 0,
 * an id seen before, or the next new one. */
static void check_ids(const ProtobufCMessage *m, uint64_t *max_id, unsigned char *seen,
                      size_t seen_size)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        size_t n = 1;
        const char *slot = base + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(base + f->quantifier_offset);
            slot = *(const char *const *)slot;
        } else if (f->quantifier_offset && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                   !*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)slot)[k];
                if (sub)
                    check_ids(sub, max_id, seen, seen_size);
                continue;
            }
            size_t len = strlen(f->name);
            if (f->type != PROTOBUF_C_TYPE_UINT64 || len < 3 ||
                strcmp(f->name + len - 3, "_id") || !strcmp(f->name, "op_id"))
                continue;
            uint64_t id = ((const uint64_t *)slot)[k];
            cr_assert_lt(id, seen_size, "%s.%s = %llu is not a small stable id", d->short_name,
                         f->name, (unsigned long long)id);
            if (id == 0 || seen[id])
                continue;
            cr_assert_eq(id, *max_id + 1, "%s.%s: new id %llu, want %llu", d->short_name,
                         f->name, (unsigned long long)id, (unsigned long long)*max_id + 1);
            seen[id] = 1;
            *max_id = id;
        }
    }
}

/* The tree: pre-order indices, parents earlier, neighbor -> path -> tcp layering. */
static void check_tree(const Chimtrace__V1__Event *ev)
{
    cr_assert(ev->n_block >= 1 && ev->n_block <= 8, "%zu blocks", ev->n_block);
    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        cr_assert(b->has_index && b->index == i);
        cr_assert_eq(b->has_status, ev->edge >= 3, "status only on completion edges");
        uint32_t t = b->header_type;
        int layer = t <= 4 ? 0 : t <= 12 ? 1 : 2;
        if (layer == 0) {
            cr_assert(!b->has_parent, "a neighbor block is a root");
        } else {
            cr_assert(b->has_parent && b->parent < i, "block %zu: parent must come first", i);
            uint32_t pt = ev->block[b->parent]->header_type;
            int player = pt <= 4 ? 0 : pt <= 12 ? 1 : 2;
            cr_assert_eq(player, layer - 1, "block %zu hangs under the wrong layer", i);
        }
        int has_const = b->neighbor_const || b->path_const || b->tcp_const;
        int has_cached = b->neighbor_cached || b->path_cached || b->tcp_cached;
        int has_deleg = b->neighbor_delegated || b->path_delegated || b->tcp_delegated;
        switch (ev->op) {
        case CHIMTRACE__V1__OPERATION__OP_INITIATE:
            cr_assert(has_const && has_cached && has_deleg, "initiate carries full state");
            break;
        case CHIMTRACE__V1__OPERATION__OP_UPDATE:
            cr_assert(!has_const && has_cached && !has_deleg, "update carries cached state");
            break;
        case CHIMTRACE__V1__OPERATION__OP_TERMINATE:
        case CHIMTRACE__V1__OPERATION__OP_QUERY:
            cr_assert(!has_const && !has_cached && has_deleg, "delegated state only");
            break;
        default:
            cr_assert(!has_const && !has_cached && !has_deleg, "invalidate carries no state");
        }
        if (b->path_const)
            cr_assert(b->path_const->source_address.len == 4 ||
                      b->path_const->source_address.len == 16);
    }
}

typedef struct op_track {
    uint64_t op_id;
    int last_edge, op;
    size_t n_block;
} op_track;

Test(synth, stream_keeps_order_edges_trees_and_ids)
{
    ct_synth *s;
    ct_synth_stats st;
    static unsigned char seen[1 << 16];
    static op_track ops[1 << 16];
    uint64_t prev_seq = 0, prev_ts = 0, next_gap_end = 0, max_id = 0;
    size_t events = 0, losses = 0, frames = 0, open = 0;
    int op_seen[6] = {0};
    cr_assert_eq(ct_synth_new(2025, &s), CT_OK);
    for (int i = 0; i < N_RECORDS; i++) {
        const Chimtrace__V1__Record *r = ct_synth_next(s);
        check_ids(&r->base, &max_id, seen, sizeof seen);
        if (r->kind_case == CHIMTRACE__V1__RECORD__KIND_LOSS) {
            cr_assert_eq(r->loss->first_seq, prev_seq + 1, "a loss covers the next seqs");
            cr_assert_eq(r->loss->last_seq - r->loss->first_seq + 1, r->loss->count);
            next_gap_end = r->loss->last_seq;
            losses++;
            continue;
        }
        if (r->kind_case == CHIMTRACE__V1__RECORD__KIND_FRAME) {
            cr_assert_eq(r->frame->frame, ++frames, "frame numbers count from 1");
            continue;
        }
        cr_assert_eq(r->kind_case, CHIMTRACE__V1__RECORD__KIND_EVENT);
        const Chimtrace__V1__Event *ev = r->event;
        uint64_t want_seq = (next_gap_end ? next_gap_end : prev_seq) + 1;
        cr_assert_eq(ev->seq, want_seq, "seq %llu after %llu: gaps only where a Loss says",
                     (unsigned long long)ev->seq, (unsigned long long)prev_seq);
        cr_assert_geq(ev->ts_ns, prev_ts, "ts_ns went backwards at seq %llu",
                      (unsigned long long)ev->seq);
        prev_seq = ev->seq, prev_ts = ev->ts_ns, next_gap_end = 0;
        events++;
        cr_assert_lt(ev->op_id, sizeof ops / sizeof ops[0]);
        op_track *t = &ops[ev->op_id];
        cr_assert_eq((int)ev->edge, t->last_edge + 1, "op %llu: edge %d after %d",
                     (unsigned long long)ev->op_id, ev->edge, t->last_edge);
        if (ev->edge > 1)
            cr_assert(t->op == (int)ev->op && t->n_block == ev->n_block, "same op, same tree");
        t->last_edge = ev->edge, t->op = ev->op, t->n_block = ev->n_block;
        open += ev->edge == 1 ? 1 : ev->edge == 4 ? (size_t)-1 : 0;
        cr_assert_leq(open, 4, "more than 4 operations in flight");
        op_seen[ev->op]++;
        check_tree(ev);
    }
    for (int op = 1; op <= 5; op++)
        cr_assert_gt(op_seen[op], 100, "operation %d hardly occurs", op);
    cr_assert(losses >= N_RECORDS / 1600 && losses <= N_RECORDS / 400, "%zu losses", losses);
    cr_assert_gt(frames, 0);
    ct_synth_get_stats(s, &st);
    cr_assert_eq(st.records, N_RECORDS);
    cr_assert_eq(st.events, events);
    cr_assert_eq(st.losses, losses);
    cr_assert_eq(st.frames, frames);
    cr_assert_eq(st.last_seq, prev_seq);
    const Chimtrace__V1__Record *sum = ct_synth_summary(s);
    cr_assert_eq(sum->summary->events, events);
    uint64_t per_op = 0;
    for (size_t i = 0; i < sum->summary->n_op_count; i++)
        per_op += sum->summary->op_count[i]->count;
    cr_assert_eq(per_op, events, "op counts add up to the events");
    ct_synth_free(s);
}

Test(synth, header_names_the_workload_seed_and_platform)
{
    ct_synth *s;
    Chimtrace__V1__TraceHeader *h;
    cr_assert_eq(ct_synth_new(31337, &s), CT_OK);
    ct_synth_header(s, &h);
    cr_assert_str_eq(h->workload, "synth");
    cr_assert_str_eq(h->producer_name, "chimtrace");
    cr_assert(h->has_seed && h->seed == 31337);
    cr_assert(h->has_abi && h->abi == CHIMTRACE__V1__ABI__ABI_X64);
    cr_assert(h->has_ndis_version && h->ndis_version == 0x00060001u);
    cr_assert(h->has_clock_source);
    cr_assert_eq(h->clock_source, CHIMTRACE__V1__CLOCK_SOURCE__CLOCK_VIRTUAL);
    cr_assert_not_null(h->capture);
    cr_assert_eq(h->n_required_features, 0);
    cr_assert_eq(ct_synth_new(1, NULL), CT_ERR_ARG);
    ct_synth_free(s);
}
