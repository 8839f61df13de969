/* test_sim_rng.c - seeded random streams: reproducibility, independence of
 * entities (common random numbers), pinned golden draws, seed spread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <gsl/gsl_randist.h>

#include "sim_rng.h"

static int cmp_u64(const void *a, const void *b);

enum { DRAWS = 64 };

/* The first DRAWS raw 32-bit outputs of stream (master, name, purpose). */
static void draws_of(uint64_t master, const char *name, uint32_t purpose,
                     unsigned long out[DRAWS])
{
    gsl_rng *r = sim_rng_stream(master, sim_rng_entity_key(name), purpose);
    assert_non_null(r);
    for (size_t i = 0; i < DRAWS; i++)
        out[i] = gsl_rng_get(r);
    gsl_rng_free(r);
}

static bool same_draws(const unsigned long a[DRAWS], const unsigned long b[DRAWS])
{
    return memcmp(a, b, DRAWS * sizeof a[0]) == 0;
}

static void test_rng_same_master_name_purpose_give_identical_streams(void **state)
{
    (void)state;
    unsigned long a[DRAWS], b[DRAWS];
    draws_of(42, "phone[3]", SIM_RNG_ARRIVALS, a);
    draws_of(42, "phone[3]", SIM_RNG_ARRIVALS, b);
    assert_true(same_draws(a, b));
    /* the key is a pure function of the bytes of the name */
    char name[16];
    snprintf(name, sizeof name, "phone[%d]", 3);
    assert_int_equal(sim_rng_entity_key(name), sim_rng_entity_key("phone[3]"));
}

static void test_rng_different_purpose_name_or_master_give_different_streams(void **state)
{
    (void)state;
    unsigned long base[DRAWS], other[DRAWS];
    draws_of(42, "phone[3]", SIM_RNG_ARRIVALS, base);
    for (uint32_t p = SIM_RNG_SAMPLES; p <= SIM_RNG_SERVER; p++) {
        draws_of(42, "phone[3]", p, other);
        assert_false(same_draws(base, other));
    }
    draws_of(42, "phone[4]", SIM_RNG_ARRIVALS, other);
    assert_false(same_draws(base, other));
    draws_of(42, "phone[3] ", SIM_RNG_ARRIVALS, other); /* one byte more */
    assert_false(same_draws(base, other));
    draws_of(43, "phone[3]", SIM_RNG_ARRIVALS, other);
    assert_false(same_draws(base, other));
    /* the three inputs are not interchangeable */
    uint64_t k = sim_rng_entity_key("x");
    assert_int_not_equal(sim_rng_seed(1, k, 2), sim_rng_seed(2, k, 1));
    assert_int_not_equal(sim_rng_seed(k, 1, 2), sim_rng_seed(1, k, 2));
}

/* Common random numbers: the draws of "phone[0..9]" are the same whether
 * the scenario has 10 devices or 1000, in whatever order they are created,
 * because a stream depends only on (master, name, purpose). */
static void test_rng_adding_devices_leaves_existing_streams_unchanged(void **state)
{
    (void)state;
    enum { SMALL = 10, LARGE = 1000 };
    static unsigned long small[SMALL][DRAWS];
    char name[32];
    for (int i = 0; i < SMALL; i++) { /* scenario A: 10 devices */
        snprintf(name, sizeof name, "phone[%d]", i);
        draws_of(7, name, SIM_RNG_CHANNEL, small[i]);
    }
    /* scenario B: 1000 devices, created in reverse order, each stream used
     * interleaved with the others' */
    static gsl_rng *r[LARGE];
    for (int i = LARGE - 1; i >= 0; i--) {
        snprintf(name, sizeof name, "phone[%d]", i);
        r[i] = sim_rng_stream(7, sim_rng_entity_key(name), SIM_RNG_CHANNEL);
        assert_non_null(r[i]);
    }
    static unsigned long large[LARGE][DRAWS];
    for (size_t d = 0; d < DRAWS; d++)
        for (int i = LARGE - 1; i >= 0; i--)
            large[i][d] = gsl_rng_get(r[i]);
    for (int i = 0; i < SMALL; i++)
        assert_true(same_draws(small[i], large[i]));
    for (int i = 0; i < LARGE; i++)
        gsl_rng_free(r[i]);
}

