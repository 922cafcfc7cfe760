/* stock_tools_test.c - a trace file is plain zstd + protobuf to tools that know neither us
 * nor our framing (FORMAT.md §1.1).
 *
 * `zstd -t` must accept the file, and `zstd -dc | protoc --decode=chimtrace.v1.Trace` must
 * print every record. CI installs both tools; a missing tool fails the test instead of
 * skipping it, so the promise can never go unchecked silently.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tf_helpers.h"

static char path[256], raw_path[256];

static void setup(void)
{
    tf_scratch_setup();
    tf_scratch_path(path, sizeof path, "t.ctrace");
    tf_scratch_path(raw_path, sizeof raw_path, "t.raw");
}

TestSuite(stock_tools, .init = setup, .fini = tf_scratch_teardown, .timeout = 120);

static void require_tool(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    int st = system(cmd);
    cr_assert(st == 0, "`%s` is not installed or not in PATH; this test needs it (CI installs "
              "the zstd and protobuf-compiler packages)", tool);
}

/* Run `cmd` through sh; returns its exit status, output (stdout+stderr) in *out (free). */
static int run(const char *cmd, char **out, size_t *len)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen(%s) failed", cmd);
    size_t cap = 1 << 16;
    *out = malloc(cap);
    *len = 0;
    size_t got;
    while ((got = fread(*out + *len, 1, cap - *len - 1, p)) > 0) {
        *len += got;
        if (cap - *len < 4096)
            *out = realloc(*out, cap *= 2);
    }
    (*out)[*len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Lines equal to `line`. One pass over the text: strstr in a loop is quadratic under ASan,
 * whose interceptor measures the whole haystack on every call. */
static size_t count_lines(const char *text, const char *line)
{
    size_t n = 0, len = strlen(line);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        n += l == len && memcmp(p, line, len) == 0;
        p += l + (nl != NULL);
    }
    return n;
}

/* protoc prints a field the schema does not name as "<number>: value". */
static int has_unknown_field(const char *text)
{
    for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        const char *q = p;
        while (*q == ' ')
            q++;
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9')
                q++;
            if (q[0] == ':' || (q[0] == ' ' && q[1] == '{'))
                return 1;
        }
    }
    return 0;
}

/* A trace with every record kind: header, events, loss, frames, and a closing summary. */
static void write_trace(size_t n, ct_synth_stats *st, size_t *records)
{
    ct_synth *s;
    ct_writer *w;
    ct_errinfo ei;
    Chimtrace__V1__TraceHeader *h;
    cr_assert_eq(ct_synth_new(2718, &s), CT_OK);
    ct_synth_header(s, &h);
    cr_assert_eq(ct_writer_open(path, h, NULL, &w, &ei), CT_OK, "%s", ei.msg);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ct_writer_append(w, ct_synth_next(s), &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(ct_writer_append(w, ct_synth_summary(s), &ei), CT_OK, "%s", ei.msg);
    ct_synth_get_stats(s, st);
    cr_assert_eq(ct_writer_close(w, &ei), CT_OK, "%s", ei.msg);
    *records = n + 2;
    ct_synth_free(s);
}

Test(stock_tools, zstd_test_accepts_the_trace_file)
{
    ct_synth_stats st;
    size_t records, len;
    char cmd[1024], *out;
    require_tool("zstd");
    write_trace(3000, &st, &records);
    snprintf(cmd, sizeof cmd, "zstd -t -q '%s' 2>&1", path);
    int rc = run(cmd, &out, &len);
    cr_assert_eq(rc, 0, "zstd -t rejected the trace (exit %d): %s", rc, out);
    free(out);
}

Test(stock_tools, zstd_and_protoc_decode_every_record)
{
    ct_synth_stats st;
    size_t records, len;
    char cmd[2048], *out, proto[512], proto_dir[512];
    require_tool("zstd");
    require_tool("protoc");
    write_trace(3000, &st, &records);
    snprintf(cmd, sizeof cmd, "zstd -d -q -c '%s' > '%s' 2>&1", path, raw_path);
    int rc = run(cmd, &out, &len);
    cr_assert_eq(rc, 0, "zstd -dc failed (exit %d): %s", rc, out);
    free(out);

    snprintf(proto, sizeof proto, "%s", CT_PROTO_FILE);
    snprintf(proto_dir, sizeof proto_dir, "%s", CT_PROTO_FILE);
    snprintf(cmd, sizeof cmd, "protoc --decode=chimtrace.v1.Trace -I '%s' '%s' < '%s' 2>&1",
             dirname(proto_dir), proto, raw_path);
    rc = run(cmd, &out, &len);
    cr_assert_eq(rc, 0, "protoc --decode failed (exit %d): %.2000s", rc, out);

    cr_assert_eq(count_lines(out, "record {"), records, "%zu records decoded, %zu written",
                 count_lines(out, "record {"), records);
    cr_assert_eq(count_lines(out, "  event {"), st.events, "%zu events decoded, %llu written",
                 count_lines(out, "  event {"), (unsigned long long)st.events);
    cr_assert_eq(count_lines(out, "  loss {"), st.losses);
    cr_assert_eq(count_lines(out, "  frame {"), st.frames);
    cr_assert_eq(count_lines(out, "  summary {"), 1);
    cr_assert_eq(count_lines(out, "  header {"), 1);
    static const char *const expect[] = {
        "    producer_name: \"chimtrace\"\n", "    workload: \"synth\"\n", "    seed: 2718\n",
        "    abi: ABI_X64\n", "    clock_source: CLOCK_VIRTUAL\n", "    seq: 1\n",
        "    op: OP_INITIATE\n", "    edge: EDGE_REQUEST_IN_ABOVE\n",
        "    edge: EDGE_COMPLETION_OUT_ABOVE\n", "      tcp_delegated {\n",
        "        state: TCP_CONNECTION_ESTABLISHED\n", "      neighbor_const {\n",
        "      path_cached {\n", "    cause: LOSS_RING_FULL\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        cr_assert_not_null(strstr(out, expect[i]), "protoc output lacks \"%s\"", expect[i]);
    cr_assert(!has_unknown_field(out), "protoc found fields the schema does not know");
    free(out);
}
