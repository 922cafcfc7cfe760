/* arena.h - a bump allocator behind protobuf-c's ProtobufCAllocator, internal to the
 * trace-file library. The reader unpacks each record into it and resets it before the next
 * one, so decoding costs no malloc in the steady state and memory stays bounded. */
#ifndef CT_ARENA_H
#define CT_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct ct_arena ct_arena;

/* cap: total bytes the arena may hold before allocations fail (decompression-bomb guard).
 * Caller frees with ct_arena_free. Returns NULL when out of memory. */
ct_arena *ct_arena_new(size_t cap);
void ct_arena_free(ct_arena *a);

/* Forget every allocation; keeps one block for reuse, releases the rest. */
void ct_arena_reset(ct_arena *a);

/* Did an allocation fail because of the cap since the last reset? */
int ct_arena_hit_cap(const ct_arena *a);

/* The allocator view; borrowed, valid while the arena lives. */
ProtobufCAllocator *ct_arena_allocator(ct_arena *a);

#endif
