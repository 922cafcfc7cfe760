/* replay_test.c - `chimtrace replay`: scripted replay of every workload reproduces its
 * recording event for event and byte for byte; a real-time recording with three threads
 * and repeated replays give byte-identical outputs; model mode writes a valid trace; a
 * corrupted input, a lost event, a truncated file and a buggy IM driver are reported (or
 * survived) as they should be; the CLI's exit codes. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "im.h"
#include "replay_helpers.h"

TestSuite(replay, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 120);

static void path_of(char *out, const char *name)
{
    tf_scratch_path(out, 256, name);
}

static void record_or_die(const char *workload, int deterministic, uint32_t threads,
                          const char *path)
{
    ct_errinfo ei = {0};
    cr_assert_eq(rh_record(workload, deterministic, threads, 0, 0, path, &ei), 0,
                 "record %s: %s", workload, ei.msg);
}

static void replay_or_die(const char *in, const char *out, replay_nic_mode nic, uint32_t faults,
                          int stop, rh_divs *divs, replay_result *res)
{
    ct_errinfo ei = {0};
    cr_assert_eq(rh_replay(in, out, nic, faults, stop, divs, res, &ei), CT_OK, "replay %s: %s",
                 in, ei.msg);
}

/* ---- an unchanged driver reproduces its recordings ---------------------------------------- */

static void check_reproduces(const char *workload)
{
    char in[256], out[256];
    path_of(in, "in.ctrace");
    path_of(out, "out.ctrace");
    record_or_die(workload, 1, 1, in);
    replay_result res;
    replay_or_die(in, out, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &res);
    cr_assert_eq(res.divergences, 0, "%s: %llu divergences", workload,
                 (unsigned long long)res.divergences);
    cr_assert_gt(res.in_events, 0);
    cr_assert_eq(res.replayed, res.instances, "%s: instances skipped", workload);
    cr_assert_eq(res.host_outstanding + res.host_unknown + res.host_duplicate, 0);
    cr_assert_eq(im_live_call_entries() + im_live_offload_entries(), 0, "the IM leaked");

    /* Event for event, byte for byte: op, edge, op_id, seq, ts, ring and every block field
     * with its ids - packed Event messages compared whole. */
    tf_recs a, b;
    tf_recs_init(&a);
    tf_recs_init(&b);
    Chimtrace__V1__TraceHeader *hin = NULL, *hout = NULL;
    cr_assert_eq(rh_events(in, &a, &hin), 0);
    cr_assert_eq(rh_events(out, &b, &hout), 0);
    cr_assert_eq(a.n, b.n, "%s: %zu events recorded, %zu replayed", workload, a.n, b.n);
    long d = tf_recs_first_diff(&a, &b);
    cr_assert_eq(d, -1, "%s: event %ld differs", workload, d);
    cr_assert_eq(res.identical, a.n);

    /* OUT says what it is: a scripted replay of IN. */
    cr_assert(hout->has_source_trace_uuid && hin->has_trace_uuid);
    cr_assert_eq(hout->source_trace_uuid.len, 16);
    cr_assert_arr_eq(hout->source_trace_uuid.data, hin->trace_uuid.data, 16);
    cr_assert_arr_neq(hout->trace_uuid.data, hin->trace_uuid.data, 16);
    cr_assert_str_eq(hout->capture->nic_mode, "scripted");
    cr_assert_str_eq(hout->workload, hin->workload);
    chimtrace__v1__trace_header__free_unpacked(hin, NULL);
    chimtrace__v1__trace_header__free_unpacked(hout, NULL);
    tf_recs_free(&a);
    tf_recs_free(&b);
}

Test(replay, basic_replays_byte_for_byte) { check_reproduces("basic"); }
Test(replay, storm_replays_byte_for_byte) { check_reproduces("storm"); }
Test(replay, churn_replays_byte_for_byte) { check_reproduces("churn"); }
Test(replay, exhaust_replays_byte_for_byte) { check_reproduces("exhaust"); }
Test(replay, deep_replays_byte_for_byte) { check_reproduces("deep"); }
Test(replay, mixed_replays_byte_for_byte) { check_reproduces("mixed"); }

/* ---- determinism ------------------------------------------------------------------------ */

