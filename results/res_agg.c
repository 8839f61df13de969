/*
 * res_agg.c - aggregation of a sweep's runs over replications: groups by
 * axes, mean and Student-t interval per group, and the paired difference
 * with a baseline on common seeds.
 *
 * Everything is read into memory once (a paper's sweep is thousands of
 * runs, not millions): the runs that pass --where, their params, then one
 * query per metric giving one value per run.  A run's value of an axis is
 * its `params` row of that name; 'policy', 'seed' and 'scenario' fall back
 * to the runs table, so databases written by plain `offsim run` group too.
 */
#define _POSIX_C_SOURCE 200809L
#include "res.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* ---- metrics ------------------------------------------------------------ */

#define SUMMARY(col) "SELECT run_id, " col " FROM summary"
#define DEVICES(col) "SELECT run_id, avg(" col ") FROM devices GROUP BY run_id"
/* The action the policy took, averaged over the run's task rows (warm-up
 * included, as `devices`; summary has no such column). */
#define TASKS(expr, cond) "SELECT run_id, avg(" expr ") FROM tasks WHERE " cond " GROUP BY run_id"

static const res_metric_info metrics[] = {
    {"latency_mean", "mean latency", "s", "ms", 1e3, SUMMARY("latency_mean")},
    {"latency_p50", "median latency", "s", "ms", 1e3, SUMMARY("latency_p50")},
    {"latency_p95", "95th-percentile latency", "s", "ms", 1e3, SUMMARY("latency_p95")},
    {"latency_p99", "99th-percentile latency", "s", "ms", 1e3, SUMMARY("latency_p99")},
    {"latency_min", "minimum latency", "s", "ms", 1e3, SUMMARY("latency_min")},
    {"latency_max", "maximum latency", "s", "ms", 1e3, SUMMARY("latency_max")},
    {"energy_mean_j", "energy per task", "J", "mJ", 1e3, SUMMARY("energy_mean_j")},
    {"accuracy", "accuracy", "", "%", 100, SUMMARY("accuracy")},
    {"deadline_miss", "deadline misses", "", "%", 100, SUMMARY("deadline_miss")},
    {"bytes_up_mean", "bytes sent up per task", "B", "kB", 1e-3, SUMMARY("bytes_up_mean")},
    {"reward_mean", "mean reward", "", "", 1, SUMMARY("reward_mean")},
    {"reward_bound", "reward bound (oracle)", "", "", 1, SUMMARY("reward_bound")},
    {"sim_time_s", "simulated time", "s", "s", 1, SUMMARY("sim_time_s")},
    {"n_tasks", "tasks", "", "", 1, SUMMARY("n_tasks")},
    {"n_done", "tasks finished", "", "", 1, SUMMARY("n_done")},
    {"events", "events", "", "", 1, SUMMARY("events")},
    {"offloaded_share", "tasks offloaded", "", "%", 100,
     "SELECT run_id, 1.0 * sum(n_offloaded) / sum(n_tasks) FROM devices GROUP BY run_id"},
    {"exit_mean", "mean exit (0 = first)", "", "", 1, TASKS("exit", "t_done IS NOT NULL")},
    {"split_mean", "mean split point", "", "", 1, TASKS("split", "split IS NOT NULL")},
    {"bits_mean", "mean bits sent", "", "", 1, TASKS("bits", "server IS NOT NULL")},
    {"devices.energy_j", "energy per device", "J", "J", 1, DEVICES("energy_j")},
    {"devices.tail_j", "radio tail energy per device", "J", "J", 1, DEVICES("tail_j")},
    {"devices.tail_unattributed_j", "unattributed tail energy per device", "J", "J", 1,
     DEVICES("tail_unattributed_j")},
    {"devices.capacity_j", "battery capacity", "J", "J", 1, DEVICES("capacity_j")},
    {"devices.remaining_j", "battery energy left", "J", "J", 1, DEVICES("remaining_j")},
    {"devices.t_death", "battery lifetime", "s", "s", 1, DEVICES("t_death")},
    {"devices.freq_hz", "DVFS frequency", "Hz", "MHz", 1e-6, DEVICES("freq_hz")},
    {"devices.n_tasks", "tasks per device", "", "", 1, DEVICES("n_tasks")},
    {"devices.n_done", "tasks finished per device", "", "", 1, DEVICES("n_done")},
    {"devices.n_offloaded", "tasks offloaded per device", "", "", 1, DEVICES("n_offloaded")},
    {"devices.handovers", "handovers per device", "", "", 1, DEVICES("handovers")},
};

