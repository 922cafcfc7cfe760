/* host_objects.c - the host's offloadable objects and the seeded values they carry.
 *
 * Neighbor, path and TCP objects hold the host's own copy of their constant, cached and
 * delegated state (reference §2.7) - what tcpip would keep in its neighbor cache, path
 * cache and TCB - plus the NDIS_OFFLOAD_HANDLE they are offloaded through. Every value is
 * drawn from the host's xoshiro256** streams, so the same seed gives the same objects.
 */
#include <string.h>

#include "host_internal.h"
#include "record.h"

/* ---- random numbers ---------------------------------------------------------------- */

void host_rng_seed(host_rng *r, uint64_t seed, uint64_t stream)
{
    ct_rng_seed(r, seed ^ (stream * 0xD1B54A32D192ED03ull));
}

uint64_t host_rng_next(host_rng *r)
{
    return ct_rng_next(r);
}

uint32_t host_rng_below(host_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift; the tiny bias is irrelevant here and keeps it branch-free. */
    return (uint32_t)(((host_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t pick(host_rng *r, const uint32_t *v, uint32_t n)
{
    return v[host_rng_below(r, n)];
}

/* ---- state types by layer and family (§2.6) ------------------------------------------ */

static uint32_t type_of(const host_obj *o, uint32_t nb, uint32_t ip4, uint32_t ip6, uint32_t tcp)
{
    switch (o->kind) {
    case HOST_KIND_NEIGHBOR: return nb;
    case HOST_KIND_PATH: return o->ipv6 ? ip6 : ip4;
    default: return tcp;
    }
}

uint32_t host_type_full(const host_obj *o)
{
    return type_of(o, NeighborOffloadState, Ip4OffloadState, Ip6OffloadState, TcpOffloadState);
}
uint32_t host_type_const(const host_obj *o)
{
    return type_of(o, NeighborOffloadConstState, Ip4OffloadConstState, Ip6OffloadConstState,
                   TcpOffloadConstState);
}
uint32_t host_type_cached(const host_obj *o)
{
    return type_of(o, NeighborOffloadCachedState, Ip4OffloadCachedState, Ip6OffloadCachedState,
                   TcpOffloadCachedState);
}
uint32_t host_type_delegated(const host_obj *o)
{
    return type_of(o, NeighborOffloadDelegatedState, Ip4OffloadDelegatedState,
                   Ip6OffloadDelegatedState, TcpOffloadDelegatedState);
}

void host_obj_state_copy(const host_obj *o, uint32_t bit, void *dst)
{
    switch (bit) {
    case SHIM_ST_NEIGHBOR_CONST: memcpy(dst, &o->u.nb.c, sizeof o->u.nb.c); break;
    case SHIM_ST_NEIGHBOR_CACHED: memcpy(dst, &o->u.nb.ca, sizeof o->u.nb.ca); break;
    case SHIM_ST_NEIGHBOR_DELEGATED: memcpy(dst, &o->u.nb.d, sizeof o->u.nb.d); break;
    case SHIM_ST_PATH_CONST: {
        /* The addresses stay in the object, which outlives every request naming it. */
        PATH_OFFLOAD_STATE_CONST c;
        memset(&c, 0, sizeof c);
        c.Header.Length = sizeof c;
        c.SourceAddress = o->u.path.src;
        c.DestinationAddress = o->u.path.dst;
        memcpy(dst, &c, sizeof c);
        break;
    }
    case SHIM_ST_PATH_CACHED: memcpy(dst, &o->u.path.ca, sizeof o->u.path.ca); break;
    case SHIM_ST_PATH_DELEGATED: memcpy(dst, &o->u.path.d, sizeof o->u.path.d); break;
    case SHIM_ST_TCP_CONST: memcpy(dst, &o->u.tcp.c, sizeof o->u.tcp.c); break;
    case SHIM_ST_TCP_CACHED: memcpy(dst, &o->u.tcp.ca, sizeof o->u.tcp.ca); break;
    case SHIM_ST_TCP_DELEGATED: memcpy(dst, &o->u.tcp.d, sizeof o->u.tcp.d); break;
    default: break;
    }
}

/* ---- construction ---------------------------------------------------------------------- */

static void random_bytes(host_rng *r, UCHAR *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (UCHAR)host_rng_next(r);
}

/* The host's own source address per family and lane: 10.<lane>.x.y or fd<40 random bits>
 * ::<lane>:<random>. A real host has few local addresses; every path of a lane shares one. */
void host_make_source_address(host_rng *r, int ipv6, uint32_t lane, UCHAR out[16])
{
    memset(out, 0, 16);
    if (!ipv6) {
        out[0] = 10;
        out[1] = (UCHAR)lane;
        out[2] = (UCHAR)host_rng_below(r, 256);
        out[3] = (UCHAR)(1 + host_rng_below(r, 254));
        return;
    }
    out[0] = 0xfd;
    random_bytes(r, out + 1, 5);
    out[11] = (UCHAR)(lane >> 8);
    out[12] = (UCHAR)lane;
    random_bytes(r, out + 13, 3);
    out[15] |= 1;
}

void host_make_local_mac(host_rng *r, UCHAR out[6])
{
    random_bytes(r, out, 6);
    out[0] = (UCHAR)((out[0] & 0xFC) | 0x02); /* locally administered unicast */
}

void host_obj_make_neighbor(host_obj *o, host_rng *r, const UCHAR local_mac[6],
                            uint16_t vlan_id)
{
    o->kind = HOST_KIND_NEIGHBOR;
    NEIGHBOR_OFFLOAD_STATE_CONST *c = &o->u.nb.c;
    c->Header.Length = sizeof *c;
    memcpy(c->DlSourceAddress, local_mac, 6); /* the adapter's own MAC, for every neighbor */
    c->VlanId = vlan_id & 0xFFFu;
    NEIGHBOR_OFFLOAD_STATE_CACHED *ca = &o->u.nb.ca;
    ca->Header.Length = sizeof *ca;
    random_bytes(r, ca->DlDestinationAddress, 6);
    ca->DlDestinationAddress[0] &= 0xFC; /* a gateway's globally administered unicast MAC */
    ca->HostReachabilityDelta = host_rng_below(r, 1000);
    o->u.nb.d.Header.Length = sizeof o->u.nb.d;
    o->u.nb.d.NicReachabilityDelta = 0;
}

void host_obj_make_path(host_obj *o, host_obj *neighbor, host_rng *r, int ipv6,
                        const UCHAR src[16])
{
    static const uint32_t mtu4[] = {1500, 1500, 1500, 1400, 9000};
    static const uint32_t mtu6[] = {1500, 1500, 1280, 9000};
    o->kind = HOST_KIND_PATH;
    o->parent = neighbor;
    o->ipv6 = (uint8_t)(ipv6 != 0);
    memcpy(o->u.path.src, src, 16);
    /* Destinations in the benchmarking / documentation ranges, unique per object id. */
    if (!ipv6) {
        uint32_t k = o->id + 1;
        o->u.path.dst[0] = 198;
        o->u.path.dst[1] = (UCHAR)(18 + ((k >> 16) & 1));
        o->u.path.dst[2] = (UCHAR)(k >> 8);
        o->u.path.dst[3] = (UCHAR)k;
    } else {
        static const UCHAR pfx[4] = {0x20, 0x01, 0x0d, 0xb8};
        memcpy(o->u.path.dst, pfx, 4);
        random_bytes(r, o->u.path.dst + 4, 4);
        o->u.path.dst[8] = (UCHAR)(o->id >> 24);
        o->u.path.dst[9] = (UCHAR)(o->id >> 16);
        o->u.path.dst[10] = (UCHAR)(o->id >> 8);
        o->u.path.dst[11] = (UCHAR)o->id;
        random_bytes(r, o->u.path.dst + 12, 4);
    }
    o->u.path.ca.Header.Length = sizeof o->u.path.ca;
    o->u.path.ca.PathMtu = ipv6 ? pick(r, mtu6, 4) : pick(r, mtu4, 5);
    o->u.path.d.Header.Length = sizeof o->u.path.d;
}

static USHORT be16(uint32_t v)
{
    const UCHAR b[2] = {(UCHAR)(v >> 8), (UCHAR)v};
    USHORT out;
    memcpy(&out, b, 2);
    return out;
}

static void make_tcp_const(host_obj *o, const host_obj *path, host_rng *r)
{
    static const uint32_t ports[] = {80, 443, 443, 22, 3306, 5432, 8080, 445};
    static const uint32_t scales[] = {2, 7, 8, 8};
    TCP_OFFLOAD_STATE_CONST *c = &o->u.tcp.c;
    c->Header.Length = sizeof *c;
    c->Flags = TCP_FLAG_TIMESTAMP_ENABLED | TCP_FLAG_SACK_ENABLED |
               TCP_FLAG_WINDOW_SCALING_ENABLED;
    /* Ports are stored in network byte order (big-endian), as tcpip keeps them in its TCB
     * (reference §2.7 leaves this unconfirmed; this model fixes it). */
    c->RemotePort = be16(pick(r, ports, 8));
    /* An odd multiplier permutes ids modulo 2^14: 16384 objects never share a local port,
     * so no two connections of a run share a 4-tuple. */
    c->LocalPort = be16(49152 + (uint32_t)((o->id * 7919u) % 16384u));
    c->SndWindScale = pick(r, scales, 4) & 0xF;
    c->RcvWindScale = 8;
    c->RemoteMss = (USHORT)(path->u.path.ca.PathMtu - (path->ipv6 ? 60 : 40));
    uint64_t x = ((uint64_t)c->RemotePort << 48) ^ ((uint64_t)c->LocalPort << 32) ^
                 path->u.path.dst[3] ^ ((uint64_t)path->u.path.dst[15] << 8);
    c->HashValue = (ULONG)(ct_splitmix64(&x) >> 32);
}

static void make_tcp_cached(host_obj *o, const host_obj *path, host_rng *r)
{
    static const uint32_t wnds[] = {65536, 131072, 262144};
    TCP_OFFLOAD_STATE_CACHED *ca = &o->u.tcp.ca;
    ca->Header.Length = sizeof *ca;
    ca->Flags = TCP_FLAG_NAGLING_ENABLED | (host_rng_below(r, 2) ? TCP_FLAG_KEEP_ALIVE_ENABLED : 0);
    ca->InitialRcvWnd = pick(r, wnds, 3);
    ca->RcvIndicationSize = 16384;
    ca->KaProbeCount = 10;          /* ticks are milliseconds in this model */
    ca->KaTimeout = 7200000;
    ca->KaInterval = 1000;
    ca->MaxRT = 20000;
    ca->FlowLabel = path->ipv6 ? (ULONG)(host_rng_next(r) & 0xFFFFF) : 0;
    ca->TtlOrHopLimit = 128;
    ca->TosOrTrafficClass = 0;
    ca->UserPriority = 0;
}

static void make_tcp_delegated(host_obj *o, host_rng *r)
{
    const TCP_OFFLOAD_STATE_CONST *c = &o->u.tcp.c;
    TCP_OFFLOAD_STATE_DELEGATED *d = &o->u.tcp.d;
    uint32_t mss = c->RemoteMss;
    uint32_t iss = (uint32_t)host_rng_next(r), irs = (uint32_t)host_rng_next(r);
    uint32_t acked = host_rng_below(r, 1u << 20), received = host_rng_below(r, 1u << 20);
    uint32_t inflight = host_rng_below(r, 4) * mss;
    uint32_t rtt = 1 + host_rng_below(r, 200); /* ms */
    d->Header.Length = sizeof *d;
    d->State = TcpConnectionEstablished;
    d->RcvNxt = irs + 1 + received;
    d->RcvWnd = o->u.tcp.ca.InitialRcvWnd;
    d->SndUna = iss + 1 + acked;
    d->SndNxt = d->SndUna + inflight;
    d->SndMax = d->SndNxt;
    d->SndWnd = 16384 + host_rng_below(r, 1u << 20);
    d->MaxSndWnd = d->SndWnd + host_rng_below(r, 65536);
    d->SendWL1 = d->RcvNxt - host_rng_below(r, 4096);
    d->CWnd = mss * (10 + host_rng_below(r, 50));
    d->SsThresh = d->CWnd * 2;
    d->SRtt = (USHORT)(rtt * 8);
    d->RttVar = (USHORT)((rtt / 2 + 1) * 4);
    d->TsRecent = (ULONG)host_rng_next(r);
    d->TsRecentAge = host_rng_below(r, 1000);
    d->TsTime = (ULONG)host_rng_next(r);
    d->TotalRT = 0;
    d->KeepAlive.ProbeCount = 0;
    d->KeepAlive.TimeoutDelta = o->u.tcp.ca.KaTimeout - host_rng_below(r, 60000);
    d->Retransmit.Count = 0;
    d->Retransmit.TimeoutDelta = inflight ? 300 + rtt * 2 : 0;
    d->SendDataHead = NULL;
    d->SendDataTail = NULL;
    d->BufferedData = NULL;
    d->DWnd = d->RcvWnd;
}

void host_obj_make_tcp(host_obj *o, host_obj *path, host_rng *r)
{
    o->kind = HOST_KIND_TCP;
    o->parent = path;
    o->ipv6 = path->ipv6;
    make_tcp_const(o, path, r);
    make_tcp_cached(o, path, r);
    make_tcp_delegated(o, r);
}
