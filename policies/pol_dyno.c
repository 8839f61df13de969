/*
 * pol_dyno.c - DyNO (Almeida, Laskaridis, Venieris, Leontiadis, Lane,
 * "DynO: Dynamic Onloading of Deep Neural Networks from Cloud to Device",
 * ACM TECS 2022): the split point and the precision of the transferred
 * tensor chosen jointly at run time.  Per task, over every split of the
 * whole model (final exit) and every bit-width of the model not below
 * `min_bits` (default 4), the pair with the least predicted latency
 * (pol.h's predictor, under the estimated bandwidth).
 *
 * DyNO optimises its objective subject to an accuracy constraint measured
 * per (split, precision) offline; the cost view has no accuracy per
 * bit-width, so the constraint is the floor `min_bits` (4: on the zoo's
 * mexit 4-bit tensors stay within 0.25 points of 8-bit ones at every
 * split, 2 bits lose up to 4.8; `offsim models eval mexit`).  Narrower tensors
 * are never slower to send, so the least latency takes the narrowest
 * allowed bit-width wherever a tensor is sent, unless `slack` > 0: then,
 * among the pairs predicted within (1 + slack) x the least latency, the
 * widest bit-width is taken (then the fastest) - precision is spent where
 * it costs little time, i.e. when the link is fast.  `slack` is ours, not
 * the paper's; its default 0 is plain minimisation.  Exact ties (full
 * offload and local, where the bit-width is not used) also go to the widest.
 */
#include "pol.h"

#include <math.h>
#include <stdlib.h>

typedef struct dyno_state {
    pol_pred pred;
    size_t b0;      /* first index of model->bits with bits >= min_bits */
    double slack;
    double *lat;    /* [L+1][n_bits] scratch */
} dyno_state;

static void dyno_destroy(void *state)
{
    dyno_state *s = state;
    if (!s)
        return;
    pol_pred_free(&s->pred);
    free(s->lat);
    free(s);
}

static off_status dyno_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    long min_bits;
    double slack;
    off_status st;
    if ((st = pol_param_int(cfg, "min_bits", 4, 1, 32, &min_bits, err)) ||
        (st = pol_param_double(cfg, "slack", 0, 0, 10, &slack, err)))
        return st;
    size_t b0 = 0;
    while (b0 < m->n_bits && m->bits[b0] < min_bits)
        b0++;
    if (b0 == m->n_bits) {
        const pol_param *p = pol_cfg_param(cfg, "min_bits");
        if (p)
            return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                            "'min_bits' %ld is above every bit-width of model '%s' "
                            "(the widest is %d)", min_bits, m->name,
                            m->bits[m->n_bits - 1]);
        b0 = m->n_bits - 1; /* the default floor, on a model of narrow tensors */
    }
    dyno_state *s = calloc(1, sizeof *s);
    if (!s || !(s->lat = malloc((m->n_layers + 1) * m->n_bits * sizeof *s->lat))) {
        free(s);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if ((st = pol_pred_init(&s->pred, m, err))) {
        dyno_destroy(s);
        return st;
    }
    s->b0 = b0;
    s->slack = slack;
    *state = s;
    return OFF_OK;
}

static void dyno_decide(void *state, const pol_obs *obs, pol_action *act)
{
    dyno_state *s = state;
    const mdl_model *m = s->pred.model;
    size_t e = m->n_exits - 1, L = m->exits[e].after, nb = m->n_bits;
    pol_pred_ctx c;
    pol_pred_begin(&s->pred, obs, &c);
    double best = INFINITY;
    for (size_t sp = 0; sp <= L; sp++)
        for (size_t b = s->b0; b < nb; b++) {
            double l = pol_pred_latency(&c, e, sp, b);
            s->lat[sp * nb + b] = l;
            if (l < best)
                best = l;
        }
    /* the widest bit-width within the slack, then the fastest, then the
     * smallest split */
    double lim = best * (1.0 + s->slack);
    size_t bs = L, bb = nb - 1;
    double bl = INFINITY;
    for (size_t b = nb; b-- > s->b0;) {
        for (size_t sp = 0; sp <= L; sp++) {
            double l = s->lat[sp * nb + b];
            if (l <= lim && l < bl) {
                bl = l;
                bs = sp;
                bb = b;
            }
        }
        if (bl <= lim)
            break;
    }
    pol_pred_note(&s->pred, &c, e, bs);
    act->exit = (int)e;
    act->split = (int)bs;
    act->bits = m->bits[bb];
    act->entropy_threshold = 0;
}

static const char *const dyno_keys[] = {"min_bits", "slack", NULL};

const pol_class pol_dyno_class = {
    "dyno",
    "Almeida et al. 2022: split and bit-width (>= min_bits) minimising predicted latency",
    dyno_keys, dyno_create, dyno_decide, NULL, dyno_destroy};
