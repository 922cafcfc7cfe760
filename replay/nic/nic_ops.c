/* nic_ops.c - the NIC's answers to terminate, query, update and invalidate trees
 * (reference §3.6-3.7). Each walks the whole tree, answers every block SUCCESS or FAILURE
 * (§3.2: no partial or resource codes here) and reads or writes the state structs that
 * follow a block that references an object. Terminate returns the objects' current,
 * evolved delegated state; the objects are freed only after the completion call (§3.6).
 */
#include <string.h>

#include "nic_int.h"
#include "record.h"

typedef void (*block_fn)(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                         uint64_t now, void *ctx, nic_obj **obj);

/* Pre-order over every block; `fn` answers the block and says which object it references
 * (the parent of its dependents). */
static void walk(nic *n, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                 uint64_t now, uint32_t *budget, block_fn fn, void *ctx)
{
    for (; b != NULL; b = b->NextBlock) {
        if (*budget == 0) {
            n->st.malformed++;
            return;
        }
        (*budget)--;
        nic_obj *obj = NULL;
        fn(n, b, parent, now, ctx, &obj);
        walk(n, op, b->DependentBlockList, obj, now, budget, fn, ctx);
    }
}

static void walk_tree(nic *n, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now,
                      block_fn fn, void *ctx)
{
    uint32_t budget = nic_block_budget(n);
    walk(n, op, root, NULL, now, &budget, fn, ctx);
}

/* A block references an object iff *MiniportOffloadContext != NULL (§3.1). */
static int references(PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b)
{
    return b->MiniportOffloadContext != NULL && *b->MiniportOffloadContext != NULL;
}

/* Copy a state struct's body (after its header) and set Length. */
static void put_state(void *dst, const void *src, uint32_t size)
{
    OFFLOAD_STATE_HEADER *h = dst;
    memcpy((uint8_t *)dst + sizeof *h, (const uint8_t *)src + sizeof *h, size - sizeof *h);
    h->Length = size;
}

static const uint32_t deleg_bit[NIC_KIND_COUNT] = {
    SHIM_ST_NEIGHBOR_DELEGATED, SHIM_ST_PATH_DELEGATED, SHIM_ST_TCP_DELEGATED};
static const uint32_t cached_bit[NIC_KIND_COUNT] = {
    SHIM_ST_NEIGHBOR_CACHED, SHIM_ST_PATH_CACHED, SHIM_ST_TCP_CACHED};
static const uint32_t const_bit[NIC_KIND_COUNT] = {
    SHIM_ST_NEIGHBOR_CONST, SHIM_ST_PATH_CONST, SHIM_ST_TCP_CONST};

/* The block's state view, checked against the object: same kind, acceptable Lengths. */
static int view_for(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, const nic_obj *o,
                    nic_state_view *v)
{
    nic_state_view_of(b, v);
    if (v->mask == 0)
        return 1;
    int ok = v->kind == (int)o->kind && (o->kind != NIC_PATH || v->ipv6 == o->ipv6);
    ok = ok && (!v->cnst || nic_state_len_ok(v->cnst, const_bit[o->kind]));
    ok = ok && (!v->cached || nic_state_len_ok(v->cached, cached_bit[o->kind]));
    ok = ok && (!v->deleg || nic_state_len_ok(v->deleg, deleg_bit[o->kind]));
    if (!ok)
        n->st.malformed++;
    return ok;
}

/* ---- current state ----------------------------------------------------------------------- */

void nic_neighbor_delegated(const nic *n, const nic_obj *o, uint64_t now,
                            NEIGHBOR_OFFLOAD_STATE_DELEGATED *out)
{
    uint64_t el = now > o->u.nb.reach_base_ns ? now - o->u.nb.reach_base_ns : 0;
    uint64_t ticks = el / (1000000000u / n->cfg.ticks_per_second);
    out->Header.Length = sizeof *out;
    out->NicReachabilityDelta = (ULONG)(o->u.nb.reach_base + ticks); /* modulo 2^32 */
}

void nic_tcp_delegated(const nic *n, const nic_obj *o, uint64_t now,
                       TCP_OFFLOAD_STATE_DELEGATED *out)
{
    uint64_t el = now > o->u.tcp.start_ns ? now - o->u.tcp.start_ns : 0;
    *out = o->u.tcp.d;
    out->TsTime = o->u.tcp.ts_base + (ULONG)(el / (1000000000u / n->cfg.ticks_per_second));
    out->SendDataHead = out->SendDataTail = NULL;
    out->BufferedData = NULL;
}

