/*
 * plt_sweep.c - the figure of a sweep: a metric's mean over replications
 * against one axis, one line per value of another, with 95 % error bars
 * (res_agg), through gnuplot.
 *
 * The aggregation groups by (by, x), so the groups of one line are
 * contiguous and in x order.  A line keeps the colour of its value's rank
 * among all the values of by, so the same policy has the same colour in
 * every figure of a database, with or without a baseline line; a caller
 * that knows every value (an experiment's points) fixes the order instead,
 * so that a figure showing some of them keeps their colours.
 */
#define _POSIX_C_SOURCE 200809L
#include "plt.h"
#include "cfg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plt_int.h"

/* Okabe-Ito: told apart by colour-blind readers too, and in grey print by
 * the point types. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#999999"};
enum { N_COLOURS = sizeof palette / sizeof palette[0] };

typedef struct sweep_fig {
    const plt_sweep_spec *spec;
    res_agg *agg;
    size_t xi, bi;         /* x's and by's index in agg->by; bi = n_by: none */
    bool numeric_x;
    double xscale;         /* shown x = num * xscale                          */
    char xunit[24];
    const char **xcats;    /* distinct x values of a non-numeric x, in order  */
    size_t n_xcats;
    size_t n_min, n_max;   /* runs per plotted point (after the data)        */
    double y_lo, y_hi;     /* lowest and highest bar end shown (ditto)       */
    double mean_lo;        /* lowest mean shown (ditto)                      */
} sweep_fig;

/* ---- x's unit, from the values as written ---------------------------- */

/* The SI unit of a value as written ("2 Mbps" -> "bit/s"), "" for a plain
 * number, by the end of its unit: the longest rules first. */
static const char *base_unit(const char *value)
{
    static const struct { const char *end, *unit; } rules[] = {
        {"bit/s", "bit/s"}, {"bps", "bit/s"}, {"B/s", "B/s"},  {"MAC/s", "MAC/s"},
        {"op/s", "op/s"},   {"/s", "1/s"},    {"/min", "1/s"}, {"/h", "1/s"},
        {"Hz", "Hz"},       {"dB", "dB"},     {"Wh", "J"},     {"J", "J"},
        {"W", "W"},         {"MAC", "MAC"},   {"min", "s"},    {"h", "s"},
        {"s", "s"},         {"B", "B"},       {"m", "m"},      {"%", "%"},
    };
    char *end;
    strtod(value, &end);
    while (*end == ' ')
        end++;
    size_t n = strlen(end);
    while (n && end[n - 1] == ' ')
        n--;
    if (n == 0)
        return "";
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        size_t k = strlen(rules[i].end);
        if (n >= k && strncmp(end + n - k, rules[i].end, k) == 0)
            return rules[i].unit;
    }
    return "";
}

/* The display unit and scale of values up to max (in unit): an SI prefix
 * keeping the largest value in [1, 1000) (seconds never above "s";
 * fractions written "%" are shown in %). */
static void pick_scale(const char *unit, double max, char *out, size_t cap, double *scale)
{
    static const char *const prefix[] = {"n", "µ", "m", "", "k", "M", "G", "T"};
    *scale = 1;
    if (strcmp(unit, "%") == 0) {
        *scale = 100;
        snprintf(out, cap, "%%");
        return;
    }
    if (!*unit || strcmp(unit, "dB") == 0 || strcmp(unit, "1/s") == 0 || max <= 0 ||
        !isfinite(max)) {
        snprintf(out, cap, "%s", unit);
        return;
    }
    int e = (int)floor(log10(max) / 3.0);
    int hi = strcmp(unit, "s") == 0 ? 0 : 4;
    e = e < -3 ? -3 : e > hi ? hi : e;
    *scale = pow(10.0, -3.0 * e);
    snprintf(out, cap, "%s%s", prefix[e + 3], unit);
}

/* ---- the figure's data ------------------------------------------------ */

