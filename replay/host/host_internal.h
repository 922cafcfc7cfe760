/* host_internal.h - what the host's .c files share: objects, requests, trees, lanes.
 *
 * Locking: `host.lock` guards object states, the request lists, the lanes' outstanding
 * counts and the statistics. It is never held while calling into NDIS (completions may
 * arrive re-entrantly inside the down-call) nor while calling the observer. Workload steps
 * read object states without it: a lane's step runs only when none of that lane's requests
 * is in flight, and no other lane touches that lane's objects.
 */
#ifndef CT_HOST_INTERNAL_H
#define CT_HOST_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ct_rng.h"
#include "host.h"

/* ---- random numbers: splitmix64 seeds xoshiro256** (never rand(), never the clock) ---- */

typedef ct_rng host_rng;

void host_rng_seed(host_rng *r, uint64_t seed, uint64_t stream);
uint64_t host_rng_next(host_rng *r);
uint32_t host_rng_below(host_rng *r, uint32_t n); /* uniform in [0, n), n > 0 */

/* ---- objects -------------------------------------------------------------------------- */

typedef enum host_kind { HOST_KIND_NEIGHBOR = 0, HOST_KIND_PATH = 1, HOST_KIND_TCP = 2 } host_kind;

/* The host's view of one object (§3.8): every transition happens under host.lock. */
typedef enum host_ostate {
    HOST_OBJ_UPLOADED = 0,   /* in the host only; handle zeroed */
    HOST_OBJ_OFFLOADING,     /* an initiate naming it as a new offload is in flight */
    HOST_OBJ_OFFLOADED,
    HOST_OBJ_INVALIDATED,    /* invalidate issued: no more updates, terminate next */
    HOST_OBJ_TERMINATING     /* terminate in flight */
} host_ostate;

typedef struct host_obj {
    NDIS_OFFLOAD_HANDLE handle;  /* host-owned; &handle is the blocks' OffloadHandle */
    uint32_t id;                 /* index in host.objs */
    uint32_t lane;               /* the only lane that issues operations on it */
    host_kind kind;
    host_ostate state;
    struct host_obj *parent;     /* path -> neighbor, TCP -> path; NULL for a neighbor */
    uint32_t live_deps;          /* dependents not UPLOADED */
    uint32_t queries;            /* in flight (several allowed, §3.7) */
    uint32_t updates;            /* in flight (at most one, §3.8) */
    uint32_t invalidates;        /* in flight */
    uint8_t ipv6;                /* paths and TCP objects */
    uint8_t needs_upload;        /* a query/update failed: the host will terminate it */
    uint8_t refused;             /* its last initiate failed (the target said no) */
    union {
        struct {
            NEIGHBOR_OFFLOAD_STATE_CONST c;
            NEIGHBOR_OFFLOAD_STATE_CACHED ca;
            NEIGHBOR_OFFLOAD_STATE_DELEGATED d;
        } nb;
        struct {
            UCHAR src[16], dst[16];   /* network order; PATH_OFFLOAD_STATE_CONST points here */
            PATH_OFFLOAD_STATE_CACHED ca;
            PATH_OFFLOAD_STATE_DELEGATED d;
        } path;
        struct {
            TCP_OFFLOAD_STATE_CONST c;
            TCP_OFFLOAD_STATE_CACHED ca;
            TCP_OFFLOAD_STATE_DELEGATED d;
        } tcp;
    } u;
} host_obj;

/* OFFLOAD_STATE_TYPE for an object: the full triple, one struct, by layer and family. */
uint32_t host_type_full(const host_obj *o);
uint32_t host_type_const(const host_obj *o);
uint32_t host_type_cached(const host_obj *o);
uint32_t host_type_delegated(const host_obj *o);

/* Copy the host's copy of the state structure `bit` (SHIM_ST_*) of `o` into dst. */
void host_obj_state_copy(const host_obj *o, uint32_t bit, void *dst);

/* Object construction, values from `r` (host_objects.c). */
void host_make_local_mac(host_rng *r, UCHAR out[6]);
void host_obj_make_neighbor(host_obj *o, host_rng *r, const UCHAR local_mac[6],
                            uint16_t vlan_id);
void host_obj_make_path(host_obj *o, host_obj *neighbor, host_rng *r, int ipv6,
                        const UCHAR src[16]);
