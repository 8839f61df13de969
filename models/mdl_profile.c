/*
 * mdl_profile.c - hardware profiles: the loader of both kinds (on the
 * configuration layer's tree, units and key checks: errors with
 * file:line:col, the same unit grammar as scenarios), the roofline of
 * mdl_profile.h and the lookups of a measured table.  The format and the
 * equations are documented in docs/models.md, "Hardware profiles" and
 * "Measured profiles".
 */
#define _POSIX_C_SOURCE 200809L
#include "mdl_profile.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* ---- the loader -------------------------------------------------------- */

/* The required key of a profile's mapping n. */
static off_status require(const cfg_node *n, const char *what, const char *key, cfg_node **out,
                          off_err *err)
{
    *out = cfg_map_get(n, key);
    if (!*out)
        return cfg_errp(err, OFF_EINVAL, n->pos, "%s has no '%s' (required)", what, key);
    return OFF_OK;
}

/* n a mapping whose keys are among valid[] ("unknown key ... (did you
 * mean ...)"); the tree has already refused duplicate keys. */
static off_status check_map(const cfg_node *n, const char *what, const char *const *valid,
                            size_t n_valid, off_err *err)
{
    off_status st = cfg_want_map(n, what, valid, n_valid, err);
    return st ? st : cfg_check_keys(n, valid, n_valid, what, NULL, 0, NULL, err);
}

/* A finite quantity of dimension d with lo < v (or lo <= v with closed_lo)
 * and v <= hi. */
static off_status number_in(const cfg_node *n, const char *what, cfg_dim d, double lo,
                            bool closed_lo, double hi, double *out, off_err *err)
{
    off_status st = cfg_get_quantity(n, what, d, CFG_Q_FINITE, out, err);
    if (st)
        return st;
    if (*out < lo || (!closed_lo && *out == lo) || *out > hi) {
        char got[80];
        cfg_describe(n, got, sizeof got);
        if (hi < INFINITY)
            return cfg_errp(err, OFF_EINVAL, n->pos, "%s must be in %s%g, %g], got %s", what,
                            closed_lo ? "[" : "(", lo, hi, got);
        return cfg_errp(err, OFF_EINVAL, n->pos, "%s must be %s %g, got %s", what,
                        closed_lo ? ">=" : ">", lo, got);
    }
    return OFF_OK;
}

static off_status text(const cfg_node *n, const char *what, char *out, size_t cap,
                       off_err *err)
{
    off_status st = cfg_want_scalar(n, what, err);
    if (st)
        return st;
    if (strlen(n->text) >= cap)
        return cfg_errp(err, OFF_EINVAL, n->pos, "%s: longer than %zu characters", what,
                        cap - 1);
    snprintf(out, cap, "%s", n->text);
    return OFF_OK;
}

static off_status load_peak(mdl_profile *p, const cfg_node *n, off_err *err)
{
    static const char *const keys[] = {"fp32", "fp16", "int8"};
    static const char *const what[] = {"peak.fp32", "peak.fp16", "peak.int8"};
    off_status st = check_map(n, "peak", keys, OFF_COUNT(keys), err);
    cfg_node *v;
    if (st || (st = require(n, "peak", "fp32", &v, err)))
        return st;
    for (size_t i = 0; i < MDL_PREC_N; i++)
        if ((v = cfg_map_get(n, keys[i])) &&
            (st = number_in(v, what[i], CFG_DIM_OPS, 0, false, INFINITY, &p->peak_ops[i],
                            err)))
            return st;
    return OFF_OK;
}