/* Random123's known answers for Philox4x32-10 (its tests/kat_vectors):
 * counter, key -> output. */
static void test_rng_philox_matches_known_answers(void **state)
{
    (void)state;
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
         0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
         0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        sim_rng_philox4x32_10(kat[i], kat[i] + 4, out);
        for (int j = 0; j < 4; j++)
            assert_int_equal(out[j], kat[i][6 + j]);
    }
}

/* The derivation is pinned: if any of these change, every result changes
 * and SIM_RNG_NAME (recorded in runs.rng) must change (see sim_rng.h).
 * Values computed once from this implementation and cross-checked with an
 * independent Python re-implementation (FNV-1a 64 + splitmix64 for the
 * key, Philox4x32-10 from the paper's round function, which reproduces the
 * known answers above). */
static void test_rng_fixed_stream_matches_golden_values(void **state)
{
    (void)state;
    uint64_t key = sim_rng_entity_key("phone[3]");
    assert_true(key == UINT64_C(0x99e6034de31fa0d9));
    assert_true(sim_rng_seed(42, key, SIM_RNG_ARRIVALS) == UINT64_C(0xf935e92eb1b65151));
    const unsigned long golden[6] = {2828668734UL, 2783233816UL, 4292262595UL,
                                     1590689691UL, 3710797963UL, 1235138418UL};
    gsl_rng *r = sim_rng_stream(42, key, SIM_RNG_ARRIVALS);
    assert_non_null(r);
    assert_string_equal(gsl_rng_name(r), "philox4x32-10");
    assert_string_equal(gsl_rng_name(r), SIM_RNG_NAME);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(gsl_rng_get(r), golden[i]);
    gsl_rng_free(r);
    /* NULL name hashes like "" */
    assert_int_equal(sim_rng_entity_key(NULL), sim_rng_entity_key(""));
}

/* An inline stream (as devices hold them) draws what a heap one does; a
 * copy, a GSL clone and gsl_rng_memcpy continue where the original is; the
 * state is small. */
static void test_rng_inline_stream_is_a_gsl_rng_of_small_state(void **state)
{
    (void)state;
    assert_true(sizeof(sim_rng_state) <= 32);
    assert_true(sizeof(sim_rng) <= 48);
    uint64_t k = sim_rng_entity_key("device:ue#7");
    sim_rng a;
    sim_rng_init(&a, 9, k, SIM_RNG_WORK);
    gsl_rng *h = sim_rng_stream(9, k, SIM_RNG_WORK);
    assert_non_null(h);
    assert_int_equal(gsl_rng_size(&a.g), sizeof(sim_rng_state));
    for (int i = 0; i < 7; i++) /* stop mid-block */
        assert_int_equal(gsl_rng_get(&a.g), gsl_rng_get(h));
    sim_rng c;
    sim_rng_copy(&c, &a);
    gsl_rng *cl = gsl_rng_clone(h);
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(&a.g);
        assert_int_equal(gsl_rng_get(&c.g), x);
        assert_int_equal(gsl_rng_get(cl), x);
        assert_int_equal(gsl_rng_get(h), x);
        double u = gsl_rng_uniform(&a.g);
        assert_true(u >= 0 && u < 1);
        assert_true(gsl_rng_uniform(h) == u);
        gsl_rng_get(&c.g), gsl_rng_get(cl);
    }
    gsl_rng_memcpy(cl, h);
    assert_int_equal(gsl_rng_get(cl), gsl_rng_get(h));
    /* gsl_rng_set keys it from a 32-bit seed, mixed: distinct seeds differ */
    gsl_rng_set(cl, 1);
    unsigned long s1 = gsl_rng_get(cl);
    gsl_rng_set(cl, 2);
    assert_int_not_equal(gsl_rng_get(cl), s1);
    assert_int_equal(gsl_rng_max(cl), 0xffffffffUL);
    assert_int_equal(gsl_rng_min(cl), 0);
    gsl_rng_free(cl);
    gsl_rng_free(h);
}