void host_obj_make_tcp(host_obj *o, host_obj *path, host_rng *r);
void host_make_source_address(host_rng *r, int ipv6, uint32_t lane, UCHAR out[16]);

/* ---- trees a workload step asks for ---------------------------------------------------- */

typedef struct host_lane host_lane;

typedef enum host_role {
    HOST_ROLE_NEW = 1,        /* initiate: new offload, full state follows */
    HOST_ROLE_LINKER,         /* initiate: already-offloaded parent, no state */
    HOST_ROLE_REF,            /* other ops: the block names the object the op applies to */
    HOST_ROLE_PLACEHOLDER     /* OffloadHandle NULL: only a node for dependents */
} host_role;

typedef struct host_tnode {
    host_obj *obj;
    host_obj *tree_parent;    /* the object of the parent block (relink: the new neighbor) */
    uint8_t role;             /* host_role */
    uint8_t has_cached;       /* update: `cached` holds the new cached state */
    uint32_t type;            /* Header.Type */
    union {                   /* update: the new cached state */
        NEIGHBOR_OFFLOAD_STATE_CACHED nb;
        PATH_OFFLOAD_STATE_CACHED path;
        TCP_OFFLOAD_STATE_CACHED tcp;
    } cached;
} host_tnode;

typedef struct host_tree {
    host_op op;
    uint32_t n, cap;
    host_tnode *v;
    int failed;               /* out of memory while adding */
} host_tree;

void host_tree_init(host_tree *t, host_op op);
void host_tree_fini(host_tree *t);
host_tnode *host_tree_find(host_tree *t, const host_obj *o);

/* Initiate: `o` as a new offload, with its ancestors as new offloads (if uploaded) or
 * linkers (if offloaded). Returns 0 and adds nothing when an ancestor is in transit or
 * invalidated, or `o` is not uploaded. */
int host_tree_offload(host_tree *t, host_obj *o);
/* Query / invalidate / terminate / update: a block naming `o` with Header.Type `type`
 * (ignored for invalidate). Missing ancestors become placeholders when the tree is built. */
host_tnode *host_tree_ref(host_tree *t, host_obj *o, uint32_t type);
/* Update: `o` with new cached state `cached` (size of o's cached struct), under the block
 * of `tree_parent` (NULL: its own parent). A path under another neighbor relinks it. */
host_tnode *host_tree_update(host_tree *t, host_obj *o, const void *cached,
                             host_obj *tree_parent);
/* Terminate: `o` and every dependent of it (among lane l's objects) not uploaded (§3.6:
 * a neighbor/path is terminated only together with its live dependents). */
void host_tree_terminate_subtree(host *h, host_lane *l, host_tree *t, host_obj *o);

/* ---- requests --------------------------------------------------------------------------- */

#define HOST_NO_PARENT UINT32_MAX

/* What the host wrote into one block, kept beside the tree to check the completion. */
typedef struct host_blk {
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b;
    host_obj *obj;
    uint32_t parent;              /* index of the parent block, or HOST_NO_PARENT */
    uint32_t ndeps;               /* immediate dependents */
    uint32_t deps_ok;             /* completion: dependents whose Status says offloaded */
    uint8_t role;
    uint8_t relink;               /* update: path moves to the parent block's neighbor */
    uint32_t state_mask;          /* SHIM_ST_* bits of the trailing state */
    uint32_t state_off[3];        /* offsets from b of each trailing struct, in order */
    NDIS_OBJECT_HEADER hdr;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST next, dep;
    PNDIS_OFFLOAD_HANDLE handle;
    PVOID ctx_before;             /* handle->MiniportOffloadContext at issue */
    PVOID protocol_reserved[2];
} host_blk;

/* One request: this header, the block records, then the tree and its trailing state, in
 * one allocation owned by the host from issue until it is freed after completion. */
typedef struct host_req {
    struct host_req *next, *prev;  /* outstanding list, then the quarantine */
    host_op op;
    host_lane *lane;
    uint64_t seq;
    int completing;
    uint32_t nblocks;
    host_blk *blks;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root;
    size_t tree_bytes;
} host_req;

/* Values the host puts into ProtocolReserved[1] (ProtocolReserved[0] = the request). */
#define HOST_PR_TAG ((uintptr_t)0x48530000u) /* "HS" + block index */

/* Query/terminate state bodies are pre-filled with this byte, to tell unwritten ones. */
#define HOST_STATE_FILL 0xCC

