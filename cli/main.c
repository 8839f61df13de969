/*
 * main.c - the `offsim` command: parses the command line, calls the
 * modules, and turns statuses into exit codes (0 ok, 1 run-time failure,
 * 2 bad usage or bad input).  The only place that exits.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "off.h"
#include "plt.h"
#include "pol.h"
#include "res.h"
#include "scn.h"
#include "sim.h"

#define MAX_SETS 256

static const char *usage_main =
    "usage: offsim COMMAND [ARGS]\n"
    "\n"
    "Discrete-event simulation of DNN inference offloading at the edge.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.yaml [--seed N] [--db PATH] [--set path=value]...\n"
    "                      run a scenario, write its results to a SQLite database\n"
    "  validate SCENARIO.yaml [--set path=value]...\n"
    "                      check a scenario without running it\n"
    "  report DB           per-run latency (mean, 95% CI, p50/p95/p99), energy,\n"
    "                      deadline misses and accuracy\n"
    "  plot DB [--out FILE] [--learning]\n"
    "                      draw the latency CDF of every run, or the learning curves\n"
    "  train SCENARIO.yaml [--steps N] [--out CKPT] [--seed N]\n"
    "                      train the scenario's ppo or sac-discrete policy\n"
    "  policies            list the policies and their parameters\n"
    "  models list|info|export  the model zoo: architectures and model files\n"
    "\n"
    "options: --help (also after a command), --version\n"
    "exit status: 0 success, 1 run-time failure, 2 bad usage or bad input,\n"
    "             130 run interrupted (Ctrl-C; recorded as 'interrupted')\n"
    "docs: README.md, docs/scenario-reference.md, docs/results-schema.md\n";

static const char *usage_run =
    "usage: offsim run SCENARIO.yaml [--seed N] [--db PATH] [--set path=value]... [--quiet]\n"
    "\n"
    "Runs the scenario to completion and records it as one run in the database\n"
    "(default: the scenario's output.db, else results/<name>.db).\n"
    "  --seed N          master seed (overrides the scenario's seed)\n"
    "  --db PATH         database to write (created if missing; runs are appended)\n"
    "  --set path=value  override a scenario key, e.g. --set devices.0.count=20\n"
    "                    or --set policy.type=edge (repeatable)\n"
    "  --quiet           print nothing on success\n";

static const char *usage_validate =
    "usage: offsim validate SCENARIO.yaml [--set path=value]...\n"
    "\n"
    "Loads the scenario and builds its world without running it.  Errors are\n"
    "printed as FILE:LINE:COL: message; exit status 2 on any error.\n";

static const char *usage_report =
    "usage: offsim report DB\n"
    "\n"
    "Prints, for every run in the database, the mean latency with its 95%\n"
    "confidence interval (batch means), p50/p95/p99, mean device energy,\n"
    "deadline-miss rate and accuracy.\n";

static const char *usage_plot =
    "usage: offsim plot DB [--out FILE] [--learning]\n"
    "\n"
    "Draws the latency CDF of every run in the database with gnuplot (PNG).\n"
    "  --out FILE   output file (default: DB with .db replaced by -latency.png,\n"
    "               or -learning.png)\n"
    "  --learning   the learning curves of the `offsim train` runs instead\n"
    "               (mean reward per decision against decisions learned from)\n";

static const char *usage_policies = "usage: offsim policies\n\nLists the policies.\n";

int cli_fail(off_status st, const off_err *err)
{
    fprintf(stderr, "offsim: %s\n", err->msg[0] ? err->msg : off_status_str(st));
    return off_exit_code(st);
}

/* A file named on the command line that cannot be read, or is not what it
 * should be (not a scenario, not an offsim database), is bad input (2). */
