/*
 * mdl_k_conv_vnni.c - int8 conv2d and fully connected with AVX-512 VNNI
 * (vpdpbusd), bit-exact with the references in mdl_k_ref.c.
 *
 * Method: im2col into unsigned bytes, then a GEMM on vpdpbusd, then a
 * vectorised requantization.
 *   - vpdpbusd multiplies unsigned by signed bytes, so the activations are
 *     shifted to a = q + 128 (0..255) and the shift is undone per output
 *     channel: sum (q + off) w = sum a w + (off - 128) sum w.  Zero-point
 *     padding (q + off = 0) becomes a = 128 - off.
 *   - weights are packed so that each 32-bit lane holds 4 consecutive k of
 *     one output channel: B[k/4][oc][4], channels padded to 64, k to 4.
 *   - the micro-kernel computes 4 rows x 64 channels (16 zmm accumulators)
 *     per pass over k.
 *   - requantization is TFLite's, lane by lane: the doubling high multiply
 *     in 64-bit halves, then the rounding right shift.
 * The scratch the caller passes holds the im2col matrix, the packed weights,
 * the per-channel corrections and the int32 accumulators
 * (mdl_conv2d_s8_vnni_buffer_size).  Packing costs about as much as the
 * GEMM on the small layers of a 28x28 network, so a caller that runs the
 * same layer many times packs once (mdl_conv2d_s8_vnni_pack) and calls
 * mdl_conv2d_s8_vnni_prepacked: the same bytes in, the same results.
 */
#include "mdl_kernels.h"

#include <immintrin.h>
#include <string.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

size_t mdl_conv2d_s8_vnni_buffer_size(mdl_dims out_d, size_t kh, size_t kw,
                                      size_t c_in)
{
    size_t m = out_d.h * out_d.w, kp = round_up(kh * kw * c_in, 4),
           np = round_up(out_d.c, 64);
    return m * kp          /* im2col, u8 */
           + kp * np       /* packed weights, s8 */
           + np * 4        /* per-channel corrections, s32 */
           + m * np * 4    /* accumulators, s32 */
           + 64 * 3;       /* alignment of the regions */
}

static void *align64(void *p)
{
    return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* C[M][Np] = A[M][Kp] (u8) x B (packed s8), Np a multiple of 64. */
VNNI_TARGET static void gemm_u8s8(const uint8_t *A, size_t M, size_t Kp, const int8_t *B,
                                  size_t Np, int32_t *C)
{
    size_t k4n = Kp / 4;
    size_t i = 0;
    for (; i + 4 <= M; i += 4) {
        for (size_t j = 0; j < Np; j += 64) {
            __m512i c[4][4];
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++)
                    c[r][q] = _mm512_setzero_si512();
            const int8_t *bp = B + j * 4;
            for (size_t k4 = 0; k4 < k4n; k4++, bp += Np * 4) {
                __m512i b0 = _mm512_load_si512((const void *)(bp));
                __m512i b1 = _mm512_load_si512((const void *)(bp + 64));
                __m512i b2 = _mm512_load_si512((const void *)(bp + 128));
                __m512i b3 = _mm512_load_si512((const void *)(bp + 192));
                for (int r = 0; r < 4; r++) {
                    int32_t av;
                    memcpy(&av, A + (i + (size_t)r) * Kp + 4 * k4, 4);
                    __m512i a = _mm512_set1_epi32(av);
                    c[r][0] = _mm512_dpbusd_epi32(c[r][0], a, b0);
                    c[r][1] = _mm512_dpbusd_epi32(c[r][1], a, b1);
                    c[r][2] = _mm512_dpbusd_epi32(c[r][2], a, b2);
                    c[r][3] = _mm512_dpbusd_epi32(c[r][3], a, b3);
                }
            }
            for (int r = 0; r < 4; r++)
                for (int q = 0; q < 4; q++)
                    _mm512_store_si512((void *)(C + (i + (size_t)r) * Np + j + 16 * (size_t)q),
                                       c[r][q]);
        }
    }
    for (; i < M; i++) {
        for (size_t j = 0; j < Np; j += 64) {
            __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
            const int8_t *bp = B + j * 4;
            for (size_t k4 = 0; k4 < k4n; k4++, bp += Np * 4) {
                int32_t av;
                memcpy(&av, A + i * Kp + 4 * k4, 4);
                __m512i a = _mm512_set1_epi32(av);
                c0 = _mm512_dpbusd_epi32(c0, a, _mm512_load_si512((const void *)bp));
                c1 = _mm512_dpbusd_epi32(c1, a, _mm512_load_si512((const void *)(bp + 64)));
                c2 = _mm512_dpbusd_epi32(c2, a, _mm512_load_si512((const void *)(bp + 128)));
                c3 = _mm512_dpbusd_epi32(c3, a, _mm512_load_si512((const void *)(bp + 192)));
            }
            _mm512_store_si512((void *)(C + i * Np + j), c0);
            _mm512_store_si512((void *)(C + i * Np + j + 16), c1);
            _mm512_store_si512((void *)(C + i * Np + j + 32), c2);
            _mm512_store_si512((void *)(C + i * Np + j + 48), c3);
        }
    }
}

