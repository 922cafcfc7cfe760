/* ndm_route.c - the model's chimney state routing: the five protocol-side calls
 * (NdisInitiateOffload, ...) and the five completions (NdisMInitiateOffloadComplete, ...).
 *
 * A down-call converts the POBL tree into a MOBL in place (reference §2.4) and calls the
 * lower miniport's W_XXX handler; a completion finds the upper binding through the root's
 * SourceHandle and calls the protocol's handler at once, in the caller's stack (§1.7), so
 * completions may nest inside down-calls. No lock is held while a driver runs.
 */
#include "ndm_internal.h"

enum ndm_op { OP_INITIATE, OP_TERMINATE, OP_UPDATE, OP_QUERY, OP_INVALIDATE };

/* ---- bounded pre-order walk (node, its dependents, then its next sibling) ------------- */

#define NDM_WALK_DEPTH 16u   /* a legal tree needs 3 levels + 1 pending sibling each */

typedef struct ndm_walk {
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST stack[NDM_WALK_DEPTH];
    uint32_t depth, seen;
    int cut;                 /* too deep or more than NDM_MAX_BLOCKS blocks */
} ndm_walk;

static void walk_init(ndm_walk *w, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    w->depth = root != NULL;
    w->stack[0] = root;
    w->seen = 0;
    w->cut = 0;
}

static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST walk_next(ndm_walk *w)
{
    if (w->depth == 0)
        return NULL;
    if (w->seen >= NDM_MAX_BLOCKS) {
        w->cut = 1;
        w->depth = 0;
        return NULL;
    }
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b = w->stack[--w->depth];
    w->seen++;
    if (b->NextBlock != NULL)
        w->stack[w->depth++] = b->NextBlock;
    if (b->DependentBlockList != NULL) {
        if (w->depth < NDM_WALK_DEPTH)
            w->stack[w->depth++] = b->DependentBlockList;
        else
            w->cut = 1;
    }
    return b;
}

static void stamp_status(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root, NDIS_STATUS st)
{
    ndm_walk w;
    walk_init(&w, root);
    for (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b; (b = walk_next(&w)) != NULL;)
        b->Status = st;
}

/* In-place POBL -> MOBL conversion as NDIS does it (§2.4): per block, NdisReserved[2] (the
 * MOBL's MiniportOffloadContext) = &OffloadHandle->MiniportOffloadContext, or NULL for a
 * placeholder; the handle's NdisReserved[0] = the binding when still NULL; the root's
 * SourceHandle = the binding. NBL SourceHandles are not stamped: NET_BUFFER_LIST is opaque
 * here. Returns 0 when the walk had to be cut. */
static int convert_down(ndm_binding *b, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    ndm_walk w;
    walk_init(&w, root);
    for (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST blk; (blk = walk_next(&w)) != NULL;) {
        PNDIS_OFFLOAD_HANDLE oh = blk->OffloadHandle;
        if (oh != NULL) {
            if (oh->NdisReserved[0] == NULL)
                oh->NdisReserved[0] = b;
            blk->NdisReserved[2] = &oh->MiniportOffloadContext;
        } else {
            blk->NdisReserved[2] = NULL;
        }
    }
    root->SourceHandle = b;
    return !w.cut;
}

/* ---- upward: the protocol's completion handler --------------------------------------- */

static void deliver(ndm_binding *b, enum ndm_op op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    const ndm_protocol_driver *p = b->proto;
    const NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c = &p->generic;
    INITIATE_OFFLOAD_COMPLETE_HANDLER fn = NULL; /* all five share one signature */
    if (p->has_generic) {
        switch (op) {
        case OP_INITIATE: fn = c->InitiateOffloadCompleteHandler; break;
        case OP_TERMINATE: fn = c->TerminateOffloadCompleteHandler; break;
        case OP_UPDATE: fn = c->UpdateOffloadCompleteHandler; break;
        case OP_QUERY: fn = c->QueryOffloadCompleteHandler; break;
        case OP_INVALIDATE: fn = c->InvalidateOffloadCompleteHandler; break;
        }
    }
    if (fn == NULL) {
        NDM_COUNT(b->h.model, no_complete_handler);
        return;
    }
    fn(b->context, root);
}

