/*
 * test_sim_servers.c - server disciplines (fcfs, ps, edf), background load
 * and batching, through the real simulator.
 *
 * Analytic checks (mean response of the tasks within 2 %, printed beside
 * the simulated value and its 95 % CI):
 *   M/G/1-PS   E[T] = E[S] / (1 - rho), whatever the distribution of S
 *   M/G/c-PS   (each of n jobs served at min(1, c/n) of a core) is a
 *              symmetric queue, insensitive too: E[T] of M/M/c (Erlang C)
 *   two classes at one server (tasks + background, Poisson, rates l_t, l_b):
 *     fcfs, exponential both   E[T_task] = 1 / (mu - l_t - l_b)
 *     fcfs, M/G/1 mixture      E[T_task] = lambda E[S^2] / (2 (1 - rho)) + E[S_task]
 *     ps                       E[T_task] = E[S_task] / (1 - rho)
 *   and the utilisation rho = (l_t E[S_t] + l_b E[S_b]) / c.
 * Exact checks: edf with equal deadlines gives the fcfs rows; edf order by
 * hand; batching by hand; batching with max 1 gives the fcfs rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_server.h"
#include "sim_test_util.h"

#define MM1 "tests/data/queueing/mm1_rho05.yaml"   /* exp 1 ms, 500 /s */
#define MD1 "tests/data/queueing/md1_rho05.yaml"   /* det 1 ms, 500 /s */
#define MMC "tests/data/queueing/mmc_rho05.yaml"   /* exp 1 ms, 4 cores, 2000 /s */
#define BURST "tests/data/sim/burst.yaml"          /* 3 tasks at 0, 10 ms each */
#define EDF "tests/data/sim/edf_order.yaml"

/* ---- running --------------------------------------------------------------- */

/* Like run_scenario_file, and also returns server 0's statistics. */
static void run_stats(const char *path, const char *const *sets, size_t n_sets,
                      sim_task_hook *hook, void *ud, res_summary *sum,
                      sim_server_stats *st)
{
    scn_override ov[16] = {{0}};
    char buf[16][256];
    off_err err = {0};
    assert_true(n_sets <= 16);
    for (size_t i = 0; i < n_sets; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", sets[i]);
        if (scn_override_parse(buf[i], &ov[i], &err) != OFF_OK)
            fail_msg("%s", err.msg);
    }
    scn_scenario s;
    if (scn_load(&s, path, ov, n_sets, &err) != OFF_OK)
        fail_msg("%s", err.msg);
    sim_world *w = NULL;
    if (sim_world_new(&w, &s, &err) != OFF_OK ||
        sim_world_run(w, NULL, 0, hook, ud, sum, &err) != OFF_OK)
        fail_msg("%s", err.msg);
    if (st)
        sim_server_stats_get(w, 0, st);
    sim_world_free(w);
    scn_free(&s);
}

/* Mean task response against theory, printed. */
static void check(const char *what, const char *path, const char *const *sets,
                  size_t n_sets, double analytic, double rho)
{
    res_summary sum;
    sim_server_stats st;
    run_stats(path, sets, n_sets, NULL, NULL, &sum, &st);
    double sim = sum.latency.mean, rel = (sim - analytic) / analytic;
    printf("  %-34s analytic %.5f ms   simulated %.5f ms +- %.5f (95%% CI, n=%zu)   "
           "error %+.2f %%\n",
           what, analytic * 1e3, sim * 1e3, sum.latency.ci95 * 1e3, sum.latency.n,
           rel * 100);
    printf("  %-34s utilisation analytic %.4f   simulated %.4f   background jobs %llu\n",
           "", rho, st.utilisation, (unsigned long long)st.bg_arrived);
    assert_true(sum.latency.n > 100000);
    assert_true(fabs(rel) < 0.02);
    assert_true(fabs(st.utilisation - rho) < 0.01);
    assert_int_equal(st.bg_arrived, st.bg_done);
}

/* ---- rows ------------------------------------------------------------------ */

typedef struct rows {
    res_task_row *r;
    size_t n, cap;
} rows;

static void collect(void *ud, const res_task_row *tr)
{
    rows *rs = ud;
    double parts = tr->compute_device_s + tr->uplink_s + tr->queue_s +
                   tr->compute_server_s + tr->downlink_s;
    assert_true(fabs(parts - tr->latency_s) <= 1e-9 * (1 + tr->latency_s));
    assert_true(tr->queue_s >= 0);
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 1024;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
        assert_non_null(rs->r);
    }
    rs->r[rs->n] = *tr;
    rs->r[rs->n].device_name = NULL; /* not owned */
    rs->n++;
}

