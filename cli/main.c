/* main.c - chimtrace's entry point: finds the verb and hands it the rest of the command line.
 *
 * Owns the verb table, the top-level --help/--version and `chimtrace help VERB`. Each
 * verb lives in its own cmd_*.c and parses its own options; the work itself is done by
 * the libraries (tracefile, print, synth), never here.
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "tracefile.h"

#ifndef CT_VERSION
#define CT_VERSION "unknown"
#endif

static const cli_verb *const verbs[] = {
    &cli_verb_record,
    &cli_verb_info,
    &cli_verb_dump,
    &cli_verb_synth,
    &cli_verb_replay,
    &cli_verb_verify,
    &cli_verb_diff,
    &cli_verb_stats,
    &cli_verb_export,
    &cli_verb_report,
};

#define VERB_COUNT (sizeof verbs / sizeof verbs[0])

static const cli_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < VERB_COUNT; i++)
        if (strcmp(verbs[i]->name, name) == 0)
            return verbs[i];
    return NULL;
}

static void usage(FILE *out)
{
    fputs("Usage: chimtrace VERB [OPTIONS] [ARGS]\n"
          "       chimtrace help VERB\n"
          "       chimtrace --help | --version\n"
          "\n"
          "Record, inspect, replay and time traces of the NDIS TCP-chimney offload path.\n"
          "\n"
          "Verbs:\n", out);
    for (size_t i = 0; i < VERB_COUNT; i++)
        fprintf(out, "  %-8s %s\n", verbs[i]->name, verbs[i]->summary);
    fputs("\n"
          "Run 'chimtrace VERB --help' for a verb's options.\n"
          "Exit status: 0 success, 1 differences or violations found, 2 error.\n", out);
}

static int help_verb(int argc, char **argv)
{
    const cli_verb *v;

    if (argc < 3) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    v = find_verb(argv[2]);
    if (!v) {
        fprintf(stderr, "chimtrace help: unknown verb '%s'\n"
                "Run 'chimtrace --help' for the list of verbs.\n", argv[2]);
        return CLI_EXIT_ERROR;
    }
    v->usage(stdout);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    const cli_verb *v;
    int rc;

    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_ERROR;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("chimtrace %s (trace format %d.%d)\n", CT_VERSION, CT_FORMAT_MAJOR,
               CT_FORMAT_MINOR);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0)
        return help_verb(argc, argv);
    v = find_verb(argv[1]);
    if (!v) {
        fprintf(stderr, "chimtrace: unknown verb '%s'\n"
                "Run 'chimtrace --help' for the list of verbs.\n", argv[1]);
        return CLI_EXIT_ERROR;
    }
    rc = v->run(argc - 1, argv + 1);
    /* Output that could not be written (full disk, closed pipe) is a failure too. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "chimtrace %s: error writing standard output\n", v->name);
        return CLI_EXIT_ERROR;
    }
    return rc;
}
