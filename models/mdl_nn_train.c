/*
 * mdl_nn_train.c - loss, batch-norm folding, optimisers and initialisation
 * for training.  See mdl_nn.h.
 */
#include "mdl_nn.h"

#include <math.h>

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
                      float b1, float b2, float eps, float wd, int t)
{
    float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        float mhat = m[i] / c1, vhat = v[i] / c2;
        p[i] -= lr * (mhat / (sqrtf(vhat) + eps) + wd * p[i]);
    }
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
