/*
 * bench_trained.c - the zoo's trained models end to end: one int8
 * inference (no split, and split in the middle at 4 bits, which adds the
 * codec), and a warm inference-cache lookup through mdl_trained_get, the
 * path a simulated task takes.  Single thread; medians of 5.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mdl_qgraph.h"
#include "mdl_trained.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(const char *name)
{
    off_err e;
    mdl_trained *t;
    const char *warn;
    if (mdl_trained_open(&t, name, NULL, OFFSIM_SOURCE_DIR "/models/zoo", false, &warn, &e)) {
        printf("  %s: %s\n", name, e.msg);
        return;
    }
    const mdl_graph *g = mdl_trained_graph(t);
    mdl_dataset tr;
    if (mdl_dataset_load_fashion(&tr, NULL, false, &e)) {
        printf("  %s\n", e.msg);
        mdl_trained_close(t, &e);
        return;
    }
    mdl_qgraph *q;
    mdl_qgraph_new(&q, g, &tr, MDL_TRAINED_CALIBRATION, &e);
    mdl_qctx *c = mdl_qctx_new(q);
    size_t L = g->spec->n_layers, splits[2] = {L, L / 2};
    int bits[2] = {8, 4};
    double macs = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        macs += g->node[i].macs;
    for (int v = 0; v < 2; v++) {
        double us[5];
        for (int r = 0; r < 5; r++) {
            long n = 0;
            double t0 = off_wall_seconds(), dt;
            mdl_qresult res;
            do {
                mdl_qgraph_infer(q, c, tr.images + (size_t)(n % 1000) * 784, splits[v], bits[v],
                                 &res, &e);
                n++;
                dt = off_wall_seconds() - t0;
            } while (dt < 0.2);
            us[r] = dt / (double)n * 1e6;
        }
        qsort(us, 5, sizeof us[0], cmp);
        printf("  %-11s int8 inference, split %2zu at %d bits: %8.1f us  (%.2f MMAC, %.1f "
               "GOPS)\n", name, splits[v], bits[v], us[2], macs / 1e6,
               2 * macs / (us[2] * 1e-6) / 1e9);
    }
    /* the same 1,000 records, then lookups only */
    mdl_cache_rec r;
    for (size_t i = 0; i < 1000; i++)
        mdl_trained_get(t, i, L / 2, 4, &r, &e);
    double ns[5];
    unsigned sink = 0;
    for (int k = 0; k < 5; k++) {
        long n = 0;
        double t0 = off_wall_seconds(), dt;
        do {
            for (size_t i = 0; i < 1000; i++) {
                mdl_trained_get(t, (i * 617) % 1000, L / 2, 4, &r, &e);
                sink += r.pred[0];
            }
            n += 1000;
            dt = off_wall_seconds() - t0;
        } while (dt < 0.1);
        ns[k] = dt / (double)n * 1e9;
    }
    qsort(ns, 5, sizeof ns[0], cmp);
    printf("  %-11s warm cache lookup (mdl_trained_get): %.1f ns%s\n", name, ns[2],
           sink == 1 ? " " : "");
    mdl_qctx_free(c);
    mdl_qgraph_free(q);
    mdl_dataset_free(&tr);
    mdl_trained_close(t, &e);
}

int main(void)
{
    printf("trained models, one thread (medians of 5)\n");
    bench("mexit");
    bench("alexnet-mx");
    return 0;
}