static off_status load_efficiency(mdl_profile *p, const cfg_node *n, off_err *err)
{
    const char *keys[MDL_LAYER_N_KINDS];
    for (size_t k = 0; k < MDL_LAYER_N_KINDS; k++)
        keys[k] = mdl_layer_kind_name((mdl_layer_kind)k);
    off_status st = check_map(n, "efficiency", keys, MDL_LAYER_N_KINDS, err);
    if (st)
        return st;
    /* conv, dwconv and fc are required; pool and other default to conv */
    static const mdl_layer_kind req[] = {MDL_LAYER_CONV, MDL_LAYER_DWCONV, MDL_LAYER_FC};
    cfg_node *v;
    for (size_t i = 0; i < OFF_COUNT(req); i++)
        if ((st = require(n, "efficiency", keys[req[i]], &v, err)))
            return st;
    for (size_t k = 0; k < MDL_LAYER_N_KINDS; k++) {
        char what[40];
        snprintf(what, sizeof what, "efficiency.%s", keys[k]);
        if ((v = cfg_map_get(n, keys[k])) &&
            (st = number_in(v, what, CFG_DIM_NONE, 0, false, 1, &p->efficiency[k], err)))
            return st;
    }
    if (!cfg_map_get(n, "pool"))
        p->efficiency[MDL_LAYER_POOL] = p->efficiency[MDL_LAYER_CONV];
    if (!cfg_map_get(n, "other"))
        p->efficiency[MDL_LAYER_OTHER] = p->efficiency[MDL_LAYER_CONV];
    return OFF_OK;
}

static off_status load_memory(mdl_profile *p, const cfg_node *n, off_err *err)
{
    static const char *const keys[] = {"dram_bandwidth", "cache", "cache_bandwidth", "stream",
                                       "im2col"};
    off_status st = check_map(n, "memory", keys, OFF_COUNT(keys), err);
    cfg_node *v, *cache, *cbw;
    if (st || (st = require(n, "memory", "dram_bandwidth", &v, err)) ||
        (st = number_in(v, "memory.dram_bandwidth", CFG_DIM_BYTE_RATE, 0, false, INFINITY,
                        &p->dram_bw_Bps, err)))
        return st;
    cache = cfg_map_get(n, "cache");
    cbw = cfg_map_get(n, "cache_bandwidth");
    if (!cache != !cbw)
        return cfg_errp(err, OFF_EINVAL, (cache ? cache : cbw)->pos,
                        "memory: 'cache' and 'cache_bandwidth' go together (the size of the "
                        "cache level and its bandwidth)");
    if (cache && ((st = number_in(cache, "memory.cache", CFG_DIM_BYTES, 0, false, INFINITY,
                                  &p->cache_bytes, err)) ||
                  (st = number_in(cbw, "memory.cache_bandwidth", CFG_DIM_BYTE_RATE, 0, false,
                                  INFINITY, &p->cache_bw_Bps, err))))
        return st;
    if ((v = cfg_map_get(n, "stream")) &&
        (st = number_in(v, "memory.stream", CFG_DIM_BYTES_PER_MAC, 0, true, INFINITY,
                        &p->stream_bytes_per_mac, err)))
        return st;
    if ((v = cfg_map_get(n, "im2col")) && (st = cfg_get_bool(v, "memory.im2col", &p->im2col, err)))
        return st;
    return OFF_OK;
}

/* The keys of the root mapping of each kind ("kind" last so that the
 * roofline list reads as it did before kinds existed). */
static const char *const roofline_keys[] = {"name",       "device",   "framework", "peak",
                                            "efficiency", "overhead", "memory",    "kind"};
static const char *const measured_keys[] = {"name",  "kind", "device", "framework",
                                            "model", "bits", "layers", "exits"};
static const char *const kind_names[] = {"roofline", "measured"}; /* by mdl_profile_kind */

/* name, device and framework: common to both kinds. */
static off_status load_names(mdl_profile *p, const cfg_node *root, const cfg_node *name,
                             off_err *err)
{
    cfg_node *v;
    off_status st = text(name, "name", p->name, sizeof p->name, err);
    if (!st && (v = cfg_map_get(root, "device")))
        st = text(v, "device", p->device, sizeof p->device, err);
    if (!st && (v = cfg_map_get(root, "framework")))
        st = text(v, "framework", p->framework, sizeof p->framework, err);
    return st;
}

static off_status load_roofline(mdl_profile *p, const cfg_node *root, off_err *err)
{
    static const char *const what = "the profile";
    off_status st = check_map(root, what, roofline_keys, OFF_COUNT(roofline_keys), err);
    cfg_node *name, *peak, *eff, *ovh, *mem;
    if (st || (st = require(root, what, "name", &name, err)) ||
        (st = require(root, what, "peak", &peak, err)) ||
        (st = require(root, what, "efficiency", &eff, err)) ||
        (st = require(root, what, "overhead", &ovh, err)) ||
        (st = require(root, what, "memory", &mem, err)) ||
        (st = load_names(p, root, name, err)))
        return st;
    if ((st = load_peak(p, peak, err)) || (st = load_efficiency(p, eff, err)) ||
        (st = number_in(ovh, "overhead", CFG_DIM_TIME, 0, true, INFINITY, &p->overhead_s,
                        err)) ||
        (st = load_memory(p, mem, err)))
        return st;
    return OFF_OK;
}

