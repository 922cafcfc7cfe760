/* shim_ctl.h - the control operations behind the kernel control device's IOCTLs
 * (include/chimney/shim_ioctl.h), as portable freestanding code.
 *
 * The kernel's IOCTL dispatch (kernel/control.c) only validates the IRP and calls these;
 * the model's tests call the very same functions, so the READ buffer a test decodes is
 * byte for byte what the driver would hand to user mode. One consumer at a time: the
 * caller serialises calls on one shim (the kernel holds a mutex around them).
 */
#ifndef CHIMNEY_SHIM_CTL_H
#define CHIMNEY_SHIM_CTL_H

#include <chimney/shim_ioctl.h>

#include "shim.h"

/* Consumer state kept between READs: the highest watermark seen so far. Zero-initialise. */
typedef struct shim_ctl_reader {
    uint64_t limit;
} shim_ctl_reader;

void shim_ctl_info(const shim *s, shim_ioctl_info *out);

/* Fill `buf` (cap bytes, 8-byte aligned) with a shim_read_hdr and as many complete records
 * below the watermark as fit, in key order, releasing each from its ring. *written gets the
 * bytes used. NDIS_STATUS_INVALID_PARAMETER when cap < sizeof(shim_read_hdr) or buf is not
 * aligned; NDIS_STATUS_SUCCESS otherwise (also when no record fitted: the header says MORE
 * and need_bytes). Never blocks: when a producer is inside a record, the previous watermark
 * is used and the records behind it wait for the next READ. */
NDIS_STATUS shim_ctl_read(shim *s, shim_ctl_reader *rd, void *buf, uint32_t cap,
                          uint32_t *written);

/* Fill `buf` with shim_ioctl_stats and per-ring entries. NDIS_STATUS_INVALID_PARAMETER when
 * cap < sizeof(shim_ioctl_stats); *written gets the bytes used. */
NDIS_STATUS shim_ctl_stats(const shim *s, void *buf, uint32_t cap, uint32_t *written);

/* RESET: discard every committed record in every ring (counters are kept). */
void shim_ctl_discard(shim *s);

#endif
