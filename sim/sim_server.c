/*
 * sim_server.c - a server's queue and cores: the disciplines, background
 * load and batching (docs/scenario-reference.md, "servers").
 *
 *   fcfs  c cores; a job starts on a free core, or waits in a FIFO.
 *   edf   as fcfs, but the waiting job with the earliest absolute deadline
 *         (task arrival + its deadline) starts next; infinite deadlines
 *         (and background jobs) come last; ties in arrival order.  Non-
 *         preemptive: a job in service keeps its core.
 *   ps    processor sharing: the n jobs present share the c cores, each
 *         served at min(1, c/n) of a core.  Implemented with virtual time:
 *         V(t), the service a job present throughout has attained, grows
 *         at min(1, c/n); a job arriving at V0 with service s leaves when V
 *         reaches its tag V0 + s, so the jobs sit in a heap by tag and only
 *         the next completion is scheduled (cancelled and rescheduled when
 *         n changes).  O(log n) per arrival or departure.
 *   batching (fcfs only)  a free core takes the first min(len, max)
 *         waiting jobs as one batch when max jobs wait or the oldest has
 *         waited `window`; a batch of n jobs with single-job times s_i
 *         takes sum(s_i) / S(n), S the configured speedup.
 *
 * Background jobs (Poisson arrivals, work drawn per job) queue and are
 * served like tasks but are not recorded as tasks.  They draw from the
 * server's own streams (purpose SIM_RNG_SERVER; entity "server:NAME" for
 * the arrivals, "server:NAME/work" for the work), so the background
 * sequence depends neither on the policy nor on the discipline, and a
 * sweep over the background work keeps its arrival times (common random
 * numbers).  It runs while any device may still send a task or a task is
 * in flight.
 *
 * A task's queue_s is the time it spends at the server beyond its service:
 * waiting for a core (fcfs, edf, batching) or, under ps, its sojourn minus
 * its service requirement (the time lost to sharing).
 */
#include "sim_server.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "sim_rng.h"
#include "sim_util.h"

/* An event argument: the server's index and a job or batch. */
#define SRV_ARG(j, x) (((uint64_t)(j) << 32) | (uint64_t)(x))
#define SRV_OF(arg) ((size_t)((arg) >> 32))
#define LOW_OF(arg) ((uint32_t)((arg) & 0xffffffffu))

static sim_handler ev_job_done, ev_ps_done, ev_batch_done, ev_batch_due,
    ev_bg_arrival;

/* ---- jobs --------------------------------------------------------------- */

static bool is_bg(uint32_t job) { return (job & SIM_JOB_BG) != 0; }

static sim_bgjob *bg_job(const sim_server *s, uint32_t job)
{
    return SIM_POOL_AT(&s->bg, sim_bgjob, job & ~SIM_JOB_BG);
}

static double job_service(const sim_world *w, const sim_server *s, uint32_t job)
{
    return is_bg(job) ? bg_job(s, job)->service_s : sim_task_at(w, job)->srv_s;
}

static double job_queued(const sim_world *w, const sim_server *s, uint32_t job)
{
    return is_bg(job) ? bg_job(s, job)->t_queued : sim_task_at(w, job)->t_queued;
}

/* Absolute deadline (EDF key): background jobs have none. */
static double job_deadline(const sim_world *w, uint32_t job)
{
    if (is_bg(job))
        return INFINITY;
    const sim_task *t = sim_task_at(w, job);
    return t->t_arrival + t->deadline_s; /* inf stays inf */
}

/* The job leaves its queue and starts its service now. */
static void job_begin(sim_world *w, uint32_t job, double now)
{
    if (is_bg(job))
        return;
    sim_task *t = sim_task_at(w, job);
    t->wait_s += now - t->t_queued;
    if (isnan(t->t_first))
        t->t_first = now;
}

/* The job's service is over: a task goes back to its lifecycle, a
 * background job is gone. */
static void job_end(sim_server *s, uint32_t job)
{
    if (!is_bg(job)) {
        sim_done_call(&s->served, job);
        return;
    }
    sim_pool_release(&s->bg, job & ~SIM_JOB_BG);
    s->bg_done++;
}

static size_t cores_busy(const sim_server *s)
{
    if (s->cfg->discipline == SCN_DISC_PS)
        return s->h.len < s->cfg->cores ? s->h.len : s->cfg->cores;
    return s->busy;
}

/* Bring the busy core-seconds (after warm-up) up to now; called before
 * every change of the number of busy cores. */
