/* shim_ctl.c - GET_INFO, READ, STATS and RESET of the control device (shim_ctl.h).
 *
 * READ is the drain's k-way merge done on the driver side: it takes the head record of every
 * ring, copies the one with the smallest key below the watermark into the caller's buffer
 * and releases it, until the buffer is full. The watermark needs no waiting: every sequence
 * number below the shim's next one counts as done once the rings' done-counters add up to
 * it (read in that order, see watermark()).
 */
#include "shim_ctl.h"

#include "shim_internal.h"

static uint64_t key_of(const ring_rec_hdr *h)
{
    if (h->type == SHIM_REC_EVENT)
        return ((const shim_event_rec *)h)->seq;
    return ((const shim_loss_rec *)h)->last_seq;
}

/* Every sequence number below the returned value is committed or dropped. The done
 * counters are read before next_seq: each number they count was taken before next_seq was
 * read, so their sum equals next_seq - 1 only when no number below it is still in flight. */
static uint64_t watermark(const shim *s, shim_ctl_reader *rd)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t done = 0;
        for (uint32_t i = 0; i < s->ring_count; i++)
            done += shim_ring_seqs_done(s, i);
        uint64_t g = shim_next_seq(s);
        if (done >= g - 1) {
            if (g > rd->limit)
                rd->limit = g;
            break;
        }
    }
    return rd->limit;
}

void shim_ctl_info(const shim *s, shim_ioctl_info *out)
{
    plat_memset(out, 0, sizeof *out);
    out->abi_version = SHIM_IOCTL_ABI_VERSION;
    out->record_layout_version = SHIM_RECORD_LAYOUT_VERSION;
    out->ring_count = s->ring_count;
    out->ring_bytes = s->ring_bytes;
    out->max_blocks = s->max_blocks;
    out->max_record = s->ring_bytes / 2;
    out->event_rec_bytes = (uint16_t)sizeof(shim_event_rec);
    out->block_rec_bytes = (uint16_t)sizeof(shim_block_rec);
    out->loss_rec_bytes = (uint16_t)sizeof(shim_loss_rec);
    out->pointer_bytes = (uint16_t)sizeof(void *);
    out->enabled = plat_load_acquire_u32(&s->pub.enabled);
    out->next_seq = shim_next_seq(s);
}

NDIS_STATUS shim_ctl_read(shim *s, shim_ctl_reader *rd, void *buf, uint32_t cap,
                          uint32_t *written)
{
    *written = 0;
    if (buf == NULL || cap < sizeof(shim_read_hdr) || ((uintptr_t)buf & (RING_ALIGN - 1)) != 0)
        return NDIS_STATUS_INVALID_PARAMETER;
    shim_read_hdr *h = buf;
    plat_memset(h, 0, sizeof *h);
    h->magic = SHIM_READ_MAGIC;
    h->abi_version = SHIM_IOCTL_ABI_VERSION;
    h->hdr_bytes = (uint16_t)sizeof *h;
    h->watermark = watermark(s, rd);
    uint8_t *p = (uint8_t *)(h + 1);
    uint32_t used = sizeof *h;
    for (;;) {
        const ring_rec_hdr *best = NULL;
        uint32_t best_ring = 0;
        for (uint32_t i = 0; i < s->ring_count; i++) {
            const ring_rec_hdr *r = ring_read(shim_ring(s, i));
            if (r != NULL && key_of(r) < h->watermark &&
                (best == NULL || key_of(r) < key_of(best))) {
                best = r;
                best_ring = i;
            }
        }
        if (best == NULL)
            break;
        if (best->len > cap - used) {
            h->flags |= SHIM_READ_MORE;
            if (h->records == 0)
                h->need_bytes = (uint32_t)sizeof *h + best->len;
            break;
        }
        plat_memcpy(p, best, best->len);
        if (h->records == 0)
            h->first_key = key_of(best);
        h->last_key = key_of(best);
        h->records++;
        p += best->len;
        used += best->len;
        ring_release(shim_ring(s, best_ring), best);
    }
    h->total_bytes = used;
    *written = used;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS shim_ctl_stats(const shim *s, void *buf, uint32_t cap, uint32_t *written)
{
    *written = 0;
    if (buf == NULL || cap < sizeof(shim_ioctl_stats) || ((uintptr_t)buf & 7u) != 0)
        return NDIS_STATUS_INVALID_PARAMETER;
    shim_ioctl_stats *st = buf;
    shim_ioctl_ring_stats *rs = (shim_ioctl_ring_stats *)(st + 1);
    uint32_t room = (cap - (uint32_t)sizeof *st) / (uint32_t)sizeof *rs;
    plat_memset(st, 0, sizeof *st);
    st->ring_count = s->ring_count;
    st->rings_returned = room < s->ring_count ? room : s->ring_count;
    st->next_seq = shim_next_seq(s);
    for (uint32_t i = 0; i < s->ring_count; i++) {
        shim_ring_stats r;
        shim_get_ring_stats(s, i, &r);
        st->events += r.events;
        st->dropped += r.dropped;
        st->loss_records += r.loss_records;
        st->truncated_trees += r.truncated_trees;
        if (i < st->rings_returned) {
            rs[i].events = r.events;
            rs[i].dropped = r.dropped;
            rs[i].loss_records = r.loss_records;
            rs[i].truncated_trees = r.truncated_trees;
            rs[i].seqs_done = shim_ring_seqs_done(s, i);
            rs[i].used_bytes = ring_used(&s->rings[i].r);
        }
    }
    *written = (uint32_t)sizeof *st + st->rings_returned * (uint32_t)sizeof *rs;
    return NDIS_STATUS_SUCCESS;
}

void shim_ctl_discard(shim *s)
{
    for (uint32_t i = 0; i < s->ring_count; i++) {
        ring *r = shim_ring(s, i);
        for (const ring_rec_hdr *h; (h = ring_read(r)) != NULL;)
            ring_release(r, h);
    }
}
