/* verify_tree.c - checks 1-3 of reference §4.3: what one event's block tree looks like.
 *
 * Layer order and depth of the links (check 1), Header.Type, Header.Size and every
 * OFFLOAD_STATE_HEADER.Length against the trace's ABI (check 2), and at request-in the
 * block roles against the trailing state (check 3). Needs only the event and its roles.
 */
#include <inttypes.h>
#include <stdio.h>

#include "verify_int.h"

/* ---- roles ------------------------------------------------------------------------------- */

static int role_at_request(const Chimtrace__V1__Block *b)
{
    int placeholder = b->has_context_slot_id ? b->context_slot_id == 0
                                             : !b->has_offload_handle_id || !b->offload_handle_id;
    if (placeholder)
        return VROLE_PLACEHOLDER;
    return b->has_context_value_id && b->context_value_id ? VROLE_REF : VROLE_NEW;
}

/* Without the request-in view only placeholders can be told apart: the slot (MOBL view,
 * edges 1/4) or the handle (POBL view, edges 2/3) is NULL. */
static int role_from_view(const Chimtrace__V1__Block *b, int edge)
{
    if (edge == VEDGE_CMPL_OUT)
        return b->has_context_slot_id && b->context_slot_id == 0 ? VROLE_PLACEHOLDER
                                                                 : VROLE_UNKNOWN;
    return b->has_offload_handle_id && b->offload_handle_id == 0 ? VROLE_PLACEHOLDER
                                                                 : VROLE_UNKNOWN;
}

void vr_event_roles(verify *v, const vop *op, const Chimtrace__V1__Event *ev)
{
    vscratch *s = &v->sc;

    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        if (ev->edge == VEDGE_REQ_IN)
            s->role[i] = (uint8_t)role_at_request(b);
        else if (op && op->b1 && i < op->n1)
            s->role[i] = op->b1[i].role;
        else
            s->role[i] = (uint8_t)role_from_view(b, (int)ev->edge);
        s->layer[i] = s->role[i] == VROLE_PLACEHOLDER || !b->has_header_type
                          ? VL_NONE
                          : (uint8_t)vr_type_layer(b->header_type);
    }
}

/* ---- check 1: shape ---------------------------------------------------------------------- */

static const char *layer_name(int layer)
{
    static const char *const names[] = { "unknown", "neighbor", "path", "TCP" };
    return names[layer & 3];
}

/* Parents must precede their dependents and lie on the chain of open ancestors: that is
 * what pre-order plus parent means (FORMAT §6.2). Fills parent and depth. */
static int check_encoding(verify *v, const Chimtrace__V1__Event *ev, const vop *op)
{
    vscratch *s = &v->sc;
    uint32_t top = 0;

    for (uint32_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint32_t p = b->has_parent ? b->parent : VNONE;
        if (b->has_index && b->index != i) {
            vr_report(v, VR_TREE_MALFORMED, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                      "block %" PRIu32 " carries index %" PRIu32, i, b->index);
            return -1;
        }
        while (top > 0 && s->stack[top - 1] != p)
            top--;
        if (p != VNONE && top == 0) {
            vr_report(v, VR_TREE_MALFORMED, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                      "block %" PRIu32 " names parent %" PRIu32
                      ", which is not an ancestor before it in pre-order", i, p);
            return -1;
        }
        s->parent[i] = p;
        s->stack[top++] = i;
        s->depth[i] = top;
    }
    return 0;
}

