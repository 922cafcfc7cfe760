/* replay_int.h - one replay run's state, shared by the engine's files: the input index
 * (replay_load.c), tree rebuilding (replay_tree.c), the trace host (replay_host.c), the
 * scripted NIC (replay_nic.c), the action queue (replay_queue.c), divergence checks
 * (replay_check.c), the output header and summary (replay_out.c) and the run
 * (replay.c). Internal: users see replay.h only.
 */
#ifndef CT_REPLAY_INT_H
#define CT_REPLAY_INT_H

#include <stddef.h>
#include <stdint.h>

#include <chimney/ndis_chimney.h>

#include "chimtrace.pb-c.h"
#include "drain.h"
#include "encode.h"
#include "im.h"
#include "ndm.h"
#include "nic.h"
#include "obj.h"
#include "obj_map.h"
#include "replay.h"
#include "scheduler.h"
#include "shim.h"

#define RP_NONE UINT32_MAX
#define RP_ADDR_BYTES 32u        /* path addresses, after a block's state area */

/* ---- the input trace (replay_load.c) --------------------------------------------------- */

/* One IN event of a state operation, kept as its packed Event message. */
typedef struct rp_event {
    uint64_t seq, ts, op_id;
    uint64_t off;                /* bytes in rp.pack */
    uint32_t len;
    uint32_t ring, flags;
    uint32_t ids_first, nids;    /* edge 1: identities of its blocks in rp.ids */
    uint8_t op, edge, truncated;
    uint8_t malformed;           /* edge 1: no blocks, or parents that do not precede */
} rp_event;

typedef enum rp_skip {
    RP_RUN = 0,
    RP_SKIP_MISSING = 1,         /* an edge the instance needs was not recorded (loss) */
    RP_SKIP_TRUNCATED = 2,       /* a recorded tree was cut */
    RP_SKIP_MALFORMED = 3        /* duplicate edges, mixed operations, unusable tree */
} rp_skip;

typedef struct rp_req rp_req;
typedef struct rp_roles rp_roles;

/* One operation instance of IN, and what the replay made of it. */
typedef struct rp_inst {
    uint64_t in_op_id;
    uint32_t ev[5];              /* per edge 1..4: index in rp.ev, RP_NONE when absent */
    uint8_t op;
    uint8_t skip;                /* rp_skip */
    uint8_t issued;
    uint8_t host_done;           /* the trace host got its completion */
    uint8_t nic_pending;         /* a scripted completion is queued */
    uint8_t out_seen[5];         /* OUT events per edge */
    uint64_t first_seq;          /* issue order: edge 1's seq (else the smallest) */
    uint64_t due;                /* virtual time of the issue */
    uint64_t out_op_id;
    uint64_t out_seq_lo, out_seq_hi; /* shim sequence numbers taken during the issue */
    uint32_t ids_first, nids;    /* identities of the edge-1 blocks in rp.ids */
    rp_req *req;                 /* in flight */
    rp_roles *roles;             /* ids seen so far on both sides (replay_roles.c) */
} rp_inst;

/* A block buffer: one per recorded block id, so a block address IN reused is reused. */
typedef struct rp_buf {
    uint8_t *mem;                /* NULL until first used */
    uint32_t size;               /* POBL + state area + RP_ADDR_BYTES */
    uint32_t user;               /* instance index + 1 while a request uses it, else 0 */
} rp_buf;

/* A request of the trace host: the tree it built for one instance. */
struct rp_req {
    uint32_t inst;
    uint8_t op;
    uint32_t n;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root;
    struct rp_req_blk {
        PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b;
        uint32_t buf;            /* rp.bufs index, or RP_NONE: own allocation */
        PNDIS_OFFLOAD_HANDLE handle;
        uint32_t size;           /* bytes of the block's buffer */
        uint8_t is_new;          /* initiate: recorded without a context (a new offload) */
    } blk[];
};

