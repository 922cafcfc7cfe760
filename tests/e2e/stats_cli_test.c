/* stats_cli_test.c - `chimtrace stats` end to end: exit codes, messages, the baseline gate
 * and both JSON documents.
 *
 * Runs the real binary (stdout and stderr to files in a per-test directory). Traces come
 * from `chimtrace record --deterministic` with a fixed NIC latency, so a "slower NIC" is a
 * known change. JSON is checked by python3's json module against STATS_JSON.md's fields.
 */
#define _DEFAULT_SOURCE /* mkdtemp */

#include <criterion/criterion.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"

TestSuite(stats_cli, .init = cli_tmpdir_make, .fini = cli_tmpdir_remove, .timeout = 300);

/* A deterministic storm recording whose NIC completes after exactly `latency`. */
static char *record(char *buf, const char *name, const char *latency)
{
    cli_result r = RUN("record", "--workload", "storm", "--connections", "16",
                       "--deterministic", "--nic-latency", (char *)latency, "-o",
                       cli_tmp(buf, name));
    cr_assert_eq(r.status, 0, "record failed: %s", r.err);
    cli_result_free(&r);
    return buf;
}

/* Save r.out to a file and check it with python3; returns python's stdout. */
static char *python_check(const char *script, const char *json)
{
    char path[CLI_PLEN];
    FILE *f = fopen(cli_tmp(path, "doc.json"), "w");
    cr_assert_not_null(f);
    fputs(json, f);
    fclose(f);
    cli_result r = cli_run_argv((char *const[]){"python3", "-c", (char *)script, path, NULL});
    cr_assert_eq(r.status, 0, "python check failed: %s\n--- document:\n%.2000s", r.err, json);
    free(r.err);
    return r.out;
}

static const char stats_json_py[] =
    CLI_PY_STRICT_JSON
    "text = open(sys.argv[1]).read()\n"
    "o = strict(text)\n"
    "assert text.endswith('}\\n') and text.count('\\n') == 1\n"
    "I, F, S, B, N, L, D = int, (int, float), str, bool, type(None), list, dict\n"
    "def has(d, spec, where):\n"
    "    for k, t in spec.items():\n"
    "        assert k in d, where + ': missing ' + k\n"
    "        assert isinstance(d[k], t), '%s.%s: %r' % (where, k, d[k])\n"
    "has(o, dict(stats_json_version=I, kind=S, file=S, by=S, top=I, keys_total=I,\n"
    "     histogram=D, header=D, summary=D, loss=D, uncertain=B, uncertain_reasons=L,\n"
    "     groups=L, ops=L, status=L, status_overflow=I, timeline=D), 'top')\n"
    "assert o['stats_json_version'] == 1 and o['kind'] == 'stats'\n"
    "has(o['histogram'], dict(sub_bits=I, max_relative_error=F), 'histogram')\n"
    "has(o['header'], dict(workload=S, seed=I, producer_name=S, producer_version=S,\n"
    "     clock_source=S, present=B), 'header')\n"
    "has(o['summary'], dict(records=I, events=I, first_ts_ns=I, last_ts_ns=I,\n"
    "     duration_ns=I, events_per_s=F, ops_per_s=F, instances=I, completed=I,\n"
    "     complete_four_edges=I, in_flight_at_end=I, lost_pending=I, orphans=I,\n"
    "     untracked=I, odd_events=I, max_depth=I), 'summary')\n"
    "has(o['loss'], dict(loss_records=I, lost_events=I, truncated=B, truncated_at=I,\n"
    "     complete_end=I, damaged_chunks=I, truncated_trees=I), 'loss')\n"
    "assert o['uncertain'] == bool(o['uncertain_reasons'])\n"
    "for g in o['groups']:\n"
    "    has(g, dict(key=(I, N), label=S, span=S, count=I, min_ns=I, p50_ns=I, p90_ns=I,\n"
    "        p99_ns=I, p999_ns=I, max_ns=I, mean_ns=F, sum_ns=I, buckets=L), 'group')\n"
    "    assert g['span'] in ('im', 'nic', 'return', 'e2e')\n"
    "    assert g['min_ns'] <= g['p50_ns'] <= g['p90_ns'] <= g['p99_ns'] <= g['p999_ns'] <= g['max_ns']\n"
    "    assert sum(b[2] for b in g['buckets']) == g['count']\n"
    "    assert all(b[0] <= b[1] for b in g['buckets'])\n"
    "for p in o['ops']: has(p, dict(op=I, name=S, instances=I, completed=I, unmatched=I, ops_per_s=F), 'op')\n"
    "for s in o['status']: has(s, dict(op=I, op_name=S, status=I, status_hex=S, name=(S, N), count=I, nic_count=I), 'status')\n"
    "t = o['timeline']\n"
    "has(t, dict(start_ns=I, bucket_width_ns=I, buckets=L), 'timeline')\n"
    "for b in t['buckets']: has(b, dict(start_ns=I, max_depth=I, mean_depth=F, events=I, completions=I), 'bucket')\n"
    "assert sum(b['events'] for b in t['buckets']) == o['summary']['events']\n"
    "print('groups', len(o['groups']), 'uncertain', o['uncertain'], 'by', o['by'])\n"
    "for g in o['groups']: print(g['label'], g['span'], g['p50_ns'])\n";

