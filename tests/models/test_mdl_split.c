/* test_mdl_split.c - the split tensor codec and exit confidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mdl_infer.h"

static uint64_t rng_state = 0x1234567;
static uint32_t rnd(void) /* xorshift64*: test data only */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static void test_bitpack_known_layout(void **state)
{
    (void)state;
    const uint8_t codes[5] = {1, 2, 3, 4, 5};
    uint8_t out[2], back[5];
    /* LSB first: 001 010 011 | 100 101 -> 0b11010001, 0b01011000 */
    mdl_bitpack(codes, 5, 3, out);
    assert_int_equal(out[0], 0xD1);
    assert_int_equal(out[1], 0x58);
    mdl_bitunpack(out, 5, 3, back);
    assert_memory_equal(codes, back, 5);
}

static void test_bitpack_round_trips_every_width_and_length(void **state)
{
    (void)state;
    uint8_t codes[300], packed[300], back[300];
    for (int bits = 1; bits <= 8; bits++)
        for (size_t n = 0; n <= 300; n += 1 + n / 8) {
            for (size_t i = 0; i < n; i++)
                codes[i] = (uint8_t)(rnd() & ((1u << bits) - 1));
            memset(packed, 0xAA, sizeof packed);
            mdl_bitpack(codes, n, bits, packed);
            mdl_bitunpack(packed, n, bits, back);
            assert_memory_equal(codes, back, n);
            /* unused bits of the last byte are zero */
            size_t nb = mdl_packed_bytes(n, bits), used = n * (size_t)bits;
            if (used % 8)
                assert_int_equal(packed[nb - 1] >> (used % 8), 0);
        }
}

static void roundtrip(const int8_t *q, size_t n, int bits, mdl_compress c, int8_t *back,
                      size_t *len)
{
    uint8_t *out = malloc(mdl_split_bound(n, bits));
    uint8_t *scratch = malloc(mdl_split_scratch_size(n, bits) + 1);
    off_err e;
    assert_int_equal(mdl_split_encode(q, n, bits, c, out, mdl_split_bound(n, bits), len,
                                      scratch, &e), OFF_OK);
    assert_int_equal(mdl_split_decode(out, *len, back, n, scratch, &e), OFF_OK);
    free(out);
    free(scratch);
}

static void test_eight_bits_and_narrow_ranges_are_lossless(void **state)
{
    (void)state;
    enum { N = 1000 };
    int8_t q[N], back[N];
    size_t len;
    for (size_t i = 0; i < N; i++)
        q[i] = (int8_t)(rnd() & 0xff);
    roundtrip(q, N, 8, MDL_COMPRESS_NONE, back, &len);
    assert_memory_equal(q, back, N);
    assert_int_equal(len, MDL_SPLIT_HEADER + N);
    /* values within a range of 15 fit 4 bits exactly */
    for (size_t i = 0; i < N; i++)
        q[i] = (int8_t)(-3 + (int)(rnd() % 16));
    roundtrip(q, N, 4, MDL_COMPRESS_NONE, back, &len);
    assert_memory_equal(q, back, N);
    assert_int_equal(len, MDL_SPLIT_HEADER + N / 2);
}

static void test_lossy_error_is_bounded_by_half_a_step(void **state)
{
    (void)state;
    enum { N = 4097 };
    int8_t q[N], back[N];
    for (int bits = 1; bits <= 7; bits++) {
        for (size_t i = 0; i < N; i++)
            q[i] = (int8_t)(rnd() & 0xff);
        q[0] = -128;
        q[1] = 127;
        size_t len;
        roundtrip(q, N, bits, MDL_COMPRESS_NONE, back, &len);
        double R = 255, L = (1 << bits) - 1, worst = 0;
        for (size_t i = 0; i < N; i++)
            worst = fmax(worst, fabs((double)back[i] - q[i]));
        printf("  %d bits: payload %zu B for %d values, worst error %.0f (bound %.1f)\n",
               bits, len, N, worst, R / (2 * L) + 0.5);
        assert_true(worst <= R / (2 * L) + 0.5);
        assert_int_equal(len, MDL_SPLIT_HEADER + mdl_packed_bytes(N, bits));
        assert_int_equal(back[0], -128);
        assert_int_equal(back[1], 127);
    }
}

