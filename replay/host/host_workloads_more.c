/* host_workloads_more.c - the three workloads that push the target: exhaust (more objects
 * than its capacity: partial success and OFFLOAD_*_ENTRIES), deep (one neighbor, many
 * paths, many connections per path, whole-tree operations with placeholders) and mixed
 * (every operation interleaved over IPv4 and IPv6, including the §3.7 relink recipe).
 * Shared helpers and the registry are in host_workloads.c.
 */
#include "host_internal.h"

/* ---- exhaust ------------------------------------------------------------------------- */

/* Totals over all lanes: one neighbor and two paths more than the target holds, and twice
 * as many connections plus one. */
static void exhaust_counts(const host_config *cfg, uint32_t lane, uint32_t *nb, uint32_t *pa,
                           uint32_t *tc)
{
    uint32_t tcp_total = 2 * cfg->cap_tcp + 1;
    if (cfg->connections > tcp_total)
        tcp_total = cfg->connections;
    *nb = host_share(cfg->cap_neighbors + 1, cfg->threads, lane);
    *pa = host_share(cfg->cap_paths + 2, cfg->threads, lane);
    *tc = host_share(tcp_total, cfg->threads, lane);
    *nb = *nb ? *nb : 1;
    *pa = *pa ? *pa : 1;
    *tc = *tc ? *tc : 1;
}

static uint32_t exhaust_objects(const host_config *cfg, uint32_t lane)
{
    uint32_t nb, pa, tc;
    exhaust_counts(cfg, lane, &nb, &pa, &tc);
    return nb + pa + tc;
}

/* The lane's last neighbor gets one path, the others share the rest: in a pre-order walk
 * the paths then outrun the path table before the last neighbor outruns the neighbor
 * table, and the connections (round-robin over the paths) outrun theirs first. */
static void exhaust_setup(host *h, host_lane *l)
{
    uint32_t nb, pa, tc, k = 0;
    exhaust_counts(&h->cfg, l->index, &nb, &pa, &tc);
    for (uint32_t i = 0; i < nb; i++)
        host_wl_neighbor(h, l, &k);
    for (uint32_t i = 0; i < pa; i++) {
        uint32_t n = nb == 1 ? 0 : i + 1 == pa ? nb - 1 : i % (nb - 1);
        host_wl_path(h, l, &k, host_lane_obj(h, l, n), 0);
    }
    for (uint32_t i = 0; i < tc; i++)
        host_wl_tcp(h, l, &k, host_lane_obj(h, l, nb + i % pa));
}

/* Connections the target refused whose path is offloaded: a linker tree asking for room
 * again. (Connections the host uploaded itself stay uploaded.) */
static void exhaust_retry(host *h, host_lane *l, host_tree *t, uint32_t first_tcp)
{
    for (uint32_t i = first_tcp; i < l->count; i++) {
        host_obj *o = host_lane_obj(h, l, i);
        if (o->state == HOST_OBJ_UPLOADED && o->refused && host_wl_live(o->parent) &&
            host_wl_live(o->parent->parent))
            host_tree_offload(t, o);
    }
}

static host_step_result exhaust_step(host *h, host_lane *l, uint32_t step, host_batch *b)
{
    uint32_t nb, pa, tc;
    exhaust_counts(&h->cfg, l->index, &nb, &pa, &tc);
    uint32_t first_tcp = nb + pa;
    switch (step) {
    case 0: { /* everything in one tree */
        host_tree *t = host_batch_tree(b, HOST_OP_INITIATE);
        for (uint32_t i = 0; i < l->count; i++)
            host_tree_offload(t, host_lane_obj(h, l, i));
        return HOST_STEP_MORE;
    }
    case 1: /* still full: the retries fail again */
    case 3: /* after uploads: some retries fit */
        exhaust_retry(h, l, host_batch_tree(b, HOST_OP_INITIATE), first_tcp);
        return HOST_STEP_MORE;
    case 2: {
        host_tree *t = host_batch_tree(b, HOST_OP_TERMINATE);
        uint32_t n = 0;
        for (uint32_t i = first_tcp; i < l->count; i++)
            if (host_lane_obj(h, l, i)->state == HOST_OBJ_OFFLOADED && n++ % 2 == 0)
                host_tree_terminate_subtree(h, l, t, host_lane_obj(h, l, i));
        return HOST_STEP_MORE;
    }
    case 4: {
        host_tree *q = host_batch_tree(b, HOST_OP_QUERY);
        for (uint32_t i = first_tcp; i < l->count; i++)
            if (host_lane_obj(h, l, i)->state == HOST_OBJ_OFFLOADED)
                host_tree_ref(q, host_lane_obj(h, l, i), TcpOffloadDelegatedState);
        return HOST_STEP_MORE;
    }
    case 5:
        host_wl_terminate_all(h, l, b);
        return HOST_STEP_MORE;
    default: return HOST_STEP_DONE;
    }
}

