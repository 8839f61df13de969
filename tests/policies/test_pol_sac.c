/*
 * test_pol_sac.c - SAC for discrete actions with masks (pol_sac.h):
 *   - the critic, actor and temperature gradients against central finite
 *     differences of their losses, on a batch with masked actions;
 *   - masking: a masked action whose logit is the largest is never sampled
 *     nor chosen greedily, has probability exactly 0, and the losses and
 *     an update stay finite;
 *   - the replay ring wraps around and the minibatches come from filled rows
 *     only;
 *   - determinism: two agents with the same seed on the same CartPole run
 *     end with identical parameter bytes;
 *   - checkpoints: a round trip (with and without the replay) gives the same
 *     outputs and, with the replay, identical continued training; a
 *     different architecture, or reading a replay the file does not hold, is
 *     refused with a clear message; a file with the replay reads without it
 *     and the agent untouched;
 *   - CartPole-v1: the mean return of the last 20 (sampled-action) episodes
 *     reaches 195 within 50,000 steps (the step is printed);
 *   - a 5-armed bandit with one arm masked out: the greedy action is the
 *     best arm, its probability > 0.9, the masked arm's 0.
 *
 * CartPole settings (pol_sac_cfg_cartpole; the same in bench_sac_cartpole.c
 * and docs/rl.md): one environment, 64-64 ReLU networks, replay 100,000,
 * batch 64, learning_starts 1,000, one update per environment step, Polyak
 * targets after every update (tau 0.005, target_network_frequency 1), Adam
 * lrs actor 3e-4, critics 1e-3, alpha 3e-4 (eps 1e-4), autotuned alpha with
 * target_entropy_scale 0.5 (0.5 log 2 nats), gamma 0.99, no gradient
 * clipping; agent seed 1, environment seed 1001.  Time-limit truncations are
 * pushed with done = 0.  Why not sac_atari.py's 0.89 and hard copies: with
 * two actions a target entropy of 0.89 log 2 is more than CartPole's
 * states allow on average, so alpha grew without bound (to ~6e4 by 100,000
 * steps) and the returns wandered around 200; hard copies every 500 updates
 * with scale 0.5 learned but collapsed between 20,000 and 40,000 steps.
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
#include "pol_sac.h"

/* ---- helpers ------------------------------------------------------------- */

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}


typedef struct cp_run {
    pol_cartpole env;
    gsl_rng *rng;
    float obs[POL_CARTPOLE_OBS];
    double ret, last[20];
    size_t n_done;
    uint64_t steps;
} cp_run;

static void cp_init(cp_run *r, unsigned long seed)
{
    memset(r, 0, sizeof *r);
    r->rng = rng_new(seed);
    double o[POL_CARTPOLE_OBS];
    pol_cartpole_reset(&r->env, r->rng, o);
    for (int i = 0; i < POL_CARTPOLE_OBS; i++)
        r->obs[i] = (float)o[i];
}

static double cp_mean20(const cp_run *r)
{
    if (r->n_done < 20)
        return 0.0;
    double s = 0.0;
    for (int i = 0; i < 20; i++)
        s += r->last[i];
    return s / 20.0;
}

