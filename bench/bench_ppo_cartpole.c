/*
 * bench_ppo_cartpole.c - PPO (policies/rl/pol_ppo.c, CleanRL ppo.py
 * defaults, 4 environments) on CartPole-v1 for 500,000 steps per seed, as
 * CleanRL reports it (490 +- 6 over 3 seeds at 500k steps).
 *
 * Per seed: the first step where the mean return of the last 20 finished
 * episodes reached 195 and 475, that mean at the end, wall seconds, and the
 * throughput (environment steps/s including the updates; gradient steps/s).
 * Usage: bench_ppo_cartpole [SEEDS [STEPS]]   (default 3 seeds, 500000 steps)
 * Seed s uses agent seed s and environment seed 1000 + s.
 * Results are recorded in bench/RESULTS.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "pol_cartpole.h"
#include "pol_ppo.h"

#define NENV 4

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int seeds = argc > 1 ? atoi(argv[1]) : 3;
    unsigned long long steps = argc > 2 ? strtoull(argv[2], NULL, 10) : 500000ULL;
    printf("seed  step>=195  step>=475  final_mean20  seconds  env_steps/s  grad_steps/s\n");
    for (int s = 1; s <= seeds; s++) {
        pol_ppo_cfg c;
        size_t K[1] = {POL_CARTPOLE_ACTIONS};
        pol_ppo_cfg_default(&c, POL_CARTPOLE_OBS, K, 1);
        c.num_envs = NENV;
        c.seed = (unsigned long)s;
        c.total_steps = steps;
        pol_ppo p;
        off_err err;
        if (pol_ppo_init(&p, &c, &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        gsl_rng *er = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(er, 1000UL + (unsigned long)s);
        pol_cartpole env[NENV];
        float obs[NENV * POL_CARTPOLE_OBS], rew[NENV], done[NENV];
        double ret[NENV] = {0}, last[20] = {0};
        size_t n_done = 0;
        int32_t act[NENV];
        for (int e = 0; e < NENV; e++) {
            double o[POL_CARTPOLE_OBS];
            pol_cartpole_reset(&env[e], er, o);
            for (int i = 0; i < POL_CARTPOLE_OBS; i++)
                obs[e * POL_CARTPOLE_OBS + i] = (float)o[i];
        }
        unsigned long long hit195 = 0, hit475 = 0;
        double mean = 0.0, t0 = now();
        while (p.env_steps < steps) {
            while (!pol_ppo_rollout_full(&p)) {
                pol_ppo_act(&p, obs, act);
                for (int e = 0; e < NENV; e++) {
                    double o[POL_CARTPOLE_OBS];
                    bool term, trunc;
                    rew[e] = (float)pol_cartpole_step(&env[e], act[e], o, &term, &trunc);
                    ret[e] += rew[e];
                    done[e] = term || trunc;
                    if (term || trunc) {
                        last[n_done++ % 20] = ret[e];
                        ret[e] = 0.0;
                        pol_cartpole_reset(&env[e], er, o);
                    }
                    for (int i = 0; i < POL_CARTPOLE_OBS; i++)
                        obs[e * POL_CARTPOLE_OBS + i] = (float)o[i];
                }
                pol_ppo_observe(&p, rew, done);
                if (n_done >= 20) {
                    mean = 0.0;
                    for (int i = 0; i < 20; i++)
                        mean += last[i] / 20.0;
                    if (!hit195 && mean >= 195.0)
                        hit195 = p.env_steps;
                    if (!hit475 && mean >= 475.0)
                        hit475 = p.env_steps;
                }
            }
            pol_ppo_update(&p, obs, NULL);
        }
        double secs = now() - t0;
        double gsteps = (double)p.updates * (double)(c.update_epochs * c.num_minibatches);
        printf("%4d  %9llu  %9llu  %12.1f  %7.2f  %11.0f  %12.0f\n", s, hit195, hit475, mean,
               secs, (double)p.env_steps / secs, gsteps / secs);
        gsl_rng_free(er);
        pol_ppo_free(&p);
    }
    return 0;
}
