/* export_test.c - `chimtrace export --chrome`: Trace Event Format JSON from traces.
 *
 * Hand-fed records pin the track design down (exact microsecond times, each stage on its
 * edge-pair track, overlapping instances on separate slots and slots reused, async pairs
 * when slots run out, incomplete and evicted instances, escaping); whole files go through
 * the CLI and tests/e2e/export_check.py, which parses the JSON with Python's json module
 * and checks structure, nesting, track names and the instance count against the trace:
 * every golden trace, a fresh real-time recording, a synthetic trace with losses and a
 * recording whose shim rings really overflowed, a truncated file, determinism, and that a
 * failed export leaves no file behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ct_print.h"
#include "export.h"
#include "tf_helpers.h"

TestSuite(export, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 120);

#define CHIMTRACE CT_TEST_BINARY_DIR "/cli/chimtrace"
#define CHECKER CT_TEST_SOURCE_DIR "/tests/e2e/export_check.py"

static int run(const char *cmd)
{
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp_text(const char *path)
{
    uint8_t *b = NULL;
    size_t n = 0;
    cr_assert_eq(tf_slurp(path, &b, &n), 0, "cannot read %s", path);
    char *s = realloc(b, n + 1);
    cr_assert_not_null(s);
    s[n] = '\0';
    return s;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- the escaper the exporter writes every string with ------------------------------------ */

Test(export, escaper_escapes_quotes_backslashes_and_control_characters)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    ct_print_json_string(f, "a\"b\\c\n\t\x01\x1f\x7f caf\xc3\xa9 \xff");
    fclose(f);
    cr_expect_str_eq(buf, "\"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\x7f caf\xc3\xa9 \\ufffd\"");
    free(buf);
}

/* ---- hand-fed records ----------------------------------------------------------------------- */

typedef struct doc {
    char *buf;
    size_t len;
    FILE *f;
    export_chrome *x;
    export_result res;
} doc;

static void doc_open(doc *d, const export_opts *o, const Chimtrace__V1__TraceHeader *h)
{
    memset(d, 0, sizeof *d);
    d->f = open_memstream(&d->buf, &d->len);
    cr_assert_not_null(d->f);
    cr_assert_eq(export_chrome_new(d->f, h, o, &d->x), CT_OK);
}

/* Finish, check the JSON with the Python checker (structure only) and return the text. */
static const char *doc_close(doc *d)
{
    cr_assert_eq(export_chrome_finish(d->x, &d->res), CT_OK);
    export_chrome_free(d->x);
    fclose(d->f);
    char path[256], cmd[1024];
    tf_scratch_path(path, sizeof path, "doc.json");
    cr_assert_eq(tf_spit(path, (const uint8_t *)d->buf, d->len), 0);
    snprintf(cmd, sizeof cmd, "python3 %s %s - %s", CHECKER, CHIMTRACE, path);
    cr_assert_eq(run(cmd), 0, "checker refused:\n%s", d->buf);
    return d->buf;
}

static void feed(doc *d, uint32_t op, uint32_t edge, uint64_t op_id, uint64_t seq, uint64_t ts,
                 uint32_t ring)
{
    Chimtrace__V1__Block b = CHIMTRACE__V1__BLOCK__INIT;
    Chimtrace__V1__Block *blocks[1] = {&b};
    b.has_index = 1;
    b.has_status = edge >= 3;
    b.status = 0xC0000001u; /* FAILURE */
    Chimtrace__V1__Event ev = CHIMTRACE__V1__EVENT__INIT;
    ev.has_seq = ev.has_ts_ns = ev.has_ring = ev.has_op = ev.has_edge = ev.has_op_id = 1;
    ev.seq = seq;
    ev.ts_ns = ts;
    ev.ring = ring;
    ev.op = (Chimtrace__V1__Operation)op;
    ev.edge = (Chimtrace__V1__Edge)edge;
    ev.op_id = op_id;
    ev.n_block = 1;
    ev.block = blocks;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT;
    rec.event = &ev;
    cr_assert_eq(export_chrome_add(d->x, &rec), CT_OK);
}

