/*
 * sim_done.h - how a resource (a server, a shared cell, a backhaul) hands
 * a task back when its part is over: a function and its user pointer, set
 * by the task lifecycle when the world is built (sim_tasks_wire).  The
 * resources never call the lifecycle by name, so the simulation's calls
 * go one way: arrival -> decision -> device -> link -> server -> link ->
 * done, each stage reporting back through one of these.  Internal to sim/.
 */
#ifndef SIM_DONE_H
#define SIM_DONE_H

#include <stdint.h>

typedef void sim_done_fn(void *ud, uint32_t task);

typedef struct sim_done {
    sim_done_fn *fn;
    void *ud;
} sim_done;

static inline void sim_done_call(const sim_done *d, uint32_t task)
{
    d->fn(d->ud, task);
}

#endif /* SIM_DONE_H */
