/*
 * pol_rl.c - the learning agents as offloading policies: `ppo` (pol_ppo.h)
 * and `sac-discrete` (pol_sac.h) behind the one policy interface (pol.h).
 *
 * A task's decision is one RL step.  Its reward (the scenario's `reward:`,
 * pol_reward_value) arrives with the task's outcome, usually after later
 * decisions were made.  Decisions are kept pending in decision order (task
 * ids are given in arrival order, and a task is decided when it arrives, so
 * the pending entry of task id is id - base); the transition of decision t,
 * (s_t, a_t, r_t, s_{t+1}), is complete once its reward has come back and
 * decision t+1 was made, and transitions are handed to the agent strictly
 * in decision order: PPO's rollout therefore holds only completed
 * transitions, and each reward is credited to its own decision.  The
 * decisions of all devices form one sequence: the agent is the system's
 * controller and s_{t+1} is the state at the next decision, whichever
 * device makes it (the observation says which device's link and queues it
 * describes).  At the end of a run the last decision is truncated, not
 * terminal (learn).
 *
 * The observation (RL_OBS features, scaled to about [-1, 1]; T is the
 * task's deadline, 1 s without one): log2 of the uplink and downlink rate
 * estimates over 1 Mbit/s, / 4; uplink and device backlog / T; device
 * queue / 10; server cores busy / cores; server queue / (4 cores); 1 if
 * the task has a deadline; the previous decision's exit and split (as
 * fractions); and an EWMA (weight 1/8) of the latency / T of the tasks of
 * this device that came back from the server.
 *
 * The action: `joint` (default) is one categorical over exit x split x bits
 * with the invalid combinations masked (a split after the exit; for a task
 * that stays on the device, every bit-width but the first); `factorised`
 * (PPO only) is three heads, exit, split and bits, with a split after the
 * exit meaning "all on the device".  With `early_exit: T` every action
 * carries BranchyNet's entropy threshold T: the chosen exit is the deepest,
 * and a task leaves at the first earlier exit confident enough, which the
 * agent, deciding before any layer has run, cannot know itself.  T is the
 * agent's: offsim train stores it in the checkpoint (section
 * "rl.early_exit", written only when T > 0, so that a checkpoint without
 * it stays byte for byte what it was), and loading or resuming one applies
 * it unless the policy gives `early_exit` itself.
 *
 * Training: with cfg->train set (offsim train) the agent lives in
 * train->agent and outlives the world; otherwise the agent is built from
 * the parameters and its weights loaded from `checkpoint`, and it acts
 * greedily (or samples, `greedy: false`, from a stream seeded by the
 * world's policy stream).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_weights.h"
#include "pol.h"
#include "pol_ckpt.h"
#include "pol_ppo.h"
#include "pol_sac.h"

#define RL_OBS 11

typedef enum { RL_PPO, RL_SAC } rl_kind;

/* the agent, shared by the worlds of a training */
typedef struct rl_agent {
    rl_kind kind;
    int factorised;               /* PPO: three heads */
    size_t E, L1, NB;             /* exits, splits (L + 1), bit-widths */
    size_t A;                     /* joint actions E L1 NB */
    size_t H, K[3];               /* heads and their sizes */
    uint8_t *mask;                /* (sumK): the static validity mask */
    pol_ppo ppo;
    pol_sac sac;
    int update_every;             /* SAC: transitions per gradient update */
    int save_replay;              /* SAC: the replay goes into checkpoints */
    uint64_t steps, max_steps;    /* transitions learned from */
    uint64_t updates;
    double rew_sum;               /* since the last logged point */
    uint64_t rew_n;
    uint64_t log_every;           /* SAC: transitions between points */
    /* schedules, linear in steps / max_steps from the first value to the
     * second: PPO's entropy coefficient, SAC's target entropy scale */
    float sched0, sched1;
    double early_exit;            /* entropy threshold of every action; 0: off */
    pol_train *train;
} rl_agent;

typedef struct rl_pending {
    float obs[RL_OBS];
    int32_t act[3];
    float logp, value, reward;
    int has_reward;
} rl_pending;

