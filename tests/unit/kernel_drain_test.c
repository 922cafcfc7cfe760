/* kernel_drain_test.c - the kernel driver's READ path, run in the model. A workload goes
 * through host -> NDIS model -> IM driver with the shim -> target twice: once drained by
 * the model's recorder (ct_drain into a trace writer), once through shim_ctl_read - the
 * function the driver's IOCTL dispatch calls - into READ buffers that the user-mode reader
 * (kdrain) decodes with the same encoder. The two record lists must be byte-identical.
 * Plus: READs interleaved with the workload, a buffer too small for one record, exact loss
 * reporting, the GET_INFO check, and malformed buffers rejected with offset and reason.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drain.h"
#include "im_harness.h"
#include "kdrain.h"
#include "platform_user.h"
#include "shim_ctl.h"
#include "tf_helpers.h"

/* ---- the workload ------------------------------------------------------------------- */

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now += 1000;
}

typedef void (*between_fn)(void *ctx);

typedef struct step {
    int op;
    unsigned mask;
    int sync;            /* target completes inside its handler (re-entrant) */
    uint32_t ring;       /* the "CPU" the request runs on */
    uint32_t done_ring;  /* the "CPU" a deferred completion runs on */
} step;

#define BIT(i) (1u << (i))
static const step STEPS[] = {
    {SHIM_OP_INITIATE, H_ALL, 1, 0, 0},
    {SHIM_OP_QUERY, H_ALL, 0, 1, 0},
    {SHIM_OP_UPDATE, BIT(H_T1) | BIT(H_T2), 1, 1, 1},
    {SHIM_OP_INVALIDATE, BIT(H_P2) | BIT(H_T3), 0, 0, 1},
    {SHIM_OP_QUERY, BIT(H_T3), 1, 0, 0},
    {SHIM_OP_UPDATE, H_ALL, 0, 1, 1},
    {SHIM_OP_TERMINATE, H_ALL, 0, 0, 1},
};
#define NSTEPS (sizeof STEPS / sizeof STEPS[0])

static im_harness H;
static h_tree T;

/* Run the steps `rounds` times with the IM traced by `s`; `between` runs after each step. */
static void run_workload(shim *s, int rounds, between_fn between, void *ctx)
{
    PNDIS_OFFLOAD_HANDLE h[H_NOBJ];
    memset(&T, 0, sizeof T);
    fake_now = 0;
    plat_user_set_clock(fake_clock, NULL);
    plat_user_pool_trim();
    plat_user_set_pool(1);
    cr_assert_eq(harness_init(&H, H_WITH_IM, s), 0, "harness wiring failed");
    for (int i = 0; i < H_NOBJ; i++)
        h[i] = h_handle_new(&T);
    for (int r = 0; r < rounds; r++) {
        /* Each round ends with a terminate of every object: the host recycles its handles
         * (a fresh handle is all zeros: not offloaded). */
        for (int i = 0; i < H_NOBJ; i++)
            memset(h[i], 0, sizeof *h[i]);
        for (size_t i = 0; i < NSTEPS; i++) {
            const step *st = &STEPS[i];
            T.nblocks = 0;   /* reuse the block memory: the previous tree is done with */
            PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root =
                h_example_tree(&T, h, st->mask, NeighborOffloadState, Ip4OffloadState,
                               TcpOffloadState);
            plat_user_set_ring_index(st->ring);
            H.target.sync = st->sync;
            harness_issue(&H, st->op, root);
            if (!st->sync) {
                plat_user_set_ring_index(st->done_ring);
                harness_target_complete(&H);
            }
            plat_user_set_ring_index(0);
            if (between != NULL)
                between(ctx);
        }
    }
    harness_fini(&H);
    plat_user_set_pool(0);
    plat_user_pool_trim();
    plat_user_set_clock(NULL, NULL);
}

static shim *make_shim(uint32_t ring_bytes)
{
    shim_config cfg = {2, ring_bytes, 256};
    shim *s = NULL;
    cr_assert_eq(shim_create(&cfg, &s), NDIS_STATUS_SUCCESS);
    shim_set_enabled(s, 1);
    return s;
}

static ct_err add_record(void *ctx, const Chimtrace__V1__Record *rec, ct_errinfo *ei)
{
    (void)ei;
    return tf_recs_add(ctx, rec) == 0 ? CT_OK : CT_ERR_NOMEM;
}

