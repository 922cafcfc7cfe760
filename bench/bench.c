/* bench.c - chimtrace-bench: throughput and size figures, one JSON object per line.
 *
 * Prints {"metric": NAME, "value": X, "unit": U} lines and never fails on timing: goals
 * are judged by people and CI dashboards, not by this program. --quick shrinks every run
 * for a CI smoke test. Records come from the seeded synthetic generator, pre-generated into
 * a pool so that generation cost is not measured.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "bench.h"
#include "synth.h"
#include "tracefile.h"

#define POOL 4096

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_emit(const char *metric, double value, const char *unit)
{
    printf("{\"metric\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"}\n", metric, value, unit);
    fflush(stdout);
}

void bench_die(const char *what, const ct_errinfo *ei)
{
    fprintf(stderr, "chimtrace-bench: %s: %s\n", what, ei ? ei->msg : "failed");
    exit(2);
}

/* A pool of distinct synthetic records, each an independent unpacked copy we may edit. */
static Chimtrace__V1__Record **make_pool(ct_synth *s)
{
    Chimtrace__V1__Record **pool = calloc(POOL, sizeof *pool);
    uint8_t *buf = malloc(CT_MAX_RECORD_BYTES);
    if (pool == NULL || buf == NULL)
        bench_die("pool", NULL);
    for (int i = 0; i < POOL; i++) {
        const Chimtrace__V1__Record *r;
        do
            r = ct_synth_next(s);
        while (r->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT);
        size_t n = chimtrace__v1__record__pack(r, buf);
        pool[i] = chimtrace__v1__record__unpack(NULL, n, buf);
        if (pool[i] == NULL)
            bench_die("pool unpack", NULL);
    }
    free(buf);
    return pool;
}

static void bench_write(const bench_opts *o, Chimtrace__V1__Record **pool, const char *path,
                        Chimtrace__V1__TraceHeader *hdr)
{
    ct_errinfo ei;
    ct_writer *w;
    ct_writer_opts wo;
    ct_writer_opts_init(&wo);
    wo.sync = CT_SYNC_NONE;
    if (ct_writer_open(path, hdr, &wo, &w, &ei) != CT_OK)
        bench_die("open", &ei);
    double t0 = bench_now_s();
    for (uint64_t i = 0; i < o->records; i++) {
        Chimtrace__V1__Record *r = pool[i % POOL];
        r->event->seq = i + 1;
        r->event->ts_ns = i * 250;
        if (ct_writer_append(w, r, &ei) != CT_OK)
            bench_die("append", &ei);
    }
    ct_writer_stats st;
    ct_writer_get_stats(w, &st);
    if (ct_writer_close(w, &ei) != CT_OK)
        bench_die("close", &ei);
    double dt = bench_now_s() - t0;
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    double file_bytes = (double)ftell(f);
    fclose(f);
    bench_emit("trace_write_records_per_s", (double)o->records / dt, "records/s");
    bench_emit("trace_write_mb_per_s", (double)st.raw_bytes / dt / 1e6, "MB/s (encoded, before zstd)");
    bench_emit("trace_write_file_mb_per_s", file_bytes / dt / 1e6, "MB/s (file bytes)");
    bench_emit("trace_raw_bytes_per_record", (double)st.raw_bytes / (double)o->records, "bytes");
    bench_emit("trace_file_bytes_per_record", file_bytes / (double)o->records, "bytes");
    bench_emit("trace_compression_ratio", (double)st.raw_bytes / file_bytes, "x");
}

