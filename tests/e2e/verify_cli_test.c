/* verify_cli_test.c - `chimtrace verify` end to end: exit codes (0 clean, 1 violations,
 * 2 errors), the text report, --max, --help, and the JSON document checked by python3's json
 * module (strict: no NaN, no duplicate keys) against what was broken in the trace.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tf_helpers.h"
#include "verify_fixture.h"
#include "cli_run.h"

#define CHIMTRACE CT_TEST_BINARY_DIR "/cli/chimtrace"

TestSuite(verify_cli, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 300);

typedef struct run {
    int status;
    char *out, *err;
} run;

static char *slurp_text(const char *path)
{
    uint8_t *buf;
    size_t len;

    cr_assert_eq(tf_slurp(path, &buf, &len), 0, "cannot read %s", path);
    char *s = realloc(buf, len + 1);
    cr_assert_not_null(s);
    s[len] = '\0';
    return s;
}

/* `sh -c "<cmd> >out 2>err"`; cmd is trusted test text (paths under tf_dir). */
static run sh(const char *cmd)
{
    char out[256], err[256], line[2048];
    run r;

    tf_scratch_path(out, sizeof out, "stdout");
    tf_scratch_path(err, sizeof err, "stderr");
    snprintf(line, sizeof line, "%s >'%s' 2>'%s'", cmd, out, err);
    int ws = system(line);
    cr_assert_neq(ws, -1);
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
    r.out = slurp_text(out);
    r.err = slurp_text(err);
    return r;
}

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
}

/* basic with the IM's own handle passed up in the query's completion; *seq gets its seq. */
static void broken_trace(char *path, size_t size, uint64_t *seq)
{
    char clean[256];
    vf_trace t;

    vf_record("basic", 1, 1, 0, "clean.ctrace", clean, sizeof clean);
    vf_load(clean, &t);
    Chimtrace__V1__Event *e2 = vf_basic_query(&t, 2), *e4 = vf_basic_query(&t, 4);
    e4->block[2]->offload_handle_id = e2->block[2]->offload_handle_id;
    *seq = e4->seq;
    tf_scratch_path(path, size, "broken.ctrace");
    vf_save(&t, path);
    vf_free(&t);
}

Test(verify_cli, clean_trace_exits_0_with_a_clean_result)
{
    char path[256], cmd[512];

    vf_record("mixed", 1, 1, 0, "mixed.ctrace", path, sizeof path);
    snprintf(cmd, sizeof cmd, "'%s' verify '%s'", CHIMTRACE, path);
    run r = sh(cmd);
    cr_assert_eq(r.status, 0, "exit %d: %s%s", r.status, r.out, r.err);
    cr_assert_not_null(strstr(r.out, "result: 0 violation(s), 0 note(s): clean"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "trace: "), "the report opens with the trace facts");
    run_free(&r);
}

Test(verify_cli, violations_exit_1_and_name_rule_seq_op_edge_and_object)
{
    char path[256], cmd[512], want[128];
    uint64_t seq;

    broken_trace(path, sizeof path, &seq);
    snprintf(cmd, sizeof cmd, "'%s' verify '%s'", CHIMTRACE, path);
    run r = sh(cmd);
    cr_assert_eq(r.status, 1, "exit %d: %s%s", r.status, r.out, r.err);
    snprintf(want, sizeof want, "violation restore.im_handle_leak seq=%llu QUERY/cmpl-out-above",
             (unsigned long long)seq);
    cr_assert_not_null(strstr(r.out, want), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "block=2 [tcp "), "object named by its 4-tuple: %s", r.out);
    cr_assert_not_null(strstr(r.out, "IM handle passed up"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "restore.im_handle_leak         "), "summary by rule");
    run_free(&r);
}