Test(replay, real_time_recording_with_three_threads_replays_deterministically)
{
    char in[256], out1[256], out2[256];
    path_of(in, "rt.ctrace");
    path_of(out1, "out1.ctrace");
    path_of(out2, "out2.ctrace");
    record_or_die("mixed", 0, 3, in);
    replay_result r1, r2;
    replay_or_die(in, out1, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &r1);
    replay_or_die(in, out2, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &r2);
    cr_assert(rh_files_equal(out1, out2), "two replays of one real-time trace differ");
    /* Timing and numbering follow the replay, not the threads; what was observed does not. */
    cr_assert_eq(r1.divergences, 0, "%llu divergences; first: %s",
                 (unsigned long long)r1.divergences, r1.first.fields);
    cr_assert_eq(r1.out_events, r1.in_events);
    cr_assert_eq(r1.compared, r1.in_events);
}

Test(replay, repeated_replays_are_byte_identical)
{
    char in[256], out[256], again[256];
    path_of(in, "in.ctrace");
    path_of(out, "out.ctrace");
    path_of(again, "again.ctrace");
    record_or_die("churn", 1, 2, in);
    replay_result res;
    replay_or_die(in, out, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &res);
    for (int i = 0; i < 3; i++) {
        replay_or_die(in, again, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &res);
        cr_assert(rh_files_equal(out, again), "replay %d differs from the first", i + 2);
    }
}

/* ---- model mode ------------------------------------------------------------------------- */

Test(replay, model_mode_writes_a_valid_trace)
{
    char in[256], out[256];
    path_of(in, "in.ctrace");
    path_of(out, "model.ctrace");
    record_or_die("mixed", 0, 2, in);
    replay_result res;
    replay_or_die(in, out, REPLAY_NIC_MODEL, 0, 0, NULL, &res);
    cr_assert_eq(res.out_events, 4 * res.replayed, "%llu events for %llu instances",
                 (unsigned long long)res.out_events, (unsigned long long)res.replayed);
    tf_read_result rr;
    cr_assert_eq(tf_read_all(out, NULL, &rr, 1000000), CT_OK);
    cr_assert(rr.ended && rr.n_errors == 0 && rr.status.has_footer);
    tf_recs ev;
    tf_recs_init(&ev);
    Chimtrace__V1__TraceHeader *h = NULL;
    cr_assert_eq(rh_events(out, &ev, &h), 0);
    cr_assert_eq(ev.n, res.out_events);
    cr_assert_str_eq(h->capture->nic_mode, "model");
    chimtrace__v1__trace_header__free_unpacked(h, NULL);
    tf_recs_free(&ev);
}

/* ---- a damaged input -------------------------------------------------------------------- */

typedef struct edit_target {
    uint64_t op_id;
    uint32_t edge;
    int drop;
    uint32_t block, status;
    int hits;
} edit_target;

static int edit_event(void *ctx, Chimtrace__V1__Event *ev)
{
    edit_target *t = ctx;
    if (ev->op_id != t->op_id || ev->edge != t->edge)
        return 1;
    t->hits++;
    if (t->drop)
        return 0;
    ev->block[t->block]->status = t->status;
    return 1;
}

/* basic's first operation offloads neighbor, path and TCP connection (blocks 0, 1, 2). */
static void corrupt_initiate_status(const char *in, const char *bad)
{
    record_or_die("basic", 1, 1, in);
    edit_target t = {.op_id = 1, .edge = 3, .block = 2, .status = 0xC0000001u};
    cr_assert_eq(rh_copy_trace(in, bad, edit_event, &t), 0);
    cr_assert_eq(t.hits, 1);
}

