/*
 * test_sim_oracle.c - the oracle sees what really happens, so on the same
 * tasks (same seed: common random numbers) and without queues it is never
 * slower than a realisable policy that decides from estimates, and it
 * answers right whenever some action can:
 *   - tests/data/sim/oracle.yaml (layer table, block-fading uplink):
 *     per task, oracle latency <= Neurosurgeon's and <= local's and edge's;
 *   - the trained quickstart: the oracle's accuracy beats every fixed policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mdl_data.h"
#include "sim_test_util.h"

#define N_MAX 400

typedef struct rows {
    double lat[N_MAX];
    int correct[N_MAX];
    size_t n;
} rows;

static void keep(void *ud, const res_task_row *r)
{
    rows *k = ud;
    if (r->task_id >= 0 && r->task_id < N_MAX) {
        k->lat[r->task_id] = r->latency_s;
        k->correct[r->task_id] = r->correct;
        if ((size_t)r->task_id + 1 > k->n)
            k->n = (size_t)r->task_id + 1;
    }
}

static rows run_policy(const char *path, const char *policy, const char *extra)
{
    rows k;
    memset(&k, 0, sizeof k);
    char set[64];
    snprintf(set, sizeof set, "policy=%s", policy);
    const char *sets[2] = {set, extra};
    res_summary sum;
    run_scenario_file(path, sets, extra ? 2 : 1, keep, &k, &sum);
    return k;
}

static void test_oracle_is_never_slower(void **state)
{
    (void)state;
    const char *path = "tests/data/sim/oracle.yaml";
    rows o = run_policy(path, "oracle", NULL);
    const char *others[] = {"neurosurgeon", "local", "edge"};
    for (int p = 0; p < 3; p++) {
        rows r = run_policy(path, others[p], NULL);
        assert_int_equal(o.n, r.n);
        size_t faster = 0, wrong_but_fast = 0;
        double so = 0, sr = 0;
        for (size_t i = 0; i < o.n; i++) {
            so += o.lat[i];
            sr += r.lat[i];
            if (r.correct[i] && !o.correct[i])
                wrong_but_fast++;
            else if (r.correct[i] == o.correct[i])
                assert_true(o.lat[i] <= r.lat[i] + 1e-9);
            faster += o.lat[i] < r.lat[i] - 1e-9;
        }
        printf("  oracle vs %-12s: mean latency %.3f vs %.3f ms, faster on %zu of %zu "
               "tasks\n", others[p], 1e3 * so / (double)o.n, 1e3 * sr / (double)r.n, faster,
               o.n);
        assert_int_equal(wrong_but_fast, 0); /* it answers right when anything can */
        assert_true(so <= sr + 1e-9);
    }
}

static void test_oracle_answers_best_on_real_images(void **state)
{
    (void)state;
    struct stat sb;
    if (stat(MDL_FASHION_DIR, &sb) != 0 && !getenv("OFFSIM_FASHION_MNIST_DIR"))
        skip();
    const char *path = "scenarios/examples/quickstart.yaml";
    const char *extra = "duration=10 s";
    rows o = run_policy(path, "oracle", extra);
    const char *others[] = {"local", "edge", "branchynet"};
    size_t ro = 0;
    for (size_t i = 0; i < o.n; i++)
        ro += (size_t)o.correct[i];
    for (int p = 0; p < 3; p++) {
        rows r = run_policy(path, others[p], extra);
        size_t rr = 0;
        for (size_t i = 0; i < r.n; i++)
            rr += (size_t)r.correct[i];
        printf("  accuracy on the same images: oracle %.2f %%, %s %.2f %%\n",
               100.0 * (double)ro / (double)o.n, others[p], 100.0 * (double)rr / (double)r.n);
        assert_true(ro > rr);
    }
}

/* objective: reward: on the same tasks, without queues, its mean reward is
 * the largest of all (the scenario's reward: latency costs 10 per second,
 * energy 5 per joule, a wrong answer loses 1) */
static void test_reward_oracle_has_the_best_reward(void **state)
{
    (void)state;
    const char *pols[] = {"policy={type: oracle, objective: reward}", "policy=oracle",
                          "policy={type: oracle, objective: energy}", "policy=local",
                          "policy=edge", "policy=neurosurgeon", "policy=random"};
    double best = -INFINITY, first = 0;
    for (size_t i = 0; i < sizeof pols / sizeof *pols; i++) {
        const char *sets[] = {pols[i], "reward={accuracy: 1, latency: 10, energy: 5}"};
        res_summary sum;
        run_scenario_file("tests/data/sim/oracle.yaml", sets, 2, NULL, NULL, &sum);
        printf("  %-45s mean reward %.4f\n", pols[i], sum.reward_mean);
        if (i == 0)
            first = sum.reward_mean;
        else if (sum.reward_mean > best)
            best = sum.reward_mean;
    }
    assert_true(first >= best);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_is_never_slower),
        cmocka_unit_test(test_oracle_answers_best_on_real_images),
        cmocka_unit_test(test_reward_oracle_has_the_best_reward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
