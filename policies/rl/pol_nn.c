/*
 * pol_nn.c - the RL-specific layer of the agents' neural networks over
 * models/mdl_nn.h; see pol_nn.h for layouts and contracts.
 *
 * <gsl/gsl_randist.h> pulls in GSL's own CBLAS header, whose declarations
 * clash with OpenBLAS's <cblas.h>: this file must not include the latter
 * (the matrix products are in mdl_nn_gemm.c).
 */
#include "pol_nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* ---- softmax ------------------------------------------------------------- */

/* log sum_k exp(z_k) of one row, stable; -INFINITY if every z_k is. */
static double logsumexp(const float *z, size_t K)
{
    float mx = -INFINITY;
    for (size_t k = 0; k < K; k++)
        if (z[k] > mx)
            mx = z[k];
    if (mx == -INFINITY)
        return -INFINITY;
    double s = 0.0;
    for (size_t k = 0; k < K; k++)
        s += exp((double)z[k] - mx);
    return mx + log(s);
}

void pol_softmax_forward(float *probs, const float *logits, size_t B, size_t K)
{
    for (size_t i = 0; i < B; i++) {
        double lse = logsumexp(logits + i * K, K);
        for (size_t k = 0; k < K; k++)
            probs[i * K + k] = (float)exp((double)logits[i * K + k] - lse);
    }
}

void pol_log_softmax_forward(float *logp, const float *logits, size_t B, size_t K)
{
    for (size_t i = 0; i < B; i++) {
        double lse = logsumexp(logits + i * K, K);
        for (size_t k = 0; k < K; k++)
            logp[i * K + k] = (float)((double)logits[i * K + k] - lse);
    }
}

void pol_log_softmax_backward(float *dlogits, const float *dlogp, const float *logp,
                              size_t B, size_t K)
{
    for (size_t i = 0; i < B; i++) {
        const float *dl = dlogp + i * K, *lp = logp + i * K;
        double s = 0.0;
        for (size_t k = 0; k < K; k++)
            s += dl[k];
        for (size_t k = 0; k < K; k++)
            dlogits[i * K + k] += (float)(dl[k] - exp(lp[k]) * s);
    }
}

size_t pol_categorical_sample(const float *logits, size_t K, gsl_rng *rng)
{
    double lse = logsumexp(logits, K);
    double u = gsl_rng_uniform(rng); /* [0, 1) */
    if (lse == -INFINITY)
        return 0;
    double c = 0.0;
    size_t last = 0;
    for (size_t k = 0; k < K; k++) {
        double p = exp((double)logits[k] - lse);
        if (p > 0.0) {
            c += p;
            last = k;
            if (u < c)
                return k;
        }
    }
    return last; /* u within rounding of 1: the last action with p > 0 */
}

size_t pol_argmax(const float *logits, size_t K)
{
    size_t best = 0;
    for (size_t k = 1; k < K; k++)
        if (logits[k] > logits[best])
            best = k;
    return best;
}

/* ---- categorical heads --------------------------------------------------- */

static size_t sum_k(const size_t *K, size_t H)
{
    size_t s = 0;
    for (size_t h = 0; h < H; h++)
        s += K[h];
    return s;
}

/* Entropy -sum p log p of one head from its log-softmax (0 log 0 = 0). */
static double head_entropy(const float *lp, size_t K)
{
    double e = 0.0;
    for (size_t k = 0; k < K; k++)
        if (lp[k] > -INFINITY)
            e -= exp(lp[k]) * lp[k];
    return e;
}

void pol_heads_forward(float *logp, float *ent, float *lsm, const float *logits,
                       const int32_t *act, size_t B, const size_t *K, size_t H)
{
    size_t S = sum_k(K, H);
    for (size_t i = 0; i < B; i++) {
        double lp = 0.0, e = 0.0;
        size_t off = 0;
        for (size_t h = 0; h < H; h++) {
            float *l = lsm + i * S + off;
            pol_log_softmax_forward(l, logits + i * S + off, 1, K[h]);
            if (act)
                lp += l[act[i * H + h]];
            e += head_entropy(l, K[h]);
            off += K[h];
        }
        if (logp)
            logp[i] = (float)lp;
        if (ent)
            ent[i] = (float)e;
    }
}

