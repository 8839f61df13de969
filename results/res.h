/*
 * res.h - run results in SQLite: schema, recorder, statistics, report.
 *
 * One database holds any number of runs.  A run is opened with
 * res_run_begin (row in `runs` with status 'running'), fed task rows
 * (batched: one transaction per RES_BATCH rows, written by a writer thread
 * while the caller goes on), and closed with
 * res_run_end (summary row, status 'ok'; or 'failed' / 'interrupted' without
 * summary).  The database is in WAL mode; a run killed half-way leaves
 * every committed batch and its `runs` row with status 'running'; while its
 * process lives it holds the run's lock (res_run_live), so report tells a
 * run in progress ("running") from a killed one ("killed").
 *
 * Any number of processes may write to one database, new or existing, at
 * once: the schema is created or migrated by one of them under SQLite's
 * write lock, and every writer waits for the others' locks (up to two
 * minutes each time) instead of failing.
 *
 * Schema: docs/results-schema.md (version 6).
 */
#ifndef RES_H
#define RES_H

#include <stdio.h>

#include "off.h"

typedef struct res_db res_db;

#define RES_BATCH 4096
/* At most this many task rows wait in the reorder window for a lower task
 * id of their run (res_add_task); with the batches, a connection holds at
 * most RES_WINDOW + 2 * RES_BATCH task rows in memory (about 250 bytes
 * each: 18 MB), however far out of order the tasks finish. */
#define RES_WINDOW 65536

/* Open (creating if needed) the database at path and make sure the schema
 * exists; the parent directory is created if missing.  A file that is not an
 * offsim database (or a newer schema version) is an error naming the path. */
off_status res_open(res_db **db, const char *path, off_err *err);
/* Open an existing database read-only (report, plot): missing file is an
 * error.  Works on a read-only file or file system (a database closed
 * cleanly is then read as immutable) and never changes the file: an older
 * schema version is read as it is. */
off_status res_open_readonly(res_db **db, const char *path, off_err *err);
void res_close(res_db *db); /* NULL-safe; commits a pending batch */

typedef struct res_run_info {
    const char *scenario;     /* scenario name                              */
    const char *scenario_file;
    const char *config_text;  /* full YAML text                              */
    const char *overrides;    /* --set lines, may be ""                      */
    uint64_t config_hash;     /* hash of text + overrides                    */
    uint64_t seed;            /* any value: see res_seed_to_sql              */
    const char *policy;       /* policy type                                 */
} res_run_info;

/* The generator of the random streams of the runs db begins from now on,
 * recorded in runs.rng (a static string, e.g. sim_rng_name()); NULL (the
 * default): not recorded, NULL in the row.  Runs of databases older than
 * schema version 5 read as 'mt19937'. */
void res_set_rng(res_db *db, const char *rng);

/* runs.seed is an SQLite INTEGER (signed 64 bits): a seed s in [0, 2^64)
 * is stored as s below 2^63 and as s - 2^64 from 2^63 on (two's
 * complement), a bijection: res_seed_from_sql gives the seed back exactly
 * (in SQL: printf('%u', seed)). */
int64_t res_seed_to_sql(uint64_t seed);
uint64_t res_seed_from_sql(int64_t v);
/* The master seed of run run_id, as given to res_run_begin. */
off_status res_run_seed(res_db *db, int64_t run_id, uint64_t *seed, off_err *err);

/* Whether the process that began run run_id is still writing it (it holds
 * the run's lock from res_run_begin to res_run_end): 1 yes, 0 no (a run
 * left 'running' was killed), -1 cannot tell. */
int res_run_live(res_db *db, int64_t run_id);

/* Insert the runs row (status 'running', start time now, version).
 * *run_id receives its id. */
off_status res_run_begin(res_db *db, const res_run_info *info, int64_t *run_id,
                         off_err *err);

