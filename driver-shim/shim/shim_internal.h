/* shim_internal.h - the shim's private state, shared by shim.c (hooks, rings, losses) and
 * shim_walk.c (tree walk and block copy). Not for the IM driver or the recorder. */
#ifndef CHIMNEY_SHIM_INTERNAL_H
#define CHIMNEY_SHIM_INTERNAL_H

#include <stddef.h>

#include "shim.h"

#define SHIM_WALK_DEPTH 16u       /* legal trees need 3 (+1 pending sibling per level) */
#define SHIM_WALK_CAP 65536u      /* blocks walked before the tree is declared cyclic */

typedef struct shim_walk_frame {
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST block;
    uint16_t parent;
} shim_walk_frame;

typedef struct shim_walk {
    shim_walk_frame stack[SHIM_WALK_DEPTH];
    uint32_t depth;
    uint32_t seen;
    uint16_t flags;               /* SHIM_EVF_TREE_CYCLE */
} shim_walk;

void shim_walk_init(shim_walk *w, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root);
/* Next block in pre-order (NULL at the end); *parent = its parent's pre-order index. */
PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST shim_walk_next(shim_walk *w, uint16_t *parent);

int shim_block_has_state(uint8_t operation, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b);

/* Where the trailing state structures of each Header.Type lie, computed once at
 * shim_create from record.h's rules, so the fast path does table lookups only. */
typedef struct shim_layout {
    uint16_t total;           /* bytes of trailing state (0: none) */
    uint8_t n;                /* structures */
    struct {
        uint16_t bit, off, size;
    } st[3];
} shim_layout;

void shim_layout_init(shim_layout table[256]);

/* Copy one block (and its state when with_state) into br; returns br->len. */
uint32_t shim_copy_block(const shim_layout *layouts, shim_block_rec *br,
                         PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, uint16_t parent, int with_state);

typedef struct shim_ring_slot {
    ring r;
    uint8_t *mem;
    /* producer-private: the loss not yet reported */
    uint64_t pend_count, pend_first_seq, pend_last_seq, pend_first_ts, pend_last_ts;
    /* published to the consumer */
    volatile uint64_t seqs_done;
    volatile uint64_t events, dropped, loss_records, truncated;
} shim_ring_slot;

struct shim {
    struct shim_public pub;       /* first: SHIM_ON reads it */
    uint32_t ring_count;
    uint32_t ring_bytes;
    uint32_t max_blocks;
    volatile uint64_t next_seq;
    volatile uint64_t next_op_id;
    shim_ring_slot *rings;
    shim_layout layout[256];
};

#endif
