/* host_test.c - the host stack model (replay/host) against its own small offload target.
 *
 * Each workload runs in virtual time against helpers/host_target (deferred with jitter, or
 * synchronous and so re-entrant) while helpers/host_check referees the observer stream:
 * every request completes exactly once, the §3.8 ordering rules hold per object, the same
 * seed gives the same requests and another seed does not, exhaust meets exact partial
 * success and OFFLOAD_*_ENTRIES counts, and the host's own completion checks fire on
 * every deliberate fault the target can commit.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "host.h"
#include "host_check.h"
#include "host_target.h"
#include "record.h"

typedef struct run_out {
    host_stats hs;
    host_target_stats ts;
    host_check_result cr;
    ndm_violations nv;
} run_out;

static void run_with_target(const host_config *hc, const host_target_config *tc_in,
                            sched_mode mode, run_out *out)
{
    ndm *m;
    sched *s;
    host_target *t;
    host *h;
    host_target_config tc;
    if (tc_in)
        tc = *tc_in;
    else
        host_target_config_init(&tc);
    tc.lane = hc->threads;
    cr_assert_eq(ndm_new(&m), CT_OK);
    cr_assert_eq(sched_new(mode, hc->threads + 1, &s), CT_OK);
    cr_assert_eq(host_target_new(m, s, &tc, &t), CT_OK);
    cr_assert_eq(host_new(m, s, hc, &h), CT_OK, "host_new(%s)", hc->workload);
    cr_assert_eq(host_bind(h, host_target_adapter(t)), CT_OK);
    host_check *c = host_check_new(h);
    cr_assert_eq(host_start(h), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    host_get_stats(h, &out->hs);
    host_target_get_stats(t, &out->ts);
    host_check_get(c, &out->cr);
    ndm_get_violations(m, &out->nv);
    host_check_free(c);
    host_free(h);
    host_target_free(t);
    sched_free(s);
    ndm_free(m);
}

static uint64_t sum(const uint64_t *v, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* Everything a clean run must show, with the workload named in each message. */
static void assert_clean(const char *wl, const host_config *hc, const run_out *o)
{
    const host_stats *hs = &o->hs;
    for (int op = HOST_OP_INITIATE; op <= HOST_OP_INVALIDATE; op++)
        cr_assert_eq(hs->issued[op], hs->completed[op], "%s: op %d issued %llu completed %llu", wl,
                     op, (unsigned long long)hs->issued[op], (unsigned long long)hs->completed[op]);
    cr_assert_gt(hs->issued[HOST_OP_INITIATE], 0, "%s: nothing offloaded", wl);
    cr_assert_gt(hs->issued[HOST_OP_TERMINATE], 0, "%s: nothing terminated", wl);
    cr_assert_eq(hs->violations, 0, "%s: %llu host-detected violations", wl,
                 (unsigned long long)hs->violations);
    cr_assert_eq(hs->refused, 0, "%s: the workload asked for %llu illegal requests", wl,
                 (unsigned long long)hs->refused);
    cr_assert_eq(hs->outstanding, 0, "%s", wl);
    cr_assert_eq(hs->offloaded_total, 0, "%s: %llu objects left offloaded", wl,
                 (unsigned long long)hs->offloaded_total);
    cr_assert_eq(hs->lanes_done, hc->threads, "%s: lanes done %u", wl, hs->lanes_done);
    cr_assert_eq(hs->state_unfilled, 0, "%s", wl);
    cr_assert_eq(hs->post_failures, 0, "%s", wl);
    cr_assert_eq(o->cr.violations, 0, "%s: referee: %s", wl, o->cr.first);
    cr_assert_eq(o->cr.unmatched, 0, "%s", wl);
    cr_assert_eq(o->cr.open, 0, "%s", wl);
    cr_assert_eq(o->cr.issues, sum(hs->issued, HOST_OP_SLOTS), "%s", wl);
    cr_assert_eq(o->cr.completes, sum(hs->completed, HOST_OP_SLOTS), "%s", wl);
    cr_assert_eq(o->ts.live[0] + o->ts.live[1] + o->ts.live[2], 0, "%s: target holds objects", wl);
    cr_assert_eq(o->ts.bad_layout + o->ts.bad_context + o->ts.bad_tree + o->ts.live_dependents, 0,
                 "%s: target saw layout %llu context %llu tree %llu deps %llu", wl,
                 (unsigned long long)o->ts.bad_layout, (unsigned long long)o->ts.bad_context,
                 (unsigned long long)o->ts.bad_tree, (unsigned long long)o->ts.live_dependents);
    cr_assert_eq(o->nv.bad_source_handle + o->nv.wrong_adapter + o->nv.no_complete_handler +
                     o->nv.not_supported + o->nv.bad_handle + o->nv.malformed_tree,
                 0, "%s: NDIS model routing faults", wl);
}

