/* stats_results.c - closing a stats pass and answering queries on it; reading a file.
 *
 * stats_finish settles what streaming could not: instances still pending are sorted into
 * "in flight at the end" and "lost" (started before the last loss), rows beyond the top N
 * are folded into "other", and the group and status lists get their final order. The
 * query functions below only read those lists.
 */
#include <stdlib.h>
#include <string.h>

#include "ct_print.h"
#include "stats_int.h"
#include "tracefile.h"

/* ------------------------------------------------------------------------------------ */
/* Finishing                                                                             */

/* Orders for the small final lists (at most 65 keys, 1024 statuses), sorted by insertion
 * so that no global state is needed (qsort has no context argument). */
typedef int (*order_fn)(const stats_engine *s, uint32_t a, uint32_t b);

static int by_weight(const stats_engine *s, uint32_t a, uint32_t b)
{
    const stats_key *ka = &s->keys[a], *kb = &s->keys[b];
    if (ka->weight != kb->weight)
        return ka->weight > kb->weight ? -1 : 1;
    if (s->opts.by == STATS_BY_OBJECT)   /* object keys are hashes: ties go by name */
        return strcmp(ka->label, kb->label);
    return ka->key < kb->key ? -1 : ka->key > kb->key;
}

static int by_key(const stats_engine *s, uint32_t a, uint32_t b)
{
    return s->keys[a].key < s->keys[b].key ? -1 : s->keys[a].key > s->keys[b].key;
}

static int by_status(const stats_engine *s, uint32_t a, uint32_t b)
{
    const stats_status_slot *x = &s->status[a], *y = &s->status[b];
    if (x->op != y->op)
        return x->op < y->op ? -1 : 1;
    return x->status < y->status ? -1 : x->status > y->status;
}

static void sort_idx(const stats_engine *s, uint32_t *v, size_t n, order_fn cmp)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        for (; j > 0 && cmp(s, v[j - 1], x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static ct_err fold_key(stats_engine *s, uint32_t k)
{
    stats_key *other = &s->keys[STATS_MAX_KEYS];
    for (unsigned sp = 0; sp < STATS_SPANS; sp++) {
        const stats_hist *h = s->keys[k].hist[sp];
        if (!h || h->n == 0)
            continue;
        if (!other->hist[sp]) {
            if (!(other->hist[sp] = stats_alloc(s, sizeof(stats_hist))))
                return CT_ERR_NOMEM;
            stats_hist_clear(other->hist[sp]);
        }
        stats_hist_merge(other->hist[sp], h);
    }
    other->weight += s->keys[k].weight;
    s->keys[k].folded = 1;
    return CT_OK;
}

/* The key order of the tables, with rows beyond the top N folded into "other". */
static ct_err order_keys(stats_engine *s, uint32_t *order, size_t *n)
{
    int topn = s->opts.by == STATS_BY_CPU || s->opts.by == STATS_BY_OBJECT;
    *n = 0;
    for (uint32_t k = 0; k < s->n_keys; k++)
        order[(*n)++] = k;
    sort_idx(s, order, *n, topn ? by_weight : by_key);
    if (topn && *n > s->opts.top) {
        for (size_t i = s->opts.top; i < *n; i++)
            if (fold_key(s, order[i]) != CT_OK)
                return CT_ERR_NOMEM;
        *n = s->opts.top;
    }
    order[(*n)++] = STATS_MAX_KEYS;   /* "other", listed only when it holds samples */
    return CT_OK;
}

ct_err stats_finish(stats_engine *s, ct_errinfo *ei)
{
    uint32_t order[STATS_MAX_KEYS + 1];
    size_t n_order, n = 0;

    if (!s)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "stats_finish: NULL engine");
    if (s->finished)
        return CT_OK;
    for (size_t i = 0; i < s->pend_cap; i++) {
        const stats_pending *p = &s->pend[i];
        if (!p->mask)
            continue;
        if (s->loss_records && p->first_seq <= s->loss_seq)
            s->lost_pending++;
        else
            s->in_flight_end++;
        s->ops[p->op].unmatched++;
    }
    if (order_keys(s, order, &n_order) != CT_OK)
        goto nomem;
    s->groups = stats_alloc(s, (STATS_MAX_KEYS + 1) * STATS_SPANS * sizeof *s->groups);
    if (!s->groups)
        goto nomem;
    for (size_t i = 0; i < n_order; i++)
        for (uint32_t sp = 0; sp < STATS_SPANS; sp++)
            if (stats_hist_count(s->keys[order[i]].hist[sp]))
                s->groups[n++] = (stats_group_ref){order[i], sp};
    /* keep the allocation's size known for stats_free: shrink the count only */
    s->n_groups = n;
    s->mem -= ((STATS_MAX_KEYS + 1) * STATS_SPANS - n) * sizeof *s->groups;
    s->status_order = stats_alloc(s, STATS_STATUS_SLOTS * sizeof *s->status_order);
    if (!s->status_order)
        goto nomem;
    for (uint32_t j = 0; j < STATS_STATUS_SLOTS; j++)
        if (s->status[j].op)
            s->status_order[s->n_status++] = j;
    s->mem -= (STATS_STATUS_SLOTS - s->n_status) * sizeof *s->status_order;
    sort_idx(s, s->status_order, s->n_status, by_status);
    s->finished = 1;
    return CT_OK;
nomem:
    return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "stats: out of memory");
}

