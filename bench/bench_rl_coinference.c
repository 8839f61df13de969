/*
 * bench_rl_coinference.c - issue 5's evaluation on
 * scenarios/papers/sac-coinference/scenario.yaml: train `ppo` and `sac-discrete`
 * inside the simulator (sim_train, as `offsim train` does, training seed
 * 1), then evaluate them greedily on held-out seeds 1..N (training runs use
 * seeds >= 2,000,000) beside every fixed policy, `random` and the oracle
 * with objective `reward`, all on the same seeds (common random numbers).
 * Prints per policy the mean reward per task over the seeds, the oracle's
 * reward bound (per task, the most any action could get; pol_oracle.c),
 * each agent's normalised score (R - R_random) / (R_bound - R_random), and
 * the paired
 * difference agent - policy with its 95 % confidence interval (Student t
 * over the N paired seeds).
 *
 *   bench_rl_coinference [PPO_STEPS [SAC_STEPS [N_SEEDS]]]
 *                       (default 300000 and 30000 decisions, train.sh's, 20 seeds)
 *
 * PPO trains with lr 5e-4 and ent_coef 0.03 (PPO's own keys, given as overrides);
 * SAC with the scenario's settings.
 *
 * Run from the repository root (make bench does).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>

#include "mdl_trained.h"
#include "pol.h"
#include "scn.h"
#include "sim.h"

#define SCENARIO "scenarios/papers/sac-coinference/scenario.yaml"
#define MAX_SEEDS 100

static void die(const off_err *e)
{
    fprintf(stderr, "bench_rl_coinference: %s\n", e->msg);
    exit(1);
}

static void load(scn_scenario *s, const char *const *sets, size_t n)
{
    scn_override ov[4];
    char buf[4][512];
    off_err err = {0};
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", sets[i]);
        if (scn_override_parse(buf[i], &ov[i], &err) != OFF_OK)
            die(&err);
    }
    if (scn_load(s, SCENARIO, ov, n, &err) != OFF_OK)
        die(&err);
}

/* mean reward per task of the scenario with these overrides, seeds 1..n */
static struct mdl_trained *trained; /* loaded once, handed from run to run */

/* r[k]: mean reward per task on seed k + 1; with bound (may be NULL) the
 * oracle's reward bound per task too. */
static void evaluate(const char *const *sets, size_t nsets, size_t n, double *r,
                     double *bound)
{
    scn_scenario s;
    load(&s, sets, nsets);
    for (size_t k = 0; k < n; k++) {
        off_err err = {0};
        s.seed = k + 1;
        sim_world *w;
        res_summary sum;
        pol_train sink = {0};
        off_status st = sim_world_new_train(&w, &s, bound ? &sink : NULL, trained, &err);
        trained = NULL;
        if (st != OFF_OK || sim_world_run(w, NULL, 0, NULL, NULL, &sum, &err) != OFF_OK)
            die(&err);
        trained = sim_world_release_trained(w);
        sim_world_free(w);
        r[k] = sum.reward_mean;
        if (bound)
            bound[k] = sink.bound_n ? sink.bound_sum / (double)sink.bound_n : NAN;
    }
    scn_free(&s);
}

static double mean(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    return m / (double)n;
}

