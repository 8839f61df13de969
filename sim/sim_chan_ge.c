/* sim_chan_ge.c - Gilbert-Elliott two-state outages, generated sojourn by
 * sojourn from counter-addressed uniforms (see sim_chan.h). */
#include "sim_chan.h"

#include <math.h>

#define TAG_GE 0x67656f75ULL /* "geou" */
#define NEVER INT64_MAX

off_status sim_chan_ge_cfg_sojourn(sim_chan_ge_cfg *cfg, double slot_s,
                                   double mean_good_s, double mean_bad_s,
                                   double bad_mult, off_err *err)
{
    if (!(slot_s > 0 && isfinite(slot_s)))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Gilbert-Elliott slot %g s (expected > 0)", slot_s);
    if (!(mean_good_s >= slot_s) || !(mean_bad_s >= slot_s))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Gilbert-Elliott mean sojourns %g s (good) and %g s (bad) "
                        "must be at least one slot (%g s)",
                        mean_good_s, mean_bad_s, slot_s);
    cfg->slot_s = slot_s;
    cfg->p_gb = slot_s / mean_good_s; /* +inf mean gives 0: never leaves */
    cfg->p_bg = slot_s / mean_bad_s;
    cfg->bad_mult = bad_mult;
    return OFF_OK;
}

double sim_chan_ge_bad_fraction(const sim_chan_ge_cfg *cfg)
{
    return cfg->p_gb / (cfg->p_gb + cfg->p_bg);
}

/* Length in slots of sojourn j in a state left with probability p per slot:
 * 1 + floor(ln u / ln(1 - p)), Geometric(p) on {1, 2, ...}. */
static int64_t sojourn_slots(const sim_chan_ge *g, uint64_t j, bool bad)
{
    double p = bad ? g->cfg.p_bg : g->cfg.p_gb;
    if (p <= 0.0)
        return NEVER;
    double u = sim_chan_u01(g->key, j + 1);
    double l = 1.0 + floor(log(u) / log1p(-p)); /* p = 1: -0 / -inf -> 1 */
    return l < 0x1.0p62 ? (int64_t)l : NEVER;
}

static void first_sojourn(sim_chan_ge *g)
{
    g->sojourn = 0;
    g->start = 0;
    g->bad = sim_chan_u01(g->key, 0) <= sim_chan_ge_bad_fraction(&g->cfg);
    g->end = sojourn_slots(g, 0, g->bad);
}

off_status sim_chan_ge_init(sim_chan_ge *g, const sim_chan_ge_cfg *cfg,
                            uint64_t key, off_err *err)
{
    if (!(cfg->slot_s > 0 && isfinite(cfg->slot_s)))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Gilbert-Elliott slot %g s (expected > 0)", cfg->slot_s);
    if (!(cfg->p_gb >= 0 && cfg->p_gb <= 1 && cfg->p_bg >= 0 && cfg->p_bg <= 1) ||
        !(cfg->p_gb + cfg->p_bg > 0))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Gilbert-Elliott transition probabilities p_gb %g, p_bg %g "
                        "(expected 0 to 1, not both 0)", cfg->p_gb, cfg->p_bg);
    if (!(cfg->bad_mult >= 0 && cfg->bad_mult <= 1))
        return off_errf(err, OFF_EINVAL, NULL, 0, 0,
                        "Gilbert-Elliott bad-state rate multiplier %g (expected "
                        "0 to 1)", cfg->bad_mult);
    g->cfg = *cfg;
    g->key = off_mix64(key ^ TAG_GE);
    first_sojourn(g);
    return OFF_OK;
}

bool sim_chan_ge_bad_slot(sim_chan_ge *g, int64_t k, int64_t *end_slot)
{
    if (k < 0)
        k = 0;
    if (k < g->start)
        first_sojourn(g);
    while (k >= g->end) { /* end < NEVER here */
        int64_t len;
        g->sojourn++;
        g->start = g->end;
        g->bad = !g->bad;
        len = sojourn_slots(g, g->sojourn, g->bad);
        g->end = len >= NEVER - g->start ? NEVER : g->start + len;
    }
    if (end_slot)
        *end_slot = g->end;
    return g->bad;
}

double sim_chan_ge_mult(sim_chan_ge *g, double t_s, double *next_s)
{
    int64_t end, k = sim_chan_block_index(t_s > 0 ? t_s : 0.0, g->cfg.slot_s);
    bool bad = sim_chan_ge_bad_slot(g, k, &end);
    if (next_s)
        *next_s = end == NEVER ? INFINITY : sim_chan_block_start(end, g->cfg.slot_s);
    return bad ? g->cfg.bad_mult : 1.0;
}
