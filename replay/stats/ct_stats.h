/* ct_stats.h - the public face of chimtrace's timing analysis (chimtrace stats, report).
 *
 * One streaming pass over a trace's records gives, per group (an operation, a ring, a state
 * type or a workload object, crossed with an edge pair), the latency distribution of the
 * operation instances: count, min, max, mean and percentiles from a fixed-size log-linear
 * histogram whose relative error is at most 2^-(STATS_HIST_SUB_BITS+1); plus the in-flight
 * depth over time, throughput, the per-block status distribution and the loss/truncation
 * facts that make percentiles uncertain. Instances are paired across their four edges by
 * Event.op_id. Memory does not grow with the trace: histograms and the timeline are fixed
 * size, groups are capped, and the pending-instance table holds only instances in flight.
 * The handle is opaque; every call that can fail returns ct_err and fills a ct_errinfo.
 */
#ifndef CT_STATS_H
#define CT_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Histogram: log-linear, fixed memory, mergeable, exact count/min/max/sum.              */

/* Values below 2^SUB_BITS get a bucket each (exact); above, each power of two [2^e, 2^e+1)
 * is split into 2^SUB_BITS equal sub-buckets, so a bucket's width is at most 2^-SUB_BITS
 * of its lower bound. A percentile is reported as its bucket's midpoint clamped to the
 * exact [min, max], so it is within 2^-(SUB_BITS+1) (0.39%) of the true nearest-rank
 * sample. */
#define STATS_HIST_SUB_BITS 7
#define STATS_HIST_BUCKETS ((1u << STATS_HIST_SUB_BITS) * (65u - STATS_HIST_SUB_BITS))

typedef struct stats_hist stats_hist;

/* A histogram on its own (tests, merging by hand). Caller frees with stats_hist_free. */
ct_err stats_hist_new(stats_hist **out);
void stats_hist_free(stats_hist *h);                 /* NULL is a no-op */
void stats_hist_clear(stats_hist *h);
void stats_hist_add(stats_hist *h, uint64_t value);
void stats_hist_merge(stats_hist *into, const stats_hist *from);
uint64_t stats_hist_count(const stats_hist *h);
uint64_t stats_hist_min(const stats_hist *h);        /* 0 when empty */
uint64_t stats_hist_max(const stats_hist *h);        /* 0 when empty */
uint64_t stats_hist_sum(const stats_hist *h);        /* saturates at UINT64_MAX */
double stats_hist_mean(const stats_hist *h);         /* 0 when empty */

/* Nearest-rank percentile, pct in [0, 100] (99.9 allowed): the value of the sample of rank
 * ceil(pct/100 * count) (rank 1 for pct 0), within the bound above; rank 1 is the exact min
 * and rank count the exact max. 0 when empty. */
uint64_t stats_hist_percentile(const stats_hist *h, double pct);

/* The bucket holding `value`, and a bucket's value range [lo, hi] (inclusive). */
unsigned stats_hist_bucket_of(uint64_t value);
void stats_hist_bucket_range(unsigned bucket, uint64_t *lo, uint64_t *hi);

/* Iterate non-empty buckets in increasing order: start with *pos = 0; returns 1 and fills
 * the bucket's inclusive range and its count while buckets remain. */
int stats_hist_next(const stats_hist *h, unsigned *pos, uint64_t *lo, uint64_t *hi,
                    uint64_t *count);

/* ------------------------------------------------------------------------------------ */
/* Engine options                                                                        */

/* Edge pairs (spans) of one operation instance (edges as in FORMAT.md §6.1). */
typedef enum stats_span {
    STATS_SPAN_IM = 0,      /* req-in-above -> req-out-below: the IM driver's own cost */
    STATS_SPAN_NIC = 1,     /* req-out-below -> cmpl-in-below: the NIC's cost */
    STATS_SPAN_RETURN = 2,  /* cmpl-in-below -> cmpl-out-above: the return cost */
    STATS_SPAN_E2E = 3,     /* req-in-above -> cmpl-out-above: end to end */
    STATS_SPANS = 4
} stats_span;

