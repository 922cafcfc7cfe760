/* datapath.c - the ordinary NBL data path of chimshim.sys, both edges, as an NDIS 6 IM
 * pass-through (the pattern of the WDK MUX sample): sends from above are cloned
 * (NdisAllocateCloneNetBufferList from a pool made at bind) and sent down, and the clones'
 * completions complete the originals up; receives from below are indicated up as they are
 * and given back down when NDIS returns them. Without this the virtual adapter would cut
 * the machine off the network. The chimney state path is the IM driver's (imdriver/).
 *
 * Each edge has a state (KDRV_EDGE_*) and everything in flight is counted under the
 * adapter's dp_lock, so pausing either edge completes only once its traffic has drained:
 * MiniportPause pends and NdisMPauseComplete follows from the last completion or return;
 * a NetEventPause below and the unbind wait (PASSIVE_LEVEL) until no clone is below.
 * Link-state and the chimney's offload-wide status indications are passed up too.
 * No lock is held across a call into NDIS.
 */
#include "kdrv.h"

#define DP_POLL_US 1000u                 /* the PASSIVE_LEVEL drain waits' sleep */

/* ---- in-flight accounting ------------------------------------------------------------- */

/* Drop `n` units of `*counter` (a->sends, ->recvs or ->status_calls); if that drains a
 * pausing miniport, it is paused now and NDIS is told (after the lock is released). */
static void dp_put(kdrv_adapter *a, uint32_t *counter, uint32_t n)
{
    NDIS_HANDLE pause_done = NULL;
    plat_spin_acquire(&a->dp_lock);
    *counter -= n;
    if (a->upper == KDRV_EDGE_PAUSING && a->sends == 0 && a->recvs == 0) {
        a->upper = KDRV_EDGE_PAUSED;
        pause_done = a->miniport_handle;
    }
    plat_spin_release(&a->dp_lock);
    if (pause_done != NULL)
        NdisMPauseComplete(pause_done);
}

/* PASSIVE_LEVEL only: sleep until `*counter` is 0. The callers have already stopped new
 * work from being counted, so this ends once what is in flight completes. */
static void dp_wait_zero(kdrv_adapter *a, uint32_t *counter)
{
    for (;;) {
        plat_spin_acquire(&a->dp_lock);
        uint32_t left = *counter;
        plat_spin_release(&a->dp_lock);
        if (left == 0)
            return;
        NdisMSleep(DP_POLL_US);
    }
}

static uint32_t nbl_count(PNET_BUFFER_LIST n)
{
    uint32_t c = 0;
    for (; n != NULL; n = n->Next)
        c++;
    return c;
}

/* ---- send: above -> below -------------------------------------------------------------- */

/* Clone `n` for the lower binding; the clone remembers the original as its parent. */
static PNET_BUFFER_LIST send_clone(kdrv_adapter *a, PNET_BUFFER_LIST n)
{
    PNET_BUFFER_LIST c = NdisAllocateCloneNetBufferList(n, a->nbl_pool, NULL, 0);
    if (c == NULL)
        return NULL;
    c->Next = NULL;
    c->ParentNetBufferList = n;
    c->SourceHandle = a->lower_binding;   /* as the MUX sample sets it before sending */
    NdisCopySendNetBufferListInfo(c, n);  /* checksum/LSO/802.1Q/cancel id ... */
    return c;
}

/* Every NBL is counted in a->sends from here until it is completed up, the failed ones
 * too, so a pause cannot complete while one is still ours. Failed NBLs complete at once
 * with NDIS_STATUS_PAUSED (an edge is pausing or paused), NDIS_STATUS_FAILURE (no binding
 * below) or NDIS_STATUS_RESOURCES (no clone); none is dropped. */
