/* tracefile_seek_test.c - seek_seq and seek_time land where a linear scan says they must.
 *
 * The oracle is the definition in FORMAT.md §5.4: the first record in file order that is
 * an event with seq >= N (ts_ns >= T). It is computed from a full read of the file, then
 * compared with what the reader returns after seeking, with the footer index and with an
 * index rebuilt from chunk headers (footer cut off).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf_helpers.h"

static char path[256];

static void setup(void)
{
    tf_scratch_setup();
    tf_scratch_path(path, sizeof path, "t.ctrace");
}

TestSuite(seek, .init = setup, .fini = tf_scratch_teardown, .timeout = 300);

/* Every record of a file in file order, with the index keys of the events. */
typedef struct oracle {
    tf_recs recs;
    int *is_event;
    uint64_t *seq, *ts;
    uint64_t max_seq, max_ts;
} oracle;

static void oracle_make(oracle *o, const char *p)
{
    tf_read_result res;
    tf_recs_init(&o->recs);
    cr_assert_eq(tf_read_all(p, &o->recs, &res, 10000000), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(res.n_errors - res.n_truncated, 0, "unexpected error: %s", res.err[0].msg);
    size_t n = o->recs.n;
    o->is_event = calloc(n, sizeof *o->is_event);
    o->seq = calloc(n, sizeof *o->seq);
    o->ts = calloc(n, sizeof *o->ts);
    o->max_seq = o->max_ts = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *b = tf_recs_get(&o->recs, i, &len);
        Chimtrace__V1__Record *r = chimtrace__v1__record__unpack(NULL, len, b);
        cr_assert_not_null(r);
        if (r->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT) {
            o->is_event[i] = 1;
            o->seq[i] = r->event->seq;
            o->ts[i] = r->event->ts_ns;
            o->max_seq = o->seq[i] > o->max_seq ? o->seq[i] : o->max_seq;
            o->max_ts = o->ts[i] > o->max_ts ? o->ts[i] : o->max_ts;
        }
        chimtrace__v1__record__free_unpacked(r, NULL);
    }
}

static void oracle_free(oracle *o)
{
    tf_recs_free(&o->recs);
    free(o->is_event);
    free(o->seq);
    free(o->ts);
}

/* The definition, by linear scan: index of the first event with key >= target, or -1. */
static long oracle_find(const oracle *o, int by_time, uint64_t target)
{
    for (size_t i = 0; i < o->recs.n; i++)
        if (o->is_event[i] && (by_time ? o->ts[i] : o->seq[i]) >= target)
            return (long)i;
    return -1;
}

static void assert_next_is(ct_reader *r, const oracle *o, size_t i, const char *what)
{
    const Chimtrace__V1__Record *rec = NULL;
    ct_errinfo ei;
    ct_err e = ct_reader_next(r, &rec, &ei);
    cr_assert_eq(e, CT_OK, "%s: next after seek gave %d: %s", what, e, ei.msg);
    cr_assert_not_null(rec, "%s: end of data, want record %zu", what, i);
    size_t want_len, got_len;
    const uint8_t *want = tf_recs_get(&o->recs, i, &want_len);
    uint8_t *got = tf_pack(rec, &got_len);
    cr_assert(got_len == want_len && memcmp(got, want, got_len) == 0,
              "%s: landed on the wrong record (want file record %zu)", what, i);
    free(got);
}

/* Seek to `target` and compare with the oracle, including the record after it. */
static void check_seek(ct_reader *r, const oracle *o, int by_time, uint64_t target)
{
    char what[96];
    ct_errinfo ei;
    snprintf(what, sizeof what, "seek_%s(%llu)", by_time ? "time" : "seq",
             (unsigned long long)target);
    long want = oracle_find(o, by_time, target);
    ct_err e = by_time ? ct_reader_seek_time(r, target, &ei) : ct_reader_seek_seq(r, target, &ei);
    if (want < 0) {
        cr_assert_eq(e, CT_ERR_NOT_FOUND, "%s: want CT_ERR_NOT_FOUND, got %d", what, e);
        const Chimtrace__V1__Record *rec = (const void *)1;
        e = ct_reader_next(r, &rec, &ei);
        cr_assert(e == CT_OK || e == CT_ERR_TRUNCATED, "%s: next at the end gave %d", what, e);
        if (e == CT_OK)
            cr_assert_null(rec, "%s: a record after CT_ERR_NOT_FOUND", what);
        return;
    }
    cr_assert_eq(e, CT_OK, "%s: %s", what, ei.msg);
    assert_next_is(r, o, (size_t)want, what);
    if ((size_t)want + 1 < o->recs.n)
        assert_next_is(r, o, (size_t)want + 1, what);
}

static void check_every_target(const char *p, const oracle *o)
{
    ct_reader *r;
    ct_errinfo ei;
    cr_assert_eq(ct_reader_open(p, &r, &ei), CT_OK, "%s", ei.msg);
    for (uint64_t n = 0; n <= o->max_seq + 2; n++)
        check_seek(r, o, 0, n);
    check_seek(r, o, 1, 0);
    check_seek(r, o, 1, UINT64_MAX);
    for (size_t i = 0; i < o->recs.n; i++) {
        if (!o->is_event[i])
            continue;
        check_seek(r, o, 1, o->ts[i] - 1);
        check_seek(r, o, 1, o->ts[i]);
        check_seek(r, o, 1, o->ts[i] + 1);
    }
    ct_reader_close(r);
}

