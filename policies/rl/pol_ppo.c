/*
 * pol_ppo.c - PPO after CleanRL's ppo.py; see pol_ppo.h for the algorithm
 * and the references.
 */
#include "pol_ppo.h"
#include "pol_ckpt.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pol_ppo_cfg_default(pol_ppo_cfg *c, size_t obs_dim, const size_t *K, size_t H)
{
    memset(c, 0, sizeof *c);
    c->obs_dim = obs_dim;
    c->n_heads = H;
    for (size_t h = 0; h < H && h < POL_PPO_MAX_HEADS; h++)
        c->K[h] = K[h];
    c->n_hidden = 2;
    c->hidden[0] = c->hidden[1] = 64;
    c->num_envs = 4;
    c->num_steps = 128;
    c->num_minibatches = 4;
    c->update_epochs = 4;
    c->total_steps = 500000;
    c->lr = 2.5e-4f;
    c->anneal_lr = 1;
    c->adam_eps = 1e-5f;
    c->gamma = 0.99f;
    c->gae_lambda = 0.95f;
    c->clip_coef = 0.2f;
    c->clip_vloss = 1;
    c->norm_adv = 1;
    c->ent_coef = 0.01f;
    c->vf_coef = 0.5f;
    c->max_grad_norm = 0.5f;
    c->seed = 1;
}

void pol_ppo_free(pol_ppo *p)
{
    if (!p)
        return;
    pol_mlp_free(&p->actor);
    pol_mlp_free(&p->critic);
    mdl_adam_free(&p->adam_a);
    mdl_adam_free(&p->adam_c);
    if (p->rng)
        gsl_rng_free(p->rng);
    free(p->obs);
    free(p->act);
    free(p->mask);
    free(p->perm);
    memset(p, 0, sizeof *p);
}

off_status pol_ppo_init(pol_ppo *p, const pol_ppo_cfg *cfg, off_err *err)
{
    memset(p, 0, sizeof *p);
    const pol_ppo_cfg *c = cfg;
    if (c->obs_dim == 0 || c->n_heads == 0 || c->n_heads > POL_PPO_MAX_HEADS ||
        c->n_hidden > POL_PPO_MAX_HIDDEN || c->num_envs == 0 || c->num_steps == 0 ||
        c->num_minibatches == 0 || c->update_epochs == 0)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "ppo: invalid configuration");
    size_t sumK = 0;
    for (size_t h = 0; h < c->n_heads; h++) {
        if (c->K[h] == 0)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "ppo: head %zu has no choices", h);
        sumK += c->K[h];
    }
    for (size_t l = 0; l < c->n_hidden; l++)
        if (c->hidden[l] == 0)
            return off_errf(err, OFF_EINVAL, NULL, 0, 0, "ppo: hidden layer %zu is empty", l);
    size_t B = c->num_envs * c->num_steps;
    if (B % c->num_minibatches)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "ppo: num_minibatches %zu does not divide the batch %zu",
                        c->num_minibatches, B);
    openblas_set_num_threads(1); /* bit-reproducible matrix products */
    p->cfg = *c;
    p->sumK = sumK;
    p->B = B;
    p->mb = B / c->num_minibatches;
    size_t maxB = p->mb > c->num_envs ? p->mb : c->num_envs;

    size_t sizes[POL_PPO_MAX_HIDDEN + 2];
    double gains[POL_PPO_MAX_HIDDEN + 1];
    size_t ns = 0;
    sizes[ns++] = c->obs_dim;
    for (size_t l = 0; l < c->n_hidden; l++) {
        gains[ns - 1] = sqrt(2.0);
        sizes[ns++] = c->hidden[l];
    }
    off_status st;
    p->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!p->rng)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "ppo: out of memory");
    gsl_rng_set(p->rng, c->seed);
    sizes[ns] = sumK;
    gains[ns - 1] = 0.01;
    if ((st = pol_mlp_init(&p->actor, sizes, ns + 1, POL_ACT_TANH, maxB, err)) != OFF_OK ||
        (st = pol_mlp_init_orthogonal(&p->actor, gains, p->rng, err)) != OFF_OK)
        goto fail;
    sizes[ns] = 1;
    gains[ns - 1] = 1.0;
    if ((st = pol_mlp_init(&p->critic, sizes, ns + 1, POL_ACT_TANH, maxB, err)) != OFF_OK ||
        (st = pol_mlp_init_orthogonal(&p->critic, gains, p->rng, err)) != OFF_OK)
        goto fail;
    if ((st = mdl_adam_init(&p->adam_a, p->actor.n_params, c->lr, 0.9f, 0.999f,
                            c->adam_eps, err)) != OFF_OK ||
        (st = mdl_adam_init(&p->adam_c, p->critic.n_params, c->lr, 0.9f, 0.999f,
                            c->adam_eps, err)) != OFF_OK)
        goto fail;

    size_t H = c->n_heads, D = c->obs_dim, mb = p->mb;
    size_t nf = B * D + 6 * B                     /* rollout */
                + mb * D + 2 * mb * sumK + 6 * mb  /* minibatch */
                + maxB * sumK;                     /* masked logits */
    p->obs = calloc(nf, sizeof *p->obs);
    p->act = calloc(B * H + mb * H, sizeof *p->act);
    p->perm = calloc(B, sizeof *p->perm);
    p->mask = malloc(B * sumK);
    if (!p->obs || !p->act || !p->perm || !p->mask) {
        st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "ppo: out of memory");
        goto fail;
    }
    float *f = p->obs + B * D;
    p->logp = f, f += B;
    p->val = f, f += B;
    p->rew = f, f += B;
    p->done = f, f += B;
    p->adv = f, f += B;
    p->ret = f, f += B;
    p->mobs = f, f += mb * D;
    p->lsm = f, f += mb * sumK;
    p->dlog = f, f += mb * sumK;
    p->nlogp = f, f += mb;
    p->ent = f, f += mb;
    p->dlogp = f, f += mb;
    p->dent = f, f += mb;
    p->dv = f, f += mb;
    p->madv = f, f += mb;
    p->mlog = f, f += maxB * sumK;
    memset(p->mask, 1, B * sumK);
    p->mact = p->act + B * H;
    return OFF_OK;
