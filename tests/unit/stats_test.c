/* stats_test.c - ct_stats: the histogram's error bound, edge pairing, unmatched instances,
 * the depth timeline, statuses, groupings, uncertainty, bounded memory and the baseline.
 *
 * Hand-built traces have latencies computed by hand; the histogram is checked against exact
 * sorted percentiles on several distributions; file-level tests use the synthetic
 * generator, a truncated copy of one, and every golden trace in traces/.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct_stats.h"
#include "tf_helpers.h"

/* ------------------------------------------------------------------------------------ */
/* Histogram                                                                             */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unif(void) { return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0; }

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank sample: rank ceil(pct/100 * n), pct given in thousandths of a percent. */
static uint64_t exact_pct(const uint64_t *sorted, size_t n, uint64_t milli)
{
    uint64_t rank = (milli * n + 99999) / 100000;
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

static void check_distribution(const char *name, uint64_t (*gen)(void), size_t n)
{
    static const uint64_t pm[] = {0, 1000, 25000, 50000, 90000, 99000, 99900, 99990, 100000};
    uint64_t *v = malloc(n * sizeof *v), sum = 0;
    stats_hist *h;
    cr_assert_eq(stats_hist_new(&h), CT_OK);
    for (size_t i = 0; i < n; i++) {
        v[i] = gen();
        sum = sum + v[i] < sum ? UINT64_MAX : sum + v[i];   /* the histogram saturates */
        stats_hist_add(h, v[i]);
    }
    qsort(v, n, sizeof *v, cmp_u64);
    cr_assert_eq(stats_hist_count(h), n);
    cr_assert_eq(stats_hist_min(h), v[0], "%s: min is exact", name);
    cr_assert_eq(stats_hist_max(h), v[n - 1], "%s: max is exact", name);
    cr_assert_eq(stats_hist_sum(h), sum, "%s: sum is exact (or saturated)", name);
    for (size_t i = 0; i < sizeof pm / sizeof pm[0]; i++) {
        uint64_t want = exact_pct(v, n, pm[i]);
        uint64_t got = stats_hist_percentile(h, (double)pm[i] / 1000.0);
        uint64_t err = got > want ? got - want : want - got;
        /* the documented bound: relative error <= 2^-(SUB_BITS+1) */
        cr_assert(err * (2ull << STATS_HIST_SUB_BITS) <= want,
                  "%s: p%g = %llu, exact %llu (error %llu over the bound)", name,
                  (double)pm[i] / 1000.0, (unsigned long long)got, (unsigned long long)want,
                  (unsigned long long)err);
    }
    stats_hist_free(h);
    free(v);
}

static uint64_t gen_uniform(void) { return rnd() % 1000000; }
static uint64_t gen_small(void) { return rnd() % 300; }
static uint64_t gen_lognormal(void)
{
    double z = sqrt(-2.0 * log(unif())) * cos(2 * M_PI * unif());
    return (uint64_t)exp(log(50000.0) + 1.5 * z);
}
static uint64_t gen_pareto(void) { return (uint64_t)(1000.0 / pow(unif(), 1.0 / 1.2)); }
static uint64_t gen_bimodal(void) { return rnd() & 1 ? 20000 + rnd() % 50 : 5000000 + rnd() % 9999; }
static uint64_t gen_huge(void) { return rnd() >> (rnd() % 64); }

Test(stats_hist, percentiles_within_the_documented_bound_of_exact_sorted_values)
{
    check_distribution("uniform", gen_uniform, 50000);
    check_distribution("small integers (exact buckets)", gen_small, 20000);
    check_distribution("lognormal", gen_lognormal, 50000);
    check_distribution("pareto", gen_pareto, 50000);
    check_distribution("bimodal", gen_bimodal, 20001);
    check_distribution("full 64-bit range", gen_huge, 30000);
    check_distribution("one sample", gen_lognormal, 1);
}

Test(stats_hist, small_values_are_exact_and_buckets_tile_the_range)
{
    stats_hist *h;
    uint64_t lo, hi, prev_hi = 0, c, total = 0;
    cr_assert_eq(stats_hist_new(&h), CT_OK);
    for (uint64_t v = 0; v < 128; v++) {
        stats_hist_add(h, v);
        cr_assert_eq(stats_hist_percentile(h, 100), v);
    }
    for (unsigned b = 0; b < STATS_HIST_BUCKETS; b++) {
        stats_hist_bucket_range(b, &lo, &hi);
        cr_assert(b == 0 || lo == prev_hi + 1, "bucket %u starts where %u ended", b, b - 1);
        cr_assert_eq(stats_hist_bucket_of(lo), b);
        cr_assert_eq(stats_hist_bucket_of(hi), b);
        cr_assert(lo < 128 || (hi - lo + 1) * 128 <= lo, "bucket %u: width <= lo/128", b);
        prev_hi = hi;
    }
    cr_assert_eq(prev_hi, UINT64_MAX, "the last bucket ends at UINT64_MAX");
    stats_hist_add(h, 1000000);
    unsigned pos = 0, n = 0;
    while (stats_hist_next(h, &pos, &lo, &hi, &c)) {
        total += c;
        n++;
    }
    cr_assert_eq(n, 129);
    cr_assert_eq(total, stats_hist_count(h));
    stats_hist_free(h);
}

Test(stats_hist, merging_two_halves_equals_the_whole)
{
    stats_hist *a, *b, *all;
    cr_assert_eq(stats_hist_new(&a), CT_OK);
    cr_assert_eq(stats_hist_new(&b), CT_OK);
    cr_assert_eq(stats_hist_new(&all), CT_OK);
    for (int i = 0; i < 10000; i++) {
        uint64_t v = gen_lognormal();
        stats_hist_add(i & 1 ? a : b, v);
        stats_hist_add(all, v);
    }
    stats_hist_merge(a, b);
    cr_assert_eq(stats_hist_count(a), stats_hist_count(all));
    cr_assert_eq(stats_hist_min(a), stats_hist_min(all));
    cr_assert_eq(stats_hist_max(a), stats_hist_max(all));
    cr_assert_eq(stats_hist_sum(a), stats_hist_sum(all));
    for (double p = 0; p <= 100; p += 0.5)
        cr_assert_eq(stats_hist_percentile(a, p), stats_hist_percentile(all, p));
    stats_hist_free(a);
    stats_hist_free(b);
    stats_hist_free(all);
}

/* ------------------------------------------------------------------------------------ */
/* Hand-built traces                                                                     */

typedef struct hand {
    stats_engine *s;
    uint64_t seq;
} hand;

static void hand_new(hand *h, stats_by by)
{
    stats_opts o;
    stats_opts_init(&o);
    o.by = by;
    h->seq = 0;
    cr_assert_eq(stats_new(&o, &h->s, NULL), CT_OK);
}

/* One event with `nblocks` blocks of header type `type` and status `status`. */
static void hand_ev(hand *h, uint64_t ts, int op, int edge, uint64_t op_id, uint32_t ring,
                    size_t nblocks, uint32_t type, uint32_t status)
{
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    Chimtrace__V1__Event ev = CHIMTRACE__V1__EVENT__INIT;
    Chimtrace__V1__Block blk[8], *bp[8];
    for (size_t i = 0; i < nblocks; i++) {
        chimtrace__v1__block__init(&blk[i]);
        blk[i].has_header_type = 1, blk[i].header_type = type + (uint32_t)i * 4;
        blk[i].has_status = edge >= 3, blk[i].status = status;
        bp[i] = &blk[i];
    }
    ev.has_seq = 1, ev.seq = ++h->seq;
    ev.has_ts_ns = 1, ev.ts_ns = ts;
    ev.has_ring = 1, ev.ring = ring;
    ev.has_op = 1, ev.op = (Chimtrace__V1__Operation)op;
    ev.has_edge = edge != 0, ev.edge = (Chimtrace__V1__Edge)edge;
    ev.has_op_id = op_id != 0, ev.op_id = op_id;
    ev.n_block = nblocks, ev.block = bp;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT, rec.event = &ev;
    cr_assert_eq(stats_feed(h->s, &rec, NULL), CT_OK);
}

static void hand_loss(hand *h, uint64_t count)
{
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    Chimtrace__V1__Loss l = CHIMTRACE__V1__LOSS__INIT;
    l.has_count = 1, l.count = count;
    l.has_first_seq = 1, l.first_seq = h->seq + 1;
    l.has_last_seq = 1, l.last_seq = h->seq + count;
    h->seq += count;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS, rec.loss = &l;
    cr_assert_eq(stats_feed(h->s, &rec, NULL), CT_OK);
}

enum { INIT = 1, TERM = 2, QUERY = 4 };
#define ST_OK 0u
#define ST_FAIL 0xC0000001u

static int find(const stats_engine *s, const char *label, stats_span sp, stats_group *g)
{
    for (size_t i = 0; i < stats_group_count(s); i++) {
        stats_group_get(s, i, g);
        if (strcmp(g->label, label) == 0 && g->span == sp)
            return 1;
    }
    return 0;
}

/* Two interleaved INITIATEs and a QUERY; every latency computed by hand. */
static void three_instances(hand *h, uint64_t nic_extra)
{
    hand_ev(h, 100, INIT, 1, 11, 0, 3, 4, ST_OK);
    hand_ev(h, 150, INIT, 2, 11, 0, 3, 4, ST_OK);
    hand_ev(h, 200, INIT, 1, 12, 1, 3, 4, ST_OK);
    hand_ev(h, 300, INIT, 2, 12, 1, 3, 4, ST_OK);
    hand_ev(h, 500, QUERY, 1, 13, 0, 1, 13, ST_OK);
    hand_ev(h, 510, QUERY, 2, 13, 0, 1, 13, ST_OK);
    hand_ev(h, 610 + nic_extra, QUERY, 3, 13, 0, 1, 13, ST_OK);
    hand_ev(h, 611 + nic_extra, QUERY, 4, 13, 0, 1, 13, ST_OK);
    hand_ev(h, 1174 + nic_extra, INIT, 3, 11, 0, 3, 4, ST_OK);
    hand_ev(h, 1194 + nic_extra, INIT, 4, 11, 0, 3, 4, ST_FAIL);
    hand_ev(h, 2348 + nic_extra, INIT, 3, 12, 1, 3, 4, ST_FAIL);
    hand_ev(h, 2448 + nic_extra, INIT, 4, 12, 1, 3, 4, ST_FAIL);
}

Test(stats_engine, interleaved_instances_pair_by_op_id_with_hand_computed_latencies)
{
    hand h;
    stats_group g;
    stats_summary m;
    hand_new(&h, STATS_BY_OP);
    three_instances(&h, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    stats_get_summary(h.s, &m);
    cr_assert_eq(m.instances, 3);
    cr_assert_eq(m.completed, 3);
    cr_assert_eq(m.complete_four_edges, 3);
    cr_assert_eq(m.in_flight_at_end + m.lost_pending + m.orphans + m.untracked, 0);
    cr_assert_eq(m.uncertain, 0);
    cr_assert_eq(m.max_depth, 3);
    cr_assert_eq(m.duration_ns, 2348);
    cr_assert_eq(stats_group_count(h.s), 8, "2 ops x 4 spans");

    cr_assert(find(h.s, "INITIATE", STATS_SPAN_IM, &g));
    cr_assert_eq(g.count, 2);
    cr_assert_eq(g.min_ns, 50);
    cr_assert_eq(g.max_ns, 100);
    cr_assert_eq(g.p50_ns, 50, "nearest rank 1 of 2");
    cr_assert_eq(g.p99_ns, 100);
    cr_assert_float_eq(g.mean_ns, 75.0, 1e-9);
    cr_assert(find(h.s, "INITIATE", STATS_SPAN_NIC, &g));
    cr_assert_eq(g.min_ns, 1024);   /* 1174 - 150 */
    cr_assert_eq(g.max_ns, 2048);   /* 2348 - 300 */
    cr_assert_float_eq(g.mean_ns, 1536.0, 1e-9);
    cr_assert(g.p50_ns >= 1024 && g.p50_ns <= 1024 + 1024 / 256);
    cr_assert(find(h.s, "INITIATE", STATS_SPAN_RETURN, &g));
    cr_assert_eq(g.min_ns, 20);
    cr_assert_eq(g.max_ns, 100);
    cr_assert(find(h.s, "INITIATE", STATS_SPAN_E2E, &g));
    cr_assert_eq(g.min_ns, 1094);
    cr_assert_eq(g.max_ns, 2248);
    cr_assert(find(h.s, "QUERY", STATS_SPAN_IM, &g));
    cr_assert_eq(g.p50_ns, 10);
    cr_assert(find(h.s, "QUERY", STATS_SPAN_NIC, &g));
    cr_assert_eq(g.p50_ns, 100);
    cr_assert(find(h.s, "QUERY", STATS_SPAN_RETURN, &g));
    cr_assert_eq(g.p50_ns, 1);
    cr_assert(find(h.s, "QUERY", STATS_SPAN_E2E, &g));
    cr_assert_eq(g.p999_ns, 111);
    stats_free(h.s);
}

Test(stats_engine, per_block_statuses_are_counted_per_op_and_edge)
{
    hand h;
    stats_status_row r;
    int seen_fail = 0, seen_ok = 0;
    hand_new(&h, STATS_BY_OP);
    three_instances(&h, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    for (size_t i = 0; i < stats_status_count(h.s); i++) {
        cr_assert_eq(stats_status_get(h.s, i, &r), 0);
        if (r.op == INIT && r.status == ST_FAIL) {
            cr_assert_eq(r.count, 6, "two cmpl-out-above events x 3 blocks");
            cr_assert_eq(r.nic_count, 3, "one cmpl-in-below event x 3 blocks");
            cr_assert_str_eq(r.name, "FAILURE");
            seen_fail = 1;
        }
        if (r.op == INIT && r.status == ST_OK) {
            cr_assert_eq(r.count, 0);
            cr_assert_eq(r.nic_count, 3);
            seen_ok = 1;
        }
    }
    cr_assert(seen_fail && seen_ok);
    stats_free(h.s);
}

Test(stats_engine, unmatched_instances_are_counted_not_dropped)
{
    hand h;
    stats_summary m;
    stats_op_facts f;
    hand_new(&h, STATS_BY_OP);
    hand_ev(&h, 10, INIT, 1, 1, 0, 1, 4, 0);      /* in flight at the end: edges 1, 2 */
    hand_ev(&h, 20, INIT, 2, 1, 0, 1, 4, 0);
    hand_ev(&h, 30, TERM, 3, 2, 0, 1, 4, 0);      /* no request seen: edges 3, 4 */
    hand_ev(&h, 40, TERM, 4, 2, 0, 1, 4, 0);
    hand_ev(&h, 50, TERM, 4, 3, 0, 1, 4, 0);      /* completion only */
    hand_ev(&h, 60, QUERY, 1, 4, 0, 1, 4, 0);
    hand_ev(&h, 61, QUERY, 1, 4, 0, 1, 4, 0);     /* repeated edge: odd */
    hand_ev(&h, 62, QUERY, 0, 0, 0, 1, 4, 0);     /* no op_id, no edge: odd */
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    stats_get_summary(h.s, &m);
    cr_assert_eq(m.instances, 4);
    cr_assert_eq(m.completed, 2);
    cr_assert_eq(m.orphans, 2);
    cr_assert_eq(m.in_flight_at_end, 2, "INITIATE 1 and QUERY 4");
    cr_assert_eq(m.lost_pending, 0);
    cr_assert_eq(m.odd_events, 2);
    cr_assert(m.uncertain & STATS_UNC_UNMATCHED);
    cr_assert_eq(stats_op_get(h.s, 1, &f), 0);
    cr_assert_str_eq(f.name, "TERMINATE");
    cr_assert_eq(f.completed, 2);
    cr_assert_eq(f.unmatched, 2);
    stats_group g;
    cr_assert(find(h.s, "TERMINATE", STATS_SPAN_RETURN, &g), "the orphan's return span counts");
    cr_assert_eq(g.count, 1);
    cr_assert_eq(g.min_ns, 10);
    cr_assert_not(find(h.s, "TERMINATE", STATS_SPAN_E2E, &g), "no e2e without a request");
    stats_free(h.s);
}

Test(stats_engine, instances_pending_across_a_loss_count_as_lost)
{
    hand h;
    stats_summary m;
    hand_new(&h, STATS_BY_OP);
    hand_ev(&h, 10, INIT, 1, 1, 0, 1, 4, 0);
    hand_loss(&h, 5);
    hand_ev(&h, 20, INIT, 1, 2, 0, 1, 4, 0);     /* started after the loss: in flight */
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    stats_get_summary(h.s, &m);
    cr_assert_eq(m.lost_pending, 1);
    cr_assert_eq(m.in_flight_at_end, 1);
    cr_assert_eq(m.loss_records, 1);
    cr_assert_eq(m.lost_events, 5);
    cr_assert(m.uncertain & STATS_UNC_LOST);
    cr_assert(m.uncertain & STATS_UNC_UNMATCHED);
    stats_free(h.s);
}

Test(stats_engine, the_pending_cap_counts_untracked_instances)
{
    stats_opts o;
    stats_engine *s;
    stats_summary m;
    hand h;
    stats_opts_init(&o);
    o.max_pending = 4;
    cr_assert_eq(stats_new(&o, &s, NULL), CT_OK);
    h.s = s, h.seq = 0;
    for (uint64_t i = 1; i <= 10; i++)
        hand_ev(&h, i, INIT, 1, i, 0, 1, 4, 0);
    for (uint64_t i = 1; i <= 10; i++)
        hand_ev(&h, 100 + i, INIT, 4, i, 0, 1, 4, 0);
    cr_assert_eq(stats_finish(s, NULL), CT_OK);
    stats_get_summary(s, &m);
    cr_assert_eq(m.untracked, 6);
    cr_assert_eq(m.max_depth, 4);
    cr_assert(m.uncertain & STATS_UNC_OVERFLOW);
    stats_free(s);
}

Test(stats_engine, depth_timeline_is_exact_within_buckets)
{
    hand h;
    stats_time_bucket b;
    hand_new(&h, STATS_BY_OP);
    hand_ev(&h, 0, INIT, 1, 1, 0, 1, 4, 0);          /* depth 1 from 0 */
    hand_ev(&h, 2048, QUERY, 1, 2, 0, 1, 4, 0);      /* depth 2 from 2048 */
    hand_ev(&h, 2560, QUERY, 4, 2, 0, 1, 4, 0);      /* depth 1 from 2560 */
    hand_ev(&h, 10240, INIT, 4, 1, 0, 1, 4, 0);      /* depth 0 */
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    cr_assert_eq(stats_timeline_count(h.s), 11, "1024 ns buckets up to 10240");
    cr_assert_eq(stats_timeline_get(h.s, 0, &b), 0);
    cr_assert_eq(b.width_ns, 1024);
    cr_assert_eq(b.max_depth, 1);
    cr_assert_float_eq(b.mean_depth, 1.0, 1e-9);
    cr_assert_eq(stats_timeline_get(h.s, 2, &b), 0);
    cr_assert_eq(b.start_ns, 2048);
    cr_assert_eq(b.max_depth, 2);
    cr_assert_float_eq(b.mean_depth, 1.5, 1e-9, "2 for 512 ns, 1 for 512 ns");
    cr_assert_eq(b.events, 2);
    cr_assert_eq(b.completions, 1);
    stats_free(h.s);

    /* a long trace folds to at most STATS_TIMELINE_BUCKETS buckets, nothing lost */
    hand_new(&h, STATS_BY_OP);
    uint64_t ts = 0, events = 0;
    for (uint64_t i = 1; i <= 5000; i++) {
        hand_ev(&h, ts, QUERY, 1, i, 0, 1, 4, 0);
        hand_ev(&h, ts + 100000, QUERY, 4, i, 0, 1, 4, 0);
        ts += 200000;
        events += 2;
    }
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    size_t n = stats_timeline_count(h.s);
    cr_assert(n > STATS_TIMELINE_BUCKETS / 2 && n <= STATS_TIMELINE_BUCKETS, "%zu buckets", n);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        stats_timeline_get(h.s, i, &b);
        sum += b.events;
        cr_assert_eq(b.max_depth, 1);
        cr_assert(b.mean_depth > 0.45 && b.mean_depth < 0.55, "half the time busy: %g",
                  b.mean_depth);
        cr_assert_eq(b.width_ns & (b.width_ns - 1), 0, "a power of two");
    }
    cr_assert_eq(sum, events);
    stats_free(h.s);
}

Test(stats_engine, groupings_key_rows_as_documented)
{
    hand h;
    stats_group g;
    hand_new(&h, STATS_BY_EDGE);
    three_instances(&h, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    cr_assert_eq(stats_group_count(h.s), 4, "one row per span");
    cr_assert(find(h.s, "all", STATS_SPAN_E2E, &g));
    cr_assert_eq(g.count, 3);
    stats_free(h.s);

    hand_new(&h, STATS_BY_STATE_TYPE);
    three_instances(&h, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    cr_assert(find(h.s, "neighbor+path4+path6", STATS_SPAN_E2E, &g), "types 4, 8, 12");
    cr_assert_eq(g.count, 2);
    cr_assert(find(h.s, "tcp", STATS_SPAN_E2E, &g));
    cr_assert_eq(g.count, 1);
    stats_free(h.s);

    hand_new(&h, STATS_BY_CPU);
    three_instances(&h, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    cr_assert(find(h.s, "ring 0", STATS_SPAN_E2E, &g));
    cr_assert_eq(g.count, 2);
    cr_assert(find(h.s, "ring 1", STATS_SPAN_E2E, &g));
    cr_assert_eq(g.count, 1);
    stats_free(h.s);
}

Test(stats_engine, cpu_rows_beyond_top_n_fold_into_other)
{
    stats_opts o;
    hand h;
    stats_group g;
    stats_summary m;
    stats_opts_init(&o);
    o.by = STATS_BY_CPU;
    o.top = 2;
    cr_assert_eq(stats_new(&o, &h.s, NULL), CT_OK);
    h.seq = 0;
    /* ring r gets r + 1 instances */
    uint64_t id = 1;
    for (uint32_t r = 0; r < 5; r++)
        for (uint32_t k = 0; k <= r; k++, id++) {
            hand_ev(&h, id * 10, QUERY, 1, id, r, 1, 4, 0);
            hand_ev(&h, id * 10 + 5, QUERY, 4, id, r, 1, 4, 0);
        }
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    stats_get_summary(h.s, &m);
    cr_assert_eq(m.keys_total, 5);
    cr_assert_eq(stats_group_count(h.s), 3, "ring 4, ring 3, other (e2e only)");
    stats_group_get(h.s, 0, &g);
    cr_assert_str_eq(g.label, "ring 4");
    stats_group_get(h.s, 1, &g);
    cr_assert_str_eq(g.label, "ring 3");
    stats_group_get(h.s, 2, &g);
    cr_assert_str_eq(g.label, "other");
    cr_assert_eq(g.key, STATS_KEY_OTHER);
    cr_assert_eq(g.count, 1 + 2 + 3);
    stats_free(h.s);
}

/* ------------------------------------------------------------------------------------ */
/* Baseline                                                                              */

static stats_engine *hand_engine(uint64_t nic_extra)
{
    hand h;
    hand_new(&h, STATS_BY_OP);
    three_instances(&h, nic_extra);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    return h.s;
}

static uint64_t regressions(const stats_engine *cur, const stats_engine *base,
                            const stats_cmp_opts *o)
{
    uint64_t n = 99;
    FILE *f = fopen("/dev/null", "w");
    cr_assert_eq(stats_compare_write(f, 0, cur, "cur", base, "base", o, &n), CT_OK);
    fclose(f);
    return n;
}

Test(stats_compare, identical_within_and_beyond_the_threshold)
{
    stats_engine *base = hand_engine(0), *same = hand_engine(0), *slow = hand_engine(2000);
    stats_cmp_opts o;
    stats_cmp_opts_init(&o);
    cr_assert_eq(regressions(same, base, &o), 0);
    /* +2000 ns on the NIC: QUERY nic 100 -> 2100, INITIATE nic 2048 -> 4048, e2e likewise */
    cr_assert_gt(regressions(slow, base, &o), 0);
    cr_assert_eq(regressions(base, slow, &o), 0, "faster is never a regression");
    o.threshold_pct = 2500;   /* QUERY nic +2000% */
    cr_assert_eq(regressions(slow, base, &o), 0, "within a 2500%% threshold");
    stats_cmp_opts_init(&o);
    o.min_delta_ns = 2001;
    cr_assert_eq(regressions(slow, base, &o), 0, "below the absolute floor");
    stats_cmp_opts_init(&o);
    o.min_count = 3;
    cr_assert_eq(regressions(slow, base, &o), 0, "groups of 1-2 samples are not judged");
    stats_free(base);
    stats_free(same);
    stats_free(slow);
}

Test(stats_compare, a_change_from_zero_needs_the_absolute_floor)
{
    stats_engine *a, *b;
    hand h;
    stats_cmp_opts o;
    hand_new(&h, STATS_BY_OP);
    hand_ev(&h, 0, QUERY, 1, 1, 0, 1, 4, 0);
    hand_ev(&h, 0, QUERY, 4, 1, 0, 1, 4, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    a = h.s;
    hand_new(&h, STATS_BY_OP);
    hand_ev(&h, 0, QUERY, 1, 1, 0, 1, 4, 0);
    hand_ev(&h, 1, QUERY, 4, 1, 0, 1, 4, 0);
    cr_assert_eq(stats_finish(h.s, NULL), CT_OK);
    b = h.s;
    stats_cmp_opts_init(&o);
    cr_assert_eq(regressions(b, a, &o), 0, "0 -> 1 ns is under the 1 us floor");
    o.min_delta_ns = 0;
    cr_assert_eq(regressions(b, a, &o), 1, "without a floor any slowdown from 0 regresses");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    uint64_t n;
    cr_assert_eq(stats_compare_write(f, 1, b, "b", a, "a", &o, &n), CT_OK);
    fclose(f);
    cr_assert_not_null(strstr(buf, "\"delta_pct\":null"), "%s", buf);
    free(buf);
    stats_free(a);
    stats_free(b);
}

/* ------------------------------------------------------------------------------------ */
/* Files                                                                                 */

TestSuite(stats_file, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

Test(stats_file, a_truncated_trace_is_flagged_uncertain)
{
    char path[256];
    uint8_t *buf;
    size_t len;
    stats_engine *s;
    stats_summary m;
    tf_scratch_path(path, sizeof path, "t.ctrace");
    cr_assert_eq(tf_write_synth(path, 3, 20000, 16384, NULL, NULL, NULL), CT_OK);
    cr_assert_eq(stats_process_file(path, NULL, &s, NULL), CT_OK);
    stats_get_summary(s, &m);
    cr_assert_not(m.truncated);
    stats_free(s);
    cr_assert_eq(tf_slurp(path, &buf, &len), 0);
    cr_assert_eq(tf_spit(path, buf, len * 3 / 5), 0);
    free(buf);
    cr_assert_eq(stats_process_file(path, NULL, &s, NULL), CT_OK);
    stats_get_summary(s, &m);
    cr_assert(m.truncated);
    cr_assert(m.uncertain & STATS_UNC_TRUNCATED);
    cr_assert_gt(m.truncated_at, m.complete_end);
    cr_assert_gt(m.completed, 0);
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    cr_assert_eq(stats_write_json(f, s, path), CT_OK);
    fclose(f);
    cr_assert_not_null(strstr(out, "\"uncertain\":true"));
    cr_assert_not_null(strstr(out, "\"truncated\""));
    free(out);
    f = open_memstream(&out, &olen);
    cr_assert_eq(stats_write_text(f, s, path), CT_OK);
    fclose(f);
    cr_assert_not_null(strstr(out, "UNCERTAIN: truncated"), "%s", out);
    free(out);
    stats_free(s);
}

static size_t memory_after(const char *path, size_t n, stats_by by)
{
    stats_engine *s;
    stats_opts o;
    stats_summary m;
    stats_opts_init(&o);
    o.by = by;
    cr_assert_eq(tf_write_synth(path, 5, n, 0, NULL, NULL, NULL), CT_OK);
    cr_assert_eq(stats_process_file(path, &o, &s, NULL), CT_OK);
    stats_get_summary(s, &m);
    cr_assert_gt(m.completed, n / 8);
    size_t bytes = stats_memory_bytes(s);
    stats_free(s);
    return bytes;
}

Test(stats_file, memory_does_not_grow_with_trace_length)
{
    char path[256];
    tf_scratch_path(path, sizeof path, "m.ctrace");
    for (int by = STATS_BY_OP; by <= STATS_BY_CPU; by++) {
        size_t small = memory_after(path, 15000, (stats_by)by);
        size_t large = memory_after(path, 300000, (stats_by)by);
        cr_assert_eq(large, small, "by %s: %zu bytes for 15k records, %zu for 300k",
                     stats_by_name((stats_by)by), small, large);
        cr_assert_lt(small, 64u << 20);
    }
}

Test(stats_file, every_golden_trace_pairs_completely)
{
    DIR *d = opendir(CT_TEST_SOURCE_DIR "/traces");
    struct dirent *e;
    int n = 0;
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 7, ".ctrace") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/traces/%s", CT_TEST_SOURCE_DIR, e->d_name);
        for (int by = STATS_BY_OP; by <= STATS_BY_OBJECT; by++) {
            stats_engine *s;
            stats_opts o;
            stats_summary m;
            ct_errinfo ei;
            stats_opts_init(&o);
            o.by = (stats_by)by;
            cr_assert_eq(stats_process_file(path, &o, &s, &ei), CT_OK, "%s: %s", path, ei.msg);
            stats_get_summary(s, &m);
            cr_assert_gt(m.completed, 0, "%s", path);
            cr_assert_eq(m.completed, m.instances, "%s", path);
            cr_assert_eq(m.complete_four_edges, m.completed, "%s", path);
            cr_assert_eq(m.uncertain, 0, "%s", path);
            cr_assert_gt(stats_group_count(s), 0);
            cr_assert_not_null(stats_header(s));
            FILE *f = fopen("/dev/null", "w");
            cr_assert_eq(stats_write_text(f, s, path), CT_OK);
            cr_assert_eq(stats_write_json(f, s, path), CT_OK);
            fclose(f);
            stats_free(s);
        }
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 5, "golden traces found");
}

Test(stats_file, a_missing_file_is_an_error_with_its_name)
{
    stats_engine *s = (stats_engine *)1;
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    cr_assert_neq(stats_process_file("/nonexistent/x.ctrace", NULL, &s, &ei), CT_OK);
    cr_assert_null(s);
    cr_assert_not_null(strstr(ei.msg, "/nonexistent/x.ctrace"), "%s", ei.msg);
}
