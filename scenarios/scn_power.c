/* scn_power.c - a device's `radio` (tail states), `dvfs` (frequency levels)
 * and `battery` keys.  Equations in docs/models-reference.md ("Device
 * radios and power"); keys in docs/scenario-reference.md ("devices").
 *
 * Every part is optional and off when absent (n_tail 0, n_levels 0,
 * capacity_j 0), so a scenario without these keys runs exactly as before. */
#include "scn_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


static const char *const k_radio[] = {"tail", "tail_power"};
static const char *const k_tail_state[] = {"duration", "power"};
static const char *const k_dvfs[] = {"levels", "kappa", "level"};
static const char *const k_level[] = {"freq", "power"};
static const char *const k_battery[] = {"capacity"};

/* radio: {tail: DURATION, tail_power: POWER (default: the device's rx
 * power)} or {tail: [{duration, power}, ...]} (1..SCN_MAX_TAIL_STATES
 * states, in the order the radio goes through them). */
static off_status load_radio(scn_radio *r, const scn_device *d, const cfg_node *v,
                             const char *where, off_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "radio of %s", where);
    off_status st;
    cfg_node *tail;
    r->pos = v->pos;
    if ((st = cfg_want_map(v, w, k_radio, OFF_COUNT(k_radio), err)) ||
        (st = cfg_check_keys(v, k_radio, OFF_COUNT(k_radio), w, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, "tail", w, &tail, err)))
        return st;
    const cfg_node *tp = cfg_map_get(v, "tail_power");
    const unsigned f = CFG_Q_GE0 | CFG_Q_FINITE;
    if (tail->kind != CFG_NODE_SEQ) { /* one state */
        double dur, pw = d->power_rx_w;
        if ((st = cfg_get_quantity(tail, "tail", CFG_DIM_TIME, f, &dur, err)) ||
            (tp && (st = cfg_get_quantity(tp, "tail_power", CFG_DIM_POWER, f, &pw, err))))
            return st;
        if (dur > 0) {
            r->n_tail = 1;
            r->tail[0] = (scn_tail_state){dur, pw};
        }
        return OFF_OK;
    }
    if (tp)
        return cfg_errp(err, OFF_EINVAL, tp->pos,
                        "%s: tail_power goes with a single tail duration; a list of "
                        "tail states gives each state's power", w);
    if (tail->n == 0 || tail->n > SCN_MAX_TAIL_STATES)
        return cfg_errp(err, OFF_EINVAL, tail->pos,
                        "%s: tail must list 1 to %d states ({duration, power}), got %zu",
                        w, SCN_MAX_TAIL_STATES, tail->n);
    for (size_t i = 0; i < tail->n; i++) {
        const cfg_node *it = tail->items[i];
        char ws[192];
        snprintf(ws, sizeof ws, "tail state %zu of %s", i, w);
        cfg_node *dn, *pn;
        scn_tail_state *s = &r->tail[i];
        if ((st = cfg_want_map(it, ws, k_tail_state, OFF_COUNT(k_tail_state), err)) ||
            (st = cfg_check_keys(it, k_tail_state, OFF_COUNT(k_tail_state), ws, NULL, 0, NULL,
                                 err)) ||
            (st = cfg_require(it, "duration", ws, &dn, err)) ||
            (st = cfg_require(it, "power", ws, &pn, err)) ||
            (st = cfg_get_quantity(dn, "duration", CFG_DIM_TIME, CFG_Q_GT0 | CFG_Q_FINITE,
                                   &s->duration_s, err)) ||
            (st = cfg_get_quantity(pn, "power", CFG_DIM_POWER, f, &s->power_w, err)))
            return st;
    }
    r->n_tail = tail->n;
    return OFF_OK;
}

/* dvfs: {levels: [FREQ | {freq, power}, ...] strictly ascending,
 * kappa: W/Hz^3 (> 0), level: 0..n-1 (default n-1, the fastest)}.  Either
 * every level has a power or none does; kappa only when none does. */