/* Layer rules between a block and its parent and previous sibling. Returns violations. */
static int check_links(verify *v, const Chimtrace__V1__Event *ev, const vop *op)
{
    vscratch *s = &v->sc;
    uint32_t last_root = VNONE;
    int bad = 0;

    for (uint32_t i = 0; i < ev->n_block; i++)
        s->last_child[i] = VNONE;
    for (uint32_t i = 0; i < ev->n_block; i++) {
        uint32_t p = s->parent[i];
        uint32_t *prev = p == VNONE ? &last_root : &s->last_child[p];
        if (p != VNONE && s->layer[p] == VL_TCP) {
            vr_report(v, VR_TREE_TCP_DEPENDENTS, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                      "block %" PRIu32 " is a dependent of TCP block %" PRIu32
                      ": a TCP block's DependentBlockList must be NULL", i, p);
            bad++;
        } else if (p != VNONE && s->layer[p] && s->layer[i] && s->layer[i] != s->layer[p] + 1) {
            vr_report(v, VR_TREE_LAYER_ORDER, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                      "%s block %" PRIu32 " depends on %s block %" PRIu32
                      ": expected a %s block", layer_name(s->layer[i]), i,
                      layer_name(s->layer[p]), p, layer_name(s->layer[p] + 1));
            bad++;
        }
        if (*prev != VNONE && s->layer[*prev] && s->layer[i] && s->layer[*prev] != s->layer[i]) {
            vr_report(v, VR_TREE_SIBLING_LAYER, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                      "%s block %" PRIu32 " is the NextBlock of %s block %" PRIu32
                      ": siblings share a layer", layer_name(s->layer[i]), i,
                      layer_name(s->layer[*prev]), *prev);
            bad++;
        }
        *prev = i;
    }
    return bad;
}

/* ---- check 2: types and sizes ------------------------------------------------------------ */

static unsigned state_mask(const Chimtrace__V1__Block *b)
{
    return (b->neighbor_const ? VS_NC : 0) | (b->neighbor_cached ? VS_NCA : 0) |
           (b->neighbor_delegated ? VS_ND : 0) | (b->path_const ? VS_PC : 0) |
           (b->path_cached ? VS_PCA : 0) | (b->path_delegated ? VS_PD : 0) |
           (b->tcp_const ? VS_TC : 0) | (b->tcp_cached ? VS_TCA : 0) |
           (b->tcp_delegated ? VS_TD : 0);
}

static void mask_text(unsigned mask, char *buf, size_t size)
{
    static const char *const names[] = { "NEIGHBOR_CONST", "NEIGHBOR_CACHED",
                                         "NEIGHBOR_DELEGATED", "PATH_CONST", "PATH_CACHED",
                                         "PATH_DELEGATED", "TCP_CONST", "TCP_CACHED",
                                         "TCP_DELEGATED" };
    size_t len = 0;

    buf[0] = '\0';
    for (int k = 0; k < 9 && len < size; k++)
        if (mask & (1u << k))
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "+" : "", names[k]);
    if (!mask)
        snprintf(buf, size, "none");
}

/* Expected OFFLOAD_STATE_HEADER.Length of struct kind k (0..8) for the trace's ABI. */
static uint32_t struct_size(const verify *v, int k)
{
    static const uint32_t x64[9] = { 0x2c, 0x2c, 0x0c, 0x18, 0x0c, 0x08, 0x18, 0x2c, 0x80 };
    static const uint32_t x86[9] = { 0x2c, 0x2c, 0x0c, 0x10, 0x0c, 0x08, 0x18, 0x2c, 0x70 };

    if (v->abi == CHIMTRACE__V1__ABI__ABI_X64)
        return x64[k];
    /* x86 TCP_OFFLOAD_STATE_DELEGATED is 0x6c without DWnd (NDIS 6.0 headers). */
    if (k == 8 && v->ndis_version && v->ndis_version < 0x00060001u)
        return 0x6c;
    return x86[k];
}

