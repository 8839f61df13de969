/*
 * res_stat.c - summary statistics of a sequence of observations.
 *
 * The confidence interval of the mean uses the method of batch means: the
 * sequence is cut into 20 consecutive batches and the t interval is built
 * from the batch averages.  Task latencies in a queue are autocorrelated
 * (a task that waits behind a busy period is followed by others that do),
 * so the i.i.d. formula s/sqrt(n) understates the error, badly so at high
 * utilisation; batch means are nearly independent once batches are long
 * compared with the correlation time (Law & Kelton, Simulation Modeling and
 * Analysis, ch. 9).
 */
#include "res.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RES_N_BATCHES 20

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of sorted x[0..n) by linear interpolation between order
 * statistics, h = (n-1) p (Hyndman & Fan type 7, R's default). */
static double quantile_sorted(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

void res_stat_compute(res_stat *st, const double *x, size_t n, double *scratch)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    if (n == 0) {
        st->mean = st->ci95 = st->p50 = st->p95 = st->p99 = NAN;
        st->min = st->max = NAN;
        return;
    }
    /* Kahan-compensated sum: millions of small latencies. */
    double sum = 0.0, c = 0.0;
    for (size_t i = 0; i < n; i++) {
        double y = x[i] - c, t = sum + y;
        c = (t - sum) - y;
        sum = t;
    }
    st->mean = sum / (double)n;

    st->ci95 = NAN;
    if (n >= 2 * RES_N_BATCHES) {
        size_t b = n / RES_N_BATCHES, skip = n - b * RES_N_BATCHES;
        double means[RES_N_BATCHES], grand = 0.0;
        for (size_t k = 0; k < RES_N_BATCHES; k++) {
            const double *p = x + skip + k * b;
            double s = 0.0;
            for (size_t i = 0; i < b; i++)
                s += p[i];
            means[k] = s / (double)b;
            grand += means[k];
        }
        grand /= RES_N_BATCHES;
        double ss = 0.0;
        for (size_t k = 0; k < RES_N_BATCHES; k++)
            ss += (means[k] - grand) * (means[k] - grand);
        double sd = sqrt(ss / (RES_N_BATCHES - 1));
        st->ci95 = gsl_cdf_tdist_Pinv(0.975, RES_N_BATCHES - 1) * sd /
                   sqrt((double)RES_N_BATCHES);
    }

    memcpy(scratch, x, n * sizeof *x);
    qsort(scratch, n, sizeof *scratch, cmp_double);
    st->min = scratch[0];
    st->max = scratch[n - 1];
    st->p50 = quantile_sorted(scratch, n, 0.50);
    st->p95 = quantile_sorted(scratch, n, 0.95);
    st->p99 = quantile_sorted(scratch, n, 0.99);
}
