/* diff_account.c - turns what the alignment finds into a diff_result: counts per operation
 * kind and per object, the earliest divergence with its context, timing rows.
 *
 * Bounded like the rest: a fixed per-operation table, at most DIFF_MAX_OBJECTS objects (the
 * rest summed as "other objects"), and context taken from each side's ring of recent events.
 */
#include <stdlib.h>
#include <string.h>

#include "ct_print.h"
#include "diff_int.h"

#define OPS (CT_PRINT_OPS + 1)     /* operation values 0..63, then "other" */

struct diff_acct {
    diff_counts ops[OPS];
    int op_seen[OPS];
    obj_map obj_index;          /* identity hash -> index + 1 in objects */
    diff_object_result *objects;
    size_t n_objects;
    int overflow;
    diff_object_result other;
    int has_first;
    uint64_t first_pos;         /* index of the divergent event in its trace */
    int first_rank;             /* changed < removed < added at one position */
    diff_divergence first;
    uint64_t ctx_center[2];     /* context still to take around these indexes */
    int ctx_due[2];
    diff_hist *hist[2][OPS][DIFF_SPANS];
};

static int op_slot(int op)
{
    return op >= 0 && op < CT_PRINT_OPS ? op : CT_PRINT_OPS;
}

ct_err diff_acct_new(diff_run *run, diff_acct **out)
{
    diff_acct *a = calloc(1, sizeof *a);
    (void)run;
    if (!a)
        return CT_ERR_NOMEM;
    obj_map_init(&a->obj_index);
    a->objects = calloc(DIFF_MAX_OBJECTS, sizeof *a->objects);
    if (!a->objects) {
        free(a);
        return CT_ERR_NOMEM;
    }
    *out = a;
    return CT_OK;
}

void diff_acct_free(diff_acct *a)
{
    if (!a)
        return;
    for (int s = 0; s < 2; s++)
        for (int o = 0; o < OPS; o++)
            for (int k = 0; k < DIFF_SPANS; k++)
                diff_hist_free(a->hist[s][o][k]);
    obj_map_fini(&a->obj_index);
    free(a->objects);
    free(a);
}

/* ------------------------------------------------------------------------------------ */
/* Per object                                                                            */

static diff_object_result *object_of(diff_run *run, const obj_identity *id)
{
    diff_acct *a = run->acct;
    uint64_t h = obj_hash(id, OBJ_HASH_SEED), *v = obj_map_get(&a->obj_index, h);
    if (v) {
        diff_object_result *r = &a->objects[*v - 1];
        return obj_cmp(&r->object, id) == 0 ? r : &a->other;
    }
    if (a->n_objects == DIFF_MAX_OBJECTS || obj_map_put(&a->obj_index, h, a->n_objects + 1)) {
        a->overflow = 1;
        return &a->other;
    }
    a->objects[a->n_objects].object = *id;
    return &a->objects[a->n_objects++];
}

/* The accounting entries of an operation's objects (its identity set, or one "no object"
 * entry), resolved once per instance: every event of it is charged to them. */
static diff_object_result *const *op_objects(diff_run *run, d_op *u, uint32_t *n)
{
    static const obj_identity none;
    uint32_t want = u->n_set ? u->n_set : 1;
    if (!u->objs_ok) {
        if (want > u->cap_objs) {
            diff_object_result **o = realloc(u->objs, want * sizeof *o);
            if (!o) {
                run->err = CT_ERR_NOMEM;
                *n = 0;
                return NULL;
            }
            u->objs = o;
            u->cap_objs = want;
        }
        for (uint32_t i = 0; i < want; i++)
            u->objs[i] = object_of(run, u->n_set ? &u->set[i] : &none);
        u->n_objs = want;
        u->objs_ok = 1;
    }
    *n = u->n_objs;
    return u->objs;
}

static void object_first(diff_object_result *r, diff_kind k, const diff_event_ref *ref,
                         const diff_change *ch)
{
    if (r->has_first)
        return;
    r->has_first = 1;
    r->first_kind = k;
    r->first_seq = ref->seq;
    r->first_edge = ref->edge;
    r->first_op = ref->op;
    if (ch)
        r->first_change = *ch;
    else
        memset(&r->first_change, 0, sizeof r->first_change);
}

/* ------------------------------------------------------------------------------------ */
/* First divergence                                                                      */

