/* writer.c - writes chimtrace trace files (FORMAT.md): file header, chunks, footer.
 *
 * Records are packed straight into the open chunk's buffer; sealing compresses the chunk
 * into one independent zstd frame and writes its chunk header and data with one writev.
 * The file is valid after every sealed chunk (crash safety); close adds the footer index
 * and trailer. The index entries are the only state that grows: 64 bytes per chunk.
 */
#define _POSIX_C_SOURCE 200809L
#include "tracefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zstd.h>

#include "crc32c.h"
#include "format.h"

struct ct_writer {
    int fd;
    char *path;
    ct_writer_opts opts;
    ZSTD_CCtx *cctx;
    uint8_t *buf;          /* open chunk, decompressed */
    size_t buf_len, buf_cap;
    uint8_t *zbuf;         /* compressed chunk */
    size_t zbuf_cap;
    ct_chunk_rec cur;      /* facts of the open chunk */
    ct_chunk_rec *index;   /* sealed chunks */
    size_t n_index, cap_index;
    uint64_t file_off;
    uint64_t total_records, total_events, raw_bytes;
    ct_err failed;         /* sticky: once an I/O error happened, every call fails */
};

void ct_writer_opts_init(ct_writer_opts *opts)
{
    opts->chunk_bytes = CT_CHUNK_DEFAULT_BYTES;
    opts->zstd_level = 1;
    opts->sync = CT_SYNC_CLOSE;
}

static ct_err write_all(ct_writer *w, struct iovec *iov, int n, ct_errinfo *ei)
{
    uint64_t start = w->file_off;
    while (n > 0) {
        ssize_t k = writev(w->fd, iov, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->failed = CT_ERR_IO;
            return ct_seterr(ei, CT_ERR_IO, start, "%s: write failed at byte %llu: %s",
                             w->path, (unsigned long long)w->file_off, strerror(errno));
        }
        w->file_off += (uint64_t)k;
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return CT_OK;
}

static ct_err sync_file(ct_writer *w, ct_errinfo *ei)
{
    if (fdatasync(w->fd) != 0) {
        w->failed = CT_ERR_IO;
        return ct_seterr(ei, CT_ERR_IO, w->file_off, "%s: fdatasync failed: %s", w->path,
                         strerror(errno));
    }
    return CT_OK;
}

static ct_err check_opts(const ct_writer_opts *o, ct_errinfo *ei)
{
    if (o->chunk_bytes < CT_CHUNK_MIN_BYTES || o->chunk_bytes > CT_CHUNK_MAX_TARGET_BYTES)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "chunk size %u is outside %u..%u bytes", o->chunk_bytes,
                         CT_CHUNK_MIN_BYTES, CT_CHUNK_MAX_TARGET_BYTES);
    if (o->zstd_level < 1 || o->zstd_level > 19)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "zstd level %d is outside 1..19",
                         o->zstd_level);
    if (o->sync != CT_SYNC_NONE && o->sync != CT_SYNC_CLOSE && o->sync != CT_SYNC_CHUNK)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "unknown sync policy %d", (int)o->sync);
    return CT_OK;
}

