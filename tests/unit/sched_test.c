/* sched_test.c - pins the scheduler contract of replay/sched/sched.h.
 *
 * Virtual mode: callbacks run in (due time, post order), including callbacks that post more
 * at delay 0; time jumps; the platform clock and ring index follow the scheduler. Real
 * mode: lanes run concurrently, cross-lane chains of thousands of posts terminate with an
 * exact count, sched_stop from a callback returns sched_run, ring index == lane.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "platform_user.h"
#include "scheduler.h"

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- virtual mode: order and time -------------------------------------------------- */

struct order_log {
    sched *s;
    int ids[64];
    uint64_t at[64];
    int n;
};
struct order_cb {
    struct order_log *log;
    int id;
    int spawn;          /* >0: post child id `spawn` at delay 0 when run */
    struct order_cb *child;
};

static void order_fn(void *arg)
{
    struct order_cb *c = arg;
    c->log->ids[c->log->n] = c->id;
    c->log->at[c->log->n] = sched_now_ns(c->log->s);
    c->log->n++;
    if (c->child != NULL)
        cr_assert_eq(sched_post(c->log->s, 0, 0, order_fn, c->child), CT_OK);
}

Test(sched, virtual_runs_in_due_time_then_post_order_including_delay0_children)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 2, &s), CT_OK);
    struct order_log log = {.s = s};
    /* id: 1 @100, 2 @50, 3 @100, 4 @50 (spawns 7 @ 50+0), 5 @0, 6 @100 */
    struct order_cb child7 = {&log, 7, 0, NULL};
    struct order_cb cb[] = {{&log, 1, 0, NULL}, {&log, 2, 0, NULL}, {&log, 3, 0, NULL},
                            {&log, 4, 0, &child7}, {&log, 5, 0, NULL}, {&log, 6, 0, NULL}};
    uint64_t delay[] = {100, 50, 100, 50, 0, 100};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(sched_post(s, (uint32_t)i % 2, delay[i], order_fn, &cb[i]), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    int want[] = {5, 2, 4, 7, 1, 3, 6};
    uint64_t want_at[] = {0, 50, 50, 50, 100, 100, 100};
    cr_assert_eq(log.n, 7);
    for (int i = 0; i < 7; i++) {
        cr_expect_eq(log.ids[i], want[i], "position %d: got %d want %d", i, log.ids[i], want[i]);
        cr_expect_eq(log.at[i], want_at[i]);
    }
    cr_expect_eq(sched_callbacks_run(s), 7);
    sched_free(s);
}

struct jump {
    sched *s;
    uint64_t seen[4];
    uint64_t plat_seen[4];
    int n;
};
static void jump_fn(void *arg)
{
    struct jump *j = arg;
    j->seen[j->n] = sched_now_ns(j->s);
    j->plat_seen[j->n] = plat_now_ns();
    j->n++;
}

Test(sched, virtual_time_jumps_to_each_due_time_without_waiting)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 1, &s), CT_OK);
    struct jump j = {.s = s};
    uint64_t hour = 3600ull * 1000000000u;
    cr_assert_eq(sched_post(s, 0, hour, jump_fn, &j), CT_OK);
    cr_assert_eq(sched_post(s, 0, 1000, jump_fn, &j), CT_OK);
    cr_assert_eq(sched_post(s, 0, 24 * hour, jump_fn, &j), CT_OK);
    uint64_t t0 = wall_ns();
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_lt(wall_ns() - t0, 1000000000ull, "virtual time must not sleep");
    cr_assert_eq(j.n, 3);
    cr_expect_eq(j.seen[0], 1000);
    cr_expect_eq(j.seen[1], hour);
    cr_expect_eq(j.seen[2], 24 * hour);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(j.plat_seen[i], j.seen[i], "plat_now_ns follows the virtual clock");
    cr_expect_eq(sched_now_ns(s), 24 * hour);
    cr_expect_eq(plat_now_ns(), 24 * hour);
    sched_free(s);
}

static void post_more_fn(void *arg);
struct later {
    sched *s;
    uint64_t t[2];
    int n;
};
static void post_more_fn(void *arg)
{
    struct later *l = arg;
    l->t[l->n++] = sched_now_ns(l->s);
    if (l->n == 1)
        cr_assert_eq(sched_post(l->s, 0, 250, post_more_fn, l), CT_OK);
}

