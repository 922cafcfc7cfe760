/* imdriver_test.c - the chimney IM driver between a test host and a scripted target, all
 * through the NDIS model. For every operation the target must see only the IM's handles
 * and the host must get its tree back with every field restored (reference §3.5); plus the
 * §3.2 partial-success example, re-entrant and deferred completion, out-of-memory paths
 * without leaks, counted contract faults, and the trace shim's four edges.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "im_harness.h"
#include "im_internal.h"
#include "platform_user.h"

static im_harness H;
static h_tree T;

static void setup(void)
{
    memset(&T, 0, sizeof T);
    cr_assert_eq(harness_init(&H, H_WITH_IM, NULL), 0, "harness wiring failed");
}

static im_stats stats(void)
{
    im_stats s;
    im_get_stats(H.im, &s);
    return s;
}

static im_offload_entry *entry_of_handle(NDIS_HANDLE h)
{
    return (im_offload_entry *)((char *)h - offsetof(im_offload_entry, handle));
}

/* ---- the §3.2 tree: Neighbor1 -> {Path1 -> {TCP1, TCP2}, Path2 -> {TCP3}} ---------------- */

enum { N1, P1, T1, T2, P2, T3, NOBJ }; /* also the pre-order index of each block */

typedef struct objects {
    PNDIS_OFFLOAD_HANDLE h[NOBJ];     /* the host's handles (TCBs, path/neighbor states) */
} objects;

static void objects_new(objects *o)
{
    for (int i = 0; i < NOBJ; i++)
        o->h[i] = h_handle_new(&T);
}

static const uint8_t initiate_type[NOBJ] = {NeighborOffloadState, Ip4OffloadState, TcpOffloadState,
                                            TcpOffloadState, Ip4OffloadState, TcpOffloadState};

/* A tree over the objects selected in `mask` (bit i: object i) with the given Header.Types
 * per layer; an unselected neighbor/path on the way becomes a placeholder. */
static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST tree(const objects *o, unsigned mask, uint8_t ntype,
                                             uint8_t ptype, uint8_t ttype)
{
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b[NOBJ] = {0};
    const uint8_t type[NOBJ] = {ntype, ptype, ttype, ttype, ptype, ttype};
    for (int i = 0; i < NOBJ; i++) {
        if (mask & (1u << i))
            b[i] = h_block_new(&T, type[i], o->h[i]);
    }
    /* Paths with selected TCPs need a node; neighbor with any path too. */
    if (b[P1] == NULL && (b[T1] || b[T2]))
        b[P1] = h_block_new(&T, ptype, NULL);
    if (b[P2] == NULL && b[T3])
        b[P2] = h_block_new(&T, ptype, NULL);
    if (b[N1] == NULL && (b[P1] || b[P2]))
        b[N1] = h_block_new(&T, ntype, NULL);
    if (b[T1]) h_add_dependent(b[P1], b[T1]);
    if (b[T2]) h_add_dependent(b[P1], b[T2]);
    if (b[T3]) h_add_dependent(b[P2], b[T3]);
    if (b[P1]) h_add_dependent(b[N1], b[P1]);
    if (b[P2]) h_add_dependent(b[N1], b[P2]);
    return b[N1];
}

#define ALL ((1u << NOBJ) - 1)

static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST initiate_tree(const objects *o, unsigned mask)
{
    return tree(o, mask, initiate_type[N1], initiate_type[P1], initiate_type[T1]);
}

/* ---- the two boundaries ------------------------------------------------------------------ */

/* The host's tree after completion against its snapshot from before the call: every field
 * as the host left it, except Status (the answer), NDIS's NdisReserved[2] (the
 * MiniportOffloadContext slot NDIS derived on the host's down-call) and the root's
 * SourceHandle (NDIS set it to the host's binding; the IM must give that back). */
