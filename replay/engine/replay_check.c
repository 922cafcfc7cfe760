/* replay_check.c - divergence, found as OUT is produced. The drain hands every OUT event
 * here right after writing it; the event is matched with its operation instance (edge 1:
 * by the shim sequence numbers the instance's issue took; later edges: by OUT op_id) and
 * compared with IN's event of the same instance and edge - byte for byte first, then field
 * by field with diff_events. Edges IN has and OUT never produced are found at the end.
 * Each divergence names the object it concerns, from IN's identities.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "im.h"
#include "replay_int.h"

const char *replay_div_kind_name(replay_div_kind k)
{
    switch (k) {
    case REPLAY_DIV_FIELDS: return "fields";
    case REPLAY_DIV_MISSING: return "missing";
    case REPLAY_DIV_EXTRA: return "extra";
    case REPLAY_DIV_STATE: return "state";
    default: return "?";
    }
}

/* The differing fields as one line, and the block the first one is in. A field both
 * diff_events and the role check name is listed once. */
#define SEEN_MAX 32

typedef struct field_text {
    char *buf;
    size_t cap, len;
    size_t n;
    uint32_t first_block;
    char seen[SEEN_MAX][64];
    size_t nseen;
} field_text;

static int seen_before(field_text *t, const char *field)
{
    for (size_t i = 0; i < t->nseen; i++)
        if (strcmp(t->seen[i], field) == 0)
            return 1;
    if (t->nseen < SEEN_MAX)
        snprintf(t->seen[t->nseen++], sizeof t->seen[0], "%s", field);
    return 0;
}

static void on_field(void *ctx, const char *field, const char *expected, const char *got)
{
    field_text *t = ctx;
    if (seen_before(t, field))
        return;
    if (t->n++ == 0) {
        unsigned idx;
        t->first_block = sscanf(field, "block[%u]", &idx) == 1 ? idx : RP_NONE;
    }
    if (t->len + 1 >= t->cap)
        return;
    int w = snprintf(t->buf + t->len, t->cap - t->len, "%s%s: expected %s, got %s",
                     t->n > 1 ? "; " : "", field, expected ? expected : "(absent)",
                     got ? got : "(absent)");
    if (w > 0)
        t->len = t->len + (size_t)w >= t->cap ? t->cap - 1 : t->len + (size_t)w;
}

static void name_object(const rp *r, const rp_inst *x, uint32_t block, char *buf, size_t size)
{
    if (x == NULL || x->nids == 0) {
        snprintf(buf, size, "-");
        return;
    }
    const obj_identity *id = &r->ids[x->ids_first + (block < x->nids ? block : 0)];
    if (id->kind == OBJ_NONE && block < x->nids)
        id = &r->ids[x->ids_first]; /* a placeholder: name the request's root */
    obj_format(id, buf, size);
}

static void report(rp *r, replay_divergence *d, const rp_inst *x, uint32_t block)
{
    replay_result *res = r->res;
    if (r->stopping)
        return; /* stopped at the first: what was still in the rings is written, not judged */
    if (x != NULL) {
        d->in_op_id = x->in_op_id;
        d->out_op_id = d->out_op_id ? d->out_op_id : x->out_op_id;
        d->op = d->op ? d->op : x->op;
    }
    name_object(r, x, block, d->object, sizeof d->object);
    res->divergences++;
    res->diverged_events += d->kind == REPLAY_DIV_FIELDS;
    res->missing_events += d->kind == REPLAY_DIV_MISSING;
    res->extra_events += d->kind == REPLAY_DIV_EXTRA;
    if (!res->has_first) {
        res->has_first = 1;
        res->first = *d;
    }
    if (r->o->on_divergence != NULL)
        r->o->on_divergence(r->o->ctx, d);
    if (r->o->stop_at_divergence && !r->stopping) {
        /* Stop: issue nothing more and record nothing more. Requests already in the
         * driver still complete (unrecorded), so it frees what it holds; stopping the
         * scheduler outright would strand them. */
        r->stopping = 1;
        res->stopped = 1;
        shim_set_enabled(r->shim, 0);
    }
}

