/*
 * test_sim_power.c - device radios and power (sim/sim_power.c): radio tail
 * states, DVFS and the battery, each against figures computed by hand
 * (printed beside the simulated ones), and the defaults leaving every
 * result as it was.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim_power.h"
#include "sim_test_util.h"

#define TAIL "tests/data/sim/power_tail.yaml"
#define LOCAL "tests/data/sim/power_local.yaml"
#define MAXT 1024

typedef struct rows {
    size_t n;
    double t_arrival[MAXT], latency[MAXT], energy[MAXT], compute[MAXT];
    int64_t id[MAXT];
    int32_t device[MAXT];
} rows;

static void collect(void *ud, const res_task_row *r)
{
    rows *rs = ud;
    assert_true(rs->n < MAXT);
    rs->id[rs->n] = r->task_id;
    rs->device[rs->n] = r->device;
    rs->t_arrival[rs->n] = r->t_arrival;
    rs->latency[rs->n] = r->latency_s;
    rs->energy[rs->n] = r->energy_j;
    rs->compute[rs->n] = r->compute_device_s;
    rs->n++;
}

/* Run path with overrides; rows in completion order (one device, FIFO:
 * also arrival order), device 0's energy in *de (may be NULL). */
/* Load path with the overrides sets[0..n_sets). */
static void load(const char *path, const char *const *sets, size_t n_sets, scn_scenario *s)
{
    scn_override ov[16] = {{0}};
    char buf[16][256];
    off_err err = {0};
    assert_true(n_sets <= 16);
    for (size_t i = 0; i < n_sets; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", sets[i]);
        assert_int_equal(scn_override_parse(buf[i], &ov[i], &err), OFF_OK);
    }
    if (scn_load(s, path, ov, n_sets, &err) != OFF_OK)
        fail_msg("%s", err.msg);
}

static void run(const char *path, const char *const *sets, size_t n_sets, rows *rs,
                res_summary *sum, sim_device_energy *de)
{
    off_err err = {0};
    scn_scenario s;
    load(path, sets, n_sets, &s);
    sim_world *w = NULL;
    res_summary tmp;
    memset(rs, 0, sizeof *rs);
    if (sim_world_new(&w, &s, &err) != OFF_OK ||
        sim_world_run(w, NULL, 0, collect, rs, sum ? sum : &tmp, &err) != OFF_OK)
        fail_msg("%s", err.msg);
    if (de)
        sim_device_energy_get(w, 0, de);
    sim_world_free(w);
    scn_free(&s);
}

static void near(const char *what, double expect, double got, double tol)
{
    printf("  %-44s hand %.9f  simulated %.9f\n", what, expect, got);
    if (!(fabs(expect - got) <= tol))
        fail_msg("%s: expected %.12g, got %.12g", what, expect, got);
}

static double sum_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

/* ---- radio tail ------------------------------------------------------- */

/* Task k arrives at k s: upload [k, k+8 ms], a tail starts (its own) and is
 * cut 10 ms later by its result: 1 W x 10 ms = 10 mJ, charged to it (still
 * in flight).  Result [k+18, k+18.8 ms], a tail starts; the task completes
 * at once, so the tail's 100 ms x 1 W = 100 mJ, which runs out, is charged
 * to the next task that transmits: k+1's upload.  The last one is charged
 * to no task. */
static void test_tail_energy_matches_hand_computation(void **state)
{
    (void)state;
    static rows rs;
    sim_device_energy de;
    run(TAIL, NULL, 0, &rs, NULL, &de);
    assert_int_equal(rs.n, 3);
    double base = 1 * 0.008 + 0.5 * 0.010 + 0.25 * 0.0008; /* 13.2 mJ */
    near("task 0: base + own upload tail", base + 0.010, rs.energy[0], 1e-12);
    near("task 1: + task 0's result tail", base + 0.010 + 0.100, rs.energy[1], 1e-12);
    near("task 2", base + 0.010 + 0.100, rs.energy[2], 1e-12);
    near("device tail energy", 3 * (0.010 + 0.100), de.tail_j, 1e-12);
    near("unattributed (the last result's tail)", 0.100, de.tail_unattributed_j, 1e-12);
    near("device energy = tasks + unattributed", sum_of(rs.energy, rs.n) + 0.100,
         de.energy_j, 1e-12);
    near("latency unchanged by the tail", 0.008 + 0.010 + 0.0008, rs.latency[1], 1e-12);
}

