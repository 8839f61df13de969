/*
 * pol_sac.h - Soft Actor-Critic for discrete actions (Christodoulou 2019,
 * "Soft Actor-Critic for Discrete Action Settings", arXiv:1910.07207), in
 * the spirit of CleanRL's sac_atari.py with MLPs instead of a CNN, and with
 * per-state action masks.
 *
 * Networks (ReLU hidden layers, orthogonal init: gain sqrt(2) hidden, 0.01
 * on the actor's head so the first policy is nearly uniform, 1 on the Q
 * heads; zero biases):
 *   actor   obs -> logits (A), pi(.|s) = softmax over the VALID actions;
 *   Q1, Q2  obs -> Q(s, .) (A);  Q1_targ, Q2_targ their target copies.
 *
 * Losses over a minibatch of B transitions (s, m, a, r, s', m', d), every
 * sum over actions taken over the valid actions of its state only (m or m'),
 * expectations exact (no action sampling), alpha = exp(log_alpha):
 *
 *   y     = r + gamma (1 - d) sum_{a' valid in s'} pi(a'|s')
 *               [min(Q1_targ, Q2_targ)(s', a') - alpha log pi(a'|s')]
 *   J_Q   = (1/B) sum_b 1/2 (Q1(s,a) - y)^2  +  (1/B) sum_b 1/2 (Q2(s,a) - y)^2
 *           (the paper's 1/2 convention; CleanRL's qf_loss, a plain
 *            mse_loss per network, is twice this.  y is a constant.)
 *   J_pi  = (1/B) sum_b sum_{a valid} pi(a|s) [alpha log pi(a|s) - min(Q1,Q2)(s,a)]
 *           (Q and alpha constants)
 *   J_alp = -(1/B) sum_b log_alpha sum_{a valid} pi(a|s) [log pi(a|s) + H_targ(s)]
 *           (pi constant), H_targ(s) = target_entropy_scale * log(n_valid(s)).
 *
 * One update (pol_sac_update), as sac_atari.py orders it: sample B rows
 * uniformly (with replacement) from the filled replay rows; critic step
 * (J_Q, both Q networks, global grad-norm clipping over both when
 * max_grad_norm > 0, one Adam each); actor step (J_pi with the freshly
 * updated critics); temperature step (J_alp with the actor's probabilities
 * from before its step) when autotune; alpha = exp(log_alpha); then every
 * target_network_frequency updates Q_targ <- tau Q + (1 - tau) Q_targ
 * (tau = 1: hard copy).  NOTE: CleanRL counts target_network_frequency in
 * environment steps; here it counts gradient updates (the agent does not
 * see environment steps), so CleanRL's 8000 steps at update_frequency 4 is
 * 2000 here.  How often to call pol_sac_update is the caller's choice
 * (CleanRL: once every 4 environment steps).
 *
 * Action masks: a mask is A bytes, non-zero = valid; NULL = every action
 * valid.  A mask with no valid action is treated as all valid (a simulator
 * should never produce one).  Masked actions get logit -INFINITY, probability
 * exactly 0, are never sampled nor chosen greedily, and contribute nothing
 * to any loss or gradient (sums run over valid actions only, so no 0 * -inf).
 *
 * Replay: a ring of `buffer_size` rows (obs, mask, action, reward, next obs,
 * next mask, done); the oldest row is overwritten when full.  `done` is 1
 * when s' is terminal (cut the bootstrap); a time-limit truncation should be
 * pushed with done = 0 (the bootstrap from s' is still right), as CleanRL's
 * ReplayBuffer with handle_timeout_termination does.
 *
 * Memory: every buffer (replay, minibatch scratch, activations) is
 * allocated by pol_sac_init; act, push and update never allocate.
 *
 * Determinism: the agent's gsl_rng mt19937 (seeded with cfg.seed) draws the
 * initial weights (actor, Q1, Q2 in that order; the targets start as
 * copies), the sampled actions and the minibatch rows.  pol_sac_init sets
 * openblas_set_num_threads(1), so the same seed and the same sequence of
 * act/push/update calls give bit-identical parameters.
 *
 * CartPole-v1 settings of tests/policies/test_pol_sac.c and
 * bench/bench_sac_cartpole.c (one environment; mean-20 return >= 195 at step
 * 6,487 with seed 1): hidden 64-64, buffer_size 100,000, batch_size 64,
 * learning_starts 1,000, one update per environment step, tau 0.005 with
 * target_network_frequency 1, policy_lr 3e-4, q_lr 1e-3, alpha_lr 3e-4,
 * autotune with target_entropy_scale 0.5 (0.89 made alpha grow without
 * bound on CartPole), gamma 0.99, no clipping.  docs/rl.md, "SAC-discrete",
 * has the details and the measured figures.
 */
