/*
 * cmd_models.c - `offsim models`: the model zoo.
 *
 *   offsim models list                 architectures and model files
 *   offsim models info NAME|FILE       layers, split points, exits, payloads
 *   offsim models export NAME [--out FILE]   an architecture as a model file
 *   offsim models train|eval MODEL ...       a trained zoo model (mdl_graph.h)
 *   offsim models profile MODEL [--reps N] [--out FILE]
 *                                      a measured profile of MODEL on this host
 *
 * NAME is an architecture (mdl_arch.h), or a model file: a path, or the
 * name of a file in models/zoo/ without ".yaml".
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "mdl_arch.h"
#include "mdl_graph.h"
#include "mdl_k_dispatch.h"
#include "mdl_profile.h"
#include "mdl_qgraph.h"
#include "mdl_trained.h"
#include "mdl_trained.h"
#include "scn.h"
#include "sim.h"

static const char *usage_models =
    "usage: offsim models list\n"
    "       offsim models info NAME|FILE\n"
    "       offsim models export NAME [--out FILE]\n"
    "       offsim models train MODEL [--epochs N] [--seed N] [--n-train N] [--out FILE]\n"
    "       offsim models eval MODEL [WEIGHTS] [--n N]\n"
    "       offsim models profile MODEL [--reps N] [--out FILE]\n"
    "\n"
    "NAME is an architecture (see `offsim models list`) or the name of a model\n"
    "file in models/zoo/; FILE is the path of a model file.  `export` writes an\n"
    "architecture as a model file that scenarios can name with `model: FILE`.\n"
    "MODEL is a trained zoo model (mexit, alexnet-mx).  `profile` times MODEL's\n"
    "int8 kernels layer by layer on this host (the median of N runs, default 21,\n"
    "on each of 5 test images, then over the images) and writes a hardware\n"
    "profile of kind `measured` (docs/models.md, \"Measured profiles\") to FILE,\n"
    "default stdout; the per-layer table goes to stdout with --out, else stderr.\n";

static const char *zoo_dir(void)
{
    const char *env = getenv("OFFSIM_ZOO");
    return env && *env ? env : OFFSIM_SOURCE_DIR "/models/zoo";
}

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int models_list(void)
{
    size_t n;
    const mdl_arch_info *a = mdl_arch_list(&n);
    printf("architectures (no weights; `offsim models export NAME`):\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-12s %5.2f GMAC  top-1 %5.2f %%  %s\n", a[i].name,
               a[i].published_gmacs, a[i].top1 * 100, a[i].summary);
    size_t ng;
    const mdl_gspec *const *z = mdl_zoo_graphs(&ng);
    printf("trained multi-exit models (weights in the zoo; `offsim models "
           "info|eval|train|profile NAME`, scenarios: `model: {kind: trained, name: NAME}`):\n");
    for (size_t i = 0; i < ng; i++) {
        mdl_graph g;
        off_err e;
        double macs = 0;
        if (mdl_graph_init(&g, z[i], &e) == OFF_OK)
            for (size_t k = 0; k < g.n_nodes; k++)
                macs += g.node[k].macs;
        mdl_graph_free(&g);
        printf("  %-12s %5.2f MMAC  %-22s %s\n", z[i]->name, macs / 1e6, z[i]->weights,
               z[i]->summary);
    }
    printf("model files in %s:\n", zoo_dir());
    DIR *d = opendir(zoo_dir());
    if (!d) {
        printf("  (none)\n");
        return 0;
    }
    char *names[256];
    size_t k = 0;
    struct dirent *de;
    while ((de = readdir(d)) && k < 256) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0)
            names[k++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, k, sizeof *names, by_name);
    for (size_t i = 0; i < k; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", zoo_dir(), names[i]);
        scn_model sm;
        off_err err = {0};
        if (scn_load_model_file(&sm, path, &err) == OFF_OK) {
            double macs = 0;
            for (size_t l = 0; l < sm.n_layers; l++)
                macs += sm.layers[l].macs;
            printf("  %-24s %-16s %2zu layers, %zu exit%s, %.4g MMAC\n", names[i],
                   sm.name, sm.n_layers, sm.n_exits, sm.n_exits == 1 ? "" : "s",
                   macs / 1e6);
            scn_model_free(&sm);
        } else {
            printf("  %-24s (invalid: %s)\n", names[i], err.msg);
        }
        free(names[i]);
    }
    return 0;
}

/* Resolve NAME|FILE into a model view.  A trained zoo model is opened for
 * real: its exit accuracies are the int8 ones on the test set (through the
 * inference cache beside its weights). */
