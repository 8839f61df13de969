/*
 * test_mdl_k_ref.c - the reference int8 kernels: requantization against
 * exact arithmetic, hand-computed convolutions, and equivalences between
 * kernels (depthwise = per-channel dense, fully connected = 1x1 conv).
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

#include "mdl_kernels.h"

static uint64_t s = 88172645463325252ULL;
static uint32_t rnd(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint32_t)(s >> 32);
}
static int8_t rnd8(void) { return (int8_t)(rnd() & 0xff); }

static void test_quantize_multiplier_known_values(void **state)
{
    (void)state;
    int32_t m, sh;
    mdl_quantize_multiplier(0.5, &m, &sh);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(sh, 0);
    mdl_quantize_multiplier(1.0, &m, &sh);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(sh, 1);
    mdl_quantize_multiplier(0.75, &m, &sh);
    assert_int_equal(m, 1610612736);
    assert_int_equal(sh, 0);
    mdl_quantize_multiplier(1.0 - ldexp(1.0, -40), &m, &sh); /* rounds up to 2^31 */
    assert_int_equal(m, 1 << 30);
    assert_int_equal(sh, 1);
    mdl_quantize_multiplier(0.0, &m, &sh);
    assert_int_equal(m, 0);
    mdl_quantize_multiplier(ldexp(1.0, -40), &m, &sh); /* below 2^-32: zero */
    assert_int_equal(m, 0);
}

static void test_requantize_rounding_and_saturation(void **state)
{
    (void)state;
    /* 0.25 = 2^30 * 2^(-1-31) ... ties round away from zero in the shift */
    assert_int_equal(mdl_requantize(2, 1 << 30, -1), 1);
    assert_int_equal(mdl_requantize(-2, 1 << 30, -1), -1);
    assert_int_equal(mdl_requantize(6, 1 << 30, -1), 2);    /* 1.5 -> 2 */
    assert_int_equal(mdl_requantize(-6, 1 << 30, -1), -2);  /* -1.5 -> -2 */
    assert_int_equal(mdl_requantize(INT32_MIN, INT32_MIN, 0), INT32_MAX);
    assert_int_equal(mdl_requantize(1000, 0, 0), 0);
}

static void test_requantize_matches_exact_rounding_within_one(void **state)
{
    (void)state;
    size_t exact = 0, total = 200000;
    for (size_t i = 0; i < total; i++) {
        int32_t x = (int32_t)(rnd() % (1u << 24)) - (1 << 23);
        double real = ldexp(0.5 + 0.5 * (rnd() / 4294967296.0), -(int)(rnd() % 20));
        int32_t m, sh;
        mdl_quantize_multiplier(real, &m, &sh);
        /* exact: x * m * 2^(sh - 31), rounded half away from zero */
        long double v = (long double)x * (long double)m * ldexpl(1.0L, sh - 31);
        long double r = v >= 0 ? floorl(v + 0.5L) : -floorl(-v + 0.5L);
        int32_t got = mdl_requantize(x, m, sh);
        assert_true(fabsl((long double)got - r) <= 1.0L);
        exact += (long double)got == r;
    }
    printf("  %zu of %zu equal to exact rounding (the rest differ by 1: double rounding)\n",
           exact, total);
    /* TFLite rounds twice (the doubling high multiply, then the shift), so a
     * few per cent land one step off the exactly rounded value */
    assert_true(exact > total * 95 / 100);
}

static const mdl_conv_params base = {1, 1, 0, 0, 1, 0, 0, -128, 127};

static void test_conv_hand_computed(void **state)
{
    (void)state;
    /* 3x3 input 1..9, kernel [[1,0],[0,-1]]: every output is in - in(+1,+1) = -4 */
    int8_t in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 0, 0, -1}, out[4];
    int32_t m, sh, bias = 10;
    mdl_quantize_multiplier(1.0, &m, &sh);
    mdl_requant rq = {&m, &sh};
    mdl_conv_params p = base;
    p.output_offset = 3;
    p.input_offset = 1; /* offsets cancel in a difference */
    off_err e;
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){1, 3, 3, 1}, in, 2, 2, w, &bias,
                                       (mdl_dims){1, 2, 2, 1}, out, &e), OFF_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(out[i], 10 - 4 + 3);
    /* padding contributes nothing: one pixel 5 with input offset 2 under a
     * 3x3 kernel of ones and pad 1 gives (5 + 2) * 1 */
    int8_t one = 5, ones[9], o;
    memset(ones, 1, sizeof ones);
    p = base;
    p.pad_h = p.pad_w = 1;
    p.input_offset = 2;
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){1, 1, 1, 1}, &one, 3, 3, ones,
                                       NULL, (mdl_dims){1, 1, 1, 1}, &o, &e), OFF_OK);
    assert_int_equal(o, 7);
    /* clamping (fused ReLU6-style range) */
    p.act_min = 0;
    p.act_max = 6;
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){1, 1, 1, 1}, &one, 3, 3, ones,
                                       NULL, (mdl_dims){1, 1, 1, 1}, &o, &e), OFF_OK);
    assert_int_equal(o, 6);
    /* inconsistent shapes are refused */
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){1, 1, 1, 1}, &one, 3, 3, ones,
                                       NULL, (mdl_dims){1, 2, 1, 1}, &o, &e), OFF_EINVAL);
    p.act_min = 7;
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){1, 1, 1, 1}, &one, 3, 3, ones,
                                       NULL, (mdl_dims){1, 1, 1, 1}, &o, &e), OFF_EINVAL);
}

