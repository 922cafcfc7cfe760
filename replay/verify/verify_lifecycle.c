/* verify_lifecycle.c - checks 9-12 of reference §4.3: the life of each offloaded object.
 *
 * Objects are keyed by the host's handle: an initiate's new block starts one, its
 * completion-out offloads or forgets it, a terminate's completion-out ends it. Request-in
 * edges are checked against the host's ordering guarantees of §3.8 in between.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

static vobj *find(const verify *v, uint64_t h)
{
    return h ? vmap_get(&v->objects, h) : NULL;
}

static void forget(verify *v, vobj *o)
{
    vobj *p = o->in_parent ? find(v, o->parent) : NULL;

    if (p && p->ndeps)
        p->ndeps--;
    vmap_del(&v->objects, o->handle);
    free(o);
}

static vobj *create(verify *v, uint64_t h)
{
    vobj *o = calloc(1, sizeof *o);

    if (!o || vmap_put(&v->objects, h, o) < 0) {
        free(o);
        v->nomem = 1;
        return NULL;
    }
    o->handle = h;
    return o;
}

static const char *layer_word(int layer)
{
    return layer == VL_NEIGHBOR ? "neighbor"
           : layer == VL_PATH   ? "path"
           : layer == VL_TCP    ? "TCP connection"
                                : "object";
}

/* ---- request-in -------------------------------------------------------------------------- */

static void new_offload(verify *v, vop *op, const Chimtrace__V1__Event *ev, uint32_t i)
{
    vblk *bk = &op->b1[i];
    vobj *o = find(v, bk->handle);
    uint32_t p = bk->parent;

    if (o) {
        verify_level lvl = vr_obj_level(v, o, ev->seq);
        if (o->state == VOBJ_INITIATING)
            vr_report(v, VR_LIFE_DOUBLE_INITIATE, lvl, ev, op, (int32_t)i, bk->handle,
                      "initiate of an object whose initiate (op %" PRIu64 ") is in flight",
                      o->initiate_op);
        else
            vr_report(v, VR_LIFE_DOUBLE_INITIATE, lvl, ev, op, (int32_t)i, bk->handle,
                      "initiate of an object that is already offloaded");
        if (lvl == VERIFY_VIOLATION)
            return;
        forget(v, o);   /* lost events may hide its terminate: start its life afresh */
    }
    if (!(o = create(v, bk->handle)))
        return;
    o->state = VOBJ_INITIATING;
    o->layer = bk->layer;
    if (p != VNONE && p < op->n1 && op->b1[p].role != VROLE_PLACEHOLDER)
        o->parent = op->b1[p].handle;
    if (v->ids && i < ev->n_block)
        o->id = v->ids[i];
    o->initiate_op = op->op_id;
    o->last_seq = o->born_seq = ev->seq;
    bk->applied = VAPPLY_NEW;
}

/* The object a non-new block names, when it may be operated on. */
static vobj *offloaded_obj(verify *v, const vop *op, const Chimtrace__V1__Event *ev, uint32_t i)
{
    const vblk *bk = &op->b1[i];
    vobj *o = find(v, bk->handle);
    char what[32];

    snprintf(what, sizeof what, "%s", op->op == VOP_INITIATE ? "linker to" : vr_op_name(op->op));
    if (op->op != VOP_INITIATE)
        snprintf(what + strlen(what), sizeof what - strlen(what), " of");

    if (!o) {
        vr_report(v, VR_LIFE_NOT_OFFLOADED, vr_obj_level(v, NULL, ev->seq), ev, op, (int32_t)i,
                  bk->handle, "%s an object that is not offloaded (never offloaded, refused or "
                  "terminated)", what);
        return NULL;
    }
    if (o->state == VOBJ_INITIATING) {
        vr_report(v, VR_LIFE_BEFORE_INITIATE, vr_obj_level(v, o, ev->seq), ev, op, (int32_t)i,
                  bk->handle, "%s an object whose initiate (op %" PRIu64 ") has not completed",
                  what, o->initiate_op);
        return NULL;
    }
    return o;
}

