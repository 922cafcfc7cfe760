/* nic_test_proto.h - a tiny test protocol driver for the NIC suite: binds to the NIC's
 * adapter through the NDIS model, builds POBL trees with trailing state in test memory,
 * records completions (count, root, time, re-entrancy) and captures the NIC's frames.
 */
#ifndef CT_NIC_TEST_PROTO_H
#define CT_NIC_TEST_PROTO_H

#include <chimney/ndis_chimney_functions.h>

#include "ndm.h"
#include "nic.h"
#include "scheduler.h"

#define TP_HOST_LANE 0u
#define TP_NIC_LANE 1u
#define TP_STATUS_SENTINEL ((NDIS_STATUS)0x7EADBEEF)

/* A block followed by its state, laid out the way a C struct holding them in order is
 * (natural alignment: the layout the shim and the NIC assume, reference §2.6), plus room
 * for the path addresses the const state points to. */
typedef struct tp_block {
    NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b;
    union {
        struct {
            NEIGHBOR_OFFLOAD_STATE_CONST c;
            NEIGHBOR_OFFLOAD_STATE_CACHED ca;
            NEIGHBOR_OFFLOAD_STATE_DELEGATED d;
        } nb;
        struct {
            PATH_OFFLOAD_STATE_CONST c;
            PATH_OFFLOAD_STATE_CACHED ca;
            PATH_OFFLOAD_STATE_DELEGATED d;
        } path;
        struct {
            TCP_OFFLOAD_STATE_CONST c;
            TCP_OFFLOAD_STATE_CACHED ca;
            TCP_OFFLOAD_STATE_DELEGATED d;
        } tcp;
        NEIGHBOR_OFFLOAD_STATE_CACHED nb_cached;
        NEIGHBOR_OFFLOAD_STATE_DELEGATED nb_deleg;
        PATH_OFFLOAD_STATE_CACHED path_cached;
        PATH_OFFLOAD_STATE_DELEGATED path_deleg;
        TCP_OFFLOAD_STATE_CACHED tcp_cached;
        TCP_OFFLOAD_STATE_DELEGATED tcp_deleg;
    } st;
    uint8_t addr[32];
} tp_block;

typedef struct tp_frame {
    uint64_t ts;
    NDIS_HANDLE handle;
    uint32_t lane;
    uint32_t len;
    uint8_t *bytes;
} tp_frame;

typedef struct tp tp;
typedef void (*tp_complete_fn)(tp *t, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);

struct tp {
    ndm *m;
    sched *s;
    nic *n;
    ndm_protocol_driver *proto;
    ndm_binding *bind;
    /* completions, per enum nic_op */
    int completions[NIC_OP_COUNT];
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST last_root[NIC_OP_COUNT];
    uint64_t last_ts[NIC_OP_COUNT];
    uint32_t last_lane[NIC_OP_COUNT];
    int in_call;              /* set around each Ndis* down-call */
    int reentrant;            /* completions that arrived inside a down-call */
    tp_complete_fn on_complete;
    void *user;
    /* frames */
    tp_frame *frames;
    size_t nframes, frames_cap;
};

/* Model + scheduler (2 lanes: host 0, NIC 1) + NIC with `cfg` (NULL: defaults) + binding. */
void tp_setup(tp *t, sched_mode mode, const nic_config *cfg);
void tp_teardown(tp *t);

/* Down-calls (set in_call around the model's Ndis* function). */
void tp_call(tp *t, int op, tp_block *root);

/* Block builders. Status is pre-set to TP_STATUS_SENTINEL. */
void tp_neighbor(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t last_mac_byte, uint16_t vlan);
void tp_path4(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint32_t src_be, uint32_t dst_be);
void tp_path6(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t src_last, uint8_t dst_last);
void tp_tcp(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint16_t lport, uint16_t rport);
/* A block that references `h` (linker / terminate / query / ...) with Header.Type `type`. */
void tp_ref(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t type);
void tp_placeholder(tp_block *blk);
void tp_dep(tp_block *parent, tp_block *child);   /* append to DependentBlockList */
void tp_next(tp_block *blk, tp_block *sibling);   /* append to NextBlock chain */

/* 1 when every block of the tree has a Status other than the sentinel. */
int tp_all_status_written(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root);

/* Post fn(arg) on the host lane at absolute virtual time t (or delay in real mode). */
void tp_at(tp *t, uint64_t when_ns, sched_fn fn, void *arg);

/* sched_run, asserting CT_OK. */
void tp_run(tp *t);

/* A scheduler callback that stops the run (arg: the tp). */
void tp_stop_fn(void *arg);

/* A scheduled down-call on the host lane: post tp_step_fn with a tp_step. */
typedef struct tp_step {
    tp *t;
    int op;
    tp_block *root;
} tp_step;
void tp_step_fn(void *arg);

/* Defaults with the given capacities and no traffic, so sched_run returns once the
 * completions are done. */
nic_config tp_quiet_config(uint32_t neighbors, uint32_t paths, uint32_t tcps);

/* The common fixture: neighbor (MAC ..:02, VlanId vlan) -> IPv4 path 192.168.1.10 -> .20
 * -> TCP 8080 -> 50000 (tp_tcp's defaults). */
typedef struct tp_chain {
    NDIS_OFFLOAD_HANDLE hn, hp, ht;
    tp_block n, p, t;
} tp_chain;
void tp_chain_build(tp_chain *c, uint16_t vlan);

/* Blocks referencing a chain's objects with the given Types (terminate, query, ...). */
typedef struct tp_chain_ref {
    tp_block n, p, t;
} tp_chain_ref;
void tp_chain_ref_build(tp_chain_ref *r, tp_chain *c, uint8_t nt, uint8_t pt, uint8_t tt);

/* What the captured frames of one connection (NdisOffloadHandle h) before `until` say:
 * data bytes, frame kinds, the last ACK number and data sequence number. A keep-alive is a
 * zero-length segment at SndNxt - 1. */
typedef struct tp_traffic {
    uint64_t data_bytes;
    uint32_t data_frames, ack_frames, ka_frames, frames;
    uint32_t last_ack, last_data_seq;
    uint64_t first_ts, last_ts;
} tp_traffic;
tp_traffic tp_traffic_of(const tp *t, NDIS_HANDLE h, uint64_t until);

#endif
