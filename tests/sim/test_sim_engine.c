/* test_sim_engine.c - the event engine: order, cancellation, re-entrancy,
 * run_until/stop, growth, and a randomized check against a reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "sim_engine.h"

/* Test hook defined in sim_engine.c (not part of the interface). */
#include "sim_engine_int.h"

/* ---- helpers ------------------------------------------------------------ */

/* A log of fired events: each handler appends its arg and the clock. */
typedef struct fire_log {
    uint64_t args[4096];
    double times[4096];
    size_t n;
} fire_log;

static void log_handler(sim_engine *e, void *ud, uint64_t arg)
{
    fire_log *log = ud;
    assert_true(log->n < 4096);
    log->args[log->n] = arg;
    log->times[log->n] = sim_engine_now(e);
    log->n++;
}

/* The same, for logs of any size: ud points at { args, times, n }. */
typedef struct log_ptr {
    uint64_t *args;
    double *times;
    size_t n;
} log_ptr;

static void log_ptr_handler(sim_engine *e, void *ud, uint64_t arg)
{
    log_ptr *log = ud;
    log->args[log->n] = arg;
    log->times[log->n] = sim_engine_now(e);
    log->n++;
}

static sim_engine *new_engine(size_t cap)
{
    sim_engine *e = NULL;
    off_err err;
    sim_engine_cfg cfg = { .initial_capacity = cap };
    assert_int_equal(sim_engine_new(&e, &cfg, &err), OFF_OK);
    assert_non_null(e);
    return e;
}

/* ---- basic behaviour ---------------------------------------------------- */

static void test_engine_new_starts_empty_at_time_zero(void **state)
{
    (void)state;
    sim_engine *e = NULL;
    assert_int_equal(sim_engine_new(&e, NULL, NULL), OFF_OK);
    assert_true(sim_engine_now(e) == 0.0);
    assert_int_equal(sim_engine_pending(e), 0);
    assert_int_equal(sim_engine_fired(e), 0);
    assert_true(isinf(sim_engine_next_time(e)));
    assert_false(sim_engine_step(e));
    assert_int_equal(sim_engine_run_until(e, INFINITY), 0);
    sim_engine_free(e);
    sim_engine_free(NULL); /* NULL-safe */
}

static void test_engine_new_rejects_capacity_above_limit(void **state)
{
    (void)state;
#if SIZE_MAX > UINT32_MAX
    sim_engine *e = (sim_engine *)&e; /* must be reset to NULL */
    off_err err;
    sim_engine_cfg cfg = { .initial_capacity = (size_t)UINT32_MAX + 1 };
    assert_int_equal(sim_engine_new(&e, &cfg, &err), OFF_EINVAL);
    assert_null(e);
    assert_int_equal(err.status, OFF_EINVAL);
    assert_non_null(strstr(err.msg, "capacity"));
#endif
}

static void test_engine_fires_in_time_order(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    const double t[] = { 5.0, 1.0, 3.0, 2.0, 4.0, 0.5 };
    for (size_t i = 0; i < 6; i++)
        assert_int_not_equal(sim_engine_schedule(e, t[i], log_handler, &log, i), 0);
    assert_true(sim_engine_next_time(e) == 0.5);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 6);
    const uint64_t want[] = { 5, 1, 3, 2, 4, 0 };
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(log.args[i], want[i]);
    assert_true(sim_engine_now(e) == 5.0);
    sim_engine_free(e);
}

static void test_engine_ties_fire_in_insertion_order(void **state)
{
    (void)state;
    sim_engine *e = new_engine(4); /* ties across heap growth too */
    fire_log log = { .n = 0 };
    for (uint64_t i = 0; i < 100; i++) /* interleave two tied times */
        sim_engine_schedule(e, (i % 2) ? 2.0 : 1.0, log_handler, &log, i);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 100);
    for (size_t i = 0; i < 50; i++) {
        assert_int_equal(log.args[i], 2 * i);          /* t = 1, in order */
        assert_int_equal(log.args[50 + i], 2 * i + 1); /* t = 2, in order */
    }
    sim_engine_free(e);
}

static void test_engine_schedule_in_is_relative_to_now(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_engine_schedule(e, 10.0, log_handler, &log, 0);
    sim_engine_step(e);
    sim_engine_schedule_in(e, 2.5, log_handler, &log, 1);
    assert_true(sim_engine_next_time(e) == 12.5);
    sim_engine_free(e);
}

static void test_engine_past_times_are_clamped_to_now(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_engine_schedule(e, 3.0, log_handler, &log, 0);
    sim_engine_step(e);
    sim_engine_schedule(e, 1.0, log_handler, &log, 1);       /* past */
    sim_engine_schedule_in(e, -2.0, log_handler, &log, 2);   /* negative delay */
    sim_engine_schedule(e, -INFINITY, log_handler, &log, 3); /* far past */
    assert_true(sim_engine_next_time(e) == 3.0);
    sim_engine_run_until(e, INFINITY);
    assert_int_equal(log.n, 4);
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(log.args[i], i); /* clamped events keep insertion order */
        assert_true(log.times[i] == 3.0);
    }
    /* -0.0 at time 0 is clamped to +0.0 and orders with the other zeros */
    sim_engine *z = new_engine(0);
    fire_log zl = { .n = 0 };
    sim_engine_schedule(z, 0.0, log_handler, &zl, 0);
    sim_engine_schedule(z, -0.0, log_handler, &zl, 1);
    sim_engine_schedule(z, 1e-300, log_handler, &zl, 2);
    sim_engine_run_until(z, INFINITY);
    assert_int_equal(zl.args[0], 0);
    assert_int_equal(zl.args[1], 1);
    assert_int_equal(zl.args[2], 2);
    assert_false(signbit(zl.times[1]));
    sim_engine_free(z);
    sim_engine_free(e);
}

static void test_engine_nan_time_and_null_handler_are_rejected(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_engine_schedule(e, 2.0, log_handler, &log, 7);
    assert_int_equal(sim_engine_schedule(e, NAN, log_handler, &log, 0), 0);
    assert_int_equal(sim_engine_schedule_in(e, NAN, log_handler, &log, 0), 0);
    assert_int_equal(sim_engine_schedule(e, 1.0, NULL, &log, 0), 0);
    assert_int_equal(sim_engine_pending(e), 1);
    assert_true(sim_engine_next_time(e) == 2.0);
    assert_int_equal(sim_engine_run_until(e, NAN), 0); /* NaN bound fires nothing */
    assert_int_equal(sim_engine_run_until(e, INFINITY), 1);
    assert_int_equal(log.args[0], 7);
    sim_engine_free(e);
}

static void test_engine_infinite_time_fires_only_when_running_to_empty(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_engine_schedule(e, INFINITY, log_handler, &log, 1);
    sim_engine_schedule(e, 1e300, log_handler, &log, 0);
    assert_int_equal(sim_engine_run_until(e, 1e308), 1);
    assert_int_equal(sim_engine_pending(e), 1);
    assert_true(isinf(sim_engine_next_time(e)));
    assert_int_equal(sim_engine_run_until(e, INFINITY), 1);
    assert_int_equal(log.args[1], 1);
    sim_engine_free(e);
}

