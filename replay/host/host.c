/* host.c - the host stack model's life cycle and its edges to NDIS and the scheduler.
 *
 * Owns registration (protocol driver "tcpip" and its chimney completion handlers), the
 * binding to the adapter below, the lanes that run a workload's steps, the down-calls
 * (NdisInitiateOffload and its four siblings, never under the host lock) and the
 * observer. Trees are built in host_tree.c, completions checked in host_complete.c, and
 * workloads live in host_workloads*.c.
 */
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"
#include <chimney/ndis_chimney_functions.h>

void host_config_init(host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->workload = "basic";
    cfg->seed = 1;
    cfg->connections = 8;
    cfg->threads = 1;
    cfg->rounds = 3;
    cfg->think_ns = 1000;
    cfg->cap_neighbors = 1024; /* nic_config_init's max_neighbors, max_paths, max_tcp */
    cfg->cap_paths = 1024;
    cfg->cap_tcp = 4096;
    cfg->vlan_id = 0;
}

/* ---- completion handlers NDIS calls (ProtocolXxxOffloadComplete) ---------------------- */

static VOID host_initiate_complete(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST list)
{
    host_complete(ctx, HOST_OP_INITIATE, list);
}
static VOID host_terminate_complete(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST list)
{
    host_complete(ctx, HOST_OP_TERMINATE, list);
}
static VOID host_update_complete(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST list)
{
    host_complete(ctx, HOST_OP_UPDATE, list);
}
static VOID host_invalidate_complete(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST list)
{
    host_complete(ctx, HOST_OP_INVALIDATE, list);
}
static VOID host_query_complete(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST list)
{
    host_complete(ctx, HOST_OP_QUERY, list);
}

/* NeighborReachabilityQuery (§1.3): the host answers by leaving the cached
 * HostReachabilityDelta as it is (it has heard from the neighbor recently); counted. */
static VOID host_indicate_event(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST list,
                                ULONG code)
{
    host *h = ctx;
    (void)list, (void)code;
    pthread_mutex_lock(&h->lock);
    h->st.events_indicated++;
    pthread_mutex_unlock(&h->lock);
}

static ct_err register_protocol(host *h)
{
    h->proto = ndm_register_protocol_driver(h->m, "tcpip");
    if (!h->proto)
        return CT_ERR_NOMEM;
    /* Static storage per host: the model may keep the pointer rather than a copy. */
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c = &h->client_chars;
    memset(c, 0, sizeof *c);
    c->Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    c->Header.Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    c->Header.Size = sizeof *c;
    c->InitiateOffloadCompleteHandler = host_initiate_complete;
    c->TerminateOffloadCompleteHandler = host_terminate_complete;
    c->UpdateOffloadCompleteHandler = host_update_complete;
    c->InvalidateOffloadCompleteHandler = host_invalidate_complete;
    c->QueryOffloadCompleteHandler = host_query_complete;
    c->IndicateOffloadEventHandler = host_indicate_event;
    NDIS_STATUS st = NdisSetOptionalHandlers((NDIS_HANDLE)h->proto, (void *)c);
    return st == NDIS_STATUS_SUCCESS ? CT_OK : CT_ERR_STATE;
}

/* ---- life cycle ---------------------------------------------------------------------- */

ct_err host_new(ndm *m, sched *s, const host_config *cfg, host **out)
{
    *out = NULL;
    if (!m || !s || !cfg || !cfg->workload || cfg->threads == 0 ||
        cfg->threads > sched_lanes(s) || cfg->connections == 0 ||
        strlen(cfg->workload) >= sizeof(((host *)0)->workload_name))
        return CT_ERR_ARG;
    const host_workload *wl = host_workload_find(cfg->workload);
    if (!wl)
        return CT_ERR_ARG;
    host *h = calloc(1, sizeof *h);
    if (!h)
        return CT_ERR_NOMEM;
    h->m = m;
    h->s = s;
    h->cfg = *cfg;
    strcpy(h->workload_name, cfg->workload);
    h->cfg.workload = h->workload_name;
    h->wl = wl;
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->obs_lock, NULL);
    ct_err e = register_protocol(h);
    if (e != CT_OK) {
        host_free(h);
        return e;
    }
    *out = h;
    return CT_OK;
}

