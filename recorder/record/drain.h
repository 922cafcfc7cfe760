/* drain.h - moves records from the shim's rings into a trace file, in sequence order.
 *
 * Each ring is in sequence order (one producer), so the drain is a k-way merge. It only
 * emits records below a watermark: the shim's next sequence number, once every number below
 * it is accounted for (committed or dropped, shim_ring_seqs_done). A number that is taken but
 * not yet committed can therefore never be overtaken by a larger one. Loss records sort by
 * their last lost number. The drain is the recorder's consumer; one thread calls it.
 */
#ifndef CT_DRAIN_H
#define CT_DRAIN_H

#include "encode.h"
#include "shim.h"
#include "tracefile.h"

typedef struct ct_drain ct_drain;

typedef struct ct_drain_stats {
    uint64_t events, losses, lost_events, records_out;
    uint64_t watermark_waits;   /* times the drain waited for a producer to finish a record */
    uint64_t op_edge[6][5];     /* events by Operation (1..5) and Edge (1..4) */
    uint64_t truncated_trees;
    uint64_t first_ts, last_ts;
} ct_drain_stats;

/* Borrow s, w and enc for the drain's life. Caller frees with ct_drain_free. */
ct_err ct_drain_new(shim *s, ct_writer *w, ct_enc *enc, ct_drain **out);
void ct_drain_free(ct_drain *d);

/* Called with every record right after the drain wrote it, in file order (replay compares
 * each event with its input as it is produced). `rec` is borrowed for the call. A hook that
 * returns an error stops the drain step with it. */
typedef ct_err (*ct_drain_hook_fn)(void *ctx, const Chimtrace__V1__Record *rec, ct_errinfo *ei);
void ct_drain_set_hook(ct_drain *d, ct_drain_hook_fn fn, void *ctx);

/* Write every record that can be ordered now. With `final` (producers have stopped) the
 * shim's pending losses are flushed and everything is written. */
ct_err ct_drain_step(ct_drain *d, int final, ct_errinfo *ei);

/* Highest ring fill since the last step, as a fraction of ring size (0..1). */
double ct_drain_max_fill(const ct_drain *d);

void ct_drain_get_stats(const ct_drain *d, ct_drain_stats *st);

#endif
