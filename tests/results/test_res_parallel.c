/*
 * test_res_parallel.c - several processes writing to one database at once:
 * on a new file (the schema created by one of them, race-free), and on
 * version-1, version-2 and version-5 files (migrated by one of them).
 * Every process succeeds and every run, task row and device row is there.
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
#include <sys/wait.h>
#include <unistd.h>

#include "res.h"
#include "res_testing.h"

#define WRITERS 4
#define ROWS (RES_BATCH + 100) /* a batch through the writer thread, and a last one */

/* One writer process: a whole run through the res_ API; 0 on success,
 * else 1 with the error on stderr. */
static int write_one_run(const char *p, int k)
{
    res_db *db;
    off_err e = {0};
    int64_t run;
    char name[32];
    snprintf(name, sizeof name, "writer%d", k);
    res_run_info info = {name, "p.yaml", "name: p\n", "", 0x42, (uint64_t)k, "edge"};
    off_status st = res_open(&db, p, &e);
    if (st == OFF_OK)
        st = res_run_begin(db, &info, &run, &e);
    for (int64_t i = 0; st == OFF_OK && i < ROWS; i++) {
        res_task_row r = {.task_id = i, .device = (int32_t)(i % 3), .device_name = "d",
                          .server = -1, .sample = -1, .t_arrival = (double)i,
                          .t_done = (double)i + 1, .latency_s = 1, .deadline_s = NAN};
        st = res_add_task(db, run, &r, &e);
    }
    res_device_row d = {.device = 0, .name = "d", .server = -1, .n_tasks = ROWS,
                        .n_done = ROWS, .capacity_j = NAN, .remaining_j = NAN,
                        .t_death = INFINITY, .freq_hz = NAN};
    if (st == OFF_OK)
        st = res_add_device(db, run, &d, &e);
    res_summary sum = {.n_tasks = ROWS, .n_done = ROWS};
    if (st == OFF_OK)
        st = res_run_end(db, run, "ok", 0.1, &sum, &e);
    res_close(db);
    if (st != OFF_OK)
        fprintf(stderr, "writer %d: %s\n", k, e.msg);
    return st == OFF_OK ? 0 : 1;
}

/* Start WRITERS processes on p at the same moment (they wait on a pipe the
 * parent closes) and check that each exits 0. */
static void writers_at_once(const char *p)
{
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pid[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        pid[k] = fork();
        assert_true(pid[k] >= 0);
        if (pid[k] == 0) {
            close(gate[1]);
            char c;
            while (read(gate[0], &c, 1) > 0)
                ;
            _exit(write_one_run(p, k));
        }
    }
    close(gate[0]);
    close(gate[1]); /* go */
    for (int k = 0; k < WRITERS; k++) {
        int ws;
        assert_int_equal(waitpid(pid[k], &ws, 0), pid[k]);
        assert_true(WIFEXITED(ws));
        assert_int_equal(WEXITSTATUS(ws), 0);
    }
}

/* old runs already in the file */
static void assert_all_there(const char *p, long long old)
{
    assert_int_equal(query_int(p, "PRAGMA user_version"), 6);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs"), old + WRITERS);
    assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE status = 'ok' AND"
                              " scenario LIKE 'writer%' AND seed = substr(scenario, 7)"),
                     WRITERS);
    assert_int_equal(query_int(p, "SELECT count(*) FROM tasks"), (long long)WRITERS * ROWS);
    assert_int_equal(query_int(p, "SELECT count(*) FROM (SELECT run_id FROM tasks GROUP BY run_id"
                              " HAVING count(*) = " "4196" " AND sum(task_id) = 4196 * 4195 / 2)"),
                     WRITERS);
    assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE n_done = 4196"), WRITERS);
    assert_int_equal(query_int(p, "SELECT count(*) FROM devices"), WRITERS);
}

static void test_writers_started_together_on_a_new_file_all_succeed(void **state)
{
    (void)state;
    assert_int_equal(ROWS, 4196); /* the figure in assert_all_there's SQL */
    for (int round = 0; round < 20; round++) {
        char p[512];
        snprintf(p, sizeof p, "%s/new%d.db", scratch_dir, round);
        writers_at_once(p);
        assert_all_there(p, 0);
    }
}

static void test_writers_started_together_on_old_files_migrate_once(void **state)
{
    (void)state;
    for (int round = 0; round < 10; round++) {
        int version = (const int[]){1, 2, 5}[round % 3];
        char p[512];
        snprintf(p, sizeof p, "%s/old%d.db", scratch_dir, round);
        make_old_db(p, version);
        writers_at_once(p);
        assert_all_there(p, 1);
        assert_int_equal(query_int(p, "SELECT count(*) FROM summary WHERE reward_mean IS NULL"), 1);
        assert_int_equal(query_int(p, "SELECT count(*) FROM runs WHERE scenario = 'old'"), 1);
        assert_int_equal(query_int(p, "SELECT count(*) FROM pragma_table_info('summary')"
                                      " WHERE name IN ('reward_bound', 'bound_tasks')"), 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writers_started_together_on_a_new_file_all_succeed),
        cmocka_unit_test(test_writers_started_together_on_old_files_migrate_once),
    };
    return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
