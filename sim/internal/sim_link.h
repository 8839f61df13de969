/*
 * sim_link.h - a device's uplink or downlink in the world, and a server's
 * shared cell (sim_link.c).  Internal to sim/.
 */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "off.h"
#include "scn.h"
#include "sim.h"
#include "sim_chan.h"
#include "sim_done.h"

/* Correlated shadowing of a link (decorrelation), allocated where used. */
typedef struct sim_link_shadow {
    sim_chan_shadow p;         /* the process towards server srv          */
    size_t srv;
    uint64_t key;              /* its key before the server is mixed in   */
} sim_link_shadow;

/* What only a link with a channel model needs, in one block: the memo of
 * sim_link_rate's last answer first (the cell asks it at every start and
 * end of an upload), so that it shares a cache line with the rate chain's
 * start (the arrival prefetches l->chan); then the shadowing and the rate
 * chain.  Line-aligned (192 bytes: three whole lines in the world's
 * array of them, which is 64-byte aligned). */
typedef struct sim_link_var {
    _Alignas(64) double memo_t; /* sim_link_rate's last answer: from memo_t */
    double memo_next, memo_rate; /* to memo_next, memo_rate                 */
    double shadow_db;          /* the shadowing draw, fixed (mobility)...   */
    sim_link_shadow *shadow;   /* ...or spatially correlated, NULL if not  */
    sim_chan_link chan;        /* the rate chain (fading, outage, trace)   */
} sim_link_var;

/* One direction of a device's link.  Held in every device record, so it
 * keeps only what every link needs (64 bytes): a channel model's state
 * (sim_link_var: the rate chain, its memo, fading, outage, trace,
 * correlated shadowing) lives in a block the world allocates for the
 * links that have one (with 10^6 devices, a fixed downlink costs nothing
 * beyond this record). */
typedef struct sim_cell sim_cell;
typedef struct sim_device sim_device;
typedef struct sim_link {
    const scn_link *cfg;
    sim_chan_link *chan;       /* a channel model: its rate chain, in a
                                  sim_link_var (sim_link_var_of); NULL for
                                  a fixed rate (then it never changes)    */
    double nominal_bps;        /* at the mean SNR, before any measurement   */
    double est_bps;            /* the estimator's current value            */
    sim_cell *cell;            /* shared uplink: its server's cell, or NULL */
    double *hist;              /* harmonic estimator: its k samples, else
                                  NULL (allocated only where used)        */
    uint32_t subch;            /* OFDMA: its subchannel (cfg subchannels > 0) */
    uint16_t n_hist, hist_pos; /* estimator samples held, next slot        */
    bool varying;              /* a channel model: the rate changes in time */
} sim_link;

/* The block holding a varying link's rate chain (l->chan != NULL). */
static inline sim_link_var *sim_link_var_of(const sim_link *l)
{
    return (sim_link_var *)(void *)((char *)l->chan - offsetof(sim_link_var, chan));
}

/* Whether a link of configuration cfg has a channel model, i.e. needs a
 * sim_link_var. */
static inline bool sim_link_varies(const scn_link *cfg)
{
    return cfg->chan.model != SCN_CHAN_FIXED;
}

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
    sim_done uploaded;         /* a task's upload through the cell ended   */
};

/* Whether the devices of a group can share one sim_link_var for their
 * links of configuration cfg (positioned: the group has `mobility`): a
 * channel model whose rate never changes and is the same for every device
 * (Shannon or MCS with no fading, outage, shadowing or position).
 * sim_link_init then writes the same values into the shared block for
 * every device (its draws are still made, in order), and the rate memo is
 * that of one constant function of time: the same answers. */
bool sim_link_shareable(const scn_link *cfg, bool positioned);

/* Set up l from cfg, its draws (path gain, keys) from rng; var is the
 * zeroed block for its channel state where sim_link_varies(cfg) (held by
 * the caller, which frees it after sim_link_free; shared by a group's
 * devices where sim_link_shareable), else NULL; dir
 * ("uplink", "downlink") and dev (its device, named only on an error: a
 * million names are not formatted for nothing) name it in errors.
 * Free with sim_link_free, also after an error. */
off_status sim_link_init(sim_world *w, sim_link *l, const scn_link *cfg, gsl_rng *rng,
                         sim_link_var *var, const char *dir, const sim_device *dev, off_err *err);
void sim_link_free(sim_link *l);
double sim_link_rate(sim_link *l, double t, double *next);
/* Seconds to send bytes from t0 (piecewise over the rate; +inf if it
 * never comes back); 0 for nothing to send. */
double sim_link_duration(sim_world *w, sim_link *l, double t0, double bytes);
void sim_link_observe(sim_link *l, double bytes, double dur);

/* Recompute a link's path gain at distance d_m from its server (the
 * shadowing draw kept); no effect on fixed, trace and `gain` links. */
void sim_link_update_distance(sim_link *l, double d_m);
/* Correlated shadowing (the var's shadow): its shadow_db becomes the process
 * towards server srv at path length path_m (a process per server, each a
 * function of the link's key, the server and the path length alone). */
void sim_link_shadow_move(sim_link *l, size_t srv, double path_m);

/* One cell per server (w->cells); the cells' `uploaded` is set by the task
 * lifecycle. */
off_status sim_cells_init(sim_world *w, off_err *err);
void sim_cells_free(sim_world *w);
/* Task ti starts sending bytes on l through cell c; c->uploaded is called
 * with ti when it is through. */
void sim_cell_start(sim_world *w, sim_cell *c, sim_link *l, uint32_t ti, double bytes);
size_t sim_cell_active(const sim_cell *c);

#endif /* SIM_LINK_H */
