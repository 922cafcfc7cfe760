/* host_tree.c - from "which objects, which operation" to a block-list tree in memory.
 *
 * A workload step describes a tree as a set of nodes (object + role). host_req_build then
 * adds placeholders so that every root sits on one layer, checks the §3.8 ordering rules
 * against the objects' states (refusing a tree that would break one), lays the blocks out
 * in pre-order with their trailing state structs where shim_state_next_offset says, in one
 * allocation, fills them, and marks the objects as in flight.
 */
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"
#include "record.h"

/* ---- the node set ----------------------------------------------------------------------- */

void host_tree_init(host_tree *t, host_op op)
{
    memset(t, 0, sizeof *t);
    t->op = op;
}

void host_tree_fini(host_tree *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

host_tnode *host_tree_find(host_tree *t, const host_obj *o)
{
    for (uint32_t i = 0; i < t->n; i++)
        if (t->v[i].obj == o)
            return &t->v[i];
    return NULL;
}

static host_tnode *tree_add(host_tree *t, host_obj *o, host_role role, uint32_t type)
{
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 16;
        host_tnode *v = realloc(t->v, cap * sizeof *v);
        if (!v) {
            t->failed = 1;
            return NULL;
        }
        t->v = v;
        t->cap = cap;
    }
    host_tnode *n = &t->v[t->n++];
    memset(n, 0, sizeof *n);
    n->obj = o;
    n->tree_parent = o->parent;
    n->role = (uint8_t)role;
    n->type = type;
    return n;
}

int host_tree_offload(host_tree *t, host_obj *o)
{
    if (o->state != HOST_OBJ_UPLOADED || host_tree_find(t, o))
        return 0;
    host_obj *chain[3];
    uint32_t n = 0;
    for (host_obj *a = o->parent; a && !host_tree_find(t, a); a = a->parent) {
        int linkable = a->state == HOST_OBJ_OFFLOADED && !a->needs_upload;
        if (a->state != HOST_OBJ_UPLOADED && !linkable)
            return 0;
        chain[n++] = a;
    }
    while (n > 0) {
        host_obj *a = chain[--n];
        host_role role = a->state == HOST_OBJ_UPLOADED ? HOST_ROLE_NEW : HOST_ROLE_LINKER;
        if (!tree_add(t, a, role, host_type_full(a)))
            return 0;
    }
    return tree_add(t, o, HOST_ROLE_NEW, host_type_full(o)) != NULL;
}

host_tnode *host_tree_ref(host_tree *t, host_obj *o, uint32_t type)
{
    host_tnode *n = host_tree_find(t, o);
    return n ? n : tree_add(t, o, HOST_ROLE_REF, type);
}

host_tnode *host_tree_update(host_tree *t, host_obj *o, const void *cached,
                             host_obj *tree_parent)
{
    if (host_tree_find(t, o))
        return NULL;
    host_tnode *n = tree_add(t, o, HOST_ROLE_REF, host_type_cached(o));
    if (!n)
        return NULL;
    size_t sz = o->kind == HOST_KIND_NEIGHBOR ? sizeof n->cached.nb
                : o->kind == HOST_KIND_PATH   ? sizeof n->cached.path
                                              : sizeof n->cached.tcp;
    memcpy(&n->cached, cached, sz);
    n->has_cached = 1;
    if (tree_parent)
        n->tree_parent = tree_parent;
    return n;
}

void host_tree_terminate_subtree(host *h, host_lane *l, host_tree *t, host_obj *o)
{
    if (o->state == HOST_OBJ_UPLOADED || !host_tree_ref(t, o, host_type_delegated(o)))
        return;
    for (uint32_t i = 0; i < l->count && o->kind != HOST_KIND_TCP; i++) {
        host_obj *d = host_lane_obj(h, l, i);
        if (d->parent == o)
            host_tree_terminate_subtree(h, l, t, d);
    }
}

host_tree *host_batch_tree(host_batch *b, host_op op)
{
    if (b->n == HOST_STEP_TREES)
        return NULL;
    host_tree *t = &b->t[b->n++];
    host_tree_init(t, op);
    return t;
}

/* ---- checks against §3.8 ---------------------------------------------------------------- */

static int layer_of_type(uint32_t type)
{
    if (type >= NeighborOffloadConstState && type <= NeighborOffloadState)
        return HOST_KIND_NEIGHBOR;
    if (type >= Ip4OffloadConstState && type <= Ip6OffloadState)
        return HOST_KIND_PATH;
    if (type >= TcpOffloadConstState && type <= TcpOffloadState && type != TcpOffloadResourceState)
        return HOST_KIND_TCP;
    return -1;
}

