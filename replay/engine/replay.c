/* replay.c - `chimtrace replay` (replay.h): build the stack record builds - NDIS model,
 * the IM driver with the shim on, a virtual-time scheduler - with the trace host above and
 * the scripted (or simulated) NIC below, run it, and write OUT through the recorder's drain,
 * which hands every event to the divergence checks. Driver allocations come from the
 * platform's pool, as in a deterministic recording, so the IM's address reuse - and with
 * it every stable id - is the run's own and nothing else's.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform_user.h"
#include "recorder.h"
#include "record_stack.h"
#include "replay_int.h"

void replay_opts_init(replay_opts *o)
{
    memset(o, 0, sizeof *o);
    o->nic = REPLAY_NIC_SCRIPTED;
    ct_writer_opts_init(&o->writer);
}

void rp_fail(rp *r, ct_err e, const char *what)
{
    if (r->err == CT_OK) {
        r->err = ct_seterr(&r->ei, e, CT_NO_OFFSET, "%s", what);
        sched_stop(r->s);
    }
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the model NIC (what-if mode) ------------------------------------------------------- */

static const char *in_option(const rp *r, const char *key)
{
    const Chimtrace__V1__CaptureConfig *c = r->in_hdr->capture;
    for (size_t i = 0; c != NULL && i < c->n_option; i++)
        if (c->option[i]->key != NULL && strcmp(c->option[i]->key, key) == 0)
            return c->option[i]->value;
    return NULL;
}

/* The simulated NIC as IN's was set up where IN says (seed, latency, synchronous, the
 * exhaust workload's capacities), unless the options say otherwise. Its traffic stops
 * 1 ms after IN's last event, so the run ends even with connections left offloaded. */
static ct_err model_nic(rp *r, ct_errinfo *ei)
{
    const Chimtrace__V1__TraceHeader *h = r->in_hdr;
    nic_config nc;
    nic_config_init(&nc);
    r->nic_seed = r->o->has_seed ? r->o->seed : h->has_seed ? h->seed : 1;
    nc.seed = r->nic_seed;
    nc.sync_completion = h->capture && h->capture->has_nic_synchronous &&
                         h->capture->nic_synchronous;
    const char *lat = r->o->nic_latency;
    if (lat == NULL && (lat = in_option(r, "nic_latency")) != NULL &&
        nic_latency_parse(lat, &nc.latency, NULL) != CT_OK)
        lat = NULL; /* IN's "default" or an unknown spec: the NIC's default */
    if (lat != NULL && nic_latency_parse(lat, &nc.latency, ei) != CT_OK)
        return CT_ERR_ARG;
    nic_latency_format(&nc.latency, r->nic_latency_text, sizeof r->nic_latency_text);
    if (h->workload != NULL && strcmp(h->workload, "exhaust") == 0) {
        nc.max_neighbors = RECORD_EXHAUST_NEIGHBORS;
        nc.max_paths = RECORD_EXHAUST_PATHS;
        nc.max_tcp = RECORD_EXHAUST_TCP;
    }
    uint64_t last = 0;
    for (size_t i = 0; i < r->nev; i++)
        last = r->ev[i].ts - r->t0 > last ? r->ev[i].ts - r->t0 : last;
    nc.frame_horizon_ns = last + 1000000;
    ct_err e = nic_new(r->m, r->s, r->nic_lane, &nc, &r->nic);
    return e == CT_OK ? CT_OK
                      : ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the simulated NIC");
}

/* ---- the stack -------------------------------------------------------------------------- */

