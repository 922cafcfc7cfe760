/*
 * ndis_chimney.h - our own ndischimney.h-compatible types for the NDIS 6 TCP-chimney
 * state-manipulation interface (block lists, state structs, enums, status codes, handler
 * typedefs, characteristics). It exists because mingw-w64 ships none of the chimney types
 * (reference §1.6) and the WDK header cannot be used on Linux. Names and layouts follow the
 * WDK exactly (reference §1.2-1.5, §2); the x64 and x86 layouts are pinned by static asserts
 * in ndis_chimney_layout.h. Freestanding C11: only <stdint.h> and <stddef.h>, no libc.
 *
 * Include this header only; it pulls in ndis_chimney_handlers.h and ndis_chimney_layout.h.
 */
#ifndef CHIMNEY_NDIS_CHIMNEY_H
#define CHIMNEY_NDIS_CHIMNEY_H

#include <stddef.h>
#include <stdint.h>

/* --------------------------------------------------------------------------------------
 * Which Windows types already exist.
 *
 * CHIMNEY_HAVE_WINDOWS_TYPES: the build included <ndis.h> (WDK or mingw) before this header,
 * so UCHAR..PVOID, NDIS_HANDLE, NDIS_STATUS, NDIS_PORT_NUMBER, NDIS_OBJECT_HEADER and
 * NET_BUFFER_LIST come from there. Detected from ndis.h's guard, or defined by the kernel
 * build. Without it (Linux) we define them ourselves with fixed widths. If only the base
 * Windows headers were seen (windef.h/ntdef.h/winnt.h), just the base types are skipped:
 * there ULONG is `unsigned long`, a different type from our uint32_t.
 * ------------------------------------------------------------------------------------ */
#if !defined(CHIMNEY_HAVE_WINDOWS_TYPES) && defined(_NDIS_)
#define CHIMNEY_HAVE_WINDOWS_TYPES 1
#endif

#if defined(CHIMNEY_HAVE_WINDOWS_TYPES) || defined(_WINDEF_) || defined(_WINDEF_H) || \
    defined(_NTDEF_) || defined(_WINNT_)
#define CHIMNEY_HAVE_WINDOWS_BASE_TYPES_ 1
#endif

/* Calling-convention hook for the handler typedefs. Empty for x64 (one convention) and
 * Linux; a future x86 kernel build defines it as __stdcall. */
#ifndef CHIMNEY_API
#define CHIMNEY_API
#endif

/* Basic types with Windows spelling. ULONG is 32 bits on every Windows ABI (LLP64), so it
 * is uint32_t here, never `unsigned long` (§2.1). */
#ifndef CHIMNEY_HAVE_WINDOWS_BASE_TYPES_
#ifndef VOID
#define VOID void
#endif
typedef uint8_t UCHAR, *PUCHAR;
typedef uint16_t USHORT, *PUSHORT;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG, *PLONG;
typedef uint64_t ULONG64, *PULONG64;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef void *PVOID;
typedef UCHAR BOOLEAN, *PBOOLEAN;
#endif

/* NDIS base types (§2.1). NET_BUFFER_LIST stays opaque: chimney code only passes it on. */
#ifndef CHIMNEY_HAVE_WINDOWS_TYPES
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef int32_t NDIS_STATUS, *PNDIS_STATUS;
typedef ULONG NDIS_PORT_NUMBER, *PNDIS_PORT_NUMBER;
typedef struct _NET_BUFFER_LIST NET_BUFFER_LIST, *PNET_BUFFER_LIST;
#endif

/* ntddndis.h may have been included on its own; its NDIS_OBJECT_HEADER is identical. */
#if !defined(CHIMNEY_HAVE_WINDOWS_TYPES) && !defined(_NTDDNDIS_)
typedef struct _NDIS_OBJECT_HEADER {
    UCHAR Type;
    UCHAR Revision;
    USHORT Size;
} NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;
#endif

/* --------------------------------------------------------------------------------------
 * NDIS_STATUS codes used on the chimney path (§2.8). Spelled as in ndis.h. Error codes are
 * negative int32: the explicit cast converts the 32-bit pattern modulo 2^32 (gcc, clang and
 * MSVC all define this), so no overflow warning; the layout test checks every pattern.
 * Each is guarded because a real ndis.h defines most of them.
 * ------------------------------------------------------------------------------------ */
