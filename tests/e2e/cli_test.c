/* cli_test.c - end-to-end tests of the chimtrace binary: exit codes, messages and output.
 *
 * Runs the real executable with posix_spawn, its stdout and stderr sent to files in a
 * per-test temporary directory. JSON output is checked by python3's json module with
 * NaN and duplicate keys refused, an oracle independent of our printer.
 */
#define _DEFAULT_SOURCE  /* mkdtemp, truncate, posix_spawn */

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run.h"

TestSuite(cli, .init = cli_tmpdir_make, .fini = cli_tmpdir_remove);

/* Checks a JSONL file strictly (every line one JSON object with one key; no NaN, no
 * duplicate keys) and prints "lines N", "events N", then one line per record: the event's
 * seq, or "-" for other kinds. */
static const char jsonl_check_py[] =
    "import json, sys\n"
    "def no_dup(pairs):\n"
    "    keys = [k for k, _ in pairs]\n"
    "    if len(keys) != len(set(keys)): raise ValueError('duplicate key')\n"
    "    return dict(pairs)\n"
    "def bad_const(c): raise ValueError('non-standard constant ' + c)\n"
    "rows = []\n"
    "for n, line in enumerate(open(sys.argv[1], encoding='utf-8'), 1):\n"
    "    o = json.loads(line, object_pairs_hook=no_dup, parse_constant=bad_const)\n"
    "    if not isinstance(o, dict) or len(o) != 1: sys.exit('line %d: not one record' % n)\n"
    "    rows.append(str(o['event']['seq']) if 'event' in o else '-')\n"
    "print('lines', len(rows))\n"
    "print('events', sum(r != '-' for r in rows))\n"
    "print('\\n'.join(rows))\n";

/* Reads one JSON document and prints the values at the given dotted paths, one a line. */
static const char json_get_py[] =
    "import json, sys\n"
    "o = json.load(open(sys.argv[1], encoding='utf-8'), parse_constant=lambda c: 1 / 0)\n"
    "for p in sys.argv[2:]:\n"
    "    v = o\n"
    "    for k in p.split('.'): v = v[k]\n"
    "    print(json.dumps(v))\n";

/* Save `text` to `name` in the temporary directory; its path goes to buf[CLI_PLEN]. */
static char *save(char *buf, const char *name, const char *text)
{
    char *p = cli_tmp(buf, name);
    FILE *f = fopen(p, "wb");

    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* Check a JSONL dump; returns python's report ("lines N\nevents N\n<seq or ->...\n"). */
static char *check_jsonl(const char *jsonl)
{
    char path[CLI_PLEN];
    cli_result r = cli_run_argv((char *const[]){ "python3", "-c", (char *)jsonl_check_py,
                                             save(path, "dump.jsonl", jsonl),
                                             NULL });

    cr_assert_eq(r.status, 0, "invalid JSONL: %s", r.err);
    free(r.err);
    return r.out;
}

static unsigned long report_value(const char *report, const char *key)
{
    const char *p = strstr(report, key);

    cr_assert_not_null(p, "no '%s' in report:\n%.200s", key, report);
    return strtoul(p + strlen(key) + 1, NULL, 10);
}

static void synth(const char *path, const char *records, const char *seed,
                  const char *chunk_bytes)
{
    cli_result r = RUN("synth", "-o", (char *)path, "--records", (char *)records, "--seed",
                       (char *)seed, "--chunk-bytes", (char *)chunk_bytes);

    cr_assert_eq(r.status, 0, "synth failed: %s", r.err);
    cli_result_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Dispatch and usage                                                                    */

Test(cli, every_verb_help_exits_0_and_prints_usage)
{
    const char *verbs[] = { "record", "info", "dump", "synth" };

    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        cli_result r = RUN((char *)verbs[i], "--help");
        cr_expect_eq(r.status, 0, "%s --help exited %d", verbs[i], r.status);
        cr_expect_not_null(strstr(r.out, "Usage: chimtrace "), "%s --help: %s", verbs[i],
                           r.out);
        cr_expect_not_null(strstr(r.out, verbs[i]));
        cli_result_free(&r);

        r = RUN("help", (char *)verbs[i]);
        cr_expect_eq(r.status, 0);
        cr_expect_not_null(strstr(r.out, "Usage: chimtrace "));
        cli_result_free(&r);
    }
    cli_result r = RUN("--help");
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out, "Usage"));
    cr_expect_not_null(strstr(r.out, "synth"));
    cli_result_free(&r);
}

