/* ndis6.h - the NDIS 6.0 kernel declarations chimshim.sys needs and mingw-w64 lacks.
 *
 * mingw's <ddk/ndis.h> stops at NDIS 5.1 (no NDIS_MINIPORT_DRIVER_CHARACTERISTICS, no
 * NDIS_OID_REQUEST, no NdisRegisterDeviceEx), so the kernel glue takes the I/O manager's
 * types from <ddk/wdm.h> and these from here. Member lists follow the public WDK
 * documentation (learn.microsoft.com ndis.h pages); offsets are derived from them with the
 * x64 ABI and pinned by static asserts at the end. Which of these were checked against a
 * real ndis.h and which were not is listed in KERNEL.md ("Layouts").
 * Windows kernel build only: nothing in the model includes this file.
 */
#ifndef CHIMSHIM_NDIS6_H
#define CHIMSHIM_NDIS6_H

#include <ddk/wdm.h>

#include <chimney/ndis_chimney_functions.h>

typedef unsigned int UINT, *PUINT;
typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;
typedef ULONG NDIS_OID, *PNDIS_OID;
typedef int NDIS_MEDIUM, *PNDIS_MEDIUM;
typedef int NDIS_PHYSICAL_MEDIUM;
typedef int NDIS_MEDIA_CONNECT_STATE;
typedef int NDIS_MEDIA_DUPLEX_STATE;
typedef int NDIS_HALT_ACTION;
typedef int NDIS_SHUTDOWN_ACTION;
typedef int NDIS_REQUEST_TYPE;
typedef USHORT NET_FRAME_TYPE, *PNET_FRAME_TYPE;
typedef int NET_IF_ACCESS_TYPE, NET_IF_DIRECTION_TYPE, NET_IF_CONNECTION_TYPE;
typedef USHORT NET_IFTYPE;
typedef struct { ULONG64 Value; } NET_LUID;
typedef ULONG NET_IFINDEX;

/* Opaque unless completed further down (only where a member is read or written). */
typedef struct _NDIS_MINIPORT_INIT_PARAMETERS NDIS_MINIPORT_INIT_PARAMETERS, *PNDIS_MINIPORT_INIT_PARAMETERS;
typedef struct _NDIS_MINIPORT_PAUSE_PARAMETERS NDIS_MINIPORT_PAUSE_PARAMETERS, *PNDIS_MINIPORT_PAUSE_PARAMETERS;
typedef struct _NDIS_MINIPORT_RESTART_PARAMETERS NDIS_MINIPORT_RESTART_PARAMETERS, *PNDIS_MINIPORT_RESTART_PARAMETERS;
typedef struct _NET_DEVICE_PNP_EVENT NET_DEVICE_PNP_EVENT, *PNET_DEVICE_PNP_EVENT;
typedef struct _NET_PNP_EVENT_NOTIFICATION NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;
typedef struct _NDIS_STATUS_INDICATION NDIS_STATUS_INDICATION, *PNDIS_STATUS_INDICATION;
typedef struct _NDIS_MINIPORT_ADAPTER_ATTRIBUTES NDIS_MINIPORT_ADAPTER_ATTRIBUTES, *PNDIS_MINIPORT_ADAPTER_ATTRIBUTES;

