/*
 * exp_filter.c - the filter of an experiment: a small expression over a
 * point's axis values, parsed once (recursive descent) and evaluated per
 * point.
 *
 *   expr := and ('or' and)*        and := not ('and' not)*
 *   not  := 'not' not | cmp        cmp := '(' expr ')' | operand OP operand
 *   operand := axis path | number [unit] | 'text' | "text"
 *   OP := == != < <= > >=
 *
 * Two operands that are both numbers (an axis value that is a number or a
 * quantity counts, in SI units) compare as numbers, else as text.
 */
#define _POSIX_C_SOURCE 200809L
#include "exp.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_OR, F_AND, F_NOT, F_CMP } fkind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } fop;

typedef struct operand {
    int col;          /* column, or -1 for a constant          */
    double num;       /* constant: SI value or NAN             */
    char *text;       /* constant: its text                    */
} operand;

typedef struct fnode {
    fkind kind;
    struct fnode *a, *b;
    fop op;
    operand l, r;
} fnode;

struct exp_filter {
    fnode *root;
};

typedef struct parser {
    const char *src, *at;
    cfg_pos pos;
    int shift;        /* columns between the node's position and src[0] */
    const char *const *names;
    size_t n_names;
    off_err *err;
    off_status st;
} parser;

static void fnode_free(fnode *n)
{
    if (!n)
        return;
    fnode_free(n->a);
    fnode_free(n->b);
    free(n->l.text);
    free(n->r.text);
    free(n);
}

static fnode *fail(parser *p, const char *at, const char *fmt, const char *word)
{
    if (p->st)
        return NULL;
    cfg_pos pos = p->pos;
    pos.col += p->shift + (int)(at - p->src);
    char msg[256];
    snprintf(msg, sizeof msg, fmt, word);
    p->st = cfg_errp(p->err, OFF_EINVAL, pos, "filter: %s", msg);
    return NULL;
}

static void blanks(parser *p)
{
    while (*p->at == ' ' || *p->at == '\t' || *p->at == '\n')
        p->at++;
}

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '[' || c == ']';
}

/* The keyword kw at p->at (a whole word)? Consumes it. */
static bool keyword(parser *p, const char *kw)
{
    blanks(p);
    size_t n = strlen(kw);
    if (strncmp(p->at, kw, n) || ident_char(p->at[n]))
        return false;
    p->at += n;
    return true;
}

static bool is_keyword(const char *b, size_t n)
{
    return (n == 3 && (!strncmp(b, "and", 3) || !strncmp(b, "not", 3))) ||
           (n == 2 && !strncmp(b, "or", 2));
}

static bool operand_parse(parser *p, operand *o)
{
    blanks(p);
    const char *b = p->at;
    o->col = -1;
    o->num = NAN;
    if (*b == '\'' || *b == '"') {
        const char *e = strchr(b + 1, *b);
        if (!e)
            return fail(p, b, "%s", "the text has no closing quote"), false;
        o->text = strndup(b + 1, (size_t)(e - b - 1));
        p->at = e + 1;
        return o->text || (fail(p, b, "%s", "out of memory"), false);
    }
    if (isdigit((unsigned char)*b) || ((*b == '-' || *b == '+' || *b == '.') &&
                                       (isdigit((unsigned char)b[1]) || b[1] == '.'))) {
        char *e;
        strtod(b, &e);
        const char *u = e;
        while (*u == ' ' || *u == '\t')
            u++;
        const char *ue = u;
        while (isalpha((unsigned char)*ue) || *ue == '/' || *ue == '%')
            ue++;
        if (ue > u && !is_keyword(u, (size_t)(ue - u)))
            e = (char *)ue;
        o->text = strndup(b, (size_t)(e - b));
        if (!o->text)
            return fail(p, b, "%s", "out of memory"), false;
        o->num = exp_si(o->text);
        p->at = e;
        if (isnan(o->num))
            return fail(p, b, "'%s' is not a number or a quantity with a known unit", o->text),
                   false;
        return true;
    }
    if (ident_start(*b)) {
        const char *e = b;
        while (ident_char(*e))
            e++;
        char *name = strndup(b, (size_t)(e - b));
        if (!name)
            return fail(p, b, "%s", "out of memory"), false;
        for (size_t i = 0; i < p->n_names; i++)
            if (!strcmp(p->names[i], name))
                o->col = (int)i;
        if (o->col < 0) {
            const char *dym = off_did_you_mean(name, p->names, p->n_names);
            char msg[256];
            char all[160];
            snprintf(msg, sizeof msg, "unknown axis '%s'%s%s%s; axes: %s", name,
                     dym ? " (did you mean '" : "", dym ? dym : "", dym ? "'?)" : "",
                     p->n_names ? cfg_join(p->names, p->n_names, all, sizeof all)
                                : "none (the filter applies before seeds)");
            free(name);
            return fail(p, b, "%s", msg), false;
        }
        free(name);
        p->at = e;
        return true;
    }
    return fail(p, b, *b ? "expected an axis, a number or a 'text' at '%s'"
                         : "expected an axis, a number or a 'text'%s",
                *b ? b : " (the filter ends here)"),
           false;
}

