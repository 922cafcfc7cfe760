/* replay_out.c - the output trace's frame: its header (a copy of IN's that says it is a
 * replay of IN, by whom, with which NIC), the drain and encoder the shim's rings go
 * through (the recorder's, unchanged), and the closing summary. Nothing here reads the
 * clock or the machine, so OUT is a function of IN and the options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_meta.h"
#include "replay_int.h"

/* A new uuid derived from IN's and from what makes this replay differ from another one. */
static void out_uuid(const rp *r, uint8_t uuid[16])
{
    const Chimtrace__V1__TraceHeader *h = r->in_hdr;
    uint64_t x = 0x7265706c6179ull; /* "replay" */
    for (size_t i = 0; h->has_trace_uuid && i < h->trace_uuid.len; i++)
        x = x * 131 + h->trace_uuid.data[i];
    x ^= (uint64_t)r->o->nic << 40 ^ (uint64_t)r->o->im_faults << 44;
    if (r->o->nic == REPLAY_NIC_MODEL) {
        x ^= r->o->has_seed ? r->o->seed * 0x9E3779B97F4A7C15ull : 0;
        for (const char *p = r->o->nic_latency; p != NULL && *p; p++)
            x = x * 131 + (uint8_t)*p;
    }
    ct_record_uuid(x, uuid);
}

/* "drop-completion,wrong-status" for a fault mask (im_fault_parse's form). */
static void fault_names(uint32_t mask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t bit = 1; bit != 0 && bit <= mask; bit <<= 1) {
        const char *name = (mask & bit) ? im_fault_name(bit) : NULL;
        if (name != NULL && len + strlen(name) + 2 < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", name);
    }
}

typedef struct out_hdr {
    Chimtrace__V1__TraceHeader h;
    Chimtrace__V1__CaptureConfig c;
    Chimtrace__V1__KeyValue kv[4], **opt;
    size_t nkv;
    char seed[24], faults[256];
    uint8_t uuid[16];
} out_hdr;

static void kv(Chimtrace__V1__KeyValue *k, const char *key, const char *value)
{
    chimtrace__v1__key_value__init(k);
    k->key = (char *)key;
    k->value = (char *)value;
}

static void add_option(out_hdr *st, size_t *n, const char *key, const char *value)
{
    Chimtrace__V1__KeyValue *k = &st->kv[st->nkv++];
    kv(k, key, value);
    st->opt[(*n)++] = k;
}

/* IN's header with: source_trace_uuid = IN's trace_uuid, a new trace_uuid, this build's
 * producer fields, virtual clock from IN's first event, no hostname, and the replay's
 * capture settings (FORMAT.md §6.7). The strings and arrays stay IN's (borrowed until the
 * writer has packed the header). */
