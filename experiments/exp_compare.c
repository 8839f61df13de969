/*
 * exp_compare.c - the comparison of `offsim compare` as one experiment:
 * its points (checkpoints, the registry's fixed policies, the oracle and
 * every constant action) written as an experiment file in memory, then the
 * rewards read back per point and seed, and the oracle's reward bound
 * (recorded by the oracle's runs; computed again only where a run of an
 * older database did not record it).
 */
#define _POSIX_C_SOURCE 200809L
#include "exp_compare.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "mdl_weights.h"
#include "pol.h"
#include "res.h"
#include "sim.h"

static off_status oom(off_err *err)
{
    return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, f);
        vsnprintf(s, (size_t)n + 1, f, ap);
        va_end(ap);
    }
    return s;
}

/* The agent kind ("ppo", "sac-discrete") and CRC of checkpoint path. */
static off_status ckpt_kind(const char *path, char *kind, size_t cap, uint32_t *crc,
                            off_err *err)
{
    mdl_weights w;
    off_status st = mdl_weights_read(&w, path, err);
    if (st)
        return st;
    const mdl_tensor_rec *k = mdl_weights_find(&w, "kind");
    if (!k || k->dtype != MDL_DT_U8 || k->nbytes == 0 || k->nbytes >= cap)
        st = off_errf(err, OFF_EINVAL, path, 0, 0,
                      "not an agent's checkpoint (an OFFW file without an agent kind; "
                      "`offsim train` writes checkpoints)");
    else {
        memcpy(kind, k->data, k->nbytes);
        kind[k->nbytes] = '\0';
        *crc = w.crc;
    }
    mdl_weights_free(&w);
    return st;
}

/* OUT of OUT.seedN.ckpt (or OUT.seedN.best.ckpt -> OUT.best.ckpt): the
 * agent whose training seeds are pooled; the path itself otherwise. */
static char *agent_of(const char *path)
{
    const char *p = strstr(path, ".seed"), *q = p ? p + 5 : NULL;
    while (p && strstr(q, ".seed"))
        p = strstr(q, ".seed"), q = p + 5;
    if (!p || !(*q >= '0' && *q <= '9'))
        return off_strdup(path);
    while (*q >= '0' && *q <= '9')
        q++;
    if (*q != '.' && *q != '\0')
        return off_strdup(path);
    return fmt("%.*s%s", (int)(p - path), path, q);
}

static exp_cmp_row *add_row(exp_compare *c, exp_cmp_kind kind, char *point, char *label)
{
    exp_cmp_row *nr = realloc(c->row, (c->n_rows + 1) * sizeof *nr);
    if (!nr || !point || !label) {
        if (nr)
            c->row = nr;
        free(point), free(label);
        return NULL;
    }
    c->row = nr;
    exp_cmp_row *r = &nr[c->n_rows++];
    *r = (exp_cmp_row){.kind = kind, .point = point, .label = label};
    return r;
}

/* Whether the policy value `yaml` builds a world on the scenario with the
 * command's overrides; shape (may be NULL) gets the model's exits, layers
 * and bit-widths when it does (exits malloc'd). */
static off_status builds(const exp_compare_opts *o, const char *yaml, mdl_model *shape,
                         off_err *err)
{
    scn_override *ov = malloc((o->n_set + 1) * sizeof *ov);
    if (!ov)
        return oom(err);
    if (o->n_set) /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(ov, o->set, o->n_set * sizeof *ov);
    ov[o->n_set] = (scn_override){"policy", yaml};
    scn_scenario s;
    off_status st = exp_scenario_load(&s, o->scenario, ov, o->n_set + 1, err);
    free(ov);
    if (st)
        return st;
    sim_world *w = NULL;
    st = sim_world_new(&w, &s, err);
    if (!st && shape) {
        const mdl_model *m = sim_world_model(w);
        shape->n_layers = m->n_layers;
        shape->n_exits = m->n_exits;
        shape->n_bits = m->n_bits;
        memcpy(shape->bits, m->bits, sizeof shape->bits);
        shape->exits = malloc(m->n_exits * sizeof *shape->exits);
        if (!shape->exits)
            st = oom(err);
        else
            memcpy(shape->exits, m->exits, m->n_exits * sizeof *m->exits);
    }
    sim_world_free(w);
    scn_free(&s);
    return st;
}

