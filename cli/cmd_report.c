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

static int report(const cli_args *a);
static int plot(const cli_args *a);
static int policies(const cli_args *a);

const cli_cmd cmd_report_spec = {
    .name = "report", .args = "DB", .min_pos = 1, .max_pos = 1,
    .summary = "per-run latency with its CI and percentiles, energy, misses, accuracy",
    .about = "Prints, for every run in the database, the mean latency with its 95%\n"
             "confidence interval (batch means), p50/p95/p99, mean device energy,\n"
             "deadline-miss rate and accuracy.\n",
    .run = report};

static const cli_opt plot_opts[] = {
    {"out", 0, CLI_PATH, "FILE",
     "output file (default: DB with .db replaced by -latency.png,\nor -learning.png)", false,
     0, 0},
    {"learning", 0, CLI_FLAG, NULL,
     "the learning curves of the `offsim train` runs instead\n(mean reward per decision "
     "against decisions learned from)", false, 0, 0},
};

const cli_cmd cmd_plot_spec = {
    .name = "plot", .args = "DB", .min_pos = 1, .max_pos = 1,
    .summary = "draw the latency CDF of every run, or the learning curves",
    .about = "Draws the latency CDF of every run in the database with gnuplot (PNG).\n",
    CLI_OPTS(plot_opts), .run = plot};

const cli_cmd cmd_policies_spec = {
    .name = "policies", .summary = "list the policies and their parameters", .run = policies};

/* Open the database a names (read-only): 0, or the exit status. */
static int open_db(const cli_args *a, res_db **db)
{
    off_err err = {0};
    off_status st = res_open_readonly(db, a->pos[0], &err);
    return st == OFF_OK ? 0 : cli_fail_input(st, &err);
}

static int report(const cli_args *a)
{
    res_db *db;
    int rc = open_db(a, &db);
    if (rc)
        return rc;
    off_err err = {0};
    off_status st = res_report(db, stdout, &err);
    res_close(db);
    return st == OFF_OK ? 0 : cli_fail(st, &err);
}

static int plot(const cli_args *a)
{
    res_db *db;
    int rc = open_db(a, &db);
    if (rc)
        return rc;
    plt_opts opts = {cli_count(a, "learning") ? PLT_LEARNING : PLT_LATENCY_CDF,
                     cli_str(a, "out", NULL), 0, 0};
    char written[4096];
    off_err err = {0};
    off_status st = plt_draw(db, &opts, written, sizeof written, &err);
    res_close(db);
    if (st != OFF_OK)
        return cli_fail(st, &err);
    printf("wrote %s\n", written);
    return 0;
}

static int policies(const cli_args *a)
{
    (void)a;
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
