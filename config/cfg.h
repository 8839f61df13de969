/*
 * cfg.h - the configuration layer under models/ and scenarios/: YAML text
 * to a tree of positioned nodes, quantities with units (one grammar for
 * every file kind), the helpers a schema walker needs (type checks,
 * unknown keys with a did-you-mean, typed values with ranges), a reader
 * of line/CSV tables (traces) and a block-YAML writer.
 *
 * Every error carries "FILE:LINE:COL: " (off_err); nothing here exits.
 * Depends on core/ (off.h) and libyaml only.
 */
#ifndef CFG_H
#define CFG_H

#include <stdio.h>

#include "off.h"

/* A position in a configuration text. */
typedef struct cfg_pos {
    const char *file; /* a label owned by the caller (the file being read) */
    int line, col;    /* 1-based; line 0 = no position                     */
} cfg_pos;

/* ---- the node tree (cfg_tree.c) ---------------------------------------- */
typedef enum cfg_node_kind {
    CFG_NODE_SCALAR,
    CFG_NODE_MAP,
    CFG_NODE_SEQ,
} cfg_node_kind;

typedef struct cfg_node cfg_node;
struct cfg_node {
    cfg_node_kind kind;
    cfg_pos pos;      /* where the node starts                              */
    char *text;       /* scalar: its text, NUL-terminated, never NULL        */
    bool plain;       /* scalar: written without quotes (null detection)     */
    cfg_node **keys;  /* map: the key of each entry (scalars)                */
    cfg_node **items; /* map: the value of each entry; seq: the items        */
    size_t n, cap;
};

/* Most nodes one tree may hold, counting alias copies (guards against
 * "billion laughs" documents). */
#define CFG_MAX_NODES 200000
/* Deepest nesting accepted (the builder recurses). */
#define CFG_MAX_DEPTH 64

/* A new empty node (text "" for scalars), or NULL when out of memory. */
cfg_node *cfg_node_new(cfg_node_kind kind, cfg_pos pos);
/* A new scalar holding a copy of text, or NULL when out of memory. */
cfg_node *cfg_node_scalar(const char *text, bool plain, cfg_pos pos);
/* Free a node and everything below it.  NULL-safe. */
void cfg_node_free(cfg_node *n);
/* Deep copy; decrements *budget per node and returns NULL when it would
 * go below zero or memory runs out (*budget is then 0 or unchanged). */
cfg_node *cfg_node_copy(const cfg_node *n, size_t *budget);
/* Append an entry (map: key and value; seq: value, key NULL).  Returns
 * false when out of memory (nothing taken over then). */
bool cfg_node_push(cfg_node *parent, cfg_node *key, cfg_node *value);
/* Index of key in map, or (size_t)-1. */
size_t cfg_map_index(const cfg_node *map, const char *key);
/* Value of key in map, or NULL (also when map is not a mapping). */
cfg_node *cfg_map_get(const cfg_node *map, const char *key);
/* True for a plain empty scalar, "~" or "null"/"Null"/"NULL". */
bool cfg_node_is_null(const cfg_node *n);

/* Parse YAML text (len bytes, need not be NUL-terminated) into a tree.
 * Positions name file; doc names the kind of file in messages ("a
 * scenario file").  *root is NULL when the stream holds no document.
 * Errors: OFF_EPARSE for bytes that are not UTF-8 text, YAML syntax errors
 * (with "(the file ends here: truncated?)" at the end of the text), a
 * second document, duplicate keys, unknown aliases, too deep/large;
 * OFF_ENOMEM.  Nothing is left allocated on error. */
off_status cfg_tree_parse(const char *text, size_t len, const char *file,
                          const char *doc, cfg_node **root, off_err *err);

/* 1-based line and column (in characters) of byte offset off in text. */
void cfg_text_pos(const char *text, size_t len, size_t off, int *line,
                  int *col);

/* ---- quantities with units (cfg_units.c) -------------------------------
 * A quantity is a decimal number (or "inf"), optional blanks and an
 * optional unit of the expected dimension: "5 ms", "20Mbps", "2.4 GHz",
 * "23 dBm", "64 KiB", "3 GMAC", "10 /s", "19.2 Gop/s".  It converts to the
 * dimension's base (below); a bare number is in the base unit.  Units are
 * case-sensitive; the did-you-mean ignores case.  The tables are in
 * docs/scenario-reference.md ("Values and units").
 */