static void account(const sim_world *w, sim_server *s, double now)
{
    double from = s->t_acc > w->scn->warmup_s ? s->t_acc : w->scn->warmup_s;
    if (now > from)
        s->busy_area += (double)cores_busy(s) * (now - from);
    s->t_acc = now;
}

/* ---- fcfs and edf -------------------------------------------------------- */

static void single_start(sim_world *w, size_t j, sim_server *s, uint32_t job, double now)
{
    s->busy++;
    job_begin(w, job, now);
    sim_schedule(w, now + job_service(w, s, job), ev_job_done, SRV_ARG(j, job));
}

static size_t waiting(const sim_server *s)
{
    return s->cfg->discipline == SCN_DISC_EDF ? s->h.len : s->q.len;
}

static bool wait_push(sim_world *w, sim_server *s, uint32_t job)
{
    if (s->cfg->discipline == SCN_DISC_EDF)
        return sim_heap_push(&s->h, job_deadline(w, job), s->seq++, job);
    return sim_fifo_push(&s->q, job);
}

static uint32_t wait_pop(sim_server *s)
{
    return s->cfg->discipline == SCN_DISC_EDF ? sim_heap_pop(&s->h).job
                                              : sim_fifo_pop(&s->q);
}

static void ev_job_done(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    size_t j = SRV_OF(arg);
    sim_server *s = &w->srv[j];
    double now = sim_engine_now(e);
    account(w, s, now);
    s->busy--;
    if (waiting(s)) /* the next job first: the order of simultaneous events */
        single_start(w, j, s, wait_pop(s), now);
    job_end(s, LOW_OF(arg));
}

/* ---- processor sharing --------------------------------------------------- */

/* Service rate of each job present, in cores. */
static double ps_rate(const sim_server *s)
{
    size_t n = s->h.len, c = s->cfg->cores;
    return n <= c ? 1.0 : (double)c / (double)n;
}

static void ps_advance(sim_server *s, double now)
{
    if (s->h.len)
        s->ps_v += ps_rate(s) * (now - s->ps_t);
    s->ps_t = now;
}

/* Move the pending completion to the next one (in place: the same order
 * of events as cancel + schedule), or cancel it when no job is left. */
static void ps_reschedule(sim_world *w, size_t j, sim_server *s, double now)
{
    if (!s->h.len) {
        if (s->ps_ev)
            sim_engine_cancel(w->eng, s->ps_ev);
        s->ps_ev = 0;
        return;
    }
    double left = s->h.a[0].key - s->ps_v;
    double t = now + (left > 0 ? left / ps_rate(s) : 0.0);
    if (s->ps_ev && sim_engine_reschedule(w->eng, s->ps_ev, t))
        return;
    if (s->ps_ev)
        sim_engine_cancel(w->eng, s->ps_ev);
    s->ps_ev = sim_engine_schedule(w->eng, t, ev_ps_done, w, SRV_ARG(j, 0));
    if (!s->ps_ev)
        sim_fail(w, OFF_ENOMEM, "out of memory scheduling an event");
}

static void ps_arrive(sim_world *w, size_t j, sim_server *s, uint32_t job, double now)
{
    ps_advance(s, now);
    job_begin(w, job, now);
    if (!sim_heap_push(&s->h, s->ps_v + job_service(w, s, job), s->seq++, job)) {
        sim_fail(w, OFF_ENOMEM, "out of memory in a server queue");
        return;
    }
    ps_reschedule(w, j, s, now);
}

static void ev_ps_done(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    size_t j = SRV_OF(arg);
    sim_server *s = &w->srv[j];
    double now = sim_engine_now(e);
    s->ps_ev = 0;
    account(w, s, now);
    ps_advance(s, now);
    sim_hent x = sim_heap_pop(&s->h);
    s->ps_v = x.key; /* exact: no drift from the rate products */
    if (!s->h.len)
        s->ps_v = 0; /* restart from 0 when empty: keeps the tags small */
    ps_reschedule(w, j, s, now);
    if (!is_bg(x.job)) { /* the time beyond its own service was lost to sharing */
        sim_task *t = sim_task_at(w, x.job);
        double extra = (now - t->t_queued) - t->srv_s;
        t->wait_s += extra > 0 ? extra : 0.0;
    }
    job_end(s, x.job);
}

/* ---- batching ------------------------------------------------------------ */

/* Batch record r: [0] the number of jobs, then the jobs. */
static uint32_t *batch_rec(sim_server *s, uint32_t r)
{
    return (uint32_t *)((char *)s->batch.items + (size_t)r * s->batch.size);
}

/* Start a batch of the first n waiting jobs on a free core; false (error
 * recorded) when out of memory. */
