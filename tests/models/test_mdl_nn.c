/*
 * test_mdl_nn.c - float32 training layers: every backward pass against
 * central finite differences, forward passes on hand-computed cases,
 * batch-norm folding, optimiser steps, deterministic initialisation.
 *
 * Gradient check: with a fixed random r, L(x) = sum r . f(x); the backward
 * pass with dout = r must give dL/dx.  Central differences with eps = 1e-2
 * on float32 values of order 1 (the layers are linear or piecewise linear
 * away from kinks, so the difference quotient is exact up to rounding): the
 * worst relative errors seen are ~1e-5, the tolerance is 1e-3, and a wrong
 * gradient is off by order 1.
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

#include "mdl_nn.h"

static mdl_rng R = {12345};

static float *randv(size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(mdl_rng_uniform(&R) * 2.0 - 1.0);
    return v;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Compare analytic gradient g of L = r . f(x) w.r.t. x[0..n) with central
 * differences; fwd recomputes out from the current x. */
typedef void fwd_fn(void *ctx);
static double check(const char *what, float *x, const float *g, size_t n, fwd_fn *fwd,
                    void *ctx, const float *out, const float *r, size_t n_out)
{
    double worst = 0, eps = 1e-2;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + (float)eps;
        fwd(ctx);
        double lp = dot(out, r, n_out);
        x[i] = keep - (float)eps;
        fwd(ctx);
        double lm = dot(out, r, n_out);
        x[i] = keep;
        double num = (lp - lm) / (2 * eps);
        double rel = fabs(num - g[i]) / fmax(1.0, fabs(num) + fabs(g[i]));
        worst = fmax(worst, rel);
    }
    fwd(ctx);
    printf("  %-34s worst relative error %.2e over %zu values\n", what, worst, n);
    assert_true(worst < 1e-3);
    return worst;
}

typedef struct conv_ctx {
    mdl_conv_shape s;
    float *out, *inp, *w, *b;
} conv_ctx;

static void conv_fwd(void *c)
{
    conv_ctx *k = c;
    mdl_conv2d_forward(k->out, k->inp, k->w, k->b, &k->s);
}

static void conv_case(const char *name, mdl_conv_shape s)
{
    assert_true(mdl_conv_shape_init(&s));
    size_t ni = s.B * s.C * s.H * s.W, nw = s.OC * (s.C / s.groups) * s.KH * s.KW,
           no = s.B * s.OC * s.OH * s.OW;
    conv_ctx k = {s, malloc(no * 4), randv(ni), randv(nw), randv(s.OC)};
    float *r = randv(no), *di = calloc(ni, 4), *dw = calloc(nw, 4), *db = calloc(s.OC, 4);
    conv_fwd(&k);
    mdl_conv2d_backward(di, dw, db, r, k.inp, k.w, &k.s);
    char what[80];
    snprintf(what, sizeof what, "%s d(input)", name);
    check(what, k.inp, di, ni, conv_fwd, &k, k.out, r, no);
    snprintf(what, sizeof what, "%s d(weights)", name);
    check(what, k.w, dw, nw, conv_fwd, &k, k.out, r, no);
    snprintf(what, sizeof what, "%s d(bias)", name);
    check(what, k.b, db, s.OC, conv_fwd, &k, k.out, r, no);
    free(k.out); free(k.inp); free(k.w); free(k.b); free(r); free(di); free(dw); free(db);
}

static void test_conv_gradients(void **state)
{
    (void)state;
    conv_case("conv 3x3 s1 p1", (mdl_conv_shape){2, 3, 5, 6, 4, 3, 3, 1, 1, 1, 0, 0});
    conv_case("conv 3x3 s2 p1", (mdl_conv_shape){1, 2, 7, 7, 3, 3, 3, 2, 1, 1, 0, 0});
    conv_case("conv 5x5 s1 p2 groups 2", (mdl_conv_shape){1, 4, 6, 5, 6, 5, 5, 1, 2, 2, 0, 0});
    conv_case("depthwise 3x3 s2", (mdl_conv_shape){2, 4, 6, 6, 4, 3, 3, 2, 0, 4, 0, 0});
}

static void test_conv_forward_hand_computed(void **state)
{
    (void)state;
    /* 1x1x3x3 input 1..9, 2x2 kernel [[1,0],[0,-1]], bias 0.5: in - in(+1,+1) + 0.5 */
    float inp[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 0, 0, -1}, b = 0.5f, out[4];
    mdl_conv_shape s = {1, 1, 3, 3, 1, 2, 2, 1, 0, 1, 0, 0};
    assert_true(mdl_conv_shape_init(&s));
    assert_int_equal(s.OH, 2);
    mdl_conv2d_forward(out, inp, w, &b, &s);
    for (int i = 0; i < 4; i++)
        assert_true(out[i] == -3.5f);
    mdl_conv_shape bad = {1, 3, 3, 3, 2, 2, 2, 1, 0, 2, 0, 0}; /* C % groups */
    assert_false(mdl_conv_shape_init(&bad));
}

