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

static inline void swap_d(double *a, ptrdiff_t i, ptrdiff_t j)
{
    double t = a[i];
    a[i] = a[j];
    a[j] = t;
}

/* Rearrange a[lo..n) so that a[k] (lo <= k < n) is the value sorting would
 * put there, with nothing greater before it and nothing smaller after it
 * (Hoare's FIND as Wirth writes it: expected O(n - lo)).  After
 * 2 log2(n) + 16 rounds the rest of the range is sorted with qsort, so the
 * worst case is O(n log n). */
static void select_kth(double *a, size_t lo, size_t n, size_t k)
{
    ptrdiff_t l = (ptrdiff_t)lo, r = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    int budget = 16;
    for (size_t m = n; m > 1; m >>= 1)
        budget += 2;
    while (l < r) {
        if (budget-- == 0) {
            qsort(a + l, (size_t)(r - l + 1), sizeof *a, cmp_double);
            return;
        }
        double x = a[kk];
        ptrdiff_t i = l, j = r;
        do {
            while (a[i] < x)
                i++;
            while (x < a[j])
                j--;
            if (i <= j) {
                swap_d(a, i, j);
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            r = j;
    }
}

/* Quantile p of the n values in a (reordered in place) by linear
 * interpolation between order statistics, h = (n-1) p (Hyndman & Fan type
 * 7, R's default): the order statistics lo and lo + 1 are found by
 * selection in a[from..n), where from <= lo must hold and a[from..n) must
 * hold the largest n - from values (true of an earlier call's lo).  The
 * result is the one sorting would give, bit for bit.  *lo_out receives lo. */
static double quantile_select(double *a, size_t n, size_t from, double p, size_t *lo_out)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        lo = n - 1;
    *lo_out = lo;
    select_kth(a, from, n, lo);
    double x0 = a[lo];
    if (lo + 1 >= n)
        return x0;
    double x1 = a[lo + 1]; /* the least of a[lo+1..n) */
    for (size_t i = lo + 2; i < n; i++)
        if (a[i] < x1)
            x1 = a[i];
    return x0 + (h - (double)lo) * (x1 - x0);
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

    /* Order statistics by selection, not a full sort: O(n) instead of
     * O(n log n) (the sort was ~10 % of a 10^5-task run); the values are the
     * same order statistics, so the figures are identical. */
    double mn = x[0], mx = x[0];
    for (size_t i = 1; i < n; i++) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    st->min = mn;
    st->max = mx;
    memcpy(scratch, x, n * sizeof *x);
    size_t lo = 0;
    st->p50 = quantile_select(scratch, n, lo, 0.50, &lo);
    st->p95 = quantile_select(scratch, n, lo, 0.95, &lo);
    st->p99 = quantile_select(scratch, n, lo, 0.99, &lo);
}
