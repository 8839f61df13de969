/*
 * sim_task.c - the task lifecycle as events.
 *
 *   arrival(device) -> decide -> [device FIFO] compute -> [uplink FIFO]
 *   transmit -> propagate -> [a cloud server's backhaul FIFO, sim_backhaul.c]
 *   -> [server: fcfs, ps or edf on c cores, maybe batched; sim_server.c]
 *   compute -> [backhaul FIFO] -> [downlink FIFO] transmit -> propagate ->
 *   done
 *
 * This file is the only caller of the stages: it starts each resource's
 * part of a task, and the resources (a server, a shared cell, a backhaul)
 * hand the task back through the sim_done callbacks set in
 * sim_tasks_wire, never by calling in here by name.
 *
 * Every random draw of a task (its work and its outcome) is made at arrival
 * from the device's own streams, whatever the policy then decides, so that
 * two policies see the same tasks (common random numbers).
 *
 * Device energy of a task = P_active * device compute time + P_tx * upload
 * transmission time + P_rx * result reception time + P_idle * the time
 * between the end of its upload and the start of its result + the radio
 * tail charged to it; P_active and the compute time at the device's DVFS
 * level.  Tails, DVFS and the battery: sim_power.c, hooked in below.
 */
#include "sim_task.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim_util.h"

static sim_handler ev_arrival, ev_dev_done, ev_up_done, ev_srv_arrive, ev_down_done,
    ev_done;

/* A Poisson gap from its uniform u, computed as gsl_ran_exponential does
 * (-mu log1p(-u), bit for bit: test_sim_rng checks it), so that the first
 * arrivals' past-the-end test below can use the uniform it drew. */
static double poisson_gap(double u, double rate_hz)
{
    double mu = 1.0 / rate_hz;
    return -mu * log1p(-u);
}

/* Draw the next arrival time of device d after now; INFINITY if none. */
static double next_arrival(sim_world *w, sim_device *d, double now, bool first)
{
    const scn_arrivals *a = &d->cfg->arrivals;
    gsl_rng g = sim_rng_view(&w->arr_rng[d - w->dev]);
    switch (a->kind) {
    case SCN_ARR_POISSON:
        return now + poisson_gap(gsl_rng_uniform(&g), a->rate_hz);
    case SCN_ARR_PERIODIC:
        if (first)
            return a->phase_s >= 0 ? a->phase_s
                                   : gsl_rng_uniform(&g) * a->period_s;
        return now + a->period_s;
    case SCN_ARR_TRACE:
        (void)w;
        return d->trace_pos < a->n_trace ? a->trace_s[d->trace_pos++] : INFINITY;
    }
    return INFINITY;
}

static bool arrivals_open(const sim_world *w, double t)
{
    const scn_scenario *s = w->scn;
    if (w->arrivals_closed)
        return false;
    if (!(t < s->duration_s))
        return false;
    return true;
}

/* Device records beyond which the next arrival's is prefetched (above a
 * typical L2 cache). */
#define PREFETCH_MIN_BYTES ((size_t)1 << 20)

/* The draw of a Poisson first arrival from which it is certainly at or
 * after the run's end (duration): u >= 1 - exp(-duration * rate) means
 * -log1p(-u) / rate >= duration, and the margin of 1e-9 covers the few
 * ulps by which the computed logarithm, product and this bound can err. */
static double first_arrival_cut(const scn_arrivals *a, double duration)
{
    double mu = 1.0 / a->rate_hz;
    return -expm1(-duration / mu) + 1e-9;
}

/* Device i's first arrival at t, if it comes in time: into the batch
 * (ev, *m) if there is one, else scheduled. */
static void start_arrival(sim_world *w, size_t i, double t, sim_batch_ev *ev, size_t *m)
{
    if (!arrivals_open(w, t)) /* t < duration: never NaN or infinite */
        return;
    if (ev)
        ev[(*m)++] = (sim_batch_ev){ t, i };
    else if (sim_schedule(w, t, ev_arrival, i))
        w->arr_pending++;
}

/* The first arrivals of a Poisson group, devices [k, end), as
 * next_arrival(w, d, 0, true) draws them: one pass over their arrival
 * streams (w->arr_rng, 32 bytes a device, in order: the records are not
 * read), 8 streams at a time (sim_rng_words: the streams are fresh, and
 * one block alone is a chain of dependent multiplies).  A word is
 * compared with the cut first, as a number of 2^-32 (exactly: the word
 * times 2^-32 is the uniform, and the cut times 2^32 is exact too): an
 * arrival certainly past the end (with 10^6 devices 80 % of them) takes
 * no logarithm and is not scheduled; its stream advanced just the same. */