static rows run_rows(const char *path, const char *const *sets, size_t n)
{
    rows rs = {0};
    res_summary sum;
    run_stats(path, sets, n, collect, &rs, &sum, NULL);
    return rs;
}

/* Every field of every row equal (in completion order). */
static void assert_same_rows(const rows *a, const rows *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const res_task_row *x = &a->r[i], *y = &b->r[i];
        assert_int_equal(x->task_id, y->task_id);
        assert_true(x->t_start == y->t_start && x->t_done == y->t_done);
        assert_true(x->latency_s == y->latency_s && x->queue_s == y->queue_s);
        assert_true(x->compute_server_s == y->compute_server_s);
        assert_true(x->energy_j == y->energy_j);
        assert_int_equal(x->deadline_met, y->deadline_met);
    }
}

static const res_task_row *by_id(const rows *rs, int64_t id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i].task_id == id)
            return &rs->r[i];
    fail_msg("no task %lld", (long long)id);
    return NULL;
}

/* ---- processor sharing --------------------------------------------------------- */

static double erlang_c(int c, double a)
{
    double term = 1.0, sum = 0.0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double top = term * c / (c - a);
    return top / (sum + top);
}

static void test_ps_mean_response_is_es_over_one_minus_rho_for_any_work(void **state)
{
    (void)state;
    const char *ps = "servers.0.discipline=ps";
    const char *exp05[] = {ps};
    check("M/M/1-PS rho=0.5", MM1, exp05, 1, 1e-3 / (1 - 0.5), 0.5);
    const char *det05[] = {ps};
    check("M/D/1-PS rho=0.5", MD1, det05, 1, 1e-3 / (1 - 0.5), 0.5);
    /* fcfs would give lambda E[S^2] / (2 (1 - rho)) + E[S] = 3.5 ms here */
    const char *ln05[] = {ps, "model.work={dist: lognormal, mean: 1 MMAC, cv: 2}",
                          "duration=2000 s"};
    check("M/LN/1-PS rho=0.5 cv=2", MD1, ln05, 3, 1e-3 / (1 - 0.5), 0.5);
    const char *exp08[] = {ps, "devices.0.arrivals.rate=800 /s", "duration=800 s",
                           "warmup=50 s"};
    check("M/M/1-PS rho=0.8", MM1, exp08, 4, 1e-3 / (1 - 0.8), 0.8);
    const char *det08[] = {ps, "devices.0.arrivals.rate=800 /s", "duration=800 s",
                           "warmup=50 s"};
    check("M/D/1-PS rho=0.8", MD1, det08, 4, 1e-3 / (1 - 0.8), 0.8);
}

static void test_ps_on_c_cores_matches_erlang_c_for_any_work(void **state)
{
    (void)state;
    double mu = 1000, lam = 2000, a = lam / mu;
    double et = erlang_c(4, a) / (4 * mu - lam) + 1 / mu;
    const char *exp[] = {"servers.0.discipline=ps", "duration=500 s", "warmup=50 s"};
    check("M/M/4-PS rho=0.5", MMC, exp, 3, et, 0.5);
    const char *det[] = {"servers.0.discipline=ps", "duration=500 s", "warmup=50 s",
                         "model.work={dist: deterministic, mean: 1 MMAC}"};
    check("M/D/4-PS rho=0.5", MMC, det, 4, et, 0.5);
}

/* ---- edf ------------------------------------------------------------------------ */

static void test_edf_with_equal_deadlines_gives_the_fcfs_rows(void **state)
{
    (void)state;
    const char *fcfs[] = {"duration=60 s", "warmup=0 s", "devices.0.deadline=3 ms"};
    const char *edf[] = {"duration=60 s", "warmup=0 s", "devices.0.deadline=3 ms",
                         "servers.0.discipline=edf"};
    rows a = run_rows(MMC, fcfs, 3), b = run_rows(MMC, edf, 4);
    assert_same_rows(&a, &b);
    size_t missed = 0;
    for (size_t i = 0; i < a.n; i++)
        missed += !a.r[i].deadline_met;
    printf("  M/M/4, deadline 3 ms: %zu rows identical under fcfs and edf "
           "(%zu missed their deadline)\n", a.n, missed);
    free(a.r);
    free(b.r);
    /* infinite deadlines all tie: FIFO */
    const char *f2[] = {"duration=60 s", "warmup=0 s"};
    const char *e2[] = {"duration=60 s", "warmup=0 s", "servers.0.discipline=edf"};
    a = run_rows(MM1, f2, 2);
    b = run_rows(MM1, e2, 3);
    assert_same_rows(&a, &b);
    printf("  M/M/1, no deadline: %zu rows identical under fcfs and edf\n", a.n);
    free(a.r);
    free(b.r);
}

