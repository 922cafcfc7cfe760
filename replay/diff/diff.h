/* diff.h - semantic comparison of chimtrace traces (chimtrace diff) and of single events
 * (used by replay to report divergence as it happens).
 *
 * Events are aligned by object identity (replay/objects/obj.h) and by operation order within
 * an object, never by raw ids or sequence numbers; fields are compared with ids normalised
 * (an id is compared by the role it plays, e.g. "the handle the host passed down", not by
 * its number), so two runs of the same driver compare equal.
 */
#ifndef CT_DIFF_H
#define CT_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"
#include "obj.h"

typedef struct diff_opts {
    const char *const *ignore;   /* field names or paths to ignore (e.g. "ts_ns", "tcp_delegated.snd_nxt") */
    size_t n_ignore;
    int has_timing_tolerance;    /* compare latency percentiles */
    double timing_tolerance_pct; /* a percentile that regressed by more than this differs */
} diff_opts;

void diff_opts_init(diff_opts *o);

/* One differing field of an event pair: a dotted path ("block[2].tcp_delegated.snd_nxt",
 * "edge", "block_count") and both values as text. */
typedef void (*diff_field_fn)(void *ctx, const char *field, const char *expected,
                              const char *got);

/* Compare two events that should be the same observation (same operation instance and
 * edge), field by field, honouring opts->ignore. Returns the number of differing fields;
 * fn (may be NULL) hears each. Timestamps and sequence numbers are not compared here. */
size_t diff_events(const diff_opts *opts, const Chimtrace__V1__Event *expected,
                   const Chimtrace__V1__Event *got, diff_field_fn fn, void *ctx);

/* ------------------------------------------------------------------------------------ */
/* Whole-trace diff (chimtrace diff)                                                     */

/* diff_events names an id by the first place it appears within its own event ("same as
 * block[0].source_handle_id", "new id", "NULL"), so only relations inside the event count.
 *
 * diff_traces reads both files once, in order, one event from each per read step. Events
 * are grouped into operation instances (op_id); an instance is keyed by its operation and
 * the set of object identities in its tree (obj.h) and matched with the oldest unmatched
 * instance of the same key in the other trace, so the k-th query on a connection meets the
 * k-th query on it. Matched instances are compared edge by edge with diff_events' rules,
 * except that an id is named by the first place it appeared in the whole instance, counting
 * only edges both traces have: "the handle restored at completion-out is the one passed at
 * request-in" is compared, never the numbers. An event that repeats an edge of its instance
 * is matched on its own. Memory is bounded by the window: an event still unmatched after
 * `window` read steps is reported as removed (A) or added (B) and dropped, so each side
 * holds at most `window` events (about 2 * window * (event size + 1 KiB) in all), plus at
 * most 65536 open instances per side and the object tracker's caps.
 *
 * Not compared: header fields unless compare_header (and never the run-specific ones of
 * FORMAT.md §6.7); FrameRef records and Event.frame (replay has no NIC traffic); seq,
 * ts_ns, ring and op_id (ts_ns feeds the timing comparison instead). */

#define DIFF_DEFAULT_WINDOW 4096u   /* read steps an unmatched event may wait */
#define DIFF_MAX_CHANGES 16         /* field changes kept per divergence */
#define DIFF_CONTEXT 3              /* events of context kept before (and after) one */
#define DIFF_MAX_OBJECTS 4096       /* per-object results kept; the rest are summed */
#define DIFF_TEXT 112               /* size of a field path or value text */

typedef struct diff_trace_opts {
    size_t window;          /* 0: DIFF_DEFAULT_WINDOW */
    int compare_header;     /* compare the non-run-specific TraceHeader fields */
} diff_trace_opts;

void diff_trace_opts_init(diff_trace_opts *o);

typedef enum diff_kind { DIFF_CHANGED = 1, DIFF_REMOVED = 2, DIFF_ADDED = 3 } diff_kind;

/* "changed", "removed" (only in A, the expected trace), "added" (only in B). */
const char *diff_kind_name(diff_kind k);

typedef struct diff_change {
    char field[DIFF_TEXT];  /* "block[2].tcp_delegated.snd_nxt" */
    char expected[DIFF_TEXT];
    char got[DIFF_TEXT];
} diff_change;

/* One event as reports show it. */
typedef struct diff_event_ref {
    int present;
    uint64_t index;         /* 1-based position among the trace's events */
    uint64_t seq, ts_ns, op_id;
    int op, edge;
    uint32_t blocks;
    int has_root_status;
    uint32_t root_status;
    obj_identity object;    /* the operation's object: root block, else first identified */
} diff_event_ref;

typedef struct diff_divergence {
    diff_kind kind;
    diff_event_ref expected, got;       /* an absent side has present == 0 */
    uint64_t changes_total;
    size_t n_changes;
    diff_change change[DIFF_MAX_CHANGES];
    /* The events around it in each trace, in order (the divergent one included). */
    size_t n_ctx_expected, n_ctx_got;
    diff_event_ref ctx_expected[2 * DIFF_CONTEXT + 1], ctx_got[2 * DIFF_CONTEXT + 1];
} diff_divergence;

