/* platform_kernel.h - the Windows kernel backend of platform.h (platform_kernel.c).
 *
 * plat_now_ns from KeQueryPerformanceCounter scaled to ns; plat_ring_index from
 * KeGetCurrentProcessorNumberEx (one ring per processor, so each ring has one producer: the
 * shim's hooks run at DISPATCH_LEVEL or raise to it); plat_alloc through
 * NdisAllocateMemoryWithTagPriority (non-paged, NX on Windows 8 and later) with the caller's
 * pool tag; spin locks that raise to DISPATCH_LEVEL and keep the old IRQL in
 * plat_spinlock.saved. The shim's rings are plat_alloc'ed, so they are non-paged too.
 */
#ifndef CHIMNEY_PLATFORM_KERNEL_H
#define CHIMNEY_PLATFORM_KERNEL_H

#include "platform.h"

/* Called from DriverEntry, before any other plat_ call: keeps the NDIS handle used for
 * allocation (the miniport driver handle), reads the performance-counter frequency and the
 * maximum processor count. Returns 0 on success. */
int plat_kernel_init(void *ndis_driver_handle);

/* Called from DriverUnload after the last plat_free. */
void plat_kernel_unload(void);

#endif
