/*
 * mdl_nn_layers.c - float32 conv, fully connected, pooling, ReLU and tanh,
 * forward and backward.  Naive loops that read like the definitions; they
 * are the oracle for any faster version.  See mdl_nn.h for layouts and the
 * accumulate-into-gradients rule.
 */
#include "mdl_nn.h"

#include <float.h>
#include <math.h>
#include <string.h>

int mdl_conv_shape_init(mdl_conv_shape *s)
{
    size_t g = s->groups ? s->groups : 1;
    s->groups = g;
    if (!s->B || !s->C || !s->H || !s->W || !s->OC || !s->KH || !s->KW || !s->stride ||
        s->C % g || s->OC % g || s->H + 2 * s->pad < s->KH || s->W + 2 * s->pad < s->KW)
        return 0;
    s->OH = (s->H + 2 * s->pad - s->KH) / s->stride + 1;
    s->OW = (s->W + 2 * s->pad - s->KW) / s->stride + 1;
    return 1;
}

/* Input pixel under output (oy, ox) and kernel tap (ky, kx), or -1. */
static inline long tap(size_t o, size_t k, size_t stride, size_t pad, size_t n)
{
    long i = (long)(o * stride + k) - (long)pad;
    return i >= 0 && i < (long)n ? i : -1;
}

void mdl_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                        const mdl_conv_shape *s)
{
    size_t cg = s->C / s->groups, og = s->OC / s->groups;
    for (size_t n = 0; n < s->B; n++)
        for (size_t oc = 0; oc < s->OC; oc++) {
            size_t g = oc / og;
            float *o = out + (n * s->OC + oc) * s->OH * s->OW;
            for (size_t oy = 0; oy < s->OH; oy++)
                for (size_t ox = 0; ox < s->OW; ox++) {
                    float acc = b ? b[oc] : 0.0f;
                    for (size_t c = 0; c < cg; c++) {
                        const float *ip = inp + (n * s->C + g * cg + c) * s->H * s->W;
                        const float *wp = w + (oc * cg + c) * s->KH * s->KW;
                        for (size_t ky = 0; ky < s->KH; ky++) {
                            long iy = tap(oy, ky, s->stride, s->pad, s->H);
                            if (iy < 0)
                                continue;
                            for (size_t kx = 0; kx < s->KW; kx++) {
                                long ix = tap(ox, kx, s->stride, s->pad, s->W);
                                if (ix >= 0)
                                    acc += ip[iy * (long)s->W + ix] * wp[ky * s->KW + kx];
                            }
                        }
                    }
                    o[oy * s->OW + ox] = acc;
                }
        }
}

void mdl_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, const mdl_conv_shape *s)
{
    size_t cg = s->C / s->groups, og = s->OC / s->groups;
    for (size_t n = 0; n < s->B; n++)
        for (size_t oc = 0; oc < s->OC; oc++) {
            size_t g = oc / og;
            const float *d = dout + (n * s->OC + oc) * s->OH * s->OW;
            for (size_t oy = 0; oy < s->OH; oy++)
                for (size_t ox = 0; ox < s->OW; ox++) {
                    float go = d[oy * s->OW + ox];
                    if (db)
                        db[oc] += go;
                    for (size_t c = 0; c < cg; c++) {
                        size_t ioff = (n * s->C + g * cg + c) * s->H * s->W;
                        size_t woff = (oc * cg + c) * s->KH * s->KW;
                        for (size_t ky = 0; ky < s->KH; ky++) {
                            long iy = tap(oy, ky, s->stride, s->pad, s->H);
                            if (iy < 0)
                                continue;
                            for (size_t kx = 0; kx < s->KW; kx++) {
                                long ix = tap(ox, kx, s->stride, s->pad, s->W);
                                if (ix < 0)
                                    continue;
                                size_t ii = ioff + (size_t)(iy * (long)s->W + ix);
                                size_t wi = woff + ky * s->KW + kx;
                                if (dw)
                                    dw[wi] += inp[ii] * go;
                                if (dinp)
                                    dinp[ii] += w[wi] * go;
                            }
                        }
                    }
                }
        }
}

void mdl_fc_forward(float *out, const float *inp, const float *w, const float *b,
                    size_t B, size_t C, size_t OC)
{
    for (size_t n = 0; n < B; n++)
        for (size_t o = 0; o < OC; o++) {
            float acc = b ? b[o] : 0.0f;
            const float *x = inp + n * C, *wr = w + o * C;
            for (size_t c = 0; c < C; c++)
                acc += x[c] * wr[c];
            out[n * OC + o] = acc;
        }
}

