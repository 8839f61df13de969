/*
 * sim_link.c - a device's uplink and downlink in the world: a fixed rate,
 * or a channel model (sim_chan.h) whose rate varies with time; transfers
 * integrated piecewise over that rate; the shared cell of a server, whose
 * concurrent uploads get equal time shares (processor sharing, re-evaluated
 * whenever a transfer starts or ends or a rate changes); and the estimator
 * of throughput that observations report.
 *
 * Randomness: each device's CHANNEL stream gives, in this fixed order, the
 * uplink's shadowing draw and process key, then the downlink's, so a
 * device's channel does not depend on the policy or on other devices
 * (common random numbers).
 */
#include "sim_link.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_util.h"

/* ---- building a link ---------------------------------------------------- */

/* Path loss (dB, positive) of channel c at distance d_m (not for
 * SCN_PL_GAIN); *sigma_db receives the 38.901 model's own shadowing sigma
 * when c asks for it (shadowing < 0), else c's. */
static double path_loss_db(const scn_channel *c, double d_m, double *sigma_db)
{
    sim_chan_38901 p;
    *sigma_db = c->shadowing_db > 0 ? c->shadowing_db : 0;
    switch (c->pathloss) {
    case SCN_PL_GAIN:
        return -c->gain_db;
    case SCN_PL_FREE_SPACE:
        return sim_chan_fspl_db(d_m, c->frequency_hz);
    case SCN_PL_LOG_DISTANCE:
        return sim_chan_logdist_db(d_m, c->ref_distance_m,
                                   sim_chan_fspl_db(c->ref_distance_m, c->frequency_hz),
                                   c->exponent);
    default: {
        bool umi = c->pathloss == SCN_PL_UMI_LOS || c->pathloss == SCN_PL_UMI_NLOS;
        bool los = c->pathloss == SCN_PL_UMI_LOS || c->pathloss == SCN_PL_UMA_LOS;
        sim_chan_38901_defaults(&p, umi ? SIM_CHAN_38901_UMI : SIM_CHAN_38901_UMA, los,
                                c->frequency_hz);
        if (c->shadowing_db < 0)
            *sigma_db = sim_chan_38901_sigma_db(&p);
        return sim_chan_38901_pl_db(&p, d_m);
    }
    }
}

/* Static path gain (dB, negative) and shadowing of a channel; the
 * shadowing draw is kept in *shadow_db (for sim_link_update_distance). */
static double path_gain_db(const scn_channel *c, gsl_rng *r, double *shadow_db)
{
    double sigma, pl = path_loss_db(c, c->distance_m, &sigma);
    *shadow_db = sigma > 0 ? sim_chan_shadow_db(r, sigma) : 0;
    if (c->pathloss == SCN_PL_GAIN)
        return c->gain_db + *shadow_db;
    return -pl - *shadow_db;
}

void sim_link_update_distance(sim_link *l, double d_m)
{
    const scn_channel *c = &l->cfg->chan;
    if (!l->varying || c->model == SCN_CHAN_TRACE || c->pathloss == SCN_PL_GAIN ||
        !(d_m >= 0) || !isfinite(d_m))
        return;
    double sigma;
    bool tr38901 = c->pathloss >= SCN_PL_UMI_LOS;
    /* free space and log-distance below 1 m / d0 are outside their far
     * field; 38.901 is defined for 10 m <= d_2D <= 5 km */
    double d = tr38901 ? fmax(d_m, 10.0) : fmax(d_m, 1.0);
    sim_link_var *v = sim_link_var_of(l);
    l->chan->gain_db = -path_loss_db(c, d, &sigma) - v->shadow_db;
    v->memo_next = -INFINITY; /* the memoised rate no longer holds */
}

void sim_link_shadow_move(sim_link *l, size_t srv, double path_m)
{
    sim_link_var *v = sim_link_var_of(l);
    sim_link_shadow *sh = v->shadow;
    if (srv != sh->srv) { /* another site: its own, independent process */
        sim_chan_shadow_init(&sh->p, sh->p.sigma_db, sh->p.corr_m,
                             off_mix64(sh->key + (uint64_t)srv));
        sh->srv = srv;
    }
    v->shadow_db = sim_chan_shadow_at(&sh->p, path_m);
}

/* The harmonic estimator's window (1..64 samples). */
#define HIST_K(e) ((e)->k >= 1 && (e)->k <= 64 ? (size_t)(e)->k : 1)

/* A zeroed block of n bytes for l's channel state, or NULL (error set). */
static void *link_alloc(size_t n, off_err *err)
{
    void *p = calloc(1, n);
    if (!p)
        off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    return p;
}

