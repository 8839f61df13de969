/*
 * bench_kernels.c - int8 conv2d throughput, GOPS = 2 x MACs per second of
 * the calling thread's CPU time, single thread, median of 5 runs, for the
 * scalar reference, the AVX-512 VNNI path (when the CPU has it) and, side
 * by side on the same shapes, oneDNN's int8 convolution (when the bench
 * was built with it: Debian's libdnnl-dev), with the ratio offsim / oneDNN.
 *
 * CPU time (CLOCK_THREAD_CPUTIME_ID) rather than wall time: on a shared
 * machine the wall clock also counts the time other processes hold the
 * core, which read 4-9x low under load; the thread's CPU time counts only
 * the kernel's own cycles (caches and memory bandwidth are still shared).
 * Each line also gives CPU / wall time: well under 1 means the figures were
 * taken under load.  oneDNN is held to one thread, as offsim's kernels.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdl_kernels.h"

#ifdef OFFSIM_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

static double thread_seconds(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) ? 0 : ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One convolution of the shape under test. */
typedef void conv_fn(void *ud);

/* Median GOPS over 5 runs of >= 0.2 s of thread CPU time each; *share gets
 * the CPU / wall time of all runs. */
static double measure(conv_fn *fn, void *ud, double ops, double *share)
{
    double gops[5], cpu = 0, w0 = off_wall_seconds();
    fn(ud); /* warm-up: first-touch pages, oneDNN's lazy set-up */
    for (int r = 0; r < 5; r++) {
        long reps = 0;
        double t0 = thread_seconds(), dt;
        do {
            fn(ud);
            reps++;
            dt = thread_seconds() - t0;
        } while (dt < 0.2);
        gops[r] = ops * (double)reps / dt / 1e9;
        cpu += dt;
    }
    *share = cpu / (off_wall_seconds() - w0);
    qsort(gops, 5, sizeof gops[0], cmp);
    return gops[2];
}

typedef struct shape_buf {
    mdl_dims id, od;
    size_t k, cin, cout, pad, ss;
    int8_t *in, *w, *out;
    int32_t *bias, *mult, *sh;
    mdl_requant rq;
    mdl_conv_params p;
    void *scratch;
    off_err e;
} shape_buf;

static void run_ref(void *ud)
{
    shape_buf *b = ud;
    mdl_conv2d_s8_ref(&b->p, &b->rq, b->id, b->in, b->k, b->k, b->w, b->bias, b->od, b->out,
                      &b->e);
}

static void run_vnni(void *ud)
{
    shape_buf *b = ud;
    mdl_conv2d_s8_vnni(&b->p, &b->rq, b->id, b->in, b->k, b->k, b->w, b->bias, b->od, b->out,
                       b->scratch, b->ss, &b->e);
}

#ifdef OFFSIM_HAVE_DNNL
typedef struct dnnl_conv {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_t prim;
    dnnl_memory_t src, w, bias, dst;
} dnnl_conv;

static void run_dnnl(void *ud)
{
    dnnl_conv *d = ud;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, d->src},
                              {DNNL_ARG_WEIGHTS, d->w},
                              {DNNL_ARG_BIAS, d->bias},
                              {DNNL_ARG_DST, d->dst}};
    dnnl_primitive_execute(d->prim, d->strm, 4, args);
    dnnl_stream_wait(d->strm);
}

/* oneDNN's int8 forward convolution of b's shape: u8 NHWC source, s8
 * weights in the layout oneDNN prefers (reordered once, outside the
 * timing, as offsim's packing is not), s32 bias, per-channel output
 * scales, s8 NHWC destination.  False with a message if oneDNN refuses. */
static bool dnnl_conv_new(dnnl_conv *d, const shape_buf *b, char *impl_name, size_t cap)
{
    memset(d, 0, sizeof *d);
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md, w_any;
    dnnl_dims_t sd = {1, (dnnl_dim_t)b->cin, (dnnl_dim_t)b->id.h, (dnnl_dim_t)b->id.w};
    dnnl_dims_t wd = {(dnnl_dim_t)b->cout, (dnnl_dim_t)b->cin, (dnnl_dim_t)b->k,
                      (dnnl_dim_t)b->k};
    dnnl_dims_t bd = {(dnnl_dim_t)b->cout};
    dnnl_dims_t dd = {1, (dnnl_dim_t)b->cout, (dnnl_dim_t)b->od.h, (dnnl_dim_t)b->od.w};
    dnnl_dims_t strides = {1, 1}, pad = {(dnnl_dim_t)b->pad, (dnnl_dim_t)b->pad};
    dnnl_convolution_desc_t cd;
    dnnl_primitive_attr_t attr;
    dnnl_primitive_desc_t pd = NULL;
    float *scales = malloc(b->cout * sizeof *scales);
    for (size_t c = 0; c < b->cout; c++)
        scales[c] = 0.001f;
    bool ok = dnnl_engine_create(&d->eng, dnnl_cpu, 0) == dnnl_success &&
              dnnl_stream_create(&d->strm, d->eng, dnnl_stream_default_flags) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_u8, dnnl_nhwc) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_s8, dnnl_format_tag_any) ==
                  dnnl_success &&
              dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_s32, dnnl_a) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_s8, dnnl_nhwc) == dnnl_success &&
              dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                                 dnnl_convolution_direct, &src_md, &w_any,
                                                 &b_md, &dst_md, strides, pad, pad) ==
                  dnnl_success &&
              dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok) {
        ok = dnnl_primitive_attr_set_output_scales(attr, (dnnl_dim_t)b->cout, 1 << 1, scales) ==
                 dnnl_success &&
             dnnl_primitive_desc_create(&pd, &cd, attr, d->eng, NULL) == dnnl_success;
        dnnl_primitive_attr_destroy(attr);
    }
    free(scales);
    if (ok) {
        w_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        ok = dnnl_primitive_create(&d->prim, pd) == dnnl_success &&
             dnnl_memory_create(&d->src, &src_md, d->eng, b->in) == dnnl_success &&
             dnnl_memory_create(&d->w, &w_md, d->eng, DNNL_MEMORY_ALLOCATE) == dnnl_success &&
             dnnl_memory_create(&d->bias, &b_md, d->eng, b->bias) == dnnl_success &&
             dnnl_memory_create(&d->dst, &dst_md, d->eng, b->out) == dnnl_success;
        const char *impl = NULL;
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        snprintf(impl_name, cap, "%s", impl ? impl : "?");
        dnnl_primitive_desc_destroy(pd);
    }
    if (ok) { /* the weights' contents do not change the work */
        void *h;
        dnnl_memory_get_data_handle(d->w, &h);
        memset(h, 1, dnnl_memory_desc_get_size(&w_md));
    }
    return ok;
}