static void free_list(host_req *r)
{
    while (r) {
        host_req *next = r->next;
        free(r);
        r = next;
    }
}

void host_free(host *h)
{
    if (!h)
        return;
    free_list(h->outstanding);
    free_list(h->quarantine_head);
    free(h->objs);
    free(h->slot);
    free(h->lanes);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->obs_lock);
    free(h);
}

ct_err host_bind(host *h, ndm_adapter *lower)
{
    if (!h || !lower)
        return CT_ERR_ARG;
    if (h->binding)
        return CT_ERR_STATE;
    h->binding = ndm_open_adapter(h->m, h->proto, lower, h);
    return h->binding ? CT_OK : CT_ERR_STATE;
}

static ct_err create_objects(host *h)
{
    uint32_t t = h->cfg.threads, total = 0;
    h->lanes = calloc(t, sizeof *h->lanes);
    if (!h->lanes)
        return CT_ERR_NOMEM;
    for (uint32_t i = 0; i < t; i++) {
        host_lane *l = &h->lanes[i];
        l->h = h;
        l->index = i;
        l->first = total;
        l->count = h->wl->objects(&h->cfg, i);
        total += l->count;
        host_rng_seed(&l->rng, h->cfg.seed, 1000 + i);
    }
    h->objs = calloc(total ? total : 1, sizeof *h->objs);
    h->slot = malloc((total ? total : 1) * sizeof *h->slot);
    if (!h->objs || !h->slot)
        return CT_ERR_NOMEM;
    h->nobjs = total;
    for (uint32_t i = 0; i < total; i++) {
        h->objs[i].id = i;
        h->slot[i] = -1;
    }
    host_rng r;
    host_rng_seed(&r, h->cfg.seed, 0);
    host_make_local_mac(&r, h->local_mac);
    for (uint32_t i = 0; i < t; i++) {
        for (uint32_t k = 0; k < h->lanes[i].count; k++)
            host_lane_obj(h, &h->lanes[i], k)->lane = i;
        h->wl->setup(h, &h->lanes[i]);
    }
    h->st.objects = total;
    return CT_OK;
}

static void host_lane_run(void *arg);

ct_err host_start(host *h)
{
    if (!h)
        return CT_ERR_ARG;
    if (!h->binding || h->started)
        return CT_ERR_STATE;
    h->started = 1;
    ct_err e = create_objects(h);
    if (e != CT_OK)
        return e;
    for (uint32_t i = 0; i < h->cfg.threads; i++) {
        e = sched_post(h->s, i, 0, host_lane_run, &h->lanes[i]);
        if (e != CT_OK)
            return e;
    }
    return CT_OK;
}

/* ---- lanes ------------------------------------------------------------------------- */

int host_lane_request_done(host *h, host_lane *l)
{
    (void)h;
    return --l->outstanding == 0 && !l->done;
}

void host_lane_post_next(host *h, host_lane *l)
{
    if (sched_post(h->s, l->index, h->cfg.think_ns, host_lane_run, l) != CT_OK) {
        pthread_mutex_lock(&h->lock);
        h->st.post_failures++;
        pthread_mutex_unlock(&h->lock);
    }
}

static void down_call(host *h, host_op op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    NDIS_HANDLE b = (NDIS_HANDLE)h->binding;
    switch (op) {
    case HOST_OP_INITIATE: NdisInitiateOffload(b, root); break;
    case HOST_OP_TERMINATE: NdisTerminateOffload(b, root); break;
    case HOST_OP_UPDATE: NdisUpdateOffload(b, root); break;
    case HOST_OP_QUERY: NdisQueryOffloadState(b, root); break;
    case HOST_OP_INVALIDATE: NdisInvalidateOffload(b, root); break;
    }
}

