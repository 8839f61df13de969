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
#include <inttypes.h>
#include <math.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "off.h"
#include "sim_engine.h"
#include "sim_rng.h"

enum { RUNS = 5 };

/* ---- (b) the baseline: a fair plain binary heap ------------------------- */

/* The same 16-byte entries as the engine's heap (time, seq << 32 | record),
 * the event's handler, user pointer and argument in a record slab with a
 * free list (as in the engine), but a binary heap, a double compare with
 * an explicit tie test, holes instead of swaps, no prefetching, no
 * branch-free tricks, no cancellation: what a careful textbook heap does. */
typedef struct fair_q fair_q;
typedef void fair_handler(fair_q *q, void *ud, uint64_t arg);

typedef struct fair_ent {
    double t;
    uint64_t key; /* seq << 32 | record index */
} fair_ent;

typedef struct fair_rec {
    fair_handler *fn;
    void *ud;
    uint64_t arg;
    uint64_t next_free;
} fair_rec;

struct fair_q {
    fair_ent *h;
    fair_rec *rec;
    size_t n, cap; /* cap: entries and records */
    uint64_t free_head, nrec;
    uint64_t seq;
    double now;
};

#define FAIR_NONE UINT64_MAX

static inline bool fair_less(const fair_ent *a, const fair_ent *b)
{
    return a->t < b->t || (a->t == b->t && a->key < b->key);
}

/* A queue with room for cap events; false on out of memory. */
static bool fair_init(fair_q *q, size_t cap)
{
    *q = (fair_q){ .h = malloc(cap * sizeof *q->h), .rec = malloc(cap * sizeof *q->rec),
                   .cap = cap, .free_head = FAIR_NONE };
    return q->h && q->rec;
}

/* Push an event; false when full (the bench sizes the queue up front). */
static bool fair_schedule(fair_q *q, double t, fair_handler *fn, void *ud, uint64_t arg)
{
    if (!(t > q->now))
        t = q->now;
    uint64_t r = q->free_head;
    if (r != FAIR_NONE)
        q->free_head = q->rec[r].next_free;
    else if (q->nrec < q->cap)
        r = q->nrec++;
    else
        return false;
    q->rec[r] = (fair_rec){ fn, ud, arg, 0 };
    fair_ent x = { t, (q->seq++ << 32) | r };
    size_t i = q->n++;
    while (i > 0) { /* move the hole up */
        size_t p = (i - 1) / 2;
        if (!fair_less(&x, &q->h[p]))
            break;
        q->h[i] = q->h[p];
        i = p;
    }
    q->h[i] = x;
    return true;
}

/* Pop and fire the least (t, seq) event; false if empty. */
static bool fair_step(fair_q *q)
{
    if (q->n == 0)
        return false;
    fair_ent top = q->h[0];
    size_t n = --q->n;
    if (n > 0) { /* move the hole at the root down, then fill it with the last */
        fair_ent x = q->h[n];
        size_t i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= n)
                break;
            if (c + 1 < n && fair_less(&q->h[c + 1], &q->h[c]))
                c++;
            if (!fair_less(&q->h[c], &x))
                break;
            q->h[i] = q->h[c];
            i = c;
        }
        q->h[i] = x;
    }
    uint64_t r = (uint32_t)top.key;
    fair_rec ev = q->rec[r];
    q->rec[r].next_free = q->free_head;
    q->free_head = r;
    q->now = top.t;
    ev.fn(q, ev.ud, ev.arg);
    return true;
}

/* ---- the hold model ----------------------------------------------------- */

typedef struct hold {
    gsl_rng *r;
    sim_event_id *ids; /* churn only: the pending id of each of the N chains */
    size_t n;
    double churn;  /* probability that an event also cancels a random one */
    uint64_t hash; /* of the fired (time, chain) sequence: the order check */
    bool oom;
} hold;

