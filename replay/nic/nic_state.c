/* nic_state.c - the NIC's offloaded objects and the initiate walk. Objects live in one
 * fixed pool per kind (neighbor, path, TCP) sized by the configured capacities, so a full
 * pool is exactly NDIS_STATUS_OFFLOAD_*_ENTRIES and a context pointer from a block can be
 * checked against the pools before it is used. The walk follows reference §3.1-3.2:
 * depth-first / breadth-next, placeholder / linker / new offload, PARTIAL_SUCCESS.
 */
#include <stdlib.h>
#include <string.h>

#include "nic_int.h"
#include "record.h"

ct_err nic_pools_init(nic *n)
{
    uint32_t caps[NIC_KIND_COUNT] = {n->cfg.max_neighbors, n->cfg.max_paths, n->cfg.max_tcp};
    for (int k = 0; k < NIC_KIND_COUNT; k++) {
        nic_pool *p = &n->pool[k];
        p->cap = caps[k];
        p->slots = calloc(caps[k] ? caps[k] : 1, sizeof *p->slots);
        p->free_idx = calloc(caps[k] ? caps[k] : 1, sizeof *p->free_idx);
        if (p->slots == NULL || p->free_idx == NULL)
            return CT_ERR_NOMEM;
        /* Pop order gives slot 0 first: the same run always uses the same slots. */
        for (uint32_t i = 0; i < caps[k]; i++) {
            p->free_idx[i] = caps[k] - 1 - i;
            p->slots[i].kind = (uint8_t)k;
            p->slots[i].index = i;
        }
        p->nfree = caps[k];
    }
    n->vlans = calloc(n->cfg.max_vlans ? n->cfg.max_vlans : 1, sizeof *n->vlans);
    return n->vlans != NULL ? CT_OK : CT_ERR_NOMEM;
}

void nic_pools_fini(nic *n)
{
    for (int k = 0; k < NIC_KIND_COUNT; k++) {
        free(n->pool[k].slots);
        free(n->pool[k].free_idx);
    }
    free(n->vlans);
}

static nic_obj *obj_alloc(nic *n, int kind)
{
    nic_pool *p = &n->pool[kind];
    if (p->nfree == 0)
        return NULL;
    nic_obj *o = &p->slots[p->free_idx[--p->nfree]];
    uint32_t gen = o->gen + 1, index = o->index;
    memset(o, 0, sizeof *o);
    o->kind = (uint8_t)kind;
    o->index = index;
    o->gen = gen;
    o->state = NIC_OBJ_LIVE;
    p->used++;
    n->st.live[kind]++;
    n->st.offloaded[kind]++;
    return o;
}

/* VLAN table: distinct non-zero VlanIds with a reference count per neighbor. */
static int vlan_ref(nic *n, uint16_t id)
{
    nic_vlan *free_slot = NULL;
    for (uint32_t i = 0; i < n->cfg.max_vlans; i++) {
        if (n->vlans[i].refs > 0 && n->vlans[i].id == id) {
            n->vlans[i].refs++;
            return 1;
        }
        if (n->vlans[i].refs == 0 && free_slot == NULL)
            free_slot = &n->vlans[i];
    }
    if (free_slot == NULL)
        return 0;
    free_slot->id = id;
    free_slot->refs = 1;
    return 1;
}

static void vlan_unref(nic *n, uint16_t id)
{
    for (uint32_t i = 0; i < n->cfg.max_vlans; i++) {
        if (n->vlans[i].refs > 0 && n->vlans[i].id == id) {
            n->vlans[i].refs--;
            return;
        }
    }
}

void nic_obj_link(nic_obj *o, nic_obj *parent)
{
    o->parent = parent;
    if (parent != NULL)
        parent->nchildren++;
}

void nic_obj_unlink(nic_obj *o)
{
    if (o->parent != NULL)
        o->parent->nchildren--;
    o->parent = NULL;
}

