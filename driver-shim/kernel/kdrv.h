/* kdrv.h - private state of chimshim.sys's kernel glue (driver.c, miniport.c, protocol.c,
 * datapath.c, control.c): the driver-wide handles and, per bound lower adapter, what NDIS
 * handed out and the data path's state.
 *
 * The IM driver's chimney handlers take the im_adapter as MiniportAdapterContext and as
 * ProtocolBindingContext (imdriver/im.h), so the glue gives NDIS exactly that pointer for
 * both edges and finds its own per-adapter state (kdrv_adapter) by looking it up. The NBL
 * data path of both edges lives in datapath.c.
 */
#ifndef CHIMSHIM_KDRV_H
#define CHIMSHIM_KDRV_H

#include "ndis6.h"

#include "im.h"
#include "platform_kernel.h"
#include "shim.h"

#define KDRV_TAG PLAT_TAG('C', 'h', 'K', 'd')
#define KDRV_RING_BYTES (1u << 20)      /* per processor */
#define KDRV_MAX_BLOCKS 256u
#define KDRV_NAME_CHARS 128u

/* Data-path state of one edge (kdrv_adapter.upper, .lower). OFF: no miniport / no open
 * binding. An edge carries traffic only while RUNNING; PAUSING waits for what is in flight
 * (datapath.c). */
enum { KDRV_EDGE_OFF = 0, KDRV_EDGE_PAUSED, KDRV_EDGE_PAUSING, KDRV_EDGE_RUNNING };

typedef struct kdrv_adapter {
    im_adapter *im;                      /* the NDIS context of both edges */
    NDIS_HANDLE bind_context;            /* pending bind, for NdisCompleteBindAdapterEx */
    NDIS_HANDLE unbind_context;          /* pending unbind, for NdisCompleteUnbindAdapterEx */
    NDIS_HANDLE lower_binding;           /* NdisBindingHandle from NdisOpenAdapterEx */
    NDIS_HANDLE miniport_handle;         /* NdisMiniportHandle of the upper edge, or NULL */
    UINT medium_index;
    int instance_started;                /* NdisIMInitializeDeviceInstanceEx succeeded */
    NDIS_STRING instance_name;           /* upper miniport device instance (UpperBindings) */
    WCHAR instance_buf[KDRV_NAME_CHARS];
    NDIS_BIND_PARAMETERS bind;           /* copied at bind: what the upper edge reports;
                                          * link state kept current under dp_lock */
    /* data path (datapath.c); everything below under dp_lock */
    plat_spinlock dp_lock;
    uint32_t upper;                      /* KDRV_EDGE_*: the virtual miniport */
    uint32_t lower;                      /* KDRV_EDGE_*: the binding to the adapter below */
    uint32_t sends;                      /* NBLs from above not yet completed up */
    uint32_t recvs;                      /* NBLs indicated up not yet returned */
    uint32_t status_calls;               /* NdisMIndicateStatusEx calls in progress */
    NDIS_HANDLE nbl_pool;                /* clones of the sends, NdisAllocateNetBufferListPool */
} kdrv_adapter;

typedef struct kdrv_globals {
    PDRIVER_OBJECT driver_object;
    NDIS_HANDLE miniport_driver;         /* NdisMRegisterMiniportDriver */
    NDIS_HANDLE protocol_driver;         /* NdisRegisterProtocolDriver */
    NDIS_HANDLE device_handle;           /* NdisRegisterDeviceEx */
    PDEVICE_OBJECT device;
    shim *tracer;
} kdrv_globals;

extern kdrv_globals kdrv;

/* The binding state of the IM adapter NDIS passes as a handler's context (the IM adapter
 * serves both edges, im.h): kept with the adapter by im_set_owner at bind, so the data
 * path finds it without a lookup or a lock. NULL for NULL. NDIS makes no call with a
 * context after its halt/close, when the adapter is freed. */
static inline kdrv_adapter *kdrv_find(NDIS_HANDLE im_context)
{
    return im_context != NULL ? (kdrv_adapter *)im_owner((const im_adapter *)im_context) : NULL;
}

/* miniport.c / protocol.c: fill the characteristics NDIS registers. */
void kdrv_miniport_characteristics(NDIS_MINIPORT_DRIVER_CHARACTERISTICS *c);
void kdrv_protocol_characteristics(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *c);

/* miniport.c: a clone that went down pending completed (protocol.c's OidRequestComplete). */
void kdrv_oid_complete(kdrv_adapter *a, PNDIS_OID_REQUEST clone, NDIS_STATUS st);

/* protocol.c: close the lower binding and free `a` (IM adapter included). Returns
 * NDIS_STATUS_PENDING when the close completes later (ProtocolCloseAdapterCompleteEx frees
 * `a` then, and completes a pending unbind); `a` must not be used after the call. */
NDIS_STATUS kdrv_close_lower(kdrv_adapter *a);

/* datapath.c: the NBL data path of both edges, pause/restart and status forwarding.
 * Handlers NDIS calls (registered by miniport.c and protocol.c): */
VOID MiniportSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST Nbls,
                                NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
VOID MiniportReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST Nbls,
                                  ULONG ReturnFlags);
VOID MiniportCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId);
NDIS_STATUS MiniportPause(NDIS_HANDLE MiniportAdapterContext,
                          PNDIS_MINIPORT_PAUSE_PARAMETERS Params);
NDIS_STATUS MiniportRestart(NDIS_HANDLE MiniportAdapterContext,
                            PNDIS_MINIPORT_RESTART_PARAMETERS Params);
VOID ProtocolReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST Nbls,
                                   NDIS_PORT_NUMBER PortNumber, ULONG Count, ULONG ReceiveFlags);
VOID ProtocolSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext,
                                        PNET_BUFFER_LIST Nbls, ULONG SendCompleteFlags);
VOID ProtocolStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION Status);
/* Lifecycle hooks (PASSIVE_LEVEL). kdrv_dp_bind creates the send-clone pool (before the
 * open); kdrv_dp_unbind frees it (the adapter's last step). kdrv_dp_lower_opened /
 * _lower_closing bracket the open binding (closing waits for sends still below);
 * kdrv_dp_upper_started / _upper_halted bracket the virtual miniport (halted waits for a
 * status indication in progress). kdrv_dp_lower_pnp handles NetEventPause (waits until no
 * send is below) and NetEventRestart, and returns the event's status. */
NDIS_STATUS kdrv_dp_bind(kdrv_adapter *a);
void kdrv_dp_unbind(kdrv_adapter *a);
void kdrv_dp_lower_opened(kdrv_adapter *a);
void kdrv_dp_lower_closing(kdrv_adapter *a);
void kdrv_dp_upper_started(kdrv_adapter *a);
void kdrv_dp_upper_halted(kdrv_adapter *a);
NDIS_STATUS kdrv_dp_lower_pnp(kdrv_adapter *a, const NET_PNP_EVENT_NOTIFICATION *ev);
/* The lower adapter's link state as last reported (bind parameters, then
 * NDIS_STATUS_LINK_STATE), for the virtual miniport's general attributes. */
void kdrv_dp_link_state(kdrv_adapter *a, NDIS_LINK_STATE *out);

/* control.c: the control device (\Device\ChimShim). */
NDIS_STATUS kdrv_control_register(void);
void kdrv_control_deregister(void);

#endif
