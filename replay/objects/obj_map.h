/* obj_map.h - a small open-addressing hash map from uint64_t keys to uint64_t values.
 *
 * The object tracker keys objects by handle id and operations by op_id; diff keys its
 * operation instances, pending matches and canonical ids the same way. One map serves all
 * of them. Linear probing with backward-shift deletion (no tombstones), so a map that sees
 * endless insert/delete churn never degrades; load factor at most 1/2.
 */
#ifndef CT_OBJ_MAP_H
#define CT_OBJ_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "ct_err.h"

typedef struct obj_map {
    uint64_t *keys;
    uint64_t *vals;
    uint8_t *used;
    size_t cap;         /* slots, a power of two (0 before the first insert) */
    size_t n;           /* keys stored */
} obj_map;

/* An empty map; no allocation until the first obj_map_put. */
void obj_map_init(obj_map *m);

/* Release the slots; the map is empty and reusable afterwards. NULL is a no-op. */
void obj_map_fini(obj_map *m);

/* Remove every key but keep the slots (cheap reuse). */
void obj_map_clear(obj_map *m);

/* Pointer to the value stored for key, or NULL. Borrowed: valid until the next put or
 * del on the map. */
uint64_t *obj_map_get(const obj_map *m, uint64_t key);

/* Insert or overwrite. CT_ERR_NOMEM only (the map is unchanged then). */
ct_err obj_map_put(obj_map *m, uint64_t key, uint64_t val);

/* Remove key; 1 when it was present. */
int obj_map_del(obj_map *m, uint64_t key);

/* Iterate: start with *pos = 0; returns 1 and fills key/val while entries remain. The map
 * must not change during an iteration. */
int obj_map_next(const obj_map *m, size_t *pos, uint64_t *key, uint64_t *val);

/* A 64-bit mixer (splitmix64's finalizer), for callers that hash their own keys. */
uint64_t obj_map_mix(uint64_t x);

#endif
