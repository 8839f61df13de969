/*
 * sim_util.c - the run's shared helpers (sim_util.h).
 */
#include "sim_util.h"

#include <gsl/gsl_randist.h>
#include <math.h>

void sim_fail(sim_world *w, off_status st, const char *what)
{
    if (w->st == OFF_OK)
        w->st = off_errf(w->err, st, NULL, 0, 0, "%s", what);
    sim_engine_stop(w->eng);
}

double sim_draw(gsl_rng *r, const scn_dist *ds)
{
    switch (ds->kind) {
    case SCN_DIST_EXPONENTIAL:
        return gsl_ran_exponential(r, ds->mean);
    case SCN_DIST_UNIFORM:
        return gsl_ran_flat(r, ds->min, ds->max);
    case SCN_DIST_LOGNORMAL: {
        /* mean m, coefficient of variation cv: sigma^2 = ln(1 + cv^2),
         * mu = ln m - sigma^2 / 2. */
        double s2 = log1p(ds->cv * ds->cv);
        return gsl_ran_lognormal(r, log(ds->mean) - 0.5 * s2, sqrt(s2));
    }
    case SCN_DIST_DETERMINISTIC:
    default:
        return ds->mean;
    }
}
