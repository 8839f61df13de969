/* scn_model.c - the `model` section: a profiled layer table with exits, or
 * a synthetic block whose work is drawn per task.  See scn_int.h and
 * docs/scenario-reference.md ("model"). */
#include "scn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const k_profiled[] = {"kind", "name", "input", "result",
                                         "bits", "layers", "exits"};
static const char *const k_synthetic[] = {"kind", "name", "input", "result",
                                          "bits", "work", "accuracy"};
static const char *const k_trained[] = {"kind", "name", "weights", "cache", "result"};
static const char *const k_only_profiled[] = {"layers", "exits"};
static const char *const k_only_synthetic[] = {"work", "accuracy"};
static const char *const k_layer[] = {"name", "kind", "macs", "params", "out"};
static const char *const layer_kinds[SCN_LAYER_N_KINDS] = {"other", "conv", "dwconv",
                                                           "fc", "pool"};
static const char *const k_exit[] = {"name", "after", "macs", "accuracy"};
static const char *const k_dist_all[] = {"dist", "mean", "min", "max", "cv"};
static const char *const dist_names[] = {"deterministic", "exponential",
                                         "uniform", "lognormal"};

/* The out-of-memory error (no position). */
static off_status oom(off_err *err)
{
    return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
}

/* "layer 'conv1'" when the item has a scalar name, else "model.layers.3". */
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

/* Optional quantity: *out keeps its default when key is absent. */
static off_status opt_q(const cfg_node *map, const char *key, cfg_dim dim,
                        unsigned flags, double *out, off_err *err)
{
    const cfg_node *v = cfg_map_get(map, key);
    return v ? cfg_get_quantity(v, key, dim, flags, out, err) : OFF_OK;
}

/* model.bits: a list (or one integer) of 1..16 or 32, strictly ascending;
 * [8, 32] when absent. */
static off_status load_bits(scn_model *m, const cfg_node *n, off_err *err)
{
    const cfg_node *v = cfg_map_get(n, "bits");
    static const int def[] = {8, 32};
    size_t cnt = v ? (v->kind == CFG_NODE_SEQ ? v->n : 1) : 2;
    if (v && v->kind == CFG_NODE_MAP)
        return cfg_want_seq(v, "bits", err);
    if (cnt == 0)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "bits must list at least one bit-width, e.g. [8, 32]");
    m->bits = calloc(cnt, sizeof *m->bits);
    if (!m->bits)
        return oom(err);
    m->n_bits = cnt;
    for (size_t i = 0; i < cnt; i++) {
        if (!v) {
            m->bits[i] = def[i];
            continue;
        }
        const cfg_node *it = v->kind == CFG_NODE_SEQ ? v->items[i] : v;
        uint64_t b;
        off_status st = cfg_get_uint(it, "bits", 1, 32, &b, err);
        if (st)
            return st;
        if (b > 16 && b != 32)
            return cfg_errp(err, OFF_EINVAL, it->pos,
                            "bits must be 1..16 or 32 (float), got %s",
                            it->text);
        if (i && (int)b <= m->bits[i - 1])
            return cfg_errp(err, OFF_EINVAL, it->pos,
                            "bits must be strictly ascending (%d after %d)",
                            (int)b, m->bits[i - 1]);
        m->bits[i] = (int)b;
    }
    return OFF_OK;
}

/* model.layers: >= 1 {name (unique), kind (optional, a layer_kinds name),
 * macs >= 0, params (optional, >= 0), out > 0}. */
static off_status load_layers(scn_model *m, const cfg_node *v, off_err *err)
{
    off_status st = cfg_want_seq(v, "model.layers", err);
    if (st)
        return st;
    if (v->n == 0)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "model.layers must list at least one layer");
    m->layers = calloc(v->n, sizeof *m->layers);
    if (!m->layers)
        return oom(err);
    m->n_layers = v->n;
    for (size_t i = 0; i < v->n; i++) {
        const cfg_node *it = v->items[i];
        scn_layer *l = &m->layers[i];
        char where[96], what[40];
        snprintf(what, sizeof what, "model.layers.%zu", i);
        if ((st = cfg_want_map(it, what, k_layer, OFF_COUNT(k_layer), err)))
            return st;
        item_where(it, "layer", "model.layers", i, where, sizeof where);
        l->pos = it->pos;
        cfg_node *nm, *macs, *out;
        if ((st = cfg_check_keys(it, k_layer, OFF_COUNT(k_layer), where, NULL, 0, NULL,
                                 err)) ||
            (st = cfg_require(it, "name", where, &nm, err)) ||
            (st = cfg_require(it, "macs", where, &macs, err)) ||
            (st = cfg_require(it, "out", where, &out, err)) ||
            (st = cfg_get_string(nm, "name", &l->name, err)) ||
            (st = cfg_get_quantity(macs, "macs", CFG_DIM_WORK,
                                   CFG_Q_GE0 | CFG_Q_FINITE, &l->macs, err)) ||
            (st = cfg_get_quantity(out, "out", CFG_DIM_BYTES,
                                   CFG_Q_GT0 | CFG_Q_FINITE, &l->out_bytes,
                                   err)) ||
            (st = opt_q(it, "params", CFG_DIM_NONE, CFG_Q_GE0 | CFG_Q_FINITE,
                        &l->params, err)))
            return st;
        const cfg_node *kn = cfg_map_get(it, "kind");
        size_t kind = SCN_LAYER_OTHER;
        if (kn && (st = cfg_get_choice(kn, "layer kind", layer_kinds,
                                       SCN_LAYER_N_KINDS, &kind, err)))
            return st;
        l->kind = (scn_layer_kind)kind;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->layers[j].name, l->name))
                return cfg_errp(err, OFF_EINVAL, nm->pos,
                                "duplicate layer name '%s' (first at line %d)",
                                l->name, m->layers[j].pos.line);
    }
    return OFF_OK;
}

