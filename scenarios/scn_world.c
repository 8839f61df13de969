/* scn_world.c - the `devices` and `servers` sections: device groups with
 * their compute speed, power, arrivals, deadline and links (parsed by
 * scn_link.c); edge and cloud servers (a cloud server's backhaul).
 * See scn_int.h and docs/scenario-reference.md. */
#include "scn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define SCN_MAX_COUNT 10000000ULL /* devices in one group */
#define SCN_MAX_CORES 1000000ULL

static const char *const k_device[] = {"name",     "count",    "speed",
                                       "power",    "arrivals", "deadline",
                                       "uplink",   "downlink", "server",
                                       "profile",  "compute_bits", "radio",
                                       "dvfs",     "battery", "mobility",
                                       "handover"};
static const char *const k_handover[] = {"margin"};
static const char *const k_power[] = {"active", "idle", "tx", "rx"};
static const char *const k_arr_all[] = {"process", "rate", "period", "phase",
                                        "file"};
static const char *const k_server[] = {"name",       "cores",   "speed",
                                       "discipline", "profile", "compute_bits",
                                       "background", "batching", "backhaul",
                                       "position"};
static const char *const k_background[] = {"rate", "work", "burst"};
static const char *const k_burst[] = {"rate", "every", "lasts"};
static const char *const k_backhaul[] = {"rtt", "rate"};
static const char *const k_batching[] = {"window", "max", "speedup"};
static const char *const k_dist_all[] = {"dist", "mean", "min", "max", "cv"};
static const char *const dist_names[] = {"deterministic", "exponential",
                                         "uniform", "lognormal"};
static const char *const processes[] = {"poisson", "periodic", "trace"};
/* Same order as scn_discipline. */
static const char *const disciplines[] = {"fcfs", "ps", "edf"};

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

/* "device 'phone'" when the item has a scalar name, else "devices.3". */
static void item_where(const cfg_node *item, const char *kind,
                       const char *path, size_t i, char *buf, size_t cap)
{
    const cfg_node *nm = cfg_map_get(item, "name");
    char s[64];
    if (nm && nm->kind == CFG_NODE_SCALAR && nm->text[0])
        snprintf(buf, cap, "%s '%s'", kind, cfg_short(nm->text, s, sizeof s));
    else
        snprintf(buf, cap, "%s.%zu", path, i);
}

/* device.power: {active, idle, tx, rx}, each >= 0, with defaults. */
static off_status load_power(scn_device *d, const cfg_node *dev,
                             const char *where, off_err *err)
{
    d->power_active_w = 2.0;
    d->power_idle_w = 0.1;
    d->power_tx_w = 1.2;
    d->power_rx_w = 0.9;
    const cfg_node *p = cfg_map_get(dev, "power");
    if (!p)
        return OFF_OK;
    char w[128];
    snprintf(w, sizeof w, "power of %s", where);
    off_status st;
    const unsigned f = CFG_Q_GE0 | CFG_Q_FINITE;
    if ((st = cfg_want_map(p, w, k_power, OFF_COUNT(k_power), err)) ||
        (st = cfg_check_keys(p, k_power, OFF_COUNT(k_power), w, NULL, 0, NULL, err)) ||
        (st = opt_q(p, "active", CFG_DIM_POWER, f, &d->power_active_w, err)) ||
        (st = opt_q(p, "idle", CFG_DIM_POWER, f, &d->power_idle_w, err)) ||
        (st = opt_q(p, "tx", CFG_DIM_POWER, f, &d->power_tx_w, err)) ||
        (st = opt_q(p, "rx", CFG_DIM_POWER, f, &d->power_rx_w, err)))
        return st;
    return OFF_OK;
}

/* device.arrivals: process poisson {rate} | periodic {period, phase} |
 * trace {file} (resolved against scn_file's directory and read now). */
