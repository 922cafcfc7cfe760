/* diff_test.c - chimtrace diff's library: single events (diff_events) and whole traces.
 *
 * Traces are recorded at test time and copied with exactly one thing changed through the real
 * reader and writer (helpers/diff_mutate): a status, a SndNxt, a dropped or repeated event,
 * renumbered ids, stretched timestamps, a cut file. Each test checks that the diff reports
 * that change and nothing else, where the first divergence is, and that memory stays flat.
 */
#define _DEFAULT_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diff.h"
#include "diff_mutate.h"
#include "recorder.h"
#include "tf_helpers.h"

#define OP(x) CHIMTRACE__V1__OPERATION__OP_##x
#define EDGE_IN 1
#define EDGE_OUT 2
#define EDGE_CIN 3
#define EDGE_COUT 4

static char dir[128];

static void setup(void)
{
    cr_assert_eq(tf_mkscratch(dir, sizeof dir), 0);
}

static void teardown(void)
{
    tf_rmtree(dir);
}

static const char *path_in(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", dir, name);
    return buf;
}

/* Record `workload` into dir/name (deterministic unless threads > 0). */
static const char *record(char *buf, const char *name, const char *workload, uint64_t seed,
                          uint32_t threads)
{
    ct_record_opts o;
    ct_record_result res;
    ct_errinfo ei;
    ct_record_opts_init(&o);
    o.workload = workload;
    o.seed = seed;
    o.deterministic = threads == 0;
    o.threads = threads ? threads : 1;
    o.out_path = path_in(buf, name);
    cr_assert_eq(ct_record_run(&o, &res, &ei), CT_OK, "%s", ei.msg);
    return buf;
}

static diff_result *diff2(const char *a, const char *b, const diff_opts *o,
                          const diff_trace_opts *t)
{
    diff_result *r = NULL;
    ct_errinfo ei;
    cr_assert_eq(diff_traces(a, b, o, t, &r, &ei), CT_OK, "%s", ei.msg);
    return r;
}

static void log_text(const diff_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diff_report_text(f, r);
    fclose(f);
    cr_log_info("%s", buf);
    free(buf);
}

/* ------------------------------------------------------------------------------------ */
/* Whole traces                                                                          */

TestSuite(diff, .init = setup, .fini = teardown, .timeout = 300);

static void expect_self_equal(const char *p)
{
    diff_result *r = diff2(p, p, NULL, NULL);
    if (!r->equal)
        log_text(r);
    cr_assert(r->equal, "%s differs from itself", p);
    cr_assert_eq(diff_exit_code(r), 0);
    cr_assert_eq(r->total.compared, r->in[0].events, "%s: every event compared", p);
    cr_assert_eq(r->total.added + r->total.removed + r->total.changed, 0);
    cr_assert_eq(r->total.ops_matched, r->total.ops_a);
    diff_result_free(r);
}

Test(diff, a_trace_equals_itself_for_every_workload)
{
    static const char *const w[] = {"basic", "storm", "churn", "exhaust", "deep", "mixed"};
    char p[256];
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        expect_self_equal(record(p, w[i], w[i], 1, 0));
    expect_self_equal(record(p, "mixed_rt", "mixed", 3, 2));    /* real time, 2 threads */
}

Test(diff, a_synthetic_trace_with_losses_equals_itself_and_says_it_lost_events)
{
    char p[256];
    ct_errinfo ei;
    cr_assert_eq(tf_write_synth(path_in(p, "s.ctrace"), 9, 30000, 0, NULL, NULL, &ei), CT_OK);
    diff_result *r = diff2(p, p, NULL, NULL);
    cr_assert(r->equal);
    cr_assert_gt(r->in[0].lost_events, 0, "synth writes Loss records");
    cr_assert_gt(r->in[1].loss_records, 0);
    cr_assert(r->incomplete, "lost events make the comparison incomplete");
    cr_assert_eq(diff_exit_code(r), 0);
    diff_result_free(r);
}

Test(diff, recordings_with_different_seeds_differ)
{
    char a[256], b[256];
    record(a, "a", "mixed", 1, 0);
    record(b, "b", "mixed", 2, 0);
    diff_result *r = diff2(a, b, NULL, NULL);
    cr_assert_not(r->equal);
    cr_assert_eq(diff_exit_code(r), 1);
    cr_assert(r->has_first);
    diff_result_free(r);
}

