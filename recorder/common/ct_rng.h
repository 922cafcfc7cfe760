/* ct_rng.h - the project's one seeded PRNG: splitmix64 (seeding, and tiny streams) and
 * xoshiro256** (draws). Runs must repeat bit for bit from a seed, so nothing in chimtrace
 * uses rand() or the clock for randomness. Header-only and freestanding.
 */
#ifndef CT_RNG_H
#define CT_RNG_H

#include <stdint.h>

typedef struct ct_rng {
    uint64_t s[4];
} ct_rng;

/* Advance a splitmix64 state and return the next value (every seed, 0 too, is fine). */
static inline uint64_t ct_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void ct_rng_seed(ct_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = ct_splitmix64(&seed);
}

static inline uint64_t ct_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t ct_rng_next(ct_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ct_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ct_rng_rotl(s[3], 45);
    return result;
}

#endif
