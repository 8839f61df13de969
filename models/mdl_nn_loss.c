/*
 * mdl_nn_loss.c - the multi-exit training loss (BranchyNet, Teerapittayanon
 * et al. 2016, eq. 3): L = sum_e w_e CE(softmax(logits_e), y), built on
 * mdl_softmax_ce.  See mdl_nn.h.
 */
#include "mdl_nn.h"

double mdl_multiexit_ce(float *const *dlogits, const float *const *logits,
                        const float *weights, size_t E, const uint8_t *labels, size_t B,
                        size_t K, double *per_exit)
{
    double total = 0.0;
    for (size_t e = 0; e < E; e++) {
        double l = mdl_softmax_ce(dlogits[e], logits[e], labels, B, K, weights[e]);
        if (per_exit)
            per_exit[e] = l;
        total += (double)weights[e] * l;
    }
    return total;
}
