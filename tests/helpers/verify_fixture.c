/* verify_fixture.c - record, load, mutate and re-write traces for the verify suites.
 *
 * Mutations work on deep copies of the reader's records (pack + unpack), so every message in
 * a vf_trace is owned and freed with protobuf_c_message_free_unpacked. Seqs are spread out
 * by VF_SEQ_STEP at load time so inserted events get seqs of their own in trace order.
 */
#include "verify_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recorder.h"
#include "tf_helpers.h"
#include "tracefile.h"

void vf_record(const char *workload, int deterministic, uint32_t threads, uint32_t im_faults,
               const char *name, char *path, size_t size)
{
    ct_record_opts o;
    ct_record_result res;
    ct_errinfo ei = { 0 };

    tf_scratch_path(path, size, name);
    ct_record_opts_init(&o);
    o.workload = workload;
    o.seed = 7;
    o.connections = 16;
    o.threads = threads;
    o.deterministic = deterministic;
    o.im_faults = im_faults;
    o.out_path = path;
    cr_assert_eq(ct_record_run(&o, &res, &ei), CT_OK, "record %s: %s", workload, ei.msg);
}

ProtobufCMessage *vf_dup_message(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    ProtobufCMessage *copy;

    cr_assert_not_null(buf);
    protobuf_c_message_pack(m, buf);
    copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    cr_assert_not_null(copy);
    return copy;
}

Chimtrace__V1__Record *vf_dup_record(const Chimtrace__V1__Record *rec)
{
    return (Chimtrace__V1__Record *)vf_dup_message(&rec->base);
}

Chimtrace__V1__Block *vf_dup_block(const Chimtrace__V1__Block *b)
{
    return (Chimtrace__V1__Block *)vf_dup_message(&b->base);
}

static void push(vf_trace *t, Chimtrace__V1__Record *rec)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->rec = realloc(t->rec, t->cap * sizeof *t->rec);
        cr_assert_not_null(t->rec);
    }
    t->rec[t->n++] = rec;
}

static void spread_seqs(Chimtrace__V1__Record *rec, vf_trace *t)
{
    if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT) {
        rec->event->seq *= VF_SEQ_STEP;
        if (rec->event->op_id >= t->next_op_id)
            t->next_op_id = rec->event->op_id + 1;
    } else if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_LOSS) {
        rec->loss->first_seq *= VF_SEQ_STEP;
        rec->loss->last_seq *= VF_SEQ_STEP;
    }
}

void vf_load(const char *path, vf_trace *t)
{
    const Chimtrace__V1__Record *rec;
    ct_reader *r = NULL;
    ct_errinfo ei = { 0 };
    ct_err err;

    memset(t, 0, sizeof *t);
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    t->hdr = (Chimtrace__V1__TraceHeader *)vf_dup_message(&ct_reader_header(r)->base);
    while ((err = ct_reader_next(r, &rec, &ei)) == CT_OK && rec) {
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_HEADER)
            continue;   /* the writer puts the header back in front */
        Chimtrace__V1__Record *copy = vf_dup_record(rec);
        spread_seqs(copy, t);
        push(t, copy);
    }
    cr_assert_eq(err, CT_OK, "%s: %s", path, ei.msg);
    ct_reader_close(r);
}

