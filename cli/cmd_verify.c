/* cmd_verify.c - `chimtrace verify FILE`: check a trace against the chimney contract.
 *
 * Option parsing and output only: the checking is ct_verify's (replay/verify/verify.h), one
 * pass over the file in bounded memory. Findings are kept up to --max per level, so the
 * report can open with what the trace lacks (losses, truncation) before listing them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "ct_print.h"
#include "verify.h"

#define VERIFY_DEFAULT_MAX 100u

static void verify_usage(FILE *out)
{
    fputs("Usage: chimtrace verify FILE [--format text|json] [--max N]\n"
          "\n"
          "Check a trace against the TCP-chimney state-operation contract (reference §3 and\n"
          "the checks of §4.3 for initiate, terminate, update, query and invalidate): tree\n"
          "shape and layer order, state types and sizes, block roles, one completion per\n"
          "request with the same root, statuses, offload contexts, the fields an IM must\n"
          "restore before completing to the host, and each object's lifecycle. Every\n"
          "finding names its rule (see replay/verify/RULES.md), the event's seq, operation\n"
          "and edge, and the object (its addresses, not its handle).\n"
          "\n"
          "Lost events, a truncated file and trees cut at the capture limit are reported\n"
          "first; findings that missing events could explain are notes, not violations.\n"
          "\n"
          "Options:\n"
          "  --format text|json  text for people (default) or one JSON document\n"
          "  --max N             list at most N violations and N notes (default 100);\n"
          "                      the counts by rule always cover everything\n"
          "  -h, --help          show this help\n"
          "\n"
          "Exit status:\n"
          "  0  no violations (notes do not count)\n"
          "  1  violations found\n"
          "  2  bad arguments; the file cannot be read or is not a trace; or damaged chunks\n"
          "     had to be skipped (the report covers the rest)\n",
          out);
}

typedef struct verify_args {
    const char *path;
    cli_format format;
    uint64_t max;
} verify_args;

static int verify_option(void *ctx, int argc, char **argv, int *i)
{
    verify_args *a = ctx;
    const char *val;
    int m;

    if ((m = cli_opt_value("verify", argc, argv, i, "--format", &val)))
        return m < 0 || cli_parse_format("verify", val, CLI_FORMAT_TEXT | CLI_FORMAT_JSON,
                                         &a->format) < 0 ? -1 : 1;
    if ((m = cli_opt_value("verify", argc, argv, i, "--max", &val)))
        return m < 0 || cli_parse_u64("verify", "--max", val, 0, 1000000, &a->max) < 0 ? -1 : 1;
    return 0;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int verify_parse(int argc, char **argv, verify_args *a)
{
    a->path = NULL;
    a->format = CLI_FORMAT_TEXT;
    a->max = VERIFY_DEFAULT_MAX;
    return cli_scan_args("verify", argc, argv, verify_option, a, &a->path, 1, 1, "FILE");
}

/* The findings listed in the report: the first `max` of each level. */
typedef struct kept {
    verify_finding *v[VERIFY_LEVELS];
    size_t n[VERIFY_LEVELS];
    uint64_t max;
    int nomem;
} kept;

static void keep(void *ctx, const verify_finding *f)
{
    kept *k = ctx;
    size_t lvl = f->level == VERIFY_NOTE ? 1 : 0;

    if (k->n[lvl] >= k->max || k->nomem)
        return;
    if (!k->v[lvl]) {
        k->v[lvl] = malloc((size_t)k->max * sizeof *k->v[lvl]);
        if (!k->v[lvl]) {
            k->nomem = 1;
            return;
        }
    }
    k->v[lvl][k->n[lvl]++] = *f;
}

static const char *abi_name(int abi)
{
    return abi == CHIMTRACE__V1__ABI__ABI_X64 ? "x64" : abi == CHIMTRACE__V1__ABI__ABI_X86 ? "x86"
                                                                                        : "unknown";
}

/* ---- text -------------------------------------------------------------------------------- */

