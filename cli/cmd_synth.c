/* cmd_synth.c - `chimtrace synth -o FILE`: write a synthetic trace from a seed.
 *
 * Option parsing and glue only: ct_synth makes the records, ct_writer writes them. Gives
 * tests, benchmarks and people a trace of any size without a capture; the same options
 * always give the same file.
 */
#define _DEFAULT_SOURCE  /* stat */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "synth.h"

#define SYNTH_DEFAULT_RECORDS 1000u
#define SYNTH_MAX_RECORDS 1000000000000ull  /* 10^12: a typo guard, not a format limit */

static void synth_usage(FILE *out)
{
    fprintf(out,
            "Usage: chimtrace synth -o FILE [--records N] [--seed S] [--chunk-bytes B]\n"
            "                       [--zstd-level L]\n"
            "\n"
            "Write a synthetic trace: N chimney events from a seeded generator (with some\n"
            "loss and frame records mixed in, as a capture has), then a run summary. The\n"
            "same options always write the same file. Prints a summary on stderr.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE    the trace to write (replaced if it exists)\n"
            "  --records N          event records to write (default %u)\n"
            "  --seed S             generator seed (default 1)\n"
            "  --chunk-bytes B      chunk size target, %u to %u (default %u)\n"
            "  --zstd-level L       zstd level, 1 to 19 (default 1)\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit status: 0 written, 2 bad arguments or the file could not be written.\n",
            SYNTH_DEFAULT_RECORDS, CT_CHUNK_MIN_BYTES, CT_CHUNK_MAX_TARGET_BYTES,
            CT_CHUNK_DEFAULT_BYTES);
}

typedef struct synth_args {
    const char *path;
    uint64_t records, seed;
    ct_writer_opts wopts;
} synth_args;

/* One option at argv[*i]: 1 taken, 0 not an option of synth, -1 error (reported). */
static int synth_option(int argc, char **argv, int *i, synth_args *a)
{
    const char *v;
    uint64_t n;
    int m;

    if ((m = cli_opt_value("synth", argc, argv, i, "-o", &v)) ||
        (m = cli_opt_value("synth", argc, argv, i, "--output", &v))) {
        a->path = v;
        return m;
    }
    if ((m = cli_opt_value("synth", argc, argv, i, "--records", &v)))
        return m < 0 ? -1 : cli_parse_u64("synth", "--records", v, 0, SYNTH_MAX_RECORDS,
                                          &a->records) < 0 ? -1 : 1;
    if ((m = cli_opt_value("synth", argc, argv, i, "--seed", &v)))
        return m < 0 ? -1 : cli_parse_u64("synth", "--seed", v, 0, UINT64_MAX,
                                          &a->seed) < 0 ? -1 : 1;
    if ((m = cli_opt_value("synth", argc, argv, i, "--chunk-bytes", &v))) {
        if (m < 0 || cli_parse_u64("synth", "--chunk-bytes", v, CT_CHUNK_MIN_BYTES,
                                   CT_CHUNK_MAX_TARGET_BYTES, &n) < 0)
            return -1;
        a->wopts.chunk_bytes = (uint32_t)n;
        return 1;
    }
    if ((m = cli_opt_value("synth", argc, argv, i, "--zstd-level", &v))) {
        if (m < 0 || cli_parse_u64("synth", "--zstd-level", v, 1, 19, &n) < 0)
            return -1;
        a->wopts.zstd_level = (int)n;
        return 1;
    }
    return 0;
}

/* Returns -1 on a usage error (already reported), 1 for --help, 0 to go on. */
static int synth_parse(int argc, char **argv, synth_args *a)
{
    memset(a, 0, sizeof *a);
    a->records = SYNTH_DEFAULT_RECORDS;
    a->seed = 1;
    ct_writer_opts_init(&a->wopts);
    for (int i = 1; i < argc; i++) {
        int m;

        if (cli_is_help(argv[i]))
            return 1;
        m = synth_option(argc, argv, &i, a);
        if (m < 0)
            return -1;
        if (m == 0 && argv[i][0] == '-') {
            cli_usage_error("synth", "unknown option '%s'", argv[i]);
            return -1;
        }
        if (m == 0) {
            cli_usage_error("synth", "unexpected argument '%s' (the output goes with -o)",
                            argv[i]);
            return -1;
        }
    }
    if (!a->path) {
        cli_usage_error("synth", "missing -o FILE");
        return -1;
    }
    return 0;
}

/* Append records until `events` events are written, then the run summary. */
static ct_err synth_write(ct_synth *syn, ct_writer *w, uint64_t events, ct_errinfo *ei)
{
    ct_synth_stats st;
    ct_err err;

    for (;;) {
        ct_synth_get_stats(syn, &st);
        if (st.events >= events)
            break;
        err = ct_writer_append(w, ct_synth_next(syn), ei);
        if (err != CT_OK)
            return err;
    }
    return ct_writer_append(w, ct_synth_summary(syn), ei);
}

static void synth_report(const synth_args *a, ct_synth *syn, const ct_writer_stats *ws)
{
    ct_synth_stats st;
    struct stat sb;
    uint64_t bytes = ws->file_bytes;
    uint64_t records = ws->records;  /* the writer counts the header record too */

    ct_synth_get_stats(syn, &st);
    if (stat(a->path, &sb) == 0)
        bytes = (uint64_t)sb.st_size;  /* includes the footer written at close */
    fprintf(stderr, "chimtrace synth: %s: %" PRIu64 " records (%" PRIu64 " events, %" PRIu64
            " loss, %" PRIu64 " frame, 1 header, 1 summary), %" PRIu64 " chunks, %" PRIu64
            " bytes, %.1f bytes/record\n", a->path, records, st.events, st.losses, st.frames,
            ws->chunks, bytes, (double)bytes / (double)records);
}

static int synth_run(int argc, char **argv)
{
    Chimtrace__V1__TraceHeader *hdr;
    ct_writer_stats ws;
    synth_args a;
    ct_synth *syn = NULL;
    ct_writer *w = NULL;
    ct_errinfo ei;
    ct_err err;
    int rc = synth_parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? (synth_usage(stdout), CLI_EXIT_OK) : CLI_EXIT_ERROR;
    memset(&ei, 0, sizeof ei);
    err = ct_synth_new(a.seed, &syn);
    if (err == CT_OK) {
        ct_synth_header(syn, &hdr);
        err = ct_writer_open(a.path, hdr, &a.wopts, &w, &ei);
    }
    if (err == CT_OK)
        err = synth_write(syn, w, a.records, &ei);
    if (err != CT_OK) {
        ct_writer_abandon(w);
        w = NULL;
    } else {
        err = ct_writer_seal(w, &ei);  /* so that the stats count the last chunk */
        ct_writer_get_stats(w, &ws);
        if (err == CT_OK)
            err = ct_writer_close(w, &ei);
        else
            ct_writer_abandon(w);
    }
    if (err != CT_OK) {
        cli_report("synth", a.path, NULL, err, &ei);
        ct_synth_free(syn);
        return CLI_EXIT_ERROR;
    }
    synth_report(&a, syn, &ws);
    ct_synth_free(syn);
    return CLI_EXIT_OK;
}

const cli_verb cli_verb_synth = {
    "synth", "write a synthetic trace from a seeded generator",
    synth_run, synth_usage,
};
