/* nic_latency.c - the NIC's randomness: seeded draws from the project PRNG (ct_rng.h,
 * xoshiro256** to draw; never rand(), so a seed always gives the same run) and the
 * completion-latency distributions (fixed, uniform, lognormal) with the parser of their
 * text form, `--nic-latency fixed:50us | uniform:10us:200us | lognormal:20us:0.5`.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_duration.h"
#include "nic_int.h"

void nic_rng_seed(nic_rng *r, uint64_t seed)
{
    ct_rng_seed(r, seed);
}

uint64_t nic_rng_next(nic_rng *r)
{
    return ct_rng_next(r);
}

uint64_t nic_rng_below(nic_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Lemire-free rejection: unbiased and simple; the loop almost never repeats. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = nic_rng_next(r);
    while (x >= limit);
    return x % n;
}

double nic_rng_unit(nic_rng *r)
{
    /* 53 random bits, shifted off zero: (0, 1). */
    return ((double)(nic_rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

uint64_t nic_latency_draw(const nic_latency *l, nic_rng *r)
{
    switch (l->kind) {
    case NIC_LATENCY_UNIFORM:
        return l->a_ns + nic_rng_below(r, l->b_ns - l->a_ns + 1);
    case NIC_LATENCY_LOGNORMAL: {
        /* Box-Muller: one standard normal from two uniforms. */
        double u1 = nic_rng_unit(r), u2 = nic_rng_unit(r);
        double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        double x = (double)l->a_ns * exp(l->sigma * z);
        if (!(x < (double)NIC_LATENCY_MAX_NS))
            return NIC_LATENCY_MAX_NS;
        return (uint64_t)llround(x);
    }
    case NIC_LATENCY_FIXED:
    default:
        return l->a_ns;
    }
}

ct_err nic_latency_check(const nic_latency *l, ct_errinfo *ei)
{
    if (l->kind != NIC_LATENCY_FIXED && l->kind != NIC_LATENCY_UNIFORM &&
        l->kind != NIC_LATENCY_LOGNORMAL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "nic latency: unknown kind %d",
                         (int)l->kind);
    if (l->a_ns > NIC_LATENCY_MAX_NS || l->b_ns > NIC_LATENCY_MAX_NS)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "nic latency: above the 60 s limit");
    if (l->kind == NIC_LATENCY_UNIFORM && l->a_ns > l->b_ns)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "nic latency: uniform low bound above the high bound");
    if (l->kind == NIC_LATENCY_LOGNORMAL && !(l->sigma >= 0.0 && l->sigma <= 10.0))
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "nic latency: lognormal sigma must be in [0, 10]");
    return CT_OK;
}

/* ---- parsing ----------------------------------------------------------------------------- */

#define USAGE "expected fixed:DUR, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA; DUR like 50us " \
              "(a number with unit ns, us or ms), e.g. fixed:50us, uniform:10us:200us, " \
              "lognormal:80us:0.5"

static ct_err parse_duration(const char *spec, const char *field, size_t n, const char *what,
                             uint64_t *out, ct_errinfo *ei)
{
    switch (ct_duration_parse(field, n, 0, NIC_LATENCY_MAX_NS, out)) {
    case CT_DURATION_OK:
        return CT_OK;
    case CT_DURATION_RANGE:
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "nic latency '%s': %s '%.*s' is above the 60 s limit", spec, what,
                         (int)n, field);
    case CT_DURATION_SYNTAX:
        break;
    }
    return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                     "nic latency '%s': %s '%.*s' is not a duration (a number followed by "
                     "ns, us or ms, e.g. 50us)", spec, what, (int)n, field);
}

ct_err nic_latency_parse(const char *spec, nic_latency *out, ct_errinfo *ei)
{
    if (spec == NULL || out == NULL)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET, "nic latency: no spec given");
    const char *f[4];
    size_t len[4];
    int nf = 0;
    const char *p = spec;
    for (;;) {
        const char *c = strchr(p, ':');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (nf == 4)
            return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                             "nic latency '%s': too many ':' fields; " USAGE, spec);
        f[nf] = p;
        len[nf++] = l;
        if (c == NULL)
            break;
        p = c + 1;
    }
    nic_latency l = {0};
    int want;
    if (len[0] == 5 && memcmp(f[0], "fixed", 5) == 0) {
        l.kind = NIC_LATENCY_FIXED;
        want = 2;
    } else if (len[0] == 7 && memcmp(f[0], "uniform", 7) == 0) {
        l.kind = NIC_LATENCY_UNIFORM;
        want = 3;
    } else if (len[0] == 9 && memcmp(f[0], "lognormal", 9) == 0) {
        l.kind = NIC_LATENCY_LOGNORMAL;
        want = 3;
    } else {
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "nic latency '%s': unknown distribution '%.*s'; " USAGE, spec,
                         (int)len[0], f[0]);
    }
    if (nf != want)
        return ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                         "nic latency '%s': %.*s takes %d value%s, got %d; " USAGE, spec,
                         (int)len[0], f[0], want - 1, want == 2 ? "" : "s", nf - 1);
    ct_err e;
    switch (l.kind) {
    case NIC_LATENCY_FIXED:
        e = parse_duration(spec, f[1], len[1], "latency", &l.a_ns, ei);
        break;
    case NIC_LATENCY_UNIFORM:
        e = parse_duration(spec, f[1], len[1], "low bound", &l.a_ns, ei);
        if (e == CT_OK)
            e = parse_duration(spec, f[2], len[2], "high bound", &l.b_ns, ei);
        if (e == CT_OK && l.a_ns > l.b_ns)
            e = ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                          "nic latency '%s': low bound %" PRIu64 " ns is above high bound "
                          "%" PRIu64 " ns", spec, l.a_ns, l.b_ns);
        break;
    default:
        e = parse_duration(spec, f[1], len[1], "median", &l.a_ns, ei);
        if (e == CT_OK && (!ct_decimal_parse(f[2], len[2], &l.sigma) || l.sigma > 10.0))
            e = ct_seterr(ei, CT_ERR_ARG, CT_NO_OFFSET,
                          "nic latency '%s': sigma '%.*s' must be a unitless number in "
                          "[0, 10] (e.g. 0.5)", spec, (int)len[2], f[2]);
        break;
    }
    if (e != CT_OK)
        return e;
    *out = l;
    return CT_OK;
}

int nic_latency_format(const nic_latency *l, char *buf, size_t size)
{
    switch (l->kind) {
    case NIC_LATENCY_UNIFORM:
        return snprintf(buf, size, "uniform:%" PRIu64 "ns:%" PRIu64 "ns", l->a_ns, l->b_ns);
    case NIC_LATENCY_LOGNORMAL:
        return snprintf(buf, size, "lognormal:%" PRIu64 "ns:%.6f", l->a_ns, l->sigma);
    default:
        return snprintf(buf, size, "fixed:%" PRIu64 "ns", l->a_ns);
    }
}
