/*
 * mdl_k_conv_avx2.c - int8 conv2d with AVX2, bit-exact with
 * mdl_conv2d_s8_ref.
 *
 * im2col into int16 (input + input_offset, padding = 0, so padded positions
 * contribute nothing), rows padded to a multiple of 4 and K to a multiple of
 * 16 with zeros.  Weights are packed as int16 pairs, B[k/2][oc][2], so that a
 * broadcast pair of activations times one vector gives 8 output channels at
 * once with vpmaddwd (int16 x int16 -> int32 pair sums: exact, unlike
 * vpmaddubsw which saturates to int16).  Micro-kernel: 4 rows x 16 channels,
 * 8 accumulators, no horizontal sums.  Requantization 8 channels at a
 * time (requant8), scalar mdl_requantize for the C_OUT % 8 tail.  |x + offset| <= 255 and |w| <= 128, so each pair sum fits
 * int32 and the int32 accumulation matches the reference's.
 */
#include "mdl_k_dispatch.h"

#include <immintrin.h>
#include <string.h>

#define AVX2_TARGET __attribute__((target("avx2")))

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

size_t mdl_conv2d_s8_avx2_buffer_size(mdl_dims od, size_t kh, size_t kw, size_t c_in)
{
    size_t Mp = round_up(od.h * od.w, 4), Kp = round_up(kh * kw * c_in, 16),
           Np = round_up(od.c, 16);
    return Mp * Kp * sizeof(int16_t) + Kp * Np * sizeof(int16_t) +
           Mp * Np * sizeof(int32_t);
}

/* C (Mp,Np) = A (Mp,Kp) x B packed (Kp/2,Np,2); Mp % 4 == 0, Np % 16 == 0. */
AVX2_TARGET static void gemm_s16(const int16_t *A, size_t Mp, size_t Kp, const int16_t *B,
                                 size_t Np, int32_t *C)
{
    for (size_t m = 0; m < Mp; m += 4)
        for (size_t n = 0; n < Np; n += 16) {
            __m256i c[4][2];
#pragma GCC unroll 4
            for (size_t r = 0; r < 4; r++)
                c[r][0] = c[r][1] = _mm256_setzero_si256();
            for (size_t k = 0; k < Kp; k += 2) {
                const int16_t *bp = B + (k / 2 * Np + n) * 2;
                __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
                __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 16));
#pragma GCC unroll 4
                for (size_t r = 0; r < 4; r++) {
                    int32_t pair;
                    memcpy(&pair, A + (m + r) * Kp + k, sizeof pair);
                    __m256i a = _mm256_set1_epi32(pair);
                    c[r][0] = _mm256_add_epi32(c[r][0], _mm256_madd_epi16(a, b0));
                    c[r][1] = _mm256_add_epi32(c[r][1], _mm256_madd_epi16(a, b1));
                }
            }
#pragma GCC unroll 4
            for (size_t r = 0; r < 4; r++) {
                _mm256_storeu_si256((__m256i *)(C + (m + r) * Np + n), c[r][0]);
                _mm256_storeu_si256((__m256i *)(C + (m + r) * Np + n + 8), c[r][1]);
            }
        }
}

/* dst[c] = src[c] + off for c < n, 16 at a time. */
AVX2_TARGET static void widen_add(int16_t *dst, const int8_t *src, size_t n, int16_t off)
{
    __m256i voff = _mm256_set1_epi16(off);
    size_t c = 0;
    for (; c + 16 <= n; c += 16)
        _mm256_storeu_si256((__m256i *)(dst + c),
                            _mm256_add_epi16(_mm256_cvtepi8_epi16(
                                                 _mm_loadu_si128((const __m128i *)(src + c))),
                                             voff));
    for (; c < n; c++)
        dst[c] = (int16_t)(src[c] + off);
}

/* TFLite's MultiplyByQuantizedMultiplier on 8 lanes, as mdl_requantize:
 * SaturatingRoundingDoublingHighMul is floor((x * m + 2^30) / 2^31) (the
 * nudge and truncation of gemmlowp amount to that), whose low 32 bits are
 * bits 31..62 of the 64-bit sum whatever the shift's signedness; the one
 * overflowing case, INT32_MIN * INT32_MIN, saturates to INT32_MAX.  Then
 * RoundingDivideByPOT with per-lane exponents.  Shifts in [-31, 31]. */
AVX2_TARGET static __m256i requant8(__m256i x, __m256i m, __m256i left, __m256i right)
{
    const __m256i nudge = _mm256_set1_epi64x((long long)1 << 30), one = _mm256_set1_epi32(1),
                  imin = _mm256_set1_epi32(INT32_MIN), zero = _mm256_setzero_si256();
    __m256i xs = _mm256_sllv_epi32(x, left);
    __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(xs, m), nudge), 31);
    __m256i odd = _mm256_srli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(xs, 32), _mm256_srli_epi64(m, 32)),
                         nudge),
        31);
    __m256i hi = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    __m256i sat = _mm256_and_si256(_mm256_cmpeq_epi32(xs, imin), _mm256_cmpeq_epi32(m, imin));
    hi = _mm256_blendv_epi8(hi, _mm256_set1_epi32(INT32_MAX), sat);
    __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    __m256i rem = _mm256_and_si256(hi, mask);
    __m256i thr = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), _mm256_cmpgt_epi32(zero, hi));
    return _mm256_sub_epi32(_mm256_srav_epi32(hi, right), _mm256_cmpgt_epi32(rem, thr));
}

