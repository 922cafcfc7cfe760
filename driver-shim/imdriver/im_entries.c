/* im_entries.c - the IM's call entries (one per operation in flight), offload entries (one
 * per object offloaded through it), and the per-block save/convert/restore that lets one
 * tree serve both edges (reference §3.5). Saving is per block: the IM rewrites every
 * block's handle slot and NDIS re-derives every block's context slot, and ImReserved and
 * SourceHandle are kept for every block too, so a lower layer's scribbles are undone.
 * The restore also commits the faults of a buggy IM when asked to (im.h).
 */
#include "im_internal.h"

static volatile uint64_t live_offload_entries;
static volatile uint64_t live_call_entries;

uint64_t im_live_offload_entries(void)
{
    return plat_load_acquire_u64(&live_offload_entries);
}

uint64_t im_live_call_entries(void)
{
    return plat_load_acquire_u64(&live_call_entries);
}

/* ---- bounded pre-order walk: node, its dependents, then its next sibling ------------- */

void im_walk_init(im_walk *w, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    w->depth = root != NULL;
    w->stack[0] = root;
    w->seen = 0;
    w->cut = 0;
}

PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST im_walk_next(im_walk *w)
{
    if (w->depth == 0)
        return NULL;
    if (PLAT_UNLIKELY(w->seen >= IM_MAX_BLOCKS)) {
        w->cut = 1;
        w->depth = 0;
        return NULL;
    }
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b = w->stack[--w->depth];
    w->seen++;
    if (b->NextBlock != NULL)
        w->stack[w->depth++] = b->NextBlock;
    if (b->DependentBlockList != NULL) {
        if (PLAT_LIKELY(w->depth < IM_WALK_DEPTH))
            w->stack[w->depth++] = b->DependentBlockList;
        else
            w->cut = 1;
    }
    return b;
}

NDIS_STATUS im_fail_status(uint8_t op)
{
    return op == SHIM_OP_INITIATE ? NDIS_STATUS_RESOURCES : NDIS_STATUS_FAILURE;
}

/* ---- offload entries ------------------------------------------------------------------ */

static im_offload_entry *obj_new(im_adapter *a, NDIS_HANDLE upper_handle)
{
    im_offload_entry *e = plat_alloc(sizeof *e, PLAT_TAG_IM_OBJ);
    if (e == NULL)
        return NULL;
    e->magic = IM_OBJ_MAGIC;
    e->state = IM_OBJ_PENDING;
    e->upper_handle = upper_handle;
    e->adapter = a;
    plat_atomic_fetch_add_u64(&live_offload_entries, 1);
    return e;
}

static void obj_free(im_offload_entry *e)
{
    e->magic = IM_DEAD_MAGIC;
    plat_free(e, PLAT_TAG_IM_OBJ);
    plat_atomic_fetch_add_u64(&live_offload_entries, (uint64_t)-1);
}

static void obj_publish(im_adapter *a, im_offload_entry *e)
{
    plat_spin_acquire(&a->lock);
    e->state = IM_OBJ_OFFLOADED;
    e->prev = NULL;
    e->next = a->objects;
    if (a->objects != NULL)
        a->objects->prev = e;
    a->objects = e;
    plat_spin_release(&a->lock);
}

/* Take an offloaded entry off the adapter's list; 0 if it was not on it (already dying
 * because the tree names it twice, or never offloaded: a host contract violation). */
static int obj_unpublish(im_adapter *a, im_offload_entry *e)
{
    int ok = 0;
    plat_spin_acquire(&a->lock);
    if (e->state == IM_OBJ_OFFLOADED) {
        if (e->prev != NULL)
            e->prev->next = e->next;
        else
            a->objects = e->next;
        if (e->next != NULL)
            e->next->prev = e->prev;
        e->state = IM_OBJ_DYING;
        ok = 1;
    }
    plat_spin_release(&a->lock);
    return ok;
}

/* Free every offload entry still on the adapter's list (im_destroy). */
void im_objects_free_all(im_adapter *a)
{
    im_offload_entry *e = a->objects;
    a->objects = NULL;
    while (e != NULL) {
        im_offload_entry *next = e->next;
        obj_free(e);
        e = next;
    }
}

/* ---- call entries --------------------------------------------------------------------- */

static void call_free(im_call_entry *call)
{
    call->magic = IM_DEAD_MAGIC;
    plat_free(call, PLAT_TAG_IM_CALL);
    plat_atomic_fetch_add_u64(&live_call_entries, (uint64_t)-1);
}

/* Undo a half-built call entry: the new offload entries it allocated, then itself. */
static void call_abandon(im_call_entry *call, uint32_t filled)
{
    for (uint32_t i = 0; i < filled; i++) {
        if (call->blocks[i].role == IM_ROLE_NEW)
            obj_free(call->blocks[i].entry);
    }
    call_free(call);
}

/* Record one block and decide its role. Returns NDIS_STATUS_SUCCESS, or the status the
 * whole request must fail with. */