/* Fill the struct(s) the block asks for with the object's current values. */
static void fill_current(nic *n, const nic_obj *o, const nic_state_view *v, uint64_t now,
                         int with_backlog)
{
    switch (o->kind) {
    case NIC_NEIGHBOR: {
        NEIGHBOR_OFFLOAD_STATE_DELEGATED d;
        nic_neighbor_delegated(n, o, now, &d);
        if (v->cnst) put_state(v->cnst, &o->u.nb.c, sizeof o->u.nb.c);
        if (v->cached) put_state(v->cached, &o->u.nb.ca, sizeof o->u.nb.ca);
        if (v->deleg) put_state(v->deleg, &d, sizeof d);
        break;
    }
    case NIC_PATH: {
        PATH_OFFLOAD_STATE_DELEGATED d = {{sizeof d, 0}};
        if (v->cnst) put_state(v->cnst, &o->u.path.c, sizeof o->u.path.c);
        if (v->cached) put_state(v->cached, &o->u.path.ca, sizeof o->u.path.ca);
        if (v->deleg) put_state(v->deleg, &d, sizeof d);
        break;
    }
    default: {
        TCP_OFFLOAD_STATE_DELEGATED d;
        nic_tcp_delegated(n, o, now, &d);
        if (with_backlog) {
            /* Only a query returns these (§2.7): what the sender needs queued to fill the
             * window, and data received but not yet indicated (the model holds none). */
            d.SendBacklogSize = d.SndWnd;
            d.ReceiveBacklogSize = 0;
        }
        if (v->cnst) put_state(v->cnst, &o->u.tcp.c, sizeof o->u.tcp.c);
        if (v->cached) put_state(v->cached, &o->u.tcp.ca, sizeof o->u.tcp.ca);
        if (v->deleg) put_state(v->deleg, &d, sizeof d);
        break;
    }
    }
}

/* ---- query ------------------------------------------------------------------------------- */

static void query_block(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                        uint64_t now, void *ctx, nic_obj **obj)
{
    (void)parent;
    (void)ctx;
    n->st.blocks[NIC_OP_QUERY]++;
    b->Status = NDIS_STATUS_SUCCESS;
    if (!references(b))
        return;
    nic_obj *o = nic_lookup(n, b);
    nic_state_view v;
    if (o == NULL || !view_for(n, b, o, &v)) {
        b->Status = NDIS_STATUS_FAILURE;
        return;
    }
    fill_current(n, o, &v, now, 1);
    *obj = o;
}

void nic_do_query(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now)
{
    walk_tree(n, NIC_OP_QUERY, root, now, query_block, NULL);
}

/* ---- invalidate -------------------------------------------------------------------------- */

static void invalidate_block(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                             uint64_t now, void *ctx, nic_obj **obj)
{
    (void)parent;
    (void)now;
    (void)ctx;
    n->st.blocks[NIC_OP_INVALIDATE]++;
    b->Status = NDIS_STATUS_SUCCESS;
    if (!references(b))
        return;
    nic_obj *o = nic_lookup(n, b);
    if (o == NULL) {
        b->Status = NDIS_STATUS_FAILURE;
        return;
    }
    /* No state follows (§3.7). TCP objects on it stop sending (nic_tcp_can_send). */
    if (!o->invalid)
        n->st.invalidated++;
    o->invalid = 1;
    *obj = o;
}

void nic_do_invalidate(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now)
{
    walk_tree(n, NIC_OP_INVALIDATE, root, now, invalidate_block, NULL);
}

/* ---- update ------------------------------------------------------------------------------ */

static int update_tcp(nic *n, nic_obj *o, const TCP_OFFLOAD_STATE_CACHED *ca, uint64_t now)
{
    TCP_OFFLOAD_STATE_CACHED *old = &o->u.tcp.ca;
    TCP_OFFLOAD_STATE_DELEGATED *d = &o->u.tcp.d;
    if (ca->InitialRcvWnd > n->cfg.max_rcv_wnd)
        return 0;
    if ((ca->Flags & TCP_FLAG_UPDATE_RCV_WND) && ca->InitialRcvWnd != d->RcvWnd)
        d->RcvWnd = ca->InitialRcvWnd; /* advertise the new window from the next frame */
    if (ca->Flags & TCP_FLAG_MAX_RT_RESTART) {
        /* §3.7: the two doc pages disagree; do both (probe count, timeout, TotalRT). */
        if (ca->KaProbeCount != old->KaProbeCount)
            d->KeepAlive.ProbeCount = 0;
        if (ca->KaTimeout != old->KaTimeout || ca->KaInterval != old->KaInterval)
            d->KeepAlive.TimeoutDelta = ca->KaTimeout;
        d->TotalRT = 0;
    }
    put_state(old, ca, sizeof *old);
    nic_traffic_update(n, o, now);
    return 1;
}