/* Each tree node with its parent node index and its count of REF/NEW dependents. */
typedef struct tree_shape {
    uint32_t *parent;
    uint32_t *ndeps;
    uint32_t *first_child, *next_sibling;
    uint32_t *order;        /* pre-order position -> node */
    uint32_t *pos;          /* node -> pre-order position */
} tree_shape;

static const char *check_initiate(const host_tree *t, const tree_shape *sh, uint32_t i)
{
    const host_tnode *n = &t->v[i];
    const host_obj *o = n->obj;
    switch (n->role) {
    case HOST_ROLE_NEW:
        if (o->state != HOST_OBJ_UPLOADED)
            return "second initiate of an object offloaded or in flight";
        if (o->kind != HOST_KIND_NEIGHBOR) {
            if (sh->parent[i] == HOST_NO_PARENT || t->v[sh->parent[i]].obj != o->parent)
                return "new offload without its parent block";
            if (t->v[sh->parent[i]].role == HOST_ROLE_PLACEHOLDER)
                return "new offload under a placeholder";
        }
        return NULL;
    case HOST_ROLE_LINKER:
        if (o->state != HOST_OBJ_OFFLOADED)
            return "linker for an object not offloaded (in flight, invalidated or uploaded)";
        if (sh->ndeps[i] == 0)
            return "linker without dependents";
        return NULL;
    case HOST_ROLE_PLACEHOLDER: return NULL;
    default: return "role not allowed in an initiate tree";
    }
}

static const char *check_ref(const host_tree *t, const tree_shape *sh, uint32_t i)
{
    const host_tnode *n = &t->v[i];
    const host_obj *o = n->obj;
    int live = o->state == HOST_OBJ_OFFLOADED || o->state == HOST_OBJ_INVALIDATED;
    if (n->role == HOST_ROLE_PLACEHOLDER)
        return NULL;
    if (n->role != HOST_ROLE_REF)
        return "new/linker block outside an initiate";
    if (t->op != HOST_OP_INVALIDATE && layer_of_type(n->type) != (int)o->kind)
        return "Header.Type of another layer";
    switch (t->op) {
    case HOST_OP_QUERY:
        return live ? NULL : "query of an object not offloaded";
    case HOST_OP_UPDATE:
        if (o->state != HOST_OBJ_OFFLOADED)
            return "update of an object not offloaded, or invalidated";
        if (o->updates)
            return "second update in flight";
        if (!n->has_cached || n->type != host_type_cached(o))
            return "update without cached state";
        if (n->tree_parent != o->parent &&
            (o->kind != HOST_KIND_PATH || sh->parent[i] == HOST_NO_PARENT ||
             t->v[sh->parent[i]].role != HOST_ROLE_REF))
            return "relink of something other than a path under a neighbor it updates";
        return NULL;
    case HOST_OP_INVALIDATE:
        return o->state == HOST_OBJ_OFFLOADED ? NULL : "invalidate of an object not offloaded";
    case HOST_OP_TERMINATE:
        if (!live)
            return "terminate of an object not offloaded or in flight";
        if (o->queries || o->updates || o->invalidates)
            return "terminate while a query/update/invalidate is in flight";
        if (n->type != host_type_delegated(o))
            return "terminate without delegated state";
        if (o->live_deps != sh->ndeps[i])
            return "terminate of a neighbor/path with live dependents left out";
        return NULL;
    default: return "unknown operation";
    }
}

/* Add placeholders so every root is on the top layer, and compute parents. */
static const char *shape_tree(host *h, host_tree *t, tree_shape *sh)
{
    int top = HOST_KIND_TCP;
    for (uint32_t i = 0; i < t->n; i++)
        if ((int)t->v[i].obj->kind < top)
            top = (int)t->v[i].obj->kind;
    for (uint32_t i = 0; i < t->n; i++) {
        host_tnode *n = &t->v[i];
        if ((int)n->obj->kind > top && !host_tree_find(t, n->tree_parent)) {
            host_obj *p = n->tree_parent;
            if (!tree_add(t, p, HOST_ROLE_PLACEHOLDER, host_type_full(p)))
                return "out of memory";
        }
    }
    size_t cnt = t->n;
    uint32_t *mem = malloc(6 * cnt * sizeof *mem);
    if (!mem)
        return "out of memory";
    sh->parent = mem, sh->ndeps = mem + cnt, sh->first_child = mem + 2 * cnt;
    sh->next_sibling = mem + 3 * cnt, sh->order = mem + 4 * cnt, sh->pos = mem + 5 * cnt;
    for (uint32_t i = 0; i < t->n; i++) {
        if (h->slot[t->v[i].obj->id] >= 0)
            return "object twice in one tree";
        h->slot[t->v[i].obj->id] = (int32_t)i;
        sh->ndeps[i] = 0;
        sh->first_child[i] = sh->next_sibling[i] = HOST_NO_PARENT;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        host_tnode *nd = &t->v[i];
        sh->parent[i] = HOST_NO_PARENT;
        if ((int)nd->obj->kind == top)
            continue;
        uint32_t p = (uint32_t)h->slot[nd->tree_parent->id];
        if (t->v[p].obj->kind + 1 != nd->obj->kind)
            return "parent block not on the layer below";
        sh->parent[i] = p;
        if (nd->role != HOST_ROLE_PLACEHOLDER)
            sh->ndeps[p]++;
    }
    return NULL;
}