static void check_lengths(verify *v, const Chimtrace__V1__Event *ev, const vop *op, uint32_t i)
{
    static const char *const names[] = { "NEIGHBOR_OFFLOAD_STATE_CONST",
                                         "NEIGHBOR_OFFLOAD_STATE_CACHED",
                                         "NEIGHBOR_OFFLOAD_STATE_DELEGATED",
                                         "PATH_OFFLOAD_STATE_CONST", "PATH_OFFLOAD_STATE_CACHED",
                                         "PATH_OFFLOAD_STATE_DELEGATED",
                                         "TCP_OFFLOAD_STATE_CONST", "TCP_OFFLOAD_STATE_CACHED",
                                         "TCP_OFFLOAD_STATE_DELEGATED" };
    const Chimtrace__V1__Block *b = ev->block[i];
    /* Each state message carries its OFFLOAD_STATE_HEADER.Length as field 1. */
    const struct { int has; uint32_t len; } st[9] = {
#define VS_LEN(m) { b->m ? b->m->has_length : 0, b->m ? b->m->length : 0 }
        VS_LEN(neighbor_const), VS_LEN(neighbor_cached), VS_LEN(neighbor_delegated),
        VS_LEN(path_const), VS_LEN(path_cached), VS_LEN(path_delegated),
        VS_LEN(tcp_const), VS_LEN(tcp_cached), VS_LEN(tcp_delegated),
#undef VS_LEN
    };

    for (int k = 0; k < 9; k++) {
        uint32_t want = struct_size(v, k);
        if (st[k].has && st[k].len != want)
            vr_report(v, VR_STATE_LENGTH, VERIFY_VIOLATION, ev, op, (int32_t)i,
                      b->has_offload_handle_id ? b->offload_handle_id : 0,
                      "%s.Header.Length is 0x%" PRIx32 ", expected 0x%" PRIx32 " (%s)",
                      names[k], st[k].len, want,
                      v->abi == CHIMTRACE__V1__ABI__ABI_X64 ? "x64" : "x86");
    }
}

static void check_type(verify *v, const Chimtrace__V1__Event *ev, const vop *op, uint32_t i,
                       int opk)
{
    const Chimtrace__V1__Block *b = ev->block[i];
    unsigned have = v->sc.mask[i], want = b->has_header_type ? vr_type_mask(b->header_type) : 0;
    uint64_t h = b->has_offload_handle_id ? b->offload_handle_id : 0;
    char t[32], m1[160], m2[160];

    if (!b->has_header_type)
        return;
    if (!want) {
        vr_report(v, VR_STATE_TYPE, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                  "Header.Type %" PRIu32 " is not a valid OFFLOAD_STATE_TYPE", b->header_type);
        return;
    }
    if (have && have != want) {
        mask_text(have, m1, sizeof m1);
        mask_text(want, m2, sizeof m2);
        vr_report(v, VR_STATE_TYPE, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                  "Header.Type %s names %s, found %s",
                  vr_type_text(b->header_type, t, sizeof t), m2, m1);
        return;
    }
    if ((opk == VOP_UPDATE && (have & ~VS_CACHED)) ||
        (opk == VOP_TERMINATE && (have & ~VS_DELEGATED))) {
        mask_text(have, m1, sizeof m1);
        vr_report(v, VR_STATE_OP_TYPE, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                  "%s carries %s: expected %s state only", vr_op_name(opk), m1,
                  opk == VOP_UPDATE ? "CACHED" : "DELEGATED");
    }
}

static void check_state(verify *v, const Chimtrace__V1__Event *ev, const vop *op, int opk)
{
    int sized = v->abi == CHIMTRACE__V1__ABI__ABI_X64 || v->abi == CHIMTRACE__V1__ABI__ABI_X86;
    uint32_t want_size = v->abi == CHIMTRACE__V1__ABI__ABI_X64 ? 0x98 : 0x4c;

    for (uint32_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t h = b->has_offload_handle_id ? b->offload_handle_id : 0;
        v->sc.mask[i] = (uint16_t)state_mask(b);
        if (sized && b->has_header_size && b->header_size != want_size)
            vr_report(v, VR_STATE_HEADER_SIZE, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                      "Header.Size is 0x%" PRIx32 ", expected 0x%" PRIx32 " (%s)",
                      b->header_size, want_size,
                      v->abi == CHIMTRACE__V1__ABI__ABI_X64 ? "x64" : "x86");
        if (opk == VOP_INVALIDATE) {
            if (v->sc.mask[i] || (b->has_state_bytes && b->state_bytes)) {
                char m[160];
                mask_text(v->sc.mask[i], m, sizeof m);
                vr_report(v, VR_STATE_INVALIDATE, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                          "invalidate block carries state (%s, %" PRIu32 " bytes): expected "
                          "none", m, b->has_state_bytes ? b->state_bytes : 0);
            }
            continue;
        }
        if (sized)
            check_lengths(v, ev, op, i);
        if (v->sc.role[i] != VROLE_PLACEHOLDER)  /* a placeholder's Type is not significant */
            check_type(v, ev, op, i, opk);
    }
}