/* one environment step with a sampled action, its push, one update */
static void cp_step(pol_sac *s, cp_run *r)
{
    int32_t a = pol_sac_act(s, r->obs, NULL, 0);
    double o[POL_CARTPOLE_OBS];
    float next[POL_CARTPOLE_OBS];
    bool term, trunc;
    double rew = pol_cartpole_step(&r->env, a, o, &term, &trunc);
    for (int i = 0; i < POL_CARTPOLE_OBS; i++)
        next[i] = (float)o[i];
    pol_sac_push(s, r->obs, NULL, a, (float)rew, next, NULL, term && !trunc);
    r->ret += rew;
    r->steps++;
    if (term || trunc) {
        r->last[r->n_done++ % 20] = r->ret;
        r->ret = 0.0;
        pol_cartpole_reset(&r->env, r->rng, o);
        for (int i = 0; i < POL_CARTPOLE_OBS; i++)
            next[i] = (float)o[i];
    }
    memcpy(r->obs, next, sizeof next);
    pol_sac_update(s, NULL);
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* ---- gradients ------------------------------------------------------------ */

enum { GD = 3, GA = 4, GB = 6, GN = 16 };

/* a small agent whose replay holds GN random transitions with random masks
 * (every row at least one valid action; the taken action valid), with
 * parameters moved off their initialisation so that the policy is far from
 * uniform and the targets differ from the critics */
static void grad_agent(pol_sac *s, gsl_rng *r)
{
    pol_sac_cfg c;
    pol_sac_cfg_default(&c, GD, GA);
    c.hidden[0] = c.hidden[1] = 8;
    c.buffer_size = GN;
    c.batch_size = GB;
    c.learning_starts = 1;
    c.seed = 21;
    off_err e;
    assert_int_equal(pol_sac_init(s, &c, &e), OFF_OK);
    for (int i = 0; i < GN; i++) {
        float o[GD], n[GD];
        uint8_t m[GA], nm[GA];
        for (int k = 0; k < GD; k++) {
            o[k] = (float)(2.0 * gsl_rng_uniform(r) - 1.0);
            n[k] = (float)(2.0 * gsl_rng_uniform(r) - 1.0);
        }
        for (int a = 0; a < GA; a++) {
            m[a] = gsl_rng_uniform(r) < 0.6;
            nm[a] = gsl_rng_uniform(r) < 0.6;
        }
        m[i % GA] = 1;
        nm[(i + 1) % GA] = 1;
        pol_sac_push(s, o, m, i % GA, (float)gsl_rng_uniform(r), n, nm,
                     gsl_rng_uniform(r) < 0.25);
    }
    pol_mlp *nets[5] = {&s->actor, &s->q1, &s->q2, &s->q1_targ, &s->q2_targ};
    for (int k = 0; k < 5; k++)
        for (size_t i = 0; i < nets[k]->n_params; i++)
            nets[k]->params[i] += (float)(0.6 * (gsl_rng_uniform(r) - 0.5));
    s->log_alpha[0] = -1.2f;
    s->alpha = expf(s->log_alpha[0]);
}

typedef double grad_fn(pol_sac *s, const size_t *idx);

/* ||num - ana|| / ||ana|| over x (n) for the loss f */
static double fd_rel(grad_fn *f, pol_sac *s, const size_t *idx, float *x, const float *ana,
                     size_t n, float eps)
{
    double se = 0.0, sa = 0.0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i] = x0 + eps;
        float xp = x[i];
        double lp = f(s, idx);
        x[i] = x0 - eps;
        float xm = x[i];
        double lm = f(s, idx);
        x[i] = x0;
        double num = (lp - lm) / ((double)xp - xm);
        se += (num - ana[i]) * (num - ana[i]);
        sa += (double)ana[i] * ana[i];
    }
    assert_true(sa > 0.0);
    return sqrt(se) / (sqrt(sa) + 1e-12);
}