static void assert_host_tree_restored(const h_snapshot *before)
{
    h_snapshot after;
    h_snapshot_take(&after, before->ptr[0]);
    cr_assert_eq(after.n, before->n, "tree shape changed");
    for (int i = 0; i < before->n; i++) {
        const NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *x = &before->copy[i], *y = &after.copy[i];
        cr_assert_eq(after.ptr[i], before->ptr[i], "block %d", i);
        cr_assert_eq(y->Header.Type, x->Header.Type, "block %d", i);
        cr_assert_eq(y->Header.Revision, x->Header.Revision, "block %d", i);
        cr_assert_eq(y->Header.Size, x->Header.Size, "block %d", i);
        cr_assert_eq(y->NextBlock, x->NextBlock, "block %d", i);
        cr_assert_eq(y->DependentBlockList, x->DependentBlockList, "block %d", i);
        cr_assert_eq(y->NdisReserved[0], x->NdisReserved[0], "block %d", i);
        cr_assert_eq(y->NdisReserved[1], x->NdisReserved[1], "block %d", i);
        void *slot = x->OffloadHandle ? &x->OffloadHandle->MiniportOffloadContext : NULL;
        cr_assert_eq(y->NdisReserved[2], slot, "block %d: MiniportOffloadContext slot", i);
        cr_assert_eq(y->OffloadHandle, x->OffloadHandle, "block %d: host handle", i);
        for (int k = 0; k < 2; k++) {
            cr_assert_eq(y->ProtocolReserved[k], x->ProtocolReserved[k], "block %d", i);
            cr_assert_eq(y->MiniportReserved[k], x->MiniportReserved[k], "block %d", i);
            cr_assert_eq(y->ImReserved[k], x->ImReserved[k], "block %d: ImReserved", i);
            cr_assert_eq(y->Scratch[k], x->Scratch[k], "block %d", i);
        }
        void *source = i == 0 ? (void *)H.host_binding : x->SourceHandle;
        cr_assert_eq(y->SourceHandle, source, "block %d: SourceHandle", i);
        cr_assert_eq(y->PortNumber, x->PortNumber, "block %d", i);
        cr_assert_eq(y->NetBufferListChain, x->NetBufferListChain, "block %d", i);
    }
}

/* What the target saw: the IM's handles only. Each non-placeholder block carries the
 * handle of an IM offload entry made for that very host handle, and the MiniportOffload-
 * Context slot NDIS derived from it. For an operation on offloaded objects the handle is
 * that of the entry the host's handle refers to, and the slot holds the target's own
 * context; for a new object the slot is still NULL. After a terminate the entries are
 * gone, so only their addresses are compared then (`alive` = 0). */
static void assert_target_saw_im_handles(const h_snapshot *host, int new_objects, int alive)
{
    cr_assert_eq(H.target.nseen, host->n);
    cr_assert_eq(H.target.seen[0].source_handle, (void *)H.im_binding);
    for (int i = 0; i < host->n; i++) {
        const h_seen_block *s = &H.target.seen[i];
        PNDIS_OFFLOAD_HANDLE hh = host->copy[i].OffloadHandle;
        cr_assert_eq(s->block, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)host->ptr[i], "block %d", i);
        if (hh == NULL) {
            cr_assert_null(s->ndis_offload_handle, "block %d: placeholder", i);
            cr_assert_null(s->moc_slot, "block %d: placeholder", i);
            continue;
        }
        cr_assert_neq(s->ndis_offload_handle, (NDIS_HANDLE)hh, "block %d: host handle leaked", i);
        im_offload_entry *e = entry_of_handle(s->ndis_offload_handle);
        cr_assert_eq(s->moc_slot, &e->handle.MiniportOffloadContext, "block %d", i);
        if (new_objects) {
            cr_assert_null(s->moc_value, "block %d", i);
        } else {
            cr_assert_eq(hh->MiniportOffloadContext, (void *)e, "block %d", i);
            cr_assert_geq(harness_target_obj_index(&H, s->moc_value), 0,
                          "block %d: the target's context", i);
        }
        if (alive) {
            cr_assert_eq(e->magic, IM_OBJ_MAGIC, "block %d", i);
            cr_assert_eq(e->upper_handle, (NDIS_HANDLE)hh, "block %d", i);
        }
    }
}

/* Host handle `hh` refers to an IM entry whose own handle the target filled with its
 * context, and the target remembers the IM's handle (never the host's) for indications. */
