/*
 * pol_sac.c - SAC for discrete actions with action masks; see pol_sac.h for
 * the algorithm, the equations and the references.
 */
#include "pol_sac.h"

#include "pol_cartpole.h"
#include "pol_ckpt.h"

#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pol_sac_cfg_default(pol_sac_cfg *c, size_t obs_dim, size_t n_actions)
{
    memset(c, 0, sizeof *c);
    c->obs_dim = obs_dim;
    c->n_actions = n_actions;
    c->n_hidden = 2;
    c->hidden[0] = c->hidden[1] = 128;
    c->buffer_size = 1000000;
    c->batch_size = 64;
    c->learning_starts = 20000;
    c->gamma = 0.99f;
    c->tau = 1.0f;
    c->target_network_frequency = 2000;
    c->policy_lr = 3e-4f;
    c->q_lr = 3e-4f;
    c->alpha_lr = 3e-4f;
    c->adam_eps = 1e-4f;
    c->autotune = 1;
    c->alpha = 0.2f;
    c->target_entropy_scale = 0.89f;
    c->max_grad_norm = 0.0f;
    c->seed = 1;
}

void pol_sac_cfg_cartpole(pol_sac_cfg *c, unsigned long seed)
{
    pol_sac_cfg_default(c, POL_CARTPOLE_OBS, POL_CARTPOLE_ACTIONS);
    c->hidden[0] = c->hidden[1] = 64;
    c->buffer_size = 100000;
    c->batch_size = 64;
    c->learning_starts = 1000;
    c->tau = 0.005f;
    c->target_network_frequency = 1;
    c->target_entropy_scale = 0.5f;
    c->policy_lr = 3e-4f;
    c->q_lr = 1e-3f;
    c->alpha_lr = 3e-4f;
    c->seed = seed;
}

void pol_sac_free(pol_sac *s)
{
    if (!s)
        return;
    pol_mlp_free(&s->actor);
    pol_mlp_free(&s->q1);
    pol_mlp_free(&s->q2);
    pol_mlp_free(&s->q1_targ);
    pol_mlp_free(&s->q2_targ);
    mdl_adam_free(&s->adam_actor);
    mdl_adam_free(&s->adam_q1);
    mdl_adam_free(&s->adam_q2);
    mdl_adam_free(&s->adam_alpha);
    if (s->rng)
        gsl_rng_free(s->rng);
    free(s->mem);
    memset(s, 0, sizeof *s);
}

/* carve n elements of size sz from *p (16-byte aligned) */
static void *carve(char **p, size_t n, size_t sz)
{
    void *r = *p;
    size_t b = (n * sz + 15) & ~(size_t)15;
    *p += b;
    return r;
}

/* bytes needed by the carves of pol_sac_init, in the same order */
static size_t mem_bytes(size_t N, size_t B, size_t D, size_t A, int count_only,
                        pol_sac *s)
{
    char *base = count_only ? NULL : (char *)s->mem, *p = base;
#define CARVE(dst, n, T)                                                               \
    do {                                                                               \
        if (count_only)                                                                \
            p += (((n) * sizeof(T) + 15) & ~(size_t)15);                               \
        else                                                                           \
            (dst) = carve(&p, (n), sizeof(T));                                         \
    } while (0)
    CARVE(s->rb_obs, N * D, float);
    CARVE(s->rb_next, N * D, float);
    CARVE(s->rb_rew, N, float);
    CARVE(s->rb_done, N, float);
    CARVE(s->rb_act, N, int32_t);
    CARVE(s->rb_mask, N * A, uint8_t);
    CARVE(s->rb_nmask, N * A, uint8_t);
    CARVE(s->idx, B, size_t);
    CARVE(s->mobs, B * D, float);
    CARVE(s->mnext, B * D, float);
    CARVE(s->mrew, B, float);
    CARVE(s->mdone, B, float);
    CARVE(s->mact, B, int32_t);
    CARVE(s->mmask, B * A, uint8_t);
    CARVE(s->mnmask, B * A, uint8_t);
    CARVE(s->zl, B * A, float);
    CARVE(s->logp, B * A, float);
    CARVE(s->prob, B * A, float);
    CARVE(s->minq, B * A, float);
    CARVE(s->dq, B * A, float);
    CARVE(s->dlogp, B * A, float);
    CARVE(s->dz, B * A, float);
    CARVE(s->y, B, float);
    CARVE(s->ent, B, float);
    CARVE(s->ent_term, B, float);
#undef CARVE
    return (size_t)(p - base);
}

