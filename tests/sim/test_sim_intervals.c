/*
 * test_sim_intervals.c - whether the latency intervals say when they cannot
 * be trusted, and warmup: auto, on the simulator's M/M/1 queue
 * (tests/data/queueing/mm1_rho09.yaml: Poisson arrivals, exponential work
 * of mean 1 ms on one FCFS server; E[T] = 1 / (mu - lambda)).
 *
 * The coverage experiment (docs/validation.md): 100 short runs at rho = 0.9
 * without warm-up, whose 95 % batch-means intervals cover E[T] far less
 * often than 95 %, and 100 runs of the same length at rho = 0.5, whose
 * intervals are sound.  The check (res_stat.ci_why) must flag the runs that
 * miss, and the runs it leaves unflagged must cover at least 90 % of the
 * time.  Every figure is a proportion over many seeds, so the assertions
 * hold for any good random generator, not for one stream of numbers.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/res_testing.h"
#include "sim_test_util.h"

#define MM1 "tests/data/queueing/mm1_rho09.yaml"
#define RUNS 100

typedef struct tally {
    int runs, covered, flagged, flagged_covered, missed_flagged;
} tally;

/* runs runs of MM1 at arrival rate lambda (/s) for duration, seeds
 * 1..runs, each interval against E[T] = 1 / (1000 - lambda). */
static tally coverage(int runs, double lambda, const char *duration, const char *warmup)
{
    tally t = {0};
    double et = 1.0 / (1000.0 - lambda);
    for (int k = 1; k <= runs; k++) {
        char seed[32], rate[64], dur[32], wu[32];
        snprintf(seed, sizeof seed, "seed=%d", k);
        snprintf(rate, sizeof rate, "devices.0.arrivals.rate=%g /s", lambda);
        snprintf(dur, sizeof dur, "duration=%s", duration);
        snprintf(wu, sizeof wu, "warmup=%s", warmup);
        const char *sets[] = {seed, rate, dur, wu};
        res_summary sum;
        run_scenario_file(MM1, sets, 4, NULL, NULL, &sum);
        const res_stat *l = &sum.latency;
        assert_false(isnan(l->ci95));
        bool cov = fabs(l->mean - et) <= l->ci95, flag = l->ci_why != 0;
        t.runs++;
        t.covered += cov;
        t.flagged += flag;
        t.flagged_covered += flag && cov;
        t.missed_flagged += flag && !cov;
    }
    return t;
}

static void print_tally(const char *what, const tally *t)
{
    int unfl = t->runs - t->flagged, missed = t->runs - t->covered;
    printf("  %-28s covered %3d/%d   flagged %3d (covered %2d)   unflagged %3d (covered %3d)"
           "   missed %2d, flagged %2d\n",
           what, t->covered, t->runs, t->flagged, t->flagged_covered, unfl,
           t->covered - t->flagged_covered, missed, t->missed_flagged);
}

static void test_flag_catches_short_high_load_runs_and_spares_sound_ones(void **state)
{
    (void)state;
    tally h5 = coverage(RUNS, 900.0, "5 s", "0 s");
    tally h20 = coverage(RUNS, 900.0, "20 s", "0 s");
    tally ha = coverage(RUNS, 900.0, "20 s", "auto");
    tally lo = coverage(2 * RUNS, 500.0, "20 s", "0 s");
    print_tally("rho 0.9, 5 s, no warm-up", &h5);
    print_tally("rho 0.9, 20 s, no warm-up", &h20);
    print_tally("rho 0.9, 20 s, warmup: auto", &ha);
    print_tally("rho 0.5, 20 s, no warm-up", &lo);
    /* The short high-load intervals do under-cover (about 72 % at 5 s):
     * the experiment can tell a check that works from one that does not. */
    assert_true(h5.covered <= 85);
    /* Every interval that missed E[T] there is flagged. */
    const tally *hi[] = {&h5, &h20, &ha};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(hi[i]->missed_flagged, hi[i]->runs - hi[i]->covered);
    /* The sound runs are left alone: at rho 0.5 a 20 s run holds ~10^4
     * tasks, ~1,000 correlation times. */
    assert_true(lo.flagged <= lo.runs / 20);
    /* Coverage over every run not flagged, and over the rho 0.5 ones. */
    int unfl = 0, unfl_cov = 0;
    const tally *all[] = {&h5, &h20, &ha, &lo};
    for (size_t i = 0; i < 4; i++) {
        unfl += all[i]->runs - all[i]->flagged;
        unfl_cov += all[i]->covered - all[i]->flagged_covered;
    }
    printf("  unflagged runs: %d, covered %d (%.1f %%)\n", unfl, unfl_cov,
           100.0 * unfl_cov / unfl);
    assert_true(unfl > 0 && unfl_cov >= 0.9 * unfl);
}

/* warmup: auto counts exactly what a run with the warm-up it chose, given
 * as a fixed `warmup`, counts; the warm-up is recorded in s and in tasks. */
