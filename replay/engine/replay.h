/* replay.h - `chimtrace replay`: re-drive the current chimney IM driver from a trace.
 *
 * The stack is the one `chimtrace record` builds - NDIS model, the real IM driver with the
 * trace shim on, a virtual-time scheduler - with two stand-ins driven by the input trace
 * (IN) instead of a workload:
 *   - the trace host issues every recorded operation instance at the virtual time of its
 *     request-in event (edge 1), on the lane of the ring that recorded it, with the block
 *     tree and trailing state rebuilt from that event;
 *   - the scripted NIC (default) answers each forwarded request with what the NIC answered
 *     in IN (edge 3: per-block statuses, offload contexts, filled state) after the recorded
 *     latency; `model` mode puts the simulated NIC (replay/nic) there instead (what-if),
 *     with its own latency model (opts.nic_latency). As its completions no longer come at
 *     IN's times, the trace host then also keeps IN's happens-before: an instance waits
 *     until every request IN had completed before issuing it has completed, so a slower
 *     NIC delays dependent operations instead of letting them overtake (reference §3.8).
 * The shim records the output trace (OUT) through the recorder's drain and encoder. Each OUT
 * event is compared, as it is drained, with the IN event of the same operation instance and
 * edge (diff_events); the first divergence is reported with the object it concerns.
 *
 * Deterministic: the same IN and options give a byte-identical OUT, whatever the build or
 * the thread count IN was recorded with. For an unchanged driver, scripted replay of a
 * deterministic recording reproduces IN's events byte for byte (seq, ts, ids included).
 */
#ifndef CT_REPLAY_H
#define CT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "ct_err.h"
#include "tracefile.h"

typedef enum replay_nic_mode {
    REPLAY_NIC_SCRIPTED = 0,    /* answer as IN's NIC did */
    REPLAY_NIC_MODEL = 1        /* the simulated NIC (replay/nic) */
} replay_nic_mode;

/* What kind of disagreement between OUT and IN. */
typedef enum replay_div_kind {
    REPLAY_DIV_FIELDS = 1,      /* same instance and edge, fields differ (diff_events) */
    REPLAY_DIV_MISSING = 2,     /* IN has the edge, OUT never produced it */
    REPLAY_DIV_EXTRA = 3,       /* OUT produced an event IN does not have */
    REPLAY_DIV_STATE = 4        /* at the end, the driver holds state the host does not:
                                   offload entries for objects the host has not offloaded */
} replay_div_kind;

#define REPLAY_TEXT_MAX 1024

/* One divergence. Strings are NUL-terminated (cut to fit). */
typedef struct replay_divergence {
    replay_div_kind kind;
    uint64_t out_seq;           /* the OUT event's seq (0 for MISSING) */
    uint64_t in_seq;            /* the IN event's seq (0 for EXTRA without a match) */
    uint64_t in_op_id;          /* the instance in IN (0: none) */
    uint64_t out_op_id;         /* the instance in OUT (0: never seen) */
    uint32_t op, edge;          /* chimtrace.v1 Operation and Edge */
    char object[160];           /* obj_format of the block concerned ("-": unknown) */
    size_t nfields;             /* differing fields (FIELDS) */
    char fields[REPLAY_TEXT_MAX]; /* "block[0].status: expected 0x0, got 0xc0000001; ..." */
} replay_divergence;

typedef void (*replay_divergence_fn)(void *ctx, const replay_divergence *d);

typedef struct replay_opts {
    const char *in_path;
    const char *out_path;
    replay_nic_mode nic;
    int has_seed;               /* model mode: the NIC's seed (default: IN's header seed) */
    uint64_t seed;
    const char *nic_latency;    /* model mode: a nic_latency_parse spec (default: IN's) */
    int stop_at_divergence;     /* at the first divergence, issue and record nothing more
                                   (requests in flight finish unrecorded, so the driver
                                   frees what it holds); OUT stays a valid trace */
    uint32_t im_faults;         /* im_fault mask: replay against a driver with these bugs */
    ct_writer_opts writer;
    replay_divergence_fn on_divergence; /* every divergence as found (may be NULL) */
    void *ctx;
} replay_opts;

typedef struct replay_result {
    /* the input */
    uint64_t in_events;          /* state-operation events read */
    uint64_t in_lost_events;     /* lost according to IN's loss records */
    uint64_t in_other_records;   /* events of other operations, records not understood */
    uint64_t in_read_errors;     /* damaged chunks skipped, truncation (reader warnings) */
    uint64_t instances;          /* operation instances in IN */
    uint64_t skipped_missing;    /* ... skipped: a recorded edge is missing (loss) */
    uint64_t skipped_truncated;  /* ... skipped: a recorded tree was cut */
    uint64_t skipped_malformed;  /* ... skipped: duplicate edges, mixed operations */
    uint64_t replayed;           /* instances issued */
    /* the output */
    uint64_t out_events;
    uint64_t compared;           /* OUT events matched with an IN event */
    uint64_t identical;          /* ... whose packed bytes equal IN's (seq, ts, ids too) */
    uint64_t divergences;        /* all kinds */
    uint64_t diverged_events;    /* REPLAY_DIV_FIELDS */
    uint64_t missing_events;     /* REPLAY_DIV_MISSING */
    uint64_t extra_events;       /* REPLAY_DIV_EXTRA */
    int stopped;                 /* --stop-at-divergence ended the run early */
    uint64_t not_reached;        /* IN edges not produced because the run was stopped */
    /* what the trace host and scripted NIC saw */
    uint64_t host_completions, host_unknown, host_duplicate, host_wrong_kind;
    uint64_t host_outstanding;   /* requests never completed */
    uint64_t host_waiting;       /* model mode: instances never issued, held back by a
                                    request IN completed before them that never completed */
    uint64_t host_context_reset; /* handles whose context disagreed with IN at issue */
    uint64_t nic_requests;       /* requests the scripted NIC received */
    uint64_t nic_unscripted;     /* ... that no recorded instance explains (failed) */
    uint64_t nic_tree_mismatch;  /* ... whose tree did not line up with the script */
    uint64_t nic_stale;          /* scripted answers dropped: the host was already done */
    int has_first;
    replay_divergence first;
    uint64_t duration_ns;        /* OUT trace clock, first to last event */
    uint64_t file_bytes;
    double wall_s;
} replay_result;

void replay_opts_init(replay_opts *o);

/* Replay o->in_path into o->out_path. CT_OK when the replay ran and OUT was written,
 * divergences or not (res says); CT_ERR_ARG for bad options, the reader's codes for an
 * unreadable IN (the message names the file), CT_ERR_IO for OUT. */
ct_err replay_run(const replay_opts *o, replay_result *res, ct_errinfo *ei);

const char *replay_div_kind_name(replay_div_kind k); /* "fields", "missing", "extra" */

#endif