Test(seek, every_seq_and_time_in_a_small_trace_matches_a_linear_scan)
{
    oracle o;
    ct_errinfo ei;
    cr_assert_eq(tf_write_synth(path, 8, 400, 4096, NULL, NULL, &ei), CT_OK, "%s", ei.msg);
    oracle_make(&o, path);
    cr_assert_gt(o.max_seq, 300);
    check_every_target(path, &o);
    ct_reader *r;
    ct_file_status st;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK);
    cr_assert_eq(ct_reader_seek_seq(r, 10, &ei), CT_OK);
    ct_reader_status(r, &st);
    cr_assert_eq(st.index_source, CT_INDEX_FOOTER);
    ct_reader_close(r);
    oracle_free(&o);
}

Test(seek, before_the_first_event_lands_on_it_and_after_the_last_is_not_found)
{
    oracle o;
    ct_reader *r;
    ct_errinfo ei;
    cr_assert_eq(tf_write_synth(path, 9, 300, 4096, NULL, NULL, &ei), CT_OK, "%s", ei.msg);
    oracle_make(&o, path);
    long first = oracle_find(&o, 0, 0);
    cr_assert_eq(first, 1, "record 0 is the header, record 1 the first event");
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    check_seek(r, &o, 0, 0);
    check_seek(r, &o, 1, 0);
    cr_assert_eq(ct_reader_seek_seq(r, o.max_seq + 1, &ei), CT_ERR_NOT_FOUND);
    cr_assert_eq(ct_reader_seek_time(r, o.max_ts + 1, &ei), CT_ERR_NOT_FOUND);
    check_seek(r, &o, 0, o.max_seq);
    ct_reader_close(r);
    oracle_free(&o);
}

Test(seek, random_targets_in_a_bigger_trace_match_a_linear_scan)
{
    oracle o;
    ct_reader *r;
    ct_errinfo ei;
    uint64_t rng = 12345;
    cr_assert_eq(tf_write_synth(path, 10, 20000, 4096, NULL, NULL, &ei), CT_OK, "%s", ei.msg);
    oracle_make(&o, path);
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    for (int i = 0; i < 300; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        check_seek(r, &o, 0, (rng >> 11) % (o.max_seq + 10));
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        check_seek(r, &o, 1, (rng >> 11) % (o.max_ts + 1000));
    }
    ct_reader_close(r);
    oracle_free(&o);
}

Test(seek, without_the_footer_the_rebuilt_index_seeks_the_same)
{
    oracle o;
    ct_errinfo ei;
    tf_chunk_list cl;
    cr_assert_eq(tf_write_synth(path, 11, 400, 4096, NULL, NULL, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(tf_list_chunks(path, &cl, NULL, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(truncate(path, (off_t)cl.v[cl.n - 1].end), 0);     /* footer gone */
    oracle_make(&o, path);
    check_every_target(path, &o);
    ct_reader *r;
    ct_file_status st;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK);
    cr_assert_eq(ct_reader_seek_time(r, o.max_ts / 2, &ei), CT_OK, "%s", ei.msg);
    ct_reader_status(r, &st);
    cr_assert_eq(st.index_source, CT_INDEX_REBUILT);
    cr_assert_eq(st.has_footer, 0);
    ct_reader_close(r);
    free(cl.v);
    oracle_free(&o);
}

Test(seek, in_a_file_cut_mid_chunk_targets_past_the_cut_are_not_found)
{
    oracle o;
    ct_errinfo ei;
    tf_chunk_list cl;
    cr_assert_eq(tf_write_synth(path, 12, 400, 4096, NULL, NULL, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(tf_list_chunks(path, &cl, NULL, &ei), CT_OK, "%s", ei.msg);
    const ct_chunk_info *last = &cl.v[cl.n - 1];
    cr_assert_eq(truncate(path, (off_t)(last->data_offset + last->comp_bytes / 2)), 0);
    oracle_make(&o, path);
    cr_assert_lt(o.max_seq, last->last_seq, "the cut chunk's events are gone");
    check_every_target(path, &o);
    ct_reader *r;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK);
    cr_assert_eq(ct_reader_seek_seq(r, last->last_seq, &ei), CT_ERR_NOT_FOUND);
    ct_reader_close(r);
    free(cl.v);
    oracle_free(&o);
}

Test(seek, rewind_returns_to_the_header_record_after_reads_and_seeks)
{
    oracle o;
    ct_reader *r;
    ct_errinfo ei;
    cr_assert_eq(tf_write_synth(path, 13, 300, 4096, NULL, NULL, &ei), CT_OK, "%s", ei.msg);
    oracle_make(&o, path);
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    for (size_t i = 0; i < 100; i++)
        assert_next_is(r, &o, i, "first pass");
    cr_assert_eq(ct_reader_rewind(r, &ei), CT_OK, "%s", ei.msg);
    for (size_t i = 0; i < o.recs.n; i++)
        assert_next_is(r, &o, i, "after rewind");
    const Chimtrace__V1__Record *rec = (const void *)1;
    cr_assert_eq(ct_reader_next(r, &rec, &ei), CT_OK);
    cr_assert_null(rec);
    cr_assert_eq(ct_reader_seek_seq(r, o.max_seq + 5, &ei), CT_ERR_NOT_FOUND);
    cr_assert_eq(ct_reader_rewind(r, &ei), CT_OK, "%s", ei.msg);
    assert_next_is(r, &o, 0, "rewind after not-found");
    check_seek(r, &o, 0, o.max_seq / 2);
    cr_assert_eq(ct_reader_rewind(r, &ei), CT_OK, "%s", ei.msg);
    assert_next_is(r, &o, 0, "rewind after seek");
    ct_reader_close(r);
    oracle_free(&o);
}
