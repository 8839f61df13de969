/*
 * mdl_profile.c - hardware profiles: the loader (libyaml, errors with
 * file:line:col) of both kinds, the roofline of mdl_profile.h and the
 * lookups of a measured table.  The format and the equations are
 * documented in docs/models.md, "Hardware profiles" and "Measured
 * profiles".
 */
#define _POSIX_C_SOURCE 200809L
#include "mdl_profile.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the loader -------------------------------------------------------- */

typedef struct ctx {
    const char *file;
    yaml_document_t *doc;
    off_err *err;
} ctx;

typedef struct unit {
    const char *name;
    double scale; /* to the base unit */
} unit;

/* The units of each kind of value; a bare number is in the base unit. */
static const unit u_rate[] = {{"op/s", 1},      {"kop/s", 1e3},    {"Mop/s", 1e6},
                              {"Gop/s", 1e9},   {"Top/s", 1e12},   {"FLOP/s", 1},
                              {"MFLOP/s", 1e6}, {"GFLOP/s", 1e9},  {"TFLOP/s", 1e12}};
static const unit u_bw[] = {{"B/s", 1}, {"kB/s", 1e3}, {"MB/s", 1e6}, {"GB/s", 1e9},
                            {"TB/s", 1e12}};
static const unit u_size[] = {{"B", 1},          {"kB", 1e3},          {"MB", 1e6},
                              {"GB", 1e9},       {"KiB", 1024.0},      {"MiB", 1048576.0},
                              {"GiB", 1073741824.0}};
static const unit u_time[] = {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}};
static const unit u_stream[] = {{"B/MAC", 1}};
static const unit u_frac[] = {{"%", 0.01}};

typedef struct dim {
    const char *noun, *example;
    const unit *units;
    size_t n;
} dim;

static const dim d_rate = {"an operation rate", "19.2 Gop/s", u_rate, N(u_rate)};
static const dim d_bw = {"a bandwidth", "25.6 GB/s", u_bw, N(u_bw)};
static const dim d_size = {"a size", "512 KiB", u_size, N(u_size)};
static const dim d_time = {"a duration", "0.3 ms", u_time, N(u_time)};
static const dim d_stream = {"bytes per MAC", "64 B/MAC", u_stream, N(u_stream)};
static const dim d_frac = {"a fraction", "0.35 or 35 %", u_frac, N(u_frac)};
static const dim d_bits = {"a bit-width", "8", NULL, 0}; /* no unit */

static off_status errat(ctx *c, const yaml_node_t *n, off_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static off_status errat(ctx *c, const yaml_node_t *n, off_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = n ? (int)n->start_mark.line + 1 : 0;
    int col = n ? (int)n->start_mark.column + 1 : 0;
    return off_errf(c->err, st, c->file, line, col, "%s", msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *describe(const yaml_node_t *n, char *buf, size_t cap)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->data.scalar.length == 0)
        return "an empty value";
    snprintf(buf, cap, "'%.60s%s'", scalar(n), n->data.scalar.length > 60 ? "..." : "");
    return buf;
}

static void join(const char *const *list, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", list[i]);
}

/* Check that n is a mapping whose keys are scalars among valid[], each
 * once.  what names it in messages ("the profile", "memory"). */
static off_status check_map(ctx *c, const yaml_node_t *n, const char *what,
                            const char *const *valid, size_t n_valid)
{
    char list[256], got[80];
    join(valid, n_valid, list, sizeof list);
    if (n->type != YAML_MAPPING_NODE)
        return errat(c, n, OFF_EINVAL, "%s: expected a mapping (keys: %s), got %s", what,
                     list, describe(n, got, sizeof got));
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const char *ks = scalar(k);
        if (!ks)
            return errat(c, k, OFF_EINVAL, "%s: keys must be plain words, got %s", what,
                         describe(k, got, sizeof got));
        bool ok = false;
        for (size_t i = 0; i < n_valid && !ok; i++)
            ok = strcmp(ks, valid[i]) == 0;
        if (!ok) {
            const char *dym = off_did_you_mean(ks, valid, n_valid);
            if (dym)
                return errat(c, k, OFF_EINVAL,
                             "unknown key '%.60s' in %s (did you mean '%s'?); valid keys: %s",
                             ks, what, dym, list);
            return errat(c, k, OFF_EINVAL, "unknown key '%.60s' in %s; valid keys: %s", ks,
                         what, list);
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
            if (strcmp(scalar(k2), ks) == 0)
                return errat(c, k, OFF_EINVAL, "duplicate key '%s' in %s (first at line %d)",
                             ks, what, (int)k2->start_mark.line + 1);
        }
    }
    return OFF_OK;
}

