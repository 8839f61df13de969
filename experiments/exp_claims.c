/*
 * exp_claims.c - the `claims:` of an experiment file: parsed and checked
 * with the experiment (a typo in a claim must not surface after hours of
 * simulation), evaluated on the runs of the experiment's points, written
 * as a table, into the database (table `claims`) and DB-figures/claims.md.
 *
 * A claim looks at the points its `where:` selects (all by default), each
 * point's value being the metric of the newest ok run with the point's
 * hash.  Kinds:
 *   trend   the means along an axis go one way (each step against it at
 *           most `tolerance` of the previous mean), or their rank
 *           correlation with the axis is at least `spearman`;
 *   slope   least-squares slope of log(mean) on log(axis) in `range`;
 *   better  a - b paired on the seeds the two sides share (common random
 *           numbers), a 95 % Student-t interval entirely on the better
 *           side of the margin, at every configuration (or at some);
 *   value   the mean within `tolerance` of the paper's number;
 *   step    where the means change most (or where a - b changes sign)
 *           lies within `between`.
 * A claim that cannot be evaluated (no runs, one seed, ...) is "n/a" with
 * its reason, and counts as a failure: a claim never passes by default.
 */
#define _POSIX_C_SOURCE 200809L
#include "exp.h"

#include <errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "res.h"

const char *const exp_verdict_names[4] = {"holds", "fails", "n/a", "skipped"};

typedef enum ckind { K_TREND, K_SLOPE, K_BETTER, K_VALUE, K_STEP, K_N } ckind;
static const char *const kinds[K_N] = {"trend", "slope", "better", "value", "step"};

static const char *const common_keys[] = {"name", "says", "source", "kind",
                                          "metric", "where", "quick"};
/* The keys of each kind, NULL-terminated. */
static const char *const kind_keys[K_N][8] = {
    [K_TREND] = {"along", "direction", "tolerance", "spearman", "by", NULL},
    [K_SLOPE] = {"along", "range", "from", "to", "by", NULL},
    [K_BETTER] = {"a", "b", "lower", "at", "margin", "some", NULL},
    [K_VALUE] = {"paper", "tolerance", NULL},
    [K_STEP] = {"along", "between", "a", "b", "by", NULL},
};

struct exp_claim {
    char *name, *says, *source;
    ckind kind;
    const res_metric_info *metric;
    bool quick;                /* checked under --quick                       */
    exp_filter *where, *a, *at;
    exp_filter **b;            /* n_b sides to compare a with                  */
    const char **b_text;
    size_t n_b;
    const char *a_text;
    int along, by;             /* columns, -1 if none                          */
    bool increasing;
    double tol;                /* trend: fraction; value: SI or fraction       */
    bool tol_rel;              /* value: tol is a fraction of the paper's      */
    double spearman;           /* NaN: use tol                                 */
    double lo, hi;             /* slope: range; step: between (SI)             */
    double from, to;           /* slope: the axis bounds (SI)                  */
    bool lower, some;
    double margin;             /* SI, or a fraction of b's mean (margin_rel)   */
    bool margin_rel;
    double paper;              /* SI                                           */
    const char *paper_text, *tol_text, *margin_text;
};

/* ---- parsing -------------------------------------------------------------- */

static off_status oom(off_err *err)
{
    return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
}

static void claim_free(exp_claim *c)
{
    free(c->name), free(c->says), free(c->source);
    exp_filter_free(c->where), exp_filter_free(c->a), exp_filter_free(c->at);
    for (size_t j = 0; j < c->n_b; j++)
        exp_filter_free(c->b[j]);
    free(c->b), free(c->b_text);
}

void exp_claims_free(exp_experiment *e)
{
    for (size_t i = 0; i < e->n_claims; i++)
        claim_free(&e->claim[i]);
    free(e->claim);
    e->claim = NULL;
    e->n_claims = 0;
}

bool exp_claim_quick(const exp_experiment *e, size_t i)
{
    return e->claim[i].quick;
}

static off_status filter_of(const exp_experiment *e, const cfg_node *v, const char *what,
                            exp_filter **f, const char **text, off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st == OFF_OK)
        st = exp_filter_parse(f, v->text, v->pos, !v->plain, (const char *const *)e->cols,
                              e->n_cols, err);
    if (st == OFF_OK && text)
        *text = v->text;
    return st;
}

static off_status axis_of(const exp_experiment *e, const cfg_node *v, const char *what,
                          int *col, off_err *err)
{
    size_t idx;
    off_status st = cfg_get_choice(v, what, (const char *const *)e->cols, e->n_cols, &idx, err);
    if (st)
        return st;
    if (!strcmp(e->cols[idx], "seed"))
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s: not the seed (claims pool the seeds)",
                        what);
    *col = (int)idx;
    return OFF_OK;
}

/* The dimension of the metric's stored values. */
static cfg_dim metric_dim(const res_metric_info *mi)
{
    static const struct { const char *unit; cfg_dim dim; } dims[] = {
        {"s", CFG_DIM_TIME}, {"J", CFG_DIM_ENERGY}, {"B", CFG_DIM_BYTES}, {"Hz", CFG_DIM_FREQ}};
    for (size_t i = 0; i < OFF_COUNT(dims); i++)
        if (!strcmp(mi->unit, dims[i].unit))
            return dims[i].dim;
    return CFG_DIM_NONE;
}

/* A quantity in the metric's unit, or "N %" of something (*rel) when the
 * metric has a unit; a dimensionless metric takes "%" as 0.01. */
static off_status metric_q(const exp_claim *c, const cfg_node *v, const char *what,
                           unsigned flags, double *out, bool *rel, off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st)
        return st;
    cfg_dim dim = metric_dim(c->metric);
    *rel = dim != CFG_DIM_NONE && strchr(v->text, '%');
    return cfg_get_quantity(v, what, *rel ? CFG_DIM_NONE : dim, flags | CFG_Q_FINITE, out, err);
}

/* A number or a quantity of any unit, in SI (an axis value). */
static off_status any_q(const cfg_node *v, const char *what, double *out, off_err *err)
{
    off_status st = cfg_want_scalar(v, what, err);
    if (st)
        return st;
    *out = exp_si(v->text);
    if (isnan(*out))
        return cfg_errp(err, OFF_EINVAL, v->pos,
                        "%s: expected a number or a quantity such as '300 kbps', got '%s'", what,
                        v->text);
    return OFF_OK;
}

/* [lo, hi] of two items (any_q, or numbers when plain), lo <= hi. */
static off_status pair_of(const cfg_node *v, const char *what, bool plain, double *lo,
                          double *hi, off_err *err)
{
    off_status st = cfg_want_seq(v, what, err);
    if (st)
        return st;
    if (v->n != 2)
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s: expected [low, high], got %zu item%s",
                        what, v->n, v->n == 1 ? "" : "s");
    double *out[2] = {lo, hi};
    for (size_t k = 0; k < 2; k++)
        if ((st = plain ? cfg_get_quantity(v->items[k], what, CFG_DIM_NONE, CFG_Q_FINITE, out[k],
                                           err)
                        : any_q(v->items[k], what, out[k], err)))
            return st;
    if (*lo > *hi)
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s: the low end is above the high end", what);
    return OFF_OK;
}