static void assert_offloaded_through_im(PNDIS_OFFLOAD_HANDLE hh)
{
    im_offload_entry *e = hh->MiniportOffloadContext;
    cr_assert_not_null(e);
    cr_assert_eq(e->magic, IM_OBJ_MAGIC);
    cr_assert_eq(e->upper_handle, (NDIS_HANDLE)hh);
    cr_assert_lt(harness_target_obj_index(&H, e), 0, "host sees the target's context");
    h_target_obj *t = e->handle.MiniportOffloadContext;
    cr_assert_geq(harness_target_obj_index(&H, t), 0);
    cr_assert_eq(t->ndis_offload_handle, (NDIS_HANDLE)&e->handle);
}

static void assert_no_im_memory(void)
{
    cr_assert_eq(im_live_offload_entries(), 0);
    cr_assert_eq(im_live_call_entries(), 0);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 0);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_CALL), 0);
}

/* Issue `op` with a snapshot taken first; check both boundaries and that every block came
 * back with `status`. */
static void round_trip(int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root, int new_objects,
                       NDIS_STATUS status)
{
    h_snapshot before;
    h_snapshot_take(&before, root);
    int done = H.host.completions[op];
    harness_issue(&H, op, root);
    cr_assert_eq(H.host.completions[op], done + 1, "op %d not completed", op);
    cr_assert_eq(H.host.last_root, root);
    cr_assert_eq(H.target.requests[op] > 0, 1);
    assert_target_saw_im_handles(&before, new_objects, op != SHIM_OP_TERMINATE);
    assert_host_tree_restored(&before);
    for (int i = 0; i < before.n; i++)
        cr_assert_eq(before.ptr[i]->Status, status, "op %d block %d", op, i);
    cr_assert_eq(im_live_call_entries(), 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

Test(imdriver, initiate_passes_im_handles_down_and_restores_every_host_field)
{
    setup();
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, ALL), 1, NDIS_STATUS_SUCCESS);
    for (int i = 0; i < NOBJ; i++)
        assert_offloaded_through_im(o.h[i]);
    cr_assert_eq(im_live_offload_entries(), NOBJ);
    im_stats s = stats();
    cr_assert_eq(s.bad_call_entry + s.wrong_completion + s.tree_changed + s.failed_requests, 0);
    harness_fini(&H);
}

