/* record.h - the fixed binary layout of the shim's ring records.
 *
 * The shim copies block-list trees into these records on the fast path; the recorder
 * (recorder/encode) turns them into chimtrace.v1 protobuf records later, off the fast
 * path. Both sides include this header, in the model and (through the kernel control
 * device, issue 6) across the user/kernel boundary, so the layout is explicit: fixed-width
 * fields, 8-byte aligned, static-asserted sizes. Pointers are raw 64-bit values here; the
 * recorder maps them to stable ids.
 */
#ifndef CHIMNEY_SHIM_RECORD_H
#define CHIMNEY_SHIM_RECORD_H

#include <stdint.h>

#include <chimney/ndis_chimney.h>

#include "ring.h"

/* ring_rec_hdr.type values */
#define SHIM_REC_EVENT 1u
#define SHIM_REC_LOSS 2u

/* shim_event_rec.h.flags */
#define SHIM_EVF_TREE_TRUNCATED 0x0001u  /* more blocks than max_blocks_per_event */
#define SHIM_EVF_TREE_CYCLE 0x0002u      /* the walk met more blocks than can exist: stopped */
#define SHIM_EVF_REENTRANT 0x0004u       /* completion edge entered inside the down-call */

/* Operations and edges: numerically the same as chimtrace.v1.Operation / Edge. */
enum shim_operation {
    SHIM_OP_INITIATE = 1,
    SHIM_OP_TERMINATE = 2,
    SHIM_OP_UPDATE = 3,
    SHIM_OP_QUERY = 4,
    SHIM_OP_INVALIDATE = 5
};
enum shim_edge {
    SHIM_EDGE_REQUEST_IN_ABOVE = 1,
    SHIM_EDGE_REQUEST_OUT_BELOW = 2,
    SHIM_EDGE_COMPLETION_IN_BELOW = 3,
    SHIM_EDGE_COMPLETION_OUT_ABOVE = 4
};

#define SHIM_BLOCK_RAW_BYTES ((uint32_t)sizeof(NDIS_MINIPORT_OFFLOAD_BLOCK_LIST))
#define SHIM_STATE_MAX_BYTES 256u    /* neighbor, path or TCP triple with padding fits */
#define SHIM_NO_PARENT 0xFFFFu

/* One event: this header, then `nblocks` shim_block_rec in pre-order. */
typedef struct shim_event_rec {
    ring_rec_hdr h;
    uint8_t op;             /* enum shim_op */
    uint8_t edge;           /* enum shim_edge */
    uint16_t nblocks;       /* blocks copied */
    uint32_t blocks_seen;   /* blocks walked (> nblocks when truncated) */
    uint32_t ring;
    uint32_t reserved;
    uint64_t seq;
    uint64_t ts_ns;
    uint64_t op_id;
    uint64_t binding;       /* MiniportAdapterContext / ProtocolBindingContext (raw) */
} shim_event_rec;

/* shim_block_rec.flags */
#define SHIM_BLKF_CTX_VALUE 0x01u   /* ctx_value holds *(PVOID *)slot@0x30 */
#define SHIM_BLKF_ADDRS 0x02u       /* src/dst hold the path addresses */
#define SHIM_BLKF_STATE_CUT 0x04u   /* a state Length was implausible; copy stopped */

/* One block: this header, then `state_len` bytes of trailing state (padded to 8). */
typedef struct shim_block_rec {
    uint16_t len;           /* whole block record, multiple of 8 */
    uint16_t parent;        /* pre-order index, SHIM_NO_PARENT on the root's chain */
    uint16_t state_len;     /* bytes of trailing state copied */
    uint8_t flags;
    uint8_t addr_len;       /* 4 or 16 when SHIM_BLKF_ADDRS */
    uint64_t block_ptr;
    uint64_t ctx_value;
    uint8_t raw[(SHIM_BLOCK_RAW_BYTES + 7u) & ~7u]; /* the block list struct as it was in memory */
    uint8_t src_addr[16];
    uint8_t dst_addr[16];
} shim_block_rec;

/* A loss: the ring dropped `count` records because it was full. Written by the producer as
 * soon as it has room again; sequence numbers first_seq..last_seq were never recorded. */
typedef struct shim_loss_rec {
    ring_rec_hdr h;
    uint32_t ring;
    uint32_t reserved;
    uint64_t count;
    uint64_t first_seq, last_seq;
    uint64_t first_ts_ns, last_ts_ns;
} shim_loss_rec;

_Static_assert(sizeof(shim_event_rec) == 56, "shim_event_rec layout");
_Static_assert(sizeof(shim_block_rec) % 8 == 0, "shim_block_rec alignment");
_Static_assert(sizeof(shim_loss_rec) == 56, "shim_loss_rec layout");

