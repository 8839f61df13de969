/*
 * sim.h - one simulation run: the world built from a scenario (devices,
 * links, servers, the model and the policy), the task lifecycle, and the
 * recording of results.
 *
 *   arrive -> policy decides (exit, split, bits) -> device computes layers
 *   [0, split) -> uplink (FIFO per device, or a server's shared cell) ->
 *   [a cloud server's backhaul] -> server (fcfs, edf or processor sharing
 *   on c cores, maybe batched, beside background load) computes the rest
 *   up to the exit -> [backhaul] -> downlink -> done.
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
/* The same for `offsim train` and other series of runs: the policy is
 * created with cfg.train = train (pol.h; may be NULL), so that a learning
 * policy learns and its agent outlives the world (train outlives it).
 * trained (may be NULL) is a trained model taken from an earlier world of
 * the same scenario (sim_world_release_trained): the new world owns it and
 * skips loading and quantizing it again.  It is closed on failure. */
struct mdl_trained;
off_status sim_world_new_train(sim_world **w, const scn_scenario *s, pol_train *train,
                               struct mdl_trained *trained, off_err *err);
/* Detach the world's trained model (NULL if none) for the next world; the
 * caller owns it (mdl_trained_close saves its inference cache). */
struct mdl_trained *sim_world_release_trained(sim_world *w);
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
/* The same into db, open and left open: for series of runs into one file
 * (a sweep's worker), which then pay for opening the file, preparing its
 * statements and starting its writer thread once.  sim_run_scenario is
 * res_open, this, res_close. */
off_status sim_run_scenario_db(const scn_scenario *s, res_db *db, res_summary *sum,
                               int64_t *run_id, off_err *err);

/* Train the learning policy of s (policy ppo or sac-discrete) until it has
 * learned from t->max_steps decisions: episode k (from 0) is a run of s with
 * seed 1,000,000 (seed + 1) + k, without task rows; hook (may be NULL) is
 * called after each episode with its number (from 1) and summary.  The
 * agent is left in t (pol_rl_save writes it; t->free_agent frees it).  s's
 * seed is restored on return.  Same s, t->seed, seed, steps: the same
 * agent, bit for bit.  A trained model is loaded once (or taken over from
 * `trained`, may be NULL) and handed from episode to episode. */
typedef void sim_episode_hook(void *ud, uint64_t episode, const res_summary *sum);
off_status sim_train(scn_scenario *s, pol_train *t, uint64_t seed,
                     struct mdl_trained *trained, sim_episode_hook *hook, void *ud,
                     off_err *err);

/* The model view (mdl.h) of a loaded model; errors name file when the
 * model has no position of its own. */
off_status sim_model_from_scn(mdl_model *m, const scn_model *sm, const char *file,
                              off_err *err);

/* Hash of a scenario's text, overrides and model file (runs.config_hash). */
uint64_t sim_config_hash(const scn_scenario *s);

/* The configuration text recorded with a run: the scenario text, followed
 * by the model file's text when the model comes from a file.  malloc'd. */
char *sim_config_text(const scn_scenario *s);

/* The generator of the random streams, as recorded in runs.rng
 * ("philox4x32-10"; sim_rng.h). */
const char *sim_rng_name(void);

#endif /* SIM_H */