static off_status load_arrivals(scn_arrivals *a, const cfg_node *v,
                                const char *where, const char *scn_file,
                                off_err *err)
{
    char w[128], msg[200], list[80];
    snprintf(w, sizeof w, "arrivals of %s", where);
    off_status st = cfg_want_map(v, w, k_arr_all, OFF_COUNT(k_arr_all), err);
    if (st)
        return st;
    a->pos = v->pos;
    a->phase_s = -1;
    cfg_node *pn, *x;
    size_t kind;
    if ((st = cfg_require(v, "process", w, &pn, err)) ||
        (st = cfg_get_choice(pn, "arrival process", processes, OFF_COUNT(processes),
                             &kind, err)))
        return st;
    a->kind = (scn_arrival_kind)kind;
    static const char *const k_poi[] = {"process", "rate"};
    static const char *const k_per[] = {"process", "period", "phase"};
    static const char *const k_tr[] = {"process", "file"};
    const char *const *valid = kind == 0 ? k_poi : kind == 1 ? k_per : k_tr;
    size_t nv = kind == 1 ? 3 : 2;
    snprintf(msg, sizeof msg, "does not apply to %s arrivals (their keys: %s)",
             processes[kind], cfg_join(valid, nv, list, sizeof list));
    if ((st = cfg_check_keys(v, valid, nv, w, k_arr_all, OFF_COUNT(k_arr_all), msg,
                             err)))
        return st;
    switch (a->kind) {
    case SCN_ARR_POISSON:
        return (st = cfg_require(v, "rate", w, &x, err))
                   ? st
                   : cfg_get_quantity(x, "rate", CFG_DIM_HZ_EVENTS,
                                      CFG_Q_GT0 | CFG_Q_FINITE, &a->rate_hz,
                                      err);
    case SCN_ARR_PERIODIC:
        if ((st = cfg_require(v, "period", w, &x, err)) ||
            (st = cfg_get_quantity(x, "period", CFG_DIM_TIME,
                                   CFG_Q_GT0 | CFG_Q_FINITE, &a->period_s,
                                   err)))
            return st;
        return opt_q(v, "phase", CFG_DIM_TIME, CFG_Q_GE0 | CFG_Q_FINITE,
                     &a->phase_s, err);
    case SCN_ARR_TRACE: {
        char *rel = NULL;
        if ((st = cfg_require(v, "file", w, &x, err)) ||
            (st = cfg_get_string(x, "file", &rel, err)))
            return st;
        a->trace_path = scn_resolve_path(scn_file, rel);
        free(rel);
        if (!a->trace_path)
            return oom(err);
        return scn_trace_load(a->trace_path, x->pos, &a->trace_s, &a->n_trace,
                              err);
    }
    }
    return OFF_OK;
}

/* `profile` and `compute_bits` of a device or server, and its `speed`,
 * which is required unless a profile is given.  A profile that looks like a
 * path (has a '/' or ends in ".yaml") is resolved against the file that
 * names it; otherwise it names a file of models/profiles/. */
static off_status load_compute(const cfg_node *it, const char *where, double *speed,
                               char **profile, scn_pos *profile_pos, int *bits,
                               off_err *err)
{
    const cfg_node *v, *sp = cfg_map_get(it, "speed");
    off_status st;
    *bits = 32;
    if ((v = cfg_map_get(it, "profile"))) {
        char *txt = NULL;
        if ((st = cfg_get_string(v, "profile", &txt, err)))
            return st;
        size_t n = strlen(txt);
        bool path = strchr(txt, '/') || (n > 5 && !strcmp(txt + n - 5, ".yaml"));
        *profile = path ? scn_resolve_path(v->pos.file, txt) : txt;
        if (path)
            free(txt);
        if (!*profile)
            return oom(err);
        *profile_pos = v->pos;
    } else if (!sp) {
        cfg_node *speed; /* absent: this reports "has no 'speed'" */
        return cfg_require(it, "speed", where, &speed, err);
    }
    if (sp && (st = cfg_get_quantity(sp, "speed", CFG_DIM_SPEED, CFG_Q_GT0 | CFG_Q_FINITE,
                                     speed, err)))
        return st;
    if ((v = cfg_map_get(it, "compute_bits"))) {
        uint64_t b;
        if ((st = cfg_get_uint(v, "compute_bits", 8, 32, &b, err)))
            return st;
        if (b != 8 && b != 16 && b != 32)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "compute_bits must be 8, 16 or 32 (int8, fp16, fp32 kernels)");
        *bits = (int)b;
    }
    return OFF_OK;
}