typedef struct res_task_row {
    int64_t task_id;          /* 0-based in arrival order within the run     */
    int32_t device;           /* device index                                */
    const char *device_name;  /* e.g. "phone[3]"                             */
    int32_t server;           /* server index, -1 if none used               */
    int64_t sample;           /* dataset sample index, -1 if none            */
    double t_arrival, t_start, t_done; /* s; t_done NaN if never finished    */
    double latency_s;         /* t_done - t_arrival                          */
    double compute_device_s, uplink_s, queue_s, compute_server_s, downlink_s;
    double energy_j;          /* device energy spent on the task             */
    double bytes_up, bytes_down;
    int32_t exit, split, bits;
    int32_t correct;          /* 0/1                                         */
    int32_t deadline_met;     /* 0/1                                         */
    double deadline_s;        /* relative deadline                           */
} res_task_row;

/* Append one task row to the current batch (committed every RES_BATCH rows
 * and at res_run_end; held in memory until then).  Rows go into the batches
 * in task order: a row whose task id is not the next of its run (one above
 * the highest gone in, 0 for a new run) waits in the reorder window until
 * the ids below it have come, at most RES_WINDOW rows (then the lowest goes
 * in regardless, and a lower one coming later is inserted where it
 * belongs); res_run_end and res_close write the waiting rows first.  The
 * table's content does not depend on the order.  The device name is
 * copied: the caller's string need not outlive the call.  A full batch is
 * inserted and committed by a writer thread while the caller fills the next
 * one (the call waits if the writer is still busy with the previous batch).
 * An insert error of such a batch (e.g. a duplicate task id) rolls it back
 * and is returned by the next res_* call that waits for the writer: the
 * res_add_task that fills the next batch, or res_run_end / res_run_begin /
 * res_add_training; that call drops the rows buffered since and writes
 * nothing.  Errors of the last batch are returned by res_run_end itself. */
off_status res_add_task(res_db *db, int64_t run_id, const res_task_row *row,
                        off_err *err);

/* How the task rows of a connection went in (res_row_stats): rows
 * added, rows that waited in the reorder window, rows released out of key
 * order (a lower task id came after the window was full, or after a row of
 * a later run), and the most rows the window held at once (<= RES_WINDOW). */
typedef struct res_row_stats {
    uint64_t rows, held, late;
    size_t window_peak;
} res_row_stats;
res_row_stats res_row_stats_of(const res_db *db);

/* One point of a learning curve (`offsim train`), in table `training`:
 * committed at once (with the open transaction's rows if one is open, e.g.
 * after res_add_device, then at res_run_end). */
typedef struct res_train_row {
    uint64_t step;            /* transitions learned from                    */
    uint64_t episode;         /* training runs (episodes) finished           */
    uint64_t updates;         /* gradient updates                            */
    double reward_mean;       /* mean reward since the previous point        */
    double episode_return;    /* mean reward per task of the last finished
                                 episode (NaN before the first ends)        */
    double loss_policy, loss_value, entropy;
    double temperature;       /* SAC's alpha, NaN for PPO                    */
    double wall_s;            /* since the start of training                 */
    bool has_eval;            /* a held-out evaluation was made at this step */
    double eval_reward;       /* its mean reward per task (schema version 5) */
} res_train_row;

off_status res_add_training(res_db *db, int64_t run_id, const res_train_row *row,
                            off_err *err);

/* One device's results of a run, in table `devices` (schema version 3),
 * written by the simulator at the end of a run (all tasks, warm-up
 * included); in the transaction that res_run_end commits. */
typedef struct res_device_row {
    int64_t device;           /* device index                                */
    const char *name;         /* e.g. "phone[3]" (copied)                    */
    int32_t server;           /* its server at the end of the run            */
    uint64_t n_tasks;         /* tasks it generated                          */
    uint64_t n_done;          /* of which finished                           */
    uint64_t n_offloaded;     /* of which sent to a server                   */
    uint64_t handovers;       /* re-attachments to another server            */
    double energy_j;          /* all it drew: compute, radio, idle, tail     */
    double tail_j;            /* of which radio tail                         */
    double tail_unattributed_j; /* tail energy charged to no task            */
    double capacity_j;        /* battery; NaN (NULL) without one             */
    double remaining_j;       /* capacity - energy; NaN without a battery    */
    double t_death;           /* when the battery ran empty; INFINITY (NULL)
                                 if it did not                               */
    double freq_hz;           /* DVFS level; NaN (NULL) without DVFS         */
} res_device_row;