static off_status set_up_x(sweep_fig *f, off_err *err)
{
    const res_agg *a = f->agg;
    f->numeric_x = true;
    if (f->spec->x_metric) { /* x is the second metric, in its display unit */
        f->xscale = a->metrics[1]->disp_scale;
        snprintf(f->xunit, sizeof f->xunit, "%s", a->metrics[1]->disp_unit);
        return OFF_OK;
    }
    double max = 0;
    for (size_t g = 0; g < a->n_groups; g++) {
        double v = a->groups[g].nums[f->xi];
        if (isnan(v))
            f->numeric_x = false;
        else if (fabs(v) > max)
            max = fabs(v);
    }
    if (f->numeric_x) {
        if (f->spec->logx)
            for (size_t g = 0; g < a->n_groups; g++)
                if (a->groups[g].nums[f->xi] <= 0)
                    return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                                    "--logx: %s takes the value %s, not above 0", f->spec->x,
                                    a->groups[g].keys[f->xi]);
        pick_scale(base_unit(a->groups[0].keys[f->xi]), max, f->xunit, sizeof f->xunit,
                   &f->xscale);
        return OFF_OK;
    }
    f->xcats = calloc(a->n_groups, sizeof *f->xcats);
    if (!f->xcats)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t g = 0; g < a->n_groups; g++) {
        const char *k = a->groups[g].keys[f->xi];
        size_t i = 0;
        while (i < f->n_xcats && strcmp(f->xcats[i], k) != 0)
            i++;
        if (i < f->n_xcats)
            continue;
        /* insertion in order: the groups of each line are sorted already */
        size_t at = f->n_xcats;
        while (at > 0 && strcmp(f->xcats[at - 1], k) > 0)
            at--;
        memmove(&f->xcats[at + 1], &f->xcats[at], (f->n_xcats - at) * sizeof *f->xcats);
        f->xcats[at] = k;
        f->n_xcats++;
    }
    return OFF_OK;
}

static double x_of(const sweep_fig *f, const res_agg_group *g)
{
    if (f->spec->x_metric)
        return g->cells[1].mean * f->xscale;
    if (f->numeric_x)
        return g->nums[f->xi] * f->xscale;
    size_t i = 0;
    while (strcmp(f->xcats[i], g->keys[f->xi]) != 0)
        i++;
    return (double)i;
}

/* Whether groups g and h are on the same line. */
static bool same_line(const sweep_fig *f, size_t g, size_t h)
{
    return f->bi == f->agg->n_by ||
           strcmp(f->agg->groups[g].keys[f->bi], f->agg->groups[h].keys[f->bi]) == 0;
}

/* Calls fn for each line: its first group, one past its last, and its
 * colour index (colour_of). */
typedef void line_fn(sweep_fig *f, size_t first, size_t end, size_t rank, void *ud);

/* The colour of the line starting at group g, rank-th of by's values:
 * its place in spec->colours when listed there; else after them, by rank. */
static size_t colour_of(const sweep_fig *f, size_t g, size_t rank)
{
    const plt_sweep_spec *s = f->spec;
    if (f->bi == f->agg->n_by || !s->colours)
        return rank;
    for (size_t k = 0; k < s->n_colours; k++)
        if (strcmp(s->colours[k], f->agg->groups[g].keys[f->bi]) == 0)
            return k;
    return s->n_colours + rank;
}

static void each_line(sweep_fig *f, line_fn *fn, void *ud)
{
    size_t rank = 0;
    for (size_t g = 0; g < f->agg->n_groups; rank++) {
        size_t end = g + 1;
        while (end < f->agg->n_groups && same_line(f, g, end))
            end++;
        if (!f->agg->groups[g].is_baseline)
            fn(f, g, end, colour_of(f, g, rank), ud);
        g = end;
    }
}

typedef struct data_out {
    FILE *f;
    size_t n_series, n_points;
} data_out;

