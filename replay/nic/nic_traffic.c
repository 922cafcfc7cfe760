/* nic_traffic.c - simulated traffic of offloaded TCP connections: per connection, timer
 * chains on the NIC's lane send a data segment (SndNxt advances; the peer acked what came
 * before, so SndUna follows), a pure ACK (peer data: RcvNxt advances, the neighbor is
 * confirmed) and, with TCP_FLAG_KEEP_ALIVE_ENABLED, a keep-alive. Phases and sizes come
 * from a PRNG seeded by the NIC seed and the connection's addresses and ports.
 */
#include <string.h>

#include "nic_int.h"

#define IP4_HLEN 20u
#define IP6_HLEN 40u
#define TCP_HLEN 20u
#define TCP_TS_OPTLEN 12u

int nic_tcp_can_send(const nic_obj *o)
{
    if (o->state != NIC_OBJ_LIVE || o->invalid)
        return 0;
    const nic_obj *p = o->parent;
    if (p == NULL || p->invalid || p->state != NIC_OBJ_LIVE)
        return 0;
    const nic_obj *nb = p->parent;
    return nb != NULL && !nb->invalid && nb->state == NIC_OBJ_LIVE;
}

static uint32_t ticks_since(const nic *n, uint64_t from, uint64_t now)
{
    return (uint32_t)((now > from ? now - from : 0) / (1000000000u / n->cfg.ticks_per_second));
}

void nic_frame_desc_of(const nic *n, const nic_obj *o, uint64_t now, nic_frame_desc *d)
{
    const nic_obj *path = o->parent, *nb = path->parent;
    const TCP_OFFLOAD_STATE_CONST *c = &o->u.tcp.c;
    const TCP_OFFLOAD_STATE_CACHED *ca = &o->u.tcp.ca;
    const TCP_OFFLOAD_STATE_DELEGATED *dl = &o->u.tcp.d;
    memset(d, 0, sizeof *d);
    memcpy(d->dst_mac, nb->u.nb.ca.DlDestinationAddress, 6);
    memcpy(d->src_mac, nb->u.nb.c.DlSourceAddress, 6);
    d->vlan_id = (uint16_t)nb->u.nb.c.VlanId;
    d->user_priority = ca->UserPriority;
    d->ipv6 = path->ipv6;
    memcpy(d->src_ip, path->u.path.src, 16);
    memcpy(d->dst_ip, path->u.path.dst, 16);
    d->tos = ca->TosOrTrafficClass;
    d->ttl = ca->TtlOrHopLimit;
    d->flow_label = ca->FlowLabel;
    d->ip_id = o->u.tcp.ip_id;
    /* The ports are copied as the host stored them, i.e. taken to be in network byte order
     * already (reference §2.7 leaves the order unconfirmed; tcpip very likely stores them
     * that way). */
    memcpy(d->sport, &c->LocalPort, 2);
    memcpy(d->dport, &c->RemotePort, 2);
    d->seq = dl->SndNxt;
    d->ack = dl->RcvNxt;
    d->flags = NIC_TCP_ACK;
    uint32_t wnd = dl->RcvWnd;
    if (c->Flags & TCP_FLAG_WINDOW_SCALING_ENABLED)
        wnd >>= c->RcvWindScale;
    d->window = (uint16_t)(wnd > 65535u ? 65535u : wnd);
    d->has_ts = (c->Flags & TCP_FLAG_TIMESTAMP_ENABLED) != 0;
    d->ts_val = o->u.tcp.ts_base + ticks_since(n, o->u.tcp.start_ns, now);
    d->ts_ecr = dl->TsRecent;
}

/* Largest payload one segment may carry: config cap, peer MSS, path MTU. */
static uint32_t max_payload(const nic *n, const nic_obj *o)
{
    const nic_obj *path = o->parent;
    uint32_t mtu = path->u.path.ca.PathMtu;
    if (mtu == 0)
        mtu = 1500;
    if (mtu > 9000)
        mtu = 9000;
    uint32_t hdrs = (path->ipv6 ? IP6_HLEN : IP4_HLEN) + TCP_HLEN +
                    ((o->u.tcp.c.Flags & TCP_FLAG_TIMESTAMP_ENABLED) ? TCP_TS_OPTLEN : 0);
    uint32_t m = mtu > hdrs ? mtu - hdrs : 0;
    uint32_t mss = o->u.tcp.c.RemoteMss ? o->u.tcp.c.RemoteMss : 536u;
    if (m > mss)
        m = mss;
    if (m > n->cfg.max_segment_bytes)
        m = n->cfg.max_segment_bytes;
    return m;
}

