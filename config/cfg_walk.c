/* cfg_walk.c - helpers of a schema walker: type checks, unknown and
 * missing keys, typed scalar values with their range checks, and the
 * wording shared by every message.  See cfg.h. */
#include "cfg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

off_status cfg_errp(off_err *err, off_status st, cfg_pos pos, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    off_verrf(err, st, pos.file, pos.line, pos.col, fmt, ap);
    va_end(ap);
    return st;
}

const char *cfg_file_label(const char *value, char *buf, size_t cap)
{
    const char *slash = strrchr(value, '/');
    size_t n = strlen(value);
    size_t ext = n > 5 && strcmp(value + n - 5, ".yaml") == 0  ? 5
                 : n > 4 && strcmp(value + n - 4, ".yml") == 0 ? 4
                                                               : 0;
    if (!slash || !ext || (size_t)(value + n - ext - slash) < 2 || !cap)
        return value;
    snprintf(buf, cap, "%.*s", (int)(value + n - ext - slash - 1), slash + 1);
    return buf;
}

const char *cfg_short(const char *s, char *buf, size_t cap)
{
    if (!cap)
        return buf;
    size_t n = strlen(s), max = cap - 1;
    bool cut = n > max;
    if (cut) {
        max = cap > 4 ? cap - 4 : 0;
        /* do not cut a UTF-8 sequence in two */
        while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
            max--;
        n = max;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    buf[n] = '\0';
    if (cut && cap > 4)
        strcat(buf, "...");
    return buf;
}

const char *cfg_join(const char *const *list, size_t n, char *buf, size_t cap)
{
    if (!cap)
        return buf;
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", list[i]);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
    return buf;
}

const char *cfg_describe(const cfg_node *n, char *buf, size_t cap)
{
    if (!n) {
        snprintf(buf, cap, "nothing");
    } else if (n->kind == CFG_NODE_MAP) {
        snprintf(buf, cap, "a mapping");
    } else if (n->kind == CFG_NODE_SEQ) {
        snprintf(buf, cap, "a list");
    } else if (cfg_node_is_null(n)) {
        snprintf(buf, cap, "an empty value");
    } else {
        char t[64];
        snprintf(buf, cap, "'%s'", cfg_short(n->text, t, sizeof t));
    }
    return buf;
}

off_status cfg_want_map(const cfg_node *n, const char *what,
                        const char *const *keys, size_t n_keys, off_err *err)
{
    if (n->kind == CFG_NODE_MAP)
        return OFF_OK;
    char got[80], list[400];
    cfg_describe(n, got, sizeof got);
    if (keys)
        return cfg_errp(err, OFF_EINVAL, n->pos,
                        "%s: expected a mapping (keys: %s), got %s", what,
                        cfg_join(keys, n_keys, list, sizeof list), got);
    return cfg_errp(err, OFF_EINVAL, n->pos, "%s: expected a mapping, got %s",
                    what, got);
}

off_status cfg_want_seq(const cfg_node *n, const char *what, off_err *err)
{
    if (n->kind == CFG_NODE_SEQ)
        return OFF_OK;
    char got[80];
    return cfg_errp(err, OFF_EINVAL, n->pos,
                    "%s: expected a list (items written '- ...' or [a, b]), "
                    "got %s", what, cfg_describe(n, got, sizeof got));
}

off_status cfg_want_scalar(const cfg_node *n, const char *what, off_err *err)
{
    if (n->kind == CFG_NODE_SCALAR && !cfg_node_is_null(n))
        return OFF_OK;
    char got[80];
    return cfg_errp(err, OFF_EINVAL, n->pos, "%s: expected a scalar, got %s",
                    what, cfg_describe(n, got, sizeof got));
}

/* True when k is one of the n strings of list. */
static bool in_list(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

off_status cfg_check_keys(const cfg_node *map, const char *const *valid,
                          size_t n_valid, const char *where,
                          const char *const *other, size_t n_other,
                          const char *other_msg, off_err *err)
{
    for (size_t i = 0; i < map->n; i++) {
        const cfg_node *k = map->keys[i];
        if (in_list(k->text, valid, n_valid))
            continue;
        char ks[64], list[400];
        cfg_short(k->text, ks, sizeof ks);
        if (other && in_list(k->text, other, n_other))
            return cfg_errp(err, OFF_EINVAL, k->pos, "'%s' %s", ks, other_msg);
        cfg_join(valid, n_valid, list, sizeof list);
        const char *dym = off_did_you_mean(k->text, valid, n_valid);
        if (dym)
            return cfg_errp(err, OFF_EINVAL, k->pos,
                            "unknown key '%s' in %s (did you mean '%s'?); "
                            "valid keys: %s", ks, where, dym, list);
        return cfg_errp(err, OFF_EINVAL, k->pos,
                        "unknown key '%s' in %s; valid keys: %s", ks, where,
                        list);
    }
    return OFF_OK;
}

off_status cfg_require(const cfg_node *map, const char *key,
                       const char *owner, cfg_node **out, off_err *err)
{
    *out = cfg_map_get(map, key);
    if (*out)
        return OFF_OK;
    return cfg_errp(err, OFF_EINVAL, map->pos, "%s has no '%s'", owner, key);
}

off_status cfg_get_string(const cfg_node *v, const char *what, char **out,
                          off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st)
        return st;
    if (!v->text[0])
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s must not be empty", what);
    char *s = off_strdup(v->text);
    if (!s)
        return cfg_errp(err, OFF_ENOMEM, v->pos, "out of memory");
    free(*out);
    *out = s;
    return OFF_OK;
}

off_status cfg_get_uint(const cfg_node *v, const char *what, uint64_t lo,
                        uint64_t hi, uint64_t *out, off_err *err)
{
    char got[80];
    if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v))
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: expected an integer, got %s", what,
                        cfg_describe(v, got, sizeof got));
    uint64_t x = 0;
    int r = cfg_parse_u64(v->text, &x);
    cfg_short(v->text, got, sizeof got);
    if (r == 1)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: expected an integer, got '%s'", what, got);
    if (r == 2 || (r == 0 && x < lo)) {
        if (hi == UINT64_MAX)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s must be >= %llu, got %s", what,
                            (unsigned long long)lo, got);
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s must be between %llu and %llu, got %s", what,
                        (unsigned long long)lo, (unsigned long long)hi, got);
    }
    if (r == 3 || x > hi)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s is out of range (at most %llu), got %s", what,
                        (unsigned long long)hi, got);
    *out = x;
    return OFF_OK;
}