/* How latency groups are keyed (the row of a latency table, crossed with the span). */
typedef enum stats_by {
    STATS_BY_OP = 0,         /* the operation (key: Operation value) */
    STATS_BY_EDGE = 1,       /* one group for all operations (key 0): tables by edge pair */
    STATS_BY_STATE_TYPE = 2, /* the kinds of state in the request's tree (key: bit mask,
                              * STATS_STATE_* below; label "neighbor+path+tcp") */
    STATS_BY_CPU = 3,        /* the ring (CPU) of the request-in event (key: ring) */
    STATS_BY_OBJECT = 4      /* the root block's object identity (replay/objects) */
} stats_by;

#define STATS_STATE_NEIGHBOR 0x1u
#define STATS_STATE_PATH4 0x2u
#define STATS_STATE_PATH6 0x4u
#define STATS_STATE_TCP 0x8u
#define STATS_STATE_OTHER 0x10u

/* Key of the row that collects every group beyond the top-N (cpu and workload-object). */
#define STATS_KEY_OTHER UINT64_MAX

#define STATS_TIMELINE_BUCKETS 256   /* depth timeline resolution (fixed) */
#define STATS_DEFAULT_TOP 16         /* rows kept for cpu and workload-object groupings */
#define STATS_MAX_KEYS 64            /* distinct keys tracked before new ones go to "other" */
#define STATS_DEFAULT_MAX_PENDING (1u << 20) /* instances in flight tracked at most */

typedef struct stats_opts {
    stats_by by;
    uint32_t top;           /* rows kept for BY_CPU / BY_OBJECT (0 = STATS_DEFAULT_TOP) */
    uint32_t max_pending;   /* cap on instances in flight (0 = STATS_DEFAULT_MAX_PENDING) */
} stats_opts;

void stats_opts_init(stats_opts *o);
const char *stats_by_name(stats_by by);              /* "op", "edge", "state-type", ... */
int stats_by_parse(const char *text, stats_by *out); /* 0 ok, -1 unknown */
const char *stats_span_name(stats_span s);           /* "im", "nic", "return", "e2e" */
const char *stats_span_label(stats_span s);          /* "req-in -> req-out", ... */

/* ------------------------------------------------------------------------------------ */
/* Engine                                                                                */

typedef struct stats_engine stats_engine;

/* Caller frees with stats_free. opts may be NULL for defaults. */
ct_err stats_new(const stats_opts *opts, stats_engine **out, ct_errinfo *ei);
void stats_free(stats_engine *s);                    /* NULL is a no-op */

/* Feed the next record in file order. `rec` stays the caller's (nothing is kept). A header
 * record is remembered (copied) as the trace header. CT_ERR_NOMEM only; never fails on odd
 * input (odd events are counted, see stats_summary). Illegal after stats_finish. */
ct_err stats_feed(stats_engine *s, const Chimtrace__V1__Record *rec, ct_errinfo *ei);

/* Facts the records cannot tell: the reader's (or the caller's) knowledge of damage. */
void stats_note_truncated(stats_engine *s, uint64_t truncated_at, uint64_t complete_end);
void stats_note_damaged_chunk(stats_engine *s);

/* End of input: instances still pending become unmatched, top-N rows are chosen, the
 * timeline is closed. Queries below are valid only after it. Calling it twice is a no-op. */
ct_err stats_finish(stats_engine *s, ct_errinfo *ei);

/* Open `path`, feed every record, note truncation and damaged chunks (each damaged chunk
 * is skipped and counted, not fatal), and finish. On success *out is owned by the caller
 * (stats_free). A fatal read error (cannot open, I/O) returns its code with ei filled. */
ct_err stats_process_file(const char *path, const stats_opts *opts, stats_engine **out,
                          ct_errinfo *ei);

/* The same, telling `fn` (may be NULL) about each problem the reader meets on the way, as
 * it meets it: CT_ERR_TRUNCATED once for a file that ends early, CT_ERR_CORRUPT or
 * CT_ERR_LIMIT for each damaged chunk or record skipped; `pei` holds the reader's message
 * (file, byte offset, what was wrong). Reading goes on after each. */