/* Whether lower values of the metric are better; -1 when it depends. */
static int lower_is_better(const res_metric_info *mi)
{
    static const char *const lower[] = {"energy_mean_j", "deadline_miss", "bytes_up_mean",
                                        "devices.energy_j", "devices.tail_j",
                                        "devices.tail_unattributed_j"};
    static const char *const higher[] = {"accuracy", "reward_mean", "devices.remaining_j",
                                         "devices.t_death"};
    if (!strncmp(mi->name, "latency_", 8))
        return 1;
    for (size_t i = 0; i < OFF_COUNT(lower); i++)
        if (!strcmp(mi->name, lower[i]))
            return 1;
    for (size_t i = 0; i < OFF_COUNT(higher); i++)
        if (!strcmp(mi->name, higher[i]))
            return 0;
    return -1;
}

static bool kind_has(ckind k, const char *key)
{
    for (size_t i = 0; kind_keys[k][i]; i++)
        if (!strcmp(kind_keys[k][i], key))
            return true;
    for (size_t i = 0; i < OFF_COUNT(common_keys); i++)
        if (!strcmp(common_keys[i], key))
            return true;
    return false;
}

/* The keys every kind knows, for the did-you-mean of unknown keys. */
static size_t all_keys(const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < OFF_COUNT(common_keys); i++)
        out[n++] = common_keys[i];
    for (int k = 0; k < K_N; k++)
        for (size_t i = 0; kind_keys[k][i]; i++) {
            size_t j = 0;
            while (j < n && strcmp(out[j], kind_keys[k][i]))
                j++;
            if (j == n)
                out[n++] = kind_keys[k][i];
        }
    return n;
}

static off_status parse_trend(const exp_experiment *e, exp_claim *c, const cfg_node *m,
                              const char *w, off_err *err)
{
    char what[96];
    cfg_node *v;
    off_status st;
    snprintf(what, sizeof what, "%s.direction", w);
    static const char *const dirs[] = {"increasing", "decreasing"};
    size_t d;
    if ((st = cfg_require(m, "direction", w, &v, err)) ||
        (st = cfg_get_choice(v, what, dirs, 2, &d, err)))
        return st;
    c->increasing = d == 0;
    cfg_node *tol = cfg_map_get(m, "tolerance"), *sp = cfg_map_get(m, "spearman");
    if (tol && sp)
        return cfg_errp(err, OFF_EINVAL, sp->pos, "%s: give tolerance or spearman, not both", w);
    snprintf(what, sizeof what, "%s.%s", w, sp ? "spearman" : "tolerance");
    if (sp && (st = cfg_get_quantity(sp, what, CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_UNIT, &c->spearman,
                                     err)))
        return st;
    if (tol && (st = cfg_get_quantity(tol, what, CFG_DIM_NONE, CFG_Q_GE0 | CFG_Q_FINITE, &c->tol,
                                      err)))
        return st;
    (void)e;
    return OFF_OK;
}

static off_status parse_better(const exp_experiment *e, exp_claim *c, const cfg_node *m,
                               const char *w, off_err *err)
{
    char what[96];
    cfg_node *v;
    off_status st;
    snprintf(what, sizeof what, "%s.b", w);
    if ((st = cfg_require(m, "b", w, &v, err)))
        return st;
    size_t nb = v->kind == CFG_NODE_SEQ ? v->n : 1;
    if (nb == 0)
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s: an empty list", what);
    if (!(c->b = calloc(nb, sizeof *c->b)) || !(c->b_text = calloc(nb, sizeof *c->b_text)))
        return oom(err);
    for (size_t j = 0; j < nb; j++, c->n_b++)
        if ((st = filter_of(e, v->kind == CFG_NODE_SEQ ? v->items[j] : v, what, &c->b[j],
                            &c->b_text[j], err)))
            return st;
    int dflt = lower_is_better(c->metric);
    if ((v = cfg_map_get(m, "lower"))) {
        snprintf(what, sizeof what, "%s.lower", w);
        if ((st = cfg_get_bool(v, what, &c->lower, err)))
            return st;
    } else if (dflt < 0) {
        return cfg_errp(err, OFF_EINVAL, m->pos,
                        "%s: say whether lower %s is better (lower: true or false)", w,
                        c->metric->name);
    } else {
        c->lower = dflt == 1;
    }
    if ((v = cfg_map_get(m, "at")) && !(v->kind == CFG_NODE_SCALAR && !strcmp(v->text, "all"))) {
        snprintf(what, sizeof what, "%s.at", w);
        if ((st = filter_of(e, v, what, &c->at, NULL, err)))
            return st;
    }
    if ((v = cfg_map_get(m, "some"))) {
        snprintf(what, sizeof what, "%s.some", w);
        if ((st = cfg_get_bool(v, what, &c->some, err)))
            return st;
    }
    if ((v = cfg_map_get(m, "margin"))) {
        snprintf(what, sizeof what, "%s.margin", w);
        if ((st = metric_q(c, v, what, 0, &c->margin, &c->margin_rel, err)))
            return st;
        c->margin_text = v->text;
    }
    return OFF_OK;
}

static off_status parse_kind(const exp_experiment *e, exp_claim *c, const cfg_node *m,
                             const char *w, off_err *err)
{
    char what[96];
    cfg_node *v;
    off_status st;
    if (kind_has(c->kind, "along")) {
        snprintf(what, sizeof what, "%s.along axis", w);
        if ((st = cfg_require(m, "along", w, &v, err)) || (st = axis_of(e, v, what, &c->along, err)))
            return st;
    }
    if ((v = cfg_map_get(m, "by"))) {
        snprintf(what, sizeof what, "%s.by axis", w);
        if ((st = axis_of(e, v, what, &c->by, err)))
            return st;
        if (c->by == c->along)
            return cfg_errp(err, OFF_EINVAL, v->pos, "%s: '%s' is already along", what,
                            e->cols[c->by]);
    }
    if (c->kind == K_BETTER || c->kind == K_STEP) {
        cfg_node *a = cfg_map_get(m, "a"), *b = cfg_map_get(m, "b");
        if (c->kind == K_BETTER || a || b) {
            snprintf(what, sizeof what, "%s.a", w);
            if ((st = cfg_require(m, "a", w, &v, err)) ||
                (st = filter_of(e, v, what, &c->a, &c->a_text, err)))
                return st;
        }
        if (c->kind == K_STEP && a) {
            if (!b)
                return cfg_errp(err, OFF_EINVAL, m->pos, "%s has a but no b (a crossover of a - b)", w);
            if (b->kind != CFG_NODE_SCALAR)
                return cfg_errp(err, OFF_EINVAL, b->pos, "%s.b: one side for a crossover", w);
            if (c->by >= 0)
                return cfg_errp(err, OFF_EINVAL, cfg_map_get(m, "by")->pos,
                                "%s: by goes with one group, not with a crossover of a - b", w);
            snprintf(what, sizeof what, "%s.b", w);
            if (!(c->b = calloc(1, sizeof *c->b)) || !(c->b_text = calloc(1, sizeof *c->b_text)))
                return oom(err);
            c->n_b = 1;
            if ((st = filter_of(e, b, what, &c->b[0], &c->b_text[0], err)))
                return st;
        }
    }
    switch (c->kind) {
    case K_TREND:
        return parse_trend(e, c, m, w, err);
    case K_SLOPE:
        snprintf(what, sizeof what, "%s.range", w);
        if ((st = cfg_require(m, "range", w, &v, err)) ||
            (st = pair_of(v, what, true, &c->lo, &c->hi, err)))
            return st;
        if ((v = cfg_map_get(m, "from")) && (st = any_q(v, "from", &c->from, err)))
            return st;
        if ((v = cfg_map_get(m, "to")) && (st = any_q(v, "to", &c->to, err)))
            return st;
        return OFF_OK;
    case K_BETTER:
        return parse_better(e, c, m, w, err);
    case K_VALUE:
        snprintf(what, sizeof what, "%s.paper", w);
        if ((st = cfg_require(m, "paper", w, &v, err)) || (st = cfg_want_scalar(v, what, err)) ||
            (st = cfg_get_quantity(v, what, metric_dim(c->metric), CFG_Q_FINITE, &c->paper, err)))
            return st;
        c->paper_text = v->text;
        snprintf(what, sizeof what, "%s.tolerance", w);
        if ((st = cfg_require(m, "tolerance", w, &v, err)) ||
            (st = metric_q(c, v, what, CFG_Q_GE0, &c->tol, &c->tol_rel, err)))
            return st;
        c->tol_text = v->text;
        return OFF_OK;
    case K_STEP:
        snprintf(what, sizeof what, "%s.between", w);
        if ((st = cfg_require(m, "between", w, &v, err)) ||
            (st = pair_of(v, what, false, &c->lo, &c->hi, err)))
            return st;
        return OFF_OK;
    default:
        return OFF_OK;
    }
}