static void start_poisson_group(sim_world *w, const scn_arrivals *a, size_t k, size_t end,
                                sim_batch_ev *ev, size_t *m)
{
    double cut32 = first_arrival_cut(a, w->scn->duration_s) * 0x1p32;
    for (size_t i0 = k; i0 < end; i0 += SIM_RNG_LANES) {
        size_t n = end - i0 < SIM_RNG_LANES ? end - i0 : SIM_RNG_LANES;
        uint32_t word[SIM_RNG_LANES];
        sim_rng_words(&w->arr_rng[i0], sizeof *w->arr_rng, n, word);
        for (size_t j = 0; j < n; j++)
            if ((double)word[j] < cut32)
                start_arrival(w, i0 + j, 0.0 + poisson_gap(word[j] * 0x1p-32, a->rate_hz), ev,
                              m);
    }
}

void sim_tasks_start(sim_world *w)
{
    const scn_scenario *s = w->scn;
    /* Prefetching the next arrival's record pays only once the records
     * outgrow the caches; below that it is a cost on every event. */
    w->arrival_fn = w->n_dev * sizeof *w->dev > PREFETCH_MIN_BYTES ? ev_arrival : NULL;
    /* Once the records outgrow the caches, every device's first arrival
     * is handed to the engine in one batch: the same events and sequence
     * numbers as one schedule each in device order, but sorted once into
     * a run beside the heap instead of sifted one by one into a heap of up
     * to a million entries (the pages of this array that are never written
     * are never touched).  Below that the heap is small and cached, and
     * one schedule each measured faster (bench/RESULTS.md). */
    bool batch = w->arrival_fn != NULL;
    sim_batch_ev *ev = batch ? malloc(w->n_dev * sizeof *ev) : NULL;
    size_t m = 0, groups = s->n_devices;
    if (batch && !ev) { /* nothing is drawn: the run stops here */
        sim_fail(w, OFF_ENOMEM, "out of memory scheduling an event");
        batch = false;
        groups = 0;
    }
    /* devices are built group by group, count each, in order */
    for (size_t g = 0, k = 0; g < groups; k += s->devices[g++].count) {
        const scn_device *sd = &s->devices[g];
        if (sd->arrivals.kind == SCN_ARR_POISSON)
            start_poisson_group(w, &sd->arrivals, k, k + sd->count, ev, &m);
        else
            for (size_t i = k; i < k + sd->count; i++)
                start_arrival(w, i, next_arrival(w, &w->dev[i], 0.0, true), ev, &m);
    }
    if (batch) {
        if (sim_engine_schedule_batch(w->eng, ev, m, ev_arrival, w))
            w->arr_pending += m;
        else
            sim_fail(w, OFF_ENOMEM, "out of memory scheduling an event");
    }
    free(ev);
    sim_servers_start(w); /* background load, while tasks may come */
}

static double draw_work_scale(sim_world *w, sim_device *d)
{
    const scn_model *m = &w->scn->model;
    if (m->kind != SCN_MODEL_SYNTHETIC || !(w->nominal_macs > 0))
        return 1.0;
    gsl_rng g = sim_rng_view(&d->rng_work);
    return sim_draw(&g, &m->work) / w->nominal_macs;
}

static void fill_obs(const sim_world *w, const sim_device *d, const sim_task *t,
                     pol_obs *o)
{
    const sim_server *s = &w->srv[d->server];
    double now = sim_engine_now(w->eng);
    o->now_s = now;
    o->task_id = t->id;
    o->device = (size_t)(d - w->dev);
    o->deadline_s = t->deadline_s;
    o->model = &w->model;
    o->device_speed_macs = d->speed_macs / d->pw.time_scale; /* at its DVFS level */
    o->device_profile = d->prof;
    o->device_compute_bits = d->compute_bits;
    o->device_power_active_w = d->pw.active_w;
    o->device_power_tx_w = d->cfg->power_tx_w;
    o->device_power_rx_w = d->cfg->power_rx_w;
    o->device_power_idle_w = d->cfg->power_idle_w;
    o->device_backlog_s = d->cpu_free_at > now ? d->cpu_free_at - now : 0.0;
    o->device_queue = d->cpu_q.len + (d->cpu_busy ? 1 : 0);
    o->uplink_rate_bps = d->up.est_bps; /* measured, not the future */
    o->uplink_delay_s = d->cfg->uplink.delay_s;
    o->downlink_rate_bps = d->down.est_bps;
    o->downlink_delay_s = d->cfg->downlink.delay_s;
    o->uplink_backlog_s = d->up_free_at > now ? d->up_free_at - now : 0.0;
    o->uplink_queue = d->up_q.len + (d->up_busy ? 1 : 0);
    o->server_speed_macs = s->speed_macs;
    o->server_profile = s->prof;
    o->server_compute_bits = s->compute_bits;
    o->server_cores = s->cfg->cores;
    sim_server_load(s, &o->server_busy, &o->server_queue);
    o->realised = NULL; /* the oracle alone gets it (ev_arrival) */
    o->server_backhaul_rtt_s = s->cfg->backhaul.on ? s->cfg->backhaul.rtt_s : 0.0;
    o->server_backhaul_rate_bps = s->cfg->backhaul.on ? s->cfg->backhaul.rate_bps : INFINITY;
}

