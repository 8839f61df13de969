/*
 * test_sim_world.c - the task lifecycle, determinism and common random
 * numbers, through scenarios run by the real simulator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sim_test_util.h"

typedef struct row {
    int64_t task_id;
    int32_t device, exit, split, bits, correct, met;
    double t_arrival, t_done, latency, energy, bytes_up, queue_s;
    char device_name[32];
} row;

typedef struct rows {
    row *r;
    size_t n, cap;
} rows;

static void collect(void *ud, const res_task_row *tr)
{
    rows *rs = ud;
    /* the parts of a task's latency add up to it */
    double parts = tr->compute_device_s + tr->uplink_s + tr->queue_s +
                   tr->compute_server_s + tr->downlink_s;
    assert_true(fabs(parts - tr->latency_s) <= 1e-9 * (1 + tr->latency_s));
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 1024;
        rs->r = realloc(rs->r, rs->cap * sizeof *rs->r);
        assert_non_null(rs->r);
    }
    row *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->task_id = tr->task_id;
    r->device = tr->device;
    r->exit = tr->exit;
    r->split = tr->split;
    r->bits = tr->bits;
    r->correct = tr->correct;
    r->met = tr->deadline_met;
    r->t_arrival = tr->t_arrival;
    r->t_done = tr->t_done;
    r->latency = tr->latency_s;
    r->energy = tr->energy_j;
    r->bytes_up = tr->bytes_up;
    r->queue_s = tr->queue_s;
    snprintf(r->device_name, sizeof r->device_name, "%s", tr->device_name);
}

static int by_task(const void *a, const void *b)
{
    int64_t x = ((const row *)a)->task_id, y = ((const row *)b)->task_id;
    return (x > y) - (x < y);
}

static rows run(const char *file, const char *const *sets, size_t n)
{
    rows rs = {0};
    res_summary sum;
    run_scenario_file(file, sets, n, collect, &rs, &sum);
    qsort(rs.r, rs.n, sizeof *rs.r, by_task);
    return rs;
}

#define QS "tests/data/scenarios/model_file/uses_zoo.yaml"

static void test_lifecycle_times_and_energy_match_hand_computation(void **state)
{
    (void)state;
    rows rs = run("tests/data/sim/two_layer.yaml", NULL, 0);
    assert_int_equal(rs.n, 1);
    row *r = &rs.r[0];
    /* device: layer a, 2 MMAC at 100 MMAC/s = 20 ms
     * uplink: 4000 B float32 at 8 bits = 1000 B = 8000 bit at 1 Mbps = 8 ms, +5 ms
     * server: layer b, 6 MMAC at 1 GMAC/s = 6 ms
     * downlink: 10 B = 80 bit at 800 kbps = 0.1 ms, +3 ms */
    double expect = 0.020 + 0.008 + 0.005 + 0.006 + 0.0001 + 0.003;
    printf("  latency: expected %.6f s, simulated %.6f s\n", expect, r->latency);
    assert_true(fabs(r->latency - expect) < 1e-12);
    /* energy: active 2 W x 20 ms + tx 1 W x 8 ms + rx 0.25 W x 0.1 ms
     *       + idle 0.5 W x (5 + 6) ms between upload end and result start */
    double e = 2 * 0.020 + 1 * 0.008 + 0.25 * 0.0001 + 0.5 * 0.011;
    printf("  energy:  expected %.6f J, simulated %.6f J\n", e, r->energy);
    assert_true(fabs(r->energy - e) < 1e-12);
    assert_int_equal(r->split, 1);
    assert_int_equal(r->bits, 8);
    assert_int_equal(r->exit, 1);
    assert_true(r->bytes_up == 1000.0);
    assert_int_equal(r->met, 1);
    free(rs.r);
}

static void test_early_exit_before_split_stays_on_device(void **state)
{
    (void)state;
    const char *sets[] = {"policy.exit=early", "policy.split=2"};
    rows rs = run("tests/data/sim/two_layer.yaml", sets, 2);
    assert_int_equal(rs.n, 1);
    /* layer a + the early branch on the device: 3 MMAC / 100 MMAC/s = 30 ms */
    assert_true(fabs(rs.r[0].latency - 0.030) < 1e-12);
    assert_true(rs.r[0].bytes_up == 0.0);
    assert_int_equal(rs.r[0].split, 1); /* normalised to the exit's position */
    assert_int_equal(rs.r[0].bits, 0);  /* nothing sent */
    assert_true(fabs(rs.r[0].energy - 2 * 0.030) < 1e-12);
    free(rs.r);
}

static void test_fcfs_server_third_task_waits_for_a_core(void **state)
{
    (void)state;
    rows rs = run("tests/data/sim/burst.yaml", NULL, 0);
    assert_int_equal(rs.n, 3);
    assert_true(fabs(rs.r[0].latency - 0.010) < 1e-12);
    assert_true(fabs(rs.r[1].latency - 0.010) < 1e-12);
    assert_true(fabs(rs.r[2].latency - 0.020) < 1e-12);
    assert_true(fabs(rs.r[2].queue_s - 0.010) < 1e-12);
    free(rs.r);
}

