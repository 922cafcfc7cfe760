/* diff_int.h - what the diff sources share; not part of the public API (diff.h is).
 *
 * Three layers: field comparison with role-canonical ids (diff_fields.c, diff_values.c),
 * the streaming alignment of operation instances (diff_align.c) and the accounting that
 * turns matches into a diff_result (diff_account.c, diff_timing.c); diff.c drives them.
 */
#ifndef CT_DIFF_INT_H
#define CT_DIFF_INT_H

#include "diff.h"
#include "obj_map.h"
#include "tracefile.h"

/* ------------------------------------------------------------------------------------ */
/* Canonical ids                                                                         */

/* Edge slots: 1..4 are the edges, 0 holds events with an unknown edge. */
#define DIFF_SLOTS 5

int diff_edge_slot(const Chimtrace__V1__Event *ev);

/* Where an id first appeared inside one operation instance, per edge slot: a position
 * (slot, field path with indexes) packed in 64 bits; 0 = not seen at that slot. */
typedef struct diff_canon {
    obj_map map;                        /* raw id -> index in first[] */
    uint64_t (*first)[DIFF_SLOTS];
    size_t n, cap;
} diff_canon;

void diff_canon_init(diff_canon *c);
void diff_canon_fini(diff_canon *c);
void diff_canon_clear(diff_canon *c);       /* keeps the memory for reuse */
/* Record the positions of every id in ev (seen at edge slot `slot`). CT_ERR_NOMEM only. */
ct_err diff_canon_feed(diff_canon *c, const Chimtrace__V1__Event *ev, int slot);

/* ------------------------------------------------------------------------------------ */
/* Field comparison                                                                      */

/* A difference: its path, and the index of the block it is in (-1: event or header). */
typedef void (*diff_change_cb)(void *ctx, int block, const diff_change *ch);

typedef struct diff_cmp {
    const diff_opts *opts;
    const diff_canon *canon[2];     /* NULL: ids compared as numbers (header) */
    int slot[2];                    /* edge slot of each side's event */
    unsigned common;                /* slots < slot both sides saw (ids may refer to them) */
    const char *prefix;             /* prepended to every path ("" or "header.") */
    diff_change_cb cb;
    void *ctx;
    size_t count;                   /* differences not ignored */
    /* walk state */
    int depth;
    const ProtobufCFieldDescriptor *fd[8];
    size_t idx[8];
    int block;
} diff_cmp;

void diff_cmp_init(diff_cmp *c, const diff_opts *opts, diff_change_cb cb, void *ctx);

/* Compare two messages of one type field by field (diff.h's rules); returns the number of
 * differences not ignored, each also given to c->cb. */
size_t diff_cmp_messages(diff_cmp *c, const ProtobufCMessage *a, const ProtobufCMessage *b);

/* Whether opts->ignore names `path` (diff.h: a pattern matches whole dotted components
 * anywhere in the path; "block" matches "block[2]"). */
int diff_ignored(const diff_opts *opts, const char *path);

/* Values as report text (diff_values.c). */
typedef enum diff_mode { DIFF_MODE_COMPARE = 0, DIFF_MODE_SKIP = 1, DIFF_MODE_ID = 2 } diff_mode;
diff_mode diff_field_mode(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *fd);

/* Per message type: each field's mode, and whether ids live in it or below. Built once for
 * the types reachable from Event and TraceHeader; NULL for any other type. */
#define DIFF_MAX_FIELDS 64
typedef struct diff_desc_info {
    const ProtobufCMessageDescriptor *d;
    uint8_t mode[DIFF_MAX_FIELDS];
    uint8_t has_ids;
    uint8_t n_id_fields;                /* fields that are ids or may hold some */
    uint8_t id_field[DIFF_MAX_FIELDS];
} diff_desc_info;
const diff_desc_info *diff_desc_info_of(const ProtobufCMessageDescriptor *d);
void diff_format_scalar(char *buf, size_t size, const ProtobufCFieldDescriptor *fd,
                        const void *p);
/* An id label (diff_canon position) as text: "NULL", "new id", "same as <edge> <path>". */
void diff_format_label(char *buf, size_t size, uint64_t label, uint64_t here);
/* The packed position of the id field being visited now (for "new id"). */
uint64_t diff_pos_make(int slot, const diff_cmp *c);
/* "block[2].tcp_delegated.snd_nxt": c->prefix and the walk state, then `suffix` (may be
 * NULL) appended as is ("_count"). */
void diff_path(char *buf, size_t size, const diff_cmp *c, const char *suffix);

/* ------------------------------------------------------------------------------------ */
/* Alignment (diff_align.c)                                                              */

typedef struct d_op d_op;

/* One event held until its counterpart comes or the window expires. */
typedef struct d_stored {
    struct d_stored *prev, *next;       /* the side's held list, oldest first */
    d_op *op;
    int slot;
    uint64_t step;                      /* read step when it arrived */
    diff_event_ref ref;
    const Chimtrace__V1__Event *live;   /* borrowed until the side reads again */
    uint8_t *packed;                    /* owned copy once the live one is gone */
    size_t len, cap;
} d_stored;

