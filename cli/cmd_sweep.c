/*
 * cmd_sweep.c - `offsim sweep`: an experiment file (or a scenario with
 * --axis/--seeds) expanded, validated, and run by worker processes into
 * one database; or its points listed (--dry-run); or written as Slurm jobs
 * (--slurm).  The grammar is docs/experiments.md's.
 */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_fig.h"
#include "exp.h"

static const cli_opt sweep_opts[] = {
    {"jobs", 'j', CLI_UINT, "N", "worker processes (default: the number of cores)", false, 1,
     1024},
    {"db", 0, CLI_PATH, "PATH", "database to write (default: results/<name>.db); points\n"
     "already ok there are skipped (resume)", false, 0, 0},
    {"dry-run", 'n', CLI_FLAG, NULL, "print the points (count and parameters), run nothing",
     false, 0, 0},
    {"shard", 0, CLI_STR, "I/N", "run only block I (from 0) of N equal blocks of the points",
     false, 0, 0},
    {"axis", 0, CLI_STR, "PATH=VALUES",
     "one more axis (a grid with the others): PATH=a,b,c or\n"
     "PATH=linspace:A:B:N, logspace:A:B:N, range:A:B:STEP (units ok)", true, 0, 0},
    {"seeds", 0, CLI_STR, "N|a,b,..", "seeds 1..N, or the seeds listed (the innermost axis)",
     false, 0, 0},
    CLI_OPT_SET,
    {"quiet", 'q', CLI_FLAG, NULL, "print nothing but errors and the final line", false, 0, 0},
    {"slurm", 0, CLI_FLAG, NULL, "write sbatch scripts (a job array and a merge job) beside\n"
     "the database instead of running", false, 0, 0},
    {"array", 0, CLI_UINT, "N", "--slurm: array tasks, each one shard (default 4)", false, 1,
     100000},
    {"partition", 0, CLI_STR, "P", "--slurm: the partition", false, 0, 0},
    {"time", 0, CLI_STR, "T", "--slurm: the time limit of each task (e.g. 01:00:00)", false, 0,
     0},
    {"submit", 0, CLI_FLAG, NULL, "--slurm: submit the jobs with sbatch", false, 0, 0},
    {"no-figures", 0, CLI_FLAG, NULL, "do not draw the experiment's figures at the end", false,
     0, 0},
    {"no-claims", 0, CLI_FLAG, NULL, "do not check the experiment's claims at the end", false,
     0, 0},
    {"quick", 0, CLI_FLAG, NULL, "apply the file's quick: block (fewer seeds and points);\n"
     "claims with quick: false are skipped", false, 0, 0},
};

static int sweep(const cli_args *a);

const cli_cmd cmd_sweep_spec = {
    .name = "sweep", .args = "EXPERIMENT.yaml|SCENARIO.yaml", .min_pos = 1, .max_pos = 1,
    .summary = "run every point of an experiment (axes, seeds) in parallel, resumable",
    .about = "Expands the experiment's points (axes as grids and zips, ranges with units,\n"
    "named points, a filter, seeds), loads and builds every one before the first\n"
    "runs, then runs those the database lacks or holds not 'ok' with --jobs\n"
    "worker processes.  Runs are recorded in point order whatever --jobs and\n"
    "--shard, with their parameters (table params).  A scenario file is a\n"
    "one-point experiment to which --axis and --seeds add axes.  Ctrl-C stops;\n"
    "the points not recorded run on the next sweep.  Exit status 1 when points\n"
    "failed (recorded 'failed' with their error).  The experiment's `figures:`\n"
    "are checked with it and drawn when the sweep ends (not of one shard of\n"
    "several) into DB-figures/ (DB without .db); one that cannot be drawn\n"
    "makes the exit status 1.  Then its `claims:` are checked as `offsim check`\n"
    "does (the table printed, written into the database and DB-figures/\n"
    "claims.md); a claim that fails makes the exit status 1.\n"
    "Reference: docs/experiments.md.\n",
    CLI_OPTS(sweep_opts), .run = sweep};

/* 'text' quoted for sh onto f. */
static void sh_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* The sweep's own arguments for the Slurm tasks, paths as given: the tasks
 * start in this directory, so that the experiment (its file, its text,
 * hence its hash) is the same as a sweep run here. */
