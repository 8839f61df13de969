/*
 * pol_predict.c - predicted latency and device energy of an action, for
 * the model-based policies (Neurosurgeon, Edgent, DyNO).  The model of the
 * prediction is stated in pol.h, "predicted costs"; it follows the
 * simulator's task lifecycle (sim/sim_task.c) so that on an idle world
 * with exact rates the prediction is the realised latency.
 */
#include "pol.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Weight of the newest offload in the running mean of server work. */
#define SRV_FRAC_WEIGHT 0.125

off_status pol_pred_init(pol_pred *p, const mdl_model *m, off_err *err)
{
    memset(p, 0, sizeof *p);
    size_t E = m->n_exits, L = m->n_layers, S = L + 1, nb = m->n_bits;
    /* dev_macs, srv_macs, payload, then 2 * SLOTS tables of seconds */
    size_t n = 2 * E * S + S * nb + 2 * POL_PRED_SLOTS * E * S;
    double *mem = calloc(n, sizeof *mem);
    if (!mem)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    p->model = m;
    p->stride = S;
    p->mem = mem;
    p->dev_macs = mem;
    p->srv_macs = mem + E * S;
    p->payload = mem + 2 * E * S;
    double *tab = p->payload + S * nb;
    for (size_t i = 0; i < POL_PRED_SLOTS; i++) {
        p->dev[i].s = tab + (2 * i) * E * S;
        p->srv[i].s = tab + (2 * i + 1) * E * S;
    }
    for (size_t e = 0; e < E; e++) {
        size_t after = m->exits[e].after;
        for (size_t s = 0; s < S; s++) {
            size_t sp = s < after ? s : after;
            p->dev_macs[e * S + s] = mdl_device_macs(m, e, sp);
            p->srv_macs[e * S + s] = sp < after ? mdl_server_macs(m, e, sp) : 0.0;
        }
    }
    /* The payload does not depend on the exit while the task is offloaded:
     * cost it against the final exit (after = L), where every s < L is; a
     * trained model's measured mean when it has one. */
    for (size_t s = 0; s < L; s++)
        for (size_t b = 0; b < nb; b++)
            p->payload[s * nb + b] = m->payload_mean ? m->payload_mean[s * nb + b]
                                                     : mdl_payload_bytes(m, E - 1, s, m->bits[b]);
    p->srv_frac = 1.0;
    return OFF_OK;
}

void pol_pred_free(pol_pred *p)
{
    if (!p)
        return;
    free(p->mem);
    memset(p, 0, sizeof *p);
}

/* The slot holding (prof, bits) on one side, filled on a miss. */
static const double *profile_table(const pol_pred *p, pol_pred_table *slots,
                                   unsigned *next, const mdl_profile *prof, int bits,
                                   bool device)
{
    for (size_t i = 0; i < POL_PRED_SLOTS; i++)
        if (slots[i].prof == prof && slots[i].bits == bits)
            return slots[i].s;
    pol_pred_table *t = &slots[*next];
    *next = (*next + 1) % POL_PRED_SLOTS;
    const mdl_model *m = p->model;
    size_t S = p->stride;
    for (size_t e = 0; e < m->n_exits; e++) {
        size_t after = m->exits[e].after;
        for (size_t s = 0; s <= after; s++)
            t->s[e * S + s] = device ? mdl_profile_device_seconds(prof, m, e, s, bits)
                              : s < after ? mdl_profile_server_seconds(prof, m, e, s, bits)
                                          : 0.0;
        for (size_t s = after + 1; s < S; s++)
            t->s[e * S + s] = t->s[e * S + after];
    }
    t->prof = prof;
    t->bits = bits;
    return t->s;
}

static double per_byte(double rate_bps)
{
    return isinf(rate_bps) ? 0.0 : 8.0 / rate_bps;
}

/* Seconds per byte on a backhaul: 0 for none (rate 0, as a zeroed
 * observation has it, or INFINITY). */
static double backhaul_per_byte(double rate_bps)
{
    return rate_bps > 0 && !isinf(rate_bps) ? 8.0 / rate_bps : 0.0;
}

