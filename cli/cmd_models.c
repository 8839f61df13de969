/*
 * cmd_models.c - `offsim models`: the model zoo.
 *
 *   offsim models list                 architectures and model files
 *   offsim models info NAME|FILE       layers, split points, exits, payloads
 *   offsim models export NAME [--out FILE]   an architecture as a model file
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

#include "cli.h"
#include "mdl_arch.h"
#include "mdl_graph.h"
#include "mdl_qgraph.h"
#include "scn.h"
#include "sim.h"

static const char *usage_models =
    "usage: offsim models list\n"
    "       offsim models info NAME|FILE\n"
    "       offsim models export NAME [--out FILE]\n"
    "       offsim models train MODEL [--epochs N] [--seed N] [--n-train N] [--out FILE]\n"
    "       offsim models eval MODEL [WEIGHTS] [--n N]\n"
    "\n"
    "NAME is an architecture (see `offsim models list`) or the name of a model\n"
    "file in models/zoo/; FILE is the path of a model file.  `export` writes an\n"
    "architecture as a model file that scenarios can name with `model: FILE`.\n";

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

/* Resolve NAME|FILE into a model view. */
static off_status resolve(mdl_model *m, const char *what, off_err *err)
{
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
    mdl_dataset tr, te;
    off_err err = {0};
    int rc = load_fashion(&tr, &te, &err);
    if (rc)
        return rc;
    mdl_graph g;
    mdl_trainer *t = NULL;
    off_status st = mdl_graph_init(&g, sp, &err);
    if (st == OFF_OK && (st = mdl_graph_load(&g, path, &err)) != OFF_OK) {
        mdl_graph_free(&g);
        mdl_dataset_free(&tr);
        mdl_dataset_free(&te);
        return cli_fail_input(st, &err);
    }
    if (st == OFF_OK && !(t = mdl_trainer_new(&g, 256)))
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
    return cli_usage_error("models", "unknown subcommand '%s' (list, info, export, train, eval)",
                           argv[0], usage_models);
}