/* sim_rng_words (a population's streams drawn together, lane by lane)
 * gives each stream the word and the state gsl_rng_get gives it alone:
 * streams in records (a stride), 37 of them (lanes left over), at every
 * position in their block (fresh, mid-block, past the first block), over
 * several passes, with the AVX2 and the portable blocks; none drawn from
 * when n is 0. */
static void test_rng_words_of_many_streams_are_those_of_each_alone(void **state)
{
    (void)state;
    enum { N = 37 };
    struct rec {
        char before[40];
        sim_rng_state s;
        double after;
    } r[N];
    sim_rng_state ref[N];
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "ue[%d]", i);
        sim_rng_state_init(&r[i].s, 17, sim_rng_entity_key(name), SIM_RNG_ARRIVALS);
        gsl_rng g = sim_rng_view(&r[i].s);
        for (int k = 0; k < i % 6; k++)
            gsl_rng_get(&g);
        ref[i] = r[i].s;
    }
    uint32_t w[N];
    sim_rng_words(&r[0].s, sizeof r[0], 0, w);
    assert_memory_equal(&r[0].s, &ref[0], sizeof ref[0]);
    for (int pass = 0; pass < 6; pass++) {
        /* both forms of the blocks: AVX2 (where the CPU has it), C */
        sim_rng_force_portable(pass % 2 == 1);
        sim_rng_words(&r[0].s, sizeof r[0], N, w);
        for (int i = 0; i < N; i++) {
            gsl_rng g = sim_rng_view(&ref[i]);
            assert_int_equal(w[i], gsl_rng_get(&g));
            assert_memory_equal(&r[i].s, &ref[i], sizeof ref[i]);
        }
    }
    sim_rng_force_portable(false);
}

/* Pearson correlation of x and y, times sqrt(n): about N(0, 1) for
 * independent uniforms. */
static double corr_z(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++)
        mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy) * sqrt((double)n);
}

static void uniforms(uint64_t master, const char *name, uint32_t purpose, double *u, size_t n)
{
    sim_rng r;
    sim_rng_init(&r, master, sim_rng_entity_key(name), purpose);
    for (size_t i = 0; i < n; i++)
        u[i] = gsl_rng_uniform(&r.g);
}

/* sim_task.c draws a Poisson gap as -mu log1p(-u) from the stream's
 * uniform (so that the first arrivals' past-the-end test can reuse the
 * uniform it drew) and relies on that being gsl_ran_exponential's value
 * bit for bit, as with every earlier binary: a GSL that computed it
 * otherwise would change every run's arrivals. */
static void test_rng_poisson_gap_is_gsl_exponential_bit_for_bit(void **state)
{
    (void)state;
    uint64_t k = sim_rng_entity_key("device:ue#3");
    sim_rng a, b;
    sim_rng_init(&a, 5, k, SIM_RNG_ARRIVALS);
    sim_rng_init(&b, 5, k, SIM_RNG_ARRIVALS);
    for (int i = 0; i < 200000; i++) {
        double rate = 1e-6 * (double)(1 + i % 1000003) + 1e-3 * (i % 7);
        double mu = 1.0 / rate;
        double x = gsl_ran_exponential(&a.g, 1.0 / rate);
        double y = -mu * log1p(-gsl_rng_uniform(&b.g));
        if (memcmp(&x, &y, sizeof x) != 0)
            fail_msg("draw %d, rate %g: gsl %.17g, -mu log1p(-u) %.17g", i, rate, x, y);
    }
}

/* Adjacent streams are uncorrelated: devices ue#i and ue#(i+1) (the keys
 * a group's members get), the purposes of one device, consecutive master
 * seeds; draw k against draw k and against draw k+1 (lag 1).  Each |z| <
 * 5.5 (all 2,400 pairs: p < 1e-4 under independence), and the z's of the
 * device pairs average to about 0 and have variance about 1. */