/* The heap compares the bit patterns of the times as unsigned integers:
 * check that they order like the times across the whole range (zero,
 * subnormals, neighbours across an exponent step, the largest double,
 * infinity), that equal times keep insertion order, and that NaN is
 * rejected by both schedule and reschedule.  Enough events (5000, over the
 * heap size from which sift_down prefetches) that every sift path runs. */
static double t_of_limits[5001];

/* (time, insertion index) order of the events of the test below. */
static int cmp_by_time_then_index(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    double ta = t_of_limits[a], tb = t_of_limits[b];
    return ta < tb ? -1 : ta > tb ? 1 : a < b ? -1 : a > b;
}

static void test_engine_time_bits_order_like_times_at_the_limits(void **state)
{
    (void)state;
    static const double special[] = {
        0.0, 4.9406564584124654e-324 /* least subnormal */, 2.2250738585072009e-308,
        2.2250738585072014e-308 /* least normal */, 0.99999999999999989, 1.0,
        1.0000000000000002, 1.7976931348623157e308 /* DBL_MAX */, INFINITY,
    };
    enum { NS = sizeof special / sizeof special[0], N = 5000 };
    static uint64_t fired[N + 1], want[N + 1];
    static double when[N + 1];
    log_ptr log = { fired, when, 0 };
    sim_engine *e = new_engine(8);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (uint64_t i = 0; i < N; i++) {
        t_of_limits[i] = special[gsl_rng_uniform_int(r, NS)];
        assert_int_not_equal(sim_engine_schedule(e, t_of_limits[i], log_ptr_handler, &log, i), 0);
    }
    assert_int_equal(sim_engine_schedule(e, NAN, log_ptr_handler, &log, N), 0);
    /* the last event: scheduled at 2.0, moved to 1.0, so it follows every
     * other event at 1.0 */
    t_of_limits[N] = 1.0;
    sim_event_id last = sim_engine_schedule(e, 2.0, log_ptr_handler, &log, N);
    assert_false(sim_engine_reschedule(e, last, NAN));
    assert_true(sim_engine_reschedule(e, last, 1.0));
    assert_int_equal(sim_engine_pending(e), N + 1);
    assert_true(sim_engine_next_time(e) == 0.0);
    assert_int_equal(sim_engine_run_until(e, INFINITY), N + 1);
    for (uint64_t i = 0; i <= N; i++)
        want[i] = i;
    qsort(want, N + 1, sizeof want[0], cmp_by_time_then_index);
    for (size_t k = 0; k <= N; k++) {
        assert_int_equal(fired[k], want[k]);
        assert_true(when[k] == t_of_limits[want[k]]);
    }
    gsl_rng_free(r);
    sim_engine_free(e);
}

/* ---- cancellation ------------------------------------------------------- */

static void test_engine_cancel_pending_event_prevents_firing(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_event_id a = sim_engine_schedule(e, 1.0, log_handler, &log, 1);
    sim_event_id b = sim_engine_schedule(e, 2.0, log_handler, &log, 2);
    sim_event_id c = sim_engine_schedule(e, 3.0, log_handler, &log, 3);
    assert_true(a != b && b != c && a != 0);
    assert_true(sim_engine_cancel(e, b));
    assert_int_equal(sim_engine_pending(e), 2);
    assert_true(sim_engine_cancel(e, a)); /* the next event */
    assert_true(sim_engine_next_time(e) == 3.0);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 1);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.args[0], 3);
    sim_engine_free(e);
}

/* Two engines, one moving an event with reschedule and one with cancel +
 * schedule, fire the same events in the same order, ties included. */
static void test_engine_reschedule_orders_like_cancel_and_schedule(void **state)
{
    (void)state;
    sim_engine *a = new_engine(0), *b = new_engine(0);
    fire_log la = { .n = 0 }, lb = { .n = 0 };
    sim_event_id ia[6], ib[6];
    const double t0[6] = { 1.0, 2.0, 2.0, 3.0, 5.0, 2.0 };
    for (int k = 0; k < 6; k++) {
        ia[k] = sim_engine_schedule(a, t0[k], log_handler, &la, (uint64_t)k);
        ib[k] = sim_engine_schedule(b, t0[k], log_handler, &lb, (uint64_t)k);
    }
    /* to a tie (goes after the events already at 2.0), later, earlier,
     * to the root, and the same time again (goes behind its ties) */
    const int which[5] = { 0, 1, 4, 3, 5 };
    const double to[5] = { 2.0, 4.0, 0.5, 0.25, 2.0 };
    for (int k = 0; k < 5; k++) {
        assert_true(sim_engine_reschedule(a, ia[which[k]], to[k]));
        assert_true(sim_engine_cancel(b, ib[which[k]]));
        ib[which[k]] = sim_engine_schedule(b, to[k], log_handler, &lb, (uint64_t)which[k]);
    }
    assert_int_equal(sim_engine_pending(a), 6);
    assert_true(sim_engine_next_time(a) == 0.25);
    assert_int_equal(sim_engine_run_until(a, INFINITY), 6);
    assert_int_equal(sim_engine_run_until(b, INFINITY), 6);
    assert_int_equal(la.n, lb.n);
    for (size_t k = 0; k < la.n; k++) {
        assert_int_equal(la.args[k], lb.args[k]);
        assert_true(la.times[k] == lb.times[k]);
    }
    sim_engine_free(a);
    sim_engine_free(b);
}

static void test_engine_reschedule_of_fired_cancelled_or_zero_id_returns_false(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_event_id a = sim_engine_schedule(e, 1.0, log_handler, &log, 1);
    sim_event_id b = sim_engine_schedule(e, 2.0, log_handler, &log, 2);
    sim_event_id c = sim_engine_schedule(e, 3.0, log_handler, &log, 3);
    assert_true(sim_engine_step(e));
    assert_false(sim_engine_reschedule(e, a, 5.0)); /* already fired */
    assert_true(sim_engine_cancel(e, b));
    assert_false(sim_engine_reschedule(e, b, 5.0)); /* cancelled */
    assert_false(sim_engine_reschedule(e, 0, 5.0));
    assert_false(sim_engine_reschedule(e, c, NAN));
    assert_true(sim_engine_reschedule(e, c, 0.0)); /* the past: clamped to now */
    assert_true(sim_engine_next_time(e) == 1.0);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 1);
    assert_int_equal(log.args[1], 3);
    assert_true(log.times[1] == 1.0);
    sim_engine_free(e);
}

static void test_engine_cancel_fired_twice_or_zero_id_returns_false(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_event_id a = sim_engine_schedule(e, 1.0, log_handler, &log, 1);
    sim_event_id b = sim_engine_schedule(e, 2.0, log_handler, &log, 2);
    assert_true(sim_engine_step(e));
    assert_false(sim_engine_cancel(e, a)); /* already fired */
    assert_true(sim_engine_cancel(e, b));
    assert_false(sim_engine_cancel(e, b)); /* double cancel */
    assert_false(sim_engine_cancel(e, 0));
    assert_false(sim_engine_cancel(e, UINT64_MAX)); /* garbage */
    assert_false(sim_engine_cancel(e, ((uint64_t)1 << 32) | 123456));
    assert_int_equal(sim_engine_pending(e), 0);
    assert_int_equal(sim_engine_fired(e), 1);
    sim_engine_free(e);
}