Test(imdriver, every_operation_reaches_the_target_with_im_handles_and_comes_back_restored)
{
    setup();
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, ALL), 1, NDIS_STATUS_SUCCESS);
    round_trip(SHIM_OP_QUERY, tree(&o, ALL, NeighborOffloadDelegatedState,
                                   Ip4OffloadDelegatedState, TcpOffloadDelegatedState),
               0, NDIS_STATUS_SUCCESS);
    round_trip(SHIM_OP_UPDATE, tree(&o, (1u << T1) | (1u << T3), NeighborOffloadCachedState,
                                    Ip4OffloadCachedState, TcpOffloadCachedState),
               0, NDIS_STATUS_SUCCESS);
    round_trip(SHIM_OP_INVALIDATE, tree(&o, 1u << T2, 0, 0, 0), 0, NDIS_STATUS_SUCCESS);
    for (int i = 0; i < NOBJ; i++)
        assert_offloaded_through_im(o.h[i]);
    cr_assert_eq(im_live_offload_entries(), NOBJ, "query/update/invalidate free nothing");
    round_trip(SHIM_OP_TERMINATE, tree(&o, ALL, NeighborOffloadDelegatedState,
                                       Ip4OffloadDelegatedState, TcpOffloadDelegatedState),
               0, NDIS_STATUS_SUCCESS);
    cr_assert_eq(H.target.requests[SHIM_OP_TERMINATE], 1);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, partial_success_worked_example_reaches_the_host_with_exact_statuses)
{
    setup();
    objects o;
    objects_new(&o);
    const NDIS_STATUS want[NOBJ] = {
        [N1] = NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS, [P1] = NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS,
        [T1] = NDIS_STATUS_SUCCESS, [T2] = NDIS_STATUS_RESOURCES,
        [P2] = NDIS_STATUS_FAILURE, [T3] = NDIS_STATUS_FAILURE};
    memcpy(H.target.script, want, sizeof want);
    H.target.script_n = NOBJ;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = initiate_tree(&o, ALL);
    h_snapshot before;
    h_snapshot_take(&before, root);

    harness_issue(&H, SHIM_OP_INITIATE, root);

    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    for (int i = 0; i < NOBJ; i++)
        cr_assert_eq(before.ptr[i]->Status, want[i], "block %d status", i);
    assert_host_tree_restored(&before);
    assert_offloaded_through_im(o.h[N1]);
    assert_offloaded_through_im(o.h[P1]);
    assert_offloaded_through_im(o.h[T1]);
    cr_assert_null(o.h[T2]->MiniportOffloadContext);
    cr_assert_null(o.h[P2]->MiniportOffloadContext);
    cr_assert_null(o.h[T3]->MiniportOffloadContext);
    cr_assert_eq(im_live_offload_entries(), 3);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 3);

    H.target.script_n = 0;
    round_trip(SHIM_OP_TERMINATE,
               tree(&o, (1u << N1) | (1u << P1) | (1u << T1), NeighborOffloadDelegatedState,
                    Ip4OffloadDelegatedState, TcpOffloadDelegatedState),
               0, NDIS_STATUS_SUCCESS);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, deferred_completion_is_restored_when_the_target_completes_later)
{
    setup();
    H.target.sync = 0;
    objects o;
    objects_new(&o);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = initiate_tree(&o, ALL);
    h_snapshot before;
    h_snapshot_take(&before, root);

    harness_issue(&H, SHIM_OP_INITIATE, root);
    cr_assert_eq(H.target.requests[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.total, 0);
    cr_assert_eq(im_live_call_entries(), 1, "the call is in flight");
    assert_target_saw_im_handles(&before, 1, 1);

    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.last_sync, 0);
    cr_assert_eq(im_live_call_entries(), 0);
    assert_host_tree_restored(&before);
    for (int i = 0; i < NOBJ; i++)
        assert_offloaded_through_im(o.h[i]);

    harness_issue(&H, SHIM_OP_TERMINATE, tree(&o, ALL, 0, 0, 0));
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 0);
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, reentrant_completion_inside_the_down_call_is_restored)
{
    setup();
    H.target.sync = 1;
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, ALL), 1, NDIS_STATUS_SUCCESS);
    cr_assert_eq(H.host.last_sync, 1, "completed inside NdisInitiateOffload");
    round_trip(SHIM_OP_TERMINATE, tree(&o, ALL, 0, 0, 0), 0, NDIS_STATUS_SUCCESS);
    cr_assert_eq(H.host.last_sync, 1);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, out_of_memory_for_the_call_entry_fails_the_whole_request_at_once)
{
    setup();
    objects o;
    objects_new(&o);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = initiate_tree(&o, ALL);
    h_snapshot before;
    h_snapshot_take(&before, root);

    plat_user_fail_alloc_after(1);
    harness_issue(&H, SHIM_OP_INITIATE, root);
    plat_user_fail_alloc_after(0);

    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.last_sync, 1);
    cr_assert_eq(H.target.total, 0);
    for (int i = 0; i < NOBJ; i++) {
        cr_assert_eq(before.ptr[i]->Status, NDIS_STATUS_RESOURCES, "block %d", i);
        cr_assert_null(o.h[i]->MiniportOffloadContext, "block %d", i);
    }
    assert_host_tree_restored(&before);
    cr_assert_eq(stats().failed_requests, 1);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, out_of_memory_for_an_offload_entry_frees_what_was_allocated)
{
    setup();
    objects o;
    objects_new(&o);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = initiate_tree(&o, ALL);

    plat_user_fail_alloc_after(4); /* call entry, two offload entries, then none */
    harness_issue(&H, SHIM_OP_INITIATE, root);
    plat_user_fail_alloc_after(0);

    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.target.total, 0);
    cr_assert_eq(root->Status, NDIS_STATUS_RESOURCES);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, out_of_memory_on_a_later_operation_fails_it_and_keeps_the_objects)
{
    setup();
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, ALL), 1, NDIS_STATUS_SUCCESS);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST q = tree(&o, ALL, 0, 0, 0);
    h_snapshot before;
    h_snapshot_take(&before, q);

    plat_user_fail_alloc_after(1);
    harness_issue(&H, SHIM_OP_QUERY, q);
    plat_user_fail_alloc_after(0);

    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    cr_assert_eq(H.target.requests[SHIM_OP_QUERY], 0);
    for (int i = 0; i < before.n; i++)
        cr_assert_eq(before.ptr[i]->Status, NDIS_STATUS_FAILURE, "block %d", i);
    assert_host_tree_restored(&before);
    cr_assert_eq(im_live_offload_entries(), NOBJ);
    round_trip(SHIM_OP_TERMINATE, tree(&o, ALL, 0, 0, 0), 0, NDIS_STATUS_SUCCESS);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, failed_terminate_still_frees_the_im_offload_entry)
{
    setup();
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, 1u << T1), 1, NDIS_STATUS_SUCCESS);
    cr_assert_eq(im_live_offload_entries(), 1);
    H.target.script[0] = NDIS_STATUS_FAILURE;
    H.target.script[1] = NDIS_STATUS_FAILURE;
    H.target.script[2] = NDIS_STATUS_FAILURE;
    H.target.script_n = 3;
    round_trip(SHIM_OP_TERMINATE, tree(&o, 1u << T1, 0, 0, 0), 0, NDIS_STATUS_FAILURE);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, completion_without_our_call_entry_is_counted_not_followed)
{
    setup();
    H.target.sync = 0;
    objects o;
    objects_new(&o);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = initiate_tree(&o, 1u << T1);
    h_snapshot before;
    h_snapshot_take(&before, root);
    harness_issue(&H, SHIM_OP_INITIATE, root);
    PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST pending = H.target.pending;
    void *mine = pending->ImReserved[0];

    pending->ImReserved[0] = (void *)(uintptr_t)0x30; /* a target scribbling where it must not */
    harness_target_complete(&H);
    cr_assert_eq(stats().bad_call_entry, 1);
    cr_assert_eq(H.host.total, 0, "an unrestorable tree is not passed up");

    pending->ImReserved[0] = mine;
    H.target.pending = pending;
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    assert_host_tree_restored(&before);
    assert_offloaded_through_im(o.h[T1]);
    harness_fini(&H);
}

