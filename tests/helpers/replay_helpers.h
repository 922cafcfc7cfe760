/* replay_helpers.h - fixtures for tests/unit/replay_test.c: recordings made in-process, a
 * trace copier that edits or drops records on the way (to corrupt an input the way a bug
 * or a loss would), event lists as packed bytes, and running the chimtrace binary. Nothing
 * here uses Criterion: callers assert on the results. */
#ifndef CT_REPLAY_HELPERS_H
#define CT_REPLAY_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "tf_helpers.h"

/* Record `workload` into `path` (seed 7, `connections`, chunks of `chunk_bytes`, 0: the
 * defaults); 0 ok, -1 failed (message in ei). */
int rh_record(const char *workload, int deterministic, uint32_t threads, uint32_t connections,
              uint32_t chunk_bytes, const char *path, ct_errinfo *ei);

/* Every event of a trace as packed Record bytes, in file order, and its header (caller
 * frees with chimtrace__v1__trace_header__free_unpacked; may pass NULL). 0 ok. */
int rh_events(const char *path, tf_recs *events, Chimtrace__V1__TraceHeader **hdr);

/* Copy `in` to `out` record by record; `edit` sees an unpacked copy of every event and may
 * change it (return 1) or drop it (return 0). Other records pass unchanged. 0 ok. */
typedef int (*rh_edit_fn)(void *ctx, Chimtrace__V1__Event *ev);
int rh_copy_trace(const char *in, const char *out, rh_edit_fn edit, void *ctx);

/* Divergences a replay reported, kept in order. */
typedef struct rh_divs {
    replay_divergence v[64];
    size_t n;
} rh_divs;
void rh_collect(void *ctx, const replay_divergence *d); /* a replay_divergence_fn */

/* replay_run with defaults, divergences into `divs` (may be NULL). */
ct_err rh_replay(const char *in, const char *out, replay_nic_mode nic, uint32_t im_faults,
                 int stop, rh_divs *divs, replay_result *res, ct_errinfo *ei);

/* 1 when the two files hold the same bytes. */
int rh_files_equal(const char *a, const char *b);

/* Run `chimtrace ARGS` (a shell command line after the binary), stderr to `errfile` when
 * not NULL; returns the exit status, -1 when it did not exit normally. */
int rh_cli(const char *args, const char *errfile);

#endif