static ct_err build_stack(rp *r, ct_errinfo *ei)
{
    shim_config sc = {r->lanes, r->ring_bytes, r->max_blocks};
    plat_user_set_pool(1);
    ct_err e = sched_new(SCHED_VIRTUAL, r->lanes, &r->s);
    if (e != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the scheduler");
    if (shim_create(&sc, &r->shim) != NDIS_STATUS_SUCCESS)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "cannot create the shim");
    if ((e = ndm_new(&r->m)) != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the NDIS model");
    if (r->o->nic == REPLAY_NIC_MODEL)
        e = model_nic(r, ei);
    else if ((e = rp_snic_new(r)) != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "cannot register the scripted NIC");
    if (e != CT_OK)
        return e;
    NDIS_HANDLE below = r->nic != NULL ? nic_adapter(r->nic) : (NDIS_HANDLE)r->snic_adapter;
    if ((e = ct_stack_add_im(r->m, r->shim, below, r->o->im_faults, &r->im, &r->im_upper,
                             ei)) != CT_OK)
        return e;
    r->issued = calloc(r->ninst ? r->ninst : 1, sizeof *r->issued);
    if (r->issued == NULL || (e = rp_host_new(r)) != CT_OK)
        return ct_seterr(ei, r->issued ? e : CT_ERR_NOMEM, CT_NO_OFFSET,
                         "cannot set up the trace host");
    return CT_OK;
}

static void free_stack(rp *r)
{
    nic_free(r->nic);
    im_destroy(r->im);
    ndm_free(r->m);
    shim_destroy(r->shim);
    sched_free(r->s);
    plat_user_set_pool(0);
    plat_user_pool_trim();
    free(r->issued);
    free(r->scratch);
    obj_map_fini(&r->out_ops);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* After every callback: drain what the shim recorded, so each OUT event is checked (and
 * --stop-at-divergence stops) right after the callback that produced it. */
static void after_callback(void *arg)
{
    rp *r = arg;
    if (r->err == CT_OK) {
        ct_err e = ct_drain_step(r->drain, 0, &r->ei);
        if (e != CT_OK) {
            r->err = e;
            sched_stop(r->s);
        }
        rp_check_flush(r);
    }
}

static ct_err run(rp *r, ct_errinfo *ei)
{
    sched_set_after_callback(r->s, after_callback, r);
    shim_set_enabled(r->shim, 1);
    rp_queue_kick(r);
    ct_err e = sched_run(r->s);
    shim_set_enabled(r->shim, 0);
    if (e == CT_OK && r->err == CT_OK)
        e = ct_drain_step(r->drain, 1, ei);
    if (r->err != CT_OK) {
        *ei = r->ei;
        return r->err;
    }
    return e;
}

static ct_err check_opts(const replay_opts *o, ct_errinfo *ei)
{
    if (o->in_path == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "no input trace given");
    if (o->out_path == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "no output trace given (-o FILE)");
    if (o->nic != REPLAY_NIC_SCRIPTED && o->nic != REPLAY_NIC_MODEL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "unknown NIC mode %d", (int)o->nic);
    if (o->nic_latency != NULL) {
        nic_latency l;
        if (o->nic != REPLAY_NIC_MODEL)
            return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                             "--nic-latency needs --nic model (the scripted NIC keeps IN's)");
        return nic_latency_parse(o->nic_latency, &l, ei);
    }
    if (o->has_seed && o->nic != REPLAY_NIC_MODEL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "--seed needs --nic model (the scripted NIC draws nothing)");
    return CT_OK;
}

ct_err replay_run(const replay_opts *o, replay_result *res, ct_errinfo *ei)
{
    memset(res, 0, sizeof *res);
    ct_err e = check_opts(o, ei);
    if (e != CT_OK)
        return e;
    rp *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    double t0 = wall_s();
    r->o = o;
    r->res = res;
    e = rp_load(r, ei);
    if (e == CT_OK)
        e = build_stack(r, ei);
    if (e == CT_OK)
        e = rp_out_open(r, ei);
    if (e == CT_OK)
        e = run(r, ei);
    if (e == CT_OK) {
        rp_check_finish(r);
        e = rp_out_close(r, ei);
    } else {
        rp_out_abandon(r);
    }
    rp_host_free(r);
    free_stack(r);
    rp_queue_free(r);
    rp_unload(r);
    free(r);
    res->wall_s = wall_s() - t0;
    return e;
}
