/* bench.h - what chimtrace-bench's parts share: options, the clock, JSON-line output. */
#ifndef CT_BENCH_H
#define CT_BENCH_H

#include <stdint.h>

#include "ct_err.h"

typedef struct bench_opts {
    uint64_t records;   /* synthetic trace size for the trace-file metrics */
    const char *dir;    /* scratch directory */
    int quick;          /* CI smoke sizes */
} bench_opts;

double bench_now_s(void);
void bench_emit(const char *metric, double value, const char *unit);
void bench_die(const char *what, const ct_errinfo *ei) __attribute__((noreturn));

/* zstd1_mb_per_s_same_bytes: bare ZSTD_compress level 1 over the encoded records of the
 * trace at `path`, in chunks of the writer's default size. */
void bench_zstd_same_bytes(const char *path);

void bench_tracefile_all(const bench_opts *o);
void bench_shim_all(const bench_opts *o);
void bench_replay_all(const bench_opts *o);
void bench_diff_all(const bench_opts *o);
void bench_stats_all(const bench_opts *o);

#endif
