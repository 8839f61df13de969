/* scn_load.c - scn_load / scn_load_text: text -> tree -> overrides -> the
 * top-level schema (name, seed, duration, max_tasks, warmup, policy,
 * output; model, devices and servers are in scn_model.c and scn_world.c);
 * scn_free.  See scn.h. */
#include "scn_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const k_top[] = {"name",    "seed",      "duration",
                                    "max_tasks", "warmup",  "model",
                                    "devices", "servers",   "policy",
                                    "reward",  "output"};
static const char *const k_output[] = {"db", "tasks"};
static const char *const k_reward[] = {"accuracy", "latency", "latency_deadline",
                                       "energy", "deadline_miss"};

/* The out-of-memory error (no position). */
static off_status oom(off_err *err)
{
    return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
}

/* "dir/urban.yaml" -> "urban"; "" -> "scenario". */
static char *default_name(const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5;
    else if (n > 4 && !strcmp(b + n - 4, ".yml"))
        n -= 4;
    if (!n) {
        b = "scenario";
        n = strlen(b);
    }
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

/* policy: absent (-> "local"), a name, or {type, params...}; params must be
 * scalars and are kept as text with their positions. */
static off_status load_policy(scn_policy *p, const cfg_node *root,
                              off_err *err)
{
    const cfg_node *v = cfg_map_get(root, "policy");
    p->pos = root->pos;
    if (!v) {
        p->type = off_strdup("local");
        return p->type ? OFF_OK : oom(err);
    }
    p->pos = v->pos;
    if (v->kind == CFG_NODE_SCALAR) /* policy: edge */
        return cfg_get_string(v, "policy", &p->type, err);
    if (v->kind != CFG_NODE_MAP) {
        char got[80];
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "policy: expected a policy name (e.g. 'edge') or a "
                        "mapping with 'type' and the policy's parameters, got "
                        "%s", cfg_describe(v, got, sizeof got));
    }
    cfg_node *t;
    off_status st;
    if ((st = cfg_require(v, "type", "policy", &t, err)) ||
        (st = cfg_get_string(t, "type", &p->type, err)))
        return st;
    if (v->n > 1) {
        p->params = calloc(v->n - 1, sizeof *p->params);
        if (!p->params)
            return oom(err);
    }
    for (size_t i = 0; i < v->n; i++) {
        const cfg_node *k = v->keys[i], *x = v->items[i];
        if (!strcmp(k->text, "type"))
            continue;
        if (x->kind != CFG_NODE_SCALAR) {
            char ks[64], got[80];
            return cfg_errp(err, OFF_EINVAL, x->pos,
                            "policy parameter '%s' must be a scalar (a number, "
                            "word or quantity), got %s",
                            cfg_short(k->text, ks, sizeof ks),
                            cfg_describe(x, got, sizeof got));
        }
        scn_param *q = &p->params[p->n_params++];
        q->key = off_strdup(k->text);
        q->value = off_strdup(x->text);
        q->pos = x->pos;
        q->key_pos = k->pos;
        if (!q->key || !q->value)
            return oom(err);
    }
    return OFF_OK;
}

/* reward: {accuracy, latency, latency_deadline, energy, deadline_miss},
 * finite plain numbers; defaults in scn.h. */
static off_status load_reward(scn_reward *r, const cfg_node *root, off_err *err)
{
    *r = (scn_reward){.accuracy = 1.0, .latency = 1.0};
    const cfg_node *v = cfg_map_get(root, "reward");
    if (!v)
        return OFF_OK;
    off_status st;
    if ((st = cfg_want_map(v, "reward", k_reward, OFF_COUNT(k_reward), err)) ||
        (st = cfg_check_keys(v, k_reward, OFF_COUNT(k_reward), "reward", NULL, 0, NULL, err)))
        return st;
    double *dst[] = {&r->accuracy, &r->latency, &r->latency_deadline, &r->energy,
                     &r->deadline_miss};
    for (size_t i = 0; i < OFF_COUNT(k_reward); i++) {
        const cfg_node *x = cfg_map_get(v, k_reward[i]);
        if (x && (st = cfg_get_quantity(x, k_reward[i], CFG_DIM_NONE, CFG_Q_FINITE,
                                        dst[i], err)))
            return st;
    }
    return OFF_OK;
}

