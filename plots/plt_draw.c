/*
 * plt_draw.c - the latency CDF of every run in a database, or the learning
 * curves of its training runs, drawn by gnuplot.
 *
 * The data go to a temporary file beside the output (one gnuplot data
 * block per run: latency in ms, cumulative fraction), the script goes to
 * gnuplot's standard input, and the temporary file is removed afterwards.
 * Runs with many tasks are thinned to at most PLT_MAX_POINTS points per
 * curve, taken at evenly spaced quantiles, so plots of million-task runs
 * stay fast and small.
 */
#define _POSIX_C_SOURCE 200809L
#include "plt.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "plt_int.h"

#define PLT_MAX_POINTS 2000

typedef struct run_meta {
    long long id;
    char title[160];
    long long n;
} run_meta;

static off_status sql_err(res_db *db, off_err *err)
{
    return off_errf(err, OFF_EDB, res_path(db), 0, 0, "%s",
                    sqlite3_errmsg(res_handle(db)));
}

/* A run's id, curve title and point count from columns 0..3 (run_id,
 * scenario, policy, count) of the current row of runs. */
static void read_meta(run_meta *m, sqlite3_stmt *runs)
{
    m->id = sqlite3_column_int64(runs, 0);
    char raw[128];
    snprintf(raw, sizeof raw, "run %lld: %s / %s", m->id,
             (const char *)sqlite3_column_text(runs, 1),
             (const char *)sqlite3_column_text(runs, 2));
    plt_gp_escape(m->title, sizeof m->title, raw, true);
    m->n = sqlite3_column_int64(runs, 3);
}

/* Writes the points of one run: the current row of pts, i-th of the run. */
typedef void point_fn(FILE *f, sqlite3_stmt *pts, const run_meta *m, long long i, void *ud);

/* One gnuplot data block per row of runs_sql (columns run_id, scenario,
 * policy, point count), its points the rows of pts_sql (bound to the run
 * id) written by point; fills metas (up to cap).  A runs_sql that cannot be
 * prepared (an old database without that table) draws nothing when
 * missing_ok. */