static void feed_all(doc *d, uint32_t op, uint64_t op_id, uint64_t seq0, const uint64_t *ts,
                     uint32_t ring)
{
    for (uint32_t e = 1; e <= 4; e++)
        feed(d, op, e, op_id, seq0 + e - 1, ts[e - 1], ring);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(export, instance_is_one_complete_event_with_each_stage_on_its_edge_track_in_exact_us)
{
    doc d;
    doc_open(&d, NULL, NULL);
    const uint64_t ts[4] = {1001, 1500, 51500, 52002};
    feed_all(&d, 1, 7, 10, ts, 2);
    const char *j = doc_close(&d);
    cr_expect(strstr(j, "{\"name\":\"INITIATE\",\"cat\":\"operation\",\"ph\":\"X\",\"ts\":1.001,"
                        "\"dur\":51.001,\"pid\":3,\"tid\":1,\"args\":{\"op\":\"INITIATE\","
                        "\"op_id\":7,\"object\":\"-\",\"ring\":2,\"blocks\":1,"
                        "\"status\":\"FAILURE\",\"failed_blocks\":1,") != NULL, "%s", j);
    cr_expect(strstr(j, "\"seq\":{\"req_in\":10,\"req_out\":11,\"cmpl_in\":12,\"cmpl_out\":13}")
              != NULL);
    cr_expect(strstr(j, "\"latency_ns\":{\"im_request\":499,\"nic\":50000,\"im_return\":502,"
                        "\"end_to_end\":51001},\"complete\":true") != NULL);
    cr_expect(strstr(j, "\"name\":\"IM in->down\",\"cat\":\"stage\",\"ph\":\"X\",\"ts\":1.001,"
                        "\"dur\":0.499,\"pid\":3,\"tid\":2") != NULL);
    cr_expect(strstr(j, "\"name\":\"NIC down->completion-in\",\"cat\":\"stage\",\"ph\":\"X\","
                        "\"ts\":1.500,\"dur\":50.000,\"pid\":3,\"tid\":3") != NULL);
    cr_expect(strstr(j, "\"name\":\"IM return completion-in->up\",\"cat\":\"stage\",\"ph\":\"X\","
                        "\"ts\":51.500,\"dur\":0.502,\"pid\":3,\"tid\":4") != NULL);
    cr_expect(strstr(j, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":3,\"tid\":0,\"args\":"
                        "{\"name\":\"ring 2\"}}") != NULL);
    cr_expect(strstr(j, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":3,\"tid\":1,\"args\":"
                        "{\"name\":\"operations 1\"}}") != NULL);
    cr_expect(strstr(j, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":3,\"tid\":3,\"args\":"
                        "{\"name\":\"operations 1: NIC down->completion-in\"}}") != NULL);
    cr_expect_eq(d.res.instances, 1);
    cr_expect_eq(d.res.incomplete, 0);
    free(d.buf);
}

Test(export, overlapping_instances_take_separate_slots_and_free_ones_are_reused)
{
    doc d;
    doc_open(&d, NULL, NULL);
    /* A [0, 100] and B [50, 150] overlap; C [150, 200] starts when B ends, D [120, 130]
     * starts while B is pending but after A ended. */
    feed(&d, 2, 1, 1, 1, 0, 0);            /* A edge 1: slot 1 */
    feed(&d, 2, 1, 2, 2, 50000, 0);        /* B edge 1: slot 2 */
    feed(&d, 2, 2, 1, 3, 60000, 0);
    feed(&d, 2, 3, 1, 4, 90000, 0);
    feed(&d, 2, 4, 1, 5, 100000, 0);       /* A ends: slot 1 free after 100 us */
    feed(&d, 4, 1, 4, 6, 120000, 0);       /* D: slot 1 again */
    feed(&d, 2, 2, 2, 7, 125000, 0);
    feed(&d, 4, 4, 4, 8, 130000, 0);       /* D only has edges 1 and 4 */
    feed(&d, 2, 3, 2, 9, 140000, 0);
    feed(&d, 2, 4, 2, 10, 150000, 0);      /* B ends */
    feed(&d, 3, 1, 3, 11, 150000, 0);      /* C: slot 1 (lowest free) */
    feed(&d, 3, 4, 3, 12, 200000, 0);
    const char *j = doc_close(&d);
    cr_expect(strstr(j, "\"name\":\"TERMINATE\",\"cat\":\"operation\",\"ph\":\"X\",\"ts\":0.000,"
                        "\"dur\":100.000,\"pid\":1,\"tid\":1") != NULL, "%s", j);
    cr_expect(strstr(j, "\"name\":\"TERMINATE\",\"cat\":\"operation\",\"ph\":\"X\",\"ts\":50.000,"
                        "\"dur\":100.000,\"pid\":1,\"tid\":5") != NULL);
    cr_expect(strstr(j, "\"name\":\"QUERY\",\"cat\":\"operation\",\"ph\":\"X\",\"ts\":120.000,"
                        "\"dur\":10.000,\"pid\":1,\"tid\":1") != NULL);
    cr_expect(strstr(j, "\"name\":\"UPDATE\",\"cat\":\"operation\",\"ph\":\"X\",\"ts\":150.000,"
                        "\"dur\":50.000,\"pid\":1,\"tid\":1") != NULL);
    cr_expect_eq(d.res.tracks, 8, "two slots of four tracks");
    cr_expect_eq(d.res.incomplete, 2, "D and C lack edges 2 and 3");
    cr_expect_eq(count(j, "\"complete\":false"), 2);
    cr_expect_eq(count(j, "\"cat\":\"stage\""), 6, "A and B have three stages, C and D none");
    free(d.buf);
}

Test(export, instances_beyond_the_slots_become_async_pairs)
{
    export_opts o;
    export_opts_init(&o);
    o.max_slots = 1;
    doc d;
    doc_open(&d, &o, NULL);
    const uint64_t a[4] = {0, 10, 90, 100}, b[4] = {20, 30, 40, 50};
    feed(&d, 1, 1, 1, 1, a[0], 0);
    feed_all(&d, 1, 2, 2, b, 0);           /* B while A holds the only slot */
    feed(&d, 1, 2, 1, 6, a[1], 0);
    feed(&d, 1, 3, 1, 7, a[2], 0);
    feed(&d, 1, 4, 1, 8, a[3], 0);
    const char *j = doc_close(&d);
    cr_expect_eq(d.res.async_instances, 1);
    cr_expect_eq(count(j, "\"ph\":\"b\""), 4, "%s", j);
    cr_expect_eq(count(j, "\"ph\":\"e\""), 4);
    cr_expect(strstr(j, "\"ph\":\"b\",\"ts\":0.020,\"pid\":1,\"tid\":0,\"id\":\"0x2\"") != NULL);
    free(d.buf);
}

Test(export, pending_instances_are_bounded_and_written_incomplete)
{
    export_opts o;
    export_opts_init(&o);
    o.max_pending = 2;
    doc d;
    doc_open(&d, &o, NULL);
    for (uint64_t i = 1; i <= 5; i++) /* five request-ins that never complete */
        feed(&d, 5, 1, i, i, i * 1000, 1);
    feed(&d, 5, 2, 5, 6, 9000, 1);
    const char *j = doc_close(&d);
    cr_expect_eq(d.res.instances, 5);
    cr_expect_eq(d.res.evicted, 3);
    cr_expect_eq(d.res.incomplete, 5);
    cr_expect_eq(count(j, "\"status\":\"pending\""), 5);
    cr_expect(strstr(j, "\"op_id\":5,\"object\":\"-\",\"from_seq\":5,\"to_seq\":6") != NULL,
              "the last one keeps its request stage: %s", j);
    free(d.buf);
}

Test(export, header_strings_are_escaped_and_losses_and_truncation_are_instants)
{
    Chimtrace__V1__TraceHeader h = CHIMTRACE__V1__TRACE_HEADER__INIT;
    h.workload = "we\"ird\\\n\x01name";
    h.hostname = "tab\there";
    doc d;
    doc_open(&d, NULL, &h);
    Chimtrace__V1__Loss l = CHIMTRACE__V1__LOSS__INIT;
    l.has_count = l.has_first_ts_ns = 1;
    l.count = 12;
    l.first_ts_ns = 3000;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS;
    rec.loss = &l;
    cr_assert_eq(export_chrome_add(d.x, &rec), CT_OK);
    cr_assert_eq(export_chrome_truncated(d.x, 4096, 4000, "truncated at \"byte\" 4096"), CT_OK);
    const char *j = doc_close(&d);
    cr_expect(strstr(j, "\"workload\":\"we\\\"ird\\\\\\u000a\\u0001name\"") != NULL, "%s", j);
    cr_expect(strstr(j, "\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":"
                        "\"chimtrace trace: we\\\"ird") != NULL);
    cr_expect(strstr(j, "\"name\":\"lost 12 events\",\"cat\":\"trace\",\"ph\":\"i\",\"s\":\"g\","
                        "\"ts\":3.000") != NULL);
    cr_expect(strstr(j, "\"kind\":\"truncation\",\"truncated_at_byte\":4096,"
                        "\"last_complete_chunk_ends_at_byte\":4000,\"message\":\"truncated at "
                        "\\\"byte\\\" 4096\"") != NULL);
    char path[256], cmd[1024];
    tf_scratch_path(path, sizeof path, "doc.json");
    snprintf(cmd, sizeof cmd, "python3 -c \"import json,sys; d=json.load(open(sys.argv[1])); "
             "h=d['metadata']['chimtrace_header']; "
             "sys.exit(h['workload']!='we\\\"ird\\\\\\\\\\n\\x01name' or "
             "h['hostname']!='tab\\there')\" %s", path);
    cr_expect_eq(run(cmd), 0, "strings do not round-trip through a JSON parser");
    free(d.buf);
}

/* ---- whole files through the CLI ------------------------------------------------------------ */

/* Export `trace` to `json` with the CLI; exit status. */
static int cli_export(const char *trace, const char *json, const char *extra, const char *err)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s export %s --chrome %s %s >/dev/null 2>%s", CHIMTRACE, trace,
             json, extra ? extra : "", err ? err : "/dev/null");
    return run(cmd);
}

