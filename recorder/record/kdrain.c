/* kdrain.c - the user-mode side of the kernel control device's READ (kdrain.h).
 *
 * The kernel copies whole ring records; here the framing is checked before any record is
 * touched, and each record goes through ct_enc_record, the decoder of the model's drain
 * (drain.c), so a kernel trace and a model trace of the same records are the same bytes.
 */
#include "kdrain.h"

#include <string.h>

#define HDR_BYTES ((uint32_t)sizeof(shim_read_hdr))

static ct_err check_header(const shim_read_hdr *h, size_t len, ct_errinfo *ei)
{
    if (h->magic != SHIM_READ_MAGIC)
        return ct_seterr(ei, CT_ERR_CORRUPT, offsetof(shim_read_hdr, magic),
                         "READ buffer: magic 0x%08x, expected 0x%08x (\"CSRD\")", h->magic,
                         SHIM_READ_MAGIC);
    if (h->abi_version != SHIM_IOCTL_ABI_VERSION)
        return ct_seterr(ei, CT_ERR_VERSION, offsetof(shim_read_hdr, abi_version),
                         "READ buffer: interface version %u, this reader knows %u",
                         h->abi_version, SHIM_IOCTL_ABI_VERSION);
    if (h->hdr_bytes != HDR_BYTES)
        return ct_seterr(ei, CT_ERR_CORRUPT, offsetof(shim_read_hdr, hdr_bytes),
                         "READ buffer: header size %u, expected %u", h->hdr_bytes, HDR_BYTES);
    if (h->total_bytes < HDR_BYTES)
        return ct_seterr(ei, CT_ERR_CORRUPT, offsetof(shim_read_hdr, total_bytes),
                         "READ buffer: total size %u is smaller than the %u-byte header",
                         h->total_bytes, HDR_BYTES);
    if (h->total_bytes > len)
        return ct_seterr(ei, CT_ERR_TRUNCATED, len,
                         "READ buffer: header says %u bytes, only %zu were returned",
                         h->total_bytes, len);
    if (h->records == 0 && h->total_bytes != HDR_BYTES)
        return ct_seterr(ei, CT_ERR_CORRUPT, HDR_BYTES,
                         "READ buffer: no records, but %u bytes follow the header",
                         h->total_bytes - HDR_BYTES);
    return CT_OK;
}

/* Framing of the record at `off` (index i): the header fits, its length is a multiple of 8,
 * at least the fixed part of its type, and inside the buffer. */
static ct_err check_record(const uint8_t *base, uint32_t off, uint32_t total, uint32_t i,
                           ct_errinfo *ei)
{
    uint32_t left = total - off;
    if (left < sizeof(ring_rec_hdr))
        return ct_seterr(ei, CT_ERR_TRUNCATED, off,
                         "record %u: expected an 8-byte ring record header, %u bytes left", i,
                         left);
    const ring_rec_hdr *h = (const ring_rec_hdr *)(base + off);
    uint32_t min;
    if (h->type == SHIM_REC_EVENT)
        min = sizeof(shim_event_rec);
    else if (h->type == SHIM_REC_LOSS)
        min = sizeof(shim_loss_rec);
    else
        return ct_seterr(ei, CT_ERR_CORRUPT, off + offsetof(ring_rec_hdr, type),
                         "record %u: type %u, expected %u (event) or %u (loss)", i, h->type,
                         SHIM_REC_EVENT, SHIM_REC_LOSS);
    if (h->len % RING_ALIGN != 0 || h->len < min)
        return ct_seterr(ei, CT_ERR_CORRUPT, off,
                         "record %u: length %u, expected a multiple of %u and at least %u", i,
                         h->len, RING_ALIGN, min);
    if (h->len > left)
        return ct_seterr(ei, CT_ERR_TRUNCATED, off,
                         "record %u: length %u runs past the end of the buffer (%u bytes left)",
                         i, h->len, left);
    return CT_OK;
}

