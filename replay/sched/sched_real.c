/* sched_real.c - SCHED_REAL: one thread per lane, real time (CLOCK_MONOTONIC since
 * sched_new). Each lane has its own heap, mutex and condition variable and sleeps until its
 * next callback is due. Termination is detected exactly by one counter of pending + running
 * callbacks under a global lock: a callback's own posts are counted before the callback
 * itself is uncounted, so the counter can reach 0 only when no work is left on any lane.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include "platform_user.h"
#include "sched_int.h"

static int is_stopped(const sched *s)
{
    return __atomic_load_n(&s->stopped, __ATOMIC_SEQ_CST) != 0;
}

ct_err sched_real_init(sched *s)
{
    s->origin_ns = sched_monotonic_ns();
    s->lane = calloc(s->lanes, sizeof *s->lane);
    if (s->lane == NULL)
        return CT_ERR_NOMEM;
    pthread_mutex_init(&s->gmu, NULL);
    pthread_cond_init(&s->gcv, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (uint32_t i = 0; i < s->lanes; i++) {
        sched_lane *l = &s->lane[i];
        l->s = s;
        l->index = i;
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->cv, &ca);
        sched_heap_init(&l->heap);
    }
    pthread_condattr_destroy(&ca);
    return CT_OK;
}

static void join_lanes(sched *s)
{
    for (uint32_t i = 0; i < s->lanes; i++) {
        sched_lane *l = &s->lane[i];
        if (!l->started)
            continue;
        pthread_mutex_lock(&l->mu);
        l->quit = 1;
        pthread_cond_signal(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
        l->started = 0;
    }
}

void sched_real_fini(sched *s)
{
    if (s->lane == NULL)
        return;
    join_lanes(s);
    for (uint32_t i = 0; i < s->lanes; i++) {
        pthread_mutex_destroy(&s->lane[i].mu);
        pthread_cond_destroy(&s->lane[i].cv);
        sched_heap_fini(&s->lane[i].heap);
    }
    pthread_mutex_destroy(&s->gmu);
    pthread_cond_destroy(&s->gcv);
    free(s->lane);
    s->lane = NULL;
}

ct_err sched_real_post(sched *s, uint32_t lane, uint64_t delay_ns, sched_fn fn, void *arg)
{
    sched_lane *l = &s->lane[lane];
    ct_err e = CT_ERR_STATE;
    pthread_mutex_lock(&l->mu);
    if (!is_stopped(s)) {
        uint64_t now = sched_monotonic_ns() - s->origin_ns;
        uint64_t due = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
        e = sched_heap_push(&l->heap,
                            (sched_item){.due_ns = due, .fn = fn, .arg = arg, .lane = lane});
        if (e == CT_OK) {
            /* Counted while l->mu is held: the lane cannot run (and uncount) it before. */
            pthread_mutex_lock(&s->gmu);
            s->outstanding++;
            pthread_mutex_unlock(&s->gmu);
            pthread_cond_signal(&l->cv);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return e;
}

/* Sleep on l->cv until the absolute trace time due_ns (or a signal). l->mu is held. */
static void wait_until(sched_lane *l, uint64_t due_ns)
{
    uint64_t abs_ns = l->s->origin_ns + due_ns;
    if (abs_ns < due_ns || abs_ns / 1000000000u > (uint64_t)INT32_MAX) {
        pthread_cond_wait(&l->cv, &l->mu); /* effectively never due: wait for a signal */
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(abs_ns / 1000000000u),
                          .tv_nsec = (long)(abs_ns % 1000000000u)};
    int rc = pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    (void)rc; /* ETIMEDOUT or a wake-up: the loop re-reads the heap either way */
}

static void *lane_main(void *arg)
{
    sched_lane *l = arg;
    sched *s = l->s;
    plat_user_set_ring_index(l->index);
    pthread_mutex_lock(&l->mu);
    while (!l->quit) {
        if (l->heap.n == 0) {
            pthread_cond_wait(&l->cv, &l->mu);
            continue;
        }
        uint64_t due = sched_heap_top(&l->heap)->due_ns;
        if (due > sched_monotonic_ns() - s->origin_ns) {
            wait_until(l, due);
            continue;
        }
        sched_item it = sched_heap_pop(&l->heap);
        pthread_mutex_unlock(&l->mu);

        sched_enter_callback(s, l->index);
        it.fn(it.arg);
        sched_leave_callback();
        __atomic_fetch_add(&s->callbacks_run, 1, __ATOMIC_ACQ_REL);

        pthread_mutex_lock(&s->gmu);
        if (--s->outstanding == 0)
            pthread_cond_broadcast(&s->gcv);
        pthread_mutex_unlock(&s->gmu);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

ct_err sched_real_run(sched *s)
{
    ct_err e = CT_OK;
    for (uint32_t i = 0; i < s->lanes; i++) {
        sched_lane *l = &s->lane[i];
        l->quit = 0;
        if (pthread_create(&l->thread, NULL, lane_main, l) != 0) {
            e = CT_ERR_NOMEM;
            sched_real_stop(s);
            break;
        }
        l->started = 1;
    }
    pthread_mutex_lock(&s->gmu);
    while (s->outstanding > 0 && !is_stopped(s))
        pthread_cond_wait(&s->gcv, &s->gmu);
    pthread_mutex_unlock(&s->gmu);
    join_lanes(s);
    return e;
}

void sched_real_stop(sched *s)
{
    pthread_mutex_lock(&s->gmu);
    __atomic_store_n(&s->stopped, 1u, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&s->gmu);
    for (uint32_t i = 0; i < s->lanes; i++) {
        sched_lane *l = &s->lane[i];
        pthread_mutex_lock(&l->mu);
        size_t dropped = sched_heap_clear(&l->heap);
        pthread_cond_signal(&l->cv);
        pthread_mutex_lock(&s->gmu);
        s->outstanding -= dropped;
        pthread_mutex_unlock(&s->gmu);
        pthread_mutex_unlock(&l->mu);
    }
    pthread_mutex_lock(&s->gmu);
    pthread_cond_broadcast(&s->gcv);
    pthread_mutex_unlock(&s->gmu);
}
