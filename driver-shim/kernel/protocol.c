/* protocol.c - the IM driver's lower edge as NDIS sees it: the NDIS 6 protocol handlers
 * that bind to an adapter below, open it and start the IM's virtual adapter above it. The
 * chimney completion handlers of this edge are the IM driver's own (imdriver/im_lower.c),
 * registered from ProtocolSetOptions.
 *
 * Bind: im_create (its im_adapter is the binding context) -> NBL pool for send clones ->
 * NdisOpenAdapterEx -> (OpenAdapterComplete) -> read UpperBindings ->
 * NdisIMInitializeDeviceInstanceEx. Unbind: NdisIMDeInitializeDeviceInstance (halts the
 * upper edge) -> wait for sends below -> NdisCloseAdapterEx -> (CloseAdapterComplete) ->
 * pool freed, im_destroy. The data-path handlers of this edge (receive, send complete,
 * status) are datapath.c's, registered here.
 */
#include "kdrv.h"

/* NDIS 5 configuration calls, still exported by ndis.sys (mingw's ndis.h is not used). */
typedef struct _NDIS_CONFIGURATION_PARAMETER {
    int ParameterType;                   /* NDIS_PARAMETER_TYPE */
    union {
        ULONG IntegerData;
        NDIS_STRING StringData;
    } ParameterData;
} NDIS_CONFIGURATION_PARAMETER, *PNDIS_CONFIGURATION_PARAMETER;
#define NdisParameterString 2
VOID NdisOpenProtocolConfiguration(PNDIS_STATUS Status, PNDIS_HANDLE ConfigurationHandle,
                                   PNDIS_STRING ProtocolSection);
VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
                           NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword, int ParameterType);
VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle);

static NDIS_MEDIUM kdrv_media[] = {0 /* NdisMedium802_3 */};

static void adapter_free(kdrv_adapter *a)
{
    kdrv_dp_unbind(a);
    im_destroy(a->im);
    plat_free(a, KDRV_TAG);
}

/* The upper device instance this binding's virtual adapter gets: UpperBindings under the
 * protocol's per-binding key, written by the .inf's notify object / NetCfg. */
static NDIS_STATUS read_upper_binding(kdrv_adapter *a, PNDIS_STRING protocol_section)
{
    static WCHAR key_chars[] = L"UpperBindings";
    NDIS_STRING key = {sizeof key_chars - sizeof(WCHAR), sizeof key_chars, key_chars};
    NDIS_HANDLE cfg = NULL;
    PNDIS_CONFIGURATION_PARAMETER param = NULL;
    NDIS_STATUS st;
    NdisOpenProtocolConfiguration(&st, &cfg, protocol_section);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    NdisReadConfiguration(&st, &param, cfg, &key, NdisParameterString);
    if (st == NDIS_STATUS_SUCCESS) {
        USHORT n = param->ParameterData.StringData.Length;
        if (n > sizeof a->instance_buf)
            st = NDIS_STATUS_RESOURCES;
        else {
            plat_memcpy(a->instance_buf, param->ParameterData.StringData.Buffer, n);
            a->instance_name.Buffer = a->instance_buf;
            a->instance_name.Length = n;
            a->instance_name.MaximumLength = (USHORT)sizeof a->instance_buf;
        }
    }
    NdisCloseConfiguration(cfg);
    return st;
}

/* After the lower open finished (at once or in OpenAdapterComplete). On failure `a` is
 * gone when this returns (freed here, or by CloseAdapterComplete): callers must not touch
 * it again. */
static NDIS_STATUS bind_finish(kdrv_adapter *a, NDIS_STATUS st)
{
    if (st != NDIS_STATUS_SUCCESS) {
        adapter_free(a);           /* nothing was opened */
        return st;
    }
    kdrv_dp_lower_opened(a);       /* Paused until NDIS sends NetEventRestart */
    st = NdisIMInitializeDeviceInstanceEx(kdrv.miniport_driver, &a->instance_name, a);
    if (st == NDIS_STATUS_SUCCESS)
        a->instance_started = 1;
    else
        (void)kdrv_close_lower(a); /* the failed bind still closes what it opened */
    return st;
}

