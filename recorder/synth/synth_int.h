/* synth_int.h - internals shared by the synth generator's source files (not installed).
 *
 * synth.c owns the object and the record stream, synth_tree.c turns one operation
 * instance into an Event with its block tree, synth_fill.c is the descriptor-driven
 * "every field set" builder with its arena. All output storage lives inside struct
 * ct_synth and is reused, which is what keeps ct_synth_next's memory use constant.
 */
#ifndef CT_SYNTH_INT_H
#define CT_SYNTH_INT_H

#include "synth.h"

#define SYN_NEIGHBORS 6
#define SYN_PATHS_PER_NB 2
#define SYN_TCPS_PER_PATH 2
#define SYN_PATHS (SYN_NEIGHBORS * SYN_PATHS_PER_NB)
#define SYN_TCPS (SYN_PATHS * SYN_TCPS_PER_PATH)
#define SYN_MAX_BLOCKS 8
#define SYN_MAX_INFLIGHT 4
#define SYN_MAX_PENDING 4
#define SYN_RINGS 2
#define SYN_EDGES 4
#define SYN_OPS 5   /* OP_INITIATE..OP_INVALIDATE */

/* x64 layout facts (reference §2.4, §2.7). */
#define SYN_BLOCK_SIZE_X64 0x98u

/* NDIS_STATUS values used on completion edges (reference §2.8). */
#define SYN_STATUS_SUCCESS 0x00000000u
#define SYN_STATUS_FAILURE 0xC0000001u
#define SYN_STATUS_RESOURCES 0xC000009Au
#define SYN_STATUS_PARTIAL 0x40020004u

enum syn_layer { SYN_LAYER_NEIGHBOR = 0, SYN_LAYER_PATH = 1, SYN_LAYER_TCP = 2 };

/* What a stable id stands for. The model's pointers form a bounded set (objects, the
 * block-list memory of each in-flight slot, ...), so ids fit a fixed table. */
enum syn_ns {
    SYN_NS_HOST_HANDLE, SYN_NS_IM_HANDLE, SYN_NS_HOST_SLOT, SYN_NS_IM_SLOT, SYN_NS_IM_ENTRY,
    SYN_NS_MP_CTX, SYN_NS_BLOCK, SYN_NS_CALL_ENTRY, SYN_NS_NBL, SYN_NS_PROTO, SYN_NS_BINDING,
    SYN_NS_COUNT
};
#define SYN_ID_SLOTS 64     /* keys per (namespace, layer); every key used is below this */

typedef struct syn_neighbor {
    uint8_t mac_src[6], mac_dst[6];
    uint32_t vlan_id;
    uint32_t reach_delta;
    int busy;                       /* an operation instance holds this subtree */
} syn_neighbor;

typedef struct syn_path {
    int ipv6;
    uint8_t src[16], dst[16];
    uint32_t mtu;
} syn_path;

typedef struct syn_tcp {
    int offloaded;
    uint16_t local_port, remote_port;
    uint32_t hash;
    uint32_t snd_una, snd_nxt, snd_max, rcv_nxt;
    uint32_t cwnd, srtt, ts_recent;
    uint32_t state;                 /* TCP_OFFLOAD_CONNECTION_STATE */
} syn_tcp;

/* One block of an operation instance's tree, in pre-order. */
typedef struct syn_node {
    uint8_t layer;                  /* enum syn_layer */
    uint8_t nbl;                    /* carries a NetBufferList chain */
    int16_t parent;                 /* -1: on the root's NextBlock chain */
    uint16_t obj;                   /* index into neighbors / paths / tcps */
    uint32_t status;                /* written at the completion edges */
} syn_node;

/* One in-flight state operation: four edges, same op_id and tree on each. */
typedef struct syn_inst {
    int active;
    int slot;                       /* index in ct_synth.inst: picks the block-list memory */
    int op;                         /* Chimtrace__V1__Operation */
    int next_edge;                  /* 1..4 */
    uint32_t ring;
    int nb;
    uint64_t op_id;
    int n_nodes;
    syn_node node[SYN_MAX_BLOCKS];
} syn_inst;