/* The value of key in mapping n, or NULL. */
static yaml_node_t *get(ctx *c, const yaml_node_t *n, const char *key)
{
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
         p++) {
        const char *ks = scalar(yaml_document_get_node(c->doc, p->key));
        if (ks && strcmp(ks, key) == 0)
            return yaml_document_get_node(c->doc, p->value);
    }
    return NULL;
}

static off_status require(ctx *c, const yaml_node_t *n, const char *what, const char *key,
                          yaml_node_t **out)
{
    *out = get(c, n, key);
    if (!*out)
        return errat(c, n, OFF_EINVAL, "%s has no '%s' (required)", what, key);
    return OFF_OK;
}

/* A decimal number ([+-]digits[.digits][e[+-]digits]) then an optional
 * unit of d: *out in d's base unit. */
static off_status number(ctx *c, const yaml_node_t *n, const char *what, const dim *d,
                         double *out)
{
    char got[80];
    const char *s = scalar(n);
    if (!s || n->data.scalar.length == 0)
        return errat(c, n, OFF_EINVAL, "%s: expected %s like '%s', got %s", what, d->noun,
                     d->example, describe(n, got, sizeof got));
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9')
                q++;
            p = q;
        }
    }
    if (!digits)
        return errat(c, n, OFF_EINVAL, "%s: expected %s like '%s', got %s", what, d->noun,
                     d->example, describe(n, got, sizeof got));
    char num[64];
    size_t len = (size_t)(p - s);
    if (len >= sizeof num)
        return errat(c, n, OFF_EINVAL, "%s: number too long: %s", what,
                     describe(n, got, sizeof got));
    memcpy(num, s, len);
    num[len] = '\0';
    double v = strtod(num, NULL);
    while (*p == ' ')
        p++;
    double scale = 1;
    if (*p && d->n == 0)
        return errat(c, n, OFF_EINVAL, "%s: expected %s like '%s', got %s", what, d->noun,
                     d->example, describe(n, got, sizeof got));
    if (*p) {
        const char *names[16];
        size_t k = 0;
        bool found = false;
        for (size_t i = 0; i < d->n; i++) {
            names[k++] = d->units[i].name;
            if (strcmp(p, d->units[i].name) == 0) {
                scale = d->units[i].scale;
                found = true;
            }
        }
        if (!found) {
            char list[200];
            join(names, k, list, sizeof list);
            const char *dym = off_did_you_mean(p, names, k);
            if (dym)
                return errat(c, n, OFF_EINVAL,
                             "%s: unknown unit '%.30s' in %s (did you mean '%s'?); %s "
                             "takes %s",
                             what, p, describe(n, got, sizeof got), dym, what, list);
            return errat(c, n, OFF_EINVAL, "%s: unknown unit '%.30s' in %s; %s takes %s",
                         what, p, describe(n, got, sizeof got), what, list);
        }
    }
    v *= scale;
    if (!isfinite(v))
        return errat(c, n, OFF_EINVAL, "%s: %s is out of range", what,
                     describe(n, got, sizeof got));
    *out = v;
    return OFF_OK;
}

