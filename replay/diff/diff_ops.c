/* diff_ops.c - the bookkeeping of operation instances for the alignment: a pool that
 * recycles them, each side's list of open instances by last activity, the pending buckets
 * (key -> FIFO of unmatched instances), keys from identity sets, the ring of finished op_ids,
 * and the set-up and teardown of both sides. diff_align.c decides what happens to them.
 */
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

#define DIFF_RECENT_MIN 256u       /* finished op_ids remembered: `window`, within these */
#define DIFF_RING_MAX (1u << 16)   /* ... and this; also the most recent events kept for context */
/* Recycled instances keep their buffers, unless a big tree grew them: a pool of maximum-size
 * buffers would make memory depend on the largest event seen. */
#define KEEP_IDS 64u

typedef struct d_bucket {
    d_op *head, *tail;
} d_bucket;

/* ------------------------------------------------------------------------------------ */
/* The pool and the open list                                                            */

d_op *diff_op_alloc(diff_run *run, d_side *x)
{
    d_op *u = x->free_ops;
    if (u) {
        x->free_ops = u->pend_next;
    } else if (!(u = calloc(1, sizeof *u))) {
        run->err = CT_ERR_NOMEM;
        return NULL;
    } else {
        diff_canon_init(&u->canon);
    }
    diff_canon canon = u->canon;
    obj_identity *ids = u->ids, *set = u->set;
    struct diff_object_result **objs = u->objs;
    uint32_t cap_ids = u->cap_ids, cap_set = u->cap_set, cap_objs = u->cap_objs;
    memset(u, 0, sizeof *u);
    u->canon = canon;
    u->ids = ids, u->set = set, u->cap_ids = cap_ids, u->cap_set = cap_set;
    u->objs = objs, u->cap_objs = cap_objs;
    u->side = x->which;
    u->max_slot = -1;
    return u;
}

void diff_op_release(d_side *x, d_op *u)
{
    if (u->canon.cap > KEEP_IDS * 2)
        diff_canon_fini(&u->canon);
    else
        diff_canon_clear(&u->canon);
    if (u->cap_ids > KEEP_IDS || u->cap_objs > KEEP_IDS) {
        free(u->ids), free(u->set), free(u->objs);
        u->ids = u->set = NULL, u->objs = NULL;
        u->cap_ids = u->cap_set = u->cap_objs = 0;
    }
    u->pend_next = x->free_ops;
    x->free_ops = u;
}

static void op_destroy(d_op *u)
{
    diff_canon_fini(&u->canon);
    free(u->ids);
    free(u->set);
    free(u->objs);
    free(u);
}

void diff_op_lru_unlink(d_side *x, d_op *u)
{
    if (u->lru_prev)
        u->lru_prev->lru_next = u->lru_next;
    else
        x->lru_head = u->lru_next;
    if (u->lru_next)
        u->lru_next->lru_prev = u->lru_prev;
    else
        x->lru_tail = u->lru_prev;
    u->lru_prev = u->lru_next = NULL;
}

void diff_op_lru_append(d_side *x, d_op *u)
{
    u->lru_prev = x->lru_tail;
    u->lru_next = NULL;
    if (x->lru_tail)
        x->lru_tail->lru_next = u;
    else
        x->lru_head = u;
    x->lru_tail = u;
}

/* ------------------------------------------------------------------------------------ */
/* Pending matches                                                                       */

void diff_op_pend_push(diff_run *run, d_side *x, d_op *u)
{
    uint64_t *v = obj_map_get(&x->pending, u->key);
    d_bucket *b = v ? (d_bucket *)(uintptr_t)*v : NULL;
    if (!b) {
        if (!(b = calloc(1, sizeof *b)) ||
            obj_map_put(&x->pending, u->key, (uint64_t)(uintptr_t)b) != CT_OK) {
            free(b);
            run->err = CT_ERR_NOMEM;
            return;
        }
    }
    u->pend_next = NULL;
    if (b->tail)
        b->tail->pend_next = u;
    else
        b->head = u;
    b->tail = u;
    u->pending = 1;
}

/* Unlink u from its bucket (u is usually the head: the oldest is the one that expires). */
void diff_op_pend_remove(d_side *x, d_op *u)
{
    uint64_t *v = obj_map_get(&x->pending, u->key);
    d_bucket *b = v ? (d_bucket *)(uintptr_t)*v : NULL;
    d_op *prev = NULL;
    if (!b || !u->pending)
        return;
    for (d_op *w = b->head; w; prev = w, w = w->pend_next) {
        if (w != u)
            continue;
        if (prev)
            prev->pend_next = w->pend_next;
        else
            b->head = w->pend_next;
        if (b->tail == w)
            b->tail = prev;
        break;
    }
    u->pending = 0;
    u->pend_next = NULL;
    if (!b->head) {
        obj_map_del(&x->pending, u->key);
        free(b);
    }
}