static const struct { const char *alias, *name; } aliases[] = {
    {"latency", "latency_mean"},   {"p50", "latency_p50"},    {"p95", "latency_p95"},
    {"p99", "latency_p99"},        {"energy", "energy_mean_j"}, {"miss", "deadline_miss"},
    {"reward", "reward_mean"},     {"bytes", "bytes_up_mean"}, {"offloaded", "offloaded_share"},
};

enum {
    N_METRICS = sizeof metrics / sizeof metrics[0],
    N_ALIASES = sizeof aliases / sizeof aliases[0]
};

const res_metric_info *res_metric_list(size_t *n)
{
    *n = N_METRICS;
    return metrics;
}

const res_metric_info *res_metric_find(const char *name, off_err *err)
{
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            name = aliases[i].name;
    const char *names[N_METRICS + N_ALIASES];
    for (size_t i = 0; i < N_METRICS; i++) {
        if (strcmp(name, metrics[i].name) == 0)
            return &metrics[i];
        names[i] = metrics[i].name;
    }
    for (size_t i = 0; i < N_ALIASES; i++)
        names[N_METRICS + i] = aliases[i].alias;
    const char *near = off_did_you_mean(name, names, N_METRICS + N_ALIASES);
    if (near)
        off_errf(err, OFF_EUSAGE, NULL, 0, 0, "unknown metric '%s' (did you mean '%s'?)", name,
                 near);
    else
        off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                 "unknown metric '%s' (a summary column such as latency_mean, latency_p95, "
                 "energy_mean_j, accuracy, deadline_miss, reward_mean, bytes_up_mean, "
                 "offloaded_share, or devices.COLUMN)", name);
    return NULL;
}

double res_t_half(double sd, size_t n)
{
    if (n < 2)
        return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

/* ---- the runs in memory ------------------------------------------------- */

typedef struct agg_param {
    char *name, *value;
    double num;
} agg_param;

typedef struct agg_run {
    int64_t id;
    char *policy, *scenario, seed[24];
    agg_param *params;
    size_t n_params;
    double *vals;      /* one per metric, NaN when the run has none          */
    size_t group;
} agg_run;

typedef struct agg_ctx {
    res_db *db;
    agg_run *runs;
    size_t n_runs;
    off_err *err;
    size_t *order;     /* run indices by group, in run order within a group  */
    size_t *start;     /* group g's runs: order[start[g] .. start[g + 1])    */
} agg_ctx;

/* The k-th run of group g's runs, for k in [start[g], start[g + 1]). */
#define GROUP_RUN(c, k) (&(c)->runs[(c)->order[(k)]])

static off_status sql_fail(agg_ctx *c)
{
    return off_errf(c->err, OFF_EDB, res_path(c->db), 0, 0, "%s",
                    sqlite3_errmsg(res_handle(c->db)));
}

static char *dup_text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return strdup(t ? (const char *)t : "");
}

static bool has_table(res_db *db, const char *name)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(db),
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1,
                           &s, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return yes;
}

static agg_run *find_run(agg_ctx *c, int64_t id)
{
    size_t lo = 0, hi = c->n_runs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->runs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_runs && c->runs[lo].id == id ? &c->runs[lo] : NULL;
}

/* The ok runs passing where into c->runs (in run_id order); the others
 * counted by status in a. */