static off_status resolve(mdl_model *m, const char *what, off_err *err)
{
    if (mdl_zoo_graph(what)) {
        mdl_trained *t;
        const char *warn;
        off_status st = mdl_trained_open(&t, what, NULL, zoo_dir(), true, &warn, err);
        if (st)
            return st;
        if (warn)
            fprintf(stderr, "offsim: warning: %s\n", warn);
        const mdl_model *tm = mdl_trained_model(t);
        double acc[MDL_GRAPH_MAX_EXITS];
        for (size_t e = 0; e < tm->n_exits; e++)
            acc[e] = tm->exits[e].accuracy;
        st = mdl_graph_cost_model(mdl_trained_graph(t), acc, m, err);
        off_err ignore;
        mdl_trained_close(t, &ignore);
        return st;
    }
    size_t n;
    const mdl_arch_info *a = mdl_arch_list(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, what) == 0)
            return mdl_arch_build(m, what, err);
    char path[4096];
    if (is_file(what))
        snprintf(path, sizeof path, "%s", what);
    else
        snprintf(path, sizeof path, "%s/%s.yaml", zoo_dir(), what);
    if (!is_file(path)) {
        const char *names[32];
        size_t k = n < 32 ? n : 32;
        for (size_t i = 0; i < k; i++)
            names[i] = a[i].name;
        const char *dym = off_did_you_mean(what, names, k);
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "'%s' is neither an architecture%s%s%s nor a model file "
                        "(see `offsim models list`)",
                        what, dym ? " (did you mean '" : "", dym ? dym : "",
                        dym ? "'?)" : "");
    }
    scn_model sm;
    off_status st = scn_load_model_file(&sm, path, err);
    if (st != OFF_OK)
        return st;
    st = sim_model_from_scn(m, &sm, path, err);
    scn_model_free(&sm);
    return st;
}