bool sim_link_shareable(const scn_link *cfg, bool positioned)
{
    const scn_channel *c = &cfg->chan;
    if ((c->model != SCN_CHAN_SHANNON && c->model != SCN_CHAN_MCS) ||
        c->fading != SCN_FADE_NONE || c->outage || positioned)
        return false;
    double sigma;
    if (c->pathloss != SCN_PL_GAIN)
        path_loss_db(c, c->distance_m, &sigma);
    else
        sigma = c->shadowing_db > 0 ? c->shadowing_db : 0;
    return !(sigma > 0); /* no shadowing draw: the same gain everywhere */
}

off_status sim_link_init(sim_world *w, sim_link *l, const scn_link *cfg, gsl_rng *rng,
                         sim_link_var *var, const char *dir, const sim_device *dev, off_err *err)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    if (cfg->est.kind == SCN_EST_HARMONIC) {
        l->hist = malloc(HIST_K(&cfg->est) * sizeof *l->hist);
        if (!l->hist)
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    const scn_channel *c = &cfg->chan;
    const char *file = c->pos.file ? c->pos.file : w->scn->file;
    off_status st;
    if (c->model == SCN_CHAN_FIXED) {
        l->nominal_bps = cfg->rate_bps;
        l->est_bps = cfg->rate_bps;
        return OFF_OK;
    }
    l->varying = true;
    sim_chan_link *k = l->chan = &var->chan;
    k->ptx_dbm = c->tx_power_dbm;
    k->bandwidth_hz = c->bandwidth_hz;
    k->n0_dbm_hz = c->noise_density_dbm_hz;
    k->nf_db = c->noise_figure_db;
    k->eta = c->efficiency > 0 ? c->efficiency : 1;
    k->gain_db = c->model == SCN_CHAN_TRACE ? 0 : path_gain_db(c, rng, &var->shadow_db);
    uint64_t key = sim_chan_key_from_rng(rng);
    if (c->shadow_corr_m > 0 && c->model != SCN_CHAN_TRACE && c->pathloss != SCN_PL_GAIN) {
        double sigma;
        path_loss_db(c, c->distance_m, &sigma);
        if (sigma > 0) { /* set at the first move (sim_mobility.c) */
            sim_link_shadow *sh = var->shadow = link_alloc(sizeof *var->shadow, err);
            if (!sh)
                return OFF_ENOMEM;
            sh->key = off_mix64(key ^ 0x636f7272ULL); /* "corr" */
            sim_chan_shadow_init(&sh->p, sigma, c->shadow_corr_m, sh->key);
            sh->srv = SIZE_MAX;
        }
    }
    switch (c->model) {
    case SCN_CHAN_SHANNON:
        k->model = SIM_CHAN_RATE_SHANNON;
        break;
    case SCN_CHAN_MCS:
        k->model = SIM_CHAN_RATE_MCS;
        k->mcs = &w->mcs;
        k->eta = 1;
        break;
    case SCN_CHAN_TRACE:
        k->model = SIM_CHAN_RATE_TRACE;
        if (!(k->trace = link_alloc(sizeof *k->trace, err)))
            return OFF_ENOMEM;
        if ((st = sim_chan_trace_load(k->trace, c->trace_path, c->trace_loop, err)))
            return st;
        break;
    default:
        break;
    }
    if (c->fading != SCN_FADE_NONE && c->model != SCN_CHAN_TRACE) {
        double T = c->coherence_s > 0 ? c->coherence_s
                                      : sim_chan_coherence_time_s(c->doppler_hz);
        sim_chan_fading_cfg fc = {c->fading == SCN_FADE_BLOCK ? SIM_CHAN_FADING_BLOCK
                                                              : SIM_CHAN_FADING_GM,
                                  c->k_factor, T,
                                  c->fading == SCN_FADE_GAUSS_MARKOV
                                      ? sim_chan_gm_rho(c->doppler_hz, T)
                                      : 0};
        if (!(k->fading = link_alloc(sizeof *k->fading, err)))
            return OFF_ENOMEM;
        if ((st = sim_chan_fading_init(k->fading, &fc, key, err))) {
            char name[SIM_DEVICE_NAME_MAX];
            return off_errf(err, st, file, c->pos.line, c->pos.col,
                            "fading of the %s of device '%s': %s", dir,
                            sim_device_name(dev, name), err->msg);
        }
    }
    if (c->outage) {
        sim_chan_ge_cfg gc;
        if (!(k->ge = link_alloc(sizeof *k->ge, err)))
            return OFF_ENOMEM;
        if ((st = sim_chan_ge_cfg_sojourn(&gc, c->outage_slot_s, c->good_s, c->bad_s,
                                          c->bad_factor, err)) ||
            (st = sim_chan_ge_init(k->ge, &gc, off_mix64(key ^ 0x6e0u), err))) {
            char name[SIM_DEVICE_NAME_MAX];
            return off_errf(err, st, file, c->pos.line, c->pos.col,
                            "outage of the %s of device '%s': %s", dir,
                            sim_device_name(dev, name), err->msg);
        }
    }
    /* the rate at the mean SNR, without fading or outage: the estimate
     * before the first transfer has been measured */
    sim_chan_link mean = *k;
    mean.fading = NULL;
    mean.ge = NULL;
    double next;
    l->nominal_bps = k->model == SIM_CHAN_RATE_TRACE ? sim_chan_trace_rate(k->trace, 0, &next)
                                                     : sim_chan_link_rate(&mean, 0, &next);
    l->est_bps = l->nominal_bps;
    return OFF_OK;
}

