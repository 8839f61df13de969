/*
 * pol.h - the one interface every offloading policy implements.
 *
 * Per task the simulator hands the policy an observation (what a real
 * system could know at decision time) and receives an action: the exit, the
 * split point and the bit-width of the split tensor (conventions in mdl.h).
 * When the task finishes, the policy gets its outcome (latency, energy,
 * correctness, deadline), which may be after later decisions were made.
 *
 * A policy is a pol_class (name, parameter spec, create/decide/feedback/
 * destroy) registered in pol_registry.c.  To add one, see docs/policies.md.
 */
#ifndef POL_H
#define POL_H

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "mdl.h"
#include "mdl_profile.h"
#include "off.h"

/* What really happens to the task under an action: only the `oracle` is
 * given this (pol_obs.realised), an upper bound for the other policies. */
typedef struct pol_realised {
    double latency_s, energy_j;
    bool correct;             /* trained models: the image's real answer;
                                 else a draw with the exit's accuracy     */
} pol_realised;

typedef struct pol_action pol_action;
typedef struct pol_oracle_view {
    void *ctx;
    void (*eval)(void *ctx, const pol_action *a, pol_realised *out);
} pol_oracle_view;

typedef struct pol_obs {
    double now_s;               /* decision time                           */
    uint64_t task_id;
    size_t device;              /* device index                            */
    double deadline_s;          /* relative deadline (INFINITY if none)    */
    const mdl_model *model;
    /* the device */
    double device_speed_macs;   /* MAC/s (given, or the profile's rate over
                                   the whole model)                        */
    const mdl_profile *device_profile; /* hardware profile, or NULL        */
    int device_compute_bits;    /* 8, 16, 32: arithmetic of its kernels    */
    double device_backlog_s;    /* compute already queued on the device, s */
    size_t device_queue;        /* tasks waiting for or using the device   */
    /* the links: current estimates, not future values */
    double uplink_rate_bps, uplink_delay_s;
    double downlink_rate_bps, downlink_delay_s;
    double uplink_backlog_s;    /* transmission time queued ahead, s       */
    size_t uplink_queue;
    /* the server it offloads to */
    double server_speed_macs;   /* per core                                */
    const mdl_profile *server_profile;
    int server_compute_bits;
    size_t server_cores;
    size_t server_busy;         /* cores busy                              */
    size_t server_queue;        /* tasks waiting (not in service)          */
    /* its backhaul (a cloud server): a task crosses it after its uplink,
     * rtt/2 + payload / rate, and its result before the downlink; 0 and
     * INFINITY without a backhaul */
    double server_backhaul_rtt_s, server_backhaul_rate_bps;
    /* the device's power figures (scenario `power:`), for energy-aware
     * policies: a task's device energy is active * compute + tx * upload
     * transmission + rx * result reception + idle * (upload end .. result
     * start), as the simulator charges it (sim/sim_task.c) */
    double device_power_active_w, device_power_tx_w;
    double device_power_rx_w, device_power_idle_w;
    /* realised outcomes of candidate actions: set for the oracle only
     * (pol_sees_realised), NULL for every other policy */
    const pol_oracle_view *realised;
} pol_obs;

struct pol_action {
    int exit;   /* 0..n_exits-1                                          */
    int split;  /* 0..n_layers                                           */
    int bits;   /* one of model->bits                                    */
    /* BranchyNet's rule, for trained models: > 0 means "take the first exit
     * up to `exit` whose normalised entropy is below this" (0..1); 0 forces
     * `exit`.  Profiled models have no confidences and ignore it. */
    double entropy_threshold;
};

typedef struct pol_outcome {
    uint64_t task_id;
    size_t device;
    pol_action action;
    double latency_s, energy_j;
    double deadline_s;       /* the task's relative deadline (INFINITY: none) */
    bool correct, deadline_met;
} pol_outcome;