off_status pol_sac_init(pol_sac *s, const pol_sac_cfg *cfg, off_err *err)
{
    memset(s, 0, sizeof *s);
    const pol_sac_cfg *c = cfg;
    if (c->obs_dim == 0 || c->n_actions == 0 || c->n_hidden > POL_SAC_MAX_HIDDEN ||
        c->buffer_size == 0 || c->batch_size == 0 || c->target_network_frequency == 0 ||
        !(c->tau > 0.0f && c->tau <= 1.0f) || !(c->gamma >= 0.0f && c->gamma <= 1.0f) ||
        (!c->autotune && !(c->alpha >= 0.0f)))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "sac: invalid configuration (obs_dim, n_actions, buffer_size, "
                        "batch_size, target_network_frequency must be > 0, tau in (0, 1], "
                        "gamma in [0, 1], n_hidden <= %d)",
                        POL_SAC_MAX_HIDDEN);
    for (size_t l = 0; l < c->n_hidden; l++)
        if (c->hidden[l] == 0)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "sac: hidden layer %zu is empty", l);
    openblas_set_num_threads(1); /* bit-reproducible matrix products */
    s->cfg = *c;
    size_t D = c->obs_dim, A = c->n_actions, B = c->batch_size, N = c->buffer_size;

    off_status st;
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->rng)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "sac: out of memory");
    gsl_rng_set(s->rng, c->seed);

    size_t sizes[POL_SAC_MAX_HIDDEN + 2];
    double gains[POL_SAC_MAX_HIDDEN + 1];
    size_t ns = 0;
    sizes[ns++] = D;
    for (size_t l = 0; l < c->n_hidden; l++) {
        gains[ns - 1] = sqrt(2.0);
        sizes[ns++] = c->hidden[l];
    }
    sizes[ns] = A;
    gains[ns - 1] = 0.01;
    if ((st = pol_mlp_init(&s->actor, sizes, ns + 1, POL_ACT_RELU, B, err)) != OFF_OK ||
        (st = pol_mlp_init_orthogonal(&s->actor, gains, s->rng, err)) != OFF_OK)
        goto fail;
    gains[ns - 1] = 1.0;
    pol_mlp *qs[4] = {&s->q1, &s->q2, &s->q1_targ, &s->q2_targ};
    for (int k = 0; k < 4; k++)
        if ((st = pol_mlp_init(qs[k], sizes, ns + 1, POL_ACT_RELU, B, err)) != OFF_OK)
            goto fail;
    if ((st = pol_mlp_init_orthogonal(&s->q1, gains, s->rng, err)) != OFF_OK ||
        (st = pol_mlp_init_orthogonal(&s->q2, gains, s->rng, err)) != OFF_OK)
        goto fail;
    memcpy(s->q1_targ.params, s->q1.params, s->q1.n_params * sizeof(float));
    memcpy(s->q2_targ.params, s->q2.params, s->q2.n_params * sizeof(float));

    if ((st = mdl_adam_init(&s->adam_actor, s->actor.n_params, c->policy_lr, 0.9f, 0.999f,
                            c->adam_eps, err)) != OFF_OK ||
        (st = mdl_adam_init(&s->adam_q1, s->q1.n_params, c->q_lr, 0.9f, 0.999f, c->adam_eps,
                            err)) != OFF_OK ||
        (st = mdl_adam_init(&s->adam_q2, s->q2.n_params, c->q_lr, 0.9f, 0.999f, c->adam_eps,
                            err)) != OFF_OK ||
        (st = mdl_adam_init(&s->adam_alpha, 1, c->alpha_lr, 0.9f, 0.999f, c->adam_eps,
                            err)) != OFF_OK)
        goto fail;
    s->log_alpha[0] = c->autotune ? 0.0f : logf(c->alpha);
    s->alpha = c->autotune ? expf(s->log_alpha[0]) : c->alpha;

    size_t bytes = mem_bytes(N, B, D, A, 1, s);
    s->mem = calloc(1, bytes);
    if (!s->mem) {
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0,
                      "sac: out of memory (%zu bytes for a replay of %zu rows)", bytes, N);
        goto fail;
    }
    mem_bytes(N, B, D, A, 0, s);
    return OFF_OK;
