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
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>

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
    {"resume", 0, CLI_PATH, "CKPT",
     "continue the training saved in CKPT (its seed; --steps and --out\ndefault to its "
     "target and to CKPT)", false, 0, 0},
    {"seeds", 0, CLI_STR, "A..B|a,b,..",
     "train one agent per training seed, in parallel worker\nprocesses (--jobs); seed N "
     "writes OUT.seedN.ckpt; the held-out\nevaluations are summarised over the seeds",
     false, 0, 0},
    {"jobs", 'j', CLI_UINT, "J", "workers for --seeds (default: the online processors)",
     false, 1, 1024},
    {"checkpoint-every", 0, CLI_UINT, "N",
     "write the whole training state to CKPT every N decisions\n(default 10000; 0: at the "
     "end only)", false, 0, 0},
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
    "overrides record every --set and this command's steps, seed and checkpoint.\n"
    "Held-out evaluations (the policy's eval_every) keep the best agent in\n"
    "CKPT's .best.ckpt.  CKPT holds the whole training state, written every\n"
    "--checkpoint-every decisions and on Ctrl-C; --resume CKPT continues it.\n",
    CLI_OPTS(train_opts), .run = train};

/* One training seed's held-out evaluations, in memory shared with the
 * parent of --seeds' workers. */
#define SEED_MAX_EVALS 1024
typedef struct seed_result {
    uint64_t seed;
    int rc;                  /* the worker's exit status                  */
    uint64_t n, best_step, steps;
    double best;
    uint64_t step[SEED_MAX_EVALS];
    double reward[SEED_MAX_EVALS];
} seed_result;

/* What one training needs from its command line to its end. */
typedef struct train_job {
    scn_scenario s;
    const char *type;        /* the policy's type                         */
    const char *dbp;         /* --db, or NULL: the scenario's             */
    const char *out;         /* the checkpoint                            */
    char *out_buf;           /* the default checkpoint path (malloc'd)    */
    char *best;              /* the best agent's checkpoint (malloc'd)    */
    uint64_t steps, seed;
    uint64_t ckpt_every;     /* --checkpoint-every                        */
    const char *resume;      /* --resume, or NULL                         */
    pol_train from;          /* the resumed training's state (pol_rl_resume) */
    uint64_t eval_every;     /* the agent's, known after the probe        */
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
    bool saved_on_interrupt; /* Ctrl-C: the checkpoint was written        */
    seed_result *sr;         /* --seeds: this worker's results, or NULL   */
    double recent;           /* the last point's mean reward */
    double best;             /* the best evaluation, once done            */
    uint64_t best_step;      /* its step (0: no evaluation was made)      */
    uint64_t last_steps;     /* the last point's step */
    res_train_row last;      /* the last row written (step 0: none)       */
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
                       off_wall_seconds() - c->t0, false, NAN};
    if (c->err.msg[0] == '\0') /* after an error: no more rows; it fails at the end */
        res_add_training(c->db, c->run_id, &r, &c->err);
    c->last = r;
    progress(c, pt->step, false);
}

/* A held-out evaluation: its row of the curve (the learning-curve point of
 * the same step, if there is one, gains the evaluation), and a line. */