/* device.handover: true | false | {margin: length >= 0}; needs
 * `server: nearest` (read before this). */
static off_status load_handover(scn_device *d, const cfg_node *it, const char *where,
                                off_err *err)
{
    const cfg_node *v = cfg_map_get(it, "handover");
    if (!v)
        return OFF_OK;
    off_status st;
    if (v->kind == CFG_NODE_SCALAR) {
        if ((st = cfg_get_bool(v, "handover", &d->handover, err)))
            return st;
    } else {
        char w[128];
        snprintf(w, sizeof w, "handover of %s", where);
        if ((st = cfg_want_map(v, w, k_handover, OFF_COUNT(k_handover), err)) ||
            (st = cfg_check_keys(v, k_handover, OFF_COUNT(k_handover), w, NULL, 0, NULL, err)) ||
            (st = opt_q(v, "margin", CFG_DIM_LENGTH, CFG_Q_GE0 | CFG_Q_FINITE,
                        &d->handover_margin_m, err)))
            return st;
        d->handover = true;
    }
    if (d->handover && !d->server_nearest)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: handover needs `server: nearest` (the device re-attaches "
                        "to the nearest server as it moves)", where);
    return OFF_OK;
}

/* devices[i] into s->devices[i]; names unique among devices 0..i. */
static off_status load_device(scn_scenario *s, size_t i, const cfg_node *it,
                              off_err *err)
{
    scn_device *d = &s->devices[i];
    char where[96], what[40];
    snprintf(what, sizeof what, "devices.%zu", i);
    off_status st = cfg_want_map(it, what, k_device, OFF_COUNT(k_device), err);
    if (st)
        return st;
    item_where(it, "device", "devices", i, where, sizeof where);
    d->pos = it->pos;
    d->deadline_s = INFINITY;
    uint64_t count = 1;
    cfg_node *nm, *arr;
    const cfg_node *v;
    if ((st = cfg_check_keys(it, k_device, OFF_COUNT(k_device), where, NULL, 0, NULL,
                             err)) ||
        (st = cfg_require(it, "name", where, &nm, err)) ||
        (st = cfg_require(it, "arrivals", where, &arr, err)) ||
        (st = cfg_get_string(nm, "name", &d->name, err)))
        return st;
    for (size_t j = 0; j < i; j++)
        if (!strcmp(s->devices[j].name, d->name))
            return cfg_errp(err, OFF_EINVAL, nm->pos,
                            "duplicate device name '%s' (first at line %d)",
                            d->name, s->devices[j].pos.line);
    if (((v = cfg_map_get(it, "count")) &&
         (st = cfg_get_uint(v, "count", 1, SCN_MAX_COUNT, &count, err))) ||
        (st = load_compute(it, where, &d->speed_macs, &d->profile, &d->profile_pos,
                           &d->compute_bits, err)) ||
        (st = load_power(d, it, where, err)) ||
        (st = scn_load_device_power(d, it, where, err)) ||
        (st = load_arrivals(&d->arrivals, arr, where, s->file, err)) ||
        (st = opt_q(it, "deadline", CFG_DIM_TIME, CFG_Q_GT0, &d->deadline_s,
                    err)) ||
        (st = scn_load_link(&d->uplink, it, "uplink", where, s->file, err)) ||
        (st = scn_load_link(&d->downlink, it, "downlink", where, s->file, err)) ||
        (st = scn_load_mobility(d, it, where, s->file, err)))
        return st;
    d->count = (size_t)count;
    if ((v = cfg_map_get(it, "server")) &&
        (st = cfg_get_string(v, "server", &d->server, err)))
        return st;
    if (d->server && !strcmp(d->server, "nearest")) {
        d->server_nearest = true;
        if (d->mobility.model == SCN_MOB_NONE)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s: server: nearest needs the device's position (a "
                            "`mobility`, e.g. {model: static, position: [x, y]})", where);
    }
    return load_handover(d, it, where, err);
}