static off_status parse_claim(const exp_experiment *e, const cfg_node *m, size_t i, exp_claim *c,
                              off_err *err)
{
    char w[48], what[96];
    snprintf(w, sizeof w, "claims[%zu]", i);
    const char *keys[32];
    size_t n_keys = all_keys(keys);
    off_status st;
    if ((st = cfg_want_map(m, w, NULL, 0, err)) ||
        (st = cfg_check_keys(m, keys, n_keys, w, NULL, 0, NULL, err)))
        return st;
    cfg_node *v;
    size_t k;
    snprintf(what, sizeof what, "%s.kind", w);
    if ((st = cfg_require(m, "kind", w, &v, err)) ||
        (st = cfg_get_choice(v, what, kinds, K_N, &k, err)))
        return st;
    c->kind = (ckind)k;
    for (size_t j = 0; j < m->n; j++)
        if (!kind_has(c->kind, m->keys[j]->text)) {
            char list[200];
            size_t nk = 0;
            while (kind_keys[k][nk])
                nk++;
            return cfg_errp(err, OFF_EINVAL, m->keys[j]->pos,
                            "%s: '%s' is not a key of a %s claim (its keys: %s; and name, says, "
                            "source, metric, where, quick)", w, m->keys[j]->text, kinds[k],
                            cfg_join(kind_keys[k], nk, list, sizeof list));
        }
    static const char *const strs[] = {"name", "says"};
    char **sv[] = {&c->name, &c->says};
    for (size_t j = 0; j < 2; j++) {
        snprintf(what, sizeof what, "%s.%s", w, strs[j]);
        if ((st = cfg_require(m, strs[j], w, &v, err)) ||
            (st = cfg_get_string(v, what, sv[j], err)))
            return st;
    }
    snprintf(what, sizeof what, "%s.source", w);
    if ((v = cfg_map_get(m, "source")) && (st = cfg_get_string(v, what, &c->source, err)))
        return st;
    c->metric = res_metric_find("latency_mean", err);
    if ((v = cfg_map_get(m, "metric"))) {
        snprintf(what, sizeof what, "%s.metric", w);
        off_err merr = {0};
        if ((st = cfg_want_scalar(v, what, err)))
            return st;
        if (!(c->metric = res_metric_find(v->text, &merr)))
            return cfg_errp(err, OFF_EINVAL, v->pos, "%s: %s", what, merr.msg);
    }
    c->quick = true;
    if ((v = cfg_map_get(m, "quick"))) {
        snprintf(what, sizeof what, "%s.quick", w);
        if ((st = cfg_get_bool(v, what, &c->quick, err)))
            return st;
    }
    if ((v = cfg_map_get(m, "where"))) {
        snprintf(what, sizeof what, "%s.where", w);
        if ((st = filter_of(e, v, what, &c->where, NULL, err)))
            return st;
    }
    c->along = c->by = -1;
    c->spearman = NAN;
    c->from = -INFINITY;
    c->to = INFINITY;
    return parse_kind(e, c, m, w, err);
}

off_status exp_claims_parse(exp_experiment *e, off_err *err)
{
    exp_claims_free(e);
    const cfg_node *cs = e->claims;
    if (!cs || cfg_node_is_null(cs))
        return OFF_OK;
    off_status st = cfg_want_seq(cs, "claims", err);
    if (st || cs->n == 0)
        return st;
    if (!(e->claim = calloc(cs->n, sizeof *e->claim)))
        return oom(err);
    for (size_t i = 0; i < cs->n && st == OFF_OK; i++) {
        e->n_claims = i + 1;
        st = parse_claim(e, cs->items[i], i, &e->claim[i], err);
        for (size_t j = 0; j < i && st == OFF_OK; j++)
            if (!strcmp(e->claim[j].name, e->claim[i].name))
                st = cfg_errp(err, OFF_EINVAL, cfg_map_get(cs->items[i], "name")->pos,
                              "claims[%zu].name: '%s' is claims[%zu]'s name too", i,
                              e->claim[i].name, j);
    }
    if (st)
        exp_claims_free(e);
    return st;
}

/* ---- evaluation ----------------------------------------------------------- */

typedef struct ectx {
    const exp_experiment *e;
    const exp_claim *c;
    const int64_t *run;       /* per point: its newest ok run, 0 if none    */
    const double *val;        /* per point: the claim's metric              */
    int seed;                 /* the seed column, -1 if none                */
    exp_claim_out *o;
} ectx;

static const char *cell_text(const ectx *x, size_t i, int col)
{
    return exp_cell(x->e, i, (size_t)col)->text;
}