typedef enum cfg_dim {
    CFG_DIM_NONE,     /* a plain number, no unit allowed (but "%": 0.01)   */
    CFG_DIM_TIME,     /* s: ns us ms s min h                                */
    CFG_DIM_RATE,     /* bit/s: bps kbps Mbps Gbps, B/s KB/s MB/s (x8)      */
    CFG_DIM_FREQ,     /* Hz: Hz kHz MHz GHz                                 */
    CFG_DIM_POWER,    /* W: uW mW W kW, dBm dBW                             */
    CFG_DIM_ENERGY,   /* J: uJ mJ J kJ, Wh mWh                              */
    CFG_DIM_BYTES,    /* B: b (bits, /8) B KB MB GB (1000s) KiB MiB GiB     */
    CFG_DIM_WORK,     /* MAC: MAC kMAC MMAC GMAC TMAC (also "K M G T" bare) */
    CFG_DIM_SPEED,    /* MAC/s: MAC/s ... GMAC/s TMAC/s                     */
    CFG_DIM_HZ_EVENTS,/* 1/s: /s /min /h, "per s"                          */
    CFG_DIM_LENGTH,   /* m: mm cm m km                                      */
    CFG_DIM_DB,       /* dB                                                 */
    CFG_DIM_OPS,      /* op/s: op/s kop/s Mop/s Gop/s Top/s, FLOP/s ...     */
    CFG_DIM_BYTE_RATE,/* B/s: the units of CFG_DIM_RATE, in bytes/s         */
    CFG_DIM_BYTES_PER_MAC, /* B/MAC                                         */
    CFG_DIM_N
} cfg_dim;

/* Parse text as a quantity of dimension dim into *out.  what (may be NULL)
 * starts the messages ("deadline: ").  Errors (OFF_EINVAL, positioned at
 * pos) name what was expected, e.g. "expected a duration such as '5 ms'
 * (units: ns, us, ms, s, min, h)", a unit of another dimension ("'5 ms' is
 * a duration, expected a data rate") or the closest unit. */
off_status cfg_quantity(const char *text, cfg_dim dim, const char *what,
                        double *out, cfg_pos pos, off_err *err);

/* "a duration", "a data rate", ... */
const char *cfg_dim_noun(cfg_dim dim);
/* The listed units of dim joined with ", " into buf.  Returns buf. */
const char *cfg_dim_units(cfg_dim dim, char *buf, size_t cap);

/* Parse a decimal integer (optional '+', digits only).  Returns 0 on
 * success, 1 when text is not an integer, 2 when it is negative, 3 when
 * it exceeds UINT64_MAX. */
int cfg_parse_u64(const char *text, uint64_t *out);

