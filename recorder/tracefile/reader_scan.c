/* reader_scan.c - walking a trace file frame by frame without trusting it.
 *
 * Everything that decides "chunk, end, truncated or damaged" lives here, so iteration,
 * seeking and `info` classify a file the same way. A damaged frame is skipped by searching
 * forward for the next chunk or index header, so one bad chunk loses only that chunk. The
 * chunk list comes from the footer index when it is intact, or from a scan of chunk
 * headers (no decompression) when it is not: the footer's contents are by definition what
 * the scan would find.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "reader_internal.h"

#define SCAN_BUF (64u * 1024u)

ct_err rd_pread(ct_reader *r, void *buf, size_t len, uint64_t off, ct_errinfo *ei)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t k = pread(r->fd, p, len, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return ct_seterr(ei, CT_ERR_IO, off, "%s: read failed at byte %llu: %s", r->path,
                             (unsigned long long)off, strerror(errno));
        if (k == 0)
            return ct_seterr(ei, CT_ERR_TRUNCATED, off, "%s: unexpected end of file at byte %llu",
                             r->path, (unsigned long long)off);
        p += k;
        off += (uint64_t)k;
        len -= (size_t)k;
    }
    return CT_OK;
}

ct_err rd_truncated(ct_reader *r, ct_errinfo *ei)
{
    r->st.truncated = 1;
    r->st.truncated_at = r->size;
    return ct_seterr(ei, CT_ERR_TRUNCATED, r->size,
                     "%s: truncated at byte %llu; last complete chunk ends at byte %llu",
                     r->path, (unsigned long long)r->size,
                     (unsigned long long)r->st.complete_end);
}

static int is_resync_point(const uint8_t *p)
{
    return ct_get32(p) == CT_SKIPPABLE_MAGIC &&
           (memcmp(p + 8, CT_TAG_CHUNK, 4) == 0 || memcmp(p + 8, CT_TAG_INDEX, 4) == 0);
}

/* Move r->pos to the next plausible chunk or index header after `from`, or to EOF. */
static walk_result resync(ct_reader *r, uint64_t from, ct_errinfo *ei)
{
    uint8_t *buf = malloc(SCAN_BUF);
    if (buf == NULL) {
        ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
        return WALK_FATAL;
    }
    uint64_t off = from;
    r->pos = r->size;
    while (off + 12 <= r->size) {
        size_t want = (size_t)(r->size - off < SCAN_BUF ? r->size - off : SCAN_BUF);
        ct_errinfo tmp;
        if (rd_pread(r, buf, want, off, &tmp) != CT_OK) {
            *ei = tmp;
            free(buf);
            return WALK_FATAL;
        }
        for (size_t i = 0; i + 12 <= want; i++) {
            if (is_resync_point(buf + i)) {
                r->pos = off + i;
                free(buf);
                return WALK_CORRUPT;
            }
        }
        off += want - 11; /* overlap so a header across the boundary is found */
    }
    free(buf);
    return WALK_CORRUPT;
}

static walk_result corrupt(ct_reader *r, uint64_t at, uint64_t resume, ct_err code,
                           const char *why, ct_errinfo *ei)
{
    ct_seterr(ei, code, at, "%s: byte %llu: %s", r->path, (unsigned long long)at, why);
    ct_errinfo keep = *ei;
    walk_result w = resync(r, resume, ei);
    if (w == WALK_CORRUPT)
        *ei = keep;
    return w;
}

/* We are at an index frame whose header says `fsize`. Decide how the data ends. */
static walk_result at_index(ct_reader *r, uint32_t fsize, ct_errinfo *ei)
{
    uint64_t end = r->pos + CT_FRAME_HDR + fsize;
    if (r->has_footer && r->pos == r->index_off)
        return WALK_END;
    if (end > r->size || r->size - end < CT_TRAILER_FRAME) {
        rd_truncated(r, ei); /* the writer died while writing its footer */
        return WALK_TRUNCATED;
    }
    /* A complete index frame followed by something that is not our trailer. */
    ct_seterr(ei, CT_ERR_CORRUPT, end, "%s: byte %llu: index frame is not followed by a "
              "valid trailer (expected a 32-byte skippable frame with tag CTTR)",
              r->path, (unsigned long long)end);
    r->pos = r->size;
    return WALK_CORRUPT;
}