/* ---- actions (replay_queue.c): issues and scripted completions, in recorded order ------ */

typedef struct rp_action {
    uint64_t due, key, order;    /* virtual time, then the recorded seq, then post order */
    uint32_t lane;
    uint32_t inst;               /* RP_NONE: a request no instance explains */
    uint8_t op;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root;
} rp_action;

/* ---- the run ---------------------------------------------------------------------------- */

typedef struct rp {
    const replay_opts *o;
    replay_result *res;
    ct_errinfo ei;               /* the first error inside a callback */
    ct_err err;

    /* input */
    Chimtrace__V1__TraceHeader *in_hdr;  /* owned copy */
    uint8_t *pack;
    uint64_t pack_len, pack_cap;
    rp_event *ev;
    size_t nev, ev_cap;
    rp_inst *inst;               /* in issue order */
    size_t ninst;
    obj_identity *ids;
    size_t nids, ids_cap;
    uint64_t t0;                 /* IN's first event time */
    uint32_t lanes, nic_lane;
    uint32_t ring_bytes, max_blocks;
    struct rp_arena *arena;      /* unpacking IN events (replay_load.c) */
    uint8_t *idspace;            /* value of a host- or NIC-written id k: &idspace[k] */
    uint64_t idspace_n;
    rp_buf *bufs;
    size_t nbufs, bufs_cap;
    obj_map buf_of_id;           /* block id -> rp.bufs index */
    NDIS_OFFLOAD_HANDLE *handles;
    size_t nhandles;
    obj_map handle_of_id;        /* upper handle id -> rp.handles index */
    uint8_t **own_blocks;        /* blocks that could not use their id's buffer */
    size_t nown;

    /* the stack */
    sched *s;
    shim *shim;
    ndm *m;
    im_adapter *im;
    ndm_adapter *im_upper;
    ndm_protocol_driver *host_proto;
    ndm_binding *host_binding;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS host_chars;
    ndm_miniport_driver *snic_drv;
    ndm_adapter *snic_adapter;
    nic *nic;                    /* model mode */
    uint64_t nic_seed;           /* model mode: what the NIC was given */
    char nic_latency_text[64];

    /* outputs */
    ct_writer *w;
    ct_enc *enc;
    ct_drain *drain;
    uint8_t *scratch;            /* packed OUT events */
    size_t scratch_cap;

    /* what is in flight */
    obj_map roots;               /* root pointer -> instance index (requests in flight) */
    obj_map done_roots;          /* root pointer -> instance index (completed) */
    obj_map out_ops;             /* OUT op_id -> instance index */
    uint32_t *issued;            /* instance indexes in issue order */
    size_t nissued;
    replay_divergence *held;     /* host-boundary divergences not reported yet */
    uint32_t *held_inst;
    size_t nheld, held_cap;

    /* the action queue */
    rp_action *heap;
    size_t nheap, heap_cap;
    uint64_t order;
    size_t next_issue;           /* rp.inst cursor */
    size_t open_lo;              /* model mode: issued[] before it have all completed */
    int token;                   /* the callback that runs the next action is posted */
    int stopping;                /* --stop-at-divergence fired: no more issues, shim off */
} rp;

/* ---- replay_load.c ---------------------------------------------------------------------- */
ct_err rp_load(rp *r, ct_errinfo *ei);
void rp_unload(rp *r);
/* The IN event of `inst` at `edge`, unpacked; NULL when absent or out of memory. Free it
 * with rp_event_free (events are meant to be used one at a time). */
Chimtrace__V1__Event *rp_event_get(rp *r, const rp_inst *x, int edge);
void rp_event_free(rp *r, Chimtrace__V1__Event *ev);
uint32_t rp_lane_of(const rp *r, uint32_t ring_id);

/* ---- replay_tree.c ---------------------------------------------------------------------- */
/* The value a host- or NIC-written pointer field takes for recorded id `id` (NULL for 0):
 * one address per id, whichever field it is in. */