static void test_rng_adjacent_streams_are_uncorrelated(void **state)
{
    (void)state;
    enum { N = 4096, PAIRS = 1000 };
    static double a[N + 1], b[N + 1];
    char na[48], nb[48];
    double sum = 0, sum2 = 0, worst = 0;
    for (int i = 0; i < PAIRS; i++) {
        snprintf(na, sizeof na, "device:ue#%d", i);
        snprintf(nb, sizeof nb, "device:ue#%d", i + 1);
        uniforms(1, na, SIM_RNG_ARRIVALS, a, N + 1);
        uniforms(1, nb, SIM_RNG_ARRIVALS, b, N + 1);
        double z = corr_z(a, b, N), z1 = corr_z(a, b + 1, N);
        sum += z, sum2 += z * z;
        worst = fmax(worst, fmax(fabs(z), fabs(z1)));
        /* the same device's purposes, and the next master seed */
        uniforms(1, na, SIM_RNG_OUTCOME, b, N + 1);
        worst = fmax(worst, fabs(corr_z(a, b, N)));
        uniforms(2, na, SIM_RNG_ARRIVALS, b, N + 1);
        worst = fmax(worst, fabs(corr_z(a, b, N)));
    }
    double mean = sum / PAIRS, var = sum2 / PAIRS - mean * mean;
    printf("  %d adjacent pairs x %d draws: worst |z| %.2f, mean z %.3f, var z %.3f\n",
           PAIRS, N, worst, mean, var);
    assert_true(worst < 5.5);
    assert_true(fabs(mean) < 5.0 / sqrt(PAIRS));   /* 5 sigma of the mean */
    assert_true(fabs(var - 1) < 5.0 * sqrt(2.0 / PAIRS));
}

/* Chi-square of counts against expected e per bin, in standard deviations
 * of the chi-square distribution with bins - 1 degrees of freedom. */
static double chi2_sd(const unsigned *count, size_t bins, const double *expected)
{
    double c = 0;
    for (size_t i = 0; i < bins; i++) {
        double d = count[i] - expected[i];
        c += d * d / expected[i];
    }
    double dof = (double)bins - 1;
    return (c - dof) / sqrt(2 * dof);
}

/* Uniformity (chi-square, 1024 bins) of one long stream and of the FIRST
 * draw of 2^16 adjacent streams (what a counter-based generator keyed per
 * entity must get right); Knuth's gap test ([0, 0.1) visits: geometric
 * gaps); Marsaglia's birthday spacings (2^10 birthdays in 2^24 days:
 * duplicate spacings ~ Poisson(16), 400 samples summed ~ Poisson(6400)).
 * Each statistic within 6 standard deviations. */
