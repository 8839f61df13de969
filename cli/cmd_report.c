/*
 * cmd_report.c - the commands that read a results database (`offsim
 * report`, `offsim plot`) and `offsim policies`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "cli.h"
#include "plt.h"
#include "pol.h"
#include "res.h"

const cli_cmd cmd_report_spec = {
    "report", "DB", 1, 1,
    "per-run latency with its CI and percentiles, energy, misses, accuracy",
    "Prints, for every run in the database, the mean latency with its 95%\n"
    "confidence interval (batch means), p50/p95/p99, mean device energy,\n"
    "deadline-miss rate and accuracy.\n",
    NULL, 0};

static const cli_opt plot_opts[] = {
    {"out", 0, CLI_PATH, "FILE",
     "output file (default: DB with .db replaced by -latency.png,\nor -learning.png)", false,
     0, 0},
    {"learning", 0, CLI_FLAG, NULL,
     "the learning curves of the `offsim train` runs instead\n(mean reward per decision "
     "against decisions learned from)", false, 0, 0},
};

const cli_cmd cmd_plot_spec = {
    "plot", "DB", 1, 1, "draw the latency CDF of every run, or the learning curves",
    "Draws the latency CDF of every run in the database with gnuplot (PNG).\n", plot_opts,
    sizeof plot_opts / sizeof plot_opts[0]};

const cli_cmd cmd_policies_spec = {"policies", NULL, 0, 0,
                                   "list the policies and their parameters", NULL, NULL, 0};

/* Open the database a names (read-only): 0, or the exit status. */
static int open_db(const cli_args *a, res_db **db)
{
    off_err err = {0};
    off_status st = res_open_readonly(db, a->pos[0], &err);
    return st == OFF_OK ? 0 : cli_fail_input(st, &err);
}

int cmd_report(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc;
    if (!cli_parse(cmd, argc, argv, &a, &rc))
        return rc;
    res_db *db;
    if (!(rc = open_db(&a, &db))) {
        off_err err = {0};
        off_status st = res_report(db, stdout, &err);
        res_close(db);
        rc = st == OFF_OK ? 0 : cli_fail(st, &err);
    }
    cli_args_free(&a);
    return rc;
}

int cmd_plot(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc;
    if (!cli_parse(cmd, argc, argv, &a, &rc))
        return rc;
    res_db *db;
    if (!(rc = open_db(&a, &db))) {
        plt_opts opts = {cli_count(&a, "learning") ? PLT_LEARNING : PLT_LATENCY_CDF,
                         cli_str(&a, "out", NULL), 0, 0};
        char written[4096];
        off_err err = {0};
        off_status st = plt_draw(db, &opts, written, sizeof written, &err);
        res_close(db);
        if (st == OFF_OK)
            printf("wrote %s\n", written);
        else
            rc = cli_fail(st, &err);
    }
    cli_args_free(&a);
    return rc;
}

int cmd_policies(const cli_cmd *cmd, int argc, char **argv)
{
    cli_args a;
    int rc;
    if (!cli_parse(cmd, argc, argv, &a, &rc))
        return rc;
    cli_args_free(&a);
    size_t n;
    const pol_class *const *all = pol_registry(&n);
    for (size_t i = 0; i < n; i++) {
        printf("%-13s %s\n", all[i]->name, all[i]->summary);
        if (all[i]->param_keys && all[i]->param_keys[0]) {
            printf("%-13s keys:", "");
            for (size_t k = 0; all[i]->param_keys[k]; k++)
                printf(" %s", all[i]->param_keys[k]);
            printf("\n");
        }
    }
    return 0;
}
