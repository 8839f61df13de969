/*
 * test_res_order.c - task rows whatever the order the tasks finish in: the
 * reorder window of the writer (results/res_writer.c) gives the same
 * database as rows written in task order, holds at most RES_WINDOW rows,
 * and loses none of them at the end of a run, failed or not, or at close.
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

#include "res.h"
#include "res_testing.h"

static void path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", scratch_dir, name);
}

/* Task id's row: every column a function of the id; some device names
 * longer than a window slot keeps inline, some NULL values. */
static res_task_row row(int64_t id, char *name, size_t cap)
{
    if (id % 97 == 5)
        snprintf(name, cap, "a-device-with-a-name-longer-than-forty-bytes[%lld]", (long long)id);
    else
        snprintf(name, cap, "mobile[%lld]", (long long)(id % 1000));
    res_task_row r = {0};
    r.task_id = id;
    r.device = (int32_t)(id % 1000);
    r.device_name = name;
    r.server = id % 7 == 0 ? -1 : 0;
    r.sample = id % 5 == 0 ? -1 : id * 3;
    r.t_arrival = (double)id * 1e-3;
    r.t_start = r.t_arrival + 1e-4;
    r.t_done = id % 301 == 0 ? NAN : r.t_arrival + 0.01 * (double)(id % 13);
    r.latency_s = r.t_done - r.t_arrival;
    r.uplink_s = 0.002;
    r.energy_j = 0.001 * (double)(id % 17);
    r.bytes_up = 1000.0 + (double)id;
    r.exit = 1;
    r.split = (int32_t)(id % 3);
    r.bits = 8;
    r.correct = (int32_t)(id % 2);
    r.deadline_met = (int32_t)(id % 4 != 0);
    r.deadline_s = 0.05;
    return r;
}

static const res_run_info info = {"order", "order.yaml", "name: order\n", "", 0x5eedULL, 1,
                                  "edge"};

/* Write the rows of ids ids[0..n) (one run) into a new database at p;
 * the connection's row statistics in *rs. */
static void write_run(const char *p, const int64_t *ids, size_t n, res_row_stats *rs)
{
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    char name[96];
    for (size_t i = 0; i < n; i++) {
        res_task_row r = row(ids[i], name, sizeof name);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_OK);
    *rs = res_row_stats_of(db);
    res_close(db);
}

/* Deterministic uniform in [0, 1). */
static double unif(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53;
}

typedef struct done_at {
    double t;
    int64_t id;
} done_at;

static int cmp_done(const void *a, const void *b)
{
    const done_at *x = a, *y = b;
    return x->t != y->t ? (x->t > y->t) - (x->t < y->t) : (x->id > y->id) - (x->id < y->id);
}

/* Task ids 0..n-1 in the order they finish on a processor-sharing host:
 * arrivals every 1 ms, a time in the system drawn exponential with mean
 * mean_s, and one task in tail_every a thousand times longer, which finishes
 * after far more than RES_WINDOW others. */
static int64_t *ps_order(size_t n, double mean_s, size_t tail_every)
{
    done_at *d = malloc(n * sizeof *d);
    int64_t *ids = malloc(n * sizeof *ids);
    assert_non_null(d);
    assert_non_null(ids);
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        double sojourn = -mean_s * log(1.0 - unif(&s));
        if (tail_every && i % tail_every == 3)
            sojourn *= 1000.0;
        d[i] = (done_at){1e-3 * (double)i + sojourn, (int64_t)i};
    }
    qsort(d, n, sizeof *d, cmp_done);
    for (size_t i = 0; i < n; i++)
        ids[i] = d[i].id;
    free(d);
    return ids;
}

/* Write ids[0..n) into database <name>.db and the same rows in task order
 * into <name>-sorted.db, and check that the two are the same database;
 * the row statistics of each in *sorted and *rs. */
static void check_same_as_in_order(const char *name, const int64_t *ids, size_t n,
                                   res_row_stats *sorted, res_row_stats *rs)
{
    int64_t *in_order = malloc(n * sizeof *in_order);
    assert_non_null(in_order);
    for (size_t i = 0; i < n; i++)
        in_order[i] = (int64_t)i;
    char a[512], b[512], f[64];
    snprintf(f, sizeof f, "%s-sorted.db", name);
    path(a, sizeof a, f);
    snprintf(f, sizeof f, "%s.db", name);
    path(b, sizeof b, f);
    write_run(a, in_order, n, sorted);
    write_run(b, ids, n, rs);
    char *da = res_dump(a), *db = res_dump(b);
    assert_non_null(da);
    assert_non_null(db);
    assert_string_equal(da, db);
    assert_int_equal(query_int(b, "SELECT count(*) FROM tasks"), (long long)n);
    assert_int_equal(query_int(b, "SELECT count(DISTINCT device_name) FROM tasks"
                                  " WHERE length(device_name) > 40"),
                     (long long)((n + 91) / 97));
    free(da);
    free(db);
    free(in_order);
}

