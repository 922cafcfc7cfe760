/* stats_engine.c - the streaming core of chimtrace stats: pairing edges, filling tables.
 *
 * Each event is a few table operations: find its op_id in the pending table (open
 * addressing, entries stored inline), store the edge's time, add the spans it closes to
 * its key's histograms, move the depth timeline. Nothing is allocated per event; the
 * pending table grows only with the number of instances in flight, up to a cap.
 */
#include <stdlib.h>
#include <string.h>

#include "ct_print.h"
#include "stats_int.h"
#include "tracefile.h"

/* ------------------------------------------------------------------------------------ */
/* Accounted allocation                                                                  */

void *stats_alloc(stats_engine *s, size_t bytes)
{
    void *p = calloc(1, bytes);
    if (p)
        s->mem += bytes;
    return p;
}

void stats_release(stats_engine *s, void *p, size_t bytes)
{
    if (p) {
        free(p);
        s->mem -= bytes;
    }
}

/* protobuf-c allocator for the header copy: a size prefix makes the accounting exact. */
static void *pb_alloc(void *data, size_t size)
{
    stats_engine *s = data;
    uint64_t *p = malloc(size + 16);
    if (!p) {
        s->pb_nomem = 1;
        return NULL;
    }
    p[0] = size;
    s->mem += size + 16;
    return p + 2;
}

static void pb_free(void *data, void *ptr)
{
    stats_engine *s = data;
    if (ptr) {
        uint64_t *p = (uint64_t *)ptr - 2;
        s->mem -= (size_t)p[0] + 16;
        free(p);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Options and names                                                                     */

static const char *const by_names[] = {"op", "edge", "state-type", "cpu", "workload-object"};

void stats_opts_init(stats_opts *o)
{
    memset(o, 0, sizeof *o);
    o->by = STATS_BY_OP;
}

const char *stats_by_name(stats_by by)
{
    return (unsigned)by < 5 ? by_names[by] : "unknown";
}

int stats_by_parse(const char *text, stats_by *out)
{
    for (int i = 0; i < 5; i++) {
        if (strcmp(text, by_names[i]) == 0) {
            *out = (stats_by)i;
            return 0;
        }
    }
    if (strcmp(text, "object") == 0) {
        *out = STATS_BY_OBJECT;
        return 0;
    }
    return -1;
}

const char *stats_span_name(stats_span sp)
{
    static const char *const n[] = {"im", "nic", "return", "e2e"};
    return (unsigned)sp < STATS_SPANS ? n[sp] : "unknown";
}

const char *stats_span_label(stats_span sp)
{
    static const char *const n[] = {"req-in-above -> req-out-below",
                                    "req-out-below -> cmpl-in-below",
                                    "cmpl-in-below -> cmpl-out-above",
                                    "req-in-above -> cmpl-out-above"};
    return (unsigned)sp < STATS_SPANS ? n[sp] : "unknown";
}

/* ------------------------------------------------------------------------------------ */
/* Life cycle                                                                            */

ct_err stats_new(const stats_opts *opts, stats_engine **out, ct_errinfo *ei)
{
    stats_engine *s;
    if (!out)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "stats_new: out is NULL");
    *out = NULL;
    if (opts && (unsigned)opts->by > STATS_BY_OBJECT)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "stats: unknown grouping %d",
                         (int)opts->by);
    s = calloc(1, sizeof *s);
    if (!s)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "stats: out of memory");
    s->mem = sizeof *s;
    if (opts)
        s->opts = *opts;
    else
        stats_opts_init(&s->opts);
    if (s->opts.top == 0)
        s->opts.top = STATS_DEFAULT_TOP;
    if (s->opts.top > STATS_MAX_KEYS)
        s->opts.top = STATS_MAX_KEYS;
    if (s->opts.max_pending == 0)
        s->opts.max_pending = STATS_DEFAULT_MAX_PENDING;
    obj_map_init(&s->key_index);
    s->keys[STATS_MAX_KEYS].key = STATS_KEY_OTHER;
    snprintf(s->keys[STATS_MAX_KEYS].label, sizeof s->keys[0].label, "other");
    /* Room for the largest tree a reader passes (CT_MAX_BLOCKS_PER_EVENT) from the start,
     * so the engine's memory does not depend on which trees a trace happens to hold. */
    if ((s->opts.by == STATS_BY_OBJECT && obj_tracker_new(&s->objs) != CT_OK) ||
        stats_blk_reserve(s, CT_MAX_BLOCKS_PER_EVENT) != CT_OK) {
        stats_free(s);
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "stats: out of memory");
    }
    *out = s;
    return CT_OK;
}

