/*
 * res_claims.c - the database side of an experiment's claims: which run
 * stands for each point, the metric of a set of runs, and the verdicts
 * written to table `claims` (schema version 5).
 */
#define _POSIX_C_SOURCE 200809L
#include "res_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_slot {
    int64_t id;
    size_t i;
} run_slot;

static int slot_cmp(const void *a, const void *b)
{
    const run_slot *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

off_status res_point_runs(res_db *db, const char (*hash)[17], size_t n, int64_t *run_id,
                          off_err *err)
{
    static const char *what = "finding the runs of the points";
    for (size_t i = 0; i < n; i++)
        run_id[i] = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(db),
                           "SELECT max(run_id) FROM runs WHERE status = 'ok' AND point_hash = ?",
                           -1, &s, NULL) != SQLITE_OK)
        return res_db_err(db, err, what);
    off_status st = OFF_OK;
    for (size_t i = 0; i < n && st == OFF_OK; i++) {
        sqlite3_bind_text(s, 1, hash[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
            run_id[i] = sqlite3_column_int64(s, 0);
        else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            st = res_db_err(db, err, what);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return st;
}

off_status res_metric_values(res_db *db, const res_metric_info *mi, const int64_t *run_id,
                             size_t n, double *v, off_err *err)
{
    run_slot *slot = malloc((n ? n : 1) * sizeof *slot);
    if (!slot)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        v[i] = NAN;
        slot[i] = (run_slot){run_id[i], i};
    }
    qsort(slot, n, sizeof *slot, slot_cmp);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(db), mi->sql, -1, &s, NULL) != SQLITE_OK) {
        free(slot);
        return off_errf(err, OFF_EINVAL, res_path(db), 0, 0,
                        "metric %s is not in this database (%s)", mi->name,
                        sqlite3_errmsg(res_handle(db)));
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 1) == SQLITE_NULL)
            continue;
        run_slot key = {sqlite3_column_int64(s, 0), 0};
        run_slot *hit = bsearch(&key, slot, n, sizeof *slot, slot_cmp);
        if (!hit || !hit->id)
            continue;
        /* several points may share a run (bsearch finds one of them) */
        while (hit > slot && hit[-1].id == key.id)
            hit--;
        for (; hit < slot + n && hit->id == key.id; hit++)
            v[hit->i] = sqlite3_column_double(s, 1);
    }
    sqlite3_finalize(s);
    free(slot);
    return rc == SQLITE_DONE ? OFF_OK : res_db_err(db, err, "reading a metric");
}

static off_status claims_put(res_db *db, const char *experiment, const res_claim_row *rows,
                             size_t n, const char *checked_at, off_err *err)
{
    static const char *what = "recording the claims";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h, "DELETE FROM claims WHERE experiment = ?", -1, &s, NULL) !=
        SQLITE_OK)
        return res_db_err(db, err, what);
    sqlite3_bind_text(s, 1, experiment, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return res_db_err(db, err, what);
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO claims (experiment, name, kind, says, source, offsim,"
                           " verdict, detail, checked_at) VALUES (?,?,?,?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        return res_db_err(db, err, what);
    off_status st = OFF_OK;
    for (size_t i = 0; i < n && st == OFF_OK; i++) {
        const res_claim_row *r = &rows[i];
        const char *v[] = {experiment, r->name,    r->kind,   r->says,   r->source,
                           r->offsim,  r->verdict, r->detail, checked_at};
        for (int k = 0; k < 9; k++) /* source and detail may be NULL */
            if (!v[k] || sqlite3_bind_text(s, k + 1, v[k], -1, SQLITE_TRANSIENT) != SQLITE_OK)
                sqlite3_bind_null(s, k + 1);
        if (sqlite3_step(s) != SQLITE_DONE)
            st = res_db_err(db, err, what);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return st;
}

off_status res_claims_put(res_db *db, const char *experiment, const res_claim_row *rows,
                          size_t n, const char *checked_at, off_err *err)
{
    bool opened;
    off_status st = res_txn_begin(db, &opened, err);
    if (st != OFF_OK)
        return st;
    return res_txn_end(db, opened, claims_put(db, experiment, rows, n, checked_at, err), err);
}