/* Advance the connection's state for one tick of `kind` and build its frame. */
static uint32_t emit(nic *n, nic_obj *o, int kind, uint64_t now, uint8_t *buf)
{
    TCP_OFFLOAD_STATE_DELEGATED *dl = &o->u.tcp.d;
    nic_frame_desc d;
    uint32_t maxp = max_payload(n, o);
    if (kind == NIC_TIMER_DATA) {
        dl->SndUna = dl->SndNxt; /* the peer acknowledged everything sent before */
        uint32_t room = maxp < dl->SndWnd ? maxp : dl->SndWnd;
        if (room == 0)
            return 0; /* window closed: nothing to send this tick */
        uint32_t len = room / 2 + (uint32_t)nic_rng_below(&o->u.tcp.rng, room - room / 2) + 1;
        if (len > room)
            len = room;
        nic_frame_desc_of(n, o, now, &d);
        d.flags = NIC_TCP_ACK | NIC_TCP_PSH;
        d.payload_len = len;
        dl->SndNxt += len;
        if ((int32_t)(dl->SndNxt - dl->SndMax) > 0)
            dl->SndMax = dl->SndNxt;
        n->st.data_segments++;
    } else if (kind == NIC_TIMER_ACK) {
        uint32_t rx = 1 + (uint32_t)nic_rng_below(&o->u.tcp.rng, maxp ? maxp : 1);
        dl->RcvNxt += rx;
        dl->TsRecent = o->u.tcp.ts_recent_base + ticks_since(n, o->u.tcp.start_ns, now);
        nic_obj *nb = o->parent->parent;
        nb->u.nb.reach_base = 0; /* traffic from the peer: reachability confirmed */
        nb->u.nb.reach_base_ns = now;
        nic_frame_desc_of(n, o, now, &d);
        n->st.acks++;
    } else {
        nic_frame_desc_of(n, o, now, &d);
        d.seq = dl->SndNxt - 1; /* a keep-alive probe: one byte before SndNxt, no data */
        n->st.keepalives++;
    }
    o->u.tcp.ip_id++;
    uint32_t len = nic_frame_build(&d, buf, NIC_FRAME_MAX);
    n->st.frames++;
    n->st.frame_bytes += len;
    return len;
}

static uint64_t interval_of(const nic *n, int kind)
{
    return kind == NIC_TIMER_DATA ? n->cfg.data_interval_ns
           : kind == NIC_TIMER_ACK ? n->cfg.ack_interval_ns
                                   : n->cfg.keepalive_interval_ns;
}

static void timer_cb(void *arg);

/* Post `ev` (or a new event) for the tick of `kind` due at trace time `due`. The delay is
 * taken against the clock right now, so in real time a late callback does not push the
 * cadence back. Lock held. */
static void arm(nic *n, nic_obj *o, int kind, uint64_t due, nic_event *ev)
{
    uint8_t bit = (uint8_t)(1u << kind);
    if (n->cfg.frame_horizon_ns != 0 && due > n->cfg.frame_horizon_ns)
        goto stop;
    if (ev == NULL && (ev = nic_event_get(n)) == NULL)
        goto stop;
    ev->is_timer = 1;
    ev->kind = (uint8_t)kind;
    ev->obj = o;
    ev->gen = o->gen;
    ev->due_ns = due;
    uint64_t now = sched_now_ns(n->s);
    if (sched_post(n->s, n->lane, due > now ? due - now : 0, timer_cb, ev) != CT_OK)
        goto stop;
    o->u.tcp.timers |= bit;
    return;
stop:
    if (ev != NULL)
        nic_event_put(n, ev);
    o->u.tcp.timers &= (uint8_t)~bit;
}

