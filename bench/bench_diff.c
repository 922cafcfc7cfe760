/* bench_diff.c - chimtrace diff's throughput and peak memory on synthetic traces.
 *
 * For 1M and 10M events (--quick: 100k and 1M) it writes a seeded synthetic trace and diffs
 * it with itself in a child process, every event matched and compared: diff_events_per_s_*
 * counts both inputs' events over the diff's wall time (reading included), diff_peak_rss_mib_*
 * is the child's peak RSS above its RSS at the start, which stays flat as traces grow.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "diff.h"
#include "synth.h"
#include "tracefile.h"

/* Write `events` events of the seeded synthetic stream (with its Loss and FrameRef records)
 * to path. */
static void write_synth(const char *path, uint64_t events)
{
    ct_synth *s;
    ct_writer *w;
    ct_writer_opts wo;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *hdr;
    if (ct_synth_new(11, &s) != CT_OK)
        bench_die("synth", NULL);
    ct_synth_header(s, &hdr);
    ct_writer_opts_init(&wo);
    wo.sync = CT_SYNC_NONE;
    if (ct_writer_open(path, hdr, &wo, &w, &ei) != CT_OK)
        bench_die("diff: open", &ei);
    for (uint64_t n = 0; n < events;) {
        const Chimtrace__V1__Record *r = ct_synth_next(s);
        n += r->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT;
        if (ct_writer_append(w, r, &ei) != CT_OK)
            bench_die("diff: append", &ei);
    }
    if (ct_writer_close(w, &ei) != CT_OK)
        bench_die("diff: close", &ei);
    ct_synth_free(s);
}

typedef struct diff_run_stats {
    uint64_t events;    /* both inputs */
    int equal;
    long start_rss_kb;  /* the child's RSS before the diff (what it inherited) */
} diff_run_stats;

static long rss_now_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Diff path with itself in a child: wall seconds, and how far the child's peak RSS rose
 * above what it inherited from this process, in KiB. */
static void diff_child(const char *path, double *secs, long *maxrss_kb, uint64_t *events)
{
    int fd[2];
    struct rusage ru;
    diff_run_stats st = {0, 0, 0};
    int status;
    if (pipe(fd) != 0)
        bench_die("diff: pipe", NULL);
    double t0 = bench_now_s();
    pid_t pid = fork();
    if (pid < 0)
        bench_die("diff: fork", NULL);
    if (pid == 0) {
        diff_result *r = NULL;
        ct_errinfo ei;
        close(fd[0]);
        malloc_trim(0);     /* hand back the heap inherited free, so the diff cannot reuse it */
        st.start_rss_kb = rss_now_kb();
        if (diff_traces(path, path, NULL, NULL, &r, &ei) != CT_OK)
            _exit(2);
        st.events = r->in[0].events + r->in[1].events;
        st.equal = r->equal;
        diff_result_free(r);
        _exit(write(fd[1], &st, sizeof st) == (ssize_t)sizeof st ? 0 : 2);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], &st, sizeof st);
    close(fd[0]);
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != (ssize_t)sizeof st || !st.equal)
        bench_die("diff: the child failed, or a trace differs from itself", NULL);
    *secs = bench_now_s() - t0;
    *maxrss_kb = ru.ru_maxrss - st.start_rss_kb;
    *events = st.events;
}

void bench_diff_all(const bench_opts *o)
{
    static const uint64_t full[2] = {1000000, 10000000}, quick[2] = {100000, 1000000};
    const uint64_t *sizes = o->quick ? quick : full;
    char path[4096], metric[64], unit[96];
    for (int i = 0; i < 2; i++) {
        uint64_t events;
        double secs;
        long rss_kb;
        const char *tag = sizes[i] >= 10000000 ? "10m" : sizes[i] >= 1000000 ? "1m" : "100k";
        snprintf(path, sizeof path, "%s/chimtrace-bench-diff-%d.ctrace", o->dir, (int)getpid());
        write_synth(path, sizes[i]);
        diff_child(path, &secs, &rss_kb, &events);
        unlink(path);
        snprintf(metric, sizeof metric, "diff_events_per_s_%s", tag);
        snprintf(unit, sizeof unit, "events/s (A+B, %llu events each, self-diff, read included)",
                 (unsigned long long)sizes[i]);
        bench_emit(metric, (double)events / secs, unit);
        snprintf(metric, sizeof metric, "diff_peak_rss_mib_%s", tag);
        bench_emit(metric, (double)rss_kb / 1024.0, "MiB (peak RSS of the diff, over the "
                                                    "process's RSS before it)");
    }
}