static NDIS_STATUS save_block(im_call_entry *call, im_block_save *s,
                              PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b)
{
    s->block = b;
    s->header = b->Header;
    s->next = b->NextBlock;
    s->dependent = b->DependentBlockList;
    s->moc_slot = b->MiniportOffloadContext;
    s->upper_handle = b->NdisOffloadHandle;
    s->im_reserved[0] = b->ImReserved[0];
    s->im_reserved[1] = b->ImReserved[1];
    s->source_handle = b->SourceHandle;
    s->entry = NULL;
    s->role = IM_ROLE_PLACEHOLDER;
    if (s->moc_slot == NULL)
        return NDIS_STATUS_SUCCESS;
    im_offload_entry *e = *s->moc_slot;
    if (e == NULL) {
        /* A new object on initiate. On the other operations such a block refers to no
         * offloaded state (§3.1) and goes down as a placeholder. */
        if (call->op != SHIM_OP_INITIATE)
            return NDIS_STATUS_SUCCESS;
        s->entry = obj_new(call->adapter, s->upper_handle);
        if (s->entry == NULL)
            return NDIS_STATUS_RESOURCES;
        s->role = IM_ROLE_NEW;
        return NDIS_STATUS_SUCCESS;
    }
    /* Refers to an offloaded object: the context is the IM's entry, which the IM wrote
     * there when the object's initiate completed. */
    if (e->magic != IM_OBJ_MAGIC || e->adapter != call->adapter) {
        IM_COUNT(call->adapter, bad_offload_context);
        return NDIS_STATUS_FAILURE;
    }
    s->entry = e;
    s->role = IM_ROLE_REFERENCE;
    return NDIS_STATUS_SUCCESS;
}

im_call_entry *im_call_prepare(im_adapter *a, uint8_t op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root,
                               NDIS_STATUS *status)
{
    im_walk w;
    uint32_t n = 0;
    im_walk_init(&w, root);
    while (im_walk_next(&w) != NULL)
        n++;
    if (n == 0 || w.cut) {
        IM_COUNT(a, malformed_tree);
        *status = NDIS_STATUS_FAILURE;
        return NULL;
    }
    im_call_entry *call = plat_alloc(offsetof(im_call_entry, blocks) + n * sizeof(im_block_save),
                                     PLAT_TAG_IM_CALL);
    if (call == NULL) {
        *status = im_fail_status(op);
        return NULL;
    }
    plat_atomic_fetch_add_u64(&live_call_entries, 1);
    call->magic = IM_CALL_MAGIC;
    call->op = op;
    call->refs = 2;
    call->adapter = a;
    call->nblocks = n;
    call->faults = 0;
    uint32_t i = 0;
    im_walk_init(&w, root);
    for (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; i < n && (b = im_walk_next(&w)) != NULL; i++) {
        NDIS_STATUS st = save_block(call, &call->blocks[i], b);
        if (st != NDIS_STATUS_SUCCESS) {
            call_abandon(call, i);
            *status = st == NDIS_STATUS_RESOURCES ? im_fail_status(op) : st;
            return NULL;
        }
    }
    /* Picked only now: a request failed above is not "the first" of its kind. */
    if (PLAT_UNLIKELY(plat_load_relaxed_u32(&a->faults) != 0))
        call->faults = im_fault_pick(a, op);
    *status = NDIS_STATUS_SUCCESS;
    return call;
}

void im_call_convert_down(im_call_entry *call)
{
    im_adapter *a = call->adapter;
    for (uint32_t i = 0; i < call->nblocks; i++) {
        im_block_save *s = &call->blocks[i];
        /* The NdisOffloadHandle slot is the POBL's OffloadHandle: the IM's own handle, or
         * NULL for a placeholder. NDIS derives the MiniportOffloadContext slot from it. */
        s->block->NdisOffloadHandle = s->entry != NULL ? &s->entry->handle : NULL;
    }
    call->blocks[0].block->ImReserved[0] = call;
    plat_spin_acquire(&a->lock);
    call->prev = NULL;
    call->next = a->calls;
    if (a->calls != NULL)
        a->calls->prev = call;
    a->calls = call;
    plat_spin_release(&a->lock);
}

im_call_entry *im_call_claim(im_adapter *a, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    void *tag = root != NULL ? root->ImReserved[0] : NULL;
    im_call_entry *c;
    plat_spin_acquire(&a->lock);
    for (c = a->calls; c != NULL && c != tag; c = c->next)
        ;
    if (c != NULL) {
        if (c->prev != NULL)
            c->prev->next = c->next;
        else
            a->calls = c->next;
        if (c->next != NULL)
            c->next->prev = c->prev;
    }
    plat_spin_release(&a->lock);
    if (c == NULL || c->magic != IM_CALL_MAGIC) {
        IM_COUNT(a, bad_call_entry);
        return NULL;
    }
    if (c->blocks[0].block != root)
        IM_COUNT(a, wrong_completion);
    return c;
}

