/* tracefile_roundtrip_test.c - what the writer writes, the reader returns, byte for byte.
 *
 * Records are compared as packed protobuf bytes, so a field dropped, altered or added
 * anywhere in the write/read path shows up. ct_synth_fill_all sets every schema field,
 * which makes "every field survives" a statement about the whole schema, not a sample.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_helpers.h"

static char path[256];

static void setup(void)
{
    tf_scratch_setup();
    tf_scratch_path(path, sizeof path, "t.ctrace");
}

TestSuite(roundtrip, .init = setup, .fini = tf_scratch_teardown, .timeout = 120);

static void assert_same_record(const Chimtrace__V1__Record *a, const tf_recs *got, size_t i)
{
    size_t alen, blen;
    uint8_t *ab = tf_pack(a, &alen);
    cr_assert_not_null(ab);
    cr_assert_lt(i, got->n, "record %zu missing: only %zu read back", i, got->n);
    const uint8_t *bb = tf_recs_get(got, i, &blen);
    cr_assert_eq(alen, blen, "record %zu: %zu bytes written, %zu read back", i, alen, blen);
    cr_assert_eq(memcmp(ab, bb, alen), 0, "record %zu: bytes differ", i);
    free(ab);
}

/* A TraceHeader with every field set that the reader still accepts: schema 1.0 and no
 * required_features (a random feature name would rightly be refused with CT_ERR_VERSION). */
static Chimtrace__V1__TraceHeader *full_header(ct_synth *s)
{
    Chimtrace__V1__Record *r;
    cr_assert_eq(ct_synth_fill_all(s, CHIMTRACE__V1__RECORD__KIND_HEADER, &r), CT_OK);
    Chimtrace__V1__TraceHeader *h = r->header;
    h->schema_major = 1;
    h->schema_minor = 0;
    h->n_required_features = 0;
    return h;
}

Test(roundtrip, fill_all_sets_every_field_of_every_record_kind)
{
    ct_synth *s;
    char where[256];
    cr_assert_eq(ct_synth_new(7, &s), CT_OK);
    for (int k = 1; k <= 5; k++) {
        Chimtrace__V1__Record *r;
        cr_assert_eq(ct_synth_fill_all(s, k, &r), CT_OK);
        cr_assert_eq((int)r->kind_case, k);
        const char *unset = tf_first_unset_field(&r->base, where, sizeof where);
        cr_assert_null(unset, "kind %d: field %s is not set", k, unset);
    }
    Chimtrace__V1__Record *r;
    cr_assert_eq(ct_synth_fill_all(s, 0, &r), CT_ERR_ARG);
    cr_assert_eq(ct_synth_fill_all(s, 6, &r), CT_ERR_ARG);
    ct_synth_free(s);
}

