/* tree_builder.h - builds block-list trees with trailing state in test memory, laid out
 * as the host does (record.h's natural-alignment rule), for shim and encoder tests. */
#ifndef CT_TREE_BUILDER_H
#define CT_TREE_BUILDER_H

#include <chimney/ndis_chimney.h>

typedef struct tb_block {
    NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *mobl;
    uint8_t *state;           /* first byte after the block */
    PVOID ctx;                /* the *MiniportOffloadContext cell this block points at */
    NDIS_OFFLOAD_HANDLE handle;
} tb_block;

/* A block of `type` with trailing state when with_state (all state fields set to values
 * derived from `seed`), its MiniportOffloadContext pointing at b->ctx (NULL slot when
 * placeholder), ctx_value stored in the cell. Caller frees with tb_free. */
tb_block *tb_new(uint32_t type, int with_state, int placeholder, PVOID ctx_value,
                 uint32_t seed);
void tb_free(tb_block *b);
void tb_next(tb_block *a, tb_block *b);       /* a->NextBlock = b */
void tb_dep(tb_block *a, tb_block *b);        /* a->DependentBlockList = b */

/* The state struct of `bit` (SHIM_ST_*) inside the block's trailing state. */
void *tb_state(tb_block *b, uint32_t bit);

#endif
