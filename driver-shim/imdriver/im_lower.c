/* im_lower.c - the IM's lower (protocol) edge: the five XXX_OFFLOAD_COMPLETE_HANDLERs NDIS
 * calls with the IM's tree in its POBL view, and the NdisM...Complete that hands the tree,
 * restored block by block, back to the upper driver (reference §3.5 steps 5-7).
 *
 * A completion may arrive inside the IM's own down-call (re-entrant) or later, on any CPU;
 * no lock is held across a call into NDIS.
 */
#include "im_internal.h"

void im_complete_up(im_adapter *a, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    NDIS_HANDLE up = a->upper_miniport_handle;
    switch (op) {
    case SHIM_OP_INITIATE: NdisMInitiateOffloadComplete(up, root); break;
    case SHIM_OP_TERMINATE: NdisMTerminateOffloadComplete(up, root); break;
    case SHIM_OP_UPDATE: NdisMUpdateOffloadComplete(up, root); break;
    case SHIM_OP_QUERY: NdisMQueryOffloadStateComplete(up, root); break;
    case SHIM_OP_INVALIDATE: NdisMInvalidateOffloadComplete(up, root); break;
    }
}

/* The one-shot faults (im.h): a buggy IM that never passes the completion up, or passes
 * it up twice. The call entry is gone before the first NdisM...Complete, as on the correct
 * path; a duplicate is traced twice while the tree is still the IM's, and the second call
 * uses only the adapter and the caller's locals. */
static void complete_up_faulty(im_adapter *a, im_call_entry *call, uint8_t op,
                               PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    if (call->faults & IM_FAULT_DROP_COMPLETION) {
        im_call_release(call);
        im_fault_note(a, IM_FAULT_DROP_COMPLETION);
        return;
    }
    if (IM_TRACING(a)) {
        shim_completion_out(a->tracer, &call->trace, a, root);
        shim_completion_out(a->tracer, &call->trace, a, root);
    }
    im_call_release(call);
    im_fault_note(a, IM_FAULT_DUP_COMPLETION);
    im_complete_up(a, op, root);
    im_complete_up(a, op, root);
}

/* Steps 5-7 of §3.5. A completion that carries no call entry of ours cannot be restored
 * (the IM would not know the upper handles), so it is counted and not passed up. A
 * completion of another operation than the one asked for is counted and answered as the
 * operation the upper driver is waiting for. */
static void completion(NDIS_HANDLE binding_context, uint8_t op,
                       PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST pobl)
{
    im_adapter *a = binding_context;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST view = (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)pobl;
    im_call_entry *call = im_call_claim(a, view);
    if (call == NULL)
        return;
    if (call->op != op)
        IM_COUNT(a, wrong_completion);
    if (IM_TRACING(a))
        shim_completion_in(a->tracer, &call->trace, a->lower_binding, pobl);
    im_call_restore_up(call);
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root = call->blocks[0].block;
    uint8_t up_op = call->op;
    if (PLAT_UNLIKELY(call->faults & IM_FAULT_ONE_SHOT)) {
        complete_up_faulty(a, call, up_op, root);
        return;
    }
    if (IM_TRACING(a))
        shim_completion_out(a->tracer, &call->trace, a, root);
    im_call_release(call); /* frees it unless the down-call is still on the stack */
    im_complete_up(a, up_op, root);
}

VOID CHIMNEY_API ProtocolInitiateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    completion(ProtocolBindingContext, SHIM_OP_INITIATE, OffloadBlockList);
}

VOID CHIMNEY_API ProtocolTerminateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    completion(ProtocolBindingContext, SHIM_OP_TERMINATE, OffloadBlockList);
}

VOID CHIMNEY_API ProtocolUpdateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    completion(ProtocolBindingContext, SHIM_OP_UPDATE, OffloadBlockList);
}

VOID CHIMNEY_API ProtocolQueryOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    completion(ProtocolBindingContext, SHIM_OP_QUERY, OffloadBlockList);
}

VOID CHIMNEY_API ProtocolInvalidateOffloadComplete(
    NDIS_HANDLE ProtocolBindingContext,
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList)
{
    completion(ProtocolBindingContext, SHIM_OP_INVALIDATE, OffloadBlockList);
}
