/*
 * res_db.c - the results database: opening and closing, runs and their
 * summaries, learning-curve and device rows.  The schema lives in
 * res_schema.c, the batched task rows and their writer thread in
 * res_writer.c, the locks that tell a running run from a killed one in
 * res_lock.c.
 *
 * Consistency: the runs row is committed on its own at res_run_begin, task
 * rows are inserted inside a transaction committed every RES_BATCH rows, and
 * res_run_end commits the rest with the summary and the final status in one
 * transaction.  In WAL mode a process killed at any point leaves the last
 * committed state: whole batches, and the run marked 'running' (reported as
 * killed once its run lock is gone).
 *
 * Several processes may write to one file at once (a sweep): every write
 * transaction begins with BEGIN IMMEDIATE and waits for the others' write
 * lock (a busy handler, then retries with jitter, for RES_BUSY_WAIT_MS at
 * most), and the schema is created or migrated under that lock
 * (res_schema.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "res_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

off_status res_db_err(res_db *db, off_err *err, const char *what)
{
    return off_errf(err, OFF_EDB, db->path, 0, 0, "%s: %s", what, sqlite3_errmsg(db->h));
}

off_status res_exec(res_db *db, const char *sql, off_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        off_errf(err, OFF_EDB, db->path, 0, 0, "%s", msg ? msg : "SQL error");
        sqlite3_free(msg);
        return OFF_EDB;
    }
    return OFF_OK;
}

void res_bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v) || isinf(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

/* v[0..n) to parameters i, i+1, ... of s. */
static void bind_reals(sqlite3_stmt *s, int i, const double *v, int n)
{
    for (int k = 0; k < n; k++)
        res_bind_real(s, i + k, v[k]);
}

bool res_rc_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_PROTOCOL;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

void res_wait_init(res_wait *w)
{
    w->t0_ms = now_ms();
    w->tries = 0;
}

bool res_wait_more(res_wait *w)
{
    if (now_ms() - w->t0_ms > RES_BUSY_WAIT_MS)
        return false;
    /* 1, 2, 4 .. 64 ms, times a factor in [0.5, 1.5) from the clock's
     * nanoseconds: processes started together drift apart */
    unsigned k = w->tries < 6 ? w->tries : 6;
    w->tries++;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double ms = (double)(1u << k) * (0.5 + (double)(t.tv_nsec % 1000) / 1000.0);
    struct timespec d = {0, (long)(ms * 1e6)};
    nanosleep(&d, NULL);
    return true;
}

int res_exec_waiting(res_db *db, const char *sql)
{
    res_wait w;
    res_wait_init(&w);
    int rc;
    while (res_rc_busy(rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) && res_wait_more(&w))
        ;
    return rc;
}

