/* nic_latency_test.c - what-if timing: `chimtrace replay --nic model --nic-latency SPEC`.
 *
 * The spec parser's accepts and refusals (each message checked), the distributions'
 * shapes over many seeded draws, and replays of a recorded churn workload through the
 * simulated NIC: every NIC-completed operation's request-out -> completion-in interval in
 * OUT follows the spec (exactly for fixed, within bounds for uniform, around the median
 * for lognormal), the same seed gives the same bytes and another seed other bytes, a slower
 * NIC makes operations slower end to end, and the CLI refuses bad combinations (exit 2).
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nic_int.h"
#include "replay_helpers.h"

TestSuite(nic_latency, .init = tf_scratch_setup, .fini = tf_scratch_teardown, .timeout = 120);

#define US 1000ull

/* ---- the spec parser ------------------------------------------------------------------------ */

static nic_latency parse_ok(const char *spec)
{
    nic_latency l;
    ct_errinfo ei = {0};
    cr_assert_eq(nic_latency_parse(spec, &l, &ei), CT_OK, "'%s': %s", spec, ei.msg);
    return l;
}

Test(nic_latency, parser_accepts_the_three_forms_with_units)
{
    nic_latency l = parse_ok("fixed:50us");
    cr_expect(l.kind == NIC_LATENCY_FIXED && l.a_ns == 50 * US);
    l = parse_ok("fixed:750ns");
    cr_expect_eq(l.a_ns, 750);
    l = parse_ok("fixed:1.25ms");
    cr_expect_eq(l.a_ns, 1250 * US);
    l = parse_ok("uniform:10us:200us");
    cr_expect(l.kind == NIC_LATENCY_UNIFORM && l.a_ns == 10 * US && l.b_ns == 200 * US);
    l = parse_ok("uniform:5us:5us");
    cr_expect(l.a_ns == l.b_ns);
    l = parse_ok("lognormal:80us:0.5");
    cr_expect(l.kind == NIC_LATENCY_LOGNORMAL && l.a_ns == 80 * US && l.sigma == 0.5);
    l = parse_ok("lognormal:1ms:0");
    cr_expect(l.sigma == 0.0);
}

static void refused(const char *spec, const char *needle)
{
    nic_latency l = {.kind = NIC_LATENCY_FIXED, .a_ns = 77};
    ct_errinfo ei = {0};
    cr_expect_eq(nic_latency_parse(spec, &l, &ei), CT_ERR_ARG, "'%s' accepted", spec);
    cr_expect_eq(l.a_ns, 77, "'%s': output changed on failure", spec);
    cr_expect(strstr(ei.msg, needle) != NULL, "'%s': '%s' lacks '%s'", spec, ei.msg, needle);
    cr_expect(strstr(ei.msg, spec) != NULL, "'%s': message does not quote the spec: %s", spec,
              ei.msg);
}

Test(nic_latency, parser_refuses_with_a_message_saying_what_was_expected)
{
    /* A bare number has no unit: durations must say ns, us or ms. */
    refused("fixed:50", "'50' is not a duration (a number followed by ns, us or ms, e.g. 50us)");
    refused("fixed:50s", "not a duration");
    refused("fixed:", "not a duration");
    refused("normal:5us", "unknown distribution 'normal'; expected fixed:DUR, uniform:MIN:MAX "
                          "or lognormal:MEDIAN:SIGMA; DUR like 50us");
    refused("fixed:1us:2us", "fixed takes 1 value, got 2; expected fixed:DUR");
    refused("uniform:10us", "uniform takes 2 values, got 1");
    refused("uniform:200us:10us", "low bound 200000 ns is above high bound 10000 ns");
    refused("lognormal:80us", "lognormal takes 2 values, got 1");
    refused("lognormal:80us:-0.5", "sigma '-0.5' must be a unitless number in [0, 10]");
    refused("lognormal:80us:10.5", "[0, 10]");
    refused("lognormal:80:0.5", "median '80' is not a duration");
    refused("fixed:2000000ms", "above the 60 s limit");
}

