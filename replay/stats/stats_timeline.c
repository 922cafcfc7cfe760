/* stats_timeline.c - in-flight depth over time in fixed memory, in one pass.
 *
 * The end time is unknown while streaming, so the timeline starts with 1 us buckets and,
 * whenever an event falls past the last of its STATS_TIMELINE_BUCKETS buckets, merges
 * neighbouring pairs and doubles the width. Between two events the depth is constant, so
 * its time integral per bucket (for the mean) and its maximum are exact.
 */
#include <string.h>

#include "stats_int.h"

#define TL_N STATS_TIMELINE_BUCKETS
#define TL_FIRST_SHIFT 10u      /* 1024 ns */
#define TL_MAX_SHIFT 56u

static unsigned tl_shift(const stats_timeline *t)
{
    return (unsigned)__builtin_ctzll(t->width);
}

static void tl_fold(stats_timeline *t)
{
    for (unsigned i = 0; i < TL_N / 2; i++) {
        unsigned a = 2 * i, b = 2 * i + 1;
        t->b[i].max_depth = t->b[a].max_depth > t->b[b].max_depth ? t->b[a].max_depth
                                                                  : t->b[b].max_depth;
        t->b[i].events = t->b[a].events + t->b[b].events;
        t->b[i].completions = t->b[a].completions + t->b[b].completions;
        t->b[i].area = t->b[a].area + t->b[b].area;
    }
    memset(&t->b[TL_N / 2], 0, sizeof t->b[0] * (TL_N / 2));
    t->width <<= 1;
}

void stats_tl_advance(stats_timeline *t, uint64_t ts)
{
    if (!t->started) {
        t->started = 1;
        t->start = ts;
        t->width = 1ull << TL_FIRST_SHIFT;
        t->last_ts = ts;
        return;
    }
    if (ts < t->last_ts)
        ts = t->last_ts;      /* rings' clocks may interleave slightly: keep time monotonic */
    while (((ts - t->start) >> tl_shift(t)) >= TL_N && tl_shift(t) < TL_MAX_SHIFT)
        tl_fold(t);
    if (t->depth && ts > t->last_ts) {
        unsigned shift = tl_shift(t);
        uint64_t a = t->last_ts;
        while (a < ts) {
            uint64_t i = (a - t->start) >> shift;
            if (i >= TL_N)
                i = TL_N - 1;
            uint64_t end = t->start + ((i + 1) << shift), seg = end < ts ? end : ts;
            if (seg <= a)     /* only past the last bucket of a capped timeline */
                seg = ts;
            t->b[i].area += (double)t->depth * (double)(seg - a);
            if (t->depth > t->b[i].max_depth)
                t->b[i].max_depth = t->depth;
            a = seg;
        }
    }
    t->last_ts = ts;
}

void stats_tl_mark(stats_timeline *t, int event, int completion)
{
    uint64_t i = (t->last_ts - t->start) >> tl_shift(t);
    if (i >= TL_N)
        i = TL_N - 1;
    t->b[i].events += (uint64_t)event;
    t->b[i].completions += (uint64_t)completion;
    if (t->depth > t->b[i].max_depth)
        t->b[i].max_depth = t->depth;
}

size_t stats_tl_count(const stats_timeline *t)
{
    if (!t->started)
        return 0;
    uint64_t i = (t->last_ts - t->start) >> tl_shift(t);
    return i >= TL_N ? TL_N : (size_t)i + 1;
}
