/* host_check.c - the observer-side referee of the host's tests (see host_check.h).
 *
 * Objects are known only by host_handle_id of the OffloadHandle a block carries; roles
 * are read from the tree the way a target would (placeholder: no handle; new offload: the
 * handle's context still NULL at issue). Everything else is rebuilt from the stream.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_check.h"
#include "record.h"

enum { UPLOADED = 0, OFFLOADING, OFFLOADED, INVALIDATED, TERMINATING };

typedef struct chk_obj {
    int state;
    uint32_t lane1;          /* lane + 1; 0 = not seen yet */
    int64_t parent;          /* id, -1 unknown */
    uint32_t queries, updates, invalidates;
    uint64_t term_seq1;      /* seq + 1 of the terminate that named it */
} chk_obj;

struct host_check {
    host *h;
    chk_obj *o;
    uint32_t no;
    uint8_t *seqs;           /* 0 none, 1 issued, 2 completed */
    uint64_t nseqs;
    host_check_result r;
};

static void fnv(uint64_t *d, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        *d = (*d ^ b[i]) * 0x100000001B3ull;
}

static void fnv_u64(uint64_t *d, uint64_t v)
{
    fnv(d, &v, sizeof v);
}

static void violation(host_check *c, const char *fmt, ...)
{
    if (c->r.violations++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->r.first, sizeof c->r.first, fmt, ap);
        va_end(ap);
    }
}

static chk_obj *obj(host_check *c, uint32_t id)
{
    if (id >= c->no) {
        uint32_t n = id + 64;
        chk_obj *o = realloc(c->o, n * sizeof *o);
        if (!o)
            abort();
        for (uint32_t i = c->no; i < n; i++) {
            memset(&o[i], 0, sizeof o[i]);
            o[i].parent = -1;
        }
        c->o = o;
        c->no = n;
    }
    return &c->o[id];
}

static int layer(uint32_t type)
{
    uint32_t m = shim_state_mask(type);
    return (m & 0x007u) ? 0 : (m & 0x038u) ? 1 : m ? 2 : -1;
}

/* The block carries trailing state: new offloads, and referencing blocks of query,
 * update and terminate. */
static int has_state(host_op op, int placeholder, int is_new)
{
    if (placeholder)
        return 0;
    if (op == HOST_OP_INITIATE)
        return is_new;
    return op != HOST_OP_INVALIDATE;
}

static void digest_state(host_check *c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b, uint64_t seq)
{
    uint32_t mask = shim_state_mask(b->Header.Type), off = sizeof *b;
    for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1) {
        if (!(mask & bit))
            continue;
        off = shim_state_next_offset(off, bit);
        const uint8_t *p = (const uint8_t *)b + off;
        uint32_t size = shim_state_size(bit);
        if (((const OFFLOAD_STATE_HEADER *)p)->Length != size)
            violation(c, "seq %llu: state Length %u at +%u, want %u", (unsigned long long)seq,
                      ((const OFFLOAD_STATE_HEADER *)p)->Length, off, size);
        if (bit == SHIM_ST_PATH_CONST) {
            const PATH_OFFLOAD_STATE_CONST *pc = (const void *)p;
            size_t alen = (b->Header.Type >= Ip6OffloadConstState) ? 16 : 4;
            fnv(&c->r.digest, p, sizeof(OFFLOAD_STATE_HEADER));
            if (pc->SourceAddress && pc->DestinationAddress) {
                fnv(&c->r.digest, pc->SourceAddress, alen);
                fnv(&c->r.digest, pc->DestinationAddress, alen);
            }
        } else {
            fnv(&c->r.digest, p, size);
        }
        off += size;
    }
}

/* ---- issue ------------------------------------------------------------------------------- */

