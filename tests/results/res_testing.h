/*
 * res_testing.h - what the results tests share: a scratch directory for
 * their databases (made by the group setup, removed by the teardown) and
 * one integer read from a database with its own read-only connection;
 * databases of older schema versions; a dump of a whole database without
 * its wall-clock and provenance columns, to compare two databases.
 */
#ifndef RES_TESTING_H
#define RES_TESTING_H

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_query.h"
#include "res.h"

static char scratch_dir[] = "/tmp/offsim-res-XXXXXX";

static inline int scratch_setup(void **state)
{
    (void)state;
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static inline int scratch_teardown(void **state)
{
    (void)state;
    char cmd[256]; /* u+w: a test may leave read-only files and folders */
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", scratch_dir, scratch_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The report of p (opened read-only), malloc'd; NULL if it cannot be
 * opened or read, with the message on stdout. */
static inline char *report_of(const char *p)
{
    res_db *db;
    off_err e;
    if (res_open_readonly(&db, p, &e) != OFF_OK) {
        printf("  %s\n", e.msg);
        return NULL;
    }
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    off_status st = res_report(db, f, &e);
    fclose(f);
    res_close(db);
    if (st != OFF_OK) {
        printf("  %s\n", e.msg);
        free(buf);
        return NULL;
    }
    return buf;
}

/* report_of(p), which must succeed, also printed (for the test's log). */
static inline char *report_printed(const char *p)
{
    char *buf = report_of(p);
    assert_non_null(buf);
    /* (the compiler does not know the assertion ends the test) */
    fputs(buf ? buf : "", stdout);
    return buf;
}

/* A database of schema version 1 (with one run 'old', and its summary),
 * 2 (version 1 with the reward and the learning curves), 3 (version 2
 * with the devices, and a task, a learning-curve and a device row) or 5
 * (a current file without the reward bound: one run 'old' of the oracle,
 * its summary without a reward) at p. */
static inline void make_old_db(const char *p, int version)
{
    if (version == 5) {
        static const res_run_info old = {"old", "o.yaml", "x", "", 0, 1, "oracle"};
        res_db *db;
        off_err e;
        int64_t run;
        res_summary sum = {.n_tasks = 10, .reward_mean = NAN};
        sum.latency.ci95 = NAN;
        assert_int_equal(res_open(&db, p, &e), OFF_OK);
        assert_int_equal(res_run_begin(db, &old, &run, &e), OFF_OK);
        assert_int_equal(res_run_end(db, run, "ok", 1, &sum, &e), OFF_OK);
        res_close(db);
        sqlite3 *h;
        assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
        db_make_v5(h);
        sqlite3_close(h);
        return;
    }
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
    static const char *v3_sql =
        "CREATE TABLE devices (run_id INTEGER NOT NULL REFERENCES runs(run_id),"
        " device INTEGER NOT NULL, name TEXT NOT NULL, server INTEGER,"
        " n_tasks INTEGER NOT NULL, n_done INTEGER NOT NULL, n_offloaded INTEGER NOT NULL,"
        " handovers INTEGER NOT NULL, energy_j REAL, tail_j REAL, tail_unattributed_j REAL,"
        " capacity_j REAL, remaining_j REAL, t_death REAL, freq_hz REAL,"
        " PRIMARY KEY (run_id, device)) WITHOUT ROWID;"
        "INSERT INTO tasks (run_id, task_id, device, device_name, t_arrival, latency_s)"
        " VALUES (1, 0, 0, 'cam', 0.5, 0.25);"
        "INSERT INTO training (run_id, step, episode, updates) VALUES (1, 100, 1, 1);"
        "INSERT INTO devices (run_id, device, name, n_tasks, n_done, n_offloaded, handovers)"
        " VALUES (1, 0, 'cam', 1, 1, 0, 0);"
        "PRAGMA user_version=3;";
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, v1_sql, NULL, NULL, NULL), SQLITE_OK);
    if (version >= 2)
        assert_int_equal(sqlite3_exec(h, v2_sql, NULL, NULL, NULL), SQLITE_OK);
    if (version >= 3)
        assert_int_equal(sqlite3_exec(h, v3_sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* Columns a dump leaves out: wall-clock and provenance, which differ
 * between two writings of the same runs by the clock or the machine. */
static inline bool res_dump_skipped(const char *col)
{
    static const char *const skip[] = {"wall_s",   "started_at", "version",    "host",
                                       "compiler", "git_commit", "finished_at"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcmp(col, skip[i]) == 0)
            return true;
    return false;
}

/* A growing malloc'd string: text, its length and its capacity. */
typedef struct res_dump_buf {
    char *s;
    size_t n, cap;
} res_dump_buf;

/* Append the text of fmt to b.  The capacity doubles: a dump of a large
 * table is millions of appends, and growing by each one was quadratic
 * (under ASan, whose realloc always copies, a dump took minutes). */
static inline void res_dump_add(res_dump_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void res_dump_add(res_dump_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(k >= 0);
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + (size_t)k + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        assert_non_null(b->s);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* Every table of the database at p (by name), its columns but the skipped
 * ones and every row in primary-key order, as text (reals exactly, as
 * %a), malloc'd: two databases with the same dump hold the same runs. */
static inline char *res_dump(const char *p)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    res_dump_buf out = {0};
    res_dump_add(&out, "%s", "");
    sqlite3_stmt *t;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type = 'table'"
                                           " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                                        -1, &t, NULL),
                     SQLITE_OK);
    while (sqlite3_step(t) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(t, 0);
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY 1, 2", name);
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
        res_dump_add(&out, "table %s:", name);
        for (int c = 0; c < sqlite3_column_count(s); c++)
            if (!res_dump_skipped(sqlite3_column_name(s, c)))
                res_dump_add(&out, " %s", sqlite3_column_name(s, c));
        res_dump_add(&out, "\n");
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++) {
                if (res_dump_skipped(sqlite3_column_name(s, c)))
                    continue;
                switch (sqlite3_column_type(s, c)) {
                case SQLITE_NULL: res_dump_add(&out, "|NULL"); break;
                case SQLITE_INTEGER:
                    res_dump_add(&out, "|%lld", (long long)sqlite3_column_int64(s, c));
                    break;
                case SQLITE_FLOAT: res_dump_add(&out, "|%a", sqlite3_column_double(s, c)); break;
                default:
                    res_dump_add(&out, "|'%s'", (const char *)sqlite3_column_text(s, c));
                }
            }
            res_dump_add(&out, "\n");
        }
        sqlite3_finalize(s);
    }
    sqlite3_finalize(t);
    sqlite3_close(h);
    return out.s;
}

#endif /* RES_TESTING_H */