static const char json_check_py[] =
    CLI_PY_STRICT_JSON
    "d = json.load(open(sys.argv[1], encoding='utf-8'), object_pairs_hook=no_dup,\n"
    "              parse_constant=bad)\n"
    "seq = int(sys.argv[2])\n"
    "assert set(d) == {'file', 'trace', 'violations', 'notes', 'max', 'violations_total',\n"
    "                  'notes_total', 'by_rule', 'result'}, sorted(d)\n"
    "t = d['trace']\n"
    "for k in ('abi', 'records', 'events', 'events_checked', 'operations',\n"
    "          'operations_completed', 'operations_in_flight_at_end',\n"
    "          'objects_offloaded_at_end', 'loss_records', 'lost_events', 'truncated_trees',\n"
    "          'damaged_chunks', 'truncated', 'run_summary'):\n"
    "    assert k in t, k\n"
    "assert t['abi'] == 'x64' and t['truncated'] is False and t['run_summary'] is True\n"
    "assert d['result'] == 'violations' and d['violations_total'] == 1, d['result']\n"
    "assert len(d['violations']) == 1 and d['notes'] == [] and d['notes_total'] == 0\n"
    "v = d['violations'][0]\n"
    "assert set(v) == {'rule', 'level', 'seq', 'op_id', 'op', 'edge', 'block', 'handle',\n"
    "                  'object', 'message'}, sorted(v)\n"
    "assert v['rule'] == 'restore.im_handle_leak' and v['level'] == 'violation', v\n"
    "assert v['seq'] == seq and v['op'] == 'QUERY' and v['edge'] == 'cmpl-out-above', v\n"
    "assert v['block'] == 2 and v['object'].startswith('tcp '), v\n"
    "assert isinstance(v['handle'], int) and isinstance(v['op_id'], int)\n"
    "rules = [r['rule'] for r in d['by_rule']]\n"
    "assert len(rules) == len(set(rules)) > 40, rules\n"
    "assert sum(r['violations'] for r in d['by_rule']) == d['violations_total']\n"
    "hit = [r for r in d['by_rule'] if r['violations']]\n"
    "assert [r['rule'] for r in hit] == ['restore.im_handle_leak'] and hit[0]['check'] == 7\n"
    "print('ok')\n";

Test(verify_cli, json_document_parses_and_says_what_was_broken)
{
    char path[256], cmd[1024], py[256], out[256];
    uint64_t seq;

    broken_trace(path, sizeof path, &seq);
    tf_scratch_path(py, sizeof py, "check.py");
    FILE *f = fopen(py, "w");
    cr_assert_not_null(f);
    fputs(json_check_py, f);
    fclose(f);
    tf_scratch_path(out, sizeof out, "report.json");
    snprintf(cmd, sizeof cmd, "'%s' verify --format json '%s' >'%s'; echo $?", CHIMTRACE,
             path, out);
    run r = sh(cmd);
    cr_assert_str_eq(r.out, "1\n", "exit status %s (stderr %s)", r.out, r.err);
    run_free(&r);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' %llu", py, out, (unsigned long long)seq);
    r = sh(cmd);
    cr_assert_eq(r.status, 0, "python3 says: %s%s", r.out, r.err);
    cr_assert_str_eq(r.out, "ok\n");
    run_free(&r);
}

Test(verify_cli, max_limits_the_list_but_not_the_counts)
{
    char path[256], cmd[512];
    uint64_t seq;

    broken_trace(path, sizeof path, &seq);
    snprintf(cmd, sizeof cmd, "'%s' verify --max 0 '%s'", CHIMTRACE, path);
    run r = sh(cmd);
    cr_assert_eq(r.status, 1);
    cr_assert_null(strstr(r.out, "violation restore."), "nothing listed: %s", r.out);
    cr_assert_not_null(strstr(r.out, "... and 1 more (--max 0)"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "result: 1 violation(s)"), "%s", r.out);
    run_free(&r);
}

Test(verify_cli, help_and_bad_arguments)
{
    char cmd[512], path[256];

    snprintf(cmd, sizeof cmd, "'%s' verify --help", CHIMTRACE);
    run r = sh(cmd);
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "Usage: chimtrace verify FILE"), "%s", r.out);
    run_free(&r);

    snprintf(cmd, sizeof cmd, "'%s' --help", CHIMTRACE);
    r = sh(cmd);
    cr_assert_not_null(strstr(r.out, "  verify "), "verb listed: %s", r.out);
    run_free(&r);

    const char *bad[] = { "verify", "verify --bogus x.ctrace", "verify --format xml x.ctrace",
                          "verify --max -1 x.ctrace", "verify a.ctrace b.ctrace" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "'%s' %s", CHIMTRACE, bad[i]);
        r = sh(cmd);
        cr_assert_eq(r.status, 2, "'%s' exited %d", bad[i], r.status);
        cr_assert_not_null(strstr(r.err, "chimtrace verify: "), "%s", r.err);
        run_free(&r);
    }

    tf_scratch_path(path, sizeof path, "missing.ctrace");
    snprintf(cmd, sizeof cmd, "'%s' verify '%s'", CHIMTRACE, path);
    r = sh(cmd);
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "missing.ctrace"), "names the file: %s", r.err);
    run_free(&r);

    tf_scratch_path(path, sizeof path, "not-a-trace.ctrace");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("hello", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' verify '%s'", CHIMTRACE, path);
    r = sh(cmd);
    cr_assert_eq(r.status, 2, "%s", r.err);
    run_free(&r);
}
