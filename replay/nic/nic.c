/* nic.c - the simulated offload NIC's face to the NDIS model: configuration, creation
 * (miniport driver + provider characteristics + one adapter), the five W_ state handlers
 * and their completion, immediate (re-entrant, inside the handler) or after a drawn latency
 * on the NIC's lane. The tree work itself is in nic_state.c / nic_ops.c; traffic in
 * nic_traffic.c. The NIC lock is never held across NdisM...Complete or the frame sink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chimney/ndis_chimney_functions.h>

#include "nic_int.h"

#define EVENT_CHUNK 256

void nic_config_init(nic_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->name = "chimtrace-nic";
    cfg->max_neighbors = 1024;
    cfg->max_paths = 1024;
    cfg->max_tcp = 4096;
    cfg->max_vlans = 64;
    cfg->max_rcv_wnd = 1u << 30;
    cfg->latency = (nic_latency){.kind = NIC_LATENCY_FIXED, .a_ns = 20000};
    cfg->seed = 1;
    cfg->frames = 1;
    cfg->data_interval_ns = 50000;
    cfg->ack_interval_ns = 100000;
    cfg->keepalive_interval_ns = 1000000;
    cfg->max_segment_bytes = 1448;
    cfg->ticks_per_second = 1000;
}

/* ---- events (delayed completions and timer ticks), pooled under the lock ----------------- */

nic_event *nic_event_get(nic *n)
{
    if (n->free_events == NULL) {
        if (n->nchunks == n->chunk_cap) {
            size_t cap = n->chunk_cap ? n->chunk_cap * 2 : 16;
            void **c = realloc(n->event_chunks, cap * sizeof *c);
            if (c == NULL)
                return NULL;
            n->event_chunks = c;
            n->chunk_cap = cap;
        }
        nic_event *chunk = calloc(EVENT_CHUNK, sizeof *chunk);
        if (chunk == NULL)
            return NULL;
        n->event_chunks[n->nchunks++] = chunk;
        for (int i = EVENT_CHUNK - 1; i >= 0; i--) {
            chunk[i].next = n->free_events;
            n->free_events = &chunk[i];
        }
    }
    nic_event *ev = n->free_events;
    n->free_events = ev->next;
    memset(ev, 0, sizeof *ev);
    ev->n = n;
    return ev;
}

void nic_event_put(nic *n, nic_event *ev)
{
    ev->next = n->free_events;
    n->free_events = ev;
}

/* ---- completion -------------------------------------------------------------------------- */

typedef VOID (*complete_fn)(NDIS_HANDLE, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST);

static const complete_fn completes[NIC_OP_COUNT] = {
    NdisMInitiateOffloadComplete, NdisMTerminateOffloadComplete, NdisMUpdateOffloadComplete,
    NdisMQueryOffloadStateComplete, NdisMInvalidateOffloadComplete};

/* Answer the tree now, then complete it. Terminated objects are freed after the completion
 * call returned (§3.6), so their context pointers stay valid until the host has them. */
static void complete_op(nic *n, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    nic_obj *release = NULL;
    pthread_mutex_lock(&n->mu);
    uint64_t now = sched_now_ns(n->s);
    switch (op) {
    case NIC_OP_INITIATE: nic_do_initiate(n, root, now); break;
    case NIC_OP_TERMINATE: release = nic_do_terminate(n, root, now); break;
    case NIC_OP_UPDATE: nic_do_update(n, root, now); break;
    case NIC_OP_QUERY: nic_do_query(n, root, now); break;
    default: nic_do_invalidate(n, root, now); break;
    }
    n->st.completions[op]++;
    pthread_mutex_unlock(&n->mu);

    completes[op]((NDIS_HANDLE)n->adapter, root);

    if (release != NULL) {
        pthread_mutex_lock(&n->mu);
        nic_obj *next;
        for (nic_obj *o = release; o != NULL; o = next) {
            next = o->term_next;
            nic_obj_release(n, o);
        }
        pthread_mutex_unlock(&n->mu);
    }
}

static void op_cb(void *arg)
{
    nic_event *ev = arg;
    nic *n = ev->n;
    int op = ev->kind;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root = ev->root;
    pthread_mutex_lock(&n->mu);
    nic_event_put(n, ev);
    pthread_mutex_unlock(&n->mu);
    complete_op(n, op, root);
}

