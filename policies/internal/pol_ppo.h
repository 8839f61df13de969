/*
 * pol_ppo.h - Proximal Policy Optimization (Schulman et al. 2017,
 * "Proximal Policy Optimization Algorithms", arXiv:1707.06347), faithful to
 * CleanRL's ppo.py (Huang et al. 2022, "The 37 Implementation Details of
 * PPO"):
 *
 *   - separate actor and critic MLPs, tanh hidden layers (64-64 by default),
 *     orthogonal init with gain sqrt(2) on hidden layers, 0.01 on the actor's
 *     head, 1 on the critic's head, zero biases;
 *   - one Adam (lr 2.5e-4, eps 1e-5) over both networks, lr annealed
 *     linearly to 0 over total_steps / (num_envs num_steps) updates;
 *   - rollouts of num_steps steps in each of num_envs environments; episode
 *     ends (terminated OR truncated, as ppo.py does) cut the bootstrap;
 *   - GAE(gamma 0.99, lambda 0.95); returns = advantages + values;
 *   - update_epochs (4) passes over the batch in num_minibatches (4) shuffled
 *     minibatches; advantages normalised per minibatch ((A - mean) / (std +
 *     1e-8), std unbiased as torch.std);
 *   - clipped surrogate (clip 0.2), clipped value loss
 *     0.5 mean(max((v - R)^2, (v_old + clamp(v - v_old, -c, c) - R)^2)),
 *     loss = pg - ent_coef entropy + vf_coef v_loss (0.01, 0.5);
 *   - global gradient-norm clipping at 0.5 over both networks.
 *   Gradients of max and clamp at ties follow PyTorch (max splits a tie in
 *   half, clamp passes the gradient on its closed interval).
 *
 * The action is H independent categorical heads (pol_nn's heads): log-
 * probabilities and entropies are summed over heads.  CartPole is H = 1,
 * K = {2}; the co-inference agent will be exit, split, bits.  A joint action
 * is one head over the product.
 *
 * The agent does not own environments.  A rollout is driven by the caller:
 *
 *     for (t = 0; t < num_steps; t++) {
 *         pol_ppo_act(p, obs, act);          // obs (N,obs_dim) -> act (N,H)
 *         ... step the N environments, autoreset the finished ones ...
 *         pol_ppo_observe(p, reward, done);  // reward (N), done (N)
 *     }
 *     pol_ppo_update(p, obs_after, &stats);  // bootstrap on the next obs
 *
 * Determinism: the agent's gsl_rng mt19937 (seeded with cfg.seed) draws the
 * initial weights (actor first, then critic), the actions and the minibatch
 * shuffles; with openblas_set_num_threads(1) (set by pol_ppo_init) the same
 * seed and the same environment give bit-identical parameters.
 */
#ifndef POL_PPO_H
#define POL_PPO_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "off.h"
#include "pol_ckpt.h"
#include "pol_nn.h"

#define POL_PPO_MAX_HEADS 8
#define POL_PPO_MAX_HIDDEN 4

typedef struct pol_ppo_cfg {
    size_t obs_dim;
    size_t n_heads;                    /* H */
    size_t K[POL_PPO_MAX_HEADS];       /* choices per head */
    size_t n_hidden;                   /* hidden layers (2) */
    size_t hidden[POL_PPO_MAX_HIDDEN]; /* widths (64, 64) */
    size_t num_envs;                   /* N (4) */
    size_t num_steps;                  /* T (128) */
    size_t num_minibatches;            /* 4; must divide N T */
    size_t update_epochs;              /* 4 */
    uint64_t total_steps;              /* for lr annealing (500000) */
    float lr;                          /* 2.5e-4 */
    int anneal_lr;                     /* 1 */
    float adam_eps;                    /* 1e-5 */
    float gamma, gae_lambda;           /* 0.99, 0.95 */
    float clip_coef;                   /* 0.2 */
    int clip_vloss;                    /* 1 */
    int norm_adv;                      /* 1 */
    float ent_coef, vf_coef;           /* 0.01, 0.5 */
    float max_grad_norm;               /* 0.5 */
    unsigned long seed;                /* agent rng (init, actions, shuffles) */
} pol_ppo_cfg;

/* CleanRL ppo.py's defaults for obs_dim inputs and heads K (H of them). */
void pol_ppo_cfg_default(pol_ppo_cfg *c, size_t obs_dim, const size_t *K, size_t H);

/* Statistics of the last update (means over its minibatches, as CleanRL logs
 * the last minibatch's; here averaged). */
typedef struct pol_ppo_stats {
    double pg_loss, v_loss, entropy, approx_kl, clipfrac, grad_norm;
    double explained_var; /* 1 - Var(R - v_old) / Var(R) over the batch */
    double lr;            /* learning rate used by this update */
} pol_ppo_stats;

typedef struct pol_ppo {
    pol_ppo_cfg cfg;
    size_t sumK, B, mb;           /* sum of K; batch N T; minibatch B / nmb */
    pol_mlp actor, critic;        /* obs -> logits (sumK); obs -> value (1) */
    mdl_adam adam_a, adam_c;      /* Adam is elementwise: two halves of one */
    gsl_rng *rng;
    size_t t;                     /* rollout steps stored (0..T) */
    uint64_t updates;             /* updates done */
    uint64_t env_steps;           /* N per observe */
    /* rollout, row t*N + e; one allocation at obs */
    float *obs;                   /* (T N, obs_dim) */
    float *logp, *val, *rew, *done; /* (T N) each; done = episode ended at t */
    float *adv, *ret;             /* (T N) each */
    int32_t *act;                 /* (T N, H) */
    uint8_t *mask;                /* (T N, sumK): 0 = choice masked out */
    int masked;                   /* some stored row has a masked choice */
    /* minibatch scratch */
    float *mobs, *lsm, *dlog, *nlogp, *ent, *dlogp, *dent, *dv, *madv;
    float *mlog;                  /* (max(mb, N), sumK) masked logits */
    int32_t *mact;
    size_t *perm;                 /* (B) */
} pol_ppo;

