/* tree_builder.c - test trees with trailing state (see tree_builder.h). Values are derived
 * from a seed so that tests can predict every field the encoder must produce. */
#include "tree_builder.h"

#include <stdlib.h>
#include <string.h>

#include "record.h"

static uint32_t state_offset(uint32_t type, uint32_t want)
{
    uint32_t mask = shim_state_mask(type), off = 0;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (!(mask & bit))
            continue;
        off = shim_state_next_offset(off, bit);
        if (bit == want)
            return off;
        off += shim_state_size(bit);
    }
    return UINT32_MAX;
}

static const uint8_t v4_src[4] = {10, 0, 0, 1}, v4_dst[4] = {10, 0, 0, 2};

static void fill(tb_block *b, uint32_t type, uint32_t seed)
{
    uint32_t mask = shim_state_mask(type);
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (!(mask & bit))
            continue;
        uint8_t *p = b->state + state_offset(type, bit);
        ((OFFLOAD_STATE_HEADER *)p)->Length = shim_state_size(bit);
        if (bit == SHIM_ST_NEIGHBOR_CONST) {
            NEIGHBOR_OFFLOAD_STATE_CONST *s = (void *)p;
            for (int i = 0; i < 6; i++)
                s->DlSourceAddress[i] = (UCHAR)(0x50 + i);
            s->VlanId = 42;
        } else if (bit == SHIM_ST_NEIGHBOR_CACHED) {
            NEIGHBOR_OFFLOAD_STATE_CACHED *s = (void *)p;
            for (int i = 0; i < 6; i++)
                s->DlDestinationAddress[i] = (UCHAR)(0x60 + i);
            s->HostReachabilityDelta = seed + 1;
        } else if (bit == SHIM_ST_PATH_CONST) {
            PATH_OFFLOAD_STATE_CONST *s = (void *)p;
            s->SourceAddress = v4_src;
            s->DestinationAddress = v4_dst;
        } else if (bit == SHIM_ST_PATH_CACHED) {
            ((PATH_OFFLOAD_STATE_CACHED *)p)->PathMtu = 1500;
        } else if (bit == SHIM_ST_TCP_CONST) {
            TCP_OFFLOAD_STATE_CONST *s = (void *)p;
            s->RemotePort = (USHORT)(1000 + seed);
            s->LocalPort = 80;
            s->RcvWindScale = 7;
            s->SndWindScale = 3;
        } else if (bit == SHIM_ST_TCP_DELEGATED) {
            TCP_OFFLOAD_STATE_DELEGATED *s = (void *)p;
            s->State = TcpConnectionEstablished;
            s->SndNxt = 1000 * seed + 460;
            s->RcvNxt = 77 * seed;
        }
    }
}

tb_block *tb_new(uint32_t type, int with_state, int placeholder, PVOID ctx_value, uint32_t seed)
{
    tb_block *b = calloc(1, sizeof *b);
    size_t bytes = sizeof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST) + SHIM_STATE_MAX_BYTES;
    b->mobl = calloc(1, bytes); /* malloc alignment (16) suits every chimney struct */
    b->state = (uint8_t *)(b->mobl + 1);
    b->mobl->Header.Type = (UCHAR)type;
    b->mobl->Header.Revision = 1;
    b->mobl->Header.Size = sizeof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST);
    b->mobl->Status = (NDIS_STATUS)0xDEADBEEF;
    b->ctx = ctx_value;
    b->mobl->MiniportOffloadContext = placeholder ? NULL : &b->ctx;
    b->mobl->NdisOffloadHandle = &b->handle;
    if (with_state)
        fill(b, type, seed);
    return b;
}

void tb_free(tb_block *b)
{
    if (b == NULL)
        return;
    free(b->mobl);
    free(b);
}

void tb_next(tb_block *a, tb_block *b)
{
    a->mobl->NextBlock = b->mobl;
}

void tb_dep(tb_block *a, tb_block *b)
{
    a->mobl->DependentBlockList = b->mobl;
}

void *tb_state(tb_block *b, uint32_t bit)
{
    return b->state + state_offset(b->mobl->Header.Type, bit);
}