#ifndef NDIS_STATUS_SUCCESS
#define NDIS_STATUS_SUCCESS ((NDIS_STATUS)0x00000000L)
#endif
#ifndef NDIS_STATUS_PENDING
#define NDIS_STATUS_PENDING ((NDIS_STATUS)0x00000103L)
#endif
#ifndef NDIS_STATUS_FAILURE
#define NDIS_STATUS_FAILURE ((NDIS_STATUS)0xC0000001L) /* STATUS_UNSUCCESSFUL */
#endif
#ifndef NDIS_STATUS_RESOURCES
#define NDIS_STATUS_RESOURCES ((NDIS_STATUS)0xC000009AL) /* STATUS_INSUFFICIENT_RESOURCES */
#endif
#ifndef NDIS_STATUS_NOT_SUPPORTED
#define NDIS_STATUS_NOT_SUPPORTED ((NDIS_STATUS)0xC00000BBL)
#endif
#ifndef NDIS_STATUS_INVALID_PARAMETER
#define NDIS_STATUS_INVALID_PARAMETER ((NDIS_STATUS)0xC0000065L) /* STATUS_INVALID_PARAMETER; setup calls */
#endif
#ifndef NDIS_STATUS_INVALID_STATE
#define NDIS_STATUS_INVALID_STATE ((NDIS_STATUS)0xC0000184L) /* STATUS_INVALID_DEVICE_STATE */
#endif
#ifndef NDIS_STATUS_REQUEST_ABORTED
#define NDIS_STATUS_REQUEST_ABORTED ((NDIS_STATUS)0xC001000CL)
#endif
#ifndef NDIS_STATUS_PAUSED
#define NDIS_STATUS_PAUSED ((NDIS_STATUS)0xC023002AL) /* never used for chimney sends */
#endif

/* Informational (positive) codes: status indications and per-block initiate results. */
#ifndef NDIS_STATUS_OFFLOAD_PAUSE
#define NDIS_STATUS_OFFLOAD_PAUSE ((NDIS_STATUS)0x40020001L)
#endif
#ifndef NDIS_STATUS_UPLOAD_ALL
#define NDIS_STATUS_UPLOAD_ALL ((NDIS_STATUS)0x40020002L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_RESUME
#define NDIS_STATUS_OFFLOAD_RESUME ((NDIS_STATUS)0x40020003L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS
#define NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS ((NDIS_STATUS)0x40020004L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_STATE_INVALID
#define NDIS_STATUS_OFFLOAD_STATE_INVALID ((NDIS_STATUS)0x40020005L)
#endif
#ifndef NDIS_STATUS_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES
#define NDIS_STATUS_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES ((NDIS_STATUS)0x4002000BL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_IM_RESERVED1
#define NDIS_STATUS_OFFLOAD_IM_RESERVED1 ((NDIS_STATUS)0x40020100L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_IM_RESERVED2
#define NDIS_STATUS_OFFLOAD_IM_RESERVED2 ((NDIS_STATUS)0x40020101L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_IM_RESERVED3
#define NDIS_STATUS_OFFLOAD_IM_RESERVED3 ((NDIS_STATUS)0x40020102L)
#endif