static void check_file(const char *trace, const char *expect)
{
    char json[256], cmd[1024];
    tf_scratch_path(json, sizeof json, "out.json");
    cr_assert_eq(cli_export(trace, json, "-q", NULL), 0, "export %s", trace);
    snprintf(cmd, sizeof cmd, "python3 %s %s %s %s %s", CHECKER, CHIMTRACE, trace, json,
             expect ? expect : "");
    cr_assert_eq(run(cmd), 0, "checker refused the export of %s", trace);
}

Test(export, every_golden_trace_exports_to_valid_nested_json)
{
    static const char *const golden[] = {"basic", "churn", "deep", "exhaust", "mixed",
                                         "mixed-rt3", "storm"};
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
        char trace[512];
        snprintf(trace, sizeof trace, "%s/traces/%s.ctrace", CT_TEST_SOURCE_DIR, golden[i]);
        check_file(trace, "--expect-objects");
    }
}

Test(export, a_fresh_real_time_recording_exports_and_repeats_byte_for_byte)
{
    char trace[256], a[256], b[256], cmd[1024];
    tf_scratch_path(trace, sizeof trace, "rt.ctrace");
    snprintf(cmd, sizeof cmd, "%s record --workload storm --connections 48 --threads 3 -o %s "
             ">/dev/null 2>&1", CHIMTRACE, trace);
    cr_assert_eq(run(cmd), 0);
    check_file(trace, "--expect-objects");
    tf_scratch_path(a, sizeof a, "a.json");
    tf_scratch_path(b, sizeof b, "b.json");
    cr_assert_eq(cli_export(trace, a, NULL, NULL), 0);
    cr_assert_eq(cli_export(trace, b, "--max-slots 2", NULL), 0);
    snprintf(cmd, sizeof cmd, "python3 %s %s %s %s", CHECKER, CHIMTRACE, trace, b);
    cr_assert_eq(run(cmd), 0, "two slots per ring: async pairs must still check");
    cr_assert_eq(cli_export(trace, b, NULL, NULL), 0);
    char *x = slurp_text(a), *y = slurp_text(b);
    cr_expect_str_eq(x, y, "two exports of one trace differ");
    free(x);
    free(y);
}