static off_status write_blocks(res_db *db, FILE *f, const char *runs_sql, const char *pts_sql,
                               bool missing_ok, point_fn *point, void *ud, run_meta *metas,
                               size_t cap, size_t *n_runs, off_err *err)
{
    sqlite3 *h = res_handle(db);
    sqlite3_stmt *runs, *pts;
    *n_runs = 0;
    if (sqlite3_prepare_v2(h, runs_sql, -1, &runs, NULL) != SQLITE_OK)
        return missing_ok ? OFF_OK : sql_err(db, err);
    if (sqlite3_prepare_v2(h, pts_sql, -1, &pts, NULL) != SQLITE_OK) {
        sqlite3_finalize(runs);
        return sql_err(db, err);
    }
    off_status st = OFF_OK;
    int rc;
    while ((rc = sqlite3_step(runs)) == SQLITE_ROW && *n_runs < cap) {
        run_meta *m = &metas[*n_runs];
        read_meta(m, runs);
        if (*n_runs)
            fputs("\n\n", f);
        sqlite3_bind_int64(pts, 1, m->id);
        for (long long i = 0; sqlite3_step(pts) == SQLITE_ROW; i++)
            point(f, pts, m, i, ud);
        sqlite3_reset(pts);
        (*n_runs)++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = sql_err(db, err);
    sqlite3_finalize(runs);
    sqlite3_finalize(pts);
    return st;
}

/* The latency CDF's point: every step-th of the run's sorted latencies and
 * always the last one, in ms; ud is the plotted range {lo, hi}. */
static void cdf_point(FILE *f, sqlite3_stmt *pts, const run_meta *m, long long i, void *ud)
{
    double *range = ud;
    long long step = m->n > PLT_MAX_POINTS ? m->n / PLT_MAX_POINTS : 1;
    if (i % step != 0 && i != m->n - 1)
        return;
    double v = sqlite3_column_double(pts, 0) * 1e3;
    fprintf(f, "%.9g %.9g\n", v, (double)(i + 1) / (double)m->n);
    if (v > 0 && v < range[0])
        range[0] = v;
    if (v > range[1])
        range[1] = v;
}

/* Write one block per run with finished tasks; fills metas (up to cap). */
static off_status write_data(res_db *db, FILE *f, run_meta *metas, size_t cap,
                             size_t *n_runs, double *lo, double *hi, off_err *err)
{
    double range[2] = {INFINITY, 0};
    off_status st = write_blocks(
        db, f,
        "SELECT r.run_id, r.scenario, r.policy, count(t.latency_s) "
        "FROM runs r JOIN tasks t ON t.run_id = r.run_id "
        "WHERE t.latency_s IS NOT NULL GROUP BY r.run_id ORDER BY r.run_id",
        "SELECT latency_s FROM tasks WHERE run_id = ? AND latency_s IS NOT NULL "
        "ORDER BY latency_s",
        false, cdf_point, range, metas, cap, n_runs, err);
    *lo = range[0];
    *hi = range[1];
    return st;
}

/* The learning curve's point: step, reward_mean. */
static void curve_point(FILE *f, sqlite3_stmt *pts, const run_meta *m, long long i, void *ud)
{
    (void)m, (void)i, (void)ud;
    fprintf(f, "%lld %.9g\n", (long long)sqlite3_column_int64(pts, 0),
            sqlite3_column_double(pts, 1));
}

/* One block per training run with learning-curve rows: step, reward_mean
 * (a version-1 database has no training table: nothing to draw). */
static off_status write_learning(res_db *db, FILE *f, run_meta *metas, size_t cap,
                                 size_t *n_runs, off_err *err)
{
    return write_blocks(db, f,
                        "SELECT r.run_id, r.scenario, r.policy, count(*) FROM runs r "
                        "JOIN training t ON t.run_id = r.run_id WHERE t.reward_mean "
                        "IS NOT NULL GROUP BY r.run_id ORDER BY r.run_id",
                        "SELECT step, reward_mean FROM training WHERE run_id = ? AND "
                        "reward_mean IS NOT NULL ORDER BY step",
                        true, curve_point, NULL, metas, cap, n_runs, err);
}

/* A group's mean and 95 % half-width at one step, from Welford's running
 * sums (n, mean, m2 = sum of squared deviations). */
static void band_line(FILE *f, long long step, long long n, double mean, double m2)
{
    double half = n > 1 ? res_t_half(sqrt(m2 / (double)(n - 1)), (size_t)n) : 0.0;
    fprintf(f, "%lld %.9g %.9g %lld\n", step, mean, half, n);
}

/* One block per group of training runs (scenario, policy): per step, the
 * mean reward_mean over the group's runs that logged it and its 95 %
 * half-width; metas get the groups' titles and run counts. */
static off_status write_bands(res_db *db, FILE *f, run_meta *metas, size_t cap,
                              size_t *n_groups, off_err *err)
{
    static const char *const sql =
        "WITH g AS (SELECT r.scenario AS s, r.policy AS p, count(DISTINCT r.run_id) AS runs "
        "  FROM runs r JOIN training t ON t.run_id = r.run_id "
        "  WHERE t.reward_mean IS NOT NULL GROUP BY r.scenario, r.policy) "
        "SELECT g.s, g.p, g.runs, t.step, t.reward_mean FROM g "
        "JOIN runs r ON r.scenario = g.s AND r.policy = g.p "
        "JOIN training t ON t.run_id = r.run_id WHERE t.reward_mean IS NOT NULL "
        "ORDER BY g.s, g.p, t.step";
    sqlite3_stmt *q;
    *n_groups = 0;
    if (sqlite3_prepare_v2(res_handle(db), sql, -1, &q, NULL) != SQLITE_OK)
        return OFF_OK; /* no training table (a version-1 database): nothing to draw */
    char key[256] = "";
    long long step = 0, n = 0;
    double mean = 0, m2 = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        char k[256];
        snprintf(k, sizeof k, "%s / %s", (const char *)sqlite3_column_text(q, 0),
                 (const char *)sqlite3_column_text(q, 1));
        long long st = sqlite3_column_int64(q, 3);
        double v = sqlite3_column_double(q, 4);
        bool new_group = !*n_groups || strcmp(k, key) != 0;
        if (n && (new_group || st != step))
            band_line(f, step, n, mean, m2), n = 0, mean = m2 = 0;
        if (new_group) {
            if (*n_groups == cap)
                break;
            run_meta *m = &metas[*n_groups];
            m->n = sqlite3_column_int64(q, 2);
            char raw[300];
            snprintf(raw, sizeof raw, "%s: mean of %lld runs, 95 %% band", k, m->n);
            plt_gp_escape(m->title, sizeof m->title, raw, true);
            fprintf(f, "%s# %s: %lld runs\n", (*n_groups)++ ? "\n\n" : "", k, m->n);
            snprintf(key, sizeof key, "%s", k);
        }
        step = st;
        double d = v - mean; /* Welford: stable where the runs agree closely */
        mean += d / (double)++n;
        m2 += d * (v - mean);
    }
    if (n)
        band_line(f, step, n, mean, m2);
    off_status s = rc == SQLITE_ROW || rc == SQLITE_DONE ? OFF_OK : sql_err(db, err);
    sqlite3_finalize(q);
    return s;
}

