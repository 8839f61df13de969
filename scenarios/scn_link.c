/* scn_link.c - a device's `uplink` or `downlink`: a fixed rate and delay,
 * or a channel model that gives the rate over time (path loss, shadowing,
 * fading, Gilbert-Elliott outages, Shannon or MCS rate, or a throughput
 * trace), and the estimator of throughput the device reports to policies.
 * See scn.h (scn_link, scn_channel, scn_estimator), scn_int.h and
 * docs/scenario-reference.md ("devices", uplink/downlink). */
#include "scn_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* Coherence time T_c = 0.423 / f_D (Rappaport, 2nd ed., sec. 5.4.3): the
 * default block length / sample period of fading. */
#define COHERENCE_K 0.423
#define DEFAULT_DOPPLER_HZ 10.0
/* 3GPP TR 38.901 path loss holds for 0.5 GHz <= f_c <= 100 GHz. */
#define F38901_MIN_HZ 0.5e9
#define F38901_MAX_HZ 100e9

static const char *const k_link[] = {"rate", "delay", "channel", "estimator"};

/* Same order as scn_chan_model, scn_pathloss_model, scn_fading_model and
 * scn_estimator_kind. */
static const char *const chan_models[] = {"fixed", "shannon", "mcs", "trace"};
static const char *const pl_models[] = {"gain",    "free-space", "log-distance",
                                        "umi-los", "umi-nlos",   "uma-los",
                                        "uma-nlos"};
static const char *const fade_models[] = {"none", "block", "gauss-markov"};
static const char *const est_kinds[] = {"last", "ewma", "harmonic"};

typedef struct keyset {
    const char *const *keys;
    size_t n;
} keyset;
#define KS(a) {a, OFF_COUNT(a)}

static const char *const k_chan_all[] = {
    "model",        "bandwidth", "efficiency", "tx_power", "noise_density",
    "noise_figure", "pathloss",  "fading",     "outage",   "file",
    "loop",         "shared",    "subchannels"};
static const char *const k_chan_fixed[] = {"model", "shared"};
static const char *const k_chan_shannon[] = {
    "model",        "bandwidth", "efficiency", "tx_power", "noise_density",
    "noise_figure", "pathloss",  "fading",     "outage",   "shared",
    "subchannels"};
static const char *const k_chan_mcs[] = {
    "model",    "bandwidth", "tx_power", "noise_density", "noise_figure",
    "pathloss", "fading",    "outage",   "shared"};
static const char *const k_chan_trace[] = {"model", "file", "loop", "outage",
                                           "shared"};
static const keyset chan_keys[] = {KS(k_chan_fixed), KS(k_chan_shannon),
                                   KS(k_chan_mcs), KS(k_chan_trace)};

static const char *const k_pl_all[] = {"model",    "gain",     "frequency",
                                       "distance", "exponent", "ref_distance",
                                       "shadowing", "decorrelation"};
static const char *const k_pl_gain[] = {"model", "gain", "shadowing"};
static const char *const k_pl_dist[] = {"model", "frequency", "distance",
                                        "shadowing", "decorrelation"};
static const char *const k_pl_logd[] = {"model",    "frequency",    "distance",
                                        "exponent", "ref_distance", "shadowing",
                                        "decorrelation"};
static const keyset pl_keys[] = {KS(k_pl_gain), KS(k_pl_dist), KS(k_pl_logd),
                                 KS(k_pl_dist), KS(k_pl_dist), KS(k_pl_dist),
                                 KS(k_pl_dist)};

static const char *const k_fade_all[] = {"model", "k", "coherence", "doppler"};
static const char *const k_fade_none[] = {"model"};
static const keyset fade_keys[] = {KS(k_fade_none), KS(k_fade_all),
                                   KS(k_fade_all)};

static const char *const k_outage[] = {"good", "bad", "slot", "factor"};

static const char *const k_est_all[] = {"kind", "alpha", "k"};
static const char *const k_est_last[] = {"kind"};
static const char *const k_est_ewma[] = {"kind", "alpha"};
static const char *const k_est_harm[] = {"kind", "k"};
static const keyset est_keys[] = {KS(k_est_last), KS(k_est_ewma),
                                  KS(k_est_harm)};

