/*
 * mdl_nn.h - the float32 neural-network library of offsim, llm.c style:
 * _forward/_backward pairs, shapes in comments, no allocation in forward or
 * backward (the caller owns every buffer).  The model zoo's trainer
 * (mdl_graph_train.c) and the learning agents (policies/rl/pol_nn.h, which
 * adds the RL-specific parts: MLPs, categorical heads, losses) both use it.
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

#include "off.h"

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
/* The same through SGEMM (mdl_nn_gemm.c; out = inp w^T + b, as PyTorch's
 * nn.Linear); the loops above are its oracle in the tests.  B, C, OC must
 * each fit in an int (CBLAS takes int sizes).  Bit-for-bit reproducibility
 * needs a fixed OpenBLAS thread count (mdl_blas_single_thread, mdl_graph.h). */
void mdl_fc_forward_gemm(float *out, const float *inp, const float *w, const float *b,
                         size_t B, size_t C, size_t OC);
void mdl_fc_backward_gemm(float *dinp, float *dw, float *db, const float *dout,
                          const float *inp, const float *w, size_t B, size_t C,
                          size_t OC);

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

// elementwise: out = max(0, inp) (cap = 0) or min(max(0, inp), cap) (ReLU6: 6);
// out may alias inp
void mdl_relu_forward(float *out, const float *inp, size_t n, float cap);
// dinp (n) += dout where 0 < inp < cap; inp may also be the forward OUTPUT
// (it is on the same side of 0 and of cap), so an in-place forward is fine
void mdl_relu_backward(float *dinp, const float *dout, const float *inp, size_t n,
                       float cap);

// inp (n) -> out (n) = tanh(inp); out may alias inp
void mdl_tanh_forward(float *out, const float *inp, size_t n);
// dout (n), out (n) the forward OUTPUT -> dinp (n) += dout (1 - out^2)
void mdl_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);

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
/* Adam (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1) with decoupled
 * weight decay (AdamW, Loshchilov & Hutter 2019), the one Adam of offsim:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2            (float32)
 *   mh = m / (1 - b1^t);  vh = v / (1 - b2^t)
 *   p -= lr mh / (sqrt(vh) + eps) + lr wd p
 * t counts from 1.  eps sits outside the square root, as in PyTorch's
 * torch.optim.Adam/AdamW (CleanRL's PPO uses eps = 1e-5, the paper 1e-8).
 * arith says where the bias corrections and the update are computed:
 * MDL_ADAM_F64 in double, so that the step does not lose the small
 * corrections of late steps to float rounding (the learning agents);
 * MDL_ADAM_F32 all in float32, the arithmetic the zoo's shipped weights were
 * trained with, kept so that `offsim models train` reproduces them bit for
 * bit.  The moments are float32 in both. */
typedef enum mdl_adam_arith { MDL_ADAM_F64, MDL_ADAM_F32 } mdl_adam_arith;
void mdl_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float lr,
                      float b1, float b2, float eps, float wd, uint64_t t,
                      mdl_adam_arith arith);

/* The same with its state in one place: hyperparameters, the step count and
 * the moments (one allocation at m).  lr may change between steps
 * (annealing); wd is 0 after init (plain Adam). */
typedef struct mdl_adam {
    float lr, beta1, beta2, eps, wd;
    uint64_t t;   /* steps taken */
    size_t n;     /* parameters */
    float *m, *v; /* (n) each, one allocation at m */
} mdl_adam;

off_status mdl_adam_init(mdl_adam *a, size_t n, float lr, float beta1, float beta2,
                         float eps, off_err *err);
void mdl_adam_free(mdl_adam *a); /* NULL-safe, idempotent */
// t += 1; params (n) -= update(grads (n)); grads untouched
void mdl_adam_step(mdl_adam *a, float *params, const float *grads);

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

/* Orthogonal initialisation (Saxe et al. 2014), as torch.nn.init.orthogonal_:
 * fill a Gaussian matrix from normal(ud) (rows*cols draws, in order) and
 * orthonormalise it.  For w (rows, cols) with rows <= cols the rows come out
 * orthonormal (w w^T = gain^2 I), otherwise the columns (w^T w = gain^2 I).
 * Modified Gram-Schmidt, applied twice ("twice is enough", Giraud et al.
 * 2005) in double precision on the tall orientation; that equals a QR
 * decomposition with diag(R) > 0, which is what PyTorch gets after its sign
 * fix.  The draws come from the caller so that any generator fits.
 * Allocates scratch (rows*cols doubles); not for inner loops. */
off_status mdl_init_orthogonal(float *w, size_t rows, size_t cols, double gain,
                               double (*normal)(void *ud), void *ud, off_err *err);

// Multi-exit loss (BranchyNet): E exits, logits[e] (B,K), weights (E),
// labels (B) -> returns sum_e weights[e] * CE_e (CE_e = mean over the batch);
// dlogits[e] (B,K) = weights[e] * (softmax - onehot) / B (written, not added,
// like mdl_softmax_ce); per_exit (E) gets the unweighted CE_e, or NULL.
double mdl_multiexit_ce(float *const *dlogits, const float *const *logits,
                        const float *weights, size_t E, const uint8_t *labels, size_t B,
                        size_t K, double *per_exit);

#endif /* MDL_NN_H */
