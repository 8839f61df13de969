/*
 * exp.h - experiments: a base scenario (or several) and the points to run
 * from it, expanded, validated, and run by worker processes into one
 * results database (`offsim sweep`).  Reference: docs/experiments.md.
 *
 * An experiment is a table: one column per axis (an axis path as `--set`
 * accepts it, or `scenario`, `point`, `seed`), one row per point.  The
 * columns come in the order written: scenario, the axes (grid and zip
 * combinations nested as written), the named points, and the seed last
 * (innermost), so the points of one configuration over all seeds are
 * neighbours.  A point is run as the base scenario with the experiment's
 * `set:` overrides, then each of its values as an override path=value.
 *
 * The runner writes the database identically whatever the number of
 * workers or shards: workers run points into their own database files
 * (DB.sweep/worker-K.db) and the parent copies finished runs into the
 * target in point order, with their points and parameters, several
 * consecutive whole runs per transaction (every 0.1 s), so the target
 * never holds half a run.  Depends on sim, scenarios, results, config and
 * core.
 */
#ifndef EXP_H
#define EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "off.h"
#include "scn.h"

/* One value of one axis: how it is shown and recorded (params.value), how
 * it is applied (a YAML value for the override path=yaml), and its value
 * in SI units when it is a number or a quantity (params.num; NAN else).
 * A named point's value is its name; its keys are applied as sets. */
typedef struct exp_val {
    char *text;               /* as written or expanded: "2 Mbps"           */
    char *yaml;               /* the override's value: "2 Mbps", "{type: x}" */
    double num;               /* SI, or NAN                                  */
    scn_override *sets;       /* a named point's own keys (path, yaml)      */
    size_t n_sets;
    struct exp_val *next;     /* the experiment's list of every value        */
} exp_val;

typedef struct exp_experiment {
    char *name;               /* `name:`, else the base scenario's name     */
    char *file;               /* path as given, NULL for a command line     */
    char *text;               /* the file's text, or the command line; with
                                 --axis/--set/--seeds on a file, both       */
    char *dir;                /* directory scenario paths are relative to   */
    scn_override *set;        /* `set:` then --set, every point (owned)     */
    size_t n_set;
    cfg_node *root;           /* the file's tree (NULL for a scenario)      */
    const cfg_node *figures;  /* `figures:` and `claims:` as written (nodes
                                 of root, NULL when absent), kept for the
                                 figure drawing that runs after the sweep   */
    const cfg_node *claims;
    struct exp_claim *claim;  /* the claims, parsed and checked at load    */
    size_t n_claims;
    bool quick;               /* loaded under --quick                       */
    const cfg_node *quick_node; /* `quick:` as written, NULL when absent    */
    char **cols;              /* column names: "scenario", "policy", ...    */
    size_t n_cols;
    const exp_val **cell;     /* n_points x n_cols, row-major               */
    size_t n_points;
    char (*hash)[17];         /* per point, after exp_validate: 16 hex      */
    char **scenario;          /* per point: the scenario file to load       */
    exp_val *vals;            /* every value (owned)                        */
    char **labels;            /* position labels of command-line values     */
    size_t n_labels;
} exp_experiment;

/* The command line's additions: --axis PATH=VALUES (VALUES: a,b,c or
 * linspace:A:B:N, logspace:A:B:N, range:A:B:STEP), --seeds N|a,b,c and
 * --set path=value, in order. */
typedef struct exp_cli {
    char *const *axis;
    size_t n_axis;
    const char *seeds;        /* NULL: none                                  */
    char *const *set;
    size_t n_set;
    bool quick;               /* apply the file's `quick:` overrides        */
} exp_cli;