d_op *diff_op_pend_pop(d_side *y, uint64_t key)
{
    uint64_t *v = obj_map_get(&y->pending, key);
    d_op *u;
    if (!v)
        return NULL;
    u = ((d_bucket *)(uintptr_t)*v)->head;
    diff_op_pend_remove(y, u);
    return u;
}

/* ------------------------------------------------------------------------------------ */
/* Keys: operation + the set of identities in the tree                                   */

static int cmp_identity(const void *a, const void *b)
{
    return obj_cmp(a, b);
}

void diff_op_set_ids(diff_run *run, d_op *u, const obj_identity *ids, size_t n)
{
    if (n > u->cap_ids || n > u->cap_set) {
        obj_identity *a = realloc(u->ids, (n ? n : 1) * sizeof *a), *b;
        if (a)
            u->ids = a, u->cap_ids = (uint32_t)n;
        b = a ? realloc(u->set, (n ? n : 1) * sizeof *b) : NULL;
        if (!b) {
            run->err = CT_ERR_NOMEM;
            return;
        }
        u->set = b;
        u->cap_set = (uint32_t)n;
    }
    memset(&u->main, 0, sizeof u->main);
    u->objs_ok = 0;
    u->n_ids = (uint32_t)n;
    u->n_set = 0;
    for (size_t i = 0; i < n; i++) {
        u->ids[i] = ids[i];
        if (ids[i].kind == OBJ_NONE)
            continue;
        if (u->main.kind == OBJ_NONE)
            u->main = ids[i];
        u->set[u->n_set++] = ids[i];
    }
    if (u->n_set > 1)
        qsort(u->set, u->n_set, sizeof *u->set, cmp_identity);
    size_t k = 0;
    for (size_t i = 0; i < u->n_set; i++)
        if (k == 0 || obj_cmp(&u->set[k - 1], &u->set[i]) != 0)
            u->set[k++] = u->set[i];
    u->n_set = (uint32_t)k;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

void diff_op_key(d_op *u)
{
    uint64_t h = fnv(OBJ_HASH_SEED, &u->op, sizeof u->op);
    for (uint32_t i = 0; i < u->n_set; i++)
        h = obj_hash(&u->set[i], h);
    u->key = h;
    u->keyed = 1;
}

void diff_op_recent_add(d_side *x, uint64_t op_id)
{
    if (x->recent_n == x->recent_cap) {
        uint64_t old = x->recent[x->recent_pos], *v = obj_map_get(&x->recent_map, old);
        if (v && --*v == 0)
            obj_map_del(&x->recent_map, old);
    } else {
        x->recent_n++;
    }
    x->recent[x->recent_pos] = op_id;
    x->recent_pos = (x->recent_pos + 1) % x->recent_cap;
    uint64_t *v = obj_map_get(&x->recent_map, op_id);
    if (v)
        ++*v;
    else
        obj_map_put(&x->recent_map, op_id, 1);
}

/* ------------------------------------------------------------------------------------ */
/* Both sides' set-up and teardown                                                       */

ct_err diff_align_init(diff_run *run)
{
    for (int s = 0; s < 2; s++) {
        d_side *x = &run->side[s];
        memset(x, 0, sizeof *x);
        x->which = s;
        x->run = run;
        obj_map_init(&x->ops);
        obj_map_init(&x->pending);
        obj_map_init(&x->recent_map);
        x->recent_cap = run->window < DIFF_RECENT_MIN   ? DIFF_RECENT_MIN
                        : run->window > DIFF_RING_MAX ? DIFF_RING_MAX
                                                      : run->window;
        x->ring_cap = run->window + 2 * DIFF_CONTEXT + 8;
        if (x->ring_cap > DIFF_RING_MAX)
            x->ring_cap = DIFF_RING_MAX;
        x->recent = malloc(x->recent_cap * sizeof *x->recent);
        x->ring = calloc(x->ring_cap, sizeof *x->ring);
        if (!x->recent || !x->ring || obj_tracker_new(&x->trk) != CT_OK)
            return CT_ERR_NOMEM;
    }
    return CT_OK;
}

void diff_align_fini(diff_run *run)
{
    for (int s = 0; s < 2; s++) {
        d_side *x = &run->side[s];
        size_t pos = 0;
        uint64_t key, val;
        for (d_stored *h = x->held_head, *n; h; h = n) {
            n = h->next;
            free(h->packed);
            free(h);
        }
        for (d_stored *h = x->free_stored, *n; h; h = n) {
            n = h->next;
            free(h->packed);
            free(h);
        }
        for (d_op *u = x->lru_head, *n; u; u = n) {
            n = u->lru_next;
            op_destroy(u);
        }
        for (d_op *u = x->free_ops, *n; u; u = n) {
            n = u->pend_next;
            op_destroy(u);
        }
        while (obj_map_next(&x->pending, &pos, &key, &val))
            free((void *)(uintptr_t)val);
        obj_map_fini(&x->ops);
        obj_map_fini(&x->pending);
        obj_map_fini(&x->recent_map);
        obj_tracker_free(x->trk);
        free(x->recent);
        free(x->ring);
    }
}
