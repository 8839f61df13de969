/*
 * res_schema.c - the schema of the results database: the tables, the
 * identity of the file (application id, schema version), and the
 * migrations of older versions (1 -> 2 -> 3 -> 4 -> 5 -> 6).
 *
 * Race-free between processes: any number of offsim processes may open one
 * file at once, new or old.  The identity is read first without a lock (a
 * database already at the current version needs no write); a file that is
 * empty or older is then created or migrated inside BEGIN IMMEDIATE, which
 * waits for the other writers, and the identity is read again there: the
 * first process creates or migrates, the others find it done.  Every read
 * or lock that finds the file busy (another process converting it to WAL,
 * or writing) is retried, within RES_BUSY_WAIT_MS, instead of being taken
 * for a foreign file.
 */
#include "res_int.h"

#include <stdio.h>

/* The learning curves of `offsim train` (schema version 2). */
#define TRAINING_SQL_TEXT                                                         \
    "CREATE TABLE IF NOT EXISTS training ("                                       \
    " run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"        \
    " step INTEGER NOT NULL, episode INTEGER NOT NULL, updates INTEGER NOT NULL," \
    " reward_mean REAL, episode_return REAL, loss_policy REAL, loss_value REAL,"  \
    " entropy REAL, temperature REAL, wall_s REAL, eval_reward REAL,"            \
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

/* Experiments and the parameters of their runs (schema version 4).  A
 * run's params are written with its point; their rows go with the run. */
#define SWEEP_SQL_TEXT                                                            \
    "CREATE TABLE IF NOT EXISTS experiments ("                                    \
    " experiment_id INTEGER PRIMARY KEY, name TEXT NOT NULL, file TEXT,"         \
    " text TEXT NOT NULL, hash TEXT NOT NULL UNIQUE);"                           \
    "CREATE TABLE IF NOT EXISTS params ("                                         \
    " run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"        \
    " name TEXT NOT NULL, value TEXT NOT NULL, num REAL,"                        \
    " PRIMARY KEY (run_id, name)) WITHOUT ROWID;"                                \
    "CREATE INDEX IF NOT EXISTS runs_point ON runs(point_hash);"                 \
    "CREATE INDEX IF NOT EXISTS runs_config ON runs(config_hash, seed);"

/* The claims of experiment files as last checked (schema version 5):
 * `offsim check` and `offsim sweep` replace an experiment's rows.  Not
 * keyed by run, so merge and copy leave it alone. */
static const char *claims_sql =
    "CREATE TABLE IF NOT EXISTS claims ("
    " experiment TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,"
    " says TEXT NOT NULL, source TEXT, offsim TEXT,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('holds','fails','n/a','skipped')),"
    " detail TEXT, checked_at TEXT NOT NULL,"
    " PRIMARY KEY (experiment, name)) WITHOUT ROWID;";

/* The columns runs gained in version 4, last in the table both in a new
 * database and in a migrated one (ALTER TABLE appends), so that the two
 * have the same layout. */
#define RUNS_V4_COLS                                                              \
    " experiment_id INTEGER REFERENCES experiments(experiment_id),"              \
    " point INTEGER, point_hash TEXT, error TEXT,"                               \
    " git_commit TEXT, compiler TEXT, host TEXT"

/* The warm-up used and the checks of the latency interval (schema version
 * 5), last in summary both in a new database and in a migrated one. */
#define SUMMARY_V5_COLS                                                           \
    ", warmup_s REAL, warmup_tasks INTEGER, warmup_auto INTEGER,"               \
    " latency_ci_lag1 REAL, latency_ci_neff REAL, latency_ci_ok INTEGER,"       \
    " latency_ci_why TEXT"

/* A database of version 1 to 4 gains them (NULL in its older runs). */
static const char *migrate_v4_summary_sql =
    "ALTER TABLE summary ADD COLUMN warmup_s REAL;"
    "ALTER TABLE summary ADD COLUMN warmup_tasks INTEGER;"
    "ALTER TABLE summary ADD COLUMN warmup_auto INTEGER;"
    "ALTER TABLE summary ADD COLUMN latency_ci_lag1 REAL;"
    "ALTER TABLE summary ADD COLUMN latency_ci_neff REAL;"
    "ALTER TABLE summary ADD COLUMN latency_ci_ok INTEGER;"
    "ALTER TABLE summary ADD COLUMN latency_ci_why TEXT;";

/* The oracle's reward bound of the run (schema version 6), last in summary
 * both in a new database and in a migrated one (NULL in older runs, and
 * in every run whose policy did not compute it). */
#define SUMMARY_V6_COLS ", reward_bound REAL, bound_tasks INTEGER"

