/*
 * mdl_mexit.c - the multi-exit CNN of mdl_mexit.h: forward, backward,
 * joint training with AdamW, evaluation, weights I/O.
 */
#include "mdl_mexit.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_weights.h"

/* parameter tensors: name, count, fan-in (0 = bias, initialised to 0) */
static const struct {
    const char *name;
    size_t n, fan_in;
    uint32_t dims[4];
    uint32_t ndim;
} P[] = {
    {"conv1.w", 16 * 25, 25, {16, 1, 5, 5}, 4},        {"conv1.b", 16, 0, {16}, 1},
    {"early.w", 10 * 3136, 3136, {10, 3136}, 2},       {"early.b", 10, 0, {10}, 1},
    {"conv2.w", 32 * 16 * 25, 400, {32, 16, 5, 5}, 4}, {"conv2.b", 32, 0, {32}, 1},
    {"fc1.w", 128 * 1568, 1568, {128, 1568}, 2},       {"fc1.b", 128, 0, {128}, 1},
    {"fc2.w", 10 * 128, 128, {10, 128}, 2},            {"fc2.b", 10, 0, {10}, 1},
};
#define NP (sizeof P / sizeof P[0])
enum { C1W, C1B, EW, EB, C2W, C2B, F1W, F1B, F2W, F2B };

/* activations of one batch (and, with the same layout, their gradients) */
enum { X, C1, R1, A1, L1, C2, R2, A2, H1, HR, L2, NA };

struct mdl_mexit {
    size_t max_batch, n_params;
    float *params, *grads, *m, *v;  /* one allocation each */
    float *p[NP], *g[NP];
    float *act[NA], *dact[NA];
    int32_t *am1, *am2;              /* max-pool argmax */
    float *col;                      /* im2col scratch */
    mdl_conv_shape s1, s2;
    int step;
};

static size_t act_size(size_t B, int k)
{
    static const size_t per[NA] = {784, 16 * 784, 16 * 784, 16 * 196, 10,
                                   32 * 196, 32 * 196, 32 * 49, 128, 128, 10};
    return B * per[k];
}

mdl_mexit *mdl_mexit_new(size_t max_batch, uint64_t seed)
{
    mdl_mexit *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->max_batch = max_batch;
    for (size_t i = 0; i < NP; i++)
        net->n_params += P[i].n;
    net->params = calloc(net->n_params, sizeof(float));
    net->grads = calloc(net->n_params, sizeof(float));
    net->m = calloc(net->n_params, sizeof(float));
    net->v = calloc(net->n_params, sizeof(float));
    bool ok = net->params && net->grads && net->m && net->v;
    for (int k = 0; k < NA && ok; k++) {
        net->act[k] = calloc(act_size(max_batch, k), sizeof(float));
        net->dact[k] = calloc(act_size(max_batch, k), sizeof(float));
        ok = net->act[k] && net->dact[k];
    }
    net->am1 = ok ? malloc(act_size(max_batch, A1) * sizeof(int32_t)) : NULL;
    net->am2 = ok ? malloc(act_size(max_batch, A2) * sizeof(int32_t)) : NULL;
    net->s1 = (mdl_conv_shape){max_batch, 1, 28, 28, 16, 5, 5, 1, 2, 1, 0, 0};
    net->s2 = (mdl_conv_shape){max_batch, 16, 14, 14, 32, 5, 5, 1, 2, 1, 0, 0};
    mdl_conv_shape_init(&net->s1);
    mdl_conv_shape_init(&net->s2);
    size_t cs = mdl_conv2d_col_size(&net->s1), c2 = mdl_conv2d_col_size(&net->s2);
    net->col = ok ? malloc((cs > c2 ? cs : c2) * sizeof(float)) : NULL;
    if (!ok || !net->am1 || !net->am2 || !net->col) {
        mdl_mexit_free(net);
        return NULL;
    }
    mdl_rng r = {seed};
    size_t off = 0;
    for (size_t i = 0; i < NP; i++) {
        net->p[i] = net->params + off;
        net->g[i] = net->grads + off;
        if (P[i].fan_in)
            mdl_init_kaiming(net->p[i], P[i].n, P[i].fan_in, &r);
        off += P[i].n;
    }
    return net;
}

void mdl_mexit_free(mdl_mexit *net)
{
    if (!net)
        return;
    free(net->params);
    free(net->grads);
    free(net->m);
    free(net->v);
    for (int k = 0; k < NA; k++) {
        free(net->act[k]);
        free(net->dact[k]);
    }
    free(net->am1);
    free(net->am2);
    free(net->col);
    free(net);
}

