/* synth_tree.c - the synth generator's model of offloaded objects and block trees.
 *
 * A small fixed world (neighbors -> paths -> TCP connections) is offloaded, queried,
 * updated, invalidated and terminated by operation instances. Each instance holds one
 * neighbor's subtree while in flight (so no two operations overlap on one object, as the
 * host guarantees) and is rendered at each edge as an Event whose blocks carry the ids a
 * shim would see there: the host's handles above the IM, the IM's own handles below it.
 */
#include <string.h>

#include "synth_int.h"

/* Stable ids as FORMAT.md §6.4 defines them: 1, 2, 3, ... in order of first appearance,
 * one id space for every pointer field. Ids are handed out while events are rendered,
 * which happens in seq order. */
uint64_t syn_id(ct_synth *s, enum syn_ns ns, int layer, unsigned key)
{
    uint32_t *slot = &s->id_table[ns][layer][key % SYN_ID_SLOTS];
    if (!*slot)
        *slot = ++s->next_id;
    return *slot;
}

void syn_world_init(ct_synth *s)
{
    for (int n = 0; n < SYN_NEIGHBORS; n++) {
        syn_neighbor *nb = &s->nb[n];
        const uint8_t oui_src[3] = {0x00, 0x15, 0x5D}, oui_dst[3] = {0x52, 0x54, 0x00};
        memcpy(nb->mac_src, oui_src, 3);
        memcpy(nb->mac_dst, oui_dst, 3);
        for (int i = 3; i < 6; i++) {
            nb->mac_src[i] = (uint8_t)syn_rand(s);
            nb->mac_dst[i] = (uint8_t)syn_rand(s);
        }
        nb->vlan_id = syn_below(s, 4) == 0 ? 1 + syn_below(s, 4094) : 0;
        nb->reach_delta = 100 + syn_below(s, 900);
    }
    for (int p = 0; p < SYN_PATHS; p++) {
        syn_path *pa = &s->path[p];
        pa->ipv6 = syn_below(s, 3) == 0;
        if (pa->ipv6) {
            const uint8_t pfx[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01};
            memcpy(pa->src, pfx, 8), memcpy(pa->dst, pfx, 8);
            pa->dst[7] = (uint8_t)(2 + p);
            for (int i = 8; i < 16; i++)
                pa->src[i] = (uint8_t)syn_rand(s), pa->dst[i] = (uint8_t)syn_rand(s);
            pa->mtu = syn_below(s, 2) ? 1500 : 1280;
        } else {
            pa->src[0] = 10, pa->src[1] = 0, pa->src[2] = 0, pa->src[3] = (uint8_t)(2 + p / 2);
            pa->dst[0] = 192, pa->dst[1] = 168, pa->dst[2] = (uint8_t)p;
            pa->dst[3] = (uint8_t)(1 + syn_below(s, 254));
            pa->mtu = syn_below(s, 4) == 0 ? 9000 : 1500;
        }
    }
    for (int t = 0; t < SYN_TCPS; t++) {
        syn_tcp *tc = &s->tcp[t];
        static const uint16_t ports[] = {443, 80, 445, 3260, 5201, 8080};
        tc->local_port = (uint16_t)(49152 + syn_below(s, 16384));
        tc->remote_port = ports[syn_below(s, sizeof ports / sizeof ports[0])];
        tc->hash = (uint32_t)syn_rand(s);
        tc->snd_una = tc->snd_nxt = tc->snd_max = (uint32_t)syn_rand(s);
        tc->rcv_nxt = (uint32_t)syn_rand(s);
        tc->cwnd = 14600, tc->srtt = 8 * (200 + syn_below(s, 4000));
        tc->ts_recent = (uint32_t)syn_rand(s);
        tc->state = CHIMTRACE__V1__TCP_CONNECTION_STATE__TCP_CONNECTION_ESTABLISHED;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Building an instance's tree                                                           */

static int add_node(syn_inst *in, int layer, int obj, int parent)
{
    if (in->n_nodes == SYN_MAX_BLOCKS)
        return -1;
    syn_node *nd = &in->node[in->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->layer = (uint8_t)layer, nd->obj = (uint16_t)obj, nd->parent = (int16_t)parent;
    return in->n_nodes++;
}

/* TCP connections wanted by the op: not-offloaded ones for initiate, offloaded otherwise. */
static int tcp_wanted(const ct_synth *s, int op, int t)
{
    int off = s->tcp[t].offloaded;
    return op == CHIMTRACE__V1__OPERATION__OP_INITIATE ? !off : off;
}

/* neighbor -> path -> tcp layering, in pre-order; update stops at the paths. */
static void build_tree(ct_synth *s, syn_inst *in)
{
    int op = in->op, nb = in->nb;
    int with_tcp = op != CHIMTRACE__V1__OPERATION__OP_UPDATE;
    int only_root = (op == CHIMTRACE__V1__OPERATION__OP_UPDATE ||
                     op == CHIMTRACE__V1__OPERATION__OP_INVALIDATE) && syn_below(s, 3) == 0;
    int root = add_node(in, SYN_LAYER_NEIGHBOR, nb, -1), paths = 0;
    if (only_root)
        return;
    for (int pi = 0; pi < SYN_PATHS_PER_NB; pi++) {
        int p = nb * SYN_PATHS_PER_NB + pi, have = 0, tcps = 0;
        for (int ti = 0; ti < SYN_TCPS_PER_PATH; ti++)
            have += tcp_wanted(s, op, p * SYN_TCPS_PER_PATH + ti);
        if ((with_tcp && !have) || (paths > 0 && syn_below(s, 2)))
            continue;
        int pn = add_node(in, SYN_LAYER_PATH, p, root);
        paths++;
        for (int ti = 0; with_tcp && ti < SYN_TCPS_PER_PATH; ti++) {
            int t = p * SYN_TCPS_PER_PATH + ti;
            if (tcp_wanted(s, op, t) && (tcps == 0 || syn_below(s, 4)))
                tcps += add_node(in, SYN_LAYER_TCP, t, pn) >= 0;
        }
    }
}

/* Per-block outcome written at the completion edges (reference §3.2). */
static void decide_status(ct_synth *s, syn_inst *in)
{
    int initiate = in->op == CHIMTRACE__V1__OPERATION__OP_INITIATE;
    for (int i = 0; i < in->n_nodes; i++) {
        syn_node *nd = &in->node[i];
        nd->status = SYN_STATUS_SUCCESS;
        if (nd->layer == SYN_LAYER_TCP && initiate && syn_below(s, 20) == 0) {
            nd->status = SYN_STATUS_RESOURCES;
            in->node[nd->parent].status = SYN_STATUS_PARTIAL;
        } else if (!initiate && syn_below(s, 50) == 0) {
            nd->status = SYN_STATUS_FAILURE;
        }
        nd->nbl = nd->layer == SYN_LAYER_TCP && syn_below(s, 4) == 0 &&
                  (initiate || in->op == CHIMTRACE__V1__OPERATION__OP_TERMINATE);
    }
}

/* The connection moved on since the host last handed it down. */
static void advance_tcp(ct_synth *s, syn_tcp *tc)
{
    tc->snd_una = tc->snd_nxt;
    tc->snd_nxt += syn_below(s, 64000);
    tc->snd_max = tc->snd_nxt + (syn_below(s, 4) == 0 ? syn_below(s, 2920) : 0);
    tc->rcv_nxt += syn_below(s, 128000);
    tc->ts_recent += 1 + syn_below(s, 5000);
    tc->cwnd = 2920 + syn_below(s, 256000);
    tc->srtt = 8 * (200 + syn_below(s, 4000));
}

static int pick_op(ct_synth *s, int nb)
{
    int offloaded = 0, total = SYN_PATHS_PER_NB * SYN_TCPS_PER_PATH;
    for (int i = 0; i < total; i++)
        offloaded += s->tcp[nb * total + i].offloaded;
    if (offloaded == 0)
        return CHIMTRACE__V1__OPERATION__OP_INITIATE;
    uint32_t r = syn_below(s, 100);
    if (r < 25)
        return offloaded < total ? CHIMTRACE__V1__OPERATION__OP_INITIATE
                                 : CHIMTRACE__V1__OPERATION__OP_QUERY;
    if (r < 45) return CHIMTRACE__V1__OPERATION__OP_QUERY;
    if (r < 65) return CHIMTRACE__V1__OPERATION__OP_UPDATE;
    if (r < 88) return CHIMTRACE__V1__OPERATION__OP_TERMINATE;
    return CHIMTRACE__V1__OPERATION__OP_INVALIDATE;
}

int syn_inst_start(ct_synth *s, syn_inst *in)
{
    int start = (int)syn_below(s, SYN_NEIGHBORS), nb = -1;
    for (int i = 0; i < SYN_NEIGHBORS && nb < 0; i++)
        if (!s->nb[(start + i) % SYN_NEIGHBORS].busy)
            nb = (start + i) % SYN_NEIGHBORS;
    if (nb < 0)
        return 0;
    int slot = (int)(in - s->inst);
    memset(in, 0, sizeof *in);
    in->active = 1;
    in->slot = slot;
    in->nb = nb;
    in->op = pick_op(s, nb);
    in->op_id = s->next_op_id++;
    in->next_edge = 1;
    in->ring = syn_below(s, SYN_RINGS);
    build_tree(s, in);
    decide_status(s, in);
    for (int i = 0; i < in->n_nodes; i++)
        if (in->node[i].layer == SYN_LAYER_TCP)
            advance_tcp(s, &s->tcp[in->node[i].obj]);
    s->nb[nb].busy = 1;
    return 1;
}

void syn_inst_finish(ct_synth *s, syn_inst *in)
{
    for (int i = 0; i < in->n_nodes; i++) {
        const syn_node *nd = &in->node[i];
        if (nd->layer != SYN_LAYER_TCP)
            continue;
        if (in->op == CHIMTRACE__V1__OPERATION__OP_INITIATE && nd->status == SYN_STATUS_SUCCESS)
            s->tcp[nd->obj].offloaded = 1;
        else if (in->op == CHIMTRACE__V1__OPERATION__OP_TERMINATE)
            s->tcp[nd->obj].offloaded = 0;
    }
    s->nb[in->nb].busy = 0;
    in->active = 0;
}

/* ------------------------------------------------------------------------------------ */
/* Rendering an instance at one edge                                                     */

/* Which state structures follow a block, by operation (reference §2.6). */
enum { ST_CONST = 1, ST_CACHED = 2, ST_DELEG = 4 };

static unsigned state_set(int op)
{
    switch (op) {
    case CHIMTRACE__V1__OPERATION__OP_INITIATE: return ST_CONST | ST_CACHED | ST_DELEG;
    case CHIMTRACE__V1__OPERATION__OP_UPDATE: return ST_CACHED;
    case CHIMTRACE__V1__OPERATION__OP_TERMINATE:
    case CHIMTRACE__V1__OPERATION__OP_QUERY: return ST_DELEG;
    default: return 0;
    }
}

/* OFFLOAD_STATE_TYPE for a block: the full-state type, or the single struct's type. */
static uint32_t header_type(const ct_synth *s, const syn_node *nd, unsigned st)
{
    uint32_t base;
    if (nd->layer == SYN_LAYER_NEIGHBOR)
        base = 1;
    else if (nd->layer == SYN_LAYER_PATH)
        base = s->path[nd->obj].ipv6 ? 9 : 5;
    else
        base = 13;
    switch (st) {
    case ST_CACHED: return base + 1;
    case ST_DELEG: return base + 2;
    default: return nd->layer == SYN_LAYER_TCP ? 17 : base + 3;
    }
}

#define SET(m, f, v) ((m)->has_##f = 1, (m)->f = (v))

/* UCHAR[32] link-layer addresses are recorded without trailing zero bytes (FORMAT.md §6.3). */
static size_t dl_len(const uint8_t *mac)
{
    size_t n = 6;
    while (n > 0 && mac[n - 1] == 0)
        n--;
    return n;
}

static uint32_t place(uint32_t *off, uint32_t len, uint32_t align)
{
    uint32_t at = (*off + align - 1) & ~(align - 1);
    *off = at + len;
    return at;
}

static void neighbor_state(ct_synth *s, syn_block_out *o, const syn_node *nd, unsigned st,
                           uint32_t *off)
{
    syn_neighbor *nb = &s->nb[nd->obj];
    Chimtrace__V1__Block *b = &o->blk;
    if (st & ST_CONST) {
        chimtrace__v1__neighbor_const__init(&o->nconst);
        SET(&o->nconst, length, 0x2c), SET(&o->nconst, recognized_options, 0);
        SET(&o->nconst, offset, place(off, 0x2c, 4));
        o->nconst.has_dl_source_address = 1;
        o->nconst.dl_source_address.len = dl_len(nb->mac_src);
        o->nconst.dl_source_address.data = nb->mac_src;
        SET(&o->nconst, vlan_id, nb->vlan_id);
        b->neighbor_const = &o->nconst;
    }
    if (st & ST_CACHED) {
        chimtrace__v1__neighbor_cached__init(&o->ncached);
        SET(&o->ncached, length, 0x2c), SET(&o->ncached, recognized_options, 0);
        SET(&o->ncached, offset, place(off, 0x2c, 4));
        o->ncached.has_dl_destination_address = 1;
        o->ncached.dl_destination_address.len = dl_len(nb->mac_dst);
        o->ncached.dl_destination_address.data = nb->mac_dst;
        SET(&o->ncached, host_reachability_delta, nb->reach_delta);
        b->neighbor_cached = &o->ncached;
    }
    if (st & ST_DELEG) {
        chimtrace__v1__neighbor_delegated__init(&o->ndeleg);
        SET(&o->ndeleg, length, 0x0c), SET(&o->ndeleg, recognized_options, 0);
        SET(&o->ndeleg, offset, place(off, 0x0c, 4));
        SET(&o->ndeleg, nic_reachability_delta, nb->reach_delta / 2);
        b->neighbor_delegated = &o->ndeleg;
    }
}

static void path_state(ct_synth *s, syn_block_out *o, const syn_node *nd, unsigned st,
                       uint32_t *off)
{
    syn_path *pa = &s->path[nd->obj];
    Chimtrace__V1__Block *b = &o->blk;
    if (st & ST_CONST) {
        size_t alen = pa->ipv6 ? 16 : 4;
        chimtrace__v1__path_const__init(&o->pconst);
        SET(&o->pconst, length, 0x18), SET(&o->pconst, recognized_options, 0);
        SET(&o->pconst, offset, place(off, 0x18, 8));
        o->pconst.has_source_address = 1;
        o->pconst.source_address.len = alen, o->pconst.source_address.data = pa->src;
        o->pconst.has_destination_address = 1;
        o->pconst.destination_address.len = alen, o->pconst.destination_address.data = pa->dst;
        b->path_const = &o->pconst;
    }
    if (st & ST_CACHED) {
        chimtrace__v1__path_cached__init(&o->pcached);
        SET(&o->pcached, length, 0x0c), SET(&o->pcached, recognized_options, 0);
        SET(&o->pcached, offset, place(off, 0x0c, 4));
        SET(&o->pcached, path_mtu, pa->mtu);
        b->path_cached = &o->pcached;
    }
    if (st & ST_DELEG) {
        chimtrace__v1__path_delegated__init(&o->pdeleg);
        SET(&o->pdeleg, length, 0x08), SET(&o->pdeleg, recognized_options, 0);
        SET(&o->pdeleg, offset, place(off, 0x08, 4));
        b->path_delegated = &o->pdeleg;
    }
}

static uint16_t net16(uint16_t v)
{
    return (uint16_t)((v >> 8) | (v << 8));     /* stored in network order (FORMAT.md §6.6) */
}

static void tcp_const_cached(ct_synth *s, syn_block_out *o, const syn_node *nd, unsigned st,
                             uint32_t *off)
{
    const syn_tcp *tc = &s->tcp[nd->obj];
    int v6 = s->path[nd->obj / SYN_TCPS_PER_PATH].ipv6;
    if (st & ST_CONST) {
        Chimtrace__V1__TcpConst *c = &o->tconst;
        chimtrace__v1__tcp_const__init(c);
        SET(c, length, 0x18), SET(c, recognized_options, 0), SET(c, offset, place(off, 0x18, 4));
        SET(c, flags, 0x07), SET(c, remote_port, net16(tc->remote_port));
        SET(c, local_port, net16(tc->local_port));
        SET(c, snd_wind_scale, 8), SET(c, rcv_wind_scale, 8);
        SET(c, remote_mss, v6 ? 1440 : 1460), SET(c, hash_value, tc->hash);
        o->blk.tcp_const = c;
    }
    if (st & ST_CACHED) {
        Chimtrace__V1__TcpCached *c = &o->tcached;
        chimtrace__v1__tcp_cached__init(c);
        SET(c, length, 0x2c), SET(c, recognized_options, 0), SET(c, offset, place(off, 0x2c, 4));
        SET(c, flags, 0x03), SET(c, initial_rcv_wnd, 65535), SET(c, rcv_indication_size, 16384);
        SET(c, ka_probe_count, 10), SET(c, ka_timeout, 72000), SET(c, ka_interval, 10);
        SET(c, max_rt, 60), SET(c, flow_label, v6 ? (tc->hash & 0xFFFFFu) : 0);
        SET(c, ttl_or_hop_limit, v6 ? 64 : 128), SET(c, tos_or_traffic_class, 0);
        SET(c, user_priority, 0);
        o->blk.tcp_cached = c;
    }
}

static void tcp_delegated(ct_synth *s, syn_block_out *o, const syn_node *nd, int op,
                          uint32_t *off)
{
    const syn_tcp *tc = &s->tcp[nd->obj];
    Chimtrace__V1__TcpDelegated *d = &o->tdeleg;
    chimtrace__v1__tcp_delegated__init(d);
    SET(d, length, 0x80), SET(d, recognized_options, 0), SET(d, offset, place(off, 0x80, 8));
    SET(d, state, (Chimtrace__V1__TcpConnectionState)tc->state), SET(d, flags, 0);
    SET(d, rcv_nxt, tc->rcv_nxt), SET(d, rcv_wnd, 65535);
    SET(d, snd_una, tc->snd_una), SET(d, snd_nxt, tc->snd_nxt), SET(d, snd_max, tc->snd_max);
    SET(d, snd_wnd, 65535), SET(d, max_snd_wnd, 262144), SET(d, send_wl1, tc->rcv_nxt - 1);
    SET(d, cwnd, tc->cwnd), SET(d, ss_thresh, 0x7FFFFFFF);
    SET(d, srtt, tc->srtt), SET(d, rtt_var, tc->srtt / 2);
    SET(d, ts_recent, tc->ts_recent), SET(d, ts_recent_age, 1);
    SET(d, ts_time, tc->ts_recent + 7);
    SET(d, total_rt, 0), SET(d, dup_ack_count, 0), SET(d, snd_wnd_probe_count, 0);
    SET(d, keep_alive_probe_count, 0), SET(d, keep_alive_timeout_delta, 72000);
    SET(d, retransmit_count, 0), SET(d, retransmit_timeout_delta, tc->srtt / 8 * 3);
    if (op == CHIMTRACE__V1__OPERATION__OP_QUERY) {
        SET(d, send_backlog_size, 8192), SET(d, receive_backlog_size, 16384);
    } else {
        uint64_t head = nd->nbl ? syn_id(s, SYN_NS_NBL, SYN_LAYER_TCP, nd->obj * 2u) : 0;
        uint64_t tail = nd->nbl ? syn_id(s, SYN_NS_NBL, SYN_LAYER_TCP, nd->obj * 2u + 1) : 0;
        SET(d, send_data_head_id, head), SET(d, send_data_tail_id, tail);
        SET(d, buffered_data_id, 0);
    }
    SET(d, dwnd, 65535);
    o->blk.tcp_delegated = d;
}

/* The slot fields hold the host's view at edges 1/4 and the IM's at 2/3 (§2.4 overlay). */
static void block_ids(ct_synth *s, const syn_inst *in, int i, int edge, syn_block_out *o)
{
    const syn_node *nd = &in->node[i];
    Chimtrace__V1__Block *b = &o->blk;
    int above = edge == 1 || edge == 4, done = edge >= 3;
    uint64_t k = nd->obj;     /* one number space per layer */
    int ok = nd->status == SYN_STATUS_SUCCESS || nd->status == SYN_STATUS_PARTIAL;
    SET(b, offload_handle_id,
        syn_id(s, above ? SYN_NS_HOST_HANDLE : SYN_NS_IM_HANDLE, nd->layer, k));
    SET(b, context_slot_id, syn_id(s, above ? SYN_NS_HOST_SLOT : SYN_NS_IM_SLOT, nd->layer, k));
    /* *MiniportOffloadContext is written only by a successful offload. */
    if (in->op == CHIMTRACE__V1__OPERATION__OP_INITIATE && (!done || !ok))
        SET(b, context_value_id, 0);
    else
        SET(b, context_value_id,
            syn_id(s, above ? SYN_NS_IM_ENTRY : SYN_NS_MP_CTX, nd->layer, k));
    o->im_reserved[0] = above ? 0 : syn_id(s, SYN_NS_CALL_ENTRY, 0, (unsigned)in->slot);
    o->im_reserved[1] = 0;
    b->n_im_reserved_id = 2, b->im_reserved_id = o->im_reserved;
    uint64_t src = 0;
    if (nd->parent < 0 && i == 0)
        src = syn_id(s, SYN_NS_BINDING, 0, edge == 3 ? 1 : 0);
    SET(b, source_handle_id, src);
    o->protocol_reserved[0] = syn_id(s, SYN_NS_PROTO, nd->layer, k);
    o->protocol_reserved[1] = 0;
    b->n_protocol_reserved_id = 2, b->protocol_reserved_id = o->protocol_reserved;
}

static void render_block(ct_synth *s, const syn_inst *in, int i, int edge, syn_block_out *o)
{
    const syn_node *nd = &in->node[i];
    Chimtrace__V1__Block *b = &o->blk;
    unsigned st = state_set(in->op);
    uint32_t off = SYN_BLOCK_SIZE_X64;

    chimtrace__v1__block__init(b);
    SET(b, index, (uint32_t)i);
    if (nd->parent >= 0)
        SET(b, parent, (uint32_t)nd->parent);
    SET(b, block_id, syn_id(s, SYN_NS_BLOCK, 0, (unsigned)(in->slot * SYN_MAX_BLOCKS + i)));
    SET(b, header_type, header_type(s, nd, st));
    SET(b, header_revision, 1), SET(b, header_size, SYN_BLOCK_SIZE_X64);
    if (edge >= 3)
        SET(b, status, nd->status);
    SET(b, port_number, 0);
    SET(b, nbl_chain_set, nd->nbl);
    if (nd->nbl)
        SET(b, nbl_chain_id, syn_id(s, SYN_NS_NBL, SYN_LAYER_TCP, nd->obj * 2u));
    block_ids(s, in, i, edge, o);
    if (nd->layer == SYN_LAYER_NEIGHBOR) {
        neighbor_state(s, o, nd, st, &off);
    } else if (nd->layer == SYN_LAYER_PATH) {
        path_state(s, o, nd, st, &off);
    } else {
        tcp_const_cached(s, o, nd, st, &off);
        if (st & ST_DELEG)
            tcp_delegated(s, o, nd, in->op, &off);
    }
    SET(b, state_bytes, off - SYN_BLOCK_SIZE_X64);
}

void syn_inst_event(ct_synth *s, syn_inst *in, Chimtrace__V1__Event *ev)
{
    int edge = in->next_edge;
    chimtrace__v1__event__init(ev);
    SET(ev, ring, in->ring);
    SET(ev, op, (Chimtrace__V1__Operation)in->op);
    SET(ev, edge, (Chimtrace__V1__Edge)edge);
    SET(ev, op_id, in->op_id);
    for (int i = 0; i < in->n_nodes; i++) {
        render_block(s, in, i, edge, &s->bout[i]);
        s->blk_ptr[i] = &s->bout[i].blk;
    }
    ev->n_block = (size_t)in->n_nodes;
    ev->block = s->blk_ptr;
    /* After the blocks: ids are handed out in serialization order (binding_id is field 10). */
    SET(ev, binding_id, syn_id(s, SYN_NS_BINDING, 0, edge == 1 || edge == 4 ? 0 : 1));
}
