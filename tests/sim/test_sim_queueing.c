/*
 * test_sim_queueing.c - the simulator's queues against queueing theory.
 *
 * Each scenario in tests/data/queueing/ is a Poisson source offloading every
 * task (policy edge, links with no delay) to one server, so a task's latency
 * is its response time in that server.  The mean response time must come
 * within 2 % of the analytic value:
 *   M/M/1  E[T] = 1 / (mu - lambda)
 *   M/M/c  E[T] = C(c, a) / (c mu - lambda) + 1/mu,  a = lambda/mu, C = Erlang C
 *   M/D/1  E[T] = rho / (2 mu (1 - rho)) + 1/mu      (Pollaczek-Khinchine)
 * The simulated value is printed with its 95 % CI (batch means) beside the
 * analytic one.  Seeds are fixed: the runs are deterministic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "sim_test_util.h"

static double erlang_c(int c, double a)
{
    /* C(c, a) = (a^c/c!) (c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!) (c/(c-a))) */
    double term = 1.0, sum = 0.0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term * c / (c - a);
    return top / (sum + top);
}

static void check_set(const char *file, const char *set, const char *set2,
                      const char *what, double analytic)
{
    res_summary sum;
    const char *sets[2] = {set, set2};
    run_scenario_file(file, sets, set ? (set2 ? 2 : 1) : 0, NULL, NULL, &sum);
    double sim = sum.latency.mean;
    double rel = (sim - analytic) / analytic;
    printf("  %-28s analytic %.5f ms   simulated %.5f ms +- %.5f (95%% CI, n=%zu)   "
           "error %+.2f %%\n",
           what, analytic * 1e3, sim * 1e3, sum.latency.ci95 * 1e3, sum.latency.n,
           rel * 100);
    assert_true(sum.latency.n > 100000);
    assert_true(fabs(rel) < 0.02);
}

static void check(const char *file, const char *what, double analytic)
{
    check_set(file, NULL, NULL, what, analytic);
}

static void test_mm1_mean_response_matches_theory(void **state)
{
    (void)state;
    double mu = 1000.0;
    check("tests/data/queueing/mm1_rho05.yaml", "M/M/1 rho=0.5", 1.0 / (mu - 500.0));
    check("tests/data/queueing/mm1_rho09.yaml", "M/M/1 rho=0.9", 1.0 / (mu - 900.0));
}

static void test_mmc_mean_response_matches_erlang_c(void **state)
{
    (void)state;
    double mu = 1000.0;
    int c = 4;
    double lam[2] = {2000.0, 3600.0};
    const char *files[2] = {"tests/data/queueing/mmc_rho05.yaml",
                            "tests/data/queueing/mmc_rho09.yaml"};
    const char *names[2] = {"M/M/4 rho=0.5", "M/M/4 rho=0.9"};
    for (int i = 0; i < 2; i++) {
        double a = lam[i] / mu;
        double et = erlang_c(c, a) / (c * mu - lam[i]) + 1.0 / mu;
        check(files[i], names[i], et);
    }
}

static void test_md1_mean_response_matches_pollaczek_khinchine(void **state)
{
    (void)state;
    double mu = 1000.0;
    double rho[2] = {0.5, 0.9};
    const char *files[2] = {"tests/data/queueing/md1_rho05.yaml",
                            "tests/data/queueing/md1_rho09.yaml"};
    const char *names[2] = {"M/D/1 rho=0.5", "M/D/1 rho=0.9"};
    for (int i = 0; i < 2; i++) {
        double et = rho[i] / (2 * mu * (1 - rho[i])) + 1.0 / mu;
        check(files[i], names[i], et);
    }
}

/* M/G/1 (Pollaczek-Khinchine): E[T] = lambda E[S^2] / (2 (1 - rho)) + E[S].
 * Uniform and log-normal work exercise the other two distributions. */
static void test_mg1_uniform_and_lognormal_service_match_pollaczek_khinchine(void **state)
{
    (void)state;
    double lam = 500.0;
    /* uniform on [0.5, 1.5] ms: E[S] = 1 ms, E[S^2] = (a^2 + ab + b^2) / 3 */
    double a = 0.5e-3, b = 1.5e-3, es = 1e-3, es2 = (a * a + a * b + b * b) / 3;
    check_set("tests/data/queueing/md1_rho05.yaml",
              "model.work={dist: uniform, min: 0.5 MMAC, max: 1.5 MMAC}", NULL,
              "M/U/1 rho=0.5", lam * es2 / (2 * (1 - lam * es)) + es);
    /* log-normal, mean 1 ms, cv 1: E[S^2] = mean^2 (1 + cv^2) */
    es2 = es * es * (1 + 1.0 * 1.0);
    check_set("tests/data/queueing/md1_rho05.yaml",
              "model.work={dist: lognormal, mean: 1 MMAC, cv: 1}", "duration=4000 s",
              "M/LN/1 rho=0.5 cv=1", lam * es2 / (2 * (1 - lam * es)) + es);
}

static void test_erlang_c_reference_values(void **state)
{
    (void)state;
    /* C(1, rho) = rho; C(2, 1) = 1/3 (textbook values). */
    assert_true(fabs(erlang_c(1, 0.7) - 0.7) < 1e-12);
    assert_true(fabs(erlang_c(2, 1.0) - 1.0 / 3.0) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erlang_c_reference_values),
        cmocka_unit_test(test_mm1_mean_response_matches_theory),
        cmocka_unit_test(test_mmc_mean_response_matches_erlang_c),
        cmocka_unit_test(test_md1_mean_response_matches_pollaczek_khinchine),
        cmocka_unit_test(test_mg1_uniform_and_lognormal_service_match_pollaczek_khinchine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
