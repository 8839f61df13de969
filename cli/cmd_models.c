/*
 * cmd_models.c - `offsim models`: the model zoo.  Finds the subcommand and
 * holds what the subcommands share (cmd_models_int.h):
 *
 *   list, info, export     architectures and model files (cmd_models_zoo.c)
 *   train, eval            trained zoo models (cmd_models_train.c)
 *   profile                a measured profile of this host (cmd_models_profile.c)
 *   cache                  complete inference caches (cmd_models_cache.c)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_models_int.h"

static const cli_cmd *const subcommands[] = {
    &models_list_spec,  &models_info_spec, &models_export_spec,
    &models_train_spec, &models_eval_spec, &models_profile_spec,
    &models_cache_spec,
};

const cli_cmd cmd_models_spec = {
    .name = "models",
    .args = "list|info|export|train|eval|profile|cache ...",
    .summary = "the model zoo: architectures, model files, trained models",
    .about = "NAME is an architecture (see `offsim models list`) or the name of a model\n"
             "file in models/zoo/; FILE is the path of a model file.  MODEL is a trained\n"
             "zoo model (mexit, alexnet-mx, alexnet-5x).\n",
    .subs = subcommands,
    .n_subs = sizeof subcommands / sizeof subcommands[0],
    .epilog = "Every subcommand has --help: `offsim models SUBCOMMAND --help`.\n"};

const char *models_zoo_dir(void)
{
    const char *env = getenv("OFFSIM_ZOO");
    return env && *env ? env : OFFSIM_SOURCE_DIR "/models/zoo";
}

int models_zoo_graph(const cli_args *a, const char *path, const mdl_gspec **sp, char **wpath)
{
    *wpath = NULL;
    if (!(*sp = mdl_zoo_graph(a->pos[0]))) {
        size_t n;
        const mdl_gspec *const *z = mdl_zoo_graphs(&n);
        char list[512] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), " %s", z[i]->name);
        return cli_usage(a->cmd, "unknown trained model '%s' (the zoo has:%s)", a->pos[0], list);
    }
    const char *dir = path ? "" : models_zoo_dir();
    const char *file = path ? path : (*sp)->weights;
    size_t cap = strlen(dir) + strlen(file) + 2;
    if ((*wpath = malloc(cap)))
        snprintf(*wpath, cap, "%s%s%s", dir, path ? "" : "/", file);
    off_err err = {0};
    return *wpath ? 0 : cli_fail(off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory"), &err);
}

int models_open_graph(const mdl_gspec *sp, const char *path, mdl_graph *g, off_err *err)
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

int models_load_fashion(mdl_dataset *tr, mdl_dataset *te, off_err *err)
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

void models_print_acc(const mdl_gspec *sp, const char *what, const double *acc)
{
    printf("%s:", what);
    for (size_t e = 0; e < sp->n_exits; e++)
        printf(" %s %.2f %%", sp->exits[e].name, acc[e] * 100);
    printf("\n");
}
