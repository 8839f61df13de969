/*
 * mdl_qgraph.h - a trained layer graph (mdl_graph.h) after post-training
 * quantization, run by the int8 kernels (mdl_kernels.h, mdl_k_dispatch.h),
 * with the split tensor sent at b bits (mdl_infer.h) for real.
 *
 * Quantization (TFLite's int8 scheme, as CMSIS-NN):
 *   - weights: symmetric int8 per output channel, scale = max|w| / 127;
 *   - activations: asymmetric int8 per tensor, real = scale (q - zp), the
 *     range [min(0, lo), max(0, hi)] of each layer's float output over
 *     calibration images mapped onto [-128, 127];
 *   - the input: pixel / 255, i.e. scale 1/255, zp -128 (q = pixel - 128);
 *   - bias int32 at scale in_scale * w_scale[oc]; int32 accumulation;
 *     requantization by a Q31 multiplier and a shift per output channel;
 *     ReLU / ReLU6 fused into the output clamp; pooling keeps its input's
 *     scale and zero point.
 *   Activations are NHWC; float fully connected weights are permuted from
 *   the CHW flatten order of training to the HWC order of the kernels.
 *
 * The split: the device computes layers [0, s) and the exits that branch
 * off at or before s; the int8 tensor at split s (the input when s = 0) is
 * requantized to b bits, bit-packed and zlib-compressed (mdl_split_encode,
 * the compressed body is kept only when smaller); the server decodes it
 * and computes the remaining layers and exits from the decoded tensor.
 * b = 32 stands for the float32 reference: the tensor dequantized with its
 * scale and zero point, sent uncompressed (the 12-byte split header with
 * bits = 32, then 4 bytes per value, little-endian), quantized back by the
 * server.  Every bit-width goes through its encoder and decoder, so b = 8
 * and b = 32 are lossless because the codec is, not by construction
 * (mdl_qctx_sent lets a test compare the two tensors).  At s = L nothing
 * is sent (payload 0).
 */
#ifndef MDL_QGRAPH_H
#define MDL_QGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "mdl_graph.h"

typedef struct mdl_qgraph mdl_qgraph;
typedef struct mdl_qctx mdl_qctx;

typedef struct mdl_qresult {
    uint32_t payload;                          /* bytes sent at the split   */
    uint8_t pred[MDL_GRAPH_MAX_EXITS];         /* predicted class per exit  */
    float max_prob[MDL_GRAPH_MAX_EXITS];       /* max softmax probability   */
    float entropy[MDL_GRAPH_MAX_EXITS];        /* normalised entropy, 0..1  */
} mdl_qresult;

/* Quantize g (weights loaded) calibrating activations on the first n_calib
 * images of calib (the training set).  g must outlive the result. */
off_status mdl_qgraph_new(mdl_qgraph **out, const mdl_graph *g, const mdl_dataset *calib,
                          size_t n_calib, off_err *err);
void mdl_qgraph_free(mdl_qgraph *q);
const mdl_graph *mdl_qgraph_graph(const mdl_qgraph *q);

/* Activation quantization of node i's output (for tests and reports). */
void mdl_qgraph_act(const mdl_qgraph *q, size_t node, float *scale, int32_t *zp);

/* Buffers for one inference at a time (one per thread); NULL on OOM. */
mdl_qctx *mdl_qctx_new(const mdl_qgraph *q);
void mdl_qctx_free(mdl_qctx *c);

/* True if bits is a valid split bit-width: 1..8 or 32. */
bool mdl_qgraph_bits_ok(int bits);

/* One image (uint8, C*H*W in CHW order) with the tensor at split
 * (0..L) sent at bits: every exit's answer and the payload. */
off_status mdl_qgraph_infer(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                            size_t split, int bits, mdl_qresult *r, off_err *err);

/* Every split 0..L at every bits[k] of one image, as mdl_qgraph_infer
 * would answer each (bit for bit), into r[s * n_bits + k] ((L+1) n_bits
 * results): the device's layers run once for all, then per cell the
 * payload's size and the decoded tensor (mdl_split_measure: no payload
 * written or read) and the server's layers on that tensor, skipped when it
 * arrived intact (the answers are then those with nothing lost) and past
 * the first layer when that layer gives the tensor the next split's server
 * started from (its answers are then taken).  c's last inference
 * (mdl_qctx_sent) is then undefined. */
off_status mdl_qgraph_infer_all(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                                const int *bits, size_t n_bits, mdl_qresult *r, off_err *err);

/* The split tensor of c's last inference as the device had it and as the
 * server decoded it (both n values, n returned); 0 and NULLs when nothing
 * was sent (split L). */
size_t mdl_qctx_sent(const mdl_qctx *c, const int8_t **device, const int8_t **received);

/* Accuracy table over the first n images of ds (0 = all): for every split
 * 0..L and every bit-width bits[k], the accuracy of every exit and the
 * mean payload.  acc[((s * n_bits) + k) * n_exits + e], payload[s * n_bits
 * + k]; arrays of (L+1) * n_bits (* n_exits) doubles.  int8_acc (n_exits)
 * gets the accuracy with nothing lost at the split; with n_bits 0 (bits,
 * acc and payload may be NULL) it is all that is computed, one forward
 * pass per image.
 * Every cell runs the codec and, for the accuracies, the server's layers
 * on the decoded tensor, lossless bit-widths included.  With acc and int8_acc
 * NULL only the payloads are computed (one forward pass per image and the
 * codec at every split and bit-width: no server-side runs). */
off_status mdl_qgraph_eval(const mdl_qgraph *q, const mdl_dataset *ds, size_t n,
                           const int *bits, size_t n_bits, double *acc, double *payload,
                           double *int8_acc, off_err *err);

/* Median seconds of each node's kernel over reps runs on image (one value
 * per node of the graph): the measured per-layer cost on this host. */
off_status mdl_qgraph_time_nodes(const mdl_qgraph *q, mdl_qctx *c, const uint8_t *image,
                                 size_t reps, double *seconds, off_err *err);

#endif /* MDL_QGRAPH_H */
