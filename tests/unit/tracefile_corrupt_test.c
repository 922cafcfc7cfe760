/* tracefile_corrupt_test.c - damaged and hostile files give clear errors, never a crash.
 *
 * Seeded bit flips over a valid multi-chunk trace check that damage stays local (a flip in
 * chunk i loses at most chunk i, FORMAT.md §7) and that every error is a known code with a
 * message and an offset inside the file. Hand-made files check the caps of §9 (declared
 * sizes are never trusted). Under the ASan build these are memory-safety checks as well.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "tf_helpers.h"

static char path[256], bad_path[256];

static void setup(void)
{
    tf_scratch_setup();
    tf_scratch_path(path, sizeof path, "t.ctrace");
    tf_scratch_path(bad_path, sizeof bad_path, "bad.ctrace");
}

TestSuite(corrupt, .init = setup, .fini = tf_scratch_teardown, .timeout = 300);

typedef struct fixture {
    tf_recs want;
    tf_chunk_list cl;
    size_t *cum;            /* cum[i]: records in chunks 0 .. i-1 */
    uint8_t *bytes;
    size_t size;
} fixture;

static void fixture_make(fixture *f, size_t records, uint64_t seed)
{
    ct_errinfo ei;
    tf_recs_init(&f->want);
    cr_assert_eq(tf_write_synth(path, seed, records, 4096, &f->want, NULL, &ei), CT_OK,
                 "%s", ei.msg);
    cr_assert_eq(tf_list_chunks(path, &f->cl, NULL, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(tf_slurp(path, &f->bytes, &f->size), 0);
    f->cum = calloc(f->cl.n + 1, sizeof *f->cum);
    for (size_t i = 0; i < f->cl.n; i++)
        f->cum[i + 1] = f->cum[i] + f->cl.v[i].records;
}

static void fixture_free(fixture *f)
{
    tf_recs_free(&f->want);
    free(f->cl.v);
    free(f->cum);
    free(f->bytes);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int allowed(ct_err e)
{
    return e == CT_ERR_CORRUPT || e == CT_ERR_LIMIT || e == CT_ERR_TRUNCATED ||
           e == CT_ERR_VERSION;
}

static void check_error(const ct_errinfo *ei, ct_err e, size_t size, const char *what)
{
    cr_assert(allowed(e), "%s: error code %d (%s): %s", what, e, ct_errname(e), ei->msg);
    cr_assert_eq(ei->code, e, "%s: errinfo code %d, returned %d", what, ei->code, e);
    cr_assert_neq(ei->msg[0], '\0', "%s: empty message", what);
    cr_assert(ei->offset != CT_NO_OFFSET && ei->offset <= size,
              "%s: offset %llu outside a %zu-byte file: %s", what,
              (unsigned long long)ei->offset, size, ei->msg);
}

/* Read `p` every way a tool would and check every error. Returns the read result. */
static void read_checked(const char *p, size_t size, tf_recs *got, tf_read_result *res,
                         size_t bound, const char *what)
{
    tf_recs_clear(got);
    ct_err e = tf_read_all(p, got, res, bound);
    if (e != CT_OK) {
        check_error(&res->open_ei, e, size, what);
        return;
    }
    cr_assert(!res->hit_bound, "%s: reader still returning after %zu calls", what, bound);
    cr_assert(res->ended, "%s: stopped without reaching the end", what);
    for (size_t i = 0; i < res->n_kept; i++)
        check_error(&res->err[i], res->err[i].code, size, what);

    /* Seeking and listing chunks must be just as safe. */
    ct_reader *r;
    ct_errinfo ei;
    const Chimtrace__V1__Record *rec;
    cr_assert_eq(ct_reader_open(p, &r, &ei), CT_OK);
    e = ct_reader_seek_seq(r, 50, &ei);
    cr_assert(e == CT_OK || e == CT_ERR_NOT_FOUND || allowed(e), "%s: seek_seq %d", what, e);
    (void)ct_reader_next(r, &rec, &ei);
    e = ct_reader_seek_time(r, 1000000, &ei);
    cr_assert(e == CT_OK || e == CT_ERR_NOT_FOUND || allowed(e), "%s: seek_time %d", what, e);
    (void)ct_reader_next(r, &rec, &ei);
    e = ct_reader_rewind(r, &ei);
    cr_assert(e == CT_OK || allowed(e), "%s: rewind %d", what, e);
    ct_reader_close(r);
    tf_chunk_list cl;
    e = tf_list_chunks(p, &cl, NULL, &ei);
    cr_assert(e == CT_OK || allowed(e), "%s: chunks %d", what, e);
    free(cl.v);
}

/* Which chunk holds byte `pos`: -1 file header, cl.n footer. */
static long region_of(const fixture *f, size_t pos)
{
    if (pos < f->cl.v[0].offset)
        return -1;
    for (size_t i = 0; i < f->cl.n; i++)
        if (pos < f->cl.v[i].end)
            return (long)i;
    return (long)f->cl.n;
}

/* Damage confined to chunk i: everything before it and after it comes back unchanged,
 * and at most chunk i's record count comes back in between. */
static void check_loss(const fixture *f, long chunk, const tf_recs *got, const char *what)
{
    size_t before = f->cum[chunk], after = f->want.n - f->cum[chunk + 1];
    size_t lost_max = f->cl.v[chunk].records;
    cr_assert_geq(got->n + lost_max, f->want.n, "%s: %zu records back of %zu; chunk %ld has "
                  "only %zu", what, got->n, f->want.n, chunk, lost_max);
    cr_assert_leq(got->n, f->want.n, "%s: more records than written", what);
    cr_assert_geq(got->n, before + after, "%s: records outside chunk %ld lost", what, chunk);
    cr_assert(tf_recs_equal(&f->want, 0, got, 0, before), "%s: chunks before %ld differ",
              what, chunk);
    cr_assert(tf_recs_equal(&f->want, f->want.n - after, got, got->n - after, after),
              "%s: chunks after %ld differ", what, chunk);
}

Test(corrupt, single_bit_flip_loses_at_most_the_chunk_it_hits)
{
    fixture f;
    tf_recs got;
    tf_read_result res;
    uint64_t rng = 1;
    fixture_make(&f, 300, 31);
    tf_recs_init(&got);
    uint8_t *copy = malloc(f.size);
    char what[128];
    for (int trial = 0; trial < 1500; trial++) {
        size_t bit = (size_t)(rng_next(&rng) % (f.size * 8));
        memcpy(copy, f.bytes, f.size);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(tf_spit(bad_path, copy, f.size), 0);
        snprintf(what, sizeof what, "flip of bit %zu (byte %zu)", bit % 8, bit / 8);
        read_checked(bad_path, f.size, &got, &res, f.want.n + 4 * f.cl.n + 64, what);
        long chunk = region_of(&f, bit / 8);
        if (chunk < 0)
            continue;       /* file header: refusing to open is right, reading is a bonus */
        cr_assert_eq(res.open_err, CT_OK, "%s: open failed: %s", what, res.open_ei.msg);
        if (chunk == (long)f.cl.n) {
            cr_assert_eq(got.n, f.want.n, "%s: footer damage lost records", what);
            cr_assert(tf_recs_equal(&f.want, 0, &got, 0, got.n), "%s", what);
        } else {
            check_loss(&f, chunk, &got, what);
        }
    }
    free(copy);
    tf_recs_free(&got);
    fixture_free(&f);
}

Test(corrupt, many_flips_and_smashed_ranges_never_crash_or_hang)
{
    fixture f;
    tf_recs got;
    tf_read_result res;
    uint64_t rng = 99;
    fixture_make(&f, 300, 32);
    tf_recs_init(&got);
    uint8_t *copy = malloc(f.size);
    char what[128];
    for (int trial = 0; trial < 800; trial++) {
        memcpy(copy, f.bytes, f.size);
        int flips = 2 + (int)(rng_next(&rng) % 7);
        for (int i = 0; i < flips; i++) {
            size_t bit = (size_t)(rng_next(&rng) % (f.size * 8));
            copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        if (trial % 4 == 0) {       /* a run of bytes overwritten, as a bad sector would */
            size_t at = (size_t)(rng_next(&rng) % f.size), n = 1 + rng_next(&rng) % 256;
            for (size_t i = at; i < at + n && i < f.size; i++)
                copy[i] = trial % 8 ? (uint8_t)rng_next(&rng) : 0;
        }
        cr_assert_eq(tf_spit(bad_path, copy, f.size), 0);
        snprintf(what, sizeof what, "trial %d (%d flips)", trial, flips);
        read_checked(bad_path, f.size, &got, &res, f.want.n + 4 * f.cl.n + 64, what);
        cr_assert_leq(got.n, f.want.n + f.cl.n, "%s: far more records than written", what);
    }
    free(copy);
    tf_recs_free(&got);
    fixture_free(&f);
}

Test(corrupt, garbage_files_are_refused_at_open_with_a_message)
{
    tf_recs got;
    tf_read_result res;
    uint64_t rng = 5;
    uint8_t buf[8192];
    char what[64];
    tf_recs_init(&got);
    for (int trial = 0; trial < 200; trial++) {
        size_t n = trial < 16 ? (size_t)trial : (size_t)(rng_next(&rng) % sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rng_next(&rng);
        cr_assert_eq(tf_spit(bad_path, buf, n), 0);
        snprintf(what, sizeof what, "%zu random bytes", n);
        read_checked(bad_path, n, &got, &res, 64, what);
        cr_assert_neq(res.open_err, CT_OK, "%s opened as a trace", what);
    }
    cr_assert_eq(tf_spit(bad_path, buf, 0), 0);
    cr_assert_eq(tf_read_all(bad_path, NULL, &res, 8), CT_ERR_TRUNCATED, "empty file");
    cr_assert_neq(res.open_ei.msg[0], '\0');
    tf_recs_free(&got);
}

Test(corrupt, plain_zstd_frame_of_non_protobuf_data_is_not_a_trace)
{
    tf_recs got;
    tf_read_result res;
    const char text[] = "this is not a protobuf message, and not a trace either\n";
    uint8_t frame[512];
    size_t n = ZSTD_compress(frame, sizeof frame, text, sizeof text, 1);
    cr_assert(!ZSTD_isError(n));
    cr_assert_eq(tf_spit(bad_path, frame, n), 0);
    tf_recs_init(&got);
    read_checked(bad_path, n, &got, &res, 16, "zstd frame");
    cr_assert_eq(res.open_err, CT_ERR_CORRUPT, "%s", res.open_ei.msg);
    cr_assert_eq(res.open_ei.offset, 0);
    tf_recs_free(&got);
}

Test(corrupt, data_frame_without_chunk_header_is_damage_not_records)
{
    fixture f;
    tf_recs got;
    tf_read_result res;
    fixture_make(&f, 40, 33);
    /* The intact file header, then a zstd frame of text where a chunk should be. */
    size_t hdr_end = f.cl.v[0].offset, cap = hdr_end + 1024;
    uint8_t *buf = malloc(cap);
    memcpy(buf, f.bytes, hdr_end);
    const char text[] = "\x0a\x05hello, not a record at all; \xff\xff\xff\xff\xff";
    size_t n = ZSTD_compress(buf + hdr_end, cap - hdr_end, text, sizeof text, 1);
    cr_assert(!ZSTD_isError(n));
    cr_assert_eq(tf_spit(bad_path, buf, hdr_end + n), 0);
    tf_recs_init(&got);
    read_checked(bad_path, hdr_end + n, &got, &res, 64, "stray data frame");
    cr_assert_eq(res.open_err, CT_OK, "%s", res.open_ei.msg);
    cr_assert_eq(got.n, 0, "no record may come from an unframed data frame");
    cr_assert_geq(res.n_errors, 1);
    free(buf);
    tf_recs_free(&got);
    fixture_free(&f);
}

/* CRC-32C (Castagnoli), bitwise: the tests build frames the spec describes. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

Test(corrupt, crc32c_matches_the_check_value_in_format_md)
{
    cr_assert_eq(crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
}

/* Chunk 1's header rewritten (CRC fixed up) with `field` (a payload offset, FORMAT.md §4.1)
 * set to `value`; the footer is cut off so the reader must trust the chunk headers. */
static size_t forge_chunk_header(const fixture *f, uint8_t *buf, size_t field, uint32_t value)
{
    size_t size = f->cl.v[f->cl.n - 1].end;
    memcpy(buf, f->bytes, size);
    uint8_t *payload = buf + f->cl.v[1].offset + 8;
    cr_assert_eq(memcmp(payload, "CTCH", 4), 0, "chunk 1 header is not where listed");
    cr_assert_eq(crc32c(payload, 60), payload[60] | payload[61] << 8 | payload[62] << 16 |
                 (uint32_t)payload[63] << 24, "CRC-32C of the chunk header disagrees");
    put32(payload + field, value);
    put32(payload + 60, crc32c(payload, 60));
    return size;
}

static void check_forged(const fixture *f, size_t field, uint32_t value, ct_err want)
{
    tf_recs got;
    tf_read_result res;
    uint8_t *buf = malloc(f->size);
    size_t size = forge_chunk_header(f, buf, field, value);
    cr_assert_eq(tf_spit(bad_path, buf, size), 0);
    tf_recs_init(&got);
    read_checked(bad_path, size, &got, &res, f->want.n + 64, "forged chunk header");
    cr_assert_eq(res.open_err, CT_OK, "%s", res.open_ei.msg);
    int seen = 0;
    for (size_t i = 0; i < res.n_kept; i++)
        seen |= res.err[i].code == want;
    cr_assert(seen, "field %zu = %u: want error %s, first error: %s", field, value,
              ct_errname(want), res.n_kept ? res.err[0].msg : "(none)");
    cr_assert(tf_recs_equal(&f->want, 0, &got, 0, f->cum[1]), "chunk 0 must survive");
    free(buf);
    tf_recs_free(&got);
}

Test(corrupt, chunk_headers_declaring_sizes_over_the_caps_are_refused_with_limit)
{
    fixture f;
    fixture_make(&f, 60, 34);
    check_forged(&f, 16, CT_MAX_CHUNK_BYTES + 1, CT_ERR_LIMIT);   /* raw_bytes */
    check_forged(&f, 16, 0xFFFFFFFFu, CT_ERR_LIMIT);
    check_forged(&f, 8, CT_MAX_CHUNK_RECORDS + 1, CT_ERR_LIMIT);  /* record_count */
    fixture_free(&f);
}

Test(corrupt, huge_declared_sizes_give_an_error_not_an_allocation)
{
    fixture f;
    tf_recs got;
    tf_read_result res;
    fixture_make(&f, 40, 35);
    tf_recs_init(&got);
    /* A skippable frame at byte 0 claiming 4 GiB. */
    uint8_t head[16] = {0x5C, 0x2A, 0x4D, 0x18, 0xF0, 0xFF, 0xFF, 0xFF, 'C', 'T', 'F', 'H'};
    cr_assert_eq(tf_spit(bad_path, head, sizeof head), 0);
    read_checked(bad_path, sizeof head, &got, &res, 16, "4 GiB file header");
    cr_assert_neq(res.open_err, CT_OK);
    /* The file header, then a chunk-header frame claiming 4 GiB. */
    size_t hdr_end = f.cl.v[0].offset;
    uint8_t *buf = malloc(hdr_end + 64);
    memcpy(buf, f.bytes, hdr_end);
    memcpy(buf + hdr_end, head, 8);
    memcpy(buf + hdr_end + 8, "CTCH", 4);
    memset(buf + hdr_end + 12, 0, 52);
    cr_assert_eq(tf_spit(bad_path, buf, hdr_end + 64), 0);
    read_checked(bad_path, hdr_end + 64, &got, &res, 64, "4 GiB chunk header");
    cr_assert_eq(got.n, 0);
    cr_assert_geq(res.n_errors, 1);
    /* The file header, then a zstd frame declaring 1 TiB of content with 3 bytes in it. */
    const uint8_t bomb[] = {0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0, 0, 0, 0, 0, 1, 0, 0,
                            0x19, 0, 0, 'a', 'b', 'c'};
    memcpy(buf + hdr_end, bomb, sizeof bomb);
    cr_assert_eq(tf_spit(bad_path, buf, hdr_end + sizeof bomb), 0);
    read_checked(bad_path, hdr_end + sizeof bomb, &got, &res, 64, "1 TiB zstd frame");
    cr_assert_eq(got.n, 0);
    cr_assert_geq(res.n_errors, 1);
    free(buf);
    tf_recs_free(&got);
    fixture_free(&f);
}
