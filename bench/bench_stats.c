/* bench_stats.c - chimtrace stats' throughput: the whole verb's path and the engine alone.
 *
 * stats_events_per_s: stats_process_file on a seeded synthetic trace (1M events; --quick
 * 200k), reading and decompressing included, which dominate. stats_engine_events_per_s:
 * stats_feed alone over a small pool of pre-decoded synthetic records (cache-warm, as a record
 * just decoded by the reader is) replayed with fresh op_ids and times until 20M events
 * (--quick 2M) have gone through, so only the engine's per-event work (pairing, histograms,
 * timeline, statuses) is on the clock. Also the engine's memory and its pending count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "ct_stats.h"
#include "synth.h"
#include "tracefile.h"

#define POOL_MIN 1024
#define POOL_MAX 65536

static void write_trace(const char *path, uint64_t events)
{
    ct_synth *s;
    ct_writer *w;
    ct_writer_opts wo;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *hdr;
    if (ct_synth_new(21, &s) != CT_OK)
        bench_die("stats: synth", NULL);
    ct_synth_header(s, &hdr);
    ct_writer_opts_init(&wo);
    wo.sync = CT_SYNC_NONE;
    if (ct_writer_open(path, hdr, &wo, &w, &ei) != CT_OK)
        bench_die("stats: open", &ei);
    for (uint64_t n = 0; n < events;) {
        const Chimtrace__V1__Record *r = ct_synth_next(s);
        n += r->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT;
        if (ct_writer_append(w, r, &ei) != CT_OK)
            bench_die("stats: append", &ei);
    }
    if (ct_writer_close(w, &ei) != CT_OK)
        bench_die("stats: close", &ei);
    ct_synth_free(s);
}

static void bench_file(const bench_opts *o)
{
    char path[4096];
    uint64_t events = o->quick ? 200000 : 1000000;
    stats_engine *s;
    stats_summary m;
    ct_errinfo ei;
    snprintf(path, sizeof path, "%s/chimtrace-bench-stats-%d.ctrace", o->dir, (int)getpid());
    write_trace(path, events);
    double t0 = bench_now_s();
    if (stats_process_file(path, NULL, &s, &ei) != CT_OK)
        bench_die("stats: process", &ei);
    double dt = bench_now_s() - t0;
    stats_get_summary(s, &m);
    if (m.events != events || m.completed == 0)
        bench_die("stats: the file's events were not all counted", NULL);
    stats_free(s);
    unlink(path);
    bench_emit("stats_events_per_s", (double)events / dt,
               "events/s (stats_process_file on a synthetic trace, reading included)");
}

/* The first events of the synthetic stream up to a quiescent point (at least POOL_MIN
 * events, then none in flight), each an unpacked copy, so that replaying the pool with
 * shifted op_ids pairs every instance. A pool this small stays in cache, as a record the
 * reader has just decoded does; *n receives its length. */
static Chimtrace__V1__Record **make_pool(int *n, uint64_t *span_ns, uint64_t *max_op_id)
{
    ct_synth *s;
    Chimtrace__V1__Record **pool = calloc(POOL_MAX, sizeof *pool);
    uint8_t *buf = malloc(CT_MAX_RECORD_BYTES);
    int in_flight = 0, i;
    if (!pool || !buf || ct_synth_new(22, &s) != CT_OK)
        bench_die("stats: pool", NULL);
    *max_op_id = 0;
    for (i = 0; i < POOL_MAX && (i < POOL_MIN || in_flight > 0); i++) {
        const Chimtrace__V1__Record *r;
        do
            r = ct_synth_next(s);
        while (r->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT);
        size_t len = chimtrace__v1__record__pack(r, buf);
        if (!(pool[i] = chimtrace__v1__record__unpack(NULL, len, buf)))
            bench_die("stats: pool unpack", NULL);
        in_flight += pool[i]->event->edge == 1 ? 1 : pool[i]->event->edge == 4 ? -1 : 0;
        if (pool[i]->event->op_id > *max_op_id)
            *max_op_id = pool[i]->event->op_id;
    }
    *n = i;
    *span_ns = pool[i - 1]->event->ts_ns + 1;
    free(buf);
    ct_synth_free(s);
    return pool;
}

static void bench_engine(const bench_opts *o)
{
    uint64_t target = o->quick ? 2000000 : 20000000, span, max_id, fed = 0;
    int n;
    Chimtrace__V1__Record **pool = make_pool(&n, &span, &max_id);
    stats_engine *s;
    ct_errinfo ei;
    double busy = 0;
    if (stats_new(NULL, &s, &ei) != CT_OK)
        bench_die("stats: new", &ei);
    for (uint64_t pass = 0; fed < target; pass++) {
        if (pass) {     /* a new stretch of the same stream: fresh instances, later times */
            for (int i = 0; i < n; i++) {
                pool[i]->event->op_id += max_id;
                pool[i]->event->ts_ns += span;
                pool[i]->event->seq += n;
            }
        }
        double t0 = bench_now_s();
        for (int i = 0; i < n; i++)
            if (stats_feed(s, pool[i], &ei) != CT_OK)
                bench_die("stats: feed", &ei);
        busy += bench_now_s() - t0;
        fed += n;
    }
    double t0 = bench_now_s();
    if (stats_finish(s, &ei) != CT_OK)
        bench_die("stats: finish", &ei);
    busy += bench_now_s() - t0;
    bench_emit("stats_engine_events_per_s", (double)fed / busy,
               "events/s (stats_feed + stats_finish on pre-decoded records, reading excluded)");
    bench_emit("stats_engine_ns_per_event", busy * 1e9 / (double)fed, "ns/event");
    stats_summary m;
    stats_get_summary(s, &m);
    if (m.completed < fed / 4 - 1 || m.in_flight_at_end + m.orphans != 0)
        bench_die("stats: the replayed pool did not pair", NULL);
    bench_emit("stats_engine_memory_kib", (double)stats_memory_bytes(s) / 1024.0,
               "KiB (the engine's own accounting, after the run)");
    stats_free(s);
    for (int i = 0; i < n; i++)
        chimtrace__v1__record__free_unpacked(pool[i], NULL);
    free(pool);
}

void bench_stats_all(const bench_opts *o)
{
    bench_file(o);
    bench_engine(o);
}