Test(sched, virtual_delay_counts_from_the_posting_callbacks_time)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 1, &s), CT_OK);
    struct later l = {.s = s};
    cr_assert_eq(sched_post(s, 0, 1000, post_more_fn, &l), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    cr_assert_eq(l.n, 2);
    cr_expect_eq(l.t[0], 1000);
    cr_expect_eq(l.t[1], 1250);
    sched_free(s);
}

/* ---- lane / ring index --------------------------------------------------------------- */

struct lane_check {
    sched *s;
    uint32_t lane;
    volatile int ok;
    volatile int ran;
};
static void lane_fn(void *arg)
{
    struct lane_check *c = arg;
    c->ok = plat_ring_index() == c->lane && sched_current_lane(c->s) == c->lane &&
            plat_ring_count() == sched_lanes(c->s);
    c->ran = 1;
}

static void check_lanes(sched_mode mode)
{
    sched *s;
    cr_assert_eq(sched_new(mode, 5, &s), CT_OK);
    cr_expect_eq(plat_ring_count(), 5);
    struct lane_check c[5];
    for (uint32_t i = 0; i < 5; i++) {
        c[4 - i] = (struct lane_check){.s = s, .lane = 4 - i};
        cr_assert_eq(sched_post(s, 4 - i, i * 10, lane_fn, &c[4 - i]), CT_OK);
    }
    cr_assert_eq(sched_run(s), CT_OK);
    for (int i = 0; i < 5; i++) {
        cr_expect(c[i].ran, "lane %d callback ran", i);
        cr_expect(c[i].ok, "lane %d: ring index and current lane equal the lane", i);
    }
    cr_expect_eq(sched_current_lane(s), UINT32_MAX, "outside callbacks");
    sched_free(s);
}

Test(sched, virtual_ring_index_in_callbacks_equals_lane)
{
    plat_user_set_ring_index(0);
    check_lanes(SCHED_VIRTUAL);
    cr_expect_eq(plat_ring_index(), 0, "caller's ring index restored after sched_run");
}

Test(sched, real_ring_index_in_callbacks_equals_lane)
{
    check_lanes(SCHED_REAL);
}

/* ---- arguments, stop ------------------------------------------------------------------ */

static void nop_fn(void *arg)
{
    (void)arg;
}

Test(sched, rejects_bad_arguments)
{
    sched *s = (sched *)1;
    cr_expect_eq(sched_new(SCHED_VIRTUAL, 0, &s), CT_ERR_ARG);
    cr_expect_null(s);
    cr_expect_eq(sched_new(SCHED_VIRTUAL, SCHED_MAX_LANES + 1, &s), CT_ERR_ARG);
    cr_expect_eq(sched_new((sched_mode)7, 1, &s), CT_ERR_ARG);
    cr_assert_eq(sched_new(SCHED_VIRTUAL, SCHED_MAX_LANES, &s), CT_OK);
    cr_expect_eq(sched_post(s, SCHED_MAX_LANES, 0, nop_fn, NULL), CT_ERR_ARG);
    cr_expect_eq(sched_post(s, 0, 0, NULL, NULL), CT_ERR_ARG);
    cr_expect_eq(sched_get_mode(s), SCHED_VIRTUAL);
    sched_free(s);
    sched_free(NULL);
}

Test(sched, free_uninstalls_the_platform_clock)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 1, &s), CT_OK);
    cr_assert_eq(sched_post(s, 0, 5000000000ull, nop_fn, NULL), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_eq(plat_now_ns(), 5000000000ull);
    sched_free(s);
    uint64_t a = plat_now_ns();
    sleep_ns(2000000);
    cr_expect_gt(plat_now_ns(), a, "the monotonic clock is back");
}

struct stopper {
    sched *s;
    volatile uint64_t runs;
    uint64_t stop_at;
    uint32_t lanes;
    volatile int post_after_stop;
};
static void stopper_fn(void *arg)
{
    struct stopper *st = arg;
    uint64_t n = __atomic_add_fetch(&st->runs, 1, __ATOMIC_SEQ_CST);
    if (n == st->stop_at) {
        sched_stop(st->s);
        st->post_after_stop = sched_post(st->s, 0, 0, stopper_fn, st);
        return;
    }
    if (n < st->stop_at)
        sched_post(st->s, (uint32_t)(n % st->lanes), 1000, stopper_fn, st);
}

