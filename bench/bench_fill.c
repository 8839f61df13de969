/*
 * bench_fill.c - filling a trained model's inference cache: every (split,
 * bits) record of N test images one forward pass at a time (the images
 * interleaved, so that each miss is on another image than the last and
 * fills one record), against mdl_trained_fill_threads on N other images
 * an image at a time (the device's layers once for all its cells, no
 * server run for a tensor that arrives intact) in one thread, and on N
 * more images in T threads.  Memory-only cache; process CPU time and wall
 * time; the full cache's time extrapolated from N images to the whole
 * test set.
 *
 *   bench_fill [MODEL [N [T]]]    (default alexnet-mx, 50 images, T = the
 *                                  online cores)
 *
 * Run from the repository root (make bench does).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mdl_trained.h"

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static const int bits[] = {2, 4, 6, 8, 32};
    const char *name = argc > 1 ? argv[1] : "alexnet-mx";
    size_t n = argc > 2 ? (size_t)atol(argv[2]) : 50;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = argc > 3 ? (size_t)atol(argv[3]) : online > 0 ? (size_t)online : 1;
    off_err e;
    mdl_trained *t;
    if (mdl_trained_open(&t, name, NULL, OFFSIM_SOURCE_DIR "/models/zoo", false, NULL, &e)) {
        fprintf(stderr, "bench_fill: %s\n", e.msg);
        return 1;
    }
    size_t L = mdl_trained_graph(t)->spec->n_layers, cells = L * 5 + 1,
           total = mdl_trained_n_samples(t);
    n = n < 1 ? 1 : n > total / 3 ? total / 3 : n;
    threads = threads < 1 ? 1 : threads;
    double t0 = cpu();
    for (size_t c = 0; c < cells; c++)
        for (size_t i = 0; i < n; i++) {
            mdl_cache_rec r;
            if (mdl_trained_get(t, i, c / 5, bits[c % 5], &r, &e))
                goto fail;
        }
    double one = (cpu() - t0) / (double)n;
    t0 = cpu();
    double w0 = off_wall_seconds();
    if (mdl_trained_fill_threads(t, n, n, 1, &e))
        goto fail;
    double batch = (cpu() - t0) / (double)n, batch_w = (off_wall_seconds() - w0) / (double)n;
    t0 = cpu();
    w0 = off_wall_seconds();
    if (mdl_trained_fill_threads(t, 2 * n, n, threads, &e))
        goto fail;
    double par = (cpu() - t0) / (double)n, par_w = (off_wall_seconds() - w0) / (double)n;
    printf("bench_fill: %s, %zu splits x 5 bit-widths (+ no split) = %zu records an image, "
           "%zu images each way; ms an image, full cache of %zu images (s)\n", name, L, cells,
           n, total);
    printf("  one record at a time:          CPU %7.2f ms %7.1f s\n", 1e3 * one,
           one * (double)total);
    printf("  an image at a time, 1 thread:  CPU %7.2f ms %7.1f s (%.2fx)  wall %7.2f ms "
           "%7.1f s\n", 1e3 * batch, batch * (double)total, one / batch, 1e3 * batch_w,
           batch_w * (double)total);
    printf("  an image at a time, %zu threads: CPU %7.2f ms %7.1f s          wall %7.2f ms "
           "%7.1f s (%.2fx the 1-thread wall)\n", threads, 1e3 * par, par * (double)total,
           1e3 * par_w, par_w * (double)total, batch_w / par_w);
    mdl_trained_close(t, &e);
    return 0;
fail:
    fprintf(stderr, "bench_fill: %s\n", e.msg);
    return 1;
}
