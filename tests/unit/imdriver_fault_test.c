/* imdriver_fault_test.c - the IM driver's fault-injection switch (im_set_faults), between
 * the test host and the scripted target of the im_harness. For each fault: the exact
 * corruption the host (or NDIS, or the IM's allocation counts) sees at its boundary, and
 * the same scenario with mask 0 showing none of it. Also the deterministic choice of the
 * one-shot faults, the per-operation capture of the mask, the trace of a dropped and a
 * duplicated completion, and the name <-> bit round trip.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "im_harness.h"
#include "im_internal.h"
#include "platform_user.h"

static im_harness H;
static h_tree T;

static void setup(uint32_t faults)
{
    memset(&T, 0, sizeof T);
    cr_assert_eq(harness_init(&H, H_WITH_IM, NULL), 0, "harness wiring failed");
    im_set_faults(H.im, faults);
    cr_assert_eq(im_get_faults(H.im), faults);
}

typedef struct objects {
    PNDIS_OFFLOAD_HANDLE h[H_NOBJ];
} objects;

static void objects_new(objects *o)
{
    for (int i = 0; i < H_NOBJ; i++)
        o->h[i] = h_handle_new(&T);
}

static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST initiate_tree(const objects *o, unsigned mask)
{
    return h_example_tree(&T, o->h, mask, NeighborOffloadState, Ip4OffloadState,
                          TcpOffloadState);
}

static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST query_tree(const objects *o, unsigned mask)
{
    return h_example_tree(&T, o->h, mask, NeighborOffloadDelegatedState,
                          Ip4OffloadDelegatedState, TcpOffloadDelegatedState);
}

static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST update_tree(const objects *o, unsigned mask)
{
    return h_example_tree(&T, o->h, mask, NeighborOffloadCachedState, Ip4OffloadCachedState,
                          TcpOffloadCachedState);
}

static PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST terminate_tree(const objects *o, unsigned mask)
{
    return query_tree(o, mask);
}

static im_offload_entry *entry_of(PNDIS_OFFLOAD_HANDLE hh)
{
    return hh->MiniportOffloadContext;
}

static void assert_no_im_memory(void)
{
    cr_assert_eq(im_live_offload_entries(), 0);
    cr_assert_eq(im_live_call_entries(), 0);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 0);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_CALL), 0);
}

static uint64_t wrong_adapter_routes(void)
{
    ndm_violations v;
    ndm_get_violations(H.m, &v);
    return v.wrong_adapter;
}

/* ---- the host boundary ---------------------------------------------------------------- */

/* Fields a fault may leave unrestored: compared by the test itself. */
#define SKIP_IM_RESERVED 0x1u
#define SKIP_SOURCE_HANDLE 0x2u
#define SKIP_OFFLOAD_HANDLE 0x4u

/* The host's tree against its snapshot from before the call, as imdriver_test checks it
 * (Status and the NDIS-derived MiniportOffloadContext slot aside), except the fields in
 * `skip`. */
