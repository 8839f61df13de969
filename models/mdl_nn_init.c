/*
 * mdl_nn_init.c - Kaiming/He uniform initialisation (He et al. 2015,
 * "Delving deep into rectifiers", sec. 2.2): U(-b, b) with b = sqrt(6/fan_in),
 * variance b^2/3 = 2/fan_in, the same as mdl_init_kaiming's normal.  Draws
 * from the caller's seeded mdl_rng, so the weights are a function of the seed.
 */
#include "mdl_nn.h"

#include <math.h>

void mdl_init_kaiming_uniform(float *w, size_t n, size_t fan_in, mdl_rng *r)
{
    double bound = sqrt(6.0 / (double)(fan_in ? fan_in : 1));
    for (size_t i = 0; i < n; i++)
        w[i] = (float)(bound * (2.0 * mdl_rng_uniform(r) - 1.0));
}
