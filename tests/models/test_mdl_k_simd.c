/*
 * test_mdl_k_simd.c - every int8 kernel variant (AVX2 and AVX-512 VNNI
 * conv2d and fully connected, and the dispatching wrappers under each forced
 * ISA, the VNNI conv2d on prepacked weights, and the channel-inner max
 * pooling) is bit-exact with the scalar reference on randomized shapes, data,
 * zero points, multipliers and activation ranges; requantization matches a
 * separately written 64-bit model of TFLite's arithmetic.  Variants the CPU
 * lacks are skipped with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_k_dispatch.h"

static uint64_t s = 0xD1B54A32D192ED03ULL;
static uint32_t rnd(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint32_t)(s >> 32);
}
static size_t urange(size_t lo, size_t hi) { return lo + rnd() % (hi - lo + 1); }

/* TFLite's MultiplyByQuantizedMultiplier, in 64-bit arithmetic written from
 * its definition: x*2^left*mult / 2^31 rounded to nearest with ties toward
 * +inf (what gemmlowp's nudge amounts to), then / 2^right rounded to nearest
 * with ties away from zero.  x * 2^left must
 * fit in int32 (TFLite's precondition). */
static int32_t requant64(int32_t x, int32_t mult, int32_t shift)
{
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t xs = (int64_t)x * ((int64_t)1 << left);
    int64_t hi;
    if (xs == INT32_MIN && mult == INT32_MIN)
        hi = INT32_MAX;
    else {
        int64_t ab = xs * mult; /* |ab| <= 2^62 */
        hi = ab >= 0 ? (ab + ((int64_t)1 << 30)) / ((int64_t)1 << 31)
                     : -((-ab + ((int64_t)1 << 30) - 1) / ((int64_t)1 << 31));
    }
    if (right == 0)
        return (int32_t)hi;
    int64_t half = (int64_t)1 << (right - 1);
    return (int32_t)(hi >= 0 ? (hi + half) >> right : -((-hi + half) >> right));
}

static void test_requantize_matches_64bit_model(void **state)
{
    (void)state;
    static const int32_t edge[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN,
                                   INT32_MIN + 1, 1 << 30, -(1 << 30)};
    size_t n = 0;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        for (size_t j = 0; j < sizeof edge / sizeof edge[0]; j++)
            for (int32_t sh = -31; sh <= 0; sh++) {
                assert_int_equal(mdl_requantize(edge[i], edge[j], sh),
                                 requant64(edge[i], edge[j], sh));
                n++;
            }
    /* INT32_MIN * INT32_MIN saturates to INT32_MAX before the shift */
    assert_int_equal(mdl_requantize(INT32_MIN, INT32_MIN, 0), INT32_MAX);
    assert_int_equal(mdl_requantize(INT32_MIN, INT32_MIN, -1), 1 << 30);
    /* ties in the high multiplication go up (gemmlowp's nudge):
     * 3 * 0.5 = 1.5 -> 2, -3 * 0.5 = -1.5 -> -1 */
    assert_int_equal(mdl_requantize(3, 1 << 30, 0), 2);
    assert_int_equal(mdl_requantize(-3, 1 << 30, 0), -1);
    /* ties in the rounding shift go away from zero: +-3 / 2 -> +-2 */
    assert_int_equal(mdl_requantize(6, 1 << 30, -1), 2);  /* 1.5 after the high mul */
    assert_int_equal(mdl_requantize(-6, 1 << 30, -1), -2);
    for (int t = 0; t < 200000; t++) {
        int32_t mult = (int32_t)((1u << 30) + (rnd() & 0x3fffffff)); /* [2^30, 2^31) */
        if (rnd() % 8 == 0)
            mult = (int32_t)rnd(); /* any value, negative ones too */
        int32_t shift = (int32_t)urange(0, 40) - 31;                 /* [-31, 9] */
        int32_t x = (int32_t)rnd();
        if (shift > 0)
            x >>= shift + 1; /* x * 2^shift fits */
        if (rnd() % 4 == 0)
            x = (int32_t)(rnd() % 2001) - 1000;
        assert_int_equal(mdl_requantize(x, mult, shift), requant64(x, mult, shift));
        n++;
    }
    printf("  %zu requantizations equal to the 64-bit model\n", n);
}

