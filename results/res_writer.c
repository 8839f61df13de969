/*
 * res_writer.c - task rows: the reorder window that puts them in task
 * order, the two batches, their insertion, and the writer thread that
 * commits a full batch while the caller fills the other.
 *
 * The reorder window: the tasks table is a B-tree on (run_id, task_id).
 * Rows inserted in key order fill its right-most leaf page after page; rows
 * inserted in completion order (processor-sharing servers, overload) land
 * all over the last thousands of keys, so that every transaction rewrites
 * hundreds of pages into the WAL and splits pages half-way: 2 to 7 times
 * the CPU a row (bench/RESULTS.md).  So a row that finished before a lower
 * task id of its run waits in a min-heap until the lower ones have come;
 * the heap is bounded (RES_WINDOW rows), and the window's rows are written
 * by res_run_end and res_close like those of the batches.
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
 * first waits until the writer is idle (res_join_writer), so the connection
 * is never used by two threads at once (SQLITE_OPEN_NOMUTEX stays right;
 * the mutex gives the memory ordering).  The statements reach SQLite in the
 * same order as when each batch was committed at once, so the database's
 * content does not depend on timing.
 *
 * Errors: an insert or commit error of a batch (a duplicate task id, a full
 * disk) rolls the whole batch back and is reported by the next call that
 * waits for the writer: the res_add_task that fills the next batch, or
 * res_run_end, res_run_begin, res_add_training.  That call then does
 * nothing else: the rows buffered since (those of the window included) are
 * dropped with the failed batch
 * (a caller stops at the error; before the writer it would not have
 * buffered them), and the call writes nothing (as when its own commit
 * failed).  The last, partial batch is committed by res_run_end (and
 * res_close) itself, whose errors are returned at once.
 *
 * Other processes writing to the same file: each transaction begins with
 * BEGIN IMMEDIATE, which waits for their write lock (res_begin), so a batch
 * never fails because another process was committing its own.
 */
#define _POSIX_C_SOURCE 200809L
#include "res_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Task rows per INSERT statement: one statement's start, cursor opening
 * and reset are shared by the rows (about a quarter fewer instructions per
 * row than one row per statement, in a scratch harness under cachegrind). */
#define RES_ROWS_PER_INSERT 16
#define RES_TASK_COLS 24

/* Foreign keys back on once a batch's transaction has ended (the pragma is
 * a no-op inside a transaction). */
void res_fk_restore(res_db *db)
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
    res_bind_real(s, k + 7, r->t_arrival);
    res_bind_real(s, k + 8, r->t_start);
    res_bind_real(s, k + 9, r->t_done);
    res_bind_real(s, k + 10, r->latency_s);
    res_bind_real(s, k + 11, r->compute_device_s);
    res_bind_real(s, k + 12, r->uplink_s);
    res_bind_real(s, k + 13, r->queue_s);
    res_bind_real(s, k + 14, r->compute_server_s);
    res_bind_real(s, k + 15, r->downlink_s);
    res_bind_real(s, k + 16, r->energy_j);
    res_bind_real(s, k + 17, r->bytes_up);
    res_bind_real(s, k + 18, r->bytes_down);
    sqlite3_bind_int(s, k + 19, r->exit);
    sqlite3_bind_int(s, k + 20, r->split);
    sqlite3_bind_int(s, k + 21, r->bits);
    sqlite3_bind_int(s, k + 22, r->correct);
    sqlite3_bind_int(s, k + 23, r->deadline_met);
    res_bind_real(s, k + 24, r->deadline_s);
}

/* Prepare "INSERT OR ROLLBACK INTO tasks VALUES (?,...),..." for rows
 * rows.  OR ROLLBACK: an error ends the whole transaction, which is what
 * flush_rows does with any error anyway; with the default (ABORT) SQLite
 * must be able to undo one statement's rows alone, and so copies every
 * page a statement of several rows changes into a statement journal, a
 * temporary file: 0.3 page writes a row when tasks finish in order, one
 * or two when they do not (bench/RESULTS.md). */