void vf_save(const vf_trace *t, const char *path)
{
    ct_writer *w = NULL;
    ct_errinfo ei = { 0 };

    cr_assert_eq(ct_writer_open(path, t->hdr, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    for (size_t i = 0; i < t->n; i++)
        cr_assert_eq(ct_writer_append(w, t->rec[i], &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);
}

void vf_free(vf_trace *t)
{
    for (size_t i = 0; i < t->n; i++)
        protobuf_c_message_free_unpacked(&t->rec[i]->base, NULL);
    if (t->hdr)
        protobuf_c_message_free_unpacked(&t->hdr->base, NULL);
    free(t->rec);
    memset(t, 0, sizeof *t);
}

Chimtrace__V1__Event *vf_event(vf_trace *t, int op, int k, int edge)
{
    uint64_t op_id = 0;
    int seen = -1;

    for (size_t i = 0; i < t->n; i++) {
        Chimtrace__V1__Event *ev = t->rec[i]->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT
                                       ? t->rec[i]->event
                                       : NULL;
        if (!ev || (int)ev->op != op)
            continue;
        if (ev->edge == CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE && seen < k && ++seen == k)
            op_id = ev->op_id;
        if (seen == k && ev->op_id == op_id && (int)ev->edge == edge)
            return ev;
    }
    cr_assert_fail("no instance %d of op %d with edge %d", k, op, edge);
    return NULL;
}

size_t vf_index(const vf_trace *t, const Chimtrace__V1__Event *ev)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->rec[i]->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT && t->rec[i]->event == ev)
            return i;
    cr_assert_fail("event not in the trace");
    return 0;
}

void vf_insert(vf_trace *t, size_t i, Chimtrace__V1__Record *rec)
{
    push(t, rec);
    memmove(&t->rec[i + 1], &t->rec[i], (t->n - 1 - i) * sizeof *t->rec);
    t->rec[i] = rec;
}

void vf_remove(vf_trace *t, size_t i)
{
    protobuf_c_message_free_unpacked(&t->rec[i]->base, NULL);
    memmove(&t->rec[i], &t->rec[i + 1], (t->n - 1 - i) * sizeof *t->rec);
    t->n--;
}

uint64_t vf_copy_instance(vf_trace *t, int op, int k, size_t at, uint64_t seq_base)
{
    Chimtrace__V1__Record *copy[4];
    uint64_t op_id = t->next_op_id++;

    /* Copy all four first: once a copy is in, it may be the k-th instance in file order. */
    for (int e = 1; e <= 4; e++) {
        copy[e - 1] = vf_dup_record(t->rec[vf_index(t, vf_event(t, op, k, e))]);
        copy[e - 1]->event->op_id = op_id;
        copy[e - 1]->event->seq = seq_base + (uint64_t)e;
    }
    for (int e = 0; e < 4; e++)
        vf_insert(t, at + (size_t)e, copy[e]);
    return op_id;
}

static void reindex(Chimtrace__V1__Event *ev, size_t from, int delta)
{
    for (size_t j = 0; j < ev->n_block; j++) {
        Chimtrace__V1__Block *b = ev->block[j];
        b->index = (uint32_t)j;
        b->has_index = 1;
        if (b->has_parent && b->parent >= from)
            b->parent = (uint32_t)((int)b->parent + delta);
    }
}

void vf_remove_block(Chimtrace__V1__Event *ev, size_t i)
{
    protobuf_c_message_free_unpacked(&ev->block[i]->base, NULL);
    memmove(&ev->block[i], &ev->block[i + 1], (ev->n_block - 1 - i) * sizeof *ev->block);
    ev->n_block--;
    reindex(ev, i + 1, -1);
}

void vf_insert_block(Chimtrace__V1__Event *ev, size_t i, Chimtrace__V1__Block *b)
{
    Chimtrace__V1__Block **v = realloc(ev->block, (ev->n_block + 1) * sizeof *v);

    cr_assert_not_null(v);
    ev->block = v;
    /* Parents of the blocks that move shift first; the new block's own parent is the
     * caller's, in the final numbering. */
    for (size_t j = 0; j < ev->n_block; j++)
        if (v[j]->has_parent && v[j]->parent >= i)
            v[j]->parent++;
    memmove(&v[i + 1], &v[i], (ev->n_block - i) * sizeof *v);
    v[i] = b;
    ev->n_block++;
    for (size_t j = 0; j < ev->n_block; j++)
        v[j]->index = (uint32_t)j, v[j]->has_index = 1;
}

void vf_clear_state(Chimtrace__V1__Block *b)
{
    ProtobufCMessage **s[] = {
        (ProtobufCMessage **)&b->neighbor_const, (ProtobufCMessage **)&b->neighbor_cached,
        (ProtobufCMessage **)&b->neighbor_delegated, (ProtobufCMessage **)&b->path_const,
        (ProtobufCMessage **)&b->path_cached, (ProtobufCMessage **)&b->path_delegated,
        (ProtobufCMessage **)&b->tcp_const, (ProtobufCMessage **)&b->tcp_cached,
        (ProtobufCMessage **)&b->tcp_delegated };

    for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
        if (*s[k]) {
            protobuf_c_message_free_unpacked(*s[k], NULL);
            *s[k] = NULL;
        }
    b->has_state_bytes = 1;
    b->state_bytes = 0;
}

/* ---- running the checker ------------------------------------------------------------------ */

static void collect(void *ctx, const verify_finding *f)
{
    vf_result *r = ctx;

    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->f = realloc(r->f, r->cap * sizeof *r->f);
        cr_assert_not_null(r->f);
    }
    vf_found *x = &r->f[r->n++];
    snprintf(x->rule, sizeof x->rule, "%s", f->rule_id);
    x->level = f->level;
    x->has_seq = f->has_seq;
    x->seq = f->seq;
    x->block = f->block;
    snprintf(x->object, sizeof x->object, "%s", f->object);
    snprintf(x->message, sizeof x->message, "%s", f->message);
}

