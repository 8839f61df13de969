/*
 * cmd_check.c - `offsim check EXPERIMENT.yaml`: the claims of an experiment
 * file checked on the runs of its points in a results database; also what
 * `offsim sweep` runs when its points are done.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "exp.h"

static const cli_opt check_opts[] = {
    {"db", 0, CLI_PATH, "PATH", "the database the sweep wrote (default: results/<name>.db)",
     false, 0, 0},
    {"quick", 0, CLI_FLAG, NULL,
     "the experiment's quick: points (as `offsim sweep --quick`);\n"
     "claims with quick: false are skipped",
     false, 0, 0},
};

static int check(const cli_args *a);

const cli_cmd cmd_check_spec = {
    .name = "check", .args = "EXPERIMENT.yaml", .min_pos = 1, .max_pos = 1,
    .summary = "check an experiment's claims (what the paper says) on its runs",
    .about = "Evaluates every claim of the experiment file (trend, slope, better,\n"
    "value, step) on the newest ok run of each of its points in the database,\n"
    "and prints | claim | paper says | offsim | verdict |.  The same table goes\n"
    "into the database (table claims) and into DB-figures/claims.md.  A claim\n"
    "that cannot be evaluated (no runs, fewer than 2 seeds) fails with its\n"
    "reason.  Exit status 0 when every claim holds (or is skipped), 1 when one\n"
    "fails, 2 for bad input (a bad claim is FILE:LINE:COL, before anything is\n"
    "read).  Reference: docs/experiments.md, \"Claims\".\n",
    CLI_OPTS(check_opts), .run = check};

int cli_check_claims(const exp_experiment *e, const char *db, bool quiet)
{
    off_err err = {0};
    size_t failed = 0, skipped = 0;
    off_status st = exp_claims_check(e, db, quiet ? NULL : stdout, &failed, &err);
    if (st)
        return cli_fail(st, &err);
    for (size_t i = 0; e->quick && i < e->n_claims; i++)
        skipped += !exp_claim_quick(e, i);
    size_t n = strlen(db);
    if (n > 3 && !strcmp(db + n - 3, ".db"))
        n -= 3;
    fflush(stdout);
    printf("claims %s%s: %zu hold, %zu fail, %zu skipped -> %.*s-figures/claims.md\n",
           e->name, e->quick ? " (--quick)" : "", e->n_claims - failed - skipped, failed,
           skipped, (int)n, db);
    if (failed)
        fprintf(stderr, "offsim: %zu claim%s of %s fail%s\n", failed, failed == 1 ? "" : "s",
                e->name, failed == 1 ? "s" : "");
    return failed ? 1 : 0;
}

static int check(const cli_args *a)
{
    exp_cli cli = {.quick = cli_count(a, "quick") > 0};
    exp_experiment e;
    off_err err = {0};
    off_status st = exp_load(&e, a->pos[0], &cli, &err);
    if (st == OFF_EUSAGE)
        return cli_usage(a->cmd, "%s", err.msg);
    if (st)
        return cli_fail_input(st, &err);
    if ((st = exp_validate(&e, &err))) {
        exp_free(&e);
        return cli_fail_input(st, &err);
    }
    char defdb[1024];
    snprintf(defdb, sizeof defdb, "results/%s.db", e.name);
    const char *db = cli_str(a, "db", defdb);
    int rc = 0;
    if (e.n_claims == 0) {
        printf("%s: no claims to check\n", e.name);
    } else if (access(db, F_OK) != 0) {
        fprintf(stderr, "offsim check: %s: no such database (run `offsim sweep %s%s` first, "
                "or give --db)\n", db, a->pos[0], e.quick ? " --quick" : "");
        rc = 2;
    } else {
        rc = cli_check_claims(&e, db, false);
    }
    exp_free(&e);
    return rc;
}
