/*
 * mdl_nn.h - float32 layers for training the model zoo in C, llm.c style:
 * _forward/_backward pairs, shapes in comments, no allocation (the caller
 * owns every buffer).
 *
 * Layout: NCHW, batch first: a feature map is (B, C, H, W) row-major;
 * conv weights (OC, C/groups, KH, KW); fully connected weights (OC, C).
 * Flatten is a no-op: a contiguous (B, C, H, W) buffer is the (B, C*H*W)
 * input of a fully connected layer as it stands.
 *
 * Gradients ACCUMULATE (+=) into dinp, dw, db, like llm.c: zero them once
 * per step, then every consumer adds its share.  Forward outputs are
 * overwritten.  The one exception is softmax_ce, which writes dlogits.
 */
#ifndef MDL_NN_H
#define MDL_NN_H

#include <stddef.h>
#include <stdint.h>

typedef struct mdl_conv_shape {
    size_t B, C, H, W;      /* input */
    size_t OC, KH, KW;      /* output channels, kernel */
    size_t stride, pad, groups;
    size_t OH, OW;          /* filled by mdl_conv_shape_init */
} mdl_conv_shape;

/* Fill OH, OW; returns 0 if the shape is invalid (C or OC not divisible by
 * groups, kernel larger than the padded input, zero sizes). */
int mdl_conv_shape_init(mdl_conv_shape *s);

// inp (B,C,H,W), w (OC,C/g,KH,KW), b (OC) or NULL -> out (B,OC,OH,OW)
void mdl_conv2d_forward(float *out, const float *inp, const float *w, const float *b,
                        const mdl_conv_shape *s);
// dout (B,OC,OH,OW) -> dinp (B,C,H,W) +=, dw (OC,C/g,KH,KW) +=, db (OC) += ;
// any of dinp, dw, db may be NULL (not needed)
void mdl_conv2d_backward(float *dinp, float *dw, float *db, const float *dout,
                         const float *inp, const float *w, const mdl_conv_shape *s);

/* The same through im2col and SGEMM (mdl_nn_gemm.c), results equal to the
 * loops above up to float rounding; col is scratch of mdl_conv2d_col_size
 * floats. */
size_t mdl_conv2d_col_size(const mdl_conv_shape *s);
void mdl_conv2d_forward_gemm(float *out, const float *inp, const float *w, const float *b,
                             const mdl_conv_shape *s, float *col);
void mdl_conv2d_backward_gemm(float *dinp, float *dw, float *db, const float *dout,
                              const float *inp, const float *w, const mdl_conv_shape *s,
                              float *col);

// inp (B,C), w (OC,C), b (OC) or NULL -> out (B,OC)
void mdl_fc_forward(float *out, const float *inp, const float *w, const float *b,
                    size_t B, size_t C, size_t OC);
// dout (B,OC) -> dinp (B,C) +=, dw (OC,C) +=, db (OC) += (each may be NULL)
void mdl_fc_backward(float *dinp, float *dw, float *db, const float *dout,
                     const float *inp, const float *w, size_t B, size_t C, size_t OC);

// inp (B,C,H,W) -> out (B,C,OH,OW), argmax (B,C,OH,OW) flat input indices;
// padding never wins (windows must hold at least one input element)
void mdl_maxpool_forward(float *out, int32_t *argmax, const float *inp, size_t B,
                         size_t C, size_t H, size_t W, size_t k, size_t stride,
                         size_t pad);
// dout (B,C,OH,OW) -> dinp (B,C,H,W) +=
void mdl_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                          size_t n_out);

// average over the window's valid (non-padding) elements
void mdl_avgpool_forward(float *out, const float *inp, size_t B, size_t C, size_t H,
                         size_t W, size_t k, size_t stride, size_t pad);
void mdl_avgpool_backward(float *dinp, const float *dout, size_t B, size_t C, size_t H,
                          size_t W, size_t k, size_t stride, size_t pad);

// elementwise: out = max(0, inp) (cap = 0) or min(max(0, inp), cap) (ReLU6: 6)
void mdl_relu_forward(float *out, const float *inp, size_t n, float cap);
void mdl_relu_backward(float *dinp, const float *dout, const float *inp, size_t n,
                       float cap);

// logits (B,K), labels (B) -> mean cross-entropy of softmax(logits), and
// dlogits (B,K) = weight * (softmax - onehot) / B (written, not added).
// Returns the (unweighted) mean loss.
double mdl_softmax_ce(float *dlogits, const float *logits, const uint8_t *labels,
                      size_t B, size_t K, float weight);

// Fold batch norm (gamma, beta, running mean, var, eps) into the preceding
// layer: w (OC, per) *= gamma/sqrt(var+eps); b = beta + (b - mean)*gamma/sqrt(var+eps)
void mdl_fold_batchnorm(float *w, float *b, const float *gamma, const float *beta,
                        const float *mean, const float *var, float eps, size_t OC,
                        size_t per);

/* SGD with momentum (PyTorch's form): v = mu v + (g + wd p); p -= lr v. */
void mdl_sgd_update(float *p, const float *g, float *v, size_t n, float lr, float mu,
                    float wd);
/* AdamW (Loshchilov & Hutter 2019; Kingma & Ba 2015 with bias correction):
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; mhat = m/(1-b1^t),
 * vhat = v/(1-b2^t); p -= lr (mhat/(sqrt(vhat)+eps) + wd p).  t from 1. */
void mdl_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float lr,
                      float b1, float b2, float eps, float wd, int t);

/* A small seeded generator for initialisation and shuffling (splitmix64):
 * deterministic for a seed, independent of libc. */
typedef struct mdl_rng {
    uint64_t s;
} mdl_rng;
uint64_t mdl_rng_next(mdl_rng *r);
double mdl_rng_uniform(mdl_rng *r);  /* [0, 1) */
double mdl_rng_normal(mdl_rng *r);   /* N(0, 1), Box-Muller */

/* Kaiming/He normal: N(0, 2/fan_in). */
void mdl_init_kaiming(float *w, size_t n, size_t fan_in, mdl_rng *r);
/* Kaiming/He uniform: U(-sqrt(6/fan_in), sqrt(6/fan_in)), same variance. */
void mdl_init_kaiming_uniform(float *w, size_t n, size_t fan_in, mdl_rng *r);

// Multi-exit loss (BranchyNet): E exits, logits[e] (B,K), weights (E),
// labels (B) -> returns sum_e weights[e] * CE_e (CE_e = mean over the batch);
// dlogits[e] (B,K) = weights[e] * (softmax - onehot) / B (written, not added,
// like mdl_softmax_ce); per_exit (E) gets the unweighted CE_e, or NULL.
double mdl_multiexit_ce(float *const *dlogits, const float *const *logits,
                        const float *weights, size_t E, const uint8_t *labels, size_t B,
                        size_t K, double *per_exit);

#endif /* MDL_NN_H */