static void make_synth(char *trace, const char *name)
{
    char cmd[1024];
    tf_scratch_path(trace, 256, name);
    snprintf(cmd, sizeof cmd, "%s synth -o %s --records 20000 --seed 5 >/dev/null 2>&1",
             CHIMTRACE, trace);
    cr_assert_eq(run(cmd), 0);
}

Test(export, losses_become_instant_events_counting_what_was_lost)
{
    char trace[256], cmd[1024];
    make_synth(trace, "synth.ctrace");
    check_file(trace, "--expect-loss");
    /* Real drops: 4000 connections' trees overflow 64 KiB shim rings (ring_full), the
     * same ones every run in deterministic mode. Their instances lack edges. */
    tf_scratch_path(trace, sizeof trace, "lossy.ctrace");
    snprintf(cmd, sizeof cmd, "%s record --workload storm --connections 4000 --ring-bytes 65536 "
             "--deterministic -o %s >/dev/null 2>&1", CHIMTRACE, trace);
    cr_assert_eq(run(cmd), 0);
    check_file(trace, "--expect-loss");
    char json[256];
    tf_scratch_path(json, sizeof json, "out.json");
    char *j = slurp_text(json);
    cr_expect(strstr(j, "\"cause\":\"ring_full\"") != NULL, "no ring_full loss");
    cr_expect(strstr(j, "\"complete\":false") != NULL, "no instance missing an edge");
    free(j);
}