/* Output storage for one Block and its trailing state, reused for every event. */
typedef struct syn_block_out {
    Chimtrace__V1__Block blk;
    uint64_t im_reserved[2], protocol_reserved[2];
    Chimtrace__V1__NeighborConst nconst;
    Chimtrace__V1__NeighborCached ncached;
    Chimtrace__V1__NeighborDelegated ndeleg;
    Chimtrace__V1__PathConst pconst;
    Chimtrace__V1__PathCached pcached;
    Chimtrace__V1__PathDelegated pdeleg;
    Chimtrace__V1__TcpConst tconst;
    Chimtrace__V1__TcpCached tcached;
    Chimtrace__V1__TcpDelegated tdeleg;
} syn_block_out;

/* A FrameRef or Loss waiting to be returned after the event that caused it. */
typedef struct syn_pending {
    int kind;                       /* CHIMTRACE__V1__RECORD__KIND_FRAME / _LOSS */
    Chimtrace__V1__FrameRef frame;
    Chimtrace__V1__Loss loss;
} syn_pending;

typedef struct syn_arena_block syn_arena_block;

typedef struct syn_header_out {
    Chimtrace__V1__TraceHeader hdr;
    Chimtrace__V1__CaptureConfig capture;
    Chimtrace__V1__KeyValue option[2], param[2];
    Chimtrace__V1__KeyValue *option_ptr[2], *param_ptr[2];
    char seed_text[24];
    uint8_t uuid[16];
} syn_header_out;

typedef struct syn_summary_out {
    Chimtrace__V1__Record rec;
    Chimtrace__V1__RunSummary sum;
    Chimtrace__V1__OpCount count[SYN_OPS * SYN_EDGES];
    Chimtrace__V1__OpCount *count_ptr[SYN_OPS * SYN_EDGES];
    Chimtrace__V1__KeyValue note;
    Chimtrace__V1__KeyValue *note_ptr[1];
} syn_summary_out;

struct ct_synth {
    uint64_t seed;
    uint64_t rng;
    uint64_t next_seq, ts_ns, next_op_id, next_frame;
    uint64_t first_ts_ns;
    uint64_t events_until_loss, events_until_frame;
    syn_neighbor nb[SYN_NEIGHBORS];
    syn_path path[SYN_PATHS];
    syn_tcp tcp[SYN_TCPS];
    syn_inst inst[SYN_MAX_INFLIGHT];
    syn_pending pending[SYN_MAX_PENDING];
    int n_pending, pending_head;
    uint64_t op_edge_count[SYN_OPS][SYN_EDGES];
    uint32_t id_table[SYN_NS_COUNT][3][SYN_ID_SLOTS];   /* 0: not seen yet */
    uint32_t next_id;
    ct_synth_stats stats;
    /* output of ct_synth_next */
    Chimtrace__V1__Record rec;
    Chimtrace__V1__Event ev;
    Chimtrace__V1__Block *blk_ptr[SYN_MAX_BLOCKS];
    syn_block_out bout[SYN_MAX_BLOCKS];
    uint64_t ev_frame[1];
    Chimtrace__V1__FrameRef frame_out;
    Chimtrace__V1__Loss loss_out;
    syn_header_out header;
    syn_summary_out summary;
    /* ct_synth_fill_all */
    syn_arena_block *arena;
    uint64_t fill_counter;
};

/* synth.c */
uint64_t syn_rand(ct_synth *s);
uint32_t syn_below(ct_synth *s, uint32_t n);     /* uniform in [0, n), n > 0 */

/* synth_tree.c */
uint64_t syn_id(ct_synth *s, enum syn_ns ns, int layer, unsigned key);  /* FORMAT.md §6.4 */
void syn_world_init(ct_synth *s);
int syn_inst_start(ct_synth *s, syn_inst *in);   /* 0: no free neighbor */
void syn_inst_event(ct_synth *s, syn_inst *in, Chimtrace__V1__Event *ev);
void syn_inst_finish(ct_synth *s, syn_inst *in);

/* synth_fill.c */
void syn_arena_free(ct_synth *s);

#endif /* CT_SYNTH_INT_H */