static void write_line(sweep_fig *f, size_t first, size_t end, size_t rank, void *ud)
{
    (void)rank;
    data_out *o = ud;
    const res_agg *a = f->agg;
    double k = a->metrics[0]->disp_scale;
    bool diff = a->base_axis != NULL;
    if (o->n_series)
        fputs("\n\n", o->f);
    if (f->bi < a->n_by)
        fprintf(o->f, "# %s=%s\n", a->by[f->bi], a->groups[first].keys[f->bi]);
    else
        fprintf(o->f, "# all\n");
    o->n_series++;
    for (size_t g = first; g < end; g++) {
        const res_agg_cell *c = &a->groups[g].cells[0];
        double y = diff ? c->diff : c->mean, half = diff ? c->diff_half : c->half;
        if (c->n == 0 || isnan(y))
            continue;
        half = isnan(half) ? 0.0 : half;
        if (f->spec->x_metric) {
            const res_agg_cell *cx = &a->groups[g].cells[1];
            if (cx->n == 0 || isnan(cx->mean))
                continue;
            fprintf(o->f, "%.9g %.9g %.9g %.9g\n", x_of(f, &a->groups[g]), y * k,
                    (isnan(cx->half) ? 0.0 : cx->half) * f->xscale, half * k);
        } else {
            fprintf(o->f, "%.9g %.9g %.9g\n", x_of(f, &a->groups[g]), y * k, half * k);
        }
        o->n_points++;
        f->n_min = o->n_points == 1 || c->n < f->n_min ? c->n : f->n_min;
        f->n_max = c->n > f->n_max ? c->n : f->n_max;
        f->y_lo = o->n_points == 1 || (y - half) * k < f->y_lo ? (y - half) * k : f->y_lo;
        f->y_hi = o->n_points == 1 || (y + half) * k > f->y_hi ? (y + half) * k : f->y_hi;
        f->mean_lo = o->n_points == 1 || y * k < f->mean_lo ? y * k : f->mean_lo;
    }
}

static void fig_free(sweep_fig *f)
{
    free(f->xcats);
    res_agg_free(f->agg);
}

/* Aggregate as spec says into f. */
static off_status fig_init(sweep_fig *f, res_db *db, const plt_sweep_spec *spec, off_err *err)
{
    memset(f, 0, sizeof *f);
    f->spec = spec;
    if (!spec->x || !*spec->x)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "a sweep figure needs an x axis");
    if (spec->by && strcmp(spec->by, spec->x) == 0)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0, "x and by are the same axis '%s'",
                        spec->x);
    const char *by[2] = {spec->by, spec->x};
    const char *y[2] = {spec->y ? spec->y : "latency_mean", spec->x_metric};
    size_t n_by = spec->by ? 2 : 1;
    if (spec->x_metric && spec->baseline)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "a figure with a metric on x (%s) has no baseline", spec->x_metric);
    res_agg_spec as = {spec->by ? by : by + 1, n_by, y, spec->x_metric ? 2 : 1,
                       spec->baseline, spec->where};
    off_status st = res_agg_compute(db, &as, &f->agg, err);
    if (st != OFF_OK)
        return st;
    const res_agg *a = f->agg;
    size_t out = a->n_failed + a->n_interrupted + a->n_other;
    if (spec->warn && out)
        fprintf(spec->warn, "offsim plot: %zu run%s not ok left out\n", out, out == 1 ? "" : "s");
    for (size_t i = 0; spec->warn && i < a->n_pooled; i++)
        fprintf(spec->warn,
                "offsim plot: warning: runs that differ in '%s' are pooled in each point; "
                "give it as --by or select with --where\n",
                a->pooled[i]);
    f->xi = n_by - 1;
    f->bi = spec->by ? 0 : n_by;
    if (f->agg->base_axis && (!spec->by || strcmp(f->agg->base_axis, spec->by) != 0)) {
        fig_free(f);
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "the baseline of a figure is a line: its axis must be --by's");
    }
    if ((st = set_up_x(f, err)) != OFF_OK)
        fig_free(f);
    return st;
}

