/*
 * res_merge.c - copying runs between databases: res_copy_run (a sweep's
 * parent gathers its workers' finished runs) and res_merge (`offsim
 * merge` of shards).
 *
 * Speed: a source is ATTACHed read-only once (as src0, src1, ...; up to
 * RES_SRC_SLOTS stay attached, the least recently used goes first, so a
 * sweep's parent copying from each worker's file in turn attaches each
 * once), and each table is copied by one
 * `INSERT INTO main.t SELECT ... FROM srcK.t WHERE run_id = ?` prepared once
 * per attachment, so rows go from page to page inside SQLite without a
 * round trip through C.  Foreign keys are off during a copy: the runs row
 * is inserted first in the same transaction, every other row refers to it.
 *
 * Columns are matched by name between the two files, so a source of an
 * older schema version (not migrated: it is read-only) is copied with NULL
 * in the columns it lacks.
 *
 * Determinism: a copied run gets the next run_id of the target and the
 * target's id of its experiment (matched by hash), and nothing else of the
 * target changes, so copying the same runs in the same order gives the
 * same database whatever else happened in the sources.
 */
#define _POSIX_C_SOURCE 200809L
#include "res_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Columns that differ between two runs of the same point by the clock or
 * the machine alone: neither copied differently nor compared. */
static const char *const unstable_cols[] = {"wall_s",  "started_at", "version",    "host",
                                            "compiler", "git_commit", "finished_at"};

/* The statements of a copy from an attached source, prepared at ATTACH. */
typedef struct res_copy_plan {
    sqlite3_stmt *exp;   /* ?1 src run: its experiment row, if missing; or NULL */
    sqlite3_stmt *run;   /* ?1 src run: the runs row                           */
    sqlite3_stmt *run_diff; /* ?1 src run, ?2 main run: columns that differ   */
    size_t n;            /* tables keyed by run_id besides runs               */
    char **names;        /* their names                                       */
    sqlite3_stmt **rows; /* ?1 src run, ?2 new run: copy its rows             */
    sqlite3_stmt **diff; /* ?1 src run, ?2 main run: rows that differ (count) */
} res_copy_plan;

/* ---- a growing string ---------------------------------------------------- */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = 2 * (b->n + (size_t)k + 1);
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* ---- attaching the source -------------------------------------------------- */

static void plan_free(res_copy_plan *p)
{
    if (!p)
        return;
    sqlite3_finalize(p->exp);
    sqlite3_finalize(p->run);
    sqlite3_finalize(p->run_diff);
    for (size_t i = 0; i < p->n; i++) {
        free(p->names[i]);
        sqlite3_finalize(p->rows[i]);
        sqlite3_finalize(p->diff[i]);
    }
    free(p->names);
    free(p->rows);
    free(p->diff);
    free(p);
}

/* The schema name of slot k: "src0", "src1", ... */
static void slot_name(char name[8], const res_db *db, const res_src *slot)
{
    snprintf(name, 8, "src%d", (int)(slot - db->src));
}

static void detach_slot(res_db *db, res_src *slot)
{
    plan_free(slot->plan);
    slot->plan = NULL;
    if (slot->path && db->h) {
        char sql[32], name[8];
        slot_name(name, db, slot);
        snprintf(sql, sizeof sql, "DETACH %s", name);
        sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    }
    free(slot->path);
    slot->path = NULL;
    if (db->cur == slot)
        db->cur = NULL;
}

void res_detach(res_db *db)
{
    for (size_t k = 0; k < RES_SRC_SLOTS; k++)
        detach_slot(db, &db->src[k]);
}

static bool unstable(const char *c)
{
    for (size_t i = 0; i < sizeof unstable_cols / sizeof *unstable_cols; i++)
        if (strcmp(c, unstable_cols[i]) == 0)
            return true;
    return false;
}

/* The columns of table t in both main and src, in main's order, as
 * `"a","b",...` into *cols (copied) and, without run_id and the unstable
 * columns, into *cmp (compared).  skip: a column left out of both.  The
 * number of columns copied. */