void stats_free(stats_engine *s)
{
    if (!s)
        return;
    for (unsigned k = 0; k <= STATS_MAX_KEYS; k++)
        for (unsigned sp = 0; sp < STATS_SPANS; sp++)
            stats_release(s, s->keys[k].hist[sp], sizeof(stats_hist));
    if (s->header) {
        ProtobufCAllocator a = {pb_alloc, pb_free, s};
        chimtrace__v1__trace_header__free_unpacked(s->header, &a);
    }
    stats_release(s, s->pend, s->pend_cap * sizeof *s->pend);
    stats_release(s, s->blk, s->blk_cap * sizeof *s->blk);
    stats_release(s, s->groups, s->n_groups * sizeof *s->groups);
    stats_release(s, s->status_order, s->n_status * sizeof *s->status_order);
    obj_map_fini(&s->key_index);
    obj_tracker_free(s->objs);
    free(s);
}

size_t stats_memory_bytes(const stats_engine *s)
{
    /* the key index and the object tracker keep their own books: a key index entry costs
     * at most 4 x 17 bytes (load <= 1/2); the tracker holds one entry per live object. */
    return s ? s->mem + s->key_index.cap * 17 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Pending instances                                                                     */

static size_t pend_slot(const stats_engine *s, uint64_t op_id)
{
    return (size_t)stats_mix(op_id) & (s->pend_cap - 1);
}

static stats_pending *pend_find(stats_engine *s, uint64_t op_id)
{
    if (s->pend_n == 0)
        return NULL;
    for (size_t i = pend_slot(s, op_id);; i = (i + 1) & (s->pend_cap - 1)) {
        stats_pending *p = &s->pend[i];
        if (!p->mask)
            return NULL;
        if (p->op_id == op_id)
            return p;
    }
}

static ct_err pend_grow(stats_engine *s)
{
    size_t cap = s->pend_cap ? s->pend_cap * 2 : 256;
    stats_pending *old = s->pend, *np = stats_alloc(s, cap * sizeof *np);
    size_t old_cap = s->pend_cap;
    if (!np)
        return CT_ERR_NOMEM;
    s->pend = np;
    s->pend_cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].mask)
            continue;
        size_t j = pend_slot(s, old[i].op_id);
        while (np[j].mask)
            j = (j + 1) & (cap - 1);
        np[j] = old[i];
    }
    stats_release(s, old, old_cap * sizeof *old);
    return CT_OK;
}

static stats_pending *pend_insert(stats_engine *s, uint64_t op_id)
{
    if ((s->pend_n + 1) * 2 > s->pend_cap && pend_grow(s) != CT_OK)
        return NULL;
    size_t i = pend_slot(s, op_id);
    while (s->pend[i].mask)
        i = (i + 1) & (s->pend_cap - 1);
    s->pend_n++;
    memset(&s->pend[i], 0, sizeof s->pend[i]);
    s->pend[i].op_id = op_id;
    return &s->pend[i];
}

/* Backward-shift deletion: no tombstones, so churn never degrades the table. */
static void pend_delete(stats_engine *s, stats_pending *p)
{
    size_t mask = s->pend_cap - 1, i = (size_t)(p - s->pend), j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->pend[j].mask)
            break;
        size_t home = pend_slot(s, s->pend[j].op_id);
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            s->pend[i] = s->pend[j];
            i = j;
        }
    }
    s->pend[i].mask = 0;
    s->pend_n--;
}

/* ------------------------------------------------------------------------------------ */
/* Keys                                                                                  */

static unsigned fold_op(int op)
{
    return op >= 0 && op < STATS_MAX_OPS ? (unsigned)op : STATS_MAX_OPS - 1;
}

static unsigned state_mask(const stats_ev *ev)
{
    unsigned m = 0;
    for (size_t i = 0; i < ev->n_block; i++) {
        uint32_t t = ev->blk[i].type;
        if (!ev->blk[i].has_type)
            continue;
        m |= t >= 1 && t <= 4     ? STATS_STATE_NEIGHBOR
             : t >= 5 && t <= 8   ? STATS_STATE_PATH4
             : t >= 9 && t <= 12  ? STATS_STATE_PATH6
             : t >= 13 && t <= 17 ? STATS_STATE_TCP
                                  : STATS_STATE_OTHER;
    }
    return m;
}

static void state_label(unsigned m, char *buf, size_t size)
{
    static const char *const n[] = {"neighbor", "path4", "path6", "tcp", "other"};
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned b = 0; b < 5; b++)
        if (m & (1u << b))
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "+" : "", n[b]);
    if (!m)
        snprintf(buf, size, "none");
}

