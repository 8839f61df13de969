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
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
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

#define MAX_SETS 256

static const char *usage_train =
    "usage: offsim train SCENARIO.yaml [--steps N] [--out CKPT] [--seed N] [--db PATH]\n"
    "                    [--set path=value]... [--quiet]\n"
    "\n"
    "Trains the scenario's learning policy (policy: {type: ppo | sac-discrete, ...})\n"
    "over repeated runs of the scenario (episodes) until it has learned from N task\n"
    "decisions, then writes its weights to CKPT for `checkpoint:`.  The learning\n"
    "curve goes to the table `training` of the database, under one run.\n"
    "  --steps N         decisions to learn from (default 100000)\n"
    "  --out CKPT        checkpoint (default results/<scenario>-<policy>.ckpt)\n"
    "  --seed N          training seed: the agent's stream, and episode k runs with\n"
    "                    seed 1000000 (N + 1) + k (default: the scenario's seed)\n"
    "  --db PATH         database (default: the scenario's output.db)\n"
    "  --set path=value  override a scenario key (repeatable)\n"
    "  --quiet           no progress line\n";

typedef struct train_ctx {
    res_db *db;
    int64_t run_id;
    uint64_t episode;        /* episodes finished */
    double episode_return;   /* last finished episode's mean reward */
    double t0, last_print;
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

static int parse_u64(const char *flag, const char *v, uint64_t lo, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || x < lo) {
        fprintf(stderr, "offsim train: %s expects an integer >= %llu, got '%s'\n%s", flag,
                (unsigned long long)lo, v, usage_train);
        return 2;
    }
    *out = x;
    return 0;
}