typedef struct rl_state {
    rl_agent *ag;
    int owns;                     /* not a training's: free it */
    int greedy;
    int learn;
    const pol_reward *reward;
    const mdl_model *model;
    /* pending decisions, a ring in decision order */
    rl_pending *q;
    size_t cap, head, n;
    uint64_t base;                /* task id of q[head] */
    int have_base;
    /* per-device memory */
    size_t n_dev;
    float *prev;                  /* (n_dev, 3): exit, split fractions, ewma */
} rl_state;

/* Each agent's keys: a key of the other agent is an error (pol_create names
 * the agent that takes it), never silently ignored. */
static const char *const ppo_keys[] = {"checkpoint", "greedy", "action", "hidden",
                                       "lr",         "gamma",  "rollout", "epochs",
                                       "ent_coef",   "ent_coef_end", "early_exit",
                                       "eval_every", "eval_episodes", NULL};
static const char *const sac_keys[] = {"checkpoint", "greedy", "action", "hidden",
                                       "lr", "gamma", "batch", "buffer", "learning_starts",
                                       "update_every", "tau", "target_entropy_scale",
                                       "target_entropy_end", "early_exit", "save_replay",
                                       "eval_every", "eval_episodes", NULL};

static void agent_free(void *p)
{
    rl_agent *ag = p;
    if (!ag)
        return;
    pol_ppo_free(&ag->ppo);
    pol_sac_free(&ag->sac);
    free(ag->mask);
    free(ag);
}

static size_t exit_after(const mdl_model *m, size_t e)
{
    return m->exits[e].after;
}

/* joint index <-> (exit, split, bits index) */
static void joint_decode(const rl_agent *ag, size_t a, size_t *e, size_t *s, size_t *b)
{
    *b = a % ag->NB;
    *s = (a / ag->NB) % ag->L1;
    *e = a / (ag->NB * ag->L1);
}

static off_status bad(off_err *err, const pol_cfg *cfg, const char *key, const char *msg)
{
    const pol_param *p = pol_cfg_param(cfg, key);
    if (p)
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col, "%s: %s", key, msg);
    return off_errf(err, OFF_EINVAL, NULL, 0, 0, "%s", msg);
}

/* The keys both agents take. */
typedef struct rl_common {
    int factorised;
    long hidden;
    double lr, gamma;
} rl_common;

static off_status common_params(rl_common *c, rl_kind kind, const pol_cfg *cfg,
                                off_err *err)
{
    static const char *const actions[] = {"joint", "factorised", NULL};
    int action = 0;
    off_status st;
    if ((st = pol_param_choice(cfg, "action", actions, 0, &action, err)) ||
        (st = pol_param_int(cfg, "hidden", 64, 1, 4096, &c->hidden, err)) ||
        (st = pol_param_double(cfg, "lr", kind == RL_PPO ? 2.5e-4 : 3e-4, 1e-7, 1.0,
                               &c->lr, err)) ||
        (st = pol_param_double(cfg, "gamma", 0.9, 0.0, 1.0, &c->gamma, err)))
        return st;
    if (kind == RL_SAC && action == 1)
        return bad(err, cfg, "action",
                   "sac-discrete acts on the joint action only (use 'joint' or ppo)");
    c->factorised = action == 1;
    return OFF_OK;
}

/* PPO's configuration from its keys (ppo_keys); total_steps 0: evaluating. */
static off_status ppo_cfg_build(pol_ppo_cfg *c, rl_agent *ag, const rl_common *cm,
                                const pol_cfg *cfg, uint64_t seed, uint64_t total_steps,
                                off_err *err)
{
    long rollout, epochs;
    double ent, ent_end;
    off_status st;
    if ((st = pol_param_int(cfg, "rollout", 256, 8, 1 << 20, &rollout, err)) ||
        (st = pol_param_int(cfg, "epochs", 4, 1, 100, &epochs, err)) ||
        (st = pol_param_double(cfg, "ent_coef", 0.01, 0.0, 10.0, &ent, err)) ||
        (st = pol_param_double(cfg, "ent_coef_end", ent, 0.0, 10.0, &ent_end, err)))
        return st;
    if (rollout % 4)
        return bad(err, cfg, "rollout", "must be a multiple of 4 (the minibatches)");
    pol_ppo_cfg_default(c, RL_OBS, ag->K, ag->H);
    c->hidden[0] = c->hidden[1] = (size_t)cm->hidden;
    c->num_envs = 1;
    c->num_steps = (size_t)rollout;
    c->update_epochs = (size_t)epochs;
    c->total_steps = total_steps ? total_steps : 1;
    c->anneal_lr = total_steps != 0;
    c->lr = (float)cm->lr;
    c->gamma = (float)cm->gamma;
    c->ent_coef = (float)ent;
    c->seed = (unsigned long)seed;
    ag->sched0 = (float)ent, ag->sched1 = (float)ent_end;
    return OFF_OK;
}

