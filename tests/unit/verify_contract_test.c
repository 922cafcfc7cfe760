/* verify_contract_test.c - one broken trace per rule, continued: statuses (check 5),
 * offload contexts (6), fields restored at the host boundary (7) and object lifecycles
 * (9-12). Same method as verify_rules_test.c: record, break one thing, write back, and
 * demand exactly that rule at the changed event's seq. Ends with the test that every rule
 * of the table is broken by some test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tf_helpers.h"
#include "verify_fixture.h"

TestSuite(verify_contract, .init = tf_scratch_setup, .fini = tf_scratch_teardown,
          .timeout = 300);

/* ---- check 5: status --------------------------------------------------------------------- */

static void m_unwritten(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 1)->status = 0xDEADBEEFu;    /* the host's pre-fill, never overwritten */
    vf_at(x, ev->seq);
}
Test(verify_contract, sentinel_status_at_completion_is_status_unwritten)
{
    vf_breaks("status.unwritten", "basic", m_unwritten);
}

static void m_illegal(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 2)->status = VF_PARTIAL;     /* initiate only */
    vf_at(x, ev->seq);
}
Test(verify_contract, partial_success_on_a_query_is_status_illegal)
{
    vf_breaks("status.illegal", "basic", m_illegal);
}

static void m_placeholder(vf_trace *t, vf_expect *x)
{
    size_t i;
    Chimtrace__V1__Event *req = vf_find_req(t, 0, vf_is_placeholder, &i);
    Chimtrace__V1__Event *ev = vf_event_of(t, req->op_id, 4);
    vf_blk(ev, i)->status = VF_FAILURE;
    vf_at(x, ev->seq);
}
Test(verify_contract, failed_placeholder_is_status_placeholder)
{
    vf_breaks("status.placeholder", "mixed", m_placeholder);
}

static void m_dependents(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, INITIATE, 0, 4);
    cr_assert_eq(vf_blk(ev, 0)->status, 0);
    ev->block[0]->status = VF_PARTIAL;      /* but its only dependent offloaded */
    vf_at(x, ev->seq);
}
Test(verify_contract, partial_success_with_every_dependent_offloaded_is_status_dependents)
{
    vf_breaks("status.dependents", "basic", m_dependents);
}

/* Whether `handle` is named by a request-in after position `from`. */
static int named_later(const vf_trace *t, size_t from, uint64_t handle)
{
    for (size_t i = from + 1; i < t->n; i++) {
        const Chimtrace__V1__Event *ev = t->rec[i]->kind_case ==
                                                 CHIMTRACE__V1__RECORD__KIND_EVENT
                                             ? t->rec[i]->event
                                             : NULL;
        for (size_t j = 0; ev && ev->edge == 1 && j < ev->n_block; j++)
            if (ev->block[j]->offload_handle_id == handle)
                return 1;
    }
    return 0;
}

static int failed(const Chimtrace__V1__Block *b)
{
    return b->status != 0 && b->status != VF_PARTIAL;
}

static void m_parent_failed(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e1 = vf_event(t, INITIATE, 0, 1), *e4 = vf_event(t, INITIATE, 0, 4);
    size_t i;
    for (i = 0; i < e4->n_block; i++) {
        Chimtrace__V1__Block *b = e4->block[i];
        if (b->has_parent && failed(b) && failed(e4->block[b->parent]) &&
            e1->block[b->parent]->context_slot_id &&
            !e1->block[i]->context_value_id &&
            !named_later(t, vf_index(t, e4), e1->block[i]->offload_handle_id))
            break;
    }
    cr_assert_lt(i, e4->n_block, "exhaust: no failed block under a failed parent");
    e4->block[i]->status = 0;               /* offloaded although its parent failed */
    e4->block[i]->context_value_id = VF_NOBODY;
    vf_at(x, e4->seq);
}
Test(verify_contract, success_under_a_failed_parent_is_status_parent_failed)
{
    vf_breaks("status.parent_failed", "exhaust", m_parent_failed);
}

/* ---- check 6: contexts ------------------------------------------------------------------- */

static void m_not_written(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, INITIATE, 0, 4);
    cr_assert_eq(vf_blk(ev, 2)->status, 0);
    ev->block[2]->context_value_id = 0;
    vf_at(x, ev->seq);
}
Test(verify_contract, offloaded_without_context_is_ctx_not_written)
{
    vf_breaks("ctx.not_written", "basic", m_not_written);
}