Test(replay, changed_completion_status_is_reported_at_edge_4_with_the_object)
{
    char in[256], bad[256], out[256];
    path_of(in, "in.ctrace");
    path_of(bad, "bad.ctrace");
    path_of(out, "out.ctrace");
    corrupt_initiate_status(in, bad);
    rh_divs divs;
    replay_result res;
    replay_or_die(bad, out, REPLAY_NIC_SCRIPTED, 0, 0, &divs, &res);
    cr_assert_gt(res.divergences, 0);
    cr_assert(res.has_first);
    /* The NIC said what the (corrupted) script says, so edge 3 agrees; the IM then hands
     * up FAILURE where IN's driver handed up SUCCESS: edge 4 of that instance. */
    const replay_divergence *d = &res.first;
    cr_assert_eq(d->kind, REPLAY_DIV_FIELDS);
    cr_assert_eq(d->in_op_id, 1);
    cr_assert_eq(d->edge, 4, "first divergence at edge %u: %s", d->edge, d->fields);
    cr_assert(strncmp(d->object, "tcp ", 4) == 0, "object named '%s'", d->object);
    cr_assert(strstr(d->fields, "block[2].status") != NULL, "fields: %s", d->fields);
    cr_assert_eq(divs.n > 0 ? divs.v[0].out_seq : 0, d->out_seq);
}

Test(replay, missing_completion_in_event_skips_its_instance_without_hanging)
{
    char in[256], bad[256], out[256];
    path_of(in, "in.ctrace");
    path_of(bad, "lost.ctrace");
    path_of(out, "out.ctrace");
    record_or_die("mixed", 1, 1, in);
    edit_target t = {.op_id = 2, .edge = 3, .drop = 1};
    cr_assert_eq(rh_copy_trace(in, bad, edit_event, &t), 0);
    cr_assert_eq(t.hits, 1);
    replay_result res;
    replay_or_die(bad, out, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &res);
    cr_assert_eq(res.skipped_missing, 1);
    cr_assert_eq(res.replayed, res.instances - 1);
    cr_assert_eq(res.host_outstanding, 0, "a request never completed");
    tf_read_result rr;
    cr_assert_eq(tf_read_all(out, NULL, &rr, 1000000), CT_OK);
    cr_assert(rr.ended && rr.n_errors == 0);
}

Test(replay, truncated_input_replays_what_it_has)
{
    char in[256], cut[256], out[256];
    path_of(in, "in.ctrace");
    path_of(cut, "cut.ctrace");
    path_of(out, "out.ctrace");
    ct_errinfo ei = {0};
    cr_assert_eq(rh_record("churn", 1, 1, 48, 4096, in, &ei), 0, "%s", ei.msg);
    uint8_t *buf;
    size_t len;
    cr_assert_eq(tf_slurp(in, &buf, &len), 0);
    cr_assert_eq(tf_spit(cut, buf, len / 2), 0);
    free(buf);
    replay_result res;
    replay_or_die(cut, out, REPLAY_NIC_SCRIPTED, 0, 0, NULL, &res);
    cr_assert_gt(res.in_read_errors, 0, "the truncation went unnoticed");
    cr_assert_gt(res.replayed, 0, "nothing before the cut was replayed");
    cr_assert_eq(res.host_outstanding, 0);
    tf_read_result rr;
    cr_assert_eq(tf_read_all(out, NULL, &rr, 1000000), CT_OK);
    cr_assert(rr.ended && rr.n_errors == 0);
}

Test(replay, stop_at_divergence_stops_early_and_still_writes_a_valid_trace)
{
    char in[256], bad[256], out[256];
    path_of(in, "in.ctrace");
    path_of(bad, "bad.ctrace");
    path_of(out, "out.ctrace");
    corrupt_initiate_status(in, bad);
    replay_result res;
    replay_or_die(bad, out, REPLAY_NIC_SCRIPTED, 0, 1, NULL, &res);
    cr_assert(res.stopped);
    cr_assert_eq(res.divergences, 1);
    cr_assert_lt(res.out_events, res.in_events);
    cr_assert_gt(res.not_reached, 0);
    cr_assert_eq(res.host_outstanding, 0, "the requests in flight were not wound down");
    tf_read_result rr;
    cr_assert_eq(tf_read_all(out, NULL, &rr, 1000000), CT_OK);
    cr_assert(rr.ended && rr.n_errors == 0 && rr.status.has_footer);
}

Test(replay, stop_in_model_mode_lets_requests_in_flight_finish)
{
    char in[256], out[256];
    path_of(in, "in.ctrace");
    path_of(out, "out.ctrace");
    record_or_die("mixed", 1, 1, in);
    replay_result res;
    replay_or_die(in, out, REPLAY_NIC_MODEL, im_fault_parse("dup-completion"), 1, NULL, &res);
    cr_assert(res.stopped);
    cr_assert_eq(res.divergences, 1);
    cr_assert_eq(res.host_outstanding, 0);
    cr_assert_eq(im_live_call_entries() + im_live_offload_entries(), 0,
                 "the simulated NIC's completions were dropped: the IM still holds requests");
}

