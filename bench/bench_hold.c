/*
 * bench_hold.c - the classic hold model for the event engine.
 *
 * N events are pending; each processed event schedules one new event at
 * now + Exp(1), so the queue size stays N.  After a warm-up the time for M
 * events is measured.  Four queues run the identical workload (the same
 * random stream, sim_rng's Philox4x32-10, and the same
 * handler-through-a-pointer structure):
 *   (a) the offsim engine (sim/sim_engine.c: a 4-ary heap of 16-byte
 *       entries, records in a slab);
 *   (a') the same engine after one sim_engine_reschedule: from then on it
 *       writes every entry's heap position into its record, as it does in
 *       worlds with shared cells or processor-sharing servers;
 *   (b) a fair plain heap: a binary heap that sifts a hole (no swaps), of
 *       the engine's own 16-byte entries (time, seq << 32 | record) with
 *       the records in a slab, a plain double compare with a tie test;
 *   (c) the same hole-based binary heap with 32-byte events by value
 *       (time, seq, handler, argument; the user pointer is the queue's).
 * (b) and (c) are what a careful plain heap does; a swap-based heap of
 * 40-byte events, the earlier baseline, was slower than both and made the
 * engine's lead look larger than it is.  The order of the four rotates
 * from run to run so that machine noise hits all; each figure is the median
 * of 5 runs (min and max in brackets), and each ratio the median of the
 * per-run ratios.  All four fire the same events in the same order, which
 * is checked (equal final clocks and an equal hash of every fired (time,
 * chain)).  Then: the engine with cancel churn (10 % of events also cancel
 * a random pending event and schedule a replacement), and the cost of the
 * draw and hash alone, which every queue pays on top of its own.
 *
 * Times are the bench thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not
 * wall time: on a shared machine another process's time slices would
 * otherwise land in whichever queue happened to be running.
 *
 * Usage: bench_hold [SCALE]   (SCALE divides M; default 1; e.g. 10 for a
 * quick look.)  bench_hold engine|engine-track|fair|value N M runs one
 * queue once, for a profiler (valgrind --tool=cachegrind, perf).  Results
 * are recorded in bench/RESULTS.md.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_THREAD_CPUTIME_ID */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <inttypes.h>
#include <math.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "off.h"
#include "sim_engine.h"
#include "sim_rng.h"

enum { RUNS = 5 };

/* ---- (b) and (c), the baselines: fair plain binary heaps ---------------- */

/* A binary heap that moves a hole, not swapped pairs: push x into a heap
 * of n entries (h has room); pop the root of a heap that now has n entries
 * (h[n] is the old last entry, moved into the hole). */
#define DEFINE_HOLE_HEAP(P, T, LESS)                                          \
    static inline void hole_##P##_push(T *h, size_t i, T x)                   \
    {                                                                         \
        while (i > 0) {                                                       \
            size_t p = (i - 1) / 2;                                           \
            if (!LESS(&x, &h[p]))                                             \
                break;                                                        \
            h[i] = h[p];                                                      \
            i = p;                                                            \
        }                                                                     \
        h[i] = x;                                                             \
    }                                                                         \
    static inline void hole_##P##_pop(T *h, size_t n)                         \
    {                                                                         \
        if (n == 0)                                                           \
            return;                                                           \
        T x = h[n];                                                           \
        size_t i = 0;                                                         \
        for (;;) {                                                            \
            size_t c = 2 * i + 1;                                             \
            if (c >= n)                                                       \
                break;                                                        \
            if (c + 1 < n && LESS(&h[c + 1], &h[c]))                          \
                c++;                                                          \
            if (!LESS(&h[c], &x))                                             \
                break;                                                        \
            h[i] = h[c];                                                      \
            i = c;                                                            \
        }                                                                     \
        h[i] = x;                                                             \
    }


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

DEFINE_HOLE_HEAP(fair, fair_ent, fair_less)

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
    hole_fair_push(q->h, q->n++, (fair_ent){ t, (q->seq++ << 32) | r });
    return true;
}

/* Pop and fire the least (t, seq) event; false if empty. */
static bool fair_step(fair_q *q)
{
    if (q->n == 0)
        return false;
    fair_ent top = q->h[0];
    hole_fair_pop(q->h, --q->n);
    uint64_t r = (uint32_t)top.key;
    fair_rec ev = q->rec[r];
    q->rec[r].next_free = q->free_head;
    q->free_head = r;
    q->now = top.t;
    ev.fn(q, ev.ud, ev.arg);
    return true;
}

/* The same heap with the events by value, 32 bytes each: no record to
 * fetch after the pop, at the price of entries twice the engine's size.
 * The user pointer is the queue's (one per queue), which is what keeps the
 * event at 32 bytes; handlers are still called through a pointer with
 * (queue, user pointer, argument). */
typedef struct val_q val_q;
typedef void val_handler(val_q *q, void *ud, uint64_t arg);

typedef struct val_ent {
    double t;
    uint64_t seq;
    val_handler *fn;
    uint64_t arg;
} val_ent;

