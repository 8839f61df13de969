/*
 * bench_sac_cartpole.c - SAC-discrete (policies/rl/pol_sac.c) on
 * CartPole-v1, one environment, with the settings of
 * tests/policies/test_pol_sac.c (documented in docs/rl.md, "SAC-discrete").
 *
 * Per seed: the first step where the mean return of the last 20 finished
 * (training, i.e. sampled-action) episodes reached 195, that mean at 50,000
 * and at 100,000 steps, wall seconds, environment steps/s (including the
 * updates) and gradient updates/s.
 * Usage: bench_sac_cartpole [SEEDS [STEPS [key=value ...]]]
 *   (default 3 seeds, 100000 steps); key=value overrides a setting for
 *   exploration: hidden, batch, starts, freq (env steps per update), tau,
 *   tnf (target_network_frequency), plr, qlr, alr, scale, gamma, clip.
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
#include "pol_sac.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* the CartPole settings of test_pol_sac.c */

static int apply(pol_sac_cfg *c, size_t *freq, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    size_t n = (size_t)(eq - kv);
    double v = atof(eq + 1);
#define K(name) (n == strlen(name) && strncmp(kv, name, n) == 0)
    if (K("hidden"))
        c->hidden[0] = c->hidden[1] = (size_t)v;
    else if (K("batch"))
        c->batch_size = (size_t)v;
    else if (K("starts"))
        c->learning_starts = (size_t)v;
    else if (K("freq"))
        *freq = (size_t)v;
    else if (K("tau"))
        c->tau = (float)v;
    else if (K("tnf"))
        c->target_network_frequency = (size_t)v;
    else if (K("plr"))
        c->policy_lr = (float)v;
    else if (K("qlr"))
        c->q_lr = (float)v;
    else if (K("alr"))
        c->alpha_lr = (float)v;
    else if (K("scale"))
        c->target_entropy_scale = (float)v;
    else if (K("gamma"))
        c->gamma = (float)v;
    else if (K("clip"))
        c->max_grad_norm = (float)v;
    else
        return -1;
#undef K
    return 0;
}

int main(int argc, char **argv)
{
    int seeds = argc > 1 ? atoi(argv[1]) : 3;
    unsigned long long steps = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000ULL;
    printf("seed  step>=195  mean20@50k  mean20@100k  seconds  env_steps/s  updates/s\n");
    for (int s = 1; s <= seeds; s++) {
        pol_sac_cfg c;
        size_t freq;
        pol_sac_cfg_cartpole(&c, (unsigned long)s);
        freq = 1;
        for (int i = 3; i < argc; i++)
            if (apply(&c, &freq, argv[i]) != 0) {
                fprintf(stderr, "unknown setting '%s'\n", argv[i]);
                return 2;
            }
        c.seed = (unsigned long)s;
        pol_sac p;
        off_err err;
        if (pol_sac_init(&p, &c, &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        gsl_rng *er = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(er, 1000UL + (unsigned long)s);
        pol_cartpole env;
        double o[POL_CARTPOLE_OBS], ret = 0.0, last[20] = {0};
        float obs[POL_CARTPOLE_OBS], next[POL_CARTPOLE_OBS];
        size_t n_done = 0;
        pol_cartpole_reset(&env, er, o);
        for (int i = 0; i < POL_CARTPOLE_OBS; i++)
            obs[i] = (float)o[i];
        unsigned long long hit = 0;
        double mean = 0.0, m50 = 0.0, m100 = 0.0, t0 = now();
        for (unsigned long long t = 1; t <= steps; t++) {
            int32_t a = pol_sac_act(&p, obs, NULL, 0);
            bool term, trunc;
            double r = pol_cartpole_step(&env, a, o, &term, &trunc);
            for (int i = 0; i < POL_CARTPOLE_OBS; i++)
                next[i] = (float)o[i];
            pol_sac_push(&p, obs, NULL, a, (float)r, next, NULL, term && !trunc);
            ret += r;
            if (term || trunc) {
                last[n_done++ % 20] = ret;
                ret = 0.0;
                pol_cartpole_reset(&env, er, o);
                for (int i = 0; i < POL_CARTPOLE_OBS; i++)
                    next[i] = (float)o[i];
                if (n_done >= 20) {
                    mean = 0.0;
                    for (int i = 0; i < 20; i++)
                        mean += last[i] / 20.0;
                    if (!hit && mean >= 195.0)
                        hit = t;
                }
            }
            memcpy(obs, next, sizeof obs);
            if (t % freq == 0)
                pol_sac_update(&p, NULL);
            if (t == 50000)
                m50 = mean;
            if (t == 100000)
                m100 = mean;
            if (t % 10000 == 0 && getenv("SAC_TRACE"))
                fprintf(stderr, "  seed %d step %llu mean20 %.1f alpha %.3f\n", s, t, mean,
                        p.alpha);
        }
        double secs = now() - t0;
        printf("%4d  %9llu  %10.1f  %11.1f  %7.2f  %11.0f  %9.0f\n", s, hit, m50, m100, secs,
               (double)steps / secs, (double)p.updates / secs);
        fflush(stdout);
        gsl_rng_free(er);
        pol_sac_free(&p);
    }
    return 0;
}