static off_status load_runs(agg_ctx *c, const char *where, res_agg *a)
{
    char *sql = sqlite3_mprintf("SELECT r.run_id, r.status, r.policy, r.scenario, r.seed "
                                "FROM runs r WHERE (%s) ORDER BY r.run_id",
                                where && *where ? where : "1");
    sqlite3_stmt *s;
    int rc = sql ? sqlite3_prepare_v2(res_handle(c->db), sql, -1, &s, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return where ? off_errf(c->err, OFF_EUSAGE, NULL, 0, 0, "--where '%s': %s", where,
                                sqlite3_errmsg(res_handle(c->db)))
                     : sql_fail(c);
    size_t cap = 0;
    off_status st = OFF_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(s, 1);
        if (!status || strcmp(status, "ok") != 0) {
            if (status && strcmp(status, "failed") == 0)
                a->n_failed++;
            else if (status && strcmp(status, "interrupted") == 0)
                a->n_interrupted++;
            else
                a->n_other++;
            continue;
        }
        if (c->n_runs == cap) {
            cap = cap ? 2 * cap : 64;
            agg_run *nr = realloc(c->runs, cap * sizeof *nr);
            if (!nr) {
                st = off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
            c->runs = nr;
        }
        agg_run *r = &c->runs[c->n_runs++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(s, 0);
        r->policy = dup_text(s, 2);
        r->scenario = dup_text(s, 3);
        snprintf(r->seed, sizeof r->seed, "%llu",
                 (unsigned long long)res_seed_from_sql(sqlite3_column_int64(s, 4)));
    }
    if (st == OFF_OK && rc != SQLITE_DONE)
        st = sql_fail(c);
    sqlite3_finalize(s);
    return st;
}

/* The params rows of the loaded runs (none in a database without the
 * table: then only policy, seed and scenario are axes). */
static off_status load_params(agg_ctx *c)
{
    if (!has_table(c->db, "params"))
        return OFF_OK;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(c->db),
                           "SELECT run_id, name, value, num FROM params ORDER BY run_id, name",
                           -1, &s, NULL) != SQLITE_OK)
        return sql_fail(c);
    int rc;
    off_status st = OFF_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        agg_run *r = find_run(c, sqlite3_column_int64(s, 0));
        if (!r)
            continue;
        agg_param *np = realloc(r->params, (r->n_params + 1) * sizeof *np);
        if (!np) {
            st = off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
            break;
        }
        r->params = np;
        agg_param *p = &np[r->n_params++];
        p->name = dup_text(s, 1);
        p->value = dup_text(s, 2);
        p->num = sqlite3_column_type(s, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 3);
    }
    if (st == OFF_OK && rc != SQLITE_DONE)
        st = sql_fail(c);
    sqlite3_finalize(s);
    return st;
}

/* Metric m's value of every loaded run into vals[m]. */
static off_status load_metric(agg_ctx *c, size_t m, const res_metric_info *mi)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(res_handle(c->db), mi->sql, -1, &s, NULL) != SQLITE_OK)
        return off_errf(c->err, OFF_EINVAL, res_path(c->db), 0, 0,
                        "metric %s is not in this database (%s)", mi->name,
                        sqlite3_errmsg(res_handle(c->db)));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        agg_run *r = find_run(c, sqlite3_column_int64(s, 0));
        if (r && sqlite3_column_type(s, 1) != SQLITE_NULL)
            r->vals[m] = sqlite3_column_double(s, 1);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? OFF_OK : sql_fail(c);
}

/* Run r's value of axis (its param, else a runs column for policy,
 * scenario and seed, else "-"); *num its number or NaN. */
static const char *axis_value(const agg_run *r, const char *axis, double *num)
{
    *num = NAN;
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, axis) == 0) {
            *num = r->params[i].num;
            return r->params[i].value;
        }
    if (strcmp(axis, "policy") == 0)
        return r->policy;
    if (strcmp(axis, "scenario") == 0)
        return r->scenario;
    if (strcmp(axis, "seed") == 0) {
        *num = strtod(r->seed, NULL);
        return r->seed;
    }
    return "-";
}

/* ---- groups ------------------------------------------------------------- */

static int cmp_key(const char *ka, double na, const char *kb, double nb)
{
    if (!isnan(na) && !isnan(nb) && na != nb)
        return na < nb ? -1 : 1;
    if (!isnan(na) != !isnan(nb))
        return isnan(na) ? 1 : -1; /* numbers first */
    return strcmp(ka, kb);
}

static size_t sort_n_by;

static int cmp_group(const void *pa, const void *pb)
{
    const res_agg_group *a = pa, *b = pb;
    for (size_t i = 0; i < sort_n_by; i++) {
        int c = cmp_key(a->keys[i], a->nums[i], b->keys[i], b->nums[i]);
        if (c)
            return c;
    }
    return 0;
}