static int models_info(const char *what)
{
    mdl_model m;
    off_err err = {0};
    off_status st = resolve(&m, what, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    double total = m.prefix_macs[m.n_layers];
    printf("model %s: %zu layers, %zu exit%s, %.6g MMAC, input %.0f B, result %.0f B\n",
           m.name, m.n_layers, m.n_exits, m.n_exits == 1 ? "" : "s", total / 1e6,
           m.input_bytes, m.result_bytes);
    printf("\nsplit  after layer        MMAC   device %%   out (float32)");
    for (size_t b = 0; b < m.n_bits; b++)
        if (m.bits[b] != 32)
            printf("  %2d-bit", m.bits[b]);
    printf("\n");
    printf("%5d  %-14s %9s %9.1f %12.0f B  (raw input)\n", 0, "(input)", "-", 0.0,
           m.input_bytes);
    for (size_t i = 0; i < m.n_layers; i++) {
        const mdl_layer *l = &m.layers[i];
        printf("%5zu  %-14s %9.3f %9.1f %12.0f B", i + 1, l->name, l->macs / 1e6,
               total > 0 ? 100.0 * m.prefix_macs[i + 1] / total : 0.0, l->out_bytes);
        for (size_t b = 0; b < m.n_bits; b++)
            if (m.bits[b] != 32)
                printf("  %6.0f", i + 1 < m.n_layers
                                      ? mdl_payload_bytes(&m, m.n_exits - 1, i + 1, m.bits[b])
                                      : 0.0);
        printf("\n");
    }
    printf("\nexit   after layer     branch MMAC  accuracy\n");
    for (size_t e = 0; e < m.n_exits; e++)
        printf("%-6s %-14s %12.3f  %7.2f %%\n", m.exits[e].name,
               m.layers[m.exits[e].after - 1].name, m.exits[e].macs / 1e6,
               m.exits[e].accuracy * 100);
    printf("\nsplit s: the device runs layers 1..s; payload columns are the split\n"
           "tensor at each bit-width (ceil(out * bits / 32)); split = %zu is local.\n",
           m.n_layers);
    if (mdl_zoo_graph(what))
        printf("Trained model: accuracies are int8 on the 10,000 test images; the real\n"
               "payloads (packed, zlib) and the accuracy per split and bit-width are\n"
               "measured by `offsim models eval %s`.\n", what);
    mdl_model_free(&m);
    return 0;
}

static int models_export(int argc, char **argv)
{
    const char *name = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("models export", "option '%s' needs a value",
                                       argv[i], usage_models);
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("models export", "unknown option '%s'", argv[i],
                                   usage_models);
        } else if (!name) {
            name = argv[i];
        } else {
            return cli_usage_error("models export", "unexpected argument '%s'", argv[i],
                                   usage_models);
        }
    }
    if (!name)
        return cli_usage_error("models export", "missing the architecture%s", "",
                               usage_models);
    mdl_model m;
    off_err err = {0};
    off_status st = mdl_arch_build(&m, name, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    size_t n;
    const mdl_arch_info *a = mdl_arch_list(&n), *info = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            info = &a[i];
    char header[512];
    snprintf(header, sizeof header,
             "%s: %s.\nGenerated by `offsim models export %s` (models/mdl_arch.c): "
             "per layer its kind, MACs,\nweights and the float32 size of its output; "
             "the final exit's accuracy is the\npublished %s top-1.  Regenerate rather "
             "than edit.",
             name, info->summary, name, info->dataset);
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        mdl_model_free(&m);
        off_errf(&err, OFF_EIO, out, 0, 0, "cannot write");
        return cli_fail(OFF_EIO, &err);
    }
    mdl_model_write_yaml(&m, header, f);
    int bad = ferror(f);
    if (out)
        bad |= fclose(f);
    mdl_model_free(&m);
    if (bad) {
        off_errf(&err, OFF_EIO, out ? out : "<stdout>", 0, 0, "write error");
        return cli_fail(OFF_EIO, &err);
    }
    return 0;
}

static int parse_count(const char *cmd, const char *flag, const char *v, size_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || v[0] == '-' || x == 0 || x > 1000000)
        return cli_usage_error(cmd, "expects a positive integer, got '%s'", v, usage_models);
    (void)flag;
    *out = (size_t)x;
    return 0;
}

/* The zoo graph named name, or a usage error listing the names. */
static const mdl_gspec *graph_arg(const char *cmd, const char *name)
{
    const mdl_gspec *sp = mdl_zoo_graph(name);
    if (!sp) {
        size_t n;
        const mdl_gspec *const *z = mdl_zoo_graphs(&n);
        char msg[512];
        int k = snprintf(msg, sizeof msg, "unknown trained model '%%s' (the zoo has:");
        for (size_t i = 0; i < n && k > 0 && (size_t)k < sizeof msg; i++)
            k += snprintf(msg + k, sizeof msg - (size_t)k, " %s", z[i]->name);
        if (k > 0 && (size_t)k < sizeof msg - 1)
            snprintf(msg + k, sizeof msg - (size_t)k, ")");
        cli_usage_error(cmd, msg, name, usage_models);
    }
    return sp;
}

/* The graph of sp with the weights at path: 0, or the exit status after
 * reporting the error (a bad weights file is bad input). */
static int open_graph(const mdl_gspec *sp, const char *path, mdl_graph *g, off_err *err)
{
    off_status st = mdl_graph_init(g, sp, err);
    if (st)
        return cli_fail(st, err);
    if ((st = mdl_graph_load(g, path, err))) {
        mdl_graph_free(g);
        return cli_fail_input(st, err);
    }
    return 0;
}

static void default_weights(const mdl_gspec *sp, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", zoo_dir(), sp->weights);
}

static int load_fashion(mdl_dataset *tr, mdl_dataset *te, off_err *err)
{
    off_status st = OFF_OK;
    if (tr && (st = mdl_dataset_load_fashion(tr, NULL, false, err)) != OFF_OK)
        return cli_fail(st, err);
    if ((st = mdl_dataset_load_fashion(te, NULL, true, err)) != OFF_OK) {
        if (tr)
            mdl_dataset_free(tr);
        return cli_fail(st, err);
    }
    return 0;
}

