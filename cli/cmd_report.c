/*
 * cmd_report.c - the commands that read a results database (`offsim
 * report`, `offsim plot`) and `offsim policies`.
 *
 * Without --by, report prints every run and plot draws latency CDFs (or
 * learning curves); with --by / --x they aggregate the runs of a sweep
 * over replications (res_agg) into a table, a CSV or a figure.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plt.h"
#include "pol.h"
#include "res.h"

static int report(const cli_args *a);
static int plot(const cli_args *a);
static int policies(const cli_args *a);

static const cli_opt report_opts[] = {
    {"by", 0, CLI_STR, "AXIS[,AXIS...]",
     "group the runs by these axes (params of a sweep: policy,\nuplink.rate, ...; "
     "policy, seed and scenario also from\nthe runs table) and aggregate over replications",
     true, 0, 0},
    {"metric", 'm', CLI_STR, "M",
     "a summary column (latency_mean, latency_p95, energy_mean_j,\naccuracy, deadline_miss, "
     "reward_mean, bytes_up_mean ...),\noffloaded_share or devices.COLUMN (default: "
     "latency_mean)", true, 0, 0},
    {"baseline", 0, CLI_STR, "AXIS=VALUE",
     "also the difference with this group (AXIS one of --by),\npaired on seeds, with its "
     "95% interval", false, 0, 0},
    {"csv", 0, CLI_FLAG, NULL,
     "CSV on stdout, one row per group and metric, values in SI\nunits (columns: "
     "docs/experiments.md)",
     false, 0, 0},
    {"where", 0, CLI_STR, "SQL",
     "only the runs satisfying this SQL condition on `runs AS r`\n(e.g. \"r.run_id > 10\")",
     false, 0, 0},
};

const cli_cmd cmd_report_spec = {
    .name = "report", .args = "DB", .min_pos = 1, .max_pos = 1,
    .summary = "per-run latency with its CI and percentiles, energy, misses, accuracy",
    .about = "Prints, for every run in the database, the mean latency with its 95%\n"
             "confidence interval (batch means), p50/p95/p99, mean device energy,\n"
             "deadline-miss rate and accuracy.\n"
             "With --by, aggregates the ok runs of a sweep over replications: per group\n"
             "the number of runs n, the mean of each metric with its 95% Student-t\n"
             "interval, and with --baseline the paired difference on common seeds.\n",
    CLI_OPTS(report_opts), .run = report};

static const cli_opt plot_opts[] = {
    {"out", 0, CLI_PATH, "FILE",
     "output file (default: DB with .db replaced by -latency.png,\nor -learning.png)", false,
     0, 0},
    {"learning", 0, CLI_FLAG, NULL,
     "the learning curves of the `offsim train` runs instead\n(mean reward per decision "
     "against decisions learned from)", false, 0, 0},
    {"band", 0, CLI_FLAG, NULL,
     "with --learning: one curve per agent (the runs' scenario and\npolicy), the mean over its "
     "training runs (seeds) at each step\nwith its 95% Student-t interval as a band",
     false, 0, 0},
    {"x", 0, CLI_STR, "AXIS", "a sweep figure: this axis on x (e.g. uplink.rate)", false, 0, 0},
    {"y", 0, CLI_STR, "METRIC", "the metric on y, as report's --metric (default:\nlatency_mean)",
     false, 0, 0},
    {"by", 0, CLI_STR, "AXIS", "one line per value of this axis (e.g. policy)", false, 0, 0},
    {"baseline", 0, CLI_STR, "AXIS=VALUE",
     "plot the paired difference with this group of --by", false, 0, 0},
    {"logx", 0, CLI_FLAG, NULL, "logarithmic x axis", false, 0, 0},
    {"logy", 0, CLI_FLAG, NULL, "logarithmic y axis", false, 0, 0},
    {"title", 0, CLI_STR, "TEXT", "the title (default: the experiment's name)", false, 0, 0},
    {"where", 0, CLI_STR, "SQL", "only the runs satisfying this SQL condition on `runs AS r`",
     false, 0, 0},
};

const cli_cmd cmd_plot_spec = {
    .name = "plot", .args = "DB", .min_pos = 1, .max_pos = 1,
    .summary = "draw the latency CDF of every run, the learning curves, or a sweep",
    .about = "Draws the latency CDF of every run in the database with gnuplot (PNG).\n"
             "With --x, draws a sweep: the mean of --y over replications against --x,\n"
             "one line per value of --by, with 95% error bars; the terminal follows\n"
             "the extension of --out (.png, .pdf, .svg; default DB-METRIC-vs-X.png).\n",
    CLI_OPTS(plot_opts), .run = plot};

const cli_cmd cmd_policies_spec = {
    .name = "policies", .summary = "list the policies and their parameters", .run = policies};

/* Open the database a names (read-only): 0, or the exit status. */
static int open_db(const cli_args *a, res_db **db)
{
    off_err err = {0};
    off_status st = res_open_readonly(db, a->pos[0], &err);
    return st == OFF_OK ? 0 : cli_fail_input(st, &err);
}