static void bench_read(const bench_opts *o, const char *path)
{
    ct_errinfo ei;
    ct_reader *r;
    double t0 = bench_now_s();
    if (ct_reader_open(path, &r, &ei) != CT_OK)
        bench_die("reader open", &ei);
    const Chimtrace__V1__Record *rec;
    uint64_t n = 0, bytes = 0;
    ct_err e;
    while ((e = ct_reader_next(r, &rec, &ei)) == CT_OK && rec != NULL) {
        n++;
        bytes += chimtrace__v1__record__get_packed_size(rec);
    }
    double dt = bench_now_s() - t0;
    if (e != CT_OK || n != o->records + 1)
        bench_die("read back", &ei);
    ct_reader_close(r);
    bench_emit("trace_read_records_per_s", (double)n / dt, "records/s");
    bench_emit("trace_read_mb_per_s", (double)bytes / dt / 1e6, "MB/s (decoded record bytes)");

    /* Seeking: random seq targets through the footer index. */
    if (ct_reader_open(path, &r, &ei) != CT_OK)
        bench_die("reader open", &ei);
    int seeks = 200;
    srand(7);
    t0 = bench_now_s();
    for (int i = 0; i < seeks; i++) {
        uint64_t target = 1 + (uint64_t)rand() % o->records;
        if (ct_reader_seek_seq(r, target, &ei) != CT_OK || ct_reader_next(r, &rec, &ei) != CT_OK ||
            rec == NULL || rec->event->seq != target)
            bench_die("seek", &ei);
    }
    bench_emit("trace_seek_us", (bench_now_s() - t0) / seeks * 1e6, "us/seek");
    ct_reader_close(r);
}

void bench_zstd_same_bytes(const char *path)
{
    ct_reader *r;
    ct_errinfo ei;
    if (ct_reader_open(path, &r, &ei) != CT_OK)
        bench_die("reader open", &ei);
    size_t cap = 64u << 20, len = 0;
    uint8_t *raw = malloc(cap);
    const Chimtrace__V1__Record *rec;
    while (ct_reader_next(r, &rec, &ei) == CT_OK && rec != NULL) {
        size_t n = chimtrace__v1__record__get_packed_size(rec);
        if (len + n + 11 > cap)
            break; /* 64 MiB is plenty for a throughput figure */
        raw[len++] = 0x0A;
        uint64_t v = n;
        while (v >= 0x80) {
            raw[len++] = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        raw[len++] = (uint8_t)v;
        len += chimtrace__v1__record__pack(rec, raw + len);
    }
    ct_reader_close(r);
    size_t zcap = ZSTD_compressBound(CT_CHUNK_DEFAULT_BYTES);
    uint8_t *z = malloc(zcap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    int reps = 0;
    double t0 = bench_now_s(), dt;
    do {
        for (size_t off = 0; off < len; off += CT_CHUNK_DEFAULT_BYTES) {
            size_t n = len - off < CT_CHUNK_DEFAULT_BYTES ? len - off : CT_CHUNK_DEFAULT_BYTES;
            ZSTD_compressCCtx(cc, z, zcap, raw + off, n, 1);
        }
        reps++;
        dt = bench_now_s() - t0;
    } while (dt < 0.2);
    bench_emit("zstd1_mb_per_s_same_bytes", (double)len * reps / dt / 1e6,
               "MB/s (encoded record bytes)");
    ZSTD_freeCCtx(cc);
    free(z);
    free(raw);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: chimtrace-bench [--quick] [--records N] [--dir DIR]\n"
               "Prints one JSON object per line: {\"metric\", \"value\", \"unit\"}.\n"
               "  --quick       small runs for a CI smoke test (100k records)\n"
               "  --records N   records in the synthetic trace (default 1000000)\n"
               "  --dir DIR     where to write scratch traces (default /tmp)\n");
}

void bench_tracefile_all(const bench_opts *o)
{
    ct_synth *s;
    if (ct_synth_new(1, &s) != CT_OK)
        bench_die("synth", NULL);
    Chimtrace__V1__TraceHeader *hdr;
    ct_synth_header(s, &hdr);
    Chimtrace__V1__Record **pool = make_pool(s);
    char path[4096];
    snprintf(path, sizeof path, "%s/chimtrace-bench-%d.ctrace", o->dir, (int)getpid());
    bench_emit("bench_records", (double)o->records, "records");
    bench_write(o, pool, path, hdr);
    bench_read(o, path);
    unlink(path);
    for (int i = 0; i < POOL; i++)
        chimtrace__v1__record__free_unpacked(pool[i], NULL);
    free(pool);
    ct_synth_free(s);
}

int main(int argc, char **argv)
{
    bench_opts o = {1000000, "/tmp", 0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o.records = 100000;
            o.quick = 1;
        } else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            o.records = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            o.dir = argv[++i];
        else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (o.records == 0) {
        usage(stderr);
        return 2;
    }
    bench_tracefile_all(&o);
    bench_shim_all(&o);
    bench_replay_all(&o);
    bench_diff_all(&o);
    bench_stats_all(&o);
    return 0;
}