fail:
    pol_ppo_free(p);
    return st;
}

/* logits (n) with the choices where mask is 0 set to -INFINITY -> out (n) */
static void apply_mask(float *out, const float *logits, const uint8_t *mask, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = mask[i] ? logits[i] : -INFINITY;
}

void pol_ppo_act(pol_ppo *p, const float *obs, int32_t *act)
{
    size_t N = p->cfg.num_envs, D = p->cfg.obs_dim, H = p->cfg.n_heads;
    if (p->t >= p->cfg.num_steps)
        return; /* rollout full: the caller must update first */
    size_t row = p->t * N;
    memcpy(p->obs + row * D, obs, N * D * sizeof *obs);
    const float *logits = pol_mlp_forward(&p->actor, obs, N);
    for (size_t e = 0; e < N; e++)
        pol_heads_sample(act + e * H, logits + e * p->sumK, p->cfg.K, H, p->rng);
    memcpy(p->act + row * H, act, N * H * sizeof *act);
    memset(p->mask + row * p->sumK, 1, N * p->sumK);
    /* lsm is sized for mb rows, which may be fewer than N: one row at a time */
    for (size_t e = 0; e < N; e++)
        pol_heads_forward(p->logp + row + e, NULL, p->lsm, logits + e * p->sumK,
                          act + e * H, 1, p->cfg.K, H);
    const float *v = pol_mlp_forward(&p->critic, obs, N);
    memcpy(p->val + row, v, N * sizeof *v);
}

void pol_ppo_observe(pol_ppo *p, const float *reward, const float *done)
{
    size_t N = p->cfg.num_envs;
    if (p->t >= p->cfg.num_steps)
        return;
    size_t row = p->t * N;
    for (size_t e = 0; e < N; e++) {
        p->rew[row + e] = reward[e];
        p->done[row + e] = done[e] != 0.0f ? 1.0f : 0.0f;
    }
    p->t++;
    p->env_steps += N;
}

