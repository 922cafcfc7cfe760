/* replay_roles.c - pointer identity across the edges of one operation instance. An id means
 * nothing as a number; what matters is where in the instance that pointer was seen first:
 * completion-out must hand up the very handle request-in brought down, not the IM's own.
 * diff_events names ids within one event only, so the check lives here: each side (IN,
 * OUT) keeps, per instance in flight, the first position of every id it showed, and the
 * ids of a compared event pair must point back to the same positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* A position: edge, slot (0: the event itself, i + 1: block i) and which id field. Positions
 * grow in the order each_id visits them. */
#define POS(edge, slot, field) (((uint64_t)(edge) << 40) | ((uint64_t)(slot) << 8) | (field))
#define POS_EDGE(p) ((unsigned)((p) >> 40))
#define POS_SLOT(p) ((unsigned)(((p) >> 8) & 0xFFFFFFFFu))
#define POS_FIELD(p) ((unsigned)((p) & 0xFFu))

enum {
    F_BINDING, F_BLOCK, F_NBL, F_HANDLE, F_SLOT, F_CONTEXT, F_IMR0, F_IMR1, F_SOURCE,
    F_PR0, F_PR1, F_SEND_HEAD, F_SEND_TAIL, F_BUFFERED, F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "binding_id", "block_id", "nbl_chain_id", "offload_handle_id", "context_slot_id",
    "context_value_id", "im_reserved_id[0]", "im_reserved_id[1]", "source_handle_id",
    "protocol_reserved_id[0]", "protocol_reserved_id[1]", "tcp_delegated.send_data_head_id",
    "tcp_delegated.send_data_tail_id", "tcp_delegated.buffered_data_id"};

struct rp_roles {
    obj_map first[2];            /* per side: id -> first position in the instance */
};

/* Every id position of an event, in a fixed order; absent fields are skipped. */
typedef void (*id_fn)(void *ctx, uint64_t pos, uint64_t id);

static void each_id(const Chimtrace__V1__Event *ev, id_fn fn, void *ctx)
{
    uint32_t e = ev->edge;
    if (ev->has_binding_id)
        fn(ctx, POS(e, 0, F_BINDING), ev->binding_id);
    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        const struct { int has; uint64_t id; } f[F_COUNT] = {
            [F_BLOCK] = {b->has_block_id, b->block_id},
            [F_NBL] = {b->has_nbl_chain_id, b->nbl_chain_id},
            [F_HANDLE] = {b->has_offload_handle_id, b->offload_handle_id},
            [F_SLOT] = {b->has_context_slot_id, b->context_slot_id},
            [F_CONTEXT] = {b->has_context_value_id, b->context_value_id},
            [F_IMR0] = {b->n_im_reserved_id > 0,
                        b->n_im_reserved_id > 0 ? b->im_reserved_id[0] : 0},
            [F_IMR1] = {b->n_im_reserved_id > 1,
                        b->n_im_reserved_id > 1 ? b->im_reserved_id[1] : 0},
            [F_SOURCE] = {b->has_source_handle_id, b->source_handle_id},
            [F_PR0] = {b->n_protocol_reserved_id > 0,
                       b->n_protocol_reserved_id > 0 ? b->protocol_reserved_id[0] : 0},
            [F_PR1] = {b->n_protocol_reserved_id > 1,
                       b->n_protocol_reserved_id > 1 ? b->protocol_reserved_id[1] : 0},
            [F_SEND_HEAD] = {b->tcp_delegated && b->tcp_delegated->has_send_data_head_id,
                             b->tcp_delegated ? b->tcp_delegated->send_data_head_id : 0},
            [F_SEND_TAIL] = {b->tcp_delegated && b->tcp_delegated->has_send_data_tail_id,
                             b->tcp_delegated ? b->tcp_delegated->send_data_tail_id : 0},
            [F_BUFFERED] = {b->tcp_delegated && b->tcp_delegated->has_buffered_data_id,
                            b->tcp_delegated ? b->tcp_delegated->buffered_data_id : 0},
        };
        for (int k = F_BLOCK; k < F_COUNT; k++)
            if (f[k].has)
                fn(ctx, POS(e, i + 1, k), f[k].id);
    }
}

/* ---- the role of one id ------------------------------------------------------------------ */

