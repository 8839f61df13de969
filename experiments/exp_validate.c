/*
 * exp_validate.c - every point of an experiment loaded and built before
 * the first one runs, and its point hash (the identity resume and merge
 * use).
 */
#define _POSIX_C_SOURCE 200809L
#include "exp.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct hkey {
    uint64_t h;
    size_t i;
} hkey;

static int hkey_cmp(const void *a, const void *b)
{
    const hkey *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* "point K (values): message" from the error of point i. */
static off_status point_err(const exp_experiment *e, size_t i, off_status st, off_err *err)
{
    char vals[400], msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return off_errf(err, st, NULL, 0, 0, "point %zu of %zu (%s): %s", i, e->n_points,
                    exp_point_str(e, i, vals, sizeof vals), msg);
}

off_status exp_validate(exp_experiment *e, off_err *err)
{
    free(e->hash);
    e->hash = calloc(e->n_points ? e->n_points : 1, sizeof *e->hash);
    hkey *keys = calloc(e->n_points ? e->n_points : 1, sizeof *keys);
    if (!e->hash || !keys) {
        free(keys);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    size_t seed_col = (size_t)-1;
    for (size_t c = 0; c < e->n_cols; c++)
        if (!strcmp(e->cols[c], "seed"))
            seed_col = c;
    off_status st = OFF_OK;
    for (size_t i = 0; i < e->n_points && !st; i++) {
        scn_scenario s;
        if ((st = exp_point_load(e, i, &s, err))) {
            st = point_err(e, i, st, err);
            break;
        }
        /* the world does not depend on the seed: built once per
         * configuration, for its first seed */
        if (seed_col == (size_t)-1 || exp_cell(e, i, seed_col) == exp_cell(e, 0, seed_col)) {
            sim_world *w = NULL;
            if ((st = sim_world_new(&w, &s, err)))
                st = point_err(e, i, st, err);
            sim_world_free(w);
        }
        uint64_t h = off_mix64(sim_config_hash(&s) ^ off_mix64(s.seed));
        snprintf(e->hash[i], sizeof e->hash[i], "%016llx", (unsigned long long)h);
        keys[i] = (hkey){h, i};
        if (!st && !e->name && !(e->name = off_strdup(s.name)))
            st = off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
        scn_free(&s);
    }
    if (!st) {
        qsort(keys, e->n_points, sizeof *keys, hkey_cmp);
        for (size_t k = 1; k < e->n_points; k++)
            if (keys[k].h == keys[k - 1].h) {
                char a[300], b[300];
                st = off_errf(err, OFF_EINVAL, e->file, 0, 0,
                              "points %zu (%s) and %zu (%s) are the same configuration and "
                              "seed: run it once, or add seeds",
                              keys[k - 1].i, exp_point_str(e, keys[k - 1].i, a, sizeof a),
                              keys[k].i, exp_point_str(e, keys[k].i, b, sizeof b));
                break;
            }
    }
    free(keys);
    return st;
}
