/*
 * cli_fig.c - an experiment's `figures:` for `offsim sweep`: checked with
 * the experiment, before anything runs; drawn by plt_sweep_figure when the
 * sweep ends, into DB-figures/.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_fig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const cli_fig_formats[3] = {"png", "pdf", "svg"};

enum { MAX_AXES = 64 };

/* The axes a figure may name: the experiment's columns, and what every run
 * has in the runs table. */
static size_t fig_axes(const exp_experiment *e, const char **axes)
{
    static const char *const always[] = {"policy", "seed", "scenario"};
    size_t n = 0;
    for (size_t c = 0; c < e->n_cols && n < MAX_AXES - 3; c++)
        axes[n++] = e->cols[c];
    for (size_t k = 0; k < 3; k++) {
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(axes[i], always[k]) == 0;
        if (!dup)
            axes[n++] = always[k];
    }
    return n;
}

/* v's text when it is a non-empty scalar, else NULL after the error. */
static const char *scalar(const cfg_node *v, const char *what, off_err *err)
{
    char got[80];
    if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v) || !*v->text) {
        cfg_errp(err, OFF_EINVAL, v->pos, "%s: expected text, got %s", what,
                 cfg_describe(v, got, sizeof got));
        return NULL;
    }
    return v->text;
}

/* A name that is a plain file name: letters, digits, '.', '-', '_', not
 * starting with '.' (no folder, nothing hidden). */
static bool file_name_ok(const char *s)
{
    if (*s == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '-' || *s == '_'))
            return false;
    return true;
}

static off_status fig_axis(const cfg_node *v, const char *what, const char **axes, size_t n,
                           const char **out, off_err *err)
{
    size_t idx;
    off_status st = cfg_get_choice(v, what, axes, n, &idx, err);
    if (st == OFF_OK)
        *out = axes[idx];
    return st;
}

/* The metric named by v (an alias allowed) into *out, canonical. */
static off_status fig_metric(const cfg_node *v, const char *what, const char **out,
                             off_err *err)
{
    const char *name = scalar(v, what, err);
    if (!name)
        return OFF_EINVAL;
    off_err merr = {0};
    const res_metric_info *mi = res_metric_find(name, &merr);
    if (!mi)
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s: %s", what, merr.msg);
    *out = mi->name;
    return OFF_OK;
}

static off_status fig_formats(const cfg_node *v, const char *what, unsigned *formats,
                              off_err *err)
{
    const cfg_node *const *items = &v;
    size_t n = 1;
    if (v->kind == CFG_NODE_SEQ) {
        if (v->n == 0)
            return cfg_errp(err, OFF_EINVAL, v->pos, "%s: an empty list", what);
        items = (const cfg_node *const *)v->items;
        n = v->n;
    }
    *formats = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        off_status st = cfg_get_choice(items[i], what, cli_fig_formats, 3, &k, err);
        if (st)
            return st;
        *formats |= 1u << k;
    }
    return OFF_OK;
}

/* Whether point i of e passes f's where. */
static bool fig_keeps(const exp_experiment *e, const cli_fig *f, size_t i)
{
    return !f->where || exp_filter_eval(f->where, &e->cell[i * e->n_cols]);
}

/* The figure's `where:` src (at node v): parsed on e's columns, and
 * keeping at least one point. */
static off_status fig_where_parse(const exp_experiment *e, const cfg_node *v, const char *src,
                                  cli_fig *f, const char *what, off_err *err)
{
    off_status st = exp_filter_parse(&f->where, src, v->pos, !v->plain,
                                     (const char *const *)e->cols, e->n_cols, err);
    if (st)
        return st;
    for (size_t i = 0; i < e->n_points; i++)
        if (fig_keeps(e, f, i))
            return OFF_OK;
    return cfg_errp(err, OFF_EINVAL, v->pos, "%s: '%s' keeps no point of the experiment", what,
                    src);
}

/* by's values over every point of e, in their first order, as the
 * figure's colours: a line keeps its colour in every figure of the
 * experiment, whatever its where leaves out.  by may be a runs column
 * (policy, seed, scenario) that e has not: then by rank. */
static off_status fig_colours(const exp_experiment *e, cli_fig *f, off_err *err)
{
    size_t c = 0;
    while (c < e->n_cols && strcmp(e->cols[c], f->spec.by) != 0)
        c++;
    if (c == e->n_cols)
        return OFF_OK;
    const char **v = calloc(e->n_points ? e->n_points : 1, sizeof *v);
    if (!v)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < e->n_points; i++) {
        const char *t = exp_cell(e, i, c)->text;
        size_t k = 0;
        while (k < n && strcmp(v[k], t) != 0)
            k++;
        if (k == n)
            v[n++] = t;
    }
    f->spec.colours = v;
    f->spec.n_colours = n;
    return OFF_OK;
}