/* number() and lo < v (or lo <= v with closed_lo), v <= hi. */
static off_status number_in(ctx *c, const yaml_node_t *n, const char *what, const dim *d,
                            double lo, bool closed_lo, double hi, double *out)
{
    off_status st = number(c, n, what, d, out);
    if (st)
        return st;
    if (*out < lo || (!closed_lo && *out == lo) || *out > hi) {
        char got[80];
        if (hi < INFINITY)
            return errat(c, n, OFF_EINVAL, "%s must be in %s%g, %g], got %s", what,
                         closed_lo ? "[" : "(", lo, hi, describe(n, got, sizeof got));
        return errat(c, n, OFF_EINVAL, "%s must be %s %g, got %s", what,
                     closed_lo ? ">=" : ">", lo, describe(n, got, sizeof got));
    }
    return OFF_OK;
}

static off_status text(ctx *c, const yaml_node_t *n, const char *what, char *out, size_t cap)
{
    char got[80];
    const char *s = scalar(n);
    if (!s || n->data.scalar.length == 0)
        return errat(c, n, OFF_EINVAL, "%s: expected a string, got %s", what,
                     describe(n, got, sizeof got));
    if (n->data.scalar.length >= cap)
        return errat(c, n, OFF_EINVAL, "%s: longer than %zu characters", what, cap - 1);
    snprintf(out, cap, "%s", s);
    return OFF_OK;
}

static off_status boolean(ctx *c, const yaml_node_t *n, const char *what, bool *out)
{
    static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "on"};
    static const char *const f[] = {"false", "False", "FALSE", "no", "No", "off"};
    const char *s = scalar(n);
    for (size_t i = 0; s && i < N(t); i++) {
        if (strcmp(s, t[i]) == 0)
            return *out = true, OFF_OK;
        if (strcmp(s, f[i]) == 0)
            return *out = false, OFF_OK;
    }
    char got[80];
    return errat(c, n, OFF_EINVAL, "%s: expected true or false, got %s", what,
                 describe(n, got, sizeof got));
}

static off_status load_peak(ctx *c, mdl_profile *p, const yaml_node_t *n)
{
    static const char *const keys[] = {"fp32", "fp16", "int8"};
    static const char *const what[] = {"peak.fp32", "peak.fp16", "peak.int8"};
    off_status st = check_map(c, n, "peak", keys, N(keys));
    yaml_node_t *v;
    if (st || (st = require(c, n, "peak", "fp32", &v)))
        return st;
    for (size_t i = 0; i < MDL_PREC_N; i++)
        if ((v = get(c, n, keys[i])) &&
            (st = number_in(c, v, what[i], &d_rate, 0, false, INFINITY, &p->peak_ops[i])))
            return st;
    return OFF_OK;
}

static off_status load_efficiency(ctx *c, mdl_profile *p, const yaml_node_t *n)
{
    const char *keys[MDL_LAYER_N_KINDS];
    for (size_t k = 0; k < MDL_LAYER_N_KINDS; k++)
        keys[k] = mdl_layer_kind_name((mdl_layer_kind)k);
    off_status st = check_map(c, n, "efficiency", keys, MDL_LAYER_N_KINDS);
    if (st)
        return st;
    /* conv, dwconv and fc are required; pool and other default to conv */
    static const mdl_layer_kind req[] = {MDL_LAYER_CONV, MDL_LAYER_DWCONV, MDL_LAYER_FC};
    yaml_node_t *v;
    for (size_t i = 0; i < N(req); i++)
        if ((st = require(c, n, "efficiency", keys[req[i]], &v)))
            return st;
    for (size_t k = 0; k < MDL_LAYER_N_KINDS; k++) {
        char what[40];
        snprintf(what, sizeof what, "efficiency.%s", keys[k]);
        if ((v = get(c, n, keys[k])) &&
            (st = number_in(c, v, what, &d_frac, 0, false, 1, &p->efficiency[k])))
            return st;
    }
    if (!(get(c, n, "pool")))
        p->efficiency[MDL_LAYER_POOL] = p->efficiency[MDL_LAYER_CONV];
    if (!(get(c, n, "other")))
        p->efficiency[MDL_LAYER_OTHER] = p->efficiency[MDL_LAYER_CONV];
    return OFF_OK;
}