/* The scenario's reward (`reward:`, docs/scenario-reference.md): per task
 *   r = accuracy [correct] - latency * latency_s
 *       - latency_deadline * latency_s / deadline_s   (0 without a deadline)
 *       - energy * energy_j - deadline_miss * [deadline missed]
 * The learning agents maximise it; every run's summary reports its mean, so
 * that any policy can be compared on it. */
typedef struct pol_reward {
    double accuracy, latency, latency_deadline, energy, deadline_miss;
} pol_reward;

static inline double pol_reward_value(const pol_reward *w, const pol_outcome *o)
{
    double r = w->accuracy * (o->correct ? 1.0 : 0.0) - w->latency * o->latency_s -
               w->energy * o->energy_j - w->deadline_miss * (o->deadline_met ? 0.0 : 1.0);
    if (w->latency_deadline != 0.0 && o->deadline_s > 0.0 && o->deadline_s < INFINITY)
        r -= w->latency_deadline * o->latency_s / o->deadline_s;
    return r;
}

/* Training across runs (`offsim train`): a learning policy created with a
 * pol_cfg whose `train` is set learns instead of loading a checkpoint, and
 * keeps its agent in `agent` so that the next run's policy continues it
 * (the first create makes it; free_agent releases it at the end).  After
 * each gradient update it reports its curve through `log` (may be NULL).
 * Learning stops once `max_steps` transitions have been learned from. */
typedef struct pol_train_point {
    uint64_t step;           /* transitions learned from so far           */
    uint64_t updates;        /* gradient updates so far                   */
    double reward_mean;      /* mean reward of the transitions since the
                                last point                               */
    double loss_policy, loss_value, entropy;
    double temperature;      /* SAC's alpha; NaN for PPO                  */
} pol_train_point;

typedef struct pol_train {
    void *agent;
    void (*free_agent)(void *agent);
    uint64_t max_steps;
    uint64_t seed;           /* the agent's own stream                    */
    void (*log)(void *ud, const pol_train_point *pt);
    void *log_ud;
    /* Held-out evaluation during training (sim_train): the agent sets
     * eval_every (decisions between evaluations, 0 = none) and
     * eval_episodes from its keys when it is made; while `evaluating` is
     * set, the policies of new worlds act greedily and learn nothing. */
    uint64_t eval_every;
    uint32_t eval_episodes;
    bool evaluating;
    /* The training loop's state (sim_train), saved in checkpoints. */
    uint64_t episode;        /* training episodes finished                */
    uint64_t next_eval;      /* step of the next evaluation               */
    uint64_t eval_step;      /* step of the last one (0: none)            */
    double best;             /* best evaluation's mean reward             */
    uint64_t best_step;      /* the step it was made at (0: none yet)     */
    /* sim_train writes the agent to best_path (NULL: nowhere) at each new
     * best evaluation, and reports every evaluation through on_eval. */
    const char *best_path;
    void (*on_eval)(void *ud, uint64_t step, double reward, bool best);
    void *eval_ud;
    /* sim_train writes the whole state (pol_rl_save) to ckpt_path (NULL:
     * nowhere) at the first episode end past every ckpt_every decisions,
     * and stops (OFF_OK) at the first episode end past stop_at (0: none). */
    const char *ckpt_path;
    uint64_t ckpt_every, stop_at;
    /* The oracle's reward bound (policies/pol_oracle.c, objective:
     * reward), summed over the tasks it decided in worlds made with this
     * pol_train: per task, the largest reward any action could get. */
    double bound_sum;
    uint64_t bound_n;
    const char *resume;      /* set by pol_rl_resume, with the resumed    */
    uint64_t resume_steps;   /* agent's steps (pol_rl_steps until it is made) */
} pol_train;

/* A parameter from the scenario, as text with its source position. */
typedef struct pol_param {
    const char *key;
    const char *text;
    const char *file;
    int line, col;           /* of the value */
    int key_line, key_col;   /* of the key   */
} pol_param;

