/* scn_override.c - "--set path.to.key=value": splitting the flag, and
 * applying it to the node tree before the schema is checked.
 *
 * A path is dotted; in a list, a segment is an index (devices.0) or the
 * `name` of an item (devices.phone).  The value is YAML (so "[4, 8]" and
 * "{type: edge}" work) and its positions are "<--set N>:1:COL", COL
 * counted within the value.  See scn_int.h and scn.h. */
#include "scn_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

off_status scn_override_parse(char *s, scn_override *out, off_err *err)
{
    out->path = out->value = NULL;
    char shown[128];
    cfg_short(s ? s : "", shown, sizeof shown);
    char *eq = s ? strchr(s, '=') : NULL;
    if (!eq || eq == s)
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "--set '%s': expected path.to.key=value "
                        "(e.g. devices.0.count=4)", shown);
    *eq = '\0';
    /* trim blanks around the path: "a.b = 5" is accepted */
    char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    for (char *e = eq; e > p && (e[-1] == ' ' || e[-1] == '\t');)
        *--e = '\0';
    const char *why = NULL;
    if (!*p)
        why = "the path is empty";
    else if (p[0] == '.' || p[strlen(p) - 1] == '.' || strstr(p, ".."))
        why = "the path has an empty part";
    if (why) {
        *eq = '=';
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "--set '%s': %s; expected path.to.key=value", shown,
                        why);
    }
    out->path = p;
    out->value = eq + 1;
    return OFF_OK;
}

/* The child of node c named by segment seg, or NULL; *idx gets its index
 * (for a list, the index; n when seg is the index just past the end). */
static cfg_node *child(const cfg_node *c, const char *seg, size_t *idx)
{
    *idx = (size_t)-1;
    if (c->kind == CFG_NODE_MAP) {
        *idx = cfg_map_index(c, seg);
        return *idx == (size_t)-1 ? NULL : c->items[*idx];
    }
    if (c->kind != CFG_NODE_SEQ)
        return NULL;
    uint64_t k;
    if (cfg_parse_u64(seg, &k) == 0 && seg[0] != '+') {
        if (k <= c->n)
            *idx = (size_t)k;
        return k < c->n ? c->items[k] : NULL;
    }
    for (size_t i = 0; i < c->n; i++) {
        const cfg_node *nm = cfg_map_get(c->items[i], "name");
        if (nm && nm->kind == CFG_NODE_SCALAR && !strcmp(nm->text, seg)) {
            *idx = i;
            return c->items[i];
        }
    }
    return NULL;
}

/* "items 0..1 or by name: phone, watch" for a list; "keys: a, b" for a
 * mapping. */
static void what_is_there(const cfg_node *c, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (c->kind == CFG_NODE_MAP) {
        len += (size_t)snprintf(buf, cap, "its keys: ");
        for (size_t i = 0; i < c->n && len < cap; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
                                    c->keys[i]->text);
        return;
    }
    if (c->n == 0) {
        snprintf(buf, cap, "the list is empty");
        return;
    }
    len += (size_t)snprintf(buf, cap, "it has items 0..%zu", c->n - 1);
    bool named = false;
    for (size_t i = 0; i < c->n && len < cap; i++) {
        const cfg_node *nm = cfg_map_get(c->items[i], "name");
        if (nm && nm->kind == CFG_NODE_SCALAR) {
            len += (size_t)snprintf(buf + len, cap - len, "%s%s",
                                    named ? ", " : " or by name: ", nm->text);
            named = true;
        }
    }
}