typedef struct edit {
    uint64_t at;                /* event index to act on */
    dm_action act;
    uint32_t block;
    int what;                   /* 1 status, 2 snd_nxt */
    uint32_t value;
} edit;

static dm_action edit_fn(void *ctx, uint64_t index, Chimtrace__V1__Record *rec)
{
    const edit *e = ctx;
    if (index != e->at)
        return DM_KEEP;
    Chimtrace__V1__Block *b = e->block < rec->event->n_block ? rec->event->block[e->block] : NULL;
    if (e->what == 1 && b) {
        b->has_status = 1;
        b->status = e->value;
    } else if (e->what == 2 && b && b->tcp_delegated) {
        b->tcp_delegated->has_snd_nxt = 1;
        b->tcp_delegated->snd_nxt = e->value;
    }
    return e->act;
}

static const char *mutate(char *out, const char *in, const char *name, edit e)
{
    ct_errinfo ei;
    cr_assert_neq(e.at, UINT64_MAX, "the event to edit exists");
    cr_assert_eq(dm_copy(in, path_in(out, name), edit_fn, &e, &ei), CT_OK, "%s", ei.msg);
    return out;
}

/* Exactly one changed event with exactly one field change. */
static void expect_one_change(const diff_result *r, uint64_t at, const char *field,
                              const char *exp, const char *got)
{
    if (r->total.changed != 1)
        log_text(r);
    cr_assert_not(r->equal);
    cr_assert_eq(r->total.changed, 1);
    cr_assert_eq(r->total.fields, 1);
    cr_assert_eq(r->total.added + r->total.removed, 0);
    cr_assert(r->has_first);
    cr_assert_eq(r->first.kind, DIFF_CHANGED);
    cr_assert_eq(r->first.expected.index, at + 1, "first divergence at event %llu, got %llu",
                 (unsigned long long)at + 1, (unsigned long long)r->first.expected.index);
    cr_assert_eq(r->first.n_changes, 1);
    cr_assert_str_eq(r->first.change[0].field, field);
    cr_assert_str_eq(r->first.change[0].expected, exp);
    cr_assert_str_eq(r->first.change[0].got, got);
    cr_assert_gt(r->first.n_ctx_expected, 1, "context around the divergence");
}

Test(diff, an_edited_status_is_the_one_field_change)
{
    char a[256], b[256];
    record(a, "a", "mixed", 1, 0);
    uint64_t at = dm_find(a, OP(TERMINATE), EDGE_CIN, 0);
    mutate(b, a, "b", (edit){at, DM_KEEP, 0, 1, 0xC0000001u});
    diff_result *r = diff2(a, b, NULL, NULL);
    expect_one_change(r, at, "block[0].status", "SUCCESS", "FAILURE");
    diff_result_free(r);
}

Test(diff, tcp_delegated_snd_nxt_1000_to_1460_is_reported_exactly)
{
    char src[256], a[256], b[256];
    record(src, "src", "basic", 1, 0);
    uint64_t at = dm_find(src, OP(TERMINATE), EDGE_COUT, 0);
    mutate(a, src, "a", (edit){at, DM_KEEP, 2, 2, 1000});
    mutate(b, src, "b", (edit){at, DM_KEEP, 2, 2, 1460});
    diff_result *r = diff2(a, b, NULL, NULL);
    expect_one_change(r, at, "block[2].tcp_delegated.snd_nxt", "1000", "1460");
    cr_assert_eq(r->first.expected.object.kind, OBJ_NEIGHBOR, "a terminate tree's root");
    /* The change is charged to the TCP object, whose block it is in. */
    int found = 0;
    for (size_t i = 0; i < r->n_objects; i++)
        if (r->objects[i].object.kind == OBJ_TCP && r->objects[i].c.changed == 1)
            found = !strcmp(r->objects[i].first_change.field, "block[2].tcp_delegated.snd_nxt");
    cr_assert(found, "the TCP object's result carries the change");
    diff_result_free(r);
}