struct d_op {
    d_op *lru_prev, *lru_next;          /* the side's open operations, by last activity */
    d_op *pend_next;                    /* FIFO in the side's pending bucket */
    d_op *partner;
    int side, op;
    uint64_t op_id, key;
    int keyed, pending, flushed, done, partner_gone, open;
    int orphan;                         /* an event outside any open instance (duplicate) */
    unsigned seen;                      /* edge slots delivered */
    int max_slot;
    uint64_t ts[DIFF_SLOTS];
    d_stored *stored[DIFF_SLOTS];
    diff_canon canon;
    obj_identity *ids;                  /* per block, from the event that keyed it */
    uint32_t n_ids, cap_ids;
    obj_identity *set;                  /* distinct identities, sorted */
    uint32_t n_set, cap_set;
    obj_identity main;
    struct diff_object_result **objs;   /* accounting's entries for set[], once resolved */
    uint32_t n_objs, cap_objs;
    int objs_ok;
};

typedef struct d_side d_side;
typedef struct diff_run diff_run;

/* Everything one trace contributes. */
struct d_side {
    int which;                          /* 0 = A (expected), 1 = B (got) */
    diff_run *run;
    obj_tracker *trk;
    obj_map ops;                        /* op_id -> open d_op */
    obj_map pending;                    /* key -> d_bucket */
    d_op *lru_head, *lru_tail;
    size_t n_open;
    d_stored *held_head, *held_tail;
    size_t n_held;
    uint64_t *recent;                   /* op_ids of finished operations (ring) */
    size_t recent_cap, recent_n, recent_pos;
    obj_map recent_map;                 /* op_id -> occurrences in the ring */
    uint64_t pos;                       /* events read */
    int ended;                          /* no more events */
    d_op *free_ops;                     /* recycled (kept buffers) */
    d_stored *free_stored;
    diff_event_ref *ring;               /* recent events, for context */
    size_t ring_cap;
};

struct diff_run {
    const diff_opts *opts;
    size_t window;
    uint64_t step;
    d_side side[2];
    diff_result *res;
    struct diff_acct *acct;
    ct_err err;                         /* sticky CT_ERR_NOMEM */
};

ct_err diff_align_init(diff_run *run);     /* diff_ops.c */
void diff_align_fini(diff_run *run);
/* One event of side s (borrowed until that side reads again). */
void diff_align_event(diff_run *run, int s, const Chimtrace__V1__Event *ev);
/* After both sides' events of a step: copy live events still held, expire old ones. */
void diff_align_step_end(diff_run *run);
/* Side s has no more events. */
void diff_align_side_end(diff_run *run, int s);
/* Both ended: report everything still held. */
void diff_align_finish(diff_run *run);

/* Operation instances (diff_ops.c). */
d_op *diff_op_alloc(diff_run *run, d_side *x);     /* recycled; NULL (run->err) on NOMEM */
void diff_op_release(d_side *x, d_op *u);
void diff_op_lru_unlink(d_side *x, d_op *u);
void diff_op_lru_append(d_side *x, d_op *u);
/* ids[0..n) become u's blocks' identities; its identity set and main object follow. */
void diff_op_set_ids(diff_run *run, d_op *u, const obj_identity *ids, size_t n);
void diff_op_key(d_op *u);                         /* key from op and identity set */
void diff_op_pend_push(diff_run *run, d_side *x, d_op *u);
void diff_op_pend_remove(d_side *x, d_op *u);
d_op *diff_op_pend_pop(d_side *y, uint64_t key);   /* the oldest with that key, or NULL */
void diff_op_recent_add(d_side *x, uint64_t op_id);

/* ------------------------------------------------------------------------------------ */
/* Accounting (diff_account.c, diff_timing.c)                                            */

typedef struct diff_acct diff_acct;

ct_err diff_acct_new(diff_run *run, diff_acct **out);
void diff_acct_free(diff_acct *a);
void diff_acct_op_open(diff_run *run, d_op *u);
void diff_acct_matched(diff_run *run, d_op *a, d_op *b);
/* A compared pair: the changes found (n_changes kept of total) and their blocks. */
void diff_acct_compared(diff_run *run, d_op *ua, const diff_event_ref *ra,
                        d_op *ub, const diff_event_ref *rb, const diff_change *ch,
                        const int *blocks, size_t n_kept, size_t total);
/* An event without a counterpart on side s. */
void diff_acct_unmatched(diff_run *run, int s, d_op *u, const diff_event_ref *ref);
/* An operation instance that ended on side s: its edge timestamps. */
void diff_acct_timing(diff_run *run, int s, const d_op *u);
/* After every read step: take the first divergence's context once it has been read. */
void diff_acct_step(diff_run *run);
/* Move the accounting into run->res. */
ct_err diff_acct_finish(diff_run *run);

/* Timing histograms. */
typedef struct diff_hist diff_hist;
ct_err diff_hist_add(diff_hist **h, uint64_t ns);
uint64_t diff_hist_count(const diff_hist *h);
uint64_t diff_hist_percentile(const diff_hist *h, int pct);
void diff_hist_free(diff_hist *h);

#endif
