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

/* Start fetching every cache line of device d's record: a task's arrival
 * touches nearly all of it (its streams, queues, power state and links),
 * and with 10^5 devices and more the record is out of cache, so the misses
 * should overlap rather than follow one another. */
static inline void sim_device_prefetch(const sim_device *d)
{
#if defined(__GNUC__)
    const char *p = (const char *)d;
    for (size_t off = 0; off < sizeof *d; off += 64) /* records are line-aligned */
        __builtin_prefetch(p + off);
#else
    (void)d;
#endif
}

/* What device i's arrival reads: its record and its arrival stream. */
static inline void sim_arrival_prefetch(const sim_world *w, size_t i)
{
    sim_device_prefetch(&w->dev[i]);
#if defined(__GNUC__)
    __builtin_prefetch(&w->arr_rng[i]);
#endif
}

/* When the engine's next event is a device's arrival, start fetching that
 * device's record and arrival stream now, so that it arrives while the engine pops the event
 * (a hint: nothing changes if another event comes first).  Called at the
 * start of the handlers of a run's events. */
static inline void sim_prefetch_next(const sim_world *w)
{
    sim_handler *fn;
    uint64_t arg;
    if (w->arrival_fn && sim_engine_peek(w->eng, &fn, &arg) && fn == w->arrival_fn)
        sim_arrival_prefetch(w, arg);
}

/* One draw of a distribution (its mean for deterministic). */
double sim_draw(gsl_rng *r, const scn_dist *d);

#endif /* SIM_UTIL_H */
