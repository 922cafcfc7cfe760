/* replay_load.c - reading the input trace into what the replay needs: every state-operation
 * event kept packed, grouped into operation instances in issue order (edge 1's seq), each
 * checked for the edges a replay needs, the virtual time of each issue, the object
 * identities of each request's blocks, and the sizes of the buffers and handles the trace
 * host will stand in for. Everything is ordered by recorded numbers, never by addresses.
 */
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

static ct_err grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return CT_OK;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (q == NULL)
        return CT_ERR_NOMEM;
    *p = q;
    *cap = n;
    return CT_OK;
}

static ct_err keep_event(rp *r, const Chimtrace__V1__Event *e)
{
    size_t len = chimtrace__v1__event__get_packed_size(e);
    size_t cap = (size_t)r->pack_cap, nev_cap = r->ev_cap;
    if (grow((void **)&r->pack, &cap, (size_t)r->pack_len + len, 1) != CT_OK ||
        grow((void **)&r->ev, &nev_cap, r->nev + 1, sizeof *r->ev) != CT_OK)
        return CT_ERR_NOMEM;
    r->pack_cap = cap;
    r->ev_cap = nev_cap;
    chimtrace__v1__event__pack(e, r->pack + r->pack_len);
    rp_event *x = &r->ev[r->nev++];
    memset(x, 0, sizeof *x);
    x->seq = e->seq;
    x->ts = e->has_ts_ns ? e->ts_ns : 0;
    x->op_id = e->op_id;
    x->off = r->pack_len;
    x->len = (uint32_t)len;
    x->ring = e->has_ring ? e->ring : 0;
    x->flags = e->has_flags ? e->flags : 0;
    x->op = (uint8_t)e->op;
    x->edge = (uint8_t)e->edge;
    x->truncated = e->has_tree_truncated && e->tree_truncated;
    r->pack_len += len;
    return CT_OK;
}

/* ---- per-event facts: identities, ids, buffer sizes ---------------------------------- */

static void note_ids(rp *r, const Chimtrace__V1__Event *ev)
{
    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t m = b->block_id;
        m = b->nbl_chain_id > m ? b->nbl_chain_id : m;
        m = b->context_value_id > m ? b->context_value_id : m;
        m = b->source_handle_id > m ? b->source_handle_id : m;
        for (size_t k = 0; k < b->n_im_reserved_id; k++)
            m = b->im_reserved_id[k] > m ? b->im_reserved_id[k] : m;
        for (size_t k = 0; k < b->n_protocol_reserved_id; k++)
            m = b->protocol_reserved_id[k] > m ? b->protocol_reserved_id[k] : m;
        const Chimtrace__V1__TcpDelegated *d = b->tcp_delegated;
        if (d != NULL) {
            m = d->send_data_head_id > m ? d->send_data_head_id : m;
            m = d->send_data_tail_id > m ? d->send_data_tail_id : m;
            m = d->buffered_data_id > m ? d->buffered_data_id : m;
        }
        if (m >= r->idspace_n)
            r->idspace_n = m + 1;
    }
}

/* A buffer per block id, big enough for every use; a handle per upper handle id. */
static ct_err size_buffers(rp *r, const Chimtrace__V1__Event *ev)
{
    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t *v = obj_map_get(&r->buf_of_id, b->block_id);
        if (v == NULL) {
            if (grow((void **)&r->bufs, &r->bufs_cap, r->nbufs + 1, sizeof *r->bufs) != CT_OK ||
                obj_map_put(&r->buf_of_id, b->block_id, r->nbufs) != CT_OK)
                return CT_ERR_NOMEM;
            memset(&r->bufs[r->nbufs], 0, sizeof *r->bufs);
            v = obj_map_get(&r->buf_of_id, b->block_id);
            r->nbufs++;
        }
        rp_buf *buf = &r->bufs[*v];
        uint32_t need = rp_block_need(b);
        if (need > buf->size)
            buf->size = need;
        if (ev->edge == 1 && b->offload_handle_id != 0 &&
            obj_map_get(&r->handle_of_id, b->offload_handle_id) == NULL) {
            if (obj_map_put(&r->handle_of_id, b->offload_handle_id, r->nhandles) != CT_OK)
                return CT_ERR_NOMEM;
            r->nhandles++;
        }
    }
    return CT_OK;
}

/* What one event tells before instances exist, in file order: the object tracker learns
 * identities as diff and verify do (kept for request-in trees), ids are counted, and the
 * buffers of the trees the trace host will build (edge 1) and the NIC will fill (edge 3)
 * are sized. Failures are CT_ERR_NOMEM. */
