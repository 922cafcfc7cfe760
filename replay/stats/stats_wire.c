/* stats_wire.c - stats' fast path: an event's few fields read straight from its encoded
 * bytes, without protobuf-c.
 *
 * Decoding a whole chimtrace.v1.Record (every block, every state struct) costs ~80% of a
 * `chimtrace stats` run, and the engine needs a dozen scalars and two fields per block. The
 * scanner follows the protobuf wire rules (FORMAT.md; chimtrace.proto field numbers) for
 * the Record -> Event -> Block path only, skips every other field by its wire type, and
 * hands the same stats_ev view the decoded path builds to the same engine code. Anything
 * it does not expect (another record kind, a field repeated in an unusual way, a malformed
 * varint) goes to protobuf-c instead, so odd input is judged exactly as the decoded path
 * judges it. tests/unit/stats_test.c checks both paths give identical output.
 */
#include <stdlib.h>

#include "stats_int.h"
#include "tracefile.h"

/* Field numbers (schema/chimtrace.proto). */
enum {
    REC_EVENT = 2,
    EV_SEQ = 1, EV_TS = 2, EV_RING = 3, EV_OP = 4, EV_EDGE = 5, EV_OP_ID = 6, EV_BLOCK = 7,
    EV_TREE_TRUNCATED = 8,
    BLK_HEADER_TYPE = 4, BLK_STATUS = 7
};

typedef struct wire {
    const uint8_t *p, *end;
} wire;

static int get_varint(wire *w, uint64_t *v)
{
    size_t n = ct_varint_get(w->p, (size_t)(w->end - w->p), v);
    w->p += n;
    return n > 0;
}

/* Skip a field's value of wire type `wt`; a length-delimited payload is returned in *sub. */
static int skip_value(wire *w, unsigned wt, wire *sub)
{
    size_t n = ct_wire_skip(w->p, (size_t)(w->end - w->p), wt);
    if (n == 0)
        return 0;
    if (sub) {   /* wt 2: the payload follows its length varint */
        uint64_t len;
        size_t h = ct_varint_get(w->p, n, &len);
        *sub = (wire){w->p + h, w->p + n};
    }
    w->p += n;
    return 1;
}

/* A Block: header_type and status; everything else skipped. */
static int scan_block(wire w, stats_blk *b)
{
    *b = (stats_blk){0, 0, 0, 0};
    while (w.p < w.end) {
        uint64_t tag, v;
        if (!get_varint(&w, &tag))
            return 0;
        unsigned f = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
        if ((f == BLK_HEADER_TYPE || f == BLK_STATUS) && wt == 0) {
            if (!get_varint(&w, &v))
                return 0;
            if (f == BLK_STATUS)
                b->status = (uint32_t)v, b->has_status = 1;
            else
                b->type = (uint32_t)v, b->has_type = 1;
        } else if (f == 0 || !skip_value(&w, wt, NULL)) {
            return 0;
        }
    }
    return 1;
}

/* An Event into *ev (blocks into s->blk). 0 when the scanner cannot vouch for it. */
static int scan_event(stats_engine *s, wire w, stats_ev *ev)
{
    *ev = (stats_ev){0};
    while (w.p < w.end) {
        uint64_t tag, v;
        wire sub;
        if (!get_varint(&w, &tag))
            return 0;
        unsigned f = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
        if (f == EV_BLOCK && wt == 2) {
            if (!skip_value(&w, 2, &sub) || ev->n_block >= CT_MAX_BLOCKS_PER_EVENT ||
                stats_blk_reserve(s, ev->n_block + 1) != CT_OK ||
                !scan_block(sub, &s->blk[ev->n_block]))
                return 0;
            ev->n_block++;
            continue;
        }
        if (f >= EV_SEQ && f <= EV_TREE_TRUNCATED && wt == 0) {
            if (!get_varint(&w, &v))
                return 0;
            switch (f) {
            case EV_SEQ: ev->seq = v, ev->has_seq = 1; break;
            case EV_TS: ev->ts_ns = v, ev->has_ts = 1; break;
            case EV_RING: ev->ring = (uint32_t)v, ev->has_ring = 1; break;
            case EV_OP: ev->op = (int32_t)v, ev->has_op = 1; break;
            case EV_EDGE: ev->edge = (uint32_t)v, ev->has_edge = 1; break;
            case EV_OP_ID: ev->op_id = v, ev->has_op_id = 1; break;
            default: ev->tree_truncated = v != 0; break;
            }
            continue;
        }
        if (f == 0 || (f >= EV_SEQ && f <= EV_TREE_TRUNCATED) || !skip_value(&w, wt, NULL))
            return 0;   /* a known field with an unexpected wire type: let protobuf-c judge */
    }
    ev->blk = s->blk;
    return 1;
}

/* The slow way for one record: decode it and feed it whole. */
static ct_err feed_decoded(stats_engine *s, const uint8_t *buf, size_t len, int *damaged,
                           ct_errinfo *ei)
{
    Chimtrace__V1__Record *rec = chimtrace__v1__record__unpack(NULL, len, buf);
    ct_err err = CT_OK;

    if (!rec || (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT &&
                 rec->event->n_block > CT_MAX_BLOCKS_PER_EVENT))
        *damaged = 1;
    else
        err = stats_feed(s, rec, ei);
    if (rec)
        chimtrace__v1__record__free_unpacked(rec, NULL);
    return err;
}

ct_err stats_feed_encoded(stats_engine *s, const uint8_t *buf, size_t len, int *damaged,
                          ct_errinfo *ei)
{
    wire w = {buf, buf + len}, sub;
    uint64_t tag;
    stats_ev ev;

    *damaged = 0;
    if (s->finished)
        return ct_seterr(ei, CT_ERR_STATE, CT_NO_OFFSET, "stats: record after stats_finish");
    /* The common case: exactly one field, the event, and the engine needs no full event. */
    if (!s->objs && get_varint(&w, &tag) && tag == ((REC_EVENT << 3) | 2) &&
        skip_value(&w, 2, &sub) && w.p == w.end && scan_event(s, sub, &ev)) {
        s->records++;
        if (stats_feed_view(s, &ev) != CT_OK)
            return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "stats: out of memory");
        return CT_OK;
    }
    return feed_decoded(s, buf, len, damaged, ei);
}