off_status scn_load_devices(scn_scenario *s, const cfg_node *n, off_err *err)
{
    off_status st = cfg_want_seq(n, "devices", err);
    if (st)
        return st;
    if (n->n == 0)
        return cfg_errp(err, OFF_EINVAL, n->pos,
                        "devices must list at least one device group");
    s->devices = calloc(n->n, sizeof *s->devices);
    if (!s->devices)
        return oom(err);
    s->n_devices = n->n;
    for (size_t i = 0; i < n->n; i++)
        if ((st = load_device(s, i, n->items[i], err)))
            return st;
    return OFF_OK;
}

/* A work distribution: a work quantity (deterministic) or {dist,
 * mean|min,max|cv}, written as the synthetic model's `work`
 * (docs/scenario-reference.md, "A distribution"); d->mean is the mean in
 * every case.  The twin of scn_model.c's load_work, for `background.work`. */
static off_status load_dist(scn_dist *d, const cfg_node *v, const char *what,
                            off_err *err)
{
    d->pos = v->pos;
    d->kind = SCN_DIST_DETERMINISTIC;
    if (v->kind == CFG_NODE_SCALAR && !cfg_node_is_null(v))
        return cfg_get_quantity(v, what, CFG_DIM_WORK, CFG_Q_GE0 | CFG_Q_FINITE,
                                &d->mean, err);
    off_status st = cfg_want_map(v, what, k_dist_all, OFF_COUNT(k_dist_all), err);
    if (st)
        return st;
    size_t kind = 0;
    const cfg_node *dn = cfg_map_get(v, "dist");
    if (dn && (st = cfg_get_choice(dn, "distribution", dist_names, OFF_COUNT(dist_names),
                                   &kind, err)))
        return st;
    d->kind = (scn_dist_kind)kind;
    static const char *const k_det[] = {"dist", "mean"};
    static const char *const k_uni[] = {"dist", "min", "max"};
    static const char *const k_logn[] = {"dist", "mean", "cv"};
    const char *const *valid = d->kind == SCN_DIST_UNIFORM     ? k_uni
                               : d->kind == SCN_DIST_LOGNORMAL ? k_logn
                                                               : k_det;
    size_t nv = d->kind == SCN_DIST_UNIFORM || d->kind == SCN_DIST_LOGNORMAL ? 3 : 2;
    char where[64], msg[160], list[80];
    snprintf(where, sizeof where, "a %s distribution", dist_names[kind]);
    snprintf(msg, sizeof msg, "does not apply to %s (its keys: %s)", where,
             cfg_join(valid, nv, list, sizeof list));
    if ((st = cfg_check_keys(v, valid, nv, where, k_dist_all, OFF_COUNT(k_dist_all), msg,
                             err)))
        return st;
    cfg_node *a, *b;
    if (d->kind == SCN_DIST_UNIFORM) {
        if ((st = cfg_require(v, "min", where, &a, err)) ||
            (st = cfg_require(v, "max", where, &b, err)) ||
            (st = cfg_get_quantity(a, "min", CFG_DIM_WORK, CFG_Q_GE0 | CFG_Q_FINITE,
                                   &d->min, err)) ||
            (st = cfg_get_quantity(b, "max", CFG_DIM_WORK, CFG_Q_GE0 | CFG_Q_FINITE,
                                   &d->max, err)))
            return st;
        if (d->max < d->min)
            return cfg_errp(err, OFF_EINVAL, b->pos,
                            "max must be >= min, got max %s < min %s", b->text,
                            a->text);
        d->mean = 0.5 * (d->min + d->max);
        return OFF_OK;
    }
    unsigned f = CFG_Q_FINITE | (d->kind == SCN_DIST_DETERMINISTIC ? CFG_Q_GE0 : CFG_Q_GT0);
    if ((st = cfg_require(v, "mean", where, &a, err)) ||
        (st = cfg_get_quantity(a, "mean", CFG_DIM_WORK, f, &d->mean, err)))
        return st;
    if (d->kind == SCN_DIST_LOGNORMAL &&
        ((st = cfg_require(v, "cv", where, &b, err)) ||
         (st = cfg_get_quantity(b, "cv", CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_FINITE, &d->cv,
                                err))))
        return st;
    return OFF_OK;
}

