/*
 * pol_nn.h - the RL-specific part of the neural-network library of the
 * learning agents, over models/mdl_nn.h (which has the dense layers,
 * activations, initialisations and Adam they share with the model zoo's
 * trainer): softmax and categorical heads, the agents' losses, gradient
 * clipping, Polyak averaging and the multilayer perceptron.  llm.c style:
 * _forward/_backward pairs, shapes in comments, the caller owns every
 * buffer, nothing allocates in forward or backward.
 *
 * Layout: row-major, batch first.  A linear layer's weight is (OC, C), so
 * y = x W^T + b, as in PyTorch's nn.Linear (checkpoints and orthogonal
 * initialisation follow the same convention).
 *
 * Gradients ACCUMULATE (+=) into every d* output, as in llm.c: zero them
 * once per step, then every consumer adds its share.  Forward outputs are
 * overwritten.
 *
 * Matrix products go through CBLAS (OpenBLAS, mdl_fc_*_gemm).  Bit-for-bit
 * reproducibility needs a fixed OpenBLAS thread count: pol_ppo_init and
 * pol_sac_init set one thread, as mdl_graph_train.c does.
 */
#ifndef POL_NN_H
#define POL_NN_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "mdl_nn.h"
#include "off.h"

/* ---- softmax over rows --------------------------------------------------- */

// logits (B,K) -> probs (B,K), each row sums to 1 (max-subtracted)
void pol_softmax_forward(float *probs, const float *logits, size_t B, size_t K);
// logits (B,K) -> logp (B,K) = logits - logsumexp(row)
void pol_log_softmax_forward(float *logp, const float *logits, size_t B, size_t K);
// dlogp (B,K), logp (B,K) forward output -> dlogits (B,K) +=
//   dlogits_i += dlogp_i - softmax_i * sum_k dlogp_k
void pol_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp,
                              size_t B, size_t K);

// logits (K) -> an index drawn from softmax(logits), by inverse CDF on one
// gsl_rng_uniform draw (so one draw per sample, reproducible); a logit of
// -INFINITY masks its action out.  Returns 0 if every logit is -INFINITY.
size_t pol_categorical_sample(const float *logits, size_t K, gsl_rng *rng);
// logits (K) -> the index of the largest logit (first on ties): greedy action
size_t pol_argmax(const float *logits, size_t K);

/* ---- several independent categorical heads ------------------------------
 * A factorised action (exit, split, bits) is H categorical heads whose
 * logits sit side by side in one row: head h owns K[h] columns, the row has
 * sumK = K[0] + ... + K[H-1].  The joint log-probability and entropy of
 * independent heads are the sums over heads. */

// logits (B,sumK), act (B,H) -> lsm (B,sumK) log-softmax per head (kept for
// backward), logp (B) = sum_h log pi_h(act_h), ent (B) = sum_h entropy_h;
// logp or ent may be NULL
void pol_heads_forward(float *logp, float *ent, float *lsm, const float *logits,
                       const int32_t *act, size_t B, const size_t *K, size_t H);
// dlogp (B), dent (B) (either may be NULL) -> dlogits (B,sumK) +=
//   d logpi(a)/dz_i = [i = a] - p_i ;  d entropy/dz_i = -p_i (log p_i + entropy)
void pol_heads_backward(float *dlogits, const float *dlogp, const float *dent,
                        const float *lsm, const int32_t *act, size_t B, const size_t *K,
                        size_t H);
// logits (sumK) -> act (H): one sample per head, heads in order
void pol_heads_sample(int32_t *act, const float *logits, const size_t *K, size_t H,
                      gsl_rng *rng);

/* ---- losses: mean over n elements; backward scales by dloss ------------- */

// pred (n), target (n) -> (1/n) sum (pred - target)^2
double pol_mse_forward(const float *pred, const float *target, size_t n);
// -> dpred (n) += dloss * 2 (pred - target) / n
void pol_mse_backward(float *dpred, const float *pred, const float *target, size_t n,
                      float dloss);