static off_status plan_agents(exp_compare *c, const exp_compare_opts *o, const char *type,
                              FILE *f, off_err *err)
{
    for (size_t i = 0; i < o->n_ckpt; i++) {
        char kind[64];
        uint32_t crc = 0;
        off_status st = ckpt_kind(o->ckpt[i], kind, sizeof kind, &crc, err);
        if (st)
            return st;
        /* the CRC in the name: a checkpoint rewritten under the same path is
         * a new point (its runs' configuration names only the path) */
        exp_cmp_row *r = add_row(c, EXP_CMP_AGENT, fmt("%s#%08x", o->ckpt[i], (unsigned)crc),
                                 fmt("%s (%s)", o->ckpt[i], kind));
        if (!r || !(r->agent = agent_of(o->ckpt[i])))
            return oom(err);
        fputs("  - {name: ", f);
        cfg_emit_scalar(f, r->point);
        if (!type || strcmp(type, kind) != 0)
            fprintf(f, ", policy.type: %s", kind);
        fputs(", policy.checkpoint: ", f);
        cfg_emit_scalar(f, o->ckpt[i]);
        fputs("}\n", f);
    }
    return OFF_OK;
}

static off_status plan_fixed(exp_compare *c, const exp_compare_opts *o, FILE *f,
                             mdl_model *shape, off_err *err)
{
    size_t n;
    const pol_class *const *reg = pol_registry(&n);
    for (size_t i = 0; i < n; i++) {
        const char *name = reg[i]->name;
        if (pol_is_learning(reg[i]) || pol_sees_realised(reg[i]) || !strcmp(name, "fixed"))
            continue;
        bool first = !strcmp(name, "local"); /* local always builds, or nothing does */
        off_err e2 = {0};
        off_status st = builds(o, name, first ? shape : NULL, first ? err : &e2);
        if (st && first)
            return st;
        if (st) {
            char **ns = realloc(c->skipped, (c->n_skipped + 1) * sizeof *ns);
            if (!ns || !(ns[c->n_skipped] = fmt("%s: %s", name, e2.msg)))
                return ns ? (c->skipped = ns, oom(err)) : oom(err);
            c->skipped = ns;
            c->n_skipped++;
            continue;
        }
        if (!add_row(c, EXP_CMP_FIXED, off_strdup(name), off_strdup(name)))
            return oom(err);
        fprintf(f, "  - {name: %s, policy: %s}\n", name, name);
    }
    if (!shape->exits)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "the registry has no policy 'local'");
    static const char oracle[] = "{type: oracle, objective: reward}";
    off_status st = builds(o, oracle, NULL, err);
    if (st)
        return st;
    if (!add_row(c, EXP_CMP_ORACLE, off_strdup("oracle"), off_strdup("oracle (objective: reward)")))
        return oom(err);
    fprintf(f, "  - {name: oracle, policy: %s}\n", oracle);
    return OFF_OK;
}

/* Every valid constant action, as the agents' mask has them: exit e, split
 * 0..after(e), and for a split that sends something each bit-width (the
 * task that stays on the device sends nothing: one action).  With the
 * agents' `early_exit: T` (ee not NULL), their actions leave at the first
 * earlier exit whose entropy is below T, so each constant action past the
 * first exit is also planned with that threshold (the first exit has no
 * earlier one): the best constant action is then the best of the agents'
 * own action space as well as of the plain one. */
static off_status plan_constants(exp_compare *c, const mdl_model *m, const char *ee, FILE *f,
                                 off_err *err)
{
    for (int with = 0; with < (ee ? 2 : 1); with++)
        for (size_t e = with; e < m->n_exits; e++)
            for (size_t s = 0; s <= m->exits[e].after; s++) {
                bool local = s == m->exits[e].after;
                for (size_t b = 0; b < (local ? 1 : m->n_bits); b++) {
                    const char *sfx = with ? "-ee" : "";
                    char *point = local ? fmt("const-e%zu-s%zu%s", e, s, sfx)
                                        : fmt("const-e%zu-s%zu-b%d%s", e, s, m->bits[b], sfx);
                    char *label = local ? fmt("exit %zu, split %zu (on the device)%s%s", e, s,
                                              with ? ", early exit " : "", with ? ee : "")
                                        : fmt("exit %zu, split %zu, %d bits%s%s", e, s,
                                              m->bits[b], with ? ", early exit " : "",
                                              with ? ee : "");
                    if (!add_row(c, EXP_CMP_CONST, point, label))
                        return oom(err);
                    fprintf(f, "  - {name: %s, policy: {type: fixed, exit: %zu, split: %zu",
                            c->row[c->n_rows - 1].point, e, s);
                    if (!local)
                        fprintf(f, ", bits: %d", m->bits[b]);
                    if (with)
                        fprintf(f, ", threshold: %s", ee);
                    fputs("}}\n", f);
                }
            }
    return OFF_OK;
}

/* Without the key, the threshold the agents' checkpoints carry, which their
 * runs apply (the first checkpoint that has one), as text that reads back
 * as the same double. */
