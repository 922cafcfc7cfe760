/* im_harness.h - a test host protocol driver and a scripted offload-target miniport, wired
 * through the NDIS model: host -> ndm -> IM -> ndm -> target (or host -> ndm -> target when
 * the IM is left out, for tests of the model itself).
 *
 * The host records every completion it gets. The target records what it saw of each block
 * when the request arrived, and completes per a script: a status per block in pre-order,
 * a context of its own written into *MiniportOffloadContext for offloaded new objects, and
 * either at once inside its W_XXX handler (re-entrant) or when the test says so (deferred).
 */
#ifndef CT_IM_HARNESS_H
#define CT_IM_HARNESS_H

#include <chimney/ndis_chimney_functions.h>

#include "im.h"
#include "ndm.h"

#define H_MAX_BLOCKS 32
#define H_STATE_BYTES 256
#define H_STATUS_UNSET ((NDIS_STATUS)0x7EADBEEF) /* Status before anyone wrote it */

/* Operation numbers: those of the shim (SHIM_OP_INITIATE = 1 ... SHIM_OP_INVALIDATE = 5). */
#define H_OPS 6

/* One host block with room for trailing state. */
typedef struct h_block {
    NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b;
    uint8_t state[H_STATE_BYTES];
} h_block;

/* The host's memory for one test: blocks and the host's NDIS_OFFLOAD_HANDLEs (its TCBs). */
typedef struct h_tree {
    h_block blocks[H_MAX_BLOCKS];
    int nblocks;
    NDIS_OFFLOAD_HANDLE handles[H_MAX_BLOCKS];
    int nhandles;
} h_tree;

/* A fresh host handle (zeroed: not offloaded). */
PNDIS_OFFLOAD_HANDLE h_handle_new(h_tree *t);

/* A fresh block of Header.Type `type` with `handle` in OffloadHandle (NULL: placeholder).
 * Every field a host or NDIS could own is filled with a value unique to the block
 * (ProtocolReserved, MiniportReserved, ImReserved, Scratch, SourceHandle, PortNumber,
 * NetBufferListChain), Status with H_STATUS_UNSET, NdisReserved with zeros. */
PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST h_block_new(h_tree *t, uint8_t type,
                                              PNDIS_OFFLOAD_HANDLE handle);

/* Append `child` to parent's DependentBlockList chain / `next` after `b`'s siblings. */
void h_add_dependent(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST parent,
                     PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST child);
void h_add_sibling(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST next);

/* Pre-order copy of a tree (node, dependents, next), for before/after comparisons. */
typedef struct h_snapshot {
    int n;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST ptr[H_MAX_BLOCKS];
    NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST copy[H_MAX_BLOCKS];
} h_snapshot;

void h_snapshot_take(h_snapshot *s, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);

/* The objects of the §3.2 worked example, Neighbor1 -> {Path1 -> {TCP1, TCP2},
 * Path2 -> {TCP3}}; also the pre-order index of each block in the full tree. */
enum { H_N1, H_P1, H_T1, H_T2, H_P2, H_T3, H_NOBJ };
#define H_ALL ((1u << H_NOBJ) - 1u)

/* A tree of that shape over the objects selected in `mask` (bit i: object i, block i
 * carrying host handle h[i]) with the given Header.Type per layer; a neighbor or path
 * that is not selected but has selected dependents becomes a placeholder. */
PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST h_example_tree(h_tree *t, PNDIS_OFFLOAD_HANDLE const h[H_NOBJ],
                                                 unsigned mask, uint8_t ntype, uint8_t ptype,
                                                 uint8_t ttype);

/* ---- the test host ----------------------------------------------------------------- */

typedef struct h_host {
    int completions[H_OPS];            /* per operation */
    int total;
    int last_op;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST last_root;
    void *last_binding_context;
    int last_sync;                     /* arrived inside the host's own NdisXxx call */
    int in_call;
} h_host;

/* ---- the test offload target ----------------------------------------------------------- */

typedef struct h_seen_block {
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST block;
    NDIS_HANDLE ndis_offload_handle;   /* MOBL.NdisOffloadHandle */
    PVOID *moc_slot;                   /* MOBL.MiniportOffloadContext */
    PVOID moc_value;                   /* *moc_slot, or NULL */
    PVOID source_handle;
    PVOID im_reserved[2];
} h_seen_block;

/* The target's per-object context area (§3.3): what it wrote into *MiniportOffloadContext. */
typedef struct h_target_obj {
    NDIS_HANDLE ndis_offload_handle;   /* the handle it must use for indications */
    int live;
} h_target_obj;

typedef struct h_target {
    NDIS_HANDLE miniport_handle;       /* its NdisMiniportHandle */
    int sync;                          /* complete inside the W_XXX handler */
    int complete_as;                   /* 0, or the operation whose NdisM...Complete to call */
    int scribble;                      /* overwrite fields a target must not touch (§3.4):
                                          ImReserved and SourceHandle of every block but
                                          what routes the completion (root ImReserved[0]
                                          and SourceHandle) */
    NDIS_STATUS script[H_MAX_BLOCKS];  /* status per block in pre-order ... */
    int script_n;                      /* ... for the first script_n; SUCCESS after */
    int requests[H_OPS];
    int total;
    int last_op;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST pending;  /* deferred request */
    int pending_op;
    h_seen_block seen[H_MAX_BLOCKS];   /* the last request, pre-order */
    int nseen;
    h_target_obj objs[H_MAX_BLOCKS];
    int nobjs;
} h_target;

/* ---- the wiring ------------------------------------------------------------------------- */

#define H_WITH_IM 0x1            /* host -> IM -> target, else host -> target */
#define H_TARGET_NO_HANDLERS 0x2 /* the target registers no chimney handlers */

typedef struct im_harness {
    ndm *m;
    ndm_protocol_driver *host_drv;
    ndm_miniport_driver *target_drv;
    ndm_miniport_driver *im_miniport_drv;
    ndm_protocol_driver *im_protocol_drv;
    ndm_adapter *target_adapter;
    ndm_adapter *im_ndis_adapter;      /* the IM's NdisMiniportHandle */
    ndm_binding *host_binding;         /* the host's NdisBindingHandle */
    ndm_binding *im_binding;           /* the IM's lower NdisBindingHandle */
    im_adapter *im;
    h_host host;
    h_target target;
} im_harness;

/* 0 on success. `tracer` (may be NULL) is given to the IM. */
int harness_init(im_harness *h, unsigned flags, shim *tracer);
void harness_fini(im_harness *h);

/* The host issues `op` (SHIM_OP_*) on its binding. */
void harness_issue(im_harness *h, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);

/* The same on an explicit binding handle (for routing tests). */
void harness_issue_on(im_harness *h, NDIS_HANDLE binding, int op,
                      PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);

/* The target completes its deferred request now (script applied). */
void harness_target_complete(im_harness *h);

/* Client characteristics with the host's completion handlers (for extra host bindings). */
void harness_host_characteristics(NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c);

/* The pre-order index of the target object `ctx` (a *MiniportOffloadContext value the
 * target wrote), or -1. */
int harness_target_obj_index(const im_harness *h, const void *ctx);

#endif