// pred (n), target (n) -> (1/n) sum huber_delta(pred - target), where
// huber(d) = d^2/2 if |d| <= delta, else delta (|d| - delta/2)  (PyTorch's
// HuberLoss; equals SmoothL1 at delta = 1)
double pol_huber_forward(const float *pred, const float *target, size_t n, float delta);
// -> dpred (n) += dloss * clamp(pred - target, -delta, delta) / n
void pol_huber_backward(float *dpred, const float *pred, const float *target, size_t n,
                        float delta, float dloss);

/* ---- optimisation (Adam is mdl_adam, mdl_nn.h) ------------------------ */

/* Global gradient-norm clipping over nbuf buffers (like PyTorch's
 * clip_grad_norm_ over all of an optimiser's parameters): norm = sqrt of the
 * sum of squares of every element; if norm > max_norm every element is scaled
 * by max_norm / (norm + 1e-6).  Returns the norm before clipping. */
double pol_clip_grad_norm(float *const *grads, const size_t *ns, size_t nbuf,
                          double max_norm);

/* Soft target update target <- tau src + (1 - tau) target (Polyak); tau = 1
 * is a hard copy. */
void pol_polyak(float *target, const float *src, size_t n, float tau);

/* Orthogonal initialisation (mdl_init_orthogonal) with the Gaussian draws
 * taken from rng. */
off_status pol_orthogonal_init(float *w, size_t rows, size_t cols, double gain,
                               gsl_rng *rng, off_err *err);

/* ---- multilayer perceptron ----------------------------------------------
 * sizes[0] -> sizes[1] -> ... -> sizes[L]: L linear layers, the activation
 * after every layer but the last (the output is raw: logits or values).
 * Parameters live in one allocation (params), in order W0 (sizes[1],
 * sizes[0]), b0 (sizes[1]), W1, b1, ...; grads has the same layout.
 * Activations for up to max_B rows are kept for backward. */
#define POL_MLP_MAX_LAYERS 8

typedef enum pol_act { POL_ACT_TANH, POL_ACT_RELU } pol_act;

typedef struct pol_mlp {
    size_t L;                            /* linear layers */
    size_t sizes[POL_MLP_MAX_LAYERS + 1];
    pol_act act;
    size_t max_B;
    size_t n_params;
    float *params, *grads;               /* (n_params) each, one allocation */
    float *w[POL_MLP_MAX_LAYERS], *b[POL_MLP_MAX_LAYERS];   /* views in params */
    float *dw[POL_MLP_MAX_LAYERS], *db[POL_MLP_MAX_LAYERS]; /* views in grads */
    float *h[POL_MLP_MAX_LAYERS];        /* (max_B, sizes[l+1]) layer outputs */
    float *g0, *g1;                      /* (max_B, max width) backward scratch */
    float *acts;                         /* the allocation behind h, g0, g1 */
} pol_mlp;

// sizes (n_sizes >= 2, each > 0, n_sizes - 1 <= POL_MLP_MAX_LAYERS); params
// and grads zeroed
off_status pol_mlp_init(pol_mlp *m, const size_t *sizes, size_t n_sizes, pol_act act,
                        size_t max_B, off_err *err);
void pol_mlp_free(pol_mlp *m); /* NULL-safe, idempotent */
// orthogonal weights, layer l with gain gains[l] (CleanRL: sqrt(2) for hidden
// layers, 0.01 for a policy head, 1 for a value head), zero biases
off_status pol_mlp_init_orthogonal(pol_mlp *m, const double *gains, gsl_rng *rng,
                                   off_err *err);
void pol_mlp_zero_grad(pol_mlp *m);
// inp (B, sizes[0]), B <= max_B -> returns out (B, sizes[L]), owned by m and
// valid until the next forward
const float *pol_mlp_forward(pol_mlp *m, const float *inp, size_t B);
// dout (B, sizes[L]), inp the input of the last forward -> grads +=,
// dinp (B, sizes[0]) += unless NULL
void pol_mlp_backward(pol_mlp *m, float *dinp, const float *dout, const float *inp,
                      size_t B);

#endif /* POL_NN_H */
