/* shim_test.c - the trace shim end to end through its ring and the recorder's encoder:
 * pre-order tree copy with parents, trailing state copy, bounded copies flagged, cycles cut,
 * exact loss records, the runtime switch, and several producer threads. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <pthread.h>

#include "encode.h"
#include "platform_user.h"
#include "shim.h"
#include "tree_builder.h"

static shim *make_shim(uint32_t rings, uint32_t ring_bytes, uint32_t max_blocks)
{
    shim_config cfg = {rings, ring_bytes, max_blocks};
    shim *s = NULL;
    cr_assert_eq(shim_create(&cfg, &s), NDIS_STATUS_SUCCESS);
    shim_set_enabled(s, 1);
    return s;
}

/* The worked example of reference §3.2: Neighbor1 -> {Path1 -> {TCP1, TCP2}, Path2 -> {TCP3}},
 * all new offloads. tb[] in pre-order: N1, P1, T1, T2, P2, T3. */
static void worked_example(tb_block *tb[6])
{
    tb[0] = tb_new(NeighborOffloadState, 1, 0, NULL, 1);
    tb[1] = tb_new(Ip4OffloadState, 1, 0, NULL, 2);
    tb[2] = tb_new(TcpOffloadState, 1, 0, NULL, 3);
    tb[3] = tb_new(TcpOffloadState, 1, 0, NULL, 4);
    tb[4] = tb_new(Ip4OffloadState, 1, 0, NULL, 5);
    tb[5] = tb_new(TcpOffloadState, 1, 0, NULL, 6);
    tb_dep(tb[0], tb[1]);
    tb_dep(tb[1], tb[2]);
    tb_next(tb[2], tb[3]);
    tb_next(tb[1], tb[4]);
    tb_dep(tb[4], tb[5]);
}

static const Chimtrace__V1__Record *next_record(shim *s, uint32_t ring_i, ct_enc *enc)
{
    const ring_rec_hdr *h = ring_read(shim_ring(s, ring_i));
    cr_assert_not_null(h, "ring %u is empty", ring_i);
    const Chimtrace__V1__Record *rec = NULL;
    ct_errinfo ei;
    cr_assert_eq(ct_enc_record(enc, h, &rec, &ei), CT_OK, "%s", ei.msg);
    ring_release(shim_ring(s, ring_i), h);
    return rec;
}

Test(shim, copies_the_tree_in_pre_order_with_parents_and_state)
{
    tb_block *tb[6];
    worked_example(tb);
    shim *s = make_shim(1, 1 << 16, 64);
    ct_enc *enc;
    cr_assert_eq(ct_enc_new(&enc), CT_OK);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_INITIATE, (NDIS_HANDLE)0x1234, tb[0]->mobl);
    cr_assert_eq(op.nblocks, 6);
    const Chimtrace__V1__Record *rec = next_record(s, 0, enc);
    const Chimtrace__V1__Event *ev = rec->event;
    cr_assert_eq(ev->seq, 1);
    cr_assert_eq(ev->op, CHIMTRACE__V1__OPERATION__OP_INITIATE);
    cr_assert_eq(ev->edge, CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE);
    cr_assert_eq(ev->op_id, op.op_id);
    cr_assert(!ev->has_tree_truncated);
    cr_assert_eq(ev->n_block, 6);
    static const int parent[6] = {-1, 0, 1, 1, 0, 4};
    static const uint32_t type[6] = {4, 8, 17, 17, 8, 17};
    for (int i = 0; i < 6; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        cr_assert_eq(b->index, (uint32_t)i);
        cr_assert_eq(b->has_parent, parent[i] >= 0, "block %d parent presence", i);
        if (parent[i] >= 0)
            cr_assert_eq(b->parent, (uint32_t)parent[i], "block %d parent", i);
        cr_assert_eq(b->header_type, type[i]);
        cr_assert_eq(b->status, 0xDEADBEEFu);
        cr_assert(b->has_state_bytes, "block %d has no state", i);
    }
    /* Neighbor: MAC with trailing zeros trimmed, VLAN. */
    const Chimtrace__V1__NeighborConst *nc = ev->block[0]->neighbor_const;
    cr_assert_not_null(nc);
    cr_assert_eq(nc->dl_source_address.len, 6);
    cr_assert_eq(nc->dl_source_address.data[5], 0x55);
    cr_assert_eq(nc->vlan_id, 42);
    cr_assert_eq(nc->offset, sizeof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST));
    /* Path addresses copied through the pointers. */
    const Chimtrace__V1__PathConst *pc = ev->block[1]->path_const;
    cr_assert_eq(pc->source_address.len, 4);
    cr_assert_eq(pc->destination_address.data[3], 2);
    cr_assert_eq(ev->block[1]->path_cached->path_mtu, 1500);
    /* TCP2 (seed 4): delegated state, at its natural alignment after CONST+CACHED. */
    const Chimtrace__V1__TcpDelegated *td = ev->block[3]->tcp_delegated;
    cr_assert_eq(td->snd_nxt, 4460);
    cr_assert_eq(td->state, CHIMTRACE__V1__TCP_CONNECTION_STATE__TCP_CONNECTION_ESTABLISHED);
    cr_assert_eq(td->offset % 8, 0, "TCP delegated misaligned at %u", td->offset);
    cr_assert_eq(ev->block[3]->tcp_const->remote_port, 1004);
    cr_assert_eq(ev->block[3]->tcp_const->rcv_wind_scale, 7);
    /* Stable ids: first appearance order, binding first, then block 0's pointers. */
    cr_assert_eq(ev->binding_id, 1);
    cr_assert_eq(ev->block[0]->block_id, 2);
    ct_enc_free(enc);
    shim_destroy(s);
    for (int i = 0; i < 6; i++)
        tb_free(tb[i]);
}

