/* im_upper.c - the IM's upper (miniport) edge: the five W_XXX_OFFLOAD_HANDLERs NDIS calls
 * with the host's tree in its MOBL view, passed down as a POBL on the IM's lower binding
 * (reference §3.5 steps 1-4).
 *
 * The fast path of NDIS never fails silently: a request the IM cannot pass down (no
 * memory, an unusable tree) is completed upward at once with a failure in every block.
 */
#include "im_internal.h"

static void call_down(im_adapter *a, uint8_t op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    switch (op) {
    case SHIM_OP_INITIATE: NdisInitiateOffload(a->lower_binding, root); break;
    case SHIM_OP_TERMINATE: NdisTerminateOffload(a->lower_binding, root); break;
    case SHIM_OP_UPDATE: NdisUpdateOffload(a->lower_binding, root); break;
    case SHIM_OP_QUERY: NdisQueryOffloadState(a->lower_binding, root); break;
    case SHIM_OP_INVALIDATE: NdisInvalidateOffload(a->lower_binding, root); break;
    }
}

/* Complete the whole tree at once with `status` in every block the bounded walk reaches.
 * Nothing else in the tree was touched, so nothing needs restoring. The trace still sees
 * the request and its completion (through an operation record on the stack). */
static void fail_request(im_adapter *a, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root,
                         NDIS_STATUS status)
{
    shim_op trace;
    im_walk w;
    plat_memset(&trace, 0, sizeof trace);
    IM_COUNT(a, failed_requests);
    if (IM_TRACING(a))
        shim_request_in(a->tracer, &trace, op, a, root);
    im_walk_init(&w, root);
    for (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; (b = im_walk_next(&w)) != NULL;)
        b->Status = status;
    if (IM_TRACING(a))
        shim_completion_out(a->tracer, &trace, a, root);
    im_complete_up(a, op, root);
}

/* Steps 1-4 of §3.5. The completion may run inside call_down (NDIS completes in the
 * caller's stack): the call entry holds a reference for this path, so the in-downcall
 * flag can be cleared after the down-call even when the completion has already run; the
 * tree and the offload entries are not touched after the down-call. */
static void request(NDIS_HANDLE adapter_context, uint8_t op,
                    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    im_adapter *a = adapter_context;
    NDIS_STATUS status;
    im_call_entry *call = im_call_prepare(a, op, root, &status);
    if (call == NULL) {
        fail_request(a, op, root, status);
        return;
    }
    if (IM_TRACING(a))
        shim_request_in(a->tracer, &call->trace, op, a, root);
    im_call_convert_down(call);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST down = (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)root;
    if (IM_TRACING(a))
        shim_request_out(a->tracer, &call->trace, a->lower_binding, down);
    im_call_set_in_downcall(call, 1);
    call_down(a, op, down);
    im_call_set_in_downcall(call, 0);
    im_call_release(call);
}

VOID CHIMNEY_API MiniportInitiateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(MiniportAdapterContext, SHIM_OP_INITIATE, OffloadBlockList);
}

VOID CHIMNEY_API MiniportTerminateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(MiniportAdapterContext, SHIM_OP_TERMINATE, OffloadBlockList);
}

VOID CHIMNEY_API MiniportUpdateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(MiniportAdapterContext, SHIM_OP_UPDATE, OffloadBlockList);
}

VOID CHIMNEY_API MiniportQueryOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(MiniportAdapterContext, SHIM_OP_QUERY, OffloadBlockList);
}

VOID CHIMNEY_API MiniportInvalidateOffload(
    NDIS_HANDLE MiniportAdapterContext,
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    request(MiniportAdapterContext, SHIM_OP_INVALIDATE, OffloadBlockList);
}