static ct_err write_file_header(ct_writer *w, const Chimtrace__V1__TraceHeader *hdr,
                                ct_errinfo *ei)
{
    size_t hlen = protobuf_c_message_get_packed_size(&hdr->base);
    if (hlen > CT_MAX_HEADER_BYTES)
        return ct_seterr(ei, CT_ERR_LIMIT, 0, "%s: trace header is %zu bytes, cap is %u",
                         w->path, hlen, CT_MAX_HEADER_BYTES);
    size_t payload = CT_FILEHDR_FIXED + hlen + CT_FILEHDR_CRC;
    uint8_t *f = malloc(CT_FRAME_HDR + payload);
    if (f == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    ct_put32(f, CT_SKIPPABLE_MAGIC);
    ct_put32(f + 4, (uint32_t)payload);
    memcpy(f + 8, CT_TAG_FILE, 4);
    ct_put16(f + 12, CT_FORMAT_MAJOR);
    ct_put16(f + 14, CT_FORMAT_MINOR);
    ct_put32(f + 16, 0); /* flags */
    ct_put32(f + 20, (uint32_t)hlen);
    protobuf_c_message_pack(&hdr->base, f + 24);
    ct_put32(f + 24 + hlen, ct_crc32c(0, f + 8, CT_FILEHDR_FIXED + hlen));
    struct iovec iov = {f, CT_FRAME_HDR + payload};
    ct_err e = write_all(w, &iov, 1, ei);
    free(f);
    return e;
}

static void writer_free(ct_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    free(w->buf);
    free(w->zbuf);
    free(w->index);
    free(w->path);
    free(w);
}

static ct_err writer_alloc(ct_writer *w, ct_errinfo *ei)
{
    /* Room for a full chunk plus one maximal record and its framing, so a record that
     * does not fit the target still goes into a chunk of its own. */
    w->buf_cap = (size_t)w->opts.chunk_bytes + CT_MAX_RECORD_BYTES + 16;
    w->zbuf_cap = ZSTD_compressBound(w->buf_cap);
    w->buf = malloc(w->buf_cap);
    w->zbuf = malloc(w->zbuf_cap);
    w->cctx = ZSTD_createCCtx();
    if (w->buf == NULL || w->zbuf == NULL || w->cctx == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    size_t r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->opts.zstd_level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
    if (ZSTD_isError(r))
        return ct_seterr(ei, CT_ERR_UNSUPPORTED, CT_NO_OFFSET, "zstd: %s",
                         ZSTD_getErrorName(r));
    return CT_OK;
}

ct_err ct_writer_open(const char *path, const Chimtrace__V1__TraceHeader *hdr,
                      const ct_writer_opts *opts, ct_writer **out, ct_errinfo *ei)
{
    *out = NULL;
    if (path == NULL || hdr == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "ct_writer_open: NULL path or header");
    ct_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    w->fd = -1;
    ct_writer_opts_init(&w->opts);
    if (opts != NULL) {
        w->opts = *opts;
        if (w->opts.chunk_bytes == 0)
            w->opts.chunk_bytes = CT_CHUNK_DEFAULT_BYTES;
        if (w->opts.zstd_level == 0)
            w->opts.zstd_level = 1;
    }
    ct_err e = check_opts(&w->opts, ei);
    if (e == CT_OK && (w->path = strdup(path)) == NULL)
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK)
        e = writer_alloc(w, ei);
    if (e == CT_OK) {
        w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (w->fd < 0)
            e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: cannot create: %s", path,
                          strerror(errno));
    }
    if (e == CT_OK)
        e = write_file_header(w, hdr, ei);
    if (e == CT_OK && w->opts.sync != CT_SYNC_NONE)
        e = sync_file(w, ei);
    if (e == CT_OK) {
        /* The header is also record 0 of chunk 0, for stock tools (FORMAT.md §4.2). */
        Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
        rec.kind_case = CHIMTRACE__V1__RECORD__KIND_HEADER;
        rec.header = (Chimtrace__V1__TraceHeader *)hdr;
        e = ct_writer_append(w, &rec, ei);
    }
    if (e != CT_OK) {
        writer_free(w);
        return e;
    }
    *out = w;
    return CT_OK;
}

static ct_err add_index_entry(ct_writer *w, ct_errinfo *ei)
{
    if (w->n_index == w->cap_index) {
        size_t cap = w->cap_index ? w->cap_index * 2 : 64;
        if (cap > CT_MAX_INDEX_CHUNKS)
            return ct_seterr(ei, CT_ERR_LIMIT, w->file_off, "%s: more than %u chunks",
                             w->path, CT_MAX_INDEX_CHUNKS);
        ct_chunk_rec *n = realloc(w->index, cap * sizeof *n);
        if (n == NULL)
            return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
        w->index = n;
        w->cap_index = cap;
    }
    w->index[w->n_index++] = w->cur;
    return CT_OK;
}