/* Clamp an action to the model's valid range. */
static void normalise(const mdl_model *m, pol_action *a)
{
    if (a->exit < 0 || (size_t)a->exit >= m->n_exits)
        a->exit = (int)m->n_exits - 1;
    if (a->split < 0)
        a->split = 0;
    a->split = (int)mdl_norm_split(m, (size_t)a->exit, (size_t)a->split);
    if (mdl_bits_index(m, a->bits) < 0)
        a->bits = pol_default_bits(m);
}

/* Compute seconds of (exit, split) on the device / a server: the hardware
 * profile if there is one, else MACs / speed. */
static double device_s(const sim_device *d, const mdl_model *m, size_t ex, size_t sp)
{
    return d->ptab ? d->ptab[ex * (m->n_layers + 1) + sp]
                   : mdl_device_macs(m, ex, sp) / d->speed_macs;
}

static double server_s(const sim_server *s, const mdl_model *m, size_t ex, size_t sp)
{
    return s->ptab ? s->ptab[ex * (m->n_layers + 1) + sp]
                   : mdl_server_macs(m, ex, sp) / s->speed_macs;
}

/* The branch classifier of exit e alone (tried, not taken). */
static double branch_s(const mdl_profile *p, int bits, double speed, const mdl_model *m,
                       size_t e)
{
    return p ? mdl_profile_exit_seconds(p, m, e, bits) : m->exits[e].macs / speed;
}

/* A trained model answers for real: look the task's image up in the
 * inference cache for its (split, bits), apply the BranchyNet rule when the
 * policy set an entropy threshold (the first exit up to the chosen one whose
 * normalised entropy is below it is taken), and settle correctness and the
 * payload.  *extra_dev / *extra_srv get the time of the branches tried and
 * passed over.  Returns false on an error (recorded). */
static bool answer(sim_world *w, const sim_device *d, sim_task *t, double *extra_dev,
                   double *extra_srv)
{
    const mdl_model *m = &w->model;
    size_t L = m->n_layers;
    size_t ex = (size_t)t->act.exit, sp = (size_t)t->act.split;
    bool local = mdl_is_local(m, ex, sp);
    mdl_cache_rec r;
    off_err e;
    off_status st = mdl_trained_get(w->trained, (size_t)t->sample, local ? L : sp,
                                    t->act.bits, &r, &e);
    if (st) {
        if (w->st == OFF_OK)
            w->st = off_errf(w->err, st, NULL, 0, 0, "%s", e.msg);
        sim_engine_stop(w->eng);
        return false;
    }
    *extra_dev = *extra_srv = 0;
    if (t->act.entropy_threshold > 0) {
        size_t taken = ex;
        for (size_t k = 0; k < ex; k++)
            if (r.entropy[k] < t->act.entropy_threshold) {
                taken = k;
                break;
            }
        const sim_server *sv = &w->srv[d->server];
        for (size_t k = 0; k < taken; k++) {
            if (m->exits[k].after <= sp)
                *extra_dev += branch_s(d->prof, d->compute_bits, d->speed_macs, m, k);
            else
                *extra_srv += branch_s(sv->prof, sv->compute_bits, sv->speed_macs, m, k);
        }
        t->act.exit = (int)taken;
        t->act.split = (int)mdl_norm_split(m, taken, sp);
        ex = taken;
        local = mdl_is_local(m, ex, (size_t)t->act.split);
    }
    t->correct = r.pred[ex] == mdl_trained_label(w->trained, (size_t)t->sample);
    t->bytes_up = local ? 0 : r.payload;
    return true;
}

/* ---- the oracle's view ------------------------------------------------ */

typedef struct oracle_ctx {
    sim_world *w;
    sim_device *d;
    sim_task *t;
} oracle_ctx;

/* What action a would really give the task being decided: the device's
 * queue (exact: compute times are known), the channel over the transfer's
 * own interval (integrated from when the radio is free; a shared cell is
 * taken with the uploads active now plus this one), the real payload and
 * answer of the task's image, the backhaul and the downlink; the server's
 * queue as it is now (later arrivals there are not foreseen).  No tails. */