void pol_heads_backward(float *dlogits, const float *dlogp, const float *dent,
                        const float *lsm, const int32_t *act, size_t B, const size_t *K,
                        size_t H)
{
    size_t S = sum_k(K, H);
    for (size_t i = 0; i < B; i++) {
        size_t off = 0;
        for (size_t h = 0; h < H; h++) {
            const float *l = lsm + i * S + off;
            float *d = dlogits + i * S + off;
            double gl = dlogp ? dlogp[i] : 0.0, ge = dent ? dent[i] : 0.0;
            double e = ge != 0.0 ? head_entropy(l, K[h]) : 0.0;
            for (size_t k = 0; k < K[h]; k++) {
                double p = exp(l[k]);
                double g = -gl * p;
                if (act && (size_t)act[i * H + h] == k)
                    g += gl;
                if (ge != 0.0 && p > 0.0)
                    g -= ge * p * (l[k] + e);
                d[k] += (float)g;
            }
            off += K[h];
        }
    }
}

void pol_heads_sample(int32_t *act, const float *logits, const size_t *K, size_t H,
                      gsl_rng *rng)
{
    size_t off = 0;
    for (size_t h = 0; h < H; h++) {
        act[h] = (int32_t)pol_categorical_sample(logits + off, K[h], rng);
        off += K[h];
    }
}

/* ---- losses -------------------------------------------------------------- */

double pol_mse_forward(const float *pred, const float *target, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        s += d * d;
    }
    return n ? s / (double)n : 0.0;
}

void pol_mse_backward(float *dpred, const float *pred, const float *target, size_t n,
                      float dloss)
{
    for (size_t i = 0; i < n; i++)
        dpred[i] += (float)(dloss * 2.0 * ((double)pred[i] - target[i]) / (double)n);
}

double pol_huber_forward(const float *pred, const float *target, size_t n, float delta)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)pred[i] - target[i]);
        s += d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    }
    return n ? s / (double)n : 0.0;
}

void pol_huber_backward(float *dpred, const float *pred, const float *target, size_t n,
                        float delta, float dloss)
{
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        if (d > delta)
            d = delta;
        else if (d < -delta)
            d = -delta;
        dpred[i] += (float)(dloss * d / (double)n);
    }
}

/* ---- optimisation -------------------------------------------------------- */

static double gaussian(void *rng)
{
    return gsl_ran_gaussian(rng, 1.0);
}

double pol_clip_grad_norm(float *const *grads, const size_t *ns, size_t nbuf,
                          double max_norm)
{
    double ss = 0.0;
    for (size_t b = 0; b < nbuf; b++)
        for (size_t i = 0; i < ns[b]; i++)
            ss += (double)grads[b][i] * grads[b][i];
    double norm = sqrt(ss);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0)
        for (size_t b = 0; b < nbuf; b++)
            for (size_t i = 0; i < ns[b]; i++)
                grads[b][i] = (float)(grads[b][i] * coef);
    return norm;
}

void pol_polyak(float *target, const float *src, size_t n, float tau)
{
    for (size_t i = 0; i < n; i++)
        target[i] = tau * src[i] + (1.0f - tau) * target[i];
}

off_status pol_orthogonal_init(float *w, size_t rows, size_t cols, double gain,
                               gsl_rng *rng, off_err *err)
{
    return mdl_init_orthogonal(w, rows, cols, gain, gaussian, rng, err);
}

/* ---- MLP ----------------------------------------------------------------- */