/* The group of run r (created if new); SIZE_MAX when out of memory. */
static size_t group_of(res_agg *a, const agg_run *r)
{
    for (size_t g = 0; g < a->n_groups; g++) {
        size_t i = 0;
        double num;
        while (i < a->n_by && strcmp(a->groups[g].keys[i], axis_value(r, a->by[i], &num)) == 0)
            i++;
        if (i == a->n_by)
            return g;
    }
    res_agg_group *ng = realloc(a->groups, (a->n_groups + 1) * sizeof *ng);
    if (!ng)
        return SIZE_MAX;
    a->groups = ng;
    res_agg_group *g = &ng[a->n_groups];
    memset(g, 0, sizeof *g);
    g->keys = calloc(a->n_by, sizeof *g->keys);
    g->nums = calloc(a->n_by, sizeof *g->nums);
    g->cells = calloc(a->n_metrics, sizeof *g->cells);
    if (!g->keys || !g->nums || !g->cells) {
        free(g->keys), free(g->nums), free(g->cells);
        return SIZE_MAX;
    }
    for (size_t i = 0; i < a->n_by; i++)
        g->keys[i] = strdup(axis_value(r, a->by[i], &g->nums[i]));
    return a->n_groups++;
}

static bool is_by(const res_agg *a, const char *name)
{
    for (size_t i = 0; i < a->n_by; i++)
        if (strcmp(a->by[i], name) == 0)
            return true;
    return false;
}

/* Whether axis takes more than one value among the runs of some group. */
static bool axis_pooled(const agg_ctx *c, const res_agg *a, const char *axis)
{
    for (size_t g = 0; g < a->n_groups; g++) {
        double num;
        const char *first = axis_value(GROUP_RUN(c, c->start[g]), axis, &num);
        for (size_t k = c->start[g] + 1; k < c->start[g + 1]; k++)
            if (strcmp(first, axis_value(GROUP_RUN(c, k), axis, &num)) != 0)
                return true;
    }
    return false;
}

static off_status add_pooled(res_agg *a, const char *axis)
{
    for (size_t i = 0; i < a->n_pooled; i++)
        if (strcmp(a->pooled[i], axis) == 0)
            return OFF_OK;
    char **np = realloc(a->pooled, (a->n_pooled + 1) * sizeof *np);
    if (!np)
        return OFF_ENOMEM;
    a->pooled = np;
    np[a->n_pooled++] = strdup(axis);
    return OFF_OK;
}

/* The axes outside by (the seed apart) that vary within a group: each
 * param name once (a sweep has a handful), checked in one pass over the
 * runs. */
static off_status find_pooled(const agg_ctx *c, res_agg *a)
{
    const char **names = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->n_runs; i++)
        for (size_t p = 0; p < c->runs[i].n_params; p++) {
            const char *name = c->runs[i].params[p].name;
            size_t j = 0;
            while (j < n && strcmp(names[j], name) != 0)
                j++;
            if (j < n || strcmp(name, "seed") == 0 || is_by(a, name))
                continue;
            const char **nn = realloc(names, (n + 1) * sizeof *nn);
            if (!nn) {
                free(names);
                return OFF_ENOMEM;
            }
            names = nn;
            names[n++] = name;
        }
    off_status st = OFF_OK;
    for (size_t j = 0; j < n && st == OFF_OK; j++)
        if (axis_pooled(c, a, names[j]))
            st = add_pooled(a, names[j]);
    free(names);
    if (st != OFF_OK)
        return st;
    if (!is_by(a, "policy") && axis_pooled(c, a, "policy"))
        return add_pooled(a, "policy");
    return OFF_OK;
}

/* ---- statistics --------------------------------------------------------- */

static void mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    *mean = n ? s / (double)n : NAN;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
}

/* The values of metric m of the runs of group g into x; their count. */
static size_t group_values(const agg_ctx *c, size_t g, size_t m, double *x)
{
    size_t n = 0;
    for (size_t k = c->start[g]; k < c->start[g + 1]; k++)
        if (!isnan(GROUP_RUN(c, k)->vals[m]))
            x[n++] = GROUP_RUN(c, k)->vals[m];
    return n;
}

/* The mean of metric m over group g's runs of seed `seed`; NaN if none. */
static double seed_mean(const agg_ctx *c, size_t g, size_t m, const char *seed)
{
    double s = 0;
    size_t n = 0;
    for (size_t k = c->start[g]; k < c->start[g + 1]; k++) {
        const agg_run *r = GROUP_RUN(c, k);
        double num;
        if (!isnan(r->vals[m]) && strcmp(axis_value(r, "seed", &num), seed) == 0)
            s += r->vals[m], n++;
    }
    return n ? s / (double)n : NAN;
}