/* 0 for NULL, else the first position (this one when the id is new here). */
static uint64_t role_of(obj_map *m, uint64_t pos, uint64_t id)
{
    if (id == 0)
        return 0;
    uint64_t *v = obj_map_get(m, id);
    return v != NULL ? *v : pos;
}

static void path_text(char *buf, size_t size, uint64_t pos)
{
    if (POS_SLOT(pos) == 0)
        snprintf(buf, size, "%s", field_names[POS_FIELD(pos)]);
    else
        snprintf(buf, size, "block[%u].%s", POS_SLOT(pos) - 1, field_names[POS_FIELD(pos)]);
}

static void role_text(char *buf, size_t size, uint64_t role, uint64_t here)
{
    char path[64];
    if (role == 0) {
        snprintf(buf, size, "NULL");
    } else if (role == here) {
        snprintf(buf, size, "a pointer new in this operation");
    } else {
        path_text(path, sizeof path, role);
        snprintf(buf, size, "same as edge %u %s", POS_EDGE(role), path);
    }
}

/* The positions of one event pair, side by side (both events list them in one order). */
typedef struct pair_walk {
    uint64_t *pos, *id;
    size_t n, cap;
    int oom;
} pair_walk;

static void collect(void *ctx, uint64_t pos, uint64_t id)
{
    pair_walk *w = ctx;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        uint64_t *p = realloc(w->pos, cap * sizeof *p);
        uint64_t *q = p != NULL ? realloc(w->id, cap * sizeof *q) : NULL;
        if (p != NULL)
            w->pos = p;
        if (q == NULL) {
            w->oom = 1;
            return;
        }
        w->id = q;
        w->cap = cap;
    }
    w->pos[w->n] = pos;
    w->id[w->n++] = id;
}

static void feed(obj_map *m, const pair_walk *w, int *oom)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->id[i] != 0 && obj_map_get(m, w->id[i]) == NULL &&
            obj_map_put(m, w->id[i], w->pos[i]) != CT_OK)
            *oom = 1;
    }
}

/* Compare the roles of every id of `want` (IN) and `got` (OUT) at the same positions,
 * reporting each difference to fn, then learn both events. `want` NULL: the events are
 * identical (got stands for both). Returns the differences; -1 when out of memory. */
long rp_roles_compare(rp_inst *x, const Chimtrace__V1__Event *want,
                      const Chimtrace__V1__Event *got, rp_field_fn fn, void *ctx)
{
    if (x->roles == NULL && (x->roles = calloc(1, sizeof *x->roles)) == NULL)
        return -1;
    pair_walk w[2];
    memset(w, 0, sizeof w);
    each_id(got, collect, &w[1]);
    if (want != NULL)
        each_id(want, collect, &w[0]);
    const pair_walk *in = want != NULL ? &w[0] : &w[1];
    long diffs = 0;
    int oom = w[0].oom || w[1].oom;
    for (size_t i = 0, j = 0; !oom && i < in->n && j < w[1].n;) {
        if (in->pos[i] != w[1].pos[j]) { /* a field only one side has: diff_events said so */
            if (in->pos[i] < w[1].pos[j])
                i++;
            else
                j++;
            continue;
        }
        uint64_t a = role_of(&x->roles->first[0], in->pos[i], in->id[i]);
        uint64_t b = role_of(&x->roles->first[1], w[1].pos[j], w[1].id[j]);
        if (a != b) {
            char path[64], ta[96], tb[96];
            path_text(path, sizeof path, in->pos[i]);
            role_text(ta, sizeof ta, a, in->pos[i]);
            role_text(tb, sizeof tb, b, w[1].pos[j]);
            fn(ctx, path, ta, tb);
            diffs++;
        }
        i++;
        j++;
    }
    feed(&x->roles->first[0], in, &oom);
    feed(&x->roles->first[1], &w[1], &oom);
    for (int k = 0; k < 2; k++) {
        free(w[k].pos);
        free(w[k].id);
    }
    return oom ? -1 : diffs;
}

void rp_roles_free(rp_inst *x)
{
    if (x->roles == NULL)
        return;
    obj_map_fini(&x->roles->first[0]);
    obj_map_fini(&x->roles->first[1]);
    free(x->roles);
    x->roles = NULL;
}
