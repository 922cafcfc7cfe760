/* reader_seek.c - seeking by sequence number or time, and chunk enumeration for tools.
 *
 * A seek finds the first chunk, in file order, whose event range reaches the target (from
 * the footer index, or a header scan when the footer is gone), loads it and stops at the
 * first matching event. Because a chunk's max seq/ts bounds every event in it, that is
 * exactly the record a linear scan would find, even if the events are not sorted.
 */
#include <string.h>

#include "reader_internal.h"

typedef struct seek_ctx {
    int by_time;
    uint64_t target;
    int found;
    ct_chunk_info chunk;
} seek_ctx;

static int seek_pick(void *vctx, const ct_chunk_info *c)
{
    seek_ctx *s = vctx;
    if (c->events == 0)
        return 0;
    uint64_t hi = s->by_time ? c->max_ts_ns : c->last_seq;
    if (hi < s->target)
        return 0;
    s->found = 1;
    s->chunk = *c;
    return 1;
}

static int record_matches(const Chimtrace__V1__Record *rec, int by_time, uint64_t target)
{
    if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
        return 0;
    const Chimtrace__V1__Event *ev = rec->event;
    if (by_time)
        return ev->has_ts_ns && ev->ts_ns >= target;
    return ev->has_seq && ev->seq >= target;
}

static ct_err seek(ct_reader *r, int by_time, uint64_t target, ct_errinfo *ei)
{
    seek_ctx s = {by_time, target, 0, {0}};
    ct_reader_rewind(r, ei);
    ct_err e = rd_enum_chunks(r, seek_pick, &s, ei);
    if (e != CT_OK)
        return e;
    if (!s.found) {
        r->done = 1;
        return ct_seterr(ei, CT_ERR_NOT_FOUND, CT_NO_OFFSET, "%s: no event with %s >= %llu",
                         r->path, by_time ? "ts_ns" : "seq", (unsigned long long)target);
    }
    r->pos = s.chunk.offset;
    for (;;) {
        const Chimtrace__V1__Record *rec;
        e = ct_reader_next(r, &rec, ei);
        if (e != CT_OK)
            return e;
        if (rec == NULL || (r->chunk.offset != s.chunk.offset)) {
            r->done = 1; /* the index promised a match the chunk does not hold */
            return ct_seterr(ei, CT_ERR_CORRUPT, s.chunk.offset, "%s: byte %llu: chunk %u "
                             "does not hold the event its index entry promises", r->path,
                             (unsigned long long)s.chunk.offset, s.chunk.index);
        }
        if (record_matches(rec, by_time, target)) {
            r->pending = 1;
            return CT_OK;
        }
    }
}

ct_err ct_reader_seek_seq(ct_reader *r, uint64_t seq, ct_errinfo *ei)
{
    return seek(r, 0, seq, ei);
}

ct_err ct_reader_seek_time(ct_reader *r, uint64_t ts_ns, ct_errinfo *ei)
{
    return seek(r, 1, ts_ns, ei);
}

typedef struct count_ctx {
    ct_reader *r;
    ct_chunk_fn fn;
    void *ctx;
    uint64_t chunks, records, events, end;
} count_ctx;

static int count_chunk(void *vctx, const ct_chunk_info *c)
{
    count_ctx *k = vctx;
    k->chunks++;
    k->records += c->records;
    k->events += c->events;
    if (c->end > k->end)
        k->end = c->end;
    return k->fn != NULL ? k->fn(k->ctx, c) : 0;
}

ct_err ct_reader_chunks(ct_reader *r, ct_chunk_fn fn, void *ctx, ct_errinfo *ei)
{
    count_ctx k = {r, fn, ctx, 0, 0, 0, r->data_start};
    uint64_t saved_end = r->st.complete_end;
    ct_err e = rd_enum_chunks(r, count_chunk, &k, ei);
    if (e != CT_OK)
        return e;
    r->st.index_source = r->index_source;
    r->st.chunks = k.chunks;
    r->st.records = k.records;
    r->st.events = k.events;
    r->st.complete_end = k.end > saved_end ? k.end : saved_end;
    if (!r->has_footer || r->index_source == CT_INDEX_REBUILT) {
        /* A scan ran to the end of the data: learn how the file ends. */
        r->st.has_footer = r->has_footer && r->index_source == CT_INDEX_FOOTER;
        if (!r->has_footer) {
            r->st.truncated = 1;
            r->st.truncated_at = r->size;
        }
    }
    return CT_OK;
}

void ct_reader_status(const ct_reader *r, ct_file_status *st)
{
    *st = r->st;
    if (st->index_source == CT_INDEX_UNKNOWN)
        st->index_source = r->index_source;
}

const char *ct_index_source_name(ct_index_source s)
{
    switch (s) {
    case CT_INDEX_FOOTER: return "footer";
    case CT_INDEX_REBUILT: return "rebuilt by scanning chunk headers (footer missing or damaged)";
    case CT_INDEX_UNKNOWN:
    default: return "not read yet";
    }
}
