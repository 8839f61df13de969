/*
 * sim_train.c - training a learning policy over episodes (runs of the
 * scenario), for `offsim train` and the benchmarks.  See sim.h.
 */
#include "sim.h"
#include "mdl_trained.h"

#include <stdio.h>

off_status sim_train(scn_scenario *s, pol_train *t, uint64_t seed, mdl_trained *trained,
                     sim_episode_hook *hook, void *ud, off_err *err)
{
    uint64_t base = 1000000ULL * (seed + 1), saved = s->seed;
    off_status st = OFF_OK;
    for (uint64_t k = 0; pol_rl_steps(t) < t->max_steps; k++) {
        uint64_t before = pol_rl_steps(t);
        sim_world *w = NULL;
        res_summary sum;
        s->seed = base + k;
        st = sim_world_new_train(&w, s, t, trained, err);
        trained = NULL;
        if (st == OFF_OK && (st = sim_world_run(w, NULL, 0, NULL, NULL, &sum, err)) == OFF_OK)
            trained = sim_world_release_trained(w);
        sim_world_free(w); /* the policy's last transition is learned here */
        if (st != OFF_OK)
            break;
        if (hook)
            hook(ud, k + 1, &sum);
        if (pol_rl_steps(t) == before) {
            st = off_errf(err, OFF_EINVAL, s->file, 0, 0,
                          "an episode gave no decision to learn from (does the "
                          "scenario produce tasks?)");
            break;
        }
    }
    s->seed = saved;
    off_err e2;
    if (mdl_trained_close(trained, &e2) != OFF_OK)
        fprintf(stderr, "offsim: warning: inference cache not saved: %s\n", e2.msg);
    return st;
}