static void test_edf_serves_earliest_deadline_then_infinite_in_arrival_order(void **state)
{
    (void)state;
    /* task ids follow arrival: blocker 0, lazy 1, late 2, lazy2 3, urgent 4 */
    const char *fcfs[] = {"servers.0.discipline=fcfs"};
    rows f = run_rows(EDF, fcfs, 1), e = run_rows(EDF, NULL, 0);
    assert_int_equal(f.n, 5);
    assert_int_equal(e.n, 5);
    double want_f[5] = {0.010, 0.0195, 0.029, 0.0385, 0.048};
    double want_e[5] = {0.010, 0.0395, 0.029, 0.0485, 0.018};
    for (int i = 0; i < 5; i++) {
        printf("  task %d: fcfs %.4f s (want %.4f), edf %.4f s (want %.4f)\n", i,
               by_id(&f, i)->latency_s, want_f[i], by_id(&e, i)->latency_s, want_e[i]);
        assert_true(fabs(by_id(&f, i)->latency_s - want_f[i]) < 1e-12);
        assert_true(fabs(by_id(&e, i)->latency_s - want_e[i]) < 1e-12);
    }
    assert_int_equal(by_id(&f, 4)->deadline_met, 0); /* fcfs misses urgent's 20 ms */
    assert_int_equal(by_id(&e, 4)->deadline_met, 1);
    free(f.r);
    free(e.r);
}

/* ---- background load ------------------------------------------------------------- */

static void test_background_load_two_class_queue_matches_theory(void **state)
{
    (void)state;
    /* tasks 300 /s exponential 1 ms; background 300 /s of 1 ms (1 MMAC at 1 GMAC/s) */
    double lt = 300, lb = 300, es = 1e-3, rho = (lt + lb) * es;
    const char *both_exp[] = {"devices.0.arrivals.rate=300 /s",
                              "servers.0.background={rate: 300 /s, work: {dist: "
                              "exponential, mean: 1 MMAC}}"};
    check("M/M/1 fcfs + background (exp)", MM1, both_exp, 2, 1 / (1 / es - lt - lb), rho);
    /* deterministic background: an M/G/1 whose service is the mixture */
    const char *det_bg[] = {"devices.0.arrivals.rate=300 /s",
                            "servers.0.background={rate: 300 /s, work: 1 MMAC}"};
    double es2 = (lt * 2 * es * es + lb * es * es) / (lt + lb);
    check("M/G/1 fcfs + background (det)", MM1, det_bg, 2,
          (lt + lb) * es2 / (2 * (1 - rho)) + es, rho);
    /* ps: E[S_task] / (1 - rho) whatever the classes' distributions */
    const char *ps_bg[] = {"devices.0.arrivals.rate=300 /s",
                           "servers.0.background={rate: 300 /s, work: 1 MMAC}",
                           "servers.0.discipline=ps"};
    check("M/G/1-PS + background (det)", MM1, ps_bg, 3, es / (1 - rho), rho);
    /* without background, the same tasks see an M/M/1 at rho = 0.3 */
    const char *none[] = {"devices.0.arrivals.rate=300 /s"};
    check("M/M/1 fcfs, no background", MM1, none, 1, 1 / (1 / es - lt), lt * es);
}

