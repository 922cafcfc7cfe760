/* host_workloads.c - the workload registry, the helpers every workload shares, and the
 * three plain workloads: basic, storm and churn.
 *
 * A workload is a fixed sequence of steps per lane. Each step looks at the lane's objects
 * (nothing of the lane is in flight then) and returns the trees to issue together; the next
 * step starts once they have all completed. Steps pick only what the objects' states allow,
 * so a workload stays legal whatever the target answers, and always ends by terminating
 * everything still offloaded.
 */
#include <stdio.h>
#include <string.h>

#include "host_internal.h"

/* ---- helpers ---------------------------------------------------------------------------- */

uint32_t host_share(uint32_t total, uint32_t lanes, uint32_t lane)
{
    return total / lanes + (lane < total % lanes ? 1 : 0);
}

uint32_t host_lane_connections(const host_config *cfg, uint32_t lane)
{
    uint32_t c = host_share(cfg->connections, cfg->threads, lane);
    return c ? c : 1;
}

static host_obj *next_obj(host_lane *l, host *h, uint32_t *k)
{
    return host_lane_obj(h, l, (*k)++);
}

host_obj *host_wl_neighbor(host *h, host_lane *l, uint32_t *k)
{
    host_obj *o = next_obj(l, h, k);
    host_obj_make_neighbor(o, &l->rng, h->local_mac, h->cfg.vlan_id);
    return o;
}

host_obj *host_wl_path(host *h, host_lane *l, uint32_t *k, host_obj *neighbor, int ipv6)
{
    /* One source address per lane and family, whatever the order paths are made in. */
    host_rng r;
    UCHAR src[16];
    host_rng_seed(&r, h->cfg.seed, 2000 + 2 * (uint64_t)l->index + (ipv6 ? 1 : 0));
    host_make_source_address(&r, ipv6, l->index, src);
    host_obj *o = next_obj(l, h, k);
    host_obj_make_path(o, neighbor, &l->rng, ipv6, src);
    return o;
}

host_obj *host_wl_tcp(host *h, host_lane *l, uint32_t *k, host_obj *path)
{
    host_obj *o = next_obj(l, h, k);
    host_obj_make_tcp(o, path, &l->rng);
    return o;
}

int host_wl_live(const host_obj *o)
{
    return o->state == HOST_OBJ_OFFLOADED && !o->needs_upload;
}

void host_wl_terminate_all(host *h, host_lane *l, host_batch *b)
{
    host_tree *t = host_batch_tree(b, HOST_OP_TERMINATE);
    for (uint32_t i = 0; i < l->count; i++) {
        host_obj *o = host_lane_obj(h, l, i);
        if (o->state != HOST_OBJ_UPLOADED &&
            (!o->parent || o->parent->state == HOST_OBJ_UPLOADED))
            host_tree_terminate_subtree(h, l, t, o);
    }
}

/* ---- basic: one neighbor, one path, one TCP; offload, query, update, invalidate,
 * terminate - the legal order of §3.7/§3.8 ------------------------------------------------ */

static uint32_t basic_objects(const host_config *cfg, uint32_t lane)
{
    (void)cfg, (void)lane;
    return 3;
}

static void basic_setup(host *h, host_lane *l)
{
    uint32_t k = 0;
    host_obj *n = host_wl_neighbor(h, l, &k);
    host_obj *p = host_wl_path(h, l, &k, n, 0);
    host_wl_tcp(h, l, &k, p);
}

