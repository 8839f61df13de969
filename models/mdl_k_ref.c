/*
 * mdl_k_ref.c - the scalar reference int8 kernels: conv2d (dense, grouped,
 * depthwise), fully connected, max and average pooling.  See
 * mdl_kernels.h.  Straightforward loops: they define the results.
 */
#include "mdl_kernels.h"

static off_status check_params(const mdl_conv_params *p, off_err *err)
{
    if (p->input_offset < -127 || p->input_offset > 128 || p->output_offset < -128 ||
        p->output_offset > 127 || p->act_min < -128 || p->act_max > 127 ||
        p->act_min > p->act_max)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "kernel: offsets or activation range out of the int8 range");
    return OFF_OK;
}

static inline int8_t finish(int32_t acc, int32_t mult, int32_t shift,
                            const mdl_conv_params *p)
{
    int32_t v = mdl_requantize(acc, mult, shift) + p->output_offset;
    v = v < p->act_min ? p->act_min : v;
    v = v > p->act_max ? p->act_max : v;
    return (int8_t)v;
}

off_status mdl_conv2d_s8_ref(const mdl_conv_params *p, const mdl_requant *rq,
                             mdl_dims id, const int8_t *in, size_t kh, size_t kw,
                             const int8_t *w, const int32_t *bias, mdl_dims od,
                             int8_t *out, off_err *err)
{
    off_status st = check_params(p, err);
    if (st)
        return st;
    size_t g = p->groups ? p->groups : 1;
    if (p->stride_h < 1 || p->stride_w < 1 || kh < 1 || kw < 1 || id.c % g ||
        od.c % g || od.n != id.n || id.h + 2 * p->pad_h < kh ||
        id.w + 2 * p->pad_w < kw ||
        od.h != mdl_out_size(id.h, kh, p->stride_h, p->pad_h) ||
        od.w != mdl_out_size(id.w, kw, p->stride_w, p->pad_w))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "conv2d: inconsistent shapes (in %zux%zux%zux%zu, kernel %zux%zu, "
                        "out %zux%zux%zux%zu, groups %zu)", id.n, id.h, id.w, id.c, kh, kw,
                        od.n, od.h, od.w, od.c, g);
    size_t cin_g = id.c / g, cout_g = od.c / g;
    for (size_t n = 0; n < id.n; n++)
        for (size_t oy = 0; oy < od.h; oy++)
            for (size_t ox = 0; ox < od.w; ox++)
                for (size_t oc = 0; oc < od.c; oc++) {
                    size_t grp = oc / cout_g;
                    int32_t acc = bias ? bias[oc] : 0;
                    for (size_t ky = 0; ky < kh; ky++) {
                        long iy = (long)(oy * p->stride_h + ky) - (long)p->pad_h;
                        if (iy < 0 || iy >= (long)id.h)
                            continue;
                        for (size_t kx = 0; kx < kw; kx++) {
                            long ix = (long)(ox * p->stride_w + kx) - (long)p->pad_w;
                            if (ix < 0 || ix >= (long)id.w)
                                continue;
                            const int8_t *ip =
                                in + ((n * id.h + (size_t)iy) * id.w + (size_t)ix) * id.c +
                                grp * cin_g;
                            const int8_t *wp = w + ((oc * kh + ky) * kw + kx) * cin_g;
                            for (size_t ic = 0; ic < cin_g; ic++)
                                acc += ((int32_t)ip[ic] + p->input_offset) * wp[ic];
                        }
                    }
                    out[((n * od.h + oy) * od.w + ox) * od.c + oc] =
                        finish(acc, rq->mult[oc], rq->shift[oc], p);
                }
    return OFF_OK;
}

off_status mdl_fc_s8_ref(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                         size_t c_in, const int8_t *in, const int8_t *w,
                         const int32_t *bias, size_t c_out, int8_t *out, off_err *err)
{
    off_status st = check_params(p, err);
    if (st)
        return st;
    for (size_t b = 0; b < n; b++)
        for (size_t oc = 0; oc < c_out; oc++) {
            int32_t acc = bias ? bias[oc] : 0;
            for (size_t c = 0; c < c_in; c++)
                acc += ((int32_t)in[b * c_in + c] + p->input_offset) * w[oc * c_in + c];
            out[b * c_out + oc] = finish(acc, rq->mult[oc], rq->shift[oc], p);
        }
    return OFF_OK;
}

static off_status pool(bool is_max, size_t kh, size_t kw, size_t stride, size_t pad,
                       int32_t act_min, int32_t act_max, mdl_dims id, const int8_t *in,
                       int8_t *out, off_err *err)
{
    if (kh < 1 || kw < 1 || stride < 1 || pad >= kh || pad >= kw ||
        id.h + 2 * pad < kh || id.w + 2 * pad < kw || act_min > act_max ||
        act_min < -128 || act_max > 127)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "pool: inconsistent parameters");
    size_t oh = mdl_out_size(id.h, kh, stride, pad), ow = mdl_out_size(id.w, kw, stride, pad);
    for (size_t n = 0; n < id.n; n++)
        for (size_t oy = 0; oy < oh; oy++)
            for (size_t ox = 0; ox < ow; ox++)
                for (size_t c = 0; c < id.c; c++) {
                    int32_t best = -128, sum = 0, cnt = 0;
                    for (size_t ky = 0; ky < kh; ky++) {
                        long iy = (long)(oy * stride + ky) - (long)pad;
                        if (iy < 0 || iy >= (long)id.h)
                            continue;
                        for (size_t kx = 0; kx < kw; kx++) {
                            long ix = (long)(ox * stride + kx) - (long)pad;
                            if (ix < 0 || ix >= (long)id.w)
                                continue;
                            int32_t v =
                                in[((n * id.h + (size_t)iy) * id.w + (size_t)ix) * id.c + c];
                            best = v > best ? v : best;
                            sum += v;
                            cnt++;
                        }
                    }
                    int32_t v = best;
                    if (!is_max) /* round half away from zero */
                        v = sum >= 0 ? (sum + cnt / 2) / cnt : -((-sum + cnt / 2) / cnt);
                    v = v < act_min ? act_min : v > act_max ? act_max : v;
                    out[((n * oh + oy) * ow + ox) * id.c + c] = (int8_t)v;
                }
    return OFF_OK;
}

off_status mdl_maxpool_s8_ref(size_t kh, size_t kw, size_t stride, size_t pad,
                              int32_t act_min, int32_t act_max, mdl_dims id,
                              const int8_t *in, int8_t *out, off_err *err)
{
    return pool(true, kh, kw, stride, pad, act_min, act_max, id, in, out, err);
}

off_status mdl_avgpool_s8_ref(size_t kh, size_t kw, size_t stride, size_t pad,
                              int32_t act_min, int32_t act_max, mdl_dims id,
                              const int8_t *in, int8_t *out, off_err *err)
{
    return pool(false, kh, kw, stride, pad, act_min, act_max, id, in, out, err);
}