int pol_ppo_rollout_full(const pol_ppo *p)
{
    return p->t >= p->cfg.num_steps;
}

/* CleanRL's GAE: nextnonterminal = 1 - (episode ended at t) */
void pol_ppo_gae(pol_ppo *p, const float *next_obs)
{
    size_t N = p->cfg.num_envs, T = p->cfg.num_steps;
    const float *nv = pol_mlp_forward(&p->critic, next_obs, N);
    float gamma = p->cfg.gamma, lam = p->cfg.gae_lambda;
    for (size_t e = 0; e < N; e++) {
        float last = 0.0f, nextv = nv[e];
        for (size_t t = T; t-- > 0;) {
            size_t i = t * N + e;
            float nonterm = 1.0f - p->done[i];
            float delta = p->rew[i] + gamma * nextv * nonterm - p->val[i];
            last = delta + gamma * lam * nonterm * last;
            p->adv[i] = last;
            p->ret[i] = last + p->val[i];
            nextv = p->val[i];
        }
    }
}

/* the minibatch rows idx (mb): loss and its gradient into the networks'
 * grads (zeroed first); sums of the statistics into acc */
double pol_ppo_minibatch_grad(pol_ppo *p, const size_t *idx, pol_ppo_stats *acc)
{
    const pol_ppo_cfg *c = &p->cfg;
    size_t mb = p->mb, D = c->obs_dim, H = c->n_heads, sumK = p->sumK;
    for (size_t k = 0; k < mb; k++) {
        memcpy(p->mobs + k * D, p->obs + idx[k] * D, D * sizeof *p->mobs);
        memcpy(p->mact + k * H, p->act + idx[k] * H, H * sizeof *p->mact);
        p->madv[k] = p->adv[idx[k]];
    }
    if (c->norm_adv) {
        double m = 0.0, v = 0.0;
        for (size_t k = 0; k < mb; k++)
            m += p->madv[k];
        m /= (double)mb;
        for (size_t k = 0; k < mb; k++)
            v += (p->madv[k] - m) * (p->madv[k] - m);
        double sd = mb > 1 ? sqrt(v / (double)(mb - 1)) : 0.0;
        for (size_t k = 0; k < mb; k++)
            p->madv[k] = (float)((p->madv[k] - m) / (sd + 1e-8));
    }
    pol_mlp_zero_grad(&p->actor);
    pol_mlp_zero_grad(&p->critic);

    /* policy: logits (mb, sumK) -> new logp, entropy */
    const float *logits = pol_mlp_forward(&p->actor, p->mobs, mb);
    if (p->masked) {
        for (size_t k = 0; k < mb; k++)
            apply_mask(p->mlog + k * sumK, logits + k * sumK,
                       p->mask + idx[k] * sumK, sumK);
        logits = p->mlog;
    }
    pol_heads_forward(p->nlogp, p->ent, p->lsm, logits, p->mact, mb, c->K, H);
    double pg = 0.0, ent = 0.0, kl = 0.0, cf = 0.0;
    float inv = 1.0f / (float)mb, lo = 1.0f - c->clip_coef, hi = 1.0f + c->clip_coef;
    for (size_t k = 0; k < mb; k++) {
        float lr_ = p->nlogp[k] - p->logp[idx[k]];
        float ratio = expf(lr_);
        float A = p->madv[k];
        float rc = ratio < lo ? lo : ratio > hi ? hi : ratio;
        float l1 = -A * ratio, l2 = -A * rc;
        pg += l1 > l2 ? l1 : l2;
        ent += p->ent[k];
        kl += (ratio - 1.0f) - lr_;
        cf += fabsf(ratio - 1.0f) > c->clip_coef;
        /* d max(l1, l2)/d ratio (torch: a tie splits, clamp passes
         * on [lo, hi]); d ratio / d logp = ratio */
        float g1 = l1 > l2 ? 1.0f : l1 < l2 ? 0.0f : 0.5f;
        float g2 = 1.0f - g1;
        float in = ratio >= lo && ratio <= hi;
        float dratio = -A * (g1 + g2 * in) * inv;
        p->dlogp[k] = dratio * ratio;
        p->dent[k] = -c->ent_coef * inv;
    }
    memset(p->dlog, 0, mb * sumK * sizeof *p->dlog);
    pol_heads_backward(p->dlog, p->dlogp, p->dent, p->lsm, p->mact, mb, c->K, H);
    pol_mlp_backward(&p->actor, NULL, p->dlog, p->mobs, mb);

    /* value */
    const float *nv = pol_mlp_forward(&p->critic, p->mobs, mb);
    double vl = 0.0;
    for (size_t k = 0; k < mb; k++) {
        float v = nv[k], R = p->ret[idx[k]], vo = p->val[idx[k]];
        float du = 2.0f * (v - R), dvv;
        float u = (v - R) * (v - R);
        if (c->clip_vloss) {
            float d = v - vo;
            float dc = d < -c->clip_coef ? -c->clip_coef
                       : d > c->clip_coef ? c->clip_coef : d;
            float vc = vo + dc;
            float cl = (vc - R) * (vc - R);
            float in = d >= -c->clip_coef && d <= c->clip_coef;
            float dcl = 2.0f * (vc - R) * in;
            float g1 = u > cl ? 1.0f : u < cl ? 0.0f : 0.5f;
            vl += u > cl ? u : cl;
            dvv = g1 * du + (1.0f - g1) * dcl;
        } else {
            vl += u;
            dvv = du;
        }
        p->dv[k] = c->vf_coef * 0.5f * dvv * inv;
    }
    pol_mlp_backward(&p->critic, NULL, p->dv, p->mobs, mb);

    double pgm = pg / (double)mb, vlm = 0.5 * vl / (double)mb, entm = ent / (double)mb;
    if (acc) {
        acc->pg_loss += pgm;
        acc->v_loss += vlm;
        acc->entropy += entm;
        acc->approx_kl += kl / (double)mb;
        acc->clipfrac += cf / (double)mb;
    }
    return pgm - c->ent_coef * entm + c->vf_coef * vlm;
}