off_status res_add_device(res_db *db, int64_t run_id, const res_device_row *row,
                          off_err *err);

/* ---- statistics (used by the simulator for summaries, and by report) --- */
/* Why an interval cannot be trusted (res_stat.ci_why, a bit set). */
enum {
    RES_CI_CORRELATED = 1,  /* lag-1 autocorrelation of the batch means
                               > RES_CI_MAX_LAG1                             */
    RES_CI_SHORT = 2,       /* fewer than RES_CI_MIN_NEFF effectively
                               independent observations (batches too short
                               for the correlation of the series)            */
    RES_CI_NO_STEADY = 4,   /* warmup: auto found no steady state (MSER-5
                               would delete RES_MSER_MAX_SHARE or more)      */
};
#define RES_CI_MAX_LAG1 0.5
#define RES_CI_MIN_NEFF 400.0
#define RES_MSER_MAX_SHARE 0.4

typedef struct res_stat {
    size_t n;
    double mean;
    double ci95;      /* half-width of the 95 % CI of the mean, by batch
                         means (20 batches, Student t), NaN if n < 40       */
    double p50, p95, p99;
    double min, max;
    double ci_lag1;   /* lag-1 autocorrelation of the 20 batch means        */
    double ci_neff;   /* observations the interval is worth if they were
                         independent: 20 var(x) / var(batch means)          */
    unsigned ci_why;  /* RES_CI_* bits; 0 = no reason to distrust it       */
} res_stat;

/* Statistics of x[0..n) in the order given (order matters for batch means:
 * pass values in completion or arrival order).  x is not modified; scratch
 * must have room for n doubles (used to select the quantiles).  Without an
 * interval (n < 40) ci_lag1 and ci_neff are NaN and ci_why is 0. */
void res_stat_compute(res_stat *st, const double *x, size_t n, double *scratch);

/* "correlated batches, too few independent observations" for the bits of
 * why (res_stat.ci_why), into buf (always terminated); "" for 0. */
void res_ci_why_text(unsigned why, char *buf, size_t size);

/* MSER-5 truncation point of x[0..n), values in arrival order: the number
 * of leading values to delete as warm-up, a multiple of 5.  The series is
 * cut into k = n / 5 batch means z_1..z_k (a tail of n mod 5 values is left
 * out of the statistic) and d (0 <= d <= k/2) minimises
 *   MSER(d) = sum_{j>d} (z_j - mean(z_{d+1..k}))^2 / (k - d)^2,
 * the smallest d on ties (White 1997; Franklin & White 2008).  0 when
 * n < 10.  *share receives 5d / n (0 when n is 0), the part deleted. */
size_t res_mser5(const double *x, size_t n, double *share);

typedef struct res_summary {
    size_t n_tasks;           /* tasks arrived after warm-up                 */
    size_t n_done;            /* of which finished                           */
    res_stat latency;         /* of finished tasks, s                        */
    double energy_mean_j;     /* mean device energy per task                 */
    double accuracy;          /* fraction correct among finished             */
    double deadline_miss;     /* fraction that missed (unfinished count)    */
    double bytes_up_mean;
    double reward_mean;       /* mean of the scenario's reward per task      */
    double sim_time_s;        /* simulated time at the end                   */
    uint64_t events;          /* events processed                            */
    /* schema version 5 */
    double warmup_s;          /* the warm-up used (given or detected), s     */
    size_t warmup_tasks;      /* finished tasks left out as warm-up          */
    bool warmup_auto;         /* detected by MSER-5 (`warmup: auto`)         */
    /* schema version 6: the oracle's reward bound (objective: reward),
     * the mean over the tasks it decided of the most any action could get
     * (docs/rl.md, "The reward bound"); written when bound_tasks > 0,
     * NULL otherwise (any other policy, or not computed) */
    double reward_bound;
    uint64_t bound_tasks;     /* tasks it is the mean of (warm-up included)  */
} res_summary;

