/*
 * pol_edgent.c - Edgent (Li, Zhou, Chen, "Edge Intelligence: On-Demand Deep
 * Learning Model Co-Inference with Device-Edge Synergy", MECOMM 2018;
 * "Edge AI: On-Demand Accelerating Deep Neural Network Inference via Edge
 * Computing", IEEE TWC 2019): right-sizing (early exit) and partitioning
 * jointly.  Per task, exits are tried from the most accurate down
 * (model->exits[e].accuracy; equal accuracies: the deeper first); for
 * each, the split with the least predicted latency under the estimated
 * bandwidth (pol.h's predictor); the first whose latency meets the task's
 * deadline (obs->deadline_s) is taken.  With no deadline (INFINITY) that is
 * the most accurate exit at its fastest split.
 *
 * When no (exit, split) meets the deadline, the paper's optimiser has no
 * answer; we take the fastest predicted option over every exit and split
 * (among equally fast ones, the more accurate), so that a task that is
 * going to be late is as little late as possible.  The tensor is sent at a
 * fixed bit-width (`bits`, default 8 or the model's default).
 */
#include "pol.h"

#include <math.h>
#include <stdlib.h>

typedef struct edgent_state {
    pol_pred pred;
    int bits;
    size_t bits_idx;
    size_t *order; /* exits by accuracy, best first */
} edgent_state;

static void edgent_destroy(void *state)
{
    edgent_state *s = state;
    if (!s)
        return;
    pol_pred_free(&s->pred);
    free(s->order);
    free(s);
}

static off_status edgent_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    int bits;
    off_status st = pol_param_bits(cfg, "bits", pol_default_bits(m), &bits, err);
    if (st)
        return st;
    edgent_state *s = calloc(1, sizeof *s);
    if (!s || !(s->order = malloc(m->n_exits * sizeof *s->order))) {
        free(s);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if ((st = pol_pred_init(&s->pred, m, err))) {
        edgent_destroy(s);
        return st;
    }
    /* insertion sort, stable on the reversed list: equal accuracies keep
     * the deeper exit first */
    size_t E = m->n_exits;
    for (size_t i = 0; i < E; i++) {
        size_t e = E - 1 - i, j = i;
        while (j > 0 && m->exits[s->order[j - 1]].accuracy < m->exits[e].accuracy) {
            s->order[j] = s->order[j - 1];
            j--;
        }
        s->order[j] = e;
    }
    s->bits = bits;
    s->bits_idx = (size_t)mdl_bits_index(m, bits);
    *state = s;
    return OFF_OK;
}

static void edgent_decide(void *state, const pol_obs *obs, pol_action *act)
{
    edgent_state *s = state;
    const mdl_model *m = s->pred.model;
    pol_pred_ctx c;
    pol_pred_begin(&s->pred, obs, &c);
    size_t fe = m->n_exits - 1, fs = m->n_layers; /* fastest so far */
    double fl = INFINITY;
    size_t ce = SIZE_MAX, cs = 0;                  /* chosen */
    for (size_t i = 0; i < m->n_exits && ce == SIZE_MAX; i++) {
        size_t e = s->order[i], after = m->exits[e].after, bs = after;
        double bl = INFINITY;
        for (size_t sp = 0; sp <= after; sp++) {
            double l = pol_pred_latency(&c, e, sp, s->bits_idx);
            if (l < bl) {
                bl = l;
                bs = sp;
            }
        }
        if (bl <= obs->deadline_s) {
            ce = e;
            cs = bs;
        } else if (bl < fl) {
            fl = bl;
            fe = e;
            fs = bs;
        }
    }
    if (ce == SIZE_MAX) {
        ce = fe;
        cs = fs;
    }
    pol_pred_note(&s->pred, &c, ce, cs);
    act->exit = (int)ce;
    act->split = (int)cs;
    act->bits = s->bits;
    act->entropy_threshold = 0;
}

static const char *const edgent_keys[] = {"bits", NULL};

const pol_class pol_edgent_class = {
    "edgent",
    "Li et al. 2018: the most accurate exit and its fastest split that meet the deadline",
    edgent_keys, edgent_create, edgent_decide, NULL, edgent_destroy};
