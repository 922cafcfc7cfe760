/* bench_replay.c - scripted replay through the full model (trace host, the IM driver with
 * the shim, the scripted NIC, drain, encoder, writer and the divergence checks): events
 * per second, and its wall time against recording the same workload deterministically.
 * The input is a storm with many connections in many lanes, so trees are wide and events
 * big; the best of a few runs is kept on each side.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "recorder.h"
#include "replay.h"

static double record_once(const bench_opts *o, const char *path)
{
    ct_record_opts ro;
    ct_record_opts_init(&ro);
    ro.workload = "storm";
    ro.connections = o->quick ? 512 : 4096;
    ro.threads = 16;
    ro.deterministic = 1;
    ro.max_blocks = 1024; /* whole trees: nothing is skipped as cut */
    ro.out_path = path;
    ro.writer.sync = CT_SYNC_NONE;
    ct_record_result res;
    ct_errinfo ei;
    double t0 = bench_now_s();
    if (ct_record_run(&ro, &res, &ei) != CT_OK)
        bench_die("record storm", &ei);
    return bench_now_s() - t0;
}

static double replay_once(const char *in, const char *out, replay_result *res)
{
    replay_opts ro;
    replay_opts_init(&ro);
    ro.in_path = in;
    ro.out_path = out;
    ro.writer.sync = CT_SYNC_NONE;
    ct_errinfo ei;
    double t0 = bench_now_s();
    if (replay_run(&ro, res, &ei) != CT_OK)
        bench_die("replay storm", &ei);
    double dt = bench_now_s() - t0;
    if (res->divergences != 0 || res->out_events != res->in_events)
        bench_die("replay storm: the replay diverged from its recording", NULL);
    return dt;
}

void bench_replay_all(const bench_opts *o)
{
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/chimtrace-bench-replay-in.ctrace", o->dir);
    snprintf(out, sizeof out, "%s/chimtrace-bench-replay-out.ctrace", o->dir);
    int reps = o->quick ? 1 : 3;
    double rec = 0, rep = 0;
    replay_result res;
    for (int i = 0; i < reps; i++) {
        double t = record_once(o, in);
        rec = i == 0 || t < rec ? t : rec;
    }
    for (int i = 0; i < reps; i++) {
        double t = replay_once(in, out, &res);
        rep = i == 0 || t < rep ? t : rep;
    }
    bench_emit("replay_events_per_s", (double)res.out_events / rep,
               "events/s (scripted NIC, full model, storm)");
    bench_emit("replay_vs_record_wall_ratio", rep / rec, "x (replay wall / record wall)");
    unlink(in);
    unlink(out);
}
