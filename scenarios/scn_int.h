/*
 * scn_int.h - private to scenarios/: the YAML node tree, the helpers of the
 * schema walker, trace files and overrides.  Other modules use scn.h only.
 *
 * Loading goes text -> node tree (scn_tree.c) -> overrides applied to the
 * tree (scn_override.c) -> schema walk that fills scn_scenario
 * (scn_load.c, scn_model.c, scn_world.c, scn_link.c, with the helpers of
 * scn_walk.c and the unit parser of scn_units.c).
 */
#ifndef SCN_INT_H
#define SCN_INT_H

#include "scn.h"

/* ---- the node tree ---------------------------------------------------- */
typedef enum scn_node_kind {
    SCN_NODE_SCALAR,
    SCN_NODE_MAP,
    SCN_NODE_SEQ,
} scn_node_kind;

typedef struct scn_node scn_node;
struct scn_node {
    scn_node_kind kind;
    scn_pos pos;      /* where the node starts (file points to a label owned
                         by the scenario being loaded)                       */
    char *text;       /* scalar: its text, NUL-terminated, never NULL        */
    bool plain;       /* scalar: written without quotes (null detection)     */
    scn_node **keys;  /* map: the key of each entry (scalars)                */
    scn_node **items; /* map: the value of each entry; seq: the items        */
    size_t n, cap;
};

/* Most nodes one tree may hold, counting alias copies (guards against
 * "billion laughs" documents). */
#define SCN_MAX_NODES 200000
/* Deepest nesting accepted (the builder recurses). */
#define SCN_MAX_DEPTH 64

/* A new empty node (text "" for scalars), or NULL when out of memory. */
scn_node *scn_node_new(scn_node_kind kind, scn_pos pos);
/* A new scalar holding a copy of text, or NULL when out of memory. */
scn_node *scn_node_scalar(const char *text, bool plain, scn_pos pos);
/* Free a node and everything below it.  NULL-safe. */
void scn_node_free(scn_node *n);
/* Deep copy; decrements *budget per node and returns NULL when it would
 * go below zero or memory runs out (*budget is then 0 or unchanged). */
scn_node *scn_node_copy(const scn_node *n, size_t *budget);
/* Append an entry (map: key and value; seq: value, key NULL).  Returns
 * false when out of memory (nothing taken over then). */
bool scn_node_push(scn_node *parent, scn_node *key, scn_node *value);
/* Index of key in map, or (size_t)-1. */
size_t scn_map_index(const scn_node *map, const char *key);
/* Value of key in map, or NULL (also when map is not a mapping). */
scn_node *scn_map_get(const scn_node *map, const char *key);
/* True for a plain empty scalar, "~" or "null"/"Null"/"NULL". */
bool scn_node_is_null(const scn_node *n);

/* Parse YAML text (len bytes, need not be NUL-terminated) into a tree.
 * Positions name file.  *root is NULL when the stream holds no document.
 * Errors: OFF_EPARSE for bytes that are not UTF-8 text, YAML syntax errors,
 * several documents, unknown aliases, too deep/large; OFF_ENOMEM.  Nothing
 * is left allocated on error. */
off_status scn_tree_parse(const char *text, size_t len, const char *file,
                          scn_node **root, off_err *err);

/* 1-based line and column (in characters) of byte offset off in text. */
void scn_text_pos(const char *text, size_t len, size_t off, int *line,
                  int *col);

/* ---- overrides -------------------------------------------------------- */
/* Apply overrides in order to the tree under root (a mapping).  Value i is
 * parsed as YAML with positions labelled labels[i] ("<--set i+1>").  An
 * existing value is replaced; a missing last key is added to its mapping;
 * index n of a list of n items appends.  Errors name the flag. */
