/* reader.c - reads chimtrace trace files: header, records in file order, seeking.
 *
 * One chunk is held decompressed at a time and each record is unpacked into an arena that
 * is reset before the next, so memory is bounded by the caps of FORMAT.md §9 whatever the
 * trace length. Damage is reported with its byte offset and skipped chunk by chunk; a
 * crashed or cut file yields every complete chunk, then CT_ERR_TRUNCATED once.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "reader_internal.h"

#define ARENA_CAP (64u * 1024u * 1024u)

/* Features this reader implements (TraceHeader.required_features, FORMAT.md §8). */
static const char *const known_features[] = {NULL};

static int feature_known(const char *f)
{
    for (size_t i = 0; known_features[i] != NULL; i++)
        if (strcmp(known_features[i], f) == 0)
            return 1;
    return 0;
}

static ct_err check_header_payload(ct_reader *r, const uint8_t *p, uint32_t len,
                                   ct_errinfo *ei)
{
    if (len < CT_FILEHDR_FIXED + CT_FILEHDR_CRC || memcmp(p, CT_TAG_FILE, 4) != 0)
        return ct_seterr(ei, CT_ERR_CORRUPT, 8, "%s: byte 8: not a chimtrace file header "
                         "(expected tag CTFH)", r->path);
    if (ct_get32(p + len - 4) != ct_crc32c(0, p, len - 4))
        return ct_seterr(ei, CT_ERR_CORRUPT, 8, "%s: byte 8: file header CRC-32C mismatch",
                         r->path);
    r->fmt_major = ct_get16(p + 4);
    r->fmt_minor = ct_get16(p + 6);
    uint32_t hlen = ct_get32(p + 12);
    if (r->fmt_major != CT_FORMAT_MAJOR)
        return ct_seterr(ei, CT_ERR_VERSION, 12, "%s: format version %u.%u; this reader "
                         "reads major version %u", r->path, r->fmt_major, r->fmt_minor,
                         CT_FORMAT_MAJOR);
    if (hlen != len - CT_FILEHDR_FIXED - CT_FILEHDR_CRC)
        return ct_seterr(ei, CT_ERR_CORRUPT, 20, "%s: byte 20: header length %u does not "
                         "match the frame", r->path, hlen);
    r->hdr = chimtrace__v1__trace_header__unpack(NULL, hlen, p + CT_FILEHDR_FIXED);
    if (r->hdr == NULL)
        return ct_seterr(ei, CT_ERR_CORRUPT, 24, "%s: byte 24: trace header is not a valid "
                         "chimtrace.v1.TraceHeader", r->path);
    for (size_t i = 0; i < r->hdr->n_required_features; i++)
        if (!feature_known(r->hdr->required_features[i]))
            return ct_seterr(ei, CT_ERR_VERSION, 24, "%s: needs feature \"%s\", which this "
                             "reader does not implement", r->path,
                             r->hdr->required_features[i]);
    return CT_OK;
}

static ct_err read_file_header(ct_reader *r, ct_errinfo *ei)
{
    uint8_t h[CT_FRAME_HDR];
    if (r->size < CT_FRAME_HDR)
        return ct_seterr(ei, CT_ERR_TRUNCATED, r->size,
                         "%s: truncated at byte %llu inside the file header (file is %s)",
                         r->path, (unsigned long long)r->size, r->size ? "too short" : "empty");
    ct_err e = rd_pread(r, h, sizeof h, 0, ei);
    if (e != CT_OK)
        return e;
    uint32_t len = ct_get32(h + 4);
    if (ct_get32(h) != CT_SKIPPABLE_MAGIC)
        return ct_seterr(ei, CT_ERR_CORRUPT, 0, "%s: byte 0: not a chimtrace trace (expected "
                         "skippable-frame magic 5C 2A 4D 18)", r->path);
    if (len > CT_MAX_HEADER_BYTES + CT_FILEHDR_FIXED + CT_FILEHDR_CRC)
        return ct_seterr(ei, CT_ERR_LIMIT, 4, "%s: byte 4: file header of %u bytes exceeds "
                         "the cap", r->path, len);
    if (CT_FRAME_HDR + (uint64_t)len > r->size)
        return ct_seterr(ei, CT_ERR_TRUNCATED, r->size, "%s: truncated at byte %llu inside "
                         "the file header (it needs %llu bytes)", r->path,
                         (unsigned long long)r->size,
                         (unsigned long long)(CT_FRAME_HDR + (uint64_t)len));
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    e = rd_pread(r, p, len, CT_FRAME_HDR, ei);
    if (e == CT_OK)
        e = check_header_payload(r, p, len, ei);
    free(p);
    r->data_start = CT_FRAME_HDR + (uint64_t)len;
    return e;
}