typedef void (*stats_problem_fn)(void *ctx, ct_err code, const ct_errinfo *pei);
ct_err stats_process_file_cb(const char *path, const stats_opts *opts, stats_problem_fn fn,
                             void *ctx, stats_engine **out, ct_errinfo *ei);

/* Bytes the engine holds right now (its own accounting of every allocation it made). */
size_t stats_memory_bytes(const stats_engine *s);

/* ------------------------------------------------------------------------------------ */
/* Results (after stats_finish; everything returned is borrowed until stats_free)        */

/* The trace header (NULL when the input had none). */
const Chimtrace__V1__TraceHeader *stats_header(const stats_engine *s);

/* Reasons the percentiles are uncertain (stats_summary.uncertain is a mask of them). */
#define STATS_UNC_TRUNCATED 0x1u     /* the file ends early */
#define STATS_UNC_LOST 0x2u          /* Loss records: the recorder dropped events */
#define STATS_UNC_DAMAGED 0x4u       /* corrupt chunks were skipped */
#define STATS_UNC_UNMATCHED 0x8u     /* instances missing edges (not in flight at the end) */
#define STATS_UNC_OVERFLOW 0x10u     /* the pending cap was reached: instances untracked */
#define STATS_UNC_COUNT 5
/* Name of bit i of the mask ("truncated", "lost_events", ...); NULL past the last. */
const char *stats_uncertain_name(unsigned bit_index);

typedef struct stats_summary {
    uint64_t records, events;
    uint64_t first_ts_ns, last_ts_ns;  /* min and max event ts_ns (0 when no events) */
    uint64_t duration_ns;              /* last_ts_ns - first_ts_ns */
    uint64_t instances;                /* distinct op_ids seen */
    uint64_t completed;                /* reached cmpl-out-above */
    uint64_t complete_four_edges;      /* of which all four edges were seen */
    uint64_t in_flight_at_end;         /* pending at the end, after the last loss */
    uint64_t lost_pending;             /* pending at the end, started before a loss */
    uint64_t orphans;                  /* completed without their req-in-above */
    uint64_t untracked;                /* instances beyond the pending cap */
    uint64_t odd_events;               /* no op_id, bad edge, repeated edge */
    uint64_t max_depth;                /* peak instances in flight */
    uint64_t loss_records, lost_events;
    uint64_t truncated_trees;
    int truncated;
    uint64_t truncated_at, complete_end;
    uint64_t damaged_chunks;
    unsigned uncertain;                /* STATS_UNC_* mask, 0 = certain */
    double events_per_s, ops_per_s;    /* over duration_ns (0 when duration is 0) */
    stats_by by;
    uint32_t top;                      /* rows kept for cpu/object (groups beyond: "other") */
    uint64_t keys_total;               /* distinct keys seen (before top-N folding) */
} stats_summary;

void stats_get_summary(const stats_engine *s, stats_summary *out);

/* One latency group: a key crossed with a span. Groups are ordered by key then span
 * (STATS_BY_OP: by operation value; cpu/object: by count descending, "other" last). */
typedef struct stats_group {
    stats_by by;
    uint64_t key;              /* see stats_by; STATS_KEY_OTHER for the "other" row */
    const char *label;         /* "INITIATE", "ring 2", "tcp 10.0.0.1:49152 -> ...", "other" */
    stats_span span;
    uint64_t count;
    uint64_t min_ns, max_ns;
    double mean_ns;
    uint64_t p50_ns, p90_ns, p99_ns, p999_ns;
    const stats_hist *hist;    /* full distribution (stats_hist_percentile, stats_hist_next) */
} stats_group;

size_t stats_group_count(const stats_engine *s);
/* Group i (0 <= i < stats_group_count); 0 ok, -1 out of range. Groups with count 0 are
 * not listed. */
int stats_group_get(const stats_engine *s, size_t i, stats_group *out);

