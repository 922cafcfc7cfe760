/* diff.c - diff_traces: reads two traces once, together, and fills a diff_result.
 *
 * Owns the read loop (one event from each side per step, so both advance together through
 * files in seq order), what each input is (records, losses, truncation, damage), the
 * optional header comparison, and the result's lifetime. The matching itself is
 * diff_align.c's, the counting diff_account.c's.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "diff_int.h"

void diff_trace_opts_init(diff_trace_opts *o)
{
    memset(o, 0, sizeof *o);
    o->window = DIFF_DEFAULT_WINDOW;
}

const char *diff_kind_name(diff_kind k)
{
    switch (k) {
    case DIFF_CHANGED: return "changed";
    case DIFF_REMOVED: return "removed";
    case DIFF_ADDED: return "added";
    default: return "unknown";
    }
}

const char *diff_span_name(int span)
{
    static const char *const names[DIFF_SPANS] = {"im_request", "nic", "im_return",
                                                  "end_to_end"};
    return span >= 0 && span < DIFF_SPANS ? names[span] : "unknown";
}

int diff_exit_code(const diff_result *r)
{
    if (!r || r->damaged)
        return 2;
    return r->equal ? 0 : 1;
}

void diff_result_free(diff_result *r)
{
    if (!r)
        return;
    for (int s = 0; s < 2; s++)
        free(r->in[s].path);
    for (size_t i = 0; i < r->n_ignore; i++)
        free(r->ignore[i]);
    free(r->ignore);
    free(r->ops);
    free(r->objects);
    free(r->timing_rows);
    free(r);
}

/* ------------------------------------------------------------------------------------ */
/* Inputs                                                                                */

/* The reader's message without the "<path>: " it starts with (the report names the file). */
static void keep_msg(char *dst, const char *msg, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    snprintf(dst, CT_ERRINFO_MSG, "%s", msg);
}

static void note_header(diff_input *in, const Chimtrace__V1__TraceHeader *h)
{
    if (!h)
        return;
    if (h->workload)
        snprintf(in->workload, sizeof in->workload, "%s", h->workload);
    in->has_seed = h->has_seed;
    in->seed = h->seed;
}

/* The next event of a trace, counting the other records on the way. *ev is NULL at the
 * end. Truncation and damaged chunks are noted and reading goes on; other errors stop. */