/* ---- report --by ---------------------------------------------------- */

enum { MAX_AXES = 16, MAX_METRICS = 32 };

/* The axes of every --by (each a comma-separated list) into by; *n their
 * count; false (after the usage message) when empty or too many. */
static bool split_axes(const cli_args *a, char *buf, size_t cap, const char **by, size_t *n)
{
    size_t nv, len = 0;
    char **v = cli_all(a, "by", &nv);
    buf[0] = '\0';
    for (size_t i = 0; i < nv; i++)
        len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s", i ? "," : "", v[i]);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_AXES) {
            cli_usage(a->cmd, "--by: at most %d axes", MAX_AXES);
            return false;
        }
        by[(*n)++] = t;
    }
    if (*n == 0 || len >= cap) {
        cli_usage(a->cmd, "--by: expected AXIS[,AXIS...]");
        return false;
    }
    return true;
}

/* Runs left out and pooled axes, on stderr (stdout stays a table or CSV). */
static void agg_warnings(const res_agg *g)
{
    size_t out = g->n_failed + g->n_interrupted + g->n_other;
    if (out)
        fprintf(stderr,
                "offsim report: %zu run%s not ok left out (%zu failed, %zu interrupted, "
                "%zu running or killed)\n",
                out, out == 1 ? "" : "s", g->n_failed, g->n_interrupted, g->n_other);
    for (size_t i = 0; i < g->n_pooled; i++)
        fprintf(stderr,
                "offsim report: warning: runs that differ in '%s' (not in --by) are pooled "
                "in one group; add it to --by or select with --where\n",
                g->pooled[i]);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

/* A number field, empty for NaN. */
static void csv_num(double v)
{
    if (isnan(v))
        fputs(",", stdout);
    else
        printf("%.10g,", v);
}

static void print_csv(const res_agg *g)
{
    for (size_t i = 0; i < g->n_by; i++)
        csv_field(g->by[i], false);
    fputs("metric,unit,n,mean,ci95_half,ci95_lo,ci95_hi,baseline,n_pairs,diff_mean,"
          "diff_ci95_half,diff_ci95_lo,diff_ci95_hi,diff_unpaired_ci95_half,note\n",
          stdout);
    char base[512] = "";
    if (g->base_axis)
        snprintf(base, sizeof base, "%s=%s", g->base_axis, g->base_value);
    for (size_t k = 0; k < g->n_groups; k++)
        for (size_t m = 0; m < g->n_metrics; m++) {
            const res_agg_group *gr = &g->groups[k];
            const res_agg_cell *c = &gr->cells[m];
            for (size_t i = 0; i < g->n_by; i++)
                csv_field(gr->keys[i], false);
            csv_field(g->metrics[m]->name, false);
            csv_field(g->metrics[m]->unit, false);
            printf("%zu,", c->n);
            csv_num(c->n ? c->mean : NAN);
            csv_num(c->half);
            csv_num(c->mean - c->half);
            csv_num(c->mean + c->half);
            csv_field(base, false);
            printf("%zu,", c->n_pairs);
            csv_num(c->diff);
            csv_num(c->diff_half);
            csv_num(c->diff - c->diff_half);
            csv_num(c->diff + c->diff_half);
            csv_num(c->diff_half_unpaired);
            char note[160];
            snprintf(note, sizeof note, "%s%s%s", c->note ? c->note : "",
                     c->note && c->diff_note && g->base_axis ? "; " : "",
                     c->diff_note && g->base_axis ? c->diff_note : "");
            csv_field(note, true);
        }
}

/* The table: cells[row][col] strings, a header row first. */
typedef struct table {
    size_t rows, cols;
    char **cell;
} table;

static char *tcell(table *t, size_t r, size_t c)
{
    return t->cell[r * t->cols + c];
}

static void tset(table *t, size_t r, size_t c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void tset(table *t, size_t r, size_t c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tcell(t, r, c), 96, fmt, ap);
    va_end(ap);
}

/* Characters of a UTF-8 string (the table holds '±'). */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void print_table_cells(const table *t)
{
    size_t w[MAX_AXES + 2 * MAX_METRICS + 1] = {0};
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++) {
            size_t len = text_width(t->cell[r * t->cols + c]);
            if (len > w[c])
                w[c] = len;
        }
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++) {
            const char *s = t->cell[r * t->cols + c];
            fputs(s, stdout);
            if (c + 1 < t->cols)
                printf("%*s", (int)(w[c] - text_width(s) + 2), "");
        }
        printf("\n");
    }
}