off_status pol_ppo_init(pol_ppo *p, const pol_ppo_cfg *cfg, off_err *err);
void pol_ppo_free(pol_ppo *p); /* NULL-safe, idempotent */

/* obs (N, obs_dim) -> act (N, H) sampled from the policy; stores obs, the
 * actions, their log-probabilities and the critic's values at row t.
 * Call once per rollout step, before pol_ppo_observe; when the rollout is
 * full it does nothing (act untouched): call pol_ppo_update first. */
void pol_ppo_act(pol_ppo *p, const float *obs, int32_t *act);
/* reward (N), done (N, nonzero = the episode ended at this step, terminated
 * or truncated) of the step just taken; advances t. */
void pol_ppo_observe(pol_ppo *p, const float *reward, const float *done);
/* 1 when num_steps steps are stored and pol_ppo_update is due */
int pol_ppo_rollout_full(const pol_ppo *p);
/* next_obs (N, obs_dim): the observations after the last step (the reset
 * observation where an episode ended).  GAE, then the PPO epochs; resets
 * the rollout.  stats may be NULL. */
void pol_ppo_update(pol_ppo *p, const float *next_obs, pol_ppo_stats *stats);

/* The pieces of pol_ppo_update, for tests: GAE over the stored rollout
 * (fills adv, ret) from next_obs (N, obs_dim); and, for the batch rows idx
 * (mb of them), the minibatch loss pg - ent_coef entropy + vf_coef v_loss
 * (advantages normalised if cfg.norm_adv) with its gradient written into
 * actor.grads and critic.grads (zeroed first; not clipped, no step).  The
 * loss statistics are added to acc unless NULL. */
void pol_ppo_gae(pol_ppo *p, const float *next_obs);
double pol_ppo_minibatch_grad(pol_ppo *p, const size_t *idx, pol_ppo_stats *acc);

/* obs (obs_dim) -> act (H): the most probable choice of each head */
void pol_ppo_greedy(pol_ppo *p, const float *obs, int32_t *act);

/* ---- transitions completed out of order (a simulator's delayed rewards) --
 * An action mask (sumK bytes, head after head; 0 = the choice is invalid,
 * NULL = every choice valid) sets the choice's logit to -INFINITY: it is
 * never sampled, has probability 0, and the update recomputes the stored
 * row's log-probabilities and entropy under the same mask.  Each head must
 * keep at least one valid choice.
 *
 * pol_ppo_sample acts without storing anything: obs (obs_dim) -> act (H)
 * sampled (or the most probable valid choice of each head when greedy),
 * *logp its log-probability and *value the critic's value (either may be
 * NULL).  pol_ppo_push stores one completed transition at the next rollout
 * row (only with num_envs == 1): the observation, mask and action of a
 * decision, the logp and value pol_ppo_sample gave then, its reward and
 * done.  Returns 1 when the rollout is full (call pol_ppo_update with the
 * observation of the decision that followed), 0 otherwise, -1 if the
 * rollout was already full or num_envs != 1 (nothing stored). */
void pol_ppo_sample(pol_ppo *p, const float *obs, const uint8_t *mask, int greedy,
                    int32_t *act, float *logp, float *value);
int pol_ppo_push(pol_ppo *p, const float *obs, const uint8_t *mask, const int32_t *act,
                 float logp, float value, float reward, int done);
/* obs (obs_dim) -> the critic's value */
float pol_ppo_value(pol_ppo *p, const float *obs);

/* Checkpoint (pol_ckpt.h: the OFFW container), kind "ppo", shape
 * "obs=D heads=K0+K1.. hidden=H1xH2", then the sections, in order:
 *   "ppo.actor", "ppo.critic" (what acting needs),
 *   "ppo.adam.{actor,critic}.{m,v}",
 *   "ppo.counters" (blob: rollout row t, updates, env_steps, the two Adam
 *       step counts, masked; each a little-endian u64),
 *   "ppo.rng" (blob: the generator's state),
 *   "ppo.roll.{obs,act,logp,val,rew,done,mask,adv,ret}" (the whole rollout),
 *   then the caller's extra sections (at most POL_CKPT_MAX_EXTRA).
 * pol_ppo_load reads the networks only and ignores what follows them (a
 * file of the networks alone loads too); pol_ppo_resume reads everything,
 * extra included, and training then continues bit-identically to the
 * saved agent's (same cfg).  Both require the same kind and shape (and
 * resume the same rollout size) and name the file and the mismatch; on any
 * error the agent is untouched. */
off_status pol_ppo_save(const pol_ppo *p, const char *path, const pol_tensor *extra,
                        size_t n_extra, off_err *err);
off_status pol_ppo_load(pol_ppo *p, const char *path, off_err *err);
off_status pol_ppo_resume(pol_ppo *p, const char *path, const pol_tensor *extra,
                          size_t n_extra, off_err *err);

#endif /* POL_PPO_H */
