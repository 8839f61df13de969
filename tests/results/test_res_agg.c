/* test_res_agg.c - aggregation over replications: means and Student-t
 * intervals against a hand computation with GSL's quantile, paired
 * differences on common seeds narrower than the unpaired interval on a
 * CRN-like sweep, numeric group order, pooled axes, runs not ok left out,
 * per-device metrics, and the errors (did-you-mean, baseline). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdbool.h>
#include <unistd.h>

#include "res_testing.h"
#include "agg_testing.h"

static char path[256];

static void fresh_db(const char *name)
{
    snprintf(path, sizeof path, "%s/%s.db", scratch_dir, name);
    unlink(path);
}

static res_agg *aggregate(const char *const *by, size_t n_by, const char *const *metrics,
                          size_t n_metrics, const char *baseline)
{
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, path, &e), OFF_OK);
    res_agg_spec spec = {by, n_by, metrics, n_metrics, baseline, NULL};
    res_agg *a;
    off_status st = res_agg_compute(db, &spec, &a, &e);
    if (st != OFF_OK)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(st, OFF_OK);
    res_close(db);
    return a;
}

/* Mean and 95 % half-width of x[0..n) by hand, with GSL's statistics. */
static void by_hand(const double *x, size_t n, double *mean, double *half)
{
    *mean = gsl_stats_mean(x, 1, n);
    *half = gsl_cdf_tdist_Pinv(0.975, (double)n - 1) * gsl_stats_sd(x, 1, n) / sqrt((double)n);
}

/* Per-seed noise shared by both policies (common random numbers) and a
 * small policy-specific wobble. */
static double noise(unsigned s) { return 0.004 * (double)((s * 7) % 11) - 0.02; }
static double wobble(unsigned s, int p) { return 0.0002 * (double)((s * 3 + (unsigned)p) % 5); }

/* Two policies x 8 seeds, CRN: latency = base + noise(seed) + wobble. */
static void make_crn(void)
{
    fresh_db("crn");
    for (unsigned s = 1; s <= 8; s++)
        for (int p = 0; p < 2; p++) {
            char params[128];
            snprintf(params, sizeof params, "policy=%s;seed=%u@%u", p ? "edge" : "local", s, s);
            agg_add_run(path, p ? "edge" : "local", s, "ok",
                        (p ? 0.030 : 0.050) + noise(s) + wobble(s, p), 0.01 * (p + 1), params);
        }
}

static void test_mean_and_interval(void **state)
{
    (void)state;
    make_crn();
    const char *by[] = {"policy"}, *m[] = {"latency"};
    res_agg *a = aggregate(by, 1, m, 1, NULL);
    assert_int_equal(a->n_groups, 2);
    assert_string_equal(a->groups[0].keys[0], "edge"); /* sorted by value */
    assert_string_equal(a->groups[1].keys[0], "local");
    assert_string_equal(a->metrics[0]->name, "latency_mean");
    for (int p = 0; p < 2; p++) {
        double x[8], mean, half;
        for (unsigned s = 1; s <= 8; s++)
            x[s - 1] = (p ? 0.030 : 0.050) + noise(s) + wobble(s, p);
        by_hand(x, 8, &mean, &half);
        const res_agg_cell *c = &a->groups[p ? 0 : 1].cells[0];
        assert_int_equal(c->n, 8);
        assert_true(fabs(c->mean - mean) < 1e-12);
        assert_true(fabs(c->half - half) < 1e-12);
        assert_true(isnan(c->diff));
        assert_string_equal(c->diff_note, "no baseline");
    }
    assert_int_equal(a->n_pooled, 0);
    assert_int_equal(a->n_used, 16);
    assert_string_equal(a->title, "agg_test");
    res_agg_free(a);
}

