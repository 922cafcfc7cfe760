/* diff_fields.c - field-by-field comparison of two events (diff_events) and of any two
 * messages of one type, with ids compared by role, not number: an id is replaced by the place
 * it first appeared in its context (diff_canon). The walk is generic over the protobuf-c
 * descriptors, so a field added to the schema is compared without a change here.
 */
#include <stdlib.h>
#include <string.h>

#include "ct_print_int.h"
#include "diff_int.h"

int diff_edge_slot(const Chimtrace__V1__Event *ev)
{
    return ev->has_edge && ev->edge >= 1 && ev->edge <= 4 ? ev->edge : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Canonical ids                                                                         */

void diff_canon_init(diff_canon *c)
{
    memset(c, 0, sizeof *c);
    obj_map_init(&c->map);
}

void diff_canon_fini(diff_canon *c)
{
    obj_map_fini(&c->map);
    free(c->first);
    diff_canon_init(c);
}

void diff_canon_clear(diff_canon *c)
{
    obj_map_clear(&c->map);
    c->n = 0;
}

static uint64_t canon_label(const diff_canon *c, uint64_t raw, unsigned common, int slot)
{
    const uint64_t *v = obj_map_get(&c->map, raw);
    if (!v)
        return raw & ~(1ull << 63);  /* never fed: compare the number (see format_label) */
    const uint64_t *first = c->first[*v];
    for (int k = 0; k < slot; k++)
        if ((common >> k) & 1u && first[k])
            return first[k];
    return first[slot];
}

static uint64_t read_int(const ProtobufCFieldDescriptor *fd, const void *p)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_INT64:
        return *(const uint64_t *)p;
    default:
        return *(const uint32_t *)p;
    }
}

/* Whether field fd of msg is present, with proto2 presence as ct_print_each_field sees it;
 * if so *m points at the value (for a repeated field: the array) and *n counts values.
 * A per-field accessor rather than ct_print_each_field's callback walk: the diff's inner
 * loop visits every field of every event, and the id pass only the fields that hold ids. */
static int field_get(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                     const void **m, size_t *n)
{
    const char *base = (const char *)msg;
    const void *q = base + fd->quantifier_offset;
    *m = base + fd->offset;
    *n = 1;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        *n = *(const size_t *)q;
        *m = *(void *const *)*m;
        return *n > 0 && *m != NULL;
    }
    if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)q != fd->id)
        return 0;
    if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING) {
        const void *p = *(void *const *)*m;
        return p != NULL && (fd->label == PROTOBUF_C_LABEL_REQUIRED || p != fd->default_value);
    }
    if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return *(const protobuf_c_boolean *)q != 0;
    return 1;   /* required, oneof member, or proto3 (not in this schema) */
}

static diff_mode mode_at(const diff_desc_info *di, const ProtobufCMessageDescriptor *d,
                         unsigned i)
{
    return di ? (diff_mode)di->mode[i] : diff_field_mode(d, &d->fields[i]);
}

/* Record where id `raw` was seen, if it is the first time at this slot. */
static ct_err canon_note(diff_canon *c, const diff_cmp *w, uint64_t raw, int slot)
{
    uint64_t *v;
    if (raw == 0)
        return CT_OK;
    if (!(v = obj_map_get(&c->map, raw))) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 32;
            uint64_t(*f)[DIFF_SLOTS] = realloc(c->first, cap * sizeof *f);
            if (!f)
                return CT_ERR_NOMEM;
            c->first = f;
            c->cap = cap;
        }
        memset(c->first[c->n], 0, sizeof c->first[0]);
        if (obj_map_put(&c->map, raw, c->n) != CT_OK)
            return CT_ERR_NOMEM;
        v = obj_map_get(&c->map, raw);
        c->n++;
    }
    if (c->first[*v][slot] == 0)
        c->first[*v][slot] = diff_pos_make(slot, w);
    return CT_OK;
}

