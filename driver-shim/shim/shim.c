/* shim.c - the trace shim's hooks, per-ring loss accounting and setup.
 *
 * A hook takes a sequence number and a timestamp, sizes the event by walking the tree once,
 * reserves that many bytes in the current ring and copies the tree in a second walk. A
 * full ring drops the event and remembers the loss (count, sequence and time range); the
 * first record that fits afterwards is preceded by an exact loss record. Every sequence
 * number is accounted for (committed or dropped) in the ring's seqs_done counter, which is
 * how the recorder knows when it can merge rings in sequence order.
 */
#include "shim_internal.h"

static shim_ring_slot *current_ring(shim *s)
{
    uint32_t i = plat_ring_index();
    return &s->rings[i < s->ring_count ? i : s->ring_count - 1];
}

static void publish_done(shim_ring_slot *rs)
{
    plat_store_release_u64(&rs->seqs_done, rs->seqs_done + 1);
}

static void note_drop(shim_ring_slot *rs, uint64_t seq, uint64_t ts)
{
    if (rs->pend_count == 0) {
        rs->pend_first_seq = seq;
        rs->pend_first_ts = ts;
    }
    rs->pend_count++;
    rs->pend_last_seq = seq;
    rs->pend_last_ts = ts;
    plat_store_release_u64(&rs->dropped, rs->dropped + 1);
}

/* Fill the pending loss record at `l` (space reserved by the caller). */
static void write_loss(shim_ring_slot *rs, shim_loss_rec *l, uint32_t ring_id)
{
    l->h.len = sizeof *l;
    l->h.type = SHIM_REC_LOSS;
    l->h.flags = 0;
    l->ring = ring_id;
    l->reserved = 0;
    l->count = rs->pend_count;
    l->first_seq = rs->pend_first_seq;
    l->last_seq = rs->pend_last_seq;
    l->first_ts_ns = rs->pend_first_ts;
    l->last_ts_ns = rs->pend_last_ts;
    rs->pend_count = 0;
    plat_store_release_u64(&rs->loss_records, rs->loss_records + 1);
}

/* Bytes the event will take and the blocks it will hold: at most max_blocks, and no more
 * than fit `limit` bytes (a ring's largest record), so an event is cut, never lost, for
 * being large. */
static uint32_t size_event(shim *s, const shim_op *op, PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root,
                           uint32_t limit, uint32_t *nblocks, uint32_t *seen, uint16_t *flags)
{
    shim_walk w;
    uint16_t parent;
    uint32_t len = sizeof(shim_event_rec), n = 0;
    int full = 0;
    shim_walk_init(&w, root);
    for (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; (b = shim_walk_next(&w, &parent)) != NULL;) {
        if (full || n >= s->max_blocks)
            continue; /* keep walking to count what is cut */
        uint32_t st = 0;
        if (op->state_bits[n / 32] & (1u << (n % 32)))
            st = s->layout[b->Header.Type].total;
        uint32_t blen = ring_align((uint32_t)sizeof(shim_block_rec) + st);
        if (len + blen > limit) {
            full = 1;
            continue;
        }
        len += blen;
        n++;
    }
    *nblocks = n;
    *seen = w.seen;
    *flags = w.flags;
    if (w.seen > n)
        *flags |= SHIM_EVF_TREE_TRUNCATED;
    return len;
}

static void fill_event(shim *s, const shim_op *op, shim_event_rec *ev,
                       PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root, uint32_t nblocks)
{
    shim_walk w;
    uint16_t parent;
    uint8_t *p = (uint8_t *)(ev + 1);
    uint32_t n = 0;
    shim_walk_init(&w, root);
    for (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; n < nblocks && (b = shim_walk_next(&w, &parent));) {
        int st = (op->state_bits[n / 32] & (1u << (n % 32))) != 0;
        p += shim_copy_block(s->layout, (shim_block_rec *)p, b, parent, st);
        n++;
    }
}

static void emit(shim *s, shim_op *op, uint8_t edge, NDIS_HANDLE binding,
                 PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    shim_ring_slot *rs = current_ring(s);
    uint32_t ring_id = (uint32_t)(rs - s->rings);
    uint64_t seq = plat_atomic_fetch_add_u64(&s->next_seq, 1);
    uint64_t ts = plat_now_ns();
    uint32_t nblocks, seen;
    uint16_t flags;
    uint32_t loss_len = rs->pend_count ? (uint32_t)sizeof(shim_loss_rec) : 0;
    uint32_t len = size_event(s, op, root, ring_max_record(&rs->r) - loss_len, &nblocks, &seen,
                              &flags);
    if (edge == SHIM_EDGE_COMPLETION_IN_BELOW && plat_load_acquire_u8(&op->in_downcall))
        flags |= SHIM_EVF_REENTRANT;
    /* A pending loss record and the event go in one reservation: the loss is reported only
     * together with the event that proves the ring had room again. */
    uint8_t *p = ring_reserve(&rs->r, loss_len + len);
    if (PLAT_UNLIKELY(p == NULL)) {
        note_drop(rs, seq, ts);
        publish_done(rs);
        return;
    }
    if (loss_len)
        write_loss(rs, (shim_loss_rec *)p, ring_id);
    shim_event_rec *ev = (shim_event_rec *)(p + loss_len);
    ev->h.len = len;
    ev->h.type = SHIM_REC_EVENT;
    ev->h.flags = flags;
    ev->op = op->op;
    ev->edge = edge;
    ev->nblocks = (uint16_t)nblocks;
    ev->blocks_seen = seen;
    ev->ring = ring_id;
    ev->reserved = 0;
    ev->seq = seq;
    ev->ts_ns = ts;
    ev->op_id = op->op_id;
    ev->binding = (uint64_t)(uintptr_t)binding;
    fill_event(s, op, ev, root, nblocks);
    ring_commit(&rs->r);
    plat_store_release_u64(&rs->events, rs->events + 1);
    if (flags & SHIM_EVF_TREE_TRUNCATED)
        plat_store_release_u64(&rs->truncated, rs->truncated + 1);
    publish_done(rs);
}

