/*
 * test_res_db.c - the results database: schema, run lifecycle, batching,
 * interrupted runs, refusal of foreign files, report, the oracle's reward
 * bound and the migration of a version-5 file.
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
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "res.h"
#include "res_testing.h"

static void path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", scratch_dir, name);
}

static res_task_row row(int64_t id)
{
    res_task_row r = {0};
    r.task_id = id;
    r.device = (int32_t)(id % 3);
    r.device_name = "dev";
    r.server = 0;
    r.sample = -1;
    r.t_arrival = (double)id;
    r.t_start = (double)id;
    r.t_done = (double)id + 0.25;
    r.latency_s = 0.25;
    r.energy_j = 0.5;
    r.exit = 1;
    r.split = 2;
    r.bits = 8;
    r.correct = 1;
    r.deadline_met = 1;
    r.deadline_s = INFINITY; /* stored as NULL */
    return r;
}

static const res_run_info info = {"s", "s.yaml", "name: s\n", "", 0x1234abcdULL, 7, "edge"};

static void test_run_lifecycle_round_trips(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "sub/dir/a.db"); /* parent directories are created */
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    assert_int_equal(run, 1);
    size_t n = RES_BATCH * 2 + 17; /* crosses batch boundaries */
    for (size_t i = 0; i < n; i++) {
        res_task_row r = row((int64_t)i);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    res_summary sum = {0};
    sum.n_tasks = sum.n_done = n;
    sum.latency.mean = 0.25;
    sum.latency.ci95 = NAN;
    assert_int_equal(res_run_end(db, run, "ok", 1.5, &sum, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), (long long)n);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE deadline_s IS NULL"), (long long)n);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status='ok' AND config_hash='000000001234abcd' AND seed=7"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE latency_ci95 IS NULL AND n_done > 0"), 1);
    assert_int_equal(query_int(p, "PRAGMA user_version"), 6);
    /* the schema-5 columns, then the schema-6 ones, come last, as in a
     * migrated file */
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'latency_ci_why'"), 23);
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'reward_bound'"), 24);
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'bound_tasks'"), 25);
    /* a zeroed summary has no bound: NULL, not 0 */
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE reward_bound IS NULL"
                                  " AND bound_tasks IS NULL"), 1);
    /* reopening appends a second run */
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    assert_int_equal(run, 2);
    res_close(db);
}

static void test_interrupted_run_keeps_committed_batches(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "b.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    /* another connection sees the run as soon as it begins */
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status='running'"), 1);
    for (int64_t i = 0; i < RES_BATCH + 5; i++) {
        res_task_row r = row(i);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    /* one whole batch committed and visible (by the writer thread, soon
     * after the call that filled it returned), the 5 others not yet */
    long long seen = 0;
    for (int ms = 0; ms < 10000 && seen < RES_BATCH; ms++) {
        seen = query_int(p, "SELECT count(*) FROM tasks");
        assert_true(seen == 0 || seen == RES_BATCH);
        if (seen < RES_BATCH)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    assert_int_equal(seen, RES_BATCH);
    res_close(db); /* no res_run_end: the process "stopped" */
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), RES_BATCH + 5);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status='running'"), 1);
    char *buf = report_of(p);
    assert_non_null(buf);
    printf("%s", buf ? buf : "");
    assert_non_null(strstr(buf, "status=killed"));
    assert_non_null(strstr(buf, "4101 task rows recorded"));
    free(buf);
}

/* Buffered rows keep a copy of the device name; every column reads back
 * as written (the 16-row and the 1-row statements); a duplicate task id
 * fails the commit of its batch, which is rolled back whole, and the error
 * is reported by the next call that waits for the writer thread (here
 * res_run_end, which then writes nothing); a row whose run does not exist
 * is refused by the foreign key. */
