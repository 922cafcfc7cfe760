/* im_internal.h - the IM driver's private state, shared by its edges (im_upper.c,
 * im_lower.c), its entries (im_entries.c) and its registration (im_register.c).
 *
 * Call entry: lives for one operation; holds, per block of the tree, everything the IM
 * overwrites or NDIS re-derives on the way down, so the completion can put it back.
 * Offload entry: lives as long as one object is offloaded through this IM; holds the IM's
 * own NDIS_OFFLOAD_HANDLE (which the lower driver fills) and the upper driver's handle.
 */
#ifndef CHIMNEY_IM_INTERNAL_H
#define CHIMNEY_IM_INTERNAL_H

#include <chimney/ndis_chimney_functions.h>

#include "im.h"
#include "platform.h"
#include "shim.h"

#define IM_ADAPTER_MAGIC PLAT_TAG('I', 'm', 'A', 'd')
#define IM_CALL_MAGIC PLAT_TAG('I', 'm', 'C', 'l')
#define IM_OBJ_MAGIC PLAT_TAG('I', 'm', 'O', 'b')
#define IM_DEAD_MAGIC PLAT_TAG('d', 'e', 'a', 'd')

#define IM_WALK_DEPTH 16u      /* a legal tree needs 3 levels + 1 pending sibling each */
#define IM_MAX_BLOCKS 65536u   /* blocks walked before the tree is declared cyclic */

/* Offload entry states. */
enum im_obj_state {
    IM_OBJ_PENDING = 0,    /* its initiate is in flight */
    IM_OBJ_OFFLOADED = 1,  /* on the adapter's list */
    IM_OBJ_DYING = 2       /* taken off the list by a terminate completion, about to go */
};

typedef struct im_offload_entry {
    uint32_t magic;                    /* IM_OBJ_MAGIC while alive */
    uint32_t state;                    /* enum im_obj_state */
    NDIS_OFFLOAD_HANDLE handle;        /* the IM's own handle: the lower driver fills it */
    NDIS_HANDLE upper_handle;          /* the upper driver's NdisOffloadHandle */
    im_adapter *adapter;
    struct im_offload_entry *prev, *next;  /* adapter's list of offloaded objects */
    struct im_offload_entry *doomed;   /* terminate: the free list of one completion */
} im_offload_entry;

/* Block roles (reference §3.1), as the IM sees them on the way down. */
enum im_role {
    IM_ROLE_PLACEHOLDER = 0,  /* MiniportOffloadContext == NULL (or refers to nothing) */
    IM_ROLE_NEW = 1,          /* initiate: a new object, entry allocated by this call */
    IM_ROLE_REFERENCE = 2     /* refers to an offloaded object: entry = *MiniportOffloadContext */
};

/* What one block looked like when the IM received it (MOBL view). */
typedef struct im_block_save {
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST block;
    NDIS_OBJECT_HEADER header;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST next, dependent;
    PVOID *moc_slot;            /* MiniportOffloadContext: NDIS's pointer into the upper handle */
    NDIS_HANDLE upper_handle;   /* NdisOffloadHandle: the upper driver's handle */
    PVOID im_reserved[2];
    PVOID source_handle;
    im_offload_entry *entry;
    uint32_t role;              /* enum im_role */
} im_block_save;

typedef struct im_call_entry {
    uint32_t magic;              /* IM_CALL_MAGIC while alive */
    uint8_t op;                  /* enum shim_op: the operation the upper driver asked for */
    volatile uint32_t refs;      /* the down-call path and the completion, one each */
    im_adapter *adapter;
    struct im_call_entry *prev, *next;  /* adapter's list of calls in flight */
    uint32_t nblocks;
    uint32_t faults;             /* IM_FAULT_* this operation commits (im_fault_pick) */
    shim_op trace;
    im_block_save blocks[];      /* pre-order; blocks[0] is the root */
} im_call_entry;

