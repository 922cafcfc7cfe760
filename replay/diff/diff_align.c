/* diff_align.c - streaming alignment of two traces by operation instance (diff.h explains the
 * model): matching instances by key, comparing them edge by edge as both sides deliver, and
 * reporting what has no counterpart. An edge one side skipped is reported once that side shows
 * a later one; anything still held `window` read steps after it arrived is reported and
 * dropped. A held event is the reader's borrowed record until that side reads again, then a
 * packed copy. diff_ops.c keeps the instances' books.
 */
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

#define DIFF_MAX_OPEN (1u << 16)   /* open operation instances per side */
#define KEEP_BYTES 2048u           /* a recycled held entry keeps a buffer this big at most */

static d_side *other(diff_run *run, const d_side *x)
{
    return &run->side[1 - x->which];
}

/* ------------------------------------------------------------------------------------ */
/* Held events                                                                           */

static void held_unlink(d_side *x, d_stored *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        x->held_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        x->held_tail = s->prev;
    s->prev = s->next = NULL;
    x->n_held--;
}

static void stored_release(d_side *x, d_stored *s)
{
    held_unlink(x, s);
    s->op->stored[s->slot] = NULL;
    s->live = NULL;
    if (s->cap > KEEP_BYTES) {
        free(s->packed);
        s->packed = NULL;
        s->cap = 0;
    }
    s->next = x->free_stored;
    x->free_stored = s;
}

static void store(diff_run *run, d_side *x, d_op *u, int slot, const Chimtrace__V1__Event *ev,
                  const diff_event_ref *ref)
{
    d_stored *s = x->free_stored;
    if (s) {
        x->free_stored = s->next;
    } else if (!(s = calloc(1, sizeof *s))) {
        run->err = CT_ERR_NOMEM;
        return;
    }
    s->op = u;
    s->slot = slot;
    s->step = run->step;
    s->ref = *ref;
    s->live = ev;
    s->len = 0;
    s->next = NULL;
    s->prev = x->held_tail;
    if (x->held_tail)
        x->held_tail->next = s;
    else
        x->held_head = s;
    x->held_tail = s;
    x->n_held++;
    u->stored[slot] = s;
}

/* Key u and count it (per operation and per object) once its identities are final. */
static void op_key_count(diff_run *run, d_op *u)
{
    diff_op_key(u);
    diff_acct_op_open(run, u);
}

/* ------------------------------------------------------------------------------------ */
/* Comparing and reporting                                                               */

typedef struct collect {
    size_t n;
    diff_change ch[DIFF_MAX_CHANGES];
    int block[DIFF_MAX_CHANGES];
} collect;

static void collect_cb(void *ctx, int block, const diff_change *ch)
{
    collect *c = ctx;
    if (c->n < DIFF_MAX_CHANGES) {
        c->ch[c->n] = *ch;
        c->block[c->n++] = block;
    }
}

/* The event a held entry stands for; *owned is set when it had to be unpacked. */
static const Chimtrace__V1__Event *held_event(diff_run *run, const d_stored *s,
                                             Chimtrace__V1__Event **owned)
{
    *owned = NULL;
    if (s->live)
        return s->live;
    *owned = chimtrace__v1__event__unpack(NULL, s->len, s->packed);
    if (!*owned)
        run->err = CT_ERR_NOMEM;
    return *owned;
}

/* Compare one side's event with the other's; e[i], r[i] and u[i] are side i's. */
static void compare_pair(diff_run *run, d_op *const u[2], const Chimtrace__V1__Event *const e[2],
                         const diff_event_ref *const r[2], int slot)
{
    diff_cmp c;
    collect col;
    col.n = 0;
    diff_cmp_init(&c, run->opts, collect_cb, &col);
    c.canon[0] = &u[0]->canon;
    c.canon[1] = &u[1]->canon;
    c.slot[0] = c.slot[1] = slot;
    c.common = (u[0]->seen & u[1]->seen) & ((1u << slot) - 1u);
    size_t total = diff_cmp_messages(&c, &e[0]->base, &e[1]->base);
    diff_acct_compared(run, u[0], r[0], u[1], r[1], col.ch, col.block, col.n, total);
}

