/* reader_internal.h - the reader's state, shared by reader.c (records, seeking) and
 * reader_scan.c (walking frames, resynchronising, enumerating chunks). Not installed. */
#ifndef CT_READER_INTERNAL_H
#define CT_READER_INTERNAL_H

#include <zstd.h>

#include "arena.h"
#include "format.h"
#include "tracefile.h"

/* What the frame walker found at r->pos. */
typedef enum walk_result {
    WALK_CHUNK = 0,    /* a valid chunk header whose data frame is fully present */
    WALK_END,          /* the footer index: the data ends cleanly here */
    WALK_TRUNCATED,    /* the file ends inside a frame, or without its footer */
    WALK_CORRUPT,      /* damage; ei says where; pos moved to the resync point */
    WALK_FATAL         /* I/O or memory error; ei says what */
} walk_result;

struct ct_reader {
    int fd;
    char *path;
    uint64_t size;
    Chimtrace__V1__TraceHeader *hdr;
    uint32_t fmt_major, fmt_minor;
    uint64_t data_start;           /* first byte after the file-header frame */

    int has_footer;                /* trailer valid and pointing at an index frame */
    uint64_t index_off, index_frame_bytes;
    int index_checked, index_ok;   /* footer index CRC verified? */
    ct_index_source index_source;

    /* iteration */
    uint64_t pos;                  /* next frame to walk */
    int done;                      /* no more records */
    int trunc_reported;
    ct_chunk_rec chunk;            /* chunk being returned */
    int in_chunk;
    uint8_t *data;                 /* its decompressed bytes */
    size_t data_cap, data_len, data_cur;
    uint32_t data_records;         /* records parsed so far in this chunk */
    uint8_t *zbuf;
    size_t zbuf_cap;
    ZSTD_DCtx *dctx;
    ct_arena *arena;
    Chimtrace__V1__Record *rec;      /* last record returned (arena-owned) */
    const uint8_t *raw;            /* its encoded bytes (inside data), raw_len of them */
    size_t raw_len;
    uint64_t rec_off;              /* its offset inside the chunk data */
    int pending;                   /* seek left rec to be returned by the next call */

    ct_file_status st;
};

/* Read exactly len bytes at off; CT_ERR_IO (or CT_ERR_TRUNCATED past EOF) otherwise. */
ct_err rd_pread(ct_reader *r, void *buf, size_t len, uint64_t off, ct_errinfo *ei);

/* Walk the frame at r->pos. On WALK_CHUNK, *c holds the chunk and r->pos is unchanged.
 * On WALK_CORRUPT, ei holds the damage and r->pos the resync point. */
walk_result rd_walk(ct_reader *r, ct_chunk_rec *c, ct_errinfo *ei);

/* Fill ei with the standard truncation message and update the status. */
ct_err rd_truncated(ct_reader *r, ct_errinfo *ei);

/* Enumerate complete chunks (footer index or scan). fn returns non-zero to stop. */
ct_err rd_enum_chunks(ct_reader *r, ct_chunk_fn fn, void *ctx, ct_errinfo *ei);

/* Check the trailer and the index frame's header; sets has_footer. */
ct_err rd_probe_footer(ct_reader *r, ct_errinfo *ei);

#endif