struct val_q {
    val_ent *h;
    size_t n, cap;
    void *ud;
    uint64_t seq;
    double now;
};

static inline bool val_less(const val_ent *a, const val_ent *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

DEFINE_HOLE_HEAP(val, val_ent, val_less)

/* Push an event; false when full. */
static bool val_schedule(val_q *q, double t, val_handler *fn, uint64_t arg)
{
    if (q->n == q->cap)
        return false;
    if (!(t > q->now))
        t = q->now;
    hole_val_push(q->h, q->n++, (val_ent){ t, q->seq++, fn, arg });
    return true;
}

/* Pop and fire the least (t, seq) event, if any; whether one fired. */
static bool val_step(val_q *q)
{
    bool any = q->n > 0;
    if (any) {
        val_ent top = q->h[0];
        hole_val_pop(q->h, --q->n);
        q->now = top.t;
        top.fn(q, q->ud, top.arg);
    }
    return any;
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

/* Fold a fired event into the order hash (the same work in every queue). */
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

static void val_hold(val_q *q, void *ud, uint64_t arg)
{
    hold *h = ud;
    hold_fired(h, q->now, arg);
    if (!val_schedule(q, q->now + gsl_ran_exponential(h->r, 1.0), val_hold, arg))
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

/* CPU time of this thread, s (see the top of the file). */
static double cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Warm up, then time m steps of queue q: the rate in events per CPU-second. */
#define TIMED_STEPS(step, q, n, m, rate)                                      \
    do {                                                                      \
        for (size_t i_ = warm_up(n); i_ > 0; i_--)                            \
            step(q);                                                          \
        double t0_ = cpu_seconds();                                           \
        for (size_t i_ = 0; i_ < (m); i_++)                                   \
            step(q);                                                          \
        double dt_ = cpu_seconds() - t0_;                                     \
        (rate) = dt_ > 0 ? (double)(m) / dt_ : 0;                             \
    } while (0)

/* The outcome of a run; exits if the queue lost events (pending != h->n). */
static hold_out hold_result(const hold *h, size_t pending, double clock, double rate,
                            const char *queue)
{
    if (h->oom || pending != h->n) {
        fprintf(stderr, "bench_hold: %s lost events (%zu pending, want %zu)\n", queue,
                pending, h->n);
        exit(1);
    }
    return (hold_out){ clock, h->hash, rate };
}

/* One engine run: m events timed after warm-up.  track: first move one
 * parked event (at infinity, so it never fires) with sim_engine_reschedule,
 * after which the engine keeps every entry's heap position in its record,
 * as it does in a world with shared cells or processor-sharing servers. */
static hold_out run_engine(size_t n, size_t m, int run, double churn, bool track)
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
    if (track) {
        sim_event_id parked = sim_engine_schedule(e, INFINITY, fn, &h, n);
        if (!sim_engine_reschedule(e, parked, INFINITY))
            die("reschedule failed");
    }
    double rate;
    TIMED_STEPS(sim_engine_step, e, n, m, rate);
    hold_out o = hold_result(&h, sim_engine_pending(e) - track, sim_engine_now(e), rate,
                             "the engine");
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
    double rate;
    TIMED_STEPS(fair_step, &q, n, m, rate);
    hold_out o = hold_result(&h, q.n, q.now, rate, "the fair heap");
    free(q.h);
    free(q.rec);
    gsl_rng_free(h.r);
    return o;
}

/* The same run on the by-value heap. */
static hold_out run_val(size_t n, size_t m, int run)
{
    hold h = { bench_stream(run), NULL, n, 0.0, 0, false };
    val_q q = { .h = malloc(n * sizeof *q.h), .cap = n, .ud = &h };
    if (!q.h)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        val_schedule(&q, gsl_ran_exponential(h.r, 1.0), val_hold, i);
    double rate;
    TIMED_STEPS(val_step, &q, n, m, rate);
    hold_out o = hold_result(&h, q.n, q.now, rate, "the by-value heap");
    free(q.h);
    gsl_rng_free(h.r);
    return o;
}

/* The part of every event that is not the queue: the Exp(1) draw and the
 * order hash, m times, in ns per event. */
static double draw_only_ns(size_t m, int run)
{
    hold h = { bench_stream(run), NULL, 0, 0.0, 0, false };
    double now = 0;
    double t0 = cpu_seconds();
    for (size_t i = 0; i < m; i++) {
        hold_fired(&h, now, i);
        now += gsl_ran_exponential(h.r, 1.0);
    }
    double dt = cpu_seconds() - t0;
    gsl_rng_free(h.r);
    if (h.hash == 1) /* keep the loop: the hash is otherwise unused */
        printf("%g\n", now);
    return dt / (double)m * 1e9;
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

/* "engine|fair|value N M": one run of one queue, for profilers
 * (cachegrind, perf); prints the order hash so that profiles can be
 * checked to be of the same workload. */
static int profile_one(char **argv)
{
    size_t n = strtoul(argv[2], NULL, 10), m = strtoul(argv[3], NULL, 10);
    hold_out o;
    if (n > 0 && strcmp(argv[1], "engine") == 0)
        o = run_engine(n, m, 0, 0.0, false);
    else if (n > 0 && strcmp(argv[1], "engine-track") == 0)
        o = run_engine(n, m, 0, 0.0, true);
    else if (n > 0 && strcmp(argv[1], "fair") == 0)
        o = run_fair(n, m, 0);
    else if (n > 0 && strcmp(argv[1], "value") == 0)
        o = run_val(n, m, 0);
    else {
        fprintf(stderr,
                "usage: bench_hold [SCALE] | bench_hold engine|engine-track|fair|value N M\n");
        return 2;
    }
    printf("%s N=%zu M=%zu: %.2f M events/s, clock %.17g, hash %016" PRIx64 "\n",
           argv[1], n, m, o.rate / 1e6, o.clock, o.hash);
    return 0;
}

/* "median [min..max]" of v (sorted), in millions. */
static const char *fmt_rates(char buf[64], double v[RUNS])
{
    double md = median(v);
    snprintf(buf, 64, "%5.2f [%5.2f..%5.2f]", md / 1e6, v[0] / 1e6, v[RUNS - 1] / 1e6);
    return buf;
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
    printf("events per CPU-second (millions), median of %d runs [min..max], the four queues in\n"
           "rotating order; ratios: median of the per-run ratios [min..max].\n"
           "engine+pos: the engine after one reschedule (heap positions kept)\n\n", RUNS);
    printf("%-7s %-8s %-20s %-20s %-20s %-20s %-18s %-18s %s\n", "N", "M timed",
           "offsim engine", "engine+pos", "fair heap (16 B)", "by-value heap (32 B)",
           "engine/fair", "engine+pos/fair", "engine/by-value");
    enum { NQ = 4 };
    for (int k = 0; k < SIZES; k++) {
        double r[NQ][RUNS], rf[RUNS], rp[RUNS], rv[RUNS];
        for (int run = 0; run < RUNS; run++) {
            hold_out o[NQ];
            for (int j = 0; j < NQ; j++) { /* rotate the order: drift hits all */
                int q = (run + j) % NQ;
                o[q] = q == 0   ? run_engine(ns[k], ms[k], run, 0.0, false)
                       : q == 1 ? run_engine(ns[k], ms[k], run, 0.0, true)
                       : q == 2 ? run_fair(ns[k], ms[k], run)
                                : run_val(ns[k], ms[k], run);
            }
            for (int q = 1; q < NQ; q++)
                if (o[q].clock != o[0].clock || o[q].hash != o[0].hash) {
                    fprintf(stderr, "bench_hold: the queues diverged (clock %.17g vs %.17g)\n",
                            o[0].clock, o[q].clock);
                    return 1;
                }
            for (int q = 0; q < NQ; q++)
                r[q][run] = o[q].rate;
            rf[run] = o[0].rate / o[2].rate;
            rp[run] = o[1].rate / o[2].rate;
            rv[run] = o[0].rate / o[3].rate;
        }
        char s[7][64];
        for (int q = 0; q < NQ; q++)
            fmt_rates(s[q], r[q]);
        double mf = median(rf), mp = median(rp), mv = median(rv);
        snprintf(s[4], 64, "%.2fx [%.2f..%.2f]", mf, rf[0], rf[RUNS - 1]);
        snprintf(s[5], 64, "%.2fx [%.2f..%.2f]", mp, rp[0], rp[RUNS - 1]);
        snprintf(s[6], 64, "%.2fx [%.2f..%.2f]", mv, rv[0], rv[RUNS - 1]);
        printf("%-7zu %-8zu %-20s %-20s %-20s %-20s %-18s %-18s %s\n", ns[k], ms[k], s[0],
               s[1], s[2], s[3], s[4], s[5], s[6]);
        fflush(stdout);
    }

    printf("\nwith cancel churn (engine only; 10 %% of events also cancel a random\n"
           "pending event and schedule a replacement; fired events/s)\n");
    for (int k = 0; k < SIZES; k += 2) {
        double v[RUNS];
        size_t m = 2000000 / scale;
        for (int run = 0; run < RUNS; run++)
            v[run] = run_engine(ns[k], m, run, 0.10, false).rate;
        double me = median(v);
        printf("%-8zu %-10zu %5.2f [%5.2f..%5.2f]\n", ns[k], m, me / 1e6, v[0] / 1e6,
               v[RUNS - 1] / 1e6);
    }
    double d[RUNS];
    for (int run = 0; run < RUNS; run++)
        d[run] = draw_only_ns(ms[0], run);
    double md = median(d);
    printf("\nthe draw alone (Exp(1) on Philox and the order hash, no queue): %.1f ns\n"
           "per event [%.1f..%.1f], median of %d\n", md, d[0], d[RUNS - 1], RUNS);
    printf("\nall four queues fired identical event sequences (equal final clocks\n"
           "and equal hashes of every fired (time, chain))\n");
    printf("total wall time %.1f s\n", off_wall_seconds() - t_start);
    return 0;
}