/* The row name of a new key (only built when a key is first seen). */
static void key_label(const stats_engine *s, const stats_ev *ev, unsigned op, uint64_t key,
                      char *label, size_t size)
{
    const obj_identity *id;

    switch (s->opts.by) {
    case STATS_BY_OP:
        snprintf(label, size, "%s", ct_print_op_name((int)op));
        break;
    case STATS_BY_EDGE:
        snprintf(label, size, "all");
        break;
    case STATS_BY_STATE_TYPE:
        state_label((unsigned)key, label, size);
        break;
    case STATS_BY_CPU:
        if (ev->has_ring)
            snprintf(label, size, "ring %u", ev->ring);
        else
            snprintf(label, size, "ring ?");
        break;
    default:
        id = obj_tracker_root(s->objs);
        if (!id || id->kind == OBJ_NONE)
            snprintf(label, size, "no object");
        else
            obj_format(id, label, size);
        break;
    }
}

/* The key index (0..STATS_MAX_KEYS) for an instance that starts with `ev`. Keys are cheap
 * (a value or a hash); the row's label is formatted once, when its key is new. */
static ct_err key_of(stats_engine *s, const stats_ev *ev, unsigned op, uint32_t *out)
{
    char label[sizeof s->keys[0].label];
    const obj_identity *id;
    uint64_t key;
    uint64_t *slot;

    if ((s->opts.by == STATS_BY_OP || s->opts.by == STATS_BY_EDGE)) {
        unsigned fast = s->opts.by == STATS_BY_OP ? op : 0;
        if (s->op_key[fast]) {
            *out = s->op_key[fast] - 1;
            return CT_OK;
        }
    }
    switch (s->opts.by) {
    case STATS_BY_OP:
        key = op;
        break;
    case STATS_BY_EDGE:
        key = 0;
        break;
    case STATS_BY_STATE_TYPE:
        key = state_mask(ev);
        break;
    case STATS_BY_CPU:
        key = ev->has_ring ? ev->ring : 0xFFFFFFFFull;
        break;
    default:
        id = obj_tracker_root(s->objs);
        key = !id || id->kind == OBJ_NONE ? 0 : obj_hash(id, OBJ_HASH_SEED);
        if (key == STATS_KEY_OTHER)
            key--;
        break;
    }
    if ((slot = obj_map_get(&s->key_index, key)) != NULL) {
        *out = (uint32_t)*slot - 1;
        return CT_OK;
    }
    if (s->n_keys >= STATS_MAX_KEYS) {
        s->keys_total++;        /* counted once per instance beyond the cap: a lower bound */
        *out = STATS_MAX_KEYS;
        return CT_OK;
    }
    if (obj_map_put(&s->key_index, key, s->n_keys + 1) != CT_OK)
        return CT_ERR_NOMEM;
    s->keys_total++;
    s->keys[s->n_keys].key = key;
    key_label(s, ev, op, key, label, sizeof label);
    memcpy(s->keys[s->n_keys].label, label, sizeof label);
    if (s->opts.by == STATS_BY_OP || s->opts.by == STATS_BY_EDGE)
        s->op_key[s->opts.by == STATS_BY_OP ? op : 0] = s->n_keys + 1;
    *out = s->n_keys++;
    return CT_OK;
}