/* Paired differences of group g with group b on metric m, over the seeds
 * of g's runs (each seed once, in run order) into d; their count. */
static size_t paired(const agg_ctx *c, size_t g, size_t b, size_t m, double *d)
{
    size_t n = 0;
    for (size_t k = c->start[g]; k < c->start[g + 1]; k++) {
        const agg_run *r = GROUP_RUN(c, k);
        if (isnan(r->vals[m]))
            continue;
        double num;
        const char *seed = axis_value(r, "seed", &num);
        bool seen = false;
        for (size_t j = c->start[g]; j < k && !seen; j++)
            seen = !isnan(GROUP_RUN(c, j)->vals[m]) &&
                   strcmp(axis_value(GROUP_RUN(c, j), "seed", &num), seed) == 0;
        double vb = seen ? NAN : seed_mean(c, b, m, seed);
        if (!isnan(vb))
            d[n++] = seed_mean(c, g, m, seed) - vb;
    }
    return n;
}

/* Welch's 95 % half-width of the difference of two means. */
static double welch_half(double s1, size_t n1, double s2, size_t n2)
{
    if (n1 < 2 || n2 < 2)
        return NAN;
    double v1 = s1 * s1 / (double)n1, v2 = s2 * s2 / (double)n2, se2 = v1 + v2;
    if (se2 == 0)
        return 0;
    double df = se2 * se2 / (v1 * v1 / (double)(n1 - 1) + v2 * v2 / (double)(n2 - 1));
    return gsl_cdf_tdist_Pinv(0.975, df) * sqrt(se2);
}

/* The baseline group of group g: the same keys but the baseline axis's
 * value; SIZE_MAX when there is none. */
static size_t baseline_of(const res_agg *a, size_t g, size_t bi)
{
    for (size_t h = 0; h < a->n_groups; h++) {
        if (!a->groups[h].is_baseline)
            continue;
        size_t i = 0;
        while (i < a->n_by && (i == bi || strcmp(a->groups[h].keys[i], a->groups[g].keys[i]) == 0))
            i++;
        if (i == a->n_by)
            return h;
    }
    return SIZE_MAX;
}

static void fill_cells(const agg_ctx *c, res_agg *a, size_t bi, double *x, double *y)
{
    for (size_t g = 0; g < a->n_groups; g++)
        for (size_t m = 0; m < a->n_metrics; m++) {
            res_agg_cell *cell = &a->groups[g].cells[m];
            double sd;
            cell->n = group_values(c, g, m, x);
            mean_sd(x, cell->n, &cell->mean, &sd);
            cell->half = res_t_half(sd, cell->n);
            cell->note = cell->n == 0 ? "no value" : cell->n < 2 ? "n < 2" : NULL;
            cell->diff = cell->diff_half = cell->diff_half_unpaired = NAN;
            if (!a->base_axis) {
                cell->diff_note = "no baseline";
                continue;
            }
            if (a->groups[g].is_baseline) {
                cell->diff_note = "baseline";
                continue;
            }
            size_t b = baseline_of(a, g, bi);
            if (b == SIZE_MAX) {
                cell->diff_note = "no baseline group";
                continue;
            }
            double mb, sb, sdd;
            size_t nb = group_values(c, b, m, y);
            mean_sd(y, nb, &mb, &sb);
            cell->diff_half_unpaired = welch_half(sd, cell->n, sb, nb);
            cell->n_pairs = paired(c, g, b, m, y);
            mean_sd(y, cell->n_pairs, &cell->diff, &sdd);
            cell->diff_half = res_t_half(sdd, cell->n_pairs);
            cell->diff_note = cell->n_pairs == 0  ? "no common seed"
                              : cell->n_pairs < 2 ? "pairs < 2"
                                                  : NULL;
        }
}

/* ---- the whole -------------------------------------------------------- */

static void free_runs(agg_ctx *c)
{
    for (size_t i = 0; i < c->n_runs; i++) {
        agg_run *r = &c->runs[i];
        for (size_t p = 0; p < r->n_params; p++)
            free(r->params[p].name), free(r->params[p].value);
        free(r->params), free(r->vals), free(r->policy), free(r->scenario);
    }
    free(c->runs);
}