/* Chimney error codes (facility 0x23, 0xC0231001..). */
#ifndef NDIS_STATUS_UPLOAD_IN_PROGRESS
#define NDIS_STATUS_UPLOAD_IN_PROGRESS ((NDIS_STATUS)0xC0231001L)
#endif
#ifndef NDIS_STATUS_REQUEST_UPLOAD
#define NDIS_STATUS_REQUEST_UPLOAD ((NDIS_STATUS)0xC0231002L)
#endif
#ifndef NDIS_STATUS_UPLOAD_REQUESTED
#define NDIS_STATUS_UPLOAD_REQUESTED ((NDIS_STATUS)0xC0231003L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_TCP_ENTRIES
#define NDIS_STATUS_OFFLOAD_TCP_ENTRIES ((NDIS_STATUS)0xC0231004L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_PATH_ENTRIES
#define NDIS_STATUS_OFFLOAD_PATH_ENTRIES ((NDIS_STATUS)0xC0231005L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES
#define NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES ((NDIS_STATUS)0xC0231006L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_IP_ADDRESS_ENTRIES
#define NDIS_STATUS_OFFLOAD_IP_ADDRESS_ENTRIES ((NDIS_STATUS)0xC0231007L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_HW_ADDRESS_ENTRIES
#define NDIS_STATUS_OFFLOAD_HW_ADDRESS_ENTRIES ((NDIS_STATUS)0xC0231008L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_VLAN_ENTRIES
#define NDIS_STATUS_OFFLOAD_VLAN_ENTRIES ((NDIS_STATUS)0xC0231009L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_TCP_XMIT_BUFFER
#define NDIS_STATUS_OFFLOAD_TCP_XMIT_BUFFER ((NDIS_STATUS)0xC023100AL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_TCP_RCV_BUFFER
#define NDIS_STATUS_OFFLOAD_TCP_RCV_BUFFER ((NDIS_STATUS)0xC023100BL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_TCP_RCV_WINDOW
#define NDIS_STATUS_OFFLOAD_TCP_RCV_WINDOW ((NDIS_STATUS)0xC023100CL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_VLAN_MISMATCH
#define NDIS_STATUS_OFFLOAD_VLAN_MISMATCH ((NDIS_STATUS)0xC023100DL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_DATA_NOT_ACCEPTED
#define NDIS_STATUS_OFFLOAD_DATA_NOT_ACCEPTED ((NDIS_STATUS)0xC023100EL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_POLICY
#define NDIS_STATUS_OFFLOAD_POLICY ((NDIS_STATUS)0xC023100FL)
#endif
#ifndef NDIS_STATUS_OFFLOAD_DATA_PARTIALLY_ACCEPTED
#define NDIS_STATUS_OFFLOAD_DATA_PARTIALLY_ACCEPTED ((NDIS_STATUS)0xC0231010L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_REQUEST_RESET
#define NDIS_STATUS_OFFLOAD_REQUEST_RESET ((NDIS_STATUS)0xC0231011L)
#endif
#ifndef NDIS_STATUS_OFFLOAD_CONNECTION_REJECTED
#define NDIS_STATUS_OFFLOAD_CONNECTION_REJECTED ((NDIS_STATUS)0xC0231012L) /* NDIS 6.20+ */
#endif
/* Only an NTSTATUS name exists for 0xC0231013 (no NDIS_STATUS_ alias in any header seen);
 * defined so a block Status carrying it can be named. */
#ifndef STATUS_NDIS_OFFLOAD_PATH_REJECTED
#define STATUS_NDIS_OFFLOAD_PATH_REJECTED ((NDIS_STATUS)0xC0231013L)
#endif
/* NDIS_STATUS_OFFLOAD_PATH_MTU is documented as an initiate status but its value is
 * UNCONFIRMED (absent from mingw ndis.h and the Win7 WDK copy, §2.8, §5): not defined. */

/* --------------------------------------------------------------------------------------
 * Object types and revisions (§1.5, §2.5).
 * ------------------------------------------------------------------------------------ */
#ifndef NDIS_OBJECT_TYPE_DEFAULT
#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#endif
#ifndef NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8E
#endif
#ifndef NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8F
#endif
#ifndef NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS 0x93
#endif
#ifndef NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS 0x94
#endif

#define NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1 1
#define NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1 1
#define NDIS_OBJECT_TCP_OFFLOAD_REVISION_1 1 /* NDIS_TCP_OFFLOAD_EVENT_HANDLERS */
/* Revision constants of the two PROVIDER characteristics structs: UNCONFIRMED (§1.5, §5). */

/* Header.Revision of a block list. Our own name: no *_OFFLOAD_BLOCK_LIST_REVISION_*
 * constant was found and the real value is UNCONFIRMED; 1 is the likely value (§2.5). */
#define NDIS_OFFLOAD_BLOCK_LIST_REVISION_1 1

/* --------------------------------------------------------------------------------------
 * Enums (§2.6, §2.7). C leaves enum size to the implementation, so no struct field below
 * has an enum type: WDK enum fields are stored as 4-byte ULONGs (asserted in the layout
 * header). The enum types still exist for variables and switch statements.
 * ------------------------------------------------------------------------------------ */

/* Header.Type of a block list: which state struct(s) follow the block (§2.6). */
typedef enum _OFFLOAD_STATE_TYPE {
    NeighborOffloadConstState = 1,
    NeighborOffloadCachedState = 2,
    NeighborOffloadDelegatedState = 3,
    NeighborOffloadState = 4, /* CONST, CACHED, DELEGATED */
    Ip4OffloadConstState = 5,
    Ip4OffloadCachedState = 6,
    Ip4OffloadDelegatedState = 7,
    Ip4OffloadState = 8,
    Ip6OffloadConstState = 9,
    Ip6OffloadCachedState = 10,
    Ip6OffloadDelegatedState = 11,
    Ip6OffloadState = 12,
    TcpOffloadConstState = 13,
    TcpOffloadCachedState = 14,
    TcpOffloadDelegatedState = 15,
    TcpOffloadResourceState = 16, /* reserved; its struct was never published */
    TcpOffloadState = 17,
    FilterReservedOffloadState = 0xFE,
    MaximumOffloadState = 0xFF
} OFFLOAD_STATE_TYPE, *POFFLOAD_STATE_TYPE;