static ct_err event_facts(rp *r, obj_tracker *t, rp_event *e, const Chimtrace__V1__Event *ev)
{
    const obj_identity *ids = NULL;
    if (obj_tracker_feed(t, ev, &ids) != CT_OK)
        return CT_ERR_NOMEM;
    note_ids(r, ev);
    if (ev->edge == 1) {
        uint32_t *links = malloc((ev->n_block + 1) * 2 * sizeof *links);
        if (links == NULL)
            return CT_ERR_NOMEM;
        e->malformed = ev->n_block == 0 || !rp_tree_links(ev, links, links + ev->n_block);
        free(links);
        if (grow((void **)&r->ids, &r->ids_cap, r->nids + ev->n_block, sizeof *r->ids) != CT_OK)
            return CT_ERR_NOMEM;
        e->ids_first = (uint32_t)r->nids;
        e->nids = (uint32_t)ev->n_block;
        memcpy(r->ids + r->nids, ids, ev->n_block * sizeof *ids);
        r->nids += ev->n_block;
    }
    return ev->edge == 1 || ev->edge == 3 ? size_buffers(r, ev) : CT_OK;
}

static ct_err read_records(rp *r, ct_reader *rd, obj_tracker *t, ct_errinfo *ei)
{
    for (;;) {
        const Chimtrace__V1__Record *rec;
        ct_errinfo rei;
        ct_err e = ct_reader_next(rd, &rec, &rei);
        if (e == CT_ERR_TRUNCATED || e == CT_ERR_CORRUPT || e == CT_ERR_LIMIT) {
            r->res->in_read_errors++; /* what is lost shows up as missing edges */
            continue;
        }
        if (e != CT_OK) {
            *ei = rei;
            return e;
        }
        if (rec == NULL)
            return CT_OK;
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_LOSS) {
            r->res->in_lost_events += rec->loss->has_count ? rec->loss->count : 0;
            continue;
        }
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
            continue;
        const Chimtrace__V1__Event *ev = rec->event;
        if (!ev->has_seq || !ev->has_op_id || !ev->has_op || !ev->has_edge || ev->op < 1 ||
            ev->op > 5 || ev->edge < 1 || ev->edge > 4) {
            r->res->in_other_records++;
            continue;
        }
        if (keep_event(r, ev) != CT_OK || event_facts(r, t, &r->ev[r->nev - 1], ev) != CT_OK)
            return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory reading %s",
                             r->o->in_path);
        r->res->in_events++;
    }
}

/* ---- instances ----------------------------------------------------------------------- */

typedef struct ev_key {
    uint64_t op_id, seq;
    uint32_t edge, index;
} ev_key;

