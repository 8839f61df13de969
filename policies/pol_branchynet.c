/*
 * pol_branchynet.c - BranchyNet (Teerapittayanon, McDanel, Kung,
 * "BranchyNet: Fast Inference via Early Exiting from Deep Neural Networks",
 * ICPR 2016): the whole network runs on the device and a task leaves at
 * the first exit whose softmax entropy is below a threshold, the final exit
 * answering the rest.  Action: final exit, split L (local), entropy
 * threshold `threshold` (normalised entropy, 0..1; default 0.3).
 *
 * The rule needs the exits' confidences, so it acts on trained models
 * only; on a layer-table model the simulator ignores the threshold and
 * this policy is `local`.  The default: on the zoo's mexit (Fashion-MNIST,
 * int8, the quickstart's Raspberry Pi 4) the threshold 0.3 sends 84 % of
 * the tasks out at the early exit for 0.3 points of accuracy (92.15 %
 * against 92.43 % all-final) and halves latency and energy; 0.4 costs a
 * full point.  The table is in docs/policies.md.  The paper picks its
 * thresholds per network on a validation set; so should a study.
 */
#include "pol.h"

#include <stdlib.h>

#define BRANCHYNET_DEFAULT_THRESHOLD 0.3

typedef struct branchy_state {
    pol_action act;
} branchy_state;

static off_status branchy_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    double thr;
    off_status st = pol_param_double(cfg, "threshold", BRANCHYNET_DEFAULT_THRESHOLD, 0, 1,
                                     &thr, err);
    if (st)
        return st;
    branchy_state *s = malloc(sizeof *s);
    if (!s)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    s->act = (pol_action){(int)m->n_exits - 1, (int)m->n_layers, pol_default_bits(m), thr};
    *state = s;
    return OFF_OK;
}

static void branchy_decide(void *state, const pol_obs *obs, pol_action *act)
{
    (void)obs;
    *act = ((const branchy_state *)state)->act;
}

static void branchy_destroy(void *state) { free(state); }

static const char *const branchy_keys[] = {"threshold", NULL};

const pol_class pol_branchynet_class = {
    "branchynet",
    "Teerapittayanon et al. 2016: on the device, first exit with entropy below threshold",
    branchy_keys, branchy_create, branchy_decide, NULL, branchy_destroy};
