/*
 * sim_power.c - radio tail states, a fixed DVFS level and a battery for
 * each device (sim_power.h; docs/models-reference.md, "Device radios and
 * power").
 *
 * Radio tail (Huang et al., MobiSys 2012): when the last transfer in
 * progress on a device ends, its radio goes through the tail states
 * (durations D_k, powers P_k) before it is idle; a transfer that starts
 * meanwhile cuts the tail short, and only the elapsed part was drawn.
 *
 * Who pays for a tail.  A task's energy must be final when it completes
 * (its row is written and its policy rewarded then), but the tail after
 * its last transfer is usually still running, and whether it will run out
 * or be cut depends on tasks not yet arrived.  So: the tail is charged to
 * the task whose transfer started it for as long as that task is in
 * flight; what the tail draws after that task completed is charged to the
 * next task that starts a transfer on the device (the one that cuts it
 * short or, once it ran out, follows it).  The tail of the device's last
 * transfer has no such task: it is reported as the device's unattributed
 * tail.  Every joule of tail is thus counted once:
 *
 *   device energy = sum of its tasks' energies + unattributed tail.
 *
 * DVFS (Burd & Brodersen 1996; Mao et al. 2017): at level f of levels up to
 * f_max, device compute time scales by f_max / f and the active power is
 * the level's own, kappa f^3, or power.active (f / f_max)^3.
 *
 * Battery: it holds capacity_j; the device dies when its drain integral
 * reaches it (exact crossing time, the drain being piecewise constant).
 * A dead device generates no more tasks; tasks already arrived finish, and
 * what they draw after the death is reported as a deficit (remaining < 0).
 */
#include "sim_world.h"

#include <math.h>
#include <string.h>

#define NO_TASK UINT32_MAX

/* The DVFS level of group c: its frequency (0 without dvfs), compute time
 * multiplier and active power. */
static void dvfs_level(const scn_device *c, double *freq_hz, double *time_scale,
                       double *active_w)
{
    *freq_hz = 0;
    *time_scale = 1.0;
    *active_w = c->power_active_w;
    if (c->dvfs.n_levels) {
        const scn_dvfs *v = &c->dvfs;
        double fmax = v->levels[v->n_levels - 1].freq_hz;
        double f = v->levels[v->level].freq_hz, pw = v->levels[v->level].power_w;
        *freq_hz = f;
        *time_scale = fmax / f; /* exactly 1 at the top level */
        if (pw >= 0) {
            *active_w = pw;
        } else if (v->kappa > 0) {
            *active_w = v->kappa * f * f * f;
        } else {
            double r = f / fmax;
            *active_w = c->power_active_w * r * r * r;
        }
    }
}

void sim_power_init(sim_device *d, sim_power_ext *ext)
{
    const scn_device *c = d->cfg;
    sim_power *p = &d->pw;
    double freq_hz;
    memset(p, 0, sizeof *p);
    dvfs_level(c, &freq_hz, &p->time_scale, &p->active_w);
    p->ext = ext;
    if (ext) {
        memset(ext, 0, sizeof *ext);
        ext->tail_t0 = NAN;
        ext->tail_owner = NO_TASK;
        ext->t_death = INFINITY;
    }
}

/* End of tail state k, s from the tail's start: the running sum of the
 * states' durations, added in order (the same bits every time).  Summed
 * where needed rather than kept: the table would be 64 bytes of every
 * device record, the same for every device of a group. */
static double tail_end_s(const scn_device *c, size_t k)
{
    double cum = 0;
    for (size_t i = 0; i <= k; i++)
        cum += c->radio.tail[i].duration_s;
    return cum;
}

/* Everything but the tail, W. */
static double base_w(const sim_power *p, const scn_device *c)
{
    return (double)p->n_cpu * p->active_w + (double)p->n_tx * c->power_tx_w +
           (double)p->n_rx * c->power_rx_w + (double)p->n_wait * c->power_idle_w;
}

/* Integrate the drain from p->t_acc to t, segment by segment (the power
 * changes only at tail-state boundaries in between), noting the battery's
 * death at the exact crossing. */
static void advance(sim_power *p, const scn_device *c, double t)
{
    sim_power_ext *x = p->ext;
    if (!x) { /* no tail, no battery: one segment */
        if (p->t_acc < t) {
            p->energy_j += base_w(p, c) * (t - p->t_acc);
            p->t_acc = t;
        }
        return;
    }
    double capacity_j = c->battery.capacity_j;
    while (p->t_acc < t) {
        double a = p->t_acc, b = t, tail_w = 0;
        bool in_tail = !isnan(x->tail_t0) && x->tail_k < c->radio.n_tail;
        if (in_tail) {
            double end = x->tail_t0 + tail_end_s(c, x->tail_k);
            if (!(end > a)) { /* this state is over: the next one */
                x->tail_k++;
                continue;
            }
            if (end < b)
                b = end;
            tail_w = c->radio.tail[x->tail_k].power_w;
        }
        double dt = b - a, pw = base_w(p, c) + tail_w, e = pw * dt;
        if (capacity_j > 0 && isinf(x->t_death) && p->energy_j + e >= capacity_j)
            x->t_death = pw > 0 ? a + (capacity_j - p->energy_j) / pw : a;
        p->energy_j += e;
        x->tail_j += tail_w * dt;
        x->tail_cur_j += tail_w * dt;
        p->t_acc = b;
    }
}