/* The data of a plot of kind to the open file f (closed by the caller), one block
 * per curve; metas (up to cap) get the curves' titles, *lo / *hi the
 * latencies' range (CDF only).  No curve at all is an error. */
static off_status write_plot_data(res_db *db, plt_kind kind, FILE *f, run_meta *metas,
                                  size_t cap, size_t *n_runs, double *lo, double *hi,
                                  const char *path, off_err *err)
{
    bool learning = kind == PLT_LEARNING || kind == PLT_LEARNING_BAND;
    *lo = INFINITY;
    *hi = 0;
    off_status st = kind == PLT_LEARNING_BAND ? write_bands(db, f, metas, cap, n_runs, err)
                    : learning                ? write_learning(db, f, metas, cap, n_runs, err)
                                              : write_data(db, f, metas, cap, n_runs, lo, hi, err);
    if (st == OFF_OK && ferror(f))
        st = off_errf(err, OFF_EIO, path, 0, 0, "write error");
    if (st == OFF_OK && *n_runs == 0)
        st = off_errf(err, OFF_EINVAL, res_path(db), 0, 0,
                      learning ? "no learning curve to plot (offsim train writes them)"
                               : "no finished tasks to plot");
    return st;
}

enum { MAX_RUNS = 64 };

static bool known_kind(plt_kind k)
{
    return k == PLT_LATENCY_CDF || k == PLT_LEARNING || k == PLT_LEARNING_BAND;
}

off_status plt_write_data(res_db *db, plt_kind kind, const char *path, size_t *n_curves,
                          off_err *err)
{
    *n_curves = 0;
    if (!known_kind(kind))
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "unknown plot kind");
    FILE *f = fopen(path, "w");
    if (!f)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    run_meta metas[MAX_RUNS];
    double lo, hi;
    off_status st = write_plot_data(db, kind, f, metas, MAX_RUNS, n_curves, &lo, &hi, path, err);
    if (fclose(f) != 0 && st == OFF_OK)
        st = off_errf(err, OFF_EIO, path, 0, 0, "write error");
    return st;
}

/* The plot's path: opts->out_path, or the database's with ".db" replaced
 * by "-latency.png" / "-learning.png". */
static void plot_path(const res_db *db, const plt_opts *opts, char *out, size_t cap)
{
    if (opts->out_path) {
        snprintf(out, cap, "%s", opts->out_path);
        return;
    }
    const char *dbp = res_path(db);
    size_t n = strlen(dbp);
    if (n > 3 && strcmp(dbp + n - 3, ".db") == 0)
        n -= 3;
    snprintf(out, cap, "%.*s-%s.png", (int)n, dbp,
             opts->kind == PLT_LATENCY_CDF ? "latency" : "learning");
}

