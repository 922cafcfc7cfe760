/* format.c - encoders and decoders for chimtrace's own frames (FORMAT.md §3-§5).
 *
 * Shared by writer.c and reader.c; the chunk-header decoder is also what rebuilds a
 * missing footer index, so the footer and the rebuilt index come from one definition.
 */
#include "format.h"

#include <string.h>

#include "crc32c.h"
#include "tracefile.h"

static void frame_start(uint8_t *out, uint32_t payload, const char *tag)
{
    ct_put32(out, CT_SKIPPABLE_MAGIC);
    ct_put32(out + 4, payload);
    memcpy(out + 8, tag, 4);
}

static void put_body(uint8_t *b, const ct_chunk_rec *c)
{
    ct_put32(b + 0, c->index);
    ct_put32(b + 4, c->records);
    ct_put32(b + 8, c->events);
    ct_put32(b + 12, c->raw_bytes);
    ct_put32(b + 16, c->comp_bytes);
    ct_put32(b + 20, c->flags);
    ct_put64(b + 24, c->first_seq);
    ct_put64(b + 32, c->last_seq);
    ct_put64(b + 40, c->min_ts);
    ct_put64(b + 48, c->max_ts);
}

static void get_body(const uint8_t *b, ct_chunk_rec *c)
{
    c->index = ct_get32(b + 0);
    c->records = ct_get32(b + 4);
    c->events = ct_get32(b + 8);
    c->raw_bytes = ct_get32(b + 12);
    c->comp_bytes = ct_get32(b + 16);
    c->flags = ct_get32(b + 20);
    c->first_seq = ct_get64(b + 24);
    c->last_seq = ct_get64(b + 32);
    c->min_ts = ct_get64(b + 40);
    c->max_ts = ct_get64(b + 48);
}

void ct_chunkhdr_encode(uint8_t *out, const ct_chunk_rec *c)
{
    frame_start(out, CT_CHUNKHDR_PAYLOAD, CT_TAG_CHUNK);
    put_body(out + 12, c);
    ct_put32(out + 68, ct_crc32c(0, out + 8, 60));
}

ct_err ct_chunkhdr_decode(const uint8_t *in, ct_chunk_rec *c, const char **why)
{
    if (ct_get32(in) != CT_SKIPPABLE_MAGIC || ct_get32(in + 4) != CT_CHUNKHDR_PAYLOAD ||
        memcmp(in + 8, CT_TAG_CHUNK, 4) != 0) {
        *why = "expected a chunk-header frame (skippable magic 0x184D2A5C, size 64, tag CTCH)";
        return CT_ERR_CORRUPT;
    }
    if (ct_get32(in + 68) != ct_crc32c(0, in + 8, 60)) {
        *why = "chunk-header CRC-32C mismatch";
        return CT_ERR_CORRUPT;
    }
    get_body(in + 12, c);
    if (c->records == 0 || c->events > c->records || c->raw_bytes == 0 ||
        c->comp_bytes == 0 || (c->events > 0 && (c->first_seq > c->last_seq ||
                                                 c->min_ts > c->max_ts))) {
        *why = "chunk header has inconsistent counts or ranges";
        return CT_ERR_CORRUPT;
    }
    return CT_OK;
}

void ct_index_entry_encode(uint8_t *out, const ct_chunk_rec *c)
{
    ct_put64(out, c->offset);
    put_body(out + 8, c);
}

void ct_index_entry_decode(const uint8_t *in, ct_chunk_rec *c)
{
    c->offset = ct_get64(in);
    get_body(in + 8, c);
}

void ct_trailer_encode(uint8_t *out, uint64_t index_offset, uint64_t index_frame_bytes)
{
    frame_start(out, CT_TRAILER_PAYLOAD, CT_TAG_TRAILER);
    ct_put64(out + 12, index_offset);
    ct_put64(out + 20, index_frame_bytes);
    ct_put32(out + 28, ct_crc32c(0, out + 8, 20));
}

int ct_trailer_decode(const uint8_t *in, uint64_t *index_offset, uint64_t *index_frame_bytes)
{
    if (ct_get32(in) != CT_SKIPPABLE_MAGIC || ct_get32(in + 4) != CT_TRAILER_PAYLOAD ||
        memcmp(in + 8, CT_TAG_TRAILER, 4) != 0 || ct_get32(in + 28) != ct_crc32c(0, in + 8, 20))
        return 0;
    *index_offset = ct_get64(in + 12);
    *index_frame_bytes = ct_get64(in + 20);
    return 1;
}

size_t ct_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