static const char baseline_json_py[] =
    CLI_PY_STRICT_JSON
    "text = open(sys.argv[1]).read()\n"
    "o = strict(text)\n"
    "for k in ('stats_json_version', 'kind', 'current', 'baseline', 'by', 'threshold_pct',\n"
    "          'min_delta_ns', 'min_count', 'percentiles', 'uncertain', 'uncertain_reasons',\n"
    "          'rows', 'regressions', 'result'):\n"
    "    assert k in o, 'missing ' + k\n"
    "assert o['kind'] == 'baseline'\n"
    "n = 0\n"
    "for r in o['rows']:\n"
    "    for k in ('key', 'label', 'span', 'only_in', 'count_baseline', 'count_current', 'cells'):\n"
    "        assert k in r, 'row missing ' + k\n"
    "    for c in r['cells']:\n"
    "        for k in ('percentile', 'baseline_ns', 'current_ns', 'delta_ns', 'delta_pct', 'regression'):\n"
    "            assert k in c, 'cell missing ' + k\n"
    "        assert c['delta_ns'] == c['current_ns'] - c['baseline_ns']\n"
    "        n += c['regression']\n"
    "assert n == o['regressions']\n"
    "print(o['result'], o['regressions'], ','.join(o['percentiles']))\n";

/* ------------------------------------------------------------------------------------ */

Test(stats_cli, help_lists_options_and_exit_status)
{
    cli_result r = RUN("stats", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "Usage: chimtrace stats FILE"));
    cr_assert_not_null(strstr(r.out, "--baseline OLD"));
    cr_assert_not_null(strstr(r.out, "Exit status"));
    cli_result_free(&r);
}