static void config(host_config *hc, const char *wl, uint32_t threads, uint64_t seed)
{
    host_config_init(hc);
    hc->workload = wl;
    hc->threads = threads;
    hc->seed = seed;
    hc->connections = 10;
    hc->cap_neighbors = 2, hc->cap_paths = 3, hc->cap_tcp = 6; /* small exhaust */
}

Test(host, every_workload_completes_cleanly_against_a_deferred_target)
{
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        run_out o;
        config(&hc, *n, 1, 1);
        run_with_target(&hc, NULL, SCHED_VIRTUAL, &o);
        assert_clean(*n, &hc, &o);
    }
}

Test(host, every_workload_completes_cleanly_with_reentrant_completions)
{
    host_target_config tc;
    host_target_config_init(&tc);
    tc.sync = 1;
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        run_out o;
        config(&hc, *n, 1, 3);
        run_with_target(&hc, &tc, SCHED_VIRTUAL, &o);
        assert_clean(*n, &hc, &o);
    }
}

Test(host, three_lanes_keep_each_object_on_its_own_lane)
{
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        run_out o;
        config(&hc, *n, 3, 11);
        run_with_target(&hc, NULL, SCHED_VIRTUAL, &o);
        assert_clean(*n, &hc, &o); /* the referee flags an object issued from two lanes */
    }
}

Test(host, same_seed_gives_the_same_requests_and_another_seed_does_not)
{
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        run_out a, b, c;
        config(&hc, *n, 2, 42);
        run_with_target(&hc, NULL, SCHED_VIRTUAL, &a);
        run_with_target(&hc, NULL, SCHED_VIRTUAL, &b);
        hc.seed = 43;
        run_with_target(&hc, NULL, SCHED_VIRTUAL, &c);
        cr_assert_eq(a.cr.digest, b.cr.digest, "%s: one seed, two streams", *n);
        cr_assert_eq(a.cr.issues, b.cr.issues, "%s", *n);
        cr_assert_neq(a.cr.digest, c.cr.digest, "%s: seeds 42 and 43 gave one stream", *n);
    }
}