/* Apply one override (see scn_overrides_apply); label positions it. */
static off_status apply_one(cfg_node *root, const scn_override *o,
                            const char *label, off_err *err)
{
    char full[160], flag[400];
    snprintf(flag, sizeof flag, "%s=%s", o->path ? o->path : "",
             o->value ? o->value : "");
    cfg_short(flag, full, sizeof full);
    if (!o->path || !o->value || !o->path[0])
        return off_errf(err, OFF_EUSAGE, label, 0, 0,
                        "--set '%s': expected path.to.key=value", full);
    /* The value, as YAML; an empty value is an empty (null) scalar. */
    cfg_node *v = NULL;
    off_status st = cfg_tree_parse(o->value, strlen(o->value), label,
                                   "an override value", &v, err);
    if (st)
        return st;
    if (!v) {
        scn_pos pos = {label, 1, 1};
        v = cfg_node_scalar("", true, pos);
        if (!v)
            return off_errf(err, OFF_ENOMEM, label, 0, 0, "out of memory");
    }

    char *path = off_strdup(o->path);
    if (!path) {
        cfg_node_free(v);
        return off_errf(err, OFF_ENOMEM, label, 0, 0, "out of memory");
    }
    cfg_node *cur = root;
    char *seg = path, *dot;
    while ((dot = strchr(seg, '.'))) {
        *dot = '\0';
        size_t idx;
        cfg_node *next = child(cur, seg, &idx);
        if (!next) {
            char there[300], segs[64];
            cfg_short(seg, segs, sizeof segs);
            if (cur->kind == CFG_NODE_SCALAR)
                st = off_errf(err, OFF_EINVAL, label, 0, 0,
                              "--set %s: '%s' is reached through a scalar, "
                              "which has no keys or items", full, segs);
            else {
                char dym[96] = "";
                if (cur->kind == CFG_NODE_MAP) {
                    const char *keys[64];
                    size_t nk = cur->n < 64 ? cur->n : 64;
                    for (size_t i = 0; i < nk; i++)
                        keys[i] = cur->keys[i]->text;
                    const char *d = off_did_you_mean(seg, keys, nk);
                    if (d)
                        snprintf(dym, sizeof dym, " (did you mean '%.60s'?)",
                                 d);
                }
                what_is_there(cur, there, sizeof there);
                st = off_errf(err, OFF_EINVAL, label, 0, 0,
                              "--set %s: no %s '%s' to go into%s (%s)", full,
                              cur->kind == CFG_NODE_MAP ? "key" : "item",
                              segs, dym, there);
            }
            goto done;
        }
        cur = next;
        seg = dot + 1;
    }
    size_t idx;
    child(cur, seg, &idx);
    if (cur->kind == CFG_NODE_SCALAR) {
        char segs[64];
        st = off_errf(err, OFF_EINVAL, label, 0, 0,
                      "--set %s: cannot set '%s' inside a scalar value", full,
                      cfg_short(seg, segs, sizeof segs));
        goto done;
    }
    if (idx != (size_t)-1 && idx < cur->n) { /* replace */
        cfg_node_free(cur->items[idx]);
        cur->items[idx] = v;
        v = NULL;
    } else if (cur->kind == CFG_NODE_MAP) { /* add; the schema judges it */
        scn_pos kpos = {label, 0, 0};
        cfg_node *k = cfg_node_scalar(seg, true, kpos);
        if (!k || !cfg_node_push(cur, k, v)) {
            cfg_node_free(k);
            st = off_errf(err, OFF_ENOMEM, label, 0, 0, "out of memory");
            goto done;
        }
        v = NULL;
    } else if (idx == cur->n) { /* append to a list */
        if (!cfg_node_push(cur, NULL, v)) {
            st = off_errf(err, OFF_ENOMEM, label, 0, 0, "out of memory");
            goto done;
        }
        v = NULL;
    } else {
        char there[300], segs[64];
        what_is_there(cur, there, sizeof there);
        st = off_errf(err, OFF_EINVAL, label, 0, 0,
                      "--set %s: no item '%s' in the list (%s; index %zu "
                      "appends)", full, cfg_short(seg, segs, sizeof segs),
                      there, cur->n);
    }
done:
    free(path);
    cfg_node_free(v);
    return st;
}

off_status scn_overrides_apply(cfg_node *root, const scn_override *ov,
                               size_t n, char *const *labels, off_err *err)
{
    for (size_t i = 0; i < n; i++) {
        off_status st = apply_one(root, &ov[i], labels[i], err);
        if (st)
            return st;
    }
    return OFF_OK;
}
