/* ndm_test.c - the NDIS model (replay/ndis, ndm.h) on its own: host -> ndm -> target.
 *
 * Pins the in-place POBL -> MOBL conversion of reference §2.4 slot by slot, the
 * NOT_SUPPORTED answer of a miniport without handlers, completion routing through the
 * root's SourceHandle, NdisSetOptionalHandlers' checks, and that wrong, stale or bogus
 * handles and cyclic trees are counted as violations instead of being followed.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "im_harness.h"

static im_harness H;
static h_tree T;

static void setup(unsigned flags)
{
    memset(&T, 0, sizeof T);
    cr_assert_eq(harness_init(&H, flags, NULL), 0, "harness wiring failed");
}

static ndm_violations violations(void)
{
    ndm_violations v;
    ndm_get_violations(H.m, &v);
    return v;
}

static void *bogus(uintptr_t v)
{
    return (void *)v; /* never mapped: following it would crash the test */
}

Test(ndm, down_call_converts_every_block_to_the_miniport_view_per_section_2_4)
{
    setup(0);
    H.target.sync = 0;
    PNDIS_OFFLOAD_HANDLE hp = h_handle_new(&T), ha = h_handle_new(&T), hb = h_handle_new(&T);
    hb->NdisReserved[0] = bogus(0x77); /* NDIS fills it only when NULL */
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = h_block_new(&T, NeighborOffloadState, NULL);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST path = h_block_new(&T, Ip4OffloadState, hp);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST ta = h_block_new(&T, TcpOffloadState, ha);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST tb = h_block_new(&T, TcpOffloadState, hb);
    h_add_dependent(root, path);
    h_add_dependent(path, ta);
    h_add_dependent(path, tb);
    void *path_source = path->SourceHandle;

    harness_issue(&H, SHIM_OP_INITIATE, root);

    cr_assert_eq(H.target.requests[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.target.nseen, 4);
    /* The placeholder root: no context slot, no handle; the root carries the binding. */
    cr_assert_eq(H.target.seen[0].block, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)root);
    cr_assert_null(H.target.seen[0].moc_slot);
    cr_assert_null(H.target.seen[0].ndis_offload_handle);
    cr_assert_eq(H.target.seen[0].source_handle, (void *)H.host_binding);
    /* Every other block: slot = &handle->MiniportOffloadContext, handle left in place. */
    PNDIS_OFFLOAD_HANDLE handles[3] = {hp, ha, hb};
    for (int i = 1; i < 4; i++) {
        cr_assert_eq(H.target.seen[i].moc_slot, &handles[i - 1]->MiniportOffloadContext,
                     "block %d", i);
        cr_assert_eq(H.target.seen[i].ndis_offload_handle, handles[i - 1], "block %d", i);
        cr_assert_null(H.target.seen[i].moc_value, "block %d", i);
    }
    cr_assert_eq(H.target.seen[1].source_handle, path_source, "only the root's is NDIS's");
    cr_assert_eq(hp->NdisReserved[0], (void *)H.host_binding);
    cr_assert_eq(ha->NdisReserved[0], (void *)H.host_binding);
    cr_assert_eq(hb->NdisReserved[0], bogus(0x77));
    cr_assert_null(root->NdisReserved[0]);
    cr_assert_null(root->NdisReserved[1]);
    cr_assert_eq(H.host.total, 0, "the target has not completed yet");

    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.last_root, root);
    cr_assert_eq(H.host.last_sync, 0);
    cr_assert_eq(ta->Status, NDIS_STATUS_SUCCESS);
    cr_assert_not_null(ha->MiniportOffloadContext, "target wrote its context");
    ndm_violations v = violations();
    cr_assert_eq(v.bad_source_handle + v.wrong_adapter + v.bad_handle + v.malformed_tree, 0);
    harness_fini(&H);
}

Test(ndm, missing_handler_stamps_not_supported_in_every_block_and_completes_synchronously)
{
    setup(H_TARGET_NO_HANDLERS);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = h_block_new(&T, NeighborOffloadState, NULL);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST a = h_block_new(&T, Ip4OffloadState, h_handle_new(&T));
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b = h_block_new(&T, Ip4OffloadState, h_handle_new(&T));
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST c = h_block_new(&T, TcpOffloadState, h_handle_new(&T));
    h_add_dependent(root, a);
    h_add_dependent(root, b);
    h_add_dependent(a, c);

    harness_issue(&H, SHIM_OP_QUERY, root);

    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    cr_assert_eq(H.host.last_sync, 1, "completed inside NdisQueryOffloadState");
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST all[] = {root, a, b, c};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(all[i]->Status, NDIS_STATUS_NOT_SUPPORTED, "block %d", i);
    cr_assert_eq(violations().not_supported, 1);
    cr_assert_eq(H.target.total, 0);
    harness_fini(&H);
}

