/*
 * sim.h - one simulation run: the world built from a scenario (devices,
 * links, servers, the model and the policy), the task lifecycle, and the
 * recording of results.
 *
 *   arrive -> policy decides (exit, split, bits) -> device computes layers
 *   [0, split) -> uplink (FIFO per device) -> server queue (FCFS, c cores)
 *   -> server computes the rest up to the exit -> downlink -> done.
 *
 * A task whose exit comes at or before its split never leaves the device.
 * Every stage is timestamped; latency, device energy, bytes, the exit, the
 * correctness and the deadline outcome are recorded per task.
 */
#ifndef SIM_H
#define SIM_H

#include "mdl.h"
#include "pol.h"
#include "off.h"
#include "res.h"
#include "scn.h"

typedef struct sim_world sim_world;

/* Build the world of scenario s (which must outlive the world): resolves
 * names, creates the model view, the random streams and the policy (whose
 * parameters are checked here, with positions).  Used by `offsim validate`
 * too: a scenario that builds is a scenario that runs. */
off_status sim_world_new(sim_world **w, const scn_scenario *s, off_err *err);
void sim_world_free(sim_world *w); /* NULL-safe */
/* The same for `offsim train`: the policy is created with cfg.train = train
 * (pol.h), so that a learning policy learns and its agent outlives the
 * world.  train outlives the world. */
off_status sim_world_new_train(sim_world **w, const scn_scenario *s, pol_train *train,
                               off_err *err);
/* The model the world runs (its layers, exits and bit-widths; for trained
 * models built from the graph). */
const mdl_model *sim_world_model(const sim_world *w);

/* Per-task callback for tests and tools (may be NULL): called at each task's
 * completion with its row. */
typedef void sim_task_hook(void *ud, const res_task_row *row);

/* Run the world to completion: arrivals until the scenario's duration or
 * task cap, then every task in flight finishes.  If db is non-NULL and the
 * scenario records tasks, each task's row is added to run run_id.  *sum
 * receives the summary (tasks arriving before warm-up excluded). */
off_status sim_world_run(sim_world *w, res_db *db, int64_t run_id,
                         sim_task_hook *hook, void *hook_ud, res_summary *sum,
                         off_err *err);

/* The whole of `offsim run`: build, open db_path (NULL = the scenario's
 * output.db), record the run, run, write the summary and status.  A failure
 * after the run row exists marks it 'failed'.  *run_id (may be NULL)
 * receives the run's id. */
off_status sim_run_scenario(const scn_scenario *s, const char *db_path,
                            res_summary *sum, int64_t *run_id, off_err *err);

/* The model view (mdl.h) of a loaded model; errors name file when the
 * model has no position of its own. */
off_status sim_model_from_scn(mdl_model *m, const scn_model *sm, const char *file,
                              off_err *err);

/* Hash of a scenario's text, overrides and model file (runs.config_hash). */
uint64_t sim_config_hash(const scn_scenario *s);

/* The configuration text recorded with a run: the scenario text, followed
 * by the model file's text when the model comes from a file.  malloc'd. */
char *sim_config_text(const scn_scenario *s);

#endif /* SIM_H */