/* NdisMXxxComplete: the binding is the root's SourceHandle, which must be a live binding
 * of this model that opened this very adapter. A misrouted completion is counted and
 * dropped: delivering it elsewhere would hand a driver a tree it never sent. */
static void complete(NDIS_HANDLE miniport_handle, enum ndm_op op,
                     PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    ndm_adapter *a = ndm_handle_get(miniport_handle, NDM_KIND_ADAPTER);
    if (a == NULL)
        return;
    if (root == NULL) {
        NDM_COUNT(a->h.model, malformed_tree);
        return;
    }
    ndm_binding *b = ndm_handle_get_in(a->h.model, root->SourceHandle, NDM_KIND_BINDING);
    if (b == NULL) {
        NDM_COUNT(a->h.model, bad_source_handle);
        return;
    }
    if (b->adapter != a) {
        NDM_COUNT(a->h.model, wrong_adapter);
        return;
    }
    deliver(b, op, (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)root);
}

/* ---- downward: the lower miniport's W_XXX handler ------------------------------------- */

static W_INITIATE_OFFLOAD_HANDLER lower_handler(const ndm_miniport_driver *d, enum ndm_op op)
{
    const NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c = &d->generic;
    if (!d->has_generic)
        return NULL;
    switch (op) {
    case OP_INITIATE: return c->InitiateOffloadHandler;
    case OP_TERMINATE: return c->TerminateOffloadHandler;
    case OP_UPDATE: return c->UpdateOffloadHandler;
    case OP_QUERY: return c->QueryOffloadHandler;
    case OP_INVALIDATE: return c->InvalidateOffloadHandler;
    }
    return NULL;
}

static void request(NDIS_HANDLE binding_handle, enum ndm_op op,
                    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    ndm_binding *b = ndm_handle_get(binding_handle, NDM_KIND_BINDING);
    if (b == NULL)
        return; /* no binding: nobody to complete to */
    if (root == NULL) {
        NDM_COUNT(b->h.model, malformed_tree);
        return;
    }
    if (!convert_down(b, root)) {
        NDM_COUNT(b->h.model, malformed_tree);
        stamp_status(root, NDIS_STATUS_FAILURE);
        deliver(b, op, root);
        return;
    }
    W_INITIATE_OFFLOAD_HANDLER fn = lower_handler(b->adapter->drv, op);
    if (fn == NULL) {
        NDM_COUNT(b->h.model, not_supported);
        stamp_status(root, NDIS_STATUS_NOT_SUPPORTED);
        deliver(b, op, root);
        return;
    }
    fn(b->adapter->context, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)root);
}

/* ---- the ten exported functions ------------------------------------------------------ */

VOID NdisInitiateOffload(NDIS_HANDLE NdisBindingHandle,
                         PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(NdisBindingHandle, OP_INITIATE, OffloadBlockList);
}

VOID NdisTerminateOffload(NDIS_HANDLE NdisBindingHandle,
                          PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(NdisBindingHandle, OP_TERMINATE, OffloadBlockList);
}

VOID NdisUpdateOffload(NDIS_HANDLE NdisBindingHandle,
                       PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(NdisBindingHandle, OP_UPDATE, OffloadBlockList);
}

VOID NdisQueryOffloadState(NDIS_HANDLE NdisBindingHandle,
                           PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(NdisBindingHandle, OP_QUERY, OffloadBlockList);
}

VOID NdisInvalidateOffload(NDIS_HANDLE NdisBindingHandle,
                           PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(NdisBindingHandle, OP_INVALIDATE, OffloadBlockList);
}

VOID NdisMInitiateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                  PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    complete(NdisMiniportHandle, OP_INITIATE, OffloadBlockList);
}

VOID NdisMTerminateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                   PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    complete(NdisMiniportHandle, OP_TERMINATE, OffloadBlockList);
}

VOID NdisMUpdateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    complete(NdisMiniportHandle, OP_UPDATE, OffloadBlockList);
}

VOID NdisMQueryOffloadStateComplete(NDIS_HANDLE NdisMiniportHandle,
                                    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    complete(NdisMiniportHandle, OP_QUERY, OffloadBlockList);
}

VOID NdisMInvalidateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    complete(NdisMiniportHandle, OP_INVALIDATE, OffloadBlockList);
}