typedef enum _TCP_OFFLOAD_CONNECTION_STATE {
    TcpConnectionClosed = 0,
    TcpConnectionListen = 1,
    TcpConnectionSynSent = 2,
    TcpConnectionSynRcvd = 3,
    TcpConnectionEstablished = 4,
    TcpConnectionFinWait1 = 5,
    TcpConnectionFinWait2 = 6,
    TcpConnectionCloseWait = 7,
    TcpConnectionClosing = 8,
    TcpConnectionLastAck = 9,
    TcpConnectionTimeWait = 10,
    TcpConnectionMaxState = 11
} TCP_OFFLOAD_CONNECTION_STATE, *PTCP_OFFLOAD_CONNECTION_STATE;

/* EventSpecificInformation of TcpIndicateRetrieve. */
typedef enum _TCP_UPLOAD_REASON {
    LowActivity = 1,
    HighDropRate = 2,
    SmallIO = 3,
    NoBufferProposting = 4, /* legacy spelling of NoBufferPreposting */
    NoBufferPreposting = 4,
    ReceivedUrgentData = 5,
    HighFragmentation = 6,
    HighOutOfOrderPackets = 7,
    TimeoutExpiration = 8,
    InvalidState = 9,
    UploadRequested = 10,
    HardwareFailure = 11,
    MaxUploadReason = 12
} TCP_UPLOAD_REASON, *PTCP_UPLOAD_REASON;

/* EventType of NdisTcpOffloadEventHandler / ProtocolTcpOffloadEvent. */
typedef enum _TCP_OFFLOAD_EVENT_TYPE {
    TcpIndicateSendBacklogChange = 1,
    TcpIndicateDisconnect = 2,
    TcpIndicateRetrieve = 3,
    TcpIndicateAbort = 4
} TCP_OFFLOAD_EVENT_TYPE, *PTCP_OFFLOAD_EVENT_TYPE;

/* IndicationCode of NdisMOffloadEventIndicate; only NeighborReachabilityQuery is used. */
typedef enum _INDICATE_OFFLOAD_EVENT {
    NeighborReachabilityInDoubt = 1, /* reserved */
    NeighborReachabilityQuery = 2,
    MaxOffloadEvent = 3
} INDICATE_OFFLOAD_EVENT, *PINDICATE_OFFLOAD_EVENT;

typedef enum _NDIS_CHIMNEY_OFFLOAD_TYPE {
    NdisTcpChimneyOffload = 1,
    NdisIpsecChimneyOffload = 2,
    NdisRdmaChimneyOffload = 3,
    NdisMaxChimneyOffload = 4
} NDIS_CHIMNEY_OFFLOAD_TYPE, *PNDIS_CHIMNEY_OFFLOAD_TYPE;

/* --------------------------------------------------------------------------------------
 * Flags (§1.4, §2.7). CONST and CACHED flag sets share numeric values; each belongs to the
 * Flags field of its own struct.
 * ------------------------------------------------------------------------------------ */
/* TCP_OFFLOAD_STATE_CONST.Flags */
#define TCP_FLAG_TIMESTAMP_ENABLED 0x01
#define TCP_FLAG_SACK_ENABLED 0x02
#define TCP_FLAG_WINDOW_SCALING_ENABLED 0x04
/* TCP_OFFLOAD_STATE_CACHED.Flags */
#define TCP_FLAG_KEEP_ALIVE_ENABLED 0x01
#define TCP_FLAG_NAGLING_ENABLED 0x02
#define TCP_FLAG_KEEP_ALIVE_RESTART 0x04
#define TCP_FLAG_MAX_RT_RESTART 0x08
#define TCP_FLAG_UPDATE_RCV_WND 0x10
/* Flags of NdisOffloadTcpDisconnect / W_TCP_OFFLOAD_DISCONNECT_HANDLER */
#define TCP_DISCONNECT_GRACEFUL_CLOSE 0x01
#define TCP_DISCONNECT_ABORTIVE_CLOSE 0x02

