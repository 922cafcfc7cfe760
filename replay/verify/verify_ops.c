/* verify_ops.c - operation instances: checks 4 and 7 of reference §4.3.
 *
 * Each op_id passes edges 1-4 once, in order, as one operation, and gets its root back
 * (check 4). Request-in/out blocks are kept until completion to compare the fields an IM
 * must restore and a target must leave alone (check 7). Only instances in flight are kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

static int recent_find(const verify *v, uint64_t op_id)
{
    uintptr_t slot = (uintptr_t)vmap_get(&v->recent_by_id, op_id);
    return slot ? (int)(slot - 1) : -1;
}

static void recent_add(verify *v, const vop *op)
{
    size_t k = v->recent_pos;

    if (v->recent_n == VRECENT)
        vmap_del(&v->recent_by_id, v->recent[k].op_id);
    else
        v->recent_n++;
    v->recent[k].op_id = op->op_id;
    v->recent[k].seq = op->seq[VEDGE_CMPL_OUT];
    v->recent[k].seen = op->seen;
    if (vmap_put(&v->recent_by_id, op->op_id, (void *)(uintptr_t)(k + 1)) < 0)
        v->nomem = 1;
    v->recent_pos = (k + 1) % VRECENT;
}

void vr_op_free(vop *op)
{
    if (!op)
        return;
    free(op->b1);
    free(op->b2);
    free(op);
}

static void give_up(verify *v, size_t keep);

static uint64_t root_id(const Chimtrace__V1__Event *ev)
{
    return ev->n_block && ev->block[0]->has_block_id ? ev->block[0]->block_id : 0;
}

/* An event for an instance that already completed: a duplicate or a late edge. */
static void after_completion(verify *v, const Chimtrace__V1__Event *ev, int r)
{
    unsigned bit = 1u << ev->edge;

    if (v->recent[r].seen & bit)
        vr_report(v, VR_COMPLETION_DUPLICATE, VERIFY_VIOLATION, ev, NULL, -1, 0,
                  "second %s event of op %" PRIu64 ", which completed at seq %" PRIu64,
                  vr_edge_name((int)ev->edge), ev->op_id, v->recent[r].seq);
    else
        vr_report(v, VR_COMPLETION_ORDER, VERIFY_VIOLATION, ev, NULL, -1, 0,
                  "%s of op %" PRIu64 " after its completion (seq %" PRIu64 ")",
                  vr_edge_name((int)ev->edge), ev->op_id, v->recent[r].seq);
}

static void check_root(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    int e = (int)ev->edge, ref = e == VEDGE_CMPL_OUT ? VEDGE_REQ_IN : VEDGE_REQ_OUT;

    if (e < VEDGE_CMPL_IN || !(op->seen & (1u << ref)) || op->root[e] == op->root[ref])
        return;
    op->root_bad |= (uint8_t)(1u << e);
    vr_report(v, VR_COMPLETION_ROOT, VERIFY_VIOLATION, ev, op, 0, 0,
              "completion root is block #%" PRIu64 ", %s passed block #%" PRIu64,
              op->root[e], vr_edge_name(ref), op->root[ref]);
}