/* Compare held entry s (of the other side) with event ev of side x's instance u. */
static void compare_with_held(diff_run *run, d_side *x, d_op *u, const Chimtrace__V1__Event *ev,
                              const diff_event_ref *ref, d_stored *s)
{
    Chimtrace__V1__Event *owned;
    const Chimtrace__V1__Event *he = held_event(run, s, &owned);
    int a = x->which;
    d_op *ops[2];
    const Chimtrace__V1__Event *evs[2];
    const diff_event_ref *refs[2];
    if (he) {
        ops[a] = u, evs[a] = ev, refs[a] = ref;
        ops[1 - a] = s->op, evs[1 - a] = he, refs[1 - a] = &s->ref;
        compare_pair(run, ops, evs, refs, s->slot);
    }
    if (owned)
        chimtrace__v1__event__free_unpacked(owned, NULL);
    stored_release(other(run, x), s);
}

static void compare_two_held(diff_run *run, d_stored *s0, d_stored *s1)
{
    Chimtrace__V1__Event *o0, *o1;
    const Chimtrace__V1__Event *e0 = held_event(run, s0, &o0), *e1 = held_event(run, s1, &o1);
    if (e0 && e1) {
        d_op *ops[2] = {s0->op, s1->op};
        const Chimtrace__V1__Event *evs[2] = {e0, e1};
        const diff_event_ref *refs[2] = {&s0->ref, &s1->ref};
        compare_pair(run, ops, evs, refs, s0->slot);
    }
    if (o0)
        chimtrace__v1__event__free_unpacked(o0, NULL);
    if (o1)
        chimtrace__v1__event__free_unpacked(o1, NULL);
    stored_release(&run->side[0], s0);
    stored_release(&run->side[1], s1);
}

static void flush_held(diff_run *run, d_stored *s)
{
    d_side *x = &run->side[s->op->side];
    diff_acct_unmatched(run, x->which, s->op, &s->ref);
    stored_release(x, s);
}

/* Side w will never deliver slot k: it has gone past it or has ended. */
static int lacks(const d_op *w, int k)
{
    return !(w->seen & (1u << k)) && (w->done || w->max_slot > k);
}

/* ------------------------------------------------------------------------------------ */
/* Matching                                                                              */

static void maybe_free(diff_run *run, d_side *x, d_op *u)
{
    if (u->open)
        return;
    for (int k = 0; k < DIFF_SLOTS; k++)
        if (u->stored[k])
            return;
    if (u->partner) {
        u->partner->partner = NULL;
        u->partner->partner_gone = 1;
        d_op *v = u->partner;
        u->partner = NULL;
        maybe_free(run, other(run, x), v);
    }
    if (u->pending)
        diff_op_pend_remove(x, u);
    diff_op_release(x, u);
}

/* Two instances just matched: settle every edge both hold, or one holds that the other
 * has gone past. */
static void reconcile(diff_run *run, d_op *u0, d_op *u1)
{
    for (int k = 0; k < DIFF_SLOTS; k++) {
        d_stored *s0 = u0->stored[k], *s1 = u1->stored[k];
        if (s0 && s1)
            compare_two_held(run, s0, s1);
        else if (s0 && lacks(u1, k))
            flush_held(run, s0);
        else if (s1 && lacks(u0, k))
            flush_held(run, s1);
    }
}

static void try_pair(diff_run *run, d_side *x, d_op *u)
{
    d_side *y = other(run, x);
    d_op *v = diff_op_pend_pop(y, u->key);
    if (!v) {
        diff_op_pend_push(run, x, u);
        return;
    }
    u->partner = v;
    v->partner = u;
    d_op *u0 = x->which == 0 ? u : v, *u1 = x->which == 0 ? v : u;
    if (!u->orphan)
        diff_acct_matched(run, u0, u1);
    reconcile(run, u0, u1);
    maybe_free(run, y, v);
}

/* The instance will get no more events on its side. */
static void op_close(diff_run *run, d_side *x, d_op *u)
{
    if (!u->open)
        return;
    u->done = 1;    /* but still open: matching below must not free it under our feet */
    if (!u->orphan) {
        obj_map_del(&x->ops, u->op_id);
        diff_op_lru_unlink(x, u);
        x->n_open--;
        diff_op_recent_add(x, u->op_id);
        diff_acct_timing(run, x->which, u);
    }
    if (!u->keyed && !u->flushed) {
        op_key_count(run, u);
        try_pair(run, x, u);
    } else if (!u->keyed) {
        op_key_count(run, u);   /* flushed before it was keyed: still counted */
    }
    d_op *v = u->partner;
    if (v)
        for (int k = 0; k < DIFF_SLOTS; k++)
            if (v->stored[k] && !(u->seen & (1u << k)))
                flush_held(run, v->stored[k]);
    u->open = 0;
    maybe_free(run, x, u);
}