static size_t common_cols(res_db *db, const char *src, const char *t, const char *skip,
                          sbuf *cols, sbuf *cmp, bool *has_run_id)
{
    sqlite3_stmt *s;
    size_t n = 0;
    *has_run_id = false;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT m.name FROM pragma_table_info(?1, 'main') m WHERE m.name IN"
                           " (SELECT name FROM pragma_table_info(?1, ?2)) ORDER BY m.cid",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, t, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, src, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(s, 0);
        if (strcmp(c, "run_id") == 0)
            *has_run_id = true;
        if (skip && strcmp(c, skip) == 0)
            continue;
        sb_add(cols, "%s\"%s\"", n++ ? "," : "", c);
        if (strcmp(c, "run_id") != 0 && !unstable(c))
            sb_add(cmp, "%s\"%s\"", cmp->n ? "," : "", c);
    }
    sqlite3_finalize(s);
    return n;
}

static int prep(res_db *db, const sbuf *b, sqlite3_stmt **s)
{
    if (b->oom)
        return SQLITE_NOMEM;
    return sqlite3_prepare_v3(db->h, b->s, (int)b->n, SQLITE_PREPARE_PERSISTENT, s, NULL);
}

/* "SELECT count(*) of rows of t differing between src run ?1 and main run
 * ?2" on columns cmp, both ways (every table keyed by run has a primary
 * key: sets and bags are the same). */
static int prep_diff(res_db *db, const char *src, const char *t, const char *cmp,
                     const char *key, sqlite3_stmt **s)
{
    sbuf b = {0};
    const char *fmt = "(SELECT count(*) FROM (SELECT %s FROM %s.\"%s\" WHERE %s = ?%d"
                      " EXCEPT SELECT %s FROM %s.\"%s\" WHERE %s = ?%d))";
    sb_add(&b, "SELECT ");
    sb_add(&b, fmt, cmp, src, t, key, 1, cmp, "main", t, key, 2);
    sb_add(&b, " + ");
    sb_add(&b, fmt, cmp, "main", t, key, 2, cmp, src, t, key, 1);
    int rc = prep(db, &b, s);
    free(b.s);
    return rc;
}

/* The runs row: every common column but run_id, experiment_id mapped to
 * main's experiment of the same hash. */
static int prep_runs(res_db *db, const char *src, res_copy_plan *p, bool src_has_exp)
{
    sbuf cols = {0}, cmp = {0}, b = {0};
    bool has_run_id;
    common_cols(db, src, "runs", "experiment_id", &cols, &cmp, &has_run_id);
    /* cols without run_id: it is the first column of runs */
    const char *c = cols.s ? cols.s : "";
    if (strncmp(c, "\"run_id\",", 9) == 0)
        c += 9;
    sb_add(&b, "INSERT INTO main.runs (%s, experiment_id) SELECT %s, ", c, c);
    if (src_has_exp)
        sb_add(&b, "(SELECT e.experiment_id FROM main.experiments e JOIN %s.experiments x"
                   " ON x.hash = e.hash WHERE x.experiment_id = r.experiment_id)", src);
    else
        sb_add(&b, "NULL");
    sb_add(&b, " FROM %s.runs r WHERE r.run_id = ?1", src);
    int rc = prep(db, &b, &p->run);
    if (rc == SQLITE_OK)
        rc = cmp.oom ? SQLITE_NOMEM : prep_diff(db, src, "runs", cmp.s, "run_id", &p->run_diff);
    if (rc == SQLITE_OK && src_has_exp) {
        free(b.s);
        b = (sbuf){0};
        sb_add(&b, "INSERT INTO main.experiments (name, file, text, hash)"
                   " SELECT name, file, text, hash FROM %s.experiments WHERE experiment_id ="
                   " (SELECT experiment_id FROM %s.runs WHERE run_id = ?1)"
                   " ON CONFLICT (hash) DO NOTHING", src, src);
        rc = prep(db, &b, &p->exp);
    }
    free(cols.s);
    free(cmp.s);
    free(b.s);
    return rc;
}

