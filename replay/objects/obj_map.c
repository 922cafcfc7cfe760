/* obj_map.c - the uint64_t -> uint64_t hash map behind the object tracker and diff.
 *
 * Open addressing with linear probing; deletion shifts the following cluster back so no
 * tombstones accumulate (Knuth 6.4 algorithm R). Keys are mixed with splitmix64, so the
 * small sequential ids of a trace spread evenly.
 */
#include <stdlib.h>
#include <string.h>

#include "obj_map.h"

uint64_t obj_map_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

void obj_map_init(obj_map *m)
{
    memset(m, 0, sizeof *m);
}

void obj_map_fini(obj_map *m)
{
    if (!m)
        return;
    free(m->keys);
    free(m->vals);
    free(m->used);
    obj_map_init(m);
}

void obj_map_clear(obj_map *m)
{
    if (m->used)
        memset(m->used, 0, m->cap);
    m->n = 0;
}

static size_t slot_of(const obj_map *m, uint64_t key)
{
    return (size_t)obj_map_mix(key) & (m->cap - 1);
}

uint64_t *obj_map_get(const obj_map *m, uint64_t key)
{
    if (m->n == 0)
        return NULL;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (!m->used[i])
            return NULL;
        if (m->keys[i] == key)
            return &m->vals[i];
    }
}

static void raw_put(obj_map *m, uint64_t key, uint64_t val)
{
    size_t i = slot_of(m, key);
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->used[i])
        m->n++;
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = val;
}

static ct_err grow(obj_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    obj_map old = *m;
    m->keys = malloc(cap * sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    m->used = calloc(cap, 1);
    if (!m->keys || !m->vals || !m->used) {
        free(m->keys);
        free(m->vals);
        free(m->used);
        *m = old;
        return CT_ERR_NOMEM;
    }
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i])
            raw_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
    free(old.used);
    return CT_OK;
}

ct_err obj_map_put(obj_map *m, uint64_t key, uint64_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        uint64_t *v = obj_map_get(m, key);
        if (v) {
            *v = val;
            return CT_OK;
        }
        if (grow(m) != CT_OK)
            return CT_ERR_NOMEM;
    }
    raw_put(m, key, val);
    return CT_OK;
}

int obj_map_del(obj_map *m, uint64_t key)
{
    size_t mask = m->cap - 1, i;
    if (m->n == 0)
        return 0;
    for (i = slot_of(m, key);; i = (i + 1) & mask) {
        if (!m->used[i])
            return 0;
        if (m->keys[i] == key)
            break;
    }
    /* Shift back every later member of the cluster that may move into the hole. */
    for (size_t j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->keys[j]);
        int movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->used[i] = 0;
    m->n--;
    return 1;
}

int obj_map_next(const obj_map *m, size_t *pos, uint64_t *key, uint64_t *val)
{
    while (*pos < m->cap) {
        size_t i = (*pos)++;
        if (m->used[i]) {
            *key = m->keys[i];
            *val = m->vals[i];
            return 1;
        }
    }
    return 0;
}
