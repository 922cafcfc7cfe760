/* encode_state.c - the nine chimney state structures, field by field, into protobuf.
 *
 * Each structure is located exactly as the shim and the host lay it out (natural alignment
 * after the block, record.h) and read through the driver's own struct types. Its offset is
 * recorded from the start of the block, as FORMAT.md §6.3 defines. Pointers inside state
 * (NBL heads, buffered data) become stable ids; path addresses come from the copies the
 * shim made, since the pointers themselves mean nothing outside the run.
 */
#include <string.h>

#include "encode_state.h"

#define SET(msg, field, value) ((msg)->has_##field = 1, (msg)->field = (value))
#define HDR(msg, h, off) \
    (SET(msg, length, (h)->Length), SET(msg, recognized_options, (h)->RecognizedOptions), \
     SET(msg, offset, (off)))

/* Trailing zero bytes of a DlXxxAddress are dropped (FORMAT.md §6.3). */
static ProtobufCBinaryData trimmed(const UCHAR *a, size_t n)
{
    while (n > 0 && a[n - 1] == 0)
        n--;
    ProtobufCBinaryData d = {n, (uint8_t *)a};
    return d;
}

static void neighbor(enc_state *st, Chimtrace__V1__Block *b, uint32_t bit, const void *p,
                     uint32_t off)
{
    if (bit == SHIM_ST_NEIGHBOR_CONST) {
        const NEIGHBOR_OFFLOAD_STATE_CONST *s = p;
        Chimtrace__V1__NeighborConst *m = &st->nc;
        chimtrace__v1__neighbor_const__init(m);
        HDR(m, &s->Header, off);
        SET(m, dl_source_address, trimmed(s->DlSourceAddress, sizeof s->DlSourceAddress));
        SET(m, vlan_id, s->VlanId);
        b->neighbor_const = m;
    } else if (bit == SHIM_ST_NEIGHBOR_CACHED) {
        const NEIGHBOR_OFFLOAD_STATE_CACHED *s = p;
        Chimtrace__V1__NeighborCached *m = &st->nca;
        chimtrace__v1__neighbor_cached__init(m);
        HDR(m, &s->Header, off);
        SET(m, dl_destination_address,
            trimmed(s->DlDestinationAddress, sizeof s->DlDestinationAddress));
        SET(m, host_reachability_delta, s->HostReachabilityDelta);
        b->neighbor_cached = m;
    } else {
        const NEIGHBOR_OFFLOAD_STATE_DELEGATED *s = p;
        Chimtrace__V1__NeighborDelegated *m = &st->nd;
        chimtrace__v1__neighbor_delegated__init(m);
        HDR(m, &s->Header, off);
        SET(m, nic_reachability_delta, s->NicReachabilityDelta);
        b->neighbor_delegated = m;
    }
}

static void path(enc_state *st, Chimtrace__V1__Block *b, uint32_t bit, const void *p,
                 uint32_t off, const shim_block_rec *br)
{
    if (bit == SHIM_ST_PATH_CONST) {
        const PATH_OFFLOAD_STATE_CONST *s = p;
        Chimtrace__V1__PathConst *m = &st->pc;
        chimtrace__v1__path_const__init(m);
        HDR(m, &s->Header, off);
        if ((br->flags & SHIM_BLKF_ADDRS) && s->SourceAddress != NULL)
            SET(m, source_address, ((ProtobufCBinaryData){br->addr_len, (uint8_t *)br->src_addr}));
        if ((br->flags & SHIM_BLKF_ADDRS) && s->DestinationAddress != NULL)
            SET(m, destination_address,
                ((ProtobufCBinaryData){br->addr_len, (uint8_t *)br->dst_addr}));
        b->path_const = m;
    } else if (bit == SHIM_ST_PATH_CACHED) {
        const PATH_OFFLOAD_STATE_CACHED *s = p;
        Chimtrace__V1__PathCached *m = &st->pca;
        chimtrace__v1__path_cached__init(m);
        HDR(m, &s->Header, off);
        SET(m, path_mtu, s->PathMtu);
        b->path_cached = m;
    } else {
        const PATH_OFFLOAD_STATE_DELEGATED *s = p;
        Chimtrace__V1__PathDelegated *m = &st->pd;
        chimtrace__v1__path_delegated__init(m);
        HDR(m, &s->Header, off);
        b->path_delegated = m;
    }
}

static void tcp_const(enc_state *st, Chimtrace__V1__Block *b, const TCP_OFFLOAD_STATE_CONST *s,
                      uint32_t off)
{
    Chimtrace__V1__TcpConst *m = &st->tc;
    chimtrace__v1__tcp_const__init(m);
    HDR(m, &s->Header, off);
    SET(m, flags, s->Flags);
    SET(m, remote_port, s->RemotePort);
    SET(m, local_port, s->LocalPort);
    SET(m, snd_wind_scale, s->SndWindScale);
    SET(m, rcv_wind_scale, s->RcvWindScale);
    SET(m, remote_mss, s->RemoteMss);
    SET(m, hash_value, s->HashValue);
    b->tcp_const = m;
}

