/*
 * plt.h - plots from a results database through gnuplot.
 */
#ifndef PLT_H
#define PLT_H

#include "off.h"
#include "res.h"

typedef enum plt_kind {
    PLT_LATENCY_CDF, /* empirical CDF of task latency, one curve per run     */
    PLT_LEARNING,    /* learning curves: the `training` table's reward_mean
                        against step, one curve per training run           */
    PLT_LEARNING_BAND, /* learning curves over seeds: the training runs
                        grouped by scenario and policy (one group per agent
                        type, its runs the training seeds); per group and
                        step, the mean reward_mean over the group's runs
                        that logged the step, with the 95 % Student-t
                        interval of that mean as a band (res_t_half; none
                        where one run logged the step)                    */
} plt_kind;

typedef struct plt_opts {
    plt_kind kind;
    const char *out_path; /* PNG file; NULL means "<db without .db>-latency.png"
                             (-learning.png for PLT_LEARNING and
                             PLT_LEARNING_BAND)                          */
    int width, height;    /* pixels; 0 = 900x600                             */
} plt_opts;

/* Draw the plot of every run in db into a PNG.  Runs gnuplot (found on
 * PATH; error if missing) on the data of plt_write_data, written to a
 * temporary file beside the output and removed afterwards.  out_buf
 * (out_cap bytes, owned by the caller) receives the output path:
 * opts->out_path, or the default named in plt_opts. */
off_status plt_draw(res_db *db, const plt_opts *opts, char *out_buf,
                    size_t out_cap, off_err *err);

/* The data plt_draw plots, written to path: one block per curve in the
 * order of run_id, blocks separated by two blank lines (gnuplot's
 * `index`), one "x y" line per point: latency in ms and the cumulative
 * fraction of the run's finished tasks (at most 2,000 points per curve,
 * at evenly spaced ranks, and always the last), or step and reward_mean.
 * PLT_LEARNING_BAND: one block per group in the order of scenario and
 * policy, headed by a "# SCENARIO / POLICY: N runs" comment, one
 * "step mean half n" line per step (half: the 95 % half-width over the n
 * runs that logged the step, 0 when n = 1).
 * *n_curves receives the number of blocks.  No curve is OFF_EINVAL. */
off_status plt_write_data(res_db *db, plt_kind kind, const char *path,
                          size_t *n_curves, off_err *err);

/* ---- sweep figures: a metric against an axis, one line per group ---- */

typedef struct plt_sweep_spec {
    const char *x;        /* the axis on x (a param, or policy/seed/scenario) */
    const char *y;        /* a metric for res_metric_find; NULL: latency_mean */
    const char *by;       /* one line per value of this axis; NULL: one line  */
    bool logx, logy;
    const char *baseline; /* "AXIS=VALUE" with AXIS = by: plot the paired
                             difference with that line (drawn as y = 0)    */
    const char *title;    /* NULL: the experiment's name (else the scenario's,
                             else "METRIC vs X")                          */
    const char *where;    /* SQL condition on `runs AS r`, or NULL         */
    FILE *warn;           /* runs left out and pooled axes are told here
                             (e.g. stderr); NULL: silence                 */
    const char *const *colours; /* by's values in colour order: the line of
                             colours[k] takes colour k, whichever values the
                             figure shows (a paper's figures keep a policy's
                             colour); NULL, or a value not listed: by rank */
    size_t n_colours;
    const char *x_metric; /* a metric on x instead of the axis: each line joins
                             (mean x_metric, mean y) along the axis x, in its
                             order, with error bars on both (e.g. accuracy
                             against latency as a threshold varies); no
                             baseline.  NULL: x is the axis                 */
} plt_sweep_spec;

/* Draw the sweep figure spec describes into out_path, whose extension
 * picks gnuplot's terminal (.png: pngcairo, .pdf: pdfcairo, .svg: svg):
 * the mean over replications (res_agg) of y at each value of x, one line
 * per value of by with the 95 % Student-t interval as error bars, axis
 * labels with units (x from the params' values, e.g. "uplink.rate
 * (Mbit/s)"; y from the metric's display unit), the legend below the plot,
 * each value of by in the same colour in every figure of a database (or
 * as spec->colours fixes it).
 * Errors as res_agg_compute's, and OFF_EUSAGE for another extension. */
off_status plt_sweep_figure(res_db *db, const plt_sweep_spec *spec, const char *out_path,
                            off_err *err);

/* The data plt_sweep_figure plots, written to path: one block per line in
 * the order of by's values, blocks separated by two blank lines and headed
 * by a "# BY=VALUE" comment, one "x y half" line per point (in the axes'
 * display units; x is the index of the value for a non-numeric axis; half
 * 0 when n < 2).  *n_series and *n_points (all lines together) receive the
 * counts. */
off_status plt_sweep_write_data(res_db *db, const plt_sweep_spec *spec, const char *path,
                                size_t *n_series, size_t *n_points, off_err *err);

#endif /* PLT_H */
