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

void sim_power_init(sim_device *d)
{
    const scn_device *c = d->cfg;
    sim_power *p = &d->pw;
    memset(p, 0, sizeof *p);
    p->active_w = c->power_active_w;
    p->time_scale = 1.0;
    if (c->dvfs.n_levels) {
        const scn_dvfs *v = &c->dvfs;
        double fmax = v->levels[v->n_levels - 1].freq_hz;
        double f = v->levels[v->level].freq_hz, pw = v->levels[v->level].power_w;
        p->freq_hz = f;
        p->time_scale = fmax / f; /* exactly 1 at the top level */
        if (pw >= 0) {
            p->active_w = pw;
        } else if (v->kappa > 0) {
            p->active_w = v->kappa * f * f * f;
        } else {
            double r = f / fmax;
            p->active_w = c->power_active_w * r * r * r;
        }
    }
    p->tail_t0 = NAN;
    p->tail_owner = NO_TASK;
    p->capacity_j = c->battery.capacity_j;
    p->t_death = INFINITY;
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
    while (p->t_acc < t) {
        double a = p->t_acc, b = t, tail_w = 0;
        bool in_tail = !isnan(p->tail_t0) && p->tail_k < c->radio.n_tail;
        if (in_tail) {
            double end = p->tail_t0 + tail_end_s(c, p->tail_k);
            if (!(end > a)) { /* this state is over: the next one */
                p->tail_k++;
                continue;
            }
            if (end < b)
                b = end;
            tail_w = c->radio.tail[p->tail_k].power_w;
        }
        double dt = b - a, pw = base_w(p, c) + tail_w, e = pw * dt;
        if (p->capacity_j > 0 && isinf(p->t_death) && p->energy_j + e >= p->capacity_j)
            p->t_death = pw > 0 ? a + (p->capacity_j - p->energy_j) / pw : a;
        p->energy_j += e;
        p->tail_j += tail_w * dt;
        p->tail_cur_j += tail_w * dt;
        p->t_acc = b;
    }
}

/* The current tail's uncharged part goes to task ti; the tail stays. */
static void charge_tail(sim_world *w, sim_power *p, uint32_t ti)
{
    double rest = p->tail_cur_j - p->tail_cur_charged_j;
    sim_task_at(w, ti)->tail_j += rest;
    p->tail_task_j += rest;
    p->tail_cur_charged_j = p->tail_cur_j;
}

void sim_power_begin(sim_world *w, sim_device *d, sim_pw_kind k, uint32_t ti)
{
    sim_power *p = &d->pw;
    advance(p, d->cfg, sim_engine_now(w->eng));
    if (k == SIM_PW_CPU) {
        p->n_cpu++;
        return;
    }
    if (!isnan(p->tail_t0)) { /* the radio wakes: the tail ends here */
        charge_tail(w, p, p->tail_owner != NO_TASK ? p->tail_owner : ti);
        p->tail_t0 = NAN;
        p->tail_owner = NO_TASK;
        p->tail_cur_j = p->tail_cur_charged_j = 0;
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
    if (p->n_tx + p->n_rx == 0 && d->cfg->radio.n_tail) {
        p->tail_t0 = now;
        p->tail_k = 0;
        p->tail_owner = ti;
        p->tail_cur_j = p->tail_cur_charged_j = 0;
    }
}

void sim_power_task_done(sim_world *w, sim_device *d, uint32_t ti)
{
    sim_power *p = &d->pw;
    if (p->tail_owner != ti)
        return;
    advance(p, d->cfg, sim_engine_now(w->eng));
    charge_tail(w, p, ti);
    p->tail_owner = NO_TASK;
}

bool sim_power_dead(sim_world *w, sim_device *d)
{
    if (!(d->cfg->battery.capacity_j > 0)) /* the group's: shared, cached */
        return false;
    sim_power *p = &d->pw;
    advance(p, d->cfg, sim_engine_now(w->eng));
    return !isinf(p->t_death);
}

void sim_device_energy_get(const sim_world *w, size_t i, sim_device_energy *out)
{
    const sim_device *d = &w->dev[i];
    const scn_device *c = d->cfg;
    sim_power p = d->pw; /* a copy, run on to the end of a running tail */
    double t = sim_engine_now(w->eng);
    if (!isnan(p.tail_t0) && c->radio.n_tail) {
        double end = p.tail_t0 + tail_end_s(c, c->radio.n_tail - 1);
        if (end > t)
            t = end;
    }
    advance(&p, c, t);
    out->energy_j = p.energy_j;
    out->tail_j = p.tail_j;
    out->tail_unattributed_j = p.tail_j - p.tail_task_j;
    out->capacity_j = p.capacity_j;
    out->remaining_j = p.capacity_j > 0 ? p.capacity_j - p.energy_j : INFINITY;
    out->t_death = p.t_death;
    out->freq_hz = p.freq_hz;
    out->time_scale = p.time_scale;
    out->active_w = p.active_w;
}

size_t sim_world_n_devices(const sim_world *w)
{
    return w->n_dev;
}
