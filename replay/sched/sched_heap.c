/* sched_heap.c - the binary min-heap of pending callbacks, keyed by (due time, post
 * sequence). Both scheduler modes use it: the virtual mode holds one for every lane, the
 * real mode one per lane thread. The sequence tie-break is what makes equal due times run
 * in post order, and so what makes virtual runs reproducible.
 */
#include <stdlib.h>

#include "sched_int.h"

static int item_less(const sched_item *a, const sched_item *b)
{
    if (a->due_ns != b->due_ns)
        return a->due_ns < b->due_ns;
    return a->seq < b->seq;
}

void sched_heap_init(sched_heap *h)
{
    h->v = NULL;
    h->n = h->cap = 0;
    h->next_seq = 0;
}

void sched_heap_fini(sched_heap *h)
{
    free(h->v);
    sched_heap_init(h);
}

ct_err sched_heap_push(sched_heap *h, sched_item it)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        sched_item *v = realloc(h->v, cap * sizeof *v);
        if (v == NULL)
            return CT_ERR_NOMEM;
        h->v = v;
        h->cap = cap;
    }
    it.seq = h->next_seq++;
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!item_less(&it, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = it;
    return CT_OK;
}

const sched_item *sched_heap_top(const sched_heap *h)
{
    return &h->v[0];
}

sched_item sched_heap_pop(sched_heap *h)
{
    sched_item top = h->v[0];
    sched_item last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && item_less(&h->v[c + 1], &h->v[c]))
            c++;
        if (!item_less(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}

size_t sched_heap_clear(sched_heap *h)
{
    size_t n = h->n;
    h->n = 0;
    return n;
}
