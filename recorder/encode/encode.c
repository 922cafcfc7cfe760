/* encode.c - shim ring records to chimtrace.v1 records (see encode.h).
 *
 * The raw block bytes are read through the same NDIS_MINIPORT_OFFLOAD_BLOCK_LIST and state
 * types the driver uses, so the recorder cannot disagree with the shim about a layout. The
 * protobuf structures live in per-encoder arrays reused from one event to the next: encoding
 * allocates only when an event has more blocks than any before it.
 */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

#include "encode_state.h"

typedef struct enc_block {
    Chimtrace__V1__Block b;
    uint64_t imr[2], pr[2];
    enc_state st;
} enc_block;

struct ct_enc {
    /* stable ids: open addressing, key 0 never stored */
    uint64_t *keys, *vals;
    size_t cap, used;
    uint64_t next_id;
    /* reusable protobuf storage */
    enc_block *blocks;
    Chimtrace__V1__Block **bptrs;
    size_t nblk_cap;
    Chimtrace__V1__Record rec;
    Chimtrace__V1__Event ev;
    Chimtrace__V1__Loss loss;
};

ct_err ct_enc_new(ct_enc **out)
{
    ct_enc *e = calloc(1, sizeof *e);
    if (e == NULL)
        return CT_ERR_NOMEM;
    e->cap = 1024;
    e->keys = calloc(e->cap, sizeof *e->keys);
    e->vals = calloc(e->cap, sizeof *e->vals);
    e->next_id = 1;
    if (e->keys == NULL || e->vals == NULL) {
        ct_enc_free(e);
        return CT_ERR_NOMEM;
    }
    *out = e;
    return CT_OK;
}

void ct_enc_free(ct_enc *e)
{
    if (e == NULL)
        return;
    free(e->keys);
    free(e->vals);
    free(e->blocks);
    free(e->bptrs);
    free(e);
}

static size_t slot_of(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & mask;
}

static int grow_ids(ct_enc *e)
{
    size_t ncap = e->cap * 2;
    uint64_t *nk = calloc(ncap, sizeof *nk), *nv = calloc(ncap, sizeof *nv);
    if (nk == NULL || nv == NULL) {
        free(nk);
        free(nv);
        return 0;
    }
    for (size_t i = 0; i < e->cap; i++) {
        if (e->keys[i] == 0)
            continue;
        size_t j = slot_of(e->keys[i], ncap - 1);
        while (nk[j] != 0)
            j = (j + 1) & (ncap - 1);
        nk[j] = e->keys[i];
        nv[j] = e->vals[i];
    }
    free(e->keys);
    free(e->vals);
    e->keys = nk;
    e->vals = nv;
    e->cap = ncap;
    return 1;
}

uint64_t ct_enc_id(ct_enc *e, uint64_t raw)
{
    if (raw == 0)
        return 0;
    if ((e->used + 1) * 2 > e->cap && !grow_ids(e))
        return UINT64_MAX; /* out of memory: a recognisable, never-assigned id */
    size_t i = slot_of(raw, e->cap - 1);
    while (e->keys[i] != 0) {
        if (e->keys[i] == raw)
            return e->vals[i];
        i = (i + 1) & (e->cap - 1);
    }
    e->keys[i] = raw;
    e->vals[i] = e->next_id++;
    e->used++;
    return e->vals[i];
}

uint64_t ct_enc_ids(const ct_enc *e)
{
    return e->next_id - 1;
}

static ct_err ensure_blocks(ct_enc *e, size_t n)
{
    if (n <= e->nblk_cap)
        return CT_OK;
    enc_block *nb = realloc(e->blocks, n * sizeof *nb);
    if (nb == NULL)
        return CT_ERR_NOMEM;
    e->blocks = nb;
    Chimtrace__V1__Block **np = realloc(e->bptrs, n * sizeof *np);
    if (np == NULL)
        return CT_ERR_NOMEM;
    e->bptrs = np;
    e->nblk_cap = n;
    return CT_OK;
}

#define SET(msg, field, value) ((msg)->has_##field = 1, (msg)->field = (value))

