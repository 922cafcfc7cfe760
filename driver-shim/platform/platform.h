/* platform.h - the only door from driver-shim/ to the machine: time, ring/CPU id, atomics,
 * memory, locks. Every other driver-shim file is freestanding and calls nothing else, which
 * is how the same IM driver and shim sources build for the Windows kernel and for the
 * user-mode model.
 *
 * Backends: platform_user.c (Linux, the model: clock and ring id are installed by the
 * model's scheduler) and platform_kernel.c (Windows, issue 6; declarations in
 * platform_kernel.h). Atomics and memory helpers are compiler builtins, which gcc, clang and
 * mingw-w64 gcc all provide without a C library.
 */
#ifndef CHIMNEY_PLATFORM_H
#define CHIMNEY_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Pool tags (four characters, little-endian as the WDK writes them: 'Chim' shows as "Chim"). */
#define PLAT_TAG(a, b, c, d) \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define PLAT_TAG_RING PLAT_TAG('C', 'h', 'R', 'g')
#define PLAT_TAG_SHIM PLAT_TAG('C', 'h', 'S', 'h')
#define PLAT_TAG_IM_CALL PLAT_TAG('C', 'h', 'I', 'c')
#define PLAT_TAG_IM_OBJ PLAT_TAG('C', 'h', 'I', 'o')
#define PLAT_TAG_IM_ADAPTER PLAT_TAG('C', 'h', 'I', 'a')

/* ---- time -------------------------------------------------------------------------- */

/* Nanoseconds on the trace clock: the model's virtual or monotonic clock in user mode,
 * KeQueryPerformanceCounter scaled to ns in the kernel. Never blocks. */
uint64_t plat_now_ns(void);

/* ---- ring / CPU id ------------------------------------------------------------------ */

/* The ring the current execution context writes to: the processor number in the kernel
 * (the caller runs at DISPATCH_LEVEL while it writes), the producer thread's ring in the
 * model. Always < plat_ring_count(). */
uint32_t plat_ring_index(void);
uint32_t plat_ring_count(void);

/* ---- memory ------------------------------------------------------------------------- */

/* Zeroed, non-paged memory, 16-byte aligned; NULL when none is available. Not for the
 * shim's fast path (which never allocates). Free with the same tag. */
void *plat_alloc(size_t size, uint32_t tag);
void plat_free(void *p, uint32_t tag);

static inline void plat_memcpy(void *dst, const void *src, size_t n)
{
    __builtin_memcpy(dst, src, n);
}
static inline void plat_memset(void *dst, int c, size_t n)
{
    __builtin_memset(dst, c, n);
}

/* ---- atomics (sequentially consistent unless the name says otherwise) ----------------- */

static inline uint64_t plat_atomic_fetch_add_u64(volatile uint64_t *p, uint64_t v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t plat_atomic_fetch_add_u32(volatile uint32_t *p, uint32_t v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline uint64_t plat_load_acquire_u64(const volatile uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void plat_store_release_u64(volatile uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline uint32_t plat_load_acquire_u32(const volatile uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void plat_store_release_u32(volatile uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline uint8_t plat_load_acquire_u8(const volatile uint8_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline uint32_t plat_load_relaxed_u32(const volatile uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* ---- spin lock (never held across a call into another driver) ----------------------- */

typedef struct plat_spinlock {
    volatile uint32_t held;
    uint32_t saved;   /* kernel backend: the IRQL to restore */
} plat_spinlock;

void plat_spin_init(plat_spinlock *l);
void plat_spin_acquire(plat_spinlock *l);
void plat_spin_release(plat_spinlock *l);

/* ---- likely/unlikely ---------------------------------------------------------------- */

#define PLAT_LIKELY(x) __builtin_expect(!!(x), 1)
#define PLAT_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* CHIMNEY_PLATFORM_H */
