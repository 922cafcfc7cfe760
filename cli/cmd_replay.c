/* cmd_replay.c - `chimtrace replay`: option parsing, the divergence lines and the closing
 * summary only; the replay itself is replay/engine (replay_run).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "im.h"
#include "replay.h"

static void replay_usage(FILE *out)
{
    fputs("Usage: chimtrace replay IN.ctrace -o OUT.ctrace [--nic scripted|model] [--seed S]\n"
          "                        [--nic-latency SPEC] [--stop-at-divergence]\n"
          "                        [--im-fault LIST] [--quiet]\n"
          "\n"
          "Re-drive the current chimney IM driver from a trace. A trace host issues every\n"
          "recorded operation at its recorded virtual time, with the block tree and state\n"
          "rebuilt from the trace; below the driver, the scripted NIC answers each request\n"
          "as the recorded NIC did (statuses, contexts, state, latency). The trace shim\n"
          "records OUT as `chimtrace record` would, and every OUT event is compared with\n"
          "the recorded event of the same operation instance and edge as it is produced.\n"
          "\n"
          "The run is deterministic: the same input and options give the same OUT, byte for\n"
          "byte. For an unchanged driver, a scripted replay of a deterministic recording\n"
          "reproduces the input's events exactly.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE     the trace to write\n"
          "  --nic MODE            scripted (default): answer as IN's NIC did;\n"
          "                        model: the simulated NIC (what-if run); an operation\n"
          "                        then also waits for those IN completed before issuing\n"
          "                        it, so a slower NIC delays it rather than reorders\n"
          "  --seed S              model mode: the NIC's seed (default: IN's seed)\n"
          "  --nic-latency SPEC    model mode: the NIC completes each operation after a\n"
          "                        latency drawn from SPEC (default: IN's, else fixed:20us):\n"
          "                          fixed:DUR               always DUR\n"
          "                          uniform:MIN:MAX         uniform in [MIN, MAX]\n"
          "                          lognormal:MEDIAN:SIGMA  median MEDIAN, unitless shape\n"
          "                                                  SIGMA in [0, 10], e.g. 80us:0.5\n"
          "                        DUR, MIN, MAX, MEDIAN: a number with unit ns, us or ms\n"
          "                        (50us, 1.5ms; a bare number is refused), at most 60 s;\n"
          "                        draws are capped at 60 s. Seeded by --seed: the same\n"
          "                        seed gives the same OUT, byte for byte\n"
          "  --stop-at-divergence  stop issuing and recording at the first divergence\n"
          "                        (OUT is a valid trace up to there)\n"
          "  --im-fault LIST       replay against a driver with these bugs (comma list):\n"
          "                        " IM_FAULT_NAMES "\n"
          "  -q, --quiet           no divergence lines, only the summary\n"
          "  -h, --help            show this help\n"
          "\n"
          "Divergences (field differences, missing and extra events) go to stderr as they\n"
          "are found (at most 20 lines), then a summary.\n"
          "Exit status: 0 no divergence, 1 divergence, 2 error.\n",
          out);
}

typedef struct cli_replay {
    replay_opts o;
    int quiet;
    uint64_t shown;
} cli_replay;

#define MAX_LINES 20

#define FIELDS_SHOWN 240   /* characters of the field list on one line */

static const char *op_name(uint32_t op)
{
    static const char *const names[] = {"?", "initiate", "terminate", "update", "query",
                                        "invalidate"};
    return op < sizeof names / sizeof names[0] ? names[op] : "?";
}

/* "  fields: query op 4 edge 4 (OUT seq 18, IN seq 24) tcp 10.0.0.1:80 -> ...: block[0]..." */
static void print_divergence(FILE *f, const replay_divergence *d)
{
    fprintf(f, "  %s: %s op %" PRIu64 " edge %u (", replay_div_kind_name(d->kind),
            op_name(d->op), d->in_op_id, d->edge);
    if (d->out_seq)
        fprintf(f, "OUT seq %" PRIu64 "%s", d->out_seq, d->in_seq ? ", " : "");
    if (d->in_seq)
        fprintf(f, "IN seq %" PRIu64, d->in_seq);
    size_t len = strlen(d->fields);
    fprintf(f, ") %s: %.*s%s\n", d->object, FIELDS_SHOWN, d->fields,
            len > FIELDS_SHOWN ? " ..." : "");
}

static void on_divergence(void *ctx, const replay_divergence *d)
{
    cli_replay *c = ctx;
    if (c->quiet || c->shown++ >= MAX_LINES)
        return;
    print_divergence(stderr, d);
}

static int replay_option(int argc, char **argv, int *i, cli_replay *c)
{
    const char *v;
    int m;
    if ((m = cli_opt_value("replay", argc, argv, i, "-o", &v)) ||
        (m = cli_opt_value("replay", argc, argv, i, "--output", &v)))
        return m < 0 ? -1 : (c->o.out_path = v, 1);
    if ((m = cli_opt_value("replay", argc, argv, i, "--nic", &v))) {
        if (m < 0)
            return -1;
        if (strcmp(v, "scripted") != 0 && strcmp(v, "model") != 0)
            return cli_usage_error("replay", "--nic: expected scripted or model, got '%s'", v), -1;
        c->o.nic = strcmp(v, "model") == 0 ? REPLAY_NIC_MODEL : REPLAY_NIC_SCRIPTED;
        return 1;
    }
    if ((m = cli_opt_value("replay", argc, argv, i, "--seed", &v))) {
        if (m < 0 || cli_parse_u64("replay", "--seed", v, 0, UINT64_MAX, &c->o.seed) < 0)
            return -1;
        c->o.has_seed = 1;
        return 1;
    }
    if ((m = cli_opt_value("replay", argc, argv, i, "--nic-latency", &v)))
        return m < 0 ? -1 : (c->o.nic_latency = v, 1);
    if ((m = cli_opt_value("replay", argc, argv, i, "--im-fault", &v))) {
        if (m < 0)
            return -1;
        c->o.im_faults = im_fault_parse(v);
        if (c->o.im_faults == UINT32_MAX)
            return cli_usage_error("replay", "--im-fault: unknown fault in '%s' (known: %s)", v,
                                   IM_FAULT_NAMES), -1;
        return 1;
    }
    if (strcmp(argv[*i], "--stop-at-divergence") == 0)
        return c->o.stop_at_divergence = 1, 1;
    if (strcmp(argv[*i], "--quiet") == 0 || strcmp(argv[*i], "-q") == 0)
        return c->quiet = 1, 1;
    return 0;
}