/* The out-of-memory error (no position). */
static off_status oom(off_err *err)
{
    return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
}

/* Optional quantity: *out keeps its default when key is absent. */
static off_status opt_q(const cfg_node *map, const char *key, cfg_dim dim,
                        unsigned flags, double *out, off_err *err)
{
    const cfg_node *v = cfg_map_get(map, key);
    return v ? cfg_get_quantity(v, key, dim, flags, out, err) : OFF_OK;
}

/* Required quantity: "OWNER has no 'key'" when absent. */
static off_status req_q(const cfg_node *map, const char *key, const char *owner,
                        cfg_dim dim, unsigned flags, double *out, off_err *err)
{
    cfg_node *v;
    off_status st = cfg_require(map, key, owner, &v, err);
    return st ? st : cfg_get_quantity(v, key, dim, flags, out, err);
}

/* A mapping with a `field` (model, kind) that picks one of names[] and,
 * with it, the keys in sets[]: keys of no variant are unknown (with
 * did-you-mean), keys of another variant "do not apply to the NAME NOUN".
 * what names the field's value in messages ("unknown WHAT 'x'").  *idx
 * receives the choice. */
static off_status load_variant(const cfg_node *v, const char *where,
                               const char *field, const char *what,
                               const char *noun,
                               const char *const *names, size_t n_names,
                               const keyset *sets, const char *const *all,
                               size_t n_all, size_t *idx, off_err *err)
{
    char msg[400], list[300];
    cfg_node *f;
    off_status st;
    if ((st = cfg_want_map(v, where, all, n_all, err)) ||
        (st = cfg_check_keys(v, all, n_all, where, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, field, where, &f, err)) ||
        (st = cfg_get_choice(f, what, names, n_names, idx, err)))
        return st;
    const keyset *ks = &sets[*idx];
    snprintf(msg, sizeof msg, "does not apply to the %s %s (its keys: %s)",
             names[*idx], noun, cfg_join(ks->keys, ks->n, list, sizeof list));
    return cfg_check_keys(v, ks->keys, ks->n, where, all, n_all, msg, err);
}

/* If text (blanks trimmed) ends in unit, the number before it (trimmed)
 * into num and true; else false. */
static bool split_unit(const char *text, const char *unit, char *num,
                       size_t cap)
{
    size_t n = strlen(text), u = strlen(unit);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n < u || strncmp(text + n - u, unit, u) != 0 || n - u >= cap)
        return false;
    memcpy(num, text, n - u);
    num[n - u] = '\0';
    return true;
}

/* True with *out when num is a finite plain decimal number (no unit, no
 * '%'). */
static bool plain_number(const char *num, scn_pos pos, double *out)
{
    off_err tmp;
    double x;
    if (strchr(num, '%') ||
        cfg_quantity(num, CFG_DIM_NONE, NULL, &x, pos, &tmp) != OFF_OK ||
        !isfinite(x))
        return false;
    *out = x;
    return true;
}

/* A logarithmic level written "NUMBER UNIT" or as a bare NUMBER (in unit):
 * dBm/Hz for the noise density, which is not a unit of scn_parse_quantity. */
static off_status get_level(const cfg_node *v, const char *what,
                            const char *unit, const char *example, double *out,
                            off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st)
        return st;
    char num[80], got[80];
    const char *t = split_unit(v->text, unit, num, sizeof num) ? num : v->text;
    if (plain_number(t, v->pos, out))
        return OFF_OK;
    return cfg_errp(err, OFF_EINVAL, v->pos,
                    "%s: expected a level in %s such as '%s' (a bare number "
                    "is in %s), got '%s'", what, unit, example, unit,
                    cfg_short(v->text, got, sizeof got));
}

/* A transmit power into dBm: "23 dBm" and "-7 dBW" are taken exactly,
 * other power units (mW, W, ...) are converted, 10 log10(P / 1 mW); a bare
 * number is refused (it would mean watts, an easy 30 dB mistake). */
