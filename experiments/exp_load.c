/*
 * exp_load.c - the experiment file (and the command line's --axis, --seeds,
 * --set) to the table of points: axes as lists or ranges, grid and zip
 * combinations nested as written, named points, the filter, the seeds.
 *
 * Expansion works on tables (columns = axis names, rows = points): an axis
 * is a one-column table, a grid is the product of its items' tables (the
 * first written outermost), a zip puts its items' columns side by side
 * (same number of rows).  Values are shared between rows, owned by the
 * experiment's list.
 */
#define _POSIX_C_SOURCE 200809L
#include "exp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXP_MAX_POINTS 10000000u

typedef struct tbl {
    size_t rows, cols;
    char **names;
    cfg_pos *pos;             /* where each column's name is written */
    const exp_val **cell;     /* rows x cols */
} tbl;

static void tbl_free(tbl *t)
{
    for (size_t c = 0; c < t->cols; c++)
        free(t->names[c]);
    free(t->names);
    free(t->pos);
    free(t->cell);
    memset(t, 0, sizeof *t);
}

static off_status oom(off_err *err)
{
    return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
}

/* One row, no column: the neutral element of the product. */
static off_status tbl_unit(tbl *t, off_err *err)
{
    memset(t, 0, sizeof *t);
    t->rows = 1;
    t->cell = malloc(sizeof *t->cell);
    return t->cell ? OFF_OK : oom(err);
}

/* a's and b's columns side by side: the product of their rows (zip:
 * row k of a with row k of b).  a and b are consumed. */
static off_status tbl_join(tbl *a, tbl *b, bool zip, cfg_pos zpos, tbl *out, off_err *err)
{
    off_status st = OFF_OK;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < b->cols && !st; i++)
        for (size_t j = 0; j < a->cols; j++)
            if (!strcmp(a->names[j], b->names[i])) {
                st = cfg_errp(err, OFF_EINVAL, b->pos[i],
                              "axis '%s' is given twice (first at line %d)", b->names[i],
                              a->pos[j].line);
                break;
            }
    if (!st && zip && a->rows != b->rows)
        st = cfg_errp(err, OFF_EINVAL, zpos,
                      "zip: its items must have the same number of values, got %zu "
                      "and %zu", a->rows, b->rows);
    size_t rows = zip ? a->rows : a->rows * b->rows;
    if (!st && !zip && b->rows && rows / b->rows != a->rows)
        st = cfg_errp(err, OFF_EINVAL, zpos, "too many points");
    if (!st && rows > EXP_MAX_POINTS)
        st = cfg_errp(err, OFF_EINVAL, zpos, "%zu points: more than %u", rows,
                      EXP_MAX_POINTS);
    if (st)
        goto out;
    out->rows = rows;
    out->cols = a->cols + b->cols;
    out->names = calloc(out->cols + 1, sizeof *out->names);
    out->pos = calloc(out->cols + 1, sizeof *out->pos);
    out->cell = calloc(rows * out->cols + 1, sizeof *out->cell);
    if (!out->names || !out->pos || !out->cell) {
        tbl_free(out);
        st = oom(err);
        goto out;
    }
    size_t ac = a->cols, bc = b->cols;
    for (size_t j = 0; j < ac; j++) {
        out->names[j] = a->names[j];
        out->pos[j] = a->pos[j];
    }
    for (size_t j = 0; j < bc; j++) {
        out->names[ac + j] = b->names[j];
        out->pos[ac + j] = b->pos[j];
    }
    a->cols = b->cols = 0; /* the names moved to out */
    for (size_t r = 0; r < rows; r++) {
        size_t ra = zip ? r : r / b->rows, rb = zip ? r : r % b->rows;
        const exp_val **row = out->cell + r * out->cols;
        for (size_t j = 0; j < ac; j++)
            row[j] = a->cell[ra * ac + j];
        for (size_t j = 0; j < bc; j++)
            row[ac + j] = b->cell[rb * bc + j];
    }
out:
    tbl_free(a);
    tbl_free(b);
    return st;
}

/* ---- values ---------------------------------------------------------------- */
double exp_si(const char *text)
{
    cfg_pos none = {NULL, 0, 0};
    for (int d = 0; d < CFG_DIM_N; d++) {
        double v;
        if (cfg_quantity(text, (cfg_dim)d, NULL, &v, none, NULL) == OFF_OK)
            return v;
    }
    return NAN;
}

static exp_val *val_new(exp_experiment *e, const char *text, const char *yaml, double num)
{
    exp_val *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->text = off_strdup(text);
    v->yaml = off_strdup(yaml ? yaml : text);
    v->num = num;
    v->next = e->vals;
    e->vals = v;
    return v->text && v->yaml ? v : NULL;
}

/* A scalar that YAML would read back as the same plain text. */
static bool plain_ok(const cfg_node *n)
{
    const char *t = n->text;
    if (!n->plain)
        return false;
    if (!*t)
        return true;
    if (t[0] == ' ' || t[strlen(t) - 1] == ' ')
        return false;
    return strpbrk(t, ",[]{}#&*!|>'\"%@`") == NULL && !strstr(t, ": ");
}

