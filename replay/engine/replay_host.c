/* replay_host.c - the trace host: the protocol driver above the IM that issues every recorded
 * operation instance as the recorded host did - the edge-1 tree rebuilt in memory, one buffer
 * per recorded block id, the host's NDIS_OFFLOAD_HANDLE per recorded upper handle id - with
 * NdisInitiateOffload and its siblings. Its completion handlers record nothing (the shim
 * does): they settle the handles as the host would, free the request, and report
 * completions that are unknown, duplicate or of the wrong kind instead of trusting them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chimney/ndis_chimney_functions.h>

#include "replay_int.h"

static int offloaded(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
}

/* ---- completions ------------------------------------------------------------------------ */

static const char *op_name(uint8_t op)
{
    static const char *const names[] = {"?", "initiate", "terminate", "update", "query",
                                        "invalidate"};
    return op < sizeof names / sizeof names[0] ? names[op] : "?";
}

static void release(rp *r, rp_req *q)
{
    for (uint32_t k = 0; k < q->n; k++)
        if (q->blk[k].buf != RP_NONE)
            r->bufs[q->blk[k].buf].user = 0;
    /* Blocks of their own allocation stay allocated until the end: a driver that touches a
     * tree after completing it must not make the replay crash. */
}

/* What the host does with its handles when a request completes: an upload (terminate,
 * whatever the status) or a refused new offload gives the handle back zeroed, so the
 * next initiate of the object starts without a context, as the recorded host's did. */
static void settle_handles(rp_req *q)
{
    for (uint32_t k = 0; k < q->n; k++) {
        PNDIS_OFFLOAD_HANDLE h = q->blk[k].handle;
        if (h == NULL)
            continue;
        if (q->op == SHIM_OP_TERMINATE ||
            (q->op == SHIM_OP_INITIATE && q->blk[k].is_new && !offloaded(q->blk[k].b->Status)))
            memset(h, 0, sizeof *h);
    }
}

static void host_complete(rp *r, uint8_t via, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    replay_result *res = r->res;
    res->host_completions++;
    uint64_t *v = obj_map_get(&r->roots, (uint64_t)(uintptr_t)root);
    if (v == NULL) {
        uint64_t *done = obj_map_get(&r->done_roots, (uint64_t)(uintptr_t)root);
        if (done != NULL)
            res->host_duplicate++;
        else
            res->host_unknown++;
        rp_check_host(r, REPLAY_DIV_EXTRA, done != NULL ? (uint32_t)*done : RP_NONE,
                      done != NULL ? "the host got a second completion of this request"
                                   : "the host got a completion of a request it never sent");
        return;
    }
    uint32_t i = (uint32_t)*v;
    rp_inst *x = &r->inst[i];
    rp_req *q = x->req;
    if (via != q->op) {
        char text[96];
        res->host_wrong_kind++;
        snprintf(text, sizeof text, "completion handler: expected %s, got %s",
                 op_name(q->op), op_name(via));
        rp_check_host(r, REPLAY_DIV_FIELDS, i, text);
    }
    settle_handles(q);
    release(r, q);
    obj_map_del(&r->roots, (uint64_t)(uintptr_t)root);
    if (obj_map_put(&r->done_roots, (uint64_t)(uintptr_t)root, i) != CT_OK)
        rp_fail(r, CT_ERR_NOMEM, "out of memory");
    x->host_done = 1;
    x->req = NULL;
    free(q);
    rp_queue_released(r);
}

static VOID initiate_done(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST l)
{
    host_complete(ctx, SHIM_OP_INITIATE, l);
}
static VOID terminate_done(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST l)
{
    host_complete(ctx, SHIM_OP_TERMINATE, l);
}
static VOID update_done(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST l)
{
    host_complete(ctx, SHIM_OP_UPDATE, l);
}
static VOID query_done(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST l)
{
    host_complete(ctx, SHIM_OP_QUERY, l);
}
static VOID invalidate_done(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST l)
{
    host_complete(ctx, SHIM_OP_INVALIDATE, l);
}
static VOID event_indicated(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST l, ULONG code)
{
    (void)ctx, (void)l, (void)code; /* not in state-operation traces: nothing to replay */
}

ct_err rp_host_new(rp *r)
{
    r->host_proto = ndm_register_protocol_driver(r->m, "chimtrace-replay-host");
    if (r->host_proto == NULL)
        return CT_ERR_NOMEM;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c = &r->host_chars;
    memset(c, 0, sizeof *c);
    c->Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    c->Header.Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    c->Header.Size = sizeof *c;
    c->InitiateOffloadCompleteHandler = initiate_done;
    c->TerminateOffloadCompleteHandler = terminate_done;
    c->UpdateOffloadCompleteHandler = update_done;
    c->InvalidateOffloadCompleteHandler = invalidate_done;
    c->QueryOffloadCompleteHandler = query_done;
    c->IndicateOffloadEventHandler = event_indicated;
    if (NdisSetOptionalHandlers((NDIS_HANDLE)r->host_proto, (void *)c) != NDIS_STATUS_SUCCESS)
        return CT_ERR_STATE;
    r->host_binding = ndm_open_adapter(r->m, r->host_proto, r->im_upper, r);
    return r->host_binding != NULL ? CT_OK : CT_ERR_NOMEM;
}

/* ---- requests ----------------------------------------------------------------------------- */

static PNDIS_OFFLOAD_HANDLE handle_of(rp *r, uint64_t id)
{
    uint64_t *v = id != 0 ? obj_map_get(&r->handle_of_id, id) : NULL;
    return v != NULL ? &r->handles[*v] : NULL;
}