static off_status get_dbm(const cfg_node *v, const char *what, double *out,
                          off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st)
        return st;
    char num[80], got[80];
    double x;
    cfg_short(v->text, got, sizeof got);
    if (split_unit(v->text, "dBm", num, sizeof num) &&
        plain_number(num, v->pos, out))
        return OFF_OK;
    if (split_unit(v->text, "dBW", num, sizeof num) &&
        plain_number(num, v->pos, &x)) {
        *out = x + 30;
        return OFF_OK;
    }
    if (plain_number(v->text, v->pos, &x))
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: give a unit, such as '23 dBm' or '200 mW' (a "
                        "bare number would be watts), got '%s'", what, got);
    if ((st = cfg_get_quantity(v, what, CFG_DIM_POWER, CFG_Q_GT0 | CFG_Q_FINITE,
                               &x, err)))
        return st;
    *out = 10 * log10(x) + 30;
    return OFF_OK;
}

/* A Rician K factor, linear: a plain number >= 0, or "NUMBER dB". */
static off_status get_kfactor(const cfg_node *v, const char *what, double *out,
                              off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st)
        return st;
    char num[80], got[80];
    double x;
    if (split_unit(v->text, "dB", num, sizeof num)) {
        if (!plain_number(num, v->pos, &x))
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s: expected a linear number such as '3' or a "
                            "level such as '6 dB', got '%s'", what,
                            cfg_short(v->text, got, sizeof got));
        *out = pow(10, x / 10);
        return OFF_OK;
    }
    return cfg_get_quantity(v, what, CFG_DIM_NONE, CFG_Q_GE0 | CFG_Q_FINITE,
                            out, err);
}

/* channel.pathloss: {model (required), shadowing, and per model: gain |
 * frequency, distance [, exponent, ref_distance]}. */
static off_status load_pathloss(scn_channel *c, const cfg_node *v,
                                const char *where, off_err *err)
{
    char w[224];
    snprintf(w, sizeof w, "pathloss of %s", where);
    size_t m;
    off_status st;
    const unsigned pos = CFG_Q_GT0 | CFG_Q_FINITE;
    if ((st = load_variant(v, w, "model", "path-loss model", "path-loss model", pl_models,
                           OFF_COUNT(pl_models), pl_keys, k_pl_all, OFF_COUNT(k_pl_all), &m,
                           err)) ||
        (st = opt_q(v, "shadowing", CFG_DIM_DB, CFG_Q_GE0 | CFG_Q_FINITE,
                    &c->shadowing_db, err)))
        return st;
    c->pathloss = (scn_pathloss_model)m;
    if (c->pathloss == SCN_PL_GAIN)
        return req_q(v, "gain", w, CFG_DIM_DB, CFG_Q_FINITE, &c->gain_db, err);
    const cfg_node *dc = cfg_map_get(v, "decorrelation");
    if (dc) {
        if ((st = cfg_get_quantity(dc, "decorrelation", CFG_DIM_LENGTH, pos,
                                   &c->shadow_corr_m, err)))
            return st;
        if (c->shadowing_db == 0 || (c->shadowing_db < 0 && c->pathloss < SCN_PL_UMI_LOS))
            return cfg_errp(err, OFF_EINVAL, dc->pos,
                            "decorrelation: %s has no shadowing to correlate (set "
                            "`shadowing`, e.g. 8 dB)", w);
    }
    if ((st = req_q(v, "frequency", w, CFG_DIM_FREQ, pos, &c->frequency_hz,
                    err)) ||
        (st = req_q(v, "distance", w, CFG_DIM_LENGTH, pos, &c->distance_m,
                    err)))
        return st;
    if (c->pathloss == SCN_PL_LOG_DISTANCE)
        return (st = opt_q(v, "exponent", CFG_DIM_NONE, pos, &c->exponent,
                           err))
                   ? st
                   : opt_q(v, "ref_distance", CFG_DIM_LENGTH, pos,
                           &c->ref_distance_m, err);
    if (c->pathloss >= SCN_PL_UMI_LOS &&
        (c->frequency_hz < F38901_MIN_HZ || c->frequency_hz > F38901_MAX_HZ)) {
        const cfg_node *f = cfg_map_get(v, "frequency");
        char got[80];
        return cfg_errp(err, OFF_EINVAL, f->pos,
                        "frequency: the 3GPP TR 38.901 %s model holds for "
                        "0.5 GHz to 100 GHz, got %s", pl_models[m],
                        cfg_short(f->text, got, sizeof got));
    }
    return OFF_OK;
}