ct_err ct_writer_seal(ct_writer *w, ct_errinfo *ei)
{
    if (w == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "NULL writer");
    if (w->failed)
        return ct_seterr(ei, CT_ERR_STATE, w->file_off, "%s: writer failed earlier", w->path);
    if (w->cur.records == 0)
        return CT_OK;
    size_t z = ZSTD_compress2(w->cctx, w->zbuf, w->zbuf_cap, w->buf, w->buf_len);
    if (ZSTD_isError(z)) {
        w->failed = CT_ERR_IO;
        return ct_seterr(ei, CT_ERR_IO, w->file_off, "%s: zstd compression failed: %s",
                         w->path, ZSTD_getErrorName(z));
    }
    w->cur.offset = w->file_off;
    w->cur.index = (uint32_t)w->n_index;
    w->cur.raw_bytes = (uint32_t)w->buf_len;
    w->cur.comp_bytes = (uint32_t)z;
    w->cur.flags = w->cur.events ? CT_CHUNK_FLAG_EVENTS : 0;
    uint8_t hdr[CT_CHUNKHDR_FRAME];
    ct_chunkhdr_encode(hdr, &w->cur);
    ct_err e = add_index_entry(w, ei);
    struct iovec iov[2] = {{hdr, sizeof hdr}, {w->zbuf, z}};
    if (e == CT_OK)
        e = write_all(w, iov, 2, ei);
    if (e == CT_OK && w->opts.sync == CT_SYNC_CHUNK)
        e = sync_file(w, ei);
    memset(&w->cur, 0, sizeof w->cur);
    w->buf_len = 0;
    return e;
}

static void note_keys(ct_chunk_rec *c, const ct_record_keys *k)
{
    if (k == NULL || !(k->has_seq || k->has_ts))
        return;
    uint64_t seq = k->has_seq ? k->seq : 0, ts = k->has_ts ? k->ts_ns : 0;
    if (c->events == 0) {
        c->first_seq = c->last_seq = seq;
        c->min_ts = c->max_ts = ts;
    } else {
        if (seq < c->first_seq) c->first_seq = seq;
        if (seq > c->last_seq) c->last_seq = seq;
        if (ts < c->min_ts) c->min_ts = ts;
        if (ts > c->max_ts) c->max_ts = ts;
    }
    c->events++;
}

/* Make room for a record of `len` bytes; returns the write position (after the framing
 * bytes, which it writes) or NULL with *e set. */
static uint8_t *reserve(ct_writer *w, size_t len, ct_err *e, ct_errinfo *ei)
{
    if (w->failed) {
        *e = ct_seterr(ei, CT_ERR_STATE, w->file_off, "%s: writer failed earlier", w->path);
        return NULL;
    }
    if (len > CT_MAX_RECORD_BYTES) {
        *e = ct_seterr(ei, CT_ERR_LIMIT, w->file_off,
                       "%s: record of %zu bytes exceeds the %u-byte record cap", w->path, len,
                       CT_MAX_RECORD_BYTES);
        return NULL;
    }
    uint8_t pre[11];
    pre[0] = 0x0A; /* Trace.record: field 1, wire type 2 */
    size_t plen = 1 + ct_varint_put(pre + 1, len);
    if (w->cur.records > 0 && (w->buf_len + plen + len > w->opts.chunk_bytes ||
                               w->cur.records >= CT_MAX_CHUNK_RECORDS)) {
        if ((*e = ct_writer_seal(w, ei)) != CT_OK)
            return NULL;
    }
    memcpy(w->buf + w->buf_len, pre, plen);
    w->buf_len += plen;
    uint8_t *p = w->buf + w->buf_len;
    w->buf_len += len;
    w->cur.records++;
    w->total_records++;
    w->raw_bytes += plen + len;
    return p;
}

void ct_record_keys_of(const Chimtrace__V1__Record *rec, ct_record_keys *k)
{
    memset(k, 0, sizeof *k);
    if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT && rec->event != NULL) {
        k->has_seq = rec->event->has_seq;
        k->seq = rec->event->seq;
        k->has_ts = rec->event->has_ts_ns;
        k->ts_ns = rec->event->ts_ns;
    }
}