/* One random quantized problem; conv when k > 0, fc otherwise. */
typedef struct prob {
    mdl_conv_params p;
    int32_t *mult, *shift, *bias;
} prob;

static void random_params(prob *q, size_t c_out, int t, size_t stride, size_t pad)
{
    mdl_conv_params p = {stride, stride, pad, pad, 1, 0, 0, -128, 127};
    p.input_offset = (int32_t)urange(0, 255) - 127;
    p.output_offset = (int32_t)urange(0, 255) - 128;
    if (rnd() % 2) {
        p.act_min = (int32_t)urange(0, 100) - 128;
        p.act_max = p.act_min + (int32_t)urange(0, 127);
    }
    q->p = p;
    q->mult = malloc(c_out * 4);
    q->shift = malloc(c_out * 4);
    q->bias = malloc(c_out * 4);
    for (size_t c = 0; c < c_out; c++) {
        q->bias[c] = (int32_t)(rnd() % 200001) - 100000;
        /* mostly realistic scales; every 7th problem has tiny ones (shift
         * near -31) or ones above 1 (left shifts, wrapping products) */
        static const double scale[4] = {0.5, 1e-3, 3e-10, 40.0};
        double real = (0.5 + (rnd() % 1000) / 1000.0) *
                      scale[t % 7 == 0 ? 2 + (size_t)(t / 7) % 2 : (size_t)(t % 3 != 0)];
        mdl_quantize_multiplier(real, &q->mult[c], &q->shift[c]);
    }
}

static void fail_diff(const char *what, int t, const int8_t *a, const int8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            fail_msg("%s case %d: element %zu ref %d got %d", what, t, i, a[i], b[i]);
}