/* Visit every id in msg (the walk diff_cmp_messages does), recording first positions. */
static ct_err canon_walk(diff_canon *c, diff_cmp *w, const ProtobufCMessage *msg, int slot)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const diff_desc_info *di = diff_desc_info_of(d);
    unsigned nf = di ? di->n_id_fields : d->n_fields;
    if (w->depth >= 7 || (di && !di->has_ids))
        return CT_OK;
    for (unsigned j = 0; j < nf; j++) {
        unsigned i = di ? di->id_field[j] : j;
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        diff_mode mode = mode_at(di, d, i);
        int rep = fd->label == PROTOBUF_C_LABEL_REPEATED;
        size_t esz = ct_print_elt_size(fd->type), n;
        const void *m;
        if (mode == DIFF_MODE_SKIP || (mode != DIFF_MODE_ID && fd->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        if (!field_get(msg, fd, &m, &n))
            continue;
        w->fd[w->depth] = fd;
        for (size_t k = 0; k < n; k++) {
            const void *e = (const char *)m + k * esz;
            ct_err err = CT_OK;
            w->idx[w->depth] = rep ? k : SIZE_MAX;
            w->depth++;
            if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
                err = canon_walk(c, w, *(const ProtobufCMessage *const *)e, slot);
            else
                err = canon_note(c, w, read_int(fd, e), slot);
            w->depth--;
            if (err != CT_OK)
                return err;
        }
    }
    return CT_OK;
}

ct_err diff_canon_feed(diff_canon *c, const Chimtrace__V1__Event *ev, int slot)
{
    diff_cmp w;
    memset(&w, 0, sizeof w);
    return canon_walk(c, &w, &ev->base, slot);
}

/* ------------------------------------------------------------------------------------ */
/* Ignore patterns                                                                       */

/* Component [p, pe) of the path equals the pattern component [q, qe), or does once its
 * "[N]" index is dropped. */
static int comp_eq(const char *p, const char *pe, const char *q, const char *qe)
{
    const char *br = memchr(p, '[', (size_t)(pe - p));
    if ((size_t)(pe - p) == (size_t)(qe - q) && memcmp(p, q, (size_t)(pe - p)) == 0)
        return 1;
    return br && (size_t)(br - p) == (size_t)(qe - q) && memcmp(p, q, (size_t)(br - p)) == 0;
}

static const char *comp_end(const char *s)
{
    const char *e = strchr(s, '.');
    return e ? e : s + strlen(s);
}

static int matches_at(const char *path, const char *pat)
{
    while (*pat) {
        const char *pe = comp_end(path), *qe = comp_end(pat);
        if (!*path || !comp_eq(path, pe, pat, qe))
            return 0;
        path = *pe ? pe + 1 : pe;
        pat = *qe ? qe + 1 : qe;
    }
    return 1;
}

int diff_ignored(const diff_opts *opts, const char *path)
{
    if (!opts)
        return 0;
    for (size_t i = 0; i < opts->n_ignore; i++) {
        const char *pat = opts->ignore[i];
        if (!pat || !*pat)
            continue;
        for (const char *s = path; s; s = strchr(s, '.') ? strchr(s, '.') + 1 : NULL)
            if (matches_at(s, pat))
                return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The walk                                                                              */

void diff_cmp_init(diff_cmp *c, const diff_opts *opts, diff_change_cb cb, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->opts = opts;
    c->cb = cb;
    c->ctx = ctx;
    c->prefix = "";
    c->block = -1;
}

static void report(diff_cmp *c, const char *suffix, const char *a, const char *b)
{
    diff_change ch;
    diff_path(ch.field, sizeof ch.field, c, suffix);
    if (diff_ignored(c->opts, ch.field))
        return;
    c->count++;
    if (!c->cb)
        return;
    snprintf(ch.expected, sizeof ch.expected, "%s", a);
    snprintf(ch.got, sizeof ch.got, "%s", b);
    c->cb(c->ctx, c->block, &ch);
}

static int scalar_eq(const ProtobufCFieldDescriptor *fd, const void *a, const void *b)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *x = *(char *const *)a, *y = *(char *const *)b;
        return strcmp(x ? x : "", y ? y : "") == 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *x = a, *y = b;
        return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)a == *(const float *)b;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)a == *(const double *)b;
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *)a == !*(const protobuf_c_boolean *)b;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return *(const uint64_t *)a == *(const uint64_t *)b;
    default:    /* 32-bit integers and enums */
        return *(const uint32_t *)a == *(const uint32_t *)b;
    }
}

