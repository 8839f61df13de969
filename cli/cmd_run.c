/*
 * cmd_run.c - `offsim run` and `offsim validate`: load a scenario with its
 * overrides, then run it into a results database, or only build it.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pol.h"
#include "res.h"
#include "scn.h"
#include "sim.h"

static const cli_opt run_opts[] = {
    {"seed", 0, CLI_UINT, "N", "master seed (overrides the scenario's seed)", false, 0, 0},
    {"db", 0, CLI_PATH, "PATH", "database to write (created if missing; runs are appended)",
     false, 0, 0},
    CLI_OPT_SET,
    {"quiet", 0, CLI_FLAG, NULL, "print nothing on success", false, 0, 0},
};

static int run(const cli_args *a);
static int validate(const cli_args *a);

const cli_cmd cmd_run_spec = {
    .name = "run", .args = "SCENARIO.yaml", .min_pos = 1, .max_pos = 1,
    .summary = "run a scenario, write its results to a SQLite database",
    .about = "Runs the scenario to completion and records it as one run in the database\n"
    "(default: the scenario's output.db, else results/<name>.db), with every\n"
    "override in full.  Ctrl-C stops the run (exit 130) and records it as\n"
    "'interrupted' with the tasks finished so far.\n",
    CLI_OPTS(run_opts), .run = run};

static const cli_opt validate_opts[] = {CLI_OPT_SET};

const cli_cmd cmd_validate_spec = {
    .name = "validate", .args = "SCENARIO.yaml", .min_pos = 1, .max_pos = 1,
    .summary = "check a scenario without running it",
    .about = "Loads the scenario and builds its world without running it.  Errors are\n"
    "printed as FILE:LINE:COL: message; exit status 2 on any error in the\n"
    "scenario, 1 on a run-time failure (`offsim --help`: exit status).\n",
    CLI_OPTS(validate_opts), .run = validate};

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
    if (sum->bound_tasks > 0)
        printf("  reward bound %.4f/task (the oracle's, over the %llu tasks it decided)\n",
               sum->reward_bound, (unsigned long long)sum->bound_tasks);
}

/* Load the scenario of the command line with its overrides: 0 with *s
 * loaded, or the exit status. */
static int load(const cli_args *a, scn_scenario *s)
{
    cli_sets sets;
    int rc = cli_sets_parse(a, a->cmd == &cmd_run_spec ? "seed" : NULL, &sets);
    if (rc)
        return rc;
    off_err err = {0};
    off_status st = scn_load(s, a->pos[0], sets.v, sets.n, &err);
    cli_sets_free(&sets);
    return st == OFF_OK ? 0 : cli_fail_input(st, &err);
}

static int run(const cli_args *a)
{
    scn_scenario s;
    int rc = load(a, &s);
    if (rc)
        return rc;
    const char *db = cli_str(a, "db", NULL);
    off_err err = {0};
    off_interrupt_install();
    res_summary sum;
    int64_t run_id = -1;
    double t0 = off_wall_seconds();
    off_status st = sim_run_scenario(&s, db, &sum, &run_id, &err);
    double wall = off_wall_seconds() - t0;
    if (st != OFF_OK) {
        rc = cli_fail(st, &err);
        if (off_interrupted()) {
            fprintf(stderr, "offsim: interrupted; run %lld is recorded as "
                            "'interrupted' with the tasks finished so far\n",
                    (long long)run_id);
            rc = 130;
        }
    } else if (!cli_count(a, "quiet")) {
        print_summary(&s, db ? db : s.db_path, run_id, &sum);
        printf("  wall %.3f s (%.0f tasks/s)\n", wall,
               wall > 0 ? (double)sum.n_tasks / wall : 0.0);
    }
    scn_free(&s);
    return rc;
}

static void print_validated(const char *file, const scn_scenario *s, const mdl_model *m,
                            bool to_train)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_devices; i++)
        n += s->devices[i].count;
    printf("%s: ok (scenario '%s': %zu device%s, %zu server%s, model '%s' with %zu "
           "layer%s and %zu exit%s, policy %s)\n",
           file, s->name, n, n == 1 ? "" : "s", s->n_servers,
           s->n_servers == 1 ? "" : "s", m->name, m->n_layers, m->n_layers == 1 ? "" : "s",
           m->n_exits, m->n_exits == 1 ? "" : "s", s->policy.type ? s->policy.type : "local");
    if (to_train)
        printf("  policy %s has no checkpoint: `offsim train %s` trains it; `offsim run` "
               "needs policy.checkpoint\n", s->policy.type, file);
}

static int validate(const cli_args *a)
{
    scn_scenario s;
    int rc = load(a, &s);
    if (rc)
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
    if (st == OFF_OK)
        print_validated(a->pos[0], &s, sim_world_model(w), to_train);
    else
        rc = cli_fail(st, &err);
    sim_world_free(w);
    scn_free(&s);
    return rc;
}
