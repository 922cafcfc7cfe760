/* ct_print_names.c - the one place where operations, edges, NDIS statuses, OFFLOAD_STATE_TYPE
 * values and TCP connection states get their printed names.
 *
 * Status and state-type spellings follow the WDK (reference §2.6, §2.8) so that people who
 * know ndis.h recognize them; operation names come from the schema's enum so they can
 * never drift from it.
 */
#include <string.h>

#include "ct_print_int.h"

const char *ct_print_op_name(int op)
{
    const char *name = ct_print_enum_value_name(&chimtrace__v1__operation__descriptor, op);

    if (!name)
        return "OP_UNKNOWN";
    return strncmp(name, "OP_", 3) == 0 ? name + 3 : name;
}

const char *ct_print_edge_name(int edge)
{
    switch (edge) {
    case CHIMTRACE__V1__EDGE__EDGE_UNSPECIFIED: return "edge-unspecified";
    case CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE: return "req-in-above";
    case CHIMTRACE__V1__EDGE__EDGE_REQUEST_OUT_BELOW: return "req-out-below";
    case CHIMTRACE__V1__EDGE__EDGE_COMPLETION_IN_BELOW: return "cmpl-in-below";
    case CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE: return "cmpl-out-above";
    default: return "edge-unknown";
    }
}

static const struct {
    uint32_t value;
    const char *name;
} status_names[] = {
    { 0x00000000u, "SUCCESS" },
    { 0x00000103u, "PENDING" },
    { 0xC0000001u, "FAILURE" },
    { 0xC000009Au, "RESOURCES" },
    { 0xC00000BBu, "NOT_SUPPORTED" },
    { 0xC0000184u, "INVALID_STATE" },
    { 0xC001000Cu, "REQUEST_ABORTED" },
    { 0xC023002Au, "PAUSED" },
    { 0x40020001u, "OFFLOAD_PAUSE" },
    { 0x40020002u, "UPLOAD_ALL" },
    { 0x40020003u, "OFFLOAD_RESUME" },
    { 0x40020004u, "OFFLOAD_PARTIAL_SUCCESS" },
    { 0x40020005u, "OFFLOAD_STATE_INVALID" },
    { 0xC0231001u, "UPLOAD_IN_PROGRESS" },
    { 0xC0231002u, "REQUEST_UPLOAD" },
    { 0xC0231003u, "UPLOAD_REQUESTED" },
    { 0xC0231004u, "OFFLOAD_TCP_ENTRIES" },
    { 0xC0231005u, "OFFLOAD_PATH_ENTRIES" },
    { 0xC0231006u, "OFFLOAD_NEIGHBOR_ENTRIES" },
    { 0xC0231007u, "OFFLOAD_IP_ADDRESS_ENTRIES" },
    { 0xC0231008u, "OFFLOAD_HW_ADDRESS_ENTRIES" },
    { 0xC0231009u, "OFFLOAD_VLAN_ENTRIES" },
    { 0xC023100Au, "OFFLOAD_TCP_XMIT_BUFFER" },
    { 0xC023100Bu, "OFFLOAD_TCP_RCV_BUFFER" },
    { 0xC023100Cu, "OFFLOAD_TCP_RCV_WINDOW" },
    { 0xC023100Du, "OFFLOAD_VLAN_MISMATCH" },
    { 0xC023100Eu, "OFFLOAD_DATA_NOT_ACCEPTED" },
    { 0xC023100Fu, "OFFLOAD_POLICY" },
    { 0xC0231010u, "OFFLOAD_DATA_PARTIALLY_ACCEPTED" },
    { 0xC0231011u, "OFFLOAD_REQUEST_RESET" },
    { 0xC0231012u, "OFFLOAD_CONNECTION_REJECTED" },
};

const char *ct_print_status_name(uint32_t status)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].value == status)
            return status_names[i].name;
    return NULL;
}

static const char *const state_type_names[] = {
    NULL,
    "NeighborOffloadConstState", "NeighborOffloadCachedState",
    "NeighborOffloadDelegatedState", "NeighborOffloadState",
    "Ip4OffloadConstState", "Ip4OffloadCachedState",
    "Ip4OffloadDelegatedState", "Ip4OffloadState",
    "Ip6OffloadConstState", "Ip6OffloadCachedState",
    "Ip6OffloadDelegatedState", "Ip6OffloadState",
    "TcpOffloadConstState", "TcpOffloadCachedState",
    "TcpOffloadDelegatedState", "TcpOffloadResourceState", "TcpOffloadState",
};

const char *ct_print_state_type_name(uint32_t type)
{
    if (type < sizeof state_type_names / sizeof state_type_names[0])
        return state_type_names[type];
    if (type == 0xFE)
        return "FilterReservedOffloadState";
    if (type == 0xFF)
        return "MaximumOffloadState";
    return NULL;
}

const char *ct_print_tcp_state_name(int state)
{
    static const char prefix[] = "TCP_CONNECTION_";
    const char *name =
        ct_print_enum_value_name(&chimtrace__v1__tcp_connection_state__descriptor, state);

    if (name && strncmp(name, prefix, sizeof prefix - 1) == 0)
        return name + sizeof prefix - 1;
    return name;
}
