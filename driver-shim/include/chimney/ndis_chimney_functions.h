/*
 * ndis_chimney_functions.h - prototypes of the NDIS functions on the chimney path, with
 * their real names and signatures: the 17 chimney exports of ndis.sys (reference §1.2-1.4,
 * export list §1.6) and NdisSetOptionalHandlers (§1.5), which registers the chimney
 * characteristics. mingw-w64 declares none of the chimney functions, so the Windows build
 * takes them from here too and links them against libndis.a.
 *
 * Included only by the IM driver (driver-shim/imdriver/) and the NDIS model (replay/ndis/),
 * which defines the ten state-operation functions and NdisSetOptionalHandlers on Linux.
 * Everything a real <ndis.h> already has (CHIMNEY_HAVE_WINDOWS_TYPES) is left to it.
 */
#ifndef CHIMNEY_NDIS_CHIMNEY_FUNCTIONS_H
#define CHIMNEY_NDIS_CHIMNEY_FUNCTIONS_H

#include "ndis_chimney.h"

/* STATUS_INVALID_PARAMETER, as ndis.h spells it: a bad registration struct or handle. */
#ifndef NDIS_STATUS_INVALID_PARAMETER
#define NDIS_STATUS_INVALID_PARAMETER ((NDIS_STATUS)0xC0000065L)
#endif

/* Revision 1 of the two PROVIDER characteristics structs. The WDK value is UNCONFIRMED
 * (reference §1.5, §5); 1 matches every other chimney struct's first revision. */
#ifndef NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1
#define NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1 1
#endif
#ifndef NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1
#define NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1 1
#endif

/* A real ndis.h defines NDIS_DRIVER_OPTIONAL_HANDLERS and declares NdisSetOptionalHandlers
 * (NDIS 6.0); on Linux both come from here. The struct is header-only: the Header.Type of
 * the object passed in says which characteristics struct it really is. */
#ifndef CHIMNEY_HAVE_WINDOWS_TYPES
typedef struct _NDIS_DRIVER_OPTIONAL_HANDLERS {
    NDIS_OBJECT_HEADER Header;
} NDIS_DRIVER_OPTIONAL_HANDLERS, *PNDIS_DRIVER_OPTIONAL_HANDLERS;

NDIS_STATUS CHIMNEY_API NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle,
                                                PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers);
#endif

/* A WDK ndischimney.h (guard _CHIMNEY_OFFLOAD_) declares the chimney exports itself.
 * CHIMNEY_API is also the calling convention of the exports (stdcall on a future x86
 * kernel build, like every NDIS export). */
#ifndef _CHIMNEY_OFFLOAD_

/* ---- state manipulation, protocol side (§1.2): NdisBindingHandle from NdisOpenAdapterEx */
VOID CHIMNEY_API NdisInitiateOffload(NDIS_HANDLE NdisBindingHandle,
                                     PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisTerminateOffload(NDIS_HANDLE NdisBindingHandle,
                                      PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisUpdateOffload(NDIS_HANDLE NdisBindingHandle,
                                   PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisQueryOffloadState(NDIS_HANDLE NdisBindingHandle,
                                       PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisInvalidateOffload(NDIS_HANDLE NdisBindingHandle,
                                       PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);

/* ---- state manipulation, completions from the lower miniport (§1.2) ------------------ */
VOID CHIMNEY_API NdisMInitiateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                              PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisMTerminateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                               PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisMUpdateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                            PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisMQueryOffloadStateComplete(NDIS_HANDLE NdisMiniportHandle,
                                                PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
VOID CHIMNEY_API NdisMInvalidateOffloadComplete(NDIS_HANDLE NdisMiniportHandle,
                                                PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);

/* ---- indications and event-handler lookup (§1.3) -------------------------------------- */
/* IndicationCode is an INDICATE_OFFLOAD_EVENT; the list is one neighbor block or NULL. */
VOID CHIMNEY_API NdisMOffloadEventIndicate(NDIS_HANDLE NdisMiniportHandle,
                                           PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList,
                                           ULONG IndicationCode);
/* From MiniportInitializeEx, once per chimney type: STATUS_SUCCESS or STATUS_NOT_SUPPORTED. */
NDIS_STATUS CHIMNEY_API NdisMGetOffloadHandlers(NDIS_HANDLE NdisMiniportHandle,
                                                NDIS_CHIMNEY_OFFLOAD_TYPE ChimneyType,
                                                PNDIS_OFFLOAD_EVENT_HANDLERS *OffloadHandlers);

/* ---- TCP data path, protocol side (§1.4): the four below always return PENDING ------- */
NDIS_STATUS CHIMNEY_API NdisOffloadTcpSend(PNDIS_OFFLOAD_HANDLE NdisOffloadHandle,
                                           PNET_BUFFER_LIST NetBufferList);
NDIS_STATUS CHIMNEY_API NdisOffloadTcpReceive(PNDIS_OFFLOAD_HANDLE NdisOffloadHandle,
                                              PNET_BUFFER_LIST NetBufferList);
NDIS_STATUS CHIMNEY_API NdisOffloadTcpForward(PNDIS_OFFLOAD_HANDLE NdisOffloadHandle,
                                              PNET_BUFFER_LIST NetBufferList);
NDIS_STATUS CHIMNEY_API NdisOffloadTcpDisconnect(PNDIS_OFFLOAD_HANDLE NdisOffloadHandle,
                                                 PNET_BUFFER_LIST NetBufferList, ULONG Flags);
/* Returns receive-indicated NBLs, synchronously. The header copy declares it VOID (the DDI
 * page says "always NDIS_STATUS_SUCCESS"); the header wins (§1.4). */
VOID CHIMNEY_API NdisOffloadTcpReceiveReturn(NDIS_HANDLE NdisBindingHandle,
                                             PNET_BUFFER_LIST NetBufferList);

#endif /* _CHIMNEY_OFFLOAD_ */

#endif /* CHIMNEY_NDIS_CHIMNEY_FUNCTIONS_H */