/* Which instance an OUT event belongs to (RP_NONE: none). */
static uint32_t instance_of(rp *r, const Chimtrace__V1__Event *ev)
{
    if (ev->edge != CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE) {
        uint64_t *v = obj_map_get(&r->out_ops, ev->op_id);
        return v != NULL ? (uint32_t)*v : RP_NONE;
    }
    /* Request-in happens inside the issue that caused it: the last issue that started
     * at or before this seq, if the seq falls before that end. */
    size_t lo = 0, hi = r->nissued;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->inst[r->issued[mid]].out_seq_lo <= ev->seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return RP_NONE;
    uint32_t i = r->issued[lo - 1];
    rp_inst *x = &r->inst[i];
    if (ev->seq >= x->out_seq_hi)
        return RP_NONE;
    if (x->out_op_id == 0) {
        x->out_op_id = ev->op_id;
        if (obj_map_put(&r->out_ops, ev->op_id, i) != CT_OK)
            rp_fail(r, CT_ERR_NOMEM, "out of memory");
    }
    return i;
}

static ct_err compare(rp *r, rp_inst *x, const Chimtrace__V1__Event *ev)
{
    const rp_event *in = &r->ev[x->ev[ev->edge]];
    size_t len = chimtrace__v1__event__get_packed_size(ev);
    if (len > r->scratch_cap) {
        uint8_t *n = realloc(r->scratch, len);
        if (n == NULL)
            return CT_ERR_NOMEM;
        r->scratch = n;
        r->scratch_cap = len;
    }
    chimtrace__v1__event__pack(ev, r->scratch);
    r->res->compared++;
    int same = len == in->len && memcmp(r->scratch, r->pack + in->off, len) == 0;
    Chimtrace__V1__Event *want = same ? NULL : rp_event_get(r, x, (int)ev->edge);
    if (!same && want == NULL)
        return CT_ERR_NOMEM;
    replay_divergence d;
    memset(&d, 0, sizeof d);
    field_text *t = calloc(1, sizeof *t);
    if (t == NULL) {
        rp_event_free(r, want);
        return CT_ERR_NOMEM;
    }
    *t = (field_text){.buf = d.fields, .cap = sizeof d.fields, .first_block = RP_NONE};
    if (!same) {
        diff_opts opts;
        diff_opts_init(&opts);
        diff_events(&opts, want, ev, on_field, t);
    }
    long roles = rp_roles_compare(x, want, ev, on_field, t);
    size_t n = t->n;
    uint32_t first_block = t->first_block;
    free(t);
    rp_event_free(r, want);
    if (ev->edge == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE)
        rp_roles_free(x);
    if (roles < 0)
        return CT_ERR_NOMEM;
    r->res->identical += same;
    if (same || n == 0)
        return CT_OK; /* the same observation; only numbering or timing moved */
    d.kind = REPLAY_DIV_FIELDS;
    d.out_seq = ev->seq;
    d.in_seq = in->seq;
    d.edge = ev->edge;
    d.nfields = n;
    report(r, &d, x, first_block);
    return CT_OK;
}

ct_err rp_check_hook(void *ctx, const Chimtrace__V1__Record *rec, ct_errinfo *ei)
{
    rp *r = ctx;
    if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
        return CT_OK;
    const Chimtrace__V1__Event *ev = rec->event;
    r->res->out_events++;
    uint32_t i = ev->edge >= 1 && ev->edge <= 4 ? instance_of(r, ev) : RP_NONE;
    rp_inst *x = i != RP_NONE ? &r->inst[i] : NULL;
    int again = x != NULL && x->out_seen[ev->edge] > 0;
    if (x != NULL && x->out_seen[ev->edge] < UINT8_MAX)
        x->out_seen[ev->edge]++;
    if (x == NULL || again || x->ev[ev->edge] == RP_NONE) {
        replay_divergence d;
        memset(&d, 0, sizeof d);
        d.kind = REPLAY_DIV_EXTRA;
        d.out_seq = ev->seq;
        d.out_op_id = ev->op_id;
        d.op = ev->op;
        d.edge = ev->edge;
        if (x != NULL && x->ev[ev->edge] != RP_NONE)
            d.in_seq = r->ev[x->ev[ev->edge]].seq;
        snprintf(d.fields, sizeof d.fields, "%s",
                 x == NULL ? "no operation instance of IN caused it"
                 : x->ev[ev->edge] == RP_NONE ? "IN has no event at this edge"
                                              : "a second event at this edge");
        report(r, &d, x, 0);
        return CT_OK;
    }
    ct_err e = compare(r, x, ev);
    if (e != CT_OK)
        return ct_seterr(ei, e, CT_NO_OFFSET, "out of memory comparing events");
    return CT_OK;
}

