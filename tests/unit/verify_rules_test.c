/* verify_rules_test.c - one broken trace per rule: each test records a clean workload,
 * breaks exactly one thing the contract forbids (a field, a block, an edge, a whole extra
 * operation), writes it back with the real writer and asserts that exactly that rule fires,
 * as a violation, at the seq(s) of the events that were changed - and nothing else does.
 * The last test checks that every rule of the table has a test here or in verify_test.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_helpers.h"
#include "verify_fixture.h"

TestSuite(verify_rules, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

/* ---- check 1: tree shape ----------------------------------------------------------------- */

static void m_malformed(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_basic_query(t, e);
        vf_blk(ev, 1)->parent = 2;     /* a parent after its dependent: no pre-order tree */
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, parent_after_its_dependent_is_tree_malformed)
{
    vf_breaks("tree.malformed", "basic", m_malformed);
}

static void m_tcp_dependents(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e4 = vf_event(t, INITIATE, 0, 4);
    size_t i;
    for (i = 1; i < e4->n_block; i++) {
        Chimtrace__V1__Block *a = e4->block[i - 1], *b = e4->block[i];
        if (vf_layer(a->header_type) == 3 && vf_layer(b->header_type) == 3 &&
            a->parent == b->parent && a->status == 0 && b->status == 0)
            break;
    }
    cr_assert_lt(i, e4->n_block, "no two offloaded TCP siblings in deep's initiate");
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_event(t, INITIATE, 0, e);
        vf_blk(ev, i)->parent = (uint32_t)(i - 1);  /* a DependentBlockList from TCP */
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, dependent_of_a_tcp_block_is_tree_tcp_dependents)
{
    vf_breaks("tree.tcp_dependents", "deep", m_tcp_dependents);
}

static void m_layer_order(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_basic_query(t, e);
        vf_blk(ev, 2)->parent = 0;     /* TCP straight under the neighbor */
        vf_remove_block(ev, 1);
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, tcp_under_a_neighbor_is_tree_layer_order)
{
    vf_breaks("tree.layer_order", "basic", m_layer_order);
}

static void m_sibling_layer(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_basic_query(t, e);
        vf_blk(ev, 2)->has_parent = 0;     /* TCP becomes the neighbor's NextBlock */
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, tcp_next_to_a_neighbor_is_tree_sibling_layer)
{
    vf_breaks("tree.sibling_layer", "basic", m_sibling_layer);
}

static Chimtrace__V1__Block *placeholder_like(const Chimtrace__V1__Block *b, uint64_t id)
{
    Chimtrace__V1__Block *p = vf_dup_block(b);
    p->block_id = id;
    p->offload_handle_id = 0;
    p->context_slot_id = 0;
    p->has_context_value_id = 0;
    p->source_handle_id = 0;
    p->has_parent = 0;
    vf_clear_state(p);
    return p;
}

static void m_depth(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_basic_query(t, e);
        /* Two placeholders above the neighbor: placeholder -> placeholder -> N -> P -> T. */
        Chimtrace__V1__Block *p0 = placeholder_like(ev->block[0], VF_NOBODY);
        Chimtrace__V1__Block *p1 = placeholder_like(ev->block[0], VF_NOBODY + 1);
        vf_insert_block(ev, 0, p0);
        vf_insert_block(ev, 1, p1);
        p1->has_parent = 1, p1->parent = 0;
        vf_blk(ev, 2)->has_parent = 1, vf_blk(ev, 2)->parent = 1;
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, five_levels_of_blocks_is_tree_depth)
{
    vf_breaks("tree.depth", "basic", m_depth);
}

/* ---- check 2: types and sizes ------------------------------------------------------------ */

static void m_state_type(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_basic_query(t, e);
        vf_blk(ev, 2)->header_type = 16;   /* TcpOffloadResourceState: reserved */
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, reserved_header_type_is_state_type)
{
    vf_breaks("state.type", "basic", m_state_type);
}

static void m_header_size(vf_trace *t, vf_expect *x)
{
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_basic_query(t, e);
        vf_blk(ev, 0)->header_size = 0x90;
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, wrong_block_size_is_state_header_size)
{
    vf_breaks("state.header_size", "basic", m_header_size);
}

static void m_length(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, INITIATE, 0, 1);
    cr_assert_not_null(vf_blk(ev, 2)->tcp_delegated);
    vf_blk(ev, 2)->tcp_delegated->length = 0x78;   /* x64 TCP_OFFLOAD_STATE_DELEGATED is 0x80 */
    vf_at(x, ev->seq);
}
Test(verify_rules, wrong_state_length_is_state_length)
{
    vf_breaks("state.length", "basic", m_length);
}