static void test_buffered_rows_round_trip_and_errors_roll_back_their_batch(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "c.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    size_t n = 37; /* two 16-row statements and five single rows */
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "phone[%zu]", i);
        res_task_row r = row((int64_t)i);
        r.device_name = name; /* gone after the call */
        r.sample = (int64_t)i - 1;
        r.server = i % 2 ? -1 : 3;
        r.bytes_up = 1000.5 + (double)i;
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_OK);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), (long long)n);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE device_name = 'phone[' || task_id || ']'"
                              " AND bytes_up = 1000.5 + task_id AND t_done = task_id + 0.25"
                              " AND (sample IS NULL) = (task_id = 0)"
                              " AND (server IS NULL) = (task_id % 2 = 1)"),
                     (long long)n);
    /* a duplicate task id in the next run's first batch */
    int64_t run2;
    assert_int_equal(res_run_begin(db, &info, &run2, &e), OFF_OK);
    for (int64_t i = 0; i < RES_BATCH; i++) {
        res_task_row r = row(i < 100 ? i : i == 100 ? 50 : i - 1); /* no id missing */
        /* the full batch is handed to the writer: its error comes later */
        assert_int_equal(res_add_task(db, run2, &r, &e), OFF_OK);
    }
    assert_int_equal(res_run_end(db, run2, "ok", 1.0, NULL, &e), OFF_EDB);
    assert_non_null(strstr(e.msg, "inserting a task row: UNIQUE constraint failed"));
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), (long long)n);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    /* rows of a run that does not exist: in the last batch, inserted by
     * res_run_end itself, which reports the error at once */
    res_task_row r = row(0);
    assert_int_equal(res_add_task(db, 999, &r, &e), OFF_OK);
    assert_int_equal(res_run_end(db, run2, "failed", 1.0, NULL, &e), OFF_EDB);
    assert_non_null(strstr(e.msg, "inserting a task row: FOREIGN KEY constraint failed"));
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks WHERE run_id = 999"), 0);
}

/* A batch written by the writer thread that fails is reported by the
 * res_add_task that fills the next batch; the rows buffered since are
 * dropped with it (a run stops at the error), and the recorder goes on
 * working: the failed run can be closed, and later batches are written. */
static void test_writer_error_is_reported_by_the_next_full_batch(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "w.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    for (int64_t i = 0; i < 2 * RES_BATCH; i++) {
        /* 0..99, 50 again, 100...: no task id missing, so that no row
         * waits in the reorder window for one */
        res_task_row r = row(i < 100 ? i : i == 100 ? 50 : i - 1);
        off_status st = res_add_task(db, run, &r, &e);
        assert_int_equal(st, i + 1 < 2 * RES_BATCH ? OFF_OK : OFF_EDB);
    }
    assert_non_null(strstr(e.msg, "UNIQUE constraint failed"));
    assert_int_equal(res_run_end(db, run, "failed", 1.0, NULL, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), 0);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status = 'failed'"), 1);

    /* training rows between task batches written by the writer: every
     * row arrives, in one piece */
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    res_train_row t = {.step = 1, .episode = 1, .updates = 1, .reward_mean = 0.5};
    assert_int_equal(res_add_training(db, run, &t, &e), OFF_OK);
    size_t n = 3 * RES_BATCH + 5;
    for (size_t i = 0; i < n; i++) {
        res_task_row r = row((int64_t)i);
        assert_int_equal(res_add_task(db, run, &r, &e), OFF_OK);
    }
    t.step = 2;
    assert_int_equal(res_add_training(db, run, &t, &e), OFF_OK);
    assert_int_equal(res_run_end(db, run, "ok", 1.0, NULL, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), (long long)n);
    assert_int_equal(query_int(p, "SELECT sum(task_id) FROM tasks"), (long long)(n * (n - 1) / 2));
    assert_int_equal(query_int(p, "SELECT count(*) FROM training"), 2);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status = 'ok'"), 1);
}

