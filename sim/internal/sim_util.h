/*
 * sim_util.h - helpers every component of a run uses (sim_util.c):
 * recording the run's first error, scheduling an event on the world's
 * engine, one draw of a configured distribution.  Internal to sim/.
 */
#ifndef SIM_UTIL_H
#define SIM_UTIL_H

#include <gsl/gsl_rng.h>
#include <math.h>

#include "scn.h"
#include "sim_world.h"

/* Record the run's first error and stop the engine. */
void sim_fail(sim_world *w, off_status st, const char *what);

/* Schedule fn(w, arg) at t; false (error recorded) when out of memory.
 * t = +inf (a transfer whose rate never comes back) schedules nothing:
 * the task stays in flight and is recorded as unfinished at the end of
 * the run (sim_tasks_unfinished).  Inline: it is on every stage of every
 * task. */
static inline bool sim_schedule(sim_world *w, double t, sim_handler *fn, uint64_t arg)
{
    if (t == INFINITY)
        return true;
    if (sim_engine_schedule(w->eng, t, fn, w, arg) == 0) {
        sim_fail(w, OFF_ENOMEM, "out of memory scheduling an event");
        return false;
    }
    return true;
}

/* One draw of a distribution (its mean for deterministic). */
double sim_draw(gsl_rng *r, const scn_dist *d);

#endif /* SIM_UTIL_H */