/* ---- constants (values as in ndis.h / ntddndis.h) ----------------------------------- */
#define NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS 0x81
#define NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES 0x85
#define NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS 0x8A
#define NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS 0x95
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES 0x9E
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES 0x9F
#define NDIS_OBJECT_TYPE_OPEN_PARAMETERS 0xA3
#define NDIS_OBJECT_TYPE_OID_REQUEST 0x96
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 1
#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 1
#define NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 1
#define NDIS_OPEN_PARAMETERS_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1 1
#define NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_INTERMEDIATE_DRIVER 0x00000001
#define NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM 0x00000004
#define NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND 0x00000400
#define NDIS_MAX_PHYS_ADDRESS_LENGTH 32
#define NDIS_INTERFACE_IM 5                   /* NDIS_INTERFACE_TYPE NdisInterfaceInternal */
#define NdisInterfaceInternal 0
#define NDIS_STATISTICS_FLAGS_NONE 0
/* Data-path flags (WDK nblsend.h / nblreceive.h; KERNEL.md section 5). */
#define NDIS_SEND_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK 0x00000002
#define NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_RECEIVE_FLAGS_RESOURCES 0x00000002
#define NDIS_RETURN_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NDIS_OBJECT_TYPE_STATUS_INDICATION 0x98
#define NDIS_STATUS_INDICATION_REVISION_1 1
#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 1
#define NDIS_PROTOCOL_ID_DEFAULT 0x00
#define NDIS_STATUS_LINK_STATE ((NDIS_STATUS)0x40010017L)
#define NetEventPause 8                       /* NET_PNP_EVENT_CODE */
#define NetEventRestart 9
#define NdisRequestQueryInformation 0
#define NdisRequestSetInformation 1
#define NdisRequestQueryStatistics 2
#define NdisRequestMethod 12
#define NDIS_STATUS_NOT_ACCEPTED ((NDIS_STATUS)0x00010003L)
#define NDIS_STATUS_ADAPTER_NOT_READY ((NDIS_STATUS)0xC0010011L)
#define NDIS_STATUS_OPEN_FAILED ((NDIS_STATUS)0xC0010007L)
#define NDIS_STATUS_UNSUPPORTED_MEDIA ((NDIS_STATUS)0xC0010019L)
#define NormalPoolPriority 16

/* ---- handler typedefs ------------------------------------------------------------------ */
typedef NDIS_STATUS (*SET_OPTIONS_HANDLER)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef NDIS_STATUS (*MINIPORT_INITIALIZE_HANDLER)(NDIS_HANDLE NdisMiniportHandle,
                                                   NDIS_HANDLE MiniportDriverContext,
                                                   PNDIS_MINIPORT_INIT_PARAMETERS Params);