/* ------------------------------------------------------------------------------------ */
/* Queries                                                                               */

const Chimtrace__V1__TraceHeader *stats_header(const stats_engine *s)
{
    return s ? s->header : NULL;
}

const char *stats_uncertain_name(unsigned bit)
{
    static const char *const n[STATS_UNC_COUNT] = {"truncated", "lost_events", "damaged_chunks",
                                                   "unmatched_instances", "pending_overflow"};
    return bit < STATS_UNC_COUNT ? n[bit] : NULL;
}

void stats_get_summary(const stats_engine *s, stats_summary *o)
{
    memset(o, 0, sizeof *o);
    o->records = s->records;
    o->events = s->events;
    if (s->have_ts) {
        o->first_ts_ns = s->min_ts;
        o->last_ts_ns = s->max_ts;
        o->duration_ns = s->max_ts - s->min_ts;
    }
    o->instances = s->instances;
    o->completed = s->completed;
    o->complete_four_edges = s->complete4;
    o->in_flight_at_end = s->in_flight_end;
    o->lost_pending = s->lost_pending;
    o->orphans = s->orphans;
    o->untracked = s->untracked;
    o->odd_events = s->odd;
    o->max_depth = s->max_depth;
    o->loss_records = s->loss_records;
    o->lost_events = s->lost_events;
    o->truncated_trees = s->truncated_trees;
    o->truncated = s->truncated;
    o->truncated_at = s->truncated_at;
    o->complete_end = s->complete_end;
    o->damaged_chunks = s->damaged;
    o->uncertain = (s->truncated ? STATS_UNC_TRUNCATED : 0) |
                   (s->loss_records || s->lost_events ? STATS_UNC_LOST : 0) |
                   (s->damaged ? STATS_UNC_DAMAGED : 0) |
                   (s->orphans || s->lost_pending ? STATS_UNC_UNMATCHED : 0) |
                   (s->untracked ? STATS_UNC_OVERFLOW : 0);
    if (o->duration_ns) {
        o->events_per_s = (double)s->events * 1e9 / (double)o->duration_ns;
        o->ops_per_s = (double)s->completed * 1e9 / (double)o->duration_ns;
    }
    o->by = s->opts.by;
    o->top = s->opts.top;
    o->keys_total = s->keys_total;
}

size_t stats_group_count(const stats_engine *s)
{
    return s && s->finished ? s->n_groups : 0;
}

int stats_group_get(const stats_engine *s, size_t i, stats_group *o)
{
    if (!s || !s->finished || i >= s->n_groups)
        return -1;
    const stats_key *k = &s->keys[s->groups[i].key];
    const stats_hist *h = k->hist[s->groups[i].span];
    o->by = s->opts.by;
    o->key = k->key;
    o->label = k->label;
    o->span = (stats_span)s->groups[i].span;
    o->count = stats_hist_count(h);
    o->min_ns = stats_hist_min(h);
    o->max_ns = stats_hist_max(h);
    o->mean_ns = stats_hist_mean(h);
    o->p50_ns = stats_hist_percentile(h, 50);
    o->p90_ns = stats_hist_percentile(h, 90);
    o->p99_ns = stats_hist_percentile(h, 99);
    o->p999_ns = stats_hist_percentile(h, 99.9);
    o->hist = h;
    return 0;
}

size_t stats_op_count(const stats_engine *s)
{
    size_t n = 0;
    for (unsigned op = 0; s && op < STATS_MAX_OPS; op++)
        n += s->ops[op].instances != 0;
    return n;
}

int stats_op_get(const stats_engine *s, size_t i, stats_op_facts *o)
{
    for (unsigned op = 0; s && op < STATS_MAX_OPS; op++) {
        if (!s->ops[op].instances || i-- != 0)
            continue;
        uint64_t dur = s->have_ts ? s->max_ts - s->min_ts : 0;
        o->op = (int)op;
        o->name = ct_print_op_name((int)op);
        o->instances = s->ops[op].instances;
        o->completed = s->ops[op].completed;
        o->unmatched = s->ops[op].unmatched;
        o->ops_per_s = dur ? (double)o->completed * 1e9 / (double)dur : 0.0;
        return 0;
    }
    return -1;
}

