/*
 * cli_opt.c - the table-driven option parser, help and dispatch (cli_opt.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_opt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "off.h"

#define HELP_COL 22  /* where option help text starts in `--help`          */
#define WRAP_COL 79  /* the synopsis wraps before this column              */

static const cli_opt help_opt = {"help", 'h', CLI_FLAG, NULL, "print this help and exit",
                                 false, 0, 0};

/* ---- help ----------------------------------------------------------------- */

/* Append one synopsis item, wrapping under the first argument. */
static void put_item(FILE *f, const char *item, size_t *col, size_t indent)
{
    size_t len = strlen(item);
    if (*col + 1 + len > WRAP_COL && *col > indent) {
        fprintf(f, "\n%*s", (int)indent, "");
        *col = indent;
    } else {
        fputc(' ', f);
        (*col)++;
    }
    fputs(item, f);
    *col += len;
}

void cli_synopsis(const cli_cmd *cmd, FILE *f)
{
    size_t col = (size_t)fprintf(f, "usage: offsim %s", cmd->name);
    size_t indent = col + 1;
    if (cmd->args)
        put_item(f, cmd->args, &col, indent);
    for (size_t i = 0; i < cmd->n_opts; i++) {
        const cli_opt *o = &cmd->opts[i];
        char item[128];
        snprintf(item, sizeof item, "[--%s%s%s]%s", o->name, o->value ? " " : "",
                 o->value ? o->value : "", o->repeat ? "..." : "");
        put_item(f, item, &col, indent);
    }
    fputc('\n', f);
}

static void help_line(FILE *f, const cli_opt *o)
{
    /* "  -o, --out FILE", or "      --db PATH": long names line up */
    char head[96], shrt[8] = "    ";
    if (o->short_name)
        snprintf(shrt, sizeof shrt, "-%c, ", o->short_name);
    int k = snprintf(head, sizeof head, "  %s--%s%s%s", shrt, o->name, o->value ? " " : "",
                     o->value ? o->value : "");
    fputs(head, f);
    if (k + 2 > HELP_COL)
        fprintf(f, "\n%*s", HELP_COL, "");
    else
        fprintf(f, "%*s", HELP_COL - k, "");
    for (const char *h = o->help; *h;) {
        size_t n = strcspn(h, "\n");
        fprintf(f, "%.*s\n", (int)n, h);
        h += n;
        if (*h == '\n' && *++h)
            fprintf(f, "%*s", HELP_COL, "");
    }
    if (o->repeat)
        fprintf(f, "%*s(repeatable)\n", HELP_COL, "");
}

void cli_help(const cli_cmd *cmd, FILE *f)
{
    cli_synopsis(cmd, f);
    if (cmd->about)
        fprintf(f, "\n%s", cmd->about);
    else if (cmd->summary)
        fprintf(f, "\n%s.\n", cmd->summary);
    fputs("\noptions:\n", f);
    for (size_t i = 0; i < cmd->n_opts; i++)
        help_line(f, &cmd->opts[i]);
    help_line(f, &help_opt);
}

static void usage_tail(const cli_cmd *cmd)
{
    cli_synopsis(cmd, stderr);
    fprintf(stderr, "(`offsim %s --help` explains every option)\n", cmd->name);
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "offsim %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage_tail(cmd);
    return 2;
}

int cli_unknown(const char *prefix, const char *what, const char *word,
                const char *const *names, size_t n)
{
    const char *dym = names ? off_did_you_mean(word, names, n) : NULL;
    fprintf(stderr, "offsim%s%s: unknown %s '%s'", prefix ? " " : "", prefix ? prefix : "",
            what, word);
    if (dym)
        fprintf(stderr, " (did you mean '%s'?)", dym);
    fputc('\n', stderr);
    return 2;
}

/* ---- parsing -------------------------------------------------------------- */

static bool is_help(const char *w)
{
    return strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0;
}

/* "--name" of every option and of --help, for did-you-mean. */
static int unknown_option(const cli_cmd *cmd, const char *word, size_t len)
{
    char w[128];
    snprintf(w, sizeof w, "%.*s", (int)len, word);
    char (*names)[64] = calloc(cmd->n_opts + 1, sizeof *names);
    const char **ptrs = calloc(cmd->n_opts + 1, sizeof *ptrs);
    size_t n = 0;
    for (size_t i = 0; names && ptrs && i <= cmd->n_opts; i++, n++) {
        snprintf(names[i], sizeof names[i], "--%s",
                 i < cmd->n_opts ? cmd->opts[i].name : help_opt.name);
        ptrs[i] = names[i];
    }
    cli_unknown(cmd->name, "option", w, ptrs, n);
    free(names);
    free(ptrs);
    usage_tail(cmd);
    return 2;
}