static void assert_host_fields(const h_snapshot *before, unsigned skip)
{
    h_snapshot after;
    h_snapshot_take(&after, before->ptr[0]);
    cr_assert_eq(after.n, before->n, "tree shape changed");
    for (int i = 0; i < before->n; i++) {
        const NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *x = &before->copy[i], *y = &after.copy[i];
        cr_assert_eq(after.ptr[i], before->ptr[i], "block %d", i);
        cr_assert_eq(y->Header.Type, x->Header.Type, "block %d", i);
        cr_assert_eq(y->NextBlock, x->NextBlock, "block %d", i);
        cr_assert_eq(y->DependentBlockList, x->DependentBlockList, "block %d", i);
        void *slot = x->OffloadHandle ? &x->OffloadHandle->MiniportOffloadContext : NULL;
        cr_assert_eq(y->NdisReserved[2], slot, "block %d: MiniportOffloadContext slot", i);
        if (!(skip & SKIP_OFFLOAD_HANDLE))
            cr_assert_eq(y->OffloadHandle, x->OffloadHandle, "block %d: host handle", i);
        for (int k = 0; k < 2; k++) {
            cr_assert_eq(y->ProtocolReserved[k], x->ProtocolReserved[k], "block %d", i);
            cr_assert_eq(y->MiniportReserved[k], x->MiniportReserved[k], "block %d", i);
            cr_assert_eq(y->Scratch[k], x->Scratch[k], "block %d", i);
            if (!(skip & SKIP_IM_RESERVED))
                cr_assert_eq(y->ImReserved[k], x->ImReserved[k], "block %d: ImReserved", i);
        }
        if (!(skip & SKIP_SOURCE_HANDLE)) {
            void *source = i == 0 ? (void *)H.host_binding : x->SourceHandle;
            cr_assert_eq(y->SourceHandle, source, "block %d: SourceHandle", i);
        }
        cr_assert_eq(y->PortNumber, x->PortNumber, "block %d", i);
        cr_assert_eq(y->NetBufferListChain, x->NetBufferListChain, "block %d", i);
    }
}

/* Issue `op` on a snapshot-ed tree; the snapshot is left in `before`. */
static void issue(int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root, h_snapshot *before)
{
    h_snapshot_take(before, root);
    harness_issue(&H, op, root);
}

static const NDIS_STATUS worked_example[H_NOBJ] = {
    [H_N1] = NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS, [H_P1] = NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS,
    [H_T1] = NDIS_STATUS_SUCCESS, [H_T2] = NDIS_STATUS_RESOURCES,
    [H_P2] = NDIS_STATUS_FAILURE, [H_T3] = NDIS_STATUS_FAILURE};

static void script_worked_example(void)
{
    memcpy(H.target.script, worked_example, sizeof worked_example);
    H.target.script_n = H_NOBJ;
}

/* ---- names ---------------------------------------------------------------------------- */

Test(imdriver_fault, names_round_trip_and_unknown_names_are_rejected)
{
    static const char *const want[IM_FAULT_COUNT] = {
        "forget-im-reserved", "forget-source-handle", "pass-own-handle", "drop-completion",
        "dup-completion", "wrong-status", "context-on-failure", "leak-offload-entry"};
    const uint32_t bits[IM_FAULT_COUNT] = {
        IM_FAULT_FORGET_IM_RESERVED, IM_FAULT_FORGET_SOURCE_HANDLE, IM_FAULT_PASS_OWN_HANDLE,
        IM_FAULT_DROP_COMPLETION, IM_FAULT_DUP_COMPLETION, IM_FAULT_WRONG_STATUS,
        IM_FAULT_CONTEXT_ON_FAILURE, IM_FAULT_LEAK_OFFLOAD_ENTRY};
    char all[256] = "";
    for (unsigned i = 0; i < IM_FAULT_COUNT; i++) {
        cr_assert_eq(bits[i], 1u << i);
        cr_assert_str_eq(im_fault_name(bits[i]), want[i]);
        cr_assert_eq(im_fault_parse(want[i]), bits[i], "%s", want[i]);
        if (i)
            strcat(all, ",");
        strcat(all, want[i]);
    }
    cr_assert_eq(im_fault_parse(all), IM_FAULT_ALL);
    cr_assert_eq(IM_FAULT_ALL, 0xFFu);
    cr_assert_eq(im_fault_parse("drop-completion,wrong-status"),
                 IM_FAULT_DROP_COMPLETION | IM_FAULT_WRONG_STATUS);
    cr_assert_eq(im_fault_parse("wrong-status,wrong-status"), IM_FAULT_WRONG_STATUS);
    cr_assert_eq(im_fault_parse(""), 0);
    cr_assert_eq(im_fault_parse("none"), 0);
    cr_assert_eq(im_fault_parse("none,dup-completion"), IM_FAULT_DUP_COMPLETION);
    cr_assert_str_eq(im_fault_name(0), "none");

    const char *bad[] = {"drop-completion,bogus", "bogus", "Drop-Completion", "drop",
                         "drop-completionx", "drop-completion,", ",drop-completion",
                         "drop-completion,,wrong-status", ",", " drop-completion",
                         "drop-completion wrong-status"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(im_fault_parse(bad[i]), UINT32_MAX, "\"%s\" accepted", bad[i]);
    cr_assert_eq(im_fault_parse(NULL), UINT32_MAX);
    cr_assert_null(im_fault_name(IM_FAULT_DROP_COMPLETION | IM_FAULT_DUP_COMPLETION));
    cr_assert_null(im_fault_name(1u << IM_FAULT_COUNT));
    cr_assert_null(im_fault_name(UINT32_MAX));
}

Test(imdriver_fault, switch_keeps_known_bits_and_one_shot_kinds_are_validated)
{
    setup(0);
    im_set_faults(H.im, 0xFFFFFFFFu);
    cr_assert_eq(im_get_faults(H.im), IM_FAULT_ALL);
    im_set_faults(H.im, 0);
    cr_assert_eq(im_get_faults(H.im), 0);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_DROP_COMPLETION, SHIM_OP_QUERY),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_DUP_COMPLETION, IM_FAULT_ANY_OP),
                 NDIS_STATUS_SUCCESS);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_WRONG_STATUS, SHIM_OP_QUERY),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_ONE_SHOT, SHIM_OP_QUERY),
                 NDIS_STATUS_INVALID_PARAMETER);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_DROP_COMPLETION, SHIM_OP_INVALIDATE + 1),
                 NDIS_STATUS_INVALID_PARAMETER);
    harness_fini(&H);
}

