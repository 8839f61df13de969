/*
 * sim_task.h - the task lifecycle (sim_task.c): arrivals, the policy's
 * decision, and a task's passage through its device, links, backhaul and
 * server to its completion and its row.  The top of the simulation: it
 * calls the resources, and they report back through the callbacks that
 * sim_tasks_wire sets.  Internal to sim/.
 */
#ifndef SIM_TASK_H
#define SIM_TASK_H

#include "sim_world.h"

/* Point every server's, backhaul's and cell's completion callback at the
 * lifecycle's next stage; once, when the world is built. */
void sim_tasks_wire(sim_world *w);
/* Schedule every device's first arrival, then the servers' background
 * arrivals. */
void sim_tasks_start(sim_world *w);
/* After the run: a row (outcome unfinished: no t_done, latency, energy)
 * for every task still in flight, which can then never finish. */
void sim_tasks_unfinished(sim_world *w);

#endif /* SIM_TASK_H */