Test(diff, ignore_suppresses_a_field_and_only_that_field)
{
    char src[256], a[256], b[256];
    const char *ig1[] = {"tcp_delegated.snd_nxt"}, *ig2[] = {"snd_una", "status"};
    diff_opts o;
    record(src, "src", "basic", 1, 0);
    uint64_t at = dm_find(src, OP(TERMINATE), EDGE_COUT, 0);
    mutate(a, src, "a", (edit){at, DM_KEEP, 2, 2, 1000});
    mutate(b, src, "b", (edit){at, DM_KEEP, 2, 2, 1460});
    diff_opts_init(&o);
    o.ignore = ig1;
    o.n_ignore = 1;
    diff_result *r = diff2(a, b, &o, NULL);
    cr_assert(r->equal, "--ignore tcp_delegated.snd_nxt");
    cr_assert_eq(r->total.compared, r->in[0].events);
    diff_result_free(r);
    o.ignore = ig2;
    o.n_ignore = 2;
    r = diff2(a, b, &o, NULL);
    cr_assert_not(r->equal, "ignoring other fields keeps this one");
    diff_result_free(r);
}

Test(diff, a_dropped_event_is_exactly_one_removed_event)
{
    static const int edges[] = {EDGE_OUT, EDGE_CIN, EDGE_COUT};
    char a[256], b[256];
    record(a, "a", "mixed", 1, 0);
    for (size_t i = 0; i < 3; i++) {
        uint64_t at = dm_find(a, OP(QUERY), edges[i], 1);
        mutate(b, a, "b", (edit){at, DM_DROP, 0, 0, 0});
        diff_result *r = diff2(a, b, NULL, NULL);
        if (r->total.removed != 1 || r->total.changed)
            log_text(r);
        cr_assert_eq(r->total.removed, 1, "edge %d dropped", edges[i]);
        cr_assert_eq(r->total.added, 0);
        cr_assert_eq(r->total.changed, 0, "ids keep their roles without the dropped edge");
        cr_assert_eq(r->first.kind, DIFF_REMOVED);
        cr_assert_eq(r->first.expected.index, at + 1);
        cr_assert_not(r->first.got.present);
        cr_assert_eq(r->first.expected.edge, edges[i]);
        diff_result_free(r);
    }
}

Test(diff, a_dropped_request_in_of_a_query_still_matches_the_rest_of_the_operation)
{
    char a[256], b[256];
    record(a, "a", "mixed", 1, 0);
    uint64_t at = dm_find(a, OP(QUERY), EDGE_IN, 2);
    mutate(b, a, "b", (edit){at, DM_DROP, 0, 0, 0});
    diff_result *r = diff2(a, b, NULL, NULL);
    if (r->total.removed != 1)
        log_text(r);
    cr_assert_eq(r->total.removed, 1);
    cr_assert_eq(r->total.added + r->total.changed, 0);
    diff_result_free(r);
}

Test(diff, a_duplicated_event_is_exactly_one_added_event)
{
    char a[256], b[256];
    record(a, "a", "mixed", 1, 0);
    uint64_t at = dm_find(a, OP(UPDATE), EDGE_OUT, 2);
    mutate(b, a, "b", (edit){at, DM_TWICE, 0, 0, 0});
    diff_result *r = diff2(a, b, NULL, NULL);
    if (r->total.added != 1)
        log_text(r);
    cr_assert_eq(r->total.added, 1);
    cr_assert_eq(r->total.removed + r->total.changed, 0);
    cr_assert_eq(r->first.kind, DIFF_ADDED);
    cr_assert_eq(r->first.got.index, at + 2, "the copy follows the original");
    cr_assert_eq(r->first.got.edge, EDGE_OUT);
    diff_result_free(r);
    /* And a trace holding that duplicate still equals itself. */
    expect_self_equal(b);
}

static uint64_t renumber(uint64_t id)
{
    return id ? id * 3 + 7 : 0;
}

/* Every id of every event renumbered by one bijection: what another run's allocator does. */
static dm_action renumber_fn(void *ctx, uint64_t index, Chimtrace__V1__Record *rec)
{
    (void)ctx, (void)index;
    if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
        return DM_KEEP;
    Chimtrace__V1__Event *ev = rec->event;
    ev->binding_id = renumber(ev->binding_id);
    for (size_t i = 0; i < ev->n_block; i++) {
        Chimtrace__V1__Block *b = ev->block[i];
        uint64_t *ids[] = {&b->block_id, &b->offload_handle_id, &b->context_slot_id,
                           &b->context_value_id, &b->source_handle_id, &b->nbl_chain_id};
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
            *ids[k] = renumber(*ids[k]);
        for (size_t k = 0; k < b->n_im_reserved_id; k++)
            b->im_reserved_id[k] = renumber(b->im_reserved_id[k]);
        for (size_t k = 0; k < b->n_protocol_reserved_id; k++)
            b->protocol_reserved_id[k] = renumber(b->protocol_reserved_id[k]);
        if (b->tcp_delegated) {
            Chimtrace__V1__TcpDelegated *d = b->tcp_delegated;
            d->send_data_head_id = renumber(d->send_data_head_id);
            d->send_data_tail_id = renumber(d->send_data_tail_id);
            d->buffered_data_id = renumber(d->buffered_data_id);
        }
    }
    return DM_KEEP;
}

