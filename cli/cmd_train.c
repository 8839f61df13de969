/*
 * cmd_train.c - `offsim train SCENARIO.yaml`: trains the scenario's learning
 * policy (`ppo` or `sac-discrete`) inside the simulator and writes its
 * checkpoint, with the learning curve in the results database.
 *
 * The episodes are sim_train's (sim.h): runs of the scenario with seeds
 * 1,000,000 (N + 1) + k, N the training seed (--seed, default the
 * scenario's), so that training never sees the small seeds used to
 * evaluate.  The agent's own stream is seeded with N.  Same scenario, N,
 * steps and binary: the same checkpoint, bit for bit.
 *
 * The steps: load the scenario, check it builds (nothing is written before
 * that), begin the run in the database, train, save the checkpoint, end
 * the run.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mdl_trained.h"
#include "pol.h"
#include "res.h"
#include "scn.h"
#include "sim.h"

static const cli_opt train_opts[] = {
    {"steps", 0, CLI_UINT, "N", "decisions to learn from (default 100000)", false, 1, 0},
    {"out", 0, CLI_PATH, "CKPT", "checkpoint (default results/<scenario>-<policy>.ckpt)",
     false, 0, 0},
    {"seed", 0, CLI_UINT, "N",
     "training seed: the agent's stream, and episode k runs with\nseed 1000000 (N + 1) + k "
     "(default: the scenario's seed)", false, 0, 0},
    {"db", 0, CLI_PATH, "PATH", "database (default: the scenario's output.db)", false, 0, 0},
    CLI_OPT_SET,
    {"quiet", 0, CLI_FLAG, NULL, "no progress line", false, 0, 0},
};

static int train(const cli_args *a);

const cli_cmd cmd_train_spec = {
    .name = "train", .args = "SCENARIO.yaml", .min_pos = 1, .max_pos = 1,
    .summary = "train the scenario's ppo or sac-discrete policy",
    .about = "Trains the scenario's learning policy (policy: {type: ppo | sac-discrete, ...})\n"
    "over repeated runs of the scenario (episodes) until it has learned from N task\n"
    "decisions, then writes its weights to CKPT for `checkpoint:`.  The learning\n"
    "curve goes to the table `training` of the database, under one run, whose\n"
    "overrides record every --set and this command's steps, seed and checkpoint.\n",
    CLI_OPTS(train_opts), .run = train};

/* What one training needs from its command line to its end. */
typedef struct train_job {
    scn_scenario s;
    const char *type;        /* the policy's type                         */
    const char *dbp;         /* --db, or NULL: the scenario's             */
    const char *out;         /* the checkpoint                            */
    char *out_buf;           /* the default checkpoint path (malloc'd)    */
    uint64_t steps, seed;
    struct mdl_trained *trained; /* opened by the probe, handed to sim_train */
} train_job;

typedef struct train_ctx {
    res_db *db;
    int64_t run_id;
    uint64_t episode;        /* episodes finished */
    double episode_return;   /* last finished episode's mean reward */
    double t0, last_print;
    double wall;             /* the training's wall time, once done */
    uint64_t target;
    bool tty, quiet;
    double recent;           /* the last point's mean reward */
    uint64_t last_steps;     /* the last point's step */
    off_err err;
} train_ctx;

static void progress(train_ctx *c, uint64_t steps, bool force)
{
    if (c->quiet || !c->tty)
        return;
    double now = off_wall_seconds();
    if (!force && now - c->last_print < 0.5)
        return;
    c->last_print = now;
    double el = now - c->t0;
    printf("\rsteps %llu/%llu  episodes %llu  recent mean reward %.4f  %.0f steps/s   ",
           (unsigned long long)steps, (unsigned long long)c->target,
           (unsigned long long)c->episode, c->recent, el > 0 ? (double)steps / el : 0.0);
    fflush(stdout);
}