static ct_err next_event(ct_reader *r, diff_input *in, const Chimtrace__V1__Event **ev,
                         ct_errinfo *ei)
{
    const Chimtrace__V1__Record *rec;
    ct_errinfo lei;
    for (;;) {
        ct_err e;
        memset(&lei, 0, sizeof lei);
        e = ct_reader_next(r, &rec, &lei);
        if (e == CT_ERR_TRUNCATED) {
            in->truncated = 1;
            keep_msg(in->truncation, lei.msg, in->path);
            continue;
        }
        if (e == CT_ERR_CORRUPT || e == CT_ERR_LIMIT) {
            if (in->corrupt_chunks++ == 0)
                keep_msg(in->problem, lei.msg, in->path);
            continue;
        }
        if (e != CT_OK) {
            if (ei)
                *ei = lei;
            return e;
        }
        if (!rec) {
            *ev = NULL;
            return CT_OK;
        }
        in->records++;
        switch (rec->kind_case) {
        case CHIMTRACE__V1__RECORD__KIND_EVENT:
            in->events++;
            *ev = rec->event;
            return CT_OK;
        case CHIMTRACE__V1__RECORD__KIND_LOSS:
            in->loss_records++;
            in->lost_events += rec->loss->count;
            break;
        case CHIMTRACE__V1__RECORD__KIND_FRAME:
            in->frames++;
            break;
        case CHIMTRACE__V1__RECORD__KIND_SUMMARY:
            in->summaries++;
            in->clean_end = 1;
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* Header                                                                                */

static void header_cb(void *ctx, int block, const diff_change *ch)
{
    diff_result *res = ctx;
    (void)block;
    if (res->n_header_change < DIFF_MAX_CHANGES)
        res->header_change[res->n_header_change++] = *ch;
}

static void compare_headers(diff_result *res, const diff_opts *opts,
                            const Chimtrace__V1__TraceHeader *a,
                            const Chimtrace__V1__TraceHeader *b)
{
    diff_cmp c;
    res->header_compared = 1;
    if (!a || !b)
        return;
    diff_cmp_init(&c, opts, header_cb, res);
    c.prefix = "header.";
    res->header_changes = diff_cmp_messages(&c, &a->base, &b->base);
}

/* ------------------------------------------------------------------------------------ */
/* The run                                                                               */

static ct_err copy_ignores(diff_result *res, const diff_opts *opts)
{
    if (!opts || opts->n_ignore == 0)
        return CT_OK;
    res->ignore = calloc(opts->n_ignore, sizeof *res->ignore);
    if (!res->ignore)
        return CT_ERR_NOMEM;
    for (size_t i = 0; i < opts->n_ignore; i++) {
        res->ignore[i] = strdup(opts->ignore[i] ? opts->ignore[i] : "");
        if (!res->ignore[i])
            return CT_ERR_NOMEM;
        res->n_ignore++;
    }
    return CT_OK;
}

/* Read both traces to the end, one event from each per step. */
static ct_err run_loop(diff_run *run, ct_reader *const r[2], ct_errinfo *ei)
{
    diff_result *res = run->res;
    for (;;) {
        const Chimtrace__V1__Event *ev[2] = {NULL, NULL};
        run->step++;
        for (int s = 0; s < 2; s++) {
            if (run->side[s].ended)
                continue;
            ct_err e = next_event(r[s], &res->in[s], &ev[s], ei);
            if (e != CT_OK)
                return e;
            if (!ev[s])
                diff_align_side_end(run, s);
        }
        if (!ev[0] && !ev[1])
            break;
        for (int s = 0; s < 2; s++)
            if (ev[s])
                diff_align_event(run, s, ev[s]);
        diff_align_step_end(run);
        diff_acct_step(run);
        if (run->err != CT_OK)
            return ct_seterr(ei, run->err, CT_NO_OFFSET, "out of memory while comparing");
    }
    diff_align_finish(run);
    return run->err != CT_OK ? ct_seterr(ei, run->err, CT_NO_OFFSET, "out of memory") : CT_OK;
}

static void settle(diff_result *res, ct_reader *const r[2])
{
    for (int s = 0; s < 2; s++) {
        diff_input *in = &res->in[s];
        ct_file_status st;
        ct_reader_status(r[s], &st);
        if (st.truncated && !in->truncated) {
            in->truncated = 1;
            snprintf(in->truncation, sizeof in->truncation,
                     "truncated at byte %llu; last complete chunk ends at byte %llu",
                     (unsigned long long)st.truncated_at, (unsigned long long)st.complete_end);
        }
        if (in->truncated || in->corrupt_chunks || in->lost_events || in->loss_records)
            res->incomplete = 1;
        if (in->corrupt_chunks)
            res->damaged = 1;
    }
    res->equal = res->total.changed == 0 && res->total.added == 0 && res->total.removed == 0 &&
                 res->header_changes == 0 && res->timing_regressions == 0;
}

ct_err diff_traces(const char *path_a, const char *path_b, const diff_opts *opts,
                   const diff_trace_opts *topts, diff_result **out, ct_errinfo *ei)
{
    static const diff_opts no_opts;
    const char *paths[2] = {path_a, path_b};
    ct_reader *r[2] = {NULL, NULL};
    diff_run run;
    diff_result *res;
    ct_err e = CT_OK;

    if (!path_a || !path_b || !out)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "diff_traces: missing argument");
    *out = NULL;
    memset(&run, 0, sizeof run);
    run.opts = opts ? opts : &no_opts;
    run.window = topts && topts->window ? topts->window : DIFF_DEFAULT_WINDOW;
    if (!(res = calloc(1, sizeof *res)))
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    run.res = res;
    res->window = run.window;
    for (int s = 0; s < 2 && e == CT_OK; s++) {
        if (!(res->in[s].path = strdup(paths[s])))
            e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
        else if ((e = ct_reader_open(paths[s], &r[s], ei)) == CT_OK)
            note_header(&res->in[s], ct_reader_header(r[s]));
    }
    if (e == CT_OK && copy_ignores(res, opts) != CT_OK)
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK && topts && topts->compare_header)
        compare_headers(res, run.opts, ct_reader_header(r[0]), ct_reader_header(r[1]));
    if (e == CT_OK && (diff_align_init(&run) != CT_OK || diff_acct_new(&run, &run.acct) != CT_OK))
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK)
        e = run_loop(&run, r, ei);
    if (e == CT_OK && diff_acct_finish(&run) != CT_OK)
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    if (e == CT_OK)
        settle(res, r);
    diff_align_fini(&run);
    diff_acct_free(run.acct);
    ct_reader_close(r[0]);
    ct_reader_close(r[1]);
    if (e != CT_OK) {
        diff_result_free(res);
        return e;
    }
    *out = res;
    return CT_OK;
}
