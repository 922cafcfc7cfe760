/* replay_helpers.c - recordings, trace editing, event lists and CLI runs for the replay
 * suite (see replay_helpers.h). */
#define _POSIX_C_SOURCE 200809L
#include "replay_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "recorder.h"

int rh_record(const char *workload, int deterministic, uint32_t threads, uint32_t connections,
              uint32_t chunk_bytes, const char *path, ct_errinfo *ei)
{
    ct_record_opts o;
    ct_record_opts_init(&o);
    o.workload = workload;
    o.seed = 7;
    o.connections = connections ? connections : 16;
    o.writer.chunk_bytes = chunk_bytes;
    o.threads = threads;
    o.deterministic = deterministic;
    o.out_path = path;
    o.writer.sync = CT_SYNC_NONE;
    ct_record_result res;
    return ct_record_run(&o, &res, ei) == CT_OK ? 0 : -1;
}

static Chimtrace__V1__TraceHeader *copy_header(const Chimtrace__V1__TraceHeader *h)
{
    size_t n = chimtrace__v1__trace_header__get_packed_size(h);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return NULL;
    chimtrace__v1__trace_header__pack(h, buf);
    Chimtrace__V1__TraceHeader *c = chimtrace__v1__trace_header__unpack(NULL, n, buf);
    free(buf);
    return c;
}

int rh_events(const char *path, tf_recs *events, Chimtrace__V1__TraceHeader **hdr)
{
    ct_reader *r;
    if (ct_reader_open(path, &r, NULL) != CT_OK)
        return -1;
    if (hdr != NULL && (*hdr = copy_header(ct_reader_header(r))) == NULL) {
        ct_reader_close(r);
        return -1;
    }
    const Chimtrace__V1__Record *rec;
    int rc = 0;
    while (rc == 0 && ct_reader_next(r, &rec, NULL) == CT_OK && rec != NULL)
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT)
            rc = tf_recs_add(events, rec);
    ct_reader_close(r);
    return rc;
}

int rh_copy_trace(const char *in, const char *out, rh_edit_fn edit, void *ctx)
{
    ct_reader *r;
    ct_writer *w;
    if (ct_reader_open(in, &r, NULL) != CT_OK)
        return -1;
    if (ct_writer_open(out, ct_reader_header(r), NULL, &w, NULL) != CT_OK) {
        ct_reader_close(r);
        return -1;
    }
    const Chimtrace__V1__Record *rec;
    int rc = 0;
    while (rc == 0 && ct_reader_next(r, &rec, NULL) == CT_OK && rec != NULL) {
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_HEADER)
            continue; /* the writer wrote it */
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT) {
            rc = ct_writer_append(w, rec, NULL) == CT_OK ? 0 : -1;
            continue;
        }
        size_t len;
        uint8_t *buf = tf_pack(rec, &len);
        Chimtrace__V1__Record *copy = buf ? chimtrace__v1__record__unpack(NULL, len, buf) : NULL;
        free(buf);
        if (copy == NULL) {
            rc = -1;
            break;
        }
        if (edit == NULL || edit(ctx, copy->event))
            rc = ct_writer_append(w, copy, NULL) == CT_OK ? 0 : -1;
        chimtrace__v1__record__free_unpacked(copy, NULL);
    }
    ct_reader_close(r);
    if (ct_writer_close(w, NULL) != CT_OK)
        rc = -1;
    return rc;
}

void rh_collect(void *ctx, const replay_divergence *d)
{
    rh_divs *divs = ctx;
    if (divs->n < sizeof divs->v / sizeof divs->v[0])
        divs->v[divs->n++] = *d;
}

ct_err rh_replay(const char *in, const char *out, replay_nic_mode nic, uint32_t im_faults,
                 int stop, rh_divs *divs, replay_result *res, ct_errinfo *ei)
{
    replay_opts o;
    replay_opts_init(&o);
    o.in_path = in;
    o.out_path = out;
    o.nic = nic;
    o.im_faults = im_faults;
    o.stop_at_divergence = stop;
    o.writer.sync = CT_SYNC_NONE;
    if (divs != NULL) {
        divs->n = 0;
        o.on_divergence = rh_collect;
        o.ctx = divs;
    }
    return replay_run(&o, res, ei);
}

int rh_cli(const char *args, const char *errfile)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/cli/chimtrace %s >/dev/null 2>%s", CT_TEST_BINARY_DIR, args,
             errfile ? errfile : "/dev/null");
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int rh_files_equal(const char *a, const char *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same = tf_slurp(a, &x, &nx) == 0 && tf_slurp(b, &y, &ny) == 0 && nx == ny &&
               memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}