Test(diff, ids_renumbered_consistently_compare_equal)
{
    char a[256], b[256];
    ct_errinfo ei;
    record(a, "a", "mixed", 1, 0);
    cr_assert_eq(dm_copy(a, path_in(b, "b"), renumber_fn, NULL, &ei), CT_OK);
    diff_result *r = diff2(a, b, NULL, NULL);
    if (!r->equal)
        log_text(r);
    cr_assert(r->equal, "ids are compared by role, not by number");
    cr_assert_eq(r->total.compared, r->in[0].events);
    diff_result_free(r);
}

typedef struct swap_handle {
    uint64_t lower, at;     /* edge-2 event whose handle to use, edge-4 event to edit */
    uint64_t im_handle;
} swap_handle;

static dm_action swap_fn(void *ctx, uint64_t index, Chimtrace__V1__Record *rec)
{
    swap_handle *s = ctx;
    if (index == s->lower)
        s->im_handle = rec->event->block[0]->offload_handle_id;
    if (index == s->at)
        rec->event->block[0]->offload_handle_id = s->im_handle;
    return DM_KEEP;
}

/* An IM that hands the host its own handle at completion-out instead of the host's: the
 * number is a valid id either way; its role is what changed. */
Test(diff, a_handle_not_restored_at_completion_out_is_one_change_by_role)
{
    char a[256], b[256];
    ct_errinfo ei;
    record(a, "a", "basic", 1, 0);
    swap_handle s = {dm_find(a, OP(UPDATE), EDGE_OUT, 0), dm_find(a, OP(UPDATE), EDGE_COUT, 0),
                     0};
    cr_assert_eq(dm_copy(a, path_in(b, "b"), swap_fn, &s, &ei), CT_OK);
    diff_result *r = diff2(a, b, NULL, NULL);
    expect_one_change(r, s.at, "block[0].offload_handle_id",
                      "same as req-in-above block[0].offload_handle_id",
                      "same as req-out-below block[0].offload_handle_id");
    diff_result_free(r);
}

/* A seeded scramble of a trace: events dropped, repeated, given colliding op_ids, edges out
 * of range or order, parents out of range, trees cut. Nothing a recorder writes, all of it
 * something a damaged or hostile file may hold. */
static dm_action scramble_fn(void *ctx, uint64_t index, Chimtrace__V1__Record *rec)
{
    uint64_t *rng = ctx;
    if (index == UINT64_MAX)
        return DM_KEEP;
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    unsigned r = (unsigned)(*rng >> 33) % 100;
    Chimtrace__V1__Event *ev = rec->event;
    if (r < 5)
        return DM_DROP;
    if (r < 10)
        return DM_TWICE;
    if (r < 15)
        ev->op_id = (*rng >> 20) % 8;
    else if (r < 20)
        ev->edge = (Chimtrace__V1__Edge)((*rng >> 24) % 7);
    else if (r < 23 && ev->n_block)
        ev->block[ev->n_block - 1]->parent = 4000 + (uint32_t)r;
    else if (r < 25) {
        for (size_t i = ev->n_block / 2; i < ev->n_block; i++)
            chimtrace__v1__block__free_unpacked(ev->block[i], NULL);
        ev->n_block /= 2;
    }
    return DM_KEEP;
}

Test(diff, a_scrambled_trace_still_equals_itself_and_diffs_against_the_original)
{
    char a[256], b[256];
    ct_errinfo ei;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        uint64_t rng = seed;
        cr_assert_eq(tf_write_synth(path_in(a, "a"), seed, 8000, 0, NULL, NULL, &ei), CT_OK);
        cr_assert_eq(dm_copy(a, path_in(b, "b"), scramble_fn, &rng, &ei), CT_OK);
        expect_self_equal(b);
        diff_trace_opts t;
        diff_trace_opts_init(&t);
        t.window = 64;  /* small: exercise the expiry paths too */
        diff_result *r = diff2(a, b, NULL, &t);
        cr_assert_not(r->equal);
        cr_assert_eq(r->total.compared + r->total.removed, r->in[0].events, "A is accounted for");
        cr_assert_eq(r->total.compared + r->total.added, r->in[1].events, "B is accounted for");
        diff_result_free(r);
    }
}

