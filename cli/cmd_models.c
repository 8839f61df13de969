/*
 * cmd_models.c - `offsim models`: the model zoo.  Finds the subcommand and
 * holds what the subcommands share (cmd_models_int.h):
 *
 *   list, info, export     architectures and model files (cmd_models_zoo.c)
 *   train, eval            trained zoo models (cmd_models_train.c)
 *   profile                a measured profile of this host (cmd_models_profile.c)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_models_int.h"

const cli_cmd cmd_models_spec = {
    "models", "list|info|export|train|eval|profile ...", 0, 0,
    "the model zoo: architectures, model files, trained models", NULL, NULL, 0};

static const cli_entry subcommands[] = {
    {&models_list_spec, models_list},       {&models_info_spec, models_info},
    {&models_export_spec, models_export},   {&models_train_spec, models_train},
    {&models_eval_spec, models_eval},       {&models_profile_spec, models_profile},
};

static void usage(FILE *f)
{
    fputs("usage: offsim models SUBCOMMAND [ARGS]\n"
          "\n"
          "NAME is an architecture (see `offsim models list`) or the name of a model\n"
          "file in models/zoo/; FILE is the path of a model file.  MODEL is a trained\n"
          "zoo model (mexit, alexnet-mx).\n"
          "\n"
          "subcommands:\n", f);
    cli_list(subcommands, sizeof subcommands / sizeof subcommands[0], f);
    fputs("\nEvery subcommand has --help: `offsim models SUBCOMMAND --help`.\n", f);
}

int cmd_models(const cli_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    return cli_dispatch("models", subcommands, sizeof subcommands / sizeof subcommands[0],
                        argc, argv, usage);
}

const char *models_zoo_dir(void)
{
    const char *env = getenv("OFFSIM_ZOO");
    return env && *env ? env : OFFSIM_SOURCE_DIR "/models/zoo";
}

const mdl_gspec *models_graph_arg(const cli_cmd *cmd, const char *name)
{
    const mdl_gspec *sp = mdl_zoo_graph(name);
    if (!sp) {
        size_t n;
        const mdl_gspec *const *z = mdl_zoo_graphs(&n);
        char list[512] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), " %s", z[i]->name);
        cli_usage(cmd, "unknown trained model '%s' (the zoo has:%s)", name, list);
    }
    return sp;
}

char *models_default_weights(const mdl_gspec *sp)
{
    size_t cap = strlen(models_zoo_dir()) + strlen(sp->weights) + 2;
    char *p = malloc(cap);
    if (p)
        snprintf(p, cap, "%s/%s", models_zoo_dir(), sp->weights);
    return p;
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
