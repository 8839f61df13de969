/* mdl_trained.c - a trained zoo model for the simulator.  See mdl_trained.h. */
#include "mdl_trained.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_infer.h"
#include "mdl_qgraph.h"

struct mdl_trained {
    mdl_graph g;
    mdl_qgraph *q;
    mdl_qctx *ctx;
    mdl_dataset test;
    mdl_model model;
    mdl_cache *cache;
    double *payload_mean;   /* mdl_trained_payload_mean, once computed */
    char warning[1100];
};

static const int BITS[] = {2, 4, 6, 8, 32};
#define N_BITS (sizeof BITS / sizeof BITS[0])

static int bits_index(int bits)
{
    for (size_t k = 0; k < N_BITS; k++)
        if (BITS[k] == bits)
            return (int)k;
    return -1;
}

static off_status fill(void *ud, uint32_t sample, uint32_t split, uint32_t bits_idx,
                       mdl_cache_rec *out, off_err *err)
{
    mdl_trained *t = ud;
    size_t isz = t->test.rows * t->test.cols;
    mdl_qresult r;
    off_status st = mdl_qgraph_infer(t->q, t->ctx, t->test.images + (size_t)sample * isz, split,
                                     BITS[bits_idx], &r, err);
    if (st)
        return st;
    memset(out, 0, sizeof *out);
    out->payload = r.payload;
    for (size_t e = 0; e < t->g.spec->n_exits; e++) {
        out->pred[e] = r.pred[e];
        out->max_prob[e] = r.max_prob[e];
        out->entropy[e] = r.entropy[e];
    }
    return OFF_OK;
}

off_status mdl_trained_get(mdl_trained *t, size_t sample, size_t split, int bits,
                           mdl_cache_rec *r, off_err *err)
{
    int k = bits_index(bits);
    size_t L = t->g.spec->n_layers;
    if (k < 0 || sample >= t->test.n || split > L)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "model '%s': no answer for sample %zu, split %zu, %d bits",
                        t->g.spec->name, sample, split, bits);
    if (split == L) /* nothing sent: every bit-width gives the same record */
        k = 0;
    return mdl_cache_get(t->cache, (uint32_t)sample, (uint32_t)split, (uint32_t)k, r, err);
}

off_status mdl_trained_open(mdl_trained **out, const char *name, const char *weights_path,
                            const char *zoo_dir, bool use_cache, const char **warning,
                            off_err *err)
{
    *out = NULL;
    if (warning)
        *warning = NULL;
    const mdl_gspec *sp = mdl_zoo_graph(name);
    if (!sp)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "no trained model '%s' in the zoo", name);
    mdl_trained *t = calloc(1, sizeof *t);
    if (!t)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    char path[4096];
    if (weights_path)
        snprintf(path, sizeof path, "%s", weights_path);
    else
        snprintf(path, sizeof path, "%s/%s", zoo_dir, sp->weights);
    mdl_dataset train = {0};
    off_status st = mdl_graph_init(&t->g, sp, err);
    if (!st)
        st = mdl_graph_load(&t->g, path, err);
    if (!st)
        st = mdl_dataset_load_fashion(&train, NULL, false, err);
    if (!st)
        st = mdl_dataset_load_fashion(&t->test, NULL, true, err);
    if (!st)
        st = mdl_qgraph_new(&t->q, &t->g, &train, MDL_TRAINED_CALIBRATION, err);
    mdl_dataset_free(&train);
    if (!st && !(t->ctx = mdl_qctx_new(t->q)))
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (!st) {
        size_t isz = t->test.rows * t->test.cols;
        uint64_t cfg = off_hash_bytes(BITS, sizeof BITS, 0x0ff5ca11);
        cfg = off_mix64(cfg ^ MDL_TRAINED_CALIBRATION ^ ((uint64_t)MDL_COMPRESS_ZLIB << 32));
        mdl_cache_dims d = {t->g.crc,
                            off_hash_bytes(t->test.labels, t->test.n,
                                           off_hash_bytes(t->test.images, t->test.n * isz, 1)),
                            cfg, (uint32_t)t->test.n, (uint32_t)(sp->n_layers + 1),
                            (uint32_t)N_BITS, (uint32_t)sp->n_exits};
        char cpath[4200];
        const char *cp = NULL;
        if (use_cache && !(st = mdl_cache_path(cpath, sizeof cpath, path, &d, err)))
            cp = cpath;
        if (!st)
            st = mdl_cache_open(&t->cache, cp, &d, fill, t, err);
        const char *why = NULL;
        if (!st && mdl_cache_load_state(t->cache, &why) == MDL_CACHE_CORRUPT && why) {
            snprintf(t->warning, sizeof t->warning, "%s (recomputing the inference cache)",
                     why);
            if (warning)
                *warning = t->warning;
        }
    }
    /* the cost view, with the int8 accuracy of every exit on the test set */
    double acc[MDL_GRAPH_MAX_EXITS] = {0};
    for (size_t i = 0; !st && i < t->test.n; i++) {
        mdl_cache_rec r;
        if ((st = mdl_trained_get(t, i, sp->n_layers, 8, &r, err)))
            break;
        for (size_t e = 0; e < sp->n_exits; e++)
            acc[e] += r.pred[e] == t->test.labels[i];
    }
    for (size_t e = 0; !st && e < sp->n_exits; e++)
        acc[e] /= (double)t->test.n;
    if (!st)
        st = mdl_graph_cost_model(&t->g, acc, &t->model, err);
    if (st) {
        off_err ignore;
        mdl_trained_close(t, &ignore);
        return st;
    }
    *out = t;
    return OFF_OK;
}

off_status mdl_trained_close(mdl_trained *t, off_err *err)
{
    if (!t)
        return OFF_OK;
    off_status st = t->cache ? mdl_cache_save(t->cache, err) : OFF_OK;
    mdl_cache_close(t->cache);
    mdl_model_free(&t->model);
    free(t->payload_mean);
    mdl_qctx_free(t->ctx);
    mdl_qgraph_free(t->q);
    mdl_dataset_free(&t->test);
    mdl_graph_free(&t->g);
    free(t);
    return st;
}

const mdl_model *mdl_trained_model(const mdl_trained *t)
{
    return &t->model;
}

const mdl_graph *mdl_trained_graph(const mdl_trained *t)
{
    return &t->g;
}

size_t mdl_trained_n_samples(const mdl_trained *t)
{
    return t->test.n;
}

uint8_t mdl_trained_label(const mdl_trained *t, size_t sample)
{
    return t->test.labels[sample];
}

void mdl_trained_stats(const mdl_trained *t, mdl_cache_stats *s)
{
    mdl_cache_get_stats(t->cache, s);
}

off_status mdl_trained_payload_mean(mdl_trained *t, const double **out, off_err *err)
{
    *out = t->payload_mean;
    if (t->payload_mean)
        return OFF_OK;
    size_t n = (t->g.spec->n_layers + 1) * N_BITS;
    double *pay = malloc(n * sizeof *pay);
    if (!pay)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    off_status st = mdl_qgraph_eval(t->q, &t->test, MDL_TRAINED_PAYLOAD_PROFILE, BITS, N_BITS,
                                    NULL, pay, NULL, err);
    if (st != OFF_OK) {
        free(pay);
        return st;
    }
    *out = t->payload_mean = pay;
    return OFF_OK;
}