/* model.exits: >= 1 {name (unique), after (a layer), macs, accuracy} in
 * strictly increasing layer order, the last after the last layer.  Needs
 * the layers loaded. */
static off_status load_exits(scn_model *m, const cfg_node *v, off_err *err)
{
    off_status st = cfg_want_seq(v, "model.exits", err);
    if (st)
        return st;
    if (v->n == 0)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "model.exits must list at least one exit (the last "
                        "one after the last layer)");
    m->exits = calloc(v->n, sizeof *m->exits);
    if (!m->exits)
        return oom(err);
    m->n_exits = v->n;
    const cfg_node *prev_after = NULL;
    for (size_t i = 0; i < v->n; i++) {
        const cfg_node *it = v->items[i];
        scn_exit *e = &m->exits[i];
        char where[96], what[40];
        snprintf(what, sizeof what, "model.exits.%zu", i);
        if ((st = cfg_want_map(it, what, k_exit, OFF_COUNT(k_exit), err)))
            return st;
        item_where(it, "exit", "model.exits", i, where, sizeof where);
        e->pos = it->pos;
        cfg_node *nm, *after, *acc;
        if ((st = cfg_check_keys(it, k_exit, OFF_COUNT(k_exit), where, NULL, 0, NULL,
                                 err)) ||
            (st = cfg_require(it, "name", where, &nm, err)) ||
            (st = cfg_require(it, "after", where, &after, err)) ||
            (st = cfg_require(it, "accuracy", where, &acc, err)) ||
            (st = cfg_get_string(nm, "name", &e->name, err)) ||
            (st = opt_q(it, "macs", CFG_DIM_WORK, CFG_Q_GE0 | CFG_Q_FINITE,
                        &e->macs, err)) ||
            (st = cfg_get_quantity(acc, "accuracy", CFG_DIM_NONE, CFG_Q_UNIT,
                                   &e->accuracy, err)) ||
            (st = cfg_want_scalar(after, "after", err)))
            return st;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->exits[j].name, e->name))
                return cfg_errp(err, OFF_EINVAL, nm->pos,
                                "duplicate exit name '%s' (first at line %d)",
                                e->name, m->exits[j].pos.line);
        for (size_t j = 0; j < m->n_layers; j++)
            if (!strcmp(m->layers[j].name, after->text))
                e->after = j + 1;
        if (!e->after) {
            char s[64], list[400];
            const char *names[64];
            size_t nn = m->n_layers < 64 ? m->n_layers : 64;
            for (size_t j = 0; j < nn; j++)
                names[j] = m->layers[j].name;
            const char *dym = off_did_you_mean(after->text, names, nn);
            cfg_join(names, nn, list, sizeof list);
            cfg_short(after->text, s, sizeof s);
            if (dym)
                return cfg_errp(err, OFF_EINVAL, after->pos,
                                "%s: after names no layer: '%s' (did you mean "
                                "'%s'?); layers: %s", where, s, dym, list);
            return cfg_errp(err, OFF_EINVAL, after->pos,
                            "%s: after names no layer: '%s'; layers: %s",
                            where, s, list);
        }
        if (i && e->after <= m->exits[i - 1].after)
            return cfg_errp(err, OFF_EINVAL, after->pos,
                            "exits must be listed in layer order, one per "
                            "layer: exit '%s' is after layer '%s' (layer %zu), "
                            "but the exit before it, '%s', is after layer "
                            "'%s' (layer %zu)", e->name, after->text,
                            e->after, m->exits[i - 1].name,
                            prev_after->text, m->exits[i - 1].after);
        prev_after = after;
    }
    const scn_exit *last = &m->exits[m->n_exits - 1];
    if (last->after != m->n_layers)
        return cfg_errp(err, OFF_EINVAL, prev_after->pos,
                        "the last exit must be after the last layer '%s' (so "
                        "that every task can finish), but the last exit "
                        "'%s' is after layer '%s'",
                        m->layers[m->n_layers - 1].name, last->name,
                        prev_after->text);
    return OFF_OK;
}

