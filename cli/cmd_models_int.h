/*
 * cmd_models_int.h - what the subcommands of `offsim models` share
 * (cli/cmd_models*.c); private to them.
 */
#ifndef CMD_MODELS_INT_H
#define CMD_MODELS_INT_H

#include <stddef.h>

#include "cli.h"
#include "mdl_graph.h"

/* The model files and trained weights: $OFFSIM_ZOO, else the source tree's. */
const char *models_zoo_dir(void);

/* *sp: the zoo graph a's first positional names; *wpath: its weights,
 * path or, when NULL, the shipped file (malloc'd).  0, or the exit status
 * after the error (a name the zoo lacks: a usage error listing its names). */
int models_zoo_graph(const cli_args *a, const char *path, const mdl_gspec **sp, char **wpath);

/* The graph of sp with the weights at path: 0, or the exit status after
 * reporting the error (a bad weights file is bad input). */
int models_open_graph(const mdl_gspec *sp, const char *path, mdl_graph *g, off_err *err);

/* Fashion-MNIST's training set (tr may be NULL: not needed) and test set:
 * 0, or the exit status after reporting the error. */
int models_load_fashion(mdl_dataset *tr, mdl_dataset *te, off_err *err);

/* "WHAT: exit1 90.12 % final 92.34 %" on stdout. */
void models_print_acc(const mdl_gspec *sp, const char *what, const double *acc);

/* The subcommands (cmd_models_zoo.c, cmd_models_train.c, cmd_models_profile.c,
 * cmd_models_cache.c). */
extern const cli_cmd models_list_spec, models_info_spec, models_export_spec,
    models_train_spec, models_eval_spec, models_profile_spec, models_cache_spec;

/* Counts such as --epochs, --reps: 1..MODELS_COUNT_MAX. */
#define MODELS_COUNT_MAX 1000000

#endif /* CMD_MODELS_INT_H */