static fnode *parse_or(parser *p);

static fnode *node_new(parser *p, fkind k, fnode *a, fnode *b)
{
    fnode *n = calloc(1, sizeof *n);
    if (!n) {
        fnode_free(a);
        fnode_free(b);
        return fail(p, p->at, "%s", "out of memory");
    }
    n->kind = k;
    n->a = a;
    n->b = b;
    return n;
}

static fnode *parse_cmp(parser *p)
{
    blanks(p);
    if (*p->at == '(') {
        const char *open = p->at++;
        fnode *n = parse_or(p);
        blanks(p);
        if (n && *p->at != ')') {
            fnode_free(n);
            return fail(p, open, "%s", "this '(' is not closed");
        }
        if (n) /* past the ')'; after an error p->at may be the end */
            p->at++;
        return n;
    }
    fnode *n = node_new(p, F_CMP, NULL, NULL);
    if (!n || !operand_parse(p, &n->l)) {
        fnode_free(n);
        return NULL;
    }
    blanks(p);
    static const struct { const char *s; fop op; } ops[] = {
        {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"<", OP_LT}, {">", OP_GT}};
    size_t k;
    for (k = 0; k < OFF_COUNT(ops); k++)
        if (!strncmp(p->at, ops[k].s, strlen(ops[k].s)))
            break;
    if (k == OFF_COUNT(ops)) {
        fnode_free(n);
        return fail(p, p->at, "expected a comparison (== != < <= > >=)%s",
                    *p->at ? "" : " (the filter ends here)");
    }
    n->op = ops[k].op;
    p->at += strlen(ops[k].s);
    if (!operand_parse(p, &n->r)) {
        fnode_free(n);
        return NULL;
    }
    return n;
}

static fnode *parse_not(parser *p)
{
    if (keyword(p, "not")) {
        fnode *a = parse_not(p);
        return a ? node_new(p, F_NOT, a, NULL) : NULL;
    }
    return parse_cmp(p);
}

/* expr (level 0: 'or') and its operands (level 1: 'and'), left to right. */
static fnode *parse_bin(parser *p, int level)
{
    const char *kw = level ? "and" : "or";
    fnode *a = level ? parse_not(p) : parse_bin(p, 1);
    while (a && keyword(p, kw)) {
        fnode *b = level ? parse_not(p) : parse_bin(p, 1);
        a = b ? node_new(p, level ? F_AND : F_OR, a, b) : (fnode_free(a), NULL);
    }
    return a;
}

static fnode *parse_or(parser *p)
{
    return parse_bin(p, 0);
}

off_status exp_filter_parse(exp_filter **f, const char *src, cfg_pos pos, bool quoted,
                            const char *const *names, size_t n_names, off_err *err)
{
    *f = NULL;
    parser p = {.src = src, .at = src, .pos = pos, .shift = quoted ? 1 : 0,
                .names = names, .n_names = n_names, .err = err};
    fnode *root = parse_or(&p);
    blanks(&p);
    if (root && *p.at) {
        fnode_free(root);
        root = fail(&p, p.at, "unexpected '%s' (expected and, or, or the end)", p.at);
    }
    if (!root)
        return p.st ? p.st : off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    if (!(*f = malloc(sizeof **f))) {
        fnode_free(root);
        return off_errf(err, OFF_ENOMEM, NULL, 0, 0, "out of memory");
    }
    (*f)->root = root;
    return OFF_OK;
}

static bool cmp(const fnode *n, const exp_val *const *row)
{
    double a = n->l.col >= 0 ? row[n->l.col]->num : n->l.num;
    double b = n->r.col >= 0 ? row[n->r.col]->num : n->r.num;
    int c;
    if (!isnan(a) && !isnan(b))
        c = a < b ? -1 : a > b;
    else
        c = strcmp(n->l.col >= 0 ? row[n->l.col]->text : n->l.text,
                   n->r.col >= 0 ? row[n->r.col]->text : n->r.text);
    switch (n->op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    case OP_GE: return c >= 0;
    }
    return false;
}

static bool eval(const fnode *n, const exp_val *const *row)
{
    switch (n->kind) {
    case F_OR: return eval(n->a, row) || eval(n->b, row);
    case F_AND: return eval(n->a, row) && eval(n->b, row);
    case F_NOT: return !eval(n->a, row);
    case F_CMP: return cmp(n, row);
    }
    return false;
}

bool exp_filter_eval(const exp_filter *f, const exp_val *const *row)
{
    return eval(f->root, row);
}

static bool uses(const fnode *n, int col)
{
    if (!n)
        return false;
    if (n->kind == F_CMP)
        return n->l.col == col || n->r.col == col;
    return uses(n->a, col) || uses(n->b, col);
}

bool exp_filter_uses(const exp_filter *f, size_t col)
{
    return uses(f->root, (int)col);
}

void exp_filter_free(exp_filter *f)
{
    if (f)
        fnode_free(f->root);
    free(f);
}