static void test_gradients_with_mask(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(22);
    pol_sac s;
    grad_agent(&s, r);
    /* rows with masked actions in both s and s' */
    size_t idx[GB] = {0, 3, 5, 8, 11, 14};
    size_t masked = 0;
    for (int b = 0; b < GB; b++)
        for (int a = 0; a < GA; a++)
            masked += !s.rb_mask[idx[b] * GA + a] + !s.rb_nmask[idx[b] * GA + a];
    assert_true(masked > 0);

    /* critic: J_Q w.r.t. Q1 and Q2 */
    double lq = pol_sac_critic_grad(&s, idx);
    assert_true(isfinite(lq));
    size_t nq = s.q1.n_params;
    float *ana = malloc(2 * nq * sizeof *ana + s.actor.n_params * sizeof *ana);
    memcpy(ana, s.q1.grads, nq * sizeof *ana);
    memcpy(ana + nq, s.q2.grads, nq * sizeof *ana);
    double e1 = fd_rel(pol_sac_critic_grad, &s, idx, s.q1.params, ana, nq, 1e-3f);
    double e2 = fd_rel(pol_sac_critic_grad, &s, idx, s.q2.params, ana + nq, nq, 1e-3f);
    printf("critic loss %.4f: Q1 |num - ana| / |ana| = %.2e, Q2 %.2e\n", lq, e1, e2);
    assert_true(e1 < 1e-2 && e2 < 1e-2);

    /* actor: J_pi w.r.t. the actor */
    double la = pol_sac_actor_grad(&s, idx);
    assert_true(isfinite(la));
    memcpy(ana, s.actor.grads, s.actor.n_params * sizeof *ana);
    double ea = fd_rel(pol_sac_actor_grad, &s, idx, s.actor.params, ana, s.actor.n_params,
                       1e-3f);
    printf("actor loss %.4f: |num - ana| / |ana| = %.2e\n", la, ea);
    assert_true(ea < 1e-2);

    /* temperature: J_alp w.r.t. log_alpha */
    double lt = pol_sac_alpha_grad(&s, idx);
    float g = s.dlog_alpha[0];
    double et = fd_rel(pol_sac_alpha_grad, &s, idx, s.log_alpha, &g, 1, 1e-2f);
    printf("alpha loss %.4f: d/dlog_alpha %.5f, rel error %.2e\n", lt, g, et);
    assert_true(et < 1e-3);

    /* the equations by hand, one state at a time through the public API:
     * the critic target over the valid actions of s', and the temperature
     * gradient with H_targ = scale log(valid actions of s) */
    pol_sac_critic_grad(&s, idx);
    double dla = 0.0, scale = s.cfg.target_entropy_scale;
    for (int b = 0; b < GB; b++) {
        size_t i = idx[b];
        const float *nx = s.rb_next + i * GD;
        float p[GA], qt[GA];
        pol_sac_probs(&s, nx, s.rb_nmask + i * GA, p);
        const float *q1t = pol_mlp_forward(&s.q1_targ, nx, 1);
        memcpy(qt, q1t, sizeof qt);
        const float *q2t = pol_mlp_forward(&s.q2_targ, nx, 1);
        double v = 0.0;
        for (int a = 0; a < GA; a++)
            if (s.rb_nmask[i * GA + a])
                v += p[a] * (fmin(qt[a], q2t[a]) - s.alpha * log(p[a]));
            else
                assert_true(p[a] == 0.0f);
        double y = s.rb_rew[i] + s.cfg.gamma * (1.0 - s.rb_done[i]) * v;
        assert_float_equal(s.y[b], y, 1e-5 * (1.0 + fabs(y)));

        pol_sac_probs(&s, s.rb_obs + i * GD, s.rb_mask + i * GA, p);
        double t = 0.0;
        int nv = 0;
        for (int a = 0; a < GA; a++)
            if (s.rb_mask[i * GA + a])
                t += p[a] * log(p[a]), nv++;
        dla -= (t + scale * log((double)nv)) / GB;
    }
    pol_sac_alpha_grad(&s, idx);
    printf("d J_alpha / d log_alpha: by hand %.6f, agent %.6f\n", dla, s.dlog_alpha[0]);
    assert_float_equal(s.dlog_alpha[0], dla, 1e-5);

    free(ana);
    pol_sac_free(&s);
    gsl_rng_free(r);
}

/* ---- masking -------------------------------------------------------------- */