/* The rows of an out-of-order run are all there, the same as those of the
 * same run written in task order: the same database, table by table. */
static void test_out_of_order_rows_equal_in_order_rows(void **state)
{
    (void)state;
    size_t n = 5 * RES_BATCH + 123;
    int64_t *ids = ps_order(n, 0.5, 0); /* ~500 tasks in the system */
    size_t moved = 0;
    for (size_t i = 0; i < n; i++)
        moved += ids[i] != (int64_t)i;
    assert_true(moved > n / 2); /* the test is about disorder: there is some */
    res_row_stats ra, rb;
    check_same_as_in_order("ps", ids, n, &ra, &rb);
    /* in order nothing waits; out of order rows waited, none came late */
    assert_int_equal(ra.held, 0);
    assert_int_equal(ra.late, 0);
    assert_int_equal(ra.rows, n);
    assert_int_equal(rb.rows, n);
    assert_true(rb.held > n / 2);
    assert_int_equal(rb.late, 0);
    assert_true(rb.window_peak > 100 && rb.window_peak < RES_WINDOW);
    free(ids);
}

/* Overload: some tasks finish after far more than RES_WINDOW others.  The
 * window never holds more than RES_WINDOW rows: the lowest leaves when it
 * is full, and the rows that come after it (late) are inserted where they
 * belong; the database is still the one written in task order. */
static void test_window_is_bounded_and_late_rows_are_kept(void **state)
{
    (void)state;
    size_t n = RES_WINDOW + 6 * RES_BATCH;
    int64_t *ids = ps_order(n, 0.2, 1000);
    res_row_stats ra, rb;
    check_same_as_in_order("overload", ids, n, &ra, &rb);
    assert_int_equal(rb.window_peak, RES_WINDOW);
    assert_true(rb.late > 0);
    free(ids);
}

/* Rows waiting for a lower task id that never comes are written when the
 * run ends, whatever its status, and when the connection closes without
 * ending it; a write error drops them with the batch being filled (the run
 * stops at the error), and the connection goes on working. */
static void test_waiting_rows_are_written_on_every_path(void **state)
{
    (void)state;
    char p[512], name[96];
    path(p, sizeof p, "paths.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    const char *status[] = {"failed", "interrupted"};
    for (int k = 0; k < 2; k++) {
        int64_t run;
        assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
        for (int64_t i = 1; i <= 100; i++) { /* task 0 never finishes */
            res_task_row r = row(i, name, sizeof name);
            assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
        }
        assert_int_equal(res_row_stats_of(db).window_peak, 100);
        assert_int_equal(res_run_end(db, run, status[k], 1.0, NULL, &e), OFF_OK);
        assert_int_equal(query_int(p, "SELECT count(*) FROM tasks t JOIN runs USING (run_id)"
                                      " WHERE run_id = (SELECT max(run_id) FROM runs)"
                                      " AND runs.status IN ('failed', 'interrupted')"),
                         100);
    }
    /* closed without res_run_end (the run then reads as killed) */
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    for (int64_t i = 50; i > 0; i--) {
        res_task_row r = row(i, name, sizeof name);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE run_id = 3"), 50);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), 250);

    /* a duplicate among waiting rows: the error is returned by
     * res_run_end, nothing of that run is written, and the next run is */
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    for (int64_t i = 1; i <= 10; i++) {
        res_task_row r = row(i == 10 ? 5 : i, name, sizeof name);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_EDB);
    assert_non_null(strstr(e.msg, "UNIQUE constraint failed"));
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE run_id = 4"), 0);
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    for (int64_t i = 3; i >= 0; i--) {
        res_task_row r = row(i, name, sizeof name);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE run_id = 5"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_order_rows_equal_in_order_rows),
        cmocka_unit_test(test_window_is_bounded_and_late_rows_are_kept),
        cmocka_unit_test(test_waiting_rows_are_written_on_every_path),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
