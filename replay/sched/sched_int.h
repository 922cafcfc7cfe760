/* sched_int.h - the scheduler's insides, shared by sched.c (common + virtual mode),
 * sched_real.c (one thread per lane) and sched_heap.c (the min-heap both modes use).
 * Not installed: nothing outside replay/sched includes it.
 */
#ifndef CT_SCHED_INT_H
#define CT_SCHED_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler.h"

/* One pending callback. (due_ns, seq) is the heap key: seq makes equal due times run in
 * post order, which is what makes virtual runs reproducible. */
typedef struct sched_item {
    uint64_t due_ns;
    uint64_t seq;
    sched_fn fn;
    void *arg;
    uint32_t lane;
} sched_item;

/* Binary min-heap of items keyed by (due_ns, seq). Not locked: callers hold their lock. */
typedef struct sched_heap {
    sched_item *v;
    size_t n, cap;
    uint64_t next_seq;
} sched_heap;

void sched_heap_init(sched_heap *h);
void sched_heap_fini(sched_heap *h);
/* Stamps the item with the heap's next sequence number. CT_ERR_NOMEM when it cannot grow. */
ct_err sched_heap_push(sched_heap *h, sched_item it);
/* The earliest item; the heap must not be empty. */
const sched_item *sched_heap_top(const sched_heap *h);
sched_item sched_heap_pop(sched_heap *h);
/* Drop every item; returns how many there were. */
size_t sched_heap_clear(sched_heap *h);

/* Real mode: one lane thread with its own heap, lock and condition variable. */
typedef struct sched_lane {
    sched *s;
    uint32_t index;
    pthread_t thread;
    int started;
    int quit;                   /* under mu: leave the loop */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* CLOCK_MONOTONIC: timed waits until the next due time */
    sched_heap heap;
} sched_lane;

struct sched {
    sched_mode mode;
    uint32_t lanes;
    volatile uint32_t stopped;  /* atomic; once set, posts fail and run returns */
    volatile uint64_t callbacks_run;  /* atomic */
    sched_fn after_fn;          /* virtual mode: called after every callback */
    void *after_arg;

    /* virtual mode: one heap, the current virtual time */
    pthread_mutex_t vmu;
    sched_heap vheap;
    volatile uint64_t vnow_ns;  /* atomic */

    /* real mode: CLOCK_MONOTONIC origin, lanes, and the termination counter */
    uint64_t origin_ns;
    sched_lane *lane;
    pthread_mutex_t gmu;
    pthread_cond_t gcv;         /* signalled when outstanding hits 0 or on stop */
    uint64_t outstanding;       /* under gmu: pending + running callbacks, all lanes */
};

/* The calling thread's callback context (both modes). */
void sched_enter_callback(const sched *s, uint32_t lane);
void sched_leave_callback(void);

uint64_t sched_monotonic_ns(void);

/* Real mode, in sched_real.c. */
ct_err sched_real_init(sched *s);
void sched_real_fini(sched *s);
ct_err sched_real_post(sched *s, uint32_t lane, uint64_t delay_ns, sched_fn fn, void *arg);
ct_err sched_real_run(sched *s);
void sched_real_stop(sched *s);

#endif
