/*
 * test_pol_ppo.c - PPO (pol_ppo.h) on Gymnasium's CartPole-v1 (pol_cartpole.h)
 * with CleanRL ppo.py's defaults (4 environments, 128 steps, lr annealed over
 * 500,000 steps):
 *   - with a fixed seed the mean return of the last 20 finished episodes
 *     reaches 195 within 100,000 environment steps (the curve is printed
 *     every 10,000 steps and the step where it got there);
 *   - two runs with the same seed give bit-identical parameters;
 *   - a checkpoint round trip gives the same parameters and greedy actions;
 *   - the minibatch gradient (clipped surrogate, clipped value loss, entropy,
 *     two heads) agrees with central finite differences of the loss;
 *   - a 5-armed bandit (constant observation, noisy rewards): the greedy
 *     action is the best arm and its probability is > 0.9.
 *
 * The environments autoreset like Gymnasium's SyncVectorEnv: when an episode
 * ends (terminated or truncated) the next observation is the reset one.  The
 * environments draw their resets from their own mt19937.
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
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "cartpole_report.h"
#include "pol_cartpole.h"
#include "pol_ppo.h"

#define NENV 4
#define AGENT_SEED 1
#define ENV_SEED 1001

typedef struct vec_env {
    pol_cartpole c[NENV];
    gsl_rng *rng;
    float obs[NENV * POL_CARTPOLE_OBS];
    double ret[NENV];
    double last[20]; /* returns of the last 20 finished episodes, ring */
    size_t n_done;   /* episodes finished */
} vec_env;

static void env_init(vec_env *v, unsigned long seed)
{
    memset(v, 0, sizeof *v);
    v->rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(v->rng, seed);
    for (size_t e = 0; e < NENV; e++) {
        double o[POL_CARTPOLE_OBS];
        pol_cartpole_reset(&v->c[e], v->rng, o);
        for (size_t i = 0; i < POL_CARTPOLE_OBS; i++)
            v->obs[e * POL_CARTPOLE_OBS + i] = (float)o[i];
    }
}

static double env_mean20(const vec_env *v)
{
    if (v->n_done < 20)
        return 0.0;
    double s = 0.0;
    for (size_t i = 0; i < 20; i++)
        s += v->last[i];
    return s / 20.0;
}

/* one rollout and one update; returns whether the last-20 mean reached 195
 * (and at which step, in *hit, the first time) */
static void run_update(pol_ppo *p, vec_env *v, uint64_t *hit, pol_ppo_stats *st)
{
    int32_t act[NENV];
    float rew[NENV], done[NENV];
    while (!pol_ppo_rollout_full(p)) {
        pol_ppo_act(p, v->obs, act);
        for (size_t e = 0; e < NENV; e++) {
            double o[POL_CARTPOLE_OBS];
            bool term, trunc;
            rew[e] = (float)pol_cartpole_step(&v->c[e], act[e], o, &term, &trunc);
            v->ret[e] += rew[e];
            done[e] = term || trunc;
            if (term || trunc) {
                v->last[v->n_done % 20] = v->ret[e];
                v->n_done++;
                v->ret[e] = 0.0;
                pol_cartpole_reset(&v->c[e], v->rng, o);
            }
            for (size_t i = 0; i < POL_CARTPOLE_OBS; i++)
                v->obs[e * POL_CARTPOLE_OBS + i] = (float)o[i];
        }
        pol_ppo_observe(p, rew, done);
        if (hit && !*hit && env_mean20(v) >= 195.0)
            *hit = p->env_steps;
    }
    pol_ppo_update(p, v->obs, st);
}

static void agent_init(pol_ppo *p, unsigned long seed)
{
    pol_ppo_cfg c;
    size_t K[1] = {POL_CARTPOLE_ACTIONS};
    pol_ppo_cfg_default(&c, POL_CARTPOLE_OBS, K, 1);
    c.num_envs = NENV;
    c.seed = seed;
    off_err e;
    assert_int_equal(pol_ppo_init(p, &c, &e), OFF_OK);
}

