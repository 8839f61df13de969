/*
 * pol_neurosurgeon.c - Neurosurgeon (Kang et al., "Neurosurgeon:
 * Collaborative Intelligence Between the Cloud and Mobile Edge", ASPLOS
 * 2017): per task, the split of the whole model (final exit) that minimises
 * the predicted end-to-end latency, or the device's energy, from per-layer
 * cost predictions, the estimated uplink bandwidth and the server's load.
 *
 * The paper predicts each layer's time with regression models per layer
 * type and weighs the server's load; here the per-layer costs are the
 * model's cost view (hardware profile or MACs / speed) and the load is the
 * queueing estimate of pol.h's predictor, so the decision is the paper's
 * argmin over the L + 1 partition points.  The tensor is sent at a fixed
 * bit-width (the paper sends float32; `bits`, default 8 or the model's
 * default).  Ties go to the smallest split (the most offloaded); with
 * objective energy, equal energies are broken by the predicted latency.
 */
#include "pol.h"

#include <math.h>
#include <stdlib.h>

enum { OBJ_LATENCY, OBJ_ENERGY };

typedef struct ns_state {
    pol_pred pred;
    int objective;
    int bits;
    size_t bits_idx;
} ns_state;

static const char *const objectives[] = {"latency", "energy", NULL};

static void ns_destroy(void *state)
{
    ns_state *s = state;
    if (!s)
        return;
    pol_pred_free(&s->pred);
    free(s);
}

static off_status ns_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    int obj, bits;
    off_status st;
    if ((st = pol_param_choice(cfg, "objective", objectives, OBJ_LATENCY, &obj, err)) ||
        (st = pol_param_bits(cfg, "bits", pol_default_bits(m), &bits, err)))
        return st;
    ns_state *s = calloc(1, sizeof *s);
    if (!s)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if ((st = pol_pred_init(&s->pred, m, err))) {
        free(s);
        return st;
    }
    s->objective = obj;
    s->bits = bits;
    s->bits_idx = (size_t)mdl_bits_index(m, bits);
    *state = s;
    return OFF_OK;
}

static void ns_decide(void *state, const pol_obs *obs, pol_action *act)
{
    ns_state *s = state;
    const mdl_model *m = s->pred.model;
    size_t e = m->n_exits - 1, L = m->exits[e].after;
    pol_pred_ctx c;
    pol_pred_begin(&s->pred, obs, &c);
    size_t best = L;
    if (s->objective == OBJ_LATENCY) {
        double bl = INFINITY;
        for (size_t sp = 0; sp <= L; sp++) {
            double l = pol_pred_latency(&c, e, sp, s->bits_idx);
            if (l < bl) {
                bl = l;
                best = sp;
            }
        }
    } else {
        double be = INFINITY, bl = INFINITY;
        for (size_t sp = 0; sp <= L; sp++) {
            pol_pred_cost k;
            pol_pred_eval(&c, e, sp, s->bits_idx, &k);
            if (k.energy_j < be || (k.energy_j == be && k.latency_s < bl)) {
                be = k.energy_j;
                bl = k.latency_s;
                best = sp;
            }
        }
    }
    pol_pred_note(&s->pred, &c, e, best);
    act->exit = (int)e;
    act->split = (int)best;
    act->bits = s->bits;
    act->entropy_threshold = 0;
}

static const char *const ns_keys[] = {"objective", "bits", NULL};

const pol_class pol_neurosurgeon_class = {
    "neurosurgeon",
    "Kang et al. 2017: final exit, the split minimising predicted latency or energy",
    ns_keys, ns_create, ns_decide, NULL, ns_destroy};