static void text_finding(const verify_finding *f)
{
    printf("%s %s", f->level == VERIFY_NOTE ? "note" : "violation", f->rule_id);
    if (f->has_seq)
        printf(" seq=%" PRIu64, f->seq);
    if (f->op)
        printf(" %s/%s op=%" PRIu64, ct_print_op_name(f->op), ct_print_edge_name(f->edge),
               f->op_id);
    if (f->block >= 0)
        printf(" block=%" PRId32, f->block);
    if (strcmp(f->object, "-") != 0)
        printf(" [%s]", f->object);
    printf(": %s\n", f->message);
}

static void text_report(const char *path, const verify_summary *s, const kept *k)
{
    size_t nr;
    const verify_rule_info *rules = verify_rules(&nr);

    printf("trace: %s (abi %s): %" PRIu64 " events, %" PRIu64 " checked, %" PRIu64
           " operations (%" PRIu64 " completed)\n", path, abi_name(s->abi), s->events,
           s->events_checked, s->ops_started, s->ops_completed);
    if (s->loss_records)
        printf("trace: %" PRIu64 " loss record(s), %" PRIu64 " event(s) lost: findings they "
               "could explain are notes\n", s->loss_records, s->lost_events);
    if (s->truncated)
        printf("trace: the file ends early (truncated): unfinished operations are notes\n");
    if (s->damaged_chunks)
        printf("trace: %" PRIu64 " damaged chunk(s) skipped\n", s->damaged_chunks);
    if (s->truncated_trees)
        printf("trace: %" PRIu64 " tree(s) cut at the capture limit: whole-tree checks skipped "
               "for them\n", s->truncated_trees);
    if (!s->has_run_summary && !s->truncated)
        printf("trace: no run summary (the recorder did not end cleanly)\n");
    for (int lvl = 0; lvl < VERIFY_LEVELS; lvl++) {
        uint64_t total = lvl ? s->notes : s->violations;
        if (!total)
            continue;
        printf("\n%s:\n", lvl ? "notes" : "violations");
        for (size_t i = 0; i < k->n[lvl]; i++)
            text_finding(&k->v[lvl][i]);
        if (total > k->n[lvl])
            printf("... and %" PRIu64 " more (--max %" PRIu64 ")\n", total - k->n[lvl], k->max);
    }
    printf("\nsummary by rule:\n");
    for (size_t r = 0; r < nr; r++)
        if (s->by_rule[r][0] || s->by_rule[r][1])
            printf("  %-30s %8" PRIu64 " violation(s) %8" PRIu64 " note(s)\n", rules[r].id,
                   s->by_rule[r][0], s->by_rule[r][1]);
    printf("result: %" PRIu64 " violation(s), %" PRIu64 " note(s)%s\n", s->violations, s->notes,
           s->violations ? "" : ": clean");
}

/* ---- json -------------------------------------------------------------------------------- */

static void json_u64_or_null(const char *key, int has, uint64_t v, int comma)
{
    printf("\"%s\":", key);
    if (has)
        printf("%" PRIu64, v);
    else
        printf("null");
    if (comma)
        putchar(',');
}

static void json_finding(const verify_finding *f)
{
    printf("{\"rule\":");
    ct_print_json_string(stdout, f->rule_id);
    printf(",\"level\":\"%s\",", f->level == VERIFY_NOTE ? "note" : "violation");
    json_u64_or_null("seq", f->has_seq, f->seq, 1);
    json_u64_or_null("op_id", f->op != 0, f->op_id, 1);
    printf("\"op\":");
    if (f->op)
        ct_print_json_string(stdout, ct_print_op_name(f->op));
    else
        printf("null");
    printf(",\"edge\":");
    if (f->edge)
        ct_print_json_string(stdout, ct_print_edge_name(f->edge));
    else
        printf("null");
    putchar(',');
    json_u64_or_null("block", f->block >= 0, (uint64_t)f->block, 1);
    json_u64_or_null("handle", f->handle != 0, f->handle, 1);
    printf("\"object\":");
    ct_print_json_string(stdout, f->object);
    printf(",\"message\":");
    ct_print_json_string(stdout, f->message);
    putchar('}');
}

