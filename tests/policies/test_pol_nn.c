/*
 * test_pol_nn.c - the learning agents' neural-network library (pol_nn.h,
 * with the parts of mdl_nn.h it builds on, as the agents use them):
 * every backward pass against central finite differences, the CBLAS linear
 * layer against its loop oracle, categorical sampling frequencies and
 * masking, Adam's first two steps by hand, orthogonal initialisation, global
 * gradient-norm clipping, Polyak averaging, and checkpoints (round trip;
 * every truncation, a flipped byte, a wrong version, name or size refused
 * with the destination untouched).
 *
 * Finite differences: the scalar loss is a fixed random projection
 * sum_i r_i out_i of the layer's output, computed in double; x +- eps, the
 * quotient divided by the step actually taken ((float)(x+eps) -
 * (float)(x-eps)) so the rounding of the perturbed input is not counted as
 * error.  The error is the vector's, ||num - ana|| / ||ana||: below 2e-3
 * (eps 1e-3) for single layers, and for the MLP (eps 1e-2, whose float32
 * forward adds rounding noise that a smaller step would amplify).  A missing
 * or double-counted term is off by order 1.
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
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "pol_ckpt.h"
#include "pol_nn.h"

/* ---- helpers ------------------------------------------------------------- */

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static void fill(float *x, size_t n, gsl_rng *r, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * gsl_rng_uniform(r));
}

/* A scalar loss of the current state of the buffers the closure sees. */
typedef double loss_fn(void *ud);

/* ||num - ana|| / ||ana|| over x (n), ana the analytic gradient. */
static double fd_error(loss_fn *f, void *ud, float *x, const float *ana, size_t n,
                       float eps)
{
    double se = 0.0, sa = 0.0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i] = x0 + eps;
        float xp = x[i];
        double lp = f(ud);
        x[i] = x0 - eps;
        float xm = x[i];
        double lm = f(ud);
        x[i] = x0;
        double num = (lp - lm) / ((double)xp - xm);
        se += (num - ana[i]) * (num - ana[i]);
        sa += (double)ana[i] * ana[i];
    }
    return sqrt(se) / (sqrt(sa) + 1e-12);
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- linear -------------------------------------------------------------- */

enum { LB = 3, LC = 5, LOC = 4 };
typedef struct lin_ctx {
    float inp[LB * LC], w[LOC * LC], b[LOC], out[LB * LOC], r[LB * LOC];
} lin_ctx;

static double lin_loss(void *ud)
{
    lin_ctx *c = ud;
    mdl_fc_forward_gemm(c->out, c->inp, c->w, c->b, LB, LC, LOC);
    return dot(c->out, c->r, LB * LOC);
}

