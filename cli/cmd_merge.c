/*
 * cmd_merge.c - `offsim merge OUT.db IN.db...`: gather the runs of several
 * databases (the shards of a sweep run on a cluster) into one.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "cli.h"
#include "res.h"

static int merge(const cli_args *a);

const cli_cmd cmd_merge_spec = {
    .name = "merge", .args = "OUT.db IN.db...", .min_pos = 2, .max_pos = SIZE_MAX,
    .summary = "merge the runs of databases (sweep shards) into one",
    .about = "Copies every run of the input databases, with all its rows, into OUT.db\n"
             "(created if missing), in a deterministic order (experiment, point, input,\n"
             "run): shards merged in any order give the same database.  A run already\n"
             "in OUT.db (same experiment and point, or same configuration, seed, start\n"
             "time and host) is skipped when its content is the same, so merging twice\n"
             "adds nothing; when its content differs, the merge stops with an error\n"
             "naming both runs (exit 1) and that input's runs are not written.  An input\n"
             "that is missing or not an offsim database is bad input (exit 2).\n",
    .run = merge};

static int merge(const cli_args *a)
{
    res_merge_stats st;
    off_err err = {0};
    off_status s = res_merge(a->pos[0], (const char *const *)(a->pos + 1), a->n_pos - 1, &st,
                             &err);
    if (s != OFF_OK)
        return cli_fail(s, &err);
    printf("merged %zu runs (%zu rows), skipped %zu already present\n", st.runs_added,
           st.rows_added, st.runs_skipped);
    return 0;
}