Test(ndm, completion_is_routed_through_the_root_source_handle)
{
    setup(0);
    H.target.sync = 0;
    static h_host other;
    memset(&other, 0, sizeof other);
    ndm_binding *other_binding = ndm_open_adapter(H.m, H.host_drv, H.target_adapter, &other);
    cr_assert_not_null(other_binding);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r1 = h_block_new(&T, TcpOffloadState, h_handle_new(&T));
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r2 = h_block_new(&T, TcpOffloadState, h_handle_new(&T));

    harness_issue_on(&H, other_binding, SHIM_OP_INITIATE, r1);
    harness_target_complete(&H);
    cr_assert_eq(other.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.total, 0);

    /* Issued on the host's binding, but the root now names the other binding: the model
     * must follow SourceHandle, not remember who called. */
    harness_issue(&H, SHIM_OP_INITIATE, r2);
    cr_assert_eq(r2->SourceHandle, (void *)H.host_binding);
    r2->SourceHandle = other_binding;
    harness_target_complete(&H);
    cr_assert_eq(other.completions[SHIM_OP_INITIATE], 2);
    cr_assert_eq(other.last_root, r2);
    cr_assert_eq(H.host.total, 0);
    harness_fini(&H);
}

Test(ndm, bogus_source_handle_is_counted_as_a_violation_not_followed)
{
    setup(0);
    H.target.sync = 0;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r = h_block_new(&T, TcpOffloadState, h_handle_new(&T));

    harness_issue(&H, SHIM_OP_INITIATE, r);
    r->SourceHandle = bogus(0x10);
    harness_target_complete(&H);
    cr_assert_eq(violations().bad_source_handle, 1);
    cr_assert_eq(H.host.total, 0);

    /* A live handle of the wrong kind (the adapter itself) is no binding either. */
    harness_issue(&H, SHIM_OP_INITIATE, r);
    r->SourceHandle = H.target_adapter;
    harness_target_complete(&H);
    cr_assert_eq(violations().bad_source_handle, 2);
    cr_assert_eq(H.host.total, 0);
    cr_assert_eq(violations().bad_handle, 0, "counted once, under its own name");
    harness_fini(&H);
}

Test(ndm, completion_from_an_adapter_the_binding_does_not_open_is_counted_and_dropped)
{
    setup(0);
    H.target.sync = 0;
    static h_target other_target;
    ndm_adapter *other = ndm_add_adapter(H.m, H.target_drv, &other_target);
    cr_assert_not_null(other);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r = h_block_new(&T, TcpOffloadState, h_handle_new(&T));

    harness_issue(&H, SHIM_OP_INITIATE, r);
    NdisMInitiateOffloadComplete(other, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)r);
    cr_assert_eq(violations().wrong_adapter, 1);
    cr_assert_eq(H.host.total, 0);

    NdisMInitiateOffloadComplete(H.target_adapter, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)r);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1, "the right adapter still works");
    harness_fini(&H);
}

Test(ndm, wrong_or_stale_handles_are_counted_and_never_followed)
{
    setup(0);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r = h_block_new(&T, TcpOffloadState, h_handle_new(&T));

    NdisInitiateOffload(bogus(0x20), r);
    cr_assert_eq(violations().bad_handle, 1);
    NdisInitiateOffload(H.target_adapter, r); /* an adapter is no binding */
    cr_assert_eq(violations().bad_handle, 2);
    NdisMTerminateOffloadComplete(bogus(0x30), (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)r);
    NdisMTerminateOffloadComplete(H.host_binding, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)r);
    cr_assert_eq(violations().bad_handle, 4);

    /* A binding of a model that has been freed: its memory is gone, so only the registry
     * may answer (ASan would catch a read). */
    ndm *gone;
    cr_assert_eq(ndm_new(&gone), CT_OK);
    ndm_protocol_driver *p = ndm_register_protocol_driver(gone, "p");
    ndm_miniport_driver *d = ndm_register_miniport_driver(gone, "d");
    ndm_binding *stale = ndm_open_adapter(gone, p, ndm_add_adapter(gone, d, NULL), NULL);
    cr_assert_not_null(stale);
    ndm_free(gone);
    NdisInitiateOffload(stale, r);
    cr_assert_eq(violations().bad_handle, 5);
    cr_assert_eq(H.target.total, 0);
    cr_assert_eq(H.host.total, 0);
    cr_assert_eq(r->Status, H_STATUS_UNSET, "nothing touched the tree");
    harness_fini(&H);
}

