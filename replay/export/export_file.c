/* export_file.c - export a whole trace file (export_chrome_file): one pass of the reader
 * into the streaming writer, the JSON going to OUT.tmp and renamed to OUT only once it is
 * complete, so a failed export never leaves half a document behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_outfile.h"
#include "export.h"

/* The reader's message without its leading "<path>: " (the JSON names no files). */
static const char *without_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        return msg + n + 2;
    return msg;
}

/* Read every record into x. CT_OK at the end of the data; a final reader error otherwise
 * (ei says why). Truncation and damaged chunks are recorded in x and reading goes on. */
static ct_err pump(ct_reader *r, const char *in_path, const char *out_name, export_chrome *x,
                   ct_errinfo *ei)
{
    for (;;) {
        const Chimtrace__V1__Record *rec = NULL;
        ct_errinfo rei;
        memset(&rei, 0, sizeof rei);
        ct_err e = ct_reader_next(r, &rec, &rei);
        if (e == CT_OK && rec == NULL)
            return CT_OK;
        if (e == CT_OK) {
            if ((e = export_chrome_add(x, rec)) != CT_OK)
                return ct_seterr(ei, e, CT_NO_OFFSET, "%s: cannot write: %s", out_name,
                                 ct_strerror(e));
            continue;
        }
        if (e == CT_ERR_TRUNCATED) {
            ct_file_status st;
            ct_reader_status(r, &st);
            e = export_chrome_truncated(x, st.truncated_at, st.complete_end,
                                        without_path(rei.msg, in_path));
        } else if (e == CT_ERR_CORRUPT || e == CT_ERR_LIMIT) {
            e = export_chrome_damaged(x, rei.offset, without_path(rei.msg, in_path));
        } else {
            *ei = rei;
            return e;
        }
        if (e != CT_OK)
            return ct_seterr(ei, e, CT_NO_OFFSET, "%s: cannot write: %s", out_name,
                             ct_strerror(e));
    }
}

static ct_err export_stream(ct_reader *r, const char *in_path, const char *out_name,
                            FILE *out, const export_opts *o, export_result *res,
                            ct_errinfo *ei)
{
    export_chrome *x = NULL;
    ct_err e = export_chrome_new(out, ct_reader_header(r), o, &x);
    if (e != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "%s: cannot write: %s", out_name,
                         ct_strerror(e));
    e = pump(r, in_path, out_name, x, ei);
    if (e == CT_OK && (e = export_chrome_finish(x, res)) != CT_OK)
        ct_seterr(ei, e, CT_NO_OFFSET, "%s: cannot write: %s", out_name, ct_strerror(e));
    export_chrome_free(x);
    return e;
}

ct_err export_chrome_file(const char *in_path, const char *out_path, const export_opts *o,
                          export_result *res, ct_errinfo *ei)
{
    memset(res, 0, sizeof *res);
    if (in_path == NULL || out_path == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "no input or output given");
    ct_reader *r = NULL;
    ct_err e = ct_reader_open(in_path, &r, ei);
    if (e != CT_OK)
        return e;
    if (strcmp(out_path, "-") == 0) {
        e = export_stream(r, in_path, "standard output", stdout, o, res, ei);
        ct_reader_close(r);
        return e;
    }
    ct_outfile of;
    if ((e = ct_outfile_open(&of, out_path, ei)) == CT_OK) {
        e = export_stream(r, in_path, out_path, of.f, o, res, ei);
        e = ct_outfile_close(&of, e, ei);
    }
    ct_reader_close(r);
    return e;
}
