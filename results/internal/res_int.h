/*
 * res_int.h - what the files of results/ share and no other module sees:
 * the connection object, the task-row batches, and the helpers between
 * opening (res_db.c), the schema (res_schema.c), the batched writer
 * (res_writer.c) and the run locks (res_lock.c).
 */
#ifndef RES_INT_H
#define RES_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/types.h>

#include "res.h"

#define RES_APP_ID 0x4f464653 /* "OFFS" */
#define RES_SCHEMA_VERSION 6

/* How long a connection waits for another process's lock (a schema being
 * created or migrated, a batch being committed) before it gives up with
 * "database is locked".  Generous: a sweep may start dozens of writers on
 * one file at once, each committing batches of RES_BATCH rows. */
#define RES_BUSY_WAIT_MS 120000

/* Retrying a step that found the database busy: res_wait_more sleeps a few
 * milliseconds, growing with the tries, with jitter so that processes
 * started together part, and says false once RES_BUSY_WAIT_MS have passed
 * since res_wait_init. */
typedef struct res_wait {
    double t0_ms;
    unsigned tries;
} res_wait;

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

/* A row held in the reorder window (res_writer.c): the row, its run, and
 * its device name, in the slot when it is short (a device's name is), in
 * its own allocation when not. */
#define RES_NAME_INLINE 40
typedef struct res_held {
    res_task_row r;      /* device_name NULL: the name is below            */
    int64_t run_id;
    char *name_long;     /* malloc'd when longer than name[], else NULL    */
    size_t name_len;
    char name[RES_NAME_INLINE];
} res_held;

/* A min-heap entry of the window: the key of a held row and its slot. */
typedef struct res_hkey {
    int64_t run_id, task_id;
    uint32_t slot;
} res_hkey;

/* The reorder window: rows that finished before a lower task id of their
 * run wait here, so that rows reach the batches (and the table's B-tree)
 * in key order (run_id, task_id) whatever the order the tasks finish in.
 * At most RES_WINDOW rows; slots grow geometrically up to that. */
typedef struct res_window {
    res_hkey *heap;      /* min-heap by (run_id, task_id), n entries       */
    size_t n;
    res_held *slot;      /* cap slots; free ones listed in free_slot       */
    uint32_t *free_slot;
    size_t n_free, cap;
    bool have_last;      /* a row was released: last_run, last_task       */
    int64_t last_run, last_task; /* the highest key released              */
    res_row_stats stats;
} res_window;

/* A database attached read-only by res_copy_run / res_merge (res_merge.c):
 * its path, its file (a file made again under the same path is attached
 * again), the statements of a copy from it, and when it was last used.
 * Several stay attached at once: a sweep's parent copies from each of its
 * workers' databases in turn. */
#define RES_SRC_SLOTS 8
typedef struct res_src {
    char *path;          /* NULL: slot free                                */
    dev_t dev;
    ino_t ino;
    struct res_copy_plan *plan;
    uint64_t used;
} res_src;