typedef struct pol_cfg {
    const mdl_model *model;
    const pol_param *params;
    size_t n_params;
    gsl_rng *rng;        /* the policy's own stream (owned by the caller) */
    size_t n_devices;
    const pol_reward *reward; /* the scenario's reward (never NULL in a world) */
    pol_train *train;    /* set by `offsim train` only; NULL otherwise     */
    const char *pos_file;    /* the policy's `type` in the scenario, for   */
    int pos_line, pos_col;   /* errors without a parameter (pol_create)    */
} pol_cfg;

typedef struct pol_class {
    const char *name;
    const char *summary;            /* one line, for `offsim policies`     */
    const char *const *param_keys;  /* NULL-terminated list of valid keys  */
    /* Create the policy's state from cfg (params already checked to be
     * among param_keys).  Errors carry the parameter's position. */
    off_status (*create)(void **state, const pol_cfg *cfg, off_err *err);
    /* Choose an action.  Must be valid for the model; cheap. */
    void (*decide)(void *state, const pol_obs *obs, pol_action *act);
    /* The outcome of an earlier decision (may be NULL). */
    void (*feedback)(void *state, const pol_outcome *out);
    void (*destroy)(void *state);   /* NULL-safe */
} pol_class;

/* True for the one class that is shown realised outcomes (the oracle). */
bool pol_sees_realised(const pol_class *c);

/* True for the classes that choose by predicted costs (pol_pred_*:
 * neurosurgeon, edgent, dyno). */
bool pol_predicts(const pol_class *c);

/* The registered policy classes, and lookup by name (NULL if none). */
const pol_class *const *pol_registry(size_t *n);
const pol_class *pol_find(const char *name);

/* True for the learning agents (`ppo`, `sac-discrete`, policies/rl/). */
bool pol_is_learning(const pol_class *c);
/* The training's whole state to a checkpoint (policies/rl/pol_rl.c): the
 * agent's networks (which `checkpoint:` loads), its optimiser moments,
 * counters and random stream (SAC's replay with its `save_replay` key),
 * and t's loop state; and the transitions the agent learned from. */
off_status pol_rl_save(const pol_train *t, const char *path, off_err *err);
uint64_t pol_rl_steps(const pol_train *t);
/* Prepare t (not yet trained) to continue the training saved at path: its
 * seed, step target and loop state now, the agent's state when the first
 * world makes it (which then checks that it fits the scenario's agent).
 * Continuing to the same target gives the checkpoint that one training
 * without the stop would have written, byte for byte. */
off_status pol_rl_resume(pol_train *t, const char *path, off_err *err);
/* The `early_exit` an agent's checkpoint carries (which running it applies
 * unless the policy gives the key), 0 if it has none. */
off_status pol_rl_early_exit(const char *path, double *ee, off_err *err);

/* A policy instance. */
typedef struct pol_policy {
    const pol_class *cls;
    void *state;
} pol_policy;

/* Find the class (unknown name: error with did-you-mean and the list of
 * policies, at pos), check parameter keys (unknown key: did-you-mean), and
 * create.  pos_file/line/col locate the policy's `type`. */
off_status pol_create(pol_policy *p, const char *type, const pol_cfg *cfg,
                      const char *pos_file, int pos_line, int pos_col,
                      off_err *err);
void pol_destroy(pol_policy *p); /* NULL-safe, idempotent */

static inline void pol_decide(pol_policy *p, const pol_obs *o, pol_action *a)
{
    p->cls->decide(p->state, o, a);
}

static inline void pol_feedback(pol_policy *p, const pol_outcome *o)
{
    if (p->cls->feedback)
        p->cls->feedback(p->state, o);
}

/* ---- parameter helpers for policy implementations --------------------- */
const pol_param *pol_cfg_param(const pol_cfg *cfg, const char *key);
/* An integer parameter in [min, max]; *out = dflt when absent. */
off_status pol_param_int(const pol_cfg *cfg, const char *key, long dflt,
                         long min, long max, long *out, off_err *err);
