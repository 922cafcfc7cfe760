/* replay_tree.c - from recorded blocks back to memory: the links a pre-order list with
 * parent indexes implies, the fields of one block as the host wrote them, the trailing
 * state structures at their recorded offsets (through the driver's own struct types, as
 * the encoder reads them), and the bounded walk the scripted NIC uses on live trees.
 * Pointer fields the host or the NIC wrote come back as stand-ins, one per recorded id,
 * so the pattern of equal and distinct pointers - hence the ids - is the recorded one.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "replay_int.h"

/* One address per recorded id, whatever field it shows up in: the memory a recorded host
 * reused (a request freed, its address later a block) is reused alike. A block id stands
 * for its block buffer, a handle id for its handle, any other id for a byte of idspace. */
void *rp_id_ptr(rp *r, uint64_t id)
{
    if (id == 0 || id >= r->idspace_n)
        return NULL;
    uint64_t *v = obj_map_get(&r->buf_of_id, id);
    if (v != NULL) {
        rp_buf *b = &r->bufs[*v];
        if (b->mem == NULL)
            b->mem = calloc(1, b->size);
        return b->mem != NULL ? b->mem : r->idspace + id;
    }
    if ((v = obj_map_get(&r->handle_of_id, id)) != NULL)
        return &r->handles[*v];
    return r->idspace + id;
}

/* The typed state messages of a block, by SHIM_ST_* bit (offset and presence). */
static const void *state_msg(const Chimtrace__V1__Block *b, uint32_t bit)
{
    switch (bit) {
    case SHIM_ST_NEIGHBOR_CONST: return b->neighbor_const;
    case SHIM_ST_NEIGHBOR_CACHED: return b->neighbor_cached;
    case SHIM_ST_NEIGHBOR_DELEGATED: return b->neighbor_delegated;
    case SHIM_ST_PATH_CONST: return b->path_const;
    case SHIM_ST_PATH_CACHED: return b->path_cached;
    case SHIM_ST_PATH_DELEGATED: return b->path_delegated;
    case SHIM_ST_TCP_CONST: return b->tcp_const;
    case SHIM_ST_TCP_CACHED: return b->tcp_cached;
    case SHIM_ST_TCP_DELEGATED: return b->tcp_delegated;
    default: return NULL;
    }
}

/* The OFFLOAD_STATE_HEADER and offset every state message carries (fields 1-3). */
typedef struct msg_hdr {
    int has_length, has_options, has_offset;
    uint32_t length, options, offset;
} msg_hdr;

#define HDR_FROM(type)                                                                     \
    do {                                                                                   \
        const type *x = m;                                                                 \
        *h = (msg_hdr){x->has_length, x->has_recognized_options, x->has_offset, x->length, \
                       x->recognized_options, x->offset};                                  \
    } while (0)

static void header_of(uint32_t bit, const void *m, msg_hdr *h)
{
    switch (bit) {
    case SHIM_ST_NEIGHBOR_CONST: HDR_FROM(Chimtrace__V1__NeighborConst); break;
    case SHIM_ST_NEIGHBOR_CACHED: HDR_FROM(Chimtrace__V1__NeighborCached); break;
    case SHIM_ST_NEIGHBOR_DELEGATED: HDR_FROM(Chimtrace__V1__NeighborDelegated); break;
    case SHIM_ST_PATH_CONST: HDR_FROM(Chimtrace__V1__PathConst); break;
    case SHIM_ST_PATH_CACHED: HDR_FROM(Chimtrace__V1__PathCached); break;
    case SHIM_ST_PATH_DELEGATED: HDR_FROM(Chimtrace__V1__PathDelegated); break;
    case SHIM_ST_TCP_CONST: HDR_FROM(Chimtrace__V1__TcpConst); break;
    case SHIM_ST_TCP_CACHED: HDR_FROM(Chimtrace__V1__TcpCached); break;
    default: HDR_FROM(Chimtrace__V1__TcpDelegated); break;
    }
}

static uint32_t msg_offset(uint32_t bit, const void *m)
{
    msg_hdr h;
    header_of(bit, m, &h);
    return h.has_offset ? h.offset : 0;
}

#define OFFSET_LIMIT 4096u   /* a state further out than this is not written (hostile input) */