/* The statements of one table keyed by run_id. */
static int prep_table(res_db *db, const char *src, res_copy_plan *p, const char *t)
{
    sbuf cols = {0}, cmp = {0}, b = {0};
    bool has_run_id;
    size_t n = common_cols(db, src, t, NULL, &cols, &cmp, &has_run_id);
    int rc = SQLITE_OK;
    if (n == 0 || !has_run_id)
        goto out; /* not in src, or not keyed by run there */
    size_t k = p->n;
    if (!(p->names[k] = strdup(t))) {
        rc = SQLITE_NOMEM;
        goto out;
    }
    p->n++;
    /* the same columns, run_id replaced by the new run's id */
    sbuf sel = {0};
    const char *c = cols.s;
    while (*c) {
        const char *e = strchr(c, ',');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        bool rid = len == 8 && strncmp(c, "\"run_id\"", 8) == 0;
        sb_add(&sel, "%s%.*s", sel.n ? "," : "", rid ? 2 : (int)len, rid ? "?2" : c);
        c += len + (e ? 1 : 0);
    }
    sb_add(&b, "INSERT INTO main.\"%s\" (%s) SELECT %s FROM %s.\"%s\" WHERE run_id = ?1", t,
           cols.s, sel.oom ? "" : sel.s, src, t);
    free(sel.s);
    rc = sel.oom ? SQLITE_NOMEM : prep(db, &b, &p->rows[k]);
    if (rc == SQLITE_OK)
        rc = cmp.n ? prep_diff(db, src, t, cmp.s, "run_id", &p->diff[k]) : SQLITE_OK;
out:
    free(cols.s);
    free(cmp.s);
    free(b.s);
    return rc;
}

/* The plan of copies from src: the runs row, then every other table of
 * main keyed by run_id that src has too. */
static int plan_build(res_db *db, const char *src, res_copy_plan **out)
{
    res_copy_plan *p = calloc(1, sizeof *p);
    sqlite3_stmt *s = NULL;
    int rc = p ? SQLITE_OK : SQLITE_NOMEM;
    int has_exp = 0;
    char sql[128];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM %s.sqlite_master WHERE type = 'table' AND name = 'experiments'",
             src);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        has_exp = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc == SQLITE_OK)
        rc = prep_runs(db, src, p, has_exp);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db->h,
                                "SELECT name FROM main.sqlite_master WHERE type = 'table'"
                                " AND name NOT IN ('runs', 'experiments')"
                                " AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
                                -1, &s, NULL);
    size_t cap = 0;
    while (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        if (p->n == cap) {
            cap = cap ? 2 * cap : 8;
            char **nm = realloc(p->names, cap * sizeof *nm);
            if (nm)
                p->names = nm;
            sqlite3_stmt **r = realloc(p->rows, cap * sizeof *r);
            if (r)
                p->rows = r;
            sqlite3_stmt **d = realloc(p->diff, cap * sizeof *d);
            if (d)
                p->diff = d;
            if (!nm || !r || !d) {
                rc = SQLITE_NOMEM;
                break;
            }
            for (size_t i = p->n; i < cap; i++)
                p->rows[i] = p->diff[i] = NULL;
        }
        rc = prep_table(db, src, p, (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) {
        plan_free(p);
        p = NULL;
    }
    *out = p;
    return rc;
}

/* The integer sql yields on db, 0 if none. */
static int int_of(res_db *db, const char *sql)
{
    sqlite3_stmt *s;
    int v = 0;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    return v;
}

/* Not an offsim database, or one this version cannot read: the error. */
static off_status check_src(res_db *db, const char *src, const char *path, off_err *err)
{
    char sql[3][96];
    snprintf(sql[0], sizeof sql[0], "PRAGMA %s.application_id", src);
    snprintf(sql[1], sizeof sql[1], "PRAGMA %s.user_version", src);
    snprintf(sql[2], sizeof sql[2], "SELECT count(*) FROM %s.sqlite_master WHERE name = 'runs'",
             src);
    int app = int_of(db, sql[0]), ver = int_of(db, sql[1]), ok = int_of(db, sql[2]);
    if (app != RES_APP_ID || !ok)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "not an offsim results database");
    if (ver > RES_SCHEMA_VERSION)
        return off_errf(err, OFF_EINVAL, path, 0, 0,
                        "results schema version %d is newer than this offsim understands (%d)",
                        ver, RES_SCHEMA_VERSION);
    return OFF_OK;
}

/* The slot for a new attachment: a free one, else the least recently
 * used (detached). */
static res_src *free_slot(res_db *db)
{
    res_src *best = &db->src[0];
    for (size_t k = 0; k < RES_SRC_SLOTS; k++) {
        if (!db->src[k].path)
            return &db->src[k];
        if (db->src[k].used < best->used)
            best = &db->src[k];
    }
    detach_slot(db, best);
    return best;
}

/* Attach path read-only as a new source in slot; map: read it through a
 * memory map. */