/* ---- the distributions ---------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(nic_latency, uniform_draws_cover_their_range_evenly)
{
    nic_latency l = parse_ok("uniform:10us:200us");
    nic_rng r;
    nic_rng_seed(&r, 5);
    enum { N = 100000, BINS = 10 };
    uint64_t bin[BINS] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t x = nic_latency_draw(&l, &r);
        cr_assert(x >= 10 * US && x <= 200 * US, "draw %llu out of range", (unsigned long long)x);
        bin[(x - 10 * US) * BINS / (190 * US + 1)]++;
    }
    for (int b = 0; b < BINS; b++) /* each tenth holds 10% +- 0.6% (about 6 sigma) */
        cr_expect(bin[b] > N / BINS * 94 / 100 && bin[b] < N / BINS * 106 / 100,
                  "bin %d holds %llu of %d", b, (unsigned long long)bin[b], N);
}

Test(nic_latency, lognormal_draws_center_on_the_median_and_stay_capped)
{
    nic_latency l = parse_ok("lognormal:80us:0.5");
    nic_rng r;
    nic_rng_seed(&r, 11);
    enum { N = 100001 };
    uint64_t *v = malloc(N * sizeof *v);
    cr_assert_not_null(v);
    for (int i = 0; i < N; i++)
        v[i] = nic_latency_draw(&l, &r);
    qsort(v, N, sizeof *v, cmp_u64);
    uint64_t med = v[N / 2];
    cr_expect(med > 80 * US * 98 / 100 && med < 80 * US * 102 / 100, "median %llu ns",
              (unsigned long long)med);
    /* exp(0.5 * 1.2816) = 1.898: the 90th percentile sits near 151.8 us. */
    uint64_t p90 = v[N * 9 / 10];
    cr_expect(p90 > 146 * US && p90 < 158 * US, "p90 %llu ns", (unsigned long long)p90);
    free(v);
    nic_latency wild = parse_ok("lognormal:50000ms:10");
    for (int i = 0; i < 1000; i++)
        cr_assert_leq(nic_latency_draw(&wild, &r), NIC_LATENCY_MAX_NS);
}

/* ---- replays through the simulated NIC ------------------------------------------------------ */

static char in_path[256];

/* A deterministic churn recording: ~300 instances, each one NIC round trip. */
static void record_churn(void)
{
    tf_scratch_path(in_path, sizeof in_path, "churn.ctrace");
    char args[512];
    snprintf(args, sizeof args, "record --workload churn --rounds 150 --connections 2 "
             "--deterministic -o %s", in_path);
    cr_assert_eq(rh_cli(args, NULL), 0, "record failed");
}

static void replay_model(const char *spec, int has_seed, uint64_t seed, const char *name,
                         char *out)
{
    tf_scratch_path(out, 256, name);
    replay_opts o;
    replay_opts_init(&o);
    o.in_path = in_path;
    o.out_path = out;
    o.nic = REPLAY_NIC_MODEL;
    o.nic_latency = spec;
    o.has_seed = has_seed;
    o.seed = seed;
    o.writer.sync = CT_SYNC_NONE;
    replay_result res;
    ct_errinfo ei = {0};
    cr_assert_eq(replay_run(&o, &res, &ei), CT_OK, "replay %s: %s", spec, ei.msg);
    cr_assert_gt(res.out_events, 0);
}

/* Per instance of OUT: the ts of each edge (0 when absent) and which edges were seen. */
typedef struct timing {
    uint64_t n;
    uint64_t nic[4096];     /* request-out -> completion-in, NIC-completed instances */
    uint64_t e2e_sum;       /* request-in -> completion-out, summed */
    uint64_t e2e_n;
} timing;

