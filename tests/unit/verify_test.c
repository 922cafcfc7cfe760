/* verify_test.c - the contract checker on whole recordings: every workload verifies clean
 * (deterministic, and real time with several host threads), IM faults injected on purpose
 * are caught by their rules, and lost events, a truncated file or cut trees turn findings
 * into notes - while the same gap without a Loss record stays a violation. One test per
 * rule, on mutated traces: verify_rules_test.c and verify_contract_test.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "im.h"
#include "recorder.h"
#include "tf_helpers.h"
#include "verify_fixture.h"

TestSuite(verify, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

static void expect_clean(const char *what, const vf_result *r)
{
    if (r->sum.violations)
        vf_dump(r);
    cr_assert_eq(r->sum.violations, 0, "%s: %llu violation(s)", what,
                 (unsigned long long)r->sum.violations);
}

Test(verify, every_deterministic_workload_verifies_clean)
{
    static const char *const workloads[] = { "basic", "storm", "churn", "exhaust", "deep",
                                             "mixed" };
    char path[256], name[64];
    vf_result r;

    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        snprintf(name, sizeof name, "%s.ctrace", workloads[i]);
        vf_record(workloads[i], 1, 1, 0, name, path, sizeof path);
        vf_verify(path, &r);
        expect_clean(workloads[i], &r);
        cr_assert_eq(r.sum.notes, 0, "%s: notes in a clean, complete trace", workloads[i]);
        cr_assert_gt(r.sum.ops_started, 0);
        cr_assert_eq(r.sum.ops_completed, r.sum.ops_started, "%s", workloads[i]);
        cr_assert_eq(r.sum.ops_in_flight_end, 0);
        cr_assert_eq(r.sum.objects_offloaded_end, 0, "%s ends with everything terminated",
                     workloads[i]);
        cr_assert_eq(r.sum.events_checked, r.sum.events);
        vf_result_free(&r);
    }
}

Test(verify, real_time_runs_with_several_host_threads_verify_clean)
{
    static const struct { const char *workload; uint32_t threads; } runs[] = {
        { "mixed", 3 }, { "storm", 2 }, { "churn", 3 }, { "exhaust", 2 } };
    char path[256], name[64];
    vf_result r;

    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        snprintf(name, sizeof name, "rt-%s.ctrace", runs[i].workload);
        vf_record(runs[i].workload, 0, runs[i].threads, 0, name, path, sizeof path);
        vf_verify(path, &r);
        expect_clean(runs[i].workload, &r);
        cr_assert_gt(r.sum.ops_completed, 0);
        if (!r.sum.loss_records)   /* 1 MiB rings: no loss expected, but a slow CI may drop */
            cr_assert_eq(r.sum.notes, 0, "%s: notes without losses", runs[i].workload);
        vf_result_free(&r);
    }
}

/* A driver bug on purpose (the IM's fault switch) shows as its own rule, and only it. */
Test(verify, im_driver_faults_are_caught_by_their_rules)
{
    static const struct { const char *fault, *rule; } faults[] = {
        { "forget-im-reserved", "restore.im_reserved" },
        { "pass-own-handle", "restore.im_handle_leak" },
        { "dup-completion", "completion.duplicate" },
        { "context-on-failure", "ctx.written_on_failure" },
        { "wrong-status", "ctx.not_written" },  /* failures reported as SUCCESS */
    };
    char path[256], name[64];
    vf_result r;

    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        uint32_t mask = im_fault_parse(faults[i].fault);
        cr_assert_neq(mask, 0, "unknown fault %s", faults[i].fault);
        snprintf(name, sizeof name, "%s.ctrace", faults[i].fault);
        vf_record("exhaust", 1, 1, mask, name, path, sizeof path);
        vf_verify(path, &r);
        uint64_t hits = vf_count(&r, faults[i].rule, VERIFY_VIOLATION);
        if (hits == 0 || hits != r.sum.violations)
            vf_dump(&r);
        cr_assert_gt(hits, 0, "%s: no %s violation", faults[i].fault, faults[i].rule);
        cr_assert_eq(hits, r.sum.violations, "%s: other rules fired too", faults[i].fault);
        vf_result_free(&r);
    }
}

/* Removes the last two edges of basic's query and returns their seqs. */
static void drop_query_completion(vf_trace *t, uint64_t *lo, uint64_t *hi)
{
    Chimtrace__V1__Event *e3 = vf_event(t, QUERY, 0, 3), *e4 = vf_event(t, QUERY, 0, 4);
    *lo = e3->seq;
    *hi = e4->seq;
    vf_remove(t, vf_index(t, e4));
    vf_remove(t, vf_index(t, e3));
}

