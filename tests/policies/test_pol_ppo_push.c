/*
 * test_pol_ppo_push.c - PPO fed transitions one at a time, as the simulator
 * does when rewards arrive after later decisions (pol_ppo_sample /
 * pol_ppo_push), with action masks:
 *   - a masked choice is never sampled, not even greedily;
 *   - the minibatch gradient over masked rows agrees with central finite
 *     differences (a masked logit must get no gradient and no NaN);
 *   - a contextual bandit whose rewards are pushed in a shuffled order
 *     (delayed credit) is learned: the best valid action of each context
 *     is the greedy one, taken with probability > 0.9.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "pol_ppo.h"

#define NA 6

static void agent(pol_ppo *p, size_t steps, unsigned long seed)
{
    pol_ppo_cfg c;
    size_t K[1] = {NA};
    pol_ppo_cfg_default(&c, 2, K, 1);
    c.num_envs = 1;
    c.num_steps = steps;
    c.num_minibatches = 4;
    c.hidden[0] = c.hidden[1] = 16;
    c.anneal_lr = 0;
    c.lr = 3e-3f;
    c.seed = seed;
    off_err e;
    assert_int_equal(pol_ppo_init(p, &c, &e), OFF_OK);
}

/* context x in {0, 1}: obs (x, 1 - x); action 5 masked out in context 0,
 * action 0 masked out in context 1; the best valid action is 2 in context 0
 * (mean 1.0) and 4 in context 1 (mean 0.8); others 0.2; noise +-0.25 */
static void ctx_mask(int x, uint8_t *m)
{
    memset(m, 1, NA);
    m[x ? 0 : 5] = 0;
}

static double ctx_reward(int x, int a, gsl_rng *r)
{
    double mu = (x == 0 && a == 2) ? 1.0 : (x == 1 && a == 4) ? 0.8 : 0.2;
    return mu + 0.5 * (gsl_rng_uniform(r) - 0.5);
}

static void test_masked_never_sampled(void **state)
{
    (void)state;
    pol_ppo p;
    agent(&p, 64, 3);
    uint8_t m[NA];
    float obs[2] = {1, 0};
    int32_t a;
    float lp, v;
    for (int k = 0; k < NA - 1; k++) {
        memset(m, 0, NA);
        m[k] = 1;
        m[NA - 1] = 1;
        for (int i = 0; i < 500; i++) {
            pol_ppo_sample(&p, obs, m, 0, &a, &lp, &v);
            assert_true(a == k || a == NA - 1);
            assert_true(isfinite(lp) && lp <= 0.0f);
        }
        /* only one valid choice: greedy picks it and it is certain */
        m[NA - 1] = 0;
        pol_ppo_sample(&p, obs, m, 1, &a, &lp, NULL);
        assert_int_equal(a, k);
        assert_true(fabsf(lp) < 1e-6f);
    }
    pol_ppo_free(&p);
}