static int cmp_op_edge(const void *a, const void *b)
{
    const ev_key *x = a, *y = b;
    if (x->op_id != y->op_id)
        return x->op_id < y->op_id ? -1 : 1;
    if (x->edge != y->edge)
        return x->edge < y->edge ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_issue(const void *a, const void *b)
{
    const rp_inst *x = a, *y = b;
    if (x->first_seq != y->first_seq)
        return x->first_seq < y->first_seq ? -1 : 1;
    return x->in_op_id < y->in_op_id ? -1 : x->in_op_id > y->in_op_id;
}

/* Which edges a replay needs: request-in (the tree), completion-out (to compare), and the
 * lower pair together (the NIC's script) or neither (the IM answered by itself). */
static void classify(rp *r, rp_inst *x)
{
    const uint32_t *e = x->ev;
    if (x->skip != RP_RUN)
        return;
    if (e[1] == RP_NONE || e[4] == RP_NONE || (e[2] == RP_NONE) != (e[3] == RP_NONE))
        x->skip = RP_SKIP_MISSING;
    else if (r->ev[e[1]].truncated || (e[3] != RP_NONE && r->ev[e[3]].truncated))
        x->skip = RP_SKIP_TRUNCATED;
    else if (r->ev[e[1]].malformed)
        x->skip = RP_SKIP_MALFORMED;
}

static ct_err group_instances(rp *r)
{
    ev_key *idx = malloc((r->nev ? r->nev : 1) * sizeof *idx);
    r->inst = calloc(r->nev ? r->nev : 1, sizeof *r->inst);
    if (idx == NULL || r->inst == NULL) {
        free(idx);
        return CT_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < r->nev; i++)
        idx[i] = (ev_key){r->ev[i].op_id, r->ev[i].seq, r->ev[i].edge, i};
    qsort(idx, r->nev, sizeof *idx, cmp_op_edge);
    rp_inst *x = NULL;
    for (size_t k = 0; k < r->nev; k++) {
        const rp_event *e = &r->ev[idx[k].index];
        if (x == NULL || e->op_id != x->in_op_id) {
            x = &r->inst[r->ninst++];
            memset(x, 0, sizeof *x);
            for (int j = 0; j < 5; j++)
                x->ev[j] = RP_NONE;
            x->in_op_id = e->op_id;
            x->op = e->op;
            x->first_seq = UINT64_MAX;
        }
        if (x->ev[e->edge] != RP_NONE || e->op != x->op)
            x->skip = RP_SKIP_MALFORMED;
        else
            x->ev[e->edge] = idx[k].index;
        if (e->seq < x->first_seq)
            x->first_seq = e->seq;
    }
    free(idx);
    for (size_t i = 0; i < r->ninst; i++) {
        rp_inst *y = &r->inst[i];
        classify(r, y);
        if (y->ev[1] != RP_NONE) {
            y->first_seq = r->ev[y->ev[1]].seq;
            y->ids_first = r->ev[y->ev[1]].ids_first;
            y->nids = r->ev[y->ev[1]].nids;
        }
    }
    qsort(r->inst, r->ninst, sizeof *r->inst, cmp_issue);
    return CT_OK;
}

static ct_err allocate(rp *r)
{
    r->idspace = calloc(r->idspace_n ? r->idspace_n : 1, 1);
    r->handles = calloc(r->nhandles ? r->nhandles : 1, sizeof *r->handles);
    return r->idspace && r->handles ? CT_OK : CT_ERR_NOMEM;
}

/* ---- time and lanes ----------------------------------------------------------------- */

uint32_t rp_lane_of(const rp *r, uint32_t ring_id)
{
    return ring_id < r->lanes ? ring_id : ring_id % r->lanes;
}

static void plan(rp *r)
{
    const Chimtrace__V1__CaptureConfig *c = r->in_hdr->capture;
    uint64_t lanes = c && c->has_ring_count ? c->ring_count : 1;
    r->t0 = r->nev ? UINT64_MAX : 0;
    for (size_t i = 0; i < r->nev; i++) {
        if ((uint64_t)r->ev[i].ring + 1 > lanes)
            lanes = (uint64_t)r->ev[i].ring + 1;
        if (r->ev[i].ts < r->t0)
            r->t0 = r->ev[i].ts;
    }
    /* One lane per recorded ring; a kernel trace with more CPUs than the scheduler has
     * lanes folds them (OUT's ring ids then differ). */
    r->lanes = lanes == 0 ? 1 : lanes > SCHED_MAX_LANES ? SCHED_MAX_LANES : (uint32_t)lanes;
    r->nic_lane = r->lanes - 1;
    for (size_t i = 0; i < r->nev; i++) {
        if (r->ev[i].edge == 3) {
            r->nic_lane = rp_lane_of(r, r->ev[i].ring);
            break;
        }
    }
    /* IN's ring size (a tree that did not fit was cut, and that instance is skipped), at
     * least 1 MiB, at most 16 MiB: the replay drains after every callback. */
    uint32_t rb = c && c->has_ring_bytes ? c->ring_bytes : 0;
    r->ring_bytes = 1u << 20;
    while (r->ring_bytes < rb && r->ring_bytes < (16u << 20))
        r->ring_bytes <<= 1;
    r->max_blocks = c && c->has_max_blocks_per_event && c->max_blocks_per_event > 0 &&
                            c->max_blocks_per_event <= SHIM_MAX_BLOCKS_LIMIT
                        ? c->max_blocks_per_event
                        : 256;
    /* Issue times: recorded, made monotone in issue order (real-time traces may not be). */
    uint64_t due = 0;
    for (size_t i = 0; i < r->ninst; i++) {
        rp_inst *x = &r->inst[i];
        replay_result *res = r->res;
        res->instances++;
        res->skipped_missing += x->skip == RP_SKIP_MISSING;
        res->skipped_truncated += x->skip == RP_SKIP_TRUNCATED;
        res->skipped_malformed += x->skip == RP_SKIP_MALFORMED;
        if (x->skip != RP_RUN)
            continue;
        uint64_t t = r->ev[x->ev[1]].ts - r->t0;
        due = t > due ? t : due;
        x->due = due;
    }
}

ct_err rp_load(rp *r, ct_errinfo *ei)
{
    ct_reader *rd;
    ct_err e = ct_reader_open(r->o->in_path, &rd, ei);
    if (e != CT_OK)
        return e;
    const Chimtrace__V1__TraceHeader *h = ct_reader_header(rd);
    size_t n = chimtrace__v1__trace_header__get_packed_size(h);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf != NULL) {
        chimtrace__v1__trace_header__pack(h, buf);
        r->in_hdr = chimtrace__v1__trace_header__unpack(NULL, n, buf);
        free(buf);
    }
    if (r->in_hdr == NULL)
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory reading %s", r->o->in_path);
    obj_tracker *t = NULL;
    if (e == CT_OK && obj_tracker_new(&t) != CT_OK)
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory reading %s", r->o->in_path);
    if (e == CT_OK)
        e = read_records(r, rd, t, ei);
    obj_tracker_free(t);
    ct_reader_close(rd);
    if (e == CT_OK && (group_instances(r) != CT_OK || allocate(r) != CT_OK))
        e = ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory indexing %s",
                      r->o->in_path);
    if (e == CT_OK)
        plan(r);
    return e;
}