/* channel.fading: {model (required); block and gauss-markov: k, coherence,
 * doppler}.  Without coherence, coherence = 0.423 / doppler. */
static off_status load_fading(scn_channel *c, const cfg_node *v,
                              const char *where, off_err *err)
{
    char w[224];
    snprintf(w, sizeof w, "fading of %s", where);
    size_t m;
    off_status st;
    const unsigned pos = CFG_Q_GT0 | CFG_Q_FINITE;
    if ((st = load_variant(v, w, "model", "fading model", "fading model", fade_models,
                           OFF_COUNT(fade_models), fade_keys, k_fade_all,
                           OFF_COUNT(k_fade_all), &m, err)))
        return st;
    c->fading = (scn_fading_model)m;
    if (c->fading == SCN_FADE_NONE)
        return OFF_OK;
    const cfg_node *k = cfg_map_get(v, "k"), *coh = cfg_map_get(v, "coherence"),
                   *dop = cfg_map_get(v, "doppler");
    if ((k && (st = get_kfactor(k, "k", &c->k_factor, err))) ||
        (st = opt_q(v, "doppler", CFG_DIM_FREQ, pos, &c->doppler_hz, err)) ||
        (st = opt_q(v, "coherence", CFG_DIM_TIME, pos, &c->coherence_s, err)))
        return st;
    if (c->fading == SCN_FADE_BLOCK && coh && dop)
        return cfg_errp(err, OFF_EINVAL, dop->pos,
                        "%s: doppler only sets block fading's default "
                        "coherence (0.423 / doppler); give coherence or "
                        "doppler, not both", w);
    /* block: the coherence time; gauss-markov: a tenth of it, so that
     * successive samples are correlated (J0(2 pi 0.0423) = 0.98) */
    if (!coh)
        c->coherence_s =
            COHERENCE_K / c->doppler_hz / (c->fading == SCN_FADE_GAUSS_MARKOV ? 10 : 1);
    return OFF_OK;
}

/* channel.outage: {good, bad (required), slot (1 ms), factor (0)}, or
 * false (no outages). */
static off_status load_outage(scn_channel *c, const cfg_node *v,
                              const char *where, off_err *err)
{
    char w[224];
    snprintf(w, sizeof w, "outage of %s", where);
    off_status st;
    if (v->kind == CFG_NODE_SCALAR && !cfg_node_is_null(v)) {
        bool on;
        if ((st = cfg_get_bool(v, "outage", &on, err)))
            return st;
        if (on)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s: write the mapping {good, bad} (mean "
                            "sojourns) to turn outages on; 'false' turns "
                            "them off", w);
        c->outage = false;
        return OFF_OK;
    }
    const unsigned pos = CFG_Q_GT0 | CFG_Q_FINITE;
    if ((st = cfg_want_map(v, w, k_outage, OFF_COUNT(k_outage), err)) ||
        (st = cfg_check_keys(v, k_outage, OFF_COUNT(k_outage), w, NULL, 0, NULL,
                             err)) ||
        (st = req_q(v, "good", w, CFG_DIM_TIME, pos, &c->good_s, err)) ||
        (st = req_q(v, "bad", w, CFG_DIM_TIME, pos, &c->bad_s, err)) ||
        (st = opt_q(v, "slot", CFG_DIM_TIME, pos, &c->outage_slot_s, err)) ||
        (st = opt_q(v, "factor", CFG_DIM_NONE, CFG_Q_UNIT | CFG_Q_FINITE,
                    &c->bad_factor, err)))
        return st;
    static const char *const means[] = {"good", "bad"};
    for (size_t i = 0; i < 2; i++) {
        const cfg_node *x = cfg_map_get(v, means[i]);
        double mean = i ? c->bad_s : c->good_s;
        char got[80];
        if (mean < c->outage_slot_s)
            return cfg_errp(err, OFF_EINVAL, x->pos,
                            "%s must be at least the slot (%g s: the chain "
                            "changes state at most once a slot), got %s",
                            means[i], c->outage_slot_s,
                            cfg_short(x->text, got, sizeof got));
    }
    c->outage = true;
    return OFF_OK;
}

/* channel.file of a trace: resolved against scn_file's directory; only
 * checked to be readable here (the simulator parses it). */
