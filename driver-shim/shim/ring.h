/* ring.h - lock-free single-producer/single-consumer byte rings (the LTTng split).
 *
 * The producer's fast path (ring_reserve/ring_commit) never blocks, never allocates and
 * fails only when the ring is full; the consumer's slow path (ring_read/ring_release) runs
 * in the recorder. Records are variable-length, 8-byte aligned, and start with a
 * ring_rec_hdr whose `len` covers the whole record. A record never wraps: when it does
 * not fit before the end of the buffer, the producer fills the tail with a padding record
 * that the consumer skips. One producer per ring (a CPU in the kernel, a thread in the
 * model); positions are 64-bit byte counters that never wrap in practice.
 */
#ifndef CHIMNEY_RING_H
#define CHIMNEY_RING_H

#include <stdint.h>

#include "../platform/platform.h"

#define RING_ALIGN 8u
#define RING_REC_PAD 0xFFFFu  /* ring_rec_hdr.type of padding records */

typedef struct ring_rec_hdr {
    uint32_t len;   /* whole record, header included, multiple of RING_ALIGN */
    uint16_t type;
    uint16_t flags;
} ring_rec_hdr;

typedef struct ring {
    /* consumer-owned, on its own cache line */
    volatile uint64_t tail;
    uint8_t pad0[56];
    /* producer-owned */
    volatile uint64_t head;
    uint64_t resv_head;     /* head after the pending reservation */
    uint8_t pad1[48];
    uint8_t *buf;
    uint32_t size;          /* power of two */
    uint32_t mask;
} ring;

static inline uint32_t ring_align(uint32_t len)
{
    return (len + RING_ALIGN - 1) & ~(RING_ALIGN - 1);
}

/* Attach a ring to `buf` of `size` bytes (a power of two, >= 64). */
void ring_init(ring *r, void *buf, uint32_t size);

/* Largest record a ring accepts (half its size, so a reservation can always succeed on an
 * empty ring even after padding). */
static inline uint32_t ring_max_record(const ring *r)
{
    return r->size / 2;
}

/* Producer: room for `len` bytes (aligned up by the caller with ring_align), or NULL when
 * the ring is full. The caller fills the record, header included, then ring_commit. */
void *ring_reserve(ring *r, uint32_t len);
void ring_commit(ring *r);

/* Consumer: the oldest committed record (padding skipped), or NULL when empty. Borrowed
 * until ring_release. */
const ring_rec_hdr *ring_read(ring *r);
void ring_release(ring *r, const ring_rec_hdr *rec);

/* Bytes committed and not yet released (consumer side view). */
uint64_t ring_used(const ring *r);

#endif