/* SAC's configuration from its keys (sac_keys), and its transitions per
 * update; total_steps 0: evaluating. */
static off_status sac_cfg_build(pol_sac_cfg *c, int *update_every, rl_agent *ag,
                                const rl_common *cm, const pol_cfg *cfg, uint64_t seed,
                                uint64_t total_steps, off_err *err)
{
    long batch, buffer, starts, every;
    double tau, tes, tes_end;
    off_status st;
    if ((st = pol_param_int(cfg, "batch", 64, 1, 1 << 16, &batch, err)) ||
        (st = pol_param_int(cfg, "buffer", 100000, 16, 1L << 26, &buffer, err)) ||
        (st = pol_param_int(cfg, "learning_starts", 1000, 1, 1L << 30, &starts, err)) ||
        (st = pol_param_int(cfg, "update_every", 1, 1, 1 << 16, &every, err)) ||
        (st = pol_param_double(cfg, "tau", 0.005, 1e-6, 1.0, &tau, err)) ||
        (st = pol_param_double(cfg, "target_entropy_scale", 0.5, 0.0, 1.0, &tes, err)) ||
        (st = pol_param_double(cfg, "target_entropy_end", tes, 0.0, 1.0, &tes_end, err)))
        return st;
    pol_sac_cfg_default(c, RL_OBS, ag->A);
    c->hidden[0] = c->hidden[1] = (size_t)cm->hidden;
    c->gamma = (float)cm->gamma;
    c->policy_lr = c->alpha_lr = (float)cm->lr;
    c->q_lr = (float)(cm->lr * 10.0 / 3.0); /* 1e-3 at the default 3e-4 */
    c->target_network_frequency = 1;     /* soft (Polyak) targets every update */
    c->batch_size = (size_t)batch;
    /* evaluating (no training): no replay to speak of */
    c->buffer_size = total_steps ? (size_t)buffer : (size_t)batch;
    c->learning_starts = (size_t)starts;
    c->tau = (float)tau;
    c->target_entropy_scale = (float)tes;
    c->seed = (unsigned long)seed;
    *update_every = (int)every;
    ag->sched0 = (float)tes, ag->sched1 = (float)tes_end;
    return OFF_OK;
}

/* The action space over the model: joint (one categorical, with the static
 * validity mask) or factorised (three heads). */
static off_status action_space(rl_agent *ag, const mdl_model *m, int factorised,
                               off_err *err)
{
    ag->factorised = factorised;
    ag->E = m->n_exits;
    ag->L1 = m->n_layers + 1;
    ag->NB = m->n_bits;
    ag->A = ag->E * ag->L1 * ag->NB;
    if (factorised) {
        ag->H = 3;
        ag->K[0] = ag->E, ag->K[1] = ag->L1, ag->K[2] = ag->NB;
        return OFF_OK;
    }
    ag->H = 1;
    ag->K[0] = ag->A;
    if (!(ag->mask = calloc(ag->A, 1)))
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t a = 0; a < ag->A; a++) {
        size_t e, s, b;
        joint_decode(ag, a, &e, &s, &b);
        size_t after = exit_after(m, e);
        ag->mask[a] = s < after || (s == after && b == 0);
    }
    return OFF_OK;
}