/* An unmatched instance that waited too long: every event it holds, and every later one,
 * has no counterpart. */
static void op_flush(diff_run *run, d_side *x, d_op *u)
{
    u->flushed = 1;
    if (u->pending)
        diff_op_pend_remove(x, u);
    for (int k = 0; k < DIFF_SLOTS; k++)
        if (u->stored[k])
            flush_held(run, u->stored[k]);
}

/* ------------------------------------------------------------------------------------ */
/* Events                                                                                */

static void make_ref(const d_side *x, const Chimtrace__V1__Event *ev, diff_event_ref *r)
{
    memset(r, 0, sizeof *r);
    r->present = 1;
    r->index = x->pos;
    r->seq = ev->seq;
    r->ts_ns = ev->ts_ns;
    r->op_id = ev->op_id;
    r->op = ev->has_op ? (int)ev->op : 0;
    r->edge = ev->has_edge ? (int)ev->edge : 0;
    r->blocks = (uint32_t)ev->n_block;
    if (ev->n_block && ev->block[0]->has_status) {
        r->has_root_status = 1;
        r->root_status = ev->block[0]->status;
    }
}

static void ring_put(d_side *x, const diff_event_ref *r)
{
    x->ring[r->index % x->ring_cap] = *r;
}

static d_op *op_open(diff_run *run, d_side *x, const Chimtrace__V1__Event *ev,
                     const obj_identity *ids, int slot)
{
    d_op *u = diff_op_alloc(run, x);
    if (!u)
        return NULL;
    u->op_id = ev->op_id;
    u->op = ev->has_op ? (int)ev->op : 0;
    u->open = 1;
    diff_op_set_ids(run, u, ids, ev->n_block);
    if (obj_map_put(&x->ops, u->op_id, (uint64_t)(uintptr_t)u) != CT_OK) {
        run->err = CT_ERR_NOMEM;
        diff_op_release(x, u);
        return NULL;
    }
    diff_op_lru_append(x, u);
    x->n_open++;
    /* Keyed now from its request-in; an instance first seen at another edge waits for its
     * completion-out, where the host's handles name the objects again. */
    if (slot == CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE)
        op_key_count(run, u);
    return u;
}

/* Side x's instance u delivers edge `slot`. */
static void deliver(diff_run *run, d_side *x, d_op *u, const Chimtrace__V1__Event *ev,
                    const diff_event_ref *ref, int slot)
{
    d_op *v = u->partner;
    if (u->flushed || u->partner_gone) {
        diff_acct_unmatched(run, x->which, u, ref);
        return;
    }
    if (!v) {
        store(run, x, u, slot, ev, ref);
        return;
    }
    for (int k = 0; k < slot; k++)
        if (v->stored[k] && !(u->seen & (1u << k)))
            flush_held(run, v->stored[k]);
    if (v->stored[slot])
        compare_with_held(run, x, u, ev, ref, v->stored[slot]);
    else if (lacks(v, slot))
        diff_acct_unmatched(run, x->which, u, ref);
    else
        store(run, x, u, slot, ev, ref);
    maybe_free(run, other(run, x), v);
}

/* An event that belongs to no open instance (its op_id finished, or it repeats an edge):
 * an instance of its own, matched like any other by operation, edge and objects, so a
 * trace that holds duplicates still equals itself. */
static void orphan_event(diff_run *run, d_side *x, const Chimtrace__V1__Event *ev,
                         const obj_identity *ids, diff_event_ref *ref, int slot)
{
    d_op *u = diff_op_alloc(run, x);
    if (!u)
        return;
    u->orphan = 1;
    u->open = 1;
    u->op_id = ev->op_id;
    u->op = ev->has_op ? (int)ev->op : 0;
    diff_op_set_ids(run, u, ids, ev->n_block);
    diff_op_key(u);
    u->key = obj_map_mix(u->key ^ (0x6f727068616e0000ull + (uint64_t)slot));
    ref->object = u->main;
    ring_put(x, ref);
    u->seen = 1u << slot;
    u->max_slot = slot;
    if (diff_canon_feed(&u->canon, ev, slot) != CT_OK)
        run->err = CT_ERR_NOMEM;
    try_pair(run, x, u);
    deliver(run, x, u, ev, ref, slot);
    op_close(run, x, u);
}