Test(imdriver, reference_to_an_unknown_offload_context_fails_the_request)
{
    setup();
    static uint8_t not_an_entry[sizeof(im_offload_entry)];
    PNDIS_OFFLOAD_HANDLE hh = h_handle_new(&T);
    hh->MiniportOffloadContext = not_an_entry;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = h_block_new(&T, TcpOffloadDelegatedState, hh);
    h_snapshot before;
    h_snapshot_take(&before, root);

    harness_issue(&H, SHIM_OP_TERMINATE, root);

    cr_assert_eq(stats().bad_offload_context, 1);
    cr_assert_eq(H.target.total, 0);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    cr_assert_eq(root->Status, NDIS_STATUS_FAILURE);
    cr_assert_eq(hh->MiniportOffloadContext, (void *)not_an_entry);
    assert_host_tree_restored(&before);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, completion_of_another_operation_is_counted_and_answered_as_the_one_asked)
{
    setup();
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, 1u << T1), 1, NDIS_STATUS_SUCCESS);
    H.target.complete_as = SHIM_OP_QUERY;
    round_trip(SHIM_OP_UPDATE, tree(&o, 1u << T1, 0, 0, TcpOffloadCachedState), 0,
               NDIS_STATUS_SUCCESS);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 0);
    cr_assert_eq(stats().wrong_completion, 1);
    harness_fini(&H);
}

Test(imdriver, lower_driver_changing_a_block_header_is_counted_and_undone)
{
    setup();
    H.target.sync = 0;
    objects o;
    objects_new(&o);
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root = initiate_tree(&o, ALL);
    h_snapshot before;
    h_snapshot_take(&before, root);
    harness_issue(&H, SHIM_OP_INITIATE, root);
    H.target.pending->DependentBlockList->Header.Type = 0x55;

    harness_target_complete(&H);

    cr_assert_eq(stats().tree_changed, 1);
    assert_host_tree_restored(&before);
    harness_fini(&H);
}