static void on_point(void *ud, const pol_train_point *pt)
{
    train_ctx *c = ud;
    c->recent = pt->reward_mean;
    c->last_steps = pt->step;
    res_train_row r = {pt->step,        c->episode,      pt->updates,
                       pt->reward_mean, c->episode_return, pt->loss_policy,
                       pt->loss_value,  pt->entropy,     pt->temperature,
                       off_wall_seconds() - c->t0};
    if (c->err.msg[0] == '\0') /* after an error: no more rows; it fails at the end */
        res_add_training(c->db, c->run_id, &r, &c->err);
    progress(c, pt->step, false);
}

static void on_episode(void *ud, uint64_t episode, const res_summary *sum)
{
    train_ctx *c = ud;
    c->episode = episode;
    c->episode_return = sum->reward_mean;
    if (!c->quiet && !c->tty)
        printf("episode %llu: %zu tasks, mean reward %.4f\n", (unsigned long long)episode,
               sum->n_tasks, sum->reward_mean);
    progress(c, c->last_steps, true);
}

/* Load the scenario of the command line and check its policy learns; fill
 * j's options.  0, or the exit status (*j then owns nothing). */
static int load_job(const cli_args *a, train_job *j)
{
    cli_sets sets;
    int rc = cli_sets_parse(a, NULL, &sets);
    if (rc)
        return rc;
    off_err err = {0};
    off_status st = scn_load(&j->s, a->pos[0], sets.v, sets.n, &err);
    cli_sets_free(&sets);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    scn_scenario *s = &j->s;
    j->type = s->policy.type ? s->policy.type : "local";
    const pol_class *cls = pol_find(j->type);
    if (!cls || !pol_is_learning(cls)) {
        off_errf(&err, OFF_EINVAL, s->policy.pos.file ? s->policy.pos.file : s->file,
                 s->policy.pos.line, s->policy.pos.col,
                 "offsim train needs a learning policy (type: ppo or sac-discrete); "
                 "the scenario's policy is '%s'", j->type);
        scn_free(s);
        return cli_fail(OFF_EINVAL, &err);
    }
    j->steps = cli_uint(a, "steps", 100000);
    j->seed = cli_uint(a, "seed", s->seed);
    j->dbp = cli_str(a, "db", NULL);
    j->out = cli_str(a, "out", NULL);
    if (!j->out) {
        size_t cap = strlen(s->name) + strlen(j->type) + 32;
        if (!(j->out_buf = malloc(cap))) {
            scn_free(s);
            return cli_fail(OFF_ENOMEM, &err);
        }
        snprintf(j->out_buf, cap, "results/%s-%s.ckpt", s->name, j->type);
        j->out = j->out_buf;
    }
    return 0;
}

static void job_free(train_job *j)
{
    if (j->trained)
        mdl_trained_close(j->trained, NULL);
    j->trained = NULL;
    scn_free(&j->s);
    free(j->out_buf);
    j->out_buf = NULL;
}

/* Build the world once, so that a scenario that cannot run fails with its
 * positions before anything is written; keep its trained model. */
static off_status probe_world(train_job *j, off_err *err)
{
    sim_world *w = NULL;
    pol_train probe = {.max_steps = j->steps, .seed = j->seed};
    off_status st = sim_world_new_train(&w, &j->s, &probe, NULL, err);
    j->trained = st == OFF_OK ? sim_world_release_trained(w) : NULL;
    sim_world_free(w);
    if (probe.free_agent)
        probe.free_agent(probe.agent);
    return st;
}

/* The overrides recorded with the run: the --set lines, then the command
 * that trained (malloc'd, complete whatever its length; NULL if OOM). */
static char *train_overrides(const train_job *j)
{
    const char *sets = j->s.overrides ? j->s.overrides : "";
    const char *fmt = "%s%soffsim train --steps %llu --seed %llu --out %s";
    const char *nl = *sets ? "\n" : "";
    int len = snprintf(NULL, 0, fmt, sets, nl, (unsigned long long)j->steps,
                       (unsigned long long)j->seed, j->out);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text)
        snprintf(text, (size_t)len + 1, fmt, sets, nl, (unsigned long long)j->steps,
                 (unsigned long long)j->seed, j->out);
    return text;
}