static void test_linear(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(1);
    lin_ctx c;
    fill(c.inp, LB * LC, r, -1, 1);
    fill(c.w, LOC * LC, r, -1, 1);
    fill(c.b, LOC, r, -1, 1);
    fill(c.r, LB * LOC, r, -1, 1);

    /* CBLAS against the loop oracle */
    float ref[LB * LOC];
    mdl_fc_forward_gemm(c.out, c.inp, c.w, c.b, LB, LC, LOC);
    mdl_fc_forward(ref, c.inp, c.w, c.b, LB, LC, LOC);
    for (size_t i = 0; i < LB * LOC; i++)
        assert_float_equal(c.out[i], ref[i], 1e-5);
    mdl_fc_forward_gemm(c.out, c.inp, c.w, NULL, LB, LC, LOC);
    mdl_fc_forward(ref, c.inp, c.w, NULL, LB, LC, LOC);
    for (size_t i = 0; i < LB * LOC; i++)
        assert_float_equal(c.out[i], ref[i], 1e-5);

    /* gradients accumulate: start from 1, subtract 1 afterwards */
    float dinp[LB * LC], dw[LOC * LC], db[LOC];
    float dinp2[LB * LC] = {0}, dw2[LOC * LC] = {0}, db2[LOC] = {0};
    for (size_t i = 0; i < LB * LC; i++)
        dinp[i] = 1.0f;
    for (size_t i = 0; i < LOC * LC; i++)
        dw[i] = 1.0f;
    for (size_t i = 0; i < LOC; i++)
        db[i] = 1.0f;
    mdl_fc_backward_gemm(dinp, dw, db, c.r, c.inp, c.w, LB, LC, LOC);
    mdl_fc_backward(dinp2, dw2, db2, c.r, c.inp, c.w, LB, LC, LOC);
    for (size_t i = 0; i < LB * LC; i++) {
        dinp[i] -= 1.0f;
        assert_float_equal(dinp[i], dinp2[i], 1e-5);
    }
    for (size_t i = 0; i < LOC * LC; i++) {
        dw[i] -= 1.0f;
        assert_float_equal(dw[i], dw2[i], 1e-5);
    }
    for (size_t i = 0; i < LOC; i++) {
        db[i] -= 1.0f;
        assert_float_equal(db[i], db2[i], 1e-5);
    }
    assert_true(fd_error(lin_loss, &c, c.inp, dinp, LB * LC, 1e-3f) < 2e-3);
    assert_true(fd_error(lin_loss, &c, c.w, dw, LOC * LC, 1e-3f) < 2e-3);
    assert_true(fd_error(lin_loss, &c, c.b, db, LOC, 1e-3f) < 2e-3);
    gsl_rng_free(r);
}

/* ---- activations --------------------------------------------------------- */

enum { AN = 16 };
typedef struct act_ctx {
    float inp[AN], out[AN], r[AN];
    int relu;
} act_ctx;

static double act_loss(void *ud)
{
    act_ctx *c = ud;
    if (c->relu)
        mdl_relu_forward(c->out, c->inp, AN, 0.0f);
    else
        mdl_tanh_forward(c->out, c->inp, AN);
    return dot(c->out, c->r, AN);
}

static void test_activations(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(2);
    for (int relu = 0; relu < 2; relu++) {
        act_ctx c = {.relu = relu};
        fill(c.inp, AN, r, -2, 2);
        for (size_t i = 0; i < AN; i++) /* keep ReLU's kink out of reach */
            if (fabsf(c.inp[i]) < 0.05f)
                c.inp[i] = 0.5f;
        fill(c.r, AN, r, -1, 1);
        act_loss(&c);
        float d[AN] = {0};
        if (relu)
            mdl_relu_backward(d, c.r, c.out, AN, 0.0f);
        else
            mdl_tanh_backward(d, c.r, c.out, AN);
        assert_true(fd_error(act_loss, &c, c.inp, d, AN, 1e-3f) < 2e-3);
    }
    gsl_rng_free(r);
}

/* ---- softmax, log-softmax, heads ----------------------------------------- */

enum { SB = 2, SK = 5 };
typedef struct lsm_ctx {
    float z[SB * SK], lp[SB * SK], r[SB * SK];
} lsm_ctx;

static double lsm_loss(void *ud)
{
    lsm_ctx *c = ud;
    pol_log_softmax_forward(c->lp, c->z, SB, SK);
    return dot(c->lp, c->r, SB * SK);
}

static void test_log_softmax(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(3);
    lsm_ctx c;
    fill(c.z, SB * SK, r, -3, 3);
    fill(c.r, SB * SK, r, -1, 1);
    lsm_loss(&c);
    float p[SB * SK];
    pol_softmax_forward(p, c.z, SB, SK);
    for (size_t i = 0; i < SB; i++) {
        double s = 0.0;
        for (size_t k = 0; k < SK; k++) {
            s += p[i * SK + k];
            assert_float_equal(logf(p[i * SK + k]), c.lp[i * SK + k], 1e-5);
        }
        assert_float_equal(s, 1.0, 1e-6);
    }
    float d[SB * SK] = {0};
    pol_log_softmax_backward(d, c.r, c.lp, SB, SK);
    assert_true(fd_error(lsm_loss, &c, c.z, d, SB * SK, 1e-3f) < 2e-3);

    /* large logits stay finite */
    float big[3] = {1000.0f, 999.0f, -1000.0f}, lb[3];
    pol_log_softmax_forward(lb, big, 1, 3);
    assert_float_equal(lb[0], -log1p(exp(-1.0)), 1e-5);
    gsl_rng_free(r);
}

