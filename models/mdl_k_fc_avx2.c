/*
 * mdl_k_fc_avx2.c - int8 fully connected with AVX2, bit-exact with
 * mdl_fc_s8_ref: 16 inputs at a time widened to int16 (+ input_offset),
 * weights widened to int16, vpmaddwd into int32 (exact), scalar tail for
 * C_IN % 16, scalar requantization.
 */
#include "mdl_k_dispatch.h"

#include <immintrin.h>

#define AVX2_TARGET __attribute__((target("avx2")))

AVX2_TARGET static int32_t dot(const int8_t *x, const int8_t *w, size_t c_in, int32_t off)
{
    __m256i acc = _mm256_setzero_si256(), voff = _mm256_set1_epi16((int16_t)off);
    size_t c = 0;
    for (; c + 16 <= c_in; c += 16) {
        __m256i xv = _mm256_add_epi16(
            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(x + c))), voff);
        __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + c)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(xv, wv));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    int32_t r = _mm_cvtsi128_si32(s);
    for (; c < c_in; c++)
        r += ((int32_t)x[c] + off) * w[c];
    return r;
}

off_status mdl_fc_s8_avx2(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                          size_t c_in, const int8_t *in, const int8_t *w,
                          const int32_t *bias, size_t c_out, int8_t *out, off_err *err)
{
    /* the reference checks the parameters: run it on an empty batch */
    off_status st = mdl_fc_s8_ref(p, rq, 0, c_in, in, w, bias, c_out, out, err);
    if (st)
        return st;
    for (size_t b = 0; b < n; b++)
        for (size_t oc = 0; oc < c_out; oc++) {
            int32_t acc = (int32_t)((uint32_t)(bias ? bias[oc] : 0) +
                                    (uint32_t)dot(in + b * c_in, w + oc * c_in, c_in,
                                                  p->input_offset));
            int32_t v = mdl_requantize(acc, rq->mult[oc], rq->shift[oc]) + p->output_offset;
            v = v < p->act_min ? p->act_min : v;
            v = v > p->act_max ? p->act_max : v;
            out[b * c_out + oc] = (int8_t)v;
        }
    return OFF_OK;
}