Test(ndm, set_optional_handlers_checks_driver_kind_type_revision_and_size)
{
    setup(0);
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS pg;
    memset(&pg, 0, sizeof pg);
    pg.Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    pg.Header.Revision = 1;
    pg.Header.Size = sizeof pg;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS cg;
    harness_host_characteristics(&cg);
    NDIS_PROVIDER_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS pt;
    memset(&pt, 0, sizeof pt);
    pt.Header.Type = NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS;
    pt.Header.Revision = 1;
    pt.Header.Size = sizeof pt;
    NDIS_CLIENT_CHIMNEY_OFFLOAD_TCP_CHARACTERISTICS ct;
    memset(&ct, 0, sizeof ct);
    ct.Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS;
    ct.Header.Revision = 1;
    ct.Header.Size = sizeof ct;
#define SET(h, s) NdisSetOptionalHandlers((h), (PNDIS_DRIVER_OPTIONAL_HANDLERS)(s))
    cr_assert_eq(SET(H.host_drv, &pg), NDIS_STATUS_INVALID_PARAMETER, "provider on protocol");
    cr_assert_eq(SET(H.target_drv, &cg), NDIS_STATUS_INVALID_PARAMETER, "client on miniport");
    cr_assert_eq(SET(H.host_drv, &pt), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(SET(H.target_drv, &ct), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(SET(H.target_drv, &pt), NDIS_STATUS_SUCCESS);
    cr_assert_eq(SET(H.host_drv, &ct), NDIS_STATUS_SUCCESS);
    cr_assert_eq(SET(H.target_drv, &pg), NDIS_STATUS_SUCCESS);
    pg.Header.Revision = 0;
    cr_assert_eq(SET(H.target_drv, &pg), NDIS_STATUS_INVALID_PARAMETER, "revision 0");
    pg.Header.Revision = 1;
    pg.Header.Size = sizeof pg - 1;
    cr_assert_eq(SET(H.target_drv, &pg), NDIS_STATUS_INVALID_PARAMETER, "short struct");
    pg.Header.Size = sizeof pg;
    pg.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    cr_assert_eq(SET(H.target_drv, &pg), NDIS_STATUS_INVALID_PARAMETER, "unknown type");
    cr_assert_eq(SET(H.target_drv, NULL), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(violations().bad_handle, 0, "bad structs are statuses, not violations");
    cr_assert_eq(SET(H.target_adapter, &ct), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(SET(bogus(0x40), &ct), NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(violations().bad_handle, 2);
#undef SET
    harness_fini(&H);
}

Test(ndm, cyclic_tree_is_cut_at_the_block_limit_and_failed_at_once)
{
    setup(0);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST a = h_block_new(&T, TcpOffloadState, h_handle_new(&T));
    a->NextBlock = a;

    harness_issue(&H, SHIM_OP_INITIATE, a);

    cr_assert_eq(violations().malformed_tree, 1);
    cr_assert_eq(H.target.total, 0, "a cyclic tree never reaches a driver below");
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.last_sync, 1);
    cr_assert_eq(a->Status, NDIS_STATUS_FAILURE);

    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST d = h_block_new(&T, NeighborOffloadState, NULL);
    d->DependentBlockList = d;
    harness_issue(&H, SHIM_OP_QUERY, d);
    cr_assert_eq(violations().malformed_tree, 2);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    harness_fini(&H);
}

Test(ndm, protocol_without_completion_handlers_is_counted)
{
    setup(0);
    ndm_protocol_driver *mute = ndm_register_protocol_driver(H.m, "mute");
    ndm_binding *b = ndm_open_adapter(H.m, mute, H.target_adapter, &H.host);
    cr_assert_not_null(b);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r = h_block_new(&T, TcpOffloadState, h_handle_new(&T));

    harness_issue_on(&H, b, SHIM_OP_INITIATE, r);

    cr_assert_eq(H.target.total, 1);
    cr_assert_eq(violations().no_complete_handler, 1);
    cr_assert_eq(H.host.total, 0);
    harness_fini(&H);
}

Test(ndm, completion_inside_the_down_call_is_delivered_at_once)
{
    setup(0);
    H.target.sync = 1;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r = h_block_new(&T, TcpOffloadState, h_handle_new(&T));

    harness_issue(&H, SHIM_OP_INITIATE, r);

    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.last_sync, 1);
    cr_assert_eq(H.host.last_binding_context, &H.host);
    cr_assert_eq(r->Status, NDIS_STATUS_SUCCESS);
    harness_fini(&H);
}
