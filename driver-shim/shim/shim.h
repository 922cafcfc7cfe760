/* shim.h - the trace shim: hooks the IM driver calls at the four edges of every chimney
 * state operation, and the consumer view the recorder drains.
 *
 * Fast path (the four hooks): never blocks, never allocates, never fails. It takes a global
 * sequence number, walks the block-list tree in pre-order and copies every block (up to
 * max_blocks) with its trailing state structures into a shim_event_rec (record.h) in the
 * ring of the current CPU/lane. A full ring drops the record (the newest one) and counts it;
 * an exact loss record follows as soon as the ring has room again. When the shim is
 * disabled the hooks cost the one predictable branch of SHIM_ON().
 *
 * Per operation the IM keeps a shim_op in its call entry: request-in fills it (operation
 * instance id, which blocks carry trailing state), the three later edges read it.
 */
#ifndef CHIMNEY_SHIM_H
#define CHIMNEY_SHIM_H

#include <chimney/ndis_chimney.h>

#include "record.h"
#include "ring.h"

typedef struct shim shim;

#define SHIM_MAX_BLOCKS_LIMIT 4096u
#define SHIM_STATE_BITS_WORDS (SHIM_MAX_BLOCKS_LIMIT / 32u)

typedef struct shim_config {
    uint32_t ring_count;    /* rings: one per CPU (kernel) or lane (model) */
    uint32_t ring_bytes;    /* per ring, a power of two >= 64 KiB */
    uint32_t max_blocks;    /* blocks copied per event (1..SHIM_MAX_BLOCKS_LIMIT) */
} shim_config;

/* What request-in learnt about an operation; lives in the IM's call entry. */
typedef struct shim_op {
    uint64_t op_id;
    uint8_t op;                 /* enum shim_op; 0 = not traced (shim was off) */
    uint8_t in_downcall;        /* set by the IM around its NdisXxx down-call */
    uint16_t reserved;
    uint32_t nblocks;           /* blocks walked at request-in */
    uint32_t state_bits[SHIM_STATE_BITS_WORDS]; /* bit i: block i carries trailing state */
} shim_op;

/* Allocate the shim and its rings (plat_alloc). Not on the fast path.
 * NDIS_STATUS_RESOURCES when memory is short, NDIS_STATUS_INVALID_PARAMETER for a bad
 * config. Caller frees with shim_destroy. */
NDIS_STATUS shim_create(const shim_config *cfg, shim **out);
void shim_destroy(shim *s);

/* Runtime switch. Operations already in flight keep their traced/untraced status. */
void shim_set_enabled(shim *s, int enabled);

/* Is tracing on? The IM guards every hook with it: SHIM_ON(s) is the whole disabled cost. */
struct shim_public {
    volatile uint32_t enabled;
};
#define SHIM_ON(s) PLAT_UNLIKELY(((const struct shim_public *)(s))->enabled != 0)

/* The four hooks. `binding` is the context the IM received (MiniportAdapterContext at
 * edges 1 and 4, its own lower NdisBindingHandle at edges 2 and 3). */
void shim_request_in(shim *s, shim_op *op, uint8_t operation, NDIS_HANDLE binding,
                     PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);
void shim_request_out(shim *s, shim_op *op, NDIS_HANDLE binding,
                      PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);
void shim_completion_in(shim *s, shim_op *op, NDIS_HANDLE binding,
                        PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);
void shim_completion_out(shim *s, shim_op *op, NDIS_HANDLE binding,
                         PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);

/* ---- consumer side (the recorder) ------------------------------------------------ */

uint32_t shim_ring_count(const shim *s);
ring *shim_ring(shim *s, uint32_t i);

/* The next sequence number the shim will hand out (every smaller one is taken). */
uint64_t shim_next_seq(const shim *s);

/* Sequence numbers ring i has finished with: committed to the ring or dropped. The sum over
 * rings reaching shim_next_seq()-1 means every taken number is accounted for. */
uint64_t shim_ring_seqs_done(const shim *s, uint32_t i);

/* Drop counters of ring i since creation (records lost, loss records written). */
typedef struct shim_ring_stats {
    uint64_t events;        /* event records committed */
    uint64_t dropped;       /* event records dropped (ring full) */
    uint64_t loss_records;  /* loss records committed */
    uint64_t truncated_trees;
} shim_ring_stats;
void shim_get_ring_stats(const shim *s, uint32_t i, shim_ring_stats *st);

/* After every producer has stopped: write the pending loss records of rings that never got
 * room again (the consumer must drain first). Returns the number still pending (0 when all
 * were written). */
uint32_t shim_flush_losses(shim *s);

#endif