/* Tasks every 50 ms: the result's tail (from +18.8 ms) is cut by the next
 * upload at +50 ms, after 31.2 ms: 31.2 mJ to that task. */
static void test_tail_cut_short_charges_only_the_elapsed_part(void **state)
{
    (void)state;
    const char *sets[] = {"devices.phone.arrivals.period=50 ms", "duration=0.19 s"};
    static rows rs;
    sim_device_energy de;
    run(TAIL, sets, 2, &rs, NULL, &de);
    assert_int_equal(rs.n, 4);
    double base = 1 * 0.008 + 0.5 * 0.010 + 0.25 * 0.0008;
    near("task 0", base + 0.010, rs.energy[0], 1e-12);
    for (size_t k = 1; k < rs.n; k++)
        near("task k > 0: + 31.2 ms of the previous tail", base + 0.010 + 0.0312,
             rs.energy[k], 1e-12);
    near("device energy = tasks + last tail", sum_of(rs.energy, rs.n) + 0.100,
         de.energy_j, 1e-12);
}

/* Two states, LTE-like: 100 ms at 1 W then 400 ms at 0.5 W (300 mJ in
 * all).  Period 1 s: the result's tail runs out (300 mJ); the upload's is
 * cut in the first state (10 mJ).  Period 300 ms: the result's tail is cut
 * 281.2 ms in: 100 mJ + 181.2 ms x 0.5 W = 190.6 mJ. */
static void test_tail_states_in_sequence(void **state)
{
    (void)state;
    const char *tail = "devices.phone.radio={tail: [{duration: 100 ms, power: 1 W}, "
                       "{duration: 400 ms, power: 500 mW}]}";
    const char *sets1[] = {tail};
    static rows rs;
    sim_device_energy de;
    double base = 1 * 0.008 + 0.5 * 0.010 + 0.25 * 0.0008;
    run(TAIL, sets1, 1, &rs, NULL, &de);
    assert_int_equal(rs.n, 3);
    near("period 1 s, task 1", base + 0.010 + 0.300, rs.energy[1], 1e-12);
    near("period 1 s, unattributed", 0.300, de.tail_unattributed_j, 1e-12);
    const char *sets2[] = {tail, "devices.phone.arrivals.period=300 ms", "duration=0.8 s"};
    run(TAIL, sets2, 3, &rs, NULL, &de);
    assert_int_equal(rs.n, 3);
    near("period 300 ms, task 1", base + 0.010 + 0.1906, rs.energy[1], 1e-12);
    near("period 300 ms, device energy", sum_of(rs.energy, rs.n) + 0.300, de.energy_j,
         1e-12);
}

/* ---- DVFS ------------------------------------------------------------- */

/* One task at t = 0 (duration 50 ms): 100 ms at f_max = 2 GHz.
 *   level 1 GHz, cubic from power.active: 200 ms, 2 W / 8 = 0.25 W, 50 mJ
 *   level 1 GHz, kappa 1e-27 W/Hz^3:       200 ms, 1 W,            200 mJ
 *   table, level 0.5 GHz at 0.3 W:         400 ms,                 120 mJ */