void nic_obj_release(nic *n, nic_obj *o)
{
    nic_pool *p = &n->pool[o->kind];
    if (o->kind == NIC_NEIGHBOR && o->u.nb.c.VlanId != 0)
        vlan_unref(n, (uint16_t)o->u.nb.c.VlanId);
    o->state = NIC_OBJ_FREE;
    o->gen++;
    p->free_idx[p->nfree++] = o->index;
    p->used--;
    n->st.live[o->kind]--;
    n->st.terminated[o->kind]++;
}

nic_obj *nic_lookup(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b)
{
    uintptr_t v = (uintptr_t)*b->MiniportOffloadContext;
    for (int k = 0; k < NIC_KIND_COUNT; k++) {
        const nic_pool *p = &n->pool[k];
        uintptr_t lo = (uintptr_t)p->slots, hi = lo + (uintptr_t)p->cap * sizeof(nic_obj);
        if (v < lo || v >= hi || (v - lo) % sizeof(nic_obj) != 0)
            continue;
        nic_obj *o = (nic_obj *)v;
        if (o->state != NIC_OBJ_FREE)
            return o;
        break;
    }
    n->st.bad_context++;
    return NULL;
}

/* ---- trailing state ---------------------------------------------------------------------- */

void nic_state_view_of(PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_state_view *v)
{
    uint32_t type = b->Header.Type;
    memset(v, 0, sizeof *v);
    v->mask = shim_state_mask(type);
    v->kind = -1;
    if (v->mask & (SHIM_ST_NEIGHBOR_CONST | SHIM_ST_NEIGHBOR_CACHED | SHIM_ST_NEIGHBOR_DELEGATED))
        v->kind = NIC_NEIGHBOR;
    else if (v->mask & (SHIM_ST_PATH_CONST | SHIM_ST_PATH_CACHED | SHIM_ST_PATH_DELEGATED))
        v->kind = NIC_PATH;
    else if (v->mask != 0)
        v->kind = NIC_TCP;
    v->ipv6 = type >= Ip6OffloadConstState && type <= Ip6OffloadState;
    uint8_t *base = (uint8_t *)b;
    uint32_t off = (uint32_t)sizeof *b;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (!(v->mask & bit))
            continue;
        off = shim_state_next_offset(off, bit);
        void *p = base + off;
        off += shim_state_size(bit);
        if (bit & (SHIM_ST_NEIGHBOR_CONST | SHIM_ST_PATH_CONST | SHIM_ST_TCP_CONST))
            v->cnst = p;
        else if (bit & (SHIM_ST_NEIGHBOR_CACHED | SHIM_ST_PATH_CACHED | SHIM_ST_TCP_CACHED))
            v->cached = p;
        else
            v->deleg = p;
    }
}

int nic_state_len_ok(const void *state, uint32_t bit)
{
    uint32_t len = ((const OFFLOAD_STATE_HEADER *)state)->Length;
    return len == 0 || len == shim_state_size(bit);
}

static int full_state_lengths_ok(const nic_state_view *v)
{
    static const uint32_t bits[NIC_KIND_COUNT][3] = {
        {SHIM_ST_NEIGHBOR_CONST, SHIM_ST_NEIGHBOR_CACHED, SHIM_ST_NEIGHBOR_DELEGATED},
        {SHIM_ST_PATH_CONST, SHIM_ST_PATH_CACHED, SHIM_ST_PATH_DELEGATED},
        {SHIM_ST_TCP_CONST, SHIM_ST_TCP_CACHED, SHIM_ST_TCP_DELEGATED}};
    const uint32_t *b = bits[v->kind];
    return nic_state_len_ok(v->cnst, b[0]) && nic_state_len_ok(v->cached, b[1]) &&
           nic_state_len_ok(v->deleg, b[2]);
}

/* ---- initiate ---------------------------------------------------------------------------- */

static const NDIS_STATUS entries_status[NIC_KIND_COUNT] = {
    NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES, NDIS_STATUS_OFFLOAD_PATH_ENTRIES,
    NDIS_STATUS_OFFLOAD_TCP_ENTRIES};

