/* im_harness.c - the test host protocol driver, the scripted offload target and their
 * wiring through the NDIS model (see im_harness.h). Test code: plain libc, no Criterion,
 * so both ndm_test and imdriver_test can share it.
 */
#include "im_harness.h"

#include <string.h>

/* ---- trees ------------------------------------------------------------------------------- */

PNDIS_OFFLOAD_HANDLE h_handle_new(h_tree *t)
{
    if (t->nhandles >= H_MAX_BLOCKS)
        return NULL;
    PNDIS_OFFLOAD_HANDLE oh = &t->handles[t->nhandles++];
    memset(oh, 0, sizeof *oh);
    return oh;
}

static void *tag(int block, int field)
{
    return (void *)(uintptr_t)(0x5A000000u + (unsigned)block * 0x100u + (unsigned)field);
}

PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST h_block_new(h_tree *t, uint8_t type,
                                              PNDIS_OFFLOAD_HANDLE handle)
{
    if (t->nblocks >= H_MAX_BLOCKS)
        return NULL;
    int i = t->nblocks++;
    h_block *hb = &t->blocks[i];
    memset(hb, 0, sizeof *hb);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b = &hb->b;
    b->Header.Type = type;
    b->Header.Revision = NDIS_OFFLOAD_BLOCK_LIST_REVISION_1;
    b->Header.Size = (USHORT)sizeof *b;
    b->Status = H_STATUS_UNSET;
    b->OffloadHandle = handle;
    b->ProtocolReserved[0] = tag(i, 1);
    b->ProtocolReserved[1] = tag(i, 2);
    b->MiniportReserved[0] = tag(i, 3);
    b->MiniportReserved[1] = tag(i, 4);
    b->ImReserved[0] = tag(i, 5);
    b->ImReserved[1] = tag(i, 6);
    b->Scratch[0] = tag(i, 7);
    b->Scratch[1] = tag(i, 8);
    b->SourceHandle = tag(i, 9);
    b->PortNumber = 0x100u + (unsigned)i;
    b->NetBufferListChain = (PNET_BUFFER_LIST)tag(i, 10); /* opaque: never dereferenced */
    return b;
}

void h_add_dependent(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST parent,
                     PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST child)
{
    if (parent->DependentBlockList == NULL)
        parent->DependentBlockList = child;
    else
        h_add_sibling(parent->DependentBlockList, child);
}

void h_add_sibling(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST next)
{
    while (b->NextBlock != NULL)
        b = b->NextBlock;
    b->NextBlock = next;
}

static void snap_walk(h_snapshot *s, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b)
{
    for (; b != NULL && s->n < H_MAX_BLOCKS; b = b->NextBlock) {
        s->ptr[s->n] = b;
        s->copy[s->n] = *b;
        s->n++;
        snap_walk(s, b->DependentBlockList);
    }
}

void h_snapshot_take(h_snapshot *s, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    s->n = 0;
    snap_walk(s, root);
}

PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST h_example_tree(h_tree *t, PNDIS_OFFLOAD_HANDLE const h[H_NOBJ],
                                                 unsigned mask, uint8_t ntype, uint8_t ptype,
                                                 uint8_t ttype)
{
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b[H_NOBJ] = {0};
    const uint8_t type[H_NOBJ] = {ntype, ptype, ttype, ttype, ptype, ttype};
    for (int i = 0; i < H_NOBJ; i++) {
        if (mask & (1u << i))
            b[i] = h_block_new(t, type[i], h[i]);
    }
    if (b[H_P1] == NULL && (b[H_T1] || b[H_T2]))
        b[H_P1] = h_block_new(t, ptype, NULL);
    if (b[H_P2] == NULL && b[H_T3])
        b[H_P2] = h_block_new(t, ptype, NULL);
    if (b[H_N1] == NULL && (b[H_P1] || b[H_P2]))
        b[H_N1] = h_block_new(t, ntype, NULL);
    if (b[H_T1]) h_add_dependent(b[H_P1], b[H_T1]);
    if (b[H_T2]) h_add_dependent(b[H_P1], b[H_T2]);
    if (b[H_T3]) h_add_dependent(b[H_P2], b[H_T3]);
    if (b[H_P1]) h_add_dependent(b[H_N1], b[H_P1]);
    if (b[H_P2]) h_add_dependent(b[H_N1], b[H_P2]);
    return b[H_N1];
}

/* ---- the host ------------------------------------------------------------------------- */