/* Trailing state of one block: which structures follow, by OFFLOAD_STATE_TYPE. */
#define SHIM_ST_NEIGHBOR_CONST 0x001u
#define SHIM_ST_NEIGHBOR_CACHED 0x002u
#define SHIM_ST_NEIGHBOR_DELEGATED 0x004u
#define SHIM_ST_PATH_CONST 0x008u
#define SHIM_ST_PATH_CACHED 0x010u
#define SHIM_ST_PATH_DELEGATED 0x020u
#define SHIM_ST_TCP_CONST 0x040u
#define SHIM_ST_TCP_CACHED 0x080u
#define SHIM_ST_TCP_DELEGATED 0x100u

/* The structures that follow a block of this Header.Type, in memory order (0: none or not a
 * state type). Shared by the shim (copying) and the recorder (decoding). */
static inline uint32_t shim_state_mask(uint32_t type)
{
    switch (type) {
    case NeighborOffloadConstState: return SHIM_ST_NEIGHBOR_CONST;
    case NeighborOffloadCachedState: return SHIM_ST_NEIGHBOR_CACHED;
    case NeighborOffloadDelegatedState: return SHIM_ST_NEIGHBOR_DELEGATED;
    case NeighborOffloadState:
        return SHIM_ST_NEIGHBOR_CONST | SHIM_ST_NEIGHBOR_CACHED | SHIM_ST_NEIGHBOR_DELEGATED;
    case Ip4OffloadConstState: case Ip6OffloadConstState: return SHIM_ST_PATH_CONST;
    case Ip4OffloadCachedState: case Ip6OffloadCachedState: return SHIM_ST_PATH_CACHED;
    case Ip4OffloadDelegatedState: case Ip6OffloadDelegatedState: return SHIM_ST_PATH_DELEGATED;
    case Ip4OffloadState: case Ip6OffloadState:
        return SHIM_ST_PATH_CONST | SHIM_ST_PATH_CACHED | SHIM_ST_PATH_DELEGATED;
    case TcpOffloadConstState: return SHIM_ST_TCP_CONST;
    case TcpOffloadCachedState: return SHIM_ST_TCP_CACHED;
    case TcpOffloadDelegatedState: return SHIM_ST_TCP_DELEGATED;
    case TcpOffloadState: return SHIM_ST_TCP_CONST | SHIM_ST_TCP_CACHED | SHIM_ST_TCP_DELEGATED;
    default: return 0;
    }
}

/* Size and alignment of one state structure (x64 or x86, whatever this build is). */
static inline uint32_t shim_state_size(uint32_t bit)
{
    switch (bit) {
    case SHIM_ST_NEIGHBOR_CONST: return sizeof(NEIGHBOR_OFFLOAD_STATE_CONST);
    case SHIM_ST_NEIGHBOR_CACHED: return sizeof(NEIGHBOR_OFFLOAD_STATE_CACHED);
    case SHIM_ST_NEIGHBOR_DELEGATED: return sizeof(NEIGHBOR_OFFLOAD_STATE_DELEGATED);
    case SHIM_ST_PATH_CONST: return sizeof(PATH_OFFLOAD_STATE_CONST);
    case SHIM_ST_PATH_CACHED: return sizeof(PATH_OFFLOAD_STATE_CACHED);
    case SHIM_ST_PATH_DELEGATED: return sizeof(PATH_OFFLOAD_STATE_DELEGATED);
    case SHIM_ST_TCP_CONST: return sizeof(TCP_OFFLOAD_STATE_CONST);
    case SHIM_ST_TCP_CACHED: return sizeof(TCP_OFFLOAD_STATE_CACHED);
    case SHIM_ST_TCP_DELEGATED: return sizeof(TCP_OFFLOAD_STATE_DELEGATED);
    default: return 0;
    }
}

static inline uint32_t shim_state_align(uint32_t bit)
{
    switch (bit) {
    case SHIM_ST_PATH_CONST: return _Alignof(PATH_OFFLOAD_STATE_CONST);
    case SHIM_ST_TCP_DELEGATED: return _Alignof(TCP_OFFLOAD_STATE_DELEGATED);
    default: return 4;
    }
}

/* Offset of the first state structure after a block, and of each next one: natural C
 * alignment, as a struct holding the structures in order would have (FORMAT.md §6.3; the
 * real padding rule is unconfirmed, reference §2.6, so the trace records every offset). */
static inline uint32_t shim_state_next_offset(uint32_t off, uint32_t bit)
{
    uint32_t a = shim_state_align(bit);
    return (off + a - 1) & ~(a - 1);
}

#endif /* CHIMNEY_SHIM_RECORD_H */