/* ---- path A: the model's recorder ---------------------------------------------------- */

static void drain_between(void *ctx)
{
    ct_errinfo ei;
    cr_assert_eq(ct_drain_step(ctx, 0, &ei), CT_OK, "%s", ei.msg);
}

static void model_recording(tf_recs *out, int rounds)
{
    char path[] = "/tmp/kernel_drain_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    shim *s = make_shim(1u << 20);
    ct_enc *enc = NULL;
    ct_writer *w = NULL;
    ct_drain *d = NULL;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader hdr = CHIMTRACE__V1__TRACE_HEADER__INIT;
    cr_assert_eq(ct_enc_new(&enc), CT_OK);
    cr_assert_eq(ct_writer_open(path, &hdr, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_drain_new(s, w, enc, &d), CT_OK);
    ct_drain_set_hook(d, add_record, out);
    run_workload(s, rounds, drain_between, d);
    cr_assert_eq(ct_drain_step(d, 1, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);
    ct_drain_free(d);
    ct_enc_free(enc);
    shim_destroy(s);
    unlink(path);
}

/* ---- path B: the driver's READ and the user-mode reader ------------------------------ */

typedef struct kreader {
    shim *s;
    shim_ctl_reader rd;
    ct_enc *enc;
    uint64_t *buf;        /* 8-byte aligned, as the I/O manager's system buffer is */
    uint32_t cap;
    tf_recs *out;
    uint32_t reads, partial_reads;
    uint64_t lost;
} kreader;

/* READ until the driver has nothing ordered left, as a user-mode drain loop would. */
static void kread_all(void *ctx)
{
    kreader *k = ctx;
    for (;;) {
        uint32_t written = 0;
        ct_kdrain_result res;
        ct_errinfo ei;
        cr_assert_eq(shim_ctl_read(k->s, &k->rd, k->buf, k->cap, &written), NDIS_STATUS_SUCCESS);
        cr_assert_eq(ct_kdrain_buffer(k->enc, k->buf, written, add_record, k->out, &res, &ei),
                     CT_OK, "%s (byte %llu)", ei.msg, (unsigned long long)ei.offset);
        k->reads++;
        k->lost += res.lost_events;
        if (res.more) {
            cr_assert_gt(res.records, 0, "READ of %u bytes made no progress (needs %u)", k->cap,
                         res.need_bytes);
            k->partial_reads++;
            continue;
        }
        if (res.records == 0)
            return;
    }
}

static void kernel_recording(tf_recs *out, int rounds, uint32_t cap, int interleave)
{
    kreader k = {0};
    k.s = make_shim(1u << 20);
    k.cap = cap;
    k.buf = calloc(1, cap);
    k.out = out;
    cr_assert_eq(ct_enc_new(&k.enc), CT_OK);
    run_workload(k.s, rounds, interleave ? kread_all : NULL, &k);
    kread_all(&k);
    cr_assert_eq(k.lost, 0);
    if (cap <= 4096)
        cr_assert_gt(k.partial_reads, 0, "a small buffer should have needed several READs");
    ct_enc_free(k.enc);
    free(k.buf);
    shim_destroy(k.s);
}

static void assert_same_records(tf_recs *a, tf_recs *b)
{
    cr_assert_gt(a->n, 4 * NSTEPS, "the workload recorded only %zu records", a->n);
    cr_assert_eq(a->n, b->n, "model %zu records, kernel READ path %zu", a->n, b->n);
    long d = tf_recs_first_diff(a, b);
    cr_assert_eq(d, -1, "record %ld differs between the model drain and the READ path", d);
}

Test(kernel_drain, read_path_decodes_to_the_same_records_as_the_model_drain)
{
    tf_recs a, b;
    tf_recs_init(&a);
    tf_recs_init(&b);
    model_recording(&a, 3);
    kernel_recording(&b, 3, 1u << 20, 0);
    assert_same_records(&a, &b);
    tf_recs_free(&a);
    tf_recs_free(&b);
}

Test(kernel_drain, reads_interleaved_with_the_workload_in_small_buffers_lose_nothing)
{
    tf_recs a, b;
    tf_recs_init(&a);
    tf_recs_init(&b);
    model_recording(&a, 3);
    kernel_recording(&b, 3, 4096, 1);
    assert_same_records(&a, &b);
    tf_recs_free(&a);
    tf_recs_free(&b);
}

/* ---- single-event fixtures ------------------------------------------------------------ */

/* One traced initiate in a fresh shim, READ into `buf`; returns the bytes written. */
static uint32_t one_read(shim **sp, void *buf, uint32_t cap)
{
    shim *s = make_shim(1u << 16);
    shim_ctl_reader rd = {0};
    uint32_t written = 0;
    run_workload(s, 1, NULL, NULL);
    cr_assert_eq(shim_ctl_read(s, &rd, buf, cap, &written), NDIS_STATUS_SUCCESS);
    *sp = s;
    return written;
}

Test(kernel_drain, a_buffer_too_small_for_one_record_says_how_much_it_needs)
{
    static uint64_t buf[64];   /* 512 bytes: the header fits, no event record does */
    shim *s;
    uint32_t n = one_read(&s, buf, sizeof buf);
    const shim_read_hdr *h = (const shim_read_hdr *)buf;
    cr_assert_eq(n, sizeof *h);
    cr_assert_eq(h->records, 0);
    cr_assert(h->flags & SHIM_READ_MORE);
    cr_assert_gt(h->need_bytes, sizeof buf);
    ct_enc *enc;
    ct_kdrain_result res;
    ct_errinfo ei;
    cr_assert_eq(ct_enc_new(&enc), CT_OK);
    cr_assert_eq(ct_kdrain_buffer(enc, buf, n, NULL, NULL, &res, &ei), CT_OK, "%s", ei.msg);
    cr_assert(res.more);
    cr_assert_eq(res.need_bytes, h->need_bytes);
    ct_enc_free(enc);
    shim_destroy(s);
}

Test(kernel_drain, a_full_ring_reports_exact_losses_in_loss_records_and_stats)
{
    /* 64 KiB rings and no READ until the end: most of 40 rounds is dropped. */
    shim *s = make_shim(1u << 16);
    run_workload(s, 40, NULL, NULL);
    uint64_t stats_buf[(sizeof(shim_ioctl_stats) + 2 * sizeof(shim_ioctl_ring_stats)) / 8];
    uint32_t n;
    cr_assert_eq(shim_ctl_stats(s, stats_buf, sizeof stats_buf, &n), NDIS_STATUS_SUCCESS);
    const shim_ioctl_stats *st = (const shim_ioctl_stats *)stats_buf;
    cr_assert_eq(st->rings_returned, 2);
    cr_assert_eq(n, sizeof(shim_ioctl_stats) + 2 * sizeof(shim_ioctl_ring_stats));
    cr_assert_gt(st->dropped, 0, "the workload did not fill a 64 KiB ring");

    kreader k = {0};
    tf_recs out;
    tf_recs_init(&out);
    k.s = s;
    k.cap = 1u << 20;
    k.buf = calloc(1, k.cap);
    k.out = &out;
    cr_assert_eq(ct_enc_new(&k.enc), CT_OK);
    kread_all(&k);
    /* Losses not yet reported wait for room; the model flushes them when producers stop. */
    cr_assert_eq(shim_flush_losses(s), 0);
    kread_all(&k);
    cr_assert_eq(shim_ctl_stats(s, stats_buf, sizeof stats_buf, &n), NDIS_STATUS_SUCCESS);
    cr_assert_eq(k.lost, st->dropped, "loss records report %llu, STATS counts %llu dropped",
                 (unsigned long long)k.lost, (unsigned long long)st->dropped);
    cr_assert_eq(out.n, st->events + st->loss_records, "records read vs committed");
    cr_assert_eq(st->events + st->dropped, st->next_seq - 1,
                 "every sequence number is an event or a counted loss");
    ct_enc_free(k.enc);
    free(k.buf);
    tf_recs_free(&out);
    shim_destroy(s);
}

Test(kernel_drain, get_info_matches_this_build_and_a_foreign_layout_is_refused)
{
    shim *s = make_shim(1u << 16);
    shim_ioctl_info info;
    ct_errinfo ei;
    shim_ctl_info(s, &info);
    cr_assert_eq(info.ring_count, 2);
    cr_assert_eq(info.max_record, (1u << 16) / 2);
    cr_assert_eq(ct_kdrain_check_info(&info, &ei), CT_OK, "%s", ei.msg);
    info.block_rec_bytes += 8;
    cr_assert_eq(ct_kdrain_check_info(&info, &ei), CT_ERR_VERSION);
    cr_assert(strstr(ei.msg, "record sizes") != NULL, "%s", ei.msg);
    shim_destroy(s);
}

/* ---- malformed buffers ------------------------------------------------------------------ */

static uint64_t good[16384];   /* 128 KiB */
static uint32_t good_len;

static void malformed_setup(void)
{
    shim *s;
    good_len = one_read(&s, good, sizeof good);
    shim_destroy(s);
    cr_assert_gt(((const shim_read_hdr *)good)->records, 2);
}

/* Decode a mutated copy of `good` (first `len` bytes); expect `code` at `offset` with a
 * message containing `what`. */
static void expect_reject(void (*mutate)(uint8_t *), uint32_t len, ct_err code, uint64_t offset,
                          const char *what)
{
    static uint64_t copy[16384];
    memcpy(copy, good, sizeof good);
    if (mutate != NULL)
        mutate((uint8_t *)copy);
    ct_enc *enc;
    ct_kdrain_result res;
    ct_errinfo ei;
    cr_assert_eq(ct_enc_new(&enc), CT_OK);
    ct_err e = ct_kdrain_buffer(enc, copy, len, NULL, NULL, &res, &ei);
    ct_enc_free(enc);
    cr_assert_eq(e, code, "got %d (%s), want %d", e, e != CT_OK ? ei.msg : "", code);
    if (code == CT_OK)
        return;
    cr_assert_eq(ei.offset, offset, "offset %llu, want %llu: %s", (unsigned long long)ei.offset,
                 (unsigned long long)offset, ei.msg);
    cr_assert(strstr(ei.msg, what) != NULL, "message \"%s\" lacks \"%s\"", ei.msg, what);
}

static shim_read_hdr *rhdr(uint8_t *b) { return (shim_read_hdr *)b; }
static ring_rec_hdr *rec_at(uint8_t *b, uint32_t i)
{
    uint8_t *p = b + sizeof(shim_read_hdr);
    while (i-- > 0)
        p += ((ring_rec_hdr *)p)->len;
    return (ring_rec_hdr *)p;
}
static uint32_t off_of(uint32_t i)
{
    return (uint32_t)((uint8_t *)rec_at((uint8_t *)good, i) - (uint8_t *)good);
}
static void bad_magic(uint8_t *b) { rhdr(b)->magic ^= 1; }
static void bad_version(uint8_t *b) { rhdr(b)->abi_version = 99; }
static void bad_type(uint8_t *b) { rec_at(b, 1)->type = 7; }
static void bad_len(uint8_t *b) { rec_at(b, 1)->len += 4; }
static void long_len(uint8_t *b) { rec_at(b, 2)->len = rhdr(b)->total_bytes; }
static void fewer_records(uint8_t *b) { rhdr(b)->records--; }
static void swapped_seq(uint8_t *b) { ((shim_event_rec *)rec_at(b, 1))->seq = 1; }

Test(kernel_drain, the_good_fixture_decodes, .init = malformed_setup)
{
    expect_reject(NULL, good_len, CT_OK, 0, "");
}

Test(kernel_drain, malformed_buffers_name_the_offset_and_the_expectation,
     .init = malformed_setup)
{
    expect_reject(bad_magic, good_len, CT_ERR_CORRUPT, 0, "expected 0x44525343");
    expect_reject(bad_version, good_len, CT_ERR_VERSION, 4, "interface version 99");
    expect_reject(NULL, 40, CT_ERR_TRUNCATED, 40, "shorter than the 48-byte header");
    expect_reject(NULL, good_len - 8, CT_ERR_TRUNCATED, good_len - 8, "only");
    expect_reject(bad_type, good_len, CT_ERR_CORRUPT, off_of(1) + 4, "expected 1 (event) or 2");
    expect_reject(bad_len, good_len, CT_ERR_CORRUPT, off_of(1), "multiple of 8");
    expect_reject(long_len, good_len, CT_ERR_TRUNCATED, off_of(2), "runs past the end");
    expect_reject(fewer_records, good_len, CT_ERR_CORRUPT,
                  off_of(((const shim_read_hdr *)good)->records - 1), "expected the end");
    expect_reject(swapped_seq, good_len, CT_ERR_CORRUPT,
                  off_of(1) + offsetof(shim_event_rec, seq), "increasing sequence");
}
