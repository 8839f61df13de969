/*
 * bench_kernels.c - int8 conv2d throughput, GOPS = 2 x MACs per second,
 * single thread, median of 5 runs, for the scalar reference and the AVX-512
 * VNNI path (when the CPU has it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_kernels.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void shape(const char *name, size_t h, size_t cin, size_t cout, size_t k, size_t pad)
{
    mdl_dims id = {1, h, h, cin};
    mdl_dims od = {1, mdl_out_size(h, k, 1, pad), mdl_out_size(h, k, 1, pad), cout};
    size_t nin = h * h * cin, nw = cout * k * k * cin, nout = od.h * od.w * cout;
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
    size_t ss = mdl_conv2d_s8_vnni_buffer_size(od, k, k, cin);
    void *scratch = malloc(ss);
    double ops = 2.0 * (double)nout * k * k * cin;
    off_err e;
    for (int v = 0; v < 2; v++) {
        if (v == 1 && !mdl_kernels_have_vnni()) {
            printf("  %-28s %-6s (no AVX-512 VNNI on this CPU)\n", name, "vnni");
            continue;
        }
        double gops[5];
        for (int r = 0; r < 5; r++) {
            int reps = 0;
            double t0 = off_wall_seconds(), dt;
            do {
                if (v == 0)
                    mdl_conv2d_s8_ref(&p, &rq, id, in, k, k, w, bias, od, out, &e);
                else
                    mdl_conv2d_s8_vnni(&p, &rq, id, in, k, k, w, bias, od, out, scratch, ss,
                                       &e);
                reps++;
                dt = off_wall_seconds() - t0;
            } while (dt < 0.2);
            gops[r] = ops * reps / dt / 1e9;
        }
        qsort(gops, 5, sizeof gops[0], cmp);
        printf("  %-28s %-6s %8.2f GOPS\n", name, v ? "vnni" : "ref", gops[2]);
    }
    free(in); free(w); free(out); free(bias); free(mult); free(sh); free(scratch);
}

int main(void)
{
    printf("int8 conv2d, batch 1, GOPS = 2 x MACs / s (median of 5)\n");
    shape("3x3 32->64 @ 28x28 pad 1", 28, 32, 64, 3, 1);
    shape("3x3 32->64 @ 14x14 pad 1", 14, 32, 64, 3, 1);
    shape("5x5 1->6 @ 28x28 pad 2", 28, 1, 6, 5, 2);
    shape("5x5 6->16 @ 14x14", 14, 6, 16, 5, 0);
    return 0;
}
