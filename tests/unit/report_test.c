/* report_test.c - `chimtrace report`'s page: built from the stats engine, self-contained,
 * deterministic, honest about damaged input, safe with hostile text.
 *
 * The page is checked as text here (one chart per latency group, one table row per group,
 * the loss banner); tests/e2e/report_render.py opens it in headless Chromium and checks the
 * pixels.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff_mutate.h"
#include "report.h"
#include "report_int.h"

static const char *const goldens[] = {"basic", "storm", "churn", "exhaust", "deep", "mixed",
                                      "mixed-rt3"};

static void golden_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/traces/%s.ctrace", CT_TEST_SOURCE_DIR, name);
}

/* The page for `path` as one heap string (caller frees); the engine is returned too. */
static char *page_for(const char *path, const report_opts *o, stats_engine **engine)
{
    stats_opts so;
    stats_engine *s = NULL;
    ct_errinfo ei;
    char *text = NULL;
    size_t len = 0;
    FILE *mem;

    memset(&ei, 0, sizeof ei);
    stats_opts_init(&so);
    if (o)
        so.by = o->by;
    cr_assert_eq(stats_process_file(path, &so, &s, &ei), CT_OK, "%s: %s", path, ei.msg);
    mem = open_memstream(&text, &len);
    cr_assert_not_null(mem);
    cr_assert_eq(report_write_html(mem, s, path, o), CT_OK);
    cr_assert_eq(fclose(mem), 0);
    if (engine)
        *engine = s;
    else
        stats_free(s);
    return text;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

Test(report, every_golden_trace_gets_one_chart_and_row_per_latency_group)
{
    for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
        char path[512];
        stats_engine *s;
        char *page;
        size_t groups;

        golden_path(path, sizeof path, goldens[i]);
        page = page_for(path, NULL, &s);
        groups = stats_group_count(s);
        cr_expect_gt(groups, 0, "%s: no latency groups", goldens[i]);
        cr_expect_eq(count_of(page, "<svg class=\"hist\""), groups, "%s", goldens[i]);
        /* Table rows: one per group plus the heading row. */
        {
            const char *t = strstr(page, "<table id=\"percentiles\">");
            const char *end = t ? strstr(t, "</table>") : NULL;
            size_t rows = 0;

            cr_assert(t && end, "%s: no percentile table", goldens[i]);
            for (const char *p = t; (p = strstr(p, "<tr>")) && p < end; p += 4)
                rows++;
            cr_expect_eq(rows, groups + 1, "%s: %zu rows for %zu groups", goldens[i], rows,
                         groups);
        }
        cr_expect_eq(count_of(page, "<svg class=\"depth\""), 1, "%s", goldens[i]);
        cr_expect_gt(count_of(page, "<rect class=\"bar\""), 0, "%s", goldens[i]);
        cr_expect_gt(count_of(page, "<svg class=\"prop\""), 0, "%s", goldens[i]);
        cr_expect_not_null(strstr(page, "id=\"certain\""), "%s: golden traces are complete",
                           goldens[i]);
        cr_expect_null(strstr(page, "<script"), "%s", goldens[i]);
        cr_expect_null(strstr(page, "src="), "%s", goldens[i]);
        cr_expect_null(strstr(page, "href="), "%s", goldens[i]);
        cr_expect_not_null(strstr(page, "</html>\n"), "%s", goldens[i]);
        free(page);
        stats_free(s);
    }
}

Test(report, same_trace_gives_the_same_bytes)
{
    char path[512];
    char *a, *b;

    golden_path(path, sizeof path, "mixed-rt3");
    a = page_for(path, NULL, NULL);
    b = page_for(path, NULL, NULL);
    cr_expect_str_eq(a, b);
    free(a);
    free(b);
}

Test(report, grouping_by_cpu_changes_the_rows)
{
    char path[512];
    report_opts o;
    char *page;

    golden_path(path, sizeof path, "mixed-rt3");
    report_opts_init(&o);
    o.by = STATS_BY_CPU;
    page = page_for(path, &o, NULL);
    cr_expect_not_null(strstr(page, "Latency percentiles (by cpu)"));
    cr_expect_not_null(strstr(page, "<td class=\"l\">ring 0</td><td class=\"l\">e2e"),
                       "rows are named after rings");
    cr_expect_null(strstr(page, "<td class=\"l\">INITIATE</td><td class=\"l\">e2e"));
    free(page);
}