static void test_auto_warmup_equals_the_fixed_warmup_it_chose(void **state)
{
    (void)state;
    int cut = 0;
    for (int k = 1; k <= 20; k++) {
        char seed[32], wu[64];
        snprintf(seed, sizeof seed, "seed=%d", k);
        const char *a[] = {seed, "duration=5 s", "warmup=auto"};
        res_summary sa, sf;
        run_scenario_file(MM1, a, 3, NULL, NULL, &sa);
        assert_true(sa.warmup_auto && sa.warmup_s >= 0 && sa.warmup_s < 5.0);
        /* MSER-5 cuts at most half of the tasks */
        assert_true(2 * sa.warmup_tasks <= sa.warmup_tasks + sa.n_tasks);
        snprintf(wu, sizeof wu, "warmup=%.17g s", sa.warmup_s);
        const char *f[] = {seed, "duration=5 s", wu};
        run_scenario_file(MM1, f, 3, NULL, NULL, &sf);
        assert_false(sf.warmup_auto);
        assert_true(sf.warmup_s == sa.warmup_s);
        assert_int_equal(sf.warmup_tasks, sa.warmup_tasks);
        assert_int_equal(sf.n_tasks, sa.n_tasks);
        assert_true(sf.latency.mean == sa.latency.mean && sf.latency.ci95 == sa.latency.ci95);
        assert_true(sf.energy_mean_j == sa.energy_mean_j && sf.reward_mean == sa.reward_mean);
        cut += sa.warmup_tasks > 0;
        if (k == 1)
            printf("  seed 1: warm-up %.4f s, %zu tasks left out, %zu counted\n", sa.warmup_s,
                   sa.warmup_tasks, sa.n_tasks);
    }
    printf("  %d of 20 runs cut a warm-up\n", cut);
    assert_true(cut > 0);
}

/* The summary row and the report say the same: columns of schema 5, and
 * the report's flag line for a short high-load run, none for a sound one. */
static void test_summary_and_report_flag_the_interval(void **state)
{
    (void)state;
    char p[256], sql[256];
    snprintf(p, sizeof p, "%s/intervals.db", scratch_dir);
    int64_t hi, lo;
    res_summary s;
    const char *h[] = {"duration=5 s", "warmup=auto"};
    run_scenario_db(MM1, h, 2, p, &hi, &s);
    assert_true(s.latency.ci_why & RES_CI_SHORT);
    const char *l[] = {"duration=20 s", "warmup=1 s", "devices.0.arrivals.rate=500 /s"};
    run_scenario_db(MM1, l, 3, p, &lo, &s);
    assert_int_equal(s.latency.ci_why, 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM summary WHERE run_id = %lld AND"
             " latency_ci_ok = 0 AND latency_ci_why LIKE '%%too few%%' AND warmup_auto = 1"
             " AND latency_ci_neff < 400 AND latency_ci_lag1 IS NOT NULL", (long long)hi);
    assert_int_equal(query_int(p, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM summary WHERE run_id = %lld AND"
             " latency_ci_ok = 1 AND latency_ci_why IS NULL AND warmup_auto = 0 AND"
             " warmup_s = 1.0 AND warmup_tasks > 400 AND latency_ci_neff >= 400", (long long)lo);
    assert_int_equal(query_int(p, sql), 1);

    char *buf = report_of(p);
    assert_non_null(buf);
    printf("%s", buf ? buf : "");
    char *second = strstr(buf, "\nrun 2 ");
    assert_non_null(second);
    char *flag = strstr(buf, "UNRELIABLE interval: too few independent observations");
    assert_true(flag && flag < second && strstr(flag, "run longer, or run more seeds"));
    assert_null(strstr(second, "UNRELIABLE"));
    free(buf);
}

/* `warmup: auto` is read; any other word is an error at its position. */
static void test_warmup_key_accepts_auto_and_names_it_in_errors(void **state)
{
    (void)state;
    scn_scenario s;
    const char *a[] = {"warmup=auto"};
    load_scenario_file(MM1, a, 1, &s);
    assert_true(s.warmup_auto && s.warmup_s == 0.0);
    scn_free(&s);
    const char *f[] = {"warmup=3 s"};
    load_scenario_file(MM1, f, 1, &s);
    assert_true(!s.warmup_auto && s.warmup_s == 3.0);
    scn_free(&s);
    scn_override ov;
    char set[] = "warmup=automatic";
    off_err err = {0};
    assert_int_equal(scn_override_parse(set, &ov, &err), OFF_OK);
    assert_int_equal(scn_load(&s, MM1, &ov, 1, &err), OFF_EINVAL);
    printf("  %s\n", err.msg);
    assert_non_null(strstr(err.msg, "warmup: expected a duration such as '30 s' or 'auto', "
                                    "got 'automatic'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warmup_key_accepts_auto_and_names_it_in_errors),
        cmocka_unit_test(test_auto_warmup_equals_the_fixed_warmup_it_chose),
        cmocka_unit_test(test_summary_and_report_flag_the_interval),
        cmocka_unit_test(test_flag_catches_short_high_load_runs_and_spares_sound_ones),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