/* The label an id value stands for on side s. */
static uint64_t id_label(const diff_cmp *c, int s, uint64_t raw)
{
    if (raw == 0 || !c->canon[s])
        return raw;
    return canon_label(c->canon[s], raw, c->common, c->slot[s]);
}

/* A label with its own event's slot rewritten, so "seen first in this event at P" is the
 * same on both sides even when diff_events compares events of different edges. */
static uint64_t label_norm(uint64_t label, int slot)
{
    if ((label >> 63) && (int)((label >> 60) & 7) == slot)
        return label | (7ull << 60);
    return label;
}

static void value_text(const diff_cmp *c, int s, diff_mode mode,
                       const ProtobufCFieldDescriptor *fd, const void *p, char *buf, size_t n)
{
    if (!p) {
        snprintf(buf, n, "(absent)");
    } else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
        snprintf(buf, n, "(present)");
    } else if (mode == DIFF_MODE_ID && c->canon[s]) {
        diff_format_label(buf, n, id_label(c, s, read_int(fd, p)), diff_pos_make(c->slot[s], c));
    } else {
        diff_format_scalar(buf, n, fd, p);
    }
}

static void cmp_scalar(diff_cmp *c, diff_mode mode, const ProtobufCFieldDescriptor *fd,
                       const void *a, const void *b)
{
    char ta[DIFF_TEXT], tb[DIFF_TEXT];
    if (mode == DIFF_MODE_ID && c->canon[0] && c->canon[1]) {
        uint64_t la = id_label(c, 0, read_int(fd, a)), lb = id_label(c, 1, read_int(fd, b));
        if (label_norm(la, c->slot[0]) == label_norm(lb, c->slot[1]))
            return;
    } else if (scalar_eq(fd, a, b)) {
        return;
    }
    value_text(c, 0, mode, fd, a, ta, sizeof ta);
    value_text(c, 1, mode, fd, b, tb, sizeof tb);
    report(c, NULL, ta, tb);
}

static void element_summary(const ProtobufCFieldDescriptor *fd, const void *e, char *buf,
                            size_t n)
{
    const ProtobufCMessage *m = *(const ProtobufCMessage *const *)e;
    const char *name = NULL;
    if (m->descriptor == &chimtrace__v1__block__descriptor) {
        const Chimtrace__V1__Block *b = (const Chimtrace__V1__Block *)m;
        name = b->has_header_type ? ct_print_state_type_name(b->header_type) : NULL;
    }
    snprintf(buf, n, "%s", name ? name : "(present)");
    (void)fd;
}

static void cmp_message_walk(diff_cmp *c, const ProtobufCMessage *a, const ProtobufCMessage *b);

static void cmp_repeated(diff_cmp *c, diff_mode mode, const ProtobufCFieldDescriptor *fd,
                         const void *va, size_t na, const void *vb, size_t nb)
{
    size_t esz = ct_print_elt_size(fd->type), common;
    int top = c->depth == 1, saved_block = c->block;
    char ta[DIFF_TEXT], tb[DIFF_TEXT];
    if (!va)
        na = 0;
    if (!vb)
        nb = 0;
    common = na < nb ? na : nb;
    if (na != nb) {
        c->idx[c->depth - 1] = SIZE_MAX;
        snprintf(ta, sizeof ta, "%zu", na);
        snprintf(tb, sizeof tb, "%zu", nb);
        report(c, "_count", ta, tb);
    }
    for (size_t k = 0; k < (na > nb ? na : nb); k++) {
        const void *ea = k < na ? (const char *)va + k * esz : NULL;
        const void *eb = k < nb ? (const char *)vb + k * esz : NULL;
        c->idx[c->depth - 1] = k;
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (top)
                c->block = (int)k;
            if (k < common) {
                cmp_message_walk(c, *(const ProtobufCMessage *const *)ea,
                                 *(const ProtobufCMessage *const *)eb);
            } else {
                if (ea)
                    element_summary(fd, ea, ta, sizeof ta);
                if (eb)
                    element_summary(fd, eb, tb, sizeof tb);
                report(c, NULL, ea ? ta : "(absent)", eb ? tb : "(absent)");
            }
            c->block = saved_block;
        } else if (k < common) {
            cmp_scalar(c, mode, fd, ea, eb);
        }
    }
}