/* Record the run that the training fills (c->db is open). */
static off_status begin_run(const train_job *j, train_ctx *c, off_err *err)
{
    off_status st;
    char *config = sim_config_text(&j->s);
    char *overrides = train_overrides(j);
    res_run_info info = {j->s.name, j->s.file, config ? config : "", overrides,
                         sim_config_hash(&j->s), j->seed, j->type};
    res_set_rng(c->db, sim_rng_name());
    st = config && overrides ? res_run_begin(c->db, &info, &c->run_id, err)
                             : off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    free(config);
    free(overrides);
    if (st != OFF_OK) {
        res_close(c->db);
        c->db = NULL;
    }
    return st;
}

/* Train, save the checkpoint and end the run ('ok', 'interrupted' or
 * 'failed'); the database is closed on return.  *learned: the steps. */
static off_status train_and_save(train_job *j, train_ctx *c, uint64_t *learned, off_err *err)
{
    off_interrupt_install();
    pol_train t = {0};
    t.max_steps = j->steps;
    t.seed = j->seed;
    t.log = on_point;
    t.log_ud = c;
    c->t0 = off_wall_seconds();
    if (!c->quiet)
        printf("training %s on %s: %llu steps, seed %llu -> %s\n", j->type, j->s.name,
               (unsigned long long)j->steps, (unsigned long long)j->seed, j->out);
    off_status st = sim_train(&j->s, &t, j->seed, j->trained, on_episode, c, err);
    j->trained = NULL; /* sim_train took it over */
    double wall = c->wall = off_wall_seconds() - c->t0;
    if (c->tty && !c->quiet)
        putchar('\n');
    if (st == OFF_OK && c->err.msg[0]) {
        *err = c->err;
        st = OFF_EDB;
    }
    if (st == OFF_OK)
        st = pol_rl_save(&t, j->out, err);
    off_err e2;
    if (st == OFF_OK)
        st = res_run_end(c->db, c->run_id, "ok", wall, NULL, err);
    else
        res_run_end(c->db, c->run_id,
                    off_interrupted() && !c->err.msg[0] ? "interrupted" : "failed", wall, NULL,
                    &e2);
    res_close(c->db);
    c->db = NULL;
    *learned = pol_rl_steps(&t);
    if (t.free_agent)
        t.free_agent(t.agent);
    return st;
}

static int train_job_run(train_job *j, bool quiet)
{
    off_err err = {0};
    off_status st = probe_world(j, &err);
    train_ctx c = {0};
    c.target = j->steps;
    c.quiet = quiet;
    c.tty = isatty(STDOUT_FILENO);
    c.episode_return = NAN;
    c.recent = NAN;
    /* nothing is written before the world builds and the database opens */
    if (st == OFF_OK)
        st = res_open(&c.db, j->dbp ? j->dbp : j->s.db_path, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    if ((st = begin_run(j, &c, &err)) != OFF_OK)
        return cli_fail(st, &err);
    uint64_t learned = 0;
    st = train_and_save(j, &c, &learned, &err);
    if (st != OFF_OK) {
        if (off_interrupted() && !c.err.msg[0]) {
            fprintf(stderr, "offsim: interrupted; no checkpoint written\n");
            return 130;
        }
        return cli_fail(st, &err);
    }
    double wall = c.wall;
    if (!quiet)
        printf("trained %llu steps in %llu episodes, %.1f s (%.0f steps/s); last episode's "
               "mean reward %.4f\ncheckpoint %s, learning curve in %s (run %lld)\n",
               (unsigned long long)learned, (unsigned long long)c.episode, wall,
               wall > 0 ? (double)learned / wall : 0.0, c.episode_return, j->out,
               j->dbp ? j->dbp : j->s.db_path, (long long)c.run_id);
    return 0;
}

static int train(const cli_args *a)
{
    train_job j = {0};
    int rc = load_job(a, &j);
    if (rc)
        return rc;
    rc = train_job_run(&j, cli_count(a, "quiet"));
    job_free(&j);
    return rc;
}
