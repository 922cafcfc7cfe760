/* diff_mutate.h - test fixtures for chimtrace diff: copy a trace through the real reader and
 * writer while editing, dropping or repeating records, stretch its timestamps, cut it short.
 *
 * Edits are made on a private unpacked copy of each record, so a callback may change any
 * field. Nothing here uses Criterion: callers assert on the results.
 */
#ifndef DIFF_MUTATE_H
#define DIFF_MUTATE_H

#include <stddef.h>
#include <stdint.h>

#include "tracefile.h"

typedef enum dm_action { DM_KEEP = 0, DM_DROP = 1, DM_TWICE = 2 } dm_action;

/* Called once per record after the header, in file order; `index` counts events only
 * (0-based) for events and is UINT64_MAX for other records. */
typedef dm_action (*dm_fn)(void *ctx, uint64_t index, Chimtrace__V1__Record *rec);

/* Copy `in` to `out` (same header), letting fn edit each record. fn may be NULL. */
ct_err dm_copy(const char *in, const char *out, dm_fn fn, void *ctx, ct_errinfo *ei);

/* The index (0-based, events only) of the n-th event (0-based) with this op and edge, or
 * UINT64_MAX. */
uint64_t dm_find(const char *path, int op, int edge, unsigned nth);

/* Copy with every event's ts_ns multiplied by num/den. */
ct_err dm_stretch(const char *in, const char *out, uint64_t num, uint64_t den, ct_errinfo *ei);

/* Copy the first `bytes` bytes of `in` (a recorder that died). 0 ok, -1 error. */
int dm_cut(const char *in, const char *out, uint64_t bytes);

/* File size, or 0. */
uint64_t dm_size(const char *path);

#endif
