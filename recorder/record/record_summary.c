/* record_summary.c - the end of a recording: the figures it reports, the RunSummary
 * record that closes a clean trace, and the progress line on a terminal.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "record_int.h"
#include "record_meta.h"

void rec_fill_result(rec_run *r, ct_record_result *res)
{
    ct_drain_stats ds;
    ct_drain_get_stats(r->drain, &ds);
    res->events = ds.events;
    res->losses = ds.losses;
    res->lost_events = ds.lost_events;
    res->truncated_trees = ds.truncated_trees;
    memcpy(res->op_edge, ds.op_edge, sizeof res->op_edge);
    res->frames = r->frames_total;
    res->duration_ns = ds.last_ts - ds.first_ts;
    host_stats hs;
    host_get_stats(r->host, &hs);
    res->host_violations = hs.violations;
    res->host_outstanding = hs.outstanding;
    res->host_offloaded_left = hs.offloaded_total;
    for (int i = 0; i < HOST_OP_SLOTS; i++) {
        res->ops_issued += hs.issued[i];
        res->ops_completed += hs.completed[i];
    }
    res->im_live_entries = im_live_offload_entries() + im_live_call_entries();
    res->host_stalled = r->stalled;
}

static ct_err write_summary(rec_run *r, const ct_record_result *res, ct_errinfo *ei)
{
    ct_drain_stats ds;
    ct_drain_get_stats(r->drain, &ds);
    uint64_t wall = (uint64_t)((rec_wall_s() - r->wall0) * 1e9);
    char viol[32], left[32];
    snprintf(viol, sizeof viol, "%llu", (unsigned long long)res->host_violations);
    snprintf(left, sizeof left, "%llu", (unsigned long long)res->host_offloaded_left);
    Chimtrace__V1__KeyValue kv[2];
    chimtrace__v1__key_value__init(&kv[0]);
    chimtrace__v1__key_value__init(&kv[1]);
    kv[0].key = "host_violations";
    kv[0].value = viol;
    kv[1].key = "host_objects_left_offloaded";
    kv[1].value = left;
    return ct_record_write_summary(r->w, &ds, res->frames, r->o->deterministic ? NULL : &wall,
                                   kv, 2, ei);
}

ct_err rec_close_outputs(rec_run *r, ct_record_result *res, ct_errinfo *ei)
{
    ct_err e = write_summary(r, res, ei);
    ct_writer_stats ws;
    ct_writer_get_stats(r->w, &ws);
    res->records = ws.records;
    e = ct_record_close_trace(e, &r->w, &r->drain, &r->enc, r->o->out_path, &res->file_bytes,
                              ei);
    ct_err pe = ct_pcap_close(r->pcap, e == CT_OK ? ei : NULL);
    r->pcap = NULL;
    if (e == CT_OK)
        e = pe;
    res->chunks = ws.chunks + 1; /* the close sealed the last one */
    res->wall_s = rec_wall_s() - r->wall0;
    return e;
}

void rec_abandon_outputs(rec_run *r)
{
    ct_writer_abandon(r->w);
    ct_pcap_close(r->pcap, NULL);
    ct_drain_free(r->drain);
    ct_enc_free(r->enc);
    r->w = NULL;
    r->pcap = NULL;
    r->drain = NULL;
    r->enc = NULL;
}

void rec_progress(rec_run *r, int final)
{
    if (!r->o->progress || !isatty(STDERR_FILENO) || r->drain == NULL)
        return;
    double now = rec_wall_s();
    if (!final && now - r->last_progress < 0.5)
        return;
    r->last_progress = now;
    ct_drain_stats ds;
    ct_drain_get_stats(r->drain, &ds);
    ct_writer_stats ws = {0};
    if (r->w != NULL)
        ct_writer_get_stats(r->w, &ws);
    fprintf(stderr, "\rrecording: %llu events, %llu bytes, %llu lost, %.1f s%s",
            (unsigned long long)ds.events, (unsigned long long)ws.file_bytes,
            (unsigned long long)ds.lost_events, now - r->wall0, final ? "\n" : "");
}
