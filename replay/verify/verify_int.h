/* verify_int.h - what the parts of ct_verify share: the rule list, the per-operation and
 * per-object state the checker keeps, the per-event scratch and the reporting helpers.
 *
 * Private to the sources of replay/verify/; tools include verify.h only.
 */
#ifndef CT_VERIFY_INT_H
#define CT_VERIFY_INT_H

#include <stdarg.h>
#include <stdint.h>

#include "obj.h"
#include "verify.h"

/* ---- rules -------------------------------------------------------------------------------
 * X(enum suffix, id, §4.3 check, reference section, edges, title). The order is the order of
 * verify_rules(); ids are stable (RULES.md), the order is not. */
#define VERIFY_RULE_LIST(X)                                                                    \
    X(TREE_MALFORMED, "tree.malformed", 1, "FORMAT §6.2; §4.3.1", "1-4",                        \
      "index/parent fields describe a pre-order block tree (no cycles, parents precede)")       \
    X(TREE_TCP_DEPENDENTS, "tree.tcp_dependents", 1, "§3.1; §4.3.1", "1-4",                    \
      "a TCP block has no DependentBlockList")                                                 \
    X(TREE_LAYER_ORDER, "tree.layer_order", 1, "§3.1; §4.3.1", "1-4",                          \
      "DependentBlockList leads one layer up only: neighbor -> path -> TCP")                   \
    X(TREE_SIBLING_LAYER, "tree.sibling_layer", 1, "§3.1; §4.3.1", "1-4",                      \
      "NextBlock siblings are on the same layer")                                             \
    X(TREE_DEPTH, "tree.depth", 1, "§3.1; §4.3.1", "1-4", "at most three levels of blocks")    \
    X(TREE_TRUNCATED, "tree.truncated", 1, "FORMAT §6.1", "1-4",                               \
      "note: the tree was cut at the capture limit; checks needing the whole tree skipped")    \
    X(STATE_TYPE, "state.type", 2, "§2.6; §4.3.2", "1-4",                                      \
      "Header.Type is an OFFLOAD_STATE_TYPE and names exactly the state structs that follow")  \
    X(STATE_HEADER_SIZE, "state.header_size", 2, "§2.3-2.5; §4.3.2", "1-4",                    \
      "Header.Size is the block-list size of the trace's ABI (x64 0x98, x86 0x4c)")            \
    X(STATE_LENGTH, "state.length", 2, "§2.7; §4.3.2", "1-4",                                  \
      "every OFFLOAD_STATE_HEADER.Length is its struct's size for the ABI")                    \
    X(STATE_OP_TYPE, "state.op_type", 2, "§2.6; §3.7", "1-4",                                  \
      "update carries CACHED state only, terminate DELEGATED state only")                      \
    X(STATE_INVALIDATE, "state.invalidate", 2, "§2.6; §3.7; §4.3.2", "1-4",                    \
      "invalidate trees carry no state")                                                       \
    X(ROLE_PLACEHOLDER, "role.placeholder", 3, "§3.1; §4.3.3", "1",                            \
      "a placeholder (MiniportOffloadContext NULL) carries no state")                          \
    X(ROLE_LINKER, "role.linker", 3, "§3.1; §4.3.3", "1",                                      \
      "an initiate linker carries no state and has dependents")                                \
    X(ROLE_NEW, "role.new", 3, "§2.6; §3.1; §4.3.3", "1",                                      \
      "an initiate new offload carries the full XxxOffloadState of its layer")                 \
    X(COMPLETION_DUPLICATE, "completion.duplicate", 4, "§1.1; §4.3.4", "1-4",                  \
      "one event per edge per operation instance (a completion comes back exactly once)")      \
    X(COMPLETION_ORDER, "completion.order", 4, "FORMAT §6.1; §4.3.4", "1-4",                   \
      "an instance passes its edges in order 1, 2, 3, 4 (by seq)")                             \
    X(COMPLETION_MISSING, "completion.missing", 4, "§1.1; §4.3.4", "1-4, end",                 \
      "every instance has all four edges: each request completes, each completion had a request") \
    X(COMPLETION_KIND, "completion.kind", 4, "§1.2; §4.3.4", "2-4",                            \
      "every edge of an instance is the same operation (no query completion for a terminate)") \
    X(COMPLETION_ROOT, "completion.root", 4, "§1.1; §2.4; §4.3.4", "3 vs 2; 4 vs 1",           \
      "the completion returns the root block that was passed down")                            \
    X(STATUS_UNWRITTEN, "status.unwritten", 5, "§3.2; §4.3.5", "3, 4",                         \
      "every block's Status is written (not the host's 0xDEADBEEF pre-fill)")                  \
    X(STATUS_ILLEGAL, "status.illegal", 5, "§2.8; §3.2; §4.3.5", "3, 4",                       \
      "Status is legal for the operation: PARTIAL_SUCCESS and resource codes on initiate only") \
    X(STATUS_PLACEHOLDER, "status.placeholder", 5, "§3.1; §4.3.5", "3, 4",                     \
      "placeholders complete with NDIS_STATUS_SUCCESS")                                        \
    X(STATUS_DEPENDENTS, "status.dependents", 5, "§3.1; §3.2; §4.3.5", "3, 4",                 \
      "initiate: SUCCESS/PARTIAL_SUCCESS/FAILURE agree with the immediate dependents")         \
    X(STATUS_PARENT_FAILED, "status.parent_failed", 5, "§3.2; §4.3.5", "3, 4",                 \
      "initiate: a block whose parent failed is not offloaded")                                \
    X(CTX_NOT_WRITTEN, "ctx.not_written", 6, "§3.2; §3.4; §4.3.6", "3, 4",                      \
      "initiate: an offloaded new block has its *MiniportOffloadContext written")              \
    X(CTX_WRITTEN_ON_FAILURE, "ctx.written_on_failure", 6, "§3.2; §4.3.6", "3, 4",             \
      "initiate: a failed new block's *MiniportOffloadContext is not written")                 \
    X(CTX_CHANGED, "ctx.changed", 6, "§3.3; §4.3.6", "1, 3, 4",                                \
      "an offloaded object's context stays what its initiate wrote, for its whole life")       \
    X(RESTORE_SHAPE, "restore.shape", 7, "§3.4; §4.3.7", "4 vs 1; 3 vs 2",                     \
      "the completion returns the same blocks, linked the same way")                           \
    X(RESTORE_HEADER, "restore.header", 7, "§3.4; §4.3.7", "4 vs 1; 3 vs 2",                   \
      "Header.Type/Revision/Size are unchanged")                                               \
    X(RESTORE_HANDLE, "restore.handle", 7, "§3.5; §4.3.7", "4 vs 1; 3 vs 2",                   \
      "each block's NdisOffloadHandle/OffloadHandle is the one passed down")                   \
    X(RESTORE_IM_HANDLE_LEAK, "restore.im_handle_leak", 7, "§3.5; §4.3.7", "4 vs 2, 3",        \
      "the IM's own offload handles never reach the host (IM handle passed up)")               \
    X(RESTORE_IM_RESERVED, "restore.im_reserved", 7, "§3.4; §3.5; §4.3.7", "4 vs 1; 3 vs 2",   \
      "ImReserved is restored (host boundary) / untouched by the target")                      \
    X(RESTORE_SOURCE_HANDLE, "restore.source_handle", 7, "§3.4; §3.5; §4.3.7", "4 vs 1",       \
      "SourceHandle is restored before NdisMXxxComplete")                                      \
    X(RESTORE_PROTOCOL_RESERVED, "restore.protocol_reserved", 7, "§3.4; §4.3.7",              \
      "4 vs 1; 3 vs 2", "ProtocolReserved is never modified below the protocol that owns it")  \
    X(RESTORE_CONTEXT_SLOT, "restore.context_slot", 7, "§2.4; §3.5; §4.3.7", "4 vs 1",         \
      "the MiniportOffloadContext pointer (NDIS's slot) is restored at the host boundary")     \
    X(LIFE_BEFORE_INITIATE, "life.before_initiate", 9, "§3.8; §4.3.9", "1",                    \
      "no operation on (or linker to) an object before its initiate completed")                \
    X(LIFE_NOT_OFFLOADED, "life.not_offloaded", 9, "§3.8; §4.3.9", "1",                        \
      "operations name objects that are offloaded (not refused, not terminated, not unknown)") \
    X(LIFE_DOUBLE_INITIATE, "life.double_initiate", 9, "§3.8; §4.3.9", "1",                    \
      "no second initiate of an object offloaded or in flight")                                \
    X(LIFE_UPDATE_OVERLAP, "life.update_overlap", 10, "§3.8; §4.3.10", "1",                    \
      "at most one update in flight per object")                                               \
    X(LIFE_UPDATE_AFTER_INVALIDATE, "life.update_after_invalidate", 10, "§3.7; §4.3.10", "1", \
      "no update of an invalidated object")                                                    \
    X(LIFE_TERMINATE_BUSY, "life.terminate_busy", 11, "§3.6; §3.8; §4.3.11", "1",              \
      "terminate only after the object's other operations completed; none during terminate")  \
    X(LIFE_TERMINATE_DEPENDENTS, "life.terminate_dependents", 12, "§3.6; §4.3.12", "1",       \
      "a neighbor/path is terminated with no offloaded dependents left outside its tree")     \
    X(LIFE_LEAK, "life.leak", 12, "§3.3", "end",                                               \
      "note: objects still offloaded at the end of a clean trace (the host may keep them)")   \
    X(TRACE_LOSS, "trace.loss", 0, "FORMAT §6.5", "-",                                         \
      "note: the recorder lost events; rules they could fool become notes")                   \
    X(TRACE_TRUNCATED, "trace.truncated", 0, "FORMAT §7", "-",                                 \
      "note: the file ends early; unfinished operations become notes")                        \
    X(TRACE_DAMAGED, "trace.damaged", 0, "FORMAT §7", "-",                                     \
      "note: a damaged chunk was skipped; rules its events could fool become notes")          \
    X(TRACE_ABI, "trace.abi", 0, "FORMAT §3", "-",                                             \
      "note: the header names no known ABI; size and length checks skipped")