static void test_masked_action_never_chosen(void **state)
{
    (void)state;
    pol_sac s;
    pol_sac_cfg c;
    pol_sac_cfg_default(&c, 2, 4);
    c.hidden[0] = c.hidden[1] = 16;
    c.buffer_size = 64;
    c.batch_size = 16;
    c.learning_starts = 16;
    c.seed = 5;
    off_err e;
    assert_int_equal(pol_sac_init(&s, &c, &e), OFF_OK);
    /* make action 1 by far the most likely before masking: its output bias
     * in the actor's last layer and in both critics */
    size_t L = s.actor.L;
    s.actor.b[L - 1][1] = 50.0f;
    s.q1.b[L - 1][1] = s.q2.b[L - 1][1] = 1e3f;
    s.q1_targ.b[L - 1][1] = s.q2_targ.b[L - 1][1] = 1e3f;
    const uint8_t mask[4] = {1, 0, 1, 1};
    float obs[2] = {0.3f, -0.7f}, p[4];
    pol_sac_probs(&s, obs, NULL, p);
    assert_true(p[1] > 0.99f); /* unmasked, action 1 dominates */
    pol_sac_probs(&s, obs, mask, p);
    assert_true(p[1] == 0.0f);
    assert_float_equal(p[0] + p[2] + p[3], 1.0, 1e-6);
    int count[4] = {0};
    for (int i = 0; i < 20000; i++)
        count[pol_sac_act(&s, obs, mask, 0)]++;
    printf("draws with action 1 masked: %d %d %d %d\n", count[0], count[1], count[2],
           count[3]);
    assert_int_equal(count[1], 0);
    assert_true(count[0] > 0 && count[2] > 0 && count[3] > 0);
    assert_int_not_equal(pol_sac_act(&s, obs, mask, 1), 1);
    assert_int_equal(pol_sac_act(&s, obs, NULL, 1), 1);
    /* a mask with no valid action counts as all valid */
    const uint8_t none[4] = {0, 0, 0, 0};
    assert_int_equal(pol_sac_act(&s, obs, none, 1), 1);

    /* transitions whose s and s' both mask action 1: losses, gradients and
     * the parameters after updates stay finite, and Q(s', 1) = 1e3 does not
     * leak into the target */
    for (int i = 0; i < 64; i++) {
        float o[2] = {(float)(i % 7) * 0.1f, (float)(i % 5) * -0.1f};
        int32_t a = pol_sac_act(&s, o, mask, 0);
        pol_sac_push(&s, o, mask, a, 1.0f, o, mask, i % 9 == 0);
    }
    size_t idx[16];
    for (int i = 0; i < 16; i++)
        idx[i] = (size_t)i * 4;
    double lq = pol_sac_critic_grad(&s, idx);
    for (int b = 0; b < 16; b++)
        assert_true(fabsf(s.y[b]) < 500.0f); /* no 1e3 from the masked action */
    double la = pol_sac_actor_grad(&s, idx);
    double lt = pol_sac_alpha_grad(&s, idx);
    printf("losses with a dominant masked action: critic %.3f actor %.3f alpha %.3f\n", lq, la,
           lt);
    assert_true(isfinite(lq) && isfinite(la) && isfinite(lt));
    pol_sac_stats st;
    for (int u = 0; u < 50; u++)
        assert_int_equal(pol_sac_update(&s, &st), 1);
    assert_true(isfinite(st.q_loss) && isfinite(st.actor_loss) && isfinite(st.entropy));
    assert_true(all_finite(s.actor.params, s.actor.n_params));
    assert_true(all_finite(s.q1.params, s.q1.n_params));
    assert_true(isfinite(s.log_alpha[0]));
    pol_sac_probs(&s, obs, mask, p);
    assert_true(p[1] == 0.0f);
    pol_sac_free(&s);
}

/* ---- replay ----------------------------------------------------------------- */