void diff_align_event(diff_run *run, int s, const Chimtrace__V1__Event *ev)
{
    d_side *x = &run->side[s];
    const obj_identity *ids;
    diff_event_ref ref;
    int slot = diff_edge_slot(ev);
    uint64_t *v;
    d_op *u;

    x->pos++;
    if (obj_tracker_feed(x->trk, ev, &ids) != CT_OK) {
        run->err = CT_ERR_NOMEM;
        return;
    }
    make_ref(x, ev, &ref);
    v = obj_map_get(&x->ops, ev->op_id);
    u = v ? (d_op *)(uintptr_t)*v : NULL;
    if (!u && !obj_map_get(&x->recent_map, ev->op_id))
        u = op_open(run, x, ev, ids, slot);
    else if (!u || u->max_slot >= slot) {
        orphan_event(run, x, ev, ids, &ref, slot);  /* a duplicate or an edge out of order */
        return;
    }
    if (!u)
        return;
    ref.object = u->main;
    u->seen |= 1u << slot;
    u->max_slot = slot;
    u->ts[slot] = ev->ts_ns;
    diff_op_lru_unlink(x, u);
    diff_op_lru_append(x, u);
    if (diff_canon_feed(&u->canon, ev, slot) != CT_OK)
        run->err = CT_ERR_NOMEM;
    if (!u->keyed && slot == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE) {
        diff_op_set_ids(run, u, ids, ev->n_block);
        ref.object = u->main;
        op_key_count(run, u);
        try_pair(run, x, u);
    } else if (u->keyed && !u->partner && !u->pending && !u->flushed && u->seen == 1u << slot) {
        try_pair(run, x, u);    /* keyed at its opening event */
    }
    ring_put(x, &ref);
    deliver(run, x, u, ev, &ref, slot);
    if (slot == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE)
        op_close(run, x, u);
    while (x->n_open > DIFF_MAX_OPEN)
        op_close(run, x, x->lru_head);
}

/* ------------------------------------------------------------------------------------ */
/* Steps, ends                                                                           */

/* Copy the events of this step that are still held: the readers move on. */
static void materialize(diff_run *run, d_side *x)
{
    for (d_stored *s = x->held_tail; s && s->step == run->step; s = s->prev) {
        size_t n;
        if (!s->live)
            continue;
        n = chimtrace__v1__event__get_packed_size(s->live);
        if (n > s->cap) {
            uint8_t *p = realloc(s->packed, n);
            if (!p) {
                run->err = CT_ERR_NOMEM;
                return;
            }
            s->packed = p;
            s->cap = n;
        }
        s->len = chimtrace__v1__event__pack(s->live, s->packed);
        s->live = NULL;
    }
}

/* An instance still waiting for its completion-out to be keyed when its oldest event is
 * due: key it by what its first event named, and try to match it before giving up. */
static void expire_key(diff_run *run, d_side *x)
{
    for (int again = 1; again;) {
        again = 0;
        for (d_stored *s = x->held_head; s && run->step - s->step > run->window; s = s->next) {
            d_op *u = s->op;
            if (!u->keyed && !u->flushed) {
                op_key_count(run, u);
                try_pair(run, x, u);
                again = 1;  /* matching may have released held entries: rescan */
                break;
            }
        }
    }
}

static void expire(diff_run *run, d_side *x)
{
    while (x->held_head && run->step - x->held_head->step > run->window) {
        d_stored *s = x->held_head;
        d_op *u = s->op;
        if (u->partner)
            flush_held(run, s);
        else
            op_flush(run, x, u);
        maybe_free(run, x, u);
    }
}

void diff_align_step_end(diff_run *run)
{
    materialize(run, &run->side[0]);
    materialize(run, &run->side[1]);
    expire_key(run, &run->side[0]);
    expire_key(run, &run->side[1]);
    expire(run, &run->side[0]);
    expire(run, &run->side[1]);
}

void diff_align_side_end(diff_run *run, int s)
{
    d_side *x = &run->side[s];
    x->ended = 1;
    while (x->lru_head)
        op_close(run, x, x->lru_head);
}

void diff_align_finish(diff_run *run)
{
    diff_align_side_end(run, 0);
    diff_align_side_end(run, 1);
    for (int s = 0; s < 2; s++) {
        d_side *x = &run->side[s];
        while (x->held_head) {
            d_op *u = x->held_head->op;
            op_flush(run, x, u);
            maybe_free(run, x, u);
        }
    }
}
