/*
 * res_db.c - the results database: schema, opening, and the recorder.
 *
 * Consistency: the runs row is committed on its own at res_run_begin, task
 * rows are inserted inside a transaction committed every RES_BATCH rows, and
 * res_run_end commits the rest with the summary and the final status in one
 * transaction.  In WAL mode a process killed at any point leaves the last
 * committed state: whole batches, and the run marked 'running' (reported as
 * interrupted).
 *
 * Rows are held in memory until their batch is committed and then inserted
 * in one go (BEGIN, RES_BATCH inserts, COMMIT): what a killed process
 * leaves is the same as when each row went into an open transaction at
 * once (uncommitted rows are lost either way), and SQLite's code and pages
 * stay in the caches for the whole batch instead of alternating with the
 * simulator's at every task.
 *
 * The writer thread: a full batch is handed to one thread that inserts and
 * commits it while the caller fills the other of two buffers, so that the
 * simulation and SQLite run on two cores (SQLite's insert costs about twice
 * the simulation of a task).  If the writer is still busy when the next
 * batch is full, the caller waits.  Every other use of the connection
 * (res_run_begin, res_run_end, res_add_training, res_close, res_handle)
 * first waits until the writer is idle (join_writer), so the connection is
 * never used by two threads at once (SQLITE_OPEN_NOMUTEX stays right; the
 * mutex gives the memory ordering).  The statements reach SQLite in the
 * same order as when each batch was committed at once, so the database's
 * content does not depend on timing.
 *
 * Errors: an insert or commit error of a batch (a duplicate task id, a full
 * disk) rolls the whole batch back and is reported by the next call that
 * waits for the writer: the res_add_task that fills the next batch, or
 * res_run_end, res_run_begin, res_add_training.  That call then does
 * nothing else: the rows buffered since are dropped with the failed batch
 * (a caller stops at the error; before the writer it would not have
 * buffered them), and the call writes nothing (as when its own commit
 * failed).  The last, partial batch is committed by res_run_end (and
 * res_close) itself, whose errors are returned at once.
 */
#define _POSIX_C_SOURCE 200809L
#include "res.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RES_APP_ID 0x4f464653 /* "OFFS" */
#define RES_SCHEMA_VERSION 3
/* Task rows per INSERT statement: one statement's start, cursor opening
 * and reset are shared by the rows (about a quarter fewer instructions per
 * row than one row per statement, in a scratch harness under cachegrind). */
#define RES_ROWS_PER_INSERT 16
#define RES_TASK_COLS 24

/* A buffered task row: the row, its run, and where its device name sits in
 * the batch's name arena (the caller's string need not outlive the call). */
typedef struct res_row_buf {
    res_task_row r;
    int64_t run_id;
    size_t name_off, name_len;
} res_row_buf;

/* A batch of task rows and the arena of their device names; two of them,
 * allocated at the first row: one filled by the caller, one written. */
typedef struct res_batch {
    size_t n;            /* rows buffered, not yet inserted (<= RES_BATCH) */
    res_row_buf *rows;   /* RES_BATCH rows                                 */
    char *names;         /* device names of the buffered rows              */
    size_t names_len, names_cap;
} res_batch;

struct res_db {
    sqlite3 *h;
    char *path;
    sqlite3_stmt *ins_task;   /* one row                                    */
    sqlite3_stmt *ins_tasks;  /* RES_ROWS_PER_INSERT rows                   */
    sqlite3_stmt *ins_train;  /* one learning-curve row                     */
    sqlite3_stmt *ins_device; /* one devices row                            */
    size_t train_rows;        /* curve rows in the open transaction          */
    bool in_txn;
    int64_t run_cur;     /* run id of the last res_run_begin, 0 if none    */
    bool fk_off;         /* foreign keys off for the open batch            */
    res_batch bat[2];    /* rows allocated at the first row                */
    res_batch *fill;     /* the batch the caller appends to                */
    /* The writer thread (started at the first task row).  Fields above
     * that touch the connection belong to the writer while job is set. */
    pthread_mutex_t mu;
    pthread_cond_t work;      /* job set, or stop                           */
    pthread_cond_t idle;      /* job back to NULL                           */
    bool sync_ok;             /* mu, work, idle initialised                 */
    pthread_t thr;
    bool thr_on;              /* writer running                              */
    bool stop;                /* writer: leave when idle                     */
    res_batch *job;           /* batch being written, NULL when idle        */
    off_status wst;           /* writer's error, OFF_OK if none             */
    off_err werr;             /* its message, reported by the next join      */
};