/* The option word names (a long "--name[=v]" or a short "-x[v]"): its
 * index, and *val the value attached to it (NULL when none); -1 if none. */
static long find_opt(const cli_cmd *cmd, char *word, char **val)
{
    *val = NULL;
    if (word[1] == '-') {
        const char *name = word + 2;
        size_t len = strcspn(name, "=");
        for (size_t i = 0; i < cmd->n_opts; i++)
            if (strncmp(cmd->opts[i].name, name, len) == 0 && cmd->opts[i].name[len] == '\0') {
                if (name[len] == '=')
                    *val = word + 2 + len + 1;
                return (long)i;
            }
        return -1;
    }
    for (size_t i = 0; i < cmd->n_opts; i++)
        if (cmd->opts[i].short_name && cmd->opts[i].short_name == word[1]) {
            if (word[2])
                *val = word[2] == '=' ? word + 3 : word + 2;
            return (long)i;
        }
    return -1;
}

static const char *uint_range(const cli_opt *o, char *buf, size_t cap)
{
    if (o->hi)
        snprintf(buf, cap, "an integer in %llu..%llu", (unsigned long long)o->lo,
                 (unsigned long long)o->hi);
    else if (o->lo == 0)
        snprintf(buf, cap, "a non-negative integer");
    else if (o->lo == 1)
        snprintf(buf, cap, "a positive integer");
    else
        snprintf(buf, cap, "an integer >= %llu", (unsigned long long)o->lo);
    return buf;
}

/* Check val against o's kind and record it. */
static int take_value(const cli_cmd *cmd, const cli_opt *o, cli_got *g, char *val)
{
    if (o->kind == CLI_PATH && !*val)
        return cli_usage(cmd, "--%s expects a path", o->name);
    if (o->kind == CLI_UINT) {
        char *end, buf[64];
        errno = 0;
        unsigned long long x = strtoull(val, &end, 10);
        if (!(*val >= '0' && *val <= '9') || *end || errno || x < o->lo ||
            (o->hi && x > o->hi))
            return cli_usage(cmd, "--%s expects %s, got '%s'", o->name,
                             uint_range(o, buf, sizeof buf), val);
        g->num = x;
    }
    char **v = realloc(g->vals, (g->n + 1) * sizeof *v);
    if (!v) {
        fprintf(stderr, "offsim %s: out of memory\n", cmd->name);
        return 1;
    }
    g->vals = v;
    g->vals[g->n++] = val;
    return 0;
}

/* The option at argv[*i]: its value from the word or the next one. */
static int take_option(const cli_cmd *cmd, int argc, char **argv, int *i, cli_args *a)
{
    char *word = argv[*i], *val;
    long k = find_opt(cmd, word, &val);
    if (k < 0)
        return unknown_option(cmd, word, strcspn(word, "="));
    const cli_opt *o = &cmd->opts[k];
    cli_got *g = &a->got[k];
    if (g->n && !o->repeat)
        return cli_usage(cmd, "option '--%s' given twice", o->name);
    if (o->kind == CLI_FLAG) {
        if (val)
            return cli_usage(cmd, "option '--%s' takes no value", o->name);
        g->n++;
        return 0;
    }
    if (!val) {
        /* "--out --quiet" is a forgotten value, not a file named --quiet */
        if (*i + 1 >= argc || (argv[*i + 1][0] == '-' && argv[*i + 1][1] == '-'))
            return cli_usage(cmd, "option '--%s' needs a value (%s)", o->name, o->value);
        val = argv[++*i];
    }
    return take_value(cmd, o, g, val);
}

/* The first positional word of args not given yet, for "missing X". */
static int missing(const cli_cmd *cmd, size_t have)
{
    const char *w = cmd->args ? cmd->args : "";
    for (size_t k = 0; k < have && *w; k++) {
        w += strcspn(w, " ");
        w += strspn(w, " ");
    }
    return cli_usage(cmd, "missing %.*s", (int)strcspn(w, " "), w);
}

static int check_positionals(const cli_cmd *cmd, const cli_args *a)
{
    if (a->n_pos < cmd->min_pos)
        return missing(cmd, a->n_pos);
    if (a->n_pos > cmd->max_pos)
        return cli_usage(cmd, "unexpected argument '%s'", a->pos[cmd->max_pos]);
    return 0;
}

