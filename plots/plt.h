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

/* Draw the plot of every run in db.  Runs gnuplot (found on PATH; error if
 * missing), writes the data it needs to a temporary file beside the output,
 * and removes it afterwards.  *written receives the output path (static
 * storage inside opts or a buffer of PATH_MAX owned by the caller via
 * out_buf/out_cap). */
off_status plt_draw(res_db *db, const plt_opts *opts, char *out_buf,
                    size_t out_cap, off_err *err);

#endif /* PLT_H */