static void oracle_eval(void *ud, const pol_action *in, pol_realised *out)
{
    oracle_ctx *c = ud;
    sim_world *w = c->w;
    sim_device *d = c->d;
    sim_task *t = c->t;
    const mdl_model *m = &w->model;
    pol_action a = *in;
    normalise(m, &a);
    size_t ex = (size_t)a.exit, sp = (size_t)a.split, L = m->n_layers;
    bool local = mdl_is_local(m, ex, sp);
    double now = sim_engine_now(w->eng), scale = t->work_scale * d->pw.time_scale;
    double bytes = local ? 0 : mdl_payload_bytes(m, ex, sp, a.bits);
    out->correct = t->u_outcome < m->exits[ex].accuracy;
    if (w->trained) {
        mdl_cache_rec r;
        off_err e;
        if (mdl_trained_get(w->trained, (size_t)t->sample, local ? L : sp, a.bits, &r, &e) ==
            OFF_OK) {
            out->correct = r.pred[ex] == mdl_trained_label(w->trained, (size_t)t->sample);
            bytes = local ? 0 : r.payload;
        }
    }
    double dev_s = (sp > 0 || local) ? device_s(d, m, ex, sp) * scale : 0.0;
    double t_dev = (dev_s > 0 ? (d->cpu_free_at > now ? d->cpu_free_at : now) : now) + dev_s;
    const scn_device *dc = d->cfg;
    if (local) {
        out->latency_s = t_dev - now;
        out->energy_j = d->pw.active_w * dev_s;
        return;
    }
    const sim_server *sv = &w->srv[d->server];
    double t_up = t_dev > d->up_free_at ? t_dev : d->up_free_at, up_s;
    if (d->up.cell) {
        double next, rate = sim_link_rate(&d->up, t_up, &next);
        up_s = rate > 0 ? bytes * 8.0 * (double)(sim_cell_active(d->up.cell) + 1) / rate
                        : INFINITY;
    } else {
        up_s = sim_link_duration(w, &d->up, t_up, bytes);
    }
    double t_srv = t_up + up_s + dc->uplink.delay_s + sim_backhaul_s(&sv->bh, bytes);
    double srv_s = server_s(sv, m, ex, sp) * t->work_scale;
    size_t busy, queue;
    sim_server_load(sv, &busy, &queue);
    size_t cores = sv->cfg->cores ? sv->cfg->cores : 1;
    double wait = busy + queue >= cores ? (double)(busy + queue + 1 - cores) * srv_s / (double)cores
                                        : 0.0;
    double t_back = t_srv + wait + srv_s + sim_backhaul_s(&sv->bh, m->result_bytes);
    double down_s = sim_link_duration(w, &d->down, t_back, m->result_bytes);
    double t_end = t_back + down_s + dc->downlink.delay_s;
    out->latency_s = t_end - now;
    out->energy_j = d->pw.active_w * dev_s + dc->power_tx_w * up_s + dc->power_rx_w * down_s +
                    dc->power_idle_w * (t_back - (t_up + up_s));
}

static double tx_time(double bytes, double rate_bps)
{
    if (bytes <= 0 || isinf(rate_bps))
        return 0.0;
    return bytes * 8.0 / rate_bps;
}

/* ---- stages ------------------------------------------------------------ */

/* A task leaves its queue and starts a service: account the wait, note
 * the first service, and schedule the end of the service after dur. */
static double start_service(sim_world *w, uint32_t ti, double dur, sim_handler *done)
{
    sim_task *t = sim_task_at(w, ti);
    double now = sim_engine_now(w->eng);
    t->wait_s += now - t->t_queued;
    if (isnan(t->t_first))
        t->t_first = now;
    sim_schedule(w, now + dur, done, ti);
    return now;
}

static void cpu_start(sim_world *w, sim_device *d, uint32_t ti)
{
    d->cpu_busy = true;
    sim_power_begin(w, d, SIM_PW_CPU, ti);
    start_service(w, ti, sim_task_at(w, ti)->dev_s, ev_dev_done);
}

/* An upload starts: through the server's shared cell (it ends when the
 * cell says so), or alone on the device's link, whose rate may vary during
 * the transfer (integrated piecewise from now). */
static void up_start(sim_world *w, sim_device *d, uint32_t ti)
{
    sim_task *t = sim_task_at(w, ti);
    double now = sim_engine_now(w->eng);
    d->up_busy = true;
    sim_power_begin(w, d, SIM_PW_TX, ti);
    t->t_up_start = now;
    sim_mobility_update(w, d, &d->up, now); /* the distance now sets the path loss */
    if (d->up.cell) {
        t->wait_s += now - t->t_queued;
        if (isnan(t->t_first))
            t->t_first = now;
        sim_cell_start(w, d->up.cell, &d->up, ti, t->bytes_up);
        return;
    }
    if (d->up.varying)
        t->up_tx_s = sim_link_duration(w, &d->up, now, t->bytes_up);
    start_service(w, ti, t->up_tx_s, ev_up_done);
}

static void down_start(sim_world *w, sim_device *d, uint32_t ti)
{
    sim_task *t = sim_task_at(w, ti);
    d->down_busy = true;
    sim_power_begin(w, d, SIM_PW_RX, ti);
    sim_mobility_update(w, d, &d->down, sim_engine_now(w->eng));
    if (d->down.varying)
        t->down_tx_s = sim_link_duration(w, &d->down, sim_engine_now(w->eng), t->bytes_down);
    t->t_down_start = start_service(w, ti, t->down_tx_s, ev_down_done);
}