fail:
    pol_sac_free(s);
    return st;
}

/* ---- masked policy -------------------------------------------------------- */

static int mask_any(const uint8_t *m, size_t A)
{
    if (!m)
        return 0;
    for (size_t a = 0; a < A; a++)
        if (m[a])
            return 1;
    return 0;
}

/* 1 when action a is valid under mask m (NULL or no valid action: all) */
static inline int valid(const uint8_t *m, int any, size_t a)
{
    return !any || m[a];
}

/* logits (B,A), masks (B,A) or NULL -> zl (B,A) logits with -INFINITY on
 * masked actions, logp (B,A) masked log-softmax (-INFINITY on masked), prob
 * (B,A) (exactly 0 on masked); returns nothing, sums only over valid. */
static void masked_policy(float *zl, float *logp, float *prob, const float *logits,
                          const uint8_t *mask, size_t B, size_t A)
{
    for (size_t b = 0; b < B; b++) {
        const uint8_t *m = mask ? mask + b * A : NULL;
        int any = mask_any(m, A);
        const float *z = logits + b * A;
        float mx = -INFINITY;
        for (size_t a = 0; a < A; a++) {
            zl[b * A + a] = valid(m, any, a) ? z[a] : -INFINITY;
            if (valid(m, any, a) && z[a] > mx)
                mx = z[a];
        }
        double se = 0.0;
        for (size_t a = 0; a < A; a++)
            if (valid(m, any, a))
                se += exp((double)z[a] - mx);
        double lse = mx + log(se);
        for (size_t a = 0; a < A; a++) {
            size_t i = b * A + a;
            if (valid(m, any, a)) {
                double lp = (double)z[a] - lse;
                logp[i] = (float)lp;
                prob[i] = (float)exp(lp);
            } else {
                logp[i] = -INFINITY;
                prob[i] = 0.0f;
            }
        }
    }
}

static size_t n_valid(const uint8_t *m, size_t A)
{
    size_t n = 0;
    for (size_t a = 0; a < A; a++)
        n += m[a] != 0;
    return n ? n : A;
}

int32_t pol_sac_act(pol_sac *s, const float *obs, const uint8_t *mask, int greedy)
{
    size_t A = s->cfg.n_actions;
    const float *logits = pol_mlp_forward(&s->actor, obs, 1);
    int any = mask_any(mask, A);
    for (size_t a = 0; a < A; a++)
        s->zl[a] = valid(mask, any, a) ? logits[a] : -INFINITY;
    if (greedy)
        return (int32_t)pol_argmax(s->zl, A);
    return (int32_t)pol_categorical_sample(s->zl, A, s->rng);
}

void pol_sac_probs(pol_sac *s, const float *obs, const uint8_t *mask, float *probs)
{
    size_t A = s->cfg.n_actions;
    const float *logits = pol_mlp_forward(&s->actor, obs, 1);
    masked_policy(s->zl, s->logp, probs, logits, mask, 1, A);
}

void pol_sac_q(pol_sac *s, const float *obs, float *q)
{
    size_t A = s->cfg.n_actions;
    const float *q1 = pol_mlp_forward(&s->q1, obs, 1);
    memcpy(q, q1, A * sizeof *q);
    const float *q2 = pol_mlp_forward(&s->q2, obs, 1);
    for (size_t a = 0; a < A; a++)
        q[a] = fminf(q[a], q2[a]);
}

/* ---- replay -------------------------------------------------------------- */