static off_status agent_new(rl_agent **out, rl_kind kind, const pol_cfg *cfg,
                            uint64_t seed, uint64_t total_steps, off_err *err)
{
    *out = NULL;
    rl_common cm;
    off_status st = common_params(&cm, kind, cfg, err);
    if (st != OFF_OK)
        return st;
    rl_agent *ag = calloc(1, sizeof *ag);
    if (!ag)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    ag->kind = kind;
    ag->max_steps = total_steps;
    ag->log_every = 1000;
    if (!(st = action_space(ag, cfg->model, cm.factorised, err))) {
        if (kind == RL_PPO) {
            pol_ppo_cfg c;
            if (!(st = ppo_cfg_build(&c, ag, &cm, cfg, seed, total_steps, err)))
                st = pol_ppo_init(&ag->ppo, &c, err);
        } else {
            pol_sac_cfg c;
            if (!(st = sac_cfg_build(&c, &ag->update_every, ag, &cm, cfg, seed,
                                     total_steps, err)))
                st = pol_sac_init(&ag->sac, &c, err);
        }
    }
    if (st != OFF_OK) {
        agent_free(ag);
        return st;
    }
    *out = ag;
    return OFF_OK;
}

static const char *kind_name(rl_kind kind)
{
    return kind == RL_PPO ? "ppo" : "sac-discrete";
}

/* ---- the training's state in checkpoints ---------------------------------- */

/* "rl.state": the agent's and the training loop's counters, each a
 * little-endian u64 (doubles by their bits). */
enum { RS_STEPS, RS_UPDATES, RS_REW_SUM, RS_REW_N, RS_SEED, RS_MAX_STEPS, RS_EPISODE,
       RS_NEXT_EVAL, RS_EVAL_STEP, RS_BEST, RS_BEST_STEP, RS_N };
#define RL_STATE "rl.state"
/* "rl.early_exit": the agent's early_exit, a double by its bits (8 bytes,
 * little-endian); only in checkpoints of an agent with one. */
#define RL_EARLY_EXIT "rl.early_exit"

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void state_pack(uint8_t *out, const rl_agent *ag, const pol_train *t)
{
    uint64_t v[RS_N] = {ag->steps,     ag->updates,   dbits(ag->rew_sum), ag->rew_n,
                        t->seed,       t->max_steps,  t->episode,         t->next_eval,
                        t->eval_step,  dbits(t->best), t->best_step};
    pol_pack_u64(out, v, RS_N);
}

/* The early_exit stored in the checkpoint at path, if any (*found). */
static off_status stored_early_exit(const char *path, int *found, double *ee, off_err *err)
{
    uint8_t b[8];
    pol_tensor sec = {RL_EARLY_EXIT, b, sizeof b, MDL_DT_U8};
    off_status st = pol_ckpt_find(path, &sec, found, err);
    if (st != OFF_OK || !*found)
        return st;
    uint64_t u;
    pol_unpack_u64(&u, b, 1);
    *ee = bitsd(u);
    if (!(*ee >= 0.0 && *ee <= 1.0)) /* NaN too */
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "checkpoint section '%s' holds %g, expected an early_exit "
                        "entropy threshold from 0 to 1",
                        RL_EARLY_EXIT, *ee);
    return OFF_OK;
}

/* t's loop state from the packed counters */
static void state_to_train(const uint64_t *v, pol_train *t)
{
    t->seed = v[RS_SEED];
    t->max_steps = v[RS_MAX_STEPS];
    t->episode = v[RS_EPISODE];
    t->next_eval = v[RS_NEXT_EVAL];
    t->eval_step = v[RS_EVAL_STEP];
    t->best = bitsd(v[RS_BEST]);
    t->best_step = v[RS_BEST_STEP];
}

off_status pol_rl_resume(pol_train *t, const char *path, off_err *err)
{
    mdl_weights w;
    off_status st = mdl_weights_read(&w, path, err);
    if (st != OFF_OK)
        return st;
    const mdl_tensor_rec *r = NULL;
    for (size_t i = 0; i < w.n && !r; i++)
        if (strcmp(w.t[i].name, RL_STATE) == 0)
            r = &w.t[i];
    if (!r || r->dtype != MDL_DT_U8 || r->nbytes != 8 * RS_N) {
        mdl_weights_free(&w);
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "not a training checkpoint (no '%s' section of %d counters): "
                        "only a checkpoint written by offsim train can be resumed",
                        RL_STATE, RS_N);
    }
    uint64_t v[RS_N];
    pol_unpack_u64(v, r->data, RS_N);
    mdl_weights_free(&w);
    uint64_t target = t->max_steps;
    state_to_train(v, t);
    if (target)
        t->max_steps = target;
    t->resume = path;
    t->resume_steps = v[RS_STEPS];
    return OFF_OK;
}

