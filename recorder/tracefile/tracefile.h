/* tracefile.h - the public face of chimtrace's trace-file library (writer and reader).
 *
 * Tools include only this header for trace I/O. The file layout it reads and writes is
 * specified in schema/FORMAT.md; records are chimtrace.v1.Record messages (protobuf-c).
 * Writers and readers are opaque handles; every call that can fail returns ct_err and fills
 * the caller's ct_errinfo (may be NULL) with the byte offset and a message naming the file.
 */
#ifndef CT_TRACEFILE_H
#define CT_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* File format version written by this library (FORMAT.md §8). */
#define CT_FORMAT_MAJOR 1
#define CT_FORMAT_MINOR 0

/* Caps (FORMAT.md §9). A writer refuses to exceed them; a reader treats input that
 * exceeds them as CT_ERR_LIMIT, which guards against decompression bombs. */
#define CT_CHUNK_DEFAULT_BYTES (128u * 1024u)       /* writer's chunk target, decompressed */
#define CT_CHUNK_MIN_BYTES (4u * 1024u)
#define CT_CHUNK_MAX_TARGET_BYTES (1024u * 1024u)
#define CT_MAX_RECORD_BYTES (1024u * 1024u)         /* one encoded Record */
#define CT_MAX_CHUNK_BYTES (4u * 1024u * 1024u)     /* one chunk, decompressed */
#define CT_MAX_CHUNK_RECORDS (1u << 20)
#define CT_MAX_HEADER_BYTES (256u * 1024u)          /* encoded TraceHeader */
#define CT_MAX_BLOCKS_PER_EVENT 4096u
#define CT_MAX_INDEX_CHUNKS (1u << 26)

/* Event.flags bits (FORMAT.md §6.1). */
#define CT_EVENT_FLAG_REENTRANT 0x1u  /* completion-in arrived inside the IM's own down-call */

/* ------------------------------------------------------------------------------------ */
/* Writer                                                                                */

typedef struct ct_writer ct_writer;

/* When the writer asks the kernel to put data on stable storage. */
typedef enum ct_sync {
    CT_SYNC_NONE = 0,   /* never (tests, benchmarks); a crash may lose sealed chunks */
    CT_SYNC_CLOSE = 1,  /* fsync once at close (default) */
    CT_SYNC_CHUNK = 2   /* fdatasync after every sealed chunk: a crash loses at most the open chunk */
} ct_sync;

typedef struct ct_writer_opts {
    uint32_t chunk_bytes;   /* decompressed chunk target; 0 = CT_CHUNK_DEFAULT_BYTES */
    int zstd_level;         /* 0 = 1 (fast); 1..19 */
    ct_sync sync;
} ct_writer_opts;

/* Index keys of one record. Records with a seq/ts (events) feed the chunk index. */
typedef struct ct_record_keys {
    int has_seq;
    uint64_t seq;
    int has_ts;
    uint64_t ts_ns;
} ct_record_keys;

typedef struct ct_writer_stats {
    uint64_t records;       /* records appended */
    uint64_t chunks;        /* chunks sealed */
    uint64_t raw_bytes;     /* encoded record bytes (Trace framing included) */
    uint64_t file_bytes;    /* bytes written to the file so far */
} ct_writer_stats;

void ct_writer_opts_init(ct_writer_opts *opts);

/* Create (truncate) `path` and write the file header carrying `hdr`, then sync it so that a
 * crash leaves a readable, empty trace. The header is also the first data record, so stock
 * tools see it. opts may be NULL for defaults. On success *out is owned by the caller and
 * released with ct_writer_close (or ct_writer_abandon). */
ct_err ct_writer_open(const char *path, const Chimtrace__V1__TraceHeader *hdr,
                      const ct_writer_opts *opts, ct_writer **out, ct_errinfo *ei);

/* Append one record. The writer packs it at once; `rec` stays the caller's. A record that
 * would overflow the open chunk seals that chunk first. */
ct_err ct_writer_append(ct_writer *w, const Chimtrace__V1__Record *rec, ct_errinfo *ei);