static void put_mask(uint8_t *dst, const uint8_t *m, size_t A)
{
    int any = mask_any(m, A);
    for (size_t a = 0; a < A; a++)
        dst[a] = (uint8_t)valid(m, any, a);
}

void pol_sac_push(pol_sac *s, const float *obs, const uint8_t *mask, int32_t act,
                  float reward, const float *next_obs, const uint8_t *next_mask, int done)
{
    size_t D = s->cfg.obs_dim, A = s->cfg.n_actions, i = s->rb_pos;
    memcpy(s->rb_obs + i * D, obs, D * sizeof *obs);
    memcpy(s->rb_next + i * D, next_obs, D * sizeof *next_obs);
    s->rb_rew[i] = reward;
    s->rb_done[i] = done ? 1.0f : 0.0f;
    s->rb_act[i] = act;
    put_mask(s->rb_mask + i * A, mask, A);
    put_mask(s->rb_nmask + i * A, next_mask, A);
    s->rb_pos = (i + 1) % s->cfg.buffer_size;
    if (s->rb_size < s->cfg.buffer_size)
        s->rb_size++;
    s->pushes++;
}

static void gather(pol_sac *s, const size_t *idx)
{
    size_t D = s->cfg.obs_dim, A = s->cfg.n_actions, B = s->cfg.batch_size;
    for (size_t b = 0; b < B; b++) {
        size_t i = idx[b];
        memcpy(s->mobs + b * D, s->rb_obs + i * D, D * sizeof(float));
        memcpy(s->mnext + b * D, s->rb_next + i * D, D * sizeof(float));
        s->mrew[b] = s->rb_rew[i];
        s->mdone[b] = s->rb_done[i];
        s->mact[b] = s->rb_act[i];
        memcpy(s->mmask + b * A, s->rb_mask + i * A, A);
        memcpy(s->mnmask + b * A, s->rb_nmask + i * A, A);
    }
}

/* ---- losses on the gathered batch ------------------------------------------ */

/* minq (B,A) = min(Q_a, Q_b)(obs) */
static void min_q(pol_sac *s, pol_mlp *qa, pol_mlp *qb, const float *obs)
{
    size_t n = s->cfg.batch_size * s->cfg.n_actions;
    const float *x = pol_mlp_forward(qa, obs, s->cfg.batch_size);
    memcpy(s->minq, x, n * sizeof *x);
    x = pol_mlp_forward(qb, obs, s->cfg.batch_size);
    for (size_t i = 0; i < n; i++)
        s->minq[i] = fminf(s->minq[i], x[i]);
}

/* J_Q and its gradient into q1.grads, q2.grads; mean_q (may be NULL) */
static double critic_grad(pol_sac *s, double *mean_q)
{
    size_t A = s->cfg.n_actions, B = s->cfg.batch_size;
    double alpha = s->alpha, gamma = s->cfg.gamma;
    /* target: y = r + gamma (1 - d) sum_valid pi' [minQ_targ - alpha log pi'] */
    const float *logits = pol_mlp_forward(&s->actor, s->mnext, B);
    masked_policy(s->zl, s->logp, s->prob, logits, s->mnmask, B, A);
    min_q(s, &s->q1_targ, &s->q2_targ, s->mnext);
    for (size_t b = 0; b < B; b++) {
        double v = 0.0;
        for (size_t a = 0; a < A; a++) {
            size_t i = b * A + a;
            if (s->mnmask[i])
                v += (double)s->prob[i] * ((double)s->minq[i] - alpha * s->logp[i]);
        }
        s->y[b] = (float)(s->mrew[b] + gamma * (1.0 - s->mdone[b]) * v);
    }
    /* 1/2 mean (Q(s,a) - y)^2 per network */
    double loss = 0.0, mq = 0.0;
    pol_mlp *qs[2] = {&s->q1, &s->q2};
    for (int k = 0; k < 2; k++) {
        pol_mlp_zero_grad(qs[k]);
        const float *q = pol_mlp_forward(qs[k], s->mobs, B);
        memset(s->dq, 0, B * A * sizeof *s->dq);
        double l = 0.0;
        for (size_t b = 0; b < B; b++) {
            size_t i = b * A + (size_t)s->mact[b];
            double d = (double)q[i] - s->y[b];
            l += 0.5 * d * d;
            mq += 0.5 * q[i];
            s->dq[i] = (float)(d / (double)B);
        }
        loss += l / (double)B;
        pol_mlp_backward(qs[k], NULL, s->dq, s->mobs, B);
    }
    if (mean_q)
        *mean_q = mq / (double)B;
    return loss;
}