#ifndef POL_SAC_H
#define POL_SAC_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "off.h"
#include "pol_ckpt.h"
#include "pol_nn.h"

#define POL_SAC_MAX_HIDDEN 4

typedef struct pol_sac_cfg {
    size_t obs_dim;                    /* D */
    size_t n_actions;                  /* A */
    size_t n_hidden;                   /* hidden layers of every network (2) */
    size_t hidden[POL_SAC_MAX_HIDDEN]; /* widths (128, 128) */
    size_t buffer_size;                /* replay capacity (1,000,000) */
    size_t batch_size;                 /* B (64) */
    size_t learning_starts;            /* rows stored before updating (20,000) */
    float gamma;                       /* 0.99 */
    float tau;                         /* target averaging (1.0: hard copy) */
    size_t target_network_frequency;   /* in updates (2000; see above) */
    float policy_lr, q_lr, alpha_lr;   /* Adam lrs (3e-4, 3e-4, 3e-4) */
    float adam_eps;                    /* 1e-4 (sac_atari.py) */
    int autotune;                      /* learn alpha (1) */
    float alpha;                       /* initial / fixed alpha (0.2); with
                                          autotune log_alpha starts at 0 (alpha
                                          1), as CleanRL does */
    float target_entropy_scale;        /* 0.89 */
    float max_grad_norm;               /* <= 0: no clipping (0) */
    unsigned long seed;                /* agent rng (init, actions, batches) */
} pol_sac_cfg;

/* CleanRL sac_atari.py's defaults (adapted as noted) for obs_dim inputs
 * and n_actions actions. */
void pol_sac_cfg_default(pol_sac_cfg *c, size_t obs_dim, size_t n_actions);

/* The settings that solve CartPole-v1 (pol_cartpole.h) in tests/policies/
 * test_pol_sac.c and bench/bench_sac_cartpole.c: 64-64 networks, replay
 * 100,000, batch 64, learning_starts 1,000, Polyak tau 0.005 after every
 * update, target_entropy_scale 0.5, lrs actor 3e-4, critics 1e-3, alpha
 * 3e-4; the caller updates once per environment step. */
void pol_sac_cfg_cartpole(pol_sac_cfg *c, unsigned long seed);

/* Statistics of one update. */
typedef struct pol_sac_stats {
    double q_loss;      /* J_Q (sum of both networks' halves) */
    double actor_loss;  /* J_pi */
    double alpha_loss;  /* J_alp (0 without autotune) */
    double alpha;       /* alpha used by this update */
    double entropy;     /* mean policy entropy over the batch states */
    double mean_q;      /* mean of (Q1(s,a) + Q2(s,a)) / 2 over the batch */
} pol_sac_stats;

typedef struct pol_sac {
    pol_sac_cfg cfg;
    pol_mlp actor, q1, q2, q1_targ, q2_targ;
    mdl_adam adam_actor, adam_q1, adam_q2, adam_alpha;
    float log_alpha[1], dlog_alpha[1]; /* learned temperature and its grad */
    float alpha;                       /* exp(log_alpha), or cfg.alpha fixed */
    gsl_rng *rng;
    uint64_t updates;                  /* gradient updates done */
    uint64_t pushes;                   /* transitions pushed */
    size_t rb_pos, rb_size;            /* next row to write; rows filled */
    /* replay ring (N = buffer_size rows), views in mem */
    float *rb_obs, *rb_next;           /* (N, D) each */
    float *rb_rew, *rb_done;           /* (N) each */
    int32_t *rb_act;                   /* (N) */
    uint8_t *rb_mask, *rb_nmask;       /* (N, A) each */
    /* minibatch scratch (B rows), views in mem */
    size_t *idx;                       /* (B) rows drawn */
    float *mobs, *mnext, *mrew, *mdone;
    int32_t *mact;
    uint8_t *mmask, *mnmask;
    float *zl, *logp, *prob, *minq;    /* (B, A) each */
    float *dq, *dlogp, *dz;            /* (B, A) each */
    float *y, *ent, *ent_term;         /* (B) each */
    void *mem;                         /* the one allocation */
} pol_sac;

