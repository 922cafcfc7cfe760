/* shim_walk.c - the shim's bounded pre-order walk over a block-list tree, and the copy of
 * one block with its trailing state into a ring record.
 *
 * The walk follows NextBlock and DependentBlockList, which sit at the same offsets in the
 * MOBL and POBL views, so one walk serves all four edges. It is iterative with a small
 * fixed stack (trees are at most three layers deep; a deeper or cyclic tree is cut and
 * flagged, never followed without bound). Freestanding: no libc, no allocation.
 */
#include "shim_internal.h"

void shim_walk_init(shim_walk *w, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    w->depth = 0;
    w->seen = 0;
    w->flags = 0;
    if (root != NULL) {
        w->stack[0].block = root;
        w->stack[0].parent = SHIM_NO_PARENT;
        w->depth = 1;
    }
}

PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST shim_walk_next(shim_walk *w, uint16_t *parent)
{
    if (w->depth == 0)
        return NULL;
    if (PLAT_UNLIKELY(w->seen >= SHIM_WALK_CAP)) {
        w->flags |= SHIM_EVF_TREE_CYCLE;
        w->depth = 0;
        return NULL;
    }
    shim_walk_frame f = w->stack[--w->depth];
    uint32_t idx = w->seen++;
    /* Siblings wait below the dependents: node, dependents, then next (pre-order). */
    if (f.block->NextBlock != NULL) {
        w->stack[w->depth].block = f.block->NextBlock;
        w->stack[w->depth].parent = f.parent;
        w->depth++;
    }
    if (f.block->DependentBlockList != NULL) {
        if (PLAT_LIKELY(w->depth < SHIM_WALK_DEPTH)) {
            w->stack[w->depth].block = f.block->DependentBlockList;
            w->stack[w->depth].parent = idx < SHIM_NO_PARENT ? (uint16_t)idx : SHIM_NO_PARENT;
            w->depth++;
        } else {
            w->flags |= SHIM_EVF_TREE_CYCLE; /* deeper than any legal tree: cut here */
        }
    }
    *parent = f.parent;
    return f.block;
}

/* Does block `b` carry trailing state for this operation? Decided once, at request-in,
 * from the roles of reference §3.1 as the host set them up (MOBL view). */
int shim_block_has_state(uint8_t operation, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b)
{
    if (operation == SHIM_OP_INVALIDATE || b->MiniportOffloadContext == NULL)
        return 0;
    if (shim_state_mask(b->Header.Type) == 0)
        return 0;
    int refers = *b->MiniportOffloadContext != NULL;
    return operation == SHIM_OP_INITIATE ? !refers : refers;
}

void shim_layout_init(shim_layout table[256])
{
    for (uint32_t type = 0; type < 256; type++) {
        shim_layout *l = &table[type];
        uint32_t mask = shim_state_mask(type), off = 0;
        l->n = 0;
        for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
            if (!(mask & bit))
                continue;
            off = shim_state_next_offset(off, bit);
            l->st[l->n].bit = (uint16_t)bit;
            l->st[l->n].off = (uint16_t)off;
            l->st[l->n].size = (uint16_t)shim_state_size(bit);
            l->n++;
            off += shim_state_size(bit);
        }
        l->total = (uint16_t)(off <= SHIM_STATE_MAX_BYTES ? off : SHIM_STATE_MAX_BYTES);
    }
}

static void copy_path_addresses(shim_block_rec *br, const uint8_t *state, uint32_t type)
{
    const PATH_OFFLOAD_STATE_CONST *pc = (const PATH_OFFLOAD_STATE_CONST *)state;
    uint8_t n = (type >= Ip6OffloadConstState && type <= Ip6OffloadState) ? 16 : 4;
    br->addr_len = n;
    br->flags |= SHIM_BLKF_ADDRS;
    if (pc->SourceAddress != NULL)
        plat_memcpy(br->src_addr, pc->SourceAddress, n);
    if (pc->DestinationAddress != NULL)
        plat_memcpy(br->dst_addr, pc->DestinationAddress, n);
}

uint32_t shim_copy_block(const shim_layout *layouts, shim_block_rec *br,
                         PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, uint16_t parent, int with_state)
{
    const shim_layout *l = &layouts[b->Header.Type];
    uint32_t state_len = with_state ? l->total : 0;
    br->len = (uint16_t)ring_align((uint32_t)sizeof *br + state_len);
    br->parent = parent;
    br->state_len = (uint16_t)state_len;
    br->flags = 0;
    br->addr_len = 0;
    br->block_ptr = (uint64_t)(uintptr_t)b;
    br->ctx_value = 0;
    if (b->MiniportOffloadContext != NULL) {
        br->ctx_value = (uint64_t)(uintptr_t)*b->MiniportOffloadContext;
        br->flags |= SHIM_BLKF_CTX_VALUE;
    }
    plat_memcpy(br->raw, b, SHIM_BLOCK_RAW_BYTES);
    if (state_len == 0)
        return br->len;
    const uint8_t *state = (const uint8_t *)b + sizeof *b;
    plat_memcpy(br + 1, state, state_len);
    /* Check each structure's Length against its type; a wrong one is flagged (the trace
     * keeps the bytes, the verifier names the rule). */
    for (uint32_t i = 0; i < l->n; i++) {
        const OFFLOAD_STATE_HEADER *h = (const OFFLOAD_STATE_HEADER *)(state + l->st[i].off);
        if (h->Length != l->st[i].size)
            br->flags |= SHIM_BLKF_STATE_CUT;
        if (l->st[i].bit == SHIM_ST_PATH_CONST)
            copy_path_addresses(br, state + l->st[i].off, b->Header.Type);
    }
    return br->len;
}