Test(stats_cli, bad_arguments_exit_2_with_a_clear_message)
{
    char a[CLI_PLEN];
    record(a, "a.ctrace", "fixed:50us");
    struct { char *argv[8]; const char *msg; } cases[] = {
        {{"stats", NULL}, "missing FILE"},
        {{"stats", a, "--by", "colour", NULL}, "--by: expected"},
        {{"stats", a, "--format", "xml", NULL}, "xml"},
        {{"stats", a, "--threshold", "5", NULL}, "add --baseline"},
        {{"stats", a, "--baseline", a, "--threshold", "-1", NULL}, "--threshold"},
        {{"stats", a, "--baseline", a, "--percentile", "p101", NULL}, "--percentile"},
        {{"stats", a, "--baseline", a, "--min-delta", "3 parsecs", NULL}, "--min-delta"},
        {{"stats", a, "--top", "0", NULL}, "--top"},
        {{"stats", a, "--bogus", NULL}, "unknown option"},
        {{"stats", a, a, NULL}, "one FILE only"},
        {{"stats", "/nonexistent/n.ctrace", NULL}, "/nonexistent/n.ctrace"},
        {{"stats", a, "--baseline", "/nonexistent/o.ctrace", NULL}, "/nonexistent/o.ctrace"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {CHIMTRACE};
        for (int k = 0; cases[i].argv[k]; k++)
            argv[k + 1] = cases[i].argv[k];
        cli_result r = cli_run_argv(argv);
        cr_assert_eq(r.status, 2, "case %zu: status %d", i, r.status);
        cr_assert_not_null(strstr(r.err, "chimtrace stats: "), "case %zu: %s", i, r.err);
        cr_assert_not_null(strstr(r.err, cases[i].msg), "case %zu: %s", i, r.err);
        cli_result_free(&r);
    }
}

Test(stats_cli, baseline_gate_exits_0_same_1_slower_nic_0_within_threshold)
{
    char a[CLI_PLEN], a2[CLI_PLEN], slow[CLI_PLEN];
    record(a, "a.ctrace", "fixed:50us");
    record(a2, "a2.ctrace", "fixed:50us");
    record(slow, "slow.ctrace", "fixed:80us");   /* NIC 60% slower */

    cli_result r = RUN("stats", a2, "--baseline", a);
    cr_assert_eq(r.status, 0, "identical runs: %s%s", r.out, r.err);
    cr_assert_not_null(strstr(r.out, "within the threshold"));
    cli_result_free(&r);

    r = RUN("stats", slow, "--baseline", a);
    cr_assert_eq(r.status, 1, "a slower NIC regresses: %s", r.out);
    cr_assert_not_null(strstr(r.out, "REGRESSION"));
    cr_assert_not_null(strstr(r.out, "+60.0%"), "%s", r.out);
    cli_result_free(&r);

    r = RUN("stats", slow, "--baseline", a, "--threshold", "75");
    cr_assert_eq(r.status, 0, "+60%% is within a 75%% threshold: %s", r.out);
    cli_result_free(&r);

    r = RUN("stats", slow, "--baseline", a, "--min-delta", "31us");
    cr_assert_eq(r.status, 0, "+30 us is under a 31 us floor: %s", r.out);
    cli_result_free(&r);

    r = RUN("stats", a, "--baseline", slow);
    cr_assert_eq(r.status, 0, "faster is not a regression");
    cli_result_free(&r);

    r = RUN("stats", slow, "--baseline", a, "--format", "json", "--percentile", "p50,p99.9");
    cr_assert_eq(r.status, 1);
    char *py = python_check(baseline_json_py, r.out);
    cr_assert_not_null(strstr(py, "regression"), "%s", py);
    cr_assert_not_null(strstr(py, "p50,p99.9"), "%s", py);
    free(py);
    cli_result_free(&r);
}

Test(stats_cli, json_has_the_documented_fields_on_every_golden_trace)
{
    DIR *d = opendir(CT_TEST_SOURCE_DIR "/traces");
    struct dirent *e;
    int n = 0;
    static char *bys[] = {"op", "edge", "state-type", "cpu", "workload-object"};
    cr_assert_not_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 7, ".ctrace") != 0)
            continue;
        char path[CLI_PLEN];
        snprintf(path, sizeof path, "%s/traces/%s", CT_TEST_SOURCE_DIR, e->d_name);
        for (size_t b = 0; b < sizeof bys / sizeof bys[0]; b++) {
            cli_result r = RUN("stats", path, "--format", "json", "--by", bys[b]);
            cr_assert_eq(r.status, 0, "%s: %s", path, r.err);
            char *py = python_check(stats_json_py, r.out);
            cr_assert_not_null(strstr(py, "uncertain False"), "%s: %s", path, py);
            free(py);
            cli_result_free(&r);
            r = RUN("stats", path, "--by", bys[b]);
            cr_assert_eq(r.status, 0, "%s: %s", path, r.err);
            cr_assert_not_null(strstr(r.out, "latency by"));
            cli_result_free(&r);
        }
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 5);
}

