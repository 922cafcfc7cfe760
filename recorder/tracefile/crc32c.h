/* crc32c.h - CRC-32C (Castagnoli), the checksum of chimtrace's skippable frames.
 * Internal to the trace-file library (FORMAT.md §3 defines the exact parameters). */
#ifndef CT_CRC32C_H
#define CT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0; the result of one call feeds the next. */
uint32_t ct_crc32c(uint32_t crc, const void *data, size_t len);

#endif
