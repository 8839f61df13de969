/*
 * sim_warmup.c - `warmup: auto`: the warm-up chosen from the run itself.
 *
 * During the run every finished task is counted (the warm-up is 0) and
 * kept (sim_obs, 48 bytes a task).  At the end, MSER-5 (results/res.h,
 * res_mser5) picks d, the number of leading tasks in arrival order whose
 * removal makes the standard error of the rest smallest; the warm-up is the
 * arrival time of the first task left, and the summary is counted again
 * from the tasks that arrived from then on, exactly as a run with that
 * fixed `warmup` would count them (the latency series stays in completion
 * order, as the batch means expect).  Servers' busy-time accounting, which
 * starts at the warm-up, starts at 0 in such a run.
 */
#include "sim_task.h"
#include "sim_util.h"

#include <stdlib.h>

void sim_obs_keep(sim_world *w, const sim_obs *o)
{
    if (w->n_obs == w->cap_obs) {
        size_t nc = w->cap_obs ? w->cap_obs * 2 : 4096;
        sim_obs *no = realloc(w->obs, nc * sizeof *no);
        if (!no) {
            sim_fail(w, OFF_ENOMEM, "out of memory for the tasks of warmup: auto");
            return;
        }
        w->obs = no;
        w->cap_obs = nc;
    }
    w->obs[w->n_obs++] = *o;
}

void sim_obs_free(sim_world *w)
{
    free(w->obs);
    w->obs = NULL;
    w->n_obs = w->cap_obs = 0;
}

/* A task's arrival and its place in completion order (the tie-break:
 * tasks of one instant keep their order, so the result does not depend on
 * qsort's). */
typedef struct arrival {
    double t;
    size_t i;
} arrival;

static int cmp_arrival(const void *a, const void *b)
{
    const arrival *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

off_status sim_warmup_choose(sim_world *w, double *warmup_s, bool *settled, off_err *err)
{
    size_t n = w->n_obs;
    *warmup_s = 0.0;
    *settled = true;
    arrival *a = malloc((n ? n : 1) * sizeof *a);
    double *lat = malloc((n ? n : 1) * sizeof *lat);
    if (!a || !lat) {
        free(a);
        free(lat);
        sim_obs_free(w);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory choosing the warm-up");
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (arrival){w->obs[i].t_arrival, i};
    qsort(a, n, sizeof *a, cmp_arrival);
    for (size_t j = 0; j < n; j++)
        lat[j] = w->obs[a[j].i].latency_s;
    double share;
    size_t d = res_mser5(lat, n, &share);
    *settled = share < RES_MSER_MAX_SHARE;
    if (d > 0)
        *warmup_s = a[d].t;

    /* Count again, in completion order; w->lat holds n values already. */
    w->n_lat = w->n_counted = w->n_correct = w->n_missed = 0;
    w->sum_energy = w->sum_bytes_up = w->sum_reward = 0.0;
    for (size_t i = 0; i < n; i++) {
        const sim_obs *o = &w->obs[i];
        if (o->t_arrival < *warmup_s) {
            w->n_warm++;
            continue;
        }
        w->lat[w->n_lat++] = o->latency_s;
        sim_obs_count(w, o);
    }
    free(a);
    free(lat);
    sim_obs_free(w);
    return OFF_OK;
}