/* output: {db, tasks}; db defaults to results/<name>.db (name known). */
static off_status load_output(scn_scenario *s, const cfg_node *root,
                              off_err *err)
{
    const cfg_node *v = cfg_map_get(root, "output"), *x;
    off_status st = OFF_OK;
    s->record_tasks = true;
    if (v && ((st = cfg_want_map(v, "output", k_output, OFF_COUNT(k_output), err)) ||
              (st = cfg_check_keys(v, k_output, OFF_COUNT(k_output), "output", NULL,
                                   0, NULL, err)) ||
              ((x = cfg_map_get(v, "tasks")) &&
               (st = cfg_get_bool(x, "tasks", &s->record_tasks, err))) ||
              ((x = cfg_map_get(v, "db")) &&
               (st = cfg_get_string(x, "db", &s->db_path, err)))))
        return st;
    if (!s->db_path) {
        size_t n = strlen(s->name) + sizeof "results/.db";
        if (!(s->db_path = malloc(n)))
            return oom(err);
        snprintf(s->db_path, n, "results/%s.db", s->name);
    }
    return OFF_OK;
}

/* The top-level mapping: everything but the tree building. */
static off_status load_root(scn_scenario *s, const cfg_node *root,
                            off_err *err)
{
    char list[300];
    cfg_join(k_top, OFF_COUNT(k_top), list, sizeof list);
    if (root->kind != CFG_NODE_MAP) {
        char got[80];
        return cfg_errp(err, OFF_EINVAL, root->pos,
                        "a scenario must be a mapping with keys %s; got %s",
                        list, cfg_describe(root, got, sizeof got));
    }
    off_status st;
    cfg_node *model, *devs, *servers;
    const cfg_node *v, *dur;
    uint64_t u;
    if ((st = cfg_check_keys(root, k_top, OFF_COUNT(k_top), "the scenario", NULL, 0,
                             NULL, err)) ||
        (st = cfg_require(root, "model", "the scenario", &model, err)) ||
        (st = cfg_require(root, "devices", "the scenario", &devs, err)) ||
        (st = cfg_require(root, "servers", "the scenario", &servers, err)))
        return st;

    if ((v = cfg_map_get(root, "name"))) {
        if ((st = cfg_get_string(v, "name", &s->name, err)))
            return st;
    } else if (!(s->name = default_name(s->file))) {
        return oom(err);
    }
    s->seed = 1;
    if ((v = cfg_map_get(root, "seed")) &&
        (st = cfg_get_uint(v, "seed", 0, UINT64_MAX, &s->seed, err)))
        return st;
    u = 0;
    if ((v = cfg_map_get(root, "max_tasks")) &&
        (st = cfg_get_uint(v, "max_tasks", 0, SIZE_MAX, &u, err)))
        return st;
    s->max_tasks = (size_t)u;
    s->duration_s = INFINITY;
    if ((dur = cfg_map_get(root, "duration"))) {
        if ((st = cfg_get_quantity(dur, "duration", CFG_DIM_TIME, CFG_Q_GT0,
                                   &s->duration_s, err)))
            return st;
        if (isinf(s->duration_s) && s->max_tasks == 0)
            return cfg_errp(err, OFF_EINVAL, dur->pos,
                            "duration is infinite and max_tasks is 0: the "
                            "run would never end (give a finite duration or "
                            "max_tasks > 0)");
    } else if (s->max_tasks == 0) {
        return cfg_errp(err, OFF_EINVAL, root->pos,
                        "the scenario has no 'duration' and no 'max_tasks': "
                        "give at least one so that the run ends (e.g. "
                        "duration: 60 s)");
    }
    s->warmup_s = 0;
    s->warmup_auto = false;
    if ((v = cfg_map_get(root, "warmup")) && v->kind == CFG_NODE_SCALAR &&
        strcmp(v->text, "auto") == 0) {
        s->warmup_auto = true; /* the warm-up is detected from the run */
    } else if (v && v->kind == CFG_NODE_SCALAR && isalpha((unsigned char)v->text[0]) &&
               strcmp(v->text, "inf") != 0) {
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "warmup: expected a duration such as '30 s' or 'auto', got '%s'",
                        v->text);
    } else if (v) {
        if ((st = cfg_get_quantity(v, "warmup", CFG_DIM_TIME,
                                   CFG_Q_GE0 | CFG_Q_FINITE, &s->warmup_s,
                                   err)))
            return st;
        if (!(s->warmup_s < s->duration_s))
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "warmup must be < duration (%s), got %s",
                            dur->text, v->text);
    }
    if ((st = scn_load_model(&s->model, model, err)) ||
        (st = scn_load_servers(s, servers, err)) ||
        (st = scn_load_devices(s, devs, err)) ||
        (st = scn_link_servers(s, devs, err)) ||
        (st = load_policy(&s->policy, root, err)) ||
        (st = load_reward(&s->reward, root, err)) ||
        (st = load_output(s, root, err)))
        return st;
    return OFF_OK;
}