void pol_ppo_update(pol_ppo *p, const float *next_obs, pol_ppo_stats *stats)
{
    const pol_ppo_cfg *c = &p->cfg;
    size_t B = p->B, mb = p->mb;
    pol_ppo_gae(p, next_obs);

    float lr = c->lr;
    if (c->anneal_lr) {
        uint64_t iters = c->total_steps / B;
        double frac = iters ? 1.0 - (double)p->updates / (double)iters : 0.0;
        if (frac < 0.0)
            frac = 0.0;
        lr = (float)(frac * c->lr);
    }
    p->adam_a.lr = p->adam_c.lr = lr;

    pol_ppo_stats s = {0};
    s.lr = lr;
    size_t nmb_done = 0;
    for (size_t i = 0; i < B; i++)
        p->perm[i] = i;
    for (size_t ep = 0; ep < c->update_epochs; ep++) {
        /* Fisher-Yates, one gsl draw per swap */
        for (size_t i = B - 1; i > 0; i--) {
            size_t j = (size_t)gsl_rng_uniform_int(p->rng, (unsigned long)(i + 1));
            size_t tmp = p->perm[i];
            p->perm[i] = p->perm[j];
            p->perm[j] = tmp;
        }
        for (size_t start = 0; start < B; start += mb) {
            const size_t *idx = p->perm + start;
            pol_ppo_minibatch_grad(p, idx, &s);
            float *gb[2] = {p->actor.grads, p->critic.grads};
            size_t gn[2] = {p->actor.n_params, p->critic.n_params};
            double norm = pol_clip_grad_norm(gb, gn, 2, c->max_grad_norm);
            mdl_adam_step(&p->adam_a, p->actor.params, p->actor.grads);
            mdl_adam_step(&p->adam_c, p->critic.params, p->critic.grads);

            s.grad_norm += norm;
            nmb_done++;
        }
    }
    if (nmb_done) {
        double n = (double)nmb_done;
        s.pg_loss /= n, s.v_loss /= n, s.entropy /= n, s.approx_kl /= n;
        s.clipfrac /= n, s.grad_norm /= n;
    }
    {
        double mr = 0.0, md = 0.0;
        for (size_t i = 0; i < B; i++)
            mr += p->ret[i], md += p->ret[i] - p->val[i];
        mr /= (double)B, md /= (double)B;
        double vr = 0.0, vd = 0.0;
        for (size_t i = 0; i < B; i++) {
            double a = p->ret[i] - mr, d = p->ret[i] - p->val[i] - md;
            vr += a * a, vd += d * d;
        }
        s.explained_var = vr == 0.0 ? NAN : 1.0 - vd / vr;
    }
    p->updates++;
    p->t = 0;
    p->masked = 0;
    if (stats)
        *stats = s;
}

