/*
 * sim_run.c - running a world to completion and recording the run.
 */
#include "sim_task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every device's row of table `devices` (results/res.h), into the run's
 * open transaction. */
static off_status record_devices(sim_world *w, off_err *err)
{
    for (size_t i = 0; i < w->n_dev; i++) {
        const sim_device *d = &w->dev[i];
        char name[SIM_DEVICE_NAME_MAX];
        sim_device_energy e;
        sim_device_energy_get(w, i, &e);
        bool battery = e.capacity_j > 0;
        res_device_row r = {
            .device = (int64_t)i,
            .name = sim_device_name(d, name),
            .server = (int32_t)d->server,
            .n_tasks = d->n_tasks,
            .n_done = d->n_done,
            .n_offloaded = d->n_offloaded,
            .handovers = d->mob ? d->mob->n_handovers : 0,
            .energy_j = e.energy_j,
            .tail_j = e.tail_j,
            .tail_unattributed_j = e.tail_unattributed_j,
            .capacity_j = battery ? e.capacity_j : NAN,
            .remaining_j = battery ? e.remaining_j : NAN,
            .t_death = e.t_death,
            .freq_hz = e.freq_hz > 0 ? e.freq_hz : NAN,
        };
        off_status st = res_add_device(w->db, w->run_id, &r, err);
        if (st != OFF_OK)
            return st;
    }
    return OFF_OK;
}

off_status sim_world_run(sim_world *w, res_db *db, int64_t run_id,
                         sim_task_hook *hook, void *hook_ud, res_summary *sum,
                         off_err *err)
{
    w->db = db;
    w->run_id = run_id;
    w->hook = hook;
    w->hook_ud = hook_ud;
    w->err = err;
    w->st = OFF_OK;
    /* the oracle's reward bound of this run: what it adds to w->train */
    double bound0 = w->train ? w->train->bound_sum : 0;
    uint64_t bound_n0 = w->train ? w->train->bound_n : 0;
    sim_tasks_start(w);
    sim_engine_run_until(w->eng, INFINITY);
    if (w->st == OFF_OK)
        sim_tasks_unfinished(w);
    if (w->st != OFF_OK) {
        sim_obs_free(w);
        return w->st;
    }

    memset(sum, 0, sizeof *sum);
    bool settled = true;
    sum->warmup_s = w->scn->warmup_s;
    sum->warmup_auto = w->scn->warmup_auto;
    if (w->scn->warmup_auto) {
        off_status st = sim_warmup_choose(w, &sum->warmup_s, &settled, err);
        if (st != OFF_OK)
            return st;
    }
    sum->warmup_tasks = w->n_warm;
    sum->n_tasks = w->n_counted;
    sum->n_done = w->n_lat;
    double *scratch = malloc((w->n_lat ? w->n_lat : 1) * sizeof *scratch);
    if (!scratch)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    res_stat_compute(&sum->latency, w->lat, w->n_lat, scratch);
    free(scratch);
    if (!settled)
        sum->latency.ci_why |= RES_CI_NO_STEADY;
    /* per finished task, except the deadline misses: per task, an
     * unfinished task counted as a miss */
    double n = w->n_counted ? (double)w->n_counted : NAN;
    double nd = w->n_lat ? (double)w->n_lat : NAN;
    sum->energy_mean_j = w->sum_energy / nd;
    sum->bytes_up_mean = w->sum_bytes_up / nd;
    sum->accuracy = (double)w->n_correct / nd;
    sum->deadline_miss = (double)w->n_missed / n;
    sum->reward_mean = w->sum_reward / nd;
    sum->sim_time_s = sim_engine_now(w->eng);
    sum->events = sim_engine_fired(w->eng);
    sum->reward_bound = NAN;
    if (w->train && w->train->bound_n > bound_n0) {
        sum->bound_tasks = w->train->bound_n - bound_n0;
        sum->reward_bound = (w->train->bound_sum - bound0) / (double)sum->bound_tasks;
    }
    return db ? record_devices(w, err) : OFF_OK;
}

/* Record and run world w of s into db (both left to the caller). */
static off_status run_into(sim_world *w, const scn_scenario *s, res_db *db, res_summary *sum,
                           int64_t *run_id_out, off_err *err)
{
    int64_t run_id = -1;
    off_status st;
    char *config = sim_config_text(s);
    if (!config)
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    res_run_info info = {
        .scenario = s->name,
        .scenario_file = s->file,
        .config_text = config,
        .overrides = s->overrides ? s->overrides : "",
        .config_hash = sim_config_hash(s),
        .seed = s->seed,
        .policy = w->policy.cls->name,
    };
    res_set_rng(db, sim_rng_name());
    st = res_run_begin(db, &info, &run_id, err);
    free(config);
    if (st != OFF_OK)
        return st;
    if (run_id_out)
        *run_id_out = run_id;
    double t0 = off_wall_seconds();
    st = sim_world_run(w, db, run_id, NULL, NULL, sum, err);
    double wall = off_wall_seconds() - t0;
    if (st == OFF_OK) {
        st = res_run_end(db, run_id, "ok", wall, sum, err);
    } else {
        off_err e2;
        res_run_end(db, run_id, off_interrupted() ? "interrupted" : "failed", wall,
                    NULL, &e2);
    }
    return st;
}

/* The world of a recorded run, made with a pol_train (`bound`, zeroed)
 * that the oracle sums its reward bound into, so that the summary records
 * it; never for a learning policy, which would learn from it. */
static off_status run_world(sim_world **w, const scn_scenario *s, pol_train *bound,
                            off_err *err)
{
    const pol_class *cls = pol_find(s->policy.type ? s->policy.type : "local");
    *bound = (pol_train){0};
    return sim_world_new_train(w, s, cls && !pol_is_learning(cls) ? bound : NULL, NULL, err);
}

off_status sim_run_scenario_db(const scn_scenario *s, res_db *db, res_summary *sum,
                               int64_t *run_id_out, off_err *err)
{
    sim_world *w = NULL;
    pol_train bound;
    off_status st = run_world(&w, s, &bound, err);
    if (st == OFF_OK)
        st = run_into(w, s, db, sum, run_id_out, err);
    sim_world_free(w);
    return st;
}

/* The world is built before the file is opened: a scenario that does not
 * build creates no database. */
off_status sim_run_scenario(const scn_scenario *s, const char *db_path,
                            res_summary *sum, int64_t *run_id_out, off_err *err)
{
    sim_world *w = NULL;
    res_db *db = NULL;
    pol_train bound;
    off_status st = run_world(&w, s, &bound, err);
    if (st == OFF_OK && (st = res_open(&db, db_path ? db_path : s->db_path, err)) == OFF_OK)
        st = run_into(w, s, db, sum, run_id_out, err);
    res_close(db);
    sim_world_free(w);
    return st;
}

char *sim_config_text(const scn_scenario *s)
{
    const char *t = s->text ? s->text : "";
    if (!s->model_text)
        return off_strdup(t);
    const char *sep = "\n# ---- model file: ";
    size_t n = strlen(t) + strlen(sep) + strlen(s->model_file) + 6 +
               strlen(s->model_text) + 1;
    char *buf = malloc(n);
    if (buf)
        snprintf(buf, n, "%s%s%s ----\n%s", t, sep, s->model_file, s->model_text);
    return buf;
}