/* ---- mask 0 ---------------------------------------------------------------------------- */

Test(imdriver_fault, mask_zero_is_the_correct_driver_on_every_operation)
{
    setup(IM_FAULT_ALL);
    im_set_faults(H.im, 0);
    H.target.scribble = 1;
    objects o;
    objects_new(&o);
    h_snapshot before;
    const int ops[] = {SHIM_OP_INITIATE, SHIM_OP_QUERY, SHIM_OP_UPDATE, SHIM_OP_INVALIDATE,
                       SHIM_OP_TERMINATE};
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        int op = ops[k];
        PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root =
            op == SHIM_OP_INITIATE ? initiate_tree(&o, H_ALL)
            : op == SHIM_OP_UPDATE ? update_tree(&o, H_ALL)
                                   : query_tree(&o, H_ALL);
        if (op == SHIM_OP_INITIATE)
            script_worked_example();
        else
            H.target.script_n = 0;
        issue(op, root, &before);
        cr_assert_eq(H.host.completions[op], 1, "op %d", op);
        cr_assert_eq(H.host.total, (int)k + 1);
        assert_host_fields(&before, 0);
        for (int i = 0; i < before.n; i++) {
            NDIS_STATUS want = op == SHIM_OP_INITIATE ? worked_example[i] : NDIS_STATUS_SUCCESS;
            cr_assert_eq(before.ptr[i]->Status, want, "op %d block %d", op, i);
        }
        if (op == SHIM_OP_INITIATE) {
            cr_assert_eq(im_live_offload_entries(), 3);
            cr_assert_null(o.h[H_T2]->MiniportOffloadContext);
            cr_assert_null(o.h[H_P2]->MiniportOffloadContext);
            cr_assert_null(o.h[H_T3]->MiniportOffloadContext);
            /* Only the offloaded ones are terminated, queried, ... from now on. */
            o.h[H_T2] = o.h[H_P2] = o.h[H_T3] = NULL;
        }
    }
    cr_assert_eq(wrong_adapter_routes(), 0);
    cr_assert_eq(im_faults_committed(H.im), 0);
    assert_no_im_memory();
    harness_fini(&H);
}