static void test_masked_gradient(void **state)
{
    (void)state;
    pol_ppo p;
    agent(&p, 32, 5);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 6);
    uint8_t m[NA];
    int full = 0;
    while (!full) {
        int x = gsl_rng_uniform(r) < 0.5;
        float obs[2] = {(float)x, (float)(1 - x)};
        ctx_mask(x, m);
        int32_t a;
        float lp, v;
        pol_ppo_sample(&p, obs, m, 0, &a, &lp, &v);
        full = pol_ppo_push(&p, obs, m, &a, lp, v, (float)ctx_reward(x, a, r),
                            gsl_rng_uniform(r) < 0.1);
        assert_true(full >= 0);
    }
    float nobs[2] = {1, 0};
    assert_int_equal(pol_ppo_push(&p, nobs, NULL, &(int32_t){0}, 0, 0, 0, 0), -1);
    pol_ppo_gae(&p, nobs);
    for (size_t i = 0; i < p.actor.n_params; i++)
        p.actor.params[i] += (float)(0.5 * (gsl_rng_uniform(r) - 0.5));
    size_t idx[8];
    for (size_t k = 0; k < p.mb; k++)
        idx[k] = (k * 5 + 1) % p.B;
    pol_ppo_stats acc = {0};
    double l0 = pol_ppo_minibatch_grad(&p, idx, &acc);
    assert_true(isfinite(l0) && isfinite(acc.entropy));
    size_t na = p.actor.n_params;
    float *ana = malloc(na * sizeof *ana);
    memcpy(ana, p.actor.grads, na * sizeof *ana);
    for (size_t i = 0; i < na; i++)
        assert_true(isfinite(ana[i]));
    double se = 0.0, sa = 0.0;
    for (size_t i = 0; i < na; i++) {
        float x0 = p.actor.params[i], eps = 1e-3f;
        p.actor.params[i] = x0 + eps;
        float xp = p.actor.params[i];
        double lp = pol_ppo_minibatch_grad(&p, idx, NULL);
        p.actor.params[i] = x0 - eps;
        float xm = p.actor.params[i];
        double lm = pol_ppo_minibatch_grad(&p, idx, NULL);
        p.actor.params[i] = x0;
        double num = (lp - lm) / ((double)xp - xm);
        se += (num - ana[i]) * (num - ana[i]);
        sa += (double)ana[i] * ana[i];
    }
    double rel = sqrt(se) / (sqrt(sa) + 1e-12);
    printf("masked actor gradient: |num - ana| / |ana| = %.2e (|ana| = %.3g)\n", rel,
           sqrt(sa));
    assert_true(sa > 0.0);
    assert_true(rel < 1e-2);
    free(ana);
    gsl_rng_free(r);
    pol_ppo_free(&p);
}

/* decisions are made in order, but their rewards come back in a random
 * order up to 8 decisions later; each transition is pushed when its reward
 * and the next decision are known (what the simulator does) */
static void test_delayed_bandit(void **state)
{
    (void)state;
    pol_ppo p;
    agent(&p, 128, 9);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 10);
    enum { Q = 8 };
    typedef struct pend {
        float obs[2], lp, v, rew;
        uint8_t m[NA];
        int32_t a;
        int has_rew;
    } pend;
    pend q[Q + 1];
    size_t n = 0, updates = 0;
    for (int step = 0; step < 12000; step++) {
        int x = gsl_rng_uniform(r) < 0.5;
        pend *d = &q[n++];
        d->obs[0] = (float)x, d->obs[1] = (float)(1 - x);
        ctx_mask(x, d->m);
        pol_ppo_sample(&p, d->obs, d->m, 0, &d->a, &d->lp, &d->v);
        assert_true(d->m[d->a]);
        d->rew = (float)ctx_reward(x, d->a, r);
        d->has_rew = 0;
        /* a random pending decision's reward arrives */
        size_t k = (size_t)gsl_rng_uniform_int(r, n);
        q[k].has_rew = 1;
        if (n == Q + 1)
            for (size_t i = 0; i < n; i++)
                q[i].has_rew = 1;
        /* push completed transitions at the head (the next one's obs known) */
        while (n >= 2 && q[0].has_rew) {
            if (pol_ppo_push(&p, q[0].obs, q[0].m, &q[0].a, q[0].lp, q[0].v, q[0].rew,
                             0) == 1) {
                pol_ppo_update(&p, q[1].obs, NULL);
                updates++;
            }
            memmove(&q[0], &q[1], (n - 1) * sizeof q[0]);
            n--;
        }
    }
    assert_true(updates >= 80);
    for (int x = 0; x < 2; x++) {
        float obs[2] = {(float)x, (float)(1 - x)};
        uint8_t m[NA];
        ctx_mask(x, m);
        int32_t a;
        float lp;
        pol_ppo_sample(&p, obs, m, 1, &a, &lp, NULL);
        printf("context %d: greedy action %d, probability %.3f\n", x, a, exp(lp));
        assert_int_equal(a, x ? 4 : 2);
        assert_true(exp(lp) > 0.9);
    }
    gsl_rng_free(r);
    pol_ppo_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masked_never_sampled),
        cmocka_unit_test(test_masked_gradient),
        cmocka_unit_test(test_delayed_bandit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