static void test_background_leaves_task_arrivals_and_draws_alone(void **state)
{
    (void)state;
    const char *none[] = {"duration=20 s", "warmup=0 s"};
    const char *bg[] = {"duration=20 s", "warmup=0 s",
                        "servers.0.background={rate: 100 /s, work: 1 MMAC}"};
    const char *bg_ps[] = {"duration=20 s", "warmup=0 s", "servers.0.discipline=ps",
                           "servers.0.background={rate: 100 /s, work: 1 MMAC}"};
    rows a = run_rows(MM1, none, 2), b = run_rows(MM1, bg, 3);
    res_summary s1, s2;
    sim_server_stats st1, st2;
    run_stats(MM1, bg, 3, NULL, NULL, &s1, &st1);
    run_stats(MM1, bg_ps, 4, NULL, NULL, &s2, &st2);
    assert_int_equal(a.n, b.n);
    double sum_a = 0, sum_b = 0;
    for (size_t i = 0; i < a.n; i++) {
        const res_task_row *x = by_id(&a, (int64_t)i), *y = by_id(&b, (int64_t)i);
        assert_true(x->t_arrival == y->t_arrival);          /* own streams */
        assert_true(x->compute_server_s == y->compute_server_s);
        sum_a += x->latency_s;
        sum_b += y->latency_s;
    }
    assert_true(sum_b > sum_a); /* and the background slowed them down */
    /* the background sequence is the server's: ~100 /s x 20 s, and the same
     * count under another discipline (the run ends with the last task) */
    printf("  background jobs: %llu under fcfs, %llu under ps (expected about 2000)\n",
           (unsigned long long)st1.bg_arrived, (unsigned long long)st2.bg_arrived);
    assert_true(st1.bg_arrived > 1800 && st1.bg_arrived < 2200);
    assert_true(llabs((long long)st1.bg_arrived - (long long)st2.bg_arrived) <= 3);
    free(a.r);
    free(b.r);
}

/* Background in bursts (a two-state MMPP by thinning): over a long run the
 * mean rate is (rate every + burst lasts) / (every + lasts); without
 * `burst` the sequence is the plain Poisson one, draw for draw. */
static void test_background_bursts_mean_rate(void **state)
{
    (void)state;
    const char *b[] = {"duration=4000 s", "warmup=0 s", "devices.0.arrivals.rate=1 /s",
                       "servers.0.background={rate: 10 /s, work: 1 MMAC, "
                       "burst: {rate: 50 /s, every: 20 s, lasts: 5 s}}"};
    res_summary s1;
    sim_server_stats st;
    run_stats(MM1, b, 4, NULL, NULL, &s1, &st);
    double t = s1.sim_time_s, expect = (10.0 * 20.0 + 50.0 * 5.0) / 25.0 * t;
    printf("  bursts: %llu background jobs in %.0f s, expected %.0f (18 /s)\n",
           (unsigned long long)st.bg_arrived, t, expect);
    /* 160 bursts: the count's sd is about 2.5 %; 7 % is ~3 sd */
    assert_true(fabs((double)st.bg_arrived - expect) < 0.07 * expect);
    /* a burst at the plain rate changes nothing but the stream's use */
    const char *p[] = {"duration=200 s", "warmup=0 s", "devices.0.arrivals.rate=1 /s",
                       "servers.0.background={rate: 10 /s, work: 1 MMAC}"};
    const char *q[] = {"duration=200 s", "warmup=0 s", "devices.0.arrivals.rate=1 /s",
                       "servers.0.background={rate: 10 /s, work: 1 MMAC, "
                       "burst: {rate: 10 /s, every: 20 s, lasts: 5 s}}"};
    sim_server_stats sp, sq;
    run_stats(MM1, p, 4, NULL, NULL, &s1, &sp);
    run_stats(MM1, q, 4, NULL, NULL, &s1, &sq);
    printf("  no burst %llu, burst at the same rate %llu\n",
           (unsigned long long)sp.bg_arrived, (unsigned long long)sq.bg_arrived);
    assert_int_equal(sp.bg_arrived, sq.bg_arrived);
}

/* ---- batching --------------------------------------------------------------------- */