static void print_acc(const mdl_gspec *sp, const char *what, const double *acc)
{
    printf("%s:", what);
    for (size_t e = 0; e < sp->n_exits; e++)
        printf(" %s %.2f %%", sp->exits[e].name, acc[e] * 100);
    printf("\n");
}

/* offsim models train NAME: a zoo graph on Fashion-MNIST (mdl_graph.h). */
static int models_train(int argc, char **argv)
{
    if (argc < 1)
        return cli_usage_error("models train", "missing the model name%s", "", usage_models);
    const mdl_gspec *sp = graph_arg("models train", argv[0]);
    if (!sp)
        return 2;
    size_t epochs = sp->epochs, seed = 1, n_train = 0;
    char out[4096];
    default_weights(sp, out, sizeof out);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return cli_usage_error("models train", "option '%s' needs a value", argv[i],
                                   usage_models);
        int rc = 0;
        if (strcmp(argv[i], "--epochs") == 0)
            rc = parse_count("models train", "--epochs", argv[++i], &epochs);
        else if (strcmp(argv[i], "--seed") == 0)
            rc = parse_count("models train", "--seed", argv[++i], &seed);
        else if (strcmp(argv[i], "--n-train") == 0)
            rc = parse_count("models train", "--n-train", argv[++i], &n_train);
        else if (strcmp(argv[i], "--out") == 0)
            snprintf(out, sizeof out, "%s", argv[++i]);
        else
            return cli_usage_error("models train", "unknown option '%s'", argv[i],
                                   usage_models);
        if (rc)
            return rc;
    }
    mdl_dataset tr, te;
    off_err err = {0};
    int rc = load_fashion(&tr, &te, &err);
    if (rc)
        return rc;
    mdl_graph g;
    mdl_trainer *t = NULL;
    off_status st = mdl_graph_init(&g, sp, &err);
    if (st == OFF_OK && !(t = mdl_trainer_new(&g, sp->batch)))
        st = off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    double t0 = off_wall_seconds(), acc[MDL_GRAPH_MAX_EXITS];
    if (st == OFF_OK) {
        mdl_graph_init_params(&g, seed);
        mdl_train_cfg cfg = {epochs, sp->batch, n_train, sp->lr, sp->weight_decay, seed, 1};
        st = mdl_graph_train(t, &tr, &cfg, &err);
    }
    if (st == OFF_OK) {
        mdl_graph_eval(t, &te, 0, acc);
        st = mdl_graph_save(&g, out, &err);
    }
    if (st == OFF_OK) {
        printf("%s: %zu epochs, seed %zu, %.1f s; weights -> %s\n", sp->name, epochs, seed,
               off_wall_seconds() - t0, out);
        print_acc(sp, "float test accuracy (10,000 images)", acc);
    }
    mdl_trainer_free(t);
    mdl_graph_free(&g);
    mdl_dataset_free(&tr);
    mdl_dataset_free(&te);
    return st == OFF_OK ? 0 : cli_fail(st, &err);
}

/* The accuracy tables of a trained model: float and int8 per exit, then per
 * split and bit-width the final exit's accuracy and the mean payload. */
