/*
 * db_query.h - one integer read from a results database with a read-only
 * connection of its own, for tests that check what a run wrote; and a
 * current database turned back into a version-5 or version-4 one, for
 * migration tests.
 */
#ifndef DB_QUERY_H
#define DB_QUERY_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

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

/* What schema version 6 added, taken away again (as an offsim of version 5
 * wrote it): summary's reward bound.  On the open connection h. */
static inline void db_make_v5(sqlite3 *h)
{
    static const char sql[] =
        "ALTER TABLE summary DROP COLUMN reward_bound;"
        "ALTER TABLE summary DROP COLUMN bound_tasks;"
        "PRAGMA user_version=5;";
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("back to version 5: %s", msg);
}

/* What schema versions 5 and 6 added, taken away again (as an offsim of version 4
 * wrote it): the claims table, summary's warm-up and interval-check columns,
 * training.eval_reward and runs.rng.  On the open connection h. */
static inline void db_make_v4(sqlite3 *h)
{
    static const char sql[] =
        "DROP TABLE claims;"
        "ALTER TABLE summary DROP COLUMN warmup_s;"
        "ALTER TABLE summary DROP COLUMN warmup_tasks;"
        "ALTER TABLE summary DROP COLUMN warmup_auto;"
        "ALTER TABLE summary DROP COLUMN latency_ci_lag1;"
        "ALTER TABLE summary DROP COLUMN latency_ci_neff;"
        "ALTER TABLE summary DROP COLUMN latency_ci_ok;"
        "ALTER TABLE summary DROP COLUMN latency_ci_why;"
        "ALTER TABLE training DROP COLUMN eval_reward;"
        "ALTER TABLE runs DROP COLUMN rng;"
        "PRAGMA user_version=4;";
    db_make_v5(h);
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("back to version 4: %s", msg);
}

#endif /* DB_QUERY_H */