ct_err ct_reader_open(const char *path, ct_reader **out, ct_errinfo *ei)
{
    *out = NULL;
    if (path == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "ct_reader_open: NULL path");
    ct_reader *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(path)) == NULL) {
        free(r);
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    }
    ct_err e = CT_OK;
    struct stat sb;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: cannot open: %s", path,
                      strerror(errno));
    else if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: not a regular file", path);
    if (e == CT_OK) {
        r->size = (uint64_t)sb.st_size;
        e = read_file_header(r, ei);
    }
    if (e == CT_OK) {
        r->dctx = ZSTD_createDCtx();
        r->arena = ct_arena_new(ARENA_CAP);
        if (r->dctx == NULL || r->arena == NULL)
            e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    }
    if (e == CT_OK)
        e = rd_probe_footer(r, ei);
    if (e != CT_OK) {
        ct_reader_close(r);
        return e;
    }
    r->pos = r->data_start;
    r->st.format_major = r->fmt_major;
    r->st.format_minor = r->fmt_minor;
    r->st.file_bytes = r->size;
    r->st.has_footer = r->has_footer;
    r->st.complete_end = r->data_start;
    *out = r;
    return CT_OK;
}

void ct_reader_close(ct_reader *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    if (r->hdr != NULL)
        chimtrace__v1__trace_header__free_unpacked(r->hdr, NULL);
    ZSTD_freeDCtx(r->dctx);
    ct_arena_free(r->arena);
    free(r->data);
    free(r->zbuf);
    free(r->path);
    free(r);
}

const Chimtrace__V1__TraceHeader *ct_reader_header(const ct_reader *r)
{
    return r->hdr;
}

