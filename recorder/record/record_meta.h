/* record_meta.h - what every trace chimtrace's model writes carries besides its events: the
 * producer fields of the header, a uuid derived from 64 bits of seed material, and the
 * RunSummary that closes a clean run. Shared by `chimtrace record` (record_out.c,
 * record_summary.c) and `chimtrace replay` (replay/engine), so both say the same about who
 * made a file and sum it up the same way.
 */
#ifndef CT_RECORD_META_H
#define CT_RECORD_META_H

#include <stddef.h>
#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "drain.h"
#include "encode.h"
#include "tracefile.h"

/* Set the fields that name this build: schema version (the writer's format), producer
 * name and version, ABI, NDIS version, timestamp unit and driver_build_id. Strings are
 * static. */
void ct_record_producer(Chimtrace__V1__TraceHeader *h);

/* 16 bytes in the version-4 uuid layout, a pure function of `seed` (splitmix64). */
void ct_record_uuid(uint64_t seed, uint8_t uuid[16]);

/* Append the RunSummary: counts from the drain's statistics, `frames` FrameRefs, the
 * wall time when `wall_ns` is non-NULL (run-specific: deterministic runs pass NULL), and
 * `nnotes` key/value notes (borrowed for the call). */
ct_err ct_record_write_summary(ct_writer *w, const ct_drain_stats *ds, uint64_t frames,
                               const uint64_t *wall_ns, const Chimtrace__V1__KeyValue *notes,
                               size_t nnotes, ct_errinfo *ei);

/* The end of a model run's trace, after its summary: close the writer, free the drain and
 * the encoder (all three set to NULL), and measure the file at `path` (*file_bytes; left
 * alone when it cannot be read). `prior` is an error the caller already has: it wins, and
 * ei is then left as it is. Returns the first error. */
ct_err ct_record_close_trace(ct_err prior, ct_writer **w, ct_drain **drain, ct_enc **enc,
                             const char *path, uint64_t *file_bytes, ct_errinfo *ei);

#endif
