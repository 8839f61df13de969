/*
 * bench_hold.c - the classic hold model for the event engine.
 *
 * N events are pending; each processed event schedules one new event at
 * now + Exp(1), so the queue size stays N.  After a warm-up the time for M
 * events is measured.  Two queues run the identical workload (the same
 * random stream, sim_rng's Philox4x32-10, and the same
 * handler-through-a-pointer structure):
 *   (a) the offsim engine (sim/sim_engine.c), and
 *   (b) a plain binary heap of (time, seq) events, by value, implemented
 *       below as the baseline.
 * Runs alternate between (a) and (b) so that machine noise hits both; the
 * figure is the median of 5 runs (min and max in brackets).  Both queues
 * fire the same events in the same order, which is checked (equal final
 * clocks).  A third figure is the engine with cancel churn: 10 % of events
 * also cancel a random pending event and schedule a replacement.
 *
 * Usage: bench_hold [SCALE]   (SCALE divides M; default 1; e.g. 10 for a
 * quick look.)  Results are recorded in bench/RESULTS.md.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "off.h"
#include "sim_engine.h"
#include "sim_rng.h"

enum { RUNS = 5 };

/* ---- (b) the baseline: a plain binary heap ------------------------------ */

typedef struct plain_q plain_q;
typedef void plain_handler(plain_q *q, void *ud, uint64_t arg);

typedef struct plain_ev {
    double t;
    uint64_t seq;
    plain_handler *fn;
    void *ud;
    uint64_t arg;
} plain_ev;

struct plain_q {
    plain_ev *h;
    size_t n, cap;
    uint64_t seq;
    double now;
};

static bool plain_less(const plain_ev *a, const plain_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

/* Push an event; false on out of memory. */
static bool plain_schedule(plain_q *q, double t, plain_handler *fn, void *ud,
                           uint64_t arg)
{
    if (t < q->now)
        t = q->now;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 1024;
        plain_ev *h = realloc(q->h, cap * sizeof *h);
        if (!h)
            return false;
        q->h = h;
        q->cap = cap;
    }
    size_t i = q->n++;
    q->h[i] = (plain_ev){ t, q->seq++, fn, ud, arg };
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!plain_less(&q->h[i], &q->h[p]))
            break;
        plain_ev tmp = q->h[i];
        q->h[i] = q->h[p];
        q->h[p] = tmp;
        i = p;
    }
    return true;
}

/* Pop and fire the least (t, seq) event; false if empty. */
static bool plain_step(plain_q *q)
{
    if (q->n == 0)
        return false;
    plain_ev top = q->h[0];
    q->h[0] = q->h[--q->n];
    size_t i = 0, n = q->n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && plain_less(&q->h[l], &q->h[m]))
            m = l;
        if (r < n && plain_less(&q->h[r], &q->h[m]))
            m = r;
        if (m == i)
            break;
        plain_ev tmp = q->h[i];
        q->h[i] = q->h[m];
        q->h[m] = tmp;
        i = m;
    }
    q->now = top.t;
    top.fn(q, top.ud, top.arg);
    return true;
}

/* ---- the hold model ----------------------------------------------------- */

typedef struct hold {
    gsl_rng *r;
    sim_event_id *ids; /* churn only: the pending id of each of the N chains */
    size_t n;
    double churn; /* probability that an event also cancels a random one */
    bool oom;
} hold;

static void plain_hold(plain_q *q, void *ud, uint64_t arg)
{
    hold *h = ud;
    if (!plain_schedule(q, q->now + gsl_ran_exponential(h->r, 1.0), plain_hold, ud, arg))
        h->oom = true;
}

static void engine_hold(sim_engine *e, void *ud, uint64_t arg)
{
    hold *h = ud;
    if (!sim_engine_schedule_in(e, gsl_ran_exponential(h->r, 1.0), engine_hold, ud, arg))
        h->oom = true;
}

static void engine_hold_churn(sim_engine *e, void *ud, uint64_t arg)
{
    hold *h = ud;
    h->ids[arg] = sim_engine_schedule_in(e, gsl_ran_exponential(h->r, 1.0),
                                         engine_hold_churn, ud, arg);
    if (gsl_rng_uniform(h->r) < h->churn) {
        size_t j = gsl_rng_uniform_int(h->r, h->n);
        sim_engine_cancel(e, h->ids[j]);
        h->ids[j] = sim_engine_schedule_in(e, gsl_ran_exponential(h->r, 1.0),
                                           engine_hold_churn, ud, j);
    }
    h->oom |= h->ids[arg] == 0;
}

static gsl_rng *bench_stream(int run)
{
    gsl_rng *r = sim_rng_stream((uint64_t)run + 1, sim_rng_entity_key("bench_hold"),
                                SIM_RNG_ARRIVALS);
    if (!r) {
        fprintf(stderr, "bench_hold: out of memory\n");
        exit(1);
    }
    return r;
}

/* One engine run: events/s over m events after warm-up; *clock gets the
 * final simulated time. */