off_status pol_sac_init(pol_sac *s, const pol_sac_cfg *cfg, off_err *err);
void pol_sac_free(pol_sac *s); /* NULL-safe, idempotent */

/* obs (D), mask (A) or NULL -> an action: drawn from pi(.|obs) (one
 * gsl_rng_uniform draw) or, when greedy, the most probable valid action
 * (first on ties; no draw). */
int32_t pol_sac_act(pol_sac *s, const float *obs, const uint8_t *mask, int greedy);
/* obs (D), mask (A) or NULL -> probs (A) = pi(.|obs), 0 on masked actions */
void pol_sac_probs(pol_sac *s, const float *obs, const uint8_t *mask, float *probs);
/* obs (D) -> q (A) = min(Q1, Q2)(obs, .) */
void pol_sac_q(pol_sac *s, const float *obs, float *q);

/* Store one completed transition (obs, mask, act, reward, next_obs,
 * next_mask, done) in the ring; masks may be NULL (all valid). */
void pol_sac_push(pol_sac *s, const float *obs, const uint8_t *mask, int32_t act,
                  float reward, const float *next_obs, const uint8_t *next_mask, int done);

/* One gradient update if the buffer holds >= max(learning_starts, 1) rows:
 * returns 1 and fills stats (may be NULL); otherwise returns 0 and does
 * nothing. */
int pol_sac_update(pol_sac *s, pol_sac_stats *stats);

/* The pieces of pol_sac_update, for tests.  Each gathers the replay rows
 * idx (batch_size of them, each < rb_size) and writes its loss's gradient
 * (zeroed first; not clipped, no step): critic -> q1.grads, q2.grads;
 * actor -> actor.grads (also fills ent and ent_term); alpha -> dlog_alpha.
 * They return the loss. */
double pol_sac_critic_grad(pol_sac *s, const size_t *idx);
double pol_sac_actor_grad(pol_sac *s, const size_t *idx);
double pol_sac_alpha_grad(pol_sac *s, const size_t *idx);

/* Checkpoint (pol_ckpt.h: the OFFW container), kind "sac-discrete", shape
 * "obs=D act=A hidden=H1xH2..", then the sections, in order:
 *   "sac.actor", "sac.q1", "sac.q2", "sac.q1_targ", "sac.q2_targ",
 *   "sac.log_alpha" (1),
 *   "sac.adam.{actor,q1,q2,alpha}.{m,v}",
 *   "sac.counters" (blob: updates, pushes, ring position and fill, the four
 *       Adam step counts; each a little-endian u64),
 *   "sac.rng" (blob: the generator's state),
 *   with_replay: "sac.rb.{obs,next,act,rew,done,mask,nmask}" (whole ring),
 *   then the caller's extra sections (at most POL_CKPT_MAX_EXTRA).
 * pol_sac_load reads the sections up to the rng (and the replay when
 * with_replay) and ignores what follows: a loaded agent acts like the saved
 * one and, without the replay, resumes training on what it is pushed next;
 * pol_sac_resume reads the whole file, extra included, and with the replay
 * continued training is bit-identical to the saved agent's.  Both require
 * the same architecture (obs_dim, n_actions, hidden widths, and the same
 * buffer_size when with_replay); a file saved without the replay cannot be
 * read with_replay.  On any error the agent is untouched and err names the
 * file and the mismatch. */
off_status pol_sac_save(const pol_sac *s, const char *path, int with_replay,
                        const pol_tensor *extra, size_t n_extra, off_err *err);
off_status pol_sac_load(pol_sac *s, const char *path, int with_replay, off_err *err);
off_status pol_sac_resume(pol_sac *s, const char *path, int with_replay,
                          const pol_tensor *extra, size_t n_extra, off_err *err);

#endif /* POL_SAC_H */