static void test_rng_passes_chi_square_gap_and_birthday_tests(void **state)
{
    (void)state;
    enum { BINS = 1024, N = 1 << 20, STREAMS = 1 << 16 };
    static unsigned count[BINS];
    static double expected[BINS];
    for (size_t i = 0; i < BINS; i++)
        expected[i] = (double)N / BINS;
    sim_rng r;
    sim_rng_init(&r, 5, sim_rng_entity_key("device:ue#0"), SIM_RNG_ARRIVALS);
    for (size_t i = 0; i < N; i++)
        count[gsl_rng_get(&r.g) >> 22]++;
    double z_long = chi2_sd(count, BINS, expected);

    memset(count, 0, sizeof count);
    char name[48];
    for (int i = 0; i < STREAMS; i++) {
        snprintf(name, sizeof name, "device:ue#%d", i);
        sim_rng s;
        sim_rng_init(&s, 5, sim_rng_entity_key(name), SIM_RNG_ARRIVALS);
        count[gsl_rng_get(&s.g) >> 22]++;
    }
    for (size_t i = 0; i < BINS; i++)
        expected[i] = (double)STREAMS / BINS;
    double z_first = chi2_sd(count, BINS, expected);

    /* gap test: gap lengths 0..29 and >= 30, P(gap = g) = 0.1 * 0.9^g */
    enum { GAPS = 100000, GMAX = 30 };
    memset(count, 0, sizeof count);
    for (int g = 0; g < GAPS;) {
        unsigned len = 0;
        while (!(gsl_rng_uniform(&r.g) < 0.1))
            len++;
        count[len < GMAX ? len : GMAX]++;
        g++;
    }
    for (int g = 0; g <= GMAX; g++)
        expected[g] = GAPS * (g < GMAX ? 0.1 * pow(0.9, g) : pow(0.9, GMAX));
    double z_gap = chi2_sd(count, GMAX + 1, expected);

    /* birthday spacings, 24-bit days from the top of each word */
    enum { M = 1 << 10, SAMPLES = 400 };
    static uint64_t day[M], sp[M];
    unsigned long dup = 0;
    for (int k = 0; k < SAMPLES; k++) {
        for (int i = 0; i < M; i++)
            day[i] = gsl_rng_get(&r.g) >> 8;
        qsort(day, M, sizeof day[0], cmp_u64);
        sp[0] = day[0];
        for (int i = 1; i < M; i++)
            sp[i] = day[i] - day[i - 1];
        qsort(sp, M, sizeof sp[0], cmp_u64);
        for (int i = 1; i < M; i++)
            dup += sp[i] == sp[i - 1];
    }
    double lambda = (double)M * M * M / (4.0 * (1 << 24)) * SAMPLES;
    double z_bday = ((double)dup - lambda) / sqrt(lambda);
    printf("  chi-square, 2^20 draws of one stream:        %+.2f sd\n"
           "  chi-square, first draws of 2^16 streams:     %+.2f sd\n"
           "  gap test [0, 0.1), 10^5 gaps:               %+.2f sd\n"
           "  birthday spacings, %lu duplicates vs %.0f:  %+.2f sd\n",
           z_long, z_first, z_gap, dup, lambda, z_bday);
    assert_true(fabs(z_long) < 6 && fabs(z_first) < 6);
    assert_true(fabs(z_gap) < 6 && fabs(z_bday) < 6);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t count_distinct(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    size_t d = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        d += v[i] != v[i - 1];
    return d;
}

static void test_rng_seeds_of_many_names_are_distinct_and_spread(void **state)
{
    (void)state;
    enum { N = 10000 };
    static uint64_t seeds[N], folded[N];
    char name[32];
    unsigned bit_ones[64] = { 0 };
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "iot[%d]", i);
        uint64_t s = sim_rng_seed(1, sim_rng_entity_key(name), SIM_RNG_ARRIVALS);
        seeds[i] = s;
        for (int b = 0; b < 64; b++)
            bit_ones[b] += (unsigned)((s >> b) & 1);
    }
    assert_int_equal(count_distinct(seeds, N), N);
    /* the streams themselves differ: the first two draws of every stream,
     * as one 64-bit value, are distinct (the whole 64-bit seed is the
     * Philox key; a 32-bit seed would collide with probability ~1 % here) */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "iot[%d]", i);
        gsl_rng *r = sim_rng_stream(1, sim_rng_entity_key(name), SIM_RNG_ARRIVALS);
        uint64_t a = gsl_rng_get(r);
        folded[i] = a << 32 | gsl_rng_get(r);
        gsl_rng_free(r);
    }
    assert_int_equal(count_distinct(folded, N), N);
    /* every seed bit is set about half of the time: 5000 +- 5 sigma (250) */
    for (int b = 0; b < 64; b++) {
        assert_true(bit_ones[b] > 4750);
        assert_true(bit_ones[b] < 5250);
    }
    /* consecutive masters do not give related seeds for one entity */
    uint64_t k = sim_rng_entity_key("edge[0]");
    for (uint64_t m = 0; m < N; m++)
        seeds[m] = sim_rng_seed(m, k, SIM_RNG_SERVER);
    assert_int_equal(count_distinct(seeds, N), N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_same_master_name_purpose_give_identical_streams),
        cmocka_unit_test(test_rng_different_purpose_name_or_master_give_different_streams),
        cmocka_unit_test(test_rng_adding_devices_leaves_existing_streams_unchanged),
        cmocka_unit_test(test_rng_philox_matches_known_answers),
        cmocka_unit_test(test_rng_fixed_stream_matches_golden_values),
        cmocka_unit_test(test_rng_inline_stream_is_a_gsl_rng_of_small_state),
        cmocka_unit_test(test_rng_words_of_many_streams_are_those_of_each_alone),
        cmocka_unit_test(test_rng_poisson_gap_is_gsl_exponential_bit_for_bit),
        cmocka_unit_test(test_rng_adjacent_streams_are_uncorrelated),
        cmocka_unit_test(test_rng_passes_chi_square_gap_and_birthday_tests),
        cmocka_unit_test(test_rng_seeds_of_many_names_are_distinct_and_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