static void m_on_failure(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e1 = vf_event(t, INITIATE, 0, 1), *e4 = vf_event(t, INITIATE, 0, 4);
    size_t i;
    for (i = 0; i < e4->n_block; i++)
        if (failed(e4->block[i]) && e1->block[i]->context_slot_id &&
            !e1->block[i]->context_value_id)
            break;
    cr_assert_lt(i, e4->n_block, "exhaust: no failed new offload");
    e4->block[i]->context_value_id = VF_NOBODY;
    vf_at(x, e4->seq);
}
Test(verify_contract, context_on_a_failed_block_is_ctx_written_on_failure)
{
    vf_breaks("ctx.written_on_failure", "exhaust", m_on_failure);
}

static void m_changed(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 1);
    vf_blk(ev, 2)->context_value_id = VF_NOBODY;  /* not what the initiate wrote */
    vf_at(x, ev->seq);
}
Test(verify_contract, another_context_later_is_ctx_changed)
{
    vf_breaks("ctx.changed", "basic", m_changed);
}

/* ---- check 7: restored at the host boundary ---------------------------------------------- */

static void m_shape(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 2)->block_id = VF_NOBODY;
    vf_at(x, ev->seq);
}
Test(verify_contract, another_block_at_completion_is_restore_shape)
{
    vf_breaks("restore.shape", "basic", m_shape);
}

static void m_header(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 1)->header_revision = 2;
    vf_at(x, ev->seq);
}
Test(verify_contract, changed_header_is_restore_header)
{
    vf_breaks("restore.header", "basic", m_header);
}

static void m_handle(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 1)->offload_handle_id = VF_NOBODY;
    vf_at(x, ev->seq);
}
Test(verify_contract, foreign_handle_is_restore_handle)
{
    vf_breaks("restore.handle", "basic", m_handle);
}

static void m_im_handle(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e2 = vf_basic_query(t, 2), *e4 = vf_basic_query(t, 4);
    cr_assert_neq(e2->block[1]->offload_handle_id, e4->block[1]->offload_handle_id);
    e4->block[1]->offload_handle_id = e2->block[1]->offload_handle_id;
    vf_at(x, e4->seq);
}
Test(verify_contract, the_ims_own_handle_at_the_host_is_restore_im_handle_leak)
{
    vf_breaks("restore.im_handle_leak", "basic", m_im_handle);
}

static void m_im_reserved(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e2 = vf_basic_query(t, 2), *e4 = vf_basic_query(t, 4);
    cr_assert_eq(e2->block[0]->n_im_reserved_id, 2);
    cr_assert_eq(e4->block[0]->n_im_reserved_id, 2);
    cr_assert_neq(e2->block[0]->im_reserved_id[0], e4->block[0]->im_reserved_id[0]);
    /* The IM's call entry left in ImReserved: not swapped back. */
    e4->block[0]->im_reserved_id[0] = e2->block[0]->im_reserved_id[0];
    vf_at(x, e4->seq);
}
Test(verify_contract, call_entry_left_in_im_reserved_is_restore_im_reserved)
{
    vf_breaks("restore.im_reserved", "basic", m_im_reserved);
}

static void m_target_im_reserved(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e3 = vf_basic_query(t, 3);
    cr_assert_eq(e3->block[0]->n_im_reserved_id, 2);
    e3->block[0]->im_reserved_id[1] = VF_NOBODY;  /* the target wrote into ImReserved */
    vf_at(x, e3->seq);
}
Test(verify_contract, target_writing_im_reserved_is_restore_im_reserved_at_edge_3)
{
    vf_breaks("restore.im_reserved", "basic", m_target_im_reserved);
}

static void m_source(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 0)->source_handle_id = VF_NOBODY;
    vf_at(x, ev->seq);
}
Test(verify_contract, source_handle_not_put_back_is_restore_source_handle)
{
    vf_breaks("restore.source_handle", "basic", m_source);
}

static void m_protocol(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    Chimtrace__V1__Block *b = vf_blk(ev, 1);
    cr_assert_eq(b->n_protocol_reserved_id, 2);
    uint64_t p0 = b->protocol_reserved_id[0];
    b->protocol_reserved_id[0] = b->protocol_reserved_id[1];
    b->protocol_reserved_id[1] = p0;
    vf_at(x, ev->seq);
}
Test(verify_contract, swapped_protocol_reserved_is_restore_protocol_reserved)
{
    vf_breaks("restore.protocol_reserved", "basic", m_protocol);
}

static void m_slot(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_basic_query(t, 4);
    vf_blk(ev, 1)->context_slot_id = VF_NOBODY;
    vf_at(x, ev->seq);
}
Test(verify_contract, context_slot_not_put_back_is_restore_context_slot)
{
    vf_breaks("restore.context_slot", "basic", m_slot);
}

/* ---- checks 9-12: lifecycle -------------------------------------------------------------- */