static bool batch_start(sim_world *w, size_t j, sim_server *s, size_t n, double now)
{
    uint32_t r;
    if (!sim_pool_alloc(&s->batch, &r)) {
        sim_fail(w, OFF_ENOMEM, "out of memory for a batch");
        return false;
    }
    uint32_t *rec = batch_rec(s, r);
    double sum = 0;
    rec[0] = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        uint32_t job = sim_fifo_pop(&s->q);
        rec[1 + i] = job;
        sum += job_service(w, s, job);
        job_begin(w, job, now);
    }
    double dur = sum / s->cfg->batching.speedup[n - 1]; /* S(1) = 1: exact */
    for (size_t i = 0; i < n; i++)
        if (!is_bg(rec[1 + i]))
            sim_task_at(w, rec[1 + i])->srv_s = dur; /* its time in service */
    s->busy++;
    return sim_schedule(w, now + dur, ev_batch_done, SRV_ARG(j, r));
}

/* Start batches while a core is free and a batch is due; otherwise keep a
 * timer for when the oldest waiting job's window ends. */
static void batch_try(sim_world *w, size_t j, sim_server *s, double now)
{
    const scn_batching *b = &s->cfg->batching;
    double due = NAN;
    while (s->busy < s->cfg->cores && s->q.len) {
        double d = job_queued(w, s, s->q.buf[s->q.head]) + b->window_s;
        if (s->q.len < b->max && now < d) {
            due = d;
            break;
        }
        if (!batch_start(w, j, s, s->q.len < b->max ? s->q.len : b->max, now))
            return;
    }
    if (s->batch_ev && s->batch_due == due)
        return;
    if (s->batch_ev)
        sim_engine_cancel(w->eng, s->batch_ev);
    s->batch_ev = 0;
    if (!isnan(due)) {
        s->batch_due = due;
        s->batch_ev = sim_engine_schedule(w->eng, due, ev_batch_due, w, SRV_ARG(j, 0));
        if (!s->batch_ev)
            sim_fail(w, OFF_ENOMEM, "out of memory scheduling an event");
    }
}

static void ev_batch_due(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    size_t j = SRV_OF(arg);
    w->srv[j].batch_ev = 0;
    batch_try(w, j, &w->srv[j], sim_engine_now(e));
}

static void ev_batch_done(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    size_t j = SRV_OF(arg);
    sim_server *s = &w->srv[j];
    uint32_t r = LOW_OF(arg);
    double now = sim_engine_now(e);
    account(w, s, now);
    s->busy--;
    batch_try(w, j, s, now); /* may grow the pool: take rec afterwards */
    const uint32_t *rec = batch_rec(s, r);
    for (uint32_t i = 0; i < rec[0]; i++)
        job_end(s, rec[1 + i]);
    sim_pool_release(&s->batch, r);
}

/* ---- arrivals ------------------------------------------------------------ */

void sim_server_arrive(sim_world *w, size_t j, uint32_t job)
{
    sim_server *s = &w->srv[j];
    double now = sim_engine_now(w->eng);
    account(w, s, now);
    if (s->cfg->discipline == SCN_DISC_PS) {
        ps_arrive(w, j, s, job, now);
    } else if (s->cfg->batching.max) {
        if (!sim_fifo_push(&s->q, job))
            sim_fail(w, OFF_ENOMEM, "out of memory in a server queue");
        else
            batch_try(w, j, s, now);
    } else if (s->busy < s->cfg->cores) {
        single_start(w, j, s, job, now);
    } else if (!wait_push(w, s, job)) {
        sim_fail(w, OFF_ENOMEM, "out of memory in a server queue");
    }
}

/* Background jobs keep coming while a task may still come or is in flight. */
static bool bg_active(const sim_world *w)
{
    return w->arr_pending > 0 || w->in_flight > 0;
}

/* The peak rate of the background's arrivals (its candidates' rate). */
static double bg_max_rate(const scn_background *b)
{
    return b->burst_every_s > 0 && b->burst_rate_hz > b->rate_hz ? b->burst_rate_hz
                                                                   : b->rate_hz;
}

