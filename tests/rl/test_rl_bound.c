/*
 * test_rl_bound.c - the oracle's reward bound (policies/pol_oracle.c,
 * objective: reward), the reference of the learning agents' normalised
 * score: on tests/rl/bound.yaml (tasks that never overlap, so that what
 * happens to a task depends on its action alone) the bound is at least the
 * mean reward of every policy of the registry, of every constant action
 * (exit x split x bits), and of a trained PPO agent, on every seed tried,
 * under several reward weightings (the last the one under which the
 * oracle's own run once scored below local); and the oracle's own run
 * never exceeds it.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pol.h"
#include "sim/sim_test_util.h"

#define BOUND "tests/rl/bound.yaml"

/* the mean reward of the scenario's run with sets (at most 4), on seed;
 * with t: the world is made with it (the oracle sums its bound there) */
static double run_mean(const char *const *sets, size_t n, uint64_t seed, pol_train *t)
{
    scn_scenario s;
    load_scenario_file(BOUND, sets, n, &s);
    s.seed = seed;
    sim_world *w = NULL;
    res_summary sum;
    off_err err = {0};
    if (sim_world_new_train(&w, &s, t, NULL, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        fail();
    }
    assert_int_equal(sim_world_run(w, NULL, 0, NULL, NULL, &sum, &err), OFF_OK);
    sim_world_free(w);
    scn_free(&s);
    return sum.reward_mean;
}

static void test_oracle_bounds_every_policy(void **state)
{
    (void)state;
    static const char *const weights[] = {
        "reward={accuracy: 1, latency: 0, latency_deadline: 0.5, deadline_miss: 1}",
        "reward={accuracy: 1, latency: 5}",
        "reward={accuracy: 2, energy: 20, deadline_miss: 0.5}",
        "reward={accuracy: 1, latency: 1, energy: 5, deadline_miss: 3}",
    };
    /* a PPO agent trained briefly on the last weighting */
    char ckpt[256];
    snprintf(ckpt, sizeof ckpt, "/tmp/offsim-bound-%ld.ckpt", (long)getpid());
    {
        const char *sets[] = {weights[3], "policy={type: ppo, hidden: 16, rollout: 64, "
                                          "lr: 0.003, eval_every: 0}"};
        scn_scenario s;
        load_scenario_file(BOUND, sets, 2, &s);
        pol_train t = {.max_steps = 1200, .seed = 1};
        off_err err = {0};
        assert_int_equal(sim_train(&s, &t, 1, NULL, NULL, NULL, &err), OFF_OK);
        assert_int_equal(pol_rl_save(&t, ckpt, &err), OFF_OK);
        t.free_agent(t.agent);
        scn_free(&s);
    }
    char ppo[300];
    snprintf(ppo, sizeof ppo, "policy={type: ppo, hidden: 16, checkpoint: %s}", ckpt);
    size_t n_cls;
    const pol_class *const *cls = pol_registry(&n_cls);
    size_t checked = 0;
    for (size_t k = 0; k < sizeof weights / sizeof weights[0]; k++) {
        double worst_gap = INFINITY;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            const char *os[] = {weights[k]};
            pol_train sink = {0};
            double own = run_mean(os, 1, seed, &sink);
            assert_true(sink.bound_n > 30);
            double bound = sink.bound_sum / (double)sink.bound_n;
            assert_true(own <= bound + 1e-12);
            /* every policy of the registry, at its defaults */
            for (size_t c = 0; c < n_cls; c++) {
                if (pol_is_learning(cls[c]) || pol_sees_realised(cls[c]))
                    continue;
                char pset[128];
                snprintf(pset, sizeof pset, "policy={type: %s}", cls[c]->name);
                const char *ps[] = {weights[k], pset};
                double r = run_mean(ps, 2, seed, NULL);
                assert_true(r <= bound + 1e-12);
                worst_gap = fmin(worst_gap, bound - r);
                checked++;
            }
            /* every constant action: exits x splits x bits */
            static const char *const exits[] = {"0", "1"};
            static const int bits[] = {4, 8, 32};
            for (int e = 0; e < 2; e++)
                for (int sp = 0; sp <= 7; sp++)
                    for (int b = 0; b < 3; b++) {
                        char pset[160];
                        snprintf(pset, sizeof pset,
                                 "policy={type: fixed, exit: %s, split: %d, bits: %d}",
                                 exits[e], sp, bits[b]);
                        const char *ps[] = {weights[k], pset};
                        double r = run_mean(ps, 2, seed, NULL);
                        assert_true(r <= bound + 1e-12);
                        worst_gap = fmin(worst_gap, bound - r);
                        checked++;
                    }
            const char *ps[] = {weights[k], ppo};
            double r = run_mean(ps, 2, seed, NULL);
            assert_true(r <= bound + 1e-12);
            worst_gap = fmin(worst_gap, bound - r);
            checked++;
        }
        printf("  %s: bound - best policy >= %.4f\n", weights[k], worst_gap);
    }
    printf("  %zu policy runs, none above the bound\n", checked);
    unlink(ckpt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_bounds_every_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