Test(host, basic_issues_offload_query_update_invalidate_terminate_in_that_order)
{
    host_config hc;
    run_out o;
    config(&hc, "basic", 1, 1);
    run_with_target(&hc, NULL, SCHED_VIRTUAL, &o);
    assert_clean("basic", &hc, &o);
    static const uint8_t ops[] = {HOST_OP_INITIATE, HOST_OP_QUERY, HOST_OP_UPDATE,
                                  HOST_OP_INVALIDATE, HOST_OP_TERMINATE};
    static const uint32_t blocks[] = {3, 3, 1, 1, 3};
    cr_assert_eq(o.cr.nseq, 5);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(o.cr.seq_ops[i], ops[i], "request %d is op %u", i, o.cr.seq_ops[i]);
        cr_assert_eq(o.cr.seq_blocks[i], blocks[i], "request %d has %u blocks", i,
                     o.cr.seq_blocks[i]);
    }
    cr_assert_eq(o.hs.block_status[HOST_OP_INITIATE][HOST_ST_SUCCESS], 3);
    cr_assert_eq(o.hs.block_status[HOST_OP_QUERY][HOST_ST_SUCCESS], 3);
    cr_assert_eq(o.hs.block_status[HOST_OP_UPDATE][HOST_ST_SUCCESS], 1);
    cr_assert_eq(o.hs.block_status[HOST_OP_INVALIDATE][HOST_ST_SUCCESS], 1);
    cr_assert_eq(o.hs.block_status[HOST_OP_TERMINATE][HOST_ST_SUCCESS], 3);
    cr_assert_eq(o.hs.objects, 3);
    cr_assert_eq(o.ts.offloaded[0] + o.ts.offloaded[1] + o.ts.offloaded[2], 3);
}

/* Target holds 1 neighbor, 2 paths, 4 connections; the host makes 2 neighbors, 4 paths
 * (P0-P2 on N0, P3 on N1) and 9 connections (Ti on path i % 4); see exhaust_counts and
 * exhaust_setup. Step 0's tree in pre-order: N0 P0 T0 T4 T8 P1 T1 T5 P2 T2 T6 N1 P3 T3 T7:
 * T5 meets the TCP limit (P1 and N0 PARTIAL), P2 the path limit, N1 the neighbor limit;
 * the subtrees of P2 and N1 are not attempted (FAILURE). Step 1 retries T5 through linkers
 * (TCP_ENTRIES again, both linkers FAILURE); step 2 uploads T0 and T4; step 3's retry of
 * T5 fits; step 4 queries T1 T5 T8; step 5 uploads N0 P0 T8 P1 T1 T5. */
Test(host, exhaust_meets_exact_partial_success_and_entries_codes)
{
    host_config hc;
    host_target_config tc;
    run_out o;
    config(&hc, "exhaust", 1, 9);
    hc.connections = 1;
    hc.cap_neighbors = 1, hc.cap_paths = 2, hc.cap_tcp = 4;
    host_target_config_init(&tc);
    tc.cap[0] = 1, tc.cap[1] = 2, tc.cap[2] = 4;
    run_with_target(&hc, &tc, SCHED_VIRTUAL, &o);
    assert_clean("exhaust", &hc, &o);
    const uint64_t *ini = o.hs.block_status[HOST_OP_INITIATE];
    cr_assert_eq(o.hs.objects, 15);
    cr_assert_eq(o.hs.issued[HOST_OP_INITIATE], 3);
    cr_assert_eq(o.hs.issued[HOST_OP_TERMINATE], 2);
    cr_assert_eq(o.hs.issued[HOST_OP_QUERY], 1);
    cr_assert_eq(o.hs.blocks_issued[HOST_OP_INITIATE], 15 + 3 + 3);
    cr_assert_eq(ini[HOST_ST_SUCCESS], 8, "success %llu", (unsigned long long)ini[HOST_ST_SUCCESS]);
    cr_assert_eq(ini[HOST_ST_PARTIAL_SUCCESS], 2);
    cr_assert_eq(ini[HOST_ST_TCP_ENTRIES], 2);
    cr_assert_eq(ini[HOST_ST_PATH_ENTRIES], 1);
    cr_assert_eq(ini[HOST_ST_NEIGHBOR_ENTRIES], 1);
    cr_assert_eq(ini[HOST_ST_FAILURE], 7);
    cr_assert_eq(o.hs.block_status[HOST_OP_TERMINATE][HOST_ST_SUCCESS], 8);
    cr_assert_eq(o.hs.block_status[HOST_OP_QUERY][HOST_ST_SUCCESS], 3);
    cr_assert_eq(o.ts.entries_refused, 4);
}