static void test_zlib_shrinks_sparse_activations_and_round_trips(void **state)
{
    (void)state;
    enum { N = 6000 };
    int8_t q[N], back[N];
    /* ReLU-like: 80 % at the zero point -128 */
    for (size_t i = 0; i < N; i++)
        q[i] = (int8_t)(rnd() % 5 ? -128 : (int)(rnd() % 256) - 128);
    size_t plain, packed;
    roundtrip(q, N, 8, MDL_COMPRESS_NONE, back, &plain);
    roundtrip(q, N, 8, MDL_COMPRESS_ZLIB, back, &packed);
    printf("  sparse tensor: %zu B packed, %zu B with zlib\n", plain, packed);
    assert_memory_equal(q, back, N);
    assert_true(packed < plain * 6 / 10);
    /* incompressible data keeps the plain body */
    for (size_t i = 0; i < N; i++)
        q[i] = (int8_t)(rnd() & 0xff);
    roundtrip(q, N, 8, MDL_COMPRESS_ZLIB, back, &packed);
    assert_int_equal(packed, MDL_SPLIT_HEADER + N);
}

/* Inputs of every shape deflate treats apart: incompressible bytes
 * (stored blocks), small skewed alphabets (long hash chains, many blocks of
 * 16383 symbols), sparse activations, long runs, repeats near and beyond
 * 4096 bytes (3-byte matches too far to keep), bit-packed codes. */
static void zsize_input(uint8_t *buf, size_t n, unsigned kind)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rnd();
        switch (kind % 7) {
        case 0: buf[i] = (uint8_t)r; break;
        case 1: buf[i] = (uint8_t)((r & 0xff) < 200 ? 0 : (r >> 8) % 4); break;
        case 2: buf[i] = (uint8_t)((r & 7) ? 0 : r >> 24); break;
        case 3: buf[i] = (uint8_t)((i / (1 + (r % 300 == 0 ? 0 : 97))) % 3); break;
        case 4: /* a random block, repeated with mutations at distances 3..5000 */
            buf[i] = i < 64 || (r & 15) == 0 ? (uint8_t)(r >> 16)
                                             : buf[i - 3 - (r >> 8) % (i < 5003 ? i - 3 : 5000)];
            break;
        case 5: buf[i] = (uint8_t)(r % 16 < 12 ? 0x11 * (r % 3) : r >> 24); break;
        default: buf[i] = (uint8_t)(r % 5 == 0 ? r >> 20 : (i * 7) % 11); break;
        }
    }
}

static void zsize_matches_compress2(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 8, 31, 100, 259, 1000, 4097, 6272,
                                   16383, 16400, 25088, 32506, 32507, 40000};
    mdl_zsize_ws *ws = malloc(mdl_zsize_ws_size());
    uint8_t *buf = malloc(40000), *codes = malloc(40000), *out = malloc(compressBound(40000));
    assert_non_null(ws);
    mdl_zsize_init(ws);
    for (unsigned kind = 0; kind < 7 * 4; kind++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            zsize_input(buf, n, kind);
            if (kind >= 14) { /* 2- and 4-bit codes packed, as the codec sends them */
                int bits = kind >= 21 ? 4 : 2;
                for (size_t i = 0; i < n; i++)
                    codes[i] = (uint8_t)(buf[i] & ((1u << bits) - 1));
                mdl_bitpack(codes, n, bits, buf);
                n = mdl_packed_bytes(n, bits);
            }
            uLongf dst = compressBound((uLong)n);
            assert_int_equal(compress2(out, &dst, buf, (uLong)n, 6), Z_OK);
            size_t got = mdl_zsize(ws, buf, n);
            if (got != dst)
                fail_msg("kind %u, %zu bytes: %zu, compress2 %lu", kind, n, got,
                         (unsigned long)dst);
        }
    free(out);
    free(codes);
    free(buf);
    free(ws);
}

static void test_zsize_is_compress2s_size(void **state)
{
    (void)state;
    assert_true(mdl_zsize_agrees());
    zsize_matches_compress2();
}

