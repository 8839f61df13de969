/*
 * mdl_graph_train.c - float32 forward, backward and joint multi-exit
 * training of a layer graph (mdl_graph.h) with the layers of mdl_nn.h:
 * convolutions by im2col + SGEMM, fully connected layers by SGEMM, AdamW
 * (mdl_adamw_update) with a cosine learning-rate schedule, BranchyNet's weighted sum of the
 * exits' cross-entropies as the loss.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_graph.h"
#include "mdl_nn.h"

struct mdl_trainer {
    mdl_graph *g;
    size_t max_batch;
    float *x;                                  /* (B, input size)             */
    float *z[MDL_GRAPH_MAX_NODES];             /* pre-activation              */
    float *a[MDL_GRAPH_MAX_NODES];             /* output (= z without act)    */
    float *dz[MDL_GRAPH_MAX_NODES], *da[MDL_GRAPH_MAX_NODES];
    int32_t *argmax[MDL_GRAPH_MAX_NODES];      /* max pooling                 */
    float *col;                                /* im2col scratch              */
    float *grads, *m, *v;                      /* n_params each               */
    uint64_t step;
};

static size_t out_size(const mdl_gnode *n)
{
    return n->out_c * n->out_h * n->out_w;
}

static mdl_conv_shape conv_shape(const mdl_gnode *n, size_t B)
{
    const mdl_gspec_layer *l = n->spec;
    mdl_conv_shape s = {B, n->in_c, n->in_h, n->in_w, l->out_c, l->k, l->k,
                        l->stride ? l->stride : 1, l->pad, l->groups ? l->groups : 1, 0, 0};
    mdl_conv_shape_init(&s);
    return s;
}

void mdl_blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

void mdl_trainer_free(mdl_trainer *t)
{
    if (!t)
        return;
    free(t->x);
    for (size_t i = 0; i < MDL_GRAPH_MAX_NODES; i++) {
        if (t->a[i] != t->z[i])
            free(t->a[i]);
        if (t->da[i] != t->dz[i])
            free(t->da[i]);
        free(t->z[i]);
        free(t->dz[i]);
        free(t->argmax[i]);
    }
    free(t->col);
    free(t->grads);
    free(t->m);
    free(t->v);
    free(t);
}

mdl_trainer *mdl_trainer_new(mdl_graph *g, size_t max_batch)
{
    mdl_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->g = g;
    t->max_batch = max_batch;
    /* one summation order everywhere (training, evaluation, calibration):
     * same seed and weights, same numbers, whatever the core count */
    openblas_set_num_threads(1);
    const mdl_gspec *sp = g->spec;
    bool ok = (t->x = malloc(max_batch * sp->in_c * sp->in_h * sp->in_w * sizeof(float)));
    size_t col = 1;
    for (size_t i = 0; i < g->n_nodes && ok; i++) {
        const mdl_gnode *n = &g->node[i];
        size_t sz = max_batch * out_size(n);
        t->z[i] = malloc(sz * sizeof(float));
        t->dz[i] = malloc(sz * sizeof(float));
        bool act = n->spec->act != MDL_ACT_NONE &&
                   (n->spec->op == MDL_OP_CONV || n->spec->op == MDL_OP_FC);
        t->a[i] = act ? malloc(sz * sizeof(float)) : t->z[i];
        t->da[i] = act ? malloc(sz * sizeof(float)) : t->dz[i];
        if (n->spec->op == MDL_OP_MAXPOOL)
            ok = (t->argmax[i] = malloc(sz * sizeof(int32_t)));
        if (n->spec->op == MDL_OP_CONV) {
            mdl_conv_shape s = conv_shape(n, 1);
            size_t c = mdl_conv2d_col_size(&s);
            col = c > col ? c : col;
        }
        ok = ok && t->z[i] && t->dz[i] && t->a[i] && t->da[i];
    }
    t->col = ok ? malloc(col * sizeof(float)) : NULL;
    t->grads = ok ? calloc(g->n_params, sizeof(float)) : NULL;
    t->m = ok ? calloc(g->n_params, sizeof(float)) : NULL;
    t->v = ok ? calloc(g->n_params, sizeof(float)) : NULL;
    if (!ok || !t->col || !t->grads || !t->m || !t->v) {
        mdl_trainer_free(t);
        return NULL;
    }
    return t;
}

static float act_cap(const mdl_gnode *n)
{
    return n->spec->act == MDL_ACT_RELU6 ? 6.0f : 0.0f;
}

static bool has_act(const mdl_gnode *n)
{
    return n->spec->act != MDL_ACT_NONE &&
           (n->spec->op == MDL_OP_CONV || n->spec->op == MDL_OP_FC);
}