static void test_cartpole_learns(void **state)
{
    (void)state;
    pol_ppo p;
    vec_env v;
    agent_init(&p, AGENT_SEED);
    env_init(&v, ENV_SEED);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t hit = 0, next_print = 10000;
    pol_ppo_stats st = {0};
    printf("# step  episodes  mean20  entropy  v_loss  approx_kl  lr\n");
    while (p.env_steps < 100000 && !hit) {
        run_update(&p, &v, &hit, &st);
        if (p.env_steps >= next_print || hit) {
            printf("%7llu  %8zu  %6.1f  %7.4f  %6.2f  %9.5f  %.3g\n",
                   (unsigned long long)p.env_steps, v.n_done, env_mean20(&v), st.entropy,
                   st.v_loss, st.approx_kl, st.lr);
            while (next_print <= p.env_steps)
                next_print += 10000;
        }
    }
    cartpole_report(hit, p.env_steps, t0);
    assert_true(hit > 0 && hit <= 100000);
    pol_ppo_free(&p);
    gsl_rng_free(v.rng);
}

/* The minibatch gradient against central finite differences of the
 * minibatch loss, on a small agent with two heads (K = 2, 3) whose networks
 * were moved after the rollout so that some ratios and values are clipped
 * (dropping either clipped branch's gradient fails the check). */