static void test_foreign_and_broken_files_are_refused(void **state)
{
    (void)state;
    char p[512];
    res_db *db;
    off_err e;
    path(p, sizeof p, "junk.db");
    FILE *f = fopen(p, "w");
    fputs("this is not a database, just some text that is long enough to matter\n", f);
    fclose(f);
    assert_int_equal(res_open(&db, p, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, p));
    assert_non_null(strstr(e.msg, "not an offsim results database"));
    path(p, sizeof p, "other.db");
    sqlite3 *h;
    sqlite3_open(p, &h);
    sqlite3_exec(h, "CREATE TABLE x(a); INSERT INTO x VALUES (1);", NULL, NULL, NULL);
    sqlite3_close(h);
    assert_int_equal(res_open(&db, p, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "not an offsim results database"));
    assert_int_equal(res_open_readonly(&db, "/nonexistent/x.db", &e), OFF_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent/x.db: cannot open"));
    path(p, sizeof p, "newer.db");
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    res_close(db);
    sqlite3_open(p, &h);
    sqlite3_exec(h, "PRAGMA user_version=99", NULL, NULL, NULL);
    sqlite3_close(h);
    assert_int_equal(res_open(&db, p, &e), OFF_EINVAL);
    assert_non_null(strstr(e.msg, "newer"));
}

static void test_report_prints_the_summary_figures(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "rep.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    res_summary s = {0};
    s.n_tasks = 100;
    s.n_done = 99;
    s.latency = (res_stat){.n = 99, .mean = 0.012345, .ci95 = 0.000678, .p50 = 0.011,
                           .p95 = 0.02, .p99 = 0.03, .min = 0.001, .max = 0.04};
    s.energy_mean_j = 0.004567;
    s.accuracy = 0.9012;
    s.deadline_miss = 0.0123;
    assert_int_equal(res_run_end(db, run, "ok", 0.5, &s, &e), OFF_OK);
    res_close(db);
    char *buf = report_of(p);
    assert_non_null(buf);
    printf("%s", buf ? buf : "");
    assert_non_null(strstr(buf, "run 1  s  policy=edge  seed=7  status=ok  wall=0.500 s"));
    assert_non_null(strstr(buf, "99 done / 100 arrived"));
    assert_non_null(strstr(buf, "mean 12.345 +- 0.678 (95% CI)  p50 11.000  p95 20.000  p99 30.000 ms"));
    assert_non_null(strstr(buf, "energy     4.567 mJ/task    deadline miss 1.23 %    accuracy 90.12 %"));
    free(buf);
}

/* A version-1 database (PR before the reward and the learning curves) is
 * upgraded in place when opened for writing: its runs stay, the summary
 * gains reward_mean, the devices table is added (version 3), and
 * learning-curve and device rows can be added and read back (NaN and
 * infinities as NULL). */
static void test_v1_database_is_migrated_and_training_rows_round_trip(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "v1.db");
    make_old_db(p, 1);

    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    assert_int_equal(run, 2);
    for (uint64_t k = 1; k <= 3; k++) {
        res_train_row t = {.step = 100 * k, .episode = k, .updates = k, .reward_mean = 0.5 * k,
                           .episode_return = NAN, .loss_policy = 1, .loss_value = 2,
                           .entropy = 3, .temperature = NAN, .wall_s = 0.1 * k,
                           .has_eval = k == 3, .eval_reward = 0.25};
        assert_int_equal(res_add_training(db, run, &t, &e), OFF_OK);
    }
    res_device_row d0 = {.device = 0, .name = "cam[0]", .server = 1, .n_tasks = 5,
                         .n_done = 4, .n_offloaded = 3, .handovers = 2, .energy_j = 1.5,
                         .tail_j = 0.25, .tail_unattributed_j = 0.125, .capacity_j = 2,
                         .remaining_j = 0.5, .t_death = 7.5, .freq_hz = 1.2e9};
    res_device_row d1 = {.device = 1, .name = "cam[1]", .server = 0, .energy_j = 0,
                         .tail_j = 0, .tail_unattributed_j = 0, .capacity_j = NAN,
                         .remaining_j = NAN, .t_death = INFINITY, .freq_hz = NAN};
    assert_int_equal(res_add_device(db, run, &d0, &e), OFF_OK);
    assert_int_equal(res_add_device(db, run, &d1, &e), OFF_OK);
    res_summary sum = {0};
    sum.n_tasks = sum.n_done = 5;
    sum.reward_mean = -0.75;
    assert_int_equal(res_run_end(db, run, "ok", 1.0, &sum, &e), OFF_OK);
    res_close(db);
    assert_int_equal(query_int(p, "PRAGMA user_version"), 6);
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'latency_ci_why'"), 23);
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'bound_tasks'"), 25);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE reward_bound IS NULL"), 2);
    /* the old run's summary has no warm-up nor checks: NULL, not 0 */
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id = 1 AND"
                                  " warmup_s IS NULL AND latency_ci_ok IS NULL"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id = 2 AND"
                                  " warmup_s = 0 AND warmup_auto = 0 AND warmup_tasks = 0"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM devices WHERE run_id=2 AND device=0 AND "
                              "name='cam[0]' AND server=1 AND n_tasks=5 AND n_done=4 AND "
                              "n_offloaded=3 AND handovers=2 AND energy_j=1.5 AND "
                              "tail_j=0.25 AND tail_unattributed_j=0.125 AND capacity_j=2 "
                              "AND remaining_j=0.5 AND t_death=7.5 AND freq_hz=1.2e9"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM devices WHERE device=1 AND "
                              "capacity_j IS NULL AND remaining_j IS NULL AND t_death IS NULL "
                              "AND freq_hz IS NULL AND energy_j=0"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id=1 AND reward_mean IS NULL"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id=2 AND reward_mean=-0.75"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM training WHERE run_id=2"), 3);
    assert_int_equal(query_int(p, "SELECT count(*) FROM training WHERE step=300 AND "
                              "eval_reward=0.25"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM training WHERE eval_reward IS NULL"), 2);
    assert_int_equal(query_int(p, "SELECT sum(step) FROM training WHERE episode_return IS NULL "
                              "AND temperature IS NULL AND reward_mean > 0"), 600);
}

/* The run's summary (a finished run of policy `policy`) with the bound
 * when n_bound > 0. */
static void bound_run(res_db *db, const char *policy, double bound, uint64_t n_bound)
{
    res_run_info in = info;
    in.policy = policy;
    off_err e;
    int64_t run;
    assert_int_equal(res_run_begin(db, &in, &run, &e), OFF_OK);
    res_summary s = {.n_tasks = 50, .n_done = 50, .reward_mean = 0.875,
                     .reward_bound = bound, .bound_tasks = n_bound};
    s.latency = (res_stat){.n = 50, .mean = 0.01, .ci95 = 0.001, .p50 = 0.01, .p95 = 0.02,
                           .p99 = 0.03, .min = 0.001, .max = 0.04};
    assert_int_equal(res_run_end(db, run, "ok", 0.5, &s, &e), OFF_OK);
}

/* The oracle's reward bound (schema 6) goes into summary.reward_bound and
 * bound_tasks exactly; a summary without one (bound_tasks 0, whatever
 * reward_bound holds) is NULL in both; report prints it, "n/a" for an
 * oracle's run without one, nothing for another policy's, never "nan";
 * metric reward_bound reads it back, NaN where it is NULL. */
static void test_reward_bound_round_trips_and_is_null_when_not_computed(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "bound.db");
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    bound_run(db, "oracle", 0.96603125, 412);  /* run 1: computed            */
    bound_run(db, "oracle", 0.5, 0);           /* run 2: objective latency   */
    bound_run(db, "edge", NAN, 0);             /* run 3: any other policy    */
    const res_metric_info *mi = res_metric_find("reward_bound", &e);
    assert_non_null(mi);
    const int64_t runs[4] = {3, 1, 2, 0};
    double v[4];
    assert_int_equal(res_metric_values(db, mi, runs, 4, v, &e), OFF_OK);
    assert_true(isnan(v[0]) && isnan(v[2]) && isnan(v[3]));
    assert_true(v[1] == 0.96603125);
    res_close(db);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id = 1 AND"
                                  " reward_bound = 0.96603125 AND bound_tasks = 412"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE reward_bound IS NULL"
                                  " AND bound_tasks IS NULL"), 2);
    char *buf = report_printed(p);
    assert_non_null(strstr(buf, "    bound      0.9660 per task (the oracle's reward bound, "
                                "over the 412 tasks it decided)\n"
                                "run 2"));
    assert_non_null(strstr(buf, "    bound      n/a (the oracle records its reward bound with "
                                "objective: reward, since schema version 6)\nrun 3"));
    assert_null(strstr(strstr(buf, "run 3"), "bound"));
    assert_null(strstr(buf, "nan"));
    free(buf);
}