static off_status load_memory(ctx *c, mdl_profile *p, const yaml_node_t *n)
{
    static const char *const keys[] = {"dram_bandwidth", "cache", "cache_bandwidth", "stream",
                                       "im2col"};
    off_status st = check_map(c, n, "memory", keys, N(keys));
    yaml_node_t *v, *cache, *cbw;
    if (st || (st = require(c, n, "memory", "dram_bandwidth", &v)) ||
        (st = number_in(c, v, "memory.dram_bandwidth", &d_bw, 0, false, INFINITY,
                        &p->dram_bw_Bps)))
        return st;
    cache = get(c, n, "cache");
    cbw = get(c, n, "cache_bandwidth");
    if (!cache != !cbw)
        return errat(c, cache ? cache : cbw, OFF_EINVAL,
                     "memory: 'cache' and 'cache_bandwidth' go together (the size of the "
                     "cache level and its bandwidth)");
    if (cache && ((st = number_in(c, cache, "memory.cache", &d_size, 0, false, INFINITY,
                                  &p->cache_bytes)) ||
                  (st = number_in(c, cbw, "memory.cache_bandwidth", &d_bw, 0, false,
                                  INFINITY, &p->cache_bw_Bps))))
        return st;
    if ((v = get(c, n, "stream")) &&
        (st = number_in(c, v, "memory.stream", &d_stream, 0, true, INFINITY,
                        &p->stream_bytes_per_mac)))
        return st;
    if ((v = get(c, n, "im2col")) && (st = boolean(c, v, "memory.im2col", &p->im2col)))
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

static off_status load_roofline(ctx *c, mdl_profile *p, const yaml_node_t *root)
{
    const char *const *keys = roofline_keys;
    off_status st = check_map(c, root, "the profile", keys, N(roofline_keys));
    yaml_node_t *name, *peak, *eff, *ovh, *mem, *v;
    if (st || (st = require(c, root, "the profile", "name", &name)) ||
        (st = require(c, root, "the profile", "peak", &peak)) ||
        (st = require(c, root, "the profile", "efficiency", &eff)) ||
        (st = require(c, root, "the profile", "overhead", &ovh)) ||
        (st = require(c, root, "the profile", "memory", &mem)) ||
        (st = text(c, name, "name", p->name, sizeof p->name)))
        return st;
    if ((v = get(c, root, "device")) &&
        (st = text(c, v, "device", p->device, sizeof p->device)))
        return st;
    if ((v = get(c, root, "framework")) &&
        (st = text(c, v, "framework", p->framework, sizeof p->framework)))
        return st;
    if ((st = load_peak(c, p, peak)) || (st = load_efficiency(c, p, eff)) ||
        (st = number_in(c, ovh, "overhead", &d_time, 0, true, INFINITY, &p->overhead_s)) ||
        (st = load_memory(c, p, mem)))
        return st;
    return OFF_OK;
}

/* A mapping "NAME: duration" into t[0..cap), in file order: names are
 * unique scalars short enough for mdl_layer.name, durations >= 0. */
static off_status load_times(ctx *c, const yaml_node_t *n, const char *what, const char *noun,
                             mdl_profile_time *t, size_t cap, size_t *n_out)
{
    char got[80];
    *n_out = 0;
    if (n->type != YAML_MAPPING_NODE ||
        n->data.mapping.pairs.top == n->data.mapping.pairs.start)
        return errat(c, n, OFF_EINVAL,
                     "%s: expected a mapping of %s name to its time, like '%s: 41.2 us', "
                     "got %s",
                     what, noun, strcmp(noun, "layer") == 0 ? "conv1" : "early",
                     n->type == YAML_MAPPING_NODE ? "an empty mapping"
                                                  : describe(n, got, sizeof got));
    for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top;
         q++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, q->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, q->value);
        const char *ks = scalar(k);
        if (!ks || k->data.scalar.length == 0)
            return errat(c, k, OFF_EINVAL, "%s: %s names must be plain words, got %s", what,
                         noun, describe(k, got, sizeof got));
        if (k->data.scalar.length >= sizeof t->name)
            return errat(c, k, OFF_EINVAL, "%s: %s name '%.60s' is longer than %zu characters",
                         what, noun, ks, sizeof t->name - 1);
        for (size_t i = 0; i < *n_out; i++)
            if (strcmp(t[i].name, ks) == 0) {
                const yaml_node_t *k2 = yaml_document_get_node(
                    c->doc, n->data.mapping.pairs.start[i].key);
                return errat(c, k, OFF_EINVAL, "duplicate %s '%s' in %s (first at line %d)",
                             noun, ks, what, (int)k2->start_mark.line + 1);
            }
        if (*n_out == cap)
            return errat(c, k, OFF_EINVAL, "%s: more than %zu entries", what, cap);
        char vwhat[96];
        snprintf(vwhat, sizeof vwhat, "%s.%s", what, ks);
        off_status st = number_in(c, v, vwhat, &d_time, 0, true, INFINITY, &t[*n_out].seconds);
        if (st)
            return st;
        snprintf(t[*n_out].name, sizeof t->name, "%s", ks);
        (*n_out)++;
    }
    return OFF_OK;
}