off_status res_begin(res_db *db, off_err *err)
{
    if (db->in_txn)
        return OFF_OK;
    if (res_exec_waiting(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        return res_db_err(db, err, "begin");
    db->in_txn = true;
    return OFF_OK;
}

off_status res_txn_begin(res_db *db, bool *opened, off_err *err)
{
    off_status st = res_join_writer(db, err);
    if (st != OFF_OK)
        return st;
    *opened = !db->in_txn;
    return res_begin(db, err);
}

off_status res_txn_end(res_db *db, bool opened, off_status st, off_err *err)
{
    if (!opened)
        return st;
    db->in_txn = false;
    if (st == OFF_OK && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = res_db_err(db, err, "commit");
    if (st != OFF_OK)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return st;
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

/* A new connection object for path, not yet connected. */
static off_status db_new(res_db **out, const char *path, off_err *err)
{
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
    db->lock_fd = -1;
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
    *out = db;
    return OFF_OK;
}

/* SQLite's busy handler: called while another connection holds a lock
 * this one needs, with n the calls so far for this wait; a non-zero return
 * waits and tries again.  SQLite's own (sqlite3_busy_timeout) sleeps up to
 * 100 ms a time, longer than most batches hold the lock: this one sleeps
 * 1 to 8 ms with jitter, for RES_BUSY_WAIT_MS in all. */
static int busy_wait(void *arg, int n)
{
    res_wait *w = arg;
    if (n == 0)
        res_wait_init(w);
    w->tries = w->tries < 3 ? w->tries : 3;
    return res_wait_more(w);
}

/* Connect db to name (a path, or a URI with SQLITE_OPEN_URI in flags). */
static int connect(res_db *db, const char *name, int flags)
{
    /* NOMUTEX: a connection is used by one thread only, so SQLite need not
     * lock around every call (a measurable share of the per-row cost). */
    int rc = sqlite3_open_v2(name, &db->h, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        sqlite3_busy_handler(db->h, busy_wait, &db->busy);
    return rc;
}

static void disconnect(res_db *db)
{
    sqlite3_close(db->h);
    db->h = NULL;
}

/* path as an SQLite URI with query q ("file:" + path, with the characters
 * a URI gives a meaning to percent-encoded). */
char *res_uri_of(const char *path, const char *q)
{
    size_t n = strlen(path), k = 0;
    char *u = malloc(3 * n + strlen(q) + 8);
    if (!u)
        return NULL;
    k += (size_t)sprintf(u, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '?' || *p == '#' || *p == '%')
            k += (size_t)sprintf(u + k, "%%%02X", (unsigned char)*p);
        else
            u[k++] = *p;
    }
    sprintf(u + k, "?%s", q);
    return u;
}

/* Open for reading.  A WAL database whose -wal and -shm files are gone (it
 * was closed cleanly) cannot be opened normally where they cannot be
 * created (a read-only directory or file system): then everything is in the
 * main file, and it is opened again as immutable (no locks, no WAL). */
static off_status connect_readonly(res_db *db, off_err *err)
{
    int rc = connect(db, db->path, SQLITE_OPEN_READONLY);
    if (rc == SQLITE_OK)
        rc = res_schema_probe(db);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_NOTADB && !res_rc_busy(rc)) {
        char *u = res_uri_of(db->path, "immutable=1");
        if (!u)
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        disconnect(db);
        if ((rc = connect(db, u, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)) == SQLITE_OK)
            rc = res_schema_probe(db);
        free(u);
    }
    return rc != SQLITE_OK ? res_schema_refuse(db, rc, err) : res_schema_check(db, err);
}

static off_status open_common(res_db **out, const char *path, bool rw, off_err *err)
{
    *out = NULL;
    res_db *db = NULL;
    off_status st = db_new(&db, path, err);
    if (st != OFF_OK)
        return st;
    struct stat sb;
    if (!rw && stat(path, &sb) != 0) {
        off_errf(err, OFF_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
        res_close(db);
        return OFF_EIO;
    }
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        res_close(db);
        return off_errf(err, OFF_EINVAL, path, 0, 0, "is a directory, not a database");
    }
    if (rw) {
        make_parent(path);
        /* URIs on, for res_copy_run's read-only ATTACH; but a path that
         * itself begins with "file:" must stay a path. */
        db->uri = strncmp(path, "file:", 5) != 0;
        int rc = connect(db, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                       (db->uri ? SQLITE_OPEN_URI : 0));
        if (rc != SQLITE_OK)
            st = off_errf(err, OFF_EDB, path, 0, 0, "cannot open database: %s",
                          db->h ? sqlite3_errmsg(db->h) : "out of memory");
        else
            st = res_schema_ensure(db, err);
    } else {
        st = connect_readonly(db, err);
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

void res_close(res_db *db)
{
    if (!db)
        return;
    if (db->h) {
        res_join_writer(db, NULL);
        res_commit_pending(db, NULL);
    }
    res_writer_stop(db);
    res_detach(db);
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
    res_lock_close(db);
    res_batches_free(db);
    free(db->path);
    free(db);
}

#ifndef OFFSIM_GIT_COMMIT
#define OFFSIM_GIT_COMMIT "" /* built without CMake's definition */
#endif

/* The compiler that built this binary, with its name: GCC's __VERSION__
 * is the bare number, Clang's says "Clang". */
#if defined(__clang__)
#define RES_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define RES_COMPILER "gcc " __VERSION__
#else
#define RES_COMPILER "unknown"
#endif

/* git_commit, compiler and host to parameters i, i+1, i+2 of s (NULL for
 * what is unknown: a build outside a checkout, a host without a name). */
static void bind_provenance(sqlite3_stmt *s, int i)
{
    if (OFFSIM_GIT_COMMIT[0])
        sqlite3_bind_text(s, i, OFFSIM_GIT_COMMIT, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
    sqlite3_bind_text(s, i + 1, RES_COMPILER, -1, SQLITE_STATIC);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) == 0 && host[0])
        sqlite3_bind_text(s, i + 2, host, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i + 2);
}

void res_set_rng(res_db *db, const char *rng)
{
    db->rng = rng;
}

off_status res_run_begin(res_db *db, const res_run_info *info, int64_t *run_id,
                         off_err *err)
{
    off_status st = res_join_writer(db, err);
    if (st == OFF_OK)
        st = res_commit_pending(db, err);
    if (st != OFF_OK)
        return st;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO runs (scenario, scenario_file, config_text, "
                           "overrides, config_hash, seed, policy, version, started_at, "
                           "status, git_commit, compiler, host, rng) "
                           "VALUES (?,?,?,?,?,?,?,?,?,'running',?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        return res_db_err(db, err, "recording the run");
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
    sqlite3_bind_int64(s, 6, res_seed_to_sql(info->seed));
    sqlite3_bind_text(s, 7, info->policy ? info->policy : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, OFF_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, when, -1, SQLITE_TRANSIENT);
    bind_provenance(s, 10);
    if (db->rng)
        sqlite3_bind_text(s, 13, db->rng, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 13);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return res_db_err(db, err, "recording the run");
    *run_id = sqlite3_last_insert_rowid(db->h);
    db->run_cur = *run_id;
    res_lock_run(db, *run_id);
    return OFF_OK;
}

/* The summary row of run_id; an SQLite code, SQLITE_DONE when written. */
static int insert_summary(res_db *db, int64_t run_id, const res_summary *sum)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO summary (run_id, n_tasks,"
                                       " n_done, latency_mean, latency_ci95, latency_p50,"
                                       " latency_p95, latency_p99, latency_min, latency_max,"
                                       " energy_mean_j, accuracy, deadline_miss, bytes_up_mean,"
                                       " sim_time_s, events, reward_mean, warmup_s, warmup_tasks,"
                                       " warmup_auto, latency_ci_lag1, latency_ci_neff,"
                                       " latency_ci_ok, latency_ci_why, reward_bound,"
                                       " bound_tasks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                                       "?,?,?,?,?,?,?,?,?,?)",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)sum->n_tasks);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)sum->n_done);
    const res_stat *l = &sum->latency;
    const double v[] = {l->mean, l->ci95, l->p50, l->p95, l->p99, l->min, l->max,
                        sum->energy_mean_j, sum->accuracy, sum->deadline_miss,
                        sum->bytes_up_mean, sum->sim_time_s};
    bind_reals(s, 4, v, 12);
    sqlite3_bind_int64(s, 16, (sqlite3_int64)sum->events);
    res_bind_real(s, 17, sum->reward_mean);
    res_bind_real(s, 18, sum->warmup_s);
    sqlite3_bind_int64(s, 19, (sqlite3_int64)sum->warmup_tasks);
    sqlite3_bind_int(s, 20, sum->warmup_auto);
    res_bind_real(s, 21, l->ci_lag1);
    res_bind_real(s, 22, l->ci_neff);
    char why[96];
    res_ci_why_text(l->ci_why, why, sizeof why);
    if (!isnan(l->ci95)) /* no interval: nothing to trust or distrust */
        sqlite3_bind_int(s, 23, l->ci_why == 0);
    if (l->ci_why)
        sqlite3_bind_text(s, 24, why, -1, SQLITE_TRANSIENT);
    if (sum->bound_tasks) { /* else NULL: not computed (a zeroed summary too) */
        res_bind_real(s, 25, sum->reward_bound);
        sqlite3_bind_int64(s, 26, (sqlite3_int64)sum->bound_tasks);
    }
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc;
}

/* The final status and wall time of run_id; SQLITE_DONE when written. */
static int update_status(res_db *db, int64_t run_id, const char *status, double wall_s)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db->h, "UPDATE runs SET status = ?, wall_s = ? WHERE run_id = ?",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    res_bind_real(s, 2, wall_s);
    sqlite3_bind_int64(s, 3, run_id);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc;
}

off_status res_run_end(res_db *db, int64_t run_id, const char *status,
                       double wall_s, const res_summary *sum, off_err *err)
{
    /* every row of the window before the final status, which commits
     * with the last batch */
    off_status st = res_drain_window(db, err);
    if (st == OFF_OK)
        st = res_join_writer(db, err);
    if (st == OFF_OK)
        st = res_begin_rows(db, run_id, err);
    if (st != OFF_OK)
        return st;
    int rc = sum ? insert_summary(db, run_id, sum) : SQLITE_DONE;
    if (rc == SQLITE_DONE)
        rc = update_status(db, run_id, status, wall_s);
    if (rc != SQLITE_DONE) {
        st = res_db_err(db, err, "closing the run");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        db->in_txn = false;
        res_fk_restore(db);
        res_drop_buffered(db);
        return st;
    }
    st = res_commit_pending(db, err);
    if (st == OFF_OK && db->run_locked == run_id)
        res_unlock_run(db); /* its final status is committed */
    return st;
}

/* For a row of run run_id written inline (not through the task batches):
 * wait for the writer, open the transaction if none is (it will hold the
 * buffered task rows too), and prepare *stmt from sql the first time. */
static off_status begin_inline_row(res_db *db, int64_t run_id, sqlite3_stmt **stmt,
                                   const char *sql, const char *what, off_err *err)
{
    off_status wst = res_join_writer(db, err);
    if (wst != OFF_OK)
        return wst;
    if ((wst = res_begin_rows(db, run_id, err)) != OFF_OK)
        return wst;
    if (!*stmt && sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) !=
                      SQLITE_OK)
        return res_db_err(db, err, what);
    return OFF_OK;
}

/* Run the inline row bound in s and reset s. */
static off_status end_inline_row(res_db *db, sqlite3_stmt *s, const char *what, off_err *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? OFF_OK : res_db_err(db, err, what);
}

off_status res_add_training(res_db *db, int64_t run_id, const res_train_row *r,
                            off_err *err)
{
    bool opened = !db->in_txn;
    off_status st = begin_inline_row(
        db, run_id, &db->ins_train, "INSERT OR REPLACE INTO training VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        "recording the learning curve", err);
    if (st != OFF_OK)
        return st;
    sqlite3_stmt *s = db->ins_train;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)r->step);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)r->episode);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)r->updates);
    const double v[] = {r->reward_mean, r->episode_return, r->loss_policy, r->loss_value,
                        r->entropy, r->temperature, r->wall_s,
                        r->has_eval ? r->eval_reward : NAN};
    bind_reals(s, 5, v, 8);
    if ((st = end_inline_row(db, s, "recording the learning curve", err)) != OFF_OK)
        return st;
    /* Committed at once when the row has its own transaction: curve rows
     * are rare (one per rollout, or per 1,000 decisions), and a transaction
     * left open between them would hold the file's write lock for the whole
     * training, so that no other process could write to the file. */
    if (!opened)
        return OFF_OK;
    db->in_txn = false;
    if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        st = res_db_err(db, err, "recording the learning curve");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    }
    res_fk_restore(db);
    return st;
}