Test(stats_cli, a_truncated_trace_warns_and_is_uncertain_in_both_formats)
{
    char a[CLI_PLEN], t[CLI_PLEN], cmd[4 * CLI_PLEN];
    cli_result r = RUN("synth", "-o", cli_tmp(a, "s.ctrace"), "--records", "30000", "--seed", "4");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_free(&r);
    snprintf(cmd, sizeof cmd, "head -c $(( $(stat -c %%s '%s') / 2 )) '%s' > '%s'", a, a,
             cli_tmp(t, "t.ctrace"));
    cr_assert_eq(system(cmd), 0);
    r = RUN("stats", t);
    cr_assert_eq(r.status, 0, "truncation is a warning: %s", r.err);
    cr_assert_not_null(strstr(r.err, "warning: "), "%s", r.err);
    cr_assert_not_null(strstr(r.out, "UNCERTAIN: truncated"), "%s", r.out);
    cli_result_free(&r);
    r = RUN("stats", t, "--format", "json");
    cr_assert_eq(r.status, 0);
    char *py = python_check(stats_json_py, r.out);
    cr_assert_not_null(strstr(py, "uncertain True"), "%s", py);
    free(py);
    cr_assert_not_null(strstr(r.out, "\"truncated\""));
    cli_result_free(&r);
}

Test(stats_cli, a_damaged_chunk_is_reported_skipped_and_exits_2)
{
    char a[CLI_PLEN];
    cli_result r = RUN("synth", "-o", cli_tmp(a, "d.ctrace"), "--records", "30000", "--seed", "6");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cli_result_free(&r);
    FILE *f = fopen(a, "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    for (long off = len / 2; off < len / 2 + 64; off++) {   /* inside some chunk's data */
        fseek(f, off, SEEK_SET);
        fputc(0x5A ^ (int)off, f);
    }
    fclose(f);
    r = RUN("stats", a, "--format", "json");
    cr_assert_eq(r.status, 2, "damage is an error: %s", r.err);
    cr_assert_not_null(strstr(r.err, "chimtrace stats: "), "%s", r.err);
    char *py = python_check(stats_json_py, r.out);
    cr_assert_not_null(strstr(py, "uncertain True"), "the figures are still printed: %s", py);
    free(py);
    cr_assert_not_null(strstr(r.out, "\"damaged_chunks\":1,"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\"damaged_chunks\"]") || strstr(r.out, "\"damaged_chunks\","),
                       "named among the reasons: %s", r.out);
    cli_result_free(&r);
}

/* --histograms: one block per latency group, bins in increasing order, whose counts add up
 * to the group's n; a 50us fixed NIC puts every nic-span sample in the [32.77us, 65.54us)
 * bin. */
Test(stats_cli, histograms_bins_add_up_to_each_group_and_land_where_the_latency_is)
{
    char t[CLI_PLEN];
    cli_result r = RUN("stats", record(t, "h.ctrace", "fixed:50us"), "--histograms");
    const char *p;
    unsigned groups = 0;

    cr_assert_eq(r.status, 0, "%s", r.err);
    p = strstr(r.out, "\nlatency histograms");
    cr_assert_not_null(p, "%s", r.out);
    while ((p = strstr(p, "\n  ")) != NULL && p[3] != ' ') {
        char label[64], span[16];
        unsigned long long n, sum = 0, c;
        const char *line = p + 3;

        cr_assert_eq(sscanf(line, "%63s %15s (n=%llu)", label, span, &n), 3, "%.60s", line);
        p = strchr(line, '\n');
        while (p && strncmp(p, "\n    [", 6) == 0) {
            const char *close = strchr(p, ')');

            cr_assert_not_null(close);
            cr_assert_eq(sscanf(close + 1, "%llu", &c), 1);
            if (strcmp(span, "nic") == 0 && c > 0)
                cr_expect(strncmp(p + 6, "  32.77us,", 10) == 0, "%s nic bin: %.40s", label,
                          p + 6);
            sum += c;
            p = strchr(p + 1, '\n');
        }
        cr_expect_eq(sum, n, "%s %s: bins add up to %llu, n=%llu", label, span, sum, n);
        groups++;
        if (!p)
            break;
    }
    cr_expect_geq(groups, 8, "%u groups drawn", groups);
    cli_result_free(&r);
}
