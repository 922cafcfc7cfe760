/* verify_status.c - checks 5 and 6 of reference §4.3, at completion-in and completion-out.
 *
 * Status: written, legal for the operation, SUCCESS on placeholders, and on initiate in
 * agreement with the dependents (§3.2). Context: written exactly for offloaded new blocks,
 * then stable for the object's life. Edge 3 judges the target, edge 4 the IM driver.
 */
#include <inttypes.h>

#include "verify_int.h"

static int legal(int opk, uint32_t st)
{
    if (st == VST_SUCCESS || st == VST_FAILURE || st == VST_NOT_SUPPORTED)
        return 1;   /* NOT_SUPPORTED: NDIS's answer when a lower driver lacks the handler */
    if (opk != VOP_INITIATE)
        return 0;
    return st == VST_PARTIAL || st == 0xC000009Au /* RESOURCES */ ||
           (st >= 0xC0231004u && st <= 0xC023100Du) /* OFFLOAD_*_ENTRIES .. VLAN_MISMATCH */ ||
           st == 0xC023100Fu /* OFFLOAD_POLICY */ ||
           st == 0xC0231012u /* OFFLOAD_CONNECTION_REJECTED */ ||
           st == 0xC0231013u /* STATUS_NDIS_OFFLOAD_PATH_REJECTED */;
}

static int offloaded(uint32_t st)
{
    return st == VST_SUCCESS || st == VST_PARTIAL;
}

/* A status the dependents rules can use: written and present. */
static int known(const Chimtrace__V1__Block *b)
{
    return b->has_status && b->status != VST_SENTINEL;
}

static uint64_t who(const vop *op, const Chimtrace__V1__Block *b, uint32_t i, int edge)
{
    if (op->b1 && i < op->n1)
        return op->b1[i].handle;
    return edge == VEDGE_CMPL_OUT && b->has_offload_handle_id ? b->offload_handle_id : 0;
}

static void check_dependents(verify *v, const vop *op, const Chimtrace__V1__Event *ev)
{
    vscratch *s = &v->sc;
    uint32_t n = (uint32_t)ev->n_block;
    char t[24], t2[24];

    for (uint32_t i = 0; i < n; i++)
        s->kids_ok[i] = s->kids_bad[i] = s->kids_unknown[i] = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = s->parent[i];
        const Chimtrace__V1__Block *b = ev->block[i];
        if (p == VNONE || s->role[i] == VROLE_PLACEHOLDER)
            continue;
        if (!known(b))
            s->kids_unknown[p]++;
        else if (offloaded(b->status))
            s->kids_ok[p]++;
        else
            s->kids_bad[p]++;
        if (known(b) && offloaded(b->status) && s->role[p] != VROLE_PLACEHOLDER &&
            known(ev->block[p]) && !offloaded(ev->block[p]->status))
            vr_report(v, VR_STATUS_PARENT_FAILED, VERIFY_VIOLATION, ev, op, (int32_t)i,
                      who(op, b, i, (int)ev->edge),
                      "block %" PRIu32 " is %s under block %" PRIu32 ", which failed (%s)", i,
                      vr_status_text(b->status, t, sizeof t), p,
                      vr_status_text(ev->block[p]->status, t2, sizeof t2));
    }
    if (op->truncated || ev->tree_truncated)
        return;  /* dependents may lie beyond the cut */
    for (uint32_t i = 0; i < n; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint32_t kids = s->kids_ok[i] + s->kids_bad[i];
        const char *why = NULL;
        if (s->role[i] == VROLE_PLACEHOLDER || !known(b) || s->kids_unknown[i])
            continue;
        if (b->status == VST_SUCCESS && s->kids_bad[i])
            why = "SUCCESS, but %" PRIu32 " of %" PRIu32 " dependents failed: expected "
                  "OFFLOAD_PARTIAL_SUCCESS";
        else if (b->status == VST_PARTIAL && kids == 0)
            why = "OFFLOAD_PARTIAL_SUCCESS without dependents (%" PRIu32 " of %" PRIu32 ")";
        else if (b->status == VST_PARTIAL && s->kids_bad[i] == 0)
            why = "OFFLOAD_PARTIAL_SUCCESS, but %" PRIu32 " of %" PRIu32 " dependents failed: "
                  "expected SUCCESS";
        else if (b->status == VST_PARTIAL && s->kids_ok[i] == 0 && s->role[i] == VROLE_REF)
            why = "linker OFFLOAD_PARTIAL_SUCCESS, but %" PRIu32 " of %" PRIu32
                  " dependents failed: expected FAILURE";
        if (why)
            vr_report(v, VR_STATUS_DEPENDENTS, VERIFY_VIOLATION, ev, op, (int32_t)i,
                      who(op, b, i, (int)ev->edge), why, s->kids_bad[i], kids);
    }
}