/* J_pi and its gradient into actor.grads; fills ent (B) and ent_term (B) =
 * sum_valid pi (log pi + H_targ), for the temperature */
static double actor_grad(pol_sac *s)
{
    size_t A = s->cfg.n_actions, B = s->cfg.batch_size;
    double alpha = s->alpha, scale = s->cfg.target_entropy_scale;
    min_q(s, &s->q1, &s->q2, s->mobs); /* constants of J_pi */
    pol_mlp_zero_grad(&s->actor);
    const float *logits = pol_mlp_forward(&s->actor, s->mobs, B);
    masked_policy(s->zl, s->logp, s->prob, logits, s->mmask, B, A);
    double loss = 0.0;
    for (size_t b = 0; b < B; b++) {
        const uint8_t *m = s->mmask + b * A;
        double lb = 0.0, h = 0.0, sd = 0.0;
        for (size_t a = 0; a < A; a++) {
            size_t i = b * A + a;
            s->dlogp[i] = 0.0f;
            if (!m[a])
                continue;
            double p = s->prob[i], lp = s->logp[i];
            double f = alpha * lp - s->minq[i];
            lb += p * f;
            h -= p * lp;
            /* d/dlogp_a of sum_a exp(logp_a) f_a(logp_a) = p_a (f_a + alpha) */
            double g = p * (f + alpha) / (double)B;
            s->dlogp[i] = (float)g;
            sd += g;
        }
        /* log-softmax backward over the valid actions: dz = dlogp - p sum */
        for (size_t a = 0; a < A; a++) {
            size_t i = b * A + a;
            s->dz[i] = m[a] ? (float)((double)s->dlogp[i] - (double)s->prob[i] * sd) : 0.0f;
        }
        loss += lb;
        s->ent[b] = (float)h;
        s->ent_term[b] = (float)(-h + scale * log((double)n_valid(m, A)));
    }
    pol_mlp_backward(&s->actor, NULL, s->dz, s->mobs, B);
    return loss / (double)B;
}

/* J_alp from ent_term (filled by actor_grad); dlog_alpha */
static double alpha_grad(pol_sac *s)
{
    size_t B = s->cfg.batch_size;
    double m = 0.0;
    for (size_t b = 0; b < B; b++)
        m += s->ent_term[b];
    m /= (double)B;
    s->dlog_alpha[0] = (float)(-m);
    return -(double)s->log_alpha[0] * m;
}

double pol_sac_critic_grad(pol_sac *s, const size_t *idx)
{
    gather(s, idx);
    return critic_grad(s, NULL);
}

double pol_sac_actor_grad(pol_sac *s, const size_t *idx)
{
    gather(s, idx);
    return actor_grad(s);
}

double pol_sac_alpha_grad(pol_sac *s, const size_t *idx)
{
    gather(s, idx);
    actor_grad(s);
    pol_mlp_zero_grad(&s->actor);
    return alpha_grad(s);
}

/* ---- update -------------------------------------------------------------- */