/* Copy the inputs the scenario keeps: file, text, overrides and labels. */
static off_status keep_inputs(scn_scenario *s, const char *file,
                              const char *text, size_t len,
                              const scn_override *ov, size_t n_ov,
                              off_err *err)
{
    s->file = off_strdup(file);
    s->text = malloc(len + 1);
    if (!s->file || !s->text)
        return oom(err);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    size_t total = 1;
    for (size_t i = 0; i < n_ov; i++)
        total += strlen(ov[i].path ? ov[i].path : "") +
                 strlen(ov[i].value ? ov[i].value : "") + 2;
    if (!(s->overrides = malloc(total)))
        return oom(err);
    s->overrides[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < n_ov; i++)
        at += (size_t)snprintf(s->overrides + at, total - at, "%s%s=%s",
                               i ? "\n" : "", ov[i].path ? ov[i].path : "",
                               ov[i].value ? ov[i].value : "");
    if (n_ov) {
        if (!(s->set_labels = calloc(n_ov, sizeof *s->set_labels)))
            return oom(err);
        for (size_t i = 0; i < n_ov; i++) {
            char l[32];
            snprintf(l, sizeof l, "<--set %zu>", i + 1);
            if (!(s->set_labels[i] = off_strdup(l)))
                return oom(err);
            s->n_set_labels = i + 1;
        }
    }
    return OFF_OK;
}

/* `model: FILE`: replace the scalar by the mapping read from FILE (resolved
 * against the scenario's directory).  Done before the overrides, so that
 * --set model.... reaches into it, and again after them, for --set
 * model=FILE (resolved against the scenario's directory as well).
 * Positions inside name the resolved path. */
static off_status include_model(scn_scenario *s, cfg_node *root, off_err *err)
{
    size_t i = cfg_map_index(root, "model");
    if (i == (size_t)-1)
        return OFF_OK;
    cfg_node *v = root->items[i];
    if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v))
        return OFF_OK;
    free(s->model_file); /* `--set model=OTHER.yaml` replaces the first */
    free(s->model_text);
    s->model_text = NULL;
    if (!(s->model_file = scn_resolve_path(s->file, v->text)))
        return oom(err);
    size_t len;
    off_err e2;
    off_status st = off_read_file(s->model_file, &s->model_text, &len, &e2);
    if (st == OFF_ENOMEM)
        return oom(err);
    if (st != OFF_OK) {
        const char *why = strstr(e2.msg, ": ") ? strstr(e2.msg, ": ") + 2 : e2.msg;
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "model: expected a mapping or the path of a model file, "
                        "got '%s' (%s: %s)", v->text, s->model_file, why);
    }
    cfg_node *m = NULL;
    if ((st = cfg_tree_parse(s->model_text, len, s->model_file, "a model file",
                             &m, err)))
        return st;
    if (!m || cfg_node_is_null(m)) {
        cfg_node_free(m);
        return off_errf(err, OFF_EINVAL, s->model_file, 1, 1,
                        "empty model file: expected a mapping with the keys "
                        "of 'model' (kind, layers, exits, ...)");
    }
    cfg_node_free(v);
    root->items[i] = m;
    return OFF_OK;
}