static void load_images(mdl_trainer *t, const uint8_t *images, size_t B)
{
    const mdl_gspec *sp = t->g->spec;
    size_t n = B * sp->in_c * sp->in_h * sp->in_w;
    for (size_t i = 0; i < n; i++)
        t->x[i] = images[i] * (1.0f / 255.0f);
}

static void forward(mdl_trainer *t, size_t B)
{
    const mdl_graph *g = t->g;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const mdl_gnode *n = &g->node[i];
        const mdl_gspec_layer *l = n->spec;
        const float *in = n->src < 0 ? t->x : t->a[n->src];
        const float *w = g->params + n->w_off, *b = g->params + n->b_off;
        switch (l->op) {
        case MDL_OP_CONV: {
            mdl_conv_shape s = conv_shape(n, B);
            mdl_conv2d_forward_gemm(t->z[i], in, w, b, &s, t->col);
            break;
        }
        case MDL_OP_FC:
            mdl_fc_forward_gemm(t->z[i], in, w, b, B, n->fan_in, n->out_c);
            break;
        case MDL_OP_MAXPOOL:
            mdl_maxpool_forward(t->z[i], t->argmax[i], in, B, n->in_c, n->in_h, n->in_w,
                                l->k, mdl_pool_stride(l), l->pad);
            break;
        case MDL_OP_AVGPOOL:
            mdl_avgpool_forward(t->z[i], in, B, n->in_c, n->in_h, n->in_w, l->k,
                                mdl_pool_stride(l), l->pad);
            break;
        }
        if (has_act(n))
            mdl_relu_forward(t->a[i], t->z[i], B * out_size(n), act_cap(n));
    }
}

/* Gradients of the loss written into da[exit outputs]; accumulates into
 * t->grads (zeroed here). */
static void backward(mdl_trainer *t, size_t B)
{
    const mdl_graph *g = t->g;
    memset(t->grads, 0, g->n_params * sizeof(float));
    for (size_t ii = g->n_nodes; ii-- > 0;) {
        const mdl_gnode *n = &g->node[ii];
        const mdl_gspec_layer *l = n->spec;
        size_t no = B * out_size(n);
        if (has_act(n)) {
            memset(t->dz[ii], 0, no * sizeof(float));
            mdl_relu_backward(t->dz[ii], t->da[ii], t->z[ii], no, act_cap(n));
        }
        const float *in = n->src < 0 ? t->x : t->a[n->src];
        float *din = n->src < 0 ? NULL : t->da[n->src];
        const float *w = g->params + n->w_off;
        float *gw = t->grads + n->w_off, *gb = t->grads + n->b_off;
        const float *dz = t->dz[ii];
        switch (l->op) {
        case MDL_OP_CONV: {
            mdl_conv_shape s = conv_shape(n, B);
            mdl_conv2d_backward_gemm(din, gw, gb, dz, in, w, &s, t->col);
            break;
        }
        case MDL_OP_FC:
            mdl_fc_backward_gemm(din, gw, gb, dz, in, w, B, n->fan_in, n->out_c);
            break;
        case MDL_OP_MAXPOOL:
            if (din)
                mdl_maxpool_backward(din, dz, t->argmax[ii], no);
            break;
        case MDL_OP_AVGPOOL:
            if (din)
                mdl_avgpool_backward(din, dz, B, n->in_c, n->in_h, n->in_w, l->k,
                                     mdl_pool_stride(l), l->pad);
            break;
        }
    }
}

/* Zero the activation gradients, forward, loss into da[exit outputs]. */
static double forward_loss(mdl_trainer *t, size_t B, const uint8_t *labels, double *per_exit)
{
    const mdl_graph *g = t->g;
    const mdl_gspec *sp = g->spec;
    for (size_t i = 0; i < g->n_nodes; i++)
        memset(t->da[i], 0, B * out_size(&g->node[i]) * sizeof(float));
    forward(t, B);
    float *dl[MDL_GRAPH_MAX_EXITS];
    const float *lg[MDL_GRAPH_MAX_EXITS];
    float wt[MDL_GRAPH_MAX_EXITS];
    for (size_t e = 0; e < sp->n_exits; e++) {
        dl[e] = t->da[g->exit_out[e]];
        lg[e] = t->a[g->exit_out[e]];
        wt[e] = sp->exits[e].weight;
    }
    return mdl_multiexit_ce(dl, lg, wt, sp->n_exits, labels, B, sp->n_classes, per_exit);
}

