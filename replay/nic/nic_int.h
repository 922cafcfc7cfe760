/* nic_int.h - the simulated NIC's insides, shared by its source files and its unit tests:
 * the seeded PRNG and latency draws (nic_latency.c), the pure frame builder (nic_frames.c),
 * offloaded objects and their pools (nic_state.c), the tree walks of the five operations
 * (nic_state.c, nic_ops.c), the traffic timers (nic_traffic.c) and the glue (nic.c).
 * Not for users of the NIC: they see only nic.h.
 */
#ifndef CT_NIC_INT_H
#define CT_NIC_INT_H

#include <pthread.h>

#include "ct_rng.h"
#include "nic.h"

/* ---- PRNG: splitmix64 seeding, xoshiro256** draws (never rand(): runs must repeat) ------- */

typedef ct_rng nic_rng;

void nic_rng_seed(nic_rng *r, uint64_t seed);
uint64_t nic_rng_next(nic_rng *r);
uint64_t nic_rng_below(nic_rng *r, uint64_t n); /* uniform in [0, n); 0 when n == 0 */
double nic_rng_unit(nic_rng *r);                 /* uniform in (0, 1) */

/* One completion latency. */
uint64_t nic_latency_draw(const nic_latency *l, nic_rng *r);
/* CT_OK when a parsed or hand-filled latency is usable. */
ct_err nic_latency_check(const nic_latency *l, ct_errinfo *ei);

/* ---- frames: a pure function of a description (nic_frames.c) ----------------------------- */

#define NIC_TCP_FIN 0x01
#define NIC_TCP_SYN 0x02
#define NIC_TCP_RST 0x04
#define NIC_TCP_PSH 0x08
#define NIC_TCP_ACK 0x10

#define NIC_FRAME_MAX 9300u   /* 9000-byte MTU + Ethernet + 802.1Q */

typedef struct nic_frame_desc {
    uint8_t dst_mac[6], src_mac[6];
    uint16_t vlan_id;         /* 0: no 802.1Q tag */
    uint8_t user_priority;    /* PCP of the tag */
    int ipv6;
    uint8_t src_ip[16], dst_ip[16]; /* 4 bytes used for IPv4 */
    uint8_t tos;              /* IPv4 TOS / IPv6 traffic class */
    uint8_t ttl;              /* IPv4 TTL / IPv6 hop limit */
    uint32_t flow_label;      /* IPv6, 20 bits */
    uint16_t ip_id;           /* IPv4 identification */
    uint8_t sport[2], dport[2]; /* TCP ports exactly as they go on the wire */
    uint32_t seq, ack;
    uint8_t flags;            /* NIC_TCP_* */
    uint16_t window;
    int has_ts;               /* timestamp option (NOP NOP TS) */
    uint32_t ts_val, ts_ecr;
    uint32_t payload_len;     /* payload byte i is (uint8_t)(seq + i) */
} nic_frame_desc;

/* Write the frame into buf (cap bytes); returns its length, 0 when it does not fit. */
uint32_t nic_frame_build(const nic_frame_desc *d, uint8_t *buf, uint32_t cap);

/* RFC 1071 sum helpers, exposed for the tests that recompute checksums. */
uint32_t nic_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t nic_csum_fold(uint32_t sum);

/* ---- offloaded objects ------------------------------------------------------------------- */

enum nic_obj_state { NIC_OBJ_FREE = 0, NIC_OBJ_LIVE = 1, NIC_OBJ_TERMINATING = 2 };

enum nic_timer_kind { NIC_TIMER_DATA = 0, NIC_TIMER_ACK, NIC_TIMER_KEEPALIVE, NIC_TIMER_COUNT };

typedef struct nic_obj nic_obj;
struct nic_obj {
    uint8_t kind;             /* enum nic_kind */
    uint8_t state;            /* enum nic_obj_state */
    uint8_t invalid;          /* invalidated: a TCP object stops sending */
    uint8_t ipv6;             /* path and TCP: the address family */
    uint32_t gen;             /* bumped on every allocation and free: stale timers see it */
    uint32_t index;           /* slot in its pool */
    uint32_t nchildren;       /* live dependents (paths of a neighbor, TCPs of a path) */
    nic_obj *parent;          /* neighbor of a path, path of a TCP; NULL when unlinked */
    NDIS_HANDLE ndis_handle;  /* the block's NdisOffloadHandle */
    /* terminate bookkeeping (under the NIC lock, within one operation) */
    uint64_t term_mark;
    uint32_t children_going;  /* dependents terminated by the same operation */
    uint8_t term_ok;          /* may go: every dependent goes too */
    nic_obj *term_next;
    union {
        struct {
            NEIGHBOR_OFFLOAD_STATE_CONST c;
            NEIGHBOR_OFFLOAD_STATE_CACHED ca;
            uint32_t reach_base;      /* NicReachabilityDelta at reach_base_ns */
            uint64_t reach_base_ns;
        } nb;
        struct {
            PATH_OFFLOAD_STATE_CONST c; /* address pointers aim at src/dst below */
            PATH_OFFLOAD_STATE_CACHED ca;
            uint8_t src[16], dst[16];
        } path;
        struct {
            TCP_OFFLOAD_STATE_CONST c;
            TCP_OFFLOAD_STATE_CACHED ca;
            TCP_OFFLOAD_STATE_DELEGATED d; /* the live copy: advances with traffic */
            nic_rng rng;
            uint64_t start_ns;            /* offload time: timestamp clock origin */
            uint32_t ts_base;             /* TsTime at start_ns */
            uint32_t ts_recent_base;      /* TsRecent at start_ns */
            uint16_t ip_id;
            uint8_t timers;               /* armed timer chains */
        } tcp;
    } u;
};