struct im_adapter {
    uint32_t magic;
    shim *tracer;
    NDIS_HANDLE upper_miniport_handle;
    NDIS_HANDLE lower_binding;
    void *owner;                 /* im_set_owner */
    plat_spinlock lock;          /* the two lists; never held across a call into NDIS */
    im_call_entry *calls;
    im_offload_entry *objects;
    im_stats stats;              /* atomic adds */
    volatile uint32_t faults;    /* IM_FAULT_* mask (im_set_faults) */
    volatile uint32_t faults_fired;      /* one-shot faults already given to an operation */
    volatile uint32_t faults_committed;  /* faults that changed what went up */
    volatile uint8_t drop_op, dup_op;    /* SHIM_OP_* or IM_FAULT_ANY_OP */
};

#define IM_TRACING(a) ((a)->tracer != NULL && SHIM_ON((a)->tracer))
#define IM_COUNT(a, field) __atomic_fetch_add(&(a)->stats.field, 1, __ATOMIC_RELAXED)

/* A function the compiler must copy into each caller, so that the call with a constant
 * fault mask of 0 (the correct driver) keeps none of the fault tests. */
#define IM_ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- fault injection (im_register.c; the faults themselves are documented in im.h) ---- */

/* Faults that hit one operation only. */
#define IM_FAULT_ONE_SHOT (IM_FAULT_DROP_COMPLETION | IM_FAULT_DUP_COMPLETION)

/* The faults a request of `op` commits, under the adapter's current mask: every
 * persistent fault, and a one-shot one if this is the first operation of its kind since
 * it was armed. Called only when the mask is not 0. */
uint32_t im_fault_pick(im_adapter *a, uint8_t op);

static inline void im_fault_note(im_adapter *a, uint32_t committed)
{
    __atomic_fetch_or(&a->faults_committed, committed, __ATOMIC_RELAXED);
}

/* ---- bounded pre-order walk (im_entries.c) ---------------------------------------------- */

typedef struct im_walk {
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST stack[IM_WALK_DEPTH];
    uint32_t depth, seen;
    int cut;
} im_walk;

void im_walk_init(im_walk *w, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);
PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST im_walk_next(im_walk *w);

/* ---- call and offload entries (im_entries.c) ---------------------------------------- */

/* The status a request fails with when the IM cannot pass it down (reference §3.2). */
NDIS_STATUS im_fail_status(uint8_t op);

/* Build the call entry for a request: count and record every block, allocate the offload
 * entries of new objects. Touches nothing in the tree. NULL with *status set when memory
 * is short (NDIS_STATUS_RESOURCES) or the tree is unusable (NDIS_STATUS_FAILURE); nothing
 * is left allocated then. */
im_call_entry *im_call_prepare(im_adapter *a, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root,
                               NDIS_STATUS *status);

/* Point every block at the IM's own handles (MOBL -> POBL for the lower edge) and put
 * the call entry in the root's ImReserved[0]; track the call as in flight. */
void im_call_convert_down(im_call_entry *call);

/* The completion's call entry, from the root's ImReserved[0], untracked; NULL (counted)
 * when it is no call of this adapter in flight. */
im_call_entry *im_call_claim(im_adapter *a, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);

/* Put back every field per block, then settle the offload entries: initiate publishes
 * offloaded ones in *MiniportOffloadContext and frees failed new ones, terminate frees
 * the terminated ones. A call with faults (im_fault_pick) gets them done wrong instead. */
void im_call_restore_up(im_call_entry *call);

/* Free every offload entry still on the adapter's list (im_destroy). */
void im_objects_free_all(im_adapter *a);

/* Drop one reference; the last frees the call entry. */
void im_call_release(im_call_entry *call);

static inline void im_call_set_in_downcall(im_call_entry *call, uint8_t v)
{
    __atomic_store_n(&call->trace.in_downcall, v, __ATOMIC_RELEASE);
}

/* ---- the edges ------------------------------------------------------------------------ */

/* NdisM<op>Complete toward the upper driver. */
void im_complete_up(im_adapter *a, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);

/* Upper edge (im_upper.c), W_XXX_OFFLOAD_HANDLER. */
VOID CHIMNEY_API MiniportInitiateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API MiniportTerminateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API MiniportUpdateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API MiniportQueryOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API MiniportInvalidateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);

/* Lower edge (im_lower.c), XXX_OFFLOAD_COMPLETE_HANDLER. */
VOID CHIMNEY_API ProtocolInitiateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API ProtocolTerminateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API ProtocolUpdateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API ProtocolQueryOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API ProtocolInvalidateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);

#endif /* CHIMNEY_IM_INTERNAL_H */