vop *vr_op_track(verify *v, const Chimtrace__V1__Event *ev, int *skip)
{
    unsigned edge = ev->edge, bit = 1u << edge;
    vop *op = vmap_get(&v->ops, ev->op_id);

    *skip = 0;
    if (!op) {
        int r = recent_find(v, ev->op_id);
        if (r >= 0) {
            after_completion(v, ev, r);
            *skip = 1;
            return NULL;
        }
        /* Completions lost without a Loss record (or a broken trace) must not make the
         * checker grow without limit: past VOPS_MAX, the older half is given up. */
        if (v->ops.n >= VOPS_MAX)
            give_up(v, VOPS_MAX / 2);
        op = calloc(1, sizeof *op);
        if (!op || vmap_put(&v->ops, ev->op_id, op) < 0) {
            free(op);
            return NULL;
        }
        op->op_id = ev->op_id;
        op->op = (int)ev->op;
        v->sum.ops_started++;
    } else {
        unsigned later = op->seen & ~((bit << 1) - 1);
        if (op->seen & bit) {
            vr_report(v, VR_COMPLETION_DUPLICATE, VERIFY_VIOLATION, ev, op, -1, 0,
                      "second %s event of op %" PRIu64 " (first at seq %" PRIu64 ")",
                      vr_edge_name((int)edge), ev->op_id, op->seq[edge]);
            *skip = 1;
            return NULL;
        }
        if ((int)ev->op != op->op)
            vr_report(v, VR_COMPLETION_KIND, VERIFY_VIOLATION, ev, op, -1, 0,
                      "%s event at %s of a %s instance (op %" PRIu64 ")",
                      vr_op_name((int)ev->op), vr_edge_name((int)edge), vr_op_name(op->op),
                      ev->op_id);
        for (unsigned e = 4; e > edge; e--)
            if (later & (1u << e)) {
                vr_report(v, VR_COMPLETION_ORDER, VERIFY_VIOLATION, ev, op, -1, 0,
                          "%s of op %" PRIu64 " comes after its %s (seq %" PRIu64 ")",
                          vr_edge_name((int)edge), ev->op_id, vr_edge_name((int)e),
                          op->seq[e]);
                break;
            }
    }
    op->seen |= (uint8_t)bit;
    op->seq[edge] = ev->seq;
    op->root[edge] = root_id(ev);
    check_root(v, op, ev);
    return op;
}

int vr_op_snapshot(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    uint32_t n = (uint32_t)ev->n_block;
    vblk *a = calloc(n ? n : 1, sizeof *a);

    if (!a)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        vblk *k = &a[i];
        k->block_id = b->has_block_id ? b->block_id : 0;
        k->handle = b->has_offload_handle_id ? b->offload_handle_id : 0;
        k->ctx_slot = b->has_context_slot_id ? b->context_slot_id : 0;
        k->has_ctx_value = b->has_context_value_id;
        k->ctx_value = b->has_context_value_id ? b->context_value_id : 0;
        k->source = b->has_source_handle_id ? b->source_handle_id : 0;
        k->n_imr = (uint8_t)(b->n_im_reserved_id < 2 ? b->n_im_reserved_id : 2);
        k->n_prot = (uint8_t)(b->n_protocol_reserved_id < 2 ? b->n_protocol_reserved_id : 2);
        memcpy(k->imr, b->im_reserved_id, k->n_imr * sizeof(uint64_t));
        memcpy(k->prot, b->protocol_reserved_id, k->n_prot * sizeof(uint64_t));
        k->parent = b->has_parent ? b->parent : VNONE;
        k->type = b->header_type;
        k->revision = b->header_revision;
        k->size = b->header_size;
        k->has_status = b->has_status;
        k->status = b->status;
        k->role = v->sc.role[i];
        k->layer = v->sc.layer[i];
    }
    if (ev->edge == VEDGE_REQ_IN) {
        free(op->b1);
        op->b1 = a, op->n1 = n;
    } else {
        free(op->b2);
        op->b2 = a, op->n2 = n;
    }
    return 0;
}

/* ---- check 7: fields restored ------------------------------------------------------------ */

static int is_im_handle(const verify *v, const vop *op, uint64_t h, uint64_t upper)
{
    const vobj *o = upper ? vmap_get(&v->objects, upper) : NULL;

    if (!h)
        return 0;
    if (o && o->im_handle == h)
        return 1;
    for (uint32_t j = 0; op->b2 && j < op->n2; j++)
        if (op->b2[j].handle == h)
            return 1;
    return 0;
}

static int ids_differ(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    return na != nb || (na && memcmp(a, b, na * sizeof *a) != 0);
}