void rp_check_host(rp *r, replay_div_kind kind, uint32_t inst, const char *text)
{
    if (r->nheld == r->held_cap) {
        size_t cap = r->held_cap ? r->held_cap * 2 : 8;
        replay_divergence *d = realloc(r->held, cap * sizeof *d);
        uint32_t *in = d != NULL ? realloc(r->held_inst, cap * sizeof *in) : NULL;
        if (d != NULL)
            r->held = d;
        if (in == NULL) {
            rp_fail(r, CT_ERR_NOMEM, "out of memory");
            return;
        }
        r->held_inst = in;
        r->held_cap = cap;
    }
    replay_divergence *d = &r->held[r->nheld];
    memset(d, 0, sizeof *d);
    d->kind = kind;
    d->edge = CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE;
    if (inst != RP_NONE && r->inst[inst].ev[4] != RP_NONE)
        d->in_seq = r->ev[r->inst[inst].ev[4]].seq;
    snprintf(d->fields, sizeof d->fields, "%s", text);
    r->held_inst[r->nheld++] = inst;
}

void rp_check_flush(rp *r)
{
    for (size_t i = 0; i < r->nheld; i++) {
        uint32_t inst = r->held_inst[i];
        report(r, &r->held[i], inst != RP_NONE ? &r->inst[inst] : NULL, 0);
    }
    r->nheld = 0;
}

/* A correct IM holds one offload entry per object the host has offloaded (reference §3.5);
 * more is a leak (an entry kept after terminate, or for a block that failed), fewer means
 * the host was told an object offloaded that the driver dropped. Trace events cannot show
 * this, so replay checks it against the host's own handles once everything has run. */
static void check_entries(rp *r)
{
    uint64_t host = 0, im = im_live_offload_entries();
    for (size_t i = 0; i < r->nhandles; i++)
        host += r->handles[i].MiniportOffloadContext != NULL;
    if (host == im || r->stopping)
        return;
    replay_divergence d;
    memset(&d, 0, sizeof d);
    d.kind = REPLAY_DIV_STATE;
    snprintf(d.object, sizeof d.object, "-");
    snprintf(d.fields, sizeof d.fields, "the IM driver holds %llu offload entries at the end, "
             "the host has %llu objects offloaded: %s", (unsigned long long)im,
             (unsigned long long)host, im > host ? "offload entries leaked" : "entries lost");
    report(r, &d, NULL, 0);
}

void rp_check_finish(rp *r)
{
    rp_check_flush(r);
    check_entries(r);
    for (size_t i = 0; i < r->ninst; i++) {
        rp_inst *x = &r->inst[i];
        rp_roles_free(x);
        if (x->skip != RP_RUN)
            continue;
        r->res->host_outstanding += x->issued && !x->host_done;
        r->res->host_waiting += !x->issued && !r->stopping;
        if (x->issued && !x->host_done && x->out_seen[4] > 0 && !r->stopping)
            rp_check_host(r, REPLAY_DIV_MISSING, (uint32_t)i,
                          "the IM completed it, but the host never got the completion");
        for (int edge = 1; edge <= 4; edge++) {
            if (x->ev[edge] == RP_NONE || x->out_seen[edge] > 0)
                continue;
            if (r->stopping) {
                r->res->not_reached++;
                continue;
            }
            replay_divergence d;
            memset(&d, 0, sizeof d);
            d.kind = REPLAY_DIV_MISSING;
            d.in_seq = r->ev[x->ev[edge]].seq;
            d.edge = (uint32_t)edge;
            snprintf(d.fields, sizeof d.fields, "%s",
                     !x->issued ? (r->o->nic == REPLAY_NIC_MODEL
                                       ? "never issued: it waits for a request that never "
                                         "completed"
                                       : "the instance was never issued")
                     : edge >= 3 ? "the completion never came back" : "never produced");
            report(r, &d, x, 0);
        }
    }
    rp_check_flush(r);
    free(r->held);
    free(r->held_inst);
    r->held = NULL;
    r->held_inst = NULL;
    r->nheld = r->held_cap = 0;
}