typedef VOID (*MINIPORT_HALT_HANDLER)(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction);
typedef VOID (*MINIPORT_DRIVER_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef NDIS_STATUS (*MINIPORT_PAUSE_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                              PNDIS_MINIPORT_PAUSE_PARAMETERS Params);
typedef NDIS_STATUS (*MINIPORT_RESTART_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                                PNDIS_MINIPORT_RESTART_PARAMETERS Params);
typedef struct _NDIS_OID_REQUEST NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;
typedef NDIS_STATUS (*MINIPORT_OID_REQUEST_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                                    PNDIS_OID_REQUEST OidRequest);
typedef VOID (*MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                                       PNET_BUFFER_LIST NetBufferLists,
                                                       NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef VOID (*MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                                         PNET_BUFFER_LIST NetBufferLists,
                                                         ULONG ReturnFlags);
typedef VOID (*MINIPORT_CANCEL_SEND_HANDLER)(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId);
typedef BOOLEAN (*MINIPORT_CHECK_FOR_HANG)(NDIS_HANDLE MiniportAdapterContext);
typedef NDIS_STATUS (*MINIPORT_RESET)(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset);
typedef VOID (*MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                                         PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef VOID (*MINIPORT_SHUTDOWN_HANDLER)(NDIS_HANDLE MiniportAdapterContext,
                                          NDIS_SHUTDOWN_ACTION ShutdownAction);
typedef VOID (*MINIPORT_CANCEL_OID_REQUEST_HANDLER)(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId);

typedef struct _NDIS_BIND_PARAMETERS NDIS_BIND_PARAMETERS, *PNDIS_BIND_PARAMETERS;
typedef NDIS_STATUS (*BIND_HANDLER_EX)(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
                                       PNDIS_BIND_PARAMETERS BindParameters);
typedef NDIS_STATUS (*UNBIND_HANDLER_EX)(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext);
typedef VOID (*OPEN_ADAPTER_COMPLETE_HANDLER_EX)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status);
typedef VOID (*CLOSE_ADAPTER_COMPLETE_HANDLER_EX)(NDIS_HANDLE ProtocolBindingContext);
typedef NDIS_STATUS (*NET_PNP_EVENT_HANDLER)(NDIS_HANDLE ProtocolBindingContext,
                                             PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef VOID (*UNINSTALL_PROTOCOL_HANDLER)(VOID);
typedef VOID (*OID_REQUEST_COMPLETE_HANDLER)(NDIS_HANDLE ProtocolBindingContext,
                                             PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef VOID (*STATUS_HANDLER_EX)(NDIS_HANDLE ProtocolBindingContext,
                                  PNDIS_STATUS_INDICATION StatusIndication);
typedef VOID (*RECEIVE_NET_BUFFER_LISTS_HANDLER)(NDIS_HANDLE ProtocolBindingContext,
                                                 PNET_BUFFER_LIST NetBufferLists,
                                                 NDIS_PORT_NUMBER PortNumber,
                                                 ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
typedef VOID (*SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER)(NDIS_HANDLE ProtocolBindingContext,
                                                       PNET_BUFFER_LIST NetBufferList,
                                                       ULONG SendCompleteFlags);

/* ---- structures ------------------------------------------------------------------------ */
typedef struct _NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    MINIPORT_INITIALIZE_HANDLER InitializeHandlerEx;
    MINIPORT_HALT_HANDLER HaltHandlerEx;
    MINIPORT_DRIVER_UNLOAD UnloadHandler;
    MINIPORT_PAUSE_HANDLER PauseHandler;
    MINIPORT_RESTART_HANDLER RestartHandler;
    MINIPORT_OID_REQUEST_HANDLER OidRequestHandler;
    MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    MINIPORT_CANCEL_SEND_HANDLER CancelSendHandler;
    MINIPORT_CHECK_FOR_HANG CheckForHangHandlerEx;
    MINIPORT_RESET ResetHandlerEx;
    MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    MINIPORT_SHUTDOWN_HANDLER ShutdownHandlerEx;
    MINIPORT_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
} NDIS_MINIPORT_DRIVER_CHARACTERISTICS, *PNDIS_MINIPORT_DRIVER_CHARACTERISTICS;

typedef struct _NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    NDIS_STRING Name;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    BIND_HANDLER_EX BindAdapterHandlerEx;
    UNBIND_HANDLER_EX UnbindAdapterHandlerEx;
    OPEN_ADAPTER_COMPLETE_HANDLER_EX OpenAdapterCompleteHandlerEx;
    CLOSE_ADAPTER_COMPLETE_HANDLER_EX CloseAdapterCompleteHandlerEx;
    NET_PNP_EVENT_HANDLER NetPnPEventHandler;
    UNINSTALL_PROTOCOL_HANDLER UninstallHandler;
    OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
    STATUS_HANDLER_EX StatusHandlerEx;
    RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
} NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, *PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS;

typedef struct _NDIS_DEVICE_OBJECT_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    PNDIS_STRING DeviceName;
    PNDIS_STRING SymbolicName;
    PDRIVER_DISPATCH *MajorFunctions;
    ULONG ExtensionSize;
    PCUNICODE_STRING DefaultSDDLString;
    const GUID *DeviceClassGuid;
} NDIS_DEVICE_OBJECT_ATTRIBUTES, *PNDIS_DEVICE_OBJECT_ATTRIBUTES;

typedef struct _NDIS_OPEN_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_STRING AdapterName;
    PNDIS_MEDIUM MediumArray;
    UINT MediumArraySize;
    PUINT SelectedMediumIndex;
    PNET_FRAME_TYPE FrameTypeArray;
    UINT FrameTypeArraySize;
} NDIS_OPEN_PARAMETERS, *PNDIS_OPEN_PARAMETERS;

/* Only the members up to the ones the glue reads; NDIS owns and sizes the real struct. */
struct _NDIS_BIND_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_STRING ProtocolSection;
    PNDIS_STRING AdapterName;
    PDEVICE_OBJECT PhysicalDeviceObject;
    NDIS_MEDIUM MediaType;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PVOID PowerManagementCapabilities;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    PVOID RcvScaleCapabilities;
    NET_LUID BoundIfNetluid;
    NET_IFINDEX BoundIfIndex;
    NET_LUID LowestIfNetluid;
    NET_IFINDEX LowestIfIndex;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType;
    BOOLEAN IfConnectorPresent;
    PVOID ActivePorts;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    ULONG MacOptions;
    /* ... more members follow in the real struct; never read here */
};

