/* arena.c - bump allocator for protobuf-c unpacking (see arena.h).
 *
 * Blocks are chained; allocations are 16-byte aligned. A reset keeps the first block so
 * that reading a trace record after record allocates nothing once warmed up, and frees
 * any extra blocks a large record needed, so memory returns to its baseline.
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_BLOCK (64u * 1024u)
#define ARENA_ALIGN 16u

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct ct_arena {
    ProtobufCAllocator alloc;
    struct arena_block *head;  /* current block (most recent) */
    struct arena_block *first; /* the block kept across resets */
    size_t total, cap;
    int hit_cap;
};

static void *arena_alloc(void *data, size_t size)
{
    ct_arena *a = data;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    struct arena_block *b = a->head;
    if (b == NULL || b->size - b->used < size) {
        size_t bsize = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        if (a->total + bsize > a->cap) {
            a->hit_cap = 1;
            return NULL;
        }
        struct arena_block *nb = malloc(sizeof *nb + bsize);
        if (nb == NULL)
            return NULL;
        nb->size = bsize;
        nb->used = 0;
        nb->next = a->head;
        a->head = nb;
        a->total += bsize;
        if (a->first == NULL)
            a->first = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

static void arena_free_one(void *data, void *ptr)
{
    (void)data; /* freed in bulk by ct_arena_reset */
    (void)ptr;
}

ct_arena *ct_arena_new(size_t cap)
{
    ct_arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->alloc.alloc = arena_alloc;
    a->alloc.free = arena_free_one;
    a->alloc.allocator_data = a;
    a->cap = cap;
    return a;
}

void ct_arena_reset(ct_arena *a)
{
    struct arena_block *b = a->head;
    while (b != NULL && b != a->first) {
        struct arena_block *next = b->next;
        a->total -= b->size;
        free(b);
        b = next;
    }
    a->head = a->first;
    if (a->first != NULL) {
        a->first->used = 0;
        a->first->next = NULL;
    }
    a->hit_cap = 0;
}

void ct_arena_free(ct_arena *a)
{
    if (a == NULL)
        return;
    ct_arena_reset(a);
    free(a->first);
    free(a);
}

int ct_arena_hit_cap(const ct_arena *a)
{
    return a->hit_cap;
}

ProtobufCAllocator *ct_arena_allocator(ct_arena *a)
{
    return &a->alloc;
}
