/*
 * test_mdl_nn_grad.c - the float32 training layers beyond test_mdl_nn.c:
 * the multi-exit loss (value and finite-difference gradient), a two-exit
 * network's gradient end to end (conv, ReLU, max pool, depthwise conv, fc,
 * multi-exit CE composed, so the accumulate rule is exercised where two
 * consumers share a tensor), hand-computed forward values for fc, grouped
 * and depthwise conv, padded pooling and ReLU6, the accumulate rule itself,
 * a two-step AdamW with weight decay by hand, and Kaiming-uniform init.
 *
 * Finite differences: x +- eps, the loss in double, the quotient divided by
 * the step actually taken ((float)(x+eps) - (float)(x-eps)), so the rounding
 * of the perturbed input is not counted as error.  Single layers: eps 1e-3,
 * worst per-value relative error |num - ana| / max(|num|, |ana|, 1e-6) < 1e-3.
 * The network: its float32 forward adds ~1e-6 of rounding noise to a loss
 * of ~4, which eps 1e-3 would turn into ~5e-4 of error in every numeric
 * derivative, so there eps is 1e-2, the input is redrawn until every kink
 * (ReLU at 0, ReLU6 at 6, a max-pool near-tie) is further than a step can
 * move it, and the error is the vector's, ||num - ana|| / ||ana|| < 1e-3.
 * A missing or double-counted term is off by order 1 either way.
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

static mdl_rng R = {2026};

static float *randv(size_t n)
{
    float *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(mdl_rng_uniform(&R) * 2.0 - 1.0);
    return v;
}

static float *zerov(size_t n)
{
    float *v = calloc(n, sizeof *v);
    assert_non_null(v);
    return v;
}

/* d loss / d x[i] for every i by central differences (loss() reads x);
 * returns the worst per-value relative error, or with norm != 0 the error
 * of the whole vector, ||num - ana|| / max(||num||, ||ana||). */
typedef double loss_fn(void *ctx);
static double fd_check(const char *what, float *x, const float *g, size_t n, loss_fn *loss,
                       void *ctx, float eps, int norm)
{
    double worst = 0, e2 = 0, n2 = 0, a2 = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i], xp = keep + eps, xm = keep - eps;
        x[i] = xp;
        double lp = loss(ctx);
        x[i] = xm;
        double lm = loss(ctx);
        x[i] = keep;
        double num = (lp - lm) / ((double)xp - (double)xm);
        double rel = fabs(num - g[i]) / fmax(fmax(fabs(num), fabs(g[i])), 1e-6);
        if (getenv("FD_DEBUG") && rel > 1e-3)
            printf("    [%zu] numeric %.6e analytic %.6e\n", i, num, (double)g[i]);
        worst = fmax(worst, rel);
        e2 += (num - g[i]) * (num - g[i]);
        n2 += num * num;
        a2 += (double)g[i] * g[i];
    }
    double vec = sqrt(e2) / fmax(sqrt(fmax(n2, a2)), 1e-12);
    printf("  %-24s %s relative error %.2e over %zu values (eps %.0e)\n", what,
           norm ? "vector" : "worst ", norm ? vec : worst, n, (double)eps);
    double r = norm ? vec : worst;
    assert_true(r < 1e-3);
    return r;
}

/* ---- multi-exit loss ---------------------------------------------------- */

enum { ME_E = 3, ME_B = 4, ME_K = 5 };
typedef struct me_ctx {
    float *logits[ME_E], *d[ME_E];
    float w[ME_E];
    uint8_t labels[ME_B];
} me_ctx;

static double me_loss(void *c)
{
    me_ctx *k = c;
    float *scratch[ME_E];
    float buf[ME_E][ME_B * ME_K];
    for (int e = 0; e < ME_E; e++)
        scratch[e] = buf[e];
    return mdl_multiexit_ce(scratch, (const float *const *)k->logits, k->w, ME_E, k->labels,
                            ME_B, ME_K, NULL);
}