/* The learning curves of `offsim train` (schema version 2). */
#define TRAINING_SQL_TEXT                                                         \
    "CREATE TABLE IF NOT EXISTS training ("                                       \
    " run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"        \
    " step INTEGER NOT NULL, episode INTEGER NOT NULL, updates INTEGER NOT NULL," \
    " reward_mean REAL, episode_return REAL, loss_policy REAL, loss_value REAL,"  \
    " entropy REAL, temperature REAL, wall_s REAL,"                              \
    " PRIMARY KEY (run_id, step)) WITHOUT ROWID;"

/* Per-device results of a run (schema version 3): created by schema_sql
 * with IF NOT EXISTS, so a version-2 database gains it when opened for
 * writing. */
#define DEVICES_SQL_TEXT                                                          \
    "CREATE TABLE IF NOT EXISTS devices ("                                        \
    " run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"        \
    " device INTEGER NOT NULL, name TEXT NOT NULL, server INTEGER,"              \
    " n_tasks INTEGER NOT NULL, n_done INTEGER NOT NULL,"                        \
    " n_offloaded INTEGER NOT NULL, handovers INTEGER NOT NULL,"                 \
    " energy_j REAL, tail_j REAL, tail_unattributed_j REAL,"                     \
    " capacity_j REAL, remaining_j REAL, t_death REAL, freq_hz REAL,"            \
    " PRIMARY KEY (run_id, device)) WITHOUT ROWID;"

/* A version-1 database gains the reward column and the training table. */
static const char *migrate_v1_sql =
    "ALTER TABLE summary ADD COLUMN reward_mean REAL;" TRAINING_SQL_TEXT;

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS runs ("
    " run_id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL, scenario_file TEXT, config_text TEXT NOT NULL,"
    " overrides TEXT NOT NULL DEFAULT '', config_hash TEXT NOT NULL,"
    " seed INTEGER NOT NULL, policy TEXT NOT NULL, version TEXT NOT NULL,"
    " started_at TEXT NOT NULL, wall_s REAL,"
    " status TEXT NOT NULL CHECK (status IN ('running','ok','failed','interrupted')));"
    "CREATE TABLE IF NOT EXISTS tasks ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
    " task_id INTEGER NOT NULL, device INTEGER NOT NULL, device_name TEXT NOT NULL,"
    " server INTEGER, sample INTEGER,"
    " t_arrival REAL NOT NULL, t_start REAL, t_done REAL, latency_s REAL,"
    " compute_device_s REAL, uplink_s REAL, queue_s REAL, compute_server_s REAL,"
    " downlink_s REAL, energy_j REAL, bytes_up REAL, bytes_down REAL,"
    " exit INTEGER, split INTEGER, bits INTEGER, correct INTEGER,"
    " deadline_met INTEGER, deadline_s REAL,"
    " PRIMARY KEY (run_id, task_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS summary ("
    " run_id INTEGER PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,"
    " n_tasks INTEGER, n_done INTEGER, latency_mean REAL, latency_ci95 REAL,"
    " latency_p50 REAL, latency_p95 REAL, latency_p99 REAL, latency_min REAL,"
    " latency_max REAL, energy_mean_j REAL, accuracy REAL, deadline_miss REAL,"
    " bytes_up_mean REAL, sim_time_s REAL, events INTEGER, reward_mean REAL);"
    TRAINING_SQL_TEXT DEVICES_SQL_TEXT;

static off_status db_err(res_db *db, off_err *err, const char *what)
{
    return off_errf(err, OFF_EDB, db->path, 0, 0, "%s: %s", what, sqlite3_errmsg(db->h));
}

static off_status exec(res_db *db, const char *sql, off_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        off_errf(err, OFF_EDB, db->path, 0, 0, "%s", msg ? msg : "SQL error");
        sqlite3_free(msg);
        return OFF_EDB;
    }
    return OFF_OK;
}

