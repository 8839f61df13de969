/*
 * test_mdl_k_vnni.c - the AVX-512 VNNI conv2d is bit-exact with the scalar
 * reference on randomized shapes, data, zero points, multipliers and
 * activation ranges.  Skipped (with a message) on CPUs without VNNI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_kernels.h"

static uint64_t s = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(void)
{
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint32_t)(s >> 32);
}
static size_t urange(size_t lo, size_t hi) { return lo + rnd() % (hi - lo + 1); }

static void test_vnni_conv_is_bit_exact_with_reference(void **state)
{
    (void)state;
    if (!mdl_kernels_have_vnni()) {
        printf("  this CPU has no AVX-512 VNNI: skipped\n");
        skip();
    }
    size_t cases = 0, outputs = 0;
    for (int t = 0; t < 400; t++) {
        static const size_t ks[3] = {1, 3, 5};
        size_t k = ks[rnd() % 3], stride = urange(1, 2), pad = urange(0, 2);
        mdl_dims id = {urange(1, 2), urange(1, 16), urange(1, 16), urange(1, 40)};
        if (id.h + 2 * pad < k || id.w + 2 * pad < k)
            continue;
        mdl_dims od = {id.n, mdl_out_size(id.h, k, stride, pad),
                       mdl_out_size(id.w, k, stride, pad), urange(1, 70)};
        mdl_conv_params p = {stride, stride, pad, pad, 1, 0, 0, -128, 127};
        p.input_offset = (int32_t)urange(0, 255) - 127;
        p.output_offset = (int32_t)urange(0, 255) - 128;
        if (rnd() % 2) { /* a fused activation range */
            p.act_min = (int32_t)urange(0, 100) - 128;
            p.act_max = p.act_min + (int32_t)urange(0, 127);
        }
        size_t nin = id.n * id.h * id.w * id.c, nw = od.c * k * k * id.c,
               nout = od.n * od.h * od.w * od.c;
        int8_t *in = malloc(nin), *w = malloc(nw), *a = malloc(nout), *b = malloc(nout);
        int32_t *bias = malloc(od.c * 4), *mult = malloc(od.c * 4), *sh = malloc(od.c * 4);
        for (size_t i = 0; i < nin; i++)
            in[i] = (int8_t)rnd();
        for (size_t i = 0; i < nw; i++)
            w[i] = (int8_t)rnd();
        for (size_t c = 0; c < od.c; c++) {
            bias[c] = (int32_t)(rnd() % 200001) - 100000;
            double real = (0.5 + (rnd() % 1000) / 1000.0) * (t % 3 == 0 ? 0.5 : 1e-3);
            mdl_quantize_multiplier(real, &mult[c], &sh[c]);
        }
        mdl_requant rq = {mult, sh};
        size_t ss = mdl_conv2d_s8_vnni_buffer_size(od, k, k, id.c);
        void *scratch = malloc(ss);
        off_err e;
        assert_int_equal(mdl_conv2d_s8_ref(&p, &rq, id, in, k, k, w, bias, od, a, &e), OFF_OK);
        assert_int_equal(mdl_conv2d_s8_vnni(&p, &rq, id, in, k, k, w, bias, od, b, scratch,
                                            ss, &e), OFF_OK);
        if (memcmp(a, b, nout) != 0) {
            size_t i = 0;
            while (a[i] == b[i])
                i++;
            fail_msg("case %d: in %zux%zux%zux%zu k %zu s %zu p %zu out c %zu: element %zu "
                     "ref %d vnni %d", t, id.n, id.h, id.w, id.c, k, stride, pad, od.c, i,
                     a[i], b[i]);
        }
        cases++;
        outputs += nout;
        free(in); free(w); free(a); free(b); free(bias); free(mult); free(sh); free(scratch);
    }
    printf("  %zu random convolutions, %zu outputs, all bit-exact\n", cases, outputs);
    assert_true(cases > 300);
}

static void test_vnni_conv_refuses_a_small_scratch(void **state)
{
    (void)state;
    if (!mdl_kernels_have_vnni())
        skip();
    int8_t in[16] = {0}, w[9] = {0}, out[16];
    int32_t m = 1 << 30, sh = 0;
    mdl_requant rq = {&m, &sh};
    mdl_conv_params p = {1, 1, 1, 1, 1, 0, 0, -128, 127};
    char scratch[8];
    off_err e;
    assert_int_equal(mdl_conv2d_s8_vnni(&p, &rq, (mdl_dims){1, 4, 4, 1}, in, 3, 3, w, NULL,
                                        (mdl_dims){1, 4, 4, 1}, out, scratch, sizeof scratch,
                                        &e), OFF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnni_conv_is_bit_exact_with_reference),
        cmocka_unit_test(test_vnni_conv_refuses_a_small_scratch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