VOID MiniportSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST Nbls,
                                NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL || Nbls == NULL)
        return;   /* NDIS never sends to an adapter it did not initialize */
    ULONG complete_flags = (SendFlags & NDIS_SEND_FLAGS_DISPATCH_LEVEL)
                               ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0;
    uint32_t total = nbl_count(Nbls);
    NDIS_STATUS refuse = NDIS_STATUS_SUCCESS;

    plat_spin_acquire(&a->dp_lock);
    if (a->lower == KDRV_EDGE_OFF)
        refuse = NDIS_STATUS_FAILURE;
    else if (a->upper != KDRV_EDGE_RUNNING || a->lower != KDRV_EDGE_RUNNING)
        refuse = NDIS_STATUS_PAUSED;
    a->sends += total;
    plat_spin_release(&a->dp_lock);

    PNET_BUFFER_LIST down = NULL, *down_tail = &down;
    PNET_BUFFER_LIST failed = NULL, *failed_tail = &failed;
    uint32_t nfailed = 0;
    for (PNET_BUFFER_LIST n = Nbls, next; n != NULL; n = next) {
        next = n->Next;
        n->Next = NULL;
        PNET_BUFFER_LIST c = refuse == NDIS_STATUS_SUCCESS ? send_clone(a, n) : NULL;
        if (c != NULL) {
            *down_tail = c;
            down_tail = &c->Next;
            continue;
        }
        n->Status = refuse != NDIS_STATUS_SUCCESS ? refuse : NDIS_STATUS_RESOURCES;
        *failed_tail = n;
        failed_tail = &n->Next;
        nfailed++;
    }
    /* NDIS already loops the frame back to the virtual adapter's own bindings; asking the
     * lower adapter to loop it back as well would bring it up through us a second time
     * (the MUX sample clears the flag too). */
    if (down != NULL)
        NdisSendNetBufferLists(a->lower_binding, down, PortNumber,
                               SendFlags & ~(ULONG)NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK);
    if (failed != NULL) {
        NdisMSendNetBufferListsComplete(a->miniport_handle, failed, complete_flags);
        dp_put(a, &a->sends, nfailed);
    }
}

/* The clones come back: copy each one's status into its original, free it, complete the
 * originals up in one call, then let a pause waiting for them finish. */
VOID ProtocolSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext,
                                        PNET_BUFFER_LIST Nbls, ULONG SendCompleteFlags)
{
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL)
        return;   /* only our clones are sent on this binding, and `a` outlives them */
    PNET_BUFFER_LIST up = NULL, *up_tail = &up;
    uint32_t n = 0;
    for (PNET_BUFFER_LIST c = Nbls, next; c != NULL; c = next) {
        next = c->Next;
        PNET_BUFFER_LIST orig = c->ParentNetBufferList;
        orig->Status = c->Status;
        orig->Next = NULL;
        NdisFreeCloneNetBufferList(c, 0);
        *up_tail = orig;
        up_tail = &orig->Next;
        n++;
    }
    if (up != NULL)
        NdisMSendNetBufferListsComplete(
            a->miniport_handle, up, SendCompleteFlags & NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
    dp_put(a, &a->sends, n);
}

/* The clones carry the originals' cancel id (NdisCopySendNetBufferListInfo), so the
 * request is the lower binding's to honour. Nothing is queued here. */
VOID MiniportCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL)
        return;
    plat_spin_acquire(&a->dp_lock);
    NDIS_HANDLE below = a->lower != KDRV_EDGE_OFF ? a->lower_binding : NULL;
    plat_spin_release(&a->dp_lock);
    if (below != NULL)
        NdisCancelSendNetBufferLists(below, CancelId);
}

/* ---- receive: below -> above ----------------------------------------------------------- */

/* Pass-through: the lower adapter's NBLs go up unchanged, with the same flags. Without
 * NDIS_RECEIVE_FLAGS_RESOURCES they stay up until MiniportReturnNetBufferLists; with it
 * they are ours again when the indication returns, and the lower miniport reclaims them
 * when this handler returns, so nothing is given back by call. While the virtual miniport
 * is not running they go straight back down. */
VOID ProtocolReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST Nbls,
                                   NDIS_PORT_NUMBER PortNumber, ULONG Count, ULONG ReceiveFlags)
{
    (void)Count;   /* counted by walking the chain, as MiniportReturnNetBufferLists must */
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL || Nbls == NULL)
        return;
    int keep = (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) == 0;
    uint32_t n = nbl_count(Nbls);

    plat_spin_acquire(&a->dp_lock);
    int up = a->upper == KDRV_EDGE_RUNNING;
    if (up)
        a->recvs += n;
    plat_spin_release(&a->dp_lock);

    if (!up) {
        if (keep)
            NdisReturnNetBufferLists(a->lower_binding, Nbls,
                                     (ReceiveFlags & NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL)
                                         ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
        return;
    }
    NdisMIndicateReceiveNetBufferLists(a->miniport_handle, Nbls, PortNumber, n, ReceiveFlags);
    if (!keep)
        dp_put(a, &a->recvs, n);
}