/* Two lanes share the target's tables, in an order the jitter decides: whichever lane
 * comes first, a neighbor and connections are refused and some parent is partial. */
Test(host, exhaust_on_two_lanes_runs_into_the_limits)
{
    host_config hc;
    host_target_config tc;
    run_out o;
    config(&hc, "exhaust", 2, 5);
    host_target_config_init(&tc);
    tc.cap[0] = hc.cap_neighbors, tc.cap[1] = hc.cap_paths, tc.cap[2] = hc.cap_tcp;
    run_with_target(&hc, &tc, SCHED_VIRTUAL, &o);
    assert_clean("exhaust", &hc, &o);
    const uint64_t *ini = o.hs.block_status[HOST_OP_INITIATE];
    cr_assert_gt(ini[HOST_ST_PARTIAL_SUCCESS], 0);
    cr_assert_gt(ini[HOST_ST_TCP_ENTRIES], 0);
    cr_assert_gt(ini[HOST_ST_NEIGHBOR_ENTRIES], 0);
}

Test(host, injected_initiate_failures_leave_nothing_offloaded)
{
    host_target_config tc;
    host_target_config_init(&tc);
    tc.fail_every = 3;
    tc.fail_status = NDIS_STATUS_RESOURCES;
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        run_out o;
        config(&hc, *n, 2, 17);
        run_with_target(&hc, &tc, SCHED_VIRTUAL, &o);
        assert_clean(*n, &hc, &o);
        cr_assert_gt(o.hs.block_status[HOST_OP_INITIATE][HOST_ST_RESOURCES], 0, "%s", *n);
    }
}

Test(host, real_threads_complete_cleanly)
{
    static const char *const wls[] = {"mixed", "storm", "churn"};
    for (int i = 0; i < 3; i++) {
        host_config hc;
        run_out o;
        config(&hc, wls[i], 3, 23);
        hc.connections = 24;
        run_with_target(&hc, NULL, SCHED_REAL, &o);
        assert_clean(wls[i], &hc, &o);
    }
}

Test(host, workload_names_are_listed_and_an_unknown_one_is_refused)
{
    static const char *const want[] = {"basic", "storm", "churn", "exhaust", "deep", "mixed"};
    const char *const *names = host_workload_names();
    int n = 0;
    for (; names[n]; n++) {
        cr_assert(n < 6);
        cr_assert_str_eq(names[n], want[n]);
        cr_assert_eq(host_workload_check(names[n], NULL), CT_OK);
    }
    cr_assert_eq(n, 6);
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    cr_assert_eq(host_workload_check("bogus", &ei), CT_ERR_ARG);
    cr_assert_eq(ei.code, CT_ERR_ARG);
    cr_assert(strstr(ei.msg, "'bogus'") && strstr(ei.msg, "basic") && strstr(ei.msg, "mixed"),
              "message: %s", ei.msg);
    ndm *m;
    sched *s;
    host *h = (host *)(uintptr_t)1; /* host_new must reset it on failure */
    host_config hc;
    host_config_init(&hc);
    cr_assert_str_eq(hc.workload, "basic");
    cr_assert_eq(hc.seed, 1);
    cr_assert_eq(hc.connections, 8);
    cr_assert_eq(hc.threads, 1);
    hc.workload = "bogus";
    cr_assert_eq(ndm_new(&m), CT_OK);
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 2, &s), CT_OK);
    cr_assert_eq(host_new(m, s, &hc, &h), CT_ERR_ARG);
    cr_assert_null(h);
    hc.workload = "basic";
    hc.threads = 3; /* more host lanes than the scheduler has */
    cr_assert_eq(host_new(m, s, &hc, &h), CT_ERR_ARG);
    hc.threads = 1;
    cr_assert_eq(host_new(m, s, &hc, &h), CT_OK);
    cr_assert_eq(host_start(h), CT_ERR_STATE, "start before bind");
    host_free(h);
    host_free(NULL);
    sched_free(s);
    ndm_free(m);
}