/* Two heads of 3 and 4 actions, batch 3: loss = sum_i a_i logp_i + c_i ent_i */
enum { HB = 3, HH = 2, HS = 7 };
static const size_t HK[HH] = {3, 4};
typedef struct heads_ctx {
    float z[HB * HS], lsm[HB * HS], logp[HB], ent[HB], a[HB], c[HB];
    int32_t act[HB * HH];
} heads_ctx;

static double heads_loss(void *ud)
{
    heads_ctx *c = ud;
    pol_heads_forward(c->logp, c->ent, c->lsm, c->z, c->act, HB, HK, HH);
    return dot(c->logp, c->a, HB) + dot(c->ent, c->c, HB);
}

static void test_heads(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(4);
    heads_ctx c;
    fill(c.z, HB * HS, r, -2, 2);
    fill(c.a, HB, r, -1, 1);
    fill(c.c, HB, r, -1, 1);
    for (size_t i = 0; i < HB; i++) {
        c.act[i * HH] = (int32_t)(i % 3);
        c.act[i * HH + 1] = (int32_t)((i + 2) % 4);
    }
    heads_loss(&c);
    /* the forward values by hand: log-softmax and entropy per head, summed */
    for (size_t i = 0; i < HB; i++) {
        double lp = 0.0, e = 0.0;
        size_t off = 0;
        for (size_t h = 0; h < HH; h++) {
            double s = 0.0;
            for (size_t k = 0; k < HK[h]; k++)
                s += exp(c.z[i * HS + off + k]);
            lp += c.z[i * HS + off + (size_t)c.act[i * HH + h]] - log(s);
            for (size_t k = 0; k < HK[h]; k++) {
                double p = exp(c.z[i * HS + off + k]) / s;
                e -= p * log(p);
            }
            off += HK[h];
        }
        assert_float_equal(c.logp[i], lp, 1e-5);
        assert_float_equal(c.ent[i], e, 1e-5);
    }
    float d[HB * HS] = {0};
    pol_heads_backward(d, c.a, c.c, c.lsm, c.act, HB, HK, HH);
    assert_true(fd_error(heads_loss, &c, c.z, d, HB * HS, 1e-3f) < 2e-3);

    /* each term alone, too (a NULL gradient is skipped) */
    memset(d, 0, sizeof d);
    pol_heads_backward(d, c.a, NULL, c.lsm, c.act, HB, HK, HH);
    float c_save[HB];
    memcpy(c_save, c.c, sizeof c_save);
    memset(c.c, 0, sizeof c.c);
    assert_true(fd_error(heads_loss, &c, c.z, d, HB * HS, 1e-3f) < 2e-3);
    memcpy(c.c, c_save, sizeof c_save);
    gsl_rng_free(r);
}

static void test_sampling(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(5);
    float z[4] = {logf(0.1f), logf(0.2f), -INFINITY, logf(0.7f)};
    int cnt[4] = {0};
    const int N = 20000;
    for (int i = 0; i < N; i++)
        cnt[pol_categorical_sample(z, 4, r)]++;
    assert_int_equal(cnt[2], 0); /* masked */
    assert_true(fabs(cnt[0] / (double)N - 0.1) < 0.01);
    assert_true(fabs(cnt[1] / (double)N - 0.2) < 0.01);
    assert_true(fabs(cnt[3] / (double)N - 0.7) < 0.01);
    assert_int_equal(pol_argmax(z, 4), 3);

    /* heads: same seed, same draws */
    float zz[7] = {0, 1, 2, 0, 0, 5, 0};
    int32_t a1[2], a2[2];
    gsl_rng_set(r, 9);
    pol_heads_sample(a1, zz, HK, 2, r);
    gsl_rng_set(r, 9);
    pol_heads_sample(a2, zz, HK, 2, r);
    assert_memory_equal(a1, a2, sizeof a1);
    assert_true(a1[0] >= 0 && a1[0] < 3 && a1[1] >= 0 && a1[1] < 4);
    gsl_rng_free(r);
}

