/*
 * ndis_chimney_handlers.h - chimney handler typedefs (reference §1.2-1.4) and the
 * characteristics / event-handler structs that carry them (§1.5). Split from
 * ndis_chimney.h to keep files small; include <chimney/ndis_chimney.h>, not this file.
 * Every typedef is a plain function pointer, as in the WDK header (§1.2); CHIMNEY_API is
 * the calling-convention hook for a future x86 (stdcall) build.
 */
#ifndef CHIMNEY_NDIS_CHIMNEY_HANDLERS_H
#define CHIMNEY_NDIS_CHIMNEY_HANDLERS_H

#ifndef CHIMNEY_NDIS_CHIMNEY_H
#error "include <chimney/ndis_chimney.h> instead of ndis_chimney_handlers.h"
#endif

/* --------------------------------------------------------------------------------------
 * State manipulation (§1.2). NDIS calls the lower miniport's W_* handler with the MOBL
 * view; the handler stores the pointer and returns, and completion is always asynchronous
 * through NdisM*Complete, after which NDIS calls the upper driver's *_COMPLETE_HANDLER with
 * the POBL view of the same memory.
 * ------------------------------------------------------------------------------------ */
typedef VOID(CHIMNEY_API *W_INITIATE_OFFLOAD_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *W_TERMINATE_OFFLOAD_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *W_UPDATE_OFFLOAD_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *W_QUERY_OFFLOAD_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *W_INVALIDATE_OFFLOAD_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST OffloadBlockList);

typedef VOID(CHIMNEY_API *INITIATE_OFFLOAD_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *TERMINATE_OFFLOAD_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *UPDATE_OFFLOAD_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *QUERY_OFFLOAD_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);
typedef VOID(CHIMNEY_API *INVALIDATE_OFFLOAD_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList);

/* §1.3: IndicationCode is an INDICATE_OFFLOAD_EVENT. For NeighborReachabilityQuery the
 * list is a single block followed by the three neighbor state structs; otherwise NULL. */
typedef VOID(CHIMNEY_API *INDICATE_OFFLOAD_EVENT_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST OffloadBlockList,
    ULONG IndicationCode);

/* --------------------------------------------------------------------------------------
 * TCP data path, lower miniport side (§1.4). MiniportOffloadContext points at the memory
 * that holds the lower driver's per-connection context. Send/receive/disconnect/forward
 * must return NDIS_STATUS_PENDING; receive-return should return NDIS_STATUS_SUCCESS.
 * ------------------------------------------------------------------------------------ */
typedef NDIS_STATUS(CHIMNEY_API *W_TCP_OFFLOAD_SEND_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PVOID MiniportOffloadContext,
    PNET_BUFFER_LIST NetBufferList);
typedef NDIS_STATUS(CHIMNEY_API *W_TCP_OFFLOAD_RECEIVE_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PVOID MiniportOffloadContext,
    PNET_BUFFER_LIST NetBufferList);
typedef NDIS_STATUS(CHIMNEY_API *W_TCP_OFFLOAD_DISCONNECT_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PVOID MiniportOffloadContext,
    PNET_BUFFER_LIST NetBufferList, ULONG Flags); /* TCP_DISCONNECT_* */
typedef NDIS_STATUS(CHIMNEY_API *W_TCP_OFFLOAD_FORWARD_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PVOID MiniportOffloadContext,
    PNET_BUFFER_LIST NetBufferList);
typedef NDIS_STATUS(CHIMNEY_API *W_TCP_OFFLOAD_RECEIVE_RETURN_HANDLER)(
    NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList);

/* --------------------------------------------------------------------------------------
 * TCP data path, upper (client) side (§1.3). OffloadContext is the upper driver's own
 * PNDIS_OFFLOAD_HANDLE for the connection.
 * ------------------------------------------------------------------------------------ */