static void m_op_type(vf_trace *t, vf_expect *x)
{
    const Chimtrace__V1__Block *full = vf_full_block(t, 17);   /* TcpOffloadState */
    for (int e = 1; e <= 4; e++) {
        Chimtrace__V1__Event *ev = vf_event(t, UPDATE, 0, e);
        Chimtrace__V1__Block *b = vf_blk(ev, 0);
        cr_assert_eq(b->header_type, 14, "basic updates TCP cached state");
        vf_copy_state(b, full);
        b->header_type = 17;    /* consistent, but an update carries CACHED only */
        vf_at(x, ev->seq);
    }
}
Test(verify_rules, update_carrying_const_state_is_state_op_type)
{
    vf_breaks("state.op_type", "basic", m_op_type);
}

static void m_invalidate(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, INVALIDATE, 0, 1);
    vf_blk(ev, 0)->tcp_delegated = VF_DUP(vf_full_block(t, 17)->tcp_delegated);
    vf_at(x, ev->seq);
}
Test(verify_rules, invalidate_with_state_is_state_invalidate)
{
    vf_breaks("state.invalidate", "basic", m_invalidate);
}

/* ---- check 3: roles ---------------------------------------------------------------------- */

static void m_role_placeholder(vf_trace *t, vf_expect *x)
{
    size_t i;
    Chimtrace__V1__Event *ev = vf_find_req(t, 0, vf_is_placeholder, &i);
    ev->block[i]->tcp_delegated = VF_DUP(vf_full_block(t, 17)->tcp_delegated);
    vf_at(x, ev->seq);
}
Test(verify_rules, placeholder_with_state_is_role_placeholder)
{
    vf_breaks("role.placeholder", "mixed", m_role_placeholder);
}

static void m_role_linker(vf_trace *t, vf_expect *x)
{
    size_t i;
    Chimtrace__V1__Event *ev = vf_find_req(t, INITIATE, vf_is_linker, &i);
    vf_copy_state(ev->block[i], vf_full_block(t, ev->block[i]->header_type));
    vf_at(x, ev->seq);
}
Test(verify_rules, linker_with_state_is_role_linker)
{
    vf_breaks("role.linker", "mixed", m_role_linker);
}

static void m_role_new(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, INITIATE, 0, 1);
    vf_clear_state(vf_blk(ev, 2));
    vf_at(x, ev->seq);
}
Test(verify_rules, new_offload_without_state_is_role_new)
{
    vf_breaks("role.new", "basic", m_role_new);
}

/* ---- check 4: one completion per request ------------------------------------------------- */

static void m_duplicate(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, TERMINATE, 0, 4);
    Chimtrace__V1__Record *copy = vf_dup_record(t->rec[vf_index(t, ev)]);
    copy->event->seq = ev->seq + 1;
    vf_insert(t, vf_index(t, ev) + 1, copy);
    vf_at(x, ev->seq + 1);
}
Test(verify_rules, second_completion_is_completion_duplicate)
{
    vf_breaks("completion.duplicate", "basic", m_duplicate);
}

static void m_order(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *e2 = vf_event(t, QUERY, 0, 2), *e3 = vf_event(t, QUERY, 0, 3);
    size_t i2 = vf_index(t, e2), i3 = vf_index(t, e3);
    uint64_t s2 = e2->seq;
    Chimtrace__V1__Record *r2 = t->rec[i2];
    t->rec[i2] = t->rec[i3], t->rec[i3] = r2;  /* completion-in before the request-out */
    e2->seq = e3->seq, e3->seq = s2;
    vf_at(x, e2->seq);
}
Test(verify_rules, completion_before_request_out_is_completion_order)
{
    vf_breaks("completion.order", "basic", m_order);
}

static void m_missing(vf_trace *t, vf_expect *x)
{
    vf_at(x, vf_event(t, TERMINATE, 0, 3)->seq);   /* reported at the last edge seen */
    vf_remove(t, vf_index(t, vf_event(t, TERMINATE, 0, 4)));
}
Test(verify_rules, dropped_completion_is_completion_missing)
{
    vf_breaks("completion.missing", "basic", m_missing);
}

static void m_kind(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, QUERY, 0, 4);
    ev->op = CHIMTRACE__V1__OPERATION__OP_TERMINATE;  /* NdisMTerminateOffloadComplete */
    vf_at(x, ev->seq);
}
Test(verify_rules, terminate_completion_of_a_query_is_completion_kind)
{
    vf_breaks("completion.kind", "basic", m_kind);
}

static void m_root(vf_trace *t, vf_expect *x)
{
    Chimtrace__V1__Event *ev = vf_event(t, QUERY, 0, 4);
    vf_blk(ev, 0)->block_id = VF_NOBODY;
    vf_at(x, ev->seq);
}
Test(verify_rules, another_root_at_completion_is_completion_root)
{
    vf_breaks("completion.root", "basic", m_root);
}
