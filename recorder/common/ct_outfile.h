/* ct_outfile.h - an output file that appears whole or not at all: written to
 * "<path>.tmp" and renamed over <path> only when everything went well, removed otherwise.
 * Used by the verbs that write a document from a trace (export, report), so a failure
 * never leaves half a file where a tool or a CI step will pick it up. Header-only.
 */
#ifndef CT_OUTFILE_H
#define CT_OUTFILE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_err.h"

typedef struct ct_outfile {
    FILE *f;            /* write here */
    const char *path;   /* borrowed: the final name */
    char *tmp;          /* owned: "<path>.tmp" */
} ct_outfile;

/* Create "<path>.tmp" (replacing an old one). CT_ERR_NOMEM or CT_ERR_IO (ei names the
 * .tmp file and errno). On success finish with ct_outfile_close. */
static inline ct_err ct_outfile_open(ct_outfile *o, const char *path, ct_errinfo *ei)
{
    size_t n = strlen(path) + 5;

    o->f = NULL;
    o->path = path;
    if (!(o->tmp = malloc(n)))
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "%s: out of memory", path);
    snprintf(o->tmp, n, "%s.tmp", path);
    if (!(o->f = fopen(o->tmp, "w"))) {
        ct_err e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: cannot create: %s", o->tmp,
                             strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return e;
    }
    return CT_OK;
}

/* Close; when `e` (the writer's result) is CT_OK and the close succeeds, rename the file
 * into place, else remove it. Returns the first error; ei is set for the close and rename
 * failures (the caller set it for `e`). */
static inline ct_err ct_outfile_close(ct_outfile *o, ct_err e, ct_errinfo *ei)
{
    if (fclose(o->f) != 0 && e == CT_OK)
        e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: write failed: %s", o->tmp,
                      strerror(errno));
    if (e == CT_OK && rename(o->tmp, o->path) != 0)
        e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: cannot rename %s into place: %s",
                      o->path, o->tmp, strerror(errno));
    if (e != CT_OK)
        remove(o->tmp);
    free(o->tmp);
    o->f = NULL;
    o->tmp = NULL;
    return e;
}

#endif /* CT_OUTFILE_H */