void vf_verify(const char *path, vf_result *r)
{
    verify_opts o = { collect, r };
    verify *v = NULL;
    ct_errinfo ei = { 0 };

    memset(r, 0, sizeof *r);
    cr_assert_eq(verify_new(&o, &v), CT_OK);
    cr_assert_eq(verify_run_file(v, path, &ei), CT_OK, "%s", ei.msg);
    verify_get_summary(v, &r->sum);
    cr_assert_leq(r->sum.n_rules, 64);
    for (size_t i = 0; i < r->sum.n_rules; i++)
        for (int l = 0; l < VERIFY_LEVELS; l++)
            r->by_rule[i][l] = r->sum.by_rule[i][l];
    r->sum.by_rule = NULL;  /* the checker is gone */
    verify_free(v);
}

void vf_result_free(vf_result *r)
{
    free(r->f);
    memset(r, 0, sizeof *r);
}

uint64_t vf_count(const vf_result *r, const char *rule, verify_level lvl)
{
    int i = verify_rule_index(rule);

    cr_assert_geq(i, 0, "no rule %s", rule);
    return r->by_rule[i][lvl];
}

void vf_dump(const vf_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        fprintf(stderr, "  %s %s seq=%llu block=%d [%s] %s\n",
                r->f[i].level == VERIFY_NOTE ? "note" : "VIOLATION", r->f[i].rule,
                (unsigned long long)r->f[i].seq, (int)r->f[i].block, r->f[i].object,
                r->f[i].message);
}

void vf_expect_only(const vf_result *r, const char *rule, const uint64_t *seqs, size_t n)
{
    int ok = 1;

    for (size_t i = 0; i < r->n; i++) {
        const vf_found *f = &r->f[i];
        int listed = 0;
        if (f->level != VERIFY_VIOLATION)
            continue;
        for (size_t k = 0; k < n; k++)
            listed |= f->has_seq && f->seq == seqs[k];
        if (strcmp(f->rule, rule) != 0 || !listed)
            ok = 0;
    }
    for (size_t k = 0; k < n; k++) {
        int hit = 0;
        for (size_t i = 0; i < r->n; i++)
            hit |= r->f[i].level == VERIFY_VIOLATION && strcmp(r->f[i].rule, rule) == 0 &&
                   r->f[i].seq == seqs[k];
        ok &= hit;
    }
    if (!ok)
        vf_dump(r);
    cr_assert(ok, "expected only %s violations at the %zu given seq(s) (first %llu)", rule, n,
              n ? (unsigned long long)seqs[0] : 0ull);
}

/* ---- one broken trace per rule ------------------------------------------------------------ */

void vf_at(vf_expect *x, uint64_t seq)
{
    cr_assert_lt(x->n, sizeof x->seq / sizeof x->seq[0]);
    x->seq[x->n++] = seq;
}

void vf_breaks(const char *rule, const char *workload, vf_mutate_fn m)
{
    char path[256], out[256];
    vf_trace t;
    vf_result r;
    vf_expect x = { { 0 }, 0 };

    cr_assert_geq(verify_rule_index(rule), 0, "no rule %s", rule);
    vf_record(workload, 1, 1, 0, "clean.ctrace", path, sizeof path);
    vf_load(path, &t);
    m(&t, &x);
    cr_assert_gt(x.n, 0);
    tf_scratch_path(out, sizeof out, "broken.ctrace");
    vf_save(&t, out);
    vf_free(&t);
    vf_verify(out, &r);
    if (getenv("VF_VERBOSE"))   /* VF_VERBOSE=1 tests/verify_rules_test: see the messages */
        vf_dump(&r);
    vf_expect_only(&r, rule, x.seq, x.n);
    for (size_t i = 0; i < r.n; i++) {
        int ok = r.f[i].level == VERIFY_VIOLATION || strcmp(r.f[i].rule, "life.leak") == 0;
        if (!ok)
            vf_dump(&r);
        cr_assert(ok, "unexpected note %s: %s", r.f[i].rule, r.f[i].message);
    }
    vf_result_free(&r);
}