static bool verdict(exp_claim_out *o, exp_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the verdict, and the detail when fmt is not NULL; false. */
static bool verdict(exp_claim_out *o, exp_verdict v, const char *fmt, ...)
{
    o->verdict = v;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(o->detail, sizeof o->detail, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* The points where: and side (NULL: any) select into P; their count, or
 * 0 after an n/a naming what when one lacks a run or a value. */
static size_t collect(const ectx *x, const exp_filter *side, const char *what, size_t *P)
{
    size_t n = 0, no_run = 0, no_val = 0;
    for (size_t i = 0; i < x->e->n_points; i++) {
        const exp_val *const *row = x->e->cell + i * x->e->n_cols;
        if ((x->c->where && !exp_filter_eval(x->c->where, row)) ||
            (side && !exp_filter_eval(side, row)))
            continue;
        P[n++] = i;
        no_run += x->run[i] == 0;
        no_val += x->run[i] != 0 && isnan(x->val[i]);
    }
    if (n == 0)
        verdict(x->o, EXP_NA, "no point of the experiment is %s", what);
    else if (no_run)
        verdict(x->o, EXP_NA, "%zu of the %zu points %s have no ok run in the database "
                "(run `offsim sweep%s`)", no_run, n, what, x->e->quick ? " --quick" : "");
    else if (no_val)
        verdict(x->o, EXP_NA, "%zu of the %zu runs %s have no %s", no_val, n, what,
                x->c->metric->name);
    return no_run || no_val ? 0 : n;
}

static const char *unit_sep(const res_metric_info *mi)
{
    return *mi->disp_unit ? " " : "";
}

/* v (SI) as the metric is shown: "123 ms". */
static const char *show(const res_metric_info *mi, double v, bool unit, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.4g%s%s", v * mi->disp_scale, unit ? unit_sep(mi) : "",
             unit ? mi->disp_unit : "");
    return buf;
}

/* The means along an axis, one series per value of `by`. */
typedef struct series {
    const char *group;        /* the by value, NULL without by              */
    const char *label;        /* group as shown (cfg_file_label), or NULL   */
    char label_buf[64];
    size_t n;
    double *x, *y;            /* x in SI (NaN when not a number), y: mean   */
    const char **xt;          /* x as written                               */
    size_t *cnt;
} series;

static void series_free(series *s, size_t ng)
{
    for (size_t g = 0; s && g < ng; g++)
        free(s[g].x), free(s[g].y), free(s[g].xt), free(s[g].cnt);
    free(s);
}

/* Whether the points P[0..n) agree on every column but along, by and the
 * seed (else the means would pool what the claim does not name: n/a). */
static bool unpooled(const ectx *x, const size_t *P, size_t n, const char *what)
{
    for (size_t c = 0; c < x->e->n_cols; c++) {
        if ((int)c == x->c->along || (int)c == x->c->by || (int)c == x->seed)
            continue;
        for (size_t k = 1; k < n; k++)
            if (strcmp(cell_text(x, P[k], (int)c), cell_text(x, P[0], (int)c)))
                return verdict(x->o, EXP_NA,
                               "the points %s differ in %s ('%s', '%s'): narrow "
                               "where%s", what, x->e->cols[c], cell_text(x, P[0], (int)c),
                               cell_text(x, P[k], (int)c),
                               x->c->kind == K_BETTER || x->c->a ? "" : " or add by");
    }
    return true;
}

/* The series of the points P[0..n) along c->along, grouped by c->by. */
static series *build(const ectx *x, const size_t *P, size_t n, size_t *ng)
{
    int along = x->c->along, by = x->c->by;
    series *s = calloc(n, sizeof *s);
    size_t *gi = calloc(n, sizeof *gi);
    *ng = 0;
    if (!s || !gi) {
        free(s), free(gi);
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        const char *g = by >= 0 ? cell_text(x, P[k], by) : NULL;
        size_t j = 0;
        while (j < *ng && g && strcmp(s[j].group, g))
            j++;
        if (j == *ng) {
            s[*ng].group = g;
            s[*ng].label = g ? cfg_file_label(g, s[*ng].label_buf, sizeof s[*ng].label_buf) : NULL;
            (*ng)++;
        }
        gi[k] = j;
        s[j].n++; /* capacity, counted again below */
    }
    bool ok = true;
    for (size_t j = 0; j < *ng && ok; j++) {
        size_t cap = s[j].n;
        s[j].n = 0;
        ok = (s[j].x = calloc(cap, sizeof *s[j].x)) && (s[j].y = calloc(cap, sizeof *s[j].y)) &&
             (s[j].xt = calloc(cap, sizeof *s[j].xt)) &&
             (s[j].cnt = calloc(cap, sizeof *s[j].cnt));
    }
    for (size_t k = 0; k < n && ok; k++) {
        series *t = &s[gi[k]];
        const exp_val *v = exp_cell(x->e, P[k], (size_t)along);
        size_t j = 0;
        while (j < t->n && strcmp(t->xt[j], v->text))
            j++;
        if (j == t->n) {
            t->xt[t->n] = v->text;
            t->x[t->n++] = v->num;
        }
        t->y[j] += x->val[P[k]];
        t->cnt[j]++;
    }
    free(gi);
    if (!ok) {
        series_free(s, *ng);
        return NULL;
    }
    for (size_t j = 0; j < *ng; j++) {
        series *t = &s[j];
        bool numeric = true;
        for (size_t k = 0; k < t->n; k++) {
            t->y[k] /= (double)t->cnt[k];
            numeric &= !isnan(t->x[k]);
        }
        for (size_t k = 1; numeric && k < t->n; k++) /* insertion sort by x */
            for (size_t m = k; m > 0 && t->x[m] < t->x[m - 1]; m--) {
                double tx = t->x[m], ty = t->y[m];
                const char *tt = t->xt[m];
                size_t tc = t->cnt[m];
                t->x[m] = t->x[m - 1], t->y[m] = t->y[m - 1], t->xt[m] = t->xt[m - 1];
                t->cnt[m] = t->cnt[m - 1];
                t->x[m - 1] = tx, t->y[m - 1] = ty, t->xt[m - 1] = tt, t->cnt[m - 1] = tc;
            }
    }
    return s;
}

/* The series of the claim's points (side: NULL, or a or b of a
 * crossover); NULL after an n/a. */
static series *series_of(const ectx *x, const exp_filter *side, const char *what, size_t *ng)
{
    size_t *P = malloc((x->e->n_points ? x->e->n_points : 1) * sizeof *P);
    if (!P) {
        verdict(x->o, EXP_NA, "out of memory");
        return NULL;
    }
    size_t n = collect(x, side, what, P);
    series *s = n && unpooled(x, P, n, what) ? build(x, P, n, ng) : NULL;
    if (n && !s && x->o->verdict != EXP_NA)
        verdict(x->o, EXP_NA, "out of memory");
    free(P);
    return s;
}

/* An axis value v (SI) in the unit the series' values are written in. */
static const char *show_x(const series *s, double v, char *buf, size_t cap)
{
    char *end;
    double w = s->n ? strtod(s->xt[0], &end) : 0;
    if (s->n && w != 0 && s->x[0] != 0 && !isnan(s->x[0])) {
        while (*end == ' ')
            end++;
        snprintf(buf, cap, "%.4g%s%s", v * w / s->x[0], *end ? " " : "", end);
    } else {
        snprintf(buf, cap, "%.4g", v);
    }
    return buf;
}

/* Append to o->offsim (with "; " between groups). */
static void add(exp_claim_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(exp_claim_out *o, const char *fmt, ...)
{
    size_t len = strlen(o->offsim);
    if (len >= sizeof o->offsim - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->offsim + len, sizeof o->offsim - len, fmt, ap);
    va_end(ap);
}

/* "edge: " when the series has a group, and the means, shortened. */
static void add_means(exp_claim_out *o, const res_metric_info *mi, const series *s)
{
    char b[32];
    if (s->group)
        add(o, "%s%s: ", *o->offsim ? "; " : "", s->label);
    for (size_t k = 0; k < s->n; k++) {
        if (s->n > 5 && k >= 2 && k < s->n - 2) {
            if (k == 2)
                add(o, " -> ...");
            continue;
        }
        add(o, "%s%s", k ? " -> " : "", show(mi, s->y[k], false, b, sizeof b));
    }
    add(o, "%s%s", unit_sep(mi), mi->disp_unit);
}

static void eval_trend(const ectx *x, const series *s, size_t ng)
{
    const exp_claim *c = x->c;
    const char *axis = x->e->cols[c->along], *dir = c->increasing ? "increasing" : "decreasing";
    bool holds = true;
    char b1[32], b2[32];
    for (size_t g = 0; g < ng; g++) {
        const series *t = &s[g];
        if (t->n < 2) {
            verdict(x->o, EXP_NA, "%s%s%s takes one value (%s)", t->group ? t->label : "",
                    t->group ? ": " : "", axis, t->xt[0]);
            return;
        }
        if (!isnan(c->spearman)) {
            double *rx = malloc(4 * t->n * sizeof *rx);
            if (!rx) {
                verdict(x->o, EXP_NA, "out of memory");
                return;
            }
            for (size_t k = 0; k < t->n; k++)
                rx[k] = (double)k;
            double rho = gsl_stats_spearman(rx, 1, t->y, 1, t->n, rx + t->n);
            free(rx);
            add(x->o, "%s%s%srank correlation %.3f", *x->o->offsim ? "; " : "",
                t->group ? t->label : "", t->group ? ": " : "", rho);
            if (holds && !(c->increasing ? rho >= c->spearman : rho <= -c->spearman)) {
                holds = false;
                verdict(x->o, EXP_FAILS, "%s%srank correlation %.3f along %s, %s needs %s%g",
                        t->group ? t->label : "", t->group ? ": " : "", rho, axis, dir,
                        c->increasing ? ">= " : "<= -", c->spearman);
            }
            continue;
        }
        add_means(x->o, c->metric, t);
        for (size_t k = 1; k < t->n && holds; k++) {
            double prev = t->y[k - 1], cur = t->y[k];
            double against = c->increasing ? prev - cur : cur - prev;
            if (against > c->tol * fabs(prev)) {
                holds = false;
                verdict(x->o, EXP_FAILS, "%s%sfrom %s=%s to %s the mean goes %s, %s -> %s%s%s "
                        "(%.3g %% against %s; tolerance %.3g %%)", t->group ? t->label : "",
                        t->group ? ": " : "", axis, t->xt[k - 1], t->xt[k],
                        c->increasing ? "down" : "up", show(c->metric, prev, false, b1, sizeof b1),
                        show(c->metric, cur, false, b2, sizeof b2), unit_sep(c->metric),
                        c->metric->disp_unit, prev ? 100 * against / fabs(prev) : INFINITY, dir,
                        100 * c->tol);
            }
        }
        if (holds && !(c->increasing ? t->y[t->n - 1] > t->y[0] : t->y[t->n - 1] < t->y[0])) {
            holds = false;
            verdict(x->o, EXP_FAILS, "%s%sno net change along %s: %s at both ends",
                    t->group ? t->label : "", t->group ? ": " : "", axis,
                    show(c->metric, t->y[0], true, b1, sizeof b1));
        }
    }
    if (holds)
        verdict(x->o, EXP_HOLDS, NULL);
}

static void eval_slope(const ectx *x, const series *s, size_t ng)
{
    const exp_claim *c = x->c;
    const char *axis = x->e->cols[c->along];
    bool holds = true;
    char b1[32];
    for (size_t g = 0; g < ng; g++) {
        const series *t = &s[g];
        double *lx = malloc(2 * (t->n + 1) * sizeof *lx), *ly = lx + t->n + 1;
        size_t m = 0;
        if (!lx) {
            verdict(x->o, EXP_NA, "out of memory");
            return;
        }
        for (size_t k = 0; k < t->n; k++) {
            if (isnan(t->x[k]) || t->x[k] <= 0) {
                free(lx);
                verdict(x->o, EXP_NA, "%s=%s: a slope on log axes needs values > 0", axis,
                        t->xt[k]);
                return;
            }
            if (t->x[k] < c->from || t->x[k] > c->to)
                continue;
            if (t->y[k] <= 0) {
                free(lx);
                verdict(x->o, EXP_NA, "the mean %s is %s at %s=%s: no logarithm",
                        c->metric->name, show(c->metric, t->y[k], true, b1, sizeof b1), axis,
                        t->xt[k]);
                return;
            }
            lx[m] = log(t->x[k]);
            ly[m++] = log(t->y[k]);
        }
        if (m < 2) {
            free(lx);
            verdict(x->o, EXP_NA, "%s%sfewer than 2 values of %s in the range", t->group ? t->label : "",
                    t->group ? ": " : "", axis);
            return;
        }
        double c0, c1, cov00, cov01, cov11, sumsq;
        gsl_fit_linear(lx, 1, ly, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
        free(lx);
        add(x->o, "%s%s%sslope %.3f over %zu values", *x->o->offsim ? "; " : "",
            t->group ? t->label : "", t->group ? ": " : "", c1, m);
        if (holds && (c1 < c->lo || c1 > c->hi)) {
            holds = false;
            verdict(x->o, EXP_FAILS, "%s%slog-log slope %.3f along %s, outside [%g, %g]",
                    t->group ? t->label : "", t->group ? ": " : "", c1, axis, c->lo, c->hi);
        }
    }
    if (holds)
        verdict(x->o, EXP_HOLDS, NULL);
}

/* The middle of [a, b] on a log axis when both are > 0. */
static double mid(double a, double b)
{
    return a > 0 && b > 0 ? sqrt(a * b) : (a + b) / 2;
}

static bool numeric(const ectx *x, const series *t)
{
    for (size_t k = 0; k < t->n; k++)
        if (isnan(t->x[k]))
            return verdict(x->o, EXP_NA, "%s=%s is not a number: a step needs a numeric axis",
                           x->e->cols[x->c->along], t->xt[k]);
    if (t->n < 2)
        return verdict(x->o, EXP_NA, "%s takes one value (%s)", x->e->cols[x->c->along],
                       t->xt[0]);
    return true;
}

static void eval_step(const ectx *x, const series *s, size_t ng)
{
    const exp_claim *c = x->c;
    bool holds = true;
    char b1[32], b2[32], b3[32];
    for (size_t g = 0; g < ng; g++) {
        const series *t = &s[g];
        if (!numeric(x, t))
            return;
        size_t best = 0;
        for (size_t k = 1; k + 1 < t->n; k++)
            if (fabs(t->y[k + 1] - t->y[k]) > fabs(t->y[best + 1] - t->y[best]))
                best = k;
        double loc = mid(t->x[best], t->x[best + 1]);
        add(x->o, "%s%s%slargest change %s -> %s%s%s between %s and %s (~%s)",
            *x->o->offsim ? "; " : "", t->group ? t->label : "", t->group ? ": " : "",
            show(c->metric, t->y[best], false, b1, sizeof b1),
            show(c->metric, t->y[best + 1], false, b2, sizeof b2), unit_sep(c->metric),
            c->metric->disp_unit, t->xt[best], t->xt[best + 1], show_x(t, loc, b3, sizeof b3));
        if (holds && t->y[best + 1] == t->y[best]) {
            holds = false;
            verdict(x->o, EXP_FAILS, "the mean does not change along %s", x->e->cols[c->along]);
        } else if (holds && (loc < c->lo || loc > c->hi)) {
            holds = false;
            verdict(x->o, EXP_FAILS, "%s%sthe largest change is at ~%s, outside [%s, %s]",
                    t->group ? t->label : "", t->group ? ": " : "", b3,
                    show_x(t, c->lo, b1, sizeof b1), show_x(t, c->hi, b2, sizeof b2));
        }
    }
    if (holds)
        verdict(x->o, EXP_HOLDS, NULL);
}

/* A crossover: where mean(a) - mean(b) changes sign along the axis. */
static void eval_cross(const ectx *x)
{
    const exp_claim *c = x->c;
    size_t na_ = 0, nb_ = 0;
    series *sa = series_of(x, c->a, "selected by a", &na_),
           *sb = sa ? series_of(x, c->b[0], "selected by b", &nb_) : NULL;
    if (!sa || !sb) {
        series_free(sa, na_), series_free(sb, nb_);
        return;
    }
    const series *ta = &sa[0], *tb = &sb[0];
    double *d = malloc((ta->n + 1) * 2 * sizeof *d), *xs = d ? d + ta->n + 1 : NULL;
    size_t n = 0;
    for (size_t k = 0; d && k < ta->n; k++)
        for (size_t j = 0; j < tb->n; j++)
            if (!strcmp(ta->xt[k], tb->xt[j])) {
                xs[n] = ta->x[k];
                d[n++] = ta->y[k] - tb->y[j];
            }
    char b1[32], b2[32], b3[32];
    if (!d) {
        verdict(x->o, EXP_NA, "out of memory");
    } else if (numeric(x, ta) && n < 2) {
        verdict(x->o, EXP_NA, "a and b share fewer than 2 values of %s", x->e->cols[c->along]);
    } else if (x->o->verdict != EXP_NA) {
        bool holds = true, any = false;
        for (size_t k = 0; k < n; k++) {
            double loc;
            if (d[k] == 0 && (k == 0 || d[k - 1] != 0))
                loc = xs[k];
            else if (k + 1 < n && d[k] * d[k + 1] < 0) {
                double f = d[k] / (d[k] - d[k + 1]);
                loc = xs[k] > 0 && xs[k + 1] > 0 ? exp(log(xs[k]) + f * (log(xs[k + 1]) - log(xs[k])))
                                                 : xs[k] + f * (xs[k + 1] - xs[k]);
            } else
                continue;
            add(x->o, "%s~%s", any ? ", " : "a - b changes sign at ", show_x(ta, loc, b1, sizeof b1));
            any = true;
            if (holds && (loc < c->lo || loc > c->hi)) {
                holds = false;
                verdict(x->o, EXP_FAILS, "a crossover at ~%s, outside [%s, %s]", b1,
                        show_x(ta, c->lo, b2, sizeof b2), show_x(ta, c->hi, b3, sizeof b3));
            }
        }
        if (!any) {
            add(x->o, "a - b %s 0 from %s to %s", d[0] > 0 ? ">" : "<", show_x(ta, xs[0], b1, sizeof b1),
                show_x(ta, xs[n - 1], b2, sizeof b2));
            verdict(x->o, EXP_FAILS, "no crossover: a - b keeps its sign along %s",
                    x->e->cols[c->along]);
        } else if (holds) {
            verdict(x->o, EXP_HOLDS, NULL);
        }
    }
    free(d);
    series_free(sa, na_), series_free(sb, nb_);
}

static void eval_value(const ectx *x)
{
    const exp_claim *c = x->c;
    size_t *P = malloc((x->e->n_points ? x->e->n_points : 1) * sizeof *P);
    double *v = malloc((x->e->n_points ? x->e->n_points : 1) * sizeof *v);
    size_t n = P && v ? collect(x, NULL, "selected", P) : 0;
    if (!P || !v)
        verdict(x->o, EXP_NA, "out of memory");
    if (n) {
        for (size_t k = 0; k < n; k++)
            v[k] = x->val[P[k]];
        double mean = gsl_stats_mean(v, 1, n);
        double half = n > 1 ? res_t_half(gsl_stats_sd_m(v, 1, n, mean), n) : NAN;
        double tol = c->tol_rel ? c->tol * fabs(c->paper) : c->tol;
        char b1[32], b2[32];
        add(x->o, "%s", show(c->metric, mean, false, b1, sizeof b1));
        if (!isnan(half))
            add(x->o, " +- %s", show(c->metric, half, false, b2, sizeof b2));
        add(x->o, "%s%s (%zu run%s; paper %s, tolerance %s)", unit_sep(c->metric),
            c->metric->disp_unit, n, n == 1 ? "" : "s", c->paper_text, c->tol_text);
        if (fabs(mean - c->paper) <= tol)
            verdict(x->o, EXP_HOLDS, NULL);
        else
            verdict(x->o, EXP_FAILS, "%s%s%s differs from the paper's %s by %s%s%s (%.3g %%)", b1,
                    unit_sep(c->metric), c->metric->disp_unit, c->paper_text, show(c->metric, fabs(mean - c->paper), false, b2, sizeof b2),
                    unit_sep(c->metric), c->metric->disp_unit,
                    c->paper ? 100 * fabs(mean - c->paper) / fabs(c->paper) : INFINITY);
    }
    free(P), free(v);
}

/* ---- better: paired differences over the seeds ----------------------------- */

typedef struct side_set {
    size_t *P, n;
} side_set;

/* Whether points i and j are the same configuration: the same values but
 * in the seed and in the columns the sides name (mask). */
static bool same_config(const ectx *x, const bool *mask, size_t i, size_t j)
{
    for (size_t c = 0; c < x->e->n_cols; c++)
        if ((int)c != x->seed && !mask[c] &&
            strcmp(cell_text(x, i, (int)c), cell_text(x, j, (int)c)))
            return false;
    return true;
}

static bool same_seed(const ectx *x, size_t i, size_t j)
{
    return x->seed < 0 || !strcmp(cell_text(x, i, x->seed), cell_text(x, j, x->seed));
}

static const char *config_str(const ectx *x, const bool *mask, size_t i, char *buf, size_t cap)
{
    size_t len = 0;
    char lb[64];
    buf[0] = '\0';
    for (size_t c = 0; c < x->e->n_cols && len < cap; c++)
        if ((int)c != x->seed && !mask[c])
            len += (size_t)snprintf(buf + len, cap - len, "%s%s=%s", len ? ", " : "",
                                    x->e->cols[c],
                                    cfg_file_label(cell_text(x, i, (int)c), lb, sizeof lb));
    if (!len)
        snprintf(buf, cap, "the one configuration");
    return buf;
}

/* The point of side s at the configuration and seed of point p: its index
 * in s->P, SIZE_MAX if none, SIZE_MAX - 1 if several. */
static size_t match(const ectx *x, const bool *mask, const side_set *s, size_t p)
{
    size_t hit = SIZE_MAX;
    for (size_t k = 0; k < s->n; k++)
        if (same_config(x, mask, s->P[k], p) && same_seed(x, s->P[k], p)) {
            if (hit != SIZE_MAX)
                return SIZE_MAX - 1;
            hit = k;
        }
    return hit;
}

/* One comparison: a - b at one configuration. */
typedef struct cmp_out {
    size_t n;                 /* pairs                                        */
    double mean, half, slack; /* slack > 0: holds                             */
} cmp_out;

/* a - b over the seeds a and b share at the configuration of point r;
 * false after an n/a (a side ambiguous). */
static bool compare(const ectx *x, const bool *mask, const side_set *sa, const side_set *sb,
                    size_t r, double *d, cmp_out *out)
{
    const exp_claim *c = x->c;
    double sum_b = 0;
    char cfg[200];
    out->n = 0;
    for (size_t k = 0; k < sa->n; k++) {
        size_t p = sa->P[k];
        if (!same_config(x, mask, p, r))
            continue;
        size_t q = match(x, mask, sb, p), again = match(x, mask, sa, p);
        if (q == SIZE_MAX - 1 || again == SIZE_MAX - 1)
            return verdict(x->o, EXP_NA, "%s selects several points at %s%s%s: make it select "
                           "one", q == SIZE_MAX - 1 ? "b" : "a", config_str(x, mask, r, cfg, sizeof cfg),
                           x->seed >= 0 ? ", seed " : "", x->seed >= 0 ? cell_text(x, p, x->seed) : "");
        if (q == SIZE_MAX)
            continue;
        d[out->n++] = x->val[p] - x->val[sb->P[q]];
        sum_b += x->val[sb->P[q]];
    }
    out->mean = out->n ? gsl_stats_mean(d, 1, out->n) : NAN;
    out->half = out->n > 1 ? res_t_half(gsl_stats_sd_m(d, 1, out->n, out->mean), out->n) : NAN;
    double m = c->margin_rel && out->n ? c->margin * fabs(sum_b / (double)out->n) : c->margin;
    out->slack = c->lower ? -m - (out->mean + out->half) : (out->mean - out->half) - m;
    return true;
}

static void show_cmp(const ectx *x, const cmp_out *r, const char *where, const char *b)
{
    char b1[32], b2[32];
    add(x->o, "a - b = %s +- %s%s%s (%zu seeds) at %s%s%s", show(x->c->metric, r->mean, false, b1, sizeof b1),
        show(x->c->metric, r->half, false, b2, sizeof b2), unit_sep(x->c->metric),
        x->c->metric->disp_unit, r->n, where, b ? " vs " : "", b ? b : "");
}

static void eval_better(const ectx *x)
{
    const exp_claim *c = x->c;
    const exp_experiment *e = x->e;
    size_t np = e->n_points ? e->n_points : 1;
    bool *mask = calloc(e->n_cols + 1, sizeof *mask);
    side_set *sides = calloc(c->n_b + 1, sizeof *sides);
    size_t *reps = malloc(np * sizeof *reps);
    double *d = malloc(np * sizeof *d);
    bool ok = mask && sides && reps && d;
    for (size_t j = 0; ok && j <= c->n_b; j++)
        ok = (sides[j].P = malloc(np * sizeof *sides[j].P)) != NULL;
    if (!ok) {
        verdict(x->o, EXP_NA, "out of memory");
        goto out;
    }
    for (size_t col = 0; col < e->n_cols; col++) {
        mask[col] = exp_filter_uses(c->a, col);
        for (size_t j = 0; j < c->n_b; j++)
            mask[col] |= exp_filter_uses(c->b[j], col);
    }
    char what[160];
    snprintf(what, sizeof what, "selected by a (%s)", c->a_text);
    if (!(sides[0].n = collect(x, c->a, what, sides[0].P)))
        goto out;
    for (size_t j = 0; j < c->n_b; j++) {
        snprintf(what, sizeof what, "selected by b (%s)", c->b_text[j]);
        if (!(sides[j + 1].n = collect(x, c->b[j], what, sides[j + 1].P)))
            goto out;
    }
    /* the configurations: a's points, one per configuration, where at holds */
    size_t n_cfg = 0;
    for (size_t k = 0; k < sides[0].n; k++) {
        size_t p = sides[0].P[k], r = 0;
        while (r < n_cfg && !same_config(x, mask, reps[r], p))
            r++;
        if (r == n_cfg && (!c->at || exp_filter_eval(c->at, e->cell + p * e->n_cols)))
            reps[n_cfg++] = p;
    }
    if (!n_cfg) {
        verdict(x->o, EXP_NA, "at selects no configuration of a's points");
        goto out;
    }
    size_t n_hold = 0, n_na = 0;
    cmp_out worst = {.slack = INFINITY}, best = {.slack = -INFINITY};
    size_t worst_r = 0, best_r = 0, worst_b = 0, best_b = 0, na_r = 0, na_b = 0;
    for (size_t r = 0; r < n_cfg; r++) {
        cmp_out cw = {.slack = INFINITY};
        size_t cw_b = 0;
        bool cfg_na = false;
        for (size_t j = 0; j < c->n_b; j++) {
            cmp_out o = {0};
            if (!compare(x, mask, &sides[0], &sides[j + 1], reps[r], d, &o))
                goto out;
            if (o.n < 2) {
                if (!cfg_na && !n_na)
                    na_r = r, na_b = j;
                cfg_na = true;
                continue;
            }
            if (o.slack < cw.slack)
                cw = o, cw_b = j;
        }
        n_na += cfg_na;
        if (cfg_na)
            continue;
        n_hold += cw.slack > 0;
        if (cw.slack < worst.slack)
            worst = cw, worst_r = r, worst_b = cw_b;
        if (cw.slack > best.slack)
            best = cw, best_r = r, best_b = cw_b;
    }
    char cfg[200];
    bool show_worst = !c->some || !n_hold;
    const cmp_out *shown = show_worst ? &worst : &best;
    size_t sr = show_worst ? worst_r : best_r, sb = show_worst ? worst_b : best_b;
    if (n_na < n_cfg) {
        show_cmp(x, shown, config_str(x, mask, reps[sr], cfg, sizeof cfg),
                 c->n_b > 1 ? c->b_text[sb] : NULL);
        add(x->o, "; better at %zu of %zu", n_hold, n_cfg);
    }
    if (c->some && n_hold) {
        verdict(x->o, EXP_HOLDS, NULL);
    } else if (n_na) {
        verdict(x->o, EXP_NA, "fewer than 2 seeds shared by a and b (%s) at %s", c->b_text[na_b],
                config_str(x, mask, reps[na_r], cfg, sizeof cfg));
    } else if (n_hold == n_cfg) {
        verdict(x->o, EXP_HOLDS, NULL);
    } else {
        char b1[32];
        double edge = c->lower ? worst.mean + worst.half : worst.mean - worst.half;
        verdict(x->o, EXP_FAILS, "at %s the 95 %% interval of a - b (%s) reaches %s%s%s, not %s %s",
                config_str(x, mask, reps[worst_r], cfg, sizeof cfg), c->b_text[worst_b],
                show(c->metric, edge, false, b1, sizeof b1), unit_sep(c->metric),
                c->metric->disp_unit, c->lower ? "below" : "above",
                c->margin_text ? c->margin_text : "0");
    }
out:
    for (size_t j = 0; sides && j <= c->n_b; j++)
        free(sides[j].P);
    free(sides), free(mask), free(reps), free(d);
}

/* ---- the whole ------------------------------------------------------------- */

static void eval_one(const ectx *x)
{
    const exp_claim *c = x->c;
    if (c->kind == K_BETTER) {
        eval_better(x);
        return;
    }
    if (c->kind == K_VALUE) {
        eval_value(x);
        return;
    }
    if (c->kind == K_STEP && c->a) {
        eval_cross(x);
        return;
    }
    size_t ng = 0;
    series *s = series_of(x, NULL, "selected", &ng);
    if (!s)
        return;
    if (c->kind == K_TREND)
        eval_trend(x, s, ng);
    else if (c->kind == K_SLOPE)
        eval_slope(x, s, ng);
    else
        eval_step(x, s, ng);
    series_free(s, ng);
}

off_status exp_claims_eval(const exp_experiment *e, res_db *db, exp_claim_out **out,
                           off_err *err)
{
    *out = NULL;
    size_t np = e->n_points ? e->n_points : 1;
    exp_claim_out *o = calloc(e->n_claims ? e->n_claims : 1, sizeof *o);
    int64_t *run = calloc(np, sizeof *run);
    double *val = calloc(np, sizeof *val);
    off_status st = o && run && val ? OFF_OK : oom(err);
    if (st == OFF_OK && e->n_claims)
        st = res_point_runs(db, (const char (*)[17])e->hash, e->n_points, run, err);
    int seed = -1;
    for (size_t c = 0; c < e->n_cols; c++)
        if (!strcmp(e->cols[c], "seed"))
            seed = (int)c;
    for (size_t i = 0; i < e->n_claims && st == OFF_OK; i++) {
        const exp_claim *c = &e->claim[i];
        o[i] = (exp_claim_out){.name = c->name, .kind = kinds[c->kind], .says = c->says,
                               .source = c->source, .verdict = EXP_FAILS};
        if (e->quick && !c->quick) {
            verdict(&o[i], EXP_SKIPPED, "quick: false");
            continue;
        }
        if ((st = res_metric_values(db, c->metric, run, e->n_points, val, err)))
            break;
        ectx x = {e, c, run, val, seed, &o[i]};
        eval_one(&x);
    }
    free(run), free(val);
    if (st) {
        free(o);
        return st;
    }
    *out = o;
    return OFF_OK;
}

/* The verdict as the table shows it. */
static const char *verdict_cell(const exp_claim_out *o, char *buf, size_t cap)
{
    if (o->verdict == EXP_NA)
        snprintf(buf, cap, "n/a: %s", o->detail);
    else if (o->verdict == EXP_SKIPPED)
        snprintf(buf, cap, "skipped (quick)");
    else if (o->verdict == EXP_FAILS && o->detail[0])
        snprintf(buf, cap, "fails: %s", o->detail);
    else
        snprintf(buf, cap, "%s", exp_verdict_names[o->verdict]);
    return buf;
}

/* The width of s in a Markdown cell: characters (UTF-8 continuation
 * bytes do not count), '|' escaped. */
static size_t md_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80 ? 1u + (*s == '|') : 0u;
    return n;
}

/* s with '|' escaped and newlines as blanks onto f, padded to w. */
static void md_cell(FILE *f, const char *s, size_t w)
{
    for (size_t n = md_len(s); *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
        if (!s[1])
            for (; n < w; n++)
                fputc(' ', f);
    }
}

void exp_claims_table(const exp_claim_out *o, size_t n, FILE *f)
{
    enum { COLS = 4 };
    static const char *const head[COLS] = {"claim", "paper says", "offsim", "verdict"};
    char (*cells)[COLS][700] = calloc(n ? n : 1, sizeof *cells);
    if (!cells)
        return;
    size_t w[COLS];
    for (int k = 0; k < COLS; k++)
        w[k] = strlen(head[k]);
    for (size_t i = 0; i < n; i++) {
        snprintf(cells[i][0], sizeof cells[i][0], "%s (%s)", o[i].name, o[i].kind);
        snprintf(cells[i][1], sizeof cells[i][1], "%s%s%s%s", o[i].says,
                 o[i].source ? " [" : "", o[i].source ? o[i].source : "",
                 o[i].source ? "]" : "");
        snprintf(cells[i][2], sizeof cells[i][2], "%s", o[i].offsim[0] ? o[i].offsim : "-");
        verdict_cell(&o[i], cells[i][3], sizeof cells[i][3]);
        for (int k = 0; k < COLS; k++)
            w[k] = md_len(cells[i][k]) > w[k] ? md_len(cells[i][k]) : w[k];
    }
    for (int k = 0; k < COLS; k++) {
        fputs(k ? " | " : "| ", f);
        md_cell(f, head[k], w[k]);
    }
    fputs(" |\n", f);
    for (int k = 0; k < COLS; k++) {
        fputs(k ? "|" : "|", f);
        for (size_t j = 0; j < w[k] + 2; j++)
            fputc('-', f);
    }
    fputs("|\n", f);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < COLS; k++) {
            fputs(k ? " | " : "| ", f);
            md_cell(f, cells[i][k], w[k]);
        }
        fputs(" |\n", f);
    }
    free(cells);
}

/* DB-figures/claims.md: the table and when and on what it was checked. */
static off_status write_md(const exp_experiment *e, const char *db_path, const exp_claim_out *o,
                           const char *when, off_err *err)
{
    size_t n = strlen(db_path);
    if (n > 3 && !strcmp(db_path + n - 3, ".db"))
        n -= 3;
    char dir[4096], path[4200], tmp[4210];
    snprintf(dir, sizeof dir, "%.*s-figures", (int)n, db_path);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return off_errf(err, OFF_EIO, dir, 0, 0, "%s", strerror(errno));
    snprintf(path, sizeof path, "%s/claims.md", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return off_errf(err, OFF_EIO, tmp, 0, 0, "%s", strerror(errno));
    size_t held = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < e->n_claims; i++) {
        held += o[i].verdict == EXP_HOLDS;
        skipped += o[i].verdict == EXP_SKIPPED;
        failed += o[i].verdict == EXP_FAILS || o[i].verdict == EXP_NA;
    }
    fprintf(f, "# Claims of %s%s\n\nChecked %s on `%s`: %zu hold, %zu fail", e->name,
            e->quick ? " (--quick)" : "", when, db_path, held, failed);
    if (skipped)
        fprintf(f, ", %zu skipped under --quick", skipped);
    fputs(".\n\n", f);
    exp_claims_table(o, e->n_claims, f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return off_errf(err, OFF_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    return OFF_OK;
}

off_status exp_claims_check(const exp_experiment *e, const char *db_path, FILE *out,
                            size_t *failed, off_err *err)
{
    *failed = 0;
    res_db *db = NULL;
    exp_claim_out *o = NULL;
    res_claim_row *rows = calloc(e->n_claims ? e->n_claims : 1, sizeof *rows);
    off_status st = rows ? res_open(&db, db_path, err) : oom(err);
    if (st == OFF_OK)
        st = exp_claims_eval(e, db, &o, err);
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    for (size_t i = 0; st == OFF_OK && i < e->n_claims; i++) {
        rows[i] = (res_claim_row){o[i].name, o[i].kind, o[i].says, o[i].source,
                                  o[i].offsim, exp_verdict_names[o[i].verdict],
                                  o[i].detail[0] ? o[i].detail : NULL};
        *failed += o[i].verdict == EXP_FAILS || o[i].verdict == EXP_NA;
    }
    if (st == OFF_OK)
        st = res_claims_put(db, e->name, rows, e->n_claims, when, err);
    if (st == OFF_OK)
        st = write_md(e, db_path, o, when, err);
    if (st == OFF_OK && out)
        exp_claims_table(o, e->n_claims, out);
    res_close(db);
    free(rows), free(o);
    return st;
}