/* Fold a fired event into the order hash (the same work in both queues). */
static inline void hold_fired(hold *h, double now, uint64_t arg)
{
    uint64_t b;
    memcpy(&b, &now, sizeof b);
    h->hash = (h->hash ^ b ^ (arg << 40)) * 0x100000001b3u;
}

static void fair_hold(fair_q *q, void *ud, uint64_t arg)
{
    hold *h = ud;
    hold_fired(h, q->now, arg);
    if (!fair_schedule(q, q->now + gsl_ran_exponential(h->r, 1.0), fair_hold, ud, arg))
        h->oom = true;
}

static void engine_hold(sim_engine *e, void *ud, uint64_t arg)
{
    hold *h = ud;
    hold_fired(h, sim_engine_now(e), arg);
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

static noreturn void die(const char *msg)
{
    fprintf(stderr, "bench_hold: %s\n", msg);
    exit(1);
}

static gsl_rng *bench_stream(int run)
{
    gsl_rng *r = sim_rng_stream((uint64_t)run + 1, sim_rng_entity_key("bench_hold"),
                                SIM_RNG_ARRIVALS);
    if (!r)
        die("out of memory");
    return r;
}

/* What one run of the hold model gives: the order check and the rate. */
typedef struct hold_out {
    double clock;  /* final simulated time */
    uint64_t hash; /* of the fired sequence, warm-up included */
    double rate;   /* timed events per second */
} hold_out;

static size_t warm_up(size_t n) { return 4 * n > 200000 ? 4 * n : 200000; }

/* One engine run: m events timed after warm-up. */
static hold_out run_engine(size_t n, size_t m, int run, double churn)
{
    hold h = { bench_stream(run), NULL, n, churn, 0, false };
    sim_engine *e = NULL;
    off_err err;
    if (sim_engine_new(&e, &(sim_engine_cfg){ .initial_capacity = n }, &err) != OFF_OK)
        die(err.msg);
    sim_handler *fn = churn > 0 ? engine_hold_churn : engine_hold;
    if (churn > 0 && !(h.ids = calloc(n, sizeof *h.ids)))
        die("out of memory");
    for (size_t i = 0; i < n; i++) {
        sim_event_id id = sim_engine_schedule(e, gsl_ran_exponential(h.r, 1.0), fn, &h, i);
        if (h.ids)
            h.ids[i] = id;
    }
    for (size_t i = warm_up(n); i > 0; i--)
        sim_engine_step(e);
    double t0 = off_wall_seconds();
    for (size_t i = 0; i < m; i++)
        sim_engine_step(e);
    double dt = off_wall_seconds() - t0;
    if (h.oom || sim_engine_pending(e) != n)
        die("the engine lost events");
    hold_out o = { sim_engine_now(e), h.hash, dt > 0 ? (double)m / dt : 0 };
    sim_engine_free(e);
    gsl_rng_free(h.r);
    free(h.ids);
    return o;
}

/* The same run on the fair binary heap. */
static hold_out run_fair(size_t n, size_t m, int run)
{
    hold h = { bench_stream(run), NULL, n, 0.0, 0, false };
    fair_q q;
    if (!fair_init(&q, n))
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        fair_schedule(&q, gsl_ran_exponential(h.r, 1.0), fair_hold, &h, i);
    for (size_t i = warm_up(n); i > 0; i--)
        fair_step(&q);
    double t0 = off_wall_seconds();
    for (size_t i = 0; i < m; i++)
        fair_step(&q);
    double dt = off_wall_seconds() - t0;
    if (h.oom || q.n != n)
        die("the fair heap lost events");
    hold_out o = { q.now, h.hash, dt > 0 ? (double)m / dt : 0 };
    free(q.h);
    free(q.rec);
    gsl_rng_free(h.r);
    return o;
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

/* "engine N M" or "fair N M": one run of one queue, for profilers
 * (cachegrind, perf); prints the order hash so two profiles can be
 * checked to be the same workload. */
static int profile_one(char **argv)
{
    size_t n = strtoul(argv[2], NULL, 10), m = strtoul(argv[3], NULL, 10);
    bool eng = strcmp(argv[1], "engine") == 0;
    if (n == 0 || (!eng && strcmp(argv[1], "fair") != 0)) {
        fprintf(stderr, "usage: bench_hold [SCALE] | bench_hold engine|fair N M\n");
        return 2;
    }
    hold_out o = eng ? run_engine(n, m, 0, 0.0) : run_fair(n, m, 0);
    printf("%s N=%zu M=%zu: %.2f M events/s, clock %.17g, hash %016" PRIx64 "\n",
           argv[1], n, m, o.rate / 1e6, o.clock, o.hash);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4)
        return profile_one(argv);
    size_t scale = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    if (scale == 0)
        scale = 1;
    enum { SIZES = 3 };
    const size_t ns[SIZES] = { 1000, 10000, 100000 };
    const size_t ms[SIZES] = { 10000000 / scale, 5000000 / scale, 5000000 / scale };
    double t_start = off_wall_seconds();

    printf("hold model: N pending events, each fired event schedules one at now + Exp(1)\n");
    printf("events/s (millions), median of %d alternating runs [min..max];\n"
           "ratio: median of the per-pair ratios [min..max]\n\n", RUNS);
    printf("%-8s %-10s %-22s %-22s %s\n", "N", "M timed", "offsim engine",
           "fair binary heap", "engine/fair");
    for (int k = 0; k < SIZES; k++) {
        double eng[RUNS], fair[RUNS], ratio[RUNS];
        for (int run = 0; run < RUNS; run++) {
            /* alternate which queue goes first, so drift hits both */
            hold_out a, b;
            if (run % 2 == 0) {
                a = run_engine(ns[k], ms[k], run, 0.0);
                b = run_fair(ns[k], ms[k], run);
            } else {
                b = run_fair(ns[k], ms[k], run);
                a = run_engine(ns[k], ms[k], run, 0.0);
            }
            if (a.clock != b.clock || a.hash != b.hash) {
                fprintf(stderr, "bench_hold: the queues diverged (clock %.17g vs %.17g)\n",
                        a.clock, b.clock);
                return 1;
            }
            eng[run] = a.rate;
            fair[run] = b.rate;
            ratio[run] = a.rate / b.rate;
        }
        double me = median(eng), mf = median(fair), mr = median(ratio);
        char sa[64], sb[64];
        snprintf(sa, sizeof sa, "%5.2f [%5.2f..%5.2f]", me / 1e6, eng[0] / 1e6,
                 eng[RUNS - 1] / 1e6);
        snprintf(sb, sizeof sb, "%5.2f [%5.2f..%5.2f]", mf / 1e6, fair[0] / 1e6,
                 fair[RUNS - 1] / 1e6);
        printf("%-8zu %-10zu %-22s %-22s %.2fx [%.2f..%.2f]\n", ns[k], ms[k], sa, sb, mr,
               ratio[0], ratio[RUNS - 1]);
        fflush(stdout);
    }

    printf("\nwith cancel churn (engine only; 10 %% of events also cancel a random\n"
           "pending event and schedule a replacement; fired events/s)\n");
    for (int k = 0; k < SIZES; k += 2) {
        double v[RUNS];
        size_t m = 2000000 / scale;
        for (int run = 0; run < RUNS; run++)
            v[run] = run_engine(ns[k], m, run, 0.10).rate;
        double me = median(v);
        printf("%-8zu %-10zu %5.2f [%5.2f..%5.2f]\n", ns[k], m, me / 1e6, v[0] / 1e6,
               v[RUNS - 1] / 1e6);
    }
    printf("\nboth queues fired identical event sequences (equal final clocks and\n"
           "equal hashes of every fired (time, chain))\n");
    printf("total wall time %.1f s\n", off_wall_seconds() - t_start);
    return 0;
}
