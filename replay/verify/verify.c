/* verify.c - the checker's front: the rule table, records in, findings out.
 *
 * Dispatches each record to the rule parts (verify_tree/ops/status/lifecycle.c), names
 * objects through the identity tracker, turns findings that lost events could explain into
 * notes. Reading a whole file into it is verify_file.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_print.h"
#include "verify_int.h"

static const verify_rule_info rule_table[VR_COUNT] = {
#define VR_ROW(e, id, chk, sec, edges, title) { id, chk, sec, edges, title },
    VERIFY_RULE_LIST(VR_ROW)
#undef VR_ROW
};

const verify_rule_info *verify_rules(size_t *n)
{
    if (n)
        *n = VR_COUNT;
    return rule_table;
}

int verify_rule_index(const char *id)
{
    for (int i = 0; id && i < VR_COUNT; i++)
        if (strcmp(rule_table[i].id, id) == 0)
            return i;
    return -1;
}

/* ---- names ------------------------------------------------------------------------------- */

const char *vr_op_name(int op)
{
    return ct_print_op_name(op);
}

const char *vr_edge_name(int edge)
{
    return ct_print_edge_name(edge);
}

const char *vr_status_text(uint32_t st, char *buf, size_t size)
{
    const char *name = ct_print_status_name(st);

    if (name)
        return name;
    snprintf(buf, size, "0x%08" PRIx32, st);
    return buf;
}

const char *vr_type_text(uint32_t type, char *buf, size_t size)
{
    const char *name = ct_print_state_type_name(type);

    if (name)
        return name;
    snprintf(buf, size, "type %" PRIu32, type);
    return buf;
}

int vr_type_layer(uint32_t type)
{
    if (type >= 1 && type <= 4)
        return VL_NEIGHBOR;
    if (type >= 5 && type <= 12)
        return VL_PATH;
    if (type >= 13 && type <= 17 && type != 16)  /* 16: TcpOffloadResourceState, reserved */
        return VL_TCP;
    return VL_NONE;
}

unsigned vr_type_mask(uint32_t type)
{
    static const unsigned by_kind[4] = { 0, 1, 2, 4 };   /* CONST, CACHED, DELEGATED */
    int layer = vr_type_layer(type);
    unsigned base, kind;

    if (layer == VL_NONE)
        return 0;
    if (layer == VL_NEIGHBOR)
        base = 0, kind = type;                       /* 1..4 */
    else if (layer == VL_PATH)
        base = 3, kind = (type - 5) % 4 + 1;         /* 5..8, 9..12 */
    else
        base = 6, kind = type == 17 ? 4 : type - 12; /* 13..15, 17 */
    return (kind == 4 ? 7u : by_kind[kind]) << base;
}

int vr_type_is_full(uint32_t type)
{
    return type == 4 || type == 8 || type == 12 || type == 17;
}

/* ---- findings ---------------------------------------------------------------------------- */

static void name_object(const verify *v, const Chimtrace__V1__Event *ev, int32_t block,
                        uint64_t handle, char *buf, size_t size)
{
    const vobj *o = handle ? vmap_get(&v->objects, handle) : NULL;
    size_t b = block >= 0 ? (size_t)block : 0;  /* about the whole event: name its root */

    if (ev && v->ids && b < ev->n_block && v->ids[b].kind != OBJ_NONE && (block >= 0 || !handle))
        obj_format(&v->ids[b], buf, size);
    else if (o && o->id.kind != OBJ_NONE)
        obj_format(&o->id, buf, size);
    else if (handle)
        snprintf(buf, size, "handle #%" PRIu64, handle);
    else
        snprintf(buf, size, "-");
}

void vr_report(verify *v, int rule, verify_level lvl, const Chimtrace__V1__Event *ev,
               const vop *op, int32_t block, uint64_t handle, const char *fmt, ...)
{
    verify_finding f;
    va_list ap;

    memset(&f, 0, sizeof f);
    f.rule = rule;
    f.rule_id = rule_table[rule].id;
    f.level = lvl;
    f.block = block;
    f.handle = handle;
    if (ev) {
        f.has_seq = ev->has_seq;
        f.seq = ev->seq;
        f.op_id = ev->op_id;
        f.op = ev->op;
        f.edge = ev->edge;
    } else if (op) {
        for (int e = 4; e >= 1; e--)
            if (op->seen & (1u << e)) {
                f.has_seq = 1, f.seq = op->seq[e], f.edge = e;
                break;
            }
        f.op_id = op->op_id;
        f.op = op->op;
    }
    name_object(v, ev, block, handle, f.object, sizeof f.object);
    va_start(ap, fmt);
    vsnprintf(f.message, sizeof f.message, fmt, ap);
    va_end(ap);
    v->by_rule[rule][lvl]++;
    if (lvl == VERIFY_VIOLATION)
        v->sum.violations++;
    else
        v->sum.notes++;
    if (v->opts.on_finding)
        v->opts.on_finding(v->opts.ctx, &f);
}

/* ---- lost events ------------------------------------------------------------------------- */