static double run_engine(size_t n, size_t m, int run, double churn, double *clock)
{
    hold h = { bench_stream(run), NULL, n, churn, false };
    sim_engine *e = NULL;
    off_err err;
    if (sim_engine_new(&e, &(sim_engine_cfg){ .initial_capacity = n }, &err) != OFF_OK) {
        fprintf(stderr, "bench_hold: %s\n", err.msg);
        exit(1);
    }
    sim_handler *fn = churn > 0 ? engine_hold_churn : engine_hold;
    if (churn > 0 && !(h.ids = calloc(n, sizeof *h.ids))) {
        fprintf(stderr, "bench_hold: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        sim_event_id id = sim_engine_schedule(e, gsl_ran_exponential(h.r, 1.0), fn, &h, i);
        if (h.ids)
            h.ids[i] = id;
    }
    size_t warm = 4 * n > 200000 ? 4 * n : 200000;
    for (size_t i = 0; i < warm; i++)
        sim_engine_step(e);
    double t0 = off_wall_seconds();
    for (size_t i = 0; i < m; i++)
        sim_engine_step(e);
    double dt = off_wall_seconds() - t0;
    if (h.oom || sim_engine_pending(e) != n) {
        fprintf(stderr, "bench_hold: engine lost events (pending %zu, want %zu)\n",
                sim_engine_pending(e), n);
        exit(1);
    }
    *clock = sim_engine_now(e);
    sim_engine_free(e);
    gsl_rng_free(h.r);
    free(h.ids);
    return (double)m / dt;
}

static double run_plain(size_t n, size_t m, int run, double *clock)
{
    hold h = { bench_stream(run), NULL, n, 0.0, false };
    plain_q q = { 0 };
    for (size_t i = 0; i < n; i++)
        plain_schedule(&q, gsl_ran_exponential(h.r, 1.0), plain_hold, &h, i);
    size_t warm = 4 * n > 200000 ? 4 * n : 200000;
    for (size_t i = 0; i < warm; i++)
        plain_step(&q);
    double t0 = off_wall_seconds();
    for (size_t i = 0; i < m; i++)
        plain_step(&q);
    double dt = off_wall_seconds() - t0;
    if (h.oom || q.n != n) {
        fprintf(stderr, "bench_hold: plain heap lost events\n");
        exit(1);
    }
    *clock = q.now;
    free(q.h);
    gsl_rng_free(h.r);
    return (double)m / dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v; returns the median. */
static double median(double v[RUNS])
{
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

int main(int argc, char **argv)
{
    size_t scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    if (scale == 0)
        scale = 1;
    const size_t ns[2] = { 1000, 100000 };
    const size_t ms[2] = { 10000000 / scale, 5000000 / scale };
    double t_start = off_wall_seconds();

    printf("hold model: N pending events, each fired event schedules one at now + Exp(1)\n");
    printf("events/s (millions), median of %d alternating runs [min..max]\n\n", RUNS);
    printf("%-8s %-10s %-24s %-24s %s\n", "N", "M timed", "offsim engine",
           "plain binary heap", "engine/plain");
    for (int k = 0; k < 2; k++) {
        double eng[RUNS], pl[RUNS];
        for (int run = 0; run < RUNS; run++) {
            double ce, cp;
            eng[run] = run_engine(ns[k], ms[k], run, 0.0, &ce);
            pl[run] = run_plain(ns[k], ms[k], run, &cp);
            if (ce != cp) {
                fprintf(stderr, "bench_hold: the queues diverged (clock %.17g vs %.17g)\n",
                        ce, cp);
                return 1;
            }
        }
        double me = median(eng), mp = median(pl);
        char a[64], b[64];
        snprintf(a, sizeof a, "%6.2f [%5.2f..%5.2f]", me / 1e6, eng[0] / 1e6, eng[RUNS - 1] / 1e6);
        snprintf(b, sizeof b, "%6.2f [%5.2f..%5.2f]", mp / 1e6, pl[0] / 1e6, pl[RUNS - 1] / 1e6);
        printf("%-8zu %-10zu %-24s %-24s %.2fx\n", ns[k], ms[k], a, b, me / mp);
    }

    printf("\nwith cancel churn (engine only; 10 %% of events also cancel a random\n"
           "pending event and schedule a replacement; fired events/s)\n");
    for (int k = 0; k < 2; k++) {
        double v[RUNS], c;
        size_t m = 2000000 / scale;
        for (int run = 0; run < RUNS; run++)
            v[run] = run_engine(ns[k], m, run, 0.10, &c);
        double me = median(v);
        printf("%-8zu %-10zu %6.2f [%5.2f..%5.2f]\n", ns[k], m, me / 1e6, v[0] / 1e6,
               v[RUNS - 1] / 1e6);
    }
    printf("\nboth queues fired identical event sequences (equal final clocks)\n");
    printf("total wall time %.1f s\n", off_wall_seconds() - t_start);
    return 0;
}