static void read_timing(const char *path, timing *t)
{
    enum { MAX_OPS = 4096 };
    static uint64_t ts[MAX_OPS][5];
    static uint8_t have[MAX_OPS];
    memset(ts, 0, sizeof ts);
    memset(have, 0, sizeof have);
    memset(t, 0, sizeof *t);
    ct_reader *r;
    ct_errinfo ei = {0};
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    const Chimtrace__V1__Record *rec;
    while (ct_reader_next(r, &rec, &ei) == CT_OK && rec != NULL) {
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
            continue;
        const Chimtrace__V1__Event *ev = rec->event;
        cr_assert(ev->op_id < MAX_OPS && ev->edge >= 1 && ev->edge <= 4);
        ts[ev->op_id][ev->edge] = ev->ts_ns;
        have[ev->op_id] |= (uint8_t)(1u << ev->edge);
    }
    ct_reader_close(r);
    for (size_t i = 0; i < MAX_OPS; i++) {
        if ((have[i] & 0xC) == 0xC)
            t->nic[t->n++] = ts[i][3] - ts[i][2];
        if ((have[i] & 0x12) == 0x12) {
            t->e2e_sum += ts[i][4] - ts[i][1];
            t->e2e_n++;
        }
    }
    cr_assert_gt(t->n, 200, "%s: only %llu NIC round trips", path, (unsigned long long)t->n);
}

Test(nic_latency, fixed_latency_is_every_nic_interval_in_out)
{
    record_churn();
    char out[256];
    replay_model("fixed:50us", 0, 0, "fixed.ctrace", out);
    static timing t;
    read_timing(out, &t);
    for (uint64_t i = 0; i < t.n; i++)
        cr_assert_eq(t.nic[i], 50 * US, "instance %llu: %llu ns", (unsigned long long)i,
                     (unsigned long long)t.nic[i]);
}

Test(nic_latency, uniform_latency_stays_within_bounds_and_spreads)
{
    record_churn();
    char out[256];
    replay_model("uniform:10us:200us", 1, 3, "uniform.ctrace", out);
    static timing t;
    read_timing(out, &t);
    uint64_t low = 0, high = 0;
    for (uint64_t i = 0; i < t.n; i++) {
        cr_assert(t.nic[i] >= 10 * US && t.nic[i] <= 200 * US, "%llu ns",
                  (unsigned long long)t.nic[i]);
        low += t.nic[i] < 57500;            /* first quarter of the range */
        high += t.nic[i] > 152500;          /* last quarter */
    }
    cr_expect(low > t.n / 8 && high > t.n / 8, "not spread: %llu low, %llu high of %llu",
              (unsigned long long)low, (unsigned long long)high, (unsigned long long)t.n);
}

Test(nic_latency, lognormal_latency_has_its_median_in_out)
{
    record_churn();
    char out[256];
    replay_model("lognormal:80us:0.5", 1, 9, "lognormal.ctrace", out);
    static timing t;
    read_timing(out, &t);
    qsort(t.nic, t.n, sizeof t.nic[0], cmp_u64);
    uint64_t med = t.nic[t.n / 2];
    /* ~300 draws: the sample median's spread is about 3.6%; allow 15%. */
    cr_expect(med > 68 * US && med < 92 * US, "median %llu ns over %llu",
              (unsigned long long)med, (unsigned long long)t.n);
    cr_expect(t.nic[0] < 60 * US && t.nic[t.n - 1] > 110 * US, "no spread");
}

Test(nic_latency, same_seed_same_bytes_other_seed_other_bytes)
{
    record_churn();
    char a[256], b[256], c[256];
    replay_model("uniform:10us:200us", 1, 42, "a.ctrace", a);
    replay_model("uniform:10us:200us", 1, 42, "b.ctrace", b);
    replay_model("uniform:10us:200us", 1, 43, "c.ctrace", c);
    cr_expect(rh_files_equal(a, b), "same seed, different OUT");
    cr_expect(!rh_files_equal(a, c), "another seed, same OUT");
    static timing ta, tc;
    read_timing(a, &ta);
    read_timing(c, &tc);
    cr_expect(ta.n != tc.n || memcmp(ta.nic, tc.nic, ta.n * sizeof ta.nic[0]) != 0,
              "another seed drew the same latencies");
}

