/*
 * mdl_k_dispatch.c - pick the fastest int8 kernel the CPU has: AVX-512 VNNI,
 * then AVX2, then the scalar reference; mdl_kernels_force overrides the
 * choice for tests and benchmarks.
 */
#include "mdl_k_dispatch.h"

static mdl_isa forced = MDL_ISA_AUTO;

bool mdl_kernels_have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

static bool have(mdl_isa isa)
{
    switch (isa) {
    case MDL_ISA_AUTO:
    case MDL_ISA_REF:
        return true;
    case MDL_ISA_AVX2:
        return mdl_kernels_have_avx2();
    case MDL_ISA_VNNI:
        return mdl_kernels_have_vnni();
    }
    return false;
}

off_status mdl_kernels_force(mdl_isa isa)
{
    if (!have(isa))
        return OFF_EINVAL;
    forced = isa;
    return OFF_OK;
}

mdl_isa mdl_kernels_isa(void)
{
    if (forced != MDL_ISA_AUTO)
        return forced;
    if (mdl_kernels_have_vnni())
        return MDL_ISA_VNNI;
    if (mdl_kernels_have_avx2())
        return MDL_ISA_AVX2;
    return MDL_ISA_REF;
}

const char *mdl_isa_str(mdl_isa isa)
{
    switch (isa) {
    case MDL_ISA_AUTO: return "auto";
    case MDL_ISA_REF: return "ref";
    case MDL_ISA_AVX2: return "avx2";
    case MDL_ISA_VNNI: return "vnni";
    }
    return "?";
}

size_t mdl_conv2d_s8_get_buffer_size(mdl_dims out_d, size_t kh, size_t kw, size_t c_in)
{
    size_t a = mdl_conv2d_s8_avx2_buffer_size(out_d, kh, kw, c_in);
    size_t v = mdl_conv2d_s8_vnni_buffer_size(out_d, kh, kw, c_in);
    return a > v ? a : v;
}

off_status mdl_conv2d_s8(const mdl_conv_params *p, const mdl_requant *rq, mdl_dims in_d,
                         const int8_t *in, size_t kh, size_t kw, const int8_t *w,
                         const int32_t *bias, mdl_dims out_d, int8_t *out, void *scratch,
                         size_t scratch_size, off_err *err)
{
    switch (mdl_kernels_isa()) {
    case MDL_ISA_VNNI:
        return mdl_conv2d_s8_vnni(p, rq, in_d, in, kh, kw, w, bias, out_d, out, scratch,
                                  scratch_size, err);
    case MDL_ISA_AVX2:
        return mdl_conv2d_s8_avx2(p, rq, in_d, in, kh, kw, w, bias, out_d, out, scratch,
                                  scratch_size, err);
    default:
        return mdl_conv2d_s8_ref(p, rq, in_d, in, kh, kw, w, bias, out_d, out, err);
    }
}

off_status mdl_fc_s8(const mdl_conv_params *p, const mdl_requant *rq, size_t n,
                     size_t c_in, const int8_t *in, const int8_t *w, const int32_t *bias,
                     size_t c_out, int8_t *out, off_err *err)
{
    switch (mdl_kernels_isa()) {
    case MDL_ISA_VNNI:
        return mdl_fc_s8_vnni(p, rq, n, c_in, in, w, bias, c_out, out, err);
    case MDL_ISA_AVX2:
        return mdl_fc_s8_avx2(p, rq, n, c_in, in, w, bias, c_out, out, err);
    default:
        return mdl_fc_s8_ref(p, rq, n, c_in, in, w, bias, c_out, out, err);
    }
}
