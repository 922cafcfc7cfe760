/* platform_user.c - the user-mode backend of platform.h (Linux, the driver model).
 *
 * The only driver-shim file that uses libc. The clock is whatever the model installs (its
 * virtual-time scheduler, or CLOCK_MONOTONIC for real-time recording); the ring index is a
 * thread-local set by each producer thread. Allocations are counted per tag so that tests can
 * see leaks, and can be made to fail on demand; in pool mode they come from per-size LIFO
 * lists, so address reuse is the driver's own doing (platform_user.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "platform_user.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#define PLAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAT_ASAN 1
#endif
#endif
#ifdef PLAT_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define TAG_SLOTS 16

static plat_clock_fn clock_fn;
static void *clock_ctx;
static _Thread_local uint32_t ring_index;
static uint32_t ring_count = 1;
static volatile uint64_t fail_after;

static struct {
    uint32_t tag;
    volatile uint64_t live;
} tag_counts[TAG_SLOTS];
static volatile uint64_t live_total;

static uint64_t monotonic_ns(void)
{
    static uint64_t origin;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t o = __atomic_load_n(&origin, __ATOMIC_ACQUIRE);
    if (PLAT_UNLIKELY(o == 0)) {
        uint64_t zero = 0; /* first call: the origin is set once, by whoever gets there */
        __atomic_compare_exchange_n(&origin, &zero, now, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        o = __atomic_load_n(&origin, __ATOMIC_ACQUIRE);
    }
    return now - o;
}

uint64_t plat_now_ns(void)
{
    plat_clock_fn fn = __atomic_load_n(&clock_fn, __ATOMIC_ACQUIRE);
    return fn != NULL ? fn(clock_ctx) : monotonic_ns();
}

void plat_user_set_clock(plat_clock_fn fn, void *ctx)
{
    clock_ctx = ctx;
    __atomic_store_n(&clock_fn, fn, __ATOMIC_RELEASE);
}

uint32_t plat_ring_index(void)
{
    return ring_index;
}

uint32_t plat_ring_count(void)
{
    return ring_count;
}

void plat_user_set_ring_index(uint32_t ring)
{
    ring_index = ring;
}

void plat_user_set_ring_count(uint32_t count)
{
    ring_count = count ? count : 1;
}