/* The state struct `bit` as the host hands it down to be filled (query, terminate). */
void host_state_prefill(uint32_t bit, void *dst);

/* Validate the tree against §3.8 and the objects' states, build the request and mark the
 * objects (host.lock held). CT_ERR_STATE: the tree asks for a violation (counted as
 * refused); CT_ERR_NOMEM. */
ct_err host_req_build(host *h, host_lane *l, host_tree *t, host_req **out);

/* The completion path: checks, state transitions, statistics (host_complete.c). */
void host_complete(host *h, host_op via, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);

/* ---- lanes, workloads, the host ------------------------------------------------------- */

#define HOST_STEP_TREES 8  /* trees one step may issue together */

typedef struct host_batch {
    host_tree t[HOST_STEP_TREES];
    uint32_t n;
} host_batch;

/* A fresh tree of this step's batch (NULL when the batch is full). */
host_tree *host_batch_tree(host_batch *b, host_op op);

typedef enum host_step_result { HOST_STEP_DONE = 0, HOST_STEP_MORE = 1 } host_step_result;

struct host_lane {
    host *h;
    uint32_t index;
    uint32_t step;               /* next step number */
    uint32_t outstanding;        /* requests in flight, +1 while a step issues */
    int done;
    host_rng rng;                /* the lane's choices */
    uint32_t first, count;       /* the lane's objects: h->objs[first .. first+count) */
};

typedef struct host_workload {
    const char *name;
    /* Number of objects lane `lane` needs. */
    uint32_t (*objects)(const host_config *cfg, uint32_t lane);
    /* Create the lane's objects in h->objs[l->first ..]. */
    void (*setup)(host *h, host_lane *l);
    /* Fill `b` with the trees of step `step`; HOST_STEP_DONE when the workload is over. */
    host_step_result (*step)(host *h, host_lane *l, uint32_t step, host_batch *b);
} host_workload;

const host_workload *host_workload_find(const char *name);

/* Workloads defined outside host_workloads.c. */
extern const host_workload host_wl_exhaust, host_wl_deep, host_wl_mixed;

/* Helpers shared by the workloads (host_workloads.c). Objects are created in a lane's
 * range in order; *k counts them. */
uint32_t host_share(uint32_t total, uint32_t lanes, uint32_t lane);
uint32_t host_lane_connections(const host_config *cfg, uint32_t lane);
host_obj *host_wl_neighbor(host *h, host_lane *l, uint32_t *k);
host_obj *host_wl_path(host *h, host_lane *l, uint32_t *k, host_obj *neighbor, int ipv6);
host_obj *host_wl_tcp(host *h, host_lane *l, uint32_t *k, host_obj *path);
/* Offloaded, not in flight, not condemned by a failed query/update. */
int host_wl_live(const host_obj *o);
/* One terminate tree with every object of the lane that is not uploaded. */
void host_wl_terminate_all(host *h, host_lane *l, host_batch *b);

struct host {
    ndm *m;
    sched *s;
    host_config cfg;
    char workload_name[32];
    const host_workload *wl;
    ndm_protocol_driver *proto;
    ndm_binding *binding;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS client_chars;
    int started;

    pthread_mutex_t lock;
    host_obj *objs;
    uint32_t nobjs;
    int32_t *slot;               /* per object: its block index while a tree is built */
    host_lane *lanes;
    host_req *outstanding;       /* doubly linked; `completing` set once a completion came */
    host_req *quarantine_head, *quarantine_tail; /* completed, kept a while to tell
                                                    duplicates from unknown roots */
    uint32_t quarantined;
    uint64_t next_seq;
    host_stats st;
    const char *last_refusal;    /* why the last refused tree was refused (debugging) */
    UCHAR local_mac[6];

    pthread_mutex_t obs_lock;
    host_observer_fn obs;
    void *obs_ctx;
};

#define HOST_QUARANTINE 256

/* The lane's objects. */
static inline host_obj *host_lane_obj(host *h, host_lane *l, uint32_t i)
{
    return &h->objs[l->first + i];
}

/* Observer call (host.c). */
void host_observe(host *h, host_event_kind kind, host_op op, host_op via, host_req *r);

/* A request finished (host.lock held): the lane may be ready for its next step. Returns 1
 * when the caller must post the lane's next step (after dropping the lock). */
int host_lane_request_done(host *h, host_lane *l);
void host_lane_post_next(host *h, host_lane *l);

#endif /* CT_HOST_INTERNAL_H */