/* The current tail's uncharged part goes to task ti; the tail stays. */
static void charge_tail(sim_world *w, sim_power_ext *x, uint32_t ti)
{
    double rest = x->tail_cur_j - x->tail_cur_charged_j;
    sim_task_at(w, ti)->tail_j += rest;
    x->tail_task_j += rest;
    x->tail_cur_charged_j = x->tail_cur_j;
}

void sim_power_begin(sim_world *w, sim_device *d, sim_pw_kind k, uint32_t ti)
{
    sim_power *p = &d->pw;
    advance(p, d->cfg, sim_engine_now(w->eng));
    if (k == SIM_PW_CPU) {
        p->n_cpu++;
        return;
    }
    sim_power_ext *x = p->ext;
    if (x && !isnan(x->tail_t0)) { /* the radio wakes: the tail ends here */
        charge_tail(w, x, x->tail_owner != NO_TASK ? x->tail_owner : ti);
        x->tail_t0 = NAN;
        x->tail_owner = NO_TASK;
        x->tail_cur_j = x->tail_cur_charged_j = 0;
    }
    if (k == SIM_PW_TX) {
        p->n_tx++;
    } else {
        p->n_rx++;
        if (p->n_wait) /* its wait for the result ends */
            p->n_wait--;
    }
}

void sim_power_end(sim_world *w, sim_device *d, sim_pw_kind k, uint32_t ti)
{
    sim_power *p = &d->pw;
    double now = sim_engine_now(w->eng);
    advance(p, d->cfg, now);
    switch (k) {
    case SIM_PW_CPU:
        if (p->n_cpu)
            p->n_cpu--;
        return;
    case SIM_PW_TX:
        if (p->n_tx)
            p->n_tx--;
        p->n_wait++; /* until its result starts */
        break;
    case SIM_PW_RX:
        if (p->n_rx)
            p->n_rx--;
        break;
    }
    sim_power_ext *x = p->ext;
    if (p->n_tx + p->n_rx == 0 && d->cfg->radio.n_tail) { /* then x is there */
        x->tail_t0 = now;
        x->tail_k = 0;
        x->tail_owner = ti;
        x->tail_cur_j = x->tail_cur_charged_j = 0;
    }
}

void sim_power_task_done(sim_world *w, sim_device *d, uint32_t ti)
{
    sim_power *p = &d->pw;
    sim_power_ext *x = p->ext;
    if (!x || x->tail_owner != ti)
        return;
    advance(p, d->cfg, sim_engine_now(w->eng));
    charge_tail(w, x, ti);
    x->tail_owner = NO_TASK;
}

bool sim_power_dead(sim_world *w, sim_device *d)
{
    if (!(d->cfg->battery.capacity_j > 0)) /* the group's: shared, cached */
        return false;
    sim_power *p = &d->pw; /* a battery: p->ext is there */
    advance(p, d->cfg, sim_engine_now(w->eng));
    return !isinf(p->ext->t_death);
}

void sim_device_energy_get(const sim_world *w, size_t i, sim_device_energy *out)
{
    const sim_device *d = &w->dev[i];
    const scn_device *c = d->cfg;
    /* a copy, run on to the end of a running tail */
    sim_power p = d->pw;
    sim_power_ext x = {.tail_t0 = NAN, .tail_owner = NO_TASK, .t_death = INFINITY};
    if (p.ext)
        x = *p.ext;
    p.ext = p.ext ? &x : NULL;
    double t = sim_engine_now(w->eng);
    if (!isnan(x.tail_t0) && c->radio.n_tail) {
        double end = x.tail_t0 + tail_end_s(c, c->radio.n_tail - 1);
        if (end > t)
            t = end;
    }
    advance(&p, c, t);
    double freq_hz, time_scale, active_w;
    dvfs_level(c, &freq_hz, &time_scale, &active_w);
    double capacity_j = c->battery.capacity_j;
    out->energy_j = p.energy_j;
    out->tail_j = x.tail_j;
    out->tail_unattributed_j = x.tail_j - x.tail_task_j;
    out->capacity_j = capacity_j;
    out->remaining_j = capacity_j > 0 ? capacity_j - p.energy_j : INFINITY;
    out->t_death = x.t_death;
    out->freq_hz = freq_hz;
    out->time_scale = p.time_scale;
    out->active_w = p.active_w;
}

size_t sim_world_n_devices(const sim_world *w)
{
    return w->n_dev;
}