static walk_result walk_chunk(ct_reader *r, ct_chunk_rec *c, ct_errinfo *ei)
{
    uint64_t avail = r->size - r->pos;
    if (avail < CT_CHUNKHDR_FRAME) {
        rd_truncated(r, ei);
        return WALK_TRUNCATED;
    }
    uint8_t h[CT_CHUNKHDR_FRAME];
    ct_err e = rd_pread(r, h, sizeof h, r->pos, ei);
    if (e != CT_OK)
        return WALK_FATAL;
    const char *why = NULL;
    if (ct_chunkhdr_decode(h, c, &why) != CT_OK)
        return corrupt(r, r->pos, r->pos + 1, CT_ERR_CORRUPT, why, ei);
    c->offset = r->pos;
    uint64_t end = r->pos + CT_CHUNKHDR_FRAME + c->comp_bytes;
    if (c->raw_bytes > CT_MAX_CHUNK_BYTES || c->records > CT_MAX_CHUNK_RECORDS ||
        c->comp_bytes > ZSTD_compressBound(CT_MAX_CHUNK_BYTES)) {
        /* The header is intact (its CRC matched), so skip exactly this chunk. */
        ct_seterr(ei, CT_ERR_LIMIT, r->pos, "%s: byte %llu: chunk %u declares %u bytes "
                  "(%u compressed, %u records), over the caps of FORMAT.md §9", r->path,
                  (unsigned long long)r->pos, c->index, c->raw_bytes, c->comp_bytes,
                  c->records);
        r->pos = end <= r->size ? end : r->size;
        return WALK_CORRUPT;
    }
    if (end > r->size) {
        rd_truncated(r, ei);
        return WALK_TRUNCATED;
    }
    return WALK_CHUNK;
}

walk_result rd_walk(ct_reader *r, ct_chunk_rec *c, ct_errinfo *ei)
{
    for (;;) {
        if (r->pos >= r->size) {
            if (r->has_footer)
                return WALK_END; /* resync ran off the end of a file with a footer */
            rd_truncated(r, ei);
            return WALK_TRUNCATED;
        }
        uint64_t avail = r->size - r->pos;
        if (avail < 12) {
            rd_truncated(r, ei);
            return WALK_TRUNCATED;
        }
        uint8_t h[12];
        if (rd_pread(r, h, sizeof h, r->pos, ei) != CT_OK)
            return WALK_FATAL;
        uint32_t magic = ct_get32(h), fsize = ct_get32(h + 4);
        if (magic == CT_SKIPPABLE_MAGIC && memcmp(h + 8, CT_TAG_CHUNK, 4) == 0)
            return walk_chunk(r, c, ei);
        if (magic == CT_SKIPPABLE_MAGIC && memcmp(h + 8, CT_TAG_INDEX, 4) == 0)
            return at_index(r, fsize, ei);
        if (magic == CT_ZSTD_MAGIC)
            return corrupt(r, r->pos, r->pos + 1, CT_ERR_CORRUPT,
                           "zstd data frame without a chunk header", ei);
        if ((magic & CT_SKIPPABLE_MASK) == CT_SKIPPABLE_BASE &&
            memcmp(h + 8, CT_TAG_TRAILER, 4) != 0 && memcmp(h + 8, CT_TAG_FILE, 4) != 0) {
            /* A skippable frame we do not know: newer writers may add some (§8). */
            if ((uint64_t)fsize + CT_FRAME_HDR > avail) {
                rd_truncated(r, ei);
                return WALK_TRUNCATED;
            }
            r->pos += CT_FRAME_HDR + (uint64_t)fsize;
            continue;
        }
        return corrupt(r, r->pos, r->pos + 1, CT_ERR_CORRUPT,
                       "expected a chunk-header or index frame", ei);
    }
}

ct_err rd_probe_footer(ct_reader *r, ct_errinfo *ei)
{
    r->has_footer = 0;
    if (r->size < r->data_start + CT_TRAILER_FRAME + CT_FRAME_HDR + CT_INDEX_FIXED)
        return CT_OK;
    uint8_t t[CT_TRAILER_FRAME];
    ct_err e = rd_pread(r, t, sizeof t, r->size - CT_TRAILER_FRAME, ei);
    if (e != CT_OK)
        return e;
    uint64_t ioff, ibytes;
    if (!ct_trailer_decode(t, &ioff, &ibytes))
        return CT_OK;
    if (ioff < r->data_start || ibytes < CT_FRAME_HDR + CT_INDEX_FIXED + 4 ||
        ioff + ibytes != r->size - CT_TRAILER_FRAME)
        return CT_OK;
    uint8_t h[CT_FRAME_HDR + CT_INDEX_FIXED];
    if ((e = rd_pread(r, h, sizeof h, ioff, ei)) != CT_OK)
        return e;
    uint64_t count = ct_get32(h + 12);
    if (ct_get32(h) != CT_SKIPPABLE_MAGIC || memcmp(h + 8, CT_TAG_INDEX, 4) != 0 ||
        ct_get32(h + 4) != ibytes - CT_FRAME_HDR || ct_get32(h + 16) != CT_INDEX_ENTRY ||
        count > CT_MAX_INDEX_CHUNKS ||
        CT_FRAME_HDR + CT_INDEX_FIXED + count * CT_INDEX_ENTRY + 4 != ibytes)
        return CT_OK;
    r->has_footer = 1;
    r->index_off = ioff;
    r->index_frame_bytes = ibytes;
    return CT_OK;
}