static void test_dvfs_scales_time_and_energy(void **state)
{
    (void)state;
    static rows rs;
    sim_device_energy de;
    const char *lv = "devices.sensor.dvfs={levels: [0.5 GHz, 1 GHz, 2 GHz], level: 1}";
    const char *s1[] = {"duration=50 ms", lv};
    run(LOCAL, s1, 2, &rs, NULL, &de);
    assert_int_equal(rs.n, 1);
    near("1 GHz of 2: compute time", 0.200, rs.compute[0], 1e-12);
    near("1 GHz of 2: latency", 0.200, rs.latency[0], 1e-12);
    near("1 GHz of 2, cubic: energy", 0.25 * 0.200, rs.energy[0], 1e-12);
    near("1 GHz of 2, cubic: P_active", 0.25, de.active_w, 1e-15);

    const char *s2[] = {"duration=50 ms",
                        "devices.sensor.dvfs={levels: [0.5 GHz, 1 GHz, 2 GHz], level: 1, "
                        "kappa: 1e-27}"};
    run(LOCAL, s2, 2, &rs, NULL, &de);
    near("1 GHz, kappa 1e-27: energy", 1.0 * 0.200, rs.energy[0], 1e-12);

    const char *s3[] = {"duration=50 ms",
                        "devices.sensor.dvfs={levels: [{freq: 0.5 GHz, power: 0.3 W}, "
                        "{freq: 2 GHz, power: 2.5 W}], level: 0}"};
    run(LOCAL, s3, 2, &rs, NULL, &de);
    near("table 0.5 GHz: compute time", 0.400, rs.compute[0], 1e-12);
    near("table 0.5 GHz: energy", 0.3 * 0.400, rs.energy[0], 1e-12);
    near("device energy", rs.energy[0], de.energy_j, 1e-12);
}

/* The top level (the default) is the device as given, bit for bit. */
static void test_dvfs_top_level_is_the_device_as_given(void **state)
{
    (void)state;
    static rows a, b;
    res_summary sa, sb;
    const char *sets[] = {"duration=2 s", "devices.sensor.arrivals={process: poisson, "
                                          "rate: 8 /s}"};
    const char *setd[] = {sets[0], sets[1],
                          "devices.sensor.dvfs={levels: [0.3 GHz, 1.7 GHz]}"};
    run(LOCAL, sets, 2, &a, &sa, NULL);
    run(LOCAL, setd, 3, &b, &sb, NULL);
    assert_true(a.n > 5 && a.n == b.n);
    assert_memory_equal(a.latency, b.latency, a.n * sizeof(double));
    assert_memory_equal(a.energy, b.energy, a.n * sizeof(double));
}

/* ---- battery ---------------------------------------------------------- */

/* Constant drain 2 W (CPU always busy), capacity 0.25 mWh = 0.9 J: empty at
 * 0.9 / 2 = 0.45 s.  Arrivals at 0, 0.1, ..., 0.4 s are generated; the one
 * at 0.5 s finds it dead, and none follows.  The task in flight at 0.45 s
 * finishes at 0.5 s: 1 J drawn in all, 0.1 J past the capacity. */
static void test_battery_death_time_by_hand(void **state)
{
    (void)state;
    const char *sets[] = {"devices.sensor.battery={capacity: 0.25 mWh}"};
    static rows rs;
    res_summary sum;
    sim_device_energy de;
    run(LOCAL, sets, 1, &rs, &sum, &de);
    near("time of death, s", 0.45, de.t_death, 1e-12);
    assert_int_equal(rs.n, 5);
    near("energy drawn, J", 1.0, de.energy_j, 1e-12);
    near("remaining (deficit), J", -0.1, de.remaining_j, 1e-12);
    near("capacity, J", 0.9, de.capacity_j, 1e-15);
    near("last completion, s", 0.5, sum.sim_time_s, 1e-12);

    /* large enough: nothing changes, and it is never empty */
    const char *big[] = {"devices.sensor.battery={capacity: 10 Wh}"};
    static rows a, b;
    run(LOCAL, NULL, 0, &a, NULL, NULL);
    run(LOCAL, big, 1, &b, NULL, &de);
    assert_true(a.n >= 100); /* 101: the 100th period ends a hair before 10 s */
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.energy, b.energy, a.n * sizeof(double));
    assert_true(isinf(de.t_death));
    near("10 Wh less n tasks x 0.2 J", 36000 - 0.2 * (double)a.n, de.remaining_j, 1e-9);
}

