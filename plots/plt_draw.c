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
#include <fcntl.h>
#include <spawn.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLT_MAX_POINTS 2000

extern char **environ;

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

/* Escape a title for a gnuplot double-quoted string. */
static void gp_escape(char *dst, size_t cap, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 3 < cap; i++) {
        char c = src[i];
        if (c == '"' || c == '\\')
            dst[j++] = '\\';
        if (c == '_' || c == '^' || c == '{' || c == '}' || c == '@' || c == '&' ||
            c == '~')
            dst[j++] = '\\'; /* enhanced-text specials */
        dst[j++] = (c == '\n' || c == '\r') ? ' ' : c;
    }
    dst[j] = '\0';
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
    gp_escape(m->title, sizeof m->title, raw);
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

static bool has_pngcairo(void)
{
    FILE *p = popen("gnuplot -e 'set terminal' 2>&1", "r");
    if (!p)
        return false;
    char line[256];
    bool found = false;
    while (fgets(line, sizeof line, p))
        found = found || strstr(line, "pngcairo") != NULL;
    pclose(p);
    return found;
}

static bool gnuplot_present(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
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

/* The data of a plot of kind to the open file f (closed here), one block
 * per curve; metas (up to cap) get the curves' titles, *lo / *hi the
 * latencies' range (CDF only).  No curve at all is an error. */
static off_status write_plot_data(res_db *db, plt_kind kind, FILE *f, run_meta *metas,
                                  size_t cap, size_t *n_runs, double *lo, double *hi,
                                  const char *path, off_err *err)
{
    bool learning = kind == PLT_LEARNING;
    *lo = INFINITY;
    *hi = 0;
    off_status st = learning ? write_learning(db, f, metas, cap, n_runs, err)
                             : write_data(db, f, metas, cap, n_runs, lo, hi, err);
    if (fclose(f) != 0 && st == OFF_OK)
        st = off_errf(err, OFF_EIO, path, 0, 0, "write error");
    if (st == OFF_OK && *n_runs == 0)
        st = off_errf(err, OFF_EINVAL, res_path(db), 0, 0,
                      learning ? "no learning curve to plot (offsim train writes them)"
                               : "no finished tasks to plot");
    return st;
}

enum { MAX_RUNS = 64 };

off_status plt_write_data(res_db *db, plt_kind kind, const char *path, size_t *n_curves,
                          off_err *err)
{
    *n_curves = 0;
    if (kind != PLT_LATENCY_CDF && kind != PLT_LEARNING)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "unknown plot kind");
    FILE *f = fopen(path, "w");
    if (!f)
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    run_meta metas[MAX_RUNS];
    double lo, hi;
    return write_plot_data(db, kind, f, metas, MAX_RUNS, n_curves, &lo, &hi, path, err);
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
             opts->kind == PLT_LEARNING ? "learning" : "latency");
}

/* The gnuplot script drawing the n_runs blocks of data_path to out_path. */
static void write_script(FILE *s, const plt_opts *opts, const char *out_path,
                         const char *data_path, const run_meta *metas, size_t n_runs,
                         double lo, double hi)
{
    bool learning = opts->kind == PLT_LEARNING;
    int w = opts->width > 0 ? opts->width : 900, hgt = opts->height > 0 ? opts->height : 600;
    char out_esc[4200], data_esc[4200];
    gp_escape(out_esc, sizeof out_esc, out_path);
    gp_escape(data_esc, sizeof data_esc, data_path);
    fprintf(s, "set terminal %s size %d,%d\n", has_pngcairo() ? "pngcairo" : "png", w, hgt);
    fprintf(s, "set output \"%s\"\n", out_esc);
    if (learning)
        fprintf(s, "set title \"Learning curves\"\nset xlabel \"decisions learned from\"\n"
                   "set ylabel \"mean reward per decision\"\nset grid\n"
                   "set key bottom right\n");
    else
        fprintf(s, "set title \"Task latency (CDF)\"\nset xlabel \"latency (ms)\"\n"
                   "set ylabel \"fraction of tasks\"\nset yrange [0:1]\nset grid\n"
                   "set key bottom right\n");
    if (isfinite(lo) && hi / lo > 100.0)
        fprintf(s, "set logscale x\n");
    fprintf(s, "plot ");
    for (size_t i = 0; i < n_runs; i++)
        fprintf(s, "%s\"%s\" index %zu using 1:2 with %s lw 2 title \"%s\"",
                i ? ", \\\n     " : "", data_esc, i, learning ? "lines" : "steps",
                metas[i].title);
    fprintf(s, "\n");
}