/* server.background: {rate >= 0 (events/s), work (a distribution)}, both
 * required. */
static off_status load_background(scn_background *b, const cfg_node *v,
                                  const char *where, off_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "background of %s", where);
    cfg_node *rate, *work;
    off_status st;
    b->pos = v->pos;
    if ((st = cfg_want_map(v, w, k_background, OFF_COUNT(k_background), err)) ||
        (st = cfg_check_keys(v, k_background, OFF_COUNT(k_background), w, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, "rate", w, &rate, err)) ||
        (st = cfg_require(v, "work", w, &work, err)) ||
        (st = cfg_get_quantity(rate, "rate", CFG_DIM_HZ_EVENTS, CFG_Q_GE0 | CFG_Q_FINITE,
                               &b->rate_hz, err)) ||
        (st = load_dist(&b->work, work, "work", err)))
        return st;
    const cfg_node *bu = cfg_map_get(v, "burst");
    if (!bu)
        return OFF_OK;
    char bw[160];
    snprintf(bw, sizeof bw, "burst of the %s", w);
    cfg_node *br, *be, *bl;
    if ((st = cfg_want_map(bu, bw, k_burst, OFF_COUNT(k_burst), err)) ||
        (st = cfg_check_keys(bu, k_burst, OFF_COUNT(k_burst), bw, NULL, 0, NULL, err)) ||
        (st = cfg_require(bu, "rate", bw, &br, err)) ||
        (st = cfg_require(bu, "every", bw, &be, err)) ||
        (st = cfg_require(bu, "lasts", bw, &bl, err)) ||
        (st = cfg_get_quantity(br, "rate", CFG_DIM_HZ_EVENTS, CFG_Q_GE0 | CFG_Q_FINITE,
                               &b->burst_rate_hz, err)) ||
        (st = cfg_get_quantity(be, "every", CFG_DIM_TIME, CFG_Q_GT0 | CFG_Q_FINITE,
                               &b->burst_every_s, err)) ||
        (st = cfg_get_quantity(bl, "lasts", CFG_DIM_TIME, CFG_Q_GT0 | CFG_Q_FINITE,
                               &b->burst_lasts_s, err)))
        return st;
    return OFF_OK;
}

/* server.batching: {window >= 0 (0 s), max 1..SCN_MAX_BATCH (required),
 * speedup (required): one number S(max) in [1, max], filled in for every
 * batch size by the affine model n / S(n) = a + (1 - a) n; or a list of max
 * numbers S(1) = 1, ..., 1 <= S(n) <= n, with n / S(n) non-decreasing}. */