static void test_replay_ring(void **state)
{
    (void)state;
    pol_sac s;
    pol_sac_cfg c;
    pol_sac_cfg_default(&c, 1, 3);
    c.hidden[0] = c.hidden[1] = 4;
    c.buffer_size = 5;
    c.batch_size = 8;
    c.learning_starts = 2;
    off_err e;
    assert_int_equal(pol_sac_init(&s, &c, &e), OFF_OK);
    float o = 0.0f;
    pol_sac_push(&s, &o, NULL, 0, 0.0f, &o, NULL, 0);
    assert_int_equal(pol_sac_update(&s, NULL), 0); /* 1 row < learning_starts */
    for (int i = 1; i < 3; i++) {
        o = (float)i;
        pol_sac_push(&s, &o, NULL, i % 3, (float)i, &o, NULL, 0);
    }
    /* 3 of 5 rows filled: the draws come from rows 0..2 only */
    int seen[5] = {0};
    for (int u = 0; u < 200; u++) {
        assert_int_equal(pol_sac_update(&s, NULL), 1);
        for (int b = 0; b < 8; b++) {
            assert_true(s.idx[b] < 3);
            seen[s.idx[b]]++;
            assert_float_equal(s.mrew[b], (float)s.idx[b], 0.0);
        }
    }
    assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
    /* 12 pushes into 5 rows: rows hold transitions 10, 11, 7, 8, 9 */
    for (int i = 3; i < 12; i++) {
        o = (float)i;
        pol_sac_push(&s, &o, NULL, i % 3, (float)i, &o, NULL, 0);
    }
    assert_int_equal(s.rb_size, 5);
    assert_int_equal(s.rb_pos, 2);
    const float want[5] = {10, 11, 7, 8, 9};
    for (int i = 0; i < 5; i++) {
        assert_float_equal(s.rb_rew[i], want[i], 0.0);
        assert_float_equal(s.rb_obs[i], want[i], 0.0);
        assert_int_equal(s.rb_act[i], (int)want[i] % 3);
    }
    int seen2[5] = {0};
    for (int u = 0; u < 200; u++) {
        pol_sac_update(&s, NULL);
        for (int b = 0; b < 8; b++)
            seen2[s.idx[b]]++;
    }
    for (int i = 0; i < 5; i++)
        assert_true(seen2[i] > 0);
    pol_sac_free(&s);
}

/* ---- determinism and checkpoints ------------------------------------------- */

static void assert_same_agent(const pol_sac *a, const pol_sac *b)
{
    assert_memory_equal(a->actor.params, b->actor.params, a->actor.n_params * sizeof(float));
    assert_memory_equal(a->q1.params, b->q1.params, a->q1.n_params * sizeof(float));
    assert_memory_equal(a->q2.params, b->q2.params, a->q2.n_params * sizeof(float));
    assert_memory_equal(a->q1_targ.params, b->q1_targ.params,
                        a->q1_targ.n_params * sizeof(float));
    assert_memory_equal(a->q2_targ.params, b->q2_targ.params,
                        a->q2_targ.n_params * sizeof(float));
    assert_memory_equal(a->log_alpha, b->log_alpha, sizeof a->log_alpha);
}

static void test_deterministic(void **state)
{
    (void)state;
    pol_sac a, b;
    pol_sac_cfg c;
    pol_sac_cfg_cartpole(&c, 7);
    c.learning_starts = 500;
    off_err e;
    assert_int_equal(pol_sac_init(&a, &c, &e), OFF_OK);
    assert_int_equal(pol_sac_init(&b, &c, &e), OFF_OK);
    cp_run ra, rb;
    cp_init(&ra, 77);
    cp_init(&rb, 77);
    for (int t = 0; t < 3000; t++) {
        cp_step(&a, &ra);
        cp_step(&b, &rb);
    }
    assert_int_equal(a.updates, 2501);
    assert_same_agent(&a, &b);
    pol_sac f;
    assert_int_equal(pol_sac_init(&f, &c, &e), OFF_OK);
    assert_memory_not_equal(a.actor.params, f.actor.params, a.actor.n_params * sizeof(float));
    pol_sac_free(&a);
    pol_sac_free(&b);
    pol_sac_free(&f);
    gsl_rng_free(ra.rng);
    gsl_rng_free(rb.rng);
}