void pol_pred_begin(pol_pred *p, const pol_obs *o, pol_pred_ctx *c)
{
    const mdl_model *m = p->model;
    c->model = m;
    c->stride = p->stride;
    c->n_bits = m->n_bits;
    c->payload = p->payload;
    if (o->device_profile) {
        c->dev = profile_table(p, p->dev, &p->dev_next, o->device_profile,
                               o->device_compute_bits, true);
        c->dev_scale = 1.0;
    } else {
        c->dev = p->dev_macs;
        c->dev_scale = 1.0 / o->device_speed_macs;
    }
    if (o->server_profile) {
        c->srv = profile_table(p, p->srv, &p->srv_next, o->server_profile,
                               o->server_compute_bits, false);
        c->srv_scale = 1.0;
    } else {
        c->srv = p->srv_macs;
        c->srv_scale = 1.0 / o->server_speed_macs;
    }
    c->dev_backlog_s = o->device_backlog_s > 0 ? o->device_backlog_s : 0.0;
    c->up_backlog_s = o->uplink_backlog_s > 0 ? o->uplink_backlog_s : 0.0;
    c->up_s_per_byte = per_byte(o->uplink_rate_bps);
    c->up_delay_s = o->uplink_delay_s;
    double rb = m->result_bytes;
    c->down_tx_s = rb > 0 ? rb * per_byte(o->downlink_rate_bps) : 0.0;
    c->down_delay_s = o->downlink_delay_s;
    /* a cloud server's backhaul, crossed after the uplink and before the
     * downlink: rtt/2 + bytes / rate each way (sim/sim_backhaul.c) */
    double bh_half = o->server_backhaul_rtt_s > 0 ? 0.5 * o->server_backhaul_rtt_s : 0.0;
    c->bh_s_per_byte = backhaul_per_byte(o->server_backhaul_rate_bps);
    c->bh_up_delay_s = bh_half;
    c->bh_down_s = bh_half + (rb > 0 ? rb * c->bh_s_per_byte : 0.0);
    /* without a backhaul these equal the uplink's terms exactly (x + 0) */
    c->send_s_per_byte = c->up_s_per_byte + c->bh_s_per_byte;
    c->send_delay_s = c->up_delay_s + c->bh_up_delay_s;
    size_t cores = o->server_cores ? o->server_cores : 1;
    size_t ahead = o->server_busy + o->server_queue;
    if (ahead < cores) {
        c->server_free_s = 0.0;
    } else {
        size_t E = m->n_exits;
        double full_s = c->srv[(E - 1) * c->stride] * c->srv_scale;
        c->server_free_s =
            (double)(ahead - cores + 1) * p->srv_frac * full_s / (double)cores;
    }
    c->p_active_w = o->device_power_active_w;
    c->p_tx_w = o->device_power_tx_w;
    c->p_rx_w = o->device_power_rx_w;
    c->p_idle_w = o->device_power_idle_w;
}

void pol_pred_eval(const pol_pred_ctx *c, size_t exit, size_t split, size_t bits_idx,
                   pol_pred_cost *out)
{
    size_t after = c->model->exits[exit].after;
    size_t row = exit * c->stride;
    memset(out, 0, sizeof *out);
    if (split >= after) {
        out->local = true;
        out->device_s = c->dev[row + after] * c->dev_scale;
        out->latency_s = c->dev_backlog_s + out->device_s;
        out->energy_j = c->p_active_w * out->device_s;
        return;
    }
    double t = 0.0;
    if (split) {
        out->device_s = c->dev[row + split] * c->dev_scale;
        t = c->dev_backlog_s + out->device_s;
    }
    if (t < c->up_backlog_s)
        t = c->up_backlog_s;
    out->payload_bytes = c->payload[split * c->n_bits + bits_idx];
    out->uplink_s = out->payload_bytes > 0 ? out->payload_bytes * c->up_s_per_byte : 0.0;
    out->backhaul_s = c->bh_up_delay_s + out->payload_bytes * c->bh_s_per_byte + c->bh_down_s;
    /* the same operations in the same order as pol_pred_latency */
    if (out->payload_bytes > 0)
        t += out->payload_bytes * c->send_s_per_byte;
    t += c->send_delay_s;
    out->server_wait_s = c->server_free_s > t ? c->server_free_s - t : 0.0;
    t += out->server_wait_s;
    out->server_s = c->srv[row + split] * c->srv_scale;
    out->downlink_s = c->down_tx_s;
    out->latency_s = t + out->server_s + c->bh_down_s + c->down_tx_s + c->down_delay_s;
    out->energy_j = c->p_active_w * out->device_s + c->p_tx_w * out->uplink_s +
                    c->p_rx_w * out->downlink_s +
                    c->p_idle_w * (c->up_delay_s + out->backhaul_s + out->server_wait_s +
                                   out->server_s);
}

void pol_pred_note(pol_pred *p, const pol_pred_ctx *c, size_t exit, size_t split)
{
    const mdl_model *m = p->model;
    if (split >= m->exits[exit].after)
        return;
    double full = c->srv[(m->n_exits - 1) * c->stride];
    double mine = c->srv[exit * c->stride + split];
    if (!(full > 0) || !isfinite(mine))
        return;
    p->srv_frac += SRV_FRAC_WEIGHT * (mine / full - p->srv_frac);
}
