/*
 * mdl_arch.h - architecture-only models: the classic CNNs at their
 * published input shapes, built layer by layer with shape inference, so
 * that cost and payload experiments use real per-layer MACs and activation
 * sizes (no weights; for real inference see the trained zoo models).
 *
 * Counting conventions (those of the published totals): MACs of
 * convolutions (H_out W_out C_out K_h K_w C_in / groups) and fully
 * connected layers (in x out); pooling, activations, batch norm and
 * residual additions count 0.  A "layer" of the table is a split
 * candidate: for ResNets a whole residual block is one layer (inside a
 * block two tensors are live, so no single tensor could be sent).
 * out_bytes is the float32 size of the layer's output, 4 C H W; params
 * counts weights, biases and batch-norm gamma/beta (torchvision's count);
 * kind is that of mdl.h (blocks: ResNet conv, MobileNetV2 dwconv).
 */
#ifndef MDL_ARCH_H
#define MDL_ARCH_H

#include <stdio.h>

#include "mdl.h"

typedef struct mdl_arch_info {
    const char *name;        /* "alexnet", "vgg16", ...                   */
    const char *summary;     /* one line: input shape, source             */
    double top1;             /* published top-1 accuracy (final exit)     */
    double published_gmacs;  /* the figure the literature quotes          */
    const char *dataset;     /* of the accuracies: "ImageNet", "CIFAR-10" */
} mdl_arch_info;

/* The architectures, NULL-terminated by n. */
const mdl_arch_info *mdl_arch_list(size_t *n);

/* Build architecture name as a layer-table model: per layer its kind,
 * MACs, params and output size; the exits the architecture has (the
 * classic CNNs one, the final classifier with the published top-1
 * accuracy; b-alexnet three); bit-widths {8, 32}; input_bytes the 8-bit
 * image (3 H W).  Unknown name: OFF_EINVAL naming the known ones. */
off_status mdl_arch_build(mdl_model *m, const char *name, off_err *err);

/* Write m as a model file for scenarios (`model: FILE`), in the YAML schema
 * of docs/scenario-reference.md, with a header comment. */
void mdl_model_write_yaml(const mdl_model *m, const char *header, FILE *out);

#endif /* MDL_ARCH_H */