/* Append a record already encoded as a chimtrace.v1.Record message (without the Trace
 * field-1 tag and length, which the writer adds). `keys` gives its index keys (NULL: none).
 * This is the path for hand-written encoders; the bytes must decode as a Record. */
ct_err ct_writer_append_encoded(ct_writer *w, const uint8_t *rec, size_t len,
                                const ct_record_keys *keys, ct_errinfo *ei);

/* Seal the open chunk now (no-op when it is empty). */
ct_err ct_writer_seal(ct_writer *w, ct_errinfo *ei);

/* Seal the open chunk and fdatasync the file, whatever the sync policy. */
ct_err ct_writer_sync(ct_writer *w, ct_errinfo *ei);

/* Seal, write the footer index and trailer, sync per policy and free the writer. The
 * writer is freed even when an error is returned. ct_writer_close(NULL) is a no-op. */
ct_err ct_writer_close(ct_writer *w, ct_errinfo *ei);

/* Free the writer without sealing or writing the footer, as a crash would leave the file
 * (everything sealed stays readable). For tests and for error paths. NULL is a no-op. */
void ct_writer_abandon(ct_writer *w);

void ct_writer_get_stats(const ct_writer *w, ct_writer_stats *st);

/* The index keys of a record (events: seq and ts_ns). */
void ct_record_keys_of(const Chimtrace__V1__Record *rec, ct_record_keys *keys);

/* ------------------------------------------------------------------------------------ */
/* Reader                                                                                */

typedef struct ct_reader ct_reader;

/* What the reader knows about one chunk. Offsets are byte offsets in the file. */
typedef struct ct_chunk_info {
    uint32_t index;         /* chunk number, 0-based, as written */
    uint64_t offset;        /* start of the chunk-header frame */
    uint64_t data_offset;   /* start of the data frame */
    uint64_t end;           /* first byte after the data frame */
    uint32_t records;
    uint32_t events;        /* records that carry seq/ts */
    uint64_t first_seq, last_seq;   /* min and max event seq (valid when events > 0) */
    uint64_t min_ts_ns, max_ts_ns;  /* min and max event ts_ns (valid when events > 0) */
    uint32_t raw_bytes;     /* decompressed size */
    uint32_t comp_bytes;    /* data frame size */
} ct_chunk_info;

typedef enum ct_index_source {
    CT_INDEX_UNKNOWN = 0,   /* not looked at yet */
    CT_INDEX_FOOTER = 1,    /* read from the file's footer */
    CT_INDEX_REBUILT = 2    /* the footer was missing or damaged; rebuilt by scanning chunks */
} ct_index_source;

/* What the reader has learnt about the file as a whole. */
typedef struct ct_file_status {
    uint32_t format_major, format_minor;
    uint64_t file_bytes;
    ct_index_source index_source;
    int has_footer;         /* a valid index and trailer end the file */
    int truncated;          /* the file ends inside a chunk, or without its footer */
    uint64_t truncated_at;  /* when truncated: the file size */
    uint64_t complete_end;  /* end of the last complete chunk (or of the file header) */
    uint64_t corrupt_chunks;/* damaged frames found and skipped so far */
    /* From the chunk headers, filled by ct_reader_chunks (0 before): */
    uint64_t chunks;        /* complete chunks */
    uint64_t records;       /* records in them */
    uint64_t events;        /* records with index keys (events) */
} ct_file_status;

/* Open `path`, check the file header (magic, CRC, version, required features) and look
 * for the footer. Does not read the data. On success *out is owned by the caller and
 * released with ct_reader_close. */
ct_err ct_reader_open(const char *path, ct_reader **out, ct_errinfo *ei);

/* ct_reader_close(NULL) is a no-op. */
void ct_reader_close(ct_reader *r);

/* The trace header. Borrowed: valid until ct_reader_close. */
const Chimtrace__V1__TraceHeader *ct_reader_header(const ct_reader *r);