static void enqueue_uplink(sim_world *w, sim_device *d, uint32_t ti)
{
    sim_task *t = sim_task_at(w, ti);
    double now = sim_engine_now(w->eng);
    t->t_queued = now;
    d->up_free_at = (d->up_free_at > now ? d->up_free_at : now) + t->up_tx_s;
    if (!d->up_busy)
        up_start(w, d, ti);
    else if (!sim_fifo_push(&d->up_q, ti))
        sim_fail(w, OFF_ENOMEM, "out of memory in the uplink queue");
}

static void finish(sim_world *w, uint32_t ti);

/* ---- arrival: admission, the task's draws, the decision, its plan ------- */

/* A device's arrival event: the device's next arrival is scheduled first,
 * so the device's stream is consumed in the same order whatever happens to
 * this task.  False when no task comes (arrivals closed, the battery ran
 * empty, interrupted). */
static bool arrival_admit(sim_world *w, sim_device *d, uint64_t dev, double now)
{
    const scn_scenario *s = w->scn;
    w->arr_pending--;
    if (w->arrivals_closed) /* the task cap was reached by another device */
        return false;
    if (sim_power_dead(w, d)) /* its battery ran empty: no more tasks */
        return false;
    if (off_interrupted()) {
        sim_fail(w, OFF_ERUNTIME, "interrupted");
        return false;
    }
    double tn = next_arrival(w, d, now, false);
    if (s->max_tasks && w->next_task_id + 1 >= s->max_tasks)
        w->arrivals_closed = true;
    if (arrivals_open(w, tn) && sim_schedule(w, tn, ev_arrival, dev))
        w->arr_pending++;
    return true;
}

/* A new task of device d (index dev) arriving now, with every draw it
 * will need, whatever the policy decides; false when out of memory
 * (recorded). */
static bool task_create(sim_world *w, sim_device *d, uint32_t dev, double now, uint32_t *ti)
{
    if (!sim_pool_alloc(&w->tasks, ti)) {
        sim_fail(w, OFF_ENOMEM, "out of memory for tasks");
        return false;
    }
    sim_task *t = sim_task_at(w, *ti);
    memset(t, 0, sizeof *t);
    t->id = w->next_task_id++;
    t->device = dev;
    t->t_arrival = now;
    t->t_first = NAN;
    t->deadline_s = d->cfg->deadline_s;
    t->work_scale = draw_work_scale(w, d);
    gsl_rng go = sim_rng_view(&d->rng_outcome), gs = sim_rng_view(&d->rng_samples);
    t->u_outcome = gsl_rng_uniform(&go);
    t->sample = w->trained ? (int32_t)gsl_rng_uniform_int(&gs, mdl_trained_n_samples(w->trained))
                           : -1;
    w->in_flight++;
    d->n_tasks++;
    if (d->cfg->handover && d->n_unsent == 0)
        sim_mobility_handover(w, d, now);
    return true;
}

/* The policy's action for task t, clamped, and what it gives: correctness
 * and, for a trained model, the payload and the branches tried on either
 * side (*extra_dev, *extra_srv).  False on an error (recorded). */
static bool task_decide(sim_world *w, sim_device *d, sim_task *t, double *extra_dev,
                        double *extra_srv)
{
    pol_obs o;
    fill_obs(w, d, t, &o);
    oracle_ctx oc = {w, d, t};
    pol_oracle_view ov = {&oc, oracle_eval};
    if (w->policy_sees_realised)
        o.realised = &ov;
    pol_decide(&w->policy, &o, &t->act);
    normalise(&w->model, &t->act);
    *extra_dev = *extra_srv = 0;
    if (w->trained)
        return answer(w, d, t, extra_dev, extra_srv);
    t->correct = t->u_outcome < w->model.exits[t->act.exit].accuracy;
    return true;
}

/* Each stage's service time and bytes under the decided action. */
static void task_plan(sim_world *w, sim_device *d, sim_task *t, double extra_dev,
                      double extra_srv)
{
    const mdl_model *m = &w->model;
    size_t ex = (size_t)t->act.exit, sp = (size_t)t->act.split;
    t->local = mdl_is_local(m, ex, sp);
    t->dev_s = (device_s(d, m, ex, sp) + extra_dev) * t->work_scale * d->pw.time_scale;
    if (t->local)
        return;
    const sim_server *sv = &w->srv[d->server];
    t->server = (uint32_t)d->server;
    d->n_unsent++;
    d->n_offloaded++;
    t->srv_s = (server_s(sv, m, ex, sp) + extra_srv) * t->work_scale;
    if (!w->trained)
        t->bytes_up = mdl_payload_bytes(m, ex, sp, t->act.bits);
    t->bytes_down = m->result_bytes;
    /* exact for fixed links; for channels the estimate, replaced by the
     * realised time when the transfer starts */
    t->up_tx_s = tx_time(t->bytes_up, d->up.varying ? d->up.est_bps : d->cfg->uplink.rate_bps);
    t->down_tx_s =
        tx_time(t->bytes_down, d->down.varying ? d->down.est_bps : d->cfg->downlink.rate_bps);
}

