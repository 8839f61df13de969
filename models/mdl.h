/*
 * mdl.h - the cost view of a DNN that the simulator and the policies share.
 *
 * A model is a backbone of L layers with named exits (branch classifiers)
 * and split points at layer boundaries.  Conventions used everywhere:
 *
 *   split s in 0..L : the device runs backbone layers [0, s), the server
 *                     runs the rest; s = 0 is full offload (the raw input is
 *                     sent), s >= after(e) means the task never leaves the
 *                     device when it takes exit e.
 *   exit e in 0..E-1: exit e branches off after backbone layer after(e)
 *                     (1-based count); exits are ordered, e = E-1 is the
 *                     final classifier with after = L.
 *   bits b          : bit-width of the split tensor on the air; 32 is the
 *                     float32 reference.  A layer's out_bytes is its float32
 *                     size, so the payload at b bits is ceil(out_bytes*b/32).
 *
 * This is the "profiled model" kind (a layer table of MACs and output sizes,
 * per-exit accuracies); the real quantized graphs of later work present the
 * same view.
 */
#ifndef MDL_H
#define MDL_H

#include <stdbool.h>
#include <stddef.h>

#include "off.h"

#define MDL_MAX_BITS 8

/* What a layer mostly is, for the hardware cost model (mdl_profile.h):
 * kernels of different kinds reach different fractions of a device's peak.
 * A layer of the table that is a block of several ops (a residual block,
 * an inverted residual) takes the kind of the op that bounds its speed:
 * ResNet blocks are conv, MobileNetV2 blocks dwconv.  The names
 * (mdl_layer_kind_name) are those of model files (`kind: conv`). */
typedef enum mdl_layer_kind {
    MDL_LAYER_OTHER = 0, /* unknown or anything else (the default)        */
    MDL_LAYER_CONV,      /* dense convolution (or a block of them)        */
    MDL_LAYER_DWCONV,    /* depthwise(-separable) convolution or block    */
    MDL_LAYER_FC,        /* fully connected                               */
    MDL_LAYER_POOL,      /* pooling (and the activations/LRN folded in)   */
    MDL_LAYER_N_KINDS
} mdl_layer_kind;

typedef struct mdl_layer {
    char name[32];
    double macs;         /* MAC */
    double out_bytes;    /* float32 size of its output, B */
    mdl_layer_kind kind; /* MDL_LAYER_OTHER when unknown */
    double params;       /* its weights and biases (count), 0 when unknown */
} mdl_layer;

/* "other", "conv", "dwconv", "fc", "pool"; NULL for a value out of range. */
const char *mdl_layer_kind_name(mdl_layer_kind k);

typedef struct mdl_exit {
    char name[32];
    size_t after;      /* backbone layers before the branch, 1..L */
    double macs;       /* the branch classifier's own work, MAC */
    double accuracy;   /* probability of a correct answer, 0..1 */
} mdl_exit;

typedef struct mdl_model {
    char name[64];
    size_t n_layers, n_exits, n_bits;
    mdl_layer *layers;
    mdl_exit *exits;
    int bits[MDL_MAX_BITS];   /* allowed bit-widths, ascending */
    double input_bytes;       /* raw input, sent when split = 0 */
    double result_bytes;      /* the answer, sent back on the downlink */
    double *prefix_macs;      /* prefix_macs[i] = sum of layers [0, i), i in 0..L */
    double *payload_mean;     /* trained models: mean bytes really sent at
                                 (split s, bits[k]), [s * n_bits + k], s in
                                 0..L (0 at L), profiled on training images;
                                 NULL: the layer table (mdl_payload_bytes) */
} mdl_model;

typedef struct mdl_model_desc {
    const char *name;
    const mdl_layer *layers;
    size_t n_layers;
    const mdl_exit *exits;
    size_t n_exits;
    const int *bits;
    size_t n_bits;
    double input_bytes, result_bytes;
} mdl_model_desc;

/* Build a model from a description (copied).  Checks: L >= 1, exits ordered
 * by strictly increasing after in 1..L with the last at L, 1 <= n_bits <=
 * MDL_MAX_BITS with each in 1..16 or 32, ascending. */
off_status mdl_model_init(mdl_model *m, const mdl_model_desc *d, off_err *err);
void mdl_model_free(mdl_model *m); /* NULL-safe, idempotent */
/* Give m a copy of the measured payload table tab ((L+1) * n_bits
 * doubles, as mdl_model.payload_mean), or drop it (tab NULL). */
off_status mdl_model_set_payload_mean(mdl_model *m, const double *tab, off_err *err);

/* The split that a (exit, split) pair really means: min(split, after(exit)). */
static inline size_t mdl_norm_split(const mdl_model *m, size_t exit, size_t split)
{
    size_t a = m->exits[exit].after;
    return split < a ? split : a;
}

/* True if the task with this (exit, split) stays on the device. */
static inline bool mdl_is_local(const mdl_model *m, size_t exit, size_t split)
{
    return split >= m->exits[exit].after;
}

/* Work the device / the server does for (exit, split), MAC. */
double mdl_device_macs(const mdl_model *m, size_t exit, size_t split);
double mdl_server_macs(const mdl_model *m, size_t exit, size_t split);

/* Bytes sent on the uplink for (exit, split, bits): 0 if local, the raw
 * input if split = 0, else ceil(out_bytes(split-1) * bits / 32). */
double mdl_payload_bytes(const mdl_model *m, size_t exit, size_t split, int bits);

/* Index of a bit-width in m->bits, or -1. */
int mdl_bits_index(const mdl_model *m, int bits);

/* Index of the exit named name, or -1. */
int mdl_exit_index(const mdl_model *m, const char *name);

#endif /* MDL_H */