/* Run gnuplot on script_path with its standard error to errf_path,
 * spawned without a shell so that no path needs quoting; its message
 * becomes the error when it fails. */
static off_status run_gnuplot(const char *script_path, const char *errf_path,
                              const char *out_path, off_err *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errf_path, O_WRONLY | O_TRUNC, 0600);
    char *argv[] = {"gnuplot", (char *)script_path, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0) {
        int wst;
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
            ;
        rc = WIFEXITED(wst) && WEXITSTATUS(wst) == 0 ? 0 : 1;
    }
    if (rc == 0)
        return OFF_OK;
    char msg[600] = "";
    FILE *e = fopen(errf_path, "r");
    if (e) {
        size_t n = fread(msg, 1, sizeof msg - 1, e);
        msg[n] = '\0';
        fclose(e);
        for (char *p = msg; *p; p++)
            if (*p == '\n')
                *p = ' ';
    }
    return off_errf(err, OFF_ERUNTIME, out_path, 0, 0, "gnuplot failed: %s", msg);
}

off_status plt_draw(res_db *db, const plt_opts *opts, char *out_buf, size_t out_cap,
                    off_err *err)
{
    if (opts->kind != PLT_LATENCY_CDF && opts->kind != PLT_LEARNING)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "unknown plot kind");
    if (!gnuplot_present())
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "gnuplot not found on PATH (Debian package gnuplot-nox; "
                        "`make build` installs it)");
    plot_path(db, opts, out_buf, out_cap);
    char data_path[4200];
    snprintf(data_path, sizeof data_path, "%s.XXXXXX", out_buf);
    int fd = mkstemp(data_path);
    if (fd < 0)
        return off_errf(err, OFF_EIO, out_buf, 0, 0,
                        "cannot create a temporary file beside the plot: %s",
                        strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(data_path);
        return off_errf(err, OFF_EIO, data_path, 0, 0, "cannot write: %s", strerror(errno));
    }
    run_meta metas[MAX_RUNS];
    size_t n_runs;
    double lo, hi;
    off_status st =
        write_plot_data(db, opts->kind, f, metas, MAX_RUNS, &n_runs, &lo, &hi, data_path, err);
    if (st != OFF_OK) {
        unlink(data_path);
        return st;
    }

    char script_path[4200], errf_path[4200];
    snprintf(script_path, sizeof script_path, "%s.gp.XXXXXX", out_buf);
    snprintf(errf_path, sizeof errf_path, "%s.err.XXXXXX", out_buf);
    int sfd = mkstemp(script_path), efd = mkstemp(errf_path);
    FILE *s = sfd >= 0 ? fdopen(sfd, "w") : NULL;
    if (!s || efd < 0) {
        if (s) fclose(s); else if (sfd >= 0) close(sfd);
        if (efd >= 0) close(efd);
        unlink(data_path);
        unlink(script_path);
        unlink(errf_path);
        return off_errf(err, OFF_EIO, out_buf, 0, 0, "cannot create gnuplot script");
    }
    close(efd);
    write_script(s, opts, out_buf, data_path, metas, n_runs, lo, hi);
    fclose(s);
    st = run_gnuplot(script_path, errf_path, out_buf, err);
    unlink(data_path);
    unlink(script_path);
    unlink(errf_path);
    return st;
}