static void test_measure_is_encode_then_decode(void **state)
{
    (void)state;
    enum { N = 5000 };
    int8_t q[N], back[N], recv[N];
    uint8_t *scratch = malloc(mdl_split_scratch_size(N, 8));
    mdl_zsize_ws *ws = malloc(mdl_zsize_ws_size());
    assert_non_null(scratch);
    assert_non_null(ws);
    mdl_zsize_init(ws);
    off_err e;
    for (int trial = 0; trial < 40; trial++) {
        size_t n = 1 + rnd() % N;
        int lo = -128 + (int)(rnd() % 200), span = 1 + (int)(rnd() % (128 - lo));
        for (size_t i = 0; i < n; i++) /* ReLU-like: a third at the floor */
            q[i] = (int8_t)(rnd() % 3 == 0 ? lo : lo + (int)(rnd() % (unsigned)span));
        for (int bits = 1; bits <= 8; bits++) {
            size_t len, want;
            roundtrip(q, n, bits, MDL_COMPRESS_ZLIB, back, &want);
            assert_int_equal(mdl_split_measure(q, n, bits, recv, &len, scratch, ws, &e), OFF_OK);
            assert_int_equal(len, want);
            assert_memory_equal(recv, back, n);
        }
    }
    assert_int_equal(mdl_split_measure(q, 10, 9, recv, &(size_t){0}, scratch, ws, &e),
                     OFF_EINVAL);
    free(ws);
    free(scratch);
}

static void test_corrupt_payloads_are_errors_not_crashes(void **state)
{
    (void)state;
    enum { N = 500 };
    int8_t q[N], back[N];
    for (size_t i = 0; i < N; i++)
        q[i] = (int8_t)(rnd() % 3 ? 0 : (int)(rnd() & 0xff) - 128);
    for (int c = 0; c < 2; c++) {
        uint8_t out[2048], scratch[2048];
        size_t len;
        off_err e;
        assert_int_equal(mdl_split_encode(q, N, 5, (mdl_compress)c, out, sizeof out, &len,
                                          scratch, &e), OFF_OK);
        for (size_t cut = 0; cut < len; cut++) /* every truncation */
            assert_int_equal(mdl_split_decode(out, cut, back, N, scratch, &e), OFF_EPARSE);
        assert_int_equal(mdl_split_decode(out, len, back, N + 1, scratch, &e), OFF_EPARSE);
        for (int trial = 0; trial < 3000; trial++) { /* random byte flips */
            uint8_t bad[2048];
            memcpy(bad, out, len);
            bad[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
            off_status st = mdl_split_decode(bad, len, back, N, scratch, &e);
            assert_true(st == OFF_OK || st == OFF_EPARSE);
        }
    }
    off_err e;
    uint8_t junk[12] = "not a split";
    assert_int_equal(mdl_split_decode(junk, sizeof junk, back, N, (uint8_t *)back, &e),
                     OFF_EPARSE);
    assert_non_null(strstr(e.msg, "bad magic"));
    uint8_t out[64];
    size_t len;
    assert_int_equal(mdl_split_encode(q, 4, 9, MDL_COMPRESS_NONE, out, sizeof out, &len,
                                      (uint8_t *)back, &e), OFF_EINVAL);
}

static void test_exit_confidence_max_prob_and_entropy(void **state)
{
    (void)state;
    double p, h;
    size_t am;
    const float uniform[10] = {0};
    mdl_exit_confidence(uniform, 10, &p, &h, &am);
    assert_true(fabs(p - 0.1) < 1e-12);
    assert_true(fabs(h - 1.0) < 1e-12);
    /* p = (1/4, 3/4): H = -(1/4 ln 1/4 + 3/4 ln 3/4) = 0.562335, / ln 2 */
    const float two[2] = {0.0f, (float)log(3.0)};
    mdl_exit_confidence(two, 2, &p, &h, &am);
    assert_int_equal(am, 1);
    assert_true(fabs(p - 0.75) < 1e-7);
    assert_true(fabs(h - 0.811278) < 1e-6);
    const float sure[3] = {-1000.0f, 1000.0f, 0.0f}; /* no overflow */
    mdl_exit_confidence(sure, 3, &p, &h, &am);
    assert_int_equal(am, 1);
    assert_true(p > 0.999999 && h < 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitpack_known_layout),
        cmocka_unit_test(test_bitpack_round_trips_every_width_and_length),
        cmocka_unit_test(test_eight_bits_and_narrow_ranges_are_lossless),
        cmocka_unit_test(test_lossy_error_is_bounded_by_half_a_step),
        cmocka_unit_test(test_zlib_shrinks_sparse_activations_and_round_trips),
        cmocka_unit_test(test_zsize_is_compress2s_size),
        cmocka_unit_test(test_measure_is_encode_then_decode),
        cmocka_unit_test(test_corrupt_payloads_are_errors_not_crashes),
        cmocka_unit_test(test_exit_confidence_max_prob_and_entropy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
