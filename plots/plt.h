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
} plt_kind;

typedef struct plt_opts {
    plt_kind kind;
    const char *out_path; /* PNG file; NULL means "<db without .db>-latency.png"
                             (-learning.png for PLT_LEARNING)            */
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
 * *n_curves receives the number of blocks.  No curve is OFF_EINVAL. */
off_status plt_write_data(res_db *db, plt_kind kind, const char *path,
                          size_t *n_curves, off_err *err);

#endif /* PLT_H */