/* A battery on one device does not touch the other's tasks (common random
 * numbers): device 1 sees the same arrivals, times and energies. */
static void test_battery_leaves_other_devices_alone(void **state)
{
    (void)state;
    const char *two = "devices.1={name: other, speed: 100 MMAC/s, "
                      "arrivals: {process: poisson, rate: 5 /s}}";
    const char *s1[] = {"duration=2 s", two};
    const char *s2[] = {"duration=2 s", two, "devices.sensor.battery={capacity: 0.5 J}"};
    static rows a, b;
    run(LOCAL, s1, 2, &a, NULL, NULL);
    run(LOCAL, s2, 3, &b, NULL, NULL);
    size_t na = 0, nb = 0, n0 = 0;
    for (size_t i = 0; i < b.n; i++)
        n0 += b.device[i] == 0;
    assert_int_equal(n0, 3); /* 0.5 J / 2 W = 0.25 s: arrivals at 0, 0.1, 0.2 */
    for (size_t i = 0, j = 0; i < a.n; i++) {
        if (a.device[i] != 1)
            continue;
        na++;
        while (j < b.n && b.device[j] != 1)
            j++;
        assert_true(j < b.n);
        assert_true(a.t_arrival[i] == b.t_arrival[j] && a.latency[i] == b.latency[j] &&
                    a.energy[i] == b.energy[j]);
        nb++;
        j++;
    }
    assert_true(na > 3 && na == nb);
}

/* ---- defaults --------------------------------------------------------- */

/* Without (or with neutral) radio/dvfs/battery keys, a run is what it was
 * before they existed: the simulator of commit 8b38420 (before sim_power.c,
 * mt19937 streams) gave n 407, energy 0x1.ac62a0d18cd98p-4, latency
 * 0x1.0b3b638d3ba2bp-2, bytes up 0x1.ff0e77823393dp+8 on this scenario
 * without `radio`.  The streams are Philox4x32-10 since (sim_rng.h): the
 * figures below are the same run re-measured with them. */
static void test_defaults_leave_results_identical(void **state)
{
    (void)state;
    const char *sets[] = {"duration=20 s",
                          "devices.phone.arrivals={process: poisson, rate: 20 /s}",
                          "policy=random", "devices.phone.radio.tail=0 s"};
    static rows a, b;
    res_summary sa, sb;
    run(TAIL, sets, 4, &a, &sa, NULL);
    /* exact doubles (17 significant digits round-trip) */
    const double e0 = 0.1036361005159931, l0 = 0.37887531123556234,
                 b0 = 516.27906976744191;
    printf("  pinned: n 430, energy %.17g, latency %.17g, bytes up %.17g\n"
           "  now:    n %zu, energy %.17g, latency %.17g, bytes up %.17g\n",
           e0, l0, b0, sa.n_tasks, sa.energy_mean_j, sa.latency.mean, sa.bytes_up_mean);
    assert_int_equal(sa.n_tasks, 430);
    assert_true(sa.energy_mean_j == e0);
    assert_true(sa.latency.mean == l0);
    assert_true(sa.bytes_up_mean == b0);

    /* the same with neutral keys: top DVFS level, a battery never emptied */
    const char *setn[] = {sets[0], sets[1], sets[2], sets[3],
                          "devices.phone.dvfs={levels: [1 GHz, 2 GHz]}",
                          "devices.phone.battery={capacity: 1 kWh}"};
    run(TAIL, setn, 6, &b, &sb, NULL);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.energy, b.energy, a.n * sizeof(double));
    assert_memory_equal(a.latency, b.latency, a.n * sizeof(double));
    assert_true(sa.energy_mean_j == sb.energy_mean_j);
}

/* Poisson arrivals at random splits with a two-state radio tail and the
 * lower DVFS level (the battery is added per test). */