Test(roundtrip, every_field_of_every_record_kind_survives_write_and_read)
{
    ct_synth *s;
    ct_writer *w;
    ct_errinfo ei;
    cr_assert_eq(ct_synth_new(11, &s), CT_OK);
    Chimtrace__V1__TraceHeader *h = full_header(s);
    Chimtrace__V1__Record hrec = CHIMTRACE__V1__RECORD__INIT, *rec[5];
    hrec.kind_case = CHIMTRACE__V1__RECORD__KIND_HEADER;
    hrec.header = h;
    rec[0] = &hrec;
    cr_assert_eq(ct_writer_open(path, h, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    for (int k = 2; k <= 5; k++) {
        cr_assert_eq(ct_synth_fill_all(s, k, &rec[k - 1]), CT_OK);
        cr_assert_eq(ct_writer_append(w, rec[k - 1], &ei), CT_OK, "%s", ei.msg);
    }
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);

    tf_recs got;
    tf_read_result res;
    tf_recs_init(&got);
    cr_assert_eq(tf_read_all(path, &got, &res, 100), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(res.n_errors, 0, "unexpected error: %s", res.err[0].msg);
    cr_assert(res.ended);
    cr_assert_eq(got.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_same_record(rec[i], &got, i);
    tf_recs_free(&got);
    ct_synth_free(s);
}

Test(roundtrip, reader_header_equals_the_header_written)
{
    ct_synth *s;
    ct_writer *w;
    ct_reader *r;
    ct_errinfo ei;
    cr_assert_eq(ct_synth_new(12, &s), CT_OK);
    Chimtrace__V1__TraceHeader *h = full_header(s);
    cr_assert_eq(ct_writer_open(path, h, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    const Chimtrace__V1__TraceHeader *got = ct_reader_header(r);
    cr_assert_not_null(got);
    size_t alen = chimtrace__v1__trace_header__get_packed_size(h);
    size_t blen = chimtrace__v1__trace_header__get_packed_size(got);
    cr_assert_eq(alen, blen);
    uint8_t *a = malloc(alen), *b = malloc(blen);
    chimtrace__v1__trace_header__pack(h, a);
    chimtrace__v1__trace_header__pack(got, b);
    cr_assert_eq(memcmp(a, b, alen), 0, "header bytes differ");
    cr_assert_str_eq(got->producer_name, h->producer_name);
    free(a);
    free(b);
    ct_reader_close(r);
    ct_synth_free(s);
}

Test(roundtrip, append_encoded_records_read_back_identically_and_feed_the_index)
{
    ct_synth *s;
    ct_writer *w;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *h;
    tf_recs want, got;
    tf_recs_init(&want);
    tf_recs_init(&got);
    cr_assert_eq(ct_synth_new(13, &s), CT_OK);
    ct_synth_header(s, &h);
    Chimtrace__V1__Record hrec = CHIMTRACE__V1__RECORD__INIT;
    hrec.kind_case = CHIMTRACE__V1__RECORD__KIND_HEADER;
    hrec.header = h;
    cr_assert_eq(tf_recs_add(&want, &hrec), 0);
    ct_writer_opts o;
    ct_writer_opts_init(&o);
    o.chunk_bytes = CT_CHUNK_MIN_BYTES;
    o.sync = CT_SYNC_NONE;
    cr_assert_eq(ct_writer_open(path, h, &o, &w, &ei), CT_OK, "%s", ei.msg);
    uint64_t events = 0, max_seq = 0;
    for (int i = 0; i < 600; i++) {
        const Chimtrace__V1__Record *rec = ct_synth_next(s);
        size_t len;
        uint8_t *p = tf_pack(rec, &len);
        ct_record_keys k;
        ct_record_keys_of(rec, &k);
        events += k.has_seq;
        if (k.has_seq)
            max_seq = k.seq;
        cr_assert_eq(ct_writer_append_encoded(w, p, len, &k, &ei), CT_OK, "%s", ei.msg);
        cr_assert_eq(tf_recs_add(&want, rec), 0);
        free(p);
    }
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);

    tf_read_result res;
    cr_assert_eq(tf_read_all(path, &got, &res, 10000), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(res.n_errors, 0, "unexpected error: %s", res.err[0].msg);
    cr_assert_eq(got.n, want.n);
    cr_assert_eq(tf_recs_first_diff(&want, &got), -1, "first difference at record %ld",
                 tf_recs_first_diff(&want, &got));

    tf_chunk_list cl;
    cr_assert_eq(tf_list_chunks(path, &cl, NULL, &ei), CT_OK, "%s", ei.msg);
    uint64_t ev = 0, last = 0;
    for (size_t i = 0; i < cl.n; i++) {
        ev += cl.v[i].events;
        if (cl.v[i].events)
            last = cl.v[i].last_seq;
    }
    cr_assert_eq(ev, events);
    cr_assert_eq(last, max_seq);
    free(cl.v);
    tf_recs_free(&want);
    tf_recs_free(&got);
    ct_synth_free(s);
}

/* Checks the chunk list against the records read back: counts, seq/ts ranges, and that
 * chunks tile the file from the end of the file header to the footer. */
static void check_chunks(const tf_chunk_list *cl, const tf_recs *got)
{
    size_t rec = 0;
    for (size_t i = 0; i < cl->n; i++) {
        const ct_chunk_info *c = &cl->v[i];
        cr_assert_eq(c->index, i);
        if (i > 0)
            cr_assert_eq(c->offset, cl->v[i - 1].end, "chunk %zu does not follow %zu", i, i - 1);
        cr_assert_eq(c->data_offset, c->offset + 72, "chunk %zu: header frame is 72 bytes", i);
        cr_assert_eq(c->end - c->data_offset, c->comp_bytes);
        cr_assert_leq(c->raw_bytes, 4096, "chunk %zu: %u raw bytes over a 4096 target", i,
                      c->raw_bytes);
        uint64_t lo = UINT64_MAX, hi = 0, tlo = UINT64_MAX, thi = 0, evs = 0;
        for (uint32_t j = 0; j < c->records; j++, rec++) {
            size_t len;
            const uint8_t *p = tf_recs_get(got, rec, &len);
            Chimtrace__V1__Record *r = chimtrace__v1__record__unpack(NULL, len, p);
            cr_assert_not_null(r);
            if (r->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT) {
                evs++;
                lo = r->event->seq < lo ? r->event->seq : lo;
                hi = r->event->seq > hi ? r->event->seq : hi;
                tlo = r->event->ts_ns < tlo ? r->event->ts_ns : tlo;
                thi = r->event->ts_ns > thi ? r->event->ts_ns : thi;
            }
            chimtrace__v1__record__free_unpacked(r, NULL);
        }
        cr_assert_eq(c->events, evs, "chunk %zu", i);
        if (evs) {
            cr_assert_eq(c->first_seq, lo, "chunk %zu", i);
            cr_assert_eq(c->last_seq, hi, "chunk %zu", i);
            cr_assert_eq(c->min_ts_ns, tlo, "chunk %zu", i);
            cr_assert_eq(c->max_ts_ns, thi, "chunk %zu", i);
        }
    }
    cr_assert_eq(rec, got->n, "chunks hold %zu records, %zu were read", rec, got->n);
}

Test(roundtrip, thousands_of_records_in_small_chunks_come_back_in_order)
{
    tf_recs want, got;
    tf_read_result res;
    ct_writer_stats st;
    ct_errinfo ei;
    tf_recs_init(&want);
    tf_recs_init(&got);
    cr_assert_eq(tf_write_synth(path, 42, 5000, 4096, &want, &st, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(tf_read_all(path, &got, &res, 100000), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(res.n_errors, 0, "unexpected error: %s", res.err[0].msg);
    cr_assert_eq(got.n, 5001);
    cr_assert_eq(tf_recs_first_diff(&want, &got), -1, "first difference at record %ld",
                 tf_recs_first_diff(&want, &got));

    tf_chunk_list cl;
    ct_file_status fs;
    cr_assert_eq(tf_list_chunks(path, &cl, &fs, &ei), CT_OK, "%s", ei.msg);
    cr_assert_gt(cl.n, 100, "5000 records of ~450 bytes need hundreds of 4 KiB chunks");
    cr_assert_eq(cl.n, st.chunks);
    check_chunks(&cl, &got);
    cr_assert_eq(fs.index_source, CT_INDEX_FOOTER);
    cr_assert_eq(fs.has_footer, 1);
    cr_assert_eq(fs.truncated, 0);
    cr_assert_eq(fs.chunks, cl.n);
    cr_assert_eq(fs.file_bytes, st.file_bytes);
    cr_assert_eq(fs.format_major, CT_FORMAT_MAJOR);
    free(cl.v);
    tf_recs_free(&want);
    tf_recs_free(&got);
}

Test(roundtrip, same_seed_writes_identical_files_and_another_seed_does_not)
{
    char p2[300], p3[300];
    uint8_t *a, *b, *c;
    size_t al, bl, cl;
    snprintf(p2, sizeof p2, "%s/b.ctrace", tf_dir);
    snprintf(p3, sizeof p3, "%s/c.ctrace", tf_dir);
    cr_assert_eq(tf_write_synth(path, 5, 3000, 8192, NULL, NULL, NULL), CT_OK);
    cr_assert_eq(tf_write_synth(p2, 5, 3000, 8192, NULL, NULL, NULL), CT_OK);
    cr_assert_eq(tf_write_synth(p3, 6, 3000, 8192, NULL, NULL, NULL), CT_OK);
    cr_assert_eq(tf_slurp(path, &a, &al), 0);
    cr_assert_eq(tf_slurp(p2, &b, &bl), 0);
    cr_assert_eq(tf_slurp(p3, &c, &cl), 0);
    cr_assert(al == bl && memcmp(a, b, al) == 0, "same seed, different files");
    cr_assert(al != cl || memcmp(a, c, al) != 0, "different seeds, same file");
    free(a);
    free(b);
    free(c);
}

/* A Record of exactly `size` encoded bytes: one event, one block, a long MAC field. */
static uint8_t *record_of_size(size_t size, size_t *len)
{
    static uint8_t mac[CT_MAX_RECORD_BYTES + 64];
    Chimtrace__V1__NeighborConst nc = CHIMTRACE__V1__NEIGHBOR_CONST__INIT;
    Chimtrace__V1__Block blk = CHIMTRACE__V1__BLOCK__INIT, *bp = &blk;
    Chimtrace__V1__Event ev = CHIMTRACE__V1__EVENT__INIT;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    memset(mac, 0xAB, sizeof mac);
    nc.has_dl_source_address = 1;
    nc.dl_source_address.data = mac;
    blk.neighbor_const = &nc;
    ev.has_seq = 1, ev.seq = 1, ev.n_block = 1, ev.block = &bp;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT;
    rec.event = &ev;
    size_t n = size - 32;
    for (int tries = 0; tries < 64; tries++) {
        nc.dl_source_address.len = n;
        size_t got = chimtrace__v1__record__get_packed_size(&rec);
        if (got == size)
            return tf_pack(&rec, len);
        n += size > got ? 1 : (size_t)-1;
    }
    return NULL;
}

Test(roundtrip, record_at_the_cap_is_kept_and_one_byte_more_is_refused_with_limit)
{
    ct_synth *s;
    ct_writer *w;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *h;
    size_t len_ok, len_big;
    uint8_t *ok = record_of_size(CT_MAX_RECORD_BYTES, &len_ok);
    uint8_t *big = record_of_size(CT_MAX_RECORD_BYTES + 1, &len_big);
    cr_assert(ok && big);
    Chimtrace__V1__Record *big_rec = chimtrace__v1__record__unpack(NULL, len_big, big);
    cr_assert_not_null(big_rec);
    cr_assert_eq(ct_synth_new(3, &s), CT_OK);
    ct_synth_header(s, &h);
    cr_assert_eq(ct_writer_open(path, h, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    memset(&ei, 0, sizeof ei);
    cr_assert_eq(ct_writer_append(w, big_rec, &ei), CT_ERR_LIMIT);
    cr_assert_eq(ei.code, CT_ERR_LIMIT);
    cr_assert_neq(ei.msg[0], '\0');
    cr_assert_eq(ct_writer_append_encoded(w, big, len_big, NULL, &ei), CT_ERR_LIMIT);
    /* A refused record does not poison the writer. */
    cr_assert_eq(ct_writer_append_encoded(w, ok, len_ok, NULL, &ei), CT_OK, "%s", ei.msg);
    const Chimtrace__V1__Record *after = ct_synth_next(s);
    cr_assert_eq(ct_writer_append(w, after, &ei), CT_OK, "%s", ei.msg);
    size_t after_len;
    uint8_t *after_bytes = tf_pack(after, &after_len);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);

    tf_recs got;
    tf_read_result res;
    tf_recs_init(&got);
    cr_assert_eq(tf_read_all(path, &got, &res, 100), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(res.n_errors, 0, "unexpected error: %s", res.err[0].msg);
    cr_assert_eq(got.n, 3, "header, the record at the cap, the next record");
    size_t l;
    const uint8_t *p = tf_recs_get(&got, 1, &l);
    cr_assert(l == len_ok && memcmp(p, ok, l) == 0, "record at the cap differs");
    p = tf_recs_get(&got, 2, &l);
    cr_assert(l == after_len && memcmp(p, after_bytes, l) == 0);
    chimtrace__v1__record__free_unpacked(big_rec, NULL);
    free(ok);
    free(big);
    free(after_bytes);
    tf_recs_free(&got);
    ct_synth_free(s);
}

Test(roundtrip, unknown_required_feature_is_refused_with_version)
{
    ct_synth *s;
    ct_writer *w;
    ct_reader *r = NULL;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *h;
    char *features[] = {"x-interning-v9"};
    cr_assert_eq(ct_synth_new(4, &s), CT_OK);
    ct_synth_header(s, &h);
    h->n_required_features = 1;
    h->required_features = features;
    cr_assert_eq(ct_writer_open(path, h, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_ERR_VERSION);
    cr_assert_null(r);
    cr_assert_not_null(strstr(ei.msg, "x-interning-v9"), "message: %s", ei.msg);
    ct_synth_free(s);
}

Test(roundtrip, writer_options_out_of_range_are_refused_with_arg)
{
    ct_synth *s;
    ct_writer *w = NULL;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *h;
    ct_writer_opts o;
    cr_assert_eq(ct_synth_new(4, &s), CT_OK);
    ct_synth_header(s, &h);
    ct_writer_opts_init(&o);
    o.chunk_bytes = CT_CHUNK_MIN_BYTES - 1;
    cr_assert_eq(ct_writer_open(path, h, &o, &w, &ei), CT_ERR_ARG);
    cr_assert_null(w);
    o.chunk_bytes = CT_CHUNK_MAX_TARGET_BYTES + 1;
    cr_assert_eq(ct_writer_open(path, h, &o, &w, &ei), CT_ERR_ARG);
    o.chunk_bytes = 0;
    o.zstd_level = 20;
    cr_assert_eq(ct_writer_open(path, h, &o, &w, &ei), CT_ERR_ARG);
    cr_assert_eq(ct_writer_open(NULL, h, NULL, &w, &ei), CT_ERR_ARG);
    cr_assert_eq(ct_writer_open(path, NULL, NULL, &w, &ei), CT_ERR_ARG);
    ct_synth_free(s);
}

Test(roundtrip, close_abandon_and_free_of_null_are_noops)
{
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    cr_assert_eq(ct_writer_close(NULL, &ei), CT_OK);
    cr_assert_eq(ct_writer_close(NULL, NULL), CT_OK);
    cr_assert_eq(ei.code, CT_OK, "a no-op must not report an error");
    ct_writer_abandon(NULL);
    ct_reader_close(NULL);
    ct_synth_free(NULL);
}