typedef struct fc_ctx {
    float *out, *inp, *w, *b;
    size_t B, C, OC;
} fc_ctx;

static void fc_fwd(void *c)
{
    fc_ctx *k = c;
    mdl_fc_forward(k->out, k->inp, k->w, k->b, k->B, k->C, k->OC);
}

static void test_fc_gradients(void **state)
{
    (void)state;
    fc_ctx k = {malloc(3 * 5 * 4), randv(3 * 7), randv(5 * 7), randv(5), 3, 7, 5};
    float *r = randv(15), *di = calloc(21, 4), *dw = calloc(35, 4), *db = calloc(5, 4);
    fc_fwd(&k);
    mdl_fc_backward(di, dw, db, r, k.inp, k.w, 3, 7, 5);
    check("fc d(input)", k.inp, di, 21, fc_fwd, &k, k.out, r, 15);
    check("fc d(weights)", k.w, dw, 35, fc_fwd, &k, k.out, r, 15);
    check("fc d(bias)", k.b, db, 5, fc_fwd, &k, k.out, r, 15);
    free(k.out); free(k.inp); free(k.w); free(k.b); free(r); free(di); free(dw); free(db);
}

typedef struct pool_ctx {
    float *out, *inp;
    int32_t *am;
    size_t B, C, H, W, k, s, p;
    int avg;
} pool_ctx;

static void pool_fwd(void *c)
{
    pool_ctx *q = c;
    if (q->avg)
        mdl_avgpool_forward(q->out, q->inp, q->B, q->C, q->H, q->W, q->k, q->s, q->p);
    else
        mdl_maxpool_forward(q->out, q->am, q->inp, q->B, q->C, q->H, q->W, q->k, q->s, q->p);
}

static void test_pool_gradients(void **state)
{
    (void)state;
    for (int avg = 0; avg < 2; avg++) {
        size_t B = 2, C = 3, H = 6, W = 5, k = 3, s = 2, p = 1;
        size_t OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
        size_t ni = B * C * H * W, no = B * C * OH * OW;
        pool_ctx q = {malloc(no * 4), malloc(ni * 4), malloc(no * 4), B, C, H, W, k, s, p, avg};
        /* distinct, well-separated values: no ties within eps for max */
        for (size_t i = 0; i < ni; i++)
            q.inp[i] = (float)((i * 37) % ni) * 0.1f;
        float *r = randv(no), *di = calloc(ni, 4);
        pool_fwd(&q);
        if (avg)
            mdl_avgpool_backward(di, r, B, C, H, W, k, s, p);
        else
            mdl_maxpool_backward(di, r, q.am, no);
        check(avg ? "avgpool 3x3 s2 p1 d(input)" : "maxpool 3x3 s2 p1 d(input)", q.inp, di,
              ni, pool_fwd, &q, q.out, r, no);
        free(q.out); free(q.inp); free(q.am); free(r); free(di);
    }
    /* forward by hand: 1x1x2x2 [1 2; 3 4], 2x2 window */
    float in[4] = {1, 2, 3, 4}, o;
    int32_t am;
    mdl_maxpool_forward(&o, &am, in, 1, 1, 2, 2, 2, 2, 0);
    assert_true(o == 4.0f && am == 3);
    mdl_avgpool_forward(&o, in, 1, 1, 2, 2, 2, 2, 0);
    assert_true(o == 2.5f);
}

typedef struct relu_ctx {
    float *out, *inp;
    size_t n;
    float cap;
} relu_ctx;

static void relu_fwd(void *c)
{
    relu_ctx *q = c;
    mdl_relu_forward(q->out, q->inp, q->n, q->cap);
}

static void test_relu_gradients(void **state)
{
    (void)state;
    for (int six = 0; six < 2; six++) {
        size_t n = 40;
        relu_ctx q = {malloc(n * 4), malloc(n * 4), n, six ? 6.0f : 0.0f};
        for (size_t i = 0; i < n; i++) /* away from the kinks at 0 and 6 */
            q.inp[i] = (float)(-9.75 + 0.5 * (double)i);
        float *r = randv(n), *di = calloc(n, 4);
        relu_fwd(&q);
        mdl_relu_backward(di, r, q.inp, n, q.cap);
        check(six ? "relu6 d(input)" : "relu d(input)", q.inp, di, n, relu_fwd, &q, q.out, r, n);
        assert_true(q.out[0] == 0.0f);
        assert_true(q.out[n - 1] == (six ? 6.0f : q.inp[n - 1]));
        free(q.out); free(q.inp); free(r); free(di);
    }
}