/* ---- the host's own checks fire on a misbehaving target -------------------------------- */

static void misbehave(ht_misbehave what, run_out *o)
{
    host_config hc;
    host_target_config tc;
    config(&hc, "basic", 1, 1);
    host_target_config_init(&tc);
    tc.misbehave = what;
    tc.misbehave_at = 2; /* basic's query */
    run_with_target(&hc, &tc, SCHED_VIRTUAL, o);
    cr_assert_eq(o->hs.offloaded_total, 0);
    cr_assert_eq(o->hs.refused, 0);
}

/* Each fault, committed once on basic's query, shows up as exactly one count in exactly
 * the counter that names it. */
typedef struct fault_case {
    ht_misbehave what;
    const char *name;
    size_t counter; /* offset in host_violations */
} fault_case;

#define FAULT(w, field) {w, #field, offsetof(host_violations, field)}

Test(host, each_target_fault_is_detected_once_in_its_own_counter)
{
    static const fault_case cases[] = {
        FAULT(HT_LEAVE_STATUS, status_unwritten),
        FAULT(HT_CLOBBER_HANDLE, handle_not_restored),
        FAULT(HT_COMPLETE_TWICE, duplicate_completion),
        FAULT(HT_WRONG_KIND, wrong_kind),
        FAULT(HT_CLOBBER_HEADER, header_changed),
        FAULT(HT_FOREIGN_ROOT, unknown_completion),
        FAULT(HT_CLOBBER_IMRESERVED, reserved_changed),
        FAULT(HT_CLOBBER_LINKS, links_changed),
        FAULT(HT_CLOBBER_SOURCE, source_handle_changed),
        FAULT(HT_NBL_CHAIN, nbl_chain_unexpected),
        FAULT(HT_PARTIAL_STATUS, status_illegal),
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run_out o;
        misbehave(cases[i].what, &o);
        uint64_t got;
        memcpy(&got, (const char *)&o.hs.v + cases[i].counter, sizeof got);
        cr_assert_eq(got, 1, "%s: counted %llu", cases[i].name, (unsigned long long)got);
        cr_assert_eq(o.hs.violations, 1, "%s: %llu violations in all", cases[i].name,
                     (unsigned long long)o.hs.violations);
        cr_assert_eq(o.hs.completed[HOST_OP_QUERY], 1, "%s", cases[i].name);
    }
}

Test(host, an_unwritten_status_is_counted_as_such)
{
    run_out o;
    misbehave(HT_LEAVE_STATUS, &o);
    cr_assert_eq(o.hs.block_status[HOST_OP_QUERY][HOST_ST_UNWRITTEN], 1);
}

/* ---- what one request looks like in memory ---------------------------------------------- */

typedef struct layout_seen {
    host *h;
    int done;
    uint32_t type[3];
    TCP_OFFLOAD_STATE_CONST tc;
    TCP_OFFLOAD_STATE_DELEGATED td;
    UCHAR src[4], dst[4];
    size_t tcp_const_off, tcp_deleg_off;
    int handles_ok, reserved_ok;
} layout_seen;

