/* host_target.c - the host tests' offload target (see host_target.h).
 *
 * Deliberately independent of replay/nic: it keeps its objects in a plain list, answers a
 * tree when it completes it (synchronously inside the W_ handler, or from a scheduler
 * callback), and checks the host's side of the contract on the way. The deliberate faults
 * exist so that tests can prove the host notices them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <chimney/ndis_chimney_functions.h>

#include "host_target.h"
#include "record.h"

typedef struct ht_obj {
    struct ht_obj *next;       /* all live objects */
    struct ht_obj *parent;
    int kind;
    int invalid;
    int dying;                 /* terminate: named by the tree being answered */
    uint32_t ndeps;            /* live dependents */
    UCHAR st[3][128];          /* const, cached, delegated as last given */
} ht_obj;

struct host_target {
    ndm *m;
    sched *s;
    host_target_config cfg;
    ndm_miniport_driver *drv;
    ndm_adapter *adapter;
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS chars;
    ht_obj *objs;
    uint64_t rng;
    uint64_t new_offloads;
    uint64_t nrequests;
    host_target_stats st;
    pthread_mutex_t lock;      /* objects and counters; never held across NdisM...Complete */
};

typedef struct ht_pending {
    host_target *t;
    int op;
    uint64_t n;                /* request number, from 1 */
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root;
} ht_pending;

void host_target_config_init(host_target_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->lane = 1;
    cfg->latency_ns = 2000;
    cfg->jitter_ns = 3000;
    cfg->seed = 7;
    cfg->fail_status = NDIS_STATUS_RESOURCES;
}