void res_agg_free(res_agg *a)
{
    if (!a)
        return;
    for (size_t g = 0; g < a->n_groups; g++) {
        for (size_t i = 0; i < a->n_by; i++)
            free(a->groups[g].keys[i]);
        free(a->groups[g].keys), free(a->groups[g].nums), free(a->groups[g].cells);
    }
    for (size_t i = 0; i < a->n_by; i++)
        free(a->by[i]);
    for (size_t i = 0; i < a->n_pooled; i++)
        free(a->pooled[i]);
    free(a->groups), free(a->by), free(a->metrics), free(a->pooled), free(a->title);
    free(a->base_axis), free(a->base_value);
    free(a);
}

/* The experiment's name when every run used shares one, else the scenario's
 * name when they share one; NULL otherwise. */
static char *common_title(const agg_ctx *c)
{
    if (c->n_runs == 0)
        return NULL;
    if (has_table(c->db, "experiments")) {
        sqlite3_stmt *s;
        char *name = NULL;
        if (sqlite3_prepare_v2(res_handle(c->db),
                               "SELECT e.name FROM runs r JOIN experiments e "
                               "ON e.experiment_id = r.experiment_id WHERE r.run_id = ?",
                               -1, &s, NULL) == SQLITE_OK) {
            bool same = true;
            for (size_t i = 0; i < c->n_runs && same; i++) {
                sqlite3_bind_int64(s, 1, c->runs[i].id);
                const char *t = sqlite3_step(s) == SQLITE_ROW
                                    ? (const char *)sqlite3_column_text(s, 0)
                                    : NULL;
                if (!t || (name && strcmp(name, t) != 0))
                    same = false;
                else if (!name)
                    name = strdup(t);
                sqlite3_reset(s);
            }
            sqlite3_finalize(s);
            if (same && name)
                return name;
            free(name);
        }
    }
    for (size_t i = 1; i < c->n_runs; i++)
        if (strcmp(c->runs[i].scenario, c->runs[0].scenario) != 0)
            return NULL;
    return strdup(c->runs[0].scenario);
}

/* The by-axes, metrics and baseline of spec into a. */
static off_status set_up(res_agg *a, const res_agg_spec *spec, off_err *err)
{
    static const char *const dflt_metric[] = {"latency_mean"};
    const char *const *names = spec->n_metrics ? spec->metrics : dflt_metric;
    a->n_metrics = spec->n_metrics ? spec->n_metrics : 1;
    a->n_by = spec->n_by;
    a->by = calloc(a->n_by ? a->n_by : 1, sizeof *a->by);
    a->metrics = calloc(a->n_metrics, sizeof *a->metrics);
    if (!a->by || !a->metrics)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (a->n_by == 0)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "no axis to group by");
    for (size_t i = 0; i < a->n_by; i++)
        if (!(a->by[i] = strdup(spec->by[i])))
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t m = 0; m < a->n_metrics; m++)
        if (!(a->metrics[m] = res_metric_find(names[m], err)))
            return OFF_EUSAGE;
    if (!spec->baseline)
        return OFF_OK;
    const char *eq = strchr(spec->baseline, '=');
    if (!eq || eq == spec->baseline || !eq[1])
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "--baseline '%s': expected AXIS=VALUE, e.g. policy=local",
                        spec->baseline);
    a->base_axis = strndup(spec->baseline, (size_t)(eq - spec->baseline));
    a->base_value = strdup(eq + 1);
    if (!is_by(a, a->base_axis))
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "--baseline axis '%s' is not one of the --by axes", a->base_axis);
    return OFF_OK;
}

/* Mark the baseline groups (axis bi at the baseline value, as text or as
 * the same number); an error listing the values when none is. */
static off_status mark_baseline(res_agg *a, size_t bi, off_err *err)
{
    char *end;
    double want = strtod(a->base_value, &end);
    bool numeric = *end == '\0' && end != a->base_value;
    size_t found = 0;
    for (size_t g = 0; g < a->n_groups; g++) {
        res_agg_group *gr = &a->groups[g];
        gr->is_baseline = strcmp(gr->keys[bi], a->base_value) == 0 ||
                          (numeric && !isnan(gr->nums[bi]) && gr->nums[bi] == want);
        found += gr->is_baseline;
    }
    if (found)
        return OFF_OK;
    char list[512] = "";
    size_t len = 0;
    for (size_t g = 0; g < a->n_groups && len + 2 < sizeof list; g++) {
        bool dup = false;
        for (size_t h = 0; h < g && !dup; h++)
            dup = strcmp(a->groups[h].keys[bi], a->groups[g].keys[bi]) == 0;
        if (!dup)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "",
                                    a->groups[g].keys[bi]);
    }
    return off_errf(err, OFF_EINVAL, NULL, 0, 0, "--baseline: no ok run has %s=%s (values: %s)",
                    a->base_axis, a->base_value, list);
}

