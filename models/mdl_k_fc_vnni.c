/*
 * mdl_k_fc_vnni.c - int8 fully connected with AVX-512 VNNI, bit-exact with
 * mdl_fc_s8_ref.
 *
 * vpdpbusd multiplies unsigned by signed bytes, so the activations are
 * shifted to u8 (x + 128, an xor of the sign bit) and the accumulator is
 * corrected per output channel:
 *   sum((x + off) * w) = sum((x + 128) * w) + (off - 128) * sum(w),
 * with sum(w) taken by a second vpdpbusd against a vector of ones.  The
 * C_IN % 64 tail is loaded with a byte mask (zeros contribute nothing).
 * Four output channels share each activation load.
 */
#include "mdl_k_dispatch.h"

#include <immintrin.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/* acc[j] = sum((x + off) * w_j) for j < nb (1..4). */
VNNI_TARGET static void dot4(const int8_t *x, const int8_t *w, size_t c_in, size_t nb,
                             int32_t off, int32_t acc[4])
{
    const int8_t *wj[4];
    for (size_t j = 0; j < 4; j++)
        wj[j] = w + (j < nb ? j : 0) * c_in;
    __m512i d[4], sw[4];
    for (size_t j = 0; j < 4; j++)
        d[j] = sw[j] = _mm512_setzero_si512();
    const __m512i sign = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    for (size_t c = 0; c < c_in; c += 64) {
        size_t left = c_in - c;
        __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        __m512i xu = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x + c), sign);
        for (size_t j = 0; j < 4; j++) {
            __m512i wv = _mm512_maskz_loadu_epi8(m, wj[j] + c);
            d[j] = _mm512_dpbusd_epi32(d[j], xu, wv);
            sw[j] = _mm512_dpbusd_epi32(sw[j], ones, wv);
        }
    }
    for (size_t j = 0; j < 4; j++) {
        uint32_t dd = (uint32_t)_mm512_reduce_add_epi32(d[j]);
        uint32_t ss = (uint32_t)_mm512_reduce_add_epi32(sw[j]);
        acc[j] = (int32_t)(dd + (uint32_t)(off - 128) * ss);
    }
}

off_status mdl_fc_s8_vnni(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                          size_t c_in, const int8_t *in, const int8_t *w,
                          const int32_t *bias, size_t c_out, int8_t *out, off_err *err)
{
    /* the reference checks the parameters: run it on an empty batch */
    off_status st = mdl_fc_s8_ref(p, rq, 0, c_in, in, w, bias, c_out, out, err);
    if (st)
        return st;
    for (size_t b = 0; b < n; b++)
        for (size_t oc = 0; oc < c_out; oc += 4) {
            size_t nb = c_out - oc < 4 ? c_out - oc : 4;
            int32_t acc[4];
            dot4(in + b * c_in, w + oc * c_in, c_in, nb, p->input_offset, acc);
            for (size_t j = 0; j < nb; j++) {
                int32_t a = (int32_t)((uint32_t)acc[j] +
                                      (uint32_t)(bias ? bias[oc + j] : 0));
                int32_t v = mdl_requantize(a, rq->mult[oc + j], rq->shift[oc + j]) +
                            p->output_offset;
                v = v < p->act_min ? p->act_min : v;
                v = v > p->act_max ? p->act_max : v;
                out[b * c_out + oc + j] = (int8_t)v;
            }
        }
    return OFF_OK;
}