static void on_eval(void *ud, uint64_t step, double reward, bool best)
{
    train_ctx *c = ud;
    res_train_row r = {step, c->episode, c->last.updates, NAN, c->episode_return, NAN,
                       NAN, NAN, NAN, off_wall_seconds() - c->t0, true, reward};
    if (c->last.step == step) {
        r = c->last;
        r.has_eval = true;
        r.eval_reward = reward;
    }
    if (c->err.msg[0] == '\0')
        res_add_training(c->db, c->run_id, &r, &c->err);
    if (c->sr && c->sr->n < SEED_MAX_EVALS) {
        c->sr->step[c->sr->n] = step;
        c->sr->reward[c->sr->n++] = reward;
    }
    if (c->quiet)
        return;
    if (c->tty)
        putchar('\n');
    printf("evaluation at step %llu: mean reward %.4f%s\n", (unsigned long long)step, reward,
           best ? " (best so far)" : "");
    fflush(stdout);
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

static void job_free(train_job *j)
{
    if (j->trained)
        mdl_trained_close(j->trained, NULL);
    j->trained = NULL;
    scn_free(&j->s);
    free(j->out_buf);
    free(j->best);
    j->out_buf = j->best = NULL;
}

/* OUT.ckpt -> OUT<mid>.ckpt (another name: OUT<mid>), malloc'd */
static char *path_with(const char *out, const char *mid)
{
    size_t n = strlen(out), stem = n > 5 && strcmp(out + n - 5, ".ckpt") == 0 ? n - 5 : n;
    size_t cap = n + strlen(mid) + 1;
    char *p = malloc(cap);
    if (p)
        snprintf(p, cap, "%.*s%s%s", (int)stem, out, mid, stem < n ? ".ckpt" : "");
    return p;
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
    j->ckpt_every = cli_uint(a, "checkpoint-every", 10000);
    if ((j->resume = cli_str(a, "resume", NULL))) {
        j->from.max_steps = cli_count(a, "steps") ? j->steps : 0;
        if ((st = pol_rl_resume(&j->from, j->resume, &err)) != OFF_OK) {
            scn_free(s);
            return cli_fail_input(st, &err);
        }
        if (cli_count(a, "seed") && j->seed != j->from.seed) {
            off_errf(&err, OFF_EUSAGE, NULL, 0, 0,
                     "--seed %llu, but %s was trained with seed %llu (a resumed training "
                     "keeps its seed)", (unsigned long long)j->seed, j->resume,
                     (unsigned long long)j->from.seed);
            scn_free(s);
            return cli_fail(OFF_EUSAGE, &err);
        }
        j->seed = j->from.seed;
        j->steps = j->from.max_steps;
        if (j->from.resume_steps >= j->steps) {
            off_errf(&err, OFF_EUSAGE, NULL, 0, 0,
                     "%s has learned from %llu decisions already: give a --steps above "
                     "that to train on", j->resume, (unsigned long long)j->from.resume_steps);
            scn_free(s);
            return cli_fail(OFF_EUSAGE, &err);
        }
        if (!j->out)
            j->out = j->resume;
    }
    if (!j->out) {
        size_t cap = strlen(s->name) + strlen(j->type) + 32;
        if (!(j->out_buf = malloc(cap))) {
            scn_free(s);
            return cli_fail(OFF_ENOMEM, &err);
        }
        snprintf(j->out_buf, cap, "results/%s-%s.ckpt", s->name, j->type);
        j->out = j->out_buf;
    }
    if (!(j->best = path_with(j->out, ".best"))) {
        job_free(j);
        return cli_fail(OFF_ENOMEM, &err);
    }
    return 0;
}

/* Build the world once, so that a scenario that cannot run fails with its
 * positions before anything is written; keep its trained model. */
static off_status probe_world(train_job *j, off_err *err)
{
    sim_world *w = NULL;
    pol_train probe = j->from; /* a resumed agent must fit the scenario's */
    probe.max_steps = j->steps;
    probe.seed = j->seed;
    off_status st = sim_world_new_train(&w, &j->s, &probe, NULL, err);
    j->trained = st == OFF_OK ? sim_world_release_trained(w) : NULL;
    sim_world_free(w);
    j->eval_every = probe.eval_every;
    if (probe.free_agent)
        probe.free_agent(probe.agent);
    return st;
}

/* The overrides recorded with the run: the --set lines, then the command
 * that trained (malloc'd, complete whatever its length; NULL if OOM). */
static char *train_overrides(const train_job *j)
{
    const char *sets = j->s.overrides ? j->s.overrides : "";
    const char *fmt = "%s%soffsim train --steps %llu --seed %llu --out %s%s%s";
    const char *nl = *sets ? "\n" : "";
    const char *rs = j->resume ? " --resume " : "", *rp = j->resume ? j->resume : "";
    int len = snprintf(NULL, 0, fmt, sets, nl, (unsigned long long)j->steps,
                       (unsigned long long)j->seed, j->out, rs, rp);
    char *text = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (text)
        snprintf(text, (size_t)len + 1, fmt, sets, nl, (unsigned long long)j->steps,
                 (unsigned long long)j->seed, j->out, rs, rp);
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
    pol_train t = j->from;
    t.max_steps = j->steps;
    t.seed = j->seed;
    t.log = on_point;
    t.log_ud = c;
    t.best_path = j->best;
    t.on_eval = on_eval;
    t.eval_ud = c;
    t.ckpt_path = j->out;
    t.ckpt_every = j->ckpt_every;
    c->t0 = off_wall_seconds();
    if (!c->quiet && j->resume)
        printf("resuming %s from %s (episode %llu)\n", j->type, j->resume,
               (unsigned long long)t.episode);
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
    /* Ctrl-C: what was learned is kept (the cut episode's decisions too) */
    c->saved_on_interrupt = false;
    if (st != OFF_OK && off_interrupted() && t.agent &&
        pol_rl_save(&t, j->out, &e2) == OFF_OK)
        c->saved_on_interrupt = true;
    if (st == OFF_OK)
        st = res_run_end(c->db, c->run_id, "ok", wall, NULL, err);
    else
        res_run_end(c->db, c->run_id,
                    off_interrupted() && !c->err.msg[0] ? "interrupted" : "failed", wall, NULL,
                    &e2);
    res_close(c->db);
    c->db = NULL;
    *learned = pol_rl_steps(&t);
    c->best = t.best;
    c->best_step = t.best_step;
    if (t.free_agent)
        t.free_agent(t.agent);
    return st;
}

/* After the probe: record, train, save; sr (may be NULL) gets the results. */
static int train_probed(train_job *j, bool quiet, seed_result *sr)
{
    off_err err = {0};
    off_status st = OFF_OK;
    train_ctx c = {0};
    c.sr = sr;
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
    if (sr) {
        sr->best = c.best;
        sr->best_step = c.best_step;
        sr->steps = learned;
    }
    if (st != OFF_OK) {
        if (off_interrupted() && !c.err.msg[0]) {
            if (c.saved_on_interrupt)
                fprintf(stderr,
                        "offsim: interrupted after %llu steps; what was learned is in %s "
                        "(continue with --resume %s)\n",
                        (unsigned long long)learned, j->out, j->out);
            else
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
    if (!quiet && c.best_step)
        printf("best held-out evaluation: step %llu of %llu, mean reward %.4f -> %s\n",
               (unsigned long long)c.best_step, (unsigned long long)learned, c.best, j->best);
    else if (!quiet)
        printf("no held-out evaluation (policy key eval_every: 0)\n");
    return 0;
}

static int train_job_run(train_job *j, bool quiet)
{
    off_err err = {0};
    off_status st = probe_world(j, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    return train_probed(j, quiet, NULL);
}

/* ---- --seeds: one training per seed, in worker processes ----------------- */

#define MAX_SEEDS 256

/* "A..B" or "a,b,c" into v (at most MAX_SEEDS); the count, 0 if malformed. */
static size_t parse_seeds(const char *txt, uint64_t *v)
{
    char *end;
    size_t n = 0;
    const char *dots = strstr(txt, "..");
    if (dots) {
        unsigned long long a = strtoull(txt, &end, 10), b;
        if (end != dots || !(b = strtoull(dots + 2, &end, 10), *end == '\0') || b < a ||
            b - a >= MAX_SEEDS || !isdigit((unsigned char)txt[0]) ||
            !isdigit((unsigned char)dots[2]))
            return 0;
        for (unsigned long long k = a; k <= b; k++)
            v[n++] = k;
        return n;
    }
    for (const char *p = txt; n < MAX_SEEDS;) {
        if (!isdigit((unsigned char)*p))
            return 0;
        v[n++] = strtoull(p, &end, 10);
        if (*end == '\0')
            return n;
        if (*end != ',')
            return 0;
        p = end + 1;
    }
    return 0;
}

static char *seed_path(const char *out, uint64_t seed)
{
    char mid[32];
    snprintf(mid, sizeof mid, ".seed%llu", (unsigned long long)seed);
    return path_with(out, mid);
}

/* A worker: seed k's training into r (its own database connection). */
static int seed_worker(train_job *j, uint64_t seed, seed_result *r)
{
    char *out = seed_path(j->out, seed), *best = out ? path_with(out, ".best") : NULL;
    if (!out || !best)
        return 1;
    j->seed = seed;
    j->out = out;
    free(j->best);
    j->best = best;
    j->from.seed = seed;
    r->seed = seed;
    return train_probed(j, true, r);
}

/* Over the seeds: the held-out evaluations at each multiple of eval_every
 * (each seed's first evaluation at or past it) and at the end, as mean and
 * 95 % Student-t interval over the seeds that have one. */
static void seeds_summary(const seed_result *r, size_t n, uint64_t every, uint64_t steps)
{
    printf("held-out evaluation over the seeds (mean [95 %% CI over seeds], min..max):\n");
    for (uint64_t target = every; every && target <= steps; target += every) {
        bool last = target + every > steps;
        if (last)
            target = steps;
        double x[MAX_SEEDS];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            for (uint64_t k = 0; k < r[i].n; k++)
                if (r[i].step[k] >= target && (!last || r[i].step[k] == steps)) {
                    x[m++] = r[i].reward[k];
                    break;
                }
        if (m == 0)
            continue;
        double mean = 0.0, v = 0.0, lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < m; i++) {
            mean += x[i] / (double)m;
            lo = fmin(lo, x[i]);
            hi = fmax(hi, x[i]);
        }
        for (size_t i = 0; i < m; i++)
            v += (x[i] - mean) * (x[i] - mean);
        double half = res_t_half(m > 1 ? sqrt(v / (double)(m - 1)) : NAN, m);
        printf("  step %8llu%s  %.4f [%.4f, %.4f]  %.4f..%.4f  (%zu seeds)\n",
               (unsigned long long)target, last ? " (end)" : "      ", mean, mean - half,
               mean + half, lo, hi, m);
        if (last)
            break;
    }
}

/* --seeds: probe once, then one worker process per seed, --jobs at a time;
 * their results come back through shared memory. */
static int train_seeds(const cli_args *a, train_job *j)
{
    uint64_t seeds[MAX_SEEDS];
    size_t n = parse_seeds(cli_str(a, "seeds", ""), seeds);
    if (n == 0)
        return cli_usage(&cmd_train_spec, "--seeds takes A..B or a,b,c (at most %d seeds)",
                         MAX_SEEDS);
    if (j->resume || cli_count(a, "seed"))
        return cli_usage(&cmd_train_spec, "--seeds goes with neither --seed nor --resume");
    off_err err = {0};
    off_status st = probe_world(j, &err);
    if (st != OFF_OK)
        return cli_fail_input(st, &err);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t jobs = cli_uint(a, "jobs", ncpu > 0 ? (uint64_t)ncpu : 1);
    seed_result *r = mmap(NULL, n * sizeof *r, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return cli_fail(off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory"), &err);
    memset(r, 0, n * sizeof *r);
    off_interrupt_install();
    printf("training %s on %s: %zu seeds, %zu at a time, %llu steps each -> %s\n", j->type,
           j->s.name, n, jobs < n ? jobs : n, (unsigned long long)j->steps, j->out);
    fflush(stdout);
    pid_t pid[MAX_SEEDS];
    size_t started = 0, running = 0, failed = 0;
    while (started < n || running > 0) {
        if (started < n && running < jobs && !off_interrupted()) {
            fflush(stdout);
            pid_t p = fork();
            if (p == 0)
                _exit(seed_worker(j, seeds[started], &r[started]));
            if (p < 0) {
                r[started].rc = 1;
                failed++;
            } else {
                running++;
            }
            pid[started++] = p;
            continue;
        }
        int ws;
        pid_t p = wait(&ws);
        if (p < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        running--;
        for (size_t i = 0; i < started; i++) {
            if (pid[i] != p)
                continue;
            r[i].rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            failed += r[i].rc != 0;
            char *out = seed_path(j->out, seeds[i]);
            printf("seed %llu: %s, %llu steps; best held-out evaluation %.4f at step %llu "
                   "(%s)\n", (unsigned long long)seeds[i],
                   r[i].rc == 0 ? "done" : r[i].rc == 130 ? "interrupted" : "FAILED",
                   (unsigned long long)r[i].steps, r[i].best,
                   (unsigned long long)r[i].best_step, out ? out : "");
            free(out);
        }
    }
    seeds_summary(r, started, j->eval_every, j->steps);
    munmap(r, n * sizeof *r);
    if (off_interrupted())
        return 130;
    return failed ? 1 : 0;
}

static int train(const cli_args *a)
{
    /* a log under tee or a batch system sees each line as it is printed */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IOLBF, 0);
    train_job j = {0};
    int rc = load_job(a, &j);
    if (rc)
        return rc;
    rc = cli_count(a, "seeds") ? train_seeds(a, &j) : train_job_run(&j, cli_count(a, "quiet"));
    job_free(&j);
    return rc;
}