static void test_multiexit_loss_is_the_weighted_sum_and_its_gradient(void **state)
{
    (void)state;
    me_ctx k = {.w = {0.3f, 0.5f, 1.0f}, .labels = {0, 4, 2, 2}};
    for (int e = 0; e < ME_E; e++) {
        k.logits[e] = randv(ME_B * ME_K);
        k.d[e] = zerov(ME_B * ME_K);
    }
    double per[ME_E];
    double total = mdl_multiexit_ce(k.d, (const float *const *)k.logits, k.w, ME_E, k.labels,
                                    ME_B, ME_K, per);
    double sum = 0;
    for (int e = 0; e < ME_E; e++) {
        float tmp[ME_B * ME_K];
        double ce = mdl_softmax_ce(tmp, k.logits[e], k.labels, ME_B, ME_K, 1.0f);
        assert_true(per[e] == ce);
        sum += (double)k.w[e] * ce;
    }
    printf("  multi-exit loss %.9f, weighted sum of CEs %.9f\n", total, sum);
    assert_true(fabs(total - sum) < 1e-12);
    /* hand value: 2 exits, K = 2, logits (0, ln 3), label 1: each CE = -ln 3/4 */
    float l2[2] = {0.0f, (float)log(3.0)}, d0[2], d1[2], w2[2] = {0.5f, 1.0f};
    const float *lp[2] = {l2, l2};
    float *dp[2] = {d0, d1};
    uint8_t one = 1;
    double v = mdl_multiexit_ce(dp, lp, w2, 2, &one, 1, 2, NULL);
    assert_true(fabs(v - 1.5 * -log(0.75)) < 1e-6);
    assert_true(fabs(d0[0] - 0.125) < 1e-6 && fabs(d1[1] + 0.25) < 1e-6);

    char what[64];
    for (int e = 0; e < ME_E; e++) {
        snprintf(what, sizeof what, "multi-exit CE d(logits[%d])", e);
        fd_check(what, k.logits[e], k.d[e], ME_B * ME_K, me_loss, &k, 1e-3f, 0);
    }
    for (int e = 0; e < ME_E; e++) {
        free(k.logits[e]);
        free(k.d[e]);
    }
}

/* ---- a two-exit network end to end -------------------------------------
 * x (B,1,6,6) -> conv1 3x3 1->3 p1 -> ReLU -> maxpool 2 -> h (B,3,3,3)
 *   h -> flatten (no-op) -> fc 27->4                      exit 0 (weight 0.5)
 *   h -> depthwise 3x3 p1 -> ReLU6 -> flatten -> fc 27->4 exit 1 (weight 1.0)
 * h has two consumers: its gradient is the sum of both (accumulate rule). */
enum { NB = 2, NK = 4 };
typedef struct net {
    mdl_conv_shape c1, c2;
    float *x, *w1, *b1, *w2, *b2, *we, *be, *wf, *bf;
    float *a1, *r1, *h, *a2, *r2, *lo[2];
    int32_t *am;
    uint8_t labels[NB];
} net;

static double net_forward(net *n, float *dl[2])
{
    size_t n1 = NB * 3 * 36, nh = NB * 27;
    mdl_conv2d_forward(n->a1, n->x, n->w1, n->b1, &n->c1);
    mdl_relu_forward(n->r1, n->a1, n1, 0.0f);
    mdl_maxpool_forward(n->h, n->am, n->r1, NB, 3, 6, 6, 2, 2, 0);
    mdl_fc_forward(n->lo[0], n->h, n->we, n->be, NB, 27, NK);
    mdl_conv2d_forward(n->a2, n->h, n->w2, n->b2, &n->c2);
    mdl_relu_forward(n->r2, n->a2, nh, 6.0f);
    mdl_fc_forward(n->lo[1], n->r2, n->wf, n->bf, NB, 27, NK);
    const float w[2] = {0.5f, 1.0f};
    return mdl_multiexit_ce(dl, (const float *const *)n->lo, w, 2, n->labels, NB, NK, NULL);
}