Test(nic_latency, a_slower_nic_makes_operations_slower_end_to_end)
{
    record_churn();
    char fast[256], slow[256];
    replay_model("fixed:50us", 0, 0, "fast.ctrace", fast);
    replay_model("fixed:200us", 0, 0, "slow.ctrace", slow);
    static timing tf, ts;
    read_timing(fast, &tf);
    read_timing(slow, &ts);
    cr_assert_gt(tf.e2e_n, 0);
    cr_assert_gt(ts.e2e_n, 0);
    double mf = (double)tf.e2e_sum / (double)tf.e2e_n, ms = (double)ts.e2e_sum / (double)ts.e2e_n;
    cr_expect(mf >= 50e3 && ms >= 200e3, "mean end to end: fast %.0f ns, slow %.0f ns", mf, ms);
    cr_expect(ms > mf + 100e3, "slow %.0f ns is not slower than fast %.0f ns", ms, mf);
}

/* A NIC slower or more erratic than IN's must not make the trace host break the ordering
 * rules (a terminate overtaking its object's initiate, a path terminated before its TCP
 * connections): OUT keeps the chimney contract, and every instance is still replayed. */
Test(nic_latency, what_if_replays_keep_the_hosts_ordering_rules)
{
    record_churn();
    static const char *const specs[] = {"fixed:200us", "uniform:1us:500us",
                                        "lognormal:80us:1"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char out[256], args[768];
        tf_scratch_path(out, sizeof out, "whatif.ctrace");
        replay_opts o;
        replay_opts_init(&o);
        o.in_path = in_path;
        o.out_path = out;
        o.nic = REPLAY_NIC_MODEL;
        o.nic_latency = specs[i];
        o.has_seed = 1;
        o.seed = 4;
        replay_result res;
        ct_errinfo ei = {0};
        cr_assert_eq(replay_run(&o, &res, &ei), CT_OK, "%s: %s", specs[i], ei.msg);
        cr_expect_eq(res.replayed, res.instances, "%s", specs[i]);
        cr_expect_eq(res.out_events, 4 * res.replayed, "%s", specs[i]);
        cr_expect_eq(res.host_outstanding, 0, "%s", specs[i]);
        snprintf(args, sizeof args, "verify %s", out);
        cr_expect_eq(rh_cli(args, NULL), 0, "%s: OUT breaks the chimney contract", specs[i]);
    }
}

/* ---- the CLI -------------------------------------------------------------------------------- */

static void expect_cli(const char *extra, int status, const char *needle)
{
    char args[768], err[256];
    tf_scratch_path(err, sizeof err, "stderr.txt");
    snprintf(args, sizeof args, "replay %s -o %s/o.ctrace %s", in_path, tf_dir, extra);
    cr_assert_eq(rh_cli(args, err), status, "'%s'", extra);
    uint8_t *text = NULL;
    size_t len = 0;
    cr_assert_eq(tf_slurp(err, &text, &len), 0);
    text = realloc(text, len + 1);
    text[len] = '\0';
    cr_expect(strstr((char *)text, needle) != NULL, "'%s': stderr '%s' lacks '%s'", extra,
              (char *)text, needle);
    free(text);
}

Test(nic_latency, cli_refuses_bad_specs_and_scripted_mode)
{
    record_churn();
    expect_cli("--nic model --nic-latency fixed:50", 2, "is not a duration");
    expect_cli("--nic model --nic-latency uniform:9us:3us", 2, "above high bound");
    expect_cli("--nic model --nic-latency gauss:1us", 2,
               "expected fixed:DUR, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA; DUR like 50us");
    expect_cli("--nic scripted --nic-latency fixed:50us", 2, "need --nic model");
    expect_cli("--nic-latency fixed:50us", 2, "need --nic model");
    expect_cli("--nic model --nic-latency fixed:20us -q", 0, "model NIC");
}
