/* format.h - byte layout of chimtrace's frames (FORMAT.md §3-§5), internal to the library.
 *
 * Writer and reader share these encoders/decoders so that the two sides cannot disagree.
 * Every multi-byte integer is little-endian. Each of our skippable frames carries a 4-byte
 * tag first and a CRC-32C of tag+body last.
 */
#ifndef CT_FORMAT_H
#define CT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ct_err.h"

#define CT_SKIPPABLE_MAGIC 0x184D2A5Cu   /* zstd skippable-frame magic we write */
#define CT_SKIPPABLE_MASK 0xFFFFFFF0u    /* any 0x184D2A5? is skippable */
#define CT_SKIPPABLE_BASE 0x184D2A50u
#define CT_ZSTD_MAGIC 0xFD2FB528u
#define CT_FRAME_HDR 8u                  /* magic + size */

#define CT_TAG_FILE "CTFH"
#define CT_TAG_CHUNK "CTCH"
#define CT_TAG_INDEX "CTIX"
#define CT_TAG_TRAILER "CTTR"

/* File header payload: tag, u16 major, u16 minor, u32 flags, u32 hdr_len, hdr, u32 crc. */
#define CT_FILEHDR_FIXED 16u
#define CT_FILEHDR_CRC 4u

/* Chunk header payload: tag + 56-byte body + crc = 64; whole frame 72. */
#define CT_CHUNKHDR_PAYLOAD 64u
#define CT_CHUNKHDR_FRAME (CT_FRAME_HDR + CT_CHUNKHDR_PAYLOAD)

/* Index payload: tag, u32 count, u32 entry_size, u64 records, u64 events, entries, crc. */
#define CT_INDEX_FIXED 28u
#define CT_INDEX_ENTRY 64u

/* Trailer payload: tag, u64 index_offset, u64 index_frame_bytes, u32 crc = 24; frame 32. */
#define CT_TRAILER_PAYLOAD 24u
#define CT_TRAILER_FRAME (CT_FRAME_HDR + CT_TRAILER_PAYLOAD)

#define CT_CHUNK_FLAG_EVENTS 1u

/* One chunk's index facts, as stored in a chunk header and in an index entry. */
typedef struct ct_chunk_rec {
    uint64_t offset;        /* chunk-header frame offset (index entries only) */
    uint32_t index, records, events, raw_bytes, comp_bytes, flags;
    uint64_t first_seq, last_seq, min_ts, max_ts;
} ct_chunk_rec;

static inline void ct_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void ct_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void ct_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t ct_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t ct_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline uint64_t ct_get64(const uint8_t *p)
{
    return (uint64_t)ct_get32(p) | ((uint64_t)ct_get32(p + 4) << 32);
}

/* Chunk header frame: encode into out[CT_CHUNKHDR_FRAME]. */
void ct_chunkhdr_encode(uint8_t *out, const ct_chunk_rec *c);
/* Decode a whole chunk-header frame; CT_ERR_CORRUPT (message without file name) when the
 * magic, size, tag, CRC or field values are wrong. */
ct_err ct_chunkhdr_decode(const uint8_t *in, ct_chunk_rec *c, const char **why);

/* Index entry (CT_INDEX_ENTRY bytes). */
void ct_index_entry_encode(uint8_t *out, const ct_chunk_rec *c);
void ct_index_entry_decode(const uint8_t *in, ct_chunk_rec *c);

/* Trailer frame. */
void ct_trailer_encode(uint8_t *out, uint64_t index_offset, uint64_t index_frame_bytes);
int ct_trailer_decode(const uint8_t *in, uint64_t *index_offset, uint64_t *index_frame_bytes);

/* Protobuf varint writer: returns bytes written (<= 10). The reader side, ct_varint_get and
 * ct_wire_skip, is public (tracefile.h). */
size_t ct_varint_put(uint8_t *out, uint64_t v);

#endif
