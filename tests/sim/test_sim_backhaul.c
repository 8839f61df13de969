/*
 * test_sim_backhaul.c - a cloud server behind a backhaul (sim/sim_backhaul.c):
 * one task's latency and its row's columns by hand, two tasks queueing FIFO
 * on the backhaul in both directions by hand, a server without a backhaul
 * giving the results of the simulator before backhauls existed, and the
 * loader's errors.  Figures: tests/data/sim/backhaul.yaml.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim_test_util.h"

#define SCN "tests/data/sim/backhaul.yaml"
#define BACKHAUL "servers.cloud.backhaul={rtt: 40 ms, rate: 10 Mbps}"
#define MAXT 1024

typedef struct rows {
    size_t n;
    res_task_row r[MAXT]; /* by task id */
    size_t n_sent;
    double max_sum_err;   /* |latency - the sum of its parts|, worst */
} rows;

static void collect(void *ud, const res_task_row *r)
{
    rows *rs = ud;
    assert_true(r->task_id >= 0 && r->task_id < MAXT);
    rs->r[r->task_id] = *r;
    rs->r[r->task_id].device_name = NULL; /* not kept past the hook */
    rs->n++;
    rs->n_sent += r->server >= 0;
    double parts = r->compute_device_s + r->uplink_s + r->queue_s + r->compute_server_s +
                   r->downlink_s;
    double e = fabs(r->latency_s - parts);
    if (e > rs->max_sum_err)
        rs->max_sum_err = e;
}

static void run(const char *const *sets, size_t n, rows *rs, res_summary *sum)
{
    res_summary tmp;
    memset(rs, 0, sizeof *rs);
    run_scenario_file(SCN, sets, n, collect, rs, sum ? sum : &tmp);
}

static void near(const char *what, double hand, double got)
{
    printf("  %-48s hand %.9f  simulated %.9f\n", what, hand, got);
    if (!(fabs(hand - got) <= 1e-12))
        fail_msg("%s: expected %.12g, got %.12g", what, hand, got);
}

/* By hand (all times in s):
 *   upload 10000 B at 1 Mbps 0.080 + delay 0.005; backhaul 10000 B at
 *   10 Mbps 0.008 + rtt/2 0.020; server 0.010; backhaul 20000 B at 10 Mbps
 *   0.016 + 0.020; downlink 20000 B at 10 Mbps 0.016 + delay 0.005. */
static const double UP = 0.080 + 0.005 + 0.008 + 0.020, SRV = 0.010,
                    DOWN = 0.016 + 0.020 + 0.016 + 0.005;

/* One task at a time (at 0 s and 1 s): 180 ms, in the row's columns. */
static void test_single_task_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {BACKHAUL, "duration=1.5 s"};
    static rows rs;
    run(sets, 2, &rs, NULL);
    assert_int_equal(rs.n, 2);
    for (size_t k = 0; k < 2; k++) {
        const res_task_row *r = &rs.r[k];
        printf(" task %zu (arrives at %g s)\n", k, r->t_arrival);
        near("latency = 0.180", UP + SRV + DOWN, r->latency_s);
        near("uplink_s = up + delay + bytes/rate + rtt/2", UP, r->uplink_s);
        near("queue_s", 0.0, r->queue_s);
        near("compute_server_s", SRV, r->compute_server_s);
        near("downlink_s = result/rate + rtt/2 + down + delay", DOWN, r->downlink_s);
        /* the device idles from its upload's end to its result's start */
        near("energy: 1.2 W tx, 0.1 W idle, 0.9 W rx",
             1.2 * 0.080 + 0.1 * (0.159 - 0.080) + 0.9 * 0.016, r->energy_j);
        assert_int_equal(r->server, 1);
    }
}

/* Two devices, two tasks at 0 s: both reach the backhaul at 85 ms.  Task 0
 * crosses [85, 93] ms (+ 20), is served [113, 123], its result crosses
 * [123, 139] (+ 20), downlink [159, 175] + 5: 180 ms.  Task 1 waits for the
 * transmitter until 93 ms, crosses [93, 101], is served on the second core
 * [121, 131]; its result waits until 139 ms, crosses [139, 155], reaches
 * its own downlink at 175: [175, 191] + 5 = 196 ms, 16 ms of it queueing. */