/* Pre-order: roots in node order, then each node's dependents in node order. */
static void order_tree(const host_tree *t, tree_shape *sh)
{
    uint32_t roots = HOST_NO_PARENT;
    for (uint32_t i = t->n; i-- > 0;) {
        uint32_t *head = sh->parent[i] == HOST_NO_PARENT ? &roots : &sh->first_child[sh->parent[i]];
        sh->next_sibling[i] = *head;
        *head = i;
    }
    uint32_t k = 0, stack[8], depth = 0; /* one entry per layer, plus one */
    stack[depth++] = roots;
    while (depth) {
        uint32_t i = stack[depth - 1];
        if (i == HOST_NO_PARENT) {
            depth--;
            continue;
        }
        sh->pos[i] = k;
        sh->order[k++] = i;
        stack[depth - 1] = sh->next_sibling[i];
        stack[depth++] = sh->first_child[i];
    }
}

/* ---- layout and fill -------------------------------------------------------------------- */

static uint32_t node_state_mask(host_op op, const host_tnode *n)
{
    if (n->role == HOST_ROLE_NEW)
        return shim_state_mask(n->type);
    if (n->role != HOST_ROLE_REF || op == HOST_OP_INVALIDATE)
        return 0;
    return shim_state_mask(n->type);
}

/* Block size with trailing state; offsets of the structs into off[]. */
static uint32_t block_layout(uint32_t mask, uint32_t off[3])
{
    uint32_t at = sizeof(NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST), k = 0;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (!(mask & bit))
            continue;
        at = shim_state_next_offset(at, bit);
        off[k++] = at;
        at += shim_state_size(bit);
    }
    return at;
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* What a query or terminate hands down to be filled: Length set, body HOST_STATE_FILL,
 * NBL pointers NULL (nothing else may be in a pointer the target might follow). */
static void prefill_state(uint32_t bit, void *dst)
{
    uint32_t sz = shim_state_size(bit);
    memset(dst, HOST_STATE_FILL, sz);
    ((OFFLOAD_STATE_HEADER *)dst)->Length = sz;
    ((OFFLOAD_STATE_HEADER *)dst)->RecognizedOptions = 0;
    if (bit == SHIM_ST_TCP_DELEGATED) {
        TCP_OFFLOAD_STATE_DELEGATED *d = dst;
        d->SendDataHead = d->SendDataTail = NULL;
        d->BufferedData = NULL;
    }
    if (bit == SHIM_ST_PATH_CONST) {
        PATH_OFFLOAD_STATE_CONST *c = dst;
        c->SourceAddress = c->DestinationAddress = NULL;
    }
}

void host_state_prefill(uint32_t bit, void *dst)
{
    prefill_state(bit, dst);
}

static void fill_state(host_op op, const host_tnode *n, uint32_t bit, void *dst)
{
    if (op == HOST_OP_QUERY || op == HOST_OP_TERMINATE)
        prefill_state(bit, dst);
    else if (op == HOST_OP_UPDATE && n->has_cached)
        memcpy(dst, &n->cached, shim_state_size(bit));
    else
        host_obj_state_copy(n->obj, bit, dst);
}