typedef struct _NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    NDIS_HANDLE MiniportAdapterContext;
    ULONG AttributeFlags;
    UINT CheckForHangTimeInSeconds;
    int InterfaceType;           /* NDIS_INTERFACE_TYPE */
} NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;

typedef struct _NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    NDIS_MEDIUM MediaType;
    NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 XmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG LookaheadSize;
    PVOID PowerManagementCapabilities;
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    USHORT MacAddressLength;
    UCHAR PermanentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    PVOID RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    NET_IF_DIRECTION_TYPE DirectionType;
    NET_IF_CONNECTION_TYPE ConnectionType;
    NET_IFTYPE IfType;
    BOOLEAN IfConnectorPresent;
    ULONG SupportedStatistics;
    ULONG SupportedPauseFunctions;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength;
    ULONG AutoNegotiationFlags;
} NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;

struct _NDIS_OID_REQUEST {
    NDIS_OBJECT_HEADER Header;
    NDIS_REQUEST_TYPE RequestType;
    NDIS_PORT_NUMBER PortNumber;
    UINT Timeout;
    PVOID RequestId;
    NDIS_HANDLE RequestHandle;
    union {
        struct { NDIS_OID Oid; PVOID InformationBuffer; UINT InformationBufferLength;
                 UINT BytesWritten; UINT BytesNeeded; } QUERY_INFORMATION;
        struct { NDIS_OID Oid; PVOID InformationBuffer; UINT InformationBufferLength;
                 UINT BytesRead; UINT BytesNeeded; } SET_INFORMATION;
        struct { NDIS_OID Oid; PVOID InformationBuffer; ULONG InputBufferLength;
                 ULONG OutputBufferLength; ULONG MethodId; UINT BytesWritten; UINT BytesRead;
                 UINT BytesNeeded; } METHOD_INFORMATION;
    } DATA;
    UCHAR NdisReserved[16 * sizeof(PVOID)];
    UCHAR MiniportReserved[2 * sizeof(PVOID)];
    UCHAR SourceReserved[2 * sizeof(PVOID)];
    UCHAR SupportedRevision;
    UCHAR Reserved1;
    USHORT Reserved2;
};

/* NET_BUFFER_LIST (completes the opaque type of ndis_chimney.h). Member order: the
 * learn.microsoft.com nbl.h page; offsets: ndis.sys's own x64 symbols (KERNEL.md section 5),
 * where NdisReserved, ProtocolReserved and MiniportReserved are 16-byte aligned
 * (DECLSPEC_ALIGN(MEMORY_ALLOCATION_ALIGNMENT) in the WDK, stripped from the doc's syntax
 * block). Next/FirstNetBuffer share a union with an SLIST_HEADER, which makes the struct
 * 16-byte aligned. NetBufferListInfo's length grew with Windows releases, so it is left
 * open: the glue never allocates an NBL itself (NDIS does, from a pool) and never takes
 * sizeof. */