/* paired a - b: mean and 95 % half-width */
static void paired(const double *a, const double *b, size_t n, double *m, double *hw)
{
    double d[MAX_SEEDS], v = 0.0;
    for (size_t i = 0; i < n; i++)
        d[i] = a[i] - b[i];
    *m = mean(d, n);
    for (size_t i = 0; i < n; i++)
        v += (d[i] - *m) * (d[i] - *m);
    double sd = n > 1 ? sqrt(v / (double)(n - 1)) : NAN;
    *hw = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

int main(int argc, char **argv)
{
    uint64_t steps_of[2] = {argc > 1 ? strtoull(argv[1], NULL, 10) : 300000,
                            argc > 2 ? strtoull(argv[2], NULL, 10) : 30000};
    size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 20;
    if (steps_of[0] == 0 || steps_of[1] == 0 || n < 2 || n > MAX_SEEDS) {
        fprintf(stderr, "usage: bench_rl_coinference [PPO_STEPS [SAC_STEPS [N_SEEDS (2..100)]]]\n");
        return 2;
    }
    /* the fixed policies, and the best constant action found by
     * trying them (the first exit, on the device) */
    static const char *const fixed[] = {"local",      "edge",       "neurosurgeon",
                                        "edgent",     "branchynet", "exit1-local"};
    static const char *const fixed_sets[] = {
        "policy=local",  "policy=edge",       "policy=neurosurgeon",
        "policy=edgent", "policy=branchynet", "policy={type: fixed, exit: 0, split: 2}"};
    enum { NF = 6 };
    static const char *const agents[] = {"ppo", "sac-discrete"};
    double rf[NF][MAX_SEEDS], rr[MAX_SEEDS], ro[MAX_SEEDS], rb[MAX_SEEDS], ra[2][MAX_SEEDS];
    char ckpt[2][64];

    /* each agent's own keys: PPO's lr and entropy bonus, SAC's scenario defaults */
    static const char *const own[2][2] = {{"policy.lr=0.0005", "policy.ent_coef=0.03"},
                                          {NULL, NULL}};
    for (int a = 0; a < 2; a++) {
        uint64_t steps = steps_of[a];
        char type[64];
        snprintf(type, sizeof type, "policy.type=%s", agents[a]);
        const char *sets[3] = {type, own[a][0], own[a][1]};
        size_t nsets = own[a][0] ? 3 : 1;
        scn_scenario s;
        load(&s, sets, nsets);
        pol_train t = {.max_steps = steps, .seed = 1};
        off_err err = {0};
        double t0 = off_wall_seconds();
        struct mdl_trained *tr = trained; /* sim_train takes it over, closes it */
        trained = NULL;
        if (sim_train(&s, &t, 1, tr, NULL, NULL, &err) != OFF_OK)
            die(&err);
        double wall = off_wall_seconds() - t0;
        snprintf(ckpt[a], sizeof ckpt[a], "/tmp/offsim-bench-rl-%d-%ld.ckpt", a,
                 (long)getpid());
        if (pol_rl_save(&t, ckpt[a], &err) != OFF_OK)
            die(&err);
        printf("%-13s trained %llu steps in %.1f s (%.0f steps/s, one core)\n", agents[a],
               (unsigned long long)pol_rl_steps(&t), wall, (double)steps / wall);
        t.free_agent(t.agent);
        scn_free(&s);
        char ck[128];
        snprintf(ck, sizeof ck, "policy.checkpoint=%s", ckpt[a]);
        const char *esets[4] = {type, ck, own[a][0], own[a][1]};
        evaluate(esets, nsets + 1, n, ra[a], NULL);
        unlink(ckpt[a]);
    }
    for (int f = 0; f < NF; f++) {
        const char *sets[1] = {fixed_sets[f]};
        evaluate(sets, 1, n, rf[f], NULL);
    }
    {
        const char *sets[1] = {"policy=random"};
        evaluate(sets, 1, n, rr, NULL);
        const char *osets[1] = {"policy={type: oracle, objective: reward}"};
        evaluate(osets, 1, n, ro, rb);
    }
    mdl_trained_close(trained, NULL);
    double Rr = mean(rr, n), Ro = mean(ro, n), Rb = mean(rb, n);
    printf("\nmean reward per task over held-out seeds 1..%zu:\n", n);
    printf("  %-13s %8.4f\n  %-13s %8.4f (its own run)\n  %-13s %8.4f\n", "random", Rr,
           "oracle", Ro, "bound", Rb);
    for (int f = 0; f < NF; f++)
        printf("  %-13s %8.4f\n", fixed[f], mean(rf[f], n));
    for (int a = 0; a < 2; a++) {
        double Ra = mean(ra[a], n);
        printf("  %-13s %8.4f   normalised score %.3f\n", agents[a], Ra,
               (Ra - Rr) / (Rb - Rr));
    }
    printf("\npaired difference agent - policy, mean and 95 %% CI over %zu seeds:\n", n);
    for (int a = 0; a < 2; a++)
        for (int f = 0; f < NF; f++) {
            double m, hw;
            paired(ra[a], rf[f], n, &m, &hw);
            printf("  %-13s - %-13s %+8.4f  [%+.4f, %+.4f]  %s\n", agents[a], fixed[f], m,
                   m - hw, m + hw, m - hw > 0 ? "better" : "NOT better with 95 % confidence");
        }
    return 0;
}