static void test_conv_variants_are_bit_exact_with_reference(void **state)
{
    (void)state;
    bool avx2 = mdl_kernels_have_avx2(), vnni = mdl_kernels_have_vnni();
    if (!avx2)
        printf("  this CPU has no AVX2: avx2 variant skipped\n");
    if (!vnni)
        printf("  this CPU has no AVX-512 VNNI: vnni variant skipped\n");
    size_t cases = 0, outputs = 0;
    for (int t = 0; cases < 300; t++) {
        static const size_t ks[3] = {1, 3, 5};
        size_t k = ks[rnd() % 3], stride = urange(1, 2), pad = urange(0, 2);
        mdl_dims id = {urange(1, 2), urange(1, 30), urange(1, 30), urange(1, 70)};
        if (t % 10 == 0)
            id.c = 1; /* a first layer */
        if (id.h + 2 * pad < k || id.w + 2 * pad < k)
            continue;
        mdl_dims od = {id.n, mdl_out_size(id.h, k, stride, pad),
                       mdl_out_size(id.w, k, stride, pad), urange(1, 70)};
        double macs = (double)od.n * od.h * od.w * od.c * k * k * id.c;
        if (macs > 2e6)
            continue; /* keeps the reference (and the sanitizer build) quick */
        prob q;
        random_params(&q, od.c, t, stride, pad);
        mdl_requant rq = {q.mult, q.shift};
        size_t nin = id.n * id.h * id.w * id.c, nw = od.c * k * k * id.c,
               nout = od.n * od.h * od.w * od.c;
        int8_t *in = malloc(nin), *w = malloc(nw), *a = malloc(nout), *b = malloc(nout);
        for (size_t i = 0; i < nin; i++)
            in[i] = (int8_t)rnd();
        for (size_t i = 0; i < nw; i++)
            w[i] = (int8_t)rnd();
        size_t ss = mdl_conv2d_s8_get_buffer_size(od, k, k, id.c);
        void *scratch = malloc(ss);
        off_err e;
        assert_int_equal(mdl_conv2d_s8_ref(&q.p, &rq, id, in, k, k, w, q.bias, od, a, &e),
                         OFF_OK);
        if (avx2) {
            memset(b, 0x55, nout);
            assert_int_equal(mdl_conv2d_s8_avx2(&q.p, &rq, id, in, k, k, w, q.bias, od, b,
                                                scratch, ss, &e), OFF_OK);
            fail_diff("avx2 conv", t, a, b, nout);
        }
        if (vnni) {
            memset(b, 0x55, nout);
            assert_int_equal(mdl_conv2d_s8_vnni(&q.p, &rq, id, in, k, k, w, q.bias, od, b,
                                                scratch, ss, &e), OFF_OK);
            fail_diff("vnni conv", t, a, b, nout);
            /* weights packed once, then the layer run twice on them */
            void *pk = aligned_alloc(64, (mdl_conv2d_s8_vnni_packed_size(od.c, k, k, id.c) +
                                          63) / 64 * 64);
            mdl_conv2d_s8_vnni_pack(w, q.bias, q.p.input_offset, od.c, k, k, id.c, pk);
            for (int rep = 0; rep < 2; rep++) {
                memset(b, 0x55, nout);
                assert_int_equal(mdl_conv2d_s8_vnni_prepacked(&q.p, &rq, id, in, k, k, pk, od,
                                                              b, scratch, ss, &e), OFF_OK);
                fail_diff("vnni prepacked conv", t, a, b, nout);
            }
            assert_int_equal(mdl_conv2d_s8_vnni_prepacked(&q.p, &rq, id, in, k, k,
                                                          (char *)pk + 1, od, b, scratch, ss,
                                                          &e), OFF_EINVAL);
            assert_int_equal(mdl_conv2d_s8_vnni_prepacked(&q.p, &rq, id, in, k, k, pk, od, b,
                                                          scratch,
                                                          mdl_conv2d_s8_vnni_buffer_size(
                                                              od, k, k, id.c) - 1,
                                                          &e), OFF_EINVAL);
            free(pk);
        }
        static const mdl_isa isas[] = {MDL_ISA_AUTO, MDL_ISA_REF, MDL_ISA_AVX2, MDL_ISA_VNNI};
        mdl_isa isa = isas[t % 4];
        if (mdl_kernels_force(isa) == OFF_OK) {
            memset(b, 0x55, nout);
            assert_int_equal(mdl_conv2d_s8(&q.p, &rq, id, in, k, k, w, q.bias, od, b,
                                           scratch, ss, &e), OFF_OK);
            fail_diff(mdl_isa_str(mdl_kernels_isa()), t, a, b, nout);
            mdl_kernels_force(MDL_ISA_AUTO);
        }
        cases++;
        outputs += nout;
        free(in); free(w); free(a); free(b); free(scratch);
        free(q.mult); free(q.shift); free(q.bias);
    }
    printf("  %zu random convolutions, %zu outputs, all variants bit-exact\n", cases,
           outputs);
}

