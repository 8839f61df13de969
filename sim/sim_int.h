/*
 * sim_int.h - the world's internals, shared by sim_world.c (build) and
 * sim_task.c (lifecycle).  Not for other modules.
 */
#ifndef SIM_INT_H
#define SIM_INT_H

#include <gsl/gsl_rng.h>

#include "mdl.h"
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

typedef struct sim_task {
    uint64_t id;
    uint32_t device;
    uint32_t next_free;        /* free-list link                         */
    double work_scale;         /* drawn work / the model's nominal work  */
    double u_outcome;          /* uniform draw deciding correctness      */
    int32_t sample;            /* test image it carries (trained), or -1 */
    bool correct;              /* decided when the action is known       */
    double deadline_s;
    pol_action act;
    double dev_s, up_tx_s, srv_s, down_tx_s; /* service durations         */
    double bytes_up, bytes_down;
    double t_arrival, t_first;  /* arrival; first service started          */
    double t_up_end;            /* end of own upload transmission           */
    double t_down_start;        /* start of result transmission             */
    double wait_s;              /* time spent in queues                     */
    double t_queued;            /* when it entered its current queue        */
    bool local;
} sim_task;

typedef struct sim_device {
    char name[64];
    const scn_device *cfg;
    size_t server;
    gsl_rng *rng_arrivals, *rng_work, *rng_outcome, *rng_samples;
    const mdl_profile *prof;   /* hardware profile, or NULL: speed only  */
    int compute_bits;
    double speed_macs;         /* given, or the profile's full-model rate */
    size_t trace_pos;
    sim_fifo cpu_q, up_q, down_q;
    bool cpu_busy, up_busy, down_busy;
    double cpu_free_at, up_free_at; /* for the backlog observations */
} sim_device;

typedef struct sim_server {
    const scn_server *cfg;
    const mdl_profile *prof;
    int compute_bits;
    double speed_macs;
    size_t busy;
    sim_fifo q;
} sim_server;

struct sim_world {
    const scn_scenario *scn;
    sim_engine *eng;
    mdl_model model;
    mdl_trained *trained;     /* kind: trained - real images and kernels */
    mdl_profile **profiles;   /* loaded once per distinct file           */
    char **profile_paths;
    size_t n_profiles;
    double nominal_macs;      /* the model's total work (synthetic scaling) */
    pol_policy policy;
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
};

/* Schedule every device's first arrival (sim_task.c). */
void sim_tasks_start(sim_world *w);

#endif /* SIM_INT_H */