int cli_fail_input(off_status st, const off_err *err)
{
    return cli_fail(st == OFF_EIO || st == OFF_EDB ? OFF_EINVAL : st, err);
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg,
                       const char *usage)
{
    fprintf(stderr, "offsim %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return 2;
}

bool cli_is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int cli_unknown_option(const char *cmd, const char *a, const char *const *flags, size_t n,
                       const char *usage)
{
    const char *dym = flags ? off_did_you_mean(a, flags, n) : NULL;
    fprintf(stderr, "offsim %s: unknown option '%s'", cmd, a);
    if (dym)
        fprintf(stderr, " (did you mean '%s'?)", dym);
    fprintf(stderr, "\n%s", usage);
    return 2;
}

/* Common parsing of "SCENARIO [--seed N] [--db PATH] [--set k=v]...". */
typedef struct run_args {
    const char *file;
    const char *db;
    const char *seed;
    scn_override sets[MAX_SETS];
    size_t n_sets;
    char seed_buf[64];
    bool quiet;
} run_args;

static int parse_run_args(const char *cmd, int argc, char **argv, run_args *ra,
                          bool allow_run_flags, const char *usage)
{
    static const char *const run_flags[] = {"--seed", "--db", "--set", "--quiet", "--help"};
    static const char *const val_flags[] = {"--set", "--help"};
    const char *const *flags = allow_run_flags ? run_flags : val_flags;
    size_t n_flags = allow_run_flags ? 5 : 2;
    memset(ra, 0, sizeof *ra);
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            return -1;
        }
        const char *val = NULL;
        char *eq = NULL;
        if (strncmp(a, "--", 2) == 0 && (eq = strchr(a, '=')) &&
            (strncmp(a, "--seed=", 7) == 0 || strncmp(a, "--db=", 5) == 0 ||
             strncmp(a, "--set=", 6) == 0)) {
            *eq = '\0';
            val = eq + 1;
        }
        bool known = false;
        for (size_t k = 0; k < n_flags; k++)
            known = known || strcmp(a, flags[k]) == 0;
        if (a[0] == '-' && a[1] != '\0' && !known)
            return cli_unknown_option(cmd, a, flags, n_flags, usage);
        if (strcmp(a, "--quiet") == 0) {
            ra->quiet = true;
            continue;
        }
        if (known) {
            if (!val) {
                if (i + 1 >= argc)
                    return cli_usage_error(cmd, "option '%s' needs a value", a, usage);
                val = argv[++i];
            }
            if (strcmp(a, "--seed") == 0) {
                char *end;
                errno = 0;
                unsigned long long v = strtoull(val, &end, 10);
                if (!*val || *end || errno || val[0] == '-')
                    return cli_usage_error(cmd,
                                       "--seed expects a non-negative integer, got '%s'",
                                       val, usage);
                snprintf(ra->seed_buf, sizeof ra->seed_buf, "seed=%llu", v);
                ra->seed = ra->seed_buf;
            } else if (strcmp(a, "--db") == 0) {
                if (!*val)
                    return cli_usage_error(cmd, "--db expects a path%s", "", usage);
                ra->db = val;
            } else { /* --set */
                if (ra->n_sets >= MAX_SETS - 1)
                    return cli_usage_error(cmd, "too many --set options (at most %s)",
                                       "255", usage);
                off_err err = {0};
                off_status st = scn_override_parse((char *)val, &ra->sets[ra->n_sets], &err);
                if (st != OFF_OK) {
                    fprintf(stderr, "offsim %s: %s\n", cmd, err.msg);
                    return 2;
                }
                ra->n_sets++;
            }
            continue;
        }
        if (ra->file)
            return cli_usage_error(cmd, "unexpected argument '%s' (one scenario file)", a,
                               usage);
        ra->file = a;
    }
    if (!ra->file)
        return cli_usage_error(cmd, "missing the scenario file%s", "", usage);
    if (ra->seed) {
        /* --seed is an override of the key `seed`: same validation, and it
         * is recorded with the run's overrides. */
        char *eq = strchr(ra->seed_buf, '=');
        *eq = '\0';
        ra->sets[ra->n_sets].path = ra->seed_buf;
        ra->sets[ra->n_sets].value = eq + 1;
        ra->n_sets++;
    }
    return 0;
}