static off_status attach_new(res_db *db, res_src *slot, const char *path, const struct stat *sb,
                             bool map, off_err *err)
{
    char src[8];
    slot_name(src, db, slot);
    char *name = db->uri ? res_uri_of(path, "mode=ro") : strdup(path);
    char sql[64];
    snprintf(sql, sizeof sql, "ATTACH ? AS %s", src);
    sqlite3_stmt *s;
    int rc = name ? sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) : SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        sqlite3_finalize(s);
    }
    free(name);
    if (rc != SQLITE_DONE)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "cannot open: %s", sqlite3_errmsg(db->h));
    slot->dev = sb->st_dev;
    slot->ino = sb->st_ino;
    /* A merge reads its inputs through a memory map: no copy of every page
     * by read().  A sweep's parent does not: its sources are workers' files
     * that grow between two copies, and SQLite maps a file again (munmap,
     * a TLB shoot-down on every core) each time it has grown: 0.3 ms a
     * point on a 2-core VM, more than the copy itself. */
    if (map) {
        snprintf(sql, sizeof sql, "PRAGMA %s.mmap_size=1073741824", src);
        sqlite3_exec(db->h, sql, NULL, NULL, NULL);
    }
    slot->path = strdup(path);
    off_status st = slot->path ? check_src(db, src, path, err)
                               : off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == OFF_OK && plan_build(db, src, &slot->plan) != SQLITE_OK)
        st = off_errf(err, OFF_EINVAL, path, 0, 0, "cannot read the database: %s",
                      sqlite3_errmsg(db->h));
    if (st != OFF_OK) {
        if (!slot->path) { /* attached, but no path to mark the slot */
            snprintf(sql, sizeof sql, "DETACH %s", src);
            sqlite3_exec(db->h, sql, NULL, NULL, NULL);
        }
        detach_slot(db, slot);
    }
    return st;
}

/* The slot where path is attached, NULL if it is not (or is stale: a
 * worker's database removed and made again under its name is attached
 * again).  *sb, *found: path's stat. */
static res_src *attached(res_db *db, const char *path, struct stat *sb, bool *found)
{
    *found = stat(path, sb) == 0;
    for (size_t k = 0; k < RES_SRC_SLOTS; k++) {
        res_src *slot = &db->src[k];
        if (slot->path && strcmp(slot->path, path) == 0)
            return *found && sb->st_dev == slot->dev && sb->st_ino == slot->ino ? slot : NULL;
    }
    return NULL;
}

/* Make slot the current source. */
static void use_slot(res_db *db, res_src *slot)
{
    slot->used = ++db->src_tick;
    db->cur = slot;
}

/* Make path, attached read-only, the current source (db->cur), attaching
 * it unless it is attached already; outside any transaction.  A missing
 * file or a foreign one is OFF_EINVAL naming it.  map: as attach_new. */
static off_status attach(res_db *db, const char *path, bool map, off_err *err)
{
    struct stat sb;
    bool found;
    res_src *slot = attached(db, path, &sb, &found);
    if (!slot)
        for (size_t k = 0; k < RES_SRC_SLOTS; k++)
            if (db->src[k].path && strcmp(db->src[k].path, path) == 0)
                detach_slot(db, &db->src[k]); /* stale */
    if (!found)
        return off_errf(err, OFF_EINVAL, path, 0, 0, "cannot open: %s", strerror(errno));
    off_status st = OFF_OK;
    if (!slot) {
        slot = free_slot(db);
        st = attach_new(db, slot, path, &sb, map, err);
    }
    if (st == OFF_OK)
        use_slot(db, slot);
    return st;
}

/* ---- copying one run --------------------------------------------------------- */

/* Step s (bound with ?1 = a, ?2 = b where it has them) to its end; an
 * SQLite code, SQLITE_DONE when done. */