static void check_stop_from_callback(sched_mode mode)
{
    sched *s;
    cr_assert_eq(sched_new(mode, 3, &s), CT_OK);
    struct stopper st = {.s = s, .stop_at = 50, .lanes = 3};
    /* Also a far-future callback that must be dropped, not waited for. */
    cr_assert_eq(sched_post(s, 2, 3600ull * 1000000000u, nop_fn, NULL), CT_OK);
    cr_assert_eq(sched_post(s, 0, 0, stopper_fn, &st), CT_OK);
    uint64_t t0 = wall_ns();
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_lt(wall_ns() - t0, 10ull * 1000000000u);
    cr_expect_eq(st.runs, 50);
    cr_expect_eq(st.post_after_stop, CT_ERR_STATE);
    cr_expect_eq(sched_post(s, 1, 0, nop_fn, NULL), CT_ERR_STATE);
    cr_expect_eq(sched_callbacks_run(s), 50);
    sched_free(s);
}

Test(sched, virtual_stop_from_callback_drops_pending_and_refuses_posts)
{
    check_stop_from_callback(SCHED_VIRTUAL);
}

Test(sched, real_stop_from_callback_returns_run_and_refuses_posts)
{
    check_stop_from_callback(SCHED_REAL);
}

/* ---- real mode ------------------------------------------------------------------------- */

struct sleeper {
    uint64_t start, end;
};
static void sleeper_fn(void *arg)
{
    struct sleeper *sl = arg;
    sl->start = wall_ns();
    sleep_ns(300000000u);
    sl->end = wall_ns();
}

Test(sched, real_lanes_run_concurrently)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_REAL, 2, &s), CT_OK);
    struct sleeper a = {0}, b = {0};
    cr_assert_eq(sched_post(s, 0, 0, sleeper_fn, &a), CT_OK);
    cr_assert_eq(sched_post(s, 1, 0, sleeper_fn, &b), CT_OK);
    uint64_t t0 = wall_ns();
    cr_assert_eq(sched_run(s), CT_OK);
    uint64_t total = wall_ns() - t0;
    cr_expect_lt(total, 500000000u, "two 300 ms callbacks on two lanes took %llu ns",
                 (unsigned long long)total);
    cr_expect(a.start < b.end && b.start < a.end, "the two callbacks overlapped in time");
    sched_free(s);
}

struct delayed {
    sched *s;
    uint64_t posted_at;
    uint64_t ran_at;
    uint64_t plat_at;
};
static void delayed_fn(void *arg)
{
    struct delayed *d = arg;
    d->ran_at = sched_now_ns(d->s);
    d->plat_at = plat_now_ns();
}

Test(sched, real_callback_waits_for_its_delay_and_plat_clock_follows)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_REAL, 1, &s), CT_OK);
    struct delayed d = {.s = s, .posted_at = sched_now_ns(s)};
    cr_assert_eq(sched_post(s, 0, 30000000u, delayed_fn, &d), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_geq(d.ran_at - d.posted_at, 30000000u);
    cr_expect_lt(d.ran_at - d.posted_at, 2000000000u);
    cr_expect_geq(d.plat_at, d.ran_at, "plat_now_ns is the scheduler clock");
    cr_expect_lt(d.plat_at - d.ran_at, 100000000u);
    sched_free(s);
}

struct fifo {
    int seen[200];
    int n;
    int id;
};
struct fifo_item {
    struct fifo *f;
    int id;
};
static void fifo_fn(void *arg)
{
    struct fifo_item *it = arg;
    it->f->seen[it->f->n++] = it->id;
}

Test(sched, real_posts_at_delay0_run_in_post_order_per_lane)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_REAL, 1, &s), CT_OK);
    struct fifo f = {0};
    struct fifo_item items[200];
    /* Due times from one poster never decrease; equal ones fall back to post order. */
    for (int i = 0; i < 200; i++) {
        items[i] = (struct fifo_item){&f, i};
        cr_assert_eq(sched_post(s, 0, 0, fifo_fn, &items[i]), CT_OK);
    }
    cr_assert_eq(sched_run(s), CT_OK);
    cr_assert_eq(f.n, 200);
    for (int i = 0; i < 200; i++)
        cr_expect_eq(f.seen[i], i);
    sched_free(s);
}