Test(verify, lost_events_turn_findings_into_notes_even_when_the_loss_record_comes_late)
{
    char path[256], out[256];
    uint64_t lo, hi;
    vf_trace t;
    vf_result r;

    vf_record("basic", 1, 1, 0, "basic.ctrace", path, sizeof path);
    vf_load(path, &t);
    drop_query_completion(&t, &lo, &hi);
    /* Say so, as the recorder does when a ring overflows. */
    Chimtrace__V1__Record *rec = vf_dup_record(t.rec[0]);
    protobuf_c_message_free_unpacked(&rec->event->base, NULL);
    rec->kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS;
    rec->loss = malloc(sizeof *rec->loss);
    cr_assert_not_null(rec->loss);
    chimtrace__v1__loss__init(rec->loss);
    rec->loss->has_ring = rec->loss->has_count = 1;
    rec->loss->ring = 1, rec->loss->count = 2;
    rec->loss->has_first_seq = rec->loss->has_last_seq = 1;
    rec->loss->first_seq = lo, rec->loss->last_seq = hi;
    rec->loss->has_cause = 1;
    rec->loss->cause = CHIMTRACE__V1__LOSS_CAUSE__LOSS_RING_FULL;
    /* Where the recorder puts it: when its drain learns of the drop, here after every
     * event; the run summary counts it. */
    size_t end = t.n;
    while (end > 0 && t.rec[end - 1]->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
        end--;
    vf_insert(&t, end, rec);
    Chimtrace__V1__RunSummary *sum = t.rec[t.n - 1]->summary;
    cr_assert_eq(t.rec[t.n - 1]->kind_case, CHIMTRACE__V1__RECORD__KIND_SUMMARY);
    sum->has_lost_events = sum->has_loss_records = 1;
    sum->lost_events = 2, sum->loss_records = 1;
    tf_scratch_path(out, sizeof out, "lossy.ctrace");
    vf_save(&t, out);
    vf_free(&t);
    vf_verify(out, &r);
    expect_clean("lossy", &r);
    cr_assert_eq(vf_count(&r, "trace.loss", VERIFY_NOTE), 1);
    cr_assert_eq(vf_count(&r, "completion.missing", VERIFY_NOTE), 1);
    cr_assert_eq(vf_count(&r, "life.terminate_busy", VERIFY_NOTE), 3, "query still 'in flight'");
    cr_assert_eq(r.sum.loss_records, 1);
    cr_assert_eq(r.sum.lost_events, 2);
    vf_result_free(&r);
}

Test(verify, the_same_gap_without_a_loss_record_is_a_violation)
{
    char path[256], out[256];
    uint64_t lo, hi;
    vf_trace t;
    vf_result r;

    vf_record("basic", 1, 1, 0, "basic.ctrace", path, sizeof path);
    vf_load(path, &t);
    drop_query_completion(&t, &lo, &hi);
    uint64_t req_out = vf_event(&t, QUERY, 0, 2)->seq;
    uint64_t term = vf_event(&t, TERMINATE, 0, 1)->seq;
    tf_scratch_path(out, sizeof out, "gap.ctrace");
    vf_save(&t, out);
    vf_free(&t);
    vf_verify(out, &r);
    cr_assert_eq(vf_count(&r, "completion.missing", VERIFY_VIOLATION), 1);
    cr_assert_eq(vf_count(&r, "life.terminate_busy", VERIFY_VIOLATION), 3);
    cr_assert_eq(r.sum.violations, 4);
    for (size_t i = 0; i < r.n; i++)
        if (strcmp(r.f[i].rule, "completion.missing") == 0)
            cr_assert_eq(r.f[i].seq, req_out, "reported at the last edge seen");
        else if (strcmp(r.f[i].rule, "life.terminate_busy") == 0)
            cr_assert_eq(r.f[i].seq, term);
    vf_result_free(&r);
}

/* mixed, written in the smallest chunks, so that damage or a cut keeps most of it. */
static void small_chunk_trace(char *out, size_t size, const char *name)
{
    char path[256];
    ct_writer_opts wo;
    ct_writer *w = NULL;
    ct_errinfo ei = { 0 };
    vf_trace t;

    vf_record("mixed", 1, 1, 0, "mixed.ctrace", path, sizeof path);
    vf_load(path, &t);
    tf_scratch_path(out, size, name);
    ct_writer_opts_init(&wo);
    wo.chunk_bytes = CT_CHUNK_MIN_BYTES;
    cr_assert_eq(ct_writer_open(out, t.hdr, &wo, &w, &ei), CT_OK, "%s", ei.msg);
    for (size_t i = 0; i < t.n; i++)
        cr_assert_eq(ct_writer_append(w, t.rec[i], &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);
    vf_free(&t);
}

Test(verify, a_truncated_file_is_reported_and_unfinished_operations_are_notes)
{
    char out[256];
    vf_result r;

    small_chunk_trace(out, sizeof out, "cut.ctrace");
    uint8_t *buf;
    size_t len;
    cr_assert_eq(tf_slurp(out, &buf, &len), 0);
    int open_ops = 0;
    /* Cut at several places: wherever the cut falls, nothing becomes a violation, and the
     * operations it leaves open are notes. */
    for (size_t k = 1; k < 10; k++) {
        char cut[256];
        tf_scratch_path(cut, sizeof cut, "cut-part.ctrace");
        cr_assert_eq(tf_spit(cut, buf, len * k / 10), 0);
        vf_verify(cut, &r);
        expect_clean("truncated", &r);
        cr_assert(r.sum.truncated);
        cr_assert_eq(vf_count(&r, "trace.truncated", VERIFY_NOTE), 1);
        cr_assert_eq(vf_count(&r, "completion.missing", VERIFY_NOTE), r.sum.ops_in_flight_end);
        cr_assert_eq(vf_count(&r, "life.leak", VERIFY_NOTE), 0, "no leak hints on a cut trace");
        open_ops += r.sum.ops_in_flight_end > 0;
        vf_result_free(&r);
    }
    free(buf);
    cr_assert_gt(open_ops, 0, "no cut left an operation open");
}

Test(verify, a_damaged_chunk_is_noted_and_what_it_hid_is_not_a_violation)
{
    char out[256];
    uint8_t *buf;
    size_t len;
    vf_result r;

    small_chunk_trace(out, sizeof out, "damaged.ctrace");
    cr_assert_eq(tf_slurp(out, &buf, &len), 0);
    buf[len / 2] ^= 0x5A;   /* inside a chunk: its CRC or zstd checksum fails */
    cr_assert_eq(tf_spit(out, buf, len), 0);
    free(buf);
    vf_verify(out, &r);
    expect_clean("damaged", &r);
    cr_assert_geq(r.sum.damaged_chunks, 1);
    cr_assert_eq(vf_count(&r, "trace.damaged", VERIFY_NOTE), r.sum.damaged_chunks);
    cr_assert_lt(r.sum.events, 80, "the damaged chunk's events are gone");
    cr_assert_eq(vf_count(&r, "life.leak", VERIFY_NOTE), 0, "no leak hints on a damaged trace");
    vf_result_free(&r);
}

Test(verify, trees_cut_at_the_capture_limit_are_notes)
{
    char path[256];
    ct_record_opts o;
    ct_record_result res;
    ct_errinfo ei = { 0 };
    vf_result r;

    tf_scratch_path(path, sizeof path, "deep-cut.ctrace");
    ct_record_opts_init(&o);
    o.workload = "deep";
    o.seed = 7;
    o.deterministic = 1;
    o.max_blocks = 8;
    o.out_path = path;
    cr_assert_eq(ct_record_run(&o, &res, &ei), CT_OK, "%s", ei.msg);
    cr_assert_gt(res.truncated_trees, 0);
    vf_verify(path, &r);
    expect_clean("deep cut at 8 blocks", &r);
    cr_assert_gt(vf_count(&r, "tree.truncated", VERIFY_NOTE), 0);
    cr_assert_eq(r.sum.truncated_trees, res.truncated_trees);
    vf_result_free(&r);
}

Test(verify, objects_left_offloaded_at_a_clean_end_are_leak_notes)
{
    char path[256], out[256];
    vf_trace t;
    vf_result r;

    vf_record("basic", 1, 1, 0, "basic.ctrace", path, sizeof path);
    vf_load(path, &t);
    for (int e = 4; e >= 1; e--)
        vf_remove(&t, vf_index(&t, vf_event(&t, TERMINATE, 0, e)));
    tf_scratch_path(out, sizeof out, "kept.ctrace");
    vf_save(&t, out);
    vf_free(&t);
    vf_verify(out, &r);
    expect_clean("no terminate", &r);
    cr_assert_eq(vf_count(&r, "life.leak", VERIFY_NOTE), 3, "neighbor, path and TCP");
    cr_assert_eq(r.sum.objects_offloaded_end, 3);
    for (size_t i = 0; i < r.n; i++)
        cr_assert_str_neq(r.f[i].object, "-", "leak notes name the object");
    vf_result_free(&r);
}

Test(verify, without_an_abi_sizes_are_not_judged_and_that_is_noted)
{
    char path[256], out[256];
    vf_trace t;
    vf_result r;

    vf_record("basic", 1, 1, 0, "basic.ctrace", path, sizeof path);
    vf_load(path, &t);
    t.hdr->has_abi = 0;
    for (int e = 1; e <= 4; e++)    /* x86's block size: not judged without an ABI */
        vf_blk(vf_event(&t, INITIATE, 0, e), 0)->header_size = 0x4c;
    tf_scratch_path(out, sizeof out, "no-abi.ctrace");
    vf_save(&t, out);
    vf_free(&t);
    vf_verify(out, &r);
    expect_clean("no ABI", &r);
    cr_assert_eq(vf_count(&r, "trace.abi", VERIFY_NOTE), 1);
    cr_assert_eq(r.sum.abi, 0);
    cr_assert_eq(r.sum.notes, 1);
    vf_result_free(&r);
}

/* basic re-labelled as an x86 trace of NDIS `ndis`, with the x86 sizes written in. */
static void as_x86(const char *path, const char *out, uint32_t ndis, uint32_t tcp_delegated)
{
    vf_trace t;

    vf_load(path, &t);
    t.hdr->abi = CHIMTRACE__V1__ABI__ABI_X86;
    t.hdr->ndis_version = ndis;
    for (size_t i = 0; i < t.n; i++) {
        Chimtrace__V1__Event *ev = t.rec[i]->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT
                                       ? t.rec[i]->event
                                       : NULL;
        for (size_t j = 0; ev && j < ev->n_block; j++) {
            Chimtrace__V1__Block *b = ev->block[j];
            b->header_size = 0x4c;
            if (b->path_const)
                b->path_const->length = 0x10;
            if (b->tcp_delegated)
                b->tcp_delegated->length = tcp_delegated;
        }
    }
    vf_save(&t, out);
    vf_free(&t);
}

Test(verify, x86_traces_are_judged_by_x86_sizes)
{
    char path[256], out[256];
    vf_result r;

    vf_record("mixed", 1, 1, 0, "mixed.ctrace", path, sizeof path);
    tf_scratch_path(out, sizeof out, "x86.ctrace");
    as_x86(path, out, 0x00060001, 0x70);
    vf_verify(out, &r);
    expect_clean("x86, NDIS 6.1", &r);
    vf_result_free(&r);
    as_x86(path, out, 0x00060000, 0x6c);   /* NDIS 6.0 headers: no DWnd */
    vf_verify(out, &r);
    expect_clean("x86, NDIS 6.0", &r);
    vf_result_free(&r);
    as_x86(path, out, 0x00060001, 0x6c);   /* 6.1 needs DWnd: too short */
    vf_verify(out, &r);
    cr_assert_gt(vf_count(&r, "state.length", VERIFY_VIOLATION), 0);
    cr_assert_eq(vf_count(&r, "state.length", VERIFY_VIOLATION), r.sum.violations);
    vf_result_free(&r);
}

Test(verify, rule_table_ids_are_unique_and_documented)
{
    size_t n;
    const verify_rule_info *rules = verify_rules(&n);
    uint8_t *doc;
    size_t len;

    cr_assert_gt(n, 40);
    cr_assert_eq(tf_slurp(CT_TEST_SOURCE_DIR "/replay/verify/RULES.md", &doc, &len), 0);
    char *text = realloc(doc, len + 1);
    cr_assert_not_null(text);
    text[len] = '\0';
    for (size_t i = 0; i < n; i++) {
        char needle[64];
        cr_assert_eq(verify_rule_index(rules[i].id), (int)i, "%s twice", rules[i].id);
        snprintf(needle, sizeof needle, "`%s`", rules[i].id);
        cr_assert_not_null(strstr(text, needle), "RULES.md does not document %s", rules[i].id);
    }
    cr_assert_eq(verify_rule_index("no.such_rule"), -1);
    free(text);
}

Test(verify, records_after_finish_are_refused)
{
    verify *v = NULL;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;

    cr_assert_eq(verify_new(NULL, &v), CT_OK);
    cr_assert_eq(verify_record(v, &rec), CT_OK);
    cr_assert_eq(verify_finish(v, 0), CT_OK);
    cr_assert_eq(verify_record(v, &rec), CT_ERR_STATE);
    cr_assert_eq(verify_finish(v, 0), CT_ERR_STATE);
    verify_free(v);
    verify_free(NULL);
}