static void tmp_path(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void test_checkpoint(void **state)
{
    (void)state;
    pol_sac a, b, d;
    pol_sac_cfg c;
    pol_sac_cfg_cartpole(&c, 3);
    c.buffer_size = 5000;
    c.learning_starts = 500;
    off_err e;
    assert_int_equal(pol_sac_init(&a, &c, &e), OFF_OK);
    cp_run ra;
    cp_init(&ra, 33);
    for (int t = 0; t < 2000; t++)
        cp_step(&a, &ra);
    char path[] = "/tmp/offsim-sac-XXXXXX", path2[] = "/tmp/offsim-sac-XXXXXX";
    tmp_path(path);
    tmp_path(path2);
    assert_int_equal(pol_sac_save(&a, path, 1, NULL, 0, &e), OFF_OK);
    assert_int_equal(pol_sac_save(&a, path2, 0, NULL, 0, &e), OFF_OK);

    /* a fresh agent with another seed takes everything from the file */
    pol_sac_cfg cb = c;
    cb.seed = 4;
    assert_int_equal(pol_sac_init(&b, &cb, &e), OFF_OK);
    assert_int_equal(pol_sac_load(&b, path, 1, &e), OFF_OK);
    assert_same_agent(&a, &b);
    assert_int_equal(a.updates, b.updates);
    assert_int_equal(a.adam_q1.t, b.adam_q1.t);
    assert_int_equal(a.rb_size, b.rb_size);
    gsl_rng *r = rng_new(5);
    for (int i = 0; i < 100; i++) {
        float o[POL_CARTPOLE_OBS], pa[2], pb[2], qa[2], qb[2];
        for (int k = 0; k < POL_CARTPOLE_OBS; k++)
            o[k] = (float)(gsl_rng_uniform(r) * 0.4 - 0.2);
        pol_sac_probs(&a, o, NULL, pa);
        pol_sac_probs(&b, o, NULL, pb);
        pol_sac_q(&a, o, qa);
        pol_sac_q(&b, o, qb);
        assert_memory_equal(pa, pb, sizeof pa);
        assert_memory_equal(qa, qb, sizeof qa);
    }
    /* continued training on the same environment is identical */
    cp_run rb = ra;
    rb.rng = rng_new(1);
    gsl_rng_memcpy(rb.rng, ra.rng);
    for (int t = 0; t < 500; t++) {
        cp_step(&a, &ra);
        cp_step(&b, &rb);
    }
    assert_same_agent(&a, &b);
    assert_memory_equal(a.adam_actor.m, b.adam_actor.m, a.adam_actor.n * sizeof(float));

    /* without the replay: same networks and outputs */
    pol_sac_free(&b);
    assert_int_equal(pol_sac_init(&b, &cb, &e), OFF_OK);
    assert_int_equal(pol_sac_load(&b, path2, 0, &e), OFF_OK);
    assert_int_equal(b.rb_size, 0);
    /* a file without the replay cannot be read with it */
    assert_int_equal(pol_sac_load(&b, path2, 1, &e), OFF_EINVAL);
    printf("no replay to read: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "sac.rb.obs"));
    /* one with the replay is read without it: the same agent, empty replay */
    float *saved = malloc(b.actor.n_params * sizeof *saved);
    memcpy(saved, b.actor.params, b.actor.n_params * sizeof *saved);
    pol_sac_free(&b);
    assert_int_equal(pol_sac_init(&b, &cb, &e), OFF_OK);
    assert_int_equal(pol_sac_load(&b, path, 0, &e), OFF_OK);
    assert_int_equal(b.rb_size, 0);
    assert_memory_equal(saved, b.actor.params, b.actor.n_params * sizeof *saved);
    free(saved);

    /* another architecture is refused, the agent untouched */
    pol_sac_cfg cd = c;
    cd.hidden[1] = 32;
    assert_int_equal(pol_sac_init(&d, &cd, &e), OFF_OK);
    float *before = malloc(d.actor.n_params * sizeof *before);
    memcpy(before, d.actor.params, d.actor.n_params * sizeof *before);
    assert_int_equal(pol_sac_load(&d, path2, 0, &e), OFF_EINVAL);
    printf("wrong architecture: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "hidden=64x32"));
    assert_non_null(strstr(e.msg, "hidden=64x64"));
    assert_memory_equal(before, d.actor.params, d.actor.n_params * sizeof *before);
    assert_int_equal(d.updates, 0);
    free(before);
    remove(path);
    remove(path2);
    gsl_rng_free(r);
    gsl_rng_free(ra.rng);
    gsl_rng_free(rb.rng);
    pol_sac_free(&a);
    pol_sac_free(&b);
    pol_sac_free(&d);
}

/* ---- learning ----------------------------------------------------------------- */

static void test_cartpole_learns(void **state)
{
    (void)state;
    pol_sac s;
    pol_sac_cfg c;
    pol_sac_cfg_cartpole(&c, 1);
    off_err e;
    assert_int_equal(pol_sac_init(&s, &c, &e), OFF_OK);
    cp_run r;
    cp_init(&r, 1001);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t hit = 0;
    printf("# step  episodes  mean20  alpha\n");
    while (r.steps < 50000 && !hit) {
        cp_step(&s, &r);
        if (r.n_done >= 20 && cp_mean20(&r) >= 195.0)
            hit = r.steps;
        if (r.steps % 5000 == 0 || hit)
            printf("%7llu  %8zu  %6.1f  %.3f\n", (unsigned long long)r.steps, r.n_done,
                   cp_mean20(&r), s.alpha);
    }
    cartpole_report(hit, r.steps, t0);
    assert_true(hit > 0 && hit <= 50000);
    pol_sac_free(&s);
    gsl_rng_free(r.rng);
}

/* 5 arms, constant observation, reward mean[a] + uniform noise in [-0.5,
 * 0.5), every step terminal; arm 3 (the richest) is masked out, arm 2 is the
 * best valid one.  Autotuned alpha with target_entropy_scale 0.1 (target
 * 0.1 log 4 nats: the default 0.89 would hold the policy near uniform). */
static void test_bandit(void **state)
{
    (void)state;
    const double mean[5] = {0.1, 0.3, 0.9, 2.0, 0.2};
    const uint8_t mask[5] = {1, 1, 1, 0, 1};
    pol_sac s;
    pol_sac_cfg c;
    pol_sac_cfg_default(&c, 1, 5);
    c.hidden[0] = c.hidden[1] = 16;
    c.buffer_size = 2000;
    c.batch_size = 32;
    c.learning_starts = 100;
    c.target_network_frequency = 1;
    c.tau = 0.01f;
    c.q_lr = c.policy_lr = 1e-3f;
    c.alpha_lr = 1e-3f;
    c.target_entropy_scale = 0.1f;
    c.seed = 9;
    off_err e;
    assert_int_equal(pol_sac_init(&s, &c, &e), OFF_OK);
    gsl_rng *r = rng_new(99);
    float obs[1] = {1.0f}, p[5], q[5];
    int count[5] = {0};
    for (int t = 0; t < 3000; t++) {
        int32_t a = pol_sac_act(&s, obs, mask, 0);
        count[a]++;
        float rew = (float)(mean[a] + gsl_rng_uniform(r) - 0.5);
        pol_sac_push(&s, obs, mask, a, rew, obs, mask, 1);
        pol_sac_update(&s, NULL);
    }
    pol_sac_probs(&s, obs, mask, p);
    pol_sac_q(&s, obs, q);
    printf("bandit: pi = %.3f %.3f %.3f %.3f %.3f, Q = %.2f %.2f %.2f (masked) %.2f, "
           "alpha %.4f, draws %d %d %d %d %d\n",
           p[0], p[1], p[2], p[3], p[4], q[0], q[1], q[2], q[4], s.alpha, count[0], count[1],
           count[2], count[3], count[4]);
    assert_int_equal(pol_sac_act(&s, obs, mask, 1), 2);
    assert_true(p[2] > 0.9f);
    assert_true(p[3] == 0.0f);
    assert_int_equal(count[3], 0);
    assert_float_equal(q[2], 0.9, 0.15);
    gsl_rng_free(r);
    pol_sac_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients_with_mask),
        cmocka_unit_test(test_masked_action_never_chosen),
        cmocka_unit_test(test_replay_ring),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_checkpoint),
        cmocka_unit_test(test_bandit),
        cmocka_unit_test(test_cartpole_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