static void test_engine_stale_id_does_not_cancel_a_reused_record(void **state)
{
    (void)state;
    sim_engine *e = new_engine(1);
    fire_log log = { .n = 0 };
    sim_event_id old = sim_engine_schedule(e, 1.0, log_handler, &log, 1);
    sim_engine_step(e);
    sim_event_id fresh = sim_engine_schedule(e, 2.0, log_handler, &log, 2);
    assert_true(fresh != old);
    assert_int_equal((uint32_t)fresh, (uint32_t)old); /* same record reused */
    assert_false(sim_engine_cancel(e, old));
    assert_int_equal(sim_engine_pending(e), 1);
    sim_event_id cancelled = fresh;
    assert_true(sim_engine_cancel(e, cancelled));
    sim_event_id again = sim_engine_schedule(e, 3.0, log_handler, &log, 3);
    assert_false(sim_engine_cancel(e, cancelled));
    assert_false(sim_engine_cancel(e, old));
    assert_int_equal(sim_engine_run_until(e, INFINITY), 1);
    assert_int_equal(log.args[1], 3);
    (void)again;
    sim_engine_free(e);
}

/* Re-entrant handlers: a context the handlers share. */
typedef struct reent {
    fire_log log;
    sim_event_id ids[8];
    bool results[8];
    sim_event_id self;
} reent;

static void cancel_others_handler(sim_engine *e, void *ud, uint64_t arg)
{
    reent *r = ud;
    log_handler(e, &r->log, arg);
    r->results[0] = sim_engine_cancel(e, r->ids[1]); /* same time, later seq */
    r->results[1] = sim_engine_cancel(e, r->ids[2]); /* later time */
    r->results[2] = sim_engine_cancel(e, r->self);   /* itself: already fired */
}

static void test_engine_handler_can_cancel_events_at_current_and_later_times(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    reent r = { .log.n = 0 };
    r.ids[0] = sim_engine_schedule(e, 1.0, cancel_others_handler, &r, 0);
    r.self = r.ids[0];
    r.ids[1] = sim_engine_schedule(e, 1.0, log_handler, &r.log, 1);
    r.ids[2] = sim_engine_schedule(e, 2.0, log_handler, &r.log, 2);
    r.ids[3] = sim_engine_schedule(e, 1.0, log_handler, &r.log, 3);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 2);
    assert_true(r.results[0]);
    assert_true(r.results[1]);
    assert_false(r.results[2]);
    assert_int_equal(r.log.n, 2);
    assert_int_equal(r.log.args[0], 0);
    assert_int_equal(r.log.args[1], 3);
    assert_int_equal(sim_engine_pending(e), 0);
    sim_engine_free(e);
}

/* While a heap event's handler runs, its place at the root is empty until
 * the handler schedules (or the handler returns): everything a handler can
 * ask or do in that state.  arg selects what the probe does at t = 1 with
 * B (t = 2), C (t = 3) and D (t = 2, after B) pending. */
enum { PROBE_ASK, PROBE_SCHEDULE_THEN_ASK, PROBE_CANCEL_NEXT, PROBE_RESCHEDULE_NEXT,
       PROBE_NESTED_STEP, PROBE_SCHEDULE_TWO };

static void probe_handler(sim_engine *e, void *ud, uint64_t arg)
{
    reent *r = ud;
    log_handler(e, &r->log, 100 + arg);
    switch (arg) {
    case PROBE_ASK: /* the fired event is gone, the next is B */
        assert_int_equal(sim_engine_pending(e), 40 + 3); /* 40 fillers */
        assert_true(sim_engine_next_time(e) == 2.0);
        break;
    case PROBE_SCHEDULE_THEN_ASK: /* the new event fills the root's place */
        r->ids[4] = sim_engine_schedule(e, 1.5, log_handler, &r->log, 4);
        assert_int_equal(sim_engine_pending(e), 40 + 4);
        assert_true(sim_engine_next_time(e) == 1.5);
        break;
    case PROBE_CANCEL_NEXT: /* B is a child of the empty root */
        r->results[0] = sim_engine_cancel(e, r->ids[1]);
        assert_true(sim_engine_next_time(e) == 2.0); /* D */
        r->ids[4] = sim_engine_schedule(e, 2.5, log_handler, &r->log, 4);
        break;
    case PROBE_RESCHEDULE_NEXT: /* B moves after C */
        r->results[0] = sim_engine_reschedule(e, r->ids[1], 3.0);
        break;
    case PROBE_NESTED_STEP: /* fires B from inside the probe */
        r->results[0] = sim_engine_step(e);
        assert_true(sim_engine_now(e) == 2.0);
        r->ids[4] = sim_engine_schedule(e, 2.0, log_handler, &r->log, 4);
        break;
    case PROBE_SCHEDULE_TWO: /* the first fills the root, the second sifts up */
        r->ids[4] = sim_engine_schedule(e, 4.0, log_handler, &r->log, 4);
        r->ids[5] = sim_engine_schedule(e, 1.25, log_handler, &r->log, 5);
        assert_true(sim_engine_next_time(e) == 1.25);
        break;
    }
}

static void test_engine_handler_sees_a_consistent_queue_while_its_event_is_out(void **state)
{
    (void)state;
    /* the order each probe must produce (100 + probe = the probe itself;
     * 1 = B, 2 = C, 3 = D, 4 and 5 = events the probe scheduled) */
    static const uint64_t want[][6] = {
        [PROBE_ASK] = { 100, 1, 3, 2 },
        [PROBE_SCHEDULE_THEN_ASK] = { 101, 4, 1, 3, 2 },
        [PROBE_CANCEL_NEXT] = { 102, 3, 4, 2 },
        [PROBE_RESCHEDULE_NEXT] = { 103, 3, 2, 1 },
        [PROBE_NESTED_STEP] = { 104, 1, 3, 4, 2 },
        [PROBE_SCHEDULE_TWO] = { 105, 5, 1, 3, 2, 4 },
    };
    static const size_t nwant[] = { 4, 5, 4, 4, 5, 6 };
    for (uint64_t probe = PROBE_ASK; probe <= PROBE_SCHEDULE_TWO; probe++) {
        sim_engine *e = new_engine(0);
        reent r = { .log.n = 0 };
        /* fillers keep the heap several levels deep */
        fire_log filler = { .n = 0 };
        for (uint64_t k = 0; k < 40; k++)
            sim_engine_schedule(e, 10.0 + (double)k, log_handler, &filler, k);
        r.ids[0] = sim_engine_schedule(e, 1.0, probe_handler, &r, probe);
        r.ids[1] = sim_engine_schedule(e, 2.0, log_handler, &r.log, 1);
        r.ids[2] = sim_engine_schedule(e, 3.0, log_handler, &r.log, 2);
        r.ids[3] = sim_engine_schedule(e, 2.0, log_handler, &r.log, 3);
        assert_int_equal(sim_engine_run_until(e, 9.0), nwant[probe]); /* nested step included */
        assert_int_equal(r.log.n, nwant[probe]);
        for (size_t k = 0; k < nwant[probe]; k++)
            assert_int_equal(r.log.args[k], want[probe][k]);
        if (probe == PROBE_CANCEL_NEXT || probe == PROBE_RESCHEDULE_NEXT ||
            probe == PROBE_NESTED_STEP)
            assert_true(r.results[0]);
        assert_int_equal(sim_engine_pending(e), 40);
        assert_int_equal(sim_engine_run_until(e, INFINITY), 40);
        sim_engine_free(e);
    }
}

