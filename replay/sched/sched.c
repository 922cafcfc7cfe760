/* sched.c - the clock/scheduler behind the driver model (sched.h): creation, the clock
 * installed into the platform layer, and the single-threaded virtual-time mode.
 * Virtual mode keeps one heap for all lanes keyed by (due, post order) and jumps time to
 * the next due callback, so a run depends on nothing but the callbacks themselves. The
 * real-time mode (one thread per lane) lives in sched_real.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>

#include "platform_user.h"
#include "sched_int.h"

static _Thread_local const sched *tl_sched;
static _Thread_local uint32_t tl_lane = UINT32_MAX;

void sched_enter_callback(const sched *s, uint32_t lane)
{
    tl_sched = s;
    tl_lane = lane;
}

void sched_leave_callback(void)
{
    tl_sched = NULL;
    tl_lane = UINT32_MAX;
}

uint64_t sched_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t sched_clock(void *ctx)
{
    return sched_now_ns(ctx);
}

ct_err sched_new(sched_mode mode, uint32_t lanes, sched **out)
{
    if (out == NULL)
        return CT_ERR_ARG;
    *out = NULL;
    if ((mode != SCHED_VIRTUAL && mode != SCHED_REAL) || lanes == 0 || lanes > SCHED_MAX_LANES)
        return CT_ERR_ARG;
    sched *s = calloc(1, sizeof *s);
    if (s == NULL)
        return CT_ERR_NOMEM;
    s->mode = mode;
    s->lanes = lanes;
    pthread_mutex_init(&s->vmu, NULL);
    sched_heap_init(&s->vheap);
    if (mode == SCHED_REAL) {
        ct_err e = sched_real_init(s);
        if (e != CT_OK) {
            pthread_mutex_destroy(&s->vmu);
            free(s);
            return e;
        }
    }
    plat_user_set_clock(sched_clock, s);
    plat_user_set_ring_count(lanes);
    *out = s;
    return CT_OK;
}

void sched_free(sched *s)
{
    if (s == NULL)
        return;
    plat_user_set_clock(NULL, NULL);
    if (s->mode == SCHED_REAL)
        sched_real_fini(s);
    sched_heap_fini(&s->vheap);
    pthread_mutex_destroy(&s->vmu);
    free(s);
}

sched_mode sched_get_mode(const sched *s)
{
    return s->mode;
}

uint32_t sched_lanes(const sched *s)
{
    return s->lanes;
}

uint64_t sched_now_ns(const sched *s)
{
    if (s->mode == SCHED_VIRTUAL)
        return __atomic_load_n(&s->vnow_ns, __ATOMIC_ACQUIRE);
    return sched_monotonic_ns() - s->origin_ns;
}

void sched_set_after_callback(sched *s, sched_fn fn, void *arg)
{
    s->after_arg = arg;
    s->after_fn = fn;
}

uint64_t sched_callbacks_run(const sched *s)
{
    return __atomic_load_n(&s->callbacks_run, __ATOMIC_ACQUIRE);
}

uint32_t sched_current_lane(const sched *s)
{
    return tl_sched == s ? tl_lane : UINT32_MAX;
}

static int is_stopped(const sched *s)
{
    return __atomic_load_n(&s->stopped, __ATOMIC_SEQ_CST) != 0;
}

ct_err sched_post(sched *s, uint32_t lane, uint64_t delay_ns, sched_fn fn, void *arg)
{
    if (s == NULL || fn == NULL || lane >= s->lanes)
        return CT_ERR_ARG;
    if (s->mode == SCHED_REAL)
        return sched_real_post(s, lane, delay_ns, fn, arg);
    pthread_mutex_lock(&s->vmu);
    ct_err e = CT_ERR_STATE;
    if (!is_stopped(s)) {
        uint64_t now = __atomic_load_n(&s->vnow_ns, __ATOMIC_ACQUIRE);
        uint64_t due = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
        e = sched_heap_push(&s->vheap,
                            (sched_item){.due_ns = due, .fn = fn, .arg = arg, .lane = lane});
    }
    pthread_mutex_unlock(&s->vmu);
    return e;
}

/* Virtual mode: the calling thread runs every callback in (due, post order), jumping the
 * clock forward to each one's due time. The caller's ring index is restored afterwards. */
static ct_err sched_virtual_run(sched *s)
{
    uint32_t saved_ring = plat_ring_index();
    for (;;) {
        pthread_mutex_lock(&s->vmu);
        if (is_stopped(s) || s->vheap.n == 0) {
            pthread_mutex_unlock(&s->vmu);
            break;
        }
        sched_item it = sched_heap_pop(&s->vheap);
        if (it.due_ns > __atomic_load_n(&s->vnow_ns, __ATOMIC_ACQUIRE))
            __atomic_store_n(&s->vnow_ns, it.due_ns, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&s->vmu);

        plat_user_set_ring_index(it.lane);
        sched_enter_callback(s, it.lane);
        it.fn(it.arg);
        sched_leave_callback();
        __atomic_fetch_add(&s->callbacks_run, 1, __ATOMIC_ACQ_REL);
        if (s->after_fn != NULL)
            s->after_fn(s->after_arg);
    }
    plat_user_set_ring_index(saved_ring);
    return CT_OK;
}

ct_err sched_run(sched *s)
{
    if (s == NULL)
        return CT_ERR_ARG;
    return s->mode == SCHED_REAL ? sched_real_run(s) : sched_virtual_run(s);
}

void sched_stop(sched *s)
{
    if (s == NULL)
        return;
    if (s->mode == SCHED_REAL) {
        sched_real_stop(s);
        return;
    }
    pthread_mutex_lock(&s->vmu);
    __atomic_store_n(&s->stopped, 1u, __ATOMIC_SEQ_CST);
    sched_heap_clear(&s->vheap);
    pthread_mutex_unlock(&s->vmu);
}