/* The gnuplot script drawing the n_runs blocks of data_path to out_path. */
static void write_script(FILE *s, const plt_opts *opts, const char *out_path,
                         const char *data_path, const run_meta *metas, size_t n_runs,
                         double lo, double hi)
{
    bool learning = opts->kind != PLT_LATENCY_CDF;
    int w = opts->width > 0 ? opts->width : 900, hgt = opts->height > 0 ? opts->height : 600;
    char out_esc[4200], data_esc[4200];
    plt_gp_escape(out_esc, sizeof out_esc, out_path, false);
    plt_gp_escape(data_esc, sizeof data_esc, data_path, false);
    fprintf(s, "set terminal %s size %d,%d\n", plt_has_terminal("pngcairo") ? "pngcairo" : "png", w, hgt);
    fprintf(s, "set output \"%s\"\n", out_esc);
    bool band = opts->kind == PLT_LEARNING_BAND;
    if (learning) /* a band's early steps span the plot: its legend goes below */
        fprintf(s, "set title \"Learning curves%s\"\nset xlabel \"decisions learned from\"\n"
                   "set ylabel \"mean reward per decision\"\nset grid\nset key %s\n"
                   "set rmargin 6\n",
                band ? " over training seeds: mean and 95 % t-interval of the mean" : "",
                band ? "below" : "bottom right");
    else
        fprintf(s, "set title \"Task latency (CDF)\"\nset xlabel \"latency (ms)\"\n"
                   "set ylabel \"fraction of tasks\"\nset yrange [0:1]\nset grid\n"
                   "set key bottom right\n");
    if (isfinite(lo) && hi / lo > 100.0)
        fprintf(s, "set logscale x\n");
    fprintf(s, "plot ");
    if (band) {
        /* the band under its mean, in the group's colour */
        for (size_t i = 0; i < n_runs; i++)
            fprintf(s,
                    "%s\"%s\" index %zu using 1:($2-$3):($2+$3) with filledcurves "
                    "fs transparent solid 0.25 noborder lc %zu notitle, \\\n"
                    "     \"%s\" index %zu using 1:2 with lines lw 2 lc %zu title \"%s\"",
                    i ? ", \\\n     " : "", data_esc, i, i + 1, data_esc, i, i + 1,
                    metas[i].title);
        fprintf(s, "\n");
        return;
    }
    for (size_t i = 0; i < n_runs; i++)
        fprintf(s, "%s\"%s\" index %zu using 1:2 with %s lw 2 title \"%s\"",
                i ? ", \\\n     " : "", data_esc, i, learning ? "lines" : "steps",
                metas[i].title);
    fprintf(s, "\n");
}

/* What plt_draw hands to plt_gp_render's callbacks. */
typedef struct draw_ctx {
    res_db *db;
    const plt_opts *opts;
    run_meta metas[MAX_RUNS];
    size_t n_runs;
    double lo, hi;
} draw_ctx;

static off_status draw_data(FILE *f, const char *data_path, void *ud, off_err *err)
{
    draw_ctx *c = ud;
    return write_plot_data(c->db, c->opts->kind, f, c->metas, MAX_RUNS, &c->n_runs, &c->lo,
                           &c->hi, data_path, err);
}

static void draw_script(FILE *s, const char *out_path, const char *data_path, void *ud)
{
    draw_ctx *c = ud;
    write_script(s, c->opts, out_path, data_path, c->metas, c->n_runs, c->lo, c->hi);
}

off_status plt_draw(res_db *db, const plt_opts *opts, char *out_buf, size_t out_cap,
                    off_err *err)
{
    if (!known_kind(opts->kind))
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "unknown plot kind");
    plot_path(db, opts, out_buf, out_cap);
    draw_ctx c = {.db = db, .opts = opts};
    return plt_gp_render(out_buf, draw_data, draw_script, &c, err);
}