static off_status stored_early_exit(const exp_compare_opts *o, char **ee, off_err *err)
{
    for (size_t i = 0; i < o->n_ckpt && !*ee; i++) {
        double v;
        off_status st = pol_rl_early_exit(o->ckpt[i], &v, err);
        if (st)
            return st;
        char text[32];
        for (int prec = 1; v > 0.0 && !*ee && prec <= 17; prec++) {
            snprintf(text, sizeof text, "%.*g", prec, v);
            if ((prec == 17 || strtod(text, NULL) == v) && !(*ee = off_strdup(text)))
                return oom(err);
        }
    }
    return OFF_OK;
}

off_status exp_compare_plan(exp_compare *c, const exp_compare_opts *o, off_err *err)
{
    memset(c, 0, sizeof *c);
    c->n_seeds = o->seeds;
    scn_scenario s;
    off_status st = exp_scenario_load(&s, o->scenario, o->set, o->n_set, err);
    if (st)
        return st;
    char *type = s.policy.type ? off_strdup(s.policy.type) : NULL;
    /* the agents' early exit (pol_rl.c checks its value: a number 0..1) */
    const scn_param *eep = scn_policy_param(&s.policy, "early_exit");
    char *ee = eep && eep->value && strtod(eep->value, NULL) > 0 ? off_strdup(eep->value) : NULL;
    bool ee_given = eep != NULL;
    c->name = fmt("%s-compare", s.name);
    scn_free(&s);
    size_t len = 0;
    FILE *f = c->name ? open_memstream(&c->text, &len) : NULL;
    if (!f) {
        free(type);
        free(ee);
        return oom(err);
    }
    fprintf(f, "# offsim compare: every policy on the held-out evaluation seeds 1..%u\n",
            o->seeds);
    fputs("name: ", f);
    cfg_emit_scalar(f, c->name);
    fputs("\nscenario: ", f);
    cfg_emit_scalar(f, o->scenario);
    fputs("\npoints:\n", f);
    mdl_model shape = {0};
    st = plan_agents(c, o, type, f, err);
    if (!st)
        st = plan_fixed(c, o, f, &shape, err);
    if (!st && !ee_given)
        st = stored_early_exit(o, &ee, err);
    if (!st)
        st = plan_constants(c, &shape, ee, f, err);
    fprintf(f, "seeds: %u\n", o->seeds);
    free(shape.exits);
    free(type);
    free(ee);
    if (fclose(f) && !st)
        st = oom(err);
    for (size_t i = 0; !st && i < c->n_rows; i++)
        if (!(c->row[i].r = malloc(o->seeds * sizeof(double))))
            st = oom(err);
    if (st)
        exp_compare_free(c);
    return st;
}

/* The point index of row r, seed j in e (points are row-major, the seed
 * innermost); checked against e's table. */
static off_status point_of(const exp_compare *c, const exp_experiment *e, size_t r, size_t j,
                           size_t *i, off_err *err)
{
    *i = r * c->n_seeds + j;
    if (e->n_points != c->n_rows * c->n_seeds || e->n_cols != 2 ||
        strcmp(exp_cell(e, *i, 0)->text, c->row[r].point) != 0)
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "internal error: the experiment's points are not the comparison's");
    return OFF_OK;
}

/* The oracle's row, or n_rows if the comparison has none. */
static size_t oracle_row(const exp_compare *c)
{
    size_t r = 0;
    while (r < c->n_rows && c->row[r].kind != EXP_CMP_ORACLE)
        r++;
    return r;
}

off_status exp_compare_collect(exp_compare *c, const exp_experiment *e, const char *db_path,
                               off_err *err)
{
    size_t n = c->n_rows * c->n_seeds;
    int64_t *run = calloc(n ? n : 1, sizeof *run), exp_id;
    double *v = malloc((n ? n : 1) * sizeof *v);
    res_db *db = NULL;
    off_status st = run && v ? res_open(&db, db_path, err) : oom(err);
    if (!st)
        st = res_experiment_put_id(db, e->name, e->file, e->text, exp_identity(e), &exp_id, err);
    for (size_t r = 0; !st && r < c->n_rows; r++)
        for (size_t j = 0; !st && j < c->n_seeds; j++) {
            size_t i;
            char status[16];
            int64_t id;
            if (!(st = point_of(c, e, r, j, &i, err)) &&
                !(st = res_point_status(db, exp_id, e->hash[i], status, &id, err)))
                run[i] = strcmp(status, "ok") == 0 ? id : 0;
        }
    const res_metric_info *mi = st ? NULL : res_metric_find("reward_mean", err);
    if (!st && !mi)
        st = OFF_EINVAL;
    if (!st)
        st = res_metric_values(db, mi, run, n, v, err);
    for (size_t r = 0; !st && r < c->n_rows; r++)
        memcpy(c->row[r].r, v + r * c->n_seeds, c->n_seeds * sizeof *v);
    /* the bound, as the oracle's runs recorded it (NaN where one did not) */
    size_t o = oracle_row(c);
    free(c->bound);
    c->bound = NULL;
    if (!st && o < c->n_rows) {
        if (!(c->bound = malloc(c->n_seeds * sizeof *c->bound)))
            st = oom(err);
        else if (!(mi = res_metric_find("reward_bound", err)))
            st = OFF_EINVAL;
        else
            st = res_metric_values(db, mi, run + o * c->n_seeds, c->n_seeds, c->bound, err);
    }
    res_close(db);
    free(run), free(v);
    return st;
}