/* A real number in [min, max]; *out = dflt when absent. */
off_status pol_param_double(const pol_cfg *cfg, const char *key, double dflt, double min,
                            double max, double *out, off_err *err);
/* An exit, by name or index; *out = dflt when absent. */
off_status pol_param_exit(const pol_cfg *cfg, const char *key, int dflt,
                          int *out, off_err *err);
/* A bit-width that the model allows; *out = dflt when absent. */
off_status pol_param_bits(const pol_cfg *cfg, const char *key, int dflt,
                          int *out, off_err *err);

/* One of a fixed list of words (choices NULL-terminated); *out = the index
 * of the word, dflt when absent.  Anything else: an error at the value's
 * position listing the choices, with a did-you-mean. */
off_status pol_param_choice(const pol_cfg *cfg, const char *key,
                            const char *const *choices, int dflt, int *out,
                            off_err *err);

/* The default bit-width for policies that do not choose one: 8 if the model
 * allows it, else the largest allowed. */
int pol_default_bits(const mdl_model *m);

/* ---- predicted costs, for model-based policies (pol_predict.c) --------- *
 *
 * What an action will cost if the world stays as the observation says,
 * following the task lifecycle of the simulator (sim/sim_task.c) stage by
 * stage, from the decision time:
 *
 *   local (split >= after(exit)):  latency = device backlog + device compute
 *   offloaded:
 *     t_dev  = split > 0 ? device backlog + device compute : 0
 *              (full offload skips the device queue)
 *     t_up   = max(t_dev, uplink backlog) + payload * 8 / uplink rate
 *              + uplink propagation
 *              [+ rtt/2 + payload * 8 / backhaul rate]  (arrival at server)
 *     t_srv  = max(t_up, server_free)                   (start of service)
 *     latency = t_srv + server compute
 *              [+ rtt/2 + result * 8 / backhaul rate]
 *              + result * 8 / downlink rate + downlink propagation
 *   [...]: a cloud server's backhaul (obs server_backhaul_*), its queue
 *              not foreseen
 *   server_free = 0 when a core is idle, else (tasks ahead - cores + 1) *
 *              mean service / cores, tasks ahead = busy + queued: the wait
 *              of an M/M/c-like FCFS queue, drained while this task is
 *              computed and sent.  The mean service is the server time of
 *              the full model scaled by a running mean (weight 1/8) of the
 *              server work of the offloads this predictor was told about
 *              (pol_pred_note), relative to the full model (1 at start).
 *   device energy = P_active * device compute + P_tx * upload transmission
 *              + P_rx * result reception + P_idle * (uplink propagation +
 *              backhaul both ways + server wait + server compute)
 *
 * Compute times come from the hardware profile when the observation has
 * one (mdl_profile_device_seconds / _server_seconds at the side's
 * compute_bits), else MACs / speed.  The rates are the observation's
 * estimates (obs->uplink_rate_bps); an infinite rate costs no time.
 * The payload is the model's payload_mean when it has one (a trained
 * model under a predicting policy: the mean bytes really sent, packed and
 * compressed, mdl_trained_payload_mean), else mdl_payload_bytes (the layer
 * table's size at b bits).  The work of
 * a synthetic model is its nominal work; the BranchyNet threshold is not
 * modelled (the action's exit is costed).  Nothing else in flight (tasks in
 * the device queue that will upload first, later arrivals at the server,
 * the downlink queue) is foreseen.
 *
 * Tables per (exit, split) of device and server MACs and per (split, bits)
 * of payload bytes are built by pol_pred_init; tables of seconds for a
 * hardware profile are built the first time a (profile, compute bits) pair
 * is observed, into one of POL_PRED_SLOTS slots per side (no allocation;
 * more distinct pairs than slots are recomputed round-robin).  After
 * pol_pred_begin, pol_pred_latency is a few table reads and adds. */
#define POL_PRED_SLOTS 8

