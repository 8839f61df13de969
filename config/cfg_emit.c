/* cfg_emit.c - a small block-YAML writer: nested mappings, comments, and
 * scalars quoted only when the plain form would not read back as the same
 * string.  See cfg.h. */
#include "cfg.h"

#include <stdarg.h>
#include <string.h>

void cfg_emit_init(cfg_emit *e, FILE *f)
{
    e->f = f;
    e->depth = 0;
}

static void indent(const cfg_emit *e)
{
    for (int i = 0; i < e->depth; i++)
        fputs("  ", e->f);
}

/* True when s, written plain, reads back as the string s (not a null,
 * not an indicator, no ": " or " #", no blanks at the ends). */
static bool plain_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) || s[n - 1] == ' ' ||
        s[n - 1] == ':')
        return false;
    if (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
        !strcmp(s, "NULL"))
        return false;
    for (const char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x20 || u == 0x7F)
            return false;
        if ((c[0] == ':' && c[1] == ' ') || (c[0] == ' ' && c[1] == '#') ||
            strchr(",[]{}", *c))
            return false;
    }
    return true;
}

void cfg_emit_scalar(FILE *f, const char *s)
{
    if (plain_ok(s)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '\t')
            fputs("\\t", f);
        else if (*c < 0x20 || *c == 0x7F)
            fprintf(f, "\\x%02x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

void cfg_emit_comment(cfg_emit *e, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (const char *p = buf;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        indent(e);
        fprintf(e->f, n ? "# %.*s\n" : "#%.*s\n", (int)n, p);
        if (!nl || !nl[1])
            break;
        p = nl + 1;
    }
}

void cfg_emit_str(cfg_emit *e, const char *key, const char *value)
{
    indent(e);
    cfg_emit_scalar(e->f, key);
    fputs(": ", e->f);
    cfg_emit_scalar(e->f, value);
    fputc('\n', e->f);
}

void cfg_emit_fmt(cfg_emit *e, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cfg_emit_str(e, key, buf);
}

void cfg_emit_begin(cfg_emit *e, const char *key)
{
    indent(e);
    cfg_emit_scalar(e->f, key);
    fputs(":\n", e->f);
    e->depth++;
}

void cfg_emit_end(cfg_emit *e)
{
    if (e->depth > 0)
        e->depth--;
}
