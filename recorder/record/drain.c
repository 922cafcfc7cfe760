/* drain.c - the recorder's ring consumer (see drain.h).
 *
 * The merge reads the head record of every ring, emits the smallest key below the watermark,
 * releases it and repeats. Encoding happens between read and release, so the protobuf
 * structures may point into ring memory without a copy.
 */
#define _POSIX_C_SOURCE 200809L
#include "drain.h"

#include <sched.h>
#include <stdlib.h>

struct ct_drain {
    shim *s;
    ct_writer *w;
    ct_enc *enc;
    ct_drain_hook_fn hook;
    void *hook_ctx;
    ct_drain_stats st;
};

ct_err ct_drain_new(shim *s, ct_writer *w, ct_enc *enc, ct_drain **out)
{
    ct_drain *d = calloc(1, sizeof *d);
    if (d == NULL)
        return CT_ERR_NOMEM;
    d->s = s;
    d->w = w;
    d->enc = enc;
    *out = d;
    return CT_OK;
}

void ct_drain_free(ct_drain *d)
{
    free(d);
}

void ct_drain_set_hook(ct_drain *d, ct_drain_hook_fn fn, void *ctx)
{
    d->hook = fn;
    d->hook_ctx = ctx;
}

static uint64_t key_of(const ring_rec_hdr *h)
{
    if (h->type == SHIM_REC_EVENT)
        return ((const shim_event_rec *)h)->seq;
    if (h->type == SHIM_REC_LOSS)
        return ((const shim_loss_rec *)h)->last_seq;
    return 0;
}

/* The largest watermark below which every sequence number is accounted for. */
static uint64_t watermark(ct_drain *d)
{
    uint64_t g = shim_next_seq(d->s);
    uint32_t n = shim_ring_count(d->s);
    for (int spin = 0;; spin++) {
        uint64_t done = 0;
        for (uint32_t i = 0; i < n; i++)
            done += shim_ring_seqs_done(d->s, i);
        if (done >= g - 1)
            return g;
        d->st.watermark_waits++;
        if (spin > 1000000)
            return g; /* a producer stalled inside a record: order what we have */
        sched_yield();
    }
}

static void count(ct_drain *d, const ring_rec_hdr *h)
{
    if (h->type == SHIM_REC_EVENT) {
        const shim_event_rec *ev = (const shim_event_rec *)h;
        d->st.events++;
        if (ev->op >= 1 && ev->op <= 5 && ev->edge >= 1 && ev->edge <= 4)
            d->st.op_edge[ev->op][ev->edge]++;
        if (ev->h.flags & (SHIM_EVF_TREE_TRUNCATED | SHIM_EVF_TREE_CYCLE))
            d->st.truncated_trees++;
        if (d->st.events == 1 || ev->ts_ns < d->st.first_ts)
            d->st.first_ts = ev->ts_ns;
        if (ev->ts_ns > d->st.last_ts)
            d->st.last_ts = ev->ts_ns;
    } else {
        d->st.losses++;
        d->st.lost_events += ((const shim_loss_rec *)h)->count;
    }
}

static ct_err merge(ct_drain *d, uint64_t limit, ct_errinfo *ei)
{
    uint32_t n = shim_ring_count(d->s);
    for (;;) {
        const ring_rec_hdr *best = NULL;
        uint32_t best_ring = 0;
        for (uint32_t i = 0; i < n; i++) {
            const ring_rec_hdr *h = ring_read(shim_ring(d->s, i));
            if (h != NULL && key_of(h) < limit && (best == NULL || key_of(h) < key_of(best))) {
                best = h;
                best_ring = i;
            }
        }
        if (best == NULL)
            return CT_OK;
        const Chimtrace__V1__Record *rec;
        ct_err e = ct_enc_record(d->enc, best, &rec, ei);
        if (e == CT_OK)
            e = ct_writer_append(d->w, rec, ei);
        if (e != CT_OK)
            return e;
        count(d, best);
        d->st.records_out++;
        if (d->hook != NULL)
            e = d->hook(d->hook_ctx, rec, ei);
        ring_release(shim_ring(d->s, best_ring), best);
        if (e != CT_OK)
            return e;
    }
}

ct_err ct_drain_step(ct_drain *d, int final, ct_errinfo *ei)
{
    ct_err e = merge(d, watermark(d), ei);
    if (e != CT_OK || !final)
        return e;
    /* Producers are done: losses that never found room get written now. */
    while (shim_flush_losses(d->s) != 0) {
        if ((e = merge(d, UINT64_MAX, ei)) != CT_OK)
            return e;
    }
    return merge(d, UINT64_MAX, ei);
}

double ct_drain_max_fill(const ct_drain *d)
{
    double m = 0;
    for (uint32_t i = 0; i < shim_ring_count(d->s); i++) {
        ring *r = shim_ring(d->s, i);
        double f = (double)ring_used(r) / (double)r->size;
        if (f > m)
            m = f;
    }
    return m;
}

void ct_drain_get_stats(const ct_drain *d, ct_drain_stats *st)
{
    *st = d->st;
}
