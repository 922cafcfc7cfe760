/* cli_common.c - option parsing helpers and error printing shared by every verb.
 *
 * Exists so that each verb says "bad number" or "cannot open" the same way: one message
 * shape ("chimtrace <verb>: ..."), one set of exit codes, one number parser with range
 * checks instead of a bare strtoull in every verb.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_opt_value(const char *verb, int argc, char **argv, int *i, const char *name,
                  const char **value)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);

    if (strncmp(arg, name, len) != 0)
        return 0;
    if (arg[len] == '=' && name[1] == '-') {
        *value = arg + len + 1;
        return 1;
    }
    if (arg[len] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(verb, "%s needs a value", name);
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

int cli_parse_u64(const char *verb, const char *what, const char *text, uint64_t min,
                  uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v = 0;

    errno = 0;
    /* strtoull accepts a sign and leading blanks; a count or a size never has either. */
    if (text[0] >= '0' && text[0] <= '9')
        v = strtoull(text, &end, 0);
    if (end == NULL || end == text || *end != '\0' || errno == ERANGE || v < min || v > max) {
        cli_usage_error(verb, "%s: expected a number from %" PRIu64 " to %" PRIu64
                        ", got '%s'", what, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

static const struct {
    const char *name;
    cli_format format;
} formats[] = {
    { "text", CLI_FORMAT_TEXT },
    { "json", CLI_FORMAT_JSON },
    { "jsonl", CLI_FORMAT_JSONL },
};

int cli_parse_format(const char *verb, const char *text, unsigned allowed, cli_format *out)
{
    char list[64] = "";

    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (!(allowed & formats[i].format))
            continue;
        if (strcmp(text, formats[i].name) == 0) {
            *out = formats[i].format;
            return 0;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                 formats[i].name);
    }
    cli_usage_error(verb, "--format: expected one of %s, got '%s'", list, text);
    return -1;
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "chimtrace %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'chimtrace %s --help'.\n", verb);
    return CLI_EXIT_ERROR;
}

const char *cli_msg_without_file(const char *msg, const char *file)
{
    size_t flen = file ? strlen(file) : 0;

    if (flen && strncmp(msg, file, flen) == 0 && msg[flen] == ':')
        msg += flen + 1 + (msg[flen + 1] == ' ');
    return msg;
}

void cli_report(const char *verb, const char *file, const char *prefix, ct_err code,
                const ct_errinfo *ei)
{
    const char *msg = ei && ei->msg[0] ? ei->msg : ct_strerror(code);

    msg = cli_msg_without_file(msg, file);
    fprintf(stderr, "chimtrace %s: ", verb);
    if (file)
        fprintf(stderr, "%s: ", file);
    fprintf(stderr, "%s%s\n", prefix ? prefix : "", msg);
}

cli_next cli_read_next(ct_reader *r, const Chimtrace__V1__Record **rec, ct_errinfo *ei)
{
    ct_err err = ct_reader_next(r, rec, ei);

    switch (err) {
    case CT_OK:
        return *rec ? CLI_NEXT_RECORD : CLI_NEXT_END;
    case CT_ERR_TRUNCATED:
        return CLI_NEXT_TRUNCATED;
    case CT_ERR_CORRUPT:
    case CT_ERR_LIMIT:
        return CLI_NEXT_DAMAGED;
    default:
        return CLI_NEXT_FATAL;
    }
}

int cli_scan_args(const char *verb, int argc, char **argv, cli_option_fn opt, void *ctx,
                  const char **files, size_t min_files, size_t max_files, const char *what)
{
    size_t n = 0;
    int only_files = 0;

    for (int i = 1; i < argc; i++) {
        int m;

        if (!only_files && cli_is_help(argv[i]))
            return 1;
        if (!only_files && strcmp(argv[i], "--") == 0) {
            only_files = 1;
            continue;
        }
        if (!only_files && (m = opt(ctx, argc, argv, &i)) != 0) {
            if (m < 0)
                return -1;
            continue;
        }
        if (!only_files && argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error(verb, "unknown option '%s'", argv[i]), -1;
        if (n == max_files)
            return max_files == 1
                       ? cli_usage_error(verb, "one %s only ('%s' and '%s')", what, files[0],
                                         argv[i])
                       : cli_usage_error(verb, "%s only, got '%s' too", what, argv[i]),
                   -1;
        files[n++] = argv[i];
    }
    if (n < min_files)
        return cli_usage_error(verb, "missing %s", what), -1;
    return 0;
}