/* Load an experiment file, or a scenario file as a one-point experiment
 * (a mapping without `scenario:`/`scenarios:` is a scenario), with the
 * command line's additions (cli may be NULL), and expand its points
 * (filter applied).  With cli->quick, the file's `quick:` block replaces
 * `seeds:` and the values of the axes it names (the text then ends with
 * "# offsim sweep --quick", a different experiment in the database).  The
 * claims are parsed and checked against the columns (exp_claims_parse).  Errors FILE:LINE:COL with did-you-mean, OFF_EPARSE or
 * OFF_EINVAL (OFF_EUSAGE for a malformed --axis/--seeds); *e is then empty. */
off_status exp_load(exp_experiment *e, const char *path, const exp_cli *cli, off_err *err);
off_status exp_load_text(exp_experiment *e, const char *file, const char *text, size_t len,
                         const exp_cli *cli, off_err *err);
void exp_free(exp_experiment *e); /* NULL-safe, idempotent */

/* The value of column c in point i. */
static inline const exp_val *exp_cell(const exp_experiment *e, size_t i, size_t c)
{
    return e->cell[i * e->n_cols + c];
}

/* "policy=edge, uplink.rate=50 kbps, seed=3" into buf.  Returns buf. */
const char *exp_point_str(const exp_experiment *e, size_t i, char *buf, size_t cap);

/* Load point i's scenario with its overrides (the experiment's set, then
 * the point's values).  Errors as scn_load. */
off_status exp_point_load(const exp_experiment *e, size_t i, scn_scenario *s, off_err *err);

/* Load every point, build its world once per configuration (as `offsim
 * validate` does) and compute its point hash (off_mix64(config_hash ^
 * off_mix64(seed))); two points of the same configuration and seed are an
 * error.  The first invalid point stops it: "point K (values): message".
 * Fills e->hash, and e->name when the file had none. */
off_status exp_validate(exp_experiment *e, off_err *err);

/* The experiment's identity (experiments.hash, the key resume looks points
 * up under): a hash of its name, its columns, and each point's values and
 * hash (after exp_validate), i.e. of what decides the runs and nothing
 * else: editing `figures:` (or a comment) keeps it. */
uint64_t exp_identity(const exp_experiment *e);

/* scn_load of path with the overrides, reading the file once per process
 * (the text is kept, and read again only when the file's identity, size
 * or modification time changed): a sweep's points share a few files. */
off_status exp_scenario_load(scn_scenario *s, const char *path, const scn_override *ov, size_t n,
                             off_err *err);

/* Print the point count and the parameter table (dry run). */
void exp_print_table(const exp_experiment *e, size_t first, size_t last, FILE *f);

/* ---- the filter expression (exp_filter.c) ------------------------------
 * Identifiers are column names, numbers may carry units (compared in SI),
 * 'strings' or "strings", == != < <= > >=, and or not, parentheses. */
typedef struct exp_filter exp_filter;
/* Parse src (from node at pos, for positions); names are the columns. */
off_status exp_filter_parse(exp_filter **f, const char *src, cfg_pos pos, bool quoted,
                            const char *const *names, size_t n_names, off_err *err);
/* Evaluate on row (n_names values, as the parse's names). */
bool exp_filter_eval(const exp_filter *f, const exp_val *const *row);
/* Whether f names column col. */
bool exp_filter_uses(const exp_filter *f, size_t col);
void exp_filter_free(exp_filter *f);

/* The value of text in SI units when it is a number or a quantity of any
 * unit (num of exp_val), else NAN. */
double exp_si(const char *text);

/* ---- claims (exp_claims.c) ---------------------------------------------
 * `claims:` of an experiment file: what a paper says, checked against the
 * runs of the experiment's points in a results database.  Kinds: trend,
 * slope, better (paired over seeds), value, step.  Reference:
 * docs/experiments.md, "Claims". */
typedef struct exp_claim exp_claim;

/* Parse and check e->claims against e's columns and the metrics into
 * e->claim (called by exp_load).  Errors FILE:LINE:COL with did-you-mean,
 * OFF_EINVAL. */
