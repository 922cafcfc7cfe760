/* host_target.h - a small offload target for the host's tests, registered directly in the
 * NDIS model as a miniport with one adapter.
 *
 * It answers every state operation the way §3.1-3.2 and §3.6-3.7 say (placeholders
 * SUCCESS, linkers by their dependents, new offloads within per-layer capacities, dependents
 * of a failed block FAILURE), keeps the state it was given and hands it back on query and
 * terminate, and checks what a host must get right: trailing state where
 * shim_state_next_offset puts it, contexts that are live objects, terminates that leave no
 * live dependent. Completions are synchronous (inside the W_ handler) or posted to a lane
 * with a seeded delay. It can also misbehave once, on purpose, so that the host's checks
 * are shown to fire.
 */
#ifndef CT_TESTS_HOST_TARGET_H
#define CT_TESTS_HOST_TARGET_H

#include <stdint.h>

#include <chimney/ndis_chimney.h>

#include "ct_err.h"
#include "ndm.h"
#include "scheduler.h"

typedef struct host_target host_target;

/* One deliberate fault, applied to the request numbered `misbehave_at` (from 1). */
typedef enum ht_misbehave {
    HT_OK = 0,
    HT_LEAVE_STATUS,     /* one block's Status is left as the host wrote it */
    HT_CLOBBER_HANDLE,   /* the root's NdisOffloadHandle is overwritten */
    HT_COMPLETE_TWICE,   /* the completion is called twice */
    HT_WRONG_KIND,       /* completed through another operation's NdisM...Complete */
    HT_CLOBBER_HEADER,   /* the root's Header.Size is changed */
    HT_FOREIGN_ROOT,     /* first a completion of a block the host never sent */
    HT_CLOBBER_IMRESERVED, /* the root's ImReserved[1] is written */
    HT_CLOBBER_LINKS,    /* the root gains a NextBlock */
    HT_CLOBBER_SOURCE,   /* a dependent block's SourceHandle is written */
    HT_NBL_CHAIN,        /* the root hands back a NetBufferListChain */
    HT_PARTIAL_STATUS    /* the root says OFFLOAD_PARTIAL_SUCCESS (legal for initiate only) */
} ht_misbehave;

typedef struct host_target_config {
    int sync;                /* 1: complete inside the W_ handler (re-entrant) */
    uint32_t lane;           /* deferred completions run on this lane */
    uint64_t latency_ns;     /* deferred: fixed part of the delay */
    uint64_t jitter_ns;      /* deferred: plus a seeded uniform [0, jitter_ns) */
    uint64_t seed;
    uint32_t cap[3];         /* neighbors, paths, TCP objects held at most; 0: unlimited */
    uint32_t fail_every;     /* every n-th new offload fails with fail_status (0: never) */
    NDIS_STATUS fail_status;
    ht_misbehave misbehave;
    uint32_t misbehave_at;
} host_target_config;

/* Defaults: deferred, lane 1, 2 us + up to 3 us jitter, seed 7, unlimited, no faults. */
void host_target_config_init(host_target_config *cfg);

/* Register the miniport and its adapter in `m`. Caller frees with host_target_free after
 * sched_run returned (the model keeps the driver and adapter). */
ct_err host_target_new(ndm *m, sched *s, const host_target_config *cfg, host_target **out);
void host_target_free(host_target *t);

ndm_adapter *host_target_adapter(const host_target *t);

typedef struct host_target_stats {
    uint64_t requests[6];    /* by host_op numbering: 1 initiate .. 5 invalidate */
    uint64_t offloaded[3];   /* new offloads accepted, per layer */
    uint32_t live[3];        /* objects held now, per layer */
    uint64_t entries_refused;
    uint64_t bad_layout;     /* a trailing state struct whose Length is wrong */
    uint64_t bad_context;    /* a block referencing no live object */
    uint64_t bad_tree;       /* layer order, unknown Type */
    uint64_t live_dependents;/* terminate left a live dependent behind */
    uint64_t relinked;
} host_target_stats;

void host_target_get_stats(const host_target *t, host_target_stats *st);

#endif