static void test_softmax_ce_value_and_gradient(void **state)
{
    (void)state;
    /* two classes, logits (0, ln 3): p = (1/4, 3/4); label 1: loss = -ln(3/4) */
    float logits[2] = {0.0f, (float)log(3.0)}, d[2];
    uint8_t label = 1;
    double loss = mdl_softmax_ce(d, logits, &label, 1, 2, 1.0f);
    assert_true(fabs(loss + log(0.75)) < 1e-6);
    assert_true(fabs(d[0] - 0.25) < 1e-6 && fabs(d[1] + 0.25) < 1e-6);
    /* finite differences on a batch, with an exit weight of 0.3 */
    enum { B = 4, K = 6 };
    float *x = randv(B * K), g[B * K], tmp[B * K];
    uint8_t lab[B] = {0, 5, 2, 2};
    mdl_softmax_ce(g, x, lab, B, K, 0.3f);
    double worst = 0;
    for (size_t i = 0; i < B * K; i++) {
        float keep = x[i];
        x[i] = keep + 1e-2f;
        double lp = 0.3 * mdl_softmax_ce(tmp, x, lab, B, K, 1.0f);
        x[i] = keep - 1e-2f;
        double lm = 0.3 * mdl_softmax_ce(tmp, x, lab, B, K, 1.0f);
        x[i] = keep;
        worst = fmax(worst, fabs((lp - lm) / 2e-2 - g[i]));
    }
    printf("  %-34s worst absolute error %.2e\n", "softmax-CE d(logits)", worst);
    assert_true(worst < 1e-4);
    free(x);
}

static void test_batchnorm_folding_preserves_outputs(void **state)
{
    (void)state;
    mdl_conv_shape s = {2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 0, 0};
    assert_true(mdl_conv_shape_init(&s));
    size_t no = s.B * s.OC * s.OH * s.OW, plane = s.OH * s.OW, per = s.C * 9;
    float *inp = randv(s.B * s.C * 25), *w = randv(s.OC * per), *b = randv(s.OC);
    float gamma[4] = {0.5f, 2.0f, -1.0f, 1.5f}, beta[4] = {0.1f, -0.2f, 0.3f, 0},
          mean[4] = {0.2f, -0.1f, 0, 0.5f}, var[4] = {1.0f, 0.25f, 4.0f, 0.5f}, eps = 1e-5f;
    float *y = malloc(no * 4), *z = malloc(no * 4);
    mdl_conv2d_forward(y, inp, w, b, &s);
    for (size_t n = 0; n < s.B; n++)
        for (size_t o = 0; o < s.OC; o++)
            for (size_t i = 0; i < plane; i++) {
                float *v = &y[(n * s.OC + o) * plane + i];
                *v = gamma[o] * (*v - mean[o]) / sqrtf(var[o] + eps) + beta[o];
            }
    mdl_fold_batchnorm(w, b, gamma, beta, mean, var, eps, s.OC, per);
    mdl_conv2d_forward(z, inp, w, b, &s);
    for (size_t i = 0; i < no; i++)
        assert_true(fabsf(y[i] - z[i]) < 1e-4f);
    free(inp); free(w); free(b); free(y); free(z);
}

static void test_optimiser_steps_by_hand(void **state)
{
    (void)state;
    /* SGD momentum 0.9, lr 0.1, wd 0: v = g = 2, p = 1 - 0.2; then v = 0.9*2 + 2 */
    float p = 1, g = 2, v = 0;
    mdl_sgd_update(&p, &g, &v, 1, 0.1f, 0.9f, 0.0f);
    assert_true(fabsf(p - 0.8f) < 1e-7f);
    mdl_sgd_update(&p, &g, &v, 1, 0.1f, 0.9f, 0.0f);
    assert_true(fabsf(v - 3.8f) < 1e-6f && fabsf(p - 0.42f) < 1e-6f);
    /* Adam's first step moves every parameter by lr * sign(g) (bias correction) */
    float q[2] = {1, 1}, gq[2] = {0.001f, -50}, m[2] = {0}, vv[2] = {0};
    mdl_adamw_update(q, gq, m, vv, 2, 0.01f, 0.9f, 0.999f, 1e-8f, 0.0f, 1, MDL_ADAM_F32);
    assert_true(fabsf(q[0] - 0.99f) < 1e-5f && fabsf(q[1] - 1.01f) < 1e-5f);
    /* Adam minimises a quadratic: f = sum (p - c)^2 */
    float x[3] = {5, -3, 0}, c[3] = {1, 2, -1}, gx[3], mx[3] = {0}, vx[3] = {0};
    for (int t = 1; t <= 3000; t++) {
        for (int i = 0; i < 3; i++)
            gx[i] = 2 * (x[i] - c[i]);
        mdl_adamw_update(x, gx, mx, vx, 3, 0.01f, 0.9f, 0.999f, 1e-8f, 0.0f, t, MDL_ADAM_F32);
    }
    for (int i = 0; i < 3; i++)
        assert_true(fabsf(x[i] - c[i]) < 1e-2f);
}