int pol_sac_update(pol_sac *s, pol_sac_stats *stats)
{
    const pol_sac_cfg *c = &s->cfg;
    size_t B = c->batch_size;
    if (s->rb_size == 0 || s->rb_size < c->learning_starts)
        return 0;
    for (size_t b = 0; b < B; b++)
        s->idx[b] = (size_t)gsl_rng_uniform_int(s->rng, (unsigned long)s->rb_size);
    gather(s, s->idx);
    pol_sac_stats st = {0};
    st.alpha = s->alpha;

    /* critics */
    st.q_loss = critic_grad(s, &st.mean_q);
    if (c->max_grad_norm > 0.0f) {
        float *g[2] = {s->q1.grads, s->q2.grads};
        size_t n[2] = {s->q1.n_params, s->q2.n_params};
        pol_clip_grad_norm(g, n, 2, c->max_grad_norm);
    }
    mdl_adam_step(&s->adam_q1, s->q1.params, s->q1.grads);
    mdl_adam_step(&s->adam_q2, s->q2.params, s->q2.grads);

    /* actor, with the updated critics */
    st.actor_loss = actor_grad(s);
    if (c->max_grad_norm > 0.0f) {
        float *g[1] = {s->actor.grads};
        size_t n[1] = {s->actor.n_params};
        pol_clip_grad_norm(g, n, 1, c->max_grad_norm);
    }
    mdl_adam_step(&s->adam_actor, s->actor.params, s->actor.grads);
    double h = 0.0;
    for (size_t b = 0; b < B; b++)
        h += s->ent[b];
    st.entropy = h / (double)B;

    /* temperature, with the actor's probabilities from before its step */
    if (c->autotune) {
        st.alpha_loss = alpha_grad(s);
        mdl_adam_step(&s->adam_alpha, s->log_alpha, s->dlog_alpha);
        s->alpha = expf(s->log_alpha[0]);
    }

    s->updates++;
    if (s->updates % c->target_network_frequency == 0) {
        pol_polyak(s->q1_targ.params, s->q1.params, s->q1.n_params, c->tau);
        pol_polyak(s->q2_targ.params, s->q2.params, s->q2.n_params, c->tau);
    }
    if (stats)
        *stats = st;
    return 1;
}

/* ---- checkpoints ----------------------------------------------------------- */

#define N_COUNTERS 8

/* A checkpoint's sections, in order (pol_ckpt.h); the counters are packed
 * little-endian into counters, the rest are the agent's own buffers (load
 * writes through them once the whole file has been checked). */
typedef struct sac_ck {
    pol_tensor ts[23 + POL_CKPT_MAX_EXTRA];
    size_t nt;
    char arch[200];
    uint8_t counters[8 * N_COUNTERS];
} sac_ck;

static void ck_build(sac_ck *k, const pol_sac *s, int with_replay, const pol_tensor *extra,
                     size_t n_extra)
{
    const pol_sac_cfg *c = &s->cfg;
    size_t N = c->buffer_size, A = c->n_actions;
    int o = snprintf(k->arch, sizeof k->arch, "obs=%zu act=%zu hidden=", c->obs_dim, A);
    for (size_t l = 0; l < c->n_hidden; l++)
        o += snprintf(k->arch + o, sizeof k->arch - (size_t)o, "%s%zu", l ? "x" : "",
                      c->hidden[l]);
    pol_sac *w = (pol_sac *)s;
    pol_tensor t[] = {
        {"sac.actor", w->actor.params, w->actor.n_params, MDL_DT_F32},
        {"sac.q1", w->q1.params, w->q1.n_params, MDL_DT_F32},
        {"sac.q2", w->q2.params, w->q2.n_params, MDL_DT_F32},
        {"sac.q1_targ", w->q1_targ.params, w->q1_targ.n_params, MDL_DT_F32},
        {"sac.q2_targ", w->q2_targ.params, w->q2_targ.n_params, MDL_DT_F32},
        {"sac.log_alpha", w->log_alpha, 1, MDL_DT_F32},
        {"sac.adam.actor.m", w->adam_actor.m, w->adam_actor.n, MDL_DT_F32},
        {"sac.adam.actor.v", w->adam_actor.v, w->adam_actor.n, MDL_DT_F32},
        {"sac.adam.q1.m", w->adam_q1.m, w->adam_q1.n, MDL_DT_F32},
        {"sac.adam.q1.v", w->adam_q1.v, w->adam_q1.n, MDL_DT_F32},
        {"sac.adam.q2.m", w->adam_q2.m, w->adam_q2.n, MDL_DT_F32},
        {"sac.adam.q2.v", w->adam_q2.v, w->adam_q2.n, MDL_DT_F32},
        {"sac.adam.alpha.m", w->adam_alpha.m, 1, MDL_DT_F32},
        {"sac.adam.alpha.v", w->adam_alpha.v, 1, MDL_DT_F32},
        {"sac.counters", k->counters, sizeof k->counters, MDL_DT_U8},
        {"sac.rng", gsl_rng_state(w->rng), gsl_rng_size(w->rng), MDL_DT_U8},
    };
    k->nt = sizeof t / sizeof t[0];
    memcpy(k->ts, t, sizeof t);
    if (with_replay) {
        pol_tensor r[] = {
            {"sac.rb.obs", w->rb_obs, N * c->obs_dim, MDL_DT_F32},
            {"sac.rb.next", w->rb_next, N * c->obs_dim, MDL_DT_F32},
            {"sac.rb.act", w->rb_act, N, MDL_DT_I32},
            {"sac.rb.rew", w->rb_rew, N, MDL_DT_F32},
            {"sac.rb.done", w->rb_done, N, MDL_DT_F32},
            {"sac.rb.mask", w->rb_mask, N * A, MDL_DT_U8},
            {"sac.rb.nmask", w->rb_nmask, N * A, MDL_DT_U8},
        };
        memcpy(k->ts + k->nt, r, sizeof r);
        k->nt += sizeof r / sizeof r[0];
    }
    for (size_t i = 0; i < n_extra && i < POL_CKPT_MAX_EXTRA; i++)
        k->ts[k->nt++] = extra[i];
}