static int run_stmt(sqlite3_stmt *s, int64_t a, int64_t b)
{
    sqlite3_bind_int64(s, 1, a);
    if (sqlite3_bind_parameter_count(s) >= 2)
        sqlite3_bind_int64(s, 2, b);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

/* Copy run src_run of the attached src into the open transaction. */
static off_status copy_attached(res_db *db, int64_t src_run, int64_t *new_run, size_t *rows,
                                off_err *err)
{
    res_copy_plan *p = db->cur->plan;
    if (p->exp && run_stmt(p->exp, src_run, 0) != SQLITE_DONE)
        return res_db_err(db, err, "copying the experiment");
    if (run_stmt(p->run, src_run, 0) != SQLITE_DONE)
        return res_db_err(db, err, "copying the run");
    if (sqlite3_changes(db->h) != 1)
        return off_errf(err, OFF_EINVAL, db->cur->path, 0, 0, "no run %lld",
                        (long long)src_run);
    *new_run = sqlite3_last_insert_rowid(db->h);
    size_t n = 1;
    for (size_t i = 0; i < p->n; i++) {
        if (run_stmt(p->rows[i], src_run, *new_run) != SQLITE_DONE)
            return res_db_err(db, err, "copying the run's rows");
        n += (size_t)sqlite3_changes(db->h);
    }
    *rows = n;
    return OFF_OK;
}

/* Foreign keys off for a copy's transaction (the pragma is a no-op inside
 * one), back on after. */
static void fk(res_db *db, bool on)
{
    sqlite3_exec(db->h, on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF", NULL, NULL,
                 NULL);
}

off_status res_copy_begin(res_db *db, off_err *err)
{
    off_status st = res_join_writer(db, err);
    if (st == OFF_OK)
        st = res_commit_pending(db, err);
    if (st != OFF_OK)
        return st;
    fk(db, false);
    if ((st = res_begin(db, err)) != OFF_OK)
        fk(db, true);
    return st;
}

off_status res_copy_end(res_db *db, off_status st, off_err *err)
{
    st = res_txn_end(db, db->in_txn, st, err);
    fk(db, true);
    return st;
}

/* Attach path (a memory map: map) and open a transaction for copies. */
static off_status copy_begin(res_db *db, const char *path, bool map, off_err *err)
{
    off_status st = res_join_writer(db, err);
    if (st == OFF_OK)
        st = res_commit_pending(db, err);
    if (st == OFF_OK)
        st = attach(db, path, map, err);
    return st != OFF_OK ? st : res_copy_begin(db, err);
}

off_status res_copy_run(res_db *db, const char *src_path, int64_t src_run, int64_t *new_run,
                        off_err *err)
{
    size_t rows;
    off_status st;
    if (!db->in_txn) { /* a transaction of its own */
        if ((st = copy_begin(db, src_path, false, err)) != OFF_OK)
            return st;
        return res_copy_end(db, copy_attached(db, src_run, new_run, &rows, err), err);
    }
    /* Joining the open transaction of res_copy_begin.  SQLite refuses
     * ATTACH inside a transaction: a source not attached yet commits the
     * runs copied so far (whole runs) and opens the next transaction. */
    struct stat sb;
    bool found;
    res_src *slot = attached(db, src_path, &sb, &found);
    if (slot) {
        use_slot(db, slot);
    } else if ((st = res_txn_end(db, true, OFF_OK, err)) != OFF_OK ||
               (st = attach(db, src_path, false, err)) != OFF_OK ||
               (st = res_begin(db, err)) != OFF_OK) {
        return st;
    }
    return copy_attached(db, src_run, new_run, &rows, err);
}

/* ---- merge ------------------------------------------------------------------------ */

/* A run of an input: where it comes from and its identity. */
typedef struct mrun {
    size_t input;
    int64_t run_id;
    char *exp_hash;   /* NULL outside a sweep                               */
    int64_t point;    /* -1 outside a sweep                                  */
    char *point_hash, *status, *config_hash, *started_at, *host;
    int64_t seed;
} mrun;

typedef struct mexp {
    size_t input;
    char *name, *file, *text, *hash;
} mexp;

typedef struct mstate {
    res_db *out;
    const char *const *inputs;
    mrun *runs;
    size_t n_runs, cap_runs;
    mexp *exps;
    size_t n_exps, cap_exps;
    bool oom;
} mstate;

static char *col_dup(sqlite3_stmt *s, int i, bool *oom)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    if (!v)
        return NULL;
    char *d = strdup(v);
    if (!d)
        *oom = true;
    return d;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? 2 * *cap : 64;
    void *p = realloc(*v, c * size);
    if (!p)
        return false;
    *v = p;
    *cap = c;
    return true;
}