/* The agent ag, just made for t, takes the state of t->resume (the agent's
 * sections, rl.state and rl.early_exit if there, all checked before
 * anything is copied); the stored early_exit unless the key was given. */
static off_status agent_resume(rl_agent *ag, pol_train *t, int ee_given, off_err *err)
{
    uint8_t packed[8 * RS_N], ee[8];
    pol_tensor extra[2] = {{RL_STATE, packed, sizeof packed, MDL_DT_U8},
                           {RL_EARLY_EXIT, ee, sizeof ee, MDL_DT_U8}};
    int has_ee = 0;
    double stored = 0.0;
    off_status st = stored_early_exit(t->resume, &has_ee, &stored, err);
    if (st != OFF_OK)
        return st;
    /* the exact load checks the stored threshold's section too */
    size_t n_extra = has_ee ? 2 : 1;
    st = ag->kind == RL_PPO
             ? pol_ppo_resume(&ag->ppo, t->resume, extra, n_extra, err)
             : pol_sac_resume(&ag->sac, t->resume, ag->save_replay, extra, n_extra, err);
    if (st != OFF_OK)
        return st;
    if (has_ee && !ee_given)
        ag->early_exit = stored;
    uint64_t v[RS_N];
    pol_unpack_u64(v, packed, RS_N);
    ag->steps = v[RS_STEPS];
    ag->updates = v[RS_UPDATES];
    ag->rew_sum = bitsd(v[RS_REW_SUM]);
    ag->rew_n = v[RS_REW_N];
    return OFF_OK;
}

/* offsim train: the training's agent, made by its first world. */
static off_status use_training_agent(rl_state *r, rl_kind kind, const pol_cfg *cfg,
                                     double ee, int ee_given, off_err *err)
{
    pol_train *t = cfg->train;
    if (!t->agent) {
        long every, episodes;
        off_status st;
        if ((st = pol_param_int(cfg, "eval_every", 10000, 0, 1L << 40, &every, err)) ||
            (st = pol_param_int(cfg, "eval_episodes", 3, 1, 1000, &episodes, err)))
            return st;
        rl_agent *ag;
        if ((st = agent_new(&ag, kind, cfg, t->seed, t->max_steps, err)) != OFF_OK)
            return st;
        static const char *const yn[] = {"false", "true", NULL};
        if (kind == RL_SAC &&
            (st = pol_param_choice(cfg, "save_replay", yn, 0, &ag->save_replay, err))) {
            agent_free(ag);
            return st;
        }
        ag->early_exit = ee;
        if (t->resume && (st = agent_resume(ag, t, ee_given, err)) != OFF_OK) {
            agent_free(ag);
            return st;
        }
        t->agent = ag;
        t->free_agent = agent_free;
        t->eval_every = (uint64_t)every;
        t->eval_episodes = (uint32_t)episodes;
        ag->train = t;
    }
    r->ag = t->agent;
    /* a held-out evaluation (sim_train) scores the greedy agent as is */
    r->learn = !t->evaluating;
    r->greedy = t->evaluating;
    return OFF_OK;
}

/* offsim run: an agent of this world's own, its weights from `checkpoint`. */
static off_status load_checkpoint_agent(rl_state *r, rl_kind kind, const pol_cfg *cfg,
                                        double ee, int ee_given, off_err *err)
{
    const pol_param *ck = pol_cfg_param(cfg, "checkpoint");
    if (!ck)
        return off_errf(err, OFF_EINVAL, cfg->pos_file, cfg->pos_line, cfg->pos_col,
                        "policy %s needs 'checkpoint: FILE' (written by offsim "
                        "train ... --out FILE)",
                        kind_name(kind));
    uint64_t seed = cfg->rng ? gsl_rng_get(cfg->rng) : 1;
    off_status st = agent_new(&r->ag, kind, cfg, seed, 0, err);
    if (st != OFF_OK)
        return st;
    r->owns = 1;
    r->ag->early_exit = ee;
    off_err e2 = {0};
    int has_ee = 0;
    st = kind == RL_PPO ? pol_ppo_load(&r->ag->ppo, ck->text, &e2)
                        : pol_sac_load(&r->ag->sac, ck->text, 0, &e2);
    if (!st && !ee_given && !(st = stored_early_exit(ck->text, &has_ee, &ee, &e2)) && has_ee)
        r->ag->early_exit = ee;
    if (st) /* at the value in the scenario */
        return off_errf(err, OFF_EINVAL, ck->file, ck->line, ck->col, "checkpoint: %s",
                        e2.msg);
    return OFF_OK;
}

