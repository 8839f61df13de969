/*
 * res_sweep.c - what a sweep records besides the runs themselves: its
 * experiment (name, file, text, hash), each run's point and parameters,
 * the status of a point (for resume), the error of a failed run, and the
 * view of an experiment's points with one column per axis.
 *
 * Each call is one transaction of its own (or joins the one open on the
 * connection), so that a sweep killed between two calls leaves either all
 * of a point's rows or none.
 */
#define _POSIX_C_SOURCE 200809L
#include "res_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prepare sql on db; an error naming what on failure. */
static off_status prepare(res_db *db, const char *sql, sqlite3_stmt **s, const char *what,
                          off_err *err)
{
    return sqlite3_prepare_v2(db->h, sql, -1, s, NULL) == SQLITE_OK ? OFF_OK
                                                                    : res_db_err(db, err, what);
}

/* Step s to its end (a write), finalize it; an error naming what. */
static off_status step_done(res_db *db, sqlite3_stmt *s, const char *what, off_err *err)
{
    int rc = sqlite3_step(s);
    off_status st = rc == SQLITE_DONE ? OFF_OK : res_db_err(db, err, what);
    sqlite3_finalize(s);
    return st;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static off_status experiment_put(res_db *db, const char *name, const char *file,
                                 const char *text, const char *hash, int64_t *id, off_err *err)
{
    static const char *what = "recording the experiment";
    sqlite3_stmt *s;
    off_status st = prepare(db,
                            "INSERT INTO experiments (name, file, text, hash) VALUES (?,?,?,?)"
                            " ON CONFLICT (hash) DO UPDATE SET text = excluded.text"
                            " WHERE text IS NOT excluded.text",
                            &s, what, err);
    if (st != OFF_OK)
        return st;
    sqlite3_bind_text(s, 1, name ? name : "", -1, SQLITE_TRANSIENT);
    bind_text_or_null(s, 2, file);
    sqlite3_bind_text(s, 3, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, hash, -1, SQLITE_TRANSIENT);
    if ((st = step_done(db, s, what, err)) != OFF_OK)
        return st;
    if ((st = prepare(db, "SELECT experiment_id FROM experiments WHERE hash = ?", &s, what,
                      err)) != OFF_OK)
        return st;
    sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    else
        st = res_db_err(db, err, what);
    sqlite3_finalize(s);
    return st;
}

off_status res_experiment_put(res_db *db, const char *name, const char *file, const char *text,
                              int64_t *id, off_err *err)
{
    return res_experiment_put_id(db, name, file, text,
                                 off_hash_bytes(text ? text : "", text ? strlen(text) : 0, 0),
                                 id, err);
}

off_status res_experiment_put_id(res_db *db, const char *name, const char *file,
                                 const char *text, uint64_t identity, int64_t *id, off_err *err)
{
    if (!text)
        text = "";
    char hash[17];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)identity);
    bool opened;
    off_status st = res_txn_begin(db, &opened, err);
    if (st != OFF_OK)
        return st;
    return res_txn_end(db, opened, experiment_put(db, name, file, text, hash, id, err), err);
}