Test(report, truncated_trace_is_flagged_uncertain_with_the_byte_offset)
{
    char in[512], cut[] = "/tmp/ct_report_cut_XXXXXX";
    int fd = mkstemp(cut);
    char *page;

    cr_assert_geq(fd, 0);
    close(fd);
    golden_path(in, sizeof in, "mixed-rt3");
    cr_assert_eq(dm_cut(in, cut, dm_size(in) * 2 / 3), 0);
    page = page_for(cut, NULL, NULL);
    cr_expect_not_null(strstr(page, "id=\"uncertain\""));
    cr_expect_not_null(strstr(page, "truncated"));
    cr_expect_not_null(strstr(page, "yes, at byte "));
    cr_expect_null(strstr(page, "id=\"certain\""));
    free(page);
    unlink(cut);
}

Test(report, hostile_title_and_path_are_escaped)
{
    char path[512];
    report_opts o;
    char *page;

    golden_path(path, sizeof path, "basic");
    report_opts_init(&o);
    o.title = "<script>alert('x')</script> & \"q\"\x01";
    page = page_for(path, &o, NULL);
    cr_expect_null(strstr(page, "<script"));
    cr_expect_not_null(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
                                    "&quot;q&quot;\xEF\xBF\xBD"));
    free(page);
}

Test(report, durations_and_counts_read_naturally)
{
    char b[32];

    cr_expect_str_eq(rp_fmt_ns(b, 0), "0 ns");
    cr_expect_str_eq(rp_fmt_ns(b, 850), "850 ns");
    cr_expect_str_eq(rp_fmt_ns(b, 12400), "12.4 \xC2\xB5s");
    cr_expect_str_eq(rp_fmt_ns(b, 3.05e6), "3.05 ms");
    cr_expect_str_eq(rp_fmt_ns(b, 250e6), "250 ms");
    cr_expect_str_eq(rp_fmt_ns(b, 1.2e9), "1.20 s");
    cr_expect_str_eq(rp_fmt_count(b, 0), "0");
    cr_expect_str_eq(rp_fmt_count(b, 999), "999");
    cr_expect_str_eq(rp_fmt_count(b, 1234567), "1,234,567");
}

Test(report, histogram_of_nothing_says_so_and_bars_never_vanish)
{
    rp_bucket one = {20000, 20001, 7};
    rp_marker mk = {"p50", 20000};
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);

    rp_svg_histogram(mem, "empty", NULL, 0, NULL, 0);
    rp_svg_histogram(mem, "one", &one, 1, &mk, 1);
    fclose(mem);
    cr_expect_not_null(strstr(text, "no samples"));
    /* A one-nanosecond bucket is still drawn at least MIN_BAR wide. */
    {
        const char *w = strstr(text, "<rect class=\"bar\"");
        double width = 0;

        cr_assert_not_null(w);
        w = strstr(w, "width=\"");
        cr_assert_not_null(w);
        width = strtod(w + 7, NULL);
        cr_expect_geq(width, 6.0, "bar width %.1f", width);
    }
    free(text);
}

Test(report, write_file_replaces_the_page_whole_and_leaves_no_temp_on_failure)
{
    char in[512], out[] = "/tmp/ct_report_out_XXXXXX", tmp[64];
    report_opts o;
    ct_errinfo ei;
    struct stat st;
    int fd = mkstemp(out);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "old", 3), 3);
    close(fd);
    golden_path(in, sizeof in, "basic");
    report_opts_init(&o);
    memset(&ei, 0, sizeof ei);
    cr_assert_eq(report_write_file(in, out, &o, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(stat(out, &st), 0);
    cr_expect_gt(st.st_size, 1000);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    cr_expect_neq(stat(tmp, &st), 0, "temporary file left behind");
    unlink(out);

    memset(&ei, 0, sizeof ei);
    cr_expect_eq(report_write_file(in, "/nonexistent-dir/x.html", &o, &ei), CT_ERR_IO);
    cr_expect_not_null(strstr(ei.msg, "/nonexistent-dir/x.html.tmp"), "%s", ei.msg);
    memset(&ei, 0, sizeof ei);
    cr_expect_neq(report_write_file("/nonexistent-dir/in.ctrace", out, &o, &ei), CT_OK);
    cr_expect_neq(stat(out, &st), 0, "no page for an unreadable input");
}