static void check_fields(host_check *c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b, uint64_t seq)
{
    if (b->Status != HOST_STATUS_SENTINEL ||
        b->Header.Revision != NDIS_OFFLOAD_BLOCK_LIST_REVISION_1 ||
        b->Header.Size != sizeof *b || b->NetBufferListChain || !b->ProtocolReserved[0] ||
        b->SourceHandle || b->ImReserved[0] || b->ImReserved[1])
        violation(c, "seq %llu: block fields not as a host must fill them",
                  (unsigned long long)seq);
}

static void issue_block(host_check *c, const host_event *ev, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b,
                        int64_t parent)
{
    unsigned long long seq = (unsigned long long)ev->seq;
    PNDIS_OFFLOAD_HANDLE oh = b->OffloadHandle;
    uint32_t id = oh ? host_handle_id(c->h, oh) : UINT32_MAX;
    int is_new = oh && !oh->MiniportOffloadContext;
    check_fields(c, b, ev->seq);
    fnv(&c->r.digest, &b->Header, sizeof b->Header);
    fnv_u64(&c->r.digest, ((uint64_t)id << 8) | (oh ? 1u : 0u) | (is_new ? 2u : 0u));
    if (has_state(ev->op, !oh, is_new))
        digest_state(c, b, ev->seq);
    if (oh && id == UINT32_MAX)
        violation(c, "seq %llu: OffloadHandle of no host object", seq);
    if (id == UINT32_MAX)
        return;
    chk_obj *o = obj(c, id);
    if (o->lane1 && o->lane1 != ev->lane + 1)
        violation(c, "seq %llu: object %u issued from lane %u, owned by %u", seq, id, ev->lane,
                  o->lane1 - 1);
    o->lane1 = ev->lane + 1;
    switch (ev->op) {
    case HOST_OP_INITIATE:
        if (is_new && o->state != UPLOADED)
            violation(c, "seq %llu: second initiate of object %u", seq, id);
        if (is_new && layer(b->Header.Type) > 0 && parent < 0)
            violation(c, "seq %llu: new object %u without a parent block", seq, id);
        if (!is_new && o->state != OFFLOADED)
            violation(c, "seq %llu: linker for object %u in state %d", seq, id, o->state);
        if (is_new)
            o->state = OFFLOADING, o->parent = parent;
        break;
    case HOST_OP_QUERY:
        if (o->state != OFFLOADED && o->state != INVALIDATED)
            violation(c, "seq %llu: query of object %u in state %d", seq, id, o->state);
        o->queries++;
        break;
    case HOST_OP_UPDATE:
        if (o->state != OFFLOADED || o->updates)
            violation(c, "seq %llu: update of object %u (state %d, %u in flight)", seq, id,
                      o->state, o->updates);
        o->updates++;
        break;
    case HOST_OP_INVALIDATE:
        if (o->state != OFFLOADED)
            violation(c, "seq %llu: invalidate of object %u in state %d", seq, id, o->state);
        o->state = INVALIDATED;
        o->invalidates++;
        break;
    case HOST_OP_TERMINATE:
        if (o->state != OFFLOADED && o->state != INVALIDATED)
            violation(c, "seq %llu: terminate of object %u in state %d", seq, id, o->state);
        if (o->queries || o->updates || o->invalidates)
            violation(c, "seq %llu: terminate of object %u with operations in flight", seq, id);
        o->state = TERMINATING;
        o->term_seq1 = ev->seq + 1;
        break;
    }
}

static void walk_issue(host_check *c, const host_event *ev, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b,
                       int64_t parent)
{
    for (; b; b = b->NextBlock) {
        issue_block(c, ev, b, parent);
        uint32_t id = b->OffloadHandle ? host_handle_id(c->h, b->OffloadHandle) : UINT32_MAX;
        walk_issue(c, ev, b->DependentBlockList, id == UINT32_MAX ? -1 : (int64_t)id);
    }
}