static ct_err build_header(rp *r, out_hdr *st)
{
    const Chimtrace__V1__TraceHeader *in = r->in_hdr;
    st->h = *in;
    Chimtrace__V1__TraceHeader *h = &st->h;
    ct_record_producer(h);
    h->has_clock_source = 1;
    h->clock_source = CHIMTRACE__V1__CLOCK_SOURCE__CLOCK_VIRTUAL;
    if (in->has_start_unix_ns) /* OUT's time 0 is IN's first event */
        h->start_unix_ns = in->start_unix_ns + r->t0;
    h->hostname = NULL;
    h->has_source_trace_uuid = in->has_trace_uuid;
    h->source_trace_uuid = in->trace_uuid;
    out_uuid(r, st->uuid);
    h->has_trace_uuid = 1;
    h->trace_uuid = (ProtobufCBinaryData){16, st->uuid};
    if (in->capture != NULL)
        st->c = *in->capture;
    else
        chimtrace__v1__capture_config__init(&st->c);
    Chimtrace__V1__CaptureConfig *c = &st->c;
    c->has_ring_count = c->has_ring_bytes = c->has_max_blocks_per_event = 1;
    c->ring_count = r->lanes;
    c->ring_bytes = r->ring_bytes;
    c->max_blocks_per_event = r->max_blocks;
    c->has_chunk_target_bytes = c->has_zstd_level = c->has_deterministic = 1;
    c->chunk_target_bytes = r->o->writer.chunk_bytes ? r->o->writer.chunk_bytes
                                                      : CT_CHUNK_DEFAULT_BYTES;
    c->zstd_level = r->o->writer.zstd_level ? r->o->writer.zstd_level : 1;
    c->deterministic = 1;
    int model = r->o->nic == REPLAY_NIC_MODEL;
    c->nic_mode = model ? "model" : "scripted";
    /* IN's options, then how this replay was run. */
    size_t n = c->n_option;
    st->opt = calloc(n + 4, sizeof *st->opt);
    if (st->opt == NULL)
        return CT_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        st->opt[i] = c->option[i];
    add_option(st, &n, "replay_nic", c->nic_mode);
    if (model) {
        snprintf(st->seed, sizeof st->seed, "%llu", (unsigned long long)r->nic_seed);
        add_option(st, &n, "replay_nic_seed", st->seed);
        add_option(st, &n, "replay_nic_latency", r->nic_latency_text);
    }
    if (r->o->im_faults != 0) {
        fault_names(r->o->im_faults, st->faults, sizeof st->faults);
        add_option(st, &n, "replay_im_faults", st->faults);
    }
    c->n_option = n;
    c->option = st->opt;
    h->capture = c;
    return CT_OK;
}

ct_err rp_out_open(rp *r, ct_errinfo *ei)
{
    out_hdr *st = calloc(1, sizeof *st);
    ct_err e = st != NULL ? build_header(r, st) : CT_ERR_NOMEM;
    if (e != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "out of memory");
    else
        e = ct_writer_open(r->o->out_path, &st->h, &r->o->writer, &r->w, ei);
    if (st != NULL)
        free(st->opt);
    free(st);
    if (e == CT_OK && (e = ct_enc_new(&r->enc)) != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK && (e = ct_drain_new(r->shim, r->w, r->enc, &r->drain)) != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK)
        ct_drain_set_hook(r->drain, rp_check_hook, r);
    return e;
}

static ct_err write_summary(rp *r, ct_errinfo *ei)
{
    const replay_result *res = r->res;
    ct_drain_stats ds;
    ct_drain_get_stats(r->drain, &ds);
    const struct { const char *key; uint64_t v; } figs[] = {
        {"replay_instances", res->instances},
        {"replay_replayed", res->replayed},
        {"replay_skipped", res->instances - res->replayed},
        {"replay_events_compared", res->compared},
        {"replay_events_identical", res->identical},
        {"replay_divergences", res->divergences},
        {"replay_missing", res->missing_events},
        {"replay_extra", res->extra_events},
        {"replay_stopped", (uint64_t)res->stopped},
    };
    enum { NFIGS = sizeof figs / sizeof figs[0] };
    Chimtrace__V1__KeyValue notes[NFIGS];
    char text[NFIGS][24];
    for (size_t i = 0; i < NFIGS; i++) {
        snprintf(text[i], sizeof text[i], "%llu", (unsigned long long)figs[i].v);
        kv(&notes[i], figs[i].key, text[i]);
    }
    return ct_record_write_summary(r->w, &ds, 0, NULL, notes, NFIGS, ei);
}

ct_err rp_out_close(rp *r, ct_errinfo *ei)
{
    ct_drain_stats ds;
    ct_drain_get_stats(r->drain, &ds);
    r->res->duration_ns = ds.last_ts - ds.first_ts;
    return ct_record_close_trace(write_summary(r, ei), &r->w, &r->drain, &r->enc,
                                 r->o->out_path, &r->res->file_bytes, ei);
}

void rp_out_abandon(rp *r)
{
    ct_writer_abandon(r->w);
    ct_drain_free(r->drain);
    ct_enc_free(r->enc);
    r->w = NULL;
    r->drain = NULL;
    r->enc = NULL;
}