/* Distance of the current point from the nearest kink: a ReLU/ReLU6 input
 * at 0 or 6, or a max-pool window whose two largest (positive) values are
 * close.  Finite differences across a kink are meaningless, so the test
 * redraws x until every kink is further away than a step can move it. */
static double net_margin(const net *n)
{
    size_t n1 = NB * 3 * 36, nh = NB * 27;
    double m = INFINITY;
    for (size_t i = 0; i < n1; i++)
        m = fmin(m, fabs(n->a1[i]));
    for (size_t i = 0; i < nh; i++)
        m = fmin(m, fmin(fabs(n->a2[i]), fabs(n->a2[i] - 6.0f)) / 4); /* w2 up to 4 */
    for (size_t c = 0; c < NB * 3; c++)
        for (size_t oy = 0; oy < 3; oy++)
            for (size_t ox = 0; ox < 3; ox++) {
                float v[4];
                for (int k = 0; k < 4; k++)
                    v[k] = n->r1[c * 36 + (2 * oy + (size_t)k / 2) * 6 + 2 * ox + (size_t)k % 2];
                for (int i = 0; i < 4; i++)
                    for (int j = i + 1; j < 4; j++)
                        if (v[i] > 0 || v[j] > 0)
                            m = fmin(m, fabs(v[i] - v[j]));
            }
    return m;
}

static double net_loss(void *c)
{
    float d0[NB * NK], d1[NB * NK], *dl[2] = {d0, d1};
    return net_forward(c, dl);
}