struct _NET_BUFFER_LIST {
    struct _NET_BUFFER_LIST *Next;
    PVOID FirstNetBuffer;
    PVOID Context;                               /* NET_BUFFER_LIST_CONTEXT * */
    struct _NET_BUFFER_LIST *ParentNetBufferList;
    NDIS_HANDLE NdisPoolHandle;
    _Alignas(16) PVOID NdisReserved[2];
    _Alignas(16) PVOID ProtocolReserved[4];
    _Alignas(16) PVOID MiniportReserved[2];
    PVOID Scratch;
    NDIS_HANDLE SourceHandle;
    ULONG NblFlags;
    LONG ChildRefCount;
    ULONG Flags;
    NDIS_STATUS Status;                          /* union with ULONG NdisReserved2 */
    PVOID NetBufferListInfo[];                   /* MaxNetBufferListInfo entries */
};

/* NdisAllocateNetBufferListPool's parameters (nblapi.h page). Revision 1 is NDIS 6.0's;
 * Flags came later, so the size given is the whole struct (a Size larger than the
 * revision's is accepted - from memory, KERNEL.md section 5). */
typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    UCHAR ProtocolId;
    BOOLEAN fAllocateNetBuffer;
    USHORT ContextSize;
    ULONG PoolTag;
    ULONG DataSize;
    ULONG Flags;
} NET_BUFFER_LIST_POOL_PARAMETERS, *PNET_BUFFER_LIST_POOL_PARAMETERS;

/* Status indications, both edges (ndis.h NDIS_STATUS_INDICATION page). */
struct _NDIS_STATUS_INDICATION {
    NDIS_OBJECT_HEADER Header;
    NDIS_HANDLE SourceHandle;
    NDIS_PORT_NUMBER PortNumber;
    NDIS_STATUS StatusCode;
    ULONG Flags;
    NDIS_HANDLE DestinationHandle;
    PVOID RequestId;
    PVOID StatusBuffer;
    ULONG StatusBufferSize;
    GUID Guid;
    PVOID NdisReserved[4];
};

/* The StatusBuffer of NDIS_STATUS_LINK_STATE (ntddndis.h NDIS_LINK_STATE page). */
typedef struct _NDIS_LINK_STATE {
    NDIS_OBJECT_HEADER Header;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NDIS_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    int PauseFunctions;                          /* NDIS_SUPPORTED_PAUSE_FUNCTIONS */
    ULONG AutoNegotiationFlags;
} NDIS_LINK_STATE;

/* ProtocolNetPnPEvent's argument, up to the event code, the only member read here
 * (netpnp.h NET_PNP_EVENT and ndis.h NET_PNP_EVENT_NOTIFICATION pages; later members
 * Flags, SwitchId, VPortId follow NetPnPEvent and are never touched). */
typedef struct _NET_PNP_EVENT {
    int NetEvent;                                /* NET_PNP_EVENT_CODE */
    PVOID Buffer;
    ULONG BufferLength;
    ULONG_PTR NdisReserved[4];
    ULONG_PTR TransportReserved[4];
    ULONG_PTR TdiReserved[4];
    ULONG_PTR TdiClientReserved[4];
} NET_PNP_EVENT;
struct _NET_PNP_EVENT_NOTIFICATION {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber;
    NET_PNP_EVENT NetPnPEvent;
    /* ... Flags, SwitchId, VPortId: never read here */
};

/* ---- functions (ndis.sys) -------------------------------------------------------------- */
NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                                        NDIS_HANDLE MiniportDriverContext,
                                        PNDIS_MINIPORT_DRIVER_CHARACTERISTICS Chars,
                                        PNDIS_HANDLE NdisMiniportDriverHandle);
VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle);
NDIS_STATUS NdisRegisterProtocolDriver(NDIS_HANDLE ProtocolDriverContext,
                                       PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS Chars,
                                       PNDIS_HANDLE NdisProtocolHandle);
VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle);
VOID NdisIMAssociateMiniport(NDIS_HANDLE DriverHandle, NDIS_HANDLE ProtocolHandle);
NDIS_STATUS NdisIMInitializeDeviceInstanceEx(NDIS_HANDLE DriverHandle, PNDIS_STRING DriverInstance,
                                             NDIS_HANDLE DeviceContext);