static int pragma_int(res_db *db, const char *sql)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* mkdir -p of the directory part of path. */
static void make_parent(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(buf, 0777);
        *p = '/';
    }
}

/* Check that an opened file is ours (or empty, when we may create). */
static off_status check_identity(res_db *db, bool may_create, int *version, off_err *err)
{
    /* Reading the header fails on a file that is not SQLite at all. */
    int app = pragma_int(db, "PRAGMA application_id");
    int ver = pragma_int(db, "PRAGMA user_version");
    int ntab = pragma_int(db, "SELECT count(*) FROM sqlite_master");
    *version = ver;
    if (app < 0 || ver < 0 || ntab < 0)
        return off_errf(err, OFF_EDB, db->path, 0, 0,
                        "not an offsim results database (%s)", sqlite3_errmsg(db->h));
    if (app == 0 && ver == 0 && ntab == 0)
        return may_create ? OFF_OK
                          : off_errf(err, OFF_EDB, db->path, 0, 0,
                                     "empty database: no runs recorded");
    if (app != RES_APP_ID)
        return off_errf(err, OFF_EDB, db->path, 0, 0,
                        "not an offsim results database");
    if (ver > RES_SCHEMA_VERSION)
        return off_errf(err, OFF_EDB, db->path, 0, 0,
                        "results schema version %d is newer than this offsim "
                        "understands (%d): use a newer offsim", ver, RES_SCHEMA_VERSION);
    return OFF_OK;
}