/* ---- restore faults ------------------------------------------------------------------- */

Test(imdriver_fault, forget_im_reserved_leaves_the_call_entry_and_lower_scribbles_up)
{
    objects o;
    h_snapshot before;

    /* mask 0: every ImReserved back, even after a scribbling target. */
    setup(0);
    H.target.scribble = 1;
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    assert_host_fields(&before, 0);
    harness_fini(&H);

    setup(IM_FAULT_FORGET_IM_RESERVED);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    assert_host_fields(&before, SKIP_IM_RESERVED);
    void *call = H.target.seen[0].im_reserved[0];
    cr_assert_neq(call, before.copy[0].ImReserved[0]);
    cr_assert_eq(before.ptr[0]->ImReserved[0], call, "the root carries the IM's call entry");
    cr_assert_eq(im_live_call_entries(), 0, "... which is freed: a dangling pointer");
    cr_assert_eq(before.ptr[0]->ImReserved[1], before.copy[0].ImReserved[1]);
    for (int i = 1; i < before.n; i++) {
        cr_assert_eq(before.ptr[i]->ImReserved[0], before.copy[i].ImReserved[0], "block %d", i);
        cr_assert_eq(before.ptr[i]->ImReserved[1], before.copy[i].ImReserved[1], "block %d", i);
    }

    /* What the lower layers scribbled goes up too. */
    H.target.scribble = 1;
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    assert_host_fields(&before, SKIP_IM_RESERVED);
    cr_assert_eq(before.ptr[0]->ImReserved[0], H.target.seen[0].im_reserved[0]);
    for (int i = 0; i < before.n; i++) {
        if (i != 0)
            cr_assert_eq(before.ptr[i]->ImReserved[0], (void *)0xBAD0, "block %d", i);
        cr_assert_eq(before.ptr[i]->ImReserved[1], (void *)0xBAD1, "block %d", i);
    }
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_FORGET_IM_RESERVED);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver_fault, forget_source_handle_misroutes_the_completion_away_from_the_host)
{
    objects o;
    h_snapshot before;

    setup(0);
    H.target.scribble = 1;
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(wrong_adapter_routes(), 0);
    assert_host_fields(&before, 0);
    harness_fini(&H);

    setup(IM_FAULT_FORGET_SOURCE_HANDLE);
    H.target.scribble = 1;
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(before.n, 3, "neighbor and path placeholders, TCP1");
    cr_assert_eq(H.host.total, 0, "NDIS routed the completion by the IM's own binding");
    cr_assert_eq(wrong_adapter_routes(), 1);
    cr_assert_eq(before.ptr[0]->SourceHandle, (void *)H.im_binding);
    cr_assert_eq(before.ptr[1]->SourceHandle, (void *)0xBAD2);
    cr_assert_eq(before.ptr[2]->SourceHandle, (void *)0xBAD2);
    assert_host_fields(&before, SKIP_SOURCE_HANDLE);
    cr_assert_eq(before.ptr[2]->Status, NDIS_STATUS_SUCCESS);
    /* The IM finished its side: offloaded behind the host's back, no call left over. */
    cr_assert_eq(im_live_call_entries(), 0);
    cr_assert_eq(im_live_offload_entries(), 1);
    cr_assert_eq(entry_of(o.h[H_T1])->magic, IM_OBJ_MAGIC);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_FORGET_SOURCE_HANDLE);
    harness_fini(&H);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 0, "im_destroy reclaims it");
}