/* Next record in file order. Returns:
 *   CT_OK with *rec set; CT_OK with *rec == NULL at the end of the data;
 *   CT_ERR_TRUNCATED once, after the last record of the last complete chunk of a file that
 *     ends inside a chunk or without its footer ("truncated at byte N; last complete chunk
 *     ends at byte M"); later calls return CT_OK with NULL;
 *   CT_ERR_CORRUPT or CT_ERR_LIMIT for a damaged chunk; the next call resumes with the
 *     following chunk, so one bad chunk loses only that chunk;
 *   other codes (CT_ERR_IO, CT_ERR_NOMEM) are final.
 * *rec is borrowed: valid until the next ct_reader_next/seek/rewind/close. The header
 * record at the start of chunk 0 is returned like any other record. */
ct_err ct_reader_next(ct_reader *r, const Chimtrace__V1__Record **rec, ct_errinfo *ei);

/* The same walk as ct_reader_next (same results, damage and truncation reports), but the
 * record is not decoded: *bytes and *len are its encoded chimtrace.v1.Record bytes, for
 * callers that scan the wire format themselves (stats' fast path). Borrowed: valid until
 * the next call on r. *bytes == NULL at the end. The per-event block cap is not checked. */
ct_err ct_reader_next_encoded(ct_reader *r, const uint8_t **bytes, size_t *len,
                              ct_errinfo *ei);

/* The protobuf wire-format steps the reader itself uses, for callers that scan encoded
 * records (inline: they sit on hot paths). ct_varint_get: bytes read into *v, 0 on malformed or overlong input (over 64
 * bits) or the end of the buffer. ct_wire_skip: bytes taken by one field value of wire
 * type `wt` (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32) at p, 0 when malformed,
 * past `avail`, or another wire type (groups are not in our schema). */
static inline size_t ct_varint_get(const uint8_t *in, size_t avail, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 10 && i < avail; i++) {
        uint64_t b = in[i];
        if (i == 9 && b > 1)
            return 0; /* more than 64 bits */
        r |= (b & 0x7F) << (7 * i);
        if ((b & 0x80) == 0) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

static inline size_t ct_wire_skip(const uint8_t *p, size_t avail, unsigned wt)
{
    uint64_t v;
    size_t n;

    switch (wt) {
    case 0: return ct_varint_get(p, avail, &v);
    case 1: return avail >= 8 ? 8 : 0;
    case 5: return avail >= 4 ? 4 : 0;
    case 2:
        n = ct_varint_get(p, avail, &v);
        return n == 0 || v > avail - n ? 0 : n + (size_t)v;
    default: return 0;
    }
}

/* Byte offset of the chunk holding the record last returned, and the record's byte offset
 * inside that chunk's decompressed data. */
void ct_reader_position(const ct_reader *r, uint64_t *chunk_offset, uint64_t *offset_in_chunk);

/* Position so that the next ct_reader_next returns the first record, in file order, that
 * is an event with seq >= `seq` (or ts_ns >= `ts_ns`). CT_ERR_NOT_FOUND when there is
 * none; the reader is then at the end. Uses the footer index, or rebuilds it by scanning
 * chunk headers (no decompression) when the footer is missing. */
ct_err ct_reader_seek_seq(ct_reader *r, uint64_t seq, ct_errinfo *ei);
ct_err ct_reader_seek_time(ct_reader *r, uint64_t ts_ns, ct_errinfo *ei);

/* Back to the first record. */
ct_err ct_reader_rewind(ct_reader *r, ct_errinfo *ei);

/* Call `fn` for every complete chunk, in file order, from the footer index or, when it is
 * missing, by scanning chunk headers. Stops early when fn returns non-zero. Fills the
 * reader's status (see ct_reader_status) as a side effect. */
typedef int (*ct_chunk_fn)(void *ctx, const ct_chunk_info *chunk);
ct_err ct_reader_chunks(ct_reader *r, ct_chunk_fn fn, void *ctx, ct_errinfo *ei);

/* What is known so far. Truncation facts are complete after a full iteration or after
 * ct_reader_chunks; the counts come from ct_reader_chunks. */
void ct_reader_status(const ct_reader *r, ct_file_status *st);

/* Human-readable one-liners for tools, e.g. "rebuilt by scanning (footer missing)". */
const char *ct_index_source_name(ct_index_source s);

#ifdef __cplusplus
}
#endif

#endif /* CT_TRACEFILE_H */
