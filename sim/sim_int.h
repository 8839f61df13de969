/*
 * sim_int.h - the world's internals, shared by sim_world.c (build),
 * sim_task.c (task lifecycle) and sim_server.c (server queues: FCFS, PS,
 * EDF, background load, batching).  Not for other modules.
 */
#ifndef SIM_INT_H
#define SIM_INT_H

#include <gsl/gsl_rng.h>

#include "mdl.h"
#include "sim_chan.h"
#include "sim_power.h"
#include "mdl_profile.h"
#include "mdl_trained.h"
#include "pol.h"
#include "sim.h"
#include "sim_engine.h"

/* A FIFO of task indices: a ring buffer that grows geometrically. */
typedef struct sim_fifo {
    uint32_t *buf;
    size_t cap, head, len;
} sim_fifo;

bool sim_fifo_push(sim_fifo *q, uint32_t v);
static inline uint32_t sim_fifo_pop(sim_fifo *q)
{
    uint32_t v = q->buf[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return v;
}
void sim_fifo_free(sim_fifo *q);

/* A binary min-heap of jobs ordered by (key, seq): seq breaks ties in
 * insertion order.  Grows geometrically; pop/push are O(log n). */
typedef struct sim_hent {
    double key;
    uint64_t seq;
    uint32_t job;
} sim_hent;

typedef struct sim_heap {
    sim_hent *a;
    size_t len, cap;
} sim_heap;

bool sim_heap_push(sim_heap *h, double key, uint64_t seq, uint32_t job);
sim_hent sim_heap_pop(sim_heap *h); /* h->len > 0 */
void sim_heap_free(sim_heap *h);

/* A job at a server is a task's index (< SIM_JOB_BG), or SIM_JOB_BG | the
 * index of a background job in its server's pool. */
#define SIM_JOB_BG 0x80000000u

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

/* One direction of a device's link (sim_link.c). */
typedef struct sim_cell sim_cell;
typedef struct sim_link {
    const scn_link *cfg;
    bool varying;              /* a channel model: the rate changes in time */
    sim_chan_link chan;
    sim_chan_fading fading;
    sim_chan_ge ge;
    sim_chan_trace trace;
    double nominal_bps;        /* at the mean SNR, before any measurement   */
    double est_bps;            /* the estimator's current value            */
    size_t n_hist, hist_pos;
    sim_cell *cell;            /* shared uplink: its server's cell, or NULL */
    size_t subch;              /* OFDMA: its subchannel (cfg subchannels > 0) */
    double memo_t, memo_next, memo_rate; /* sim_link_rate's last answer    */
    double shadow_db;          /* the shadowing draw, fixed (mobility)...   */
    bool shadow_corr;          /* ...or spatially correlated (decorrelation) */
    sim_chan_shadow shadow;    /* that process, towards server shadow_srv  */
    size_t shadow_srv;
    uint64_t shadow_key;       /* its key before the server is mixed in    */
    double hist[64];           /* the estimator's samples (last, for the
                                  hot fields above to share cache lines)  */
} sim_link;

/* A server's shared cell: uploads in progress get equal time shares. */
typedef struct sim_cell_xfer {
    uint32_t task;
    sim_link *link;
    double bits, total_bits;   /* left, and in all                         */
    double rate;               /* its share now, bit/s                     */
    double s_mw, mult;         /* OFDMA: received power, outage multiplier */
} sim_cell_xfer;

struct sim_cell {
    size_t index;
    size_t n_ofdma;            /* OFDMA devices attached (subchannel plan) */
    sim_cell_xfer *x;
    size_t n, cap;
    double t_last;
    uint64_t ev;               /* the pending cell event, 0 = none         */
};

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
} sim_mob;

/* The fields every task touches come first, so that they share a few
 * cache lines (the device record is about 2.5 KB, and an arrival lands on
 * a device not touched for a while); the name, the channel stream and the
 * mobility state last. */
