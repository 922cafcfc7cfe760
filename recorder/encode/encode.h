/* encode.h - turns the shim's binary ring records (driver-shim/shim/record.h) into
 * chimtrace.v1 protobuf records, off the fast path.
 *
 * The encoder owns the trace's stable-id table: every raw pointer value it meets (blocks,
 * handles, contexts, reserved slots, NBLs, bindings) becomes 1, 2, 3, ... in order of first
 * appearance (FORMAT.md §6.4), 0 staying NULL. Feeding records in sequence order therefore
 * gives ids that depend only on the order of events, never on addresses or ASLR. The same
 * decoding serves the model's rings and, later, the kernel control device (issue 6).
 */
#ifndef CT_ENCODE_H
#define CT_ENCODE_H

#include <stdint.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"
#include "tracefile.h"
#include "record.h"

typedef struct ct_enc ct_enc;

/* Caller frees with ct_enc_free. */
ct_err ct_enc_new(ct_enc **out);
void ct_enc_free(ct_enc *e);

/* Decode one ring record (event or loss) into a Record. `len` is the ring record's length
 * (for bounds checks: a malformed record gives CT_ERR_CORRUPT, never an overread).
 * *out is borrowed: valid until the next ct_enc_record call. */
ct_err ct_enc_record(ct_enc *e, const ring_rec_hdr *rec, const Chimtrace__V1__Record **out,
                     ct_errinfo *ei);

/* The stable id of a raw pointer value (assigning the next id if new); 0 for 0. */
uint64_t ct_enc_id(ct_enc *e, uint64_t raw);

/* Ids handed out so far. */
uint64_t ct_enc_ids(const ct_enc *e);

#endif
