/*
 * bench_kernels_isa.c - int8 conv2d and fully connected throughput for every
 * variant (scalar reference, AVX2, AVX-512 VNNI) through the dispatching
 * wrappers with mdl_kernels_force.  GOPS = 2 x MACs per second of the
 * thread's CPU time (not wall time, which counts other processes' turns
 * on a shared machine), single thread, batch 1, median of 5 runs of
 * >= 0.1 s each; oneDNN side by side: bench_kernels.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mdl_k_dispatch.h"

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

static const mdl_isa isas[3] = {MDL_ISA_REF, MDL_ISA_AVX2, MDL_ISA_VNNI};

/* k == 0: fully connected c_in -> c_out; else a k x k conv on h x h. */
static void shape(const char *name, size_t h, size_t cin, size_t cout, size_t k, size_t pad)
{
    bool fc = k == 0;
    mdl_dims id = {1, fc ? 1 : h, fc ? 1 : h, cin};
    mdl_dims od = {1, fc ? 1 : mdl_out_size(h, k, 1, pad), fc ? 1 : mdl_out_size(h, k, 1, pad),
                   cout};
    size_t kk = fc ? 1 : k;
    size_t nin = id.h * id.w * cin, nw = cout * kk * kk * cin, nout = od.h * od.w * cout;
    int8_t *in = malloc(nin), *w = malloc(nw), *out = malloc(nout);
    int32_t *bias = calloc(cout, 4), *mult = malloc(cout * 4), *sh = malloc(cout * 4);
    for (size_t i = 0; i < nin; i++)
        in[i] = (int8_t)(i * 7 + 3);
    for (size_t i = 0; i < nw; i++)
        w[i] = (int8_t)(i * 13 + 1);
    for (size_t c = 0; c < cout; c++)
        mdl_quantize_multiplier(0.001, &mult[c], &sh[c]);
    mdl_requant rq = {mult, sh};
    mdl_conv_params p = {1, 1, pad, pad, 1, 5, -3, -128, 127};
    size_t ss = fc ? 0 : mdl_conv2d_s8_get_buffer_size(od, k, k, cin);
    void *scratch = malloc(ss ? ss : 1);
    double ops = 2.0 * (double)nout * kk * kk * cin;
    off_err e;
    printf("  %-26s", name);
    for (int v = 0; v < 3; v++) {
        if (mdl_kernels_force(isas[v]) != OFF_OK) {
            printf("  %s: n/a", mdl_isa_str(isas[v]));
            continue;
        }
        double gops[5];
        for (int r = 0; r < 5; r++) {
            long reps = 0;
            double t0 = thread_seconds(), dt;
            do {
                if (fc)
                    mdl_fc_s8(&p, &rq, 1, cin, in, w, bias, cout, out, &e);
                else
                    mdl_conv2d_s8(&p, &rq, id, in, k, k, w, bias, od, out, scratch, ss, &e);
                reps++;
                dt = thread_seconds() - t0;
            } while (dt < 0.1);
            gops[r] = ops * (double)reps / dt / 1e9;
        }
        qsort(gops, 5, sizeof gops[0], cmp);
        printf("  %s %8.2f", mdl_isa_str(isas[v]), gops[2]);
    }
    printf("  GOPS\n");
    mdl_kernels_force(MDL_ISA_AUTO);
    free(in); free(w); free(out); free(bias); free(mult); free(sh); free(scratch);
}

int main(void)
{
    printf("int8 kernels, batch 1, one thread, GOPS = 2 x MACs / s of thread CPU time "
           "(median of 5)\n");
    shape("conv 3x3 32->64 @ 28x28 p1", 28, 32, 64, 3, 1);
    shape("conv 3x3 32->64 @ 14x14 p1", 14, 32, 64, 3, 1);
    shape("conv 5x5 1->6 @ 28x28 p2", 28, 1, 6, 5, 2);
    shape("fc 400->120", 0, 400, 120, 0, 0);
    shape("fc 1024->10", 0, 1024, 10, 0, 0);
    printf("the zoo's trained models (models/mdl_zoo.c):\n");
    shape("mexit conv1 5x5 1->16 @28", 28, 1, 16, 5, 2);
    shape("mexit conv2 5x5 16->32 @14", 14, 16, 32, 5, 2);
    shape("mexit fc1 1568->128", 0, 1568, 128, 0, 0);
    shape("mexit early 3136->10", 0, 3136, 10, 0, 0);
    shape("alex conv1 3x3 1->32 @28", 28, 1, 32, 3, 1);
    shape("alex conv2 3x3 32->64 @14", 14, 32, 64, 3, 1);
    shape("alex conv3 3x3 64->96 @7", 7, 64, 96, 3, 1);
    shape("alex conv4 3x3 96->96 @7", 7, 96, 96, 3, 1);
    shape("alex conv5 3x3 96->64 @7", 7, 96, 64, 3, 1);
    shape("alex fc6 576->256", 0, 576, 256, 0, 0);
    shape("alex fc7 256->128", 0, 256, 128, 0, 0);
    shape("alex exit1 6272->10", 0, 6272, 10, 0, 0);
    return 0;
}