/* Entry i of figures: into *f. */
static off_status fig_parse(const exp_experiment *e, const cfg_node *m, size_t i,
                            const char **axes, size_t n_axes, cli_fig *f, off_err *err)
{
    static const char *const keys[] = {"name", "x",     "along",    "y",     "by",    "logx",
                                       "logy", "where", "baseline", "title", "format"};
    enum { N_KEYS = sizeof keys / sizeof *keys };
    char where[48], what[80];
    snprintf(where, sizeof where, "figures[%zu]", i);
    off_status st;
    if ((st = cfg_want_map(m, where, keys, N_KEYS, err)) ||
        (st = cfg_check_keys(m, keys, N_KEYS, where, NULL, 0, NULL, err)))
        return st;
    cfg_node *v;
    if ((st = cfg_require(m, "name", where, &v, err)))
        return st;
    snprintf(what, sizeof what, "%s.name", where);
    if (!(f->name = scalar(v, what, err)))
        return OFF_EINVAL;
    if (!file_name_ok(f->name))
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: '%s' is not a file name (letters, digits, '.', '-', '_'; not "
                        "starting with '.')", what, f->name);
    if ((st = cfg_require(m, "x", where, &v, err)))
        return st;
    cfg_node *along = cfg_map_get(m, "along");
    if (along) { /* x is a metric, its points joined along an axis */
        snprintf(what, sizeof what, "%s.x metric", where);
        if ((st = fig_metric(v, what, &f->spec.x_metric, err)))
            return st;
        v = along;
        snprintf(what, sizeof what, "%s.along axis", where);
    } else {
        snprintf(what, sizeof what, "%s.x axis", where);
    }
    if ((st = fig_axis(v, what, axes, n_axes, &f->spec.x, err)))
        return st;
    f->spec.y = "latency_mean";
    if ((v = cfg_map_get(m, "y"))) {
        snprintf(what, sizeof what, "%s.y", where);
        if ((st = fig_metric(v, what, &f->spec.y, err)))
            return st;
    }
    if ((v = cfg_map_get(m, "by"))) {
        snprintf(what, sizeof what, "%s.by axis", where);
        if ((st = fig_axis(v, what, axes, n_axes, &f->spec.by, err)))
            return st;
        if (strcmp(f->spec.by, f->spec.x) == 0)
            return cfg_errp(err, OFF_EINVAL, v->pos, "%s.by: '%s' is already x", where,
                            f->spec.by);
    }
    static const char *const flags[] = {"logx", "logy"};
    bool *fv[] = {&f->spec.logx, &f->spec.logy};
    for (size_t k = 0; k < 2; k++)
        if ((v = cfg_map_get(m, flags[k]))) {
            snprintf(what, sizeof what, "%s.%s", where, flags[k]);
            if ((st = cfg_get_bool(v, what, fv[k], err)))
                return st;
        }
    if ((v = cfg_map_get(m, "baseline"))) {
        snprintf(what, sizeof what, "%s.baseline", where);
        const char *b = scalar(v, what, err), *eq = b ? strchr(b, '=') : NULL;
        if (!b)
            return OFF_EINVAL;
        if (!eq || eq == b || !eq[1])
            return cfg_errp(err, OFF_EINVAL, v->pos, "%s: '%s': expected AXIS=VALUE", what, b);
        if (!f->spec.by || strncmp(b, f->spec.by, (size_t)(eq - b)) != 0 ||
            f->spec.by[eq - b])
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s: '%s': the baseline's axis must be the figure's 'by'%s%s%s", what,
                            b, f->spec.by ? " ('" : " (the figure has none)",
                            f->spec.by ? f->spec.by : "", f->spec.by ? "')" : "");
        if (f->spec.x_metric)
            return cfg_errp(err, OFF_EINVAL, v->pos,
                            "%s: a figure with a metric on x (along:) has no baseline", what);
        f->spec.baseline = b;
    }
    if ((v = cfg_map_get(m, "title"))) {
        snprintf(what, sizeof what, "%s.title", where);
        if (!(f->spec.title = scalar(v, what, err)))
            return OFF_EINVAL;
    }
    if ((v = cfg_map_get(m, "where"))) {
        snprintf(what, sizeof what, "%s.where", where);
        const char *src = scalar(v, what, err);
        if (!src || (st = fig_where_parse(e, v, src, f, what, err)))
            return src ? st : OFF_EINVAL;
    }
    if (f->spec.by && (st = fig_colours(e, f, err)))
        return st;
    f->formats = 3; /* png for the screen, pdf (vector) for the paper */
    if ((v = cfg_map_get(m, "format"))) {
        snprintf(what, sizeof what, "%s.format", where);
        if ((st = fig_formats(v, what, &f->formats, err)))
            return st;
    }
    f->spec.warn = stderr;
    return OFF_OK;
}