static off_status open_common(res_db **out, const char *path, bool rw, off_err *err)
{
    *out = NULL;
    /* SQLite's memory statistics take a global mutex at every allocation
     * (about 5 % of a task row's instructions); offsim never reads them.
     * Only possible before SQLite initialises: later calls fail harmlessly. */
    static bool configured = false;
    if (!configured) {
        configured = true;
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    }
    res_db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (pthread_mutex_init(&db->mu, NULL) == 0) {
        if (pthread_cond_init(&db->work, NULL) == 0) {
            if (pthread_cond_init(&db->idle, NULL) == 0)
                db->sync_ok = true; /* else: no writer, batches committed inline */
            else
                pthread_cond_destroy(&db->work);
        }
        if (!db->sync_ok)
            pthread_mutex_destroy(&db->mu);
    }
    struct stat sb;
    if (!rw && stat(path, &sb) != 0) {
        off_errf(err, OFF_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
        res_close(db);
        return OFF_EIO;
    }
    if (rw)
        make_parent(path);
    /* NOMUTEX: a connection is used by one thread only, so SQLite need not
     * lock around every call (a measurable share of the per-row cost). */
    int flags = (rw ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        off_errf(err, OFF_EDB, path, 0, 0, "cannot open database: %s",
                 db->h ? sqlite3_errmsg(db->h) : "out of memory");
        res_close(db);
        return OFF_EDB;
    }
    sqlite3_busy_timeout(db->h, 10000);
    int version = 0;
    off_status st = check_identity(db, rw, &version, err);
    if (st == OFF_OK && rw) {
        /* page_size only takes effect on a new database (before WAL); with
         * 16 KiB pages and a 32 MiB cache, rows go in ~20 % faster than
         * with the 4 KiB default (bench/RESULTS.md). */
        static const char *setup =
            "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768;";
        char ids[128];
        snprintf(ids, sizeof ids, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 RES_APP_ID, RES_SCHEMA_VERSION);
        if ((st = exec(db, setup, err)) == OFF_OK &&
            (st = exec(db, "BEGIN IMMEDIATE", err)) == OFF_OK) {
            if ((version != 1 || (st = exec(db, migrate_v1_sql, err)) == OFF_OK) &&
                (st = exec(db, schema_sql, err)) == OFF_OK &&
                (st = exec(db, ids, err)) == OFF_OK)
                st = exec(db, "COMMIT", err);
            else
                sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    if (st != OFF_OK) {
        res_close(db);
        return st;
    }
    *out = db;
    return OFF_OK;
}

off_status res_open(res_db **db, const char *path, off_err *err)
{
    return open_common(db, path, true, err);
}

off_status res_open_readonly(res_db **db, const char *path, off_err *err)
{
    return open_common(db, path, false, err);
}

static void bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v) || isinf(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

/* Foreign keys back on once a batch's transaction has ended (the pragma is
 * a no-op inside a transaction). */
static void fk_restore(res_db *db)
{
    if (db->fk_off && sqlite3_exec(db->h, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) == SQLITE_OK)
        db->fk_off = false;
}

/* Bind buffered row b of batch bt to parameters k+1..k+24 of s. */
static void bind_row(const res_batch *bt, sqlite3_stmt *s, int k, const res_row_buf *b)
{
    const res_task_row *r = &b->r;
    sqlite3_bind_int64(s, k + 1, b->run_id);
    sqlite3_bind_int64(s, k + 2, r->task_id);
    sqlite3_bind_int(s, k + 3, r->device);
    sqlite3_bind_text(s, k + 4, bt->names + b->name_off, (int)b->name_len, SQLITE_STATIC);
    if (r->server < 0)
        sqlite3_bind_null(s, k + 5);
    else
        sqlite3_bind_int(s, k + 5, r->server);
    if (r->sample < 0)
        sqlite3_bind_null(s, k + 6);
    else
        sqlite3_bind_int64(s, k + 6, r->sample);
    bind_real(s, k + 7, r->t_arrival);
    bind_real(s, k + 8, r->t_start);
    bind_real(s, k + 9, r->t_done);
    bind_real(s, k + 10, r->latency_s);
    bind_real(s, k + 11, r->compute_device_s);
    bind_real(s, k + 12, r->uplink_s);
    bind_real(s, k + 13, r->queue_s);
    bind_real(s, k + 14, r->compute_server_s);
    bind_real(s, k + 15, r->downlink_s);
    bind_real(s, k + 16, r->energy_j);
    bind_real(s, k + 17, r->bytes_up);
    bind_real(s, k + 18, r->bytes_down);
    sqlite3_bind_int(s, k + 19, r->exit);
    sqlite3_bind_int(s, k + 20, r->split);
    sqlite3_bind_int(s, k + 21, r->bits);
    sqlite3_bind_int(s, k + 22, r->correct);
    sqlite3_bind_int(s, k + 23, r->deadline_met);
    bind_real(s, k + 24, r->deadline_s);
}

/* Prepare "INSERT INTO tasks VALUES (?,...),..." for rows rows. */
static int prepare_insert(res_db *db, size_t rows, sqlite3_stmt **st)
{
    char sql[32 + RES_ROWS_PER_INSERT * (2 * RES_TASK_COLS + 2)];
    size_t k = (size_t)snprintf(sql, sizeof sql, "INSERT INTO tasks VALUES ");
    for (size_t r = 0; r < rows; r++) {
        sql[k++] = r ? ',' : ' ';
        sql[k++] = '(';
        for (size_t c = 0; c < RES_TASK_COLS; c++) {
            sql[k++] = '?';
            sql[k++] = c + 1 < RES_TASK_COLS ? ',' : ')';
        }
    }
    sql[k] = '\0';
    return sqlite3_prepare_v3(db->h, sql, (int)k, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

/* Insert rows[0..n) of batch bt with the prepared statement for n rows. */
static int insert_rows(const res_batch *bt, sqlite3_stmt *s, const res_row_buf *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bind_row(bt, s, (int)(i * RES_TASK_COLS), &rows[i]);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

/* Insert the rows of batch bt into the open transaction (beginning one if
 * none is open) and empty bt.  On error the transaction is rolled back and
 * the rows dropped.  Runs on the writer thread for a full batch, on the
 * caller's for the last one (never both at once: see join_writer). */
static off_status flush_rows(res_db *db, res_batch *bt, off_err *err)
{
    if (bt->n == 0)
        return OFF_OK;
    size_t n = bt->n;
    bt->n = 0;
    bt->names_len = 0; /* the names stay readable until bt is filled again */
    if ((!db->ins_task && prepare_insert(db, 1, &db->ins_task) != SQLITE_OK) ||
        (!db->ins_tasks &&
         prepare_insert(db, RES_ROWS_PER_INSERT, &db->ins_tasks) != SQLITE_OK))
        return db_err(db, err, "preparing task insert");
    if (!db->in_txn) {
        /* Rows of the run this connection began (its runs row committed)
         * need no foreign-key lookup per row: checked here once instead. */
        bool ours = db->run_cur != 0;
        for (size_t i = 0; i < n && ours; i++)
            ours = bt->rows[i].run_id == db->run_cur;
        if (ours && sqlite3_exec(db->h, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL) == SQLITE_OK)
            db->fk_off = true;
        if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
            off_status st = db_err(db, err, "begin");
            fk_restore(db);
            return st;
        }
        db->in_txn = true;
    }
    for (size_t i = 0; i < n;) {
        size_t m = n - i >= RES_ROWS_PER_INSERT ? RES_ROWS_PER_INSERT : 1;
        int rc = insert_rows(bt, m > 1 ? db->ins_tasks : db->ins_task, &bt->rows[i], m);
        i += m;
        if (rc != SQLITE_DONE) {
            off_status st = db_err(db, err, "inserting a task row");
            sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
            db->in_txn = false;
            fk_restore(db);
            return st;
        }
    }
    return OFF_OK;
}

/* Insert batch bt (which may be empty) and commit the open transaction. */
static off_status commit_batch(res_db *db, res_batch *bt, off_err *err)
{
    off_status st = flush_rows(db, bt, err);
    if (st != OFF_OK)
        return st;
    if (!db->in_txn)
        return OFF_OK;
    db->in_txn = false;
    if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        off_status st = db_err(db, err, "commit");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        fk_restore(db);
        return st;
    }
    fk_restore(db);
    return OFF_OK;
}

/* Commit the rows the caller has buffered (after join_writer). */
static off_status commit_pending(res_db *db, off_err *err)
{
    res_batch none = {0}; /* no row buffered yet: nothing to insert */
    return commit_batch(db, db->fill ? db->fill : &none, err);
}

/* The writer thread: commit each batch handed over in db->job, keep the
 * first error for the caller, and leave on db->stop. */
static void *writer_main(void *arg)
{
    res_db *db = arg;
    pthread_mutex_lock(&db->mu);
    for (;;) {
        while (!db->job && !db->stop)
            pthread_cond_wait(&db->work, &db->mu);
        if (!db->job)
            break;
        res_batch *bt = db->job;
        pthread_mutex_unlock(&db->mu);
        off_err e;
        off_status st = commit_batch(db, bt, &e);
        pthread_mutex_lock(&db->mu);
        if (st != OFF_OK && db->wst == OFF_OK) {
            db->wst = st;
            db->werr = e;
        }
        db->job = NULL;
        pthread_cond_signal(&db->idle);
    }
    pthread_mutex_unlock(&db->mu);
    return NULL;
}

/* Start the writer, with SIGINT and SIGTERM blocked so that they reach the
 * caller's thread as before (the mask is inherited from the creator).  On
 * failure the batches are committed by the caller, as without a writer. */
static void writer_start(res_db *db)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &block, &old) != 0)
        return;
    if (pthread_create(&db->thr, NULL, writer_main, db) == 0)
        db->thr_on = true;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The join point: wait until the writer is idle.  Afterwards the caller
 * owns the connection until it hands over the next batch. */
static void wait_writer(res_db *db)
{
    if (!db->thr_on)
        return;
    pthread_mutex_lock(&db->mu);
    while (db->job)
        pthread_cond_wait(&db->idle, &db->mu);
    pthread_mutex_unlock(&db->mu);
}

/* Wait until the writer is idle and report its error, if any: then the
 * rows buffered since the failed batch are dropped with it. */
static off_status join_writer(res_db *db, off_err *err)
{
    wait_writer(db);
    off_status st = db->wst; /* written by the writer before it went idle */
    if (st == OFF_OK)
        return OFF_OK;
    if (err)
        *err = db->werr;
    db->wst = OFF_OK;
    if (db->fill) {
        db->fill->n = 0;
        db->fill->names_len = 0;
    }
    return st;
}

void res_close(res_db *db)
{
    if (!db)
        return;
    if (db->h) {
        join_writer(db, NULL);
        commit_pending(db, NULL);
    }
    if (db->thr_on) {
        pthread_mutex_lock(&db->mu);
        db->stop = true;
        pthread_cond_signal(&db->work);
        pthread_mutex_unlock(&db->mu);
        pthread_join(db->thr, NULL);
        db->thr_on = false;
    }
    if (db->h) {
        sqlite3_finalize(db->ins_task);
        sqlite3_finalize(db->ins_tasks);
        sqlite3_finalize(db->ins_train);
        sqlite3_finalize(db->ins_device);
        sqlite3_close(db->h);
    }
    if (db->sync_ok) {
        pthread_mutex_destroy(&db->mu);
        pthread_cond_destroy(&db->work);
        pthread_cond_destroy(&db->idle);
    }
    for (int i = 0; i < 2; i++) {
        free(db->bat[i].rows);
        free(db->bat[i].names);
    }
    free(db->path);
    free(db);
}

off_status res_run_begin(res_db *db, const res_run_info *info, int64_t *run_id,
                         off_err *err)
{
    off_status st = join_writer(db, err);
    if (st == OFF_OK)
        st = commit_pending(db, err);
    if (st != OFF_OK)
        return st;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO runs (scenario, scenario_file, config_text, "
                           "overrides, config_hash, seed, policy, version, started_at, "
                           "status) VALUES (?,?,?,?,?,?,?,?,?,'running')",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "recording the run");
    char hash[17], when[32];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)info->config_hash);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sqlite3_bind_text(s, 1, info->scenario ? info->scenario : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, info->scenario_file ? info->scenario_file : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, info->config_text ? info->config_text : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, info->overrides ? info->overrides : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)info->seed);
    sqlite3_bind_text(s, 7, info->policy ? info->policy : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, OFF_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, when, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "recording the run");
    *run_id = sqlite3_last_insert_rowid(db->h);
    db->run_cur = *run_id;
    return OFF_OK;
}