static void update_block(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                         uint64_t now, void *ctx, nic_obj **obj)
{
    (void)ctx;
    n->st.blocks[NIC_OP_UPDATE]++;
    b->Status = NDIS_STATUS_SUCCESS;
    if (!references(b))
        return;
    nic_obj *o = nic_lookup(n, b);
    nic_state_view v;
    int ok = o != NULL && !o->invalid && o->state == NIC_OBJ_LIVE && view_for(n, b, o, &v);
    /* An update carries cached state only (§2.6, §3.7). */
    if (ok && v.mask != 0 && v.cached == NULL) {
        n->st.malformed++;
        ok = 0;
    }
    if (ok && v.cached != NULL) {
        if (o->kind == NIC_NEIGHBOR)
            put_state(&o->u.nb.ca, v.cached, sizeof o->u.nb.ca);
        else if (o->kind == NIC_PATH)
            put_state(&o->u.path.ca, v.cached, sizeof o->u.path.ca);
        else
            ok = update_tcp(n, o, v.cached, now);
    }
    if (!ok) {
        b->Status = NDIS_STATUS_FAILURE;
        return;
    }
    /* Relink a path under the neighbor its parent block names (§3.7). */
    if (o->kind == NIC_PATH && parent != NULL && parent->kind == NIC_NEIGHBOR &&
        o->parent != parent) {
        nic_obj_unlink(o);
        nic_obj_link(o, parent);
        n->st.relinked++;
    }
    *obj = o;
}

void nic_do_update(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now)
{
    walk_tree(n, NIC_OP_UPDATE, root, now, update_block, NULL);
}

/* ---- terminate --------------------------------------------------------------------------- */

typedef struct term_ctx {
    uint64_t mark;
    nic_obj *marked;          /* every object the tree names, chained by term_next */
} term_ctx;

/* Pass 1: collect the objects; a bad reference fails at once. */
static void term_mark(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                      uint64_t now, void *ctx, nic_obj **obj)
{
    term_ctx *tc = ctx;
    (void)parent;
    (void)now;
    n->st.blocks[NIC_OP_TERMINATE]++;
    b->Status = NDIS_STATUS_SUCCESS;
    if (!references(b))
        return;
    nic_obj *o = nic_lookup(n, b);
    nic_state_view v;
    if (o == NULL || o->state != NIC_OBJ_LIVE || !view_for(n, b, o, &v)) {
        b->Status = NDIS_STATUS_FAILURE;
        return;
    }
    if (o->term_mark != tc->mark) {
        o->term_mark = tc->mark;
        o->children_going = 0;
        o->term_ok = 0;
        o->term_next = tc->marked;
        tc->marked = o;
    }
    *obj = o;
}

/* Decide bottom-up (TCP, then paths, then neighbors) which objects may go: a neighbor or
 * path only with every dependent going in the same operation (§3.6). */
static void term_decide(nic *n, term_ctx *tc)
{
    for (int kind = NIC_TCP; kind >= NIC_NEIGHBOR; kind--) {
        for (nic_obj *o = tc->marked; o != NULL; o = o->term_next) {
            if (o->kind != kind)
                continue;
            o->term_ok = o->nchildren == o->children_going;
            if (!o->term_ok)
                n->st.terminate_with_dependents++;
            else if (o->parent != NULL && o->parent->term_mark == tc->mark)
                o->parent->children_going++;
        }
    }
}

/* Pass 2: statuses and the evolved delegated state the host supplied room for. */
static void term_answer(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                        uint64_t now, void *ctx, nic_obj **obj)
{
    term_ctx *tc = ctx;
    (void)parent;
    if (!references(b) || b->Status != NDIS_STATUS_SUCCESS)
        return;
    nic_obj *o = nic_lookup(n, b);
    if (o == NULL || o->term_mark != tc->mark || !o->term_ok) {
        b->Status = NDIS_STATUS_FAILURE;
        return;
    }
    nic_state_view v;
    nic_state_view_of(b, &v);
    /* Only delegated variables are returned on terminate (§3.6). */
    v.cnst = v.cached = NULL;
    fill_current(n, o, &v, now, 0);
    if (o->kind == NIC_TCP)
        b->NetBufferListChain = NULL; /* no send data handed back */
    *obj = o;
}

nic_obj *nic_do_terminate(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now)
{
    term_ctx tc = {.mark = ++n->op_seq, .marked = NULL};
    walk_tree(n, NIC_OP_TERMINATE, root, now, term_mark, &tc);
    term_decide(n, &tc);
    walk_tree(n, NIC_OP_TERMINATE, root, now, term_answer, &tc);
    /* The objects that go stop now (no more traffic) and are freed after completion. */
    nic_obj *release = NULL;
    nic_obj *next;
    for (nic_obj *o = tc.marked; o != NULL; o = next) {
        next = o->term_next;
        if (!o->term_ok)
            continue;
        o->state = NIC_OBJ_TERMINATING;
        nic_obj_unlink(o);
        o->term_next = release;
        release = o;
    }
    return release;
}