/* ---- the schema walker's helpers (cfg_walk.c) --------------------------- */
/* Error at pos (file, line, col; line 0 = no line). */
off_status cfg_errp(off_err *err, off_status st, cfg_pos pos, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

/* Describe n for "got ...": "a mapping", "a list", "an empty value" or the
 * quoted, shortened text of a scalar.  Returns buf. */
const char *cfg_describe(const cfg_node *n, char *buf, size_t cap);
/* s shortened to fit cap (with "..."), control characters shown as '?'. */
const char *cfg_short(const char *s, char *buf, size_t cap);
/* A value as a figure or a table shows it: a file path (a model or scenario
 * file swept as an axis: "../../models/zoo/vgg16.yaml") by its base name
 * without .yaml/.yml ("vgg16", in buf), everything else as written (value
 * itself). */
const char *cfg_file_label(const char *value, char *buf, size_t cap);
/* Join the n strings of list with ", " into buf. */
const char *cfg_join(const char *const *list, size_t n, char *buf, size_t cap);

/* Type checks: "WHAT: expected a mapping (keys: a, b), got a list" etc.,
 * positioned at n.  keys may be NULL. */
off_status cfg_want_map(const cfg_node *n, const char *what,
                        const char *const *keys, size_t n_keys, off_err *err);
off_status cfg_want_seq(const cfg_node *n, const char *what, off_err *err);
off_status cfg_want_scalar(const cfg_node *n, const char *what, off_err *err);

/* Every key of map must be one of valid[]; otherwise "unknown key 'k' in
 * WHERE (did you mean 'x'?); valid keys: ..." positioned at the key.
 * other[] (may be NULL) are keys valid elsewhere: for them the message is
 * "'k' OTHER_MSG" instead (e.g. "applies to synthetic models only"). */
off_status cfg_check_keys(const cfg_node *map, const char *const *valid,
                          size_t n_valid, const char *where,
                          const char *const *other, size_t n_other,
                          const char *other_msg, off_err *err);

/* The value of a required key: "OWNER has no 'key'" at map when missing. */
off_status cfg_require(const cfg_node *map, const char *key,
                       const char *owner, cfg_node **out, off_err *err);

/* Typed scalar values.  what names the key in messages. */
off_status cfg_get_string(const cfg_node *v, const char *what, char **out,
                          off_err *err); /* non-empty; *out malloc'd */
off_status cfg_get_uint(const cfg_node *v, const char *what, uint64_t lo,
                        uint64_t hi, uint64_t *out, off_err *err);
off_status cfg_get_bool(const cfg_node *v, const char *what, bool *out,
                        off_err *err);
off_status cfg_get_choice(const cfg_node *v, const char *what,
                          const char *const *choices, size_t n, size_t *idx,
                          off_err *err);

/* Range flags of cfg_get_quantity. */
enum {
    CFG_Q_GT0 = 1,    /* > 0                         */
    CFG_Q_GE0 = 2,    /* >= 0                        */
    CFG_Q_FINITE = 4, /* "inf" not allowed           */
    CFG_Q_UNIT = 8,   /* in [0, 1] (probabilities)   */
};
off_status cfg_get_quantity(const cfg_node *v, const char *what, cfg_dim dim,
                            unsigned flags, double *out, off_err *err);

/* ---- line/CSV tables (cfg_csv.c) ---------------------------------------
 * Text tables such as traces: one row per line, fields separated by
 * commas.  '#' starts a comment (a whole line or after the values); blank
 * lines are skipped; CRLF line ends are accepted; blanks around fields are
 * trimmed.  The reader does not allocate: rows point into the text.
 */
#define CFG_CSV_MAX_FIELDS 8

typedef struct cfg_field {
    const char *b, *e; /* [b, e) of the text, trimmed               */
    int col;           /* 1-based column (bytes) of b in its line    */
} cfg_field;

typedef struct cfg_row {
    int line;          /* 1-based                                     */
    int col;           /* column of the row's first character         */
    cfg_field all;     /* the whole row, comment and blanks cut       */
    size_t n;          /* fields in the row (may exceed
                          CFG_CSV_MAX_FIELDS: only those are kept)    */
    cfg_field f[CFG_CSV_MAX_FIELDS];
} cfg_row;

typedef struct cfg_csv {
    const char *text, *file; /* file labels the positions              */
    size_t len, at;
    int line;
    const char *expect;      /* what a row holds, for the NUL message
                                ("CSV rows \"time_s,throughput_bps\"") */
} cfg_csv;

/* Start reading text[0..len) (need not be NUL-terminated). */
void cfg_csv_init(cfg_csv *r, const char *text, size_t len, const char *file,
                  const char *expect);

/* The next row that is not blank or a comment into *row (row->n >= 1),
 * or row->n = 0 at the end of the text.  A NUL byte is OFF_EPARSE
 * "FILE:LINE:COL: NUL byte: not a text file (expected EXPECT)". */
off_status cfg_csv_next(cfg_csv *r, cfg_row *row, off_err *err);

/* Parse f as a finite decimal number: digits, '.', sign, exponent; no hex
 * floats, "inf" or "nan".  False when it is not one. */
bool cfg_field_num(const cfg_field *f, double *out);

/* f's text for messages, cut to fit cap (with "...").  Returns buf. */
const char *cfg_field_str(const cfg_field *f, char *buf, size_t cap);

/* Read path whole for a table or trace: on failure the error is OFF_EIO
 * positioned at at (the configuration value that named the file): "cannot
 * read NOUN 'PATH': why". */
off_status cfg_read_at(const char *path, const char *noun, cfg_pos at,
                       char **buf, size_t *len, off_err *err);

/* ---- a block-YAML writer (cfg_emit.c) ----------------------------------
 * Writes mappings in block style, two spaces per level, and scalars plain
 * when they read back as the same string, else double-quoted; what it
 * writes reads back through cfg_tree_parse to the same tree.
 */
typedef struct cfg_emit {
    FILE *f;
    int depth;       /* open mappings */
} cfg_emit;

void cfg_emit_init(cfg_emit *e, FILE *f);
/* "# text" lines, one per line of the formatted text, at the current
 * indentation. */
void cfg_emit_comment(cfg_emit *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "key: value" with value a string scalar (quoted when needed). */
void cfg_emit_str(cfg_emit *e, const char *key, const char *value);
/* "key: value" with value formatted (a number, a quantity such as
 * "41.200 us"): quoted like cfg_emit_str when needed. */
void cfg_emit_fmt(cfg_emit *e, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "key:" then the entries of a nested mapping until cfg_emit_end. */
void cfg_emit_begin(cfg_emit *e, const char *key);
void cfg_emit_end(cfg_emit *e);
/* s as a YAML scalar (plain or double-quoted) on its own, no newline. */
void cfg_emit_scalar(FILE *f, const char *s);

#endif /* CFG_H */