/* TFLite's MultiplyByQuantizedMultiplier on 16 lanes (see mdl_k_requant.c). */
VNNI_TARGET static __m512i requant16(__m512i x, __m512i mult, __m512i left, __m512i right)
{
    x = _mm512_sllv_epi32(x, left);
    /* doubling high multiply: (x*m + nudge) / 2^31, truncated toward zero,
     * on even and odd lanes as 64-bit products */
    const __m512i pos_nudge = _mm512_set1_epi64(1LL << 30);
    const __m512i neg_nudge = _mm512_set1_epi64(1 - (1LL << 30));
    const __m512i round_neg = _mm512_set1_epi64((1LL << 31) - 1);
    __m512i res[2];
    for (int half = 0; half < 2; half++) {
        __m512i xa = half ? _mm512_srli_epi64(x, 32) : x;
        __m512i ma = half ? _mm512_srli_epi64(mult, 32) : mult;
        __m512i ab = _mm512_mul_epi32(xa, ma); /* signed low 32 x low 32 -> 64 */
        __mmask8 neg = _mm512_cmplt_epi64_mask(ab, _mm512_setzero_si512());
        __m512i t = _mm512_add_epi64(ab, _mm512_mask_blend_epi64(neg, pos_nudge, neg_nudge));
        __mmask8 tneg = _mm512_cmplt_epi64_mask(t, _mm512_setzero_si512());
        t = _mm512_mask_add_epi64(t, tneg, t, round_neg); /* toward zero */
        res[half] = _mm512_srai_epi64(t, 31);
    }
    /* recombine: even lanes from res[0] low halves, odd from res[1] */
    __m512i hi = _mm512_slli_epi64(res[1], 32);
    __m512i v = _mm512_mask_blend_epi32((__mmask16)0xAAAA, res[0], hi);
    /* saturation: x == m == INT32_MIN */
    const __m512i imin = _mm512_set1_epi32(INT32_MIN);
    __mmask16 sat = _mm512_cmpeq_epi32_mask(x, imin) & _mm512_cmpeq_epi32_mask(mult, imin);
    v = _mm512_mask_mov_epi32(v, sat, _mm512_set1_epi32(INT32_MAX));
    /* rounding divide by 2^right, ties away from zero */
    const __m512i one = _mm512_set1_epi32(1);
    __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    __m512i rem = _mm512_and_si512(v, mask);
    __mmask16 vneg = _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512());
    __m512i thr = _mm512_mask_add_epi32(_mm512_srai_epi32(mask, 1), vneg,
                                        _mm512_srai_epi32(mask, 1), one);
    __m512i q = _mm512_srav_epi32(v, right);
    __mmask16 up = _mm512_cmpgt_epi32_mask(rem, thr);
    return _mm512_mask_add_epi32(q, up, q, one);
}

