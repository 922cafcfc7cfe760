/* diff_cli_test.c - `chimtrace diff` end to end: exit codes, messages and each format.
 *
 * Runs the real binary (stdout and stderr to files in a per-test directory). JSON is checked
 * by python3's json module (duplicate keys and NaN refused) against DIFF_JSON.md's keys;
 * JUnit by xml.etree, with file names full of markup and invalid UTF-8 to prove the escaping.
 */
#define _DEFAULT_SOURCE /* mkdtemp */

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff_mutate.h"
#include "cli_run.h"

TestSuite(diff_cli, .init = cli_tmpdir_make, .fini = cli_tmpdir_remove, .timeout = 300);

static void must(cli_result r)
{
    cr_assert_eq(r.status, 0, "chimtrace failed: %s", r.err);
    cli_result_free(&r);
}

static char *record(char *buf, const char *name, const char *workload, const char *seed)
{
    must(RUN("record", "--workload", (char *)workload, "--seed", (char *)seed,
             "--deterministic", "-o", cli_tmp(buf, name)));
    return buf;
}

/* ------------------------------------------------------------------------------------ */
/* Python oracles                                                                        */

/* Strict JSON; checks DIFF_JSON.md's keys and types; prints the values asked for. */
static const char json_check_py[] =
    CLI_PY_STRICT_JSON
    "text = open(sys.argv[1], encoding='utf-8').read()\n"
    "o = strict(text)\n"
    "assert text.endswith('}\\n') and text.count('\\n') == 1, 'one document, one line'\n"
    "I, S, B, N, L, D = int, str, bool, type(None), list, dict\n"
    "def has(d, spec, where):\n"
    "    for k, t in spec.items():\n"
    "        assert k in d, where + ': missing ' + k\n"
    "        assert isinstance(d[k], t) and not (t is I and isinstance(d[k], bool)), \\\n"
    "            '%s.%s: %r is not %s' % (where, k, d[k], t)\n"
    "COUNTS = dict(operations_a=I, operations_b=I, operations_matched=I, compared=I,\n"
    "              changed=I, removed=I, added=I, field_changes=I)\n"
    "EVENT = dict(index=I, seq=I, ts_ns=I, op=S, edge=S, op_id=I, blocks=I,\n"
    "             root_status=(S, N), object=S, object_kind=S)\n"
    "CHANGE = dict(field=S, expected=S, got=S)\n"
    "has(o, dict(format=S, version=I, equal=B, exit_code=I, incomplete=B, inputs=D,\n"
    "            options=D, counts=D, first_divergence=(D, N), header=D, operations=L,\n"
    "            objects=L, objects_overflow=B, other_objects=(D, N), timing=(D, N),\n"
    "            error=N), 'top')\n"
    "assert o['format'] == 'chimtrace-diff' and o['version'] == 1\n"
    "for s in 'ab':\n"
    "    has(o['inputs'][s], dict(path=S, role=S, workload=(S, N), seed=(I, N), records=I,\n"
    "        events=I, loss_records=I, lost_events=I, frames=I, clean_end=B, truncated=B,\n"
    "        truncation=(S, N), corrupt_chunks=I, problem=(S, N)), 'inputs.' + s)\n"
    "has(o['options'], dict(ignore=L, window=I, timing_tolerance_pct=(int, float, N),\n"
    "    header_compared=B, frames=S), 'options')\n"
    "has(o['counts'], dict(events_a=I, events_b=I, equal=I, **COUNTS), 'counts')\n"
    "f = o['first_divergence']\n"
    "if f is not None:\n"
    "    has(f, dict(kind=S, expected=(D, N), got=(D, N), changes=L, changes_total=I,\n"
    "        context=D), 'first')\n"
    "    for e in [f['expected'], f['got']] + f['context']['expected'] + f['context']['got']:\n"
    "        if e is not None: has(e, EVENT, 'event')\n"
    "    for c in f['changes']: has(c, CHANGE, 'change')\n"
    "has(o['header'], dict(compared=B, changes_total=I, changes=L), 'header')\n"
    "for p in o['operations']: has(p, dict(op=S, **COUNTS), 'operations')\n"
    "for b in o['objects']:\n"
    "    has(b, dict(object=S, kind=S, first=(D, N), **COUNTS), 'objects')\n"
    "    if b['first']: has(b['first'], dict(kind=S, seq=I, op=S, edge=S,\n"
    "                       change=(D, N)), 'objects.first')\n"
    "t = o['timing']\n"
    "if t is not None:\n"
    "    has(t, dict(tolerance_pct=(int, float), regressions=I, rows=L), 'timing')\n"
    "    for r in t['rows']:\n"
    "        has(r, dict(op=S, span=S, samples_a=I, samples_b=I, a_ns=D, b_ns=D,\n"
    "            regressed=L), 'timing.rows')\n"
    "for p in sys.argv[2:]:\n"
    "    v = o\n"
    "    for k in p.split('.'): v = v[int(k)] if isinstance(v, list) else v[k]\n"
    "    print(json.dumps(v))\n";