static void test_two_tasks_queue_fifo_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {BACKHAUL, "devices.cam.count=2"};
    static rows rs;
    run(sets, 2, &rs, NULL);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.r[0].device, 0);
    assert_int_equal(rs.r[1].device, 1);
    printf(" task 0 (first on the backhaul)\n");
    near("latency", 0.180, rs.r[0].latency_s);
    near("queue_s", 0.0, rs.r[0].queue_s);
    printf(" task 1 (waits 8 ms up, 8 ms down)\n");
    near("latency", 0.196, rs.r[1].latency_s);
    near("queue_s", 0.016, rs.r[1].queue_s);
    near("uplink_s", UP, rs.r[1].uplink_s);
    near("downlink_s", DOWN, rs.r[1].downlink_s);
    near("t_done", 0.196, rs.r[1].t_done);

    /* a slower backhaul, 1 Mbps: crossings of 80 ms up and 160 ms down.
     * Task 0: 85 + 80 + 20 = 185, served until 195, result [195, 355] + 20,
     * downlink 375 + 16 + 5 = 396 ms.  Task 1: up [165, 245] + 20 = 265,
     * served until 275, result waits until 355: [355, 515] + 20 = 535,
     * + 21 = 556 ms, queueing 80 + 80 = 160 ms. */
    const char *slow[] = {"servers.cloud.backhaul={rtt: 40 ms, rate: 1 Mbps}",
                          "devices.cam.count=2"};
    run(slow, 2, &rs, NULL);
    assert_int_equal(rs.n, 2);
    printf(" 1 Mbps backhaul\n");
    near("task 0 latency", 0.396, rs.r[0].latency_s);
    near("task 1 latency", 0.556, rs.r[1].latency_s);
    near("task 1 queue_s", 0.160, rs.r[1].queue_s);
    near("task 1 uplink_s", 0.085 + 0.080 + 0.020, rs.r[1].uplink_s);
    near("task 1 downlink_s", 0.160 + 0.020 + 0.021, rs.r[1].downlink_s);
}

/* Under load (random splits, three devices), every row still adds up, and
 * the backhaul adds exactly its crossing to uplink_s and downlink_s. */
static void test_rows_add_up_under_load(void **state)
{
    (void)state;
    const char *base[] = {"duration=5 s", "devices.cam.count=3",
                          "devices.cam.arrivals={process: poisson, rate: 8 /s}",
                          "policy=random"};
    const char *with[] = {base[0], base[1], base[2], base[3], BACKHAUL};
    static rows a, b;
    run(base, 4, &a, NULL);
    run(with, 5, &b, NULL);
    assert_int_equal(a.n, b.n); /* the same tasks (common random numbers) */
    assert_true(b.n_sent > 20 && b.n_sent < b.n);
    printf("  %zu tasks, %zu offloaded; worst |latency - sum of parts| %.3g s\n", b.n,
           b.n_sent, b.max_sum_err);
    assert_true(b.max_sum_err < 1e-12);
    for (size_t k = 0; k < b.n; k++) {
        const res_task_row *x = &a.r[k], *y = &b.r[k];
        assert_true(x->exit == y->exit && x->split == y->split && x->server == y->server);
        if (y->server < 0) { /* local: the backhaul is not in its way */
            assert_true(y->latency_s == x->latency_s && y->queue_s == x->queue_s);
            continue;
        }
        /* each way: rtt/2 + bytes / rate more; queueing may move, but the
         * task cannot gain more than it queued before */
        assert_true(fabs(y->uplink_s - x->uplink_s - (0.020 + y->bytes_up * 8 / 1e7)) < 1e-12);
        assert_true(fabs(y->downlink_s - x->downlink_s - (0.020 + y->bytes_down * 8 / 1e7)) <
                    1e-12);
        assert_true(y->latency_s >= x->latency_s + 0.040 - x->queue_s - 1e-12);
    }
}

/* Without a backhaul, a run is what it was before backhauls existed: the
 * simulator of commit 27c8273 (mt19937 streams) gave n 475, latency
 * 0x1.06bcc3550f44bp-3, energy 0x1.2ae4c195c6e10p-3, bytes up
 * 0x1.078d79435e50dp+12, end 0x1.403b4778fbcdep+4, 2311 events here.  The
 * streams are Philox4x32-10 since (sim_rng.h): the figures below are the
 * same run re-measured with them, pinned so that a backhaul-free run keeps
 * not depending on the backhaul code.  A backhaul of 0 s and infinite rate
 * gives the same rows. */
