/* tracefile_truncation_test.c - a file cut at any byte yields exactly its complete chunks.
 *
 * A recorder that crashes leaves a prefix of a valid file. This suite cuts a multi-chunk
 * trace at every byte offset and checks the reader's promise (FORMAT.md §7): the records of
 * every chunk whose data frame ends at or before the cut, then CT_ERR_TRUNCATED exactly
 * once, naming the cut and the end of the last complete chunk.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf_helpers.h"

static char path[256], cut_path[256];

static void setup(void)
{
    tf_scratch_setup();
    tf_scratch_path(path, sizeof path, "t.ctrace");
    tf_scratch_path(cut_path, sizeof cut_path, "cut.ctrace");
}

TestSuite(truncation, .init = setup, .fini = tf_scratch_teardown, .timeout = 300);

/* The intact file and what is known about it. */
typedef struct fixture {
    tf_recs want;           /* header record + records, as written */
    tf_chunk_list cl;       /* from the footer of the intact file */
    size_t *cum;            /* cum[i]: records in chunks 0 .. i-1 */
    uint8_t *bytes;
    size_t size;
    uint64_t hdr_end;       /* end of the file-header frame = start of chunk 0 */
} fixture;

static void fixture_make(fixture *f, size_t records)
{
    ct_errinfo ei;
    ct_file_status st;
    tf_recs_init(&f->want);
    cr_assert_eq(tf_write_synth(path, 2024, records, 4096, &f->want, NULL, &ei), CT_OK,
                 "%s", ei.msg);
    cr_assert_eq(tf_list_chunks(path, &f->cl, &st, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(st.index_source, CT_INDEX_FOOTER);
    cr_assert_eq(tf_slurp(path, &f->bytes, &f->size), 0);
    f->cum = calloc(f->cl.n + 1, sizeof *f->cum);
    for (size_t i = 0; i < f->cl.n; i++)
        f->cum[i + 1] = f->cum[i] + f->cl.v[i].records;
    cr_assert_eq(f->cum[f->cl.n], f->want.n, "chunks hold every record");
    f->hdr_end = f->cl.v[0].offset;
}

static void fixture_free(fixture *f)
{
    tf_recs_free(&f->want);
    free(f->cl.v);
    free(f->cum);
    free(f->bytes);
}

/* Complete chunks in a file cut at k, and where the last of them ends. */
static size_t complete_chunks(const fixture *f, uint64_t k, uint64_t *end)
{
    size_t m = 0;
    while (m < f->cl.n && f->cl.v[m].end <= k)
        m++;
    *end = m ? f->cl.v[m - 1].end : f->hdr_end;
    return m;
}

static void check_cut(const fixture *f, const char *p, uint64_t k, tf_recs *got)
{
    tf_read_result res;
    char want_msg[96];
    tf_recs_clear(got);
    ct_err e = tf_read_all(p, got, &res, f->want.n + 16);
    snprintf(want_msg, sizeof want_msg, "truncated at byte %llu", (unsigned long long)k);
    if (k < f->hdr_end) {
        cr_assert_eq(e, CT_ERR_TRUNCATED, "cut at %llu (inside the file header): open gave %d",
                     (unsigned long long)k, e);
        cr_assert_not_null(strstr(res.open_ei.msg, want_msg), "cut at %llu: message \"%s\"",
                           (unsigned long long)k, res.open_ei.msg);
        return;
    }
    cr_assert_eq(e, CT_OK, "cut at %llu: open failed: %s", (unsigned long long)k,
                 res.open_ei.msg);
    uint64_t end;
    size_t m = complete_chunks(f, k, &end);
    cr_assert_eq(got->n, f->cum[m], "cut at %llu: %zu records, want the %zu of %zu chunks",
                 (unsigned long long)k, got->n, f->cum[m], m);
    cr_assert(tf_recs_equal(&f->want, 0, got, 0, got->n), "cut at %llu: records differ",
              (unsigned long long)k);
    cr_assert_eq(res.n_truncated, 1, "cut at %llu: CT_ERR_TRUNCATED %zu times",
                 (unsigned long long)k, res.n_truncated);
    cr_assert_eq(res.n_errors, 1, "cut at %llu: other error: %s", (unsigned long long)k,
                 res.err[0].msg);
    cr_assert(res.ended, "cut at %llu: no end of data after CT_ERR_TRUNCATED",
              (unsigned long long)k);
    cr_assert_eq(res.status.truncated, 1);
    cr_assert_eq(res.status.has_footer, 0);
    cr_assert_eq(res.status.truncated_at, k);
    cr_assert_eq(res.status.complete_end, end, "cut at %llu: complete_end %llu, want %llu",
                 (unsigned long long)k, (unsigned long long)res.status.complete_end,
                 (unsigned long long)end);
    const char *msg = res.err[0].msg;
    char end_msg[96];
    snprintf(end_msg, sizeof end_msg, "ends at byte %llu", (unsigned long long)end);
    cr_assert(strstr(msg, want_msg) && strstr(msg, end_msg), "cut at %llu: message \"%s\"",
              (unsigned long long)k, msg);
}

/* ct_reader_chunks on a cut file: the intact file's first m chunks, from a rebuilt index. */
static void check_cut_chunks(const fixture *f, const char *p, uint64_t k)
{
    tf_chunk_list cl;
    ct_file_status st;
    ct_errinfo ei;
    uint64_t end;
    size_t m = complete_chunks(f, k, &end);
    ct_err e = tf_list_chunks(p, &cl, &st, &ei);
    cr_assert(e == CT_OK || e == CT_ERR_TRUNCATED, "cut at %llu: chunks gave %d: %s",
              (unsigned long long)k, e, ei.msg);
    cr_assert_eq(cl.n, m, "cut at %llu: %zu chunks listed, want %zu", (unsigned long long)k,
                 cl.n, m);
    for (size_t i = 0; i < m; i++) {
        cr_assert_eq(cl.v[i].offset, f->cl.v[i].offset);
        cr_assert_eq(cl.v[i].end, f->cl.v[i].end);
        cr_assert_eq(cl.v[i].records, f->cl.v[i].records);
        cr_assert_eq(cl.v[i].last_seq, f->cl.v[i].last_seq);
    }
    cr_assert_eq(st.index_source, CT_INDEX_REBUILT, "cut at %llu", (unsigned long long)k);
    cr_assert_eq(st.truncated, 1);
    cr_assert_eq(st.complete_end, end);
    free(cl.v);
}

Test(truncation, file_cut_at_every_byte_returns_exactly_its_complete_chunks)
{
    fixture f;
    tf_recs got;
    fixture_make(&f, 80);
    cr_assert(f.cl.n >= 6 && f.cl.n <= 12, "want 6..12 chunks, got %zu", f.cl.n);
    cr_assert_lt(f.size, 60000u);
    tf_recs_init(&got);
    cr_assert_eq(tf_spit(cut_path, f.bytes, f.size), 0);
    /* Shrinking one copy is much cheaper than writing every prefix afresh. */
    for (size_t k = f.size; k-- > 0;) {
        cr_assert_eq(truncate(cut_path, (off_t)k), 0);
        check_cut(&f, cut_path, k, &got);
        if (k >= f.hdr_end && (k % 7 == 0 || k >= f.cl.v[f.cl.n - 1].end))
            check_cut_chunks(&f, cut_path, k);
    }
    tf_recs_free(&got);
    fixture_free(&f);
}

Test(truncation, intact_file_reports_no_truncation)
{
    fixture f;
    tf_recs got;
    tf_read_result res;
    fixture_make(&f, 80);
    tf_recs_init(&got);
    cr_assert_eq(tf_read_all(path, &got, &res, 1000), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(res.n_errors, 0, "unexpected error: %s", res.err[0].msg);
    cr_assert_eq(got.n, f.want.n);
    cr_assert(tf_recs_equal(&f.want, 0, &got, 0, got.n));
    cr_assert_eq(res.status.truncated, 0);
    cr_assert_eq(res.status.has_footer, 1);
    cr_assert_eq(res.status.file_bytes, f.size);
    tf_recs_free(&got);
    fixture_free(&f);
}

Test(truncation, abandoned_writer_leaves_every_sealed_chunk_readable)
{
    ct_synth *s;
    ct_writer *w;
    ct_errinfo ei;
    ct_writer_opts o;
    Chimtrace__V1__TraceHeader *h;
    tf_recs want, got;
    tf_recs_init(&want);
    tf_recs_init(&got);
    cr_assert_eq(ct_synth_new(77, &s), CT_OK);
    ct_synth_header(s, &h);
    ct_writer_opts_init(&o);
    o.chunk_bytes = 4096;
    o.sync = CT_SYNC_NONE;
    cr_assert_eq(ct_writer_open(path, h, &o, &w, &ei), CT_OK, "%s", ei.msg);
    Chimtrace__V1__Record hrec = CHIMTRACE__V1__RECORD__INIT;
    hrec.kind_case = CHIMTRACE__V1__RECORD__KIND_HEADER;
    hrec.header = h;
    tf_recs_add(&want, &hrec);
    for (int i = 0; i < 200; i++) {
        const Chimtrace__V1__Record *r = ct_synth_next(s);
        cr_assert_eq(ct_writer_append(w, r, &ei), CT_OK, "%s", ei.msg);
        tf_recs_add(&want, r);
    }
    cr_assert_eq(ct_writer_seal(w, &ei), CT_OK, "%s", ei.msg);
    for (int i = 0; i < 5; i++)     /* in the open chunk: lost, as in a crash */
        cr_assert_eq(ct_writer_append(w, ct_synth_next(s), &ei), CT_OK, "%s", ei.msg);
    ct_writer_abandon(w);

    tf_read_result res;
    uint8_t *bytes;
    size_t size;
    cr_assert_eq(tf_slurp(path, &bytes, &size), 0);
    cr_assert_eq(tf_read_all(path, &got, &res, 1000), CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(got.n, want.n, "every sealed record: %zu, want %zu", got.n, want.n);
    cr_assert(tf_recs_equal(&want, 0, &got, 0, got.n));
    cr_assert_eq(res.n_truncated, 1);
    cr_assert_eq(res.n_errors, 1);
    cr_assert_eq(res.status.truncated_at, size);
    cr_assert_eq(res.status.complete_end, size, "the file ends with a complete chunk");

    tf_chunk_list cl;
    ct_file_status st;
    ct_err e = tf_list_chunks(path, &cl, &st, &ei);
    cr_assert(e == CT_OK || e == CT_ERR_TRUNCATED, "%s", ei.msg);
    cr_assert_eq(st.index_source, CT_INDEX_REBUILT);
    cr_assert_eq(st.has_footer, 0);
    cr_assert_gt(cl.n, 5);
    free(cl.v);
    free(bytes);
    tf_recs_free(&want);
    tf_recs_free(&got);
    ct_synth_free(s);
}