/* Fields of block i compared with what the reference edge showed. */
static void restore_block(verify *v, const vop *op, const Chimtrace__V1__Event *ev, uint32_t i,
                          const vblk *r, uint64_t who)
{
    const Chimtrace__V1__Block *b = ev->block[i];
    int upper = ev->edge == VEDGE_CMPL_OUT;
    const char *ref = upper ? "request-in" : "request-out";
    uint64_t h = b->has_offload_handle_id ? b->offload_handle_id : 0;
    size_t nimr = b->n_im_reserved_id < 2 ? b->n_im_reserved_id : 2;
    size_t nprot = b->n_protocol_reserved_id < 2 ? b->n_protocol_reserved_id : 2;

    if (b->header_type != r->type || b->header_revision != r->revision ||
        b->header_size != r->size)
        vr_report(v, VR_RESTORE_HEADER, VERIFY_VIOLATION, ev, op, (int32_t)i, who,
                  "Header is type %" PRIu32 " rev %" PRIu32 " size 0x%" PRIx32 ", %s had "
                  "type %" PRIu32 " rev %" PRIu32 " size 0x%" PRIx32, b->header_type,
                  b->header_revision, b->header_size, ref, r->type, r->revision, r->size);
    if (h != r->handle) {
        int leak = upper && is_im_handle(v, op, h, r->handle);
        vr_report(v, leak ? VR_RESTORE_IM_HANDLE_LEAK : VR_RESTORE_HANDLE, VERIFY_VIOLATION, ev,
                  op, (int32_t)i, who,
                  leak ? "IM handle passed up: NdisOffloadHandle is #%" PRIu64
                         " (the IM's own handle), %s had #%" PRIu64
                       : "offload handle is #%" PRIu64 ", %s had #%" PRIu64,
                  h, ref, r->handle);
    }
    if (ids_differ(b->im_reserved_id, nimr, r->imr, r->n_imr))
        vr_report(v, VR_RESTORE_IM_RESERVED, VERIFY_VIOLATION, ev, op, (int32_t)i, who,
                  "ImReserved is #%" PRIu64 ",#%" PRIu64 ", %s had #%" PRIu64 ",#%" PRIu64,
                  nimr > 0 ? b->im_reserved_id[0] : 0, nimr > 1 ? b->im_reserved_id[1] : 0,
                  ref, r->imr[0], r->imr[1]);
    if (ids_differ(b->protocol_reserved_id, nprot, r->prot, r->n_prot))
        vr_report(v, VR_RESTORE_PROTOCOL_RESERVED, VERIFY_VIOLATION, ev, op, (int32_t)i, who,
                  "ProtocolReserved is #%" PRIu64 ",#%" PRIu64 ", %s had #%" PRIu64
                  ",#%" PRIu64, nprot > 0 ? b->protocol_reserved_id[0] : 0,
                  nprot > 1 ? b->protocol_reserved_id[1] : 0, ref, r->prot[0], r->prot[1]);
    if (!upper)
        return;  /* below, NDIS owns SourceHandle and the context slot (reference §2.4) */
    if ((b->has_source_handle_id ? b->source_handle_id : 0) != r->source)
        vr_report(v, VR_RESTORE_SOURCE_HANDLE, VERIFY_VIOLATION, ev, op, (int32_t)i, who,
                  "SourceHandle is #%" PRIu64 ", request-in had #%" PRIu64,
                  b->has_source_handle_id ? b->source_handle_id : 0, r->source);
    if ((b->has_context_slot_id ? b->context_slot_id : 0) != r->ctx_slot)
        vr_report(v, VR_RESTORE_CONTEXT_SLOT, VERIFY_VIOLATION, ev, op, (int32_t)i, who,
                  "MiniportOffloadContext slot is #%" PRIu64 ", request-in had #%" PRIu64,
                  b->has_context_slot_id ? b->context_slot_id : 0, r->ctx_slot);
}