/* Allocate both batches (once, at the first row) and start the writer. */
static off_status batches_alloc(res_db *db, off_err *err)
{
    for (int i = 0; i < 2; i++) {
        res_batch *bt = &db->bat[i];
        bt->rows = malloc(RES_BATCH * sizeof *bt->rows);
        bt->names = malloc(4096);
        bt->names_cap = 4096;
        if (!bt->rows || !bt->names) {
            for (int j = 0; j <= i; j++) {
                free(db->bat[j].rows);
                free(db->bat[j].names);
                db->bat[j] = (res_batch){0};
            }
            return off_errf(err, OFF_ENOMEM, db->path, 0, 0, "out of memory for task rows");
        }
    }
    db->fill = &db->bat[0];
    if (db->sync_ok)
        writer_start(db);
    return OFF_OK;
}

/* The batch being filled is full: hand it to the writer (once the previous
 * one is written) and fill the other.  Without a writer, commit it here. */
static off_status hand_over(res_db *db, off_err *err)
{
    off_status st = join_writer(db, err);
    if (st != OFF_OK || !db->thr_on)
        return st != OFF_OK ? st : commit_pending(db, err);
    pthread_mutex_lock(&db->mu);
    db->job = db->fill;
    pthread_cond_signal(&db->work);
    pthread_mutex_unlock(&db->mu);
    db->fill = db->fill == &db->bat[0] ? &db->bat[1] : &db->bat[0];
    return OFF_OK;
}