/* A mapping "NAME: duration" into t[0..cap), in file order: names short
 * enough for mdl_layer.name (the tree has refused duplicates), durations
 * >= 0. */
static off_status load_times(const cfg_node *n, const char *what, const char *noun,
                             mdl_profile_time *t, size_t cap, size_t *n_out, off_err *err)
{
    char got[80];
    *n_out = 0;
    if (n->kind != CFG_NODE_MAP || n->n == 0)
        return cfg_errp(err, OFF_EINVAL, n->pos,
                        "%s: expected a mapping of %s name to its time, like '%s: 41.2 us', "
                        "got %s",
                        what, noun, strcmp(noun, "layer") == 0 ? "conv1" : "early",
                        n->kind == CFG_NODE_MAP ? "an empty mapping"
                                                : cfg_describe(n, got, sizeof got));
    for (size_t i = 0; i < n->n; i++) {
        const cfg_node *k = n->keys[i];
        if (!k->text[0])
            return cfg_errp(err, OFF_EINVAL, k->pos, "%s: %s names must be plain words, got %s",
                            what, noun, cfg_describe(k, got, sizeof got));
        if (strlen(k->text) >= sizeof t->name)
            return cfg_errp(err, OFF_EINVAL, k->pos,
                            "%s: %s name '%s' is longer than %zu characters", what, noun,
                            cfg_short(k->text, got, 64), sizeof t->name - 1);
        if (*n_out == cap)
            return cfg_errp(err, OFF_EINVAL, k->pos, "%s: more than %zu entries", what, cap);
        char vwhat[96];
        snprintf(vwhat, sizeof vwhat, "%s.%s", what, k->text);
        off_status st = number_in(n->items[i], vwhat, CFG_DIM_TIME, 0, true, INFINITY,
                                  &t[*n_out].seconds, err);
        if (st)
            return st;
        snprintf(t[*n_out].name, sizeof t->name, "%s", k->text);
        (*n_out)++;
    }
    return OFF_OK;
}

/* bits: a whole number in [1, 32], no unit. */
static off_status load_bits(const cfg_node *n, int *out, off_err *err)
{
    char got[80];
    double b;
    cfg_describe(n, got, sizeof got);
    if (n->kind != CFG_NODE_SCALAR || cfg_node_is_null(n) || strchr(n->text, '%') ||
        cfg_quantity(n->text, CFG_DIM_NONE, NULL, &b, n->pos, NULL))
        return cfg_errp(err, OFF_EINVAL, n->pos, "bits: expected a bit-width like '8', got %s",
                        got);
    if (!(b >= 1 && b <= 32))
        return cfg_errp(err, OFF_EINVAL, n->pos, "bits must be in [1, 32], got %s", got);
    if (b != floor(b))
        return cfg_errp(err, OFF_EINVAL, n->pos,
                        "bits: expected a whole number of bits, got %s", got);
    *out = (int)b;
    return OFF_OK;
}

static off_status load_measured(mdl_profile *p, const cfg_node *root, off_err *err)
{
    off_status st = check_map(root, "the profile", measured_keys, OFF_COUNT(measured_keys), err);
    cfg_node *name, *model, *bits, *layers, *exits;
    static const char *const what = "the profile (kind: measured)";
    if (st || (st = require(root, what, "name", &name, err)) ||
        (st = require(root, what, "model", &model, err)) ||
        (st = require(root, what, "bits", &bits, err)) ||
        (st = require(root, what, "layers", &layers, err)) ||
        (st = require(root, what, "exits", &exits, err)) ||
        (st = load_names(p, root, name, err)) ||
        (st = text(model, "model", p->model, sizeof p->model, err)) ||
        (st = load_bits(bits, &p->bits, err)) ||
        (st = load_times(layers, "layers", "layer", p->layer_times, MDL_PROFILE_MAX_LAYERS,
                         &p->n_layer_times, err)) ||
        (st = load_times(exits, "exits", "exit", p->exit_times, MDL_PROFILE_MAX_EXITS,
                         &p->n_exit_times, err)))
        return st;
    const cfg_node *at[3] = {model, layers, exits};
    int *to[3] = {p->model_at, p->layers_at, p->exits_at};
    for (size_t i = 0; i < 3; i++) {
        to[i][0] = at[i]->pos.line;
        to[i][1] = at[i]->pos.col;
    }
    return OFF_OK;
}