/* --------------------------------------------------------------------------------------
 * State structs (§2.7). Each starts with OFFLOAD_STATE_HEADER; Length = size of that one
 * struct. Bitfields follow MSVC rules on Windows (§2.1); where gcc's SysV rules would pack
 * a following member into the same storage unit, an unnamed `:0` field closes the unit so
 * both rules give the WDK offsets. Unnamed fields do not change MSVC's result.
 * ------------------------------------------------------------------------------------ */
typedef struct _OFFLOAD_STATE_HEADER {
    ULONG Length;
    ULONG RecognizedOptions; /* reserved */
} OFFLOAD_STATE_HEADER, *POFFLOAD_STATE_HEADER;

typedef struct _NEIGHBOR_OFFLOAD_STATE_CONST {
    OFFLOAD_STATE_HEADER Header;
    UCHAR DlSourceAddress[32];
    ULONG VlanId : 12; /* low 12 bits of the ULONG at 0x28; the other 20 are padding */
} NEIGHBOR_OFFLOAD_STATE_CONST, *PNEIGHBOR_OFFLOAD_STATE_CONST;

typedef struct _NEIGHBOR_OFFLOAD_STATE_CACHED {
    OFFLOAD_STATE_HEADER Header;
    UCHAR DlDestinationAddress[32];
    ULONG HostReachabilityDelta;
} NEIGHBOR_OFFLOAD_STATE_CACHED, *PNEIGHBOR_OFFLOAD_STATE_CACHED;

typedef struct _NEIGHBOR_OFFLOAD_STATE_DELEGATED {
    OFFLOAD_STATE_HEADER Header;
    ULONG NicReachabilityDelta;
} NEIGHBOR_OFFLOAD_STATE_DELEGATED, *PNEIGHBOR_OFFLOAD_STATE_DELEGATED;

/* Addresses are 4 (Ip4...) or 16 (Ip6...) bytes in network order; the block's Type says
 * which. */
typedef struct _PATH_OFFLOAD_STATE_CONST {
    OFFLOAD_STATE_HEADER Header;
    const UCHAR *SourceAddress;
    const UCHAR *DestinationAddress;
} PATH_OFFLOAD_STATE_CONST, *PPATH_OFFLOAD_STATE_CONST;

typedef struct _PATH_OFFLOAD_STATE_CACHED {
    OFFLOAD_STATE_HEADER Header;
    ULONG PathMtu;
} PATH_OFFLOAD_STATE_CACHED, *PPATH_OFFLOAD_STATE_CACHED;

typedef struct _PATH_OFFLOAD_STATE_DELEGATED {
    OFFLOAD_STATE_HEADER Header;
} PATH_OFFLOAD_STATE_DELEGATED, *PPATH_OFFLOAD_STATE_DELEGATED;

/* Port byte order is not documented (§2.7, UNCONFIRMED). */
typedef struct _TCP_OFFLOAD_STATE_CONST {
    OFFLOAD_STATE_HEADER Header;
    USHORT Flags; /* TCP_FLAG_TIMESTAMP_ENABLED, ... */
    USHORT RemotePort;
    USHORT LocalPort;
    UCHAR SndWindScale : 4; /* low nibble of byte 0x0e */
    UCHAR RcvWindScale : 4; /* high nibble of byte 0x0e */
    USHORT RemoteMss;
    ULONG HashValue;
} TCP_OFFLOAD_STATE_CONST, *PTCP_OFFLOAD_STATE_CONST;

typedef struct _TCP_OFFLOAD_STATE_CACHED {
    OFFLOAD_STATE_HEADER Header;
    USHORT Flags; /* TCP_FLAG_KEEP_ALIVE_ENABLED, ... */
    ULONG InitialRcvWnd;
    ULONG RcvIndicationSize;
    UCHAR KaProbeCount;
    ULONG KaTimeout;
    ULONG KaInterval;
    ULONG MaxRT;
    ULONG FlowLabel : 20; /* low 20 bits of the ULONG at 0x24 */
    /* MSVC gives FlowLabel the whole ULONG (0x24..0x27); SysV would put TtlOrHopLimit in
     * its spare byte 0x27. Close the unit so TtlOrHopLimit lands at 0x28 under both. */
    ULONG : 0;
    UCHAR TtlOrHopLimit;
    UCHAR TosOrTrafficClass;
    UCHAR UserPriority : 3; /* low 3 bits of byte 0x2a; 0x2b is padding */
} TCP_OFFLOAD_STATE_CACHED, *PTCP_OFFLOAD_STATE_CACHED;