static void schedule_now_handler(sim_engine *e, void *ud, uint64_t arg)
{
    reent *r = ud;
    log_handler(e, &r->log, arg);
    if (arg == 0) { /* at the current time: after everything already at now */
        sim_engine_schedule(e, sim_engine_now(e), log_handler, &r->log, 10);
        sim_engine_schedule_in(e, 0.0, log_handler, &r->log, 11);
        sim_engine_schedule(e, 0.5, log_handler, &r->log, 12); /* past: clamped */
    }
}

static void test_engine_handler_can_schedule_at_current_time(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    reent r = { .log.n = 0 };
    sim_engine_schedule(e, 1.0, schedule_now_handler, &r, 0);
    sim_engine_schedule(e, 1.0, log_handler, &r.log, 1);
    sim_engine_schedule(e, 1.5, log_handler, &r.log, 2);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 6);
    const uint64_t want[] = { 0, 1, 10, 11, 12, 2 };
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(r.log.args[i], want[i]);
    for (size_t i = 0; i < 5; i++)
        assert_true(r.log.times[i] == 1.0);
    sim_engine_free(e);
}

static void test_engine_next_time_skips_cancelled_events(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    sim_event_id ids[10];
    for (uint64_t i = 0; i < 10; i++)
        ids[i] = sim_engine_schedule(e, (double)i, log_handler, &log, i);
    for (size_t i = 0; i < 9; i += 2)
        assert_true(sim_engine_cancel(e, ids[i]));
    assert_true(sim_engine_next_time(e) == 1.0);
    assert_true(sim_engine_cancel(e, ids[1]));
    assert_true(sim_engine_next_time(e) == 3.0);
    assert_int_equal(sim_engine_pending(e), 4);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 4);
    assert_int_equal(log.args[0], 3);
    assert_int_equal(log.args[3], 9);
    sim_engine_free(e);
}

static void test_engine_mass_cancel_keeps_order_and_counts(void **state)
{
    (void)state;
    sim_engine *e = new_engine(16);
    fire_log log = { .n = 0 };
    enum { K = 3000 };
    static sim_event_id ids[K];
    for (uint64_t i = 0; i < K; i++) /* reversed times, some ties */
        ids[i] = sim_engine_schedule(e, (double)((K - i) / 3), log_handler, &log, i);
    size_t live = K;
    for (size_t i = 0; i < K; i++) /* cancel all but every tenth */
        if (i % 10 != 0) {
            assert_true(sim_engine_cancel(e, ids[i]));
            live--;
            assert_int_equal(sim_engine_pending(e), live);
        }
    for (size_t i = 0; i < K; i++) /* cancelling again is a no-op */
        if (i % 10 != 0)
            assert_false(sim_engine_cancel(e, ids[i]));
    assert_int_equal(sim_engine_pending(e), K / 10);
    assert_int_equal(sim_engine_run_until(e, INFINITY), K / 10);
    for (size_t i = 1; i < log.n; i++) { /* (time, seq) order */
        assert_true(log.times[i - 1] <= log.times[i]);
        if (log.times[i - 1] == log.times[i])
            assert_true(log.args[i - 1] < log.args[i]);
    }
    sim_engine_free(e);
}

/* ---- run_until and stop ------------------------------------------------- */

static void test_engine_run_until_stops_at_t_end_and_leaves_later_events(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    for (uint64_t i = 1; i <= 10; i++)
        sim_engine_schedule(e, (double)i, log_handler, &log, i);
    assert_int_equal(sim_engine_run_until(e, 4.0), 4); /* t_end inclusive */
    assert_true(sim_engine_now(e) == 4.0);
    assert_int_equal(sim_engine_pending(e), 6);
    assert_true(sim_engine_next_time(e) == 5.0);
    assert_int_equal(sim_engine_run_until(e, 4.5), 0);
    assert_true(sim_engine_now(e) == 4.0); /* clock at the last fired event */
    assert_int_equal(sim_engine_run_until(e, INFINITY), 6);
    assert_int_equal(sim_engine_fired(e), 10);
    assert_int_equal(sim_engine_pending(e), 0);
    sim_engine_free(e);
}

static void stopping_handler(sim_engine *e, void *ud, uint64_t arg)
{
    log_handler(e, ud, arg);
    if (arg == 3)
        sim_engine_stop(e);
}

static void test_engine_stop_returns_after_current_handler(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    fire_log log = { .n = 0 };
    for (uint64_t i = 1; i <= 6; i++)
        sim_engine_schedule(e, 1.0, stopping_handler, &log, i);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 3);
    assert_int_equal(log.args[2], 3);
    assert_int_equal(sim_engine_pending(e), 3);
    /* the stop applied to that run only: the next run continues */
    assert_int_equal(sim_engine_run_until(e, INFINITY), 3);
    assert_int_equal(log.args[5], 6);
    sim_engine_free(e);
}

/* Handler that reschedules itself at a pseudo-random later time. */
static void chain_handler(sim_engine *e, void *ud, uint64_t arg)
{
    double *last = ud;
    assert_true(sim_engine_now(e) >= *last);
    *last = sim_engine_now(e);
    uint64_t x = arg * 6364136223846793005ULL + 1442695040888963407ULL;
    double dt = (double)(x >> 40) / (double)(1 << 24) * ((x & 7) ? 1.0 : 0.0);
    sim_engine_schedule_in(e, dt, chain_handler, ud, x);
}

static void test_engine_clock_is_monotonic(void **state)
{
    (void)state;
    sim_engine *e = new_engine(0);
    double last = 0.0;
    for (uint64_t i = 0; i < 200; i++)
        sim_engine_schedule(e, (double)(i % 17), chain_handler, &last, i + 1);
    for (int i = 0; i < 20000; i++) {
        double before = sim_engine_now(e);
        double next = sim_engine_next_time(e);
        assert_true(next >= before);
        assert_true(sim_engine_step(e));
        assert_true(sim_engine_now(e) == next);
    }
    assert_int_equal(sim_engine_pending(e), 200);
    sim_engine_free(e);
}

/* ---- growth and memory reuse ------------------------------------------- */

static void counting_handler(sim_engine *e, void *ud, uint64_t arg)
{
    (void)e;
    uint64_t *sum = ud;
    *sum += arg;
}