const host_workload host_wl_exhaust = {"exhaust", exhaust_objects, exhaust_setup, exhaust_step};

/* ---- deep: one neighbor -> many paths -> many connections per path, in one tree -------- */

static uint32_t deep_paths(uint32_t conns)
{
    uint32_t p = 1;
    while ((p + 1) * (p + 1) <= conns)
        p++;
    return p < 2 ? 2 : p;
}

static uint32_t deep_objects(const host_config *cfg, uint32_t lane)
{
    uint32_t c = host_lane_connections(cfg, lane);
    return 1 + deep_paths(c) + c;
}

static void deep_setup(host *h, host_lane *l)
{
    uint32_t k = 0, c = host_lane_connections(&h->cfg, l->index), np = deep_paths(c);
    host_obj *n = host_wl_neighbor(h, l, &k);
    for (uint32_t i = 0; i < np; i++)
        host_wl_path(h, l, &k, n, (int)(i % 2));
    for (uint32_t i = 0; i < c; i++)
        host_wl_tcp(h, l, &k, host_lane_obj(h, l, 1 + i % np));
}

/* Every live path with another MTU, every live connection with twice the receive window:
 * one update tree under a placeholder for the neighbor. */
static void deep_update(host *h, host_lane *l, host_tree *t)
{
    for (uint32_t i = 1; i < l->count; i++) {
        host_obj *o = host_lane_obj(h, l, i);
        if (!host_wl_live(o))
            continue;
        if (o->kind == HOST_KIND_PATH) {
            PATH_OFFLOAD_STATE_CACHED c = o->u.path.ca;
            ULONG low = o->ipv6 ? 1280 : 1400;
            c.PathMtu = c.PathMtu == low ? 1500 : low;
            host_tree_update(t, o, &c, NULL);
        } else {
            TCP_OFFLOAD_STATE_CACHED c = o->u.tcp.ca;
            c.InitialRcvWnd *= 2;
            c.Flags |= TCP_FLAG_UPDATE_RCV_WND;
            host_tree_update(t, o, &c, NULL);
        }
    }
}