static void dnnl_conv_free(dnnl_conv *d)
{
    dnnl_memory_destroy(d->src);
    dnnl_memory_destroy(d->w);
    dnnl_memory_destroy(d->bias);
    dnnl_memory_destroy(d->dst);
    dnnl_primitive_destroy(d->prim);
    dnnl_stream_destroy(d->strm);
    dnnl_engine_destroy(d->eng);
}
#endif

static void shape(const char *name, size_t h, size_t cin, size_t cout, size_t k, size_t pad)
{
    shape_buf b = {.id = {1, h, h, cin},
                   .od = {1, mdl_out_size(h, k, 1, pad), mdl_out_size(h, k, 1, pad), cout},
                   .k = k, .cin = cin, .cout = cout, .pad = pad};
    size_t nin = h * h * cin, nw = cout * k * k * cin, nout = b.od.h * b.od.w * cout;
    b.in = malloc(nin), b.w = malloc(nw), b.out = malloc(nout);
    b.bias = calloc(cout, 4), b.mult = malloc(cout * 4), b.sh = malloc(cout * 4);
    for (size_t i = 0; i < nin; i++)
        b.in[i] = (int8_t)(i * 7 + 3);
    for (size_t i = 0; i < nw; i++)
        b.w[i] = (int8_t)(i * 13 + 1);
    for (size_t c = 0; c < cout; c++)
        mdl_quantize_multiplier(0.001, &b.mult[c], &b.sh[c]);
    b.rq = (mdl_requant){b.mult, b.sh};
    b.p = (mdl_conv_params){1, 1, pad, pad, 1, 5, -3, -128, 127};
    b.ss = mdl_conv2d_s8_vnni_buffer_size(b.od, k, k, cin);
    b.scratch = malloc(b.ss);
    double ops = 2.0 * (double)nout * k * k * cin, share, ref, vnni = 0, dnnl = 0;
    printf("  %-28s", name);
    fflush(stdout);
    ref = measure(run_ref, &b, ops, &share);
    printf(" %8.2f (%.2f)", ref, share);
    if (mdl_kernels_have_vnni()) {
        vnni = measure(run_vnni, &b, ops, &share);
        printf(" %8.2f (%.2f)", vnni, share);
    } else {
        printf(" %15s", "no VNNI");
    }
#ifdef OFFSIM_HAVE_DNNL
    dnnl_conv d;
    char impl[64];
    if (dnnl_conv_new(&d, &b, impl, sizeof impl)) {
        dnnl = measure(run_dnnl, &d, ops, &share);
        printf(" %8.2f (%.2f) %-14s", dnnl, share, impl);
    } else {
        printf(" %15s %-14s", "refused", "");
    }
    dnnl_conv_free(&d);
#endif
    if (dnnl > 0 && vnni > 0)
        printf(" %.2fx", vnni / dnnl);
    printf("\n");
    free(b.in); free(b.w); free(b.out); free(b.bias); free(b.mult); free(b.sh);
    free(b.scratch);
}

int main(void)
{
#ifdef OFFSIM_HAVE_DNNL
    /* oneDNN runs on OpenMP threads: one, as offsim's kernels (libgomp is
     * loaded with oneDNN; its environment was read before main) */
    void (*set_threads)(int);
    *(void **)&set_threads = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set_threads)
        set_threads(1);
    const dnnl_version_t *v = dnnl_version();
    printf("reference: oneDNN %d.%d.%d, one thread\n", v->major, v->minor, v->patch);
#else
    printf("reference: oneDNN skipped (not found when the bench was built: "
           "Debian package libdnnl-dev)\n");
#endif
    printf("int8 conv2d, batch 1, one thread, GOPS = 2 x MACs / s of thread CPU time "
           "(median of 5),\n(CPU / wall time; well under 1 = measured under load)\n");
    printf("  %-28s %15s %15s %15s %-14s %s\n", "shape", "ref", "vnni", "oneDNN", "(its kernel)",
           "vnni/oneDNN");
    shape("3x3 32->64 @ 28x28 pad 1", 28, 32, 64, 3, 1);
    shape("3x3 32->64 @ 14x14 pad 1", 14, 32, 64, 3, 1);
    shape("5x5 1->6 @ 28x28 pad 2", 28, 1, 6, 5, 2);
    shape("3x3 1->32 @ 28x28 pad 1", 28, 1, 32, 3, 1);
    shape("5x5 6->16 @ 14x14", 14, 6, 16, 5, 0);
    return 0;
}
