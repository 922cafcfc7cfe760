/* cli_common.h - what every chimtrace verb shares: exit codes, the verb table entry, option
 * parsing helpers and the one way errors are printed.
 *
 * Errors read "chimtrace <verb>: <file>: <message>" on stderr; usage mistakes add a hint
 * to run --help. Parsing helpers print their own message and return -1, so a verb only
 * has to return CLI_EXIT_ERROR.
 */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "tracefile.h"

/* Exit codes, the same for every verb. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_DIFFERS = 1,   /* diff found differences, verify found violations */
    CLI_EXIT_ERROR = 2      /* bad arguments, unreadable or damaged input */
};

typedef struct cli_verb {
    const char *name;
    const char *summary;                    /* one line for `chimtrace --help` */
    int (*run)(int argc, char **argv);      /* argv[0] is the verb name */
    void (*usage)(FILE *out);               /* full usage, starting with "Usage:" */
} cli_verb;

extern const cli_verb cli_verb_record;
extern const cli_verb cli_verb_info;
extern const cli_verb cli_verb_dump;
extern const cli_verb cli_verb_synth;
extern const cli_verb cli_verb_replay;
extern const cli_verb cli_verb_verify;
extern const cli_verb cli_verb_diff;
extern const cli_verb cli_verb_stats;
extern const cli_verb cli_verb_export;
extern const cli_verb cli_verb_report;

/* Output formats a verb may accept. */
typedef enum cli_format {
    CLI_FORMAT_TEXT = 1,
    CLI_FORMAT_JSON = 2,
    CLI_FORMAT_JSONL = 4
} cli_format;

/* Option scanning. cli_opt_value matches argv[*i] against `name` ("--count" or "-o") in
 * the forms "--count N" and "--count=N"; on a match it stores the value, advances *i past
 * it and returns 1. A matching option without its value prints an error and returns -1.
 * No match: 0. */
int cli_opt_value(const char *verb, int argc, char **argv, int *i, const char *name,
                  const char **value);

/* Whether `arg` is a help request (-h, --help). */
int cli_is_help(const char *arg);

/* Parse an unsigned decimal (or 0x hex) number in [min, max]. `what` names the option in
 * the message: "chimtrace dump: --count: expected a number from 1 to 100, got 'x'". */
int cli_parse_u64(const char *verb, const char *what, const char *text, uint64_t min,
                  uint64_t max, uint64_t *out);

/* Parse --format's value; `allowed` is a mask of cli_format values. */
int cli_parse_format(const char *verb, const char *text, unsigned allowed, cli_format *out);

/* A verb's own options: look at argv[*i]; 1 when it was one (consumed, *i advanced past
 * any value), 0 when it is not, -1 after printing a usage error. */
typedef int (*cli_option_fn)(void *ctx, int argc, char **argv, int *i);

/* The one argument loop of the trace verbs. -h/--help returns 1 at once; "--" ends the
 * options; each other argument is offered to `opt`, and what it does not take is an
 * unknown option (when it starts with '-', "-" itself excepted) or a FILE. FILEs go to
 * files[0..max_files); fewer than min_files or more than max_files is a usage error,
 * worded with `what` ("FILE", or "two traces, A (expected) and B (got)"). Returns 0, 1
 * for help, or -1 after printing the error. */
int cli_scan_args(const char *verb, int argc, char **argv, cli_option_fn opt, void *ctx,
                  const char **files, size_t min_files, size_t max_files, const char *what);

/* "chimtrace <verb>: <message>" plus "Try 'chimtrace <verb> --help'."; returns
 * CLI_EXIT_ERROR. */
int cli_usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* `msg` without a leading "<file>: " (the trace-file library names the file in its
 * messages; a CLI line names it once). */
const char *cli_msg_without_file(const char *msg, const char *file);

/* "chimtrace <verb>: <file>: <message>" from a ct_errinfo, or from ct_strerror(code) when
 * the message is empty. A message that already starts with "<file>: " is not repeated.
 * `prefix` (may be NULL) goes before the message, e.g. "warning: ". */
void cli_report(const char *verb, const char *file, const char *prefix, ct_err code,
                const ct_errinfo *ei);

/* One step of reading a trace, sorted the way every verb reacts to it. */
typedef enum cli_next {
    CLI_NEXT_RECORD,     /* *rec is set */
    CLI_NEXT_END,        /* no more data */
    CLI_NEXT_TRUNCATED,  /* the file ends early: a warning (ei says where); reading goes on */
    CLI_NEXT_DAMAGED,    /* a corrupt chunk was skipped (ei says where and why); goes on */
    CLI_NEXT_FATAL       /* cannot go on (ei says why) */
} cli_next;

cli_next cli_read_next(ct_reader *r, const Chimtrace__V1__Record **rec, ct_errinfo *ei);

#endif /* CLI_COMMON_H */