size_t exp_compare_bound_missing(const exp_compare *c)
{
    size_t k = 0;
    for (size_t j = 0; j < c->n_seeds; j++)
        k += !c->bound || isnan(c->bound[j]);
    return k;
}

off_status exp_compare_bound(exp_compare *c, const exp_experiment *e, size_t *reran,
                             off_err *err)
{
    if (reran)
        *reran = 0;
    size_t r = oracle_row(c);
    if (r == c->n_rows)
        return off_errf(err, OFF_EINVAL, NULL, 0, 0, "the comparison has no oracle");
    if (!c->bound) {
        if (!(c->bound = malloc(c->n_seeds * sizeof *c->bound)))
            return oom(err);
        for (size_t j = 0; j < c->n_seeds; j++)
            c->bound[j] = NAN;
    }
    off_status st = OFF_OK;
    for (size_t j = 0; !st && j < c->n_seeds; j++) {
        if (!isnan(c->bound[j])) /* recorded by the oracle's run */
            continue;
        size_t i;
        scn_scenario s;
        if ((st = point_of(c, e, r, j, &i, err)) || (st = exp_point_load(e, i, &s, err)))
            break;
        pol_train sink = {0};
        sim_world *w = NULL;
        res_summary sum;
        st = sim_world_new_train(&w, &s, &sink, NULL, err);
        if (!st)
            st = sim_world_run(w, NULL, 0, NULL, NULL, &sum, err);
        if (!st && sum.bound_tasks)
            c->bound[j] = sum.reward_bound;
        if (reran)
            ++*reran;
        sim_world_free(w);
        scn_free(&s);
    }
    if (st) { /* no bound rather than part of one */
        free(c->bound);
        c->bound = NULL;
    }
    return st;
}

void exp_compare_free(exp_compare *c)
{
    for (size_t r = 0; r < c->n_rows; r++)
        free(c->row[r].point), free(c->row[r].label), free(c->row[r].agent), free(c->row[r].r);
    for (size_t k = 0; k < c->n_skipped; k++)
        free(c->skipped[k]);
    free(c->row), free(c->skipped), free(c->name), free(c->text), free(c->bound);
    memset(c, 0, sizeof *c);
}

size_t exp_mean_half(const double *x, size_t n, double *mean, double *half)
{
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            s += x[i], k++;
    *mean = k ? s / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - *mean) * (x[i] - *mean);
    *half = k > 1 ? res_t_half(sqrt(ss / (double)(k - 1)), k) : NAN;
    return k;
}

/* The sample variance of the K row means (by rows) or the J column means. */
static double means_var(const double *d, size_t K, size_t J, bool rows, double *grand)
{
    size_t n = rows ? K : J, m = rows ? J : K;
    double s = 0, ss = 0, *mu = malloc(n * sizeof *mu);
    if (!mu)
        return NAN;
    for (size_t a = 0; a < n; a++) {
        mu[a] = 0;
        for (size_t b = 0; b < m; b++)
            mu[a] += rows ? d[a * J + b] : d[b * J + a];
        mu[a] /= (double)m;
        s += mu[a];
    }
    *grand = s / (double)n;
    for (size_t a = 0; a < n; a++)
        ss += (mu[a] - *grand) * (mu[a] - *grand);
    free(mu);
    return ss / (double)(n - 1);
}

void exp_pooled_diff(const double *d, size_t K, size_t J, double *mean, double *half,
                     double *df)
{
    double g;
    double vr = means_var(d, K, J, true, mean) / (double)K;
    double vc = means_var(d, K, J, false, &g) / (double)J;
    double v = vr + vc;
    double nu = v > 0 ? v * v / (vr * vr / (double)(K - 1) + vc * vc / (double)(J - 1)) : NAN;
    *half = v > 0 ? gsl_cdf_tdist_Pinv(0.975, nu) * sqrt(v) : v == 0 ? 0 : NAN;
    if (df)
        *df = nu;
}