/* Per-operation facts, whatever the grouping (ops 0..63; others are folded into 63). */
#define STATS_MAX_OPS 64
typedef struct stats_op_facts {
    int op;                    /* Operation value */
    const char *name;          /* "INITIATE" */
    uint64_t instances;        /* op_ids first seen for this op */
    uint64_t completed;
    uint64_t unmatched;        /* in flight or lost at the end, orphans and untracked */
    double ops_per_s;          /* completed / duration */
} stats_op_facts;

/* Operations that occurred, in increasing Operation order. */
size_t stats_op_count(const stats_engine *s);
int stats_op_get(const stats_engine *s, size_t i, stats_op_facts *out);

/* The per-block status distribution of one operation: blocks at cmpl-out-above (what the
 * IM reported up) and at cmpl-in-below (what the NIC reported). Rows of every op, ordered
 * by op then status. */
typedef struct stats_status_row {
    int op;
    uint32_t status;           /* NDIS_STATUS pattern */
    const char *name;          /* "SUCCESS", or NULL when not a chimney status */
    uint64_t count;            /* blocks at cmpl-out-above */
    uint64_t nic_count;        /* blocks at cmpl-in-below */
} stats_status_row;

size_t stats_status_count(const stats_engine *s);
int stats_status_get(const stats_engine *s, size_t i, stats_status_row *out);

/* In-flight depth over time: STATS_TIMELINE_BUCKETS buckets at most, each `width_ns` wide
 * (all the same width, a power-of-two multiple of 1 us), starting at the first event. */
typedef struct stats_time_bucket {
    uint64_t start_ns;         /* trace clock */
    uint64_t width_ns;
    uint64_t max_depth;        /* peak instances in flight within the bucket */
    double mean_depth;         /* time-weighted mean over the covered part of the bucket */
    uint64_t events;           /* events whose ts_ns falls in the bucket */
    uint64_t completions;      /* instances completed in the bucket */
} stats_time_bucket;

size_t stats_timeline_count(const stats_engine *s);
int stats_timeline_get(const stats_engine *s, size_t i, stats_time_bucket *out);

/* ------------------------------------------------------------------------------------ */
/* Output (the verb's formats; the JSON object is specified in STATS_JSON.md)            */

#define STATS_JSON_VERSION 1

/* Text tables, or one JSON object plus '\n'. `path` names the input (may be NULL). */
ct_err stats_write_text(FILE *out, const stats_engine *s, const char *path);
ct_err stats_write_json(FILE *out, const stats_engine *s, const char *path);

/* Each latency group's histogram as text bars, the histogram's buckets summed into bins of
 * one power of two ([1us, 2us), [2us, 4us), ...; values below 128 ns in one bin). */
ct_err stats_write_text_histograms(FILE *out, const stats_engine *s);

/* ------------------------------------------------------------------------------------ */
/* Baseline comparison                                                                   */

#define STATS_MAX_PCTS 8

typedef struct stats_cmp_opts {
    double threshold_pct;      /* regression when new > old * (1 + threshold/100) ... */
    uint64_t min_delta_ns;     /* ... and new - old >= min_delta_ns */
    uint64_t min_count;        /* groups with fewer samples on either side never regress */
    size_t n_pcts;
    double pcts[STATS_MAX_PCTS];  /* percentiles judged, e.g. 99 */
} stats_cmp_opts;

/* Defaults: threshold 10%, min delta 1000 ns, min count 1, percentiles {99}. */
void stats_cmp_opts_init(stats_cmp_opts *o);

/* Compare `cur` against `base` (both finished, same grouping). Writes the delta table
 * (text) or one JSON object (STATS_JSON.md, "baseline"). *regressions receives the number
 * of (group, percentile) cells beyond the threshold. CT_ERR_ARG when the groupings
 * differ. */
ct_err stats_compare_write(FILE *out, int json, const stats_engine *cur, const char *cur_path,
                           const stats_engine *base, const char *base_path,
                           const stats_cmp_opts *o, uint64_t *regressions);

#ifdef __cplusplus
}
#endif

#endif /* CT_STATS_H */