static off_status load_measured(ctx *c, mdl_profile *p, const yaml_node_t *root)
{
    off_status st = check_map(c, root, "the profile", measured_keys, N(measured_keys));
    yaml_node_t *name, *model, *bits, *layers, *exits, *v;
    static const char *const what = "the profile (kind: measured)";
    if (st || (st = require(c, root, what, "name", &name)) ||
        (st = require(c, root, what, "model", &model)) ||
        (st = require(c, root, what, "bits", &bits)) ||
        (st = require(c, root, what, "layers", &layers)) ||
        (st = require(c, root, what, "exits", &exits)) ||
        (st = text(c, name, "name", p->name, sizeof p->name)) ||
        (st = text(c, model, "model", p->model, sizeof p->model)))
        return st;
    if ((v = get(c, root, "device")) &&
        (st = text(c, v, "device", p->device, sizeof p->device)))
        return st;
    if ((v = get(c, root, "framework")) &&
        (st = text(c, v, "framework", p->framework, sizeof p->framework)))
        return st;
    double b;
    if ((st = number_in(c, bits, "bits", &d_bits, 1, true, 32, &b)))
        return st;
    if (b != floor(b)) {
        char got[80];
        return errat(c, bits, OFF_EINVAL, "bits: expected a whole number of bits, got %s",
                     describe(bits, got, sizeof got));
    }
    p->bits = (int)b;
    if ((st = load_times(c, layers, "layers", "layer", p->layer_times, MDL_PROFILE_MAX_LAYERS,
                         &p->n_layer_times)) ||
        (st = load_times(c, exits, "exits", "exit", p->exit_times, MDL_PROFILE_MAX_EXITS,
                         &p->n_exit_times)))
        return st;
    const yaml_node_t *at[3] = {model, layers, exits};
    int *to[3] = {p->model_at, p->layers_at, p->exits_at};
    for (size_t i = 0; i < 3; i++) {
        to[i][0] = (int)at[i]->start_mark.line + 1;
        to[i][1] = (int)at[i]->start_mark.column + 1;
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
static off_status load_root(ctx *c, mdl_profile *p, const yaml_node_t *root)
{
    if (root->type != YAML_MAPPING_NODE)
        return load_roofline(c, p, root); /* reports "expected a mapping" */
    yaml_node_t *kn = get(c, root, "kind");
    p->kind = MDL_PROFILE_ROOFLINE;
    if (kn) {
        char got[80], list[64];
        const char *ks = scalar(kn);
        size_t k = 0;
        while (ks && k < N(kind_names) && strcmp(ks, kind_names[k]) != 0)
            k++;
        if (!ks || k == N(kind_names)) {
            join(kind_names, N(kind_names), list, sizeof list);
            const char *dym = ks ? off_did_you_mean(ks, kind_names, N(kind_names)) : NULL;
            if (dym)
                return errat(c, kn, OFF_EINVAL,
                             "kind: unknown kind %s (did you mean '%s'?); kinds: %s",
                             describe(kn, got, sizeof got), dym, list);
            return errat(c, kn, OFF_EINVAL, "kind: unknown kind %s; kinds: %s",
                         describe(kn, got, sizeof got), list);
        }
        p->kind = (mdl_profile_kind)k;
    }
    bool measured = p->kind == MDL_PROFILE_MEASURED;
    const char *const *mine = measured ? measured_keys : roofline_keys;
    const char *const *other = measured ? roofline_keys : measured_keys;
    size_t n_mine = measured ? N(measured_keys) : N(roofline_keys);
    size_t n_other = measured ? N(roofline_keys) : N(measured_keys);
    for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top;
         q++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, q->key);
        const char *ks = scalar(k);
        if (ks && !listed(ks, mine, n_mine) && listed(ks, other, n_other))
            return errat(c, k, OFF_EINVAL,
                         "key '%s' belongs to profiles of kind: %s, and this one is kind: "
                         "%s%s",
                         ks, kind_names[!measured], kind_names[measured],
                         kn ? "" : " (the default; add 'kind: measured' for a measured table)");
    }
    return measured ? load_measured(c, p, root) : load_roofline(c, p, root);
}