static off_status load_batching(scn_batching *b, const cfg_node *v, const char *where,
                                off_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "batching of %s", where);
    cfg_node *mx, *sp;
    uint64_t max;
    off_status st;
    b->pos = v->pos;
    if ((st = cfg_want_map(v, w, k_batching, OFF_COUNT(k_batching), err)) ||
        (st = cfg_check_keys(v, k_batching, OFF_COUNT(k_batching), w, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, "max", w, &mx, err)) ||
        (st = cfg_require(v, "speedup", w, &sp, err)) ||
        (st = cfg_get_uint(mx, "max", 1, SCN_MAX_BATCH, &max, err)) ||
        (st = opt_q(v, "window", CFG_DIM_TIME, CFG_Q_GE0 | CFG_Q_FINITE, &b->window_s,
                    err)))
        return st;
    if (!(b->speedup = calloc((size_t)max, sizeof *b->speedup)))
        return oom(err);
    b->max = (size_t)max;
    if (sp->kind != CFG_NODE_SEQ) {
        double smax;
        if ((st = cfg_get_quantity(sp, "speedup", CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_FINITE,
                                   &smax, err)))
            return st;
        if (smax < 1 || smax > (double)max)
            return cfg_errp(err, OFF_EINVAL, sp->pos,
                            "speedup must be between 1 (no gain) and max (%zu: a full "
                            "batch costs one job), got %s", b->max, sp->text);
        /* a = the part of one job's time a batch shares: S(max) = max / (a + (1-a) max) */
        double a = max > 1 ? (double)max * (1 - 1 / smax) / (double)(max - 1) : 0;
        b->speedup[0] = 1;
        for (size_t n = 2; n <= b->max; n++)
            b->speedup[n - 1] = (double)n / (a + (1 - a) * (double)n);
        return OFF_OK;
    }
    if (sp->n != b->max)
        return cfg_errp(err, OFF_EINVAL, sp->pos,
                        "speedup: a list must give S(n) for every batch size n = 1..max "
                        "(%zu values), got %zu", b->max, sp->n);
    for (size_t i = 0; i < sp->n; i++) {
        const cfg_node *it = sp->items[i];
        double x, n = (double)(i + 1);
        if ((st = cfg_get_quantity(it, "speedup", CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_FINITE,
                                   &x, err)))
            return st;
        if (i == 0 && x != 1)
            return cfg_errp(err, OFF_EINVAL, it->pos,
                            "speedup of a batch of 1 must be 1, got %s", it->text);
        if (x < 1 || x > n)
            return cfg_errp(err, OFF_EINVAL, it->pos,
                            "speedup of a batch of %zu must be between 1 and %zu, got %s",
                            i + 1, i + 1, it->text);
        if (i && n / x < (n - 1) / b->speedup[i - 1])
            return cfg_errp(err, OFF_EINVAL, it->pos,
                            "speedup %s for a batch of %zu makes it faster than a batch "
                            "of %zu (a batch's time n / S(n) must not decrease)",
                            it->text, i + 1, i);
        b->speedup[i] = x;
    }
    return OFF_OK;
}

/* server.backhaul: {rtt >= 0, finite (required), rate > 0, inf allowed
 * (default inf)}. */
static off_status load_backhaul(scn_backhaul *b, const cfg_node *v, const char *where,
                                off_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "backhaul of %s", where);
    cfg_node *rtt;
    off_status st;
    b->pos = v->pos;
    b->on = true;
    b->rate_bps = INFINITY;
    if ((st = cfg_want_map(v, w, k_backhaul, OFF_COUNT(k_backhaul), err)) ||
        (st = cfg_check_keys(v, k_backhaul, OFF_COUNT(k_backhaul), w, NULL, 0, NULL, err)) ||
        (st = cfg_require(v, "rtt", w, &rtt, err)) ||
        (st = cfg_get_quantity(rtt, "rtt", CFG_DIM_TIME, CFG_Q_GE0 | CFG_Q_FINITE,
                               &b->rtt_s, err)) ||
        (st = opt_q(v, "rate", CFG_DIM_RATE, CFG_Q_GT0, &b->rate_bps, err)))
        return st;
    return OFF_OK;
}

