/*
 * mdl_nn_init.c - weight initialisation:
 * - Kaiming/He uniform (He et al. 2015, "Delving deep into rectifiers",
 *   sec. 2.2): U(-b, b) with b = sqrt(6/fan_in), variance b^2/3 = 2/fan_in,
 *   the same as mdl_init_kaiming's normal.  Draws from the caller's seeded
 *   mdl_rng, so the weights are a function of the seed.
 * - orthogonal (Saxe et al. 2014), the agents' initialisation; see mdl_nn.h.
 */
#include "mdl_nn.h"

#include <math.h>
#include <stdlib.h>

void mdl_init_kaiming_uniform(float *w, size_t n, size_t fan_in, mdl_rng *r)
{
    double bound = sqrt(6.0 / (double)(fan_in ? fan_in : 1));
    for (size_t i = 0; i < n; i++)
        w[i] = (float)(bound * (2.0 * mdl_rng_uniform(r) - 1.0));
}

off_status mdl_init_orthogonal(float *w, size_t rows, size_t cols, double gain,
                               double (*normal)(void *ud), void *ud, off_err *err)
{
    if (rows == 0 || cols == 0)
        return OFF_OK;
    /* Work on the tall orientation: M >= N, orthonormalise the N columns of
     * a (M,N) matrix stored column-major (column j at q + j*M). */
    int wide = rows <= cols;
    size_t M = wide ? cols : rows, N = wide ? rows : cols;
    double *q = malloc(M * N * sizeof *q);
    if (!q)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "orthogonal init: out of memory");
    for (size_t i = 0; i < M * N; i++)
        q[i] = normal(ud);
    for (size_t j = 0; j < N; j++) {
        double *qj = q + j * M;
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < j; k++) {
                const double *qk = q + k * M;
                double r = 0.0;
                for (size_t i = 0; i < M; i++)
                    r += qk[i] * qj[i];
                for (size_t i = 0; i < M; i++)
                    qj[i] -= r * qk[i];
            }
        double nrm = 0.0;
        for (size_t i = 0; i < M; i++)
            nrm += qj[i] * qj[i];
        nrm = sqrt(nrm);
        if (!(nrm > 1e-12)) { /* probability zero with a Gaussian draw */
            free(q);
            return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                            "orthogonal init: rank-deficient Gaussian draw");
        }
        for (size_t i = 0; i < M; i++)
            qj[i] /= nrm;
    }
    /* wide: w = gain Q^T, so w[r][c] = Q[c][r] = q[r*M + c]
     * tall: w = gain Q,   so w[r][c] = q[c*M + r] */
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            w[r * cols + c] = (float)(gain * (wide ? q[r * M + c] : q[c * M + r]));
    free(q);
    return OFF_OK;
}