static void test_initialisation_is_deterministic_and_scaled(void **state)
{
    (void)state;
    enum { N = 20000 };
    static float a[N], b[N];
    mdl_rng r1 = {7}, r2 = {7}, r3 = {8};
    mdl_init_kaiming(a, N, 50, &r1);
    mdl_init_kaiming(b, N, 50, &r2);
    assert_memory_equal(a, b, sizeof a);
    mdl_init_kaiming(b, N, 50, &r3);
    assert_true(memcmp(a, b, sizeof a) != 0);
    double m = 0, v = 0;
    for (int i = 0; i < N; i++)
        m += a[i];
    m /= N;
    for (int i = 0; i < N; i++)
        v += (a[i] - m) * (a[i] - m);
    v /= N - 1;
    /* variance 2/fan_in = 0.04 within sampling error (~1 %) */
    assert_true(fabs(m) < 0.01 && fabs(v - 0.04) < 0.002);
}

static void test_gemm_convolution_matches_the_loops(void **state)
{
    (void)state;
    mdl_conv_shape shapes[] = {
        {2, 3, 9, 8, 5, 3, 3, 1, 1, 1, 0, 0},
        {1, 4, 10, 10, 6, 5, 5, 2, 2, 2, 0, 0},
        {3, 6, 7, 7, 6, 3, 3, 1, 1, 6, 0, 0},
        {2, 1, 28, 28, 16, 5, 5, 1, 2, 1, 0, 0},
    };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        mdl_conv_shape s = shapes[t];
        assert_true(mdl_conv_shape_init(&s));
        size_t ni = s.B * s.C * s.H * s.W, nw = s.OC * (s.C / s.groups) * s.KH * s.KW,
               no = s.B * s.OC * s.OH * s.OW;
        float *in = randv(ni), *w = randv(nw), *b = randv(s.OC), *r = randv(no);
        float *o1 = malloc(no * 4), *o2 = malloc(no * 4),
              *col = malloc(mdl_conv2d_col_size(&s) * 4);
        float *di1 = calloc(ni, 4), *di2 = calloc(ni, 4), *dw1 = calloc(nw, 4),
              *dw2 = calloc(nw, 4), *db1 = calloc(s.OC, 4), *db2 = calloc(s.OC, 4);
        mdl_conv2d_forward(o1, in, w, b, &s);
        mdl_conv2d_forward_gemm(o2, in, w, b, &s, col);
        mdl_conv2d_backward(di1, dw1, db1, r, in, w, &s);
        mdl_conv2d_backward_gemm(di2, dw2, db2, r, in, w, &s, col);
        double worst = 0;
        for (size_t i = 0; i < no; i++)
            worst = fmax(worst, fabs(o1[i] - o2[i]));
        for (size_t i = 0; i < ni; i++)
            worst = fmax(worst, fabs(di1[i] - di2[i]));
        for (size_t i = 0; i < nw; i++)
            worst = fmax(worst, fabs(dw1[i] - dw2[i]) / fmax(1.0, fabs(dw1[i])));
        for (size_t i = 0; i < s.OC; i++)
            worst = fmax(worst, fabs(db1[i] - db2[i]) / fmax(1.0, fabs(db1[i])));
        printf("  gemm conv case %zu: worst difference %.2e\n", t, worst);
        assert_true(worst < 1e-4);
        free(in); free(w); free(b); free(r); free(o1); free(o2); free(col);
        free(di1); free(di2); free(dw1); free(dw2); free(db1); free(db2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_forward_hand_computed),
        cmocka_unit_test(test_conv_gradients),
        cmocka_unit_test(test_fc_gradients),
        cmocka_unit_test(test_pool_gradients),
        cmocka_unit_test(test_relu_gradients),
        cmocka_unit_test(test_softmax_ce_value_and_gradient),
        cmocka_unit_test(test_batchnorm_folding_preserves_outputs),
        cmocka_unit_test(test_optimiser_steps_by_hand),
        cmocka_unit_test(test_initialisation_is_deterministic_and_scaled),
        cmocka_unit_test(test_gemm_convolution_matches_the_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
