/* pol.c - policy instances and parameter helpers.  See pol.h. */
#include "pol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void list_names(char *buf, size_t cap, const char *const *names, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static bool takes(const pol_class *c, const char *key)
{
    for (const char *const *k = c->param_keys; k && *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

/* The other policies that take key ("ppo, sac-discrete"), or "" if none:
 * a key given to the wrong policy is named as such. */
static void owners_of(char *buf, size_t cap, const char *key, const pol_class *self)
{
    size_t n, len = 0;
    const pol_class *const *all = pol_registry(&n);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (all[i] == self || !takes(all[i], key))
            continue;
        int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", all[i]->name);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
}

off_status pol_create(pol_policy *p, const char *type, const pol_cfg *cfg,
                      const char *pos_file, int pos_line, int pos_col,
                      off_err *err)
{
    p->cls = NULL;
    p->state = NULL;
    const pol_class *cls = pol_find(type);
    if (!cls) {
        size_t n;
        const pol_class *const *all = pol_registry(&n);
        const char *names[64];
        if (n > 64)
            n = 64;
        for (size_t i = 0; i < n; i++)
            names[i] = all[i]->name;
        char list[512];
        list_names(list, sizeof list, names, n);
        const char *dym = off_did_you_mean(type, names, n);
        if (dym)
            return off_errf(err, OFF_EINVAL, pos_file, pos_line, pos_col,
                            "unknown policy '%s' (did you mean '%s'?); policies: %s",
                            type, dym, list);
        return off_errf(err, OFF_EINVAL, pos_file, pos_line, pos_col,
                        "unknown policy '%s'; policies: %s", type, list);
    }
    size_t nk = 0;
    while (cls->param_keys && cls->param_keys[nk])
        nk++;
    for (size_t i = 0; i < cfg->n_params; i++) {
        const pol_param *pp = &cfg->params[i];
        if (takes(cls, pp->key))
            continue;
        if (nk == 0)
            return off_errf(err, OFF_EINVAL, pp->file, pp->key_line, pp->key_col,
                            "unknown key '%s': policy '%s' takes no parameters",
                            pp->key, cls->name);
        char list[512], owners[256], why[400] = "";
        list_names(list, sizeof list, cls->param_keys, nk);
        owners_of(owners, sizeof owners, pp->key, cls);
        const char *dym = off_did_you_mean(pp->key, cls->param_keys, nk);
        if (owners[0] && dym)
            snprintf(why, sizeof why, " ('%s' is a key of %s; did you mean '%s'?)", pp->key,
                     owners, dym);
        else if (owners[0])
            snprintf(why, sizeof why, " ('%s' is a key of %s)", pp->key, owners);
        else if (dym)
            snprintf(why, sizeof why, " (did you mean '%s'?)", dym);
        return off_errf(err, OFF_EINVAL, pp->file, pp->key_line, pp->key_col,
                        "unknown key '%s' for policy '%s'%s; valid keys: type, %s", pp->key,
                        cls->name, why, list);
    }
    pol_cfg c = *cfg;
    c.pos_file = pos_file;
    c.pos_line = pos_line;
    c.pos_col = pos_col;
    off_status st = cls->create(&p->state, &c, err);
    if (st != OFF_OK)
        return st;
    p->cls = cls;
    return OFF_OK;
}

void pol_destroy(pol_policy *p)
{
    if (!p || !p->cls)
        return;
    if (p->cls->destroy)
        p->cls->destroy(p->state);
    p->cls = NULL;
    p->state = NULL;
}

const pol_param *pol_cfg_param(const pol_cfg *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].key, key) == 0)
            return &cfg->params[i];
    return NULL;
}

static bool parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno)
        return false;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

