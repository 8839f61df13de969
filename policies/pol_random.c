/*
 * pol_random.c - uniformly random over the valid actions: exit e uniform,
 * then split uniform in 0..after(e) (after(e) meaning "stays on the device"),
 * then bits uniform among the model's bit-widths.  Draws come from the
 * policy's own stream, so other entities' draws are unaffected.
 */
#include "pol.h"

#include <gsl/gsl_rng.h>
#include <stdlib.h>

typedef struct random_state {
    gsl_rng *rng;
} random_state;

static off_status random_create(void **state, const pol_cfg *cfg, off_err *err)
{
    if (!cfg->rng)
        return off_errf(err, OFF_ERUNTIME, NULL, 0, 0,
                        "policy 'random' needs a random stream");
    random_state *s = malloc(sizeof *s);
    if (!s)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    s->rng = cfg->rng;
    *state = s;
    return OFF_OK;
}

static void random_decide(void *state, const pol_obs *obs, pol_action *act)
{
    random_state *s = state;
    const mdl_model *m = obs->model;
    size_t e = gsl_rng_uniform_int(s->rng, m->n_exits);
    size_t split = gsl_rng_uniform_int(s->rng, m->exits[e].after + 1);
    size_t b = gsl_rng_uniform_int(s->rng, m->n_bits);
    act->exit = (int)e;
    act->split = (int)split;
    act->bits = m->bits[b];
}

static void random_destroy(void *state) { free(state); }

static const char *const random_keys[] = {NULL};

const pol_class pol_random_class = {
    "random", "uniformly random exit, split and bits (from its own stream)",
    random_keys, random_create, random_decide, NULL, random_destroy};
