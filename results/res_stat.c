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
 *
 * Batch means can still mislead, and two checks say when (res_stat.ci_why,
 * docs/validation.md for what they catch and what they cannot):
 *   - the lag-1 autocorrelation of the 20 batch means above 0.5: the
 *     batches are visibly not independent (with 20 independent batches it
 *     exceeds 0.5 about once in 350 runs, for normal batch means);
 *   - fewer than 400 effectively independent observations, n_eff =
 *     20 var(x) / var(batch means), the i.i.d. sample size that would give
 *     the same variance of the mean.  Below it each batch holds fewer than
 *     20 correlation times, and the interval of a short run at high load
 *     covers far less often than 95 %: its batch means are correlated and
 *     skewed.  (A run that by chance saw no long busy period has both a
 *     low mean and a narrow interval, and can pass both checks: nothing in
 *     one run tells it from a sound one; only replications do.)
 *
 * The warm-up of `warmup: auto` is MSER-5 (res_mser5): White, "An
 * effective truncation heuristic for bias reduction in simulation output",
 * Simulation 69(6), 1997; White, Cobb & Spratt, WSC 2000; Franklin &
 * White, "Stationarity tests and MSER-5", WSC 2008.
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

/* The batch-means interval of x[0..n) (n >= 40, st->mean set) and its
 * checks. */
static void batch_means(res_stat *st, const double *x, size_t n)
{
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
    double ss = 0.0, c1 = 0.0;
    for (size_t k = 0; k < RES_N_BATCHES; k++)
        ss += (means[k] - grand) * (means[k] - grand);
    for (size_t k = 0; k + 1 < RES_N_BATCHES; k++)
        c1 += (means[k] - grand) * (means[k + 1] - grand);
    double sd = sqrt(ss / (RES_N_BATCHES - 1));
    st->ci95 = gsl_cdf_tdist_Pinv(0.975, RES_N_BATCHES - 1) * sd / sqrt((double)RES_N_BATCHES);

    double vx = 0.0;
    for (size_t i = 0; i < n; i++)
        vx += (x[i] - st->mean) * (x[i] - st->mean);
    vx /= (double)(n - 1);
    if (ss > 0.0) {
        st->ci_lag1 = c1 / ss;
        st->ci_neff = RES_N_BATCHES * vx / (ss / (RES_N_BATCHES - 1));
    } else { /* equal batch means: nothing correlated to see */
        st->ci_lag1 = 0.0;
        st->ci_neff = (double)n;
    }
    if (st->ci_lag1 > RES_CI_MAX_LAG1)
        st->ci_why |= RES_CI_CORRELATED;
    if (st->ci_neff < RES_CI_MIN_NEFF)
        st->ci_why |= RES_CI_SHORT;
}

void res_ci_why_text(unsigned why, char *buf, size_t size)
{
    static const char *const names[] = {"correlated batch means",
                                        "too few independent observations",
                                        "no steady state found"};
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
        if (!(why & (1u << i)) || len >= size)
            continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", names[i]);
        len = w < 0 ? size : len + (size_t)w;
    }
}

size_t res_mser5(const double *x, size_t n, double *share)
{
    size_t k = n / 5;
    *share = 0.0;
    if (k < 2)
        return 0;
    /* Suffix sums of the batch means, shifted by their overall mean so that
     * the sum of squares does not cancel. */
    double shift = 0.0;
    for (size_t i = 0; i < 5 * k; i++)
        shift += x[i];
    shift /= (double)(5 * k);
    double s1 = 0.0, s2 = 0.0, best = INFINITY;
    size_t best_d = 0, dmax = k / 2;
    /* walk d down from k-1 so each step adds one batch: the statistic of d
     * needs batches d+1..k (0-based: d..k-1) */
    for (size_t j = k; j-- > 0;) {
        const double *p = x + 5 * j;
        double z = (p[0] + p[1] + p[2] + p[3] + p[4]) / 5.0 - shift;
        s1 += z;
        s2 += z * z;
        if (j > dmax)
            continue;
        double m = (double)(k - j), v = s2 - s1 * s1 / m;
        double stat = (v > 0.0 ? v : 0.0) / (m * m);
        if (stat <= best) { /* <=: the smallest d on ties */
            best = stat;
            best_d = j;
        }
    }
    *share = (double)(5 * best_d) / (double)n;
    return 5 * best_d;
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

    st->ci95 = st->ci_lag1 = st->ci_neff = NAN;
    if (n >= 2 * RES_N_BATCHES)
        batch_means(st, x, n);

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
