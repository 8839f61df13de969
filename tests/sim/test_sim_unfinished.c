/*
 * test_sim_unfinished.c - tasks that can never finish (a transfer over a
 * throughput trace that stays at 0 bit/s, and what queues behind it) end
 * the run as `unfinished`: a row each with no t_done, latency or energy,
 * counted in summary.n_tasks but not in n_done, a missed deadline, never
 * an error; every row of the run is in the database.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_query.h"
#include "sim_test_util.h"

#define SCN "tests/data/sim/stall.yaml"

static void tmp_db(char *path, size_t cap, const char *tag)
{
    snprintf(path, cap, "/tmp/offsim-unfinished-%s-%ld.db", tag, (long)getpid());
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[400];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        remove(p);
    }
}

/* Run the stall scenario with sets into a new database; its counts. */
typedef struct stall_result {
    res_summary sum;
    long long rows, unfinished_rows, null_latency, null_energy, ok_runs;
    long long n_tasks, n_done;
} stall_result;

static void run_stall(const char *tag, const char *const *sets, size_t n, stall_result *r)
{
    char db[300];
    tmp_db(db, sizeof db, tag);
    int64_t id;
    run_scenario_db(SCN, sets, n, db, &id, &r->sum);
    r->rows = query_int(db, "SELECT count(*) FROM tasks");
    r->unfinished_rows = query_int(db, "SELECT count(*) FROM tasks WHERE t_done IS NULL");
    r->null_latency = query_int(db, "SELECT count(*) FROM tasks WHERE latency_s IS NULL");
    r->null_energy = query_int(db, "SELECT count(*) FROM tasks WHERE energy_j IS NULL");
    r->ok_runs = query_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'");
    r->n_tasks = query_int(db, "SELECT n_tasks FROM summary");
    r->n_done = query_int(db, "SELECT n_done FROM summary");
    /* the report says how many never finished */
    res_db *h;
    off_err err = {0};
    assert_int_equal(res_open_readonly(&h, db, &err), OFF_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(res_report(h, out, &err), OFF_OK);
    fclose(out);
    res_close(h);
    char want[96];
    snprintf(want, sizeof want, ", %lld unfinished at the end of the run",
             r->n_tasks - r->n_done);
    assert_true((strstr(text, want) != NULL) == (r->n_tasks > r->n_done));
    free(text);
    printf("  %-28s rows %lld (unfinished %lld), summary %lld done / %lld, miss %.2f\n", tag,
           r->rows, r->unfinished_rows, r->n_done, r->n_tasks, r->sum.deadline_miss);
    tmp_db(db, sizeof db, tag);
}

/* The run is ok and has rows rows, of which unfinished have no t_done,
 * latency or energy; its summary counts rows tasks, done of them done. */
static void expect_rows(const stall_result *r, long long rows, long long unfinished,
                        long long done)
{
    assert_int_equal(r->ok_runs, 1);
    assert_int_equal(r->rows, rows);
    assert_int_equal(r->unfinished_rows, unfinished);
    assert_int_equal(r->null_latency, unfinished);
    assert_int_equal(r->null_energy, unfinished);
    assert_int_equal(r->n_tasks, rows);
    assert_int_equal(r->n_done, done);
    assert_int_equal(r->sum.n_tasks, (size_t)rows);
    assert_int_equal(r->sum.n_done, (size_t)done);
}

static void test_one_stalled_task_is_unfinished_not_done(void **state)
{
    (void)state;
    stall_result r;
    run_stall("one", NULL, 0, &r);
    expect_rows(&r, 1, 1, 0);
    assert_true(r.sum.deadline_miss == 1.0);
    assert_true(isfinite(r.sum.sim_time_s)); /* no event at infinity */
}

/* The second task waits behind the first, whose upload never ends: both
 * unfinished, in task order, the run ok. */
static void test_two_stalled_tasks_are_both_unfinished(void **state)
{
    (void)state;
    const char *sets[] = {"devices.ue.arrivals={process: trace, file: stall_two.txt}"};
    stall_result r;
    run_stall("two", sets, 1, &r);
    expect_rows(&r, 2, 2, 0);
    assert_true(r.sum.deadline_miss == 1.0);
}

/* Two uploads through a shared cell whose rate is 0: the cell schedules
 * nothing, both are unfinished. */
static void test_stalled_shared_cell_leaves_both_unfinished(void **state)
{
    (void)state;
    const char *sets[] = {"devices.ue.arrivals={process: trace, file: stall_two.txt}",
                          "devices.ue.uplink.channel.shared=true"};
    stall_result r;
    run_stall("cell", sets, 2, &r);
    expect_rows(&r, 2, 2, 0);
}

/* The rate drops to 0 at 0.15 s: the task of 0.1 s is through by then (1
 * KB at 1 Mbit/s), the task of 0.2 s never is.  The finished one keeps its
 * latency and energy; the means are over it alone; the miss rate counts
 * the unfinished one. */
static void test_finished_and_unfinished_tasks_are_counted_apart(void **state)
{
    (void)state;
    const char *sets[] = {"devices.ue.arrivals={process: trace, file: stall_two.txt}",
                          "devices.ue.uplink.channel.file=stall_drop.csv"};
    stall_result r;
    run_stall("mixed", sets, 2, &r);
    expect_rows(&r, 2, 1, 1);
    assert_int_equal(r.sum.latency.n, 1);
    assert_true(r.sum.latency.mean > 0.008 && r.sum.latency.mean < 0.01); /* 8 ms + compute */
    assert_true(r.sum.energy_mean_j >= 0 && isfinite(r.sum.energy_mean_j));
    assert_true(r.sum.deadline_miss == 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_stalled_task_is_unfinished_not_done),
        cmocka_unit_test(test_two_stalled_tasks_are_both_unfinished),
        cmocka_unit_test(test_stalled_shared_cell_leaves_both_unfinished),
        cmocka_unit_test(test_finished_and_unfinished_tasks_are_counted_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