static void host_completed(NDIS_HANDLE ctx, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    h_host *host = ctx;
    host->completions[op]++;
    host->total++;
    host->last_op = op;
    host->last_root = root;
    host->last_binding_context = ctx;
    host->last_sync = host->in_call;
}

#define HOST_HANDLER(name, op)                                                               \
    static VOID name(NDIS_HANDLE ctx, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)                 \
    {                                                                                         \
        host_completed(ctx, op, root);                                                        \
    }
HOST_HANDLER(host_initiate_complete, SHIM_OP_INITIATE)
HOST_HANDLER(host_terminate_complete, SHIM_OP_TERMINATE)
HOST_HANDLER(host_update_complete, SHIM_OP_UPDATE)
HOST_HANDLER(host_query_complete, SHIM_OP_QUERY)
HOST_HANDLER(host_invalidate_complete, SHIM_OP_INVALIDATE)

void harness_host_characteristics(NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c)
{
    memset(c, 0, sizeof *c);
    c->Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    c->Header.Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    c->Header.Size = (USHORT)sizeof *c;
    c->InitiateOffloadCompleteHandler = host_initiate_complete;
    c->TerminateOffloadCompleteHandler = host_terminate_complete;
    c->UpdateOffloadCompleteHandler = host_update_complete;
    c->QueryOffloadCompleteHandler = host_query_complete;
    c->InvalidateOffloadCompleteHandler = host_invalidate_complete;
}

/* ---- the target --------------------------------------------------------------------- */

static void seen_walk(h_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b)
{
    for (; b != NULL && t->nseen < H_MAX_BLOCKS; b = b->NextBlock) {
        h_seen_block *s = &t->seen[t->nseen++];
        s->block = b;
        s->ndis_offload_handle = b->NdisOffloadHandle;
        s->moc_slot = b->MiniportOffloadContext;
        s->moc_value = b->MiniportOffloadContext ? *b->MiniportOffloadContext : NULL;
        s->source_handle = b->SourceHandle;
        s->im_reserved[0] = b->ImReserved[0];
        s->im_reserved[1] = b->ImReserved[1];
        seen_walk(t, b->DependentBlockList);
    }
}

/* Apply the script to every block in pre-order: its status and, for an offloaded new
 * object of an initiate, a context area of the target's own. */
static void apply_script(h_target *t, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, int *i)
{
    for (; b != NULL; b = b->NextBlock) {
        NDIS_STATUS st = *i < t->script_n ? t->script[*i] : NDIS_STATUS_SUCCESS;
        if (t->scribble) {
            if (*i != 0) {
                b->ImReserved[0] = (PVOID)(uintptr_t)0xBAD0;
                b->SourceHandle = (PVOID)(uintptr_t)0xBAD2;
            }
            b->ImReserved[1] = (PVOID)(uintptr_t)0xBAD1;
        }
        (*i)++;
        b->Status = st;
        int offloaded = st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
        if (op == SHIM_OP_INITIATE && offloaded && b->MiniportOffloadContext != NULL &&
            *b->MiniportOffloadContext == NULL && t->nobjs < H_MAX_BLOCKS) {
            h_target_obj *o = &t->objs[t->nobjs++];
            o->ndis_offload_handle = b->NdisOffloadHandle;
            o->live = 1;
            *b->MiniportOffloadContext = o;
        }
        apply_script(t, op, b->DependentBlockList, i);
    }
}

static void target_complete(h_target *t, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    int i = 0;
    apply_script(t, op, root, &i);
    switch (t->complete_as ? t->complete_as : op) {
    case SHIM_OP_INITIATE: NdisMInitiateOffloadComplete(t->miniport_handle, root); break;
    case SHIM_OP_TERMINATE: NdisMTerminateOffloadComplete(t->miniport_handle, root); break;
    case SHIM_OP_UPDATE: NdisMUpdateOffloadComplete(t->miniport_handle, root); break;
    case SHIM_OP_QUERY: NdisMQueryOffloadStateComplete(t->miniport_handle, root); break;
    case SHIM_OP_INVALIDATE: NdisMInvalidateOffloadComplete(t->miniport_handle, root); break;
    }
}

static void target_request(NDIS_HANDLE ctx, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    h_target *t = ctx;
    t->requests[op]++;
    t->total++;
    t->last_op = op;
    t->nseen = 0;
    seen_walk(t, root);
    if (t->sync) {
        target_complete(t, op, root);
    } else {
        t->pending = root;
        t->pending_op = op;
    }
}

#define TARGET_HANDLER(name, op)                                                             \
    static VOID name(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)                 \
    {                                                                                         \
        target_request(ctx, op, root);                                                        \
    }