Test(imdriver_fault, pass_own_handle_gives_the_host_the_ims_handle_in_every_block)
{
    objects o;
    h_snapshot before;
    const unsigned mask = H_ALL & ~(1u << H_P2); /* Path2 goes as a placeholder */

    setup(0);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, mask), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    assert_host_fields(&before, 0);
    harness_fini(&H);

    setup(IM_FAULT_PASS_OWN_HANDLE);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, mask), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    assert_host_fields(&before, SKIP_OFFLOAD_HANDLE);
    cr_assert_eq(before.n, H_NOBJ);
    for (int i = 0; i < before.n; i++) {
        PNDIS_OFFLOAD_HANDLE hh = before.copy[i].OffloadHandle;
        PNDIS_OFFLOAD_HANDLE up = before.ptr[i]->OffloadHandle;
        if (i == H_P2) {
            cr_assert_null(hh);
            cr_assert_null(up, "a placeholder has no handle to get wrong");
            continue;
        }
        cr_assert_eq(up, &entry_of(hh)->handle, "block %d: the IM's handle", i);
        cr_assert_eq(up, H.target.seen[i].ndis_offload_handle, "block %d", i);
        cr_assert_neq(up, hh, "block %d", i);
        /* The context itself still went to the right place. */
        cr_assert_eq(entry_of(hh)->magic, IM_OBJ_MAGIC, "block %d", i);
        cr_assert_eq(entry_of(hh)->upper_handle, (NDIS_HANDLE)hh, "block %d", i);
    }
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_PASS_OWN_HANDLE);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, mask), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    cr_assert_eq(before.ptr[H_T1]->OffloadHandle, H.target.seen[H_T1].ndis_offload_handle,
                 "the handle of an entry the terminate just freed");
    assert_no_im_memory();
    harness_fini(&H);
}

/* ---- status and context faults ----------------------------------------------------------- */

Test(imdriver_fault, wrong_status_reports_success_for_every_failed_initiate_block)
{
    objects o;
    h_snapshot before;

    setup(0);
    script_worked_example();
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    for (int i = 0; i < H_NOBJ; i++)
        cr_assert_eq(before.ptr[i]->Status, worked_example[i], "block %d", i);
    harness_fini(&H);

    setup(IM_FAULT_WRONG_STATUS);
    script_worked_example();
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    for (int i = 0; i < H_NOBJ; i++)
        cr_assert_eq(before.ptr[i]->Status, NDIS_STATUS_SUCCESS, "block %d", i);
    assert_host_fields(&before, 0);
    /* The IM kept its books by the true statuses: SUCCESS without a context. */
    cr_assert_eq(im_live_offload_entries(), 3);
    cr_assert_null(o.h[H_T2]->MiniportOffloadContext);
    cr_assert_null(o.h[H_P2]->MiniportOffloadContext);
    cr_assert_null(o.h[H_T3]->MiniportOffloadContext);
    cr_assert_eq(entry_of(o.h[H_T1])->magic, IM_OBJ_MAGIC);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_WRONG_STATUS);

    /* Initiate only: a failed query keeps its FAILURE. */
    H.target.script_n = 3;
    H.target.script[0] = H.target.script[1] = NDIS_STATUS_SUCCESS;
    H.target.script[2] = NDIS_STATUS_FAILURE;
    issue(SHIM_OP_QUERY, query_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    cr_assert_eq(before.ptr[2]->Status, NDIS_STATUS_FAILURE);
    harness_fini(&H);
}

Test(imdriver_fault, context_on_failure_writes_and_keeps_an_entry_for_failed_blocks)
{
    objects o;
    h_snapshot before;

    setup(0);
    script_worked_example();
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(im_live_offload_entries(), 3);
    cr_assert_null(o.h[H_T2]->MiniportOffloadContext);
    harness_fini(&H);

    setup(IM_FAULT_CONTEXT_ON_FAILURE);
    script_worked_example();
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    for (int i = 0; i < H_NOBJ; i++)
        cr_assert_eq(before.ptr[i]->Status, worked_example[i], "block %d", i);
    assert_host_fields(&before, 0);
    const int failed[] = {H_T2, H_P2, H_T3};
    for (unsigned k = 0; k < 3; k++) {
        PNDIS_OFFLOAD_HANDLE hh = o.h[failed[k]];
        im_offload_entry *e = entry_of(hh);
        cr_assert_not_null(e, "block %d: context written on failure", failed[k]);
        cr_assert_eq(e->magic, IM_OBJ_MAGIC, "block %d: and kept alive", failed[k]);
        cr_assert_eq(e->upper_handle, (NDIS_HANDLE)hh);
        cr_assert_null(e->handle.MiniportOffloadContext, "the target offloaded nothing");
    }
    cr_assert_eq(im_live_offload_entries(), 6);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 6);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_CONTEXT_ON_FAILURE);
    harness_fini(&H);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 0, "im_destroy reclaims them");
}