enum {
#define VR_ENUM(e, id, chk, sec, edges, title) VR_##e,
    VERIFY_RULE_LIST(VR_ENUM)
#undef VR_ENUM
    VR_COUNT
};

/* ---- trace constants ------------------------------------------------------------------- */

/* chimtrace.v1.Operation and Edge values, as plain ints (the generated enums do not compare
 * with each other without casts). */
#define VOP_INITIATE 1
#define VOP_TERMINATE 2
#define VOP_UPDATE 3
#define VOP_QUERY 4
#define VOP_INVALIDATE 5
#define VEDGE_REQ_IN 1
#define VEDGE_REQ_OUT 2
#define VEDGE_CMPL_IN 3
#define VEDGE_CMPL_OUT 4
enum { VL_NONE = 0, VL_NEIGHBOR = 1, VL_PATH = 2, VL_TCP = 3 };

/* Block roles (reference §3.1), decided at request-in. REF: the block references an
 * offloaded object (*MiniportOffloadContext != NULL): a linker in an initiate tree. */
enum { VROLE_UNKNOWN = 0, VROLE_PLACEHOLDER, VROLE_REF, VROLE_NEW };

#define VST_SUCCESS 0x00000000u
#define VST_PARTIAL 0x40020004u
#define VST_FAILURE 0xC0000001u
#define VST_NOT_SUPPORTED 0xC00000BBu
#define VST_SENTINEL 0xDEADBEEFu