Chimtrace__V1__Block *vf_blk(Chimtrace__V1__Event *ev, size_t i)
{
    cr_assert_lt(i, ev->n_block, "event #%llu has %zu blocks", (unsigned long long)ev->seq,
                 ev->n_block);
    return ev->block[i];
}

int vf_layer(uint32_t type)
{
    return type >= 1 && type <= 4 ? 1 : type >= 5 && type <= 12 ? 2 : type >= 13 ? 3 : 0;
}

Chimtrace__V1__Event *vf_basic_query(vf_trace *t, int edge)
{
    Chimtrace__V1__Event *ev = vf_event(t, QUERY, 0, edge);

    cr_assert_eq(ev->n_block, 3);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(vf_layer(ev->block[i]->header_type), (int)i + 1);
    return ev;
}

Chimtrace__V1__Event *vf_event_of(vf_trace *t, uint64_t op_id, int edge)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->rec[i]->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT &&
            t->rec[i]->event->op_id == op_id && (int)t->rec[i]->event->edge == edge)
            return t->rec[i]->event;
    cr_assert_fail("op %llu has no edge %d", (unsigned long long)op_id, edge);
    return NULL;
}

Chimtrace__V1__Event *vf_find_req(vf_trace *t, int op, int (*pred)(const Chimtrace__V1__Block *),
                                  size_t *bi)
{
    for (size_t i = 0; i < t->n; i++) {
        Chimtrace__V1__Event *ev = t->rec[i]->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT
                                       ? t->rec[i]->event
                                       : NULL;
        if (!ev || ev->edge != CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE ||
            (op && (int)ev->op != op))
            continue;
        for (size_t j = 0; j < ev->n_block; j++)
            if (pred(ev->block[j])) {
                *bi = j;
                return ev;
            }
    }
    cr_assert_fail("no request-in block of the kind needed");
    return NULL;
}

int vf_is_placeholder(const Chimtrace__V1__Block *b)
{
    return b->has_context_slot_id && b->context_slot_id == 0;
}

int vf_is_linker(const Chimtrace__V1__Block *b)
{
    return b->context_slot_id && b->has_context_value_id && b->context_value_id;
}

void vf_copy_state(Chimtrace__V1__Block *to, const Chimtrace__V1__Block *from)
{
    vf_clear_state(to);
    if (from->neighbor_const) to->neighbor_const = VF_DUP(from->neighbor_const);
    if (from->neighbor_cached) to->neighbor_cached = VF_DUP(from->neighbor_cached);
    if (from->neighbor_delegated) to->neighbor_delegated = VF_DUP(from->neighbor_delegated);
    if (from->path_const) to->path_const = VF_DUP(from->path_const);
    if (from->path_cached) to->path_cached = VF_DUP(from->path_cached);
    if (from->path_delegated) to->path_delegated = VF_DUP(from->path_delegated);
    if (from->tcp_const) to->tcp_const = VF_DUP(from->tcp_const);
    if (from->tcp_cached) to->tcp_cached = VF_DUP(from->tcp_cached);
    if (from->tcp_delegated) to->tcp_delegated = VF_DUP(from->tcp_delegated);
    to->state_bytes = from->state_bytes;
}

const Chimtrace__V1__Block *vf_full_block(vf_trace *t, uint32_t type)
{
    Chimtrace__V1__Event *ev = vf_event(t, INITIATE, 0, 1);

    for (size_t i = 0; i < ev->n_block; i++)
        if (ev->block[i]->header_type == type && ev->block[i]->state_bytes)
            return ev->block[i];
    cr_assert_fail("no block of type %u with state", type);
    return NULL;
}
