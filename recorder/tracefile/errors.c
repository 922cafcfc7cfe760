/* errors.c - names and messages for the project-wide ct_err codes.
 *
 * The table is indexed by the pinned numbers of ct_err.h; adding a code means adding a row
 * here, never renumbering. ct_seterr is the one place that formats a ct_errinfo.
 */
#include "ct_err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    const char *name;
    const char *text;
} err_table[] = {
    [CT_OK] = {"ok", "no error"},
    [CT_ERR_IO] = {"io", "input/output error"},
    [CT_ERR_CORRUPT] = {"corrupt", "corrupt input"},
    [CT_ERR_TRUNCATED] = {"truncated", "truncated input"},
    [CT_ERR_VERSION] = {"version", "unsupported format version or feature"},
    [CT_ERR_NOMEM] = {"nomem", "out of memory"},
    [CT_ERR_ARG] = {"arg", "invalid argument"},
    [CT_ERR_LIMIT] = {"limit", "size limit exceeded"},
    [CT_ERR_STATE] = {"state", "call out of order"},
    [CT_ERR_NOT_FOUND] = {"not_found", "not found"},
    [CT_ERR_UNSUPPORTED] = {"unsupported", "unsupported"},
};

#define ERR_COUNT (sizeof err_table / sizeof err_table[0])

const char *ct_strerror(ct_err code)
{
    if ((unsigned)code >= ERR_COUNT || err_table[code].text == NULL)
        return "unknown error";
    return err_table[code].text;
}

const char *ct_errname(ct_err code)
{
    if ((unsigned)code >= ERR_COUNT || err_table[code].name == NULL)
        return "unknown";
    return err_table[code].name;
}

ct_err ct_seterr(ct_errinfo *ei, ct_err code, uint64_t offset, const char *fmt, ...)
{
    if (ei == NULL)
        return code;
    ei->code = code;
    ei->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ei->msg, sizeof ei->msg, fmt, ap);
    va_end(ap);
    return code;
}