static void test_fc_variants_are_bit_exact_with_reference(void **state)
{
    (void)state;
    bool avx2 = mdl_kernels_have_avx2(), vnni = mdl_kernels_have_vnni();
    size_t outputs = 0;
    for (int t = 0; t < 400; t++) {
        static const size_t edge[] = {1, 15, 16, 17, 63, 64, 65, 128, 400, 1024};
        size_t n = urange(1, 3), c_out = urange(1, 70);
        size_t c_in = t < 10 ? edge[t] : urange(1, 300);
        prob q;
        random_params(&q, c_out, t, 1, 0);
        mdl_requant rq = {q.mult, q.shift};
        int8_t *in = malloc(n * c_in), *w = malloc(c_out * c_in), *a = malloc(n * c_out),
               *b = malloc(n * c_out);
        for (size_t i = 0; i < n * c_in; i++)
            in[i] = (int8_t)rnd();
        for (size_t i = 0; i < c_out * c_in; i++)
            w[i] = (int8_t)rnd();
        const int32_t *bias = t % 5 ? q.bias : NULL;
        off_err e;
        assert_int_equal(mdl_fc_s8_ref(&q.p, &rq, n, c_in, in, w, bias, c_out, a, &e), OFF_OK);
        if (avx2) {
            memset(b, 0x55, n * c_out);
            assert_int_equal(mdl_fc_s8_avx2(&q.p, &rq, n, c_in, in, w, bias, c_out, b, &e),
                             OFF_OK);
            fail_diff("avx2 fc", t, a, b, n * c_out);
        }
        if (vnni) {
            memset(b, 0x55, n * c_out);
            assert_int_equal(mdl_fc_s8_vnni(&q.p, &rq, n, c_in, in, w, bias, c_out, b, &e),
                             OFF_OK);
            fail_diff("vnni fc", t, a, b, n * c_out);
        }
        memset(b, 0x55, n * c_out);
        assert_int_equal(mdl_fc_s8(&q.p, &rq, n, c_in, in, w, bias, c_out, b, &e), OFF_OK);
        fail_diff("wrapper fc", t, a, b, n * c_out);
        outputs += n * c_out;
        free(in); free(w); free(a); free(b);
        free(q.mult); free(q.shift); free(q.bias);
    }
    printf("  400 random fully connected layers, %zu outputs, all variants bit-exact\n",
           outputs);
}

/* Max pooling's fast kernel against the reference on random shapes,
 * windows, strides, padding and clamps, and on the same bad parameters. */
static void test_maxpool_is_bit_exact_with_reference(void **state)
{
    (void)state;
    size_t outputs = 0;
    for (int t = 0; t < 500; t++) {
        size_t k = urange(1, 4), pad = urange(0, k - 1), stride = urange(1, 3);
        mdl_dims d = {urange(1, 2), urange(k, 17), urange(k, 17), urange(1, 70)};
        int32_t lo = -128 + (int32_t)(t % 3 ? 0 : urange(0, 100)),
                hi = 127 - (int32_t)(t % 4 ? 0 : urange(0, 100));
        size_t oh = mdl_out_size(d.h, k, stride, pad), ow = mdl_out_size(d.w, k, stride, pad);
        size_t ni = d.n * d.h * d.w * d.c, no = d.n * oh * ow * d.c;
        int8_t *in = malloc(ni), *a = malloc(no), *b = malloc(no);
        for (size_t i = 0; i < ni; i++)
            in[i] = (int8_t)rnd();
        off_err e;
        assert_int_equal(mdl_maxpool_s8_ref(k, k, stride, pad, lo, hi, d, in, a, &e), OFF_OK);
        memset(b, 0x55, no);
        assert_int_equal(mdl_maxpool_s8(k, k, stride, pad, lo, hi, d, in, b, &e), OFF_OK);
        fail_diff("maxpool", t, a, b, no);
        outputs += no;
        free(in); free(a); free(b);
    }
    int8_t x[4] = {0}, y[4];
    off_err e;
    mdl_dims d = {1, 2, 2, 1};
    assert_int_equal(mdl_maxpool_s8(2, 2, 0, 0, -128, 127, d, x, y, &e), OFF_EINVAL);
    assert_int_equal(mdl_maxpool_s8(2, 2, 1, 2, -128, 127, d, x, y, &e), OFF_EINVAL);
    assert_int_equal(mdl_maxpool_s8(2, 2, 1, 0, 5, 4, d, x, y, &e), OFF_EINVAL);
    assert_int_equal(mdl_maxpool_s8(3, 3, 1, 0, -128, 127, d, x, y, &e), OFF_EINVAL);
    printf("  500 random max pools, %zu outputs, bit-exact\n", outputs);
}