#define ALL_ON                                                                  \
    "devices.phone.arrivals={process: poisson, rate: 15 /s}", "policy=random",  \
        "devices.phone.radio={tail: [{duration: 50 ms, power: 1.1 W}, "         \
        "{duration: 200 ms, power: 0.4 W}]}",                                   \
        "devices.phone.dvfs={levels: [1 GHz, 2 GHz], level: 0}"

/* With every feature on and Poisson arrivals, the device's energy is still
 * the sum of its tasks' plus the unattributed tail. */
static void test_energy_is_consistent_under_load(void **state)
{
    (void)state;
    const char *sets[] = {"duration=10 s",
                          ALL_ON,
                          "devices.phone.battery={capacity: 100 J}"};
    static rows a;
    sim_device_energy de;
    run(TAIL, sets, 6, &a, NULL, &de);
    assert_true(a.n > 50 && a.n < MAXT);
    near("device energy = tasks + unattributed", sum_of(a.energy, a.n) + de.tail_unattributed_j,
         de.energy_j, 1e-9);
    assert_true(de.tail_unattributed_j >= 0 && de.tail_unattributed_j <= 1.1 * 0.05 + 0.4 * 0.2 + 1e-12);
}

/* One number from the database at path. */
static double query(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    double v = NAN;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* The run's `devices` table holds what each device drew (results schema
 * 3): the same figures as sim_device_energy_get, the device's energy equal
 * to its task rows' plus the unattributed tail, its task counts equal to
 * its rows, the battery's time of death, and NULL where there is no
 * battery or DVFS. */
static void test_devices_table_records_energy_and_battery(void **state)
{
    (void)state;
    const char *sets[] = {"duration=10 s",
                          ALL_ON,
                          "devices.phone.battery={capacity: 3 J}",
                          "devices.1={name: other, speed: 100 MMAC/s, "
                          "arrivals: {process: poisson, rate: 5 /s}}"};
    static rows a;
    sim_device_energy de;
    run(TAIL, sets, 7, &a, NULL, &de);
    assert_true(isfinite(de.t_death)); /* 3 J runs out within the 10 s */

    char db[] = "/tmp/offsim-devices-XXXXXX";
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    remove(db);
    off_err err = {0};
    scn_scenario s;
    load(TAIL, sets, 7, &s);
    s.record_tasks = true;
    res_summary sum;
    int64_t run_id;
    if (sim_run_scenario(&s, db, &sum, &run_id, &err) != OFF_OK)
        fail_msg("%s", err.msg);
    scn_free(&s);

    double e = query(db, "SELECT energy_j FROM devices WHERE device=0");
    double tasks = query(db, "SELECT sum(energy_j) FROM tasks WHERE device=0");
    double unattr = query(db, "SELECT tail_unattributed_j FROM devices WHERE device=0");
    near("devices.energy_j (API)", de.energy_j, e, 1e-12);
    near("= sum of its task rows + unattributed tail", tasks + unattr, e, 1e-9);
    near("t_death (API)", de.t_death, query(db, "SELECT t_death FROM devices WHERE device=0"),
         0);
    near("remaining_j (API)", de.remaining_j,
         query(db, "SELECT remaining_j FROM devices WHERE device=0"), 1e-12);
    near("capacity_j", 3, query(db, "SELECT capacity_j FROM devices WHERE device=0"), 0);
    near("freq_hz", 1e9, query(db, "SELECT freq_hz FROM devices WHERE device=0"), 0);
    double n0 = query(db, "SELECT count(*) FROM tasks WHERE device=0");
    printf("  device 0: %.0f tasks before its battery ran out at %.6f s\n", n0, de.t_death);
    assert_true(n0 > 5);
    assert_true(query(db, "SELECT count(*) FROM devices d WHERE n_tasks = (SELECT count(*) "
                          "FROM tasks t WHERE t.device = d.device) AND n_done = n_tasks "
                          "AND n_offloaded = (SELECT count(*) FROM tasks t WHERE t.device "
                          "= d.device AND t.server IS NOT NULL) AND handovers = 0") == 2);
    /* the other device: no battery, no DVFS, never died */
    assert_true(query(db, "SELECT count(*) FROM devices WHERE device=1 AND name='other' AND "
                          "capacity_j IS NULL AND remaining_j IS NULL AND t_death IS NULL "
                          "AND freq_hz IS NULL AND energy_j > 0") == 1);
    remove(db);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", db);
    remove(side);
    snprintf(side, sizeof side, "%s-shm", db);
    remove(side);
}

