/* verify_fixture.h - traces for the verify suites: recorded, loaded, mutated, written back.
 *
 * A recorded trace is loaded with the real reader into owned protobuf records, with every
 * seq multiplied by VF_SEQ_STEP so that events can be inserted between existing ones; a
 * test mutates the records (a field, a block, a whole operation instance) and writes them
 * with the real writer, then runs the checker on the file and asserts on what it found.
 * Functions assert (Criterion) instead of returning errors.
 */
#ifndef VERIFY_FIXTURE_H
#define VERIFY_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "verify.h"

#define VF_SEQ_STEP 10u

/* chimtrace.v1.Operation values, for readable tests. */
enum { INITIATE = 1, TERMINATE = 2, UPDATE = 3, QUERY = 4, INVALIDATE = 5 };

#define VF_NOBODY 999999u     /* a stable id no pointer gets in the small recorded traces */
#define VF_PARTIAL 0x40020004u
#define VF_FAILURE 0xC0000001u
#define VF_DUP(m) ((void *)vf_dup_message(&(m)->base))

typedef struct vf_trace {
    Chimtrace__V1__TraceHeader *hdr;    /* owned */
    Chimtrace__V1__Record **rec;        /* owned; the chunk-0 header record left out */
    size_t n, cap;
    uint64_t next_op_id;                /* larger than every op_id in the trace */
} vf_trace;

/* Record `workload` into tf_dir/NAME.ctrace (seed 7, 16 connections). threads > 1 makes a
 * real-time run; im_faults is ct_record_opts.im_faults. `path` gets the file's name. */
void vf_record(const char *workload, int deterministic, uint32_t threads, uint32_t im_faults,
               const char *name, char *path, size_t size);

void vf_load(const char *path, vf_trace *t);
void vf_save(const vf_trace *t, const char *path);
void vf_free(vf_trace *t);

/* The event at `edge` of the k-th (0-based) instance of operation `op`; fails the test when
 * there is none. vf_index: its position in t->rec. */
Chimtrace__V1__Event *vf_event(vf_trace *t, int op, int k, int edge);
size_t vf_index(const vf_trace *t, const Chimtrace__V1__Event *ev);

/* Deep copies (caller owns; they go into a trace or are freed with
 * protobuf_c_message_free_unpacked). */
Chimtrace__V1__Record *vf_dup_record(const Chimtrace__V1__Record *rec);
Chimtrace__V1__Block *vf_dup_block(const Chimtrace__V1__Block *b);
ProtobufCMessage *vf_dup_message(const ProtobufCMessage *m);

/* Insert `rec` (taken over) at position i; remove (and free) record i. */
void vf_insert(vf_trace *t, size_t i, Chimtrace__V1__Record *rec);
void vf_remove(vf_trace *t, size_t i);

/* Copy the four events of the k-th instance of `op` under a new op_id, with seqs
 * seq_base + 1 .. + 4, and insert them, in edge order, at position `at`. Returns the new
 * op_id. */
uint64_t vf_copy_instance(vf_trace *t, int op, int k, size_t at, uint64_t seq_base);

/* Remove block i of `ev` (its dependents must have been moved or removed first); later
 * indices and parents shift down. Insert `b` (taken over) at position i; later indices and
 * parents shift up. */
void vf_remove_block(Chimtrace__V1__Event *ev, size_t i);
void vf_insert_block(Chimtrace__V1__Event *ev, size_t i, Chimtrace__V1__Block *b);

/* Drop every trailing state struct of a block. */
void vf_clear_state(Chimtrace__V1__Block *b);

/* What the checker said about a file. */
typedef struct vf_found {
    char rule[48];
    verify_level level;
    int has_seq;
    uint64_t seq;
    int32_t block;
    char object[VERIFY_OBJECT_MAX];
    char message[VERIFY_MESSAGE_MAX];
} vf_found;

typedef struct vf_result {
    vf_found *f;
    size_t n, cap;
    verify_summary sum;
    uint64_t by_rule[64][VERIFY_LEVELS];
} vf_result;

void vf_verify(const char *path, vf_result *r);
void vf_result_free(vf_result *r);
uint64_t vf_count(const vf_result *r, const char *rule, verify_level lvl);

/* Every violation is `rule` at one of seqs[0..n-1], and every seq has one. Prints all
 * findings when it fails. */
void vf_expect_only(const vf_result *r, const char *rule, const uint64_t *seqs, size_t n);

/* The findings, one per line, on stderr (for failing tests). */
void vf_dump(const vf_result *r);

/* ---- one broken trace per rule ------------------------------------------------------------ */

/* The seqs at which a mutation expects its rule to fire. */
typedef struct vf_expect {
    uint64_t seq[8];
    size_t n;
} vf_expect;

void vf_at(vf_expect *x, uint64_t seq);

typedef void (*vf_mutate_fn)(vf_trace *t, vf_expect *x);

/* Record `workload` (deterministic), apply `m`, verify, and demand that exactly `rule`
 * fires, as violations at the expected seqs, with no note but life.leak. */
void vf_breaks(const char *rule, const char *workload, vf_mutate_fn m);

/* Block i of ev (the test fails when there is none). */
Chimtrace__V1__Block *vf_blk(Chimtrace__V1__Event *ev, size_t i);
/* 1 neighbor, 2 path, 3 TCP, 0 other, by OFFLOAD_STATE_TYPE. */
int vf_layer(uint32_t type);
/* basic's query at `edge`, checked to be one tree neighbor -> path -> TCP. */
Chimtrace__V1__Event *vf_basic_query(vf_trace *t, int edge);
/* The event of instance op_id at edge. */
Chimtrace__V1__Event *vf_event_of(vf_trace *t, uint64_t op_id, int edge);
/* The first request-in (of `op`, 0: any) with a block matching pred; *bi gets its index. */
Chimtrace__V1__Event *vf_find_req(vf_trace *t, int op, int (*pred)(const Chimtrace__V1__Block *),
                                  size_t *bi);
int vf_is_placeholder(const Chimtrace__V1__Block *b);
int vf_is_linker(const Chimtrace__V1__Block *b);
/* Replace to's trailing state by copies of from's. */
void vf_copy_state(Chimtrace__V1__Block *to, const Chimtrace__V1__Block *from);
/* A request-in block of the first initiate with state and this Header.Type. */
const Chimtrace__V1__Block *vf_full_block(vf_trace *t, uint32_t type);

#endif /* VERIFY_FIXTURE_H */