static off_status load_trace_file(scn_channel *c, const cfg_node *v,
                                  const char *where, const char *scn_file,
                                  off_err *err)
{
    cfg_node *x;
    char *rel = NULL;
    off_status st;
    if ((st = cfg_require(v, "file", where, &x, err)) ||
        (st = cfg_get_string(x, "file", &rel, err)))
        return st;
    c->trace_path = scn_resolve_path(scn_file, rel);
    free(rel);
    if (!c->trace_path)
        return oom(err);
    FILE *f = fopen(c->trace_path, "rb");
    if (!f)
        return cfg_errp(err, OFF_EIO, x->pos,
                        "cannot read channel trace file '%s': cannot open: %s",
                        c->trace_path, strerror(errno));
    fclose(f);
    struct stat sb; /* a directory opens, and fails only when read */
    if (stat(c->trace_path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return cfg_errp(err, OFF_EIO, x->pos,
                        "cannot read channel trace file '%s': is a directory, not a file",
                        c->trace_path);
    const cfg_node *loop = cfg_map_get(v, "loop");
    return loop ? cfg_get_bool(loop, "loop", &c->trace_loop, err) : OFF_OK;
}

/* link.channel: the model and its keys (docs/scenario-reference.md);
 * `shared: true` on uplinks only. */
static off_status load_channel(scn_channel *c, const cfg_node *v,
                               bool uplink, const char *where,
                               const char *scn_file, off_err *err)
{
    char w[224];
    snprintf(w, sizeof w, "channel of %s", where);
    size_t m;
    off_status st;
    c->pos = v->pos;
    if ((st = load_variant(v, w, "model", "channel model", "channel model", chan_models,
                           OFF_COUNT(chan_models), chan_keys, k_chan_all,
                           OFF_COUNT(k_chan_all), &m, err)))
        return st;
    c->model = (scn_chan_model)m;
    const cfg_node *x;
    if ((x = cfg_map_get(v, "shared")) &&
        (st = cfg_get_bool(x, "shared", &c->shared, err)))
        return st;
    if (c->shared && !uplink)
        return cfg_errp(err, OFF_EINVAL, x->pos,
                        "%s: only uplinks can share a cell (shared: true "
                        "applies to uplinks)", w);
    if ((x = cfg_map_get(v, "subchannels"))) { /* OFDMA, shannon only */
        uint64_t k;
        if ((st = cfg_get_uint(x, "subchannels", 1, 1024, &k, err)))
            return st;
        if (!c->shared)
            return cfg_errp(err, OFF_EINVAL, x->pos,
                            "%s: subchannels divide a shared cell: add shared: true", w);
        c->subchannels = (size_t)k;
    }
    if ((x = cfg_map_get(v, "outage")) && (st = load_outage(c, x, where, err)))
        return st;
    switch (c->model) {
    case SCN_CHAN_FIXED:
        return OFF_OK;
    case SCN_CHAN_TRACE:
        return load_trace_file(c, v, w, scn_file, err);
    case SCN_CHAN_SHANNON:
    case SCN_CHAN_MCS:
        break;
    }
    cfg_node *pl;
    if ((st = req_q(v, "bandwidth", w, CFG_DIM_FREQ, CFG_Q_GT0 | CFG_Q_FINITE,
                    &c->bandwidth_hz, err)) ||
        (st = opt_q(v, "efficiency", CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_UNIT,
                    &c->efficiency, err)) ||
        ((x = cfg_map_get(v, "tx_power")) &&
         (st = get_dbm(x, "tx_power", &c->tx_power_dbm, err))) ||
        ((x = cfg_map_get(v, "noise_density")) &&
         (st = get_level(x, "noise_density", "dBm/Hz", "-174 dBm/Hz",
                         &c->noise_density_dbm_hz, err))) ||
        (st = opt_q(v, "noise_figure", CFG_DIM_DB, CFG_Q_GE0 | CFG_Q_FINITE,
                    &c->noise_figure_db, err)) ||
        (st = cfg_require(v, "pathloss", w, &pl, err)) ||
        (st = load_pathloss(c, pl, where, err)) ||
        ((x = cfg_map_get(v, "fading")) && (st = load_fading(c, x, where, err))))
        return st;
    return OFF_OK;
}

/* link.estimator: {kind (required), alpha (ewma), k (harmonic)}. */
static off_status load_estimator(scn_estimator *e, const cfg_node *v,
                                 const char *where, off_err *err)
{
    char w[224];
    snprintf(w, sizeof w, "estimator of %s", where);
    size_t kind;
    off_status st;
    cfg_node *x;
    if ((st = load_variant(v, w, "kind", "estimator kind", "estimator", est_kinds,
                           OFF_COUNT(est_kinds), est_keys, k_est_all,
                           OFF_COUNT(k_est_all), &kind, err)))
        return st;
    e->kind = (scn_estimator_kind)kind;
    if (e->kind == SCN_EST_EWMA)
        return req_q(v, "alpha", w, CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_UNIT,
                     &e->alpha, err);
    if (e->kind == SCN_EST_HARMONIC) {
        uint64_t k;
        if ((st = cfg_require(v, "k", w, &x, err)) ||
            (st = cfg_get_uint(x, "k", 1, 64, &k, err)))
            return st;
        e->k = (size_t)k;
    }
    return OFF_OK;
}

/* The defaults of scn.h's comments.  Noise figure: the receiver's, 3GPP TR
 * 36.814 Annex A: the base station's (5 dB) on the uplink, the device's
 * (9 dB) on the downlink. */
static void defaults(scn_link *l, bool uplink, scn_pos pos)
{
    memset(l, 0, sizeof *l);
    l->rate_bps = INFINITY;
    l->delay_s = 0;
    l->pos = pos;
    scn_channel *c = &l->chan;
    c->model = SCN_CHAN_FIXED;
    c->efficiency = 1;
    c->tx_power_dbm = 23;
    c->noise_density_dbm_hz = -174;
    c->noise_figure_db = uplink ? 5 : 9;
    c->pathloss = SCN_PL_GAIN;
    c->exponent = 3;
    c->ref_distance_m = 1;
    c->shadowing_db = -1; /* the model's own (38.901), else none */
    c->fading = SCN_FADE_NONE;
    c->doppler_hz = DEFAULT_DOPPLER_HZ;
    c->coherence_s = COHERENCE_K / DEFAULT_DOPPLER_HZ;
    c->outage_slot_s = 1e-3;
    c->trace_loop = true;
    c->pos = pos;
    l->est.kind = SCN_EST_LAST;
    l->est.alpha = 1; /* both equivalent to "last" until set */
    l->est.k = 1;
}

off_status scn_load_link(scn_link *l, const cfg_node *dev, const char *key,
                         const char *where, const char *scn_file, off_err *err)
{
    bool uplink = strcmp(key, "uplink") == 0;
    defaults(l, uplink, dev->pos);
    const cfg_node *v = cfg_map_get(dev, key), *x;
    if (!v)
        return OFF_OK;
    l->pos = v->pos;
    l->chan.pos = v->pos;
    char w[160];
    snprintf(w, sizeof w, "%s of %s", key, where);
    off_status st;
    if ((st = cfg_want_map(v, w, k_link, OFF_COUNT(k_link), err)) ||
        (st = cfg_check_keys(v, k_link, OFF_COUNT(k_link), w, NULL, 0, NULL, err)) ||
        (st = opt_q(v, "rate", CFG_DIM_RATE, CFG_Q_GT0, &l->rate_bps, err)) ||
        (st = opt_q(v, "delay", CFG_DIM_TIME, CFG_Q_GE0 | CFG_Q_FINITE,
                    &l->delay_s, err)) ||
        ((x = cfg_map_get(v, "channel")) &&
         (st = load_channel(&l->chan, x, uplink, w, scn_file, err))) ||
        ((x = cfg_map_get(v, "estimator")) &&
         (st = load_estimator(&l->est, x, w, err))))
        return st;
    size_t ri = cfg_map_index(v, "rate");
    if (l->chan.model != SCN_CHAN_FIXED && ri != (size_t)-1)
        return cfg_errp(err, OFF_EINVAL, v->keys[ri]->pos,
                        "%s: 'rate' and a %s channel exclude each other (the "
                        "channel gives the rate); remove one, or use channel "
                        "model fixed", w, chan_models[l->chan.model]);
    return OFF_OK;
}
