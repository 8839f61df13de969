/*
 * mdl_graph.h - trained multi-exit CNNs as layer graphs: a backbone of
 * layers with numbered split points at its boundaries and named exits
 * (BranchyNet-style branch classifiers), trained in float32 in C and run in
 * int8 by the kernels of mdl_kernels.h (mdl_qgraph.h).
 *
 *   input (C,H,W) -> layer 0 -> layer 1 -> ... -> layer L-1 -> final logits
 *                 ^ split 0  ^ split 1          ^ split L-1  ^ split L
 *                             \-> exit branch (after = 1) -> logits
 *
 * A layer is a convolution or fully connected layer with its activation
 * fused (none, ReLU, ReLU6), or a max / average pooling; flatten is
 * implicit (a fully connected layer takes its whole input).  Batch norm is
 * folded into the preceding layer before export (mdl_fold_batchnorm), so it
 * is not a layer here.  Exit e branches off after backbone layer after(e)
 * (1-based count, as in mdl.h) and runs its own layers; the last exit
 * follows the last layer and has no layers of its own (the backbone's
 * output are its logits).  Split s means: the device runs layers [0, s),
 * the server the rest.
 *
 * Float tensors are NCHW (mdl_nn.h); parameters are named "<layer>.w" and
 * "<layer>.b" in the weights file (mdl_weights.h), conv weights (OC, C/g,
 * KH, KW), fully connected (OC, C) with C in CHW order.
 */
#ifndef MDL_GRAPH_H
#define MDL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "mdl.h"
#include "mdl_data.h"
#include "off.h"

#define MDL_GRAPH_MAX_NODES 64
#define MDL_GRAPH_MAX_EXITS 8

typedef enum mdl_op {
    MDL_OP_CONV = 0,
    MDL_OP_FC,
    MDL_OP_MAXPOOL,
    MDL_OP_AVGPOOL,
} mdl_op;

typedef enum mdl_act {
    MDL_ACT_NONE = 0,
    MDL_ACT_RELU,
    MDL_ACT_RELU6,
} mdl_act;

typedef struct mdl_gspec_layer {
    const char *name;
    mdl_op op;
    size_t out_c;                 /* conv, fc: output channels / features */
    size_t k, stride, pad;        /* conv, pools: square kernel          */
    size_t groups;                /* conv: 1 dense, out_c = in_c: depthwise */
    mdl_act act;                  /* conv, fc                            */
} mdl_gspec_layer;

/* A pooling layer's stride (0 in a spec means the kernel size). */
static inline size_t mdl_pool_stride(const mdl_gspec_layer *l)
{
    return l->stride ? l->stride : l->k;
}

typedef struct mdl_gspec_exit {
    const char *name;
    size_t after;                 /* backbone layers before the branch   */
    const mdl_gspec_layer *layers;
    size_t n_layers;              /* 0 only for the last exit            */
    float weight;                 /* its weight in the joint loss        */
} mdl_gspec_exit;

typedef struct mdl_gspec {
    const char *name;             /* zoo name, e.g. "mexit"              */
    const char *summary;          /* one line                            */
    const char *weights;          /* shipped weights: a file name in models/zoo/ */
    size_t in_c, in_h, in_w, n_classes;
    const mdl_gspec_layer *layers;
    size_t n_layers;
    const mdl_gspec_exit *exits;
    size_t n_exits;
    /* training recipe of the shipped weights */
    size_t epochs, batch;
    float lr, weight_decay;
} mdl_gspec;

/* One node: a backbone layer (index < n_layers) or a branch layer. */
typedef struct mdl_gnode {
    const mdl_gspec_layer *spec;
    int src;                      /* node giving the input, -1 = graph input */
    size_t in_c, in_h, in_w, out_c, out_h, out_w;
    size_t w_off, w_n, b_off;     /* parameters (conv, fc)               */
    size_t fan_in;
    double macs;
} mdl_gnode;

