/* verify_map.c - the checker's two containers: a u64-keyed map (operations in flight by
 * op_id, objects by handle id) and the per-event scratch arrays.
 *
 * Both grow with what is live (objects, operations in flight, the largest tree seen), never
 * with the trace, which is what keeps verify's memory bounded on long traces.
 */
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

static size_t slot_of(const vmap *m, uint64_t key)
{
    /* Fibonacci hashing: ids are small sequential numbers, so spread them. */
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (m->cap - 1);
}

void *vmap_get(const vmap *m, uint64_t key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i])
            return NULL;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

static int grow(vmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    vmap bigger = { calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(void *)), cap, 0 };

    if (!bigger.keys || !bigger.vals) {
        free(bigger.keys);
        free(bigger.vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i])
            vmap_put(&bigger, m->keys[i], m->vals[i]);
    free(m->keys);
    free(m->vals);
    *m = bigger;
    return 0;
}

int vmap_put(vmap *m, uint64_t key, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
        return -1;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i]) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->n++;
            return 0;
        }
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
    }
}

void *vmap_del(vmap *m, uint64_t key)
{
    size_t mask = m->cap - 1, i, j;
    void *val;

    if (m->cap == 0)
        return NULL;
    for (i = slot_of(m, key);; i = (i + 1) & mask) {
        if (!m->vals[i])
            return NULL;
        if (m->keys[i] == key)
            break;
    }
    val = m->vals[i];
    m->vals[i] = NULL;
    m->n--;
    /* Backward shift: move later entries of the probe run into the hole when their home
     * slot allows it, so lookups never need tombstones. */
    for (j = (i + 1) & mask; m->vals[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->keys[j]);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            m->vals[j] = NULL;
            i = j;
        }
    }
    return val;
}

void vmap_free(vmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void vmap_each(const vmap *m, void (*fn)(void *ctx, void *val), void *ctx)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i])
            fn(ctx, m->vals[i]);
}

int vscratch_reserve(vscratch *s, uint32_t n)
{
    uint32_t cap = s->cap ? s->cap : 16;
    uint32_t **u32[] = { &s->parent, &s->depth, &s->stack, &s->last_child, &s->kids,
                         &s->kids_ok, &s->kids_bad, &s->kids_unknown };

    if (n <= s->cap)
        return 0;
    while (cap < n)
        cap *= 2;
    for (size_t k = 0; k < sizeof u32 / sizeof u32[0]; k++) {
        uint32_t *p = realloc(*u32[k], cap * sizeof **u32[k]);
        if (!p)
            return -1;
        *u32[k] = p;
    }
    uint16_t *mask = realloc(s->mask, cap * sizeof *mask);
    if (!mask)
        return -1;
    s->mask = mask;
    uint8_t *role = realloc(s->role, cap);
    if (!role)
        return -1;
    s->role = role;
    uint8_t *layer = realloc(s->layer, cap);
    if (!layer)
        return -1;
    s->layer = layer;
    s->cap = cap;
    return 0;
}

void vscratch_free(vscratch *s)
{
    free(s->parent);
    free(s->depth);
    free(s->stack);
    free(s->last_child);
    free(s->kids);
    free(s->kids_ok);
    free(s->kids_bad);
    free(s->kids_unknown);
    free(s->mask);
    free(s->role);
    free(s->layer);
    memset(s, 0, sizeof *s);
}