off_status res_add_task(res_db *db, int64_t run_id, const res_task_row *r,
                        off_err *err)
{
    off_status st;
    if (!db->fill && (st = batches_alloc(db, err)) != OFF_OK)
        return st;
    res_batch *bt = db->fill;
    const char *name = r->device_name ? r->device_name : "";
    size_t len = strlen(name);
    if (len > (size_t)INT32_MAX)
        return off_errf(err, OFF_EINVAL, db->path, 0, 0, "device name of %zu bytes", len);
    if (bt->names_len + len > bt->names_cap) { /* geometric: not per row */
        size_t cap = bt->names_cap;
        while (cap < bt->names_len + len)
            cap *= 2;
        char *nn = realloc(bt->names, cap);
        if (!nn)
            return off_errf(err, OFF_ENOMEM, db->path, 0, 0, "out of memory for task rows");
        bt->names = nn;
        bt->names_cap = cap;
    }
    memcpy(bt->names + bt->names_len, name, len);
    res_row_buf *b = &bt->rows[bt->n++];
    b->r = *r;
    b->r.device_name = NULL; /* resolved from the arena at insert time */
    b->run_id = run_id;
    b->name_off = bt->names_len;
    b->name_len = len;
    bt->names_len += len;
    if (bt->n >= RES_BATCH)
        return hand_over(db, err);
    return OFF_OK;
}