static int tcp_state_offloadable(ULONG state)
{
    return state == TcpConnectionEstablished || state == TcpConnectionFinWait1 ||
           state == TcpConnectionFinWait2 || state == TcpConnectionCloseWait ||
           state == TcpConnectionClosing || state == TcpConnectionLastAck;
}

/* Checks that need no resources: state shape, parent, semantic limits. */
static NDIS_STATUS check_new(nic *n, const nic_state_view *v, nic_obj *parent)
{
    if (v->cnst == NULL || v->cached == NULL || v->deleg == NULL || !full_state_lengths_ok(v)) {
        n->st.malformed++;
        return NDIS_STATUS_FAILURE;
    }
    int want_parent = v->kind - 1; /* neighbor: none; path: neighbor; TCP: path */
    if ((parent != NULL && (int)parent->kind != want_parent) ||
        (parent == NULL && v->kind != NIC_NEIGHBOR && !n->cfg.allow_unlinked)) {
        n->st.malformed++;
        return NDIS_STATUS_FAILURE;
    }
    if (v->kind == NIC_PATH) {
        const PATH_OFFLOAD_STATE_CONST *pc = v->cnst;
        if (pc->SourceAddress == NULL || pc->DestinationAddress == NULL) {
            n->st.malformed++;
            return NDIS_STATUS_FAILURE;
        }
    }
    if (v->kind == NIC_TCP) {
        const TCP_OFFLOAD_STATE_CACHED *ca = v->cached;
        const TCP_OFFLOAD_STATE_DELEGATED *d = v->deleg;
        if (ca->InitialRcvWnd > n->cfg.max_rcv_wnd) {
            n->st.rejected++;
            return NDIS_STATUS_OFFLOAD_TCP_RCV_WINDOW;
        }
        if (!tcp_state_offloadable(d->State)) {
            n->st.rejected++;
            return NDIS_STATUS_FAILURE;
        }
    }
    return NDIS_STATUS_SUCCESS;
}

static void fill_new(nic *n, nic_obj *o, const nic_state_view *v, uint64_t now)
{
    switch (o->kind) {
    case NIC_NEIGHBOR:
        memcpy(&o->u.nb.c, v->cnst, sizeof o->u.nb.c);
        memcpy(&o->u.nb.ca, v->cached, sizeof o->u.nb.ca);
        o->u.nb.reach_base = ((const NEIGHBOR_OFFLOAD_STATE_DELEGATED *)v->deleg)
                                 ->NicReachabilityDelta;
        o->u.nb.reach_base_ns = now;
        break;
    case NIC_PATH: {
        const PATH_OFFLOAD_STATE_CONST *pc = v->cnst;
        size_t alen = v->ipv6 ? 16 : 4;
        o->ipv6 = (uint8_t)v->ipv6;
        memcpy(o->u.path.src, pc->SourceAddress, alen);
        memcpy(o->u.path.dst, pc->DestinationAddress, alen);
        o->u.path.c.Header = pc->Header;
        o->u.path.c.SourceAddress = o->u.path.src;
        o->u.path.c.DestinationAddress = o->u.path.dst;
        memcpy(&o->u.path.ca, v->cached, sizeof o->u.path.ca);
        break;
    }
    default:
        memcpy(&o->u.tcp.c, v->cnst, sizeof o->u.tcp.c);
        memcpy(&o->u.tcp.ca, v->cached, sizeof o->u.tcp.ca);
        memcpy(&o->u.tcp.d, v->deleg, sizeof o->u.tcp.d);
        /* Host NBLs are the host's: never kept (we model no send/receive data path). */
        o->u.tcp.d.SendDataHead = o->u.tcp.d.SendDataTail = NULL;
        o->u.tcp.d.BufferedData = NULL;
        break;
    }
    (void)n;
}