typedef struct sim_device {
    const scn_device *cfg;
    size_t server;
    gsl_rng *rng_arrivals, *rng_work, *rng_outcome, *rng_samples;
    const void *hot_arrivals, *hot_outcome; /* sim_rng_hot_word of the two */
    const mdl_profile *prof;   /* hardware profile, or NULL: speed only  */
    int compute_bits;
    double speed_macs;         /* given, or the profile's full-model rate */
    const double *ptab;        /* profile seconds per (exit, split), or NULL */
    size_t trace_pos;
    sim_fifo cpu_q, up_q, down_q;
    bool cpu_busy, up_busy, down_busy;
    double cpu_free_at, up_free_at; /* for the backlog observations */
    uint32_t n_unsent;         /* offloaded tasks not yet fully uploaded  */
    /* for its `devices` row: tasks generated, finished, sent to a server;
     * re-attachments (`handover`) */
    uint64_t n_tasks, n_done, n_offloaded, n_handovers;
    sim_power pw;              /* tail, DVFS, battery (sim_power.c)       */
    sim_link up, down;
    gsl_rng *rng_channel;
    sim_mob mob;               /* position (sim_mobility.c)               */
    char name[64];
} sim_device;

/* A background job: a competing job that is not a task. */
typedef struct sim_bgjob {
    double service_s;          /* its work / the server's speed           */
    double t_queued;           /* arrival at the server                   */
    uint32_t next_free;        /* free-list link                          */
} sim_bgjob;

typedef struct sim_server {
    const scn_server *cfg;
    const mdl_profile *prof;
    int compute_bits;
    double speed_macs;
    const double *ptab;        /* profile seconds per (exit, split), or NULL */
    size_t busy;               /* fcfs, edf: jobs in service; batching:
                                  batches in service (one per core)       */
    sim_fifo q;                /* fcfs: the waiting jobs                  */
    sim_heap h;                /* edf: the waiting jobs by absolute
                                  deadline; ps: the jobs in service by
                                  their finishing tag                    */
    uint64_t seq;              /* heap insertions, for FIFO ties          */
    /* processor sharing */
    double ps_v;               /* service attained by each job in service
                                  since the server was last empty, s      */
    double ps_t;               /* when ps_v was last brought up to date   */
    sim_event_id ps_ev;        /* the next completion                     */
    /* background load */
    gsl_rng *rng_bg_arr;       /* SIM_RNG_SERVER streams of entities      */
    gsl_rng *rng_bg_work;      /* "server:NAME" and "server:NAME/work"    */
    gsl_rng *rng_bg_burst;     /* "server:NAME/burst": the MMPP's state    */
    bool bg_high;              /* in a burst                              */
    double bg_switch;          /* when the state changes next             */
    sim_bgjob *bg;             /* pool, grown geometrically               */
    size_t bg_cap;
    uint32_t bg_free;          /* UINT32_MAX = none free                  */
    /* batching: records of (max + 1) words, [0] = count or free link   */
    uint32_t *batch;
    size_t batch_cap;
    uint32_t batch_free;
    sim_event_id batch_ev;     /* the window timer, 0 when none           */
    double batch_due;
    /* backhaul (sim_backhaul.c): when each direction's transmitter frees */
    double bh_up_free, bh_down_free;
    /* statistics */
    uint64_t bg_arrived, bg_done;
    double busy_area;          /* core-seconds busy after warm-up         */
    double t_acc;              /* busy_area is complete up to this time   */
} sim_server;

/* What a server did in a run (for tests and reports). */
typedef struct sim_server_stats {
    uint64_t bg_arrived, bg_done; /* background jobs                        */
    double utilisation;           /* busy core-seconds / (cores x time),
                                     from warm-up to the end of the run    */
} sim_server_stats;

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
    sim_device *dev;
    size_t n_dev;
    sim_server *srv;
    size_t n_srv;
    sim_task *tasks;          /* pool; indices are stable, pointers are not */
    size_t n_tasks_cap;
    uint32_t free_head;       /* UINT32_MAX = empty */
    uint64_t next_task_id;
    size_t in_flight;
    size_t arr_pending;       /* device arrival events scheduled          */
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
};

