/* layout_test.c - pins driver-shim's chimney types (chimney/ndis_chimney.h) to the WDK.
 *
 * The header's static asserts cover sizes and offsets of ordinary fields; offsetof cannot
 * reach bitfields, so here each bitfield is written into a zeroed struct and the exact bytes
 * that changed are checked (reference §2.7). Also checks the 32-bit patterns of the
 * NDIS_STATUS codes (§2.8), enum and flag values (§1.5, §2.6, §2.7), and a few offsets at
 * run time, so that a layout change shows up as a named failing test as well.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <chimney/ndis_chimney.h>

/* The reference tables give (x86, x64) pairs; pick the one for this build. */
#define ABI(x86, x64) (sizeof(void *) == 8 ? (size_t)(x64) : (size_t)(x86))
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A byte expected to be non-zero after a write, and its value. */
struct byte_expect {
    size_t offset;
    uint8_t value;
};

/* Fails unless every byte of obj is zero except the listed ones, which must hold exactly
 * the listed values: catches both a field in the wrong place and one that spills over. */
static void assert_only_bytes(const void *obj, size_t size, const struct byte_expect *expect,
                              size_t count)
{
    uint8_t want[256] = {0};
    const uint8_t *got = obj;

    cr_assert_leq(size, sizeof want, "struct of %zu bytes is too big for the checker", size);
    for (size_t i = 0; i < count; i++) {
        cr_assert_lt(expect[i].offset, size, "expected byte 0x%02zx lies outside the struct",
                     expect[i].offset);
        want[expect[i].offset] = expect[i].value;
    }
    for (size_t i = 0; i < size; i++)
        cr_assert_eq(got[i], want[i], "byte 0x%02zx is 0x%02x, expected 0x%02x", i,
                     (unsigned)got[i], (unsigned)want[i]);
}

#define ASSERT_ONLY_BYTES(obj, ...)                                                            \
    do {                                                                                       \
        const struct byte_expect expect_[] = {__VA_ARGS__};                                    \
        assert_only_bytes(&(obj), sizeof(obj), expect_, COUNT(expect_));                       \
    } while (0)

/* ---- bitfields and their neighbours (§2.7) ------------------------------------------- */

Test(layout, neighbor_const_vlan_id_is_low_12_bits_of_ulong_at_0x28)
{
    NEIGHBOR_OFFLOAD_STATE_CONST c;
    memset(&c, 0, sizeof c);
    c.VlanId = 0xFFF;
    ASSERT_ONLY_BYTES(c, {0x28, 0xFF}, {0x29, 0x0F});
}

Test(layout, tcp_const_snd_wind_scale_is_low_nibble_of_byte_0x0e)
{
    TCP_OFFLOAD_STATE_CONST c;
    memset(&c, 0, sizeof c);
    c.SndWindScale = 0xF;
    ASSERT_ONLY_BYTES(c, {0x0e, 0x0F});
}

Test(layout, tcp_const_rcv_wind_scale_is_high_nibble_of_byte_0x0e)
{
    TCP_OFFLOAD_STATE_CONST c;
    memset(&c, 0, sizeof c);
    c.RcvWindScale = 0xF;
    ASSERT_ONLY_BYTES(c, {0x0e, 0xF0});
}

Test(layout, tcp_const_window_scales_keep_their_own_bit_order)
{
    TCP_OFFLOAD_STATE_CONST c;
    memset(&c, 0, sizeof c);
    c.SndWindScale = 0x3;
    c.RcvWindScale = 0xA;
    ASSERT_ONLY_BYTES(c, {0x0e, 0xA3});
    cr_assert_eq(c.SndWindScale, 0x3);
    cr_assert_eq(c.RcvWindScale, 0xA);
}

Test(layout, tcp_cached_flow_label_is_low_20_bits_at_0x24)
{
    TCP_OFFLOAD_STATE_CACHED c;
    memset(&c, 0, sizeof c);
    c.FlowLabel = 0xFFFFF;
    ASSERT_ONLY_BYTES(c, {0x24, 0xFF}, {0x25, 0xFF}, {0x26, 0x0F});
}