static diff_result *timing_diff(const char *a, const char *b, double pct)
{
    diff_opts o;
    diff_opts_init(&o);
    o.has_timing_tolerance = 1;
    o.timing_tolerance_pct = pct;
    return diff2(a, b, &o, NULL);
}

Test(diff, timing_regression_is_flagged_beyond_tolerance_and_not_within)
{
    char a[256], slow[256], bit[256];
    ct_errinfo ei;
    ct_record_opts o;
    ct_record_result res;
    ct_record_opts_init(&o);
    o.workload = "storm";
    o.connections = 64;
    o.deterministic = 1;
    o.nic_latency = "uniform:10us:200us";
    o.out_path = path_in(a, "a");
    cr_assert_eq(ct_record_run(&o, &res, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(dm_stretch(a, path_in(slow, "slow"), 2, 1, &ei), CT_OK);
    cr_assert_eq(dm_stretch(a, path_in(bit, "bit"), 105, 100, &ei), CT_OK);

    diff_result *r = timing_diff(a, a, 0);
    cr_assert(r->equal, "same latencies: no regression even at 0%%");
    cr_assert(r->timing && r->n_timing > 0);
    diff_result_free(r);

    r = timing_diff(a, slow, 10);
    cr_assert_not(r->equal);
    cr_assert_eq(diff_exit_code(r), 1);
    cr_assert_eq(r->total.changed + r->total.added + r->total.removed, 0, "events equal");
    int nic = 0;
    for (size_t i = 0; i < r->n_timing; i++) {
        const diff_timing_row *t = &r->timing_rows[i];
        if (t->span == DIFF_SPAN_NIC && t->op == OP(INITIATE)) {
            nic = 1;
            cr_assert_eq(t->regressed, 7, "p50, p90 and p99 all doubled");
            cr_assert_gt(t->b_ns[1], t->a_ns[1] * 19 / 10);
        }
    }
    cr_assert(nic, "the NIC span of INITIATE is measured");
    diff_result_free(r);

    r = timing_diff(a, bit, 20);
    cr_assert(r->equal, "5%% slower is within 20%%");
    cr_assert_eq(r->timing_regressions, 0);
    diff_result_free(r);
    r = timing_diff(a, bit, 1);
    cr_assert_not(r->equal, "5%% slower is beyond 1%%");
    diff_result_free(r);
}

Test(diff, a_truncated_input_is_reported_and_its_missing_events_removed)
{
    char a[256], b[256];
    ct_errinfo ei;
    cr_assert_eq(tf_write_synth(path_in(a, "a"), 4, 20000, 16384, NULL, NULL, &ei), CT_OK);
    cr_assert_eq(dm_cut(a, path_in(b, "b"), dm_size(a) / 2), 0);
    diff_result *r = diff2(a, b, NULL, NULL);
    cr_assert(r->in[1].truncated);
    cr_assert_not(r->in[0].truncated);
    cr_assert_not_null(strstr(r->in[1].truncation, "truncated at byte"), "%s",
                       r->in[1].truncation);
    cr_assert(r->incomplete);
    cr_assert_not(r->equal);
    cr_assert_eq(r->total.added, 0);
    cr_assert_eq(r->total.removed + r->total.compared, r->in[0].events);
    cr_assert_gt(r->total.removed, 0);
    cr_assert_eq(diff_exit_code(r), 1, "truncation is reported, not an error");
    diff_result_free(r);
}

Test(diff, header_is_compared_only_when_asked_and_never_its_run_specific_fields)
{
    char a[256], b[256], c[256];
    diff_trace_opts t;
    record(a, "a", "basic", 1, 0);
    record(b, "b", "basic", 1, 2);  /* same objects, real time: other uuid, capture, clock */
    record(c, "c", "basic", 1, 0);
    diff_trace_opts_init(&t);
    t.compare_header = 1;
    diff_result *r = diff2(a, c, NULL, &t);
    cr_assert(r->header_compared);
    cr_assert_eq(r->header_changes, 0);
    diff_result_free(r);
    r = diff2(a, b, NULL, &t);
    cr_assert_gt(r->header_changes, 0);
    for (size_t i = 0; i < r->n_header_change; i++) {
        const char *f = r->header_change[i].field;
        cr_assert(strncmp(f, "header.", 7) == 0, "%s", f);
        cr_assert(!strstr(f, "uuid") && !strstr(f, "start_unix_ns") && !strstr(f, "hostname"),
                  "run-specific field %s compared", f);
    }
    diff_result_free(r);
    r = diff2(a, b, NULL, NULL);
    cr_assert_not(r->header_compared);
    cr_assert_eq(r->header_changes, 0);
    diff_result_free(r);
}

Test(diff, a_missing_file_is_an_error_naming_it)
{
    char a[256], b[256];
    diff_result *r = NULL;
    ct_errinfo ei;
    record(a, "a", "basic", 1, 0);
    ct_err e = diff_traces(a, path_in(b, "nope"), NULL, NULL, &r, &ei);
    cr_assert_neq(e, CT_OK);
    cr_assert_null(r);
    cr_assert_not_null(strstr(ei.msg, "nope"), "%s", ei.msg);
}

/* ------------------------------------------------------------------------------------ */
/* Single events                                                                         */

typedef struct seen {
    size_t n;
    char field[8][DIFF_TEXT], exp[8][DIFF_TEXT], got[8][DIFF_TEXT];
} seen;

static void seen_fn(void *ctx, const char *field, const char *e, const char *g)
{
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->field[s->n], DIFF_TEXT, "%s", field);
        snprintf(s->exp[s->n], DIFF_TEXT, "%s", e);
        snprintf(s->got[s->n], DIFF_TEXT, "%s", g);
    }
    s->n++;
}