static NDIS_STATUS ProtocolBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                         PNDIS_BIND_PARAMETERS BindParameters)
{
    NDIS_OPEN_PARAMETERS op;
    (void)ProtocolDriverContext;
    kdrv_adapter *a = plat_alloc(sizeof *a, KDRV_TAG);
    if (a == NULL)
        return NDIS_STATUS_RESOURCES;
    plat_memcpy(&a->bind, BindParameters, sizeof a->bind);
    a->bind_context = BindContext;
    NDIS_STATUS st = read_upper_binding(a, BindParameters->ProtocolSection);
    if (st == NDIS_STATUS_SUCCESS)
        st = im_create(kdrv.tracer, &a->im);
    if (st == NDIS_STATUS_SUCCESS) {
        im_set_owner(a->im, a);
        st = kdrv_dp_bind(a);
    }      /* the pool for send clones */
    if (st != NDIS_STATUS_SUCCESS) {
        kdrv_dp_unbind(a);
        im_destroy(a->im);
        plat_free(a, KDRV_TAG);
        return st;
    }

    plat_memset(&op, 0, sizeof op);
    op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
    op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
    op.Header.Size = (USHORT)sizeof op;
    op.AdapterName = BindParameters->AdapterName;
    op.MediumArray = kdrv_media;
    op.MediumArraySize = sizeof kdrv_media / sizeof kdrv_media[0];
    op.SelectedMediumIndex = &a->medium_index;
    st = NdisOpenAdapterEx(kdrv.protocol_driver, a->im, &op, BindContext, &a->lower_binding);
    if (st == NDIS_STATUS_PENDING)
        return st;                 /* ProtocolOpenAdapterCompleteEx finishes the bind */
    return bind_finish(a, st);
}

static VOID ProtocolOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL)
        return;
    NDIS_HANDLE bind_context = a->bind_context;
    NdisCompleteBindAdapterEx(bind_context, bind_finish(a, Status));
}

NDIS_STATUS kdrv_close_lower(kdrv_adapter *a)
{
    if (a->lower_binding != NULL)
        kdrv_dp_lower_closing(a);      /* no send goes down any more; none is left below */
    if (a->lower_binding != NULL && NdisCloseAdapterEx(a->lower_binding) == NDIS_STATUS_PENDING)
        return NDIS_STATUS_PENDING;    /* ProtocolCloseAdapterCompleteEx frees it */
    adapter_free(a);
    return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS ProtocolUnbindAdapterEx(NDIS_HANDLE UnbindContext,
                                           NDIS_HANDLE ProtocolBindingContext)
{
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL)
        return NDIS_STATUS_SUCCESS;
    /* The virtual miniport goes first: NDIS halts it before this returns. */
    if (a->miniport_handle != NULL)
        (void)NdisIMDeInitializeDeviceInstance(a->miniport_handle);
    else if (a->instance_started)
        (void)NdisIMCancelInitializeDeviceInstance(kdrv.miniport_driver, &a->instance_name);
    a->unbind_context = UnbindContext;
    return kdrv_close_lower(a);        /* PENDING: NdisCompleteUnbindAdapterEx follows */
}

static VOID ProtocolCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL)
        return;
    NDIS_HANDLE unbind_context = a->unbind_context;
    adapter_free(a);
    if (unbind_context != NULL)
        NdisCompleteUnbindAdapterEx(unbind_context);
}

static NDIS_STATUS ProtocolSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    (void)DriverContext;
    return im_register_client(NdisDriverHandle);
}

/* Pause and restart of the binding drive the data path (datapath.c); events without a
 * binding (ProtocolBindingContext NULL) and the rest are accepted. */
static NDIS_STATUS ProtocolNetPnPEvent(NDIS_HANDLE ProtocolBindingContext,
                                       PNET_PNP_EVENT_NOTIFICATION Event)
{
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a == NULL || Event == NULL)
        return NDIS_STATUS_SUCCESS;
    return kdrv_dp_lower_pnp(a, Event);
}

static VOID ProtocolOidRequestComplete(NDIS_HANDLE ProtocolBindingContext,
                                       PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    kdrv_adapter *a = kdrv_find(ProtocolBindingContext);
    if (a != NULL)
        kdrv_oid_complete(a, OidRequest, Status);
}

void kdrv_protocol_characteristics(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *c)
{
    static WCHAR name[] = L"chimshim";   /* the service name in chimshim.inf */
    plat_memset(c, 0, sizeof *c);
    c->Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
    c->Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    c->Header.Size = (USHORT)sizeof *c;
    c->MajorNdisVersion = 6;
    c->MinorNdisVersion = 0;
    c->MajorDriverVersion = 0;
    c->MinorDriverVersion = 1;
    c->Name.Buffer = name;
    c->Name.Length = (USHORT)(sizeof name - sizeof(WCHAR));
    c->Name.MaximumLength = (USHORT)sizeof name;
    c->SetOptionsHandler = ProtocolSetOptions;
    c->BindAdapterHandlerEx = ProtocolBindAdapterEx;
    c->UnbindAdapterHandlerEx = ProtocolUnbindAdapterEx;
    c->OpenAdapterCompleteHandlerEx = ProtocolOpenAdapterCompleteEx;
    c->CloseAdapterCompleteHandlerEx = ProtocolCloseAdapterCompleteEx;
    c->NetPnPEventHandler = ProtocolNetPnPEvent;
    c->OidRequestCompleteHandler = ProtocolOidRequestComplete;
    c->StatusHandlerEx = ProtocolStatusEx;
    c->ReceiveNetBufferListsHandler = ProtocolReceiveNetBufferLists;
    c->SendNetBufferListsCompleteHandler = ProtocolSendNetBufferListsComplete;
}
