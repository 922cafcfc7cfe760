/* host.h - the host stack model: the tcpip stand-in at the top of the chimney stack.
 *
 * The host registers as an NDIS protocol driver with the NDIS model (replay/ndis), binds to
 * the adapter below it (the IM driver's upper adapter, or a NIC directly) and runs a named,
 * seeded workload of state-manipulation operations: it owns the neighbor, path and TCP
 * objects with their NDIS_OFFLOAD_HANDLEs, builds every block-list tree with its trailing
 * state in one host-owned buffer, calls NdisInitiateOffload / NdisTerminateOffload /
 * NdisUpdateOffload / NdisQueryOffloadState / NdisInvalidateOffload, and checks each
 * completion that comes back (reference §2.3-2.7, §3.1-3.8).
 *
 * Everything the host does later is a callback on a scheduler lane (replay/sched); host
 * lane i is scheduler lane i, for i < threads. Each object belongs to one lane and every
 * operation on it is issued from that lane, so the per-object guarantees of §3.8 hold
 * without cross-lane races; completions may arrive re-entrantly or on any lane.
 *
 * All values (addresses, ports, ISNs, windows, which objects an operation picks) derive
 * from the seed, so a run in SCHED_VIRTUAL is reproducible bit for bit.
 *
 * What a request looks like (the contract the IM, the shim and the NIC read):
 *   - one allocation per request; blocks in pre-order (a block, its dependents, then its
 *     next sibling), each 8-byte aligned, each followed by its trailing state structs at
 *     the offsets shim_state_next_offset gives (driver-shim/shim/record.h), in CONST,
 *     CACHED, DELEGATED order, as Header.Type says: the full triple for a new offload, the
 *     CACHED struct for update, the struct(s) asked for by a query, DELEGATED for
 *     terminate, nothing for invalidate, linkers and placeholders;
 *   - Header.Type = the OFFLOAD_STATE_TYPE of the object's layer and family (also on
 *     linkers, placeholders and invalidate blocks, which carry no state), Revision
 *     NDIS_OFFLOAD_BLOCK_LIST_REVISION_1, Size sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST);
 *   - Status = HOST_STATUS_SENTINEL; OffloadHandle = &object's NDIS_OFFLOAD_HANDLE, NULL
 *     for a placeholder; ProtocolReserved[0] = the request, [1] = 0x48530000 | block
 *     index; every other field 0 / NULL (NetBufferListChain too: the host sends no data);
 *   - query and terminate state bodies are pre-filled with 0xCC (NBL pointers NULL) so a
 *     struct the target never wrote is seen; PATH_OFFLOAD_STATE_CONST points at addresses
 *     held in the path object, valid as long as the host lives;
 *   - TCP_OFFLOAD_STATE_CONST.LocalPort/RemotePort are in network byte order (big-endian),
 *     as tcpip keeps them (reference §2.7 leaves the order unconfirmed; this model fixes it).
 */
#ifndef CT_HOST_H
#define CT_HOST_H

#include <stdint.h>

#include <chimney/ndis_chimney.h>

#include "ct_err.h"
#include "ndm.h"
#include "scheduler.h"

typedef struct host host;

/* ---- configuration ------------------------------------------------------------------ */

typedef struct host_config {
    const char *workload;     /* one of host_workload_names() */
    uint64_t seed;            /* every generated value derives from it */
    uint32_t connections;     /* TCP objects, spread over the lanes (workloads that use it) */
    uint32_t threads;         /* host lanes 0..threads-1 (<= sched_lanes) */
    uint32_t rounds;          /* offload/upload cycles of `churn` */
    uint64_t think_ns;        /* delay between a step's last completion and the next step */
    /* What `exhaust` assumes the offload target holds at most (it offloads more than this).
     * Defaults follow replay/nic's nic_config_init defaults. */
    uint32_t cap_neighbors;
    uint32_t cap_paths;
    uint32_t cap_tcp;
    uint16_t vlan_id;         /* NEIGHBOR_OFFLOAD_STATE_CONST.VlanId of every neighbor */
} host_config;