void mdl_fc_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w, size_t B, size_t C, size_t OC)
{
    for (size_t n = 0; n < B; n++)
        for (size_t o = 0; o < OC; o++) {
            float go = dout[n * OC + o];
            if (db)
                db[o] += go;
            for (size_t c = 0; c < C; c++) {
                if (dw)
                    dw[o * C + c] += inp[n * C + c] * go;
                if (dinp)
                    dinp[n * C + c] += w[o * C + c] * go;
            }
        }
}

static size_t pool_out(size_t n, size_t k, size_t stride, size_t pad)
{
    return (n + 2 * pad - k) / stride + 1;
}

void mdl_maxpool_forward(float *out, int32_t *argmax, const float *inp, size_t B,
                         size_t C, size_t H, size_t W, size_t k, size_t stride,
                         size_t pad)
{
    size_t OH = pool_out(H, k, stride, pad), OW = pool_out(W, k, stride, pad);
    for (size_t nc = 0; nc < B * C; nc++)
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++) {
                float best = -FLT_MAX;
                int32_t bi = -1;
                for (size_t ky = 0; ky < k; ky++) {
                    long iy = tap(oy, ky, stride, pad, H);
                    if (iy < 0)
                        continue;
                    for (size_t kx = 0; kx < k; kx++) {
                        long ix = tap(ox, kx, stride, pad, W);
                        if (ix < 0)
                            continue;
                        size_t ii = nc * H * W + (size_t)(iy * (long)W + ix);
                        if (bi < 0 || inp[ii] > best) {
                            best = inp[ii];
                            bi = (int32_t)ii;
                        }
                    }
                }
                size_t oi = (nc * OH + oy) * OW + ox;
                out[oi] = bi < 0 ? 0.0f : best; /* a window all in padding: 0 */
                argmax[oi] = bi;
            }
}

void mdl_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                          size_t n_out)
{
    for (size_t i = 0; i < n_out; i++)
        if (argmax[i] >= 0)
            dinp[argmax[i]] += dout[i];
}

/* Visit the valid inputs of every output window: fn(out index, in index, 1/count). */
#define AVG_WINDOWS(BODY)                                                              \
    size_t OH = pool_out(H, k, stride, pad), OW = pool_out(W, k, stride, pad);         \
    for (size_t nc = 0; nc < B * C; nc++)                                              \
        for (size_t oy = 0; oy < OH; oy++)                                             \
            for (size_t ox = 0; ox < OW; ox++) {                                       \
                size_t oi = (nc * OH + oy) * OW + ox, cnt = 0;                          \
                for (int pass = 0; pass < 2; pass++)                                   \
                    for (size_t ky = 0; ky < k; ky++) {                                \
                        long iy = tap(oy, ky, stride, pad, H);                         \
                        if (iy < 0)                                                    \
                            continue;                                                  \
                        for (size_t kx = 0; kx < k; kx++) {                            \
                            long ix = tap(ox, kx, stride, pad, W);                     \
                            if (ix < 0)                                                \
                                continue;                                              \
                            size_t ii = nc * H * W + (size_t)(iy * (long)W + ix);      \
                            if (pass == 0) {                                           \
                                cnt++;                                                 \
                                continue;                                              \
                            }                                                          \
                            float inv = 1.0f / (float)cnt;                             \
                            BODY;                                                      \
                        }                                                              \
                    }                                                                  \
            }

void mdl_avgpool_forward(float *out, const float *inp, size_t B, size_t C, size_t H,
                         size_t W, size_t k, size_t stride, size_t pad)
{
    size_t n_out = B * C * pool_out(H, k, stride, pad) * pool_out(W, k, stride, pad);
    memset(out, 0, n_out * sizeof *out);
    AVG_WINDOWS(out[oi] += inp[ii] * inv)
}

void mdl_avgpool_backward(float *dinp, const float *dout, size_t B, size_t C, size_t H,
                          size_t W, size_t k, size_t stride, size_t pad)
{
    AVG_WINDOWS(dinp[ii] += dout[oi] * inv)
}

void mdl_relu_forward(float *out, const float *inp, size_t n, float cap)
{
    for (size_t i = 0; i < n; i++) {
        float v = inp[i] > 0.0f ? inp[i] : 0.0f;
        out[i] = cap > 0.0f && v > cap ? cap : v;
    }
}

void mdl_relu_backward(float *dinp, const float *dout, const float *inp, size_t n,
                       float cap)
{
    for (size_t i = 0; i < n; i++)
        if (inp[i] > 0.0f && (cap <= 0.0f || inp[i] < cap))
            dinp[i] += dout[i];
}

void mdl_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(inp[i]);
}

void mdl_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
}
