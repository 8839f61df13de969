/*
 * sim_train.c - training a learning policy over episodes (runs of the
 * scenario), for `offsim train` and the benchmarks.  See sim.h.
 *
 * Every t->eval_every decisions (checked when an episode ends) the agent is
 * scored greedily, without learning, on t->eval_episodes held-out runs with
 * the validation seeds SIM_TRAIN_EVAL_SEED + i: never a training episode's
 * seed (those are >= 1,000,000) and apart from the small seeds used to
 * test a trained agent, so that choosing the best agent does not look at
 * the test seeds.  The score is the mean reward per task over those runs;
 * a new best is written to t->best_path.
 *
 * Periodic checkpoints and stops (t->ckpt_every, t->stop_at) fall at
 * episode ends, after that episode's evaluation: the training's whole
 * state then is the agent's and pol_train's (no world is alive), so a
 * training resumed from one (pol_rl_resume) continues exactly as the
 * uninterrupted one.  An interrupt (off_interrupted) stops between or
 * inside episodes with OFF_ERUNTIME; the agent keeps what it learned of
 * the cut episode, which is counted as not run.
 */
#include "sim.h"
#include "mdl_trained.h"

#include <math.h>
#include <stdio.h>

#define SIM_TRAIN_EVAL_SEED 500000ULL

/* One run of s with seed, its policy made on t; the trained model is handed
 * on through *trained. */
static off_status episode(scn_scenario *s, pol_train *t, uint64_t seed,
                          mdl_trained **trained, res_summary *sum, off_err *err)
{
    sim_world *w = NULL;
    s->seed = seed;
    off_status st = sim_world_new_train(&w, s, t, *trained, err);
    *trained = NULL;
    if (st == OFF_OK && (st = sim_world_run(w, NULL, 0, NULL, NULL, sum, err)) == OFF_OK)
        *trained = sim_world_release_trained(w);
    sim_world_free(w); /* a learning policy's last transition is learned here */
    return st;
}

/* The held-out evaluation: the greedy agent's mean reward per task. */
static off_status evaluate(scn_scenario *s, pol_train *t, mdl_trained **trained,
                           double *score, off_err *err)
{
    double sum_r = 0.0;
    size_t n = 0;
    off_status st = OFF_OK;
    t->evaluating = true;
    for (uint32_t i = 0; i < t->eval_episodes && st == OFF_OK; i++) {
        res_summary sum;
        if ((st = episode(s, t, SIM_TRAIN_EVAL_SEED + i, trained, &sum, err)) == OFF_OK &&
            isfinite(sum.reward_mean)) {
            sum_r += sum.reward_mean * (double)sum.n_tasks;
            n += sum.n_tasks;
        }
    }
    t->evaluating = false;
    *score = n ? sum_r / (double)n : NAN;
    return st;
}

/* After an episode: evaluate if one is due (or, at the end, final and the
 * last one was not at this step), and keep the best agent. */
static off_status maybe_evaluate(scn_scenario *s, pol_train *t, mdl_trained **trained,
                                 bool final, off_err *err)
{
    uint64_t steps = pol_rl_steps(t);
    if (t->next_eval == 0) /* the first: eval_every is known once the agent is */
        t->next_eval = t->eval_every;
    if (!t->eval_every || (steps < t->next_eval && !(final && t->eval_step != steps)))
        return OFF_OK;
    t->eval_step = steps;
    while (t->next_eval <= steps)
        t->next_eval += t->eval_every;
    double score;
    off_status st = evaluate(s, t, trained, &score, err);
    if (st != OFF_OK)
        return st;
    bool best = isfinite(score) && (t->best_step == 0 || score > t->best);
    if (best) {
        t->best = score;
        t->best_step = steps;
        if (t->best_path && (st = pol_rl_save(t, t->best_path, err)) != OFF_OK)
            return st;
    }
    if (t->on_eval)
        t->on_eval(t->eval_ud, steps, score, best);
    return OFF_OK;
}

off_status sim_train(scn_scenario *s, pol_train *t, uint64_t seed, mdl_trained *trained,
                     sim_episode_hook *hook, void *ud, off_err *err)
{
    uint64_t base = 1000000ULL * (seed + 1), saved = s->seed;
    off_status st = OFF_OK;
    /* not saved: a resumed training may change ckpt_every (its first
     * check then writes at once) */
    uint64_t next_ckpt = t->ckpt_every;
    bool stopped = false;
    while (pol_rl_steps(t) < t->max_steps && !stopped) {
        if (off_interrupted()) {
            st = off_errf(err, OFF_ERUNTIME, s->file, 0, 0, "interrupted");
            break;
        }
        uint64_t before = pol_rl_steps(t), k = t->episode;
        res_summary sum;
        if ((st = episode(s, t, base + k, &trained, &sum, err)) != OFF_OK)
            break;
        t->episode = k + 1;
        if (hook)
            hook(ud, k + 1, &sum);
        if (pol_rl_steps(t) == before) {
            st = off_errf(err, OFF_EINVAL, s->file, 0, 0,
                          "an episode gave no decision to learn from (does the "
                          "scenario produce tasks?)");
            break;
        }
        if ((st = maybe_evaluate(s, t, &trained, false, err)) != OFF_OK)
            break;
        uint64_t steps = pol_rl_steps(t);
        stopped = t->stop_at && steps >= t->stop_at && steps < t->max_steps;
        if (t->ckpt_path && t->ckpt_every && steps < t->max_steps && !stopped) {
            if (steps >= next_ckpt) {
                next_ckpt = (steps / t->ckpt_every + 1) * t->ckpt_every;
                if ((st = pol_rl_save(t, t->ckpt_path, err)) != OFF_OK)
                    break;
            }
        }
    }
    /* the agent that is saved last is scored too */
    if (st == OFF_OK && !stopped)
        st = maybe_evaluate(s, t, &trained, true, err);
    s->seed = saved;
    off_err e2;
    if (mdl_trained_close(trained, &e2) != OFF_OK)
        fprintf(stderr, "offsim: warning: inference cache not saved: %s\n", e2.msg);
    return st;
}
