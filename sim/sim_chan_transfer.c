/* sim_chan_transfer.c - transfers over a piecewise-constant rate: the
 * finishing time of B bytes, and the bits delivered over an interval,
 * integrated block by block. */
#include "sim_chan.h"

#include <math.h>

/* The rate at t and the end of its block, checked. */
static off_status ask(sim_chan_rate_fn *rate, void *ud, double t, double *r,
                      double *next, off_err *err)
{
    *next = NAN;
    *r = rate(ud, t, next);
    if (!(*r >= 0) || *r == INFINITY)
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "rate process returned %g bit/s at t = %.17g s (expected "
                        "a finite rate >= 0)", *r, t);
    if (!(*next > t))
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "rate process returned the boundary %.17g s at t = %.17g s "
                        "(expected a later time)", *next, t);
    return OFF_OK;
}

off_status sim_chan_transfer_end(sim_chan_rate_fn *rate, void *ud, double t0_s,
                                 double bytes, double *t_end_s, off_err *err)
{
    if (!(bytes >= 0) || !isfinite(bytes) || !isfinite(t0_s))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "transfer of %g bytes at t = %g s (expected a finite size "
                        ">= 0 and a finite start)", bytes, t0_s);
    double left = 8.0 * bytes, t = t0_s;
    while (left > 0) {
        double r, next;
        off_status st = ask(rate, ud, t, &r, &next, err);
        if (st)
            return st;
        if (r > 0 && left <= r * (next - t)) { /* ends inside this block */
            double end = t + left / r;
            *t_end_s = end < next ? end : next;
            return OFF_OK;
        }
        if (next == INFINITY) { /* rate 0 for ever */
            *t_end_s = INFINITY;
            return OFF_OK;
        }
        left -= r * (next - t);
        t = next;
    }
    *t_end_s = t;
    return OFF_OK;
}

off_status sim_chan_transfer_bits(sim_chan_rate_fn *rate, void *ud, double t0_s,
                                  double t1_s, double *bits, off_err *err)
{
    if (!isfinite(t0_s) || !isfinite(t1_s))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "interval [%g, %g] s (expected finite times)", t0_s, t1_s);
    double sum = 0, t = t0_s;
    while (t < t1_s) {
        double r, next;
        off_status st = ask(rate, ud, t, &r, &next, err);
        if (st)
            return st;
        double end = next < t1_s ? next : t1_s;
        if (r > 0)
            sum += r * (end - t);
        t = end;
    }
    *bits = sum;
    return OFF_OK;
}