NDIS_STATUS NdisIMDeInitializeDeviceInstance(NDIS_HANDLE NdisMiniportHandle);
NDIS_STATUS NdisIMCancelInitializeDeviceInstance(NDIS_HANDLE DriverHandle, PNDIS_STRING DeviceInstance);
NDIS_HANDLE NdisIMGetDeviceContext(NDIS_HANDLE MiniportAdapterHandle);
NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE NdisMiniportHandle,
                                       PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes);
NDIS_STATUS NdisRegisterDeviceEx(NDIS_HANDLE NdisObjectHandle,
                                 PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                                 PDEVICE_OBJECT *pDeviceObject, PNDIS_HANDLE NdisDeviceHandle);
VOID NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle);
NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
                              PNDIS_OPEN_PARAMETERS OpenParameters, NDIS_HANDLE BindContext,
                              PNDIS_HANDLE NdisBindingHandle);
NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle);
VOID NdisCompleteBindAdapterEx(NDIS_HANDLE BindAdapterContext, NDIS_STATUS Status);
VOID NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext);
NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest);
VOID NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
                             NDIS_STATUS Status);
NDIS_STATUS NdisAllocateCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST OidRequest,
                                        UINT PoolTag, PNDIS_OID_REQUEST *CloneOidRequest);
VOID NdisFreeCloneOidRequest(NDIS_HANDLE SourceHandle, PNDIS_OID_REQUEST Request);
VOID NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle,
                                     PNET_BUFFER_LIST NetBufferLists, ULONG SendCompleteFlags);
VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
                              ULONG ReturnFlags);
/* The data path (nblapi.h / ndis.h pages). */
VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
                            NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId);
VOID NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle,
                                        PNET_BUFFER_LIST NetBufferLists, NDIS_PORT_NUMBER PortNumber,
                                        ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle,
                                          PNET_BUFFER_LIST_POOL_PARAMETERS Parameters);
VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle);
PNET_BUFFER_LIST NdisAllocateCloneNetBufferList(PNET_BUFFER_LIST OriginalNetBufferList,
                                                NDIS_HANDLE NetBufferListPoolHandle,
                                                NDIS_HANDLE NetBufferPoolHandle,
                                                ULONG AllocateCloneFlags);
VOID NdisFreeCloneNetBufferList(PNET_BUFFER_LIST CloneNetBufferList, ULONG FreeCloneFlags);
VOID NdisCopySendNetBufferListInfo(PNET_BUFFER_LIST DestNetBufferList,
                                   PNET_BUFFER_LIST SrcNetBufferList);
VOID NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle);
VOID NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle,
                           PNDIS_STATUS_INDICATION StatusIndication);
VOID NdisMSleep(ULONG MicrosecondsToSleep);
PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
                                        int Priority);
VOID NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag);