/* "mean ± half" in the metric's display unit, or n/a with the reason;
 * "(n=K)" when only K of the group's n_runs runs have a value. */
static void fmt_mean(table *t, size_t r, size_t c, const res_agg_cell *x, double k,
                     size_t n_runs)
{
    char fewer[32] = "";
    if (x->n < n_runs)
        snprintf(fewer, sizeof fewer, " (n=%zu)", x->n);
    if (x->n == 0)
        tset(t, r, c, "n/a (no value)");
    else if (isnan(x->half))
        tset(t, r, c, "%.4g ± n/a (%s)", x->mean * k, x->note ? x->note : "n < 2");
    else /* an interval below rounding is 0, not 2.5e-15 */
        tset(t, r, c, "%.4g ± %.2g%s", x->mean * k,
             x->half <= 1e-9 * fabs(x->mean) ? 0.0 : x->half * k, fewer);
}

static void fmt_diff(table *t, size_t r, size_t c, const res_agg_cell *x, double k)
{
    if (x->diff_note && strcmp(x->diff_note, "baseline") == 0)
        tset(t, r, c, "baseline");
    else if (isnan(x->diff))
        tset(t, r, c, "n/a (%s)", x->diff_note ? x->diff_note : "no pair");
    else if (isnan(x->diff_half))
        tset(t, r, c, "%+.4g [n/a: %s]", x->diff * k, x->diff_note ? x->diff_note : "pairs < 2");
    else
        tset(t, r, c, "%+.4g [%+.4g, %+.4g]", x->diff * k, (x->diff - x->diff_half) * k,
             (x->diff + x->diff_half) * k);
}