static void json_report(const char *path, const verify_summary *s, const kept *k)
{
    size_t nr;
    const verify_rule_info *rules = verify_rules(&nr);

    printf("{\"file\":");
    ct_print_json_string(stdout, path);
    printf(",\"trace\":{\"abi\":\"%s\",\"records\":%" PRIu64 ",\"events\":%" PRIu64
           ",\"events_checked\":%" PRIu64 ",\"operations\":%" PRIu64
           ",\"operations_completed\":%" PRIu64 ",\"operations_in_flight_at_end\":%" PRIu64
           ",\"objects_offloaded_at_end\":%" PRIu64 ",\"loss_records\":%" PRIu64
           ",\"lost_events\":%" PRIu64 ",\"truncated_trees\":%" PRIu64
           ",\"damaged_chunks\":%" PRIu64 ",\"truncated\":%s,\"run_summary\":%s}",
           abi_name(s->abi), s->records, s->events, s->events_checked, s->ops_started,
           s->ops_completed, s->ops_in_flight_end, s->objects_offloaded_end, s->loss_records,
           s->lost_events, s->truncated_trees, s->damaged_chunks,
           s->truncated ? "true" : "false", s->has_run_summary ? "true" : "false");
    for (int lvl = 0; lvl < VERIFY_LEVELS; lvl++) {
        printf(",\"%s\":[", lvl ? "notes" : "violations");
        for (size_t i = 0; i < k->n[lvl]; i++) {
            if (i)
                putchar(',');
            json_finding(&k->v[lvl][i]);
        }
        putchar(']');
    }
    printf(",\"max\":%" PRIu64 ",\"violations_total\":%" PRIu64 ",\"notes_total\":%" PRIu64
           ",\"by_rule\":[", k->max, s->violations, s->notes);
    for (size_t r = 0; r < nr; r++) {
        printf("%s{\"rule\":", r ? "," : "");
        ct_print_json_string(stdout, rules[r].id);
        printf(",\"check\":%d,\"violations\":%" PRIu64 ",\"notes\":%" PRIu64 "}", rules[r].check,
               s->by_rule[r][0], s->by_rule[r][1]);
    }
    printf("],\"result\":\"%s\"}\n", s->violations ? "violations" : "clean");
}

static int verify_run(int argc, char **argv)
{
    verify_args a;
    kept k;
    verify_opts o;
    verify_summary s;
    verify *v = NULL;
    ct_errinfo ei;
    ct_err err;
    int rc = verify_parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? (verify_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    memset(&k, 0, sizeof k);
    k.max = a.max;
    o.on_finding = keep;
    o.ctx = &k;
    memset(&ei, 0, sizeof ei);
    err = verify_new(&o, &v);
    if (err == CT_OK)
        err = verify_run_file(v, a.path, &ei);
    if (err == CT_OK && k.nomem)
        err = CT_ERR_NOMEM;
    if (err != CT_OK) {
        cli_report("verify", a.path, NULL, err, &ei);
        rc = CLI_EXIT_ERROR;
    } else {
        verify_get_summary(v, &s);
        if (a.format == CLI_FORMAT_JSON)
            json_report(a.path, &s, &k);
        else
            text_report(a.path, &s, &k);
        rc = s.violations ? CLI_EXIT_DIFFERS : CLI_EXIT_OK;
        if (s.damaged_chunks) {
            fprintf(stderr, "chimtrace verify: %s: %" PRIu64 " damaged chunk(s) skipped\n",
                    a.path, s.damaged_chunks);
            rc = CLI_EXIT_ERROR;
        }
    }
    verify_free(v);
    free(k.v[0]);
    free(k.v[1]);
    return rc;
}

const cli_verb cli_verb_verify = {
    "verify", "check a trace against the chimney contract rules (reference §4.3)",
    verify_run, verify_usage,
};
