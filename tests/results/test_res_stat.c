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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_and_type7_quantiles_on_small_data),
        cmocka_unit_test(test_batch_means_ci_matches_iid_and_widens_under_correlation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