off_status pol_sac_save(const pol_sac *s, const char *path, int with_replay,
                        const pol_tensor *extra, size_t n_extra, off_err *err)
{
    sac_ck k;
    ck_build(&k, s, with_replay, extra, n_extra);
    uint64_t cn[N_COUNTERS] = {s->updates,        s->pushes,        s->rb_pos,
                               s->rb_size,        s->adam_actor.t,  s->adam_q1.t,
                               s->adam_q2.t,      s->adam_alpha.t};
    pol_pack_u64(k.counters, cn, N_COUNTERS);
    return pol_ckpt_save(path, "sac-discrete", k.arch, k.ts, k.nt, err);
}

/* The checkpoint's first nt sections (k's), then its counters. */
static off_status sac_load(pol_sac *s, const char *path, sac_ck *k, size_t nt, bool exact,
                           int with_replay, off_err *err)
{
    /* pol_ckpt_load validates the whole file before it copies anything */
    off_status st = exact ? pol_ckpt_load(path, "sac-discrete", k->arch, k->ts, nt, err)
                          : pol_ckpt_load_first(path, "sac-discrete", k->arch, k->ts, nt, err);
    if (st != OFF_OK)
        return st;
    uint64_t cn[N_COUNTERS];
    pol_unpack_u64(cn, k->counters, N_COUNTERS);
    s->updates = cn[0];
    s->pushes = cn[1];
    if (with_replay) {
        s->rb_pos = (size_t)cn[2];
        s->rb_size = (size_t)cn[3];
    }
    s->adam_actor.t = cn[4];
    s->adam_q1.t = cn[5];
    s->adam_q2.t = cn[6];
    s->adam_alpha.t = cn[7];
    s->alpha = s->cfg.autotune ? expf(s->log_alpha[0]) : s->cfg.alpha;
    return OFF_OK;
}

off_status pol_sac_load(pol_sac *s, const char *path, int with_replay, off_err *err)
{
    sac_ck k;
    ck_build(&k, s, with_replay, NULL, 0);
    return sac_load(s, path, &k, k.nt, false, with_replay, err);
}

off_status pol_sac_resume(pol_sac *s, const char *path, int with_replay,
                          const pol_tensor *extra, size_t n_extra, off_err *err)
{
    sac_ck k;
    ck_build(&k, s, with_replay, extra, n_extra);
    return sac_load(s, path, &k, k.nt, true, with_replay, err);
}