static void print_summary(const replay_opts *o, const replay_result *r)
{
    fprintf(stderr, "chimtrace replay: %s -> %s (%s NIC)\n", o->in_path, o->out_path,
            o->nic == REPLAY_NIC_MODEL ? "model" : "scripted");
    fprintf(stderr, "  instances %" PRIu64 ", replayed %" PRIu64 ", skipped %" PRIu64
            " (missing edges %" PRIu64 ", truncated %" PRIu64 ", malformed %" PRIu64 ")\n",
            r->instances, r->replayed, r->instances - r->replayed, r->skipped_missing,
            r->skipped_truncated, r->skipped_malformed);
    if (r->in_lost_events || r->in_read_errors)
        fprintf(stderr, "  input: %" PRIu64 " events lost when recorded, %" PRIu64
                " read warnings: their instances cannot be replayed\n", r->in_lost_events,
                r->in_read_errors);
    fprintf(stderr, "  events in %" PRIu64 ", out %" PRIu64 ", compared %" PRIu64
            ", identical %" PRIu64 ", trace time %.3f ms, wall %.3f s\n", r->in_events,
            r->out_events, r->compared, r->identical, (double)r->duration_ns / 1e6, r->wall_s);
    fprintf(stderr, "  divergences %" PRIu64 " (fields %" PRIu64 ", missing %" PRIu64
            ", extra %" PRIu64 ")%s\n", r->divergences, r->diverged_events, r->missing_events,
            r->extra_events, r->stopped ? ", stopped at the first" : "");
    if (r->host_waiting)
        fprintf(stderr, "  host: %" PRIu64 " instances never issued: they wait for a request"
                " that never completed (IN had it completed before issuing them)\n",
                r->host_waiting);
    if (r->host_unknown || r->host_duplicate || r->host_wrong_kind || r->host_outstanding ||
        r->nic_unscripted || r->nic_tree_mismatch || r->nic_stale || r->host_context_reset)
        fprintf(stderr, "  host: %" PRIu64 " unknown, %" PRIu64 " duplicate, %" PRIu64
                " wrong-kind completions, %" PRIu64 " never completed, %" PRIu64
                " stale contexts reset; NIC: %" PRIu64 " unscripted, %" PRIu64
                " mismatched, %" PRIu64 " stale requests\n", r->host_unknown, r->host_duplicate,
                r->host_wrong_kind, r->host_outstanding, r->host_context_reset,
                r->nic_unscripted, r->nic_tree_mismatch, r->nic_stale);
    if (r->has_first) {
        fputs("  first divergence:\n", stderr);
        print_divergence(stderr, &r->first);
    }
}

static int replay_main(int argc, char **argv)
{
    cli_replay c;
    memset(&c, 0, sizeof c);
    replay_opts_init(&c.o);
    c.o.on_divergence = on_divergence;
    c.o.ctx = &c;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            replay_usage(stdout);
            return CLI_EXIT_OK;
        }
        int m = replay_option(argc, argv, &i, &c);
        if (m < 0)
            return CLI_EXIT_ERROR;
        if (m > 0)
            continue;
        if (argv[i][0] == '-' || c.o.in_path != NULL)
            return cli_usage_error("replay", "unexpected argument '%s'", argv[i]);
        c.o.in_path = argv[i];
    }
    if (c.o.in_path == NULL)
        return cli_usage_error("replay", "no input given: chimtrace replay IN.ctrace -o OUT");
    if (c.o.out_path == NULL)
        return cli_usage_error("replay", "no output given: -o OUT.ctrace");
    if (c.o.nic != REPLAY_NIC_MODEL && (c.o.has_seed || c.o.nic_latency != NULL))
        return cli_usage_error("replay", "--seed and --nic-latency need --nic model");
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    replay_result res;
    ct_err e = replay_run(&c.o, &res, &ei);
    if (e != CT_OK) {
        /* Errors name IN unless they are about OUT (the writer's messages name it). */
        const char *file = strncmp(ei.msg, c.o.out_path, strlen(c.o.out_path)) == 0
                               ? c.o.out_path : c.o.in_path;
        cli_report("replay", e == CT_ERR_ARG ? NULL : file, NULL, e, &ei);
        return CLI_EXIT_ERROR;
    }
    if (!c.quiet && c.shown > MAX_LINES)
        fprintf(stderr, "  ... %" PRIu64 " more divergences\n", c.shown - MAX_LINES);
    print_summary(&c.o, &res);
    return res.divergences ? CLI_EXIT_DIFFERS : CLI_EXIT_OK;
}

const cli_verb cli_verb_replay = {
    "replay", "re-drive the IM driver from a trace and report where it diverges",
    replay_main, replay_usage,
};