void sim_link_free(sim_link *l)
{
    free(l->hist);
    l->hist = NULL;
    if (l->chan) { /* what the block points to; the block is the world's */
        sim_link_var *v = sim_link_var_of(l);
        if (l->chan->trace)
            sim_chan_trace_free(l->chan->trace);
        free(l->chan->trace);
        free(l->chan->fading);
        free(l->chan->ge);
        free(v->shadow);
        v->shadow = NULL;
        l->chan = NULL;
    }
}

/* ---- transfers, estimates ----------------------------------------------- */

double sim_link_rate(sim_link *l, double t, double *next)
{
    if (!l->varying) {
        *next = INFINITY;
        return l->cfg->rate_bps;
    }
    /* the rate is constant from the last query to its next boundary: a
     * cell re-asks at every start and end of any upload, so memoise it */
    sim_link_var *v = sim_link_var_of(l);
    if (t >= v->memo_t && t < v->memo_next) {
        *next = v->memo_next;
        return v->memo_rate;
    }
    v->memo_rate = sim_chan_link_rate(l->chan, t, next);
    v->memo_t = t;
    v->memo_next = *next;
    return v->memo_rate;
}

double sim_link_duration(sim_world *w, sim_link *l, double t0, double bytes)
{
    if (bytes <= 0)
        return 0.0;
    if (!l->varying)
        return isinf(l->cfg->rate_bps) ? 0.0 : bytes * 8.0 / l->cfg->rate_bps;
    double t_end;
    off_err e;
    if (sim_chan_transfer_end(sim_chan_link_rate, l->chan, t0, bytes, &t_end, &e)) {
        sim_fail(w, OFF_ERUNTIME, e.msg);
        return 0.0;
    }
    return t_end - t0; /* +inf if the rate never comes back */
}

void sim_link_observe(sim_link *l, double bytes, double dur)
{
    if (!(bytes > 0) || !(dur > 0) || !isfinite(dur))
        return;
    double x = bytes * 8.0 / dur;
    const scn_estimator *e = &l->cfg->est;
    switch (e->kind) {
    case SCN_EST_LAST:
        l->est_bps = x;
        break;
    case SCN_EST_EWMA:
        l->est_bps = l->n_hist ? e->alpha * x + (1 - e->alpha) * l->est_bps : x;
        l->n_hist = 1; /* the first sample is taken as it is */
        break;
    case SCN_EST_HARMONIC: {
        size_t k = HIST_K(e);
        l->hist[l->hist_pos] = x;
        l->hist_pos = (l->hist_pos + 1) % k;
        if (l->n_hist < k)
            l->n_hist++;
        double inv = 0;
        for (size_t i = 0; i < l->n_hist; i++)
            inv += 1.0 / l->hist[i];
        l->est_bps = (double)l->n_hist / inv;
        break;
    }
    }
}

/* ---- the shared cell ------------------------------------------------------ */

#define CELL_EPS_BITS 1e-6

static sim_handler ev_cell;

/* Advance every transfer to now at the rates set at the last update. */
static void cell_advance(sim_cell *c, double now)
{
    double dt = now - c->t_last;
    if (dt > 0)
        for (size_t i = 0; i < c->n; i++)
            c->x[i].bits -= c->x[i].rate * dt;
    c->t_last = now;
}

/* OFDMA: the link's received power now, mW (transmit power + path gain +
 * fading), its Gilbert-Elliott multiplier, and when either changes. */
static double rx_mw(sim_link *l, double t, double *mult, double *next)
{
    double n1 = INFINITY, n2 = INFINITY, g = 1;
    const sim_chan_link *k = l->chan;
    if (k->fading)
        g = sim_chan_fading_gain(k->fading, t, &n1);
    *mult = k->ge ? sim_chan_ge_mult(k->ge, t, &n2) : 1.0;
    *next = fmin(n1, n2);
    return sim_chan_db_to_lin(k->ptx_dbm + k->gain_db) * g;
}

static bool is_ofdma(const sim_link *l)
{
    return l->cfg->chan.subchannels > 0;
}