/* Defaults: workload "basic", seed 1, connections 8, threads 1, rounds 3, think_ns 1000,
 * capacities 1024 neighbors / 1024 paths / 4096 TCP (nic_config_init's), vlan 0. */
void host_config_init(host_config *cfg);

/* ---- lifecycle ---------------------------------------------------------------------- */

/* Validate `cfg` (CT_ERR_ARG: unknown workload - see host_workload_check for the message -,
 * threads 0 or > sched_lanes(s), connections 0), register the protocol driver "tcpip" with
 * `m` and its chimney completion handlers (NdisSetOptionalHandlers). `m` and `s` are
 * borrowed and must outlive the host; cfg->workload is copied. On failure *out is NULL.
 * Caller frees with host_free, after sched_run returned. */
ct_err host_new(ndm *m, sched *s, const host_config *cfg, host **out);
void host_free(host *h);

/* Open `lower` (ndm_open_adapter): every request goes down this binding. Once only. */
ct_err host_bind(host *h, ndm_adapter *lower);

/* Create the workload's objects and post its first step on lanes 0..threads-1. The
 * workload ends when every lane's last step has completed (it then posts nothing more),
 * with every object terminated. Needs host_bind first; once only. */
ct_err host_start(host *h);

/* ---- operations and statistics ------------------------------------------------------ */

/* Numerically the same as the shim's enum shim_op and chimtrace.v1.Operation. */
typedef enum host_op {
    HOST_OP_INITIATE = 1,
    HOST_OP_TERMINATE = 2,
    HOST_OP_UPDATE = 3,
    HOST_OP_QUERY = 4,
    HOST_OP_INVALIDATE = 5
} host_op;
#define HOST_OP_SLOTS 6 /* arrays indexed by host_op; slot 0 unused */

/* Classes of per-block completion Status. */
typedef enum host_status_class {
    HOST_ST_SUCCESS = 0,
    HOST_ST_PARTIAL_SUCCESS,    /* NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS */
    HOST_ST_FAILURE,            /* NDIS_STATUS_FAILURE */
    HOST_ST_RESOURCES,          /* NDIS_STATUS_RESOURCES */
    HOST_ST_TCP_ENTRIES,        /* NDIS_STATUS_OFFLOAD_TCP_ENTRIES */
    HOST_ST_PATH_ENTRIES,       /* NDIS_STATUS_OFFLOAD_PATH_ENTRIES */
    HOST_ST_NEIGHBOR_ENTRIES,   /* NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES */
    HOST_ST_OTHER_OFFLOAD,      /* any other 0xC0231xxx chimney code */
    HOST_ST_NOT_SUPPORTED,      /* NDIS_STATUS_NOT_SUPPORTED (no handler below) */
    HOST_ST_UNWRITTEN,          /* still the host's sentinel */
    HOST_ST_OTHER,
    HOST_ST_COUNT
} host_status_class;

host_status_class host_status_classify(NDIS_STATUS st);
const char *host_status_class_name(host_status_class c); /* static, never NULL */

/* The sentinel the host writes into every block's Status before the down-call. */
#define HOST_STATUS_SENTINEL ((NDIS_STATUS)0xDEADBEEFL)