static host_step_result deep_step(host *h, host_lane *l, uint32_t step, host_batch *b)
{
    uint32_t np = deep_paths(host_lane_connections(&h->cfg, l->index));
    switch (step) {
    case 0: {
        host_tree *t = host_batch_tree(b, HOST_OP_INITIATE);
        for (uint32_t i = 0; i < l->count; i++)
            host_tree_offload(t, host_lane_obj(h, l, i));
        return HOST_STEP_MORE;
    }
    case 1: { /* the whole tree, each layer asking for different state */
        host_tree *q = host_batch_tree(b, HOST_OP_QUERY);
        for (uint32_t i = 0; i < l->count; i++) {
            host_obj *o = host_lane_obj(h, l, i);
            if (o->state == HOST_OBJ_OFFLOADED)
                host_tree_ref(q, o,
                              o->kind == HOST_KIND_PATH ? host_type_cached(o) : host_type_full(o));
        }
        return HOST_STEP_MORE;
    }
    case 2:
        deep_update(h, l, host_batch_tree(b, HOST_OP_UPDATE));
        return HOST_STEP_MORE;
    case 3: { /* a route goes away: its path is invalidated, then uploaded with the rest */
        host_obj *p = host_lane_obj(h, l, np);
        if (p->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(host_batch_tree(b, HOST_OP_INVALIDATE), p, host_type_full(p));
        return HOST_STEP_MORE;
    }
    case 4:
        host_wl_terminate_all(h, l, b);
        return HOST_STEP_MORE;
    default: return HOST_STEP_DONE;
    }
}

const host_workload host_wl_deep = {"deep", deep_objects, deep_setup, deep_step};

/* ---- mixed --------------------------------------------------------------------------------
 * Lane objects: 0 N0, 1 N1, 2 N2 (relink target), 3 P0 (v4, N0), 4 P1 (v6, N0),
 * 5 P2 (v4, N1), 6 P3 (v6, N1), 7.. connections, connection i on path 3 + i % 4. */

#define MX_TCP0 7u

static uint32_t mixed_conns(const host_config *cfg, uint32_t lane)
{
    uint32_t c = host_lane_connections(cfg, lane);
    return c < 4 ? 4 : c;
}

static uint32_t mixed_objects(const host_config *cfg, uint32_t lane)
{
    return MX_TCP0 + mixed_conns(cfg, lane);
}

static void mixed_setup(host *h, host_lane *l)
{
    uint32_t k = 0, c = mixed_conns(&h->cfg, l->index);
    host_obj *n0 = host_wl_neighbor(h, l, &k), *n1 = host_wl_neighbor(h, l, &k);
    host_wl_neighbor(h, l, &k);
    host_wl_path(h, l, &k, n0, 0);
    host_wl_path(h, l, &k, n0, 1);
    host_wl_path(h, l, &k, n1, 0);
    host_wl_path(h, l, &k, n1, 1);
    for (uint32_t i = 0; i < c; i++)
        host_wl_tcp(h, l, &k, host_lane_obj(h, l, 3 + i % 4));
}

/* Connections on path index 3+p (p in 0..3) in state `st`: into t as `op` wants them. */
static host_obj *mx_first(host *h, host_lane *l, uint32_t p, host_ostate st)
{
    for (uint32_t i = MX_TCP0 + p; i < l->count; i += 4)
        if (host_lane_obj(h, l, i)->state == st && !host_lane_obj(h, l, i)->needs_upload)
            return host_lane_obj(h, l, i);
    return NULL;
}

static void mx_query_tcps(host *h, host_lane *l, host_tree *t, uint32_t pmask)
{
    for (uint32_t i = MX_TCP0; i < l->count; i++) {
        host_obj *o = host_lane_obj(h, l, i);
        if ((pmask >> ((i - MX_TCP0) % 4) & 1) && o->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(t, o, host_type_delegated(o));
    }
}

static void mx_update_mtu(host_batch *b, host_obj *p, ULONG mtu)
{
    if (!host_wl_live(p))
        return;
    PATH_OFFLOAD_STATE_CACHED c = p->u.path.ca;
    c.PathMtu = c.PathMtu == mtu ? 1500 : mtu;
    host_tree_update(host_batch_tree(b, HOST_OP_UPDATE), p, &c, NULL);
}

static void mx_update_tcp(host_batch *b, host_obj *o, int rcv_wnd)
{
    if (!o)
        return;
    TCP_OFFLOAD_STATE_CACHED c = o->u.tcp.ca;
    if (rcv_wnd) {
        c.InitialRcvWnd *= 2;
        c.Flags |= TCP_FLAG_UPDATE_RCV_WND;
    } else {
        c.KaTimeout = 600000;
        c.KaInterval = 2000;
        c.MaxRT = 30000;
        c.Flags |= TCP_FLAG_KEEP_ALIVE_ENABLED | TCP_FLAG_KEEP_ALIVE_RESTART |
                   TCP_FLAG_MAX_RT_RESTART;
    }
    host_tree_update(host_batch_tree(b, HOST_OP_UPDATE), o, &c, NULL);
}

/* §3.7: update with the new neighbor as root and the paths to relink as dependents. */
static void mx_relink(host *h, host_lane *l, host_batch *b)
{
    host_obj *n2 = host_lane_obj(h, l, 2);
    host_obj *p0 = host_lane_obj(h, l, 3), *p1 = host_lane_obj(h, l, 4);
    if (!host_wl_live(n2) || (!host_wl_live(p0) && !host_wl_live(p1)))
        return;
    host_tree *t = host_batch_tree(b, HOST_OP_UPDATE);
    host_tree_update(t, n2, &n2->u.nb.ca, NULL);
    if (host_wl_live(p0))
        host_tree_update(t, p0, &p0->u.path.ca, n2);
    if (host_wl_live(p1))
        host_tree_update(t, p1, &p1->u.path.ca, n2);
}

static void mx_arp_update(host_lane *l, host_batch *b, host_obj *n)
{
    if (!host_wl_live(n))
        return;
    NEIGHBOR_OFFLOAD_STATE_CACHED c = n->u.nb.ca;
    for (int i = 1; i < 6; i++)
        c.DlDestinationAddress[i] = (UCHAR)host_rng_next(&l->rng);
    host_tree_update(host_batch_tree(b, HOST_OP_UPDATE), n, &c, NULL);
}

static void mixed_offload(host *h, host_lane *l, host_tree *t, int pmask, int half)
{
    for (uint32_t i = 0; MX_TCP0 + i < l->count; i++)
        if ((pmask >> (i % 4) & 1) && (!half || (i / 4) % 2 == 0))
            host_tree_offload(t, host_lane_obj(h, l, MX_TCP0 + i));
}

static host_step_result mixed_step(host *h, host_lane *l, uint32_t step, host_batch *b)
{
    host_obj *n0 = host_lane_obj(h, l, 0), *n1 = host_lane_obj(h, l, 1);
    host_obj *n2 = host_lane_obj(h, l, 2);
    switch (step) {
    case 0:
        mixed_offload(h, l, host_batch_tree(b, HOST_OP_INITIATE), 0x3, 1);
        return HOST_STEP_MORE;
    case 1:
        mixed_offload(h, l, host_batch_tree(b, HOST_OP_INITIATE), 0xC, 0);
        mx_query_tcps(h, l, host_batch_tree(b, HOST_OP_QUERY), 0x3);
        mx_update_mtu(b, host_lane_obj(h, l, 3), 1400);
        return HOST_STEP_MORE;
    case 2: {
        mixed_offload(h, l, host_batch_tree(b, HOST_OP_INITIATE), 0x3, 0);
        mx_update_tcp(b, mx_first(h, l, 1, HOST_OBJ_OFFLOADED), 0);
        host_tree *q = host_batch_tree(b, HOST_OP_QUERY); /* P2 becomes a placeholder */
        if (host_lane_obj(h, l, 6)->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(q, host_lane_obj(h, l, 6), Ip6OffloadCachedState);
        mx_query_tcps(h, l, q, 0x4);
        if (n0->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(host_batch_tree(b, HOST_OP_QUERY), n0, NeighborOffloadState);
        return HOST_STEP_MORE;
    }
    case 3:
        if (n0->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(host_batch_tree(b, HOST_OP_INVALIDATE), n0, NeighborOffloadState);
        host_tree_offload(host_batch_tree(b, HOST_OP_INITIATE), n2);
        mx_update_mtu(b, host_lane_obj(h, l, 5), 1400);
        mx_query_tcps(h, l, host_batch_tree(b, HOST_OP_QUERY), 0x8);
        return HOST_STEP_MORE;
    case 4:
        mx_relink(h, l, b);
        mx_arp_update(l, b, n1);
        return HOST_STEP_MORE;
    case 5: {
        host_tree_terminate_subtree(h, l, host_batch_tree(b, HOST_OP_TERMINATE), n0);
        host_obj *t = mx_first(h, l, 2, HOST_OBJ_OFFLOADED);
        if (t)
            host_tree_ref(host_batch_tree(b, HOST_OP_INVALIDATE), t, TcpOffloadState);
        if (n2->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(host_batch_tree(b, HOST_OP_QUERY), n2, NeighborOffloadDelegatedState);
        return HOST_STEP_MORE;
    }
    case 6: {
        host_tree *t = host_batch_tree(b, HOST_OP_TERMINATE);
        for (uint32_t i = MX_TCP0; i < l->count; i++)
            if (host_lane_obj(h, l, i)->state == HOST_OBJ_INVALIDATED)
                host_tree_terminate_subtree(h, l, t, host_lane_obj(h, l, i));
        mx_update_tcp(b, mx_first(h, l, 3, HOST_OBJ_OFFLOADED), 1);
        return HOST_STEP_MORE;
    }
    case 7:
        host_wl_terminate_all(h, l, b);
        return HOST_STEP_MORE;
    default: return HOST_STEP_DONE;
    }
}

const host_workload host_wl_mixed = {"mixed", mixed_objects, mixed_setup, mixed_step};