void shim_request_in(shim *s, shim_op *op, uint8_t operation, NDIS_HANDLE binding,
                     PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    shim_walk w;
    uint16_t parent;
    uint32_t n = 0;
    op->op = operation;
    op->op_id = plat_atomic_fetch_add_u64(&s->next_op_id, 1);
    op->in_downcall = 0;
    for (uint32_t i = 0; i < SHIM_STATE_BITS_WORDS; i++)
        op->state_bits[i] = 0;
    shim_walk_init(&w, root);
    for (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST b; n < s->max_blocks && (b = shim_walk_next(&w, &parent));) {
        if (shim_block_has_state(operation, b))
            op->state_bits[n / 32] |= 1u << (n % 32);
        n++;
    }
    op->nblocks = n;
    emit(s, op, SHIM_EDGE_REQUEST_IN_ABOVE, binding, root);
}

void shim_request_out(shim *s, shim_op *op, NDIS_HANDLE binding,
                      PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    if (op->op != 0)
        emit(s, op, SHIM_EDGE_REQUEST_OUT_BELOW, binding, (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)root);
}

void shim_completion_in(shim *s, shim_op *op, NDIS_HANDLE binding,
                        PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    if (op->op != 0)
        emit(s, op, SHIM_EDGE_COMPLETION_IN_BELOW, binding,
             (PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST)root);
}

void shim_completion_out(shim *s, shim_op *op, NDIS_HANDLE binding,
                         PNDIS_MINIPORT_OFFLOAD_BLOCK_LIST root)
{
    if (op->op != 0)
        emit(s, op, SHIM_EDGE_COMPLETION_OUT_ABOVE, binding, root);
}

NDIS_STATUS shim_create(const shim_config *cfg, shim **out)
{
    *out = NULL;
    if (cfg == NULL || cfg->ring_count == 0 || cfg->ring_count > 1024 ||
        cfg->ring_bytes < 65536 || (cfg->ring_bytes & (cfg->ring_bytes - 1)) != 0 ||
        cfg->max_blocks == 0 || cfg->max_blocks > SHIM_MAX_BLOCKS_LIMIT)
        return NDIS_STATUS_INVALID_PARAMETER;
    shim *s = plat_alloc(sizeof *s, PLAT_TAG_SHIM);
    if (s == NULL)
        return NDIS_STATUS_RESOURCES;
    s->ring_count = cfg->ring_count;
    s->ring_bytes = cfg->ring_bytes;
    s->max_blocks = cfg->max_blocks;
    s->next_seq = 1;
    s->next_op_id = 1;
    shim_layout_init(s->layout);
    s->rings = plat_alloc(sizeof *s->rings * cfg->ring_count, PLAT_TAG_SHIM);
    if (s->rings == NULL) {
        shim_destroy(s);
        return NDIS_STATUS_RESOURCES;
    }
    for (uint32_t i = 0; i < cfg->ring_count; i++) {
        s->rings[i].mem = plat_alloc(cfg->ring_bytes, PLAT_TAG_RING);
        if (s->rings[i].mem == NULL) {
            shim_destroy(s);
            return NDIS_STATUS_RESOURCES;
        }
        ring_init(&s->rings[i].r, s->rings[i].mem, cfg->ring_bytes);
    }
    *out = s;
    return NDIS_STATUS_SUCCESS;
}

void shim_destroy(shim *s)
{
    if (s == NULL)
        return;
    if (s->rings != NULL) {
        for (uint32_t i = 0; i < s->ring_count; i++)
            plat_free(s->rings[i].mem, PLAT_TAG_RING);
        plat_free(s->rings, PLAT_TAG_SHIM);
    }
    plat_free(s, PLAT_TAG_SHIM);
}

void shim_set_enabled(shim *s, int enabled)
{
    plat_store_release_u32(&s->pub.enabled, enabled ? 1u : 0u);
}

uint32_t shim_ring_count(const shim *s)
{
    return s->ring_count;
}

ring *shim_ring(shim *s, uint32_t i)
{
    return &s->rings[i].r;
}

uint64_t shim_next_seq(const shim *s)
{
    return plat_load_acquire_u64(&s->next_seq);
}

uint64_t shim_ring_seqs_done(const shim *s, uint32_t i)
{
    return plat_load_acquire_u64(&s->rings[i].seqs_done);
}

void shim_get_ring_stats(const shim *s, uint32_t i, shim_ring_stats *st)
{
    const shim_ring_slot *rs = &s->rings[i];
    st->events = plat_load_acquire_u64(&rs->events);
    st->dropped = plat_load_acquire_u64(&rs->dropped);
    st->loss_records = plat_load_acquire_u64(&rs->loss_records);
    st->truncated_trees = plat_load_acquire_u64(&rs->truncated);
}

uint32_t shim_flush_losses(shim *s)
{
    uint32_t pending = 0;
    for (uint32_t i = 0; i < s->ring_count; i++) {
        shim_ring_slot *rs = &s->rings[i];
        if (rs->pend_count == 0)
            continue;
        shim_loss_rec *l = ring_reserve(&rs->r, sizeof *l);
        if (l == NULL) {
            pending++;
            continue;
        }
        write_loss(rs, l, i);
        ring_commit(&rs->r);
    }
    return pending;
}