static void take_context(diff_run *run, int s)
{
    diff_acct *a = run->acct;
    const d_side *x = &run->side[s];
    diff_event_ref *out = s == 0 ? a->first.ctx_expected : a->first.ctx_got;
    size_t *n = s == 0 ? &a->first.n_ctx_expected : &a->first.n_ctx_got;
    uint64_t c = a->ctx_center[s], lo = c > DIFF_CONTEXT ? c - DIFF_CONTEXT : 1;
    *n = 0;
    for (uint64_t i = lo; i <= c + DIFF_CONTEXT && i <= x->pos; i++) {
        const diff_event_ref *r = &x->ring[i % x->ring_cap];
        if (r->present && r->index == i)
            out[(*n)++] = *r;
    }
    a->ctx_due[s] = 0;
}

/* A divergence at `pos` in its trace: keep it if it is the earliest so far. */
static int first_candidate(diff_run *run, diff_kind kind, uint64_t pos,
                           const diff_event_ref *exp, const diff_event_ref *got)
{
    diff_acct *a = run->acct;
    int rank = kind == DIFF_CHANGED ? 0 : kind == DIFF_REMOVED ? 1 : 2;
    if (a->has_first && (a->first_pos < pos || (a->first_pos == pos && a->first_rank <= rank)))
        return 0;
    a->has_first = 1;
    a->first_pos = pos;
    a->first_rank = rank;
    memset(&a->first, 0, sizeof a->first);
    a->first.kind = kind;
    if (exp)
        a->first.expected = *exp;
    if (got)
        a->first.got = *got;
    /* Context: around each side's event; a missing side around the same position. */
    a->ctx_center[0] = exp ? exp->index : pos;
    a->ctx_center[1] = got ? got->index : pos;
    a->ctx_due[0] = a->ctx_due[1] = 1;
    diff_acct_step(run);
    return 1;
}

void diff_acct_step(diff_run *run)
{
    diff_acct *a = run->acct;
    for (int s = 0; s < 2; s++)
        if (a->ctx_due[s] && (run->side[s].pos >= a->ctx_center[s] + DIFF_CONTEXT ||
                              run->side[s].ended))
            take_context(run, s);
}

/* ------------------------------------------------------------------------------------ */
/* Events                                                                                */

void diff_acct_op_open(diff_run *run, d_op *u)
{
    diff_acct *a = run->acct;
    int o = op_slot(u->op);
    uint32_t n;
    diff_object_result *const *objs = op_objects(run, u, &n);
    a->op_seen[o] = 1;
    if (u->side == 0)
        a->ops[o].ops_a++, run->res->total.ops_a++;
    else
        a->ops[o].ops_b++, run->res->total.ops_b++;
    for (uint32_t i = 0; i < n; i++)
        *(u->side == 0 ? &objs[i]->c.ops_a : &objs[i]->c.ops_b) += 1;
}

void diff_acct_matched(diff_run *run, d_op *a0, d_op *b0)
{
    uint32_t n;
    diff_object_result *const *objs = op_objects(run, a0, &n);
    run->acct->ops[op_slot(a0->op)].ops_matched++;
    run->res->total.ops_matched++;
    for (uint32_t i = 0; i < n; i++)
        objs[i]->c.ops_matched++;
    (void)b0;
}

/* The object block b of a compared pair is about (-1: the event itself). */
static const obj_identity *block_object(const d_op *ua, const d_op *ub, int b)
{
    if (b >= 0 && (uint32_t)b < ua->n_ids && ua->ids[b].kind != OBJ_NONE)
        return &ua->ids[b];
    if (b >= 0 && (uint32_t)b < ub->n_ids && ub->ids[b].kind != OBJ_NONE)
        return &ub->ids[b];
    return &ua->main;
}

void diff_acct_compared(diff_run *run, d_op *ua, const diff_event_ref *ra,
                        d_op *ub, const diff_event_ref *rb, const diff_change *ch,
                        const int *blocks, size_t n_kept, size_t total)
{
    diff_acct *a = run->acct;
    diff_counts *oc = &a->ops[op_slot(ra->op)];
    diff_result *res = run->res;
    uint32_t n;
    diff_object_result *const *objs = op_objects(run, ua, &n);
    oc->compared++;
    res->total.compared++;
    for (uint32_t i = 0; i < n; i++)
        objs[i]->c.compared++;
    if (total == 0) {
        res->events_equal++;
        return;
    }
    oc->changed++, oc->fields += total;
    res->total.changed++, res->total.fields += total;
    for (size_t i = 0; i < n_kept; i++) {
        diff_object_result *r = object_of(run, block_object(ua, ub, blocks[i]));
        int seen = 0;   /* count an object once per event */
        for (size_t j = 0; j < i && !seen; j++)
            seen = object_of(run, block_object(ua, ub, blocks[j])) == r;
        r->c.fields++;
        if (!seen)
            r->c.changed++;
        object_first(r, DIFF_CHANGED, ra, &ch[i]);
    }
    if (first_candidate(run, DIFF_CHANGED, ra->index, ra, rb)) {
        a->first.changes_total = total;
        a->first.n_changes = n_kept;
        memcpy(a->first.change, ch, n_kept * sizeof *ch);
    }
}