/* n as a one-line flow YAML value onto f. */
static void emit_flow(FILE *f, const cfg_node *n)
{
    if (n->kind == CFG_NODE_SCALAR) {
        if (plain_ok(n)) {
            fputs(n->text, f);
            return;
        }
        fputc('\'', f);
        for (const char *c = n->text; *c; c++) {
            if (*c == '\'')
                fputc('\'', f);
            fputc(*c == '\n' ? ' ' : *c, f);
        }
        fputc('\'', f);
        return;
    }
    fputc(n->kind == CFG_NODE_MAP ? '{' : '[', f);
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            fputs(", ", f);
        if (n->kind == CFG_NODE_MAP) {
            emit_flow(f, n->keys[i]);
            fputs(": ", f);
        }
        emit_flow(f, n->items[i]);
    }
    fputc(n->kind == CFG_NODE_MAP ? '}' : ']', f);
}

/* malloc'd flow YAML of n, or NULL when out of memory. */
static char *flow(const cfg_node *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    emit_flow(f, n);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The value node n as an exp_val. */
static exp_val *val_node(exp_experiment *e, const cfg_node *n)
{
    char *y = flow(n);
    if (!y)
        return NULL;
    exp_val *v = val_new(e, n->kind == CFG_NODE_SCALAR ? n->text : y, y,
                         n->kind == CFG_NODE_SCALAR ? exp_si(n->text) : NAN);
    free(y);
    return v;
}

/* ---- ranges: linspace, logspace, range --------------------------------- */
static const char *const range_kinds[] = {"linspace", "logspace", "range"};

/* The unit written after the number of text ("" for none). */
static const char *unit_of(const char *text, double *num)
{
    char *end;
    *num = strtod(text, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    return end;
}

/* Endpoint or step q of a range, in dimension *dim (found from the first
 * endpoint when *dim is CFG_DIM_N). */
static off_status range_q(const cfg_node *q, const char *what, cfg_dim *dim, double *si,
                          off_err *err)
{
    off_status st = cfg_want_scalar(q, what, err);
    if (st)
        return st;
    if (*dim == CFG_DIM_N) {
        for (int d = 0; d < CFG_DIM_N; d++)
            if (cfg_quantity(q->text, (cfg_dim)d, NULL, si, q->pos, NULL) == OFF_OK) {
                *dim = (cfg_dim)d;
                return OFF_OK;
            }
        char got[80];
        return cfg_errp(err, OFF_EINVAL, q->pos,
                        "%s: expected a number or a quantity such as '2 Mbps', got '%s'",
                        what, cfg_short(q->text, got, sizeof got));
    }
    return cfg_quantity(q->text, *dim, what, si, q->pos, err);
}

/* The values of {kind: [a, b, n|step]} into *vals (*n of them). */
static off_status range_vals(exp_experiment *e, const cfg_node *map, const exp_val ***vals,
                             size_t *n, off_err *err)
{
    const char *kind = map->keys[0]->text;
    const cfg_node *args = map->items[0];
    char what[64];
    snprintf(what, sizeof what, "%s", kind);
    off_status st = cfg_want_seq(args, what, err);
    if (st)
        return st;
    bool is_range = !strcmp(kind, "range"), is_log = !strcmp(kind, "logspace");
    if (args->n != 3)
        return cfg_errp(err, OFF_EINVAL, args->pos, "%s: expected [%s], got %zu item%s", kind,
                        is_range ? "start, stop, step" : "start, stop, count", args->n,
                        args->n == 1 ? "" : "s");
    cfg_dim dim = CFG_DIM_N;
    double sa, sb, step = 0;
    uint64_t count = 0;
    if ((st = range_q(args->items[0], what, &dim, &sa, err)) ||
        (st = range_q(args->items[1], what, &dim, &sb, err)))
        return st;
    if (is_range) {
        if ((st = range_q(args->items[2], what, &dim, &step, err)))
            return st;
    } else if ((st = cfg_get_uint(args->items[2], is_log ? "logspace: count" : "linspace: count",
                                  1, 1000000, &count, err)))
        return st;
    /* Values are spaced in the numbers as written when both ends share a
     * unit (so that 0 dBm .. 20 dBm steps in dB), else in SI units, and
     * written in the first end's unit. */
    double xa, xb;
    const char *ua = unit_of(args->items[0]->text, &xa);
    const char *ub = unit_of(args->items[1]->text, &xb);
    double scale = 1; /* written = SI / scale */
    double a = xa, b = xb;
    if (strcmp(ua, ub) || (is_range && strcmp(ua, unit_of(args->items[2]->text, &step)))) {
        double one, two;
        char t1[64], t2[64];
        snprintf(t1, sizeof t1, "1 %s", ua);
        snprintf(t2, sizeof t2, "2 %s", ua);
        if (!*ua || cfg_quantity(t1, dim, NULL, &one, args->pos, NULL) ||
            cfg_quantity(t2, dim, NULL, &two, args->pos, NULL) || fabs(two - 2 * one) > 1e-9 * fabs(one) || one == 0)
            return cfg_errp(err, OFF_EINVAL, args->pos,
                            "%s: give its values in one unit ('%s' does not scale linearly)",
                            kind, ua);
        scale = one;
        a = sa / scale;
        b = sb / scale;
        if (is_range) {
            double sstep;
            range_q(args->items[2], what, &dim, &sstep, err);
            step = sstep / scale;
        }
    }
    if (is_range) {
        if (!(step != 0) || !isfinite(step) || (b - a) / step < 0 || !isfinite(a) || !isfinite(b))
            return cfg_errp(err, OFF_EINVAL, args->items[2]->pos,
                            "range: the step must be non-zero and go from %s to %s",
                            args->items[0]->text, args->items[1]->text);
        double k = floor((b - a) / step + 1e-9);
        if (k >= 1e6)
            return cfg_errp(err, OFF_EINVAL, args->items[2]->pos,
                            "range: more than 1000000 values");
        count = (uint64_t)k + 1;
    } else if (is_log && (!(a > 0) || !(b > 0) || !isfinite(a) || !isfinite(b))) {
        return cfg_errp(err, OFF_EINVAL, args->pos, "logspace: both ends must be > 0, got %s and %s",
                        args->items[0]->text, args->items[1]->text);
    } else if (!isfinite(a) || !isfinite(b)) {
        return cfg_errp(err, OFF_EINVAL, args->pos, "%s: both ends must be finite", kind);
    }
    *vals = calloc(count, sizeof **vals);
    if (!*vals)
        return oom(err);
    for (uint64_t i = 0; i < count; i++) {
        double f = count > 1 ? (double)i / (double)(count - 1) : 0, x;
        if (is_range)
            x = a + (double)i * step;
        else if (is_log)
            x = exp(log(a) + f * (log(b) - log(a)));
        else
            x = a + f * (b - a);
        if (!is_range && i == count - 1 && count > 1)
            x = b; /* exactly the end as written */
        if (fabs(x) < 1e-12 * (fabs(a) + fabs(b)))
            x = 0;
        char text[96];
        snprintf(text, sizeof text, "%.6g%s%s", x, *ua ? " " : "", ua);
        double num;
        if (cfg_quantity(text, dim, NULL, &num, args->pos, NULL))
            num = x * scale;
        if (!((*vals)[i] = val_new(e, text, NULL, num))) {
            free(*vals);
            return oom(err);
        }
    }
    *n = (size_t)count;
    return OFF_OK;
}

/* The table of one axis: key `name` (at kpos) with values node v: a list,
 * a range mapping, or one scalar. */
static off_status axis_tbl(exp_experiment *e, const char *name, cfg_pos kpos, const cfg_node *v,
                           tbl *t, off_err *err)
{
    memset(t, 0, sizeof *t);
    const cfg_node *qa = e->quick && e->quick_node ? cfg_map_get(e->quick_node, "axes") : NULL;
    if (qa && cfg_map_get(qa, name)) /* --quick: the file's quick values */
        v = cfg_map_get(qa, name);
    const exp_val **vals = NULL;
    size_t n = 0;
    off_status st = OFF_OK;
    if (v->kind == CFG_NODE_MAP) {
        char where[160];
        snprintf(where, sizeof where, "the values of axis '%s' (a list, or one of "
                 "linspace, logspace, range)", name);
        if ((st = cfg_check_keys(v, range_kinds, OFF_COUNT(range_kinds), where, NULL, 0, NULL,
                                 err)))
            return st;
        if (v->n != 1)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "axis '%s': give one of linspace, logspace, range", name);
        st = range_vals(e, v, &vals, &n, err);
    } else {
        size_t k = v->kind == CFG_NODE_SEQ ? v->n : 1;
        if (k == 0)
            return cfg_errp(err, OFF_EINVAL, v->pos, "axis '%s' has no values", name);
        if (!(vals = calloc(k, sizeof *vals)))
            return oom(err);
        for (size_t i = 0; i < k && !st; i++)
            if (!(vals[i] = val_node(e, v->kind == CFG_NODE_SEQ ? v->items[i] : v)))
                st = oom(err);
        n = k;
    }
    if (st) {
        free(vals);
        return st;
    }
    t->rows = n;
    t->cols = 1;
    t->names = calloc(1, sizeof *t->names);
    t->pos = calloc(1, sizeof *t->pos);
    if (!t->names || !t->pos || !(t->names[0] = off_strdup(name))) {
        free(vals);
        tbl_free(t);
        return oom(err);
    }
    t->pos[0] = kpos;
    t->cell = vals;
    return OFF_OK;
}

/* ---- axes: grid and zip, nested --------------------------------------- */
static off_status expand(exp_experiment *e, const cfg_node *n, tbl *out, off_err *err,
                         int depth);

static bool is_combinator(const cfg_node *n, bool *zip)
{
    if (n->kind != CFG_NODE_MAP || n->n != 1)
        return false;
    const char *k = n->keys[0]->text;
    *zip = !strcmp(k, "zip");
    return *zip || !strcmp(k, "grid");
}

static off_status expand(exp_experiment *e, const cfg_node *n, tbl *out, off_err *err,
                         int depth)
{
    off_status st;
    if (depth > 32)
        return cfg_errp(err, OFF_EINVAL, n->pos, "axes: nested too deep");
    if ((st = cfg_want_map(n, "axes", NULL, 0, err)))
        return st;
    bool zip = false;
    if ((st = tbl_unit(out, err)))
        return st;
    if (is_combinator(n, &zip)) {
        const cfg_node *items = n->items[0];
        if ((st = cfg_want_seq(items, n->keys[0]->text, err)))
            goto fail;
        for (size_t i = 0; i < items->n; i++) {
            tbl sub, next;
            if ((st = expand(e, items->items[i], &sub, err, depth + 1)))
                goto fail;
            if (zip && i == 0) { /* the first item sets the rows */
                tbl_free(out);
                *out = sub;
                continue;
            }
            if ((st = tbl_join(out, &sub, zip, n->keys[0]->pos, &next, err)))
                return st;
            *out = next;
        }
        return OFF_OK;
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->text;
        if (!strcmp(k, "grid") || !strcmp(k, "zip")) {
            st = cfg_errp(err, OFF_EINVAL, n->keys[i]->pos,
                          "'%s' must be the only key of its mapping: write it as an item, "
                          "{%s: [{a: [...]}, {b: [...]}]}", k, k);
            goto fail;
        }
        tbl ax, next;
        if ((st = axis_tbl(e, k, n->keys[i]->pos, n->items[i], &ax, err)))
            goto fail;
        if ((st = tbl_join(out, &ax, false, n->keys[i]->pos, &next, err)))
            return st;
        *out = next;
    }
    return OFF_OK;
fail:
    tbl_free(out);
    return st;
}

/* ---- named points, seeds -------------------------------------------------- */
static off_status one_col(tbl *t, const char *name, cfg_pos pos, const exp_val **vals, size_t n,
                          off_err *err)
{
    memset(t, 0, sizeof *t);
    t->rows = n;
    t->cols = 1;
    t->cell = vals;
    t->names = calloc(1, sizeof *t->names);
    t->pos = calloc(1, sizeof *t->pos);
    if (!t->names || !t->pos || !(t->names[0] = off_strdup(name))) {
        tbl_free(t);
        return oom(err);
    }
    t->pos[0] = pos;
    return OFF_OK;
}

/* `points:` a list of {name: N, path: value, ...}: the column `point`. */
static off_status points_tbl(exp_experiment *e, const cfg_node *key, const cfg_node *list, tbl *t,
                             off_err *err)
{
    off_status st = cfg_want_seq(list, "points", err);
    if (st)
        return st;
    if (list->n == 0)
        return cfg_errp(err, OFF_EINVAL, list->pos, "points: the list is empty");
    const exp_val **vals = calloc(list->n, sizeof *vals);
    if (!vals)
        return oom(err);
    for (size_t i = 0; i < list->n && !st; i++) {
        const cfg_node *p = list->items[i];
        cfg_node *nm;
        char *name = NULL;
        if ((st = cfg_want_map(p, "a named point", NULL, 0, err)) ||
            (st = cfg_require(p, "name", "a named point", &nm, err)) ||
            (st = cfg_get_string(nm, "name", &name, err)))
            break;
        for (size_t j = 0; j < i && !st; j++)
            if (!strcmp(vals[j]->text, name))
                st = cfg_errp(err, OFF_EINVAL, nm->pos, "point '%s' is named twice", name);
        exp_val *v = st ? NULL : val_new(e, name, NULL, NAN);
        free(name);
        if (st)
            break;
        if (!v || !(v->sets = calloc(p->n, sizeof *v->sets))) {
            st = oom(err);
            break;
        }
        for (size_t k = 0; k < p->n; k++) {
            if (p->items[k] == nm)
                continue;
            scn_override *o = &v->sets[v->n_sets++];
            o->path = off_strdup(p->keys[k]->text);
            o->value = flow(p->items[k]);
            if (!o->path || !o->value)
                st = oom(err);
        }
        vals[i] = v;
    }
    if (!st)
        return one_col(t, "point", key->pos, vals, list->n, err);
    free(vals);
    return st;
}

/* A seed of a `seeds:` list and its index there, sorted by seed then index. */
typedef struct seed_at {
    uint64_t seed;
    size_t at;
} seed_at;

static int seed_cmp(const void *a, const void *b)
{
    const seed_at *x = a, *y = b;
    if (x->seed != y->seed)
        return x->seed < y->seed ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

/* `seeds: N` (1..N) or a list of seeds: the column `seed`. */
static off_status seeds_tbl(exp_experiment *e, const cfg_node *key, const cfg_node *v, tbl *t,
                            off_err *err)
{
    uint64_t n = 0;
    off_status st;
    if (v->kind == CFG_NODE_SEQ) {
        if (v->n == 0)
            return cfg_errp(err, OFF_EINVAL, v->pos, "seeds: the list is empty");
        n = v->n;
    } else if ((st = cfg_get_uint(v, "seeds", 1, 1000000, &n, err))) {
        return st;
    }
    const exp_val **vals = calloc(n, sizeof *vals);
    seed_at *seen = v->kind == CFG_NODE_SEQ ? malloc(n * sizeof *seen) : NULL;
    if (!vals || (v->kind == CFG_NODE_SEQ && !seen)) {
        free(vals);
        return oom(err);
    }
    st = OFF_OK;
    for (uint64_t i = 0; i < n && !st; i++) {
        uint64_t s = i + 1;
        if (v->kind == CFG_NODE_SEQ) {
            if ((st = cfg_get_uint(v->items[i], "seeds: a seed", 0, UINT64_MAX, &s, err)))
                break;
            seen[i] = (seed_at){s, (size_t)i};
        }
        char text[32];
        snprintf(text, sizeof text, "%llu", (unsigned long long)s);
        if (!(vals[i] = val_new(e, text, NULL, (double)s)))
            st = oom(err);
    }
    if (!st && seen) { /* sorted, not pairwise: a list may hold a million seeds */
        qsort(seen, n, sizeof *seen, seed_cmp);
        size_t first = SIZE_MAX; /* the earliest item that repeats an earlier one */
        for (uint64_t i = 1; i < n; i++)
            if (seen[i].seed == seen[i - 1].seed && seen[i].at < first)
                first = seen[i].at;
        if (first != SIZE_MAX) {
            uint64_t s = 0;
            cfg_get_uint(v->items[first], "seeds: a seed", 0, UINT64_MAX, &s, err);
            st = cfg_errp(err, OFF_EINVAL, v->items[first]->pos, "seeds: seed %llu is given twice",
                          (unsigned long long)s);
        }
    }
    free(seen);
    if (!st)
        return one_col(t, "seed", key->pos, vals, (size_t)n, err);
    free(vals);
    return st;
}

/* ---- the command line ------------------------------------------------------ */
static const char *label(exp_experiment *e, const char *fmt, size_t k)
{
    char buf[48];
    snprintf(buf, sizeof buf, fmt, k);
    char **l = realloc(e->labels, (e->n_labels + 1) * sizeof *l);
    if (!l)
        return NULL;
    e->labels = l;
    return (l[e->n_labels] = off_strdup(buf)) ? l[e->n_labels++] : NULL;
}

/* Split s at sep outside brackets into items of seq, each read as YAML
 * (so that "{type: fixed, split: 2}" is a mapping), positioned in lab. */
static off_status split_items(cfg_node *seq, const char *s, char sep, const char *lab, int col0,
                              off_err *err)
{
    int depth = 0;
    const char *b = s;
    for (const char *c = s;; c++) {
        if (*c == '[' || *c == '{')
            depth++;
        else if ((*c == ']' || *c == '}') && depth > 0)
            depth--;
        if (*c && (*c != sep || depth))
            continue;
        cfg_pos pos = {lab, 1, col0 + (int)(b - s)};
        cfg_node *n = NULL;
        off_status st = cfg_tree_parse(b, (size_t)(c - b), lab, "an --axis value", &n, err);
        if (st)
            return st;
        if (!n && !(n = cfg_node_scalar("", true, pos)))
            return oom(err);
        if (n->kind == CFG_NODE_SCALAR)
            n->pos = pos;
        if (!cfg_node_push(seq, NULL, n)) {
            cfg_node_free(n);
            return oom(err);
        }
        if (!*c)
            return OFF_OK;
        b = c + 1;
    }
}

/* --axis PATH=a,b,c | PATH=linspace:A:B:N | logspace:... | range:A:B:STEP
 * as the node an experiment file would hold; *path into a copy (*keep). */
static off_status cli_axis(const char *arg, const char *lab, cfg_node **node, char **keep,
                           const char **path, off_err *err)
{
    *node = NULL;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return off_errf(err, OFF_EUSAGE, NULL, 0, 0,
                        "--axis '%s': expected PATH=a,b,c or PATH=linspace:A:B:N "
                        "(also logspace:A:B:N, range:A:B:STEP)", arg);
    if (!(*keep = strndup(arg, (size_t)(eq - arg))))
        return oom(err);
    *path = *keep;
    const char *v = eq + 1;
    int col0 = (int)(v - arg) + 1;
    cfg_pos pos = {lab, 1, col0};
    for (size_t k = 0; k < OFF_COUNT(range_kinds); k++) {
        size_t kl = strlen(range_kinds[k]);
        if (strncmp(v, range_kinds[k], kl) || v[kl] != ':')
            continue;
        cfg_node *map = cfg_node_new(CFG_NODE_MAP, pos);
        cfg_node *key = cfg_node_scalar(range_kinds[k], true, pos);
        cfg_node *seq = cfg_node_new(CFG_NODE_SEQ, pos);
        off_status st = map && key && seq ? split_items(seq, v + kl + 1, ':', lab,
                                                        col0 + (int)kl + 1, err)
                                          : oom(err);
        if (!st && !cfg_node_push(map, key, seq))
            st = oom(err);
        if (st) {
            cfg_node_free(map);
            cfg_node_free(key);
            cfg_node_free(seq);
            return st;
        }
        *node = map;
        return OFF_OK;
    }
    cfg_node *seq = cfg_node_new(CFG_NODE_SEQ, pos);
    off_status st = seq ? split_items(seq, v, ',', lab, col0, err) : oom(err);
    if (st) {
        cfg_node_free(seq);
        return st;
    }
    *node = seq;
    return OFF_OK;
}

/* " --set a=b --axis ... --seeds N [--quick]" of cli, appended to *text
 * (--quick when the file's quick: block applies). */
static bool cli_text(char **text, const exp_cli *cli, bool file_text, bool quick)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return false;
    fputs(*text, f);
    if (file_text) /* an experiment file's text, then the command line's additions */
        fputs(**text && (*text)[strlen(*text) - 1] == '\n' ? "# offsim sweep" : "\n# offsim sweep", f);
    for (size_t i = 0; i < cli->n_set; i++)
        fprintf(f, " --set '%s'", cli->set[i]);
    for (size_t i = 0; i < cli->n_axis; i++)
        fprintf(f, " --axis '%s'", cli->axis[i]);
    if (cli->seeds)
        fprintf(f, " --seeds %s", cli->seeds);
    if (quick)
        fputs(" --quick", f);
    if (fclose(f)) {
        free(buf);
        return false;
    }
    free(*text);
    *text = buf;
    return true;
}

static bool has_cli(const exp_cli *cli)
{
    return cli && (cli->n_set || cli->n_axis || cli->seeds);
}

/* ---- the experiment ----------------------------------------------------------- */
static const char *const top_keys[] = {"name",   "description", "scenario", "scenarios",
                                       "set",    "axes",        "points",   "filter",
                                       "seeds",  "figures",     "claims",
                                       "quick"};
static const char *const quick_keys[] = {"seeds", "axes"};

/* `quick:` checked whether or not --quick applies it: a mapping of seeds
 * and axes, each axis one of the experiment's columns. */
static off_status check_quick(const exp_experiment *e, const tbl *t, off_err *err)
{
    const cfg_node *q = e->quick_node, *axes;
    off_status st = cfg_want_map(q, "quick", quick_keys, OFF_COUNT(quick_keys), err);
    if (st || (st = cfg_check_keys(q, quick_keys, OFF_COUNT(quick_keys), "quick", NULL, 0, NULL,
                                   err)))
        return st;
    if (!(axes = cfg_map_get(q, "axes")))
        return OFF_OK;
    if ((st = cfg_want_map(axes, "quick.axes", NULL, 0, err)))
        return st;
    for (size_t i = 0; i < axes->n; i++) {
        size_t c = 0;
        while (c < t->cols && strcmp(t->names[c], axes->keys[i]->text))
            c++;
        if (c == t->cols || !strcmp(axes->keys[i]->text, "seed")) {
            const char *dym = off_did_you_mean(axes->keys[i]->text,
                                               (const char *const *)t->names, t->cols);
            return cfg_errp(err, OFF_EINVAL, axes->keys[i]->pos,
                            "quick.axes: '%s' is not an axis of the experiment%s%s%s",
                            axes->keys[i]->text, dym ? " (did you mean '" : "", dym ? dym : "",
                            dym ? "'?)" : "");
        }
    }
    return OFF_OK;
}

static off_status add_set(exp_experiment *e, const char *path, char *yaml, off_err *err)
{
    scn_override *v = realloc(e->set, (e->n_set + 1) * sizeof *v);
    if (!v) {
        free(yaml);
        return oom(err);
    }
    e->set = v;
    v[e->n_set].path = off_strdup(path);
    v[e->n_set].value = yaml;
    if (!v[e->n_set++].path || !yaml)
        return oom(err);
    return OFF_OK;
}

/* Join t with the table that f builds (t consumed on error). */
#define JOIN(call)                                                                           \
    do {                                                                                     \
        tbl sub_, next_;                                                                     \
        if ((st = (call)))                                                                   \
            goto out;                                                                        \
        if ((st = tbl_join(&t, &sub_, false, (cfg_pos){0}, &next_, err)))                    \
            goto out;                                                                        \
        t = next_;                                                                           \
    } while (0)

/* The file's keys into e and t (everything but filter and seeds). */
static off_status load_file_keys(exp_experiment *e, const cfg_node *r, tbl *tp, char **base,
                                 off_err *err)
{
    off_status st;
    tbl t = *tp;
    cfg_node *v;
    if ((st = cfg_check_keys(r, top_keys, OFF_COUNT(top_keys), "an experiment file", NULL, 0,
                             NULL, err)))
        goto out;
    if ((v = cfg_map_get(r, "name")) && (st = cfg_get_string(v, "name", &e->name, err)))
        goto out;
    const cfg_node *one = cfg_map_get(r, "scenario"), *many = cfg_map_get(r, "scenarios");
    if (one && many) {
        st = cfg_errp(err, OFF_EINVAL, many->pos, "give 'scenario' or 'scenarios', not both");
        goto out;
    }
    if (one && (st = cfg_get_string(one, "scenario", base, err)))
        goto out;
    if (many) {
        if ((st = cfg_want_seq(many, "scenarios", err)))
            goto out;
        for (size_t i = 0; i < many->n; i++)
            if ((st = cfg_want_scalar(many->items[i], "scenarios: a file", err)))
                goto out;
        JOIN(axis_tbl(e, "scenario", many->pos, many, &sub_, err));
    }
    if ((v = cfg_map_get(r, "set"))) {
        if ((st = cfg_want_map(v, "set", NULL, 0, err)))
            goto out;
        for (size_t i = 0; i < v->n; i++)
            if ((st = add_set(e, v->keys[i]->text, flow(v->items[i]), err)))
                goto out;
    }
    if ((v = cfg_map_get(r, "axes")))
        JOIN(expand(e, v, &sub_, err, 0));
    if ((v = cfg_map_get(r, "points"))) {
        size_t k = cfg_map_index(r, "points");
        JOIN(points_tbl(e, r->keys[k], v, &sub_, err));
    }
    e->figures = cfg_map_get(r, "figures");
    e->claims = cfg_map_get(r, "claims");
    if (e->quick_node && (st = check_quick(e, &t, err)))
        goto out;
out:
    *tp = t;
    return st;
}

static off_status load_cli(exp_experiment *e, const exp_cli *cli, tbl *tp, off_err *err)
{
    off_status st = OFF_OK;
    tbl t = *tp;
    for (size_t i = 0; i < cli->n_set; i++) {
        char *copy = off_strdup(cli->set[i]);
        scn_override o;
        if (!copy)
            return oom(err);
        if ((st = scn_override_parse(copy, &o, err)) == OFF_OK)
            st = add_set(e, o.path, off_strdup(o.value), err);
        free(copy);
        if (st)
            goto out;
    }
    for (size_t i = 0; i < cli->n_axis; i++) {
        const char *lab = label(e, "<--axis %zu>", i + 1), *path = NULL;
        cfg_node *node = NULL;
        char *keep = NULL;
        if (!lab)
            return oom(err);
        st = cli_axis(cli->axis[i], lab, &node, &keep, &path, err);
        if (!st) {
            tbl sub, next;
            cfg_pos kpos = {lab, 1, 1};
            if (!(st = axis_tbl(e, path, kpos, node, &sub, err)) &&
                !(st = tbl_join(&t, &sub, false, kpos, &next, err)))
                t = next;
        }
        cfg_node_free(node);
        free(keep);
        if (st)
            goto out;
    }
out:
    *tp = t;
    return st;
}

/* Keep the rows of t where the filter holds. */
static off_status apply_filter(tbl *t, const cfg_node *f, off_err *err)
{
    off_status st = cfg_want_scalar(f, "filter", err);
    exp_filter *flt = NULL;
    if (st || (st = exp_filter_parse(&flt, f->text, f->pos, !f->plain,
                                     (const char *const *)t->names, t->cols, err)))
        return st;
    size_t kept = 0;
    for (size_t r = 0; r < t->rows; r++)
        if (exp_filter_eval(flt, t->cell + r * t->cols)) {
            memmove(t->cell + kept * t->cols, t->cell + r * t->cols, t->cols * sizeof *t->cell);
            kept++;
        }
    exp_filter_free(flt);
    if (!kept)
        return cfg_errp(err, OFF_EINVAL, f->pos, "filter: it drops every one of the %zu points",
                        t->rows);
    t->rows = kept;
    return OFF_OK;
}

static char *dir_of(const char *file)
{
    const char *sl = file ? strrchr(file, '/') : NULL;
    return sl ? strndup(file, (size_t)(sl - file) + 1) : off_strdup("");
}

static char *resolve(const char *dir, const char *path)
{
    if (path[0] == '/' || !dir[0])
        return off_strdup(path);
    size_t n = strlen(dir) + strlen(path) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", dir, path);
    return p;
}

off_status exp_load_text(exp_experiment *e, const char *file, const char *text, size_t len,
                         const exp_cli *cli, off_err *err)
{
    memset(e, 0, sizeof *e);
    cfg_node *root = NULL;
    char *base = NULL;
    tbl t = {0};
    off_status st = cfg_tree_parse(text, len, file, "an experiment file", &root, err);
    if (st)
        return st;
    bool is_exp = root && root->kind == CFG_NODE_MAP &&
                  (cfg_map_get(root, "scenario") || cfg_map_get(root, "scenarios"));
    e->dir = dir_of(file);
    if (!e->dir || (st = tbl_unit(&t, err))) {
        st = st ? st : oom(err);
        goto out;
    }
    e->quick = cli && cli->quick;
    if (is_exp) {
        e->root = root;
        e->quick_node = cfg_map_get(root, "quick");
        e->file = off_strdup(file);
        e->text = strndup(text, len);
        if ((st = load_file_keys(e, root, &t, &base, err)))
            goto out;
    } else {
        /* a scenario: the one point of a sweep from the command line */
        cfg_node_free(root);
        root = NULL;
        base = off_strdup(file);
        char *line = malloc(strlen(file) + 16);
        if (line)
            sprintf(line, "offsim sweep %s", file);
        e->text = line;
        free(e->dir);
        e->dir = off_strdup("");
    }
    if (!e->text || (is_exp && !e->file) || !e->dir) {
        st = oom(err);
        goto out;
    }
    bool quick_text = e->quick && e->quick_node;
    if ((has_cli(cli) || quick_text) &&
        (!cli_text(&e->text, cli, is_exp, quick_text) || (st = load_cli(e, cli, &t, err)))) {
        st = st ? st : oom(err);
        goto out;
    }
    const cfg_node *f = e->root ? cfg_map_get(e->root, "filter") : NULL;
    if (f && (st = apply_filter(&t, f, err)))
        goto out;
    cfg_node *seeds = NULL, *seeds_key = NULL, *quick_seeds = NULL;
    if (cli && cli->seeds) {
        const char *lab = label(e, "<--seeds>", 0);
        cfg_pos pos = {lab, 1, 1};
        seeds = cfg_node_new(CFG_NODE_SEQ, pos);
        seeds_key = cfg_node_scalar("seeds", true, pos);
        st = lab && seeds && seeds_key ? split_items(seeds, cli->seeds, ',', lab, 1, err)
                                       : oom(err);
        if (st) {
            cfg_node_free(seeds);
            cfg_node_free(seeds_key);
            goto out;
        }
        if (seeds->n == 1) { /* --seeds N: N seeds */
            cfg_node *one = seeds->items[0];
            seeds->n = 0;
            cfg_node_free(seeds);
            seeds = one;
        }
        tbl sub, next;
        if (!(st = seeds_tbl(e, seeds_key, seeds, &sub, err)) &&
            !(st = tbl_join(&t, &sub, false, pos, &next, err)))
            t = next;
        cfg_node_free(seeds);
        cfg_node_free(seeds_key);
        if (st)
            goto out;
    } else if (e->root && (seeds = cfg_map_get(e->root, "seeds"),
                           quick_seeds = e->quick && e->quick_node
                                             ? cfg_map_get(e->quick_node, "seeds") : NULL,
                           seeds || quick_seeds)) {
        tbl sub, next;
        const cfg_node *owner = quick_seeds ? e->quick_node : e->root;
        size_t k = cfg_map_index(owner, "seeds");
        if (quick_seeds) /* --quick: the file's quick seeds */
            seeds = quick_seeds;
        if ((st = seeds_tbl(e, owner->keys[k], seeds, &sub, err)) ||
            (st = tbl_join(&t, &sub, false, seeds->pos, &next, err)))
            goto out;
        t = next;
    }
    /* the table becomes the experiment's points */
    e->n_points = t.rows;
    e->n_cols = t.cols;
    e->cols = t.names;
    e->cell = t.cell;
    t.names = NULL;
    t.cell = NULL;
    t.cols = 0;
    e->scenario = calloc(e->n_points, sizeof *e->scenario);
    if (!e->scenario) {
        st = oom(err);
        goto out;
    }
    size_t sc = (size_t)-1;
    for (size_t c = 0; c < e->n_cols; c++)
        if (!strcmp(e->cols[c], "scenario"))
            sc = c;
    for (size_t i = 0; i < e->n_points && !st; i++)
        if (!(e->scenario[i] = resolve(e->dir, sc != (size_t)-1 ? exp_cell(e, i, sc)->text : base)))
            st = oom(err);
    if (!st)
        st = exp_claims_parse(e, err);
out:
    tbl_free(&t);
    free(base);
    if (st) {
        if (!e->root)
            cfg_node_free(root);
        exp_free(e);
    }
    return st;
}

off_status exp_load(exp_experiment *e, const char *path, const exp_cli *cli, off_err *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(e, 0, sizeof *e);
    off_status st = off_read_file(path, &text, &len, err);
    if (st)
        return st;
    st = exp_load_text(e, path, text, len, cli, err);
    free(text);
    return st;
}

void exp_free(exp_experiment *e)
{
    if (!e)
        return;
    exp_claims_free(e);
    for (exp_val *v = e->vals, *next; v; v = next) {
        next = v->next;
        for (size_t k = 0; k < v->n_sets; k++) {
            free((char *)v->sets[k].path);
            free((char *)v->sets[k].value);
        }
        free(v->sets);
        free(v->text);
        free(v->yaml);
        free(v);
    }
    for (size_t i = 0; i < e->n_set; i++) {
        free((char *)e->set[i].path);
        free((char *)e->set[i].value);
    }
    for (size_t c = 0; c < e->n_cols; c++)
        free(e->cols[c]);
    for (size_t i = 0; e->scenario && i < e->n_points; i++)
        free(e->scenario[i]);
    for (size_t i = 0; i < e->n_labels; i++)
        free(e->labels[i]);
    free(e->labels);
    free(e->scenario);
    free(e->set);
    free(e->cols);
    free(e->cell);
    free(e->hash);
    free(e->name);
    free(e->file);
    free(e->text);
    free(e->dir);
    cfg_node_free(e->root);
    memset(e, 0, sizeof *e);
}

const char *exp_point_str(const exp_experiment *e, size_t i, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < e->n_cols && len < cap; c++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s=%s", c ? ", " : "", e->cols[c],
                                exp_cell(e, i, c)->text);
    if (!e->n_cols)
        snprintf(buf, cap, "the base scenario");
    return buf;
}