typedef struct nic_pool {
    nic_obj *slots;
    uint32_t cap, used;
    uint32_t *free_idx;       /* stack of free slot indexes */
    uint32_t nfree;
} nic_pool;

/* An event posted to the scheduler: a delayed completion or one timer chain's tick. */
typedef struct nic_event nic_event;
struct nic_event {
    struct nic *n;
    nic_event *next;          /* free list / chunk chaining */
    uint8_t is_timer;
    uint8_t kind;             /* enum nic_op, or enum nic_timer_kind */
    uint32_t gen;
    uint64_t due_ns;          /* timer: the tick's scheduled time (the cadence's anchor) */
    nic_obj *obj;
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root;
};

typedef struct nic_vlan {
    uint16_t id;
    uint32_t refs;
} nic_vlan;

struct nic {
    ndm *model;
    sched *s;
    uint32_t lane;
    nic_config cfg;
    char name[64];
    ndm_miniport_driver *drv;
    ndm_adapter *adapter;

    pthread_mutex_t mu;       /* everything below */
    nic_rng rng;              /* latency draws */
    nic_pool pool[NIC_KIND_COUNT];
    nic_vlan *vlans;
    uint64_t op_seq;
    nic_stats st;
    nic_frame_fn sink;
    void *sink_ctx;
    nic_event *free_events;
    void **event_chunks;
    size_t nchunks, chunk_cap;
};

/* ---- nic.c ------------------------------------------------------------------------------- */
nic_event *nic_event_get(nic *n);             /* lock held; NULL when out of memory */
void nic_event_put(nic *n, nic_event *ev);    /* lock held */

/* ---- nic_state.c: pools, lookups, state layout, initiate --------------------------------- */
ct_err nic_pools_init(nic *n);
void nic_pools_fini(nic *n);
/* The live (or terminating) object a block references, or NULL (counted as bad_context). */
nic_obj *nic_lookup(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b);
/* Return a terminated object's slot (after its terminate completed). Lock held. */
void nic_obj_release(nic *n, nic_obj *o);
void nic_obj_unlink(nic_obj *o);
void nic_obj_link(nic_obj *o, nic_obj *parent);

/* The state structures that follow a block, by Header.Type (reference §2.6), at the
 * offsets the shim uses (record.h: natural alignment after the block). */
typedef struct nic_state_view {
    uint32_t mask;            /* SHIM_ST_* bits present */
    int kind;                 /* enum nic_kind of the Type, -1 for none */
    int ipv6;
    void *cnst, *cached, *deleg;
} nic_state_view;
void nic_state_view_of(PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b, nic_state_view *v);
/* 1 when a state struct's header Length is acceptable (its size, or 0: not set). */
int nic_state_len_ok(const void *state, uint32_t bit);

/* Blocks a tree may hold at most: more means a cycle (the walk stops there). */
uint32_t nic_block_budget(const nic *n);

/* Walk an initiate tree: write every Status, allocate objects, start traffic. Lock held. */
void nic_do_initiate(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now);

/* ---- nic_ops.c: terminate, query, update, invalidate ------------------------------------- */
/* Returns the objects to release after the completion call, chained by term_next. */
nic_obj *nic_do_terminate(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now);
void nic_do_query(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now);
void nic_do_update(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now);
void nic_do_invalidate(nic *n, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint64_t now);

/* Current delegated state (for query and terminate). */
void nic_neighbor_delegated(const nic *n, const nic_obj *o, uint64_t now,
                            NEIGHBOR_OFFLOAD_STATE_DELEGATED *out);
void nic_tcp_delegated(const nic *n, const nic_obj *o, uint64_t now,
                       TCP_OFFLOAD_STATE_DELEGATED *out);

/* ---- nic_traffic.c ----------------------------------------------------------------------- */
/* A TCP object just went live: seed its traffic and arm its timer chains. Lock held. */
void nic_traffic_start(nic *n, nic_obj *o, uint64_t now);
/* Keep-alive may have been switched on by an update. Lock held. */
void nic_traffic_update(nic *n, nic_obj *o, uint64_t now);
/* A timer event fired (scheduler callback). */
void nic_traffic_fire(nic_event *ev);
/* 1 when a TCP object may transmit: valid and linked through valid path and neighbor. */
int nic_tcp_can_send(const nic_obj *o);
/* Fill a frame description from a TCP object's current state (no payload, ACK flag). */
void nic_frame_desc_of(const nic *n, const nic_obj *o, uint64_t now, nic_frame_desc *d);

#endif