off_status res_run_end(res_db *db, int64_t run_id, const char *status,
                       double wall_s, const res_summary *sum, off_err *err)
{
    off_status wst = join_writer(db, err);
    if (wst != OFF_OK)
        return wst;
    if (!db->in_txn) {
        if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return db_err(db, err, "begin");
        db->in_txn = true;
    }
    sqlite3_stmt *s = NULL;
    int rc = SQLITE_DONE;
    if (sum) {
        rc = sqlite3_prepare_v2(db->h,
                                "INSERT OR REPLACE INTO summary VALUES "
                                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &s, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(s, 1, run_id);
            sqlite3_bind_int64(s, 2, (sqlite3_int64)sum->n_tasks);
            sqlite3_bind_int64(s, 3, (sqlite3_int64)sum->n_done);
            bind_real(s, 4, sum->latency.mean);
            bind_real(s, 5, sum->latency.ci95);
            bind_real(s, 6, sum->latency.p50);
            bind_real(s, 7, sum->latency.p95);
            bind_real(s, 8, sum->latency.p99);
            bind_real(s, 9, sum->latency.min);
            bind_real(s, 10, sum->latency.max);
            bind_real(s, 11, sum->energy_mean_j);
            bind_real(s, 12, sum->accuracy);
            bind_real(s, 13, sum->deadline_miss);
            bind_real(s, 14, sum->bytes_up_mean);
            bind_real(s, 15, sum->sim_time_s);
            sqlite3_bind_int64(s, 16, (sqlite3_int64)sum->events);
            bind_real(s, 17, sum->reward_mean);
            rc = sqlite3_step(s);
        }
        sqlite3_finalize(s);
    }
    if (rc == SQLITE_DONE &&
        sqlite3_prepare_v2(db->h, "UPDATE runs SET status = ?, wall_s = ? WHERE run_id = ?",
                           -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
        bind_real(s, 2, wall_s);
        sqlite3_bind_int64(s, 3, run_id);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_ERROR;
    }
    if (rc != SQLITE_DONE) {
        off_status st = db_err(db, err, "closing the run");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        db->in_txn = false;
        if (db->fill) {
            db->fill->n = 0;
            db->fill->names_len = 0;
        }
        return st;
    }
    return commit_pending(db, err);
}

/* For a row written inline (not through the task batches): wait for the
 * writer, open the transaction if none is, and prepare *stmt from sql the
 * first time. */
static off_status begin_inline_row(res_db *db, sqlite3_stmt **stmt, const char *sql,
                                   const char *what, off_err *err)
{
    off_status wst = join_writer(db, err);
    if (wst != OFF_OK)
        return wst;
    if (!db->in_txn) {
        if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return db_err(db, err, "begin");
        db->in_txn = true;
    }
    if (!*stmt && sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) !=
                      SQLITE_OK)
        return db_err(db, err, what);
    return OFF_OK;
}