typedef struct diff_input {
    char *path;
    uint64_t records, events, loss_records, lost_events, frames, summaries;
    int truncated;                      /* ends inside a chunk or without its footer */
    char truncation[CT_ERRINFO_MSG];    /* the reader's message */
    uint64_t corrupt_chunks;            /* damaged chunks skipped */
    char problem[CT_ERRINFO_MSG];       /* the first damage, when any */
    int clean_end;                      /* a RunSummary record was read */
    char workload[64];
    int has_seed;
    uint64_t seed;
} diff_input;

typedef struct diff_counts {
    uint64_t ops_a, ops_b, ops_matched;
    uint64_t compared;      /* event pairs compared */
    uint64_t changed;       /* of which differ */
    uint64_t removed, added;/* events without a counterpart */
    uint64_t fields;        /* field changes over all changed events */
} diff_counts;

typedef struct diff_op_result {
    int op;
    diff_counts c;
} diff_op_result;

typedef struct diff_object_result {
    obj_identity object;    /* OBJ_NONE for events of no identified object */
    diff_counts c;          /* ops_*: operations naming it; compared: event pairs naming it */
    int has_first;
    diff_kind first_kind;
    uint64_t first_seq;     /* A's seq (B's for an added event) */
    int first_edge, first_op;
    diff_change first_change;   /* empty field for added/removed */
} diff_object_result;

typedef enum diff_span {
    DIFF_SPAN_IM_REQUEST = 0,   /* request-in above -> request-out below: IM cost */
    DIFF_SPAN_NIC = 1,          /* request-out below -> completion-in below: NIC */
    DIFF_SPAN_IM_RETURN = 2,    /* completion-in below -> completion-out above: return */
    DIFF_SPAN_END_TO_END = 3,   /* request-in above -> completion-out above */
    DIFF_SPANS = 4
} diff_span;

const char *diff_span_name(int span);  /* "im_request", "nic", "im_return", "end_to_end" */

extern const int diff_percentiles[3];  /* 50, 90, 99 */

typedef struct diff_timing_row {
    int op, span;
    uint64_t n_a, n_b;          /* samples */
    uint64_t a_ns[3], b_ns[3];  /* p50, p90, p99 */
    unsigned regressed;         /* bit i: percentile i of B beyond tolerance over A */
} diff_timing_row;

typedef struct diff_result {
    int equal;              /* no difference found (counts, header when compared, timing) */
    int incomplete;         /* an input was truncated, damaged or lost events */
    int damaged;            /* a corrupt chunk was skipped: the exit status is 2 */
    diff_input in[2];       /* [0] = A (expected), [1] = B (got) */
    diff_counts total;
    uint64_t events_equal;
    int has_first;
    diff_divergence first;  /* the earliest divergence, by position in its trace */
    int header_compared;
    uint64_t header_changes;
    size_t n_header_change;
    diff_change header_change[DIFF_MAX_CHANGES];
    size_t n_ops;
    diff_op_result *ops;    /* operation kinds seen, by value */
    size_t n_objects;
    diff_object_result *objects;    /* in order of first appearance */
    int objects_overflow;   /* more than DIFF_MAX_OBJECTS: the rest are in other_objects */
    diff_object_result other_objects;
    size_t window;
    char **ignore;          /* copies of the --ignore patterns */
    size_t n_ignore;
    int timing;             /* timing was compared */
    double timing_tolerance_pct;
    size_t n_timing;
    diff_timing_row *timing_rows;
    uint64_t timing_regressions;
} diff_result;

/* Diff trace `path_a` (expected) against `path_b` (got). opts and topts may be NULL for
 * defaults. On success (the traces could be read, whatever their differences) *out is owned
 * by the caller and freed with diff_result_free. A truncated input is not an error: it is
 * reported in the result. Errors: CT_ERR_IO / CT_ERR_CORRUPT / CT_ERR_VERSION when a file
 * cannot be opened or read, CT_ERR_NOMEM; ei names the file. */
ct_err diff_traces(const char *path_a, const char *path_b, const diff_opts *opts,
                   const diff_trace_opts *topts, diff_result **out, ct_errinfo *ei);

void diff_result_free(diff_result *r);  /* NULL is a no-op */

/* 0 equal, 1 differs, 2 an input was damaged (the CLI's exit status). */
int diff_exit_code(const diff_result *r);

/* Reports (replay/diff/diff_report.c). Text for people; one JSON document (DIFF_JSON.md);
 * JUnit XML with one testcase per object and per operation kind. CT_ERR_IO when the stream
 * fails. */
ct_err diff_report_text(FILE *out, const diff_result *r);
ct_err diff_report_json(FILE *out, const diff_result *r);
ct_err diff_report_junit(FILE *out, const diff_result *r);

#endif