off_status scn_load_servers(scn_scenario *s, const cfg_node *n, off_err *err)
{
    off_status st = cfg_want_seq(n, "servers", err);
    if (st)
        return st;
    if (n->n == 0)
        return cfg_errp(err, OFF_EINVAL, n->pos,
                        "servers must list at least one server");
    s->servers = calloc(n->n, sizeof *s->servers);
    if (!s->servers)
        return oom(err);
    s->n_servers = n->n;
    for (size_t i = 0; i < n->n; i++) {
        const cfg_node *it = n->items[i];
        scn_server *sv = &s->servers[i];
        char where[96], what[40];
        snprintf(what, sizeof what, "servers.%zu", i);
        if ((st = cfg_want_map(it, what, k_server, OFF_COUNT(k_server), err)))
            return st;
        item_where(it, "server", "servers", i, where, sizeof where);
        sv->pos = it->pos;
        sv->discipline = SCN_DISC_FCFS;
        uint64_t cores = 1;
        size_t disc = 0;
        cfg_node *nm;
        const cfg_node *v;
        if ((st = cfg_check_keys(it, k_server, OFF_COUNT(k_server), where, NULL, 0,
                                 NULL, err)) ||
            (st = cfg_require(it, "name", where, &nm, err)) ||
            (st = cfg_get_string(nm, "name", &sv->name, err)))
            return st;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->servers[j].name, sv->name))
                return cfg_errp(err, OFF_EINVAL, nm->pos,
                                "duplicate server name '%s' (first at line %d)",
                                sv->name, s->servers[j].pos.line);
        if (((v = cfg_map_get(it, "cores")) &&
             (st = cfg_get_uint(v, "cores", 1, SCN_MAX_CORES, &cores, err))) ||
            (st = load_compute(it, where, &sv->speed_macs, &sv->profile,
                               &sv->profile_pos, &sv->compute_bits, err)) ||
            ((v = cfg_map_get(it, "discipline")) &&
             (st = cfg_get_choice(v, "discipline", disciplines,
                                  OFF_COUNT(disciplines), &disc, err))) ||
            ((v = cfg_map_get(it, "background")) &&
             (st = load_background(&sv->background, v, where, err))) ||
            ((v = cfg_map_get(it, "batching")) &&
             (st = load_batching(&sv->batching, v, where, err))) ||
            ((v = cfg_map_get(it, "backhaul")) &&
             (st = load_backhaul(&sv->backhaul, v, where, err))) ||
            ((v = cfg_map_get(it, "position")) &&
             (st = scn_load_position(v, "position", &sv->x_m, &sv->y_m, err))))
            return st;
        sv->cores = (size_t)cores;
        sv->discipline = (scn_discipline)disc;
        if (sv->batching.max && sv->discipline != SCN_DISC_FCFS)
            return cfg_errp(err, OFF_EINVAL, sv->batching.pos,
                            "%s: batching needs discipline fcfs (batches are formed "
                            "in arrival order), but the discipline is %s", where,
                            disciplines[disc]);
    }
    return OFF_OK;
}

off_status scn_link_servers(scn_scenario *s, const cfg_node *devs,
                            off_err *err)
{
    const char *names[64];
    size_t nn = s->n_servers < 64 ? s->n_servers : 64;
    for (size_t j = 0; j < nn; j++)
        names[j] = s->servers[j].name;
    for (size_t i = 0; i < s->n_devices; i++) {
        scn_device *d = &s->devices[i];
        if (d->server_nearest)
            continue; /* chosen when the world is built (sim_mobility.c) */
        if (!d->server) {
            if (!(d->server = off_strdup(s->servers[0].name)))
                return oom(err);
            continue;
        }
        bool found = false;
        for (size_t j = 0; j < s->n_servers && !found; j++)
            found = !strcmp(s->servers[j].name, d->server);
        if (found)
            continue;
        const cfg_node *v = cfg_map_get(devs->items[i], "server");
        char list[400], sv[64];
        cfg_join(names, nn, list, sizeof list);
        cfg_short(d->server, sv, sizeof sv);
        const char *dym = off_did_you_mean(d->server, names, nn);
        if (dym)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "device '%s': unknown server '%s' (did you mean "
                            "'%s'?); servers: %s", d->name, sv, dym, list);
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "device '%s': unknown server '%s'; servers: %s",
                        d->name, sv, list);
    }
    return OFF_OK;
}