/* The n-th event (0-based) of a recorded basic trace, as an owned copy. */
static Chimtrace__V1__Event *event_at(const char *path, uint64_t index)
{
    ct_reader *r;
    ct_errinfo ei;
    const Chimtrace__V1__Record *rec;
    Chimtrace__V1__Event *copy = NULL;
    uint64_t k = 0;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK);
    while (!copy && ct_reader_next(r, &rec, &ei) == CT_OK && rec) {
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT || k++ != index)
            continue;
        size_t n = chimtrace__v1__event__get_packed_size(rec->event);
        uint8_t *buf = malloc(n);
        chimtrace__v1__event__pack(rec->event, buf);
        copy = chimtrace__v1__event__unpack(NULL, n, buf);
        free(buf);
    }
    ct_reader_close(r);
    cr_assert_not_null(copy);
    return copy;
}

/* Every id of an event shifted by `by`: same roles, other numbers. */
static void shift_ids(Chimtrace__V1__Event *ev, uint64_t by)
{
    ev->binding_id += ev->binding_id ? by : 0;
    for (size_t i = 0; i < ev->n_block; i++) {
        Chimtrace__V1__Block *b = ev->block[i];
        uint64_t *ids[] = {&b->block_id, &b->offload_handle_id, &b->context_slot_id,
                           &b->context_value_id, &b->source_handle_id, &b->nbl_chain_id};
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
            *ids[k] += *ids[k] ? by : 0;
        for (size_t k = 0; k < b->n_im_reserved_id; k++)
            b->im_reserved_id[k] += b->im_reserved_id[k] ? by : 0;
    }
}

TestSuite(diff_events, .init = setup, .fini = teardown, .timeout = 300);

Test(diff_events, same_roles_with_other_numbers_are_equal_and_other_roles_are_not)
{
    char p[256];
    seen s = {0};
    record(p, "a", "basic", 1, 0);
    /* INITIATE cmpl-in-below: the root's SourceHandle is the binding the event came on. */
    Chimtrace__V1__Event *a = event_at(p, 2), *b = event_at(p, 2);
    cr_assert_eq(a->block[0]->source_handle_id, a->binding_id);
    shift_ids(b, 1000);
    b->seq += 7, b->ts_ns += 99, b->ring ^= 1, b->op_id += 3; /* never compared */
    cr_assert_eq(diff_events(NULL, a, b, seen_fn, &s), 0, "first: %s", s.field[0]);
    /* A SourceHandle that is no longer the binding: one change, named by role. */
    b->block[0]->source_handle_id = 99999;
    cr_assert_eq(diff_events(NULL, a, b, seen_fn, &s), 1);
    cr_assert_str_eq(s.field[0], "binding_id");
    cr_assert_str_eq(s.exp[0], "same as block[0].source_handle_id");
    cr_assert_str_eq(s.got[0], "new id");
    /* Two blocks sharing one handle. */
    b->block[0]->source_handle_id = a->block[0]->source_handle_id + 1000;
    b->block[1]->offload_handle_id = b->block[0]->offload_handle_id;
    s.n = 0;
    cr_assert_eq(diff_events(NULL, a, b, seen_fn, &s), 1);
    cr_assert_str_eq(s.field[0], "block[1].offload_handle_id");
    cr_assert_str_eq(s.exp[0], "new id");
    cr_assert_str_eq(s.got[0], "same as block[0].offload_handle_id");
    /* A handle that is NULL on one side. */
    b->block[1]->offload_handle_id = 0;
    s.n = 0;
    cr_assert_eq(diff_events(NULL, a, b, seen_fn, &s), 1);
    cr_assert_str_eq(s.got[0], "NULL");
    chimtrace__v1__event__free_unpacked(a, NULL);
    chimtrace__v1__event__free_unpacked(b, NULL);
}

