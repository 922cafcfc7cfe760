/* record_test.c - `chimtrace record` end to end: every workload recorded and read back
 * (four edges per operation instance, request-in trees equal to what the host sent, info's
 * counts), deterministic runs byte-identical, real-time runs with several threads, the pcap
 * against tshark, and a recording killed with SIGKILL read back as truncated. */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record_check.h"
#include "im.h"
#include "recorder.h"
#include "tf_helpers.h"

TestSuite(record, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

static void record_workload(const char *workload, int deterministic, uint32_t threads,
                            const char *path, const char *pcap, rc_requests *issued,
                            ct_record_result *res)
{
    ct_record_opts o;
    ct_record_opts_init(&o);
    o.workload = workload;
    o.seed = 7;
    o.threads = threads;
    o.connections = 16;
    o.deterministic = deterministic;
    o.out_path = path;
    o.pcap_path = pcap;
    o.observer = rc_observe;
    o.observer_ctx = issued;
    ct_errinfo ei = {0};
    cr_assert_eq(ct_record_run(&o, res, &ei), CT_OK, "%s: %s", workload, ei.msg);
}

static void check_workload(const char *workload, int deterministic, uint32_t threads)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.ctrace", tf_dir, workload);
    rc_requests issued;
    rc_requests_init(&issued);
    ct_record_result res;
    record_workload(workload, deterministic, threads, path, NULL, &issued, &res);
    cr_assert_eq(res.lost_events, 0, "%s lost events with 1 MiB rings", workload);
    cr_assert_eq(res.host_violations, 0, "%s: host saw violations", workload);
    cr_assert_eq(res.im_live_entries, 0, "%s: IM entries leaked", workload);
    cr_assert_eq(res.ops_issued, res.ops_completed);
    cr_assert_gt(res.ops_issued, 0);
    rc_trace t;
    rc_read_trace(path, &t);
    /* Four edges per operation instance, one each, all for the same operation. */
    cr_assert_eq(t.instances, res.ops_issued, "%s: %llu instances for %llu ops", workload,
                 (unsigned long long)t.instances, (unsigned long long)res.ops_issued);
    cr_assert_eq(t.bad_instances, 0, "%s: %llu instances without exactly one event per edge",
                 workload, (unsigned long long)t.bad_instances);
    cr_assert_eq(t.events, 4 * res.ops_issued);
    /* The request-in trees are the trees the host sent, in the order it sent them. */
    rc_compare_requests(&issued, &t, deterministic);
    /* `chimtrace info` agrees with what we counted. */
    rc_check_info(path, &t);
    rc_trace_free(&t);
    rc_requests_free(&issued);
}

Test(record, basic_round_trips_deterministic) { check_workload("basic", 1, 1); }
Test(record, storm_round_trips_deterministic) { check_workload("storm", 1, 1); }
Test(record, churn_round_trips_deterministic) { check_workload("churn", 1, 1); }
Test(record, exhaust_round_trips_deterministic) { check_workload("exhaust", 1, 1); }
Test(record, deep_round_trips_deterministic) { check_workload("deep", 1, 1); }
Test(record, mixed_round_trips_deterministic) { check_workload("mixed", 1, 1); }
Test(record, mixed_round_trips_in_real_time_with_three_threads) { check_workload("mixed", 0, 3); }
Test(record, storm_round_trips_in_real_time_with_two_threads) { check_workload("storm", 0, 2); }

Test(record, exhaust_shows_partial_success_and_entry_exhaustion)
{
    char path[256];
    snprintf(path, sizeof path, "%s/exhaust.ctrace", tf_dir);
    rc_requests issued;
    rc_requests_init(&issued);
    ct_record_result res;
    record_workload("exhaust", 1, 1, path, NULL, &issued, &res);
    rc_trace t;
    rc_read_trace(path, &t);
    cr_assert_gt(t.status_partial, 0, "no OFFLOAD_PARTIAL_SUCCESS in exhaust");
    cr_assert_gt(t.status_entries, 0, "no OFFLOAD_*_ENTRIES status in exhaust");
    rc_trace_free(&t);
    rc_requests_free(&issued);
}