off_status cli_figs_parse(const exp_experiment *e, cli_figs *f, off_err *err)
{
    *f = (cli_figs){0};
    const cfg_node *fs = e->figures;
    if (!fs || cfg_node_is_null(fs))
        return OFF_OK;
    off_status st = cfg_want_seq(fs, "figures", err);
    if (st)
        return st;
    if (fs->n == 0)
        return OFF_OK;
    if (!(f->v = calloc(fs->n, sizeof *f->v)))
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    const char *axes[MAX_AXES];
    size_t n_axes = fig_axes(e, axes);
    for (size_t i = 0; i < fs->n && st == OFF_OK; i++) {
        st = fig_parse(e, fs->items[i], i, axes, n_axes, &f->v[i], err);
        for (size_t j = 0; j < i && st == OFF_OK; j++)
            if (strcmp(f->v[j].name, f->v[i].name) == 0)
                st = cfg_errp(err, OFF_EINVAL, cfg_map_get(fs->items[i], "name")->pos,
                              "figures[%zu].name: '%s' is figures[%zu]'s name too", i,
                              f->v[i].name, j);
        f->n = i + 1;
    }
    if (st)
        cli_figs_free(f);
    return st;
}

void cli_figs_free(cli_figs *f)
{
    for (size_t i = 0; i < f->n; i++) {
        exp_filter_free(f->v[i].where);
        free((void *)f->v[i].spec.colours);
    }
    free(f->v);
    *f = (cli_figs){0};
}

/* The SQL condition keeping, of the runs in the database, the newest ok
 * run of each of e's current points: a database may also hold other
 * experiments, and runs of an older version of this one's scenarios
 * (other point hashes), which the figure must not pool with these.
 * malloc'd, NULL when out of memory. */
static char *fig_where(const exp_experiment *e, const cli_fig *f)
{
    static const char head[] =
        "r.run_id IN (SELECT max(run_id) FROM runs WHERE status = 'ok' AND experiment_id = "
        "(SELECT experiment_id FROM experiments WHERE hash = '%016llx') AND point_hash IN (";
    /* each point: a comma and its 16 hex digits quoted */
    size_t cap = sizeof head + 16 + e->n_points * 19 + 32, len;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    len = (size_t)snprintf(buf, cap, head, (unsigned long long)exp_identity(e));
    bool first = true;
    for (size_t i = 0; i < e->n_points; i++)
        if (fig_keeps(e, f, i)) {
            len += (size_t)snprintf(buf + len, cap - len, "%s'%s'", first ? "" : ",",
                                    e->hash[i]);
            first = false;
        }
    snprintf(buf + len, cap - len, ") GROUP BY point_hash)");
    return buf;
}

size_t cli_figs_draw(const exp_experiment *e, const cli_figs *f, const char *db, FILE *out)
{
    if (f->n == 0)
        return 0;
    size_t n_out = 0;
    for (size_t i = 0; i < f->n; i++)
        for (unsigned k = 0; k < 3; k++)
            n_out += (f->v[i].formats >> k) & 1u;
    size_t n = strlen(db);
    if (n > 3 && strcmp(db + n - 3, ".db") == 0)
        n -= 3;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s-figures", (int)n, db);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "offsim: %s: %s: no figure drawn\n", dir, strerror(errno));
        return n_out;
    }
    off_err err = {0};
    res_db *rdb;
    off_status st = res_open_readonly(&rdb, db, &err);
    if (st) {
        fprintf(stderr, "offsim: %s: no figure drawn\n", err.msg);
        return n_out;
    }
    size_t failed = 0;
    for (size_t i = 0; i < f->n; i++) {
        char *where = fig_where(e, &f->v[i]);
        for (unsigned k = 0; k < 3; k++) {
            if (!((f->v[i].formats >> k) & 1u))
                continue;
            char path[4200];
            snprintf(path, sizeof path, "%s/%s.%s", dir, f->v[i].name, cli_fig_formats[k]);
            plt_sweep_spec spec = f->v[i].spec;
            spec.where = where;
            err = (off_err){0};
            if (!where)
                off_errf(&err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
            if (!where || (st = plt_sweep_figure(rdb, &spec, path, &err))) {
                fprintf(stderr, "offsim: figure '%s' (%s): %s\n", f->v[i].name, path, err.msg);
                failed++;
            } else if (out) {
                fprintf(out, "wrote %s\n", path);
            }
        }
        free(where);
    }
    res_close(rdb);
    return failed;
}