/* Input 3x3x1 = 1..9 with zero point 1 (input_offset -1), so the effective
 * values are 0..8:
 *     0 1 2
 *     3 4 5
 *     6 7 8
 * a 3x3 all-ones kernel, pad 1, stride 2 -> 2x2 output windows centred on
 * (0,0), (0,2), (2,0), (2,2), whose valid parts sum to
 *     0+1+3+4 = 8,  1+2+4+5 = 12,  3+4+6+7 = 20,  4+5+7+8 = 24;
 * + bias 3 -> 11, 15, 23, 27; x 0.5 (mult 2^30, shift 0) -> 5.5, 7.5, 11.5,
 * 13.5, ties rounded away from zero -> 6, 8, 12, 14; + output zero point -3
 * -> 3, 5, 9, 11; clamped to act_max 9 -> 3, 5, 9, 9. */
static void test_conv_hand_computed_in_every_variant(void **state)
{
    (void)state;
    const int8_t in[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    int8_t w[9];
    memset(w, 1, sizeof w);
    int32_t bias = 3, mult = 1 << 30, shift = 0;
    mdl_requant rq = {&mult, &shift};
    mdl_conv_params p = {2, 2, 1, 1, 1, -1, -3, -128, 9};
    mdl_dims id = {1, 3, 3, 1}, od = {1, 2, 2, 1};
    int32_t m2;
    int32_t s2;
    mdl_quantize_multiplier(0.5, &m2, &s2);
    assert_int_equal(m2, 1 << 30);
    assert_int_equal(s2, 0);
    static const mdl_isa isas[] = {MDL_ISA_REF, MDL_ISA_AVX2, MDL_ISA_VNNI};
    for (size_t i = 0; i < 3; i++) {
        if (mdl_kernels_force(isas[i]) != OFF_OK) {
            printf("  %s: not on this CPU, skipped\n", mdl_isa_str(isas[i]));
            continue;
        }
        char scratch[4096];
        assert_true(mdl_conv2d_s8_get_buffer_size(od, 3, 3, 1) <= sizeof scratch);
        int8_t out[4] = {0};
        off_err e;
        assert_int_equal(mdl_conv2d_s8(&p, &rq, id, in, 3, 3, w, &bias, od, out, scratch,
                                       sizeof scratch, &e), OFF_OK);
        printf("  %s: expected 3 5 9 9, got %d %d %d %d\n", mdl_isa_str(isas[i]), out[0],
               out[1], out[2], out[3]);
        assert_int_equal(out[0], 3);
        assert_int_equal(out[1], 5);
        assert_int_equal(out[2], 9);
        assert_int_equal(out[3], 9);
    }
    mdl_kernels_force(MDL_ISA_AUTO);
}

/* A 1x1 conv with zero weights makes every accumulator equal its bias, so
 * the vectorised requantization of the SIMD conv paths sees arbitrary int32
 * values, multipliers (negative ones too) and shifts in [-31, 31], including
 * INT32_MIN * INT32_MIN, which must saturate (-> INT32_MAX >> 24 = 128, then
 * + output zero point -100 = 28; without saturation it would clamp to -128). */
static void test_conv_requantization_edges_in_every_variant(void **state)
{
    (void)state;
    enum { C = 67 }; /* 8 vector groups and a scalar tail */
    int8_t in[3] = {5, -7, 100}, w[C] = {0}, a[3 * C], b[3 * C];
    int32_t bias[C], mult[C], shift[C];
    mdl_conv_params p = {1, 1, 0, 0, 1, 0, -100, -128, 127};
    mdl_dims id = {1, 1, 3, 1}, od = {1, 1, 3, C};
    static char scratch[1 << 16];
    assert_true(mdl_conv2d_s8_get_buffer_size(od, 1, 1, 1) <= sizeof scratch);
    for (int t = 0; t < 2000; t++) {
        for (size_t c = 0; c < C; c++) {
            int32_t mag = (int32_t)(rnd() >> (rnd() % 32));
            bias[c] = rnd() % 2 ? mag : -mag - (int32_t)(rnd() % 2);
            mult[c] = (int32_t)rnd();
            shift[c] = (int32_t)urange(0, 62) - 31;
        }
        p.output_offset = (int32_t)urange(0, 255) - 128;
        if (t == 0) {
            p.output_offset = -100;
            for (size_t c = 0; c < C; c++) {
                bias[c] = mult[c] = INT32_MIN;
                shift[c] = -24;
            }
        }
        mdl_requant rq = {mult, shift};
        off_err e;
        assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, id, in, 1, 1, w, bias, od, a, &e), OFF_OK);
        if (t == 0)
            assert_int_equal(a[0], 28);
        if (mdl_kernels_have_avx2()) {
            assert_int_equal(mdl_conv2d_s8_avx2(&p, &rq, id, in, 1, 1, w, bias, od, b,
                                                scratch, sizeof scratch, &e), OFF_OK);
            fail_diff("avx2 requant", t, a, b, sizeof a);
        }
        if (mdl_kernels_have_vnni()) {
            assert_int_equal(mdl_conv2d_s8_vnni(&p, &rq, id, in, 1, 1, w, bias, od, b,
                                                scratch, sizeof scratch, &e), OFF_OK);
            fail_diff("vnni requant", t, a, b, sizeof a);
        }
    }
}