static void fill_block(host_req *r, const host_tree *t, const tree_shape *sh, uint32_t k)
{
    host_blk *bk = &r->blks[k];
    const host_tnode *n = &t->v[sh->order[k]];
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b = bk->b;
    uint32_t ni = sh->order[k];
    memset(b, 0, sizeof *b);
    b->Header.Type = (UCHAR)n->type;
    b->Header.Revision = NDIS_OFFLOAD_BLOCK_LIST_REVISION_1;
    b->Header.Size = sizeof *b;
    if (sh->next_sibling[ni] != HOST_NO_PARENT)
        b->NextBlock = r->blks[sh->pos[sh->next_sibling[ni]]].b;
    if (sh->first_child[ni] != HOST_NO_PARENT)
        b->DependentBlockList = r->blks[sh->pos[sh->first_child[ni]]].b;
    b->Status = HOST_STATUS_SENTINEL;
    b->OffloadHandle = n->role == HOST_ROLE_PLACEHOLDER ? NULL : &n->obj->handle;
    b->ProtocolReserved[0] = r;
    b->ProtocolReserved[1] = (PVOID)(HOST_PR_TAG | k);
    for (uint32_t s = 0, bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1)
        if (bk->state_mask & bit)
            fill_state(t->op, n, bit, (UCHAR *)b + bk->state_off[s++]);
    bk->obj = n->obj;
    bk->parent = sh->parent[ni] == HOST_NO_PARENT ? HOST_NO_PARENT : sh->pos[sh->parent[ni]];
    bk->ndeps = sh->ndeps[ni];
    bk->role = n->role;
    bk->relink = t->op == HOST_OP_UPDATE && n->role == HOST_ROLE_REF &&
                 n->tree_parent != n->obj->parent;
    bk->hdr = b->Header;
    bk->next = b->NextBlock;
    bk->dep = b->DependentBlockList;
    bk->handle = b->OffloadHandle;
    bk->ctx_before = bk->handle ? bk->handle->MiniportOffloadContext : NULL;
    bk->protocol_reserved[0] = b->ProtocolReserved[0];
    bk->protocol_reserved[1] = b->ProtocolReserved[1];
}

static host_req *alloc_request(const host_tree *t, const tree_shape *sh)
{
    uint32_t off[3];
    size_t tree = 0;
    for (uint32_t k = 0; k < t->n; k++)
        tree = align_up(tree, 8) + block_layout(node_state_mask(t->op, &t->v[sh->order[k]]), off);
    size_t head = align_up(sizeof(host_req) + t->n * sizeof(host_blk), 16);
    host_req *r = calloc(1, head + tree);
    if (!r)
        return NULL;
    r->blks = (host_blk *)(r + 1);
    r->nblocks = t->n;
    r->tree_bytes = tree;
    UCHAR *at = (UCHAR *)r + head;
    for (uint32_t k = 0; k < t->n; k++) {
        host_blk *bk = &r->blks[k];
        at = (UCHAR *)align_up((uintptr_t)at, 8);
        bk->state_mask = node_state_mask(t->op, &t->v[sh->order[k]]);
        bk->b = (PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST)at;
        at += block_layout(bk->state_mask, bk->state_off);
    }
    r->root = r->blks[0].b;
    r->op = t->op;
    return r;
}

/* The objects are now in flight (§3.8 bookkeeping). */
static void mark_objects(host_req *r)
{
    for (uint32_t k = 0; k < r->nblocks; k++) {
        host_blk *bk = &r->blks[k];
        host_obj *o = bk->obj;
        if (bk->role == HOST_ROLE_NEW) {
            o->state = HOST_OBJ_OFFLOADING;
            if (o->parent)
                o->parent->live_deps++;
        }
        if (bk->role != HOST_ROLE_REF)
            continue;
        switch (r->op) {
        case HOST_OP_QUERY: o->queries++; break;
        case HOST_OP_UPDATE: o->updates++; break;
        case HOST_OP_INVALIDATE: o->state = HOST_OBJ_INVALIDATED, o->invalidates++; break;
        case HOST_OP_TERMINATE: o->state = HOST_OBJ_TERMINATING; break;
        default: break;
        }
    }
}

static const char *check_tree(host_tree *t, tree_shape *sh, uint32_t lane)
{
    for (uint32_t i = 0; i < t->n; i++) {
        if (t->v[i].obj->lane != lane)
            return "object of another lane";
        const char *why =
            t->op == HOST_OP_INITIATE ? check_initiate(t, sh, i) : check_ref(t, sh, i);
        if (why)
            return why;
    }
    return NULL;
}

ct_err host_req_build(host *h, host_lane *l, host_tree *t, host_req **out)
{
    tree_shape sh;
    memset(&sh, 0, sizeof sh);
    *out = NULL;
    const char *why = t->failed ? "out of memory" : t->n == 0 ? "empty tree" : NULL;
    if (!why)
        why = shape_tree(h, t, &sh);
    if (!why)
        why = check_tree(t, &sh, l->index);
    host_req *r = NULL;
    if (!why) {
        order_tree(t, &sh);
        r = alloc_request(t, &sh);
        why = r ? NULL : "out of memory";
    }
    if (r) {
        for (uint32_t k = 0; k < t->n; k++)
            fill_block(r, t, &sh, k);
        r->lane = l;
        mark_objects(r);
    }
    for (uint32_t i = 0; i < t->n; i++)
        h->slot[t->v[i].obj->id] = -1;
    free(sh.parent);
    if (why) {
        h->last_refusal = why;
        h->st.refused++;
        return strcmp(why, "out of memory") == 0 ? CT_ERR_NOMEM : CT_ERR_STATE;
    }
    *out = r;
    return CT_OK;
}