off_status scn_load_text(scn_scenario *out, const char *file, const char *text,
                         size_t len, const scn_override *overrides,
                         size_t n_overrides, off_err *err)
{
    memset(out, 0, sizeof *out);
    if (!file)
        file = "<scenario>";
    if (!text)
        text = "", len = 0;
    if (n_overrides && !overrides)
        n_overrides = 0;
    cfg_node *root = NULL;
    off_status st = keep_inputs(out, file, text, len, overrides, n_overrides,
                                err);
    if (!st)
        st = cfg_tree_parse(out->text, len, out->file, "a scenario file",
                            &root, err);
    if (!st && (!root || cfg_node_is_null(root))) {
        char list[300];
        st = off_errf(err, OFF_EINVAL, out->file, 1, 1,
                      "empty scenario: expected a mapping with keys %s",
                      cfg_join(k_top, OFF_COUNT(k_top), list, sizeof list));
    }
    if (!st && root->kind == CFG_NODE_MAP)
        st = include_model(out, root, err);
    if (!st && root->kind == CFG_NODE_MAP && n_overrides) {
        st = scn_overrides_apply(root, overrides, n_overrides,
                                 out->set_labels, err);
        if (!st) /* an override may have named another model file */
            st = include_model(out, root, err);
    }
    if (!st)
        st = load_root(out, root, err);
    cfg_node_free(root);
    if (st)
        scn_free(out);
    return st;
}

off_status scn_load(scn_scenario *out, const char *path,
                    const scn_override *overrides, size_t n_overrides,
                    off_err *err)
{
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len;
    off_status st = off_read_file(path, &buf, &len, err);
    if (st)
        return st;
    st = scn_load_text(out, path, buf, len, overrides, n_overrides, err);
    free(buf);
    return st;
}

/* Free what a (possibly partly filled) model owns. */
static void free_model(scn_model *m)
{
    free(m->own_file);
    free(m->name);
    for (size_t i = 0; i < m->n_layers; i++)
        free(m->layers[i].name);
    free(m->layers);
    for (size_t i = 0; i < m->n_exits; i++)
        free(m->exits[i].name);
    free(m->exits);
    free(m->bits);
    free(m->weights);
}

void scn_model_free(scn_model *m)
{
    if (!m)
        return;
    free_model(m);
    memset(m, 0, sizeof *m);
}

off_status scn_load_model_file(scn_model *out, const char *path, off_err *err)
{
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    off_status st = off_read_file(path, &text, &len, err);
    if (st)
        return st;
    if (!(out->own_file = off_strdup(path))) {
        free(text);
        return oom(err);
    }
    cfg_node *root = NULL;
    st = cfg_tree_parse(text, len, out->own_file, "a model file", &root, err);
    if (!st && (!root || cfg_node_is_null(root)))
        st = off_errf(err, OFF_EINVAL, path, 1, 1,
                      "empty model file: expected a mapping with the keys of "
                      "'model' (kind, layers, exits, ...)");
    if (!st)
        st = scn_load_model(out, root, err);
    cfg_node_free(root);
    free(text);
    if (st)
        scn_model_free(out);
    return st;
}

void scn_free(scn_scenario *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->text);
    free(s->overrides);
    free(s->name);
    free_model(&s->model);
    for (size_t i = 0; i < s->n_devices; i++) {
        scn_device *d = &s->devices[i];
        free(d->name);
        free(d->server);
        free(d->arrivals.trace_path);
        free(d->arrivals.trace_s);
        free(d->uplink.chan.trace_path);
        free(d->downlink.chan.trace_path);
        free(d->profile);
        scn_mobility_free(&d->mobility);
    }
    free(s->devices);
    for (size_t i = 0; i < s->n_servers; i++) {
        free(s->servers[i].name);
        free(s->servers[i].profile);
        free(s->servers[i].batching.speedup);
    }
    free(s->servers);
    free(s->policy.type);
    for (size_t i = 0; i < s->policy.n_params; i++) {
        free(s->policy.params[i].key);
        free(s->policy.params[i].value);
    }
    free(s->policy.params);
    free(s->db_path);
    for (size_t i = 0; i < s->n_set_labels; i++)
        free(s->set_labels[i]);
    free(s->set_labels);
    free(s->model_file);
    free(s->model_text);
    memset(s, 0, sizeof *s);
}

const scn_param *scn_policy_param(const scn_policy *p, const char *key)
{
    if (!p || !key)
        return NULL;
    for (size_t i = 0; i < p->n_params; i++)
        if (!strcmp(p->params[i].key, key))
            return &p->params[i];
    return NULL;
}

off_status scn_parse_quantity(const char *text, scn_dim dim, double *out,
                              scn_pos pos, off_err *err)
{
    return cfg_quantity(text ? text : "", dim, NULL, out, pos, err);
}
