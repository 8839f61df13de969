/* cli_fig.h - the `figures:` of an experiment file, for `offsim sweep`:
 * read and checked before the first point runs (a typo in a figure must
 * not surface after hours of simulation), drawn with plots/ after the
 * sweep.  Kept in cli/ because experiments/ does not depend on plots/.
 * Reference: docs/experiments.md, "Figures". */
#ifndef CLI_FIG_H
#define CLI_FIG_H

#include <stdio.h>

#include "exp.h"
#include "plt.h"

/* One entry of `figures:`; its strings point into the experiment's tree. */
typedef struct cli_fig {
    const char *name;     /* the file name without extension              */
    plt_sweep_spec spec;  /* x, y (canonical metric), by, logx, ...;
                             colours: by's values over every point of the
                             experiment, in the order they first appear  */
    unsigned formats;     /* bit i: cli_fig_formats[i]; default png + pdf */
    exp_filter *where;    /* `where:`, the points drawn (NULL: all)       */
} cli_fig;

typedef struct cli_figs {
    cli_fig *v;
    size_t n;
} cli_figs;

/* The extensions a figure may be drawn in, in bit order of formats. */
extern const char *const cli_fig_formats[3];

/* Read e->figures (none: f empty): keys checked with did-you-mean, x and
 * by axes of e (its columns, or policy, seed, scenario), y a metric,
 * baseline AXIS=VALUE with AXIS = by, where a filter expression on e's
 * columns (as the experiment's `filter:`, seed included) selecting at
 * least one point, names unique file names.  Errors FILE:LINE:COL,
 * OFF_EINVAL; f is then empty.  f lives as long as e. */
off_status cli_figs_parse(const exp_experiment *e, cli_figs *f, off_err *err);
void cli_figs_free(cli_figs *f); /* idempotent */

/* Draw every figure of f from the runs of the validated experiment e in
 * database db (only its current points: runs of an older version of the
 * experiment's scenarios are left out) into the folder DB without ".db"
 * then "-figures/", printing each path on out.  Returns how many could not
 * be drawn (each told on stderr).  out may be NULL (quiet). */
size_t cli_figs_draw(const exp_experiment *e, const cli_figs *f, const char *db, FILE *out);

#endif /* CLI_FIG_H */