static void tcp_cached(enc_state *st, Chimtrace__V1__Block *b,
                       const TCP_OFFLOAD_STATE_CACHED *s, uint32_t off)
{
    Chimtrace__V1__TcpCached *m = &st->tca;
    chimtrace__v1__tcp_cached__init(m);
    HDR(m, &s->Header, off);
    SET(m, flags, s->Flags);
    SET(m, initial_rcv_wnd, s->InitialRcvWnd);
    SET(m, rcv_indication_size, s->RcvIndicationSize);
    SET(m, ka_probe_count, s->KaProbeCount);
    SET(m, ka_timeout, s->KaTimeout);
    SET(m, ka_interval, s->KaInterval);
    SET(m, max_rt, s->MaxRT);
    SET(m, flow_label, s->FlowLabel);
    SET(m, ttl_or_hop_limit, s->TtlOrHopLimit);
    SET(m, tos_or_traffic_class, s->TosOrTrafficClass);
    SET(m, user_priority, s->UserPriority);
    b->tcp_cached = m;
}

static void tcp_delegated(ct_enc *e, enc_state *st, Chimtrace__V1__Block *b,
                          const TCP_OFFLOAD_STATE_DELEGATED *s, uint32_t off, int op_is_query)
{
    Chimtrace__V1__TcpDelegated *m = &st->td;
    chimtrace__v1__tcp_delegated__init(m);
    HDR(m, &s->Header, off);
    SET(m, state, (Chimtrace__V1__TcpConnectionState)s->State);
    SET(m, flags, s->Flags);
    SET(m, rcv_nxt, s->RcvNxt);
    SET(m, rcv_wnd, s->RcvWnd);
    SET(m, snd_una, s->SndUna);
    SET(m, snd_nxt, s->SndNxt);
    SET(m, snd_max, s->SndMax);
    SET(m, snd_wnd, s->SndWnd);
    SET(m, max_snd_wnd, s->MaxSndWnd);
    SET(m, send_wl1, s->SendWL1);
    SET(m, cwnd, s->CWnd);
    SET(m, ss_thresh, s->SsThresh);
    SET(m, srtt, s->SRtt);
    SET(m, rtt_var, s->RttVar);
    SET(m, ts_recent, s->TsRecent);
    SET(m, ts_recent_age, s->TsRecentAge);
    SET(m, ts_time, s->TsTime);
    SET(m, total_rt, s->TotalRT);
    SET(m, dup_ack_count, s->DupAckCount);
    SET(m, snd_wnd_probe_count, s->SndWndProbeCount);
    SET(m, keep_alive_probe_count, s->KeepAlive.ProbeCount);
    SET(m, keep_alive_timeout_delta, s->KeepAlive.TimeoutDelta);
    SET(m, retransmit_count, s->Retransmit.Count);
    SET(m, retransmit_timeout_delta, s->Retransmit.TimeoutDelta);
    if (op_is_query) {
        SET(m, send_backlog_size, s->SendBacklogSize);
        SET(m, receive_backlog_size, s->ReceiveBacklogSize);
    } else {
        SET(m, send_data_head_id, ct_enc_id(e, (uint64_t)(uintptr_t)s->SendDataHead));
        SET(m, send_data_tail_id, ct_enc_id(e, (uint64_t)(uintptr_t)s->SendDataTail));
        SET(m, buffered_data_id, ct_enc_id(e, (uint64_t)(uintptr_t)s->BufferedData));
    }
    SET(m, dwnd, s->DWnd);
    b->tcp_delegated = m;
}

void ct_enc_state(ct_enc *e, enc_state *st, Chimtrace__V1__Block *b, const shim_block_rec *br,
                  uint32_t type, int is_query)
{
    const uint8_t *base = (const uint8_t *)(br + 1);
    uint32_t mask = shim_state_mask(type), off = 0;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (!(mask & bit))
            continue;
        off = shim_state_next_offset(off, bit);
        if (off + shim_state_size(bit) > br->state_len)
            break; /* the shim copied less than the type implies: keep what is whole */
        const void *p = base + off;
        uint32_t rel = SHIM_BLOCK_RAW_BYTES + off;
        if (bit <= SHIM_ST_NEIGHBOR_DELEGATED)
            neighbor(st, b, bit, p, rel);
        else if (bit <= SHIM_ST_PATH_DELEGATED)
            path(st, b, bit, p, rel, br);
        else if (bit == SHIM_ST_TCP_CONST)
            tcp_const(st, b, p, rel);
        else if (bit == SHIM_ST_TCP_CACHED)
            tcp_cached(st, b, p, rel);
        else
            tcp_delegated(e, st, b, p, rel, is_query);
        off += shim_state_size(bit);
    }
}
