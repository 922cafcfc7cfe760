/* miniport.c - the IM driver's upper edge as NDIS sees it: the NDIS 6 miniport handlers of
 * an intermediate driver's virtual adapter. The chimney state handlers of this edge are
 * the IM driver's own (imdriver/im_upper.c), registered from MiniportSetOptions.
 *
 * The adapter mirrors what NDIS reported for the lower adapter at bind time (link state as
 * last indicated). OID requests are cloned and passed down. The data-path handlers of this
 * edge (send, return, cancel, pause, restart) are datapath.c's, registered here.
 */
#include "kdrv.h"

static NDIS_STATUS MiniportSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    (void)DriverContext;
    return im_register_provider(NdisDriverHandle);
}

static NDIS_STATUS MiniportInitializeEx(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE DriverContext,
                                        PNDIS_MINIPORT_INIT_PARAMETERS Params)
{
    NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg;
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen;
    (void)DriverContext;
    (void)Params;
    kdrv_adapter *a = NdisIMGetDeviceContext(NdisMiniportHandle);
    if (a == NULL)
        return NDIS_STATUS_FAILURE;

    plat_memset(&reg, 0, sizeof reg);
    reg.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    reg.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    reg.Header.Size = (USHORT)sizeof reg;
    reg.MiniportAdapterContext = a->im;
    reg.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND;
    reg.InterfaceType = NdisInterfaceInternal;
    NDIS_STATUS st = NdisMSetMiniportAttributes(NdisMiniportHandle,
                                                (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&reg);
    if (st != NDIS_STATUS_SUCCESS)
        return st;

    const NDIS_BIND_PARAMETERS *lo = &a->bind;
    NDIS_LINK_STATE link;
    kdrv_dp_link_state(a, &link);
    plat_memset(&gen, 0, sizeof gen);
    gen.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    gen.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    gen.Header.Size = (USHORT)sizeof gen;
    gen.MediaType = lo->MediaType;
    gen.PhysicalMediumType = lo->PhysicalMediumType;
    gen.MtuSize = lo->MtuSize;
    gen.MaxXmitLinkSpeed = lo->MaxXmitLinkSpeed;
    gen.XmitLinkSpeed = link.XmitLinkSpeed;
    gen.MaxRcvLinkSpeed = lo->MaxRcvLinkSpeed;
    gen.RcvLinkSpeed = link.RcvLinkSpeed;
    gen.MediaConnectState = link.MediaConnectState;
    gen.MediaDuplexState = link.MediaDuplexState;
    gen.LookaheadSize = lo->LookaheadSize;
    gen.MacOptions = lo->MacOptions;
    gen.SupportedPacketFilters = lo->SupportedPacketFilters;
    gen.MaxMulticastListSize = lo->MaxMulticastListSize;
    gen.MacAddressLength = lo->MacAddressLength;
    plat_memcpy(gen.PermanentMacAddress, lo->CurrentMacAddress, NDIS_MAX_PHYS_ADDRESS_LENGTH);
    plat_memcpy(gen.CurrentMacAddress, lo->CurrentMacAddress, NDIS_MAX_PHYS_ADDRESS_LENGTH);
    gen.AccessType = lo->AccessType;
    gen.DirectionType = lo->DirectionType;
    gen.ConnectionType = lo->ConnectionType;
    gen.IfType = lo->IfType;
    gen.IfConnectorPresent = 0;          /* a virtual adapter */
    gen.DataBackFillSize = lo->DataBackFillSize;
    gen.ContextBackFillSize = lo->ContextBackFillSize;
    st = NdisMSetMiniportAttributes(NdisMiniportHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&gen);
    if (st != NDIS_STATUS_SUCCESS)
        return st;

    a->miniport_handle = NdisMiniportHandle;
    im_attach(a->im, NdisMiniportHandle, a->lower_binding);
    kdrv_dp_upper_started(a);
    return NDIS_STATUS_SUCCESS;
}

static VOID MiniportHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    (void)HaltAction;
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL)
        return;
    /* No chimney request can arrive once NDIS halts the adapter; completions from below
     * still find the lower binding. NDIS halts a paused adapter: no NBL is up. */
    kdrv_dp_upper_halted(a);
    a->miniport_handle = NULL;
    im_attach(a->im, NULL, a->lower_binding);
}