uint32_t rp_block_need(const Chimtrace__V1__Block *b)
{
    uint32_t end = sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST), off = 0;
    uint32_t mask = b->has_header_type ? shim_state_mask(b->header_type & 0xFFu) : 0;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (mask & bit) { /* where the shim will read it: natural layout by type */
            off = shim_state_next_offset(off, bit);
            off += shim_state_size(bit);
            if (end < sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST) + off)
                end = sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST) + off;
        }
        const void *m = state_msg(b, bit);
        uint32_t at = m ? msg_offset(bit, m) : 0;
        if (m != NULL && at <= OFFSET_LIMIT && at + shim_state_size(bit) > end)
            end = at + shim_state_size(bit);
    }
    return (end + 7u) / 8u * 8u + RP_ADDR_BYTES;
}

int rp_tree_links(const Chimtrace__V1__Event *ev, uint32_t *next, uint32_t *dep)
{
    size_t n = ev->n_block;
    uint32_t *last = malloc((n + 1) * sizeof *last);
    if (last == NULL)
        return 0;
    for (size_t i = 0; i <= n; i++)
        last[i] = RP_NONE;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        next[i] = dep[i] = RP_NONE;
        size_t p = b->has_parent ? b->parent : n; /* n: the root's NextBlock chain */
        if (b->has_parent && (i == 0 || b->parent >= i)) {
            ok = 0;
            break;
        }
        if (last[p] != RP_NONE)
            next[last[p]] = (uint32_t)i;
        else if (p != n)
            dep[p] = (uint32_t)i;
        last[p] = (uint32_t)i;
    }
    free(last);
    return ok;
}

/* ---- state structures ------------------------------------------------------------------ */

#define PUT(dst, m, field) ((m)->has_##field ? (void)((dst) = (m)->field) : (void)0)

static void put_header(OFFLOAD_STATE_HEADER *oh, uint32_t bit, const void *m, uint32_t size)
{
    msg_hdr h;
    header_of(bit, m, &h);
    oh->Length = h.has_length ? h.length : size;
    oh->RecognizedOptions = h.has_options ? h.options : 0;
}

static void put_bytes(UCHAR *dst, size_t cap, int has, ProtobufCBinaryData d)
{
    if (!has)
        return;
    memset(dst, 0, cap);
    memcpy(dst, d.data, d.len < cap ? d.len : cap);
}

static void put_neighbor(void *at, uint32_t bit, const void *m)
{
    if (bit == SHIM_ST_NEIGHBOR_CONST) {
        NEIGHBOR_OFFLOAD_STATE_CONST *s = at;
        const Chimtrace__V1__NeighborConst *c = m;
        put_bytes(s->DlSourceAddress, sizeof s->DlSourceAddress, c->has_dl_source_address,
                  c->dl_source_address);
        if (c->has_vlan_id)
            s->VlanId = c->vlan_id & 0xFFFu;
    } else if (bit == SHIM_ST_NEIGHBOR_CACHED) {
        NEIGHBOR_OFFLOAD_STATE_CACHED *s = at;
        const Chimtrace__V1__NeighborCached *c = m;
        put_bytes(s->DlDestinationAddress, sizeof s->DlDestinationAddress,
                  c->has_dl_destination_address, c->dl_destination_address);
        PUT(s->HostReachabilityDelta, c, host_reachability_delta);
    } else {
        NEIGHBOR_OFFLOAD_STATE_DELEGATED *s = at;
        PUT(s->NicReachabilityDelta, (const Chimtrace__V1__NeighborDelegated *)m,
            nic_reachability_delta);
    }
}

/* Path addresses live in the last RP_ADDR_BYTES of the block's buffer. */
static void put_path(void *at, uint32_t bit, const void *m, uint8_t *addrs)
{
    if (bit == SHIM_ST_PATH_CONST) {
        PATH_OFFLOAD_STATE_CONST *s = at;
        const Chimtrace__V1__PathConst *c = m;
        put_bytes(addrs, 16, c->has_source_address, c->source_address);
        put_bytes(addrs + 16, 16, c->has_destination_address, c->destination_address);
        s->SourceAddress = c->has_source_address ? addrs : NULL;
        s->DestinationAddress = c->has_destination_address ? addrs + 16 : NULL;
    } else if (bit == SHIM_ST_PATH_CACHED) {
        PUT(((PATH_OFFLOAD_STATE_CACHED *)at)->PathMtu, (const Chimtrace__V1__PathCached *)m,
            path_mtu);
    }
}

