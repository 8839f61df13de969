/*
 * test_sim_run_db.c - sim_run_scenario_db: runs into one open database
 * (a sweep worker's connection, kept for all its points) write exactly what
 * the same runs write through sim_run_scenario, which opens and closes the
 * file each time.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db_query.h"
#include "sim_test_util.h"

#define SCN "tests/data/sim/cell_ps.yaml" /* 1,000 devices, a shared cell */
#define RUNS 3

static long long query(const char *path, const char *attach, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;
    char att[600];
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    snprintf(att, sizeof att, "ATTACH '%s' AS o", attach);
    assert_int_equal(sqlite3_exec(h, att, NULL, NULL, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void tmp_db(char *path, size_t cap, const char *tag)
{
    snprintf(path, cap, "/tmp/offsim-run-db-%s-%ld.db", tag, (long)getpid());
    remove(path);
}

static void remove_db(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        remove(p);
    }
}

/* Run the scenario with seed seed into db if non-NULL (left open), else
 * into the file path (opened and closed by the run). */
static void run_seed(uint64_t seed, const char *path, res_db *db, res_summary *sum, int64_t *id)
{
    const char *sets[] = {"duration=200 s", "warmup=10 s"};
    scn_scenario s;
    off_err err = {0};
    load_scenario_file(SCN, sets, 2, &s);
    s.record_tasks = true;
    s.seed = seed;
    off_status st = db ? sim_run_scenario_db(&s, db, sum, id, &err)
                       : sim_run_scenario(&s, path, sum, id, &err);
    if (st != OFF_OK)
        fail_msg("%s", err.msg);
    scn_free(&s);
}

static void test_open_db_runs_equal_separate_runs(void **state)
{
    (void)state;
    char a[300], b[300];
    tmp_db(a, sizeof a, "each");
    tmp_db(b, sizeof b, "open");
    off_err err = {0};
    res_summary sa[RUNS], sb[RUNS];
    int64_t ida[RUNS], idb[RUNS];
    for (int k = 0; k < RUNS; k++)
        run_seed((uint64_t)k + 1, a, NULL, &sa[k], &ida[k]);
    res_db *db = NULL;
    if (res_open(&db, b, &err) != OFF_OK)
        fail_msg("%s", err.msg);
    for (int k = 0; k < RUNS; k++) {
        run_seed((uint64_t)k + 1, NULL, db, &sb[k], &idb[k]);
        assert_int_equal(ida[k], idb[k]);
        assert_int_equal(sa[k].n_tasks, sb[k].n_tasks);
        assert_true(sa[k].latency.mean == sb[k].latency.mean);
    }
    res_close(db);

    static const char *const same[] = {
        "SELECT count(*) FROM (SELECT * FROM tasks EXCEPT SELECT * FROM o.tasks)",
        "SELECT count(*) FROM (SELECT * FROM o.tasks EXCEPT SELECT * FROM tasks)",
        "SELECT count(*) FROM (SELECT * FROM devices EXCEPT SELECT * FROM o.devices)",
        "SELECT count(*) FROM (SELECT * FROM o.devices EXCEPT SELECT * FROM devices)",
        "SELECT count(*) FROM (SELECT * FROM summary EXCEPT SELECT * FROM o.summary)",
        "SELECT count(*) FROM (SELECT * FROM o.summary EXCEPT SELECT * FROM summary)",
        "SELECT count(*) FROM (SELECT run_id, seed, config_hash, status, policy FROM runs "
        "EXCEPT SELECT run_id, seed, config_hash, status, policy FROM o.runs)",
    };
    for (size_t q = 0; q < sizeof same / sizeof *same; q++)
        if (query(a, b, same[q]) != 0)
            fail_msg("differs: %s", same[q]);
    long long rows = query(a, b, "SELECT count(*) FROM tasks");
    assert_true(rows > 0);
    assert_int_equal(query(a, b, "SELECT count(*) FROM o.tasks"), rows);
    assert_int_equal(query(a, b, "SELECT count(*) FROM o.runs WHERE status = 'ok'"), RUNS);
    remove_db(a);
    remove_db(b);
}

/* runs.rng names the generator of each run's streams; a database of
 * schema version 4 (before the column) gains it with its old runs read as
 * mt19937, which is what they drew from. */
static void test_runs_record_their_generator_and_old_runs_read_as_mt19937(void **state)
{
    (void)state;
    char a[300];
    tmp_db(a, sizeof a, "rng");
    res_summary sum;
    int64_t id;
    run_seed(1, a, NULL, &sum, &id);
    assert_int_equal(query(a, a, "SELECT count(*) FROM runs WHERE rng = 'philox4x32-10'"), 1);
    assert_int_equal(query(a, a, "PRAGMA user_version"), 6);
    /* back to version 4: no rng column (what an older offsim wrote) */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(a, &h), SQLITE_OK);
    db_make_v4(h);
    sqlite3_close(h);
    run_seed(2, a, NULL, &sum, &id); /* opens it for writing: migrates */
    assert_int_equal(query(a, a, "PRAGMA user_version"), 6);
    assert_int_equal(query(a, a, "SELECT count(*) FROM runs WHERE run_id = 1 AND rng = 'mt19937'"),
                     1);
    assert_int_equal(query(a, a, "SELECT count(*) FROM runs WHERE run_id = 2 AND "
                                 "rng = 'philox4x32-10'"),
                     1);
    remove_db(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_db_runs_equal_separate_runs),
        cmocka_unit_test(test_runs_record_their_generator_and_old_runs_read_as_mt19937),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
