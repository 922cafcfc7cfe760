/* kdrain.h - reads the buffers the kernel driver's control device returns (READ and
 * GET_INFO of include/chimney/shim_ioctl.h) and decodes their ring records with the
 * recorder's own encoder (recorder/encode), the one the model's drain uses.
 *
 * A READ buffer is a shim_read_hdr and complete ring records, byte for byte as the shim
 * wrote them; ct_kdrain_buffer checks the framing, hands each record to ct_enc_record and
 * passes the protobuf Record to a callback (to a ct_writer in a recorder, to a list in
 * tests). Every framing error names the byte offset in the buffer and what was expected.
 * Portable C: no Windows API here (opening \\.\ChimShim and issuing the IOCTL is the
 * caller's part), so the model's tests run exactly this code.
 */
#ifndef CT_KDRAIN_H
#define CT_KDRAIN_H

#include <stddef.h>
#include <stdint.h>

#include <chimney/shim_ioctl.h>

#include "encode.h"

/* `rec` is borrowed for the call. A callback error stops the buffer with it. */
typedef ct_err (*ct_kdrain_fn)(void *ctx, const Chimtrace__V1__Record *rec, ct_errinfo *ei);

typedef struct ct_kdrain_result {
    uint32_t records;       /* ring records decoded */
    uint32_t events, losses;
    uint64_t lost_events;   /* sum of the loss records' counts */
    uint64_t watermark;
    int more;               /* SHIM_READ_MORE: read again at once */
    uint32_t need_bytes;    /* with more and records == 0: the buffer the next READ needs */
} ct_kdrain_result;

/* Decode one READ buffer of `len` bytes (8-byte aligned). Records are checked, decoded and
 * passed to fn in buffer order. CT_ERR_ARG for a NULL or unaligned buffer, CT_ERR_TRUNCATED
 * when the buffer ends before what its header or a record says, CT_ERR_VERSION for another
 * interface version, CT_ERR_CORRUPT for anything else the layout forbids; ei->offset is the
 * byte offset in the buffer. Records before the bad one were already passed to fn. */
ct_err ct_kdrain_buffer(ct_enc *enc, const void *buf, size_t len, ct_kdrain_fn fn, void *ctx,
                        ct_kdrain_result *res, ct_errinfo *ei);

/* Check a GET_INFO reply: same interface and record layout version, and record sizes equal
 * to this build's (a driver built from other sources is refused with CT_ERR_VERSION). */
ct_err ct_kdrain_check_info(const shim_ioctl_info *info, ct_errinfo *ei);

#endif