/* The task's first stage: the device's processor when it computes layers
 * on the device, else straight to the uplink. */
static void task_dispatch(sim_world *w, sim_device *d, uint32_t ti, double now)
{
    sim_task *t = sim_task_at(w, ti);
    t->t_queued = now;
    if (t->act.split > 0 || t->local) {
        d->cpu_free_at = (d->cpu_free_at > now ? d->cpu_free_at : now) + t->dev_s;
        if (!d->cpu_busy)
            cpu_start(w, d, ti);
        else if (!sim_fifo_push(&d->cpu_q, ti))
            sim_fail(w, OFF_ENOMEM, "out of memory in the device queue");
    } else {
        enqueue_uplink(w, d, ti);
    }
}

/* Batched arrivals (every device's first, sim_tasks_start) ahead of this
 * one whose records are fetched: at 10^6 devices nearly all of a run's
 * arrivals, and they wait in the engine in the order they will come, so
 * their records can be fetched several arrivals (some 50 events) ahead,
 * where sim_prefetch_next sees one event ahead. */
#define BATCH_AHEAD 8

static void prefetch_batched(const sim_world *w, const sim_engine *e)
{
    sim_handler *fn;
    uint64_t a;
    if (sim_engine_peek_batched(e, BATCH_AHEAD, &fn, &a) && fn == ev_arrival)
        sim_arrival_prefetch(w, a);
#if defined(__GNUC__)
    /* the uplink's rate chain of one nearer, whose record came earlier */
    if (sim_engine_peek_batched(e, BATCH_AHEAD / 2, &fn, &a) && fn == ev_arrival &&
        w->dev[a].up.chan)
        __builtin_prefetch(w->dev[a].up.chan);
#endif
}

static void ev_arrival(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_device *d = &w->dev[arg];
    /* With many devices the record is out of cache (unless the event
     * before this one fetched it, sim_prefetch_next): fetch all of it and
     * the arrival stream at once, then the uplink's rate chain, a
     * separate allocation */
    sim_arrival_prefetch(w, arg);
#if defined(__GNUC__)
    if (d->up.chan)
        __builtin_prefetch(d->up.chan);
#endif
    sim_prefetch_next(w);
    if (w->arrival_fn) /* records out of cache */
        prefetch_batched(w, e);
    double now = sim_engine_now(e);
    uint32_t ti;
    if (!arrival_admit(w, d, arg, now) || !task_create(w, d, (uint32_t)arg, now, &ti))
        return;
    sim_task *t = sim_task_at(w, ti);
    double extra_dev, extra_srv;
    if (!task_decide(w, d, t, &extra_dev, &extra_srv))
        return;
    task_plan(w, d, t, extra_dev, extra_srv);
    task_dispatch(w, d, ti, now);
}

/* ---- the stages after the arrival, in the order a task takes them ------ */

static void ev_dev_done(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    (void)e;
    uint32_t ti = (uint32_t)arg;
    sim_device *d = &w->dev[sim_task_at(w, ti)->device];
    d->cpu_busy = false;
    sim_power_end(w, d, SIM_PW_CPU, ti);
    if (d->cpu_q.len)
        cpu_start(w, d, sim_fifo_pop(&d->cpu_q));
    if (sim_task_at(w, ti)->local)
        finish(w, ti);
    else
        enqueue_uplink(w, d, ti);
}

/* Task ti's upload ended (alone on its link, or through a shared cell):
 * the device's next upload may start, and the payload propagates. */
static void task_uploaded(void *ud, uint32_t ti)
{
    sim_world *w = ud;
    sim_task *t = sim_task_at(w, ti);
    sim_device *d = &w->dev[t->device];
    double now = sim_engine_now(w->eng);
    t->t_up_end = now;
    if (d->up.cell) /* its share varied with the others' transfers */
        t->up_tx_s = now - t->t_up_start;
    sim_link_observe(&d->up, t->bytes_up, t->up_tx_s);
    d->n_unsent--;
    d->up_busy = false;
    sim_power_end(w, d, SIM_PW_TX, ti);
    if (d->up_q.len)
        up_start(w, d, sim_fifo_pop(&d->up_q));
    sim_schedule(w, now + d->cfg->uplink.delay_s, ev_srv_arrive, ti);
}

static void ev_up_done(sim_engine *e, void *ud, uint64_t arg)
{
    (void)e;
    sim_prefetch_next(ud);
    task_uploaded(ud, (uint32_t)arg);
}

