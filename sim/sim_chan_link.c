/* sim_chan_link.c - one link's rate process: link budget, fading,
 * Gilbert-Elliott and the rate model (or a trace) composed, with the
 * earliest of the parts' block boundaries. */
#include "sim_chan.h"

#include <math.h>
#include <stdbool.h>

double sim_chan_link_rate(void *link, double t_s, double *next_s)
{
    sim_chan_link *l = link;
    double next = INFINITY, nx, rate;
    if (l->model == SIM_CHAN_RATE_TRACE) {
        rate = l->trace ? sim_chan_trace_rate(l->trace, t_s, &next) : 0.0;
    } else {
        double gain_db = l->gain_db, g = 1.0;
        if (l->fading) {
            g = sim_chan_fading_gain(l->fading, t_s, &nx);
            next = nx < next ? nx : next;
        }
        if (l->model == SIM_CHAN_RATE_MCS) {
            if (l->fading)
                gain_db += sim_chan_lin_to_db(g);
            double snr_db = sim_chan_snr_db(l->ptx_dbm, gain_db, l->bandwidth_hz,
                                            l->n0_dbm_hz, l->nf_db);
            rate = l->mcs ? sim_chan_mcs_rate_bps(l->mcs, l->bandwidth_hz, snr_db,
                                                  l->eta)
                          : 0.0;
        } else {
            /* Shannon: the fading gain multiplies the mean SNR in linear
             * terms (no dB round trip for it); the mean SNR is memoised, as
             * a faded link asks at every new block (the same values as
             * computing it afresh: same inputs, same operations) */
            double snr;
            if (l->fading && l->snr_memo_ok && l->snr_memo_in[0] == l->ptx_dbm &&
                l->snr_memo_in[1] == gain_db && l->snr_memo_in[2] == l->bandwidth_hz &&
                l->snr_memo_in[3] == l->n0_dbm_hz && l->snr_memo_in[4] == l->nf_db) {
                snr = l->snr_memo_lin;
            } else {
                snr = sim_chan_db_to_lin(sim_chan_snr_db(l->ptx_dbm, gain_db, l->bandwidth_hz,
                                                         l->n0_dbm_hz, l->nf_db));
                if (l->fading) {
                    l->snr_memo_ok = true;
                    l->snr_memo_in[0] = l->ptx_dbm;
                    l->snr_memo_in[1] = gain_db;
                    l->snr_memo_in[2] = l->bandwidth_hz;
                    l->snr_memo_in[3] = l->n0_dbm_hz;
                    l->snr_memo_in[4] = l->nf_db;
                    l->snr_memo_lin = snr;
                }
            }
            if (l->fading)
                snr *= g;
            rate = sim_chan_shannon_bps(l->bandwidth_hz, snr, l->eta);
        }
    }
    if (l->ge) {
        rate *= sim_chan_ge_mult(l->ge, t_s, &nx);
        next = nx < next ? nx : next;
    }
    if (next_s)
        *next_s = next;
    return rate;
}
