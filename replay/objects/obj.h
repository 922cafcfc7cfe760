/* obj.h - which chimney object a block is about, from a trace alone.
 *
 * Handles and ids differ from run to run; objects do not. A neighbor is its link-layer
 * address (NEIGHBOR_OFFLOAD_STATE_CACHED.DlDestinationAddress) and VLAN, a path its address
 * pair, a TCP connection its 4-tuple (its path's addresses and its ports). The tracker learns
 * identities from the state that initiate carries at the request-in edge, keyed by the
 * upper driver's handle id (Block.offload_handle_id at edges 1 and 4), keeps them while the
 * object is offloaded, and gives every block of every event its identity: edges 2 and 3
 * (the IM's own handles) take the identity of the same pre-order block at edge 1 of the
 * same operation instance. Diff aligns events by these identities; verify names objects
 * with them. Memory: one entry per offloaded object and per operation in flight.
 */
#ifndef CT_OBJ_H
#define CT_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"

typedef enum obj_kind { OBJ_NONE = 0, OBJ_NEIGHBOR = 1, OBJ_PATH = 2, OBJ_TCP = 3 } obj_kind;

typedef struct obj_identity {
    obj_kind kind;
    uint8_t family;          /* 4 or 6 (paths, TCP) */
    uint16_t vlan;           /* neighbors */
    uint8_t mac[6];          /* neighbors: DlDestinationAddress[0..5] */
    uint8_t src[16], dst[16];/* paths and TCP: network order, family bytes used */
    uint16_t lport, rport;   /* TCP: port numbers (host order) */
} obj_identity;

/* "neighbor 52:54:00:12:34:56 vlan 5", "path 10.0.0.1 -> 198.18.0.2",
 * "tcp 10.0.0.1:49152 -> 198.18.0.2:443", "[2001:db8::1]:49152 -> ..." for IPv6, "-" for
 * none. Returns the length written (snprintf rules). */
int obj_format(const obj_identity *id, char *buf, size_t size);

/* Total order: kind, then fields. Equal identities compare 0. */
int obj_cmp(const obj_identity *a, const obj_identity *b);

/* FNV-1a over the identity's fields (a fixed 46-byte encoding, so padding never counts),
 * continuing from `h`: start with OBJ_HASH_SEED, or chain several identities. Equal
 * identities hash equal. */
#define OBJ_HASH_SEED 0xcbf29ce484222325ull
uint64_t obj_hash(const obj_identity *id, uint64_t h);

typedef struct obj_tracker obj_tracker;

/* Caller frees with obj_tracker_free. */
ct_err obj_tracker_new(obj_tracker **out);
void obj_tracker_free(obj_tracker *t);

/* Feed the next event in file order. *ids receives an array of ev->n_block identities
 * (OBJ_NONE for placeholders and for handles the tracker never saw offloaded), borrowed
 * until the next obj_tracker_feed. Never fails on odd input (it just knows less);
 * CT_ERR_NOMEM only. */
ct_err obj_tracker_feed(obj_tracker *t, const Chimtrace__V1__Event *ev,
                        const obj_identity **ids);

/* The identity of the root block of the event last fed (OBJ_NONE if none). */
const obj_identity *obj_tracker_root(const obj_tracker *t);

#endif