static off_status rl_create(void **state, const pol_cfg *cfg, rl_kind kind, off_err *err)
{
    *state = NULL;
    rl_state *r = calloc(1, sizeof *r);
    if (!r)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    off_status st = OFF_OK;
    r->reward = cfg->reward;
    r->model = cfg->model;
    r->n_dev = cfg->n_devices ? cfg->n_devices : 1;
    static const char *const yn[] = {"false", "true", NULL};
    int greedy = 1;
    if ((st = pol_param_choice(cfg, "greedy", yn, 1, &greedy, err)))
        goto fail;
    r->greedy = greedy;
    double ee;
    if ((st = pol_param_double(cfg, "early_exit", 0.0, 0.0, 1.0, &ee, err)))
        goto fail;
    int ee_given = pol_cfg_param(cfg, "early_exit") != NULL;
    st = cfg->train ? use_training_agent(r, kind, cfg, ee, ee_given, err)
                    : load_checkpoint_agent(r, kind, cfg, ee, ee_given, err);
    if (st != OFF_OK)
        goto fail;
    if (kind != r->ag->kind) {
        st = off_errf(err, OFF_EINVAL, NULL, 0, 0, "a training's agent changed kind");
        goto fail;
    }
    r->cap = 64;
    r->q = calloc(r->cap, sizeof *r->q);
    r->prev = calloc(r->n_dev * 3, sizeof *r->prev);
    if (!r->q || !r->prev) {
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        goto fail;
    }
    *state = r;
    return OFF_OK;
fail:
    if (r->owns)
        agent_free(r->ag);
    free(r->q);
    free(r->prev);
    free(r);
    return st;
}

static off_status ppo_create(void **state, const pol_cfg *cfg, off_err *err)
{
    return rl_create(state, cfg, RL_PPO, err);
}

static off_status sac_create(void **state, const pol_cfg *cfg, off_err *err)
{
    return rl_create(state, cfg, RL_SAC, err);
}

/* ---- learning from completed transitions ------------------------------- */

static void log_point(rl_agent *ag, double pl, double vl, double ent, double temp)
{
    pol_train *t = ag->train;
    if (!t || !t->log)
        return;
    pol_train_point pt = {ag->steps, ag->updates,
                          ag->rew_n ? ag->rew_sum / (double)ag->rew_n : NAN,
                          pl, vl, ent, temp};
    ag->rew_sum = 0.0;
    ag->rew_n = 0;
    t->log(t->log_ud, &pt);
}

/* the transition of e, followed by the decision whose observation is
 * next_obs (NULL: e was the last of its run).
 *
 * A run ends at its time limit (or task cap), not in a terminal state: the
 * system would go on.  Its last transition is therefore truncated, and its
 * return bootstrapped from the value of the state after it.  That state is
 * never observed (no decision follows), so the last decision's own
 * observation stands for it, the nearest one there is.  SAC stores the
 * transition as not done with that next state; PPO's GAE cuts at every
 * episode end, so the bootstrap goes into the reward, r + gamma V(s), with
 * the cut (as Stable-Baselines3 handles timeouts). */