typedef VOID(CHIMNEY_API *TCP_OFFLOAD_SEND_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList);
typedef VOID(CHIMNEY_API *TCP_OFFLOAD_RECV_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList);
typedef VOID(CHIMNEY_API *TCP_OFFLOAD_DISCONNECT_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList);
typedef VOID(CHIMNEY_API *TCP_OFFLOAD_FORWARD_COMPLETE_HANDLER)(
    NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList);
/* EventType is a TCP_OFFLOAD_EVENT_TYPE; for TcpIndicateRetrieve the information is a
 * TCP_UPLOAD_REASON. */
typedef VOID(CHIMNEY_API *TCP_OFFLOAD_EVENT_HANDLER)(
    PVOID OffloadContext, ULONG EventType, ULONG EventSpecificInformation);
typedef NDIS_STATUS(CHIMNEY_API *TCP_OFFLOAD_RECEIVE_INDICATE_HANDLER)(
    PVOID OffloadContext, PNET_BUFFER_LIST NetBufferList, NDIS_STATUS Status,
    PULONG BytesConsumed);

/* --------------------------------------------------------------------------------------
 * NDIS entry points an offload target obtains from NdisMGetOffloadHandlers (§1.3). These
 * are not exported functions; NdisOffloadHandle is the NdisOffloadHandle of the block.
 * ------------------------------------------------------------------------------------ */
typedef VOID(CHIMNEY_API *NDIS_TCP_OFFLOAD_EVENT_INDICATE)(
    NDIS_HANDLE NdisOffloadHandle, ULONG EventType, ULONG EventSpecificInformation);
typedef NDIS_STATUS(CHIMNEY_API *NDIS_TCP_OFFLOAD_RECEIVE_INDICATE)(
    NDIS_HANDLE NdisOffloadHandle, PNET_BUFFER_LIST NetBufferList, NDIS_STATUS Status,
    PULONG BytesConsumed);
typedef VOID(CHIMNEY_API *NDIS_TCP_OFFLOAD_SEND_COMPLETE)(
    NDIS_HANDLE NdisMiniportHandle, PNET_BUFFER_LIST NetBufferList);
typedef VOID(CHIMNEY_API *NDIS_TCP_OFFLOAD_RECEIVE_COMPLETE)(
    NDIS_HANDLE NdisMiniportHandle, PNET_BUFFER_LIST NetBufferList);
typedef VOID(CHIMNEY_API *NDIS_TCP_OFFLOAD_DISCONNECT_COMPLETE)(
    NDIS_HANDLE NdisMiniportHandle, PNET_BUFFER_LIST NetBufferList);
typedef VOID(CHIMNEY_API *NDIS_TCP_OFFLOAD_FORWARD_COMPLETE)(
    NDIS_HANDLE NdisMiniportHandle, PNET_BUFFER_LIST NetBufferList);

/* --------------------------------------------------------------------------------------
 * Registration structs (§1.5), passed to NdisSetOptionalHandlers. Field order is the
 * WDK's. OffloadType is an NDIS_CHIMNEY_OFFLOAD_TYPE stored as a 4-byte ULONG.
 * ------------------------------------------------------------------------------------ */

/* Offload target / IM upper edge, from MiniportSetOptions.
 * Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS. */
typedef struct _NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    W_INITIATE_OFFLOAD_HANDLER InitiateOffloadHandler;
    W_TERMINATE_OFFLOAD_HANDLER TerminateOffloadHandler;
    W_UPDATE_OFFLOAD_HANDLER UpdateOffloadHandler;
    W_INVALIDATE_OFFLOAD_HANDLER InvalidateOffloadHandler;
    W_QUERY_OFFLOAD_HANDLER QueryOffloadHandler;
} NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
    *PNDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;

/* Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS. */
typedef struct _NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG OffloadType; /* NDIS_CHIMNEY_OFFLOAD_TYPE: NdisTcpChimneyOffload */
    W_TCP_OFFLOAD_SEND_HANDLER TcpOffloadSendHandler;
    W_TCP_OFFLOAD_RECEIVE_HANDLER TcpOffloadReceiveHandler;
    W_TCP_OFFLOAD_DISCONNECT_HANDLER TcpOffloadDisconnectHandler;
    W_TCP_OFFLOAD_FORWARD_HANDLER TcpOffloadForwardHandler;
    W_TCP_OFFLOAD_RECEIVE_RETURN_HANDLER TcpOffloadReceiveReturnHandler;
} NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS,
    *PNDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS;

/* Host / IM lower edge, from ProtocolSetOptions.
 * Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
 * Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1. */
typedef struct _NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    INITIATE_OFFLOAD_COMPLETE_HANDLER InitiateOffloadCompleteHandler;
    TERMINATE_OFFLOAD_COMPLETE_HANDLER TerminateOffloadCompleteHandler;
    UPDATE_OFFLOAD_COMPLETE_HANDLER UpdateOffloadCompleteHandler;
    INVALIDATE_OFFLOAD_COMPLETE_HANDLER InvalidateOffloadCompleteHandler;
    QUERY_OFFLOAD_COMPLETE_HANDLER QueryOffloadCompleteHandler;
    INDICATE_OFFLOAD_EVENT_HANDLER IndicateOffloadEventHandler;
} NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS,
    *PNDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;

/* Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS,
 * Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1. */
typedef struct _NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG OffloadType; /* NDIS_CHIMNEY_OFFLOAD_TYPE: NdisTcpChimneyOffload */
    TCP_OFFLOAD_SEND_COMPLETE_HANDLER TcpOffloadSendCompleteHandler;
    TCP_OFFLOAD_RECV_COMPLETE_HANDLER TcpOffloadReceiveCompleteHandler;
    TCP_OFFLOAD_DISCONNECT_COMPLETE_HANDLER TcpOffloadDisconnectCompleteHandler;
    TCP_OFFLOAD_FORWARD_COMPLETE_HANDLER TcpOffloadForwardCompleteHandler;
    TCP_OFFLOAD_EVENT_HANDLER TcpOffloadEventHandler;
    TCP_OFFLOAD_RECEIVE_INDICATE_HANDLER TcpOffloadReceiveIndicateHandler;
} NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS,
    *PNDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS;

/* What NdisMGetOffloadHandlers returns: a header-only view whose Header.Type equals the
 * requested NDIS_CHIMNEY_OFFLOAD_TYPE. For NdisTcpChimneyOffload the object is really an
 * NDIS_TCP_OFFLOAD_EVENT_HANDLERS (Revision NDIS_OBJECT_TCP_OFFLOAD_REVISION_1); check
 * Revision and Size before copying the handlers out. */
typedef struct _NDIS_OFFLOAD_EVENT_HANDLERS {
    NDIS_OBJECT_HEADER Header;
} NDIS_OFFLOAD_EVENT_HANDLERS, *PNDIS_OFFLOAD_EVENT_HANDLERS;

typedef struct _NDIS_TCP_OFFLOAD_EVENT_HANDLERS {
    NDIS_OBJECT_HEADER Header;
    NDIS_TCP_OFFLOAD_EVENT_INDICATE NdisTcpOffloadEventHandler;
    NDIS_TCP_OFFLOAD_RECEIVE_INDICATE NdisTcpOffloadReceiveHandler;
    NDIS_TCP_OFFLOAD_SEND_COMPLETE NdisTcpOffloadSendComplete;
    NDIS_TCP_OFFLOAD_RECEIVE_COMPLETE NdisTcpOffloadReceiveComplete;
    NDIS_TCP_OFFLOAD_DISCONNECT_COMPLETE NdisTcpOffloadDisconnectComplete;
    NDIS_TCP_OFFLOAD_FORWARD_COMPLETE NdisTcpOffloadForwardComplete;
} NDIS_TCP_OFFLOAD_EVENT_HANDLERS, *PNDIS_TCP_OFFLOAD_EVENT_HANDLERS;

#endif /* CHIMNEY_NDIS_CHIMNEY_HANDLERS_H */
