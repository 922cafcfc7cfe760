/* stats_hist.c - the log-linear latency histogram behind every stats group.
 *
 * HDR-style: exact buckets below 2^SUB_BITS, then 2^SUB_BITS equal sub-buckets per power
 * of two, so memory is fixed (STATS_HIST_BUCKETS counters) whatever the number or range of
 * samples, two histograms merge by adding counters, and a percentile read at a bucket's
 * midpoint is within 2^-(SUB_BITS+1) of the true sample. count, min, max and sum are exact.
 */
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"

#define SUB (1u << STATS_HIST_SUB_BITS)

ct_err stats_hist_new(stats_hist **out)
{
    stats_hist *h = malloc(sizeof *h);
    if (!h)
        return CT_ERR_NOMEM;
    stats_hist_clear(h);
    *out = h;
    return CT_OK;
}

void stats_hist_free(stats_hist *h)
{
    free(h);
}

void stats_hist_clear(stats_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

unsigned stats_hist_bucket_of(uint64_t v)
{
    if (v < SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= SUB_BITS */
    unsigned m = (unsigned)(v >> (e - STATS_HIST_SUB_BITS)) & (SUB - 1);
    return SUB + (e - STATS_HIST_SUB_BITS) * SUB + m;
}

void stats_hist_bucket_range(unsigned b, uint64_t *lo, uint64_t *hi)
{
    if (b >= STATS_HIST_BUCKETS)
        b = STATS_HIST_BUCKETS - 1;
    if (b < SUB) {
        *lo = *hi = b;
        return;
    }
    unsigned e = (b - SUB) / SUB + STATS_HIST_SUB_BITS, m = (b - SUB) % SUB;
    unsigned shift = e - STATS_HIST_SUB_BITS;
    *lo = ((uint64_t)(SUB + m)) << shift;
    *hi = *lo + ((1ull << shift) - 1);
}

void stats_hist_add(stats_hist *h, uint64_t v)
{
    stats_hist_add_inline(h, v);
}

void stats_hist_merge(stats_hist *into, const stats_hist *from)
{
    if (!from || from->n == 0)
        return;
    for (unsigned b = 0; b < STATS_HIST_BUCKETS; b++)
        into->count[b] += from->count[b];
    into->n += from->n;
    into->sum = into->sum + from->sum < into->sum ? UINT64_MAX : into->sum + from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t stats_hist_count(const stats_hist *h)
{
    return h ? h->n : 0;
}

uint64_t stats_hist_min(const stats_hist *h)
{
    return h && h->n ? h->min : 0;
}

uint64_t stats_hist_max(const stats_hist *h)
{
    return h && h->n ? h->max : 0;
}

uint64_t stats_hist_sum(const stats_hist *h)
{
    return h ? h->sum : 0;
}

double stats_hist_mean(const stats_hist *h)
{
    return h && h->n ? (double)h->sum / (double)h->n : 0.0;
}

uint64_t stats_hist_percentile(const stats_hist *h, double pct)
{
    uint64_t rank, seen = 0, lo, hi, mid;
    if (!h || h->n == 0)
        return 0;
    if (pct <= 0.0)
        return h->min;
    if (pct >= 100.0)
        return h->max;
    /* rank = ceil(pct/100 * n), in integers: pct is taken in thousandths of a percent so
     * that 99.9 is exact. */
    uint64_t milli = (uint64_t)(pct * 1000.0 + 0.5);
    unsigned __int128 num = (unsigned __int128)milli * h->n;
    rank = (uint64_t)((num + 99999u) / 100000u);
    if (rank == 0)
        rank = 1;
    if (rank >= h->n)
        return h->max;      /* the largest sample is known exactly */
    if (rank == 1)
        return h->min;
    for (unsigned b = 0; b < STATS_HIST_BUCKETS; b++) {
        seen += h->count[b];
        if (seen >= rank) {
            stats_hist_bucket_range(b, &lo, &hi);
            mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}

int stats_hist_next(const stats_hist *h, unsigned *pos, uint64_t *lo, uint64_t *hi,
                    uint64_t *count)
{
    if (!h)
        return 0;
    for (unsigned b = *pos; b < STATS_HIST_BUCKETS; b++) {
        if (h->count[b]) {
            stats_hist_bucket_range(b, lo, hi);
            *count = h->count[b];
            *pos = b + 1;
            return 1;
        }
    }
    *pos = STATS_HIST_BUCKETS;
    return 0;
}