static void test_engine_grows_past_initial_capacity(void **state)
{
    (void)state;
    sim_engine *e = new_engine(1);
    uint64_t sum = 0;
    enum { K = 100000 };
    for (uint64_t i = 0; i < K; i++)
        assert_int_not_equal(sim_engine_schedule(e, (double)((i * 7919) % K), counting_handler, &sum, i), 0);
    assert_int_equal(sim_engine_pending(e), K);
    double prev = -1.0;
    for (uint64_t i = 0; i < K; i++) {
        assert_true(sim_engine_next_time(e) == (double)i); /* all times 0..K-1 once */
        assert_true(sim_engine_next_time(e) > prev);
        prev = sim_engine_next_time(e);
        assert_true(sim_engine_step(e));
    }
    assert_int_equal(sum, (uint64_t)K * (K - 1) / 2);
    sim_engine_free(e);
}

/* The hold model: each event reschedules itself at now + Exp(1) and keeps
 * its current id in ids[arg], so a cancel-and-replace keeps N pending. */
typedef struct hold_ctx {
    gsl_rng *r;
    sim_event_id *ids;
} hold_ctx;

static void hold_handler(sim_engine *e, void *ud, uint64_t arg)
{
    hold_ctx *h = ud;
    h->ids[arg] = sim_engine_schedule_in(e, -log(gsl_rng_uniform_pos(h->r)),
                                         hold_handler, ud, arg);
}

/* steps plain hold steps, then churn steps that each also cancel a random
 * pending event and replace it; N stays pending throughout. */
static void hold_phase(sim_engine *e, hold_ctx *h, size_t n, int steps, int churn)
{
    for (int i = 0; i < steps; i++) {
        assert_true(sim_engine_step(e));
        if (i % 1000 == 0)
            assert_int_equal(sim_engine_pending(e), n);
    }
    for (int i = 0; i < churn; i++) {
        assert_true(sim_engine_step(e));
        size_t j = gsl_rng_uniform_int(h->r, n);
        assert_true(sim_engine_cancel(e, h->ids[j]));
        h->ids[j] = sim_engine_schedule_in(e, 1.0, hold_handler, h, j);
        assert_int_not_equal(h->ids[j], 0);
        assert_int_equal(sim_engine_pending(e), n);
    }
}

static void test_engine_hold_loop_reuses_memory(void **state)
{
    (void)state;
    enum { N = 1000 };
    static sim_event_id ids[N];
    hold_ctx h = { gsl_rng_alloc(gsl_rng_mt19937), ids };
    gsl_rng_set(h.r, 7);
    sim_engine *e = new_engine(16); /* must grow, then stay */
    for (uint64_t i = 0; i < N; i++)
        ids[i] = sim_engine_schedule(e, gsl_rng_uniform(h.r), hold_handler, &h, i);
    hold_phase(e, &h, N, 20 * N, 20 * N); /* warm-up: reach the high-water mark */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 before = mallinfo2();
#endif
    hold_phase(e, &h, N, 200 * N, 100 * N);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 after = mallinfo2();
    /* steady state allocates nothing (0 == 0 trivially under ASan) */
    assert_int_equal(after.uordblks, before.uordblks); /* arena bytes */
    assert_int_equal(after.hblkhd, before.hblkhd);     /* mmap'd bytes */
#endif
    sim_engine_free(e);
    gsl_rng_free(h.r);
}

/* ---- randomized check against a reference ------------------------------ */

/* The reference: a flat array of events; pop = linear scan for the least
 * (t, seq).  Handlers call the same ops on both, so re-entrant schedules and
 * cancels (including ties at the current time) are covered. */
typedef struct ref_ev {
    double t;
    uint64_t seq;
    uint64_t tag;
    sim_event_id id;
} ref_ev;

typedef struct fuzz {
    sim_engine *e;
    gsl_rng *r;
    ref_ev *ev;
    size_t n, cap;
    uint64_t seq, tag;
    double now;
    sim_event_id *ids; /* every id ever issued (for stale cancels) */
    size_t nids, ids_cap;
    uint64_t expect_tag; /* tag the engine must fire next */
    bool in_step;
    bool resched; /* also move pending events with sim_engine_reschedule */
    bool batch;   /* also schedule batches (sim_engine_schedule_batch) */
} fuzz;

static void fuzz_handler(sim_engine *e, void *ud, uint64_t arg);
static void fuzz_add(fuzz *f, double t, uint64_t tag, sim_event_id id);

static double fuzz_time(fuzz *f)
{
    double u = gsl_rng_uniform(f->r);
    if (u < 0.05)
        return f->now - 1.0; /* past: clamped */
    if (u < 0.25)
        return f->now; /* tie with the current time */
    return f->now + (double)gsl_rng_uniform_int(f->r, 12) * 0.25; /* many ties */
}

static void fuzz_schedule(fuzz *f)
{
    double t = fuzz_time(f);
    uint64_t tag = ++f->tag;
    sim_event_id id = sim_engine_schedule(f->e, t, fuzz_handler, f, tag);
    assert_int_not_equal(id, 0);
    fuzz_add(f, t, tag, id);
    if (f->nids == f->ids_cap) {
        f->ids_cap = f->ids_cap ? 2 * f->ids_cap : 64;
        f->ids = realloc(f->ids, f->ids_cap * sizeof *f->ids);
        assert_non_null(f->ids);
    }
    f->ids[f->nids++] = id;
}

/* The reference's entry for a scheduled event (id 0: one of a batch). */
static void fuzz_add(fuzz *f, double t, uint64_t tag, sim_event_id id)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->ev = realloc(f->ev, f->cap * sizeof *f->ev);
        assert_non_null(f->ev);
    }
    f->ev[f->n++] = (ref_ev){ t < f->now ? f->now : t, f->seq++, tag, id };
}

/* A batch of 0..max events (max <= 48; above 32 the engine radix-sorts
 * them): the reference gives them consecutive sequence numbers, as
 * schedules would. */
static void fuzz_batch(fuzz *f, size_t max)
{
    size_t k = gsl_rng_uniform_int(f->r, max + 1);
    sim_batch_ev ev[48];
    for (size_t i = 0; i < k; i++)
        ev[i] = (sim_batch_ev){ fuzz_time(f), ++f->tag };
    assert_true(sim_engine_schedule_batch(f->e, ev, k, fuzz_handler, f));
    for (size_t i = 0; i < k; i++)
        fuzz_add(f, ev[i].t, ev[i].arg, 0);
}

/* Batched events have no ids: 0 never cancels or moves one. */
static void fuzz_cancel_id(fuzz *f, sim_event_id id)
{
    bool want = false;
    for (size_t i = 0; id != 0 && i < f->n; i++)
        if (f->ev[i].id == id) {
            f->ev[i] = f->ev[--f->n];
            want = true;
            break;
        }
    assert_int_equal(sim_engine_cancel(f->e, id), want);
}