static void ref_block(verify *v, vop *op, const Chimtrace__V1__Event *ev, uint32_t i)
{
    vblk *bk = &op->b1[i];
    vobj *o = offloaded_obj(v, op, ev, i);
    verify_level lvl;

    if (!o)
        return;
    lvl = vr_obj_level(v, o, ev->seq);
    if (o->has_ctx && bk->has_ctx_value && bk->ctx_value != o->ctx)
        vr_report(v, VR_CTX_CHANGED, lvl, ev, op, (int32_t)i, bk->handle,
                  "*MiniportOffloadContext is #%" PRIu64 ", its initiate wrote #%" PRIu64,
                  bk->ctx_value, o->ctx);
    if (o->terminates)
        vr_report(v, VR_LIFE_TERMINATE_BUSY, lvl, ev, op, (int32_t)i, bk->handle,
                  "%s of an object whose terminate is in flight", vr_op_name(op->op));
    if (!(o->updates + o->others + o->terminates))
        o->busy_since = ev->seq;
    switch (op->op) {
    case VOP_UPDATE:
        if (o->updates)
            vr_report(v, VR_LIFE_UPDATE_OVERLAP, lvl, ev, op, (int32_t)i, bk->handle,
                      "update while %" PRIu32 " update(s) of the object are in flight: at most 1",
                      o->updates);
        if (o->invalidated)
            vr_report(v, VR_LIFE_UPDATE_AFTER_INVALIDATE, lvl, ev, op, (int32_t)i, bk->handle,
                      "update of an invalidated object");
        o->updates++;
        bk->applied = VAPPLY_UPDATE;
        break;
    case VOP_TERMINATE:
        if (o->updates + o->others)
            vr_report(v, VR_LIFE_TERMINATE_BUSY, lvl, ev, op, (int32_t)i, bk->handle,
                      "terminate while %" PRIu32 " update(s) and %" PRIu32
                      " other operation(s) on the object are in flight", o->updates, o->others);
        o->terminates++;
        bk->applied = VAPPLY_TERMINATE;
        break;
    case VOP_INVALIDATE:
        o->invalidated = 1;
        /* fall through */
    default:    /* query, and initiate linkers */
        o->others++;
        bk->applied = VAPPLY_OTHER;
        break;
    }
    o->last_seq = ev->seq;
}

/* §3.6: a neighbor or path goes only when its offloaded dependents go in the same tree. */
static void terminate_tree(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    uint32_t n = op->n1;

    if (op->truncated || ev->tree_truncated)
        return;
    for (uint32_t i = 0; i < n; i++) {
        vobj *c = find(v, op->b1[i].handle), *p = c && c->in_parent ? find(v, c->parent) : NULL;
        if (p)
            p->scratch = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        vobj *c = find(v, op->b1[i].handle), *p = c && c->in_parent ? find(v, c->parent) : NULL;
        if (p && op->b1[i].role != VROLE_PLACEHOLDER)
            p->scratch++;
    }
    for (uint32_t i = 0; i < n; i++) {
        vobj *o = find(v, op->b1[i].handle);
        if (!o || op->b1[i].applied != VAPPLY_TERMINATE ||
            (o->layer != VL_NEIGHBOR && o->layer != VL_PATH) || o->ndeps <= o->scratch)
            continue;
        /* A dependent's own terminate may be what was lost: any gap since this object was
         * offloaded makes the count uncertain. */
        vr_report(v, VR_LIFE_TERMINATE_DEPENDENTS,
                  vr_unseen_between(v, o->born_seq, ev->seq) || vr_obj_level(v, o, ev->seq)
                      ? VERIFY_NOTE
                      : VERIFY_VIOLATION,
                  ev, op, (int32_t)i, o->handle,
                  "%s terminated with %" PRIu32 " offloaded dependent(s) not in this terminate",
                  layer_word(o->layer), o->ndeps - o->scratch);
    }
}

void vr_life_request(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    if (!op->b1)
        return;
    for (uint32_t i = 0; i < op->n1; i++) {
        const vblk *bk = &op->b1[i];
        if (bk->role == VROLE_PLACEHOLDER || !bk->handle)
            continue;
        if (op->op == VOP_INITIATE && bk->role == VROLE_NEW)
            new_offload(v, op, ev, i);
        else
            ref_block(v, op, ev, i);
    }
    if (op->op == VOP_TERMINATE)
        terminate_tree(v, op, ev);
}

/* ---- completion-out ---------------------------------------------------------------------- */

static int status_known(const Chimtrace__V1__Block *b)
{
    return b->has_status && b->status != VST_SENTINEL;
}

static void become_offloaded(verify *v, const vop *op, uint32_t i, vobj *o,
                             const Chimtrace__V1__Block *b)
{
    const vblk *bk = &op->b1[i];
    vobj *p = find(v, o->parent);

    o->state = VOBJ_OFFLOADED;
    o->ctx = b->has_context_value_id ? b->context_value_id : 0;
    o->has_ctx = o->ctx != 0;     /* not written: ctx.not_written said so; compare nothing */
    o->lower_ctx = bk->lower_ctx;
    o->has_lower_ctx = bk->has_lower_ctx && bk->lower_ctx;
    o->im_handle = op->b2 && i < op->n2 ? op->b2[i].handle : 0;
    if (p) {
        p->ndeps++;
        o->in_parent = 1;
    }
}