/* Parses JUnit XML; prints "suites N tests N failures N errors N", then each testcase as
 * "suite|name|failure-type" ("-" when it passed). */
static const char junit_check_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "assert root.tag == 'testsuites'\n"
    "suites = root.findall('testsuite')\n"
    "n = sum(int(s.get('tests')) for s in suites)\n"
    "assert n == int(root.get('tests')), 'tests adds up'\n"
    "assert sum(int(s.get('failures')) for s in suites) == int(root.get('failures'))\n"
    "print('suites', len(suites), 'tests', n, 'failures', root.get('failures'),\n"
    "      'errors', root.get('errors'))\n"
    "for s in suites:\n"
    "    cases = s.findall('testcase')\n"
    "    assert len(cases) == int(s.get('tests')), s.get('name')\n"
    "    for c in cases:\n"
    "        f = c.find('failure')\n"
    "        if f is None: f = c.find('error')\n"
    "        print(s.get('name') + '|' + c.get('name') + '|' + ('-' if f is None else\n"
    "              f.get('type') + '|' + f.get('message')))\n"
    "    for p in s.iter('property'): print('property|' + p.get('name') + '|' + p.get('value'))\n";

static char *python(const char *script, char *const extra[])
{
    char *argv[16] = {"python3", "-c", (char *)script};
    int k = 3;
    for (int i = 0; extra[i] && k < 15; i++)
        argv[k++] = extra[i];
    argv[k] = NULL;
    cli_result r = cli_run_argv(argv);
    cr_assert_eq(r.status, 0, "python check failed: %s", r.err);
    free(r.err);
    return r.out;
}

/* ------------------------------------------------------------------------------------ */
/* Usage and exit codes                                                                  */

Test(diff_cli, help_and_usage_errors)
{
    cli_result r = RUN("diff", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "Usage: chimtrace diff A B"));
    cr_assert_not_null(strstr(r.out, "--timing-tolerance PCT"));
    cli_result_free(&r);
    r = RUN("--help");
    cr_assert_not_null(strstr(r.out, "  diff "), "the verb table lists diff");
    cli_result_free(&r);
    r = RUN("help", "diff");
    cr_assert_eq(r.status, 0);
    cli_result_free(&r);

    char a[CLI_PLEN];
    record(a, "a", "basic", "1");
    char *bad[][6] = {
        {"diff", NULL}, {"diff", a, NULL}, {"diff", a, a, a, NULL},
        {"diff", a, a, "--format", "xml", NULL}, {"diff", a, a, "--timing-tolerance", "x", NULL},
        {"diff", a, a, "--timing-tolerance", "-5", NULL}, {"diff", a, a, "--bogus", NULL},
        {"diff", a, a, "--window", "0", NULL}, {"diff", a, a, "--ignore", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[8] = {CHIMTRACE};
        for (int k = 0; k < 6 && bad[i][k]; k++)
            argv[k + 1] = bad[i][k];
        r = cli_run_argv(argv);
        cr_assert_eq(r.status, 2, "case %zu exited %d", i, r.status);
        cr_assert_not_null(strstr(r.err, "chimtrace diff: "), "case %zu: %s", i, r.err);
        cr_assert_str_eq(r.out, "");
        cli_result_free(&r);
    }
}

