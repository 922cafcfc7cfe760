/* replay_nic.c - the scripted NIC: an offload target registered with the NDIS model that
 * answers each request as IN's NIC did. The root the trace host passed down names the
 * instance; its completion-in event (edge 3) is the script - statuses, the contexts initiate
 * hands up, the state terminate and query fill in - played after the recorded latency, or
 * inside the handler when IN's completion was re-entrant. A request no script fits is still
 * completed (FAILURE where blocks do not line up), so a replay never hangs.
 */
#include <string.h>

#include <chimney/ndis_chimney_functions.h>

#include "replay_int.h"

static void complete_up(rp *r, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    NDIS_HANDLE a = (NDIS_HANDLE)r->snic_adapter;
    switch (op) {
    case SHIM_OP_INITIATE: NdisMInitiateOffloadComplete(a, root); break;
    case SHIM_OP_TERMINATE: NdisMTerminateOffloadComplete(a, root); break;
    case SHIM_OP_UPDATE: NdisMUpdateOffloadComplete(a, root); break;
    case SHIM_OP_QUERY: NdisMQueryOffloadStateComplete(a, root); break;
    default: NdisMInvalidateOffloadComplete(a, root); break;
    }
}

/* The host's buffer behind block `index` of the instance's request (size in *size), or
 * NULL when the block is not host memory (the IM sent a tree of its own). */
static uint8_t *host_block(const rp_req *q, uint32_t index, const void *b, uint32_t *size)
{
    if (q == NULL)
        return NULL;
    if (index < q->n && (const void *)q->blk[index].b == b) {
        *size = q->blk[index].size;
        return (uint8_t *)q->blk[index].b;
    }
    for (uint32_t k = 0; k < q->n; k++) {
        if ((const void *)q->blk[k].b == b) {
            *size = q->blk[k].size;
            return (uint8_t *)q->blk[k].b;
        }
    }
    return NULL;
}

/* One block as the script says: status, the context initiate hands up, the NBL chain, the
 * state structures as recorded (delegated state on terminate, results of a query). */
static void answer_block(rp *r, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b,
                         const Chimtrace__V1__Block *m, uint8_t *mem, uint32_t size)
{
    b->Status = m->has_status ? (NDIS_STATUS)m->status : NDIS_STATUS_FAILURE;
    if (op == SHIM_OP_INITIATE && m->has_context_value_id && m->context_value_id != 0 &&
        b->MiniportOffloadContext != NULL)
        *b->MiniportOffloadContext = rp_id_ptr(r, m->context_value_id);
    b->NetBufferListChain =
        m->has_nbl_chain_set && m->nbl_chain_set ? rp_id_ptr(r, m->nbl_chain_id) : NULL;
    if (mem != NULL)
        rp_state_write(r, mem, size, m);
}

/* Walk the tree the NIC was given; blocks line up with the script by pre-order index
 * and parent. Anything else fails. */
static void answer(rp *r, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root,
                   const Chimtrace__V1__Event *script, const rp_req *q)
{
    rp_walk w;
    uint32_t index, parent;
    int mismatch = script == NULL;
    rp_walk_init(&w, root);
    for (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; (b = rp_walk_next(&w, &index, &parent)) != NULL;) {
        const Chimtrace__V1__Block *m = script && index < script->n_block ? script->block[index]
                                                                          : NULL;
        if (m == NULL || (m->has_parent ? m->parent : RP_NONE) != parent) {
            b->Status = NDIS_STATUS_FAILURE;
            mismatch = 1;
            continue;
        }
        uint32_t size = 0;
        uint8_t *mem = host_block(q, index, b, &size);
        answer_block(r, op, b, m, mem, size);
    }
    if (script != NULL && (w.cut || w.seen != script->n_block))
        mismatch = 1;
    if (mismatch && script != NULL)
        r->res->nic_tree_mismatch++;
}

void rp_snic_complete(rp *r, const rp_action *a)
{
    if (a->inst == RP_NONE) {
        answer(r, a->op, a->root, NULL, NULL);
        complete_up(r, a->op, a->root);
        return;
    }
    rp_inst *x = &r->inst[a->inst];
    x->nic_pending = 0;
    uint64_t *v = obj_map_get(&r->roots, (uint64_t)(uintptr_t)a->root);
    if (v == NULL || *v != a->inst) {
        /* The host already had its completion (the IM answered without us): the tree is
         * no longer ours to write, nor to complete. */
        r->res->nic_stale++;
        return;
    }
    Chimtrace__V1__Event *script = rp_event_get(r, x, 3);
    if (script == NULL) {
        rp_fail(r, CT_ERR_NOMEM, "out of memory reading the NIC's script");
        return;
    }
    answer(r, a->op, a->root, script, x->req);
    rp_event_free(r, script);
    complete_up(r, a->op, a->root);
}

/* Every W_ handler: find the instance, then answer now (re-entrant in IN) or later. */
static void request(rp *r, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    r->res->nic_requests++;
    uint64_t *v = obj_map_get(&r->roots, (uint64_t)(uintptr_t)root);
    rp_inst *x = v != NULL ? &r->inst[*v] : NULL;
    rp_action a = {.due = sched_now_ns(r->s), .key = UINT64_MAX, .lane = r->nic_lane,
                   .inst = RP_NONE, .op = op, .root = root};
    if (x != NULL && !x->nic_pending && x->ev[3] != RP_NONE && x->ev[2] != RP_NONE) {
        const rp_event *e2 = &r->ev[x->ev[2]], *e3 = &r->ev[x->ev[3]];
        a.inst = (uint32_t)*v;
        a.key = e3->seq;
        a.lane = rp_lane_of(r, e3->ring);
        x->nic_pending = 1;
        if (e3->flags & CT_EVENT_FLAG_REENTRANT) {
            rp_snic_complete(r, &a);
            return;
        }
        a.due += e3->ts > e2->ts ? e3->ts - e2->ts : 0;
    } else {
        r->res->nic_unscripted++;
    }
    if (rp_queue_push(r, &a) != CT_OK)
        rp_snic_complete(r, &a); /* no memory to wait: answer now rather than never */
}

static VOID snic_initiate(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    request(ctx, SHIM_OP_INITIATE, l);
}
static VOID snic_terminate(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    request(ctx, SHIM_OP_TERMINATE, l);
}
static VOID snic_update(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    request(ctx, SHIM_OP_UPDATE, l);
}
static VOID snic_query(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    request(ctx, SHIM_OP_QUERY, l);
}
static VOID snic_invalidate(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    request(ctx, SHIM_OP_INVALIDATE, l);
}

ct_err rp_snic_new(rp *r)
{
    static const ndm_target_handlers h = {snic_initiate, snic_terminate, snic_update,
                                          snic_invalidate, snic_query};
    return ndm_add_offload_target(r->m, "chimtrace-scripted-nic", &h, r, &r->snic_drv,
                                  &r->snic_adapter);
}