Test(layout, tcp_cached_flow_label_is_stored_little_endian)
{
    TCP_OFFLOAD_STATE_CACHED c;
    memset(&c, 0, sizeof c);
    c.FlowLabel = 0x12345;
    ASSERT_ONLY_BYTES(c, {0x24, 0x45}, {0x25, 0x23}, {0x26, 0x01});
}

Test(layout, tcp_cached_ttl_or_hop_limit_is_byte_0x28_not_the_flow_label_spare_byte)
{
    TCP_OFFLOAD_STATE_CACHED c;
    memset(&c, 0, sizeof c);
    c.TtlOrHopLimit = 0xFF;
    ASSERT_ONLY_BYTES(c, {0x28, 0xFF});
}

Test(layout, tcp_cached_tos_or_traffic_class_is_byte_0x29)
{
    TCP_OFFLOAD_STATE_CACHED c;
    memset(&c, 0, sizeof c);
    c.TosOrTrafficClass = 0xFF;
    ASSERT_ONLY_BYTES(c, {0x29, 0xFF});
}

Test(layout, tcp_cached_user_priority_is_low_3_bits_of_byte_0x2a)
{
    TCP_OFFLOAD_STATE_CACHED c;
    memset(&c, 0, sizeof c);
    c.UserPriority = 0x7;
    ASSERT_ONLY_BYTES(c, {0x2a, 0x07});
}

Test(layout, tcp_cached_all_tail_fields_together_leave_0x27_and_0x2b_as_padding)
{
    TCP_OFFLOAD_STATE_CACHED c;
    memset(&c, 0, sizeof c);
    c.FlowLabel = 0xFFFFF;
    c.TtlOrHopLimit = 0x11;
    c.TosOrTrafficClass = 0x22;
    c.UserPriority = 0x5;
    ASSERT_ONLY_BYTES(c, {0x24, 0xFF}, {0x25, 0xFF}, {0x26, 0x0F}, {0x28, 0x11}, {0x29, 0x22},
                      {0x2a, 0x05});
}

/* ---- offsets at run time (the static asserts hold the full tables) ----------------------- */

Test(layout, block_lists_have_reference_sizes_and_offsets)
{
    cr_assert_eq(sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST), ABI(0x4c, 0x98));
    cr_assert_eq(sizeof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST), ABI(0x4c, 0x98));
    cr_assert_eq(offsetof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST, OffloadHandle), ABI(0x1c, 0x38));
    cr_assert_eq(offsetof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST, MiniportOffloadContext),
                 ABI(0x18, 0x30));
    cr_assert_eq(offsetof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST, PortNumber), ABI(0x44, 0x88));
    cr_assert_eq(offsetof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST, NetBufferListChain),
                 ABI(0x48, 0x90));
}

Test(layout, tcp_delegated_has_reference_size_and_union_offsets)
{
    cr_assert_eq(sizeof(TCP_OFFLOAD_STATE_DELEGATED), ABI(0x70, 0x80));
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_DELEGATED, KeepAlive.TimeoutDelta), 0x54);
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_DELEGATED, SendDataHead), 0x60);
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_DELEGATED, SendBacklogSize), 0x60);
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_DELEGATED, SendDataTail), ABI(0x64, 0x68));
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_DELEGATED, ReceiveBacklogSize), ABI(0x68, 0x70));
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_DELEGATED, DWnd), ABI(0x6c, 0x78));
}

Test(layout, tcp_cached_and_const_have_reference_sizes)
{
    cr_assert_eq(sizeof(TCP_OFFLOAD_STATE_CONST), 0x18);
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_CONST, RemoteMss), 0x10);
    cr_assert_eq(sizeof(TCP_OFFLOAD_STATE_CACHED), 0x2c);
    cr_assert_eq(offsetof(TCP_OFFLOAD_STATE_CACHED, TtlOrHopLimit), 0x28);
    cr_assert_eq(sizeof(NEIGHBOR_OFFLOAD_STATE_CONST), 0x2c);
}