void pol_ppo_greedy(pol_ppo *p, const float *obs, int32_t *act)
{
    const float *logits = pol_mlp_forward(&p->actor, obs, 1);
    size_t off = 0;
    for (size_t h = 0; h < p->cfg.n_heads; h++) {
        act[h] = (int32_t)pol_argmax(logits + off, p->cfg.K[h]);
        off += p->cfg.K[h];
    }
}

float pol_ppo_value(pol_ppo *p, const float *obs)
{
    return pol_mlp_forward(&p->critic, obs, 1)[0];
}

/* The shape a checkpoint must fit: "obs=11 heads=96 hidden=64x64". */
static void ppo_arch(const pol_ppo *p, char *buf, size_t size)
{
    const pol_ppo_cfg *c = &p->cfg;
    int o = snprintf(buf, size, "obs=%zu heads=", c->obs_dim);
    for (size_t h = 0; h < c->n_heads && (size_t)o < size; h++)
        o += snprintf(buf + o, size - (size_t)o, "%s%zu", h ? "+" : "", c->K[h]);
    for (size_t l = 0; l < c->n_hidden && (size_t)o < size; l++)
        o += snprintf(buf + o, size - (size_t)o, "%s%zu", l ? "x" : " hidden=",
                      c->hidden[l]);
}

/* A checkpoint's sections, in order (pol_ppo.h): the networks first (all
 * that acting needs), then the training state; the counters packed
 * little-endian into counters, the rest the agent's own buffers. */
#define PPO_COUNTERS 6
#define PPO_SECTIONS 17
typedef struct ppo_ck {
    pol_tensor ts[PPO_SECTIONS + POL_CKPT_MAX_EXTRA];
    size_t nt;
    char arch[200];
    uint8_t counters[8 * PPO_COUNTERS];
} ppo_ck;

static void ck_build(ppo_ck *k, const pol_ppo *p, const pol_tensor *extra, size_t n_extra)
{
    pol_ppo *w = (pol_ppo *)p;
    size_t TN = p->cfg.num_steps * p->cfg.num_envs, D = p->cfg.obs_dim;
    ppo_arch(p, k->arch, sizeof k->arch);
    pol_tensor t[PPO_SECTIONS] = {
        {"ppo.actor", w->actor.params, w->actor.n_params, MDL_DT_F32},
        {"ppo.critic", w->critic.params, w->critic.n_params, MDL_DT_F32},
        {"ppo.adam.actor.m", w->adam_a.m, w->adam_a.n, MDL_DT_F32},
        {"ppo.adam.actor.v", w->adam_a.v, w->adam_a.n, MDL_DT_F32},
        {"ppo.adam.critic.m", w->adam_c.m, w->adam_c.n, MDL_DT_F32},
        {"ppo.adam.critic.v", w->adam_c.v, w->adam_c.n, MDL_DT_F32},
        {"ppo.counters", k->counters, sizeof k->counters, MDL_DT_U8},
        {"ppo.rng", gsl_rng_state(w->rng), gsl_rng_size(w->rng), MDL_DT_U8},
        {"ppo.roll.obs", w->obs, TN * D, MDL_DT_F32},
        {"ppo.roll.act", w->act, TN * p->cfg.n_heads, MDL_DT_I32},
        {"ppo.roll.logp", w->logp, TN, MDL_DT_F32},
        {"ppo.roll.val", w->val, TN, MDL_DT_F32},
        {"ppo.roll.rew", w->rew, TN, MDL_DT_F32},
        {"ppo.roll.done", w->done, TN, MDL_DT_F32},
        {"ppo.roll.mask", w->mask, TN * p->sumK, MDL_DT_U8},
        {"ppo.roll.adv", w->adv, TN, MDL_DT_F32},
        {"ppo.roll.ret", w->ret, TN, MDL_DT_F32},
    };
    memcpy(k->ts, t, sizeof t);
    k->nt = PPO_SECTIONS;
    for (size_t i = 0; i < n_extra && i < POL_CKPT_MAX_EXTRA; i++)
        k->ts[k->nt++] = extra[i];
}