static void fuzz_cancel(fuzz *f)
{
    double u = gsl_rng_uniform(f->r);
    if (u < 0.05 || f->nids == 0)
        fuzz_cancel_id(f, 0);
    else if (u < 0.6 && f->n > 0) /* a pending one */
        fuzz_cancel_id(f, f->ev[gsl_rng_uniform_int(f->r, f->n)].id);
    else /* any id ever issued: often stale */
        fuzz_cancel_id(f, f->ids[gsl_rng_uniform_int(f->r, f->nids)]);
}

/* Move a pending event (or try a stale or zero id) to a new time; the
 * reference gives it the next sequence number, as cancel + schedule would. */
static void fuzz_reschedule(fuzz *f)
{
    double u = gsl_rng_uniform(f->r);
    sim_event_id id = 0;
    if (u < 0.7 && f->n > 0)
        id = f->ev[gsl_rng_uniform_int(f->r, f->n)].id;
    else if (u < 0.95 && f->nids > 0)
        id = f->ids[gsl_rng_uniform_int(f->r, f->nids)];
    double t = fuzz_time(f);
    bool want = false;
    for (size_t i = 0; id != 0 && i < f->n; i++)
        if (f->ev[i].id == id) {
            f->ev[i].t = t < f->now ? f->now : t;
            f->ev[i].seq = f->seq++;
            want = true;
            break;
        }
    assert_int_equal(sim_engine_reschedule(f->e, id, t), want);
}

static void fuzz_check(fuzz *f)
{
    assert_int_equal(sim_engine_pending(f->e), f->n);
    assert_true(sim_engine_now(f->e) == f->now);
    double next = INFINITY;
    for (size_t i = 0; i < f->n; i++)
        if (f->ev[i].t < next)
            next = f->ev[i].t;
    assert_true(sim_engine_next_time(f->e) == next);
}

/* The reference's next event. */
static size_t fuzz_next(const fuzz *f)
{
    size_t m = 0;
    for (size_t i = 1; i < f->n; i++)
        if (f->ev[i].t < f->ev[m].t ||
            (f->ev[i].t == f->ev[m].t && f->ev[i].seq < f->ev[m].seq))
            m = i;
    return m;
}

/* Outside a handler, peek names the next event exactly. */
static void fuzz_check_peek(fuzz *f)
{
    sim_handler *fn = NULL;
    uint64_t arg = 0;
    assert_int_equal(sim_engine_peek(f->e, &fn, &arg), f->n > 0);
    if (f->n > 0) {
        assert_ptr_equal(fn, fuzz_handler);
        assert_int_equal(arg, f->ev[fuzz_next(f)].tag);
    }
}

static void fuzz_step(fuzz *f)
{
    if (f->n == 0) {
        assert_false(sim_engine_step(f->e));
        return;
    }
    size_t m = fuzz_next(f);
    f->expect_tag = f->ev[m].tag;
    f->now = f->ev[m].t;
    f->ev[m] = f->ev[--f->n];
    f->in_step = true;
    assert_true(sim_engine_step(f->e));
    assert_false(f->in_step); /* the handler ran */
}

static void fuzz_handler(sim_engine *e, void *ud, uint64_t arg)
{
    fuzz *f = ud;
    assert_true(f->in_step);
    f->in_step = false;
    assert_int_equal(arg, f->expect_tag);
    assert_true(sim_engine_now(e) == f->now);
    if (gsl_rng_uniform(f->r) < 0.2) /* ask before the fired event's place is refilled */
        fuzz_check(f);
    double u = gsl_rng_uniform(f->r);
    if (u < 0.3)
        fuzz_schedule(f);
    else if (u < 0.4)
        fuzz_cancel(f);
    else if (u < 0.45) {
        fuzz_schedule(f);
        fuzz_cancel(f);
    } else if (f->resched && u < 0.6) {
        fuzz_reschedule(f);
    } else if (f->batch && u >= 0.6 && u < 0.65) { /* small: each may batch again */
        fuzz_batch(f, 6);
    } else if (u < 0.7) { /* the first fills the fired event's place */
        fuzz_schedule(f);
        fuzz_schedule(f);
    }
    fuzz_check(f);
}

/* prefill: events scheduled before the random operations (a large heap). */
static void fuzz_run(unsigned long seed, size_t ops, uint64_t seq_limit, bool resched,
                     size_t prefill, bool batch)
{
    fuzz f;
    memset(&f, 0, sizeof f);
    f.resched = resched;
    f.batch = batch;
    f.e = new_engine(1 + seed % 8);
    if (seq_limit)
        sim_engine_test_set_seq_limit(f.e, seq_limit);
    f.r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(f.r, seed);
    for (size_t k = 0; k < prefill; k++)
        fuzz_schedule(&f);
    for (size_t k = 0; k < ops; k++) {
        double u = gsl_rng_uniform(f.r);
        /* phases: growing, shrinking, balanced */
        double p_sched = (k / 1000) % 3 == 0 ? 0.6 : (k / 1000) % 3 == 1 ? 0.25 : 0.4;
        if (u < p_sched)
            fuzz_schedule(&f);
        else if (u < p_sched + 0.15)
            fuzz_cancel(&f);
        else if (u < p_sched + 0.16) { /* mass cancel: forces compaction */
            /* (bounded: a batched event's id 0 cancels nothing) */
            for (size_t tries = 4 * f.n + 100; f.n > 3 && tries > 0; tries--)
                fuzz_cancel_id(&f, f.ev[gsl_rng_uniform_int(f.r, f.n)].id);
        } else if (resched && u < p_sched + 0.36)
            fuzz_reschedule(&f);
        else if (batch && u < p_sched + 0.20)
            fuzz_batch(&f, 48);
        else
            fuzz_step(&f);
        fuzz_check(&f);
        fuzz_check_peek(&f);
    }
    while (f.n > 0) {
        fuzz_step(&f);
        fuzz_check(&f);
    }
    assert_false(sim_engine_step(f.e));
    sim_engine_free(f.e);
    gsl_rng_free(f.r);
    free(f.ev);
    free(f.ids);
}

static void test_engine_random_ops_match_reference(void **state)
{
    (void)state;
    for (unsigned long seed = 1; seed <= 8; seed++)
        fuzz_run(seed, 6000, 0, false, 0, false);
}

static void test_engine_random_ops_match_reference_across_seq_renumbering(void **state)
{
    (void)state;
    /* tiny sequence spaces: renumbering happens every few schedules */
    const uint64_t limits[] = { 1, 7, 64, 1000 };
    for (size_t i = 0; i < 4; i++)
        fuzz_run(100 + i, 4000, limits[i], false, 0, false);
}

static void test_engine_random_ops_with_reschedule_match_reference(void **state)
{
    (void)state;
    for (unsigned long seed = 1; seed <= 8; seed++)
        fuzz_run(200 + seed, 6000, 0, true, 0, false);
    const uint64_t limits[] = { 1, 7, 64, 1000 };
    for (size_t i = 0; i < 4; i++)
        fuzz_run(300 + i, 4000, limits[i], true, 0, false);
}

/* Over 4096 pending events the sifts prefetch (another code path), and the
 * first reschedule comes after thousands of events were placed without
 * their heap positions being tracked. */