static void test_batching_window_and_speedup_by_hand(void **state)
{
    (void)state;
    /* three 10 ms tasks at 0 on one core; the window holds them until 5 ms,
     * then one batch of 3: 30 ms / S(3), S(3) = 3 / (a + 3 (1 - a)),
     * a = 8 (1 - 1/4) / 7 = 6/7 (speedup 4 at max 8): 30 ms x 3/7 */
    const char *win[] = {"servers.0.cores=1",
                         "servers.0.batching={window: 5 ms, max: 8, speedup: 4}"};
    rows rs = run_rows(BURST, win, 2);
    assert_int_equal(rs.n, 3);
    double batch = 0.030 * (6.0 / 7 + 3 * (1.0 / 7)) / 3;
    for (size_t i = 0; i < 3; i++) {
        printf("  window: task %zu latency %.6f s (want %.6f)\n", i, rs.r[i].latency_s,
               0.005 + batch);
        assert_true(fabs(rs.r[i].latency_s - (0.005 + batch)) < 1e-12);
        assert_true(fabs(rs.r[i].queue_s - 0.005) < 1e-12);
        assert_true(fabs(rs.r[i].compute_server_s - batch) < 1e-12);
    }
    free(rs.r);

    /* max 2 starts a batch as soon as two wait: {0, 1} at once, 20 ms / 1.6;
     * task 2's window is over by then: alone, 10 ms */
    const char *mx[] = {"servers.0.cores=1",
                        "servers.0.batching={window: 5 ms, max: 2, speedup: [1, 1.6]}"};
    rs = run_rows(BURST, mx, 2);
    assert_int_equal(rs.n, 3);
    assert_true(fabs(by_id(&rs, 0)->latency_s - 0.0125) < 1e-12);
    assert_true(fabs(by_id(&rs, 1)->latency_s - 0.0125) < 1e-12);
    assert_true(fabs(by_id(&rs, 2)->latency_s - 0.0225) < 1e-12);
    assert_true(fabs(by_id(&rs, 2)->queue_s - 0.0125) < 1e-12);
    printf("  max 2: latencies %.4f %.4f %.4f s (want 0.0125 0.0125 0.0225)\n",
           by_id(&rs, 0)->latency_s, by_id(&rs, 1)->latency_s, by_id(&rs, 2)->latency_s);
    free(rs.r);

    /* window 0 on the burst's two cores: nothing waits for company, so the
     * fcfs rows (10, 10, 20 ms) */
    const char *w0[] = {"servers.0.batching={max: 8, speedup: 4}"};
    rows a = run_rows(BURST, NULL, 0), b = run_rows(BURST, w0, 1);
    assert_same_rows(&a, &b);
    free(a.r);
    free(b.r);
}

static void test_batching_of_one_gives_the_fcfs_rows(void **state)
{
    (void)state;
    const char *fcfs[] = {"duration=30 s", "warmup=0 s",
                          "servers.0.background={rate: 500 /s, work: 0.5 MMAC}"};
    const char *b1[] = {"duration=30 s", "warmup=0 s",
                        "servers.0.background={rate: 500 /s, work: 0.5 MMAC}",
                        "servers.0.batching={window: 1 s, max: 1, speedup: 1}"};
    rows a = run_rows(MMC, fcfs, 3), b = run_rows(MMC, b1, 4);
    assert_true(a.n > 50000);
    assert_same_rows(&a, &b);
    printf("  M/M/4 + background: %zu rows identical under fcfs and batching max 1\n", a.n);
    free(a.r);
    free(b.r);
}

static void test_batching_raises_capacity_under_saturation(void **state)
{
    (void)state;
    /* 1500 /s of 1 ms work on one core is rho = 1.5 without batching; with
     * full batches of 8 at speedup 4 the capacity is 4000 /s, so the queue
     * stays bounded and every task is served in tens of ms */
    const char *sets[] = {"devices.0.arrivals.rate=1500 /s", "duration=30 s",
                          "warmup=5 s",
                          "servers.0.batching={window: 2 ms, max: 8, speedup: 4}"};
    res_summary sum;
    sim_server_stats st;
    run_stats(MD1, sets, 4, NULL, NULL, &sum, &st);
    printf("  1500 /s at a 1000 /s core, batches of <= 8 at speedup 4: mean latency "
           "%.3f ms, p99 %.3f ms, utilisation %.3f\n",
           sum.latency.mean * 1e3, sum.latency.p99 * 1e3, st.utilisation);
    assert_true(sum.latency.p99 < 0.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_mean_response_is_es_over_one_minus_rho_for_any_work),
        cmocka_unit_test(test_ps_on_c_cores_matches_erlang_c_for_any_work),
        cmocka_unit_test(test_edf_with_equal_deadlines_gives_the_fcfs_rows),
        cmocka_unit_test(test_edf_serves_earliest_deadline_then_infinite_in_arrival_order),
        cmocka_unit_test(test_background_load_two_class_queue_matches_theory),
        cmocka_unit_test(test_background_leaves_task_arrivals_and_draws_alone),
        cmocka_unit_test(test_background_bursts_mean_rate),
        cmocka_unit_test(test_batching_window_and_speedup_by_hand),
        cmocka_unit_test(test_batching_of_one_gives_the_fcfs_rows),
        cmocka_unit_test(test_batching_raises_capacity_under_saturation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