static void test_paired_narrower(void **state)
{
    (void)state;
    make_crn();
    const char *by[] = {"policy"}, *m[] = {"latency_mean", "energy"};
    res_agg *a = aggregate(by, 1, m, 2, "policy=local");
    assert_false(a->groups[0].is_baseline);
    assert_true(a->groups[1].is_baseline);
    const res_agg_cell *c = &a->groups[0].cells[0];
    double d[8], mean, half;
    for (unsigned s = 1; s <= 8; s++)
        d[s - 1] = -0.020 + wobble(s, 1) - wobble(s, 0);
    by_hand(d, 8, &mean, &half);
    assert_int_equal(c->n_pairs, 8);
    assert_true(fabs(c->diff - mean) < 1e-12);
    assert_true(fabs(c->diff_half - half) < 1e-12);
    /* common random numbers: the paired interval is far narrower */
    assert_true(c->diff_half < c->diff_half_unpaired / 5);
    assert_string_equal(a->groups[1].cells[0].diff_note, "baseline");
    /* energy: no noise at all, the difference is exact */
    assert_true(fabs(a->groups[0].cells[1].diff - 0.01) < 1e-12);
    assert_true(fabs(a->groups[0].cells[1].diff_half) < 1e-12);
    res_agg_free(a);
}

/* Two axes: groups in numeric order of the rate, pairs within a rate. */
static void test_two_axes_numeric(void **state)
{
    (void)state;
    fresh_db("two");
    static const char *rates[] = {"10 Mbps@1e7", "500 kbps@5e5", "2 Mbps@2e6"};
    for (unsigned s = 1; s <= 3; s++)
        for (int r = 0; r < 3; r++)
            for (int p = 0; p < 2; p++) {
                char params[160];
                snprintf(params, sizeof params, "policy=%s;uplink.rate=%s;seed=%u@%u",
                         p ? "edge" : "local", rates[r], s, s);
                agg_add_run(path, p ? "edge" : "local", s, "ok", 0.01 * (r + 1) + p * 0.001 * s,
                            0.001, params);
            }
    const char *by[] = {"uplink.rate", "policy"}, *m[] = {"latency"};
    res_agg *a = aggregate(by, 2, m, 1, "policy=local");
    assert_int_equal(a->n_groups, 6);
    assert_string_equal(a->groups[0].keys[0], "500 kbps");
    assert_string_equal(a->groups[2].keys[0], "2 Mbps");
    assert_string_equal(a->groups[4].keys[0], "10 Mbps");
    assert_true(a->groups[4].nums[0] == 1e7);
    /* edge at 500 kbps (rate index 1): + 1, 2, 3 ms against local */
    const res_agg_cell *c = &a->groups[0].cells[0];
    assert_string_equal(a->groups[0].keys[1], "edge");
    assert_int_equal(c->n_pairs, 3);
    assert_true(fabs(c->diff - 0.002) < 1e-12);
    assert_true(fabs(c->mean - 0.022) < 1e-12);
    assert_int_equal(a->n_pooled, 0);
    res_agg_free(a);
}

static void test_pooled_and_left_out(void **state)
{
    (void)state;
    fresh_db("pooled");
    agg_add_run(path, "edge", 1, "ok", 0.010, 0.001, "policy=edge;uplink.rate=1 Mbps@1e6;seed=1@1");
    agg_add_run(path, "edge", 1, "ok", 0.020, 0.001, "policy=edge;uplink.rate=2 Mbps@2e6;seed=1@1");
    agg_add_run(path, "edge", 2, "failed", 0, 0, "policy=edge;uplink.rate=1 Mbps@1e6;seed=2@2");
    agg_add_run(path, "edge", 3, "interrupted", 0, 0,
                "policy=edge;uplink.rate=1 Mbps@1e6;seed=3@3");
    const char *by[] = {"policy"};
    res_agg *a = aggregate(by, 1, NULL, 0, NULL);
    assert_int_equal(a->n_groups, 1);
    assert_int_equal(a->n_used, 2);
    assert_int_equal(a->n_failed, 1);
    assert_int_equal(a->n_interrupted, 1);
    assert_int_equal(a->groups[0].cells[0].n, 2);
    assert_true(fabs(a->groups[0].cells[0].mean - 0.015) < 1e-12);
    assert_int_equal(a->n_pooled, 1);
    assert_string_equal(a->pooled[0], "uplink.rate");
    res_agg_free(a);
    /* one run per group: no interval, and it says why */
    const char *by2[] = {"uplink.rate"};
    a = aggregate(by2, 1, NULL, 0, NULL);
    assert_int_equal(a->n_groups, 2);
    assert_true(isnan(a->groups[0].cells[0].half));
    assert_string_equal(a->groups[0].cells[0].note, "n < 2");
    assert_int_equal(a->n_pooled, 0); /* the seed is no pooled axis */
    res_agg_free(a);
}

