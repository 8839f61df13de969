/*
 * sim_world.h - the world built from a scenario (sim_world.c): the task
 * records, the devices (with their mobility, sim_mobility.c), the servers
 * and cells, the model and the policy, and what a run accumulates.  Every
 * component reads it; only the task lifecycle (sim_task.h) moves a task
 * from stage to stage.  Internal to sim/.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <gsl/gsl_rng.h>

#include "mdl.h"
#include "mdl_profile.h"
#include "mdl_trained.h"
#include "pol.h"
#include "sim.h"
#include "sim_chan.h"
#include "sim_containers.h"
#include "sim_engine.h"
#include "sim_link.h"
#include "sim_power.h"
#include "sim_rng.h"
#include "sim_server.h"

/* A task's record, in the world's pool.  The lifecycle fills it; a server
 * reads its service time and deadline and adds its waits; the power model
 * charges it its radio tail. */
typedef struct sim_task {
    uint64_t id;
    uint32_t device;
    uint32_t next_free;        /* free-list link                         */
    double work_scale;         /* drawn work / the model's nominal work  */
    double u_outcome;          /* uniform draw deciding correctness      */
    int32_t sample;            /* test image it carries (trained), or -1 */
    uint32_t server;           /* offloaded: its server, fixed at decision */
    bool correct;              /* decided when the action is known       */
    double deadline_s;
    pol_action act;
    double dev_s, up_tx_s, srv_s, down_tx_s; /* service durations         */
    double bytes_up, bytes_down;
    double t_arrival, t_first;  /* arrival; first service started          */
    double t_up_start;          /* start of own upload transmission         */
    double t_up_end;            /* end of own upload transmission           */
    double t_down_start;        /* start of result transmission             */
    double wait_s;              /* time spent in queues                     */
    double t_queued;            /* when it entered its current queue        */
    double tail_j;              /* radio tail charged to it (sim_power.c)   */
    bool local;
} sim_task;

/* A device's position over time (sim_mobility.c): a pure function of
 * time, computed lazily; the waypoint state only moves forward (an
 * earlier time replays the legs from the saved stream state). */
typedef struct sim_mob {
    const scn_mobility *cfg;
    gsl_rng *rng, *rng0;       /* waypoint: SIM_RNG_MOBILITY, its start    */
    double t0, x0, y0;         /* the current leg leaves (x0, y0) at t0    */
    double t1, x1, y1;         /* and reaches (x1, y1) at t1               */
    double t2;                 /* then pauses there until t2               */
    double s0;                 /* path length walked up to t0 (waypoint) or
                                  to trace row hint                        */
    size_t hint;               /* trace: the row last found               */
    uint64_t n_handovers;      /* re-attachments (`handover`)             */
} sim_mob;

/* The fields every task touches come first, so that they share a few
 * cache lines (an arrival lands on a device not touched for a while, and
 * with 10^5 devices and more the record is not in cache): the streams a
 * task draws from are held inline (their bare 32-byte states) next to
 * them.  The arrival stream is held apart, in the world's arr_rng: the
 * first arrivals are drawn in one pass over every device before the run,
 * which then reads 32 bytes a device in order instead of the records.
 * What only some scenarios use is held out of the record too: a channel
 * model's state (sim_link_var), radio tails and batteries
 * (sim_power_ext), mobility (sim_mob); the channel stream, drawn from only
 * while the links are built, is not kept at all.  448 bytes, 7 whole
 * cache lines (x86-64; docs/design.md, "Large device populations"). */
typedef struct sim_device {
    _Alignas(64) const scn_device *cfg; /* records start on a cache line */
    uint32_t server;           /* index in w->srv (a world has < 2^32)   */
    uint32_t index;            /* within its group (its streams' key)    */
    sim_rng_state rng_outcome; /* bare: see sim_rng_view */
    const mdl_profile *prof;   /* hardware profile, or NULL: speed only  */
    double speed_macs;         /* given, or the profile's full-model rate */
    const double *ptab;        /* profile seconds per (exit, split), or NULL */
    int compute_bits;
    uint32_t n_unsent;         /* offloaded tasks not yet fully uploaded  */
    sim_fifo cpu_q, up_q, down_q;
    bool cpu_busy, up_busy, down_busy;
    uint32_t trace_pos;        /* the next of its arrival trace's times (a
                                  trace has < 2^32 of them: sim_world.c) */
    double cpu_free_at, up_free_at; /* for the backlog observations */
    /* for its `devices` row: tasks generated, finished, sent to a server
     * (re-attachments, `handover`, are counted in its sim_mob) */
    uint64_t n_tasks, n_done, n_offloaded;
    sim_power pw;              /* drain, DVFS; tail, battery (sim_power.c) */
    /* drawn work (synthetic models) or the test image a task carries
     * (trained models): a world draws from one of the two, never both, so
     * they share their place (sim_world.c sets up the one it uses) */
    union {
        sim_rng_state rng_work, rng_samples;
    };
    sim_link up, down;
    sim_mob *mob;              /* position (sim_mobility.c); NULL without
                                  `mobility` (most devices of large worlds) */
} sim_device;