off_status pol_param_int(const pol_cfg *cfg, const char *key, long dflt,
                         long min, long max, long *out, off_err *err)
{
    const pol_param *p = pol_cfg_param(cfg, key);
    if (!p) {
        *out = dflt;
        return OFF_OK;
    }
    long v;
    if (!parse_long(p->text, &v))
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                        "'%s' must be an integer in %ld..%ld, got '%s'", key, min,
                        max, p->text);
    if (v < min || v > max)
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                        "'%s' must be in %ld..%ld, got %ld", key, min, max, v);
    *out = v;
    return OFF_OK;
}

off_status pol_param_double(const pol_cfg *cfg, const char *key, double dflt, double min,
                            double max, double *out, off_err *err)
{
    const pol_param *p = pol_cfg_param(cfg, key);
    if (!p) {
        *out = dflt;
        return OFF_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(p->text, &end);
    if (end == p->text || *end || errno || !(v >= min && v <= max))
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                        "'%s' must be a number in %g..%g, got '%s'", key, min, max, p->text);
    *out = v;
    return OFF_OK;
}

off_status pol_param_exit(const pol_cfg *cfg, const char *key, int dflt,
                          int *out, off_err *err)
{
    const pol_param *p = pol_cfg_param(cfg, key);
    const mdl_model *m = cfg->model;
    if (!p) {
        *out = dflt;
        return OFF_OK;
    }
    long v;
    if (parse_long(p->text, &v)) {
        if (v < 0 || (size_t)v >= m->n_exits)
            return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                            "'%s' must be an exit index in 0..%zu or an exit name, "
                            "got %ld", key, m->n_exits - 1, v);
        *out = (int)v;
        return OFF_OK;
    }
    int idx = mdl_exit_index(m, p->text);
    if (idx < 0) {
        char list[512];
        const char *names[64];
        size_t n = m->n_exits < 64 ? m->n_exits : 64;
        for (size_t i = 0; i < n; i++)
            names[i] = m->exits[i].name;
        list_names(list, sizeof list, names, n);
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                        "model '%s' has no exit '%s'; exits: %s", m->name, p->text,
                        list);
    }
    *out = idx;
    return OFF_OK;
}

off_status pol_param_bits(const pol_cfg *cfg, const char *key, int dflt,
                          int *out, off_err *err)
{
    const pol_param *p = pol_cfg_param(cfg, key);
    const mdl_model *m = cfg->model;
    if (!p) {
        *out = dflt;
        return OFF_OK;
    }
    long v;
    if (!parse_long(p->text, &v) || v < 1 || v > 32 || mdl_bits_index(m, (int)v) < 0) {
        char list[128];
        size_t len = 0;
        list[0] = '\0';
        for (size_t i = 0; i < m->n_bits && len < sizeof list; i++) {
            int w = snprintf(list + len, sizeof list - len, "%s%d", i ? ", " : "",
                             m->bits[i]);
            if (w < 0)
                break;
            len += (size_t)w;
        }
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                        "'%s' must be one of the model's bit-widths (%s), got '%s'",
                        key, list, p->text);
    }
    *out = (int)v;
    return OFF_OK;
}

int pol_default_bits(const mdl_model *m)
{
    return mdl_bits_index(m, 8) >= 0 ? 8 : m->bits[m->n_bits - 1];
}

off_status pol_param_choice(const pol_cfg *cfg, const char *key,
                            const char *const *choices, int dflt, int *out,
                            off_err *err)
{
    const pol_param *p = pol_cfg_param(cfg, key);
    if (!p) {
        *out = dflt;
        return OFF_OK;
    }
    size_t n = 0;
    while (choices[n])
        n++;
    for (size_t i = 0; i < n; i++)
        if (strcmp(p->text, choices[i]) == 0) {
            *out = (int)i;
            return OFF_OK;
        }
    char list[256];
    list_names(list, sizeof list, choices, n);
    const char *dym = off_did_you_mean(p->text, choices, n);
    if (dym)
        return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                        "'%s' must be one of %s, got '%s' (did you mean '%s'?)", key,
                        list, p->text, dym);
    return off_errf(err, OFF_EINVAL, p->file, p->line, p->col,
                    "'%s' must be one of %s, got '%s'", key, list, p->text);
}
