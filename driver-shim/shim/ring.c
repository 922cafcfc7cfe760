/* ring.c - the SPSC byte ring of ring.h.
 *
 * The producer publishes with a release store of `head` after writing the record; the
 * consumer publishes consumption with a release store of `tail`. Each side reads the other's
 * counter with an acquire load, so a record's bytes are visible before its space counts as
 * used, and are no longer read once its space counts as free.
 */
#include "ring.h"

#include <stddef.h>

void ring_init(ring *r, void *buf, uint32_t size)
{
    plat_memset(r, 0, sizeof *r);
    r->buf = buf;
    r->size = size;
    r->mask = size - 1;
}

void *ring_reserve(ring *r, uint32_t len)
{
    uint64_t head = r->head; /* producer-owned */
    uint64_t tail = plat_load_acquire_u64(&r->tail);
    uint32_t off = (uint32_t)(head & r->mask);
    uint32_t to_end = r->size - off;
    uint64_t need = len <= to_end ? len : (uint64_t)to_end + len;
    if (PLAT_UNLIKELY(len > ring_max_record(r) || head + need - tail > r->size))
        return NULL;
    if (len > to_end) {
        /* Pad to the end; to_end is a multiple of RING_ALIGN and at least one header. */
        ring_rec_hdr *pad = (ring_rec_hdr *)(r->buf + off);
        pad->len = to_end;
        pad->type = RING_REC_PAD;
        pad->flags = 0;
        off = 0;
    }
    r->resv_head = head + need;
    return r->buf + off;
}

void ring_commit(ring *r)
{
    plat_store_release_u64(&r->head, r->resv_head);
}

const ring_rec_hdr *ring_read(ring *r)
{
    uint64_t head = plat_load_acquire_u64(&r->head);
    uint64_t tail = r->tail; /* consumer-owned */
    while (tail != head) {
        const ring_rec_hdr *h = (const ring_rec_hdr *)(r->buf + (tail & r->mask));
        if (h->type != RING_REC_PAD)
            return h;
        tail += h->len;
        plat_store_release_u64(&r->tail, tail);
    }
    return NULL;
}

void ring_release(ring *r, const ring_rec_hdr *rec)
{
    plat_store_release_u64(&r->tail, r->tail + rec->len);
}

uint64_t ring_used(const ring *r)
{
    return plat_load_acquire_u64(&r->head) - plat_load_acquire_u64(&r->tail);
}
