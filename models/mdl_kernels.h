/*
 * mdl_kernels.h - int8 inference kernels, TFLite/CMSIS-NN semantics.
 *
 * Quantization: activations int8 with a per-tensor zero point
 * (real = scale * (q - zp)); weights int8, symmetric, per output channel;
 * bias int32 (scale = in_scale * w_scale[oc]); accumulation in int32; the
 * output is requantized per channel with a Q31 fixed-point multiplier and a
 * shift (mdl_quantize_multiplier), plus the output zero point, clamped to
 * [act_min, act_max] (which also fuses ReLU/ReLU6).
 *
 * Layouts: activations NHWC [N, H, W, C]; conv weights [C_OUT, KH, KW,
 * C_IN / groups]; fully connected weights [C_OUT, C_IN].
 *
 * These are the scalar references that define the results: any faster
 * variant must be bit-exact with them.  Kernels never allocate.
 */
#ifndef MDL_KERNELS_H
#define MDL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "off.h"

typedef struct mdl_dims {
    size_t n, h, w, c;
} mdl_dims;

typedef struct mdl_conv_params {
    size_t stride_h, stride_w;  /* >= 1 */
    size_t pad_h, pad_w;        /* zero-point padding */
    size_t groups;              /* 1 = dense; C_IN = C_OUT = groups: depthwise */
    int32_t input_offset;       /* -input_zp, in [-127, 128] */
    int32_t output_offset;      /* output_zp, in [-128, 127] */
    int32_t act_min, act_max;   /* clamp, within [-128, 127] */
} mdl_conv_params;

typedef struct mdl_requant {
    const int32_t *mult;        /* [C_OUT] Q31 multipliers, or one if per_tensor */
    const int32_t *shift;       /* [C_OUT] left shifts (negative = right) */
} mdl_requant;

/* TFLite's QuantizeMultiplier: real = mult * 2^(shift - 31), mult in
 * [2^30, 2^31) (or 0 for real = 0).  real must be >= 0 and finite. */
void mdl_quantize_multiplier(double real, int32_t *mult, int32_t *shift);

/* TFLite's MultiplyByQuantizedMultiplier: round(x * mult * 2^(shift-31)) via
 * SaturatingRoundingDoublingHighMul and RoundingDivideByPOT. */
int32_t mdl_requantize(int32_t x, int32_t mult, int32_t shift);

/* Output spatial size of a convolution or pooling. */
static inline size_t mdl_out_size(size_t in, size_t k, size_t stride, size_t pad)
{
    return (in + 2 * pad - k) / stride + 1;
}

/* conv2d: in (N,H,W,C_IN) -> out (N,H_OUT,W_OUT,C_OUT), weights
 * (C_OUT,KH,KW,C_IN/groups), bias (C_OUT) or NULL.  Checks shapes and
 * parameters (OFF_EINVAL with a message). */
off_status mdl_conv2d_s8_ref(const mdl_conv_params *p, const mdl_requant *rq,
                             mdl_dims in_d, const int8_t *in, size_t kh, size_t kw,
                             const int8_t *w, const int32_t *bias, mdl_dims out_d,
                             int8_t *out, off_err *err);

/* fully connected: in (N,C_IN) -> out (N,C_OUT); weights (C_OUT,C_IN). */
off_status mdl_fc_s8_ref(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                         size_t c_in, const int8_t *in, const int8_t *w,
                         const int32_t *bias, size_t c_out, int8_t *out, off_err *err);

/* max / average pooling, NHWC, same quantization in and out; padding
 * positions are ignored (average over the valid window, rounded half away
 * from zero as TFLite); the result is clamped to [act_min, act_max]. */
off_status mdl_maxpool_s8_ref(size_t kh, size_t kw, size_t stride, size_t pad,
                              int32_t act_min, int32_t act_max, mdl_dims in_d,
                              const int8_t *in, int8_t *out, off_err *err);
off_status mdl_avgpool_s8_ref(size_t kh, size_t kw, size_t stride, size_t pad,
                              int32_t act_min, int32_t act_max, mdl_dims in_d,
                              const int8_t *in, int8_t *out, off_err *err);

/* ---- AVX-512 VNNI variants (mdl_k_conv_vnni.c), bit-exact with the above */

/* True when the CPU has AVX-512 F, BW and VNNI. */
bool mdl_kernels_have_vnni(void);

/* Scratch bytes mdl_conv2d_s8_vnni needs. */
size_t mdl_conv2d_s8_vnni_buffer_size(mdl_dims out_d, size_t kh, size_t kw, size_t c_in);

/* conv2d as mdl_conv2d_s8_ref (grouped convolutions fall back to it); only
 * call when mdl_kernels_have_vnni(). */
off_status mdl_conv2d_s8_vnni(const mdl_conv_params *p, const mdl_requant *rq,
                              mdl_dims in_d, const int8_t *in, size_t kh, size_t kw,
                              const int8_t *w, const int32_t *bias, mdl_dims out_d,
                              int8_t *out, void *scratch, size_t scratch_size,
                              off_err *err);

/* The weights of a dense conv2d packed once for mdl_conv2d_s8_vnni_prepacked
 * (the layout mdl_conv2d_s8_vnni packs into its scratch at every call, and
 * the per-channel corrections, which depend on input_offset: pack with the
 * params the layer runs with).  packed: packed_size bytes, 64-byte aligned. */
size_t mdl_conv2d_s8_vnni_packed_size(size_t c_out, size_t kh, size_t kw, size_t c_in);
void mdl_conv2d_s8_vnni_pack(const int8_t *w, const int32_t *bias, int32_t input_offset,
                             size_t c_out, size_t kh, size_t kw, size_t c_in, void *packed);
/* mdl_conv2d_s8_vnni with prepacked weights (dense only; OFF_EINVAL for
 * groups > 1 or misaligned weights); the same scratch size.  Only call
 * when mdl_kernels_have_vnni(). */
off_status mdl_conv2d_s8_vnni_prepacked(const mdl_conv_params *p, const mdl_requant *rq,
                                        mdl_dims in_d, const int8_t *in, size_t kh, size_t kw,
                                        const void *packed, mdl_dims out_d, int8_t *out,
                                        void *scratch, size_t scratch_size, off_err *err);

#endif /* MDL_KERNELS_H */
