/* record_out.c - what a recording writes besides the events: the trace header, FrameRef
 * records for the NIC's frames, the run summary, and the progress line.
 *
 * In deterministic mode every header field is derived from the options (no wall clock, no
 * hostname, a uuid from the seed), so the same options give the same bytes; FORMAT.md §6.7
 * lists the fields a real-time run fills from the machine instead.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record_int.h"
#include "record_meta.h"

#define DETERMINISTIC_EPOCH_NS 1767225600000000000ull /* 2026-01-01T00:00:00Z */

double rec_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct hdr_store {
    Chimtrace__V1__TraceHeader h;
    Chimtrace__V1__CaptureConfig cap;
    Chimtrace__V1__KeyValue kv[4], *kvp[4];
    Chimtrace__V1__KeyValue opt[2], *optp[2];
    char conn[24], threads[24], latency[64];
    uint8_t uuid[16];
    char host[256];
} hdr_store;

static void fill_uuid(hdr_store *st, const ct_record_opts *o)
{
    uint64_t x = o->seed;
    if (o->deterministic) {
        for (const char *p = o->workload; *p; p++)
            x = x * 131 + (uint8_t)*p;
        x ^= ((uint64_t)o->threads << 32) ^ o->connections;
    } else {
        FILE *f = fopen("/dev/urandom", "rb");
        if (f == NULL || fread(&x, sizeof x, 1, f) != 1)
            x ^= (uint64_t)time(NULL);
        if (f != NULL)
            fclose(f);
    }
    ct_record_uuid(x, st->uuid);
}

static void kv(Chimtrace__V1__KeyValue *k, const char *key, const char *value)
{
    chimtrace__v1__key_value__init(k);
    k->key = (char *)key;
    k->value = (char *)value;
}

static void build_header(hdr_store *st, const rec_run *r, uint64_t epoch_ns)
{
    const ct_record_opts *o = r->o;
    Chimtrace__V1__TraceHeader *h = &st->h;
    chimtrace__v1__trace_header__init(h);
    ct_record_producer(h);
    h->has_clock_source = 1;
    h->clock_source = o->deterministic ? CHIMTRACE__V1__CLOCK_SOURCE__CLOCK_VIRTUAL
                                       : CHIMTRACE__V1__CLOCK_SOURCE__CLOCK_MONOTONIC;
    h->has_start_unix_ns = 1;
    h->start_unix_ns = epoch_ns;
    h->workload = (char *)o->workload;
    h->has_seed = 1;
    h->seed = o->seed;
    host_config hc;
    host_config_init(&hc);
    snprintf(st->conn, sizeof st->conn, "%u", o->connections ? o->connections : hc.connections);
    snprintf(st->threads, sizeof st->threads, "%u", o->threads);
    kv(&st->kv[0], "connections", st->conn);
    kv(&st->kv[1], "threads", st->threads);
    st->kvp[0] = &st->kv[0];
    st->kvp[1] = &st->kv[1];
    h->n_workload_param = 2;
    h->workload_param = st->kvp;
    fill_uuid(st, o);
    h->has_trace_uuid = 1;
    h->trace_uuid.len = 16;
    h->trace_uuid.data = st->uuid;
    if (!o->deterministic && gethostname(st->host, sizeof st->host - 1) == 0)
        h->hostname = st->host;
    Chimtrace__V1__CaptureConfig *c = &st->cap;
    chimtrace__v1__capture_config__init(c);
    c->has_ring_count = c->has_ring_bytes = c->has_max_blocks_per_event = 1;
    c->ring_count = o->threads + 1;
    c->ring_bytes = o->ring_bytes ? o->ring_bytes : (1u << 20);
    c->max_blocks_per_event = o->max_blocks ? o->max_blocks : 256;
    c->has_chunk_target_bytes = c->has_zstd_level = 1;
    c->chunk_target_bytes = o->writer.chunk_bytes ? o->writer.chunk_bytes : CT_CHUNK_DEFAULT_BYTES;
    c->zstd_level = o->writer.zstd_level ? o->writer.zstd_level : 1;
    c->has_deterministic = c->has_host_threads = c->has_nic_synchronous = 1;
    c->deterministic = o->deterministic != 0;
    c->host_threads = o->threads;
    c->nic_mode = "model";
    c->nic_synchronous = o->nic_sync != 0;
    snprintf(st->latency, sizeof st->latency, "%s", o->nic_latency ? o->nic_latency : "default");
    kv(&st->opt[0], "nic_latency", st->latency);
    st->optp[0] = &st->opt[0];
    c->n_option = 1;
    c->option = st->optp;
    h->capture = c;
}

ct_err rec_open_outputs(rec_run *r, ct_errinfo *ei)
{
    uint64_t epoch = DETERMINISTIC_EPOCH_NS;
    if (!r->o->deterministic) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        epoch = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    hdr_store *st = calloc(1, sizeof *st);
    if (st == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    build_header(st, r, epoch);
    ct_err e = ct_writer_open(r->o->out_path, &st->h, &r->o->writer, &r->w, ei);
    free(st);
    if (e == CT_OK && (e = ct_enc_new(&r->enc)) != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK && (e = ct_drain_new(r->shim, r->w, r->enc, &r->drain)) != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK && r->o->pcap_path != NULL)
        e = ct_pcap_open(r->o->pcap_path, epoch, &r->pcap, ei);
    return e;
}

void rec_frames_push(rec_run *r, uint64_t no, uint64_t ts, uint32_t len, uint64_t handle)
{
    pthread_mutex_lock(&r->flock);
    if (r->nframes == r->cap_frames) {
        size_t cap = r->cap_frames ? r->cap_frames * 2 : 256;
        rec_frame *n = realloc(r->frames, cap * sizeof *n);
        if (n == NULL) {
            pthread_mutex_unlock(&r->flock);
            return; /* the pcap still has the frame; only its trace reference is lost */
        }
        r->frames = n;
        r->cap_frames = cap;
    }
    r->frames[r->nframes++] = (rec_frame){no, ts, handle, len};
    r->frames_total++;
    pthread_mutex_unlock(&r->flock);
}

ct_err rec_frames_flush(rec_run *r, ct_errinfo *ei)
{
    pthread_mutex_lock(&r->flock);
    size_t n = r->nframes;
    rec_frame *batch = r->frames;
    r->frames = NULL;
    r->nframes = r->cap_frames = 0;
    pthread_mutex_unlock(&r->flock);
    ct_err e = CT_OK;
    for (size_t i = 0; i < n && e == CT_OK; i++) {
        Chimtrace__V1__FrameRef f = CHIMTRACE__V1__FRAME_REF__INIT;
        f.has_frame = batch[i].no != 0;
        f.frame = batch[i].no;
        f.has_ts_ns = f.has_length = f.has_offload_handle_id = 1;
        f.ts_ns = batch[i].ts;
        f.length = batch[i].len;
        f.offload_handle_id = ct_enc_id(r->enc, batch[i].handle);
        Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
        rec.kind_case = CHIMTRACE__V1__RECORD__KIND_FRAME;
        rec.frame = &f;
        e = ct_writer_append(r->w, &rec, ei);
    }
    free(batch);
    return e;
}

void rec_frames_free(rec_run *r)
{
    free(r->frames);
    r->frames = NULL;
}
