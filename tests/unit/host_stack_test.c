/* host_stack_test.c - every host workload through the whole model: host -> NDIS model ->
 * chimney IM driver (tracing into a live shim) -> NDIS model -> simulated NIC.
 *
 * Each run must end with zero violations seen by the host, the referee (helpers/host_check),
 * the IM, the NIC and the NDIS model, and with nothing left offloaded anywhere: no host
 * object, no IM offload or call entry, no NIC object.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "host.h"
#include "host_check.h"
#include "im.h"
#include "nic.h"
#include "shim.h"

typedef struct stack_out {
    host_stats hs;
    host_check_result cr;
    nic_stats ns;
    im_stats is;
    ndm_violations nv;
    uint64_t im_live_offload, im_live_calls;
} stack_out;

static im_adapter *wire_im(ndm *m, shim *tracer, nic *n, ndm_adapter **upper)
{
    im_adapter *im;
    cr_assert_eq(im_create(tracer, &im), NDIS_STATUS_SUCCESS);
    ndm_miniport_driver *md = ndm_register_miniport_driver(m, "chimim");
    ndm_protocol_driver *pd = ndm_register_protocol_driver(m, "chimim");
    cr_assert(md && pd);
    cr_assert_eq(im_register_handlers(md, pd), NDIS_STATUS_SUCCESS);
    *upper = ndm_add_adapter(m, md, im);
    ndm_binding *lower = ndm_open_adapter(m, pd, (ndm_adapter *)nic_adapter(n), im);
    cr_assert(*upper && lower);
    im_attach(im, *upper, lower);
    return im;
}

static void run_stack(const host_config *hc, const nic_config *nc_in, sched_mode mode,
                      stack_out *o)
{
    ndm *m;
    sched *s;
    nic *n;
    shim *tracer;
    host *h;
    ndm_adapter *upper;
    nic_config nc;
    if (nc_in)
        nc = *nc_in;
    else {
        nic_config_init(&nc);
        nc.frames = 0;
    }
    cr_assert_eq(ndm_new(&m), CT_OK);
    cr_assert_eq(sched_new(mode, hc->threads + 1, &s), CT_OK);
    shim_config sc = {.ring_count = hc->threads + 1, .ring_bytes = 1u << 16, .max_blocks = 4096};
    cr_assert_eq(shim_create(&sc, &tracer), NDIS_STATUS_SUCCESS);
    shim_set_enabled(tracer, 1);
    cr_assert_eq(nic_new(m, s, hc->threads, &nc, &n), CT_OK);
    im_adapter *im = wire_im(m, tracer, n, &upper);
    cr_assert_eq(host_new(m, s, hc, &h), CT_OK, "host_new(%s)", hc->workload);
    cr_assert_eq(host_bind(h, upper), CT_OK);
    host_check *c = host_check_new(h);
    cr_assert_eq(host_start(h), CT_OK);
    cr_assert_eq(sched_run(s), CT_OK);
    host_get_stats(h, &o->hs);
    host_check_get(c, &o->cr);
    nic_get_stats(n, &o->ns);
    im_get_stats(im, &o->is);
    ndm_get_violations(m, &o->nv);
    o->im_live_offload = im_live_offload_entries();
    o->im_live_calls = im_live_call_entries();
    host_check_free(c);
    host_free(h);
    im_destroy(im);
    nic_free(n);
    sched_free(s);
    shim_destroy(tracer);
    ndm_free(m);
}

static void assert_clean(const char *wl, const host_config *hc, const stack_out *o)
{
    const host_stats *hs = &o->hs;
    for (int op = HOST_OP_INITIATE; op <= HOST_OP_INVALIDATE; op++)
        cr_assert_eq(hs->issued[op], hs->completed[op], "%s: op %d", wl, op);
    cr_assert_gt(hs->issued[HOST_OP_INITIATE], 0, "%s", wl);
    cr_assert_eq(hs->violations, 0, "%s: %llu host-detected violations (unwritten %llu, "
                 "illegal %llu, inconsistent %llu, handle %llu, ctx %llu/%llu, source %llu)", wl,
                 (unsigned long long)hs->violations, (unsigned long long)hs->v.status_unwritten,
                 (unsigned long long)hs->v.status_illegal,
                 (unsigned long long)hs->v.status_inconsistent,
                 (unsigned long long)hs->v.handle_not_restored,
                 (unsigned long long)hs->v.context_not_written,
                 (unsigned long long)hs->v.context_bad_write,
                 (unsigned long long)hs->v.source_handle_changed);
    cr_assert_eq(hs->refused, 0, "%s", wl);
    cr_assert_eq(hs->offloaded_total, 0, "%s: host objects left offloaded", wl);
    cr_assert_eq(hs->lanes_done, hc->threads, "%s", wl);
    cr_assert_eq(hs->state_unfilled, 0, "%s: the NIC left %llu state structs unfilled", wl,
                 (unsigned long long)hs->state_unfilled);
    cr_assert_eq(o->cr.violations, 0, "%s: referee: %s", wl, o->cr.first);
    cr_assert_eq(o->cr.unmatched + o->cr.open, 0, "%s", wl);
    for (int k = 0; k < NIC_KIND_COUNT; k++)
        cr_assert_eq(o->ns.live[k], 0, "%s: NIC still holds %u objects of kind %d", wl,
                     o->ns.live[k], k);
    cr_assert_eq(o->ns.malformed + o->ns.bad_context + o->ns.terminate_with_dependents, 0,
                 "%s: NIC saw malformed %llu, bad context %llu, early terminate %llu", wl,
                 (unsigned long long)o->ns.malformed, (unsigned long long)o->ns.bad_context,
                 (unsigned long long)o->ns.terminate_with_dependents);
    cr_assert_eq(o->im_live_offload + o->im_live_calls, 0, "%s: IM entries left", wl);
    cr_assert_eq(o->is.bad_call_entry + o->is.wrong_completion + o->is.bad_offload_context +
                     o->is.malformed_tree + o->is.tree_changed + o->is.failed_requests, 0,
                 "%s: IM faults", wl);
    cr_assert_eq(o->nv.bad_source_handle + o->nv.wrong_adapter + o->nv.no_complete_handler +
                     o->nv.not_supported + o->nv.bad_handle + o->nv.malformed_tree,
                 0, "%s: NDIS model routing faults", wl);
}

static void config(host_config *hc, const char *wl, uint32_t threads)
{
    host_config_init(hc);
    hc->workload = wl;
    hc->threads = threads;
    hc->connections = 12;
    hc->cap_neighbors = 2, hc->cap_paths = 3, hc->cap_tcp = 6;
}

static void small_nic(nic_config *nc, const host_config *hc)
{
    nic_config_init(nc);
    nc->frames = 0;
    nc->max_neighbors = hc->cap_neighbors;
    nc->max_paths = hc->cap_paths;
    nc->max_tcp = hc->cap_tcp;
}

Test(host_stack, every_workload_runs_clean_through_im_and_nic)
{
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        nic_config nc;
        stack_out o;
        config(&hc, *n, 1);
        small_nic(&nc, &hc);
        run_stack(&hc, &nc, SCHED_VIRTUAL, &o);
        assert_clean(*n, &hc, &o);
    }
}

Test(host_stack, every_workload_runs_clean_with_synchronous_nic_completions)
{
    for (const char *const *n = host_workload_names(); *n; n++) {
        host_config hc;
        nic_config nc;
        stack_out o;
        config(&hc, *n, 2);
        small_nic(&nc, &hc);
        nc.sync_completion = 1;
        run_stack(&hc, &nc, SCHED_VIRTUAL, &o);
        assert_clean(*n, &hc, &o);
    }
}

Test(host_stack, traffic_on_offloaded_connections_does_not_disturb_the_host)
{
    static const char *const wls[] = {"basic", "mixed", "churn"};
    for (int i = 0; i < 3; i++) {
        host_config hc;
        nic_config nc;
        stack_out o;
        config(&hc, wls[i], 2);
        nic_config_init(&nc);
        nc.frame_horizon_ns = 2000000;
        run_stack(&hc, &nc, SCHED_VIRTUAL, &o);
        assert_clean(wls[i], &hc, &o);
    }
}

Test(host_stack, exhaust_against_the_nic_capacities_gives_partial_success_and_entries)
{
    host_config hc;
    nic_config nc;
    stack_out o;
    config(&hc, "exhaust", 1);
    small_nic(&nc, &hc);
    run_stack(&hc, &nc, SCHED_VIRTUAL, &o);
    assert_clean("exhaust", &hc, &o);
    const uint64_t *ini = o.hs.block_status[HOST_OP_INITIATE];
    cr_assert_gt(ini[HOST_ST_PARTIAL_SUCCESS], 0);
    cr_assert_gt(ini[HOST_ST_TCP_ENTRIES], 0);
    cr_assert_gt(ini[HOST_ST_PATH_ENTRIES] + ini[HOST_ST_NEIGHBOR_ENTRIES], 0);
    cr_assert_gt(o.ns.no_capacity[NIC_TCP], 0);
}

Test(host_stack, default_config_exhaust_meets_the_default_nic_limits)
{
    host_config hc;
    stack_out o;
    host_config_init(&hc);
    hc.workload = "exhaust";
    nic_config nc;
    nic_config_init(&nc);
    nc.frames = 0;
    cr_assert_eq(hc.cap_neighbors, nc.max_neighbors, "host and NIC disagree on capacity");
    cr_assert_eq(hc.cap_paths, nc.max_paths);
    cr_assert_eq(hc.cap_tcp, nc.max_tcp);
    run_stack(&hc, &nc, SCHED_VIRTUAL, &o);
    assert_clean("exhaust", &hc, &o);
    cr_assert_gt(o.hs.block_status[HOST_OP_INITIATE][HOST_ST_TCP_ENTRIES], 0);
    cr_assert_gt(o.hs.block_status[HOST_OP_INITIATE][HOST_ST_NEIGHBOR_ENTRIES], 0);
}

Test(host_stack, real_threads_through_the_stack_complete_cleanly)
{
    static const char *const wls[] = {"mixed", "storm"};
    for (int i = 0; i < 2; i++) {
        host_config hc;
        nic_config nc;
        stack_out o;
        config(&hc, wls[i], 3);
        hc.connections = 30;
        small_nic(&nc, &hc);
        nc.max_paths = nc.max_neighbors = nc.max_tcp = 1024;
        run_stack(&hc, &nc, SCHED_REAL, &o);
        assert_clean(wls[i], &hc, &o);
    }
}