static void encode_block(ct_enc *e, enc_block *eb, const shim_block_rec *br, uint32_t index,
                         int is_query)
{
    const NDIS_MINIPORT_OFFLOAD_BLOCK_LIST *m = (const void *)br->raw;
    Chimtrace__V1__Block *b = &eb->b;
    chimtrace__v1__block__init(b);
    SET(b, index, index);
    if (br->parent != SHIM_NO_PARENT)
        SET(b, parent, br->parent);
    SET(b, block_id, ct_enc_id(e, br->block_ptr));
    SET(b, header_type, m->Header.Type);
    SET(b, header_revision, m->Header.Revision);
    SET(b, header_size, m->Header.Size);
    SET(b, status, (uint32_t)m->Status);
    SET(b, port_number, m->PortNumber);
    SET(b, nbl_chain_set, m->NetBufferListChain != NULL);
    SET(b, nbl_chain_id, ct_enc_id(e, (uint64_t)(uintptr_t)m->NetBufferListChain));
    SET(b, offload_handle_id, ct_enc_id(e, (uint64_t)(uintptr_t)m->NdisOffloadHandle));
    SET(b, context_slot_id, ct_enc_id(e, (uint64_t)(uintptr_t)m->MiniportOffloadContext));
    if (br->flags & SHIM_BLKF_CTX_VALUE)
        SET(b, context_value_id, ct_enc_id(e, br->ctx_value));
    eb->imr[0] = ct_enc_id(e, (uint64_t)(uintptr_t)m->ImReserved[0]);
    eb->imr[1] = ct_enc_id(e, (uint64_t)(uintptr_t)m->ImReserved[1]);
    b->n_im_reserved_id = 2;
    b->im_reserved_id = eb->imr;
    SET(b, source_handle_id, ct_enc_id(e, (uint64_t)(uintptr_t)m->SourceHandle));
    eb->pr[0] = ct_enc_id(e, (uint64_t)(uintptr_t)m->ProtocolReserved[0]);
    eb->pr[1] = ct_enc_id(e, (uint64_t)(uintptr_t)m->ProtocolReserved[1]);
    b->n_protocol_reserved_id = 2;
    b->protocol_reserved_id = eb->pr;
    if (br->state_len > 0) {
        SET(b, state_bytes, br->state_len);
        ct_enc_state(e, &eb->st, b, br, m->Header.Type, is_query);
    }
}

static ct_err encode_event(ct_enc *e, const shim_event_rec *ev, uint32_t len, ct_errinfo *ei)
{
    ct_err err = ensure_blocks(e, ev->nblocks ? ev->nblocks : 1);
    if (err != CT_OK)
        return ct_seterr(ei, err, CT_NO_OFFSET, "out of memory encoding an event");
    Chimtrace__V1__Event *out = &e->ev;
    chimtrace__v1__event__init(out);
    SET(out, seq, ev->seq);
    SET(out, ts_ns, ev->ts_ns);
    SET(out, ring, ev->ring);
    SET(out, op, (Chimtrace__V1__Operation)ev->op);
    SET(out, edge, (Chimtrace__V1__Edge)ev->edge);
    SET(out, op_id, ev->op_id);
    SET(out, binding_id, ct_enc_id(e, ev->binding));
    if (ev->h.flags & (SHIM_EVF_TREE_TRUNCATED | SHIM_EVF_TREE_CYCLE)) {
        SET(out, tree_truncated, 1);
        SET(out, tree_blocks_seen, ev->blocks_seen);
    }
    if (ev->h.flags & SHIM_EVF_REENTRANT)
        SET(out, flags, CT_EVENT_FLAG_REENTRANT);
    const uint8_t *p = (const uint8_t *)(ev + 1), *end = (const uint8_t *)ev + len;
    for (uint32_t i = 0; i < ev->nblocks; i++) {
        const shim_block_rec *br = (const shim_block_rec *)p;
        if ((size_t)(end - p) < sizeof *br || br->len < sizeof *br || br->len > end - p ||
            br->state_len > br->len - sizeof *br)
            return ct_seterr(ei, CT_ERR_CORRUPT, CT_NO_OFFSET,
                             "ring record seq %llu: block %u overruns the record",
                             (unsigned long long)ev->seq, i);
        encode_block(e, &e->blocks[i], br, i, ev->op == SHIM_OP_QUERY);
        e->bptrs[i] = &e->blocks[i].b;
        p += br->len;
    }
    out->n_block = ev->nblocks;
    out->block = e->bptrs;
    chimtrace__v1__record__init(&e->rec);
    e->rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT;
    e->rec.event = out;
    return CT_OK;
}

static void encode_loss(ct_enc *e, const shim_loss_rec *l)
{
    Chimtrace__V1__Loss *out = &e->loss;
    chimtrace__v1__loss__init(out);
    SET(out, ring, l->ring);
    SET(out, count, l->count);
    SET(out, first_seq, l->first_seq);
    SET(out, last_seq, l->last_seq);
    SET(out, first_ts_ns, l->first_ts_ns);
    SET(out, last_ts_ns, l->last_ts_ns);
    SET(out, cause, CHIMTRACE__V1__LOSS_CAUSE__LOSS_RING_FULL);
    chimtrace__v1__record__init(&e->rec);
    e->rec.kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS;
    e->rec.loss = out;
}

ct_err ct_enc_record(ct_enc *e, const ring_rec_hdr *rec, const Chimtrace__V1__Record **out,
                     ct_errinfo *ei)
{
    *out = NULL;
    if (rec->type == SHIM_REC_EVENT && rec->len >= sizeof(shim_event_rec)) {
        ct_err err = encode_event(e, (const shim_event_rec *)rec, rec->len, ei);
        if (err != CT_OK)
            return err;
    } else if (rec->type == SHIM_REC_LOSS && rec->len >= sizeof(shim_loss_rec)) {
        encode_loss(e, (const shim_loss_rec *)rec);
    } else {
        return ct_seterr(ei, CT_ERR_CORRUPT, CT_NO_OFFSET,
                         "ring record of type %u and length %u is not an event or loss",
                         rec->type, rec->len);
    }
    *out = &e->rec;
    return CT_OK;
}