TARGET_HANDLER(target_initiate, SHIM_OP_INITIATE)
TARGET_HANDLER(target_terminate, SHIM_OP_TERMINATE)
TARGET_HANDLER(target_update, SHIM_OP_UPDATE)
TARGET_HANDLER(target_query, SHIM_OP_QUERY)
TARGET_HANDLER(target_invalidate, SHIM_OP_INVALIDATE)

void harness_target_complete(im_harness *h)
{
    h_target *t = &h->target;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root = t->pending;
    t->pending = NULL;
    if (root != NULL)
        target_complete(t, t->pending_op, root);
}

int harness_target_obj_index(const im_harness *h, const void *ctx)
{
    for (int i = 0; i < h->target.nobjs; i++) {
        if (ctx == &h->target.objs[i])
            return i;
    }
    return -1;
}

/* ---- wiring ------------------------------------------------------------------------------ */

static int register_target(im_harness *h)
{
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS p;
    memset(&p, 0, sizeof p);
    p.Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    p.Header.Revision = NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    p.Header.Size = (USHORT)sizeof p;
    p.InitiateOffloadHandler = target_initiate;
    p.TerminateOffloadHandler = target_terminate;
    p.UpdateOffloadHandler = target_update;
    p.QueryOffloadHandler = target_query;
    p.InvalidateOffloadHandler = target_invalidate;
    return NdisSetOptionalHandlers(h->target_drv, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&p) ==
           NDIS_STATUS_SUCCESS;
}

static int wire_im(im_harness *h, shim *tracer)
{
    if (im_create(tracer, &h->im) != NDIS_STATUS_SUCCESS)
        return 0;
    h->im_miniport_drv = ndm_register_miniport_driver(h->m, "im");
    h->im_protocol_drv = ndm_register_protocol_driver(h->m, "im");
    if (h->im_miniport_drv == NULL || h->im_protocol_drv == NULL ||
        im_register_handlers(h->im_miniport_drv, h->im_protocol_drv) != NDIS_STATUS_SUCCESS)
        return 0;
    h->im_ndis_adapter = ndm_add_adapter(h->m, h->im_miniport_drv, h->im);
    h->im_binding = ndm_open_adapter(h->m, h->im_protocol_drv, h->target_adapter, h->im);
    if (h->im_ndis_adapter == NULL || h->im_binding == NULL)
        return 0;
    im_attach(h->im, h->im_ndis_adapter, h->im_binding);
    return 1;
}

int harness_init(im_harness *h, unsigned flags, shim *tracer)
{
    memset(h, 0, sizeof *h);
    h->target.sync = 1;
    if (ndm_new(&h->m) != CT_OK)
        return -1;
    h->host_drv = ndm_register_protocol_driver(h->m, "host");
    h->target_drv = ndm_register_miniport_driver(h->m, "target");
    if (h->host_drv == NULL || h->target_drv == NULL)
        return -1;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS c;
    harness_host_characteristics(&c);
    if (NdisSetOptionalHandlers(h->host_drv, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&c) !=
        NDIS_STATUS_SUCCESS)
        return -1;
    if (!(flags & H_TARGET_NO_HANDLERS) && !register_target(h))
        return -1;
    h->target_adapter = ndm_add_adapter(h->m, h->target_drv, &h->target);
    if (h->target_adapter == NULL)
        return -1;
    h->target.miniport_handle = h->target_adapter;
    ndm_adapter *top = h->target_adapter;
    if (flags & H_WITH_IM) {
        if (!wire_im(h, tracer))
            return -1;
        top = h->im_ndis_adapter;
    }
    h->host_binding = ndm_open_adapter(h->m, h->host_drv, top, &h->host);
    return h->host_binding != NULL ? 0 : -1;
}

void harness_fini(im_harness *h)
{
    im_destroy(h->im);
    ndm_free(h->m);
    memset(h, 0, sizeof *h);
}

void harness_issue_on(im_harness *h, NDIS_HANDLE binding, int op,
                      PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    h->host.in_call = 1;
    switch (op) {
    case SHIM_OP_INITIATE: NdisInitiateOffload(binding, root); break;
    case SHIM_OP_TERMINATE: NdisTerminateOffload(binding, root); break;
    case SHIM_OP_UPDATE: NdisUpdateOffload(binding, root); break;
    case SHIM_OP_QUERY: NdisQueryOffloadState(binding, root); break;
    case SHIM_OP_INVALIDATE: NdisInvalidateOffload(binding, root); break;
    }
    h->host.in_call = 0;
}

void harness_issue(im_harness *h, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    harness_issue_on(h, h->host_binding, op, root);
}