/* ---- losses -------------------------------------------------------------- */

enum { LN = 8 };
typedef struct loss_ctx {
    float p[LN], t[LN];
    int huber;
} loss_ctx;

static double loss_loss(void *ud)
{
    loss_ctx *c = ud;
    return c->huber ? pol_huber_forward(c->p, c->t, LN, 1.0f)
                    : pol_mse_forward(c->p, c->t, LN);
}

static void test_losses(void **state)
{
    (void)state;
    loss_ctx c = {.p = {0.0f, 1.0f, 2.0f, -3.0f, 0.5f, 4.0f, -0.2f, 1.5f},
                  .t = {0.3f, 1.0f, -1.0f, 0.0f, 0.0f, 1.0f, 0.1f, 3.0f}};
    /* by hand: differences -0.3, 0, 3, -3, 0.5, 3, -0.3, -1.5 */
    double sq = 0.09 + 0 + 9 + 9 + 0.25 + 9 + 0.09 + 2.25;
    assert_float_equal(pol_mse_forward(c.p, c.t, LN), sq / 8, 1e-6);
    double hu = 0.045 + 0 + 2.5 + 2.5 + 0.125 + 2.5 + 0.045 + 1.0;
    assert_float_equal(pol_huber_forward(c.p, c.t, LN, 1.0f), hu / 8, 1e-6);
    for (int huber = 0; huber < 2; huber++) {
        c.huber = huber;
        float d[LN] = {0};
        if (huber)
            pol_huber_backward(d, c.p, c.t, LN, 1.0f, 1.0f);
        else
            pol_mse_backward(d, c.p, c.t, LN, 1.0f);
        /* the element with difference 0 has gradient 0: fd_error's ratio
         * still covers it through the vector norm */
        assert_true(fd_error(loss_loss, &c, c.p, d, LN, 1e-3f) < 2e-3);
        /* dloss scales */
        float d2[LN] = {0};
        if (huber)
            pol_huber_backward(d2, c.p, c.t, LN, 1.0f, -2.0f);
        else
            pol_mse_backward(d2, c.p, c.t, LN, -2.0f);
        for (size_t i = 0; i < LN; i++)
            assert_float_equal(d2[i], -2.0f * d[i], 1e-6);
    }
}

/* ---- MLP end to end ------------------------------------------------------ */

enum { MB = 3 };
static const size_t MS[4] = {3, 6, 5, 2};
typedef struct mlp_ctx {
    pol_mlp m;
    float inp[MB * 3], r[MB * 2];
} mlp_ctx;

static double mlp_loss(void *ud)
{
    mlp_ctx *c = ud;
    const float *out = pol_mlp_forward(&c->m, c->inp, MB);
    return dot(out, c->r, MB * 2);
}