void im_call_release(im_call_entry *call)
{
    if (plat_atomic_fetch_add_u32(&call->refs, (uint32_t)-1) == 1)
        call_free(call);
}

/* ---- the way back up ------------------------------------------------------------------ */

static int status_offloaded(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
}

/* Put back, in one block, every field the IM overwrote or NDIS re-derived on the IM's
 * down-call. Status is the lower driver's answer and passes through. The tree links and
 * Header are the upper driver's and nobody below may change them (§3.4): if someone did,
 * count it and put them back too. `faults`: the fields a buggy IM forgets (im.h). */
static IM_ALWAYS_INLINE void restore_block(im_adapter *a, const im_block_save *s,
                                           uint32_t faults)
{
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b = s->block;
    if (b->NextBlock != s->next || b->DependentBlockList != s->dependent ||
        b->Header.Type != s->header.Type || b->Header.Revision != s->header.Revision ||
        b->Header.Size != s->header.Size) {
        IM_COUNT(a, tree_changed);
        b->Header = s->header;
        b->NextBlock = s->next;
        b->DependentBlockList = s->dependent;
    }
    b->MiniportOffloadContext = s->moc_slot;
    if (!(faults & IM_FAULT_PASS_OWN_HANDLE))
        b->NdisOffloadHandle = s->upper_handle;
    if (!(faults & IM_FAULT_FORGET_IM_RESERVED)) {
        b->ImReserved[0] = s->im_reserved[0];
        b->ImReserved[1] = s->im_reserved[1];
    }
    if (!(faults & IM_FAULT_FORGET_SOURCE_HANDLE))
        b->SourceHandle = s->source_handle;
}

/* WRONG_STATUS: the status mapping of a buggy IM, after the entries were settled. */
static uint32_t map_status_wrongly(const im_call_entry *call)
{
    uint32_t done = 0;
    for (uint32_t i = 0; i < call->nblocks; i++) {
        PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b = call->blocks[i].block;
        if (b->Status != NDIS_STATUS_SUCCESS) {
            b->Status = NDIS_STATUS_SUCCESS;
            done = IM_FAULT_WRONG_STATUS;
        }
    }
    return done;
}

/* One body for the correct and the faulty IM: called with a constant 0 it keeps none of
 * the fault tests. */
static IM_ALWAYS_INLINE void restore_up(im_call_entry *call, uint32_t faults)
{
    im_adapter *a = call->adapter;
    im_offload_entry *doomed = NULL;
    uint32_t done = faults & (IM_FAULT_FORGET_IM_RESERVED | IM_FAULT_FORGET_SOURCE_HANDLE);
    for (uint32_t i = 0; i < call->nblocks; i++) {
        const im_block_save *s = &call->blocks[i];
        restore_block(a, s, faults);
        if ((faults & IM_FAULT_PASS_OWN_HANDLE) && s->entry != NULL)
            done |= IM_FAULT_PASS_OWN_HANDLE;
        if (call->op == SHIM_OP_INITIATE && s->role == IM_ROLE_NEW) {
            /* Offloaded (PARTIAL_SUCCESS included): the upper handle now refers to the
             * IM's entry, never to the lower driver's context (§3.5 step 6). */
            if (status_offloaded(s->block->Status)) {
                *s->moc_slot = s->entry;
                obj_publish(a, s->entry);
            } else if (faults & IM_FAULT_CONTEXT_ON_FAILURE) {
                *s->moc_slot = s->entry;
                obj_publish(a, s->entry);
                done |= IM_FAULT_CONTEXT_ON_FAILURE;
            } else {
                obj_free(s->entry);
            }
        } else if (call->op == SHIM_OP_TERMINATE && s->role == IM_ROLE_REFERENCE) {
            /* Freed whatever the status: a failed terminate is the catastrophic loss of
             * the object (§3.2) and the lower driver frees its side anyway. Freed after
             * the loop, so a tree naming one object twice frees it once. */
            if (faults & IM_FAULT_LEAK_OFFLOAD_ENTRY) {
                done |= IM_FAULT_LEAK_OFFLOAD_ENTRY; /* left on the list, as if offloaded */
            } else if (obj_unpublish(a, s->entry)) {
                s->entry->doomed = doomed;
                doomed = s->entry;
            }
        }
    }
    while (doomed != NULL) {
        im_offload_entry *next = doomed->doomed;
        obj_free(doomed);
        doomed = next;
    }
    if ((faults & IM_FAULT_WRONG_STATUS) && call->op == SHIM_OP_INITIATE)
        done |= map_status_wrongly(call);
    if (done != 0)
        im_fault_note(a, done);
}

void im_call_restore_up(im_call_entry *call)
{
    uint32_t faults = call->faults;
    if (PLAT_LIKELY(faults == 0))
        restore_up(call, 0);
    else
        restore_up(call, faults);
}