static off_status load_dvfs(scn_dvfs *dv, const cfg_node *v, const char *where,
                            off_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "dvfs of %s", where);
    off_status st;
    cfg_node *lv;
    dv->pos = v->pos;
    if ((st = cfg_want_map(v, w, k_dvfs, OFF_COUNT(k_dvfs), err)) ||
        (st = cfg_check_keys(v, k_dvfs, OFF_COUNT(k_dvfs), w, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, "levels", w, &lv, err)) ||
        (st = cfg_want_seq(lv, "levels", err)))
        return st;
    if (lv->n == 0 || lv->n > SCN_MAX_DVFS_LEVELS)
        return cfg_errp(err, OFF_EINVAL, lv->pos,
                        "%s: levels must list 1 to %d frequencies, got %zu", w,
                        SCN_MAX_DVFS_LEVELS, lv->n);
    size_t n_power = 0;
    const cfg_node *first_power = NULL, *first_bare = NULL;
    for (size_t i = 0; i < lv->n; i++) {
        const cfg_node *it = lv->items[i];
        scn_dvfs_level *L = &dv->levels[i];
        const cfg_node *fn = it, *pn = NULL;
        L->power_w = -1;
        if (it->kind == CFG_NODE_MAP) {
            char wl[192];
            snprintf(wl, sizeof wl, "level %zu of %s", i, w);
            cfg_node *req;
            if ((st = cfg_check_keys(it, k_level, OFF_COUNT(k_level), wl, NULL, 0, NULL, err)) ||
                (st = cfg_require(it, "freq", wl, &req, err)))
                return st;
            fn = req;
            pn = cfg_map_get(it, "power");
        }
        if ((st = cfg_get_quantity(fn, "freq", CFG_DIM_FREQ, CFG_Q_GT0 | CFG_Q_FINITE,
                                   &L->freq_hz, err)) ||
            (pn && (st = cfg_get_quantity(pn, "power", CFG_DIM_POWER,
                                          CFG_Q_GE0 | CFG_Q_FINITE, &L->power_w, err))))
            return st;
        if (pn) {
            n_power++;
            if (!first_power)
                first_power = pn;
        } else if (!first_bare) {
            first_bare = it;
        }
        if (i && !(L->freq_hz > dv->levels[i - 1].freq_hz))
            return cfg_errp(err, OFF_EINVAL, fn->pos,
                            "%s: levels must be in strictly ascending frequency, got %s "
                            "after %g GHz", w, fn->text, dv->levels[i - 1].freq_hz / 1e9);
    }
    if (n_power && n_power != lv->n)
        return cfg_errp(err, OFF_EINVAL, first_bare->pos,
                        "%s: either every level gives its power or none does (the first "
                        "level with a power is at line %d)", w, first_power->pos.line);
    const cfg_node *kn = cfg_map_get(v, "kappa");
    if (kn) {
        if (n_power)
            return cfg_errp(err, OFF_EINVAL, kn->pos,
                            "%s: kappa and per-level powers are two ways to give the "
                            "power; give one", w);
        if ((st = cfg_get_quantity(kn, "kappa", CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_FINITE,
                                   &dv->kappa, err)))
            return st;
    }
    dv->level = lv->n - 1;
    const cfg_node *ln = cfg_map_get(v, "level");
    if (ln) {
        uint64_t k;
        if ((st = cfg_get_uint(ln, "level", 0, lv->n - 1, &k, err)))
            return st;
        dv->level = (size_t)k;
    }
    dv->n_levels = lv->n;
    return OFF_OK;
}

/* battery: {capacity: ENERGY > 0, finite}. */
static off_status load_battery(scn_battery *b, const cfg_node *v, const char *where,
                               off_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "battery of %s", where);
    off_status st;
    cfg_node *c;
    b->pos = v->pos;
    if ((st = cfg_want_map(v, w, k_battery, OFF_COUNT(k_battery), err)) ||
        (st = cfg_check_keys(v, k_battery, OFF_COUNT(k_battery), w, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, "capacity", w, &c, err)) ||
        (st = cfg_get_quantity(c, "capacity", CFG_DIM_ENERGY, CFG_Q_GT0 | CFG_Q_FINITE,
                               &b->capacity_j, err)))
        return st;
    return OFF_OK;
}

off_status scn_load_device_power(scn_device *d, const cfg_node *dev, const char *where,
                                 off_err *err)
{
    memset(&d->radio, 0, sizeof d->radio);
    memset(&d->dvfs, 0, sizeof d->dvfs);
    memset(&d->battery, 0, sizeof d->battery);
    const cfg_node *v;
    off_status st;
    if (((v = cfg_map_get(dev, "radio")) && (st = load_radio(&d->radio, d, v, where, err))) ||
        ((v = cfg_map_get(dev, "dvfs")) && (st = load_dvfs(&d->dvfs, v, where, err))) ||
        ((v = cfg_map_get(dev, "battery")) &&
         (st = load_battery(&d->battery, v, where, err))))
        return st;
    return OFF_OK;
}