const float *mdl_mexit_params(const mdl_mexit *net, size_t *n)
{
    *n = net->n_params;
    return net->params;
}

/* Forward a batch of B images (already in act[X]). */
static void forward(mdl_mexit *net, size_t B)
{
    float **a = net->act;
    mdl_conv_shape s1 = net->s1, s2 = net->s2;
    s1.B = s2.B = B;
    mdl_conv2d_forward_gemm(a[C1], a[X], net->p[C1W], net->p[C1B], &s1, net->col);
    mdl_relu_forward(a[R1], a[C1], act_size(B, C1), 0);
    mdl_maxpool_forward(a[A1], net->am1, a[R1], B, 16, 28, 28, 2, 2, 0);
    mdl_fc_forward(a[L1], a[A1], net->p[EW], net->p[EB], B, 3136, 10);
    mdl_conv2d_forward_gemm(a[C2], a[A1], net->p[C2W], net->p[C2B], &s2, net->col);
    mdl_relu_forward(a[R2], a[C2], act_size(B, C2), 0);
    mdl_maxpool_forward(a[A2], net->am2, a[R2], B, 32, 14, 14, 2, 2, 0);
    /* fully connected layers as SGEMM: out (B,OC) = in (B,C) W^T + b */
    for (size_t n = 0; n < B; n++)
        memcpy(a[H1] + n * 128, net->p[F1B], 128 * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, 128, 1568, 1.0f, a[A2],
                1568, net->p[F1W], 1568, 1.0f, a[H1], 128);
    mdl_relu_forward(a[HR], a[H1], act_size(B, H1), 0);
    mdl_fc_forward(a[L2], a[HR], net->p[F2W], net->p[F2B], B, 128, 10);
}

static void backward(mdl_mexit *net, size_t B)
{
    float **a = net->act, **d = net->dact;
    mdl_conv_shape s1 = net->s1, s2 = net->s2;
    s1.B = s2.B = B;
    for (int k = C1; k < NA; k++)
        if (k != L1 && k != L2) /* the loss wrote these */
            memset(d[k], 0, act_size(B, k) * sizeof(float));
    memset(net->grads, 0, net->n_params * sizeof(float));
    mdl_fc_backward(d[HR], net->g[F2W], net->g[F2B], d[L2], a[HR], net->p[F2W], B, 128, 10);
    mdl_relu_backward(d[H1], d[HR], a[H1], act_size(B, H1), 0);
    /* fc1: dW += dout^T in; din += dout W; db += sum dout */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 128, 1568, (int)B, 1.0f, d[H1], 128,
                a[A2], 1568, 1.0f, net->g[F1W], 1568);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, 1568, 128, 1.0f, d[H1],
                128, net->p[F1W], 1568, 1.0f, d[A2], 1568);
    for (size_t n = 0; n < B; n++)
        for (int o = 0; o < 128; o++)
            net->g[F1B][o] += d[H1][n * 128 + (size_t)o];
    mdl_maxpool_backward(d[R2], d[A2], net->am2, act_size(B, A2));
    mdl_relu_backward(d[C2], d[R2], a[C2], act_size(B, C2), 0);
    mdl_conv2d_backward_gemm(d[A1], net->g[C2W], net->g[C2B], d[C2], a[A1], net->p[C2W], &s2,
                             net->col);
    mdl_fc_backward(d[A1], net->g[EW], net->g[EB], d[L1], a[A1], net->p[EW], B, 3136, 10);
    mdl_maxpool_backward(d[R1], d[A1], net->am1, act_size(B, A1));
    mdl_relu_backward(d[C1], d[R1], a[C1], act_size(B, C1), 0);
    mdl_conv2d_backward_gemm(NULL, net->g[C1W], net->g[C1B], d[C1], a[X], net->p[C1W], &s1,
                             net->col);
}

static void load_batch(mdl_mexit *net, const mdl_dataset *ds, const uint32_t *idx,
                       size_t B, uint8_t *labels)
{
    for (size_t n = 0; n < B; n++) {
        const uint8_t *img = ds->images + (size_t)idx[n] * 784;
        for (int i = 0; i < 784; i++)
            net->act[X][n * 784 + (size_t)i] = img[i] * (1.0f / 255.0f);
        labels[n] = ds->labels[idx[n]];
    }
}