/* Stream the footer index; when fn is NULL only verify its CRC. Returns 1 when the index
 * is intact, 0 when not, -1 on I/O error. Memory: one SCAN_BUF. */
static int stream_index(ct_reader *r, ct_chunk_fn fn, void *ctx, ct_errinfo *ei)
{
    uint64_t body = r->index_off + CT_FRAME_HDR, end = r->index_off + r->index_frame_bytes - 4;
    uint8_t *buf = malloc(SCAN_BUF);
    if (buf == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory"), -1;
    uint32_t crc = 0;
    uint64_t off = body;
    int rc = 1, stop = 0;
    size_t chunk = SCAN_BUF - SCAN_BUF % CT_INDEX_ENTRY;
    /* The fixed part first, then whole entries per read. */
    if (rd_pread(r, buf, CT_INDEX_FIXED, off, ei) != CT_OK)
        rc = -1;
    crc = ct_crc32c(crc, buf, CT_INDEX_FIXED);
    off += CT_INDEX_FIXED;
    while (rc == 1 && !stop && off < end) {
        size_t want = (size_t)(end - off < chunk ? end - off : chunk);
        if (rd_pread(r, buf, want, off, ei) != CT_OK) {
            rc = -1;
            break;
        }
        crc = ct_crc32c(crc, buf, want);
        for (size_t i = 0; fn != NULL && i + CT_INDEX_ENTRY <= want; i += CT_INDEX_ENTRY) {
            ct_chunk_rec c;
            ct_index_entry_decode(buf + i, &c);
            ct_chunk_info info = {c.index, c.offset, c.offset + CT_CHUNKHDR_FRAME,
                                  c.offset + CT_CHUNKHDR_FRAME + c.comp_bytes, c.records,
                                  c.events, c.first_seq, c.last_seq, c.min_ts, c.max_ts,
                                  c.raw_bytes, c.comp_bytes};
            if (fn(ctx, &info)) {
                stop = 1;
                break;
            }
        }
        off += want;
    }
    if (rc == 1 && !stop) {
        uint8_t t[4];
        if (rd_pread(r, t, 4, end, ei) != CT_OK)
            rc = -1;
        else if (ct_get32(t) != crc)
            rc = 0;
    }
    free(buf);
    return rc;
}

static ct_err scan_chunks(ct_reader *r, ct_chunk_fn fn, void *ctx, ct_errinfo *ei)
{
    uint64_t saved = r->pos;
    r->pos = r->data_start;
    uint64_t chunks = 0, records = 0, events = 0, corrupt_chunks = 0;
    ct_err result = CT_OK;
    for (;;) {
        ct_chunk_rec c;
        ct_errinfo tmp;
        walk_result w = rd_walk(r, &c, &tmp);
        if (w == WALK_CHUNK) {
            ct_chunk_info info = {c.index, c.offset, c.offset + CT_CHUNKHDR_FRAME,
                                  c.offset + CT_CHUNKHDR_FRAME + c.comp_bytes, c.records,
                                  c.events, c.first_seq, c.last_seq, c.min_ts, c.max_ts,
                                  c.raw_bytes, c.comp_bytes};
            chunks++;
            records += c.records;
            events += c.events;
            if (info.end > r->st.complete_end)
                r->st.complete_end = info.end;
            r->pos = info.end;
            if (fn != NULL && fn(ctx, &info))
                break;
            continue;
        }
        if (w == WALK_CORRUPT) {
            corrupt_chunks++;
            continue;
        }
        if (w == WALK_FATAL) {
            *ei = tmp;
            result = tmp.code;
        }
        break; /* END or TRUNCATED */
    }
    r->st.chunks = chunks;
    r->st.records = records;
    r->st.events = events;
    if (corrupt_chunks > r->st.corrupt_chunks)
        r->st.corrupt_chunks = corrupt_chunks;
    r->pos = saved;
    return result;
}

ct_err rd_enum_chunks(ct_reader *r, ct_chunk_fn fn, void *ctx, ct_errinfo *ei)
{
    if (r->has_footer && !r->index_checked) {
        int ok = stream_index(r, NULL, NULL, ei);
        if (ok < 0)
            return ei ? ei->code : CT_ERR_IO;
        r->index_checked = 1;
        r->index_ok = ok;
    }
    if (r->has_footer && r->index_ok) {
        r->index_source = CT_INDEX_FOOTER;
        return stream_index(r, fn, ctx, ei) < 0 ? (ei ? ei->code : CT_ERR_IO) : CT_OK;
    }
    r->index_source = CT_INDEX_REBUILT;
    return scan_chunks(r, fn, ctx, ei);
}