/* ---- a buggy driver --------------------------------------------------------------------- */

static void check_fault(const char *workload, const char *fault, replay_div_kind kind)
{
    char in[256], out[256];
    path_of(in, "in.ctrace");
    path_of(out, "out.ctrace");
    record_or_die(workload, 1, 1, in);
    uint32_t mask = im_fault_parse(fault);
    cr_assert_neq(mask, UINT32_MAX);
    rh_divs divs;
    replay_result res;
    replay_or_die(in, out, REPLAY_NIC_SCRIPTED, mask, 0, &divs, &res);
    cr_assert_gt(res.divergences, 0, "%s went unnoticed", fault);
    cr_assert_eq(res.first.kind, kind, "%s: first divergence is %s: %s", fault,
                 replay_div_kind_name(res.first.kind), res.first.fields);
    cr_assert_neq(res.first.edge, 1, "%s: the request side cannot differ", fault);
}

Test(replay, im_forgetting_im_reserved_is_a_field_divergence)
{
    check_fault("mixed", "forget-im-reserved", REPLAY_DIV_FIELDS);
}
Test(replay, im_forgetting_source_handle_is_a_field_divergence)
{
    check_fault("mixed", "forget-source-handle", REPLAY_DIV_FIELDS);
}
Test(replay, im_passing_its_own_handle_up_is_a_field_divergence)
{
    check_fault("mixed", "pass-own-handle", REPLAY_DIV_FIELDS);
}
Test(replay, im_dropping_a_completion_is_a_missing_event)
{
    check_fault("mixed", "drop-completion", REPLAY_DIV_MISSING);
}
Test(replay, im_duplicating_a_completion_is_an_extra_event)
{
    check_fault("mixed", "dup-completion", REPLAY_DIV_EXTRA);
}
Test(replay, im_rewriting_statuses_is_a_field_divergence)
{
    check_fault("exhaust", "wrong-status", REPLAY_DIV_FIELDS);
}

/* ---- the command line ------------------------------------------------------------------- */

Test(replay, cli_exit_codes_say_equal_diverged_or_error)
{
    char in[256], bad[256], out[256], args[1024], err[256];
    path_of(in, "in.ctrace");
    path_of(bad, "bad.ctrace");
    path_of(out, "out.ctrace");
    path_of(err, "stderr.txt");
    corrupt_initiate_status(in, bad);
    cr_assert_eq(rh_cli("replay --help", NULL), 0);
    cr_assert_eq(rh_cli("replay", NULL), 2);
    snprintf(args, sizeof args, "replay %s/nonexistent.ctrace -o %s", tf_dir, out);
    cr_assert_eq(rh_cli(args, NULL), 2);
    snprintf(args, sizeof args, "replay %s -o %s --seed 3", in, out);
    cr_assert_eq(rh_cli(args, NULL), 2, "--seed without --nic model");
    snprintf(args, sizeof args, "replay %s -o %s --nic bogus", in, out);
    cr_assert_eq(rh_cli(args, NULL), 2);
    snprintf(args, sizeof args, "replay %s -o %s", in, out);
    cr_assert_eq(rh_cli(args, err), 0);
    snprintf(args, sizeof args, "replay %s -o %s --nic model --seed 9 --nic-latency fixed:5us", in,
             out);
    int rc = rh_cli(args, NULL); /* a what-if run: it may diverge, but it runs */
    cr_assert(rc == 0 || rc == 1, "model mode exited %d", rc);
    snprintf(args, sizeof args, "replay %s -o %s", bad, out);
    cr_assert_eq(rh_cli(args, err), 1);
    uint8_t *text;
    size_t len;
    cr_assert_eq(tf_slurp(err, &text, &len), 0);
    text = realloc(text, len + 1);
    text[len] = '\0';
    cr_assert(strstr((char *)text, "first divergence") != NULL, "stderr: %s", text);
    free(text);
}