void *rp_id_ptr(rp *r, uint64_t id);
/* Bytes a block needs: the block, its state as recorded, RP_ADDR_BYTES. */
uint32_t rp_block_need(const Chimtrace__V1__Block *b);
/* Links of a pre-order list with parent indexes (FORMAT.md §6.2): next[i], dep[i] (RP_NONE
 * for none). 0 when a parent does not precede its block. */
int rp_tree_links(const Chimtrace__V1__Event *ev, uint32_t *next, uint32_t *dep);
/* Write the recorded state structures of `b` into the block at `mem` (`size` bytes with
 * the address area at its end); 0 when one would not fit (it is left out). */
int rp_state_write(rp *r, uint8_t *mem, uint32_t size, const Chimtrace__V1__Block *b);
/* The block's own fields as the host wrote them: header, status, port, handle, reserved
 * slots, SourceHandle (left NULL on the root: NDIS stamps it) and NBL chain. */
void rp_block_fill(rp *r, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST p,
                   const Chimtrace__V1__Block *b, int is_root, PNDIS_OFFLOAD_HANDLE handle);

/* Bounded pre-order walk over a live tree, with parent indexes, as the shim walks it. */
typedef struct rp_walk {
    struct { PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; uint32_t parent; } stack[16];
    uint32_t depth, seen;
    int cut;
} rp_walk;
void rp_walk_init(rp_walk *w, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);
PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST rp_walk_next(rp_walk *w, uint32_t *index, uint32_t *parent);

/* ---- replay_host.c ---------------------------------------------------------------------- */
ct_err rp_host_new(rp *r);
void rp_host_issue(rp *r, uint32_t inst);
void rp_host_free(rp *r);        /* requests still in flight */

/* ---- replay_nic.c ----------------------------------------------------------------------- */
ct_err rp_snic_new(rp *r);
void rp_snic_complete(rp *r, const rp_action *a);

/* ---- replay_queue.c --------------------------------------------------------------------- */
ct_err rp_queue_push(rp *r, const rp_action *a);
/* Post the callback that runs the next action (issue or completion), if any. */
void rp_queue_kick(rp *r);
/* A request completed: in model mode an issue waiting for it may go now. */
void rp_queue_released(rp *r);
void rp_queue_free(rp *r);

/* ---- replay_roles.c --------------------------------------------------------------------- */
/* One differing field: path, expected (IN) and got (OUT) as text (diff_field_fn's shape). */
typedef void (*rp_field_fn)(void *ctx, const char *field, const char *expected, const char *got);
/* Compare where in the instance each id of `want` (IN) and `got` (OUT) was first seen, then
 * remember both events' ids. `want` NULL: the two are identical. Returns the differences
 * (each also given to fn), -1 when out of memory. */
long rp_roles_compare(rp_inst *x, const Chimtrace__V1__Event *want,
                      const Chimtrace__V1__Event *got, rp_field_fn fn, void *ctx);
void rp_roles_free(rp_inst *x);

/* ---- replay_check.c --------------------------------------------------------------------- */
ct_err rp_check_hook(void *ctx, const Chimtrace__V1__Record *rec, ct_errinfo *ei);
/* What the trace host saw go wrong at its own boundary (a completion it did not expect, of
 * the wrong kind): held, and reported after the events of the same callback. */
void rp_check_host(rp *r, replay_div_kind kind, uint32_t inst, const char *text);
void rp_check_flush(rp *r);
/* After the run: IN edges OUT never produced, completions the host never got. */
void rp_check_finish(rp *r);

/* ---- replay_out.c ----------------------------------------------------------------------- */
ct_err rp_out_open(rp *r, ct_errinfo *ei);
ct_err rp_out_close(rp *r, ct_errinfo *ei);
void rp_out_abandon(rp *r);

/* Record the first error met inside a scheduler callback; the run stops. */
void rp_fail(rp *r, ct_err e, const char *what);

#endif