static void test_engine_random_ops_on_a_large_heap_match_reference(void **state)
{
    (void)state;
    fuzz_run(400, 3000, 0, false, 6000, false);
    fuzz_run(401, 3000, 0, true, 6000, false);
}

/* ---- batches ------------------------------------------------------------- */

static void test_engine_random_ops_with_batches_match_reference(void **state)
{
    (void)state;
    for (unsigned long seed = 1; seed <= 6; seed++)
        fuzz_run(500 + seed, 5000, 0, seed % 2 == 0, 0, true);
    const uint64_t limits[] = { 1, 7, 64, 1000 }; /* renumbering the run too */
    for (size_t i = 0; i < 4; i++)
        fuzz_run(600 + i, 4000, limits[i], i % 2 == 1, 0, true);
    fuzz_run(700, 3000, 0, true, 6000, true); /* beside a large heap */
}

/* Events at times drawn from a few values (many ties), half of them
 * scheduled one by one and half as a batch, against an engine given the
 * same events one by one: the same firing order, times and counts. */
static void run_batch_vs_singles(size_t n_before, size_t n_batch, size_t n_after,
                                 unsigned long seed, size_t n_times)
{
    sim_engine *a = new_engine(16), *b = new_engine(16);
    log_ptr la = { calloc(n_before + n_batch + n_after, sizeof(uint64_t)),
                   calloc(n_before + n_batch + n_after, sizeof(double)), 0 };
    log_ptr lb = { calloc(n_before + n_batch + n_after, sizeof(uint64_t)),
                   calloc(n_before + n_batch + n_after, sizeof(double)), 0 };
    sim_batch_ev *ev = calloc(n_batch + 1, sizeof *ev);
    assert_true(la.args && la.times && lb.args && lb.times && ev);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    uint64_t tag = 0;
    for (size_t i = 0; i < n_before; i++, tag++) {
        double t = (double)gsl_rng_uniform_int(r, n_times) * 0.5;
        assert_int_not_equal(sim_engine_schedule(a, t, log_ptr_handler, &la, tag), 0);
        assert_int_not_equal(sim_engine_schedule(b, t, log_ptr_handler, &lb, tag), 0);
    }
    for (size_t i = 0; i < n_batch; i++, tag++) {
        /* mostly ties; now and then a time no other event has */
        double t = gsl_rng_uniform(r) < 0.1 ? gsl_rng_uniform(r) * (double)n_times * 0.5
                                            : (double)gsl_rng_uniform_int(r, n_times) * 0.5;
        ev[i] = (sim_batch_ev){ t, tag };
        assert_int_not_equal(sim_engine_schedule(b, t, log_ptr_handler, &lb, tag), 0);
    }
    assert_true(sim_engine_schedule_batch(a, ev, n_batch, log_ptr_handler, &la));
    for (size_t i = 0; i < n_after; i++, tag++) {
        double t = (double)gsl_rng_uniform_int(r, n_times) * 0.5;
        assert_int_not_equal(sim_engine_schedule(a, t, log_ptr_handler, &la, tag), 0);
        assert_int_not_equal(sim_engine_schedule(b, t, log_ptr_handler, &lb, tag), 0);
    }
    assert_int_equal(sim_engine_pending(a), sim_engine_pending(b));
    assert_true(sim_engine_next_time(a) == sim_engine_next_time(b));
    assert_int_equal(sim_engine_run_until(a, INFINITY), n_before + n_batch + n_after);
    assert_int_equal(sim_engine_run_until(b, INFINITY), n_before + n_batch + n_after);
    assert_int_equal(la.n, lb.n);
    for (size_t i = 0; i < la.n; i++) {
        assert_int_equal(la.args[i], lb.args[i]);
        assert_true(la.times[i] == lb.times[i]);
    }
    assert_int_equal(sim_engine_pending(a), 0);
    assert_false(sim_engine_step(a));
    gsl_rng_free(r);
    free(ev);
    free(la.args);
    free(la.times);
    free(lb.args);
    free(lb.times);
    sim_engine_free(a);
    sim_engine_free(b);
}

static void test_engine_batch_fires_like_one_schedule_each(void **state)
{
    (void)state;
    run_batch_vs_singles(20, 10, 20, 1, 5);        /* insertion-sorted */
    run_batch_vs_singles(300, 2000, 300, 2, 40);   /* radix-sorted, ties */
    run_batch_vs_singles(0, 50000, 0, 3, 100000);  /* every digit pass */
    run_batch_vs_singles(5000, 5000, 5000, 4, 3);  /* a heap past 4096 */
}

/* Handlers that schedule a batch, as the pass drawing first arrivals does,
 * but from inside a run: ud is the log; arg 1000 + k (k <= 3) schedules
 * the first k of: now, now + 1, now - 5 (clamped to now). */
static void batch_in_handler(sim_engine *e, void *ud, uint64_t arg)
{
    log_handler(e, ud, arg);
    if (arg < 1000 || arg > 1003)
        return;
    double now = sim_engine_now(e);
    sim_batch_ev ev[3] = { { now, 10 * arg },
                           { now + 1, 10 * arg + 1 },
                           { now - 5, 10 * arg + 2 } };
    assert_true(sim_engine_schedule_batch(e, ev, arg - 1000, batch_in_handler, ud));
}

static void test_engine_batch_at_the_current_time_and_while_a_run_is_pending(void **state)
{
    (void)state;
    sim_engine *e = new_engine(4);
    fire_log log = { .n = 0 };
    /* a first run at 1, 2, 2 (with a heap event at 2 between its two) */
    sim_batch_ev first[2] = { { 2, 1 }, { 1, 1003 } };
    assert_true(sim_engine_schedule_batch(e, first, 2, batch_in_handler, &log));
    assert_int_not_equal(sim_engine_schedule(e, 2, batch_in_handler, &log, 2), 0);
    sim_batch_ev second[1] = { { 2, 3 } };
    assert_true(sim_engine_schedule_batch(e, second, 1, batch_in_handler, &log));
    assert_int_equal(sim_engine_pending(e), 4);
    assert_true(sim_engine_next_time(e) == 1);
    /* at 1, event 1003 batches 10030 at 1 (after everything at 1: first
     * among the ties here), 10031 at 2 (after 1, 2 and 3) and 10032 at
     * 1 (clamped from -4) */
    sim_engine_run_until(e, INFINITY);
    const uint64_t want[] = { 1003, 10030, 10032, 1, 2, 3, 10031 };
    const double at[] = { 1, 1, 1, 2, 2, 2, 2 };
    assert_int_equal(log.n, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(log.args[i], want[i]);
        assert_true(log.times[i] == at[i]);
    }
    sim_engine_free(e);
}