/* A libyaml parser error as "FILE:LINE:COL: YAML: problem context", with
 * a hint when the text ends inside a construct (a truncated file). */
static off_status yaml_error(ctx *c, const yaml_parser_t *y, size_t len)
{
    if (y->error == YAML_MEMORY_ERROR)
        return off_errf(c->err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    return off_errf(c->err, OFF_EPARSE, c->file, (int)y->problem_mark.line + 1,
                    (int)y->problem_mark.column + 1, "YAML: %s%s%s%s",
                    y->problem ? y->problem : "syntax error", y->context ? " " : "",
                    y->context ? y->context : "",
                    y->problem_mark.index >= len ? " (the file ends here: truncated?)" : "");
}

off_status mdl_profile_parse(mdl_profile *p, const char *text_in, size_t len, const char *file,
                             off_err *err)
{
    memset(p, 0, sizeof *p);
    ctx c = {file ? file : "<profile>", NULL, err};
    snprintf(p->file, sizeof p->file, "%s", c.file);
    yaml_parser_t y;
    yaml_document_t doc, extra;
    if (!yaml_parser_initialize(&y))
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    yaml_parser_set_input_string(&y, (const unsigned char *)text_in, len);
    off_status st = OFF_OK;
    if (!yaml_parser_load(&y, &doc)) {
        st = yaml_error(&c, &y, len);
        yaml_parser_delete(&y);
        return st;
    }
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        st = off_errf(err, OFF_EINVAL, c.file, 1, 1,
                      "the profile is empty (keys: name, peak, efficiency, overhead, memory)");
    } else if (!yaml_parser_load(&y, &extra)) {
        st = yaml_error(&c, &y, len);
    } else {
        yaml_node_t *r2 = yaml_document_get_root_node(&extra);
        if (r2)
            st = off_errf(err, OFF_EPARSE, c.file, (int)r2->start_mark.line + 1,
                          (int)r2->start_mark.column + 1,
                          "a profile file holds one YAML document; this is a second one");
        yaml_document_delete(&extra);
        if (!st)
            st = load_root(&c, p, root);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&y);
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
