/* stats_int.h - what the files of replay/stats share: the histogram and engine layouts.
 *
 * Not a public header: tools see only ct_stats.h. The engine is split by responsibility:
 * stats_engine.c pairs edges and fills the tables, stats_timeline.c keeps the depth
 * timeline, stats_results.c answers queries and reads files, stats_text.c / stats_json.c
 * print, stats_compare.c judges a baseline.
 */
#ifndef CT_STATS_INT_H
#define CT_STATS_INT_H

#include "ct_stats.h"
#include "obj.h"
#include "obj_map.h"

struct stats_hist {
    uint64_t n, sum, min, max;
    uint64_t count[STATS_HIST_BUCKETS];
};

static inline void stats_hist_add_inline(stats_hist *h, uint64_t v)
{
    unsigned b;
    if (v < (1u << STATS_HIST_SUB_BITS)) {
        b = (unsigned)v;
    } else {
        unsigned e = 63u - (unsigned)__builtin_clzll(v);
        b = (1u << STATS_HIST_SUB_BITS) + (e - STATS_HIST_SUB_BITS) * (1u << STATS_HIST_SUB_BITS) +
            ((unsigned)(v >> (e - STATS_HIST_SUB_BITS)) & ((1u << STATS_HIST_SUB_BITS) - 1));
    }
    h->count[b]++;
    h->n++;
    h->sum = h->sum + v < h->sum ? UINT64_MAX : h->sum + v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

/* splitmix64's finalizer (as obj_map_mix), inlined: it runs once or twice per event. */
static inline uint64_t stats_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* One operation instance in flight, stored in the pending table itself (open addressing,
 * linear probing, backward-shift deletion). mask == 0 marks an empty slot. */
typedef struct stats_pending {
    uint64_t op_id;
    uint64_t ts[4];            /* by edge - 1 */
    uint64_t first_seq;
    uint32_t key;              /* index in keys[] */
    uint8_t op;                /* folded to 0..63 */
    uint8_t mask;              /* bit e-1: edge e seen */
} stats_pending;

/* One row key of the latency tables with its four span histograms. */
typedef struct stats_key {
    uint64_t key;
    uint64_t weight;           /* instances started under this key (for top-N) */
    char label[112];
    stats_hist *hist[STATS_SPANS];   /* allocated on first sample */
    int folded;                /* merged into "other" by stats_finish */
} stats_key;

#define STATS_STATUS_SLOTS 1024u
typedef struct stats_status_slot {
    uint32_t op;               /* 0 = empty, else op + 1 */
    uint32_t status;
    uint64_t count, nic_count;
} stats_status_slot;

typedef struct stats_timeline {
    int started;
    uint64_t start, width;     /* bucket i covers [start + i*width, start + (i+1)*width) */
    uint64_t last_ts;          /* clock of the last event (clamped monotonic) */
    uint64_t depth;
    struct {
        uint64_t max_depth, events, completions;
        double area;           /* depth x ns */
    } b[STATS_TIMELINE_BUCKETS];
} stats_timeline;

typedef struct stats_op_row {
    uint64_t instances, completed, unmatched;
} stats_op_row;

typedef struct stats_group_ref {
    uint32_t key;
    uint32_t span;
} stats_group_ref;

/* One block as the engine reads it. */
typedef struct stats_blk {
    uint32_t status, type;
    uint8_t has_status, has_type;
} stats_blk;

/* An event as the engine reads it: only what pairing, keys and status counts need. Made
 * from a decoded Event (stats_feed) or straight from the encoded bytes (stats_wire.c, the
 * fast path of stats_process_file), so both paths run the same engine code. */
typedef struct stats_ev {
    uint64_t seq, ts_ns, op_id;
    uint32_t ring, edge;
    int32_t op;
    uint8_t has_seq, has_ts, has_ring, has_op, has_edge, has_op_id, tree_truncated;
    size_t n_block;
    const stats_blk *blk;
    const Chimtrace__V1__Event *full;   /* the decoded event; NULL on the fast path */
} stats_ev;

struct stats_engine {
    stats_opts opts;
    size_t mem;                /* bytes allocated and still held */
    int finished;
    int pb_nomem;              /* the header copy's allocator failed */

    Chimtrace__V1__TraceHeader *header;
    size_t header_bytes;

    /* pending instances */
    stats_pending *pend;
    size_t pend_cap, pend_n;   /* cap: power of two; load <= 1/2 */

    /* latency keys; keys[STATS_MAX_KEYS] is "other" */
    stats_key keys[STATS_MAX_KEYS + 1];
    uint32_t n_keys;
    obj_map key_index;         /* key -> index + 1 */
    uint32_t op_key[STATS_MAX_OPS];  /* BY_OP / BY_EDGE fast path: index + 1 */
    obj_tracker *objs;         /* BY_OBJECT only */
    uint64_t keys_total;

    stats_op_row ops[STATS_MAX_OPS];
    stats_status_slot status[STATS_STATUS_SLOTS];
    uint64_t status_overflow;

    stats_timeline tl;

    /* summary counters */
    uint64_t records, events, instances, completed, complete4, orphans, untracked, odd;
    uint64_t in_flight_end, lost_pending, max_depth;
    int have_ts;
    uint64_t min_ts, max_ts;
    uint64_t loss_records, lost_events, loss_seq;  /* loss_seq: latest seq a loss covers */
    uint64_t max_seq;
    uint64_t truncated_trees, damaged;
    int truncated;
    uint64_t truncated_at, complete_end;

    /* the blocks of the event being fed (grows to the largest tree seen) */
    stats_blk *blk;
    size_t blk_cap;

    /* after finish */
    stats_group_ref *groups;
    size_t n_groups;
    uint32_t *status_order;    /* slots in (op, status) order */
    size_t n_status;
};

void *stats_alloc(stats_engine *s, size_t bytes);    /* zeroed; counted in s->mem */
void stats_release(stats_engine *s, void *p, size_t bytes);

/* Room for n blocks in s->blk. CT_ERR_NOMEM. */
ct_err stats_blk_reserve(stats_engine *s, size_t n);

/* Feed one event view (both paths end here), or a Loss record's fields. */
ct_err stats_feed_view(stats_engine *s, const stats_ev *ev);
void stats_feed_loss(stats_engine *s, int has_count, uint64_t count, int has_last,
                     uint64_t last_seq);

/* The fast path: one encoded Record. Events are scanned from the wire; any other record,
 * or anything the scanner does not expect, is decoded with protobuf-c and fed whole.
 * *damaged is set when the record is not a valid Record (or exceeds the block cap): the
 * caller counts it like a damaged chunk. */
ct_err stats_feed_encoded(stats_engine *s, const uint8_t *buf, size_t len, int *damaged,
                          ct_errinfo *ei);

void stats_tl_advance(stats_timeline *t, uint64_t ts);    /* integrate depth up to ts */
void stats_tl_mark(stats_timeline *t, int event, int completion);
size_t stats_tl_count(const stats_timeline *t);

const char *stats_fmt_ns(char *buf, size_t size, uint64_t ns);  /* "12.3us" */
const char *stats_clock_name(const Chimtrace__V1__TraceHeader *h);
void stats_json_reasons(FILE *out, unsigned mask);      /* ["truncated", ...] */
const char *stats_fmt_pct(char *buf, size_t size, double pct);  /* "p99.9" */

#endif
