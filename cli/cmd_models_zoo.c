/*
 * cmd_models_zoo.c - `offsim models list|info|export`: the architectures
 * (mdl_arch.h), the trained zoo models and the model files of the zoo.
 *
 * NAME is an architecture, a trained zoo model, or a model file: a path,
 * or the name of a file in models/zoo/ without ".yaml".
 *
 * sim.h is included for sim_model_from_scn alone: a model file is loaded
 * by scenarios/ (scn_model) and turned into the models' view (mdl_model)
 * by the first module that sees both, sim/.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_models_int.h"
#include "mdl_arch.h"
#include "mdl_trained.h"
#include "scn.h"
#include "sim.h"

static int list(const cli_args *a);
static int info(const cli_args *a);
static int export(const cli_args *a);

const cli_cmd models_list_spec = {
    .name = "models list",
    .summary = "architectures, trained models and model files",
    .run = list};

const cli_cmd models_info_spec = {
    .name = "models info", .args = "NAME|FILE", .min_pos = 1, .max_pos = 1,
    .summary = "layers, split points, exits and payloads of a model",
    .about = "Prints the layers of the model with the MACs and the payload at every split\n"
             "point and bit-width, and its exits with their accuracy.  NAME is an\n"
             "architecture, a trained zoo model or the name of a model file in\n"
             "models/zoo/; FILE is the path of a model file.\n",
    .run = info};

static const cli_opt export_opts[] = {
    {"out", 0, CLI_PATH, "FILE", "the model file to write (default: stdout)", false, 0, 0},
};

const cli_cmd models_export_spec = {
    .name = "models export", .args = "NAME", .min_pos = 1, .max_pos = 1,
    .summary = "an architecture as a model file",
    .about = "Writes the architecture NAME (see `offsim models list`) as a model file that\n"
             "scenarios can name with `model: FILE`.\n",
    CLI_OPTS(export_opts), .run = export};

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_archs(void)
{
    size_t n;
    const mdl_arch_info *a = mdl_arch_list(&n);
    printf("architectures (no weights; `offsim models export NAME`):\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-12s %5.2f GMAC  top-1 %5.2f %%  %s\n", a[i].name,
               a[i].published_gmacs, a[i].top1 * 100, a[i].summary);
}

static void list_trained(void)
{
    size_t ng;
    const mdl_gspec *const *z = mdl_zoo_graphs(&ng);
    printf("trained multi-exit models (weights in the zoo; `offsim models "
           "info|eval|train|profile|cache NAME`, scenarios: `model: {kind: trained, name: NAME}`):\n");
    for (size_t i = 0; i < ng; i++) {
        mdl_graph g;
        off_err e;
        double macs = 0, branch = 0; /* backbone first, then the exit branches */
        if (mdl_graph_init(&g, z[i], &e) == OFF_OK)
            for (size_t k = 0; k < g.n_nodes; k++)
                *(k < z[i]->n_layers ? &macs : &branch) += g.node[k].macs;
        mdl_graph_free(&g);
        printf("  %-12s %5.2f MMAC (+%.2f in exits)  %-22s %s\n", z[i]->name, macs / 1e6,
               branch / 1e6, z[i]->weights, z[i]->summary);
    }
}

/* One line for the model file dir/name. */
static void list_file(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    scn_model sm;
    off_err err = {0};
    if (scn_load_model_file(&sm, path, &err) == OFF_OK) {
        double macs = 0;
        for (size_t l = 0; l < sm.n_layers; l++)
            macs += sm.layers[l].macs;
        printf("  %-24s %-16s %2zu layers, %zu exit%s, %.4g MMAC\n", name, sm.name,
               sm.n_layers, sm.n_exits, sm.n_exits == 1 ? "" : "s", macs / 1e6);
        scn_model_free(&sm);
    } else {
        printf("  %-24s (invalid: %s)\n", name, err.msg);
    }
}

static void list_files(void)
{
    const char *dir = models_zoo_dir();
    printf("model files in %s:\n", dir);
    DIR *d = opendir(dir);
    if (!d) {
        printf("  (none)\n");
        return;
    }
    char **names = NULL;
    size_t k = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        char **more = realloc(names, (k + 1) * sizeof *names);
        if (!more || !(more[k] = strdup(de->d_name))) {
            names = more ? more : names;
            break; /* out of memory: list what was read */
        }
        names = more;
        k++;
    }
    closedir(d);
    if (k)
        qsort(names, k, sizeof *names, by_name);
    for (size_t i = 0; i < k; i++) {
        list_file(dir, names[i]);
        free(names[i]);
    }
    free(names);
}

static int list(const cli_args *a)
{
    (void)a;
    list_archs();
    list_trained();
    list_files();
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
        off_status st = mdl_trained_open(&t, what, NULL, models_zoo_dir(), true, &warn, err);
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
        snprintf(path, sizeof path, "%s/%s.yaml", models_zoo_dir(), what);
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

static int info(const cli_args *a)
{
    const char *what = a->pos[0];
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
           "tensor at each bit-width, ceil(out * bits / 32) with out the float32 size;\n"
           "split = %zu is local.\n",
           m.n_layers);
    if (mdl_zoo_graph(what))
        printf("Trained model: accuracies are int8 on the 10,000 test images; the real\n"
               "payloads (packed, zlib) and the accuracy per split and bit-width are\n"
               "measured by `offsim models eval %s`.\n", what);
    mdl_model_free(&m);
    return 0;
}

/* Write the architecture name as a model file to out (NULL: stdout). */
static int export_arch(const char *name, const char *out)
{
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

static int export(const cli_args *a)
{
    return export_arch(a->pos[0], cli_str(a, "out", NULL));
}