/* Close the run: write the summary row (sum may be NULL), the status
 * ("ok", "failed", "interrupted") and
 * the wall time, and commit. */
off_status res_run_end(res_db *db, int64_t run_id, const char *status,
                       double wall_s, const res_summary *sum, off_err *err);

/* ---- experiments and sweeps (schema version 4) ----------------------- */

/* One parameter of a sweep point: the axis path as written ('policy',
 * 'uplink.rate', 'seed'), its value as written or expanded ('2 Mbps'), and
 * the value in SI units where it is a number or a quantity (NAN if none). */
typedef struct res_param {
    const char *name, *value;
    double num;
} res_param;

/* Insert the experiment row (name, file path as given or NULL, text) if no
 * row has the same hash (16 hex digits of off_hash_bytes(text, seed 0));
 * *id gets its experiment_id either way. */
off_status res_experiment_put(res_db *db, const char *name, const char *file, const char *text,
                              int64_t *id, off_err *err);
/* The same with the experiment's identity given (its hash: 16 hex digits
 * of identity), e.g. a hash of what decides its points without what only
 * describes it (its figures).  A row of that identity gets this text (the
 * newest description of the same points). */
off_status res_experiment_put_id(res_db *db, const char *name, const char *file,
                                 const char *text, uint64_t identity, int64_t *id, off_err *err);
/* Mark run run_id as point `point` (0-based) of experiment exp_id with its
 * point hash (16 hex digits), and store its params p[0..n), in one
 * transaction. */
off_status res_run_point(res_db *db, int64_t run_id, int64_t exp_id, int64_t point,
                         const char *point_hash, const res_param *p, size_t n, off_err *err);
/* The status of the newest run of experiment exp_id with this point hash
 * ("running", "ok", "failed", "interrupted"; a 'running' run whose process
 * died still reads "running": see res_run_live), or "" if there is none;
 * *run_id gets its id (0 if none). */
off_status res_point_status(res_db *db, int64_t exp_id, const char *point_hash, char status[16],
                            int64_t *run_id, off_err *err);
/* Record the error text of a failed run, setting its status to 'failed'. */
off_status res_run_fail(res_db *db, int64_t run_id, const char *error, off_err *err);

/* Copy run src_run of the offsim database at src_path (opened read-only)
 * into db as a new run (the next run_id), with every row of every table
 * keyed by run (tasks, summary, devices, training, params) and its
 * experiment row (matched by hash, inserted if missing), in one
 * transaction (or in the one of res_copy_begin).  The source stays attached between calls with the same
 * path, so copying many runs of one file costs one attachment. */
off_status res_copy_run(res_db *db, const char *src_path, int64_t src_run, int64_t *new_run,
                        off_err *err);

/* Copies into one transaction: res_copy_begin opens it, every res_copy_run
 * (and res_run_point, res_run_fail) until res_copy_end joins it, and
 * res_copy_end commits it (st OFF_OK) or rolls it back (st returned), so
 * that many small runs cost one commit.  A source not attached yet commits
 * the runs copied so far first (SQLite attaches outside transactions), so
 * a process killed at any moment leaves whole runs only. */
off_status res_copy_begin(res_db *db, off_err *err);
off_status res_copy_end(res_db *db, off_status st, off_err *err);

/* A scratch file (a sweep worker's): no fsync, since nothing of it has to
 * outlive a crash of the machine. */
off_status res_scratch(res_db *db, off_err *err);

/* (Re)create the view "points_NAME" of the experiments called name (every
 * experiment's view when name is NULL): one row per run (run_id), one
 * column per parameter (params.num where set, else params.value; named
 * alphabetically, the seed last), the run's status and its summary
 * columns.  Only when its text changed.  docs/results-schema.md. */
