/* scheduler.h - the one clock/scheduler abstraction behind the driver model.
 *
 * Everything in the model that happens "later" (a NIC completing after its latency, a host
 * issuing its next operation, a keep-alive frame) is a callback posted to a lane at a
 * delay. A lane is an execution context with its own shim ring: a host thread, the NIC's
 * completion thread. Two modes run the very same callbacks:
 *   SCHED_VIRTUAL - single-threaded virtual time. Callbacks run in (due time, post order)
 *     order; time jumps to the next due callback; nothing depends on the wall clock, so a
 *     run is reproducible bit for bit. Before each callback the platform's ring index is set
 *     to the callback's lane, so the shim writes the ring that lane would own.
 *   SCHED_REAL - one thread per lane, real time (CLOCK_MONOTONIC since sched_new). Each lane
 *     runs its own callbacks in due order, sleeping until they are due; lanes run
 *     concurrently, so rings, losses and timings are real.
 * sched_now_ns is also installed as the platform clock (plat_now_ns) by sched_new.
 */
#ifndef CT_SCHED_H
#define CT_SCHED_H

#include <stdint.h>

#include "ct_err.h"

typedef struct sched sched;
typedef void (*sched_fn)(void *arg);

typedef enum sched_mode { SCHED_VIRTUAL = 0, SCHED_REAL = 1 } sched_mode;

#define SCHED_MAX_LANES 64

/* Create a scheduler with `lanes` lanes (1..SCHED_MAX_LANES); lane i writes shim ring i.
 * Installs itself as the platform clock and sets the platform ring count to `lanes`.
 * Caller frees with sched_free (after sched_run returned). */
ct_err sched_new(sched_mode mode, uint32_t lanes, sched **out);
void sched_free(sched *s);

sched_mode sched_get_mode(const sched *s);
uint32_t sched_lanes(const sched *s);

/* Current time on the trace clock, ns. Thread-safe. */
uint64_t sched_now_ns(const sched *s);

/* Run fn(arg) on `lane` once `delay_ns` has passed. Thread-safe; callable from callbacks.
 * Equal due times run in post order (virtual mode: globally; real mode: per lane).
 * Returns CT_ERR_NOMEM when the queue cannot grow, CT_ERR_STATE after sched_stop. */
ct_err sched_post(sched *s, uint32_t lane, uint64_t delay_ns, sched_fn fn, void *arg);

/* Run until sched_stop is called or no callback is pending on any lane (and, in real
 * mode, none is running). Returns CT_OK. In real mode the calling thread waits while lane
 * threads run; in virtual mode the calling thread runs everything. */
ct_err sched_run(sched *s);

/* Ask sched_run to return: pending callbacks are dropped. Thread-safe. */
void sched_stop(sched *s);

/* Virtual mode: call fn(arg) after every callback, on the scheduler's thread, with the
 * ring index still that of the callback's lane (the recorder drains there, at points that
 * are as reproducible as the callbacks). Ignored in real mode. Set before sched_run. */
void sched_set_after_callback(sched *s, sched_fn fn, void *arg);

/* Callbacks run so far (all lanes). */
uint64_t sched_callbacks_run(const sched *s);

/* The lane the calling callback runs on (UINT32_MAX outside callbacks). */
uint32_t sched_current_lane(const sched *s);

#endif