/* New shares and the next event: the earliest finish or rate change.
 * Equal time shares among the cell's TDMA uploads; an OFDMA upload gets its
 * subchannel's Shannon rate at its SINR, the other OFDMA uploads on the same
 * subchannel being its interference (Hao et al., MAHPPO):
 *   rate_i = GE_i eta (W/K) log2(1 + S_i / (sum_{j same subch} S_j + N_i)). */
static void cell_update(sim_world *w, sim_cell *c)
{
    double now = sim_engine_now(w->eng), t_next = INFINITY;
    size_t n_tdma = 0;
    for (size_t i = 0; i < c->n; i++) {
        sim_cell_xfer *x = &c->x[i];
        if (is_ofdma(x->link)) {
            double next;
            x->s_mw = rx_mw(x->link, now, &x->mult, &next);
            t_next = fmin(t_next, next);
        } else {
            n_tdma++;
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        sim_cell_xfer *x = &c->x[i];
        sim_link *l = x->link;
        double next = INFINITY;
        if (is_ofdma(l)) {
            double in = 0, K = (double)l->cfg->chan.subchannels;
            for (size_t j = 0; j < c->n; j++)
                if (j != i && is_ofdma(c->x[j].link) && c->x[j].link->subch == l->subch)
                    in += c->x[j].s_mw;
            double bw = l->chan->bandwidth_hz / K;
            double noise = sim_chan_db_to_lin(sim_chan_noise_dbm(bw, l->chan->n0_dbm_hz,
                                                                 l->chan->nf_db));
            x->rate = x->mult * sim_chan_shannon_bps(bw, x->s_mw / (in + noise), l->chan->eta);
        } else {
            x->rate = sim_link_rate(l, now, &next) / (double)n_tdma;
        }
        double fin = x->rate > 0 ? now + x->bits / x->rate : INFINITY;
        t_next = fmin(t_next, fmin(fin, next));
    }
    /* Move the pending event in place rather than cancel and schedule anew
     * (it happens at every start and end of an upload): the order of events
     * is the same, the engine's queue keeps no cancelled entry. */
    if (c->ev && isfinite(t_next) && sim_engine_reschedule(w->eng, c->ev, t_next))
        return;
    if (c->ev)
        sim_engine_cancel(w->eng, c->ev);
    c->ev = 0;
    if (isfinite(t_next)) {
        c->ev = sim_engine_schedule(w->eng, t_next, ev_cell, w, c->index);
        if (!c->ev)
            sim_fail(w, OFF_ENOMEM, "out of memory scheduling a cell event");
    }
}

static void ev_cell(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    sim_cell *c = &w->cells[arg];
    double now = sim_engine_now(e);
    c->ev = 0;
    cell_advance(c, now);
    /* finished transfers leave (in their start order), then the rest
     * continue with new shares */
    size_t k = 0, nd = 0;
    uint32_t done[64];
    for (size_t i = 0; i < c->n; i++) {
        sim_cell_xfer *x = &c->x[i];
        /* done when what is left is rounding: a few bits' worth of the
         * clock's resolution at this time, or less */
        double tol = CELL_EPS_BITS + 1e-12 * x->total_bits + x->rate * 8e-16 * (1 + fabs(now));
        if (x->bits <= tol && nd < 64)
            done[nd++] = x->task;
        else
            c->x[k++] = *x;
    }
    c->n = k;
    cell_update(w, c);
    for (size_t i = 0; i < nd; i++)
        sim_done_call(&c->uploaded, done[i]);
}

off_status sim_cells_init(sim_world *w, off_err *err)
{
    w->cells = calloc(w->n_srv ? w->n_srv : 1, sizeof *w->cells);
    if (!w->cells)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t j = 0; j < w->n_srv; j++)
        w->cells[j].index = j;
    return OFF_OK;
}

void sim_cells_free(sim_world *w)
{
    if (!w->cells)
        return;
    for (size_t j = 0; j < w->n_srv; j++)
        free(w->cells[j].x);
    free(w->cells);
    w->cells = NULL;
}

void sim_cell_start(sim_world *w, sim_cell *c, sim_link *l, uint32_t ti, double bytes)
{
    double now = sim_engine_now(w->eng);
    cell_advance(c, now);
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        sim_cell_xfer *nx = realloc(c->x, nc * sizeof *nx);
        if (!nx) {
            sim_fail(w, OFF_ENOMEM, "out of memory in a cell");
            return;
        }
        c->x = nx;
        c->cap = nc;
    }
    c->x[c->n++] = (sim_cell_xfer){ti, l, bytes * 8.0, bytes * 8.0, 0, 0, 1};
    cell_update(w, c);
}

size_t sim_cell_active(const sim_cell *c)
{
    return c->n;
}