/* NDIS returns what was indicated up without RESOURCES: give it back to the adapter below
 * (return flags map 1:1), then let a pause waiting for it finish. */
VOID MiniportReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST Nbls,
                                  ULONG ReturnFlags)
{
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL || Nbls == NULL)
        return;
    uint32_t n = nbl_count(Nbls);
    NdisReturnNetBufferLists(a->lower_binding, Nbls,
                             ReturnFlags & NDIS_RETURN_FLAGS_DISPATCH_LEVEL);
    dp_put(a, &a->recvs, n);
}

/* ---- the virtual miniport's states ----------------------------------------------------- */

/* Pausing: refuse new sends and indications; finish now if nothing is in flight, else
 * NdisMPauseComplete follows from dp_put. */
NDIS_STATUS MiniportPause(NDIS_HANDLE MiniportAdapterContext,
                          PNDIS_MINIPORT_PAUSE_PARAMETERS Params)
{
    (void)Params;
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL)
        return NDIS_STATUS_SUCCESS;
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    plat_spin_acquire(&a->dp_lock);
    if (a->sends == 0 && a->recvs == 0) {
        a->upper = KDRV_EDGE_PAUSED;
    } else {
        a->upper = KDRV_EDGE_PAUSING;
        st = NDIS_STATUS_PENDING;
    }
    plat_spin_release(&a->dp_lock);
    return st;
}

NDIS_STATUS MiniportRestart(NDIS_HANDLE MiniportAdapterContext,
                            PNDIS_MINIPORT_RESTART_PARAMETERS Params)
{
    (void)Params;
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL)
        return NDIS_STATUS_FAILURE;
    plat_spin_acquire(&a->dp_lock);
    a->upper = KDRV_EDGE_RUNNING;
    plat_spin_release(&a->dp_lock);
    return NDIS_STATUS_SUCCESS;
}

/* After MiniportInitializeEx the adapter is Paused; NDIS restarts it. */
void kdrv_dp_upper_started(kdrv_adapter *a)
{
    plat_spin_acquire(&a->dp_lock);
    a->upper = KDRV_EDGE_PAUSED;
    plat_spin_release(&a->dp_lock);
}

/* NDIS halts only a paused adapter, so no send or receive is up; a status indication
 * from below may still be on its way up and must finish before the handle goes. */
void kdrv_dp_upper_halted(kdrv_adapter *a)
{
    plat_spin_acquire(&a->dp_lock);
    a->upper = KDRV_EDGE_OFF;
    plat_spin_release(&a->dp_lock);
    dp_wait_zero(a, &a->status_calls);
}

/* ---- the lower binding's states -------------------------------------------------------- */