Test(shim, later_edges_copy_state_only_where_request_in_found_it)
{
    tb_block *tb[6];
    worked_example(tb);
    shim *s = make_shim(1, 1 << 16, 64);
    ct_enc *enc;
    ct_enc_new(&enc);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_INITIATE, NULL, tb[0]->mobl);
    /* The target "offloads" TCP1: its context becomes non-NULL before completion. */
    tb[2]->ctx = (PVOID)0x777;
    shim_completion_out(s, &op, NULL, tb[0]->mobl);
    next_record(s, 0, enc);
    const Chimtrace__V1__Event *ev = next_record(s, 0, enc)->event;
    cr_assert_eq(ev->edge, CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE);
    cr_assert_eq(ev->seq, 2);
    cr_assert_not_null(ev->block[2]->tcp_delegated, "state lost after the context was written");
    cr_assert(ev->block[2]->has_context_value_id);
    ct_enc_free(enc);
    shim_destroy(s);
    for (int i = 0; i < 6; i++)
        tb_free(tb[i]);
}

Test(shim, a_tree_longer_than_max_blocks_is_cut_and_flagged)
{
    tb_block *tb[6];
    worked_example(tb);
    shim *s = make_shim(1, 1 << 16, 3);
    ct_enc *enc;
    ct_enc_new(&enc);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_INITIATE, NULL, tb[0]->mobl);
    const Chimtrace__V1__Event *ev = next_record(s, 0, enc)->event;
    cr_assert_eq(ev->n_block, 3);
    cr_assert(ev->has_tree_truncated && ev->tree_truncated);
    cr_assert_eq(ev->tree_blocks_seen, 6);
    ct_enc_free(enc);
    shim_destroy(s);
    for (int i = 0; i < 6; i++)
        tb_free(tb[i]);
}

Test(shim, a_cyclic_tree_is_cut_not_followed_forever)
{
    tb_block *a = tb_new(TcpOffloadState, 0, 1, NULL, 1);
    a->mobl->NextBlock = a->mobl; /* a cycle */
    shim *s = make_shim(1, 1 << 20, 100);
    ct_enc *enc;
    ct_enc_new(&enc);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_QUERY, NULL, a->mobl);
    const Chimtrace__V1__Event *ev = next_record(s, 0, enc)->event;
    cr_assert(ev->tree_truncated);
    cr_assert_eq(ev->n_block, 100);
    cr_assert_eq(ev->tree_blocks_seen, 65536);
    ct_enc_free(enc);
    shim_destroy(s);
    tb_free(a);
}

Test(shim, a_full_ring_drops_newest_and_reports_the_exact_loss)
{
    tb_block *tb[6];
    worked_example(tb);
    shim *s = make_shim(1, 1 << 16, 64);
    ct_enc *enc;
    ct_enc_new(&enc);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_INITIATE, NULL, tb[0]->mobl);
    int fits = 1;
    for (int i = 0; i < 200; i++)
        shim_request_out(s, &op, NULL, (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)tb[0]->mobl);
    shim_ring_stats st;
    shim_get_ring_stats(s, 0, &st);
    cr_assert_gt(st.dropped, 0, "200 events did not fill a 64 KiB ring");
    fits = (int)st.events;
    cr_assert_eq(st.events + st.dropped, 201);
    cr_assert_eq(shim_ring_seqs_done(s, 0), 201);
    /* Drain everything: seqs 1..fits, then room again. */
    for (int i = 0; i < fits; i++)
        cr_assert_eq(next_record(s, 0, enc)->event->seq, (uint64_t)i + 1);
    cr_assert_null(ring_read(shim_ring(s, 0)));
    shim_request_out(s, &op, NULL, (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)tb[0]->mobl);
    const Chimtrace__V1__Loss *l = next_record(s, 0, enc)->loss;
    cr_assert_not_null(l, "no loss record before the next event");
    cr_assert_eq(l->count, st.dropped);
    cr_assert_eq(l->first_seq, (uint64_t)fits + 1);
    cr_assert_eq(l->last_seq, 201);
    cr_assert_leq(l->first_ts_ns, l->last_ts_ns);
    cr_assert_eq(next_record(s, 0, enc)->event->seq, 202);
    ct_enc_free(enc);
    shim_destroy(s);
    for (int i = 0; i < 6; i++)
        tb_free(tb[i]);
}

