/* sim_chan_pathloss.c - free-space, log-distance and 3GPP TR 38.901
 * UMi-Street Canyon / UMa path loss; log-normal shadowing.
 * Equations and sources: sim_chan.h and docs/models-reference.md. */
#include "sim_chan.h"

#include <gsl/gsl_math.h> /* M_PI */
#include <gsl/gsl_randist.h>
#include <math.h>

/* 20 log10(d) + 20 log10(f) + 20 log10(4 pi / c). */
double sim_chan_fspl_db(double d_m, double f_hz)
{
    return 20.0 * log10(d_m) + 20.0 * log10(f_hz) +
           20.0 * log10(4.0 * M_PI / SIM_CHAN_C_MPS);
}

/* PL(d0) + 10 n log10(d / d0), d clamped to >= d0. */
double sim_chan_logdist_db(double d_m, double d0_m, double pl0_db, double n)
{
    if (d_m < d0_m)
        d_m = d0_m;
    return pl0_db + 10.0 * n * log10(d_m / d0_m);
}

/* The TR's propagation velocity in d'_BP (Table 7.4.1-1, note 1). */
#define TR38901_C 3.0e8

void sim_chan_38901_defaults(sim_chan_38901 *p, sim_chan_38901_scen scen,
                             bool los, double fc_hz)
{
    p->scen = scen;
    p->los = los;
    p->fc_hz = fc_hz;
    p->h_bs_m = scen == SIM_CHAN_38901_UMA ? 25.0 : 10.0;
    p->h_ut_m = 1.5;
    p->h_e_m = 1.0;
}

off_status sim_chan_38901_check(const sim_chan_38901 *p, off_err *err)
{
    if (p->scen != SIM_CHAN_38901_UMI && p->scen != SIM_CHAN_38901_UMA)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "TR 38.901 scenario %d (expected UMi or UMa)", (int)p->scen);
    if (!(p->fc_hz >= 0.5e9 && p->fc_hz <= 100e9))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "TR 38.901 carrier %g Hz (expected 0.5 to 100 GHz)", p->fc_hz);
    if (!(p->h_ut_m >= 1.5 && p->h_ut_m <= 22.5))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "TR 38.901 user height %g m (expected 1.5 to 22.5 m)",
                        p->h_ut_m);
    if (!(p->h_e_m >= 0 && p->h_bs_m > p->h_e_m && p->h_ut_m > p->h_e_m))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "TR 38.901 heights: BS %g m and user %g m must exceed "
                        "the environment height %g m (>= 0)",
                        p->h_bs_m, p->h_ut_m, p->h_e_m);
    return OFF_OK;
}

/* d'_BP = 4 (h_BS - h_E)(h_UT - h_E) f_c / c. */
double sim_chan_38901_breakpoint_m(const sim_chan_38901 *p)
{
    return 4.0 * (p->h_bs_m - p->h_e_m) * (p->h_ut_m - p->h_e_m) * p->fc_hz /
           TR38901_C;
}

bool sim_chan_38901_in_range(double d2d_m)
{
    return d2d_m >= 10.0 && d2d_m <= 5000.0;
}

/* LOS path loss (PL1 before the breakpoint, PL2 after), dB. */
static double pl_los(const sim_chan_38901 *p, double d2d, double d3d, double fc_ghz)
{
    double dh = p->h_bs_m - p->h_ut_m, bp = sim_chan_38901_breakpoint_m(p);
    bool uma = p->scen == SIM_CHAN_38901_UMA;
    if (d2d <= bp)
        return uma ? 28.0 + 22.0 * log10(d3d) + 20.0 * log10(fc_ghz)
                   : 32.4 + 21.0 * log10(d3d) + 20.0 * log10(fc_ghz);
    return uma ? 28.0 + 40.0 * log10(d3d) + 20.0 * log10(fc_ghz) -
                     9.0 * log10(bp * bp + dh * dh)
               : 32.4 + 40.0 * log10(d3d) + 20.0 * log10(fc_ghz) -
                     9.5 * log10(bp * bp + dh * dh);
}