typedef struct pol_pred_table {
    const mdl_profile *prof; /* NULL: slot free */
    int bits;
    double *s;               /* [E][L+1] seconds */
} pol_pred_table;

typedef struct pol_pred {
    const mdl_model *model;
    size_t stride;                  /* L + 1 */
    double *dev_macs, *srv_macs;    /* [E][L+1]: mdl_device_macs, _server_macs */
    double *payload;                /* [L+1][n_bits]: bytes sent (0 at L) */
    pol_pred_table dev[POL_PRED_SLOTS], srv[POL_PRED_SLOTS];
    unsigned dev_next, srv_next;    /* round-robin victims */
    double srv_frac;                /* running mean server work / full model */
    double *mem;                    /* the one allocation */
} pol_pred;

/* The per-decision view: the tables for this observation and its terms. */
typedef struct pol_pred_ctx {
    const mdl_model *model;
    size_t stride, n_bits;
    const double *dev, *srv, *payload;
    double dev_scale, srv_scale;        /* seconds per table unit */
    double dev_backlog_s, up_backlog_s;
    double up_s_per_byte, up_delay_s;   /* 8 / rate (0 if infinite) */
    double down_tx_s, down_delay_s;     /* the result's transmission */
    double bh_up_delay_s, bh_s_per_byte; /* backhaul: rtt/2, 8 / rate (0: none) */
    double bh_down_s;                   /* backhaul: the result's crossing */
    double send_s_per_byte, send_delay_s; /* uplink + backhaul, per byte, fixed */
    double server_free_s;               /* from now; see above */
    double p_active_w, p_tx_w, p_rx_w, p_idle_w;
} pol_pred_ctx;

/* One action's predicted cost, term by term. */
typedef struct pol_pred_cost {
    bool local;
    double latency_s, energy_j;
    double device_s;          /* device compute                       */
    double payload_bytes;     /* 0 when local                         */
    double uplink_s;          /* payload transmission                 */
    double server_wait_s;     /* queueing at the server               */
    double server_s;          /* server compute                       */
    double backhaul_s;        /* a cloud server's backhaul, both ways */
    double downlink_s;        /* result transmission                  */
} pol_pred_cost;

/* Build the tables for m (kept by pointer; it must outlive p). */
off_status pol_pred_init(pol_pred *p, const mdl_model *m, off_err *err);
void pol_pred_free(pol_pred *p); /* NULL-safe, idempotent */

/* The view for one observation (obs->model must be p's model). */
void pol_pred_begin(pol_pred *p, const pol_obs *obs, pol_pred_ctx *c);

/* Cost of (exit, split, model->bits[bits_idx]); split is clamped to
 * after(exit); bits_idx is ignored when nothing intermediate is sent. */
void pol_pred_eval(const pol_pred_ctx *c, size_t exit, size_t split, size_t bits_idx,
                   pol_pred_cost *out);

/* Tell the predictor which action was taken, for its mean server work. */
void pol_pred_note(pol_pred *p, const pol_pred_ctx *c, size_t exit, size_t split);

/* Predicted latency only (= pol_pred_eval's latency_s), for searches. */
static inline double pol_pred_latency(const pol_pred_ctx *c, size_t exit, size_t split,
                                      size_t bits_idx)
{
    size_t after = c->model->exits[exit].after;
    const size_t row = exit * c->stride;
    if (split >= after)
        return c->dev_backlog_s + c->dev[row + after] * c->dev_scale;
    double t = split ? c->dev_backlog_s + c->dev[row + split] * c->dev_scale : 0.0;
    if (t < c->up_backlog_s)
        t = c->up_backlog_s;
    double bytes = c->payload[split * c->n_bits + bits_idx];
    if (bytes > 0)
        t += bytes * c->send_s_per_byte;
    t += c->send_delay_s;
    if (t < c->server_free_s)
        t = c->server_free_s;
    return t + c->srv[row + split] * c->srv_scale + c->bh_down_s + c->down_tx_s +
           c->down_delay_s;
}

#endif /* POL_H */
