/* stats_wire_test.c - stats' fast path (replay/stats/stats_wire.c: events scanned from
 * their encoded bytes) against the decoded path (protobuf-c + stats_feed): byte-identical
 * JSON on every golden trace, a synthetic trace and a truncated one, under each grouping;
 * and the odd records the differential fuzzer (tests/fuzz/stats_wire_fuzz.c) turned up.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_stats.h"
#include "stats_int.h"   /* stats_feed_encoded, the fast path */
#include "tf_helpers.h"

TestSuite(stats_wire, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

/* The JSON of `path` read the decoded way: ct_reader_next + stats_feed. */
static char *json_decoded(const char *path, stats_by by)
{
    const Chimtrace__V1__Record *rec;
    ct_reader *r;
    stats_engine *s;
    stats_opts o;
    ct_file_status st;
    ct_err e;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    stats_opts_init(&o);
    o.by = by;
    cr_assert_eq(stats_new(&o, &s, NULL), CT_OK);
    cr_assert_eq(ct_reader_open(path, &r, NULL), CT_OK, "%s", path);
    while ((e = ct_reader_next(r, &rec, NULL)) != CT_OK || rec) {
        if (e == CT_OK)
            cr_assert_eq(stats_feed(s, rec, NULL), CT_OK);
        else if (e == CT_ERR_TRUNCATED)
            (ct_reader_status(r, &st), stats_note_truncated(s, st.truncated_at, st.complete_end));
        else if (e == CT_ERR_CORRUPT || e == CT_ERR_LIMIT)
            stats_note_damaged_chunk(s);
        else
            cr_assert_fail("%s: read error %d", path, e);
    }
    ct_reader_status(r, &st);
    if (st.truncated)
        stats_note_truncated(s, st.truncated_at, st.complete_end);
    ct_reader_close(r);
    cr_assert_eq(stats_finish(s, NULL), CT_OK);
    f = open_memstream(&out, &len);
    cr_assert_eq(stats_write_json(f, s, path), CT_OK);
    fclose(f);
    stats_free(s);
    return out;
}

static char *json_fast(const char *path, stats_by by)
{
    stats_engine *s;
    stats_opts o;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    stats_opts_init(&o);
    o.by = by;
    cr_assert_eq(stats_process_file(path, &o, &s, NULL), CT_OK, "%s", path);
    f = open_memstream(&out, &len);
    cr_assert_eq(stats_write_json(f, s, path), CT_OK);
    fclose(f);
    stats_free(s);
    return out;
}

static void same_both_ways(const char *path)
{
    for (int by = STATS_BY_OP; by <= STATS_BY_CPU; by++) {
        char *a = json_decoded(path, (stats_by)by), *b = json_fast(path, (stats_by)by);
        cr_expect_str_eq(b, a, "%s by %s: the fast path differs from the decoded path", path,
                         stats_by_name((stats_by)by));
        free(a);
        free(b);
    }
}

Test(stats_wire, fast_path_gives_the_decoded_paths_figures_on_every_kind_of_input)
{
    char path[1024], cut[256];
    uint8_t *buf;
    size_t len;
    DIR *d = opendir(CT_TEST_SOURCE_DIR "/traces");
    struct dirent *e;

    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL) {   /* recordings: every workload, real time too */
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 7, ".ctrace") != 0)
            continue;
        snprintf(path, sizeof path, "%s/traces/%s", CT_TEST_SOURCE_DIR, e->d_name);
        same_both_ways(path);
    }
    closedir(d);
    /* synthetic: every field set somewhere, losses, frames, odd and missing fields */
    tf_scratch_path(path, sizeof path, "synth.ctrace");
    cr_assert_eq(tf_write_synth(path, 11, 30000, 16384, NULL, NULL, NULL), CT_OK);
    same_both_ways(path);
    /* truncated */
    tf_scratch_path(cut, sizeof cut, "cut.ctrace");
    cr_assert_eq(tf_slurp(path, &buf, &len), 0);
    cr_assert_eq(tf_spit(cut, buf, len / 2), 0);
    free(buf);
    same_both_ways(cut);
}

/* Found by stats_wire_fuzz: protobuf-c accepts a header holding an unknown field whose
 * number (2^29, one past the largest) it truncates to 0, but cannot read its own
 * re-encoding back, which once made stats fail with "out of memory". The header is kept
 * without its unknown fields. */
Test(stats_wire, a_header_with_an_unreadable_unknown_field_is_kept_without_it)
{
    static const uint8_t rec[] = {
        0x0a, 0x0e,                          /* Record.header, 14 bytes */
        0x1a, 0x03, 'a', 'b', 'c',           /* producer_name "abc" */
        0x82, 0x80, 0x80, 0x80, 0x10,        /* tag: field 2^29, length-delimited */
        0x03, 'x', 'y', 'z'};
    Chimtrace__V1__Record *r = chimtrace__v1__record__unpack(NULL, sizeof rec, rec);
    stats_engine *s;
    int damaged = 1;

    cr_assert_not_null(r, "protobuf-c accepts it (else this test has nothing to pin)");
    cr_assert_eq(stats_new(NULL, &s, NULL), CT_OK);
    cr_assert_eq(stats_feed(s, r, NULL), CT_OK);
    cr_assert_not_null(stats_header(s));
    cr_expect_str_eq(stats_header(s)->producer_name, "abc");
    stats_free(s);
    cr_assert_eq(stats_new(NULL, &s, NULL), CT_OK);
    cr_assert_eq(stats_feed_encoded(s, rec, sizeof rec, &damaged, NULL), CT_OK);
    cr_expect_eq(damaged, 0);
    cr_assert_not_null(stats_header(s));
    stats_free(s);
    chimtrace__v1__record__free_unpacked(r, NULL);
}