int cmd_train(int argc, char **argv)
{
    static const char *const flags[] = {"--steps", "--out", "--seed", "--db",
                                        "--set",   "--quiet", "--help"};
    const char *file = NULL, *out = NULL, *dbp = NULL;
    uint64_t steps = 100000, seed = 0;
    bool have_seed = false, quiet = false;
    scn_override sets[MAX_SETS];
    size_t n_sets = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_train, stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = true;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            char *val = strchr(a, '=');
            if (val)
                *val++ = '\0';
            bool known = false;
            for (size_t k = 0; k < sizeof flags / sizeof *flags; k++)
                known = known || !strcmp(a, flags[k]);
            if (!known)
                return cli_unknown_option("train", a, flags, sizeof flags / sizeof *flags,
                                          usage_train);
            if (!val) {
                if (i + 1 >= argc)
                    return cli_usage_error("train", "option '%s' needs a value", a,
                                           usage_train);
                val = argv[++i];
            }
            int rc = 0;
            if (!strcmp(a, "--steps")) {
                rc = parse_u64(a, val, 1, &steps);
            } else if (!strcmp(a, "--seed")) {
                rc = parse_u64(a, val, 0, &seed);
                have_seed = true;
            } else if (!strcmp(a, "--out") || !strcmp(a, "--db")) {
                if (!*val)
                    return cli_usage_error("train", "%s expects a path", a, usage_train);
                *(!strcmp(a, "--out") ? &out : &dbp) = val;
            } else { /* --set */
                if (n_sets >= MAX_SETS)
                    return cli_usage_error("train", "too many --set options (at most %s)",
                                           "256", usage_train);
                off_err e = {0};
                if (scn_override_parse(val, &sets[n_sets], &e) != OFF_OK) {
                    fprintf(stderr, "offsim train: %s\n", e.msg);
                    return 2;
                }
                n_sets++;
            }
            if (rc)
                return rc;
            continue;
        }
        if (file)
            return cli_usage_error("train", "unexpected argument '%s' (one scenario file)",
                                   a, usage_train);
        file = a;
    }
    if (!file)
        return cli_usage_error("train", "missing the scenario file%s", "", usage_train);

    scn_scenario s;
    off_err err = {0};
    off_status st = scn_load(&s, file, sets, n_sets, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    const char *type = s.policy.type ? s.policy.type : "local";
    const pol_class *cls = pol_find(type);
    if (!cls || !pol_is_learning(cls)) {
        off_errf(&err, OFF_EINVAL, s.policy.pos.file ? s.policy.pos.file : s.file,
                 s.policy.pos.line, s.policy.pos.col,
                 "offsim train needs a learning policy (type: ppo or sac-discrete); "
                 "the scenario's policy is '%s'", type);
        scn_free(&s);
        return cli_fail(OFF_EINVAL, &err);
    }
    if (!have_seed)
        seed = s.seed;
    char out_buf[1024];
    if (!out) {
        snprintf(out_buf, sizeof out_buf, "results/%s-%s.ckpt", s.name, type);
        out = out_buf;
    }

    /* Check the scenario builds (and fails with its positions) before
     * anything is written. */
    sim_world *w = NULL;
    pol_train probe = {.max_steps = steps, .seed = seed};
    st = sim_world_new_train(&w, &s, &probe, NULL, &err);
    struct mdl_trained *trained = st == OFF_OK ? sim_world_release_trained(w) : NULL;
    sim_world_free(w);
    w = NULL;
    if (probe.free_agent)
        probe.free_agent(probe.agent);
    if (st != OFF_OK)
        goto fail_input;

    train_ctx c = {0};
    c.target = steps;
    c.quiet = quiet;
    c.tty = isatty(STDOUT_FILENO);
    c.episode_return = NAN;
    c.recent = NAN;
    if ((st = res_open(&c.db, dbp ? dbp : s.db_path, &err)) != OFF_OK) {
        mdl_trained_close(trained, NULL);
        goto fail_input;
    }
    char *config = sim_config_text(&s);
    char overrides[256];
    snprintf(overrides, sizeof overrides, "%s%soffsim train --steps %llu --seed %llu --out %s",
             s.overrides ? s.overrides : "", s.overrides && *s.overrides ? "\n" : "",
             (unsigned long long)steps, (unsigned long long)seed, out);
    res_run_info info = {s.name, s.file, config ? config : "", overrides,
                         sim_config_hash(&s), seed, type};
    st = config ? res_run_begin(c.db, &info, &c.run_id, &err)
                : off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    free(config);
    if (st != OFF_OK) {
        mdl_trained_close(trained, NULL);
        res_close(c.db);
        scn_free(&s);
        return cli_fail(st, &err);
    }

    off_interrupt_install();
    pol_train t = {0};
    t.max_steps = steps;
    t.seed = seed;
    t.log = on_point;
    t.log_ud = &c;
    c.t0 = off_wall_seconds();
    if (!quiet)
        printf("training %s on %s: %llu steps, seed %llu -> %s\n", type, s.name,
               (unsigned long long)steps, (unsigned long long)seed, out);
    st = sim_train(&s, &t, seed, trained, on_episode, &c, &err);
    double wall = off_wall_seconds() - c.t0;
    if (c.tty && !quiet)
        putchar('\n');
    if (st == OFF_OK && c.err.msg[0]) {
        err = c.err;
        st = OFF_EDB;
    }
    if (st == OFF_OK)
        st = pol_rl_save(&t, out, &err);
    off_err e2;
    if (st == OFF_OK) {
        st = res_run_end(c.db, c.run_id, "ok", wall, NULL, &err);
    } else {
        res_run_end(c.db, c.run_id, off_interrupted() && !c.err.msg[0] ? "interrupted" : "failed",
                    wall, NULL, &e2);
    }
    res_close(c.db);
    uint64_t learned = pol_rl_steps(&t);
    if (t.free_agent)
        t.free_agent(t.agent);
    if (st != OFF_OK) {
        bool intr = off_interrupted() && !c.err.msg[0];
        scn_free(&s);
        if (intr) {
            fprintf(stderr, "offsim: interrupted; no checkpoint written\n");
            return 130;
        }
        return cli_fail(st, &err);
    }
    if (!quiet)
        printf("trained %llu steps in %llu episodes, %.1f s (%.0f steps/s); last episode's "
               "mean reward %.4f\ncheckpoint %s, learning curve in %s (run %lld)\n",
               (unsigned long long)learned, (unsigned long long)c.episode, wall,
               wall > 0 ? (double)learned / wall : 0.0, c.episode_return, out,
               dbp ? dbp : s.db_path, (long long)c.run_id);
    scn_free(&s);
    return 0;
fail_input:
    scn_free(&s);
    return cli_fail_input(st, &err);
}
