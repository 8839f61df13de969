/*
 * cmd_models_train.c - `offsim models train|eval MODEL`: train a zoo graph
 * on Fashion-MNIST (mdl_graph.h), and measure a trained one: float and int8
 * accuracy per exit, then accuracy and payload per split and bit-width.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_models_int.h"
#include "mdl_qgraph.h"

static const cli_opt train_opts[] = {
    {"epochs", 0, CLI_UINT, "N", "epochs (default: the model's own)", false, 1,
     MODELS_COUNT_MAX},
    {"seed", 0, CLI_UINT, "N", "seed of the initial weights and the batch order (default 1)",
     false, 1, MODELS_COUNT_MAX},
    {"n-train", 0, CLI_UINT, "N", "train on the first N training images (default: all)",
     false, 1, MODELS_COUNT_MAX},
    {"out", 0, CLI_PATH, "FILE", "the weights to write (default: the zoo's own file)", false,
     0, 0},
};

static int train(const cli_args *a);
static int eval(const cli_args *a);

const cli_cmd models_train_spec = {
    .name = "models train", .args = "MODEL", .min_pos = 1, .max_pos = 1,
    .summary = "train a zoo model (reproduces the shipped weights)",
    .about = "Trains the trained zoo model MODEL (mexit, alexnet-mx, alexnet-5x) on the\n"
    "Fashion-MNIST training set with its own recipe and writes its weights; the\n"
    "defaults reproduce the shipped weights bit for bit.\n",
    CLI_OPTS(train_opts), .run = train};

static const cli_opt eval_opts[] = {
    {"n", 0, CLI_UINT, "N", "the first N test images (default: all 10,000)", false, 1,
     MODELS_COUNT_MAX},
};

const cli_cmd models_eval_spec = {
    .name = "models eval", .args = "MODEL [WEIGHTS]", .min_pos = 1, .max_pos = 2,
    .summary = "float/int8 accuracy, per-split b-bit tables",
    .about = "Measures the trained zoo model MODEL (with WEIGHTS, default the zoo's) on\n"
    "the test set: float and int8 accuracy per exit, then for every split point\n"
    "and bit-width of the split tensor the accuracy and the payload really sent.\n",
    CLI_OPTS(eval_opts), .run = eval};

/* Train sp as cfg says from fresh weights, save to out: the test accuracy
 * per exit in acc. */
static off_status train_graph(const mdl_gspec *sp, const mdl_train_cfg *cfg,
                              const mdl_dataset *tr, const mdl_dataset *te, const char *out,
                              double *acc, off_err *err)
{
    mdl_graph g;
    mdl_trainer *t = NULL;
    off_status st = mdl_graph_init(&g, sp, err);
    if (st == OFF_OK && !(t = mdl_trainer_new(&g, sp->batch)))
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == OFF_OK) {
        mdl_graph_init_params(&g, cfg->seed);
        st = mdl_graph_train(t, tr, cfg, err);
    }
    if (st == OFF_OK) {
        mdl_graph_eval(t, te, 0, acc);
        st = mdl_graph_save(&g, out, err);
    }
    mdl_trainer_free(t);
    mdl_graph_free(&g);
    return st;
}

static int train(const cli_args *a)
{
    const mdl_gspec *sp;
    char *out;
    int rc = models_zoo_graph(a, cli_str(a, "out", NULL), &sp, &out);
    off_err err = {0};
    mdl_dataset tr, te;
    if (!rc && !(rc = models_load_fashion(&tr, &te, &err))) {
        mdl_train_cfg cfg = {cli_uint(a, "epochs", sp->epochs), sp->batch,
                             cli_uint(a, "n-train", 0), sp->lr, sp->weight_decay,
                             cli_uint(a, "seed", 1), 1};
        double t0 = off_wall_seconds(), acc[MDL_GRAPH_MAX_EXITS];
        off_status st = train_graph(sp, &cfg, &tr, &te, out, acc, &err);
        if (st == OFF_OK) {
            printf("%s: %zu epochs, seed %zu, %.1f s; weights -> %s\n", sp->name,
                   (size_t)cfg.epochs, (size_t)cfg.seed, off_wall_seconds() - t0, out);
            models_print_acc(sp, "float test accuracy (10,000 images)", acc);
        }
        mdl_dataset_free(&tr);
        mdl_dataset_free(&te);
        rc = st == OFF_OK ? 0 : cli_fail(st, &err);
    }
    free(out);
    return rc;
}

/* The bit-widths of the eval tables.  32 is no bit-width of the codec: the
 * device's int8 tensor reaches the server unchanged (so its accuracy is the
 * int8 model's) and its bytes are counted as float32, uncompressed. */
static const int eval_bits[] = {2, 4, 6, 8, 32};
#define EVAL_NB (sizeof eval_bits / sizeof eval_bits[0])

/* Per split: the final exit's accuracy and the mean payload at each
 * bit-width (acc, pay as mdl_qgraph_eval fills them). */