static int gap_between(const verify *v, uint64_t lo, uint64_t hi, int cuts)
{
    for (size_t i = 0; i < v->n_loss; i++)
        if (v->loss[i].hi > lo && v->loss[i].lo < hi && (cuts || !v->loss[i].cut))
            return 1;
    return 0;
}

int vr_lost_between(const verify *v, uint64_t lo, uint64_t hi)
{
    return gap_between(v, lo, hi, 0);
}

int vr_unseen_between(const verify *v, uint64_t lo, uint64_t hi)
{
    return gap_between(v, lo, hi, 1);
}

verify_level vr_obj_level(const verify *v, const vobj *o, uint64_t seq)
{
    uint64_t since;

    if (!o)
        return gap_between(v, 0, seq, 1) ? VERIFY_NOTE : VERIFY_VIOLATION;
    /* From its last event, or from the oldest operation still counted in flight: a lost
     * completion of that one would leave the counts stale. */
    since = o->last_seq;
    if (o->updates + o->others + o->terminates && o->busy_since < since)
        since = o->busy_since;
    return o->uncertain || gap_between(v, since, seq, 1) ? VERIFY_NOTE : VERIFY_VIOLATION;
}

#define VLOSS_MAX 1024

/* Remember lost seqs [lo, hi] (cut: an event with a truncated tree). Past VLOSS_MAX ranges,
 * neighbours merge: a coarser range only turns more findings into notes, never a note into
 * a violation. */
static int add_gap(verify *v, uint64_t lo, uint64_t hi, int cut)
{
    if (lo > hi)
        return 0;
    for (size_t i = 0; i < v->n_loss; i++)
        if (v->loss[i].lo == lo && v->loss[i].hi == hi && v->loss[i].cut == cut)
            return 0;   /* known already (verify_run_file reads Loss records first) */
    if (v->n_loss == VLOSS_MAX) {
        for (size_t i = 0; i + 1 < v->n_loss; i += 2) {
            vloss a = v->loss[i], b = v->loss[i + 1];
            v->loss[i / 2].lo = a.lo < b.lo ? a.lo : b.lo;
            v->loss[i / 2].hi = a.hi > b.hi ? a.hi : b.hi;
            v->loss[i / 2].cut = a.cut && b.cut;
        }
        v->n_loss /= 2;
    }
    if (v->n_loss == v->cap_loss) {
        size_t cap = v->cap_loss ? v->cap_loss * 2 : 16;
        vloss *p = realloc(v->loss, cap * sizeof *p);
        if (!p)
            return -1;
        v->loss = p;
        v->cap_loss = cap;
    }
    v->loss[v->n_loss].lo = lo;
    v->loss[v->n_loss].hi = hi;
    v->loss[v->n_loss].cut = cut;
    v->n_loss++;
    return 0;
}

int vr_add_loss(verify *v, uint64_t lo, uint64_t hi)
{
    return add_gap(v, lo, hi, 0);
}

/* ---- records ----------------------------------------------------------------------------- */

void vr_on_header(verify *v, const Chimtrace__V1__TraceHeader *h)
{
    v->abi = h->has_abi ? (int)h->abi : 0;
    v->ndis_version = h->has_ndis_version ? h->ndis_version : 0;
    v->sum.abi = v->abi;
    if (v->abi != CHIMTRACE__V1__ABI__ABI_X64 && v->abi != CHIMTRACE__V1__ABI__ABI_X86 &&
        !v->abi_noted) {
        v->abi_noted = 1;
        vr_report(v, VR_TRACE_ABI, VERIFY_NOTE, NULL, NULL, -1, 0,
                  "trace header names ABI %d: Header.Size and state Length checks skipped",
                  v->abi);
    }
}

static ct_err on_loss(verify *v, const Chimtrace__V1__Loss *l)
{
    uint64_t lo = l->has_first_seq ? l->first_seq : 0;
    uint64_t hi = l->has_last_seq ? l->last_seq : UINT64_MAX;

    v->sum.loss_records++;
    v->sum.lost_events += l->has_count ? l->count : 0;
    if (!l->has_first_seq && v->have_seq)
        lo = v->last_seq + 1;
    if (vr_add_loss(v, lo, hi) < 0)
        return CT_ERR_NOMEM;
    vr_report(v, VR_TRACE_LOSS, VERIFY_NOTE, NULL, NULL, -1, 0,
              "ring %" PRIu32 " lost %" PRIu64 " event(s), seq %" PRIu64 "..%" PRIu64
              "; findings their absence could explain are notes",
              l->has_ring ? l->ring : 0, l->has_count ? l->count : 0, lo, hi);
    return CT_OK;
}

static void check_event_edges(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    switch (ev->edge) {
    case VEDGE_REQ_IN:
        vr_check_roles(v, op, ev);
        vr_life_request(v, op, ev);
        break;
    case VEDGE_CMPL_IN:
        vr_check_status(v, op, ev);
        vr_check_context(v, op, ev);
        vr_check_restore(v, op, ev);
        break;
    case VEDGE_CMPL_OUT:
        vr_check_status(v, op, ev);
        vr_check_context(v, op, ev);
        vr_check_restore(v, op, ev);
        vr_life_complete(v, op, ev);
        vr_op_done(v, op);
        break;
    default:
        break;
    }
}

