/* diff_mutate.c - trace copies with one thing changed, for the diff tests (diff_mutate.h).
 *
 * Every record goes through the real reader, a private unpacked copy the caller may edit, and
 * the real writer, so a copy differs from its source in exactly what the callback changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "diff_mutate.h"

ct_err dm_copy(const char *in, const char *out, dm_fn fn, void *ctx, ct_errinfo *ei)
{
    ct_reader *r;
    ct_writer *w;
    ct_writer_opts wo;
    const Chimtrace__V1__Record *rec;
    uint64_t events = 0;
    ct_err e = ct_reader_open(in, &r, ei);
    if (e != CT_OK)
        return e;
    ct_writer_opts_init(&wo);
    wo.sync = CT_SYNC_NONE;
    if ((e = ct_writer_open(out, ct_reader_header(r), &wo, &w, ei)) != CT_OK) {
        ct_reader_close(r);
        return e;
    }
    while ((e = ct_reader_next(r, &rec, ei)) == CT_OK && rec) {
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_HEADER)
            continue;   /* the writer writes its own */
        size_t len = chimtrace__v1__record__get_packed_size(rec);
        uint8_t *buf = malloc(len ? len : 1);
        chimtrace__v1__record__pack(rec, buf);
        Chimtrace__V1__Record *copy = chimtrace__v1__record__unpack(NULL, len, buf);
        free(buf);
        int is_event = copy->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT;
        dm_action act = fn ? fn(ctx, is_event ? events : UINT64_MAX, copy) : DM_KEEP;
        events += is_event;
        for (int k = 0; k < (act == DM_DROP ? 0 : act == DM_TWICE ? 2 : 1) && e == CT_OK; k++)
            e = ct_writer_append(w, copy, ei);
        chimtrace__v1__record__free_unpacked(copy, NULL);
        if (e != CT_OK)
            break;
    }
    ct_reader_close(r);
    if (e != CT_OK) {
        ct_writer_abandon(w);
        return e;
    }
    return ct_writer_close(w, ei);
}

uint64_t dm_find(const char *path, int op, int edge, unsigned nth)
{
    ct_reader *r;
    ct_errinfo ei;
    const Chimtrace__V1__Record *rec;
    uint64_t idx = 0, found = UINT64_MAX;
    if (ct_reader_open(path, &r, &ei) != CT_OK)
        return UINT64_MAX;
    while (ct_reader_next(r, &rec, &ei) == CT_OK && rec) {
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
            continue;
        if ((int)rec->event->op == op && (int)rec->event->edge == edge && nth-- == 0) {
            found = idx;
            break;
        }
        idx++;
    }
    ct_reader_close(r);
    return found;
}

typedef struct stretch {
    uint64_t num, den;
} stretch;

static dm_action stretch_fn(void *ctx, uint64_t index, Chimtrace__V1__Record *rec)
{
    const stretch *s = ctx;
    (void)index;
    if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT)
        rec->event->ts_ns = rec->event->ts_ns * s->num / s->den;
    return DM_KEEP;
}

ct_err dm_stretch(const char *in, const char *out, uint64_t num, uint64_t den, ct_errinfo *ei)
{
    stretch s = {num, den};
    return dm_copy(in, out, stretch_fn, &s, ei);
}

int dm_cut(const char *in, const char *out, uint64_t bytes)
{
    FILE *f = fopen(in, "rb"), *g = fopen(out, "wb");
    int rc = f && g ? 0 : -1;
    char buf[65536];
    while (rc == 0 && bytes > 0) {
        size_t n = fread(buf, 1, bytes < sizeof buf ? (size_t)bytes : sizeof buf, f);
        if (n == 0 || fwrite(buf, 1, n, g) != n)
            rc = -1;
        bytes -= n;
    }
    if (f)
        fclose(f);
    if (g && fclose(g) != 0)
        rc = -1;
    return rc;
}

uint64_t dm_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}