/* NDIS turns a POBL into a MOBL in the same memory (§2.4): what the upper view stores in
 * NdisReserved[2] and OffloadHandle, the lower view reads as MiniportOffloadContext and
 * NdisOffloadHandle. */
Test(layout, pobl_written_by_ndis_reads_back_as_mobl_in_place)
{
    union {
        NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST pobl;
        NDIS_MINIPORT_OFFLOAD_BLOCK_LIST mobl;
    } block;
    NDIS_OFFLOAD_HANDLE handle;

    memset(&block, 0, sizeof block);
    memset(&handle, 0, sizeof handle);
    block.pobl.OffloadHandle = &handle;
    block.pobl.NdisReserved[2] = &handle.MiniportOffloadContext;
    block.pobl.Status = NDIS_STATUS_PENDING;
    block.pobl.PortNumber = 7;

    cr_assert_eq(block.mobl.NdisOffloadHandle, (NDIS_HANDLE)&handle);
    cr_assert_eq(block.mobl.MiniportOffloadContext, &handle.MiniportOffloadContext);
    cr_assert_eq(block.mobl.Status, NDIS_STATUS_PENDING);
    cr_assert_eq(block.mobl.PortNumber, 7);
}

/* ---- NDIS_STATUS codes (§2.8) ------------------------------------------------------------ */

struct status_expect {
    const char *name;
    NDIS_STATUS value;
    uint32_t bits;
};

#define STATUS(name, bits) {#name, name, bits}

static const struct status_expect statuses[] = {
    STATUS(NDIS_STATUS_SUCCESS, 0x00000000u),
    STATUS(NDIS_STATUS_PENDING, 0x00000103u),
    STATUS(NDIS_STATUS_FAILURE, 0xC0000001u),
    STATUS(NDIS_STATUS_RESOURCES, 0xC000009Au),
    STATUS(NDIS_STATUS_NOT_SUPPORTED, 0xC00000BBu),
    STATUS(NDIS_STATUS_INVALID_STATE, 0xC0000184u),
    STATUS(NDIS_STATUS_REQUEST_ABORTED, 0xC001000Cu),
    STATUS(NDIS_STATUS_PAUSED, 0xC023002Au),
    STATUS(NDIS_STATUS_OFFLOAD_PAUSE, 0x40020001u),
    STATUS(NDIS_STATUS_UPLOAD_ALL, 0x40020002u),
    STATUS(NDIS_STATUS_OFFLOAD_RESUME, 0x40020003u),
    STATUS(NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS, 0x40020004u),
    STATUS(NDIS_STATUS_OFFLOAD_STATE_INVALID, 0x40020005u),
    STATUS(NDIS_STATUS_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES, 0x4002000Bu),
    STATUS(NDIS_STATUS_OFFLOAD_IM_RESERVED1, 0x40020100u),
    STATUS(NDIS_STATUS_OFFLOAD_IM_RESERVED2, 0x40020101u),
    STATUS(NDIS_STATUS_OFFLOAD_IM_RESERVED3, 0x40020102u),
    STATUS(NDIS_STATUS_UPLOAD_IN_PROGRESS, 0xC0231001u),
    STATUS(NDIS_STATUS_REQUEST_UPLOAD, 0xC0231002u),
    STATUS(NDIS_STATUS_UPLOAD_REQUESTED, 0xC0231003u),
    STATUS(NDIS_STATUS_OFFLOAD_TCP_ENTRIES, 0xC0231004u),
    STATUS(NDIS_STATUS_OFFLOAD_PATH_ENTRIES, 0xC0231005u),
    STATUS(NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES, 0xC0231006u),
    STATUS(NDIS_STATUS_OFFLOAD_IP_ADDRESS_ENTRIES, 0xC0231007u),
    STATUS(NDIS_STATUS_OFFLOAD_HW_ADDRESS_ENTRIES, 0xC0231008u),
    STATUS(NDIS_STATUS_OFFLOAD_VLAN_ENTRIES, 0xC0231009u),
    STATUS(NDIS_STATUS_OFFLOAD_TCP_XMIT_BUFFER, 0xC023100Au),
    STATUS(NDIS_STATUS_OFFLOAD_TCP_RCV_BUFFER, 0xC023100Bu),
    STATUS(NDIS_STATUS_OFFLOAD_TCP_RCV_WINDOW, 0xC023100Cu),
    STATUS(NDIS_STATUS_OFFLOAD_VLAN_MISMATCH, 0xC023100Du),
    STATUS(NDIS_STATUS_OFFLOAD_DATA_NOT_ACCEPTED, 0xC023100Eu),
    STATUS(NDIS_STATUS_OFFLOAD_POLICY, 0xC023100Fu),
    STATUS(NDIS_STATUS_OFFLOAD_DATA_PARTIALLY_ACCEPTED, 0xC0231010u),
    STATUS(NDIS_STATUS_OFFLOAD_REQUEST_RESET, 0xC0231011u),
    STATUS(NDIS_STATUS_OFFLOAD_CONNECTION_REJECTED, 0xC0231012u),
    STATUS(STATUS_NDIS_OFFLOAD_PATH_REJECTED, 0xC0231013u),
};