static void put_tcp_const(TCP_OFFLOAD_STATE_CONST *s, const Chimtrace__V1__TcpConst *c)
{
    PUT(s->Flags, c, flags);
    PUT(s->RemotePort, c, remote_port);
    PUT(s->LocalPort, c, local_port);
    if (c->has_snd_wind_scale)
        s->SndWindScale = c->snd_wind_scale & 0xFu;
    if (c->has_rcv_wind_scale)
        s->RcvWindScale = c->rcv_wind_scale & 0xFu;
    PUT(s->RemoteMss, c, remote_mss);
    PUT(s->HashValue, c, hash_value);
}

static void put_tcp_cached(TCP_OFFLOAD_STATE_CACHED *s, const Chimtrace__V1__TcpCached *c)
{
    PUT(s->Flags, c, flags);
    PUT(s->InitialRcvWnd, c, initial_rcv_wnd);
    PUT(s->RcvIndicationSize, c, rcv_indication_size);
    PUT(s->KaProbeCount, c, ka_probe_count);
    PUT(s->KaTimeout, c, ka_timeout);
    PUT(s->KaInterval, c, ka_interval);
    PUT(s->MaxRT, c, max_rt);
    if (c->has_flow_label)
        s->FlowLabel = c->flow_label & 0xFFFFFu;
    PUT(s->TtlOrHopLimit, c, ttl_or_hop_limit);
    PUT(s->TosOrTrafficClass, c, tos_or_traffic_class);
    if (c->has_user_priority)
        s->UserPriority = c->user_priority & 0x7u;
}

static void put_tcp_delegated(rp *r, TCP_OFFLOAD_STATE_DELEGATED *s,
                              const Chimtrace__V1__TcpDelegated *d)
{
    PUT(s->State, d, state);
    PUT(s->Flags, d, flags);
    PUT(s->RcvNxt, d, rcv_nxt);
    PUT(s->RcvWnd, d, rcv_wnd);
    PUT(s->SndUna, d, snd_una);
    PUT(s->SndNxt, d, snd_nxt);
    PUT(s->SndMax, d, snd_max);
    PUT(s->SndWnd, d, snd_wnd);
    PUT(s->MaxSndWnd, d, max_snd_wnd);
    PUT(s->SendWL1, d, send_wl1);
    PUT(s->CWnd, d, cwnd);
    PUT(s->SsThresh, d, ss_thresh);
    PUT(s->SRtt, d, srtt);
    PUT(s->RttVar, d, rtt_var);
    PUT(s->TsRecent, d, ts_recent);
    PUT(s->TsRecentAge, d, ts_recent_age);
    PUT(s->TsTime, d, ts_time);
    PUT(s->TotalRT, d, total_rt);
    PUT(s->DupAckCount, d, dup_ack_count);
    PUT(s->SndWndProbeCount, d, snd_wnd_probe_count);
    PUT(s->KeepAlive.ProbeCount, d, keep_alive_probe_count);
    PUT(s->KeepAlive.TimeoutDelta, d, keep_alive_timeout_delta);
    PUT(s->Retransmit.Count, d, retransmit_count);
    PUT(s->Retransmit.TimeoutDelta, d, retransmit_timeout_delta);
    /* The unions: whichever reading the encoder used (it chose by operation). */
    if (d->has_send_backlog_size)
        s->SendBacklogSize = d->send_backlog_size;
    else if (d->has_send_data_head_id || d->has_send_data_tail_id) {
        s->SendDataHead = rp_id_ptr(r, d->send_data_head_id);
        s->SendDataTail = rp_id_ptr(r, d->send_data_tail_id);
    }
    if (d->has_receive_backlog_size)
        s->ReceiveBacklogSize = d->receive_backlog_size;
    else if (d->has_buffered_data_id)
        s->BufferedData = rp_id_ptr(r, d->buffered_data_id);
    PUT(s->DWnd, d, dwnd);
}