/* Chains hopping across lanes: termination must be detected exactly, with no hang and no
 * early return while a hop is in flight. */
struct chain_ctx {
    sched *s;
    uint32_t lanes;
    volatile uint64_t count;
    volatile int wrong_lane;
};
struct hop {
    struct chain_ctx *c;
    uint32_t lane;
    uint32_t left;
};
static void hop_fn(void *arg)
{
    struct hop *h = arg;
    struct chain_ctx *c = h->c;
    if (sched_current_lane(c->s) != h->lane || plat_ring_index() != h->lane)
        c->wrong_lane = 1;
    __atomic_add_fetch(&c->count, 1, __ATOMIC_SEQ_CST);
    if (h->left == 0)
        return;
    h->left--;
    h->lane = (h->lane + 1 + h->left % 3) % c->lanes;
    cr_assert_eq(sched_post(c->s, h->lane, h->left % 5 == 0 ? 1000 : 0, hop_fn, h), CT_OK);
}

Test(sched, real_cross_lane_chains_terminate_with_exact_count)
{
    sched *s;
    enum { LANES = 4, CHAINS = 16, HOPS = 800 };
    cr_assert_eq(sched_new(SCHED_REAL, LANES, &s), CT_OK);
    struct chain_ctx c = {.s = s, .lanes = LANES};
    struct hop hops[CHAINS];
    for (uint32_t i = 0; i < CHAINS; i++) {
        hops[i] = (struct hop){&c, i % LANES, HOPS - 1};
        cr_assert_eq(sched_post(s, i % LANES, 0, hop_fn, &hops[i]), CT_OK);
    }
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_eq(c.count, (uint64_t)CHAINS * HOPS);
    cr_expect_eq(sched_callbacks_run(s), (uint64_t)CHAINS * HOPS);
    cr_expect_not(c.wrong_lane);
    sched_free(s);
}

/* A binary fan-out across lanes: many callbacks in flight at once on every lane. */
struct fan_ctx {
    sched *s;
    volatile uint64_t count;
};
static struct fan_ctx *fan_global;
static void fan_fn(void *arg)
{
    uintptr_t depth = (uintptr_t)arg;
    struct fan_ctx *c = fan_global;
    __atomic_add_fetch(&c->count, 1, __ATOMIC_SEQ_CST);
    if (depth == 0)
        return;
    for (uint32_t k = 0; k < 2; k++)
        cr_assert_eq(sched_post(c->s, (uint32_t)((depth + k) % 3), 0, fan_fn,
                                (void *)(depth - 1)), CT_OK);
}

Test(sched, real_fan_out_across_lanes_terminates_with_exact_count)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_REAL, 3, &s), CT_OK);
    struct fan_ctx c = {.s = s};
    fan_global = &c;
    cr_assert_eq(sched_post(s, 0, 0, fan_fn, (void *)(uintptr_t)13), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_eq(c.count, (1u << 14) - 1);
    sched_free(s);
}

Test(sched, real_run_twice_and_empty_run_return)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_REAL, 2, &s), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK); /* nothing pending: returns at once */
    struct chain_ctx c = {.s = s, .lanes = 2};
    struct hop h = {&c, 1, 99};
    cr_assert_eq(sched_post(s, 1, 0, hop_fn, &h), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_eq(c.count, 100);
    h = (struct hop){&c, 0, 9};
    cr_assert_eq(sched_post(s, 0, 0, hop_fn, &h), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_eq(c.count, 110);
    sched_free(s);
}

Test(sched, virtual_many_posts_across_lanes_exact_count)
{
    sched *s;
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 4, &s), CT_OK);
    struct chain_ctx c = {.s = s, .lanes = 4};
    struct hop hops[8];
    for (uint32_t i = 0; i < 8; i++) {
        hops[i] = (struct hop){&c, i % 4, 4999};
        cr_assert_eq(sched_post(s, i % 4, i, hop_fn, &hops[i]), CT_OK);
    }
    cr_assert_eq(sched_run(s), CT_OK);
    cr_expect_eq(c.count, 40000);
    cr_expect_not(c.wrong_lane);
    sched_free(s);
}