/* Task ti reaches its server (after the backhaul, if any). */
static void task_at_server(void *ud, uint32_t ti)
{
    sim_world *w = ud;
    sim_task *t = sim_task_at(w, ti);
    t->t_queued = sim_engine_now(w->eng);
    sim_server_arrive(w, t->server, ti);
}

/* The payload reached the access point: a cloud server's backhaul first
 * (it ends in task_at_server), else the server. */
static void ev_srv_arrive(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    uint32_t ti = (uint32_t)arg;
    sim_task *t = sim_task_at(w, ti);
    sim_server *s = &w->srv[t->server];
    if (s->bh.cfg->on) {
        t->t_queued = sim_engine_now(e);
        t->wait_s += sim_backhaul_send(w, &s->bh, true, ti, t->bytes_up);
        return;
    }
    task_at_server(w, ti);
}

/* Task ti's result is back at its device's access point: on to the
 * downlink. */
static void task_returned(void *ud, uint32_t ti)
{
    sim_world *w = ud;
    sim_task *t = sim_task_at(w, ti);
    sim_device *d = &w->dev[t->device];
    t->t_queued = sim_engine_now(w->eng);
    if (!d->down_busy)
        down_start(w, d, ti);
    else if (!sim_fifo_push(&d->down_q, ti))
        sim_fail(w, OFF_ENOMEM, "out of memory in the downlink queue");
}

/* Task ti's service at its server ended: the result crosses the backhaul
 * (ending in task_returned), if the server has one. */
static void task_served(void *ud, uint32_t ti)
{
    sim_world *w = ud;
    sim_task *t = sim_task_at(w, ti);
    sim_server *s = &w->srv[t->server];
    if (s->bh.cfg->on)
        t->wait_s += sim_backhaul_send(w, &s->bh, false, ti, t->bytes_down);
    else
        task_returned(w, ti);
}

static void ev_down_done(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    uint32_t ti = (uint32_t)arg;
    sim_task *t = sim_task_at(w, ti);
    sim_device *d = &w->dev[t->device];
    d->down_busy = false;
    sim_power_end(w, d, SIM_PW_RX, ti);
    sim_link_observe(&d->down, t->bytes_down, t->down_tx_s);
    if (d->down_q.len)
        down_start(w, d, sim_fifo_pop(&d->down_q));
    sim_schedule(w, sim_engine_now(e) + d->cfg->downlink.delay_s, ev_done, ti);
}

void sim_tasks_wire(sim_world *w)
{
    for (size_t j = 0; j < w->n_srv; j++) {
        sim_server *s = &w->srv[j];
        s->served = (sim_done){task_served, w};
        s->bh.crossed_up = (sim_done){task_at_server, w};
        s->bh.crossed_down = (sim_done){task_returned, w};
        w->cells[j].uploaded = (sim_done){task_uploaded, w};
    }
}

static void ev_done(sim_engine *e, void *ud, uint64_t arg)
{
    (void)e;
    sim_prefetch_next(ud);
    finish(ud, (uint32_t)arg);
}

static void record_latency(sim_world *w, double lat)
{
    if (w->n_lat == w->cap_lat) {
        size_t nc = w->cap_lat ? w->cap_lat * 2 : 4096;
        double *nl = realloc(w->lat, nc * sizeof *nl);
        if (!nl) {
            sim_fail(w, OFF_ENOMEM, "out of memory for latencies");
            return;
        }
        w->lat = nl;
        w->cap_lat = nc;
    }
    w->lat[w->n_lat++] = lat;
}

/* A duration of an unfinished task's row: what never ended is unknown
 * (NULL), not infinite. */
static double part_s(double s)
{
    return isfinite(s) ? s : NAN;
}

/* Task t's row (results/res.h) to the hook and the database; now, lat and
 * energy are NaN for a task that never finished. */