/* A copy of the k-th `op` instance, inserted right after event `after`. */
static uint64_t copy_after(vf_trace *t, int op, const Chimtrace__V1__Event *after, vf_expect *x)
{
    uint64_t base = after->seq;
    vf_copy_instance(t, op, 0, vf_index(t, after) + 1, base);
    vf_at(x, base + 1);     /* its request-in */
    return base;
}

static void m_before_initiate(vf_trace *t, vf_expect *x)
{
    copy_after(t, UPDATE, vf_event(t, INITIATE, 0, 2), x);
}
Test(verify_contract, update_before_the_initiate_completed_is_life_before_initiate)
{
    vf_breaks("life.before_initiate", "basic", m_before_initiate);
}

static void m_not_offloaded(vf_trace *t, vf_expect *x)
{
    copy_after(t, UPDATE, vf_event(t, TERMINATE, 0, 4), x);
}
Test(verify_contract, update_after_terminate_is_life_not_offloaded)
{
    vf_breaks("life.not_offloaded", "basic", m_not_offloaded);
}

static void m_double_initiate(vf_trace *t, vf_expect *x)
{
    copy_after(t, INITIATE, vf_event(t, INITIATE, 0, 4), x);
}
Test(verify_contract, second_initiate_of_offloaded_objects_is_life_double_initiate)
{
    vf_breaks("life.double_initiate", "basic", m_double_initiate);
}

static void m_update_overlap(vf_trace *t, vf_expect *x)
{
    copy_after(t, UPDATE, vf_event(t, UPDATE, 0, 1), x);
}
Test(verify_contract, two_updates_in_flight_is_life_update_overlap)
{
    vf_breaks("life.update_overlap", "basic", m_update_overlap);
}

static void m_after_invalidate(vf_trace *t, vf_expect *x)
{
    copy_after(t, UPDATE, vf_event(t, INVALIDATE, 0, 4), x);
}
Test(verify_contract, update_after_invalidate_is_life_update_after_invalidate)
{
    vf_breaks("life.update_after_invalidate", "basic", m_after_invalidate);
}

static void m_terminate_busy(vf_trace *t, vf_expect *x)
{
    copy_after(t, QUERY, vf_event(t, TERMINATE, 0, 1), x);
}
Test(verify_contract, query_during_terminate_is_life_terminate_busy)
{
    vf_breaks("life.terminate_busy", "basic", m_terminate_busy);
}

static void m_terminate_dependents(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_event(t, TERMINATE, 0, e);
        cr_assert_eq(ev->n_block, 3);
        vf_remove_block(ev, 2);     /* the TCP connection, then the path */
        vf_remove_block(ev, 1);
        if (e == 1)
            vf_at(x, ev->seq);
    }
}
Test(verify_contract, neighbor_terminated_alone_is_life_terminate_dependents)
{
    vf_breaks("life.terminate_dependents", "basic", m_terminate_dependents);
}

/* ---- every rule is broken by some test --------------------------------------------------- */

Test(verify_contract, every_rule_has_a_trace_that_breaks_it)
{
    /* Keep in step with the tests above, verify_rules_test.c and verify_test.c (notes and
     * trace-level rules). */
    static const char *const covered[] = {
        "tree.malformed", "tree.tcp_dependents", "tree.layer_order", "tree.sibling_layer",
        "tree.depth", "tree.truncated", "state.type", "state.header_size", "state.length",
        "state.op_type", "state.invalidate", "role.placeholder", "role.linker", "role.new",
        "completion.duplicate", "completion.order", "completion.missing", "completion.kind",
        "completion.root", "status.unwritten", "status.illegal", "status.placeholder",
        "status.dependents", "status.parent_failed", "ctx.not_written",
        "ctx.written_on_failure", "ctx.changed", "restore.shape", "restore.header",
        "restore.handle", "restore.im_handle_leak", "restore.im_reserved",
        "restore.source_handle", "restore.protocol_reserved", "restore.context_slot",
        "life.before_initiate", "life.not_offloaded", "life.double_initiate",
        "life.update_overlap", "life.update_after_invalidate", "life.terminate_busy",
        "life.terminate_dependents", "life.leak", "trace.loss", "trace.truncated",
        "trace.damaged", "trace.abi",
    };
    size_t n, m = sizeof covered / sizeof covered[0];
    const verify_rule_info *rules = verify_rules(&n);

    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t k = 0; k < m; k++)
            found |= strcmp(rules[i].id, covered[k]) == 0;
        cr_assert(found, "rule %s has no breaking test", rules[i].id);
    }
    cr_assert_eq(m, n, "the list names a rule the table does not have");
}
