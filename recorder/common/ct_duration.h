/* ct_duration.h - the one way chimtrace reads a duration typed by a person: a plain
 * decimal number (digits with at most one '.') followed by a unit, ns, us or ms (and s
 * where allowed): "50us", "1.5ms". Used by --nic-latency specs and by stats' --min-delta,
 * so every option that takes a time accepts the same spellings. Header-only.
 */
#ifndef CT_DURATION_H
#define CT_DURATION_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum ct_duration_status {
    CT_DURATION_OK = 0,
    CT_DURATION_SYNTAX = -1,   /* not <decimal><unit> */
    CT_DURATION_RANGE = -2     /* a duration, but above the caller's maximum */
} ct_duration_status;

/* A plain non-negative decimal in s[0..n): digits with at most one '.', at least one digit
 * (no sign, exponent or spaces). 1 and *out on success, 0 otherwise. */
static inline int ct_decimal_parse(const char *s, size_t n, double *out)
{
    char num[64];
    size_t digits = 0, dots = 0;

    if (n == 0 || n >= sizeof num)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.')
            dots++;
        else
            return 0;
    }
    if (digits == 0 || dots > 1)
        return 0;
    memcpy(num, s, n);
    num[n] = '\0';
    *out = strtod(num, NULL);
    return 1;
}

/* Parse s[0..n) into nanoseconds (rounded to the nearest ns), at most max_ns. Seconds
 * ("2s") only when allow_s: the NIC latency grammar is ns/us/ms only. */
static inline ct_duration_status ct_duration_parse(const char *s, size_t n, int allow_s,
                                                   uint64_t max_ns, uint64_t *out_ns)
{
    static const struct { const char *unit; double scale; } units[] = {
        {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    size_t len = 0;
    double scale = 0, ns;

    for (size_t u = 0; u < (allow_s ? 4u : 3u) && scale == 0; u++) {
        size_t ul = strlen(units[u].unit);
        if (n > ul && memcmp(s + n - ul, units[u].unit, ul) == 0) {
            scale = units[u].scale;
            len = n - ul;
        }
    }
    if (scale == 0 || !ct_decimal_parse(s, len, &ns))
        return CT_DURATION_SYNTAX;
    ns *= scale;
    if (!(ns <= (double)max_ns))
        return CT_DURATION_RANGE;
    *out_ns = (uint64_t)llround(ns);
    return CT_DURATION_OK;
}

#endif /* CT_DURATION_H */
