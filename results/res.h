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
 * Schema: docs/results-schema.md.
 */
#ifndef RES_H
#define RES_H

#include <stdio.h>

#include "off.h"

typedef struct res_db res_db;

#define RES_BATCH 4096

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
 * and at res_run_end; held in memory until then).  The device name is
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
typedef struct res_stat {
    size_t n;
    double mean;
    double ci95;      /* half-width of the 95 % CI of the mean, by batch
                         means (20 batches, Student t), NaN if n < 40       */
    double p50, p95, p99;
    double min, max;
} res_stat;

/* Statistics of x[0..n) in the order given (order matters for batch means:
 * pass values in completion or arrival order).  x is not modified; scratch
 * must have room for n doubles (used to select the quantiles). */
void res_stat_compute(res_stat *st, const double *x, size_t n, double *scratch);

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
 * transaction.  The source stays attached between calls with the same
 * path, so copying many runs of one file costs one attachment. */
off_status res_copy_run(res_db *db, const char *src_path, int64_t src_run, int64_t *new_run,
                        off_err *err);

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
 * sent to a server / tasks, from `devices`) or "devices.COLUMN" (the mean
 * over the run's devices).  NULL and an OFF_EUSAGE error with did-you-mean
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

#endif /* RES_H */