static off_status run_point(res_db *db, int64_t run_id, int64_t exp_id, int64_t point,
                            const char *point_hash, const res_param *p, size_t n, off_err *err)
{
    static const char *what = "recording the run's point";
    sqlite3_stmt *s;
    off_status st = prepare(db,
                            "UPDATE runs SET experiment_id = ?, point = ?, point_hash = ?"
                            " WHERE run_id = ?",
                            &s, what, err);
    if (st != OFF_OK)
        return st;
    sqlite3_bind_int64(s, 1, exp_id);
    sqlite3_bind_int64(s, 2, point);
    bind_text_or_null(s, 3, point_hash);
    sqlite3_bind_int64(s, 4, run_id);
    if ((st = step_done(db, s, what, err)) != OFF_OK)
        return st;
    if (sqlite3_changes(db->h) != 1)
        return off_errf(err, OFF_EINVAL, db->path, 0, 0, "%s: no run %lld", what,
                        (long long)run_id);
    if ((st = prepare(db, "INSERT INTO params (run_id, name, value, num) VALUES (?,?,?,?)", &s,
                      what, err)) != OFF_OK)
        return st;
    for (size_t i = 0; i < n && st == OFF_OK; i++) {
        sqlite3_bind_int64(s, 1, run_id);
        sqlite3_bind_text(s, 2, p[i].name ? p[i].name : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, p[i].value ? p[i].value : "", -1, SQLITE_TRANSIENT);
        res_bind_real(s, 4, p[i].num);
        if (sqlite3_step(s) != SQLITE_DONE)
            st = off_errf(err, OFF_EDB, db->path, 0, 0, "%s: parameter '%s': %s", what,
                          p[i].name ? p[i].name : "", sqlite3_errmsg(db->h));
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return st;
}

off_status res_run_point(res_db *db, int64_t run_id, int64_t exp_id, int64_t point,
                         const char *point_hash, const res_param *p, size_t n, off_err *err)
{
    bool opened;
    off_status st = res_txn_begin(db, &opened, err);
    if (st != OFF_OK)
        return st;
    return res_txn_end(db, opened,
                       run_point(db, run_id, exp_id, point, point_hash, p, n, err), err);
}

off_status res_point_status(res_db *db, int64_t exp_id, const char *point_hash, char status[16],
                            int64_t *run_id, off_err *err)
{
    static const char *what = "reading the point's status";
    status[0] = '\0';
    *run_id = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(db),
                           "SELECT status, run_id FROM runs WHERE experiment_id = ?"
                           " AND point_hash = ? ORDER BY run_id DESC LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK)
        return res_db_err(db, err, what);
    sqlite3_bind_int64(s, 1, exp_id);
    bind_text_or_null(s, 2, point_hash);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        snprintf(status, 16, "%s", v ? v : "");
        *run_id = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OFF_OK : res_db_err(db, err, what);
}

off_status res_run_fail(res_db *db, int64_t run_id, const char *error, off_err *err)
{
    static const char *what = "recording the run's error";
    bool opened;
    off_status st = res_txn_begin(db, &opened, err);
    if (st != OFF_OK)
        return st;
    sqlite3_stmt *s;
    st = prepare(db, "UPDATE runs SET status = 'failed', error = ? WHERE run_id = ?", &s, what,
                 err);
    if (st == OFF_OK) {
        bind_text_or_null(s, 1, error);
        sqlite3_bind_int64(s, 2, run_id);
        st = step_done(db, s, what, err);
    }
    if (st == OFF_OK && sqlite3_changes(db->h) != 1)
        st = off_errf(err, OFF_EINVAL, db->path, 0, 0, "%s: no run %lld", what,
                      (long long)run_id);
    return res_txn_end(db, opened, st, err);
}

off_status res_scratch(res_db *db, off_err *err)
{
    return res_exec(db, "PRAGMA main.synchronous=OFF", err);
}

/* ---- the points view ------------------------------------------------------
 *
 * "points_NAME": one row per run of the experiments called NAME, one
 * column per parameter name of their runs (the value in SI units where it
 * has one, else the text: policy = 'edge' and "uplink.rate" < 3e5 both
 * work), then the run's status and its summary.  Built from the data, so
 * that a sweep and a merge of its shards write the same view, and
 * re-created only when its text changes (a schema change makes every
 * connection prepare its statements again). */

/* Append the SQL of the view of experiments named name to *sql
 * (sqlite3_mprintf'd); an SQLite code. */
static int view_sql(res_db *db, const char *name, char **sql)
{
    sqlite3_stmt *s;
    /* the parameters in name order, the seed last */
    int rc = sqlite3_prepare_v2(db->h,
                                "SELECT DISTINCT p.name FROM main.params p JOIN main.runs r"
                                " USING (run_id) JOIN main.experiments e USING (experiment_id)"
                                " WHERE e.name = ?"
                                " ORDER BY p.name = 'seed', p.name",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    char *v = sqlite3_mprintf("CREATE VIEW \"points_%w\" AS SELECT r.run_id AS run_id", name);
    char *names = sqlite3_mprintf("'run_id'");
    while (v && names && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(s, 0);
        char *nv = sqlite3_mprintf("%s, (SELECT coalesce(p.num, p.value) FROM params p WHERE"
                                   " p.run_id = r.run_id AND p.name = %Q) AS \"%w\"", v, p, p);
        char *nn = sqlite3_mprintf("%s,%Q", names, p);
        sqlite3_free(v);
        sqlite3_free(names);
        v = nv;
        names = nn;
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && v && names) {
        /* the status, then the summary's columns (but an axis's name) */
        char *q = sqlite3_mprintf("SELECT name FROM pragma_table_info('summary', 'main') WHERE name"
                                  " NOT IN (%s) ORDER BY cid", names);
        rc = q ? sqlite3_prepare_v2(db->h, q, -1, &s, NULL) : SQLITE_NOMEM;
        sqlite3_free(q);
        if (rc == SQLITE_OK) {
            if (!strstr(names, "'status'")) {
                char *nv = sqlite3_mprintf("%s, r.status AS status", v);
                sqlite3_free(v);
                v = nv;
            }
            while (v && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                char *nv = sqlite3_mprintf("%s, s.\"%w\"", v, sqlite3_column_text(s, 0));
                sqlite3_free(v);
                v = nv;
            }
            sqlite3_finalize(s);
        }
    }
    sqlite3_free(names);
    if (rc == SQLITE_DONE && v) {
        char *nv = sqlite3_mprintf("%s FROM runs r JOIN experiments e USING (experiment_id)"
                                   " LEFT JOIN summary s USING (run_id) WHERE e.name = %Q",
                                   v, name);
        sqlite3_free(v);
        v = nv;
    }
    if (!v && (rc == SQLITE_DONE || rc == SQLITE_ROW))
        rc = SQLITE_NOMEM;
    *sql = v;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The view of experiments named name, made again if its text changed. */
static off_status points_view(res_db *db, const char *name, off_err *err)
{
    static const char *what = "creating the points view";
    char *sql = NULL;
    sqlite3_stmt *s = NULL;
    if (view_sql(db, name, &sql) != SQLITE_OK) {
        sqlite3_free(sql);
        return res_db_err(db, err, what);
    }
    char *view = sqlite3_mprintf("points_%s", name);
    bool same = false;
    if (view && sqlite3_prepare_v2(db->h, "SELECT sql FROM main.sqlite_master WHERE type = 'view'"
                                          " AND name = ?", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, view, -1, SQLITE_STATIC);
        same = sqlite3_step(s) == SQLITE_ROW &&
               strcmp((const char *)sqlite3_column_text(s, 0), sql) == 0;
        sqlite3_finalize(s);
    }
    off_status st = OFF_OK;
    if (!same) {
        /* main's: a merge's read-only inputs may have one of that name */
        char *drop = sqlite3_mprintf("DROP VIEW IF EXISTS main.\"points_%w\"", name);
        if (!drop || sqlite3_exec(db->h, drop, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
            st = res_db_err(db, err, what);
        sqlite3_free(drop);
    }
    sqlite3_free(view);
    sqlite3_free(sql);
    return st;
}

off_status res_points_view(res_db *db, const char *name, off_err *err)
{
    bool opened;
    off_status st = res_txn_begin(db, &opened, err);
    if (st != OFF_OK)
        return st;
    if (name)
        return res_txn_end(db, opened, points_view(db, name, err), err);
    /* every experiment's name, read in full before the first view is made
     * (no schema change under a statement still reading) */
    sqlite3_stmt *s;
    char **names = NULL;
    size_t n = 0, cap = 0;
    if (sqlite3_prepare_v2(db->h, "SELECT DISTINCT name FROM main.experiments ORDER BY name",
                           -1, &s, NULL) != SQLITE_OK)
        return res_txn_end(db, opened, res_db_err(db, err, "creating the points views"), err);
    while (st == OFF_OK && sqlite3_step(s) == SQLITE_ROW) {
        char **nn = n == cap ? realloc(names, (cap = cap ? 2 * cap : 8) * sizeof *nn) : names;
        char *v = nn ? strdup((const char *)sqlite3_column_text(s, 0)) : NULL;
        if (nn)
            names = nn;
        if (!v)
            st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        else
            names[n++] = v;
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < n; i++) {
        if (st == OFF_OK)
            st = points_view(db, names[i], err);
        free(names[i]);
    }
    free(names);
    return res_txn_end(db, opened, st, err);
}
