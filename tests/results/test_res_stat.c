/* test_res_stat.c - summary statistics: quantiles and batch-means CIs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"

static void test_mean_and_type7_quantiles_on_small_data(void **state)
{
    (void)state;
    double x[] = {5, 1, 4, 2, 3}, scratch[5];
    res_stat s;
    res_stat_compute(&s, x, 5, scratch);
    assert_true(s.mean == 3.0);
    assert_true(s.p50 == 3.0);
    assert_true(fabs(s.p95 - 4.8) < 1e-12); /* h = 4*0.95 = 3.8: 4 + 0.8*(5-4) */
    assert_true(fabs(s.p99 - 4.96) < 1e-12);
    assert_true(s.min == 1.0 && s.max == 5.0);
    assert_true(isnan(s.ci95)); /* fewer than 40 values */
    assert_true(x[0] == 5); /* input untouched */
    res_stat_compute(&s, x, 0, scratch);
    assert_true(isnan(s.mean));
}

static double naive_ci(const double *x, size_t n)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    return 1.96 * sqrt(v / (double)(n - 1) / (double)n);
}

static void test_batch_means_ci_matches_iid_and_widens_under_correlation(void **state)
{
    (void)state;
    size_t n = 200000;
    double *x = malloc(n * sizeof *x), *scratch = malloc(n * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    for (size_t i = 0; i < n; i++)
        x[i] = gsl_ran_gaussian(r, 1.0);
    res_stat s;
    res_stat_compute(&s, x, n, scratch);
    double iid = naive_ci(x, n);
    printf("  i.i.d.: batch-means CI %.5f, classical %.5f\n", s.ci95, iid);
    /* with 19 dof the batch-means half-width scatters around the classical
     * one by about 16 % (sd of a chi-square estimate) */
    assert_true(s.ci95 > 0.6 * iid && s.ci95 < 1.5 * iid);
    /* AR(1), phi = 0.95: the true variance of the mean is (1+phi)/(1-phi) =
     * 39 times the i.i.d. one, so the honest CI is about 6.2 times wider */
    x[0] = 0;
    for (size_t i = 1; i < n; i++)
        x[i] = 0.95 * x[i - 1] + gsl_ran_gaussian(r, 1.0);
    res_stat_compute(&s, x, n, scratch);
    iid = naive_ci(x, n);
    printf("  AR(1) phi=0.95: batch-means CI %.5f, classical %.5f (ratio %.2f, theory 6.24)\n",
           s.ci95, iid, s.ci95 / iid);
    assert_true(s.ci95 / iid > 4.0 && s.ci95 / iid < 9.0);
    gsl_rng_free(r);
    free(x);
    free(scratch);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The type-7 quantile of sorted x, as the sort-based version computed it. */
static double ref_quantile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Quantiles found by selection equal those of a full sort, bit for bit, on
 * sizes 1..300 and 10^5 with continuous values, heavy ties, sorted and
 * reversed inputs. */
static void test_quantiles_by_selection_equal_those_of_a_sort(void **state)
{
    (void)state;
    size_t big = 100000;
    double *x = malloc(big * sizeof *x), *sorted = malloc(big * sizeof *x),
           *scratch = malloc(big * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    size_t cases = 0;
    for (size_t n = 1; n <= 301; n++) {
        size_t len = n == 301 ? big : n;
        for (int kind = 0; kind < 4; kind++) {
            for (size_t i = 0; i < len; i++) {
                double v = kind == 1 ? (double)gsl_rng_uniform_int(r, 5) /* ties */
                                     : gsl_ran_exponential(r, 1e-3);
                x[i] = kind == 2 ? (double)i : kind == 3 ? (double)(len - i) : v;
            }
            memcpy(sorted, x, len * sizeof *x);
            qsort(sorted, len, sizeof *x, cmp_d);
            res_stat s;
            res_stat_compute(&s, x, len, scratch);
            assert_true(s.min == sorted[0] && s.max == sorted[len - 1]);
            assert_true(s.p50 == ref_quantile(sorted, len, 0.50));
            assert_true(s.p95 == ref_quantile(sorted, len, 0.95));
            assert_true(s.p99 == ref_quantile(sorted, len, 0.99));
            cases++;
        }
    }
    printf("  %zu inputs: selection and sort give identical quantiles\n", cases);
    gsl_rng_free(r);
    free(x);
    free(sorted);
    free(scratch);
}

/* The checks on the interval: i.i.d. data pass; a series whose
 * correlation time is long against the batches (AR(1), phi = 0.999: about
 * 2,000 values per independent one) is "too few independent observations";
 * a slow drift gives correlated batch means. */
static void test_interval_checks_pass_iid_and_flag_long_correlation(void **state)
{
    (void)state;
    size_t n = 200000;
    double *x = malloc(n * sizeof *x), *scratch = malloc(n * sizeof *x);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    int flagged_iid = 0;
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < n / 10; i++)
            x[i] = gsl_ran_exponential(r, 1.0);
        res_stat s;
        res_stat_compute(&s, x, n / 10, scratch);
        assert_true(s.ci_neff > 0.3 * (double)(n / 10) && s.ci_neff < 3.0 * (double)(n / 10));
        flagged_iid += s.ci_why != 0;
    }
    /* lag-1 > 0.5 among 20 independent normal batch means: 1 in ~350 */
    assert_true(flagged_iid <= 1);

    res_stat s;
    x[0] = 0;
    for (size_t i = 1; i < n; i++)
        x[i] = 0.95 * x[i - 1] + gsl_ran_gaussian(r, 1.0);
    res_stat_compute(&s, x, n, scratch);
    printf("  AR(1) phi=0.95:  n_eff %.0f (theory %.0f), lag-1 %.2f, why %u\n", s.ci_neff,
           (double)n / 39.0, s.ci_lag1, s.ci_why);
    assert_true(s.ci_neff > 2000 && !(s.ci_why & RES_CI_SHORT));
    for (size_t i = 1; i < n; i++)
        x[i] = 0.999 * x[i - 1] + gsl_ran_gaussian(r, 1.0);
    res_stat_compute(&s, x, n, scratch);
    printf("  AR(1) phi=0.999: n_eff %.0f (theory %.0f), lag-1 %.2f, why %u\n", s.ci_neff,
           (double)n / 1999.0, s.ci_lag1, s.ci_why);
    assert_true(s.ci_why & RES_CI_SHORT);
    for (size_t i = 0; i < n; i++)
        x[i] = sin(6.283185307179586 * (double)i / (double)n) + gsl_ran_gaussian(r, 1.0);
    res_stat_compute(&s, x, n, scratch);
    printf("  one slow period: lag-1 %.2f, why %u\n", s.ci_lag1, s.ci_why);
    assert_true(s.ci_lag1 > 0.5 && (s.ci_why & RES_CI_CORRELATED));
    /* equal values: a zero-width interval with nothing to distrust, but
     * under 400 of them are too few all the same */
    for (size_t i = 0; i < 1000; i++)
        x[i] = 2.5;
    res_stat_compute(&s, x, 1000, scratch);
    assert_true(s.ci95 == 0.0 && s.ci_why == 0);
    res_stat_compute(&s, x, 399, scratch);
    assert_true(s.ci95 == 0.0 && s.ci_why == RES_CI_SHORT);
    /* no interval, no checks */
    res_stat_compute(&s, x, 39, scratch);
    assert_true(isnan(s.ci95) && isnan(s.ci_lag1) && isnan(s.ci_neff) && s.ci_why == 0);

    char buf[96];
    res_ci_why_text(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    res_ci_why_text(RES_CI_CORRELATED | RES_CI_SHORT, buf, sizeof buf);
    assert_string_equal(buf, "correlated batch means, too few independent observations");
    res_ci_why_text(RES_CI_NO_STEADY, buf, 8);
    assert_string_equal(buf, "no stea");
    gsl_rng_free(r);
    free(x);
    free(scratch);
}

/* MSER-5 on series with a known transient: an exponential decay from 11 to
 * the steady level 1 (time constant 100 values) under unit noise is cut
 * where the decay has sunk into the noise, and the mean of what is left is
 * the steady level; a stationary series loses little; a trend without end
 * is cut at the limit (half the series) and said to have no steady state. */
static void test_mser5_cuts_a_known_transient(void **state)
{
    (void)state;
    size_t n = 20000;
    double *x = malloc(n * sizeof *x), share;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    size_t dmin = n, dmax = 0;
    double worst_bias = 0.0, worst_raw = 0.0;
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < n; i++)
            x[i] = 1.0 + 10.0 * exp(-(double)i / 100.0) + gsl_ran_gaussian(r, 1.0);
        size_t d = res_mser5(x, n, &share);
        assert_true(d % 5 == 0 && share == (double)d / (double)n);
        double m = 0.0, raw = 0.0;
        for (size_t i = 0; i < n; i++) {
            raw += x[i];
            if (i >= d)
                m += x[i];
        }
        m /= (double)(n - d);
        raw /= (double)n;
        dmin = d < dmin ? d : dmin;
        dmax = d > dmax ? d : dmax;
        worst_bias = fmax(worst_bias, fabs(m - 1.0));
        worst_raw = fmax(worst_raw, fabs(raw - 1.0));
    }
    printf("  transient (tau 100): d in [%zu, %zu]; |mean - 1| <= %.4f after, %.4f before\n",
           dmin, dmax, worst_bias, worst_raw);
    /* 10 exp(-d/100) below the noise's sd: d >= ~230; far less than 5 tau
     * plus a few batches of noise */
    assert_true(dmin >= 150 && dmax <= 1000);
    assert_true(worst_bias < 0.03 && worst_raw > 0.04);

    size_t big = 0;
    for (int rep = 0; rep < 20; rep++) {
        for (size_t i = 0; i < n; i++)
            x[i] = gsl_ran_gaussian(r, 1.0);
        res_mser5(x, n, &share);
        big += share >= RES_MSER_MAX_SHARE;
    }
    assert_true(big <= 1);

    for (size_t i = 0; i < n; i++)
        x[i] = (double)i / (double)n + gsl_ran_gaussian(r, 0.01);
    size_t d = res_mser5(x, n, &share);
    printf("  trend: d %zu of %zu\n", d, n);
    assert_true(share >= RES_MSER_MAX_SHARE && d <= n / 2);

    for (size_t i = 0; i < n; i++)
        x[i] = 4.0; /* ties everywhere: the smallest d */
    assert_true(res_mser5(x, n, &share) == 0 && share == 0.0);
    assert_true(res_mser5(x, 9, &share) == 0);
    assert_true(res_mser5(x, 0, &share) == 0 && share == 0.0);
    gsl_rng_free(r);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_and_type7_quantiles_on_small_data),
        cmocka_unit_test(test_batch_means_ci_matches_iid_and_widens_under_correlation),
        cmocka_unit_test(test_quantiles_by_selection_equal_those_of_a_sort),
        cmocka_unit_test(test_interval_checks_pass_iid_and_flag_long_correlation),
        cmocka_unit_test(test_mser5_cuts_a_known_transient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