static char *task_args(const cli_args *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    sh_quote(f, a->pos[0]);
    static const char *const rep[] = {"set", "axis"};
    for (size_t r = 0; r < 2; r++) {
        size_t n;
        char **v = cli_all(a, rep[r], &n);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, " --%s ", rep[r]);
            sh_quote(f, v[i]);
        }
    }
    if (cli_count(a, "seeds")) {
        fputs(" --seeds ", f);
        sh_quote(f, cli_str(a, "seeds", ""));
    }
    if (cli_count(a, "quick"))
        fputs(" --quick", f);
    return fclose(f) ? (free(buf), NULL) : buf;
}

/* Run cmd (sbatch ...); its first output line into out. */
static bool run_cmd(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    out[0] = '\0';
    if (!fgets(out, (int)cap, p))
        out[0] = '\0';
    out[strcspn(out, "\r\n;")] = '\0';
    return pclose(p) == 0 && out[0];
}

static int slurm(const cli_args *a, const exp_experiment *e, const char *db)
{
    char self[PATH_MAX], dbabs[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return cli_usage(a->cmd, "--slurm: cannot find the offsim binary");
    self[n] = '\0';
    if (db[0] == '/')
        snprintf(dbabs, sizeof dbabs, "%s", db);
    else {
        char cwd[PATH_MAX];
        snprintf(dbabs, sizeof dbabs, "%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", db);
    }
    char *args = task_args(a), *dir = NULL;
    unsigned array = (unsigned)cli_uint(a, "array", 4);
    if (array > e->n_points)
        array = (unsigned)e->n_points;
    char cwd[PATH_MAX];
    exp_slurm_opts o = {.offsim = self, .args = args ? args : "", .db = dbabs, .array = array,
                        .dir = getcwd(cwd, sizeof cwd) ? cwd : ".",
                        .partition = cli_str(a, "partition", NULL),
                        .time = cli_str(a, "time", NULL)};
    off_err err = {0};
    off_status st = args ? exp_slurm_write(&o, &dir, &err)
                         : off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    free(args);
    if (st)
        return cli_fail(st, &err);
    int rc = 0;
    if (!cli_count(a, "submit")) {
        printf("wrote %s/sweep.sbatch (%u tasks over %zu points) and %s/merge.sbatch; submit:\n"
               "  JOB=$(sbatch --parsable %s/sweep.sbatch)\n"
               "  sbatch --dependency=afterok:$JOB %s/merge.sbatch\n",
               dir, array, e->n_points, dir, dir, dir);
    } else {
        char cmd[PATH_MAX * 2 + 128], job[64], merge[64];
        snprintf(cmd, sizeof cmd, "sbatch --parsable '%s/sweep.sbatch'", dir);
        if (!run_cmd(cmd, job, sizeof job)) {
            fprintf(stderr, "offsim sweep: `%s` failed\n", cmd);
            rc = 1;
        } else {
            snprintf(cmd, sizeof cmd, "sbatch --parsable --dependency=afterok:%s '%s/merge.sbatch'",
                     job, dir);
            if (!run_cmd(cmd, merge, sizeof merge)) {
                fprintf(stderr, "offsim sweep: `%s` failed (array job %s is submitted)\n", cmd,
                        job);
                rc = 1;
            } else {
                printf("submitted array job %s (%u tasks) and merge job %s -> %s\n", job, array,
                       merge, dbabs);
            }
        }
    }
    free(dir);
    return rc;
}

/* The figures of a sweep that ended (failed points or not: the figure
 * shows what ran); rc, or 1 when a figure could not be drawn. */
static int draw_figures(const cli_args *a, const exp_experiment *e, const cli_figs *figs,
                        const char *db, unsigned n_shards, int rc)
{
    if (figs->n == 0 || cli_count(a, "no-figures"))
        return rc;
    bool quiet = cli_count(a, "quiet") > 0;
    if (n_shards > 1) {
        /* One shard holds a block of the points: its figures would be
         * wrong, not partial.  The merged database has them all. */
        if (!quiet)
            printf("figures: not drawn for one shard; after `offsim merge`, draw them with "
                   "`offsim plot MERGED.db --x ...` (or run the sweep into the merged database)\n");
        return rc;
    }
    size_t failed = cli_figs_draw(e, figs, db, quiet ? NULL : stdout);
    if (failed) {
        fprintf(stderr, "offsim: %zu figure%s not drawn (the runs are in %s; `offsim plot %s "
                "--x ...` draws them)\n", failed, failed == 1 ? "" : "s", db, db);
        return 1;
    }
    return rc;
}

/* The claims of a sweep that ended; rc, or 1 when a claim fails. */
static int check_claims(const cli_args *a, const exp_experiment *e, const char *db,
                        unsigned n_shards, int rc)
{
    if (e->n_claims == 0 || cli_count(a, "no-claims"))
        return rc;
    if (n_shards > 1) {
        if (!cli_count(a, "quiet"))
            printf("claims: not checked for one shard; after `offsim merge`, `offsim check "
                   "EXPERIMENT --db MERGED.db` checks them\n");
        return rc;
    }
    int crc = cli_check_claims(e, db, cli_count(a, "quiet") > 0);
    return crc > rc ? crc : rc;
}

static int sweep(const cli_args *a)
{
    unsigned shard = 0, n_shards = 1;
    if (cli_count(a, "shard")) {
        const char *s = cli_str(a, "shard", "");
        char tail;
        if (sscanf(s, "%u/%u%c", &shard, &n_shards, &tail) != 2 || n_shards == 0 ||
            shard >= n_shards)
            return cli_usage(a->cmd, "--shard '%s': expected I/N with 0 <= I < N", s);
    }
    static const char *const slurm_only[] = {"array", "partition", "time", "submit"};
    for (size_t k = 0; k < OFF_COUNT(slurm_only); k++)
        if (cli_count(a, slurm_only[k]) && !cli_count(a, "slurm"))
            return cli_usage(a->cmd, "--%s goes with --slurm", slurm_only[k]);
    exp_cli cli = {.seeds = cli_str(a, "seeds", NULL), .quick = cli_count(a, "quick") > 0};
    cli.axis = cli_all(a, "axis", &cli.n_axis);
    cli.set = cli_all(a, "set", &cli.n_set);
    exp_experiment e;
    off_err err = {0};
    off_status st = exp_load(&e, a->pos[0], &cli, &err);
    if (st == OFF_EUSAGE)
        return cli_usage(a->cmd, "%s", err.msg);
    if (st)
        return cli_fail_input(st, &err);
    cli_figs figs;
    if ((st = cli_figs_parse(&e, &figs, &err)) || (st = exp_validate(&e, &err))) {
        cli_figs_free(&figs);
        exp_free(&e);
        return cli_fail_input(st, &err);
    }
    char defdb[1024];
    snprintf(defdb, sizeof defdb, "results/%s.db", e.name);
    const char *db = cli_str(a, "db", defdb);
    int rc = 0;
    size_t P = e.n_points, first = (size_t)((uint64_t)shard * P / n_shards),
           last = (size_t)((uint64_t)(shard + 1) * P / n_shards);
    if (cli_count(a, "dry-run")) {
        printf("%s: %zu point%s", e.name, P, P == 1 ? "" : "s");
        if (n_shards > 1)
            printf(", shard %u/%u: points %zu..%zu", shard, n_shards, first, last ? last - 1 : 0);
        printf(" -> %s\n", db);
        exp_print_table(&e, first, last, stdout);
    } else if (cli_count(a, "slurm")) {
        rc = slurm(a, &e, db);
    } else {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        exp_run_opts o = {.db = db, .jobs = (unsigned)cli_uint(a, "jobs", cores > 0 ? (uint64_t)cores : 1),
                          .shard = shard, .n_shards = n_shards,
                          .quiet = cli_count(a, "quiet") > 0,
                          .bar = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO), .out = stdout};
        exp_run_stats rs;
        off_interrupt_install();
        st = exp_run(&e, &o, &rs, &err);
        if (rs.interrupted) {
            fprintf(stderr, "offsim: %s\n", err.msg);
            rc = 130;
        } else if (st) {
            rc = cli_fail(st, &err);
        } else {
            printf("sweep %s: %zu point%s, %zu already done, %zu run, %zu failed -> %s\n", e.name,
                   rs.points, rs.points == 1 ? "" : "s", rs.done_before, rs.ok + rs.failed,
                   rs.failed, db);
            if (rs.failed) {
                fprintf(stderr, "offsim: %zu point%s failed (recorded 'failed' with the error; "
                        "the next sweep runs them again)\n", rs.failed, rs.failed == 1 ? "" : "s");
                rc = 1;
            }
            rc = draw_figures(a, &e, &figs, db, n_shards, rc);
            rc = check_claims(a, &e, db, n_shards, rc);
        }
    }
    cli_figs_free(&figs);
    exp_free(&e);
    return rc;
}