/* A new-offload block: allocate and fill an object, or return a failure status. */
static NDIS_STATUS offload_new(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                               uint64_t now, nic_obj **out)
{
    nic_state_view v;
    nic_state_view_of(b, &v);
    *out = NULL;
    if (v.kind < 0) {
        n->st.malformed++;
        return NDIS_STATUS_FAILURE;
    }
    NDIS_STATUS st = check_new(n, &v, parent);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    if (n->pool[v.kind].nfree == 0) {
        n->st.no_capacity[v.kind]++;
        return entries_status[v.kind];
    }
    if (v.kind == NIC_NEIGHBOR) {
        uint16_t vid = (uint16_t)((const NEIGHBOR_OFFLOAD_STATE_CONST *)v.cnst)->VlanId;
        if (vid != 0 && !vlan_ref(n, vid)) {
            n->st.rejected++;
            return NDIS_STATUS_OFFLOAD_VLAN_ENTRIES;
        }
    }
    nic_obj *o = obj_alloc(n, v.kind);
    fill_new(n, o, &v, now);
    nic_obj_link(o, parent);
    o->ndis_handle = b->NdisOffloadHandle;
    *b->MiniportOffloadContext = o;
    if (o->kind == NIC_TCP)
        nic_traffic_start(n, o, now);
    *out = o;
    return NDIS_STATUS_SUCCESS;
}

static int offloaded(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
}

/* Every block of a list (and below) gets FAILURE: its parent failed (§3.2). */
static void fail_list(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, uint32_t *budget)
{
    for (; b != NULL && *budget > 0; b = b->NextBlock, (*budget)--) {
        b->Status = NDIS_STATUS_FAILURE;
        n->st.not_attempted++;
        n->st.blocks[NIC_OP_INITIATE]++;
        fail_list(n, b->DependentBlockList, budget);
    }
}

/* One sibling list, depth-first / breadth-next. Returns how many blocks were offloaded and
 * how many failed, for the parent's status. */
static void initiate_list(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_obj *parent,
                          uint64_t now, uint32_t *budget, uint32_t *ok, uint32_t *failed)
{
    for (; b != NULL; b = b->NextBlock) {
        if (*budget == 0) {
            n->st.malformed++; /* more blocks than can exist: a cycle */
            return;
        }
        (*budget)--;
        n->st.blocks[NIC_OP_INITIATE]++;
        nic_obj *obj = NULL;
        NDIS_STATUS st = NDIS_STATUS_SUCCESS;
        int linker = 0;
        if (b->MiniportOffloadContext == NULL) {
            obj = NULL;                 /* placeholder: a node for dependents */
        } else if (*b->MiniportOffloadContext != NULL) {
            linker = 1;
            obj = nic_lookup(n, b);
            if (obj == NULL || obj->state != NIC_OBJ_LIVE)
                st = NDIS_STATUS_FAILURE; /* nothing (or nothing lasting) to link to */
        } else {
            st = offload_new(n, b, parent, now, &obj);
        }
        if (st != NDIS_STATUS_SUCCESS) {
            b->Status = st;
            fail_list(n, b->DependentBlockList, budget);
            (*failed)++;
            continue;
        }
        uint32_t dep_ok = 0, dep_failed = 0;
        initiate_list(n, b->DependentBlockList, obj, now, budget, &dep_ok, &dep_failed);
        if (b->MiniportOffloadContext == NULL || dep_failed == 0)
            b->Status = NDIS_STATUS_SUCCESS; /* placeholders always succeed */
        else if (linker && dep_ok == 0)
            b->Status = NDIS_STATUS_FAILURE; /* a linker whose dependents all failed */
        else
            b->Status = NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
        if (offloaded(b->Status))
            (*ok)++;
        else
            (*failed)++;
    }
}

uint32_t nic_block_budget(const nic *n)
{
    return 4u * (n->cfg.max_neighbors + n->cfg.max_paths + n->cfg.max_tcp) + 65536u;
}

void nic_do_initiate(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now)
{
    uint32_t budget = nic_block_budget(n), ok = 0, failed = 0;
    initiate_list(n, root, NULL, now, &budget, &ok, &failed);
}