/* The runs and experiments of the attached input k, into m. */
static off_status collect(mstate *m, size_t k, off_err *err)
{
    res_db *db = m->out;
    bool v4 = db->cur->plan->exp != NULL;
    char src[8], sql[400];
    slot_name(src, db, db->cur);
    if (v4)
        snprintf(sql, sizeof sql,
                 "SELECT r.run_id, e.hash, r.point, r.point_hash, r.status, r.config_hash,"
                 " r.seed, r.started_at, r.host FROM %s.runs r LEFT JOIN %s.experiments e"
                 " ON e.experiment_id = r.experiment_id", src, src);
    else
        snprintf(sql, sizeof sql,
                 "SELECT run_id, NULL, NULL, NULL, status, config_hash, seed, started_at, NULL"
                 " FROM %s.runs", src);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
        return off_errf(err, OFF_EINVAL, m->inputs[k], 0, 0, "cannot read the runs: %s",
                        sqlite3_errmsg(db->h));
    while (!m->oom && sqlite3_step(s) == SQLITE_ROW) {
        if (!grow((void **)&m->runs, &m->cap_runs, m->n_runs, sizeof *m->runs)) {
            m->oom = true;
            break;
        }
        mrun *r = &m->runs[m->n_runs++];
        *r = (mrun){.input = k, .run_id = sqlite3_column_int64(s, 0)};
        r->exp_hash = col_dup(s, 1, &m->oom);
        r->point = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 2);
        r->point_hash = col_dup(s, 3, &m->oom);
        r->status = col_dup(s, 4, &m->oom);
        r->config_hash = col_dup(s, 5, &m->oom);
        r->seed = sqlite3_column_int64(s, 6);
        r->started_at = col_dup(s, 7, &m->oom);
        r->host = col_dup(s, 8, &m->oom);
    }
    sqlite3_finalize(s);
    snprintf(sql, sizeof sql, "SELECT name, file, text, hash FROM %s.experiments", src);
    if (v4 && sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK) {
        while (!m->oom && sqlite3_step(s) == SQLITE_ROW) {
            if (!grow((void **)&m->exps, &m->cap_exps, m->n_exps, sizeof *m->exps)) {
                m->oom = true;
                break;
            }
            mexp *e = &m->exps[m->n_exps++];
            *e = (mexp){.input = k};
            e->name = col_dup(s, 0, &m->oom);
            e->file = col_dup(s, 1, &m->oom);
            e->text = col_dup(s, 2, &m->oom);
            e->hash = col_dup(s, 3, &m->oom);
        }
        sqlite3_finalize(s);
    }
    return m->oom ? off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory") : OFF_OK;
}

static int str_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL); /* NULL first */
    return strcmp(a, b);
}

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

/* Experiment hash (runs outside a sweep first), point, input, run_id. */
static int run_order(const void *pa, const void *pb)
{
    const mrun *a = pa, *b = pb;
    int c = str_cmp(a->exp_hash, b->exp_hash);
    if (!c)
        c = cmp_i64(a->point, b->point);
    if (!c)
        c = cmp_i64((int64_t)a->input, (int64_t)b->input);
    return c ? c : cmp_i64(a->run_id, b->run_id);
}

static int exp_order(const void *pa, const void *pb)
{
    const mexp *a = pa, *b = pb;
    int c = str_cmp(a->hash, b->hash);
    return c ? c : cmp_i64((int64_t)a->input, (int64_t)b->input);
}

static void mstate_free(mstate *m)
{
    for (size_t i = 0; i < m->n_runs; i++) {
        mrun *r = &m->runs[i];
        free(r->exp_hash);
        free(r->point_hash);
        free(r->status);
        free(r->config_hash);
        free(r->started_at);
        free(r->host);
    }
    for (size_t i = 0; i < m->n_exps; i++) {
        free(m->exps[i].name);
        free(m->exps[i].file);
        free(m->exps[i].text);
        free(m->exps[i].hash);
    }
    free(m->runs);
    free(m->exps);
}