/* What the host found wrong in what came back. Each counts blocks or completions. */
typedef struct host_violations {
    uint64_t unknown_completion;    /* root is no request of this host */
    uint64_t duplicate_completion;  /* root of a request that has already completed */
    uint64_t wrong_kind;            /* e.g. a query completion for a terminate request */
    uint64_t status_unwritten;      /* a block's Status still HOST_STATUS_SENTINEL */
    uint64_t status_illegal;        /* not allowed for the op/role (§3.2, §4.3 check 5) */
    uint64_t status_inconsistent;   /* parent/dependent statuses disagree (§3.2) */
    uint64_t handle_not_restored;   /* OffloadHandle is not the host's pointer (§4.3.7) */
    uint64_t context_not_written;   /* offloaded, but MiniportOffloadContext still NULL */
    uint64_t context_bad_write;     /* context written on failure, or changed later */
    uint64_t header_changed;        /* Header.Type/Revision/Size */
    uint64_t links_changed;         /* NextBlock / DependentBlockList */
    uint64_t reserved_changed;      /* ProtocolReserved or ImReserved */
    uint64_t source_handle_changed; /* root: not our binding; others: not what we wrote */
    uint64_t nbl_chain_unexpected;  /* NetBufferListChain not NULL (the host sends none) */
    uint64_t state_header_changed;  /* a trailing OFFLOAD_STATE_HEADER.Length changed */
} host_violations;

typedef struct host_stats {
    uint64_t issued[HOST_OP_SLOTS];       /* requests, by host_op */
    uint64_t completed[HOST_OP_SLOTS];
    uint64_t blocks_issued[HOST_OP_SLOTS];
    uint64_t block_status[HOST_OP_SLOTS][HOST_ST_COUNT]; /* per-block Status on completion */
    uint64_t outstanding;                 /* requests issued, not yet completed */
    uint64_t offloaded_now[3];            /* neighbor, path, TCP objects not uploaded */
    uint64_t offloaded_total;             /* sum of offloaded_now */
    uint64_t objects;                     /* objects the workload created */
    uint64_t refused;                     /* requests the host refused to issue itself:
                                           * the workload asked for a §3.8 violation */
    uint64_t state_unfilled;              /* query/terminate SUCCESS left a state untouched */
    uint64_t events_indicated;            /* IndicateOffloadEvent calls received */
    uint64_t post_failures;               /* sched_post refused a step */
    uint32_t lanes_done;                  /* lanes whose workload has finished */
    host_violations v;
    uint64_t violations;                  /* sum of every counter in v */
} host_stats;

/* A consistent snapshot (taken under the host lock). Thread-safe. */
void host_get_stats(const host *h, host_stats *st);

/* Stable id of the object whose NDIS_OFFLOAD_HANDLE is `handle` (ids count from 0 in
 * creation order, which the seed fixes), or UINT32_MAX when it is none of this host's. */
uint32_t host_handle_id(const host *h, const NDIS_OFFLOAD_HANDLE *handle);

/* ---- observer ------------------------------------------------------------------------ */

typedef enum host_event_kind { HOST_EV_ISSUE = 1, HOST_EV_COMPLETE = 2 } host_event_kind;

typedef struct host_event {
    host_event_kind kind;
    host_op op;          /* ISSUE: the op issued; COMPLETE: the op the request was issued as */
    host_op via;         /* COMPLETE: the completion handler NDIS called (== op unless wrong) */
    uint32_t lane;       /* the lane the object set belongs to */
    uint64_t seq;        /* the request's number, in issue order from 0 */
    uint32_t nblocks;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root; /* borrowed: valid only during the call */
} host_event;

/* Called at ISSUE just before the Ndis down-call (the tree as the host built it) and at
 * COMPLETE when a completion for one of the host's requests arrives, before the host
 * checks and frees it. Calls are serialized by a lock of their own (never the host lock)
 * and may come from any lane; the callback must not call back into the host or NDIS. */
typedef void (*host_observer_fn)(void *ctx, const host_event *ev);
void host_set_observer(host *h, host_observer_fn fn, void *ctx);

/* ---- workloads ----------------------------------------------------------------------- */

/* NULL-terminated list of workload names; static. */
const char *const *host_workload_names(void);

/* CT_OK if `name` is a workload; CT_ERR_ARG with a message listing the known ones. */
ct_err host_workload_check(const char *name, ct_errinfo *ei);

#endif /* CT_HOST_H */
