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
 * returned to the task lifecycle, which adds it to the task's wait_s (its
 * row's queue_s); the crossing itself, rtt/2 + bytes / rate, is added to
 * its uplink_s / downlink_s when the row is written (sim_backhaul_s).
 */
#include "sim_backhaul.h"

#include <math.h>

#include "sim_util.h"

static sim_handler ev_crossed_up, ev_crossed_down;

static double tx_s(const scn_backhaul *b, double bytes)
{
    return bytes > 0 && !isinf(b->rate_bps) ? bytes * 8.0 / b->rate_bps : 0.0;
}

double sim_backhaul_s(const sim_backhaul *b, double bytes)
{
    return b->cfg->on ? 0.5 * b->cfg->rtt_s + tx_s(b->cfg, bytes) : 0.0;
}

double sim_backhaul_send(sim_world *w, sim_backhaul *b, bool up, uint32_t ti, double bytes)
{
    double *free_at = up ? &b->up_free : &b->down_free;
    double now = sim_engine_now(w->eng);
    double start = *free_at > now ? *free_at : now;
    *free_at = start + tx_s(b->cfg, bytes);
    /* the event's user pointer is the backhaul itself: its end needs
     * nothing else */
    if (!sim_engine_schedule(w->eng, *free_at + 0.5 * b->cfg->rtt_s,
                             up ? ev_crossed_up : ev_crossed_down, b, ti))
        sim_fail(w, OFF_ENOMEM, "out of memory scheduling an event");
    return start - now;
}

static void ev_crossed_up(sim_engine *e, void *ud, uint64_t arg)
{
    (void)e;
    sim_backhaul *b = ud;
    sim_done_call(&b->crossed_up, (uint32_t)arg);
}

static void ev_crossed_down(sim_engine *e, void *ud, uint64_t arg)
{
    (void)e;
    sim_backhaul *b = ud;
    sim_done_call(&b->crossed_down, (uint32_t)arg);
}