static void print_summary(const scn_scenario *s, const char *db, int64_t run_id,
                          const res_summary *sum)
{
    printf("run %lld: %s, policy %s, seed %llu -> %s\n", (long long)run_id, s->name,
           s->policy.type ? s->policy.type : "local", (unsigned long long)s->seed, db);
    printf("  tasks %zu (after warm-up), simulated %.3f s, %llu events\n",
           sum->n_tasks, sum->sim_time_s, (unsigned long long)sum->events);
    if (sum->n_done == 0) {
        printf("  no task finished\n");
        return;
    }
    printf("  latency mean %.3f ms", sum->latency.mean * 1e3);
    if (!isnan(sum->latency.ci95))
        printf(" +- %.3f ms (95%% CI)", sum->latency.ci95 * 1e3);
    printf(", p50 %.3f, p95 %.3f, p99 %.3f ms\n", sum->latency.p50 * 1e3,
           sum->latency.p95 * 1e3, sum->latency.p99 * 1e3);
    printf("  energy %.3f mJ/task, deadline miss %.2f %%, accuracy %.2f %%, reward %.4f/task\n",
           sum->energy_mean_j * 1e3, sum->deadline_miss * 100, sum->accuracy * 100,
           sum->reward_mean);
}

/* Parse the arguments of run/validate and load the scenario.  Returns -1
 * when the scenario is loaded (*s owns it), else the exit status. */
static int load_from_args(const char *cmd, int argc, char **argv, bool run_flags,
                          const char *usage, run_args *ra, scn_scenario *s)
{
    int rc = parse_run_args(cmd, argc, argv, ra, run_flags, usage);
    if (rc)
        return rc < 0 ? 0 : rc;
    off_err err = {0};
    off_status st = scn_load(s, ra->file, ra->sets, ra->n_sets, &err);
    return st == OFF_OK ? -1 : cli_fail_input(st, &err);
}

static int cmd_run(int argc, char **argv)
{
    run_args ra;
    scn_scenario s;
    int rc = load_from_args("run", argc, argv, true, usage_run, &ra, &s);
    if (rc >= 0)
        return rc;
    off_err err = {0};
    off_status st;
    off_interrupt_install();
    res_summary sum;
    int64_t run_id = -1;
    double t0 = off_wall_seconds();
    st = sim_run_scenario(&s, ra.db, &sum, &run_id, &err);
    double wall = off_wall_seconds() - t0;
    if (st != OFF_OK) {
        scn_free(&s);
        if (off_interrupted()) {
            fprintf(stderr, "offsim: interrupted; run %lld is recorded as "
                            "'interrupted' with the tasks finished so far\n",
                    (long long)run_id);
            return 130;
        }
        return cli_fail(st, &err);
    }
    if (!ra.quiet) {
        print_summary(&s, ra.db ? ra.db : s.db_path, run_id, &sum);
        printf("  wall %.3f s (%.0f tasks/s)\n", wall,
               wall > 0 ? (double)sum.n_tasks / wall : 0.0);
    }
    scn_free(&s);
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    run_args ra;
    scn_scenario s;
    int rc = load_from_args("validate", argc, argv, false, usage_validate, &ra, &s);
    if (rc >= 0)
        return rc;
    off_err err = {0};
    sim_world *w = NULL;
    /* a learning policy without a checkpoint is one to train: build it as
     * `offsim train` would, and say what `offsim run` still needs */
    const pol_class *cls = pol_find(s.policy.type ? s.policy.type : "local");
    bool to_train = cls && pol_is_learning(cls) && !scn_policy_param(&s.policy, "checkpoint");
    pol_train probe = {.max_steps = 1, .seed = s.seed};
    off_status st = sim_world_new_train(&w, &s, to_train ? &probe : NULL, NULL, &err);
    if (probe.free_agent)
        probe.free_agent(probe.agent);
    if (st != OFF_OK) {
        sim_world_free(w);
        scn_free(&s);
        return cli_fail(st, &err);
    }
    const mdl_model *m = sim_world_model(w);
    size_t n = 0;
    for (size_t i = 0; i < s.n_devices; i++)
        n += s.devices[i].count;
    printf("%s: ok (scenario '%s': %zu device%s, %zu server%s, model '%s' with %zu "
           "layer%s and %zu exit%s, policy %s)\n",
           ra.file, s.name, n, n == 1 ? "" : "s", s.n_servers,
           s.n_servers == 1 ? "" : "s", m->name, m->n_layers, m->n_layers == 1 ? "" : "s",
           m->n_exits, m->n_exits == 1 ? "" : "s", s.policy.type ? s.policy.type : "local");
    if (to_train)
        printf("  policy %s has no checkpoint: `offsim train %s` trains it; `offsim run` "
               "needs policy.checkpoint\n", s.policy.type, ra.file);
    sim_world_free(w);
    scn_free(&s);
    return 0;
}

