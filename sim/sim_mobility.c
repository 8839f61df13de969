/*
 * sim_mobility.c - where a device is: fixed at a position, moving by the
 * random waypoint model (Johnson & Maltz 1996), or following a (time, x, y)
 * trace; the nearest server at build time (`server: nearest`) and, with
 * `handover`, again at each task's arrival; and the distance to the
 * device's server setting its links' path gain when a transfer starts
 * (sim_link_update_distance).  Equations in
 * docs/models-reference.md ("Mobility").
 *
 * Position is a pure function of time, computed lazily (no events): the
 * waypoint legs are drawn from the device's SIM_RNG_MOBILITY stream (keyed
 * "device:GROUP#i" like its other streams, so common random numbers hold)
 * in a fixed order - the start (x, y), then per leg the waypoint (x, y) and
 * the speed - and only as far as time has gone.  Asking for an earlier time
 * than the current leg replays the legs from the stream's saved start
 * (correct, O(legs); the simulator only moves forward).
 */
#include "sim_world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_rng.h"

/* The first "leg": already at the start position at time 0, pausing there
 * for the pause time (Johnson & Maltz: a node first pauses, then moves). */
static void rwp_start(sim_mob *m)
{
    const scn_mobility *c = m->cfg;
    m->x0 = m->x1 = c->area_w_m * gsl_rng_uniform(m->rng);
    m->y0 = m->y1 = c->area_h_m * gsl_rng_uniform(m->rng);
    m->t0 = m->t1 = 0;
    m->t2 = c->pause_s;
    m->s0 = 0;
}

/* The next leg: from the last waypoint to a new one drawn uniformly in the
 * area, at a speed drawn uniformly in [vmin, vmax], then a pause. */
static void rwp_next(sim_mob *m)
{
    const scn_mobility *c = m->cfg;
    m->s0 += hypot(m->x1 - m->x0, m->y1 - m->y0); /* the leg just walked */
    m->x0 = m->x1;
    m->y0 = m->y1;
    m->t0 = m->t2;
    m->x1 = c->area_w_m * gsl_rng_uniform(m->rng);
    m->y1 = c->area_h_m * gsl_rng_uniform(m->rng);
    double v = c->vmin_mps + (c->vmax_mps - c->vmin_mps) * gsl_rng_uniform(m->rng);
    m->t1 = m->t0 + hypot(m->x1 - m->x0, m->y1 - m->y0) / v;
    m->t2 = m->t1 + c->pause_s;
}

/* m->s0: the path length from the first row to row m->hint. */
static void trace_position(sim_mob *m, double t, double *x, double *y, double *s)
{
    const scn_mobility *c = m->cfg;
    const double *T = c->trace_t, *X = c->trace_x, *Y = c->trace_y;
    size_t n = c->n_trace, i = m->hint < n ? m->hint : 0;
    if (i != m->hint || t < T[i]) {
        i = 0;
        m->s0 = 0;
    }
    while (i + 1 < n && T[i + 1] <= t) {
        m->s0 += hypot(X[i + 1] - X[i], Y[i + 1] - Y[i]);
        i++;
    }
    m->hint = i;
    if (t <= T[i] || i + 1 == n) { /* before the first row, or held at the end */
        *x = X[i];
        *y = Y[i];
        *s = m->s0;
        return;
    }
    double a = (t - T[i]) / (T[i + 1] - T[i]);
    *x = X[i] + a * (X[i + 1] - X[i]);
    *y = Y[i] + a * (Y[i + 1] - Y[i]);
    *s = m->s0 + a * hypot(X[i + 1] - X[i], Y[i + 1] - Y[i]);
}

bool sim_mob_where(sim_mob *m, double t, double *x, double *y, double *s)
{
    const scn_mobility *c = m ? m->cfg : NULL;
    if (!c || c->model == SCN_MOB_NONE)
        return false;
    if (t < 0)
        t = 0;
    switch (c->model) {
    case SCN_MOB_STATIC:
        *x = c->x_m;
        *y = c->y_m;
        *s = 0;
        return true;
    case SCN_MOB_TRACE:
        trace_position(m, t, x, y, s);
        return true;
    case SCN_MOB_WAYPOINT: {
        if (t < m->t0) { /* back in time: replay from the start */
            gsl_rng_memcpy(m->rng, m->rng0);
            rwp_start(m);
        }
        while (t >= m->t2)
            rwp_next(m);
        double len = hypot(m->x1 - m->x0, m->y1 - m->y0);
        if (t >= m->t1) {
            *x = m->x1;
            *y = m->y1;
            *s = m->s0 + len;
        } else {
            double a = (t - m->t0) / (m->t1 - m->t0);
            *x = m->x0 + a * (m->x1 - m->x0);
            *y = m->y0 + a * (m->y1 - m->y0);
            *s = m->s0 + a * len;
        }
        return true;
    }
    default:
        return false;
    }
}

