/* sim_test_util.h - running a scenario file inside a test. */
#ifndef SIM_TEST_UTIL_H
#define SIM_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "scn.h"
#include "sim.h"

/* Load path with overrides ("k=v" strings, n may be 0, at most 16) into
 * *s; abort the test on any error. */
static inline void load_scenario_file(const char *path, const char *const *sets,
                                      size_t n_sets, scn_scenario *s)
{
    scn_override ov[16] = {{0}};
    char buf[16][320];
    off_err err = {0};
    for (size_t i = 0; i < n_sets && i < 16; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", sets[i]);
        if (scn_override_parse(buf[i], &ov[i], &err) != OFF_OK) {
            fprintf(stderr, "%s\n", err.msg);
            abort();
        }
    }
    if (scn_load(s, path, ov, n_sets < 16 ? n_sets : 16, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
}

/* Run path with overrides into the results database db_path (appending a
 * run, every task row written, as `offsim run --db`); *run_id its run. */
static inline void run_scenario_db(const char *path, const char *const *sets, size_t n_sets,
                                   const char *db_path, int64_t *run_id, res_summary *sum)
{
    scn_scenario s;
    off_err err = {0};
    load_scenario_file(path, sets, n_sets, &s);
    s.record_tasks = true;
    if (sim_run_scenario(&s, db_path, sum, run_id, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    scn_free(&s);
}

/* Load path with overrides, run it without a database, call hook per
 * task; fail the test on any error. */
static inline void run_scenario_file(const char *path, const char *const *sets,
                                     size_t n_sets, sim_task_hook *hook, void *ud,
                                     res_summary *sum)
{
    off_err err = {0};
    scn_scenario s;
    load_scenario_file(path, sets, n_sets, &s);
    sim_world *w = NULL;
    if (sim_world_new(&w, &s, &err) != OFF_OK ||
        sim_world_run(w, NULL, 0, hook, ud, sum, &err) != OFF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    sim_world_free(w);
    scn_free(&s);
}

#endif
