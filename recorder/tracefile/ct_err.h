/* ct_err.h - the one error space of chimtrace's user-mode code.
 *
 * Every user-mode function that can fail returns a ct_err and, where the caller passes one,
 * fills a ct_errinfo with the byte offset and a message naming the file and the problem.
 * The numbers are pinned: JSON output and exit paths depend on them, so a code is never
 * renumbered or reused (the zstd_errors.h rule). driver-shim/ code never sees this enum.
 */
#ifndef CT_ERR_H
#define CT_ERR_H

#include <stdint.h>

typedef enum ct_err {
    CT_OK = 0,
    CT_ERR_IO = 1,          /* open/read/write/fsync failed (errno in the message) */
    CT_ERR_CORRUPT = 2,     /* bytes that cannot be what FORMAT.md says */
    CT_ERR_TRUNCATED = 3,   /* the file ends inside a chunk, or has no footer */
    CT_ERR_VERSION = 4,     /* a major version or required feature this reader lacks */
    CT_ERR_NOMEM = 5,
    CT_ERR_ARG = 6,         /* the caller passed something invalid */
    CT_ERR_LIMIT = 7,       /* a size cap was exceeded (decompression-bomb guard) */
    CT_ERR_STATE = 8,       /* call out of order (e.g. append after close) */
    CT_ERR_NOT_FOUND = 9,   /* seek target past the end, missing object */
    CT_ERR_UNSUPPORTED = 10 /* valid input this build cannot handle */
} ct_err;

#define CT_ERRINFO_MSG 320

/* Filled by a failing call. `offset` is the byte offset in the file the error concerns,
 * or UINT64_MAX when no offset applies. `msg` is ready to show a user unchanged. */
typedef struct ct_errinfo {
    ct_err code;
    uint64_t offset;
    char msg[CT_ERRINFO_MSG];
} ct_errinfo;

#define CT_NO_OFFSET UINT64_MAX

/* Static string naming the code ("corrupt input", ...); never NULL. */
const char *ct_strerror(ct_err code);

/* Stable lower_snake_case name of the code ("corrupt"), for JSON output; never NULL. */
const char *ct_errname(ct_err code);

/* Fill `ei` (when non-NULL) with code, offset and a printf-style message; returns code.
 * Safe to call with ei == NULL. */
ct_err ct_seterr(ct_errinfo *ei, ct_err code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* CT_ERR_H */