Test(imdriver_fault, leak_offload_entry_keeps_every_terminated_entry_until_destroy)
{
    objects o;
    h_snapshot before;

    setup(0);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    assert_no_im_memory();
    harness_fini(&H);

    setup(IM_FAULT_LEAK_OFFLOAD_ENTRY);
    for (uint64_t round = 1; round <= 2; round++) {
        objects_new(&o);
        issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
        issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
        cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], (int)round);
        assert_host_fields(&before, 0);
        for (int i = 0; i < H_NOBJ; i++)
            cr_assert_eq(before.ptr[i]->Status, NDIS_STATUS_SUCCESS, "block %d", i);
        cr_assert_eq(im_live_offload_entries(), round * H_NOBJ, "the leak grows");
        cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), round * H_NOBJ);
        cr_assert_eq(entry_of(o.h[H_T3])->magic, IM_OBJ_MAGIC, "still alive");
        cr_assert_eq(entry_of(o.h[H_T3])->state, IM_OBJ_OFFLOADED);
    }
    cr_assert_eq(im_live_call_entries(), 0);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_LEAK_OFFLOAD_ENTRY);
    harness_fini(&H);
    cr_assert_eq(plat_user_live_allocs(PLAT_TAG_IM_OBJ), 0, "im_destroy reclaims them");
}

/* ---- one-shot completion faults ---------------------------------------------------------- */

Test(imdriver_fault, drop_completion_swallows_the_first_update_only)
{
    objects o;
    h_snapshot before;

    setup(0);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    issue(SHIM_OP_UPDATE, update_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 1);
    harness_fini(&H);

    setup(IM_FAULT_DROP_COMPLETION);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    cr_assert_eq(im_faults_committed(H.im), 0, "no update yet");

    issue(SHIM_OP_UPDATE, update_tree(&o, (1u << H_T1) | (1u << H_T3)), &before);
    cr_assert_eq(H.target.requests[SHIM_OP_UPDATE], 1);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 0, "swallowed");
    cr_assert_eq(H.host.total, 2);
    cr_assert_eq(im_live_call_entries(), 0, "nothing left in flight inside the IM");
    assert_host_fields(&before, 0);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_DROP_COMPLETION);

    /* One-shot: the next update (deferred this time) comes back. */
    H.target.sync = 0;
    issue(SHIM_OP_UPDATE, update_tree(&o, 1u << H_T2), &before);
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 1);
    cr_assert_eq(H.host.last_root, before.ptr[0]);

    /* im_set_faults re-arms it on the same adapter. */
    H.target.sync = 1;
    im_set_faults(H.im, IM_FAULT_DROP_COMPLETION);
    cr_assert_eq(im_faults_committed(H.im), 0);
    issue(SHIM_OP_UPDATE, update_tree(&o, 1u << H_T2), &before);
    cr_assert_eq(H.target.requests[SHIM_OP_UPDATE], 3);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 1, "dropped again");
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    assert_no_im_memory();
    harness_fini(&H);

    /* A new adapter, deferred: dropped when the target completes. */
    setup(IM_FAULT_DROP_COMPLETION);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, 1u << H_T1), &before);
    H.target.sync = 0;
    issue(SHIM_OP_UPDATE, update_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(im_live_call_entries(), 1);
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 0);
    cr_assert_eq(im_live_call_entries(), 0);
    harness_fini(&H);
}