ct_err ct_writer_append(ct_writer *w, const Chimtrace__V1__Record *rec, ct_errinfo *ei)
{
    if (w == NULL || rec == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "ct_writer_append: NULL argument");
    ct_err e = CT_OK;
    size_t len = protobuf_c_message_get_packed_size(&rec->base);
    uint8_t *p = reserve(w, len, &e, ei);
    if (p == NULL)
        return e;
    protobuf_c_message_pack(&rec->base, p);
    ct_record_keys k;
    ct_record_keys_of(rec, &k);
    note_keys(&w->cur, &k);
    if (k.has_seq || k.has_ts)
        w->total_events++;
    return CT_OK;
}

ct_err ct_writer_append_encoded(ct_writer *w, const uint8_t *rec, size_t len,
                                const ct_record_keys *keys, ct_errinfo *ei)
{
    if (w == NULL || (rec == NULL && len > 0))
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "ct_writer_append_encoded: NULL");
    ct_err e = CT_OK;
    uint8_t *p = reserve(w, len, &e, ei);
    if (p == NULL)
        return e;
    if (len > 0)
        memcpy(p, rec, len);
    note_keys(&w->cur, keys);
    if (keys != NULL && (keys->has_seq || keys->has_ts))
        w->total_events++;
    return CT_OK;
}

ct_err ct_writer_sync(ct_writer *w, ct_errinfo *ei)
{
    ct_err e = ct_writer_seal(w, ei);
    return e != CT_OK ? e : sync_file(w, ei);
}

static ct_err write_footer(ct_writer *w, ct_errinfo *ei)
{
    size_t payload = CT_INDEX_FIXED + w->n_index * CT_INDEX_ENTRY + 4;
    if (payload > UINT32_MAX)
        return ct_seterr(ei, CT_ERR_LIMIT, w->file_off, "%s: index too large", w->path);
    uint8_t *f = malloc(CT_FRAME_HDR + payload + CT_TRAILER_FRAME);
    if (f == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    ct_put32(f, CT_SKIPPABLE_MAGIC);
    ct_put32(f + 4, (uint32_t)payload);
    memcpy(f + 8, CT_TAG_INDEX, 4);
    ct_put32(f + 12, (uint32_t)w->n_index);
    ct_put32(f + 16, CT_INDEX_ENTRY);
    ct_put64(f + 20, w->total_records);
    ct_put64(f + 28, w->total_events);
    uint8_t *p = f + 8 + CT_INDEX_FIXED;
    for (size_t i = 0; i < w->n_index; i++, p += CT_INDEX_ENTRY)
        ct_index_entry_encode(p, &w->index[i]);
    ct_put32(p, ct_crc32c(0, f + 8, payload - 4));
    uint64_t index_off = w->file_off;
    ct_trailer_encode(f + CT_FRAME_HDR + payload, index_off, CT_FRAME_HDR + payload);
    struct iovec iov = {f, CT_FRAME_HDR + payload + CT_TRAILER_FRAME};
    ct_err e = write_all(w, &iov, 1, ei);
    free(f);
    return e;
}

ct_err ct_writer_close(ct_writer *w, ct_errinfo *ei)
{
    if (w == NULL)
        return CT_OK;
    ct_err e = ct_writer_seal(w, ei);
    if (e == CT_OK)
        e = write_footer(w, ei);
    if (e == CT_OK && w->opts.sync != CT_SYNC_NONE)
        e = sync_file(w, ei);
    if (e == CT_OK && close(w->fd) != 0)
        e = ct_seterr(ei, CT_ERR_IO, w->file_off, "%s: close failed: %s", w->path,
                      strerror(errno));
    if (e == CT_OK)
        w->fd = -1;
    writer_free(w);
    return e;
}

void ct_writer_abandon(ct_writer *w)
{
    if (w != NULL)
        writer_free(w);
}

void ct_writer_get_stats(const ct_writer *w, ct_writer_stats *st)
{
    st->records = w->total_records;
    st->chunks = w->n_index;
    st->raw_bytes = w->raw_bytes;
    st->file_bytes = w->file_off;
}