/* Fill c->order and c->start from the runs' groups, then find the pooled
 * axes (which walk the groups' runs). */
static off_status index_groups(agg_ctx *c, res_agg *a)
{
    for (size_t g = 0; g < a->n_groups; g++)
        c->start[g + 1] = c->start[g] + a->groups[g].n_runs;
    for (size_t g = 0; g < a->n_groups; g++)
        a->groups[g].n_runs = 0; /* counted again as the runs are placed */
    for (size_t i = 0; i < c->n_runs; i++) {
        res_agg_group *gr = &a->groups[c->runs[i].group];
        c->order[c->start[c->runs[i].group] + gr->n_runs++] = i;
    }
    return find_pooled(c, a);
}

static off_status compute(agg_ctx *c, res_agg *a, const res_agg_spec *spec)
{
    off_status st = set_up(a, spec, c->err);
    if (st == OFF_OK)
        st = load_runs(c, spec->where, a);
    if (st == OFF_OK)
        st = load_params(c);
    if (st != OFF_OK)
        return st;
    a->n_used = c->n_runs;
    if (c->n_runs == 0)
        return off_errf(c->err, OFF_EINVAL, res_path(c->db), 0, 0,
                        "no run with status ok to aggregate (%zu left out)",
                        a->n_failed + a->n_interrupted + a->n_other);
    for (size_t i = 0; i < c->n_runs; i++) {
        if (!(c->runs[i].vals = malloc(a->n_metrics * sizeof(double))))
            return off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        for (size_t m = 0; m < a->n_metrics; m++)
            c->runs[i].vals[m] = NAN;
    }
    for (size_t m = 0; m < a->n_metrics && st == OFF_OK; m++)
        st = load_metric(c, m, a->metrics[m]);
    if (st != OFF_OK)
        return st;
    for (size_t i = 0; i < c->n_runs; i++)
        if ((c->runs[i].group = group_of(a, &c->runs[i])) == SIZE_MAX)
            return off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    /* Sort the groups, then renumber the runs' groups to match. */
    for (size_t g = 0; g < a->n_groups; g++)
        a->groups[g].n_runs = g; /* the old index, for the renumbering */
    sort_n_by = a->n_by;
    qsort(a->groups, a->n_groups, sizeof *a->groups, cmp_group);
    size_t *newidx = malloc(a->n_groups * sizeof *newidx);
    double *x = malloc(2 * c->n_runs * sizeof *x);
    if (!newidx || !x) {
        free(newidx), free(x);
        return off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t g = 0; g < a->n_groups; g++)
        newidx[a->groups[g].n_runs] = g, a->groups[g].n_runs = 0;
    for (size_t i = 0; i < c->n_runs; i++) {
        c->runs[i].group = newidx[c->runs[i].group];
        a->groups[c->runs[i].group].n_runs++;
    }
    free(newidx);
    /* The runs by group (counting sort, stable: run order within a group). */
    c->order = malloc(c->n_runs * sizeof *c->order);
    c->start = calloc(a->n_groups + 1, sizeof *c->start);
    if (!c->order || !c->start || index_groups(c, a) != OFF_OK) {
        free(x);
        return off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    size_t bi = 0;
    while (a->base_axis && strcmp(a->by[bi], a->base_axis) != 0)
        bi++;
    if (a->base_axis && (st = mark_baseline(a, bi, c->err)) != OFF_OK) {
        free(x);
        return st;
    }
    fill_cells(c, a, bi, x, x + c->n_runs);
    free(x);
    a->title = common_title(c);
    return OFF_OK;
}

off_status res_agg_compute(res_db *db, const res_agg_spec *spec, res_agg **out, off_err *err)
{
    *out = NULL;
    res_agg *a = calloc(1, sizeof *a);
    if (!a)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    agg_ctx c = {db, NULL, 0, err, NULL, NULL};
    off_status st = compute(&c, a, spec);
    free_runs(&c);
    free(c.order), free(c.start);
    if (st != OFF_OK) {
        res_agg_free(a);
        return st;
    }
    *out = a;
    return OFF_OK;
}