static off_status write_fig_data(sweep_fig *f, FILE *out, size_t *n_series, size_t *n_points,
                                 const char *path, off_err *err)
{
    data_out o = {out, 0, 0};
    each_line(f, write_line, &o);
    *n_series = o.n_series;
    *n_points = o.n_points;
    if (ferror(out))
        return off_errf(err, OFF_EIO, path, 0, 0, "write error");
    if (o.n_points == 0)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "no point to plot: no run has a value of %s",
                        f->agg->metrics[0]->name);
    return OFF_OK;
}

off_status plt_sweep_write_data(res_db *db, const plt_sweep_spec *spec, const char *path,
                                size_t *n_series, size_t *n_points, off_err *err)
{
    *n_series = *n_points = 0;
    sweep_fig f;
    off_status st = fig_init(&f, db, spec, err);
    if (st != OFF_OK)
        return st;
    FILE *out = fopen(path, "w");
    if (!out) {
        fig_free(&f);
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    st = write_fig_data(&f, out, n_series, n_points, path, err);
    if (fclose(out) != 0 && st == OFF_OK)
        st = off_errf(err, OFF_EIO, path, 0, 0, "write error");
    fig_free(&f);
    return st;
}

/* ---- the script ------------------------------------------------------- */

/* A value as a legend or a tic shows it (cfg_file_label). */
static const char *shown(const char *value)
{
    static char buf[256];
    return cfg_file_label(value, buf, sizeof buf);
}

typedef struct script_out {
    FILE *s;
    const char *data;
    size_t index;
} script_out;

static void plot_line(sweep_fig *f, size_t first, size_t end, size_t rank, void *ud)
{
    (void)end;
    script_out *o = ud;
    char title[256] = "all runs";
    if (f->bi < f->agg->n_by)
        plt_gp_escape(title, sizeof title, shown(f->agg->groups[first].keys[f->bi]), true);
    fprintf(o->s,
            "%s\"%s\" index %zu using %s with %s lw 2 pt %zu ps 1.2 "
            "lc rgb \"%s\" title \"%s\"",
            o->index ? ", \\\n     " : "", o->data, o->index,
            f->spec->x_metric ? "1:2:3:4" : "1:2:3",
            /* categories: no line between unordered values */
            f->spec->x_metric ? "xyerrorlines"
            : f->numeric_x    ? "yerrorlines"
                              : "yerrorbars",
            5 + 2 * (rank % 4),
            palette[rank % N_COLOURS], title);
    o->index++;
}

static const char *terminal_of(const char *out_path, off_err *err)
{
    const char *dot = strrchr(out_path, '.');
    const char *slash = strrchr(out_path, '/');
    if (dot && (!slash || dot > slash)) {
        if (strcmp(dot, ".png") == 0)
            return plt_has_terminal("pngcairo") ? "pngcairo size 900,600 font \",12\""
                                                : "png size 900,600";
        if (strcmp(dot, ".pdf") == 0)
            return "pdfcairo size 6in,4in font \",10\"";
        if (strcmp(dot, ".svg") == 0)
            return "svg size 900,600 font \",12\" background rgb \"white\"";
    }
    off_errf(err, OFF_EUSAGE, NULL, 0, 0, "%s: the figure's name must end in .png, .pdf or .svg",
             out_path);
    return NULL;
}

typedef struct render_ctx {
    sweep_fig *f;
    const char *terminal;
} render_ctx;

static void write_labels(FILE *s, const sweep_fig *f)
{
    const res_agg *a = f->agg;
    const res_metric_info *m = a->metrics[0];
    char buf[512], esc[1024];
    if (f->spec->x_metric && *f->xunit)
        snprintf(buf, sizeof buf, "%s (%s; along %s)", a->metrics[1]->label, f->xunit,
                 f->spec->x);
    else if (f->spec->x_metric)
        snprintf(buf, sizeof buf, "%s (along %s)", a->metrics[1]->label, f->spec->x);
    else if (*f->xunit && f->numeric_x)
        snprintf(buf, sizeof buf, "%s (%s)", f->spec->x, f->xunit);
    else
        snprintf(buf, sizeof buf, "%s", f->spec->x);
    plt_gp_escape(esc, sizeof esc, buf, true);
    fprintf(s, "set xlabel \"%s\"\n", esc);
    /* ASCII only: cairo clips rotated labels measured with a multi-byte Δ */
    int n = a->base_axis ? snprintf(buf, sizeof buf, "%s, difference vs %s", m->label,
                                    a->base_value)
                         : snprintf(buf, sizeof buf, "%s", m->label);
    if (*m->disp_unit && n > 0 && (size_t)n < sizeof buf)
        snprintf(buf + n, sizeof buf - (size_t)n, " (%s)", m->disp_unit);
    plt_gp_escape(esc, sizeof esc, buf, true);
    fprintf(s, "set ylabel \"%s\"\n", esc);
    if (f->spec->title)
        snprintf(buf, sizeof buf, "%s", f->spec->title);
    else if (a->title)
        snprintf(buf, sizeof buf, "%s: %s vs %s", a->title, m->label, f->spec->x);
    else
        snprintf(buf, sizeof buf, "%s vs %s", m->label, f->spec->x);
    plt_gp_escape(esc, sizeof esc, buf, true);
    /* What a point and a bar are, under the title: a reader cannot guess
     * it, and bars narrower than the markers (common under common random
     * numbers) would otherwise look like missing bars. */
    char sub[160];
    if (f->n_max < 2)
        snprintf(sub, sizeof sub, "one run per point: no interval");
    else if (f->n_min == f->n_max)
        snprintf(sub, sizeof sub, "%s of %zu runs per point; bars: 95%% confidence interval",
                 a->base_axis ? "paired difference, mean" : "mean", f->n_max);
    else
        snprintf(sub, sizeof sub, "%s of %zu to %zu runs per point; bars: 95%% confidence "
                 "interval", a->base_axis ? "paired difference, mean" : "mean", f->n_min,
                 f->n_max);
    fprintf(s, "set title \"%s\\n{/*0.8 %s}\"\n", esc, sub);
    if (f->bi < a->n_by) {
        plt_gp_escape(esc, sizeof esc, a->by[f->bi], true);
        /* above the plot, left to right: it never covers data, and the
         * plot keeps the page's width (a key at the right takes a third
         * of it with long policy names) */
        fprintf(s, "set key outside top center horizontal Left reverse box "
                   "title \"%s\"\n", esc);
    } else {
        fprintf(s, "set key off\n"); /* one line: nothing to tell apart */
    }
}

/* A log x axis: tics at the swept values (at most a dozen), which a sweep
 * over a decade or two would otherwise leave with one or two labels. */
static void write_log_tics(FILE *s, const sweep_fig *f)
{
    fprintf(s, "set logscale x\n");
    if (f->spec->x_metric)
        return; /* means, not swept values: gnuplot's own tics */
    double v[12];
    size_t n = 0;
    for (size_t g = 0; g < f->agg->n_groups; g++) {
        double x = x_of(f, &f->agg->groups[g]);
        size_t i = 0;
        while (i < n && v[i] != x)
            i++;
        if (i == n && n++ == 12)
            return; /* too many values: gnuplot's own tics */
        v[i] = x;
    }
    fprintf(s, "set xtics (");
    for (size_t i = 0; i < n; i++)
        fprintf(s, "%s\"%.3g\" %.9g", i ? ", " : "", v[i], v[i]);
    fprintf(s, ")\n");
}

static void write_sweep_script(FILE *s, const char *out_path, const char *data_path, void *ud)
{
    render_ctx *c = ud;
    sweep_fig *f = c->f;
    char out_esc[4200], data_esc[4200];
    plt_gp_escape(out_esc, sizeof out_esc, out_path, false);
    plt_gp_escape(data_esc, sizeof data_esc, data_path, false);
    fprintf(s, "set encoding utf8\nset terminal %s enhanced\nset output \"%s\"\n", c->terminal,
            out_esc);
    write_labels(s, f);
    fprintf(s, "set grid\nset border 3\nset tics nomirror\nset bars small\n");
    if (f->numeric_x) {
        /* tight ranges with a margin, not widened to the next (log) tic */
        fprintf(s, "set autoscale fix\nset offsets graph 0.04, graph 0.04, graph 0.08, "
                   "graph 0.08\n");
    } else {
        fprintf(s, "set xrange [-0.5:%zu.5]\nset xtics (", f->n_xcats - 1);
        for (size_t i = 0; i < f->n_xcats; i++) {
            char esc[256];
            plt_gp_escape(esc, sizeof esc, shown(f->xcats[i]), true);
            fprintf(s, "%s\"%s\" %zu", i ? ", " : "", esc, i);
        }
        fprintf(s, ")\nset autoscale yfix\nset offsets 0, 0, graph 0.08, graph 0.08\n");
        /* many categories side by side overlap: slanted, they do not */
        if (f->n_xcats > 5)
            fprintf(s, "set xtics rotate by 30 right\n");
    }
    if (f->spec->logx && f->numeric_x)
        write_log_tics(s, f);
    if (f->spec->logy)
        fprintf(s, "set logscale y\n");
    else if (!f->agg->base_axis && f->mean_lo >= 0 && f->y_hi >= f->y_lo &&
             (*f->agg->metrics[0]->unit || strcmp(f->agg->metrics[0]->disp_unit, "%") == 0)) {
        /* Every mean >= 0 of a quantity that cannot be negative (latency,
         * energy, bytes: it has a unit; a share: shown in %; a reward
         * has neither and may be negative); the axis stops at 0, not below
         * it, and so do the bars of points near 0 (a symmetric interval
         * does not know the quantity's bound). */
        double pad = 0.08 * (f->y_hi > f->y_lo ? f->y_hi - f->y_lo : f->y_hi);
        fprintf(s, "set yrange [%.9g:*]\nset offsets %s, graph 0.08, 0\n",
                f->y_lo - pad > 0 ? f->y_lo - pad : 0.0,
                f->numeric_x ? "graph 0.04, graph 0.04" : "0, 0");
    }
    fprintf(s, "plot ");
    script_out o = {s, data_esc, 0};
    each_line(f, plot_line, &o);
    if (f->agg->base_axis) {
        char esc[512];
        plt_gp_escape(esc, sizeof esc, f->agg->base_value, true);
        fprintf(s, ", \\\n     0 with lines dt 2 lw 2 lc rgb \"#444444\" title \"%s (baseline)\"",
                esc);
    }
    fprintf(s, "\n");
}

static off_status sweep_data(FILE *out, const char *data_path, void *ud, off_err *err)
{
    render_ctx *c = ud;
    size_t ns, np;
    return write_fig_data(c->f, out, &ns, &np, data_path, err);
}

off_status plt_sweep_figure(res_db *db, const plt_sweep_spec *spec, const char *out_path,
                            off_err *err)
{
    render_ctx c = {NULL, terminal_of(out_path, err)};
    if (!c.terminal)
        return OFF_EUSAGE;
    sweep_fig f;
    off_status st = fig_init(&f, db, spec, err);
    if (st != OFF_OK)
        return st;
    c.f = &f;
    st = plt_gp_render(out_path, sweep_data, write_sweep_script, &c, err);
    fig_free(&f);
    return st;
}