static void learn(rl_agent *ag, const rl_pending *e, const float *next_obs)
{
    if (ag->max_steps && ag->steps >= ag->max_steps)
        return;
    int truncated = next_obs == NULL;
    const float *nobs = next_obs ? next_obs : e->obs;
    /* a function of the step alone, so that a resumed training follows the
     * same schedule, bit for bit */
    float sched = ag->sched0;
    if (ag->sched1 != ag->sched0 && ag->max_steps)
        sched += (ag->sched1 - ag->sched0) * (float)((double)ag->steps / (double)ag->max_steps);
    ag->steps++;
    ag->rew_sum += e->reward;
    ag->rew_n++;
    if (ag->kind == RL_PPO) {
        float r = e->reward;
        if (truncated)
            r += ag->ppo.cfg.gamma * pol_ppo_value(&ag->ppo, nobs);
        if (pol_ppo_push(&ag->ppo, e->obs, ag->mask, e->act, e->logp, e->value, r,
                         truncated) == 1) {
            pol_ppo_stats s;
            ag->ppo.cfg.ent_coef = sched;
            pol_ppo_update(&ag->ppo, nobs, &s);
            ag->updates++;
            log_point(ag, s.pg_loss, s.v_loss, s.entropy, NAN);
        }
        return;
    }
    pol_sac_push(&ag->sac, e->obs, ag->mask, e->act[0], e->reward, nobs, ag->mask, 0);
    if (ag->steps % (uint64_t)ag->update_every == 0) {
        pol_sac_stats s;
        ag->sac.cfg.target_entropy_scale = sched;
        if (pol_sac_update(&ag->sac, &s)) {
            ag->updates++;
            if (ag->steps % ag->log_every == 0)
                log_point(ag, s.actor_loss, s.q_loss, s.entropy, s.alpha);
        }
    }
}

/* hand completed transitions at the head to the agent, in decision order */
static void drain(rl_state *r)
{
    while (r->n >= 2 && r->q[r->head].has_reward) {
        const rl_pending *e = &r->q[r->head];
        const rl_pending *nx = &r->q[(r->head + 1) % r->cap];
        if (r->learn)
            learn(r->ag, e, nx->obs);
        r->head = (r->head + 1) % r->cap;
        r->n--;
        r->base++;
    }
}

/* a pending slot at the tail, growing the ring if full (rare: it doubles) */
static rl_pending *push_pending(rl_state *r)
{
    if (r->n == r->cap) {
        size_t nc = r->cap * 2;
        rl_pending *nq = malloc(nc * sizeof *nq);
        if (!nq)
            return NULL;
        for (size_t i = 0; i < r->n; i++)
            nq[i] = r->q[(r->head + i) % r->cap];
        free(r->q);
        r->q = nq;
        r->cap = nc;
        r->head = 0;
    }
    rl_pending *e = &r->q[(r->head + r->n) % r->cap];
    r->n++;
    memset(e, 0, sizeof *e);
    return e;
}

/* ---- observation, decision, feedback ----------------------------------- */

static float lrate(double bps)
{
    if (!(bps > 1e3))
        bps = 1e3;
    if (bps > 1e12)
        bps = 1e12;
    return (float)(log2(bps / 1e6) / 4.0);
}

static void observe(const rl_state *r, const pol_obs *o, float *x)
{
    double T = o->deadline_s > 0.0 && o->deadline_s < INFINITY ? o->deadline_s : 1.0;
    double cores = o->server_cores ? (double)o->server_cores : 1.0;
    const float *pv = r->prev + (o->device % r->n_dev) * 3;
    x[0] = lrate(o->uplink_rate_bps);
    x[1] = lrate(o->downlink_rate_bps);
    x[2] = (float)fmin(o->uplink_backlog_s / T, 10.0);
    x[3] = (float)fmin(o->device_backlog_s / T, 10.0);
    x[4] = (float)fmin((double)o->device_queue / 10.0, 10.0);
    x[5] = (float)((double)o->server_busy / cores);
    x[6] = (float)fmin((double)o->server_queue / (4.0 * cores), 10.0);
    x[7] = o->deadline_s < INFINITY ? 1.0f : 0.0f;
    x[8] = pv[0];
    x[9] = pv[1];
    x[10] = (float)fmin(pv[2], 10.0);
}

static void to_action(const rl_state *r, const int32_t *a, pol_action *act)
{
    const rl_agent *ag = r->ag;
    const mdl_model *m = r->model;
    size_t e, s, b;
    if (ag->factorised) {
        e = (size_t)a[0], s = (size_t)a[1], b = (size_t)a[2];
    } else {
        joint_decode(ag, (size_t)a[0], &e, &s, &b);
    }
    size_t after = exit_after(m, e);
    if (s > after)
        s = after;
    act->exit = (int)e;
    act->split = (int)s;
    act->bits = m->bits[b];
    act->entropy_threshold = ag->early_exit;
}

