/* export.h - `chimtrace export`: a trace as Trace Event Format JSON (the "Chrome JSON"
 * format that chrome://tracing and the Perfetto UI load).
 *
 * The output is the object form {"displayTimeUnit":"ns","traceEvents":[...],"metadata":{...}}.
 * Every state-operation instance (one op_id: request-in, request-out, completion-in,
 * completion-out) becomes "X" complete events on per-edge tracks: one for its whole life
 * (end to end, named after the operation), and one for each stage on that stage's own
 * track: "IM in->down" (edge 1 -> 2), "NIC down->completion-in" (2 -> 3) and "IM return
 * completion-in->up" (3 -> 4). Tracks: one process per shim ring (lane) of the instance's
 * first event; in it, each "slot" is four threads ("operations N", "operations N: IM
 * in->down", ": NIC ...", ": IM return ..."). A slot holds one instance at a time, so
 * concurrent instances sit on different slots and the events of one (pid, tid) never
 * overlap. Slots are handed out lowest first, at most `max_slots` per lane; an instance
 * that finds every slot busy is written as an async "b"/"e" pair instead (id = op_id).
 * Losses, truncation, damaged chunks and the run summary are global instant events
 * ("i", scope "g") on process 0; the trace header goes to "metadata" and to process 0's
 * name. Timestamps are the trace's ts_ns (ns since the trace's clock origin) written as
 * microseconds with three decimals, so nothing is rounded; output depends on the input
 * only (no wall clock, no pointers).
 *
 * Streaming: records are written as they are read; memory is the pending instances (at
 * most `max_pending`; beyond, the oldest is written as incomplete) and the slot tables.
 */
#ifndef CT_EXPORT_H
#define CT_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "ct_err.h"
#include "tracefile.h"

typedef struct export_chrome export_chrome;

typedef struct export_opts {
    uint32_t max_pending;   /* instances in flight kept; 0 = 65536 */
    uint32_t max_slots;     /* slots (of 4 tracks) per lane; 0 = 256 */
} export_opts;

/* What an export saw and wrote. */
typedef struct export_result {
    uint64_t records;            /* records read */
    uint64_t events;             /* state-operation events */
    uint64_t other_events;       /* events of other operations (instant events) */
    uint64_t instances;          /* operation instances written */
    uint64_t incomplete;         /* ... of which some edge was missing */
    uint64_t async_instances;    /* ... written as b/e pairs: every slot was busy */
    uint64_t evicted;            /* ... written early because max_pending was reached */
    uint64_t odd_events;         /* duplicate edges, operation changed within an op_id */
    uint64_t loss_records, lost_events;
    uint64_t lanes, tracks;      /* processes, and threads used (4 per slot) */
    uint64_t json_events;        /* entries written to traceEvents */
    int truncated;               /* the input ended early (an instant event says where) */
    uint64_t truncated_at, complete_end;
    char truncation_msg[CT_ERRINFO_MSG];
    uint64_t damaged_chunks;     /* corrupt chunks skipped (each an instant event) */
    char damage_msg[CT_ERRINFO_MSG];     /* the first one's reason */
} export_result;

void export_opts_init(export_opts *o);

/* ---- streaming ------------------------------------------------------------------------ */

/* Start a JSON document on `out` (borrowed; the caller closes it) for a trace with header
 * `hdr` (borrowed for this call only; may be NULL). Caller frees with export_chrome_free. */
ct_err export_chrome_new(FILE *out, const Chimtrace__V1__TraceHeader *hdr,
                         const export_opts *o, export_chrome **x);

/* Feed the next record in file order (borrowed for the call). CT_ERR_IO when the stream
 * failed, CT_ERR_NOMEM. */
ct_err export_chrome_add(export_chrome *x, const Chimtrace__V1__Record *rec);

/* The input ended early: file size `at`, last complete chunk ends at `complete_end`;
 * `msg` is the reader's message (may be NULL). */
ct_err export_chrome_truncated(export_chrome *x, uint64_t at, uint64_t complete_end,
                               const char *msg);

/* A damaged chunk at byte `offset` was skipped because of `msg`. */
ct_err export_chrome_damaged(export_chrome *x, uint64_t offset, const char *msg);

/* Write the instances still pending (incomplete), the closing metadata and the end of the
 * document, then flush `out`. `res` (may be NULL) receives the counts. */
ct_err export_chrome_finish(export_chrome *x, export_result *res);

/* NULL is a no-op. */
void export_chrome_free(export_chrome *x);

/* ---- whole files ----------------------------------------------------------------------- */

/* Export the trace `in_path` to `out_path` ("-" = standard output). The JSON goes to
 * "<out_path>.tmp", renamed to out_path only when complete, so a failure leaves no partial
 * file (an existing out_path is replaced). A truncated input or a damaged chunk is not an
 * error here: it is exported as far as it goes and said so in `res` and in the JSON.
 * Errors: the reader's codes for an unreadable IN (the message names it), CT_ERR_IO for
 * OUT, CT_ERR_NOMEM. `res` must not be NULL. */
ct_err export_chrome_file(const char *in_path, const char *out_path, const export_opts *o,
                          export_result *res, ct_errinfo *ei);

#endif
