/*
 * pol_oracle.c - the oracle: an exhaustive search over exit x split x bits
 * with what really happens to the task (pol_obs.realised, which the
 * simulator gives this policy alone): the device's queue, the channel over
 * the very transfer, the real payload and answer of the task's image (for
 * trained models), the backhaul.  Not a realisable policy: a reference that
 * bounds what the others could reach.  Its one approximation is the
 * server: later arrivals there are not foreseen (its queue is taken as it
 * is at decision time, see docs/policies.md).
 *
 * objective: latency (default) or energy: among the actions whose answer
 * is right and that meet the deadline it takes the one with the least
 * objective; if none, the right ones; if none is right, all of them.
 * objective: reward: the action with the largest realised value of the
 * scenario's reward (pol_reward_value), the reference of the learning
 * agents' normalised score.  That value, summed over the tasks into the
 * caller's pol_train (bound_sum, bound_n) when the world was made with one,
 * is the reward BOUND: per task, the most any action could get given what
 * really happens to that task.  The oracle's own run does not always reach
 * it (its choices queue later tasks; radio tails are charged after the
 * fact), so the bound, not the run's reward, is the reference.  It bounds
 * every policy's reward on the same tasks where the evaluation is exact or
 * optimistic for every policy: no queue at the decision (tasks that do not
 * overlap), radio tails (never charged by the evaluation, only ever
 * added), and cost weights >= 0.  Under contention no tractable per-task
 * bound exists (the queue a task meets depends on every earlier decision);
 * there it is the bound given the queues the oracle's own run left
 * (docs/policies.md says so).
 */
#include "pol.h"

#include <math.h>
#include <stdlib.h>

typedef struct oracle {
    const mdl_model *m;
    int objective; /* 0 latency, 1 energy, 2 reward */
    pol_reward reward;
    pol_train *sink; /* the caller's, for the reward bound (or NULL) */
} oracle;

static off_status oracle_create(void **state, const pol_cfg *cfg, off_err *err)
{
    static const char *const objectives[] = {"latency", "energy", "reward", NULL};
    oracle *o = calloc(1, sizeof *o);
    if (!o)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    o->m = cfg->model;
    o->sink = cfg->train;
    if (cfg->reward)
        o->reward = *cfg->reward;
    else
        o->reward = (pol_reward){.accuracy = 1.0, .latency = 1.0};
    off_status st = pol_param_choice(cfg, "objective", objectives, 0, &o->objective, err);
    if (st) {
        free(o);
        return st;
    }
    *state = o;
    return OFF_OK;
}

static void oracle_decide(void *state, const pol_obs *obs, pol_action *act)
{
    const oracle *o = state;
    const mdl_model *m = o->m;
    /* without the realised view (never in the simulator): full local */
    *act = (pol_action){(int)m->n_exits - 1, (int)m->n_layers, pol_default_bits(m), 0};
    if (!obs->realised)
        return;
    double best[3] = {INFINITY, INFINITY, INFINITY}; /* right+met, right, any */
    pol_action pick[3] = {*act, *act, *act};
    for (size_t e = 0; e < m->n_exits; e++) {
        size_t after = m->exits[e].after;
        for (size_t s = 0; s <= after; s++) {
            /* local (s == after) and full offload of the raw input (s == 0)
             * send no intermediate tensor: one bit-width is enough */
            size_t nb = s == after ? 1 : m->n_bits;
            for (size_t b = 0; b < nb; b++) {
                pol_action a = {(int)e, (int)s, s == after ? pol_default_bits(m) : m->bits[b],
                                0};
                pol_realised r;
                obs->realised->eval(obs->realised->ctx, &a, &r);
                bool met = r.latency_s <= obs->deadline_s;
                double v = o->objective == 1 ? r.energy_j : r.latency_s;
                if (o->objective == 2) {
                    pol_outcome out = {.latency_s = r.latency_s, .energy_j = r.energy_j,
                                       .deadline_s = obs->deadline_s,
                                       .correct = r.correct, .deadline_met = met};
                    v = -pol_reward_value(&o->reward, &out);
                }
                int cls[3] = {r.correct && met, r.correct, 1};
                if (o->objective == 2) /* the reward alone decides */
                    cls[0] = cls[1] = 0;
                for (int k = 0; k < 3; k++)
                    if (cls[k] && v < best[k]) {
                        best[k] = v;
                        pick[k] = a;
                    }
            }
        }
    }
    *act = isfinite(best[0]) ? pick[0] : isfinite(best[1]) ? pick[1] : pick[2];
    if (o->objective == 2 && o->sink) {
        o->sink->bound_sum += -best[2];
        o->sink->bound_n++;
    }
}

static void oracle_destroy(void *state)
{
    free(state);
}

static const char *const oracle_keys[] = {"objective", NULL};

const pol_class pol_oracle_class = {
    "oracle",
    "UPPER BOUND, not realisable: exhaustive exit x split x bits with the realised "
    "channel, payload and answer",
    oracle_keys, oracle_create, oracle_decide, NULL, oracle_destroy};