double sim_chan_38901_pl_db(const sim_chan_38901 *p, double d2d_m)
{
    double dh = p->h_bs_m - p->h_ut_m;
    double d3d = sqrt(d2d_m * d2d_m + dh * dh), fc = p->fc_hz / 1e9;
    double los = pl_los(p, d2d_m, d3d, fc);
    if (p->los)
        return los;
    double nlos = p->scen == SIM_CHAN_38901_UMA
                      ? 13.54 + 39.08 * log10(d3d) + 20.0 * log10(fc) -
                            0.6 * (p->h_ut_m - 1.5)
                      : 35.3 * log10(d3d) + 22.4 + 21.3 * log10(fc) -
                            0.3 * (p->h_ut_m - 1.5);
    return nlos > los ? nlos : los; /* PL_NLOS = max(PL_LOS, PL'_NLOS) */
}

double sim_chan_38901_sigma_db(const sim_chan_38901 *p)
{
    if (p->los)
        return 4.0;
    return p->scen == SIM_CHAN_38901_UMA ? 6.0 : 7.82;
}

double sim_chan_38901_sf_corr_m(const sim_chan_38901 *p)
{
    if (p->scen == SIM_CHAN_38901_UMA)
        return p->los ? 37.0 : 50.0;
    return p->los ? 10.0 : 13.0;
}

double sim_chan_38901_los_prob(sim_chan_38901_scen scen, double d2d_m,
                               double h_ut_m)
{
    if (d2d_m <= 18.0)
        return 1.0;
    double d = d2d_m;
    if (scen != SIM_CHAN_38901_UMA)
        return 18.0 / d + exp(-d / 36.0) * (1.0 - 18.0 / d);
    double c = h_ut_m <= 13.0 ? 0.0 : pow((h_ut_m - 13.0) / 10.0, 1.5);
    return (18.0 / d + exp(-d / 63.0) * (1.0 - 18.0 / d)) *
           (1.0 + c * 1.25 * pow(d / 100.0, 3.0) * exp(-d / 150.0));
}

double sim_chan_shadow_db(gsl_rng *r, double sigma_db)
{
    return gsl_ran_gaussian(r, sigma_db);
}

#define TAG_SHADOW 0x73686164ULL /* "shad" */
#define SHADOW_STEPS_PER_CORR 16

/* A standard normal addressed by (key, k): Box-Muller. */
static double n01(uint64_t key, int64_t k)
{
    double u1 = sim_chan_u01(key, 2u * (uint64_t)k), u2 = sim_chan_u01(key, 2u * (uint64_t)k + 1);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void sim_chan_shadow_init(sim_chan_shadow *p, double sigma_db, double corr_m, uint64_t key)
{
    p->key = off_mix64(key ^ TAG_SHADOW);
    p->sigma_db = sigma_db;
    p->corr_m = corr_m;
    p->step_m = corr_m / SHADOW_STEPS_PER_CORR;
    p->a = exp(-1.0 / SHADOW_STEPS_PER_CORR);
    p->innov = sqrt(1.0 - p->a * p->a);
    p->k = 0;
    p->x_db = sigma_db * n01(p->key, 0);
}

double sim_chan_shadow_at(sim_chan_shadow *p, double path_m)
{
    double q = path_m > 0 ? floor(path_m / p->step_m) : 0.0;
    int64_t k = q < 0x1.0p62 ? (int64_t)q : (int64_t)1 << 62;
    if (k < p->k) {
        p->k = 0;
        p->x_db = p->sigma_db * n01(p->key, 0);
    }
    while (p->k < k) {
        p->k++;
        p->x_db = p->a * p->x_db + p->innov * p->sigma_db * n01(p->key, p->k);
    }
    return p->x_db;
}

/* X' = a X + sqrt(1 - a^2) sigma N(0,1), a = exp(-moved / corr). */
double sim_chan_shadow_next_db(gsl_rng *r, double prev_db, double sigma_db,
                               double moved_m, double corr_m)
{
    double a = exp(-fabs(moved_m) / corr_m);
    return a * prev_db + sqrt(1.0 - a * a) * gsl_ran_gaussian(r, sigma_db);
}