static void test_two_exit_network_gradient_end_to_end(void **state)
{
    (void)state;
    net n = {.c1 = {NB, 1, 6, 6, 3, 3, 3, 1, 1, 1, 0, 0},
             .c2 = {NB, 3, 3, 3, 3, 3, 3, 1, 1, 3, 0, 0},
             .labels = {1, 3}};
    assert_true(mdl_conv_shape_init(&n.c1) && mdl_conv_shape_init(&n.c2));
    size_t n1 = NB * 3 * 36, nh = NB * 27;
    n.x = randv(NB * 36);
    n.w1 = randv(27), n.b1 = randv(3), n.w2 = randv(27), n.b2 = randv(3);
    n.we = randv(NK * 27), n.be = randv(NK), n.wf = randv(NK * 27), n.bf = randv(NK);
    for (size_t i = 0; i < 27; i++) /* larger depthwise weights: some ReLU6 outputs cap */
        n.w2[i] *= 4.0f;
    n.a1 = zerov(n1), n.r1 = zerov(n1), n.h = zerov(nh), n.a2 = zerov(nh), n.r2 = zerov(nh);
    n.lo[0] = zerov(NB * NK), n.lo[1] = zerov(NB * NK);
    n.am = malloc(nh * sizeof *n.am);
    float d0[NB * NK], d1[NB * NK], *dl[2] = {d0, d1};
    double L = net_forward(&n, dl);
    int draws = 1;
    for (; net_margin(&n) < 2.5e-2 && draws < 100000; draws++) {
        free(n.x);
        n.x = randv(NB * 36);
        L = net_forward(&n, dl);
    }
    assert_true(net_margin(&n) >= 2.5e-2);
    size_t capped = 0;
    for (size_t i = 0; i < nh; i++)
        capped += n.a2[i] >= 6.0f;
    printf("  two-exit loss %.6f (%zu ReLU6 outputs capped, input draw %d, kink margin %.3f)\n",
           L, capped, draws, net_margin(&n));

    /* backward: gradients accumulate, so zero them all first */
    float *dx = zerov(NB * 36), *dw1 = zerov(27), *db1 = zerov(3), *dw2 = zerov(27),
          *db2 = zerov(3), *dwe = zerov(NK * 27), *dbe = zerov(NK), *dwf = zerov(NK * 27),
          *dbf = zerov(NK), *dr2 = zerov(nh), *da2 = zerov(nh), *dh = zerov(nh),
          *dr1 = zerov(n1), *da1 = zerov(n1);
    mdl_fc_backward(dr2, dwf, dbf, d1, n.r2, n.wf, NB, 27, NK);
    mdl_relu_backward(da2, dr2, n.a2, nh, 6.0f);
    mdl_conv2d_backward(dh, dw2, db2, da2, n.h, n.w2, &n.c2);
    mdl_fc_backward(dh, dwe, dbe, d0, n.h, n.we, NB, 27, NK); /* second consumer of h */
    mdl_maxpool_backward(dr1, dh, n.am, nh);
    mdl_relu_backward(da1, dr1, n.a1, n1, 0.0f);
    mdl_conv2d_backward(dx, dw1, db1, da1, n.x, n.w1, &n.c1);

    fd_check("net d(x)", n.x, dx, NB * 36, net_loss, &n, 1e-2f, 1);
    fd_check("net d(conv1 w)", n.w1, dw1, 27, net_loss, &n, 1e-2f, 1);
    fd_check("net d(conv1 b)", n.b1, db1, 3, net_loss, &n, 1e-2f, 1);
    fd_check("net d(depthwise w)", n.w2, dw2, 27, net_loss, &n, 1e-2f, 1);
    fd_check("net d(depthwise b)", n.b2, db2, 3, net_loss, &n, 1e-2f, 1);
    fd_check("net d(exit0 fc w)", n.we, dwe, NK * 27, net_loss, &n, 1e-2f, 1);
    fd_check("net d(exit1 fc w)", n.wf, dwf, NK * 27, net_loss, &n, 1e-2f, 1);
    fd_check("net d(exit1 fc b)", n.bf, dbf, NK, net_loss, &n, 1e-2f, 1);

    float *all[] = {n.x, n.w1, n.b1, n.w2, n.b2, n.we, n.be, n.wf, n.bf, n.a1, n.r1,
                    n.h, n.a2, n.r2, n.lo[0], n.lo[1], dx, dw1, db1, dw2, db2, dwe,
                    dbe, dwf, dbf, dr2, da2, dh, dr1, da1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    free(n.am);
}

/* ---- forward values by hand --------------------------------------------- */

static void test_forward_values_by_hand(void **state)
{
    (void)state;
    /* fc: x (2,3), w (2,3), b (2) */
    float x[6] = {1, 2, 3, -1, 0, 1}, w[6] = {1, 0, -1, 0.5f, 0.5f, 0.5f}, b[2] = {0.25f, -1},
          y[4];
    mdl_fc_forward(y, x, w, b, 2, 3, 2);
    const float ye[4] = {-1.75f, 2.0f, -1.75f, -1.0f};
    assert_memory_equal(y, ye, sizeof ye);

    /* grouped 1x1 conv, C 4 -> OC 2, groups 2: out0 sees channels 0,1 only */
    float gi[4] = {1, 10, 100, 1000}, gw[4] = {1, 2, 3, 4}, go[2];
    mdl_conv_shape gs = {1, 4, 1, 1, 2, 1, 1, 1, 0, 2, 0, 0};
    assert_true(mdl_conv_shape_init(&gs));
    mdl_conv2d_forward(go, gi, gw, NULL, &gs);
    assert_true(go[0] == 21.0f && go[1] == 4300.0f);

    /* depthwise 3x3, stride 2, pad 1 on 1..9 (ch 0, all-ones kernel: window
     * sums of the valid pixels) and 9..1 (ch 1, centre tap only) */
    float di[18], dw[18] = {0}, dout[8];
    for (int i = 0; i < 9; i++) {
        di[i] = (float)(i + 1);
        di[9 + i] = (float)(9 - i);
        dw[i] = 1.0f;
    }
    dw[9 + 4] = 2.0f;
    mdl_conv_shape ds = {1, 2, 3, 3, 2, 3, 3, 2, 1, 2, 0, 0};
    assert_true(mdl_conv_shape_init(&ds) && ds.OH == 2 && ds.OW == 2);
    mdl_conv2d_forward(dout, di, dw, NULL, &ds);
    const float de[8] = {12, 16, 24, 28, 18, 14, 6, 2};
    assert_memory_equal(dout, de, sizeof de);

    /* pooling 2x2 stride 2 pad 1 on negatives: padding never wins the max,
     * the average is over valid elements only */
    float pi[9] = {-1, -2, -3, -4, -5, -6, -7, -8, -9}, po[4];
    int32_t am[4];
    mdl_maxpool_forward(po, am, pi, 1, 1, 3, 3, 2, 2, 1);
    const float pe[4] = {-1, -2, -4, -5};
    const int32_t ae[4] = {0, 1, 3, 4};
    assert_memory_equal(po, pe, sizeof pe);
    assert_memory_equal(am, ae, sizeof ae);
    mdl_avgpool_forward(po, pi, 1, 1, 3, 3, 2, 2, 1);
    const float ape[4] = {-1, -2.5f, -5.5f, -7};
    assert_memory_equal(po, ape, sizeof ape);

    /* ReLU and ReLU6 */
    float ri[4] = {-1, 0.5f, 6.5f, 3}, ro[4];
    mdl_relu_forward(ro, ri, 4, 6.0f);
    const float r6[4] = {0, 0.5f, 6, 3}, r0[4] = {0, 0.5f, 6.5f, 3};
    assert_memory_equal(ro, r6, sizeof r6);
    mdl_relu_forward(ro, ri, 4, 0.0f);
    assert_memory_equal(ro, r0, sizeof r0);
}

static void test_backward_accumulates_into_gradients(void **state)
{
    (void)state;
    mdl_conv_shape s = {2, 4, 5, 5, 4, 3, 3, 2, 1, 2, 0, 0};
    assert_true(mdl_conv_shape_init(&s));
    size_t ni = s.B * s.C * 25, nw = s.OC * 2 * 9, no = s.B * s.OC * s.OH * s.OW;
    float *in = randv(ni), *w = randv(nw), *dout = randv(no);
    float *di1 = zerov(ni), *dw1 = zerov(nw), *db1 = zerov(s.OC);
    float *di2 = malloc(ni * 4), *dw2 = malloc(nw * 4), *db2 = malloc(s.OC * 4);
    mdl_conv2d_backward(di1, dw1, db1, dout, in, w, &s);
    /* start from 7: the result must be 7 + gradient, not the gradient */
    for (size_t i = 0; i < ni; i++)
        di2[i] = 7.0f;
    for (size_t i = 0; i < nw; i++)
        dw2[i] = 7.0f;
    for (size_t i = 0; i < s.OC; i++)
        db2[i] = 7.0f;
    mdl_conv2d_backward(di2, dw2, db2, dout, in, w, &s);
    double worst = 0;
    for (size_t i = 0; i < ni; i++)
        worst = fmax(worst, fabs(di2[i] - 7.0 - di1[i]));
    for (size_t i = 0; i < nw; i++)
        worst = fmax(worst, fabs(dw2[i] - 7.0 - dw1[i]));
    for (size_t i = 0; i < s.OC; i++)
        worst = fmax(worst, fabs(db2[i] - 7.0 - db1[i]));
    assert_true(worst < 1e-5);
    /* NULL means "not needed": only dw computed, the same as before */
    float *dw3 = zerov(nw);
    mdl_conv2d_backward(NULL, dw3, NULL, dout, in, w, &s);
    assert_memory_equal(dw3, dw1, nw * sizeof *dw3);
    free(in); free(w); free(dout); free(di1); free(dw1); free(db1);
    free(di2); free(dw2); free(db2); free(dw3);
}

static void test_adamw_two_steps_with_weight_decay_by_hand(void **state)
{
    (void)state;
    /* lr 0.1, b1 0.9, b2 0.999, eps 0, wd 0.01; g = 2 then 1; from python:
     * m = 0.2, v = 0.004, p = 1 - 0.1 (2/2 + 0.01) = 0.899;
     * m = 0.28, v = 0.004996, p = 0.899 - 0.1 (1.4736842/1.5809 + 0.00899) */
    float p = 1, g = 2, m = 0, v = 0;
    mdl_adamw_update(&p, &g, &m, &v, 1, 0.1f, 0.9f, 0.999f, 0.0f, 0.01f, 1, MDL_ADAM_F32);
    /* float32 (1 - b2) is off by ~1e-5 relative: compare relatively */
    assert_true(fabsf(m - 0.2f) < 1e-6f && fabsf(v - 0.004f) < 1e-4f * 0.004f);
    assert_true(fabsf(p - 0.899f) < 1e-6f);
    g = 1;
    mdl_adamw_update(&p, &g, &m, &v, 1, 0.1f, 0.9f, 0.999f, 0.0f, 0.01f, 2, MDL_ADAM_F32);
    printf("  AdamW step 2: p = %.7f, expected 0.8048830\n", p);
    assert_true(fabsf(m - 0.28f) < 1e-6f && fabsf(v - 0.004996f) < 1e-4f * 0.004996f);
    assert_true(fabsf(p - 0.8048830f) < 2e-6f);
    /* SGD with weight decay: v = g + wd p = 2 + 0.1; p = 1 - 0.5 * 2.1 */
    float q = 1, gq = 2, vq = 0;
    mdl_sgd_update(&q, &gq, &vq, 1, 0.5f, 0.9f, 0.1f);
    assert_true(fabsf(vq - 2.1f) < 1e-6f && fabsf(q + 0.05f) < 1e-6f);
}

static void test_kaiming_uniform_is_deterministic_bounded_and_scaled(void **state)
{
    (void)state;
    enum { N = 30000 };
    static float a[N], b[N];
    mdl_rng r1 = {99}, r2 = {99}, r3 = {100};
    mdl_init_kaiming_uniform(a, N, 24, &r1);
    mdl_init_kaiming_uniform(b, N, 24, &r2);
    assert_memory_equal(a, b, sizeof a);
    mdl_init_kaiming_uniform(b, N, 24, &r3);
    assert_true(memcmp(a, b, sizeof a) != 0);
    double bound = 0.5, m = 0, v = 0, amax = 0; /* sqrt(6/24) */
    for (int i = 0; i < N; i++) {
        m += a[i];
        amax = fmax(amax, fabs(a[i]));
    }
    m /= N;
    for (int i = 0; i < N; i++)
        v += (a[i] - m) * (a[i] - m);
    v /= N - 1;
    printf("  kaiming uniform: max |w| %.4f (bound %.4f), var %.5f (2/fan_in %.5f)\n", amax,
           bound, v, 2.0 / 24);
    assert_true(amax <= bound && amax > 0.99 * bound);
    assert_true(fabs(m) < 0.01 && fabs(v - 2.0 / 24) < 0.003);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multiexit_loss_is_the_weighted_sum_and_its_gradient),
        cmocka_unit_test(test_two_exit_network_gradient_end_to_end),
        cmocka_unit_test(test_forward_values_by_hand),
        cmocka_unit_test(test_backward_accumulates_into_gradients),
        cmocka_unit_test(test_adamw_two_steps_with_weight_decay_by_hand),
        cmocka_unit_test(test_kaiming_uniform_is_deterministic_bounded_and_scaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