/* out[oc] for one output pixel from its accumulators c (bias not added). */
AVX2_TARGET static void requant_row(const int32_t *c, size_t n, const int32_t *bias,
                                    const mdl_requant *rq, const mdl_conv_params *p,
                                    int8_t *out)
{
    const __m256i zero = _mm256_setzero_si256(), ooff = _mm256_set1_epi32(p->output_offset),
                  lo = _mm256_set1_epi32(p->act_min), hi = _mm256_set1_epi32(p->act_max);
    size_t oc = 0;
    for (; oc + 8 <= n; oc += 8) {
        __m256i acc = _mm256_loadu_si256((const __m256i *)(c + oc));
        if (bias)
            acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(bias + oc)));
        __m256i sh = _mm256_loadu_si256((const __m256i *)(rq->shift + oc));
        __m256i v = requant8(acc, _mm256_loadu_si256((const __m256i *)(rq->mult + oc)),
                             _mm256_max_epi32(sh, zero),
                             _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero));
        v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, ooff), lo), hi);
        int32_t tmp[8];
        _mm256_storeu_si256((__m256i *)tmp, v);
        for (size_t j = 0; j < 8; j++)
            out[oc + j] = (int8_t)tmp[j];
    }
    for (; oc < n; oc++) {
        int32_t a = (int32_t)((uint32_t)c[oc] + (uint32_t)(bias ? bias[oc] : 0));
        int32_t v = mdl_requantize(a, rq->mult[oc], rq->shift[oc]) + p->output_offset;
        v = v < p->act_min ? p->act_min : v;
        v = v > p->act_max ? p->act_max : v;
        out[oc] = (int8_t)v;
    }
}

off_status mdl_conv2d_s8_avx2(const mdl_conv_params *p, const mdl_requant *rq,
                              mdl_dims id, const int8_t *in, size_t kh, size_t kw,
                              const int8_t *w, const int32_t *bias, mdl_dims od,
                              int8_t *out, void *scratch, size_t scratch_size,
                              off_err *err)
{
    if (p->groups > 1)
        return mdl_conv2d_s8_ref(p, rq, id, in, kh, kw, w, bias, od, out, err);
    /* the reference checks shapes and parameters: run it on an empty batch */
    mdl_dims id0 = id, od0 = od;
    id0.n = od0.n = 0;
    off_status st = mdl_conv2d_s8_ref(p, rq, id0, in, kh, kw, w, bias, od0, out, err);
    if (st)
        return st;
    if (od.n != id.n)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "conv2d: batch sizes differ");
    if (scratch_size < mdl_conv2d_s8_avx2_buffer_size(od, kh, kw, id.c) || !scratch)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "conv2d: scratch too small");
    size_t M = od.h * od.w, Mp = round_up(M, 4), K = kh * kw * id.c, Kp = round_up(K, 16),
           Np = round_up(od.c, 16);
    int16_t *A = scratch, *B = A + Mp * Kp;
    int32_t *C = (int32_t *)(void *)(B + Kp * Np); /* offset is a multiple of 32 bytes */
    memset(B, 0, Kp * Np * sizeof *B);
    for (size_t oc = 0; oc < od.c; oc++)
        for (size_t k = 0; k < K; k++)
            B[(k / 2 * Np + oc) * 2 + k % 2] = w[oc * K + k];
    memset(A + M * Kp, 0, (Mp - M) * Kp * sizeof *A);
    int16_t off = (int16_t)p->input_offset;
    for (size_t n = 0; n < id.n; n++) {
        const int8_t *img = in + n * id.h * id.w * id.c;
        for (size_t oy = 0; oy < od.h; oy++)
            for (size_t ox = 0; ox < od.w; ox++) {
                int16_t *row = A + (oy * od.w + ox) * Kp;
                for (size_t ky = 0; ky < kh; ky++) {
                    long iy = (long)(oy * p->stride_h + ky) - (long)p->pad_h;
                    for (size_t kx = 0; kx < kw; kx++, row += id.c) {
                        long ix = (long)(ox * p->stride_w + kx) - (long)p->pad_w;
                        if (iy < 0 || iy >= (long)id.h || ix < 0 || ix >= (long)id.w) {
                            memset(row, 0, id.c * sizeof *row);
                            continue;
                        }
                        const int8_t *src = img + ((size_t)iy * id.w + (size_t)ix) * id.c;
                        widen_add(row, src, id.c, off);
                    }
                }
                memset(row, 0, (Kp - K) * sizeof *row);
            }
        gemm_s16(A, Mp, Kp, B, Np, C);
        int8_t *o = out + n * M * od.c;
        for (size_t m = 0; m < M; m++)
            requant_row(C + m * Np, od.c, bias, rq, p, o + m * od.c);
    }
    return OFF_OK;
}