/* §3.6/§3.8: a neighbor or path goes only with every dependent not yet uploaded. */
static void check_terminate_closure(host_check *c, const host_event *ev)
{
    for (uint32_t i = 0; i < c->no; i++) {
        chk_obj *y = &c->o[i];
        if (y->state == UPLOADED || y->term_seq1 == ev->seq + 1 || y->parent < 0)
            continue;
        if (c->o[y->parent].term_seq1 == ev->seq + 1)
            violation(c, "seq %llu: object %lld terminated with live dependent %u",
                      (unsigned long long)ev->seq, (long long)y->parent, i);
    }
}

/* ---- completion ---------------------------------------------------------------------------- */

static int offloaded(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
}

static void walk_complete(host_check *c, const host_event *ev, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b,
                          int64_t parent)
{
    for (; b; b = b->NextBlock) {
        uint32_t id = b->OffloadHandle ? host_handle_id(c->h, b->OffloadHandle) : UINT32_MAX;
        fnv_u64(&c->r.digest, ((uint64_t)id << 32) | (uint32_t)b->Status);
        if (id != UINT32_MAX) {
            chk_obj *o = obj(c, id);
            switch (ev->op) {
            case HOST_OP_INITIATE:
                if (o->state == OFFLOADING)
                    o->state = offloaded(b->Status) ? OFFLOADED : UPLOADED;
                break;
            case HOST_OP_QUERY: o->queries--; break;
            case HOST_OP_UPDATE:
                o->updates--;
                if (b->Status == NDIS_STATUS_SUCCESS && layer(b->Header.Type) == 1 && parent >= 0)
                    o->parent = parent; /* relink (§3.7) */
                break;
            case HOST_OP_INVALIDATE: o->invalidates--; break;
            case HOST_OP_TERMINATE: o->state = UPLOADED, o->term_seq1 = 0; break;
            }
        }
        walk_complete(c, ev, b->DependentBlockList, id == UINT32_MAX ? -1 : (int64_t)id);
    }
}

static uint8_t *seq_slot(host_check *c, uint64_t seq)
{
    if (seq >= c->nseqs) {
        uint64_t n = seq * 2 + 64;
        uint8_t *s = realloc(c->seqs, n);
        if (!s)
            abort();
        memset(s + c->nseqs, 0, n - c->nseqs);
        c->seqs = s;
        c->nseqs = n;
    }
    return &c->seqs[seq];
}

static void observe(void *ctx, const host_event *ev)
{
    host_check *c = ctx;
    uint8_t *slot = seq_slot(c, ev->seq);
    fnv_u64(&c->r.digest, ((uint64_t)ev->kind << 48) | ((uint64_t)ev->op << 40) |
                              ((uint64_t)ev->via << 32) | ((uint64_t)ev->lane << 16) | ev->nblocks);
    fnv_u64(&c->r.digest, ev->seq);
    if (ev->kind == HOST_EV_ISSUE) {
        if (*slot)
            violation(c, "seq %llu issued twice", (unsigned long long)ev->seq);
        *slot = 1;
        c->r.issues++;
        c->r.issued_ops[ev->op]++;
        if (c->r.nseq < HOST_CHECK_SEQ_MAX) {
            c->r.seq_ops[c->r.nseq] = (uint8_t)ev->op;
            c->r.seq_blocks[c->r.nseq++] = ev->nblocks;
        }
        walk_issue(c, ev, ev->root, -1);
        if (ev->op == HOST_OP_TERMINATE)
            check_terminate_closure(c, ev);
        return;
    }
    if (*slot != 1) {
        c->r.unmatched++;
        return;
    }
    *slot = 2;
    c->r.completes++;
    walk_complete(c, ev, ev->root, -1);
}

host_check *host_check_new(host *h)
{
    host_check *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->h = h;
    c->r.digest = 0xCBF29CE484222325ull;
    host_set_observer(h, observe, c);
    return c;
}

void host_check_free(host_check *c)
{
    if (!c)
        return;
    free(c->o);
    free(c->seqs);
    free(c);
}

void host_check_get(const host_check *c, host_check_result *out)
{
    *out = c->r;
    out->open = 0;
    for (uint64_t i = 0; i < c->nseqs; i++)
        out->open += c->seqs[i] == 1;
}