static int run_cli(char *const argv[])
{
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, NULL), 0);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(record, deterministic_runs_with_one_seed_are_byte_identical)
{
    char a[256], b[256], c[256];
    snprintf(a, sizeof a, "%s/a.ctrace", tf_dir);
    snprintf(b, sizeof b, "%s/b.ctrace", tf_dir);
    snprintf(c, sizeof c, "%s/c.ctrace", tf_dir);
    const char *ct = CT_TEST_BINARY_DIR "/cli/chimtrace";
    char *args_a[] = {(char *)ct, "record", "--workload", "mixed", "--seed", "5",
                      "--deterministic", "-o", a, NULL};
    char *args_b[] = {(char *)ct, "record", "--workload", "mixed", "--seed", "5",
                      "--deterministic", "-o", b, NULL};
    char *args_c[] = {(char *)ct, "record", "--workload", "mixed", "--seed", "6",
                      "--deterministic", "-o", c, NULL};
    cr_assert_eq(run_cli(args_a), 0);
    cr_assert_eq(run_cli(args_b), 0);
    cr_assert_eq(run_cli(args_c), 0);
    cr_assert_eq(rc_files_equal(a, b), 1, "same seed, different bytes");
    cr_assert_eq(rc_files_equal(a, c), 0, "different seeds, same bytes");
}

Test(record, tshark_decodes_the_pcap_and_agrees_with_the_trace)
{
    char path[256], pcap[256];
    snprintf(path, sizeof path, "%s/storm.ctrace", tf_dir);
    snprintf(pcap, sizeof pcap, "%s/storm.pcap", tf_dir);
    rc_requests issued;
    rc_requests_init(&issued);
    ct_record_result res;
    record_workload("storm", 1, 1, path, pcap, &issued, &res);
    cr_assert_gt(res.frames, 10, "storm produced only %llu frames", (unsigned long long)res.frames);
    rc_trace t;
    rc_read_trace(path, &t);
    cr_assert_eq(t.frame_refs, res.frames);
    rc_check_pcap_with_tshark(pcap, &t, res.frames);
    rc_trace_free(&t);
    rc_requests_free(&issued);
}

Test(record, a_killed_recording_reads_back_to_its_last_sealed_chunk)
{
    char path[256];
    snprintf(path, sizeof path, "%s/killed.ctrace", tf_dir);
    const char *ct = CT_TEST_BINARY_DIR "/cli/chimtrace";
    /* Real time, small chunks, long enough that SIGKILL lands mid-run. */
    char *argv[] = {(char *)ct, "record", "--workload", "churn", "--connections", "200",
                    "--rounds", "400000", "--chunk-bytes", "4096", "-o", path, NULL};
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, NULL), 0);
    /* Wait until a few chunks are on disk, then kill without warning. */
    for (int i = 0; i < 400 && rc_file_size(path) < 64 * 1024; i++)
        usleep(10000);
    cr_assert_geq(rc_file_size(path), 64 * 1024, "the recording wrote too little to test");
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st), "the recording ended before it was killed");
    rc_check_truncated(path);
}

Test(record, stock_tools_decode_a_recorded_trace)
{
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/deep.ctrace", tf_dir);
    rc_requests issued;
    rc_requests_init(&issued);
    ct_record_result res;
    record_workload("deep", 1, 1, path, NULL, &issued, &res);
    snprintf(cmd, sizeof cmd, "zstd -dc '%s' | protoc --decode=chimtrace.v1.Trace -I '%s' '%s' "
             "| grep -c '^  event {'", path, CT_TEST_SOURCE_DIR "/schema", CT_PROTO_FILE);
    FILE *p = popen(cmd, "r");
    unsigned long long n = 0;
    cr_assert_eq(fscanf(p, "%llu", &n), 1, "no output from zstd | protoc");
    cr_assert_eq(pclose(p), 0, "zstd -dc | protoc --decode failed: are both installed?");
    cr_assert_eq(n, res.events, "protoc decoded %llu events of %llu", n,
                 (unsigned long long)res.events);
    rc_requests_free(&issued);
}

Test(record, a_driver_that_loses_a_completion_stalls_the_host_and_the_run_still_ends)
{
    char path[256];
    snprintf(path, sizeof path, "%s/dropped.ctrace", tf_dir);
    ct_record_opts o;
    ct_record_opts_init(&o);
    o.workload = "mixed";
    o.deterministic = 1;
    o.out_path = path;
    o.im_faults = IM_FAULT_DROP_COMPLETION;
    ct_record_result res;
    ct_errinfo ei = {0};
    cr_assert_eq(ct_record_run(&o, &res, &ei), CT_OK, "%s", ei.msg);
    cr_assert(res.host_stalled, "the lost completion did not stall the host");
    cr_assert_eq(res.host_outstanding, 1);
    rc_trace t;
    rc_read_trace(path, &t);
    cr_assert_eq(t.bad_instances, 1, "exactly the dropped instance lacks an edge");
    rc_trace_free(&t);
}