Test(export, a_truncated_trace_exports_what_is_there_with_a_truncation_event)
{
    char trace[256], cut[256], json[256], err[256], cmd[1024];
    make_synth(trace, "synth.ctrace");
    tf_scratch_path(cut, sizeof cut, "cut.ctrace");
    uint8_t *b = NULL;
    size_t n = 0;
    cr_assert_eq(tf_slurp(trace, &b, &n), 0);
    cr_assert_eq(tf_spit(cut, b, n * 2 / 3), 0);
    free(b);
    tf_scratch_path(json, sizeof json, "cut.json");
    tf_scratch_path(err, sizeof err, "err.txt");
    cr_assert_eq(cli_export(cut, json, NULL, err), 0, "a truncated input exits 0");
    char *e = slurp_text(err);
    cr_expect(strstr(e, "warning: truncated at byte") != NULL, "stderr: %s", e);
    free(e);
    snprintf(cmd, sizeof cmd, "python3 %s %s %s %s --expect-truncation --expect-loss", CHECKER,
             CHIMTRACE, cut, json);
    cr_assert_eq(run(cmd), 0);
}

Test(export, a_failed_export_leaves_no_file_and_bad_arguments_exit_2)
{
    char json[256], tmp[300], dir[256], missing[256], cmd[1024];
    char trace[512];
    snprintf(trace, sizeof trace, "%s/traces/basic.ctrace", CT_TEST_SOURCE_DIR);
    tf_scratch_path(json, sizeof json, "x.json");
    snprintf(tmp, sizeof tmp, "%s.tmp", json);
    tf_scratch_path(missing, sizeof missing, "missing.ctrace");
    cr_expect_eq(cli_export(missing, json, NULL, NULL), 2);
    cr_expect(!exists(json) && !exists(tmp), "an unreadable input left a file");
    tf_scratch_path(dir, sizeof dir, "adir");
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    cr_expect_eq(cli_export(trace, dir, NULL, NULL), 2, "OUT is a directory: rename fails");
    cr_expect(!exists(tmp), "the temporary file was left behind");
    cr_assert_eq(tf_spit(json, (const uint8_t *)"old", 3), 0);
    cr_expect_eq(cli_export(trace, json, NULL, NULL), 0);
    char *t = slurp_text(json);
    cr_expect(strncmp(t, "{\"displayTimeUnit\"", 18) == 0, "OUT was not replaced");
    free(t);
    snprintf(cmd, sizeof cmd, "%s export --help >/dev/null", CHIMTRACE);
    cr_expect_eq(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s export %s >/dev/null 2>&1", CHIMTRACE, trace);
    cr_expect_eq(run(cmd), 2, "no --chrome");
    snprintf(cmd, sizeof cmd, "%s export >/dev/null 2>&1", CHIMTRACE);
    cr_expect_eq(run(cmd), 2, "no FILE");
    cr_expect_eq(cli_export(trace, json, "--max-slots 0", NULL), 2);
    cr_expect_eq(cli_export(trace, json, "--bogus", NULL), 2);
    snprintf(cmd, sizeof cmd, "%s export %s --chrome - -q | python3 -m json.tool >/dev/null",
             CHIMTRACE, trace);
    cr_expect_eq(run(cmd), 0, "'-' writes the JSON to standard output");
}