static void rl_decide(void *state, const pol_obs *o, pol_action *act)
{
    rl_state *r = state;
    rl_agent *ag = r->ag;
    if (!r->have_base) {
        r->base = o->task_id;
        r->have_base = 1;
    }
    rl_pending tmp, *e = push_pending(r);
    if (!e) /* out of memory: decide, but this run learns no more */
        e = &tmp, r->learn = 0;
    observe(r, o, e->obs);
    if (ag->kind == RL_PPO) {
        pol_ppo_sample(&ag->ppo, e->obs, ag->mask, r->greedy, e->act, &e->logp, &e->value);
    } else {
        e->act[0] = (int32_t)pol_sac_act(&ag->sac, e->obs, ag->mask, r->greedy);
    }
    to_action(r, e->act, act);
    float *pv = r->prev + (o->device % r->n_dev) * 3;
    pv[0] = ag->E > 1 ? (float)act->exit / (float)(ag->E - 1) : 0.0f;
    pv[1] = (float)act->split / (float)(ag->L1 - 1);
    drain(r);
}

static void rl_feedback(void *state, const pol_outcome *out)
{
    rl_state *r = state;
    if (!r->have_base || out->task_id < r->base || out->task_id - r->base >= r->n)
        return; /* not one of ours (cannot happen in a world) */
    rl_pending *e = &r->q[(r->head + (out->task_id - r->base)) % r->cap];
    e->reward = (float)pol_reward_value(r->reward, out);
    e->has_reward = 1;
    size_t after = exit_after(r->model, (size_t)out->action.exit);
    if ((size_t)out->action.split < after) { /* came back from the server */
        double T = out->deadline_s > 0.0 && out->deadline_s < INFINITY ? out->deadline_s : 1.0;
        float *pv = r->prev + (out->device % r->n_dev) * 3;
        pv[2] += 0.125f * ((float)(out->latency_s / T) - pv[2]);
    }
    drain(r);
}

static void rl_destroy(void *state)
{
    rl_state *r = state;
    if (!r)
        return;
    /* the run is over: every task has come back; the last is truncated */
    drain(r);
    if (r->learn && r->n == 1 && r->q[r->head].has_reward)
        learn(r->ag, &r->q[r->head], NULL);
    if (r->owns)
        agent_free(r->ag);
    free(r->q);
    free(r->prev);
    free(r);
}

/* ---- for offsim train ---------------------------------------------------- */

off_status pol_rl_save(const pol_train *t, const char *path, off_err *err)
{
    const rl_agent *ag = t->agent;
    if (!ag)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "no agent was trained");
    uint8_t packed[8 * RS_N], ee[8];
    state_pack(packed, ag, t);
    uint64_t u = dbits(ag->early_exit);
    pol_pack_u64(ee, &u, 1);
    pol_tensor extra[2] = {{RL_STATE, packed, sizeof packed, MDL_DT_U8},
                           {RL_EARLY_EXIT, ee, sizeof ee, MDL_DT_U8}};
    size_t n_extra = ag->early_exit > 0.0 ? 2 : 1;
    return ag->kind == RL_PPO
               ? pol_ppo_save(&ag->ppo, path, extra, n_extra, err)
               : pol_sac_save(&ag->sac, path, ag->save_replay, extra, n_extra, err);
}

off_status pol_rl_early_exit(const char *path, double *ee, off_err *err)
{
    int found = 0;
    *ee = 0.0;
    off_status st = stored_early_exit(path, &found, ee, err);
    if (st != OFF_OK || !found)
        *ee = 0.0;
    return st;
}

uint64_t pol_rl_steps(const pol_train *t)
{
    const rl_agent *ag = t->agent;
    return ag ? ag->steps : t->resume ? t->resume_steps : 0;
}

const pol_class pol_ppo_class = {
    "ppo",
    "PPO (Schulman 2017, CleanRL) over exit x split x bits; offsim train learns it",
    ppo_keys, ppo_create, rl_decide, rl_feedback, rl_destroy};

const pol_class pol_sac_class = {
    "sac-discrete",
    "SAC for discrete actions (Christodoulou 2019) over exit x split x bits",
    sac_keys, sac_create, rl_decide, rl_feedback, rl_destroy};

bool pol_is_learning(const pol_class *c)
{
    return c == &pol_ppo_class || c == &pol_sac_class;
}
