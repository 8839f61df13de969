/* scn_mobility.c - a device's `mobility` (static position, random waypoint,
 * position trace) and a server's `position`.  See scn_int.h and
 * docs/scenario-reference.md ("Mobility"). */
#include "scn_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const mob_models[] = {"static", "random-waypoint", "trace"};
static const char *const k_mob_all[] = {"model", "position", "area", "speed", "pause",
                                        "file"};
static const char *const k_mob_static[] = {"model", "position"};
static const char *const k_mob_rwp[] = {"model", "area", "speed", "pause"};
static const char *const k_mob_trace[] = {"model", "file"};

/* A pair [a, b] of quantities of dimension dim (flags as cfg_get_quantity). */
static off_status get_pair(const cfg_node *v, const char *what, cfg_dim dim,
                           unsigned flags, double *a, double *b, off_err *err)
{
    off_status st = cfg_want_seq(v, what, err);
    if (st)
        return st;
    if (v->n != 2)
        return cfg_errp(err, OFF_EINVAL, v->pos, "%s: expected two values [a, b], got %zu",
                        what, v->n);
    if ((st = cfg_get_quantity(v->items[0], what, dim, flags, a, err)) ||
        (st = cfg_get_quantity(v->items[1], what, dim, flags, b, err)))
        return st;
    return OFF_OK;
}

off_status scn_load_position(const cfg_node *v, const char *what, double *x, double *y,
                             off_err *err)
{
    return get_pair(v, what, CFG_DIM_LENGTH, CFG_Q_FINITE, x, y, err);
}

void scn_mobility_free(scn_mobility *m)
{
    free(m->trace_path);
    free(m->trace_t);
    free(m->trace_x);
    free(m->trace_y);
    m->trace_path = NULL;
    m->trace_t = m->trace_x = m->trace_y = NULL;
    m->n_trace = 0;
}

/* Read "time,x,y" rows from path: '#' comments, blank lines, CRLF and one
 * header row (a first row that does not start with a digit) allowed;
 * times strictly increase.  Errors "PATH:LINE:COL: ...". */
static off_status load_trace(scn_mobility *m, scn_pos at, off_err *err)
{
    char *text;
    size_t len;
    off_status st = cfg_read_at(m->trace_path, "mobility trace file", at, &text, &len, err);
    if (st)
        return st;
    const char *path = m->trace_path;
    size_t cap = 0, n = 0;
    double *t = NULL, *x = NULL, *y = NULL;
    bool any = false;
    cfg_csv rd;
    cfg_row row;
    cfg_csv_init(&rd, text, len, path, "rows 'time,x,y'");
    while (!(st = cfg_csv_next(&rd, &row, err)) && row.n) {
        double v[3];
        bool ok = row.n == 3;
        for (size_t k = 0; k < 3 && ok; k++)
            ok = cfg_field_num(&row.f[k], &v[k]);
        if (!ok && !any && !(*row.all.b >= '0' && *row.all.b <= '9')) {
            any = true; /* a header row */
            continue;
        }
        any = true;
        if (!ok) {
            st = off_errf(err, OFF_EPARSE, path, row.line, row.col,
                          "expected a row 'time,x,y' of three numbers");
            break;
        }
        if (v[0] < 0 || (n && v[0] <= t[n - 1])) {
            st = off_errf(err, OFF_EINVAL, path, row.line, row.f[0].col,
                          "time %g must be >= 0 and after the previous row's", v[0]);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            double *a = realloc(t, cap * sizeof *a);
            if (a)
                t = a;
            double *b = a ? realloc(x, cap * sizeof *b) : NULL;
            if (b)
                x = b;
            double *c = b ? realloc(y, cap * sizeof *c) : NULL;
            if (c)
                y = c;
            if (!c) {
                st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
        }
        t[n] = v[0];
        x[n] = v[1];
        y[n] = v[2];
        n++;
    }
    free(text);
    if (st == OFF_OK && n == 0)
        st = off_errf(err, OFF_EINVAL, path, rd.line, 0, "the mobility trace has no rows");
    m->trace_t = t;
    m->trace_x = x;
    m->trace_y = y;
    m->n_trace = n;
    return st;
}

off_status scn_load_mobility(scn_device *d, const cfg_node *dev, const char *where,
                             const char *scn_file, off_err *err)
{
    scn_mobility *m = &d->mobility;
    const cfg_node *v = cfg_map_get(dev, "mobility");
    if (!v)
        return OFF_OK;
    char w[128], msg[200], list[80];
    snprintf(w, sizeof w, "mobility of %s", where);
    cfg_node *mn, *x;
    size_t kind;
    off_status st;
    if ((st = cfg_want_map(v, w, k_mob_all, OFF_COUNT(k_mob_all), err)) ||
        (st = cfg_require(v, "model", w, &mn, err)) ||
        (st = cfg_get_choice(mn, "mobility model", mob_models, OFF_COUNT(mob_models), &kind, err)))
        return st;
    m->pos = v->pos;
    m->model = (scn_mobility_model)(kind + 1);
    const char *const *valid = kind == 0 ? k_mob_static : kind == 1 ? k_mob_rwp : k_mob_trace;
    size_t nv = kind == 0   ? OFF_COUNT(k_mob_static)
                : kind == 1 ? OFF_COUNT(k_mob_rwp)
                            : OFF_COUNT(k_mob_trace);
    snprintf(msg, sizeof msg, "does not apply to %s mobility (its keys: %s)", mob_models[kind],
             cfg_join(valid, nv, list, sizeof list));
    if ((st = cfg_check_keys(v, valid, nv, w, k_mob_all, OFF_COUNT(k_mob_all), msg, err)))
        return st;
    switch (m->model) {
    case SCN_MOB_STATIC:
        x = cfg_map_get(v, "position");
        return x ? scn_load_position(x, "position", &m->x_m, &m->y_m, err) : OFF_OK;
    case SCN_MOB_WAYPOINT: {
        cfg_node *ar, *sp;
        m->pause_s = 1.0;
        if ((st = cfg_require(v, "area", w, &ar, err)) ||
            (st = cfg_require(v, "speed", w, &sp, err)) ||
            (st = get_pair(ar, "area", CFG_DIM_LENGTH, CFG_Q_GT0 | CFG_Q_FINITE,
                           &m->area_w_m, &m->area_h_m, err)) ||
            (st = get_pair(sp, "speed", CFG_DIM_NONE, CFG_Q_GT0 | CFG_Q_FINITE,
                           &m->vmin_mps, &m->vmax_mps, err)))
            return st;
        if (m->vmax_mps < m->vmin_mps)
            return cfg_errp(err, OFF_EINVAL, sp->pos,
                            "speed: [vmin, vmax] needs vmin <= vmax, got [%g, %g] m/s",
                            m->vmin_mps, m->vmax_mps);
        x = cfg_map_get(v, "pause");
        return x ? cfg_get_quantity(x, "pause", CFG_DIM_TIME, CFG_Q_GE0 | CFG_Q_FINITE,
                                    &m->pause_s, err)
                 : OFF_OK;
    }
    case SCN_MOB_TRACE: {
        char *rel = NULL;
        if ((st = cfg_require(v, "file", w, &x, err)) ||
            (st = cfg_get_string(x, "file", &rel, err)))
            return st;
        m->trace_path = scn_resolve_path(scn_file, rel);
        free(rel);
        if (!m->trace_path)
            return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        return load_trace(m, x->pos, err);
    }
    default:
        return OFF_OK;
    }
}
