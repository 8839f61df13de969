/*
 * sim_backhaul.c - a cloud server's backhaul link (scenario key
 * `servers[].backhaul: {rtt, rate}`; docs/models-reference.md, "Cloud
 * backhaul").
 *
 * A task offloaded to a server with a backhaul reaches the edge of the
 * access network (its upload done and the access link's propagation delay
 * over), queues for the backhaul's uplink transmitter, is transmitted
 * (payload bytes * 8 / rate), propagates rtt/2 and reaches the server.  Its
 * result queues for the downlink transmitter, is transmitted, propagates
 * rtt/2 and is handed to the device's downlink queue.
 *
 * Each direction is one FIFO transmitter shared by every device using the
 * server.  Its rate is constant, so a crossing's start is known when the
 * task joins the queue: max(now, when the transmitter frees).  One event per
 * crossing (its end), no queue storage and no allocation.  The wait is
 * added to the task's wait_s (its row's queue_s); the crossing itself,
 * rtt/2 + bytes / rate, is added to its uplink_s / downlink_s by
 * sim_task.c's finish (sim_backhaul_s).
 */
#include "sim_int.h"

#include <math.h>

static sim_handler ev_bh_up_done, ev_bh_down_done;

static sim_server *server_of(sim_world *w, uint32_t ti)
{
    return &w->srv[w->tasks[ti].server];
}

static double tx_s(const scn_backhaul *b, double bytes)
{
    return bytes > 0 && !isinf(b->rate_bps) ? bytes * 8.0 / b->rate_bps : 0.0;
}

double sim_backhaul_s(const sim_server *s, double bytes)
{
    const scn_backhaul *b = &s->cfg->backhaul;
    return b->on ? 0.5 * b->rtt_s + tx_s(b, bytes) : 0.0;
}

/* Task ti joins the transmitter that frees at *free_at: account its wait
 * and schedule done at the end of its crossing. */
static void cross(sim_world *w, const scn_backhaul *b, double *free_at, uint32_t ti,
                  double bytes, sim_handler *done)
{
    sim_task *t = &w->tasks[ti];
    double now = sim_engine_now(w->eng);
    double start = *free_at > now ? *free_at : now;
    *free_at = start + tx_s(b, bytes);
    t->wait_s += start - now;
    sim_schedule(w, *free_at + 0.5 * b->rtt_s, done, ti);
}

bool sim_backhaul_up(sim_world *w, uint32_t ti)
{
    sim_server *s = server_of(w, ti);
    if (!s->cfg->backhaul.on)
        return false;
    cross(w, &s->cfg->backhaul, &s->bh_up_free, ti, w->tasks[ti].bytes_up, ev_bh_up_done);
    return true;
}

bool sim_backhaul_down(sim_world *w, uint32_t ti)
{
    sim_server *s = server_of(w, ti);
    if (!s->cfg->backhaul.on)
        return false;
    cross(w, &s->cfg->backhaul, &s->bh_down_free, ti, w->tasks[ti].bytes_down,
          ev_bh_down_done);
    return true;
}

static void ev_bh_up_done(sim_engine *e, void *ud, uint64_t arg)
{
    sim_world *w = ud;
    uint32_t ti = (uint32_t)arg;
    w->tasks[ti].t_queued = sim_engine_now(e);
    sim_server_arrive(w, w->tasks[ti].server, ti);
}

static void ev_bh_down_done(sim_engine *e, void *ud, uint64_t arg)
{
    (void)e;
    sim_task_returned(ud, (uint32_t)arg);
}