typedef struct mdl_graph {
    const mdl_gspec *spec;
    size_t n_nodes, n_params;
    mdl_gnode node[MDL_GRAPH_MAX_NODES];
    int exit_out[MDL_GRAPH_MAX_EXITS];   /* node giving exit e's logits */
    int exit_first[MDL_GRAPH_MAX_EXITS]; /* its first branch node, -1 if none */
    float *params;                /* n_params floats                     */
    uint32_t crc;                 /* CRC-32 of the weights file loaded, else 0 */
} mdl_graph;

/* The zoo's trained models. */
const mdl_gspec *const *mdl_zoo_graphs(size_t *n);
const mdl_gspec *mdl_zoo_graph(const char *name); /* NULL if unknown */

/* Shape inference and parameter layout for spec (checked: shapes, names,
 * exits ordered, the last exit after the last layer with no layers, every
 * other exit ending in a layer with n_classes outputs).  Parameters zeroed. */
off_status mdl_graph_init(mdl_graph *g, const mdl_gspec *spec, off_err *err);
void mdl_graph_free(mdl_graph *g); /* NULL-safe, idempotent */

/* He-normal weights, zero biases, deterministic for seed. */
void mdl_graph_init_params(mdl_graph *g, uint64_t seed);

/* Weights file I/O by parameter name; a missing tensor or a wrong shape is
 * an error naming it.  load sets g->crc. */
off_status mdl_graph_save(const mdl_graph *g, const char *path, off_err *err);
off_status mdl_graph_load(mdl_graph *g, const char *path, off_err *err);

/* The cost view (mdl.h) of the graph: a layer per backbone layer (its MACs,
 * float32 output size), exits with their branch MACs and the given
 * accuracies (NULL = 0), bit-widths {2, 4, 6, 8, 32}. */
off_status mdl_graph_cost_model(const mdl_graph *g, const double *accuracy,
                                mdl_model *m, off_err *err);

/* ---- float32 training and evaluation (mdl_graph_train.c) --------------- */

/* OpenBLAS on one thread (one summation order, and no idle worker threads
 * spinning beside a single-threaded simulation). */
void mdl_blas_single_thread(void);

typedef struct mdl_train_cfg {
    size_t epochs, batch;
    size_t n_train;          /* use the first n training images (0 = all)     */
    float lr, weight_decay;  /* AdamW; the rate follows a cosine to 0         */
    uint64_t seed;           /* initialisation and shuffling                  */
    int verbose;             /* a line per epoch on stderr                    */
} mdl_train_cfg;

typedef struct mdl_trainer mdl_trainer;

/* Buffers for batches up to max_batch (NULL on out of memory). */
mdl_trainer *mdl_trainer_new(mdl_graph *g, size_t max_batch);
void mdl_trainer_free(mdl_trainer *t);

/* Joint multi-exit training (loss = sum of exit weight * cross-entropy) on
 * ds.  Deterministic for a seed (OpenBLAS is set to one thread). */
off_status mdl_graph_train(mdl_trainer *t, const mdl_dataset *ds,
                           const mdl_train_cfg *cfg, off_err *err);

/* Float accuracy of each exit on the first n images of ds (0 = all). */
void mdl_graph_eval(mdl_trainer *t, const mdl_dataset *ds, size_t n,
                    double acc[MDL_GRAPH_MAX_EXITS]);

/* Forward a batch of B images (uint8, C*H*W each) in float; logits of exit
 * e (B, n_classes) afterwards from mdl_trainer_logits.  For calibration
 * and tests; mdl_trainer_output gives node i's output (B, out size). */
void mdl_trainer_forward(mdl_trainer *t, const uint8_t *images, size_t B);
const float *mdl_trainer_logits(const mdl_trainer *t, size_t exit);
const float *mdl_trainer_output(const mdl_trainer *t, size_t node);

/* Loss and parameter gradients of one batch (for the gradient check):
 * forward, joint loss, backward; returns the loss, gradients in grads. */
double mdl_trainer_loss_grad(mdl_trainer *t, const uint8_t *images,
                             const uint8_t *labels, size_t B, float *grads);

#endif /* MDL_GRAPH_H */
