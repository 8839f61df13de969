/*
 * scn_int.h - private to scenarios/: overrides, trace files and the parts
 * of the schema walk.  Other modules use scn.h only.
 *
 * Loading goes text -> node tree (cfg_tree_parse) -> overrides applied to
 * the tree (scn_override.c) -> schema walk that fills scn_scenario
 * (scn_load.c, scn_model.c, scn_world.c, scn_link.c, with the walker's
 * helpers and the unit grammar of the configuration layer, config/cfg.h).
 */
#ifndef SCN_INT_H
#define SCN_INT_H

#include "scn.h"

/* ---- overrides -------------------------------------------------------- */
/* Apply overrides in order to the tree under root (a mapping).  Value i is
 * parsed as YAML with positions labelled labels[i] ("<--set i+1>").  An
 * existing value is replaced; a missing last key is added to its mapping;
 * index n of a list of n items appends.  Errors name the flag. */
off_status scn_overrides_apply(cfg_node *root, const scn_override *ov,
                               size_t n, char *const *labels, off_err *err);

/* ---- trace files ------------------------------------------------------ */
/* Read arrival times from path (see docs/scenario-reference.md, "Trace
 * files").  On success *times (malloc'd) holds *n >= 1 finite,
 * non-negative, non-decreasing times.  Errors: OFF_EIO naming at (the
 * scenario value that gave the path) when the file cannot be read,
 * OFF_EINVAL as "PATH:LINE: message" for bad contents. */
off_status scn_trace_load(const char *path, scn_pos at, double **times,
                          size_t *n, off_err *err);

/* path resolved against the directory of base (unless absolute); malloc'd,
 * NULL when out of memory. */
char *scn_resolve_path(const char *base, const char *path);

/* ---- schema parts (scn_model.c, scn_world.c) -------------------------- */
off_status scn_load_model(scn_model *m, const cfg_node *n, off_err *err);
off_status scn_load_devices(scn_scenario *s, const cfg_node *n, off_err *err);
off_status scn_load_servers(scn_scenario *s, const cfg_node *n, off_err *err);
/* dev's optional `radio`, `dvfs` and `battery` into d (scn_power.c); call
 * after d's power is loaded (a single tail's power defaults to rx). */
off_status scn_load_device_power(scn_device *d, const cfg_node *dev,
                                 const char *where, off_err *err);
/* dev's `key` ("uplink" or "downlink") into *l (scn_link.c): rate, delay,
 * channel, estimator, with the defaults of scn.h when absent; where names
 * the device in messages; a channel trace path is resolved against
 * scn_file's directory and must be readable. */
off_status scn_load_link(scn_link *l, const cfg_node *dev, const char *key,
                         const char *where, const char *scn_file,
                         off_err *err);
/* dev's optional `mobility` into d->mobility (scn_mobility.c): a trace
 * file is resolved against scn_file's directory and read now. */
off_status scn_load_mobility(scn_device *d, const cfg_node *dev,
                             const char *where, const char *scn_file,
                             off_err *err);
/* A `position: [x, y]` (lengths, finite) at v into *x, *y. */
off_status scn_load_position(const cfg_node *v, const char *what, double *x,
                             double *y, off_err *err);
void scn_mobility_free(scn_mobility *m);
/* After both lists are loaded: every device's server names a server. */
off_status scn_link_servers(scn_scenario *s, const cfg_node *devs,
                            off_err *err);

#endif /* SCN_INT_H */