static void test_mlp(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(6);
    off_err e;
    for (int act = 0; act < 2; act++) {
        mlp_ctx c;
        assert_int_equal(pol_mlp_init(&c.m, MS, 4, act ? POL_ACT_RELU : POL_ACT_TANH, 4, &e),
                         OFF_OK);
        assert_int_equal(c.m.n_params, 3 * 6 + 6 + 6 * 5 + 5 + 5 * 2 + 2);
        double gains[3] = {sqrt(2.0), sqrt(2.0), 1.0};
        assert_int_equal(pol_mlp_init_orthogonal(&c.m, gains, r, &e), OFF_OK);
        fill(c.m.params, c.m.n_params, r, -0.8, 0.8); /* non-zero biases too */
        fill(c.r, MB * 2, r, -1, 1);
        /* ReLU: redraw the input until no pre-activation is within reach of 0 */
        for (int tries = 0;; tries++) {
            assert_true(tries < 1000);
            fill(c.inp, MB * 3, r, -1, 1);
            if (!act)
                break;
            float z0[MB * 6], z1[MB * 5], h0[MB * 6];
            mdl_fc_forward_gemm(z0, c.inp, c.m.w[0], c.m.b[0], MB, 3, 6);
            mdl_relu_forward(h0, z0, MB * 6, 0.0f);
            mdl_fc_forward_gemm(z1, h0, c.m.w[1], c.m.b[1], MB, 6, 5);
            int ok = 1;
            for (size_t i = 0; i < MB * 6; i++)
                ok &= fabsf(z0[i]) > 0.1f;
            for (size_t i = 0; i < MB * 5; i++)
                ok &= fabsf(z1[i]) > 0.1f;
            if (ok)
                break;
        }
        mlp_loss(&c);
        pol_mlp_zero_grad(&c.m);
        float dinp[MB * 3] = {0};
        pol_mlp_backward(&c.m, dinp, c.r, c.inp, MB);
        float *g = malloc(c.m.n_params * sizeof *g);
        memcpy(g, c.m.grads, c.m.n_params * sizeof *g);
        assert_true(fd_error(mlp_loss, &c, c.m.params, g, c.m.n_params, 1e-2f) < 2e-3);
        assert_true(fd_error(mlp_loss, &c, c.inp, dinp, MB * 3, 1e-2f) < 2e-3);
        /* a second backward doubles the gradients (accumulation) */
        mlp_loss(&c);
        pol_mlp_backward(&c.m, NULL, c.r, c.inp, MB);
        for (size_t i = 0; i < c.m.n_params; i++)
            assert_float_equal(c.m.grads[i], 2.0f * g[i], 1e-5);
        free(g);
        pol_mlp_free(&c.m);
        pol_mlp_free(&c.m); /* idempotent */
    }
    pol_mlp m;
    size_t bad[2] = {3, 0};
    assert_int_equal(pol_mlp_init(&m, bad, 2, POL_ACT_TANH, 1, &e), OFF_EINVAL);
    gsl_rng_free(r);
}

/* ---- optimisation -------------------------------------------------------- */

static void test_adam(void **state)
{
    (void)state;
    off_err e;
    mdl_adam a;
    assert_int_equal(mdl_adam_init(&a, 2, 0.1f, 0.9f, 0.999f, 1e-8f, &e), OFF_OK);
    float p[2] = {1.0f, -2.0f};
    const float g1[2] = {0.5f, -1.0f}, g2[2] = {-0.3f, 2.0f};
    mdl_adam_step(&a, p, g1);
    /* t=1: m = 0.1 g, v = 0.001 g^2, mh = g, vh = g^2: step = lr sign(g)
     * (up to eps) */
    assert_float_equal(p[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-6);
    assert_float_equal(p[1], -2.0 + 0.1 * 1.0 / (1.0 + 1e-8), 1e-6);
    mdl_adam_step(&a, p, g2);
    /* t=2 by hand for both parameters */
    const float g1s[2] = {0.5f, -1.0f}, g2s[2] = {-0.3f, 2.0f};
    double want[2] = {1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 + 0.1 / (1.0 + 1e-8)};
    for (int i = 0; i < 2; i++) {
        double m = 0.9 * (0.1 * g1s[i]) + 0.1 * g2s[i];
        double v = 0.999 * (0.001 * g1s[i] * g1s[i]) + 0.001 * g2s[i] * g2s[i];
        double mh = m / (1 - 0.81), vh = v / (1 - 0.999 * 0.999);
        want[i] -= 0.1 * mh / (sqrt(vh) + 1e-8);
        assert_float_equal(p[i], want[i], 1e-5);
    }
    assert_int_equal(a.t, 2);
    mdl_adam_free(&a);
    mdl_adam_free(&a);
    assert_int_equal(mdl_adam_init(&a, 2, 0.1f, 1.0f, 0.999f, 1e-8f, &e), OFF_EINVAL);
}

static void test_clip_polyak(void **state)
{
    (void)state;
    float a[2] = {3.0f, 4.0f}, b[1] = {12.0f};
    float *bufs[2] = {a, b};
    size_t ns[2] = {2, 1};
    assert_float_equal(pol_clip_grad_norm(bufs, ns, 2, 20.0), 13.0, 1e-9);
    assert_float_equal(a[0], 3.0f, 0); /* under the limit: untouched */
    assert_float_equal(pol_clip_grad_norm(bufs, ns, 2, 6.5), 13.0, 1e-9);
    double n2 = a[0] * a[0] + a[1] * a[1] + b[0] * b[0];
    assert_float_equal(sqrt(n2), 6.5, 1e-5);
    assert_float_equal(a[1] / a[0], 4.0 / 3.0, 1e-6); /* direction kept */

    float t[2] = {1.0f, 2.0f}, s[2] = {3.0f, -2.0f};
    pol_polyak(t, s, 2, 0.25f);
    assert_float_equal(t[0], 1.5f, 1e-6);
    assert_float_equal(t[1], 1.0f, 1e-6);
    pol_polyak(t, s, 2, 1.0f);
    assert_memory_equal(t, s, sizeof t);
}

static void check_orthogonal(size_t rows, size_t cols, double gain, gsl_rng *r)
{
    off_err e;
    float *w = malloc(rows * cols * sizeof *w);
    assert_int_equal(pol_orthogonal_init(w, rows, cols, gain, r, &e), OFF_OK);
    /* rows <= cols: W W^T = gain^2 I (rows x rows); else W^T W (cols x cols) */
    int wide = rows <= cols;
    size_t n = wide ? rows : cols, len = wide ? cols : rows;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t k = 0; k < len; k++)
                s += wide ? (double)w[i * cols + k] * w[j * cols + k]
                          : (double)w[k * cols + i] * w[k * cols + j];
            assert_float_equal(s, i == j ? gain * gain : 0.0, 1e-5 * gain * gain);
        }
    free(w);
}