/* Trailing-state kinds, one bit each: neighbor, path, TCP x CONST, CACHED, DELEGATED. */
enum {
    VS_NC = 1 << 0, VS_NCA = 1 << 1, VS_ND = 1 << 2,
    VS_PC = 1 << 3, VS_PCA = 1 << 4, VS_PD = 1 << 5,
    VS_TC = 1 << 6, VS_TCA = 1 << 7, VS_TD = 1 << 8
};
#define VS_CACHED (VS_NCA | VS_PCA | VS_TCA)
#define VS_DELEGATED (VS_ND | VS_PD | VS_TD)

#define VNONE UINT32_MAX

/* ---- what the checker keeps ------------------------------------------------------------- */

/* One block of an operation instance, as an edge showed it. */
typedef struct vblk {
    uint64_t block_id, handle, ctx_slot, ctx_value, source;
    uint64_t imr[2], prot[2];
    uint64_t lower_ctx;         /* *context at edge 3 (the target's view), b1 only */
    uint32_t parent;            /* VNONE on the root chain */
    uint32_t type, revision, size, status;
    uint8_t has_status, has_ctx_value, has_lower_ctx, role, layer, n_imr, n_prot;
    uint8_t applied;            /* lifecycle effect taken at edge 1 (VAPPLY_*) */
} vblk;