Test(status, every_chimney_status_has_its_wdk_32_bit_pattern)
{
    for (size_t i = 0; i < COUNT(statuses); i++)
        cr_expect_eq((uint32_t)statuses[i].value, statuses[i].bits,
                     "%s is 0x%08x, expected 0x%08x", statuses[i].name,
                     (unsigned)(uint32_t)statuses[i].value, (unsigned)statuses[i].bits);
}

Test(status, error_severity_codes_are_negative_int32_and_the_rest_are_not)
{
    for (size_t i = 0; i < COUNT(statuses); i++) {
        int is_error = (statuses[i].bits & 0xC0000000u) == 0xC0000000u;
        cr_expect_eq(statuses[i].value < 0, is_error, "%s has the wrong sign",
                     statuses[i].name);
    }
}

/* ---- enums (§1.3, §2.6, §2.7) ------------------------------------------------------------ */

struct enum_expect {
    const char *name;
    long value;
    long wdk;
};

#define ENUM(name, wdk) {#name, (long)(name), wdk}

static void expect_enums(const struct enum_expect *e, size_t count)
{
    for (size_t i = 0; i < count; i++)
        cr_expect_eq(e[i].value, e[i].wdk, "%s is %ld, expected %ld", e[i].name, e[i].value,
                     e[i].wdk);
}

Test(enums, offload_state_type_values_match_wdk)
{
    static const struct enum_expect e[] = {
        ENUM(NeighborOffloadConstState, 1), ENUM(NeighborOffloadCachedState, 2),
        ENUM(NeighborOffloadDelegatedState, 3), ENUM(NeighborOffloadState, 4),
        ENUM(Ip4OffloadConstState, 5), ENUM(Ip4OffloadCachedState, 6),
        ENUM(Ip4OffloadDelegatedState, 7), ENUM(Ip4OffloadState, 8),
        ENUM(Ip6OffloadConstState, 9), ENUM(Ip6OffloadCachedState, 10),
        ENUM(Ip6OffloadDelegatedState, 11), ENUM(Ip6OffloadState, 12),
        ENUM(TcpOffloadConstState, 13), ENUM(TcpOffloadCachedState, 14),
        ENUM(TcpOffloadDelegatedState, 15), ENUM(TcpOffloadResourceState, 16),
        ENUM(TcpOffloadState, 17), ENUM(FilterReservedOffloadState, 0xFE),
        ENUM(MaximumOffloadState, 0xFF),
    };
    expect_enums(e, COUNT(e));
}