static ct_err add_span(stats_engine *s, uint32_t key, stats_span sp, uint64_t from, uint64_t to)
{
    stats_hist **h = &s->keys[key].hist[sp];
    if (!*h) {
        if (!(*h = stats_alloc(s, sizeof **h)))
            return CT_ERR_NOMEM;
        stats_hist_clear(*h);
    }
    stats_hist_add_inline(*h, to > from ? to - from : 0);
    return CT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Feeding                                                                               */

static void count_statuses(stats_engine *s, const stats_ev *ev, unsigned op)
{
    int nic = ev->edge == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_IN_BELOW;
    for (size_t i = 0; i < ev->n_block; i++) {
        const stats_blk *b = &ev->blk[i];
        if (!b->has_status)
            continue;
        uint64_t h = stats_mix(((uint64_t)op << 32) | b->status);
        size_t j = (size_t)h & (STATS_STATUS_SLOTS - 1), probes = 0;
        while (s->status[j].op && (s->status[j].op != op + 1 || s->status[j].status != b->status)) {
            j = (j + 1) & (STATS_STATUS_SLOTS - 1);
            if (++probes >= STATS_STATUS_SLOTS / 2)
                break;
        }
        if (probes >= STATS_STATUS_SLOTS / 2) {
            s->status_overflow++;
            continue;
        }
        s->status[j].op = op + 1;
        s->status[j].status = b->status;
        if (nic)
            s->status[j].nic_count++;
        else
            s->status[j].count++;
    }
}

/* An event whose op_id is not pending. */
static ct_err start_instance(stats_engine *s, const stats_ev *ev, unsigned op,
                             unsigned e, uint64_t ts)
{
    stats_pending *p;
    uint32_t key;
    ct_err err;

    s->instances++;
    s->ops[op].instances++;
    if (e == 3) {   /* seen only at its completion: nothing to pair, and no depth */
        s->completed++;
        s->ops[op].completed++;
        s->orphans++;
        s->ops[op].unmatched++;
        stats_tl_mark(&s->tl, 1, 1);
        return CT_OK;
    }
    if (s->pend_n >= s->opts.max_pending) {
        s->untracked++;
        s->ops[op].unmatched++;
        stats_tl_mark(&s->tl, 1, 0);
        return CT_OK;
    }
    if ((err = key_of(s, ev, op, &key)) != CT_OK || !(p = pend_insert(s, ev->op_id)))
        return CT_ERR_NOMEM;
    p->ts[e] = ts;
    p->mask = (uint8_t)(1u << e);
    p->first_seq = ev->has_seq ? ev->seq : s->max_seq;
    p->op = (uint8_t)op;
    p->key = key;
    s->keys[key].weight++;
    if (++s->tl.depth > s->max_depth)
        s->max_depth = s->tl.depth;
    stats_tl_mark(&s->tl, 1, 0);
    return CT_OK;
}

ct_err stats_feed_view(stats_engine *s, const stats_ev *ev)
{
    const obj_identity *ids;
    uint64_t ts;
    unsigned op, e, bit;
    stats_pending *p;
    ct_err err = CT_OK;

    s->events++;
    if (ev->has_seq && ev->seq > s->max_seq)
        s->max_seq = ev->seq;
    ts = ev->has_ts ? ev->ts_ns : s->tl.last_ts;
    if (ev->has_ts) {
        if (!s->have_ts || ts < s->min_ts)
            s->min_ts = ts;
        if (!s->have_ts || ts > s->max_ts)
            s->max_ts = ts;
        s->have_ts = 1;
    }
    s->truncated_trees += ev->tree_truncated;
    if (s->objs && (!ev->full || obj_tracker_feed(s->objs, ev->full, &ids) != CT_OK))
        return CT_ERR_NOMEM;
    stats_tl_advance(&s->tl, ts);
    if (!ev->has_op_id || !ev->has_edge || ev->edge < 1 || ev->edge > 4) {
        s->odd++;
        stats_tl_mark(&s->tl, 1, 0);
        return CT_OK;
    }
    op = fold_op(ev->has_op ? (int)ev->op : 0);
    e = (unsigned)ev->edge - 1;
    if (e >= 2)
        count_statuses(s, ev, op);
    if (!(p = pend_find(s, ev->op_id)))
        return start_instance(s, ev, op, e, ts);
    bit = 1u << e;
    if (p->mask & bit) {
        s->odd++;
        stats_tl_mark(&s->tl, 1, 0);
        return CT_OK;
    }
    p->ts[e] = ts;
    p->mask |= (uint8_t)bit;
    if (e >= 1 && (p->mask & (bit >> 1)))
        err = add_span(s, p->key, (stats_span)(e - 1), p->ts[e - 1], ts);
    if (e == 3 && err == CT_OK && (p->mask & 1))
        err = add_span(s, p->key, STATS_SPAN_E2E, p->ts[0], ts);
    if (err != CT_OK)
        return err;
    if (e == 3) {
        s->completed++;
        s->ops[p->op].completed++;
        s->complete4 += p->mask == 0xF;
        if (!(p->mask & 1)) {
            s->orphans++;
            s->ops[p->op].unmatched++;
        }
        s->tl.depth--;
        pend_delete(s, p);
        stats_tl_mark(&s->tl, 1, 1);
        return CT_OK;
    }
    stats_tl_mark(&s->tl, 1, 0);
    return CT_OK;
}

/* A private copy of the header (packed, then unpacked into accounted memory). Unknown
 * fields are left behind: protobuf-c accepts some on input that it cannot read back once
 * packed (found by stats_wire_fuzz: a field number 0), and nothing here reads them. A
 * header that still cannot be copied is simply not kept (the figures do not need it). */
static ct_err keep_header(stats_engine *s, const Chimtrace__V1__TraceHeader *h)
{
    Chimtrace__V1__TraceHeader top = *h;
    ProtobufCAllocator a = {pb_alloc, pb_free, s};
    size_t n;
    uint8_t *buf;

    top.base.n_unknown_fields = 0;
    top.base.unknown_fields = NULL;
    n = chimtrace__v1__trace_header__get_packed_size(&top);
    if (!(buf = malloc(n ? n : 1)))
        return CT_ERR_NOMEM;
    chimtrace__v1__trace_header__pack(&top, buf);
    s->pb_nomem = 0;
    s->header = chimtrace__v1__trace_header__unpack(&a, n, buf);
    free(buf);
    return s->header || !s->pb_nomem ? CT_OK : CT_ERR_NOMEM;
}

ct_err stats_blk_reserve(stats_engine *s, size_t n)
{
    if (n <= s->blk_cap)
        return CT_OK;
    size_t cap = s->blk_cap ? s->blk_cap : 64;
    while (cap < n)
        cap *= 2;
    stats_blk *b = stats_alloc(s, cap * sizeof *b);
    if (!b)
        return CT_ERR_NOMEM;
    stats_release(s, s->blk, s->blk_cap * sizeof *s->blk);
    s->blk = b;
    s->blk_cap = cap;
    return CT_OK;
}

/* The engine's view of a decoded event. */
static ct_err view_of(stats_engine *s, const Chimtrace__V1__Event *e, stats_ev *v)
{
    if (stats_blk_reserve(s, e->n_block) != CT_OK)
        return CT_ERR_NOMEM;
    for (size_t i = 0; i < e->n_block; i++) {
        const Chimtrace__V1__Block *b = e->block[i];
        s->blk[i] = (stats_blk){b->status, b->header_type, (uint8_t)b->has_status,
                                (uint8_t)b->has_header_type};
    }
    *v = (stats_ev){.seq = e->seq, .ts_ns = e->ts_ns, .op_id = e->op_id, .ring = e->ring,
                    .edge = (uint32_t)e->edge, .op = (int32_t)e->op,
                    .has_seq = (uint8_t)e->has_seq, .has_ts = (uint8_t)e->has_ts_ns,
                    .has_ring = (uint8_t)e->has_ring, .has_op = (uint8_t)e->has_op,
                    .has_edge = (uint8_t)e->has_edge, .has_op_id = (uint8_t)e->has_op_id,
                    .tree_truncated = (uint8_t)(e->has_tree_truncated && e->tree_truncated),
                    .n_block = e->n_block, .blk = s->blk, .full = e};
    return CT_OK;
}

void stats_feed_loss(stats_engine *s, int has_count, uint64_t count, int has_last,
                     uint64_t last_seq)
{
    uint64_t last = has_last ? last_seq : s->max_seq;
    s->loss_records++;
    s->lost_events += has_count ? count : 0;
    if (last > s->loss_seq)
        s->loss_seq = last;
}

ct_err stats_feed(stats_engine *s, const Chimtrace__V1__Record *rec, ct_errinfo *ei)
{
    ct_err err = CT_OK;
    stats_ev v;
    if (!s || !rec)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "stats_feed: NULL argument");
    if (s->finished)
        return ct_seterr(ei, CT_ERR_STATE, CT_NO_OFFSET, "stats_feed: after stats_finish");
    s->records++;
    switch (rec->kind_case) {
    case CHIMTRACE__V1__RECORD__KIND_EVENT:
        if ((err = view_of(s, rec->event, &v)) == CT_OK)
            err = stats_feed_view(s, &v);
        break;
    case CHIMTRACE__V1__RECORD__KIND_LOSS: {
        const Chimtrace__V1__Loss *l = rec->loss;
        stats_feed_loss(s, l->has_count, l->count, l->has_last_seq, l->last_seq);
        break;
    }
    case CHIMTRACE__V1__RECORD__KIND_HEADER:
        if (!s->header)
            err = keep_header(s, rec->header);
        break;
    default:
        break;
    }
    if (err != CT_OK)
        return ct_seterr(ei, err, CT_NO_OFFSET, "stats: out of memory");
    return CT_OK;
}

void stats_note_truncated(stats_engine *s, uint64_t truncated_at, uint64_t complete_end)
{
    s->truncated = 1;
    s->truncated_at = truncated_at;
    s->complete_end = complete_end;
}

void stats_note_damaged_chunk(stats_engine *s)
{
    s->damaged++;
}