static void print_split_table(const mdl_graph *g, const double *acc, const double *pay)
{
    size_t L = g->spec->n_layers, E = g->spec->n_exits;
    printf("\nper split: accuracy of each exit the server computes, mean payload "
           "(bytes, zlib)\n%-6s %-8s", "split", "after");
    for (size_t k = 0; k < EVAL_NB; k++)
        if (eval_bits[k] == 32)
            printf(" | int8 acc%%  bytes");
        else
            printf(" | b=%-2d acc%%  bytes", eval_bits[k]);
    printf("\n");
    for (size_t s = 0; s <= L; s++) {
        printf("%-6zu %-8s", s, s ? g->node[s - 1].spec->name : "input");
        for (size_t k = 0; k < EVAL_NB; k++) {
            size_t cell = s * EVAL_NB + k;
            printf(" | %6.2f %7.0f", acc[cell * E + E - 1] * 100, pay[cell]);
        }
        printf("\n");
    }
    printf("int8: the split tensor reaches the server unchanged (the int8 accuracy); its\n"
           "bytes are float32's, uncompressed (12-byte header + 4 per value): what\n"
           "`bits: 32` costs in a scenario.\n");
}

/* Per split and exit at 2 / 4 / 6 bits (exits before the split are the
 * device's, unaffected by the bit-width). */
static void print_exit_table(const mdl_gspec *sp, const double *acc)
{
    size_t L = sp->n_layers, E = sp->n_exits;
    printf("\nper split and exit at b = 2 / 4 / 6 bits (exits on the device are "
           "unaffected):\n");
    for (size_t s = 0; s < L; s++) {
        printf("split %-2zu", s);
        for (size_t e = 0; e < E; e++)
            if (sp->exits[e].after > s)
                printf("  %s %.2f/%.2f/%.2f", sp->exits[e].name,
                       acc[(s * EVAL_NB + 0) * E + e] * 100,
                       acc[(s * EVAL_NB + 1) * E + e] * 100,
                       acc[(s * EVAL_NB + 2) * E + e] * 100);
        printf("\n");
    }
}

/* The int8 tables of a trained model on the first n test images. */
static off_status eval_tables(const mdl_graph *g, const mdl_dataset *tr, const mdl_dataset *te,
                              size_t n, off_err *err)
{
    const mdl_gspec *sp = g->spec;
    size_t L = sp->n_layers, E = sp->n_exits;
    mdl_qgraph *q = NULL;
    off_status st = mdl_qgraph_new(&q, g, tr, 2000, err);
    if (st)
        return st;
    double *acc = malloc((L + 1) * EVAL_NB * E * sizeof *acc);
    double *pay = malloc((L + 1) * EVAL_NB * sizeof *pay), i8[MDL_GRAPH_MAX_EXITS];
    if (!acc || !pay)
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    double t0 = off_wall_seconds();
    if (!st)
        st = mdl_qgraph_eval(q, te, n, eval_bits, EVAL_NB, acc, pay, i8, err);
    if (!st) {
        size_t nn = n && n < te->n ? n : te->n;
        printf("int8 (per-channel weights, activations calibrated on 2,000 training "
               "images), %zu test images, %.1f s:\n", nn, off_wall_seconds() - t0);
        models_print_acc(sp, "int8 test accuracy", i8);
        print_split_table(g, acc, pay);
        print_exit_table(sp, acc);
    }
    free(acc);
    free(pay);
    mdl_qgraph_free(q);
    return st;
}

/* Float accuracy, then the int8 tables, of g (weights from path). */
static off_status eval_graph(mdl_graph *g, const char *path, const mdl_dataset *tr,
                             const mdl_dataset *te, size_t n, off_err *err)
{
    mdl_trainer *t = mdl_trainer_new(g, 256);
    if (!t)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    double acc[MDL_GRAPH_MAX_EXITS];
    mdl_graph_eval(t, te, n, acc);
    mdl_trainer_free(t);
    printf("%s (%s, crc %08x)\n", g->spec->name, path, g->crc);
    models_print_acc(g->spec, "float test accuracy", acc);
    return eval_tables(g, tr, te, n, err);
}

static int eval(const cli_args *a)
{
    const mdl_gspec *sp;
    char *path;
    int rc = models_zoo_graph(a, a->n_pos > 1 ? a->pos[1] : NULL, &sp, &path);
    off_err err = {0};
    mdl_graph g;
    mdl_dataset tr, te;
    if (!rc && !(rc = models_open_graph(sp, path, &g, &err))) {
        if (!(rc = models_load_fashion(&tr, &te, &err))) {
            off_status st = eval_graph(&g, path, &tr, &te, cli_uint(a, "n", 0), &err);
            rc = st == OFF_OK ? 0 : cli_fail(st, &err);
            mdl_dataset_free(&tr);
            mdl_dataset_free(&te);
        }
        mdl_graph_free(&g);
    }
    free(path);
    return rc;
}