struct res_db {
    sqlite3 *h;
    char *path;
    sqlite3_stmt *ins_task;   /* one row                                    */
    sqlite3_stmt *ins_tasks;  /* RES_ROWS_PER_INSERT rows                   */
    sqlite3_stmt *ins_train;  /* one learning-curve row                     */
    sqlite3_stmt *ins_device; /* one devices row                            */
    bool in_txn;
    int64_t run_cur;     /* run id of the last res_run_begin, 0 if none    */
    const char *rng;     /* runs.rng of the runs it begins (res_set_rng)   */
    bool fk_off;         /* foreign keys off for the open batch            */
    res_wait busy;       /* the wait of SQLite's busy handler              */
    int lock_fd;         /* the file, for the run locks (res_lock.c); -1   */
    int64_t run_locked;  /* the run whose lock is held, 0 if none          */
    res_src src[RES_SRC_SLOTS]; /* sources attached as src0, src1, ...  */
    res_src *cur;        /* the one being copied from                      */
    uint64_t src_tick;   /* for the least recently used                    */
    bool uri;            /* opened with URIs enabled (ATTACH read-only)    */
    res_batch bat[2];    /* rows allocated at the first row                */
    res_batch *fill;     /* the batch the caller appends to                */
    res_window win;      /* rows waiting for a lower task id               */
    /* The writer thread (started at the first full batch).  Fields above
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

/* OFF_EDB naming the path: "what: SQLite's message". */
off_status res_db_err(res_db *db, off_err *err, const char *what);
/* sqlite3_exec of sql; its message on error. */
off_status res_exec(res_db *db, const char *sql, off_err *err);
/* NaN and infinities as NULL. */
void res_bind_real(sqlite3_stmt *s, int i, double v);
/* Whether rc (a primary or extended code) means "another connection holds
 * a lock": worth waiting and trying again. */
bool res_rc_busy(int rc);
void res_wait_init(res_wait *w);
bool res_wait_more(res_wait *w);
/* sqlite3_exec of sql, tried again while the database is busy; an SQLite
 * code. */
int res_exec_waiting(res_db *db, const char *sql);
/* Open the connection's transaction (BEGIN IMMEDIATE) if none is, waiting
 * for other writers within RES_BUSY_WAIT_MS. */
off_status res_begin(res_db *db, off_err *err);

/* path as an SQLite URI with query q (malloc'd). */
char *res_uri_of(const char *path, const char *q);
/* Open the connection's transaction (after the writer and the pending rows)
 * unless one is open; *opened says whether this call opened it.  Then
 * res_txn_end: on success commit what was opened, on failure roll it back;
 * st is returned. */
off_status res_txn_begin(res_db *db, bool *opened, off_err *err);
off_status res_txn_end(res_db *db, bool opened, off_status st, off_err *err);

/* res_merge.c: detach the sources of res_copy_run, if any. */
void res_detach(res_db *db);

/* res_schema.c.  res_schema_ensure: on a connection open for writing,
 * check that the file is ours (or empty) and create or migrate the schema
 * under a write lock, race-free between processes; then WAL and the
 * connection's pragmas.  res_schema_probe: read the identity of a
 * connection open for reading, waiting out other processes' locks; an
 * SQLite code.  res_schema_refuse: the error for a probe that failed.
 * res_schema_check: after a probe, whether the file is an offsim database
 * this version can read. */
off_status res_schema_ensure(res_db *db, off_err *err);
int res_schema_probe(res_db *db);
off_status res_schema_check(res_db *db, off_err *err);
off_status res_schema_refuse(res_db *db, int rc, off_err *err);

/* res_writer.c: the batched task rows and the writer thread.
 * res_drain_window releases every row of the reorder window into the
 * batches (full ones go to the writer); res_commit_pending drains, waits
 * for the writer, and commits the batch being filled.  res_begin_rows opens
 * the transaction that will hold the batch being filled and a row of run
 * run_id, with the foreign-key checks off when they are all of the run this
 * connection began; res_fk_restore turns them on again once it has ended. */
off_status res_drain_window(res_db *db, off_err *err);
off_status res_begin_rows(res_db *db, int64_t run_id, off_err *err);
void res_fk_restore(res_db *db);
void res_wait_writer(res_db *db);
off_status res_join_writer(res_db *db, off_err *err);
off_status res_commit_pending(res_db *db, off_err *err);
void res_drop_buffered(res_db *db);
void res_writer_stop(res_db *db);
void res_batches_free(res_db *db);

/* res_lock.c: the run lock that tells a running run from a killed one.
 * res_lock_run locks run_id (releasing the run locked before, if any);
 * failures leave the run unlocked (it then reads as killed). */
void res_lock_run(res_db *db, int64_t run_id);
void res_unlock_run(res_db *db);
void res_lock_close(res_db *db);

#endif /* RES_INT_H */