off_status mdl_mexit_train(mdl_mexit *net, const mdl_dataset *ds,
                           const mdl_mexit_train_cfg *cfg, off_err *err)
{
    if (ds->rows != 28 || ds->cols != 28 || cfg->batch == 0 || cfg->batch > net->max_batch)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "train: needs 28x28 images and a batch of 1..%zu", net->max_batch);
    openblas_set_num_threads(1); /* one summation order: same seed, same weights */
    size_t n = cfg->n_train && cfg->n_train < ds->n ? cfg->n_train : ds->n;
    uint32_t *order = malloc(n * sizeof *order);
    uint8_t *labels = malloc(cfg->batch);
    if (!order || !labels) {
        free(order);
        free(labels);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    mdl_rng r = {cfg->seed ^ 0x5eed5eedULL};
    for (size_t ep = 0; ep < cfg->epochs; ep++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(mdl_rng_next(&r) % (i + 1));
            uint32_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double loss[MDL_MEXIT_N_EXITS] = {0};
        size_t batches = 0;
        for (size_t b0 = 0; b0 + cfg->batch <= n; b0 += cfg->batch, batches++) {
            size_t B = cfg->batch;
            load_batch(net, ds, order + b0, B, labels);
            forward(net, B);
            loss[0] += mdl_softmax_ce(net->dact[L1], net->act[L1], labels, B, 10,
                                      cfg->exit_weight[0]);
            loss[1] += mdl_softmax_ce(net->dact[L2], net->act[L2], labels, B, 10,
                                      cfg->exit_weight[1]);
            backward(net, B);
            net->step++;
            mdl_adamw_update(net->params, net->grads, net->m, net->v, net->n_params, cfg->lr,
                             0.9f, 0.999f, 1e-8f, cfg->weight_decay, net->step);
        }
        if (cfg->verbose)
            fprintf(stderr, "epoch %zu/%zu: loss early %.4f, final %.4f\n", ep + 1,
                    cfg->epochs, loss[0] / (double)batches, loss[1] / (double)batches);
    }
    free(order);
    free(labels);
    return OFF_OK;
}

void mdl_mexit_eval(mdl_mexit *net, const mdl_dataset *ds, size_t n,
                    double acc[MDL_MEXIT_N_EXITS])
{
    n = n && n < ds->n ? n : ds->n;
    size_t right[MDL_MEXIT_N_EXITS] = {0};
    uint32_t idx[256];
    uint8_t labels[256];
    size_t bmax = net->max_batch < 256 ? net->max_batch : 256;
    for (size_t b0 = 0; b0 < n; b0 += bmax) {
        size_t B = n - b0 < bmax ? n - b0 : bmax;
        for (size_t i = 0; i < B; i++)
            idx[i] = (uint32_t)(b0 + i);
        load_batch(net, ds, idx, B, labels);
        forward(net, B);
        for (int e = 0; e < MDL_MEXIT_N_EXITS; e++) {
            const float *lg = net->act[e ? L2 : L1];
            for (size_t i = 0; i < B; i++) {
                size_t best = 0;
                for (size_t k = 1; k < 10; k++)
                    if (lg[i * 10 + k] > lg[i * 10 + best])
                        best = k;
                right[e] += best == labels[i];
            }
        }
    }
    for (int e = 0; e < MDL_MEXIT_N_EXITS; e++)
        acc[e] = (double)right[e] / (double)n;
}

off_status mdl_mexit_save(const mdl_mexit *net, const char *path, off_err *err)
{
    mdl_tensor_rec t[NP];
    for (size_t i = 0; i < NP; i++) {
        memset(&t[i], 0, sizeof t[i]);
        snprintf(t[i].name, sizeof t[i].name, "%s", P[i].name);
        t[i].dtype = MDL_DT_F32;
        t[i].ndim = P[i].ndim;
        memcpy(t[i].dims, P[i].dims, sizeof P[i].dims);
        t[i].nbytes = P[i].n * sizeof(float);
        t[i].data = net->p[i];
    }
    return mdl_weights_write(path, t, NP, err);
}

off_status mdl_mexit_load(mdl_mexit *net, const char *path, off_err *err)
{
    mdl_weights w;
    off_status st = mdl_weights_read(&w, path, err);
    if (st)
        return st;
    for (size_t i = 0; i < NP && st == OFF_OK; i++) {
        const mdl_tensor_rec *t = mdl_weights_find(&w, P[i].name);
        if (!t || t->dtype != MDL_DT_F32 || t->nbytes != P[i].n * sizeof(float))
            st = off_errf(err, OFF_EPARSE, path, 0, 0,
                          "tensor '%s' is missing or has the wrong shape", P[i].name);
        else
            memcpy(net->p[i], t->data, t->nbytes);
    }
    mdl_weights_free(&w);
    return st;
}