off_status pol_mlp_init(pol_mlp *m, const size_t *sizes, size_t n_sizes, pol_act act,
                        size_t max_B, off_err *err)
{
    memset(m, 0, sizeof *m);
    if (n_sizes < 2 || n_sizes - 1 > POL_MLP_MAX_LAYERS || max_B == 0)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "mlp: need 1 to %d layers and max_B > 0", POL_MLP_MAX_LAYERS);
    size_t np = 0, na = 0, wmax = 0;
    for (size_t l = 0; l < n_sizes; l++) {
        if (sizes[l] == 0 || sizes[l] > (size_t)1 << 24)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "mlp: layer width %zu out of range", sizes[l]);
        m->sizes[l] = sizes[l];
        if (sizes[l] > wmax)
            wmax = sizes[l];
        if (l > 0) {
            np += sizes[l] * sizes[l - 1] + sizes[l];
            na += max_B * sizes[l];
        }
    }
    m->L = n_sizes - 1;
    m->act = act;
    m->max_B = max_B;
    m->n_params = np;
    m->params = calloc(2 * np, sizeof *m->params);
    m->acts = calloc(na + 2 * max_B * wmax, sizeof *m->acts);
    if (!m->params || !m->acts) {
        pol_mlp_free(m);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "mlp: out of memory");
    }
    m->grads = m->params + np;
    float *p = m->params, *g = m->grads, *a = m->acts;
    for (size_t l = 0; l < m->L; l++) {
        size_t C = sizes[l], OC = sizes[l + 1];
        m->w[l] = p;
        m->dw[l] = g;
        p += OC * C;
        g += OC * C;
        m->b[l] = p;
        m->db[l] = g;
        p += OC;
        g += OC;
        m->h[l] = a;
        a += max_B * OC;
    }
    m->g0 = a;
    m->g1 = a + max_B * wmax;
    return OFF_OK;
}

void pol_mlp_free(pol_mlp *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->acts);
    memset(m, 0, sizeof *m);
}

off_status pol_mlp_init_orthogonal(pol_mlp *m, const double *gains, gsl_rng *rng,
                                   off_err *err)
{
    for (size_t l = 0; l < m->L; l++) {
        off_status st = pol_orthogonal_init(m->w[l], m->sizes[l + 1], m->sizes[l],
                                            gains[l], rng, err);
        if (st != OFF_OK)
            return st;
        memset(m->b[l], 0, m->sizes[l + 1] * sizeof *m->b[l]);
    }
    return OFF_OK;
}

void pol_mlp_zero_grad(pol_mlp *m)
{
    memset(m->grads, 0, m->n_params * sizeof *m->grads);
}

const float *pol_mlp_forward(pol_mlp *m, const float *inp, size_t B)
{
    const float *x = inp;
    for (size_t l = 0; l < m->L; l++) {
        size_t C = m->sizes[l], OC = m->sizes[l + 1];
        mdl_fc_forward_gemm(m->h[l], x, m->w[l], m->b[l], B, C, OC);
        if (l + 1 < m->L) {
            if (m->act == POL_ACT_TANH)
                mdl_tanh_forward(m->h[l], m->h[l], B * OC);
            else
                mdl_relu_forward(m->h[l], m->h[l], B * OC, 0.0f);
        }
        x = m->h[l];
    }
    return x;
}

void pol_mlp_backward(pol_mlp *m, float *dinp, const float *dout, const float *inp,
                      size_t B)
{
    /* d: gradient w.r.t. the output of layer l (after its activation); it is
     * dout for the last layer, then always g1.  g0 receives the gradient
     * w.r.t. the pre-activation; g1 is reused for the layer's input once
     * the activation backward has consumed it. */
    const float *d = dout;
    for (size_t l = m->L; l-- > 0;) {
        size_t C = m->sizes[l], OC = m->sizes[l + 1];
        const float *dz = d;
        if (l + 1 < m->L) {
            memset(m->g0, 0, B * OC * sizeof *m->g0);
            if (m->act == POL_ACT_TANH)
                mdl_tanh_backward(m->g0, d, m->h[l], B * OC);
            else /* h holds the output: same mask as the input */
                mdl_relu_backward(m->g0, d, m->h[l], B * OC, 0.0f);
            dz = m->g0;
        }
        const float *x = l ? m->h[l - 1] : inp;
        float *dx = dinp; /* layer 0: the caller's buffer, may be NULL */
        if (l > 0) {
            dx = m->g1;
            memset(dx, 0, B * C * sizeof *dx);
        }
        mdl_fc_backward_gemm(dx, m->dw[l], m->db[l], dz, x, m->w[l], B, C, OC);
        d = m->g1;
    }
}