/* A database of version 1 to 5 gains them. */
static const char *migrate_v6_summary_sql =
    "ALTER TABLE summary ADD COLUMN reward_bound REAL;"
    "ALTER TABLE summary ADD COLUMN bound_tasks INTEGER;";

/* Schema version 5: the generator of the run's random streams
 * (sim_rng.h's SIM_RNG_NAME, e.g. 'philox4x32-10'), appended last to runs
 * in a new database and in a migrated one alike.  Runs recorded before it
 * existed drew from mt19937 streams: the default says so, so they stay
 * interpretable (their rows differ from a replay by a newer binary). */
#define RUNS_V5_RNG_SQL "ALTER TABLE runs ADD COLUMN rng TEXT DEFAULT 'mt19937';"

/* A version-1 database gains the reward column and the training table. */
static const char *migrate_v1_sql =
    "ALTER TABLE summary ADD COLUMN reward_mean REAL;" TRAINING_SQL_TEXT;

/* A database of version 2 to 4 gains the held-out evaluations of a
 * training (schema version 5; version 1 creates the table with them). */
static const char *migrate_v5_training_sql =
    "ALTER TABLE training ADD COLUMN eval_reward REAL;";

/* A database of version 1 to 3 gains the sweep and provenance columns. */
static const char *migrate_v3_sql =
    "ALTER TABLE runs ADD COLUMN experiment_id INTEGER REFERENCES experiments(experiment_id);"
    "ALTER TABLE runs ADD COLUMN point INTEGER;"
    "ALTER TABLE runs ADD COLUMN point_hash TEXT;"
    "ALTER TABLE runs ADD COLUMN error TEXT;"
    "ALTER TABLE runs ADD COLUMN git_commit TEXT;"
    "ALTER TABLE runs ADD COLUMN compiler TEXT;"
    "ALTER TABLE runs ADD COLUMN host TEXT;";

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS runs ("
    " run_id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL, scenario_file TEXT, config_text TEXT NOT NULL,"
    " overrides TEXT NOT NULL DEFAULT '', config_hash TEXT NOT NULL,"
    " seed INTEGER NOT NULL, policy TEXT NOT NULL, version TEXT NOT NULL,"
    " started_at TEXT NOT NULL, wall_s REAL,"
    " status TEXT NOT NULL CHECK (status IN ('running','ok','failed','interrupted')),"
    RUNS_V4_COLS ");"
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
    " bytes_up_mean REAL, sim_time_s REAL, events INTEGER, reward_mean REAL"
    SUMMARY_V5_COLS SUMMARY_V6_COLS ");"
    TRAINING_SQL_TEXT DEVICES_SQL_TEXT SWEEP_SQL_TEXT;


/* Read the integer sql yields into *v; an SQLite code. */
static int read_int(res_db *db, const char *sql, int *v)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *v = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* The identity of the file: application id, schema version, and how many
 * schema objects it has (0 for a new, empty file); an SQLite code. */
typedef struct res_ident {
    int app, ver, ntab;
} res_ident;

static int read_ident(res_db *db, res_ident *id)
{
    /* Reading the header fails on a file that is not SQLite at all. */
    int rc = read_int(db, "PRAGMA application_id", &id->app);
    if (rc == SQLITE_OK)
        rc = read_int(db, "PRAGMA user_version", &id->ver);
    if (rc == SQLITE_OK)
        rc = read_int(db, "SELECT count(*) FROM sqlite_master", &id->ntab);
    return rc;
}

/* read_ident in one read transaction (the three values of one version of
 * the file, not of a schema being created meanwhile), trying again while
 * another process holds a lock. */
static int read_ident_waiting(res_db *db, res_ident *id)
{
    res_wait w;
    res_wait_init(&w);
    int rc;
    do {
        rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = read_ident(db, id);
            sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
        }
    } while (res_rc_busy(rc) && res_wait_more(&w));
    return rc;
}

off_status res_schema_refuse(res_db *db, int rc, off_err *err)
{
    if (!db->h)
        return off_errf(err, OFF_EDB, db->path, 0, 0, "cannot open database: out of memory");
    /* a file that is not ours is bad input (OFF_EINVAL), as a scenario that
     * is not a scenario is; OFF_EDB is left to SQLite's own failures */
    if ((rc & 0xff) == SQLITE_NOTADB)
        return off_errf(err, OFF_EINVAL, db->path, 0, 0, "not an offsim results database (%s)",
                        sqlite3_errstr(rc));
    return off_errf(err, OFF_EDB, db->path, 0, 0, "cannot read the database: %s",
                    sqlite3_errmsg(db->h));
}