static int print_table(const res_agg *g)
{
    bool base = g->base_axis != NULL;
    table t = {g->n_groups + 1, g->n_by + 1 + g->n_metrics * (base ? 2 : 1), NULL};
    char *mem = calloc(t.rows * t.cols, 96);
    t.cell = calloc(t.rows * t.cols, sizeof *t.cell);
    if (!mem || !t.cell) {
        free(mem), free(t.cell);
        fprintf(stderr, "offsim report: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < t.rows * t.cols; i++)
        t.cell[i] = mem + 96 * i;
    for (size_t i = 0; i < g->n_by; i++)
        tset(&t, 0, i, "%s", g->by[i]);
    tset(&t, 0, g->n_by, "n");
    for (size_t m = 0; m < g->n_metrics; m++) {
        const res_metric_info *mi = g->metrics[m];
        size_t c = g->n_by + 1 + m * (base ? 2 : 1);
        if (*mi->disp_unit)
            tset(&t, 0, c, "%s (%s)", mi->name, mi->disp_unit);
        else
            tset(&t, 0, c, "%s", mi->name);
        if (base)
            tset(&t, 0, c + 1, "diff vs %s=%s [95%% CI]", g->base_axis, g->base_value);
    }
    for (size_t k = 0; k < g->n_groups; k++) {
        const res_agg_group *gr = &g->groups[k];
        for (size_t i = 0; i < g->n_by; i++)
            tset(&t, k + 1, i, "%s", gr->keys[i]);
        tset(&t, k + 1, g->n_by, "%zu", gr->n_runs);
        for (size_t m = 0; m < g->n_metrics; m++) {
            size_t c = g->n_by + 1 + m * (base ? 2 : 1);
            fmt_mean(&t, k + 1, c, &gr->cells[m], g->metrics[m]->disp_scale, gr->n_runs);
            if (base)
                fmt_diff(&t, k + 1, c + 1, &gr->cells[m], g->metrics[m]->disp_scale);
        }
    }
    if (g->title)
        printf("%s: ", g->title);
    printf("%zu ok run%s in %zu group%s; mean ± half-width of the 95%% Student-t interval "
           "over the runs of a group%s\n\n",
           g->n_used, g->n_used == 1 ? "" : "s", g->n_groups, g->n_groups == 1 ? "" : "s",
           base ? "; diff: paired on seeds" : "");
    print_table_cells(&t);
    free(mem), free(t.cell);
    return 0;
}

/* The aggregation of the database a names as its options say: 0 with *g
 * set, or the exit status. */
static int aggregate(const cli_args *a, const char *const *by, size_t n_by, res_agg **g)
{
    size_t n_metrics;
    char **metrics = cli_all(a, "metric", &n_metrics);
    if (n_metrics > MAX_METRICS)
        return cli_usage(a->cmd, "--metric: at most %d metrics", MAX_METRICS);
    res_db *db;
    int rc = open_db(a, &db);
    if (rc)
        return rc;
    res_agg_spec spec = {by, n_by, (const char *const *)metrics, n_metrics,
                         cli_str(a, "baseline", NULL), cli_str(a, "where", NULL)};
    off_err err = {0};
    off_status st = res_agg_compute(db, &spec, g, &err);
    res_close(db);
    if (st == OFF_EUSAGE)
        return cli_usage(a->cmd, "%s", err.msg);
    return st == OFF_OK ? 0 : cli_fail(st, &err);
}

static int report_by(const cli_args *a)
{
    char buf[2048];
    const char *by[MAX_AXES];
    size_t n_by;
    if (!split_axes(a, buf, sizeof buf, by, &n_by))
        return 2;
    res_agg *g;
    int rc = aggregate(a, by, n_by, &g);
    if (rc)
        return rc;
    agg_warnings(g);
    if (cli_count(a, "csv"))
        print_csv(g);
    else
        rc = print_table(g);
    res_agg_free(g);
    return rc;
}

static int report(const cli_args *a)
{
    if (cli_count(a, "by"))
        return report_by(a);
    static const char *const needs_by[] = {"metric", "baseline", "csv", "where"};
    for (size_t i = 0; i < sizeof needs_by / sizeof *needs_by; i++)
        if (cli_count(a, needs_by[i]))
            return cli_usage(a->cmd, "--%s needs --by (the axes to group the runs by)",
                             needs_by[i]);
    res_db *db;
    int rc = open_db(a, &db);
    if (rc)
        return rc;
    off_err err = {0};
    off_status st = res_report(db, stdout, &err);
    res_close(db);
    return st == OFF_OK ? 0 : cli_fail(st, &err);
}

/* The figure's default path: the database's without ".db", then
 * "-METRIC-vs-X.png" (characters other than letters, digits, '.', '-' and
 * '_' of X become '_'). */
static void sweep_path(const char *dbp, const char *metric, const char *x, char *out,
                       size_t cap)
{
    size_t n = strlen(dbp);
    if (n > 3 && strcmp(dbp + n - 3, ".db") == 0)
        n -= 3;
    int len = snprintf(out, cap, "%.*s-%s-vs-", (int)n, dbp, metric);
    for (size_t i = 0; x[i] && len > 0 && (size_t)len + 5 < cap; i++) {
        char ch = x[i];
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
        out[len++] = keep ? ch : '_';
    }
    if (len > 0 && (size_t)len + 5 <= cap)
        snprintf(out + len, cap - (size_t)len, ".png");
}

static int plot_sweep(const cli_args *a)
{
    if (cli_count(a, "learning") || cli_count(a, "band"))
        return cli_usage(a->cmd, "--%s and --x draw different figures: choose one",
                         cli_count(a, "learning") ? "learning" : "band");
    off_err err = {0};
    const res_metric_info *m = res_metric_find(cli_str(a, "y", "latency_mean"), &err);
    if (!m)
        return cli_usage(a->cmd, "--y: %s", err.msg);
    plt_sweep_spec spec = {cli_str(a, "x", NULL), m->name, cli_str(a, "by", NULL),
                           cli_count(a, "logx") > 0, cli_count(a, "logy") > 0,
                           cli_str(a, "baseline", NULL), cli_str(a, "title", NULL),
                           cli_str(a, "where", NULL), stderr, NULL, 0, NULL};
    char path[4096];
    const char *out = cli_str(a, "out", NULL);
    if (!out) {
        sweep_path(a->pos[0], m->name, spec.x, path, sizeof path);
        out = path;
    }
    res_db *db;
    int rc = open_db(a, &db);
    if (rc)
        return rc;
    off_status st = plt_sweep_figure(db, &spec, out, &err);
    res_close(db);
    if (st == OFF_EUSAGE)
        return cli_usage(a->cmd, "%s", err.msg);
    if (st != OFF_OK)
        return cli_fail(st, &err);
    printf("wrote %s\n", out);
    return 0;
}

static int plot(const cli_args *a)
{
    if (cli_count(a, "x"))
        return plot_sweep(a);
    static const char *const needs_x[] = {"y", "by", "baseline", "logx", "logy", "title", "where"};
    for (size_t i = 0; i < sizeof needs_x / sizeof *needs_x; i++)
        if (cli_count(a, needs_x[i]))
            return cli_usage(a->cmd, "--%s needs --x (the axis of a sweep figure)", needs_x[i]);
    if (cli_count(a, "band") && !cli_count(a, "learning"))
        return cli_usage(a->cmd, "--band goes with --learning (learning curves over seeds)");
    res_db *db;
    int rc = open_db(a, &db);
    if (rc)
        return rc;
    plt_opts opts = {cli_count(a, "band")       ? PLT_LEARNING_BAND
                     : cli_count(a, "learning") ? PLT_LEARNING
                                                : PLT_LATENCY_CDF,
                     cli_str(a, "out", NULL), 0, 0};
    char written[4096];
    off_err err = {0};
    off_status st = plt_draw(db, &opts, written, sizeof written, &err);
    res_close(db);
    if (st != OFF_OK)
        return cli_fail(st, &err);
    printf("wrote %s\n", written);
    return 0;
}

static int policies(const cli_args *a)
{
    (void)a;
    size_t n;
    const pol_class *const *all = pol_registry(&n);
    for (size_t i = 0; i < n; i++) {
        printf("%-13s %s\n", all[i]->name, all[i]->summary);
        if (all[i]->param_keys && all[i]->param_keys[0]) {
            printf("%-13s keys:", "");
            for (size_t k = 0; all[i]->param_keys[k]; k++)
                printf(" %s", all[i]->param_keys[k]);
            printf("\n");
        }
    }
    return 0;
}