/* Insert the experiments not yet in out, by hash. */
static off_status put_exps(mstate *m, off_err *err)
{
    res_db *db = m->out;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO experiments (name, file, text, hash) VALUES (?,?,?,?)"
                           " ON CONFLICT (hash) DO NOTHING",
                           -1, &s, NULL) != SQLITE_OK)
        return res_db_err(db, err, "merging the experiments");
    off_status st = OFF_OK;
    for (size_t i = 0; i < m->n_exps && st == OFF_OK; i++) {
        const mexp *e = &m->exps[i];
        sqlite3_bind_text(s, 1, e->name ? e->name : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, e->file, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, e->text ? e->text : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, e->hash ? e->hash : "", -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            st = res_db_err(db, err, "merging the experiments");
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return st;
}

/* The run of out with r's identity: its id, 0 if none, -1 on error. */
static int64_t find_same(res_db *db, const mrun *r)
{
    sqlite3_stmt *s;
    const char *sql =
        r->exp_hash ? "SELECT r.run_id FROM runs r JOIN experiments e"
                      " ON e.experiment_id = r.experiment_id WHERE e.hash = ?1"
                      " AND r.point_hash IS ?2 AND r.status IS ?3 ORDER BY r.run_id LIMIT 1"
                    : "SELECT run_id FROM runs WHERE experiment_id IS NULL AND config_hash IS ?1"
                      " AND seed = ?2 AND started_at IS ?3 AND host IS ?4"
                      " ORDER BY run_id LIMIT 1";
    if (sqlite3_prepare_v3(db->h, sql, -1, 0, &s, NULL) != SQLITE_OK)
        return -1;
    if (r->exp_hash) {
        sqlite3_bind_text(s, 1, r->exp_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, r->point_hash, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, r->status, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(s, 1, r->config_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, r->seed);
        sqlite3_bind_text(s, 3, r->started_at, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, r->host, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(s);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(s);
    return id;
}

/* What differs between src run a and main run b: NULL if nothing, else
 * the name of the first table that differs; *failed on an SQLite error. */
static const char *differs(res_db *db, int64_t a, int64_t b, bool *failed)
{
    res_copy_plan *p = db->cur->plan;
    *failed = false;
    for (size_t i = 0; i <= p->n; i++) {
        sqlite3_stmt *s = i < p->n ? p->diff[i] : p->run_diff;
        if (!s)
            continue;
        sqlite3_bind_int64(s, 1, a);
        sqlite3_bind_int64(s, 2, b);
        int rc = sqlite3_step(s);
        int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_reset(s);
        if (n < 0)
            *failed = true;
        if (n != 0)
            return i < p->n ? p->names[i] : "runs";
    }
    return NULL;
}

/* Merge runs[i..j) (all of one input) in one transaction. */
static off_status merge_segment(mstate *m, size_t i, size_t j, bool *exps_done,
                                res_merge_stats *st, off_err *err)
{
    res_db *db = m->out;
    const char *in = m->inputs[m->runs[i].input];
    off_status s = copy_begin(db, in, true, err);
    if (s != OFF_OK)
        return s;
    if (!*exps_done)
        s = put_exps(m, err);
    res_merge_stats seg = {0};
    for (size_t k = i; k < j && s == OFF_OK; k++) {
        const mrun *r = &m->runs[k];
        int64_t same = find_same(db, r);
        if (same < 0) {
            s = res_db_err(db, err, "looking up the run");
        } else if (same > 0) {
            bool failed;
            const char *what = differs(db, r->run_id, same, &failed);
            if (failed)
                s = res_db_err(db, err, "comparing the runs");
            else if (what)
                s = off_errf(err, OFF_ERUNTIME, in, 0, 0,
                             "run %lld conflicts with run %lld of %s: same identity (%s %s),"
                             " different %s; nothing of %s merged",
                             (long long)r->run_id, (long long)same, db->path,
                             r->exp_hash ? "point" : "config", r->exp_hash ? r->point_hash
                                                                           : r->config_hash,
                             strcmp(what, "runs") == 0 ? "runs row" : what, in);
            else
                seg.runs_skipped++;
        } else {
            int64_t id;
            size_t rows;
            s = copy_attached(db, r->run_id, &id, &rows, err);
            seg.runs_added++;
            seg.rows_added += rows;
        }
    }
    s = res_copy_end(db, s, err);
    if (s == OFF_OK) {
        *exps_done = true;
        st->runs_added += seg.runs_added;
        st->runs_skipped += seg.runs_skipped;
        st->rows_added += seg.rows_added;
    }
    return s;
}

/* Merge inputs[0..n) into the open database db. */
static off_status merge_into(res_db *db, const char *const *inputs, size_t n,
                             res_merge_stats *st, off_err *err)
{
    mstate m = {.out = db, .inputs = inputs};
    off_status s = OFF_OK;
    for (size_t k = 0; k < n && s == OFF_OK; k++) {
        if ((s = attach(db, inputs[k], true, err)) == OFF_OK)
            s = collect(&m, k, err);
    }
    if (s == OFF_OK) {
        if (m.n_runs) /* qsort's base must not be NULL, even for no element */
            qsort(m.runs, m.n_runs, sizeof *m.runs, run_order);
        if (m.n_exps)
            qsort(m.exps, m.n_exps, sizeof *m.exps, exp_order);
    }
    bool exps_done = m.n_exps == 0;
    for (size_t i = 0, j; i < m.n_runs && s == OFF_OK; i = j) {
        for (j = i + 1; j < m.n_runs && m.runs[j].input == m.runs[i].input; j++)
            ;
        s = merge_segment(&m, i, j, &exps_done, st, err);
    }
    if (s == OFF_OK && !exps_done) { /* experiments without runs */
        bool opened;
        if ((s = res_txn_begin(db, &opened, err)) == OFF_OK)
            s = res_txn_end(db, opened, put_exps(&m, err), err);
    }
    if (s == OFF_OK && m.n_exps) /* as the sweeps write them */
        s = res_points_view(db, NULL, err);
    mstate_free(&m);
    return s;
}

/* path with suffix sfx, malloc'd. */
static char *suffixed(const char *path, const char *sfx)
{
    char *p = malloc(strlen(path) + strlen(sfx) + 1);
    if (p)
        sprintf(p, "%s%s", path, sfx);
    return p;
}

static void remove_db(const char *path)
{
    const char *sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        char *p = suffixed(path, sfx[i]);
        if (p)
            unlink(p);
        free(p);
    }
}

/* A merge into a file that does not exist yet (the usual end of a sweep on
 * a cluster) is written into a scratch file beside it without a journal
 * (a third less work per row than through the WAL: no second copy of
 * every page), synced, and then linked into place, so that OUT exists
 * only complete; on any error the scratch file goes and nothing is
 * written.  If OUT appeared meanwhile, the scratch file is merged into it
 * the usual way. */
static off_status merge_fresh(const char *out_path, const char *const *inputs, size_t n,
                              res_merge_stats *st, off_err *err)
{
    char *tmp = suffixed(out_path, ".merging");
    if (!tmp)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    remove_db(tmp); /* left by a merge that was killed */
    res_db *db;
    off_status s = res_open(&db, tmp, err);
    if (s == OFF_OK) {
        s = res_exec(db, "PRAGMA main.journal_mode=OFF; PRAGMA main.synchronous=OFF", err);
        if (s == OFF_OK)
            s = merge_into(db, inputs, n, st, err);
        if (s == OFF_OK)
            s = res_exec(db, "PRAGMA main.journal_mode=WAL", err);
        res_close(db);
    }
    int fd = s == OFF_OK ? open(tmp, O_RDONLY) : -1;
    if (s == OFF_OK && (fd < 0 || fsync(fd) != 0))
        s = off_errf(err, OFF_EIO, tmp, 0, 0, "cannot sync: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    int linked = s == OFF_OK ? link(tmp, out_path) : 0, why = errno;
    struct stat sb;
    if (linked != 0 && why != EEXIST && stat(out_path, &sb) != 0) {
        linked = rename(tmp, out_path); /* a file system without hard links */
        why = errno;
    }
    if (linked != 0) {
        if (why == EEXIST || stat(out_path, &sb) == 0) {
            const char *in[] = {tmp};
            res_merge_stats again = {0};
            if ((s = res_open(&db, out_path, err)) == OFF_OK) {
                s = merge_into(db, in, 1, &again, err);
                res_close(db);
            }
            *st = again;
        } else {
            s = off_errf(err, OFF_EIO, out_path, 0, 0, "cannot create: %s", strerror(why));
        }
    }
    remove_db(tmp);
    free(tmp);
    return s;
}

off_status res_merge(const char *out_path, const char *const *inputs, size_t n,
                     res_merge_stats *st, off_err *err)
{
    *st = (res_merge_stats){0};
    /* every input is checked before out is even created: bad input
     * writes nothing */
    for (size_t k = 0; k < n; k++) {
        res_db *in;
        if (res_open_readonly(&in, inputs[k], err) != OFF_OK)
            return OFF_EINVAL; /* the message names the input */
        res_close(in);
    }
    struct stat sb;
    if (stat(out_path, &sb) != 0 && errno == ENOENT)
        return merge_fresh(out_path, inputs, n, st, err);
    res_db *db;
    off_status s = res_open(&db, out_path, err);
    if (s == OFF_OK) {
        s = merge_into(db, inputs, n, st, err);
        res_close(db);
    }
    return s;
}