/* The tick after one due at `due`: one interval later, skipping ticks a late (real-time)
 * callback has already missed rather than sending them in a burst. */
static uint64_t next_due(uint64_t due, uint64_t interval, uint64_t now)
{
    uint64_t next = due + interval;
    if (next <= now)
        next = due + interval * ((now - due) / interval + 1);
    return next;
}

static int keepalive_on(const nic_obj *o)
{
    return (o->u.tcp.ca.Flags & TCP_FLAG_KEEP_ALIVE_ENABLED) != 0;
}

void nic_traffic_start(nic *n, nic_obj *o, uint64_t now)
{
    /* FNV-1a over what names the connection, mixed with the NIC seed. */
    uint64_t h = 0xCBF29CE484222325ull;
    const nic_obj *p = o->parent;
    uint8_t key[36] = {0};
    if (p != NULL) {
        memcpy(key, p->u.path.src, 16);
        memcpy(key + 16, p->u.path.dst, 16);
    }
    memcpy(key + 32, &o->u.tcp.c.LocalPort, 2);
    memcpy(key + 34, &o->u.tcp.c.RemotePort, 2);
    for (size_t i = 0; i < sizeof key; i++)
        h = (h ^ key[i]) * 0x100000001B3ull;
    nic_rng_seed(&o->u.tcp.rng, h ^ n->cfg.seed);
    o->u.tcp.start_ns = now;
    o->u.tcp.ts_base = o->u.tcp.d.TsTime;
    o->u.tcp.ts_recent_base = o->u.tcp.d.TsRecent;
    o->u.tcp.ip_id = (uint16_t)nic_rng_next(&o->u.tcp.rng);
    o->u.tcp.timers = 0;
    if (!n->cfg.frames)
        return;
    arm(n, o, NIC_TIMER_DATA, now + 1 + nic_rng_below(&o->u.tcp.rng, n->cfg.data_interval_ns),
        NULL);
    arm(n, o, NIC_TIMER_ACK, now + 1 + nic_rng_below(&o->u.tcp.rng, n->cfg.ack_interval_ns),
        NULL);
    if (keepalive_on(o))
        arm(n, o, NIC_TIMER_KEEPALIVE, now + n->cfg.keepalive_interval_ns, NULL);
}

void nic_traffic_update(nic *n, nic_obj *o, uint64_t now)
{
    if (n->cfg.frames && keepalive_on(o) && !(o->u.tcp.timers & (1u << NIC_TIMER_KEEPALIVE)))
        arm(n, o, NIC_TIMER_KEEPALIVE, now + n->cfg.keepalive_interval_ns, NULL);
}

static void timer_cb(void *arg)
{
    nic_event *ev = arg;
    nic *n = ev->n;
    uint8_t frame[NIC_FRAME_MAX];
    uint32_t len = 0;
    pthread_mutex_lock(&n->mu);
    nic_obj *o = ev->obj;
    int kind = ev->kind;
    uint64_t now = sched_now_ns(n->s);
    if (o->gen != ev->gen || o->state != NIC_OBJ_LIVE || o->invalid ||
        (kind == NIC_TIMER_KEEPALIVE && !keepalive_on(o))) {
        /* The chain ends: terminated, invalidated (for good), or keep-alive switched off. */
        if (o->gen == ev->gen)
            o->u.tcp.timers &= (uint8_t)~(1u << kind);
        nic_event_put(n, ev);
        pthread_mutex_unlock(&n->mu);
        return;
    }
    /* Blocked by an invalid path or neighbor: keep ticking, an update may relink it. */
    if (nic_tcp_can_send(o))
        len = emit(n, o, kind, now, frame);
    NDIS_HANDLE handle = o->ndis_handle;
    nic_frame_fn sink = n->sink;
    void *sink_ctx = n->sink_ctx;
    arm(n, o, kind, next_due(ev->due_ns, interval_of(n, kind), now), ev);
    pthread_mutex_unlock(&n->mu);
    if (len != 0 && sink != NULL)
        sink(sink_ctx, now, frame, len, handle);
}