Test(imdriver_fault, drop_completion_of_any_kind_hits_the_first_operation)
{
    objects o;
    h_snapshot before;

    setup(IM_FAULT_DROP_COMPLETION);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_DROP_COMPLETION, IM_FAULT_ANY_OP),
                 NDIS_STATUS_SUCCESS);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.total, 0);
    cr_assert_eq(H.target.requests[SHIM_OP_INITIATE], 1);
    cr_assert_eq(im_live_offload_entries(), H_NOBJ, "offloaded, the host never told");
    cr_assert_eq(im_live_call_entries(), 0);
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    harness_fini(&H);

    /* The default kind never comes: nothing dropped, nothing committed. */
    setup(IM_FAULT_DROP_COMPLETION);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    issue(SHIM_OP_INVALIDATE, query_tree(&o, 1u << H_T1), &before);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.total, 4);
    cr_assert_eq(im_faults_committed(H.im), 0);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver_fault, dup_completion_completes_the_first_query_twice)
{
    objects o;
    h_snapshot before;

    setup(0);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 1);
    harness_fini(&H);

    setup(IM_FAULT_DUP_COMPLETION);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    H.target.sync = 0; /* deferred: the duplicate comes from the completion path */
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 2, "the same query completed twice");
    cr_assert_eq(H.host.total, 3);
    cr_assert_eq(H.host.last_root, before.ptr[0]);
    cr_assert_eq(H.host.last_sync, 0);
    assert_host_fields(&before, 0);
    cr_assert_eq(im_live_call_entries(), 0);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_DUP_COMPLETION);

    /* One-shot, re-entrant this time. */
    H.target.sync = 1;
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 3);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver_fault, dup_completion_of_an_initiate_publishes_each_entry_once)
{
    objects o;
    h_snapshot before;

    setup(IM_FAULT_DUP_COMPLETION);
    cr_assert_eq(im_set_fault_op(H.im, IM_FAULT_DUP_COMPLETION, SHIM_OP_INITIATE),
                 NDIS_STATUS_SUCCESS);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 2);
    cr_assert_eq(H.host.last_sync, 1);
    cr_assert_eq(im_live_offload_entries(), H_NOBJ);
    assert_host_fields(&before, 0);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_TERMINATE], 1);
    assert_no_im_memory();
    harness_fini(&H);
}

Test(imdriver_fault, one_operation_picked_for_both_one_shots_is_dropped_and_dup_waits)
{
    objects o;
    h_snapshot before;

    setup(IM_FAULT_DROP_COMPLETION | IM_FAULT_DUP_COMPLETION);
    im_set_fault_op(H.im, IM_FAULT_DROP_COMPLETION, IM_FAULT_ANY_OP);
    im_set_fault_op(H.im, IM_FAULT_DUP_COMPLETION, IM_FAULT_ANY_OP);
    objects_new(&o);
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.total, 0, "the initiate is dropped");
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_DROP_COMPLETION);
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 2, "the next operation is duplicated");
    issue(SHIM_OP_UPDATE, update_tree(&o, H_ALL), &before);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 1);
    cr_assert_eq(H.host.total, 3);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_ONE_SHOT);
    harness_fini(&H);
}

/* ---- the switch at run time ------------------------------------------------------------ */

