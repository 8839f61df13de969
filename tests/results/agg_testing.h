/*
 * agg_testing.h - small sweeps written by hand for the aggregation, plot
 * and report tests: runs with a given summary, two devices and the
 * `params` rows of their point (the params table is created with the
 * schema's DDL when the database lacks it).
 */
#ifndef AGG_TESTING_H
#define AGG_TESTING_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "res.h"

#define AGG_PARAMS_DDL                                                                  \
    "CREATE TABLE IF NOT EXISTS params (run_id INTEGER NOT NULL REFERENCES runs,"       \
    " name TEXT NOT NULL, value TEXT NOT NULL, num REAL, PRIMARY KEY (run_id, name))"

/* Append to the database at path a run of policy and seed ending with
 * status; an ok run gets a summary (mean latency lat s, energy per task
 * energy J) and two devices (energy_j energy and 3 x energy, one task of
 * two offloaded on each).  params: "name=value[@num];..." (num absent:
 * NULL), stored in `params`.  The run's id. */
static inline int64_t agg_add_run(const char *path, const char *policy, uint64_t seed,
                                  const char *status, double lat, double energy,
                                  const char *params)
{
    res_db *db;
    off_err e;
    assert_int_equal(res_open(&db, path, &e), OFF_OK);
    res_run_info info = {"agg_test", "agg.yaml", "x", "", 1, seed, policy};
    int64_t run;
    assert_int_equal(res_run_begin(db, &info, &run, &e), OFF_OK);
    bool ok = strcmp(status, "ok") == 0;
    for (int d = 0; ok && d < 2; d++) {
        res_device_row dv = {d, "dev", 0, 2, 2, 1, 0, energy * (1 + 2 * d), 0, 0,
                             NAN, NAN, INFINITY, NAN};
        assert_int_equal(res_add_device(db, run, &dv, &e), OFF_OK);
    }
    res_summary sum = {0};
    sum.n_tasks = sum.n_done = 100;
    sum.latency.mean = lat;
    sum.latency.ci95 = NAN;
    sum.energy_mean_j = energy;
    sum.accuracy = 0.9;
    assert_int_equal(res_run_end(db, run, status, 0.1, ok ? &sum : NULL, &e), OFF_OK);
    sqlite3 *h = res_handle(db);
    assert_int_equal(sqlite3_exec(h, AGG_PARAMS_DDL, NULL, NULL, NULL), SQLITE_OK);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", params ? params : "");
    for (char *save = NULL, *tok = strtok_r(buf, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '='), *at = strchr(tok, '@');
        assert_non_null(eq);
        *eq = '\0';
        if (at)
            *at = '\0';
        char *sql = sqlite3_mprintf("INSERT INTO params VALUES (%lld, %Q, %Q, %s)",
                                    (long long)run, tok, eq + 1, at ? at + 1 : "NULL");
        assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free(sql);
    }
    res_close(db);
    return run;
}

#endif /* AGG_TESTING_H */