Test(diff_cli, exit_0_for_equal_1_for_different_2_for_a_missing_file)
{
    char a[CLI_PLEN], b[CLI_PLEN], m[CLI_PLEN];
    record(a, "a", "mixed", "1");
    record(b, "b", "mixed", "2");
    cli_result r = RUN("diff", a, a);
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "result: EQUAL"));
    cli_result_free(&r);
    r = RUN("diff", a, b);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.out, "result: DIFFERENT"));
    cr_assert_not_null(strstr(r.out, "first divergence: removed event"));
    cli_result_free(&r);
    r = RUN("diff", a, cli_tmp(m, "missing.ctrace"));
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "missing.ctrace"), "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cli_result_free(&r);
    r = RUN("diff", "--format", "json", m, a);
    cr_assert_eq(r.status, 2);
    char jp[CLI_PLEN];
    FILE *f = fopen(cli_tmp(jp, "err.json"), "w");
    fputs(r.out, f);
    fclose(f);
    cli_result_free(&r);
    cli_result py = cli_run_argv((char *const[]){"python3", "-c",
        "import json,sys; o=json.load(open(sys.argv[1])); "
        "assert o['exit_code']==2 and o['error']['code']=='io' and o['equal'] is None; "
        "print(o['error']['message'])", jp, NULL});
    cr_assert_eq(py.status, 0, "%s", py.err);
    cr_assert_not_null(strstr(py.out, "missing.ctrace"));
    cli_result_free(&py);
}

typedef struct nxt_edit {
    uint64_t at;
    uint32_t value;
} nxt_edit;

static dm_action set_nxt(void *ctx, uint64_t index, Chimtrace__V1__Record *rec)
{
    const nxt_edit *e = ctx;
    if (index == e->at)
        rec->event->block[2]->tcp_delegated->snd_nxt = e->value;
    return DM_KEEP;
}

/* A (basic with SndNxt 1000 at the terminate's completion-out) and B (1460). */
static void snd_nxt_pair(char *a, char *b)
{
    char src[CLI_PLEN];
    ct_errinfo ei;
    record(src, "src", "basic", "1");
    nxt_edit e = {dm_find(src, CHIMTRACE__V1__OPERATION__OP_TERMINATE, 4, 0), 1000};
    cr_assert_eq(dm_copy(src, cli_tmp(a, "a.ctrace"), set_nxt, &e, &ei), CT_OK, "%s", ei.msg);
    e.value = 1460;
    cr_assert_eq(dm_copy(src, cli_tmp(b, "b.ctrace"), set_nxt, &e, &ei), CT_OK, "%s", ei.msg);
}

Test(diff_cli, a_field_change_is_shown_and_ignore_suppresses_it)
{
    char a[CLI_PLEN], b[CLI_PLEN], o[CLI_PLEN];
    snd_nxt_pair(a, b);
    cli_result r = RUN("diff", a, b);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.out, "block[2].tcp_delegated.snd_nxt: 1000 -> 1460"), "%s",
                       r.out);
    cr_assert_not_null(strstr(r.out, "first divergence: changed event"));
    cli_result_free(&r);
    r = RUN("diff", a, b, "--ignore", "tcp_delegated.snd_nxt");
    cr_assert_eq(r.status, 0, "%s", r.out);
    cli_result_free(&r);
    r = RUN("diff", a, b, "--ignore", "snd_una", "--ignore=rcv_nxt", "-o", cli_tmp(o, "rep.txt"));
    cr_assert_eq(r.status, 1);
    cr_assert_str_eq(r.out, "", "-o sends the report to the file");
    cli_result_free(&r);
    char *rep = cli_slurp(o);
    cr_assert_not_null(strstr(rep, "ignored: snd_una, rcv_nxt"), "%s", rep);
    free(rep);
}

