/* record.c - the `chimtrace record` pipeline (see record.h).
 *
 * Wiring follows NDIS: the IM registers a miniport driver (its upper edge, the adapter the
 * host binds to) and a protocol driver (its lower edge, bound to the NIC's adapter). The
 * recorder is the rings' only consumer: in real mode a thread drains while the model runs;
 * in deterministic mode the scheduler calls the drain after each callback when a ring is a
 * quarter full, so even the drain points are reproducible.
 */
#define _POSIX_C_SOURCE 200809L
#include "recorder.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drain.h"
#include "host.h"
#include "im.h"
#include "ndm.h"
#include "nic.h"
#include "pcap_out.h"
#include "platform_user.h"
#include "record_int.h"
#include "record_stack.h"
#include "scheduler.h"

void ct_record_opts_init(ct_record_opts *o)
{
    memset(o, 0, sizeof *o);
    o->workload = "basic";
    o->seed = 1;
    o->threads = 1;
    ct_writer_opts_init(&o->writer);
}

static ct_err build_stack(rec_run *r, ct_errinfo *ei)
{
    const ct_record_opts *o = r->o;
    shim_config sc = {o->threads + 1, o->ring_bytes ? o->ring_bytes : (1u << 20),
                      o->max_blocks ? o->max_blocks : 256};
    /* Driver allocations from per-size LIFO lists: their address reuse, hence the stable
     * ids of IM objects, is then a function of the run alone, and `chimtrace replay`
     * (which does the same) reproduces it. */
    plat_user_set_pool(o->deterministic);
    ct_err e = sched_new(o->deterministic ? SCHED_VIRTUAL : SCHED_REAL, o->threads + 1, &r->s);
    if (e != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the scheduler");
    if (shim_create(&sc, &r->shim) != NDIS_STATUS_SUCCESS)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "cannot create the shim (ring bytes %u "
                         "must be a power of two >= 65536, max blocks 1..%u)", sc.ring_bytes,
                         SHIM_MAX_BLOCKS_LIMIT);
    if ((e = ndm_new(&r->m)) != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the NDIS model");
    nic_config nc;
    nic_config_init(&nc);
    nc.seed = o->seed;
    nc.sync_completion = o->nic_sync;
    if (strcmp(o->workload, "exhaust") == 0) {
        nc.max_neighbors = RECORD_EXHAUST_NEIGHBORS;
        nc.max_paths = RECORD_EXHAUST_PATHS;
        nc.max_tcp = RECORD_EXHAUST_TCP;
    }
    if (o->nic_capacity[0])
        nc.max_neighbors = o->nic_capacity[0];
    if (o->nic_capacity[1])
        nc.max_paths = o->nic_capacity[1];
    if (o->nic_capacity[2])
        nc.max_tcp = o->nic_capacity[2];
    if (o->nic_latency != NULL && (e = nic_latency_parse(o->nic_latency, &nc.latency, ei)) != CT_OK)
        return e;
    if ((e = nic_new(r->m, r->s, o->threads, &nc, &r->nic)) != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the simulated NIC");
    if ((e = ct_stack_add_im(r->m, r->shim, nic_adapter(r->nic), o->im_faults, &r->im,
                             &r->upper, ei)) != CT_OK)
        return e;
    host_config hc;
    host_config_init(&hc);
    hc.workload = o->workload;
    hc.seed = o->seed;
    hc.threads = o->threads;
    if (o->connections)
        hc.connections = o->connections;
    if (o->rounds)
        hc.rounds = o->rounds;
    hc.cap_neighbors = nc.max_neighbors;
    hc.cap_paths = nc.max_paths;
    hc.cap_tcp = nc.max_tcp;
    if ((e = host_new(r->m, r->s, &hc, &r->host)) != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot create the host stack for workload '%s'",
                         o->workload);
    if (o->observer != NULL)
        host_set_observer(r->host, o->observer, o->observer_ctx);
    if ((e = host_bind(r->host, r->upper)) != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "cannot bind the host stack");
    return CT_OK;
}

static void free_stack(rec_run *r)
{
    host_free(r->host);
    nic_free(r->nic);
    im_destroy(r->im);
    ndm_free(r->m);
    shim_destroy(r->shim);
    sched_free(r->s);
    plat_user_set_pool(0);
    plat_user_pool_trim();
}

/* The NIC's frames: to the pcap, and a FrameRef queued for the trace. */
static void on_frame(void *ctx, uint64_t ts_ns, const uint8_t *frame, uint32_t len,
                     NDIS_HANDLE handle)
{
    rec_run *r = ctx;
    uint64_t no = r->pcap ? ct_pcap_write(r->pcap, ts_ns, frame, len) : 0;
    rec_frames_push(r, no, ts_ns, len, (uint64_t)(uintptr_t)handle);
}

/* The host makes no progress (nothing issued or completed) while requests are outstanding:
 * a driver that lost a completion. The NIC's traffic would keep the model alive for ever,
 * so the run ends here and the summary says the host stalled. `now` is the trace clock in
 * deterministic mode, the wall clock (ns) in real time. */
#define STALL_NS 1000000000ull

static void watch_stall(rec_run *r, uint64_t now)
{
    host_stats hs;
    host_get_stats(r->host, &hs);
    uint64_t progress = 0;
    for (int i = 0; i < HOST_OP_SLOTS; i++)
        progress += hs.issued[i] + hs.completed[i];
    if (progress != r->last_host_progress || hs.outstanding == 0) {
        r->last_host_progress = progress;
        r->last_progress_ns = now;
    } else if (now - r->last_progress_ns > STALL_NS && !r->stalled) {
        r->stalled = 1;
        sched_stop(r->s);
    }
}

/* Deterministic mode: called by the scheduler after every callback. */
static void after_callback(void *arg)
{
    rec_run *r = arg;
    if ((sched_callbacks_run(r->s) & 1023) == 0)
        watch_stall(r, sched_now_ns(r->s));
    if (r->err == CT_OK && ct_drain_max_fill(r->drain) >= 0.25) {
        r->err = ct_drain_step(r->drain, 0, &r->ei);
        if (r->err == CT_OK)
            r->err = rec_frames_flush(r, &r->ei);
    }
}

static void *drain_thread(void *arg)
{
    rec_run *r = arg;
    struct timespec nap = {0, 200000};
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && r->err == CT_OK) {
        r->err = ct_drain_step(r->drain, 0, &r->ei);
        if (r->err == CT_OK)
            r->err = rec_frames_flush(r, &r->ei);
        if (ct_drain_max_fill(r->drain) < 0.1)
            nanosleep(&nap, NULL);
        watch_stall(r, (uint64_t)(rec_wall_s() * 1e9));
        rec_progress(r, 0);
    }
    return NULL;
}

static ct_err run_model(rec_run *r, ct_errinfo *ei)
{
    ct_err e = host_start(r->host);
    if (e != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "the workload could not start");
    shim_set_enabled(r->shim, 1);
    if (r->o->deterministic) {
        sched_set_after_callback(r->s, after_callback, r);
        e = sched_run(r->s);
    } else {
        pthread_t t;
        if (pthread_create(&t, NULL, drain_thread, r) != 0)
            return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "cannot start the recorder thread");
        e = sched_run(r->s);
        __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
        pthread_join(t, NULL);
    }
    shim_set_enabled(r->shim, 0);
    if (r->err != CT_OK) {
        *ei = r->ei;
        return r->err;
    }
    if (e == CT_OK)
        e = ct_drain_step(r->drain, 1, ei);
    if (e == CT_OK)
        e = rec_frames_flush(r, ei);
    return e;
}

ct_err ct_record_run(const ct_record_opts *o, ct_record_result *res, ct_errinfo *ei)
{
    memset(res, 0, sizeof *res);
    if (o->out_path == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "no output trace given (-o FILE)");
    ct_err e = host_workload_check(o->workload, ei);
    if (e != CT_OK)
        return e;
    if (o->threads == 0 || o->threads > SCHED_MAX_LANES - 1)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "--threads must be 1..%d",
                         SCHED_MAX_LANES - 1);
    rec_run *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    r->o = o;
    r->wall0 = rec_wall_s();
    pthread_mutex_init(&r->flock, NULL);
    e = build_stack(r, ei);
    if (e == CT_OK)
        e = rec_open_outputs(r, ei);
    if (e == CT_OK) {
        nic_set_frame_sink(r->nic, on_frame, r);
        e = run_model(r, ei);
    }
    if (e == CT_OK)
        rec_fill_result(r, res);
    if (e == CT_OK)
        e = rec_close_outputs(r, res, ei);
    else
        rec_abandon_outputs(r);
    rec_progress(r, 1);
    free_stack(r);
    rec_frames_free(r);
    pthread_mutex_destroy(&r->flock);
    free(r);
    return e;
}
