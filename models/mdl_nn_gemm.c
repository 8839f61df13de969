/*
 * mdl_nn_gemm.c - the fast float32 fully connected layer and convolution for
 * training, through SGEMM (OpenBLAS's cblas_sgemm), checked against the
 * naive loops of mdl_nn_layers.c in tests.
 *
 * Fully connected: out (B,OC) = inp (B,C) w^T + b, one SGEMM each way.
 *
 * Convolution: im2col and one SGEMM per image and group:
 *
 *   forward:  out[oc, p]  = W[oc, k] col[k, p] + b[oc]
 *   backward: dW[oc, k]  += dout[oc, p] col[k, p]^T
 *             dcol[k, p]  = W[oc, k]^T dout[oc, p], then col2im adds into dinp
 * with k over (c, ky, kx) of one group and p over output pixels.
 */
#include "mdl_nn.h"

#include <cblas.h>
#include <string.h>

void mdl_fc_forward_gemm(float *out, const float *inp, const float *w, const float *b,
                         size_t B, size_t C, size_t OC)
{
    if (B == 0 || OC == 0)
        return;
    if (b)
        for (size_t i = 0; i < B; i++)
            memcpy(out + i * OC, b, OC * sizeof *out);
    if (C == 0) {
        if (!b)
            memset(out, 0, B * OC * sizeof *out);
        return;
    }
    // out (B,OC) = inp (B,C) . w^T (C,OC) + out
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)OC, (int)C, 1.0f,
                inp, (int)C, w, (int)C, b ? 1.0f : 0.0f, out, (int)OC);
}

void mdl_fc_backward_gemm(float *dinp, float *dw, float *db, const float *dout,
                          const float *inp, const float *w, size_t B, size_t C, size_t OC)
{
    if (B == 0 || OC == 0)
        return;
    if (db)
        for (size_t i = 0; i < B; i++)
            for (size_t o = 0; o < OC; o++)
                db[o] += dout[i * OC + o];
    if (C == 0)
        return;
    // dinp (B,C) += dout (B,OC) . w (OC,C)
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)C, (int)OC,
                    1.0f, dout, (int)OC, w, (int)C, 1.0f, dinp, (int)C);
    // dw (OC,C) += dout^T (OC,B) . inp (B,C)
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)OC, (int)C, (int)B,
                    1.0f, dout, (int)OC, inp, (int)C, 1.0f, dw, (int)C);
}

size_t mdl_conv2d_col_size(const mdl_conv_shape *s)
{
    return (s->C / s->groups) * s->KH * s->KW * s->OH * s->OW;
}

/* col[(c, ky, kx), (oy, ox)] for channels [c0, c0 + cg) of image img. */
static void im2col(float *col, const float *img, size_t c0, size_t cg,
                   const mdl_conv_shape *s)
{
    size_t P = s->OH * s->OW;
    for (size_t c = 0; c < cg; c++)
        for (size_t ky = 0; ky < s->KH; ky++)
            for (size_t kx = 0; kx < s->KW; kx++) {
                float *row = col + ((c * s->KH + ky) * s->KW + kx) * P;
                const float *ip = img + (c0 + c) * s->H * s->W;
                for (size_t oy = 0; oy < s->OH; oy++) {
                    long iy = (long)(oy * s->stride + ky) - (long)s->pad;
                    for (size_t ox = 0; ox < s->OW; ox++) {
                        long ix = (long)(ox * s->stride + kx) - (long)s->pad;
                        row[oy * s->OW + ox] =
                            iy >= 0 && iy < (long)s->H && ix >= 0 && ix < (long)s->W
                                ? ip[iy * (long)s->W + ix]
                                : 0.0f;
                    }
                }
            }
}

static void col2im_add(float *img, const float *col, size_t c0, size_t cg,
                       const mdl_conv_shape *s)
{
    size_t P = s->OH * s->OW;
    for (size_t c = 0; c < cg; c++)
        for (size_t ky = 0; ky < s->KH; ky++)
            for (size_t kx = 0; kx < s->KW; kx++) {
                const float *row = col + ((c * s->KH + ky) * s->KW + kx) * P;
                float *ip = img + (c0 + c) * s->H * s->W;
                for (size_t oy = 0; oy < s->OH; oy++) {
                    long iy = (long)(oy * s->stride + ky) - (long)s->pad;
                    if (iy < 0 || iy >= (long)s->H)
                        continue;
                    for (size_t ox = 0; ox < s->OW; ox++) {
                        long ix = (long)(ox * s->stride + kx) - (long)s->pad;
                        if (ix >= 0 && ix < (long)s->W)
                            ip[iy * (long)s->W + ix] += row[oy * s->OW + ox];
                    }
                }
            }
}

void mdl_conv2d_forward_gemm(float *out, const float *inp, const float *w, const float *b,
                             const mdl_conv_shape *s, float *col)
{
    size_t cg = s->C / s->groups, og = s->OC / s->groups, K = cg * s->KH * s->KW,
           P = s->OH * s->OW;
    for (size_t n = 0; n < s->B; n++)
        for (size_t g = 0; g < s->groups; g++) {
            im2col(col, inp + n * s->C * s->H * s->W, g * cg, cg, s);
            float *o = out + (n * s->OC + g * og) * P;
            for (size_t oc = 0; oc < og; oc++) {
                float bv = b ? b[g * og + oc] : 0.0f;
                for (size_t p = 0; p < P; p++)
                    o[oc * P + p] = bv;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)og, (int)P, (int)K,
                        1.0f, w + g * og * K, (int)K, col, (int)P, 1.0f, o, (int)P);
        }
}

void mdl_conv2d_backward_gemm(float *dinp, float *dw, float *db, const float *dout,
                              const float *inp, const float *w, const mdl_conv_shape *s,
                              float *col)
{
    size_t cg = s->C / s->groups, og = s->OC / s->groups, K = cg * s->KH * s->KW,
           P = s->OH * s->OW;
    for (size_t n = 0; n < s->B; n++)
        for (size_t g = 0; g < s->groups; g++) {
            const float *d = dout + (n * s->OC + g * og) * P;
            if (db)
                for (size_t oc = 0; oc < og; oc++)
                    for (size_t p = 0; p < P; p++)
                        db[g * og + oc] += d[oc * P + p];
            if (dw) {
                im2col(col, inp + n * s->C * s->H * s->W, g * cg, cg, s);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)og, (int)K, (int)P,
                            1.0f, d, (int)P, col, (int)P, 1.0f, dw + g * og * K, (int)K);
            }
            if (dinp) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, (int)og,
                            1.0f, w + g * og * K, (int)K, d, (int)P, 0.0f, col, (int)P);
                col2im_add(dinp + n * s->C * s->H * s->W, col, g * cg, cg, s);
            }
        }
}
