/* nic_frames_test.c - the simulated NIC's pure pieces, without the NDIS model: the frame
 * builder (Ethernet, 802.1Q, IPv4/IPv6, TCP; checksums recomputed by the independent reader
 * in nic_wire_check.c), the latency spec parser (good and bad inputs, message text) and the
 * seeded PRNG and latency draws (same seed, same numbers).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nic_int.h"
#include "nic_wire_check.h"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Both checksums, recomputed by the independent reader (nic_wire_check.c). */
static void expect_checksums_ok(const uint8_t *f, uint32_t len)
{
    wc_frame w;
    cr_assert(wc_parse(f, len, &w), "frame parses");
    cr_expect(w.ip_csum_ok, "IPv4 header checksum verifies");
    cr_expect(w.tcp_csum_ok, "TCP checksum verifies");
}

/* ---- frame builder ------------------------------------------------------------------------ */

static nic_frame_desc base_desc(int v6, uint16_t vlan)
{
    nic_frame_desc d;
    memset(&d, 0, sizeof d);
    memcpy(d.dst_mac, "\x02\x00\x00\x00\x00\x02", 6);
    memcpy(d.src_mac, "\x02\x00\x00\x00\x00\x01", 6);
    d.vlan_id = vlan;
    d.user_priority = 5;
    d.ipv6 = v6;
    if (v6) {
        memcpy(d.src_ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
        memcpy(d.dst_ip, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
    } else {
        memcpy(d.src_ip, "\x0a\x00\x00\x01", 4);
        memcpy(d.dst_ip, "\x0a\x00\x00\x02", 4);
    }
    d.tos = 0x28;
    d.ttl = 64;
    d.flow_label = 0xABCDE;
    d.ip_id = 0x1234;
    d.sport[0] = 0x1F;
    d.sport[1] = 0x90; /* 8080 */
    d.dport[0] = 0xC0;
    d.dport[1] = 0x01; /* 49153 */
    d.seq = 0xFFFFFFF0u;
    d.ack = 0x01020304u;
    d.flags = NIC_TCP_ACK | NIC_TCP_PSH;
    d.window = 4096;
    d.payload_len = 101; /* odd: exercises the checksum's padding byte */
    return d;
}

Test(nic_frames, ipv4_untagged_fields_and_checksums_verify)
{
    nic_frame_desc d = base_desc(0, 0);
    uint8_t f[NIC_FRAME_MAX];
    uint32_t len = nic_frame_build(&d, f, sizeof f);
    cr_assert_eq(len, 14 + 20 + 20 + 101);
    cr_expect_eq(memcmp(f, d.dst_mac, 6), 0);
    cr_expect_eq(memcmp(f + 6, d.src_mac, 6), 0);
    cr_expect_eq(be16(f + 12), 0x0800);
    const uint8_t *ip = f + 14, *tcp = ip + 20;
    cr_expect_eq(ip[0], 0x45);
    cr_expect_eq(ip[1], 0x28);
    cr_expect_eq(be16(ip + 2), 20 + 20 + 101);
    cr_expect_eq(be16(ip + 4), 0x1234);
    cr_expect_eq(ip[8], 64);
    cr_expect_eq(ip[9], 6);
    cr_expect_eq(memcmp(ip + 12, d.src_ip, 4), 0);
    cr_expect_eq(memcmp(ip + 16, d.dst_ip, 4), 0);
    cr_expect_eq(be16(tcp), 8080);
    cr_expect_eq(be16(tcp + 2), 49153);
    cr_expect_eq(be32(tcp + 4), 0xFFFFFFF0u);
    cr_expect_eq(be32(tcp + 8), 0x01020304u);
    cr_expect_eq(tcp[12] >> 4, 5);
    cr_expect_eq(tcp[13], NIC_TCP_ACK | NIC_TCP_PSH);
    cr_expect_eq(be16(tcp + 14), 4096);
    expect_checksums_ok(f, len);
    for (uint32_t i = 0; i < 101; i++)
        cr_expect_eq(tcp[20 + i], (uint8_t)(0xF0 + i), "payload byte %u", i);
}

Test(nic_frames, vlan_tag_present_iff_vlan_id_nonzero)
{
    nic_frame_desc d = base_desc(0, 0x123);
    uint8_t f[NIC_FRAME_MAX];
    uint32_t len = nic_frame_build(&d, f, sizeof f);
    cr_assert_eq(len, 18 + 20 + 20 + 101);
    cr_expect_eq(be16(f + 12), 0x8100);
    cr_expect_eq(be16(f + 14), (5u << 13) | 0x123, "PCP 5, VID 0x123");
    cr_expect_eq(be16(f + 16), 0x0800);
    const uint8_t *ip = f + 18;
    cr_expect_eq(ip[0], 0x45);
    expect_checksums_ok(f, len);

    d.vlan_id = 0;
    cr_assert_eq(nic_frame_build(&d, f, sizeof f), 14 + 20 + 20 + 101);
    cr_expect_eq(be16(f + 12), 0x0800, "no tag for VLAN id 0");
}

Test(nic_frames, ipv6_header_flow_label_and_checksum_verify)
{
    nic_frame_desc d = base_desc(1, 7);
    d.has_ts = 1;
    d.ts_val = 0xAABBCCDD;
    d.ts_ecr = 0x11223344;
    uint8_t f[NIC_FRAME_MAX];
    uint32_t len = nic_frame_build(&d, f, sizeof f);
    cr_assert_eq(len, 18 + 40 + 32 + 101);
    cr_expect_eq(be16(f + 16), 0x86DD);
    const uint8_t *ip = f + 18, *tcp = ip + 40;
    uint32_t w0 = be32(ip);
    cr_expect_eq(w0 >> 28, 6);
    cr_expect_eq((w0 >> 20) & 0xFF, 0x28, "traffic class");
    cr_expect_eq(w0 & 0xFFFFF, 0xABCDE, "flow label");
    cr_expect_eq(be16(ip + 4), 32 + 101, "payload length");
    cr_expect_eq(ip[6], 6);
    cr_expect_eq(ip[7], 64, "hop limit");
    cr_expect_eq(memcmp(ip + 8, d.src_ip, 16), 0);
    cr_expect_eq(memcmp(ip + 24, d.dst_ip, 16), 0);
    cr_expect_eq(tcp[12] >> 4, 8, "data offset with the timestamp option");
    const uint8_t opt[4] = {1, 1, 8, 10};
    cr_expect_eq(memcmp(tcp + 20, opt, 4), 0);
    cr_expect_eq(be32(tcp + 24), 0xAABBCCDD);
    cr_expect_eq(be32(tcp + 28), 0x11223344);
    expect_checksums_ok(f, len);
}

Test(nic_frames, pure_ack_has_no_payload_and_verifies)
{
    nic_frame_desc d = base_desc(0, 0);
    d.payload_len = 0;
    d.flags = NIC_TCP_ACK;
    uint8_t f[64];
    uint32_t len = nic_frame_build(&d, f, sizeof f);
    cr_assert_eq(len, 54);
    expect_checksums_ok(f, len);
}

Test(nic_frames, too_small_buffer_returns_zero)
{
    nic_frame_desc d = base_desc(1, 1);
    uint8_t f[100];
    cr_expect_eq(nic_frame_build(&d, f, sizeof f), 0);
}

/* ---- latency spec parsing ------------------------------------------------------------------ */

Test(nic_latency, parses_good_specs)
{
    nic_latency l;
    ct_errinfo ei;
    cr_assert_eq(nic_latency_parse("fixed:50us", &l, &ei), CT_OK);
    cr_expect_eq(l.kind, NIC_LATENCY_FIXED);
    cr_expect_eq(l.a_ns, 50000);
    cr_assert_eq(nic_latency_parse("fixed:0ns", &l, &ei), CT_OK);
    cr_expect_eq(l.a_ns, 0);
    cr_assert_eq(nic_latency_parse("fixed:1.5us", &l, &ei), CT_OK);
    cr_expect_eq(l.a_ns, 1500);
    cr_assert_eq(nic_latency_parse("fixed:2ms", &l, &ei), CT_OK);
    cr_expect_eq(l.a_ns, 2000000);
    cr_assert_eq(nic_latency_parse("uniform:10us:200us", &l, &ei), CT_OK);
    cr_expect_eq(l.kind, NIC_LATENCY_UNIFORM);
    cr_expect_eq(l.a_ns, 10000);
    cr_expect_eq(l.b_ns, 200000);
    cr_assert_eq(nic_latency_parse("uniform:7ns:7ns", &l, &ei), CT_OK);
    cr_assert_eq(nic_latency_parse("lognormal:20us:0.5", &l, &ei), CT_OK);
    cr_expect_eq(l.kind, NIC_LATENCY_LOGNORMAL);
    cr_expect_eq(l.a_ns, 20000);
    cr_expect_float_eq(l.sigma, 0.5, 1e-12);
    cr_assert_eq(nic_latency_parse("lognormal:1ms:0", &l, &ei), CT_OK);
}

static void expect_bad(const char *spec, const char *needle)
{
    nic_latency l = {.kind = NIC_LATENCY_FIXED, .a_ns = 4242};
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    cr_expect_eq(nic_latency_parse(spec, &l, &ei), CT_ERR_ARG, "'%s' must be refused", spec);
    cr_expect_eq(ei.code, CT_ERR_ARG);
    cr_expect_eq(l.a_ns, 4242, "'%s': output untouched on failure", spec);
    cr_expect_neq(strstr(ei.msg, needle), NULL, "'%s': message '%s' lacks '%s'", spec, ei.msg,
                  needle);
}

Test(nic_latency, refuses_bad_specs_with_clear_messages)
{
    expect_bad("", "unknown distribution");
    expect_bad("gauss:5us", "unknown distribution 'gauss'");
    expect_bad("fixed", "fixed takes 1 value, got 0");
    expect_bad("fixed:", "'' is not a duration");
    expect_bad("fixed:50", "'50' is not a duration");
    expect_bad("fixed:50s", "not a duration");
    expect_bad("fixed:abcus", "not a duration");
    expect_bad("fixed:-5us", "not a duration");
    expect_bad("fixed:1.2.3us", "not a duration");
    expect_bad("fixed:50us:3us", "fixed takes 1 value, got 2");
    expect_bad("fixed:61000ms", "60 s limit");
    expect_bad("uniform:10us", "uniform takes 2 values, got 1");
    expect_bad("uniform:200us:10us", "above high bound");
    expect_bad("uniform:10us:x", "high bound 'x'");
    expect_bad("lognormal:20us:-1", "sigma '-1'");
    expect_bad("lognormal:20us:x", "sigma 'x'");
    expect_bad("lognormal:20us:11", "[0, 10]");
    expect_bad("lognormal:20:0.5", "median '20'");
    expect_bad("a:b:c:d:e", "too many");
    nic_latency l;
    ct_errinfo ei;
    cr_expect_eq(nic_latency_parse(NULL, &l, &ei), CT_ERR_ARG);
}

Test(nic_latency, format_round_trips)
{
    const char *specs[] = {"fixed:50us", "uniform:10us:200us", "lognormal:20us:0.75"};
    for (size_t i = 0; i < 3; i++) {
        nic_latency a, b;
        char buf[80];
        cr_assert_eq(nic_latency_parse(specs[i], &a, NULL), CT_OK);
        nic_latency_format(&a, buf, sizeof buf);
        cr_assert_eq(nic_latency_parse(buf, &b, NULL), CT_OK, "%s -> %s", specs[i], buf);
        cr_expect_eq(a.kind, b.kind);
        cr_expect_eq(a.a_ns, b.a_ns);
        cr_expect_eq(a.b_ns, b.b_ns);
        cr_expect_float_eq(a.sigma, b.sigma, 1e-9);
    }
}

/* ---- PRNG and draws ------------------------------------------------------------------------ */

Test(nic_latency, same_seed_same_draws_other_seed_other_draws)
{
    nic_rng a, b, c;
    nic_rng_seed(&a, 42);
    nic_rng_seed(&b, 42);
    nic_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = nic_rng_next(&a);
        cr_assert_eq(x, nic_rng_next(&b));
        differ += x != nic_rng_next(&c);
    }
    cr_expect_gt(differ, 990);
}

Test(nic_latency, draws_follow_their_distribution)
{
    nic_rng r;
    nic_rng_seed(&r, 7);
    nic_latency fx = {.kind = NIC_LATENCY_FIXED, .a_ns = 20000};
    for (int i = 0; i < 100; i++)
        cr_assert_eq(nic_latency_draw(&fx, &r), 20000);

    nic_latency un = {.kind = NIC_LATENCY_UNIFORM, .a_ns = 10, .b_ns = 19};
    int seen[10] = {0};
    for (int i = 0; i < 10000; i++) {
        uint64_t x = nic_latency_draw(&un, &r);
        cr_assert(x >= 10 && x <= 19, "uniform draw %llu out of range", (unsigned long long)x);
        seen[x - 10]++;
    }
    for (int i = 0; i < 10; i++)
        cr_expect(seen[i] > 800 && seen[i] < 1200, "value %d drawn %d times", 10 + i, seen[i]);

    /* Lognormal: half the draws fall below the median. */
    nic_latency ln = {.kind = NIC_LATENCY_LOGNORMAL, .a_ns = 20000, .sigma = 0.5};
    int below = 0;
    for (int i = 0; i < 20000; i++)
        below += nic_latency_draw(&ln, &r) < 20000;
    cr_expect(below > 9600 && below < 10400, "%d of 20000 below the median", below);

    nic_latency huge = {.kind = NIC_LATENCY_LOGNORMAL, .a_ns = 50000000000ull, .sigma = 10};
    for (int i = 0; i < 1000; i++)
        cr_assert_leq(nic_latency_draw(&huge, &r), NIC_LATENCY_MAX_NS);
}

Test(nic_latency, rng_below_stays_in_range)
{
    nic_rng r;
    nic_rng_seed(&r, 1);
    cr_expect_eq(nic_rng_below(&r, 0), 0);
    for (int i = 0; i < 1000; i++)
        cr_assert_lt(nic_rng_below(&r, 3), 3);
    for (int i = 0; i < 1000; i++) {
        double u = nic_rng_unit(&r);
        cr_assert(u > 0.0 && u < 1.0);
    }
}