static off_status eval_tables(const mdl_graph *g, const mdl_dataset *tr, const mdl_dataset *te,
                              size_t n, off_err *err)
{
    const mdl_gspec *sp = g->spec;
    size_t L = sp->n_layers, E = sp->n_exits;
    static const int bits[] = {2, 4, 6, 8, 32};
    const size_t NB = sizeof bits / sizeof bits[0];
    mdl_qgraph *q = NULL;
    off_status st = mdl_qgraph_new(&q, g, tr, 2000, err);
    if (st)
        return st;
    double *acc = malloc((L + 1) * NB * E * sizeof *acc);
    double *pay = malloc((L + 1) * NB * sizeof *pay), i8[MDL_GRAPH_MAX_EXITS];
    if (!acc || !pay)
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    double t0 = off_wall_seconds();
    if (!st)
        st = mdl_qgraph_eval(q, te, n, bits, NB, acc, pay, i8, err);
    if (!st) {
        size_t nn = n && n < te->n ? n : te->n;
        printf("int8 (per-channel weights, activations calibrated on 2,000 training "
               "images), %zu test images, %.1f s:\n", nn, off_wall_seconds() - t0);
        print_acc(sp, "int8 test accuracy", i8);
        printf("\nper split: accuracy of each exit the server computes, mean payload "
               "(bytes, zlib)\n%-6s %-8s", "split", "after");
        for (size_t k = 0; k < NB; k++)
            printf(" | b=%-2d acc%%  bytes", bits[k]);
        printf("\n");
        for (size_t s = 0; s <= L; s++) {
            printf("%-6zu %-8s", s, s ? g->node[s - 1].spec->name : "input");
            for (size_t k = 0; k < NB; k++) {
                size_t cell = s * NB + k;
                printf(" | %6.2f %7.0f", acc[cell * E + E - 1] * 100, pay[cell]);
            }
            printf("\n");
        }
        printf("\nper split and exit at b = 2 / 4 / 6 bits (exits on the device are "
               "unaffected):\n");
        for (size_t s = 0; s < L; s++) {
            printf("split %-2zu", s);
            for (size_t e = 0; e < E; e++)
                if (sp->exits[e].after > s)
                    printf("  %s %.2f/%.2f/%.2f", sp->exits[e].name,
                           acc[(s * NB + 0) * E + e] * 100, acc[(s * NB + 1) * E + e] * 100,
                           acc[(s * NB + 2) * E + e] * 100);
            printf("\n");
        }
    }
    free(acc);
    free(pay);
    mdl_qgraph_free(q);
    return st;
}

static int models_eval(int argc, char **argv)
{
    const char *name = NULL, *wpath = NULL;
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("models eval", "option '%s' needs a value", argv[i],
                                       usage_models);
            int rc = parse_count("models eval", "--n", argv[++i], &n);
            if (rc)
                return rc;
        } else if (argv[i][0] == '-') {
            return cli_usage_error("models eval", "unknown option '%s'", argv[i], usage_models);
        } else if (!name) {
            name = argv[i];
        } else if (!wpath) {
            wpath = argv[i];
        } else {
            return cli_usage_error("models eval", "unexpected argument '%s'", argv[i],
                                   usage_models);
        }
    }
    if (!name)
        return cli_usage_error("models eval", "expects: NAME [WEIGHTS] [--n N]%s", "",
                               usage_models);
    const mdl_gspec *sp = graph_arg("models eval", name);
    if (!sp)
        return 2;
    char path[4096];
    if (wpath)
        snprintf(path, sizeof path, "%s", wpath);
    else
        default_weights(sp, path, sizeof path);
    off_err err = {0};
    mdl_graph g;
    int rc = open_graph(sp, path, &g, &err);
    if (rc)
        return rc;
    mdl_dataset tr, te;
    if ((rc = load_fashion(&tr, &te, &err))) {
        mdl_graph_free(&g);
        return rc;
    }
    mdl_trainer *t = NULL;
    off_status st = OFF_OK;
    if (!(t = mdl_trainer_new(&g, 256)))
        st = off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == OFF_OK) {
        double acc[MDL_GRAPH_MAX_EXITS];
        mdl_graph_eval(t, &te, n, acc);
        printf("%s (%s, crc %08x)\n", sp->name, path, g.crc);
        print_acc(sp, "float test accuracy", acc);
        st = eval_tables(&g, &tr, &te, n, &err);
    }
    mdl_trainer_free(t);
    mdl_graph_free(&g);
    mdl_dataset_free(&tr);
    mdl_dataset_free(&te);
    return st == OFF_OK ? 0 : cli_fail(st, &err);
}

/* ---- offsim models profile ---------------------------------------------- */

