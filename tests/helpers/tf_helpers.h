/* tf_helpers.h - shared fixtures for the trace-file tests, the fuzz corpus and benches.
 *
 * Writes synthetic traces (recorder/synth) with the real writer, reads them back with the
 * real reader, and keeps records as their packed bytes so that two record lists compare
 * with memcmp. Nothing here uses Criterion: callers assert on the results.
 */
#ifndef TF_HELPERS_H
#define TF_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "synth.h"
#include "tracefile.h"

/* A list of records, each kept as its packed chimtrace.v1.Record bytes. */
typedef struct tf_recs {
    uint8_t *buf;
    size_t len, cap;
    size_t *off;            /* record i is buf[off[i] .. off[i + 1]) */
    size_t n, ncap;
} tf_recs;

void tf_recs_init(tf_recs *r);
void tf_recs_free(tf_recs *r);          /* leaves *r empty and reusable */
void tf_recs_clear(tf_recs *r);
int tf_recs_add(tf_recs *r, const Chimtrace__V1__Record *rec);   /* 0 ok, -1 no memory */
const uint8_t *tf_recs_get(const tf_recs *r, size_t i, size_t *len);
/* 1 when records a[ai .. ai+n) equal b[bi .. bi+n) byte for byte. */
int tf_recs_equal(const tf_recs *a, size_t ai, const tf_recs *b, size_t bi, size_t n);
/* Index of the first record at which a and b differ, or -1 when they are identical. */
long tf_recs_first_diff(const tf_recs *a, const tf_recs *b);

/* Write `path`: the synth header, then `n` records from ct_synth_next (seed `seed`), then
 * close. chunk_bytes 0 means the default; the writer never syncs. When `recs` is non-NULL
 * it receives what a reader must return: the header record, then the n records. `st`
 * (may be NULL) receives the writer's final stats. */
ct_err tf_write_synth(const char *path, uint64_t seed, size_t n, uint32_t chunk_bytes,
                      tf_recs *recs, ct_writer_stats *st, ct_errinfo *ei);

#define TF_MAX_ERRORS 64

/* Everything one pass of ct_reader_next over a file produced. */
typedef struct tf_read_result {
    ct_err open_err;                /* CT_OK when the file opened */
    ct_errinfo open_ei;
    size_t records;                 /* records returned */
    size_t n_errors;                /* non-OK returns of ct_reader_next */
    size_t n_truncated;             /* of which CT_ERR_TRUNCATED */
    size_t n_kept;                  /* errors kept below (the first TF_MAX_ERRORS) */
    ct_errinfo err[TF_MAX_ERRORS];
    int ended;                      /* saw CT_OK with a NULL record */
    int hit_bound;                  /* stopped because of max_calls: a hang */
    ct_file_status status;          /* ct_reader_status after the pass */
} tf_read_result;

/* Open `path` and call ct_reader_next until the end (CT_OK with NULL), a final error
 * (anything but CORRUPT, LIMIT, TRUNCATED), or `max_calls` calls. Records go to `out`
 * (may be NULL). Returns res->open_err. */
ct_err tf_read_all(const char *path, tf_recs *out, tf_read_result *res, size_t max_calls);

/* The chunk list ct_reader_chunks reports. Caller frees v with free(). */
typedef struct tf_chunk_list {
    ct_chunk_info *v;
    size_t n, cap;
} tf_chunk_list;

ct_err tf_list_chunks(const char *path, tf_chunk_list *out, ct_file_status *st, ct_errinfo *ei);

/* Whole-file I/O. tf_slurp: caller frees *buf with free(). 0 ok, -1 error (errno set). */
int tf_slurp(const char *path, uint8_t **buf, size_t *len);
int tf_spit(const char *path, const uint8_t *buf, size_t len);

/* A fresh private directory under $TMPDIR (or /tmp); tf_rmtree removes it and the plain
 * files in it. `dir` must hold at least 64 bytes. 0 ok, -1 error. */
int tf_mkscratch(char *dir, size_t size);
void tf_rmtree(const char *dir);

/* Criterion fixture pieces shared by the suites: tf_scratch_setup makes a fresh private
 * directory (tf_dir) and fails the test if it cannot; tf_scratch_teardown removes it;
 * tf_scratch_path names a file inside it. */
extern char tf_dir[128];
void tf_scratch_setup(void);
void tf_scratch_teardown(void);
void tf_scratch_path(char *out, size_t size, const char *name);

/* The first field of `m` (recursively) that is not set: an optional without its has_
 * flag or pointer, an empty repeated field, string or bytes, a zero enum, a oneof with no
 * member. Returns NULL when every field is set, else "Message.field" in buf. */
const char *tf_first_unset_field(const ProtobufCMessage *m, char *buf, size_t size);

/* Pack a record into a malloc'd buffer (caller frees); NULL when out of memory. */
uint8_t *tf_pack(const Chimtrace__V1__Record *rec, size_t *len);

#endif /* TF_HELPERS_H */