/* ---- unpacking IN events ---------------------------------------------------------------- */

/* IN events are unpacked one at a time (a request's tree, a script, an event to compare)
 * into a bump arena that is rewound when the event is freed: no malloc per field, and the
 * memory of large trees is not given back to the system and faulted in again each time. */
#define ARENA_MIN (64u * 1024u)
#define ARENA_CAP (64u * 1024u * 1024u)   /* FORMAT.md §9: memory to unpack one record */

struct rp_arena {
    uint8_t *mem;
    size_t cap, used, want;     /* want: the most one event needed */
    int live;
    ProtobufCAllocator a;
};

static void *arena_alloc(void *ctx, size_t n)
{
    struct rp_arena *ar = ctx;
    n = (n + 15u) & ~(size_t)15u;
    ar->want += n;
    if (ar->used + n > ar->cap)
        return ar->want <= ARENA_CAP ? malloc(n) : NULL; /* outgrown: heap until rewound */
    void *p = ar->mem + ar->used;
    ar->used += n;
    return p;
}

static void arena_free(void *ctx, void *p)
{
    struct rp_arena *ar = ctx;
    if (p != NULL && ((uint8_t *)p < ar->mem || (uint8_t *)p >= ar->mem + ar->cap))
        free(p);
}

Chimtrace__V1__Event *rp_event_get(rp *r, const rp_inst *x, int edge)
{
    if (edge < 1 || edge > 4 || x->ev[edge] == RP_NONE)
        return NULL;
    const rp_event *e = &r->ev[x->ev[edge]];
    struct rp_arena *ar = r->arena;
    if (ar == NULL && (ar = r->arena = calloc(1, sizeof *ar)) != NULL)
        ar->a = (ProtobufCAllocator){arena_alloc, arena_free, ar};
    if (ar == NULL || ar->live) /* one event at a time in the arena */
        return chimtrace__v1__event__unpack(NULL, e->len, r->pack + e->off);
    if (ar->cap < ar->want || ar->cap < ARENA_MIN) {
        size_t cap = ar->want > ARENA_MIN ? ar->want : ARENA_MIN;
        uint8_t *m = malloc(cap);
        if (m != NULL) {
            free(ar->mem);
            ar->mem = m;
            ar->cap = cap;
        }
    }
    ar->used = ar->want = 0;
    Chimtrace__V1__Event *ev = chimtrace__v1__event__unpack(&ar->a, e->len, r->pack + e->off);
    ar->live = ev != NULL;
    return ev;
}

void rp_event_free(rp *r, Chimtrace__V1__Event *ev)
{
    if (ev == NULL)
        return;
    struct rp_arena *ar = r->arena;
    if (ar != NULL && ar->live && (uint8_t *)ev >= ar->mem && (uint8_t *)ev < ar->mem + ar->cap) {
        chimtrace__v1__event__free_unpacked(ev, &ar->a); /* frees only what overflowed */
        ar->live = 0;
        return;
    }
    chimtrace__v1__event__free_unpacked(ev, NULL);
}

void rp_unload(rp *r)
{
    if (r->in_hdr != NULL)
        chimtrace__v1__trace_header__free_unpacked(r->in_hdr, NULL);
    for (size_t i = 0; i < r->nbufs; i++)
        free(r->bufs[i].mem);
    free(r->bufs);
    free(r->handles);
    free(r->idspace);
    free(r->ids);
    free(r->inst);
    free(r->ev);
    free(r->pack);
    obj_map_fini(&r->buf_of_id);
    obj_map_fini(&r->handle_of_id);
    if (r->arena != NULL)
        free(r->arena->mem);
    free(r->arena);
}