/* The buffer of a recorded block id, zeroed; a fresh allocation of its own when that
 * buffer is still in use (the request that had it never completed) or too small. */
static uint8_t *acquire(rp *r, uint32_t inst, uint64_t block_id, uint32_t need,
                        struct rp_req_blk *blk, uint32_t *size)
{
    uint64_t *v = obj_map_get(&r->buf_of_id, block_id);
    blk->buf = RP_NONE;
    if (v != NULL && r->bufs[*v].user == 0 && r->bufs[*v].size >= need) {
        rp_buf *b = &r->bufs[*v];
        if (b->mem == NULL && (b->mem = malloc(b->size)) == NULL)
            return NULL;
        b->user = inst + 1;
        blk->buf = (uint32_t)*v;
        memset(b->mem, 0, b->size);
        *size = b->size;
        return b->mem;
    }
    uint8_t **own = realloc(r->own_blocks, (r->nown + 1) * sizeof *own);
    if (own == NULL)
        return NULL;
    r->own_blocks = own;
    if ((own[r->nown] = calloc(1, need)) == NULL)
        return NULL;
    *size = need;
    return own[r->nown++];
}

/* Point a handle that IN shows without a context at no context: only an earlier
 * divergence (an upload that never completed) can have left one there. */
static void check_context(rp *r, const Chimtrace__V1__Block *b, PNDIS_OFFLOAD_HANDLE h)
{
    if (h != NULL && (!b->has_context_value_id || b->context_value_id == 0) &&
        h->MiniportOffloadContext != NULL) {
        h->MiniportOffloadContext = NULL;
        r->res->host_context_reset++;
    }
}

static rp_req *build(rp *r, uint32_t i, const Chimtrace__V1__Event *ev)
{
    size_t n = ev->n_block;
    rp_req *q = calloc(1, sizeof *q + n * sizeof q->blk[0]);
    uint32_t *next = malloc(2 * n * sizeof *next), *dep = next + n;
    if (q == NULL || next == NULL || !rp_tree_links(ev, next, dep)) {
        free(q);
        free(next);
        return NULL;
    }
    q->inst = i;
    q->op = r->inst[i].op;
    q->n = (uint32_t)n;
    for (size_t k = 0; k < n; k++) {
        const Chimtrace__V1__Block *b = ev->block[k];
        uint32_t size;
        uint8_t *mem = acquire(r, i, b->block_id, rp_block_need(b), &q->blk[k], &size);
        if (mem == NULL) {
            q->n = (uint32_t)k;
            release(r, q);
            free(q);
            free(next);
            return NULL;
        }
        q->blk[k].b = (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)mem;
        q->blk[k].size = size;
        q->blk[k].handle = handle_of(r, b->offload_handle_id);
        q->blk[k].is_new = q->op == SHIM_OP_INITIATE && q->blk[k].handle != NULL &&
                           (!b->has_context_value_id || b->context_value_id == 0);
        check_context(r, b, q->blk[k].handle);
        rp_block_fill(r, q->blk[k].b, b, k == 0, q->blk[k].handle);
        rp_state_write(r, mem, size, b);
    }
    for (size_t k = 0; k < n; k++) {
        q->blk[k].b->NextBlock = next[k] != RP_NONE ? q->blk[next[k]].b : NULL;
        q->blk[k].b->DependentBlockList = dep[k] != RP_NONE ? q->blk[dep[k]].b : NULL;
    }
    free(next);
    q->root = q->blk[0].b;
    return q;
}

static void down_call(rp *r, uint8_t op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    NDIS_HANDLE b = (NDIS_HANDLE)r->host_binding;
    switch (op) {
    case SHIM_OP_INITIATE: NdisInitiateOffload(b, root); break;
    case SHIM_OP_TERMINATE: NdisTerminateOffload(b, root); break;
    case SHIM_OP_UPDATE: NdisUpdateOffload(b, root); break;
    case SHIM_OP_QUERY: NdisQueryOffloadState(b, root); break;
    default: NdisInvalidateOffload(b, root); break;
    }
}

/* Build and send one instance's request. It may complete (and be freed) inside the
 * down-call; the shim sequence numbers taken meanwhile tell which OUT events it caused. */
void rp_host_issue(rp *r, uint32_t i)
{
    rp_inst *x = &r->inst[i];
    Chimtrace__V1__Event *ev = rp_event_get(r, x, 1);
    rp_req *q = ev != NULL ? build(r, i, ev) : NULL;
    rp_event_free(r, ev);
    if (q == NULL) {
        rp_fail(r, CT_ERR_NOMEM, "out of memory building a request");
        return;
    }
    uint64_t key = (uint64_t)(uintptr_t)q->root;
    if (obj_map_put(&r->roots, key, i) != CT_OK) {
        release(r, q);
        free(q);
        rp_fail(r, CT_ERR_NOMEM, "out of memory");
        return;
    }
    obj_map_del(&r->done_roots, key);
    x->req = q;
    x->issued = 1;
    r->issued[r->nissued++] = i;
    r->res->replayed++;
    x->out_seq_lo = shim_next_seq(r->shim);
    down_call(r, x->op, q->root);
    x->out_seq_hi = shim_next_seq(r->shim);
}

void rp_host_free(rp *r)
{
    for (size_t i = 0; i < r->ninst; i++) {
        free(r->inst[i].req);
        r->inst[i].req = NULL;
    }
    for (size_t i = 0; i < r->nown; i++)
        free(r->own_blocks[i]);
    free(r->own_blocks);
    r->own_blocks = NULL;
    r->nown = 0;
    obj_map_fini(&r->roots);
    obj_map_fini(&r->done_roots);
}