#define PROFILE_IMAGES 5   /* test images timed, spread over the test set */
#define PROFILE_REPS 21    /* default runs per image and layer (odd: a true median) */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The CPU's "model name" from /proc/cpuinfo, else "unknown CPU". */
static void host_cpu(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *v = strchr(line, ':');
        if (!v)
            continue;
        for (v++; *v == ' ' || *v == '\t'; v++)
            ;
        size_t n = strcspn(v, "\r\n");
        if (n)
            snprintf(buf, cap, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}

/* s as a YAML scalar: plain when it is a simple word, else double-quoted. */
static void yaml_scalar(FILE *f, const char *s)
{
    bool plain = *s != '\0';
    for (const char *c = s; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.';
    if (plain && !(s[0] >= '0' && s[0] <= '9') && s[0] != '-' && s[0] != '.') {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        if ((unsigned char)*c >= 0x20)
            fputc(*c, f);
    }
    fputc('"', f);
}

static const char *op_name(mdl_op op)
{
    switch (op) {
    case MDL_OP_CONV:
        return "conv";
    case MDL_OP_FC:
        return "fc";
    case MDL_OP_MAXPOOL:
        return "maxpool";
    case MDL_OP_AVGPOOL:
        return "avgpool";
    }
    return "?";
}

/* The file name of path without directories and ".yaml"/".yml". */
static void stem(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
        n -= 5;
    else if (n > 4 && strcmp(b + n - 4, ".yml") == 0)
        n -= 4;
    snprintf(buf, cap, "%.*s", (int)n, b);
}

/* The measured profile of g's timed nodes (sec, one per node) as YAML. */
static void write_profile(FILE *f, const mdl_graph *g, const double *sec, const char *name,
                          const char *cpu, const char *cmdline, const char *wpath,
                          size_t reps)
{
    const mdl_gspec *sp = g->spec;
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
    else
        snprintf(date, sizeof date, "unknown");
    const char *isa = mdl_isa_str(mdl_kernels_isa());
    fprintf(f,
            "# Measured hardware profile: offsim's int8 kernels for model '%s' timed\n"
            "# layer by layer on this host, one thread, batch 1: the median of %zu runs\n"
            "# on each of %d Fashion-MNIST test images, then the median over the images.\n"
            "# Exits: the sum of the exit branch's layers (the final exit has none).\n"
            "# host CPU: %s\n"
            "# kernels:  %s\n"
            "# weights:  %s (crc %08x)\n"
            "# date:     %s\n"
            "# command:  %s\n"
            "# Format: docs/models.md, \"Measured profiles\".  Regenerate rather than edit.\n",
            sp->name, reps, PROFILE_IMAGES, cpu, isa, wpath, g->crc, date, cmdline);
    fputs("name: ", f);
    yaml_scalar(f, name);
    fputs("\nkind: measured\ndevice: ", f);
    yaml_scalar(f, cpu);
    fprintf(f, "\nframework: \"offsim int8 kernels (%s), 1 thread, batch 1\"\n", isa);
    fputs("model: ", f);
    yaml_scalar(f, sp->name);
    fputs("\nbits: 8\nlayers:\n", f);
    for (size_t i = 0; i < sp->n_layers; i++) {
        fputs("  ", f);
        yaml_scalar(f, sp->layers[i].name);
        fprintf(f, ": %.3f us\n", sec[i] * 1e6);
    }
    fputs("exits:\n", f);
    for (size_t e = 0; e < sp->n_exits; e++) {
        double t = 0;
        for (int i = g->exit_first[e]; i >= 0 && i <= g->exit_out[e]; i++)
            t += sec[i];
        fputs("  ", f);
        yaml_scalar(f, sp->exits[e].name);
        if (g->exit_first[e] >= 0)
            fprintf(f, ": %.3f us\n", t * 1e6);
        else
            fputs(": 0\n", f);
    }
}

/* The per-layer table: op, MACs, time, rate, share of the whole model. */
static void print_profile_table(FILE *f, const mdl_graph *g, const double *sec,
                                const char *cpu, size_t reps)
{
    const mdl_gspec *sp = g->spec;
    double total = 0;
    for (size_t i = 0; i < sp->n_layers; i++)
        total += sec[i];
    fprintf(f, "%s on %s, %s kernels, median of %zu runs x %d images:\n", sp->name, cpu,
            mdl_isa_str(mdl_kernels_isa()), reps, PROFILE_IMAGES);
    fprintf(f, "%-10s %-8s %-8s %10s %12s %10s %7s\n", "layer", "op", "exit", "MMAC",
            "time", "GMAC/s", "share");
    /* share: of the backbone (the final exit's inference) */
    for (size_t i = 0; i < g->n_nodes; i++) {
        const char *owner = "-";
        for (size_t e = 0; e < sp->n_exits; e++)
            if (g->exit_first[e] >= 0 && (int)i >= g->exit_first[e] && (int)i <= g->exit_out[e])
                owner = sp->exits[e].name;
        const mdl_gnode *n = &g->node[i];
        fprintf(f, "%-10s %-8s %-8s %10.4f %9.3f us %10.2f", n->spec->name,
                op_name(n->spec->op), owner, n->macs / 1e6, sec[i] * 1e6,
                sec[i] > 0 ? n->macs / sec[i] / 1e9 : 0.0);
        if (i < sp->n_layers && total > 0)
            fprintf(f, " %6.1f%%", 100 * sec[i] / total);
        fprintf(f, "\n");
    }
    fprintf(f, "backbone (final exit): %.3f us", total * 1e6);
    for (size_t e = 0; e + 1 < sp->n_exits; e++) {
        double t = 0;
        for (size_t i = 0; i < sp->exits[e].after; i++)
            t += sec[i];
        for (int i = g->exit_first[e]; i >= 0 && i <= g->exit_out[e]; i++)
            t += sec[i];
        fprintf(f, "; exit %s on the device: %.3f us", sp->exits[e].name, t * 1e6);
    }
    fprintf(f, "\n");
}

/* Time g's nodes on the test images: sec[i] = median over PROFILE_IMAGES
 * images of the median of reps runs of node i. */
static off_status time_graph(const mdl_graph *g, const mdl_dataset *tr, const mdl_dataset *te,
                             size_t reps, double *sec, off_err *err)
{
    mdl_qgraph *q = NULL;
    mdl_qctx *c = NULL;
    off_status st = mdl_qgraph_new(&q, g, tr, MDL_TRAINED_CALIBRATION, err);
    if (!st && !(c = mdl_qctx_new(q)))
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    static double per[PROFILE_IMAGES][MDL_GRAPH_MAX_NODES];
    size_t isz = te->rows * te->cols;
    for (size_t k = 0; !st && k < PROFILE_IMAGES; k++) {
        size_t img = k * (te->n / PROFILE_IMAGES);
        st = mdl_qgraph_time_nodes(q, c, te->images + img * isz, reps, per[k], err);
    }
    for (size_t i = 0; !st && i < g->n_nodes; i++) {
        double v[PROFILE_IMAGES];
        for (size_t k = 0; k < PROFILE_IMAGES; k++)
            v[k] = per[k][i];
        qsort(v, PROFILE_IMAGES, sizeof *v, cmp_double);
        sec[i] = v[PROFILE_IMAGES / 2];
    }
    mdl_qctx_free(c);
    mdl_qgraph_free(q);
    return st;
}

static int models_profile(int argc, char **argv)
{
    const char *name = NULL, *out = NULL;
    size_t reps = PROFILE_REPS;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 || strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error("models profile", "option '%s' needs a value", argv[i],
                                       usage_models);
            if (argv[i][2] == 'o') {
                out = argv[++i];
            } else {
                int rc = parse_count("models profile", "--reps", argv[++i], &reps);
                if (rc)
                    return rc;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            static const char *const opts[] = {"--reps", "--out"};
            return cli_unknown_option("models profile", argv[i], opts, 2, usage_models);
        } else if (!name) {
            name = argv[i];
        } else {
            return cli_usage_error("models profile", "unexpected argument '%s'", argv[i],
                                   usage_models);
        }
    }
    if (!name)
        return cli_usage_error("models profile", "missing the model name%s", "", usage_models);
    const mdl_gspec *sp = graph_arg("models profile", name);
    if (!sp)
        return 2;
    char wpath[4096], cmdline[1024], pname[64], cpu[160];
    default_weights(sp, wpath, sizeof wpath);
    int k = snprintf(cmdline, sizeof cmdline, "offsim models profile");
    for (int i = 0; i < argc && k > 0 && (size_t)k < sizeof cmdline; i++)
        k += snprintf(cmdline + k, sizeof cmdline - (size_t)k, " %s", argv[i]);
    if (out)
        stem(out, pname, sizeof pname);
    if (!out || !pname[0])
        snprintf(pname, sizeof pname, "host-%s", sp->name);
    host_cpu(cpu, sizeof cpu);

    off_err err = {0};
    mdl_graph g;
    int rc = open_graph(sp, wpath, &g, &err);
    if (rc)
        return rc;
    mdl_dataset tr, te;
    rc = load_fashion(&tr, &te, &err);
    if (rc) {
        mdl_graph_free(&g);
        return rc;
    }
    double sec[MDL_GRAPH_MAX_NODES] = {0};
    off_status st = time_graph(&g, &tr, &te, reps, sec, &err);
    mdl_dataset_free(&tr);
    mdl_dataset_free(&te);
    if (st) {
        mdl_graph_free(&g);
        return cli_fail(st, &err);
    }

    /* Write the profile to memory, read it back and check it against the
     * model's cost view, so what lands in FILE is known to load. */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = NULL;
    if (!(mem = open_memstream(&text, &len)))
        st = off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (!st) {
        write_profile(mem, &g, sec, pname, cpu, cmdline, wpath, reps);
        if (fclose(mem))
            st = off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    mdl_profile *prof = NULL;
    mdl_model m = {0};
    if (!st && !(prof = malloc(sizeof *prof)))
        st = off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (!st)
        st = mdl_profile_parse(prof, text, len, out ? out : "<stdout>", &err);
    if (!st)
        st = mdl_graph_cost_model(&g, NULL, &m, &err);
    if (!st)
        st = mdl_profile_check_model(prof, &m, &err);
    if (st) { /* a bug of ours, not the user's input */
        off_status r = st == OFF_ENOMEM ? st : OFF_ERUNTIME;
        free(text);
        free(prof);
        mdl_model_free(&m);
        mdl_graph_free(&g);
        return cli_fail(r, &err);
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        off_errf(&err, OFF_EIO, out, 0, 0, "cannot write");
        st = OFF_EIO;
    } else {
        fwrite(text, 1, len, f);
        int bad = ferror(f);
        if (out)
            bad |= fclose(f);
        else
            bad |= fflush(f);
        if (bad)
            st = off_errf(&err, OFF_EIO, out ? out : "<stdout>", 0, 0, "write error");
    }
    if (!st) {
        print_profile_table(out ? stdout : stderr, &g, sec, cpu, reps);
        if (out)
            printf("profile '%s' (kind: measured) -> %s\n", prof->name, out);
    }
    free(text);
    free(prof);
    mdl_model_free(&m);
    mdl_graph_free(&g);
    return st ? cli_fail(st, &err) : 0;
}

int cmd_models(int argc, char **argv)
{
    if (argc < 1)
        return cli_usage_error("models", "missing the subcommand%s", "", usage_models);
    if (cli_is_help(argv[0])) {
        fputs(usage_models, stdout);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            fputs(usage_models, stdout);
            return 0;
        }
    if (strcmp(argv[0], "list") == 0) {
        if (argc > 1)
            return cli_usage_error("models list", "unexpected argument '%s'", argv[1],
                                   usage_models);
        return models_list();
    }
    if (strcmp(argv[0], "info") == 0) {
        if (argc != 2)
            return cli_usage_error("models info", "expects one NAME or FILE%s", "",
                                   usage_models);
        return models_info(argv[1]);
    }
    if (strcmp(argv[0], "export") == 0)
        return models_export(argc - 1, argv + 1);
    if (strcmp(argv[0], "train") == 0)
        return models_train(argc - 1, argv + 1);
    if (strcmp(argv[0], "eval") == 0)
        return models_eval(argc - 1, argv + 1);
    if (strcmp(argv[0], "profile") == 0)
        return models_profile(argc - 1, argv + 1);
    return cli_usage_error("models",
                           "unknown subcommand '%s' (list, info, export, train, eval, profile)",
                           argv[0], usage_models);
}
