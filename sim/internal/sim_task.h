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

/* What a finished task adds to the summary (tasks after the warm-up). */
typedef struct sim_obs {
    double t_arrival, latency_s, energy_j, bytes_up, reward;
    bool correct, met;
} sim_obs;

/* Add o to w's summary accumulators (all but the latency series). */
static inline void sim_obs_count(sim_world *w, const sim_obs *o)
{
    w->n_counted++;
    w->sum_energy += o->energy_j;
    w->sum_bytes_up += o->bytes_up;
    w->n_correct += o->correct;
    w->n_missed += !o->met;
    w->sum_reward += o->reward;
}

/* `warmup: auto` (sim_warmup.c): keep o until the end of the run. */
void sim_obs_keep(sim_world *w, const sim_obs *o);
/* `warmup: auto`: choose the warm-up by MSER-5 over the latencies of the
 * tasks kept, in arrival order, and count again only the tasks that arrived
 * after it.  *warmup_s: the arrival time of the first task counted (0 if
 * none is left out); *settled: false when MSER-5 would leave out
 * RES_MSER_MAX_SHARE of the tasks or more (no steady state in sight).
 * Frees the tasks kept. */
off_status sim_warmup_choose(sim_world *w, double *warmup_s, bool *settled, off_err *err);
/* Free what sim_obs_keep holds (NULL-safe; after an error). */
void sim_obs_free(sim_world *w);

#endif /* SIM_TASK_H */