/* Build, account and send one tree. The request may complete (and be freed) inside the
 * down-call, so nothing touches it afterwards. */
static void issue(host *h, host_lane *l, host_tree *t)
{
    host_req *r;
    pthread_mutex_lock(&h->lock);
    ct_err e = host_req_build(h, l, t, &r);
    if (e == CT_OK) {
        r->seq = h->next_seq++;
        r->next = h->outstanding;
        if (r->next)
            r->next->prev = r;
        h->outstanding = r;
        h->st.outstanding++;
        h->st.issued[r->op]++;
        h->st.blocks_issued[r->op] += r->nblocks;
        l->outstanding++;
    }
    pthread_mutex_unlock(&h->lock);
    if (e != CT_OK)
        return;
    host_op op = r->op;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = r->root;
    host_observe(h, HOST_EV_ISSUE, op, op, r);
    down_call(h, op, root);
}

/* One step of a lane's workload. A guard count keeps completions that arrive while the
 * step is still issuing from starting the next step. */
static void host_lane_run(void *arg)
{
    host_lane *l = arg;
    host *h = l->h;
    host_batch b;
    b.n = 0;
    pthread_mutex_lock(&h->lock);
    l->outstanding++;
    uint32_t step = l->step++;
    pthread_mutex_unlock(&h->lock);

    host_step_result res = h->wl->step(h, l, step, &b);
    for (uint32_t i = 0; i < b.n; i++) {
        if (b.t[i].n > 0 || b.t[i].failed)
            issue(h, l, &b.t[i]);
        host_tree_fini(&b.t[i]);
    }

    pthread_mutex_lock(&h->lock);
    int post = 0;
    if (res == HOST_STEP_DONE && !l->done) {
        l->done = 1;
        h->st.lanes_done++;
    }
    post = host_lane_request_done(h, l);
    pthread_mutex_unlock(&h->lock);
    if (post)
        host_lane_post_next(h, l);
}

/* ---- statistics and observer ------------------------------------------------------------ */

void host_get_stats(const host *h, host_stats *st)
{
    host *mh = (host *)h; /* the lock is the only thing written */
    pthread_mutex_lock(&mh->lock);
    *st = h->st;
    memset(st->offloaded_now, 0, sizeof st->offloaded_now);
    for (uint32_t i = 0; i < h->nobjs; i++)
        if (h->objs[i].state != HOST_OBJ_UPLOADED)
            st->offloaded_now[h->objs[i].kind]++;
    pthread_mutex_unlock(&mh->lock);
    st->offloaded_total = st->offloaded_now[0] + st->offloaded_now[1] + st->offloaded_now[2];
    const uint64_t *v = (const uint64_t *)&st->v;
    st->violations = 0;
    for (size_t i = 0; i < sizeof st->v / sizeof *v; i++)
        st->violations += v[i];
}

uint32_t host_handle_id(const host *h, const NDIS_OFFLOAD_HANDLE *handle)
{
    if (!h || !h->objs || !handle)
        return UINT32_MAX;
    uintptr_t p = (uintptr_t)handle, base = (uintptr_t)h->objs;
    if (p < base || p >= base + (uintptr_t)h->nobjs * sizeof *h->objs ||
        (p - base) % sizeof *h->objs != offsetof(host_obj, handle))
        return UINT32_MAX;
    return (uint32_t)((p - base) / sizeof *h->objs);
}

void host_set_observer(host *h, host_observer_fn fn, void *ctx)
{
    pthread_mutex_lock(&h->obs_lock);
    h->obs = fn;
    h->obs_ctx = ctx;
    pthread_mutex_unlock(&h->obs_lock);
}

void host_observe(host *h, host_event_kind kind, host_op op, host_op via, host_req *r)
{
    pthread_mutex_lock(&h->obs_lock);
    if (h->obs) {
        host_event ev = {kind, op, via, r->lane->index, r->seq, r->nblocks, r->root};
        h->obs(h->obs_ctx, &ev);
    }
    pthread_mutex_unlock(&h->obs_lock);
}