/* Copy the results of a passed-down clone back into the request from above. */
static void oid_copy_back(PNDIS_OID_REQUEST orig, const NDIS_OID_REQUEST *clone)
{
    switch (orig->RequestType) {
    case NdisRequestMethod:
        orig->DATA.METHOD_INFORMATION.BytesWritten = clone->DATA.METHOD_INFORMATION.BytesWritten;
        orig->DATA.METHOD_INFORMATION.BytesRead = clone->DATA.METHOD_INFORMATION.BytesRead;
        orig->DATA.METHOD_INFORMATION.BytesNeeded = clone->DATA.METHOD_INFORMATION.BytesNeeded;
        break;
    case NdisRequestSetInformation:
        orig->DATA.SET_INFORMATION.BytesRead = clone->DATA.SET_INFORMATION.BytesRead;
        orig->DATA.SET_INFORMATION.BytesNeeded = clone->DATA.SET_INFORMATION.BytesNeeded;
        break;
    default:
        orig->DATA.QUERY_INFORMATION.BytesWritten = clone->DATA.QUERY_INFORMATION.BytesWritten;
        orig->DATA.QUERY_INFORMATION.BytesNeeded = clone->DATA.QUERY_INFORMATION.BytesNeeded;
        break;
    }
}

/* The request from above travels in the clone's SourceReserved (ours as the clone's source). */
static NDIS_STATUS MiniportOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST Req)
{
    PNDIS_OID_REQUEST clone = NULL;
    kdrv_adapter *a = kdrv_find(MiniportAdapterContext);
    if (a == NULL || a->lower_binding == NULL)
        return NDIS_STATUS_ADAPTER_NOT_READY;
    NDIS_STATUS st = NdisAllocateCloneOidRequest(a->lower_binding, Req, KDRV_TAG, &clone);
    if (st != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_RESOURCES;
    *(PNDIS_OID_REQUEST *)(void *)clone->SourceReserved = Req;
    st = NdisOidRequest(a->lower_binding, clone);
    if (st != NDIS_STATUS_PENDING) {
        oid_copy_back(Req, clone);
        NdisFreeCloneOidRequest(a->lower_binding, clone);
    }
    return st;
}

void kdrv_oid_complete(kdrv_adapter *a, PNDIS_OID_REQUEST clone, NDIS_STATUS st)
{
    PNDIS_OID_REQUEST orig = *(PNDIS_OID_REQUEST *)(void *)clone->SourceReserved;
    oid_copy_back(orig, clone);
    NdisFreeCloneOidRequest(a->lower_binding, clone);
    if (a->miniport_handle != NULL)
        NdisMOidRequestComplete(a->miniport_handle, orig, st);
}

static VOID MiniportCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
    (void)MiniportAdapterContext;
    (void)RequestId;   /* requests below complete on their own; nothing is queued here */
}

static VOID MiniportDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext,
                                         PNET_DEVICE_PNP_EVENT Event)
{
    (void)MiniportAdapterContext;
    (void)Event;
}

static VOID MiniportShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION Action)
{
    (void)MiniportAdapterContext;
    (void)Action;
}

void kdrv_miniport_characteristics(NDIS_MINIPORT_DRIVER_CHARACTERISTICS *c)
{
    plat_memset(c, 0, sizeof *c);
    c->Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    c->Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    c->Header.Size = (USHORT)sizeof *c;
    c->MajorNdisVersion = 6;
    c->MinorNdisVersion = 0;
    c->MajorDriverVersion = 0;
    c->MinorDriverVersion = 1;
    c->Flags = NDIS_INTERMEDIATE_DRIVER;
    c->SetOptionsHandler = MiniportSetOptions;
    c->InitializeHandlerEx = MiniportInitializeEx;
    c->HaltHandlerEx = MiniportHaltEx;
    c->PauseHandler = MiniportPause;
    c->RestartHandler = MiniportRestart;
    c->OidRequestHandler = MiniportOidRequest;
    c->SendNetBufferListsHandler = MiniportSendNetBufferLists;
    c->ReturnNetBufferListsHandler = MiniportReturnNetBufferLists;
    c->CancelSendHandler = MiniportCancelSend;
    c->DevicePnPEventNotifyHandler = MiniportDevicePnPEventNotify;
    c->ShutdownHandlerEx = MiniportShutdownEx;
    c->CancelOidRequestHandler = MiniportCancelOidRequest;
    /* CheckForHang and Reset: NULL, as NDIS 6 allows for an IM's virtual miniport. */
}