/* model.work: a work quantity (deterministic) or {dist, mean|min,max|cv};
 * d->mean is the distribution's mean in every case. */
static off_status load_work(scn_dist *d, const cfg_node *v, off_err *err)
{
    d->pos = v->pos;
    d->kind = SCN_DIST_DETERMINISTIC;
    if (v->kind == CFG_NODE_SCALAR && !cfg_node_is_null(v)) /* "work: 3 GMAC" */
        return cfg_get_quantity(v, "work", CFG_DIM_WORK,
                                CFG_Q_GE0 | CFG_Q_FINITE, &d->mean, err);
    off_status st = cfg_want_map(v, "work", k_dist_all, OFF_COUNT(k_dist_all), err);
    if (st)
        return st;
    size_t kind = 0;
    const cfg_node *dn = cfg_map_get(v, "dist");
    if (dn && (st = cfg_get_choice(dn, "distribution", dist_names,
                                   OFF_COUNT(dist_names), &kind, err)))
        return st;
    d->kind = (scn_dist_kind)kind;
    static const char *const k_det[] = {"dist", "mean"};
    static const char *const k_uni[] = {"dist", "min", "max"};
    static const char *const k_logn[] = {"dist", "mean", "cv"};
    const char *const *valid = d->kind == SCN_DIST_UNIFORM     ? k_uni
                               : d->kind == SCN_DIST_LOGNORMAL ? k_logn
                                                               : k_det;
    size_t nv = d->kind == SCN_DIST_UNIFORM || d->kind == SCN_DIST_LOGNORMAL
                    ? 3 : 2;
    char where[64], msg[160], list[80];
    snprintf(where, sizeof where, "a %s distribution", dist_names[kind]);
    snprintf(msg, sizeof msg, "does not apply to %s (its keys: %s)", where,
             cfg_join(valid, nv, list, sizeof list));
    if ((st = cfg_check_keys(v, valid, nv, where, k_dist_all, OFF_COUNT(k_dist_all),
                             msg, err)))
        return st;
    cfg_node *a, *b;
    switch (d->kind) {
    case SCN_DIST_DETERMINISTIC:
    case SCN_DIST_EXPONENTIAL:
    case SCN_DIST_LOGNORMAL:
        if ((st = cfg_require(v, "mean", where, &a, err)) ||
            (st = cfg_get_quantity(a, "mean", CFG_DIM_WORK,
                                   CFG_Q_FINITE | (d->kind == SCN_DIST_DETERMINISTIC
                                                       ? CFG_Q_GE0 : CFG_Q_GT0),
                                   &d->mean, err)))
            return st;
        if (d->kind == SCN_DIST_LOGNORMAL &&
            ((st = cfg_require(v, "cv", where, &b, err)) ||
             (st = cfg_get_quantity(b, "cv", CFG_DIM_NONE,
                                    CFG_Q_GT0 | CFG_Q_FINITE, &d->cv, err))))
            return st;
        break;
    case SCN_DIST_UNIFORM:
        if ((st = cfg_require(v, "min", where, &a, err)) ||
            (st = cfg_require(v, "max", where, &b, err)) ||
            (st = cfg_get_quantity(a, "min", CFG_DIM_WORK,
                                   CFG_Q_GE0 | CFG_Q_FINITE, &d->min, err)) ||
            (st = cfg_get_quantity(b, "max", CFG_DIM_WORK,
                                   CFG_Q_GE0 | CFG_Q_FINITE, &d->max, err)))
            return st;
        if (d->max < d->min)
            return cfg_errp(err, OFF_EINVAL, b->pos,
                            "max must be >= min, got max %s < min %s",
                            b->text, a->text);
        d->mean = 0.5 * (d->min + d->max);
        break;
    }
    return OFF_OK;
}

/* Synthetic models get one layer "work" and one exit "final". */
static off_status synth_table(scn_model *m, double accuracy, off_err *err)
{
    m->layers = calloc(1, sizeof *m->layers);
    m->exits = calloc(1, sizeof *m->exits);
    if (!m->layers || !m->exits)
        return oom(err);
    m->n_layers = m->n_exits = 1;
    m->layers[0].name = off_strdup("work");
    m->exits[0].name = off_strdup("final");
    if (!m->layers[0].name || !m->exits[0].name)
        return oom(err);
    m->layers[0].macs = m->work.mean;
    m->layers[0].out_bytes = m->input_bytes;
    m->layers[0].pos = m->work.pos;
    m->exits[0].after = 1;
    m->exits[0].macs = 0;
    m->exits[0].accuracy = accuracy;
    m->exits[0].pos = m->pos;
    return OFF_OK;
}

