/*
 * pol.h - the one interface every offloading policy implements.
 *
 * Per task the simulator hands the policy an observation (what a real
 * system could know at decision time) and receives an action: the exit, the
 * split point and the bit-width of the split tensor (conventions in mdl.h).
 * When the task finishes, the policy gets its outcome (latency, energy,
 * correctness, deadline), which may be after later decisions were made.
 *
 * A policy is a pol_class (name, parameter spec, create/decide/feedback/
 * destroy) registered in pol_registry.c.  To add one, see docs/policies.md.
 */
#ifndef POL_H
#define POL_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stdint.h>

#include "mdl.h"
#include "mdl_profile.h"
#include "off.h"

typedef struct pol_obs {
    double now_s;               /* decision time                           */
    uint64_t task_id;
    size_t device;              /* device index                            */
    double deadline_s;          /* relative deadline (INFINITY if none)    */
    const mdl_model *model;
    /* the device */
    double device_speed_macs;   /* MAC/s (given, or the profile's rate over
                                   the whole model)                        */
    const mdl_profile *device_profile; /* hardware profile, or NULL        */
    int device_compute_bits;    /* 8, 16, 32: arithmetic of its kernels    */
    double device_backlog_s;    /* compute already queued on the device, s */
    size_t device_queue;        /* tasks waiting for or using the device   */
    /* the links: current estimates, not future values */
    double uplink_rate_bps, uplink_delay_s;
    double downlink_rate_bps, downlink_delay_s;
    double uplink_backlog_s;    /* transmission time queued ahead, s       */
    size_t uplink_queue;
    /* the server it offloads to */
    double server_speed_macs;   /* per core                                */
    const mdl_profile *server_profile;
    int server_compute_bits;
    size_t server_cores;
    size_t server_busy;         /* cores busy                              */
    size_t server_queue;        /* tasks waiting (not in service)          */
} pol_obs;

typedef struct pol_action {
    int exit;   /* 0..n_exits-1                                          */
    int split;  /* 0..n_layers                                           */
    int bits;   /* one of model->bits                                    */
    /* BranchyNet's rule, for trained models: > 0 means "take the first exit
     * up to `exit` whose normalised entropy is below this" (0..1); 0 forces
     * `exit`.  Profiled models have no confidences and ignore it. */
    double entropy_threshold;
} pol_action;

typedef struct pol_outcome {
    uint64_t task_id;
    size_t device;
    pol_action action;
    double latency_s, energy_j;
    bool correct, deadline_met;
} pol_outcome;

/* A parameter from the scenario, as text with its source position. */
typedef struct pol_param {
    const char *key;
    const char *text;
    const char *file;
    int line, col;           /* of the value */
    int key_line, key_col;   /* of the key   */
} pol_param;

typedef struct pol_cfg {
    const mdl_model *model;
    const pol_param *params;
    size_t n_params;
    gsl_rng *rng;        /* the policy's own stream (owned by the caller) */
    size_t n_devices;
} pol_cfg;

typedef struct pol_class {
    const char *name;
    const char *summary;            /* one line, for `offsim policies`     */
    const char *const *param_keys;  /* NULL-terminated list of valid keys  */
    /* Create the policy's state from cfg (params already checked to be
     * among param_keys).  Errors carry the parameter's position. */
    off_status (*create)(void **state, const pol_cfg *cfg, off_err *err);
    /* Choose an action.  Must be valid for the model; cheap. */
    void (*decide)(void *state, const pol_obs *obs, pol_action *act);
    /* The outcome of an earlier decision (may be NULL). */
    void (*feedback)(void *state, const pol_outcome *out);
    void (*destroy)(void *state);   /* NULL-safe */
} pol_class;

/* The registered policy classes, and lookup by name (NULL if none). */
const pol_class *const *pol_registry(size_t *n);
const pol_class *pol_find(const char *name);

/* A policy instance. */
typedef struct pol_policy {
    const pol_class *cls;
    void *state;
} pol_policy;

/* Find the class (unknown name: error with did-you-mean and the list of
 * policies, at pos), check parameter keys (unknown key: did-you-mean), and
 * create.  pos_file/line/col locate the policy's `type`. */
off_status pol_create(pol_policy *p, const char *type, const pol_cfg *cfg,
                      const char *pos_file, int pos_line, int pos_col,
                      off_err *err);
void pol_destroy(pol_policy *p); /* NULL-safe, idempotent */

static inline void pol_decide(pol_policy *p, const pol_obs *o, pol_action *a)
{
    p->cls->decide(p->state, o, a);
}

static inline void pol_feedback(pol_policy *p, const pol_outcome *o)
{
    if (p->cls->feedback)
        p->cls->feedback(p->state, o);
}

/* ---- parameter helpers for policy implementations --------------------- */
const pol_param *pol_cfg_param(const pol_cfg *cfg, const char *key);
/* An integer parameter in [min, max]; *out = dflt when absent. */
off_status pol_param_int(const pol_cfg *cfg, const char *key, long dflt,
                         long min, long max, long *out, off_err *err);
/* A real number in [min, max]; *out = dflt when absent. */
off_status pol_param_double(const pol_cfg *cfg, const char *key, double dflt, double min,
                            double max, double *out, off_err *err);
/* An exit, by name or index; *out = dflt when absent. */
off_status pol_param_exit(const pol_cfg *cfg, const char *key, int dflt,
                          int *out, off_err *err);
/* A bit-width that the model allows; *out = dflt when absent. */
off_status pol_param_bits(const pol_cfg *cfg, const char *key, int dflt,
                          int *out, off_err *err);

/* The default bit-width for policies that do not choose one: 8 if the model
 * allows it, else the largest allowed. */
int pol_default_bits(const mdl_model *m);

#endif /* POL_H */