static bool listed(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* `kind:` picks the loader; a key of the other kind is reported as such
 * (a measured table without `kind: measured` is read as a roofline). */
static off_status load_root(mdl_profile *p, const cfg_node *root, off_err *err)
{
    if (root->kind != CFG_NODE_MAP)
        return load_roofline(p, root, err); /* reports "expected a mapping" */
    const cfg_node *kn = cfg_map_get(root, "kind");
    p->kind = MDL_PROFILE_ROOFLINE;
    if (kn) {
        char got[80], list[64];
        bool word = kn->kind == CFG_NODE_SCALAR;
        size_t k = 0;
        while (word && k < OFF_COUNT(kind_names) && strcmp(kn->text, kind_names[k]) != 0)
            k++;
        if (!word || k == OFF_COUNT(kind_names)) {
            cfg_join(kind_names, OFF_COUNT(kind_names), list, sizeof list);
            cfg_describe(kn, got, sizeof got);
            const char *dym =
                word ? off_did_you_mean(kn->text, kind_names, OFF_COUNT(kind_names)) : NULL;
            if (dym)
                return cfg_errp(err, OFF_EINVAL, kn->pos,
                                "kind: unknown kind %s (did you mean '%s'?); kinds: %s", got,
                                dym, list);
            return cfg_errp(err, OFF_EINVAL, kn->pos, "kind: unknown kind %s; kinds: %s", got,
                            list);
        }
        p->kind = (mdl_profile_kind)k;
    }
    bool measured = p->kind == MDL_PROFILE_MEASURED;
    const char *const *mine = measured ? measured_keys : roofline_keys;
    const char *const *other = measured ? roofline_keys : measured_keys;
    size_t n_mine = measured ? OFF_COUNT(measured_keys) : OFF_COUNT(roofline_keys);
    size_t n_other = measured ? OFF_COUNT(roofline_keys) : OFF_COUNT(measured_keys);
    for (size_t i = 0; i < root->n; i++) {
        const cfg_node *k = root->keys[i];
        if (!listed(k->text, mine, n_mine) && listed(k->text, other, n_other))
            return cfg_errp(err, OFF_EINVAL, k->pos,
                            "key '%s' belongs to profiles of kind: %s, and this one is kind: "
                            "%s%s",
                            k->text, kind_names[!measured], kind_names[measured],
                            kn ? ""
                               : " (the default; add 'kind: measured' for a measured table)");
    }
    return measured ? load_measured(p, root, err) : load_roofline(p, root, err);
}

off_status mdl_profile_parse(mdl_profile *p, const char *text_in, size_t len, const char *file,
                             off_err *err)
{
    memset(p, 0, sizeof *p);
    file = file ? file : "<profile>";
    snprintf(p->file, sizeof p->file, "%s", file);
    cfg_node *root;
    off_status st = cfg_tree_parse(text_in, len, file, "a profile file", &root, err);
    if (!st && !root)
        st = off_errf(err, OFF_EINVAL, file, 1, 1,
                      "the profile is empty (keys: name, peak, efficiency, overhead, memory)");
    if (!st)
        st = load_root(p, root, err);
    cfg_node_free(root);
    if (st)
        memset(p, 0, sizeof *p);
    return st;
}

off_status mdl_profile_load(mdl_profile *p, const char *path, off_err *err)
{
    char *buf;
    size_t len;
    off_status st = off_read_file(path, &buf, &len, err);
    if (st) {
        memset(p, 0, sizeof *p);
        return st;
    }
    st = mdl_profile_parse(p, buf, len, path, err);
    free(buf);
    return st;
}

/* ---- the cost model ---------------------------------------------------- */

mdl_precision mdl_profile_precision(const mdl_profile *p, int bits)
{
    if (p->kind == MDL_PROFILE_MEASURED)
        bits = p->bits;
    mdl_precision want = bits <= 8 ? MDL_PREC_INT8 : bits <= 16 ? MDL_PREC_FP16 : MDL_PREC_FP32;
    if (p->kind == MDL_PROFILE_MEASURED)
        return want;
    if (want == MDL_PREC_INT8 && p->peak_ops[MDL_PREC_INT8] <= 0)
        want = MDL_PREC_FP16;
    if (want == MDL_PREC_FP16 && p->peak_ops[MDL_PREC_FP16] <= 0)
        want = MDL_PREC_FP32;
    return want;
}

/* The entry named name of t[0..n), trying t[hint] first (a model's layers
 * come in the table's order, so a range finds each at once); NULL if none. */
static const mdl_profile_time *find_time(const mdl_profile_time *t, size_t n, size_t hint,
                                         const char *name)
{
    if (hint < n && strcmp(t[hint].name, name) == 0)
        return &t[hint];
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static double measured_layer(const mdl_profile *p, const mdl_layer *l, size_t hint)
{
    const mdl_profile_time *t = find_time(p->layer_times, p->n_layer_times, hint, l->name);
    return t ? t->seconds : NAN;
}

/* The names of t[0..n) joined with ", " into buf (cut short with "..."). */
static const char *time_names(const mdl_profile_time *t, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(t[i].name) + 2;
        if (len + need + 4 >= cap) {
            snprintf(buf + len, cap - len, "%s...", i ? ", " : "");
            break;
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", t[i].name);
    }
    return buf;
}

off_status mdl_profile_check_model(const mdl_profile *p, const mdl_model *m, off_err *err)
{
    if (p->kind != MDL_PROFILE_MEASURED)
        return OFF_OK;
    char list[400];
    if (strcmp(p->model, m->name) != 0)
        return off_errf(err, OFF_EINVAL, p->file, p->model_at[0], p->model_at[1],
                        "model: profile '%s' was measured on model '%s', not on '%s' (a "
                        "measured profile fits one model; `offsim models profile %s` "
                        "measures it)",
                        p->name, p->model, m->name, m->name);
    for (size_t i = 0; i < m->n_layers; i++)
        if (!find_time(p->layer_times, p->n_layer_times, i, m->layers[i].name))
            return off_errf(err, OFF_EINVAL, p->file, p->layers_at[0], p->layers_at[1],
                            "layers: profile '%s' has no time for layer '%s' of model '%s' "
                            "(it has: %s); measure the model again with `offsim models "
                            "profile %s`",
                            p->name, m->layers[i].name, m->name,
                            time_names(p->layer_times, p->n_layer_times, list, sizeof list),
                            m->name);
    for (size_t e = 0; e < m->n_exits; e++)
        if (!find_time(p->exit_times, p->n_exit_times, e, m->exits[e].name))
            return off_errf(err, OFF_EINVAL, p->file, p->exits_at[0], p->exits_at[1],
                            "exits: profile '%s' has no time for exit '%s' of model '%s' "
                            "(it has: %s); measure the model again with `offsim models "
                            "profile %s`",
                            p->name, m->exits[e].name, m->name,
                            time_names(p->exit_times, p->n_exit_times, list, sizeof list),
                            m->name);
    return OFF_OK;
}

/* The roofline of one layer.  branch: an exit branch, whose working set is
 * taken as cache-resident (from DRAM at its rate when there is no cache
 * level). */
static void cost(const mdl_profile *p, const mdl_layer *l, int bits, bool branch,
                 mdl_layer_cost *o)
{
    memset(o, 0, sizeof *o);
    double elem = (bits > 0 ? bits : 32) / 8.0;          /* B per operand */
    double M = l->macs > 0 ? l->macs : 0;
    double P = l->params > 0 ? l->params : 0;
    double O = l->out_bytes > 0 ? l->out_bytes / 4.0 : 0; /* elements */
    mdl_layer_kind kind = (unsigned)l->kind < MDL_LAYER_N_KINDS ? l->kind : MDL_LAYER_OTHER;
    double X; /* elements read besides the weights */
    switch (kind) {
    case MDL_LAYER_CONV:
    case MDL_LAYER_DWCONV:
        /* im2col: Ho Wo K^2 Cin = MACs / Cout and Cout = out P / MACs */
        X = p->im2col && M > 0 && P > 0 && O > 0 ? M * M / (O * P) : O;
        break;
    case MDL_LAYER_FC:
        X = O > 0 ? M / O : 0;
        break;
    default:
        X = O;
        break;
    }
    o->prec = mdl_profile_precision(p, bits);
    o->working_set_bytes = (P + X + O) * elem;
    o->traffic_bytes = o->working_set_bytes + p->stream_bytes_per_mac * M;
    o->in_cache = branch || (p->cache_bytes > 0 && o->working_set_bytes <= p->cache_bytes);
    double bw = o->in_cache && p->cache_bytes > 0 ? p->cache_bw_Bps : p->dram_bw_Bps;
    double rate = p->peak_ops[o->prec] * p->efficiency[kind];
    o->compute_s = M > 0 && rate > 0 ? 2 * M / rate : 0;
    o->memory_s = bw > 0 ? o->traffic_bytes / bw : 0;
    o->overhead_s = p->overhead_s;
    o->total_s = o->overhead_s + (o->compute_s > o->memory_s ? o->compute_s : o->memory_s);
}

void mdl_profile_layer_cost(const mdl_profile *p, const mdl_layer *l, int bits,
                            mdl_layer_cost *out)
{
    if (p->kind == MDL_PROFILE_MEASURED) {
        memset(out, 0, sizeof *out);
        out->total_s = measured_layer(p, l, SIZE_MAX);
        out->prec = mdl_profile_precision(p, bits);
        return;
    }
    cost(p, l, bits, false, out);
}

double mdl_profile_layer_seconds(const mdl_profile *p, const mdl_layer *l, int bits)
{
    if (p->kind == MDL_PROFILE_MEASURED)
        return measured_layer(p, l, SIZE_MAX);
    mdl_layer_cost c;
    cost(p, l, bits, false, &c);
    return c.total_s;
}

double mdl_profile_range_seconds(const mdl_profile *p, const mdl_model *m, size_t a,
                                 size_t b, int bits)
{
    if (b > m->n_layers)
        b = m->n_layers;
    double t = 0;
    for (size_t i = a; i < b; i++)
        t += p->kind == MDL_PROFILE_MEASURED ? measured_layer(p, &m->layers[i], i)
                                             : mdl_profile_layer_seconds(p, &m->layers[i], bits);
    return t;
}

double mdl_profile_exit_seconds(const mdl_profile *p, const mdl_model *m, size_t exit,
                                int bits)
{
    if (exit >= m->n_exits)
        return 0;
    if (p->kind == MDL_PROFILE_MEASURED) {
        const mdl_profile_time *t =
            find_time(p->exit_times, p->n_exit_times, exit, m->exits[exit].name);
        return t ? t->seconds : NAN;
    }
    if (!(m->exits[exit].macs > 0))
        return 0;
    /* a branch: kind other, no known weights, out = 0 so W = 0 (the
     * cache, when the profile has one, holds its small tensors) */
    mdl_layer br = {.macs = m->exits[exit].macs, .kind = MDL_LAYER_OTHER};
    mdl_layer_cost c;
    cost(p, &br, bits, true, &c);
    return c.total_s;
}

double mdl_profile_device_seconds(const mdl_profile *p, const mdl_model *m, size_t exit,
                                  size_t split, int bits)
{
    size_t after = m->exits[exit].after;
    if (split >= after)
        return mdl_profile_range_seconds(p, m, 0, after, bits) +
               mdl_profile_exit_seconds(p, m, exit, bits);
    return mdl_profile_range_seconds(p, m, 0, split, bits);
}

double mdl_profile_server_seconds(const mdl_profile *p, const mdl_model *m, size_t exit,
                                  size_t split, int bits)
{
    size_t after = m->exits[exit].after;
    if (split >= after)
        return 0;
    return mdl_profile_range_seconds(p, m, split, after, bits) +
           mdl_profile_exit_seconds(p, m, exit, bits);
}
