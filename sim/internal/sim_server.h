/*
 * sim_server.h - a server's queue and cores (sim_server.c): the
 * disciplines, background load, batching, and its backhaul.  Internal to
 * sim/.
 */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <gsl/gsl_rng.h>

#include "mdl_profile.h"
#include "off.h"
#include "scn.h"
#include "sim.h"
#include "sim_backhaul.h"
#include "sim_containers.h"
#include "sim_done.h"
#include "sim_engine.h"

/* A job at a server is a task's index (< SIM_JOB_BG), or SIM_JOB_BG | the
 * index of a background job in its server's pool. */
#define SIM_JOB_BG 0x80000000u

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
    sim_done served;           /* a task's service is over                */
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
    sim_pool bg;               /* of sim_bgjob                            */
    /* batching: records of (max + 1) words, [0] = count or free link   */
    sim_pool batch;
    sim_event_id batch_ev;     /* the window timer, 0 when none           */
    double batch_due;
    sim_backhaul bh;
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

/* Set up server j (its stream and batching tables) once its speed is
 * known; sim_server_free releases it (idempotent).  Its `served` is set by
 * the task lifecycle. */
off_status sim_server_init(sim_world *w, size_t j, off_err *err);
void sim_server_free(sim_server *s);
/* Schedule the first background arrival of every server that has one. */
void sim_servers_start(sim_world *w);
/* A job arrives at server j (a task's t_queued must be set); a task's
 * service ends in the server's `served`. */
void sim_server_arrive(sim_world *w, size_t j, uint32_t job);
/* Load as policies see it: cores busy, and jobs beyond them. */
void sim_server_load(const sim_server *s, size_t *busy, size_t *queue);
/* After a run: what server j did. */
void sim_server_stats_get(const sim_world *w, size_t j, sim_server_stats *out);

#endif /* SIM_SERVER_H */