/* out[m][oc] = clamp(requant(C[m][oc] + corr[oc]) + out_off) for oc < n. */
VNNI_TARGET static void requant_rows(const int32_t *C, size_t M, size_t Np, size_t n,
                                     const int32_t *corr, const mdl_requant *rq,
                                     const mdl_conv_params *p, int8_t *out)
{
    const __m512i off = _mm512_set1_epi32(p->output_offset);
    const __m512i lo = _mm512_set1_epi32(p->act_min), hi = _mm512_set1_epi32(p->act_max);
    for (size_t j = 0; j < n; j += 16) {
        size_t cnt = n - j < 16 ? n - j : 16;
        __mmask16 km = (__mmask16)((1u << cnt) - 1);
        __m512i mult = _mm512_maskz_loadu_epi32(km, rq->mult + j);
        __m512i sh = _mm512_maskz_loadu_epi32(km, rq->shift + j);
        __m512i zero = _mm512_setzero_si512();
        __m512i left = _mm512_max_epi32(sh, zero);
        __m512i right = _mm512_max_epi32(_mm512_sub_epi32(zero, sh), zero);
        __m512i cv = _mm512_load_si512((const void *)(corr + j));
        for (size_t m = 0; m < M; m++) {
            __m512i acc = _mm512_add_epi32(_mm512_load_si512((const void *)(C + m * Np + j)), cv);
            __m512i v = _mm512_add_epi32(requant16(acc, mult, left, right), off);
            v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
            _mm512_mask_cvtepi32_storeu_epi8(out + m * n + j, km, v);
        }
    }
}

/* Pack weights W[n][K] (s8) into B[Kp/4][Np][4] and the per-channel
 * corrections bias + (off - 128) * sum(w). */
static void pack_weights(const int8_t *w, size_t n, size_t K, size_t Kp, size_t Np,
                         const int32_t *bias, int32_t input_offset, int8_t *B,
                         int32_t *corr)
{
    memset(B, 0, Kp * Np);
    for (size_t oc = 0; oc < Np; oc++) {
        int32_t sum = 0;
        if (oc < n)
            for (size_t k = 0; k < K; k++) {
                int8_t v = w[oc * K + k];
                B[(k / 4) * Np * 4 + oc * 4 + (k % 4)] = v;
                sum += v;
            }
        corr[oc] = oc < n ? (bias ? bias[oc] : 0) + (input_offset - 128) * sum : 0;
    }
}

bool mdl_kernels_have_vnni(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
}

size_t mdl_conv2d_s8_vnni_packed_size(size_t c_out, size_t kh, size_t kw, size_t c_in)
{
    size_t kp = round_up(kh * kw * c_in, 4), np = round_up(c_out, 64);
    return kp * np + np * 4;
}

void mdl_conv2d_s8_vnni_pack(const int8_t *w, const int32_t *bias, int32_t input_offset,
                             size_t c_out, size_t kh, size_t kw, size_t c_in, void *packed)
{
    size_t K = kh * kw * c_in, Kp = round_up(K, 4), Np = round_up(c_out, 64);
    int8_t *B = packed;
    pack_weights(w, c_out, K, Kp, Np, bias, input_offset, B, (int32_t *)(B + Kp * Np));
}

/* The shape and parameter checks of the reference, run on an empty batch,
 * and a dense convolution (the caller runs grouped ones elsewhere). */
static off_status check_conv(const mdl_conv_params *p, const mdl_requant *rq, mdl_dims id,
                             const int8_t *in, size_t kh, size_t kw, const int8_t *w,
                             const int32_t *bias, mdl_dims od, int8_t *out, off_err *err)
{
    mdl_dims id0 = id, od0 = od;
    id0.n = od0.n = 0;
    off_status st = mdl_conv2d_s8_ref(p, rq, id0, in, kh, kw, w, bias, od0, out, err);
    if (!st && od.n != id.n)
        st = off_errf(err, OFF_EINVAL, NULL, 0, 0, "conv2d: batch sizes differ");
    return st;
}

/* im2col, GEMM and requantization of every image with the packed weights
 * B and corrections corr; A (M x Kp bytes) and C (M x Np int32) are the
 * caller's, 64-byte aligned. */