static void test_no_backhaul_leaves_results_identical(void **state)
{
    (void)state;
    const char *sets[] = {"duration=20 s", "devices.cam.count=3",
                          "devices.cam.arrivals={process: poisson, rate: 8 /s}",
                          "policy=random"};
    static rows a, b;
    res_summary sa, sb;
    run(sets, 4, &a, &sa);
    const double l0 = 0.12617733803262773, e0 = 0.14412325817564237,
                 b0 = 4337.4233128834358, t0 = 20.116614561702622;
    printf("  pinned: n 489, latency %.17g, energy %.17g, bytes up %.17g, end %.17g\n"
           "  now:    n %zu, latency %.17g, energy %.17g, bytes up %.17g, end %.17g,"
           " events %llu\n",
           l0, e0, b0, t0, sa.n_tasks, sa.latency.mean, sa.energy_mean_j,
           sa.bytes_up_mean, sa.sim_time_s, (unsigned long long)sa.events);
    assert_int_equal(sa.n_tasks, 489);
    assert_true(sa.latency.mean == l0 && sa.energy_mean_j == e0);
    assert_true(sa.bytes_up_mean == b0 && sa.sim_time_s == t0);
    assert_int_equal(sa.events, 2443);

    const char *zero[] = {sets[0], sets[1], sets[2], sets[3],
                          "servers.cloud.backhaul={rtt: 0 s}"};
    run(zero, 5, &b, &sb);
    assert_int_equal(a.n, b.n);
    for (size_t k = 0; k < a.n; k++) {
        const res_task_row *x = &a.r[k], *y = &b.r[k];
        assert_true(x->latency_s == y->latency_s && x->uplink_s == y->uplink_s &&
                    x->queue_s == y->queue_s && x->downlink_s == y->downlink_s &&
                    x->energy_j == y->energy_j && x->t_done == y->t_done);
    }
}

/* The model-based policies see the backhaul (pol.h, "predicted costs").
 * The device at 20 MMAC/s answers locally in 500 ms.  Full offload without
 * a backhaul: 85 + 10 + 21 = 116 ms, so Neurosurgeon offloads.  Behind a
 * 400 ms RTT at 10 Mbps: 85 + 208 + 10 + 216 + 21 = 540 ms (split 1 is
 * 683 ms), so it must answer on the device; a predictor blind to the
 * backhaul would still offload and take 540 ms. */
static void test_neurosurgeon_costs_the_backhaul(void **state)
{
    (void)state;
    const char *near_srv[] = {"devices.cam.speed=20 MMAC/s",
                              "policy={type: neurosurgeon, bits: 32}"};
    const char *far_srv[] = {near_srv[0], near_srv[1],
                             "servers.cloud.backhaul={rtt: 400 ms, rate: 10 Mbps}"};
    static rows rs;
    run(near_srv, 2, &rs, NULL);
    assert_int_equal(rs.n, 1);
    printf("  no backhaul: split %d, server %d\n", rs.r[0].split, rs.r[0].server);
    assert_int_equal(rs.r[0].split, 0);
    near("no backhaul: full offload", 0.116, rs.r[0].latency_s);
    run(far_srv, 3, &rs, NULL);
    assert_int_equal(rs.n, 1);
    printf("  400 ms backhaul: split %d, server %d\n", rs.r[0].split, rs.r[0].server);
    assert_int_equal(rs.r[0].server, -1);
    near("400 ms backhaul: on the device", 0.500, rs.r[0].latency_s);
}

/* The loader: rtt required and >= 0, rate > 0, no other keys; positions. */
static void test_loader_errors(void **state)
{
    (void)state;
    static const struct {
        const char *backhaul, *want;
    } cases[] = {
        {"{rate: 1 Gbps}", "rtt"},
        {"{rtt: -1 ms}", "rtt"},
        {"{rtt: inf}", "rtt"},
        {"{rtt: 40 ms, rate: 0 bps}", "rate"},
        {"{rtt: 40 ms, rate: 1 GHz}", "rate"},
        {"{rtt: 40 ms, delay: 1 ms}", "delay"},
        {"40 ms", "backhaul"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char set[128];
        snprintf(set, sizeof set, "servers.cloud.backhaul=%s", cases[i].backhaul);
        scn_override ov;
        off_err e = {0};
        assert_int_equal(scn_override_parse(set, &ov, &e), OFF_OK);
        scn_scenario s;
        off_status st = scn_load(&s, SCN, &ov, 1, &e);
        printf("  %-28s -> %s\n", cases[i].backhaul, e.msg);
        assert_int_equal(st, OFF_EINVAL);
        assert_non_null(strstr(e.msg, cases[i].want));
        assert_non_null(strstr(e.msg, "<--set 1>:"));
    }
    scn_scenario s;
    off_err e = {0};
    char set[] = "servers.cloud.backhaul={rtt: 40 ms}";
    scn_override ov;
    assert_int_equal(scn_override_parse(set, &ov, &e), OFF_OK);
    assert_int_equal(scn_load(&s, SCN, &ov, 1, &e), OFF_OK);
    assert_true(s.servers[1].backhaul.on && s.servers[1].backhaul.rtt_s == 0.040);
    assert_true(isinf(s.servers[1].backhaul.rate_bps)); /* the default */
    assert_false(s.servers[0].backhaul.on);
    scn_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_task_by_hand),
        cmocka_unit_test(test_two_tasks_queue_fifo_by_hand),
        cmocka_unit_test(test_rows_add_up_under_load),
        cmocka_unit_test(test_no_backhaul_leaves_results_identical),
        cmocka_unit_test(test_neurosurgeon_costs_the_backhaul),
        cmocka_unit_test(test_loader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
