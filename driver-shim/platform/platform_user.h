/* platform_user.h - controls of the user-mode platform backend, for the model and tests.
 *
 * The model installs the trace clock (virtual or monotonic) and tells each producer thread
 * which ring it writes to. Allocation is counted per pool tag, so tests can prove that the
 * IM driver frees every entry it allocates (a leaked offload entry shows up here).
 */
#ifndef CHIMNEY_PLATFORM_USER_H
#define CHIMNEY_PLATFORM_USER_H

#include "platform.h"

typedef uint64_t (*plat_clock_fn)(void *ctx);

/* Install the clock plat_now_ns reads; NULL restores CLOCK_MONOTONIC since the first call. */
void plat_user_set_clock(plat_clock_fn fn, void *ctx);

/* The calling thread's ring (thread-local; default 0) and the number of rings. */
void plat_user_set_ring_index(uint32_t ring);
void plat_user_set_ring_count(uint32_t count);

/* Live allocations and bytes for a tag (0: all tags). */
uint64_t plat_user_live_allocs(uint32_t tag);

/* Make the n-th plat_alloc from now fail (1 = the next one); 0 disables. For tests of the
 * driver's out-of-memory paths. */
void plat_user_fail_alloc_after(uint64_t n);

/* Pool mode (off by default): plat_alloc serves each size from a LIFO list of blocks of
 * exactly that size that plat_free returned, as a kernel pool's lookaside lists do, and
 * takes new memory from the C library only when the list is empty. Which allocation reuses
 * which block then depends on the driver's own alloc/free sequence alone - not on the C
 * library, its tunables, a sanitizer or other code in the process - so the stable ids of
 * driver objects (FORMAT.md §6.4) repeat between a deterministic recording and its replay.
 * Pooled blocks are poisoned under AddressSanitizer. May be switched at any time (every
 * block knows its size). */
void plat_user_set_pool(int on);

/* Give the pool's free blocks back to the C library. */
void plat_user_pool_trim(void);

#endif