/* Every W_ handler: remember the tree and complete it later (or now, in sync mode). */
static void submit(nic *n, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    pthread_mutex_lock(&n->mu);
    n->st.requests[op]++;
    if (n->cfg.sync_completion) {
        pthread_mutex_unlock(&n->mu);
        complete_op(n, op, root);
        return;
    }
    uint64_t delay = nic_latency_draw(&n->cfg.latency, &n->rng);
    nic_event *ev = nic_event_get(n);
    if (ev != NULL) {
        ev->kind = (uint8_t)op;
        ev->root = root;
        if (sched_post(n->s, n->lane, delay, op_cb, ev) == CT_OK) {
            pthread_mutex_unlock(&n->mu);
            return;
        }
        nic_event_put(n, ev);
    }
    /* No event or the scheduler is stopping: never leave a request uncompleted. */
    n->st.post_failures++;
    pthread_mutex_unlock(&n->mu);
    complete_op(n, op, root);
}

static VOID nic_initiate_offload(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST list)
{
    submit(ctx, NIC_OP_INITIATE, list);
}

static VOID nic_terminate_offload(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST list)
{
    submit(ctx, NIC_OP_TERMINATE, list);
}

static VOID nic_update_offload(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST list)
{
    submit(ctx, NIC_OP_UPDATE, list);
}

static VOID nic_query_offload(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST list)
{
    submit(ctx, NIC_OP_QUERY, list);
}

static VOID nic_invalidate_offload(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST list)
{
    submit(ctx, NIC_OP_INVALIDATE, list);
}

/* ---- lifetime ---------------------------------------------------------------------------- */

static ct_err check_config(const nic_config *c, const sched *s, uint32_t lane)
{
    if (lane >= sched_lanes(s) || c->ticks_per_second == 0 ||
        c->ticks_per_second > 1000000000u || nic_latency_check(&c->latency, NULL) != CT_OK)
        return CT_ERR_ARG;
    if (c->frames && (c->data_interval_ns == 0 || c->ack_interval_ns == 0 ||
                      c->keepalive_interval_ns == 0 || c->max_segment_bytes == 0))
        return CT_ERR_ARG;
    return CT_OK;
}

static ct_err register_with_model(nic *n)
{
    static const ndm_target_handlers h = {nic_initiate_offload, nic_terminate_offload,
                                          nic_update_offload, nic_invalidate_offload,
                                          nic_query_offload};
    return ndm_add_offload_target(n->model, n->name, &h, n, &n->drv, &n->adapter);
}

ct_err nic_new(ndm *m, sched *s, uint32_t lane, const nic_config *cfg, nic **out)
{
    if (out == NULL)
        return CT_ERR_ARG;
    *out = NULL;
    nic_config def;
    if (cfg == NULL) {
        nic_config_init(&def);
        cfg = &def;
    }
    if (m == NULL || s == NULL || check_config(cfg, s, lane) != CT_OK)
        return CT_ERR_ARG;
    nic *n = calloc(1, sizeof *n);
    if (n == NULL)
        return CT_ERR_NOMEM;
    n->model = m;
    n->s = s;
    n->lane = lane;
    n->cfg = *cfg;
    snprintf(n->name, sizeof n->name, "%s", cfg->name ? cfg->name : "chimtrace-nic");
    n->cfg.name = n->name;
    pthread_mutex_init(&n->mu, NULL);
    nic_rng_seed(&n->rng, cfg->seed);
    ct_err e = nic_pools_init(n);
    if (e == CT_OK)
        e = register_with_model(n);
    if (e != CT_OK) {
        nic_free(n);
        return e;
    }
    *out = n;
    return CT_OK;
}

void nic_free(nic *n)
{
    if (n == NULL)
        return;
    nic_pools_fini(n);
    for (size_t i = 0; i < n->nchunks; i++)
        free(n->event_chunks[i]);
    free(n->event_chunks);
    pthread_mutex_destroy(&n->mu);
    free(n);
}

NDIS_HANDLE nic_adapter(const nic *n)
{
    return (NDIS_HANDLE)n->adapter;
}

void nic_set_frame_sink(nic *n, nic_frame_fn fn, void *ctx)
{
    pthread_mutex_lock(&n->mu);
    n->sink = fn;
    n->sink_ctx = ctx;
    pthread_mutex_unlock(&n->mu);
}

void nic_get_stats(const nic *n, nic_stats *out)
{
    nic *mn = (nic *)n; /* the lock is not part of the NIC's observable state */
    pthread_mutex_lock(&mn->mu);
    *out = n->st;
    pthread_mutex_unlock(&mn->mu);
}
