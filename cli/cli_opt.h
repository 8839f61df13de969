/*
 * cli_opt.h - the one command-line parser of `offsim`.
 *
 * Every command and subcommand declares a cli_cmd: its positional
 * arguments and a table of options.  The same table drives the parsing,
 * the `--help` text and the did-you-mean of unknown options, so what a
 * command accepts and what its help says cannot drift apart.
 *
 * Grammar (GNU-like): `--name value`, `--name=value`, `-s value` or `-sVALUE`
 * for an option with a short name, `--flag`; `--` ends the options (what
 * follows is positional even when it starts with '-'); a lone `-` is
 * positional.  `--help` or `-h` before any `--` prints the help on stdout.
 * Bad usage prints "offsim CMD: message" naming the flag, then the
 * synopsis, on stderr, and the command exits 2 before it writes anything.
 */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What an option's value must be; checked by the parser, so a command
 * receives only well-formed values. */
typedef enum cli_kind {
    CLI_FLAG,  /* no value                                               */
    CLI_STR,   /* any text                                               */
    CLI_PATH,  /* a non-empty text                                       */
    CLI_UINT   /* a decimal integer in [lo, hi] (hi 0: no upper bound)   */
} cli_kind;

typedef struct cli_opt {
    const char *name;   /* long name without the dashes: "seed"            */
    char short_name;    /* 'o' for -o, or 0                                */
    cli_kind kind;
    const char *value;  /* the value's name in the help: "N", "PATH"       */
    const char *help;   /* lines separated by '\n'                         */
    bool repeat;        /* may be given more than once (all values kept)   */
    uint64_t lo, hi;    /* CLI_UINT's range                                */
} cli_opt;

typedef struct cli_args cli_args;

/* A command is a leaf (run: it parses its options and acts) or a group
 * (subs: its first word names one of its commands, e.g. `offsim models`). */
typedef struct cli_cmd {
    const char *name;     /* as typed after `offsim`: "run", "models eval";
                             "" for offsim itself                          */
    const char *args;     /* the positionals in the synopsis, or NULL      */
    size_t min_pos, max_pos; /* how many positionals                       */
    const char *summary;  /* one line, for the list of commands            */
    const char *about;    /* the paragraph of `--help` (NULL: summary)     */
    const cli_opt *opts;
    size_t n_opts;
    int (*run)(const cli_args *a); /* a leaf's action: its exit status    */
    const struct cli_cmd *const *subs; /* a group's commands               */
    size_t n_subs;
    const char *epilog;   /* a group's help ends with it, or NULL          */
} cli_cmd;

/* ".opts = table, .n_opts = its length" in a cli_cmd initialiser. */
#define CLI_OPTS(table) .opts = (table), .n_opts = sizeof(table) / sizeof((table)[0])

/* What the parser found.  Values point into argv, which outlives the
 * command (a `--name=value` value starts after the '='). */
typedef struct cli_got {
    char **vals;          /* every value given, in order (malloc'd)      */
    size_t n;             /* times given                                 */
    uint64_t num;         /* CLI_UINT: the last value                    */
} cli_got;

struct cli_args {
    const cli_cmd *cmd;
    char **pos;           /* the positionals (malloc'd array)            */
    size_t n_pos;
    cli_got *got;         /* one per cmd->opts entry                     */
};

/* Parse argv[0..argc) (the words after the command's name) against cmd.
 * True when *a holds the parse (free with cli_args_free).  False when the
 * command must stop at once with exit status *status (*a needs no free):
 * 0 after printing the help, 2 after a usage error, 1 when out of memory. */
bool cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a, int *status);
void cli_args_free(cli_args *a); /* idempotent */

/* The options by long name (a name the table lacks is a bug: abort). */
size_t cli_count(const cli_args *a, const char *name);
/* The last value given, or dflt. */
const char *cli_str(const cli_args *a, const char *name, const char *dflt);
uint64_t cli_uint(const cli_args *a, const char *name, uint64_t dflt);
/* All values given, in order; *n receives how many. */
char **cli_all(const cli_args *a, const char *name, size_t *n);

/* The help of cmd, generated from its table. */
void cli_help(const cli_cmd *cmd, FILE *f);
/* The synopsis "usage: offsim CMD ARGS [--opt V]...", wrapped. */
void cli_synopsis(const cli_cmd *cmd, FILE *f);

/* "offsim CMD: " fmt..., the synopsis and a pointer to --help on stderr;
 * returns 2.  For bad usage a command finds after parsing. */
int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "offsim PREFIX: unknown WHAT 'word' (did you mean 'x'?)" on stderr, the
 * suggestion from names[0..n) (prefix NULL: "offsim: ..."); returns 2.
 * The caller prints the usage after it. */
int cli_unknown(const char *prefix, const char *what, const char *word,
                const char *const *names, size_t n);

/* Run cmd with the words after its name: a leaf parses them (cli_parse)
 * and runs; a group runs the command its first word names, or prints its
 * help (--help, -h) or, for a missing or unknown name, the error with
 * did-you-mean and its help on stderr (exit 2).  The exit status. */
int cli_run(const cli_cmd *cmd, int argc, char **argv);

/* The help of a group: its commands, one line each, and its epilog. */
void cli_group_help(const cli_cmd *group, FILE *f);

#endif /* CLI_OPT_H */