void vr_check_tree(verify *v, vop *op, const Chimtrace__V1__Event *ev, int opk)
{
    vscratch *s = &v->sc;

    if (ev->tree_truncated && !(op && op->truncated)) {
        if (op)
            op->truncated = 1;
        vr_report(v, VR_TREE_TRUNCATED, VERIFY_NOTE, ev, op, -1, 0,
                  "tree cut at %zu of %" PRIu32 " blocks; whole-tree checks skipped",
                  ev->n_block, ev->has_tree_blocks_seen ? ev->tree_blocks_seen : 0);
    } else if (ev->tree_truncated) {
        op->truncated = 1;
    }
    if (check_encoding(v, ev, op) == 0) {
        int bad = check_links(v, ev, op);
        for (uint32_t i = 0; i < ev->n_block && !bad; i++)
            if (s->depth[i] > 3) {
                vr_report(v, VR_TREE_DEPTH, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                          "block %" PRIu32 " is at depth %" PRIu32 ": at most 3 levels", i,
                          s->depth[i]);
                break;
            }
        for (uint32_t i = 0; i < ev->n_block; i++)
            s->kids[i] = 0;
        for (uint32_t i = 0; i < ev->n_block; i++)
            if (s->parent[i] != VNONE && s->role[i] != VROLE_PLACEHOLDER)
                s->kids[s->parent[i]]++;
    } else {
        /* Links unknown: treat every block as a root with no dependents. */
        for (uint32_t i = 0; i < ev->n_block; i++)
            s->parent[i] = VNONE, s->kids[i] = 0, s->depth[i] = 1;
    }
    check_state(v, ev, op, opk);
}

/* ---- check 3: roles at request-in -------------------------------------------------------- */

void vr_check_roles(verify *v, const vop *op, const Chimtrace__V1__Event *ev)
{
    const vscratch *s = &v->sc;
    int whole = !ev->tree_truncated;
    char m[160], t[32];

    for (uint32_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t h = b->has_offload_handle_id ? b->offload_handle_id : 0;
        if (s->role[i] == VROLE_PLACEHOLDER) {
            if (s->mask[i]) {
                mask_text(s->mask[i], m, sizeof m);
                vr_report(v, VR_ROLE_PLACEHOLDER, VERIFY_VIOLATION, ev, op, (int32_t)i, 0,
                          "placeholder (MiniportOffloadContext NULL) carries %s: expected no "
                          "state", m);
            }
            continue;
        }
        if (op->op != VOP_INITIATE || !b->has_header_type)
            continue;
        if (s->role[i] == VROLE_REF) {
            if (s->mask[i]) {
                mask_text(s->mask[i], m, sizeof m);
                vr_report(v, VR_ROLE_LINKER, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                          "linker (*MiniportOffloadContext set) carries %s: expected no state",
                          m);
            } else if (whole && s->kids[i] == 0) {
                vr_report(v, VR_ROLE_LINKER, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                          "linker without dependents: a linker only links new offloads");
            }
        } else if (s->role[i] == VROLE_NEW && vr_type_mask(b->header_type)) {
            if (!s->mask[i])
                vr_report(v, VR_ROLE_NEW, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                          "new offload (*MiniportOffloadContext NULL) carries no state: "
                          "expected CONST+CACHED+DELEGATED");
            else if (!vr_type_is_full(b->header_type))
                vr_report(v, VR_ROLE_NEW, VERIFY_VIOLATION, ev, op, (int32_t)i, h,
                          "new offload carries %s: expected the full state of its layer",
                          vr_type_text(b->header_type, t, sizeof t));
        }
    }
}