Test(enums, tcp_connection_state_values_match_wdk)
{
    static const struct enum_expect e[] = {
        ENUM(TcpConnectionClosed, 0),    ENUM(TcpConnectionListen, 1),
        ENUM(TcpConnectionSynSent, 2),   ENUM(TcpConnectionSynRcvd, 3),
        ENUM(TcpConnectionEstablished, 4), ENUM(TcpConnectionFinWait1, 5),
        ENUM(TcpConnectionFinWait2, 6),  ENUM(TcpConnectionCloseWait, 7),
        ENUM(TcpConnectionClosing, 8),   ENUM(TcpConnectionLastAck, 9),
        ENUM(TcpConnectionTimeWait, 10), ENUM(TcpConnectionMaxState, 11),
    };
    expect_enums(e, COUNT(e));
}

Test(enums, tcp_upload_reason_values_match_wdk)
{
    static const struct enum_expect e[] = {
        ENUM(LowActivity, 1),        ENUM(HighDropRate, 2),
        ENUM(SmallIO, 3),            ENUM(NoBufferPreposting, 4),
        ENUM(NoBufferProposting, 4), ENUM(ReceivedUrgentData, 5),
        ENUM(HighFragmentation, 6),  ENUM(HighOutOfOrderPackets, 7),
        ENUM(TimeoutExpiration, 8),  ENUM(InvalidState, 9),
        ENUM(UploadRequested, 10),   ENUM(HardwareFailure, 11),
        ENUM(MaxUploadReason, 12),
    };
    expect_enums(e, COUNT(e));
}

Test(enums, event_and_offload_type_values_match_wdk)
{
    static const struct enum_expect e[] = {
        ENUM(TcpIndicateSendBacklogChange, 1), ENUM(TcpIndicateDisconnect, 2),
        ENUM(TcpIndicateRetrieve, 3),          ENUM(TcpIndicateAbort, 4),
        ENUM(NeighborReachabilityInDoubt, 1),  ENUM(NeighborReachabilityQuery, 2),
        ENUM(MaxOffloadEvent, 3),              ENUM(NdisTcpChimneyOffload, 1),
        ENUM(NdisIpsecChimneyOffload, 2),      ENUM(NdisRdmaChimneyOffload, 3),
        ENUM(NdisMaxChimneyOffload, 4),
    };
    expect_enums(e, COUNT(e));
}

/* ---- flags, object types, revisions (§1.4, §1.5, §2.5, §2.7) ----------------------------- */

Test(constants, flags_match_wdk)
{
    static const struct enum_expect e[] = {
        ENUM(TCP_FLAG_TIMESTAMP_ENABLED, 0x01),     ENUM(TCP_FLAG_SACK_ENABLED, 0x02),
        ENUM(TCP_FLAG_WINDOW_SCALING_ENABLED, 0x04), ENUM(TCP_FLAG_KEEP_ALIVE_ENABLED, 0x01),
        ENUM(TCP_FLAG_NAGLING_ENABLED, 0x02),       ENUM(TCP_FLAG_KEEP_ALIVE_RESTART, 0x04),
        ENUM(TCP_FLAG_MAX_RT_RESTART, 0x08),        ENUM(TCP_FLAG_UPDATE_RCV_WND, 0x10),
        ENUM(TCP_DISCONNECT_GRACEFUL_CLOSE, 0x01),  ENUM(TCP_DISCONNECT_ABORTIVE_CLOSE, 0x02),
    };
    expect_enums(e, COUNT(e));
}

Test(constants, object_types_client_generic_is_0x8e_and_provider_tcp_is_0x94)
{
    static const struct enum_expect e[] = {
        ENUM(NDIS_OBJECT_TYPE_DEFAULT, 0x80),
        ENUM(NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS, 0x8E),
        ENUM(NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS, 0x8F),
        ENUM(NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS, 0x93),
        ENUM(NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS, 0x94),
        ENUM(NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1, 1),
        ENUM(NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1, 1),
        ENUM(NDIS_OBJECT_TCP_OFFLOAD_REVISION_1, 1),
        ENUM(NDIS_OFFLOAD_BLOCK_LIST_REVISION_1, 1),
    };
    expect_enums(e, COUNT(e));
}