static void test_engine_batch_empty_nan_or_null_handler(void **state)
{
    (void)state;
    sim_engine *e = new_engine(4);
    fire_log log = { .n = 0 };
    sim_batch_ev ev[2] = { { 1, 1 }, { NAN, 2 } };
    assert_true(sim_engine_schedule_batch(e, NULL, 0, log_handler, &log));
    assert_true(sim_engine_schedule_batch(e, ev, 0, log_handler, &log));
    assert_int_equal(sim_engine_pending(e), 0);
    assert_false(sim_engine_schedule_batch(e, ev, 1, NULL, &log));
    /* all or nothing: the first event is not scheduled either */
    assert_false(sim_engine_schedule_batch(e, ev, 2, log_handler, &log));
    assert_int_equal(sim_engine_pending(e), 0);
    assert_true(sim_engine_next_time(e) == INFINITY);
    sim_handler *fn;
    uint64_t arg;
    assert_false(sim_engine_peek(e, &fn, &arg));
    assert_false(sim_engine_step(e));
    /* nor took sequence numbers: a schedule then a batch at the same time
     * fire in that order */
    assert_int_not_equal(sim_engine_schedule(e, 1, log_handler, &log, 7), 0);
    assert_true(sim_engine_schedule_batch(e, ev, 1, log_handler, &log));
    assert_true(sim_engine_peek(e, &fn, &arg));
    assert_int_equal(arg, 7);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 2);
    assert_int_equal(log.args[0], 7);
    assert_int_equal(log.args[1], 1);
    /* the run drained and gave its memory back; a new batch starts one */
    assert_true(sim_engine_schedule_batch(e, ev, 1, log_handler, &log));
    assert_int_equal(sim_engine_pending(e), 1);
    assert_true(sim_engine_next_time(e) == 1);
    sim_engine_free(e); /* frees the pending run */
}

/* A batched event cannot be cancelled; cancelling the events around it
 * works as before, and the run is reaped in order. */
static void test_engine_cancel_beside_a_pending_run(void **state)
{
    (void)state;
    sim_engine *e = new_engine(4);
    fire_log log = { .n = 0 };
    sim_event_id x = sim_engine_schedule(e, 1, log_handler, &log, 1);
    sim_batch_ev ev[2] = { { 1, 2 }, { 0.5, 3 } };
    assert_true(sim_engine_schedule_batch(e, ev, 2, log_handler, &log));
    sim_event_id y = sim_engine_schedule(e, 0.5, log_handler, &log, 4);
    assert_true(sim_engine_cancel(e, x));
    assert_false(sim_engine_cancel(e, x));
    assert_true(sim_engine_reschedule(e, y, 1)); /* after 2 at 1 */
    assert_int_equal(sim_engine_pending(e), 3);
    assert_int_equal(sim_engine_run_until(e, INFINITY), 3);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.args[0], 3);
    assert_int_equal(log.args[1], 2);
    assert_int_equal(log.args[2], 4);
    sim_engine_free(e);
}

/* peek_batched names the batched events still waiting, in firing order,
 * and nothing else. */
static void test_engine_peek_batched_sees_the_run_in_order(void **state)
{
    (void)state;
    sim_engine *e = new_engine(4);
    fire_log log = { .n = 0 };
    sim_handler *fn;
    uint64_t arg;
    assert_false(sim_engine_peek_batched(e, 0, &fn, &arg));
    assert_int_not_equal(sim_engine_schedule(e, 0.5, log_handler, &log, 9), 0);
    sim_batch_ev ev[3] = { { 3, 30 }, { 1, 10 }, { 2, 20 } };
    assert_true(sim_engine_schedule_batch(e, ev, 3, log_handler, &log));
    const uint64_t want[] = { 10, 20, 30 };
    for (size_t k = 0; k < 3; k++) {
        assert_true(sim_engine_peek_batched(e, k, &fn, &arg));
        assert_ptr_equal(fn, log_handler);
        assert_int_equal(arg, want[k]);
    }
    assert_false(sim_engine_peek_batched(e, 3, &fn, &arg));
    assert_true(sim_engine_step(e)); /* 9, from the heap: the run is whole */
    assert_true(sim_engine_peek_batched(e, 0, &fn, &arg));
    assert_int_equal(arg, 10);
    assert_true(sim_engine_step(e)); /* 10 */
    assert_true(sim_engine_peek_batched(e, 1, &fn, &arg));
    assert_int_equal(arg, 30);
    assert_false(sim_engine_peek_batched(e, 2, &fn, &arg));
    sim_engine_run_until(e, INFINITY);
    assert_false(sim_engine_peek_batched(e, 0, &fn, &arg));
    sim_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_new_starts_empty_at_time_zero),
        cmocka_unit_test(test_engine_new_rejects_capacity_above_limit),
        cmocka_unit_test(test_engine_fires_in_time_order),
        cmocka_unit_test(test_engine_ties_fire_in_insertion_order),
        cmocka_unit_test(test_engine_schedule_in_is_relative_to_now),
        cmocka_unit_test(test_engine_past_times_are_clamped_to_now),
        cmocka_unit_test(test_engine_nan_time_and_null_handler_are_rejected),
        cmocka_unit_test(test_engine_infinite_time_fires_only_when_running_to_empty),
        cmocka_unit_test(test_engine_time_bits_order_like_times_at_the_limits),
        cmocka_unit_test(test_engine_cancel_pending_event_prevents_firing),
        cmocka_unit_test(test_engine_cancel_fired_twice_or_zero_id_returns_false),
        cmocka_unit_test(test_engine_reschedule_orders_like_cancel_and_schedule),
        cmocka_unit_test(test_engine_reschedule_of_fired_cancelled_or_zero_id_returns_false),
        cmocka_unit_test(test_engine_stale_id_does_not_cancel_a_reused_record),
        cmocka_unit_test(test_engine_handler_can_cancel_events_at_current_and_later_times),
        cmocka_unit_test(test_engine_handler_can_schedule_at_current_time),
        cmocka_unit_test(test_engine_handler_sees_a_consistent_queue_while_its_event_is_out),
        cmocka_unit_test(test_engine_next_time_skips_cancelled_events),
        cmocka_unit_test(test_engine_mass_cancel_keeps_order_and_counts),
        cmocka_unit_test(test_engine_run_until_stops_at_t_end_and_leaves_later_events),
        cmocka_unit_test(test_engine_stop_returns_after_current_handler),
        cmocka_unit_test(test_engine_clock_is_monotonic),
        cmocka_unit_test(test_engine_grows_past_initial_capacity),
        cmocka_unit_test(test_engine_hold_loop_reuses_memory),
        cmocka_unit_test(test_engine_random_ops_match_reference),
        cmocka_unit_test(test_engine_random_ops_match_reference_across_seq_renumbering),
        cmocka_unit_test(test_engine_random_ops_with_reschedule_match_reference),
        cmocka_unit_test(test_engine_random_ops_on_a_large_heap_match_reference),
        cmocka_unit_test(test_engine_random_ops_with_batches_match_reference),
        cmocka_unit_test(test_engine_batch_fires_like_one_schedule_each),
        cmocka_unit_test(test_engine_batch_at_the_current_time_and_while_a_run_is_pending),
        cmocka_unit_test(test_engine_batch_empty_nan_or_null_handler),
        cmocka_unit_test(test_engine_cancel_beside_a_pending_run),
        cmocka_unit_test(test_engine_peek_batched_sees_the_run_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
