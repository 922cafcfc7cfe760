/* record_meta.c - header producer fields, derived uuids and the closing RunSummary, for
 * every trace the model writes (see record_meta.h). Nothing here reads the clock or the
 * machine: callers pass what is run-specific, so deterministic runs stay byte-identical.
 */
#include "record_meta.h"

#include <string.h>
#include <sys/stat.h>

#include "ct_rng.h"

#ifndef CT_VERSION
#define CT_VERSION "0.0.0"
#endif

void ct_record_producer(Chimtrace__V1__TraceHeader *h)
{
    h->has_schema_major = h->has_schema_minor = 1;
    h->schema_major = CT_FORMAT_MAJOR;
    h->schema_minor = CT_FORMAT_MINOR;
    h->producer_name = "chimtrace";
    h->producer_version = CT_VERSION;
    h->has_abi = 1;
    h->abi = sizeof(void *) == 8 ? CHIMTRACE__V1__ABI__ABI_X64 : CHIMTRACE__V1__ABI__ABI_X86;
    h->has_ndis_version = 1;
    h->ndis_version = 0x00060001;
    h->has_timestamp_unit_ns = 1;
    h->timestamp_unit_ns = 1;
    h->driver_build_id = "chimim/" CT_VERSION;
}

void ct_record_uuid(uint64_t seed, uint8_t uuid[16])
{
    uint64_t a = ct_splitmix64(&seed), b = ct_splitmix64(&seed);
    memcpy(uuid, &a, 8);
    memcpy(uuid + 8, &b, 8);
    uuid[6] = (uint8_t)((uuid[6] & 0x0F) | 0x40); /* version 4 layout */
    uuid[8] = (uint8_t)((uuid[8] & 0x3F) | 0x80);
}

ct_err ct_record_write_summary(ct_writer *w, const ct_drain_stats *ds, uint64_t frames,
                               const uint64_t *wall_ns, const Chimtrace__V1__KeyValue *notes,
                               size_t nnotes, ct_errinfo *ei)
{
    Chimtrace__V1__RunSummary s = CHIMTRACE__V1__RUN_SUMMARY__INIT;
    s.has_events = s.has_lost_events = s.has_loss_records = s.has_frames = 1;
    s.events = ds->events;
    s.lost_events = ds->lost_events;
    s.loss_records = ds->losses;
    s.frames = frames;
    s.has_duration_ns = s.has_truncated_trees = 1;
    s.duration_ns = ds->last_ts - ds->first_ts;
    s.truncated_trees = ds->truncated_trees;
    if (wall_ns != NULL) {
        s.has_wall_ns = 1;
        s.wall_ns = *wall_ns;
    }
    Chimtrace__V1__OpCount oc[20], *ocp[20];
    size_t n = 0;
    for (int op = 1; op <= 5; op++) {
        for (int edge = 1; edge <= 4; edge++) {
            chimtrace__v1__op_count__init(&oc[n]);
            oc[n].has_op = oc[n].has_edge = oc[n].has_count = 1;
            oc[n].op = (Chimtrace__V1__Operation)op;
            oc[n].edge = (Chimtrace__V1__Edge)edge;
            oc[n].count = ds->op_edge[op][edge];
            ocp[n] = &oc[n];
            n++;
        }
    }
    s.n_op_count = n;
    s.op_count = ocp;
    Chimtrace__V1__KeyValue *kvp[16];
    if (nnotes > sizeof kvp / sizeof kvp[0])
        nnotes = sizeof kvp / sizeof kvp[0];
    for (size_t i = 0; i < nnotes; i++)
        kvp[i] = (Chimtrace__V1__KeyValue *)&notes[i];
    s.n_note = nnotes;
    s.note = kvp;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_SUMMARY;
    rec.summary = &s;
    return ct_writer_append(w, &rec, ei);
}

ct_err ct_record_close_trace(ct_err prior, ct_writer **w, ct_drain **drain, ct_enc **enc,
                             const char *path, uint64_t *file_bytes, ct_errinfo *ei)
{
    ct_err e = ct_writer_close(*w, prior == CT_OK ? ei : NULL);
    struct stat st;

    *w = NULL;
    ct_drain_free(*drain);
    ct_enc_free(*enc);
    *drain = NULL;
    *enc = NULL;
    if (stat(path, &st) == 0)
        *file_bytes = (uint64_t)st.st_size;
    return prior != CT_OK ? prior : e;
}