static uint64_t next_rand(host_target *t)
{
    uint64_t z = (t->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- objects and state ----------------------------------------------------------------- */

static int layer_of(uint32_t type)
{
    uint32_t m = shim_state_mask(type);
    if (m & (SHIM_ST_NEIGHBOR_CONST | SHIM_ST_NEIGHBOR_CACHED | SHIM_ST_NEIGHBOR_DELEGATED))
        return 0;
    if (m & (SHIM_ST_PATH_CONST | SHIM_ST_PATH_CACHED | SHIM_ST_PATH_DELEGATED))
        return 1;
    return m ? 2 : -1;
}

static int live(const host_target *t, const ht_obj *o)
{
    for (const ht_obj *p = t->objs; p; p = p->next)
        if (p == o)
            return 1;
    return 0;
}

/* The block's referenced object, or NULL (counted) when the context is no live object. */
static ht_obj *ref_of(host_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b)
{
    ht_obj *o = *b->MiniportOffloadContext;
    if (!live(t, o)) {
        t->st.bad_context++;
        return NULL;
    }
    return o;
}

/* Each trailing struct of the block (by its Type), where shim_state_next_offset puts it:
 * fn(slot 0..2, pointer, size). Returns 0 (and counts) when a Length is wrong. */
typedef void (*state_fn)(ht_obj *o, int slot, UCHAR *p, uint32_t size, int op);

static int each_state(host_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, ht_obj *o,
                      state_fn fn, int op)
{
    uint32_t mask = shim_state_mask(b->Header.Type), off = sizeof *b;
    int ok = 1;
    for (uint32_t bit = 1, i = 0; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1, i++) {
        if (!(mask & bit))
            continue;
        off = shim_state_next_offset(off, bit);
        UCHAR *p = (UCHAR *)b + off;
        uint32_t size = shim_state_size(bit);
        if (((OFFLOAD_STATE_HEADER *)p)->Length != size) {
            t->st.bad_layout++;
            ok = 0;
        } else if (fn && o) {
            fn(o, (int)(i % 3), p, size, op);
        }
        off += size;
    }
    return ok;
}

static void keep_state(ht_obj *o, int slot, UCHAR *p, uint32_t size, int op)
{
    (void)op;
    memcpy(o->st[slot], p, size);
}

static void give_state(ht_obj *o, int slot, UCHAR *p, uint32_t size, int op)
{
    if (op == 2 && slot != 2)
        return; /* terminate returns delegated state only */
    memcpy(p, o->st[slot], size);
}

/* ---- initiate ---------------------------------------------------------------------------- */

static NDIS_STATUS new_offload(host_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b,
                               ht_obj *parent, ht_obj **out)
{
    static const NDIS_STATUS entries[3] = {NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES,
                                           NDIS_STATUS_OFFLOAD_PATH_ENTRIES,
                                           NDIS_STATUS_OFFLOAD_TCP_ENTRIES};
    int k = layer_of(b->Header.Type);
    if (k < 0 || (k > 0 && (!parent || parent->kind != k - 1))) {
        t->st.bad_tree++;
        return NDIS_STATUS_FAILURE;
    }
    if (!each_state(t, b, NULL, NULL, 0))
        return NDIS_STATUS_FAILURE;
    if (t->cfg.cap[k] && t->st.live[k] >= t->cfg.cap[k]) {
        t->st.entries_refused++;
        return entries[k];
    }
    if (t->cfg.fail_every && ++t->new_offloads % t->cfg.fail_every == 0)
        return t->cfg.fail_status;
    ht_obj *o = calloc(1, sizeof *o);
    if (!o)
        return NDIS_STATUS_RESOURCES;
    o->kind = k;
    o->parent = parent;
    each_state(t, b, o, keep_state, 0);
    o->next = t->objs;
    t->objs = o;
    if (parent)
        parent->ndeps++;
    t->st.live[k]++;
    t->st.offloaded[k]++;
    *b->MiniportOffloadContext = o;
    *out = o;
    return NDIS_STATUS_SUCCESS;
}

static int initiate_list(host_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, ht_obj *parent,
                         int attempt, uint32_t *nok);

/* One block and its dependents (depth first, §3.1). Returns 1 if the block is offloaded.
 * Statuses per §3.2: a block is SUCCESS only with every dependent offloaded, else
 * PARTIAL_SUCCESS; a linker whose dependents all failed is FAILURE; dependents of a failed
 * block are FAILURE without being attempted. */
static int initiate_block(host_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, ht_obj *parent,
                          int attempt)
{
    uint32_t nok = 0;
    ht_obj *o = NULL;
    if (!b->MiniportOffloadContext) { /* placeholder */
        b->Status = NDIS_STATUS_SUCCESS;
        initiate_list(t, b->DependentBlockList, NULL, attempt, &nok);
        return 0;
    }
    int linker = *b->MiniportOffloadContext != NULL;
    NDIS_STATUS st;
    if (linker) {
        o = ref_of(t, b);
        st = o ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
    } else {
        st = attempt ? new_offload(t, b, parent, &o) : NDIS_STATUS_FAILURE;
    }
    uint32_t ndeps =
        (uint32_t)initiate_list(t, b->DependentBlockList, o, st == NDIS_STATUS_SUCCESS, &nok);
    if (st == NDIS_STATUS_SUCCESS && nok < ndeps)
        st = linker && nok == 0 ? NDIS_STATUS_FAILURE : NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
    b->Status = st;
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
}

static int initiate_list(host_target *t, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, ht_obj *parent,
                         int attempt, uint32_t *nok)
{
    int n = 0;
    for (; b; b = b->NextBlock, n++)
        *nok += (uint32_t)initiate_block(t, b, parent, attempt);
    return n;
}

/* ---- the other four -------------------------------------------------------------------- */

static void ref_list(host_target *t, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, ht_obj *parent)
{
    for (; b; b = b->NextBlock) {
        ht_obj *o = NULL;
        b->Status = NDIS_STATUS_SUCCESS;
        if (b->MiniportOffloadContext && *b->MiniportOffloadContext) {
            o = ref_of(t, b);
            int ok = o && (op == 5 || each_state(t, b, NULL, NULL, 0));
            if (ok && op == 4)
                each_state(t, b, o, give_state, op);
            if (ok && op == 3) {
                each_state(t, b, o, keep_state, op);
                if (o->kind == 1 && parent && parent->kind == 0 && o->parent != parent) {
                    o->parent->ndeps--, parent->ndeps++, o->parent = parent;
                    t->st.relinked++;
                }
            }
            if (ok && op == 5)
                o->invalid = 1;
            if (ok && op == 2) {
                each_state(t, b, o, give_state, op);
                o->dying = 1;
            }
            b->Status = ok ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
        }
        ref_list(t, op, b->DependentBlockList, o);
    }
}

/* Free every object the terminate named; a dying neighbor/path must have no live dependent
 * that stays. */
static void reap(host_target *t)
{
    for (ht_obj *o = t->objs; o; o = o->next)
        if (o->dying && o->parent)
            o->parent->ndeps--;
    for (ht_obj **pp = &t->objs; *pp;) {
        ht_obj *o = *pp;
        if (!o->dying) {
            pp = &o->next;
            continue;
        }
        if (o->ndeps) {
            t->st.live_dependents++;
            for (ht_obj *d = t->objs; d; d = d->next)
                if (d->parent == o)
                    d->parent = NULL; /* orphaned: the host broke §3.6 */
        }
        *pp = o->next;
        t->st.live[o->kind]--;
        free(o);
    }
}

/* ---- NDIS edges ------------------------------------------------------------------------ */

static void complete(host_target *t, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    NDIS_HANDLE a = (NDIS_HANDLE)t->adapter;
    switch (op) {
    case 1: NdisMInitiateOffloadComplete(a, root); break;
    case 2: NdisMTerminateOffloadComplete(a, root); break;
    case 3: NdisMUpdateOffloadComplete(a, root); break;
    case 4: NdisMQueryOffloadStateComplete(a, root); break;
    default: NdisMInvalidateOffloadComplete(a, root); break;
    }
}

static void answer(host_target *t, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    uint32_t nok = 0;
    if (op == 1) {
        initiate_list(t, root, NULL, 1, &nok);
        return;
    }
    ref_list(t, op, root, NULL);
    if (op == 2)
        reap(t);
}

static void finish(void *arg)
{
    ht_pending *p = arg;
    host_target *t = p->t;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root = p->root;
    ht_misbehave mis = p->n == t->cfg.misbehave_at ? t->cfg.misbehave : HT_OK;
    pthread_mutex_lock(&t->lock);
    NDIS_STATUS before = root->Status;
    answer(t, p->op, root);
    if (mis == HT_LEAVE_STATUS)
        root->Status = before;
    if (mis == HT_CLOBBER_HANDLE)
        root->NdisOffloadHandle = (NDIS_HANDLE)(uintptr_t)0x1000;
    if (mis == HT_CLOBBER_HEADER)
        root->Header.Size = (USHORT)(root->Header.Size + 8);
    if (mis == HT_CLOBBER_IMRESERVED)
        root->ImReserved[1] = (PVOID)(uintptr_t)0x2000;
    if (mis == HT_CLOBBER_LINKS)
        root->NextBlock = root->DependentBlockList;
    if (mis == HT_CLOBBER_SOURCE && root->DependentBlockList)
        root->DependentBlockList->SourceHandle = root->SourceHandle;
    if (mis == HT_NBL_CHAIN)
        root->NetBufferListChain = (PNET_BUFFER_LIST)(uintptr_t)0x3000;
    if (mis == HT_PARTIAL_STATUS)
        root->Status = NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
    pthread_mutex_unlock(&t->lock);
    int via = mis == HT_WRONG_KIND ? (p->op == 4 ? 2 : 4) : p->op;
    int op = p->op;
    free(p);
    if (mis == HT_FOREIGN_ROOT) { /* routed like the real one: same SourceHandle */
        NDIS_MINIPORT_OFFLOAD_BLOCK_LIST stray;
        memset(&stray, 0, sizeof stray);
        stray.SourceHandle = root->SourceHandle;
        complete(t, op, &stray);
    }
    complete(t, via, root);
    if (mis == HT_COMPLETE_TWICE)
        complete(t, op, root);
}

static void submit(host_target *t, int op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    ht_pending *p = malloc(sizeof *p);
    if (!p)
        abort();
    pthread_mutex_lock(&t->lock);
    t->st.requests[op]++;
    p->n = ++t->nrequests;
    uint64_t delay = t->cfg.latency_ns + (t->cfg.jitter_ns ? next_rand(t) % t->cfg.jitter_ns : 0);
    pthread_mutex_unlock(&t->lock);
    p->t = t;
    p->op = op;
    p->root = root;
    if (t->cfg.sync || sched_post(t->s, t->cfg.lane, delay, finish, p) != CT_OK)
        finish(p);
}

static VOID ht_initiate(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    submit(ctx, 1, l);
}
static VOID ht_terminate(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    submit(ctx, 2, l);
}
static VOID ht_update(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    submit(ctx, 3, l);
}
static VOID ht_query(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    submit(ctx, 4, l);
}
static VOID ht_invalidate(NDIS_HANDLE ctx, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST l)
{
    submit(ctx, 5, l);
}

ct_err host_target_new(ndm *m, sched *s, const host_target_config *cfg, host_target **out)
{
    host_target *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return CT_ERR_NOMEM;
    t->m = m;
    t->s = s;
    if (cfg)
        t->cfg = *cfg;
    else
        host_target_config_init(&t->cfg);
    t->rng = t->cfg.seed;
    pthread_mutex_init(&t->lock, NULL);
    t->drv = ndm_register_miniport_driver(m, "host_target");
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS *c = &t->chars;
    c->Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    c->Header.Revision = NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    c->Header.Size = sizeof *c;
    c->InitiateOffloadHandler = ht_initiate;
    c->TerminateOffloadHandler = ht_terminate;
    c->UpdateOffloadHandler = ht_update;
    c->QueryOffloadHandler = ht_query;
    c->InvalidateOffloadHandler = ht_invalidate;
    NDIS_STATUS st = t->drv ? NdisSetOptionalHandlers((NDIS_HANDLE)t->drv,
                                                      (PNDIS_DRIVER_OPTIONAL_HANDLERS)c)
                            : NDIS_STATUS_FAILURE;
    if (st != NDIS_STATUS_SUCCESS ||
        !(t->adapter = ndm_add_adapter(m, t->drv, t))) {
        host_target_free(t);
        return CT_ERR_STATE;
    }
    *out = t;
    return CT_OK;
}

void host_target_free(host_target *t)
{
    if (!t)
        return;
    while (t->objs) {
        ht_obj *o = t->objs;
        t->objs = o->next;
        free(o);
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
}

ndm_adapter *host_target_adapter(const host_target *t)
{
    return t->adapter;
}

void host_target_get_stats(const host_target *t, host_target_stats *st)
{
    pthread_mutex_lock(&((host_target *)t)->lock);
    *st = t->st;
    pthread_mutex_unlock(&((host_target *)t)->lock);
}
