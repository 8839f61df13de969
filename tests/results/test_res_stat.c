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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_and_type7_quantiles_on_small_data),
        cmocka_unit_test(test_batch_means_ci_matches_iid_and_widens_under_correlation),
        cmocka_unit_test(test_quantiles_by_selection_equal_those_of_a_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
