/*
 * sim_power.h - a device's energy beyond the per-task formula: radio tail
 * states, a fixed DVFS level and a battery (sim_power.c).  Equations,
 * parameters and citations: docs/models-reference.md, "Device radios and
 * power".
 *
 * The device's drain is tracked as a piecewise-constant power
 *
 *   P(t) = n_cpu P_active(f) + n_tx P_tx + n_rx P_rx + n_wait P_idle + P_tail(t)
 *
 * (n_wait: its tasks between the end of their upload and the start of their
 * result), integrated exactly at every change, so that the battery's time of
 * death is exact and the device's energy equals the sum of its tasks'
 * energies plus the tail energy charged to no task.  Nothing is allocated:
 * the state is a few numbers per device, updated by the task lifecycle's
 * hooks (sim_task.c):
 *
 *   cpu_start / ev_dev_done           sim_power_begin/end(SIM_PW_CPU)
 *   up_start / task_uploaded          sim_power_begin/end(SIM_PW_TX)
 *   down_start / ev_down_done         sim_power_begin/end(SIM_PW_RX)
 *   finish, before the energy         sim_power_task_done
 *   arrival_admit                     sim_power_dead
 *
 * Every non-local task must go TX begin, TX end, RX begin, RX end in that
 * order (the wait count rises at TX end and falls at RX begin).
 */
#ifndef SIM_POWER_H
#define SIM_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"

typedef struct sim_world sim_world;
typedef struct sim_device sim_device;

typedef enum sim_pw_kind {
    SIM_PW_CPU, /* computing layers on the device             */
    SIM_PW_TX,  /* transmitting an upload                     */
    SIM_PW_RX,  /* receiving a result                          */
} sim_pw_kind;

/* The part of a device's power state that only a group with radio tail
 * states or a battery uses: held out of the device record (the world
 * allocates one per such device), as a million devices without either
 * should not carry it. */
typedef struct sim_power_ext {
    /* radio tail: starts when the last transfer in progress ends (the
     * states' durations are the group's, d->cfg->radio) */
    double tail_t0;           /* start of the current tail; NaN when none  */
    size_t tail_k;            /* the state it is in (n_tail: ran out)       */
    uint32_t tail_owner;      /* task whose transfer started it, while that
                                 task is in flight; UINT32_MAX otherwise   */
    double tail_cur_j;        /* drawn by the current tail so far           */
    double tail_cur_charged_j;/* of which already charged to a task         */
    double tail_j;            /* drawn by all tails up to t_acc             */
    double tail_task_j;       /* of which charged to tasks                  */
    /* battery (capacity: d->cfg->battery.capacity_j, 0 = none) */
    double t_death;           /* when it ran empty; INFINITY while not      */
} sim_power_ext;

/* Per-device state (a member of sim_device): 56 bytes. */
typedef struct sim_power {
    /* DVFS, fixed for the run (the level's frequency is the group's:
     * sim_device_energy_get recomputes it) */
    double active_w;          /* P_active at the level (power.active without
                                 dvfs)                                      */
    double time_scale;        /* f_max / f: compute time multiplier (1)     */
    /* drain */
    double t_acc;             /* integrated up to this time                */
    double energy_j;          /* all the device drew up to t_acc            */
    uint32_t n_cpu, n_tx, n_rx, n_wait;
    sim_power_ext *ext;       /* tail and battery, or NULL: neither         */
} sim_power;

/* Whether a device of group c needs a sim_power_ext. */
static inline bool sim_power_needs_ext(const scn_device *c)
{
    return c->radio.n_tail > 0 || c->battery.capacity_j > 0;
}

/* Set d->pw from d->cfg (radio, dvfs, battery, power), with ext (a
 * block of its own where sim_power_needs_ext(d->cfg), else NULL); call
 * once the device is built. */
void sim_power_init(sim_device *d, sim_power_ext *ext);

/* Task ti on device d starts / ends activity k now. */
void sim_power_begin(sim_world *w, sim_device *d, sim_pw_kind k, uint32_t ti);
void sim_power_end(sim_world *w, sim_device *d, sim_pw_kind k, uint32_t ti);

/* Task ti completes now: charge it the part of the tail it started that
 * has elapsed (see sim_power.c); before its energy is summed. */
void sim_power_task_done(sim_world *w, sim_device *d, uint32_t ti);

/* At an arrival on d: true if d's battery has run empty by now (the
 * arrival is not generated, nor any later one). */
bool sim_power_dead(sim_world *w, sim_device *d);

/* What device i drew in a run (after sim_world_run; the tail after its
 * last transfer is counted to its end, even past the last event). */
typedef struct sim_device_energy {
    double energy_j;          /* everything: compute, radio, idle, tail      */
    double tail_j;            /* of which radio tail                         */
    double tail_unattributed_j; /* tail energy charged to no task (drawn
                                   after its task completed, with no later
                                   transfer to charge it to)                 */
    double capacity_j;        /* battery, 0 = none                           */
    double remaining_j;       /* capacity - energy; < 0: drawn after death
                                 by the tasks already in flight              */
    double t_death;           /* when the battery ran empty; INFINITY if not */
    double freq_hz;           /* DVFS level, 0 = none                        */
    double time_scale;        /* f_max / f                                   */
    double active_w;          /* P_active at the level                       */
} sim_device_energy;

void sim_device_energy_get(const sim_world *w, size_t i, sim_device_energy *out);
/* Devices in the world (instances, groups expanded). */
size_t sim_world_n_devices(const sim_world *w);

#endif /* SIM_POWER_H */