Test(diff_events, a_field_change_is_named_by_path_and_ignore_matches_whole_components)
{
    char p[256];
    seen s = {0};
    diff_opts o;
    const char *pats[1];
    record(p, "a", "basic", 1, 0);
    Chimtrace__V1__Event *a = event_at(p, 19), *b = event_at(p, 19); /* TERMINATE out */
    a->block[2]->tcp_delegated->snd_nxt = 1000;
    b->block[2]->tcp_delegated->snd_nxt = 1460;
    cr_assert_eq(diff_events(NULL, a, b, seen_fn, &s), 1);
    cr_assert_str_eq(s.field[0], "block[2].tcp_delegated.snd_nxt");
    cr_assert_str_eq(s.exp[0], "1000");
    cr_assert_str_eq(s.got[0], "1460");
    diff_opts_init(&o);
    o.ignore = pats;
    o.n_ignore = 1;
    static const struct { const char *pat; size_t n; } cases[] = {
        {"snd_nxt", 0}, {"tcp_delegated.snd_nxt", 0}, {"block[2]", 0}, {"block", 0},
        {"block[1]", 1}, {"nxt", 1}, {"tcp_delegated.snd_una", 1}, {"block[2].snd_nxt", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pats[0] = cases[i].pat;
        cr_assert_eq(diff_events(&o, a, b, NULL, NULL), cases[i].n, "--ignore %s",
                     cases[i].pat);
    }
    chimtrace__v1__event__free_unpacked(a, NULL);
    chimtrace__v1__event__free_unpacked(b, NULL);
}

Test(diff_events, block_count_presence_and_enums_are_compared)
{
    char p[256];
    seen s = {0};
    record(p, "a", "basic", 1, 0);
    Chimtrace__V1__Event *a = event_at(p, 0), *b = event_at(p, 0);
    b->n_block = 2;                        /* one block fewer */
    b->block[0]->has_port_number = 0;      /* a field not captured */
    b->block[0]->has_port_number = !a->block[0]->has_port_number;
    b->op = CHIMTRACE__V1__OPERATION__OP_QUERY;
    size_t n = diff_events(NULL, a, b, seen_fn, &s);
    cr_assert_eq(n, 4, "op, port_number presence, block_count, block[2]: %zu", n);
    cr_assert_str_eq(s.field[0], "op");
    cr_assert_str_eq(s.exp[0], "OP_INITIATE");
    cr_assert_str_eq(s.got[0], "OP_QUERY");
    cr_assert_str_eq(s.field[1], "block_count");
    cr_assert_str_eq(s.exp[1], "3");
    cr_assert_str_eq(s.got[1], "2");
    cr_assert_str_eq(s.field[2], "block[0].port_number");
    cr_assert_str_eq(s.field[3], "block[2]");
    cr_assert_str_eq(s.exp[3], "TcpOffloadState");
    cr_assert_str_eq(s.got[3], "(absent)");
    b->n_block = 3;
    chimtrace__v1__event__free_unpacked(a, NULL);
    chimtrace__v1__event__free_unpacked(b, NULL);
}

/* ------------------------------------------------------------------------------------ */
/* Memory                                                                                */

/* Present when a sanitizer runtime replaced malloc (mallinfo2 then sees nothing). */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static size_t heap_in_use(void)
{
    if (__sanitizer_get_current_allocated_bytes)
        return __sanitizer_get_current_allocated_bytes();
    struct mallinfo2 mi = mallinfo2();  /* sums every arena, under their locks */
    return mi.uordblks + mi.hblkhd;
}

typedef struct sampler {
    atomic_int stop;
    size_t base, peak;
} sampler;

static void *sample(void *arg)
{
    sampler *s = arg;
    while (!atomic_load(&s->stop)) {
        size_t now = heap_in_use();
        if (now > s->peak)
            s->peak = now;
        usleep(200);
    }
    return NULL;
}

typedef struct mem_use {
    size_t heap_peak;   /* heap growth over the start, sampled during the diff */
    long maxrss_kb;     /* the child's peak RSS (getrusage) */
    uint64_t events;
} mem_use;

/* Run diff_traces(a, b) in a child process; its heap peak and peak RSS. */
static mem_use diff_memory(const char *a, const char *b, size_t window)
{
    int fd[2];
    mem_use m = {0, 0, 0};
    struct rusage ru;
    int st;
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        diff_trace_opts t;
        diff_result *r = NULL;
        ct_errinfo ei;
        sampler s;
        pthread_t th;
        close(fd[0]);
        diff_trace_opts_init(&t);
        t.window = window;
        atomic_init(&s.stop, 0);
        s.base = s.peak = heap_in_use();
        pthread_create(&th, NULL, sample, &s);
        ct_err e = diff_traces(a, b, NULL, &t, &r, &ei);
        atomic_store(&s.stop, 1);
        pthread_join(th, NULL);
        mem_use out = {s.peak - s.base, 0, e == CT_OK ? r->in[0].events : 0};
        diff_result_free(r);
        _exit(write(fd[1], &out, sizeof out) == (ssize_t)sizeof out && e == CT_OK ? 0 : 1);
    }
    close(fd[1]);
    cr_assert_eq(read(fd[0], &m, sizeof m), (ssize_t)sizeof m);
    close(fd[0]);
    cr_assert_eq(wait4(pid, &st, 0, &ru), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the diff child failed");
    m.maxrss_kb = ru.ru_maxrss;
    return m;
}

TestSuite(diff_memory, .init = setup, .fini = teardown, .timeout = 300);

/* How this fails: a diff that keeps events (or operations, or per-event results) for the
 * whole trace peaks ~10x higher on the 200k pair than on the 20k one: 200k synthetic events
 * are ~150 MB unpacked, ~60 MB packed. Both pairs are diffed twice: with themselves (every
 * event matched at once) and with another seed (every event unmatched: the window holds
 * them, then reports them). */
Test(diff_memory, two_200k_event_traces_are_not_held_in_memory)
{
    char s1[256], s2[256], b1[256], b2[256];
    ct_errinfo ei;
    int sanitizer = __sanitizer_get_current_allocated_bytes != NULL;
    cr_assert_eq(tf_write_synth(path_in(s1, "s1"), 1, 20000, 0, NULL, NULL, &ei), CT_OK);
    cr_assert_eq(tf_write_synth(path_in(s2, "s2"), 2, 20000, 0, NULL, NULL, &ei), CT_OK);
    cr_assert_eq(tf_write_synth(path_in(b1, "b1"), 1, 200000, 0, NULL, NULL, &ei), CT_OK);
    cr_assert_eq(tf_write_synth(path_in(b2, "b2"), 2, 200000, 0, NULL, NULL, &ei), CT_OK);
    const char *pairs[2][2][2] = {{{s1, s1}, {b1, b1}}, {{s1, s2}, {b1, b2}}};
    for (int k = 0; k < 2; k++) {
        mem_use small = diff_memory(pairs[k][0][0], pairs[k][0][1], 1024);
        mem_use big = diff_memory(pairs[k][1][0], pairs[k][1][1], 1024);
        cr_log_info("%s: 20k events: heap peak %zu KB, max RSS %ld KB; 200k events: heap peak "
                    "%zu KB, max RSS %ld KB", k ? "other seed" : "itself", small.heap_peak >> 10,
                    small.maxrss_kb, big.heap_peak >> 10, big.maxrss_kb);
        cr_assert_gt(small.events, 18000);   /* records minus losses and frames */
        cr_assert_gt(big.events, 180000);
        cr_assert_gt(small.heap_peak, 0, "the probe sees the diff's memory");
        cr_assert_leq(big.heap_peak, small.heap_peak + (4u << 20),
                      "heap peak %zu for 200k events, %zu for 20k", big.heap_peak,
                      small.heap_peak);
        if (!sanitizer)     /* ASan's quarantine and shadow make RSS meaningless */
            cr_assert_leq(big.maxrss_kb, small.maxrss_kb + 16 * 1024);
    }
}