enum { VAPPLY_NONE = 0, VAPPLY_NEW, VAPPLY_OTHER, VAPPLY_UPDATE, VAPPLY_TERMINATE };

/* One operation instance in flight (keyed by op_id). */
typedef struct vop {
    uint64_t op_id;
    int op;                     /* Operation of the first event seen */
    uint8_t seen;               /* bit e: edge e seen */
    uint8_t truncated;          /* some edge's tree was cut */
    uint8_t root_bad;           /* bit e: completion.root fired at edge e */
    uint64_t seq[5];
    uint64_t root[5];           /* root block id per edge */
    vblk *b1, *b2;              /* edge 1 (host's view), edge 2 (IM's view below) */
    uint32_t n1, n2;
} vop;

enum { VOBJ_INITIATING = 1, VOBJ_OFFLOADED = 2 };

/* One object the host offloaded or is offloading (keyed by its upper handle id). */
typedef struct vobj {
    uint64_t handle;
    uint64_t parent;            /* handle of the object it depends on, 0: none known */
    uint64_t ctx, lower_ctx, im_handle;
    uint64_t initiate_op;
    uint64_t last_seq;          /* last event that touched it */
    uint64_t busy_since;        /* request-in of the oldest operation in flight on it */
    uint64_t born_seq;          /* request-in of its initiate */
    uint32_t updates, others, terminates;   /* in flight */
    uint32_t ndeps;             /* dependents offloaded */
    uint32_t scratch;
    uint8_t state, layer, invalidated, uncertain, has_ctx, has_lower_ctx, in_parent;
    obj_identity id;
} vobj;

/* A u64 -> pointer map (linear probing, backward-shift deletion). */
typedef struct vmap {
    uint64_t *keys;
    void **vals;                /* NULL: empty slot */
    size_t cap, n;
} vmap;

void *vmap_get(const vmap *m, uint64_t key);
int vmap_put(vmap *m, uint64_t key, void *val);     /* 0 ok, -1 no memory */
void *vmap_del(vmap *m, uint64_t key);
void vmap_free(vmap *m);
/* Visit every value (order unspecified); the map must not change meanwhile. */
void vmap_each(const vmap *m, void (*fn)(void *ctx, void *val), void *ctx);

/* Facts about the blocks of the event being checked, rebuilt per event. */
typedef struct vscratch {
    uint32_t cap;
    uint32_t *parent, *depth, *stack, *last_child, *kids, *kids_ok, *kids_bad, *kids_unknown;
    uint16_t *mask;             /* VS_* bits of the state present */
    uint8_t *role, *layer;
} vscratch;

int vscratch_reserve(vscratch *s, uint32_t n);
void vscratch_free(vscratch *s);

typedef struct vloss {
    uint64_t lo, hi;            /* lost seqs, inclusive */
    int cut;                    /* 1: not lost, but an event whose tree was cut */
} vloss;

#define VRECENT 1024
#define VOPS_MAX 65536          /* instances kept in flight before the oldest half is given up */

