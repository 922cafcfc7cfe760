/* im.h - the chimney intermediate (IM) driver: what its DriverEntry (or the user-mode model)
 * calls to register it, create adapters and wire them between an upper and a lower NDIS
 * edge. The state-operation handlers themselves are reached only through NDIS.
 *
 * One im_adapter is both the MiniportAdapterContext of the IM's upper (miniport) edge and
 * the ProtocolBindingContext of its lower (protocol) edge. Requests from above are passed
 * down with the IM's own offload handles and completed upward with every field the IM
 * changed put back (reference §3.5). Freestanding: only <chimney/...> and platform.h.
 */
#ifndef CHIMNEY_IM_H
#define CHIMNEY_IM_H

#include <chimney/ndis_chimney.h>

#include "shim.h"

typedef struct im_adapter im_adapter;

/* Register the IM's chimney characteristics: PROVIDER generic + TCP on `miniport_driver`
 * (NdisMiniportDriverHandle), CLIENT generic + TCP on `protocol_driver`
 * (NdisProtocolDriverHandle), each with NdisSetOptionalHandlers. Returns the first failing
 * status, or NDIS_STATUS_SUCCESS. The TCP data-path handlers are not implemented yet and
 * are registered as NULL. */
NDIS_STATUS im_register_handlers(NDIS_HANDLE miniport_driver, NDIS_HANDLE protocol_driver);

/* A new adapter (plat_alloc). `tracer` is the trace shim whose hooks the adapter calls, or
 * NULL for no tracing; it must outlive the adapter. NDIS_STATUS_RESOURCES when memory is
 * short. Caller frees with im_destroy. */
NDIS_STATUS im_create(shim *tracer, im_adapter **out);

/* Free the adapter and every offload entry it still holds (objects the host never
 * terminated). No request may be in flight. im_destroy(NULL) is a no-op. */
void im_destroy(im_adapter *a);

/* Wire the adapter: `upper_miniport_handle` is its NdisMiniportHandle (for NdisM*Complete),
 * `lower_binding` its NdisBindingHandle on the adapter below (for NdisXxx). Call before the
 * first request. */
void im_attach(im_adapter *a, NDIS_HANDLE upper_miniport_handle, NDIS_HANDLE lower_binding);

/* Offload entries (one per offloaded object, or per object being offloaded) and call
 * entries (one per operation in flight) alive in all adapters. */
uint64_t im_live_offload_entries(void);
uint64_t im_live_call_entries(void);

/* Contract faults the adapter met and survived. */
typedef struct im_stats {
    uint64_t bad_call_entry;      /* completion whose root ImReserved[0] is no call of ours */
    uint64_t wrong_completion;    /* completion of another operation than the call's */
    uint64_t bad_offload_context; /* *MiniportOffloadContext is no offload entry of ours */
    uint64_t malformed_tree;      /* deeper than IM_WALK_DEPTH or more than IM_MAX_BLOCKS */
    uint64_t tree_changed;        /* lower driver changed NextBlock/DependentBlockList */
    uint64_t failed_requests;     /* completed at once (no memory, bad tree or context) */
} im_stats;

void im_get_stats(const im_adapter *a, im_stats *out);

#endif /* CHIMNEY_IM_H */