/* Find (or claim) the counter slot of a tag. Tags are few and fixed; lock-free claim. */
static volatile uint64_t *tag_slot(uint32_t tag)
{
    for (int i = 0; i < TAG_SLOTS; i++) {
        uint32_t cur = __atomic_load_n(&tag_counts[i].tag, __ATOMIC_ACQUIRE);
        if (cur == tag)
            return &tag_counts[i].live;
        if (cur == 0) {
            uint32_t zero = 0;
            if (__atomic_compare_exchange_n(&tag_counts[i].tag, &zero, tag, 0,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ||
                zero == tag)
                return &tag_counts[i].live;
        }
    }
    return NULL;
}

/* ---- blocks: a 16-byte header (size, free-list link) before what the driver sees ------ */

typedef union blk_hdr {
    struct {
        size_t size;
        union blk_hdr *next;    /* pool list, while the block is pooled */
    } h;
    _Alignas(16) unsigned char pad[16];
} blk_hdr;

/* The pool: one LIFO list per exact size, in an open-addressing table keyed by size. */
typedef struct pool_slot {
    size_t size;                /* 0: empty slot */
    blk_hdr *head;
} pool_slot;

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pool_slot *pool;
static size_t pool_cap, pool_used;
static volatile int pool_on;

static pool_slot *pool_find(size_t size, int add)
{
    if (add && (pool_used + 1) * 2 > pool_cap) {
        size_t cap = pool_cap ? pool_cap * 2 : 64;
        pool_slot *n = calloc(cap, sizeof *n);
        if (n == NULL)
            return NULL;
        for (size_t i = 0; i < pool_cap; i++) {
            if (pool[i].size == 0)
                continue;
            size_t j = (pool[i].size * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
            while (n[j].size != 0)
                j = (j + 1) & (cap - 1);
            n[j] = pool[i];
        }
        free(pool);
        pool = n;
        pool_cap = cap;
    }
    if (pool_cap == 0)
        return NULL;
    size_t i = (size * 0x9E3779B97F4A7C15ull >> 20) & (pool_cap - 1);
    while (pool[i].size != 0 && pool[i].size != size)
        i = (i + 1) & (pool_cap - 1);
    if (pool[i].size == 0) {
        if (!add)
            return NULL;
        pool[i].size = size;
        pool_used++;
    }
    return &pool[i];
}

static blk_hdr *pool_take(size_t size)
{
    blk_hdr *b = NULL;
    pthread_mutex_lock(&pool_mu);
    pool_slot *sl = pool_find(size, 0);
    if (sl != NULL && sl->head != NULL) {
        b = sl->head;
        sl->head = b->h.next;
        UNPOISON(b + 1, size);
    }
    pthread_mutex_unlock(&pool_mu);
    return b;
}

/* 0 when the pool could not take it (no memory for its table): the caller frees it. */
static int pool_put(blk_hdr *b)
{
    pthread_mutex_lock(&pool_mu);
    pool_slot *sl = pool_find(b->h.size, 1);
    if (sl != NULL) {
        b->h.next = sl->head;
        sl->head = b;
        POISON(b + 1, b->h.size);
    }
    pthread_mutex_unlock(&pool_mu);
    return sl != NULL;
}

void plat_user_set_pool(int on)
{
    __atomic_store_n(&pool_on, on ? 1 : 0, __ATOMIC_SEQ_CST);
}

void plat_user_pool_trim(void)
{
    pthread_mutex_lock(&pool_mu);
    for (size_t i = 0; i < pool_cap; i++) {
        while (pool[i].head != NULL) {
            blk_hdr *b = pool[i].head;
            pool[i].head = b->h.next;
            UNPOISON(b + 1, b->h.size);
            free(b);
        }
    }
    free(pool);
    pool = NULL;
    pool_cap = pool_used = 0;
    pthread_mutex_unlock(&pool_mu);
}

void *plat_alloc(size_t size, uint32_t tag)
{
    uint64_t f = __atomic_load_n(&fail_after, __ATOMIC_SEQ_CST);
    if (f > 0 && __atomic_sub_fetch(&fail_after, 1, __ATOMIC_SEQ_CST) == 0)
        return NULL;
    blk_hdr *b = __atomic_load_n(&pool_on, __ATOMIC_SEQ_CST) ? pool_take(size) : NULL;
    if (b == NULL) {
        void *m = NULL;
        if (size > SIZE_MAX - sizeof *b || posix_memalign(&m, 16, sizeof *b + size) != 0)
            return NULL;
        b = m;
        b->h.size = size;
    }
    void *p = b + 1;
    memset(p, 0, size);
    volatile uint64_t *slot = tag_slot(tag);
    if (slot != NULL)
        __atomic_fetch_add(slot, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&live_total, 1, __ATOMIC_SEQ_CST);
    return p;
}

void plat_free(void *p, uint32_t tag)
{
    if (p == NULL)
        return;
    volatile uint64_t *slot = tag_slot(tag);
    if (slot != NULL)
        __atomic_fetch_sub(slot, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_sub(&live_total, 1, __ATOMIC_SEQ_CST);
    blk_hdr *b = (blk_hdr *)p - 1;
    if (!__atomic_load_n(&pool_on, __ATOMIC_SEQ_CST) || !pool_put(b))
        free(b);
}

uint64_t plat_user_live_allocs(uint32_t tag)
{
    if (tag == 0)
        return __atomic_load_n(&live_total, __ATOMIC_SEQ_CST);
    volatile uint64_t *slot = tag_slot(tag);
    return slot ? __atomic_load_n(slot, __ATOMIC_SEQ_CST) : 0;
}

void plat_user_fail_alloc_after(uint64_t n)
{
    __atomic_store_n(&fail_after, n, __ATOMIC_SEQ_CST);
}

void plat_spin_init(plat_spinlock *l)
{
    l->held = 0;
    l->saved = 0;
}

void plat_spin_acquire(plat_spinlock *l)
{
    while (__atomic_exchange_n(&l->held, 1u, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED) != 0)
            sched_yield();
    }
}

void plat_spin_release(plat_spinlock *l)
{
    __atomic_store_n(&l->held, 0u, __ATOMIC_RELEASE);
}