static void test_depthwise_equals_per_channel_dense(void **state)
{
    (void)state;
    enum { H = 9, W = 7, C = 5, K = 3 };
    int8_t in[H * W * C], w[C * K * K], out[H * W * C];
    int32_t bias[C], mult[C], sh[C];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = rnd8();
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = rnd8();
    for (int c = 0; c < C; c++) {
        bias[c] = (int32_t)(rnd() % 2000) - 1000;
        mdl_quantize_multiplier(0.001 + 0.01 * c, &mult[c], &sh[c]);
    }
    mdl_conv_params p = base;
    p.stride_h = 2;
    p.pad_h = p.pad_w = 1;
    p.groups = C;
    p.input_offset = 17;
    p.output_offset = -5;
    size_t oh = mdl_out_size(H, K, 2, 1), ow = mdl_out_size(W, K, 1, 1);
    mdl_requant rq = {mult, sh};
    off_err e;
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){1, H, W, C}, in, K, K, w, bias,
                                       (mdl_dims){1, oh, ow, C}, out, &e), OFF_OK);
    for (int c = 0; c < C; c++) {
        int8_t ci[H * W], co[H * W];
        for (int i = 0; i < H * W; i++)
            ci[i] = in[i * C + c];
        mdl_conv_params q = p;
        q.groups = 1;
        mdl_requant rq1 = {&mult[c], &sh[c]};
        assert_int_equal(mdl_conv2d_s8_ref(&q, &rq1, (mdl_dims){1, H, W, 1}, ci, K, K,
                                           w + c * K * K, &bias[c], (mdl_dims){1, oh, ow, 1},
                                           co, &e), OFF_OK);
        for (size_t i = 0; i < oh * ow; i++)
            assert_int_equal(co[i], out[i * C + c]);
    }
}

static void test_fully_connected_equals_1x1_conv(void **state)
{
    (void)state;
    enum { N = 3, CI = 37, CO = 11 };
    int8_t in[N * CI], w[CO * CI], a[N * CO], b[N * CO];
    int32_t bias[CO], mult[CO], sh[CO];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = rnd8();
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = rnd8();
    for (int c = 0; c < CO; c++) {
        bias[c] = (int32_t)(rnd() % 20000) - 10000;
        mdl_quantize_multiplier(0.0005 * (c + 1), &mult[c], &sh[c]);
    }
    mdl_conv_params p = base;
    p.input_offset = -3;
    p.output_offset = 9;
    mdl_requant rq = {mult, sh};
    off_err e;
    assert_int_equal(mdl_fc_s8_ref(&p, &rq, N, CI, in, w, bias, CO, a, &e), OFF_OK);
    assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, (mdl_dims){N, 1, 1, CI}, in, 1, 1, w, bias,
                                       (mdl_dims){N, 1, 1, CO}, b, &e), OFF_OK);
    assert_memory_equal(a, b, sizeof a);
}

static void test_pooling_hand_computed(void **state)
{
    (void)state;
    /* 2x2 input, 2 channels: ch0 = 1 2 / 3 4, ch1 = -1 -2 / -1 -2 */
    int8_t in[8] = {1, -1, 2, -2, 3, -1, 4, -2}, out[2];
    off_err e;
    mdl_dims d = {1, 2, 2, 2};
    assert_int_equal(mdl_maxpool_s8_ref(2, 2, 2, 0, -128, 127, d, in, out, &e), OFF_OK);
    assert_int_equal(out[0], 4);
    assert_int_equal(out[1], -1);
    assert_int_equal(mdl_avgpool_s8_ref(2, 2, 2, 0, -128, 127, d, in, out, &e), OFF_OK);
    assert_int_equal(out[0], 3);  /* 2.5 -> 3 */
    assert_int_equal(out[1], -2); /* -1.5 -> -2 */
    /* padding is ignored: 3x3 window at a corner averages 4 values */
    int8_t o4[4];
    assert_int_equal(mdl_avgpool_s8_ref(3, 3, 1, 1, -128, 127, (mdl_dims){1, 2, 2, 1},
                                        (int8_t[]){1, 2, 3, 4}, o4, &e), OFF_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(o4[i], 3); /* (1+2+3+4)/4 = 2.5 -> 3 */
    assert_int_equal(mdl_maxpool_s8_ref(2, 2, 0, 0, -128, 127, d, in, out, &e), OFF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_multiplier_known_values),
        cmocka_unit_test(test_requantize_rounding_and_saturation),
        cmocka_unit_test(test_requantize_matches_exact_rounding_within_one),
        cmocka_unit_test(test_conv_hand_computed),
        cmocka_unit_test(test_depthwise_equals_per_channel_dense),
        cmocka_unit_test(test_fully_connected_equals_1x1_conv),
        cmocka_unit_test(test_pooling_hand_computed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