off_status res_add_device(res_db *db, int64_t run_id, const res_device_row *r,
                          off_err *err)
{
    off_status st = begin_inline_row(
        db, run_id, &db->ins_device, "INSERT INTO devices VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
    const double v[] = {r->energy_j,   r->tail_j,  r->tail_unattributed_j, r->capacity_j,
                        r->remaining_j, r->t_death, r->freq_hz};
    bind_reals(s, 9, v, 7);
    return end_inline_row(db, s, "recording a device", err);
}

/* Queries on the handle must not overlap the writer's batch: wait for it
 * (its error, if any, stays for the next res_* call). */
struct sqlite3 *res_handle(res_db *db)
{
    res_wait_writer(db);
    return db->h;
}
const char *res_path(const res_db *db) { return db->path; }

/* Two's complement, written out: C leaves the conversion of an unsigned
 * value above INT64_MAX to int64_t to the implementation. */
int64_t res_seed_to_sql(uint64_t seed)
{
    return seed <= (uint64_t)INT64_MAX ? (int64_t)seed : -(int64_t)(UINT64_MAX - seed) - 1;
}

uint64_t res_seed_from_sql(int64_t v)
{
    return v >= 0 ? (uint64_t)v : UINT64_MAX - (uint64_t)(-(v + 1));
}

off_status res_run_seed(res_db *db, int64_t run_id, uint64_t *seed, off_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(db), "SELECT seed FROM runs WHERE run_id = ?", -1, &s,
                           NULL) != SQLITE_OK)
        return res_db_err(db, err, "reading the seed");
    sqlite3_bind_int64(s, 1, run_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *seed = res_seed_from_sql(sqlite3_column_int64(s, 0));
    off_status st = rc == SQLITE_ROW ? OFF_OK
                  : rc == SQLITE_DONE
                      ? off_errf(err, OFF_EINVAL, db->path, 0, 0, "no run %lld", (long long)run_id)
                      : res_db_err(db, err, "reading the seed");
    sqlite3_finalize(s);
    return st;
}