static void test_avx2_conv_refuses_a_small_scratch(void **state)
{
    (void)state;
    if (!mdl_kernels_have_avx2())
        skip();
    int8_t in[16] = {0}, w[9] = {0}, out[16];
    int32_t m = 1 << 30, sh = 0;
    mdl_requant rq = {&m, &sh};
    mdl_conv_params p = {1, 1, 1, 1, 1, 0, 0, -128, 127};
    char scratch[8];
    off_err e;
    assert_int_equal(mdl_conv2d_s8_avx2(&p, &rq, (mdl_dims){1, 4, 4, 1}, in, 3, 3, w, NULL,
                                        (mdl_dims){1, 4, 4, 1}, out, scratch, sizeof scratch,
                                        &e), OFF_EINVAL);
    p.input_offset = 200; /* out of range: the reference's check applies */
    assert_int_equal(mdl_fc_s8_avx2(&p, &rq, 1, 1, in, w, NULL, 1, out, &e), OFF_EINVAL);
}

static void test_force_reports_the_choice(void **state)
{
    (void)state;
    assert_int_equal(mdl_kernels_force(MDL_ISA_REF), OFF_OK);
    assert_int_equal(mdl_kernels_isa(), MDL_ISA_REF);
    assert_int_equal(mdl_kernels_force(MDL_ISA_AUTO), OFF_OK);
    mdl_isa best = mdl_kernels_have_vnni()   ? MDL_ISA_VNNI
                   : mdl_kernels_have_avx2() ? MDL_ISA_AVX2
                                             : MDL_ISA_REF;
    assert_int_equal(mdl_kernels_isa(), best);
    printf("  best variant on this CPU: %s\n", mdl_isa_str(best));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requantize_matches_64bit_model),
        cmocka_unit_test(test_conv_hand_computed_in_every_variant),
        cmocka_unit_test(test_conv_variants_are_bit_exact_with_reference),
        cmocka_unit_test(test_fc_variants_are_bit_exact_with_reference),
        cmocka_unit_test(test_maxpool_is_bit_exact_with_reference),
        cmocka_unit_test(test_conv_requantization_edges_in_every_variant),
        cmocka_unit_test(test_avx2_conv_refuses_a_small_scratch),
        cmocka_unit_test(test_force_reports_the_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