/* ---- sim_task.c ---- */
/* Schedule every device's first arrival, then the servers' background
 * arrivals. */
void sim_tasks_start(sim_world *w);
/* Record the run's first error and stop the engine. */
void sim_fail(sim_world *w, off_status st, const char *what);
/* Schedule fn(w, arg) at t; false (error recorded) when out of memory. */
bool sim_schedule(sim_world *w, double t, sim_handler *fn, uint64_t arg);
/* One draw of a distribution (its mean for deterministic). */
double sim_draw(gsl_rng *r, const scn_dist *d);
/* Task ti's server service ended: on to the downlink. */
void sim_task_served(sim_world *w, uint32_t ti);
/* A task's upload through a shared cell ended (sim_link.c calls it). */
void sim_task_uploaded(sim_world *w, uint32_t ti);
/* Task ti's result is back at its device's access point: on to the
 * downlink (after the backhaul, if its server has one). */
void sim_task_returned(sim_world *w, uint32_t ti);

/* ---- sim_backhaul.c ---- */
/* If task ti's server has a backhaul, send the task (up: its payload, after
 * the access link's delay) or its result (down: after the server) across
 * it and return true; the crossing ends in sim_server_arrive or
 * sim_task_returned.  False, doing nothing, without a backhaul. */
bool sim_backhaul_up(sim_world *w, uint32_t ti);
bool sim_backhaul_down(sim_world *w, uint32_t ti);
/* Seconds to cross server s's backhaul with bytes, queueing apart:
 * rtt/2 + bytes / rate; 0 without a backhaul. */
double sim_backhaul_s(const sim_server *s, double bytes);

/* Links (sim_link.c). */
off_status sim_link_init(sim_world *w, sim_link *l, const scn_link *cfg, gsl_rng *rng,
                         const char *where, off_err *err);
void sim_link_free(sim_link *l);
double sim_link_rate(sim_link *l, double t, double *next);
/* Seconds to send bytes from t0 (piecewise over the rate; +inf if it
 * never comes back); 0 for nothing to send. */
double sim_link_duration(sim_world *w, sim_link *l, double t0, double bytes);
void sim_link_observe(sim_link *l, double bytes, double dur);
off_status sim_cells_init(sim_world *w, off_err *err);
void sim_cells_free(sim_world *w);
void sim_cell_start(sim_world *w, sim_cell *c, sim_link *l, uint32_t ti, double bytes);
size_t sim_cell_active(const sim_cell *c);

/* Recompute a link's path gain at distance d_m from its server (the
 * shadowing draw kept); no effect on fixed, trace and `gain` links. */
void sim_link_update_distance(sim_link *l, double d_m);
/* Correlated shadowing (l->shadow_corr): l->shadow_db becomes the process
 * towards server srv at path length path_m (a process per server, each a
 * function of the link's key, the server and the path length alone). */
void sim_link_shadow_move(sim_link *l, size_t srv, double path_m);

/* ---- sim_mobility.c ---- */
/* Set up device d's mobility (its SIM_RNG_MOBILITY stream from the entity
 * key ek) and, for `server: nearest`, choose its server; before its links. */
off_status sim_mobility_init(sim_world *w, sim_device *d, uint64_t ek, off_err *err);
void sim_mobility_free(sim_mob *m);
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

/* ---- sim_server.c ---- */
/* Set up server j (its stream and batching tables) once its speed is
 * known; sim_server_free releases it (idempotent). */
off_status sim_server_init(sim_world *w, size_t j, off_err *err);
void sim_server_free(sim_server *s);
/* Schedule the first background arrival of every server that has one. */
void sim_servers_start(sim_world *w);
/* A job arrives at server j (a task's t_queued must be set). */
void sim_server_arrive(sim_world *w, size_t j, uint32_t job);
/* Load as policies see it: cores busy, and jobs beyond them. */
void sim_server_load(const sim_server *s, size_t *busy, size_t *queue);
/* After a run: what server j did. */
void sim_server_stats_get(const sim_world *w, size_t j, sim_server_stats *out);

#endif /* SIM_INT_H */