/* kind: trained - a zoo graph by name; its layers, exits and bit-widths
 * come from the graph when the simulator opens it. */
static off_status load_trained(scn_model *m, const cfg_node *n, off_err *err)
{
    off_status st = cfg_check_keys(n, k_trained, OFF_COUNT(k_trained), "model", NULL, 0, NULL, err);
    cfg_node *nm;
    const cfg_node *v;
    if (st || (st = cfg_require(n, "name", "model", &nm, err)) ||
        (st = cfg_get_string(nm, "name", &m->name, err)))
        return st;
    m->name_pos = nm->pos;
    m->cache = true;
    m->result_bytes = 4;
    if ((v = cfg_map_get(n, "weights"))) {
        char *rel = NULL;
        if ((st = cfg_get_string(v, "weights", &rel, err)))
            return st;
        m->weights = scn_resolve_path(v->pos.file, rel);
        free(rel);
        if (!m->weights)
            return oom(err);
        m->weights_pos = v->pos;
    }
    if (((v = cfg_map_get(n, "cache")) && (st = cfg_get_bool(v, "cache", &m->cache, err))) ||
        (st = opt_q(n, "result", CFG_DIM_BYTES, CFG_Q_GE0 | CFG_Q_FINITE, &m->result_bytes,
                    err)))
        return st;
    m->work.kind = SCN_DIST_DETERMINISTIC;
    m->work.pos = n->pos;
    return OFF_OK;
}

off_status scn_load_model(scn_model *m, const cfg_node *n, off_err *err)
{
    off_status st = cfg_want_map(n, "model", k_profiled, OFF_COUNT(k_profiled), err);
    if (st)
        return st;
    m->pos = n->pos;
    size_t kind = 0;
    static const char *const kinds[] = {"profiled", "synthetic", "trained"};
    const cfg_node *kn = cfg_map_get(n, "kind");
    if (kn && (st = cfg_get_choice(kn, "model kind", kinds, 3, &kind, err)))
        return st;
    m->kind = kind == 2 ? SCN_MODEL_TRAINED : kind ? SCN_MODEL_SYNTHETIC : SCN_MODEL_PROFILED;
    if (m->kind == SCN_MODEL_TRAINED)
        return load_trained(m, n, err);
    if (m->kind == SCN_MODEL_PROFILED)
        st = cfg_check_keys(n, k_profiled, OFF_COUNT(k_profiled), "model",
                            k_only_synthetic, OFF_COUNT(k_only_synthetic),
                            "applies to synthetic models only (this model is "
                            "profiled: it has layers and exits; set 'kind: "
                            "synthetic' to draw the work per task)", err);
    else
        st = cfg_check_keys(n, k_synthetic, OFF_COUNT(k_synthetic), "model",
                            k_only_profiled, OFF_COUNT(k_only_profiled),
                            "applies to profiled models only (this model is "
                            "synthetic: it has 'work' and 'accuracy')", err);
    if (st)
        return st;

    const cfg_node *v;
    m->input_bytes = 784;
    m->result_bytes = 4;
    if ((v = cfg_map_get(n, "name")))
        st = cfg_get_string(v, "name", &m->name, err);
    else if (!(m->name = off_strdup("model")))
        st = oom(err);
    if (st ||
        (st = opt_q(n, "input", CFG_DIM_BYTES, CFG_Q_GE0 | CFG_Q_FINITE,
                    &m->input_bytes, err)) ||
        (st = opt_q(n, "result", CFG_DIM_BYTES, CFG_Q_GE0 | CFG_Q_FINITE,
                    &m->result_bytes, err)) ||
        (st = load_bits(m, n, err)))
        return st;

    cfg_node *w;
    if (m->kind == SCN_MODEL_PROFILED) {
        cfg_node *ln, *en;
        if ((st = cfg_require(n, "layers", "model", &ln, err)) ||
            (st = cfg_require(n, "exits", "model", &en, err)) ||
            (st = load_layers(m, ln, err)) || (st = load_exits(m, en, err)))
            return st;
        m->work.kind = SCN_DIST_DETERMINISTIC;
        m->work.pos = ln->pos;
        for (size_t i = 0; i < m->n_layers; i++)
            m->work.mean += m->layers[i].macs;
        return OFF_OK;
    }
    double acc = 1;
    if ((st = cfg_require(n, "work", "model", &w, err)) ||
        (st = load_work(&m->work, w, err)) ||
        (st = opt_q(n, "accuracy", CFG_DIM_NONE, CFG_Q_UNIT, &acc, err)))
        return st;
    return synth_table(m, acc, err);
}