static void test_orthogonal(void **state)
{
    (void)state;
    gsl_rng *r = rng_new(7);
    check_orthogonal(3, 7, 2.0, r);
    check_orthogonal(16, 16, sqrt(2.0), r);
    check_orthogonal(64, 4, 1.0, r);
    check_orthogonal(2, 64, 0.01, r);
    gsl_rng_free(r);
}

/* ---- checkpoints --------------------------------------------------------- */

static char ckpt_path[64];

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void test_checkpoint(void **state)
{
    (void)state;
    off_err e;
    int fd = -1;
    strcpy(ckpt_path, "/tmp/offsim-polck-XXXXXX");
    fd = mkstemp(ckpt_path);
    assert_true(fd >= 0);
    close(fd);

    float w[5] = {1.0f, -2.5f, 3.25f, INFINITY, -0.0f}, v[3] = {7.0f, 8.0f, 9.0f};
    pol_tensor ts[2] = {{"actor", w, 5, MDL_DT_F32}, {"adam.m", v, 3, MDL_DT_F32}};
    assert_int_equal(pol_ckpt_save(ckpt_path, "test", "w=5", ts, 2, &e), OFF_OK);

    float w2[5] = {0}, v2[3] = {0};
    pol_tensor in[2] = {{"actor", w2, 5, MDL_DT_F32}, {"adam.m", v2, 3, MDL_DT_F32}};
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_OK);
    assert_memory_equal(w, w2, sizeof w); /* bit for bit, -0 and inf included */
    assert_memory_equal(v, v2, sizeof v);

    /* the OFFW container: kind and shape blobs, then the sections */
    mdl_weights mw;
    assert_int_equal(mdl_weights_read(&mw, ckpt_path, &e), OFF_OK);
    assert_int_equal(mw.n, 4);
    assert_string_equal(mw.t[0].name, "kind");
    assert_int_equal(mw.t[0].dtype, MDL_DT_U8);
    assert_memory_equal(mw.t[0].data, "test", 4);
    assert_string_equal(mw.t[1].name, "arch");
    assert_string_equal(mw.t[2].name, "actor");
    mdl_weights_free(&mw);

    /* read the file back, then damage it in every way */
    FILE *f = fopen(ckpt_path, "rb");
    assert_non_null(f);
    unsigned char buf[512];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(len > 16 && len < sizeof buf);
    float zero[5] = {0};

    /* every truncation, from empty to one byte short */
    for (size_t n = 0; n < len; n++) {
        write_bytes(ckpt_path, buf, n);
        memset(w2, 0, sizeof w2);
        memset(v2, 0, sizeof v2);
        assert_int_not_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_OK);
        assert_memory_equal(w2, zero, sizeof w2); /* untouched */
        assert_memory_equal(v2, zero, sizeof v2);
    }
    /* every single flipped byte (magic, version, sizes, data or CRC) */
    for (size_t i = 0; i < len; i++) {
        unsigned char bad[512];
        memcpy(bad, buf, len);
        bad[i] ^= 0x41;
        write_bytes(ckpt_path, bad, len);
        assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_EINVAL);
        assert_memory_equal(w2, zero, sizeof w2);
    }
    /* a trailing byte */
    unsigned char longer[513];
    memcpy(longer, buf, len);
    longer[len] = 0;
    write_bytes(ckpt_path, longer, len + 1);
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_EINVAL);

    /* an intact file that does not match the network */
    write_bytes(ckpt_path, buf, len);
    pol_tensor wrong_name[2] = {{"critic", w2, 5, MDL_DT_F32}, {"adam.m", v2, 3, MDL_DT_F32}};
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", wrong_name, 2, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "critic"));
    pol_tensor wrong_size[2] = {{"actor", w2, 4, MDL_DT_F32}, {"adam.m", v2, 3, MDL_DT_F32}};
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", wrong_size, 2, &e), OFF_EINVAL);
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 1, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "adam.m"));
    /* another agent's, or another shape: named, not counted */
    assert_int_equal(pol_ckpt_load(ckpt_path, "ppo", NULL, in, 2, &e), OFF_EINVAL);
    printf("  wrong kind: %s\n", e.msg);
    assert_non_null(strstr(e.msg, "a test checkpoint, expected ppo"));
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=4", in, 2, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "for w=5, expected w=4"));
    assert_memory_equal(w2, zero, sizeof w2);
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_OK);

    /* a version from the future, with a valid CRC, names the version */
    {
        unsigned char fut[512];
        memcpy(fut, buf, len);
        fut[4] = 2;
        write_bytes(ckpt_path, fut, len);
        assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_EINVAL);
        assert_non_null(strstr(e.msg, "version 2"));
    }
    /* the agents' earlier format is recognised, never misread */
    {
        unsigned char old[40] = "OFFPOLCK\1\0\0\0\2\0\0\0";
        write_bytes(ckpt_path, old, sizeof old);
        assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_EINVAL);
        printf("  old format: %s\n", e.msg);
        assert_non_null(strstr(e.msg, "older OFFPOLCK format"));
    }
    /* a model weights file is not a checkpoint */
    {
        uint8_t one = 1;
        mdl_tensor_rec r = {"conv1.w", MDL_DT_U8, 1, {1}, 1, &one};
        assert_int_equal(mdl_weights_write(ckpt_path, &r, 1, &e), OFF_OK);
        assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_EINVAL);
        assert_non_null(strstr(e.msg, "without an agent kind"));
    }
    remove(ckpt_path);
    assert_int_equal(pol_ckpt_load(ckpt_path, "test", "w=5", in, 2, &e), OFF_EIO);
    assert_int_equal(pol_ckpt_save("/nonexistent-dir/x.ckpt", "test", NULL, ts, 2, &e),
                     OFF_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),      cmocka_unit_test(test_activations),
        cmocka_unit_test(test_log_softmax), cmocka_unit_test(test_heads),
        cmocka_unit_test(test_sampling),    cmocka_unit_test(test_losses),
        cmocka_unit_test(test_mlp),         cmocka_unit_test(test_adam),
        cmocka_unit_test(test_clip_polyak), cmocka_unit_test(test_orthogonal),
        cmocka_unit_test(test_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
