/*
 * sim_backhaul.h - a cloud server's backhaul (sim_backhaul.c): one FIFO
 * transmitter per direction, shared by every device using the server.
 * Internal to sim/.
 */
#ifndef SIM_BACKHAUL_H
#define SIM_BACKHAUL_H

#include <stdbool.h>

#include "scn.h"
#include "sim.h"
#include "sim_done.h"

typedef struct sim_backhaul {
    const scn_backhaul *cfg;   /* cfg->on: the server has one              */
    double up_free, down_free; /* when each direction's transmitter frees  */
    sim_done crossed_up;       /* a task's payload reached the server      */
    sim_done crossed_down;     /* a task's result reached the access point */
} sim_backhaul;

/* Send task ti's bytes across b (up: its payload, down: its result): it
 * joins that direction's transmitter and b's crossed_up / crossed_down is
 * called with ti at the end of its crossing.  Returns the time ti waits for
 * the transmitter, s.  b->cfg->on must hold. */
double sim_backhaul_send(sim_world *w, sim_backhaul *b, bool up, uint32_t ti, double bytes);
/* Seconds to cross b with bytes, queueing apart: rtt/2 + bytes / rate; 0
 * without a backhaul. */
double sim_backhaul_s(const sim_backhaul *b, double bytes);

#endif /* SIM_BACKHAUL_H */
