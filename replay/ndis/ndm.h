/* ndm.h - the user-mode NDIS model: drivers, adapters, bindings and chimney routing.
 *
 * Stands in for ndis.sys so that the unmodified IM driver (driver-shim/imdriver/), the
 * simulated NIC and the host stack can run on Linux. Drivers register themselves and their
 * chimney characteristics (NdisSetOptionalHandlers, with the real characteristics structs),
 * add adapters, and open bindings. The model then implements, under their real names and
 * signatures (declared in <chimney/ndis_chimney_functions.h>), the five protocol-side calls
 * (NdisInitiateOffload, NdisTerminateOffload, NdisUpdateOffload, NdisInvalidateOffload,
 * NdisQueryOffloadState) and the five completions (NdisM...Complete), routing as NDIS does
 * (reference §2.4, §1.7):
 *   - down-call: the POBL tree is converted to a MOBL in place (per block, NdisReserved[2] =
 *     &OffloadHandle->MiniportOffloadContext, or NULL for a placeholder; the handle's
 *     NdisReserved[0] = the binding when NULL; the root's SourceHandle = the binding), then
 *     the lower driver's W_XXX handler is called with its MiniportAdapterContext;
 *   - a missing handler: NDIS_STATUS_NOT_SUPPORTED in every block's Status, and the upper
 *     completion handler is called synchronously, inside the down-call;
 *   - completion: the binding is found through the root block's SourceHandle and the
 *     protocol's XXX_OFFLOAD_COMPLETE handler is called at once, in the caller's stack (a
 *     completion may thus arrive re-entrantly inside the down-call, or later from a
 *     scheduler callback).
 * Routing faults (a completion whose SourceHandle is not a binding of that adapter, ...)
 * are never fatal: they are counted and reported by ndm_violations, and the faulty call
 * goes no further (a misrouted completion is dropped, never delivered elsewhere).
 *
 * Handles are opaque pointers; every ndm_* handle doubles as the NDIS_HANDLE NDIS would
 * give out (NdisMiniportDriverHandle, NdisMiniportHandle, NdisBindingHandle, ...).
 * Setup (add/open/set-handlers) is single-threaded; routing is thread-safe (read-only).
 */
#ifndef CT_NDM_H
#define CT_NDM_H

#include <stdint.h>

#include <chimney/ndis_chimney.h>

#include "ct_err.h"

typedef struct ndm ndm;
typedef struct ndm_miniport_driver ndm_miniport_driver;
typedef struct ndm_protocol_driver ndm_protocol_driver;
typedef struct ndm_adapter ndm_adapter;
typedef struct ndm_binding ndm_binding;

/* Caller frees with ndm_free, which frees every driver, adapter and binding. */
ct_err ndm_new(ndm **out);
void ndm_free(ndm *m);

/* A miniport driver (NdisMiniportDriverHandle). Its chimney handlers are set with
 * NdisSetOptionalHandlers(handle, &provider_characteristics.Header). */
ndm_miniport_driver *ndm_register_miniport_driver(ndm *m, const char *name);

/* A protocol driver (NdisProtocolDriverHandle); client handlers likewise. */
ndm_protocol_driver *ndm_register_protocol_driver(ndm *m, const char *name);

/* An adapter of a miniport driver (NdisMiniportHandle). `adapter_context` is passed to the
 * driver's W_XXX handlers as MiniportAdapterContext. */
ndm_adapter *ndm_add_adapter(ndm *m, ndm_miniport_driver *drv, void *adapter_context);

/* Open `adapter` for `proto` (NdisOpenAdapterEx): returns the NdisBindingHandle.
 * `protocol_binding_context` is passed to the protocol's completion handlers. */
ndm_binding *ndm_open_adapter(ndm *m, ndm_protocol_driver *proto, ndm_adapter *adapter,
                              void *protocol_binding_context);

/* The five state handlers of an offload target (W_XXX_OFFLOAD_HANDLER). */
typedef struct ndm_target_handlers {
    W_INITIATE_OFFLOAD_HANDLER initiate;
    W_TERMINATE_OFFLOAD_HANDLER terminate;
    W_UPDATE_OFFLOAD_HANDLER update;
    W_INVALIDATE_OFFLOAD_HANDLER invalidate;
    W_QUERY_OFFLOAD_HANDLER query;
} ndm_target_handlers;

/* An offload target in one call: register miniport driver `name`, set its provider chimney
 * characteristics (NdisSetOptionalHandlers) with `h`, and add one adapter whose
 * MiniportAdapterContext is `adapter_context`. CT_ERR_NOMEM, or CT_ERR_STATE when the model
 * refuses the characteristics. The model owns both handles. */
ct_err ndm_add_offload_target(ndm *m, const char *name, const ndm_target_handlers *h,
                              void *adapter_context, ndm_miniport_driver **drv,
                              ndm_adapter **adapter);

/* Model faults seen while routing (not NDIS_STATUS errors of drivers). */
typedef struct ndm_violations {
    uint64_t bad_source_handle;     /* completion whose root SourceHandle is no binding */
    uint64_t wrong_adapter;         /* completion from an adapter the binding does not open */
    uint64_t no_complete_handler;   /* upper driver registered no completion handler */
    uint64_t not_supported;         /* down-calls answered with NOT_SUPPORTED */
    /* A handle that is no live model handle of the expected kind (a wrong or stale
     * NdisBindingHandle, NdisMiniportHandle or driver handle). One that belongs to no model
     * at all is charged to every live model: NDIS could not tell whose it was either. */
    uint64_t bad_handle;
    /* A block-list tree the bounded pre-order walk had to cut: NULL root, deeper than any
     * legal tree, or more than NDM_MAX_BLOCKS blocks (a cycle). The request is completed at
     * once with NDIS_STATUS_FAILURE in every block reached. */
    uint64_t malformed_tree;
} ndm_violations;

/* The most blocks one walk visits before it declares the tree cyclic. */
#define NDM_MAX_BLOCKS 65536u

void ndm_get_violations(const ndm *m, ndm_violations *v);

#endif
