/* record_stack.c - wiring the IM driver into the NDIS model (see record_stack.h). The IM
 * registers a miniport driver for its upper edge and a protocol driver for its lower edge,
 * as an NDIS 6 intermediate driver does; one adapter context serves both edges. */
#include "record_stack.h"

ct_err ct_stack_add_im(ndm *m, shim *tracer, NDIS_HANDLE below, uint32_t faults,
                       im_adapter **im, ndm_adapter **upper, ct_errinfo *ei)
{
    ndm_miniport_driver *mdrv = ndm_register_miniport_driver(m, "chimim");
    ndm_protocol_driver *pdrv = ndm_register_protocol_driver(m, "chimim");
    if (mdrv == NULL || pdrv == NULL || im_register_handlers(mdrv, pdrv) != NDIS_STATUS_SUCCESS ||
        im_create(tracer, im) != NDIS_STATUS_SUCCESS)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "cannot set up the IM driver");
    *upper = ndm_add_adapter(m, mdrv, *im);
    ndm_binding *lower = ndm_open_adapter(m, pdrv, below, *im);
    if (*upper == NULL || lower == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "cannot bind the IM driver");
    im_attach(*im, *upper, lower);
    if (faults != 0)
        im_set_faults(*im, faults); /* one-shots hit their default kinds (im.h) */
    return CT_OK;
}