off_status cfg_get_bool(const cfg_node *v, const char *what, bool *out,
                        off_err *err)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO", "off", "Off", "OFF"};
    if (v->kind == CFG_NODE_SCALAR) {
        if (in_list(v->text, yes, OFF_COUNT(yes))) {
            *out = true;
            return OFF_OK;
        }
        if (in_list(v->text, no, OFF_COUNT(no))) {
            *out = false;
            return OFF_OK;
        }
    }
    char got[80];
    return cfg_errp(err, OFF_EINVAL, v->pos,
                    "%s: expected true or false, got %s", what,
                    cfg_describe(v, got, sizeof got));
}

off_status cfg_get_choice(const cfg_node *v, const char *what,
                          const char *const *choices, size_t n, size_t *idx,
                          off_err *err)
{
    char list[300], got[80];
    cfg_join(choices, n, list, sizeof list);
    if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v))
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: expected one of %s, got %s", what, list,
                        cfg_describe(v, got, sizeof got));
    for (size_t i = 0; i < n; i++)
        if (strcmp(v->text, choices[i]) == 0) {
            *idx = i;
            return OFF_OK;
        }
    cfg_short(v->text, got, sizeof got);
    const char *dym = off_did_you_mean(v->text, choices, n);
    if (dym)
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "unknown %s '%s' (did you mean '%s'?); accepted "
                        "values: %s", what, got, dym, list);
    return cfg_errp(err, OFF_EINVAL, v->pos,
                    "unknown %s '%s'; accepted values: %s", what, got, list);
}

off_status cfg_get_quantity(const cfg_node *v, const char *what, cfg_dim dim,
                            unsigned flags, double *out, off_err *err)
{
    char got[80];
    if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v)) {
        char units[200];
        cfg_describe(v, got, sizeof got);
        if (dim == CFG_DIM_NONE)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s: expected a number, got %s", what, got);
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: expected %s (units: %s), got %s", what,
                        cfg_dim_noun(dim), cfg_dim_units(dim, units, sizeof units),
                        got);
    }
    double x;
    off_status st = cfg_quantity(v->text, dim, what, &x, v->pos, err);
    if (st)
        return st;
    cfg_short(v->text, got, sizeof got);
    if ((flags & CFG_Q_FINITE) && isinf(x))
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s must be finite, got %s",
                        what, got);
    if ((flags & CFG_Q_GT0) && !(x > 0))
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s must be > 0, got %s",
                        what, got);
    if ((flags & CFG_Q_GE0) && !(x >= 0))
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s must be >= 0, got %s",
                        what, got);
    if ((flags & CFG_Q_UNIT) && !(x >= 0 && x <= 1))
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s must be between 0 and 1 (or 0 %% and 100 %%), "
                        "got %s", what, got);
    *out = x;
    return OFF_OK;
}