static void record_row(sim_world *w, const sim_task *t, const sim_device *d, double now,
                       double lat, double energy, bool met)
{
    const scn_device *dc = d->cfg;
    char name[SIM_DEVICE_NAME_MAX];
    bool sent = !t->local;
    const sim_server *sv = &w->srv[t->server]; /* its backhaul, if any */
    double up_s = sent ? t->up_tx_s + dc->uplink.delay_s + sim_backhaul_s(&sv->bh, t->bytes_up)
                       : 0.0;
    double down_s =
        sent ? t->down_tx_s + dc->downlink.delay_s + sim_backhaul_s(&sv->bh, t->bytes_down)
             : 0.0;
    res_task_row r = {
        .task_id = (int64_t)t->id,
        .device = (int32_t)t->device,
        .device_name = sim_device_name(d, name),
        .server = sent ? (int32_t)t->server : -1,
        .sample = t->sample,
        .t_arrival = t->t_arrival,
        .t_start = t->t_first,
        .t_done = now,
        .latency_s = lat,
        .compute_device_s = part_s(t->dev_s),
        .uplink_s = part_s(up_s),
        .queue_s = part_s(t->wait_s),
        .compute_server_s = part_s(t->srv_s),
        .downlink_s = part_s(down_s),
        .energy_j = energy,
        .bytes_up = t->bytes_up,
        .bytes_down = t->bytes_down,
        .exit = t->act.exit,
        .split = t->act.split,
        /* a trained model's raw input is requantized too (split 0) */
        .bits = sent && (t->act.split > 0 || w->trained) ? t->act.bits : 0,
        .correct = isnan(now) ? 0 : t->correct, /* no result ever came back */
        .deadline_met = met,
        .deadline_s = t->deadline_s,
    };
    if (w->hook)
        w->hook(w->hook_ud, &r);
    if (w->db && w->scn->record_tasks && w->st == OFF_OK) {
        off_status st = res_add_task(w->db, w->run_id, &r, w->err);
        if (st != OFF_OK) {
            w->st = st;
            sim_engine_stop(w->eng);
        }
    }
}

static void finish(sim_world *w, uint32_t ti)
{
    sim_task *t = sim_task_at(w, ti);
    const sim_device *d = &w->dev[t->device];
    const scn_device *dc = d->cfg;
    double now = sim_engine_now(w->eng);
    double lat = now - t->t_arrival;
    double idle_s = t->local ? 0.0 : t->t_down_start - t->t_up_end;
    sim_power_task_done(w, &w->dev[t->device], ti); /* its radio tail */
    w->dev[t->device].n_done++;
    double energy = d->pw.active_w * t->dev_s + dc->power_tx_w * t->up_tx_s +
                    dc->power_rx_w * t->down_tx_s + dc->power_idle_w * idle_s + t->tail_j;
    bool correct = t->correct;
    bool met = lat <= t->deadline_s;

    pol_outcome po = {t->id, t->device, t->act, lat, energy, t->deadline_s, correct, met};
    if (t->t_arrival >= w->scn->warmup_s) {
        sim_obs o = {t->t_arrival, lat, energy, t->bytes_up, pol_reward_value(&w->reward, &po),
                     correct, met};
        record_latency(w, lat);
        sim_obs_count(w, &o);
        if (w->scn->warmup_auto)
            sim_obs_keep(w, &o);
    } else {
        w->n_warm++;
    }
    pol_feedback(&w->policy, &po);

    if (w->hook || (w->db && w->scn->record_tasks))
        record_row(w, t, d, now, lat, energy, met);
    w->in_flight--;
    sim_pool_release(&w->tasks, ti);
    if (off_interrupted())
        sim_fail(w, OFF_ERUNTIME, "interrupted");
}

/* The tasks still in flight when the event queue ran dry can never finish
 * (a transfer whose rate never comes back, and what waits behind it): each
 * gets its row now, in task order, with no completion time, latency or
 * energy (NULL in the database), and counts among the tasks of the run but
 * not among the finished ones (summary n_tasks - n_done), and as a missed
 * deadline.  The policy gets no feedback for them: there is no outcome. */
typedef struct live_task {
    uint64_t id;
    uint32_t ti;
} live_task;

static int cmp_live(const void *a, const void *b)
{
    uint64_t x = ((const live_task *)a)->id, y = ((const live_task *)b)->id;
    return (x > y) - (x < y);
}

void sim_tasks_unfinished(sim_world *w)
{
    if (w->in_flight == 0)
        return;
    sim_pool *p = &w->tasks;
    unsigned char *is_free = calloc(p->cap ? p->cap : 1, 1);
    live_task *live = malloc(w->in_flight * sizeof *live);
    if (!is_free || !live) {
        free(is_free);
        free(live);
        sim_fail(w, OFF_ENOMEM, "out of memory listing the unfinished tasks");
        return;
    }
    for (uint32_t i = p->free_head; i != SIM_POOL_NONE; i = *sim_pool_link_(p, i))
        is_free[i] = 1;
    size_t n = 0;
    for (size_t i = 0; i < p->cap && n < w->in_flight; i++)
        if (!is_free[i])
            live[n++] = (live_task){sim_task_at(w, (uint32_t)i)->id, (uint32_t)i};
    /* in task order: records are reused, so index order is not id order */
    qsort(live, n, sizeof *live, cmp_live);
    for (size_t i = 0; i < n; i++) {
        const sim_task *t = sim_task_at(w, live[i].ti);
        if (t->t_arrival >= w->scn->warmup_s) {
            w->n_counted++;
            w->n_missed++;
        }
        if (w->hook || (w->db && w->scn->record_tasks))
            record_row(w, t, &w->dev[t->device], NAN, NAN, NAN, false);
    }
    free(is_free);
    free(live);
}