/* Run the inline row bound in s and reset s. */
static off_status end_inline_row(res_db *db, sqlite3_stmt *s, const char *what, off_err *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? OFF_OK : db_err(db, err, what);
}

off_status res_add_training(res_db *db, int64_t run_id, const res_train_row *r,
                            off_err *err)
{
    off_status st = begin_inline_row(
        db, &db->ins_train, "INSERT OR REPLACE INTO training VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        "recording the learning curve", err);
    if (st != OFF_OK)
        return st;
    sqlite3_stmt *s = db->ins_train;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)r->step);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)r->episode);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)r->updates);
    bind_real(s, 5, r->reward_mean);
    bind_real(s, 6, r->episode_return);
    bind_real(s, 7, r->loss_policy);
    bind_real(s, 8, r->loss_value);
    bind_real(s, 9, r->entropy);
    bind_real(s, 10, r->temperature);
    bind_real(s, 11, r->wall_s);
    if ((st = end_inline_row(db, s, "recording the learning curve", err)) != OFF_OK)
        return st;
    /* task rows wait in db->rows; curve rows go in at once, and the
     * transaction is committed every RES_BATCH of them */
    if (++db->train_rows >= RES_BATCH) {
        db->train_rows = 0;
        return commit_pending(db, err);
    }
    return OFF_OK;
}

off_status res_add_device(res_db *db, int64_t run_id, const res_device_row *r,
                          off_err *err)
{
    off_status st = begin_inline_row(
        db, &db->ins_device, "INSERT INTO devices VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "recording a device", err);
    if (st != OFF_OK)
        return st;
    sqlite3_stmt *s = db->ins_device;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, r->device);
    sqlite3_bind_text(s, 3, r->name ? r->name : "", -1, SQLITE_TRANSIENT);
    if (r->server >= 0)
        sqlite3_bind_int64(s, 4, r->server);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)r->n_tasks);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)r->n_done);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)r->n_offloaded);
    sqlite3_bind_int64(s, 8, (sqlite3_int64)r->handovers);
    bind_real(s, 9, r->energy_j);
    bind_real(s, 10, r->tail_j);
    bind_real(s, 11, r->tail_unattributed_j);
    bind_real(s, 12, r->capacity_j);
    bind_real(s, 13, r->remaining_j);
    bind_real(s, 14, r->t_death);
    bind_real(s, 15, r->freq_hz);
    return end_inline_row(db, s, "recording a device", err);
}

/* Queries on the handle must not overlap the writer's batch: wait for it
 * (its error, if any, stays for the next res_* call). */
struct sqlite3 *res_handle(res_db *db)
{
    wait_writer(db);
    return db->h;
}
const char *res_path(const res_db *db) { return db->path; }
