/* record_stack.h - the IM driver put between an upper and a lower edge of the NDIS model,
 * the way NDIS binds an intermediate driver. Shared by `chimtrace record` (host above,
 * simulated NIC below) and `chimtrace replay` (trace host above, scripted or simulated NIC
 * below), so both drive exactly the same wiring. */
#ifndef CT_RECORD_STACK_H
#define CT_RECORD_STACK_H

#include "ct_err.h"
#include "im.h"
#include "ndm.h"

/* Register the IM's miniport and protocol drivers ("chimim") with their chimney handlers,
 * create the IM adapter traced by `tracer` (may be NULL), add its upper adapter (what the
 * host binds to: *upper) and bind its lower edge to `below`. `faults` is an im_fault mask
 * (0: the correct driver). *im is the caller's; free with im_destroy before ndm_free. */
ct_err ct_stack_add_im(ndm *m, shim *tracer, NDIS_HANDLE below, uint32_t faults,
                       im_adapter **im, ndm_adapter **upper, ct_errinfo *ei);

#endif