static ct_err on_event(verify *v, const Chimtrace__V1__Event *ev)
{
    int skip = 0;
    vop *op;

    v->sum.events++;
    if (ev->has_seq) {
        if (v->damage_pending && ev->seq &&
            vr_add_loss(v, v->have_seq ? v->last_seq + 1 : 0, ev->seq - 1) < 0)
            return CT_ERR_NOMEM;
        v->damage_pending = 0;
        v->last_seq = ev->seq;
        v->have_seq = 1;
    }
    /* Blocks beyond a cut are unseen: lifecycle findings about objects they could hold are
     * notes. */
    if (ev->tree_truncated && (v->sum.truncated_trees++, ev->has_seq) &&
        add_gap(v, ev->seq, ev->seq, 1) < 0)
        return CT_ERR_NOMEM;
    if (!ev->has_op || ev->op < VOP_INITIATE || ev->op > VOP_INVALIDATE || !ev->has_edge ||
        ev->edge < VEDGE_REQ_IN || ev->edge > VEDGE_CMPL_OUT || !ev->has_op_id)
        return CT_OK;   /* indications and the data path: not this checker's rules */
    v->sum.events_checked++;
    if (obj_tracker_feed(v->objs, ev, &v->ids) != CT_OK)
        return CT_ERR_NOMEM;
    if (vscratch_reserve(&v->sc, (uint32_t)ev->n_block + 1) < 0)
        return CT_ERR_NOMEM;
    op = vr_op_track(v, ev, &skip);
    if (!op && !skip)
        return CT_ERR_NOMEM;
    vr_event_roles(v, skip ? NULL : op, ev);
    vr_check_tree(v, skip ? NULL : op, ev, op && !skip ? op->op : (int)ev->op);
    if (skip)
        return CT_OK;
    if ((ev->edge == VEDGE_REQ_IN || ev->edge == VEDGE_REQ_OUT) &&
        vr_op_snapshot(v, op, ev) < 0)
        return CT_ERR_NOMEM;
    check_event_edges(v, op, ev);
    return v->nomem ? CT_ERR_NOMEM : CT_OK;
}

ct_err verify_record(verify *v, const Chimtrace__V1__Record *rec)
{
    if (!v || !rec)
        return CT_ERR_ARG;
    if (v->finished)
        return CT_ERR_STATE;
    v->sum.records++;
    switch (rec->kind_case) {
    case CHIMTRACE__V1__RECORD__KIND_HEADER:
        vr_on_header(v, rec->header);
        return CT_OK;
    case CHIMTRACE__V1__RECORD__KIND_EVENT:
        return on_event(v, rec->event);
    case CHIMTRACE__V1__RECORD__KIND_LOSS:
        return on_loss(v, rec->loss);
    case CHIMTRACE__V1__RECORD__KIND_SUMMARY:
        v->sum.has_run_summary = 1;
        return CT_OK;
    default:
        return CT_OK;
    }
}

void verify_damaged(verify *v)
{
    if (!v || v->finished)
        return;
    v->sum.damaged_chunks++;
    v->damage_pending = 1;
}

ct_err verify_finish(verify *v, int truncated)
{
    if (!v)
        return CT_ERR_ARG;
    if (v->finished)
        return CT_ERR_STATE;
    v->sum.truncated = truncated != 0;
    if ((truncated || v->damage_pending) &&
        vr_add_loss(v, v->have_seq ? v->last_seq + 1 : 0, UINT64_MAX) < 0)
        return CT_ERR_NOMEM;
    vr_ops_finish(v);
    vr_life_finish(v);
    v->finished = 1;
    return CT_OK;
}

void verify_get_summary(const verify *v, verify_summary *s)
{
    *s = v->sum;
    s->n_rules = VR_COUNT;
    s->by_rule = (const uint64_t (*)[VERIFY_LEVELS])v->by_rule;
}

/* ---- life -------------------------------------------------------------------------------- */

ct_err verify_new(const verify_opts *opts, verify **out)
{
    verify *v = calloc(1, sizeof *v);

    *out = NULL;
    if (!v)
        return CT_ERR_NOMEM;
    if (opts)
        v->opts = *opts;
    if (obj_tracker_new(&v->objs) != CT_OK) {
        free(v);
        return CT_ERR_NOMEM;
    }
    *out = v;
    return CT_OK;
}

static void free_op(void *ctx, void *val)
{
    (void)ctx;
    vr_op_free(val);
}

void verify_free(verify *v)
{
    if (!v)
        return;
    vmap_each(&v->ops, free_op, NULL);
    vmap_free(&v->ops);
    vmap_free(&v->recent_by_id);
    vr_objects_free(v);
    vscratch_free(&v->sc);
    obj_tracker_free(v->objs);
    free(v->loss);
    free(v);
}