/* Per-device metrics; runs of plain `offsim run` (no params) group by
 * runs.policy and pair on runs.seed. */
static void test_devices_and_no_params(void **state)
{
    (void)state;
    fresh_db("devices");
    for (unsigned s = 1; s <= 3; s++) {
        agg_add_run(path, "local", s, "ok", 0.02, 0.002 * s, NULL);
        agg_add_run(path, "edge", s, "ok", 0.01, 0.001 * s, NULL);
    }
    const char *by[] = {"policy"}, *m[] = {"devices.energy_j", "offloaded_share"};
    res_agg *a = aggregate(by, 1, m, 2, "policy=local");
    /* devices: energy and 3 x energy, mean 2 x energy; edge: 2, 4, 6 mJ */
    assert_true(fabs(a->groups[0].cells[0].mean - 0.004) < 1e-12);
    assert_true(fabs(a->groups[0].cells[0].diff + 0.004) < 1e-12);
    assert_int_equal(a->groups[0].cells[0].n_pairs, 3);
    assert_true(fabs(a->groups[0].cells[1].mean - 0.5) < 1e-12);
    assert_string_equal(a->metrics[1]->disp_unit, "%");
    res_agg_free(a);
}

static void test_errors(void **state)
{
    (void)state;
    make_crn();
    off_err e = {0};
    assert_null(res_metric_find("latency_men", &e));
    assert_non_null(strstr(e.msg, "did you mean 'latency_mean'"));
    assert_non_null(res_metric_find("p95", &e));
    res_db *db;
    assert_int_equal(res_open_readonly(&db, path, &e), OFF_OK);
    const char *by[] = {"policy"}, *bad[] = {"energ_mean_j"};
    res_agg *a;
    res_agg_spec spec = {by, 1, bad, 1, NULL, NULL};
    assert_int_equal(res_agg_compute(db, &spec, &a, &e), OFF_EUSAGE);
    assert_non_null(strstr(e.msg, "energy_mean_j"));
    res_agg_spec nobase = {by, 1, NULL, 0, "policy=cloud", NULL};
    assert_int_equal(res_agg_compute(db, &nobase, &a, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "values: edge, local"));
    res_agg_spec notby = {by, 1, NULL, 0, "uplink.rate=1", NULL};
    assert_int_equal(res_agg_compute(db, &notby, &a, &e), OFF_EUSAGE);
    res_agg_spec where = {by, 1, NULL, 0, NULL, "r.polcy = 'edge'"};
    assert_int_equal(res_agg_compute(db, &where, &a, &e), OFF_EUSAGE);
    assert_non_null(strstr(e.msg, "--where"));
    res_agg_spec good = {by, 1, NULL, 0, NULL, "r.policy = 'edge'"};
    assert_int_equal(res_agg_compute(db, &good, &a, &e), OFF_OK);
    assert_int_equal(a->n_groups, 1);
    res_agg_free(a);
    res_close(db);
    assert_true(isnan(res_t_half(1.0, 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_and_interval),
        cmocka_unit_test(test_paired_narrower),
        cmocka_unit_test(test_two_axes_numeric),
        cmocka_unit_test(test_pooled_and_left_out),
        cmocka_unit_test(test_devices_and_no_params),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