/* Delegated TCP state. SendDataHead/Tail and BufferedData are used by initiate and
 * terminate only; SendBacklogSize/ReceiveBacklogSize are returned only by query (§2.7).
 * SRtt is scaled x8 and RttVar x4. DWnd exists from NDIS 6.1 on, which is what we model. */
typedef struct _TCP_OFFLOAD_STATE_DELEGATED {
    OFFLOAD_STATE_HEADER Header;
    ULONG State; /* TCP_OFFLOAD_CONNECTION_STATE, a 4-byte enum in the WDK */
    USHORT Flags; /* reserved for the system */
    ULONG RcvNxt;
    ULONG RcvWnd;
    ULONG SndUna;
    ULONG SndNxt;
    ULONG SndMax;
    ULONG SndWnd;
    ULONG MaxSndWnd;
    ULONG SendWL1;
    ULONG CWnd;
    ULONG SsThresh;
    USHORT SRtt;
    USHORT RttVar;
    ULONG TsRecent;
    ULONG TsRecentAge;
    ULONG TsTime;
    ULONG TotalRT;
    UCHAR DupAckCount;
    UCHAR SndWndProbeCount;
    struct {
        UCHAR ProbeCount;
        ULONG TimeoutDelta;
    } KeepAlive;
    struct {
        UCHAR Count;
        ULONG TimeoutDelta;
    } Retransmit;
    union {
        struct {
            PNET_BUFFER_LIST SendDataHead;
            PNET_BUFFER_LIST SendDataTail;
        };
        ULONG SendBacklogSize;
    };
    union {
        PNET_BUFFER_LIST BufferedData;
        ULONG ReceiveBacklogSize;
    };
    ULONG DWnd; /* NDIS 6.1+ */
} TCP_OFFLOAD_STATE_DELEGATED, *PTCP_OFFLOAD_STATE_DELEGATED;

/* --------------------------------------------------------------------------------------
 * Offload handle and block lists (§2.2-2.4, field rules §3.4).
 * ------------------------------------------------------------------------------------ */

/* Owned by the driver above the offloaded object. NdisReserved belongs to NDIS; the lower
 * driver writes its per-object context into MiniportOffloadContext on a successful
 * initiate. */
typedef struct _NDIS_OFFLOAD_HANDLE {
    PVOID NdisReserved[1];
    PVOID MiniportOffloadContext;
} NDIS_OFFLOAD_HANDLE, *PNDIS_OFFLOAD_HANDLE;

/* The upper driver's view ("POBL"). State structs, if any, follow the block in memory. */
typedef struct _NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST {
    NDIS_OBJECT_HEADER Header; /* Type = OFFLOAD_STATE_TYPE of the trailing state */
    struct _NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *NextBlock; /* sibling, same layer */
    struct _NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *DependentBlockList; /* next layer up */
    NDIS_STATUS Status; /* OUT, every block */
    PVOID NdisReserved[3]; /* [2] becomes MOBL.MiniportOffloadContext */
    PNDIS_OFFLOAD_HANDLE OffloadHandle; /* IN OUT; MOBL.NdisOffloadHandle slot */
    PVOID ProtocolReserved[2];
    PVOID MiniportReserved[2];
    PVOID ImReserved[2];
    PVOID Scratch[2];
    PVOID SourceHandle;
    NDIS_PORT_NUMBER PortNumber;
    PNET_BUFFER_LIST NetBufferListChain; /* IN OUT */
} NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST, *PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST;

/* The lower driver's view ("MOBL"): the same memory, converted in place by NDIS. */
typedef struct _NDIS_MINIPORT_OFFLOAD_BLOCK_LIST {
    NDIS_OBJECT_HEADER Header;
    struct _NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *NextBlock;
    struct _NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *DependentBlockList;
    NDIS_STATUS Status;
    PVOID NdisReserved[2];
    PVOID *MiniportOffloadContext; /* IN OUT; NULL for a placeholder block */
    NDIS_HANDLE NdisOffloadHandle;
    PVOID ProtocolReserved[2];
    PVOID MiniportReserved[2];
    PVOID ImReserved[2];
    PVOID Scratch[2];
    PVOID SourceHandle;
    NDIS_PORT_NUMBER PortNumber;
    PNET_BUFFER_LIST NetBufferListChain;
} NDIS_MINIPORT_OFFLOAD_BLOCK_LIST, *PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST;

#include "ndis_chimney_handlers.h"
#include "ndis_chimney_layout.h"

#endif /* CHIMNEY_NDIS_CHIMNEY_H */