static void ev_bg_arrival(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    sim_prefetch_next(w);
    size_t j = SRV_OF(arg);
    sim_server *s = &w->srv[j];
    const scn_background *b = &s->cfg->background;
    double now = sim_engine_now(e);
    double next = now + gsl_ran_exponential(s->rng_bg_arr, 1.0 / bg_max_rate(b));
    if (bg_active(w))
        sim_schedule(w, next, ev_bg_arrival, arg);
    if (s->rng_bg_burst) { /* thinning: a candidate at the peak rate */
        while (s->bg_switch <= now) {
            s->bg_high = !s->bg_high;
            s->bg_switch += gsl_ran_exponential(
                s->rng_bg_burst, s->bg_high ? b->burst_lasts_s : b->burst_every_s);
        }
        double rate = s->bg_high ? b->burst_rate_hz : b->rate_hz;
        if (gsl_rng_uniform(s->rng_bg_burst) * bg_max_rate(b) >= rate)
            return;
    }
    double work = sim_draw(s->rng_bg_work, &b->work);
    uint32_t i;
    if (!sim_pool_alloc(&s->bg, &i)) {
        sim_fail(w, OFF_ENOMEM, "out of memory for background jobs");
        return;
    }
    sim_bgjob *bj = SIM_POOL_AT(&s->bg, sim_bgjob, i);
    bj->service_s = work / s->speed_macs;
    bj->t_queued = now;
    s->bg_arrived++;
    sim_server_arrive(w, j, SIM_JOB_BG | i);
}

void sim_servers_start(sim_world *w)
{
    for (size_t j = 0; j < w->n_srv; j++) {
        sim_server *s = &w->srv[j];
        if (s->rng_bg_arr && bg_active(w))
            sim_schedule(w, gsl_ran_exponential(s->rng_bg_arr,
                                                1.0 / bg_max_rate(&s->cfg->background)),
                         ev_bg_arrival, SRV_ARG(j, 0));
    }
}

/* ---- set-up and observation ------------------------------------------------ */

off_status sim_server_init(sim_world *w, size_t j, off_err *err)
{
    sim_server *s = &w->srv[j];
    /* background job indices stay below SIM_JOB_BG, which marks them */
    sim_pool_init(&s->bg, sizeof(sim_bgjob), offsetof(sim_bgjob, next_free), 64, SIM_JOB_BG);
    sim_pool_init(&s->batch, (s->cfg->batching.max + 1) * sizeof(uint32_t), 0, 4,
                  UINT32_MAX - 1);
    s->bh.cfg = &s->cfg->backhaul;
    const scn_background *b = &s->cfg->background;
    if (b->rate_hz > 0 || (b->burst_every_s > 0 && b->burst_rate_hz > 0)) {
        char key[160];
        snprintf(key, sizeof key, "server:%s", s->cfg->name);
        s->rng_bg_arr = sim_rng_stream(w->scn->seed, sim_rng_entity_key(key), SIM_RNG_SERVER);
        snprintf(key, sizeof key, "server:%s/work", s->cfg->name);
        s->rng_bg_work = sim_rng_stream(w->scn->seed, sim_rng_entity_key(key), SIM_RNG_SERVER);
        if (!s->rng_bg_arr || !s->rng_bg_work)
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        if (b->burst_every_s > 0) { /* starts between bursts */
            snprintf(key, sizeof key, "server:%s/burst", s->cfg->name);
            s->rng_bg_burst =
                sim_rng_stream(w->scn->seed, sim_rng_entity_key(key), SIM_RNG_SERVER);
            if (!s->rng_bg_burst)
                return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
            s->bg_switch = gsl_ran_exponential(s->rng_bg_burst, b->burst_every_s);
        }
    }
    return OFF_OK;
}

void sim_server_free(sim_server *s)
{
    sim_fifo_free(&s->q);
    sim_heap_free(&s->h);
    if (s->rng_bg_arr)
        gsl_rng_free(s->rng_bg_arr);
    if (s->rng_bg_burst)
        gsl_rng_free(s->rng_bg_burst);
    if (s->rng_bg_work)
        gsl_rng_free(s->rng_bg_work);
    s->rng_bg_arr = s->rng_bg_work = NULL;
    sim_pool_free(&s->bg);
    sim_pool_free(&s->batch);
}

void sim_server_load(const sim_server *s, size_t *busy, size_t *queue)
{
    if (s->cfg->discipline == SCN_DISC_PS) {
        *busy = cores_busy(s);
        *queue = s->h.len - *busy;
    } else {
        *busy = s->busy;
        *queue = waiting(s);
    }
}

void sim_server_stats_get(const sim_world *w, size_t j, sim_server_stats *out)
{
    const sim_server *s = &w->srv[j];
    double end = sim_engine_now(w->eng), from = w->scn->warmup_s;
    /* everything is idle after the last event, so busy_area is complete */
    out->bg_arrived = s->bg_arrived;
    out->bg_done = s->bg_done;
    out->utilisation = end > from ? s->busy_area / ((double)s->cfg->cores * (end - from))
                                  : NAN;
}
