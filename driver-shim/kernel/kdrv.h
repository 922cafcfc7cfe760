/* kdrv.h - private state of chimshim.sys's kernel glue (driver.c, miniport.c, protocol.c,
 * control.c): the driver-wide handles and, per bound lower adapter, what NDIS handed out.
 *
 * The IM driver's chimney handlers take the im_adapter as MiniportAdapterContext and as
 * ProtocolBindingContext (imdriver/im.h), so the glue gives NDIS exactly that pointer for
 * both edges and finds its own per-adapter state (kdrv_adapter) by looking it up.
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

typedef struct kdrv_adapter {
    struct kdrv_adapter *next;           /* kdrv.adapters */
    im_adapter *im;                      /* the NDIS context of both edges */
    NDIS_HANDLE bind_context;            /* pending bind, for NdisCompleteBindAdapterEx */
    NDIS_HANDLE unbind_context;          /* pending unbind, for NdisCompleteUnbindAdapterEx */
    NDIS_HANDLE lower_binding;           /* NdisBindingHandle from NdisOpenAdapterEx */
    NDIS_HANDLE miniport_handle;         /* NdisMiniportHandle of the upper edge, or NULL */
    UINT medium_index;
    int instance_started;                /* NdisIMInitializeDeviceInstanceEx succeeded */
    NDIS_STRING instance_name;           /* upper miniport device instance (UpperBindings) */
    WCHAR instance_buf[KDRV_NAME_CHARS];
    NDIS_BIND_PARAMETERS lower;          /* copied at bind: what the upper edge reports */
} kdrv_adapter;

typedef struct kdrv_globals {
    PDRIVER_OBJECT driver_object;
    NDIS_HANDLE miniport_driver;         /* NdisMRegisterMiniportDriver */
    NDIS_HANDLE protocol_driver;         /* NdisRegisterProtocolDriver */
    NDIS_HANDLE device_handle;           /* NdisRegisterDeviceEx */
    PDEVICE_OBJECT device;
    shim *tracer;
    plat_spinlock lock;                  /* adapters */
    kdrv_adapter *adapters;
} kdrv_globals;

extern kdrv_globals kdrv;

/* driver.c: the adapter list. kdrv_find returns NULL for an unknown context. */
void kdrv_adapter_add(kdrv_adapter *a);
void kdrv_adapter_remove(kdrv_adapter *a);
kdrv_adapter *kdrv_find(NDIS_HANDLE im_context);

/* miniport.c / protocol.c: fill the characteristics NDIS registers. */
void kdrv_miniport_characteristics(NDIS_MINIPORT_DRIVER_CHARACTERISTICS *c);
void kdrv_protocol_characteristics(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *c);

/* miniport.c: a clone that went down pending completed (protocol.c's OidRequestComplete). */
void kdrv_oid_complete(kdrv_adapter *a, PNDIS_OID_REQUEST clone, NDIS_STATUS st);

/* protocol.c: close the lower binding and free `a` (IM adapter included). Returns
 * NDIS_STATUS_PENDING when the close completes later (ProtocolCloseAdapterCompleteEx frees
 * `a` then, and completes a pending unbind); `a` must not be used after the call. */
NDIS_STATUS kdrv_close_lower(kdrv_adapter *a);

/* control.c: the control device (\Device\ChimShim). */
NDIS_STATUS kdrv_control_register(void);
void kdrv_control_deregister(void);

#endif