/* ------------------------------------------------------------------------------------ */
/* JSON and JUnit                                                                        */

static char *check_json(const char *path, char *const paths[])
{
    char *extra[16] = {(char *)path};
    for (int i = 0; paths[i] && i < 14; i++)
        extra[i + 1] = paths[i];
    return python(json_check_py, extra);
}

Test(diff_cli, json_has_the_documented_keys_and_the_change)
{
    char a[CLI_PLEN], b[CLI_PLEN], o[CLI_PLEN];
    snd_nxt_pair(a, b);
    cli_result r = RUN("diff", a, b, "--format", "json", "-o", cli_tmp(o, "d.json"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cli_result_free(&r);
    char *got = check_json(o, (char *const[]){"equal", "exit_code", "counts.changed",
        "counts.field_changes", "first_divergence.kind", "first_divergence.changes.0.field",
        "first_divergence.changes.0.expected", "first_divergence.changes.0.got",
        "first_divergence.expected.op", "first_divergence.expected.edge", "incomplete", NULL});
    cr_assert_str_eq(got, "false\n1\n1\n1\n\"changed\"\n\"block[2].tcp_delegated.snd_nxt\"\n"
                          "\"1000\"\n\"1460\"\n\"TERMINATE\"\n\"cmpl-out-above\"\nfalse\n");
    free(got);
    /* Equal traces: first_divergence is null, exit_code 0. */
    r = RUN("diff", a, a, "--format", "json", "-o", o);
    cr_assert_eq(r.status, 0);
    cli_result_free(&r);
    got = check_json(o, (char *const[]){"equal", "exit_code", "first_divergence", NULL});
    cr_assert_str_eq(got, "true\n0\nnull\n");
    free(got);
}

Test(diff_cli, truncated_and_lossy_inputs_are_said_in_json_text_and_junit)
{
    char a[CLI_PLEN], b[CLI_PLEN], o[CLI_PLEN];
    must(RUN("synth", "-o", cli_tmp(a, "a.ctrace"), "--records", "20000", "--seed", "5",
             "--chunk-bytes", "16384"));
    cr_assert_eq(dm_cut(a, cli_tmp(b, "b.ctrace"), dm_size(a) * 2 / 3), 0);
    cli_result r = RUN("diff", a, b, "--format", "json", "--timing-tolerance", "10", "-o",
                       cli_tmp(o, "t.json"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cli_result_free(&r);
    char *got = check_json(o, (char *const[]){"incomplete", "inputs.b.truncated",
                                              "inputs.a.truncated", "counts.added", NULL});
    cr_assert_str_eq(got, "true\ntrue\nfalse\n0\n");
    free(got);
    got = check_json(o, (char *const[]){"inputs.b.truncation", "inputs.a.lost_events",
                                        "timing.tolerance_pct", NULL});
    cr_assert_not_null(strstr(got, "truncated at byte"), "%s", got);
    cr_assert_null(strstr(got, "\n0\n"), "synth loses events on purpose: %s", got);
    free(got);
    r = RUN("diff", a, b);
    cr_assert_not_null(strstr(r.out, "TRUNCATED: truncated at byte"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "LOST "));
    cli_result_free(&r);
    r = RUN("diff", a, b, "--format", "junit", "-o", o);
    cli_result_free(&r);
    got = python(junit_check_py, (char *const[]){o, NULL});
    cr_assert_not_null(strstr(got, "property|b.truncated|truncated at byte"), "%s", got);
    cr_assert_not_null(strstr(got, "property|incomplete|true"));
    free(got);
}

Test(diff_cli, a_damaged_chunk_is_exit_2_in_every_format)
{
    char a[CLI_PLEN], b[CLI_PLEN], o[CLI_PLEN];
    must(RUN("synth", "-o", cli_tmp(a, "a.ctrace"), "--records", "20000", "--seed", "6",
             "--chunk-bytes", "16384"));
    uint64_t size = dm_size(a);
    cr_assert_eq(dm_cut(a, cli_tmp(b, "b.ctrace"), size), 0);
    FILE *f = fopen(b, "r+b");
    for (uint64_t off = size / 2; off < size / 2 + 64; off += 8) {  /* inside a data frame */
        fseek(f, (long)off, SEEK_SET);
        int c = fgetc(f);
        fseek(f, (long)off, SEEK_SET);
        fputc(c ^ 0x5A, f);
    }
    fclose(f);
    cli_result r = RUN("diff", a, b);
    cr_assert_eq(r.status, 2, "%s", r.out);
    cr_assert_not_null(strstr(r.out, "DAMAGED"), "%s", r.out);
    cr_assert_not_null(strstr(r.err, "damaged chunk"), "%s", r.err);
    cli_result_free(&r);
    r = RUN("diff", a, b, "--format", "json", "-o", cli_tmp(o, "d.json"));
    cr_assert_eq(r.status, 2);
    cli_result_free(&r);
    char *got = check_json(o, (char *const[]){"exit_code", "inputs.a.corrupt_chunks", NULL});
    cr_assert_str_eq(got, "2\n0\n");
    free(got);
    r = RUN("diff", a, b, "--format", "junit", "-o", o);
    cr_assert_eq(r.status, 2);
    cli_result_free(&r);
    got = python(junit_check_py, (char *const[]){o, NULL});
    cr_assert_not_null(strstr(got, "inputs|B|damaged|"), "%s", got);
    free(got);
}

Test(diff_cli, junit_is_valid_xml_with_a_failing_testcase_per_differing_object)
{
    char a[CLI_PLEN], b[CLI_PLEN], o[CLI_PLEN], ma[CLI_PLEN], mb[CLI_PLEN];
    snd_nxt_pair(a, b);
    /* Names that need escaping: markup characters, and bytes that are not UTF-8. */
    cr_assert_eq(rename(a, cli_tmp(ma, "a&<x>\"'.ctrace")), 0);
    cr_assert_eq(rename(b, cli_tmp(mb, "b\xff\xfe\x01.ctrace")), 0);
    cli_result r = RUN("diff", ma, mb, "--format", "junit", "--compare-header",
                       "--timing-tolerance", "5", "-o", cli_tmp(o, "j.xml"));
    cr_assert_eq(r.status, 1, "%s", r.err);
    cli_result_free(&r);
    char *got = python(junit_check_py, (char *const[]){o, NULL});
    cr_log_info("%s", got);
    cr_assert_not_null(strstr(got, "failures 2 errors 0"), "one object, one operation: %s",
                       got);
    cr_assert_not_null(strstr(got, "objects|tcp "), "%s", got);
    cr_assert_not_null(strstr(got, "|changed|1 changed, 0 removed, 0 added; first: "
                                   "block[2].tcp_delegated.snd_nxt: 1000 -> 1460"), "%s", got);
    cr_assert_not_null(strstr(got, "operations|TERMINATE|changed|"), "%s", got);
    cr_assert_not_null(strstr(got, "operations|QUERY|-"), "%s", got);
    cr_assert_not_null(strstr(got, "header|header|-"), "%s", got);
    cr_assert_not_null(strstr(got, "timing|INITIATE nic|-"), "%s", got);
    cr_assert_not_null(strstr(got, "a&<x>\"'.ctrace"), "markup survives the round trip");
    cr_assert_not_null(strstr(got, "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.ctrace"),
                       "invalid UTF-8 and control bytes become U+FFFD: %s", got);
    free(got);
}