ct_err ct_kdrain_buffer(ct_enc *enc, const void *buf, size_t len, ct_kdrain_fn fn, void *ctx,
                        ct_kdrain_result *res, ct_errinfo *ei)
{
    memset(res, 0, sizeof *res);
    if (enc == NULL || buf == NULL || ((uintptr_t)buf % RING_ALIGN) != 0)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "READ buffer: NULL encoder or buffer, or buffer not 8-byte aligned");
    if (len < HDR_BYTES)
        return ct_seterr(ei, CT_ERR_TRUNCATED, len,
                         "READ buffer: %zu bytes, shorter than the %u-byte header", len,
                         HDR_BYTES);
    const uint8_t *base = buf;
    const shim_read_hdr *h = buf;
    ct_err e = check_header(h, len, ei);
    if (e != CT_OK)
        return e;
    res->watermark = h->watermark;
    res->more = (h->flags & SHIM_READ_MORE) != 0;
    res->need_bytes = h->need_bytes;

    uint32_t off = HDR_BYTES;
    uint64_t last_seq = 0;
    for (uint32_t i = 0; i < h->records; i++) {
        if ((e = check_record(base, off, h->total_bytes, i, ei)) != CT_OK)
            return e;
        const ring_rec_hdr *r = (const ring_rec_hdr *)(base + off);
        if (r->type == SHIM_REC_EVENT) {
            uint64_t seq = ((const shim_event_rec *)r)->seq;
            if (seq <= last_seq)
                return ct_seterr(ei, CT_ERR_CORRUPT, off + offsetof(shim_event_rec, seq),
                                 "record %u: event sequence %llu after %llu, expected "
                                 "increasing sequence numbers", i, (unsigned long long)seq,
                                 (unsigned long long)last_seq);
            last_seq = seq;
            res->events++;
        } else {
            res->losses++;
            res->lost_events += ((const shim_loss_rec *)r)->count;
        }
        const Chimtrace__V1__Record *rec;
        if ((e = ct_enc_record(enc, r, &rec, ei)) != CT_OK) {
            if (ei != NULL && ei->offset == CT_NO_OFFSET)
                ei->offset = off;
            return e;
        }
        if (fn != NULL && (e = fn(ctx, rec, ei)) != CT_OK)
            return e;
        res->records++;
        off += r->len;
    }
    if (off != h->total_bytes)
        return ct_seterr(ei, CT_ERR_CORRUPT, off,
                         "READ buffer: %u bytes after record %u, expected the end of the "
                         "buffer at byte %u", h->total_bytes - off, h->records, h->total_bytes);
    return CT_OK;
}

ct_err ct_kdrain_check_info(const shim_ioctl_info *info, ct_errinfo *ei)
{
    if (info->abi_version != SHIM_IOCTL_ABI_VERSION)
        return ct_seterr(ei, CT_ERR_VERSION, offsetof(shim_ioctl_info, abi_version),
                         "driver interface version %u, this reader knows %u",
                         info->abi_version, SHIM_IOCTL_ABI_VERSION);
    if (info->record_layout_version != SHIM_RECORD_LAYOUT_VERSION)
        return ct_seterr(ei, CT_ERR_VERSION, offsetof(shim_ioctl_info, record_layout_version),
                         "driver record layout version %u, this reader knows %u",
                         info->record_layout_version, SHIM_RECORD_LAYOUT_VERSION);
    if (info->event_rec_bytes != sizeof(shim_event_rec) ||
        info->block_rec_bytes != sizeof(shim_block_rec) ||
        info->loss_rec_bytes != sizeof(shim_loss_rec))
        return ct_seterr(ei, CT_ERR_VERSION, offsetof(shim_ioctl_info, event_rec_bytes),
                         "driver record sizes event/block/loss %u/%u/%u, this reader has "
                         "%zu/%zu/%zu", info->event_rec_bytes, info->block_rec_bytes,
                         info->loss_rec_bytes, sizeof(shim_event_rec), sizeof(shim_block_rec),
                         sizeof(shim_loss_rec));
    return CT_OK;
}
