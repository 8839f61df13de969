/*
 * mdl_nn_train.c - loss, batch-norm folding, optimisers (SGD, the one Adam)
 * and initialisation for training.  See mdl_nn.h.
 */
#include "mdl_nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double mdl_softmax_ce(float *dlogits, const float *logits, const uint8_t *labels,
                      size_t B, size_t K, float weight)
{
    double loss = 0.0;
    for (size_t n = 0; n < B; n++) {
        const float *x = logits + n * K;
        float *d = dlogits + n * K;
        double m = x[0];
        for (size_t k = 1; k < K; k++)
            m = x[k] > m ? x[k] : m;
        double z = 0.0;
        for (size_t k = 0; k < K; k++)
            z += exp((double)x[k] - m);
        loss += log(z) - ((double)x[labels[n]] - m);
        for (size_t k = 0; k < K; k++) {
            double p = exp((double)x[k] - m) / z;
            d[k] = (float)(weight * (p - (k == labels[n] ? 1.0 : 0.0)) / (double)B);
        }
    }
    return loss / (double)B;
}

void mdl_fold_batchnorm(float *w, float *b, const float *gamma, const float *beta,
                        const float *mean, const float *var, float eps, size_t OC,
                        size_t per)
{
    for (size_t o = 0; o < OC; o++) {
        float s = gamma[o] / sqrtf(var[o] + eps);
        for (size_t i = 0; i < per; i++)
            w[o * per + i] *= s;
        b[o] = beta[o] + (b[o] - mean[o]) * s;
    }
}

void mdl_sgd_update(float *p, const float *g, float *v, size_t n, float lr, float mu,
                    float wd)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = mu * v[i] + (g[i] + wd * p[i]);
        p[i] -= lr * v[i];
    }
}

void mdl_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float lr,
                      float b1, float b2, float eps, float wd, uint64_t t,
                      mdl_adam_arith arith)
{
    if (arith == MDL_ADAM_F32) {
        float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
        for (size_t i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            float mhat = m[i] / c1, vhat = v[i] / c2;
            p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * p[i]);
        }
        return;
    }
    double bc1 = 1.0 - pow(b1, (double)t), bc2 = 1.0 - pow(b2, (double)t);
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        double mh = m[i] / bc1, vh = v[i] / bc2;
        double step = lr * mh / (sqrt(vh) + eps);
        if (wd != 0.0f) /* not even + 0.0: that could flip the sign of a zero update */
            step += (double)lr * wd * p[i];
        p[i] -= (float)step;
    }
}

off_status mdl_adam_init(mdl_adam *a, size_t n, float lr, float beta1, float beta2,
                         float eps, off_err *err)
{
    memset(a, 0, sizeof *a);
    if (!(lr >= 0.0f) || !(beta1 >= 0.0f && beta1 < 1.0f) ||
        !(beta2 >= 0.0f && beta2 < 1.0f) || !(eps > 0.0f))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "adam: need lr >= 0, 0 <= beta1, beta2 < 1, eps > 0");
    a->m = calloc(n ? 2 * n : 1, sizeof *a->m);
    if (!a->m)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "adam: out of memory");
    a->v = a->m + n;
    a->n = n;
    a->lr = lr;
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = eps;
    return OFF_OK;
}

void mdl_adam_free(mdl_adam *a)
{
    if (!a)
        return;
    free(a->m);
    a->m = a->v = NULL;
    a->n = 0;
}

void mdl_adam_step(mdl_adam *a, float *params, const float *grads)
{
    a->t++;
    mdl_adamw_update(params, grads, a->m, a->v, a->n, a->lr, a->beta1, a->beta2, a->eps,
                     a->wd, a->t, MDL_ADAM_F64);
}

uint64_t mdl_rng_next(mdl_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double mdl_rng_uniform(mdl_rng *r)
{
    return (double)(mdl_rng_next(r) >> 11) * 0x1.0p-53;
}

double mdl_rng_normal(mdl_rng *r)
{
    double u1 = mdl_rng_uniform(r), u2 = mdl_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void mdl_init_kaiming(float *w, size_t n, size_t fan_in, mdl_rng *r)
{
    double sd = sqrt(2.0 / (double)(fan_in ? fan_in : 1));
    for (size_t i = 0; i < n; i++)
        w[i] = (float)(sd * mdl_rng_normal(r));
}
