/* cli_run.h - what the end-to-end CLI tests share: a per-test scratch directory, running the
 * real chimtrace binary with its stdout and stderr captured to files there, and reading
 * files back whole.
 *
 * Uses Criterion's asserts (a failure to spawn or read ends the test), so it is linked into
 * Criterion test programs only.
 */
#ifndef CT_TESTS_CLI_RUN_H
#define CT_TESTS_CLI_RUN_H

#define CHIMTRACE CT_TEST_BINARY_DIR "/cli/chimtrace"
#define CLI_PLEN 512                 /* size of every path buffer below */

/* The scratch directory of the running test ("/tmp/ct_cli_XXXXXX"). */
extern char cli_tmpdir[64];

/* Suite hooks: .init = cli_tmpdir_make, .fini = cli_tmpdir_remove. */
void cli_tmpdir_make(void);
void cli_tmpdir_remove(void);

/* `name` inside the scratch directory, written to buf[CLI_PLEN]; returns buf. */
char *cli_tmp(char *buf, const char *name);

/* A file's bytes plus a NUL. Caller frees. */
char *cli_slurp(const char *path);

typedef struct cli_result {
    int status;     /* exit status, or 128 + signal */
    char *out;      /* stdout, NUL-terminated; freed by cli_result_free */
    char *err;
} cli_result;

/* Run argv[0] (searched in PATH when it has no '/') and wait for it. */
cli_result cli_run_argv(char *const argv[]);
void cli_result_free(cli_result *r);

/* The start of every python3 oracle that reads JSON strictly: json.loads with duplicate
 * keys and NaN/Infinity refused. Concatenate the checks after it:
 *     static const char check_py[] = CLI_PY_STRICT_JSON "o = strict(text)\n" ...; */
#define CLI_PY_STRICT_JSON                                                                \
    "import json, sys\n"                                                                  \
    "def no_dup(pairs):\n"                                                                \
    "    keys = [k for k, _ in pairs]\n"                                                  \
    "    if len(keys) != len(set(keys)): raise ValueError('duplicate key')\n"             \
    "    return dict(pairs)\n"                                                            \
    "def bad(c): raise ValueError('non-standard constant ' + c)\n"                        \
    "def strict(text): return json.loads(text, object_pairs_hook=no_dup, parse_constant=bad)\n"

/* chimtrace with the given arguments. */
#define RUN(...) cli_run_argv((char *const[]){CHIMTRACE, __VA_ARGS__, NULL})

#endif