Test(cli, version_names_the_release)
{
    cli_result r = RUN("--version");

    cr_expect_eq(r.status, 0);
    cr_expect_eq(strncmp(r.out, "chimtrace ", 10), 0, "got: %s", r.out);
    cli_result_free(&r);
}

Test(cli, unknown_verb_exits_2_and_names_it)
{
    cli_result r = RUN("frobnicate", "x");

    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "unknown verb 'frobnicate'"), "stderr: %s", r.err);
    cr_expect_str_empty(r.out);
    cli_result_free(&r);

    r = cli_run_argv((char *const[]){ CHIMTRACE, NULL });
    cr_expect_eq(r.status, 2, "no verb at all is an error");
    cli_result_free(&r);
}

Test(cli, bad_options_exit_2_with_a_message_naming_the_option)
{
    char t[CLI_PLEN];

    cli_tmp(t, "bad.ctrace");
    cli_result r = RUN("dump", t, "--count", "0");

    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "--count"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("dump", t, "--count", "12x");
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "'12x'"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("info", t, "--format", "yaml");
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "--format"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("synth", "--records", "5");
    cr_expect_eq(r.status, 2, "synth without -o");
    cr_expect_not_null(strstr(r.err, "-o"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("synth", "-o", t, "--zstd-level", "20");
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "1 to 19"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("record", "--workload", "nosuch", "-o", t);
    cr_expect_eq(r.status, 2, "record with an unknown workload");
    cr_expect_not_null(strstr(r.err, "nosuch"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("record", "--threads", "0", "-o", t);
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "--threads"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("record", "--nic-latency", "fixed:fast", "-o", t);
    cr_expect_eq(r.status, 2, "record with a bad latency spec");
    cr_expect_not_null(strstr(r.err, "fixed:fast"), "stderr: %s", r.err);
    cli_result_free(&r);

    r = RUN("record", "--workload", "basic");
    cr_expect_eq(r.status, 2, "record without -o");
    cr_expect_not_null(strstr(r.err, "-o"), "stderr: %s", r.err);
    cli_result_free(&r);
}

Test(cli, missing_file_exits_2_and_names_the_file)
{
    const char *verbs[] = { "info", "dump" };
    char missing[CLI_PLEN];

    cli_tmp(missing, "no-such.ctrace");
    for (size_t i = 0; i < 2; i++) {
        cli_result r = RUN((char *)verbs[i], missing);
        cr_expect_eq(r.status, 2, "%s exited %d", verbs[i], r.status);
        cr_expect_not_null(strstr(r.err, missing), "%s stderr: %s", verbs[i], r.err);
        cr_expect_not_null(strstr(r.err, verbs[i]));
        cli_result_free(&r);
    }
}

/* ------------------------------------------------------------------------------------ */
/* synth, info, dump                                                                     */

Test(cli, synth_then_info_counts_agree_with_records_written)
{
    char t[CLI_PLEN];

    cli_tmp(t, "s.ctrace");
    cli_result r = RUN("synth", "-o", t, "--records", "300", "--seed", "3");

    cr_assert_eq(r.status, 0, "synth: %s", r.err);
    cr_expect_not_null(strstr(r.err, "300 events"), "synth summary: %s", r.err);
    /* "chimtrace synth: PATH: N records (...)" */
    cr_assert_not_null(strstr(r.err, t), "synth summary: %s", r.err);
    unsigned long written = strtoul(strstr(r.err, t) + strlen(t) + 2, NULL, 10);
    cr_assert_gt(written, 300);
    cli_result_free(&r);

    r = RUN("info", t, "--format", "json");
    cr_assert_eq(r.status, 0, "info: %s", r.err);
    char js[CLI_PLEN];
    save(js, "info.json", r.out);
    cli_result_free(&r);
    r = cli_run_argv((char *const[]){ "python3", "-c", (char *)json_get_py, js, "events.total",
                                  "records.event", "records.header", "records.total",
                                  "records.summary", "truncated", "corrupt_chunks", NULL });
    cr_assert_eq(r.status, 0, "info JSON: %s", r.err);
    unsigned long ev, evk, hdr, total, sum, corrupt;
    char trunc[16];
    cr_assert_eq(sscanf(r.out, "%lu %lu %lu %lu %lu %15s %lu", &ev, &evk, &hdr, &total, &sum,
                        trunc, &corrupt), 7, "got: %s", r.out);
    cr_expect_eq(ev, 300);
    cr_expect_eq(evk, 300);
    cr_expect_eq(hdr, 1);
    cr_expect_eq(sum, 1);
    cr_expect_eq(total, written, "info counts %lu records, synth wrote %lu", total, written);
    cr_expect_str_eq(trunc, "false");
    cr_expect_eq(corrupt, 0);
    cli_result_free(&r);

    r = RUN("info", t);
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out, "event 300"), "info text: %s", r.out);
    cr_expect_not_null(strstr(r.out, "index: footer"), "info text: %s", r.out);
    cr_expect_not_null(strstr(r.out, "truncated:  no"), "info text: %s", r.out);
    cli_result_free(&r);
}

Test(cli, dump_jsonl_is_valid_json_with_one_line_per_record)
{
    char t[CLI_PLEN];

    cli_tmp(t, "d.ctrace");

    synth(t, "250", "11", "4096");
    cli_result r = RUN("dump", t, "--format", "jsonl");
    cr_assert_eq(r.status, 0, "dump: %s", r.err);
    cr_expect_str_empty(r.err);
    char *report = check_jsonl(r.out);
    cr_expect_eq(report_value(report, "events"), 250);
    cli_result_free(&r);

    r = RUN("info", t);
    unsigned long records = strtoul(strstr(r.out, "records:") + 8, NULL, 10);
    cr_expect_eq(report_value(report, "lines"), records, "dump printed %lu of %lu records",
                 report_value(report, "lines"), records);
    cli_result_free(&r);
    free(report);
}

Test(cli, dump_from_seq_with_count_returns_exactly_those_records)
{
    char t[CLI_PLEN];

    cli_tmp(t, "q.ctrace");

    synth(t, "400", "5", "4096");
    cli_result r = RUN("dump", t, "--format", "jsonl");
    cr_assert_eq(r.status, 0);
    char *full = check_jsonl(r.out);  /* "lines N\nevents N\n" then one row per record */
    cli_result_free(&r);

    /* rows[i]: the i-th record's seq, or "-". Find the 150th event. */
    char *rows[2048];
    size_t n = 0;
    for (char *s = strtok(full, "\n"); s && n < 2048; s = strtok(NULL, "\n"))
        if (strncmp(s, "lines", 5) && strncmp(s, "events", 6))
            rows[n++] = s;
    size_t start = 0, events = 0;
    for (; start < n && !(rows[start][0] != '-' && ++events == 150); start++)
        ;
    cr_assert_lt(start + 7, n);

    r = RUN("dump", t, "--format", "jsonl", "--from-seq", rows[start], "--count", "7");
    cr_assert_eq(r.status, 0, "dump: %s", r.err);
    char *part = check_jsonl(r.out);
    cli_result_free(&r);
    cr_expect_eq(report_value(part, "lines"), 7);
    char *p = strchr(strchr(part, '\n') + 1, '\n') + 1;  /* past the two count lines */
    for (size_t i = 0; i < 7; i++) {
        char *nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        cr_expect_str_eq(p, rows[start + i], "record %zu after the seek", i);
        p = nl + 1;
    }
    free(part);

    /* A seq past the last event prints nothing and is not an error. */
    r = RUN("dump", t, "--from-seq", "999999999");
    cr_expect_eq(r.status, 0);
    cr_expect_str_empty(r.out);
    cli_result_free(&r);
    free(full);
}

Test(cli, dump_of_truncated_file_prints_complete_chunks_warns_and_exits_0)
{
    char t[CLI_PLEN];

    cli_tmp(t, "t.ctrace");
    struct stat sb;

    synth(t, "2000", "9", "4096");
    cli_result r = RUN("dump", t, "--format", "jsonl");
    char *full = check_jsonl(r.out);
    unsigned long full_lines = report_value(full, "lines");
    cli_result_free(&r);
    free(full);

    cr_assert_eq(stat(t, &sb), 0);
    cr_assert_eq(truncate(t, sb.st_size / 2), 0);
    r = RUN("dump", t, "--format", "jsonl");
    cr_expect_eq(r.status, 0, "stderr: %s", r.err);
    cr_expect_not_null(strstr(r.err, "truncated"), "stderr: %s", r.err);
    cr_expect_not_null(strstr(r.err, t), "the warning names the file: %s", r.err);
    char *part = check_jsonl(r.out);
    unsigned long lines = report_value(part, "lines");
    cr_expect_gt(lines, 1, "complete chunks are still printed");
    cr_expect_lt(lines, full_lines);
    cli_result_free(&r);
    free(part);

    r = RUN("info", t);
    cr_expect_eq(r.status, 0, "truncation alone is not an error for info: %s", r.err);
    cr_expect_not_null(strstr(r.out, "truncated at byte"), "info: %s", r.out);
    cli_result_free(&r);
}

Test(cli, dump_of_corrupt_chunk_reports_offset_continues_and_exits_2)
{
    char t[CLI_PLEN];

    cli_tmp(t, "c.ctrace");
    struct stat sb;
    FILE *f;

    synth(t, "2000", "4", "4096");
    cli_result r = RUN("dump", t, "--format", "jsonl");
    char *full = check_jsonl(r.out);
    unsigned long full_lines = report_value(full, "lines");
    cli_result_free(&r);
    free(full);

    /* Scribble over the middle of the file: inside some chunk's compressed data. */
    cr_assert_eq(stat(t, &sb), 0);
    f = fopen(t, "r+b");
    cr_assert_not_null(f);
    fseek(f, sb.st_size / 2, SEEK_SET);
    fwrite("\xde\xad\xbe\xef\xde\xad\xbe\xef\xde\xad\xbe\xef", 1, 12, f);
    fclose(f);

    r = RUN("dump", t, "--format", "jsonl");
    cr_expect_eq(r.status, 2, "stderr: %s", r.err);
    cr_expect_not_null(strstr(r.err, t), "stderr names the file: %s", r.err);
    cr_expect_not_null(strstr(r.err, "byte "), "stderr gives the offset: %s", r.err);
    char *part = check_jsonl(r.out);
    unsigned long lines = report_value(part, "lines");
    cr_expect_lt(lines, full_lines, "the damaged chunk is skipped");
    cr_expect_gt(lines, full_lines / 2, "the chunks after the damage are still printed");
    cli_result_free(&r);
    free(part);

    r = RUN("info", t);
    cr_expect_eq(r.status, 2, "info: a corrupt chunk is an error");
    cr_expect_not_null(strstr(r.out, "1 chunk(s) skipped"), "info: %s", r.out);
    cli_result_free(&r);
}

Test(cli, dump_text_starts_with_header_then_numbered_events)
{
    char t[CLI_PLEN];

    cli_tmp(t, "x.ctrace");

    synth(t, "20", "2", "4096");
    cli_result r = RUN("dump", t, "--count", "2");
    cr_assert_eq(r.status, 0);
    cr_expect_eq(strncmp(r.out, "HEADER schema=1.0 producer=chimtrace", 36), 0, "got: %s",
                 r.out);
    char *ev = strchr(r.out, '\n') + 1;
    cr_expect_eq(strncmp(ev, "#1 t=", 5), 0, "got: %s", ev);
    cr_expect_not_null(strstr(ev, " req-in-above "), "got: %s", ev);
    cr_expect_not_null(strstr(ev, "\n  [0] "), "blocks follow, indented: %s", ev);
    cli_result_free(&r);
}