static void test_gradient(void **state)
{
    (void)state;
    pol_ppo_cfg c;
    size_t K[2] = {2, 3};
    pol_ppo_cfg_default(&c, 3, K, 2);
    c.n_hidden = 2;
    c.hidden[0] = c.hidden[1] = 8;
    c.num_envs = 2;
    c.num_steps = 16;
    c.num_minibatches = 2;
    c.seed = 11;
    pol_ppo p;
    off_err e;
    assert_int_equal(pol_ppo_init(&p, &c, &e), OFF_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    float obs[6], rew[2], done[2];
    int32_t act[4];
    while (!pol_ppo_rollout_full(&p)) {
        for (int i = 0; i < 6; i++)
            obs[i] = (float)(2.0 * gsl_rng_uniform(r) - 1.0);
        pol_ppo_act(&p, obs, act);
        for (int i = 0; i < 2; i++) {
            rew[i] = (float)gsl_rng_uniform(r);
            done[i] = gsl_rng_uniform(r) < 0.2;
        }
        pol_ppo_observe(&p, rew, done);
    }
    pol_ppo_gae(&p, obs);
    for (size_t i = 0; i < p.actor.n_params; i++)
        p.actor.params[i] += (float)(0.3 * (gsl_rng_uniform(r) - 0.5));
    for (size_t i = 0; i < p.critic.n_params; i++)
        p.critic.params[i] += (float)(1.0 * (gsl_rng_uniform(r) - 0.5));
    size_t idx[16];
    for (size_t k = 0; k < p.mb; k++)
        idx[k] = (k * 7 + 3) % p.B; /* rows from everywhere in the batch */
    pol_ppo_stats acc = {0};
    pol_ppo_minibatch_grad(&p, idx, &acc);
    assert_true(acc.clipfrac > 0.0); /* the clipped branch is exercised */
    size_t na = p.actor.n_params, nc = p.critic.n_params;
    float *ana = malloc((na + nc) * sizeof *ana);
    memcpy(ana, p.actor.grads, na * sizeof *ana);
    memcpy(ana + na, p.critic.grads, nc * sizeof *ana);
    float *prm[2] = {p.actor.params, p.critic.params};
    size_t np[2] = {na, nc};
    const float *an[2] = {ana, ana + na};
    for (int net = 0; net < 2; net++) {
        double se = 0.0, sa = 0.0;
        for (size_t i = 0; i < np[net]; i++) {
            float x0 = prm[net][i], eps = 1e-3f;
            prm[net][i] = x0 + eps;
            float xp = prm[net][i];
            double lp = pol_ppo_minibatch_grad(&p, idx, NULL);
            prm[net][i] = x0 - eps;
            float xm = prm[net][i];
            double lm = pol_ppo_minibatch_grad(&p, idx, NULL);
            prm[net][i] = x0;
            double num = (lp - lm) / ((double)xp - xm);
            se += (num - an[net][i]) * (num - an[net][i]);
            sa += (double)an[net][i] * an[net][i];
        }
        double rel = sqrt(se) / (sqrt(sa) + 1e-12);
        printf("%s gradient: |num - ana| / |ana| = %.2e (|ana| = %.3g)\n",
               net ? "critic" : "actor", rel, sqrt(sa));
        assert_true(sa > 0.0);
        assert_true(rel < 1e-2);
    }
    free(ana);
    gsl_rng_free(r);
    pol_ppo_free(&p);
}

static void test_deterministic(void **state)
{
    (void)state;
    pol_ppo a, b;
    vec_env va, vb;
    agent_init(&a, 7);
    agent_init(&b, 7);
    env_init(&va, 77);
    env_init(&vb, 77);
    for (int u = 0; u < 3; u++) {
        run_update(&a, &va, NULL, NULL);
        run_update(&b, &vb, NULL, NULL);
    }
    assert_int_equal(a.actor.n_params, b.actor.n_params);
    assert_memory_equal(a.actor.params, b.actor.params, a.actor.n_params * sizeof(float));
    assert_memory_equal(a.critic.params, b.critic.params, a.critic.n_params * sizeof(float));
    /* and the updates did move the parameters away from a fresh agent's */
    pol_ppo c;
    agent_init(&c, 7);
    assert_memory_not_equal(a.actor.params, c.actor.params, a.actor.n_params * sizeof(float));
    pol_ppo_free(&a);
    pol_ppo_free(&b);
    pol_ppo_free(&c);
    gsl_rng_free(va.rng);
    gsl_rng_free(vb.rng);
}

static void test_checkpoint(void **state)
{
    (void)state;
    pol_ppo a, b;
    vec_env v;
    agent_init(&a, 3);
    agent_init(&b, 4);
    env_init(&v, 33);
    for (int u = 0; u < 2; u++)
        run_update(&a, &v, NULL, NULL);
    char path[] = "/tmp/offsim-ppo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    off_err e;
    assert_int_equal(pol_ppo_save(&a, path, NULL, 0, &e), OFF_OK);
    assert_int_equal(pol_ppo_load(&b, path, &e), OFF_OK);
    remove(path);
    assert_memory_equal(a.actor.params, b.actor.params, a.actor.n_params * sizeof(float));
    assert_memory_equal(a.critic.params, b.critic.params, a.critic.n_params * sizeof(float));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    int n1 = 0;
    for (int i = 0; i < 200; i++) {
        float o[POL_CARTPOLE_OBS];
        for (int k = 0; k < POL_CARTPOLE_OBS; k++)
            o[k] = (float)(gsl_rng_uniform(r) * 0.4 - 0.2);
        int32_t x, y;
        pol_ppo_greedy(&a, o, &x);
        pol_ppo_greedy(&b, o, &y);
        assert_int_equal(x, y);
        n1 += x;
        float va = pol_ppo_value(&a, o), vb = pol_ppo_value(&b, o);
        assert_memory_equal(&va, &vb, sizeof va);
    }
    assert_true(n1 > 0 && n1 < 200); /* both actions occur: not a trivial check */
    gsl_rng_free(r);
    gsl_rng_free(v.rng);
    pol_ppo_free(&a);
    pol_ppo_free(&b);
}

/* 5 arms, constant observation 1, reward mean[a] + uniform noise in
 * [-0.5, 0.5), every step terminal (so advantages are reward - value).
 * CleanRL defaults but 4 x 32 steps per rollout, lr 1e-3 not annealed. */
static void test_bandit(void **state)
{
    (void)state;
    const double mean[5] = {0.1, 0.3, 0.9, 0.5, 0.2};
    pol_ppo_cfg c;
    size_t K[1] = {5};
    pol_ppo_cfg_default(&c, 1, K, 1);
    c.num_envs = NENV;
    c.num_steps = 32;
    c.lr = 1e-3f;
    c.anneal_lr = 0;
    c.seed = 9;
    pol_ppo p;
    off_err e;
    assert_int_equal(pol_ppo_init(&p, &c, &e), OFF_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    float obs[NENV], rew[NENV], done[NENV];
    int32_t act[NENV];
    for (int i = 0; i < NENV; i++)
        obs[i] = 1.0f, done[i] = 1.0f;
    for (int u = 0; u < 60; u++) {
        while (!pol_ppo_rollout_full(&p)) {
            pol_ppo_act(&p, obs, act);
            for (int i = 0; i < NENV; i++)
                rew[i] = (float)(mean[act[i]] + gsl_rng_uniform(r) - 0.5);
            pol_ppo_observe(&p, rew, done);
        }
        pol_ppo_update(&p, obs, NULL);
    }
    const float *logits = pol_mlp_forward(&p.actor, obs, 1);
    float prob[5];
    pol_softmax_forward(prob, logits, 1, 5);
    int32_t g;
    pol_ppo_greedy(&p, obs, &g);
    printf("bandit: pi = %.3f %.3f %.3f %.3f %.3f, V = %.3f, greedy %d\n", prob[0], prob[1],
           prob[2], prob[3], prob[4], pol_ppo_value(&p, obs), (int)g);
    assert_int_equal(g, 2);
    assert_true(prob[2] > 0.9f);
    gsl_rng_free(r);
    pol_ppo_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_bandit),
        cmocka_unit_test(test_cartpole_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