static host_step_result basic_step(host *h, host_lane *l, uint32_t step, host_batch *b)
{
    host_obj *n = host_lane_obj(h, l, 0), *p = host_lane_obj(h, l, 1), *t = host_lane_obj(h, l, 2);
    switch (step) {
    case 0:
        host_tree_offload(host_batch_tree(b, HOST_OP_INITIATE), t);
        return HOST_STEP_MORE;
    case 1: {
        host_tree *q = host_batch_tree(b, HOST_OP_QUERY);
        if (n->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(q, n, host_type_full(n));
        if (p->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(q, p, host_type_cached(p));
        if (t->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(q, t, host_type_delegated(t));
        return HOST_STEP_MORE;
    }
    case 2:
        if (host_wl_live(t)) {
            TCP_OFFLOAD_STATE_CACHED c = t->u.tcp.ca;
            c.Flags |= TCP_FLAG_KEEP_ALIVE_ENABLED | TCP_FLAG_KEEP_ALIVE_RESTART;
            c.KaTimeout = 3600000;
            host_tree_update(host_batch_tree(b, HOST_OP_UPDATE), t, &c, NULL);
        }
        return HOST_STEP_MORE;
    case 3:
        if (t->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(host_batch_tree(b, HOST_OP_INVALIDATE), t, host_type_full(t));
        return HOST_STEP_MORE;
    case 4:
        host_wl_terminate_all(h, l, b);
        return HOST_STEP_MORE;
    default: return HOST_STEP_DONE;
    }
}

static const host_workload host_wl_basic = {"basic", basic_objects, basic_setup, basic_step};

/* ---- storm: N connections in several trees, neighbor -> paths -> TCPs, linkers for the
 * parents a first tree offloaded, trees in flight together ------------------------------- */

static uint32_t storm_paths(uint32_t conns)
{
    return (conns + 3) / 4;
}

static uint32_t storm_objects(const host_config *cfg, uint32_t lane)
{
    uint32_t c = host_lane_connections(cfg, lane);
    return 1 + storm_paths(c) + c;
}

static void storm_setup(host *h, host_lane *l)
{
    uint32_t k = 0, c = host_lane_connections(&h->cfg, l->index), np = storm_paths(c);
    host_obj *n = host_wl_neighbor(h, l, &k);
    for (uint32_t i = 0; i < np; i++)
        host_wl_path(h, l, &k, n, 0);
    for (uint32_t i = 0; i < c; i++)
        host_wl_tcp(h, l, &k, host_lane_obj(h, l, 1 + i % np));
}

static host_step_result storm_step(host *h, host_lane *l, uint32_t step, host_batch *b)
{
    uint32_t c = host_lane_connections(&h->cfg, l->index), np = storm_paths(c);
    host_obj *n = host_lane_obj(h, l, 0);
#define STORM_TCP(i) host_lane_obj(h, l, 1 + np + (i))
    switch (step) {
    case 0: { /* the first tree: neighbor, path 0, half of path 0's connections */
        host_tree *t = host_batch_tree(b, HOST_OP_INITIATE);
        for (uint32_t i = 0; i < c; i += np)
            if ((i / np) % 2 == 0)
                host_tree_offload(t, STORM_TCP(i));
        return HOST_STEP_MORE;
    }
    case 1: { /* the rest, one path's connections per tree, several trees in flight */
        uint32_t nt = n->state == HOST_OBJ_OFFLOADED ? (np < HOST_STEP_TREES ? np : HOST_STEP_TREES)
                                                     : 1;
        host_tree *t[HOST_STEP_TREES];
        for (uint32_t j = 0; j < nt; j++)
            t[j] = host_batch_tree(b, HOST_OP_INITIATE);
        for (uint32_t i = 0; i < c; i++)
            host_tree_offload(t[(i % np) % nt], STORM_TCP(i));
        return HOST_STEP_MORE;
    }
    case 2: {
        host_tree *q = host_batch_tree(b, HOST_OP_QUERY);
        host_tree *qp = host_batch_tree(b, HOST_OP_QUERY);
        for (uint32_t i = 0; i < c; i++)
            if (STORM_TCP(i)->state == HOST_OBJ_OFFLOADED)
                host_tree_ref(q, STORM_TCP(i), host_type_delegated(STORM_TCP(i)));
        if (n->state == HOST_OBJ_OFFLOADED)
            host_tree_ref(qp, n, host_type_full(n));
        for (uint32_t i = 0; i < np; i++)
            if (host_lane_obj(h, l, 1 + i)->state == HOST_OBJ_OFFLOADED)
                host_tree_ref(qp, host_lane_obj(h, l, 1 + i),
                              host_type_cached(host_lane_obj(h, l, 1 + i)));
        return HOST_STEP_MORE;
    }
    case 3: { /* upload half the connections alone, TCP-only tree */
        host_tree *t = host_batch_tree(b, HOST_OP_TERMINATE);
        for (uint32_t i = 0; i < c; i += 2)
            host_tree_terminate_subtree(h, l, t, STORM_TCP(i));
        return HOST_STEP_MORE;
    }
    case 4:
        host_wl_terminate_all(h, l, b);
        return HOST_STEP_MORE;
    default: return HOST_STEP_DONE;
    }
#undef STORM_TCP
}

static const host_workload host_wl_storm = {"storm", storm_objects, storm_setup, storm_step};

/* ---- churn: offload/upload cycles; uploads alternate between single connections, a
 * path with its connections (a combination, §3.6) and the whole neighbor --------------- */

static uint32_t churn_objects(const host_config *cfg, uint32_t lane)
{
    return 3 + host_lane_connections(cfg, lane);
}

static void churn_setup(host *h, host_lane *l)
{
    uint32_t k = 0, c = host_lane_connections(&h->cfg, l->index);
    host_obj *n = host_wl_neighbor(h, l, &k);
    host_obj *p4 = host_wl_path(h, l, &k, n, 0);
    host_obj *p6 = host_wl_path(h, l, &k, n, 1);
    for (uint32_t i = 0; i < c; i++)
        host_wl_tcp(h, l, &k, i % 2 ? p6 : p4);
}

static void churn_upload(host *h, host_lane *l, uint32_t round, host_tree *t)
{
    uint32_t c = host_lane_connections(&h->cfg, l->index);
    host_obj *n = host_lane_obj(h, l, 0);
    if (round % 3 == 2) {
        host_tree_terminate_subtree(h, l, t, n);
        return;
    }
    if (round % 3 == 1)
        host_tree_terminate_subtree(h, l, t, host_lane_obj(h, l, 1 + (round / 3) % 2));
    host_obj *first = NULL;
    for (uint32_t i = 0; i < c; i++) {
        host_obj *o = host_lane_obj(h, l, 3 + i);
        if (o->state != HOST_OBJ_OFFLOADED)
            continue;
        first = first ? first : o;
        if (host_rng_below(&l->rng, 2))
            host_tree_terminate_subtree(h, l, t, o);
    }
    if (t->n == 0 && first)
        host_tree_terminate_subtree(h, l, t, first);
}

static host_step_result churn_step(host *h, host_lane *l, uint32_t step, host_batch *b)
{
    uint32_t rounds = h->cfg.rounds ? h->cfg.rounds : 1;
    uint32_t c = host_lane_connections(&h->cfg, l->index);
    if (step < 2 * rounds && step % 2 == 0) {
        host_tree *t = host_batch_tree(b, HOST_OP_INITIATE);
        for (uint32_t i = 0; i < c; i++)
            host_tree_offload(t, host_lane_obj(h, l, 3 + i));
        return HOST_STEP_MORE;
    }
    if (step < 2 * rounds) {
        churn_upload(h, l, step / 2, host_batch_tree(b, HOST_OP_TERMINATE));
        return HOST_STEP_MORE;
    }
    if (step == 2 * rounds) {
        host_wl_terminate_all(h, l, b);
        return HOST_STEP_MORE;
    }
    return HOST_STEP_DONE;
}

static const host_workload host_wl_churn = {"churn", churn_objects, churn_setup, churn_step};

/* ---- registry ----------------------------------------------------------------------------- */

static const host_workload *const workloads[] = {&host_wl_basic, &host_wl_storm, &host_wl_churn,
                                                 &host_wl_exhaust, &host_wl_deep, &host_wl_mixed};
#define N_WORKLOADS (sizeof workloads / sizeof *workloads)

static const char *const names[N_WORKLOADS + 1] = {"basic",   "storm", "churn", "exhaust",
                                                   "deep",    "mixed", NULL};

const char *const *host_workload_names(void)
{
    return names;
}

const host_workload *host_workload_find(const char *name)
{
    for (size_t i = 0; name && i < N_WORKLOADS; i++)
        if (strcmp(workloads[i]->name, name) == 0)
            return workloads[i];
    return NULL;
}

ct_err host_workload_check(const char *name, ct_errinfo *ei)
{
    if (host_workload_find(name))
        return CT_OK;
    char list[128] = "";
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "unknown workload '%s' (known: %s)",
                     name ? name : "(null)", list);
}