static int prepare_insert(res_db *db, size_t rows, sqlite3_stmt **st)
{
    char sql[64 + RES_ROWS_PER_INSERT * (2 * RES_TASK_COLS + 2)];
    size_t k = (size_t)snprintf(sql, sizeof sql, "INSERT OR ROLLBACK INTO tasks VALUES ");
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

/* Open the transaction of rows[0..n) of a batch.  Rows of the run this connection
 * began (its runs row committed) need no foreign-key lookup per row:
 * checked here once instead; and a multi-row insert that checks foreign
 * keys needs a statement journal again, whatever its conflict clause. */
static off_status begin_batch(res_db *db, const res_row_buf *rows, size_t n, off_err *err)
{
    bool ours = db->run_cur != 0;
    for (size_t i = 0; i < n && ours; i++)
        ours = rows[i].run_id == db->run_cur;
    if (ours && sqlite3_exec(db->h, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL) == SQLITE_OK)
        db->fk_off = true;
    off_status st = res_begin(db, err);
    if (st != OFF_OK)
        res_fk_restore(db);
    return st;
}

off_status res_begin_rows(res_db *db, int64_t run_id, off_err *err)
{
    /* rows of the window may go into it too: unchecked, they would have to
     * be looked at as well */
    if (db->in_txn || !db->fill || db->fill->n == 0 || db->win.n || run_id != db->run_cur)
        return res_begin(db, err);
    return begin_batch(db, db->fill->rows, db->fill->n, err);
}

/* Insert the rows of batch bt into the open transaction (beginning one if
 * none is open) and empty bt.  On error the transaction is rolled back and
 * the rows dropped.  Runs on the writer thread for a full batch, on the
 * caller's for the last one (never both at once: see res_join_writer). */
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
        return res_db_err(db, err, "preparing task insert");
    off_status st;
    if (!db->in_txn && (st = begin_batch(db, bt->rows, n, err)) != OFF_OK)
        return st;
    for (size_t i = 0; i < n;) {
        size_t m = n - i >= RES_ROWS_PER_INSERT ? RES_ROWS_PER_INSERT : 1;
        int rc = insert_rows(bt, m > 1 ? db->ins_tasks : db->ins_task, &bt->rows[i], m);
        i += m;
        if (rc != SQLITE_DONE) {
            st = res_db_err(db, err, "inserting a task row");
            sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
            db->in_txn = false;
            res_fk_restore(db);
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
        off_status st = res_db_err(db, err, "commit");
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        res_fk_restore(db);
        return st;
    }
    res_fk_restore(db);
    return OFF_OK;
}

/* Commit the rows the caller has buffered, those of the window first. */
off_status res_commit_pending(res_db *db, off_err *err)
{
    off_status st = res_drain_window(db, err);
    if (st == OFF_OK)
        st = res_join_writer(db, err);
    if (st != OFF_OK)
        return st;
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
void res_wait_writer(res_db *db)
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
off_status res_join_writer(res_db *db, off_err *err)
{
    res_wait_writer(db);
    off_status st = db->wst; /* written by the writer before it went idle */
    if (st == OFF_OK)
        return OFF_OK;
    if (err)
        *err = db->werr;
    db->wst = OFF_OK;
    res_drop_buffered(db);
    return st;
}

/* Drop the rows the caller has buffered (they follow a failed write),
 * those of the window included. */
void res_drop_buffered(res_db *db)
{
    if (db->fill) {
        db->fill->n = 0;
        db->fill->names_len = 0;
    }
    res_window *w = &db->win;
    for (size_t i = 0; i < w->n; i++) {
        res_held *h = &w->slot[w->heap[i].slot];
        free(h->name_long);
        h->name_long = NULL;
    }
    w->n = 0;
    w->n_free = w->cap;
    for (size_t i = 0; i < w->cap; i++)
        w->free_slot[i] = (uint32_t)(w->cap - 1 - i);
}

/* Stop the writer thread (idle: after res_join_writer). */
void res_writer_stop(res_db *db)
{
    if (!db->thr_on)
        return;
    pthread_mutex_lock(&db->mu);
    db->stop = true;
    pthread_cond_signal(&db->work);
    pthread_mutex_unlock(&db->mu);
    pthread_join(db->thr, NULL);
    db->thr_on = false;
}

void res_batches_free(res_db *db)
{
    res_drop_buffered(db); /* the long names of the window's rows */
    for (int i = 0; i < 2; i++) {
        free(db->bat[i].rows);
        free(db->bat[i].names);
    }
    free(db->win.heap);
    free(db->win.slot);
    free(db->win.free_slot);
}

/* Allocate both batches (once, at the first row). */
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
    return OFF_OK;
}

/* The batch being filled is full: hand it to the writer (once the previous
 * one is written) and fill the other.  Without a writer, commit it here.
 * The writer starts at the first full batch, not at the first row: a run
 * of fewer rows than a batch (a sweep's small points) has nothing to hand
 * over, and would pay for a thread that never works. */
static off_status hand_over(res_db *db, off_err *err)
{
    if (!db->thr_on && db->sync_ok)
        writer_start(db);
    off_status st = res_join_writer(db, err);
    if (st != OFF_OK || !db->thr_on)
        return st != OFF_OK ? st : res_commit_pending(db, err);
    pthread_mutex_lock(&db->mu);
    db->job = db->fill;
    pthread_cond_signal(&db->work);
    pthread_mutex_unlock(&db->mu);
    db->fill = db->fill == &db->bat[0] ? &db->bat[1] : &db->bat[0];
    return OFF_OK;
}

/* Append row r of run run_id, with device name name[0..len), to the batch
 * being filled; hand the batch over when full. */
static off_status batch_append(res_db *db, int64_t run_id, const res_task_row *r,
                               const char *name, size_t len, off_err *err)
{
    res_batch *bt = db->fill;
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

/* The reorder window.  A row goes straight to the batch when it is the
 * next of its run (task id one above the highest released, or task 0 of a
 * new run) and nothing waits; otherwise it waits in a min-heap on (run_id,
 * task_id) until every lower task id of its run has come (it is then at
 * the top and due), or until the window is full, when the lowest row
 * leaves whatever is missing below it.  A row whose key is below the
 * highest released (it came after the window gave up on it) is due at
 * once: it is inserted out of order, as every row was before the window.
 * Rows thus enter the tasks B-tree at its right edge, each leaf page
 * filled once, however the tasks finish; the table's content does not
 * depend on the order. */
static bool key_lt(const res_hkey *a, const res_hkey *b)
{
    return a->run_id != b->run_id ? a->run_id < b->run_id : a->task_id < b->task_id;
}

/* Whether the row of key k may be released now. */
static bool due(const res_window *w, int64_t run_id, int64_t task_id)
{
    if (!w->have_last)
        return task_id == 0;
    if (run_id != w->last_run)
        return run_id < w->last_run || task_id == 0;
    return task_id <= w->last_task + 1;
}

static void heap_up(res_hkey *h, size_t i)
{
    res_hkey k = h[i];
    while (i > 0 && key_lt(&k, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = k;
}

static void heap_down(res_hkey *h, size_t n, size_t i)
{
    res_hkey k = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && key_lt(&h[c + 1], &h[c]))
            c++;
        if (!key_lt(&h[c], &k))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = k;
}

/* Room for one more held row: the slots double up to RES_WINDOW. */
static bool window_room(res_window *w)
{
    if (w->n_free)
        return true;
    size_t cap = w->cap ? 2 * w->cap : 1024;
    if (cap > RES_WINDOW + 1)
        cap = RES_WINDOW + 1; /* the row that overfills it, then released */
    if (cap <= w->cap)
        return false;
    res_hkey *h = realloc(w->heap, cap * sizeof *h);
    if (h)
        w->heap = h;
    res_held *sl = h ? realloc(w->slot, cap * sizeof *sl) : NULL;
    if (sl)
        w->slot = sl;
    uint32_t *fr = sl ? realloc(w->free_slot, cap * sizeof *fr) : NULL;
    if (!fr)
        return false;
    w->free_slot = fr;
    for (size_t i = cap; i > w->cap; i--)
        w->free_slot[w->n_free++] = (uint32_t)(i - 1);
    w->cap = cap;
    return true;
}

/* Hold row r of run run_id in the window. */
static off_status window_hold(res_db *db, int64_t run_id, const res_task_row *r,
                              const char *name, size_t len, off_err *err)
{
    res_window *w = &db->win;
    char *name_long = NULL;
    if (len > RES_NAME_INLINE && !(name_long = malloc(len)))
        return off_errf(err, OFF_ENOMEM, db->path, 0, 0, "out of memory for task rows");
    if (!window_room(w)) {
        free(name_long);
        return off_errf(err, OFF_ENOMEM, db->path, 0, 0, "out of memory for task rows");
    }
    uint32_t k = w->free_slot[--w->n_free];
    res_held *h = &w->slot[k];
    h->r = *r;
    h->r.device_name = NULL;
    h->run_id = run_id;
    h->name_long = name_long;
    h->name_len = len;
    memcpy(name_long ? name_long : h->name, name, len);
    w->heap[w->n] = (res_hkey){run_id, r->task_id, k};
    heap_up(w->heap, w->n++);
    w->stats.held++;
    return OFF_OK;
}

/* Note that the row of key (run_id, task_id) was released. */
static void released(res_window *w, int64_t run_id, int64_t task_id)
{
    res_hkey k = {run_id, task_id, 0}, last = {w->last_run, w->last_task, 0};
    if (!w->have_last || key_lt(&last, &k)) {
        w->have_last = true;
        w->last_run = run_id;
        w->last_task = task_id;
    } else {
        w->stats.late++;
    }
}

/* Release the window's due rows (all: every row) into the batches. */
static off_status window_release(res_db *db, bool all, off_err *err)
{
    res_window *w = &db->win;
    while (w->n && (all || w->n > RES_WINDOW || due(w, w->heap[0].run_id, w->heap[0].task_id))) {
        res_hkey top = w->heap[0];
        w->heap[0] = w->heap[--w->n];
        heap_down(w->heap, w->n, 0);
        /* the slot is free before the append: a writer error met there
         * drops the window (res_drop_buffered), and the slot's content
         * stays readable until the next row is held */
        w->free_slot[w->n_free++] = top.slot;
        res_held *h = &w->slot[top.slot];
        char *name_long = h->name_long;
        h->name_long = NULL;
        released(w, top.run_id, top.task_id);
        off_status st = batch_append(db, h->run_id, &h->r, name_long ? name_long : h->name,
                                     h->name_len, err);
        free(name_long);
        if (st != OFF_OK)
            return st;
    }
    return OFF_OK;
}

off_status res_drain_window(res_db *db, off_err *err)
{
    return window_release(db, true, err);
}

res_row_stats res_row_stats_of(const res_db *db)
{
    return db->win.stats;
}

off_status res_add_task(res_db *db, int64_t run_id, const res_task_row *r,
                        off_err *err)
{
    off_status st;
    if (!db->fill && (st = batches_alloc(db, err)) != OFF_OK)
        return st;
    const char *name = r->device_name ? r->device_name : "";
    size_t len = strlen(name);
    if (len > (size_t)INT32_MAX)
        return off_errf(err, OFF_EINVAL, db->path, 0, 0, "device name of %zu bytes", len);
    res_window *w = &db->win;
    w->stats.rows++;
    if (w->n == 0 && due(w, run_id, r->task_id)) {
        released(w, run_id, r->task_id);
        return batch_append(db, run_id, r, name, len, err);
    }
    if ((st = window_hold(db, run_id, r, name, len, err)) != OFF_OK)
        return st;
    st = window_release(db, false, err);
    if (w->n > w->stats.window_peak)
        w->stats.window_peak = w->n;
    return st;
}
