/* bench_shim.c - the shim's fast path and the recorder behind it: ns per event with the
 * shim on (a 4-block tree with full initiate state) and off, the drain's events/s (encode,
 * compress, write on one core), bytes per event of a churn recording, and bare zstd -1 on
 * the same encoded bytes as the ceiling.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "bench.h"
#include "drain.h"
#include "encode.h"
#include "platform_user.h"
#include "recorder.h"
#include "shim.h"

/* A 4-block tree: neighbor -> path -> {tcp, tcp}, every block a new offload with state. */
typedef struct tree4 {
    uint8_t *mem[4];
    PVOID ctx[4];
    NDIS_OFFLOAD_HANDLE h[4];
} tree4;

static NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *blk(tree4 *t, int i)
{
    return (NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *)t->mem[i];
}

static void tree4_build(tree4 *t)
{
    static const uint32_t types[4] = {NeighborOffloadState, Ip4OffloadState, TcpOffloadState,
                                      TcpOffloadState};
    static const uint8_t addr[4] = {10, 0, 0, 1};
    for (int i = 0; i < 4; i++) {
        t->mem[i] = calloc(1, sizeof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST) + SHIM_STATE_MAX_BYTES);
        NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *b = blk(t, i);
        b->Header.Type = (UCHAR)types[i];
        b->Header.Size = sizeof *b;
        b->MiniportOffloadContext = &t->ctx[i];
        b->NdisOffloadHandle = &t->h[i];
        uint8_t *st = (uint8_t *)(b + 1);
        uint32_t mask = shim_state_mask(types[i]), off = 0;
        for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
            if (!(mask & bit))
                continue;
            off = shim_state_next_offset(off, bit);
            ((OFFLOAD_STATE_HEADER *)(st + off))->Length = shim_state_size(bit);
            if (bit == SHIM_ST_PATH_CONST) {
                ((PATH_OFFLOAD_STATE_CONST *)(st + off))->SourceAddress = addr;
                ((PATH_OFFLOAD_STATE_CONST *)(st + off))->DestinationAddress = addr;
            }
            off += shim_state_size(bit);
        }
    }
    blk(t, 0)->DependentBlockList = blk(t, 1);
    blk(t, 1)->DependentBlockList = blk(t, 2);
    blk(t, 2)->NextBlock = blk(t, 3);
}

static void tree4_free(tree4 *t)
{
    for (int i = 0; i < 4; i++)
        free(t->mem[i]);
}

static void drain_all(shim *s)
{
    for (uint32_t i = 0; i < shim_ring_count(s); i++) {
        const ring_rec_hdr *h;
        while ((h = ring_read(shim_ring(s, i))) != NULL)
            ring_release(shim_ring(s, i), h);
    }
}

static void bench_fast_path(const bench_opts *o)
{
    tree4 t;
    tree4_build(&t);
    shim_config cfg = {1, 1u << 24, 64};
    shim *s;
    if (shim_create(&cfg, &s) != NDIS_STATUS_SUCCESS)
        bench_die("shim_create", NULL);
    shim_set_enabled(s, 1);
    shim_op op = {0};
    shim_request_in(s, &op, SHIM_OP_INITIATE, NULL, blk(&t, 0));
    uint64_t n = o->quick ? 200000 : 4000000, batch = 4096, done = 0;
    double spent = 0;
    while (done < n) {
        drain_all(s); /* the consumer's work is not the producer's cost */
        double t0 = bench_now_s();
        for (uint64_t i = 0; i < batch; i++)
            shim_completion_out(s, &op, NULL, blk(&t, 0));
        spent += bench_now_s() - t0;
        done += batch;
    }
    bench_emit("shim_ns_per_event", spent / (double)done * 1e9, "ns (4-block tree, full state)");
    shim_set_enabled(s, 0);
    double t0 = bench_now_s();
    for (uint64_t i = 0; i < n * 10; i++)
        if (SHIM_ON(s))
            shim_completion_out(s, &op, NULL, blk(&t, 0));
    bench_emit("shim_ns_per_event_disabled", (bench_now_s() - t0) / (double)(n * 10) * 1e9, "ns");
    shim_destroy(s);
    tree4_free(&t);
}

/* Fill the rings with `n` real shim events (the four edges of initiates of a 4-block tree),
 * then time the drain: encode, pack, compress and write, on this one thread. */
static void bench_drain(const bench_opts *o, const char *path)
{
    uint64_t n = o->quick ? 50000 : 400000;
    tree4 t;
    tree4_build(&t);
    /* ~1.6 KiB per event; the ring holds them all (a record may take at most half). */
    shim_config cfg = {1, o->quick ? (1u << 28) : (1u << 30), 64};
    shim *s;
    if (shim_create(&cfg, &s) != NDIS_STATUS_SUCCESS)
        bench_die("shim_create", NULL);
    shim_set_enabled(s, 1);
    for (uint64_t i = 0; i < n; i += 4) {
        shim_op op = {0};
        shim_request_in(s, &op, SHIM_OP_INITIATE, NULL, blk(&t, 0));
        shim_request_out(s, &op, NULL, (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)blk(&t, 0));
        shim_completion_in(s, &op, NULL, (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)blk(&t, 0));
        shim_completion_out(s, &op, NULL, blk(&t, 0));
    }
    Chimtrace__V1__TraceHeader hdr = CHIMTRACE__V1__TRACE_HEADER__INIT;
    hdr.producer_name = "chimtrace-bench";
    ct_writer_opts wo;
    ct_writer_opts_init(&wo);
    wo.sync = CT_SYNC_NONE;
    ct_writer *w;
    ct_enc *enc;
    ct_drain *d;
    ct_errinfo ei;
    if (ct_writer_open(path, &hdr, &wo, &w, &ei) != CT_OK || ct_enc_new(&enc) != CT_OK ||
        ct_drain_new(s, w, enc, &d) != CT_OK)
        bench_die("drain setup", &ei);
    double t0 = bench_now_s();
    if (ct_drain_step(d, 1, &ei) != CT_OK || ct_writer_close(w, &ei) != CT_OK)
        bench_die("drain", &ei);
    double dt = bench_now_s() - t0;
    ct_drain_stats ds;
    ct_drain_get_stats(d, &ds);
    bench_emit("recorder_events_per_s", (double)ds.events / dt, "events/s (one core)");
    ct_drain_free(d);
    ct_enc_free(enc);
    shim_destroy(s);
    tree4_free(&t);
}

/* Bytes per event of a deterministic churn recording, and bare zstd -1 over the same
 * encoded record bytes. */
static void bench_churn(const bench_opts *o, const char *path)
{
    ct_record_opts ro;
    ct_record_opts_init(&ro);
    ro.workload = "churn";
    ro.deterministic = 1;
    ro.connections = o->quick ? 64 : 256;
    ro.rounds = o->quick ? 4 : 16;
    ro.out_path = path;
    ro.writer.sync = CT_SYNC_NONE;
    ct_record_result res;
    ct_errinfo ei;
    if (ct_record_run(&ro, &res, &ei) != CT_OK)
        bench_die("record churn", &ei);
    bench_emit("trace_bytes_per_event", (double)res.file_bytes / (double)res.events,
               "bytes/event (churn)");
    bench_zstd_same_bytes(path);
}

void bench_shim_all(const bench_opts *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/chimtrace-bench-shim-%d.ctrace", o->dir, (int)getpid());
    bench_fast_path(o);
    bench_drain(o, path);
    bench_churn(o, path);
    unlink(path);
}
