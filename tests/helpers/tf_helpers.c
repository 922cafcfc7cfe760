/* tf_helpers.c - fixtures shared by the trace-file tests and the fuzz corpus generator.
 *
 * Every comparison in those tests is on packed record bytes, so a record list is kept as
 * one growing byte buffer plus offsets. The read loop here is the one every test uses, so
 * "what the reader returned" means the same thing everywhere, including the bound that
 * turns a reader hang into a test failure.
 */
#define _GNU_SOURCE
#include "tf_helpers.h"

#include <dirent.h>
#include <errno.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tf_recs_init(tf_recs *r)
{
    memset(r, 0, sizeof *r);
}

void tf_recs_free(tf_recs *r)
{
    free(r->buf);
    free(r->off);
    tf_recs_init(r);
}

void tf_recs_clear(tf_recs *r)
{
    r->len = 0;
    r->n = 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

int tf_recs_add(tf_recs *r, const Chimtrace__V1__Record *rec)
{
    size_t sz = chimtrace__v1__record__get_packed_size(rec);
    if (grow((void **)&r->buf, &r->cap, r->len + sz, 1) ||
        grow((void **)&r->off, &r->ncap, r->n + 2, sizeof *r->off))
        return -1;
    chimtrace__v1__record__pack(rec, r->buf + r->len);
    r->off[r->n] = r->len;
    r->len += sz;
    r->n++;
    r->off[r->n] = r->len;
    return 0;
}

const uint8_t *tf_recs_get(const tf_recs *r, size_t i, size_t *len)
{
    *len = r->off[i + 1] - r->off[i];
    return r->buf + r->off[i];
}

int tf_recs_equal(const tf_recs *a, size_t ai, const tf_recs *b, size_t bi, size_t n)
{
    if (ai + n > a->n || bi + n > b->n)
        return 0;
    if (n == 0)
        return 1;
    size_t alen = a->off[ai + n] - a->off[ai], blen = b->off[bi + n] - b->off[bi];
    if (alen != blen || memcmp(a->buf + a->off[ai], b->buf + b->off[bi], alen) != 0)
        return 0;
    /* Same bytes overall; the record boundaries must agree too. */
    for (size_t i = 0; i < n; i++)
        if (a->off[ai + i] - a->off[ai] != b->off[bi + i] - b->off[bi])
            return 0;
    return 1;
}

long tf_recs_first_diff(const tf_recs *a, const tf_recs *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (!tf_recs_equal(a, i, b, i, 1))
            return (long)i;
    return a->n == b->n ? -1 : (long)n;
}

uint8_t *tf_pack(const Chimtrace__V1__Record *rec, size_t *len)
{
    *len = chimtrace__v1__record__get_packed_size(rec);
    uint8_t *p = malloc(*len ? *len : 1);
    if (p)
        chimtrace__v1__record__pack(rec, p);
    return p;
}

static int field_unset(const ProtobufCFieldDescriptor *f, const char *base, char *buf,
                       size_t size, int *deeper);

static const char *unset_walk(const ProtobufCMessage *m, char *buf, size_t size)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int deeper = 0;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
            if (which == 0) {
                snprintf(buf, size, "%s.(oneof of %s)", d->short_name, f->name);
                return buf;
            }
            if (which != f->id)
                continue;
        }
        if (field_unset(f, base, buf, size, &deeper)) {
            if (!deeper)
                snprintf(buf, size, "%s.%s", d->short_name, f->name);
            return buf;
        }
    }
    return NULL;
}

/* 1 when field f of the message at base is unset (buf names it when *deeper). */
static int field_unset(const ProtobufCFieldDescriptor *f, const char *base, char *buf,
                       size_t size, int *deeper)
{
    const char *slot = base + f->offset;
    size_t n = 1;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        n = *(const size_t *)(base + f->quantifier_offset);
        if (n == 0)
            return 1;
        slot = *(const char *const *)slot;
    } else if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->quantifier_offset &&
               !*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *str = ((const char *const *)slot)[i];
            if (!str || !*str)
                return 1;
            break;
        }
        case PROTOBUF_C_TYPE_BYTES:
            if (((const ProtobufCBinaryData *)slot)[i].len == 0)
                return 1;
            break;
        case PROTOBUF_C_TYPE_ENUM:
            if (((const int *)slot)[i] == 0)
                return 1;
            break;
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)slot)[i];
            if (!sub)
                return 1;
            if (unset_walk(sub, buf, size)) {
                *deeper = 1;
                return 1;
            }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

const char *tf_first_unset_field(const ProtobufCMessage *m, char *buf, size_t size)
{
    return unset_walk(m, buf, size);
}