off_status scn_overrides_apply(scn_node *root, const scn_override *ov,
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

/* ---- numbers and units (scn_units.c) ---------------------------------- */
/* Parse a decimal integer (optional '+', digits only).  Returns 0 on
 * success, 1 when text is not an integer, 2 when it is negative, 3 when
 * it exceeds UINT64_MAX. */
int scn_parse_u64(const char *text, uint64_t *out);

/* Like scn_parse_quantity, but messages start with "what: " when what is
 * not NULL. */
off_status scn_quantity(const char *text, scn_dim dim, const char *what,
                        double *out, scn_pos pos, off_err *err);

/* "a duration", "a data rate", ... */
const char *scn_dim_noun(scn_dim dim);
/* The listed units of dim joined with ", " into buf.  Returns buf. */
const char *scn_dim_units(scn_dim dim, char *buf, size_t cap);

/* ---- the schema walker's helpers (scn_walk.c) ------------------------- */
/* Error at pos (file, line, col; line 0 = no line). */
off_status scn_errp(off_err *err, off_status st, scn_pos pos, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

/* Describe n for "got ...": "a mapping", "a list", "an empty value" or the
 * quoted, shortened text of a scalar.  Returns buf. */
const char *scn_describe(const scn_node *n, char *buf, size_t cap);
/* s shortened to fit cap (with "..."), control characters shown as '?'. */
const char *scn_short(const char *s, char *buf, size_t cap);
/* Join the n strings of list with ", " into buf. */
const char *scn_join(const char *const *list, size_t n, char *buf, size_t cap);

/* Type checks: "WHAT: expected a mapping (keys: a, b), got a list" etc.,
 * positioned at n.  keys may be NULL. */
off_status scn_want_map(const scn_node *n, const char *what,
                        const char *const *keys, size_t n_keys, off_err *err);
off_status scn_want_seq(const scn_node *n, const char *what, off_err *err);
off_status scn_want_scalar(const scn_node *n, const char *what, off_err *err);

/* Every key of map must be one of valid[]; otherwise "unknown key 'k' in
 * WHERE (did you mean 'x'?); valid keys: ..." positioned at the key.
 * other[] (may be NULL) are keys valid elsewhere: for them the message is
 * "'k' OTHER_MSG" instead (e.g. "applies to synthetic models only"). */
off_status scn_check_keys(const scn_node *map, const char *const *valid,
                          size_t n_valid, const char *where,
                          const char *const *other, size_t n_other,
                          const char *other_msg, off_err *err);

/* The value of a required key: "OWNER has no 'key'" at map when missing. */
off_status scn_require(const scn_node *map, const char *key,
                       const char *owner, scn_node **out, off_err *err);

/* Typed scalar values.  what names the key in messages. */
off_status scn_get_string(const scn_node *v, const char *what, char **out,
                          off_err *err); /* non-empty; *out malloc'd */
off_status scn_get_uint(const scn_node *v, const char *what, uint64_t lo,
                        uint64_t hi, uint64_t *out, off_err *err);
off_status scn_get_bool(const scn_node *v, const char *what, bool *out,
                        off_err *err);
off_status scn_get_choice(const scn_node *v, const char *what,
                          const char *const *choices, size_t n, size_t *idx,
                          off_err *err);

/* Range flags of scn_get_quantity. */
enum {
    SCN_Q_GT0 = 1,    /* > 0                         */
    SCN_Q_GE0 = 2,    /* >= 0                        */
    SCN_Q_FINITE = 4, /* "inf" not allowed           */
    SCN_Q_UNIT = 8,   /* in [0, 1] (probabilities)   */
};
off_status scn_get_quantity(const scn_node *v, const char *what, scn_dim dim,
                            unsigned flags, double *out, off_err *err);

/* ---- schema parts (scn_model.c, scn_world.c) -------------------------- */
off_status scn_load_model(scn_model *m, const scn_node *n, off_err *err);
off_status scn_load_devices(scn_scenario *s, const scn_node *n, off_err *err);
off_status scn_load_servers(scn_scenario *s, const scn_node *n, off_err *err);
/* dev's optional `radio`, `dvfs` and `battery` into d (scn_power.c); call
 * after d's power is loaded (a single tail's power defaults to rx). */
off_status scn_load_device_power(scn_device *d, const scn_node *dev,
                                 const char *where, off_err *err);
/* dev's `key` ("uplink" or "downlink") into *l (scn_link.c): rate, delay,
 * channel, estimator, with the defaults of scn.h when absent; where names
 * the device in messages; a channel trace path is resolved against
 * scn_file's directory and must be readable. */
off_status scn_load_link(scn_link *l, const scn_node *dev, const char *key,
                         const char *where, const char *scn_file,
                         off_err *err);
/* dev's optional `mobility` into d->mobility (scn_mobility.c): a trace
 * file is resolved against scn_file's directory and read now. */
off_status scn_load_mobility(scn_device *d, const scn_node *dev,
                             const char *where, const char *scn_file,
                             off_err *err);
/* A `position: [x, y]` (lengths, finite) at v into *x, *y. */
off_status scn_load_position(const scn_node *v, const char *what, double *x,
                             double *y, off_err *err);
void scn_mobility_free(scn_mobility *m);
/* After both lists are loaded: every device's server names a server. */
off_status scn_link_servers(scn_scenario *s, const scn_node *devs,
                            off_err *err);

#endif /* SCN_INT_H */