/* ---- the keys' errors -------------------------------------------------- */

static void test_bad_keys_are_reported_with_positions(void **state)
{
    (void)state;
    /* the device's keys are on line 5 */
    static const char *const cases[][2] = {
        {"dvfs: {levels: [2 GHz, 1 GHz]}",
         "t.yaml:5:29: dvfs of device 'd': levels must be in strictly ascending frequency, "
         "got 1 GHz after 2 GHz"},
        {"dvfs: {levels: [1 GHz, 2 GHz], level: 2}",
         "t.yaml:5:44: level is out of range (at most 1), got 2"},
        {"dvfs: {levels: [{freq: 1 GHz, power: 1 W}, 2 GHz]}",
         "t.yaml:5:49: dvfs of device 'd': either every level gives its power or none does"},
        {"dvfs: {levels: [{freq: 1 GHz, power: 1 W}], kappa: 1e-27}",
         "t.yaml:5:57: dvfs of device 'd': kappa and per-level powers are two ways"},
        {"dvfs: {levels: [1 MW]}", "t.yaml:5:22: freq: unknown unit 'MW' for a frequency"},
        {"radio: {tail: [{duration: 1 s, power: 1 W}], tail_power: 1 W}",
         "t.yaml:5:63: radio of device 'd': tail_power goes with a single tail duration"},
        {"radio: {tail: 100 ms, tail_pwr: 1 W}",
         "t.yaml:5:28: unknown key 'tail_pwr' in radio of device 'd' (did you mean "
         "'tail_power'?)"},
        {"radio: {tail_power: 1 W}", "t.yaml:5:13: radio of device 'd' has no 'tail'"},
        {"battery: {capacity: 0 Wh}", "t.yaml:5:26: capacity must be > 0, got 0 Wh"},
        {"battery: {capacity: 5 W}", "t.yaml:5:26: capacity: '5 W' is a power, expected an "
                                     "energy"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "duration: 1 s\nmodel: {kind: synthetic, work: 1 MMAC}\ndevices:\n"
                 "  - {name: d, speed: 1 GMAC/s, arrivals: {process: poisson, rate: 1 /s},\n"
                 "     %s}\nservers: [{name: e, speed: 1 GMAC/s}]\n",
                 cases[i][0]);
        scn_scenario s;
        off_err e = {0};
        off_status st = scn_load_text(&s, "t.yaml", text, strlen(text), NULL, 0, &e);
        printf("  %s\n    -> %s\n", cases[i][0], e.msg);
        assert_int_equal(st, OFF_EINVAL);
        if (strncmp(e.msg, cases[i][1], strlen(cases[i][1])) != 0)
            fail_msg("expected '%s...', got '%s'", cases[i][1], e.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tail_energy_matches_hand_computation),
        cmocka_unit_test(test_tail_cut_short_charges_only_the_elapsed_part),
        cmocka_unit_test(test_tail_states_in_sequence),
        cmocka_unit_test(test_dvfs_scales_time_and_energy),
        cmocka_unit_test(test_dvfs_top_level_is_the_device_as_given),
        cmocka_unit_test(test_battery_death_time_by_hand),
        cmocka_unit_test(test_battery_leaves_other_devices_alone),
        cmocka_unit_test(test_devices_table_records_energy_and_battery),
        cmocka_unit_test(test_defaults_leave_results_identical),
        cmocka_unit_test(test_energy_is_consistent_under_load),
        cmocka_unit_test(test_bad_keys_are_reported_with_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