ct_err tf_write_synth(const char *path, uint64_t seed, size_t n, uint32_t chunk_bytes,
                      tf_recs *recs, ct_writer_stats *st, ct_errinfo *ei)
{
    ct_synth *s = NULL;
    ct_writer *w = NULL;
    ct_writer_opts o;
    Chimtrace__V1__TraceHeader *hdr;
    ct_err e = ct_synth_new(seed, &s);
    if (e)
        return ct_seterr(ei, e, CT_NO_OFFSET, "ct_synth_new failed");
    ct_synth_header(s, &hdr);
    ct_writer_opts_init(&o);
    o.chunk_bytes = chunk_bytes;
    o.sync = CT_SYNC_NONE;
    if ((e = ct_writer_open(path, hdr, &o, &w, ei)) != CT_OK)
        goto out;
    if (recs) {
        Chimtrace__V1__Record hrec = CHIMTRACE__V1__RECORD__INIT;
        hrec.kind_case = CHIMTRACE__V1__RECORD__KIND_HEADER;
        hrec.header = hdr;
        if (tf_recs_add(recs, &hrec)) {
            e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const Chimtrace__V1__Record *rec = ct_synth_next(s);
        if ((e = ct_writer_append(w, rec, ei)) != CT_OK)
            goto out;
        if (recs && tf_recs_add(recs, rec)) {
            e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
            goto out;
        }
    }
    if ((e = ct_writer_seal(w, ei)) != CT_OK)   /* so that the stats count every chunk */
        goto out;
    if (st)
        ct_writer_get_stats(w, st);
    e = ct_writer_close(w, ei);
    w = NULL;
    if (st && e == CT_OK) {
        /* close wrote the footer: report the final file size. */
        st->file_bytes = 0;
        FILE *f = fopen(path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0)
            st->file_bytes = (uint64_t)ftell(f);
        if (f)
            fclose(f);
    }
out:
    ct_writer_abandon(w);
    ct_synth_free(s);
    return e;
}

ct_err tf_read_all(const char *path, tf_recs *out, tf_read_result *res, size_t max_calls)
{
    ct_reader *r = NULL;
    memset(res, 0, sizeof *res);
    res->open_err = ct_reader_open(path, &r, &res->open_ei);
    if (res->open_err != CT_OK)
        return res->open_err;
    size_t calls = 0;
    for (; calls < max_calls; calls++) {
        const Chimtrace__V1__Record *rec = NULL;
        ct_errinfo ei;
        memset(&ei, 0, sizeof ei);
        ct_err e = ct_reader_next(r, &rec, &ei);
        if (e == CT_OK && rec == NULL) {
            res->ended = 1;
            break;
        }
        if (e == CT_OK) {
            res->records++;
            if (out && tf_recs_add(out, rec))
                abort();    /* the fixtures are sized to fit; running out is a test bug */
            continue;
        }
        if (res->n_kept < TF_MAX_ERRORS)
            res->err[res->n_kept++] = ei;
        res->n_errors++;
        res->n_truncated += e == CT_ERR_TRUNCATED;
        if (e != CT_ERR_CORRUPT && e != CT_ERR_LIMIT && e != CT_ERR_TRUNCATED)
            break;
    }
    res->hit_bound = calls == max_calls;
    ct_reader_status(r, &res->status);
    ct_reader_close(r);
    return CT_OK;
}

static int collect_chunk(void *ctx, const ct_chunk_info *c)
{
    tf_chunk_list *l = ctx;
    if (grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
        return 1;
    l->v[l->n++] = *c;
    return 0;
}

ct_err tf_list_chunks(const char *path, tf_chunk_list *out, ct_file_status *st, ct_errinfo *ei)
{
    ct_reader *r = NULL;
    memset(out, 0, sizeof *out);
    ct_err e = ct_reader_open(path, &r, ei);
    if (e != CT_OK)
        return e;
    e = ct_reader_chunks(r, collect_chunk, out, ei);
    if (st)
        ct_reader_status(r, st);
    ct_reader_close(r);
    return e;
}

int tf_slurp(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *buf = NULL;
    *len = 0;
    if (!f)
        return -1;
    size_t cap = 0;
    for (;;) {
        if (grow((void **)buf, &cap, *len + 65536, 1)) {
            fclose(f);
            return -1;
        }
        size_t got = fread(*buf + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    return err ? -1 : 0;
}

int tf_spit(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = len ? fwrite(buf, 1, len, f) : 0;
    return (fclose(f) != 0 || put != len) ? -1 : 0;
}

int tf_mkscratch(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if ((size_t)snprintf(dir, size, "%s/ct-test-XXXXXX", tmp) >= size)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

void tf_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char p[4096];
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

char tf_dir[128];

void tf_scratch_setup(void)
{
    cr_assert_eq(tf_mkscratch(tf_dir, sizeof tf_dir), 0, "mkdtemp failed");
}

void tf_scratch_teardown(void)
{
    tf_rmtree(tf_dir);
}

void tf_scratch_path(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", tf_dir, name);
}