bool cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a, int *status)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    *status = 0;
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_help(argv[i])) {
            cli_help(cmd, stdout);
            return false;
        }
    a->got = calloc(cmd->n_opts + 1, sizeof *a->got);
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    int rc = a->got && a->pos ? 0 : 1;
    if (rc)
        fprintf(stderr, "offsim %s: out of memory\n", cmd->name);
    bool opts_done = false;
    for (int i = 0; !rc && i < argc; i++) {
        char *w = argv[i];
        if (!opts_done && strcmp(w, "--") == 0)
            opts_done = true;
        else if (opts_done || w[0] != '-' || w[1] == '\0')
            a->pos[a->n_pos++] = w;
        else
            rc = take_option(cmd, argc, argv, &i, a);
    }
    if (!rc)
        rc = check_positionals(cmd, a);
    if (rc) {
        cli_args_free(a);
        *status = rc;
        return false;
    }
    return true;
}

void cli_args_free(cli_args *a)
{
    if (a->got)
        for (size_t i = 0; i < a->cmd->n_opts; i++)
            free(a->got[i].vals);
    free(a->got);
    free(a->pos);
    a->got = NULL;
    a->pos = NULL;
    a->n_pos = 0;
}

static const cli_got *got(const cli_args *a, const char *name)
{
    for (size_t i = 0; i < a->cmd->n_opts; i++)
        if (strcmp(a->cmd->opts[i].name, name) == 0)
            return &a->got[i];
    fprintf(stderr, "offsim %s: bug: no option '--%s'\n", a->cmd->name, name);
    abort();
}

size_t cli_count(const cli_args *a, const char *name)
{
    return got(a, name)->n;
}

const char *cli_str(const cli_args *a, const char *name, const char *dflt)
{
    const cli_got *g = got(a, name);
    return g->n ? g->vals[g->n - 1] : dflt;
}

uint64_t cli_uint(const cli_args *a, const char *name, uint64_t dflt)
{
    const cli_got *g = got(a, name);
    return g->n ? g->num : dflt;
}

char **cli_all(const cli_args *a, const char *name, size_t *n)
{
    const cli_got *g = got(a, name);
    *n = g->n;
    return g->vals;
}

/* ---- command groups ------------------------------------------------------- */

static const char *last_word(const char *name)
{
    const char *sp = strrchr(name, ' ');
    return sp ? sp + 1 : name;
}

void cli_group_help(const cli_cmd *group, FILE *f)
{
    const char *sub = group->name[0] ? "SUBCOMMAND" : "COMMAND";
    fprintf(f, "usage: offsim%s%s %s [ARGS]\n\n", group->name[0] ? " " : "", group->name, sub);
    if (group->about)
        fprintf(f, "%s\n", group->about);
    fprintf(f, "%s:\n", group->name[0] ? "subcommands" : "commands");
    for (size_t i = 0; i < group->n_subs; i++) {
        const cli_cmd *c = group->subs[i];
        char head[128];
        int k = snprintf(head, sizeof head, "  %s%s%s", last_word(c->name), c->args ? " " : "",
                         c->args ? c->args : "");
        if (k + 2 > HELP_COL)
            fprintf(f, "%s\n%*s%s\n", head, HELP_COL, "", c->summary);
        else
            fprintf(f, "%s%*s%s\n", head, HELP_COL - k, "", c->summary);
    }
    if (group->epilog)
        fprintf(f, "\n%s", group->epilog);
}

static int run_group(const cli_cmd *g, int argc, char **argv)
{
    const char *what = g->name[0] ? "subcommand" : "command";
    const char *sep = g->name[0] ? " " : "";
    if (argc >= 1 && is_help(argv[0])) {
        cli_group_help(g, stdout);
        return 0;
    }
    if (argc < 1) {
        fprintf(stderr, "offsim%s%s: missing the %s\n", sep, g->name, what);
        cli_group_help(g, stderr);
        return 2;
    }
    for (size_t i = 0; i < g->n_subs; i++)
        if (strcmp(argv[0], last_word(g->subs[i]->name)) == 0)
            return cli_run(g->subs[i], argc - 1, argv + 1);
    const char **names = calloc(g->n_subs + 1, sizeof *names);
    for (size_t i = 0; names && i < g->n_subs; i++)
        names[i] = last_word(g->subs[i]->name);
    cli_unknown(g->name[0] ? g->name : NULL, what, argv[0], names, names ? g->n_subs : 0);
    free(names);
    cli_group_help(g, stderr);
    return 2;
}

int cli_run(const cli_cmd *cmd, int argc, char **argv)
{
    if (cmd->subs)
        return run_group(cmd, argc, argv);
    cli_args a;
    int rc;
    if (!cli_parse(cmd, argc, argv, &a, &rc))
        return rc;
    rc = cmd->run(&a);
    cli_args_free(&a);
    return rc;
}
