/* mdl_confidence.c - an exit's confidence from its logits.  See mdl_infer.h. */
#include "mdl_infer.h"

#include <math.h>

void mdl_exit_confidence(const float *logits, size_t k, double *max_prob,
                         double *norm_entropy, size_t *argmax)
{
    if (k == 0) {
        *max_prob = NAN;
        *norm_entropy = NAN;
        if (argmax)
            *argmax = 0;
        return;
    }
    size_t best = 0;
    for (size_t i = 1; i < k; i++)
        if (logits[i] > logits[best])
            best = i;
    /* p_i = exp(x_i - m) / Z with m the maximum: no overflow.
     * H = -sum p_i ln p_i = ln Z - sum p_i (x_i - m). */
    double m = logits[best], z = 0.0, s = 0.0;
    for (size_t i = 0; i < k; i++)
        z += exp((double)logits[i] - m);
    for (size_t i = 0; i < k; i++) {
        double d = (double)logits[i] - m;
        s += exp(d) * d;
    }
    double h = log(z) - s / z;
    *max_prob = 1.0 / z;
    *norm_entropy = k > 1 ? fmax(0.0, h / log((double)k)) : 0.0;
    if (argmax)
        *argmax = best;
}