int rp_state_write(rp *r, uint8_t *mem, uint32_t size, const Chimtrace__V1__Block *b)
{
    int ok = 1;
    uint8_t *addrs = mem + size - RP_ADDR_BYTES;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        const void *m = state_msg(b, bit);
        if (m == NULL)
            continue;
        uint32_t at = msg_offset(bit, m), sz = shim_state_size(bit);
        if (at < sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST) || at > OFFSET_LIMIT ||
            at + sz > size - RP_ADDR_BYTES) {
            ok = 0;
            continue;
        }
        /* Through an aligned copy: recorded offsets need not respect the struct's alignment. */
        union {
            NEIGHBOR_OFFLOAD_STATE_CONST nc;
            PATH_OFFLOAD_STATE_CONST pc;
            TCP_OFFLOAD_STATE_CACHED tca;
            TCP_OFFLOAD_STATE_DELEGATED td;
            uint8_t raw[SHIM_STATE_MAX_BYTES];
        } s;
        memcpy(&s, mem + at, sz);
        put_header((OFFLOAD_STATE_HEADER *)&s, bit, m, sz);
        if (bit <= SHIM_ST_NEIGHBOR_DELEGATED)
            put_neighbor(&s, bit, m);
        else if (bit <= SHIM_ST_PATH_DELEGATED)
            put_path(&s, bit, m, addrs);
        else if (bit == SHIM_ST_TCP_CONST)
            put_tcp_const((TCP_OFFLOAD_STATE_CONST *)&s, m);
        else if (bit == SHIM_ST_TCP_CACHED)
            put_tcp_cached(&s.tca, m);
        else
            put_tcp_delegated(r, &s.td, m);
        memcpy(mem + at, &s, sz);
    }
    return ok;
}

/* ---- one block as the host wrote it ---------------------------------------------------- */

void rp_block_fill(rp *r, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST p,
                   const Chimtrace__V1__Block *b, int is_root, PNDIS_OFFLOAD_HANDLE handle)
{
    p->Header.Type = (UCHAR)(b->has_header_type ? b->header_type : 0);
    p->Header.Revision = (UCHAR)(b->has_header_revision ? b->header_revision : 0);
    p->Header.Size = (USHORT)(b->has_header_size ? b->header_size : 0);
    p->Status = b->has_status ? (NDIS_STATUS)b->status : NDIS_STATUS_SUCCESS;
    p->PortNumber = b->has_port_number ? b->port_number : 0;
    p->OffloadHandle = handle;
    for (size_t k = 0; k < 2; k++) {
        p->ProtocolReserved[k] =
            k < b->n_protocol_reserved_id ? rp_id_ptr(r, b->protocol_reserved_id[k]) : NULL;
        p->ImReserved[k] = k < b->n_im_reserved_id ? rp_id_ptr(r, b->im_reserved_id[k]) : NULL;
    }
    /* NDIS stamps the root's SourceHandle with the binding on the way down. */
    p->SourceHandle = is_root ? NULL : rp_id_ptr(r, b->source_handle_id);
    p->NetBufferListChain =
        b->has_nbl_chain_set && b->nbl_chain_set ? rp_id_ptr(r, b->nbl_chain_id) : NULL;
}

/* ---- walking a live tree --------------------------------------------------------------- */

#define WALK_CAP 65536u

void rp_walk_init(rp_walk *w, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    w->depth = root != NULL;
    w->stack[0].b = root;
    w->stack[0].parent = RP_NONE;
    w->seen = 0;
    w->cut = 0;
}

PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST rp_walk_next(rp_walk *w, uint32_t *index, uint32_t *parent)
{
    if (w->depth == 0)
        return NULL;
    if (w->seen >= WALK_CAP) {
        w->cut = 1;
        w->depth = 0;
        return NULL;
    }
    uint32_t top = --w->depth;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b = w->stack[top].b;
    uint32_t p = w->stack[top].parent, idx = w->seen++;
    if (b->NextBlock != NULL) {
        w->stack[w->depth].b = b->NextBlock;
        w->stack[w->depth++].parent = p;
    }
    if (b->DependentBlockList != NULL) {
        if (w->depth < sizeof w->stack / sizeof w->stack[0]) {
            w->stack[w->depth].b = b->DependentBlockList;
            w->stack[w->depth++].parent = idx;
        } else {
            w->cut = 1;
        }
    }
    *index = idx;
    *parent = p;
    return b;
}