static void test_same_seed_gives_identical_rows(void **state)
{
    (void)state;
    rows a = run(QS, NULL, 0), b = run(QS, NULL, 0);
    assert_true(a.n > 1000);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.r, b.r, a.n * sizeof *a.r);
    const char *s2[] = {"seed=2"};
    rows c = run(QS, s2, 1);
    assert_true(c.n != a.n || memcmp(a.r, c.r, a.n * sizeof *a.r) != 0);
    free(a.r);
    free(b.r);
    free(c.r);
}

static void test_policies_see_the_same_arrivals(void **state)
{
    (void)state;
    const char *loc[] = {"policy=local"}, *edg[] = {"policy=edge"},
                *rnd[] = {"policy=random"};
    rows a = run(QS, loc, 1), b = run(QS, edg, 1), c = run(QS, rnd, 1);
    assert_int_equal(a.n, b.n);
    assert_int_equal(a.n, c.n);
    size_t correct_differs = 0;
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.r[i].device, b.r[i].device);
        assert_true(a.r[i].t_arrival == b.r[i].t_arrival);
        assert_true(a.r[i].t_arrival == c.r[i].t_arrival);
        assert_int_equal(a.r[i].split, 7);
        assert_int_equal(b.r[i].split, 0);
        correct_differs += a.r[i].correct != b.r[i].correct;
    }
    /* same exit, same outcome draw: the same answers */
    assert_int_equal(correct_differs, 0);
    free(a.r);
    free(b.r);
    free(c.r);
}

static void test_adding_a_device_leaves_other_devices_arrivals_alone(void **state)
{
    (void)state;
    const char *more[] = {"devices.0.count=11"};
    rows a = run(QS, NULL, 0), b = run(QS, more, 1);
    assert_true(b.n > a.n);
    /* every (device name, arrival time) of the 10-device run appears in the
     * 11-device run, in the same order per device */
    size_t matched = 0;
    for (int dev = 0; dev < 10; dev++) {
        size_t j = 0;
        for (size_t i = 0; i < a.n; i++) {
            if (a.r[i].device != dev)
                continue;
            while (j < b.n && strcmp(b.r[j].device_name, a.r[i].device_name) != 0)
                j++;
            assert_true(j < b.n);
            assert_true(b.r[j].t_arrival == a.r[i].t_arrival);
            j++;
            matched++;
        }
    }
    assert_int_equal(matched, a.n);
    free(a.r);
    free(b.r);
}

static void test_task_cap_is_exact_across_devices(void **state)
{
    (void)state;
    const char *sets[] = {"max_tasks=777", "duration=1000 s"};
    rows a = run(QS, sets, 2);
    assert_int_equal(a.n, 777);
    for (size_t i = 0; i < a.n; i++)
        assert_int_equal(a.r[i].task_id, (int64_t)i);
    free(a.r);
}

static void expect_world_error(const char *file, const char *const *sets, size_t n,
                               const char *needle)
{
    scn_override ov[4];
    char buf[4][256];
    off_err err = {0};
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", sets[i]);
        assert_int_equal(scn_override_parse(buf[i], &ov[i], &err), OFF_OK);
    }
    scn_scenario s;
    off_status st = scn_load(&s, file, ov, n, &err);
    if (st == OFF_OK) {
        sim_world *w = NULL;
        st = sim_world_new(&w, &s, &err);
        sim_world_free(w);
        scn_free(&s);
    }
    printf("  -> %s\n", err.msg);
    assert_int_equal(off_exit_code(st), 2);
    assert_non_null(strstr(err.msg, needle));
}

static void test_policy_errors_name_the_position(void **state)
{
    (void)state;
    const char *a[] = {"policy.type=edgee"};
    expect_world_error(QS, a, 1, "unknown policy 'edgee' (did you mean 'edge'?)");
    const char *b[] = {"policy.splt=3"};
    expect_world_error(QS, b, 1, "unknown key 'splt' for policy 'fixed' (did you mean 'split'?)");
    const char *c[] = {"policy.exit=middle"};
    expect_world_error(QS, c, 1, "has no exit 'middle'");
    const char *d[] = {"policy.bits=6"};
    expect_world_error(QS, d, 1, "must be one of the model's bit-widths (4, 8, 32)");
    const char *e[] = {"policy.split=99"};
    expect_world_error(QS, e, 1, "'split' must be in 0..7");
    /* the position of the quickstart's policy type line */
    const char *f[] = {"policy.splt=3"};
    expect_world_error(QS, f, 1, "<--set 1>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle_times_and_energy_match_hand_computation),
        cmocka_unit_test(test_early_exit_before_split_stays_on_device),
        cmocka_unit_test(test_fcfs_server_third_task_waits_for_a_core),
        cmocka_unit_test(test_same_seed_gives_identical_rows),
        cmocka_unit_test(test_policies_see_the_same_arrivals),
        cmocka_unit_test(test_adding_a_device_leaves_other_devices_arrivals_alone),
        cmocka_unit_test(test_task_cap_is_exact_across_devices),
        cmocka_unit_test(test_policy_errors_name_the_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
