/* platform_kernel.c - platform.h for the Windows kernel (see platform_kernel.h).
 *
 * The only driver-shim file besides kernel/ that includes Windows headers. Everything the
 * IM driver and the shim need from the machine is here, so their sources are the model's.
 */
#include <ddk/wdm.h>

#include "platform_kernel.h"

/* ndis.sys: mingw's NDIS 5 header does not declare the NDIS 6 allocator. */
PVOID NdisAllocateMemoryWithTagPriority(PVOID NdisHandle, unsigned int Length, ULONG Tag,
                                        int Priority);
VOID NdisFreeMemoryWithTagPriority(PVOID NdisHandle, PVOID VirtualAddress, ULONG Tag);
#define PLAT_NORMAL_POOL_PRIORITY 16

static PVOID g_ndis_handle;
static uint64_t g_qpc_hz;
static uint32_t g_ring_count;

int plat_kernel_init(void *ndis_driver_handle)
{
    LARGE_INTEGER hz;
    if (ndis_driver_handle == NULL)
        return -1;
    g_ndis_handle = ndis_driver_handle;
    (void)KeQueryPerformanceCounter(&hz);
    if (hz.QuadPart <= 0)
        return -1;
    g_qpc_hz = (uint64_t)hz.QuadPart;
    /* Every processor that can ever run the hooks, hot-added ones included. */
    g_ring_count = (uint32_t)KeQueryMaximumProcessorCountEx(ALL_PROCESSOR_GROUPS);
    return g_ring_count == 0 ? -1 : 0;
}

void plat_kernel_unload(void)
{
    g_ndis_handle = NULL;
}

uint64_t plat_now_ns(void)
{
    uint64_t c = (uint64_t)KeQueryPerformanceCounter(NULL).QuadPart;
    /* Split so that c * 1e9 cannot overflow: exact for any counter value. */
    return (c / g_qpc_hz) * 1000000000ull + ((c % g_qpc_hz) * 1000000000ull) / g_qpc_hz;
}

uint32_t plat_ring_index(void)
{
    uint32_t i = (uint32_t)KeGetCurrentProcessorNumberEx(NULL);
    return i < g_ring_count ? i : g_ring_count - 1;
}

uint32_t plat_ring_count(void)
{
    return g_ring_count;
}

/* Ownership: zeroed non-paged memory, the caller frees it with plat_free and the same tag. */
void *plat_alloc(size_t size, uint32_t tag)
{
    if (size == 0 || size > 0xFFFFFFFFu || g_ndis_handle == NULL)
        return NULL;
    void *p = NdisAllocateMemoryWithTagPriority(g_ndis_handle, (unsigned int)size, tag,
                                                PLAT_NORMAL_POOL_PRIORITY);
    if (p != NULL)
        plat_memset(p, 0, size);
    return p;
}

void plat_free(void *p, uint32_t tag)
{
    if (p != NULL)
        NdisFreeMemoryWithTagPriority(g_ndis_handle, p, tag);
}

/* A test-and-test-and-set lock at DISPATCH_LEVEL: what KeAcquireSpinLockRaiseToDpc does,
 * in the 8 bytes platform.h gives a lock (a KSPIN_LOCK and an IRQL would not fit). */
void plat_spin_init(plat_spinlock *l)
{
    l->held = 0;
    l->saved = 0;
}

void plat_spin_acquire(plat_spinlock *l)
{
    KIRQL old = KeRaiseIrqlToDpcLevel();
    while (__atomic_exchange_n(&l->held, 1u, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED) != 0)
            __builtin_ia32_pause();
    }
    l->saved = old;
}

void plat_spin_release(plat_spinlock *l)
{
    KIRQL old = (KIRQL)l->saved;
    __atomic_store_n(&l->held, 0u, __ATOMIC_RELEASE);
    KeLowerIrql(old);
}