Test(shim, a_tree_too_large_for_the_ring_is_cut_to_fit_not_dropped)
{
    tb_block *a = tb_new(TcpOffloadState, 0, 1, NULL, 1);
    a->mobl->NextBlock = a->mobl;
    shim *s = make_shim(1, 1 << 16, 4096); /* 4096 blocks cannot fit 32 KiB */
    ct_enc *enc;
    ct_enc_new(&enc);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_QUERY, NULL, a->mobl);
    shim_ring_stats st;
    shim_get_ring_stats(s, 0, &st);
    cr_assert_eq(st.dropped, 0);
    const Chimtrace__V1__Event *ev = next_record(s, 0, enc)->event;
    cr_assert(ev->tree_truncated);
    cr_assert_gt(ev->n_block, 100);
    cr_assert_lt(ev->n_block, 200);
    ct_enc_free(enc);
    shim_destroy(s);
    tb_free(a);
}

Test(shim, disabled_shim_records_nothing_and_in_flight_ops_stay_untraced)
{
    tb_block *a = tb_new(TcpOffloadState, 1, 0, NULL, 1);
    shim *s = make_shim(1, 1 << 16, 64);
    shim_set_enabled(s, 0);
    shim_op op = {0};
    if (SHIM_ON(s))
        shim_request_in(s, &op, SHIM_OP_INITIATE, NULL, a->mobl);
    shim_set_enabled(s, 1);
    if (SHIM_ON(s))
        shim_completion_out(s, &op, NULL, a->mobl);
    cr_assert_null(ring_read(shim_ring(s, 0)), "an untraced operation produced an event");
    cr_assert_eq(shim_next_seq(s), 1);
    shim_destroy(s);
    tb_free(a);
}

typedef struct producer_arg {
    shim *s;
    uint32_t lane;
    tb_block *tree;
} producer_arg;

#define PER_THREAD 20000

static void *produce(void *p)
{
    producer_arg *a = p;
    plat_user_set_ring_index(a->lane);
    for (int i = 0; i < PER_THREAD; i++) {
        shim_op op = {0};
        shim_request_in(a->s, &op, SHIM_OP_QUERY, NULL, a->tree->mobl);
    }
    return NULL;
}

Test(shim, several_producer_threads_account_for_every_sequence_number, .timeout = 120)
{
    enum { T = 4 };
    shim *s = make_shim(T, 1 << 16, 64);
    plat_user_set_ring_count(T);
    pthread_t th[T];
    producer_arg args[T];
    tb_block *trees[T];
    for (uint32_t i = 0; i < T; i++) {
        trees[i] = tb_new(TcpOffloadState, 1, 0, (PVOID)0x10, i);
        args[i] = (producer_arg){s, i, trees[i]};
        pthread_create(&th[i], NULL, produce, &args[i]);
    }
    /* Drain concurrently; each ring must be in increasing seq order. */
    uint64_t last[T] = {0}, got = 0, lost = 0;
    for (;;) {
        int busy = 0;
        for (uint32_t i = 0; i < T; i++) {
            const ring_rec_hdr *h;
            while ((h = ring_read(shim_ring(s, i))) != NULL) {
                busy = 1;
                if (h->type == SHIM_REC_EVENT) {
                    uint64_t seq = ((const shim_event_rec *)h)->seq;
                    cr_assert_gt(seq, last[i], "ring %u out of order", i);
                    last[i] = seq;
                    got++;
                } else {
                    lost += ((const shim_loss_rec *)h)->count;
                }
                ring_release(shim_ring(s, i), h);
            }
        }
        uint64_t done = 0;
        for (uint32_t i = 0; i < T; i++)
            done += shim_ring_seqs_done(s, i);
        if (!busy && done == (uint64_t)T * PER_THREAD)
            break;
    }
    for (uint32_t i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    /* Producers stopped: drain what is left, write the pending losses, drain again. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            cr_assert_eq(shim_flush_losses(s), 0);
        for (uint32_t i = 0; i < T; i++) {
            const ring_rec_hdr *h;
            while ((h = ring_read(shim_ring(s, i))) != NULL) {
                if (h->type == SHIM_REC_LOSS)
                    lost += ((const shim_loss_rec *)h)->count;
                else
                    got++;
                ring_release(shim_ring(s, i), h);
            }
        }
    }
    cr_assert_eq(got + lost, (uint64_t)T * PER_THREAD, "got %llu + lost %llu",
                 (unsigned long long)got, (unsigned long long)lost);
    cr_assert_eq(shim_next_seq(s), (uint64_t)T * PER_THREAD + 1);
    plat_user_set_ring_count(1);
    shim_destroy(s);
    for (uint32_t i = 0; i < T; i++)
        tb_free(trees[i]);
}