struct verify {
    verify_opts opts;
    obj_tracker *objs;
    const obj_identity *ids;    /* identities of the current event's blocks (borrowed) */
    vmap ops, objects;
    vscratch sc;
    struct { uint64_t op_id, seq; uint8_t seen; } recent[VRECENT];   /* completed */
    size_t recent_pos, recent_n;
    vmap recent_by_id;          /* op_id -> slot + 1 in recent[] */
    vloss *loss;
    size_t n_loss, cap_loss;
    int damage_pending;
    uint64_t last_seq;
    int have_seq;
    int abi;
    uint32_t ndis_version;
    int abi_noted, finished;
    int nomem;                  /* an allocation failed while checking an event */
    uint64_t by_rule[VR_COUNT][VERIFY_LEVELS];
    verify_summary sum;
};

/* ---- shared helpers (verify.c) ------------------------------------------------------------ */

/* Report a finding about block `block` (-1: none) of event `ev` (NULL: none), with the
 * object named by the event's identity, else by `handle`. */
void vr_report(verify *v, int rule, verify_level lvl, const Chimtrace__V1__Event *ev,
               const vop *op, int32_t block, uint64_t handle, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* The header's ABI and NDIS version (the sizes check 2 expects). */
void vr_on_header(verify *v, const Chimtrace__V1__TraceHeader *h);

/* Remember that seqs lo..hi were lost (a range known already is not added twice). 0, or -1
 * when out of memory. */
int vr_add_loss(verify *v, uint64_t lo, uint64_t hi);

/* Whether a lost or damaged seq s with lo < s < hi exists; vr_unseen_between also counts
 * events whose tree was cut. */
int vr_lost_between(const verify *v, uint64_t lo, uint64_t hi);
int vr_unseen_between(const verify *v, uint64_t lo, uint64_t hi);

/* VERIFY_NOTE when missing events - or blocks beyond the cut of a truncated tree - could
 * hide what happened to `o` (or, for o NULL, to an object never seen) before `seq`. */
verify_level vr_obj_level(const verify *v, const vobj *o, uint64_t seq);

/* Names for messages. */
const char *vr_op_name(int op);
const char *vr_edge_name(int edge);
const char *vr_status_text(uint32_t st, char *buf, size_t size);   /* name or 0x%08x */
const char *vr_type_text(uint32_t type, char *buf, size_t size);

/* Layer of an OFFLOAD_STATE_TYPE, VL_NONE when the value is not a valid type. */
int vr_type_layer(uint32_t type);
/* VS_* structs the type names; 0 for an invalid type. */
unsigned vr_type_mask(uint32_t type);
/* Whether the type is a full XxxOffloadState (CONST, CACHED and DELEGATED). */
int vr_type_is_full(uint32_t type);

/* ---- per-part entry points ------------------------------------------------------------- */

/* verify_tree.c: roles (from the op's request-in when known), tree shape and state checks
 * for every edge; block roles against trailing state at request-in. */
void vr_event_roles(verify *v, const vop *op, const Chimtrace__V1__Event *ev);
void vr_check_tree(verify *v, vop *op, const Chimtrace__V1__Event *ev, int opk);
void vr_check_roles(verify *v, const vop *op, const Chimtrace__V1__Event *ev);

/* verify_ops.c: operation instances (check 4), snapshots, restore (check 7). */
vop *vr_op_track(verify *v, const Chimtrace__V1__Event *ev, int *skip);
int vr_op_snapshot(verify *v, vop *op, const Chimtrace__V1__Event *ev);
void vr_check_restore(verify *v, vop *op, const Chimtrace__V1__Event *ev);
void vr_op_done(verify *v, vop *op);        /* after edge 4: missing edges, forget it */
void vr_ops_finish(verify *v);              /* end of trace */
void vr_op_free(vop *op);

/* verify_status.c: statuses (check 5) and contexts (check 6) at edges 3 and 4. */
void vr_check_status(verify *v, const vop *op, const Chimtrace__V1__Event *ev);
void vr_check_context(verify *v, vop *op, const Chimtrace__V1__Event *ev);

/* verify_lifecycle.c: checks 9-12 at request-in, object transitions at completion-out. */
void vr_life_request(verify *v, vop *op, const Chimtrace__V1__Event *ev);
void vr_life_complete(verify *v, vop *op, const Chimtrace__V1__Event *ev);
void vr_life_finish(verify *v);
void vr_objects_free(verify *v);

#endif /* CT_VERIFY_INT_H */
