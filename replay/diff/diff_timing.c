/* diff_timing.c - latency histograms for `chimtrace diff --timing-tolerance`.
 *
 * Log-linear buckets (exact below 128 ns, then 128 sub-buckets per power of two: under
 * 0.8% relative error), so percentiles over any number of operations take a fixed 58 KiB
 * per (trace, operation, span) histogram, allocated on first use.
 */
#include <stdlib.h>

#include "diff_int.h"

#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define BUCKETS (SUB + (64 - SUB_BITS) * SUB)

struct diff_hist {
    uint64_t n;
    uint64_t count[BUCKETS];
};

const int diff_percentiles[3] = {50, 90, 99};

static unsigned bucket_of(uint64_t v)
{
    if (v < SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);    /* >= SUB_BITS */
    unsigned m = (unsigned)(v >> (e - SUB_BITS)) & (SUB - 1);
    return SUB + (e - SUB_BITS) * SUB + m;
}

/* The middle of a bucket's range. */
static uint64_t bucket_value(unsigned b)
{
    if (b < SUB)
        return b;
    unsigned e = (b - SUB) / SUB + SUB_BITS, m = (b - SUB) % SUB;
    uint64_t lo = ((uint64_t)(SUB + m)) << (e - SUB_BITS);
    uint64_t width = 1ull << (e - SUB_BITS);
    return lo + (width - 1) / 2;
}

ct_err diff_hist_add(diff_hist **h, uint64_t ns)
{
    if (!*h && !(*h = calloc(1, sizeof **h)))
        return CT_ERR_NOMEM;
    (*h)->count[bucket_of(ns)]++;
    (*h)->n++;
    return CT_OK;
}

uint64_t diff_hist_count(const diff_hist *h)
{
    return h ? h->n : 0;
}

/* Nearest-rank percentile: the smallest value with at least pct% of samples at or below. */
uint64_t diff_hist_percentile(const diff_hist *h, int pct)
{
    uint64_t rank, seen = 0;
    if (!h || h->n == 0)
        return 0;
    rank = (h->n * (uint64_t)pct + 99) / 100;
    if (rank == 0)
        rank = 1;
    for (unsigned b = 0; b < BUCKETS; b++) {
        seen += h->count[b];
        if (seen >= rank)
            return bucket_value(b);
    }
    return bucket_value(BUCKETS - 1);
}

void diff_hist_free(diff_hist *h)
{
    free(h);
}