off_status res_points_view(res_db *db, const char *name, off_err *err);

/* `offsim merge`: every run of inputs[0..n) into the database at out_path
 * (created or migrated as by res_open), in a deterministic order: the
 * experiments (by hash) first, then the runs by experiment hash (runs
 * outside a sweep first), point, input order and run_id, so that merging
 * shards in any order gives the same database.  A run whose identity is
 * already in out is skipped when its content is the same (merging twice
 * adds nothing) and is an error naming both runs when it differs (that
 * input's runs are rolled back).  Identity: (experiment hash, point_hash,
 * status) for a sweep run, (config_hash, seed, started_at, host) for
 * another; content: every column but the run ids and the wall-clock and
 * provenance columns, of the run and of every row keyed by it.
 * Errors: OFF_EINVAL naming the input that is missing or not an offsim
 * database (checked before anything is written), OFF_ERUNTIME for a
 * conflict, OFF_EDB for SQLite's failures. */
typedef struct res_merge_stats {
    size_t runs_added, runs_skipped, rows_added; /* rows of every table */
} res_merge_stats;
off_status res_merge(const char *out_path, const char *const *inputs, size_t n,
                     res_merge_stats *st, off_err *err);

/* Print the report of every run in db to out: per run the mean latency with
 * its 95 % CI, p50/p95/p99, mean energy, deadline-miss rate and accuracy. */
off_status res_report(res_db *db, FILE *out, off_err *err);

/* The underlying handle, for read-only queries by plots.  Waits until the
 * writer thread is idle; the caller must not use the handle across a later
 * res_add_task (the writer may then be using it). */
struct sqlite3 *res_handle(res_db *db);
const char *res_path(const res_db *db);

/* ---- aggregation over replications (offsim report --by, offsim plot --x) ---
 *
 * Runs are grouped by the values of some axes (the `params` rows of a sweep:
 * 'policy', 'uplink.rate', ...; 'policy', 'seed' and 'scenario' also work from
 * the runs table when a run has no such param).  Per group and metric: the
 * number of replications n, the mean of the runs' values, and the half-width
 * of the 95 % Student-t interval over the replications.  Against a baseline
 * (an axis of --by at one value), the difference of each group's runs with
 * the baseline's runs on the same seed (and the same values of every other
 * axis of --by): mean and interval of the paired differences (common random
 * numbers make these far narrower than the unpaired interval, also given).
 * Only runs with status 'ok' count. */

typedef struct res_metric_info {
    const char *name;      /* canonical: "latency_mean", "devices.energy_j"    */
    const char *label;     /* for axis labels: "mean latency"                  */
    const char *unit;      /* SI unit of the stored values ("s", "J", "" ...)  */
    const char *disp_unit; /* unit shown by report and plot ("ms", "%" ...)    */
    double disp_scale;     /* shown value = stored value * disp_scale          */
    const char *sql;       /* "SELECT run_id, value ..." one row per run      */
} res_metric_info;

/* The metric called name: a summary column, an alias ("latency", "energy",
 * "p95", "miss", "reward", "bytes", "offloaded"), "offloaded_share" (tasks
 * sent to a server / tasks, from `devices`), "devices.COLUMN" (the mean
 * over the run's devices), or the mean action over the run's task rows:
 * "exit_mean" (exit index of finished tasks, 0 = first), "split_mean",
 * "bits_mean" (of the tasks sent to a server).  NULL and an OFF_EUSAGE error with did-you-mean
 * for an unknown name. */
const res_metric_info *res_metric_find(const char *name, off_err *err);
/* Every metric by its canonical name; *n receives how many. */
const res_metric_info *res_metric_list(size_t *n);

typedef struct res_agg_spec {
    const char *const *by;      /* group-by axes, n_by >= 1                  */
    size_t n_by;
    const char *const *metrics; /* names for res_metric_find; none: latency  */
    size_t n_metrics;
    const char *baseline;       /* "AXIS=VALUE" with AXIS one of by, or NULL */
    const char *where;          /* SQL condition on `runs AS r`, or NULL     */
} res_agg_spec;