/* ---- layout checks (x64: the only target of this build) ------------------------------- */
#define NDIS6_OFF(t, f, v) _Static_assert(offsetof(t, f) == (v), #t "." #f)
NDIS6_OFF(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, Flags, 8);
NDIS6_OFF(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SetOptionsHandler, 16);
NDIS6_OFF(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler, 128);
_Static_assert(sizeof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS) == 136, "miniport chars rev 1");
NDIS6_OFF(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, Name, 16);
NDIS6_OFF(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, SetOptionsHandler, 32);
_Static_assert(sizeof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS) == 120, "protocol chars rev 1");
_Static_assert(sizeof(NDIS_DEVICE_OBJECT_ATTRIBUTES) == 56, "device object attributes");
_Static_assert(sizeof(NDIS_OPEN_PARAMETERS) == 56, "open parameters");
NDIS6_OFF(struct _NDIS_BIND_PARAMETERS, MediaType, 32);
NDIS6_OFF(struct _NDIS_BIND_PARAMETERS, MacAddressLength, 104);
NDIS6_OFF(struct _NDIS_BIND_PARAMETERS, PhysicalMediumType, 140);
NDIS6_OFF(struct _NDIS_BIND_PARAMETERS, MacOptions, 216);
_Static_assert(sizeof(NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES) == 32, "registration attrs");
NDIS6_OFF(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, MaxXmitLinkSpeed, 24);
NDIS6_OFF(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PowerManagementCapabilities, 72);
NDIS6_OFF(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, PermanentMacAddress, 94);
NDIS6_OFF(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, RecvScaleCapabilities, 160);
NDIS6_OFF(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, SupportedOidList, 200);
_Static_assert(sizeof(NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES) == 216, "general attrs rev 1");
NDIS6_OFF(NDIS_OID_REQUEST, DATA, 32);
/* NET_BUFFER_LIST: every offset as ndis.sys's x64 symbols give it (KERNEL.md section 5). */
NDIS6_OFF(NET_BUFFER_LIST, Next, 0x00);
NDIS6_OFF(NET_BUFFER_LIST, FirstNetBuffer, 0x08);
NDIS6_OFF(NET_BUFFER_LIST, Context, 0x10);
NDIS6_OFF(NET_BUFFER_LIST, ParentNetBufferList, 0x18);
NDIS6_OFF(NET_BUFFER_LIST, NdisPoolHandle, 0x20);
NDIS6_OFF(NET_BUFFER_LIST, NdisReserved, 0x30);
NDIS6_OFF(NET_BUFFER_LIST, ProtocolReserved, 0x40);
NDIS6_OFF(NET_BUFFER_LIST, MiniportReserved, 0x60);
NDIS6_OFF(NET_BUFFER_LIST, Scratch, 0x70);
NDIS6_OFF(NET_BUFFER_LIST, SourceHandle, 0x78);
NDIS6_OFF(NET_BUFFER_LIST, NblFlags, 0x80);
NDIS6_OFF(NET_BUFFER_LIST, ChildRefCount, 0x84);
NDIS6_OFF(NET_BUFFER_LIST, Flags, 0x88);
NDIS6_OFF(NET_BUFFER_LIST, Status, 0x8C);
NDIS6_OFF(NET_BUFFER_LIST, NetBufferListInfo, 0x90);
_Static_assert(_Alignof(NET_BUFFER_LIST) == 16, "NET_BUFFER_LIST is SLIST_HEADER-aligned");
NDIS6_OFF(NET_BUFFER_LIST_POOL_PARAMETERS, PoolTag, 8);
NDIS6_OFF(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize, 12);
_Static_assert(sizeof(NET_BUFFER_LIST_POOL_PARAMETERS) == 20, "NBL pool parameters");
NDIS6_OFF(NDIS_STATUS_INDICATION, SourceHandle, 8);
NDIS6_OFF(NDIS_STATUS_INDICATION, StatusCode, 20);
NDIS6_OFF(NDIS_STATUS_INDICATION, DestinationHandle, 32);
NDIS6_OFF(NDIS_STATUS_INDICATION, StatusBuffer, 48);
NDIS6_OFF(NDIS_STATUS_INDICATION, StatusBufferSize, 56);
NDIS6_OFF(NDIS_STATUS_INDICATION, Guid, 60);
NDIS6_OFF(NDIS_STATUS_INDICATION, NdisReserved, 80);
_Static_assert(sizeof(NDIS_STATUS_INDICATION) == 112, "status indication rev 1");
NDIS6_OFF(NDIS_LINK_STATE, XmitLinkSpeed, 16);
NDIS6_OFF(NDIS_LINK_STATE, RcvLinkSpeed, 24);
NDIS6_OFF(NET_PNP_EVENT_NOTIFICATION, NetPnPEvent, 8);
NDIS6_OFF(NDIS_OID_REQUEST, NdisReserved, 72);
NDIS6_OFF(NDIS_OID_REQUEST, SourceReserved, 216);

#endif /* CHIMSHIM_NDIS6_H */