static void cmp_message_walk(diff_cmp *c, const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    const ProtobufCMessageDescriptor *d = a->descriptor;
    const diff_desc_info *di = diff_desc_info_of(d);
    char ta[DIFF_TEXT], tb[DIFF_TEXT];
    if (c->depth >= 7 || b->descriptor != d)
        return;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        diff_mode mode = mode_at(di, d, i);
        const void *ma, *mb;
        size_t na, nb;
        if (mode == DIFF_MODE_SKIP)
            continue;
        if (!field_get(a, fd, &ma, &na))
            ma = NULL, na = 0;
        if (!field_get(b, fd, &mb, &nb))
            mb = NULL, nb = 0;
        if (!ma && !mb)
            continue;
        c->fd[c->depth] = fd;
        c->idx[c->depth] = SIZE_MAX;
        c->depth++;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            cmp_repeated(c, mode, fd, ma, na, mb, nb);
        } else if (!ma || !mb) {
            value_text(c, 0, mode, fd, ma, ta, sizeof ta);
            value_text(c, 1, mode, fd, mb, tb, sizeof tb);
            report(c, NULL, ta, tb);
        } else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
            cmp_message_walk(c, *(const ProtobufCMessage *const *)ma,
                             *(const ProtobufCMessage *const *)mb);
        } else {
            cmp_scalar(c, mode, fd, ma, mb);
        }
        c->depth--;
    }
}

size_t diff_cmp_messages(diff_cmp *c, const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t before = c->count;
    c->depth = 0;
    c->block = -1;
    cmp_message_walk(c, a, b);
    return c->count - before;
}

/* ------------------------------------------------------------------------------------ */
/* diff_events: one pair, ids canonical within each event                                */

void diff_opts_init(diff_opts *o)
{
    memset(o, 0, sizeof *o);
}

typedef struct events_ctx {
    diff_field_fn fn;
    void *ctx;
} events_ctx;

static void events_cb(void *ctx, int block, const diff_change *ch)
{
    events_ctx *e = ctx;
    (void)block;
    if (e->fn)
        e->fn(e->ctx, ch->field, ch->expected, ch->got);
}

size_t diff_events(const diff_opts *opts, const Chimtrace__V1__Event *expected,
                   const Chimtrace__V1__Event *got, diff_field_fn fn, void *ctx)
{
    diff_canon ca, cb;
    diff_cmp c;
    events_ctx e = {fn, ctx};
    size_t n;
    int fed;
    diff_canon_init(&ca);
    diff_canon_init(&cb);
    diff_cmp_init(&c, opts, events_cb, &e);
    c.slot[0] = diff_edge_slot(expected);
    c.slot[1] = diff_edge_slot(got);
    fed = diff_canon_feed(&ca, expected, c.slot[0]) == CT_OK &&
          diff_canon_feed(&cb, got, c.slot[1]) == CT_OK;
    if (fed) {  /* out of memory: ids fall back to their numbers */
        c.canon[0] = &ca;
        c.canon[1] = &cb;
    }
    n = diff_cmp_messages(&c, &expected->base, &got->base);
    diff_canon_fini(&ca);
    diff_canon_fini(&cb);
    return n;
}