off_status exp_point_load(const exp_experiment *e, size_t i, scn_scenario *s, off_err *err)
{
    size_t n = e->n_set;
    for (size_t c = 0; c < e->n_cols; c++)
        n += exp_cell(e, i, c)->n_sets + 1;
    scn_override *ov = calloc(n + 1, sizeof *ov);
    if (!ov)
        return oom(err);
    size_t k = 0;
    for (size_t j = 0; j < e->n_set; j++)
        ov[k++] = e->set[j];
    for (size_t c = 0; c < e->n_cols; c++) {
        const exp_val *v = exp_cell(e, i, c);
        if (!strcmp(e->cols[c], "scenario"))
            continue;
        if (!strcmp(e->cols[c], "point")) {
            for (size_t j = 0; j < v->n_sets; j++)
                ov[k++] = v->sets[j];
            continue;
        }
        ov[k++] = (scn_override){e->cols[c], v->yaml};
    }
    off_status st = exp_scenario_load(s, e->scenario[i], ov, k, err);
    free(ov);
    return st;
}

void exp_print_table(const exp_experiment *e, size_t first, size_t last, FILE *f)
{
    size_t w[64] = {0}, nc = e->n_cols < 64 ? e->n_cols : 64;
    for (size_t c = 0; c < nc; c++) {
        w[c] = strlen(e->cols[c]);
        for (size_t i = first; i < last; i++) {
            size_t l = strlen(exp_cell(e, i, c)->text);
            w[c] = l > w[c] ? l : w[c];
        }
    }
    fprintf(f, "%-6s", "point");
    if (nc)
        w[nc - 1] = 0; /* no blanks at the ends of lines */
    for (size_t c = 0; c < nc; c++)
        fprintf(f, "  %-*s", (int)w[c], e->cols[c]);
    fputc('\n', f);
    for (size_t i = first; i < last; i++) {
        fprintf(f, "%-6zu", i);
        for (size_t c = 0; c < nc; c++)
            fprintf(f, "  %-*s", (int)w[c], exp_cell(e, i, c)->text);
        fputc('\n', f);
    }
}