void diff_acct_unmatched(diff_run *run, int s, d_op *u, const diff_event_ref *ref)
{
    diff_acct *a = run->acct;
    diff_counts *oc = &a->ops[op_slot(ref->op)];
    diff_kind k = s == 0 ? DIFF_REMOVED : DIFF_ADDED;
    diff_object_result *one, *const *objs = &one;
    uint32_t n = 1;
    a->op_seen[op_slot(ref->op)] = 1;
    if (s == 0)
        oc->removed++, run->res->total.removed++;
    else
        oc->added++, run->res->total.added++;
    if (u)
        objs = op_objects(run, u, &n);
    else
        one = object_of(run, &ref->object);
    for (uint32_t i = 0; i < n; i++) {
        *(s == 0 ? &objs[i]->c.removed : &objs[i]->c.added) += 1;
        object_first(objs[i], k, ref, NULL);
    }
    first_candidate(run, k, ref->index, s == 0 ? ref : NULL, s == 1 ? ref : NULL);
}

void diff_acct_timing(diff_run *run, int s, const d_op *u)
{
    static const int from[DIFF_SPANS] = {1, 2, 3, 1}, to[DIFF_SPANS] = {2, 3, 4, 4};
    diff_acct *a = run->acct;
    if (!run->opts || !run->opts->has_timing_tolerance)
        return;
    for (int k = 0; k < DIFF_SPANS; k++) {
        if (!(u->seen & (1u << from[k])) || !(u->seen & (1u << to[k])))
            continue;
        uint64_t t0 = u->ts[from[k]], t1 = u->ts[to[k]];
        if (diff_hist_add(&a->hist[s][op_slot(u->op)][k], t1 > t0 ? t1 - t0 : 0) != CT_OK)
            run->err = CT_ERR_NOMEM;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Results                                                                               */

static ct_err timing_rows(diff_run *run)
{
    diff_acct *a = run->acct;
    diff_result *res = run->res;
    double f = 1.0 + run->opts->timing_tolerance_pct / 100.0;
    res->timing = 1;
    res->timing_tolerance_pct = run->opts->timing_tolerance_pct;
    res->timing_rows = calloc((size_t)OPS * DIFF_SPANS, sizeof *res->timing_rows);
    if (!res->timing_rows)
        return CT_ERR_NOMEM;
    for (int o = 0; o < OPS; o++) {
        for (int k = 0; k < DIFF_SPANS; k++) {
            const diff_hist *ha = a->hist[0][o][k], *hb = a->hist[1][o][k];
            diff_timing_row *row = &res->timing_rows[res->n_timing];
            if (!ha && !hb)
                continue;
            row->op = o;
            row->span = k;
            row->n_a = diff_hist_count(ha);
            row->n_b = diff_hist_count(hb);
            for (int p = 0; p < 3; p++) {
                row->a_ns[p] = diff_hist_percentile(ha, diff_percentiles[p]);
                row->b_ns[p] = diff_hist_percentile(hb, diff_percentiles[p]);
                if (row->n_a && row->n_b && (double)row->b_ns[p] > (double)row->a_ns[p] * f) {
                    row->regressed |= 1u << p;
                    res->timing_regressions++;
                }
            }
            res->n_timing++;
        }
    }
    return CT_OK;
}

ct_err diff_acct_finish(diff_run *run)
{
    diff_acct *a = run->acct;
    diff_result *res = run->res;
    size_t n = 0;
    for (int s = 0; s < 2; s++)
        if (a->ctx_due[s])
            take_context(run, s);
    res->ops = calloc(OPS, sizeof *res->ops);
    res->objects = calloc(a->n_objects ? a->n_objects : 1, sizeof *res->objects);
    if (!res->ops || !res->objects)
        return CT_ERR_NOMEM;
    for (int o = 0; o < OPS; o++) {
        if (!a->op_seen[o])
            continue;
        res->ops[n].op = o == CT_PRINT_OPS ? -1 : o;
        res->ops[n++].c = a->ops[o];
    }
    res->n_ops = n;
    memcpy(res->objects, a->objects, a->n_objects * sizeof *res->objects);
    res->n_objects = a->n_objects;
    res->objects_overflow = a->overflow;
    res->other_objects = a->other;
    res->has_first = a->has_first;
    if (a->has_first)
        res->first = a->first;
    if (run->opts && run->opts->has_timing_tolerance)
        return timing_rows(run);
    return CT_OK;
}
