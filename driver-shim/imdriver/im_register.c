/* im_register.c - the IM's registration with NDIS, its adapters' lifetime and their
 * run-time fault switch (the faults themselves are committed by the edges and the restore;
 * im.h says what each one does).
 *
 * The four chimney characteristics structs are filled here and nowhere else (as the
 * Windows filter sample fills its characteristics in one place): PROVIDER ones for the
 * upper (miniport) edge, CLIENT ones for the lower (protocol) edge (reference §1.5).
 */
#include "im_internal.h"

/* Upper edge: the five state handlers. */
NDIS_STATUS im_register_provider(NDIS_HANDLE miniport_driver)
{
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS g;
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS t;
    plat_memset(&g, 0, sizeof g);
    g.Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    g.Header.Revision = NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    g.Header.Size = (USHORT)sizeof g;
    g.InitiateOffloadHandler = MiniportInitiateOffload;
    g.TerminateOffloadHandler = MiniportTerminateOffload;
    g.UpdateOffloadHandler = MiniportUpdateOffload;
    g.InvalidateOffloadHandler = MiniportInvalidateOffload;
    g.QueryOffloadHandler = MiniportQueryOffload;
    NDIS_STATUS st = NdisSetOptionalHandlers(miniport_driver, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&g);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    /* TCP data path: not propagated yet (handlers NULL). */
    plat_memset(&t, 0, sizeof t);
    t.Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS;
    t.Header.Revision = NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1;
    t.Header.Size = (USHORT)sizeof t;
    t.OffloadType = NdisTcpChimneyOffload;
    return NdisSetOptionalHandlers(miniport_driver, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&t);
}

/* Lower edge: the five completion handlers. Neighbor-reachability indications through an
 * IM are "to be determined" in the DDI (§1.3): not registered. */
NDIS_STATUS im_register_client(NDIS_HANDLE protocol_driver)
{
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS g;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS t;
    plat_memset(&g, 0, sizeof g);
    g.Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    g.Header.Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    g.Header.Size = (USHORT)sizeof g;
    g.InitiateOffloadCompleteHandler = ProtocolInitiateOffloadComplete;
    g.TerminateOffloadCompleteHandler = ProtocolTerminateOffloadComplete;
    g.UpdateOffloadCompleteHandler = ProtocolUpdateOffloadComplete;
    g.InvalidateOffloadCompleteHandler = ProtocolInvalidateOffloadComplete;
    g.QueryOffloadCompleteHandler = ProtocolQueryOffloadComplete;
    NDIS_STATUS st = NdisSetOptionalHandlers(protocol_driver, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&g);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    plat_memset(&t, 0, sizeof t);
    t.Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS;
    t.Header.Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS_REVISION_1;
    t.Header.Size = (USHORT)sizeof t;
    t.OffloadType = NdisTcpChimneyOffload;
    return NdisSetOptionalHandlers(protocol_driver, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&t);
}

NDIS_STATUS im_register_handlers(NDIS_HANDLE miniport_driver, NDIS_HANDLE protocol_driver)
{
    NDIS_STATUS st = im_register_provider(miniport_driver);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    return im_register_client(protocol_driver);
}

NDIS_STATUS im_create(shim *tracer, im_adapter **out)
{
    im_adapter *a = plat_alloc(sizeof *a, PLAT_TAG_IM_ADAPTER);
    *out = NULL;
    if (a == NULL)
        return NDIS_STATUS_RESOURCES;
    a->magic = IM_ADAPTER_MAGIC;
    a->tracer = tracer;
    a->drop_op = SHIM_OP_UPDATE;
    a->dup_op = SHIM_OP_QUERY;
    plat_spin_init(&a->lock);
    *out = a;
    return NDIS_STATUS_SUCCESS;
}

void im_destroy(im_adapter *a)
{
    if (a == NULL)
        return;
    im_objects_free_all(a);
    a->magic = IM_DEAD_MAGIC;
    plat_free(a, PLAT_TAG_IM_ADAPTER);
}

void im_attach(im_adapter *a, NDIS_HANDLE upper_miniport_handle, NDIS_HANDLE lower_binding)
{
    a->upper_miniport_handle = upper_miniport_handle;
    a->lower_binding = lower_binding;
}

void im_set_owner(im_adapter *a, void *owner)
{
    a->owner = owner;
}

void *im_owner(const im_adapter *a)
{
    return a->owner;
}

void im_get_stats(const im_adapter *a, im_stats *out)
{
    out->bad_call_entry = __atomic_load_n(&a->stats.bad_call_entry, __ATOMIC_RELAXED);
    out->wrong_completion = __atomic_load_n(&a->stats.wrong_completion, __ATOMIC_RELAXED);
    out->bad_offload_context = __atomic_load_n(&a->stats.bad_offload_context, __ATOMIC_RELAXED);
    out->malformed_tree = __atomic_load_n(&a->stats.malformed_tree, __ATOMIC_RELAXED);
    out->tree_changed = __atomic_load_n(&a->stats.tree_changed, __ATOMIC_RELAXED);
    out->failed_requests = __atomic_load_n(&a->stats.failed_requests, __ATOMIC_RELAXED);
}