off_status pol_ppo_save(const pol_ppo *p, const char *path, const pol_tensor *extra,
                        size_t n_extra, off_err *err)
{
    ppo_ck k;
    ck_build(&k, p, extra, n_extra);
    uint64_t cn[PPO_COUNTERS] = {p->t, p->updates, p->env_steps, p->adam_a.t, p->adam_c.t,
                                 (uint64_t)p->masked};
    pol_pack_u64(k.counters, cn, PPO_COUNTERS);
    return pol_ckpt_save(path, "ppo", k.arch, k.ts, k.nt, err);
}

off_status pol_ppo_load(pol_ppo *p, const char *path, off_err *err)
{
    ppo_ck k;
    ck_build(&k, p, NULL, 0);
    return pol_ckpt_load_first(path, "ppo", k.arch, k.ts, 2, err);
}

off_status pol_ppo_resume(pol_ppo *p, const char *path, const pol_tensor *extra,
                          size_t n_extra, off_err *err)
{
    ppo_ck k;
    ck_build(&k, p, extra, n_extra);
    /* pol_ckpt_load validates the whole file before it copies anything */
    off_status st = pol_ckpt_load(path, "ppo", k.arch, k.ts, k.nt, err);
    if (st != OFF_OK)
        return st;
    uint64_t cn[PPO_COUNTERS];
    pol_unpack_u64(cn, k.counters, PPO_COUNTERS);
    p->t = (size_t)cn[0];
    p->updates = cn[1];
    p->env_steps = cn[2];
    p->adam_a.t = cn[3];
    p->adam_c.t = cn[4];
    p->masked = cn[5] != 0;
    return OFF_OK;
}

void pol_ppo_sample(pol_ppo *p, const float *obs, const uint8_t *mask, int greedy,
                    int32_t *act, float *logp, float *value)
{
    size_t H = p->cfg.n_heads, S = p->sumK;
    const float *logits = pol_mlp_forward(&p->actor, obs, 1);
    if (mask) {
        apply_mask(p->mlog, logits, mask, S);
        logits = p->mlog;
    }
    if (greedy) {
        size_t off = 0;
        for (size_t h = 0; h < H; h++) {
            act[h] = (int32_t)pol_argmax(logits + off, p->cfg.K[h]);
            off += p->cfg.K[h];
        }
    } else {
        pol_heads_sample(act, logits, p->cfg.K, H, p->rng);
    }
    if (logp)
        pol_heads_forward(logp, NULL, p->lsm, logits, act, 1, p->cfg.K, H);
    if (value)
        *value = pol_mlp_forward(&p->critic, obs, 1)[0];
}

int pol_ppo_push(pol_ppo *p, const float *obs, const uint8_t *mask, const int32_t *act,
                 float logp, float value, float reward, int done)
{
    size_t D = p->cfg.obs_dim, H = p->cfg.n_heads, S = p->sumK, t = p->t;
    if (p->cfg.num_envs != 1 || t >= p->cfg.num_steps)
        return -1;
    memcpy(p->obs + t * D, obs, D * sizeof *obs);
    memcpy(p->act + t * H, act, H * sizeof *act);
    if (mask) {
        memcpy(p->mask + t * S, mask, S);
        for (size_t i = 0; i < S; i++)
            p->masked |= !mask[i];
    } else {
        memset(p->mask + t * S, 1, S);
    }
    p->logp[t] = logp;
    p->val[t] = value;
    p->rew[t] = reward;
    p->done[t] = done ? 1.0f : 0.0f;
    p->t++;
    p->env_steps++;
    return p->t >= p->cfg.num_steps;
}