double mdl_trainer_loss_grad(mdl_trainer *t, const uint8_t *images, const uint8_t *labels,
                             size_t B, float *grads)
{
    load_images(t, images, B);
    double loss = forward_loss(t, B, labels, NULL);
    backward(t, B);
    memcpy(grads, t->grads, t->g->n_params * sizeof(float));
    return loss;
}

void mdl_trainer_forward(mdl_trainer *t, const uint8_t *images, size_t B)
{
    load_images(t, images, B);
    forward(t, B);
}

const float *mdl_trainer_logits(const mdl_trainer *t, size_t exit)
{
    return t->a[t->g->exit_out[exit]];
}

const float *mdl_trainer_output(const mdl_trainer *t, size_t node)
{
    return t->a[node];
}

off_status mdl_graph_train(mdl_trainer *t, const mdl_dataset *ds, const mdl_train_cfg *cfg,
                           off_err *err)
{
    const mdl_gspec *sp = t->g->spec;
    size_t isz = sp->in_c * sp->in_h * sp->in_w;
    if (ds->rows * ds->cols != isz || cfg->batch == 0 || cfg->batch > t->max_batch)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "train: model '%s' needs %zux%zu images and a batch of 1..%zu",
                        sp->name, sp->in_h, sp->in_w, t->max_batch);
    size_t n = cfg->n_train && cfg->n_train < ds->n ? cfg->n_train : ds->n;
    if (n < cfg->batch) /* no step at all, and a loss of 0/0 */
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "train: %zu training images are fewer than one batch of %zu",
                        n, cfg->batch);
    uint32_t *order = malloc(n * sizeof *order);
    uint8_t *images = malloc(cfg->batch * isz), *labels = malloc(cfg->batch);
    if (!order || !images || !labels) {
        free(order);
        free(images);
        free(labels);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    mdl_rng r = {cfg->seed ^ 0x5eed5eedULL};
    size_t per_epoch = n / cfg->batch, total = per_epoch * cfg->epochs, k = 0;
    for (size_t ep = 0; ep < cfg->epochs; ep++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(mdl_rng_next(&r) % (i + 1));
            uint32_t tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        double loss[MDL_GRAPH_MAX_EXITS] = {0}, per[MDL_GRAPH_MAX_EXITS];
        for (size_t bi = 0; bi < per_epoch; bi++, k++) {
            size_t B = cfg->batch;
            for (size_t j = 0; j < B; j++) {
                uint32_t s = order[bi * B + j];
                memcpy(images + j * isz, ds->images + (size_t)s * isz, isz);
                labels[j] = ds->labels[s];
            }
            load_images(t, images, B);
            forward_loss(t, B, labels, per);
            backward(t, B);
            for (size_t e = 0; e < sp->n_exits; e++)
                loss[e] += per[e];
            float lr = (float)(0.5 * cfg->lr * (1.0 + cos(3.14159265358979323846 * (double)k / (double)total)));
            t->step++;
            mdl_adamw_update(t->g->params, t->grads, t->m, t->v, t->g->n_params, lr, 0.9f,
                             0.999f, 1e-8f, cfg->weight_decay, t->step, MDL_ADAM_F32);
        }
        if (cfg->verbose) {
            fprintf(stderr, "%s epoch %zu/%zu: loss", sp->name, ep + 1, cfg->epochs);
            for (size_t e = 0; e < sp->n_exits; e++)
                fprintf(stderr, " %s %.4f", sp->exits[e].name, loss[e] / (double)per_epoch);
            fputc('\n', stderr);
        }
    }
    free(order);
    free(images);
    free(labels);
    return OFF_OK;
}

void mdl_graph_eval(mdl_trainer *t, const mdl_dataset *ds, size_t n,
                    double acc[MDL_GRAPH_MAX_EXITS])
{
    const mdl_gspec *sp = t->g->spec;
    size_t isz = sp->in_c * sp->in_h * sp->in_w, K = sp->n_classes;
    n = n && n < ds->n ? n : ds->n;
    size_t right[MDL_GRAPH_MAX_EXITS] = {0};
    for (size_t b0 = 0; b0 < n; b0 += t->max_batch) {
        size_t B = n - b0 < t->max_batch ? n - b0 : t->max_batch;
        mdl_trainer_forward(t, ds->images + b0 * isz, B);
        for (size_t e = 0; e < sp->n_exits; e++) {
            const float *lg = mdl_trainer_logits(t, e);
            for (size_t i = 0; i < B; i++) {
                size_t best = 0;
                for (size_t c = 1; c < K; c++)
                    if (lg[i * K + c] > lg[i * K + best])
                        best = c;
                right[e] += best == ds->labels[b0 + i];
            }
        }
    }
    for (size_t e = 0; e < sp->n_exits; e++)
        acc[e] = (double)right[e] / (double)n;
}