static int one_db_arg(const char *cmd, int argc, char **argv, const char *usage,
                      const char **db, const char **out, bool *learning)
{
    *db = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            return -1;
        }
        if (learning && strcmp(a, "--learning") == 0) {
            *learning = true;
            continue;
        }
        if (out && strcmp(a, "--out") == 0) {
            if (i + 1 >= argc)
                return cli_usage_error(cmd, "option '%s' needs a value", a, usage);
            *out = argv[++i];
            continue;
        }
        if (out && strncmp(a, "--out=", 6) == 0) {
            *out = a + 6;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            static const char *const flags[] = {"--out", "--learning", "--help"};
            return cli_unknown_option(cmd, a, out ? flags : NULL, 3, usage);
        }
        if (*db)
            return cli_usage_error(cmd, "unexpected argument '%s' (one database)", a, usage);
        *db = a;
    }
    if (!*db)
        return cli_usage_error(cmd, "missing the database%s", "", usage);
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    const char *path;
    int rc = one_db_arg("report", argc, argv, usage_report, &path, NULL, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    res_db *db;
    off_err err = {0};
    off_status st = res_open_readonly(&db, path, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    st = res_report(db, stdout, &err);
    res_close(db);
    return st == OFF_OK ? 0 : cli_fail(st, &err);
}

static int cmd_plot(int argc, char **argv)
{
    const char *path, *out = NULL;
    bool learning = false;
    int rc = one_db_arg("plot", argc, argv, usage_plot, &path, &out, &learning);
    if (rc)
        return rc < 0 ? 0 : rc;
    res_db *db;
    off_err err = {0};
    off_status st = res_open_readonly(&db, path, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    plt_opts opts = {learning ? PLT_LEARNING : PLT_LATENCY_CDF, out, 0, 0};
    char written[4096];
    st = plt_draw(db, &opts, written, sizeof written, &err);
    res_close(db);
    if (st != OFF_OK)
        return cli_fail(st, &err);
    printf("wrote %s\n", written);
    return 0;
}

static int cmd_policies(int argc, char **argv)
{
    if (argc > 0 && cli_is_help(argv[0])) {
        fputs(usage_policies, stdout);
        return 0;
    }
    if (argc > 0)
        return cli_usage_error("policies", "unexpected argument '%s'", argv[0], usage_policies);
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("offsim %s\n", OFF_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"run", cmd_run},       {"validate", cmd_validate},
                {"report", cmd_report}, {"plot", cmd_plot},
                {"policies", cmd_policies}, {"models", cmd_models},
                {"train", cmd_train}};
    size_t nc = sizeof cmds / sizeof cmds[0];
    for (size_t i = 0; i < nc; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(argc - 2, argv + 2);
    const char *names[16];
    for (size_t i = 0; i < nc; i++)
        names[i] = cmds[i].name;
    const char *dym = off_did_you_mean(cmd, names, nc);
    fprintf(stderr, "offsim: unknown command '%s'", cmd);
    if (dym)
        fprintf(stderr, " (did you mean '%s'?)", dym);
    fprintf(stderr, "\n%s", usage_main);
    return 2;
}