NDIS_STATUS kdrv_dp_bind(kdrv_adapter *a)
{
    NET_BUFFER_LIST_POOL_PARAMETERS p;
    plat_spin_init(&a->dp_lock);
    plat_memset(&p, 0, sizeof p);
    p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    p.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    p.Header.Size = (USHORT)sizeof p;
    p.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;   /* "miniport, filter and IM drivers: 0" */
    p.fAllocateNetBuffer = 0;                   /* clones bring their own NET_BUFFERs */
    p.ContextSize = 0;
    p.PoolTag = KDRV_TAG;
    p.DataSize = 0;
    a->nbl_pool = NdisAllocateNetBufferListPool(kdrv.protocol_driver, &p);
    return a->nbl_pool != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

void kdrv_dp_unbind(kdrv_adapter *a)
{
    if (a->nbl_pool != NULL)
        NdisFreeNetBufferListPool(a->nbl_pool);
    a->nbl_pool = NULL;
}

/* A binding is Paused once opened; NDIS restarts it with NetEventRestart. */
void kdrv_dp_lower_opened(kdrv_adapter *a)
{
    plat_spin_acquire(&a->dp_lock);
    a->lower = KDRV_EDGE_PAUSED;
    plat_spin_release(&a->dp_lock);
}

/* Before NdisCloseAdapterEx: no new send goes down, and the ones below complete first.
 * (NDIS unbinds only a paused binding, so this normally finds none.) */
void kdrv_dp_lower_closing(kdrv_adapter *a)
{
    plat_spin_acquire(&a->dp_lock);
    a->lower = KDRV_EDGE_OFF;
    plat_spin_release(&a->dp_lock);
    dp_wait_zero(a, &a->sends);
}

/* NetEventPause: stop sending, wait (PASSIVE_LEVEL, as the MUX sample does) until every
 * clone below has completed. NetEventRestart: send again. Other events: accepted. */
NDIS_STATUS kdrv_dp_lower_pnp(kdrv_adapter *a, const NET_PNP_EVENT_NOTIFICATION *ev)
{
    switch (ev->NetPnPEvent.NetEvent) {
    case NetEventPause:
        plat_spin_acquire(&a->dp_lock);
        a->lower = KDRV_EDGE_PAUSING;
        plat_spin_release(&a->dp_lock);
        dp_wait_zero(a, &a->sends);
        plat_spin_acquire(&a->dp_lock);
        a->lower = KDRV_EDGE_PAUSED;
        plat_spin_release(&a->dp_lock);
        break;
    case NetEventRestart:
        plat_spin_acquire(&a->dp_lock);
        a->lower = KDRV_EDGE_RUNNING;
        plat_spin_release(&a->dp_lock);
        break;
    default:
        break;
    }
    return NDIS_STATUS_SUCCESS;
}

/* ---- status indications: below -> above ------------------------------------------------ */

void kdrv_dp_link_state(kdrv_adapter *a, NDIS_LINK_STATE *out)
{
    plat_memset(out, 0, sizeof *out);
    plat_spin_acquire(&a->dp_lock);
    out->MediaConnectState = a->bind.MediaConnectState;
    out->MediaDuplexState = a->bind.MediaDuplexState;
    out->XmitLinkSpeed = a->bind.XmitLinkSpeed;
    out->RcvLinkSpeed = a->bind.RcvLinkSpeed;
    plat_spin_release(&a->dp_lock);
}

/* Which statuses of the adapter below the virtual miniport re-indicates: link state (as the
 * MUX sample does; the host stack needs it to use the adapter) and the chimney's
 * offload-wide statuses, which an IM passes up (ndis-chimney.md 2.9). Others - OID-related,
 * NDIS-generated (OPER_STATUS, PORT_STATE), RSS/VMQ/PM ones for capabilities the virtual
 * miniport never advertised - stay below. */
static int status_goes_up(NDIS_STATUS code)
{
    switch (code) {
    case NDIS_STATUS_LINK_STATE:
    case NDIS_STATUS_OFFLOAD_PAUSE:
    case NDIS_STATUS_OFFLOAD_RESUME:
    case NDIS_STATUS_UPLOAD_ALL:
    case NDIS_STATUS_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES:
        return 1;
    default:
        return 0;
    }
}

/* Re-indicate with our miniport as the source and no destination; like the MUX sample,
 * only the code and the buffer are passed up (the port, request id and flags belong to the
 * lower binding). Link state is also remembered for a virtual miniport initialized later. */
VOID ProtocolStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION Status)
{
    NDIS_STATUS_INDICATION up;
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL || Status == NULL || !status_goes_up(Status->StatusCode))
        return;
    const NDIS_LINK_STATE *ls = NULL;
    if (Status->StatusCode == NDIS_STATUS_LINK_STATE && Status->StatusBuffer != NULL &&
        Status->StatusBufferSize >= sizeof(NDIS_LINK_STATE))
        ls = Status->StatusBuffer;

    plat_spin_acquire(&a->dp_lock);
    if (ls != NULL) {
        a->bind.MediaConnectState = ls->MediaConnectState;
        a->bind.MediaDuplexState = ls->MediaDuplexState;
        a->bind.XmitLinkSpeed = ls->XmitLinkSpeed;
        a->bind.RcvLinkSpeed = ls->RcvLinkSpeed;
    }
    NDIS_HANDLE mp = a->upper != KDRV_EDGE_OFF ? a->miniport_handle : NULL;
    if (mp != NULL)
        a->status_calls++;
    plat_spin_release(&a->dp_lock);
    if (mp == NULL)
        return;

    plat_memset(&up, 0, sizeof up);
    up.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
    up.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
    up.Header.Size = (USHORT)sizeof up;
    up.SourceHandle = mp;
    up.StatusCode = Status->StatusCode;
    up.StatusBuffer = Status->StatusBuffer;
    up.StatusBufferSize = Status->StatusBufferSize;
    NdisMIndicateStatusEx(mp, &up);
    dp_put(a, &a->status_calls, 1);
}