static ct_err grow(uint8_t **buf, size_t *cap, size_t need, ct_errinfo *ei)
{
    if (*cap >= need)
        return CT_OK;
    uint8_t *n = realloc(*buf, need);
    if (n == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    *buf = n;
    *cap = need;
    return CT_OK;
}

/* Read and decompress the chunk the walker found. On damage, returns CT_ERR_CORRUPT with
 * r->pos already past the chunk. */
static ct_err load_chunk(ct_reader *r, const ct_chunk_rec *c, ct_errinfo *ei)
{
    uint64_t data_off = c->offset + CT_CHUNKHDR_FRAME;
    r->pos = data_off + c->comp_bytes;
    if (c->offset + CT_CHUNKHDR_FRAME + c->comp_bytes > r->st.complete_end)
        r->st.complete_end = r->pos;
    ct_err e = grow(&r->zbuf, &r->zbuf_cap, c->comp_bytes, ei);
    if (e == CT_OK)
        e = grow(&r->data, &r->data_cap, c->raw_bytes, ei);
    if (e == CT_OK)
        e = rd_pread(r, r->zbuf, c->comp_bytes, data_off, ei);
    if (e != CT_OK)
        return e;
    size_t fsz = ZSTD_findFrameCompressedSize(r->zbuf, c->comp_bytes);
    unsigned long long csz = ZSTD_getFrameContentSize(r->zbuf, c->comp_bytes);
    const char *why = NULL;
    if (ZSTD_isError(fsz) || fsz != c->comp_bytes)
        why = "data frame size does not match its chunk header";
    else if (csz != c->raw_bytes)
        why = "data frame content size does not match its chunk header";
    if (why == NULL) {
        size_t n = ZSTD_decompressDCtx(r->dctx, r->data, c->raw_bytes, r->zbuf, c->comp_bytes);
        if (ZSTD_isError(n))
            why = ZSTD_getErrorName(n);
        else if (n != c->raw_bytes)
            why = "data frame decompressed to the wrong size";
    }
    if (why != NULL) {
        r->st.corrupt_chunks++;
        return ct_seterr(ei, CT_ERR_CORRUPT, data_off, "%s: byte %llu: chunk %u data: %s",
                         r->path, (unsigned long long)data_off, c->index, why);
    }
    r->chunk = *c;
    r->in_chunk = 1;
    r->data_len = c->raw_bytes;
    r->data_cur = 0;
    r->data_records = 0;
    return CT_OK;
}

static ct_err chunk_damage(ct_reader *r, ct_err code, const char *why, ct_errinfo *ei)
{
    uint64_t data_off = r->chunk.offset + CT_CHUNKHDR_FRAME;
    r->in_chunk = 0;
    r->st.corrupt_chunks++;
    return ct_seterr(ei, code, data_off, "%s: byte %llu: chunk %u, record %u at byte %zu of "
                     "its data: %s", r->path, (unsigned long long)data_off, r->chunk.index,
                     r->data_records, r->data_cur, why);
}

/* Find the next record of the loaded chunk: r->raw/raw_len, r->rec_off, and decode it into
 * r->rec when `decode`. CT_OK with r->raw NULL: chunk finished. */
static ct_err parse_record(ct_reader *r, int decode, ct_errinfo *ei)
{
    r->rec = NULL;
    r->raw = NULL;
    while (r->data_cur < r->data_len) {
        const uint8_t *p = r->data + r->data_cur;
        size_t avail = r->data_len - r->data_cur, n;
        uint64_t tag, len;
        if ((n = ct_varint_get(p, avail, &tag)) == 0 || (tag >> 3) == 0)
            return chunk_damage(r, CT_ERR_CORRUPT, "malformed field tag", ei);
        if (tag != 0x0A) {
            /* another field of Trace (forward compatibility, FORMAT.md §8): skipped */
            size_t used = ct_wire_skip(p + n, avail - n, (unsigned)(tag & 7));
            if (used == 0)
                return chunk_damage(r, CT_ERR_CORRUPT, "malformed unknown field", ei);
            r->data_cur += n + used;
            continue;
        }
        size_t m = ct_varint_get(p + n, avail - n, &len);
        if (m == 0 || len > avail - n - m)
            return chunk_damage(r, CT_ERR_CORRUPT, "record length runs past the chunk", ei);
        if (len > CT_MAX_RECORD_BYTES)
            return chunk_damage(r, CT_ERR_LIMIT, "record exceeds the 1 MiB record cap", ei);
        if (decode) {
            ct_arena_reset(r->arena);
            r->rec = chimtrace__v1__record__unpack(ct_arena_allocator(r->arena), (size_t)len,
                                                  p + n + m);
            if (r->rec == NULL)
                return chunk_damage(r, ct_arena_hit_cap(r->arena) ? CT_ERR_LIMIT
                                                                  : CT_ERR_CORRUPT,
                                    "not a valid chimtrace.v1.Record", ei);
            if (r->rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT &&
                r->rec->event->n_block > CT_MAX_BLOCKS_PER_EVENT) {
                r->rec = NULL;
                return chunk_damage(r, CT_ERR_LIMIT, "event has more blocks than the cap", ei);
            }
        }
        r->raw = p + n + m;
        r->raw_len = (size_t)len;
        r->rec_off = r->data_cur;
        r->data_cur += n + m + (size_t)len;
        r->data_records++;
        return CT_OK;
    }
    r->in_chunk = 0;
    if (r->data_records != r->chunk.records)
        return chunk_damage(r, CT_ERR_CORRUPT, "chunk holds fewer records than its header says",
                            ei);
    return CT_OK;
}

/* The one iteration of ct_reader_next and ct_reader_next_encoded: CT_OK with r->raw set
 * (and r->rec when decoding) for a record, CT_OK with r->raw NULL at the end. */
static ct_err advance(ct_reader *r, int decode, ct_errinfo *ei)
{
    if (r->pending) {
        r->pending = 0;
        return CT_OK;
    }
    r->raw = NULL;
    r->rec = NULL;
    for (;;) {
        if (r->in_chunk) {
            ct_err e = parse_record(r, decode, ei);
            if (e != CT_OK || r->raw != NULL)
                return e;
            continue;
        }
        if (r->done)
            return CT_OK;
        ct_chunk_rec c;
        walk_result w = rd_walk(r, &c, ei);
        switch (w) {
        case WALK_CHUNK: {
            ct_err e = load_chunk(r, &c, ei);
            if (e != CT_OK)
                return e;
            continue;
        }
        case WALK_END:
            r->done = 1;
            return CT_OK;
        case WALK_TRUNCATED:
            r->done = 1;
            if (r->trunc_reported)
                return CT_OK;
            r->trunc_reported = 1;
            return CT_ERR_TRUNCATED;
        case WALK_CORRUPT:
            r->st.corrupt_chunks++;
            return ei ? ei->code : CT_ERR_CORRUPT;
        case WALK_FATAL:
        default:
            r->done = 1;
            return ei ? ei->code : CT_ERR_IO;
        }
    }
}

ct_err ct_reader_next(ct_reader *r, const Chimtrace__V1__Record **rec, ct_errinfo *ei)
{
    ct_err e = advance(r, 1, ei);

    *rec = e == CT_OK ? r->rec : NULL;
    return e;
}

ct_err ct_reader_next_encoded(ct_reader *r, const uint8_t **bytes, size_t *len, ct_errinfo *ei)
{
    ct_err e = advance(r, 0, ei);

    *bytes = e == CT_OK ? r->raw : NULL;
    *len = e == CT_OK && r->raw ? r->raw_len : 0;
    return e;
}

void ct_reader_position(const ct_reader *r, uint64_t *chunk_offset, uint64_t *offset_in_chunk)
{
    if (chunk_offset != NULL)
        *chunk_offset = r->chunk.offset;
    if (offset_in_chunk != NULL)
        *offset_in_chunk = r->rec_off;
}

ct_err ct_reader_rewind(ct_reader *r, ct_errinfo *ei)
{
    (void)ei;
    r->pos = r->data_start;
    r->done = 0;
    r->trunc_reported = 0;
    r->in_chunk = 0;
    r->pending = 0;
    r->rec = NULL;
    r->raw = NULL;
    return CT_OK;
}
