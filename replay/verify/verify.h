/* verify.h - the public face of chimtrace's contract checker (library ct_verify).
 *
 * A streaming checker of the chimney state-operation contract (reference §3 and the checks
 * of §4.3 that apply to initiate / terminate / update / query / invalidate) over one trace.
 * Records go in one at a time, in file order; findings come out through a callback as soon
 * as they are known. Memory is bounded by the objects offloaded and the operations in
 * flight, never by the length of the trace.
 *
 * Every rule has a stable id ("restore.im_handle_leak"); replay/verify/RULES.md lists them
 * with what they check, the reference section and the edges they look at. A finding is a
 * violation, or a note when it is informational (a truncated tree, an offload left at the
 * end) or when missing events (Loss records, a truncated or damaged file) could explain it.
 */
#ifndef CT_VERIFY_H
#define CT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum verify_level {
    VERIFY_VIOLATION = 0,
    VERIFY_NOTE = 1
} verify_level;

#define VERIFY_LEVELS 2
#define VERIFY_OBJECT_MAX 96     /* "tcp [2001:db8::1]:49152 -> [2001:db8::2]:443" fits */
#define VERIFY_MESSAGE_MAX 256

/* One rule as RULES.md documents it. Static data. */
typedef struct verify_rule_info {
    const char *id;          /* stable: "group.name"; never renamed or reused */
    int check;               /* reference §4.3 check number; 0 for trace-level notes */
    const char *section;     /* reference section(s), e.g. "§3.1, §4.3.1" */
    const char *edges;       /* edges looked at, e.g. "1-4", "4 vs 1; 3 vs 2" */
    const char *title;       /* one line: what it checks */
} verify_rule_info;

/* The rule table; *n receives its length. Rule indices below index it. */
const verify_rule_info *verify_rules(size_t *n);

/* Index of the rule with this id, or -1. */
int verify_rule_index(const char *id);

/* One finding. Borrowed by the callback: copy what you keep. */
typedef struct verify_finding {
    int rule;                /* index into verify_rules() */
    const char *rule_id;     /* verify_rules()[rule].id */
    verify_level level;
    uint64_t seq;            /* event where it was found; 0 when none (end of trace) */
    int has_seq;
    uint64_t op_id;          /* operation instance (0: none) */
    int op;                  /* chimtrace.v1.Operation, 0 when none */
    int edge;                /* chimtrace.v1.Edge, 0 when none */
    int32_t block;           /* block index in the event, -1 when none */
    uint64_t handle;         /* upper NDIS_OFFLOAD_HANDLE id of the object, 0 when none */
    char object[VERIFY_OBJECT_MAX];   /* obj_format() identity, "handle #N", or "-" */
    char message[VERIFY_MESSAGE_MAX]; /* one line: expected vs found */
} verify_finding;

typedef void (*verify_finding_fn)(void *ctx, const verify_finding *f);

typedef struct verify_opts {
    verify_finding_fn on_finding;   /* may be NULL: only counts are kept */
    void *ctx;
} verify_opts;

/* What the trace held and what the checker found, by rule and level. */
typedef struct verify_summary {
    uint64_t records, events;
    uint64_t events_checked;        /* events of the five state operations */
    uint64_t ops_started, ops_completed;
    uint64_t ops_in_flight_end;     /* instances without a completion at the end */
    uint64_t objects_offloaded_end;
    uint64_t loss_records, lost_events;
    uint64_t truncated_trees;       /* events whose tree was cut at the capture limit */
    uint64_t damaged_chunks;
    int truncated;                  /* the file ended early */
    int has_run_summary;            /* the recorder ended cleanly */
    int abi;                        /* chimtrace.v1.Abi of the header, 0 unknown */
    uint64_t violations, notes;
    size_t n_rules;
    const uint64_t (*by_rule)[VERIFY_LEVELS];   /* [n_rules][level]; borrowed */
} verify_summary;

typedef struct verify verify;

/* opts may be NULL. Caller frees with verify_free. */
ct_err verify_new(const verify_opts *opts, verify **out);
void verify_free(verify *v);

/* Feed the next record in file order (header, events, losses, frames, summary). A Loss
 * record only softens findings made after it; the recorder may write it well after the
 * events around the lost seqs, which is why verify_run_file reads the Loss records first. */
ct_err verify_record(verify *v, const Chimtrace__V1__Record *rec);

/* The reader skipped damaged data here: events may be missing up to the next record. */
void verify_damaged(verify *v);

/* End of trace. `truncated`: the file ended early (CT_ERR_TRUNCATED from the reader).
 * Reports what only the end can tell (operations never completed, offloads left). Call
 * once; verify_record afterwards returns CT_ERR_STATE. */
ct_err verify_finish(verify *v, int truncated);

/* Counts so far. by_rule stays valid until verify_free. */
void verify_get_summary(const verify *v, verify_summary *s);

/* Read `path` with the trace-file reader and feed every record to `v`, then finish. A
 * damaged chunk is skipped, counted and noted (trace.damaged); a truncated file is noted
 * (trace.truncated) and finished as truncated. Returns CT_OK when the whole readable file
 * was checked, or the reader's fatal error (open, I/O, version) with ei filled. */
ct_err verify_run_file(verify *v, const char *path, ct_errinfo *ei);

#ifdef __cplusplus
}
#endif

#endif /* CT_VERIFY_H */
