/*
 * test_res_readers.c - what readers (report, plot) are told: a database on
 * a read-only file and directory is read (one of schema version 5 too,
 * as it is); a run in progress reads as running and one whose process died
 * as killed; seeds of the whole 64-bit range read back exactly.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "res.h"
#include "res_testing.h"

static const res_run_info info = {"s", "s.yaml", "name: s\n", "", 1, 7, "edge"};

/* Begin a run in p and add n task rows; the open database in *db. */
static int64_t begin_run(const char *p, res_db **db, uint64_t seed, int n)
{
    off_err e;
    assert_int_equal(res_open(db, p, &e), OFF_OK);
    res_run_info in = info;
    in.seed = seed;
    int64_t run;
    assert_int_equal(res_run_begin(*db, &in, &run, &e), OFF_OK);
    for (int i = 0; i < n; i++) {
        res_task_row r = {.task_id = i, .device_name = "d", .server = -1, .sample = -1,
                          .t_done = 1, .latency_s = 1, .deadline_s = NAN};
        assert_int_equal(res_add_task(*db, run, &r, &e), OFF_OK);
    }
    return run;
}

/* In a child process that cannot write to p's directory (as root: as user
 * nobody, whom the modes bind), the report of p contains want; the child's
 * exit status says. */
static void assert_report_readonly(const char *p, const char *want)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        char *buf = report_of(p);
        if (buf)
            printf("%s", buf ? buf : "");
        fflush(stdout);
        _exit(!buf ? 1 : strstr(buf, want) ? 0 : 2);
    }
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
}

/* A database closed cleanly (no -wal, -shm files) and one left by a killed
 * writer (with them) in a directory of mode 0555, files 0444. */
static void test_read_only_databases_are_readable(void **state)
{
    (void)state;
    char ro[512], p[600], q[600], v5[600];
    snprintf(ro, sizeof ro, "%s/ro", scratch_dir);
    assert_int_equal(mkdir(ro, 0755), 0);
    assert_int_equal(chmod(scratch_dir, 0755), 0); /* nobody may enter */
    snprintf(p, sizeof p, "%s/clean.db", ro);
    snprintf(q, sizeof q, "%s/killed.db", ro);
    snprintf(v5, sizeof v5, "%s/v5.db", ro); /* before the reward bound */
    make_old_db(v5, 5);
    res_db *db;
    off_err e;
    int64_t run = begin_run(p, &db, 7, 10);
    res_summary sum = {.n_tasks = 10, .n_done = 10};
    assert_int_equal(res_run_end(db, run, "ok", 0.5, &sum, &e), OFF_OK);
    res_close(db);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* a whole batch committed, then killed */
        begin_run(q, &db, 8, RES_BATCH + 3);
        res_close(db); /* waits for the writer thread */
        begin_run(q, &db, 9, RES_BATCH);
        res_handle(db); /* the writer thread has committed the batch */
        raise(SIGKILL);
    }
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFSIGNALED(ws));
    struct stat sb;
    char wal[700];
    snprintf(wal, sizeof wal, "%s-wal", q);
    assert_int_equal(stat(wal, &sb), 0); /* the killed writer's WAL is there */
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "chmod 0444 '%s'/*; chmod 0555 '%s'", ro, ro);
    assert_int_equal(system(cmd), 0);
    assert_report_readonly(p, "run 1  s  policy=edge  seed=7  status=ok");
    assert_report_readonly(q, "run 2  s  policy=edge  seed=9  status=killed");
    assert_report_readonly(q, "4099 task rows recorded");
    assert_report_readonly(q, "4096 task rows recorded");
    assert_report_readonly(v5, "    bound      n/a (the oracle records its reward bound");
}

/* A run whose process is alive reads as running; killed, as killed; the
 * same from the writer's own process, and once it ends, its status. */
static void test_running_run_is_told_from_a_killed_one(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof p, "%s/live.db", scratch_dir);
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        res_db *db;
        begin_run(p, &db, 1, 5);
        char c = 1;
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(go[0], &c, 1) > 0) /* until killed */
            ;
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    res_db *rd;
    off_err e;
    assert_int_equal(res_open_readonly(&rd, p, &e), OFF_OK);
    assert_int_equal(res_run_live(rd, 1), 1);
    res_close(rd);
    char *buf = report_of(p);
    assert_non_null(buf);
    printf("%s", buf ? buf : "");
    assert_non_null(strstr(buf, "status=running"));
    assert_non_null(strstr(buf, "no summary (run running); 0 task rows recorded"));
    free(buf);
    kill(pid, SIGKILL);
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    buf = report_of(p);
    assert_non_null(buf);
    assert_non_null(strstr(buf, "status=killed"));
    free(buf);

    /* in one process: the writer's connection and a reader's */
    res_db *db;
    int64_t run = begin_run(p, &db, 2, 3);
    assert_int_equal(run, 2);
    assert_int_equal(res_open_readonly(&rd, p, &e), OFF_OK);
    assert_int_equal(res_run_live(rd, 1), 0);
    assert_int_equal(res_run_live(rd, 2), 1);
    assert_int_equal(res_run_end(db, run, "ok", 0.1, NULL, &e), OFF_OK);
    assert_int_equal(res_run_live(rd, 2), 0);
    res_close(rd);
    res_close(db);
    char side[600];
    snprintf(side, sizeof side, "%s-lock", p);
    assert_int_not_equal(access(side, F_OK), 0); /* the last writer removed it */
}

/* Seeds of [0, 2^64) are stored as signed integers by a bijection and read
 * back exactly, by the API, by SQL and in the report. */
static void test_seeds_of_the_whole_64_bit_range_read_back_exactly(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof p, "%s/seed.db", scratch_dir);
    const uint64_t seeds[] = {0, 1, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1,
                              UINT64_MAX};
    size_t n = sizeof seeds / sizeof seeds[0];
    for (size_t i = 0; i < n; i++) {
        res_db *db;
        off_err e;
        int64_t run = begin_run(p, &db, seeds[i], 0);
        assert_int_equal(res_run_end(db, run, "ok", 0, NULL, &e), OFF_OK);
        res_close(db);
        assert_true(res_seed_from_sql(res_seed_to_sql(seeds[i])) == seeds[i]);
    }
    assert_int_equal(res_seed_to_sql(UINT64_MAX), -1);
    assert_int_equal(res_seed_to_sql(INT64_MAX), INT64_MAX);
    res_db *db;
    off_err e;
    assert_int_equal(res_open_readonly(&db, p, &e), OFF_OK);
    for (size_t i = 0; i < n; i++) {
        uint64_t s = 0;
        assert_int_equal(res_run_seed(db, (int64_t)i + 1, &s, &e), OFF_OK);
        assert_true(s == seeds[i]);
    }
    uint64_t s;
    assert_int_equal(res_run_seed(db, 99, &s, &e), OFF_EINVAL);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(res_handle(db), "SELECT printf('%u', seed) FROM runs"
                                                        " WHERE run_id = 6", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "18446744073709551615");
    sqlite3_finalize(q);
    res_close(db);
    char *buf = report_of(p);
    assert_non_null(buf);
    assert_non_null(strstr(buf, "run 6  s  policy=edge  seed=18446744073709551615  status=ok"));
    assert_non_null(strstr(buf, "run 4  s  policy=edge  seed=9223372036854775808  status=ok"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only_databases_are_readable),
        cmocka_unit_test(test_running_run_is_told_from_a_killed_one),
        cmocka_unit_test(test_seeds_of_the_whole_64_bit_range_read_back_exactly),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
