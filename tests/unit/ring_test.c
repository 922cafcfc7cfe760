/* ring_test.c - the SPSC byte ring: ordering, wrap-around with padding, full-ring
 * behaviour, and one producer + one consumer thread moving millions of records without
 * loss, reordering or torn reads. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

typedef struct test_rec {
    ring_rec_hdr h;
    uint64_t value;
    uint64_t check; /* ~value, to catch torn records */
} test_rec;

static uint8_t buf[4096] __attribute__((aligned(64)));

static int put(ring *r, uint64_t v, uint32_t extra)
{
    uint32_t len = ring_align((uint32_t)sizeof(test_rec) + extra);
    test_rec *t = ring_reserve(r, len);
    if (t == NULL)
        return 0;
    t->h.len = len;
    t->h.type = 1;
    t->h.flags = 0;
    t->value = v;
    t->check = ~v;
    ring_commit(r);
    return 1;
}

static uint64_t take(ring *r)
{
    const test_rec *t = (const test_rec *)ring_read(r);
    cr_assert_not_null(t, "ring unexpectedly empty");
    cr_assert_eq(t->check, ~t->value, "torn record");
    uint64_t v = t->value;
    ring_release(r, &t->h);
    return v;
}

Test(ring, records_come_back_in_order)
{
    ring r;
    ring_init(&r, buf, sizeof buf);
    for (uint64_t i = 0; i < 10; i++)
        cr_assert(put(&r, i, 0));
    for (uint64_t i = 0; i < 10; i++)
        cr_assert_eq(take(&r), i);
    cr_assert_null(ring_read(&r));
    cr_assert_eq(ring_used(&r), 0);
}

Test(ring, wraps_around_with_padding_many_times)
{
    ring r;
    ring_init(&r, buf, sizeof buf);
    uint64_t next_put = 0, next_take = 0;
    /* Odd sizes force records to straddle the end, so padding records appear. */
    for (int round = 0; round < 5000; round++) {
        uint32_t extra = (uint32_t)(round * 37 % 300);
        while (put(&r, next_put, extra))
            next_put++;
        int drain = 1 + round % 7;
        for (int i = 0; i < drain && ring_read(&r) != NULL; i++)
            cr_assert_eq(take(&r), next_take++);
    }
    while (ring_read(&r) != NULL)
        cr_assert_eq(take(&r), next_take++);
    cr_assert_eq(next_take, next_put);
    cr_assert_gt(next_put, 20000, "the test did not wrap enough (%llu)",
                 (unsigned long long)next_put);
}

Test(ring, full_ring_refuses_and_recovers)
{
    ring r;
    ring_init(&r, buf, sizeof buf);
    int n = 0;
    while (put(&r, (uint64_t)n, 0))
        n++;
    cr_assert_eq(n, (int)(sizeof buf / sizeof(test_rec)), "capacity %d", n);
    cr_assert(!put(&r, 999, 0), "a full ring accepted a record");
    cr_assert_eq(take(&r), 0);
    cr_assert(put(&r, 1000, 0), "space freed by the consumer was not reused");
}

Test(ring, refuses_records_larger_than_half_the_ring)
{
    ring r;
    ring_init(&r, buf, sizeof buf);
    cr_assert_null(ring_reserve(&r, sizeof buf / 2 + 8));
    cr_assert_not_null(ring_reserve(&r, sizeof buf / 2));
}

#define SPSC_COUNT 2000000ull

static void *producer(void *arg)
{
    ring *r = arg;
    for (uint64_t i = 0; i < SPSC_COUNT;) {
        if (put(r, i, (uint32_t)(i % 5) * 8))
            i++;
    }
    return NULL;
}

Test(ring, producer_and_consumer_threads_lose_nothing, .timeout = 120)
{
    static uint8_t big[1 << 16] __attribute__((aligned(64)));
    ring r;
    ring_init(&r, big, sizeof big);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, producer, &r), 0);
    uint64_t expect = 0;
    while (expect < SPSC_COUNT) {
        const test_rec *rec = (const test_rec *)ring_read(&r);
        if (rec == NULL)
            continue;
        cr_assert_eq(rec->value, expect, "got %llu, expected %llu",
                     (unsigned long long)rec->value, (unsigned long long)expect);
        cr_assert_eq(rec->check, ~rec->value, "torn record at %llu", (unsigned long long)expect);
        ring_release(&r, &rec->h);
        expect++;
    }
    pthread_join(t, NULL);
    cr_assert_null(ring_read(&r));
}