typedef struct res_agg_cell {
    size_t n;                /* runs with a value                            */
    double mean, half;       /* half-width of the 95 % CI; NaN when n < 2    */
    size_t n_pairs;          /* seeds shared with the baseline group         */
    double diff, diff_half;  /* paired difference with the baseline: mean and
                                95 % half-width (NaN: none, or pairs < 2)   */
    double diff_half_unpaired; /* Welch's interval of the same difference     */
    const char *note;        /* why mean/half is n/a, or NULL                */
    const char *diff_note;   /* why diff/diff_half is n/a, or NULL           */
} res_agg_cell;

typedef struct res_agg_group {
    char **keys;             /* the value of each by-axis ("-" when absent)  */
    double *nums;            /* its number in SI units, NaN when none        */
    bool is_baseline;
    size_t n_runs;
    res_agg_cell *cells;     /* one per metric                               */
} res_agg_group;

typedef struct res_agg {
    size_t n_by, n_metrics;
    char **by;
    const res_metric_info **metrics;
    char *base_axis, *base_value;  /* NULL without a baseline               */
    res_agg_group *groups;   /* sorted by the by-axes (numerically when num) */
    size_t n_groups;
    size_t n_used;           /* ok runs aggregated                          */
    size_t n_failed, n_interrupted, n_other; /* runs left out, by status     */
    char **pooled;           /* axes outside by (and not the seed) whose
                                values differ within a group                 */
    size_t n_pooled;
    char *title;             /* the experiment's name when all runs share
                                one, else the scenario's; NULL when neither  */
} res_agg;

/* Aggregate the runs of db as spec says into *out (free with
 * res_agg_free).  Errors: an unknown metric or a baseline axis not in by
 * (OFF_EUSAGE), a bad --where (OFF_EUSAGE, SQLite's message), a baseline
 * value no run has and no ok run at all (OFF_EINVAL). */
off_status res_agg_compute(res_db *db, const res_agg_spec *spec, res_agg **out,
                           off_err *err);
void res_agg_free(res_agg *a); /* NULL-safe */
/* The half-width of a 95 % Student-t interval of the mean of n values of
 * sample standard deviation sd: t(0.975, n-1) sd / sqrt(n); NaN if n < 2. */
double res_t_half(double sd, size_t n);

/* ---- claims of experiment files (schema version 5) ---------------------
 * What experiments/ needs to check an experiment's claims against the
 * runs (exp_claims.c) and to record the verdicts. */

/* The newest ok run of each point hash hash[0..n) (16 hex digits, as
 * res_run_point stores them) into run_id[0..n), 0 where there is none.
 * Any experiment's run counts: the point hash is the identity of a
 * configuration and seed, so runs stay usable when only an experiment's
 * claims or figures change. */
off_status res_point_runs(res_db *db, const char (*hash)[17], size_t n, int64_t *run_id,
                          off_err *err);
/* Metric mi of each run run_id[0..n) into v[0..n): NaN where the run has
 * no value (or run_id is 0). */
off_status res_metric_values(res_db *db, const res_metric_info *mi, const int64_t *run_id,
                             size_t n, double *v, off_err *err);

/* One checked claim, as table `claims` holds it.  verdict: "holds",
 * "fails", "n/a" (could not be evaluated: a failure with its reason in
 * detail) or "skipped" (quick: false under --quick). */
typedef struct res_claim_row {
    const char *name, *kind, *says, *source; /* source may be NULL          */
    const char *offsim, *verdict, *detail;   /* detail may be NULL          */
} res_claim_row;

/* Replace the claims of experiment `experiment` by rows[0..n), checked at
 * checked_at (ISO 8601 UTC), in one transaction. */
off_status res_claims_put(res_db *db, const char *experiment, const res_claim_row *rows,
                          size_t n, const char *checked_at, off_err *err);

#endif /* RES_H */