bool sim_mob_position(sim_mob *m, double t, double *x, double *y)
{
    double s;
    return sim_mob_where(m, t, x, y, &s);
}

static double distance_to(const sim_world *w, size_t j, double x, double y)
{
    const scn_server *s = w->srv[j].cfg;
    return hypot(x - s->x_m, y - s->y_m);
}

/* The nearest server to (x, y); ties: the first.  *dist its distance. */
static size_t nearest(const sim_world *w, double x, double y, double *dist)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t j = 0; j < w->n_srv; j++) {
        double dj = distance_to(w, j, x, y);
        if (dj < bd) {
            bd = dj;
            best = j;
        }
    }
    *dist = bd;
    return best;
}

off_status sim_mobility_init(sim_world *w, sim_device *d, uint64_t ek, off_err *err)
{
    const scn_device *sd = d->cfg;
    if (sd->mobility.model == SCN_MOB_NONE) { /* no position: no state */
        d->mob = NULL;
        if (sd->server_nearest)
            return off_errf(err, OFF_EINVAL, w->scn->file, sd->pos.line, sd->pos.col,
                            "device '%s': server: nearest needs a position", sd->name);
        return OFF_OK;
    }
    sim_mob *m = d->mob = calloc(1, sizeof *d->mob);
    if (!m)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    m->cfg = &sd->mobility;
    if (sd->mobility.model == SCN_MOB_WAYPOINT) {
        m->rng = sim_rng_stream(w->scn->seed, ek, SIM_RNG_MOBILITY);
        m->rng0 = m->rng ? gsl_rng_clone(m->rng) : NULL;
        if (!m->rng || !m->rng0)
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        rwp_start(m);
    }
    if (sd->server_nearest) { /* at the position at time 0; ties: the first */
        double x, y, dist;
        if (!sim_mob_position(m, 0, &x, &y))
            return off_errf(err, OFF_EINVAL, w->scn->file, sd->pos.line, sd->pos.col,
                            "device '%s': server: nearest needs a position", sd->name);
        d->server = nearest(w, x, y, &dist);
    }
    return OFF_OK;
}

void sim_mobility_handover(sim_world *w, sim_device *d, double t)
{
    double x, y, dn;
    if (!sim_mob_position(d->mob, t, &x, &y))
        return;
    size_t j = nearest(w, x, y, &dn);
    if (j == d->server || !(dn + d->cfg->handover_margin_m < distance_to(w, d->server, x, y)))
        return;
    d->server = j;
    d->mob->n_handovers++;
    if (d->up.cell) { /* its uploads now share the new server's cell */
        d->up.cell = &w->cells[j];
        size_t nsub = d->cfg->uplink.chan.subchannels;
        if (nsub) /* OFDMA: the next subchannel of the new cell's plan */
            d->up.subch = w->cells[j].n_ofdma++ % nsub;
    }
}

void sim_mobility_free(sim_mob *m)
{
    if (!m)
        return;
    if (m->rng)
        gsl_rng_free(m->rng);
    if (m->rng0)
        gsl_rng_free(m->rng0);
    m->rng = m->rng0 = NULL;
}

void sim_mobility_update(sim_world *w, sim_device *d, sim_link *l, double t)
{
    double x, y, s;
    if (d->cfg->mobility.model == SCN_MOB_NONE) /* the group's: no miss on d */
        return;
    if (!sim_mob_where(d->mob, t, &x, &y, &s))
        return;
    if (l->chan && sim_link_var_of(l)->shadow) /* correlated shadowing to its
                                                   server, at this path length */
        sim_link_shadow_move(l, d->server, s);
    sim_link_update_distance(l, distance_to(w, d->server, x, y));
}

/* The mean-SNR rate of a link (no fading, no outage), as sim_link_init. */
static void refresh_nominal(sim_link *l)
{
    if (!l->varying || l->chan->model == SIM_CHAN_RATE_TRACE)
        return;
    sim_chan_link mean = *l->chan;
    mean.fading = NULL;
    mean.ge = NULL;
    double next;
    l->nominal_bps = l->est_bps = sim_chan_link_rate(&mean, 0, &next);
}

void sim_mobility_links_built(sim_world *w, sim_device *d)
{
    double x, y;
    if (!sim_mob_position(d->mob, 0, &x, &y))
        return;
    sim_mobility_update(w, d, &d->up, 0);
    sim_mobility_update(w, d, &d->down, 0);
    refresh_nominal(&d->up);
    refresh_nominal(&d->down);
}
