/* sim_chan_fading.c - small-scale fading: independent Rayleigh/Rician
 * draws, counter-addressed uniforms, time blocks, and the block and
 * Gauss-Markov fading processes.
 *
 * Why counters and not the caller's stream for the processes: a process
 * that drew from a gsl_rng when asked would hand block k a different
 * number depending on how many blocks were asked before it (and would
 * shift any other user of the same stream), so two policies looking at the
 * channel at different instants would see different channels.  With
 * z_k = f(key, k) the realisation is fixed by the key alone. */
#include "sim_chan.h"

#include <gsl/gsl_math.h> /* M_PI */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_bessel.h>
#include <math.h>

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define TAG_FADING 0x66616465ULL /* "fade" */

double sim_chan_rayleigh_gain(gsl_rng *r)
{
    return gsl_ran_exponential(r, 1.0);
}

/* |a + b (x + i y)|^2, x, y ~ N(0, 1/2). */
double sim_chan_rician_gain(gsl_rng *r, double k_factor)
{
    double a = sqrt(k_factor / (k_factor + 1.0));
    double sd = sqrt(0.5 / (k_factor + 1.0));
    double x = a + gsl_ran_gaussian(r, sd), y = gsl_ran_gaussian(r, sd);
    return x * x + y * y;
}

double sim_chan_doppler_hz(double speed_mps, double fc_hz)
{
    return speed_mps * fc_hz / SIM_CHAN_C_MPS;
}

double sim_chan_coherence_time_s(double doppler_hz)
{
    return doppler_hz > 0 ? 0.423 / doppler_hz : INFINITY;
}

double sim_chan_gm_rho(double doppler_hz, double period_s)
{
    return gsl_sf_bessel_J0(2.0 * M_PI * doppler_hz * period_s);
}

uint64_t sim_chan_key_from_rng(gsl_rng *r)
{
    uint64_t hi = (uint64_t)gsl_rng_get(r), lo = (uint64_t)gsl_rng_get(r);
    return off_mix64((hi << 32) ^ lo);
}

/* splitmix64 output number ctr of the sequence seeded with key: off_mix64
 * adds the increment itself, so off_mix64(key + ctr G) is output ctr. */
double sim_chan_u01(uint64_t key, uint64_t ctr)
{
    uint64_t z = off_mix64(key + ctr * GOLDEN);
    return ((double)(z >> 11) + 1.0) * 0x1.0p-53;
}

int64_t sim_chan_block_index(double t_s, double period_s)
{
    double q = floor(t_s / period_s);
    if (!(q > -0x1.0p62))  /* also NaN */
        return q != q ? 0 : -((int64_t)1 << 62);
    if (q > 0x1.0p62)
        return (int64_t)1 << 62;
    int64_t k = (int64_t)q;
    /* t/T is rounded: settle on the k that the products k T agree with */
    if ((double)(k + 1) * period_s <= t_s)
        k++;
    else if ((double)k * period_s > t_s)
        k--;
    return k;
}

double sim_chan_block_start(int64_t k, double period_s)
{
    return (double)k * period_s;
}

/* z ~ CN(0, 1) number k of key by Box-Muller: sqrt(-ln u1) e^{2 pi i u2}. */
static void cn01(uint64_t key, int64_t k, double *re, double *im)
{
    uint64_t c = 2u * (uint64_t)k;
    double r = sqrt(-log(sim_chan_u01(key, c)));
    double th = 2.0 * M_PI * sim_chan_u01(key, c + 1);
    *re = r * cos(th);
    *im = r * sin(th);
}

off_status sim_chan_fading_init(sim_chan_fading *f, const sim_chan_fading_cfg *cfg,
                                uint64_t key, off_err *err)
{
    if (cfg->kind != SIM_CHAN_FADING_NONE && cfg->kind != SIM_CHAN_FADING_BLOCK &&
        cfg->kind != SIM_CHAN_FADING_GM)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "fading kind %d unknown",
                        (int)cfg->kind);
    if (cfg->kind != SIM_CHAN_FADING_NONE) {
        if (!(cfg->k_factor >= 0 && isfinite(cfg->k_factor)))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "fading K factor %g (expected finite, >= 0)",
                            cfg->k_factor);
        if (!(cfg->period_s > 0 && isfinite(cfg->period_s)))
            return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                            "fading block length %g s (expected > 0)", cfg->period_s);
    }
    if (cfg->kind == SIM_CHAN_FADING_GM && !(fabs(cfg->rho) <= 1.0))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Gauss-Markov correlation %g (expected -1 to 1)", cfg->rho);
    f->cfg = *cfg;
    f->key = off_mix64(key ^ TAG_FADING);
    f->los_amp = sqrt(cfg->k_factor / (cfg->k_factor + 1.0));
    f->nlos_amp = sqrt(1.0 / (cfg->k_factor + 1.0));
    f->innov = sqrt(1.0 - cfg->rho * cfg->rho);
    f->k = 0;
    cn01(f->key, 0, &f->s_re, &f->s_im); /* s_0 = z_0: stationary start */
    return OFF_OK;
}

/* s_k of the Gauss-Markov process, stepping from the last block asked
 * (restarting from s_0 if k is earlier). */
static void gm_advance(sim_chan_fading *f, int64_t k)
{
    if (k < f->k) {
        f->k = 0;
        cn01(f->key, 0, &f->s_re, &f->s_im);
    }
    double rho = f->cfg.rho, c = f->innov;
    while (f->k < k) {
        double zr, zi;
        f->k++;
        cn01(f->key, f->k, &zr, &zi);
        f->s_re = rho * f->s_re + c * zr;
        f->s_im = rho * f->s_im + c * zi;
    }
}

void sim_chan_fading_coef(sim_chan_fading *f, int64_t k, double *re, double *im)
{
    if (k < 0)
        k = 0;
    double sr, si;
    switch (f->cfg.kind) {
    case SIM_CHAN_FADING_BLOCK:
        cn01(f->key, k, &sr, &si);
        break;
    case SIM_CHAN_FADING_GM:
        gm_advance(f, k);
        sr = f->s_re;
        si = f->s_im;
        break;
    default:
        *re = 1.0;
        *im = 0.0;
        return;
    }
    *re = f->los_amp + f->nlos_amp * sr;
    *im = f->nlos_amp * si;
}

double sim_chan_fading_block_gain(sim_chan_fading *f, int64_t k)
{
    /* Rayleigh block: |z_k|^2 = r^2 = -ln u1 of cn01, without the angle
     * (one log instead of log, sqrt, sin and cos; this is on the path of
     * every transfer over a fading link). */
    if (f->cfg.kind == SIM_CHAN_FADING_BLOCK && f->cfg.k_factor == 0)
        return 0.0 - log(sim_chan_u01(f->key, 2u * (uint64_t)(k < 0 ? 0 : k))); /* +0 at u = 1 */
    double re, im;
    sim_chan_fading_coef(f, k, &re, &im);
    return re * re + im * im;
}

double sim_chan_fading_gain(sim_chan_fading *f, double t_s, double *next_s)
{
    if (f->cfg.kind == SIM_CHAN_FADING_NONE) {
        if (next_s)
            *next_s = INFINITY;
        return 1.0;
    }
    int64_t k = sim_chan_block_index(t_s > 0 ? t_s : 0.0, f->cfg.period_s);
    if (next_s)
        *next_s = sim_chan_block_start(k + 1, f->cfg.period_s);
    return sim_chan_fading_block_gain(f, k);
}
