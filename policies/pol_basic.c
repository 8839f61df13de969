/*
 * pol_basic.c - the fixed baselines: local (everything on the device at the
 * final exit), edge (full offload: the raw input goes to the server) and
 * fixed (a given exit, split and bit-width).  They keep no state beyond
 * their action.
 */
#include "pol.h"

#include <stdlib.h>

typedef struct fixed_state {
    pol_action act;
} fixed_state;

static off_status fixed_alloc(void **state, pol_action act, off_err *err)
{
    fixed_state *s = malloc(sizeof *s);
    if (!s)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    s->act = act;
    *state = s;
    return OFF_OK;
}

static void fixed_decide(void *state, const pol_obs *obs, pol_action *act)
{
    (void)obs;
    *act = ((const fixed_state *)state)->act;
}

static void fixed_destroy(void *state) { free(state); }

static off_status local_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    pol_action a = {(int)m->n_exits - 1, (int)m->n_layers, pol_default_bits(m), 0};
    return fixed_alloc(state, a, err);
}

static off_status edge_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    pol_action a = {(int)m->n_exits - 1, 0, pol_default_bits(m), 0};
    return fixed_alloc(state, a, err);
}

static off_status fixed_create(void **state, const pol_cfg *cfg, off_err *err)
{
    const mdl_model *m = cfg->model;
    int exit, bits;
    long split;
    off_status st;
    if ((st = pol_param_exit(cfg, "exit", (int)m->n_exits - 1, &exit, err)))
        return st;
    if ((st = pol_param_int(cfg, "split", 0, 0, (long)m->n_layers, &split, err)))
        return st;
    double thr;
    if ((st = pol_param_bits(cfg, "bits", pol_default_bits(m), &bits, err)) ||
        (st = pol_param_double(cfg, "threshold", 0, 0, 1, &thr, err)))
        return st;
    pol_action a = {exit, (int)split, bits, thr};
    return fixed_alloc(state, a, err);
}

static const char *const no_keys[] = {NULL};
static const char *const fixed_keys[] = {"exit", "split", "bits", "threshold", NULL};

const pol_class pol_local_class = {
    "local", "everything on the device, final exit", no_keys,
    local_create, fixed_decide, NULL, fixed_destroy};
const pol_class pol_edge_class = {
    "edge", "full offload: the raw input is sent, the server runs the whole model",
    no_keys, edge_create, fixed_decide, NULL, fixed_destroy};
const pol_class pol_fixed_class = {
    "fixed", "a given exit (name or index), split (0..L), bits; optional entropy threshold",
    fixed_keys,
    fixed_create, fixed_decide, NULL, fixed_destroy};