off_status exp_claims_parse(exp_experiment *e, off_err *err);
void exp_claims_free(exp_experiment *e); /* idempotent */
/* Whether claim i is checked under --quick (its quick: key). */
bool exp_claim_quick(const exp_experiment *e, size_t i);

typedef enum exp_verdict {
    EXP_HOLDS,
    EXP_FAILS,
    EXP_NA,      /* cannot be evaluated (no runs, too few seeds): a failure */
    EXP_SKIPPED  /* quick: false, under --quick                             */
} exp_verdict;

extern const char *const exp_verdict_names[4]; /* "holds", "fails", "n/a", "skipped" */

/* The outcome of one claim. */
typedef struct exp_claim_out {
    const char *name, *kind, *says, *source; /* the claim's (source may be NULL) */
    exp_verdict verdict;
    char offsim[320];    /* what offsim measured, short                     */
    char detail[480];    /* why it fails or cannot be evaluated; or more     */
} exp_claim_out;

/* Evaluate every claim of the validated e (exp_validate: its point hashes)
 * on the newest ok run of each point in db; out[0..e->n_claims), malloc'd. */
struct res_db;
off_status exp_claims_eval(const exp_experiment *e, struct res_db *db, exp_claim_out **out,
                           off_err *err);
/* The table | claim | paper says | offsim | verdict | (Markdown) onto f. */
void exp_claims_table(const exp_claim_out *o, size_t n, FILE *f);
/* Check e's claims on the database at db_path (which must exist): the
 * table onto out (may be NULL), the verdicts into table `claims` and into
 * DB-figures/claims.md.  *failed: claims that fail or cannot be evaluated. */
off_status exp_claims_check(const exp_experiment *e, const char *db_path, FILE *out,
                            size_t *failed, off_err *err);

/* ---- running (exp_run.c) ------------------------------------------------ */
typedef struct exp_run_opts {
    const char *db;           /* target database                            */
    unsigned jobs;            /* worker processes (>= 1)                    */
    unsigned shard, n_shards; /* run points [shard*P/n, (shard+1)*P/n)      */
    bool quiet;               /* nothing but errors                         */
    bool bar;                 /* a progress bar (a terminal) instead of one
                                 line per finished point                    */
    FILE *out;                /* messages (stdout)                          */
} exp_run_opts;

typedef struct exp_run_stats {
    size_t points;            /* in the shard                               */
    size_t done_before;       /* already ok in the target, skipped          */
    size_t ok, failed;        /* run now                                    */
    bool interrupted;
} exp_run_stats;

/* Run the points of e (validated) that the target lacks or holds not ok.
 * A point failing at run time is recorded 'failed' with its error and the
 * others go on (st->failed counts them; still OFF_OK).  Interrupted
 * (off_interrupted): no point starts any more, the running ones are
 * stopped (their workers are signalled) and recorded with status
 * 'interrupted', in point order with those finished, and named on stderr;
 * OFF_ERUNTIME with st->interrupted.  The next sweep runs every point not
 * 'ok' again. */
off_status exp_run(const exp_experiment *e, const exp_run_opts *o, exp_run_stats *st,
                   off_err *err);

/* ---- Slurm (exp_slurm.c) ------------------------------------------------ */
typedef struct exp_slurm_opts {
    const char *offsim;       /* absolute path of the offsim binary         */
    const char *args;         /* the sweep's own arguments: EXP --set ...   */
    const char *dir;          /* the directory the tasks start in           */
    const char *db;           /* the merged database                        */
    unsigned array;           /* tasks                                       */
    const char *partition;    /* NULL: the default                          */
    const char *time;         /* NULL: the default                          */
} exp_slurm_opts;

/* Write DB.slurm/sweep.sbatch and DB.slurm/merge.sbatch; *dir gets the
 * folder (malloc'd). */
off_status exp_slurm_write(const exp_slurm_opts *o, char **dir, off_err *err);

#endif /* EXP_H */