static void layout_observer(void *ctx, const host_event *ev)
{
    layout_seen *ls = ctx;
    if (ls->done || ev->kind != HOST_EV_ISSUE || ev->op != HOST_OP_INITIATE)
        return;
    ls->done = 1;
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST n = ev->root, p = n->DependentBlockList,
                                      t = p->DependentBlockList;
    ls->type[0] = n->Header.Type, ls->type[1] = p->Header.Type, ls->type[2] = t->Header.Type;
    ls->tcp_const_off = shim_state_next_offset(sizeof *t, SHIM_ST_TCP_CONST);
    size_t off = shim_state_next_offset((uint32_t)(ls->tcp_const_off + sizeof ls->tc),
                                        SHIM_ST_TCP_CACHED);
    ls->tcp_deleg_off = shim_state_next_offset((uint32_t)(off + sizeof(TCP_OFFLOAD_STATE_CACHED)),
                                               SHIM_ST_TCP_DELEGATED);
    memcpy(&ls->tc, (UCHAR *)t + ls->tcp_const_off, sizeof ls->tc);
    memcpy(&ls->td, (UCHAR *)t + ls->tcp_deleg_off, sizeof ls->td);
    const PATH_OFFLOAD_STATE_CONST *pc =
        (const void *)((UCHAR *)p + shim_state_next_offset(sizeof *p, SHIM_ST_PATH_CONST));
    memcpy(ls->src, pc->SourceAddress, 4);
    memcpy(ls->dst, pc->DestinationAddress, 4);
    ls->handles_ok = host_handle_id(ls->h, n->OffloadHandle) == 0 &&
                     host_handle_id(ls->h, p->OffloadHandle) == 1 &&
                     host_handle_id(ls->h, t->OffloadHandle) == 2 &&
                     !n->OffloadHandle->MiniportOffloadContext;
    ls->reserved_ok = n->ProtocolReserved[0] && n->ProtocolReserved[0] == t->ProtocolReserved[0] &&
                      n->ProtocolReserved[1] != t->ProtocolReserved[1] && !n->NextBlock &&
                      !t->DependentBlockList && t->Status == HOST_STATUS_SENTINEL;
}

Test(host, initiate_tree_is_laid_out_as_record_h_says_with_a_plausible_connection)
{
    ndm *m;
    sched *s;
    host_target *t;
    host *h;
    host_config hc;
    host_config_init(&hc);
    cr_assert_eq(ndm_new(&m), CT_OK);
    cr_assert_eq(sched_new(SCHED_VIRTUAL, 2, &s), CT_OK);
    cr_assert_eq(host_target_new(m, s, NULL, &t), CT_OK);
    cr_assert_eq(host_new(m, s, &hc, &h), CT_OK);
    cr_assert_eq(host_bind(h, host_target_adapter(t)), CT_OK);
    layout_seen ls;
    memset(&ls, 0, sizeof ls);
    ls.h = h;
    host_set_observer(h, layout_observer, &ls);
    cr_assert_eq(host_start(h), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    host_target_stats ts;
    host_target_get_stats(t, &ts);
    cr_assert_eq(ts.bad_layout, 0);
    cr_assert(ls.done);
    cr_assert_eq(ls.type[0], NeighborOffloadState);
    cr_assert_eq(ls.type[1], Ip4OffloadState);
    cr_assert_eq(ls.type[2], TcpOffloadState);
    cr_assert(ls.handles_ok && ls.reserved_ok);
    cr_assert_eq(ls.tcp_deleg_off % 8, 0, "x64 TCP delegated state is 8-byte aligned");
    cr_assert_eq(ls.tc.Header.Length, sizeof(TCP_OFFLOAD_STATE_CONST));
    /* Ports are big-endian: the local port is ephemeral (49152..65535). */
    const UCHAR *lp = (const UCHAR *)&ls.tc.LocalPort;
    cr_assert_geq(lp[0] * 256 + lp[1], 49152);
    cr_assert(ls.tc.RemoteMss == 1460 || ls.tc.RemoteMss == 1360 || ls.tc.RemoteMss == 8960,
              "RemoteMss %u is no IPv4 path MTU - 40", ls.tc.RemoteMss);
    cr_assert_eq(ls.td.State, TcpConnectionEstablished);
    cr_assert_eq(ls.td.SndMax, ls.td.SndNxt);
    cr_assert_eq(ls.td.RcvWnd, ls.td.DWnd);
    cr_assert_null(ls.td.SendDataHead);
    cr_assert_eq(ls.src[0], 10);
    cr_assert_eq(ls.dst[0], 198);
    host_free(h);
    host_target_free(t);
    sched_free(s);
    ndm_free(m);
}