/* Whether the identity read is ours (or empty, when we may create). */
static off_status check_ident(res_db *db, const res_ident *id, bool may_create, off_err *err)
{
    if (id->app == 0 && id->ver == 0 && id->ntab == 0)
        return may_create ? OFF_OK
                          : off_errf(err, OFF_EDB, db->path, 0, 0,
                                     "empty database: no runs recorded");
    if (id->app != RES_APP_ID)
        return off_errf(err, OFF_EINVAL, db->path, 0, 0, "not an offsim results database");
    if (id->ver > RES_SCHEMA_VERSION)
        return off_errf(err, OFF_EINVAL, db->path, 0, 0,
                        "results schema version %d is newer than this offsim "
                        "understands (%d): use a newer offsim", id->ver, RES_SCHEMA_VERSION);
    return OFF_OK;
}

int res_schema_probe(res_db *db)
{
    res_ident id = {0};
    return read_ident_waiting(db, &id);
}

off_status res_schema_check(res_db *db, off_err *err)
{
    res_ident id = {0};
    int rc = read_ident_waiting(db, &id);
    return rc != SQLITE_OK ? res_schema_refuse(db, rc, err) : check_ident(db, &id, false, err);
}

/* Bring a file of schema version `from` (0: new) to the current version,
 * inside the open transaction. */
static off_status migrate(res_db *db, int from, off_err *err)
{
    char ids[128];
    snprintf(ids, sizeof ids, "PRAGMA application_id=%d; PRAGMA user_version=%d;", RES_APP_ID,
             RES_SCHEMA_VERSION);
    off_status st = OFF_OK;
    if (from == 1)
        st = res_exec(db, migrate_v1_sql, err);
    if (st == OFF_OK && from >= 1 && from < 4)
        st = res_exec(db, migrate_v3_sql, err);
    if (st == OFF_OK && from >= 1 && from < 5)
        st = res_exec(db, migrate_v4_summary_sql, err);
    if (st == OFF_OK && from >= 2 && from < 5)
        st = res_exec(db, migrate_v5_training_sql, err);
    if (st == OFF_OK && from >= 1 && from < 6)
        st = res_exec(db, migrate_v6_summary_sql, err);
    if (st == OFF_OK) /* creates what is missing: every table, or the newer ones */
        st = res_exec(db, schema_sql, err);
    if (st == OFF_OK && from < 5)
        st = res_exec(db, RUNS_V5_RNG_SQL, err);
    if (st == OFF_OK)
        st = res_exec(db, claims_sql, err);
    if (st == OFF_OK)
        st = res_exec(db, ids, err);
    return st;
}

/* Create or migrate under the write lock, reading the identity again
 * there: another process may have done it since it was first read. */
static off_status create_or_migrate(res_db *db, off_err *err)
{
    off_status st = res_begin(db, err);
    if (st != OFF_OK)
        return st;
    res_ident id = {0};
    int rc = read_ident(db, &id);
    if (rc != SQLITE_OK)
        st = res_schema_refuse(db, rc, err);
    else if ((st = check_ident(db, &id, true, err)) == OFF_OK && id.ver < RES_SCHEMA_VERSION)
        st = migrate(db, id.ver, err);
    db->in_txn = false;
    if (st == OFF_OK && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = res_db_err(db, err, "creating the schema");
    if (st != OFF_OK)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* The connection's settings, and WAL for the file (changing the journal
 * mode takes an exclusive lock: wait for it like for any other). */
static off_status setup(res_db *db, off_err *err)
{
    /* page_size only takes effect on a new database (before WAL); with
     * 16 KiB pages and a 32 MiB cache, rows go in ~20 % faster than
     * with the 4 KiB default (bench/RESULTS.md). */
    off_status st = res_exec(db,
                             "PRAGMA page_size=16384; PRAGMA synchronous=NORMAL;"
                             " PRAGMA foreign_keys=ON; PRAGMA cache_size=-32768;",
                             err);
    if (st != OFF_OK)
        return st;
    return res_exec_waiting(db, "PRAGMA journal_mode=WAL") == SQLITE_OK
               ? OFF_OK
               : res_db_err(db, err, "setting WAL mode");
}

off_status res_schema_ensure(res_db *db, off_err *err)
{
    res_ident id = {0};
    int rc = read_ident_waiting(db, &id);
    if (rc != SQLITE_OK)
        return res_schema_refuse(db, rc, err);
    off_status st = check_ident(db, &id, true, err);
    if (st == OFF_OK)
        st = setup(db, err);
    if (st == OFF_OK && (id.app != RES_APP_ID || id.ver < RES_SCHEMA_VERSION))
        st = create_or_migrate(db, err);
    return st;
}