/* A version-5 database (before the reward bound) reads as it is, with
 * its report, and is upgraded in place when opened for writing: its run
 * stays with a NULL bound, the columns come last as in a new file, and a
 * new run records its bound. */
static void test_v5_database_reads_as_it_is_and_migrates(void **state)
{
    (void)state;
    char p[512];
    path(p, sizeof p, "v5.db");
    make_old_db(p, 5);
    assert_int_equal(query_int(p, "SELECT count(*) FROM pragma_table_info('summary')"
                                  " WHERE name = 'reward_bound'"), 0);
    char *buf = report_printed(p);
    assert_non_null(strstr(buf, "run 1  old  policy=oracle  seed=1  status=ok"));
    assert_null(strstr(buf, "nan"));
    free(buf);
    assert_int_equal(query_int(p, "PRAGMA user_version"), 5); /* reading changed nothing */

    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, p, &e), OFF_OK);
    bound_run(db, "oracle", 0.75, 8);
    res_close(db);
    assert_int_equal(query_int(p, "PRAGMA user_version"), 6);
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'reward_bound'"), 24);
    assert_int_equal(query_int(p, "SELECT cid FROM pragma_table_info('summary')"
                                  " WHERE name = 'bound_tasks'"), 25);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id = 1 AND"
                                  " n_tasks = 10 AND reward_bound IS NULL"), 1);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE run_id = 2 AND"
                                  " reward_bound = 0.75 AND bound_tasks = 8"), 1);
    buf = report_printed(p);
    assert_non_null(strstr(buf, "    bound      n/a"));
    assert_non_null(strstr(buf, "    bound      0.7500 per task"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_lifecycle_round_trips),
        cmocka_unit_test(test_interrupted_run_keeps_committed_batches),
        cmocka_unit_test(test_buffered_rows_round_trip_and_errors_roll_back_their_batch),
        cmocka_unit_test(test_writer_error_is_reported_by_the_next_full_batch),
        cmocka_unit_test(test_foreign_and_broken_files_are_refused),
        cmocka_unit_test(test_report_prints_the_summary_figures),
        cmocka_unit_test(test_v1_database_is_migrated_and_training_rows_round_trip),
        cmocka_unit_test(test_reward_bound_round_trips_and_is_null_when_not_computed),
        cmocka_unit_test(test_v5_database_reads_as_it_is_and_migrates),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