static void conv_packed(const mdl_conv_params *p, const mdl_requant *rq, mdl_dims id,
                        const int8_t *in, size_t kh, size_t kw, const int8_t *B,
                        const int32_t *corr, mdl_dims od, int8_t *out, uint8_t *A, int32_t *C)
{
    size_t M = od.h * od.w, K = kh * kw * id.c, Kp = round_up(K, 4),
           Np = round_up(od.c, 64);
    uint8_t pad_a = (uint8_t)(128 - p->input_offset);
    for (size_t n = 0; n < id.n; n++) {
        const int8_t *img = in + n * id.h * id.w * id.c;
        for (size_t oy = 0; oy < od.h; oy++)
            for (size_t ox = 0; ox < od.w; ox++) {
                uint8_t *row = A + (oy * od.w + ox) * Kp;
                for (size_t ky = 0; ky < kh; ky++) {
                    long iy = (long)(oy * p->stride_h + ky) - (long)p->pad_h;
                    for (size_t kx = 0; kx < kw; kx++, row += id.c) {
                        long ix = (long)(ox * p->stride_w + kx) - (long)p->pad_w;
                        if (iy < 0 || iy >= (long)id.h || ix < 0 || ix >= (long)id.w) {
                            memset(row, pad_a, id.c);
                            continue;
                        }
                        const int8_t *src = img + ((size_t)iy * id.w + (size_t)ix) * id.c;
                        for (size_t c = 0; c < id.c; c++)
                            row[c] = (uint8_t)(src[c] + 128);
                    }
                }
                memset(row, 0, Kp - K);
            }
        gemm_u8s8(A, M, Kp, B, Np, C);
        requant_rows(C, M, Np, od.c, corr, rq, p, out + n * M * od.c);
    }
}

off_status mdl_conv2d_s8_vnni(const mdl_conv_params *p, const mdl_requant *rq,
                              mdl_dims id, const int8_t *in, size_t kh, size_t kw,
                              const int8_t *w, const int32_t *bias, mdl_dims od,
                              int8_t *out, void *scratch, size_t scratch_size,
                              off_err *err)
{
    size_t g = p->groups ? p->groups : 1;
    if (g != 1)
        return mdl_conv2d_s8_ref(p, rq, id, in, kh, kw, w, bias, od, out, err);
    off_status st = check_conv(p, rq, id, in, kh, kw, w, bias, od, out, err);
    if (st)
        return st;
    if (scratch_size < mdl_conv2d_s8_vnni_buffer_size(od, kh, kw, id.c))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "conv2d: scratch too small");
    size_t M = od.h * od.w, K = kh * kw * id.c, Kp = round_up(K, 4),
           Np = round_up(od.c, 64);
    uint8_t *A = align64(scratch);
    int8_t *B = align64(A + M * Kp);
    int32_t *corr = (int32_t *)(B + Kp * Np);
    int32_t *C = corr + Np;
    pack_weights(w, od.c, K, Kp, Np, bias, p->input_offset, B, corr);
    conv_packed(p, rq, id, in, kh, kw, B, corr, od, out, A, C);
    return OFF_OK;
}

off_status mdl_conv2d_s8_vnni_prepacked(const mdl_conv_params *p, const mdl_requant *rq,
                                        mdl_dims id, const int8_t *in, size_t kh, size_t kw,
                                        const void *packed, mdl_dims od, int8_t *out,
                                        void *scratch, size_t scratch_size, off_err *err)
{
    if ((p->groups ? p->groups : 1) != 1 || ((uintptr_t)packed & 63))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "conv2d: prepacked weights need a dense convolution and 64-byte "
                        "alignment");
    off_status st = check_conv(p, rq, id, in, kh, kw, NULL, NULL, od, out, err);
    if (st)
        return st;
    if (scratch_size < mdl_conv2d_s8_vnni_buffer_size(od, kh, kw, id.c))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "conv2d: scratch too small");
    size_t M = od.h * od.w, Kp = round_up(kh * kw * id.c, 4), Np = round_up(od.c, 64);
    uint8_t *A = align64(scratch);
    int32_t *C = align64(A + M * Kp);
    const int8_t *B = packed;
    conv_packed(p, rq, id, in, kh, kw, B, (const int32_t *)(B + Kp * Np), od, out, A, C);
    return OFF_OK;
}
