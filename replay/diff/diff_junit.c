/* diff_junit.c - a diff_result as JUnit XML for CI dashboards: a testcase per object and per
 * operation kind (failing with their first change), the inputs (a damaged one is an <error>;
 * truncation and losses are properties and system-out), header and timing when compared.
 * Text is escaped for XML 1.0: markup as entities, control bytes and invalid UTF-8 as
 * U+FFFD, so the document always parses.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ct_print.h"
#include "diff_int.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 2 && s[0] < 0xC2)
        return 0;   /* overlong */
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;   /* overlong, or a surrogate */
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || s[0] > 0xF4 || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return n;
}

static void xml_text(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    while (*s) {
        size_t n = utf8_len(s);
        switch (n == 1 ? *s : 0) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            if (n == 0 || (n == 1 && *s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r'))
                fputs("\xEF\xBF\xBD", out);
            else
                fwrite(s, 1, n, out);
        }
        s += n ? n : 1;
    }
}

static void property(FILE *out, const char *name, const char *value)
{
    fputs("      <property name=\"", out);
    xml_text(out, name);
    fputs("\" value=\"", out);
    xml_text(out, value);
    fputs("\"/>\n", out);
}

static int obj_failed(const diff_object_result *o)
{
    return o->c.changed || o->c.removed || o->c.added;
}

/* "<n> changed, <n> removed, <n> added; first: <field>: <exp> -> <got>" */
static void failure_message(char *buf, size_t size, const diff_counts *c,
                            const diff_change *first)
{
    int n = snprintf(buf, size, "%" PRIu64 " changed, %" PRIu64 " removed, %" PRIu64 " added",
                     c->changed, c->removed, c->added);
    if (first && first->field[0] && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; first: %s: %s -> %s", first->field,
                 first->expected, first->got);
}

static void testcase(FILE *out, const char *cls, const char *name, const char *ftype,
                     const char *msg, const char *detail)
{
    fprintf(out, "    <testcase classname=\"%s\" name=\"", cls);
    xml_text(out, name);
    if (!ftype) {
        fputs("\"/>\n", out);
        return;
    }
    fprintf(out, "\">\n      <%s type=\"%s\" message=\"", strcmp(ftype, "damaged") ? "failure"
                                                                              : "error", ftype);
    xml_text(out, msg);
    fputs("\">", out);
    xml_text(out, detail ? detail : msg);
    fprintf(out, "</%s>\n    </testcase>\n", strcmp(ftype, "damaged") ? "failure" : "error");
}

static void suite_objects(FILE *out, const diff_result *r)
{
    size_t n = r->n_objects + (r->objects_overflow ? 1 : 0), failures = 0;
    char name[160], msg[512], detail[768];
    for (size_t i = 0; i < r->n_objects; i++)
        failures += obj_failed(&r->objects[i]) != 0;
    if (r->objects_overflow && obj_failed(&r->other_objects))
        failures++;
    fprintf(out, "  <testsuite name=\"objects\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            n, failures);
    for (size_t i = 0; i <= r->n_objects; i++) {
        const diff_object_result *o = i < r->n_objects ? &r->objects[i] : &r->other_objects;
        if (i == r->n_objects && !r->objects_overflow)
            break;
        if (i == r->n_objects)
            snprintf(name, sizeof name, "(other objects)");
        else if (o->object.kind == OBJ_NONE)
            snprintf(name, sizeof name, "(no identified object)");
        else
            obj_format(&o->object, name, sizeof name);
        failure_message(msg, sizeof msg, &o->c, o->has_first ? &o->first_change : NULL);
        snprintf(detail, sizeof detail, "%s\nfirst %s event at seq %" PRIu64 " (%s %s)", msg,
                 o->has_first ? diff_kind_name(o->first_kind) : "-", o->first_seq,
                 ct_print_op_name(o->first_op), ct_print_edge_name(o->first_edge));
        testcase(out, "chimtrace.diff.objects", name,
                 obj_failed(o) ? diff_kind_name(o->first_kind) : NULL, msg, detail);
    }
    fputs("  </testsuite>\n", out);
}

static void suite_operations(FILE *out, const diff_result *r)
{
    size_t failures = 0;
    char msg[512];
    for (size_t i = 0; i < r->n_ops; i++)
        failures += (r->ops[i].c.changed || r->ops[i].c.removed || r->ops[i].c.added) != 0;
    fprintf(out, "  <testsuite name=\"operations\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            r->n_ops, failures);
    for (size_t i = 0; i < r->n_ops; i++) {
        const diff_counts *c = &r->ops[i].c;
        int failed = c->changed || c->removed || c->added;
        const char *name = r->ops[i].op < 0 ? "OTHER" : ct_print_op_name(r->ops[i].op);
        failure_message(msg, sizeof msg, c, NULL);
        testcase(out, "chimtrace.diff.operations", name,
                 failed ? (c->changed ? "changed" : c->removed ? "removed" : "added") : NULL,
                 msg, NULL);
    }
    fputs("  </testsuite>\n", out);
}

static void input_facts(char *buf, size_t size, const char *name, const diff_input *in)
{
    int n = snprintf(buf, size, "%s %s: %" PRIu64 " events, %" PRIu64 " loss records (%" PRIu64
                     " events lost), %s%s%s", name, in->path, in->events, in->loss_records,
                     in->lost_events, in->truncated ? "truncated: " : "complete",
                     in->truncated ? in->truncation : "", in->clean_end ? ", clean end" : "");
    if (in->corrupt_chunks && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; %" PRIu64 " damaged chunk(s), first: %s",
                 in->corrupt_chunks, in->problem);
}

static void suite_inputs(FILE *out, const diff_result *r)
{
    char buf[1024], v[64];
    int errors = (r->in[0].corrupt_chunks != 0) + (r->in[1].corrupt_chunks != 0);
    fprintf(out, "  <testsuite name=\"inputs\" tests=\"2\" failures=\"0\" errors=\"%d\">\n"
                 "    <properties>\n", errors);
    property(out, "incomplete", r->incomplete ? "true" : "false");
    for (int s = 0; s < 2; s++) {
        const diff_input *in = &r->in[s];
        const char *p = s ? "b." : "a.";
        char key[32];
        snprintf(key, sizeof key, "%spath", p);
        property(out, key, in->path);
        snprintf(key, sizeof key, "%struncated", p);
        property(out, key, in->truncated ? in->truncation : "false");
        snprintf(key, sizeof key, "%slost_events", p);
        snprintf(v, sizeof v, "%" PRIu64, in->lost_events);
        property(out, key, v);
        snprintf(key, sizeof key, "%scorrupt_chunks", p);
        snprintf(v, sizeof v, "%" PRIu64, in->corrupt_chunks);
        property(out, key, v);
    }
    fputs("    </properties>\n", out);
    for (int s = 0; s < 2; s++) {
        input_facts(buf, sizeof buf, s ? "B (got)" : "A (expected)", &r->in[s]);
        testcase(out, "chimtrace.diff.inputs", s ? "B" : "A",
                 r->in[s].corrupt_chunks ? "damaged" : NULL, buf, NULL);
    }
    input_facts(buf, sizeof buf, "A (expected)", &r->in[0]);
    fputs("    <system-out>", out);
    xml_text(out, buf);
    fputc('\n', out);
    input_facts(buf, sizeof buf, "B (got)", &r->in[1]);
    xml_text(out, buf);
    fputs("</system-out>\n  </testsuite>\n", out);
}

static void suite_header(FILE *out, const diff_result *r)
{
    char msg[512];
    if (!r->header_compared)
        return;
    fprintf(out, "  <testsuite name=\"header\" tests=\"1\" failures=\"%d\" errors=\"0\">\n",
            r->header_changes ? 1 : 0);
    if (r->n_header_change)
        snprintf(msg, sizeof msg, "%" PRIu64 " change(s); first: %s: %s -> %s",
                 r->header_changes, r->header_change[0].field, r->header_change[0].expected,
                 r->header_change[0].got);
    testcase(out, "chimtrace.diff.header", "header", r->header_changes ? "changed" : NULL, msg,
             NULL);
    fputs("  </testsuite>\n", out);
}

static void suite_timing(FILE *out, const diff_result *r)
{
    size_t failures = 0;
    char name[96], msg[512], a[32], b[32];
    if (!r->timing)
        return;
    for (size_t i = 0; i < r->n_timing; i++)
        failures += r->timing_rows[i].regressed != 0;
    fprintf(out, "  <testsuite name=\"timing\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            r->n_timing, failures);
    for (size_t i = 0; i < r->n_timing; i++) {
        const diff_timing_row *t = &r->timing_rows[i];
        size_t o = 0;
        snprintf(name, sizeof name, "%s %s", t->op < 0 ? "OTHER" : ct_print_op_name(t->op),
                 diff_span_name(t->span));
        msg[0] = '\0';
        for (int p = 0; p < 3 && o < sizeof msg; p++)
            o += (size_t)snprintf(msg + o, sizeof msg - o, "%sp%d %s -> %s%s", p ? ", " : "",
                                  diff_percentiles[p], ct_print_format_ms(a, t->a_ns[p]),
                                  ct_print_format_ms(b, t->b_ns[p]),
                                  (t->regressed >> p) & 1 ? " (regressed)" : "");
        testcase(out, "chimtrace.diff.timing", name, t->regressed ? "regressed" : NULL, msg, NULL);
    }
    fputs("  </testsuite>\n", out);
}

ct_err diff_report_junit(FILE *out, const diff_result *r)
{
    size_t tests = 0, failures = 0;
    if (!out || !r)
        return CT_ERR_ARG;
    tests = r->n_objects + (r->objects_overflow ? 1 : 0) + r->n_ops + 2 +
            (r->header_compared ? 1 : 0) + (r->timing ? r->n_timing : 0);
    for (size_t i = 0; i < r->n_objects; i++)
        failures += obj_failed(&r->objects[i]) != 0;
    failures += r->objects_overflow && obj_failed(&r->other_objects);
    for (size_t i = 0; i < r->n_ops; i++)
        failures += (r->ops[i].c.changed || r->ops[i].c.removed || r->ops[i].c.added) != 0;
    failures += r->header_changes != 0;
    for (size_t i = 0; r->timing && i < r->n_timing; i++)
        failures += r->timing_rows[i].regressed != 0;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<testsuites name=\"chimtrace diff\" tests=\"%zu\" failures=\"%zu\" "
                 "errors=\"%d\">\n",
            tests, failures, (r->in[0].corrupt_chunks != 0) + (r->in[1].corrupt_chunks != 0));
    suite_objects(out, r);
    suite_operations(out, r);
    suite_inputs(out, r);
    suite_header(out, r);
    suite_timing(out, r);
    fputs("</testsuites>\n", out);
    return ferror(out) ? CT_ERR_IO : CT_OK;
}
