/*
 * mdl_k_pool.c - int8 max pooling, NHWC, bit-exact with mdl_maxpool_s8_ref.
 *
 * The reference walks the window once per channel, testing the padding at
 * every element; here the window is walked once per output position and the
 * channels are the inner loop (contiguous in NHWC), a max over C bytes that
 * the compiler vectorises.  Same parameter checks, same results.
 */
#include "mdl_k_dispatch.h"

off_status mdl_maxpool_s8(size_t kh, size_t kw, size_t stride, size_t pad, int32_t act_min,
                          int32_t act_max, mdl_dims id, const int8_t *in, int8_t *out,
                          off_err *err)
{
    if (kh < 1 || kw < 1 || stride < 1 || pad >= kh || pad >= kw ||
        id.h + 2 * pad < kh || id.w + 2 * pad < kw || act_min > act_max ||
        act_min < -128 || act_max > 127)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "pool: inconsistent parameters");
    size_t oh = mdl_out_size(id.h, kh, stride, pad), ow = mdl_out_size(id.w, kw, stride, pad);
    size_t C = id.c;
    int8_t lo = (int8_t)act_min, hi = (int8_t)act_max;
    for (size_t n = 0; n < id.n; n++)
        for (size_t oy = 0; oy < oh; oy++)
            for (size_t ox = 0; ox < ow; ox++) {
                int8_t *o = out + ((n * oh + oy) * ow + ox) * C;
                /* the window clipped to the input: padding never wins */
                size_t y0 = oy * stride < pad ? 0 : oy * stride - pad,
                       x0 = ox * stride < pad ? 0 : ox * stride - pad;
                size_t y1 = oy * stride + kh - pad, x1 = ox * stride + kw - pad;
                y1 = y1 < id.h ? y1 : id.h;
                x1 = x1 < id.w ? x1 : id.w;
                /* the reference starts from -128 too */
                for (size_t c = 0; c < C; c++)
                    o[c] = -128;
                for (size_t y = y0; y < y1; y++)
                    for (size_t x = x0; x < x1; x++) {
                        const int8_t *p = in + ((n * id.h + y) * id.w + x) * C;
                        for (size_t c = 0; c < C; c++)
                            o[c] = p[c] > o[c] ? p[c] : o[c];
                    }
                for (size_t c = 0; c < C; c++)
                    o[c] = o[c] < lo ? lo : o[c] > hi ? hi : o[c];
            }
    return OFF_OK;
}