Test(imdriver_fault, an_operation_keeps_the_mask_it_was_accepted_with)
{
    objects o;
    h_snapshot before;

    setup(0);
    objects_new(&o);
    H.target.sync = 0;
    issue(SHIM_OP_INITIATE, initiate_tree(&o, H_ALL), &before);
    im_set_faults(H.im, IM_FAULT_FORGET_IM_RESERVED);
    harness_target_complete(&H);
    cr_assert_eq(H.host.completions[SHIM_OP_INITIATE], 1);
    assert_host_fields(&before, 0);
    cr_assert_eq(im_faults_committed(H.im), 0);

    H.target.sync = 1;
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    cr_assert_eq(before.ptr[0]->ImReserved[0], H.target.seen[0].im_reserved[0]);
    cr_assert_neq(before.ptr[0]->ImReserved[0], before.copy[0].ImReserved[0]);
    cr_assert_eq(im_faults_committed(H.im), IM_FAULT_FORGET_IM_RESERVED);

    im_set_faults(H.im, 0);
    cr_assert_eq(im_faults_committed(H.im), 0, "cleared by the switch");
    issue(SHIM_OP_QUERY, query_tree(&o, H_ALL), &before);
    assert_host_fields(&before, 0);
    issue(SHIM_OP_TERMINATE, terminate_tree(&o, H_ALL), &before);
    assert_no_im_memory();
    harness_fini(&H);
}

/* ---- what the trace shows ----------------------------------------------------------------- */

static int edges_of_op(ring *r, uint8_t op, uint8_t *edges, int max, uint64_t *op_id)
{
    int n = 0;
    for (const ring_rec_hdr *h; n < max && (h = ring_read(r)) != NULL;) {
        cr_assert_eq(h->type, SHIM_REC_EVENT);
        const shim_event_rec *ev = (const shim_event_rec *)h;
        cr_assert_eq(ev->op, op);
        if (n == 0)
            *op_id = ev->op_id;
        cr_assert_eq(ev->op_id, *op_id, "one operation");
        edges[n++] = ev->edge;
        ring_release(r, h);
    }
    return n;
}

Test(imdriver_fault, trace_shows_no_completion_out_for_a_drop_and_two_for_a_dup)
{
    shim *tracer;
    shim_config cfg = {.ring_count = 1, .ring_bytes = 1u << 16, .max_blocks = 64};
    cr_assert_eq(shim_create(&cfg, &tracer), NDIS_STATUS_SUCCESS);
    shim_set_enabled(tracer, 1);
    memset(&T, 0, sizeof T);
    cr_assert_eq(harness_init(&H, H_WITH_IM, tracer), 0);
    im_set_faults(H.im, IM_FAULT_DROP_COMPLETION | IM_FAULT_DUP_COMPLETION);
    ring *r = shim_ring(tracer, 0);
    objects o;
    objects_new(&o);
    h_snapshot before;
    uint8_t e[8];
    uint64_t id;

    issue(SHIM_OP_INITIATE, initiate_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(edges_of_op(r, SHIM_OP_INITIATE, e, 4, &id), 4);
    cr_assert_eq(e[3], SHIM_EDGE_COMPLETION_OUT_ABOVE);

    issue(SHIM_OP_UPDATE, update_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(edges_of_op(r, SHIM_OP_UPDATE, e, 8, &id), 3);
    cr_assert_eq(e[0], SHIM_EDGE_REQUEST_IN_ABOVE);
    cr_assert_eq(e[1], SHIM_EDGE_REQUEST_OUT_BELOW);
    cr_assert_eq(e[2], SHIM_EDGE_COMPLETION_IN_BELOW);
    cr_assert_eq(H.host.completions[SHIM_OP_UPDATE], 0);

    issue(SHIM_OP_QUERY, query_tree(&o, 1u << H_T1), &before);
    cr_assert_eq(edges_of_op(r, SHIM_OP_QUERY, e, 8, &id), 5);
    cr_assert_eq(e[2], SHIM_EDGE_COMPLETION_IN_BELOW);
    cr_assert_eq(e[3], SHIM_EDGE_COMPLETION_OUT_ABOVE);
    cr_assert_eq(e[4], SHIM_EDGE_COMPLETION_OUT_ABOVE);
    cr_assert_eq(H.host.completions[SHIM_OP_QUERY], 2);
    cr_assert_null(ring_read(r));
    harness_fini(&H);
    shim_destroy(tracer);
}