/* A device's name: its group's, or "group[i]" for a group of count > 1
 * (cut to SIM_DEVICE_NAME_MAX - 1 bytes), written into buf if it needs
 * formatting: devices do not keep it (a million names would be 64 MB). */
#define SIM_DEVICE_NAME_MAX 64
const char *sim_device_name(const sim_device *d, char buf[SIM_DEVICE_NAME_MAX]);

struct sim_world {
    const scn_scenario *scn;
    sim_engine *eng;
    mdl_model model;
    mdl_trained *trained;     /* kind: trained - real images and kernels */
    sim_chan_mcs mcs;         /* CQI table 1 thresholds, for mcs links    */
    sim_cell *cells;          /* one per server                           */
    mdl_profile **profiles;   /* loaded once per distinct file           */
    char **profile_paths;
    double **ptabs;           /* per (profile, bits, side), see sim_ptab  */
    const mdl_profile **ptab_prof;
    int *ptab_key;
    size_t n_ptabs;
    size_t n_profiles;
    double nominal_macs;      /* the model's total work (synthetic scaling) */
    pol_policy policy;
    pol_train *train;          /* `offsim train`: the policy learns (pol.h)  */
    bool policy_sees_realised; /* the oracle: obs.realised is filled      */
    gsl_rng *rng_policy;
    sim_device *dev;          /* n_dev of them, in dev_mem              */
    size_t n_dev;
    /* The per-device arrays (sim_world_bulk): the records, their
     * arrival streams, the channel state of the links that have a channel
     * model, the power state of the devices with a radio tail or a
     * battery; what to free. */
    void *dev_mem, *arr_mem, *link_mem, *pw_mem;
    sim_rng_state *arr_rng;   /* device i's arrival stream: arr_rng[i]   */
    sim_link_var *link_vars;  /* in link_mem, in device order            */
    sim_server *srv;
    size_t n_srv;
    sim_pool tasks;           /* of sim_task; indices are stable, pointers
                                 are not                                  */
    uint64_t next_task_id;
    size_t in_flight;
    size_t arr_pending;       /* device arrival events scheduled          */
    sim_handler *arrival_fn;  /* their handler (sim_task.c), for
                                 sim_prefetch_next; NULL: no prefetch (the
                                 records fit in cache)                    */
    bool arrivals_closed;
    /* recording */
    res_db *db;
    int64_t run_id;
    sim_task_hook *hook;
    void *hook_ud;
    off_status st;            /* first error during the run */
    off_err *err;
    /* summary accumulators (tasks after warm-up) */
    double *lat;
    size_t n_lat, cap_lat;
    size_t n_counted;
    double sum_energy, sum_bytes_up;
    size_t n_correct, n_missed;
    pol_reward reward;          /* the scenario's, for summaries and agents */
    double sum_reward;
    size_t n_warm;              /* finished tasks that arrived in the warm-up */
    struct sim_obs *obs;        /* `warmup: auto`: each finished task, until
                                   sim_world_run chooses the warm-up        */
    size_t n_obs, cap_obs;
};

/* A zeroed array of n elements of size bytes (NULL if n * size
 * overflows), 64-byte aligned: one of the world's per-device arrays.
 * Where the system has transparent huge pages (Linux's
 * madvise(MADV_HUGEPAGE)), the whole 2 MiB pages inside it are marked for
 * them before it is touched: a million devices' records are ~500 MB, and
 * in a VM the first touch of 4 KiB pages costs more than building them.
 * *mem is what to free (free(3)); NULL on out of memory. */
void *sim_world_bulk(size_t n, size_t size, void **mem);

/* Task ti's record (valid until the pool next grows). */
static inline sim_task *sim_task_at(const sim_world *w, uint32_t ti)
{
    return SIM_POOL_AT(&w->tasks, sim_task, ti);
}

/* ---- mobility (sim_mobility.c) ---- */
/* Set up device d's mobility (d->mob, allocated with a `mobility`; its
 * SIM_RNG_MOBILITY stream from the entity key ek) and, for `server:
 * nearest`, choose its server; before its links. */
off_status sim_mobility_init(sim_world *w, sim_device *d, uint64_t ek, off_err *err);
void sim_mobility_free(sim_mob *m); /* what m holds; NULL-safe */
/* Position of a device at time t >= 0, m; false without a position. */
bool sim_mob_position(sim_mob *m, double t, double *x, double *y);
/* The same and *s, the path length walked since time 0, m. */
bool sim_mob_where(sim_mob *m, double t, double *x, double *y, double *s);
/* Set the gain of d's link l (up or down) from d's distance to its server
 * at time t, when a transfer on l starts; nothing without a position. */
void sim_mobility_update(sim_world *w, sim_device *d, sim_link *l, double t);
/* `handover`: at a task's arrival at time t, re-attach d to the nearest
 * server if it is closer than d's by more than the margin and no
 * offloaded task of d is still to be uploaded (sim_mobility.c). */
void sim_mobility_handover(sim_world *w, sim_device *d, double t);
/* After d's links are built: gains at its position at time 0, and the
 * throughput estimate before any measurement at that distance. */
void sim_mobility_links_built(sim_world *w, sim_device *d);

#endif /* SIM_WORLD_H */
