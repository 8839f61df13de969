/*
 * res_testing.h - what the results tests share: a scratch directory for
 * their databases (made by the group setup, removed by the teardown) and
 * one integer read from a database with its own read-only connection;
 * databases of older schema versions.
 */
#ifndef RES_TESTING_H
#define RES_TESTING_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static char scratch_dir[] = "/tmp/offsim-res-XXXXXX";

static int scratch_setup(void **state)
{
    (void)state;
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
    (void)state;
    char cmd[256]; /* u+w: a test may leave read-only files and folders */
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", scratch_dir, scratch_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The integer in the first column of the first row of sql on db. */
static inline long long query_int(const char *db, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

/* A database of schema version 1 (with one run 'old', and its summary)
 * or 2 (version 1 with the reward and the learning curves) at p. */
static inline void make_old_db(const char *p, int version)
{
    static const char *v1_sql =
        "PRAGMA application_id=1330005587; PRAGMA user_version=1;"
        "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
        " scenario_file TEXT, config_text TEXT NOT NULL, overrides TEXT NOT NULL DEFAULT '',"
        " config_hash TEXT NOT NULL, seed INTEGER NOT NULL, policy TEXT NOT NULL,"
        " version TEXT NOT NULL, started_at TEXT NOT NULL, wall_s REAL,"
        " status TEXT NOT NULL);"
        "CREATE TABLE tasks (run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
        " task_id INTEGER NOT NULL, device INTEGER NOT NULL, device_name TEXT NOT NULL,"
        " server INTEGER, sample INTEGER, t_arrival REAL NOT NULL, t_start REAL, t_done REAL,"
        " latency_s REAL, compute_device_s REAL, uplink_s REAL, queue_s REAL,"
        " compute_server_s REAL, downlink_s REAL, energy_j REAL, bytes_up REAL, bytes_down REAL,"
        " exit INTEGER, split INTEGER, bits INTEGER, correct INTEGER, deadline_met INTEGER,"
        " deadline_s REAL, PRIMARY KEY (run_id, task_id)) WITHOUT ROWID;"
        "CREATE TABLE summary (run_id INTEGER PRIMARY KEY, n_tasks INTEGER, n_done INTEGER,"
        " latency_mean REAL, latency_ci95 REAL, latency_p50 REAL, latency_p95 REAL,"
        " latency_p99 REAL, latency_min REAL, latency_max REAL, energy_mean_j REAL,"
        " accuracy REAL, deadline_miss REAL, bytes_up_mean REAL, sim_time_s REAL,"
        " events INTEGER);"
        "INSERT INTO runs VALUES (1,'old','o.yaml','x','','0',1,'edge','0','now',1,'ok');"
        "INSERT INTO summary (run_id, n_tasks) VALUES (1, 10);";
    static const char *v2_sql =
        "ALTER TABLE summary ADD COLUMN reward_mean REAL;"
        "CREATE TABLE training (run_id INTEGER NOT NULL REFERENCES runs(run_id),"
        " step INTEGER NOT NULL, episode INTEGER NOT NULL, updates INTEGER NOT NULL,"
        " reward_mean REAL, episode_return REAL, loss_policy REAL, loss_value REAL,"
        " entropy REAL, temperature REAL, wall_s REAL, PRIMARY KEY (run_id, step)) WITHOUT ROWID;"
        "PRAGMA user_version=2;";
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, v1_sql, NULL, NULL, NULL), SQLITE_OK);
    if (version == 2)
        assert_int_equal(sqlite3_exec(h, v2_sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

#endif /* RES_TESTING_H */