/* §3.7: an update whose root is a neighbor relinks the paths below it to that neighbor. */
static void relink(verify *v, const vop *op, vobj *o, const vblk *bk)
{
    const vblk *pb = bk->parent != VNONE && bk->parent < op->n1 ? &op->b1[bk->parent] : NULL;
    vobj *to = pb && pb->role != VROLE_PLACEHOLDER ? find(v, pb->handle) : NULL;
    vobj *from = o->in_parent ? find(v, o->parent) : NULL;

    if (o->layer != VL_PATH || !to || to == o || to->layer != VL_NEIGHBOR ||
        o->parent == to->handle)
        return;
    if (from && from->ndeps)
        from->ndeps--;
    o->parent = to->handle;
    o->in_parent = 1;
    to->ndeps++;
}

/* Completion-out without the request-in view (lost): keep what the completion itself says. */
static void complete_blind(verify *v, const vop *op, const Chimtrace__V1__Event *ev)
{
    for (uint32_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t h = b->has_offload_handle_id ? b->offload_handle_id : 0;
        vobj *o = find(v, h);
        if (!h || (b->has_context_slot_id && b->context_slot_id == 0))
            continue;
        if (o && op->op == VOP_TERMINATE) {
            forget(v, o);
            continue;
        }
        if (!o && op->op == VOP_INITIATE && status_known(b) &&
            (b->status == VST_SUCCESS || b->status == VST_PARTIAL) && (o = create(v, h))) {
            o->state = VOBJ_OFFLOADED;
            o->ctx = b->has_context_value_id ? b->context_value_id : 0;
            o->has_ctx = o->ctx != 0;
            o->layer = b->has_header_type ? (uint8_t)vr_type_layer(b->header_type) : VL_NONE;
        }
        if (o) {
            o->uncertain = 1;   /* its counters may miss this operation */
            o->last_seq = ev->seq;
        }
    }
}

void vr_life_complete(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    if (!op->b1) {
        complete_blind(v, op, ev);
        return;
    }
    for (uint32_t i = 0; i < op->n1 && i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        const vblk *bk = &op->b1[i];
        vobj *o = bk->applied ? find(v, bk->handle) : NULL;
        if (!o)
            continue;
        switch (bk->applied) {
        case VAPPLY_NEW:
            if (o->initiate_op != op->op_id || o->state != VOBJ_INITIATING)
                continue;
            if (status_known(b) ? b->status == VST_SUCCESS || b->status == VST_PARTIAL
                                : b->has_context_value_id && b->context_value_id) {
                become_offloaded(v, op, i, o, b);
            } else {
                forget(v, o);
                continue;
            }
            break;
        case VAPPLY_UPDATE:
            o->updates -= o->updates > 0;
            if (status_known(b) && b->status == VST_SUCCESS)
                relink(v, op, o, bk);
            break;
        case VAPPLY_TERMINATE:
            forget(v, o);   /* success or not, the object is the host's again (§3.2) */
            continue;
        default:
            o->others -= o->others > 0;
            break;
        }
        o->last_seq = ev->seq;
    }
}

/* ---- end of trace ------------------------------------------------------------------------ */

static void collect(void *ctx, void *val)
{
    vobj ***at = ctx;
    *(*at)++ = val;
}

static int by_handle(const void *a, const void *b)
{
    uint64_t x = (*(const vobj *const *)a)->handle, y = (*(const vobj *const *)b)->handle;
    return x < y ? -1 : x > y;
}

void vr_life_finish(verify *v)
{
    size_t n = v->objects.n;
    vobj **all = calloc(n ? n : 1, sizeof *all), **at = all;
    int clean = v->sum.has_run_summary && !v->sum.truncated && !v->sum.loss_records &&
                !v->sum.damaged_chunks && !v->sum.truncated_trees;

    if (!all)
        return;
    vmap_each(&v->objects, collect, &at);
    qsort(all, n, sizeof *all, by_handle);   /* handle ids grow in trace order */
    for (size_t i = 0; i < n; i++) {
        const vobj *o = all[i];
        if (o->state != VOBJ_OFFLOADED)
            continue;
        v->sum.objects_offloaded_end++;
        if (clean && !o->terminates)
            vr_report(v, VR_LIFE_LEAK, VERIFY_NOTE, NULL, NULL, -1, o->handle,
                      "%s still offloaded at the end of the trace (last seen at seq %" PRIu64
                      "); the host may keep it", layer_word(o->layer), o->last_seq);
    }
    free(all);
}

static void free_obj(void *ctx, void *val)
{
    (void)ctx;
    free(val);
}

void vr_objects_free(verify *v)
{
    vmap_each(&v->objects, free_obj, NULL);
    vmap_free(&v->objects);
}