void vr_check_status(verify *v, const vop *op, const Chimtrace__V1__Event *ev)
{
    const vscratch *s = &v->sc;
    char t[24];

    for (uint32_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t h = who(op, b, i, (int)ev->edge);
        if (!b->has_status)
            continue;
        if (b->status == VST_SENTINEL)
            vr_report(v, VR_STATUS_UNWRITTEN, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                      "Status is still the host's 0xDEADBEEF pre-fill: the %s never wrote it",
                      ev->edge == VEDGE_CMPL_IN ? "offload target" : "IM driver");
        else if (s->role[i] == VROLE_PLACEHOLDER) {
            if (b->status != VST_SUCCESS && b->status != VST_NOT_SUPPORTED)
                vr_report(v, VR_STATUS_PLACEHOLDER, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                          "placeholder completed with %s: expected SUCCESS",
                          vr_status_text(b->status, t, sizeof t));
        } else if (!legal(op->op, b->status))
            vr_report(v, VR_STATUS_ILLEGAL, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                      "%s is not a legal %s status%s",
                      vr_status_text(b->status, t, sizeof t), vr_op_name(op->op),
                      op->op == VOP_INITIATE ? "" : ": expected SUCCESS or FAILURE");
    }
    if (op->op == VOP_INITIATE)
        check_dependents(v, op, ev);
}

/* ---- check 6 ----------------------------------------------------------------------------- */

static void check_new(verify *v, const vop *op, const Chimtrace__V1__Event *ev, uint32_t i,
                      uint64_t value, uint64_t was)
{
    const Chimtrace__V1__Block *b = ev->block[i];
    const char *view =
        ev->edge == VEDGE_CMPL_IN ? "the IM's handle (target)" : "the host's handle (IM)";
    char t[24];

    if (!known(b))
        return;
    if (offloaded(b->status) && !value)
        vr_report(v, VR_CTX_NOT_WRITTEN, VERIFY_VIOLATION, ev, op, (int32_t)i, op->b1[i].handle,
                  "new block offloaded (%s) but *MiniportOffloadContext of %s is NULL",
                  vr_status_text(b->status, t, sizeof t), view);
    else if (!offloaded(b->status) && value != was)
        vr_report(v, VR_CTX_WRITTEN_ON_FAILURE, VERIFY_VIOLATION, ev, op, (int32_t)i,
                  op->b1[i].handle,
                  "new block failed (%s) but *MiniportOffloadContext of %s became #%" PRIu64
                  " (was #%" PRIu64 ")", vr_status_text(b->status, t, sizeof t), view, value,
                  was);
}

void vr_check_context(verify *v, vop *op, const Chimtrace__V1__Event *ev)
{
    int upper = ev->edge == VEDGE_CMPL_OUT;

    if (!op->b1)
        return;  /* roles unknown without the request-in view */
    for (uint32_t i = 0; i < ev->n_block && i < op->n1; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        vblk *r = &op->b1[i];
        const vobj *o = vmap_get(&v->objects, r->handle);
        uint64_t value = b->has_context_value_id ? b->context_value_id : 0, want;
        int has_want;
        if (r->role == VROLE_PLACEHOLDER || !b->has_context_value_id)
            continue;
        if (!upper) {
            r->lower_ctx = value;
            r->has_lower_ctx = 1;
        }
        if (r->role == VROLE_NEW && op->op == VOP_INITIATE) {
            /* The IM starts its own handle's context at NULL, as the host does. */
            check_new(v, op, ev, i, value, upper ? r->ctx_value : 0);
            continue;
        }
        if (r->role != VROLE_REF || !o || o->state != VOBJ_OFFLOADED)
            continue;   /* nothing offloaded to compare with (lifecycle reports why) */
        has_want = upper ? (o->has_ctx || r->has_ctx_value) : o->has_lower_ctx;
        want = upper ? (o->has_ctx ? o->ctx : r->ctx_value) : o->lower_ctx;
        if (has_want && value != want)
            vr_report(v, VR_CTX_CHANGED, vr_obj_level(v, o, ev->seq), ev, op, (int32_t)i,
                      r->handle,
                      "*MiniportOffloadContext of %s is #%" PRIu64 ", the object's context "
                      "is #%" PRIu64, upper ? "the host's handle" : "the IM's handle", value,
                      want);
    }
}
