/* platform_kernel.h - the Windows kernel backend of platform.h (implemented in issue 6).
 *
 * Declared now so the shape is fixed: plat_now_ns from KeQueryPerformanceCounter scaled to
 * ns; plat_ring_index from KeGetCurrentProcessorNumberEx; plat_alloc through
 * NdisAllocateMemoryWithTagPriority (NonPagedPoolNx); spin locks as KSPIN_LOCK with the
 * saved IRQL in plat_spinlock.saved. Rings are carved from non-paged memory, one per
 * processor, by plat_kernel_init.
 */
#ifndef CHIMNEY_PLATFORM_KERNEL_H
#define CHIMNEY_PLATFORM_KERNEL_H

#include "platform.h"

/* Called from DriverEntry: reads the performance-counter frequency and the processor
 * count. Returns 0 on success. */
int plat_kernel_init(void *ndis_driver_handle);
void plat_kernel_unload(void);

#endif