size_t stats_status_count(const stats_engine *s)
{
    return s && s->finished ? s->n_status : 0;
}

int stats_status_get(const stats_engine *s, size_t i, stats_status_row *o)
{
    if (!s || !s->finished || i >= s->n_status)
        return -1;
    const stats_status_slot *st = &s->status[s->status_order[i]];
    o->op = (int)st->op - 1;
    o->status = st->status;
    o->name = ct_print_status_name(st->status);
    o->count = st->count;
    o->nic_count = st->nic_count;
    return 0;
}

size_t stats_timeline_count(const stats_engine *s)
{
    return s ? stats_tl_count(&s->tl) : 0;
}

int stats_timeline_get(const stats_engine *s, size_t i, stats_time_bucket *o)
{
    size_t n = stats_timeline_count(s);
    if (i >= n)
        return -1;
    const stats_timeline *t = &s->tl;
    uint64_t covered = t->width;
    o->start_ns = t->start + i * t->width;
    o->width_ns = t->width;
    if (i + 1 == n)
        covered = t->last_ts - o->start_ns;
    o->max_depth = t->b[i].max_depth;
    o->mean_depth = covered ? t->b[i].area / (double)covered : (double)t->depth;
    o->events = t->b[i].events;
    o->completions = t->b[i].completions;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* A whole file                                                                          */

/* Every record of r into s, problems reported to fn. The fast path (encoded records scanned
 * by stats_wire.c) serves every grouping but workload-object, whose object tracker needs
 * decoded events. */
static ct_err feed_file(stats_engine *s, ct_reader *r, stats_problem_fn fn, void *ctx,
                        ct_errinfo *ei)
{
    const Chimtrace__V1__Record *rec = NULL;
    const uint8_t *raw = NULL;
    size_t len;
    ct_file_status st;
    ct_errinfo pei;
    ct_err err;
    int fast = s->objs == NULL, damaged;

    for (;;) {
        memset(&pei, 0, sizeof pei);
        err = fast ? ct_reader_next_encoded(r, &raw, &len, &pei) : ct_reader_next(r, &rec, &pei);
        if (err == CT_OK && !(fast ? (const void *)raw : (const void *)rec))
            break;
        if (err == CT_OK) {
            damaged = 0;
            err = fast ? stats_feed_encoded(s, raw, len, &damaged, ei) : stats_feed(s, rec, ei);
            if (err != CT_OK)
                return err;
            if (damaged) {   /* a record the reader did not decode and protobuf-c refused */
                uint64_t chunk, off;
                ct_reader_position(r, &chunk, &off);
                ct_seterr(&pei, CT_ERR_CORRUPT, chunk, "byte %llu: record at byte %llu of "
                          "the chunk's data: not a valid chimtrace.v1.Record (skipped)",
                          (unsigned long long)chunk, (unsigned long long)off);
                stats_note_damaged_chunk(s);
                if (fn)
                    fn(ctx, CT_ERR_CORRUPT, &pei);
            }
        } else if (err == CT_ERR_TRUNCATED) {
            ct_reader_status(r, &st);
            stats_note_truncated(s, st.truncated_at, st.complete_end);
            if (fn)
                fn(ctx, err, &pei);
        } else if (err == CT_ERR_CORRUPT || err == CT_ERR_LIMIT) {
            stats_note_damaged_chunk(s);
            if (fn)
                fn(ctx, err, &pei);
        } else {
            if (ei)
                *ei = pei;
            return err;
        }
    }
    ct_reader_status(r, &st);
    if (st.truncated && !s->truncated)
        stats_note_truncated(s, st.truncated_at, st.complete_end);
    return CT_OK;
}

ct_err stats_process_file_cb(const char *path, const stats_opts *opts, stats_problem_fn fn,
                             void *ctx, stats_engine **out, ct_errinfo *ei)
{
    ct_reader *r = NULL;
    stats_engine *s = NULL;
    ct_err err;

    if (!path || !out)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "stats_process_file: NULL argument");
    *out = NULL;
    if ((err = stats_new(opts, &s, ei)) != CT_OK)
        return err;
    if ((err = ct_reader_open(path, &r, ei)) == CT_OK &&
        (err = feed_file(s, r, fn, ctx, ei)) == CT_OK)
        err = stats_finish(s, ei);
    ct_reader_close(r);
    if (err != CT_OK) {
        stats_free(s);
        return err;
    }
    *out = s;
    return CT_OK;
}

ct_err stats_process_file(const char *path, const stats_opts *opts, stats_engine **out,
                          ct_errinfo *ei)
{
    return stats_process_file_cb(path, opts, NULL, NULL, out, ei);
}