Test(imdriver, fields_a_lower_driver_must_not_touch_are_put_back_in_every_block)
{
    setup();
    H.target.scribble = 1;
    objects o;
    objects_new(&o);
    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, ALL), 1, NDIS_STATUS_SUCCESS);
    round_trip(SHIM_OP_QUERY, tree(&o, ALL, 0, 0, 0), 0, NDIS_STATUS_SUCCESS);
    round_trip(SHIM_OP_TERMINATE, tree(&o, ALL, 0, 0, 0), 0, NDIS_STATUS_SUCCESS);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, cyclic_tree_reaching_the_im_is_failed_not_followed)
{
    setup();
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST a = h_block_new(&T, TcpOffloadState, h_handle_new(&T));
    a->NextBlock = a;
    a->SourceHandle = H.host_binding; /* as NDIS would have set it on the way to the IM */

    MiniportInitiateOffload(H.im, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)a);

    cr_assert_eq(stats().malformed_tree, 1);
    cr_assert_eq(stats().failed_requests, 1);
    cr_assert_eq(H.target.total, 0);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(a->Status, NDIS_STATUS_FAILURE);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver, registration_rejects_swapped_driver_handles)
{
    setup();
    cr_assert_eq(im_register_handlers(H.im_protocol_drv, H.im_miniport_drv),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(im_register_handlers(H.im_miniport_drv, H.im_protocol_drv),
                 NDIS_STATUS_SUCCESS);
    harness_fini(&H);
}

/* ---- tracing -------------------------------------------------------------------------- */

static const shim_event_rec *next_event(ring *r)
{
    const ring_rec_hdr *h = ring_read(r);
    cr_assert_not_null(h, "missing event");
    cr_assert_eq(h->type, SHIM_REC_EVENT);
    return (const shim_event_rec *)h;
}

Test(imdriver, tracing_records_the_four_edges_of_each_operation)
{
    shim *tracer;
    shim_config cfg = {.ring_count = 1, .ring_bytes = 1u << 16, .max_blocks = 64};
    cr_assert_eq(shim_create(&cfg, &tracer), NDIS_STATUS_SUCCESS);
    shim_set_enabled(tracer, 1);
    memset(&T, 0, sizeof T);
    cr_assert_eq(harness_init(&H, H_WITH_IM, tracer), 0);
    objects o;
    objects_new(&o);

    round_trip(SHIM_OP_INITIATE, initiate_tree(&o, 1u << T1), 1, NDIS_STATUS_SUCCESS);

    ring *r = shim_ring(tracer, 0);
    const uint8_t edges[4] = {SHIM_EDGE_REQUEST_IN_ABOVE, SHIM_EDGE_REQUEST_OUT_BELOW,
                              SHIM_EDGE_COMPLETION_IN_BELOW, SHIM_EDGE_COMPLETION_OUT_ABOVE};
    const void *binding[4] = {H.im, H.im_binding, H.im_binding, H.im};
    uint64_t op_id = 0;
    for (int i = 0; i < 4; i++) {
        const shim_event_rec *ev = next_event(r);
        cr_assert_eq(ev->edge, edges[i], "event %d", i);
        cr_assert_eq(ev->op, SHIM_OP_INITIATE);
        cr_assert_eq(ev->nblocks, 3, "neighbor and path placeholders plus TCP1");
        cr_assert_eq(ev->binding, (uint64_t)(uintptr_t)binding[i], "event %d", i);
        if (i == 0)
            op_id = ev->op_id;
        cr_assert_eq(ev->op_id, op_id);
        cr_assert_eq((ev->h.flags & SHIM_EVF_REENTRANT) != 0, i == 2,
                     "only completion-in is re-entrant here");
        ring_release(r, &ev->h);
    }
    cr_assert_null(ring_read(r));

    /* Deferred: the completion comes after the down-call returned, so it is not
     * re-entrant. */
    H.target.sync = 0;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST q = tree(&o, 1u << T1, 0, 0, TcpOffloadDelegatedState);
    harness_issue(&H, SHIM_OP_QUERY, q);
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    for (int i = 0; i < 4; i++) {
        const shim_event_rec *ev = next_event(r);
        cr_assert_eq(ev->edge, edges[i], "event %d", i);
        cr_assert_eq(ev->op, SHIM_OP_QUERY);
        cr_assert_gt(ev->op_id, op_id, "a new operation");
        cr_assert_eq(ev->h.flags & SHIM_EVF_REENTRANT, 0, "event %d", i);
        ring_release(r, &ev->h);
    }

    H.target.sync = 1;
    shim_set_enabled(tracer, 0);
    round_trip(SHIM_OP_TERMINATE, tree(&o, 1u << T1, 0, 0, 0), 0, NDIS_STATUS_SUCCESS);
    cr_assert_null(ring_read(r), "disabled: no events");
    harness_fini(&H);
    shim_destroy(tracer);
}