void vr_check_restore(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    int upper = ev->edge == VEDGE_CMPL_OUT;
    const vblk *ref = upper ? op->b1 : op->b2;
    uint32_t nref = upper ? op->n1 : op->n2, n = (uint32_t)ev->n_block;
    int cut = op->truncated || ev->tree_truncated;

    if (!ref || (op->root_bad & (1u << ev->edge)))
        return;
    if (n != nref && !cut) {
        vr_report(v, VR_RESTORE_SHAPE, VERIFY_VIOLATION, ev, op, -1, 0,
                  "completion tree has %" PRIu32 " blocks, %s had %" PRIu32, n,
                  upper ? "request-in" : "request-out", nref);
        return;
    }
    if (nref < n)
        n = nref;
    for (uint32_t i = 0; i < n; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint32_t p = b->has_parent ? b->parent : VNONE;
        uint64_t id = b->has_block_id ? b->block_id : 0;
        if (p != ref[i].parent || id != ref[i].block_id) {
            vr_report(v, VR_RESTORE_SHAPE, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                      "block %" PRIu32 " is #%" PRIu64 " under %d, %s had #%" PRIu64
                      " under %d", i, id, p == VNONE ? -1 : (int)p,
                      upper ? "request-in" : "request-out", ref[i].block_id,
                      ref[i].parent == VNONE ? -1 : (int)ref[i].parent);
            return;  /* positions no longer line up: further fields would only echo this */
        }
    }
    for (uint32_t i = 0; i < n; i++)
        restore_block(v, op, ev, i, &ref[i], op->b1 && i < op->n1 ? op->b1[i].handle : 0);
}

/* ---- end of an instance ------------------------------------------------------------------ */

/* Lowest/highest seen seq around edge e, for the window a missing edge would lie in. */
static verify_level missing_level(const verify *v, const vop *op, int e)
{
    uint64_t lo = 0, hi = UINT64_MAX;

    for (int k = e - 1; k >= 1; k--)
        if (op->seen & (1u << k)) {
            lo = op->seq[k];
            break;
        }
    for (int k = e + 1; k <= 4; k++)
        if (op->seen & (1u << k)) {
            hi = op->seq[k];
            break;
        }
    return vr_lost_between(v, lo, hi) ? VERIFY_NOTE : VERIFY_VIOLATION;
}

static void report_missing(verify *v, const vop *op)
{
    static const char *const what[5] = { "", "request-in (edge 1)", "request-out (edge 2)",
                                         "completion-in (edge 3)", "completion-out (edge 4)" };
    verify_level lvl = VERIFY_NOTE;
    char list[160] = "";
    size_t len = 0;

    for (int e = 1; e <= 4; e++) {
        if (op->seen & (1u << e))
            continue;
        if (missing_level(v, op, e) == VERIFY_VIOLATION)
            lvl = VERIFY_VIOLATION;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                what[e]);
    }
    if (!len)
        return;
    vr_report(v, VR_COMPLETION_MISSING, lvl, NULL, op, -1,
              op->b1 && op->n1 ? op->b1[0].handle : 0, "%s op %" PRIu64 " has no %s%s",
              vr_op_name(op->op), op->op_id, list,
              lvl == VERIFY_NOTE ? " (events were lost or the trace ends early)" : "");
}

void vr_op_done(verify *v, vop *op)
{
    report_missing(v, op);
    recent_add(v, op);
    vmap_del(&v->ops, op->op_id);
    v->sum.ops_completed++;
    vr_op_free(op);
}

static void collect(void *ctx, void *val)
{
    vop ***at = ctx;
    *(*at)++ = val;
}

static uint64_t first_seq(const vop *op)
{
    for (int e = 1; e <= 4; e++)
        if (op->seen & (1u << e))
            return op->seq[e];
    return 0;
}

static int by_first_seq(const void *a, const void *b)
{
    uint64_t x = first_seq(*(const vop *const *)a), y = first_seq(*(const vop *const *)b);
    return x < y ? -1 : x > y;
}

/* Report and forget the oldest instances in flight, all but the `keep` newest. */
static void give_up(verify *v, size_t keep)
{
    size_t n = v->ops.n;
    vop **all = calloc(n ? n : 1, sizeof *all), **at = all;

    if (!all) {
        v->nomem = 1;
        return;
    }
    vmap_each(&v->ops, collect, &at);
    qsort(all, n, sizeof *all, by_first_seq);   /* report in trace order, not hash order */
    for (size_t i = 0; i + keep < n; i++) {
        report_missing(v, all[i]);
        vmap_del(&v->ops, all[i]->op_id);
        vr_op_free(all[i]);
    }
    free(all);
}

void vr_ops_finish(verify *v)
{
    v->sum.ops_in_flight_end = v->ops.n;
    give_up(v, 0);
}
