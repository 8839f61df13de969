/*
 * mdl_k_dispatch.h - the AVX2 int8 kernels, the AVX-512 VNNI fully
 * connected kernel, and the wrappers that pick the best variant at run time.
 *
 * Kept apart from mdl_kernels.h, which declares the scalar references that
 * define the results (and the VNNI conv2d), so that code needing only the
 * reference semantics, such as a test's oracle, does not see the run-time
 * choice of variant or the forcing switch below.  Every variant here is bit-exact with the scalar reference
 * of the same operation (tests/models/test_mdl_k_simd.c) and takes the same
 * arguments, plus scratch where it needs one.  Dilation is not supported
 * (1 only), as in the references.
 */
#ifndef MDL_K_DISPATCH_H
#define MDL_K_DISPATCH_H

#include <stdbool.h>

#include "mdl_kernels.h"

typedef enum mdl_isa {
    MDL_ISA_AUTO = 0, /* the best the CPU has (the default) */
    MDL_ISA_REF,      /* scalar C */
    MDL_ISA_AVX2,     /* AVX2: int16 im2col + vpmaddwd */
    MDL_ISA_VNNI,     /* AVX-512 F/BW/VNNI: u8 im2col + vpdpbusd */
} mdl_isa;

/* True when the CPU has AVX2. */
bool mdl_kernels_have_avx2(void);

/* Make the wrappers use isa (for tests and benchmarks); MDL_ISA_AUTO goes
 * back to the best available.  OFF_EINVAL, and no change, when the CPU lacks
 * isa.  Process-wide and not thread-safe: set it before running kernels. */
off_status mdl_kernels_force(mdl_isa isa);

/* The variant the wrappers use now (never MDL_ISA_AUTO). */
mdl_isa mdl_kernels_isa(void);

/* Short name of isa ("ref", "avx2", "vnni", "auto"). */
const char *mdl_isa_str(mdl_isa isa);

/* ---- conv2d: in (N,H,W,C_IN) -> out (N,H_OUT,W_OUT,C_OUT), weights
 * (C_OUT,KH,KW,C_IN), bias (C_OUT) or NULL; see mdl_conv2d_s8_ref.
 * Grouped convolutions (p->groups > 1) run the reference. */

/* Scratch bytes mdl_conv2d_s8_avx2 needs: (H_OUT*W_OUT + C_OUT) *
 * round_up(KH*KW*C_IN, 16) int16 values. */
size_t mdl_conv2d_s8_avx2_buffer_size(mdl_dims out_d, size_t kh, size_t kw, size_t c_in);

/* Only call when mdl_kernels_have_avx2(). */
off_status mdl_conv2d_s8_avx2(const mdl_conv_params *p, const mdl_requant *rq,
                              mdl_dims in_d, const int8_t *in, size_t kh, size_t kw,
                              const int8_t *w, const int32_t *bias, mdl_dims out_d,
                              int8_t *out, void *scratch, size_t scratch_size,
                              off_err *err);

/* Scratch bytes mdl_conv2d_s8 needs whatever variant it picks (the largest). */
size_t mdl_conv2d_s8_get_buffer_size(mdl_dims out_d, size_t kh, size_t kw, size_t c_in);

/* The wrapper: the variant mdl_kernels_isa() names. */
off_status mdl_conv2d_s8(const mdl_conv_params *p, const mdl_requant *rq, mdl_dims in_d,
                         const int8_t *in, size_t kh, size_t kw, const int8_t *w,
                         const int32_t *bias, mdl_dims out_d, int8_t *out, void *scratch,
                         size_t scratch_size, off_err *err);

/* ---- fully connected: in (N,C_IN) -> out (N,C_OUT), weights (C_OUT,C_IN),
 * bias (C_OUT) or NULL; see mdl_fc_s8_ref.  No scratch (buffer size 0). */

/* Only call when mdl_kernels_have_avx2(). */
off_status mdl_fc_s8_avx2(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                          size_t c_in, const int8_t *in, const int8_t *w,
                          const int32_t *bias, size_t c_out, int8_t *out, off_err *err);

/* Only call when mdl_kernels_have_vnni(). */
off_status mdl_fc_s8_vnni(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                          size_t c_in, const int8_t *in, const int8_t *w,
                          const int32_t *bias, size_t c_out, int8_t *out, off_err *err);

/* The wrapper: the variant mdl_kernels_isa() names. */
off_status mdl_fc_s8(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                     size_t c_in, const int8_t *in, const int8_t *w, const int32_t *bias,
                     size_t c_out, int8_t *out, off_err *err);

/* ---- max pooling, NHWC; see mdl_maxpool_s8_ref.  Portable C (channels in
 * the inner loop, vectorised by the compiler): no ISA choice to make. */
off_status mdl_maxpool_s8(size_t kh, size_t kw, size_t stride, size_t pad, int32_t act_min,
                          int32_t act_max, mdl_dims in_d, const int8_t *in, int8_t *out,
                          off_err *err);

#endif /* MDL_K_DISPATCH_H */
